//! The multi-symbol range coder of the instruction stream: one coder step decodes a choice among
//! up to sixteen values (an opcode with its angle-cache entry, a qubit choice, four bits of an
//! angle), where the binary coder needs one step per bit of a tree.
//!
//! [`SymbolEncoder`] and [`SymbolDecoder`] are a range coder in LZMA's design, widened: a 64-bit
//! range, renormalised 32 bits at a time (about once every sixteen symbols, so the decoder rarely
//! branches on it), with carries handled on 32-bit digits. Binary decisions and direct bits work as
//! in the binary coder (12-bit probabilities, the same adaptation rule), and [`Coder::symbol`]
//! splits the range in proportion to the lanes' widths of a [`Cdf`] (the last lane takes what the
//! truncation of `range / 2^CDF_BITS` leaves over).
//!
//! Blocks are flushed independently, and the decoder reads zeros past the end of its input, as the
//! binary coder's. The flush writes the value of the final interval with the most trailing zero
//! bits and strips the zero bytes, so it costs about four bytes.

use alloc::vec::Vec;

use super::base::{Coder, DIRECT_CHUNK, PROB_BITS, adapt, strip_trailing_zeros};
use super::cdf::{CDF_BITS, Cdf, LANES};
use crate::bits::low_bits;

/// Renormalise (by 32 bits at once) when the range drops below 2^32.
const TOP: u64 = 1 << 32;

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
        strip_trailing_zeros(&mut self.out);
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
        adapt(p, bit);
        self.normalize();
        bit
    }

    // Inline: the model is instantiated in the encoder's crate, not in this one.
    #[inline]
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
        low_bits(value, n)
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
        adapt(p, bit);
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
    use super::super::base::PROB_HALF;
    use super::super::binary::{RangeDecoder, RangeEncoder};
    use super::*;
    use crate::test_util::lcg;
    use alloc::vec;

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
