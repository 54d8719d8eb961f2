//! One program being decoded: the codebook, the instruction decoder, the pulse decoder and the
//! framing that routes the pulse section's bytes, in safe Rust. The C functions wrap it.

use eqisa_decoder::{Decoder, Event, PulseDecoder, PulseEvent};
use eqisa_isa::IsaError;
use eqisa_isa::codebook::Codebook;
use eqisa_isa::pulse::{AtomSet, ChannelKind};

use crate::error::{EqisaStatus, Failure};
use crate::framing::Tracker;
use crate::types::{EqisaAwait, EqisaEvent, EqisaEventKind, EqisaOp, EqisaPlay};

/// Most qubits the C decoder takes: its per-qubit state and its operand buffer are then sized
/// when the program section is read, and never grow (the model's operand buffer is reserved
/// for up to 2^16 operands).
pub const EQISA_MAX_QUBITS: u32 = 1 << 16;

/// The codebook a decoder borrows, parsed into its memory.
#[derive(Debug)]
pub(crate) struct Book {
    codebook: Codebook,
    atoms: Option<AtomSet>,
    hash: [u8; 32],
}

impl Book {
    pub(crate) fn parse(bytes: &[u8]) -> Result<Book, Failure> {
        let (codebook, atoms, hash) =
            Codebook::parse_with_pulse_atoms(bytes).map_err(Failure::codebook)?;
        Ok(Book {
            codebook,
            atoms,
            hash,
        })
    }
}

/// The decoders of one program. `'b` is the codebook's lifetime (the C handle keeps the codebook
/// beside the session in the caller's memory).
#[derive(Debug)]
pub(crate) struct Session<'b> {
    book: &'b Book,
    block_bytes: usize,
    dec: Decoder<'b>,
    pulses: Option<PulseDecoder<'b>>,
    tracker: Tracker,
    /// The instruction decoder reached its end.
    instructions_done: bool,
    /// A real-time condition waits for its answer.
    awaiting: bool,
    /// The first error; every call after it returns it again.
    failed: Option<Failure>,
}

impl<'b> Session<'b> {
    /// A session for programs of `book`, holding blocks of at most `block_bytes`.
    pub(crate) fn new(book: &'b Book, block_bytes: usize) -> Session<'b> {
        let dec = Decoder::with_max_qubits(&book.codebook.priors, book.hash, EQISA_MAX_QUBITS)
            .with_buffers(block_bytes);
        Session {
            book,
            block_bytes,
            dec,
            pulses: None,
            tracker: Tracker::new(),
            instructions_done: false,
            awaiting: false,
            failed: None,
        }
    }

    /// The first error, if any.
    pub(crate) fn failed(&self) -> Option<&Failure> {
        self.failed.as_ref()
    }

    /// Records `failure` (the session is unusable after it) and returns it.
    pub(crate) fn fail(&mut self, failure: Failure) -> Failure {
        self.failed = Some(failure.clone());
        failure
    }

    /// Offers `bytes`; returns how many were taken. Stops at the start of the pulse section's
    /// payload until `next` has set up the pulse decoder.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<usize, Failure> {
        if let Some(f) = &self.failed {
            return Err(f.clone());
        }
        let mut taken = 0usize;
        while taken < bytes.len() {
            let (segment, pulse_bytes) = self.tracker.segment();
            let mut n = segment.min(bytes.len() - taken).min(self.dec.room());
            if pulse_bytes {
                match &self.pulses {
                    Some(p) => n = n.min(p.room()),
                    None => break,
                }
            }
            if n == 0 {
                break;
            }
            let piece = bytes.get(taken..taken + n).unwrap_or(&[]);
            let fed = self.dec.feed(piece);
            if pulse_bytes && let Some(p) = self.pulses.as_mut() {
                p.feed(piece.get(..fed).unwrap_or(&[]));
            }
            self.tracker.advance(piece.get(..fed).unwrap_or(&[]));
            taken += fed;
            if fed < n {
                break;
            }
        }
        Ok(taken)
    }

    /// The next event.
    pub(crate) fn next(&mut self) -> Result<EqisaEvent, Failure> {
        if let Some(f) = &self.failed {
            return Err(f.clone());
        }
        let r = self.step();
        r.map_err(|f| self.fail(f))
    }

    fn step(&mut self) -> Result<EqisaEvent, Failure> {
        if self.awaiting {
            return Err(Failure::text(
                EqisaStatus::ErrState,
                "a real-time condition waits for eqisa_decoder_answer",
            ));
        }
        if !self.instructions_done {
            match self.dec.next_event().map_err(Failure::isa)? {
                Event::Instr(t) => {
                    let i = &t.instr;
                    let mut ev = EqisaEvent::empty(EqisaEventKind::Op);
                    ev.op = EqisaOp {
                        opcode: i.opcode as u8,
                        has_condition: i.cond.is_some(),
                        condition: i.cond.unwrap_or(0),
                        qubit_count: u32::try_from(i.qubits.len()).unwrap_or(u32::MAX),
                        qubits: i.qubits.as_ptr(),
                        arg: i.arg,
                        bit_offset: t.bit_offset,
                        start_ns: t.start_ns,
                        duration_ns: t.duration_ns,
                    };
                    return Ok(ev);
                }
                Event::Await { cond, bit_offset } => {
                    self.awaiting = true;
                    let mut ev = EqisaEvent::empty(EqisaEventKind::Await);
                    ev.condition = EqisaAwait {
                        condition: cond,
                        bit_offset,
                        iteration: self.dec.loop_iteration().unwrap_or(0),
                    };
                    return Ok(ev);
                }
                Event::NeedInput => {
                    // Everything before the pulse section's payload has been read: its
                    // decoder's turn (set up now, so that its memory comes after the
                    // instruction decoder's, whatever the chunks).
                    self.open_pulses()?;
                    return match self.next_play()? {
                        Some(ev) => Ok(ev),
                        None => Ok(EqisaEvent::empty(EqisaEventKind::NeedInput)),
                    };
                }
                Event::End => self.instructions_done = true,
            }
        }
        self.open_pulses()?;
        if self.pulses.is_some() {
            return match self.next_play()? {
                Some(ev) => Ok(ev),
                None => Err(Failure::isa(IsaError::Corrupt(
                    "the pulse section ended before its last item",
                ))),
            };
        }
        Ok(EqisaEvent::empty(EqisaEventKind::End))
    }

    /// Sets up the pulse decoder once the pulse section's header has arrived.
    fn open_pulses(&mut self) -> Result<(), Failure> {
        if self.pulses.is_some() {
            return Ok(());
        }
        let Some((sh, index)) = self.tracker.pulses() else {
            return Ok(());
        };
        let p = PulseDecoder::new(self.book.atoms.as_ref(), &sh, index)
            .map_err(Failure::isa)?
            .with_buffers(self.block_bytes);
        self.pulses = Some(p);
        Ok(())
    }

    /// The pulse decoder's next play; `None` when it needs input. At its end, the end of the
    /// program once the instruction decoder has ended too.
    fn next_play(&mut self) -> Result<Option<EqisaEvent>, Failure> {
        let Some(p) = self.pulses.as_mut() else {
            return Ok(None);
        };
        match p.next_event().map_err(Failure::isa)? {
            PulseEvent::Play(play) => {
                let mut ev = EqisaEvent::empty(EqisaEventKind::Play);
                ev.play = EqisaPlay {
                    channel_kind: match play.channel.kind {
                        ChannelKind::Drive => 0,
                        ChannelKind::Control => 1,
                        ChannelKind::Measure => 2,
                    },
                    channel_index: play.channel.index,
                    channel_position: play.channel_index,
                    start: play.start,
                    sample_count: play.samples.len() as u64,
                    samples: play.samples.as_ptr().cast(),
                };
                Ok(Some(ev))
            }
            PulseEvent::NeedInput => Ok(None),
            PulseEvent::End if self.instructions_done => {
                Ok(Some(EqisaEvent::empty(EqisaEventKind::End)))
            }
            PulseEvent::End => Ok(None),
        }
    }

    /// Answers the pending real-time condition.
    pub(crate) fn answer(&mut self, holds: bool) -> Result<(), Failure> {
        if let Some(f) = &self.failed {
            return Err(f.clone());
        }
        if !self.awaiting {
            return Err(Failure::text(
                EqisaStatus::ErrState,
                "no real-time condition is waiting for an answer",
            ));
        }
        self.awaiting = false;
        self.dec.answer(holds);
        Ok(())
    }

    /// At the end of the input: an error unless the whole program was read and checked.
    pub(crate) fn finish(&mut self) -> Result<(), Failure> {
        if let Some(f) = &self.failed {
            return Err(f.clone());
        }
        let r = self.dec.finish().map_err(Failure::isa).and_then(|()| {
            if self.instructions_done {
                Ok(())
            } else {
                Err(Failure::text(
                    EqisaStatus::ErrState,
                    "eqisa_decoder_finish before eqisa_decoder_next returned the end",
                ))
            }
        });
        r.map_err(|f| self.fail(f))
    }
}
