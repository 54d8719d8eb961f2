//! Decoding a program: its bytes streamed through the decoder as they are read, every
//! instruction counted and, when asked, written as OpenQASM as soon as it is released; and its
//! pulse section rebuilt into samples.
//!
//! Nothing here holds the decoded instructions: memory is the decoder's (one block, a few words
//! per qubit), a read buffer and a write buffer, however many instructions the program holds.

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};

use eqisa_assembler::AssembleError;
use eqisa_assembler::layout::Layout;
use eqisa_assembler::loop_text::LoopTextWriter;
use eqisa_assembler::rebuild::native_op;
use eqisa_decoder::{Decoder, Fed, PulseRows, feed_chunks};
use eqisa_ir::circuit::CondExpr;
use eqisa_isa::instr::{OPCODE_COUNT, Opcode, TimedInstr};
use eqisa_isa::stream::ProgramInfo;
use eqisa_isa::{Blame, Header, IsaError};
use eqisa_lower::program::{NativeOp, NativeProgram, QasmWriter, TimedOp};
use eqisa_lower::target::TargetKind;
use smallvec::SmallVec;

use crate::codebook::{LoadedCodebook, short_hash};
use crate::error::PipelineError;
use crate::outcomes::{Outcomes, Record};

/// Bytes read from the input at a time.
const CHUNK: usize = 1 << 16;

/// Text gathered before it is handed to the output writer.
const WRITE_BUFFER: usize = 1 << 16;

/// Most bytes after a program's end that are read to count them in the error.
const TRAILING_COUNTED: u64 = 1 << 20;

/// What decoding a program found.
#[derive(Clone, Debug)]
pub struct DecodeSummary {
    /// Its header.
    pub header: Header,
    /// Instructions decoded.
    pub native_ops: u64,
    /// Instructions by OpenQASM name.
    pub counts: BTreeMap<String, u64>,
    /// End of the last instruction (ns).
    pub duration_ns: f64,
    /// Precision of its `rz` angles (0: exact).
    pub angle_bits: u8,
    /// Bytes read.
    pub bytes: u64,
    /// Whether the text written was OpenQASM 3 (its conditions or loops have no OpenQASM 2
    /// form).
    pub qasm3: bool,
    /// For a program with loops: its text and how it was released.
    pub loops: Option<LoopSummary>,
}

/// What decoding a program with loops found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopSummary {
    /// Instructions of the text (each loop body once).
    pub text_ops: u64,
    /// Whether it was released unrolled ([`DecodeOptions::flatten`]); otherwise the counts
    /// are those of a run with every `while` loop iterating once.
    pub flattened: bool,
}

/// Where [`decode_program`] writes the decoded program as OpenQASM.
pub struct QasmSink<'a> {
    /// The writer, handed the text in pieces of about 64 KiB as instructions are decoded.
    pub writer: &'a mut dyn Write,
    /// Its name, for errors.
    pub name: &'a str,
}

/// The error of a decoder fault met while decoding program `file` with `cb`, blaming the input
/// at fault: the program, the codebook (naming the codebook's file), or their pairing.
pub fn decode_error(e: IsaError, file: &str, cb: &LoadedCodebook) -> PipelineError {
    let fail = |message: String| PipelineError::Decode {
        file: file.to_string(),
        message,
    };
    match (e.blame(), e) {
        (_, IsaError::CodebookMismatch { found, .. }) => fail(format!(
            "was assembled with codebook {}, but {} is {}; pass --codebook with the codebook it was assembled with",
            short_hash(&found),
            cb.origin,
            short_hash(&cb.hash)
        )),
        (_, IsaError::NoPulseAtoms) => fail(format!(
            "its pulse section needs pulse atoms, and {} has none",
            cb.origin
        )),
        (Blame::Codebook, source) => PipelineError::Codebook {
            origin: cb.origin.clone(),
            source,
        },
        (Blame::Pairing, other) => fail(format!("does not match {}: {other}", cb.origin)),
        (Blame::Program, other) => fail(other.to_string()),
    }
}

/// Why the feed loop stopped before the end.
enum Stop {
    /// The decoder refused the input.
    Isa(IsaError),
    /// The first instruction was met and the output is not set up yet (it is stashed).
    Setup,
    /// The output could not be written.
    Write(std::io::Error),
    /// The output cannot express what was decoded, or the run cannot go on (no results for a
    /// real-time loop).
    Output(String),
}

impl From<IsaError> for Stop {
    fn from(e: IsaError) -> Self {
        Stop::Isa(e)
    }
}

/// The input, read a chunk at a time; what the decoder has not taken yet stays in `chunk`.
struct Input<R> {
    reader: R,
    chunk: Vec<u8>,
    /// The untaken bytes are `chunk[from..to]`.
    from: usize,
    to: usize,
    total: u64,
}

impl<R: Read> Input<R> {
    fn read(&mut self) -> std::io::Result<usize> {
        loop {
            match self.reader.read(&mut self.chunk) {
                Ok(n) => {
                    self.from = 0;
                    self.to = n;
                    self.total += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Bytes after the program's end: those left in the chunk, then what the reader still has
    /// (counted up to [`TRAILING_COUNTED`], never kept).
    fn trailing(&mut self) -> std::io::Result<(u64, bool)> {
        let mut extra = (self.to - self.from) as u64;
        while extra <= TRAILING_COUNTED {
            let n = self.read()?;
            if n == 0 {
                return Ok((extra, true));
            }
            extra += n as u64;
        }
        Ok((extra, false))
    }
}

/// The error for bytes after the program's end: `held` the decoder took, then the rest of the
/// input.
fn trailing_error<R: Read>(
    held: u64,
    input: &mut Input<R>,
    fail: &dyn Fn(String) -> PipelineError,
) -> PipelineError {
    match input.trailing() {
        Ok((extra, true)) => fail(IsaError::TrailingBytes((held + extra) as usize).to_string()),
        Ok((extra, false)) => fail(format!(
            "more than {} unexpected bytes after the file checksum",
            held + extra
        )),
        Err(e) => fail(e.to_string()),
    }
}

/// How [`pump`] ended.
enum Pumped {
    /// The program's end, every checksum matched.
    End,
    /// The callback asked to stop at an instruction ([`Stop::Setup`]).
    Setup,
}

/// Feeds `input` to `dec`, handing every instruction to `on_instr`, until the program ends or
/// `on_instr` asks for setup.
fn pump<R: Read>(
    dec: &mut Decoder<'_>,
    input: &mut Input<R>,
    mut on_instr: impl FnMut(&TimedInstr<'_>) -> Result<(), Stop>,
    on_await: &mut dyn FnMut(u32, u64) -> Result<bool, Stop>,
    fail: &dyn Fn(String) -> PipelineError,
    describe: &dyn Fn(IsaError) -> PipelineError,
    write_fail: &dyn Fn(std::io::Error) -> PipelineError,
) -> Result<Pumped, PipelineError> {
    loop {
        let mut piece = input.chunk.get(input.from..input.to).unwrap_or(&[]);
        let before = piece.len();
        let fed = feed_chunks(dec, &mut piece, usize::MAX, &mut on_instr);
        input.from += before - piece.len();
        match fed {
            Ok(Fed::End) => return Ok(Pumped::End),
            Ok(Fed::Stalled) => return Err(fail("decoder stalled".into())),
            Ok(Fed::NeedInput) => {
                if input.read().map_err(|e| fail(e.to_string()))? == 0 {
                    // The decoder's "truncated" error names what is missing; where the input
                    // ended says how far the program got.
                    return Err(match dec.finish() {
                        Err(e @ IsaError::Truncated { .. }) => fail(format!(
                            "the input ended at byte {}, after {} instructions: {e}",
                            input.total,
                            dec.ops_done()
                        )),
                        Err(e) => describe(e),
                        Ok(()) => fail("decoder stalled".into()),
                    });
                }
            }
            Err(Stop::Setup) => return Ok(Pumped::Setup),
            // A real-time loop asks whether its condition holds.
            Err(Stop::Isa(IsaError::NoOutcomes { cond, bit_offset })) => {
                match on_await(cond, bit_offset) {
                    Ok(holds) => dec.answer(holds),
                    Err(Stop::Setup) => return Ok(Pumped::Setup),
                    Err(Stop::Output(what)) => return Err(fail(what)),
                    Err(Stop::Write(e)) => return Err(write_fail(e)),
                    Err(Stop::Isa(e)) => return Err(describe(e)),
                }
            }
            // The decoder counts the bytes after the end it holds; the input may have more.
            Err(Stop::Isa(IsaError::TrailingBytes(held))) => {
                return Err(trailing_error(held as u64, input, fail));
            }
            Err(Stop::Isa(e)) => return Err(describe(e)),
            Err(Stop::Write(e)) => return Err(write_fail(e)),
            Err(Stop::Output(what)) => return Err(fail(what)),
        }
    }
}

/// Running totals over the decoded instructions.
struct Tally {
    by_opcode: [u64; OPCODE_COUNT],
    ops: u64,
    end_ns: f64,
}

impl Tally {
    fn add(&mut self, t: &TimedInstr<'_>) {
        if let Some(n) = self.by_opcode.get_mut(t.instr.opcode as usize) {
            *n += 1;
        }
        self.ops += 1;
        self.end_ns = self.end_ns.max(t.start_ns + t.duration_ns);
    }

    fn add_op(&mut self, op: &TimedOp) {
        let code = eqisa_assembler::encode::opcode_of(&op.op);
        if let Some(n) = self.by_opcode.get_mut(code as usize) {
            *n += 1;
        }
        self.ops += 1;
        self.end_ns = self.end_ns.max(op.start_ns + op.duration_ns);
    }
}

/// The operation a decoded instruction stands for.
fn timed_op(t: &TimedInstr<'_>, angle_bits: u8) -> TimedOp {
    TimedOp {
        op: native_op(t.instr.opcode, t.instr.arg, angle_bits),
        qubits: SmallVec::from_slice(t.instr.qubits),
        cond: t.instr.cond,
        start_ns: t.start_ns,
        duration_ns: t.duration_ns,
    }
}

/// The first instruction, kept while the output is set up (its angle needs the program
/// section's precision).
struct Stashed {
    opcode: Opcode,
    arg: u64,
    bit_offset: u64,
    op: TimedOp,
}

/// How to decode a program with loops.
#[derive(Clone, Debug, Default)]
pub struct DecodeOptions {
    /// Release the program unrolled: every iteration of every loop, real-time `while` loops run
    /// on the measurement results of `outcomes`. Without it a program with loops is written
    /// with its loops (OpenQASM 3 `for` and `while`) and counted as it runs, each `while` once.
    pub flatten: bool,
    /// Measurement results for real-time loops when flattening.
    pub outcomes: Outcomes,
}

/// Most iterations of real-time loops a flattened decode runs in all: a `while` whose
/// condition never changes would run forever.
pub const MAX_WHILE_ITERATIONS: u64 = 10_000_000;

/// Most operations a flattened decode releases (each `while` counted once): about five minutes
/// of counting, and far more text than anyone reads; a `for` of 10^15 iterations is refused
/// before it starts rather than left to run for years.
pub const MAX_FLATTENED_OPS: u128 = 1 << 34;

/// Stream `input` (named `name` in errors) through the decoder with `cb`, counting its
/// instructions and, with `qasm`, writing the program as OpenQASM 2 (OpenQASM 3 when its
/// conditions or loops need it) as the instructions are released. Memory does not grow with the
/// number of instructions. A program with loops is written with them (see
/// [`decode_program_with`] to unroll it).
///
/// # Errors
/// When the input cannot be read, is not a valid program for this codebook (the message says
/// which codebook it was assembled with; a fault of the codebook names the codebook), has bytes
/// after its end, or the output cannot be written.
pub fn decode_program(
    input: impl Read,
    name: &str,
    cb: &LoadedCodebook,
    qasm: Option<QasmSink<'_>>,
) -> Result<DecodeSummary, PipelineError> {
    decode_program_with(input, name, cb, qasm, &DecodeOptions::default())
}

/// [`decode_program`] with the choices of `opts` for programs with loops.
///
/// # Errors
/// As [`decode_program`]; when flattening, also an unusable file of measurement results, a
/// condition on a bit no measurement wrote, or real-time loops past [`MAX_WHILE_ITERATIONS`].
pub fn decode_program_with(
    input: impl Read,
    name: &str,
    cb: &LoadedCodebook,
    qasm: Option<QasmSink<'_>>,
    opts: &DecodeOptions,
) -> Result<DecodeSummary, PipelineError> {
    let fail = |message: String| PipelineError::Decode {
        file: name.to_string(),
        message,
    };
    let describe = |e: IsaError| decode_error(e, name, cb);
    let mut dec = Decoder::new(&cb.codebook.priors, cb.hash);
    if !opts.flatten {
        dec = dec.text_only();
    }
    let mut input = Input {
        reader: input,
        chunk: vec![0u8; CHUNK],
        from: 0,
        to: 0,
        total: 0,
    };
    let mut tally = Tally {
        by_opcode: [0; OPCODE_COUNT],
        ops: 0,
        end_ns: 0.0,
    };
    let out_name = qasm.as_ref().map_or("", |q| q.name);
    let write_fail = |source: std::io::Error| PipelineError::Io {
        path: out_name.to_string(),
        source,
    };
    // Up to the first instruction (or real-time loop): by then the program, control and
    // metadata sections are read (the decoder refuses them after the instructions).
    let mut first: Option<Stashed> = None;
    let pumped = pump(
        &mut dec,
        &mut input,
        |t| {
            first = Some(Stashed {
                opcode: t.instr.opcode,
                arg: t.instr.arg,
                bit_offset: t.bit_offset,
                op: timed_op(t, 0),
            });
            Err(Stop::Setup)
        },
        &mut |_, _| Err(Stop::Setup),
        &fail,
        &describe,
        &write_fail,
    )?;
    let info = dec
        .info()
        .cloned()
        .ok_or_else(|| fail("no program section".into()))?;
    if let Some(job) = dec.job() {
        // Its metadata holds every circuit's registers: it is written one file per circuit.
        return Err(fail(format!(
            "is a job of {} circuits: decode it from a file with --output-dir DIR",
            job.entries().len()
        )));
    }
    let control = dec.control().cloned();
    // Without metadata a program can still be counted (the decoder refuses metadata that
    // arrives after the instructions); writing it, or running its real-time loops, needs it.
    let layout = match dec.metadata() {
        None if qasm.is_none() && control.is_none() => Layout {
            qregs: Vec::new(),
            cregs: Vec::new(),
            conditions: vec![CondExpr::Bool(true); info.condition_bits.len()],
        },
        m => Layout::parse(m.unwrap_or(&[])).map_err(|e| fail(e.to_string()))?,
    };
    if layout.conditions.len() != info.condition_bits.len() {
        return Err(fail(
            "metadata and program sections disagree on the number of conditions".into(),
        ));
    }
    let angle_bits = info.params.angle_bits;
    let mut qasm3 = false;
    let mut sink = qasm;
    if let (Some(control), false, Pumped::Setup) = (&control, opts.flatten, &pumped) {
        // The text, each loop body once: written with its loops as it is decoded.
        let header = dec
            .preamble()
            .map(|p| p.header.clone())
            .ok_or_else(|| fail("no header".into()))?;
        let shell = rebuild_text(&header, &info, &layout, Vec::new());
        let mut loops = LoopTextWriter::new(&shell, control);
        let ecr = info
            .durations
            .get(Opcode::Ecr as usize)
            .is_some_and(Option::is_some);
        let mut text = String::with_capacity(WRITE_BUFFER + 256);
        if sink.is_some() {
            loops.header(&mut text, ecr);
        }
        let unwritable =
            |e: AssembleError| format!("{e}: decode it with --flatten to write it unrolled");
        let mut emit = |op: &TimedOp, text: &mut String| -> Result<(), Stop> {
            if op.op == NativeOp::Ecr && !ecr {
                return Err(Stop::Output(
                    "corrupt program: an ecr instruction the program section lists no duration for"
                        .into(),
                ));
            }
            let out = sink.as_ref().map(|_| &mut *text);
            let times = loops.op(op, out).map_err(|e| Stop::Output(unwritable(e)))?;
            let code = eqisa_assembler::encode::opcode_of(&op.op);
            if let Some(n) = tally.by_opcode.get_mut(code as usize) {
                *n = n.saturating_add(times);
            }
            tally.ops = tally.ops.saturating_add(times);
            if let Some(sink) = sink.as_mut()
                && text.len() >= WRITE_BUFFER
            {
                sink.writer
                    .write_all(text.as_bytes())
                    .map_err(Stop::Write)?;
                text.clear();
            }
            Ok(())
        };
        if let Some(mut stashed) = first.take() {
            stashed.op.op = native_op(stashed.opcode, stashed.arg, angle_bits);
            match emit(&stashed.op, &mut text) {
                Ok(()) => {}
                Err(Stop::Write(e)) => return Err(write_fail(e)),
                Err(Stop::Output(what)) => return Err(fail(what)),
                Err(Stop::Isa(e)) => return Err(describe(e)),
                Err(Stop::Setup) => return Err(fail("decoder stalled".into())),
            }
        }
        let pumped = pump(
            &mut dec,
            &mut input,
            |t| emit(&timed_op(t, angle_bits), &mut text),
            &mut |_, _| {
                Err(Stop::Output(
                    "a real-time loop asked for results while printing the program's text".into(),
                ))
            },
            &fail,
            &describe,
            &write_fail,
        )?;
        if !matches!(pumped, Pumped::End) {
            return Err(fail("decoder stalled".into()));
        }
        let out = sink.as_ref().map(|_| &mut text);
        tally.end_ns = loops.finish(out).map_err(|e| fail(unwritable(e)))?;
        if let Some(sink) = sink.take() {
            sink.writer
                .write_all(text.as_bytes())
                .and_then(|()| sink.writer.flush())
                .map_err(write_fail)?;
            qasm3 = true;
        }
    } else if let Pumped::Setup = pumped {
        if let Some(c) = &control
            && opts.flatten
            && c.executed(1) > MAX_FLATTENED_OPS
        {
            return Err(fail(format!(
                "runs {} operations unrolled, more than the {MAX_FLATTENED_OPS} --flatten releases: decode it with its loops",
                c.executed(1)
            )));
        }
        // Shared by the instruction callback (results drawn) and the loop one (conditions).
        let record = std::cell::RefCell::new(match (&control, opts.flatten) {
            (Some(_), true) => Some(Record::new(&opts.outcomes, &info.condition_bits)?),
            _ => None,
        });
        let writer = match QasmWriter::qasm2(&layout.qregs, &layout.cregs, &layout.conditions) {
            Some(w) => w,
            None => QasmWriter::qasm3(&layout.qregs, &layout.cregs, &layout.conditions),
        };
        qasm3 = sink.is_some() && writer.is_qasm3();
        // The assembler lists the duration of every opcode a program uses, so this says whether
        // the header must define `ecr` before the first line that uses it.
        let ecr = info
            .durations
            .get(Opcode::Ecr as usize)
            .is_some_and(Option::is_some);
        let mut text = String::with_capacity(WRITE_BUFFER + 256);
        if sink.is_some() {
            writer.header(&mut text, ecr);
        }
        let writes = sink.is_some();
        let records = record.borrow().is_some();
        let mut emit = |op: &TimedOp, bit_offset: u64, text: &mut String| -> Result<(), Stop> {
            if op.op == NativeOp::Ecr && !ecr {
                return Err(Stop::Output(
                    "corrupt program: an ecr instruction the program section lists no duration for"
                        .into(),
                ));
            }
            if let (Some(r), NativeOp::Measure { clbit }) = (record.borrow_mut().as_mut(), op.op) {
                r.measured(u64::from(clbit), bit_offset);
            }
            let Some(sink) = sink.as_mut() else {
                return Ok(());
            };
            match op.cond.and_then(|c| layout.conditions.get(c as usize)) {
                Some(c) if bit_offset > 0 => {
                    let shifted = eqisa_assembler::structured::shift_condition(c, bit_offset).ok_or_else(|| {
                        Stop::Output("a condition on a whole register in a loop that moves along the measurement record cannot be written unrolled".into())
                    })?;
                    if !writer.is_qasm3() {
                        return Err(Stop::Output(
                            "a shifted condition has no OpenQASM 2 form".into(),
                        ));
                    }
                    let conds = [shifted];
                    let w = QasmWriter::qasm3(&layout.qregs, &layout.cregs, &conds);
                    let mut op = op.clone();
                    op.cond = Some(0);
                    w.op(text, &op);
                }
                _ => writer.op(text, op),
            }
            if text.len() >= WRITE_BUFFER {
                sink.writer
                    .write_all(text.as_bytes())
                    .map_err(Stop::Write)?;
                text.clear();
            }
            Ok(())
        };
        if let Some(mut stashed) = first.take() {
            stashed.op.op = native_op(stashed.opcode, stashed.arg, angle_bits);
            tally.add_op(&stashed.op);
            match emit(&stashed.op, stashed.bit_offset, &mut text) {
                Ok(()) => {}
                Err(Stop::Write(e)) => return Err(write_fail(e)),
                Err(Stop::Output(what)) => return Err(fail(what)),
                Err(Stop::Isa(e)) => return Err(describe(e)),
                Err(Stop::Setup) => return Err(fail("decoder stalled".into())),
            }
        }
        let mut answered = 0u64;
        let pumped = pump(
            &mut dec,
            &mut input,
            |t| {
                tally.add(t);
                // Counting alone needs no operation built.
                if !writes && (!records || t.instr.opcode != Opcode::Measure) {
                    return Ok(());
                }
                emit(&timed_op(t, angle_bits), t.bit_offset, &mut text)
            },
            &mut |cond, offset| {
                let mut r = record.borrow_mut();
                let Some(r) = r.as_mut() else {
                    return Err(Stop::Output(
                        "a real-time loop without measurement results".into(),
                    ));
                };
                let c = layout
                    .conditions
                    .get(cond as usize)
                    .ok_or_else(|| Stop::Output("a while loop's condition out of range".into()))?;
                let holds = r.holds(c, &layout.cregs, offset);
                if let Some(f) = r.fault.take() {
                    return Err(Stop::Output(f));
                }
                answered += u64::from(holds);
                if answered > MAX_WHILE_ITERATIONS {
                    return Err(Stop::Output(format!(
                        "real-time loops ran more than {MAX_WHILE_ITERATIONS} iterations; a loop whose condition never changes is not unrolled"
                    )));
                }
                Ok(holds)
            },
            &fail,
            &describe,
            &write_fail,
        )?;
        if !matches!(pumped, Pumped::End) {
            return Err(fail("decoder stalled".into()));
        }
        if let Some(f) = record.borrow_mut().as_mut().and_then(|r| r.fault.take()) {
            return Err(PipelineError::Outcomes {
                file: name.to_string(),
                message: f,
            });
        }
        if let Some(sink) = sink.as_mut() {
            sink.writer
                .write_all(text.as_bytes())
                .and_then(|()| sink.writer.flush())
                .map_err(write_fail)?;
        }
    }
    if input.to > input.from || input.read().map_err(|e| fail(e.to_string()))? > 0 {
        return Err(trailing_error(0, &mut input, &fail));
    }
    let header = dec
        .preamble()
        .map(|p| p.header.clone())
        .ok_or_else(|| fail("no header".into()))?;
    let counts = Opcode::ALL
        .iter()
        .filter_map(|&op| {
            let n = tally.by_opcode.get(op as usize).copied().unwrap_or(0);
            (n > 0).then(|| (native_op(op, 0, angle_bits).name().to_string(), n))
        })
        .collect();
    Ok(DecodeSummary {
        header,
        native_ops: tally.ops,
        counts,
        duration_ns: tally.end_ns,
        angle_bits,
        bytes: input.total,
        qasm3,
        loops: control.map(|c| LoopSummary {
            text_ops: c.text_len(),
            flattened: opts.flatten,
        }),
    })
}

/// The decoded text as a program (its times those of the text's first run); without
/// operations, the registers and conditions a writer needs.
fn rebuild_text(
    header: &Header,
    info: &ProgramInfo,
    layout: &Layout,
    ops: Vec<TimedOp>,
) -> NativeProgram {
    let duration_ns = ops
        .iter()
        .map(|o| o.start_ns + o.duration_ns)
        .fold(0.0, f64::max);
    NativeProgram {
        target: match header.target {
            eqisa_isa::Target::Native => TargetKind::Native,
            eqisa_isa::Target::CliffordT => TargetKind::CliffordT,
        },
        num_qubits: header.qubit_count,
        num_clbits: header.clbit_count,
        qregs: layout.qregs.clone(),
        cregs: layout.cregs.clone(),
        ops,
        conditions: layout.conditions.clone(),
        duration_ns,
        angle_bits: info.params.angle_bits,
    }
}

/// The pulse section of `bytes` (a whole program) rebuilt into per-channel samples with `cb`'s
/// pulse atoms.
///
/// # Errors
/// When the program has no pulse section, the codebook no pulse atoms, or the section is
/// invalid.
pub fn decode_samples(
    bytes: &[u8],
    name: &str,
    cb: &LoadedCodebook,
) -> Result<PulseRows, PipelineError> {
    // The rows become a `.npy` of 4 bytes a sample: as large as the limit on files allows.
    let max_samples = eqisa_files::limit() / 4;
    eqisa_decoder::decode_pulse_rows(bytes, cb.pulse_atoms.as_ref(), cb.hash, max_samples)
        .map_err(|e| decode_error(e, name, cb))?
        .ok_or_else(|| PipelineError::Decode {
            file: name.to_string(),
            message: "has no pulse section (assemble it with --pulses)".into(),
        })
}
