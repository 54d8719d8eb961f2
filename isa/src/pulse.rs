//! Pulse waveforms: the complex atom dictionary, the exact fixed-point sample reconstruction, and
//! the `.eqb` pulse section (channels, waveform memory, timed plays), entropy-coded with the
//! shared range coder.
//!
//! # Samples
//!
//! Waveforms are complex baseband samples `[i, q]: [i16; 2]`, as a 16-bit I/Q DAC takes them.
//!
//! # Atoms
//!
//! An [`AtomSet`] holds `K` atoms of `W` complex samples, interleaved `re, im` as `i16` (Q15 of a
//! unit-L2-norm atom, by the dictionary's convention; nothing below relies on the norm, any `i16`
//! is accepted). It lives in the codebook (`crate::codebook`, entry kind 6).
//!
//! # The fixed-point reconstruction (THE definition)
//!
//! A sparse-coded waveform of `len` samples is cut into `ceil(len / W)` windows; window `j` is
//! a shift `s` (`0..=`[`MAX_SHIFT`]) and up to [`MAX_TERMS`] terms `(k, c)`, `k` an atom index
//! below `K`, `c = (cr, ci)` two `i16`. With `a_k[i] = (ar, ai)` the atom's `i`-th sample, every
//! product and sum in `i32`:
//!
//! ```text
//! R = (1 << s) >> 1                                   (round half up; 0 when s = 0)
//! re[i] = R + Σ_k (cr_k·ar_k[i] − ci_k·ai_k[i])
//! im[i] = R + Σ_k (cr_k·ai_k[i] + ci_k·ar_k[i])
//! out[j·W + i] = [sat16(re[i] >> s), sat16(im[i] >> s)]   (>> arithmetic; sat16 clamps to i16)
//! ```
//!
//! for `i` in `0..W`, keeping only the first `len` samples of the waveform (the last window is
//! truncated). The terms of a window must satisfy the L1 budget
//! `Σ_k (|cr_k| + |ci_k|) ≤` [`COEF_L1_MAX`] ` = 65535`; then, since `|ar|, |ai| ≤ 32768`,
//! `|re[i] − R| ≤ 32768 · 65535 = 2 147 450 880` and `R ≤ 2^14`, so every partial sum stays inside
//! `i32` (`2 147 483 647`) whatever the order of the terms: the result is exact and the same on
//! every machine. Parsers reject a window that breaks the budget ([`IsaError::CoefficientOutOfRange`])
//! so the decoder never has to check inside its loop.
//!
//! A lossless waveform is its raw samples.
//!
//! A play of a memory waveform applies a rotation/scale `r = (rr, ri)` in Q14 (`1.0 = 16384`;
//! components in `−32767..=32767`) to each sample `(x, y)` of the waveform:
//!
//! ```text
//! re = sat16((x·rr − y·ri + 8192) >> 14),   im = sat16((x·ri + y·rr + 8192) >> 14)
//! ```
//!
//! in `i32` (`|x·rr − y·ri| ≤ 2·32768·32767 < 2^31 − 8192`). [`IDENTITY_ROTATION`] `(16384, 0)`
//! returns every sample unchanged. Rotating samples (rather than coefficients) keeps one rule for
//! sparse and lossless memory and cannot break the L1 budget.
//!
//! # Pulse section payload (`SectionKind::Pulses`)
//!
//! ```text
//! uvarint header_len | header (header_len bytes) | u32-LE CRC-32C(uvarint header_len ‖ header)
//! then item blocks, each (as the instruction section's, crate::stream::BlockHeader)
//!     uvarint payload_len | uvarint item_count | u32-LE CRC-32C(len, count, payload) | payload
//! header:
//!     u8 version (= 1)
//!     uvarint W, uvarint K          (0, 0 when the section was coded without atoms)
//!     uvarint channel count C, then per channel: u8 kind (0 = d, 1 = u, 2 = m), uvarint index
//!     uvarint memory count M, uvarint memory samples (their total length)
//!     uvarint play count P, uvarint longest waveform (samples, memory or inline)
//! ```
//!
//! Each block's payload is one range-coder block; the adaptive models carry over from block to
//! block. The items are the `M` memory waveforms, then the `P` plays in time order (start times
//! non-decreasing; plays on one channel do not overlap). A decoder holds the atoms, the memory,
//! one block and one play; it checks each block's CRC before decoding anything from it.
//!
//! Coding (all probabilities start flat at one half and adapt):
//!
//! - a waveform: `len + 1` (adaptive Elias-gamma), one bit lossless/sparse;
//!   - sparse, per window: the shift (a "same as the previous window" bit, else a 4-bit bit-tree),
//!     the term count (4-bit bit-tree, in the context of the previous window's count), then per
//!     term the atom index (bit-tree over `ceil(log2 K)` bits, in the context of the term's
//!     position 0, 1, 2+) and the two coefficient components (signed: a zero bit, the magnitude
//!     in adaptive Elias-gamma, a raw sign bit; contexts by position and component);
//!   - lossless: per sample and component, the residual of the linear prediction
//!     `clamp(2·s[n−1] − s[n−2])` (wrapping to `i16`), signed as above;
//! - a play: the channel (bit-tree), the gap since the end of the channel's previous play (its
//!   end, or 0 for a first play) plus one in adaptive Elias-gamma, one bit memory/inline; a memory
//!   play then has the slot (bit-tree) and either an "identity rotation" bit or the two rotation
//!   components as 16 raw bits each; an inline play has a waveform.
//!
//! The adaptive Elias-gamma code of `v ≥ 1` with exponent `e = floor(log2 v)`: `e` in unary with one
//! adaptive probability per position (no terminator at the maximum exponent), the two bits below the
//! leading one with adaptive probabilities (a small bit-tree per exponent), the rest raw.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use crate::model::width_for;
use crate::rangecoder::{Coder, PROB_HALF, RangeDecoder, RangeEncoder};
use crate::stream::{BlockHeader, MAX_BLOCK_BYTES, MAX_BLOCK_OPS, TARGET_BLOCK_BYTES};
use crate::varint::{read_uvarint, write_uvarint};
use crate::{IsaError, crc32c};

/// Longest atom window, in samples.
pub const MAX_WINDOW: usize = 256;
/// Most atoms in a set (atom indices are coded in at most 12 bits).
pub const MAX_ATOMS: usize = 4096;
/// Most terms in one window.
pub const MAX_TERMS: usize = 15;
/// Largest per-window right shift.
pub const MAX_SHIFT: u8 = 15;
/// Largest `Σ (|cr| + |ci|)` over a window's terms: the bound that makes the `i32` accumulation
/// exact (see the module documentation).
pub const COEF_L1_MAX: u32 = 65535;
/// Fractional bits of a play rotation.
pub const ROTATION_FRAC_BITS: u32 = 14;
/// The rotation that leaves samples unchanged (`1.0 + 0i` in Q14).
pub const IDENTITY_ROTATION: [i16; 2] = [1 << ROTATION_FRAC_BITS, 0];
/// Longest waveform, in samples (about 14.5 µs at IBM's dt of 2/9 ns): bounds the decoder's
/// one-play buffer and keeps any waveform's code inside one block.
pub const MAX_WAVEFORM_SAMPLES: usize = 1 << 16;
/// Most channels in a pulse section.
pub const MAX_CHANNELS: usize = 4096;
/// Most waveforms in the waveform memory.
pub const MAX_MEMORY: usize = 4096;
/// Most samples in the waveform memory, all waveforms together (16 MiB of samples).
pub const MAX_MEMORY_SAMPLES: u64 = 1 << 22;
/// Latest end time of a play, in samples (`dt` units): keeps every time sum inside `u64`.
pub const MAX_TIME: u64 = 1 << 62;
/// Largest pulse-section header in bytes (channels are its only variable part).
pub const MAX_HEADER_BYTES: usize = 64 << 10;
/// The pulse section's own format version (its first header byte).
pub const PULSE_VERSION: u8 = 1;

/// Largest coefficient or residual magnitude (`|i16::MIN|`), and its Elias-gamma exponent.
const MAG_MAX_EXP: u32 = 15;
/// Exponent bound of `len + 1` (`len ≤ 2^16`).
const LEN_MAX_EXP: u32 = 16;
/// Exponent bound of `gap + 1` (`gap < MAX_TIME`).
const GAP_MAX_EXP: u32 = 62;

// ---------------------------------------------------------------------------------------------
// Atoms

/// A complex atom dictionary: `count()` atoms of `window` complex samples each, interleaved
/// `re, im` (Q15 of unit-norm atoms by convention).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtomSet {
    /// Samples per atom (`W`).
    pub window: usize,
    /// `K · W · 2` values: atom `k`'s sample `i` is `(atoms[2(kW+i)], atoms[2(kW+i)+1])`.
    pub atoms: Vec<i16>,
}

impl AtomSet {
    /// A checked atom set.
    ///
    /// # Errors
    /// [`IsaError::InvalidPulse`] if the window is not in `1..=`[`MAX_WINDOW`], the values do not
    /// make whole atoms, or there are none or more than [`MAX_ATOMS`].
    pub fn new(window: usize, atoms: Vec<i16>) -> Result<Self, IsaError> {
        let set = AtomSet { window, atoms };
        set.validate()?;
        Ok(set)
    }

    /// Checks the shape (see [`AtomSet::new`]).
    ///
    /// # Errors
    /// As [`AtomSet::new`].
    pub fn validate(&self) -> Result<(), IsaError> {
        if self.window == 0 || self.window > MAX_WINDOW {
            return Err(IsaError::InvalidPulse("atom window outside 1..=256"));
        }
        if !self.atoms.len().is_multiple_of(2 * self.window) {
            return Err(IsaError::InvalidPulse(
                "atom values do not make a whole number of atoms",
            ));
        }
        let k = self.count();
        if k == 0 || k > MAX_ATOMS {
            return Err(IsaError::InvalidPulse("atom count outside 1..=4096"));
        }
        Ok(())
    }

    /// Number of atoms `K`.
    #[must_use]
    pub fn count(&self) -> usize {
        self.atoms.len().checked_div(2 * self.window).unwrap_or(0)
    }

    /// Atom `k`'s `2W` interleaved values, if it exists.
    #[must_use]
    pub fn atom(&self, k: usize) -> Option<&[i16]> {
        let n = 2 * self.window;
        self.atoms
            .get(k.checked_mul(n)?..k.checked_add(1)?.checked_mul(n)?)
    }

    /// Serialised form (the codebook entry's payload): `u16 W`, `u16 K`, then the `2·K·W` values,
    /// all little-endian.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 2 * self.atoms.len());
        out.extend_from_slice(&(self.window as u16).to_le_bytes());
        out.extend_from_slice(&(self.count() as u16).to_le_bytes());
        for v in &self.atoms {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Parses [`AtomSet::to_bytes`].
    ///
    /// # Errors
    /// [`IsaError::Truncated`] / [`IsaError::Corrupt`] if the length does not match the declared
    /// shape, [`IsaError::InvalidPulse`] for a shape outside the limits.
    pub fn parse(bytes: &[u8]) -> Result<Self, IsaError> {
        let (Some(&[w0, w1]), Some(&[k0, k1])) = (bytes.get(0..2), bytes.get(2..4)) else {
            return Err(IsaError::Truncated {
                what: "pulse atom set",
                needed: 4,
                available: bytes.len() as u64,
            });
        };
        let window = usize::from(u16::from_le_bytes([w0, w1]));
        let count = usize::from(u16::from_le_bytes([k0, k1]));
        let body = bytes.get(4..).unwrap_or(&[]);
        let want = 4 * window * count;
        if body.len() < want {
            return Err(IsaError::Truncated {
                what: "pulse atom set",
                needed: want as u64,
                available: body.len() as u64,
            });
        }
        if body.len() > want {
            return Err(IsaError::Corrupt("bytes after the pulse atoms"));
        }
        let atoms = body
            .chunks_exact(2)
            .map(|c| match *c {
                [a, b] => i16::from_le_bytes([a, b]),
                _ => 0,
            })
            .collect();
        AtomSet::new(window, atoms)
    }
}

// ---------------------------------------------------------------------------------------------
// Coded waveforms and plays

/// One term of a window: an atom and its complex coefficient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Term {
    /// Atom index, below the atom set's count.
    pub atom: u16,
    /// Complex coefficient `(re, im)`, components in `−32767..=32767`.
    pub coef: [i16; 2],
}

/// One window of a sparse-coded waveform.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WindowCode {
    /// Right shift applied after accumulation (`0..=`[`MAX_SHIFT`]).
    pub shift: u8,
    /// At most [`MAX_TERMS`] terms, within the L1 budget [`COEF_L1_MAX`].
    pub terms: Vec<Term>,
}

impl WindowCode {
    /// Checks the window against the reconstruction's ranges for a set of `atom_count` atoms.
    ///
    /// # Errors
    /// [`IsaError::CoefficientOutOfRange`] (shift, term count, L1 budget),
    /// [`IsaError::AtomOutOfRange`].
    pub fn validate(&self, atom_count: usize) -> Result<(), IsaError> {
        if self.shift > MAX_SHIFT {
            return Err(IsaError::CoefficientOutOfRange {
                what: "window shift above 15",
            });
        }
        if self.terms.len() > MAX_TERMS {
            return Err(IsaError::CoefficientOutOfRange {
                what: "more than 15 terms in a window",
            });
        }
        let mut l1 = 0u32;
        for t in &self.terms {
            if usize::from(t.atom) >= atom_count {
                return Err(IsaError::AtomOutOfRange {
                    index: u32::from(t.atom),
                    count: atom_count as u32,
                });
            }
            if t.coef.contains(&i16::MIN) {
                return Err(IsaError::CoefficientOutOfRange {
                    what: "coefficient component -32768",
                });
            }
            let [re, im] = t.coef;
            l1 += u32::from(re.unsigned_abs()) + u32::from(im.unsigned_abs());
        }
        if l1 > COEF_L1_MAX {
            return Err(IsaError::CoefficientOutOfRange {
                what: "window coefficients above the L1 budget of 65535",
            });
        }
        Ok(())
    }
}

/// A waveform as the section carries it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CodedWaveform {
    /// Sparse in the atom dictionary: `ceil(len / W)` windows.
    Sparse {
        /// Samples in the waveform.
        len: u32,
        /// One code per window.
        windows: Vec<WindowCode>,
    },
    /// The raw samples (the fallback when a fidelity budget cannot be met sparsely).
    Lossless(Vec<[i16; 2]>),
}

impl CodedWaveform {
    /// Samples in the waveform.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            CodedWaveform::Sparse { len, .. } => *len as usize,
            CodedWaveform::Lossless(s) => s.len(),
        }
    }

    /// Whether the waveform has no samples.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks the waveform for the given atoms (only sparse waveforms need them).
    ///
    /// # Errors
    /// [`IsaError::Limit`] above [`MAX_WAVEFORM_SAMPLES`], [`IsaError::NoPulseAtoms`],
    /// [`IsaError::InvalidPulse`] when the window count does not match the length, then as
    /// [`WindowCode::validate`].
    pub fn validate(&self, atoms: Option<&AtomSet>) -> Result<(), IsaError> {
        if self.len() > MAX_WAVEFORM_SAMPLES {
            return Err(IsaError::Limit {
                what: "waveform length",
                found: self.len() as u64,
                max: MAX_WAVEFORM_SAMPLES as u64,
            });
        }
        if let CodedWaveform::Sparse { len, windows } = self {
            let atoms = atoms.ok_or(IsaError::NoPulseAtoms)?;
            if windows.len() != (*len as usize).div_ceil(atoms.window) {
                return Err(IsaError::InvalidPulse(
                    "window count does not match the waveform length",
                ));
            }
            let k = atoms.count();
            for w in windows {
                w.validate(k)?;
            }
        }
        Ok(())
    }
}

/// What kind of output a channel is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ChannelKind {
    /// Qubit drive (`d`).
    Drive = 0,
    /// Control / cross-resonance (`u`).
    Control = 1,
    /// Measurement stimulus (`m`).
    Measure = 2,
}

impl ChannelKind {
    /// The one-letter prefix (`d`, `u`, `m`).
    #[must_use]
    pub const fn letter(self) -> char {
        match self {
            ChannelKind::Drive => 'd',
            ChannelKind::Control => 'u',
            ChannelKind::Measure => 'm',
        }
    }
}

/// A pulse channel, such as `d0` or `u3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId {
    /// Drive, control or measure.
    pub kind: ChannelKind,
    /// Its number.
    pub index: u32,
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.kind.letter(), self.index)
    }
}

/// What a play sends.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PlayBody {
    /// Memory waveform `slot`, each sample rotated/scaled by `rotation` (Q14, see the module
    /// documentation; [`IDENTITY_ROTATION`] for none).
    Memory {
        /// Index into the section's waveform memory.
        slot: u32,
        /// Complex factor in Q14, components in `−32767..=32767`.
        rotation: [i16; 2],
    },
    /// A waveform coded in place.
    Inline(CodedWaveform),
}

/// One waveform played on one channel at one time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PlayCode {
    /// Index into the section's channel list.
    pub channel: u32,
    /// Start, in samples (`dt` units) from the program start.
    pub start: u64,
    /// The waveform.
    pub body: PlayBody,
}

/// Everything the pulse section carries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PulseSection {
    /// The channels plays refer to (no duplicates).
    pub channels: Vec<ChannelId>,
    /// The waveform memory: waveforms sent once, played by slot.
    pub memory: Vec<CodedWaveform>,
    /// The plays, start times non-decreasing; plays on one channel must not overlap.
    pub plays: Vec<PlayCode>,
}

/// One decoded item of a pulse section, in section order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PulseItem {
    /// The next waveform of the memory (slots are numbered in order, from 0).
    Memory(CodedWaveform),
    /// The next play.
    Play(PlayCode),
}

// ---------------------------------------------------------------------------------------------
// Fixed-point reconstruction

#[inline(always)]
fn sat16(v: i32) -> i16 {
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

// ---------------------------------------------------------------------------------------------
// Adaptive models

/// Adaptive Elias-gamma code of `v ≥ 1` (see the module documentation).
#[derive(Clone, Debug)]
struct Gamma {
    exp: [u16; 64],
    mant: [[u16; 3]; 64],
}

impl Gamma {
    fn new() -> Self {
        Gamma {
            exp: [PROB_HALF; 64],
            mant: [[PROB_HALF; 3]; 64],
        }
    }

    /// Codes `value` (`1 ≤ value < 2^(max_e+1)`, checked by the caller when encoding) and returns
    /// the coded value.
    #[inline]
    fn code<C: Coder>(&mut self, c: &mut C, value: u64, max_e: u32) -> u64 {
        let e_true = 63 - (value | 1).leading_zeros();
        let mut e = 0u32;
        while e < max_e {
            let Some(p) = self.exp.get_mut(e as usize) else {
                break;
            };
            if !c.bit(p, e < e_true) {
                break;
            }
            e += 1;
        }
        let mut v = 1u64;
        let top = e.min(2);
        let mut node = 0usize;
        if let Some(probs) = self.mant.get_mut(e as usize) {
            for k in 0..top {
                let b = (value >> (e - 1 - k)) & 1 == 1;
                let bit = match probs.get_mut(node) {
                    Some(p) => c.bit(p, b),
                    None => false,
                };
                v = (v << 1) | u64::from(bit);
                node = 1 + usize::from(bit);
            }
        }
        let rest = e - top;
        if rest > 0 {
            let low = c.direct(value, rest);
            v = (v << rest) | low;
        }
        v
    }
}

/// Signed values: a zero bit, then the magnitude (adaptive gamma, at most 32768) and a raw sign.
#[derive(Clone, Debug)]
struct Signed {
    zero: u16,
    mag: Gamma,
}

impl Signed {
    fn new() -> Self {
        Signed {
            zero: PROB_HALF,
            mag: Gamma::new(),
        }
    }

    #[inline]
    fn code<C: Coder>(&mut self, c: &mut C, value: i16) -> Result<i16, IsaError> {
        if !c.bit(&mut self.zero, value != 0) {
            return Ok(0);
        }
        let m = self
            .mag
            .code(c, u64::from(value.unsigned_abs()), MAG_MAX_EXP);
        let neg = c.direct(u64::from(value < 0), 1) == 1;
        match (m, neg) {
            (1..=32767, false) => Ok(m as i16),
            (1..=32767, true) => Ok(-(m as i16)),
            (32768, true) => Ok(i16::MIN),
            _ => Err(IsaError::Corrupt("a pulse value out of the i16 range")),
        }
    }
}

/// A bit-tree of `bits` levels over `probs` (at least `2^bits` slots, slot 0 unused).
#[inline]
fn bit_tree<C: Coder>(c: &mut C, probs: &mut [u16], bits: u32, value: u64) -> u64 {
    let mut node = 1usize;
    for i in (0..bits).rev() {
        let b = (value >> i) & 1 == 1;
        let bit = match probs.get_mut(node) {
            Some(p) => c.bit(p, b),
            None => false,
        };
        node = (node << 1) | usize::from(bit);
    }
    (node as u64) - (1u64 << bits)
}

/// The section's adaptive models, identical on both sides.
#[derive(Clone, Debug)]
struct Models {
    cbits: u32,
    mbits: u32,
    kbits: u32,
    channel: Vec<u16>,
    gap: Gamma,
    inline: u16,
    slot: Vec<u16>,
    identity: u16,
    len: Gamma,
    lossless: u16,
    same_shift: u16,
    shift: [u16; 16],
    count: [[u16; 16]; 16],
    /// Three position contexts of `2^kbits` slots each.
    atom: Vec<u16>,
    coef: [[Signed; 2]; 3],
    sample: [Signed; 2],
}

impl Models {
    fn new(header: &PulseHeader) -> Self {
        let cbits = width_for(header.channels.len() as u64);
        let mbits = width_for(u64::from(header.memory_count));
        let kbits = width_for(u64::from(header.atom_count));
        Models {
            cbits,
            mbits,
            kbits,
            channel: vec![PROB_HALF; 1 << cbits],
            gap: Gamma::new(),
            inline: PROB_HALF,
            slot: vec![PROB_HALF; 1 << mbits],
            identity: PROB_HALF,
            len: Gamma::new(),
            lossless: PROB_HALF,
            same_shift: PROB_HALF,
            shift: [PROB_HALF; 16],
            count: [[PROB_HALF; 16]; 16],
            atom: vec![PROB_HALF; 3 << kbits],
            coef: core::array::from_fn(|_| [Signed::new(), Signed::new()]),
            sample: [Signed::new(), Signed::new()],
        }
    }

    fn atom_ctx(&mut self, pos: usize) -> &mut [u16] {
        let n = 1usize << self.kbits;
        let from = pos.min(2) * n;
        self.atom.get_mut(from..from + n).unwrap_or(&mut [])
    }

    fn encode_waveform(
        &mut self,
        c: &mut RangeEncoder,
        wf: &CodedWaveform,
    ) -> Result<(), IsaError> {
        let len = wf.len() as u64;
        self.len.code(c, len + 1, LEN_MAX_EXP);
        match wf {
            CodedWaveform::Lossless(samples) => {
                c.bit(&mut self.lossless, true);
                let mut p1 = [0i16; 2];
                let mut p2 = [0i16; 2];
                for s in samples {
                    for (comp, model) in self.sample.iter_mut().enumerate() {
                        let (a, b, v) = pick(&p1, &p2, s, comp);
                        model.code(c, v.wrapping_sub(predict(a, b)))?;
                    }
                    p2 = p1;
                    p1 = *s;
                }
            }
            CodedWaveform::Sparse { windows, .. } => {
                c.bit(&mut self.lossless, false);
                let mut prev_shift = None;
                let mut prev_count = 0usize;
                for w in windows {
                    self.code_shift(c, &mut prev_shift, w.shift);
                    let n = w.terms.len();
                    if let Some(p) = self.count.get_mut(prev_count) {
                        bit_tree(c, p, 4, n as u64);
                    }
                    prev_count = n;
                    for (pos, t) in w.terms.iter().enumerate() {
                        let kbits = self.kbits;
                        bit_tree(c, self.atom_ctx(pos), kbits, u64::from(t.atom));
                        if let Some([re, im]) = self.coef.get_mut(pos.min(2)) {
                            re.code(c, t.coef[0])?;
                            im.code(c, t.coef[1])?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The shift, shared by both sides: a "same as before" bit after the first window.
    #[inline]
    fn code_shift<C: Coder>(&mut self, c: &mut C, prev: &mut Option<u8>, shift: u8) -> u8 {
        let s = match *prev {
            Some(p) if c.bit(&mut self.same_shift, shift == p) => p,
            _ => bit_tree(c, &mut self.shift, 4, u64::from(shift)) as u8,
        };
        *prev = Some(s);
        s
    }

    fn decode_waveform(
        &mut self,
        d: &mut RangeDecoder<'_>,
        max_len: u64,
        atoms: Option<&AtomSet>,
    ) -> Result<CodedWaveform, IsaError> {
        let len = self.len.code(d, 0, LEN_MAX_EXP) - 1;
        if len > max_len {
            return Err(IsaError::Corrupt(
                "a waveform longer than the section header allows",
            ));
        }
        if d.bit(&mut self.lossless, false) {
            let mut samples = Vec::with_capacity(len as usize);
            let mut p1 = [0i16; 2];
            let mut p2 = [0i16; 2];
            for _ in 0..len {
                let mut s = [0i16; 2];
                for (comp, model) in self.sample.iter_mut().enumerate() {
                    let (a, b, _) = pick(&p1, &p2, &s, comp);
                    let r = model.code(d, 0)?;
                    if let Some(v) = s.get_mut(comp) {
                        *v = predict(a, b).wrapping_add(r);
                    }
                }
                p2 = p1;
                p1 = s;
                samples.push(s);
            }
            return Ok(CodedWaveform::Lossless(samples));
        }
        let atoms = atoms.ok_or(IsaError::NoPulseAtoms)?;
        let k = atoms.count() as u64;
        let nwin = (len as usize).div_ceil(atoms.window);
        let mut windows = Vec::with_capacity(nwin);
        let mut prev_shift = None;
        let mut prev_count = 0usize;
        for _ in 0..nwin {
            let shift = self.code_shift(d, &mut prev_shift, 0);
            if shift > MAX_SHIFT {
                return Err(IsaError::CoefficientOutOfRange {
                    what: "window shift above 15",
                });
            }
            let n = match self.count.get_mut(prev_count) {
                Some(p) => bit_tree(d, p, 4, 0) as usize,
                None => 0,
            };
            if n > MAX_TERMS {
                return Err(IsaError::CoefficientOutOfRange {
                    what: "more than 15 terms in a window",
                });
            }
            prev_count = n;
            let mut terms = Vec::with_capacity(n);
            let mut l1 = 0u32;
            for pos in 0..n {
                let kbits = self.kbits;
                let atom = bit_tree(d, self.atom_ctx(pos), kbits, 0);
                if atom >= k {
                    return Err(IsaError::AtomOutOfRange {
                        index: atom as u32,
                        count: k as u32,
                    });
                }
                let mut coef = [0i16; 2];
                if let Some([re, im]) = self.coef.get_mut(pos.min(2)) {
                    coef = [re.code(d, 0)?, im.code(d, 0)?];
                }
                if coef.contains(&i16::MIN) {
                    return Err(IsaError::CoefficientOutOfRange {
                        what: "coefficient component -32768",
                    });
                }
                l1 += u32::from(coef[0].unsigned_abs()) + u32::from(coef[1].unsigned_abs());
                terms.push(Term {
                    atom: atom as u16,
                    coef,
                });
            }
            if l1 > COEF_L1_MAX {
                return Err(IsaError::CoefficientOutOfRange {
                    what: "window coefficients above the L1 budget of 65535",
                });
            }
            windows.push(WindowCode { shift, terms });
        }
        Ok(CodedWaveform::Sparse {
            len: len as u32,
            windows,
        })
    }
}

/// The previous two values and the current one of component `comp`.
#[inline(always)]
fn pick(p1: &[i16; 2], p2: &[i16; 2], s: &[i16; 2], comp: usize) -> (i16, i16, i16) {
    let g = |a: &[i16; 2]| a.get(comp).copied().unwrap_or(0);
    (g(p1), g(p2), g(s))
}

/// Linear prediction `clamp(2a − b)` of a lossless sample from the previous two.
#[inline(always)]
fn predict(a: i16, b: i16) -> i16 {
    sat16(2 * i32::from(a) - i32::from(b))
}

// ---------------------------------------------------------------------------------------------
// Section header

/// The pulse section's plain header (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PulseHeader {
    /// Atom window `W` the section was coded for (0 without atoms).
    pub window: u32,
    /// Atom count `K` the section was coded for (0 without atoms).
    pub atom_count: u32,
    /// The channels.
    pub channels: Vec<ChannelId>,
    /// Waveforms in the memory.
    pub memory_count: u32,
    /// Samples in the memory, all waveforms together.
    pub memory_samples: u64,
    /// Plays.
    pub play_count: u64,
    /// Longest waveform (memory or inline), in samples: a decoder's one-play buffer.
    pub max_len: u32,
}

impl PulseHeader {
    /// Items (memory waveforms and plays) the blocks hold.
    #[must_use]
    pub fn item_count(&self) -> u64 {
        u64::from(self.memory_count) + self.play_count
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut h = Vec::new();
        h.push(PULSE_VERSION);
        write_uvarint(&mut h, u64::from(self.window));
        write_uvarint(&mut h, u64::from(self.atom_count));
        write_uvarint(&mut h, self.channels.len() as u64);
        for ch in &self.channels {
            h.push(ch.kind as u8);
            write_uvarint(&mut h, u64::from(ch.index));
        }
        write_uvarint(&mut h, u64::from(self.memory_count));
        write_uvarint(&mut h, self.memory_samples);
        write_uvarint(&mut h, self.play_count);
        write_uvarint(&mut h, u64::from(self.max_len));
        h
    }

    /// Writes the framed header (length, bytes, CRC).
    fn write(&self, out: &mut Vec<u8>) {
        let h = self.to_bytes();
        let mut framed = Vec::with_capacity(h.len() + 4);
        write_uvarint(&mut framed, h.len() as u64);
        framed.extend_from_slice(&h);
        let crc = crc32c(&framed);
        out.extend_from_slice(&framed);
        out.extend_from_slice(&crc.to_le_bytes());
    }

    /// Parses the framed header at the start of a pulse section's payload. `Ok(None)` when more
    /// bytes are needed; else the header and the bytes it used. The CRC is checked before any
    /// field is trusted.
    ///
    /// # Errors
    /// [`IsaError::Limit`] for a header above [`MAX_HEADER_BYTES`], [`IsaError::Corrupt`] for a
    /// CRC mismatch or impossible fields, [`IsaError::UnsupportedVersion`] for another version.
    pub fn parse(bytes: &[u8]) -> Result<Option<(PulseHeader, usize)>, IsaError> {
        let (len, n) = match read_uvarint(bytes) {
            Ok(v) => v,
            Err(IsaError::Truncated { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if len > MAX_HEADER_BYTES as u64 {
            return Err(IsaError::Limit {
                what: "pulse section header size",
                found: len,
                max: MAX_HEADER_BYTES as u64,
            });
        }
        let end = n + len as usize;
        let (Some(framed), Some(crc)) = (bytes.get(..end), bytes.get(end..end + 4)) else {
            return Ok(None);
        };
        let stored = u32::from_le_bytes([
            crc.first().copied().unwrap_or(0),
            crc.get(1).copied().unwrap_or(0),
            crc.get(2).copied().unwrap_or(0),
            crc.get(3).copied().unwrap_or(0),
        ]);
        if crc32c(framed) != stored {
            return Err(IsaError::Corrupt("pulse section header checksum mismatch"));
        }
        let h = framed.get(n..).unwrap_or(&[]);
        let header = Self::parse_fields(h)?;
        Ok(Some((header, end + 4)))
    }

    fn parse_fields(h: &[u8]) -> Result<PulseHeader, IsaError> {
        let mut pos = 1usize;
        match h.first() {
            Some(&PULSE_VERSION) => {}
            Some(&v) => {
                return Err(IsaError::UnsupportedVersion {
                    found: u16::from(v),
                    supported: u16::from(PULSE_VERSION),
                });
            }
            None => return Err(IsaError::Corrupt("empty pulse section header")),
        }
        let next = |pos: &mut usize| -> Result<u64, IsaError> {
            let (v, n) = read_uvarint(h.get(*pos..).unwrap_or(&[]))?;
            *pos += n;
            Ok(v)
        };
        let window = next(&mut pos)?;
        let atom_count = next(&mut pos)?;
        if window > MAX_WINDOW as u64 || atom_count > MAX_ATOMS as u64 {
            return Err(IsaError::Corrupt("pulse atom shape above the limits"));
        }
        let nch = next(&mut pos)?;
        if nch > MAX_CHANNELS as u64 {
            return Err(IsaError::Limit {
                what: "pulse channel count",
                found: nch,
                max: MAX_CHANNELS as u64,
            });
        }
        let mut channels = Vec::with_capacity(nch as usize);
        for _ in 0..nch {
            let kind = match h.get(pos) {
                Some(0) => ChannelKind::Drive,
                Some(1) => ChannelKind::Control,
                Some(2) => ChannelKind::Measure,
                Some(_) => return Err(IsaError::Corrupt("unknown pulse channel kind")),
                None => return Err(IsaError::Corrupt("pulse section header cut short")),
            };
            pos += 1;
            let index = u32::try_from(next(&mut pos)?)
                .map_err(|_| IsaError::Corrupt("pulse channel index above u32"))?;
            let ch = ChannelId { kind, index };
            if channels.contains(&ch) {
                return Err(IsaError::Corrupt("a pulse channel listed twice"));
            }
            channels.push(ch);
        }
        let memory_count = next(&mut pos)?;
        let memory_samples = next(&mut pos)?;
        let play_count = next(&mut pos)?;
        let max_len = next(&mut pos)?;
        if memory_count > MAX_MEMORY as u64 {
            return Err(IsaError::Limit {
                what: "pulse memory waveform count",
                found: memory_count,
                max: MAX_MEMORY as u64,
            });
        }
        if memory_samples > MAX_MEMORY_SAMPLES {
            return Err(IsaError::Limit {
                what: "pulse memory samples",
                found: memory_samples,
                max: MAX_MEMORY_SAMPLES,
            });
        }
        if max_len > MAX_WAVEFORM_SAMPLES as u64 {
            return Err(IsaError::Limit {
                what: "waveform length",
                found: max_len,
                max: MAX_WAVEFORM_SAMPLES as u64,
            });
        }
        if play_count > 0 && channels.is_empty() {
            return Err(IsaError::Corrupt("pulse plays without channels"));
        }
        if pos != h.len() {
            return Err(IsaError::Corrupt(
                "trailing bytes in the pulse section header",
            ));
        }
        Ok(PulseHeader {
            window: window as u32,
            atom_count: atom_count as u32,
            channels,
            memory_count: memory_count as u32,
            memory_samples,
            play_count,
            max_len: max_len as u32,
        })
    }

    /// Checks that `atoms` are the ones this section was coded for.
    ///
    /// # Errors
    /// [`IsaError::WindowMismatch`], [`IsaError::AtomCountMismatch`]; [`IsaError::NoPulseAtoms`]
    /// if the section needs atoms and none are given.
    pub fn check_atoms(&self, atoms: Option<&AtomSet>) -> Result<(), IsaError> {
        match atoms {
            _ if self.window == 0 && self.atom_count == 0 => Ok(()),
            None => Err(IsaError::NoPulseAtoms),
            Some(a) if a.window as u32 != self.window => Err(IsaError::WindowMismatch {
                section: self.window,
                codebook: a.window as u32,
            }),
            Some(a) if a.count() as u32 != self.atom_count => Err(IsaError::AtomCountMismatch {
                section: self.atom_count,
                codebook: a.count() as u32,
            }),
            Some(_) => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Timing state shared by encoder and decoder

/// Per-channel end times and the global order: the same checks on both sides.
#[derive(Clone, Debug)]
struct Timeline {
    last_end: Vec<u64>,
    last_start: u64,
}

impl Timeline {
    fn new(channels: usize) -> Self {
        Timeline {
            last_end: vec![0; channels],
            last_start: 0,
        }
    }

    fn end_of(&self, channel: u32) -> u64 {
        self.last_end.get(channel as usize).copied().unwrap_or(0)
    }

    /// Records a play of `len` samples; `Err(what)` if it breaks the ordering rules.
    fn place(&mut self, channel: u32, start: u64, len: u64) -> Result<(), &'static str> {
        if start < self.last_start {
            return Err("plays out of time order");
        }
        let end = start
            .checked_add(len)
            .filter(|e| *e <= MAX_TIME)
            .ok_or("a play ends after the latest allowed time")?;
        let slot = self
            .last_end
            .get_mut(channel as usize)
            .ok_or("a play on a channel that does not exist")?;
        if start < *slot {
            return Err("plays overlap on one channel");
        }
        *slot = end;
        self.last_start = start;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Encoder

/// Encodes a pulse section's payload. Validates everything first: the result always parses back
/// to `section`.
///
/// # Errors
/// [`IsaError::InvalidPulse`] for inconsistent data (duplicate channels, a play out of time order,
/// overlapping on its channel, on a missing channel or slot), [`IsaError::Limit`] above the
/// format's limits, the waveform errors of [`CodedWaveform::validate`] and [`check_rotation`], and
/// [`IsaError::LengthOverflow`] if one block's code outgrows [`MAX_BLOCK_BYTES`].
pub fn encode_pulse_section(
    section: &PulseSection,
    atoms: Option<&AtomSet>,
) -> Result<Vec<u8>, IsaError> {
    if let Some(a) = atoms {
        a.validate()?;
    }
    let header = validate_section(section, atoms)?;
    let mut out = Vec::new();
    header.write(&mut out);
    let mut models = Models::new(&header);
    let mut timeline = Timeline::new(section.channels.len());
    let mut block = BlockWriter::new();
    for wf in &section.memory {
        models.encode_waveform(&mut block.enc, wf)?;
        block.item(&mut out)?;
    }
    for play in &section.plays {
        let len = match &play.body {
            PlayBody::Memory { slot, .. } => section
                .memory
                .get(*slot as usize)
                .map_or(0, CodedWaveform::len),
            PlayBody::Inline(wf) => wf.len(),
        } as u64;
        let enc = &mut block.enc;
        let cbits = models.cbits;
        bit_tree(enc, &mut models.channel, cbits, u64::from(play.channel));
        let gap = play.start - timeline.end_of(play.channel);
        models.gap.code(enc, gap + 1, GAP_MAX_EXP);
        timeline
            .place(play.channel, play.start, len)
            .map_err(IsaError::InvalidPulse)?;
        match &play.body {
            PlayBody::Memory { slot, rotation } => {
                enc.bit(&mut models.inline, false);
                let mbits = models.mbits;
                bit_tree(enc, &mut models.slot, mbits, u64::from(*slot));
                if !enc.bit(&mut models.identity, *rotation == IDENTITY_ROTATION) {
                    enc.direct(u64::from(rotation[0] as u16), 16);
                    enc.direct(u64::from(rotation[1] as u16), 16);
                }
            }
            PlayBody::Inline(wf) => {
                enc.bit(&mut models.inline, true);
                models.encode_waveform(enc, wf)?;
            }
        }
        block.item(&mut out)?;
    }
    block.flush(&mut out)?;
    Ok(out)
}

/// Checks a whole section and derives its header.
fn validate_section(
    section: &PulseSection,
    atoms: Option<&AtomSet>,
) -> Result<PulseHeader, IsaError> {
    let channels = &section.channels;
    if channels.len() > MAX_CHANNELS {
        return Err(IsaError::Limit {
            what: "pulse channel count",
            found: channels.len() as u64,
            max: MAX_CHANNELS as u64,
        });
    }
    for (i, ch) in channels.iter().enumerate() {
        if channels.get(..i).is_some_and(|before| before.contains(ch)) {
            return Err(IsaError::InvalidPulse("a pulse channel listed twice"));
        }
    }
    if section.memory.len() > MAX_MEMORY {
        return Err(IsaError::Limit {
            what: "pulse memory waveform count",
            found: section.memory.len() as u64,
            max: MAX_MEMORY as u64,
        });
    }
    let mut max_len = 0usize;
    let mut memory_samples = 0u64;
    for wf in &section.memory {
        wf.validate(atoms)?;
        max_len = max_len.max(wf.len());
        memory_samples += wf.len() as u64;
    }
    if memory_samples > MAX_MEMORY_SAMPLES {
        return Err(IsaError::Limit {
            what: "pulse memory samples",
            found: memory_samples,
            max: MAX_MEMORY_SAMPLES,
        });
    }
    let mut timeline = Timeline::new(channels.len());
    for play in &section.plays {
        let len = match &play.body {
            PlayBody::Memory { slot, rotation } => {
                check_rotation(*rotation)?;
                section
                    .memory
                    .get(*slot as usize)
                    .ok_or(IsaError::InvalidPulse(
                        "a play of a memory slot that does not exist",
                    ))?
                    .len()
            }
            PlayBody::Inline(wf) => {
                wf.validate(atoms)?;
                wf.len()
            }
        };
        max_len = max_len.max(len);
        timeline
            .place(play.channel, play.start, len as u64)
            .map_err(IsaError::InvalidPulse)?;
    }
    let (window, atom_count) = atoms.map_or((0, 0), |a| (a.window as u32, a.count() as u32));
    Ok(PulseHeader {
        window,
        atom_count,
        channels: channels.clone(),
        memory_count: section.memory.len() as u32,
        memory_samples,
        play_count: section.plays.len() as u64,
        max_len: max_len as u32,
    })
}

/// Cuts the item stream into blocks.
struct BlockWriter {
    enc: RangeEncoder,
    items: u64,
}

impl BlockWriter {
    fn new() -> Self {
        BlockWriter {
            enc: RangeEncoder::new(),
            items: 0,
        }
    }

    /// One more item went into the current block; close it when it is large enough.
    fn item(&mut self, out: &mut Vec<u8>) -> Result<(), IsaError> {
        self.items += 1;
        if self.enc.len() >= TARGET_BLOCK_BYTES || self.items >= MAX_BLOCK_OPS {
            self.flush(out)?;
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut Vec<u8>) -> Result<(), IsaError> {
        if self.items == 0 {
            return Ok(());
        }
        let enc = core::mem::take(&mut self.enc);
        let payload = enc.finish();
        if payload.len() > MAX_BLOCK_BYTES {
            return Err(IsaError::LengthOverflow {
                what: "pulse block (a waveform's code above 1 MiB)",
            });
        }
        let head = BlockHeader {
            len: payload.len(),
            ops: self.items,
            crc: BlockHeader::checksum(payload.len(), self.items, &payload),
        };
        head.write(out);
        out.extend_from_slice(&payload);
        self.items = 0;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Streaming parser

/// Decodes a pulse section item by item, from range-coder blocks the caller frames (see
/// [`PulseReader`] for a whole payload in memory, or the decoder crate for bytes arriving in
/// pieces). Its state is the models, one end time per channel and the memory lengths: bounded
/// by the header, whatever the section's length.
#[derive(Clone, Debug)]
pub struct PulseParser {
    header: PulseHeader,
    models: Models,
    timeline: Timeline,
    memory_len: Vec<u32>,
    memory_samples: u64,
    items_done: u64,
}

impl PulseParser {
    /// A parser for the section whose header is `header`, decoding with `atoms`.
    ///
    /// # Errors
    /// As [`PulseHeader::check_atoms`].
    pub fn new(header: PulseHeader, atoms: Option<&AtomSet>) -> Result<Self, IsaError> {
        header.check_atoms(atoms)?;
        Ok(PulseParser {
            models: Models::new(&header),
            timeline: Timeline::new(header.channels.len()),
            memory_len: Vec::with_capacity(header.memory_count as usize),
            memory_samples: 0,
            items_done: 0,
            header,
        })
    }

    /// The section header.
    #[must_use]
    pub fn header(&self) -> &PulseHeader {
        &self.header
    }

    /// Items not yet decoded.
    #[must_use]
    pub fn items_left(&self) -> u64 {
        self.header.item_count() - self.items_done
    }

    /// Decodes the next item from `rd` (a block whose CRC the caller has checked). `atoms` must be
    /// the set given to [`PulseParser::new`].
    ///
    /// # Errors
    /// [`IsaError::Corrupt`] when no item is left or the bits decode to something impossible;
    /// [`IsaError::AtomOutOfRange`], [`IsaError::CoefficientOutOfRange`],
    /// [`IsaError::NoPulseAtoms`].
    pub fn decode_item(
        &mut self,
        rd: &mut RangeDecoder<'_>,
        atoms: Option<&AtomSet>,
    ) -> Result<PulseItem, IsaError> {
        if self.items_left() == 0 {
            return Err(IsaError::Corrupt("more pulse items than the header says"));
        }
        self.header.check_atoms(atoms)?;
        let max_len = u64::from(self.header.max_len);
        let m = &mut self.models;
        let item =
            if self.items_done < u64::from(self.header.memory_count) {
                let wf = m.decode_waveform(rd, max_len, atoms)?;
                self.memory_samples += wf.len() as u64;
                if self.memory_samples > self.header.memory_samples {
                    return Err(IsaError::Corrupt(
                        "pulse memory larger than the section header says",
                    ));
                }
                self.memory_len.push(wf.len() as u32);
                if self.memory_len.len() == self.header.memory_count as usize
                    && self.memory_samples != self.header.memory_samples
                {
                    return Err(IsaError::Corrupt(
                        "pulse memory smaller than the section header says",
                    ));
                }
                PulseItem::Memory(wf)
            } else {
                let channel = bit_tree(rd, &mut m.channel, m.cbits, 0);
                if channel >= self.header.channels.len() as u64 {
                    return Err(IsaError::Corrupt("a play on a channel that does not exist"));
                }
                let channel = channel as u32;
                let gap = m.gap.code(rd, 0, GAP_MAX_EXP) - 1;
                let start = self
                    .timeline
                    .end_of(channel)
                    .checked_add(gap)
                    .ok_or(IsaError::Corrupt("a play start beyond u64"))?;
                let (body, len) =
                    if rd.bit(&mut m.inline, false) {
                        let wf = m.decode_waveform(rd, max_len, atoms)?;
                        let len = wf.len();
                        (PlayBody::Inline(wf), len)
                    } else {
                        let slot = bit_tree(rd, &mut m.slot, m.mbits, 0);
                        let len = self.memory_len.get(slot as usize).copied().ok_or(
                            IsaError::Corrupt("a play of a memory slot that does not exist"),
                        )?;
                        let rotation = if rd.bit(&mut m.identity, false) {
                            IDENTITY_ROTATION
                        } else {
                            [
                                rd.direct(0, 16) as u16 as i16,
                                rd.direct(0, 16) as u16 as i16,
                            ]
                        };
                        check_rotation(rotation)?;
                        (
                            PlayBody::Memory {
                                slot: slot as u32,
                                rotation,
                            },
                            len as usize,
                        )
                    };
                self.timeline
                    .place(channel, start, len as u64)
                    .map_err(IsaError::Corrupt)?;
                PulseItem::Play(PlayCode {
                    channel,
                    start,
                    body,
                })
            };
        self.items_done += 1;
        Ok(item)
    }
}

/// Iterates over the items of a whole pulse-section payload held in memory, checking each
/// block's CRC before decoding from it.
#[derive(Debug)]
pub struct PulseReader<'a> {
    payload: &'a [u8],
    pos: usize,
    parser: PulseParser,
    atoms: Option<&'a AtomSet>,
    block: &'a [u8],
    state: Option<crate::rangecoder::DecoderState>,
    block_left: u64,
    blocks: u64,
}

impl<'a> PulseReader<'a> {
    /// Reads the header of `payload` and prepares to decode its items with `atoms`.
    ///
    /// # Errors
    /// As [`PulseHeader::parse`] (a short payload is [`IsaError::Truncated`]) and
    /// [`PulseParser::new`].
    pub fn new(payload: &'a [u8], atoms: Option<&'a AtomSet>) -> Result<Self, IsaError> {
        let (header, used) = PulseHeader::parse(payload)?.ok_or(IsaError::Truncated {
            what: "pulse section header",
            needed: 1,
            available: 0,
        })?;
        Ok(PulseReader {
            payload,
            pos: used,
            parser: PulseParser::new(header, atoms)?,
            atoms,
            block: &[],
            state: None,
            block_left: 0,
            blocks: 0,
        })
    }

    /// The section header.
    #[must_use]
    pub fn header(&self) -> &PulseHeader {
        self.parser.header()
    }

    /// The next item, or `None` after the last one (when the payload must also be used up).
    ///
    /// # Errors
    /// [`IsaError::BlockCrc`], [`IsaError::Truncated`], [`IsaError::TrailingBytes`], and as
    /// [`PulseParser::decode_item`].
    pub fn next_item(&mut self) -> Result<Option<PulseItem>, IsaError> {
        if self.block_left == 0 {
            let rest = self.payload.get(self.pos..).unwrap_or(&[]);
            if self.parser.items_left() == 0 {
                if !rest.is_empty() {
                    return Err(IsaError::TrailingBytes(rest.len()));
                }
                return Ok(None);
            }
            let (bh, hlen) = BlockHeader::parse(rest)?.ok_or(IsaError::Truncated {
                what: "pulse block header",
                needed: 1,
                available: rest.len() as u64,
            })?;
            let body = rest.get(hlen..hlen + bh.len).ok_or(IsaError::Truncated {
                what: "pulse block",
                needed: bh.len as u64,
                available: rest.len().saturating_sub(hlen) as u64,
            })?;
            let computed = BlockHeader::checksum(bh.len, bh.ops, body);
            if computed != bh.crc {
                return Err(IsaError::BlockCrc {
                    block: self.blocks,
                    stored: bh.crc,
                    computed,
                });
            }
            if bh.ops > self.parser.items_left() {
                return Err(IsaError::Corrupt("more pulse items than the header says"));
            }
            self.pos += hlen + bh.len;
            self.block = body;
            self.state = Some(RangeDecoder::new(body).state());
            self.block_left = bh.ops;
            self.blocks += 1;
        }
        let Some(state) = self.state else {
            return Err(IsaError::Corrupt("no open pulse block"));
        };
        let mut rd = RangeDecoder::resume(self.block, state);
        let item = self.parser.decode_item(&mut rd, self.atoms)?;
        self.state = Some(rd.state());
        self.block_left -= 1;
        Ok(Some(item))
    }
}

/// Parses a whole pulse-section payload.
///
/// # Errors
/// As [`PulseReader::new`] and [`PulseReader::next_item`].
pub fn parse_pulse_section(
    payload: &[u8],
    atoms: Option<&AtomSet>,
) -> Result<PulseSection, IsaError> {
    let mut r = PulseReader::new(payload, atoms)?;
    let mut section = PulseSection {
        channels: r.header().channels.clone(),
        memory: Vec::new(),
        plays: Vec::new(),
    };
    while let Some(item) = r.next_item()? {
        match item {
            PulseItem::Memory(wf) => section.memory.push(wf),
            PulseItem::Play(p) => section.plays.push(p),
        }
    }
    Ok(section)
}
