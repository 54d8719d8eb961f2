//! The copy window's format: what encoder and decoder of the Clifford+T model must agree on about
//! runs of one-qubit gates coded as one unit (its macro words).
//!
//! Two kinds, each an opcode lane of the Clifford+T model:
//!
//! - **Syllables** ([`SYLLABLES`]): gridsynth's words are in Matsumoto–Amano normal form,
//!   `(T | ε) (HT | SHT)* C`, so `h t` and `s h t` are one lane each: one qubit symbol and one
//!   coder step for two or three gates.
//! - **Copies**: a gridsynth word depends on the angle it approximates and on the program's
//!   error budget, so a repeated rotation (every controlled phase of a QFT, every oracle call of
//!   Grover) repeats a word of tens to hundreds of gates exactly, and no table learned from other
//!   programs at other budgets holds it. The context model prices such a word near its entropy
//!   (about one bit per syllable) every time; a copy prices a repeat once, LZ77-style: a length
//!   and a distance back into a [`WINDOW`] of the one-qubit opcodes coded so far (every
//!   one-qubit gate without operands, whatever its qubit). The decoder keeps the window
//!   (16 KiB).
//! - **Copies from the codebook's macro words** (the priors' `words`, up to [`MAX_WORDS`]
//!   gates): runs that recurred across the training corpus's programs. A distance past the
//!   window's filled part reaches into them, counted back from their end, so the same lane and
//!   codes serve both; such a copy must end inside the words.
//!
//! Either way the decoder emits the gates one per call of the model, without touching the range
//! coder. Which runs become copies or syllables is the encoder's choice (its planner lives in the
//! `eqisa-encode` crate, so decoders do not compile it): it never changes the format, only the
//! size.

use alloc::boxed::Box;

use crate::instr::Opcode;

/// One-qubit opcodes the window holds (a power of two: positions are masked into it).
pub const WINDOW: usize = 1 << 14;
const WINDOW_MASK: usize = WINDOW - 1;
/// The shortest copy the format codes.
pub const MIN_COPY: u32 = 8;
/// The most opcodes a codebook's macro words may hold.
pub const MAX_WORDS: usize = 1 << 14;
/// The longest copy the format codes (well below a block's operation limit, so that the encoder
/// can always end a block before a copy that would not fit).
pub const MAX_COPY: u32 = 1 << 12;

/// The Matsumoto–Amano syllables: a Clifford+T word in normal form is `(T | ε) (HT | SHT)*`
/// followed by a Clifford, so gridsynth's output is mostly these two, each one opcode lane of
/// the Clifford+T model (one coder step for two or three gates, one qubit symbol for all).
pub const SYLLABLES: [&[Opcode]; 2] = [&[Opcode::H, Opcode::T], &[Opcode::S, Opcode::H, Opcode::T]];

/// Opcode `k` of syllable `i` (as the window stores it; out of range: `h`, never reached).
#[inline(always)]
pub(crate) fn syllable_op(i: usize, k: u32) -> u8 {
    SYLLABLES
        .get(i)
        .and_then(|s| s.get(k as usize))
        .map_or(Opcode::H as u8, |&op| op as u8)
}

/// A run of one-qubit gates the model codes as one unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packed {
    /// `len` opcodes copied from `dist` back in the window.
    Copy {
        /// Operations copied.
        len: u32,
        /// How far back the copy starts (1: the last opcode).
        dist: u32,
    },
    /// Syllable `i` of [`SYLLABLES`].
    Syllable(u8),
}

impl Packed {
    /// Operations it stands for.
    #[must_use]
    #[inline]
    pub fn ops(self) -> u32 {
        match self {
            Packed::Copy { len, .. } => len,
            Packed::Syllable(i) => SYLLABLES.get(usize::from(i)).map_or(0, |s| s.len()) as u32,
        }
    }
}

/// The last [`WINDOW`] one-qubit opcodes (encoder and decoder).
#[derive(Clone, Debug)]
pub(crate) struct Window {
    buf: Box<[u8; WINDOW]>,
    /// Opcodes pushed so far.
    len: u64,
}

impl Window {
    pub(crate) fn new() -> Window {
        Window {
            buf: Box::new([0; WINDOW]),
            len: 0,
        }
    }

    #[inline(always)]
    #[allow(clippy::indexing_slicing)] // masked into the window
    pub(crate) fn push(&mut self, op: u8) {
        self.buf[self.len as usize & WINDOW_MASK] = op;
        self.len += 1;
    }

    /// The opcode `d` places back (`1 <= d <= self.filled()`, checked when the copy began).
    #[inline(always)]
    #[allow(clippy::indexing_slicing)] // masked into the window
    pub(crate) fn back(&self, d: u32) -> u8 {
        self.buf[(self.len as usize).wrapping_sub(d as usize) & WINDOW_MASK]
    }

    /// How far back a copy may reach.
    pub(crate) fn filled(&self) -> u32 {
        self.len.min(WINDOW as u64) as u32
    }
}
