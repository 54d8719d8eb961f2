//! The Clifford+T target's single-qubit synthesis: exact words where the unitary is Clifford+T,
//! otherwise gridsynth on the Z rotations of a ZYZ decomposition, or the paper's Solovay–Kitaev
//! on the whole unitary — with every approximation's error summed into a fidelity bound.

use rustc_hash::FxHashMap;

use super::program::NativeOp;
use eqisa_ir::matrix::Matrix;
use eqisa_synth::euler::zyz;
use eqisa_synth::exact::{exact_rz, exact_unitary};
use eqisa_synth::gridsynth::{MAX_EPSILON, MIN_EPSILON, synthesize_rz};
use eqisa_synth::sk::SolovayKitaev;
use eqisa_synth::{CliffordT, Word};

/// How single-qubit unitaries become Clifford+T words.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Synth {
    /// Ross–Selinger gridsynth on each Z rotation (three per generic unitary).
    Gridsynth,
    /// The EQISA paper's Solovay–Kitaev over {h, t, tdg}: basic approximations up to `depth`
    /// gates, recursion degree `recursion`.
    Sk { depth: usize, recursion: usize },
}

/// What the lowering must achieve: how far rotations may be approximated (Clifford+T synthesis)
/// or quantised (the native target's rz angles).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Budget {
    /// Whole-circuit state fidelity at least this.
    Fidelity(f64),
    /// Each approximated rotation within this operator-norm error (up to phase).
    Eps(f64),
    /// No approximation at all: the native target keeps raw f64 angles; on Clifford+T, a
    /// rotation without an exact Clifford+T form is an error.
    Exact,
}

/// Operator-norm distance between two single-qubit unitaries, minimised over global phase:
/// for `W = U†V` with eigenphases α, β, `min_φ ‖U − e^{iφ}V‖ = 2 sin(|α−β|/4) = √(2 − |tr W|)`.
pub fn distance_up_to_phase(u: &Matrix, v: &Matrix) -> f64 {
    let mut tr = num_complex::Complex64::new(0.0, 0.0);
    for r in 0..2 {
        for c in 0..2 {
            tr += u.get(r, c).conj() * v.get(r, c);
        }
    }
    (2.0 - tr.norm()).max(0.0).sqrt()
}

/// The largest total error δ (sum of per-rotation operator-norm errors) that still guarantees
/// state fidelity `f`: `|⟨ψ|φ⟩|² ≥ (1 − δ²/2)²`, so δ = √(2(1 − √f)).
pub fn error_for_fidelity(f: f64) -> f64 {
    (2.0 * (1.0 - f.clamp(0.0, 1.0).sqrt())).sqrt()
}

/// `1 −` [`fidelity_for_error`]`(δ)`, computed as `δ²(1 − δ²/4)` so that the tiny
/// infidelities of fine budgets are not lost to cancellation against 1.
pub fn infidelity_for_error(delta: f64) -> f64 {
    if delta >= std::f64::consts::SQRT_2 {
        1.0
    } else {
        let d2 = delta * delta;
        d2 * (1.0 - d2 / 4.0)
    }
}

/// The state-fidelity bound implied by a total operator-norm error δ.
pub fn fidelity_for_error(delta: f64) -> f64 {
    if delta >= std::f64::consts::SQRT_2 {
        0.0
    } else {
        (1.0 - delta * delta / 2.0).powi(2)
    }
}

/// Why synthesis failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SynthError {
    #[error("gridsynth: {0}")]
    Gridsynth(String),
    #[error("Solovay-Kitaev: {0}")]
    Sk(String),
    #[error(
        "{0} has no exact Clifford+T form and the budget is exact (give a fidelity or an eps budget)"
    )]
    Inexact(String),
    /// A per-rotation error gridsynth cannot work to.
    #[error(
        "{rotation} needs approximating, but an eps of {eps:e} is outside what gridsynth reaches, [{MIN_EPSILON:e}, {MAX_EPSILON})"
    )]
    EpsOutOfRange {
        /// The rotation to approximate.
        rotation: String,
        /// The per-rotation error asked for.
        eps: f64,
    },
}

/// Synthesises single-qubit unitaries, caching repeated Z rotations, and accounts the error.
pub struct Synthesizer {
    synth: Synth,
    /// Per-rotation error target (gridsynth); `None` while counting.
    eps: Option<f64>,
    /// Refuse every approximation ([`Budget::Exact`]).
    exact_only: bool,
    sk: Option<SolovayKitaev>,
    rz_cache: FxHashMap<u64, Word>,
    /// Sum of the operator-norm errors of every approximation made.
    pub total_error: f64,
    /// Approximations made (rotations for gridsynth, unitaries for Solovay–Kitaev).
    pub approximations: u64,
}

impl Synthesizer {
    /// A synthesiser that only counts the approximations a program needs (no synthesis).
    pub fn counting(synth: Synth) -> Self {
        Synthesizer {
            synth,
            eps: None,
            exact_only: false,
            sk: None,
            rz_cache: FxHashMap::default(),
            total_error: 0.0,
            approximations: 0,
        }
    }

    /// A synthesiser that approximates each rotation within `eps` (gridsynth), or with the
    /// given Solovay–Kitaev parameters.
    ///
    /// # Errors
    /// A Solovay–Kitaev depth above [`eqisa_synth::sk::MAX_DEPTH`].
    pub fn new(synth: Synth, eps: f64) -> Result<Self, SynthError> {
        let sk = match synth {
            Synth::Sk { depth, .. } => {
                Some(SolovayKitaev::new(depth).map_err(|e| SynthError::Sk(e.to_string()))?)
            }
            Synth::Gridsynth => None,
        };
        Ok(Synthesizer {
            synth,
            eps: Some(eps),
            exact_only: false,
            sk,
            rz_cache: FxHashMap::default(),
            total_error: 0.0,
            approximations: 0,
        })
    }

    /// A synthesiser that emits only exact Clifford+T words and fails on anything else
    /// ([`Budget::Exact`]).
    pub fn exact(synth: Synth) -> Self {
        Synthesizer {
            exact_only: true,
            ..Self::counting(synth)
        }
    }

    fn rz(&mut self, theta: f64, out: &mut Vec<NativeOp>) -> Result<(), SynthError> {
        if let Some(w) = exact_rz(theta) {
            push_word(&w, out);
            return Ok(());
        }
        if self.exact_only {
            return Err(SynthError::Inexact(format!("rz({theta})")));
        }
        self.approximations += 1;
        let Some(eps) = self.eps else {
            return Ok(());
        };
        // Refused here, with the rotation that needs it, rather than by gridsynth in its terms.
        if !(MIN_EPSILON..MAX_EPSILON).contains(&eps) {
            return Err(SynthError::EpsOutOfRange {
                rotation: format!("rz({theta})"),
                eps,
            });
        }
        let key = theta.to_bits();
        let word = match self.rz_cache.get(&key) {
            Some(w) => w.clone(),
            None => {
                let w =
                    synthesize_rz(theta, eps).map_err(|e| SynthError::Gridsynth(e.to_string()))?;
                self.rz_cache.insert(key, w.clone());
                w
            }
        };
        // Measured on the word with its stored (optimal) phase: accurate where the trace
        // formula of `distance_up_to_phase` would lose the tiny errors to cancellation.
        self.total_error += eqisa_synth::gridsynth::rz_error(&word, theta);
        push_word(&word, out);
        Ok(())
    }

    /// The Clifford+T operations (time order) for a single-qubit unitary.
    pub fn unitary(&mut self, u: &Matrix, out: &mut Vec<NativeOp>) -> Result<(), SynthError> {
        if let Some(w) = exact_unitary(u) {
            push_word(&w, out);
            return Ok(());
        }
        match self.synth {
            Synth::Gridsynth => {
                let e = zyz(u);
                if e.theta.abs() < 1e-12 {
                    return self.rz(e.phi + e.lambda, out);
                }
                // U ∝ Rz(φ)·Ry(θ)·Rz(λ) and Ry(θ) = S·H·Rz(θ)·H·S†, S ∝ Rz(π/2):
                // U ∝ Rz(φ + π/2)·H·Rz(θ)·H·Rz(λ − π/2).
                let half = std::f64::consts::FRAC_PI_2;
                self.rz(e.lambda - half, out)?;
                out.push(NativeOp::H);
                self.rz(e.theta, out)?;
                out.push(NativeOp::H);
                self.rz(e.phi + half, out)
            }
            Synth::Sk { .. } if self.exact_only => Err(SynthError::Inexact(
                "a single-qubit unitary (Solovay-Kitaev mode)".into(),
            )),
            Synth::Sk { recursion, .. } => {
                self.approximations += 1;
                let Some(sk) = &self.sk else {
                    return Ok(());
                };
                let w = sk
                    .run(u, recursion)
                    .map_err(|e| SynthError::Sk(e.to_string()))?;
                self.total_error += distance_up_to_phase(&w.matrix(), u);
                push_word(&w, out);
                Ok(())
            }
        }
    }
}

fn push_word(w: &Word, out: &mut Vec<NativeOp>) {
    out.extend(w.gates.iter().map(|g| match g {
        CliffordT::H => NativeOp::H,
        CliffordT::S => NativeOp::S,
        CliffordT::Sdg => NativeOp::Sdg,
        CliffordT::T => NativeOp::T,
        CliffordT::Tdg => NativeOp::Tdg,
        CliffordT::X => NativeOp::X,
        CliffordT::Y => NativeOp::Y,
        CliffordT::Z => NativeOp::Z,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fidelity_and_error_budgets_are_inverse() {
        for f in [0.5, 0.9, 0.99, 0.999, 0.999999] {
            let d = error_for_fidelity(f);
            assert!((fidelity_for_error(d) - f).abs() < 1e-12, "{f}");
        }
        assert_eq!(fidelity_for_error(0.0), 1.0);
    }

    #[test]
    fn distance_is_phase_insensitive_and_matches_the_operator_norm() {
        let a = eqisa_synth::euler::rz(0.3);
        assert!(distance_up_to_phase(&a, &a.with_phase(1.2)) < 1e-7);
        // rz(0) vs rz(δ): eigenphases differ by δ, distance 2 sin(δ/4).
        let d = 0.01;
        let got = distance_up_to_phase(&eqisa_synth::euler::rz(0.0), &eqisa_synth::euler::rz(d));
        assert!((got - 2.0 * (d / 4.0).sin()).abs() < 1e-9, "{got}");
    }
}
