//! The exact fixed-point sample reconstruction (the module's definition) and play rotation.

use super::{
    AtomSet, CodedWaveform, IDENTITY_ROTATION, MAX_WINDOW, ROTATION_FRAC_BITS, WindowCode,
};
use crate::IsaError;
use alloc::vec::Vec;

#[inline(always)]
pub(super) fn sat16(v: i32) -> i16 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

/// `acc[i] += a[2i]·p[2i] + a[2i+1]·p[2i+1]`, products of `i16` widened to `i32`: with both
/// factors loaded from flat `i16` memory this is the shape LLVM maps to `pmaddwd` (two
/// multiply-adds per lane); zipped iterators leave no bounds check in the loop.
#[inline(always)]
fn dot_pairs(acc: &mut [i32], atom: &[i16], pattern: &[i16]) {
    for ((r, a), p) in acc
        .iter_mut()
        .zip(atom.chunks_exact(2))
        .zip(pattern.chunks_exact(2))
    {
        if let (&[a0, a1], &[p0, p1]) = (a, p) {
            *r += i32::from(a0) * i32::from(p0) + i32::from(a1) * i32::from(p1);
        }
    }
}

/// Fills the flat pair patterns of a coefficient: `re += ar·cr + ai·(−ci)`,
/// `im += ar·ci + ai·cr`. `−ci` is exact because components are never `−32768` (checked by
/// [`WindowCode::validate`]).
#[inline(always)]
fn fill_patterns(coef: [i16; 2], p_re: &mut [i16], p_im: &mut [i16]) {
    let [cr, ci] = coef;
    for (p, q) in p_re.chunks_exact_mut(2).zip(p_im.chunks_exact_mut(2)) {
        p.copy_from_slice(&[cr, ci.wrapping_neg()]);
        q.copy_from_slice(&[ci, cr]);
    }
}

/// Scratch accumulators for [`reconstruct_window_with`], so a waveform's windows reuse them.
#[derive(Clone, Debug)]
pub struct WindowScratch {
    re: [i32; MAX_WINDOW],
    im: [i32; MAX_WINDOW],
    p_re: [i16; 2 * MAX_WINDOW],
    p_im: [i16; 2 * MAX_WINDOW],
}

impl Default for WindowScratch {
    fn default() -> Self {
        Self::new()
    }
}

impl WindowScratch {
    /// Fresh scratch space.
    #[must_use]
    pub const fn new() -> Self {
        WindowScratch {
            re: [0; MAX_WINDOW],
            im: [0; MAX_WINDOW],
            p_re: [0; 2 * MAX_WINDOW],
            p_im: [0; 2 * MAX_WINDOW],
        }
    }
}

/// Writes `out[i] = sat16(acc >> shift)` for the accumulated window.
#[inline(always)]
fn emit(out: &mut [[i16; 2]], re: &[i32], im: &[i32], shift: u32) {
    for ((o, r), m) in out.iter_mut().zip(re).zip(im) {
        *o = [sat16(*r >> shift), sat16(*m >> shift)];
    }
}

/// Window kernels for window lengths known at compile time (the common ones): fixed-size
/// arrays let LLVM unroll and vectorise the whole window.
macro_rules! window_fixed {
    ($name:ident, $w:literal) => {
        #[inline(always)]
        fn $name(atoms: &AtomSet, code: &WindowCode, out: &mut [[i16; 2]]) {
            let shift = u32::from(code.shift);
            let round = (1i32 << shift) >> 1;
            let mut re = [round; $w];
            let mut im = [round; $w];
            let mut p_re = [0i16; 2 * $w];
            let mut p_im = [0i16; 2 * $w];
            for t in &code.terms {
                if let Some(a) = atoms.atom(usize::from(t.atom)) {
                    fill_patterns(t.coef, &mut p_re, &mut p_im);
                    dot_pairs(&mut re, a, &p_re);
                    dot_pairs(&mut im, a, &p_im);
                }
            }
            emit(out, &re, &im, shift);
        }
    };
}

window_fixed!(window_16, 16);
window_fixed!(window_32, 32);
window_fixed!(window_64, 64);

/// The window kernel for any window length, on the scratch space.
fn window_any(
    atoms: &AtomSet,
    code: &WindowCode,
    scratch: &mut WindowScratch,
    out: &mut [[i16; 2]],
) {
    let w = atoms.window;
    let shift = u32::from(code.shift);
    let round = (1i32 << shift) >> 1;
    let WindowScratch { re, im, p_re, p_im } = scratch;
    let (Some(re), Some(im), Some(p_re), Some(p_im)) = (
        re.get_mut(..w),
        im.get_mut(..w),
        p_re.get_mut(..2 * w),
        p_im.get_mut(..2 * w),
    ) else {
        return;
    };
    re.fill(round);
    im.fill(round);
    for t in &code.terms {
        if let Some(a) = atoms.atom(usize::from(t.atom)) {
            fill_patterns(t.coef, p_re, p_im);
            dot_pairs(re, a, p_re);
            dot_pairs(im, a, p_im);
        }
    }
    emit(out, re, im, shift);
}

/// The window kernel without checks: `code` has been validated against `atoms`.
#[inline(always)]
fn window_kernel(
    atoms: &AtomSet,
    code: &WindowCode,
    scratch: &mut WindowScratch,
    out: &mut [[i16; 2]],
) {
    match atoms.window {
        16 => window_16(atoms, code, out),
        32 => window_32(atoms, code, out),
        64 => window_64(atoms, code, out),
        _ => window_any(atoms, code, scratch, out),
    }
}

/// Reconstructs one window into `out` (at most `W` samples: the first `out.len()` of the window),
/// by the module's fixed-point definition.
///
/// # Errors
/// As [`WindowCode::validate`]; [`IsaError::WindowMismatch`] if `out` is longer than the window.
pub fn reconstruct_window(
    atoms: &AtomSet,
    code: &WindowCode,
    out: &mut [[i16; 2]],
) -> Result<(), IsaError> {
    reconstruct_window_with(atoms, code, &mut WindowScratch::new(), out)
}

/// [`reconstruct_window`] with caller-provided scratch space.
///
/// # Errors
/// As [`reconstruct_window`].
pub fn reconstruct_window_with(
    atoms: &AtomSet,
    code: &WindowCode,
    scratch: &mut WindowScratch,
    out: &mut [[i16; 2]],
) -> Result<(), IsaError> {
    if out.len() > atoms.window || atoms.window > MAX_WINDOW {
        return Err(IsaError::WindowMismatch {
            section: out.len() as u32,
            codebook: atoms.window as u32,
        });
    }
    code.validate(atoms.count())?;
    window_kernel(atoms, code, scratch, out);
    Ok(())
}

/// Reconstructs a whole waveform into `out` (cleared first), by the module's definition.
///
/// # Errors
/// As [`CodedWaveform::validate`] (checked before any sample is written).
pub fn reconstruct_into(
    atoms: Option<&AtomSet>,
    wf: &CodedWaveform,
    out: &mut Vec<[i16; 2]>,
) -> Result<(), IsaError> {
    wf.validate(atoms)?;
    out.clear();
    match wf {
        CodedWaveform::Lossless(s) => out.extend_from_slice(s),
        CodedWaveform::Sparse { len, windows } => {
            let atoms = atoms.ok_or(IsaError::NoPulseAtoms)?;
            out.resize(*len as usize, [0, 0]);
            let mut scratch = WindowScratch::new();
            for (chunk, code) in out.chunks_mut(atoms.window).zip(windows) {
                window_kernel(atoms, code, &mut scratch, chunk);
            }
        }
    }
    Ok(())
}

/// Reconstructs a whole waveform, by the module's definition.
///
/// # Errors
/// As [`reconstruct_into`].
pub fn reconstruct_waveform(
    atoms: Option<&AtomSet>,
    wf: &CodedWaveform,
) -> Result<Vec<[i16; 2]>, IsaError> {
    let mut out = Vec::new();
    reconstruct_into(atoms, wf, &mut out)?;
    Ok(out)
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

/// Applies a play rotation (Q14, see the module documentation) to samples in place.
///
/// # Errors
/// As [`check_rotation`] (checked before any sample changes).
pub fn rotate_samples(samples: &mut [[i16; 2]], rotation: [i16; 2]) -> Result<(), IsaError> {
    check_rotation(rotation)?;
    if rotation == IDENTITY_ROTATION {
        // Exact by the definition: (x·2^14 + 2^13) >> 14 = x.
        return Ok(());
    }
    let rr = i32::from(rotation[0]);
    let ri = i32::from(rotation[1]);
    let half = 1i32 << (ROTATION_FRAC_BITS - 1);
    for s in samples.iter_mut() {
        let [x, y] = *s;
        let (x, y) = (i32::from(x), i32::from(y));
        let re = (x * rr - y * ri + half) >> ROTATION_FRAC_BITS;
        let im = (x * ri + y * rr + half) >> ROTATION_FRAC_BITS;
        *s = [sat16(re), sat16(im)];
    }
    Ok(())
}
