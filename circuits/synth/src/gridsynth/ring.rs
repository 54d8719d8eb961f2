//! Exact arithmetic in Z[√2] and Z[ω] (ω = e^{iπ/4}) on dashu integers, as in pygridsynth's
//! `ring.py`.

use std::cmp::Ordering;

use dashu_int::IBig;
use dashu_int::ops::{Gcd, SquareRoot, UnsignedAbs};
use rsgridsynth::ring::ZOmega;

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

    pub fn one() -> Self {
        Zr2::int(IBig::ONE)
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

    pub fn is_zero(&self) -> bool {
        self.a == IBig::ZERO && self.b == IBig::ZERO
    }

    /// The √2 ↦ −√2 conjugate (written • in Ross–Selinger).
    pub fn conj(&self) -> Self {
        Zr2::new(self.a.clone(), -&self.b)
    }

    pub fn norm(&self) -> IBig {
        &self.a * &self.a - &self.b * &self.b * 2
    }

    pub fn sub(&self, o: &Self) -> Self {
        Zr2::new(&self.a - &o.a, &self.b - &o.b)
    }

    pub fn mul(&self, o: &Self) -> Self {
        Zr2::new(
            &self.a * &o.a + &self.b * &o.b * 2,
            &self.a * &o.b + &self.b * &o.a,
        )
    }

    pub fn pow(&self, mut e: u64) -> Self {
        let (mut base, mut acc) = (self.clone(), Zr2::one());
        while e > 0 {
            if e & 1 == 1 {
                acc = acc.mul(&base);
            }
            base = base.mul(&base);
            e >>= 1;
        }
        acc
    }

    /// Euclidean division with rounded quotient; `None` when dividing by zero.
    pub fn divmod(&self, y: &Self) -> Option<(Self, Self)> {
        let n = y.norm();
        if n == IBig::ZERO {
            return None;
        }
        let p = self.mul(&y.conj());
        let q = Zr2::new(round_div(&p.a, &n), round_div(&p.b, &n));
        let r = self.sub(&y.mul(&q));
        Some((q, r))
    }

    pub fn div(&self, y: &Self) -> Self {
        self.divmod(y)
            .map_or_else(|| Zr2::int(IBig::ZERO), |(q, _)| q)
    }

    /// Whether `y` divides `self` (zero divides only zero).
    pub fn divisible_by(&self, y: &Self) -> bool {
        match self.divmod(y) {
            Some((_, r)) => r.is_zero(),
            None => self.is_zero(),
        }
    }

    /// The exact quotient, if `y` divides `self`.
    pub fn div_exact(&self, y: &Self) -> Option<Self> {
        let (q, r) = self.divmod(y)?;
        r.is_zero().then_some(q)
    }

    pub fn gcd(a: &Self, b: &Self) -> Self {
        let (mut a, mut b) = (a.clone(), b.clone());
        while let Some((_, r)) = a.divmod(&b) {
            a = b;
            b = r;
        }
        a
    }

    /// Associates: each divides the other.
    pub fn sim(a: &Self, b: &Self) -> bool {
        a.divisible_by(b) && b.divisible_by(a)
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

    pub fn is_zero(&self) -> bool {
        [&self.a, &self.b, &self.c, &self.d]
            .iter()
            .all(|x| **x == IBig::ZERO)
    }

    /// Coefficients of ω^0..ω^3.
    fn coef(&self) -> [&IBig; 4] {
        [&self.d, &self.c, &self.b, &self.a]
    }

    pub fn mul(&self, o: &Self) -> Self {
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

    pub fn sub(&self, o: &Self) -> Self {
        Zw::new(
            &self.a - &o.a,
            &self.b - &o.b,
            &self.c - &o.c,
            &self.d - &o.d,
        )
    }

    /// Complex conjugate (†).
    pub fn conj(&self) -> Self {
        Zw::new(-&self.c, -&self.b, -&self.a, self.d.clone())
    }

    /// The √2 ↦ −√2 conjugate (•).
    pub fn conj_sq2(&self) -> Self {
        Zw::new(-&self.a, self.b.clone(), -&self.c, self.d.clone())
    }

    /// The integer norm N(x) = (x x†)(x x†)•.
    pub fn norm(&self) -> IBig {
        let (a, b, c, d) = (&self.a, &self.b, &self.c, &self.d);
        let s = a * a + b * b + c * c + d * d;
        let t = a * b + b * c + c * d - d * a;
        &s * &s - &t * &t * 2
    }

    pub fn pow(&self, mut e: u64) -> Self {
        let (mut base, mut acc) = (self.clone(), Zw::int(IBig::ONE));
        while e > 0 {
            if e & 1 == 1 {
                acc = acc.mul(&base);
            }
            base = base.mul(&base);
            e >>= 1;
        }
        acc
    }

    /// Euclidean division with rounded quotient; `None` when dividing by zero.
    pub fn divmod(&self, y: &Self) -> Option<(Self, Self)> {
        let n = y.norm();
        if n == IBig::ZERO {
            return None;
        }
        let yc = y.conj();
        let p = self.mul(&yc).mul(&yc.conj_sq2()).mul(&y.conj_sq2());
        let q = Zw::new(
            round_div(&p.a, &n),
            round_div(&p.b, &n),
            round_div(&p.c, &n),
            round_div(&p.d, &n),
        );
        let r = self.sub(&y.mul(&q));
        Some((q, r))
    }

    pub fn divisible_by(&self, y: &Self) -> bool {
        match self.divmod(y) {
            Some((_, r)) => r.is_zero(),
            None => self.is_zero(),
        }
    }

    pub fn gcd(a: &Self, b: &Self) -> Self {
        let (mut a, mut b) = (a.clone(), b.clone());
        while let Some((_, r)) = a.divmod(&b) {
            a = b;
            b = r;
        }
        a
    }

    pub fn sim(a: &Self, b: &Self) -> bool {
        a.divisible_by(b) && b.divisible_by(a)
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
}
