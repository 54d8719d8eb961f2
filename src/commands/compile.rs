//! `eqisa compile`: lower a circuit to a native target, schedule it, and report what it cost.

use crate::output::outln;
use std::collections::BTreeMap;
use std::path::PathBuf;

use eqisa_ir::program::flatten::{FlattenLimits, flatten};
use eqisa_lower::lower;
use eqisa_lower::state::exact_fidelity;
use eqisa_lower::structured::{Piece, StructuredError, lower_structured};
use eqisa_lower::target::{TargetDesc, TargetKind};
use eqisa_qasm::Parsed;
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

#[derive(Serialize)]
struct Report {
    file: String,
    target: &'static str,
    ops: BTreeMap<String, u128>,
    t_count: u128,
    depth: u128,
    duration_ns: f64,
    /// Precision of the rz angles in bits (0: exact f64, and on Clifford+T, which has no rz).
    angle_bits: u8,
    fidelity_bound: f64,
    fidelity_exact: Option<f64>,
    /// Loops written back as loops (0 when the output is flat).
    loops_kept: usize,
}

/// Most operations the structured output is unrolled to, to compare its state with the
/// source's.
const EXACT_FIDELITY_MAX_OPS: u64 = 1 << 20;

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    let (target, options) = args.lowering.config().resolve()?;
    let file = args.file.display().to_string();
    let lower_error = |source| eqisa_pipeline::PipelineError::Lower {
        file: file.clone(),
        source,
    };
    let parsed = super::program::load(&args.file)?;
    if let (Parsed::Structured(p), false) = (&parsed, args.flat) {
        let bound = eqisa_qasm::bind(p, &args.inputs.inputs)?;
        let limits = FlattenLimits {
            max_ops: eqisa_qasm::ir_budget().min(u64::from(u32::MAX)),
            ..FlattenLimits::default()
        };
        let kept =
            lower_structured(p, &bound, &target, &options, &limits).map_err(|e| match e {
                StructuredError::Flatten(e) => {
                    Box::new(eqisa_qasm::located(p, e)) as Box<dyn std::error::Error>
                }
                StructuredError::Lower(e) => Box::new(lower_error(e)),
            })?;
        if let Some(ls) = kept {
            if let Some(out) = &args.output {
                super::write_output(out, ls.to_qasm3().as_bytes())?;
            }
            // The source's state, when it has a flat circuit, against the output unrolled.
            let fidelity_exact = flatten(p, &bound, &limits)
                .ok()
                .and_then(|c| exact_fidelity(&c, &ls.unrolled(EXACT_FIDELITY_MAX_OPS)?));
            let report = Report {
                file,
                target: target.kind.name(),
                ops: ls.counts(),
                t_count: ls.t_count(),
                depth: ls.depth(),
                duration_ns: ls.duration_ns(),
                angle_bits: ls.angle_bits(),
                fidelity_bound: ls.fidelity_bound,
                fidelity_exact,
                loops_kept: ls
                    .pieces
                    .iter()
                    .filter(|p| matches!(p, Piece::Repeat { .. } | Piece::While { .. }))
                    .count(),
            };
            return print_report(args, &report, &target);
        }
    }
    let c = eqisa_pipeline::flatten_named(parsed, &args.file, &args.inputs.inputs)?;
    let lowered = lower(&c, &target, &options).map_err(lower_error)?;
    let p = &lowered.program;
    if let Some(out) = &args.output {
        super::write_qasm(p, out)?;
    }
    let report = Report {
        file,
        target: target.kind.name(),
        ops: p
            .counts()
            .into_iter()
            .map(|(k, v)| (k, u128::from(v)))
            .collect(),
        t_count: u128::from(p.t_count()),
        depth: u128::from(p.depth()),
        duration_ns: p.duration_ns,
        angle_bits: p.angle_bits,
        fidelity_bound: lowered.fidelity_bound,
        fidelity_exact: exact_fidelity(&c, p),
        loops_kept: 0,
    };
    print_report(args, &report, &target)
}

fn print_report(args: &Args, report: &Report, target: &TargetDesc) -> CmdResult {
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
