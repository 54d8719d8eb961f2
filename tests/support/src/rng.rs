//! The seeded generator of test data: SplitMix64, so randomized tests, benchmarks and fuzz
//! seeds are reproducible without pulling in `rand`.

/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny, well-mixed stream from a 64-bit seed.
///
/// Every method draws from the same stream, so a test's data depend on the seed and on the order
/// of the calls only. Tests pin exact values against some of these sequences: changing a
/// method's arithmetic changes their data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub const fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (0 when `n` is 0), as the next bits modulo `n`: the modulo bias is
    /// irrelevant to tests.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// An index in `0..n` (0 when `n` is 0), by scaling [`Rng::f64`] rather than by a modulo: a
    /// different value from [`Rng::below`] for the same bits.
    pub fn index(&mut self, n: usize) -> usize {
        (self.f64() * n as f64) as usize % n.max(1)
    }

    /// A uniform value in [0, 1) with 53 random bits.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal value: the cosine half of the Box–Muller transform of two uniforms,
    /// the first kept away from 0 (so its logarithm is finite).
    pub fn normal(&mut self) -> f64 {
        let u = self.f64().max(1e-300);
        let v = self.f64();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Two independent standard normal values: both halves of the Box–Muller transform, the
    /// radius from `1 − u` (in (0, 1], so its logarithm is finite). Not the same draws as two
    /// calls of [`Rng::normal`].
    pub fn normal_pair(&mut self) -> (f64, f64) {
        let r = (-2.0 * (1.0 - self.f64()).ln()).sqrt();
        let a = std::f64::consts::TAU * self.f64();
        (r * a.cos(), r * a.sin())
    }

    /// A uniform point `[w, x, y, z]` on the unit 3-sphere: four normals (two
    /// [`Rng::normal_pair`]s) over their norm. As a unit quaternion it is a Haar-random SU(2)
    /// element.
    pub fn unit_quaternion(&mut self) -> [f64; 4] {
        let (w, x) = self.normal_pair();
        let (y, z) = self.normal_pair();
        let n = (w * w + x * x + y * y + z * z).sqrt();
        [w / n, x / n, y / n, z / n]
    }

    /// Any `i16`, with the extremes (`i16::MIN`, `i16::MAX`) a quarter of the time: they are
    /// where overflow and saturation show.
    pub fn i16(&mut self) -> i16 {
        match self.below(8) {
            0 => i16::MIN,
            1 => i16::MAX,
            _ => self.next_u64() as i16,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn the_stream_is_splitmix64() {
        // The first outputs for seed 0 (Vigna's reference implementation).
        let mut rng = Rng::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn draws_stay_in_range() {
        let mut rng = Rng::new(7);
        for n in [1u64, 2, 3, 1000] {
            assert!((0..200).all(|_| rng.below(n) < n));
            assert!((0..200).all(|_| rng.index(n as usize) < n as usize));
        }
        assert_eq!(rng.below(0), 0);
        assert!((0..1000).all(|_| (0.0..1.0).contains(&rng.f64())));
        assert!((0..1000).all(|_| rng.normal().is_finite()));
        let q = rng.unit_quaternion();
        assert!((q.iter().map(|c| c * c).sum::<f64>() - 1.0).abs() < 1e-12);
        let extremes = (0..4000)
            .map(|_| rng.i16())
            .filter(|&v| v == i16::MIN || v == i16::MAX)
            .count();
        assert!((800..1200).contains(&extremes), "{extremes}");
    }
}
