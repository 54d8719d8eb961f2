//! Many circuits as one program: a job ([`eqisa_isa::job`]).
//!
//! The circuits' operations become one text, coded in one instruction stream (so the model's
//! adaptation and its copies carry from circuit to circuit), under one program section: the
//! finest angle grid any circuit needs, the durations they share, and the conditions of every
//! distinct register layout, one after another. The job section says where each circuit ends;
//! the metadata section holds the layouts and the circuits' names.

use eqisa_encode::StreamEncoder;
use eqisa_isa::codebook::Codebook;
use eqisa_isa::container::{Container, Header, codebook_id};
use eqisa_isa::control::{Control, ControlBuilder};
use eqisa_isa::instr::{OPCODE_COUNT, Opcode};
use eqisa_isa::job::{CircuitSize, JobEntry, JobTable};
use eqisa_isa::model::ProgramParams;
use eqisa_isa::stream::ProgramInfo;
use eqisa_isa::varint::{read_uvarint, write_uvarint};
use eqisa_lower::program::NativeProgram;
use eqisa_lower::target::TargetDesc;

use crate::encode::{condition_bits, instr_of, opcode_of, sections, target_of};
use crate::error::AssembleError;
use crate::layout::Layout;
use crate::structured::{Structured, check_schedule, finest_grid, replay_words};

/// One circuit of a job, as lowered.
#[derive(Clone, Copy, Debug)]
pub enum JobProgram<'a> {
    /// A circuit that runs straight, scheduled as soon as possible from 0.
    Flat(&'a NativeProgram),
    /// A circuit that keeps its loops.
    Looped(&'a Structured),
}

impl JobProgram<'_> {
    /// The operations coded (each loop body once), with registers and conditions.
    #[must_use]
    pub fn text(&self) -> &NativeProgram {
        match self {
            JobProgram::Flat(p) => p,
            JobProgram::Looped(s) => &s.text,
        }
    }
}

/// One circuit of a job, with the name it is decoded under.
#[derive(Clone, Debug)]
pub struct JobPart<'a> {
    /// Its name (a file stem: `decode --output-dir` writes `NAME.qasm`).
    pub name: String,
    /// Its program.
    pub program: JobProgram<'a>,
}

/// An assembled job and where its bytes went.
#[derive(Clone, Debug)]
pub struct AssembledJob {
    /// The whole `.eqb` file.
    pub bytes: Vec<u8>,
    /// Bytes of the job section's payload: the per-circuit framing.
    pub job_bytes: usize,
    /// Bytes of the metadata section's payload (layouts and names).
    pub metadata_bytes: usize,
    /// Bytes of the names within it.
    pub names_bytes: usize,
    /// Bytes of the program section's payload.
    pub program_bytes: usize,
    /// Bytes of the control section's payload (0 when no circuit has loops).
    pub control_bytes: usize,
    /// Bytes of the instruction section's payload.
    pub instruction_bytes: usize,
    /// Instruction blocks.
    pub blocks: u64,
    /// Distinct register layouts.
    pub layouts: usize,
    /// The job's angle grid (bits; [`eqisa_isa::angle::RAW`] for raw angles).
    pub angle_bits: u8,
    /// Each circuit's text, as `(start, len)` in the job's text.
    pub text_ranges: Vec<(u64, u64)>,
}

/// Registers, conditions and names of a job's circuits: the job's metadata section.
///
/// Format: `uvarint layouts`, each layout as `uvarint len | Layout bytes`; then the names:
/// `uvarint count`, a bitmap (MSB-first, `ceil(count/8)` bytes) of the names that are their
/// predecessor's successor ([`successor`]: `rb_009` after `rb_008`), then each other name as
/// `uvarint shared-prefix length | uvarint suffix length | suffix bytes`.
#[derive(Clone, Debug, PartialEq)]
pub struct JobLayouts {
    /// The distinct layouts, in order of first use.
    pub layouts: Vec<Layout>,
    /// Each circuit's name.
    pub names: Vec<String>,
}

/// Longest circuit name a job may carry.
pub const MAX_NAME_BYTES: u64 = 4096;

/// `name` with its trailing decimal number one higher, keeping its width when it fits
/// (`a_09` → `a_10`, `x9` → `x10`); `None` without a trailing number.
#[must_use]
pub fn successor(name: &str) -> Option<String> {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return None;
    }
    let (stem, number) = name.split_at(name.len() - digits);
    let next = number.parse::<u128>().ok()?.checked_add(1)?;
    Some(format!("{stem}{next:0digits$}"))
}

impl JobLayouts {
    /// Serialise; also returns the bytes the names took.
    #[must_use]
    pub fn to_bytes(&self) -> (Vec<u8>, usize) {
        let mut out = Vec::new();
        write_uvarint(&mut out, self.layouts.len() as u64);
        for l in &self.layouts {
            let b = l.to_bytes();
            write_uvarint(&mut out, b.len() as u64);
            out.extend_from_slice(&b);
        }
        let names_from = out.len();
        write_uvarint(&mut out, self.names.len() as u64);
        let mut bitmap = vec![0u8; self.names.len().div_ceil(8)];
        let mut rest = Vec::new();
        let mut prev = "";
        for (i, name) in self.names.iter().enumerate() {
            if successor(prev).as_deref() == Some(name.as_str()) {
                bitmap[i / 8] |= 0x80 >> (i % 8);
            } else {
                let shared = prev
                    .bytes()
                    .zip(name.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                // Never split a character: the suffix must be UTF-8 on its own.
                let shared = (0..=shared)
                    .rev()
                    .find(|&k| name.is_char_boundary(k))
                    .unwrap_or(0);
                write_uvarint(&mut rest, shared as u64);
                write_uvarint(&mut rest, (name.len() - shared) as u64);
                rest.extend_from_slice(&name.as_bytes()[shared..]);
            }
            prev = name;
        }
        out.extend_from_slice(&bitmap);
        out.extend_from_slice(&rest);
        let names = out.len() - names_from;
        (out, names)
    }

    /// Parse a job's metadata section.
    ///
    /// # Errors
    /// [`AssembleError::Metadata`] for anything malformed.
    pub fn parse(bytes: &[u8]) -> Result<JobLayouts, AssembleError> {
        let mut pos = 0usize;
        let uint = |pos: &mut usize| -> Result<u64, AssembleError> {
            let (v, n) = read_uvarint(bytes.get(*pos..).unwrap_or(&[]))
                .map_err(|_| AssembleError::Metadata("bad integer"))?;
            *pos += n;
            Ok(v)
        };
        let take = |pos: &mut usize, n: u64| -> Result<&[u8], AssembleError> {
            let end = pos
                .checked_add(usize::try_from(n).unwrap_or(usize::MAX))
                .filter(|&e| e <= bytes.len())
                .ok_or(AssembleError::Metadata("truncated"))?;
            let s = &bytes[*pos..end];
            *pos = end;
            Ok(s)
        };
        let n = uint(&mut pos)?;
        let mut layouts = Vec::new();
        for _ in 0..n {
            let len = uint(&mut pos)?;
            layouts.push(Layout::parse(take(&mut pos, len)?)?);
        }
        let count = uint(&mut pos)?;
        let bitmap = take(&mut pos, count.div_ceil(8))?.to_vec();
        let mut names: Vec<String> = Vec::new();
        for i in 0..count as usize {
            let prev = names.last().map_or("", String::as_str);
            let name = if bitmap[i / 8] & (0x80 >> (i % 8)) != 0 {
                successor(prev).ok_or(AssembleError::Metadata(
                    "a name marked as the successor of one without a number",
                ))?
            } else {
                let shared = uint(&mut pos)?;
                let len = uint(&mut pos)?;
                if shared.saturating_add(len) > MAX_NAME_BYTES {
                    return Err(AssembleError::Metadata("a circuit name is too long"));
                }
                let head = prev
                    .as_bytes()
                    .get(..shared as usize)
                    .ok_or(AssembleError::Metadata("a name shares more than it can"))?;
                let mut b = head.to_vec();
                b.extend_from_slice(take(&mut pos, len)?);
                String::from_utf8(b).map_err(|_| AssembleError::Metadata("a name is not UTF-8"))?
            };
            names.push(name);
        }
        if pos != bytes.len() {
            return Err(AssembleError::Metadata("trailing bytes"));
        }
        Ok(JobLayouts { layouts, names })
    }
}

fn job_error(name: &str, what: String) -> AssembleError {
    AssembleError::Job {
        circuit: name.to_string(),
        what,
    }
}

/// Assemble `parts` (lowered for `target`) as one job with `codebook` (whose hash is
/// `codebook_hash`).
///
/// # Errors
/// [`AssembleError::Job`] naming the circuit for an empty job, circuits lowered for different
/// targets, or durations that differ between circuits (a job runs on one device); otherwise
/// what [`crate::assemble`] refuses, such as an operation the instruction set cannot carry or a
/// schedule that is not as soon as possible.
pub fn assemble_job(
    parts: &[JobPart<'_>],
    target: &TargetDesc,
    codebook: &Codebook,
    codebook_hash: [u8; 32],
) -> Result<AssembledJob, AssembleError> {
    let first = parts
        .first()
        .ok_or_else(|| job_error("", "a job needs at least one circuit".into()))?;
    let kind = first.program.text().target;
    // The distinct layouts, each with the offset of its conditions in the job's list.
    let mut layouts: Vec<(Layout, Vec<u8>, u32)> = Vec::new();
    let mut entries = Vec::with_capacity(parts.len());
    let mut text = NativeProgram {
        target: kind,
        num_qubits: 0,
        num_clbits: 0,
        qregs: Vec::new(),
        cregs: Vec::new(),
        ops: Vec::new(),
        conditions: Vec::new(),
        duration_ns: 0.0,
        angle_bits: 0,
    };
    let mut condition_lists = Vec::new();
    let mut looped = ControlBuilder::new();
    let mut tree = ControlBuilder::new();
    for part in parts {
        let p = part.program.text();
        if p.target != kind {
            return Err(job_error(
                &part.name,
                format!(
                    "is lowered for {}, the job's first circuit for {}: a job holds one target",
                    target_of(p.target),
                    target_of(kind)
                ),
            ));
        }
        let layout = Layout {
            qregs: p.qregs.clone(),
            cregs: p.cregs.clone(),
            conditions: p.conditions.clone(),
        };
        let key = layout.to_bytes();
        let index = match layouts.iter().position(|(_, k, _)| *k == key) {
            Some(i) => i,
            None => {
                layouts.push((layout, key, text.conditions.len() as u32));
                text.conditions.extend(p.conditions.iter().cloned());
                condition_lists.extend(condition_bits(p));
                layouts.len() - 1
            }
        };
        let offset = layouts[index].2;
        text.num_qubits = text.num_qubits.max(p.num_qubits);
        text.num_clbits = text.num_clbits.max(p.num_clbits);
        text.ops.extend(p.ops.iter().map(|op| {
            let mut op = op.clone();
            op.cond = op.cond.map(|c| c + offset);
            op
        }));
        let size = match part.program {
            JobProgram::Flat(p) => {
                if p.ops.is_empty() {
                    return Err(job_error(&part.name, "has no operations".into()));
                }
                tree.ops(p.ops.len() as u64)?;
                CircuitSize::Flat(p.ops.len() as u64)
            }
            JobProgram::Looped(s) => {
                let mut top = 0u64;
                let nodes = s.control.nodes();
                let mut i = 0usize;
                while i < nodes.len() {
                    looped.subtree(nodes, i)?;
                    i = tree.subtree(nodes, i)?;
                    top += 1;
                }
                CircuitSize::Looped(top)
            }
        };
        entries.push(JobEntry {
            layout: index as u32,
            size,
        });
    }
    let table = JobTable::new(entries, layouts.len() as u32)?;
    text.angle_bits = finest_grid(&text);
    let info = ProgramInfo {
        params: ProgramParams {
            target: target_of(kind),
            num_qubits: text.num_qubits,
            num_clbits: text.num_clbits,
            angle_bits: text.angle_bits,
            num_conditions: text.conditions.len() as u32,
            dt_ns_bits: target.dt_ns.to_bits(),
            explicit_timing: false,
        },
        durations: shared_durations(parts)?,
        condition_bits: condition_lists,
        total_ops: text.ops.len() as u64,
    };
    let whole = Structured {
        text,
        control: tree.finish()?,
    };
    check_schedule(&whole, &info)?;
    let control = if table.has_loops() {
        let mut c = looped.finish()?;
        c.replay_words = replay_words(&whole);
        Some(c)
    } else {
        None
    };
    let text_ranges = table.text_ranges(&whole.control)?;
    let mut enc = StreamEncoder::new(&codebook.priors, info.params)?;
    for (i, op) in whole.text.ops.iter().enumerate() {
        let instr = instr_of(&whole.text, i, op)?;
        enc.push(&instr, (op.start_ns, op.duration_ns))?;
    }
    let (instructions, blocks) = enc.finish()?;
    let (metadata, names_bytes) = JobLayouts {
        layouts: layouts.into_iter().map(|(l, _, _)| l).collect(),
        names: parts.iter().map(|p| p.name.clone()).collect(),
    }
    .to_bytes();
    let program_section = info.to_bytes();
    let job_section = table.to_bytes();
    let control_section = control.as_ref().map(Control::to_bytes);
    let mut figures = AssembledJob {
        bytes: Vec::new(),
        job_bytes: job_section.len(),
        metadata_bytes: metadata.len(),
        names_bytes,
        program_bytes: program_section.len(),
        control_bytes: control_section.as_ref().map_or(0, Vec::len),
        instruction_bytes: instructions.len(),
        blocks,
        layouts: table.layouts() as usize,
        angle_bits: whole.text.angle_bits,
        text_ranges,
    };
    let sections = sections(
        program_section,
        Some(job_section),
        control_section,
        metadata,
        instructions,
    );
    figures.bytes = Container {
        header: Header {
            codebook_id: codebook_id(&codebook_hash),
            qubit_count: whole.text.num_qubits,
            clbit_count: whole.text.num_clbits,
            target: target_of(kind),
        },
        sections,
    }
    .to_bytes()?;
    Ok(figures)
}

/// The duration of every opcode the job uses, the same in every circuit.
fn shared_durations(parts: &[JobPart<'_>]) -> Result<[Option<f64>; OPCODE_COUNT], AssembleError> {
    let mut durations: [Option<(f64, usize)>; OPCODE_COUNT] = [None; OPCODE_COUNT];
    for (which, part) in parts.iter().enumerate() {
        for op in &part.program.text().ops {
            let code = opcode_of(&op.op);
            if code == Opcode::Delay {
                continue;
            }
            match &mut durations[code as usize] {
                slot @ None => *slot = Some((op.duration_ns, which)),
                Some((d, first)) if d.to_bits() != op.duration_ns.to_bits() => {
                    return Err(job_error(
                        &part.name,
                        format!(
                            "its {} lasts {} ns where {} has {} ns: a job's circuits share one device's durations",
                            code.name(),
                            op.duration_ns,
                            parts[*first].name,
                            d
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
    }
    Ok(durations.map(|d| d.map(|(ns, _)| ns)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successors_count_up_in_their_width() {
        assert_eq!(successor("rb_009").as_deref(), Some("rb_010"));
        assert_eq!(successor("x9").as_deref(), Some("x10"));
        assert_eq!(successor("bell"), None);
        assert_eq!(successor("7").as_deref(), Some("8"));
    }

    #[test]
    fn names_round_trip_and_runs_cost_a_bit_each() {
        let mut names: Vec<String> = (0..200).map(|i| format!("rb_{i:03}")).collect();
        names.extend(["bell", "bell_2", "qft4", "ünïcödé", "ünïx"].map(String::from));
        let l = JobLayouts {
            layouts: Vec::new(),
            names,
        };
        let (bytes, names_bytes) = l.to_bytes();
        assert_eq!(JobLayouts::parse(&bytes).unwrap(), l);
        // 200 successors after the first name: the bitmap's 26 bytes, the count and the few
        // names that are not successors, front-coded.
        assert!(names_bytes <= 26 + 2 + 40, "{names_bytes}");
        for n in 0..bytes.len() {
            let _ = JobLayouts::parse(&bytes[..n]);
        }
    }
}
