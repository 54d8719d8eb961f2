//! The instruction decoder's state machine.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use crate::replay::{Action, Replay};
use eqisa_isa::coder::{Coder, SymbolDecoder, SymbolDecoderState};
use eqisa_isa::container::SectionLog;
use eqisa_isa::container::{HEADER_LEN, SECTION_HEADER_LEN, TRAILER_LEN};
use eqisa_isa::control::Control;
use eqisa_isa::instr::{Instr, Opcode, TimedInstr};
use eqisa_isa::job::JobTable;
use eqisa_isa::model::{Model, Priors};
use eqisa_isa::stream::{BlockHeader, MAX_BLOCK_BYTES, ProgramInfo, Scheduler};
use eqisa_isa::{
    Crc32c, IsaError, Preamble, SectionHeader, SectionKind, parse_header, parse_section_header,
};

/// Most input bytes the decoder holds at once: one block and its framing. Program and metadata
/// sections must fit in it too.
pub const MAX_BUFFER: usize = MAX_BLOCK_BYTES + 64;

/// The input buffer's bound and the block buffer's capacity of a decoder that holds at most
/// `max_block_bytes` of one block: the block (at most [`MAX_BLOCK_BYTES`]) and the framing
/// [`MAX_BUFFER`] allows beside it. Both decoders' `with_buffers` size their buffers so.
pub(crate) fn buffer_sizes(max_block_bytes: usize) -> (usize, usize) {
    let block = max_block_bytes.min(MAX_BLOCK_BYTES);
    (block + (MAX_BUFFER - MAX_BLOCK_BYTES), block)
}

/// Most qubits a [`Decoder::new`] accepts: its per-qubit state then stays under about 20 MiB.
/// [`Decoder::with_max_qubits`] sets another limit. (Classical bits cost no state: only the bits
/// conditions read are tracked.)
pub const DEFAULT_MAX_QUBITS: u32 = 1 << 20;

/// What [`Decoder::next_event`] produced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Event<'a> {
    /// The next instruction, with its schedule.
    Instr(TimedInstr<'a>),
    /// Feed more bytes.
    NeedInput,
    /// A real-time `while` loop is about to iterate or not: tell the decoder whether condition
    /// `cond` holds, its classical bits shifted by `bit_offset` ([`Decoder::answer`]). Only
    /// without a condition source ([`Decoder::set_condition_source`]).
    Await {
        /// The condition (an index into the program's conditions).
        cond: u32,
        /// Shift of the bits it reads.
        bit_offset: u64,
    },
    /// The program is complete and every checksum matched.
    End,
}

/// Evaluates a real-time loop's condition for the decoder: `(cond, bit_offset) → holds`.
pub type ConditionSource<'cb> = Box<dyn FnMut(u32, u64) -> bool + 'cb>;

/// A condition source, for the decoder's `Debug`.
struct Source<'cb>(ConditionSource<'cb>);

impl fmt::Debug for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConditionSource")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Header,
    SectionHeader,
    Body(SectionKind),
    Blocks,
    /// A pulse or sweep section: its bytes pass through the file and section CRCs, nothing is decoded
    /// (that is the pulse decoder's job).
    Skip,
    Trailer,
    Done,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Header => "header",
            Phase::SectionHeader => "section header",
            Phase::Body(_) => "section",
            Phase::Blocks => "instruction block",
            Phase::Skip => "pulse or sweep section",
            Phase::Trailer => "file checksum",
            Phase::Done => "end",
        }
    }
}

/// The section being read.
#[derive(Clone, Debug)]
struct Open {
    header: SectionHeader,
    crc: Crc32c,
    remaining: usize,
    index: u16,
}

/// Streaming decoder for one program.
#[derive(Debug)]
pub struct Decoder<'cb> {
    priors: &'cb Priors,
    codebook_hash: [u8; 32],
    buf: Vec<u8>,
    start: usize,
    file_crc: Crc32c,
    phase: Phase,
    preamble: Option<Preamble>,
    sections_left: u16,
    next_index: u16,
    open: Option<Open>,
    info: Option<ProgramInfo>,
    model: Option<Model>,
    sched: Option<Scheduler>,
    metadata: Option<Vec<u8>>,
    block: Vec<u8>,
    block_ops_left: u64,
    block_index: u64,
    rd: Option<SymbolDecoderState>,
    ops_done: u64,
    max_qubits: u32,
    /// The sections begun so far (no kind twice, metadata before the instructions).
    sections: SectionLog,
    /// Bytes of the file consumed so far: the offset errors name.
    consumed: u64,
    /// How the text runs, in a program with a control section.
    replay: Option<Replay>,
    /// Most instructions a program's replay buffer may declare.
    max_replay_ops: u64,
    /// Answers real-time loops' conditions, when set.
    conditions: Option<Source<'cb>>,
    /// Release the text instead of running it.
    text_only: bool,
    /// Instructions released from the replay buffer so far.
    replayed: u64,
    /// The circuits of a job (its job section), which make its control tree.
    job: Option<JobTable>,
    /// Most input bytes held at once (one block and its framing; [`MAX_BUFFER`] unless
    /// [`Decoder::with_buffers`] chose less).
    max_buffer: usize,
    /// Reserve every buffer when the section that sizes it is read (see [`Decoder::with_buffers`]).
    reserve: bool,
}

impl<'cb> Decoder<'cb> {
    /// A decoder for programs built with the codebook whose model priors and hash are given.
    #[must_use]
    pub fn new(priors: &'cb Priors, codebook_hash: [u8; 32]) -> Self {
        Decoder {
            priors,
            codebook_hash,
            buf: Vec::new(),
            start: 0,
            file_crc: Crc32c::new(),
            phase: Phase::Header,
            preamble: None,
            sections_left: 0,
            next_index: 0,
            open: None,
            info: None,
            model: None,
            sched: None,
            metadata: None,
            block: Vec::new(),
            block_ops_left: 0,
            block_index: 0,
            rd: None,
            ops_done: 0,
            max_qubits: DEFAULT_MAX_QUBITS,
            sections: SectionLog::default(),
            consumed: 0,
            replay: None,
            max_replay_ops: eqisa_isa::control::MAX_REPLAY_OPS,
            conditions: None,
            text_only: false,
            replayed: 0,
            job: None,
            max_buffer: MAX_BUFFER,
            reserve: false,
        }
    }

    /// Hold at most `max_block_bytes` of one block (and its framing) and reserve every buffer
    /// up front, as firmware with a fixed memory wants: the input and block buffers now, the
    /// replay buffer when the control section declares it. After the sections before the first
    /// instruction are read, decoding allocates nothing. A block (or a program, metadata,
    /// control or job section) larger than the buffer is refused with [`IsaError::Limit`].
    #[must_use]
    pub fn with_buffers(mut self, max_block_bytes: usize) -> Self {
        let (max_buffer, block) = buffer_sizes(max_block_bytes);
        self.max_buffer = max_buffer;
        self.reserve = true;
        self.buf = Vec::with_capacity(self.max_buffer);
        self.block = Vec::with_capacity(block);
        self
    }

    /// How many bytes [`Decoder::feed`] would take now.
    #[must_use]
    pub fn room(&self) -> usize {
        self.max_buffer
            .saturating_sub(self.buf.len().saturating_sub(self.start))
    }

    /// While an [`Event::Await`] is pending: the iterations of its `while` loop completed since
    /// the loop was entered (0 when the condition is asked before the first iteration).
    #[must_use]
    pub fn loop_iteration(&self) -> Option<u64> {
        self.replay.as_ref().and_then(Replay::iterations_done)
    }

    /// Refuse programs whose replay buffer holds more than `max_ops` instructions (firmware with
    /// less memory than [`eqisa_isa::control::MAX_REPLAY_OPS`] buffered instructions).
    #[must_use]
    pub fn with_max_replay(self, max_ops: u64) -> Self {
        Decoder {
            max_replay_ops: max_ops,
            ..self
        }
    }

    /// Evaluate real-time loops' conditions with `source(cond, bit_offset)` instead of returning
    /// [`Event::Await`].
    pub fn set_condition_source(&mut self, source: ConditionSource<'cb>) {
        self.conditions = Some(Source(source));
    }

    /// Release the program's text instead of running it: every loop body once, in program
    /// order, timed as its first iteration, without asking any condition (what printing a
    /// program with its loops needs). Call before the control section is read.
    #[must_use]
    pub fn text_only(self) -> Self {
        Decoder {
            text_only: true,
            ..self
        }
    }

    /// Answer the pending [`Event::Await`]: whether its condition holds.
    pub fn answer(&mut self, holds: bool) {
        if let Some(r) = self.replay.as_mut() {
            r.answer(holds);
        }
    }

    /// The program's control tree, once its control section has been read (`None` for a
    /// program that runs straight, or before).
    #[must_use]
    pub fn control(&self) -> Option<&Control> {
        self.replay.as_ref().map(Replay::control)
    }

    /// As [`Decoder::new`], refusing programs with more than `max_qubits` qubits or classical
    /// bits (the decoder keeps a few words per qubit and bit).
    #[must_use]
    pub fn with_max_qubits(priors: &'cb Priors, codebook_hash: [u8; 32], max_qubits: u32) -> Self {
        Decoder {
            max_qubits,
            ..Decoder::new(priors, codebook_hash)
        }
    }

    /// Offer input; returns how many bytes were taken (fewer than offered when the buffer is
    /// full: call [`Decoder::next_event`] until it asks for input, then offer the rest).
    ///
    /// Nothing is decoded here, so any bytes are taken; [`Decoder::next_event`] judges them.
    ///
    /// # Example
    ///
    /// ```
    /// use eqisa_decoder::{Decoder, MAX_BUFFER};
    /// use eqisa_isa::model::Priors;
    ///
    /// let priors = Priors::default();
    /// let mut dec = Decoder::new(&priors, [0; 32]);
    /// let bytes = vec![0u8; MAX_BUFFER + 100];
    /// // The buffer holds one block: the rest waits until the decoder has used some of it.
    /// assert_eq!(dec.feed(&bytes), MAX_BUFFER);
    /// assert_eq!(dec.feed(&bytes[MAX_BUFFER..]), 0);
    /// // Zeros are no `.eqb` header.
    /// assert!(dec.next_event().is_err());
    /// ```
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let room = self.max_buffer.saturating_sub(self.buf.len());
        let n = room.min(bytes.len());
        self.buf.extend_from_slice(bytes.get(..n).unwrap_or(&[]));
        n
    }

    /// The fixed header, once read.
    #[must_use]
    pub fn preamble(&self) -> Option<&Preamble> {
        self.preamble.as_ref()
    }

    /// The program section, once read.
    #[must_use]
    pub fn info(&self) -> Option<&ProgramInfo> {
        self.info.as_ref()
    }

    /// The metadata section's bytes (register names, conditions), once read.
    #[must_use]
    pub fn metadata(&self) -> Option<&[u8]> {
        self.metadata.as_deref()
    }

    /// Instructions decoded so far.
    #[must_use]
    pub fn ops_done(&self) -> u64 {
        self.ops_done
    }

    /// Instructions released from the replay buffer so far (every iteration of an outermost
    /// loop, the first included: its text is decoded into the buffer, then released from it).
    /// The other released instructions were decoded from the stream and released at once.
    #[must_use]
    pub fn replayed_ops(&self) -> u64 {
        self.replayed
    }

    /// Call at the end of input: an error unless the whole program was read. A truncated
    /// program's error names the part being read, the bytes it needs and the bytes left.
    pub fn finish(&self) -> Result<(), IsaError> {
        if self.phase != Phase::Done {
            let available = self.available().len();
            return Err(IsaError::Truncated {
                what: self.phase.name(),
                needed: self.wanted().max(available + 1) as u64,
                available: available as u64,
            });
        }
        if self.buf.len() > self.start {
            return Err(IsaError::TrailingBytes(self.buf.len() - self.start));
        }
        Ok(())
    }

    /// The bytes the current phase needs before it can go on: a whole header, section header or
    /// trailer, or the rest of the open section.
    /// Run the program's text under `control`: its replay buffer checked against this
    /// decoder's limit, and its text against the instruction count.
    fn install_control(&mut self, control: Control) -> Result<(), IsaError> {
        let total = self.info.as_ref().map_or(0, |i| i.total_ops);
        if control.text_len() != total {
            return Err(IsaError::Corrupt(
                "the job's circuits differ in length from the instruction count",
            ));
        }
        if control.replay_ops > self.max_replay_ops {
            return Err(IsaError::Limit {
                what: "replay buffer (instructions of the largest loop)",
                found: control.replay_ops,
                max: self.max_replay_ops,
            });
        }
        let mut replay = Replay::new(control);
        if self.reserve {
            replay.reserve();
        }
        if self.text_only {
            replay.set_text_only();
        }
        self.replay = Some(replay);
        Ok(())
    }

    /// The job's table, for a program of many circuits (read from its job section).
    #[must_use]
    pub fn job(&self) -> Option<&JobTable> {
        self.job.as_ref()
    }

    fn wanted(&self) -> usize {
        let section_left = self.open.as_ref().map_or(0, |o| o.remaining);
        match self.phase {
            Phase::Header => HEADER_LEN,
            Phase::SectionHeader => SECTION_HEADER_LEN,
            Phase::Body(_) | Phase::Blocks | Phase::Skip => section_left,
            Phase::Trailer => TRAILER_LEN,
            Phase::Done => 0,
        }
    }

    fn available(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or(&[])
    }

    fn consume(&mut self, n: usize, in_section: bool) {
        let end = (self.start + n).min(self.buf.len());
        let bytes = self.buf.get(self.start..end).unwrap_or(&[]);
        self.file_crc.update(bytes);
        self.consumed += bytes.len() as u64;
        if in_section && let Some(open) = &mut self.open {
            open.crc.update(bytes);
            open.remaining = open.remaining.saturating_sub(bytes.len());
        }
        self.start = end;
    }

    fn close_section(&mut self) -> Result<SectionKind, IsaError> {
        let open = self
            .open
            .take()
            .ok_or(IsaError::Corrupt("no open section"))?;
        let kind = open.header.check_crc(open.index, open.crc.finish())?;
        self.sections_left = self.sections_left.saturating_sub(1);
        self.phase = Phase::SectionHeader;
        Ok(kind)
    }

    /// Advance: the next instruction, a request for input, or the end.
    ///
    /// # Errors
    /// Any corruption of the file ([`IsaError::BlockCrc`], [`IsaError::SectionCrc`],
    /// [`IsaError::FileCrc`], [`IsaError::Corrupt`], ...), a program built for another codebook
    /// ([`IsaError::CodebookMismatch`]), a second section of a kind
    /// ([`IsaError::DuplicateSection`]) or metadata after the instructions
    /// ([`IsaError::SectionOrder`]), and the limits ([`IsaError::Limit`]). After an error the
    /// decoder must not be used again.
    ///
    /// # Example
    ///
    /// The loop a controller runs: offer bytes as they arrive, act on each instruction as soon as
    /// it is released. (For bytes already in memory, `feed_chunks` runs this loop.)
    ///
    /// ```
    /// # use eqisa_isa::container::codebook_id;
    /// # use eqisa_isa::instr::{Instr, OPCODE_COUNT}; // Opcode: imported below
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
    /// use eqisa_decoder::{Decoder, Event};
    /// use eqisa_isa::instr::Opcode;
    ///
    /// // `file` is a whole `.eqb` (sx q0; sx q1; cz q0, q1) built for the codebook whose model
    /// // priors and hash are `priors` and `hash`; it arrives 16 bytes at a time.
    /// let mut arriving = file.chunks(16);
    /// let mut pending: &[u8] = &[];
    /// let mut dec = Decoder::new(&priors, hash);
    /// let mut released = Vec::new();
    /// loop {
    ///     match dec.next_event()? {
    ///         Event::Instr(t) => released.push((t.instr.opcode, t.start_ns)),
    ///         Event::NeedInput => {
    ///             if pending.is_empty() {
    ///                 pending = arriving.next().expect("more bytes");
    ///             }
    ///             let n = dec.feed(pending);
    ///             pending = &pending[n..];
    ///         }
    ///         // Only programs with real-time `while` loops ask (see `Decoder::answer`).
    ///         Event::Await { .. } => unreachable!("this program has no while loop"),
    ///         Event::End => break,
    ///     }
    /// }
    /// dec.finish()?;
    /// assert_eq!(released, [(Opcode::Sx, 0.0), (Opcode::Sx, 0.0), (Opcode::Cz, 35.5)]);
    /// # Ok::<(), eqisa_isa::IsaError>(())
    /// ```
    pub fn next_event(&mut self) -> Result<Event<'_>, IsaError> {
        loop {
            match self.phase {
                Phase::Header => {
                    if self.available().len() < HEADER_LEN {
                        // Reject a wrong file as early as its first bytes allow.
                        if let Err(e) = parse_header(self.available())
                            && !matches!(e, IsaError::Truncated { .. })
                        {
                            return Err(e);
                        }
                        return Ok(Event::NeedInput);
                    }
                    let (pre, used) = parse_header(self.available())?;
                    pre.header.verify_codebook(&self.codebook_hash)?;
                    let widest = pre.header.qubit_count;
                    if widest > self.max_qubits {
                        return Err(IsaError::Limit {
                            what: "qubit count",
                            found: u64::from(widest),
                            max: u64::from(self.max_qubits),
                        });
                    }
                    self.consume(used, false);
                    self.sections_left = u16::from(pre.section_count);
                    self.preamble = Some(pre);
                    self.phase = Phase::SectionHeader;
                }
                Phase::SectionHeader => {
                    if self.sections_left == 0 {
                        if self.info.is_none() {
                            return Err(IsaError::MissingSection("program"));
                        }
                        if self.model.is_none()
                            || self.ops_done != self.info.as_ref().map_or(0, |i| i.total_ops)
                        {
                            return Err(IsaError::MissingSection("instructions"));
                        }
                        self.phase = Phase::Trailer;
                        continue;
                    }
                    if self.available().len() < SECTION_HEADER_LEN {
                        return Ok(Event::NeedInput);
                    }
                    let (header, used) = parse_section_header(self.available())?;
                    let index = self.next_index;
                    self.next_index = self.next_index.saturating_add(1);
                    let kind = SectionKind::try_from(header.kind)
                        .map_err(|kind| IsaError::UnknownSection { index, kind })?;
                    // Refused before the section is read: which of two would count is
                    // ambiguous, and metadata is needed before the instructions it names.
                    self.sections.admit(kind, index, self.consumed)?;
                    let len = header.payload_len as usize;
                    match kind {
                        SectionKind::Program
                        | SectionKind::Metadata
                        | SectionKind::Control
                        | SectionKind::Job
                            if len > self.max_buffer =>
                        {
                            return Err(IsaError::Limit {
                                what: "program, metadata, control or job section size",
                                found: len as u64,
                                max: self.max_buffer as u64,
                            });
                        }
                        SectionKind::Instructions | SectionKind::Control | SectionKind::Job
                            if self.model.is_none() =>
                        {
                            return Err(IsaError::MissingSection(
                                "program (before the instructions, the control and the job sections)",
                            ));
                        }
                        SectionKind::Job if self.replay.is_some() => {
                            return Err(IsaError::Corrupt(
                                "a job section after the control section",
                            ));
                        }
                        // A job's control tree is made from its table, before any instruction.
                        SectionKind::Instructions if self.replay.is_none() => {
                            if let Some(job) = &self.job {
                                let control = job.control(None)?;
                                self.install_control(control)?;
                            }
                        }
                        _ => {}
                    }
                    self.consume(used, false);
                    self.open = Some(Open {
                        crc: header.payload_hasher(),
                        header,
                        remaining: len,
                        index,
                    });
                    self.phase = match kind {
                        SectionKind::Instructions => Phase::Blocks,
                        SectionKind::Pulses | SectionKind::Sweep => Phase::Skip,
                        _ => Phase::Body(kind),
                    };
                }
                Phase::Body(kind) => {
                    let need = self.open.as_ref().map_or(0, |o| o.remaining);
                    if self.available().len() < need {
                        return Ok(Event::NeedInput);
                    }
                    let payload = self.available().get(..need).unwrap_or(&[]).to_vec();
                    self.consume(need, true);
                    self.close_section()?;
                    match kind {
                        SectionKind::Program => {
                            let h = self
                                .preamble
                                .as_ref()
                                .map(|p| p.header.clone())
                                .ok_or(IsaError::MissingSection("header"))?;
                            let info = ProgramInfo::parse(
                                &payload,
                                h.target,
                                h.qubit_count,
                                h.clbit_count,
                            )?;
                            self.model = Some(Model::new(self.priors, info.params)?);
                            self.sched = Some(Scheduler::new(h.qubit_count, &info.condition_bits));
                            self.info = Some(info);
                        }
                        SectionKind::Control => {
                            let info = self
                                .info
                                .as_ref()
                                .ok_or(IsaError::MissingSection("program"))?;
                            if info.params.explicit_timing {
                                return Err(IsaError::Corrupt(
                                    "a program with loops carries explicit timing",
                                ));
                            }
                            // In a job, the control section holds the looped circuits' nodes
                            // only: the flat circuits' text is the job table's.
                            let flat = self.job.as_ref().map_or(0, JobTable::flat_ops);
                            let own = info.total_ops.checked_sub(flat).ok_or(IsaError::Corrupt(
                                "a job's flat circuits hold more instructions than the program",
                            ))?;
                            let control =
                                Control::parse(&payload, own, info.params.num_conditions)?;
                            let control = match &self.job {
                                Some(job) => job.control(Some(&control))?,
                                None => control,
                            };
                            self.install_control(control)?;
                        }
                        SectionKind::Job => {
                            let info = self
                                .info
                                .as_ref()
                                .ok_or(IsaError::MissingSection("program"))?;
                            if info.params.explicit_timing {
                                return Err(IsaError::Corrupt("a job carries explicit timing"));
                            }
                            self.job = Some(JobTable::parse(&payload)?);
                        }
                        _ => self.metadata = Some(payload),
                    }
                }
                Phase::Blocks => {
                    if self.replay.is_some() {
                        match self.next_action()? {
                            Action::Await { cond, bit_offset } => {
                                if let Some(src) = self.conditions.as_mut() {
                                    let holds = (src.0)(cond, bit_offset);
                                    self.answer(holds);
                                    continue;
                                }
                                return Ok(Event::Await { cond, bit_offset });
                            }
                            Action::Replay(i) => return self.replay_one(i),
                            Action::Fill if self.block_ops_left > 0 => {
                                self.fill_one()?;
                                continue;
                            }
                            Action::Stream if self.block_ops_left > 0 => {
                                return self.stream_one();
                            }
                            Action::Finished if self.block_ops_left > 0 => {
                                return Err(IsaError::Corrupt(
                                    "more instructions than the control section runs",
                                ));
                            }
                            // Read the next block, or close the section once all has run.
                            _ => {}
                        }
                    } else if self.block_ops_left > 0 {
                        return self.decode_one();
                    }
                    if let Some(model) = &self.model {
                        check_block_end(model)?;
                    }
                    let remaining = self.open.as_ref().map_or(0, |o| o.remaining);
                    if remaining == 0 {
                        if self
                            .replay
                            .as_mut()
                            .zip(self.sched.as_mut())
                            .map(|(r, s)| r.peek(s))
                            .transpose()?
                            .is_some_and(|a| a != Action::Finished)
                        {
                            return Err(IsaError::Corrupt(
                                "the control section runs more instructions than the text holds",
                            ));
                        }
                        self.close_section()?;
                        let total = self.info.as_ref().map_or(0, |i| i.total_ops);
                        if self.ops_done != total {
                            return Err(IsaError::Corrupt(
                                "the instruction section holds fewer instructions than the program section says",
                            ));
                        }
                        continue;
                    }
                    let window = self
                        .available()
                        .get(..remaining.min(self.available().len()))
                        .unwrap_or(&[]);
                    let Some((bh, hlen)) = BlockHeader::parse(window)? else {
                        if self.available().len() >= remaining {
                            return Err(IsaError::Corrupt("a block header runs past its section"));
                        }
                        return Ok(Event::NeedInput);
                    };
                    let total = hlen + bh.len;
                    if total > remaining {
                        return Err(IsaError::Corrupt("a block runs past its section"));
                    }
                    if total > self.max_buffer {
                        // Else it would wait for input the buffer cannot take.
                        return Err(IsaError::Limit {
                            what: "instruction block with its framing (bytes)",
                            found: total as u64,
                            max: self.max_buffer as u64,
                        });
                    }
                    if self.available().len() < total {
                        return Ok(Event::NeedInput);
                    }
                    let from = self.start + hlen;
                    let payload = self.buf.get(from..from + bh.len).unwrap_or(&[]);
                    let computed = BlockHeader::checksum(bh.len, bh.ops, payload);
                    if computed != bh.crc {
                        return Err(IsaError::BlockCrc {
                            block: self.block_index,
                            stored: bh.crc,
                            computed,
                        });
                    }
                    let total_ops = self.info.as_ref().map_or(0, |i| i.total_ops);
                    if self.ops_done.saturating_add(bh.ops) > total_ops {
                        return Err(IsaError::Corrupt(
                            "the instruction section holds more instructions than the program section says",
                        ));
                    }
                    self.block.clear();
                    self.block
                        .extend_from_slice(self.buf.get(from..from + bh.len).unwrap_or(&[]));
                    self.consume(total, true);
                    self.rd = Some(SymbolDecoder::new(&self.block).state());
                    self.block_ops_left = bh.ops;
                    self.block_index += 1;
                }
                Phase::Skip => {
                    let remaining = self.open.as_ref().map_or(0, |o| o.remaining);
                    if remaining == 0 {
                        self.close_section()?;
                        continue;
                    }
                    let n = remaining.min(self.available().len());
                    if n == 0 {
                        return Ok(Event::NeedInput);
                    }
                    self.consume(n, true);
                }
                Phase::Trailer => {
                    let Some(t) = self.available().get(..TRAILER_LEN) else {
                        return Ok(Event::NeedInput);
                    };
                    let stored = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
                    let computed = self.file_crc.finish();
                    if stored != computed {
                        return Err(IsaError::FileCrc { stored, computed });
                    }
                    self.start += TRAILER_LEN;
                    self.phase = Phase::Done;
                }
                Phase::Done => {
                    let extra = self.buf.len().saturating_sub(self.start);
                    if extra > 0 {
                        return Err(IsaError::TrailingBytes(extra));
                    }
                    return Ok(Event::End);
                }
            }
        }
    }

    /// Decode every instruction left in the current block in one loop, handing each to `f`, and
    /// return how many there were (0 when no block is open: call [`Decoder::next_event`] to read
    /// the next one, ask for input or reach the end). The same instructions as repeated
    /// `next_event` calls, without the per-instruction state-machine round trip; the block's CRC
    /// has been checked before the first.
    pub fn drain_block(&mut self, mut f: impl FnMut(&TimedInstr<'_>)) -> Result<u64, IsaError> {
        self.try_drain_block(|t| {
            f(t);
            Ok::<(), IsaError>(())
        })
    }

    /// [`Decoder::drain_block`] with a callback that may fail: the first error of `f` stops the
    /// loop and is returned, and the decoder stays consistent (the instructions handed out,
    /// the failing one included, are done; the next call resumes after them).
    pub fn try_drain_block<E: From<IsaError>>(
        &mut self,
        mut f: impl FnMut(&TimedInstr<'_>) -> Result<(), E>,
    ) -> Result<u64, E> {
        if self.phase != Phase::Blocks {
            return Ok(0);
        }
        if self.replay.is_some() {
            return self.drain_replay(f);
        }
        if self.block_ops_left == 0 {
            return Ok(0);
        }
        let (Some(model), Some(sched), Some(info), Some(state)) = (
            self.model.as_mut(),
            self.sched.as_mut(),
            self.info.as_ref(),
            self.rd,
        ) else {
            return Err(IsaError::MissingSection("program").into());
        };
        let mut rd = SymbolDecoder::resume(&self.block, state);
        let n = self.block_ops_left;
        // One loop per timing mode, so that the common one (the ASAP schedule) has no test for
        // the other inside.
        let (done, handed) = if info.params.explicit_timing {
            drain_steps::<true, E>(model, sched, info, &mut rd, n, &mut f)
        } else {
            drain_steps::<false, E>(model, sched, info, &mut rd, n, &mut f)
        };
        self.rd = Some(rd.state());
        self.block_ops_left -= done;
        self.ops_done += done;
        handed?;
        check_block_end(model)?;
        Ok(n)
    }

    /// [`Decoder::try_drain_block`] for a program with a control section: every instruction
    /// that needs no more input and no answer, replayed or read.
    fn drain_replay<E: From<IsaError>>(
        &mut self,
        mut f: impl FnMut(&TimedInstr<'_>) -> Result<(), E>,
    ) -> Result<u64, E> {
        let mut handed = 0u64;
        loop {
            let (Some(replay), Some(sched), Some(info)) = (
                self.replay.as_mut(),
                self.sched.as_mut(),
                self.info.as_ref(),
            ) else {
                return Err(IsaError::MissingSection("program").into());
            };
            match replay.peek(sched)? {
                Action::Replay(_) => {
                    // The rest of the `Ops` node in one loop, without deciding per instruction.
                    let (from, to) = replay
                        .take_run()
                        .ok_or(IsaError::Corrupt("a replay without its run"))?;
                    let mut next = from;
                    let mut stop = Ok(());
                    let offset = replay.offset();
                    let floor = sched.floor();
                    while next < to {
                        match replayed_at(replay, sched, info, next, offset, floor) {
                            Ok(t) => {
                                next += 1;
                                if let Err(e) = f(&t) {
                                    stop = Err(e);
                                    break;
                                }
                            }
                            Err(e) => {
                                stop = Err(e.into());
                                break;
                            }
                        }
                    }
                    let released = (next - from) as u64;
                    handed += released;
                    self.replayed += released;
                    if next < to {
                        replay.give_back(next, to);
                    }
                    stop?;
                }
                Action::Fill if self.block_ops_left > 0 => self.fill_one()?,
                Action::Stream if self.block_ops_left > 0 => {
                    if let Event::Instr(t) = self.stream_one()? {
                        handed += 1;
                        f(&t)?;
                    }
                }
                _ => return Ok(handed),
            }
        }
    }

    /// The next action of a program with a control section.
    fn next_action(&mut self) -> Result<Action, IsaError> {
        match (self.replay.as_mut(), self.sched.as_mut()) {
            (Some(r), Some(s)) => r.peek(s),
            _ => Err(IsaError::MissingSection("program")),
        }
    }

    /// Decode the next text instruction into the replay buffer.
    fn fill_one(&mut self) -> Result<(), IsaError> {
        let (Some(model), Some(replay), Some(state)) =
            (self.model.as_mut(), self.replay.as_mut(), self.rd)
        else {
            return Err(IsaError::MissingSection("program"));
        };
        let mut rd = SymbolDecoder::resume(&self.block, state);
        let instr = model.code(&mut rd, &IGNORED)?;
        replay.store(&instr)?;
        replay.commit();
        self.rd = Some(rd.state());
        self.block_ops_left -= 1;
        self.ops_done += 1;
        Ok(())
    }

    /// Decode the next text instruction and release it (outside every loop).
    fn stream_one(&mut self) -> Result<Event<'_>, IsaError> {
        if let Some(r) = self.replay.as_mut() {
            r.commit();
        }
        self.decode_one()
    }

    /// Release buffered instruction `i`, its classical bits shifted for the iteration.
    fn replay_one(&mut self, i: usize) -> Result<Event<'_>, IsaError> {
        let (Some(replay), Some(sched), Some(info)) = (
            self.replay.as_mut(),
            self.sched.as_mut(),
            self.info.as_ref(),
        ) else {
            return Err(IsaError::MissingSection("program"));
        };
        replay.commit();
        let timed = replayed(replay, sched, info, i)?;
        self.replayed += 1;
        Ok(Event::Instr(timed))
    }

    fn decode_one(&mut self) -> Result<Event<'_>, IsaError> {
        let (Some(model), Some(sched), Some(info), Some(state)) = (
            self.model.as_mut(),
            self.sched.as_mut(),
            self.info.as_ref(),
            self.rd,
        ) else {
            return Err(IsaError::MissingSection("program"));
        };
        let mut rd = SymbolDecoder::resume(&self.block, state);
        let timed = if info.params.explicit_timing {
            step::<true>(model, sched, info, &mut rd)?
        } else {
            step::<false>(model, sched, info, &mut rd)?
        };
        self.rd = Some(rd.state());
        self.block_ops_left -= 1;
        self.ops_done += 1;
        Ok(Event::Instr(timed))
    }
}

/// Decode up to `n` instructions, handing each to `f`; returns how many were handed out (a
/// decoding error stops before counting the instruction, a callback error after) and how the
/// loop ended.
#[inline(always)]
fn drain_steps<const EXPLICIT: bool, E: From<IsaError>>(
    model: &mut Model,
    sched: &mut Scheduler,
    info: &ProgramInfo,
    rd: &mut SymbolDecoder<'_>,
    n: u64,
    f: &mut impl FnMut(&TimedInstr<'_>) -> Result<(), E>,
) -> (u64, Result<(), E>) {
    for done in 0..n {
        let t = match step::<EXPLICIT>(model, sched, info, rd) {
            Ok(t) => t,
            Err(e) => return (done, Err(e.into())),
        };
        if let Err(e) = f(&t) {
            return (done + 1, Err(e));
        }
    }
    (n, Ok(()))
}

/// A block's last operation was decoded: a copy must not run on into the next block (the
/// encoder never does that; a block header that says otherwise is corrupt).
fn check_block_end(model: &Model) -> Result<(), IsaError> {
    if model.copying() {
        return Err(IsaError::Corrupt("a copy runs past the end of its block"));
    }
    Ok(())
}

/// What the decoder passes to [`Model::code`] as the instruction to code: ignored when decoding.
const IGNORED: Instr<'static> = Instr {
    opcode: Opcode::Barrier,
    qubits: &[],
    cond: None,
    arg: 0,
};

/// Decode one instruction and its timing: explicit (`EXPLICIT`: two raw 64-bit fields after the
/// instruction) or rebuilt by the ASAP scheduler.
#[inline(always)]
fn step<'m, const EXPLICIT: bool>(
    model: &'m mut Model,
    sched: &mut Scheduler,
    info: &ProgramInfo,
    rd: &mut SymbolDecoder<'_>,
) -> Result<TimedInstr<'m>, IsaError> {
    let instr = model.code(rd, &IGNORED)?;
    let (start_ns, duration_ns) = if EXPLICIT {
        let start = eqisa_isa::stream::check_time(f64::from_bits(rd.direct(0, 64)))?;
        let duration = eqisa_isa::stream::check_time(f64::from_bits(rd.direct(0, 64)))?;
        (start, duration)
    } else {
        sched.place(&instr, info)?
    };
    Ok(TimedInstr {
        instr,
        start_ns,
        duration_ns,
        bit_offset: 0,
    })
}

/// Buffered instruction `i`, scheduled (on its text bits: earlier iterations have ended when an
/// iteration starts) and released with its bits shifted by the iteration's offset.
#[inline]
fn replayed<'r>(
    replay: &'r mut Replay,
    sched: &mut Scheduler,
    info: &ProgramInfo,
    i: usize,
) -> Result<TimedInstr<'r>, IsaError> {
    let (offset, floor) = (replay.offset(), sched.floor());
    replayed_at(replay, sched, info, i, offset, floor)
}

/// [`replayed`] in a node that started at `floor`: its first run is placed by the scheduler and
/// its time relative to `floor` kept; later runs add that to their own start (the same
/// schedule, without the scheduler).
#[inline(always)]
fn replayed_at<'r>(
    replay: &'r mut Replay,
    sched: &mut Scheduler,
    info: &ProgramInfo,
    i: usize,
    offset: u64,
    floor: f64,
) -> Result<TimedInstr<'r>, IsaError> {
    let (instr, time) = replay.entry(i)?;
    let (start, duration) = if time.0.is_nan() {
        let (start, duration) = sched.place(&instr, info)?;
        *time = (start - floor, duration);
        (start, duration)
    } else {
        let start = floor + time.0;
        sched.note_end(start + time.1);
        (start, time.1)
    };
    release(instr, start, duration, info, offset)
}

/// A buffered instruction, timed, released with its bits shifted by `offset`.
#[inline(always)]
fn release<'r>(
    mut instr: Instr<'r>,
    start_ns: f64,
    duration_ns: f64,
    info: &ProgramInfo,
    offset: u64,
) -> Result<TimedInstr<'r>, IsaError> {
    if offset > 0 {
        let limit = u64::from(info.params.num_clbits);
        if instr.opcode == Opcode::Measure {
            instr.arg =
                instr
                    .arg
                    .checked_add(offset)
                    .filter(|&b| b < limit)
                    .ok_or(IsaError::Corrupt(
                        "a measurement in a loop writes a bit past the program's",
                    ))?;
        }
        if let Some(bits) = instr.cond.and_then(|c| info.condition_bits.get(c as usize))
            && bits
                .last()
                .is_some_and(|&b| u64::from(b).saturating_add(offset) >= limit)
        {
            return Err(IsaError::Corrupt(
                "a condition in a loop reads a bit past the program's",
            ));
        }
    }
    Ok(TimedInstr {
        instr,
        start_ns,
        duration_ns,
        bit_offset: offset,
    })
}
