//! The adaptive binary range coder (LZMA's design: 32-bit range, renormalised a byte at a time,
//! 12-bit probabilities that adapt after every coded bit). The pulse section codes with it.
//!
//! Blocks are flushed independently. The decoder reads zeros past the end of its input: the
//! encoder strips trailing zero bytes of a block, so that is part of the format, and a block's
//! length and CRC (checked before decoding) are what detect truncation and corruption.

use alloc::vec::Vec;

use super::base::{Coder, DIRECT_CHUNK, PROB_BITS, adapt, strip_trailing_zeros};
use crate::bits::low_bits;

/// Renormalise when the range drops below 2^24.
const TOP: u32 = 1 << 24;

/// Range encoder writing into a byte vector.
#[derive(Debug, Clone)]
pub struct RangeEncoder {
    low: u64,
    range: u32,
    cache: u8,
    cache_size: u64,
    out: Vec<u8>,
    /// The first byte LZMA's encoder emits is always 0; it is dropped.
    skipped_first: bool,
}

impl Default for RangeEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl RangeEncoder {
    /// A fresh encoder.
    #[must_use]
    pub fn new() -> Self {
        RangeEncoder {
            low: 0,
            range: u32::MAX,
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

    fn emit(&mut self, byte: u8) {
        if self.skipped_first {
            self.out.push(byte);
        } else {
            self.skipped_first = true;
        }
    }

    fn shift_low(&mut self) {
        if (self.low as u32) < 0xFF00_0000 || (self.low >> 32) != 0 {
            let carry = (self.low >> 32) as u8;
            let mut temp = self.cache;
            loop {
                self.emit(temp.wrapping_add(carry));
                temp = 0xFF;
                self.cache_size -= 1;
                if self.cache_size == 0 {
                    break;
                }
            }
            self.cache = (self.low >> 24) as u8;
        }
        self.cache_size += 1;
        self.low = (self.low & 0x00FF_FFFF) << 8;
    }

    #[inline(always)]
    fn normalize(&mut self) {
        while self.range < TOP {
            self.range <<= 8;
            self.shift_low();
        }
    }

    /// Flush and return the block's bytes (trailing zeros stripped: the decoder reads zeros past
    /// the end).
    #[must_use]
    pub fn finish(mut self) -> Vec<u8> {
        for _ in 0..5 {
            self.shift_low();
        }
        strip_trailing_zeros(&mut self.out);
        self.out
    }
}

impl Coder for RangeEncoder {
    const DECODING: bool = false;

    #[inline(always)]
    fn bit(&mut self, p: &mut u16, bit: bool) -> bool {
        let bound = (self.range >> PROB_BITS) * u32::from(*p);
        if bit {
            self.low += u64::from(bound);
            self.range -= bound;
        } else {
            self.range = bound;
        }
        adapt(p, bit);
        self.normalize();
        bit
    }

    fn direct(&mut self, value: u64, n: u32) -> u64 {
        // In chunks of up to DIRECT_CHUNK bits, most significant first: the range is split into
        // 2^k equal parts (it is at least 2^24, so each part is at least 2^8 wide).
        let n = n.min(64);
        let mut left = n;
        while left > 0 {
            let k = left.min(DIRECT_CHUNK);
            left -= k;
            let chunk = (value >> left) & ((1u64 << k) - 1);
            self.range >>= k;
            self.low += chunk * u64::from(self.range);
            self.normalize();
        }
        low_bits(value, n)
    }
}

/// Range decoder over one block's bytes.
#[derive(Debug, Clone)]
pub struct RangeDecoder<'a> {
    buf: &'a [u8],
    pos: usize,
    range: u32,
    code: u32,
}

/// A paused [`RangeDecoder`]: its position and registers, without the borrow of its input, so a
/// streaming decoder can keep it between calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecoderState {
    pos: usize,
    range: u32,
    code: u32,
}

impl<'a> RangeDecoder<'a> {
    /// Start decoding a block.
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        let mut d = RangeDecoder {
            buf,
            pos: 0,
            range: u32::MAX,
            code: 0,
        };
        for _ in 0..4 {
            d.code = (d.code << 8) | u32::from(d.next_byte());
        }
        d
    }

    /// Resume over the same block bytes.
    #[must_use]
    pub fn resume(buf: &'a [u8], state: DecoderState) -> Self {
        RangeDecoder {
            buf,
            pos: state.pos,
            range: state.range,
            code: state.code,
        }
    }

    /// Pause.
    #[must_use]
    pub fn state(&self) -> DecoderState {
        DecoderState {
            pos: self.pos,
            range: self.range,
            code: self.code,
        }
    }

    #[inline(always)]
    fn next_byte(&mut self) -> u8 {
        let b = self.buf.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// How many bytes past the end of the block were read (as zeros). A well-formed block reads
    /// at most 4 beyond its stripped end.
    #[must_use]
    pub fn overrun(&self) -> usize {
        self.pos.saturating_sub(self.buf.len())
    }

    #[inline(always)]
    fn normalize(&mut self) {
        // A probability as small as 15/4096 can shrink the range below 2^16, so up to two
        // bytes may be needed (as in the encoder's loop).
        while self.range < TOP {
            self.range <<= 8;
            self.code = (self.code << 8) | u32::from(self.next_byte());
        }
    }
}

impl Coder for RangeDecoder<'_> {
    const DECODING: bool = true;

    #[inline(always)]
    fn bit(&mut self, p: &mut u16, _bit: bool) -> bool {
        let bound = (self.range >> PROB_BITS) * u32::from(*p);
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

    fn direct(&mut self, _value: u64, n: u32) -> u64 {
        let mut v = 0u64;
        let mut left = n.min(64);
        while left > 0 {
            let k = left.min(DIRECT_CHUNK);
            left -= k;
            self.range >>= k;
            // On a corrupted stream the quotient may reach 2^k; clamp it so the decoder stays
            // total (the block CRC has already vouched for well-formed input).
            let chunk = (self.code / self.range).min((1 << k) - 1);
            self.code -= chunk * self.range;
            v = (v << k) | u64::from(chunk);
            self.normalize();
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::super::base::PROB_HALF;
    use super::*;
    use crate::test_util::lcg;

    #[test]
    fn round_trips_skewed_and_direct_bits() {
        let mut seed = 7u64;
        let bits: Vec<(bool, u64)> = (0..20_000)
            .map(|_| (lcg(&mut seed).is_multiple_of(10), lcg(&mut seed)))
            .collect();
        let mut enc = RangeEncoder::new();
        let mut probs = [PROB_HALF; 4];
        for (i, &(b, v)) in bits.iter().enumerate() {
            enc.bit(&mut probs[i % 4], b);
            if i % 7 == 0 {
                enc.direct(v, (i % 40) as u32);
            }
        }
        let out = enc.finish();
        // Skewed bits (p = 0.1, entropy 0.47 bits) cost well under one bit each even with the
        // fast adaptation, plus the direct bits.
        let direct: u64 = (0..20_000u64).filter(|i| i % 7 == 0).map(|i| i % 40).sum();
        assert!(
            ((out.len() * 8) as u64) < direct + 20_000 * 6 / 10,
            "{}",
            out.len()
        );
        let mut dec = RangeDecoder::new(&out);
        let mut probs = [PROB_HALF; 4];
        for (i, &(b, v)) in bits.iter().enumerate() {
            assert_eq!(dec.bit(&mut probs[i % 4], false), b, "bit {i}");
            if i % 7 == 0 {
                let n = (i % 40) as u32;
                assert_eq!(dec.direct(0, n), v & ((1u64 << n) - 1), "direct {i}");
            }
        }
        assert!(dec.overrun() <= 4);
    }

    #[test]
    fn long_runs_at_the_extreme_probabilities_round_trip() {
        // Thousands of identical bits drive a slot to its extreme, where a single surprise
        // shrinks the range by more than one byte: the decoder must renormalise twice.
        let pattern: Vec<bool> = (0..5000).map(|i| i % 1000 == 999).collect();
        for flip in [false, true] {
            let mut enc = RangeEncoder::new();
            let mut p = PROB_HALF;
            for &b in &pattern {
                enc.bit(&mut p, b ^ flip);
            }
            let out = enc.finish();
            let mut dec = RangeDecoder::new(&out);
            let mut p = PROB_HALF;
            for (i, &b) in pattern.iter().enumerate() {
                assert_eq!(dec.bit(&mut p, false), b ^ flip, "bit {i}");
            }
        }
    }

    #[test]
    fn empty_and_tiny_blocks_round_trip() {
        for n in 0..40 {
            let mut enc = RangeEncoder::new();
            let mut p = PROB_HALF;
            for i in 0..n {
                enc.bit(&mut p, i % 3 == 0);
            }
            let out = enc.finish();
            let mut dec = RangeDecoder::new(&out);
            let mut p = PROB_HALF;
            for i in 0..n {
                assert_eq!(dec.bit(&mut p, false), i % 3 == 0);
            }
        }
    }

    #[test]
    fn decoder_on_garbage_never_panics() {
        let garbage: Vec<u8> = (0..64u32).map(|i| (i * 97 + 13) as u8).collect();
        let mut dec = RangeDecoder::new(&garbage);
        let mut p = PROB_HALF;
        for _ in 0..1000 {
            dec.bit(&mut p, false);
            dec.direct(0, 64);
        }
    }
}
