//! Pulse-level fidelity: a driven Duffing transmon in the frame rotating at the drive frequency.
//!
//! # Model
//!
//! A transmon truncated to `levels` states (3 by default: the qubit and the first leakage level),
//! driven by complex baseband samples `s_k = I_k + i·Q_k`, each held for one sample period `dt`
//! (the DAC's zero-order hold):
//!
//! ```text
//! H(t)/ħ = 2π·[ Δ·n + (α/2)·n(n−1) ] + (Ω/2)·( s(t)·a† + s*(t)·a )
//! ```
//!
//! with `Δ = f_qubit − f_drive` (GHz; 0 on the qubit's own drive line), `α` the anharmonicity
//! (GHz, negative for a transmon), `Ω` the drive scale (rad/ns per unit amplitude), times in ns.
//!
//! **Sign convention.** On the qubit subspace the drive term is `(Ω/2)·(I·σx + Q·σy)`: a real
//! sample rotates about +x, an imaginary one about +y, and a constant resonant pulse of amplitude
//! `A` and length `T` is `exp(−i·θ/2·σx)` with `θ = Ω·A·T`. Basis index `n` is the number of
//! excitations (`|0⟩`, `|1⟩`, `|2⟩`, …).
//!
//! # Numerics
//!
//! Every sample is an exact step `exp(−i·H_k·dt)`, not a Trotter or Runge–Kutta approximation.
//! The phase of the drive is moved out of the Hamiltonian — with `R(φ) = diag(e^{i·n·φ})`,
//! `H(|s|·e^{iφ}) = R(φ)·H(|s|)·R(φ)†` — so each step diagonalises a *real symmetric
//! tridiagonal* matrix by cyclic Jacobi rotations (backward stable: eigenvalues and eigenvectors to
//! a few ulps, orthogonality to machine precision) and exponentiates the eigenvalues. A step's
//! unitary is therefore accurate to about 1e-15 in operator norm, and an `N`-sample propagator to
//! about `N·1e-15` in the worst case (rounding errors add like a random walk, so typically
//! `√N·1e-15`). Runs of identical samples (flat tops, zeros) reuse one step and raise it to the run
//! length by repeated squaring. The inner loop works on fixed-size stack arrays (one
//! monomorphisation per supported level count) and allocates nothing.
//!
//! Infidelities are computed without forming `1 − F` from a fidelity close to 1 (see
//! [`average_gate_infidelity`]): they stay accurate to ~1e-16 *absolute*, far below the 1e-6…1e-5
//! budgets the pulse encoder works with, and scale as ε² for an ε perturbation down to ε ≈ 1e-7.

use std::f64::consts::PI;

use num_complex::Complex64;

/// The number of levels a [`Transmon`] model normally keeps: the qubit plus the first leakage
/// level, which is what DRAG corrects for and what a reconstruction error mostly leaks into.
pub const DEFAULT_LEVELS: usize = 3;

/// The largest truncation [`Transmon::new`] accepts. Beyond a handful of levels the Duffing
/// (fourth-order) expansion of the cosine potential no longer describes a real transmon, and the
/// extra levels are not populated by single-qubit pulses anyway.
pub const MAX_LEVELS: usize = 8;

/// How many Jacobi sweeps a step may take. Convergence is quadratic; 3×3 matrices need 3–4
/// sweeps, and the cap only guards against cycling at the rounding floor.
const MAX_SWEEPS: usize = 32;

/// Why a transmon model cannot be built or calibrated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransmonError {
    /// The truncation is outside `2..=MAX_LEVELS`.
    #[error("a transmon model needs between 2 and {MAX_LEVELS} levels, not {0}")]
    Levels(usize),
    /// The sample period is not a positive finite number of nanoseconds.
    #[error("the sample period must be a positive, finite number of ns, not {0}")]
    SamplePeriod(f64),
    /// The anharmonicity is not finite.
    #[error("the anharmonicity must be a finite number of GHz, not {0}")]
    Anharmonicity(f64),
    /// A sample of the calibration pulse is NaN or infinite.
    #[error("calibration pulse sample {index} is not finite")]
    NonFiniteSample {
        /// Index of the offending sample.
        index: usize,
    },
    /// The calibration pulse is empty or all zero: no drive scale makes it rotate the qubit.
    #[error("the calibration pulse is empty or zero: no drive scale makes it a π rotation")]
    ZeroPulse,
    /// No drive scale brings the qubit from |0⟩ to |1⟩ (e.g. a pulse far off resonance).
    #[error(
        "no drive scale makes the calibration pulse a π rotation: at best {best_transfer} of |0⟩ reaches |1⟩"
    )]
    NoPiRotation {
        /// The largest population transfer |⟨1|U|0⟩|² found.
        best_transfer: f64,
    },
}

/// A propagator of the truncated transmon: a dense `levels × levels` complex matrix, row-major,
/// indexed by excitation number.
#[derive(Clone, Debug, PartialEq)]
pub struct Propagator {
    levels: usize,
    data: Vec<Complex64>,
}

impl Propagator {
    /// The identity on `levels` levels.
    pub fn identity(levels: usize) -> Self {
        let mut data = vec![Complex64::new(0.0, 0.0); levels * levels];
        for j in 0..levels {
            data[j * levels + j] = Complex64::new(1.0, 0.0);
        }
        Propagator { levels, data }
    }

    /// A propagator from its row-major entries; `None` unless `data.len() == levels²`.
    pub fn from_rows(levels: usize, data: Vec<Complex64>) -> Option<Self> {
        (data.len() == levels * levels).then_some(Propagator { levels, data })
    }

    /// The number of levels (rows and columns).
    pub fn levels(&self) -> usize {
        self.levels
    }

    /// Entry `⟨row|U|col⟩`.
    ///
    /// # Panics
    /// When `row` or `col` is not below [`levels`](Self::levels), like slice indexing.
    pub fn get(&self, row: usize, col: usize) -> Complex64 {
        assert!(row < self.levels && col < self.levels, "index out of range");
        self.data[row * self.levels + col]
    }

    /// The row-major entries.
    pub fn data(&self) -> &[Complex64] {
        &self.data
    }

    /// The product `self · other`.
    ///
    /// # Panics
    /// When the level counts differ.
    pub fn mul(&self, other: &Propagator) -> Propagator {
        assert_eq!(self.levels, other.levels, "level counts differ");
        let n = self.levels;
        let mut data = vec![Complex64::new(0.0, 0.0); n * n];
        for i in 0..n {
            for k in 0..n {
                let a = self.data[i * n + k];
                for j in 0..n {
                    data[i * n + j] += a * other.data[k * n + j];
                }
            }
        }
        Propagator { levels: n, data }
    }

    /// The conjugate transpose.
    pub fn adjoint(&self) -> Propagator {
        let n = self.levels;
        let mut data = vec![Complex64::new(0.0, 0.0); n * n];
        for i in 0..n {
            for j in 0..n {
                data[j * n + i] = self.data[i * n + j].conj();
            }
        }
        Propagator { levels: n, data }
    }

    /// `max |(U†U − I)_jk|`: how far rounding has taken the propagator from unitary.
    pub fn unitarity_error(&self) -> f64 {
        let p = self.adjoint().mul(self);
        let id = Propagator::identity(self.levels);
        p.data
            .iter()
            .zip(&id.data)
            .map(|(a, b)| (a - b).norm())
            .fold(0.0, f64::max)
    }

    /// Population that `|j⟩` (j = 0, 1) leaves the qubit subspace with: `Σ_{k≥2} |⟨k|U|j⟩|²`.
    pub fn leakage_from(&self, j: usize) -> f64 {
        (2..self.levels).map(|k| self.get(k, j).norm_sqr()).sum()
    }
}

/// A Duffing transmon driven through one I/Q channel (see the [module docs](self) for the model
/// and the sign convention).
#[derive(Clone, Debug, PartialEq)]
pub struct Transmon {
    /// Truncation: number of levels kept (2 is the bare qubit, useful for analytic checks; 3 or
    /// more resolves leakage). Values outside `2..=MAX_LEVELS` set after construction are clamped
    /// into that range by the simulation.
    pub levels: usize,
    /// Anharmonicity `α = f_12 − f_01` in GHz (negative for a transmon, e.g. −0.34).
    pub anharmonicity_ghz: f64,
    /// Sample period in ns (IBM devices: 2/9 ns).
    pub dt_ns: f64,
    /// Drive scale `Ω` in rad/ns per unit of sample amplitude; [`Transmon::calibrate`] sets it
    /// from the device's x pulse. Starts at 1 rad/ns, the order of magnitude of real devices
    /// (a ~35 ns Gaussian of amplitude ~0.2 is a π pulse).
    pub drive_scale: f64,
}

impl Transmon {
    /// A transmon of `levels` levels with the given anharmonicity and sample period, drive scale
    /// 1 rad/ns until calibrated.
    pub fn new(levels: usize, anharmonicity_ghz: f64, dt_ns: f64) -> Result<Self, TransmonError> {
        if !(2..=MAX_LEVELS).contains(&levels) {
            return Err(TransmonError::Levels(levels));
        }
        if !(dt_ns.is_finite() && dt_ns > 0.0) {
            return Err(TransmonError::SamplePeriod(dt_ns));
        }
        if !anharmonicity_ghz.is_finite() {
            return Err(TransmonError::Anharmonicity(anharmonicity_ghz));
        }
        Ok(Transmon {
            levels,
            anharmonicity_ghz,
            dt_ns,
            drive_scale: 1.0,
        })
    }

    /// Set [`drive_scale`](Self::drive_scale) so that `x_pulse` (the device's calibrated x pulse,
    /// played resonantly) is a π rotation on the qubit subspace.
    ///
    /// This is the experimentalist's amplitude-Rabi calibration run backwards: the π rotation is
    /// the scale that transfers the most population from |0⟩ to |1⟩ (for a rotation by θ the
    /// transfer is sin²(θ/2), maximal at θ = π; leakage only lowers the peak). A coarse scan up
    /// to twice the scale the pulse area suggests brackets the first maximum, and a golden-section
    /// search refines it to the resolution of the transfer itself (relative ~1e-8 in scale, i.e.
    /// a residual rotation error of ~1e-8 rad, an infidelity of ~1e-17).
    ///
    /// Errors: a non-finite sample, an empty or zero pulse, or a pulse that cannot move at least
    /// 90 % of the population to |1⟩ at any scale (then it is no π pulse of this qubit).
    pub fn calibrate(&mut self, x_pulse: &[Complex64]) -> Result<(), TransmonError> {
        if let Some(index) = x_pulse
            .iter()
            .position(|s| !(s.re.is_finite() && s.im.is_finite()))
        {
            return Err(TransmonError::NonFiniteSample { index });
        }
        let area = x_pulse.iter().sum::<Complex64>().norm() * self.dt_ns;
        let abs_area = x_pulse.iter().map(|s| s.norm()).sum::<f64>() * self.dt_ns;
        if abs_area == 0.0 {
            return Err(TransmonError::ZeroPulse);
        }
        // For a resonant pulse of constant phase, θ = Ω·|area|. A pulse whose phase winds (so its
        // net area nearly cancels) still rotates; its absolute area gives the scale's order then.
        let guess = PI
            / if area > 0.1 * abs_area {
                area
            } else {
                abs_area
            };
        let transfer = |scale: f64| self.evolve_scaled(x_pulse, 0.0, scale).get(1, 0).norm_sqr();

        // Scan θ ≈ 0 … 2π (nominal) and take the first local maximum of the transfer.
        const STEPS: usize = 24;
        let scales: Vec<f64> = (0..=STEPS)
            .map(|k| guess * k as f64 / (STEPS / 2) as f64)
            .collect();
        let values: Vec<f64> = scales
            .iter()
            .map(|&w| if w == 0.0 { 0.0 } else { transfer(w) })
            .collect();
        let peak = (1..STEPS).find(|&k| values[k] >= values[k - 1] && values[k] >= values[k + 1]);
        let Some(k) = peak else {
            let best_transfer = values.iter().copied().fold(0.0, f64::max);
            return Err(TransmonError::NoPiRotation { best_transfer });
        };

        // Golden-section search for the maximum inside [scales[k−1], scales[k+1]].
        let inv_phi = (5f64.sqrt() - 1.0) / 2.0;
        let (mut lo, mut hi) = (scales[k - 1], scales[k + 1]);
        let mut x1 = hi - inv_phi * (hi - lo);
        let mut x2 = lo + inv_phi * (hi - lo);
        let (mut f1, mut f2) = (transfer(x1), transfer(x2));
        for _ in 0..80 {
            if hi - lo <= 1e-12 * hi {
                break;
            }
            if f1 < f2 {
                lo = x1;
                x1 = x2;
                f1 = f2;
                x2 = lo + inv_phi * (hi - lo);
                f2 = transfer(x2);
            } else {
                hi = x2;
                x2 = x1;
                f2 = f1;
                x1 = hi - inv_phi * (hi - lo);
                f1 = transfer(x1);
            }
        }
        let (best_scale, best_transfer) = if f1 >= f2 { (x1, f1) } else { (x2, f2) };
        if best_transfer < 0.9 {
            return Err(TransmonError::NoPiRotation { best_transfer });
        }
        self.drive_scale = best_scale;
        Ok(())
    }

    /// The propagator (`levels × levels`) of the waveform `samples` (one per `dt_ns`), with the
    /// drive detuned from the qubit by `detuning_ghz = f_qubit − f_drive`. An empty waveform gives
    /// the identity; a non-finite sample gives a propagator of NaNs.
    pub fn evolve(&self, samples: &[Complex64], detuning_ghz: f64) -> Propagator {
        self.evolve_scaled(samples, detuning_ghz, self.drive_scale)
    }

    /// Average gate fidelity lost by playing `reconstructed` instead of `original` (both on the
    /// qubit subspace; leakage counts as loss): `1 − F_avg(U_orig, U_rec)`, computed accurately
    /// (see [`average_gate_infidelity`]).
    pub fn added_infidelity(
        &self,
        original: &[Complex64],
        reconstructed: &[Complex64],
        detuning_ghz: f64,
    ) -> f64 {
        let u = self.evolve(original, detuning_ghz);
        self.added_infidelity_to(&u, reconstructed, detuning_ghz)
    }

    /// [`added_infidelity`](Self::added_infidelity) against an original whose propagator
    /// (`self.evolve(original, detuning_ghz)`) is already known: an encoder trying many
    /// reconstructions of one waveform simulates the original once.
    pub fn added_infidelity_to(
        &self,
        original: &Propagator,
        reconstructed: &[Complex64],
        detuning_ghz: f64,
    ) -> f64 {
        let v = self.evolve(reconstructed, detuning_ghz);
        average_gate_infidelity(original, &v)
    }

    fn evolve_scaled(&self, samples: &[Complex64], detuning_ghz: f64, scale: f64) -> Propagator {
        let (a, dt) = (self.anharmonicity_ghz, self.dt_ns);
        match self.levels.clamp(2, MAX_LEVELS) {
            2 => evolve_fixed::<2>(samples, detuning_ghz, a, dt, scale),
            3 => evolve_fixed::<3>(samples, detuning_ghz, a, dt, scale),
            4 => evolve_fixed::<4>(samples, detuning_ghz, a, dt, scale),
            5 => evolve_fixed::<5>(samples, detuning_ghz, a, dt, scale),
            6 => evolve_fixed::<6>(samples, detuning_ghz, a, dt, scale),
            7 => evolve_fixed::<7>(samples, detuning_ghz, a, dt, scale),
            _ => evolve_fixed::<MAX_LEVELS>(samples, detuning_ghz, a, dt, scale),
        }
    }
}

type Mat<const L: usize> = [[Complex64; L]; L];

const CZERO: Complex64 = Complex64::new(0.0, 0.0);
const CONE: Complex64 = Complex64::new(1.0, 0.0);

fn identity<const L: usize>() -> Mat<L> {
    let mut m = [[CZERO; L]; L];
    for (j, row) in m.iter_mut().enumerate() {
        row[j] = CONE;
    }
    m
}

/// `a · b` for small fixed-size matrices.
fn matmul<const L: usize>(a: &Mat<L>, b: &Mat<L>) -> Mat<L> {
    let mut c = [[CZERO; L]; L];
    for i in 0..L {
        for k in 0..L {
            let aik = a[i][k];
            for j in 0..L {
                c[i][j] += aik * b[k][j];
            }
        }
    }
    c
}

/// `u^n` by repeated squaring (`n ≥ 1`): log₂ n products instead of n, and less rounding.
fn matpow<const L: usize>(u: &Mat<L>, mut n: usize) -> Mat<L> {
    let mut result = identity::<L>();
    let mut base = *u;
    let mut first = true;
    while n > 0 {
        if n & 1 == 1 {
            result = if first { base } else { matmul(&result, &base) };
            first = false;
        }
        n >>= 1;
        if n > 0 {
            base = matmul(&base, &base);
        }
    }
    result
}

/// The per-waveform constants of the step Hamiltonian of an `L`-level transmon.
struct StepModel<const L: usize> {
    /// Static diagonal `2π·[Δ·n + (α/2)·n(n−1)]`, rad/ns.
    diag: [f64; L],
    /// `(Ω/2)·√(n+1)`: the coupling `⟨n+1|H|n⟩` per unit |s|, rad/ns.
    coupling: [f64; L],
    dt: f64,
}

impl<const L: usize> StepModel<L> {
    fn new(detuning_ghz: f64, anharmonicity_ghz: f64, dt: f64, scale: f64) -> Self {
        let mut diag = [0.0; L];
        let mut coupling = [0.0; L];
        for n in 0..L {
            let nf = n as f64;
            diag[n] = 2.0 * PI * (detuning_ghz * nf + 0.5 * anharmonicity_ghz * nf * (nf - 1.0));
            coupling[n] = 0.5 * scale * (nf + 1.0).sqrt();
        }
        StepModel { diag, coupling, dt }
    }

    /// `exp(−i·H(s)·dt)` exactly (to rounding), via `H(s) = R(φ)·H(|s|)·R(φ)†` and a Jacobi
    /// eigen-decomposition of the real symmetric tridiagonal `H(|s|)`.
    fn step(&self, s: Complex64) -> Mat<L> {
        let r = s.norm();
        let mut h = [[0.0f64; L]; L];
        for n in 0..L {
            h[n][n] = self.diag[n];
            if n + 1 < L {
                h[n][n + 1] = self.coupling[n] * r;
                h[n + 1][n] = h[n][n + 1];
            }
        }
        let v = jacobi_eigen(&mut h);
        let mut phase = [CZERO; L];
        for m in 0..L {
            let (sin, cos) = (h[m][m] * self.dt).sin_cos();
            phase[m] = Complex64::new(cos, -sin);
        }
        // Powers of the drive phase u = s/|s|: U_jk = u^(j−k)·U0_jk (conjugate for j < k).
        let u = if r > 0.0 { s / r } else { CONE };
        let mut upow = [CONE; L];
        for n in 1..L {
            upow[n] = upow[n - 1] * u;
        }
        let mut out = [[CZERO; L]; L];
        for j in 0..L {
            for k in 0..=j {
                let mut acc = CZERO;
                for m in 0..L {
                    acc += phase[m] * (v[j][m] * v[k][m]);
                }
                out[j][k] = acc * upow[j - k];
                if k != j {
                    out[k][j] = acc * upow[j - k].conj();
                }
            }
        }
        out
    }
}

/// Diagonalise a real symmetric matrix in place by cyclic Jacobi rotations: on return the
/// diagonal of `a` holds the eigenvalues and the columns of the returned matrix the eigenvectors
/// (`a_in = V·diag·Vᵀ`). Off-diagonal entries below 1e-18 of the adjacent diagonal magnitudes are
/// set to zero (a relative perturbation far below rounding).
fn jacobi_eigen<const L: usize>(a: &mut [[f64; L]; L]) -> [[f64; L]; L] {
    let mut v = [[0.0f64; L]; L];
    for (j, row) in v.iter_mut().enumerate() {
        row[j] = 1.0;
    }
    for _ in 0..MAX_SWEEPS {
        let mut rotated = false;
        for p in 0..L {
            for q in p + 1..L {
                let apq = a[p][q];
                if apq == 0.0 {
                    continue;
                }
                if apq.abs() <= 1e-18 * (a[p][p].abs() + a[q][q].abs()) {
                    a[p][q] = 0.0;
                    a[q][p] = 0.0;
                    continue;
                }
                rotated = true;
                let theta = (a[q][q] - a[p][p]) / (2.0 * apq);
                // t = tan of the rotation angle, the smaller root of t² + 2θt − 1 = 0.
                let t = if theta.abs() > 1e150 {
                    0.5 / theta
                } else {
                    theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
                };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                a[p][p] -= t * apq;
                a[q][q] += t * apq;
                a[p][q] = 0.0;
                a[q][p] = 0.0;
                for r in (0..L).filter(|&r| r != p && r != q) {
                    let (g, h) = (a[r][p], a[r][q]);
                    a[r][p] = c * g - s * h;
                    a[p][r] = a[r][p];
                    a[r][q] = s * g + c * h;
                    a[q][r] = a[r][q];
                }
                for row in v.iter_mut() {
                    let (g, h) = (row[p], row[q]);
                    row[p] = c * g - s * h;
                    row[q] = s * g + c * h;
                }
            }
        }
        if !rotated {
            break;
        }
    }
    v
}

/// One Newton–Schulz step towards the nearest unitary, `U ← U·(3I − U†U)/2`: if `U = Q(I + E)`
/// with `Q` unitary and `E` Hermitian, the error becomes `O(E²)`. Products of thousands of
/// rounded step unitaries drift from unitarity by ~1e-15 per step, mostly in one direction;
/// removing that drift every few hundred steps keeps long waveforms at the rounding floor.
fn reunitarise<const L: usize>(u: &Mat<L>) -> Mat<L> {
    let mut gram = [[CZERO; L]; L];
    for i in 0..L {
        for j in 0..L {
            let acc: Complex64 = u.iter().map(|row| row[i].conj() * row[j]).sum();
            gram[i][j] = if i == j { 1.5 - 0.5 * acc } else { -0.5 * acc };
        }
    }
    matmul(u, &gram)
}

/// How many products may accumulate between two [`reunitarise`] steps.
const REUNITARISE_EVERY: usize = 256;

fn evolve_fixed<const L: usize>(
    samples: &[Complex64],
    detuning_ghz: f64,
    anharmonicity_ghz: f64,
    dt: f64,
    scale: f64,
) -> Propagator {
    let model = StepModel::<L>::new(detuning_ghz, anharmonicity_ghz, dt, scale);
    let mut total = identity::<L>();
    let mut k = 0;
    let mut since_cleanup = 0;
    while k < samples.len() {
        let s = samples[k];
        let run = samples[k..].iter().take_while(|&&x| x == s).count().max(1);
        let step = model.step(s);
        let block = if run == 1 { step } else { matpow(&step, run) };
        total = matmul(&block, &total);
        k += run;
        since_cleanup += 1;
        if since_cleanup == REUNITARISE_EVERY {
            total = reunitarise(&total);
            since_cleanup = 0;
        }
    }
    Propagator {
        levels: L,
        data: total.iter().flatten().copied().collect(),
    }
}

/// Average gate fidelity of `v` against `u` on the qubit subspace `{|0⟩, |1⟩}`, leakage counting
/// as loss: `F = (|Tr M|² + Tr(M·M†)) / (d(d+1))` with `d = 2` and `M = P·U†·V·P` (Pedersen,
/// Møller & Mølmer, Phys. Lett. A 367, 47 (2007)). `F(U, U) = 1`.
///
/// # Panics
/// When the level counts differ or are below 2.
pub fn average_gate_fidelity(u: &Propagator, v: &Propagator) -> f64 {
    1.0 - average_gate_infidelity(u, v)
}

/// `1 − F_avg(U, V)` (see [`average_gate_fidelity`]), computed without cancellation.
///
/// With `W = U†·V` (unitary), `d(d+1)·(1 − F) = (d − |Tr M|)(d + |Tr M|) + Σ_{j<2, k≥2} |W_jk|²`,
/// the last sum being `d − Tr(M·M†)` by the unit norm of W's rows. After removing the phase of
/// `Tr M`, `d − |Tr M| = Σ_j (1 − Re W'_jj)` and each term is
/// `Σ_{k≠j} |W_jk|² / (1 + |W_jj|) + (Im W'_jj)² / (|W_jj| + Re W'_jj)`: sums of small squares,
/// never a difference of nearly equal numbers. The result is accurate to ~1e-16 absolute (the
/// rounding of W's entries), so infidelities of 1e-12 still have several correct digits.
///
/// # Panics
/// When the level counts differ or are below 2.
pub fn average_gate_infidelity(u: &Propagator, v: &Propagator) -> f64 {
    assert_eq!(u.levels, v.levels, "propagators of different truncations");
    assert!(u.levels >= 2, "a propagator needs the two qubit levels");
    let n = u.levels;
    const D: f64 = 2.0;
    // Rows 0 and 1 of W = U†V: W_jk = Σ_m conj(U_mj)·V_mk.
    let mut w = [vec![CZERO; n], vec![CZERO; n]];
    for (j, row) in w.iter_mut().enumerate() {
        for (k, entry) in row.iter_mut().enumerate() {
            *entry = (0..n)
                .map(|m| u.data[m * n + j].conj() * v.data[m * n + k])
                .sum();
        }
    }
    let leak: f64 = w
        .iter()
        .flat_map(|row| &row[2..])
        .map(|z| z.norm_sqr())
        .sum();
    let trace = w[0][0] + w[1][1];
    let t = trace.norm();
    if t == 0.0 {
        // Nothing to cancel: F = Tr(MM†)/6 = (2 − leak)/6.
        return (D * (D + 1.0) - (D - leak)) / (D * (D + 1.0));
    }
    let unphase = trace.conj() / t;
    let mut gap = 0.0; // d − |Tr M|
    for (j, row) in w.iter().enumerate() {
        let wjj = row[j] * unphase;
        let mag = wjj.norm();
        let off: f64 = row
            .iter()
            .enumerate()
            .filter(|&(k, _)| k != j)
            .map(|(_, z)| z.norm_sqr())
            .sum();
        let radial = off / (1.0 + mag);
        let angular = if wjj.re > 0.0 {
            wjj.im * wjj.im / (mag + wjj.re)
        } else {
            mag - wjj.re
        };
        gap += radial + angular;
    }
    ((gap * (D + t)) + leak) / (D * (D + 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Jacobi decomposition reproduces the matrix and its eigenvectors are orthonormal.
    #[test]
    fn jacobi_reconstructs_symmetric_matrix() {
        let orig = [
            [0.3, -1.2, 0.0, 0.0],
            [-1.2, 2.0, 0.7, 0.0],
            [0.0, 0.7, -4.0, 1.5],
            [0.0, 0.0, 1.5, -4.0],
        ];
        let mut a = orig;
        let v = jacobi_eigen(&mut a);
        for i in 0..4 {
            for j in 0..4 {
                let rebuilt: f64 = (0..4).map(|m| v[i][m] * a[m][m] * v[j][m]).sum();
                assert!((rebuilt - orig[i][j]).abs() < 1e-14, "{i},{j}");
                let dot: f64 = (0..4).map(|m| v[m][i] * v[m][j]).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-15);
            }
        }
    }

    /// Repeated squaring equals repeated multiplication.
    #[test]
    fn matpow_matches_repeated_products() {
        let model = StepModel::<3>::new(0.01, -0.3, 0.2, 1.1);
        let step = model.step(Complex64::new(0.3, -0.2));
        let mut slow = identity::<3>();
        for _ in 0..13 {
            slow = matmul(&step, &slow);
        }
        let fast = matpow(&step, 13);
        for i in 0..3 {
            for j in 0..3 {
                assert!((slow[i][j] - fast[i][j]).norm() < 1e-14);
            }
        }
    }
}
