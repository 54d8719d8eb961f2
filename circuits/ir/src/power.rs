//! Exact integer powers of standard gates.
//!
//! `pow(k) @ g` with a large integer `k` cannot be computed from `g`'s matrix: squaring a
//! rounded matrix sixty times multiplies its rounding error by `k` (`pow(1e17) @ h` came out
//! with norm 10^9). For the gates where the answer is known exactly it is computed from the
//! gate instead: a gate of finite order `n` (`h² = I`, `t⁸ = I`) takes `k mod n`, and a
//! rotation takes `k·θ` reduced modulo its period with one rounding (`rx(θ)^k = rx(kθ)`).
//! Integer powers commute with `ctrl` and `inv` and multiply with each other, so every integer
//! `pow` of an application can be folded this way wherever it is written.

use smallvec::SmallVec;

use crate::circuit::Modifier;
use crate::gates::StandardGate;

/// `2π` as the unevaluated sum of three doubles (error below 10^-48), for exact reduction.
const TWO_PI: [f64; 3] = [
    std::f64::consts::TAU,
    2.449_293_598_294_706_4e-16,
    -5.989_539_619_436_679e-33,
];

/// Most periods an angle `k·θ` may span and still be reduced exactly (the quotient must be an
/// integer a double holds exactly).
pub const MAX_PERIODS: f64 = 4_503_599_627_370_496.0; // 2^52

/// Why a power cannot be folded exactly.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PowerError {
    /// `k·θ` spans more periods than [`MAX_PERIODS`]: the reduced angle is not computable
    /// from a double exponent and angle.
    #[error(
        "pow({power}) @ {gate}({angle}): the angle times the power spans more than 2^52 periods, beyond which the reduced angle cannot be computed exactly"
    )]
    AngleOutOfRange {
        gate: &'static str,
        angle: f64,
        power: f64,
    },
}

/// `k` is an integer power (every double beyond 2^53 is one).
fn is_integer(k: f64) -> bool {
    k.is_finite() && k.fract() == 0.0
}

/// `θ·k` reduced modulo `periods·2π` into about `[-π·periods, π·periods]`, exactly but for
/// one rounding of the result; `None` when the quotient would exceed [`MAX_PERIODS`].
pub fn reduce_angle(theta: f64, k: f64, periods: f64) -> Option<f64> {
    let p = theta * k;
    if !p.is_finite() {
        return None;
    }
    // `p + e` is the exact product (TwoProduct).
    let e = theta.mul_add(k, -p);
    let [p1, p2, p3] = TWO_PI.map(|c| c * periods);
    let n = (p / p1).round();
    if n.abs() >= MAX_PERIODS {
        return None;
    }
    // `p - n·p1` is exact: both are multiples of ulp(p1) and the difference is below 2·p1, so
    // it fits a double's 53 bits. The remaining terms are small and round once each.
    let r = n.mul_add(-p1, p);
    let r = n.mul_add(-p2, r);
    let r = n.mul_add(-p3, r);
    Some(r + e)
}

/// The integer powers (each `pow(k)` with integer `k`) of an application of `gate`, folded
/// into its parameters or reduced modulo its order. Returns `None` when there is nothing to
/// fold (no integer power, or a gate of neither kind: those keep their modifiers); otherwise
/// the parameters and modifiers to apply instead, which hold no integer power above the
/// gate's order.
///
/// # Errors
/// A rotation whose angle times the power spans more than [`MAX_PERIODS`] periods.
#[allow(clippy::type_complexity)]
pub fn fold_integer_powers(
    gate: StandardGate,
    params: &[f64],
    modifiers: &[Modifier],
) -> Result<Option<(SmallVec<[f64; 4]>, SmallVec<[Modifier; 4]>)>, PowerError> {
    let integer_pow = |m: &Modifier| matches!(m, Modifier::Pow(k) if is_integer(*k));
    if !modifiers.iter().any(integer_pow) {
        return Ok(None);
    }
    // A fractional power does not commute with `inv` (branch cuts): leave such chains alone.
    if modifiers
        .iter()
        .any(|m| matches!(m, Modifier::Pow(k) if !is_integer(*k)))
    {
        return Ok(None);
    }
    let kept: SmallVec<[Modifier; 4]> = modifiers
        .iter()
        .copied()
        .filter(|m| !integer_pow(m))
        .collect();
    let powers = modifiers.iter().filter_map(|m| match m {
        Modifier::Pow(k) => Some(*k),
        _ => None,
    });
    if let Some(order) = gate.order() {
        // `g^k = g^(k mod n)`; `rem_euclid` of doubles is exact.
        let n = order as f64;
        let r = powers.fold(1.0, |acc: f64, k| (acc * k.rem_euclid(n)).rem_euclid(n));
        let mut mods = kept;
        if r != 1.0 {
            // Innermost: an integer power commutes with `ctrl` and `inv`.
            mods.push(Modifier::Pow(r));
        }
        return Ok(Some((params.iter().copied().collect(), mods)));
    }
    let Some(periods) = gate.rotation_periods() else {
        return Ok(None);
    };
    let mut angle = params.first().copied().unwrap_or(0.0);
    for k in powers {
        angle = reduce_angle(angle, k, periods).ok_or(PowerError::AngleOutOfRange {
            gate: gate.name(),
            angle,
            power: k,
        })?;
    }
    let mut p: SmallVec<[f64; 4]> = params.iter().copied().collect();
    if let Some(first) = p.first_mut() {
        *first = angle;
    }
    Ok(Some((p, kept)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gates::ALL_GATES;
    use crate::matrix::Matrix;

    #[test]
    fn orders_are_exact() {
        for g in ALL_GATES {
            let Some(n) = g.order() else { continue };
            let params = vec![0.3; g.num_params()];
            let m = g.matrix(&params).expect("matrix");
            let id = Matrix::identity(m.num_qubits());
            let mut p = id.clone();
            for _ in 0..n {
                p = p.mul(&m);
            }
            assert!(p.max_abs_diff(&id) < 1e-12, "{g:?}^{n}");
        }
    }

    #[test]
    fn rotations_scale_their_angle() {
        for g in ALL_GATES {
            let Some(periods) = g.rotation_periods() else {
                continue;
            };
            let m = g.matrix(&[0.7]).expect("matrix");
            let cubed = m.mul(&m).mul(&m);
            assert!(
                g.matrix(&[2.1]).expect("m").max_abs_diff(&cubed) < 1e-14,
                "{g:?}"
            );
            // One period is the identity.
            let full = g.matrix(&[periods * std::f64::consts::TAU]).expect("m");
            let once = g.matrix(&[0.0]).expect("m");
            assert!(full.max_abs_diff(&once) < 1e-14, "{g:?}");
        }
    }

    #[test]
    fn reduction_is_exact_for_huge_powers() {
        // 0.5 · 10^16 = 5·10^15 exactly; mod 4π computed with 40 digits of π.
        let r = reduce_angle(0.5, 1e16, 2.0).expect("in range");
        let exact = 4.265_305_278_170_976; // 5e15 mod 4π, from 80-digit arithmetic
        assert!(
            (r.rem_euclid(4.0 * std::f64::consts::PI) - exact).abs() < 1e-12,
            "{r}"
        );
        assert_eq!(reduce_angle(1.0, 1e300, 1.0), None);
    }
}
