//! The gridsynth driver: input checks, the search over the two grid problems under the
//! precision lock, and the checked conversion of the unitary found into a Clifford+T word.

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_PI_4};
use std::ops::ControlFlow;

use dashu_int::IBig;
use rsgridsynth::common;
use rsgridsynth::config::parse_decimal_with_exponent;
use rsgridsynth::grid_op::{EllipsePair, GridOp};
use rsgridsynth::gridsynth::UnitDisk;
use rsgridsynth::region::Rectangle;
use rsgridsynth::ring::{DOmega, ZOmega, ZRootTwo};
use rsgridsynth::synthesis_of_clifford_t::decompose_domega_unitary;
use rsgridsynth::tdgp::Region;
use rsgridsynth::unitary::DOmegaUnitary;

use eqisa_ir::matrix::{C64, Matrix};

use super::diophantine;
use super::epsilon::{self, EpsilonRegion};
use super::grid;
use super::precision;
use super::ring::{Euclidean, Zr2, Zw};
use super::rng::{SplitMix64, mix};
use super::upright;
use crate::alphabet::{CliffordT, Word};
use crate::exact::{exact_rz, wrap_phase};

/// Smallest accepted ε. The result is verified in `f64` with an accuracy of about 1e-15, and
/// the search aims slightly inside ε (by a factor 1 − 2^-8) so that verification never rejects
/// a correct word; below 1e-12 that margin would drown in rounding.
pub const MIN_EPSILON: f64 = 1e-12;

/// Accepted ε are below this: at 0.5 and above the question degenerates (the identity is
/// already within ~0.4 of many rotations) and the grid geometry is not meant for it.
pub const MAX_EPSILON: f64 = 0.5;

/// Largest accepted |θ|: beyond 2^50 consecutive doubles are more than 1/8 rad apart, so the
/// angle carries no meaningful value.
pub const MAX_ABS_THETA: f64 = 1_125_899_906_842_624.0; // 2^50

/// The search targets ε·(1 − SEARCH_MARGIN), leaving room for the `f64` verification's rounding
/// (≈1e-15) at every accepted ε; it costs about 3·log2(1/(1 − 2^-8)) ≈ 0.02 T gates.
const SEARCH_MARGIN: f64 = 1.0 / 256.0;

/// Why [`synthesize_rz`] produced no word.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GridsynthError {
    /// ε is not a finite number in `[MIN_EPSILON, MAX_EPSILON)`.
    #[error("epsilon must be in [1e-12, 0.5), got {epsilon}")]
    InvalidEpsilon {
        /// The rejected ε.
        epsilon: f64,
    },
    /// θ is not finite or its magnitude exceeds [`MAX_ABS_THETA`].
    #[error("theta must be finite with |theta| <= 2^50, got {theta}")]
    InvalidAngle {
        /// The rejected θ.
        theta: f64,
    },
    /// The bounded search (denominator exponent and candidate count) ran out without a
    /// candidate whose Diophantine equation the bounded factoring could solve.
    #[error(
        "no Clifford+T approximation of rz({theta}) within {epsilon} found within the search budget"
    )]
    NoSolution {
        /// The angle.
        theta: f64,
        /// The requested error.
        epsilon: f64,
    },
    /// The verified error of the synthesised word exceeds ε (never expected; reported rather
    /// than returning a weaker approximation).
    #[error("synthesised word has error {error:e}, above the requested {epsilon:e}")]
    ErrorTooLarge {
        /// The measured operator-norm error, minimised over global phase.
        error: f64,
        /// The requested error.
        epsilon: f64,
    },
    /// rsgridsynth panicked or produced output this module cannot interpret (a bug).
    #[error("internal gridsynth failure: {0}")]
    Internal(String),
}

/// A Clifford+T word approximating Qiskit's `rz(θ) = diag(e^{-iθ/2}, e^{iθ/2})` to within
/// operator-norm error `epsilon`, with `phase` set to the global phase that minimises the error.
///
/// Angles that are multiples of π/4 get their exact word ([`exact_rz`]). Otherwise the word has
/// the optimal T-count of the Ross–Selinger up-to-phase search (≈ 3·log2(1/ε) + O(1)), found as
/// described in the [module documentation](super). The result is checked: `word.matrix()` is
/// within `epsilon` of `rz(θ)` in operator norm, or an error is returned.
///
/// The same `(theta, epsilon)` always gives the same letters (see *Determinism* in the
/// [module documentation](super)).
///
/// # Errors
/// [`GridsynthError::InvalidEpsilon`] / [`GridsynthError::InvalidAngle`] for inputs out of
/// range; [`GridsynthError::NoSolution`] if the bounded search finds nothing;
/// [`GridsynthError::ErrorTooLarge`] / [`GridsynthError::Internal`] for failures of the checks.
pub fn synthesize_rz(theta: f64, epsilon: f64) -> Result<Word, GridsynthError> {
    if !epsilon.is_finite() || !(MIN_EPSILON..MAX_EPSILON).contains(&epsilon) {
        return Err(GridsynthError::InvalidEpsilon { epsilon });
    }
    if !theta.is_finite() || theta.abs() > MAX_ABS_THETA {
        return Err(GridsynthError::InvalidAngle { theta });
    }
    let target = rz_matrix(theta);
    if let Some(word) = exact_rz(theta) {
        return checked(word, &target, epsilon);
    }

    let found = run_locked(theta, epsilon)?;
    let (matrix_order, omega_power) = parse_gates(&found.gates)?;
    let gates = circuit_order(matrix_order);

    // The exact unitary found is M = ω^m · L, where L is the product of the letters. Its best
    // phase against the target is ψ = arg tr(M† R), so the word's own phase is ψ + m·π/4.
    let psi = trace(&found.matrix.adjoint(), &target).arg();
    let word = Word {
        gates,
        phase: wrap_phase(psi + f64::from(omega_power) * FRAC_PI_4),
    };
    // The letters must multiply out to the exact unitary: this catches any misreading of
    // rsgridsynth's output (a wrong letter or order changes the product by O(1)).
    let exact = found.matrix.with_phase(psi);
    if word.matrix().max_abs_diff(&exact) > 1e-9 {
        return Err(GridsynthError::Internal(format!(
            "gate string {:?} does not multiply out to the synthesised unitary",
            found.gates
        )));
    }
    // The error is measured on the exact unitary (accurate to ~1e-15), not on the f64 product
    // of hundreds of letters (accurate to ~1e-13).
    let error = operator_norm(&sub(&exact, &target));
    if error > epsilon {
        return Err(GridsynthError::ErrorTooLarge { error, epsilon });
    }
    Ok(word)
}

/// Operator-norm distance `‖word.matrix() − rz(θ)‖` (global phase included, as stored in the
/// word), with Qiskit's `rz(θ) = diag(e^{-iθ/2}, e^{iθ/2})`.
pub fn rz_error(word: &Word, theta: f64) -> f64 {
    operator_norm(&sub(&word.matrix(), &rz_matrix(theta)))
}

/// Largest singular value of a 2×2 matrix.
fn operator_norm(m: &Matrix) -> f64 {
    let (a, b, c, d) = (m.get(0, 0), m.get(0, 1), m.get(1, 0), m.get(1, 1));
    // M†M = [[p, q], [q̄, s]]; its largest eigenvalue is the squared norm.
    let p = a.norm_sqr() + c.norm_sqr();
    let s = b.norm_sqr() + d.norm_sqr();
    let q = a.conj() * b + c.conj() * d;
    let half_gap = (p - s) / 2.0;
    let lambda = (p + s) / 2.0 + (half_gap * half_gap + q.norm_sqr()).sqrt();
    lambda.max(0.0).sqrt()
}

fn sub(a: &Matrix, b: &Matrix) -> Matrix {
    Matrix::from_vec(
        1,
        a.data().iter().zip(b.data()).map(|(x, y)| x - y).collect(),
    )
}

fn trace(a: &Matrix, b: &Matrix) -> C64 {
    let p = a.mul(b);
    p.get(0, 0) + p.get(1, 1)
}

fn rz_matrix(theta: f64) -> Matrix {
    let half = C64::from_polar(1.0, theta / 2.0);
    Matrix::from_diagonal(1, &[half.conj(), half])
}

/// Returns `word` if it is within `epsilon` of `target`, else the measured error.
fn checked(word: Word, target: &Matrix, epsilon: f64) -> Result<Word, GridsynthError> {
    let error = operator_norm(&sub(&word.matrix(), target));
    if error > epsilon {
        return Err(GridsynthError::ErrorTooLarge { error, epsilon });
    }
    Ok(word)
}

/// rsgridsynth's gate string, in matrix-product order (first letter leftmost, i.e. applied
/// last), as letters in that order plus the power m of the global phase ω = e^{iπ/4} that its
/// `W` letters stand for.
fn parse_gates(s: &str) -> Result<(Vec<CliffordT>, u32), GridsynthError> {
    let mut letters = Vec::with_capacity(s.len());
    let mut omega = 0u32;
    for ch in s.chars() {
        match ch {
            'H' => letters.push(CliffordT::H),
            'S' => letters.push(CliffordT::S),
            'T' => letters.push(CliffordT::T),
            'X' => letters.push(CliffordT::X),
            'W' => omega = (omega + 1) % 8,
            // The identity is spelled "I" when nothing else remains.
            'I' => {}
            other => {
                return Err(GridsynthError::Internal(format!(
                    "unexpected letter {other:?} in rsgridsynth output {s:?}"
                )));
            }
        }
    }
    Ok((letters, omega))
}

/// Reverses matrix-product order into circuit order (first letter acts first) and writes runs
/// of S compactly: S·S = Z and S·S·S = S† exactly.
fn circuit_order(matrix_order: Vec<CliffordT>) -> Vec<CliffordT> {
    let mut out = Vec::with_capacity(matrix_order.len());
    let mut run = 0usize;
    let flush = |run: &mut usize, out: &mut Vec<CliffordT>| {
        match *run % 4 {
            1 => out.push(CliffordT::S),
            2 => out.push(CliffordT::Z),
            3 => out.push(CliffordT::Sdg),
            _ => {}
        }
        *run = 0;
    };
    for g in matrix_order.into_iter().rev() {
        if g == CliffordT::S {
            run += 1;
        } else {
            flush(&mut run, &mut out);
            out.push(g);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// What the locked search found: rsgridsynth's gate string and the exact unitary it spells.
struct Found {
    gates: String,
    matrix: Matrix,
}

/// Runs [`search`] under the lock, turning a panic inside rsgridsynth into an error.
fn run_locked(theta: f64, epsilon: f64) -> Result<Found, GridsynthError> {
    let _guard = precision::lock();
    match std::panic::catch_unwind(|| search(theta, epsilon)) {
        Ok(result) => result,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string());
            Err(GridsynthError::Internal(format!(
                "rsgridsynth panicked: {msg}"
            )))
        }
    }
}

/// The exact decimal expansion of a double as (numerator, denominator): `{:.800e}` prints every
/// significant digit of any f64 (at most 767), so nothing is rounded.
fn exact_decimal(x: f64) -> Result<(IBig, IBig), GridsynthError> {
    parse_decimal_with_exponent(&format!("{x:.800e}"))
        .ok_or_else(|| GridsynthError::Internal(format!("cannot parse {x:e} as a decimal")))
}

/// Working precision in bits for ε, as rsgridsynth's `config_from_theta_epsilon` chooses it
/// (12 bits per decimal digit of ε, at least 16).
fn precision_bits(epsilon: f64) -> usize {
    let digits = (-epsilon.log10() - 1e-9).ceil().max(0.0);
    // ε ≥ 1e-12, so `digits` ≤ 12 and the cast is exact.
    (12 * digits as usize).max(16)
}

/// One of the two grid problems of the up-to-phase search: the ε-region of `rz(θ)` itself
/// (`shifted == false`) or of `e^{iπ/8}`-rotated unitaries (`shifted == true`, Ross–Selinger
/// §9 scaling by 2 ± √2), with its upright transformation.
struct GridProblem {
    region: EpsilonRegion,
    disk: UnitDisk,
    op: GridOp,
    bbox_region: Rectangle,
    bbox_disk: Rectangle,
    shifted: bool,
}

impl GridProblem {
    /// The problem's k-independent grid-search state; `None` if its operator is not special.
    fn tdgp(&self) -> Option<grid::Tdgp<'_, EpsilonRegion, UnitDisk>> {
        grid::Tdgp::new(
            &self.region,
            &self.disk,
            &self.op,
            &self.bbox_region,
            &self.bbox_disk,
        )
    }

    /// Makes the pair upright with the step-lemma reduction ([`upright`]).
    fn new(
        consts: &mut upright::Consts,
        region: EpsilonRegion,
        disk: UnitDisk,
        shifted: bool,
    ) -> Result<Self, GridsynthError> {
        let op = upright::to_upright(consts, &Region::ellipse(&region), &Region::ellipse(&disk))
            .ok_or_else(|| {
                GridsynthError::Internal("step-lemma reduction did not finish".into())
            })?;
        Self::with_operator(consts, region, disk, op, shifted)
    }

    /// Reuses another problem's upright operator, as pygridsynth's up-to-phase search does: the
    /// shifted ellipses are rescalings of the exact ones, and uprightness is scale-invariant.
    /// Any special grid operator gives a correct enumeration (it only affects its speed), and the
    /// step-lemma reduction is the single most expensive part of a synthesis.
    fn with_operator(
        consts: &mut upright::Consts,
        region: EpsilonRegion,
        disk: UnitDisk,
        op: GridOp,
        shifted: bool,
    ) -> Result<Self, GridsynthError> {
        let pair = EllipsePair::new(Region::ellipse(&region), Region::ellipse(&disk));
        let pair = consts
            .apply_pair(&op, pair, true)
            .ok_or_else(|| GridsynthError::Internal("upright operator is not special".into()))?;
        let (bbox_region, bbox_disk) = (pair.a.bbox(), pair.b.bbox());
        Ok(GridProblem {
            region,
            disk,
            op,
            bbox_region,
            bbox_disk,
            shifted,
        })
    }
}

/// Upper bound on the denominator exponent k tried; the answer is found near
/// k ≈ 1.5·log2(1/ε) + O(1), so this is several times more than ever needed.
fn max_k(epsilon: f64) -> i64 {
    // ε ≥ 1e-12 keeps this small and positive.
    (8.0 * (1.0 / epsilon).log2()) as i64 + 64
}

/// Upper bound on the candidates whose Diophantine equation is attempted.
const MAX_CANDIDATES: usize = 20_000;

/// The Ross–Selinger search: for k = 0, 1, …, enumerate the grid points z of each grid problem
/// and accept the first whose Diophantine equation w†w = 1 − z†z is solved. Called with the
/// rsgridsynth lock held.
fn search(theta: f64, epsilon: f64) -> Result<Found, GridsynthError> {
    let search_epsilon = epsilon * (1.0 - SEARCH_MARGIN);
    let seed = mix(theta.to_bits() ^ mix(epsilon.to_bits()));

    // Same order of precision changes as rsgridsynth's `config_from_theta_epsilon`: θ is read at
    // the initial 1000 bits, ε and everything after at the working precision. π and τ are forced
    // while the precision is 1000 bits, so they are never frozen at a lower one.
    precision::reset();
    let (theta_num, theta_den) = exact_decimal(theta)?;
    let theta_big = common::ib_to_bf_prec(theta_num) / common::ib_to_bf_prec(theta_den);
    common::set_prec_bits(precision_bits(epsilon));
    let (eps_num, eps_den) = exact_decimal(search_epsilon)?;
    let eps_big = common::ib_to_bf_prec(eps_num) / common::ib_to_bf_prec(eps_den);

    let int = |a: i64, b: i64| ZRootTwo::new(IBig::from(a), IBig::from(b));
    let direction = epsilon::direction(&theta_big);
    let mut upright_consts = upright::Consts::new();
    let exact = GridProblem::new(
        &mut upright_consts,
        EpsilonRegion::new(&direction, eps_big.clone(), int(1, 0)),
        UnitDisk::new(int(1, 0)),
        false,
    )?;
    let shifted = GridProblem::with_operator(
        &mut upright_consts,
        EpsilonRegion::new(&direction, eps_big, int(2, 1)),
        UnitDisk::new(int(2, -1)),
        exact.op.clone(),
        true,
    )?;

    let mut consts = grid::Consts::new();
    let internal = || GridsynthError::Internal("grid problem solver failed".into());
    let exact_tdgp = exact.tdgp().ok_or_else(internal)?;
    let shifted_tdgp = shifted.tdgp().ok_or_else(internal)?;

    let mut attempts = 0usize;
    let (mut k, mut use_shifted) = (0i64, false);
    while k <= max_k(search_epsilon) {
        let (problem, tdgp) = if use_shifted {
            (&shifted, &shifted_tdgp)
        } else {
            (&exact, &exact_tdgp)
        };
        let mut outcome = None;
        // A break is always accompanied by `outcome`.
        let _ = tdgp
            .solve(&mut consts, k, &mut |z| {
                if (&z * z.conj()).residue() == 0 {
                    return ControlFlow::Continue(());
                }
                attempts += 1;
                if attempts > MAX_CANDIDATES {
                    outcome = Some(Err(GridsynthError::NoSolution { theta, epsilon }));
                    return ControlFlow::Break(());
                }
                let mut rng = SplitMix64::new(mix(seed ^ mix(attempts as u64)));
                match try_candidate(z, problem.shifted, &mut rng) {
                    Some(unitary) => {
                        let matrix = domega_matrix(&unitary);
                        let gates = decompose_domega_unitary(unitary);
                        outcome = Some(Ok(Found { gates, matrix }));
                        ControlFlow::Break(())
                    }
                    None => ControlFlow::Continue(()),
                }
            })
            .ok_or_else(internal)?;
        if let Some(result) = outcome {
            return result;
        }
        // pygridsynth's interleaving of the two problems: (0,F) (1,F) (0,T) (1,T) (2,F), then
        // (k+1,T) before (k+1,F), cheapest T-count first.
        (k, use_shifted) = match (k, use_shifted) {
            (0, false) => (1, false),
            (1, false) => (0, true),
            (0, true) => (1, true),
            (1, true) => (2, false),
            (k, false) => (k + 1, true),
            (k, true) => (k, false),
        };
    }
    Err(GridsynthError::NoSolution { theta, epsilon })
}

/// Completes the grid point z (first column entry) to a unitary by solving w†w = 1 − z†z.
fn try_candidate(z: DOmega, shifted: bool, rng: &mut SplitMix64) -> Option<DOmegaUnitary> {
    let z = if shifted {
        // Multiply by (ω − ω²)/√2, the phase-shift factor of the shifted problem.
        &z * &DOmega::new(
            ZOmega::new(IBig::ZERO, IBig::NEG_ONE, IBig::ONE, IBig::ZERO),
            1,
        )
    } else {
        z
    };
    // 1 − z†z as α/√2^k with α ∈ Z[√2].
    let zz = z.conj() * &z;
    let zz_real = Zw::from_theirs(&zz.u).to_zr2()?;
    let k = zz.k;
    let one = Zr2::sqrt2_pow(k)?;
    let xi = one.sub(&zz_real);
    let w = diophantine::dyadic(xi, k, rng)?;
    let w = DOmega::new(w.0.to_theirs(), w.1);

    // pygridsynth's choice of the column's phase: the one that keeps the denominator smallest.
    let mut z = z.reduce_denomexp();
    let mut w = w.reduce_denomexp();
    if z.k > w.k {
        w = w.renew_denomexp(z.k);
    } else if z.k < w.k {
        z = z.renew_denomexp(w.k);
    }
    let k1 = (z.clone() + w.clone()).reduce_denomexp().k;
    let k2 = (z.clone() + w.mul_by_omega()).reduce_denomexp().k;
    let k3 = (z.clone() + w.mul_by_omega_inv()).reduce_denomexp().k;
    Some(if shifted {
        // n = 7: the unitary's second column carries ω^7 = e^{-iπ/4}.
        if k1 <= k2 && k1 <= k3 {
            DOmegaUnitary::new(z, w, 7, None)
        } else {
            DOmegaUnitary::new(z, w.mul_by_omega_inv(), 7, None)
        }
    } else if k1 <= k2 {
        DOmegaUnitary::new(z, w, 0, None)
    } else {
        DOmegaUnitary::new(z, w.mul_by_omega(), 0, None)
    })
}

/// The exact unitary as an `f64` matrix, each entry rounded once or twice (the integer
/// coefficients are combined exactly before conversion).
fn domega_matrix(u: &DOmegaUnitary) -> Matrix {
    let m = u.to_matrix();
    let data = [&m[0][0], &m[0][1], &m[1][0], &m[1][1]]
        .into_iter()
        .map(domega_value)
        .collect();
    Matrix::from_vec(1, data)
}

/// (aω³ + bω² + cω + d)/√2^k = (d + (c − a)/√2 + i(b + (c + a)/√2)) / √2^k.
fn domega_value(x: &DOmega) -> C64 {
    let f = |v: &IBig| v.to_f64().value();
    let u = &x.u;
    let re = f(&u.d) + f(&(&u.c - &u.a)) * FRAC_1_SQRT_2;
    let im = f(&u.b) + f(&(&u.c + &u.a)) * FRAC_1_SQRT_2;
    // Denominator exponents stay in the hundreds, far inside i32.
    let k = i32::try_from(x.k).unwrap_or(i32::MAX);
    let mut scale = 0.5f64.powi(k.div_euclid(2));
    if k.rem_euclid(2) == 1 {
        scale *= FRAC_1_SQRT_2;
    }
    C64::new(re * scale, im * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_matrix_order_and_omegas() {
        let (letters, m) = parse_gates("HTSSSXWWW").expect("valid");
        assert_eq!(m, 3);
        assert_eq!(
            circuit_order(letters),
            vec![CliffordT::X, CliffordT::Sdg, CliffordT::T, CliffordT::H]
        );
        assert_eq!(parse_gates("I").expect("valid").0, vec![]);
        assert!(parse_gates("HQ").is_err());
        assert_eq!(
            circuit_order(vec![CliffordT::S, CliffordT::S]),
            vec![CliffordT::Z]
        );
    }
}
