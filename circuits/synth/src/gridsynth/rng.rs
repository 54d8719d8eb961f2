//! The seeded SplitMix64 generator behind gridsynth's pseudo-random choices, so that they are a
//! pure function of the input.

use dashu_int::UBig;
use dashu_int::ops::BitTest;

/// SplitMix64's finaliser: a bijective 64-bit mixer, used to derive seeds.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64: a small, portable generator whose output depends only on its seed.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-enough integer in `[0, n)` (64 extra bits make the modulo bias negligible).
    pub fn below(&mut self, n: &UBig) -> UBig {
        let words = n.bit_len() / 64 + 2;
        let mut x = UBig::ZERO;
        for _ in 0..words {
            x = (x << 64) | UBig::from(self.next_u64());
        }
        x % n
    }

    /// Python's `randint(1, n)`: uniform in `[1, n]`.
    pub fn one_to(&mut self, n: &UBig) -> UBig {
        self.below(n) + UBig::ONE
    }
}
