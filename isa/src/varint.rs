//! Variable-length integer codes.
//!
//! - **LEB128** on byte slices: [`write_uvarint`]/[`read_uvarint`] for `u64`, and
//!   [`write_ivarint`]/[`read_ivarint`] for `i64` via zigzag mapping (small magnitudes of either sign
//!   stay short). Reading is strict: values wider than 64 bits are [`IsaError::VarintOverflow`], and
//!   overlong encodings (redundant `0x80 .. 0x00` groups) are [`IsaError::NonCanonicalVarint`], so
//!   each value has exactly one encoding.
//! - **Elias-gamma** on bits ([`write_gamma`]/[`read_gamma`]): for positive integers with no known
//!   bound, `2⌊log2 n⌋ + 1` bits.
//! - **Rice** on bits ([`write_rice`]/[`read_rice`]): for geometric-like sources with parameter `k`,
//!   with an escape so that huge values cost a bounded number of bits instead of a huge unary run.

use alloc::vec::Vec;
use core::num::NonZeroU64;

use crate::bits::{BitReader, BitWriter};
use crate::error::IsaError;

/// Maximum length of a LEB128-encoded `u64` (ceil(64 / 7)).
pub const MAX_UVARINT_LEN: usize = 10;

/// Number of bytes [`write_uvarint`] uses for `value`.
#[must_use]
pub const fn uvarint_len(value: u64) -> usize {
    let significant = 64 - (value | 1).leading_zeros();
    significant.div_ceil(7) as usize
}

/// Appends `value` as unsigned LEB128 (7 bits per byte, low groups first, high bit = "more").
pub fn write_uvarint(out: &mut Vec<u8>, value: u64) {
    let mut v = value;
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Decodes an unsigned LEB128 varint from the start of `bytes`; returns the value and the number
/// of bytes consumed.
///
/// # Errors
/// [`IsaError::Truncated`] if the input ends inside the varint, [`IsaError::VarintOverflow`] if it
/// encodes more than 64 bits, [`IsaError::NonCanonicalVarint`] for an overlong encoding.
pub fn read_uvarint(bytes: &[u8]) -> Result<(u64, usize), IsaError> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(MAX_UVARINT_LEN) {
        // The tenth byte carries bit 63 only; anything else (including a continuation) overflows.
        if i == MAX_UVARINT_LEN - 1 && byte > 1 {
            return Err(IsaError::VarintOverflow);
        }
        value |= u64::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            if byte == 0 && i > 0 {
                return Err(IsaError::NonCanonicalVarint);
            }
            return Ok((value, i + 1));
        }
    }
    // Only reachable when the input ran out: a tenth byte always returns above.
    Err(IsaError::Truncated {
        what: "varint",
        needed: bytes.len() as u64 + 1,
        available: bytes.len() as u64,
    })
}

/// Maps a signed integer to an unsigned one so that small magnitudes stay small:
/// `0, -1, 1, -2, 2, ...` become `0, 1, 2, 3, 4, ...`.
#[must_use]
#[inline]
pub const fn zigzag_encode(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// Inverse of [`zigzag_encode`].
#[must_use]
#[inline]
pub const fn zigzag_decode(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// Appends `value` as a zigzag-mapped LEB128 varint.
pub fn write_ivarint(out: &mut Vec<u8>, value: i64) {
    write_uvarint(out, zigzag_encode(value));
}

/// Decodes a zigzag-mapped LEB128 varint; returns the value and the number of bytes consumed.
///
/// # Errors
/// As [`read_uvarint`].
pub fn read_ivarint(bytes: &[u8]) -> Result<(i64, usize), IsaError> {
    let (v, used) = read_uvarint(bytes)?;
    Ok((zigzag_decode(v), used))
}

/// Writes `n` as an Elias-gamma code: `⌊log2 n⌋` zero bits, then `n` in binary (which starts
/// with a one). Zero has no gamma code, hence `NonZeroU64`; code `x + 1` to include zero.
pub fn write_gamma(w: &mut BitWriter, n: NonZeroU64) {
    let width = 64 - n.get().leading_zeros(); // 1..=64
    w.write_bits(0, width - 1);
    w.write_bits(n.get(), width);
}

/// Reads an Elias-gamma code written by [`write_gamma`].
///
/// # Errors
/// [`IsaError::Truncated`] if the bits run out, [`IsaError::InvalidCode`] if the zero prefix is
/// longer than any `u64` needs (63).
pub fn read_gamma(r: &mut BitReader<'_>) -> Result<NonZeroU64, IsaError> {
    // Look at up to 64 bits at once: the prefix is at most 63 zeros, so the leading one must be
    // inside this window for any valid code.
    let avail = r.bits_remaining().min(64) as u32;
    let window = r.peek_bits(avail)?;
    if window == 0 {
        return Err(if avail == 64 {
            IsaError::InvalidCode {
                what: "Elias-gamma prefix longer than 63 zeros",
            }
        } else {
            IsaError::Truncated {
                what: "bits",
                needed: u64::from(avail) + 1,
                available: u64::from(avail),
            }
        });
    }
    // `window` holds `avail` bits in its low end; discount the unused high bits.
    let zeros = window.leading_zeros() - (64 - avail);
    // Read the whole code only once it is known to be there, so an error consumes nothing.
    let mut probe = r.clone();
    probe.skip_bits(u64::from(zeros))?;
    let value = probe.read_bits(zeros + 1)?;
    *r = probe;
    // The value's top bit is the one found above, so it is non-zero.
    NonZeroU64::new(value).ok_or(IsaError::InvalidCode {
        what: "Elias-gamma value is zero",
    })
}

/// Largest Rice parameter; larger `k` are clamped to this (a 64-bit value needs no more).
pub const RICE_MAX_K: u32 = 63;

/// Rice quotients at or above this are escaped: instead of a unary run of that length, the code is
/// `RICE_ESCAPE` one bits followed by the raw 64-bit value. This bounds every code to at most
/// `RICE_ESCAPE + 64` bits, however badly `k` fits the data.
pub const RICE_ESCAPE: u32 = 32;

/// Writes `value` as a Rice code with parameter `k` (clamped to [`RICE_MAX_K`]): the quotient
/// `value >> k` in unary (that many one bits, then a zero), then the low `k` bits. Quotients of
/// [`RICE_ESCAPE`] or more use the escape described there.
pub fn write_rice(w: &mut BitWriter, value: u64, k: u32) {
    let k = k.min(RICE_MAX_K);
    let q = value >> k;
    if q >= u64::from(RICE_ESCAPE) {
        w.write_bits(u64::MAX, RICE_ESCAPE);
        w.write_bits(value, 64);
    } else {
        // q < 32, so q ones followed by a zero fit in one write.
        let q = q as u32;
        w.write_bits(((1u64 << q) - 1) << 1, q + 1);
        w.write_bits(value, k);
    }
}

/// Reads a Rice code written by [`write_rice`] with the same `k` (clamped to [`RICE_MAX_K`]).
///
/// # Errors
/// [`IsaError::Truncated`] if the bits run out; [`IsaError::InvalidCode`] if an escaped value would
/// have fit the unary form or the quotient does not fit a `u64` (only [`write_rice`]'s exact
/// output is accepted, so corruption is not silently tolerated). On error nothing is consumed.
pub fn read_rice(r: &mut BitReader<'_>, k: u32) -> Result<u64, IsaError> {
    let k = k.min(RICE_MAX_K);
    let avail = r.bits_remaining().min(64) as u32;
    if avail == 0 {
        return Err(IsaError::Truncated {
            what: "bits",
            needed: 1,
            available: 0,
        });
    }
    // Left-align the window; bits shifted in below it are zeros, so `ones <= avail`.
    let window = r.peek_bits(avail)? << (64 - avail);
    let ones = (!window).leading_zeros();
    let mut probe = r.clone();
    let value = if ones >= RICE_ESCAPE {
        probe.skip_bits(u64::from(RICE_ESCAPE))?;
        let value = probe.read_bits(64)?;
        if value >> k < u64::from(RICE_ESCAPE) {
            return Err(IsaError::InvalidCode {
                what: "Rice escape used for a value with a short code",
            });
        }
        value
    } else if ones == avail {
        // All remaining bits are ones and the unary run is not terminated.
        return Err(IsaError::Truncated {
            what: "bits",
            needed: u64::from(avail) + 1,
            available: u64::from(avail),
        });
    } else if u64::from(ones) > u64::MAX >> k {
        // Only possible for k >= 59, where the writer never emits a quotient this large.
        return Err(IsaError::InvalidCode {
            what: "Rice quotient overflows u64",
        });
    } else {
        probe.skip_bits(u64::from(ones) + 1)?;
        (u64::from(ones) << k) | probe.read_bits(k)?
    };
    *r = probe;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_test_support::Rng;
    use std::vec;
    use std::vec::Vec;

    const U_EDGES: [u64; 14] = [
        0,
        1,
        0x7F,
        0x80,
        0x3FFF,
        0x4000,
        u32::MAX as u64,
        1 << 35,
        (1 << 56) - 1,
        1 << 56,
        (1 << 63) - 1,
        1 << 63,
        u64::MAX - 1,
        u64::MAX,
    ];

    #[test]
    fn uvarint_edges_round_trip() {
        for &v in &U_EDGES {
            let mut buf = Vec::new();
            write_uvarint(&mut buf, v);
            assert_eq!(buf.len(), uvarint_len(v), "len of {v}");
            assert!(buf.len() <= MAX_UVARINT_LEN);
            buf.push(0xAA); // trailing data must not be consumed
            assert_eq!(read_uvarint(&buf).unwrap(), (v, buf.len() - 1));
            // Every strict prefix is truncated.
            for cut in 0..buf.len() - 1 {
                assert!(
                    matches!(read_uvarint(&buf[..cut]), Err(IsaError::Truncated { .. })),
                    "{v} cut at {cut}"
                );
            }
        }
        assert_eq!(uvarint_len(0), 1);
        assert_eq!(uvarint_len(u64::MAX), 10);
    }

    #[test]
    fn uvarint_rejects_overflow_and_overlong() {
        // 2^64: tenth byte = 2.
        let over = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02];
        assert_eq!(read_uvarint(&over), Err(IsaError::VarintOverflow));
        // Eleven bytes: tenth byte has a continuation bit.
        let long = [0xFF; 11];
        assert_eq!(read_uvarint(&long), Err(IsaError::VarintOverflow));
        assert_eq!(
            read_uvarint(&[0x80, 0x00]),
            Err(IsaError::NonCanonicalVarint)
        );
        assert_eq!(
            read_uvarint(&[0x81, 0x80, 0x00]),
            Err(IsaError::NonCanonicalVarint)
        );
        assert_eq!(read_uvarint(&[0x00]), Ok((0, 1)));
        assert!(matches!(read_uvarint(&[]), Err(IsaError::Truncated { .. })));
    }

    #[test]
    fn ivarint_edges_round_trip() {
        let edges = [
            0i64,
            1,
            -1,
            63,
            -64,
            64,
            -65,
            i32::MIN as i64,
            i32::MAX as i64,
            i64::MIN,
            i64::MAX,
            i64::MIN + 1,
        ];
        for &v in &edges {
            let mut buf = Vec::new();
            write_ivarint(&mut buf, v);
            assert_eq!(read_ivarint(&buf).unwrap(), (v, buf.len()), "{v}");
            assert_eq!(zigzag_decode(zigzag_encode(v)), v);
        }
        assert_eq!(zigzag_encode(-1), 1);
        assert_eq!(zigzag_encode(1), 2);
        assert_eq!(zigzag_encode(i64::MIN), u64::MAX);
        let mut buf = Vec::new();
        write_ivarint(&mut buf, -64);
        assert_eq!(buf, vec![0x7F]); // one byte for small negatives
    }

    #[test]
    fn varint_random_round_trip() {
        let mut rng = Rng::new(42);
        let mut buf = Vec::new();
        let mut values = Vec::new();
        for _ in 0..5000 {
            // Random bit lengths so all encoded lengths are exercised.
            let v = rng.next_u64() >> rng.below(64);
            values.push(v);
            write_uvarint(&mut buf, v);
            write_ivarint(&mut buf, v as i64);
        }
        let mut at = 0;
        for &v in &values {
            let (u, used) = read_uvarint(&buf[at..]).unwrap();
            at += used;
            let (i, used) = read_ivarint(&buf[at..]).unwrap();
            at += used;
            assert_eq!((u, i), (v, v as i64));
        }
        assert_eq!(at, buf.len());
    }

    #[test]
    fn gamma_round_trip() {
        let mut rng = Rng::new(7);
        let mut values: Vec<u64> = vec![1, 2, 3, 4, 7, 8, 255, 256, 1 << 62, u64::MAX];
        values.extend((0..2000).map(|_| (rng.next_u64() >> rng.below(64)).max(1)));
        let mut w = BitWriter::new();
        for &v in &values {
            write_gamma(&mut w, NonZeroU64::new(v).unwrap());
        }
        let expected_bits: u64 = values
            .iter()
            .map(|v| u64::from(2 * (63 - v.leading_zeros()) + 1))
            .sum();
        assert_eq!(w.bit_len(), expected_bits);
        let bytes = w.finish();
        let mut r = BitReader::new(&bytes);
        for &v in &values {
            assert_eq!(read_gamma(&mut r).unwrap().get(), v);
        }
        assert!(r.bits_remaining() < 8);
    }

    #[test]
    fn gamma_known_codes_and_errors() {
        let mut w = BitWriter::new();
        write_gamma(&mut w, NonZeroU64::new(5).unwrap()); // 00 101
        assert_eq!(w.finish(), vec![0b0010_1000]);
        // 64 zeros: no valid u64 code.
        let zeros = [0u8; 9];
        assert!(matches!(
            read_gamma(&mut BitReader::new(&zeros)),
            Err(IsaError::InvalidCode { .. })
        ));
        // Prefix announces more bits than remain; nothing is consumed on error.
        let data = [0b0000_1000]; // 4 zeros announce 5 value bits; only 4 remain
        let mut r = BitReader::new(&data);
        assert!(matches!(
            read_gamma(&mut r),
            Err(IsaError::Truncated { .. })
        ));
        assert_eq!(r.bit_position(), 0);
        assert!(matches!(
            read_gamma(&mut BitReader::new(&[0])),
            Err(IsaError::Truncated { .. })
        ));
        assert!(read_gamma(&mut BitReader::new(&[])).is_err());
    }

    #[test]
    fn rice_round_trip_all_k_and_escape() {
        let mut rng = Rng::new(99);
        for k in 0..=64 {
            let mut values: Vec<u64> = vec![0, 1, u64::MAX, 1 << 63];
            let kk = k.min(RICE_MAX_K);
            // Values on both sides of the escape threshold (when it is below 2^64).
            if let Ok(threshold) = u64::try_from(u128::from(RICE_ESCAPE) << kk) {
                values.extend([threshold - 1, threshold, threshold.saturating_add(1)]);
            }
            values.extend((0..200).map(|_| rng.next_u64() >> rng.below(64)));
            let mut w = BitWriter::new();
            for &v in &values {
                write_rice(&mut w, v, k);
            }
            let bytes = w.finish();
            let mut r = BitReader::new(&bytes);
            for &v in &values {
                assert_eq!(read_rice(&mut r, k).unwrap(), v, "k={k}");
            }
            assert!(r.bits_remaining() < 8);
        }
    }

    #[test]
    fn rice_known_codes_and_errors() {
        let mut w = BitWriter::new();
        write_rice(&mut w, 0b1011, 2); // q = 2 -> 110, r = 11
        assert_eq!(w.finish(), vec![0b1101_1000]);
        // Unterminated unary run.
        let mut r = BitReader::new(&[0xFF]);
        assert!(matches!(
            read_rice(&mut r, 0),
            Err(IsaError::Truncated { .. })
        ));
        assert_eq!(r.bit_position(), 0);
        // Escape carrying a small value is rejected.
        let mut w = BitWriter::new();
        w.write_bits(u64::MAX, RICE_ESCAPE);
        w.write_bits(5, 64);
        let bytes = w.finish();
        assert!(matches!(
            read_rice(&mut BitReader::new(&bytes), 0),
            Err(IsaError::InvalidCode { .. })
        ));
        // With k = 63 a quotient of 2 would need bit 64.
        let data = [0b1100_0000, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(
            read_rice(&mut BitReader::new(&data), 63),
            Err(IsaError::InvalidCode { .. })
        ));
        // Escape with the raw value cut short.
        assert!(matches!(
            read_rice(&mut BitReader::new(&bytes[..8]), 0),
            Err(IsaError::Truncated { .. })
        ));
        assert!(read_rice(&mut BitReader::new(&[]), 3).is_err());
    }
}
