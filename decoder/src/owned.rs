//! Whole-file decoding into owned values (`alloc` only): what the CLI and tests use.

use alloc::vec::Vec;

use eqisa_isa::container::{TRAILER_LEN, parse_header, parse_section_header};
use eqisa_isa::instr::{Opcode, TimedInstr};
use eqisa_isa::model::Priors;
use eqisa_isa::pulse::{AtomSet, ChannelId};
use eqisa_isa::stream::ProgramInfo;
use eqisa_isa::{Container, Header, IsaError, SectionKind};

use crate::feed::{Fed, feed_chunks};
use crate::pulse::PulseDecoder;
use crate::stream::Decoder;

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

impl From<&TimedInstr<'_>> for DecodedInstr {
    fn from(t: &TimedInstr<'_>) -> Self {
        DecodedInstr {
            opcode: t.instr.opcode,
            qubits: t.instr.qubits.to_vec(),
            cond: t.instr.cond,
            arg: t.instr.arg,
            start_ns: t.start_ns,
            duration_ns: t.duration_ns,
        }
    }
}

/// Decode a whole `.eqb` held in memory, feeding it in chunks as a stream would arrive.
///
/// ```
/// # use eqisa_isa::codebook::Codebook;
/// # use eqisa_isa::model::Priors;
/// # use eqisa_lower::target::{TargetDesc, TargetKind};
/// # use eqisa_lower::{LowerOptions, lower};
/// # let c = eqisa_qasm::parse_str(
/// #     "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nh q[0];\ncx q[0], q[1];\n",
/// #     "bell.qasm",
/// # )?;
/// # let target = TargetDesc::default_for(TargetKind::Native);
/// # let program = lower(&c, &target, &LowerOptions::default())?.program;
/// # let codebook = Codebook {
/// #     description: "flat".into(),
/// #     priors: Priors::default(),
/// #     paper_dictionary: None,
/// #     training: String::new(),
/// # };
/// // `bytes`: an `.eqb` program assembled with `codebook` (here by eqisa-assembler).
/// let bytes = eqisa_assembler::assemble(&program, &target, &codebook, codebook.hash())?.bytes;
/// let decoded = eqisa_decoder::decode_all(&bytes, &codebook.priors, codebook.hash())?;
/// assert_eq!(decoded.instrs.len(), program.ops.len());
/// // A flipped bit anywhere is refused, never decoded into something else.
/// let mut bad = bytes.clone();
/// bad[bytes.len() / 2] ^= 1;
/// assert!(eqisa_decoder::decode_all(&bad, &codebook.priors, codebook.hash()).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_all(
    bytes: &[u8],
    priors: &Priors,
    codebook_hash: [u8; 32],
) -> Result<DecodedProgram, IsaError> {
    let mut dec = Decoder::new(priors, codebook_hash);
    let mut rest = bytes;
    let mut instrs = Vec::new();
    let fed = feed_chunks(&mut dec, &mut rest, usize::MAX, |t| {
        instrs.push(DecodedInstr::from(t));
        Ok::<(), IsaError>(())
    })?;
    match fed {
        Fed::End => {}
        Fed::NeedInput => {
            // The decoder's own "truncated" error names what is missing.
            dec.finish()?;
            return Err(IsaError::Corrupt("decoder stalled"));
        }
        Fed::Stalled => return Err(IsaError::Corrupt("decoder stalled")),
    }
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
    Ok(DecodedProgram {
        header,
        info,
        metadata,
        instrs,
    })
}

/// Most samples [`decode_pulse_rows`] lays out (channels × duration) whatever it is asked:
/// 2^29, 2 GiB of rows.
pub const MAX_ROW_SAMPLES: u64 = 1 << 29;

/// A program's pulses as one row of samples per channel, zero where the channel is idle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PulseRows {
    /// The channels, in the section's order (row `i` is channel `i`).
    pub channels: Vec<ChannelId>,
    /// Length of every row: the end of the last play, in samples (`dt` units).
    pub duration: u64,
    /// `channels.len()` rows of `duration` I/Q samples.
    pub rows: Vec<Vec<[i16; 2]>>,
}

/// Decodes the pulse section of a whole `.eqb` held in memory into per-channel rows. `Ok(None)`
/// when the program has no pulse section.
///
/// Every checksum of the file (header, sections, file CRC) and the codebook hash are checked
/// before anything is decoded; the section is then streamed through [`PulseDecoder`] in small
/// pieces, as it would arrive.
///
/// # Errors
/// As [`Container::parse`] (which refuses a second pulse section), [`IsaError::CodebookMismatch`],
/// [`IsaError::Limit`] when the rows (channels × duration) would hold more than `max_samples`
/// (or [`MAX_ROW_SAMPLES`]) samples, checked as each play arrives, before its row grows, and as
/// [`PulseDecoder::next_event`].
pub fn decode_pulse_rows(
    bytes: &[u8],
    atoms: Option<&AtomSet>,
    codebook_hash: [u8; 32],
    max_samples: u64,
) -> Result<Option<PulseRows>, IsaError> {
    // Refuses a second pulse section (or of any kind) too.
    let container = Container::parse(bytes)?;
    container.verify_codebook(&codebook_hash)?;
    // Walk the sections as a stream would, to hand the pulse section to the streaming decoder
    // with its own header (kind, length, CRC).
    let (preamble, mut pos) = parse_header(bytes)?;
    for index in 0..preamble.section_count {
        let rest = bytes.get(pos..).unwrap_or(&[]);
        let (sh, used) = parse_section_header(rest)?;
        pos += used;
        let len = sh.payload_len as usize;
        let payload = bytes
            .get(pos..pos + len)
            .ok_or(IsaError::Corrupt("section past the end"))?;
        pos += len;
        if sh.kind == SectionKind::Pulses as u8 {
            let max = max_samples.min(MAX_ROW_SAMPLES);
            return pulse_rows(payload, atoms, &sh, u16::from(index), max).map(Some);
        }
    }
    debug_assert!(bytes.len() == pos + TRAILER_LEN);
    Ok(None)
}

fn pulse_rows(
    payload: &[u8],
    atoms: Option<&AtomSet>,
    sh: &eqisa_isa::SectionHeader,
    index: u16,
    max: u64,
) -> Result<PulseRows, IsaError> {
    let too_many = |found| IsaError::Limit {
        what: "pulse rows (channels × duration)",
        found,
        max,
    };
    let mut dec = PulseDecoder::new(atoms, sh, index)?;
    let mut rest = payload;
    // Each play goes straight into its channel's row, which grows to the play's end: the
    // samples are held once, and the rows' total is checked before any row grows.
    let mut rows: Vec<Vec<[i16; 2]>> = Vec::new();
    let mut held = 0u64;
    // A few kilobytes at a time, as a link would deliver them.
    let fed = feed_chunks(&mut dec, &mut rest, 4096, |p| {
        let channel = p.channel_index as usize;
        let end = p.start.saturating_add(p.samples.len() as u64);
        // The channel count is at most 2^16 (the pulse header's limit): rows for it are cheap.
        if channel >= 1 << 16 {
            return Err(IsaError::Corrupt("a play on a channel that does not exist"));
        }
        if rows.len() <= channel {
            rows.resize_with(channel + 1, Vec::new);
        }
        let row = &mut rows[channel];
        let len = row.len() as u64;
        if end > len {
            held = held.saturating_add(end - len);
            if held > max {
                return Err(too_many(held));
            }
            row.resize(end as usize, [0, 0]);
        }
        let at = p.start as usize;
        row[at..at + p.samples.len()].copy_from_slice(p.samples);
        Ok::<(), IsaError>(())
    })?;
    if fed != Fed::End {
        return Err(IsaError::Corrupt("pulse decoder stalled"));
    }
    let channels = dec
        .header()
        .map(|h| h.channels.clone())
        .ok_or(IsaError::MissingSection("pulse header"))?;
    if rows.len() > channels.len() {
        return Err(IsaError::Corrupt("a play on a channel that does not exist"));
    }
    let duration = rows.iter().map(|r| r.len() as u64).max().unwrap_or(0);
    let total = duration.saturating_mul(channels.len() as u64);
    if total > max {
        return Err(too_many(total));
    }
    rows.resize_with(channels.len(), Vec::new);
    for row in &mut rows {
        row.resize(duration as usize, [0, 0]);
    }
    Ok(PulseRows {
        channels,
        duration,
        rows,
    })
}
