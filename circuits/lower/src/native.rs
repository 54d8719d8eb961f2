//! The native target's single-qubit and two-qubit forms: any single-qubit unitary as at most
//! `rz · sx · rz · sx · rz` (rz is virtual), CNOT as `h · cz · h`; and the quantisation of its
//! rz angles to the grid of `eqisa_isa::angle` at the precision the fidelity budget allows.

use eqisa_isa::angle::{self, MAX_BITS, RAW};

use super::clifford_t::{Budget, error_for_fidelity, fidelity_for_error};
use super::program::{NativeOp, NativeProgram};
use eqisa_ir::matrix::Matrix;
use eqisa_synth::euler::zyz;
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

/// Operator-norm distance, minimised over global phase, between `rz(a)` and `rz(b)`:
/// `2·|sin(Δ/4)|` with `Δ = a − b` reduced to (−π, π] (rz(θ + 2π) = −rz(θ)).
pub fn rz_distance(a: f64, b: f64) -> f64 {
    2.0 * (wrap(a - b) / 4.0).sin().abs()
}

/// The grid precision for `rotations` rz angles under `budget`: each rotation gets an even
/// share `δ/N` of the whole-circuit error `δ` a fidelity budget allows (all of `δ` when there
/// are none), or the given per-rotation error. [`RAW`] (exact f64) for [`Budget::Exact`] and
/// for budgets finer than the finest grid can meet.
pub fn angle_bits_for(budget: Budget, rotations: u64) -> u8 {
    let eps = match budget {
        Budget::Exact => return RAW,
        Budget::Eps(e) => e,
        Budget::Fidelity(f) => error_for_fidelity(f) / rotations.max(1) as f64,
    };
    // Also catches NaN budgets.
    if eps.is_nan() || eps < angle::max_error(MAX_BITS) {
        return RAW;
    }
    angle::bits_for_error(eps)
}

/// What snapping a program's rz angles cost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantised {
    /// The precision chosen ([`RAW`]: angles left exact).
    pub bits: u8,
    /// Sum over the rotations of their actual distance to the snapped rotation.
    pub total_error: f64,
    /// Rotations whose angle moved (those that snapped to 0 were dropped).
    pub moved: u64,
}

/// The cost of snapping every rz of `p` to `bits`: (sum of distances, largest distance,
/// rotations that move).
fn snapping_cost(p: &NativeProgram, bits: u8) -> (f64, f64, u64) {
    let mut cost = SnapCost::default();
    for op in &p.ops {
        if let NativeOp::Rz(a) = op.op {
            cost.add(a, bits, 1);
        }
    }
    (cost.total, cost.worst, cost.moved)
}

/// What snapping rotations to one grid costs, summed over rotations.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SnapCost {
    /// Sum of the distances to the snapped rotations.
    pub total: f64,
    /// The largest.
    pub worst: f64,
    /// Rotations that move.
    pub moved: u64,
}

impl SnapCost {
    /// Adds `times` rotations by angle `a` snapped to `bits`.
    pub fn add(&mut self, a: f64, bits: u8, times: u64) {
        let s = angle::snap(a, bits);
        if s != a {
            let d = rz_distance(a, s);
            self.total += d * times as f64;
            self.worst = self.worst.max(d);
            self.moved += times;
        }
    }
}

/// The coarsest grid whose snapping cost (`cost(bits)`, over `rotations` rotations) meets
/// `budget`, as [`quantise`] chooses it: for a fidelity budget the sum of the actual errors
/// counts, for an `Eps` budget the largest; [`RAW`] when no grid does.
pub fn choose_grid(
    budget: Budget,
    rotations: u64,
    mut cost: impl FnMut(u8) -> SnapCost,
) -> Quantised {
    // A fidelity budget is met by the sum of the actual errors, which is far below N times the
    // worst case (most angles are Clifford angles, which sit on every grid of 3 bits or more):
    // take the coarsest grid whose actual total fits, starting from the worst-case rule's
    // answer only as an upper bound on the search.
    let upper = angle_bits_for(budget, rotations);
    let mut bits = match budget {
        Budget::Fidelity(_) if upper != RAW => 1,
        _ => upper,
    };
    let mut c = SnapCost::default();
    while bits != RAW {
        c = cost(bits);
        let met = match budget {
            Budget::Exact => false,
            Budget::Eps(e) => c.worst <= e,
            Budget::Fidelity(f) => fidelity_for_error(c.total) >= f,
        };
        if met {
            break;
        }
        bits = if bits < MAX_BITS { bits + 1 } else { RAW };
    }
    if bits == RAW {
        return Quantised {
            bits,
            total_error: 0.0,
            moved: 0,
        };
    }
    Quantised {
        bits,
        total_error: c.total,
        moved: c.moved,
    }
}

/// Snap every rz angle of a native program (merged and wrapped already; conditional ones too) to
/// the coarsest grid whose actual total error meets a fidelity budget (or, for an `Eps` budget,
/// the precision [`angle_bits_for`] gives), dropping those that snap to 0, and set
/// [`NativeProgram::angle_bits`]. Should rounding leave the actual error over the budget, the
/// precision is raised (to exact f64 at worst), so the budget always holds.
pub fn quantise(p: &mut NativeProgram, budget: Budget) -> Quantised {
    let rotations = p
        .ops
        .iter()
        .filter(|o| matches!(o.op, NativeOp::Rz(_)))
        .count() as u64;
    let q = choose_grid(budget, rotations, |bits| {
        let (total, worst, moved) = snapping_cost(p, bits);
        SnapCost {
            total,
            worst,
            moved,
        }
    });
    p.angle_bits = q.bits;
    if q.bits != RAW {
        p.ops.retain_mut(|op| match &mut op.op {
            NativeOp::Rz(a) => {
                *a = angle::snap(*a, q.bits);
                *a != 0.0
            }
            _ => true,
        });
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_ir::gates::{ALL_GATES, StandardGate};
    use eqisa_synth::euler::rz;

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
