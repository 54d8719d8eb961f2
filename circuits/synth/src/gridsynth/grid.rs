//! The grid problems: the two-dimensional one (Ross–Selinger, Prop. 5.21) whose solutions are the
//! candidates, and the one-dimensional ones it reduces to.
//!
//! Ported from rsgridsynth's `tdgp.rs` and `odgp.rs` so that the constants those
//! recompute on every use — √2 by a full-precision square root (once per `to_real`, and twice
//! per enumerated integer), λ^n and its square powers in `floorlog` — are computed once per
//! synthesis at the working precision ([`Consts`]). Every floating-point operation is the same
//! operation on the same operands as in rsgridsynth, so the enumeration (candidates and their
//! order) is bit-for-bit the one `solve_tdgp` produces; only the redundant work is gone.
//! Results are collected eagerly per y-solution instead of through nested lazy iterators.

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

use super::ring::{Monoid, Zr2, lambda_pow};

type Real = FBig<HalfEven>;

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
        let l = lambda.to_real(&c.sqrt2);
        c.lambda_squares.push(l);
        c
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
        Some(x.to_real(&self.sqrt2) / self.pow_sqrt2(k)?)
    }

    /// λ^n and (λ•)^n as floats (as `ZRootTwo::to_real` of the exact powers), and λ^-n.
    fn lambda_powers(&mut self, n: i64) -> (Real, Real, Zr2) {
        if let Some(p) = self.lambda_powers.get(&n) {
            return p.clone();
        }
        let p = (
            lambda_pow(n, false).to_real(&self.sqrt2),
            lambda_pow(n, true).to_real(&self.sqrt2),
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

/// `odgp::solve_odgp`: the β ∈ Z[√2] with β ∈ i and β• ∈ j, in rsgridsynth's order.
fn solve(c: &mut Consts, i: &Interval, j: &Interval, f: &mut Visit) -> Option<ControlFlow<()>> {
    let div1: Real = (&i.l + &j.l) / 2;
    let a = floor(div1)?;
    let div2: Real = (c.sqrt2.clone() * (&i.l - &j.l)) / 4;
    let b = floor(div2)?;
    let alpha = Zr2::new(a, b);
    let sub_i = i.sub_ref(&alpha.to_real(&c.sqrt2));
    let sub_j = j.sub_ref(&alpha.conj().to_real(&c.sqrt2));
    let sqrt2 = c.sqrt2.clone();
    solve_internal(c, sub_i, sub_j, &mut |beta: Zr2| {
        let beta = Zr2::new(&beta.a + &alpha.a, &beta.b + &alpha.b);
        // rsgridsynth re-checks the shifted solution against the original intervals.
        if i.within(&beta.to_real(&sqrt2)) && j.within(&beta.conj().to_real(&sqrt2)) {
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
fn first_scaled(c: &mut Consts, i: &Interval, j: &Interval, k: i64) -> Option<Option<DRootTwo>> {
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
