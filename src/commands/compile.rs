//! `eqisa compile`: lower a circuit to a native target, schedule it, and report what it cost.

use crate::output::outln;
use std::path::PathBuf;

use eqisa_lower::target::{TargetDesc, TargetKind};
use eqisa_pipeline::compile::{CompileReport, QasmLanguage};

use super::CmdResult;
use super::lowering::LowerArgs;

/// Arguments of `eqisa compile`.
#[derive(clap::Args)]
pub struct Args {
    /// OpenQASM 2 or 3 file (`-` for standard input).
    pub file: PathBuf,
    #[command(flatten)]
    pub lowering: LowerArgs,
    /// Write the lowered program as OpenQASM 2 (as OpenQASM 3 when its conditions need it).
    #[arg(short, long, value_name = "OUT.qasm")]
    pub output: Option<PathBuf>,
    /// Print JSON: ops, t_count, depth, duration_ns, angle_bits (0: exact f64 angles),
    /// fidelity_bound, fidelity_exact (null where not computed), loops_kept. Counts are of
    /// the operations executed (loop bodies times their iterations).
    #[arg(long)]
    pub json: bool,
    /// Unroll an OpenQASM 3 program's loops in the output. Without it, a top-level `for` whose
    /// body does not depend on its variable is lowered once and written back as a `for` loop
    /// (OpenQASM 3 output).
    #[arg(long)]
    pub flat: bool,
    #[command(flatten)]
    pub inputs: super::inputs::InputArgs,
}

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    let source = super::program::load_source(&args.file)?;
    let compiled = eqisa_pipeline::compile::compile_source(
        source,
        &args.file,
        &args.inputs.inputs,
        &args.lowering.config(),
        args.flat,
    )?;
    if let Some(out) = &args.output {
        if compiled.language == QasmLanguage::Qasm3Conditions {
            eprintln!(
                "note: {}: written as OpenQASM 3: its conditions have no OpenQASM 2 form (only 'if (creg == n)' has)",
                out.display()
            );
        }
        super::write_output(out, compiled.qasm.as_bytes())?;
    }
    print_report(args, &compiled.report, &compiled.target)
}

fn print_report(args: &Args, report: &CompileReport, target: &TargetDesc) -> CmdResult {
    let kind = target.kind;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    outln!("file            {}", report.file);
    outln!("target          {} ({})", report.target, target.name);
    outln!("ops             {}", report.ops.values().sum::<u128>());
    if report.loops_kept > 0 {
        outln!("loops kept      {}", report.loops_kept);
    }
    for (name, n) in &report.ops {
        outln!("  {name:<14} {n}");
    }
    outln!("t_count         {}", report.t_count);
    outln!("depth           {}", report.depth);
    outln!("duration        {:.1} ns", report.duration_ns);
    match (kind, report.angle_bits) {
        (TargetKind::CliffordT, _) => outln!("angle bits      none (no rz)"),
        (_, 0) => outln!("angle bits      exact (f64)"),
        (_, b) => outln!("angle bits      {b}"),
    }
    outln!("fidelity bound  {}", report.fidelity_bound);
    match report.fidelity_exact {
        Some(f) => outln!("fidelity exact  {f:.12}"),
        None => outln!("fidelity exact  not computed (more than 10 qubits, or dynamic)"),
    }
    Ok(())
}
