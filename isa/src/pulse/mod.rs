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
//!   - sparse: one bit "modulated", then for a modulated waveform its step's two components as
//!     16 raw bits each ([`modulate`]);
//!   - sparse, per window: after the first, a "repeats the previous window" bit (in the context
//!     of whether the previous window was a repeat; a repeat copies shift and terms, so a flat
//!     top costs a fraction of a bit per window), else the shift (a "same as the previous
//!     window" bit, else a 4-bit bit-tree),
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

use crate::coder::{Coder, PROB_HALF, RangeDecoder, RangeEncoder};
use crate::model::width_for;
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
        /// A per-sample phase step (Q14, see [`modulate`]): the windows code the envelope, and
        /// the samples are the envelope times the step's phasors. `None` for baseband pulses.
        modulation: Option<[i16; 2]>,
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
        if let CodedWaveform::Sparse {
            len,
            windows,
            modulation,
        } = self
        {
            if let Some(step) = modulation {
                check_rotation(*step)?;
            }
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

mod header;
mod kernel;
mod models;
pub mod modulate;
mod section;

pub use header::PulseHeader;
pub use kernel::*;
pub use section::*;
