//! Ross–Selinger gridsynth: Clifford+T approximations of `rz(θ)` with optimal T-count, built on
//! the geometry of the [`rsgridsynth`] crate.
//!
//! # What comes from rsgridsynth and what does not
//!
//! rsgridsynth's top-level `gridsynth_gates` is not used, for three reasons found in its source
//! (0.2.2):
//!
//! * Its Diophantine step (`diophantine.rs`) stops factoring on **wall-clock** timeouts
//!   (`diophantine_timeout`, `factoring_timeout`), so which candidate is accepted — and so the
//!   word and even its T-count — depends on machine load. Making the timeouts huge is no fix:
//!   when a probabilistic square-root step fails (probability 1/256 per prime) it runs Pollard
//!   rho on a *prime* of ~100 bits, whose inner loop only ends after ~2^50 steps.
//! * It memoises primality, square roots, factors and Diophantine solutions in process-wide
//!   caches (some caching *failures*), so a result depends on what was synthesised before in the
//!   same process; with `try_lock` the cache use even depends on thread timing.
//! * Its working precision is a process-wide atomic (`common::PREC_BITS`) set per call, and the
//!   lazily initialised π (`common::PI`) keeps the precision that was current when it was first
//!   touched — a first call at ε = 1e-2 would leave a 24-bit π for every later call.
//!
//! This module therefore keeps rsgridsynth's unit disk (`UnitDisk`) and its exact decomposition
//! of the found unitary (`decompose_domega_unitary`), ports its ε-region (`EpsilonRegion`, in
//! the private `epsilon` module, so that the two grid problems share one evaluation of the
//! cosine and sine of θ/2, whose Taylor series also stops once the rest provably cannot change
//! the rounded result), ports its grid
//! solvers (`solve_tdgp` and the one-dimensional solvers under it, in the private `grid` module) operation for
//! operation but with √2 and the powers of λ = 1 + √2 cached per synthesis instead of recomputed
//! on every use, so the candidates and their order are bit-for-bit rsgridsynth's,
//! ports its step-lemma reduction (`to_upright`, with exact `floorlog` in place of slow
//! arbitrary-precision logarithms, and shared between the two grid problems as pygridsynth
//! does) together with the grid-operator × ellipse product it applies at every step (√2 cached,
//! the inverse operator's matrix products memoised per operator), and replaces the Diophantine step with a port of pygridsynth 2.0's, whose effort limits
//! are iteration counts (`dloop = floop = 10`, 128 Pollard–Brent
//! steps per batch), never clocks. Its pseudo-random choices come from a SplitMix64 generator
//! seeded from the bit patterns of θ and ε and the candidate's index, so they are a pure
//! function of the input. Every loop has a fixed bound; running out of budget is a typed
//! error, not a hang.
//!
//! Calls into rsgridsynth happen under a process-wide [`Mutex`], which first restores the
//! 1000-bit working precision, forces π and τ at that precision, and then sets the precision for
//! the call: concurrent callers are serialised instead of corrupting each other's precision.
//! (Code elsewhere in the process that calls rsgridsynth directly bypasses this lock.)
//! rsgridsynth reports only through the `log` facade, and only with `verbose` on, which this
//! module never sets; the replaced Diophantine code held its only unconditional `warn!`.
//!
//! # Determinism
//!
//! The gate sequence is a function of the bit patterns of (θ, ε) only: the geometry runs on
//! arbitrary-precision integers and binary floats (dashu), the Diophantine step on integers with
//! the seeded generator above, and no clock, thread or cache state is consulted. The returned
//! `phase` is an `f64` computed with the platform's `atan2`, so it may differ in the last bit
//! between libm implementations; the letters never do.

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_PI_4};
use std::ops::ControlFlow;
use std::sync::Mutex;

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

use epsilon::EpsilonRegion;

use super::exact::{exact_rz, wrap_phase};
use super::{CliffordT, Word};
use eqisa_ir::matrix::{C64, Matrix};

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
/// described in the [module documentation](self). The result is checked: `word.matrix()` is
/// within `epsilon` of `rz(θ)` in operator norm, or an error is returned.
///
/// The same `(theta, epsilon)` always gives the same letters (see *Determinism* above).
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

/// Serialises every use of rsgridsynth's process-wide precision (see the module docs).
static RSGRIDSYNTH: Mutex<()> = Mutex::new(());

/// Runs [`search`] under the lock, turning a panic inside rsgridsynth into an error.
fn run_locked(theta: f64, epsilon: f64) -> Result<Found, GridsynthError> {
    // A poisoned lock only means an earlier call panicked; every call resets the shared
    // precision before use, so the state behind the lock is fine to reuse.
    let _guard = RSGRIDSYNTH.lock().unwrap_or_else(|e| e.into_inner());
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
    common::reset_prec_bits();
    let _ = (&*common::PI, &*common::TAU);
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
                let mut rng = SplitMix64(mix(seed ^ mix(attempts as u64)));
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
    let zz_real = ring::Zw::from_theirs(&zz.u).to_zr2()?;
    let k = zz.k;
    let one = ring::Zr2::sqrt2_pow(k)?;
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

/// rsgridsynth's `EpsilonRegion` (the ε-region of `rz(θ)`, scaled by `scale`), ported so that
/// the exact and the shifted problem share one evaluation of cos(−θ/2) and sin(−θ/2) — the
/// arbitrary-precision series that made up most of its construction. Every other operation is
/// rsgridsynth's, in the same order on the same operands, so the region is bit-for-bit the same.
mod epsilon {
    use dashu_float::FBig;
    use dashu_float::round::mode::HalfEven;
    use dashu_int::IBig;
    use dashu_int::ops::RemEuclid;
    use rsgridsynth::common::{PI, TAU, fb_with_prec, get_prec_bits, ib_to_bf_prec};
    use rsgridsynth::math::{solve_quadratic, sqrt_fbig};
    use rsgridsynth::region::Ellipse;
    use rsgridsynth::ring::{DOmega, DRootTwo, ZRootTwo};
    use rsgridsynth::tdgp::Region;

    type Real = FBig<HalfEven>;

    /// (cos(−θ/2), sin(−θ/2)) as `EpsilonRegion::new` computes them; call at the working
    /// precision.
    pub fn direction(theta: &Real) -> (Real, Real) {
        let two = fb_with_prec(FBig::try_from(2.0).expect("2 is a float"));
        let theta_half = fb_with_prec(theta / &two);
        let neg_theta_half = -fb_with_prec(theta_half);
        let z_x: Real = series(&neg_theta_half, false);
        let z_y: Real = series(&neg_theta_half, true);
        (z_x, z_y)
    }

    /// `fb_with_prec(cos_fbig(x))` (`sine` false) or `fb_with_prec(sin_fbig(x))`, bit for bit.
    ///
    /// rsgridsynth sums the Taylor series at the 1000-bit precision of its π (the argument
    /// reduction lifts the working precision to it) for a fixed p − 1 terms, p the working
    /// precision, and only then rounds to p bits. This runs the same operations but stops once
    /// a term is below 2^-(p+64): the skipped terms shrink geometrically and their sum, with
    /// the rounding of the skipped additions at 1000 bits, is below 2^-(p+62) in magnitude, so
    /// if s − 2^-(p+32) and s + 2^-(p+32) round to the same p-bit value, rounding to nearest
    /// (monotone) gives that value for the full sum too. Otherwise it finishes all terms.
    pub(super) fn series(x: &Real, sine: bool) -> Real {
        let p = get_prec_bits();
        // `reduce_to_pi_range`.
        let tau = TAU.clone();
        let mut t = x.clone().rem_euclid(tau.clone());
        if t > PI.clone() {
            t -= tau;
        }
        let mut term = if sine {
            t.clone()
        } else {
            ib_to_bf_prec(IBig::ONE)
        };
        let mut sum = term.clone();
        let t2 = &t * &t;

        // p ≤ 144 (ε ≥ 1e-12), so the shifts fit.
        let shift = |bits: usize| isize::try_from(p + bits).unwrap_or(isize::MAX);
        let tiny = ib_to_bf_prec(IBig::ONE) >> shift(64);
        let neg_tiny = -tiny.clone();
        let delta = ib_to_bf_prec(IBig::ONE) >> shift(32);
        let mut check = true;
        for i in 1..p {
            let denom = IBig::from(if sine {
                (2 * i) * (2 * i + 1)
            } else {
                (2 * i - 1) * (2 * i)
            });
            term = -term * &t2 / denom;
            sum += &term;

            if term == ib_to_bf_prec(IBig::ZERO) {
                break;
            }
            // From i = 3 on every further term shrinks by a factor of at least 3 (|t| ≤ π).
            if check && i >= 3 && term < tiny && term > neg_tiny {
                let lo = fb_with_prec(&sum - &delta);
                let hi = fb_with_prec(&sum + &delta);
                if lo == hi {
                    return lo;
                }
                check = false;
            }
        }
        fb_with_prec(sum)
    }

    /// `matrix_multiply_2x2` of rsgridsynth's `gridsynth.rs` on row-major arrays.
    fn mul2(a: &[[Real; 2]; 2], b: &[[Real; 2]; 2]) -> [[Real; 2]; 2] {
        let entry = |i: usize, j: usize| {
            let mut sum = ib_to_bf_prec(IBig::ZERO);
            for k in 0..2 {
                sum += &a[i][k] * &b[k][j];
            }
            sum
        };
        [[entry(0, 0), entry(0, 1)], [entry(1, 0), entry(1, 1)]]
    }

    pub struct EpsilonRegion {
        scale: ZRootTwo,
        d: Real,
        z_x: Real,
        z_y: Real,
        ellipse: Ellipse,
    }

    impl EpsilonRegion {
        /// `EpsilonRegion::new(θ, ε, scale)` given `direction(θ)`.
        pub fn new(direction: &(Real, Real), epsilon: Real, scale: ZRootTwo) -> Self {
            let one = fb_with_prec(FBig::try_from(1.0).expect("1 is a float"));
            let four = fb_with_prec(FBig::try_from(4.0).expect("4 is a float"));
            let epsilon_squared = fb_with_prec(&epsilon * &epsilon);
            let half_eps_sq = fb_with_prec(&epsilon_squared / &four);
            let one_minus_half_eps_sq = one - half_eps_sq;
            let scale_to_real = scale.to_real();
            let d = fb_with_prec(sqrt_fbig(&one_minus_half_eps_sq) * sqrt_fbig(&scale_to_real));

            let (z_x, z_y) = direction.clone();
            let neg_z_y: Real = -fb_with_prec(z_y.clone());
            let zero: Real = ib_to_bf_prec(IBig::ZERO);
            let epsilon_neg4: Real = fb_with_prec(epsilon.clone().powi(IBig::from(-4)));
            let epsilon_neg2: Real = fb_with_prec(epsilon.clone().powi(IBig::from(-2)));
            let d1 = [[z_x.clone(), neg_z_y.clone()], [z_y.clone(), z_x.clone()]];
            let d2 = [
                [
                    fb_with_prec(64 * epsilon_neg4 / &scale_to_real),
                    zero.clone(),
                ],
                [zero, fb_with_prec(4 * epsilon_neg2 / &scale_to_real)],
            ];
            let d3 = [[z_x.clone(), z_y.clone()], [neg_z_y, z_x.clone()]];
            let px = fb_with_prec(&d * &z_x);
            let py = fb_with_prec(&d * &z_y);
            let [[m00, m01], [m10, m11]] = mul2(&mul2(&d1, &d2), &d3);
            let ellipse = Ellipse::from(m00, m01, m10, m11, px, py);
            Self {
                scale,
                d,
                z_x,
                z_y,
                ellipse,
            }
        }
    }

    impl Region for EpsilonRegion {
        fn ellipse(&self) -> Ellipse {
            self.ellipse.clone()
        }

        fn inside(&self, u: &DOmega) -> bool {
            let cos_term1 = fb_with_prec(&self.z_x * u.real());
            let cos_term2 = fb_with_prec(&self.z_y * u.imag());
            let cos_similarity = fb_with_prec(&cos_term1 + &cos_term2);

            DRootTwo::from_domega(u.conj() * u) <= DRootTwo::from_zroottwo(self.scale.clone())
                && cos_similarity >= self.d
        }

        fn intersect(&self, u0: &DOmega, v: &DOmega) -> Option<(Real, Real)> {
            let a = v.conj() * v;
            let b = 2 * (v.conj() * u0);
            let c = u0.conj() * u0 - DOmega::from_zroottwo(&self.scale);
            let vz_term1 = fb_with_prec(&self.z_x * v.real());
            let vz_term2 = fb_with_prec(&self.z_y * v.imag());
            let vz = fb_with_prec(&vz_term1 + &vz_term2);

            let term1 = fb_with_prec(&self.z_x * u0.real());
            let term2 = fb_with_prec(&self.z_y * u0.imag());
            let temp_sub = fb_with_prec(&self.d - &term1);
            let rhs = fb_with_prec(&temp_sub - &term2);
            let (t0, t1) = solve_quadratic(a.real(), b.real(), c.real())?;
            let zero = fb_with_prec(ib_to_bf_prec(IBig::ZERO));

            if vz > zero {
                let t2 = fb_with_prec(&rhs / &vz);
                Some(if t0 > t2 { (t0, t1) } else { (t2, t1) })
            } else if vz < zero {
                let t2 = fb_with_prec(&rhs / &vz);
                Some(if t1 < t2 { (t0, t1) } else { (t0, t2) })
            } else if rhs <= zero {
                Some((t0, t1))
            } else {
                None
            }
        }
    }
}

/// The step-lemma reduction of Ross–Selinger (Lemma A.5) that makes a pair of ellipses upright,
/// ported from rsgridsynth's `to_upright.rs` with one change: the shift exponents
/// `round(log_λ(bias)/8)` and `round(log_λ(bias)/4)` are computed with rsgridsynth's exact
/// `floorlog` (repeated squaring and comparisons) instead of two arbitrary-precision natural
/// logarithms per step, which took about a third of a whole synthesis. Either way the exponent
/// only steers the reduction; the operator it returns is exact and special. The products it
/// applies (`GridOp * EllipsePair`, `GridOp * GridOp`) are rsgridsynth's, operation for
/// operation, except that √2 — which `ZOmega::real`/`imag` and `ZRootTwo::to_real` recompute by
/// a full-precision square root on every call — is computed once, and the entries of each
/// operator's inverse matrix and their pairwise products are computed once per operator.
mod upright {
    use std::collections::BTreeMap;

    use dashu_float::FBig;
    use dashu_float::round::mode::HalfEven;
    use dashu_int::IBig;
    use rsgridsynth::common::ib_to_bf_prec;
    use rsgridsynth::grid_op::{EllipsePair, GridOp};
    use rsgridsynth::math::{floorlog, floorsqrt, sqrt2};
    use rsgridsynth::region::Ellipse;
    use rsgridsynth::ring::ZOmega;

    use super::grid::lambda_pow;

    type Real = FBig<HalfEven>;

    /// Reduction steps allowed; the lemma needs O(log(1/ε)) of them.
    const MAX_STEPS: usize = 10_000;

    fn zw(c: [i64; 4]) -> ZOmega {
        let [a, b, c, d] = c.map(IBig::from);
        ZOmega::new(a, b, c, d)
    }

    fn op(u0: [i64; 4], u1: [i64; 4]) -> GridOp {
        GridOp::new(zw(u0), zw(u1))
    }

    fn identity() -> GridOp {
        op([0, 0, 0, 1], [0, 1, 0, 0])
    }

    /// `g * h` — rsgridsynth's `Mul<GridOp> for GridOp`, the same exact integer formula with
    /// the half-sums of g's coefficients computed once instead of per column and no clones.
    fn compose(g: &GridOp, h: &GridOp) -> GridOp {
        let two = IBig::from(2);
        let (a0, b0, c0, d0) = (g.a0(), g.b0(), g.c0(), g.d0());
        let (a1, b1, c1, d1) = (g.a1(), g.b1(), g.c1(), g.d1());
        let dc = (c1 - a1 + c0 - a0) / &two;
        let da = (c1 - a1 - c0 + a0) / &two;
        let cc = (b1 + d1 + b0 + d0) / &two;
        let ca = (b1 + d1 - b0 - d0) / &two;
        let bc = (c1 + a1 + c0 + a0) / &two;
        let ba = (c1 + a1 - c0 - a0) / &two;
        let ac = (b1 - d1 + b0 - d0) / &two;
        let aa = (b1 - d1 - b0 + d0) / &two;
        let column = |o: &ZOmega| {
            ZOmega::new(
                a0 * &o.d + a1 * &o.b + &ac * &o.c + &aa * &o.a,
                b0 * &o.d + b1 * &o.b + &bc * &o.c + &ba * &o.a,
                c0 * &o.d + c1 * &o.b + &cc * &o.c + &ca * &o.a,
                d0 * &o.d + d1 * &o.b + &dc * &o.c + &da * &o.a,
            )
        };
        GridOp::new(column(&h.u0), column(&h.u1))
    }

    /// `g^n` for n ≥ 0 by repeated squaring.
    fn pow(g: &GridOp, mut n: u64) -> GridOp {
        let (mut base, mut acc) = (g.clone(), identity());
        while n > 0 {
            if n & 1 == 1 {
                acc = compose(&acc, &base);
            }
            base = compose(&base, &base);
            n >>= 1;
        }
        acc
    }

    /// √2 at the working precision and the reduction's thresholds, computed once per reduction
    /// with the operations rsgridsynth performs on every use.
    pub struct Consts {
        sqrt2: Real,
        zero: Real,
        one: Real,
        bias_hi8: Real,
        bias_lo8: Real,
        skew_max: Real,
        bias_hi4: Real,
        bias_lo4: Real,
        swap_lo: Real,
        swap_hi: Real,
        shear_max: Real,
        four: Real,
        two: Real,
        /// The products of entries of `to_mat` of the inverse of each operator met so far (the
        /// reduction applies the same few operators over and over), keyed by the operator's
        /// coefficients.
        inverse_products: BTreeMap<[IBig; 8], InverseProducts>,
    }

    /// The ellipse-independent products `&GridOp * Ellipse` forms from the entries m of the
    /// inverse operator's matrix, computed as it computes them.
    struct InverseProducts {
        m00_sq: Real,
        m00_m10: Real,
        m10_sq: Real,
        m00_m01: Real,
        sum_cross: Real,
        m10_m11: Real,
        m01_sq: Real,
        m11_m01: Real,
        m11_sq: Real,
    }

    impl InverseProducts {
        fn new(inv: [[Real; 2]; 2]) -> Self {
            let [[m00, m01], [m10, m11]] = &inv;
            let m00_m11 = m00 * m11;
            let m01_m10 = m01 * m10;
            InverseProducts {
                m00_sq: m00 * m00,
                m00_m10: m00 * m10,
                m10_sq: m10 * m10,
                m00_m01: m00 * m01,
                sum_cross: m00_m11 + m01_m10,
                m10_m11: m10 * m11,
                m01_sq: m01 * m01,
                m11_m01: m11 * m01,
                m11_sq: m11 * m11,
            }
        }
    }

    impl Consts {
        /// Must be built after the working precision is set.
        pub fn new() -> Self {
            let c = |num: i64, den: i64| {
                ib_to_bf_prec(IBig::from(num)) / ib_to_bf_prec(IBig::from(den))
            };
            Consts {
                sqrt2: sqrt2(),
                zero: ib_to_bf_prec(IBig::ZERO),
                one: ib_to_bf_prec(IBig::ONE),
                bias_hi8: c(33971, 1000),
                bias_lo8: c(29437, 1_000_000),
                skew_max: c(15, 1),
                bias_hi4: c(58285, 10000),
                bias_lo4: c(17157, 100_000),
                swap_lo: c(2441, 10000),
                swap_hi: c(40968, 10000),
                shear_max: c(16969, 10000),
                four: ib_to_bf_prec(IBig::from(4)),
                two: ib_to_bf_prec(IBig::from(2)),
                inverse_products: BTreeMap::new(),
            }
        }

        /// `LAMBDA.pow(n).to_real()` (`ZRootTwo::to_real` of the exact power) with √2 cached.
        fn lambda_real(&self, n: i64) -> Real {
            let x = lambda_pow(n, false);
            &x.a + self.sqrt2.clone() * &x.b
        }

        /// `ZOmega::real` with √2 cached.
        fn zw_real(&self, z: &ZOmega) -> Real {
            ib_to_bf_prec(z.d.clone()) + self.sqrt2.clone() * (&z.c - &z.a) / 2
        }

        /// `ZOmega::imag` with √2 cached.
        fn zw_imag(&self, z: &ZOmega) -> Real {
            ib_to_bf_prec(z.b.clone()) + self.sqrt2.clone() * (&z.c + &z.a) / 2
        }

        /// `GridOp::to_mat` with √2 cached.
        fn mat(&self, g: &GridOp) -> [[Real; 2]; 2] {
            [
                [self.zw_real(&g.u0), self.zw_real(&g.u1)],
                [self.zw_imag(&g.u0), self.zw_imag(&g.u1)],
            ]
        }

        /// `&GridOp * Ellipse` with √2 cached, operation for operation. With `center` false
        /// the centre is left as it was (the reduction never reads it).
        fn apply(&mut self, g: &GridOp, mut rhs: Ellipse, center: bool) -> Option<Ellipse> {
            let key = [&g.u0, &g.u1].map(|u| [&u.a, &u.b, &u.c, &u.d].map(IBig::clone));
            let [[a0, b0, c0, d0], [a1, b1, c1, d1]] = key;
            let key = [a0, b0, c0, d0, a1, b1, c1, d1];
            if !self.inverse_products.contains_key(&key) {
                let products = InverseProducts::new(self.mat(&g.inv()?));
                self.inverse_products.insert(key.clone(), products);
            }
            let m = &self.inverse_products[&key];

            let term1 = rhs.a() * &m.m00_sq;
            let two_b = 2 * rhs.b();
            let term2 = two_b * &m.m00_m10;
            let term3 = rhs.d() * &m.m10_sq;
            let sum12_a = term1 + term2;
            let a = sum12_a + term3;

            let term4 = rhs.a() * &m.m00_m01;
            let term5 = rhs.b() * &m.sum_cross;
            let term6 = rhs.d() * &m.m10_m11;
            let sum45_b = term4 + term5;
            let b = sum45_b + term6;

            let term7 = rhs.a() * &m.m01_sq;
            let two_b2 = 2 * rhs.b();
            let term8 = two_b2 * &m.m11_m01;
            let term9 = rhs.d() * &m.m11_sq;
            let sum78_d = term7 + term8;
            let d = sum78_d + term9;

            if center {
                let mat = self.mat(g);
                let px = &mat[0][0] * rhs.px() + &mat[0][1] * rhs.py();
                let py = &mat[1][0] * rhs.px() + &mat[1][1] * rhs.py();
                rhs.p[0] = px;
                rhs.p[1] = py;
            }
            rhs.d[(0, 0)] = a;
            rhs.d[(0, 1)] = b.clone();
            rhs.d[(1, 0)] = b;
            rhs.d[(1, 1)] = d;
            Some(rhs)
        }

        /// `g * pair` (rsgridsynth's `Mul<EllipsePair> for GridOp`) with √2 cached.
        pub fn apply_pair(
            &mut self,
            g: &GridOp,
            ep: EllipsePair,
            center: bool,
        ) -> Option<EllipsePair> {
            Some(EllipsePair::new(
                self.apply(g, ep.a, center)?,
                self.apply(g.conj_sq2(), ep.b, center)?,
            ))
        }
    }

    /// `round(log_{λ^m}(bias))` of the pair's bias, for even m: with bias = λ^{mn}·r,
    /// r ∈ [1, λ^m), round up when r ≥ λ^{m/2}.
    fn round_log_lambda(k: &Consts, ep: &EllipsePair, m: i64) -> Option<i64> {
        let base = k.lambda_real(m);
        let half = k.lambda_real(m / 2);
        let (n, r) = floorlog(ep.bias(), base);
        let n = i64::try_from(n).ok()?;
        Some(if r >= half { n + 1 } else { n })
    }

    fn shift(k: &Consts, mut ep: EllipsePair, n: i64) -> EllipsePair {
        let lambda_n = k.lambda_real(n);
        let lambda_inv_n = k.lambda_real(-n);
        ep.a.d[(0, 0)] = &ep.a.d[(0, 0)] * &lambda_inv_n;
        ep.a.d[(1, 1)] = &ep.a.d[(1, 1)] * &lambda_n;
        ep.b.d[(0, 0)] = &ep.b.d[(0, 0)] * &lambda_n;
        ep.b.d[(1, 1)] = &ep.b.d[(1, 1)] * &lambda_inv_n;
        if n & 1 == 1 {
            let b = ep.b.d[(0, 1)].clone();
            ep.b.d[(0, 1)] = -b;
        }
        ep
    }

    /// `(2441/10000..=40968/10000).contains(x)`, as `RangeInclusive::contains` compares.
    fn in_swap_range(k: &Consts, x: &Real) -> bool {
        k.swap_lo <= *x && *x <= k.swap_hi
    }

    /// One step: the new pair, left and right operators, and whether the pair is upright.
    fn step(
        k: &mut Consts,
        ep: EllipsePair,
        l: GridOp,
        r: GridOp,
    ) -> Option<(EllipsePair, GridOp, GridOp, bool)> {
        let reduce = |k: &mut Consts, ep: EllipsePair, l: GridOp, r: GridOp, g: GridOp| {
            Some((k.apply_pair(&g, ep, false)?, l, compose(&g, &r), false))
        };
        let (a, b) = (&ep.a, &ep.b);
        let bias = ep.bias();
        if *b.b() < k.zero {
            reduce(k, ep, l, r, op([0, 0, 0, 1], [0, -1, 0, 0]))
        } else if a.bias() * b.bias() < k.one {
            reduce(k, ep, l, r, op([0, 1, 0, 0], [0, 0, 0, 1]))
        } else if bias > k.bias_hi8 || bias < k.bias_lo8 {
            let n = round_log_lambda(k, &ep, 8)?;
            let s = op([-1, 0, 1, 1], [1, -1, 1, 0]);
            let g = if n >= 0 {
                pow(&s, n.unsigned_abs())
            } else {
                pow(&s.inv()?, n.unsigned_abs())
            };
            reduce(k, ep, l, r, g)
        } else if ep.skew() <= k.skew_max {
            Some((ep, l, r, true))
        } else if bias > k.bias_hi4 || bias < k.bias_lo4 {
            let n = round_log_lambda(k, &ep, 4)?;
            let ep = shift(k, ep, n);
            let (sl, sr) = if n >= 0 {
                (
                    op([-1, 0, 1, 1], [0, 1, 0, 0]),
                    op([0, 0, 0, 1], [1, -1, 1, 0]),
                )
            } else {
                (
                    op([-1, 0, 1, -1], [0, 1, 0, 0]),
                    op([0, 0, 0, 1], [1, 1, 1, 0]),
                )
            };
            let m = n.unsigned_abs();
            Some((
                ep,
                compose(&l, &pow(&sl, m)),
                compose(&pow(&sr, m), &r),
                false,
            ))
        } else if in_swap_range(k, &a.bias()) && in_swap_range(k, &b.bias()) {
            reduce(k, ep, l, r, op([0, 0, 1, 0], [1, 0, 0, 0]))
        } else if *a.b() >= k.zero && a.bias() <= k.shear_max {
            reduce(k, ep, l, r, op([-1, -1, 0, 0], [0, -1, 1, 0]))
        } else if *a.b() >= k.zero && b.bias() <= k.shear_max {
            reduce(k, ep, l, r, op([1, -1, 0, 0], [0, -1, -1, 0]))
        } else if *a.b() >= k.zero {
            let n = floorsqrt(a.bias().min(b.bias()) / k.four.clone()).max(IBig::ONE);
            let g = GridOp::new(
                zw([0, 0, 0, 1]),
                ZOmega::new(IBig::ZERO, IBig::ONE, IBig::ZERO, n * 2),
            );
            reduce(k, ep, l, r, g)
        } else {
            let n = floorsqrt(a.bias().min(b.bias()) / k.two.clone()).max(IBig::ONE);
            let g = GridOp::new(
                zw([0, 0, 0, 1]),
                ZOmega::new(n.clone(), IBig::ONE, -n, IBig::ZERO),
            );
            reduce(k, ep, l, r, g)
        }
    }

    /// A special grid operator G making the pair (G·a, G•·b) upright, or `None` if the
    /// reduction does not finish within [`MAX_STEPS`].
    pub fn to_upright(k: &mut Consts, a: &Ellipse, b: &Ellipse) -> Option<GridOp> {
        let mut ep = EllipsePair::new(a.normalize(), b.normalize());
        let (mut l, mut r) = (identity(), identity());
        for _ in 0..MAX_STEPS {
            let (next, nl, nr, done) = step(k, ep, l, r)?;
            if done {
                return Some(compose(&nl, &nr));
            }
            (ep, l, r) = (next, nl, nr);
        }
        None
    }
}

/// The two-dimensional grid problem (Ross–Selinger Prop. 5.21) and the one-dimensional ones it
/// reduces to, ported from rsgridsynth's `tdgp.rs` and `odgp.rs` so that the constants those
/// recompute on every use — √2 by a full-precision square root (once per `to_real`, and twice
/// per enumerated integer), λ^n and its square powers in `floorlog` — are computed once per
/// synthesis at the working precision ([`Consts`]). Every floating-point operation is the same
/// operation on the same operands as in rsgridsynth, so the enumeration (candidates and their
/// order) is bit-for-bit the one `solve_tdgp` produces; only the redundant work is gone.
/// Results are collected eagerly per y-solution instead of through nested lazy iterators.
mod grid {
    use std::collections::BTreeMap;
    use std::ops::ControlFlow;

    use dashu_float::FBig;
    use dashu_float::round::mode::HalfEven;
    use dashu_int::IBig;
    use rsgridsynth::common::{fb_with_prec, ib_to_bf_prec};
    use rsgridsynth::grid_op::GridOp;
    use rsgridsynth::math::sqrt2;
    use rsgridsynth::region::{Interval, Rectangle};
    use rsgridsynth::ring::{DOmega, DRootTwo, ZRootTwo};
    use rsgridsynth::tdgp::Region;

    use super::ring::Zr2;

    pub type Real = FBig<HalfEven>;

    /// Constants at the working precision; must be built after the precision is set.
    pub struct Consts {
        zero: Real,
        one: Real,
        sqrt2: Real,
        /// λ = 1 + √2 as a float, and its repeated squares λ^(2^i) (grown on demand), exactly
        /// the sequence rsgridsynth's `floorlog` recomputes on every call.
        lambda_squares: Vec<Real>,
        /// n ↦ (λ^n, (λ•)^n as floats, λ^-n exactly): the same few n recur at every k.
        lambda_powers: BTreeMap<i64, (Real, Real, Zr2)>,
    }

    impl Consts {
        pub fn new() -> Self {
            let sqrt2 = sqrt2();
            let lambda = Zr2::new(IBig::ONE, IBig::ONE);
            let one = ib_to_bf_prec(IBig::ONE);
            let mut c = Consts {
                zero: ib_to_bf_prec(IBig::ZERO),
                one,
                sqrt2,
                lambda_squares: Vec::new(),
                lambda_powers: BTreeMap::new(),
            };
            let l = c.real(&lambda);
            c.lambda_squares.push(l);
            c
        }

        /// a + b√2, as `ZRootTwo::to_real`.
        fn real(&self, x: &Zr2) -> Real {
            &x.a + self.sqrt2.clone() * &x.b
        }

        /// √2^k for k ≥ 0, as `math::pow_sqrt2`.
        fn pow_sqrt2(&self, k: i64) -> Option<Real> {
            let base = ib_to_bf_prec(IBig::ONE) << isize::try_from(k >> 1).ok()?;
            Some(if k & 1 != 0 {
                base * self.sqrt2.clone()
            } else {
                base
            })
        }

        /// The (a + b√2)/√2^k value, as `DRootTwo::to_real`.
        fn dyadic_real(&self, x: &Zr2, k: i64) -> Option<Real> {
            Some(self.real(x) / self.pow_sqrt2(k)?)
        }

        /// λ^n and (λ•)^n as floats (as `ZRootTwo::to_real` of the exact powers), and λ^-n.
        fn lambda_powers(&mut self, n: i64) -> (Real, Real, Zr2) {
            if let Some(p) = self.lambda_powers.get(&n) {
                return p.clone();
            }
            let p = (
                self.real(&lambda_pow(n, false)),
                self.real(&lambda_pow(n, true)),
                lambda_pow(-n, false),
            );
            self.lambda_powers.insert(n, p.clone());
            p
        }

        /// `math::floorlog(x, λ).0` with the squares of λ cached.
        fn floorlog_lambda(&mut self, x: &Real) -> Option<i64> {
            if *x <= self.zero {
                return None;
            }
            let mut m = 0;
            loop {
                if m == self.lambda_squares.len() {
                    // Bounded: x is a finite float, and each square doubles the exponent.
                    let last = &self.lambda_squares[m - 1];
                    let next = last * last;
                    self.lambda_squares.push(next);
                }
                let t = &self.lambda_squares[m];
                if !(x >= t || x * t < self.one) {
                    break;
                }
                m += 1;
                if m > 64 {
                    return None;
                }
            }
            let pows = &self.lambda_squares[..m];
            let (mut n, mut r): (i64, Real) = if *x >= self.one {
                (0, x.clone())
            } else {
                let y = self.lambda_squares[0].clone();
                (-1, x * pows.iter().rev().fold(y, |acc, p| acc * p))
            };
            for p in pows.iter().rev() {
                n <<= 1;
                if r > *p {
                    r /= p;
                    n += 1;
                }
            }
            Some(n)
        }
    }

    fn floor(x: Real) -> Option<IBig> {
        x.floor().try_into().ok()
    }

    fn ceil(x: Real) -> Option<IBig> {
        x.ceil().try_into().ok()
    }

    /// λ^n for any integer n, exactly.
    pub(super) fn lambda_pow(n: i64, conj: bool) -> Zr2 {
        // λ = 1 + √2, λ^-1 = −1 + √2; λ• = 1 − √2, (λ•)^-1 = −1 − √2.
        let (a, b) = match (n >= 0, conj) {
            (true, false) => (1, 1),
            (false, false) => (-1, 1),
            (true, true) => (1, -1),
            (false, true) => (-1, -1),
        };
        Zr2::new(IBig::from(a), IBig::from(b)).pow(n.unsigned_abs())
    }

    type Visit<'v> = dyn FnMut(Zr2) -> ControlFlow<()> + 'v;

    /// `odgp::solve_odgp_internal`, visiting solutions in the same order.
    fn solve_internal(
        c: &mut Consts,
        i: Interval,
        j: Interval,
        f: &mut Visit,
    ) -> Option<ControlFlow<()>> {
        let (wi, wj) = (i.width(), j.width());
        if wi < c.zero || wj < c.zero {
            return Some(ControlFlow::Continue(()));
        } else if wi > c.zero && wj <= c.zero {
            return solve_internal(c, j, i, &mut |beta: Zr2| f(beta.conj()));
        }
        let n = if wj <= c.zero {
            0
        } else {
            c.floorlog_lambda(&wj)?
        };
        let (lambda_n, lambda_conj_n, lambda_inv_n) = c.lambda_powers(n);
        let i = i.scale(&lambda_n);
        let j = j.scale(&lambda_conj_n);

        let div_min: Real = (&i.l + &j.l) / 2;
        let a_min = ceil(div_min)?;
        let div_max: Real = (&i.r + &j.r) / 2;
        let a_max = floor(div_max)?;
        // rsgridsynth enumerates with `iter::successors(Some(min), ..)`, which yields `min` even
        // when it exceeds `max`; the caller's interval filter drops such points, but they are
        // kept here (do-while loops) so that the sequence of floating-point decisions, and so the
        // output, stays exactly rsgridsynth's.
        let mut a = a_min;
        loop {
            let a_real = ib_to_bf_prec(a.clone());
            let tmp1: Real = c.sqrt2.clone() * (&a_real - &j.r) / 2;
            let tmp2: Real = c.sqrt2.clone() * (&a_real - &j.l) / 2;
            let (mut b, b_max) = (ceil(tmp1)?, floor(tmp2)?);
            loop {
                let sol = Zr2::new(a.clone(), b.clone()).mul(&lambda_inv_n);
                if f(sol).is_break() {
                    return Some(ControlFlow::Break(()));
                }
                b += 1;
                if b > b_max {
                    break;
                }
            }
            a += 1;
            if a > a_max {
                return Some(ControlFlow::Continue(()));
            }
        }
    }

    /// a + b√2 with the given √2, as `ZRootTwo::to_real`.
    fn real_with(sqrt2: &Real, x: &Zr2) -> Real {
        &x.a + sqrt2.clone() * &x.b
    }

    /// `odgp::solve_odgp`: the β ∈ Z[√2] with β ∈ i and β• ∈ j, in rsgridsynth's order.
    fn solve(c: &mut Consts, i: &Interval, j: &Interval, f: &mut Visit) -> Option<ControlFlow<()>> {
        let div1: Real = (&i.l + &j.l) / 2;
        let a = floor(div1)?;
        let div2: Real = (c.sqrt2.clone() * (&i.l - &j.l)) / 4;
        let b = floor(div2)?;
        let alpha = Zr2::new(a, b);
        let sub_i = i.sub_ref(&c.real(&alpha));
        let sub_j = j.sub_ref(&c.real(&alpha.conj()));
        let sqrt2 = c.sqrt2.clone();
        solve_internal(c, sub_i, sub_j, &mut |beta: Zr2| {
            let beta = Zr2::new(&beta.a + &alpha.a, &beta.b + &alpha.b);
            // rsgridsynth re-checks the shifted solution against the original intervals.
            if i.within(&real_with(&sqrt2, &beta)) && j.within(&real_with(&sqrt2, &beta.conj())) {
                f(beta)
            } else {
                ControlFlow::Continue(())
            }
        })
    }

    /// `odgp::solve_scaled_odgp`: the α/√2^k with α ∈ √2^k·i and α• ∈ (−√2)^k·j.
    fn solve_scaled(
        c: &mut Consts,
        i: &Interval,
        j: &Interval,
        k: i64,
        f: &mut dyn FnMut(DRootTwo) -> ControlFlow<()>,
    ) -> Option<ControlFlow<()>> {
        let scale = c.pow_sqrt2(k)?;
        let neg_scale = -scale.clone();
        let scaled_j = if k & 1 == 0 {
            j.scale(&scale)
        } else {
            j.scale(&neg_scale)
        };
        solve(c, &i.scale(&scale), &scaled_j, &mut |alpha: Zr2| {
            f(DRootTwo::new(ZRootTwo::new(alpha.a, alpha.b), k))
        })
    }

    /// `odgp::first_solve_scaled_odgp`.
    fn first_scaled(
        c: &mut Consts,
        i: &Interval,
        j: &Interval,
        k: i64,
    ) -> Option<Option<DRootTwo>> {
        let mut first = None;
        // Whether it broke is recorded in `first`.
        let _ = solve_scaled(c, i, j, k, &mut |x| {
            first = Some(x);
            ControlFlow::Break(())
        })?;
        Some(first)
    }

    /// `odgp::solve_scaled_odgp_with_parity_k_ne_0` for k = 1 (its only use): the solutions
    /// with denominator exponent 1 whose parity matches `beta`'s.
    fn solve_scaled_with_parity_k1(
        c: &mut Consts,
        i: Interval,
        j: Interval,
        beta: &DRootTwo,
        f: &mut dyn FnMut(DRootTwo) -> ControlFlow<()>,
    ) -> Option<ControlFlow<()>> {
        let odd = beta.renew_denomexp(1).parity() != IBig::ZERO;
        // offset = 0 or 1/√2, and its conjugate 0 or −1/√2 (as `DRootTwo::to_real` gives them).
        let (offset, off_a) = if odd {
            (DRootTwo::power_of_inv_sqrt2(1), 1)
        } else {
            (DRootTwo::from_int(IBig::ZERO), 0)
        };
        let off_k = if odd { 1 } else { 0 };
        let off_real = c.dyadic_real(&Zr2::new(IBig::from(off_a), IBig::ZERO), off_k)?;
        let off_conj_real = c.dyadic_real(&Zr2::new(IBig::from(-off_a), IBig::ZERO), off_k)?;
        let sub_i = i - off_real;
        let sub_j = j - off_conj_real;
        solve_scaled(c, &sub_i, &sub_j, 0, &mut |a| f(a + offset.clone()))
    }

    /// `tdgp::get_dt_x`: how much to fatten the x-interval of one line.
    fn dt_x(k: i64, int_y: &Interval) -> Option<Real> {
        let ten = ib_to_bf_prec(IBig::from(10));
        let shift_k = IBig::ONE << usize::try_from(k).ok()?;
        let width_product = shift_k * int_y.width();
        let max_val = if ten > width_product {
            &ten
        } else {
            &width_product
        };
        Some(fb_with_prec(&ten / max_val))
    }

    /// One grid problem with the parts of `solve_tdgp` that do not depend on k.
    pub struct Tdgp<'a, A: Region, B: Region> {
        pub set_a: &'a A,
        pub set_b: &'a B,
        op_inv: GridOp,
        bbox_a: &'a Rectangle,
        bbox_b: &'a Rectangle,
        /// The y-intervals of the bounding boxes, fattened by 1/10000 of their width.
        y_a: Interval,
        y_b: Interval,
    }

    impl<'a, A: Region, B: Region> Tdgp<'a, A, B> {
        pub fn new(
            set_a: &'a A,
            set_b: &'a B,
            op: &GridOp,
            bbox_a: &'a Rectangle,
            bbox_b: &'a Rectangle,
        ) -> Option<Self> {
            let fat = |y: &Interval| y.fatten(&(y.width() / ib_to_bf_prec(IBig::from(10000))));
            Some(Tdgp {
                set_a,
                set_b,
                op_inv: op.inv()?,
                bbox_a,
                bbox_b,
                y_a: fat(&bbox_a.y),
                y_b: fat(&bbox_b.y),
            })
        }

        /// `tdgp::solve_tdgp` at denominator exponent k: calls `f` with each solution z (z ∈ A,
        /// z• ∈ B) in rsgridsynth's order until it breaks. `None` on an internal failure.
        pub fn solve(
            &self,
            c: &mut Consts,
            k: i64,
            f: &mut dyn FnMut(DOmega) -> ControlFlow<()>,
        ) -> Option<ControlFlow<()>> {
            let Some(alpha0) = first_scaled(c, &self.bbox_a.x, &self.bbox_b.x, k + 1)? else {
                return Some(ControlFlow::Continue(()));
            };
            let dx = DRootTwo::power_of_inv_sqrt2(k);
            let zero = DRootTwo::from_int(IBig::ZERO);
            let v = self.op_inv.clone() * DOmega::from_droottwo_vector(&dx, &zero, k);
            let v_conj = v.conj_sq2().clone();
            let mut ys = Vec::new();
            // The visitor never breaks.
            let _ = solve_scaled(c, &self.y_a, &self.y_b, k + 1, &mut |y| {
                ys.push(y);
                ControlFlow::Continue(())
            })?;
            for beta in ys {
                // `tdgp::newproc`: the points on the line x = alpha0 + t·dx at this y.
                let z0 = self.op_inv.clone() * DOmega::from_droottwo_vector(&alpha0, &beta, k + 1);
                let (Some(t_a), Some(t_b)) = (
                    self.set_a.intersect(&z0, &v),
                    self.set_b.intersect(z0.conj_sq2(), &v_conj),
                ) else {
                    continue;
                };
                let parity = (&beta - &alpha0).mul_by_sqrt2_power_renewing_denomexp(k);
                let (int_a, int_b) = (Interval::new(t_a.0, t_a.1), Interval::new(t_b.0, t_b.1));
                let dt_a = dt_x(k, &int_b)?;
                let dt_b = dt_x(k, &int_a)?;
                let (int_a, int_b) = (int_a.fatten(&dt_a), int_b.fatten(&dt_b));
                let mut xs = Vec::new();
                // The visitor never breaks.
                let _ = solve_scaled_with_parity_k1(c, int_a, int_b, &parity, &mut |t| {
                    xs.push(t);
                    ControlFlow::Continue(())
                })?;
                for t in xs {
                    let x = t * dx.clone() + alpha0.clone();
                    let z = self.op_inv.clone() * DOmega::from_droottwo_vector(&x, &beta, k);
                    if self.set_a.inside(&z) && self.set_b.inside(z.conj_sq2()) && f(z).is_break() {
                        return Some(ControlFlow::Break(()));
                    }
                }
            }
            Some(ControlFlow::Continue(()))
        }
    }
}

/// SplitMix64's finaliser: a bijective 64-bit mixer, used to derive seeds.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64: a small, portable generator whose output depends only on its seed.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Exact arithmetic in Z[√2] and Z[ω] (ω = e^{iπ/4}) on dashu integers, as in pygridsynth's
/// `ring.py`.
mod ring {
    use std::cmp::Ordering;

    use dashu_int::IBig;
    use dashu_int::ops::{Gcd, SquareRoot, UnsignedAbs};
    use rsgridsynth::ring::ZOmega;

    /// `round(x / n)` (halves rounded up) for n ≠ 0.
    pub fn round_div(x: &IBig, n: &IBig) -> IBig {
        let (x, n) = if *n < IBig::ZERO {
            (-x, -n)
        } else {
            (x.clone(), n.clone())
        };
        floor_div(&(x * 2 + &n), &(n * 2))
    }

    /// `⌊x / d⌋` for d > 0.
    pub fn floor_div(x: &IBig, d: &IBig) -> IBig {
        let q = x / d;
        if &q * d > *x { q - 1 } else { q }
    }

    /// `⌊√x⌋` for x ≥ 0.
    fn isqrt(x: &IBig) -> IBig {
        IBig::from(x.unsigned_abs().sqrt())
    }

    /// a + b√2.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Zr2 {
        pub a: IBig,
        pub b: IBig,
    }

    impl Zr2 {
        pub fn new(a: IBig, b: IBig) -> Self {
            Zr2 { a, b }
        }

        pub fn int(a: IBig) -> Self {
            Zr2 { a, b: IBig::ZERO }
        }

        pub fn one() -> Self {
            Zr2::int(IBig::ONE)
        }

        /// √2^k for k ≥ 0.
        pub fn sqrt2_pow(k: i64) -> Option<Self> {
            let half = usize::try_from(k / 2).ok()?;
            let p = IBig::ONE << half;
            Some(if k % 2 == 0 {
                Zr2::int(p)
            } else {
                Zr2::new(IBig::ZERO, p)
            })
        }

        pub fn is_zero(&self) -> bool {
            self.a == IBig::ZERO && self.b == IBig::ZERO
        }

        /// The √2 ↦ −√2 conjugate (written • in Ross–Selinger).
        pub fn conj(&self) -> Self {
            Zr2::new(self.a.clone(), -&self.b)
        }

        pub fn norm(&self) -> IBig {
            &self.a * &self.a - &self.b * &self.b * 2
        }

        pub fn sub(&self, o: &Self) -> Self {
            Zr2::new(&self.a - &o.a, &self.b - &o.b)
        }

        pub fn mul(&self, o: &Self) -> Self {
            Zr2::new(
                &self.a * &o.a + &self.b * &o.b * 2,
                &self.a * &o.b + &self.b * &o.a,
            )
        }

        pub fn pow(&self, mut e: u64) -> Self {
            let (mut base, mut acc) = (self.clone(), Zr2::one());
            while e > 0 {
                if e & 1 == 1 {
                    acc = acc.mul(&base);
                }
                base = base.mul(&base);
                e >>= 1;
            }
            acc
        }

        /// Euclidean division with rounded quotient; `None` when dividing by zero.
        pub fn divmod(&self, y: &Self) -> Option<(Self, Self)> {
            let n = y.norm();
            if n == IBig::ZERO {
                return None;
            }
            let p = self.mul(&y.conj());
            let q = Zr2::new(round_div(&p.a, &n), round_div(&p.b, &n));
            let r = self.sub(&y.mul(&q));
            Some((q, r))
        }

        pub fn div(&self, y: &Self) -> Self {
            self.divmod(y)
                .map_or_else(|| Zr2::int(IBig::ZERO), |(q, _)| q)
        }

        /// Whether `y` divides `self` (zero divides only zero).
        pub fn divisible_by(&self, y: &Self) -> bool {
            match self.divmod(y) {
                Some((_, r)) => r.is_zero(),
                None => self.is_zero(),
            }
        }

        /// The exact quotient, if `y` divides `self`.
        pub fn div_exact(&self, y: &Self) -> Option<Self> {
            let (q, r) = self.divmod(y)?;
            r.is_zero().then_some(q)
        }

        pub fn gcd(a: &Self, b: &Self) -> Self {
            let (mut a, mut b) = (a.clone(), b.clone());
            while let Some((_, r)) = a.divmod(&b) {
                a = b;
                b = r;
            }
            a
        }

        /// Associates: each divides the other.
        pub fn sim(a: &Self, b: &Self) -> bool {
            a.divisible_by(b) && b.divisible_by(a)
        }

        /// Sign of the real number a + b√2.
        pub fn sign(&self) -> Ordering {
            let zero = IBig::ZERO;
            match (self.a.cmp(&zero), self.b.cmp(&zero)) {
                (Ordering::Equal, s) | (s, Ordering::Equal) => s,
                (Ordering::Greater, Ordering::Greater) => Ordering::Greater,
                (Ordering::Less, Ordering::Less) => Ordering::Less,
                (sa, _) => {
                    // Opposite signs: the larger of a² and 2b² wins.
                    let a2 = &self.a * &self.a;
                    let b2 = &self.b * &self.b * 2;
                    if a2 > b2 { sa } else { sa.reverse() }
                }
            }
        }

        /// A square root in Z[√2], if there is one (pygridsynth's method).
        pub fn sqrt(&self) -> Option<Self> {
            let norm = self.norm();
            if norm < IBig::ZERO || self.a < IBig::ZERO {
                return None;
            }
            let r = isqrt(&norm);
            let two = IBig::from(2);
            let four = IBig::from(4);
            let a1 = isqrt(&floor_div(&(&self.a + &r), &two));
            let b1 = isqrt(&floor_div(&(&self.a - &r), &four));
            let a2 = isqrt(&floor_div(&(&self.a - &r), &two));
            let b2 = isqrt(&floor_div(&(&self.a + &r), &four));
            let same_sign = (self.a >= IBig::ZERO) == (self.b >= IBig::ZERO)
                || self.a == IBig::ZERO
                || self.b == IBig::ZERO;
            let (w1, w2) = if same_sign {
                (Zr2::new(a1, b1), Zr2::new(a2, b2))
            } else {
                (Zr2::new(a1, -b1), Zr2::new(a2, -b2))
            };
            if w1.mul(&w1) == *self {
                Some(w1)
            } else if w2.mul(&w2) == *self {
                Some(w2)
            } else {
                None
            }
        }

        pub fn gcd_int(&self) -> IBig {
            IBig::from((&self.a).gcd(&self.b))
        }
    }

    /// aω³ + bω² + cω + d.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Zw {
        pub a: IBig,
        pub b: IBig,
        pub c: IBig,
        pub d: IBig,
    }

    impl Zw {
        pub fn new(a: IBig, b: IBig, c: IBig, d: IBig) -> Self {
            Zw { a, b, c, d }
        }

        pub fn small(a: i64, b: i64, c: i64, d: i64) -> Self {
            Zw::new(IBig::from(a), IBig::from(b), IBig::from(c), IBig::from(d))
        }

        pub fn int(d: IBig) -> Self {
            Zw::new(IBig::ZERO, IBig::ZERO, IBig::ZERO, d)
        }

        pub fn from_zr2(x: &Zr2) -> Self {
            Zw::new(-&x.b, IBig::ZERO, x.b.clone(), x.a.clone())
        }

        /// The element as a + b√2, if it is real.
        pub fn to_zr2(&self) -> Option<Zr2> {
            (self.b == IBig::ZERO && self.c == -&self.a)
                .then(|| Zr2::new(self.d.clone(), self.c.clone()))
        }

        pub fn from_theirs(x: &ZOmega) -> Self {
            Zw::new(x.a.clone(), x.b.clone(), x.c.clone(), x.d.clone())
        }

        pub fn to_theirs(&self) -> ZOmega {
            ZOmega::new(
                self.a.clone(),
                self.b.clone(),
                self.c.clone(),
                self.d.clone(),
            )
        }

        pub fn is_zero(&self) -> bool {
            [&self.a, &self.b, &self.c, &self.d]
                .iter()
                .all(|x| **x == IBig::ZERO)
        }

        /// Coefficients of ω^0..ω^3.
        fn coef(&self) -> [&IBig; 4] {
            [&self.d, &self.c, &self.b, &self.a]
        }

        pub fn mul(&self, o: &Self) -> Self {
            let (x, y) = (self.coef(), o.coef());
            let mut r = [IBig::ZERO, IBig::ZERO, IBig::ZERO, IBig::ZERO];
            for (i, xi) in x.iter().enumerate() {
                for (j, yj) in y.iter().enumerate() {
                    let p = *xi * *yj;
                    // ω^4 = −1.
                    if i + j < 4 {
                        r[i + j] += p;
                    } else {
                        r[i + j - 4] -= p;
                    }
                }
            }
            let [d, c, b, a] = r;
            Zw::new(a, b, c, d)
        }

        pub fn sub(&self, o: &Self) -> Self {
            Zw::new(
                &self.a - &o.a,
                &self.b - &o.b,
                &self.c - &o.c,
                &self.d - &o.d,
            )
        }

        /// Complex conjugate (†).
        pub fn conj(&self) -> Self {
            Zw::new(-&self.c, -&self.b, -&self.a, self.d.clone())
        }

        /// The √2 ↦ −√2 conjugate (•).
        pub fn conj_sq2(&self) -> Self {
            Zw::new(-&self.a, self.b.clone(), -&self.c, self.d.clone())
        }

        /// The integer norm N(x) = (x x†)(x x†)•.
        pub fn norm(&self) -> IBig {
            let (a, b, c, d) = (&self.a, &self.b, &self.c, &self.d);
            let s = a * a + b * b + c * c + d * d;
            let t = a * b + b * c + c * d - d * a;
            &s * &s - &t * &t * 2
        }

        pub fn pow(&self, mut e: u64) -> Self {
            let (mut base, mut acc) = (self.clone(), Zw::int(IBig::ONE));
            while e > 0 {
                if e & 1 == 1 {
                    acc = acc.mul(&base);
                }
                base = base.mul(&base);
                e >>= 1;
            }
            acc
        }

        /// Euclidean division with rounded quotient; `None` when dividing by zero.
        pub fn divmod(&self, y: &Self) -> Option<(Self, Self)> {
            let n = y.norm();
            if n == IBig::ZERO {
                return None;
            }
            let yc = y.conj();
            let p = self.mul(&yc).mul(&yc.conj_sq2()).mul(&y.conj_sq2());
            let q = Zw::new(
                round_div(&p.a, &n),
                round_div(&p.b, &n),
                round_div(&p.c, &n),
                round_div(&p.d, &n),
            );
            let r = self.sub(&y.mul(&q));
            Some((q, r))
        }

        pub fn divisible_by(&self, y: &Self) -> bool {
            match self.divmod(y) {
                Some((_, r)) => r.is_zero(),
                None => self.is_zero(),
            }
        }

        pub fn gcd(a: &Self, b: &Self) -> Self {
            let (mut a, mut b) = (a.clone(), b.clone());
            while let Some((_, r)) = a.divmod(&b) {
                a = b;
                b = r;
            }
            a
        }

        pub fn sim(a: &Self, b: &Self) -> bool {
            a.divisible_by(b) && b.divisible_by(a)
        }
    }
}

/// Integer number theory for the Diophantine step, deterministic given the generator.
mod numtheory {
    use dashu_int::fast_div::ConstDivisor;
    use dashu_int::ops::{BitTest, Gcd};
    use dashu_int::{IBig, UBig};

    use super::SplitMix64;

    impl SplitMix64 {
        /// Uniform-enough integer in `[0, n)` (64 extra bits make the modulo bias negligible).
        pub(super) fn below(&mut self, n: &UBig) -> UBig {
            let words = n.bit_len() / 64 + 2;
            let mut x = UBig::ZERO;
            for _ in 0..words {
                x = (x << 64) | UBig::from(self.next_u64());
            }
            x % n
        }

        /// Python's `randint(1, n)`: uniform in `[1, n]`.
        pub(super) fn one_to(&mut self, n: &UBig) -> UBig {
            self.below(n) + UBig::ONE
        }
    }

    /// `b^e mod n` for n ≥ 2.
    pub fn modpow(b: &UBig, e: &UBig, n: &UBig) -> UBig {
        let ring = ConstDivisor::new(n.clone());
        ring.reduce(b.clone()).pow(e).residue()
    }

    /// Bases for Miller–Rabin: deterministic for n < 3.3·10^24 and, as fixed bases, a test
    /// with no known failures of relevant size beyond. A wrong "prime" verdict can only make a
    /// candidate fail its exact check later, never produce a wrong result.
    const MR_BASES: [u64; 13] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41];

    pub fn is_prime(n: &UBig) -> bool {
        if *n < UBig::from(2u8) {
            return false;
        }
        for p in MR_BASES {
            let p = UBig::from(p);
            if *n == p {
                return true;
            }
            if (n % &p).is_zero() {
                return false;
            }
        }
        let n_minus_1 = n - UBig::ONE;
        let mut d = n_minus_1.clone();
        let mut r = 0u32;
        while (&d % UBig::from(2u8)).is_zero() {
            d >>= 1;
            r += 1;
        }
        let ring = ConstDivisor::new(n.clone());
        let one = ring.reduce(1u8);
        let minus_one = ring.reduce(n_minus_1.clone());
        'bases: for base in MR_BASES {
            let mut x = ring.reduce(base).pow(&d);
            if x == one || x == minus_one {
                continue;
            }
            for _ in 1..r {
                x = &x * &x;
                if x == minus_one {
                    continue 'bases;
                }
            }
            return false;
        }
        true
    }

    /// A square root of −1 mod p (p ≡ 1 mod 4), by trying up to 100 random bases.
    pub fn sqrt_negative_one(p: &UBig, rng: &mut SplitMix64) -> Option<UBig> {
        let p_minus_1 = p - UBig::ONE;
        let exp = &p_minus_1 >> 2;
        for _ in 0..100 {
            let b = rng.one_to(&p_minus_1);
            let h = modpow(&b, &exp, p);
            let r = (&h * &h) % p;
            if r == p_minus_1 {
                return Some(h);
            } else if r != UBig::ONE {
                return None;
            }
        }
        None
    }

    /// A square root of x mod the odd prime p (Cipolla), by trying up to 100 random bases.
    pub fn root_mod(x: &IBig, p: &UBig, rng: &mut SplitMix64) -> Option<UBig> {
        let pi = IBig::from(p.clone());
        let x = UBig::try_from(((x % &pi) + &pi) % &pi).ok()?;
        if *p == UBig::from(2u8) {
            return Some(x);
        }
        if x.is_zero() {
            return Some(UBig::ZERO);
        }
        if (p % UBig::from(2u8)).is_zero() {
            return None;
        }
        let p_minus_1 = p - UBig::ONE;
        let half = &p_minus_1 >> 1;
        if modpow(&x, &half, p) != UBig::ONE {
            return None;
        }
        for _ in 0..100 {
            let b = rng.one_to(&p_minus_1);
            if modpow(&b, &p_minus_1, p) != UBig::ONE {
                return None;
            }
            let base = (&b * &b + p - &x) % p;
            if modpow(&base, &half, p) != UBig::ONE {
                // (b + √base)^((p+1)/2) in F_p[√base] has a square equal to x.
                return Some(fp2_pow(&b, &base, &((p + UBig::ONE) >> 1), p));
            }
        }
        None
    }

    /// First coordinate of (b + √base)^e in F_p[√base].
    fn fp2_pow(b: &UBig, base: &UBig, e: &UBig, p: &UBig) -> UBig {
        let mul = |x: &(UBig, UBig), y: &(UBig, UBig)| {
            (
                (&x.0 * &y.0 + (&x.1 * &y.1 % p) * base) % p,
                (&x.0 * &y.1 + &x.1 * &y.0) % p,
            )
        };
        let mut acc = (UBig::ONE, UBig::ZERO);
        let mut sq = (b % p, UBig::ONE);
        let mut e = e.clone();
        while !e.is_zero() {
            if e.bit(0) {
                acc = mul(&acc, &sq);
            }
            sq = mul(&sq, &sq);
            e >>= 1;
        }
        acc.0
    }

    /// Pollard–Brent batch size (pygridsynth's M).
    const BATCH: u64 = 128;
    /// Batches allowed per factoring attempt (pygridsynth's `floop`).
    const FACTORING_LOOPS: u32 = 10;

    /// A non-trivial factor of n, or `None` when the bounded Pollard–Brent search gives up: at
    /// most [`FACTORING_LOOPS`] batches of [`BATCH`] steps, so never more than ~1300 steps.
    pub fn find_factor(n: &UBig, rng: &mut SplitMix64) -> Option<UBig> {
        let two = UBig::from(2u8);
        if *n <= two {
            return None;
        }
        if (n % &two).is_zero() {
            return Some(two);
        }
        let ring = ConstDivisor::new(n.clone());
        let a = ring.reduce(rng.one_to(n));
        let mut y = a.clone();
        let (mut r, mut k) = (1u64, 0u64);
        let digits = n.to_string().len();
        // pygridsynth's cap L ≈ 1.18·n^{1/4}; the batch budget is what binds for large n.
        let limit = (10f64.powf(digits as f64 / 4.0) * 1.1774 + 10.0) as u64;
        let mut loops = 0u32;
        loop {
            let x = y.clone();
            while k < r {
                let mut q = ring.reduce(1u8);
                let y0 = y.clone();
                for _ in 0..BATCH {
                    y = &y * &y + &a;
                    q *= &x - &y;
                    k += 1;
                    if k == r {
                        break;
                    }
                }
                let mut g = q.residue().gcd(n);
                if !g.is_one() {
                    if g == *n {
                        // The batch overshot: step through it one gcd at a time.
                        y = y0;
                        for _ in 0..BATCH {
                            y = &y * &y + &a;
                            g = (&x - &y).residue().gcd(n);
                            if !g.is_one() {
                                break;
                            }
                        }
                    }
                    return (g != *n && !g.is_one()).then_some(g);
                }
                loops += 1;
                if k >= limit || loops > FACTORING_LOOPS {
                    return None;
                }
            }
            r <<= 1;
        }
    }
}

/// The Diophantine step of Ross–Selinger (solve t†t = ξ in Z[ω]), ported from pygridsynth
/// 2.0's `diophantine.py` with its iteration-count budget in place of clocks.
mod diophantine {
    use std::cmp::Ordering;

    use dashu_int::ops::BitTest;
    use dashu_int::{IBig, UBig};

    use super::SplitMix64;
    use super::numtheory::{find_factor, is_prime, root_mod, sqrt_negative_one};
    use super::ring::{Zr2, Zw};

    /// Failed factorisations allowed per equation (pygridsynth's `dloop`).
    const DIOPHANTINE_LOOPS: u32 = 10;
    /// Guard on the factor-list loops, which pygridsynth leaves unbounded.
    const MAX_STEPS: u32 = 10_000;

    enum Prime {
        Found(Zw),
        NoSolution,
        Unsolved,
    }

    struct Budget<'r> {
        rng: &'r mut SplitMix64,
        failures: u32,
        steps: u32,
    }

    impl Budget<'_> {
        /// Counts a failed factorisation; false once the budget is spent.
        fn retry(&mut self) -> bool {
            self.failures += 1;
            self.failures <= DIOPHANTINE_LOOPS
        }

        /// Counts a loop step; false once the guard is reached.
        fn step(&mut self) -> bool {
            self.steps += 1;
            self.steps <= MAX_STEPS
        }
    }

    fn ubig(x: &IBig) -> UBig {
        use dashu_int::ops::UnsignedAbs;
        x.unsigned_abs()
    }

    /// w with w†w = α/√2^k, as (t, k') meaning t/√2^{k'}; `None` if there is none or the
    /// budget runs out.
    pub fn dyadic(mut alpha: Zr2, mut k: i64, rng: &mut SplitMix64) -> Option<(Zw, i64)> {
        // Cancel common factors of √2 (α = a + b√2 is divisible by √2 iff a is even).
        while k > 0 && !alpha.a.bit(0) && !alpha.is_zero() {
            alpha = Zr2::new(alpha.b.clone(), &alpha.a >> 1);
            k -= 1;
        }
        let (k_div_2, odd) = (k.div_euclid(2), k.rem_euclid(2) == 1);
        // For odd k solve t†t = α·λ (λ = 1 + √2) and multiply t by ω − ω², whose squared
        // modulus 2 − √2 turns λ into √2.
        let target = if odd {
            alpha.mul(&Zr2::new(IBig::ONE, IBig::ONE))
        } else {
            alpha.clone()
        };
        let mut budget = Budget {
            rng,
            failures: 0,
            steps: 0,
        };
        let mut t = solve(&target, &mut budget)?;
        if odd {
            t = t.mul(&Zw::small(0, -1, 1, 0));
        }
        // Exact check: t†t = α·√2^{odd}.
        let expected = if odd {
            alpha.mul(&Zr2::new(IBig::ZERO, IBig::ONE))
        } else {
            alpha
        };
        if t.conj().mul(&t).to_zr2()? != expected {
            return None;
        }
        Some((t, k_div_2 + i64::from(odd)))
    }

    /// t ∈ Z[ω] with t†t = ξ.
    fn solve(xi: &Zr2, budget: &mut Budget) -> Option<Zw> {
        if xi.is_zero() {
            return Some(Zw::int(IBig::ZERO));
        }
        if xi.sign() == Ordering::Less || xi.conj().sign() == Ordering::Less {
            return None;
        }
        let t = adj_decompose(xi, budget)?;
        let associate = t.conj().mul(&t).to_zr2()?;
        let unit = xi.div_exact(&associate)?;
        let v = unit.sqrt()?;
        Some(Zw::from_zr2(&v).mul(&t))
    }

    fn adj_decompose(xi: &Zr2, budget: &mut Budget) -> Option<Zw> {
        if xi.is_zero() {
            return Some(Zw::int(IBig::ZERO));
        }
        let d = Zr2::gcd(xi, &xi.conj());
        let eta = xi.div(&d);
        let t1 = adj_decompose_selfassociate(&d, budget)?;
        let t2 = adj_decompose_selfcoprime(&eta, budget)?;
        Some(t1.mul(&t2))
    }

    fn adj_decompose_selfassociate(xi: &Zr2, budget: &mut Budget) -> Option<Zw> {
        if xi.is_zero() {
            return Some(Zw::int(IBig::ZERO));
        }
        let n = xi.gcd_int();
        let r = xi.div(&Zr2::int(n.clone()));
        let t1 = adj_decompose_int(&n, budget)?;
        let t2 = if r.divisible_by(&Zr2::new(IBig::ZERO, IBig::ONE)) {
            Zw::small(0, 0, 1, 1)
        } else {
            Zw::int(IBig::ONE)
        };
        Some(t1.mul(&t2))
    }

    fn adj_decompose_int(n: &IBig, budget: &mut Budget) -> Option<Zw> {
        let mut facs = vec![(ubig(n), 1u64)];
        let mut t = Zw::int(IBig::ONE);
        while let Some((p, k)) = facs.pop() {
            if !budget.step() {
                return None;
            }
            match int_prime_power(&p, k, budget.rng) {
                Prime::Found(tp) => t = t.mul(&tp),
                Prime::NoSolution => return None,
                Prime::Unsolved => match find_factor(&p, budget.rng) {
                    None => {
                        facs.push((p, k));
                        if !budget.retry() {
                            return None;
                        }
                    }
                    Some(fac) => {
                        facs.push((&p / &fac, k));
                        facs.push((fac, k));
                        facs = relatively_prime_ints(facs, budget)?;
                    }
                },
            }
        }
        Some(t)
    }

    fn int_prime_power(p: &UBig, k: u64, rng: &mut SplitMix64) -> Prime {
        if k & 1 == 0 {
            return Prime::Found(Zw::int(IBig::from(p.pow((k / 2) as usize))));
        }
        match int_prime(p, rng) {
            Prime::Found(t) => Prime::Found(t.pow(k)),
            other => other,
        }
    }

    fn int_prime(p: &UBig, rng: &mut SplitMix64) -> Prime {
        if *p <= UBig::ONE {
            return Prime::Found(Zw::int(IBig::from(p.clone())));
        }
        if *p == UBig::from(2u8) {
            return Prime::Found(Zw::small(-1, 0, 1, 0));
        }
        let pi = IBig::from(p.clone());
        let mod8 = (p % UBig::from(8u8)).to_string();
        if is_prime(p) {
            let check = |t: Zw| {
                let n = t.conj().mul(&t);
                if n == Zw::int(pi.clone()) || n == Zw::int(-&pi) {
                    Prime::Found(t)
                } else {
                    Prime::Unsolved
                }
            };
            match mod8.as_str() {
                "1" | "5" => match sqrt_negative_one(p, rng) {
                    Some(h) => check(Zw::gcd(
                        &Zw::new(IBig::ZERO, IBig::ONE, IBig::ZERO, IBig::from(h)),
                        &Zw::int(pi.clone()),
                    )),
                    None => Prime::Unsolved,
                },
                "3" => match root_mod(&IBig::from(-2), p, rng) {
                    Some(h) => check(Zw::gcd(
                        &Zw::new(IBig::ONE, IBig::ZERO, IBig::ONE, IBig::from(h)),
                        &Zw::int(pi.clone()),
                    )),
                    None => Prime::Unsolved,
                },
                "7" => seven_mod_eight(p, rng),
                _ => Prime::Unsolved,
            }
        } else if mod8 == "7" {
            seven_mod_eight(p, rng)
        } else {
            Prime::Unsolved
        }
    }

    /// Primes ≡ 7 (mod 8) are inert in Z[ω] over Z[√2]-norms: an odd power has no solution.
    fn seven_mod_eight(p: &UBig, rng: &mut SplitMix64) -> Prime {
        if root_mod(&IBig::from(2), p, rng).is_some() {
            Prime::NoSolution
        } else {
            Prime::Unsolved
        }
    }

    /// Refines a list of integer factors into pairwise coprime ones (pygridsynth's
    /// `_decompose_relatively_int_prime`; signs do not matter for the norms used here).
    fn relatively_prime_ints(
        partial: Vec<(UBig, u64)>,
        budget: &mut Budget,
    ) -> Option<Vec<(UBig, u64)>> {
        use dashu_int::ops::Gcd;
        let mut stack: Vec<(UBig, u64)> = partial.into_iter().rev().collect();
        let mut facs: Vec<(UBig, u64)> = Vec::new();
        while let Some((b, kb)) = stack.pop() {
            let mut i = 0;
            loop {
                if !budget.step() {
                    return None;
                }
                if i >= facs.len() {
                    if !b.is_one() {
                        facs.push((b, kb));
                    }
                    break;
                }
                let (a, ka) = facs[i].clone();
                if a == b {
                    facs[i] = (a, ka + kb);
                    break;
                }
                let g = (&a).gcd(&b);
                if g.is_one() {
                    i += 1;
                    continue;
                }
                let mut sub =
                    relatively_prime_ints(vec![(&a / &g, ka), (g.clone(), ka + kb)], budget)?;
                if sub.is_empty() {
                    facs.remove(i);
                } else {
                    facs[i] = sub.remove(0);
                    facs.extend(sub);
                }
                stack.push((&b / &g, kb));
                break;
            }
        }
        Some(facs)
    }

    /// Refines a list of Z[√2] factors into pairwise coprime ones (pygridsynth's
    /// `_decompose_relatively_zomega_prime`).
    fn relatively_prime_zr2(
        partial: Vec<(Zr2, u64)>,
        budget: &mut Budget,
    ) -> Option<Vec<(Zr2, u64)>> {
        let one = Zr2::one();
        let mut stack: Vec<(Zr2, u64)> = partial.into_iter().rev().collect();
        let mut facs: Vec<(Zr2, u64)> = Vec::new();
        while let Some((b, kb)) = stack.pop() {
            let mut i = 0;
            loop {
                if !budget.step() {
                    return None;
                }
                if i >= facs.len() {
                    if !Zr2::sim(&b, &one) {
                        facs.push((b, kb));
                    }
                    break;
                }
                let (a, ka) = facs[i].clone();
                if Zr2::sim(&a, &b) {
                    facs[i] = (a, ka + kb);
                    break;
                }
                let g = Zr2::gcd(&a, &b);
                if Zr2::sim(&g, &one) {
                    i += 1;
                    continue;
                }
                let mut sub =
                    relatively_prime_zr2(vec![(a.div(&g), ka), (g.clone(), ka + kb)], budget)?;
                if sub.is_empty() {
                    facs.remove(i);
                } else {
                    facs[i] = sub.remove(0);
                    facs.extend(sub);
                }
                stack.push((b.div(&g), kb));
                break;
            }
        }
        Some(facs)
    }

    fn adj_decompose_selfcoprime(xi: &Zr2, budget: &mut Budget) -> Option<Zw> {
        let mut facs = vec![(xi.clone(), 1u64)];
        let mut t = Zw::int(IBig::ONE);
        while let Some((eta, k)) = facs.pop() {
            if !budget.step() {
                return None;
            }
            match zomega_prime_power(&eta, k, budget.rng) {
                Prime::Found(te) => t = t.mul(&te),
                Prime::NoSolution => return None,
                Prime::Unsolved => {
                    let n = ubig(&eta.norm());
                    match find_factor(&n, budget.rng) {
                        None => {
                            facs.push((eta, k));
                            if !budget.retry() {
                                return None;
                            }
                        }
                        Some(fac_n) => {
                            let fac = Zr2::gcd(xi, &Zr2::int(IBig::from(fac_n)));
                            facs.push((eta.div(&fac), k));
                            facs.push((fac, k));
                            facs = relatively_prime_zr2(facs, budget)?;
                        }
                    }
                }
            }
        }
        Some(t)
    }

    fn zomega_prime_power(eta: &Zr2, k: u64, rng: &mut SplitMix64) -> Prime {
        if k & 1 == 0 {
            return Prime::Found(Zw::from_zr2(&eta.pow(k / 2)));
        }
        match zomega_prime(eta, rng) {
            Prime::Found(t) => Prime::Found(t.pow(k)),
            other => other,
        }
    }

    fn zomega_prime(eta: &Zr2, rng: &mut SplitMix64) -> Prime {
        let p = ubig(&eta.norm());
        if p <= UBig::ONE {
            return Prime::Found(Zw::int(IBig::from(p)));
        }
        if p == UBig::from(2u8) {
            return Prime::Found(Zw::small(-1, 0, 1, 0));
        }
        let mod8 = (&p % UBig::from(8u8)).to_string();
        let eta_w = Zw::from_zr2(eta);
        if is_prime(&p) {
            let check = |t: Zw| {
                if Zw::sim(&t.conj().mul(&t), &eta_w) {
                    Prime::Found(t)
                } else {
                    Prime::Unsolved
                }
            };
            match mod8.as_str() {
                "1" | "5" => match sqrt_negative_one(&p, rng) {
                    Some(h) => check(Zw::gcd(
                        &Zw::new(IBig::ZERO, IBig::ONE, IBig::ZERO, IBig::from(h)),
                        &eta_w,
                    )),
                    None => Prime::Unsolved,
                },
                "3" => match root_mod(&IBig::from(-2), &p, rng) {
                    Some(h) => check(Zw::gcd(
                        &Zw::new(IBig::ONE, IBig::ZERO, IBig::ONE, IBig::from(h)),
                        &eta_w,
                    )),
                    None => Prime::Unsolved,
                },
                "7" => seven_mod_eight(&p, rng),
                _ => Prime::Unsolved,
            }
        } else if mod8 == "7" {
            seven_mod_eight(&p, rng)
        } else {
            Prime::Unsolved
        }
    }
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

    #[test]
    fn ring_arithmetic() {
        use ring::{Zr2, Zw};
        let i = |x: i64| IBig::from(x);
        // (1 + √2)(−1 + √2) = 1: a unit, and its own square root test.
        let lambda = Zr2::new(i(1), i(1));
        assert_eq!(lambda.mul(&Zr2::new(i(-1), i(1))), Zr2::one());
        let sq = lambda.mul(&lambda);
        assert_eq!(sq.sqrt(), Some(lambda.clone()));
        assert_eq!(lambda.sqrt(), None);
        // ω^4 = −1.
        let omega = Zw::small(0, 0, 1, 0);
        assert_eq!(omega.pow(4), Zw::int(i(-1)));
        // |1 + ω|² = 2 + √2.
        let delta = Zw::small(0, 0, 1, 1);
        assert_eq!(
            delta.conj().mul(&delta).to_zr2(),
            Some(Zr2::new(i(2), i(1)))
        );
        assert_eq!(Zr2::new(i(-3), i(2)).sign(), std::cmp::Ordering::Less);
        assert_eq!(Zr2::new(i(-2), i(2)).sign(), std::cmp::Ordering::Greater);
        // gcd(12, 18) = 6 up to a unit, so its norm is ±36.
        let g = Zr2::gcd(&Zr2::int(i(12)), &Zr2::int(i(18))).norm();
        assert!(g == i(36) || g == i(-36), "{g}");
    }

    #[test]
    fn number_theory() {
        use dashu_int::UBig;
        let mut rng = SplitMix64(1);
        let p = UBig::from(1_000_000_007u64);
        assert!(numtheory::is_prime(&p));
        assert!(!numtheory::is_prime(&(&p * &p)));
        let q = UBig::from(1_000_000_009u64); // ≡ 1 (mod 4)
        let h = numtheory::sqrt_negative_one(&q, &mut rng).expect("q ≡ 1 mod 4");
        assert_eq!((&h * &h + UBig::ONE) % &q, UBig::ZERO);
        let r = numtheory::root_mod(&IBig::from(-2), &UBig::from(11u8), &mut rng)
            .expect("-2 is a QR mod 11");
        assert_eq!((&r * &r + UBig::from(2u8)) % UBig::from(11u8), UBig::ZERO);
        let n = UBig::from(10_007u64) * UBig::from(10_009u64);
        let f = numtheory::find_factor(&n, &mut rng).expect("small semiprime");
        assert!(f == UBig::from(10_007u64) || f == UBig::from(10_009u64));
        // A large prime is never "factored" and the bounded search returns.
        assert!(numtheory::find_factor(&UBig::from(1_000_000_007u64), &mut rng).is_none());
    }

    #[test]
    fn series_matches_rsgridsynth_trig() {
        use rsgridsynth::common::{cos_fbig, fb_with_prec, sin_fbig};
        let _guard = RSGRIDSYNTH.lock().unwrap_or_else(|e| e.into_inner());
        common::reset_prec_bits();
        let _ = (&*common::PI, &*common::TAU);
        for p in [16, 24, 48, 96, 120, 144] {
            common::set_prec_bits(p);
            for i in -40i64..=40 {
                let x = common::ib_to_bf_prec(IBig::from(i * 7919 + 3))
                    / common::ib_to_bf_prec(IBig::from(12_345));
                assert_eq!(
                    epsilon::series(&x, false),
                    fb_with_prec(cos_fbig(&x)),
                    "cos at p={p}, i={i}"
                );
                assert_eq!(
                    epsilon::series(&x, true),
                    fb_with_prec(sin_fbig(&x)),
                    "sin at p={p}, i={i}"
                );
            }
        }
        common::reset_prec_bits();
    }
}
