//! Where a program's bytes belong, as they arrive: which of them are the pulse section's
//! payload (for the pulse decoder), and, over bytes in memory, the largest block.
//!
//! Only the framing is read here (the header's section count and each section's kind and
//! length); the decoders check every byte themselves. A framing that does not parse is left to
//! them: the tracker stops routing, and the instruction decoder reports the error.

use eqisa_isa::container::{HEADER_LEN, SECTION_HEADER_LEN};
use eqisa_isa::pulse::PulseHeader;
use eqisa_isa::stream::BlockHeader;
use eqisa_isa::{SectionHeader, SectionKind, parse_header, parse_section_header};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Header,
    SectionHeader,
    Payload {
        left: u64,
        pulses: bool,
    },
    /// The trailer, or anything after a framing that did not parse.
    Rest,
}

/// Follows the framing of the bytes fed so far.
#[derive(Debug)]
pub(crate) struct Tracker {
    part: Part,
    /// The header or section header being collected.
    head: [u8; HEADER_LEN],
    have: usize,
    sections_left: u8,
    next_index: u16,
    /// The pulse section's header and position, once its header has arrived.
    pulses: Option<(SectionHeader, u16)>,
}

impl Tracker {
    pub(crate) fn new() -> Tracker {
        Tracker {
            part: Part::Header,
            head: [0; HEADER_LEN],
            have: 0,
            sections_left: 0,
            next_index: 0,
            pulses: None,
        }
    }

    /// How many of the next bytes belong to the current part (at most), and whether they are
    /// the pulse section's payload.
    pub(crate) fn segment(&self) -> (usize, bool) {
        match self.part {
            Part::Header => (HEADER_LEN - self.have, false),
            Part::SectionHeader => (SECTION_HEADER_LEN - self.have, false),
            Part::Payload { left, pulses } => (usize::try_from(left).unwrap_or(usize::MAX), pulses),
            Part::Rest => (usize::MAX, false),
        }
    }

    /// The pulse section's header and position, once seen.
    pub(crate) fn pulses(&self) -> Option<(SectionHeader, u16)> {
        self.pulses
    }

    /// Takes `bytes`, at most [`Tracker::segment`]'s count.
    pub(crate) fn advance(&mut self, bytes: &[u8]) {
        match self.part {
            Part::Header | Part::SectionHeader => {
                let want = if self.part == Part::Header {
                    HEADER_LEN
                } else {
                    SECTION_HEADER_LEN
                };
                for &b in bytes {
                    if let Some(slot) = self.head.get_mut(self.have) {
                        *slot = b;
                        self.have += 1;
                    }
                }
                if self.have < want {
                    return;
                }
                self.have = 0;
                let head = self.head.get(..want).unwrap_or(&[]);
                if self.part == Part::Header {
                    match parse_header(head) {
                        Ok((pre, _)) => {
                            self.sections_left = pre.section_count;
                            self.next_section();
                        }
                        Err(_) => self.part = Part::Rest,
                    }
                    return;
                }
                match parse_section_header(head) {
                    Ok((sh, _)) => {
                        let index = self.next_index;
                        self.next_index = self.next_index.saturating_add(1);
                        self.sections_left = self.sections_left.saturating_sub(1);
                        let pulses = sh.kind == SectionKind::Pulses as u8;
                        if pulses && self.pulses.is_none() {
                            self.pulses = Some((sh, index));
                        }
                        self.part = Part::Payload {
                            left: u64::from(sh.payload_len),
                            pulses,
                        };
                        if sh.payload_len == 0 {
                            self.next_section();
                        }
                    }
                    Err(_) => self.part = Part::Rest,
                }
            }
            Part::Payload { left, pulses } => {
                let left = left.saturating_sub(bytes.len() as u64);
                self.part = Part::Payload { left, pulses };
                if left == 0 {
                    self.next_section();
                }
            }
            Part::Rest => {}
        }
    }

    fn next_section(&mut self) {
        self.part = if self.sections_left > 0 {
            Part::SectionHeader
        } else {
            Part::Rest
        };
    }
}

/// What the framing of `bytes` (a program, or the start of one) shows: the largest block
/// payload and the largest section a decoder must hold whole (program, metadata, control, job),
/// and whether `bytes` holds the whole program up to its trailer. A framing that does not parse
/// ends the walk (the decoder will say what is wrong).
pub(crate) fn largest_block(bytes: &[u8]) -> (usize, bool) {
    let Ok((pre, mut pos)) = parse_header(bytes) else {
        return (0, false);
    };
    let mut largest = 0usize;
    for _ in 0..pre.section_count {
        let Ok((sh, used)) = parse_section_header(bytes.get(pos..).unwrap_or(&[])) else {
            return (largest, false);
        };
        pos += used;
        let len = sh.payload_len as usize;
        let end = pos.saturating_add(len);
        let payload = bytes.get(pos..end.min(bytes.len())).unwrap_or(&[]);
        match SectionKind::try_from(sh.kind) {
            Ok(SectionKind::Instructions) => largest = largest.max(blocks(payload)),
            Ok(SectionKind::Pulses) => {
                if let Ok(Some((_, used))) = PulseHeader::parse(payload) {
                    largest = largest.max(blocks(payload.get(used..).unwrap_or(&[])));
                }
            }
            Ok(SectionKind::Sweep) => {}
            _ => largest = largest.max(len),
        }
        if end > bytes.len() {
            return (largest, false);
        }
        pos = end;
    }
    let whole = bytes.len() >= pos.saturating_add(eqisa_isa::container::TRAILER_LEN);
    (largest, whole)
}

/// The largest block payload among the whole blocks at the start of `payload`.
fn blocks(mut payload: &[u8]) -> usize {
    let mut largest = 0;
    while let Ok(Some((bh, hlen))) = BlockHeader::parse(payload) {
        largest = largest.max(bh.len);
        let Some(rest) = payload.get(hlen.saturating_add(bh.len)..) else {
            // A block cut short: it is still one the decoder must hold.
            break;
        };
        payload = rest;
    }
    largest
}
