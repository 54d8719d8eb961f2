//! Channels, plays and the pulse section's contents.

use alloc::vec::Vec;
use core::fmt;

use super::waveform::CodedWaveform;

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
    /// Memory waveform `slot`, each sample rotated/scaled by `rotation` (Q14, see the pulse
    /// module's documentation; [`IDENTITY_ROTATION`](super::fixed::IDENTITY_ROTATION) for none).
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
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PulseSection {
    /// The DAC resolution the samples are played at, 1 to 16 bits (16 by default).
    pub dac_bits: u8,
    /// The channels plays refer to (no duplicates).
    pub channels: Vec<ChannelId>,
    /// The waveform memory: waveforms sent once, played by slot.
    pub memory: Vec<CodedWaveform>,
    /// The plays, start times non-decreasing; plays on one channel must not overlap.
    pub plays: Vec<PlayCode>,
}

impl Default for PulseSection {
    fn default() -> Self {
        PulseSection {
            dac_bits: super::fixed::MAX_DAC_BITS,
            channels: Vec::new(),
            memory: Vec::new(),
            plays: Vec::new(),
        }
    }
}

/// One decoded item of a pulse section, in section order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PulseItem {
    /// The next waveform of the memory (slots are numbered in order, from 0).
    Memory(CodedWaveform),
    /// The next play.
    Play(PlayCode),
}
