//! Quantised rotation angles: the one definition of the grid that the lowering (which snaps angles
//! to it), the assembler (which codes grid indices) and the decoder (which rebuilds angles) share.
//!
//! With precision `b` bits (1..=[`MAX_BITS`]), angle index `k` in `0..2^b` stands for
//! `k · 2π / 2^b`, mapped to (−π, π]. Precision 0 means the angle is carried as its raw IEEE-754
//! bits (no quantisation). Rebuilding is one multiplication by a power-of-two scaled 2π, so every
//! value is exact and identical on every machine.

use core::f64::consts::TAU;

/// Precision value meaning "raw 64-bit IEEE angle, not quantised".
pub const RAW: u8 = 0;

/// Finest grid supported: 2^40 steps per turn (about 6e-12 rad), well above f64 rounding.
pub const MAX_BITS: u8 = 40;

/// The grid index of `theta` at `bits` of precision (round to nearest, ties away from zero), or the
/// raw IEEE bits when `bits` is [`RAW`]. Non-finite angles map to index 0 on a grid.
#[must_use]
pub fn quantize(theta: f64, bits: u8) -> u64 {
    if bits == RAW {
        return theta.to_bits();
    }
    let bits = bits.min(MAX_BITS);
    if !theta.is_finite() {
        return 0;
    }
    let steps = (1u64 << bits) as f64;
    // Reduce to a fraction of a turn first so that large angles do not overflow the i64 below.
    let turns = theta / TAU;
    let frac = turns - trunc(turns);
    let y = frac * steps;
    let k = if y >= 0.0 {
        (y + 0.5) as i64
    } else {
        (y - 0.5) as i64
    };
    (k as u64) & ((1u64 << bits) - 1)
}

/// The angle that grid index `k` stands for at `bits` of precision, in (−π, π] (or the raw IEEE
/// value when `bits` is [`RAW`]). Indices are taken modulo the grid size.
#[must_use]
pub fn dequantize(k: u64, bits: u8) -> f64 {
    if bits == RAW {
        return f64::from_bits(k);
    }
    let bits = bits.min(MAX_BITS);
    let n = 1u64 << bits;
    let k = k & (n - 1);
    let half = n >> 1;
    let signed = if k <= half {
        k as i64
    } else {
        k as i64 - n as i64
    };
    // TAU / 2^bits is exact (a power-of-two scaling), so the product is the single correctly
    // rounded value of k·2π/2^b.
    signed as f64 * (TAU / n as f64)
}

/// Snap `theta` to the grid: `dequantize(quantize(theta, bits), bits)`.
#[must_use]
pub fn snap(theta: f64, bits: u8) -> f64 {
    dequantize(quantize(theta, bits), bits)
}

/// Worst-case operator-norm distance (up to global phase) between `rz(θ)` and `rz(snap(θ))`:
/// the grid step is 2π/2^b, so the angle moves by at most π/2^b and the distance is
/// `2·sin(π/2^(b+2)) ≤ π/2^(b+1)`; this returns the latter, slightly larger, bound.
#[must_use]
pub fn max_error(bits: u8) -> f64 {
    if bits == RAW {
        return 0.0;
    }
    core::f64::consts::PI / (1u64 << (bits.min(MAX_BITS) as u32 + 1)) as f64
}

/// The coarsest precision whose worst-case error per rotation is at most `eps` (capped at
/// [`MAX_BITS`]).
#[must_use]
pub fn bits_for_error(eps: f64) -> u8 {
    let mut b = 1u8;
    while b < MAX_BITS && max_error(b) > eps {
        b += 1;
    }
    b
}

/// `x` rounded toward zero (core has no `f64::trunc` without `std`).
fn trunc(x: f64) -> f64 {
    if x.abs() >= 4_503_599_627_370_496.0 {
        x // already an integer (2^52 and beyond)
    } else {
        (x as i64) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};

    #[test]
    fn multiples_of_pi_over_four_are_exact() {
        for b in 3..=MAX_BITS {
            for (theta, expect) in [
                (FRAC_PI_2, FRAC_PI_2),
                (-FRAC_PI_2, -FRAC_PI_2),
                (FRAC_PI_4, FRAC_PI_4),
                (PI, PI),
                (-PI, PI),
                (0.0, 0.0),
            ] {
                assert_eq!(snap(theta, b), expect, "theta {theta} at {b} bits");
            }
        }
    }

    #[test]
    fn snapping_error_is_within_the_bound_and_idempotent() {
        for b in [1u8, 4, 10, 20, 33, 40] {
            let step = TAU / (1u64 << b) as f64;
            for i in 0..2000 {
                let theta = -20.0 + 0.0201 * i as f64;
                let s = snap(theta, b);
                // Distance on the circle.
                let d = (theta - s) / TAU;
                let d = (d - (d + 0.5).floor()) * TAU;
                assert!(d.abs() <= step / 2.0 + 1e-14, "b {b} theta {theta} s {s}");
                assert_eq!(snap(s, b), s);
                assert!(s > -PI && s <= PI);
            }
        }
    }

    #[test]
    fn raw_precision_round_trips_every_value() {
        for theta in [0.1, -3.5, f64::MIN_POSITIVE, 1e300, -0.0] {
            assert_eq!(
                dequantize(quantize(theta, RAW), RAW).to_bits(),
                theta.to_bits()
            );
        }
    }

    #[test]
    fn precision_for_an_error_meets_it() {
        for eps in [1e-1, 1e-3, 1e-6, 1e-9] {
            let b = bits_for_error(eps);
            assert!(max_error(b) <= eps);
            assert!(b == 1 || max_error(b - 1) > eps);
        }
    }
}
