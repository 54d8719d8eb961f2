//! The feed loop shared by every user of the streaming decoders: offer bytes in chunks, drain
//! what they release, stop at the end or when the input runs out.

use eqisa_isa::IsaError;
use eqisa_isa::instr::TimedInstr;

use crate::pulse::{Play, PulseDecoder, PulseEvent};
use crate::stream::{Decoder, Event};

/// A streaming decoder that [`feed_chunks`] can drive: bytes in with [`StreamDecoder::feed`],
/// items out with [`StreamDecoder::drain`]. [`Decoder`] releases timed instructions (as
/// `&TimedInstr`), [`PulseDecoder`] plays.
pub trait StreamDecoder {
    /// What the decoder releases, borrowed from it until the next call.
    type Item<'a>;

    /// Offers bytes; returns how many were taken (fewer than offered when the decoder's buffer
    /// is full: drain, then offer the rest).
    fn feed(&mut self, bytes: &[u8]) -> usize;

    /// Releases everything the bytes fed so far allow, handing each item to `on_item` in order,
    /// until the decoder needs more input (`Ok(false)`) or has reached its end with every
    /// checksum matched (`Ok(true)`).
    ///
    /// # Errors
    /// The decoder's errors, after which it must not be used again, and the first error of
    /// `on_item`, after which nothing more is handed to it: the refused item counts as
    /// released, and draining again resumes after it.
    fn drain<E: From<IsaError>>(
        &mut self,
        on_item: &mut impl FnMut(Self::Item<'_>) -> Result<(), E>,
    ) -> Result<bool, E>;
}

impl StreamDecoder for Decoder<'_> {
    // By reference, as `drain_block` hands them out: no copy per instruction.
    type Item<'a> = &'a TimedInstr<'a>;

    fn feed(&mut self, bytes: &[u8]) -> usize {
        Decoder::feed(self, bytes)
    }

    fn drain<E: From<IsaError>>(
        &mut self,
        on_item: &mut impl FnMut(Self::Item<'_>) -> Result<(), E>,
    ) -> Result<bool, E> {
        loop {
            // Whole blocks at a time (the fast path); next_event opens the next block.
            self.try_drain_block(|t| on_item(t))?;
            match self.next_event()? {
                Event::Instr(t) => on_item(&t)?,
                Event::NeedInput => return Ok(false),
                Event::Await { cond, bit_offset } => {
                    return Err(IsaError::NoOutcomes { cond, bit_offset }.into());
                }
                Event::End => return Ok(true),
            }
        }
    }
}

impl StreamDecoder for PulseDecoder<'_> {
    type Item<'a> = Play<'a>;

    fn feed(&mut self, bytes: &[u8]) -> usize {
        PulseDecoder::feed(self, bytes)
    }

    fn drain<E: From<IsaError>>(
        &mut self,
        on_item: &mut impl FnMut(Self::Item<'_>) -> Result<(), E>,
    ) -> Result<bool, E> {
        loop {
            match self.next_event()? {
                PulseEvent::Play(p) => on_item(p)?,
                PulseEvent::NeedInput => return Ok(false),
                PulseEvent::End => return Ok(true),
            }
        }
    }
}

/// How many bytes [`feed_chunks`] offers at a time: a fixed number (`usize::MAX` for all that is
/// left), or a closure called before each offer, for sizes that vary.
pub trait ChunkSize {
    /// The size of the next offer (clamped to at least 1 and at most what is left).
    fn next_size(&mut self) -> usize;
}

impl ChunkSize for usize {
    fn next_size(&mut self) -> usize {
        *self
    }
}

impl<F: FnMut() -> usize> ChunkSize for F {
    fn next_size(&mut self) -> usize {
        self()
    }
}

/// How [`feed_chunks`] stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fed {
    /// The decoder reached its end and every checksum matched. Bytes it did not take are left in
    /// the input (trailing bytes, for a whole file).
    End,
    /// The decoder took every byte and wants more: feed the next piece, or, at the end of the
    /// input, the program is truncated.
    NeedInput,
    /// The decoder wanted input but took none of a non-empty offer. The decoders never do this;
    /// feeding again would loop forever.
    Stalled,
}

/// Feeds `input` to `dec` in chunks and hands every item it releases to `on_item`, until the
/// decoder ends or `input` runs out.
///
/// Each time the decoder asks for input it is offered the next `chunk` bytes ([`ChunkSize`]: at
/// least one, at most what is left; `usize::MAX` offers everything, of which the decoder takes
/// what fits its buffer). `input` is advanced past every byte taken, so after [`Fed::End`] it
/// holds what follows the program, and after [`Fed::NeedInput`] it is empty. Items come out
/// exactly as the decoder's own `next_event` would release them, whatever the chunk sizes.
///
/// # Errors
/// The decoder's errors (corrupt or truncated input, another codebook's program...) and the
/// first error `on_item` returns. Items released before an error were checked like any other.
/// After an error of `on_item` (not of the decoder), calling `feed_chunks` again with the same
/// decoder and input resumes after the refused item.
///
/// # Example
///
/// ```
/// # use eqisa_isa::container::codebook_id;
/// # use eqisa_isa::instr::{Instr, OPCODE_COUNT, Opcode};
/// # use eqisa_isa::model::{Priors, ProgramParams};
/// # use eqisa_encode::StreamEncoder;
/// # use eqisa_isa::stream::ProgramInfo;
/// # use eqisa_isa::{Container, Header, Section, SectionKind, Target};
/// # let (priors, hash) = (Priors::default(), [7u8; 32]);
/// # let params = ProgramParams {
/// #     target: Target::Native, num_qubits: 2, num_clbits: 0, angle_bits: 8,
/// #     num_conditions: 0, dt_ns_bits: 0.2222f64.to_bits(), explicit_timing: false,
/// # };
/// # let mut durations = [None; OPCODE_COUNT];
/// # durations[Opcode::Sx as usize] = Some(35.5);
/// # durations[Opcode::Cz as usize] = Some(68.0);
/// # let info = ProgramInfo { params, durations, condition_bits: Vec::new(), total_ops: 3 };
/// # let mut enc = StreamEncoder::new(&priors, params)?;
/// # let program = [(Opcode::Sx, &[0][..]), (Opcode::Sx, &[1]), (Opcode::Cz, &[0, 1])];
/// # for (opcode, qubits) in program {
/// #     enc.push(&Instr { opcode, qubits, cond: None, arg: 0 }, (0.0, 0.0))?;
/// # }
/// # let (instructions, _) = enc.finish()?;
/// # let header = Header {
/// #     codebook_id: codebook_id(&hash), qubit_count: 2, clbit_count: 0,
/// #     target: Target::Native,
/// # };
/// # let sections = vec![
/// #     Section { kind: SectionKind::Program, payload: info.to_bytes() },
/// #     Section { kind: SectionKind::Instructions, payload: instructions },
/// # ];
/// # let file = Container { header, sections }.to_bytes()?;
/// use eqisa_decoder::{Decoder, Fed, feed_chunks};
/// use eqisa_isa::IsaError;
///
/// // `file` is a whole `.eqb` (sx q0; sx q1; cz q0, q1) built for the codebook whose model
/// // priors and hash are `priors` and `hash`; it arrives 5 bytes at a time.
/// let mut dec = Decoder::new(&priors, hash);
/// let mut input = &file[..];
/// let mut starts = Vec::new();
/// let fed = feed_chunks(&mut dec, &mut input, 5, |t| {
///     starts.push(t.start_ns);
///     Ok::<(), IsaError>(())
/// })?;
/// assert_eq!(fed, Fed::End);
/// assert!(input.is_empty());
/// assert_eq!(starts, [0.0, 0.0, 35.5]);
///
/// // Cut short, the same file leaves the decoder wanting more, and `finish` says so.
/// let mut dec = Decoder::new(&priors, hash);
/// let mut input = &file[..file.len() - 1];
/// let fed = feed_chunks(&mut dec, &mut input, 5, |_| Ok::<(), IsaError>(()))?;
/// assert_eq!(fed, Fed::NeedInput);
/// assert!(dec.finish().is_err());
/// # Ok::<(), IsaError>(())
/// ```
pub fn feed_chunks<D: StreamDecoder, E: From<IsaError>>(
    dec: &mut D,
    input: &mut &[u8],
    mut chunk: impl ChunkSize,
    mut on_item: impl FnMut(D::Item<'_>) -> Result<(), E>,
) -> Result<Fed, E> {
    loop {
        if dec.drain(&mut on_item)? {
            return Ok(Fed::End);
        }
        if input.is_empty() {
            return Ok(Fed::NeedInput);
        }
        let k = chunk.next_size().clamp(1, input.len());
        let n = dec.feed(input.get(..k).unwrap_or(&[]));
        if n == 0 {
            return Ok(Fed::Stalled);
        }
        *input = input.get(n..).unwrap_or(&[]);
    }
}
