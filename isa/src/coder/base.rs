//! What every coder shares: the [`Coder`] trait the models are written against, binary
//! probabilities and their one adaptation rule, and the prior slots' log-weights.
//!
//! The model code that drives a coder is written once, generic over [`Coder`]: the encoder passes
//! the true bit and gets it back, the decoder ignores the argument and returns the decoded bit,
//! and a training coder (the `Counter`) records what the model asks for. Because all
//! of them walk the same code path, encoder and decoder cannot drift apart.
//!
//! A binary probability (of a 0) is a 12-bit value that moves `1/2^4` of the way towards the bit
//! just coded ([`adapt`], LZMA's rule); every binary decision of every coder adapts by it.

use alloc::vec::Vec;

use super::cdf::{CDF_BITS, Cdf, LANES};

/// Probability precision: a probability of a 0 bit is `p / 2^PROB_BITS`.
pub const PROB_BITS: u32 = 12;
/// `1.0` in probability units.
pub const PROB_ONE: u16 = 1 << PROB_BITS;
/// The flat prior, one half.
pub const PROB_HALF: u16 = PROB_ONE / 2;
/// Smallest and largest probability a slot may hold (a prior outside is rejected).
pub const PROB_MIN: u16 = 31;
/// See [`PROB_MIN`].
pub const PROB_MAX: u16 = PROB_ONE - 31;
/// Adaptation rate: each coded bit moves the probability by 1/2^ADAPT_SHIFT of the way.
const ADAPT_SHIFT: u32 = 4;
/// Directly coded (probability one half) bits go through a range coder this many at a time.
pub(super) const DIRECT_CHUNK: u32 = 16;

/// Adapt the probability `p` (of a 0) after coding `bit`: the single rule of every coder.
#[inline(always)]
pub(super) fn adapt(p: &mut u16, bit: bool) {
    if bit {
        *p -= *p >> ADAPT_SHIFT;
    } else {
        *p += (PROB_ONE - *p) >> ADAPT_SHIFT;
    }
}

/// Drop a flushed block's trailing zero bytes: decoders read zeros past the end of a block.
pub(super) fn strip_trailing_zeros(out: &mut Vec<u8>) {
    while out.last() == Some(&0) {
        out.pop();
    }
}

/// One side of a range coder, as the model sees it.
pub trait Coder {
    /// True for the decoder: values passed in are ignored and the decoded ones come back, so
    /// the model can skip work that only computes what to encode.
    const DECODING: bool;

    /// Code one bit with the adaptive probability `p` (of a 0) and adapt it.
    fn bit(&mut self, p: &mut u16, bit: bool) -> bool;

    /// Code the low `n` bits of `value` (`n <= 64`) with probability one half each.
    fn direct(&mut self, value: u64, n: u32) -> u64;

    /// Code lane `s` (ignored when decoding) of the adaptive multi-symbol distribution `cdf`,
    /// adapt `cdf`, and return the lane. Provided as four binary decisions
    /// ([`symbol_by_bits`]); the multi-symbol coders code it in one step. Either way `cdf`
    /// evolves the same.
    fn symbol(&mut self, cdf: &mut Cdf, s: usize) -> usize {
        symbol_by_bits(self, cdf, s)
    }
}

/// Code lane `s` of `cdf` as four binary decisions, each with the probability `cdf` gives it
/// (rounded to the binary coder's precision), then adapt `cdf`: the provided
/// [`Coder::symbol`], for coders that only code bits. The distribution evolves exactly as with a
/// multi-symbol coder; only the coded size differs slightly.
pub fn symbol_by_bits<C: Coder + ?Sized>(c: &mut C, cdf: &mut Cdf, s: usize) -> usize {
    let mut lo = 0usize;
    let mut size = LANES;
    while size > 1 {
        let half = size / 2;
        let (a, _) = cdf.bounds(lo);
        let (m, _) = cdf.bounds(lo + half);
        let end = if lo + size >= LANES {
            1u32 << CDF_BITS
        } else {
            cdf.bounds(lo + size).0
        };
        // P(lower half | this interval), as a binary probability of a 0.
        let num = u64::from(m - a) << PROB_BITS;
        let den = u64::from(end - a).max(1);
        let mut p = (num / den).clamp(u64::from(PROB_MIN), u64::from(PROB_MAX)) as u16;
        let upper = c.bit(&mut p, s >= lo + half);
        if upper {
            lo += half;
        }
        size = half;
    }
    let s = lo & (LANES - 1);
    cdf.adapt(s);
    s
}

/// A probability (of a 0) learned from counts, with a light prior toward one half, clamped to
/// [`PROB_MIN`]..=[`PROB_MAX`].
#[must_use]
pub fn prob_from_counts(zeros: u64, ones: u64) -> u16 {
    let n = zeros as f64 + ones as f64;
    let p = (zeros as f64 + 0.4) / (n + 0.8);
    let v = (p * f64::from(PROB_ONE)) as i64;
    v.clamp(i64::from(PROB_MIN), i64::from(PROB_MAX)) as u16
}

/// `2^(k/128)` in units of `2^-15`, for `k` in `0..128`: the fractional part of
/// [`weight_of_log`].
const EXP2_FRAC: [u32; 128] = [
    32768, 32946, 33125, 33305, 33486, 33667, 33850, 34034, 34219, 34405, 34591, 34779, 34968,
    35158, 35349, 35541, 35734, 35928, 36123, 36319, 36516, 36715, 36914, 37114, 37316, 37518,
    37722, 37927, 38133, 38340, 38548, 38757, 38968, 39180, 39392, 39606, 39821, 40037, 40255,
    40473, 40693, 40914, 41136, 41360, 41584, 41810, 42037, 42265, 42495, 42726, 42958, 43191,
    43425, 43661, 43898, 44137, 44376, 44617, 44859, 45103, 45348, 45594, 45842, 46091, 46341,
    46593, 46846, 47100, 47356, 47613, 47871, 48131, 48393, 48655, 48920, 49185, 49452, 49721,
    49991, 50262, 50535, 50810, 51085, 51363, 51642, 51922, 52204, 52488, 52773, 53059, 53347,
    53637, 53928, 54221, 54515, 54811, 55109, 55408, 55709, 56012, 56316, 56622, 56929, 57238,
    57549, 57861, 58176, 58491, 58809, 59128, 59449, 59772, 60097, 60423, 60751, 61081, 61413,
    61746, 62081, 62419, 62757, 63098, 63441, 63785, 64132, 64480, 64830, 65182,
];

/// The weight a prior slot value `v` (a log-weight: [`PROB_MIN`]..=[`PROB_MAX`], 128 per
/// doubling) stands for: `2^(v/128)`, exactly and identically everywhere (integer arithmetic).
#[must_use]
pub fn weight_of_log(v: u16) -> u64 {
    let v = v.clamp(PROB_MIN, PROB_MAX);
    let frac = EXP2_FRAC
        .get(usize::from(v & 127))
        .copied()
        .unwrap_or(32768);
    u64::from(frac) << (v >> 7)
}

/// The log-weight slot value for a probability `p` relative to the most probable lane's `p_max`
/// (the inverse of [`weight_of_log`] up to a common factor), clamped to the slot range.
#[must_use]
pub fn log_of_ratio(p: f64, p_max: f64) -> u16 {
    if p.is_nan() || p_max.is_nan() || p <= 0.0 || p_max <= 0.0 {
        return PROB_MIN;
    }
    let v = f64::from(PROB_MAX) + 128.0 * libm_log2(p / p_max);
    if v.is_nan() || v < f64::from(PROB_MIN) {
        PROB_MIN
    } else if v > f64::from(PROB_MAX) {
        PROB_MAX
    } else {
        // Round to nearest (v is positive here, so truncation is the floor).
        ((v + 0.5) as u16).min(PROB_MAX)
    }
}

/// `log2(x)` for `x` in (0, 1], in `core` only (no `std`): the exponent, then a series for the
/// mantissa's logarithm, accurate far beyond the 1/128 steps of a slot value.
fn libm_log2(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NEG_INFINITY;
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64;
    if exp == 0 {
        // Subnormal: far below anything a slot can hold.
        return -1100.0;
    }
    let e = (exp - 1023) as f64;
    let m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52)); // in [1, 2)
    // ln(m) = 2 atanh((m-1)/(m+1)), t in [0, 1/3).
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let mut term = t;
    let mut sum = 0.0;
    let mut k = 1.0;
    for _ in 0..30 {
        sum += term / k;
        term *= t2;
        k += 2.0;
    }
    e + 2.0 * sum / core::f64::consts::LN_2
}

// Defined here rather than beside `Cdf`: it reads prior slots, whose range is the probabilities'.
impl Cdf {
    /// The distribution whose lanes have the log-weights `logs` (prior slot values, see
    /// [`weight_of_log`]); lanes outside `possible` (bit `i` for lane `i`) get weight 0.
    #[must_use]
    pub fn from_log_weights(logs: &[u16], possible: u16) -> Cdf {
        let mut w = [0u64; LANES];
        for (i, (wi, &v)) in w.iter_mut().zip(logs).enumerate() {
            if possible >> i & 1 == 1 {
                *wi = weight_of_log(v);
            }
        }
        Cdf::from_weights(&w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lane 0 starts at 0, every lane keeps its unit, and the lanes fill the whole range.
    fn check_invariants(c: &Cdf) {
        assert_eq!(c.bounds(0).0, 0);
        assert!((0..LANES).all(|i| c.width(i) >= 1), "{c:?}");
        assert_eq!((0..LANES).map(|i| c.width(i)).sum::<u32>(), 1 << CDF_BITS);
    }

    #[test]
    fn log_weights_round_trip() {
        for v in [PROB_MIN, 100, 2048, 3000, PROB_MAX] {
            let w = weight_of_log(v) as f64 / weight_of_log(PROB_MAX) as f64;
            assert!(log_of_ratio(w, 1.0).abs_diff(v) <= 1, "{v}");
        }
        assert_eq!(log_of_ratio(0.0, 1.0), PROB_MIN);
        assert_eq!(log_of_ratio(1.0, 1.0), PROB_MAX);
        assert!((libm_log2(0.125) + 3.0).abs() < 1e-12);
        assert!((libm_log2(0.3) - 0.3f64.ln() / core::f64::consts::LN_2).abs() < 1e-12);
    }

    #[test]
    fn log_weight_distributions_keep_every_lane() {
        check_invariants(&Cdf::from_log_weights(&[PROB_MAX; LANES], 0xffff));
        check_invariants(&Cdf::from_log_weights(&[PROB_MIN; LANES], 0x8001));
    }

    #[test]
    fn probabilities_from_counts() {
        assert_eq!(prob_from_counts(0, 0), PROB_HALF);
        assert!(prob_from_counts(1000, 0) >= PROB_MAX - 1);
    }

    /// Both binary coders used to carry their own copy of the rule; it must stay what they did.
    #[test]
    fn adaptation_moves_a_sixteenth_of_the_way() {
        for p0 in PROB_MIN..=PROB_MAX {
            let (mut zero, mut one) = (p0, p0);
            adapt(&mut zero, false);
            adapt(&mut one, true);
            assert_eq!(zero, p0 + ((4096 - p0) >> 4));
            assert_eq!(one, p0 - (p0 >> 4));
        }
    }
}
