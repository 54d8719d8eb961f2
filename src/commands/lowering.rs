//! The lowering options `compile`, `assemble` and `train` share, as the pipeline's
//! [`LowerConfig`].

use std::path::PathBuf;

use eqisa_lower::target::{TargetKind, TwoQubit};
use eqisa_pipeline::{LowerConfig, SynthMethod};

/// Targets on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetArg {
    /// IBM-like continuous set: rz (virtual), sx, x, cz, measure, reset, delay, barrier.
    Native,
    /// h, s, sdg, t, tdg, x, y, z, cx, measure, reset, barrier.
    #[value(name = "clifford+t")]
    CliffordT,
}

impl TargetArg {
    /// The circuit crate's kind.
    pub fn kind(self) -> TargetKind {
        match self {
            TargetArg::Native => TargetKind::Native,
            TargetArg::CliffordT => TargetKind::CliffordT,
        }
    }
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

/// How to lower a circuit (shared by several commands).
#[derive(clap::Args, Clone, Debug)]
pub struct LowerArgs {
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
    /// Must be in (0, 1].
    #[arg(long, default_value_t = 0.999, conflicts_with = "eps", value_parser = parse_fidelity)]
    pub fidelity: f64,
    /// Per-rotation error (operator norm, up to phase) instead of a whole-circuit budget, on both
    /// targets: the Clifford+T synthesis error, or the native rz angle quantisation error.
    /// Must be in (0, 1); gridsynth reaches [1e-12, 0.5).
    #[arg(long, value_parser = parse_eps)]
    pub eps: Option<f64>,
    /// Solovay–Kitaev: length of the basic approximations (words over {h, t, tdg}), at most
    /// 24 (their number grows about 1.4-fold per letter).
    #[arg(long, default_value_t = 3, value_parser = parse_sk_depth)]
    pub sk_depth: usize,
    /// Solovay–Kitaev: recursion degree, at most 6 (each level makes words about five times
    /// longer).
    #[arg(long, default_value_t = 3, value_parser = parse_sk_recursion)]
    pub sk_recursion: usize,
}

/// A fidelity argument: a number in (0, 1].
pub fn parse_fidelity(s: &str) -> Result<f64, String> {
    let f: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number (a fidelity in (0, 1])"))?;
    if f > 0.0 && f <= 1.0 {
        Ok(f)
    } else {
        Err(format!("a fidelity must be in (0, 1] (1: exact), not {f}"))
    }
}

/// A per-rotation error argument: a number in (0, 1).
pub fn parse_eps(s: &str) -> Result<f64, String> {
    let e: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number (an error in (0, 1))"))?;
    if e > 0.0 && e < 1.0 {
        Ok(e)
    } else {
        Err(format!("an eps must be in (0, 1), not {e}"))
    }
}

/// A Solovay–Kitaev depth argument: 0 to [`eqisa_synth::sk::MAX_DEPTH`].
pub fn parse_sk_depth(s: &str) -> Result<usize, String> {
    let max = eqisa_synth::sk::MAX_DEPTH;
    match s.trim().parse::<usize>() {
        Ok(d) if d <= max => Ok(d),
        _ => Err(format!(
            "'{s}' is not a Solovay-Kitaev depth in 0..={max} (the basic approximations grow about 1.4-fold per letter: depth {max} is already some 10^5 words)"
        )),
    }
}

/// A Solovay–Kitaev recursion argument: 0 to [`eqisa_synth::sk::MAX_RECURSION`].
pub fn parse_sk_recursion(s: &str) -> Result<usize, String> {
    let max = eqisa_synth::sk::MAX_RECURSION;
    match s.trim().parse::<usize>() {
        Ok(d) if d <= max => Ok(d),
        _ => Err(format!(
            "'{s}' is not a Solovay-Kitaev recursion degree in 0..={max} (each level makes words about five times longer)"
        )),
    }
}

impl LowerArgs {
    /// The pipeline's lowering configuration these arguments ask for.
    pub fn config(&self) -> LowerConfig {
        LowerConfig {
            target: self.target.kind(),
            target_file: self.target_file.clone(),
            two_qubit: self.two_qubit.map(|tq| match tq {
                TwoQubitArg::Cz => TwoQubit::Cz,
                TwoQubitArg::Ecr => TwoQubit::Ecr,
            }),
            synth: match self.synth {
                SynthArg::Gridsynth => SynthMethod::Gridsynth,
                SynthArg::Sk => SynthMethod::SolovayKitaev,
            },
            fidelity: self.fidelity,
            eps: self.eps,
            sk_depth: self.sk_depth,
            sk_recursion: self.sk_recursion,
        }
    }
}
