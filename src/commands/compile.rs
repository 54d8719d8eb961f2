//! `eqisa compile`: lower a circuit to a native target, schedule it, and report what it cost.

use crate::output::outln;
use std::collections::BTreeMap;
use std::path::PathBuf;

use eqisa_lower::lower;
use eqisa_lower::state::exact_fidelity;
use eqisa_lower::target::TargetKind;
use serde::Serialize;

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
    /// fidelity_bound, fidelity_exact (null where not computed).
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Report {
    file: String,
    target: &'static str,
    ops: BTreeMap<String, u64>,
    t_count: u64,
    depth: u64,
    duration_ns: f64,
    /// Precision of the rz angles in bits (0: exact f64, and on Clifford+T, which has no rz).
    angle_bits: u8,
    fidelity_bound: f64,
    fidelity_exact: Option<f64>,
}

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    let (target, options) = args.lowering.config().resolve()?;
    let kind = target.kind;
    let c = eqisa_pipeline::load_circuit(&args.file)?;
    let lowered =
        lower(&c, &target, &options).map_err(|source| eqisa_pipeline::PipelineError::Lower {
            file: args.file.display().to_string(),
            source,
        })?;
    let p = &lowered.program;
    if let Some(out) = &args.output {
        super::write_qasm(p, out)?;
    }
    let report = Report {
        file: args.file.display().to_string(),
        target: kind.name(),
        ops: p.counts(),
        t_count: p.t_count(),
        depth: p.depth(),
        duration_ns: p.duration_ns,
        angle_bits: p.angle_bits,
        fidelity_bound: lowered.fidelity_bound,
        fidelity_exact: exact_fidelity(&c, p),
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    outln!("file            {}", report.file);
    outln!("target          {} ({})", report.target, target.name);
    outln!("ops             {}", report.ops.values().sum::<u64>());
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
