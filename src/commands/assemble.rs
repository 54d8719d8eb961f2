//! `eqisa assemble`: parse, lower and encode a circuit into an `.eqb` program, and measure it
//! against the baselines on the same stream.

use std::path::PathBuf;

use eqisa_assembler::assemble;
use eqisa_circuits::lower::lower;
use serde::Serialize;

use super::CmdResult;
use super::lowering::LowerArgs;
use crate::codebook::{self, short_hash};
use crate::measure::{Bits, measure};

/// Arguments of `eqisa assemble`.
#[derive(clap::Args)]
pub struct Args {
    /// OpenQASM 2 or 3 file (`-` for standard input).
    pub file: PathBuf,
    #[command(flatten)]
    pub lowering: LowerArgs,
    /// The codebook to encode with (default: the embedded one). Decoding needs the same one.
    #[arg(long, value_name = "CODEBOOK")]
    pub codebook: Option<PathBuf>,
    /// Where to write the program.
    #[arg(short, long, value_name = "OUT.eqb")]
    pub output: Option<PathBuf>,
    /// Skip the paper's pipeline (Solovay–Kitaev at --paper-depth/--paper-recursion, which is
    /// slow on large circuits); its keys are then null.
    #[arg(long)]
    pub no_paper: bool,
    /// The paper pipeline's Solovay–Kitaev depth.
    #[arg(long, default_value_t = 3)]
    pub paper_depth: usize,
    /// The paper pipeline's Solovay–Kitaev recursion.
    #[arg(long, default_value_t = 3)]
    pub paper_recursion: usize,
    /// Print JSON: native_ops, fidelity_bound, angle_bits, codebook_bytes, bits {eqisa,
    /// binary_opcodes, binary, bzip2, xz, zstd, entropy_order0, paper_huffman,
    /// paper_huffman_bzip2}, paper_fidelity_bound, sections.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Sections {
    header_and_framing: usize,
    program: usize,
    metadata: usize,
    instructions: usize,
    blocks: u64,
    explicit_timing: bool,
}

#[derive(Serialize)]
struct Report {
    file: String,
    target: &'static str,
    native_ops: u64,
    fidelity_bound: f64,
    angle_bits: u8,
    codebook_bytes: usize,
    codebook_hash: String,
    bits: Bits,
    paper_fidelity_bound: Option<f64>,
    sections: Sections,
}

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    let (target, options) = args.lowering.resolve()?;
    let cb = codebook::load(args.codebook.as_deref())?;
    let c = crate::input::load(&args.file)?;
    let lowered = lower(&c, &target, &options)?;
    let p = &lowered.program;
    let asm = assemble(p, &target, &cb.codebook, cb.hash)
        .map_err(|e| format!("{}: {e}", args.file.display()))?;
    if let Some(out) = &args.output {
        std::fs::write(out, &asm.bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    let paper = (!args.no_paper).then_some((args.paper_depth, args.paper_recursion));
    let m = measure(&c, p, &target, &asm, &cb, paper)?;
    let report = Report {
        file: args.file.display().to_string(),
        target: target.kind.name(),
        native_ops: p.ops.len() as u64,
        fidelity_bound: lowered.fidelity_bound,
        angle_bits: p.angle_bits,
        codebook_bytes: cb.bytes,
        codebook_hash: short_hash(&cb.hash),
        bits: m.bits,
        paper_fidelity_bound: m.paper_fidelity_bound,
        sections: Sections {
            header_and_framing: asm.bytes.len()
                - asm.program_bytes
                - asm.metadata_bytes
                - asm.instruction_bytes,
            program: asm.program_bytes,
            metadata: asm.metadata_bytes,
            instructions: asm.instruction_bytes,
            blocks: asm.blocks,
            explicit_timing: asm.explicit_timing,
        },
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let b = &report.bits;
    println!("file              {}", report.file);
    println!("target            {}", report.target);
    println!("native ops        {}", report.native_ops);
    println!("fidelity bound    {}", report.fidelity_bound);
    match (target.kind, report.angle_bits) {
        (eqisa_circuits::lower::target::TargetKind::CliffordT, _) => {
            println!("angle bits        none (no rz)")
        }
        (_, 0) => println!("angle bits        exact (f64)"),
        (_, n) => println!("angle bits        {n}"),
    }
    println!(
        "codebook          {} ({} bytes)",
        cb.origin, report.codebook_bytes
    );
    if let Some(out) = &args.output {
        println!(
            "wrote             {} ({} bytes)",
            out.display(),
            asm.bytes.len()
        );
    }
    println!("bits              (whole stream; ratio to eqisa)");
    let row = |name: &str, v: Option<f64>| match v {
        Some(v) => println!("  {name:<22} {v:>14.0}  {:>8.2}×", v / b.eqisa as f64),
        None => println!("  {name:<22} {:>14}", "—"),
    };
    row("eqisa", Some(b.eqisa as f64));
    row("binary (opcodes only)", Some(b.binary_opcodes as f64));
    row("binary", Some(b.binary as f64));
    row("bzip2 -9 of binary", Some(b.bzip2 as f64));
    row("xz -9 of binary", Some(b.xz as f64));
    row("zstd -19 of binary", Some(b.zstd as f64));
    row("order-0 entropy", Some(b.entropy_order0));
    row("paper Huffman", b.paper_huffman.map(|v| v as f64));
    row(
        "paper Huffman+bzip2",
        b.paper_huffman_bzip2.map(|v| v as f64),
    );
    if let Some(f) = report.paper_fidelity_bound {
        println!("paper fidelity bound {f}");
    }
    Ok(())
}
