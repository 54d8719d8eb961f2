//! The instruction stream around the model: the program section (what the decoder must know
//! before the first instruction), the block framing of the instruction section, the ASAP
//! scheduler that rebuilds timing, and the block encoder.
//!
//! Instruction section payload: a sequence of blocks, each
//! `uvarint payload_len | uvarint op_count | u32-LE CRC-32C(payload_len, op_count, payload) |
//! payload`, where the payload is one independently flushed block of the multi-symbol range coder
//! ([`crate::coder::SymbolEncoder`]). The model's state carries over from block to block; the
//! decoder needs to hold only one block ([`MAX_BLOCK_BYTES`]) at a time, and checks its CRC before
//! decoding a single instruction from it.

use alloc::vec::Vec;

use crate::coder::SymbolEncoder;
use crate::container::Target;
use crate::copies::Packed;
use crate::crc::Crc32c;
use crate::error::IsaError;
use crate::instr::{Instr, OPCODE_COUNT, Opcode};
use crate::model::{Model, Priors, ProgramParams};
use crate::varint::{read_uvarint, write_uvarint};

/// Largest block payload a decoder must buffer.
pub const MAX_BLOCK_BYTES: usize = 1 << 20;
/// Most instructions in one block.
pub const MAX_BLOCK_OPS: u64 = 1 << 16;
/// The encoder closes a block once its payload reaches this size.
pub const TARGET_BLOCK_BYTES: usize = 32 << 10;
/// Most qubits a program may declare: bounds the decoder's per-qubit state. Classical bits are
/// bounded by their `u32` count alone: the decoder keeps state only for those conditions read.
pub const MAX_QUBITS: u32 = 1 << 24;
/// Most conditions a program may declare, and most bits one condition may read in total.
pub const MAX_CONDITION_BITS: u64 = 1 << 24;

/// Everything in the program section.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgramInfo {
    /// Parameters of the model.
    pub params: ProgramParams,
    /// Duration in ns of each opcode the program uses (`None`: not used).
    pub durations: [Option<f64>; OPCODE_COUNT],
    /// The classical bits each condition reads, sorted and without repeats (the scheduler
    /// waits for them).
    pub condition_bits: Vec<Vec<u32>>,
    /// Instructions in the program.
    pub total_ops: u64,
}

fn take<'a>(
    bytes: &'a [u8],
    pos: &mut usize,
    n: usize,
    what: &'static str,
) -> Result<&'a [u8], IsaError> {
    let end = pos
        .checked_add(n)
        .ok_or(IsaError::LengthOverflow { what })?;
    let s = bytes.get(*pos..end).ok_or(IsaError::Truncated {
        what,
        needed: n as u64,
        available: bytes.len().saturating_sub(*pos) as u64,
    })?;
    *pos = end;
    Ok(s)
}

fn uvarint(bytes: &[u8], pos: &mut usize) -> Result<u64, IsaError> {
    let (v, n) = read_uvarint(bytes.get(*pos..).unwrap_or(&[]))?;
    *pos += n;
    Ok(v)
}

/// A time in ns as whole ticks of `dt` (`2·ticks`) when exact, else `1` and the raw bits.
fn write_time(out: &mut Vec<u8>, ns: f64, dt: f64) {
    if dt > 0.0 && ns >= 0.0 && ns / dt < 1.0e15 {
        let k = (ns / dt + 0.5) as u64;
        if (k as f64 * dt).to_bits() == ns.to_bits() {
            write_uvarint(out, k << 1);
            return;
        }
    }
    write_uvarint(out, 1);
    out.extend_from_slice(&ns.to_bits().to_le_bytes());
}

fn read_time(bytes: &[u8], pos: &mut usize, dt: f64) -> Result<f64, IsaError> {
    let v = uvarint(bytes, pos)?;
    let t = if v == 1 {
        let raw = take(bytes, pos, 8, "raw duration")?;
        let mut b = [0u8; 8];
        b.copy_from_slice(raw);
        f64::from_bits(u64::from_le_bytes(b))
    } else if v & 1 == 0 {
        (v >> 1) as f64 * dt
    } else {
        return Err(IsaError::Corrupt("bad duration tag"));
    };
    check_time(t)
}

/// Longest duration or latest time the instruction stream carries, ns: 10^18 ns (31 years).
/// Below it, the sum of the durations of any number of instructions a file can hold stays far
/// inside `f64`, so every start time the scheduler computes is finite.
pub const MAX_TIME_NS: f64 = 1e18;

/// A duration or time must be finite, not negative and at most [`MAX_TIME_NS`]: the encoder
/// refuses what this refuses, so that whatever it writes its decoder accepts.
///
/// # Errors
/// [`IsaError::Corrupt`] otherwise.
pub fn check_time(t: f64) -> Result<f64, IsaError> {
    if t.is_finite() && (0.0..=MAX_TIME_NS).contains(&t) {
        Ok(t)
    } else {
        Err(IsaError::Corrupt(
            "a duration or time that is negative, not finite or above 1e18 ns (MAX_TIME_NS)",
        ))
    }
}

impl ProgramInfo {
    /// Serialise into the program section's payload.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let p = &self.params;
        out.push(p.angle_bits);
        out.push(u8::from(p.explicit_timing));
        out.extend_from_slice(&p.dt_ns_bits.to_le_bytes());
        let dt = f64::from_bits(p.dt_ns_bits);
        let mut mask = 0u32;
        for (i, d) in self.durations.iter().enumerate() {
            if d.is_some() {
                mask |= 1 << i;
            }
        }
        write_uvarint(&mut out, u64::from(mask));
        for d in self.durations.iter().flatten() {
            write_time(&mut out, *d, dt);
        }
        write_uvarint(&mut out, self.condition_bits.len() as u64);
        for bits in &self.condition_bits {
            // As runs of consecutive bits (a condition on a register reads one run):
            // run count, then per run the gap after the previous run and the length − 1.
            let runs = runs_of(bits);
            write_uvarint(&mut out, runs.len() as u64);
            let mut next = 0u64;
            for (start, len) in runs {
                write_uvarint(&mut out, start - next);
                write_uvarint(&mut out, len - 1);
                next = start + len;
            }
        }
        write_uvarint(&mut out, self.total_ops);
        out
    }

    /// Parse the program section's payload, for a program with the header's target and counts.
    pub fn parse(
        bytes: &[u8],
        target: Target,
        num_qubits: u32,
        num_clbits: u32,
    ) -> Result<ProgramInfo, IsaError> {
        if num_qubits > MAX_QUBITS {
            return Err(IsaError::Limit {
                what: "qubit count",
                found: u64::from(num_qubits),
                max: u64::from(MAX_QUBITS),
            });
        }
        let mut pos = 0usize;
        let fixed = take(bytes, &mut pos, 10, "program parameters")?;
        let angle_bits = fixed.first().copied().unwrap_or(0);
        if angle_bits > crate::angle::MAX_BITS {
            return Err(IsaError::Corrupt("angle precision above the maximum"));
        }
        let explicit_timing = match fixed.get(1) {
            Some(0) => false,
            Some(1) => true,
            _ => return Err(IsaError::Corrupt("bad timing mode")),
        };
        let mut b = [0u8; 8];
        b.copy_from_slice(fixed.get(2..10).unwrap_or(&[0; 8]));
        let dt_ns_bits = u64::from_le_bytes(b);
        let dt = f64::from_bits(dt_ns_bits);
        if !(dt.is_finite() && dt > 0.0) {
            return Err(IsaError::Corrupt(
                "the sample period dt is not a positive number",
            ));
        }
        let mask = uvarint(bytes, &mut pos)?;
        if mask >> OPCODE_COUNT != 0 {
            return Err(IsaError::Corrupt("duration mask names unknown opcodes"));
        }
        let mut durations = [None; OPCODE_COUNT];
        for (i, d) in durations.iter_mut().enumerate() {
            if mask >> i & 1 == 1 {
                *d = Some(read_time(bytes, &mut pos, dt)?);
            }
        }
        let nconds = uvarint(bytes, &mut pos)?;
        if nconds > MAX_CONDITION_BITS {
            return Err(IsaError::Limit {
                what: "condition count",
                found: nconds,
                max: MAX_CONDITION_BITS,
            });
        }
        let mut condition_bits = Vec::new();
        let mut total_bits = 0u64;
        for _ in 0..nconds {
            let runs = uvarint(bytes, &mut pos)?;
            if runs > bytes.len() as u64 {
                return Err(IsaError::Corrupt(
                    "condition bit runs longer than the section",
                ));
            }
            let mut bits = Vec::new();
            let mut next = 0u64;
            for _ in 0..runs {
                let start = next.saturating_add(uvarint(bytes, &mut pos)?);
                let len = uvarint(bytes, &mut pos)?.saturating_add(1);
                let end = start.saturating_add(len);
                total_bits = total_bits.saturating_add(len);
                if total_bits > MAX_CONDITION_BITS {
                    return Err(IsaError::Limit {
                        what: "bits read by conditions",
                        found: total_bits,
                        max: MAX_CONDITION_BITS,
                    });
                }
                if end > u64::from(num_clbits) {
                    return Err(IsaError::Corrupt("condition reads a bit out of range"));
                }
                bits.extend(start as u32..end as u32);
                next = end;
            }
            condition_bits.push(bits);
        }
        let total_ops = uvarint(bytes, &mut pos)?;
        if pos != bytes.len() {
            return Err(IsaError::Corrupt("trailing bytes in the program section"));
        }
        Ok(ProgramInfo {
            params: ProgramParams {
                target,
                num_qubits,
                num_clbits,
                angle_bits,
                num_conditions: condition_bits.len() as u32,
                dt_ns_bits,
                explicit_timing,
            },
            durations,
            condition_bits,
            total_ops,
        })
    }
}

/// Sorted bits as `(start, length)` runs of consecutive values (duplicates merged).
fn runs_of(bits: &[u32]) -> Vec<(u64, u64)> {
    let mut sorted: Vec<u64> = bits.iter().map(|&b| u64::from(b)).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for b in sorted {
        match runs.last_mut() {
            Some((start, len)) if *start + *len == b => *len += 1,
            _ => runs.push((b, 1)),
        }
    }
    runs
}

/// A block's framing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    /// Payload bytes.
    pub len: usize,
    /// Instructions in the block.
    pub ops: u64,
    /// CRC-32C of the payload.
    pub crc: u32,
}

impl BlockHeader {
    /// The CRC-32C a block carries: over its length and count (as written) and its payload, so
    /// a corrupted count cannot make a decoder run past a block or stop inside one.
    #[must_use]
    pub fn checksum(len: usize, ops: u64, payload: &[u8]) -> u32 {
        // The two varints on the stack: a decoder checks every block, and allocates nothing
        // once it is set up.
        let mut c = Crc32c::new();
        for value in [len as u64, ops] {
            let mut v = value;
            while v >= 0x80 {
                c.update(&[(v as u8) | 0x80]);
                v >>= 7;
            }
            c.update(&[v as u8]);
        }
        c.update(payload);
        c.finish()
    }

    /// Append the framing.
    pub fn write(&self, out: &mut Vec<u8>) {
        write_uvarint(out, self.len as u64);
        write_uvarint(out, self.ops);
        out.extend_from_slice(&self.crc.to_le_bytes());
    }

    /// Parse the framing from the start of `bytes`: `Ok(None)` when more bytes are needed,
    /// else the header and its length.
    pub fn parse(bytes: &[u8]) -> Result<Option<(BlockHeader, usize)>, IsaError> {
        let mut pos = 0usize;
        let len = match read_uvarint(bytes) {
            Ok((v, n)) => {
                pos += n;
                v
            }
            Err(IsaError::Truncated { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let ops = match read_uvarint(bytes.get(pos..).unwrap_or(&[])) {
            Ok((v, n)) => {
                pos += n;
                v
            }
            Err(IsaError::Truncated { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if len > MAX_BLOCK_BYTES as u64 {
            return Err(IsaError::Limit {
                what: "block size",
                found: len,
                max: MAX_BLOCK_BYTES as u64,
            });
        }
        if ops == 0 || ops > MAX_BLOCK_OPS {
            return Err(IsaError::Corrupt("block instruction count out of range"));
        }
        let Some(crc) = bytes.get(pos..pos + 4) else {
            return Ok(None);
        };
        let mut b = [0u8; 4];
        b.copy_from_slice(crc);
        Ok(Some((
            BlockHeader {
                len: len as usize,
                ops,
                crc: u32::from_le_bytes(b),
            },
            pos + 4,
        )))
    }
}

/// The later of two times, in one comparison: `f64::max` whenever `a` is not NaN (the scheduler
/// only passes times it computed from checked, finite durations).
#[inline(always)]
fn later(a: f64, b: f64) -> f64 {
    if b > a { b } else { a }
}

/// Rebuilds start times and durations exactly as the assembler's ASAP schedule made them.
///
/// Only the classical bits some condition reads are tracked (their measurements' ends), so its
/// memory follows the qubits and the conditions, not the classical bits: a program may measure
/// 10^8 bits in a loop.
#[derive(Clone, Debug)]
pub struct Scheduler {
    qubit_free: Vec<f64>,
    /// The bits conditions read, sorted and without repeats.
    watched: Vec<u32>,
    /// When the last measurement of each watched bit ends.
    watched_free: Vec<f64>,
    /// Nothing starts before this (see [`Scheduler::align`]).
    floor: f64,
    /// End of the last instruction so far.
    pub end_ns: f64,
}

impl Scheduler {
    /// A scheduler for a program's qubits and the bits its conditions read.
    #[must_use]
    pub fn new(num_qubits: u32, condition_bits: &[Vec<u32>]) -> Scheduler {
        let mut watched: Vec<u32> = condition_bits.iter().flatten().copied().collect();
        watched.sort_unstable();
        watched.dedup();
        Scheduler {
            qubit_free: alloc::vec![0.0; num_qubits as usize],
            watched_free: alloc::vec![0.0; watched.len()],
            watched,
            floor: 0.0,
            end_ns: 0.0,
        }
    }

    /// Align every qubit at the end of everything placed so far: what follows starts no
    /// earlier (a loop iteration, or a piece of a structured program, begins).
    pub fn align(&mut self) {
        self.floor = self.end_ns;
    }

    /// When the instructions placed from now on may start at the earliest.
    #[must_use]
    pub fn floor(&self) -> f64 {
        self.floor
    }

    /// An instruction ending at `end` was placed without the scheduler (a replayed loop body,
    /// whose times relative to its node's start are those of its first run): only the end of
    /// everything moves. The qubits' own times fall below the next node's aligned start anyway.
    #[inline]
    pub fn note_end(&mut self, end: f64) {
        self.end_ns = later(self.end_ns, end);
    }

    #[inline]
    fn measured(&mut self, bit: u64, end: f64) {
        if self.watched.is_empty() {
            return;
        }
        if let Ok(bit) = u32::try_from(bit)
            && let Ok(i) = self.watched.binary_search(&bit)
            && let Some(f) = self.watched_free.get_mut(i)
        {
            *f = end;
        }
    }

    fn bit_free(&self, bit: u32) -> f64 {
        self.watched
            .binary_search(&bit)
            .ok()
            .and_then(|i| self.watched_free.get(i).copied())
            .unwrap_or(0.0)
    }

    /// Place `instr` as soon as its qubits (and the bits its condition reads) are free.
    #[inline]
    pub fn place(&mut self, instr: &Instr<'_>, info: &ProgramInfo) -> Result<(f64, f64), IsaError> {
        if instr.cond.is_none() && instr.opcode != Opcode::Delay {
            // Fast path for the common unconditional one- and two-qubit gates: the same
            // operations in the same order as the general path below, so bit-identical.
            if !matches!(instr.qubits.len(), 1 | 2) {
                return self.place_general(instr, info);
            }
            let dur = info
                .durations
                .get(instr.opcode as usize)
                .copied()
                .flatten()
                .ok_or(IsaError::Corrupt(
                    "an opcode without a duration in the program section",
                ))?;
            // As `place_general` computes it (`later` is `f64::max` here, see there), with one
            // bounds check per qubit.
            let (start, end) = match *instr.qubits {
                [a] => match self.qubit_free.get_mut(a as usize) {
                    Some(f) => {
                        let start = later(self.floor, *f);
                        *f = start + dur;
                        (start, start + dur)
                    }
                    None => (self.floor, self.floor + dur),
                },
                [a, b] => {
                    let fa = self.qubit_free.get(a as usize).copied().unwrap_or(0.0);
                    let fb = self.qubit_free.get(b as usize).copied().unwrap_or(0.0);
                    let start = later(later(self.floor, fa), fb);
                    let end = start + dur;
                    if let Some(f) = self.qubit_free.get_mut(a as usize) {
                        *f = end;
                    }
                    if let Some(f) = self.qubit_free.get_mut(b as usize) {
                        *f = end;
                    }
                    (start, end)
                }
                _ => return self.place_general(instr, info),
            };
            if instr.opcode == Opcode::Measure {
                self.measured(instr.arg, end);
            }
            self.end_ns = later(self.end_ns, end);
            return Ok((start, dur));
        }
        self.place_general(instr, info)
    }

    fn place_general(
        &mut self,
        instr: &Instr<'_>,
        info: &ProgramInfo,
    ) -> Result<(f64, f64), IsaError> {
        let mut start = instr
            .qubits
            .iter()
            .map(|&q| self.qubit_free.get(q as usize).copied().unwrap_or(0.0))
            .fold(self.floor, f64::max);
        if let Some(bits) = instr.cond.and_then(|c| info.condition_bits.get(c as usize)) {
            for &b in bits {
                start = start.max(self.bit_free(b));
            }
        }
        let dur = match instr.opcode {
            Opcode::Delay => check_time(f64::from_bits(instr.arg))?,
            op => info
                .durations
                .get(op as usize)
                .copied()
                .flatten()
                .ok_or(IsaError::Corrupt(
                    "an opcode without a duration in the program section",
                ))?,
        };
        for &q in instr.qubits {
            if let Some(f) = self.qubit_free.get_mut(q as usize) {
                *f = start + dur;
            }
        }
        if instr.opcode == Opcode::Measure {
            self.measured(instr.arg, start + dur);
        }
        self.end_ns = self.end_ns.max(start + dur);
        Ok((start, dur))
    }
}

/// Writes instructions into the instruction section's blocks, each coded as it comes: the block
/// framing's writing side. It never ends a block inside a copy nor lets a copy's operations
/// straddle two blocks (the decoder refuses both). Which runs become copies is decided outside,
/// by the encoder's planner (`eqisa-encode`), which passes them to [`BlockEncoder::push_packed`];
/// on targets without copies [`BlockEncoder::push`] alone writes the whole stream.
#[derive(Debug)]
pub struct BlockEncoder {
    model: Model,
    enc: SymbolEncoder,
    block_ops: u64,
    out: Vec<u8>,
    blocks: u64,
}

impl BlockEncoder {
    /// An encoder for one program.
    pub fn new(priors: &Priors, params: ProgramParams) -> Result<BlockEncoder, IsaError> {
        Ok(BlockEncoder {
            model: Model::new(priors, params)?,
            enc: SymbolEncoder::new(),
            block_ops: 0,
            out: Vec::new(),
            blocks: 0,
        })
    }

    /// Encode one instruction (and its timing when the program carries it explicitly).
    // The stream encoder calls these from another crate, once per instruction: inlined into its
    // loop as when they were one crate (`push` has two callers there, too few for LLVM's taste).
    #[inline(always)]
    pub fn push(&mut self, instr: &Instr<'_>, timing: (f64, f64)) -> Result<(), IsaError> {
        self.model.code(&mut self.enc, instr)?;
        if self.model.params().explicit_timing {
            self.model.timing(&mut self.enc, timing.0, timing.1);
        }
        self.end_op()
    }

    /// As [`BlockEncoder::push`] for an operation of a planned run: `packed` on the first
    /// operation of a copy or syllable (a copy that would not fit in the current block starts
    /// the next one), `None` on the others and on single gates.
    #[inline]
    pub fn push_packed(
        &mut self,
        packed: Option<Packed>,
        instr: &Instr<'_>,
        timing: (f64, f64),
    ) -> Result<(), IsaError> {
        if let Some(k) = packed {
            if self.block_ops + u64::from(k.ops()) > MAX_BLOCK_OPS {
                self.close_block()?;
            }
            self.model.request(k);
        }
        self.push(instr, timing)
    }

    /// Count an operation and end the block when it is full (never inside a copy).
    #[inline]
    fn end_op(&mut self) -> Result<(), IsaError> {
        self.block_ops += 1;
        if !self.model.copying()
            && (self.enc.len() >= TARGET_BLOCK_BYTES || self.block_ops >= MAX_BLOCK_OPS)
        {
            self.close_block()?;
        }
        Ok(())
    }

    fn close_block(&mut self) -> Result<(), IsaError> {
        if self.block_ops == 0 {
            return Ok(());
        }
        let payload = core::mem::take(&mut self.enc).finish();
        if payload.len() > MAX_BLOCK_BYTES {
            return Err(IsaError::Limit {
                what: "block size",
                found: payload.len() as u64,
                max: MAX_BLOCK_BYTES as u64,
            });
        }
        BlockHeader {
            len: payload.len(),
            ops: self.block_ops,
            crc: BlockHeader::checksum(payload.len(), self.block_ops, &payload),
        }
        .write(&mut self.out);
        self.out.extend_from_slice(&payload);
        self.block_ops = 0;
        self.blocks += 1;
        Ok(())
    }

    /// Close the last block and return the section payload and the number of blocks.
    pub fn finish(mut self) -> Result<(Vec<u8>, u64), IsaError> {
        self.close_block()?;
        Ok((self.out, self.blocks))
    }
}
