//! NativeProgram → `.eqb`: operations become ISA instructions, the schedule is checked against
//! the decoder's ASAP rebuild (carried explicitly only where it differs), and the instruction
//! stream is range-coded with the codebook's model.

use eqisa_encode::StreamEncoder;
use eqisa_isa::angle;
use eqisa_isa::codebook::Codebook;
use eqisa_isa::container::{Container, Header, Section, SectionKind, Target, codebook_id};
use eqisa_isa::control::Control;
use eqisa_isa::instr::{Arity, Instr, OPCODE_COUNT, Opcode};
use eqisa_isa::model::{ProgramParams, allowed};
use eqisa_isa::stream::{ProgramInfo, Scheduler};
use eqisa_lower::program::{NativeOp, NativeProgram, TimedOp, collect_bits};
use eqisa_lower::target::{TargetDesc, TargetKind};

use crate::error::AssembleError;
use crate::layout::Layout;

/// The ISA opcode of a native operation.
#[must_use]
pub fn opcode_of(op: &NativeOp) -> Opcode {
    match op {
        NativeOp::Rz(_) => Opcode::Rz,
        NativeOp::Sx => Opcode::Sx,
        NativeOp::X => Opcode::X,
        NativeOp::Cz => Opcode::Cz,
        NativeOp::Ecr => Opcode::Ecr,
        NativeOp::H => Opcode::H,
        NativeOp::S => Opcode::S,
        NativeOp::Sdg => Opcode::Sdg,
        NativeOp::T => Opcode::T,
        NativeOp::Tdg => Opcode::Tdg,
        NativeOp::Y => Opcode::Y,
        NativeOp::Z => Opcode::Z,
        NativeOp::Cx => Opcode::Cx,
        NativeOp::Measure { .. } => Opcode::Measure,
        NativeOp::Reset => Opcode::Reset,
        NativeOp::Delay { .. } => Opcode::Delay,
        NativeOp::Barrier => Opcode::Barrier,
    }
}

/// The ISA target of a program.
#[must_use]
pub fn target_of(kind: TargetKind) -> Target {
    match kind {
        TargetKind::Native => Target::Native,
        TargetKind::CliffordT => Target::CliffordT,
    }
}

/// The instruction for operation `index` of `program` (its qubits borrowed from the op).
pub fn instr_of<'a>(
    program: &NativeProgram,
    index: usize,
    op: &'a TimedOp,
) -> Result<Instr<'a>, AssembleError> {
    let opcode = opcode_of(&op.op);
    let bad = |what: &'static str| AssembleError::Unencodable { index, what };
    if !allowed(target_of(program.target), opcode) {
        return Err(bad("operation outside the program's target"));
    }
    match opcode.arity() {
        Arity::One if op.qubits.len() != 1 => {
            return Err(bad("a one-qubit operation without exactly one qubit"));
        }
        Arity::Two if op.qubits.len() != 2 || op.qubits[0] == op.qubits[1] => {
            return Err(bad("a two-qubit operation without two distinct qubits"));
        }
        _ => {}
    }
    if op.qubits.iter().any(|&q| q >= program.num_qubits) {
        return Err(bad("qubit out of range"));
    }
    if op
        .cond
        .is_some_and(|c| c as usize >= program.conditions.len())
    {
        return Err(bad("condition index out of range"));
    }
    let arg = match op.op {
        NativeOp::Rz(a) => {
            let k = angle::quantize(a, program.angle_bits);
            if angle::dequantize(k, program.angle_bits).to_bits() != a.to_bits() {
                return Err(bad("rz angle not on the program's angle grid"));
            }
            k
        }
        NativeOp::Measure { clbit } => {
            if clbit >= program.num_clbits {
                return Err(bad("measured bit out of range"));
            }
            u64::from(clbit)
        }
        NativeOp::Delay { ns } => {
            // The decoder refuses any other delay (`check_time`): refuse it here, by op.
            if eqisa_isa::stream::check_time(ns).is_err() {
                return Err(bad(
                    "delay must be a finite number of ns between 0 and 1e18 (31 years, the instruction stream's MAX_TIME_NS)",
                ));
            }
            ns.to_bits()
        }
        _ => 0,
    };
    Ok(Instr {
        opcode,
        qubits: &op.qubits,
        cond: op.cond,
        arg,
    })
}

/// The program section for `program`: its parameters, per-opcode durations and condition bits;
/// `explicit_timing` is set when the ASAP rebuild would not reproduce the program's schedule.
pub fn program_info(
    program: &NativeProgram,
    target: &TargetDesc,
) -> Result<ProgramInfo, AssembleError> {
    let mut durations: [Option<f64>; OPCODE_COUNT] = [None; OPCODE_COUNT];
    let mut consistent = true;
    for op in &program.ops {
        let code = opcode_of(&op.op);
        if code == Opcode::Delay {
            continue;
        }
        let slot = &mut durations[code as usize];
        match slot {
            None => *slot = Some(op.duration_ns),
            Some(d) if d.to_bits() != op.duration_ns.to_bits() => consistent = false,
            Some(_) => {}
        }
    }
    let condition_bits = condition_bits(program);
    let mut info = ProgramInfo {
        params: ProgramParams {
            target: target_of(program.target),
            num_qubits: program.num_qubits,
            num_clbits: program.num_clbits,
            angle_bits: program.angle_bits,
            num_conditions: program.conditions.len() as u32,
            dt_ns_bits: target.dt_ns.to_bits(),
            explicit_timing: false,
        },
        durations,
        condition_bits,
        total_ops: program.ops.len() as u64,
    };
    info.params.explicit_timing = !consistent || !asap_reproduces(program, &info)?;
    Ok(info)
}

/// The classical bits each of `program`'s conditions reads, sorted and without repeats (what
/// the program section lists for the scheduler).
pub(crate) fn condition_bits(program: &NativeProgram) -> Vec<Vec<u32>> {
    let mut bits = Vec::new();
    program
        .conditions
        .iter()
        .map(|c| {
            bits.clear();
            collect_bits(c, &program.cregs, &mut bits);
            bits.sort_unstable();
            bits.dedup();
            bits.clone()
        })
        .collect()
}

/// Whether the decoder's ASAP scheduler rebuilds every start and duration bit for bit.
fn asap_reproduces(program: &NativeProgram, info: &ProgramInfo) -> Result<bool, AssembleError> {
    let mut sched = Scheduler::new(program.num_qubits, &info.condition_bits);
    for (i, op) in program.ops.iter().enumerate() {
        let instr = instr_of(program, i, op)?;
        let Ok((start, dur)) = sched.place(&instr, info) else {
            return Ok(false);
        };
        if start.to_bits() != op.start_ns.to_bits() || dur.to_bits() != op.duration_ns.to_bits() {
            return Ok(false);
        }
    }
    Ok(sched.end_ns.to_bits() == program.duration_ns.to_bits())
}

/// An assembled program and where its bytes went.
#[derive(Clone, Debug, PartialEq)]
pub struct Assembled {
    /// The whole `.eqb` file.
    pub bytes: Vec<u8>,
    /// Bytes of the program section's payload.
    pub program_bytes: usize,
    /// Bytes of the metadata section's payload.
    pub metadata_bytes: usize,
    /// Bytes of the instruction section's payload.
    pub instruction_bytes: usize,
    /// Bytes of the control section's payload (0 for a program that runs straight).
    pub control_bytes: usize,
    /// Bytes of the pulse section's payload (0 without one).
    pub pulse_bytes: usize,
    /// Instruction blocks.
    pub blocks: u64,
    /// Whether timing had to be carried explicitly.
    pub explicit_timing: bool,
}

/// Assemble `program` (lowered for `target`) with `codebook` (whose hash is `codebook_hash`).
///
/// ```
/// use eqisa_isa::codebook::Codebook;
/// use eqisa_isa::model::Priors;
/// use eqisa_lower::target::{TargetDesc, TargetKind};
/// use eqisa_lower::{LowerOptions, lower};
///
/// let c = eqisa_qasm::parse_str(
///     "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nh q[0];\ncx q[0], q[1];\n",
///     "bell.qasm",
/// )?;
/// let target = TargetDesc::default_for(TargetKind::Native);
/// let program = lower(&c, &target, &LowerOptions::default())?.program;
/// // A codebook with flat priors; `eqisa train` learns better ones.
/// let codebook = Codebook {
///     description: "flat".into(),
///     priors: Priors::default(),
///     paper_dictionary: None,
///     training: String::new(),
/// };
/// let asm = eqisa_assembler::assemble(&program, &target, &codebook, codebook.hash())?;
/// assert_eq!(&asm.bytes[..4], b"EQB\0");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn assemble(
    program: &NativeProgram,
    target: &TargetDesc,
    codebook: &Codebook,
    codebook_hash: [u8; 32],
) -> Result<Assembled, AssembleError> {
    assemble_with_pulses(program, target, codebook, codebook_hash, None)
}

/// As [`assemble`], adding `pulses` (a pulse section's payload, from
/// [`crate::pulses::encode_program`]) as the last section.
pub fn assemble_with_pulses(
    program: &NativeProgram,
    target: &TargetDesc,
    codebook: &Codebook,
    codebook_hash: [u8; 32],
    pulses: Option<Vec<u8>>,
) -> Result<Assembled, AssembleError> {
    let info = program_info(program, target)?;
    write_program(program, &info, None, codebook, codebook_hash, pulses)
}

/// Encode `program`'s operations under `info` (and `control`, for a structured program whose
/// operations are its text) into a whole `.eqb` file.
pub(crate) fn write_program(
    program: &NativeProgram,
    info: &ProgramInfo,
    control: Option<&Control>,
    codebook: &Codebook,
    codebook_hash: [u8; 32],
    pulses: Option<Vec<u8>>,
) -> Result<Assembled, AssembleError> {
    let mut enc = StreamEncoder::new(&codebook.priors, info.params)?;
    for (i, op) in program.ops.iter().enumerate() {
        let instr = instr_of(program, i, op)?;
        enc.push(&instr, (op.start_ns, op.duration_ns))?;
    }
    let coded = enc.finish()?;
    write_container(program, info, control, coded, codebook_hash, pulses)
}

/// A program's sections in the order a streaming decoder needs them: the program section, the
/// job section (a job), the control section (loops), the metadata, the instructions.
pub(crate) fn sections(
    program: Vec<u8>,
    job: Option<Vec<u8>>,
    control: Option<Vec<u8>>,
    metadata: Vec<u8>,
    instructions: Vec<u8>,
) -> Vec<Section> {
    let mut out = vec![Section {
        kind: SectionKind::Program,
        payload: program,
    }];
    if let Some(payload) = job {
        out.push(Section {
            kind: SectionKind::Job,
            payload,
        });
    }
    if let Some(payload) = control {
        out.push(Section {
            kind: SectionKind::Control,
            payload,
        });
    }
    out.push(Section {
        kind: SectionKind::Metadata,
        payload: metadata,
    });
    out.push(Section {
        kind: SectionKind::Instructions,
        payload: instructions,
    });
    out
}

/// The `.eqb` file of a program whose instructions are coded (`coded`: the instruction
/// section's payload and its block count); `program` gives registers, conditions and counts.
pub(crate) fn write_container(
    program: &NativeProgram,
    info: &ProgramInfo,
    control: Option<&Control>,
    coded: (Vec<u8>, u64),
    codebook_hash: [u8; 32],
    pulses: Option<Vec<u8>>,
) -> Result<Assembled, AssembleError> {
    let (instructions, blocks) = coded;
    let program_section = info.to_bytes();
    let control_section = control.map(Control::to_bytes);
    let metadata = Layout {
        qregs: program.qregs.clone(),
        cregs: program.cregs.clone(),
        conditions: program.conditions.clone(),
    }
    .to_bytes();
    let sizes = (
        program_section.len(),
        metadata.len(),
        instructions.len(),
        control_section.as_ref().map_or(0, Vec::len),
    );
    let sections = sections(
        program_section,
        None,
        control_section,
        metadata,
        instructions,
    );
    let mut container = Container {
        header: Header {
            codebook_id: codebook_id(&codebook_hash),
            qubit_count: program.num_qubits,
            clbit_count: program.num_clbits,
            target: target_of(program.target),
        },
        sections,
    };
    let pulse_bytes = pulses.as_ref().map_or(0, Vec::len);
    if let Some(payload) = pulses {
        container.sections.push(Section {
            kind: SectionKind::Pulses,
            payload,
        });
    }
    Ok(Assembled {
        bytes: container.to_bytes()?,
        program_bytes: sizes.0,
        metadata_bytes: sizes.1,
        instruction_bytes: sizes.2,
        control_bytes: sizes.3,
        pulse_bytes,
        blocks,
        explicit_timing: info.params.explicit_timing,
    })
}
