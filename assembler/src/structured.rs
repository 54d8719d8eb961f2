//! Structured programs → `.eqb`: the text (every loop body once, in program order) in the
//! instruction section and how it runs in the control section (see [`eqisa_isa::control`]).

use eqisa_isa::codebook::Codebook;
use eqisa_isa::control::{Control, NodeKind};
use eqisa_isa::stream::Scheduler;
use eqisa_lower::program::NativeProgram;
use eqisa_lower::target::TargetDesc;

use crate::encode::{Assembled, instr_of, program_info, write_program};
use crate::error::AssembleError;

/// A program whose operations run under a control tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Structured {
    /// The text: each node's operations in program order, scheduled as soon as possible from
    /// the node's own start (times relative to it); its conditions include the `while` loops'.
    pub text: NativeProgram,
    /// How the text runs.
    pub control: Control,
}

/// Assemble a structured program: its text is coded once, its loops in the control section,
/// which declares the replay buffer the largest outermost loop needs.
///
/// # Errors
/// When the control tree and the text disagree in length, an operation cannot be encoded, or a
/// node's schedule is not the as-soon-as-possible one the decoder rebuilds (a structured program
/// carries no explicit timing).
pub fn assemble_structured(
    s: &Structured,
    target: &TargetDesc,
    codebook: &Codebook,
    codebook_hash: [u8; 32],
) -> Result<Assembled, AssembleError> {
    let text = &s.text;
    if s.control.text_len() != text.ops.len() as u64 {
        return Err(AssembleError::Structure(
            "the control tree and the text differ in length",
        ));
    }
    let mut info = program_info(text, target)?;
    info.params.explicit_timing = false;
    check_schedule(s, &info)?;
    let mut control = s.control.clone();
    control.replay_words = replay_words(s);
    if control.nodes().iter().any(
        |n| matches!(n.kind, NodeKind::While { cond } if cond as usize >= text.conditions.len()),
    ) {
        return Err(AssembleError::Structure(
            "a while loop names a condition the program does not have",
        ));
    }
    write_program(text, &info, Some(&control), codebook, codebook_hash, None)
}

/// Every node's operations must be where a scheduler started afresh at the node would place
/// them, bit for bit: that is what the decoder rebuilds (offset by the node's start).
fn check_schedule(
    s: &Structured,
    info: &eqisa_isa::stream::ProgramInfo,
) -> Result<(), AssembleError> {
    let text = &s.text;
    for node in s.control.nodes() {
        let NodeKind::Ops(n) = node.kind else {
            continue;
        };
        let mut sched = Scheduler::new(text.num_qubits, &info.condition_bits);
        let from = node.text_start as usize;
        for i in from..from + n as usize {
            let op = text
                .ops
                .get(i)
                .ok_or(AssembleError::Structure("a node past the text"))?;
            let instr = instr_of(text, i, op)?;
            let (start, dur) = sched.place(&instr, info)?;
            if start.to_bits() != op.start_ns.to_bits() || dur.to_bits() != op.duration_ns.to_bits()
            {
                return Err(AssembleError::Unencodable {
                    index: i,
                    what: "in a loop, an operation not scheduled as soon as possible from the start of its piece (programs with loops carry no explicit timing)",
                });
            }
        }
    }
    Ok(())
}

/// Qubit operands of the largest outermost loop's text.
fn replay_words(s: &Structured) -> u64 {
    let nodes = s.control.nodes();
    let mut most = 0u64;
    let mut i = 0usize;
    while let Some(node) = nodes.get(i) {
        if matches!(node.kind, NodeKind::Ops(_)) {
            i += 1;
            continue;
        }
        let from = node.text_start as usize;
        let to = from + node.text_len as usize;
        let words: u64 = s
            .text
            .ops
            .get(from..to)
            .unwrap_or(&[])
            .iter()
            .map(|op| op.qubits.len() as u64)
            .sum();
        most = most.max(words);
        i = node.end as usize;
    }
    most
}
