//! Waveform modulation: a sparse waveform may carry a per-sample phase step, so a pulse played
//! at a sideband (a 1–2 transition pulse, a frequency-multiplexed readout tone) is coded as its
//! smooth envelope, which the atoms represent sparsely, times an exactly defined rotating
//! phasor.
//!
//! # The definition
//!
//! With the step `w = (wr, wi)` in Q14 (components `−32767..=32767`) and the phasor
//! `p_0 = (16384, 0)`, every product and sum in `i32`:
//!
//! ```text
//! out[n]  = rotate(env[n], p_n)                       (the play-rotation rule of plays)
//! p_{n+1} = (c((p_n.re·wr − p_n.im·wi + 8192) >> 14),
//!            c((p_n.re·wi + p_n.im·wr + 8192) >> 14))  c clamps to −32767..=32767
//! ```
//!
//! `|p·w| ≤ 2 · 32767² < 2^31 − 8192`, so nothing overflows. The phasor's magnitude drifts by
//! its rounding; that is part of the definition, and the encoder divides it out of the envelope
//! it codes, so the decoded samples are judged exactly as the decoder makes them.

use super::fixed::{ROTATION_FRAC_BITS, check_rotation, sat16};
use crate::error::IsaError;

/// The phasor that follows `p` for the step `step` (the module's definition).
#[inline(always)]
#[must_use]
pub fn next_phasor(p: [i16; 2], step: [i16; 2]) -> [i16; 2] {
    let (pr, pi) = (i32::from(p[0]), i32::from(p[1]));
    let (wr, wi) = (i32::from(step[0]), i32::from(step[1]));
    let half = 1i32 << (ROTATION_FRAC_BITS - 1);
    let c = |v: i32| (v >> ROTATION_FRAC_BITS).clamp(-32767, 32767) as i16;
    [c(pr * wr - pi * wi + half), c(pr * wi + pi * wr + half)]
}

/// The first phasor, `1.0` in Q14.
pub const FIRST_PHASOR: [i16; 2] = [1 << ROTATION_FRAC_BITS, 0];

/// Modulates `samples` in place by the phasors of `step`, from `p_0`.
///
/// # Errors
/// [`IsaError::CoefficientOutOfRange`] if a step component is `−32768` (checked before any
/// sample changes).
pub fn modulate(samples: &mut [[i16; 2]], step: [i16; 2]) -> Result<(), IsaError> {
    check_rotation(step)?;
    let half = 1i32 << (ROTATION_FRAC_BITS - 1);
    let mut p = FIRST_PHASOR;
    for s in samples.iter_mut() {
        let (x, y) = (i32::from(s[0]), i32::from(s[1]));
        let (pr, pi) = (i32::from(p[0]), i32::from(p[1]));
        *s = [
            sat16((x * pr - y * pi + half) >> ROTATION_FRAC_BITS),
            sat16((x * pi + y * pr + half) >> ROTATION_FRAC_BITS),
        ];
        p = next_phasor(p, step);
    }
    Ok(())
}
