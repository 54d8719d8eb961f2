//! Test-only helpers. (The seeded generator of test data is `eqisa_test_support::Rng`.)

/// The LCG the range coders' tests draw from (Knuth's MMIX constants, top 31 bits).
pub fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *seed >> 33
}
