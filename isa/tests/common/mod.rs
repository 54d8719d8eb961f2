//! Helpers shared by the pulse tests.

/// SplitMix64: reproducible pseudo-random data from one proptest-chosen seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Extremes a quarter of the time: they are where overflow and saturation show.
    pub fn i16(&mut self) -> i16 {
        match self.below(8) {
            0 => i16::MIN,
            1 => i16::MAX,
            _ => self.next() as i16,
        }
    }
}
