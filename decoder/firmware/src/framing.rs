//! Where the decoder's units of work end in the byte stream.
//!
//! The decoders check a CRC before releasing anything decoded from a block, so a block's first
//! instruction (or play) can only come out once the whole block has crossed the link. The
//! firmware simulation therefore feeds the real decoders one *unit* at a time — the header, a whole
//! program or metadata section, one instruction block (the section header rides with the first),
//! the pulse header, one pulse block, the trailer — and needs each unit's end before decoding it.
//! This module finds those ends from the framing alone (lengths and block headers), without
//! decoding anything; the decoders then check every byte themselves.

use eqisa_isa::container::TRAILER_LEN;
use eqisa_isa::pulse::PulseHeader;
use eqisa_isa::stream::BlockHeader;
use eqisa_isa::{IsaError, SectionHeader, SectionKind, parse_header, parse_section_header};

/// Where the pulse section lies, once its header has been framed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PulseSpan {
    /// The section header (kind, length, CRC), for [`eqisa_decoder::PulseDecoder::new`].
    pub header: SectionHeader,
    /// The section's position in the file.
    pub index: u16,
    /// First payload byte.
    pub start: usize,
    /// One past the last payload byte (may lie past the end of a truncated file).
    pub end: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Header,
    Section,
    Blocks,
    PulseHeader,
    Trailer,
    Done,
}

/// Walks a file's framing, unit by unit.
#[derive(Debug)]
pub(crate) struct Framer<'a> {
    bytes: &'a [u8],
    pos: usize,
    state: State,
    sections_left: u16,
    next_index: u16,
    section_end: usize,
    pulse_seen: bool,
    new_pulse: Option<PulseSpan>,
}

impl<'a> Framer<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Framer {
            bytes,
            pos: 0,
            state: State::Header,
            sections_left: 0,
            next_index: 0,
            section_end: 0,
            pulse_seen: false,
            new_pulse: None,
        }
    }

    /// The pulse section framed by the last [`Framer::next_end`], if it opened one.
    pub(crate) fn take_pulse(&mut self) -> Option<PulseSpan> {
        self.new_pulse.take()
    }

    fn window(&self) -> &'a [u8] {
        let end = self.section_end.min(self.bytes.len());
        self.bytes.get(self.pos..end).unwrap_or(&[])
    }

    fn truncated(&self, what: &'static str) -> IsaError {
        IsaError::Truncated {
            what,
            needed: 1,
            available: self.window().len() as u64,
        }
    }

    /// The end (exclusive byte offset) of the next unit; `None` after the trailer. Ends are
    /// non-decreasing and may lie past the end of a truncated file.
    ///
    /// # Errors
    /// Whatever makes the framing unreadable; the caller then lets the decoders read the rest
    /// and name the problem themselves.
    pub(crate) fn next_end(&mut self) -> Result<Option<usize>, IsaError> {
        loop {
            match self.state {
                State::Header => {
                    let (pre, used) = parse_header(self.bytes)?;
                    self.sections_left = u16::from(pre.section_count);
                    self.pos = used;
                    self.state = State::Section;
                    return Ok(Some(used));
                }
                State::Section => {
                    if self.sections_left == 0 {
                        self.state = State::Trailer;
                        continue;
                    }
                    let rest = self.bytes.get(self.pos..).unwrap_or(&[]);
                    let (sh, used) = parse_section_header(rest)?;
                    let index = self.next_index;
                    self.next_index = self.next_index.saturating_add(1);
                    self.sections_left -= 1;
                    let start = self.pos + used;
                    let end = start
                        .checked_add(sh.payload_len as usize)
                        .ok_or(IsaError::LengthOverflow { what: "section" })?;
                    self.pos = start;
                    self.section_end = end;
                    match SectionKind::try_from(sh.kind) {
                        Ok(SectionKind::Instructions) => self.state = State::Blocks,
                        Ok(SectionKind::Pulses) => {
                            if self.pulse_seen {
                                return Err(IsaError::Corrupt("a second pulse section"));
                            }
                            self.pulse_seen = true;
                            self.new_pulse = Some(PulseSpan {
                                header: sh,
                                index,
                                start,
                                end,
                            });
                            self.state = State::PulseHeader;
                        }
                        // Program, metadata (and unknown kinds, which the decoder rejects):
                        // read whole.
                        _ => {
                            self.pos = end;
                            return Ok(Some(end));
                        }
                    }
                }
                State::Blocks => {
                    if self.pos >= self.section_end {
                        self.state = State::Section;
                        continue;
                    }
                    let Some((bh, hlen)) = BlockHeader::parse(self.window())? else {
                        return Err(self.truncated("block header"));
                    };
                    let end = self.pos + hlen + bh.len;
                    if end > self.section_end {
                        return Err(IsaError::Corrupt("a block runs past its section"));
                    }
                    self.pos = end;
                    return Ok(Some(end));
                }
                State::PulseHeader => {
                    let Some((_, used)) = PulseHeader::parse(self.window())? else {
                        return Err(self.truncated("pulse section header"));
                    };
                    self.pos += used;
                    // Pulse blocks share the instruction blocks' framing.
                    self.state = State::Blocks;
                    return Ok(Some(self.pos));
                }
                State::Trailer => {
                    self.state = State::Done;
                    self.pos += TRAILER_LEN;
                    return Ok(Some(self.pos));
                }
                State::Done => return Ok(None),
            }
        }
    }
}
