//! The fixed-point primitives the sample kernels and the modulation share: saturation to `i16`
//! and the Q14 rotations of plays (the rule is in the pulse module's documentation).

use crate::error::IsaError;

/// Fractional bits of a play rotation.
pub const ROTATION_FRAC_BITS: u32 = 14;
/// The rotation that leaves samples unchanged (`1.0 + 0i` in Q14).
pub const IDENTITY_ROTATION: [i16; 2] = [1 << ROTATION_FRAC_BITS, 0];

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
