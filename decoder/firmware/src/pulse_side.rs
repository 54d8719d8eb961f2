//! The pulse section's side of a run: the pulse decoder and a reader of the same bytes.

use eqisa_decoder::{Fed, PulseDecoder, feed_chunks};
use eqisa_isa::pulse::{AtomSet, PlayCode, PulseHeader, PulseItem, PulseReader};

use crate::error::FirmwareError;
use crate::framing::PulseSpan;
use crate::state::State;

/// The pulse section's decoder, and a reader of the same verified bytes that says how each
/// play was coded (memory or inline), which [`eqisa_decoder::Play`] does not.
pub(crate) struct PulseSide<'a> {
    span: PulseSpan,
    dec: PulseDecoder<'a>,
    items: Items<'a>,
    ended: bool,
}

/// The section's items as the reader decodes them, and what has been accounted of them.
struct Items<'a> {
    reader: Option<PulseReader<'a>>,
    payload: &'a [u8],
    atoms: Option<&'a AtomSet>,
    /// Memory waveforms accounted.
    memory_seen: usize,
    /// Lengths of the last memory waveforms accounted, not yet compared with the decoder's.
    unchecked: Vec<usize>,
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
            items: Items {
                reader: None,
                payload,
                atoms,
                memory_seen: 0,
                unchecked: Vec::new(),
            },
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
        let items = &mut self.items;
        let fed = feed_chunks(&mut self.dec, &mut rest, usize::MAX, |p| {
            let (channel, start) = (p.channel_index, p.start);
            // The memory waveforms decoded since the last play come first.
            let code = items.up_to_play(st)?;
            if code.channel != channel || code.start != start {
                return Err(FirmwareError::Inconsistent("a play's channel or start"));
            }
            st.play(
                channel,
                start,
                p.samples.len() as u64,
                &code.body,
                items.window(),
            );
            Ok(())
        })?;
        // And those decoded after the last play of this piece.
        self.items.sync_memory(st, &self.dec)?;
        match fed {
            Fed::End => self.ended = true,
            Fed::NeedInput => {}
            Fed::Stalled => return Err(FirmwareError::Stalled { at: b - rest.len() }),
        }
        Ok(())
    }
}

impl Items<'_> {
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

    /// Accounts for the memory waveforms before the next play, and returns how the play is
    /// coded. Their lengths are checked against the decoder's at the next
    /// [`Items::sync_memory`].
    fn up_to_play(&mut self, st: &mut State) -> Result<PlayCode, FirmwareError> {
        loop {
            match self.next_item()? {
                PulseItem::Memory(wf) => {
                    let len = wf.len();
                    st.memory_waveform(&wf, self.window(), len as u64);
                    self.memory_seen += 1;
                    self.unchecked.push(len);
                }
                PulseItem::Play(code) => return Ok(code),
            }
        }
    }

    /// Checks the memory waveforms accounted at plays against the decoder's `memory`, and
    /// accounts for those it has decoded since.
    fn sync_memory(
        &mut self,
        st: &mut State,
        memory: &PulseDecoder<'_>,
    ) -> Result<(), FirmwareError> {
        let first = self.memory_seen - self.unchecked.len();
        for (i, len) in self.unchecked.drain(..).enumerate() {
            match memory.memory_slot(first + i) {
                None => {
                    return Err(FirmwareError::Inconsistent(
                        "a play the reader sees as a memory waveform",
                    ));
                }
                Some(m) if m.len() != len => {
                    return Err(FirmwareError::Inconsistent("a memory waveform's length"));
                }
                Some(_) => {}
            }
        }
        while let Some(len) = memory.memory_slot(self.memory_seen).map(<[_]>::len) {
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
}
