//! The step-lemma reduction (Ross–Selinger, Lemma A.5): the special grid operator that makes a
//! pair of ellipses upright.
//!
//! Ported from rsgridsynth's `to_upright.rs` with one change: the shift exponents
//! `round(log_λ(bias)/8)` and `round(log_λ(bias)/4)` are computed with rsgridsynth's exact
//! `floorlog` (repeated squaring and comparisons) instead of two arbitrary-precision natural
//! logarithms per step, which took about a third of a whole synthesis. Either way the exponent
//! only steers the reduction; the operator it returns is exact and special. The products it
//! applies (`GridOp * EllipsePair`, `GridOp * GridOp`) are rsgridsynth's, operation for
//! operation, except that √2 — which `ZOmega::real`/`imag` and `ZRootTwo::to_real` recompute by
//! a full-precision square root on every call — is computed once, and the entries of each
//! operator's inverse matrix and their pairwise products are computed once per operator.

use std::collections::BTreeMap;

use dashu_float::FBig;
use dashu_float::round::mode::HalfEven;
use dashu_int::IBig;
use rsgridsynth::common::ib_to_bf_prec;
use rsgridsynth::grid_op::{EllipsePair, GridOp};
use rsgridsynth::math::{floorlog, floorsqrt, sqrt2};
use rsgridsynth::region::Ellipse;
use rsgridsynth::ring::ZOmega;

use super::ring::{Monoid, lambda_pow};

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

/// Grid operators under [`compose`], so that `pow` raises them to a power.
impl Monoid for GridOp {
    fn one() -> Self {
        op([0, 0, 0, 1], [0, 1, 0, 0])
    }

    fn mul(&self, o: &Self) -> Self {
        compose(self, o)
    }
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
        let c =
            |num: i64, den: i64| ib_to_bf_prec(IBig::from(num)) / ib_to_bf_prec(IBig::from(den));
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
        lambda_pow(n, false).to_real(&self.sqrt2)
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

        // The entries of Mᵀ·D·M (D the ellipse's matrix, M the inverse operator's), each summed
        // as rsgridsynth sums it: (a·x + b'·y) + d·z, with b' = 2b on the diagonal and b off it.
        let sum = |x: &Real, b: &Real, y: &Real, z: &Real| rhs.a() * x + b * y + rhs.d() * z;
        let two_b = 2 * rhs.b();
        let a = sum(&m.m00_sq, &two_b, &m.m00_m10, &m.m10_sq);
        let b = sum(&m.m00_m01, rhs.b(), &m.sum_cross, &m.m10_m11);
        let d = sum(&m.m01_sq, &two_b, &m.m11_m01, &m.m11_sq);

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
    pub fn apply_pair(&mut self, g: &GridOp, ep: EllipsePair, center: bool) -> Option<EllipsePair> {
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
            s.pow(n.unsigned_abs())
        } else {
            s.inv()?.pow(n.unsigned_abs())
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
        Some((ep, compose(&l, &sl.pow(m)), compose(&sr.pow(m), &r), false))
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
    let (mut l, mut r) = (GridOp::one(), GridOp::one());
    for _ in 0..MAX_STEPS {
        let (next, nl, nr, done) = step(k, ep, l, r)?;
        if done {
            return Some(compose(&nl, &nr));
        }
        (ep, l, r) = (next, nl, nr);
    }
    None
}
