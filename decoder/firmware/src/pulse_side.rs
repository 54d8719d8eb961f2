//! The pulse section's side of a run: the pulse decoder and a reader of the same bytes.

use eqisa_decoder::{PulseDecoder, PulseEvent};
use eqisa_isa::pulse::{AtomSet, PulseHeader, PulseItem, PulseReader};

use crate::error::FirmwareError;
use crate::framing::PulseSpan;
use crate::state::State;

/// The pulse section's decoder, and a reader of the same verified bytes that says how each
/// play was coded (memory or inline), which [`eqisa_decoder::Play`] does not.
pub(crate) struct PulseSide<'a> {
    span: PulseSpan,
    dec: PulseDecoder<'a>,
    reader: Option<PulseReader<'a>>,
    payload: &'a [u8],
    atoms: Option<&'a AtomSet>,
    memory_seen: usize,
    ended: bool,
}

impl<'a> PulseSide<'a> {
    pub(crate) fn new(
        bytes: &'a [u8],
        span: PulseSpan,
        atoms: Option<&'a AtomSet>,
    ) -> Result<Self, FirmwareError> {
        let payload = bytes
            .get(span.start..span.end.min(bytes.len()))
            .unwrap_or(&[]);
        Ok(PulseSide {
            dec: PulseDecoder::new(atoms, &span.header, span.index)?,
            span,
            reader: None,
            payload,
            atoms,
            memory_seen: 0,
            ended: false,
        })
    }

    /// The pulse header, once decoded.
    pub(crate) fn header(&self) -> Option<&PulseHeader> {
        self.dec.header()
    }

    /// Whether the section has ended (every checksum matched).
    pub(crate) fn ended(&self) -> bool {
        self.ended
    }

    fn window(&self) -> usize {
        self.atoms.map_or(1, |a| a.window)
    }

    /// The next item of the section, as the reader decodes it.
    fn next_item(&mut self) -> Result<PulseItem, FirmwareError> {
        if self.reader.is_none() {
            self.reader = Some(PulseReader::new(self.payload, self.atoms)?);
        }
        self.reader
            .as_mut()
            .ok_or(FirmwareError::Inconsistent("no pulse reader"))?
            .next_item()?
            .ok_or(FirmwareError::Inconsistent(
                "the decoder released more items than the section holds",
            ))
    }

    /// Accounts for the memory waveforms the decoder has reconstructed since the last call.
    fn sync_memory(&mut self, st: &mut State) -> Result<(), FirmwareError> {
        while let Some(len) = self.dec.memory().get(self.memory_seen).map(Vec::len) {
            let PulseItem::Memory(wf) = self.next_item()? else {
                return Err(FirmwareError::Inconsistent(
                    "a memory waveform the reader sees as a play",
                ));
            };
            if wf.len() != len {
                return Err(FirmwareError::Inconsistent("a memory waveform's length"));
            }
            st.memory_waveform(&wf, self.window(), len as u64);
            self.memory_seen += 1;
        }
        Ok(())
    }

    /// Feeds the part of `bytes[from..to]` that is the pulse payload and handles what comes out.
    pub(crate) fn pump(
        &mut self,
        st: &mut State,
        bytes: &[u8],
        from: usize,
        to: usize,
    ) -> Result<(), FirmwareError> {
        let (a, b) = (from.max(self.span.start), to.min(self.span.end));
        if a >= b || self.ended {
            return Ok(());
        }
        let mut rest = bytes.get(a..b).unwrap_or(&[]);
        loop {
            match self.dec.next_event()? {
                PulseEvent::Play(p) => {
                    let (channel, start, len) = (p.channel_index, p.start, p.samples.len() as u64);
                    self.sync_memory(st)?;
                    let PulseItem::Play(code) = self.next_item()? else {
                        return Err(FirmwareError::Inconsistent(
                            "a play the reader sees as a memory waveform",
                        ));
                    };
                    if code.channel != channel || code.start != start {
                        return Err(FirmwareError::Inconsistent("a play's channel or start"));
                    }
                    st.play(channel, start, len, &code.body, self.window());
                }
                PulseEvent::NeedInput => {
                    self.sync_memory(st)?;
                    if rest.is_empty() {
                        return Ok(());
                    }
                    let n = self.dec.feed(rest);
                    if n == 0 {
                        return Err(FirmwareError::Stalled { at: b - rest.len() });
                    }
                    rest = rest.get(n..).unwrap_or(&[]);
                }
                PulseEvent::End => {
                    self.sync_memory(st)?;
                    self.ended = true;
                    return Ok(());
                }
            }
        }
    }
}
