//! Assembling an OpenQASM 2 program as it is read, in memory bounded by windows (the chunk being
//! parsed, the repeat finder's window, the spill buffer of the text), not by the program: parse
//! ([`eqisa_qasm::stream_qasm2`]) → lower and schedule ([`eqisa_lower::stream`]) → find repeats
//! and code ([`eqisa_assembler::stream`]). No baseline is measured (they need the whole binary
//! stream); the program is the one [`crate::assemble_circuit`] writes for the same options.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use eqisa_assembler::stream::StreamAssembler;
use eqisa_lower::clifford_t::{Budget, fidelity_for_error};
use eqisa_lower::program::NativeProgram;
use eqisa_lower::stream::StreamLowering;
use eqisa_lower::target::TargetKind;
use eqisa_qasm::{Streamed, stream_qasm2};

use crate::assemble::{AssembleOptions, Assembly, AssemblyReport, LoopReport, Sections};
use crate::codebook::{LoadedCodebook, short_hash};
use crate::error::PipelineError;
use crate::measure::Bits;

/// Assembles the OpenQASM 2 program `reader` holds (`name` in errors and reports, includes
/// resolved in `dir`) as it is read. `Ok(None)` when the program is OpenQASM 3 (which is read
/// whole: the caller loads it the usual way, if it can read it again). Pulses are not streamed.
///
/// # Errors
/// As [`crate::assemble_circuit`]; on Clifford+T, [`PipelineError::StreamBudget`] for a
/// rotation that is not exact under a whole-program fidelity budget (which cannot be shared
/// before the program has been read: a file can be read whole instead).
pub fn assemble_stream(
    reader: impl Read,
    name: &str,
    dir: PathBuf,
    cb: &LoadedCodebook,
    opts: &AssembleOptions,
) -> Result<Option<Assembly>, PipelineError> {
    let (target, options) = opts.lowering.resolve()?;
    let whole_budget = matches!(options.budget, Budget::Fidelity(_));
    let lower_fail = |source| match source {
        eqisa_lower::LowerError::Inexact {
            gate,
            line,
            rotation,
        } if whole_budget => PipelineError::StreamBudget {
            file: name.to_string(),
            line,
            gate,
            rotation,
        },
        source => PipelineError::Lower {
            file: name.to_string(),
            source,
        },
    };
    let mut lowering = StreamLowering::new(&target, &options).map_err(lower_fail)?;
    let mut asm = StreamAssembler::new(opts.repeat_window);
    let take = |lowering: &mut StreamLowering, asm: &mut StreamAssembler| {
        if !lowering.times_exact() {
            asm.stop_finding();
        }
        for (op, cond) in lowering.take() {
            asm.push(op, cond);
        }
    };
    let streamed = stream_qasm2(reader, Arc::from(name), dir, |part| {
        asm.grow(part.num_qubits);
        lowering.feed(part, false).map_err(lower_fail)?;
        take(&mut lowering, &mut asm);
        Ok::<(), PipelineError>(())
    })?;
    let shell = match streamed {
        Streamed::Qasm3 => return Ok(None),
        Streamed::Done(c) => c,
    };
    asm.grow(shell.num_qubits);
    lowering.feed(&shell, true).map_err(lower_fail)?;
    take(&mut lowering, &mut asm);
    let program = NativeProgram {
        target: target.kind,
        num_qubits: shell.num_qubits,
        num_clbits: shell.num_clbits,
        qregs: shell.qregs.clone(),
        cregs: shell.cregs.clone(),
        ops: Vec::new(),
        conditions: Vec::new(),
        duration_ns: 0.0,
        angle_bits: 0,
    };
    let budget = match target.kind {
        TargetKind::Native => options.budget,
        TargetKind::CliffordT => Budget::Exact,
    };
    let fail = |source| PipelineError::Assemble {
        file: name.to_string(),
        source,
    };
    let (assembled, found) = asm
        .finish(&program, &target, budget, &cb.codebook, cb.hash)
        .map_err(fail)?;
    let fidelity_bound = match target.kind {
        TargetKind::Native => fidelity_for_error(found.quantised.total_error),
        TargetKind::CliffordT => lowering.fidelity_bound(),
    };
    crate::assemble::check_decodable(name, program.num_qubits, &assembled.bytes)?;
    let report = AssemblyReport {
        file: name.to_string(),
        target: target.kind.name(),
        native_ops: found.executed_ops,
        fidelity_bound,
        angle_bits: found.quantised.bits,
        codebook_bytes: cb.bytes,
        codebook_hash: short_hash(&cb.hash),
        bits: Bits::eqisa_only(&assembled),
        paper_fidelity_bound: None,
        paper: None,
        pulses: None,
        loops: (found.counted_loops > 0).then_some(LoopReport {
            text_ops: found.text_ops,
            counted_loops: found.counted_loops,
            while_loops: 0,
            replay_buffer_ops: found.replay_ops,
            baselines_unrolled: false,
            found_in_flat: true,
        }),
        sections: Sections {
            header_and_framing: assembled.bytes.len()
                - assembled.program_bytes
                - assembled.metadata_bytes
                - assembled.instruction_bytes
                - assembled.control_bytes,
            program: assembled.program_bytes,
            metadata: assembled.metadata_bytes,
            instructions: assembled.instruction_bytes,
            control: assembled.control_bytes,
            pulses: 0,
            blocks: assembled.blocks,
            explicit_timing: false,
        },
    };
    Ok(Some(Assembly {
        bytes: assembled.bytes,
        target,
        report,
        lowered: None,
    }))
}
