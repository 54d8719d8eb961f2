//! MSB-first bit I/O.
//!
//! Bits are packed most-significant-bit first: the first bit written is bit 7 of byte 0. A value of
//! width `n` is written with its most significant bit first, so `write_bits(0b101, 3)` followed by
//! `finish()` yields `[0b1010_0000]`. This order makes prefix codes (Huffman, gamma, Rice) decodable
//! by peeking a window and looking at its top bits, which is what table-driven decoders want.
//!
//! Both sides work a 64-bit word at a time where it is easy: the writer accumulates into a `u64` and
//! flushes eight bytes at once, and the reader loads eight big-endian bytes and shifts.

use alloc::vec::Vec;

use crate::error::IsaError;

/// Keeps the low `n` bits of `value` (`n` in `0..=64`).
#[inline]
pub(crate) const fn low_bits(value: u64, n: u32) -> u64 {
    if n >= 64 {
        value
    } else {
        value & ((1u64 << n) - 1)
    }
}

/// Appends bits MSB-first into a growing byte vector.
#[derive(Debug, Clone, Default)]
pub struct BitWriter {
    /// Completed bytes.
    bytes: Vec<u8>,
    /// Pending bits, left-aligned: the next bit to emit is bit 63.
    acc: u64,
    /// Number of pending bits in `acc`; always `< 64` between calls (a full word is flushed).
    acc_bits: u32,
}

impl BitWriter {
    /// Creates an empty writer.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            bytes: Vec::new(),
            acc: 0,
            acc_bits: 0,
        }
    }

    /// Creates an empty writer with room for `bytes` output bytes before reallocating.
    #[must_use]
    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(bytes),
            acc: 0,
            acc_bits: 0,
        }
    }

    /// Appends the low `n` bits of `value`, most significant first.
    ///
    /// Bits of `value` above `n` are ignored. Widths above 64 zero-extend `value` (the extra leading
    /// bits are zeros), so the call is total and never panics.
    pub fn write_bits(&mut self, value: u64, n: u32) {
        let mut n = n;
        // Zero-extension for n > 64: emit the leading zeros first, 64 at a time.
        while n > 64 {
            let zeros = (n - 64).min(64);
            self.write_word(0, zeros);
            n -= zeros;
        }
        self.write_word(low_bits(value, n), n);
    }

    /// Core of [`Self::write_bits`]: `n <= 64` and `value < 2^n` hold.
    #[inline]
    fn write_word(&mut self, value: u64, n: u32) {
        if n == 0 {
            return;
        }
        let free = 64 - self.acc_bits; // 1..=64 thanks to the `acc_bits < 64` invariant
        if n < free {
            // Fits with room to spare; `free - n` is in 1..=63.
            self.acc |= value << (free - n);
            self.acc_bits += n;
        } else {
            // Fill the word with the top `free` bits of `value`, flush it, keep the rest.
            let rest = n - free; // 0..=63
            self.acc |= value >> rest;
            self.bytes.extend_from_slice(&self.acc.to_be_bytes());
            self.acc = if rest == 0 { 0 } else { value << (64 - rest) };
            self.acc_bits = rest;
        }
    }

    /// Appends one bit.
    #[inline]
    pub fn write_bit(&mut self, bit: bool) {
        self.write_word(u64::from(bit), 1);
    }

    /// Pads with zero bits up to the next byte boundary (no-op if already aligned).
    pub fn align_to_byte(&mut self) {
        let pad = (8 - self.acc_bits % 8) % 8;
        self.write_word(0, pad);
    }

    /// Number of bits written so far (including pending ones).
    #[must_use]
    pub fn bit_len(&self) -> u64 {
        // A Vec never holds more than isize::MAX bytes, so `* 8` fits in u64.
        self.bytes.len() as u64 * 8 + u64::from(self.acc_bits)
    }

    /// Pads the last partial byte with zero bits and returns the bytes.
    #[must_use]
    pub fn finish(mut self) -> Vec<u8> {
        let pending_bytes = self.acc_bits.div_ceil(8) as usize;
        self.bytes
            .extend(self.acc.to_be_bytes().iter().take(pending_bytes));
        self.bytes
    }
}

/// Reads bits MSB-first from a byte slice.
///
/// Reading past the end returns [`IsaError::Truncated`] (with `what = "bits"`, counts in bits) and
/// leaves the position unchanged; it never panics.
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    data: &'a [u8],
    /// Position of the next bit, counted from bit 7 of byte 0. Always `<= len_bits`.
    pos: u64,
    /// Total number of bits in `data`.
    len_bits: u64,
}

impl<'a> BitReader<'a> {
    /// Creates a reader positioned at the first bit of `data`.
    #[must_use]
    pub const fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            pos: 0,
            // Slices hold at most isize::MAX bytes, so this cannot overflow u64.
            len_bits: data.len() as u64 * 8,
        }
    }

    /// Number of bits not yet read.
    #[must_use]
    pub const fn bits_remaining(&self) -> u64 {
        self.len_bits - self.pos
    }

    /// Number of bits read (or skipped) so far.
    #[must_use]
    pub const fn bit_position(&self) -> u64 {
        self.pos
    }

    /// Returns the next `n` bits (`n <= 64`) as the low bits of a `u64`, without consuming them.
    ///
    /// # Errors
    /// [`IsaError::BitWidth`] if `n > 64`; [`IsaError::Truncated`] if fewer than `n` bits remain.
    #[inline]
    pub fn peek_bits(&self, n: u32) -> Result<u64, IsaError> {
        if n == 0 {
            return Ok(0);
        }
        if n > 64 {
            return Err(IsaError::BitWidth(n));
        }
        let remaining = self.bits_remaining();
        if u64::from(n) > remaining {
            return Err(IsaError::Truncated {
                what: "bits",
                needed: u64::from(n),
                available: remaining,
            });
        }
        // `pos < len_bits` here, so the byte index is inside `data` and fits in usize.
        let idx = (self.pos / 8) as usize;
        let offset = (self.pos % 8) as u32;
        let hi = load_be_u64(self.data, idx) << offset; // top `64 - offset` bits are valid
        if n <= 64 - offset {
            Ok(hi >> (64 - n))
        } else {
            // Straddles a ninth byte: `extra` in 1..=7 bits come from data[idx + 8]. The low
            // `extra` bits of `hi >> (64 - n)` are zero (they came from the shifted-in zeros).
            let extra = n - (64 - offset);
            let ninth = u64::from(self.data.get(idx.saturating_add(8)).copied().unwrap_or(0));
            Ok((hi >> (64 - n)) | (ninth >> (8 - extra)))
        }
    }

    /// Reads the next `n` bits (`n <= 64`) as the low bits of a `u64`.
    ///
    /// # Errors
    /// As [`Self::peek_bits`]; on error nothing is consumed.
    #[inline]
    pub fn read_bits(&mut self, n: u32) -> Result<u64, IsaError> {
        let value = self.peek_bits(n)?;
        self.pos += u64::from(n);
        Ok(value)
    }

    /// Reads one bit.
    ///
    /// # Errors
    /// [`IsaError::Truncated`] at the end of the input.
    #[inline]
    pub fn read_bit(&mut self) -> Result<bool, IsaError> {
        Ok(self.read_bits(1)? != 0)
    }

    /// Skips `n` bits.
    ///
    /// # Errors
    /// [`IsaError::Truncated`] if fewer than `n` bits remain (nothing is skipped then).
    pub fn skip_bits(&mut self, n: u64) -> Result<(), IsaError> {
        let remaining = self.bits_remaining();
        if n > remaining {
            return Err(IsaError::Truncated {
                what: "bits",
                needed: n,
                available: remaining,
            });
        }
        self.pos += n;
        Ok(())
    }

    /// Skips to the next byte boundary (no-op if already aligned). Never fails: the end of the data
    /// is itself a byte boundary.
    pub fn align_to_byte(&mut self) {
        self.pos = self.pos.next_multiple_of(8).min(self.len_bits);
    }
}

/// Loads eight bytes starting at `idx` as a big-endian `u64`, padding past the end with zeros.
#[inline]
fn load_be_u64(data: &[u8], idx: usize) -> u64 {
    // Fast path: a full word is available.
    if let Some(word) = data
        .get(idx..idx.saturating_add(8))
        .and_then(|s| <[u8; 8]>::try_from(s).ok())
    {
        return u64::from_be_bytes(word);
    }
    let mut buf = [0u8; 8];
    let tail = data.get(idx..).unwrap_or(&[]);
    for (dst, src) in buf.iter_mut().zip(tail) {
        *dst = *src;
    }
    u64::from_be_bytes(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_test_support::Rng;
    use std::vec;
    use std::vec::Vec;

    #[test]
    fn msb_first_layout() {
        let mut w = BitWriter::new();
        w.write_bits(0b101, 3);
        w.write_bit(true);
        assert_eq!(w.bit_len(), 4);
        assert_eq!(w.finish(), vec![0b1011_0000]);
    }

    #[test]
    fn high_value_bits_are_ignored_and_wide_widths_zero_extend() {
        let mut w = BitWriter::new();
        w.write_bits(0xFF, 4);
        w.write_bits(1, 70); // 69 zeros then a one
        let bytes = w.finish();
        let mut r = BitReader::new(&bytes);
        assert_eq!(r.read_bits(4).unwrap(), 0xF);
        assert_eq!(r.read_bits(6).unwrap(), 0);
        assert_eq!(r.read_bits(64).unwrap(), 1);
    }

    #[test]
    fn align_and_widths_0_and_64() {
        let mut w = BitWriter::new();
        w.write_bits(1, 1);
        w.align_to_byte();
        assert_eq!(w.bit_len(), 8);
        w.align_to_byte();
        assert_eq!(w.bit_len(), 8);
        w.write_bits(123, 0);
        w.write_bits(u64::MAX, 64);
        w.write_bits(0x0123_4567_89AB_CDEF, 64);
        let bytes = w.finish();
        assert_eq!(bytes.len(), 17);
        let mut r = BitReader::new(&bytes);
        assert!(r.read_bit().unwrap());
        r.align_to_byte();
        assert_eq!(r.bit_position(), 8);
        assert_eq!(r.read_bits(0).unwrap(), 0);
        assert_eq!(r.read_bits(64).unwrap(), u64::MAX);
        assert_eq!(r.read_bits(64).unwrap(), 0x0123_4567_89AB_CDEF);
        assert_eq!(r.bits_remaining(), 0);
        r.align_to_byte();
        assert_eq!(r.bits_remaining(), 0);
    }

    #[test]
    fn reading_past_end_is_truncated_and_consumes_nothing() {
        let data = [0xAB, 0xCD];
        let mut r = BitReader::new(&data);
        assert_eq!(r.read_bits(12).unwrap(), 0xABC);
        assert_eq!(
            r.read_bits(5),
            Err(IsaError::Truncated {
                what: "bits",
                needed: 5,
                available: 4
            })
        );
        assert_eq!(r.bits_remaining(), 4);
        assert_eq!(r.read_bits(65), Err(IsaError::BitWidth(65)));
        assert!(r.skip_bits(5).is_err());
        assert_eq!(r.read_bits(4).unwrap(), 0xD);
        assert!(r.read_bit().is_err());
        assert!(BitReader::new(&[]).read_bit().is_err());
    }

    #[test]
    fn random_round_trip_all_widths_and_offsets() {
        let mut rng = Rng::new(0x5EED_B175);
        for _ in 0..200 {
            let count = rng.below(300) as usize;
            let items: Vec<(u64, u32)> = (0..count)
                .map(|_| {
                    let n = rng.below(65) as u32;
                    (low_bits(rng.next_u64(), n), n)
                })
                .collect();
            let mut w = BitWriter::new();
            let mut total = 0u64;
            for &(v, n) in &items {
                // Write with junk above bit n to check it is masked off.
                let junk = if n < 64 { rng.next_u64() << n } else { 0 };
                w.write_bits(v | junk, n);
                total += u64::from(n);
                assert_eq!(w.bit_len(), total);
            }
            let bytes = w.finish();
            assert_eq!(bytes.len() as u64, total.div_ceil(8));
            let mut r = BitReader::new(&bytes);
            for &(v, n) in &items {
                assert_eq!(r.peek_bits(n).unwrap(), v);
                assert_eq!(r.read_bits(n).unwrap(), v, "width {n}");
            }
            assert!(r.bits_remaining() < 8);
            assert_eq!(r.read_bits(r.bits_remaining() as u32).unwrap(), 0);
        }
    }
}
