//! The fixed-point primitives the sample kernels and the modulation share: saturation to `i16`
//! and the Q14 rotations of plays (the rule is in the pulse module's documentation).

use crate::error::IsaError;

/// Fractional bits of a play rotation.
pub const ROTATION_FRAC_BITS: u32 = 14;
/// The rotation that leaves samples unchanged (`1.0 + 0i` in Q14).
pub const IDENTITY_ROTATION: [i16; 2] = [1 << ROTATION_FRAC_BITS, 0];

/// Widest DAC a pulse section describes: its samples are 16-bit I/Q codes.
pub const MAX_DAC_BITS: u8 = 16;

/// Checks a DAC resolution: 1 to [`MAX_DAC_BITS`].
///
/// # Errors
/// [`IsaError::Corrupt`] otherwise.
pub fn check_dac_bits(bits: u8) -> Result<(), IsaError> {
    if (1..=MAX_DAC_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(IsaError::Corrupt("DAC resolution outside 1..=16 bits"))
    }
}

/// A sample as a `bits`-bit DAC plays it: each component rounded (half up) to the nearest
/// multiple of `2^(16 − bits)` and saturated to the `bits`-bit two's-complement range, the code
/// kept MSB-aligned in the `i16` (the DAC takes its top `bits` bits). The identity at 16 bits.
/// `bits` outside `1..=16` is taken as 16 (the parsers refuse it before).
#[inline]
#[must_use]
pub fn dac_round(sample: [i16; 2], bits: u8) -> [i16; 2] {
    if !(1..MAX_DAC_BITS).contains(&bits) {
        return sample;
    }
    let shift = u32::from(MAX_DAC_BITS - bits);
    let half = 1i32 << (shift - 1);
    let hi = (1i32 << (bits - 1)) - 1;
    let lo = -(1i32 << (bits - 1));
    // |v| + half < 2^16: no overflow in i32.
    let q = |v: i16| (((i32::from(v) + half) >> shift).clamp(lo, hi) << shift) as i16;
    [q(sample[0]), q(sample[1])]
}

/// `v` clamped to the `i16` range.
#[inline(always)]
pub(super) fn sat16(v: i32) -> i16 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

/// Checks a play rotation's range.
///
/// # Errors
/// [`IsaError::CoefficientOutOfRange`] if a component is `−32768`.
pub fn check_rotation(rotation: [i16; 2]) -> Result<(), IsaError> {
    if rotation.contains(&i16::MIN) {
        return Err(IsaError::CoefficientOutOfRange {
            what: "rotation component -32768",
        });
    }
    Ok(())
}
