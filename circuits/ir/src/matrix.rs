//! Dense unitaries of small gates and the exact matrices of the standard gate library.
//!
//! A [`Matrix`] acts on `k` qubits and is stored row-major as a `2^k x 2^k` array. Bit `j` of a
//! basis index is the state of the gate's `j`-th qubit argument (little-endian, Qiskit's
//! convention: argument 0 is the least significant bit). [`StandardGate::matrix`] reproduces
//! Qiskit's `Operator(gate).data` for every gate exactly, global phases included, so that a
//! simulated program can be compared with Qiskit's amplitude for amplitude.

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_PI_4, PI};

use crate::gates::StandardGate;

/// The complex scalar type of every matrix and state vector.
pub type C64 = num_complex::Complex64;

const ZERO: C64 = C64::new(0.0, 0.0);
const ONE: C64 = C64::new(1.0, 0.0);
const I: C64 = C64::new(0.0, 1.0);

/// Entries smaller than this are treated as structural zeros when looking for block structure
/// in [`Matrix::power`]; products of trigonometric values leave such crumbs (e.g. `cos(π/2)`).
const STRUCTURAL_ZERO: f64 = 1e-13;

/// How far from unitary a matrix may be and still be treated as unitary.
const UNITARY_TOL: f64 = 1e-9;

/// Qiskit's `Operator.power` rotates the branch cut of the complex logarithm by this angle so
/// that the common eigenvalue `-1` lands reliably on `+π`; we copy it to pick the same roots.
const BRANCH_CUT_ROTATION: f64 = PI * 1e-12;

/// Largest `|k|` for which [`Matrix::power`] computes `U^k` from the matrix: its rounding error
/// grows with `k` (at 2^20, still below 10^-9). Gates of known order and rotations take any
/// integer power exactly in [`crate::power`] before they become matrices.
pub const MAX_MATRIX_POWER: f64 = 1_048_576.0;

/// Dense `2^k x 2^k` matrix, row-major. Basis index bit `j` = state of the gate's `j`-th qubit
/// argument (little-endian, Qiskit's convention: argument 0 is the least significant bit).
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    num_qubits: usize,
    data: Vec<C64>,
}

/// Why a matrix could not be built or transformed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MatrixError {
    /// `pow(k)` with a non-integer (or non-finite) `k` of a matrix we cannot take roots of.
    #[error(
        "pow({exponent}) is supported only for integer exponents, or for unitaries that split into independent 1- and 2-dimensional blocks (got a {qubits}-qubit matrix)"
    )]
    UnsupportedPower {
        /// The requested exponent.
        exponent: f64,
        /// Number of qubits of the matrix.
        qubits: usize,
    },
    /// A negative power of a matrix that is not unitary (so has no cheap exact inverse).
    #[error("pow({exponent}) needs the inverse of a non-unitary {qubits}-qubit matrix")]
    NotInvertible {
        /// The requested exponent.
        exponent: f64,
        /// Number of qubits of the matrix.
        qubits: usize,
    },
    /// An exponent so large that the power of a rounded matrix would be rounding error.
    #[error(
        "pow({exponent}) of a {qubits}-qubit matrix: exponents beyond ±{MAX_MATRIX_POWER} are exact only for gates of known order or rotations"
    )]
    PowerTooLarge {
        /// The requested exponent.
        exponent: f64,
        /// Number of qubits of the matrix.
        qubits: usize,
    },
    /// A standard gate was given the wrong number of parameters.
    #[error("gate `{gate}` takes {expected} parameter(s), got {got}")]
    WrongParamCount {
        /// The gate's canonical name.
        gate: &'static str,
        /// How many parameters it takes.
        expected: usize,
        /// How many it was given.
        got: usize,
    },
}

impl Matrix {
    /// The identity on `num_qubits` qubits.
    pub fn identity(num_qubits: usize) -> Self {
        let dim = 1usize << num_qubits;
        let mut data = vec![ZERO; dim * dim];
        for i in 0..dim {
            data[i * dim + i] = ONE;
        }
        Matrix { num_qubits, data }
    }

    /// Wraps row-major `data` of a `num_qubits`-qubit matrix.
    ///
    /// # Panics
    /// If `data.len() != 4^num_qubits` (an internal invariant, never input-dependent).
    pub fn from_vec(num_qubits: usize, data: Vec<C64>) -> Self {
        let dim = 1usize << num_qubits;
        assert_eq!(data.len(), dim * dim, "matrix data has the wrong length");
        Matrix { num_qubits, data }
    }

    /// A diagonal matrix from its diagonal (length must be `2^num_qubits`).
    ///
    /// # Panics
    /// If `diag.len() != 2^num_qubits`.
    pub fn from_diagonal(num_qubits: usize, diag: &[C64]) -> Self {
        let dim = 1usize << num_qubits;
        assert_eq!(diag.len(), dim, "diagonal has the wrong length");
        let mut data = vec![ZERO; dim * dim];
        for (i, &d) in diag.iter().enumerate() {
            data[i * dim + i] = d;
        }
        Matrix { num_qubits, data }
    }

    /// Number of qubits the matrix acts on.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// Side length `2^num_qubits`.
    pub fn dim(&self) -> usize {
        1usize << self.num_qubits
    }

    /// Entry at (`row`, `col`).
    ///
    /// # Panics
    /// If either index is `>= dim()`.
    pub fn get(&self, row: usize, col: usize) -> C64 {
        let dim = self.dim();
        assert!(row < dim && col < dim, "matrix index out of range");
        self.data[row * dim + col]
    }

    /// The row-major entries.
    pub fn data(&self) -> &[C64] {
        &self.data
    }

    /// `self · other` (apply `other` first).
    ///
    /// # Panics
    /// If the two matrices act on different numbers of qubits.
    pub fn mul(&self, other: &Matrix) -> Matrix {
        assert_eq!(
            self.num_qubits, other.num_qubits,
            "multiplying matrices of different sizes"
        );
        let dim = self.dim();
        let mut data = vec![ZERO; dim * dim];
        for i in 0..dim {
            let row = &mut data[i * dim..(i + 1) * dim];
            for k in 0..dim {
                let a = self.data[i * dim + k];
                if a == ZERO {
                    continue;
                }
                let other_row = &other.data[k * dim..(k + 1) * dim];
                for (r, &b) in row.iter_mut().zip(other_row) {
                    *r += a * b;
                }
            }
        }
        Matrix {
            num_qubits: self.num_qubits,
            data,
        }
    }

    /// Conjugate transpose.
    pub fn adjoint(&self) -> Matrix {
        let dim = self.dim();
        let mut data = vec![ZERO; dim * dim];
        for i in 0..dim {
            for j in 0..dim {
                data[j * dim + i] = self.data[i * dim + j].conj();
            }
        }
        Matrix {
            num_qubits: self.num_qubits,
            data,
        }
    }

    /// Multiply by `e^{i phi}`.
    pub fn with_phase(&self, phi: f64) -> Matrix {
        let p = C64::from_polar(1.0, phi);
        Matrix {
            num_qubits: self.num_qubits,
            data: self.data.iter().map(|&z| z * p).collect(),
        }
    }

    /// Kronecker product `self ⊗ other`: `other`'s arguments become the low (first) arguments
    /// of the result and `self`'s the high ones, as in Qiskit's `Operator.tensor`.
    pub fn kron(&self, other: &Matrix) -> Matrix {
        let (da, db) = (self.dim(), other.dim());
        let dim = da * db;
        let mut data = vec![ZERO; dim * dim];
        for i in 0..da {
            for j in 0..da {
                let a = self.data[i * da + j];
                for k in 0..db {
                    for l in 0..db {
                        data[(i * db + k) * dim + j * db + l] = a * other.data[k * db + l];
                    }
                }
            }
        }
        Matrix {
            num_qubits: self.num_qubits + other.num_qubits,
            data,
        }
    }

    /// OpenQASM 3 `ctrl @` / `negctrl @`: the new control qubits are the FIRST arguments (so
    /// they are the low bits), the original gate's arguments follow. `ctrl_on[i] == true` means
    /// control `i` fires on |1>, `false` on |0> (negctrl).
    pub fn controlled(&self, ctrl_on: &[bool]) -> Matrix {
        let c = ctrl_on.len();
        let num_qubits = self.num_qubits + c;
        let dim = 1usize << num_qubits;
        let sub = self.dim();
        let pattern = ctrl_on
            .iter()
            .enumerate()
            .fold(0usize, |acc, (i, &on)| acc | (usize::from(on) << i));
        let mut data = vec![ZERO; dim * dim];
        for i in 0..dim {
            if i & ((1 << c) - 1) != pattern {
                data[i * dim + i] = ONE;
            }
        }
        for r in 0..sub {
            for s in 0..sub {
                let (row, col) = ((r << c) | pattern, (s << c) | pattern);
                data[row * dim + col] = self.data[r * sub + s];
            }
        }
        Matrix { num_qubits, data }
    }

    /// Reorders the arguments: argument `j` of the result is argument `new_to_old[j]` of
    /// `self`. `new_to_old` must be a permutation of `0..num_qubits()`.
    ///
    /// # Panics
    /// If `new_to_old` is not such a permutation.
    pub fn permute_args(&self, new_to_old: &[usize]) -> Matrix {
        let k = self.num_qubits;
        assert_eq!(new_to_old.len(), k, "permutation has the wrong length");
        let mut seen = vec![false; k];
        for &o in new_to_old {
            assert!(o < k && !seen[o], "not a permutation");
            seen[o] = true;
        }
        let dim = self.dim();
        // old_index[new] = the index of `self` whose bits, moved to their new places, give `new`.
        let old_index: Vec<usize> = (0..dim)
            .map(|new| {
                new_to_old
                    .iter()
                    .enumerate()
                    .fold(0usize, |acc, (j, &o)| acc | (((new >> j) & 1) << o))
            })
            .collect();
        let mut data = vec![ZERO; dim * dim];
        for i in 0..dim {
            for j in 0..dim {
                data[i * dim + j] = self.data[old_index[i] * dim + old_index[j]];
            }
        }
        Matrix {
            num_qubits: k,
            data,
        }
    }

    /// Whether every off-diagonal entry is exactly zero.
    pub fn is_diagonal(&self) -> bool {
        let dim = self.dim();
        self.data
            .iter()
            .enumerate()
            .all(|(idx, &z)| idx / dim == idx % dim || z == ZERO)
    }

    /// The diagonal entries.
    pub fn diagonal(&self) -> Vec<C64> {
        let dim = self.dim();
        (0..dim).map(|i| self.data[i * dim + i]).collect()
    }

    /// Whether `self · self† = I` within `tol` (max abs entry error).
    pub fn is_unitary(&self, tol: f64) -> bool {
        self.mul(&self.adjoint())
            .max_abs_diff(&Matrix::identity(self.num_qubits))
            <= tol
    }

    /// Largest entry-wise `|a_ij - b_ij|`; infinite if the sizes differ.
    pub fn max_abs_diff(&self, other: &Matrix) -> f64 {
        if self.num_qubits != other.num_qubits {
            return f64::INFINITY;
        }
        self.data
            .iter()
            .zip(&other.data)
            .map(|(a, b)| (a - b).norm())
            .fold(0.0, f64::max)
    }

    /// `pow(k) @`: integer `k` (negative = inverse powers) for any matrix (negative ones need
    /// a unitary); non-integer `k` for unitaries that split into independent blocks of size 1
    /// or 2 (every 1-qubit unitary, every diagonal matrix, every controlled 1-qubit gate, `swap`,
    /// `rxx`, ...), using the principal branch: eigenvalues `e^{iθ}` with `θ` in `(-π, π]` go to
    /// `e^{ikθ}`, with Qiskit's tiny branch-cut rotation so that `-1` counts as `e^{iπ}`.
    /// Anything else is `Err(UnsupportedPower)`.
    pub fn power(&self, k: f64) -> Result<Matrix, MatrixError> {
        let unsupported = MatrixError::UnsupportedPower {
            exponent: k,
            qubits: self.num_qubits,
        };
        if !k.is_finite() {
            return Err(unsupported);
        }
        if k.abs() > MAX_MATRIX_POWER {
            return Err(MatrixError::PowerTooLarge {
                exponent: k,
                qubits: self.num_qubits,
            });
        }
        if k.fract() == 0.0 {
            let base = if k < 0.0 {
                if !self.is_unitary(UNITARY_TOL) {
                    return Err(MatrixError::NotInvertible {
                        exponent: k,
                        qubits: self.num_qubits,
                    });
                }
                self.adjoint()
            } else {
                self.clone()
            };
            // Truncation is exact: `k` is integral and in range.
            return Ok(base.int_power(k.abs() as u64));
        }
        self.fractional_power(k).ok_or(unsupported)
    }

    /// Binary exponentiation.
    fn int_power(&self, mut e: u64) -> Matrix {
        let mut result = Matrix::identity(self.num_qubits);
        let mut base = self.clone();
        while e > 0 {
            if e & 1 == 1 {
                result = result.mul(&base);
            }
            e >>= 1;
            if e > 0 {
                base = base.mul(&base);
            }
        }
        result
    }

    /// Non-integer power via a decomposition into independent blocks of size 1 and 2.
    fn fractional_power(&self, k: f64) -> Option<Matrix> {
        let dim = self.dim();
        let significant = |i: usize, j: usize| self.data[i * dim + j].norm() > STRUCTURAL_ZERO;
        // Each basis index is coupled to at most one partner; more means a block larger than 2.
        let mut partner: Vec<Option<usize>> = vec![None; dim];
        for (i, slot) in partner.iter_mut().enumerate() {
            for j in (0..dim).filter(|&j| j != i && (significant(i, j) || significant(j, i))) {
                match *slot {
                    None => *slot = Some(j),
                    Some(p) if p == j => {}
                    Some(_) => return None,
                }
            }
        }
        let mut data = vec![ZERO; dim * dim];
        for (i, &slot) in partner.iter().enumerate() {
            match slot {
                None => data[i * dim + i] = principal_power(self.data[i * dim + i], k)?,
                Some(j) if j > i => {
                    // The partner relation is symmetric: `j`'s only partner is `i`.
                    let block = [
                        self.data[i * dim + i],
                        self.data[i * dim + j],
                        self.data[j * dim + i],
                        self.data[j * dim + j],
                    ];
                    let [a, b, c, d] = unitary_2x2_power(block, k)?;
                    data[i * dim + i] = a;
                    data[i * dim + j] = b;
                    data[j * dim + i] = c;
                    data[j * dim + j] = d;
                }
                Some(_) => {}
            }
        }
        Some(Matrix {
            num_qubits: self.num_qubits,
            data,
        })
    }

    /// Embed this matrix acting on `positions` (`positions[j]` = which of `n` qubits the
    /// `j`-th argument is) into a full `2^n` matrix — for tests and small unitaries.
    ///
    /// # Panics
    /// If `positions` has the wrong length, repeats a qubit or names one `>= n`.
    pub fn embed(&self, positions: &[usize], n: usize) -> Matrix {
        assert_eq!(
            positions.len(),
            self.num_qubits,
            "wrong number of positions"
        );
        let mut mask = 0usize;
        for &p in positions {
            assert!(p < n && mask & (1 << p) == 0, "bad embedding positions");
            mask |= 1 << p;
        }
        let sub = self.dim();
        let dim = 1usize << n;
        let extract = |x: usize| {
            positions
                .iter()
                .enumerate()
                .fold(0usize, |acc, (j, &p)| acc | (((x >> p) & 1) << j))
        };
        let mut data = vec![ZERO; dim * dim];
        for i in 0..dim {
            let si = extract(i);
            for j in 0..dim {
                if i & !mask == j & !mask {
                    data[i * dim + j] = self.data[si * sub + extract(j)];
                }
            }
        }
        Matrix {
            num_qubits: n,
            data,
        }
    }

    /// Whether `self ≈ e^{iφ} other` for some global phase `φ`: the phase minimising the
    /// Frobenius distance is chosen, then every entry must agree within `tol`.
    pub fn equal_up_to_phase(&self, other: &Matrix, tol: f64) -> bool {
        if self.num_qubits != other.num_qubits {
            return false;
        }
        let overlap: C64 = self
            .data
            .iter()
            .zip(&other.data)
            .map(|(a, b)| b.conj() * a)
            .sum();
        let phase = if overlap.norm() == 0.0 {
            ONE
        } else {
            overlap / overlap.norm()
        };
        self.data
            .iter()
            .zip(&other.data)
            .all(|(a, b)| (a - phase * b).norm() <= tol)
    }
}

/// `z^k` on the principal branch (angle in `(-π, π]`, branch cut rotated like Qiskit's).
fn principal_power(z: C64, k: f64) -> Option<C64> {
    let r = z.norm();
    if r == 0.0 {
        return (k > 0.0).then_some(ZERO);
    }
    Some(C64::from_polar(r.powf(k), principal_arg(z) * k))
}

/// `arg z` in `(-π, π]`, with the cut turned by [`BRANCH_CUT_ROTATION`] as Qiskit does: an
/// angle within that rotation below `-π` is reported just above `π`.
fn principal_arg(z: C64) -> f64 {
    (z * C64::from_polar(1.0, -BRANCH_CUT_ROTATION)).arg() + BRANCH_CUT_ROTATION
}

/// `U^k` of a 2x2 unitary `[a, b, c, d]` (row-major) by Sylvester's formula
/// `U^k = f(λ2) I + D (U - λ2 I)` with the divided difference `D = (f(λ1)-f(λ2))/(λ1-λ2)`
/// written in a form that stays accurate when the eigenvalues nearly coincide.
fn unitary_2x2_power(m: [C64; 4], k: f64) -> Option<[C64; 4]> {
    let [a, b, c, d] = m;
    let mm = Matrix::from_vec(1, m.to_vec());
    if !mm.is_unitary(UNITARY_TOL) {
        return None;
    }
    let half_trace = (a + d) * 0.5;
    let det = a * d - b * c;
    let disc = (half_trace * half_trace - det).sqrt();
    let (l1, l2) = (half_trace + disc, half_trace - disc);
    let (t1, t2) = (principal_arg(l1), principal_arg(l2));
    // A unitary's eigenvalues lie on the unit circle; use that instead of the rounded moduli.
    let l2 = C64::from_polar(1.0, t2);
    let f2 = C64::from_polar(1.0, k * t2);
    let half_diff = 0.5 * (t1 - t2);
    let ratio = if half_diff.sin().abs() < 1e-300 {
        k
    } else {
        (k * half_diff).sin() / half_diff.sin()
    };
    let divided = C64::from_polar(ratio, (k - 1.0) * 0.5 * (t1 + t2));
    Some([
        f2 + divided * (a - l2),
        divided * b,
        divided * c,
        f2 + divided * (d - l2),
    ])
}

/// A 1-qubit matrix from its rows.
fn m1(a: C64, b: C64, c: C64, d: C64) -> Matrix {
    Matrix::from_vec(1, vec![a, b, c, d])
}

/// Qiskit's `U3Gate(θ, φ, λ)`.
fn u3(theta: f64, phi: f64, lam: f64) -> Matrix {
    let (s, c) = (theta / 2.0).sin_cos();
    m1(
        C64::new(c, 0.0),
        -C64::from_polar(s, lam),
        C64::from_polar(s, phi),
        C64::from_polar(c, phi + lam),
    )
}

/// Qiskit's `U2Gate(φ, λ)`, written with the exact `1/√2` Qiskit uses.
fn u2(phi: f64, lam: f64) -> Matrix {
    let h = FRAC_1_SQRT_2;
    m1(
        C64::new(h, 0.0),
        -C64::from_polar(h, lam),
        C64::from_polar(h, phi),
        C64::from_polar(h, phi + lam),
    )
}

/// `diag(1, e^{iλ})` (`p`, `u1`).
fn phase(lam: f64) -> Matrix {
    m1(ONE, ZERO, ZERO, C64::from_polar(1.0, lam))
}

fn rx(theta: f64) -> Matrix {
    let (s, c) = (theta / 2.0).sin_cos();
    m1(
        C64::new(c, 0.0),
        C64::new(0.0, -s),
        C64::new(0.0, -s),
        C64::new(c, 0.0),
    )
}

fn ry(theta: f64) -> Matrix {
    let (s, c) = (theta / 2.0).sin_cos();
    m1(
        C64::new(c, 0.0),
        C64::new(-s, 0.0),
        C64::new(s, 0.0),
        C64::new(c, 0.0),
    )
}

fn rz(lam: f64) -> Matrix {
    m1(
        C64::from_polar(1.0, -lam / 2.0),
        ZERO,
        ZERO,
        C64::from_polar(1.0, lam / 2.0),
    )
}

fn pauli_x() -> Matrix {
    m1(ZERO, ONE, ONE, ZERO)
}

fn hadamard() -> Matrix {
    let h = C64::new(FRAC_1_SQRT_2, 0.0);
    m1(h, h, h, -h)
}

fn sqrt_x() -> Matrix {
    let (p, m) = (C64::new(0.5, 0.5), C64::new(0.5, -0.5));
    m1(p, m, m, p)
}

fn swap() -> Matrix {
    // |01> <-> |10>; |00> and |11> stay.
    sparse_over_identity(2, &[(1, 2, ONE), (2, 1, ONE)])
}

/// An identity with some entries overwritten: for the relative-phase Toffolis, whose Qiskit
/// matrices are sparse phase-permutations and are clearest written down entry by entry.
fn sparse_over_identity(num_qubits: usize, entries: &[(usize, usize, C64)]) -> Matrix {
    let mut m = Matrix::identity(num_qubits);
    let dim = m.dim();
    for &(r, c, _) in entries {
        m.data[r * dim + r] = ZERO;
        m.data[c * dim + c] = ZERO;
    }
    for &(r, c, z) in entries {
        m.data[r * dim + c] = z;
    }
    m
}

impl StandardGate {
    /// The exact unitary, with Qiskit's conventions (Qiskit 1.x/2.x `Operator(gate)`
    /// matrices, including global phases). `params.len()` must equal `self.num_params()`;
    /// `Err(WrongParamCount)` otherwise.
    pub fn matrix(self, params: &[f64]) -> Result<Matrix, MatrixError> {
        use StandardGate::*;
        if params.len() != self.num_params() {
            return Err(MatrixError::WrongParamCount {
                gate: self.name(),
                expected: self.num_params(),
                got: params.len(),
            });
        }
        // Unused slots read 0.0; the length check above guarantees the used ones exist.
        let p = |i: usize| params.get(i).copied().unwrap_or(0.0);
        let on = [true];
        Ok(match self {
            U | U3 => u3(p(0), p(1), p(2)),
            GPhase => Matrix::from_vec(0, vec![C64::from_polar(1.0, p(0))]),
            Id | U0 => Matrix::identity(1),
            U1 | P => phase(p(0)),
            U2 => u2(p(0), p(1)),
            X => pauli_x(),
            Y => m1(ZERO, -I, I, ZERO),
            Z => m1(ONE, ZERO, ZERO, -ONE),
            H => hadamard(),
            S => m1(ONE, ZERO, ZERO, I),
            Sdg => m1(ONE, ZERO, ZERO, -I),
            T => m1(ONE, ZERO, ZERO, C64::from_polar(1.0, FRAC_PI_4)),
            Tdg => m1(ONE, ZERO, ZERO, C64::from_polar(1.0, -FRAC_PI_4)),
            Sx => sqrt_x(),
            Sxdg => sqrt_x().adjoint(),
            Rx => rx(p(0)),
            Ry => ry(p(0)),
            Rz => rz(p(0)),
            Cx => pauli_x().controlled(&on),
            Cy => m1(ZERO, -I, I, ZERO).controlled(&on),
            Cz => m1(ONE, ZERO, ZERO, -ONE).controlled(&on),
            Ch => hadamard().controlled(&on),
            Swap => swap(),
            Ccx => pauli_x().controlled(&[true, true]),
            Cswap => swap().controlled(&on),
            Crx => rx(p(0)).controlled(&on),
            Cry => ry(p(0)).controlled(&on),
            Crz => rz(p(0)).controlled(&on),
            Cu1 | Cp => phase(p(0)).controlled(&on),
            Cu3 => u3(p(0), p(1), p(2)).controlled(&on),
            Csx => sqrt_x().controlled(&on),
            Cu => u3(p(0), p(1), p(2)).with_phase(p(3)).controlled(&on),
            Rxx => {
                let (s, c) = (p(0) / 2.0).sin_cos();
                let (c, s) = (C64::new(c, 0.0), C64::new(0.0, -s));
                Matrix::from_vec(
                    2,
                    vec![
                        c, ZERO, ZERO, s, //
                        ZERO, c, s, ZERO, //
                        ZERO, s, c, ZERO, //
                        s, ZERO, ZERO, c,
                    ],
                )
            }
            Rzz => {
                let (even, odd) = (
                    C64::from_polar(1.0, -p(0) / 2.0),
                    C64::from_polar(1.0, p(0) / 2.0),
                );
                Matrix::from_diagonal(2, &[even, odd, odd, even])
            }
            // RCCXGate: with both controls set the target flips picking up ±i, and |101>
            // (control 0 set, control 1 clear, target set) gets a -1.
            Rccx => sparse_over_identity(3, &[(3, 7, -I), (7, 3, I), (5, 5, -ONE)]),
            // RC3XGate ("rcccx"): |0011> gets i, |1011> gets -i, and with all three controls set
            // the target flips as |0111> -> -|1111>, |1111> -> |0111>.
            Rc3x => {
                sparse_over_identity(4, &[(3, 3, I), (11, 11, -I), (7, 15, ONE), (15, 7, -ONE)])
            }
            C3x => pauli_x().controlled(&[true; 3]),
            C3sqrtx => sqrt_x().controlled(&[true; 3]),
            C4x => pauli_x().controlled(&[true; 4]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gates::ALL_GATES;

    fn c(re: f64, im: f64) -> C64 {
        C64::new(re, im)
    }

    /// Parameters to instantiate a gate with (arbitrary but fixed).
    fn params_for(g: StandardGate) -> Vec<f64> {
        [0.37, -1.91, 2.64, 0.58][..g.num_params()].to_vec()
    }

    fn assert_close(a: C64, b: C64, what: &str) {
        assert!((a - b).norm() < 1e-12, "{what}: {a} != {b}");
    }

    #[test]
    fn every_gate_is_unitary_with_the_right_shape() {
        for g in ALL_GATES {
            let m = g.matrix(&params_for(g)).expect("right parameter count");
            assert_eq!(m.num_qubits(), g.num_qubits(), "{g:?}");
            assert!(m.is_unitary(1e-12), "{g:?} is not unitary");
        }
    }

    #[test]
    fn wrong_param_count_is_an_error() {
        assert_eq!(
            StandardGate::Rx.matrix(&[]),
            Err(MatrixError::WrongParamCount {
                gate: "rx",
                expected: 1,
                got: 0
            })
        );
        assert!(StandardGate::X.matrix(&[1.0]).is_err());
    }

    /// Entries copied from Qiskit 2.6 `Operator(gate).data`, pinning phases and bit order.
    #[test]
    fn matches_qiskit_reference_entries() {
        use StandardGate::*;
        let check = |g: StandardGate, params: &[f64], entries: &[(usize, usize, C64)]| {
            let m = g.matrix(params).expect("right parameter count");
            for &(r, col, z) in entries {
                assert_close(m.get(r, col), z, &format!("{g:?}[{r},{col}]"));
            }
        };
        // RCCXGate and RC3XGate are relative-phase, not plain, Toffolis.
        check(
            Rccx,
            &[],
            &[
                (3, 7, c(0.0, -1.0)),
                (7, 3, c(0.0, 1.0)),
                (5, 5, c(-1.0, 0.0)),
                (6, 6, c(1.0, 0.0)),
            ],
        );
        check(
            Rc3x,
            &[],
            &[
                (3, 3, c(0.0, 1.0)),
                (7, 15, c(1.0, 0.0)),
                (15, 7, c(-1.0, 0.0)),
                (11, 11, c(0.0, -1.0)),
                (14, 14, c(1.0, 0.0)),
            ],
        );
        check(
            C3sqrtx,
            &[],
            &[
                (7, 7, c(0.5, 0.5)),
                (7, 15, c(0.5, -0.5)),
                (15, 7, c(0.5, -0.5)),
                (14, 14, c(1.0, 0.0)),
            ],
        );
        // CUGate(0.4, 1.1, -2.0, 0.9): γ sits on the control's |1> branch.
        check(
            Cu,
            &[0.4, 1.1, -2.0, 0.9],
            &[
                (1, 1, c(0.6092191543550328, 0.7677125236495632)),
                (1, 3, c(-0.09011563789485477, 0.17705556982303855)),
                (3, 1, c(-0.0826756135293025, 0.18064951128112933)),
                (3, 3, c(0.9800665778412416, 0.0)),
                (2, 2, c(1.0, 0.0)),
            ],
        );
        // CU3Gate(0.4, 1.1, -2.0): no phase on the control.
        check(
            Cu3,
            &[0.4, 1.1, -2.0],
            &[
                (1, 1, c(0.9800665778412416, 0.0)),
                (1, 3, c(0.0826756135293025, 0.18064951128112933)),
                (3, 3, c(0.6092191543550329, -0.7677125236495631)),
            ],
        );
        // CRXGate(1.3).
        check(
            Crx,
            &[1.3],
            &[
                (1, 1, c(0.7960837985490559, 0.0)),
                (1, 3, c(0.0, -0.6051864057360395)),
                (0, 0, c(1.0, 0.0)),
            ],
        );
        // U2Gate(0.3, -0.8) and RZZGate(0.7).
        check(
            U2,
            &[0.3, -0.8],
            &[
                (0, 1, c(-0.4926460386775456, 0.5072473564005259)),
                (1, 1, c(0.6205445805637455, -0.3390050494210448)),
            ],
        );
        check(
            Rzz,
            &[0.7],
            &[(1, 1, c(0.9393727128473789, 0.34289780745545134))],
        );
        check(
            GPhase,
            &[0.7],
            &[(0, 0, c(0.7648421872844885, 0.644217687237691))],
        );
    }

    #[test]
    fn controlled_puts_controls_on_the_low_bits() {
        let cx = StandardGate::Cx.matrix(&[]).expect("no params");
        assert_eq!(pauli_x().controlled(&[true]), cx);
        assert_eq!(cx.get(3, 1), ONE);
        assert_eq!(cx.get(2, 2), ONE);
        // negctrl: fires when the control is |0>, i.e. flips the target of |00>.
        let ncx = pauli_x().controlled(&[false]);
        assert_eq!(ncx.get(2, 0), ONE);
        assert_eq!(ncx.get(1, 1), ONE);
        // Nesting ctrl @ ctrl @ x gives ccx (the outer control is argument 0 either way).
        let nested = pauli_x().controlled(&[true]).controlled(&[true]);
        assert_eq!(nested, StandardGate::Ccx.matrix(&[]).expect("no params"));
        // Mixed control states: Qiskit's RYGate(0.3).control(2, ctrl_state=1) fires on
        // control 0 = |1>, control 1 = |0>, i.e. on indices 1 (target 0) and 5 (target 1).
        let m = ry(0.3).controlled(&[true, false]);
        assert_close(m.get(5, 1), c((0.15f64).sin(), 0.0), "cry mixed");
        assert_close(m.get(7, 7), ONE, "untouched");
    }

    #[test]
    fn adjoint_inverts() {
        for g in ALL_GATES {
            let m = g.matrix(&params_for(g)).expect("right parameter count");
            let prod = m.adjoint().mul(&m);
            assert!(
                prod.max_abs_diff(&Matrix::identity(m.num_qubits())) < 1e-12,
                "{g:?}"
            );
        }
        let sx = StandardGate::Sx.matrix(&[]).expect("no params");
        assert_eq!(
            sx.adjoint(),
            StandardGate::Sxdg.matrix(&[]).expect("no params")
        );
    }

    #[test]
    fn power_follows_qiskit() {
        use StandardGate::*;
        let m = |g: StandardGate| g.matrix(&[]).expect("no params");
        // XGate().power(0.5) in Qiskit is exactly SX.
        let half_x = m(X).power(0.5).expect("1q power");
        assert!(half_x.max_abs_diff(&m(Sx)) < 1e-12);
        // X^-0.5 = SX†.
        let x_inv_half = m(X).power(-0.5).expect("1q power");
        assert!(x_inv_half.max_abs_diff(&m(Sxdg)) < 1e-12);
        // Z^0.5 = S: the -1 eigenvalue counts as e^{+iπ}.
        assert!(m(Z).power(0.5).expect("diag").max_abs_diff(&m(S)) < 1e-12);
        assert_eq!(m(S).power(2.0).expect("int"), m(Z));
        assert_eq!(m(T).power(0.0).expect("int"), Matrix::identity(1));
        let u = u3(0.4, 1.1, -2.0);
        assert!(u.power(-1.0).expect("int").max_abs_diff(&u.adjoint()) < 1e-15);
        assert!(u.power(3.0).expect("int").max_abs_diff(&u.mul(&u).mul(&u)) < 1e-14);
        // A root squared gives the matrix back.
        let r = u.power(0.5).expect("1q power");
        assert!(r.mul(&r).max_abs_diff(&u) < 1e-12);
        // Qiskit: Operator(HGate()).power(0.5).
        let half_h = m(H).power(0.5).expect("1q power");
        assert_close(
            half_h.get(0, 0),
            c(0.8535533905932737, 0.1464466094067262),
            "h^.5",
        );
        assert_close(
            half_h.get(0, 1),
            c(0.35355339059327373, -0.35355339059327373),
            "h^.5",
        );
        // Block-structured multi-qubit roots: CX^0.5 is controlled-SX.
        let half_cx = m(Cx).power(0.5).expect("blocks of 2");
        assert!(half_cx.max_abs_diff(&m(Csx)) < 1e-12);
        let half_swap = m(Swap).power(0.5).expect("blocks of 2");
        assert!(half_swap.mul(&half_swap).max_abs_diff(&m(Swap)) < 1e-12);
        // A generic 2-qubit unitary has no such structure.
        let dense = hadamard().kron(&hadamard()).mul(&m(Cx));
        assert!(matches!(
            dense.power(0.5),
            Err(MatrixError::UnsupportedPower { .. })
        ));
        assert!(m(X).power(f64::NAN).is_err());
    }

    #[test]
    fn embed_places_arguments() {
        let cx = StandardGate::Cx.matrix(&[]).expect("no params");
        // Control on qubit 2, target on qubit 0 of 3: |100> (4) -> |101> (5).
        let e = cx.embed(&[2, 0], 3);
        assert_eq!(e.get(5, 4), ONE);
        assert_eq!(e.get(1, 1), ONE);
        assert_eq!(e.get(7, 6), ONE);
        assert!(e.is_unitary(0.0));
        // Embedding in the natural order on exactly its own qubits is the identity map.
        let u = u3(0.4, 1.1, -2.0).kron(&rx(0.3));
        assert_eq!(u.embed(&[0, 1], 2), u);
        // Swapping the positions equals permuting the arguments.
        assert_eq!(u.embed(&[1, 0], 2), u.permute_args(&[1, 0]));
        // kron puts the right factor on the low bits.
        let x_on_1 = pauli_x().embed(&[1], 2);
        assert_eq!(pauli_x().kron(&Matrix::identity(1)), x_on_1);
    }

    #[test]
    fn phase_comparison() {
        let u = u3(0.4, 1.1, -2.0);
        assert!(u.with_phase(1.234).equal_up_to_phase(&u, 1e-12));
        assert!(!u.equal_up_to_phase(&rx(0.4), 1e-6));
        assert!(!u.equal_up_to_phase(&Matrix::identity(2), 1e-6));
        // rz and p differ by a global phase only.
        assert!(rz(0.9).equal_up_to_phase(&phase(0.9), 1e-12));
    }
}
