//! Whole-file decoding into owned instructions (`std` feature): what the CLI and tests use.

use std::vec::Vec;

use eqisa_isa::instr::Opcode;
use eqisa_isa::model::Priors;
use eqisa_isa::stream::ProgramInfo;
use eqisa_isa::{Header, IsaError};

use crate::{Decoder, Event};

/// One decoded instruction with its schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedInstr {
    /// What it does.
    pub opcode: Opcode,
    /// Its qubits.
    pub qubits: Vec<u32>,
    /// The condition it waits on.
    pub cond: Option<u32>,
    /// Angle index / raw bits (rz), classical bit (measure), IEEE bits of ns (delay).
    pub arg: u64,
    /// Start (ns).
    pub start_ns: f64,
    /// Duration (ns).
    pub duration_ns: f64,
}

/// A whole decoded program.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedProgram {
    /// The fixed header.
    pub header: Header,
    /// The program section.
    pub info: ProgramInfo,
    /// The metadata section's bytes (empty when absent).
    pub metadata: Vec<u8>,
    /// Every instruction in order.
    pub instrs: Vec<DecodedInstr>,
}

/// Decode a whole `.eqb` held in memory, feeding it in chunks as a stream would arrive.
pub fn decode_all(
    bytes: &[u8],
    priors: &Priors,
    codebook_hash: [u8; 32],
) -> Result<DecodedProgram, IsaError> {
    let mut dec = Decoder::new(priors, codebook_hash);
    let mut rest = bytes;
    let mut instrs = Vec::new();
    loop {
        match dec.next_event()? {
            Event::Instr(t) => instrs.push(DecodedInstr {
                opcode: t.instr.opcode,
                qubits: t.instr.qubits.to_vec(),
                cond: t.instr.cond,
                arg: t.instr.arg,
                start_ns: t.start_ns,
                duration_ns: t.duration_ns,
            }),
            Event::NeedInput => {
                if rest.is_empty() {
                    dec.finish()?;
                    return Err(IsaError::Corrupt("decoder stalled"));
                }
                let n = dec.feed(rest);
                rest = rest.get(n..).unwrap_or(&[]);
            }
            Event::End => {
                if !rest.is_empty() {
                    return Err(IsaError::TrailingBytes(rest.len()));
                }
                dec.finish()?;
                let header = dec
                    .preamble()
                    .map(|p| p.header.clone())
                    .ok_or(IsaError::MissingSection("header"))?;
                let info = dec
                    .info()
                    .cloned()
                    .ok_or(IsaError::MissingSection("program"))?;
                let metadata = dec.metadata().map(<[u8]>::to_vec).unwrap_or_default();
                return Ok(DecodedProgram {
                    header,
                    info,
                    metadata,
                    instrs,
                });
            }
        }
    }
}
