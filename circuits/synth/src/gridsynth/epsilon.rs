//! The ε-region of `rz(θ)`, the region of each grid problem that the unit disk is paired with.
//!
//! rsgridsynth's `EpsilonRegion` (the ε-region of `rz(θ)`, scaled by `scale`) is ported so that
//! the exact and the shifted problem share one evaluation of cos(−θ/2) and sin(−θ/2) — the
//! arbitrary-precision series that made up most of its construction. Every other operation is
//! rsgridsynth's, in the same order on the same operands, so the region is bit-for-bit the same.

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
fn series(x: &Real, sine: bool) -> Real {
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

#[cfg(test)]
mod tests {
    use rsgridsynth::common::{self, cos_fbig, sin_fbig};

    use super::*;
    use crate::gridsynth::precision;

    #[test]
    fn series_matches_rsgridsynth_trig() {
        let _guard = precision::lock();
        precision::reset();
        for p in [16, 24, 48, 96, 120, 144] {
            common::set_prec_bits(p);
            for i in -40i64..=40 {
                let x = ib_to_bf_prec(IBig::from(i * 7919 + 3)) / ib_to_bf_prec(IBig::from(12_345));
                assert_eq!(
                    series(&x, false),
                    fb_with_prec(cos_fbig(&x)),
                    "cos at p={p}, i={i}"
                );
                assert_eq!(
                    series(&x, true),
                    fb_with_prec(sin_fbig(&x)),
                    "sin at p={p}, i={i}"
                );
            }
        }
        common::reset_prec_bits();
    }
}
