//! The exact fixed-point sample reconstruction (the module's definition) and play rotation.
//!
//! # Kernel shape
//!
//! A window is computed a block of `S` samples at a time, `S` a compile-time constant (the
//! window itself for `W` = 16, 32 or 64; for other windows blocks of 16, 32 or 64 samples of
//! which only the first are kept). For a block with `N ≤` [`DIRECT_TERMS`] terms, `N` also a
//! constant, the kernel makes one pass over the samples: per sample `i` and term `t` the pair
//! product `a[2i]·p[2i] + a[2i+1]·p[2i+1]` of the atom's interleaved `(ar, ai)` with a flat `i16`
//! pattern of the coefficient (`[cr, −ci, cr, −ci, …]` for `re`, `[ci, cr, ci, cr, …]` for `im`),
//! then the `N` products added to the rounding constant, shifted, saturated and stored: the
//! accumulators never leave registers, and nothing is written but the samples. Written this way
//! (constant trip counts, constant `N`, the `N` products collected before they are summed, both
//! factors loaded from flat `i16` memory) LLVM's loop vectoriser turns each pair product into one
//! `pmaddwd` on x86-64's SSE2 baseline, and the store into `psrad`/`punpck`/`packssdw`. Blocks
//! with more terms add groups of [`DIRECT_TERMS`] into accumulator arrays first.
//!
//! The patterns are filled once per window into a [`WindowScratch`] kept across windows (the
//! vectoriser needs them as memory, not as registers broadcast from the coefficient, to see the
//! pair-product shape). A window equal to the one before it (a flat top, which the section codes
//! as a repeat) is a copy of the previous window's samples.
//!
//! The order of the additions differs from the definition's text, which is fine: within the L1
//! budget every partial sum is exact in `i32` (see the module documentation). All additions wrap,
//! so that even a waveform outside the budget (only reachable through
//! [`reconstruct_unchecked_with`]) cannot panic. `isa/tests/kernel.rs` checks every path against
//! a literal scalar transcription of the definition.

use alloc::vec::Vec;
use core::array;

use super::atoms::{AtomSet, MAX_WINDOW};
use super::fixed::{IDENTITY_ROTATION, ROTATION_FRAC_BITS, check_rotation, sat16};
use super::modulate::modulate;
use super::waveform::{CodedWaveform, MAX_SHIFT, MAX_TERMS, Term, WindowCode};
use crate::error::IsaError;

/// Largest block, in samples.
const BLOCK: usize = 64;
/// `i16` values in the largest block of interleaved samples (the length of a scratch row).
const BLOCK_VALUES: usize = 2 * BLOCK;
/// Most terms summed in one pass; more are added in groups of this size.
const DIRECT_TERMS: usize = 4;

/// One row of flat `i16` values (a pattern, or a copy of an atom's block), aligned so that its
/// loads can fold into `pmaddwd`.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(16))]
struct Row([i16; BLOCK_VALUES]);

const ZERO_ROW: Row = Row([0; BLOCK_VALUES]);

/// Scratch space for the window kernels: the pattern rows of a window's terms, and copies of
/// their atoms' values for windows of other lengths than 16, 32 and 64. Reusing one across calls
/// ([`reconstruct_window_with`], [`reconstruct_unchecked_with`]) saves clearing its 11 KiB per
/// call.
#[derive(Clone, Debug)]
pub struct WindowScratch {
    re: [Row; MAX_TERMS],
    im: [Row; MAX_TERMS],
    atoms: [Row; MAX_TERMS],
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
            re: [ZERO_ROW; MAX_TERMS],
            im: [ZERO_ROW; MAX_TERMS],
            atoms: [ZERO_ROW; MAX_TERMS],
        }
    }
}

/// Fills the first `len` values of the pattern rows of `terms`: `re += ar·cr + ai·(−ci)`,
/// `im += ar·ci + ai·cr`. `−ci` is exact because components are never `−32768` (checked by
/// [`WindowCode::validate`]; unchecked input wraps).
#[inline(always)]
fn fill(re: &mut [Row], im: &mut [Row], terms: &[Term], len: usize) {
    for ((re, im), t) in re.iter_mut().zip(im.iter_mut()).zip(terms) {
        let [cr, ci] = t.coef;
        let pairs = re.0.chunks_exact_mut(2).zip(im.0.chunks_exact_mut(2));
        for (p, q) in pairs.take(len / 2) {
            p.copy_from_slice(&[cr, ci.wrapping_neg()]);
            q.copy_from_slice(&[ci, cr]);
        }
    }
}

/// The first `V` values of a row.
#[inline(always)]
fn head<const V: usize>(row: Option<&Row>) -> &[i16; V] {
    row.and_then(|r| r.0.first_chunk::<V>()).unwrap_or(&[0; V])
}

/// `a[2i]·p[2i] + a[2i+1]·p[2i+1]`, products of `i16` widened to `i32` (the `pmaddwd` shape).
/// The arrays' lengths are constants, so the checks fold away.
#[inline(always)]
fn pair<const V: usize>(a: &[i16; V], p: &[i16; V], i: usize) -> i32 {
    match (a.get(2 * i..2 * i + 2), p.get(2 * i..2 * i + 2)) {
        (Some(&[a0, a1]), Some(&[p0, p1])) => {
            (i32::from(a0) * i32::from(p0)).wrapping_add(i32::from(a1) * i32::from(p1))
        }
        _ => 0,
    }
}

/// The filled pattern rows of a window's terms.
#[derive(Clone, Copy)]
struct Patterns<'a> {
    re: &'a [Row],
    im: &'a [Row],
}

impl<'a> Patterns<'a> {
    fn of(scratch: &'a WindowScratch) -> Self {
        Patterns {
            re: &scratch.re,
            im: &scratch.im,
        }
    }
}

/// `N` terms of a block: atom values and patterns, `V` values each.
struct Terms<'a, const N: usize, const V: usize> {
    atoms: [&'a [i16; V]; N],
    re: [&'a [i16; V]; N],
    im: [&'a [i16; V]; N],
}

impl<'a, const N: usize, const V: usize> Terms<'a, N, V> {
    /// Terms `first..first + N`: atom values from `atom(t)`, patterns from `pats`.
    #[inline(always)]
    fn new(atom: &impl Fn(usize) -> &'a [i16; V], pats: Patterns<'a>, first: usize) -> Self {
        Terms {
            atoms: array::from_fn(|t| atom(first + t)),
            re: array::from_fn(|t| head(pats.re.get(first + t))),
            im: array::from_fn(|t| head(pats.im.get(first + t))),
        }
    }

    /// The `re` and `im` sums of sample `i`, plus `init`. The products are collected in arrays
    /// before the sums so that each pair product stays one `pmaddwd` (summing them as they come
    /// lets LLVM reassociate the pairs apart).
    #[inline(always)]
    fn sums(&self, i: usize, init: (i32, i32)) -> (i32, i32) {
        let term = |p: &[&[i16; V]; N], t: usize| match (self.atoms.get(t), p.get(t)) {
            (Some(a), Some(p)) => pair(a, p, i),
            _ => 0,
        };
        let dr: [i32; N] = array::from_fn(|t| term(&self.re, t));
        let di: [i32; N] = array::from_fn(|t| term(&self.im, t));
        (
            dr.iter().fold(init.0, |s, d| s.wrapping_add(*d)),
            di.iter().fold(init.1, |s, d| s.wrapping_add(*d)),
        )
    }
}

/// The shift and rounding constant of a window (`R = (1 << s) >> 1`). A shift above
/// [`MAX_SHIFT`] (unchecked input only) is taken as [`MAX_SHIFT`].
#[inline(always)]
fn shift_round(code: &WindowCode) -> (u32, i32) {
    let shift = u32::from(code.shift.min(MAX_SHIFT));
    (shift, (1i32 << shift) >> 1)
}

/// A block of `S` samples (`V = 2S`) with `N ≤` [`DIRECT_TERMS`] terms, in one pass.
#[inline(always)]
fn block_direct<'a, const N: usize, const S: usize, const V: usize>(
    atom: &impl Fn(usize) -> &'a [i16; V],
    pats: Patterns<'a>,
    (shift, round): (u32, i32),
    out: &mut [[i16; 2]; S],
) {
    let terms = Terms::<N, V>::new(atom, pats, 0);
    for (i, o) in out.iter_mut().enumerate() {
        let (r, m) = terms.sums(i, (round, round));
        *o = [sat16(r >> shift), sat16(m >> shift)];
    }
}

/// Adds terms `first..first + N` into the accumulators.
#[inline(always)]
fn add_group<'a, const N: usize, const S: usize, const V: usize>(
    atom: &impl Fn(usize) -> &'a [i16; V],
    pats: Patterns<'a>,
    first: usize,
    acc_re: &mut [i32; S],
    acc_im: &mut [i32; S],
) {
    let terms = Terms::<N, V>::new(atom, pats, first);
    for (i, (r, m)) in acc_re.iter_mut().zip(acc_im.iter_mut()).enumerate() {
        (*r, *m) = terms.sums(i, (*r, *m));
    }
}

/// A block of `S` samples with more than [`DIRECT_TERMS`] terms: groups added into
/// accumulators, then one store.
#[inline(always)]
fn block_groups<'a, const S: usize, const V: usize>(
    atom: &impl Fn(usize) -> &'a [i16; V],
    n: usize,
    pats: Patterns<'a>,
    (shift, round): (u32, i32),
    out: &mut [[i16; 2]; S],
) {
    let mut acc_re = [round; S];
    let mut acc_im = [round; S];
    for first in (0..n).step_by(DIRECT_TERMS) {
        let (re, im) = (&mut acc_re, &mut acc_im);
        match n - first {
            1 => add_group::<1, S, V>(atom, pats, first, re, im),
            2 => add_group::<2, S, V>(atom, pats, first, re, im),
            3 => add_group::<3, S, V>(atom, pats, first, re, im),
            _ => add_group::<4, S, V>(atom, pats, first, re, im),
        }
    }
    for ((o, r), m) in out.iter_mut().zip(&acc_re).zip(&acc_im) {
        *o = [sat16(*r >> shift), sat16(*m >> shift)];
    }
}

/// A block of `S` samples (`V = 2S`) of a window with `n` terms (at most [`MAX_TERMS`]) whose
/// patterns are filled (`V` values at least); `atom(t)` gives term `t`'s atom values.
#[inline(always)]
fn block<'a, const S: usize, const V: usize>(
    atom: &impl Fn(usize) -> &'a [i16; V],
    n: usize,
    pats: Patterns<'a>,
    sr: (u32, i32),
    out: &mut [[i16; 2]; S],
) {
    match n {
        0 => *out = [[0; 2]; S], // sat16(R >> s) = 0
        1 => block_direct::<1, S, V>(atom, pats, sr, out),
        2 => block_direct::<2, S, V>(atom, pats, sr, out),
        3 => block_direct::<3, S, V>(atom, pats, sr, out),
        4 => block_direct::<4, S, V>(atom, pats, sr, out),
        _ => block_groups::<S, V>(atom, n, pats, sr, out),
    }
}

/// The terms of a window the kernels use: at most [`MAX_TERMS`] (more only in unchecked input).
#[inline(always)]
fn kernel_terms(code: &WindowCode) -> &[Term] {
    code.terms.get(..MAX_TERMS).unwrap_or(&code.terms)
}

/// One whole window of `W` samples (`V = 2W`, `W` a block size): the atoms' values are read in
/// place.
#[inline(always)]
fn window_fixed<const W: usize, const V: usize>(
    atoms: &AtomSet,
    code: &WindowCode,
    scratch: &mut WindowScratch,
    out: &mut [[i16; 2]; W],
) {
    let terms = kernel_terms(code);
    fill(&mut scratch.re, &mut scratch.im, terms, V);
    let atom = |t: usize| -> &[i16; V] {
        terms
            .get(t)
            .and_then(|term| atoms.atom(usize::from(term.atom)))
            .and_then(<[i16]>::first_chunk::<V>)
            .unwrap_or(&[0; V])
    };
    block::<W, V>(
        &atom,
        terms.len(),
        Patterns::of(scratch),
        shift_round(code),
        out,
    );
}

/// The first `out.len()` samples (at most `S`) of a block computed at size `S`, from the copies
/// of the atoms' values in the scratch.
#[inline(always)]
fn block_sized<const S: usize, const V: usize>(
    n: usize,
    scratch: &WindowScratch,
    sr: (u32, i32),
    out: &mut [[i16; 2]],
) {
    let atom = |t: usize| head::<V>(scratch.atoms.get(t));
    match <&mut [[i16; 2]; S]>::try_from(&mut *out) {
        Ok(o) => block::<S, V>(&atom, n, Patterns::of(scratch), sr, o),
        Err(_) => {
            let mut full = [[0i16; 2]; S];
            block::<S, V>(&atom, n, Patterns::of(scratch), sr, &mut full);
            for (o, s) in out.iter_mut().zip(full) {
                *o = s;
            }
        }
    }
}

/// One window of any length (at most [`MAX_WINDOW`]; `out` its first samples, at most the
/// window): a block of at most 64 samples at a time, computed at the next block size (16, 32 or
/// 64) from copies of the atoms' values.
#[inline(never)]
fn window_any(
    atoms: &AtomSet,
    code: &WindowCode,
    scratch: &mut WindowScratch,
    out: &mut [[i16; 2]],
) {
    let terms = kernel_terms(code);
    let n = terms.len();
    // Lanes past the window compute garbage that is never stored: their patterns need no fill.
    let values = (2 * atoms.window).min(BLOCK_VALUES);
    fill(&mut scratch.re, &mut scratch.im, terms, values);
    let sr = shift_round(code);
    for (b, o) in out.chunks_mut(BLOCK).enumerate() {
        let from = b * BLOCK_VALUES;
        let len = 2 * o.len();
        for (row, t) in scratch.atoms.iter_mut().zip(terms) {
            let src = atoms
                .atom(usize::from(t.atom))
                .and_then(|a| a.get(from..from + len));
            if let (Some(dst), Some(src)) = (row.0.get_mut(..len), src) {
                dst.copy_from_slice(src);
            } else {
                row.0.fill(0);
            }
        }
        match o.len() {
            0..=16 => block_sized::<16, 32>(n, scratch, sr, o),
            17..=32 => block_sized::<32, 64>(n, scratch, sr, o),
            _ => block_sized::<64, 128>(n, scratch, sr, o),
        }
    }
}

/// A whole sparse waveform with a window length `W` of 16, 32 or 64 (`V = 2W`): every full
/// window at the constant length, then the last, partial one. A window equal to the previous one
/// (a flat top: the section codes it as a repeat) is a copy of the previous samples.
#[inline(always)]
fn sparse_fixed<const W: usize, const V: usize>(
    atoms: &AtomSet,
    windows: &[WindowCode],
    scratch: &mut WindowScratch,
    out: &mut [[i16; 2]],
) {
    let mut chunks = out.chunks_exact_mut(W);
    let mut codes = windows.iter();
    let mut prev: Option<(&WindowCode, &[[i16; 2]; W])> = None;
    for (o, code) in (&mut chunks).zip(&mut codes) {
        let Ok(o) = <&mut [[i16; 2]; W]>::try_from(o) else {
            continue;
        };
        match prev {
            Some((p, samples)) if p == code => *o = *samples,
            _ => window_fixed::<W, V>(atoms, code, scratch, o),
        }
        prev = Some((code, o));
    }
    let rest = chunks.into_remainder();
    if let (false, Some(code)) = (rest.is_empty(), codes.next()) {
        let mut full = [[0i16; 2]; W];
        window_fixed::<W, V>(atoms, code, scratch, &mut full);
        for (o, s) in rest.iter_mut().zip(full) {
            *o = s;
        }
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
    window_any(atoms, code, scratch, out);
    Ok(())
}

/// Reconstructs a whole waveform into `out` (its previous contents replaced), by the module's
/// definition.
///
/// # Errors
/// As [`CodedWaveform::validate`] (checked before any sample is written).
pub fn reconstruct_into(
    atoms: Option<&AtomSet>,
    wf: &CodedWaveform,
    out: &mut Vec<[i16; 2]>,
) -> Result<(), IsaError> {
    wf.validate(atoms)?;
    reconstruct_unchecked_with(atoms, wf, &mut WindowScratch::new(), out)
}

/// [`reconstruct_into`] for a waveform already validated against `atoms` — one that
/// [`PulseParser`](super::section::PulseParser) or [`PulseReader`](super::section::PulseReader)
/// returned, or that
/// passed [`CodedWaveform::validate`] — without validating it again, and with caller-provided
/// scratch space (the streaming decoder keeps one).
///
/// For such a waveform the samples are exactly [`reconstruct_into`]'s. On any other input it
/// still neither panics nor reads out of bounds (this crate has no `unsafe`), but the samples
/// are unspecified: a missing atom reads as zeros, a shift above [`MAX_SHIFT`] counts as
/// [`MAX_SHIFT`], terms beyond [`MAX_TERMS`] are ignored, sums outside the L1 budget wrap and
/// samples no window covers are zero; `out` always gets the waveform's length.
///
/// # Errors
/// [`IsaError::NoPulseAtoms`] for a sparse waveform without atoms and
/// [`IsaError::CoefficientOutOfRange`] for a modulation step component of `−32768` (nothing else
/// is checked).
pub fn reconstruct_unchecked_with(
    atoms: Option<&AtomSet>,
    wf: &CodedWaveform,
    scratch: &mut WindowScratch,
    out: &mut Vec<[i16; 2]>,
) -> Result<(), IsaError> {
    match wf {
        CodedWaveform::Lossless(s) => {
            out.clear();
            out.extend_from_slice(s);
        }
        CodedWaveform::Sparse {
            len,
            windows,
            modulation,
        } => {
            let atoms = atoms.ok_or(IsaError::NoPulseAtoms)?;
            let len = *len as usize;
            // Every sample is written below: a reused buffer is only grown, not cleared.
            out.truncate(len);
            out.resize(len, [0, 0]);
            let w = atoms.window;
            match w {
                16 => sparse_fixed::<16, 32>(atoms, windows, scratch, out),
                32 => sparse_fixed::<32, 64>(atoms, windows, scratch, out),
                64 => sparse_fixed::<64, 128>(atoms, windows, scratch, out),
                _ => {
                    let mut prev: Option<(&WindowCode, &[[i16; 2]])> = None;
                    for (o, code) in out.chunks_mut(w.max(1)).zip(windows) {
                        match prev.filter(|(p, _)| *p == code).map(|(_, s)| s) {
                            Some(s) if s.len() >= o.len() => {
                                for (o, s) in o.iter_mut().zip(s) {
                                    *o = *s;
                                }
                            }
                            _ => window_any(atoms, code, scratch, o),
                        }
                        prev = Some((code, o));
                    }
                }
            }
            let covered = windows.len().saturating_mul(w).min(len);
            if let Some(rest) = out.get_mut(covered..) {
                rest.fill([0, 0]);
            }
            if let Some(step) = modulation {
                modulate(out, *step)?;
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

/// A rotation as the window kernel's one-term patterns (its coefficient the rotation).
fn rotation_patterns(rotation: [i16; 2]) -> ([Row; 1], [Row; 1]) {
    let (mut re, mut im) = ([ZERO_ROW], [ZERO_ROW]);
    let term = Term {
        atom: 0,
        coef: rotation,
    };
    fill(&mut re, &mut im, &[term], BLOCK_VALUES);
    (re, im)
}

/// Rotates `src` into `out` (as long as `src`), a block of [`BLOCK`] samples at a time: the
/// window kernel with the samples as the one atom, the rotation as its coefficient and shift 14,
/// whose rounding constant is the definition's `8192`; `|x·rr − y·ri| ≤ 2·32768·32767` keeps
/// the `i32` sums exact. A partial block is computed whole in a buffer.
fn rotate_blocks(src: &[[i16; 2]], pats: Patterns<'_>, out: &mut [[i16; 2]]) {
    let sr = (ROTATION_FRAC_BITS, 1i32 << (ROTATION_FRAC_BITS - 1));
    let mut buf = [[0i16; 2]; BLOCK];
    let mut res = [[0i16; 2]; BLOCK];
    for (s, o) in src.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
        let s = match <&[[i16; 2]; BLOCK]>::try_from(s) {
            Ok(s) => s,
            Err(_) => {
                for (b, x) in buf.iter_mut().zip(s) {
                    *b = *x;
                }
                &buf
            }
        };
        let flat = s.as_flattened();
        let atom = |_: usize| {
            flat.first_chunk::<BLOCK_VALUES>()
                .unwrap_or(&[0; BLOCK_VALUES])
        };
        match <&mut [[i16; 2]; BLOCK]>::try_from(&mut *o) {
            Ok(o) => block_direct::<1, BLOCK, BLOCK_VALUES>(&atom, pats, sr, o),
            Err(_) => {
                block_direct::<1, BLOCK, BLOCK_VALUES>(&atom, pats, sr, &mut res);
                for (o, r) in o.iter_mut().zip(res) {
                    *o = r;
                }
            }
        }
    }
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
    let (re, im) = rotation_patterns(rotation);
    let mut buf = [[0i16; 2]; BLOCK];
    for b in samples.chunks_mut(BLOCK) {
        let src = buf.get_mut(..b.len()).unwrap_or(&mut []);
        src.copy_from_slice(b);
        rotate_blocks(src, Patterns { re: &re, im: &im }, b);
    }
    Ok(())
}

/// Writes `src` rotated by `rotation` (as [`rotate_samples`]) into `out` (its previous contents
/// replaced): a memory play in one pass, a plain copy for [`IDENTITY_ROTATION`].
///
/// # Errors
/// As [`check_rotation`] (checked before `out` changes).
pub fn rotate_into(
    src: &[[i16; 2]],
    rotation: [i16; 2],
    out: &mut Vec<[i16; 2]>,
) -> Result<(), IsaError> {
    check_rotation(rotation)?;
    if rotation == IDENTITY_ROTATION {
        out.clear();
        out.extend_from_slice(src);
        return Ok(());
    }
    out.truncate(src.len());
    out.resize(src.len(), [0, 0]);
    let (re, im) = rotation_patterns(rotation);
    rotate_blocks(src, Patterns { re: &re, im: &im }, out);
    Ok(())
}

/// The arithmetic [`reconstruct_into`] does for one waveform: what a cost or energy model should
/// count, kept beside the kernels so the two cannot drift apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReconstructionWork {
    /// Complex multiply-adds of atom terms (4 real multiply-adds each), plus the modulation's
    /// phasor update and rotation (8 per sample).
    pub multiply_adds: u64,
    /// Atom samples read (one per term and computed sample).
    pub atom_samples_read: u64,
}

/// Counts [`ReconstructionWork`] for `wf` with atoms of `window` samples, as the kernels run:
/// a window whose code equals the previous window's is copied, not computed (the 16/32/64-sample
/// kernels copy full windows only, and compute a partial last window at full width); lossless
/// samples cost nothing.
#[must_use]
pub fn reconstruction_work(wf: &CodedWaveform, window: usize) -> ReconstructionWork {
    let mut work = ReconstructionWork::default();
    let CodedWaveform::Sparse {
        len,
        windows,
        modulation,
    } = wf
    else {
        return work;
    };
    let len = *len as usize;
    let fixed = matches!(window, 16 | 32 | 64);
    for (j, code) in windows.iter().enumerate() {
        let samples = window.min(len.saturating_sub(j * window));
        let repeat = j > 0 && windows.get(j - 1) == Some(code);
        let computed = match (fixed, samples == window) {
            (true, true) | (false, _) if repeat => 0,
            (true, _) => window,
            (false, _) => samples,
        };
        let terms = (code.terms.len() * computed) as u64;
        work.atom_samples_read += terms;
        work.multiply_adds += 4 * terms;
    }
    if modulation.is_some() {
        work.multiply_adds += 8 * len as u64;
    }
    work
}
