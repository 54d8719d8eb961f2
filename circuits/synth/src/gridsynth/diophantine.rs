//! The Diophantine step of Ross–Selinger: solving t†t = ξ in Z[ω].
//!
//! Ported from pygridsynth 2.0's `diophantine.py` with its iteration-count budget in place of
//! clocks. pygridsynth keeps two copies of the factoring loop, one over integers and one over
//! Z[√2]; here one generic loop serves both through [`Factor`].

use std::cmp::Ordering;

use dashu_int::ops::{BitTest, Gcd};
use dashu_int::{IBig, UBig};

use super::numtheory::{find_factor, is_prime, root_mod, sqrt_negative_one};
use super::ring::{Euclidean, Monoid, Zr2, Zw};
use super::rng::SplitMix64;

/// Failed factorisations allowed per equation (pygridsynth's `dloop`).
const DIOPHANTINE_LOOPS: u32 = 10;
/// Guard on the factor-list loops, which pygridsynth leaves unbounded.
const MAX_STEPS: u32 = 10_000;

enum Prime {
    Found(Zw),
    NoSolution,
    Unsolved,
}

struct Budget<'r> {
    rng: &'r mut SplitMix64,
    failures: u32,
    steps: u32,
}

impl Budget<'_> {
    /// Counts a failed factorisation; false once the budget is spent.
    fn retry(&mut self) -> bool {
        self.failures += 1;
        self.failures <= DIOPHANTINE_LOOPS
    }

    /// Counts a loop step; false once the guard is reached.
    fn step(&mut self) -> bool {
        self.steps += 1;
        self.steps <= MAX_STEPS
    }
}

fn ubig(x: &IBig) -> UBig {
    use dashu_int::ops::UnsignedAbs;
    x.unsigned_abs()
}

/// w with w†w = α/√2^k, as (t, k') meaning t/√2^{k'}; `None` if there is none or the
/// budget runs out.
pub fn dyadic(mut alpha: Zr2, mut k: i64, rng: &mut SplitMix64) -> Option<(Zw, i64)> {
    // Cancel common factors of √2 (α = a + b√2 is divisible by √2 iff a is even).
    while k > 0 && !alpha.a.bit(0) && !alpha.is_zero() {
        alpha = Zr2::new(alpha.b.clone(), &alpha.a >> 1);
        k -= 1;
    }
    let (k_div_2, odd) = (k.div_euclid(2), k.rem_euclid(2) == 1);
    // For odd k solve t†t = α·λ (λ = 1 + √2) and multiply t by ω − ω², whose squared
    // modulus 2 − √2 turns λ into √2.
    let target = if odd {
        alpha.mul(&Zr2::new(IBig::ONE, IBig::ONE))
    } else {
        alpha.clone()
    };
    let mut budget = Budget {
        rng,
        failures: 0,
        steps: 0,
    };
    let mut t = solve(&target, &mut budget)?;
    if odd {
        t = t.mul(&Zw::small(0, -1, 1, 0));
    }
    // Exact check: t†t = α·√2^{odd}.
    let expected = if odd {
        alpha.mul(&Zr2::new(IBig::ZERO, IBig::ONE))
    } else {
        alpha
    };
    if t.conj().mul(&t).to_zr2()? != expected {
        return None;
    }
    Some((t, k_div_2 + i64::from(odd)))
}

/// t ∈ Z[ω] with t†t = ξ.
fn solve(xi: &Zr2, budget: &mut Budget) -> Option<Zw> {
    if xi.is_zero() {
        return Some(Zw::int(IBig::ZERO));
    }
    if xi.sign() == Ordering::Less || xi.conj().sign() == Ordering::Less {
        return None;
    }
    let t = adj_decompose(xi, budget)?;
    let associate = t.conj().mul(&t).to_zr2()?;
    let unit = xi.div_exact(&associate)?;
    let v = unit.sqrt()?;
    Some(Zw::from_zr2(&v).mul(&t))
}

fn adj_decompose(xi: &Zr2, budget: &mut Budget) -> Option<Zw> {
    if xi.is_zero() {
        return Some(Zw::int(IBig::ZERO));
    }
    let d = Zr2::gcd(xi, &xi.conj());
    let eta = xi.div(&d);
    let t1 = adj_decompose_selfassociate(&d, budget)?;
    let t2 = adj_decompose_factors(&eta, budget)?;
    Some(t1.mul(&t2))
}

fn adj_decompose_selfassociate(xi: &Zr2, budget: &mut Budget) -> Option<Zw> {
    if xi.is_zero() {
        return Some(Zw::int(IBig::ZERO));
    }
    let n = xi.gcd_int();
    let r = xi.div(&Zr2::int(n.clone()));
    let t1 = adj_decompose_factors(&ubig(&n), budget)?;
    let t2 = if r.divisible_by(&Zr2::new(IBig::ZERO, IBig::ONE)) {
        Zw::small(0, 0, 1, 1)
    } else {
        Zw::int(IBig::ONE)
    };
    Some(t1.mul(&t2))
}

/// A factor in one of pygridsynth's two factor lists: a natural number (the self-associate part
/// of ξ) or an element of Z[√2] (the self-coprime part). Each is refined into pairwise coprime
/// factors and solved prime by prime.
trait Factor: Clone {
    /// Equal up to a unit.
    fn associate(&self, o: &Self) -> bool;

    fn is_unit(&self) -> bool;

    /// A greatest common divisor.
    fn common_factor(&self, o: &Self) -> Self;

    /// The quotient by a divisor.
    fn quotient(&self, d: &Self) -> Self;

    /// `self^e` in Z[ω].
    fn power(&self, e: u64) -> Zw;

    /// t with t†t equal to `self` up to a unit, if `self` is prime and t is found.
    fn prime(&self, rng: &mut SplitMix64) -> Prime;

    /// A non-trivial factor of `self` found by factoring its norm (a factor of `root`, the
    /// element whose factor list this is), or `None` when the bounded search gives up.
    fn split(&self, root: &Self, rng: &mut SplitMix64) -> Option<Self>;

    /// t with t†t equal to `self^k` up to a unit: `self^(k/2)` for even k, else a power of
    /// [`Factor::prime`]'s solution.
    fn prime_power(&self, k: u64, rng: &mut SplitMix64) -> Prime {
        if k & 1 == 0 {
            return Prime::Found(self.power(k / 2));
        }
        match self.prime(rng) {
            Prime::Found(t) => Prime::Found(t.pow(k)),
            other => other,
        }
    }
}

impl Factor for UBig {
    fn associate(&self, o: &Self) -> bool {
        self == o
    }

    fn is_unit(&self) -> bool {
        self.is_one()
    }

    fn common_factor(&self, o: &Self) -> Self {
        self.gcd(o)
    }

    fn quotient(&self, d: &Self) -> Self {
        self / d
    }

    fn power(&self, e: u64) -> Zw {
        Zw::int(IBig::from(self.pow(e as usize)))
    }

    fn prime(&self, rng: &mut SplitMix64) -> Prime {
        let pi = IBig::from(self.clone());
        prime_solution(self, &Zw::int(pi.clone()), rng, |n| {
            *n == Zw::int(pi.clone()) || *n == Zw::int(-&pi)
        })
    }

    fn split(&self, _root: &Self, rng: &mut SplitMix64) -> Option<Self> {
        find_factor(self, rng)
    }
}

impl Factor for Zr2 {
    fn associate(&self, o: &Self) -> bool {
        Zr2::sim(self, o)
    }

    fn is_unit(&self) -> bool {
        Zr2::sim(self, &Zr2::one())
    }

    fn common_factor(&self, o: &Self) -> Self {
        Zr2::gcd(self, o)
    }

    fn quotient(&self, d: &Self) -> Self {
        self.div(d)
    }

    fn power(&self, e: u64) -> Zw {
        Zw::from_zr2(&self.pow(e))
    }

    fn prime(&self, rng: &mut SplitMix64) -> Prime {
        let eta = Zw::from_zr2(self);
        prime_solution(&ubig(&self.norm()), &eta, rng, |n| Zw::sim(n, &eta))
    }

    fn split(&self, root: &Self, rng: &mut SplitMix64) -> Option<Self> {
        let n = ubig(&self.norm());
        let fac_n = find_factor(&n, rng)?;
        Some(Zr2::gcd(root, &Zr2::int(IBig::from(fac_n))))
    }
}

/// t with t†t = `root`: factors it (pygridsynth's `_adj_decompose_int` and
/// `_adj_decompose_selfcoprime`), solves each prime power and multiplies the solutions.
fn adj_decompose_factors<F: Factor>(root: &F, budget: &mut Budget) -> Option<Zw> {
    let mut facs = vec![(root.clone(), 1u64)];
    let mut t = Zw::int(IBig::ONE);
    while let Some((x, k)) = facs.pop() {
        if !budget.step() {
            return None;
        }
        match x.prime_power(k, budget.rng) {
            Prime::Found(tx) => t = t.mul(&tx),
            Prime::NoSolution => return None,
            Prime::Unsolved => match x.split(root, budget.rng) {
                None => {
                    facs.push((x, k));
                    if !budget.retry() {
                        return None;
                    }
                }
                Some(fac) => {
                    facs.push((x.quotient(&fac), k));
                    facs.push((fac, k));
                    facs = relatively_prime(facs, budget)?;
                }
            },
        }
    }
    Some(t)
}

/// t with t†t = `target` up to a unit (as `accept` judges t†t), where `target` is a natural
/// number p or an element of Z[√2] whose norm is ±p; found when p is prime and its randomised
/// square root succeeds.
fn prime_solution(
    p: &UBig,
    target: &Zw,
    rng: &mut SplitMix64,
    accept: impl Fn(&Zw) -> bool,
) -> Prime {
    if *p <= UBig::ONE {
        return Prime::Found(Zw::int(IBig::from(p.clone())));
    }
    if *p == UBig::from(2u8) {
        return Prime::Found(Zw::small(-1, 0, 1, 0));
    }
    let mod8 = (p % UBig::from(8u8)).to_string();
    if !is_prime(p) {
        return if mod8 == "7" {
            seven_mod_eight(p, rng)
        } else {
            Prime::Unsolved
        };
    }
    // t = gcd(x, target) for an x whose norm p divides: x = ω² + h with h² ≡ −1 (ω² = i), or
    // x = ω³ + ω + h with h² ≡ −2 (ω³ + ω = i√2).
    let x = match mod8.as_str() {
        "1" | "5" => sqrt_negative_one(p, rng)
            .map(|h| Zw::new(IBig::ZERO, IBig::ONE, IBig::ZERO, IBig::from(h))),
        "3" => root_mod(&IBig::from(-2), p, rng)
            .map(|h| Zw::new(IBig::ONE, IBig::ZERO, IBig::ONE, IBig::from(h))),
        "7" => return seven_mod_eight(p, rng),
        _ => return Prime::Unsolved,
    };
    let Some(x) = x else {
        return Prime::Unsolved;
    };
    let t = Zw::gcd(&x, target);
    if accept(&t.conj().mul(&t)) {
        Prime::Found(t)
    } else {
        Prime::Unsolved
    }
}

/// Primes ≡ 7 (mod 8) are inert in Z[ω] over Z[√2]-norms: an odd power has no solution.
fn seven_mod_eight(p: &UBig, rng: &mut SplitMix64) -> Prime {
    if root_mod(&IBig::from(2), p, rng).is_some() {
        Prime::NoSolution
    } else {
        Prime::Unsolved
    }
}

/// Refines a list of factors into pairwise coprime ones (pygridsynth's
/// `_decompose_relatively_int_prime` and `_decompose_relatively_zomega_prime`; signs do not
/// matter for the norms used here).
fn relatively_prime<F: Factor>(
    partial: Vec<(F, u64)>,
    budget: &mut Budget,
) -> Option<Vec<(F, u64)>> {
    let mut stack: Vec<(F, u64)> = partial.into_iter().rev().collect();
    let mut facs: Vec<(F, u64)> = Vec::new();
    while let Some((b, kb)) = stack.pop() {
        let mut i = 0;
        loop {
            if !budget.step() {
                return None;
            }
            if i >= facs.len() {
                if !b.is_unit() {
                    facs.push((b, kb));
                }
                break;
            }
            let (a, ka) = facs[i].clone();
            if a.associate(&b) {
                facs[i] = (a, ka + kb);
                break;
            }
            let g = a.common_factor(&b);
            if g.is_unit() {
                i += 1;
                continue;
            }
            let mut sub =
                relatively_prime(vec![(a.quotient(&g), ka), (g.clone(), ka + kb)], budget)?;
            if sub.is_empty() {
                facs.remove(i);
            } else {
                facs[i] = sub.remove(0);
                facs.extend(sub);
            }
            stack.push((b.quotient(&g), kb));
            break;
        }
    }
    Some(facs)
}
