//! The Diophantine step of Ross–Selinger: solving t†t = ξ in Z[ω].
//!
//! Ported from pygridsynth 2.0's `diophantine.py` with its iteration-count budget in place of
//! clocks.

use std::cmp::Ordering;

use dashu_int::ops::BitTest;
use dashu_int::{IBig, UBig};

use super::numtheory::{find_factor, is_prime, root_mod, sqrt_negative_one};
use super::ring::{Zr2, Zw};
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
    let t2 = adj_decompose_selfcoprime(&eta, budget)?;
    Some(t1.mul(&t2))
}

fn adj_decompose_selfassociate(xi: &Zr2, budget: &mut Budget) -> Option<Zw> {
    if xi.is_zero() {
        return Some(Zw::int(IBig::ZERO));
    }
    let n = xi.gcd_int();
    let r = xi.div(&Zr2::int(n.clone()));
    let t1 = adj_decompose_int(&n, budget)?;
    let t2 = if r.divisible_by(&Zr2::new(IBig::ZERO, IBig::ONE)) {
        Zw::small(0, 0, 1, 1)
    } else {
        Zw::int(IBig::ONE)
    };
    Some(t1.mul(&t2))
}

fn adj_decompose_int(n: &IBig, budget: &mut Budget) -> Option<Zw> {
    let mut facs = vec![(ubig(n), 1u64)];
    let mut t = Zw::int(IBig::ONE);
    while let Some((p, k)) = facs.pop() {
        if !budget.step() {
            return None;
        }
        match int_prime_power(&p, k, budget.rng) {
            Prime::Found(tp) => t = t.mul(&tp),
            Prime::NoSolution => return None,
            Prime::Unsolved => match find_factor(&p, budget.rng) {
                None => {
                    facs.push((p, k));
                    if !budget.retry() {
                        return None;
                    }
                }
                Some(fac) => {
                    facs.push((&p / &fac, k));
                    facs.push((fac, k));
                    facs = relatively_prime_ints(facs, budget)?;
                }
            },
        }
    }
    Some(t)
}

fn int_prime_power(p: &UBig, k: u64, rng: &mut SplitMix64) -> Prime {
    if k & 1 == 0 {
        return Prime::Found(Zw::int(IBig::from(p.pow((k / 2) as usize))));
    }
    match int_prime(p, rng) {
        Prime::Found(t) => Prime::Found(t.pow(k)),
        other => other,
    }
}

fn int_prime(p: &UBig, rng: &mut SplitMix64) -> Prime {
    if *p <= UBig::ONE {
        return Prime::Found(Zw::int(IBig::from(p.clone())));
    }
    if *p == UBig::from(2u8) {
        return Prime::Found(Zw::small(-1, 0, 1, 0));
    }
    let pi = IBig::from(p.clone());
    let mod8 = (p % UBig::from(8u8)).to_string();
    if is_prime(p) {
        let check = |t: Zw| {
            let n = t.conj().mul(&t);
            if n == Zw::int(pi.clone()) || n == Zw::int(-&pi) {
                Prime::Found(t)
            } else {
                Prime::Unsolved
            }
        };
        match mod8.as_str() {
            "1" | "5" => match sqrt_negative_one(p, rng) {
                Some(h) => check(Zw::gcd(
                    &Zw::new(IBig::ZERO, IBig::ONE, IBig::ZERO, IBig::from(h)),
                    &Zw::int(pi.clone()),
                )),
                None => Prime::Unsolved,
            },
            "3" => match root_mod(&IBig::from(-2), p, rng) {
                Some(h) => check(Zw::gcd(
                    &Zw::new(IBig::ONE, IBig::ZERO, IBig::ONE, IBig::from(h)),
                    &Zw::int(pi.clone()),
                )),
                None => Prime::Unsolved,
            },
            "7" => seven_mod_eight(p, rng),
            _ => Prime::Unsolved,
        }
    } else if mod8 == "7" {
        seven_mod_eight(p, rng)
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

/// Refines a list of integer factors into pairwise coprime ones (pygridsynth's
/// `_decompose_relatively_int_prime`; signs do not matter for the norms used here).
fn relatively_prime_ints(
    partial: Vec<(UBig, u64)>,
    budget: &mut Budget,
) -> Option<Vec<(UBig, u64)>> {
    use dashu_int::ops::Gcd;
    let mut stack: Vec<(UBig, u64)> = partial.into_iter().rev().collect();
    let mut facs: Vec<(UBig, u64)> = Vec::new();
    while let Some((b, kb)) = stack.pop() {
        let mut i = 0;
        loop {
            if !budget.step() {
                return None;
            }
            if i >= facs.len() {
                if !b.is_one() {
                    facs.push((b, kb));
                }
                break;
            }
            let (a, ka) = facs[i].clone();
            if a == b {
                facs[i] = (a, ka + kb);
                break;
            }
            let g = (&a).gcd(&b);
            if g.is_one() {
                i += 1;
                continue;
            }
            let mut sub = relatively_prime_ints(vec![(&a / &g, ka), (g.clone(), ka + kb)], budget)?;
            if sub.is_empty() {
                facs.remove(i);
            } else {
                facs[i] = sub.remove(0);
                facs.extend(sub);
            }
            stack.push((&b / &g, kb));
            break;
        }
    }
    Some(facs)
}

/// Refines a list of Z[√2] factors into pairwise coprime ones (pygridsynth's
/// `_decompose_relatively_zomega_prime`).
fn relatively_prime_zr2(partial: Vec<(Zr2, u64)>, budget: &mut Budget) -> Option<Vec<(Zr2, u64)>> {
    let one = Zr2::one();
    let mut stack: Vec<(Zr2, u64)> = partial.into_iter().rev().collect();
    let mut facs: Vec<(Zr2, u64)> = Vec::new();
    while let Some((b, kb)) = stack.pop() {
        let mut i = 0;
        loop {
            if !budget.step() {
                return None;
            }
            if i >= facs.len() {
                if !Zr2::sim(&b, &one) {
                    facs.push((b, kb));
                }
                break;
            }
            let (a, ka) = facs[i].clone();
            if Zr2::sim(&a, &b) {
                facs[i] = (a, ka + kb);
                break;
            }
            let g = Zr2::gcd(&a, &b);
            if Zr2::sim(&g, &one) {
                i += 1;
                continue;
            }
            let mut sub =
                relatively_prime_zr2(vec![(a.div(&g), ka), (g.clone(), ka + kb)], budget)?;
            if sub.is_empty() {
                facs.remove(i);
            } else {
                facs[i] = sub.remove(0);
                facs.extend(sub);
            }
            stack.push((b.div(&g), kb));
            break;
        }
    }
    Some(facs)
}

fn adj_decompose_selfcoprime(xi: &Zr2, budget: &mut Budget) -> Option<Zw> {
    let mut facs = vec![(xi.clone(), 1u64)];
    let mut t = Zw::int(IBig::ONE);
    while let Some((eta, k)) = facs.pop() {
        if !budget.step() {
            return None;
        }
        match zomega_prime_power(&eta, k, budget.rng) {
            Prime::Found(te) => t = t.mul(&te),
            Prime::NoSolution => return None,
            Prime::Unsolved => {
                let n = ubig(&eta.norm());
                match find_factor(&n, budget.rng) {
                    None => {
                        facs.push((eta, k));
                        if !budget.retry() {
                            return None;
                        }
                    }
                    Some(fac_n) => {
                        let fac = Zr2::gcd(xi, &Zr2::int(IBig::from(fac_n)));
                        facs.push((eta.div(&fac), k));
                        facs.push((fac, k));
                        facs = relatively_prime_zr2(facs, budget)?;
                    }
                }
            }
        }
    }
    Some(t)
}

fn zomega_prime_power(eta: &Zr2, k: u64, rng: &mut SplitMix64) -> Prime {
    if k & 1 == 0 {
        return Prime::Found(Zw::from_zr2(&eta.pow(k / 2)));
    }
    match zomega_prime(eta, rng) {
        Prime::Found(t) => Prime::Found(t.pow(k)),
        other => other,
    }
}

fn zomega_prime(eta: &Zr2, rng: &mut SplitMix64) -> Prime {
    let p = ubig(&eta.norm());
    if p <= UBig::ONE {
        return Prime::Found(Zw::int(IBig::from(p)));
    }
    if p == UBig::from(2u8) {
        return Prime::Found(Zw::small(-1, 0, 1, 0));
    }
    let mod8 = (&p % UBig::from(8u8)).to_string();
    let eta_w = Zw::from_zr2(eta);
    if is_prime(&p) {
        let check = |t: Zw| {
            if Zw::sim(&t.conj().mul(&t), &eta_w) {
                Prime::Found(t)
            } else {
                Prime::Unsolved
            }
        };
        match mod8.as_str() {
            "1" | "5" => match sqrt_negative_one(&p, rng) {
                Some(h) => check(Zw::gcd(
                    &Zw::new(IBig::ZERO, IBig::ONE, IBig::ZERO, IBig::from(h)),
                    &eta_w,
                )),
                None => Prime::Unsolved,
            },
            "3" => match root_mod(&IBig::from(-2), &p, rng) {
                Some(h) => check(Zw::gcd(
                    &Zw::new(IBig::ONE, IBig::ZERO, IBig::ONE, IBig::from(h)),
                    &eta_w,
                )),
                None => Prime::Unsolved,
            },
            "7" => seven_mod_eight(&p, rng),
            _ => Prime::Unsolved,
        }
    } else if mod8 == "7" {
        seven_mod_eight(&p, rng)
    } else {
        Prime::Unsolved
    }
}
