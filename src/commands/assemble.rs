//! `eqisa assemble`: parse, lower and encode a circuit into an `.eqb` program, and measure it
//! against the baselines on the same stream.

use std::path::PathBuf;

use eqisa_assembler::assemble_with_pulses;
use eqisa_assembler::pulses::encode_program;
use eqisa_lower::lower;
use serde::Serialize;

use super::CmdResult;
use super::lowering::LowerArgs;
use super::pulses::{BitsJson, PulseArgs, coder_for, place};
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
    /// Also lower to the device's control pulses and add them as the program's pulse section:
    /// the circuit is routed onto the device's coupling map first, so the instruction stream
    /// holds the routed program the pulses play. `eqisa decode --samples` rebuilds the samples.
    #[arg(long)]
    pub pulses: bool,
    #[command(flatten)]
    pub pulse: PulseArgs,
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
    /// paper_huffman_bzip2}, paper_fidelity_bound, sections; with --pulses also pulses {device,
    /// mode, channels, plays, samples, swaps, pulse_bits {eqisa, raw, dct, zstd},
    /// max_added_infidelity, lossless_fallbacks}. bits.eqisa counts the instruction stream
    /// (the whole file without the pulse section); pulses.pulse_bits.eqisa the pulse section.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Sections {
    header_and_framing: usize,
    program: usize,
    metadata: usize,
    instructions: usize,
    pulses: usize,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pulses: Option<PulseReport>,
}

/// The pulse section's figures (`--pulses`).
#[derive(Serialize)]
struct PulseReport {
    device: String,
    mode: &'static str,
    channels: usize,
    plays: usize,
    samples: u64,
    swaps: u64,
    pulse_bits: BitsJson,
    max_added_infidelity: f64,
    lossless_fallbacks: usize,
}

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    let cb = codebook::load(args.codebook.as_deref())?;
    let c = crate::input::load(&args.file)?;
    let name = args.file.display().to_string();
    let (lowered, target, placed) = if args.pulses {
        let placed = place(&args.file, &args.lowering, &args.pulse)?;
        let lowered = (placed.program.clone(), placed.fidelity_bound);
        (lowered, placed.target.clone(), Some(placed))
    } else {
        let (target, options) = args.lowering.resolve()?;
        let l = lower(&c, &target, &options).map_err(|e| format!("{name}: {e}"))?;
        ((l.program, l.fidelity_bound), target, None)
    };
    let (p, fidelity_bound) = (&lowered.0, lowered.1);
    let mut pulse_report = None;
    let mut pulse_payload = None;
    if let Some(placed) = &placed {
        let (physics, coder) = coder_for(&cb, &placed.device, &args.pulse)?;
        let enc = encode_program(&placed.pulses, &placed.device, &physics, &coder)
            .map_err(|e| format!("{name}: {e}"))?;
        pulse_report = Some(PulseReport {
            device: placed.device.name.clone(),
            mode: args.pulse.mode().name(),
            channels: placed.pulses.channels.len(),
            plays: placed.pulses.plays.len(),
            samples: placed.pulses.played_samples(),
            swaps: placed.swaps,
            pulse_bits: enc.bits.into(),
            max_added_infidelity: enc.max_added_infidelity,
            lossless_fallbacks: enc.lossless_fallbacks,
        });
        pulse_payload = Some(enc.payload);
    }
    let asm = assemble_with_pulses(p, &target, &cb.codebook, cb.hash, pulse_payload)
        .map_err(|e| format!("{name}: {e}"))?;
    if let Some(out) = &args.output {
        std::fs::write(out, &asm.bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    let paper = (!args.no_paper).then_some((args.paper_depth, args.paper_recursion));
    let m = measure(&c, p, &target, &asm, &cb, paper)?;
    let report = Report {
        file: args.file.display().to_string(),
        target: target.kind.name(),
        native_ops: p.ops.len() as u64,
        fidelity_bound,
        angle_bits: p.angle_bits,
        codebook_bytes: cb.bytes,
        codebook_hash: short_hash(&cb.hash),
        bits: m.bits,
        paper_fidelity_bound: m.paper_fidelity_bound,
        pulses: pulse_report,
        sections: Sections {
            header_and_framing: asm.bytes.len()
                - asm.program_bytes
                - asm.metadata_bytes
                - asm.instruction_bytes
                - asm.pulse_bytes,
            program: asm.program_bytes,
            metadata: asm.metadata_bytes,
            instructions: asm.instruction_bytes,
            pulses: asm.pulse_bytes,
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
        (eqisa_lower::target::TargetKind::CliffordT, _) => {
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
    if let Some(pr) = &report.pulses {
        let pb = &pr.pulse_bits;
        println!(
            "pulses            {} ({}), {} plays on {} channels, {} samples, {} swaps",
            pr.device, pr.mode, pr.plays, pr.channels, pr.samples, pr.swaps
        );
        println!(
            "pulse bits        eqisa {}  raw {}  dct {}  zstd {}",
            pb.eqisa, pb.raw, pb.dct, pb.zstd
        );
        println!(
            "pulse infidelity  {:.2e} at most per pulse (budget {:.0e}); {} lossless fallbacks",
            pr.max_added_infidelity, args.pulse.infidelity, pr.lossless_fallbacks
        );
    }
    Ok(())
}
