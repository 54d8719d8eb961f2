//! The adaptive multi-symbol distribution ([`Cdf`]) and the decoder's lane search.
//!
//! A [`Cdf`] is an adaptive distribution over [`LANES`] lanes, kept as the cumulative start of each
//! lane in units of `2^-CDF_BITS`. Every lane keeps a width of at least one unit (so any lane can be
//! coded, and a lane the model never uses costs it at most `LANES / 2^CDF_BITS` of the mass); the
//! rest adapts after every coded symbol by moving each start `1/2^RATE` of the way towards the
//! distribution that puts everything on the symbol just seen, the multi-symbol form of the binary
//! probabilities' shift update (as in AV1's and Daala's entropy coders): two loads from a table of
//! targets and six 16-bit vector operations.
//!
//! The decoder finds a symbol's lane by a linear search from lane 0 ([`Cdf::find`]), one
//! multiplication and one branch per lane, and the model puts its likelier lanes first. That looks
//! slow and is not: the branches follow the data's structure, the processor predicts them, and it
//! goes on decoding the next symbols before the comparisons are done. A branch-free search (a
//! division and sixteen comparisons, or sixteen multiplications) puts its whole latency on the path
//! from one symbol to the next, and measured two to three times slower.

/// Lanes of a [`Cdf`] (symbols it can code).
pub const LANES: usize = 16;
/// Precision of a [`Cdf`]: lane starts are in units of `2^-CDF_BITS`.
pub const CDF_BITS: u32 = 15;
/// Adaptation rate: each coded symbol moves the distribution `1/2^RATE` of the way to itself.
pub const RATE: u32 = 5;
/// Mass that adapts (the rest is the one unit every lane keeps).
const SPREAD: i16 = ((1 << CDF_BITS) - LANES as i32) as i16;
/// `0, 1, …, 15`: the unit every lane keeps, accumulated.
const IOTA: [i16; LANES] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// `TARGETS[s]`: the starts of the distribution with all the spread mass on lane `s`.
#[allow(clippy::indexing_slicing)] // evaluated at compile time, within bounds
const TARGETS: [[i16; LANES]; LANES] = {
    let mut t = [[0i16; LANES]; LANES];
    let mut s = 0;
    while s < LANES {
        let mut i = 0;
        while i < LANES {
            t[s][i] = if i > s { i as i16 + SPREAD } else { i as i16 };
            i += 1;
        }
        s += 1;
    }
    t
};

/// An adaptive distribution over [`LANES`] lanes (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(32))]
pub struct Cdf {
    /// Where each lane starts, in `0..2^CDF_BITS`, increasing (lane 0 at 0); lane 15 ends at
    /// `2^CDF_BITS`.
    start: [i16; LANES],
}

impl Default for Cdf {
    fn default() -> Self {
        Cdf::uniform()
    }
}

impl Cdf {
    /// Every lane equally likely.
    #[must_use]
    #[allow(clippy::indexing_slicing)] // i < LANES
    pub const fn uniform() -> Cdf {
        let mut start = [0i16; LANES];
        let mut i = 0;
        while i < LANES {
            start[i] = (i as i16) * (1 << (CDF_BITS - 4));
            i += 1;
        }
        Cdf { start }
    }

    /// The distribution proportional to `weights` (a lane of weight 0 keeps only its one unit;
    /// all zero: uniform).
    #[must_use]
    pub fn from_weights(weights: &[u64; LANES]) -> Cdf {
        let total: u128 = weights.iter().map(|&w| u128::from(w)).sum();
        if total == 0 {
            return Cdf::uniform();
        }
        let mut start = [0i16; LANES];
        let mut below = 0u128;
        for ((s, &w), &i) in start.iter_mut().zip(weights).zip(&IOTA) {
            // below <= total, so this is at most SPREAD.
            let d = (u128::from(SPREAD as u16) * below / total) as i16;
            *s = d + i;
            below += u128::from(w);
        }
        Cdf { start }
    }

    /// The probability of lane `s`, in units of `2^-CDF_BITS`.
    #[must_use]
    pub fn width(&self, s: usize) -> u32 {
        let (lo, hi) = self.bounds(s);
        hi - lo
    }

    /// Start and end of lane `s` (masked into range), in units of `2^-CDF_BITS`.
    #[inline(always)]
    #[allow(clippy::indexing_slicing)] // masked into 0..LANES
    pub(super) fn bounds(&self, s: usize) -> (u32, u32) {
        let s = s & (LANES - 1);
        // Starts are in 0..2^15: as u16, they zero-extend in one instruction.
        let lo = u32::from(self.start[s] as u16);
        let hi = if s == LANES - 1 {
            1 << CDF_BITS
        } else {
            u32::from(self.start[(s + 1) & (LANES - 1)] as u16)
        };
        (lo, hi)
    }

    /// The lane whose interval, scaled by `r`, holds `code`: the last lane whose start times `r`
    /// is at most `code`. A linear search from lane 0, with a branch per lane: the model puts
    /// its likeliest lanes first, and on skewed distributions the branches are predicted, so the
    /// decoder does not wait for the comparisons (nor for a division) before going on.
    #[inline(always)]
    #[allow(clippy::indexing_slicing)] // s + 1 <= 15
    pub(super) fn find(&self, r: u64, code: u64) -> usize {
        let mut s = 0;
        // r * start <= r * 2^15 <= range: no overflow.
        while s < LANES - 1 && r * u64::from(self.start[s + 1] as u16) <= code {
            s += 1;
        }
        s
    }

    /// Adapt after coding lane `s`: every start moves `1/2^RATE` of the way towards the
    /// distribution with all the spread mass on `s`. Starts stay increasing and each lane keeps
    /// its unit (the update is monotonic and keeps `start[i] - i` within `0..=SPREAD`).
    #[inline(always)]
    pub fn adapt(&mut self, s: usize) {
        // The target from a table: two loads, then plain 16-bit lane arithmetic.
        let target = TARGETS.get(s).unwrap_or(&IOTA);
        for (c, &t) in self.start.iter_mut().zip(target) {
            *c += (t - *c) >> RATE;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::lcg;

    fn check_invariants(c: &Cdf) {
        assert_eq!(c.start[0], 0);
        for i in 0..LANES {
            assert!(c.width(i) >= 1, "{c:?}");
        }
        let total: u32 = (0..LANES).map(|i| c.width(i)).sum();
        assert_eq!(total, 1 << CDF_BITS);
    }

    #[test]
    fn adaptation_keeps_every_lane_and_learns() {
        let mut c = Cdf::uniform();
        check_invariants(&c);
        for _ in 0..10_000 {
            c.adapt(3);
            check_invariants(&c);
        }
        // Shifts round towards the target from below: the last lane keeps up to 2^RATE units.
        assert!(c.width(3) > (1 << CDF_BITS) - 64, "{c:?}");
        for s in [0, 15, 7, 15, 15, 0, 0] {
            for _ in 0..500 {
                c.adapt(s);
                check_invariants(&c);
            }
        }
        let w = Cdf::from_weights(&[0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        check_invariants(&w);
        assert!(w.width(2) > 5 * (w.width(15) - 1) - 10);
        assert_eq!(w.width(0), 1);
        check_invariants(&Cdf::from_weights(&[0; LANES]));
        check_invariants(&Cdf::from_weights(&[u64::MAX >> 12; LANES]));
    }

    #[test]
    fn find_inverts_bounds() {
        let mut c = Cdf::uniform();
        let mut seed = 3;
        for _ in 0..200 {
            c.adapt((lcg(&mut seed) % 16) as usize);
            for r in [1u64, 3, 1 << 17, (1 << 49) - 1] {
                for s in 0..LANES {
                    let (lo, hi) = c.bounds(s);
                    assert_eq!(c.find(r, r * u64::from(lo)), s);
                    assert_eq!(c.find(r, r * u64::from(hi) - 1), s);
                }
                assert_eq!(c.find(r, r << CDF_BITS), LANES - 1);
                assert_eq!(c.find(r, u64::MAX), LANES - 1);
            }
        }
    }
}
