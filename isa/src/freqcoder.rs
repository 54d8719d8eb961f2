//! Adaptive multi-symbol range coding for the instruction stream: one coder step decodes a choice
//! among up to sixteen values (an opcode with its angle-cache entry, a qubit choice, four bits of
//! an angle), where the binary coder of [`crate::rangecoder`] needs one step per bit of a tree.
//!
//! A [`Cdf`] is an adaptive distribution over [`LANES`] lanes, kept as the cumulative start of each
//! lane in units of `2^-CDF_BITS`. Every lane keeps a width of at least one unit (so any lane can be
//! coded, and a lane the model never uses costs it at most `LANES / 2^CDF_BITS` of the mass); the
//! rest adapts after every coded symbol by moving each start `1/2^RATE` of the way towards the
//! distribution that puts everything on the symbol just seen, the multi-symbol form of the binary
//! coder's shift update (as in AV1's and Daala's entropy coders): two loads from a table of
//! targets and six 16-bit vector operations.
//!
//! [`SymbolEncoder`] and [`SymbolDecoder`] are a range coder in LZMA's design, widened: a 64-bit
//! range, renormalised 32 bits at a time (about once every sixteen symbols, so the decoder rarely
//! branches on it), with carries handled on 32-bit digits. Binary decisions and direct bits work as
//! in [`crate::rangecoder`] (12-bit probabilities, the same shift update), and
//! [`Coder::symbol`] splits the range in proportion to the lanes' widths (the last lane takes what
//! the truncation of `range / 2^CDF_BITS` leaves over).
//!
//! The decoder finds a symbol's lane by a linear search from lane 0, one multiplication and one
//! branch per lane, and the model puts its likelier lanes first. That looks slow and is not: the
//! branches follow the data's structure, the processor predicts them, and it goes on decoding
//! the next symbols before the comparisons are done. A branch-free search (a division and sixteen
//! comparisons, or sixteen multiplications) puts its whole latency on the path from one symbol to
//! the next, and measured two to three times slower.
//!
//! Blocks are flushed independently, and the decoder reads zeros past the end of its input, as in
//! [`crate::rangecoder`]. The flush writes the value of the final interval with the most trailing
//! zero bits and strips the zero bytes, so it costs about four bytes.

use alloc::vec::Vec;

use crate::rangecoder::{Coder, PROB_BITS, PROB_MAX, PROB_MIN};

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

/// Directly coded bits go through the coder this many at a time.
const DIRECT_CHUNK: u32 = 16;
/// Renormalise (by 32 bits at once) when the range drops below 2^32.
const TOP: u64 = 1 << 32;
/// Binary adaptation rate (as [`crate::rangecoder`]).
const ADAPT_SHIFT: u32 = 4;

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

    /// The probability of lane `s`, in units of `2^-CDF_BITS`.
    #[must_use]
    pub fn width(&self, s: usize) -> u32 {
        let (lo, hi) = self.bounds(s);
        hi - lo
    }

    /// Start and end of lane `s` (masked into range), in units of `2^-CDF_BITS`.
    #[inline(always)]
    #[allow(clippy::indexing_slicing)] // masked into 0..LANES
    fn bounds(&self, s: usize) -> (u32, u32) {
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
    fn find(&self, r: u64, code: u64) -> usize {
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

#[inline(always)]
fn adapt_bit(p: &mut u16, bit: bool) {
    if bit {
        *p -= *p >> ADAPT_SHIFT;
    } else {
        *p += ((1u16 << PROB_BITS) - *p) >> ADAPT_SHIFT;
    }
}

/// Multi-symbol range encoder writing into a byte vector.
#[derive(Debug, Clone)]
pub struct SymbolEncoder {
    /// The low end of the interval: 64 bits and a carry.
    low: u128,
    range: u64,
    /// The last 32-bit digit not yet written (a carry may still change it), and how many digits
    /// are pending: it and `cache_size - 1` digits of all ones after it.
    cache: u32,
    cache_size: u64,
    out: Vec<u8>,
    /// The first digit is always 0 (the interval never leaves its initial span); it is dropped.
    skipped_first: bool,
}

impl Default for SymbolEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl SymbolEncoder {
    /// A fresh encoder.
    #[must_use]
    pub fn new() -> Self {
        SymbolEncoder {
            low: 0,
            range: u64::MAX,
            cache: 0,
            cache_size: 1,
            out: Vec::new(),
            skipped_first: false,
        }
    }

    /// Bytes produced so far (a lower bound on the block's final size).
    #[must_use]
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Whether nothing has been produced yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    fn emit(&mut self, digit: u32) {
        if self.skipped_first {
            self.out.extend_from_slice(&digit.to_be_bytes());
        } else {
            self.skipped_first = true;
        }
    }

    /// Move the top 32-bit digit of the 64-bit window out (LZMA's carry handling, with 32-bit
    /// digits for bytes).
    fn shift_low(&mut self) {
        if (self.low as u64) < 0xFFFF_FFFF_0000_0000 || (self.low >> 64) != 0 {
            let carry = (self.low >> 64) as u32;
            let mut temp = self.cache;
            loop {
                self.emit(temp.wrapping_add(carry));
                temp = u32::MAX;
                self.cache_size -= 1;
                if self.cache_size == 0 {
                    break;
                }
            }
            self.cache = (self.low >> 32) as u32;
        }
        self.cache_size += 1;
        self.low = (self.low & 0xFFFF_FFFF) << 32;
    }

    #[inline(always)]
    fn normalize(&mut self) {
        // Every step leaves at least 2^17 of a range of at least 2^32: one shift restores it.
        if self.range < TOP {
            self.range <<= 32;
            self.shift_low();
        }
    }

    /// Flush and return the block's bytes. The value written is the one in the final interval
    /// with the most trailing zero bits, and trailing zero bytes are stripped (the decoder reads
    /// zeros past the end), so a flush costs about four bytes.
    #[must_use]
    pub fn finish(mut self) -> Vec<u8> {
        // The interval is [low, low + range) with range >= 2^32: round low up to a multiple of
        // the largest power of two that keeps it inside.
        let end = self.low + u128::from(self.range);
        for k in (0..64).rev() {
            let mask = (1u128 << k) - 1;
            let v = (self.low + mask) & !mask;
            if v < end {
                self.low = v;
                break;
            }
        }
        for _ in 0..3 {
            self.shift_low();
        }
        while self.out.last() == Some(&0) {
            self.out.pop();
        }
        self.out
    }
}

impl Coder for SymbolEncoder {
    const DECODING: bool = false;

    #[inline(always)]
    fn bit(&mut self, p: &mut u16, bit: bool) -> bool {
        let bound = (self.range >> PROB_BITS) * u64::from(*p);
        if bit {
            self.low += u128::from(bound);
            self.range -= bound;
        } else {
            self.range = bound;
        }
        adapt_bit(p, bit);
        self.normalize();
        bit
    }

    fn direct(&mut self, value: u64, n: u32) -> u64 {
        let n = n.min(64);
        let mut left = n;
        while left > 0 {
            let k = left.min(DIRECT_CHUNK);
            left -= k;
            let chunk = (value >> left) & ((1u64 << k) - 1);
            self.range >>= k;
            self.low += u128::from(chunk * self.range);
            self.normalize();
        }
        if n >= 64 {
            value
        } else {
            value & ((1u64 << n) - 1)
        }
    }

    #[inline(always)]
    fn symbol(&mut self, cdf: &mut Cdf, s: usize) -> usize {
        let s = s & (LANES - 1);
        let r = self.range >> CDF_BITS;
        let (lo, hi) = cdf.bounds(s);
        let start = r * u64::from(lo);
        // The last lane takes what the truncation of `r` leaves over (as the decoder does).
        self.range = if s == LANES - 1 {
            self.range - start
        } else {
            r * u64::from(hi) - start
        };
        self.low += u128::from(start);
        self.normalize();
        cdf.adapt(s);
        s
    }
}

/// Multi-symbol range decoder over one block's bytes.
#[derive(Debug, Clone)]
pub struct SymbolDecoder<'a> {
    buf: &'a [u8],
    pos: usize,
    range: u64,
    code: u64,
}

/// A paused [`SymbolDecoder`]: its position and registers, without the borrow of its input, so a
/// streaming decoder can keep it between calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SymbolDecoderState {
    pos: usize,
    range: u64,
    code: u64,
}

impl<'a> SymbolDecoder<'a> {
    /// Start decoding a block.
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        let mut d = SymbolDecoder {
            buf,
            pos: 0,
            range: u64::MAX,
            code: 0,
        };
        d.code = u64::from(d.next_digit()) << 32;
        d.code |= u64::from(d.next_digit());
        d
    }

    /// Resume over the same block bytes.
    #[must_use]
    pub fn resume(buf: &'a [u8], state: SymbolDecoderState) -> Self {
        SymbolDecoder {
            buf,
            pos: state.pos,
            range: state.range,
            code: state.code,
        }
    }

    /// Pause.
    #[must_use]
    pub fn state(&self) -> SymbolDecoderState {
        SymbolDecoderState {
            pos: self.pos,
            range: self.range,
            code: self.code,
        }
    }

    /// How many bytes past the end of the block were read (as zeros). A well-formed block reads
    /// at most 8 beyond its stripped end.
    #[must_use]
    pub fn overrun(&self) -> usize {
        self.pos.saturating_sub(self.buf.len())
    }

    /// The next four bytes, big-endian (zeros past the end).
    #[inline(always)]
    fn next_digit(&mut self) -> u32 {
        let pos = self.pos;
        self.pos += 4;
        match self.buf.get(pos..pos + 4) {
            Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
            _ => {
                let byte = |i: usize| self.buf.get(pos + i).copied().unwrap_or(0);
                u32::from_be_bytes([byte(0), byte(1), byte(2), byte(3)])
            }
        }
    }

    #[inline(always)]
    fn normalize(&mut self) {
        // Every step leaves at least 2^17 of a range of at least 2^32: one shift restores it,
        // about once every sixteen symbols.
        if self.range < TOP {
            self.range <<= 32;
            self.code = (self.code << 32) | u64::from(self.next_digit());
        }
    }
}

impl Coder for SymbolDecoder<'_> {
    const DECODING: bool = true;

    #[inline(always)]
    fn bit(&mut self, p: &mut u16, _bit: bool) -> bool {
        let bound = (self.range >> PROB_BITS) * u64::from(*p);
        let bit = self.code >= bound;
        if bit {
            self.code -= bound;
            self.range -= bound;
        } else {
            self.range = bound;
        }
        adapt_bit(p, bit);
        self.normalize();
        bit
    }

    #[inline(always)]
    fn direct(&mut self, _value: u64, n: u32) -> u64 {
        let mut v = 0u64;
        let mut left = n.min(64);
        while left > 0 {
            let k = left.min(DIRECT_CHUNK);
            left -= k;
            self.range >>= k;
            // On a corrupted stream the quotient may reach 2^k; clamp it so the decoder stays
            // total (the block CRC has already vouched for well-formed input).
            let chunk = (self.code / self.range.max(1)).min((1 << k) - 1);
            self.code -= chunk * self.range;
            v = (v << k) | chunk;
            self.normalize();
        }
        v
    }

    #[inline(always)]
    fn symbol(&mut self, cdf: &mut Cdf, _s: usize) -> usize {
        // The range is at least 2^32 here, so r >= 2^17.
        let r = self.range >> CDF_BITS;
        let s = cdf.find(r, self.code);
        let (lo, hi) = cdf.bounds(s);
        // `r * lo <= code` (that is how the lane was found); `r * hi <= range`.
        let start = r * u64::from(lo);
        let end = if s == LANES - 1 {
            self.range
        } else {
            r * u64::from(hi)
        };
        self.code -= start;
        self.range = end - start;
        self.normalize();
        cdf.adapt(s);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rangecoder::{PROB_HALF, RangeDecoder, RangeEncoder};
    use alloc::vec;

    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 33
    }

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
        check_invariants(&Cdf::from_log_weights(&[PROB_MAX; LANES], 0xffff));
        check_invariants(&Cdf::from_log_weights(&[PROB_MIN; LANES], 0x8001));
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

    /// A mixed stream of symbols (skewed and uniform), bits and direct fields.
    fn stream(n: usize) -> Vec<(usize, usize, bool, u64, u32)> {
        let mut seed = 11;
        (0..n)
            .map(|i| {
                let ctx = i % 3;
                let s = match ctx {
                    0 => (lcg(&mut seed) % 16) as usize,
                    1 => [0, 0, 0, 0, 0, 0, 1, 2][(lcg(&mut seed) % 8) as usize],
                    _ => 15 * usize::from(lcg(&mut seed).is_multiple_of(50)),
                };
                (
                    ctx,
                    s,
                    lcg(&mut seed).is_multiple_of(10),
                    lcg(&mut seed),
                    (i % 23) as u32,
                )
            })
            .collect()
    }

    #[test]
    fn symbols_bits_and_direct_round_trip() {
        let items = stream(30_000);
        let mut enc = SymbolEncoder::new();
        let mut cdfs = [Cdf::uniform(); 3];
        let mut p = PROB_HALF;
        for &(ctx, s, b, v, n) in &items {
            assert_eq!(enc.symbol(&mut cdfs[ctx], s), s);
            enc.bit(&mut p, b);
            enc.direct(v, n);
        }
        let out = enc.finish();
        let mut dec = SymbolDecoder::new(&out);
        let mut cdfs = [Cdf::uniform(); 3];
        let mut p = PROB_HALF;
        for (i, &(ctx, s, b, v, n)) in items.iter().enumerate() {
            assert_eq!(dec.symbol(&mut cdfs[ctx], 0), s, "symbol {i}");
            assert_eq!(dec.bit(&mut p, false), b, "bit {i}");
            assert_eq!(dec.direct(0, n), v & ((1u64 << n) - 1), "direct {i}");
            if i % 1000 == 0 {
                let st = dec.state();
                dec = SymbolDecoder::resume(&out, st);
            }
        }
        assert!(dec.overrun() <= 8);
    }

    #[test]
    fn extreme_distributions_round_trip() {
        // A lane driven to its one unit, then coded: the range shrinks by 2^15 at once.
        for last in [0usize, 7, 15] {
            let mut enc = SymbolEncoder::new();
            let mut c = Cdf::uniform();
            let pattern: Vec<usize> = (0..3000)
                .map(|i| if i % 700 == 699 { last ^ 1 } else { last })
                .collect();
            for &s in &pattern {
                enc.symbol(&mut c, s);
            }
            let out = enc.finish();
            let mut dec = SymbolDecoder::new(&out);
            let mut c = Cdf::uniform();
            for (i, &s) in pattern.iter().enumerate() {
                assert_eq!(dec.symbol(&mut c, 0), s, "{last} {i}");
            }
        }
    }

    #[test]
    fn binary_coders_evolve_the_same_distribution() {
        let items = stream(3000);
        let mut enc = RangeEncoder::new();
        let mut a = [Cdf::uniform(); 3];
        for &(ctx, s, ..) in &items {
            assert_eq!(enc.symbol(&mut a[ctx], s), s);
        }
        let out = enc.finish();
        let mut dec = RangeDecoder::new(&out);
        let mut b = [Cdf::uniform(); 3];
        for &(ctx, s, ..) in &items {
            assert_eq!(dec.symbol(&mut b[ctx], 0), s);
        }
        assert_eq!(a, b);
        let mut sym = SymbolEncoder::new();
        let mut c = [Cdf::uniform(); 3];
        for &(ctx, s, ..) in &items {
            sym.symbol(&mut c[ctx], s);
        }
        assert_eq!(a, c);
        // The multi-symbol coder is at least as tight.
        assert!(sym.finish().len() <= out.len() + 4);
    }

    #[test]
    fn decoder_on_garbage_never_panics() {
        for seed0 in 0..20u64 {
            let mut seed = seed0;
            let garbage: Vec<u8> = (0..64).map(|_| lcg(&mut seed) as u8).collect();
            let garbage = if seed0 == 0 { vec![0xff; 64] } else { garbage };
            let mut dec = SymbolDecoder::new(&garbage);
            let mut c = Cdf::uniform();
            let mut p = PROB_HALF;
            for _ in 0..2000 {
                let s = dec.symbol(&mut c, 0);
                assert!(s < LANES);
                dec.bit(&mut p, false);
                dec.direct(0, 23);
            }
        }
    }
}
