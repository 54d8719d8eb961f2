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
//! is accepted). It lives in the codebook (entry kind 6).
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
//! every machine. Parsers reject a window that breaks the budget
//! ([`IsaError::CoefficientOutOfRange`](crate::error::IsaError::CoefficientOutOfRange)) so the
//! decoder never has to check inside its loop.
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
//! in `i32` (`|x·rr − y·ri| ≤ 2·32768·32767 < 2^31 − 8192`).
//!
//! Every sample a play emits (inline, memory or rotated) is then what the section's `b`-bit DAC
//! plays: each component rounded half up to a multiple of `2^(16 − b)` and saturated to the
//! `b`-bit two's-complement range, kept MSB-aligned ([`dac_round`]; the identity at `b = 16`).
//! The encoder quantizes and judges its waveforms the same way, so encoder, decoder and the raw
//! baseline (`b` bits per component) agree on the samples. [`IDENTITY_ROTATION`] `(16384, 0)`
//! returns every sample unchanged. Rotating samples (rather than coefficients) keeps one rule for
//! sparse and lossless memory and cannot break the L1 budget.
//!
//! # Pulse section payload (`SectionKind::Pulses`)
//!
//! ```text
//! uvarint header_len | header (header_len bytes) | u32-LE CRC-32C(uvarint header_len ‖ header)
//! then item blocks, each framed as the instruction section's blocks (stream::BlockHeader)
//!     uvarint payload_len | uvarint item_count | u32-LE CRC-32C(len, count, payload) | payload
//! header:
//!     u8 version (= 2)
//!     u8 DAC resolution b (1..=16 bits)
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

mod atoms;
mod fixed;
mod header;
mod kernel;
mod models;
pub mod modulate;
mod play;
mod section;
mod waveform;

pub use atoms::{AtomSet, MAX_ATOMS, MAX_WINDOW};
pub use fixed::{
    IDENTITY_ROTATION, MAX_DAC_BITS, ROTATION_FRAC_BITS, check_dac_bits, check_rotation, dac_round,
};
pub use header::{
    MAX_CHANNELS, MAX_HEADER_BYTES, MAX_MEMORY, MAX_MEMORY_SAMPLES, PULSE_VERSION, PulseHeader,
};
pub use kernel::{
    ReconstructionWork, WindowScratch, reconstruct_into, reconstruct_unchecked_with,
    reconstruct_waveform, reconstruct_window, reconstruct_window_with, reconstruction_work,
    rotate_into, rotate_samples,
};
pub use play::{ChannelId, ChannelKind, PlayBody, PlayCode, PulseItem, PulseSection};
pub use section::{MAX_TIME, PulseParser, PulseReader, encode_pulse_section, parse_pulse_section};
pub use waveform::{
    COEF_L1_MAX, CodedWaveform, MAX_SHIFT, MAX_TERMS, MAX_WAVEFORM_SAMPLES, Term, WindowCode,
};
