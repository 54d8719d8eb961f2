//! Euler-angle decompositions of single-qubit unitaries.

use eqisa_ir::matrix::{C64, Matrix};

/// `U = e^{iα} · Rz(φ) · Ry(θ) · Rz(λ)` (Qiskit's `rz` and `ry` conventions).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Zyz {
    pub theta: f64,
    pub phi: f64,
    pub lambda: f64,
    pub alpha: f64,
}

/// Entries below this magnitude are treated as zero when an Euler angle is undetermined.
const DEGENERATE: f64 = 1e-14;

/// The ZYZ angles of a 2×2 unitary. The caller guarantees unitarity; the angles reproduce the
/// matrix to rounding error (see the tests).
pub fn zyz(u: &Matrix) -> Zyz {
    let (a, b, c, d) = (u.get(0, 0), u.get(0, 1), u.get(1, 0), u.get(1, 1));
    // Remove the global phase so the rest is in SU(2).
    let alpha = (a * d - b * c).arg() / 2.0;
    let ph = C64::from_polar(1.0, -alpha);
    let (v00, v10, v11) = (a * ph, c * ph, d * ph);
    let theta = 2.0 * v10.norm().atan2(v00.norm());
    // V00 = e^{-i(φ+λ)/2} cos(θ/2), V10 = e^{i(φ-λ)/2} sin(θ/2), V11 = e^{i(φ+λ)/2} cos(θ/2).
    let (sum, diff) = if v10.norm() < DEGENERATE {
        (2.0 * v11.arg(), 0.0)
    } else if v00.norm() < DEGENERATE {
        (0.0, 2.0 * v10.arg())
    } else {
        (2.0 * v11.arg(), 2.0 * v10.arg())
    };
    Zyz {
        theta,
        phi: (sum + diff) / 2.0,
        lambda: (sum - diff) / 2.0,
        alpha,
    }
}

/// Qiskit's `rz(θ)`.
pub fn rz(theta: f64) -> Matrix {
    Matrix::from_vec(
        1,
        vec![
            C64::from_polar(1.0, -theta / 2.0),
            C64::new(0.0, 0.0),
            C64::new(0.0, 0.0),
            C64::from_polar(1.0, theta / 2.0),
        ],
    )
}

/// Qiskit's `ry(θ)`.
pub fn ry(theta: f64) -> Matrix {
    let (s, c) = (theta / 2.0).sin_cos();
    Matrix::from_vec(
        1,
        vec![
            C64::new(c, 0.0),
            C64::new(-s, 0.0),
            C64::new(s, 0.0),
            C64::new(c, 0.0),
        ],
    )
}

impl Zyz {
    /// The unitary the angles stand for.
    pub fn matrix(&self) -> Matrix {
        rz(self.phi)
            .mul(&ry(self.theta))
            .mul(&rz(self.lambda))
            .with_phase(self.alpha)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_ir::gates::{ALL_GATES, StandardGate};
    use eqisa_test_support::Rng;

    /// Deterministic pseudo-random unitaries (U gates of random angles, random phases).
    fn random_unitaries(n: usize) -> Vec<Matrix> {
        let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
        let mut angle = move || rng.f64() * std::f64::consts::TAU;
        (0..n)
            .map(|_| {
                StandardGate::U
                    .matrix(&[angle(), angle(), angle()])
                    .expect("three angles")
                    .with_phase(angle())
            })
            .collect()
    }

    #[test]
    fn reconstructs_random_and_library_unitaries_exactly() {
        let mut cases = random_unitaries(200);
        for g in ALL_GATES {
            if g.num_qubits() == 1 {
                let params = vec![0.7; g.num_params()];
                cases.push(g.matrix(&params).expect("params"));
            }
        }
        // Degenerate cases: diagonal and anti-diagonal.
        cases.push(rz(0.3).with_phase(1.0));
        cases.push(StandardGate::X.matrix(&[]).expect("x"));
        cases.push(StandardGate::Y.matrix(&[]).expect("y"));
        for u in &cases {
            let z = zyz(u);
            let err = z.matrix().max_abs_diff(u);
            assert!(err < 1e-12, "{z:?}: error {err}");
        }
    }
}
