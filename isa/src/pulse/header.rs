//! The pulse section's plain, CRC-checked header.

use alloc::vec::Vec;

use super::atoms::{AtomSet, MAX_ATOMS, MAX_WINDOW};
use super::fixed::check_dac_bits;
use super::play::{ChannelId, ChannelKind};
use super::waveform::MAX_WAVEFORM_SAMPLES;
use crate::crc::crc32c;
use crate::error::IsaError;
use crate::varint::{read_uvarint, write_uvarint};

/// Most channels in a pulse section.
pub const MAX_CHANNELS: usize = 4096;
/// Most waveforms in the waveform memory.
pub const MAX_MEMORY: usize = 4096;
/// Most samples in the waveform memory, all waveforms together (16 MiB of samples).
pub const MAX_MEMORY_SAMPLES: u64 = 1 << 22;
/// Largest pulse-section header in bytes (channels are its only variable part).
pub const MAX_HEADER_BYTES: usize = 64 << 10;
/// The pulse section's own format version (its first header byte). Version 2 added the DAC
/// resolution.
pub const PULSE_VERSION: u8 = 2;

/// The pulse section's plain header (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PulseHeader {
    /// The DAC resolution, 1 to 16 bits: every played sample is rounded to its grid
    /// ([`dac_round`](super::fixed::dac_round)).
    pub dac_bits: u8,
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
        h.push(self.dac_bits);
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
    pub(super) fn write(&self, out: &mut Vec<u8>) {
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
        let mut pos = 2usize;
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
        let dac_bits = *h
            .get(1)
            .ok_or(IsaError::Corrupt("pulse section header cut short"))?;
        check_dac_bits(dac_bits)?;
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
            dac_bits,
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
