//! Decoded instructions → NativeProgram: the inverse of [`crate::encode`], used to print a decoded
//! program and to check that decoding is lossless.

use eqisa_isa::angle;
use eqisa_isa::container::Target;
use eqisa_isa::instr::Opcode;
use eqisa_isa::stream::ProgramInfo;
use eqisa_lower::program::{NativeOp, NativeProgram, TimedOp};
use eqisa_lower::target::TargetKind;
use smallvec::SmallVec;

use crate::error::AssembleError;
use crate::layout::Layout;

/// One decoded instruction, as the decoder hands it over.
#[derive(Clone, Copy, Debug)]
pub struct Decoded<'a> {
    /// Opcode.
    pub opcode: Opcode,
    /// Qubits.
    pub qubits: &'a [u32],
    /// Condition index.
    pub cond: Option<u32>,
    /// Angle index, clbit or delay bits.
    pub arg: u64,
    /// Start (ns).
    pub start_ns: f64,
    /// Duration (ns).
    pub duration_ns: f64,
}

/// The native operation a decoded instruction stands for.
#[must_use]
pub fn native_op(opcode: Opcode, arg: u64, angle_bits: u8) -> NativeOp {
    match opcode {
        Opcode::Rz => NativeOp::Rz(angle::dequantize(arg, angle_bits)),
        Opcode::Sx => NativeOp::Sx,
        Opcode::X => NativeOp::X,
        Opcode::Cz => NativeOp::Cz,
        Opcode::Ecr => NativeOp::Ecr,
        Opcode::H => NativeOp::H,
        Opcode::S => NativeOp::S,
        Opcode::Sdg => NativeOp::Sdg,
        Opcode::T => NativeOp::T,
        Opcode::Tdg => NativeOp::Tdg,
        Opcode::Y => NativeOp::Y,
        Opcode::Z => NativeOp::Z,
        Opcode::Cx => NativeOp::Cx,
        Opcode::Measure => NativeOp::Measure { clbit: arg as u32 },
        Opcode::Reset => NativeOp::Reset,
        Opcode::Delay => NativeOp::Delay {
            ns: f64::from_bits(arg),
        },
        Opcode::Barrier => NativeOp::Barrier,
    }
}

/// Rebuild the program from the header's counts, the program section, the metadata section's
/// bytes and the decoded instructions.
pub fn rebuild<'a>(
    target: Target,
    num_qubits: u32,
    num_clbits: u32,
    info: &ProgramInfo,
    metadata: &[u8],
    instrs: impl IntoIterator<Item = Decoded<'a>>,
) -> Result<NativeProgram, AssembleError> {
    let layout = Layout::parse(metadata)?;
    if layout.conditions.len() != info.condition_bits.len() {
        return Err(AssembleError::Metadata(
            "metadata and program sections disagree on the number of conditions",
        ));
    }
    let mut duration_ns = 0.0f64;
    let ops: Vec<TimedOp> = instrs
        .into_iter()
        .map(|d| {
            duration_ns = duration_ns.max(d.start_ns + d.duration_ns);
            TimedOp {
                op: native_op(d.opcode, d.arg, info.params.angle_bits),
                qubits: SmallVec::from_slice(d.qubits),
                cond: d.cond,
                start_ns: d.start_ns,
                duration_ns: d.duration_ns,
            }
        })
        .collect();
    Ok(NativeProgram {
        target: match target {
            Target::Native => TargetKind::Native,
            Target::CliffordT => TargetKind::CliffordT,
        },
        num_qubits,
        num_clbits,
        qregs: layout.qregs,
        cregs: layout.cregs,
        ops,
        conditions: layout.conditions,
        duration_ns,
        angle_bits: info.params.angle_bits,
    })
}
