//! The pulse section as a whole: timing rules, the encoder and the streaming parser.

use alloc::vec;
use alloc::vec::Vec;

use super::atoms::AtomSet;
use super::fixed::{IDENTITY_ROTATION, check_dac_bits, check_rotation};
use super::header::{MAX_CHANNELS, MAX_MEMORY, MAX_MEMORY_SAMPLES, PulseHeader};
use super::models::{GAP_MAX_EXP, Models, bit_tree};
use super::play::{PlayBody, PlayCode, PulseItem, PulseSection};
use super::waveform::CodedWaveform;
use crate::coder::{Coder, DecoderState, RangeDecoder, RangeEncoder};
use crate::error::IsaError;
use crate::stream::{BlockHeader, MAX_BLOCK_BYTES, MAX_BLOCK_OPS, TARGET_BLOCK_BYTES};

/// Latest end time of a play, in samples (`dt` units): keeps every time sum inside `u64`.
pub const MAX_TIME: u64 = 1 << 62;

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
    check_dac_bits(section.dac_bits)?;
    Ok(PulseHeader {
        dac_bits: section.dac_bits,
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
    state: Option<DecoderState>,
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
        dac_bits: r.header().dac_bits,
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
