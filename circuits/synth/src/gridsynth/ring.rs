//! Exact arithmetic in Z[√2] and Z[ω] (ω = e^{iπ/4}) on dashu integers, as in pygridsynth's
//! `ring.py`, with the square-and-multiply power and the Euclidean division written once for
//! both rings.

use std::cmp::Ordering;

use dashu_float::FBig;
use dashu_float::round::mode::HalfEven;
use dashu_int::IBig;
use dashu_int::ops::{Gcd, SquareRoot, UnsignedAbs};
use rsgridsynth::ring::ZOmega;

/// An associative product with an identity: all that `pow` needs. Implemented by the two rings
/// here and by the grid operators of the step-lemma reduction.
pub trait Monoid: Clone {
    fn one() -> Self;

    fn mul(&self, o: &Self) -> Self;

    /// `self^e` by square-and-multiply, low bit first.
    fn pow(&self, mut e: u64) -> Self {
        let (mut base, mut acc) = (self.clone(), Self::one());
        while e > 0 {
            if e & 1 == 1 {
                acc = acc.mul(&base);
            }
            base = base.mul(&base);
            e >>= 1;
        }
        acc
    }
}

/// A ring of algebraic integers with pygridsynth's Euclidean division: the quotient x/y is
/// x·ȳ/N(y) rounded coefficient by coefficient, where ȳ is the product of y's other
/// conjugates, so that y·ȳ = N(y) is an integer.
pub trait Euclidean: Monoid {
    fn sub(&self, o: &Self) -> Self;

    fn is_zero(&self) -> bool;

    /// The integer norm N(y), the product of y's conjugates.
    fn norm(&self) -> IBig;

    /// self·ȳ, the numerator of self/y over the denominator N(y).
    fn mul_by_cofactor(&self, y: &Self) -> Self;

    /// The element whose coefficients are `f` of this one's.
    fn map_coefficients(&self, f: impl Fn(&IBig) -> IBig) -> Self;

    /// Euclidean division with rounded quotient; `None` when dividing by zero.
    fn divmod(&self, y: &Self) -> Option<(Self, Self)> {
        let n = y.norm();
        if n == IBig::ZERO {
            return None;
        }
        let q = self
            .mul_by_cofactor(y)
            .map_coefficients(|c| round_div(c, &n));
        let r = self.sub(&y.mul(&q));
        Some((q, r))
    }

    /// Whether `y` divides `self` (zero divides only zero).
    fn divisible_by(&self, y: &Self) -> bool {
        match self.divmod(y) {
            Some((_, r)) => r.is_zero(),
            None => self.is_zero(),
        }
    }

    fn gcd(a: &Self, b: &Self) -> Self {
        let (mut a, mut b) = (a.clone(), b.clone());
        while let Some((_, r)) = a.divmod(&b) {
            a = b;
            b = r;
        }
        a
    }

    /// Associates: each divides the other.
    fn sim(a: &Self, b: &Self) -> bool {
        a.divisible_by(b) && b.divisible_by(a)
    }
}

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

/// λ^n for any integer n, exactly (λ = 1 + √2, or its conjugate λ• = 1 − √2 with `conj`).
pub fn lambda_pow(n: i64, conj: bool) -> Zr2 {
    // λ = 1 + √2, λ^-1 = −1 + √2; λ• = 1 − √2, (λ•)^-1 = −1 − √2.
    let (a, b) = match (n >= 0, conj) {
        (true, false) => (1, 1),
        (false, false) => (-1, 1),
        (true, true) => (1, -1),
        (false, true) => (-1, -1),
    };
    Zr2::new(IBig::from(a), IBig::from(b)).pow(n.unsigned_abs())
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

    /// The value as a float, computed as rsgridsynth's `ZRootTwo::to_real` computes it but with
    /// √2 (at the working precision) passed in rather than recomputed.
    pub fn to_real(&self, sqrt2: &FBig<HalfEven>) -> FBig<HalfEven> {
        &self.a + sqrt2.clone() * &self.b
    }

    /// The √2 ↦ −√2 conjugate (written • in Ross–Selinger).
    pub fn conj(&self) -> Self {
        Zr2::new(self.a.clone(), -&self.b)
    }

    /// The rounded quotient (zero when dividing by zero).
    pub fn div(&self, y: &Self) -> Self {
        self.divmod(y)
            .map_or_else(|| Zr2::int(IBig::ZERO), |(q, _)| q)
    }

    /// The exact quotient, if `y` divides `self`.
    pub fn div_exact(&self, y: &Self) -> Option<Self> {
        let (q, r) = self.divmod(y)?;
        r.is_zero().then_some(q)
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

impl Monoid for Zr2 {
    fn one() -> Self {
        Zr2::int(IBig::ONE)
    }

    fn mul(&self, o: &Self) -> Self {
        Zr2::new(
            &self.a * &o.a + &self.b * &o.b * 2,
            &self.a * &o.b + &self.b * &o.a,
        )
    }
}

impl Euclidean for Zr2 {
    fn sub(&self, o: &Self) -> Self {
        Zr2::new(&self.a - &o.a, &self.b - &o.b)
    }

    fn is_zero(&self) -> bool {
        self.a == IBig::ZERO && self.b == IBig::ZERO
    }

    fn norm(&self) -> IBig {
        &self.a * &self.a - &self.b * &self.b * 2
    }

    fn mul_by_cofactor(&self, y: &Self) -> Self {
        self.mul(&y.conj())
    }

    fn map_coefficients(&self, f: impl Fn(&IBig) -> IBig) -> Self {
        Zr2::new(f(&self.a), f(&self.b))
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

    /// Coefficients of ω^0..ω^3.
    fn coef(&self) -> [&IBig; 4] {
        [&self.d, &self.c, &self.b, &self.a]
    }

    /// Complex conjugate (†).
    pub fn conj(&self) -> Self {
        Zw::new(-&self.c, -&self.b, -&self.a, self.d.clone())
    }

    /// The √2 ↦ −√2 conjugate (•).
    pub fn conj_sq2(&self) -> Self {
        Zw::new(-&self.a, self.b.clone(), -&self.c, self.d.clone())
    }
}

impl Monoid for Zw {
    fn one() -> Self {
        Zw::int(IBig::ONE)
    }

    fn mul(&self, o: &Self) -> Self {
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
}

impl Euclidean for Zw {
    fn sub(&self, o: &Self) -> Self {
        Zw::new(
            &self.a - &o.a,
            &self.b - &o.b,
            &self.c - &o.c,
            &self.d - &o.d,
        )
    }

    fn is_zero(&self) -> bool {
        [&self.a, &self.b, &self.c, &self.d]
            .iter()
            .all(|x| **x == IBig::ZERO)
    }

    /// N(x) = (x x†)(x x†)•.
    fn norm(&self) -> IBig {
        let (a, b, c, d) = (&self.a, &self.b, &self.c, &self.d);
        let s = a * a + b * b + c * c + d * d;
        let t = a * b + b * c + c * d - d * a;
        &s * &s - &t * &t * 2
    }

    /// self·y†·(y†)•·y•, multiplied in that order.
    fn mul_by_cofactor(&self, y: &Self) -> Self {
        let yc = y.conj();
        self.mul(&yc).mul(&yc.conj_sq2()).mul(&y.conj_sq2())
    }

    fn map_coefficients(&self, f: impl Fn(&IBig) -> IBig) -> Self {
        Zw::new(f(&self.a), f(&self.b), f(&self.c), f(&self.d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_arithmetic() {
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
    fn pow_and_divmod_agree_with_products() {
        let i = |x: i64| IBig::from(x);
        let (x, w) = (Zr2::new(i(3), i(-2)), Zw::small(2, -1, 0, 3));
        let (mut xe, mut we) = (Zr2::one(), Zw::one());
        for e in 0..20 {
            assert_eq!(x.pow(e), xe, "Z[√2] power {e}");
            assert_eq!(w.pow(e), we, "Z[ω] power {e}");
            xe = xe.mul(&x);
            we = we.mul(&w);
        }
        // a = q·y + r, and exact multiples divide with no remainder.
        let (y, v) = (Zr2::new(i(5), i(1)), Zw::small(1, 0, -1, 2));
        let (q, r) = xe.divmod(&y).expect("y ≠ 0");
        assert_eq!(xe.sub(&r), q.mul(&y));
        let (q, r) = we.divmod(&v).expect("v ≠ 0");
        assert_eq!(we.sub(&r), q.mul(&v));
        assert_eq!(x.mul(&y).div_exact(&y), Some(x.clone()));
        assert!(w.mul(&v).divisible_by(&v) && Zw::sim(&w, &w.mul(&Zw::small(0, 0, 1, 0))));
        assert_eq!(x.divmod(&Zr2::int(i(0))), None);
    }
}
