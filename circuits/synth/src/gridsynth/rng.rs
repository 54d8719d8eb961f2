//! The seeded SplitMix64 generator behind gridsynth's pseudo-random choices, so that they are a
//! pure function of the input.

use dashu_int::UBig;
use dashu_int::ops::BitTest;

/// SplitMix64's increment, 2^64 divided by the golden ratio.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's step and finaliser: a bijective 64-bit mixer, used to derive seeds.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(GAMMA);
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

    /// The next output: the state advances by [`GAMMA`] and is finalised, which is [`mix`] of
    /// the state before the step.
    fn next_u64(&mut self) -> u64 {
        let z = mix(self.0);
        self.0 = self.0.wrapping_add(GAMMA);
        z
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_u64_is_splitmix64() {
        // SplitMix64 as published: advance the state, then finalise it.
        let reference = |state: &mut u64| {
            *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        for seed in [0, 1, 1_234_567, u64::MAX] {
            let (mut rng, mut state) = (SplitMix64::new(seed), seed);
            for _ in 0..100 {
                assert_eq!(rng.next_u64(), reference(&mut state), "seed {seed}");
            }
        }
        // The published first output for seed 1234567.
        assert_eq!(
            SplitMix64::new(1_234_567).next_u64(),
            6_457_827_717_110_365_317
        );
    }
}
