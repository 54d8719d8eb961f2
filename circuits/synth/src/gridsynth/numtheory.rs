//! Integer number theory for the Diophantine step: modular powers and square roots,
//! Miller–Rabin and Pollard–Brent factoring, deterministic given the seeded generator.

use dashu_int::fast_div::ConstDivisor;
use dashu_int::ops::{BitTest, Gcd};
use dashu_int::{IBig, UBig};

use super::rng::SplitMix64;

/// `b^e mod n` for n ≥ 2.
pub fn modpow(b: &UBig, e: &UBig, n: &UBig) -> UBig {
    let ring = ConstDivisor::new(n.clone());
    ring.reduce(b.clone()).pow(e).residue()
}

/// Bases for Miller–Rabin: deterministic for n < 3.3·10^24 and, as fixed bases, a test
/// with no known failures of relevant size beyond. A wrong "prime" verdict can only make a
/// candidate fail its exact check later, never produce a wrong result.
const MR_BASES: [u64; 13] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41];

pub fn is_prime(n: &UBig) -> bool {
    if *n < UBig::from(2u8) {
        return false;
    }
    for p in MR_BASES {
        let p = UBig::from(p);
        if *n == p {
            return true;
        }
        if (n % &p).is_zero() {
            return false;
        }
    }
    let n_minus_1 = n - UBig::ONE;
    let mut d = n_minus_1.clone();
    let mut r = 0u32;
    while (&d % UBig::from(2u8)).is_zero() {
        d >>= 1;
        r += 1;
    }
    let ring = ConstDivisor::new(n.clone());
    let one = ring.reduce(1u8);
    let minus_one = ring.reduce(n_minus_1.clone());
    'bases: for base in MR_BASES {
        let mut x = ring.reduce(base).pow(&d);
        if x == one || x == minus_one {
            continue;
        }
        for _ in 1..r {
            x = &x * &x;
            if x == minus_one {
                continue 'bases;
            }
        }
        return false;
    }
    true
}

/// A square root of −1 mod p (p ≡ 1 mod 4), by trying up to 100 random bases.
pub fn sqrt_negative_one(p: &UBig, rng: &mut SplitMix64) -> Option<UBig> {
    let p_minus_1 = p - UBig::ONE;
    let exp = &p_minus_1 >> 2;
    for _ in 0..100 {
        let b = rng.one_to(&p_minus_1);
        let h = modpow(&b, &exp, p);
        let r = (&h * &h) % p;
        if r == p_minus_1 {
            return Some(h);
        } else if r != UBig::ONE {
            return None;
        }
    }
    None
}

/// A square root of x mod the odd prime p (Cipolla), by trying up to 100 random bases.
pub fn root_mod(x: &IBig, p: &UBig, rng: &mut SplitMix64) -> Option<UBig> {
    let pi = IBig::from(p.clone());
    let x = UBig::try_from(((x % &pi) + &pi) % &pi).ok()?;
    if *p == UBig::from(2u8) {
        return Some(x);
    }
    if x.is_zero() {
        return Some(UBig::ZERO);
    }
    if (p % UBig::from(2u8)).is_zero() {
        return None;
    }
    let p_minus_1 = p - UBig::ONE;
    let half = &p_minus_1 >> 1;
    if modpow(&x, &half, p) != UBig::ONE {
        return None;
    }
    for _ in 0..100 {
        let b = rng.one_to(&p_minus_1);
        if modpow(&b, &p_minus_1, p) != UBig::ONE {
            return None;
        }
        let base = (&b * &b + p - &x) % p;
        if modpow(&base, &half, p) != UBig::ONE {
            // (b + √base)^((p+1)/2) in F_p[√base] has a square equal to x.
            return Some(fp2_pow(&b, &base, &((p + UBig::ONE) >> 1), p));
        }
    }
    None
}

/// First coordinate of (b + √base)^e in F_p[√base].
fn fp2_pow(b: &UBig, base: &UBig, e: &UBig, p: &UBig) -> UBig {
    let mul = |x: &(UBig, UBig), y: &(UBig, UBig)| {
        (
            (&x.0 * &y.0 + (&x.1 * &y.1 % p) * base) % p,
            (&x.0 * &y.1 + &x.1 * &y.0) % p,
        )
    };
    let mut acc = (UBig::ONE, UBig::ZERO);
    let mut sq = (b % p, UBig::ONE);
    let mut e = e.clone();
    while !e.is_zero() {
        if e.bit(0) {
            acc = mul(&acc, &sq);
        }
        sq = mul(&sq, &sq);
        e >>= 1;
    }
    acc.0
}

/// Pollard–Brent batch size (pygridsynth's M).
const BATCH: u64 = 128;
/// Batches allowed per factoring attempt (pygridsynth's `floop`).
const FACTORING_LOOPS: u32 = 10;

/// A non-trivial factor of n, or `None` when the bounded Pollard–Brent search gives up: at
/// most [`FACTORING_LOOPS`] batches of [`BATCH`] steps, so never more than ~1300 steps.
pub fn find_factor(n: &UBig, rng: &mut SplitMix64) -> Option<UBig> {
    let two = UBig::from(2u8);
    if *n <= two {
        return None;
    }
    if (n % &two).is_zero() {
        return Some(two);
    }
    let ring = ConstDivisor::new(n.clone());
    let a = ring.reduce(rng.one_to(n));
    let mut y = a.clone();
    let (mut r, mut k) = (1u64, 0u64);
    let digits = n.to_string().len();
    // pygridsynth's cap L ≈ 1.18·n^{1/4}; the batch budget is what binds for large n.
    let limit = (10f64.powf(digits as f64 / 4.0) * 1.1774 + 10.0) as u64;
    let mut loops = 0u32;
    loop {
        let x = y.clone();
        while k < r {
            let mut q = ring.reduce(1u8);
            let y0 = y.clone();
            for _ in 0..BATCH {
                y = &y * &y + &a;
                q *= &x - &y;
                k += 1;
                if k == r {
                    break;
                }
            }
            let mut g = q.residue().gcd(n);
            if !g.is_one() {
                if g == *n {
                    // The batch overshot: step through it one gcd at a time.
                    y = y0;
                    for _ in 0..BATCH {
                        y = &y * &y + &a;
                        g = (&x - &y).residue().gcd(n);
                        if !g.is_one() {
                            break;
                        }
                    }
                }
                return (g != *n && !g.is_one()).then_some(g);
            }
            loops += 1;
            if k >= limit || loops > FACTORING_LOOPS {
                return None;
            }
        }
        r <<= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_theory() {
        let mut rng = SplitMix64::new(1);
        let p = UBig::from(1_000_000_007u64);
        assert!(is_prime(&p));
        assert!(!is_prime(&(&p * &p)));
        let q = UBig::from(1_000_000_009u64); // ≡ 1 (mod 4)
        let h = sqrt_negative_one(&q, &mut rng).expect("q ≡ 1 mod 4");
        assert_eq!((&h * &h + UBig::ONE) % &q, UBig::ZERO);
        let r = root_mod(&IBig::from(-2), &UBig::from(11u8), &mut rng).expect("-2 is a QR mod 11");
        assert_eq!((&r * &r + UBig::from(2u8)) % UBig::from(11u8), UBig::ZERO);
        let n = UBig::from(10_007u64) * UBig::from(10_009u64);
        let f = find_factor(&n, &mut rng).expect("small semiprime");
        assert!(f == UBig::from(10_007u64) || f == UBig::from(10_009u64));
        // A large prime is never "factored" and the bounded search returns.
        assert!(find_factor(&UBig::from(1_000_000_007u64), &mut rng).is_none());
    }
}
