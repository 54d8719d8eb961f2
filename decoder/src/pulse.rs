//! The pulse-section decoder: a pulse section's bytes in, timed I/Q samples out.

use alloc::boxed::Box;
use alloc::vec::Vec;

use eqisa_isa::coder::{DecoderState, RangeDecoder};
use eqisa_isa::pulse::{
    AtomSet, ChannelId, CodedWaveform, IDENTITY_ROTATION, MAX_DAC_BITS, PlayBody, PulseHeader,
    PulseItem, PulseParser, WindowScratch, dac_round, reconstruct_unchecked_with, rotate_into,
};
use eqisa_isa::stream::BlockHeader;
use eqisa_isa::{Crc32c, IsaError, SectionHeader, SectionKind};

use crate::stream::{MAX_BUFFER, buffer_sizes};

/// One play, as [`PulseDecoder::next_event`] releases it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Play<'a> {
    /// The channel it plays on.
    pub channel: ChannelId,
    /// The channel's position in the section's channel list.
    pub channel_index: u32,
    /// Start, in samples (`dt` units) from the program start.
    pub start: u64,
    /// Its I/Q samples, ready for the DAC.
    pub samples: &'a [[i16; 2]],
}

/// What [`PulseDecoder::next_event`] produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PulseEvent<'a> {
    /// The next play, in time order.
    Play(Play<'a>),
    /// Feed more of the section's bytes.
    NeedInput,
    /// The section is complete and every checksum matched.
    End,
}

/// Streaming decoder of one pulse section's payload: bytes in, timed I/Q samples out, play by
/// play.
///
/// It takes the section's payload in pieces of any size ([`PulseDecoder::feed`]) and releases
/// one play at a time ([`PulseDecoder::next_event`]): its channel, its start (in samples, `dt`
/// units) and its samples, rebuilt with the `eqisa-isa` fixed-point definition
/// ([`eqisa_isa::pulse::reconstruct_into`], [`eqisa_isa::pulse::rotate_samples`]), so they are
/// bit for bit what the assembler computed. The parser has already validated every waveform it
/// returns, so the decoder reconstructs through
/// [`eqisa_isa::pulse::reconstruct_unchecked_with`] (no second validation pass, one scratch
/// space for the whole section); a memory play with the identity rotation releases the memory
/// waveform's samples themselves, without a copy, and any other rotation is applied in the same
/// pass that copies them ([`eqisa_isa::pulse::rotate_into`]). Nothing is allocated per play.
///
/// Memory is bounded by the section header, whatever the section's length: the atoms (borrowed
/// from the codebook), the reconstructed waveform memory (at most
/// [`eqisa_isa::pulse::MAX_MEMORY_SAMPLES`] samples), one block of input
/// ([`eqisa_isa::stream::MAX_BLOCK_BYTES`]) and one play (at most
/// [`eqisa_isa::pulse::MAX_WAVEFORM_SAMPLES`] samples).
///
/// Nothing is released unchecked: the pulse header's CRC is checked before it is used, each
/// block's CRC before the first item is decoded from it (so a play's samples only ever come from
/// verified bytes), and the section CRC (over kind, length and the whole payload) before
/// [`PulseEvent::End`].
///
/// # Example
///
/// ```
/// # use eqisa_isa::container::codebook_id;
/// # use eqisa_isa::pulse::{
/// #     ChannelId, ChannelKind, CodedWaveform, IDENTITY_ROTATION, PlayBody, PlayCode,
/// #     PulseSection, encode_pulse_section,
/// # };
/// # use eqisa_isa::{Container, Header, Section, SectionKind, Target};
/// # let section = PulseSection {
/// #     dac_bits: 16,
/// #     channels: vec![ChannelId { kind: ChannelKind::Drive, index: 0 }],
/// #     memory: vec![CodedWaveform::Lossless(vec![[1000, 0]; 4])],
/// #     plays: vec![
/// #         PlayCode {
/// #             channel: 0, start: 0,
/// #             body: PlayBody::Memory { slot: 0, rotation: IDENTITY_ROTATION },
/// #         },
/// #         PlayCode {
/// #             channel: 0, start: 10,
/// #             body: PlayBody::Inline(CodedWaveform::Lossless(vec![[0, 500]; 3])),
/// #         },
/// #     ],
/// # };
/// # let payload = encode_pulse_section(&section, None)?;
/// # let header = Header {
/// #     codebook_id: codebook_id(&[7; 32]), qubit_count: 1, clbit_count: 0,
/// #     target: Target::Native,
/// # };
/// # let sections = vec![Section { kind: SectionKind::Pulses, payload }];
/// # let file = Container { header, sections }.to_bytes()?;
/// use eqisa_decoder::{PulseDecoder, PulseEvent};
/// use eqisa_isa::{parse_header, parse_section_header};
///
/// // `file` is a whole `.eqb` whose only section is a pulse section: a 4-sample waveform in
/// // memory played on `d0` at 0, then 3 samples coded inline at 10. Its waveforms are lossless,
/// // so no codebook atoms are needed.
/// let (_, at) = parse_header(&file)?;
/// let (section, used) = parse_section_header(&file[at..])?;
/// let mut payload = &file[at + used..at + used + section.payload_len as usize];
/// let mut dec = PulseDecoder::new(None, &section, 0)?;
/// let mut plays = Vec::new();
/// loop {
///     match dec.next_event()? {
///         PulseEvent::Play(p) => plays.push((p.channel.to_string(), p.start, p.samples.to_vec())),
///         PulseEvent::NeedInput => {
///             // As the bytes arrive: 8 at a time.
///             let n = dec.feed(&payload[..payload.len().min(8)]);
///             payload = &payload[n..];
///         }
///         PulseEvent::End => break,
///     }
/// }
/// assert_eq!(plays[0], ("d0".to_string(), 0, vec![[1000, 0]; 4]));
/// assert_eq!(plays[1], ("d0".to_string(), 10, vec![[0, 500]; 3]));
/// # Ok::<(), eqisa_isa::IsaError>(())
/// ```
#[derive(Debug)]
pub struct PulseDecoder<'a> {
    atoms: Option<&'a AtomSet>,
    section: SectionHeader,
    index: u16,
    crc: Crc32c,
    /// Payload bytes not yet consumed.
    remaining: usize,
    /// Payload bytes not yet fed.
    unfed: usize,
    buf: Vec<u8>,
    start: usize,
    parser: Option<PulseParser>,
    block: Vec<u8>,
    rd: Option<DecoderState>,
    block_left: u64,
    blocks: u64,
    /// The waveform memory's samples, slot after slot (reserved whole from the header's
    /// `memory_samples` when reserving).
    memory: Vec<[i16; 2]>,
    /// Per memory slot: where its samples start in `memory`, and how many.
    slots: Vec<(usize, usize)>,
    play: Vec<[i16; 2]>,
    scratch: Box<WindowScratch>,
    done: bool,
    /// Most input bytes held at once.
    max_buffer: usize,
    /// Reserve every buffer up front (see [`PulseDecoder::with_buffers`]).
    reserve: bool,
}

impl<'a> PulseDecoder<'a> {
    /// A decoder for the section whose (already parsed) header is `section`, the section's
    /// position in the file being `index`; `atoms` are the codebook's pulse atoms.
    ///
    /// # Errors
    /// [`IsaError::Corrupt`] if `section` is not a pulse section.
    pub fn new(
        atoms: Option<&'a AtomSet>,
        section: &SectionHeader,
        index: u16,
    ) -> Result<Self, IsaError> {
        if section.kind != SectionKind::Pulses as u8 {
            return Err(IsaError::Corrupt("not a pulse section"));
        }
        let len = section.payload_len as usize;
        Ok(PulseDecoder {
            atoms,
            section: *section,
            index,
            crc: section.payload_hasher(),
            remaining: len,
            unfed: len,
            buf: Vec::new(),
            start: 0,
            parser: None,
            block: Vec::new(),
            rd: None,
            block_left: 0,
            blocks: 0,
            memory: Vec::new(),
            slots: Vec::new(),
            play: Vec::new(),
            scratch: Box::default(),
            done: false,
            max_buffer: MAX_BUFFER,
            reserve: false,
        })
    }

    /// Hold at most `max_block_bytes` of one block (and its framing) and reserve every buffer
    /// up front: the input and block buffers now, the waveform memory and the play buffer when
    /// the pulse header sizes them. A larger block is refused with [`IsaError::Limit`].
    ///
    /// What still allocates per item is the coded waveform `eqisa-isa`'s parser returns (a
    /// vector of at most the header's longest waveform), dropped before the next item.
    #[must_use]
    pub fn with_buffers(mut self, max_block_bytes: usize) -> Self {
        let (max_buffer, block) = buffer_sizes(max_block_bytes);
        self.max_buffer = max_buffer;
        self.reserve = true;
        self.buf = Vec::with_capacity(self.max_buffer);
        self.block = Vec::with_capacity(block);
        self
    }

    /// How many bytes [`PulseDecoder::feed`] would take now.
    #[must_use]
    pub fn room(&self) -> usize {
        self.max_buffer
            .saturating_sub(self.buf.len().saturating_sub(self.start))
            .min(self.unfed)
    }

    /// Offers payload bytes; returns how many were taken (never more than the section has left,
    /// and fewer when the buffer is full: call [`PulseDecoder::next_event`] until it asks for
    /// input, then offer the rest).
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let room = self.max_buffer.saturating_sub(self.buf.len());
        let n = room.min(bytes.len()).min(self.unfed);
        self.buf.extend_from_slice(bytes.get(..n).unwrap_or(&[]));
        self.unfed -= n;
        n
    }

    /// The pulse header, once read.
    #[must_use]
    pub fn header(&self) -> Option<&PulseHeader> {
        self.parser.as_ref().map(PulseParser::header)
    }

    /// Memory waveforms decoded so far.
    #[must_use]
    pub fn memory_slots(&self) -> usize {
        self.slots.len()
    }

    /// The samples of memory waveform `slot`, once decoded.
    #[must_use]
    pub fn memory_slot(&self, slot: usize) -> Option<&[[i16; 2]]> {
        let &(at, len) = self.slots.get(slot)?;
        self.memory.get(at..at + len)
    }

    fn available(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or(&[])
    }

    fn consume(&mut self, n: usize) {
        let end = (self.start + n).min(self.buf.len());
        let bytes = self.buf.get(self.start..end).unwrap_or(&[]);
        self.crc.update(bytes);
        self.remaining = self.remaining.saturating_sub(bytes.len());
        self.start = end;
    }

    /// Whether every byte of the section is in the buffer (so "need more" means truncation).
    fn all_fed(&self) -> bool {
        self.unfed == 0
    }

    fn truncated(&self, what: &'static str) -> IsaError {
        IsaError::Truncated {
            what,
            needed: 1,
            available: self.remaining as u64,
        }
    }

    /// Advances: the next play, a request for input, or the end of the section.
    ///
    /// # Errors
    /// Any corruption of the section ([`IsaError::BlockCrc`], [`IsaError::SectionCrc`],
    /// [`IsaError::Corrupt`], [`IsaError::Truncated`], ...), and the atom errors of
    /// [`eqisa_isa::pulse`] (mismatched or missing atoms, atom index out of range).
    pub fn next_event(&mut self) -> Result<PulseEvent<'_>, IsaError> {
        loop {
            if self.done {
                return Ok(PulseEvent::End);
            }
            let Some(parser) = self.parser.as_mut() else {
                let window = self
                    .available()
                    .get(..self.remaining.min(self.available().len()))
                    .unwrap_or(&[]);
                let Some((header, used)) = PulseHeader::parse(window)? else {
                    if self.all_fed() {
                        return Err(self.truncated("pulse section header"));
                    }
                    return Ok(PulseEvent::NeedInput);
                };
                let parser = PulseParser::new(header, self.atoms)?;
                let h = parser.header();
                self.slots = Vec::with_capacity(h.memory_count as usize);
                self.play = Vec::with_capacity(h.max_len as usize);
                if self.reserve {
                    // Bounded by the header's limit (MAX_MEMORY_SAMPLES); the parser refuses
                    // more samples than the header declares.
                    self.memory = Vec::with_capacity(h.memory_samples as usize);
                }
                self.parser = Some(parser);
                self.consume(used);
                continue;
            };
            if self.block_left > 0 {
                let Some(state) = self.rd else {
                    return Err(IsaError::Corrupt("no open pulse block"));
                };
                let mut rd = RangeDecoder::resume(&self.block, state);
                let item = parser.decode_item(&mut rd, self.atoms)?;
                self.rd = Some(rd.state());
                self.block_left -= 1;
                match item {
                    PulseItem::Memory(CodedWaveform::Lossless(samples)) => {
                        self.slots.push((self.memory.len(), samples.len()));
                        self.memory.extend_from_slice(&samples);
                    }
                    PulseItem::Memory(wf) => {
                        // Validated by the parser. Rebuilt in the play buffer (the header's
                        // longest waveform), then kept in the memory.
                        reconstruct_unchecked_with(
                            self.atoms,
                            &wf,
                            &mut self.scratch,
                            &mut self.play,
                        )?;
                        self.slots.push((self.memory.len(), self.play.len()));
                        self.memory.extend_from_slice(&self.play);
                    }
                    PulseItem::Play(p) => {
                        let bits = parser.header().dac_bits;
                        // Whether the play's samples are in `self.play` (else the memory slot).
                        let in_play = match &p.body {
                            PlayBody::Inline(wf) => {
                                // Validated by the parser.
                                reconstruct_unchecked_with(
                                    self.atoms,
                                    wf,
                                    &mut self.scratch,
                                    &mut self.play,
                                )?;
                                true
                            }
                            PlayBody::Memory { slot, rotation } => {
                                let m = self
                                    .slots
                                    .get(*slot as usize)
                                    .and_then(|&(at, len)| self.memory.get(at..at + len))
                                    .ok_or(IsaError::Corrupt(
                                        "a play of a memory slot that does not exist",
                                    ))?;
                                if *rotation != IDENTITY_ROTATION {
                                    rotate_into(m, *rotation, &mut self.play)?;
                                    true
                                } else if bits < MAX_DAC_BITS {
                                    self.play.clear();
                                    self.play.extend_from_slice(m);
                                    true
                                } else {
                                    false
                                }
                            }
                        };
                        // What the DAC plays: its resolution's grid (the identity at 16 bits).
                        if bits < MAX_DAC_BITS {
                            for s in &mut self.play {
                                *s = dac_round(*s, bits);
                            }
                        }
                        let samples: &[[i16; 2]] = match (&p.body, in_play) {
                            (PlayBody::Memory { slot, .. }, false) => self
                                .slots
                                .get(*slot as usize)
                                .and_then(|&(at, len)| self.memory.get(at..at + len))
                                .unwrap_or(&[]),
                            _ => &self.play,
                        };
                        let channel = parser
                            .header()
                            .channels
                            .get(p.channel as usize)
                            .copied()
                            .ok_or(IsaError::Corrupt("a play on a channel that does not exist"))?;
                        return Ok(PulseEvent::Play(Play {
                            channel,
                            channel_index: p.channel,
                            start: p.start,
                            samples,
                        }));
                    }
                }
                continue;
            }
            let items_left = parser.items_left();
            if items_left == 0 {
                if self.remaining > 0 {
                    return Err(IsaError::Corrupt(
                        "bytes after the last item of the pulse section",
                    ));
                }
                self.section
                    .check_crc(self.index, self.crc.finish())
                    .map(|_| ())?;
                self.done = true;
                continue;
            }
            let window = self
                .available()
                .get(..self.remaining.min(self.available().len()))
                .unwrap_or(&[]);
            let Some((bh, hlen)) = BlockHeader::parse(window)? else {
                if self.all_fed() {
                    return Err(self.truncated("pulse block header"));
                }
                return Ok(PulseEvent::NeedInput);
            };
            let total = hlen + bh.len;
            if total > self.remaining {
                return Err(IsaError::Corrupt("a pulse block runs past its section"));
            }
            if total > self.max_buffer {
                // Else it would wait for input the buffer cannot take.
                return Err(IsaError::Limit {
                    what: "pulse block with its framing (bytes)",
                    found: total as u64,
                    max: self.max_buffer as u64,
                });
            }
            if self.available().len() < total {
                if self.all_fed() {
                    return Err(self.truncated("pulse block"));
                }
                return Ok(PulseEvent::NeedInput);
            }
            let from = self.start + hlen;
            let payload = self
                .buf
                .get(from..from + bh.len)
                .ok_or(IsaError::Corrupt("pulse block out of the buffer"))?;
            let computed = BlockHeader::checksum(bh.len, bh.ops, payload);
            if computed != bh.crc {
                return Err(IsaError::BlockCrc {
                    block: self.blocks,
                    stored: bh.crc,
                    computed,
                });
            }
            if bh.ops > items_left {
                return Err(IsaError::Corrupt("more pulse items than the header says"));
            }
            self.block.clear();
            self.block.extend_from_slice(payload);
            self.block_left = bh.ops;
            self.blocks += 1;
            self.consume(total);
            self.rd = Some(RangeDecoder::new(&self.block).state());
        }
    }
}
