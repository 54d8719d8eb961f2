//! `eqisa compile`: lower a circuit to a native target, schedule it, and report what it cost.

use std::collections::BTreeMap;
use std::path::PathBuf;

use eqisa_circuits::lower::clifford_t::{Budget, Synth};
use eqisa_circuits::lower::simulate::exact_fidelity;
use eqisa_circuits::lower::target::{TargetDesc, TargetKind, TwoQubit};
use eqisa_circuits::lower::{LowerOptions, lower};
use serde::Serialize;

use super::CmdResult;

/// Targets on the command line.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum TargetArg {
    /// IBM-like continuous set: rz (virtual), sx, x, cz, measure, reset, delay, barrier.
    Native,
    /// h, s, sdg, t, tdg, x, y, z, cx, measure, reset, barrier.
    #[value(name = "clifford+t")]
    CliffordT,
}

/// Entangling gates of the native target.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum TwoQubitArg {
    /// Controlled-Z (IBM Heron).
    Cz,
    /// Echoed cross-resonance (IBM Eagle).
    Ecr,
}

/// Single-qubit synthesis methods for the Clifford+T target.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum SynthArg {
    /// Ross–Selinger gridsynth on Z rotations: near-optimal T-count at the ε the budget allows.
    Gridsynth,
    /// Solovay–Kitaev over {h, t, tdg}, as the EQISA paper does (see --sk-depth, --sk-recursion).
    Sk,
}

/// Arguments of `eqisa compile`.
#[derive(clap::Args)]
pub struct Args {
    /// OpenQASM 2 or 3 file (`-` for standard input).
    pub file: PathBuf,
    /// The native gate set to lower to.
    #[arg(long, value_enum, default_value = "native")]
    pub target: TargetArg,
    /// A target description (TOML: name, kind, dt_ns, [durations_ns]) replacing the embedded
    /// default's gate durations. Its kind must match --target.
    #[arg(long, value_name = "TOML")]
    pub target_file: Option<PathBuf>,
    /// The native target's entangling gate (overrides the target description).
    #[arg(long, value_enum)]
    pub two_qubit: Option<TwoQubitArg>,
    /// How the Clifford+T target synthesises single-qubit rotations.
    #[arg(long, value_enum, default_value = "gridsynth")]
    pub synth: SynthArg,
    /// Whole-circuit fidelity budget, on both targets: the error it allows is split evenly over
    /// the rotations, which Clifford+T synthesises within their share and the native target
    /// quantises its rz angles to (the coarsest angle grid that fits; 1 keeps native angles exact
    /// f64). A Clifford+T result whose bound falls short is refused.
    #[arg(long, default_value_t = 0.999, conflicts_with = "eps")]
    pub fidelity: f64,
    /// Per-rotation error (operator norm, up to phase) instead of a whole-circuit budget, on both
    /// targets: the Clifford+T synthesis error, or the native rz angle quantisation error.
    #[arg(long)]
    pub eps: Option<f64>,
    /// Solovay–Kitaev: length of the basic approximations (words over {h, t, tdg}).
    #[arg(long, default_value_t = 3)]
    pub sk_depth: usize,
    /// Solovay–Kitaev: recursion degree.
    #[arg(long, default_value_t = 3)]
    pub sk_recursion: usize,
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
    let kind = match args.target {
        TargetArg::Native => TargetKind::Native,
        TargetArg::CliffordT => TargetKind::CliffordT,
    };
    let target = match &args.target_file {
        Some(path) => {
            let d = TargetDesc::from_file(path)?;
            if d.kind != kind {
                return Err(format!(
                    "{}: describes a {} target, but --target is {}",
                    path.display(),
                    d.kind.name(),
                    kind.name()
                )
                .into());
            }
            d
        }
        None => TargetDesc::default_for(kind),
    };
    let mut target = target;
    if let Some(tq) = args.two_qubit {
        target.two_qubit = match tq {
            TwoQubitArg::Cz => TwoQubit::Cz,
            TwoQubitArg::Ecr => TwoQubit::Ecr,
        };
        if target.duration(target.two_qubit.name()) == 0.0
            && !target.durations_ns.contains_key(target.two_qubit.name())
        {
            return Err(format!(
                "the target description gives no duration for '{}'",
                target.two_qubit.name()
            )
            .into());
        }
    }
    if !(args.fidelity > 0.0 && args.fidelity <= 1.0) {
        return Err(format!("--fidelity must be in (0, 1], not {}", args.fidelity).into());
    }
    let budget = match args.eps {
        Some(e) if e > 0.0 && e < 1.0 => Budget::Eps(e),
        Some(e) => return Err(format!("--eps must be in (0, 1), not {e}").into()),
        None => Budget::Fidelity(args.fidelity),
    };
    let synth = match args.synth {
        SynthArg::Gridsynth => Synth::Gridsynth,
        SynthArg::Sk => Synth::Sk {
            depth: args.sk_depth,
            recursion: args.sk_recursion,
        },
    };
    let c = crate::input::load(&args.file)?;
    let lowered = lower(&c, &target, &LowerOptions { synth, budget })?;
    let p = &lowered.program;
    if let Some(out) = &args.output {
        let text = match p.to_qasm2() {
            Some(t) => t,
            None => {
                eprintln!(
                    "note: {}: written as OpenQASM 3: its conditions have no OpenQASM 2 form (only 'if (creg == n)' has)",
                    out.display()
                );
                p.to_qasm3()
            }
        };
        std::fs::write(out, text).map_err(|e| format!("{}: {e}", out.display()))?;
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
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("file            {}", report.file);
    println!("target          {} ({})", report.target, target.name);
    println!("ops             {}", report.ops.values().sum::<u64>());
    for (name, n) in &report.ops {
        println!("  {name:<14} {n}");
    }
    println!("t_count         {}", report.t_count);
    println!("depth           {}", report.depth);
    println!("duration        {:.1} ns", report.duration_ns);
    match (kind, report.angle_bits) {
        (TargetKind::CliffordT, _) => println!("angle bits      none (no rz)"),
        (_, 0) => println!("angle bits      exact (f64)"),
        (_, b) => println!("angle bits      {b}"),
    }
    println!("fidelity bound  {}", report.fidelity_bound);
    match report.fidelity_exact {
        Some(f) => println!("fidelity exact  {f:.12}"),
        None => println!("fidelity exact  not computed (more than 10 qubits, or dynamic)"),
    }
    Ok(())
}
