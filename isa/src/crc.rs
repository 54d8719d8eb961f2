//! CRC-32C (Castagnoli): reflected polynomial `0x82F63B78`, initial value and final XOR
//! `0xFFFF_FFFF`, i.e. the CRC used by iSCSI, ext4 and SSE4.2's `crc32` instruction.
//!
//! Chosen over CRC-32 (zlib) because it has a larger minimum Hamming distance at the message sizes
//! we use, and because firmware CPUs with a CRC instruction implement this polynomial. The portable
//! implementation here is slicing-by-8 over tables built at compile time by a `const fn`, so
//! nothing is computed or allocated at run time.

/// The reflected Castagnoli polynomial.
const POLY: u32 = 0x82F6_3B78;

/// Slicing-by-8 tables: `TABLES[0]` is the classic byte-at-a-time table; `TABLES[t][b]` is the CRC
/// contribution of byte `b` followed by `t` zero bytes.
static TABLES: [[u32; 256]; 8] = make_tables();

/// Builds [`TABLES`] at compile time.
// Only ever evaluated in const context (the `static` initialiser), where an out-of-bounds index
// would be a compile error rather than a run-time panic; `get` is awkward in `const fn`.
#[allow(clippy::indexing_slicing)]
const fn make_tables() -> [[u32; 256]; 8] {
    let mut tables = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
            bit += 1;
        }
        tables[0][i] = crc;
        i += 1;
    }
    let mut t = 1;
    while t < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = tables[t - 1][i];
            tables[t][i] = (prev >> 8) ^ tables[0][(prev & 0xFF) as usize];
            i += 1;
        }
        t += 1;
    }
    tables
}

/// Looks up `TABLES[table][byte]`.
#[inline(always)]
fn lookup<const TABLE: usize>(byte: u32) -> u32 {
    // `TABLE < 8` is fixed at each call site and `byte & 0xFF < 256`, so the lookup is always in
    // bounds; `get` keeps the no-panic lint satisfied and compiles to the same unchecked load.
    TABLES
        .get(TABLE)
        .and_then(|t| t.get((byte & 0xFF) as usize))
        .copied()
        .unwrap_or(0)
}

/// Incremental CRC-32C, for data that arrives in pieces (a streaming decoder checksums each chunk
/// as it arrives). Feeding the pieces gives the same result as [`crc32c`] on their concatenation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crc32c {
    /// Internal (pre-final-XOR) register.
    state: u32,
}

impl Default for Crc32c {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc32c {
    /// Starts a new checksum.
    #[must_use]
    pub const fn new() -> Self {
        Self { state: 0xFFFF_FFFF }
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        let mut crc = self.state;
        let mut chunks = data.chunks_exact(8);
        for chunk in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            let lo = crc ^ u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            crc = lookup::<7>(lo)
                ^ lookup::<6>(lo >> 8)
                ^ lookup::<5>(lo >> 16)
                ^ lookup::<4>(lo >> 24)
                ^ lookup::<3>(u32::from(w[4]))
                ^ lookup::<2>(u32::from(w[5]))
                ^ lookup::<1>(u32::from(w[6]))
                ^ lookup::<0>(u32::from(w[7]));
        }
        for &byte in chunks.remainder() {
            crc = (crc >> 8) ^ lookup::<0>(crc ^ u32::from(byte));
        }
        self.state = crc;
    }

    /// Returns the checksum of everything fed so far (the hasher can keep being fed afterwards).
    #[must_use]
    pub const fn finish(&self) -> u32 {
        self.state ^ 0xFFFF_FFFF
    }
}

/// CRC-32C of `data` in one call.
#[must_use]
pub fn crc32c(data: &[u8]) -> u32 {
    let mut c = Crc32c::new();
    c.update(data);
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_test_support::Rng;
    use std::vec::Vec;

    /// Bit-at-a-time reference implementation, independent of the tables.
    fn reference(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ POLY
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn check_value() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
        // RFC 3720 B.4 test vectors.
        assert_eq!(crc32c(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(crc32c(&[0xFFu8; 32]), 0x62A8_AB43);
        let ascending: Vec<u8> = (0..32).collect();
        assert_eq!(crc32c(&ascending), 0x46DD_794E);
    }

    #[test]
    fn matches_reference_and_is_incremental() {
        let mut rng = Rng::new(1);
        let data: Vec<u8> = (0..1000).map(|_| rng.next_u64() as u8).collect();
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 100, 1000] {
            assert_eq!(crc32c(&data[..len]), reference(&data[..len]), "len {len}");
        }
        for split in [0, 1, 3, 8, 13, 500, 999, 1000] {
            let mut c = Crc32c::new();
            c.update(&data[..split]);
            c.update(&data[split..]);
            assert_eq!(c.finish(), crc32c(&data));
        }
    }
}
