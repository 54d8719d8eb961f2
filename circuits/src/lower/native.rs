//! The native target's single-qubit and two-qubit forms: any single-qubit unitary as at most
//! `rz · sx · rz · sx · rz` (rz is virtual), CNOT as `h · cz · h`.

use super::program::NativeOp;
use crate::matrix::Matrix;
use crate::synth::euler::zyz;
use std::f64::consts::{FRAC_PI_2, PI};

/// Angles this close to a special value take the shorter form.
const TOL: f64 = 1e-12;

/// Reduce an angle to (-π, π].
pub fn wrap(a: f64) -> f64 {
    let r = a.rem_euclid(2.0 * PI);
    if r > PI { r - 2.0 * PI } else { r }
}

/// A single-qubit unitary as native operations in time order, equal to it up to global phase.
pub fn one_qubit(u: &Matrix) -> Vec<NativeOp> {
    let e = zyz(u);
    let (t, p, l) = (e.theta, e.phi, e.lambda);
    if t.abs() < TOL {
        return vec![NativeOp::Rz(wrap(p + l))];
    }
    if (t - FRAC_PI_2).abs() < TOL {
        // Ry(π/2) = Rz(π/2)·Rx(π/2)·Rz(−π/2), and sx ∝ Rx(π/2).
        return vec![
            NativeOp::Rz(wrap(l - FRAC_PI_2)),
            NativeOp::Sx,
            NativeOp::Rz(wrap(p + FRAC_PI_2)),
        ];
    }
    if (t - PI).abs() < TOL {
        return vec![
            NativeOp::Rz(wrap(l - FRAC_PI_2)),
            NativeOp::X,
            NativeOp::Rz(wrap(p + FRAC_PI_2)),
        ];
    }
    vec![
        NativeOp::Rz(wrap(l)),
        NativeOp::Sx,
        NativeOp::Rz(wrap(t + PI)),
        NativeOp::Sx,
        NativeOp::Rz(wrap(p + PI)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gates::{ALL_GATES, StandardGate};
    use crate::synth::euler::rz;

    fn product(ops: &[NativeOp]) -> Matrix {
        let mut m = Matrix::identity(1);
        for op in ops {
            let g = match op {
                NativeOp::Rz(a) => rz(*a),
                NativeOp::Sx => StandardGate::Sx.matrix(&[]).expect("sx"),
                NativeOp::X => StandardGate::X.matrix(&[]).expect("x"),
                other => panic!("unexpected {other:?}"),
            };
            m = g.mul(&m);
        }
        m
    }

    #[test]
    fn single_qubit_forms_are_exact_up_to_phase() {
        let mut cases = Vec::new();
        for g in ALL_GATES {
            if g.num_qubits() == 1 {
                for p in [0.0, 0.4, -2.2, FRAC_PI_2, PI] {
                    cases.push(g.matrix(&vec![p; g.num_params()]).expect("params"));
                }
            }
        }
        for (k, u) in cases.iter().enumerate() {
            let ops = one_qubit(u);
            assert!(ops.len() <= 5);
            assert!(
                product(&ops).equal_up_to_phase(u, 1e-10),
                "case {k}: {ops:?}"
            );
        }
    }
}
