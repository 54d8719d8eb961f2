//! Assembling one circuit: lowered (or placed on a device, with its pulses coded), encoded with
//! a codebook into an `.eqb` program, and measured against the baselines on the same stream.

use eqisa_assembler::periods::find_loops;
use eqisa_assembler::pulses::{PulseBits, encode_program};
use eqisa_assembler::{AssembleError, Structured, assemble_structured, assemble_with_pulses};
use eqisa_ir::Circuit;
use eqisa_ir::program::flatten::FlattenLimits;
use eqisa_ir::program::stmt::Program;
use eqisa_isa::IsaError;
use eqisa_isa::control::NodeKind;
use eqisa_lower::lower;
use eqisa_lower::program::NativeProgram;
use eqisa_lower::structured::{StructuredError, lower_structured};
use eqisa_lower::target::TargetDesc;
use serde::Serialize;

use crate::codebook::{LoadedCodebook, short_hash};
use crate::config::{LowerConfig, PulseConfig};
use crate::error::PipelineError;
use crate::measure::{Bits, Measured, PaperRow, PaperSetting, measure, paper_request};
use crate::place::{coder_for, place};

/// What to do besides encoding the instruction stream.
#[derive(Clone, Debug, Default)]
pub struct AssembleOptions {
    /// How to lower the circuit.
    pub lowering: LowerConfig,
    /// Place the circuit on a device and add its pulses as the program's pulse section.
    pub pulses: Option<PulseConfig>,
    /// Measure the paper's pipeline, at the same fidelity budget or at a fixed setting; `None`
    /// skips it.
    pub paper: Option<PaperSetting>,
    /// Look for repeats in a flat program within a window of this many operations and code them
    /// as loops ([`eqisa_assembler::periods`]) when that is smaller; `None`: flat stays flat.
    pub repeat_window: Option<usize>,
    /// Skip every baseline over the instruction stream (binary stream, bzip2/xz/zstd, entropy,
    /// the paper's pipeline): their figures are `None`. For large programs, where they cost
    /// most of the time and memory.
    pub no_baselines: bool,
}

/// An assembled program and its figures.
pub struct Assembly {
    /// The `.eqb` file's bytes.
    pub bytes: Vec<u8>,
    /// The target the circuit was lowered to.
    pub target: TargetDesc,
    /// The figures (what `eqisa assemble --json` prints).
    pub report: AssemblyReport,
    /// The program as lowered, before it was coded (`None` on the streaming path, which never
    /// holds it whole): what a job ([`crate::job`]) codes again with its other circuits.
    pub lowered: Option<Lowered>,
}

/// A circuit lowered to the target, before coding.
#[derive(Clone, Debug)]
pub enum Lowered {
    /// Runs straight.
    Flat(NativeProgram),
    /// Keeps its loops.
    Looped(Structured),
}

/// The figures of an assembled program.
#[derive(Clone, Debug, Serialize)]
pub struct AssemblyReport {
    /// The circuit's name.
    pub file: String,
    /// `native` or `clifford+t`.
    pub target: &'static str,
    /// Native operations in the program.
    pub native_ops: u64,
    /// The lowering's fidelity bound.
    pub fidelity_bound: f64,
    /// Precision of the rz angles in bits (0: exact).
    pub angle_bits: u8,
    /// The codebook's serialised size.
    pub codebook_bytes: usize,
    /// The codebook's id (hex).
    pub codebook_hash: String,
    /// Bits per encoding.
    pub bits: Bits,
    /// The paper pipeline's fidelity bound, when measured.
    pub paper_fidelity_bound: Option<f64>,
    /// The paper pipeline's setting, fidelity against the budget and bits, when measured.
    pub paper: Option<PaperRow>,
    /// Bytes per part of the file.
    pub sections: Sections,
    /// The pulse section's figures, when pulses were asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pulses: Option<PulseReport>,
    /// For a program assembled with its loops: its text and replay buffer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loops: Option<LoopReport>,
}

/// The figures of a program assembled with its loops.
#[derive(Clone, Debug, Serialize)]
pub struct LoopReport {
    /// Operations coded in the instruction section (each loop body once).
    pub text_ops: u64,
    /// Counted loops (nested ones included).
    pub counted_loops: usize,
    /// Real-time `while` loops: `native_ops` counts each of their bodies once.
    pub while_loops: usize,
    /// Instructions the decoder's replay buffer holds (the largest outermost loop's body).
    pub replay_buffer_ops: u64,
    /// Whether the baselines over the binary stream were measured on the unrolled program (not
    /// for programs that run more than `BASELINE_MAX_OPS` operations or hold a `while`).
    pub baselines_unrolled: bool,
    /// Whether the loops were found in a flat program (repeats), rather than written as loops.
    pub found_in_flat: bool,
}

/// Bytes per part of an `.eqb` file.
#[derive(Clone, Debug, Serialize)]
pub struct Sections {
    /// Header, section headers and checksums.
    pub header_and_framing: usize,
    /// The program section.
    pub program: usize,
    /// The metadata section.
    pub metadata: usize,
    /// The instruction section.
    pub instructions: usize,
    /// The control section (loops; 0 without).
    pub control: usize,
    /// The pulse section.
    pub pulses: usize,
    /// Instruction blocks.
    pub blocks: u64,
    /// Whether timing is coded explicitly.
    pub explicit_timing: bool,
}

/// The pulse section's figures.
#[derive(Clone, Debug, Serialize)]
pub struct PulseReport {
    /// The device's name.
    pub device: String,
    /// `calibrated` or `direct-rotation`.
    pub mode: &'static str,
    /// Channels with plays.
    pub channels: usize,
    /// Plays.
    pub plays: usize,
    /// Samples played.
    pub samples: u64,
    /// SWAPs routing inserted.
    pub swaps: u64,
    /// Bits of the pulse stream, ours and the baselines'.
    pub pulse_bits: PulseBitsReport,
    /// Largest added infidelity of any coded waveform.
    pub max_added_infidelity: f64,
    /// Waveforms coded losslessly because the budget could not be met.
    pub lossless_fallbacks: usize,
}

/// Bits of a pulse stream under each encoding.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PulseBitsReport {
    /// Our pulse section.
    pub eqisa: u64,
    /// 16-bit I/Q samples.
    pub raw: u64,
    /// COMPAQT-style DCT.
    pub dct: u64,
    /// zstd -19 of the samples.
    pub zstd: u64,
}

impl From<PulseBits> for PulseBitsReport {
    fn from(b: PulseBits) -> Self {
        PulseBitsReport {
            eqisa: b.eqisa,
            raw: b.raw,
            dct: b.dct,
            zstd: b.zstd,
        }
    }
}

/// Refuses a program that the decoder's own limits would refuse, so that the assembler never
/// writes what its decoder then calls corrupt: more qubits than
/// [`eqisa_decoder::DEFAULT_MAX_QUBITS`], or a section other than the instructions larger than
/// the decoder's buffer ([`eqisa_decoder::MAX_BUFFER`]; a 10 MB register name, say). Classical
/// bits cost the decoder nothing (it tracks only those conditions read).
pub(crate) fn check_decodable(name: &str, qubits: u32, bytes: &[u8]) -> Result<(), PipelineError> {
    let refuse = |what, found: u64, max: u64| PipelineError::Undecodable {
        file: name.to_string(),
        what,
        found,
        max,
    };
    let max = u64::from(eqisa_decoder::DEFAULT_MAX_QUBITS);
    if u64::from(qubits) > max {
        return Err(refuse("the qubit count", qubits.into(), max));
    }
    let container = eqisa_isa::Container::parse(bytes).map_err(|e| PipelineError::Decode {
        file: name.to_string(),
        message: e.to_string(),
    })?;
    for section in &container.sections {
        let len = section.payload.len() as u64;
        let buffer = eqisa_decoder::MAX_BUFFER as u64;
        if section.kind != eqisa_isa::SectionKind::Instructions
            && section.kind != eqisa_isa::SectionKind::Pulses
            && len > buffer
        {
            return Err(refuse(
                "a metadata, program or control section's size",
                len,
                buffer,
            ));
        }
    }
    Ok(())
}

/// Assemble `circuit` (named `name` in errors and reports) with `cb`.
///
/// # Errors
/// When the circuit does not lower (or place, or play), the program cannot be encoded, or a
/// baseline fails.
pub fn assemble_circuit(
    circuit: &Circuit,
    name: &str,
    cb: &LoadedCodebook,
    opts: &AssembleOptions,
) -> Result<Assembly, PipelineError> {
    let (program, fidelity_bound, target, pulse_report, pulse_payload) = match &opts.pulses {
        Some(pulse) => {
            let placed = place(circuit, name, &opts.lowering, pulse)?;
            let (physics, coder) = coder_for(cb, &placed.device, pulse)?;
            let enc = encode_program(&placed.pulses, &placed.device, &physics, &coder).map_err(
                |source| PipelineError::PulseEncode {
                    file: name.to_string(),
                    source: Box::new(source),
                },
            )?;
            let report = PulseReport {
                device: placed.device.name.clone(),
                mode: pulse.mode().name(),
                channels: placed.pulses.channels.len(),
                plays: placed.pulses.plays.len(),
                samples: placed.pulses.played_samples(),
                swaps: placed.swaps,
                pulse_bits: enc.bits.into(),
                max_added_infidelity: enc.max_added_infidelity,
                lossless_fallbacks: enc.lossless_fallbacks,
            };
            (
                placed.program,
                placed.fidelity_bound,
                placed.target,
                Some(report),
                Some(enc.payload),
            )
        }
        None => {
            let (target, options) = opts.lowering.resolve()?;
            let l = lower(circuit, &target, &options).map_err(|source| PipelineError::Lower {
                file: name.to_string(),
                source,
            })?;
            (l.program, l.fidelity_bound, target, None, None)
        }
    };
    let fail = |source| PipelineError::Assemble {
        file: name.to_string(),
        source,
    };
    let looped = match (opts.repeat_window, &pulse_payload) {
        (Some(window), None) => with_repeats(&program, window, &target, cb).map_err(fail)?,
        _ => None,
    };
    let flat = assemble_with_pulses(&program, &target, &cb.codebook, cb.hash, pulse_payload)
        .map_err(fail)?;
    let (asm, loops, found) = match looped {
        Some((asm, loops, s)) if asm.bytes.len() < flat.bytes.len() => (asm, Some(loops), Some(s)),
        _ => (flat, None, None),
    };
    check_decodable(name, program.num_qubits, &asm.bytes)?;
    let m = if opts.no_baselines {
        Measured::skipped(&asm)
    } else {
        let paper = paper_request(opts.paper, &opts.lowering, fidelity_bound);
        measure(circuit, &program, &target, &asm, cb, paper)?
    };
    let report = AssemblyReport {
        file: name.to_string(),
        target: target.kind.name(),
        native_ops: program.ops.len() as u64,
        fidelity_bound,
        angle_bits: program.angle_bits,
        codebook_bytes: cb.bytes,
        codebook_hash: short_hash(&cb.hash),
        bits: m.bits,
        paper_fidelity_bound: m.paper_fidelity_bound,
        paper: m.paper,
        pulses: pulse_report,
        loops,
        sections: Sections {
            header_and_framing: asm.bytes.len()
                - asm.program_bytes
                - asm.metadata_bytes
                - asm.instruction_bytes
                - asm.control_bytes
                - asm.pulse_bytes,
            program: asm.program_bytes,
            metadata: asm.metadata_bytes,
            instructions: asm.instruction_bytes,
            control: asm.control_bytes,
            pulses: asm.pulse_bytes,
            blocks: asm.blocks,
            explicit_timing: asm.explicit_timing,
        },
    };
    Ok(Assembly {
        bytes: asm.bytes,
        target,
        report,
        lowered: Some(match found {
            Some(s) => Lowered::Looped(s),
            None => Lowered::Flat(program),
        }),
    })
}

/// `program` assembled with the repeats found in it as loops, when there are any.
fn with_repeats(
    program: &NativeProgram,
    window: usize,
    target: &TargetDesc,
    cb: &LoadedCodebook,
) -> Result<Option<(eqisa_assembler::Assembled, LoopReport, Structured)>, AssembleError> {
    let Some(s) = find_loops(program, window)? else {
        return Ok(None);
    };
    let asm = assemble_structured(&s, target, &cb.codebook, cb.hash)?;
    let loops = LoopReport {
        text_ops: s.text.ops.len() as u64,
        counted_loops: s
            .control
            .nodes()
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Repeat { .. }))
            .count(),
        while_loops: 0,
        replay_buffer_ops: s.control.replay_ops,
        baselines_unrolled: true,
        found_in_flat: true,
    };
    Ok(Some((asm, loops, s)))
}

/// Most operations a program with loops may run for the baselines over its unrolled binary
/// stream (bzip2, xz, zstd, the paper's pipeline) to be measured: beyond, they are null.
pub const BASELINE_MAX_OPS: u64 = 1 << 24;

/// Assemble structured program `p` (named `name`) keeping its loops: each loop body is lowered
/// and coded once, the loops go into the control section (see [`eqisa_isa::control`]).
/// `Ok(None)` when it has no loop the lowering can keep, or pulses are asked for (pulses are
/// played from the flat program): the caller then flattens it.
///
/// # Errors
/// When inputs do not fit the program, a piece does not flatten or lower, a loop body is
/// larger than the decoder's replay buffer (refused, not split: see
/// [`eqisa_isa::control::MAX_REPLAY_OPS`]) or nests deeper than
/// [`eqisa_isa::control::MAX_DEPTH`], or a baseline fails.
pub fn assemble_structured_program(
    p: &Program,
    inputs: &[(String, String)],
    name: &str,
    cb: &LoadedCodebook,
    opts: &AssembleOptions,
) -> Result<Option<Assembly>, PipelineError> {
    if opts.pulses.is_some() {
        return Ok(None);
    }
    let bound = eqisa_qasm::bind(p, inputs)?;
    let (target, options) = opts.lowering.resolve()?;
    let limits = FlattenLimits::default();
    let lowered = match lower_structured(p, &bound, &target, &options, &limits) {
        Ok(Some(l)) => l,
        Ok(None) => return Ok(None),
        Err(StructuredError::Flatten(e)) => return Err(eqisa_qasm::located(p, e).into()),
        Err(StructuredError::Lower(source)) => {
            return Err(PipelineError::Lower {
                file: name.to_string(),
                source,
            });
        }
    };
    let assemble_fail = |source| match source {
        AssembleError::Isa(IsaError::Limit { what, found, max })
            if what.contains("replay buffer") =>
        {
            PipelineError::LoopTooLarge {
                file: name.to_string(),
                found,
                max,
            }
        }
        source => PipelineError::Assemble {
            file: name.to_string(),
            source,
        },
    };
    let s = Structured::from_lowered(&lowered).map_err(assemble_fail)?;
    let asm = assemble_structured(&s, &target, &cb.codebook, cb.hash).map_err(assemble_fail)?;
    check_decodable(name, s.text.num_qubits, &asm.bytes)?;
    let unrolled = if opts.no_baselines {
        None
    } else {
        s.unrolled(BASELINE_MAX_OPS)
    };
    let m = match &unrolled {
        Some(u) => {
            let circuit = eqisa_ir::program::flatten::flatten(p, &bound, &limits)
                .map_err(|e| eqisa_qasm::located(p, e))?;
            let paper = paper_request(opts.paper, &opts.lowering, lowered.fidelity_bound);
            Some(measure(&circuit, u, &target, &asm, cb, paper)?)
        }
        None => None,
    };
    let executed = s.control.executed(1);
    let nodes = s.control.nodes();
    let count = |f: fn(&NodeKind) -> bool| nodes.iter().filter(|n| f(&n.kind)).count();
    let report = AssemblyReport {
        file: name.to_string(),
        target: target.kind.name(),
        native_ops: u64::try_from(executed).unwrap_or(u64::MAX),
        fidelity_bound: lowered.fidelity_bound,
        angle_bits: s.text.angle_bits,
        codebook_bytes: cb.bytes,
        codebook_hash: short_hash(&cb.hash),
        bits: match &m {
            Some(m) => m.bits.clone(),
            None => Bits::eqisa_only(&asm),
        },
        paper_fidelity_bound: m.as_ref().and_then(|m| m.paper_fidelity_bound),
        paper: m.and_then(|m| m.paper),
        pulses: None,
        loops: Some(LoopReport {
            text_ops: s.text.ops.len() as u64,
            counted_loops: count(|k| matches!(k, NodeKind::Repeat { .. })),
            while_loops: count(|k| matches!(k, NodeKind::While { .. })),
            replay_buffer_ops: s.control.replay_ops,
            baselines_unrolled: unrolled.is_some(),
            found_in_flat: false,
        }),
        sections: Sections {
            header_and_framing: asm.bytes.len()
                - asm.program_bytes
                - asm.metadata_bytes
                - asm.instruction_bytes
                - asm.control_bytes,
            program: asm.program_bytes,
            metadata: asm.metadata_bytes,
            instructions: asm.instruction_bytes,
            control: asm.control_bytes,
            pulses: 0,
            blocks: asm.blocks,
            explicit_timing: false,
        },
    };
    Ok(Some(Assembly {
        bytes: asm.bytes,
        target,
        report,
        lowered: Some(Lowered::Looped(s)),
    }))
}

/// Assemble the program read from `file` (as [`crate::load_source`] gave it): with its loops
/// when it has some the lowering keeps and `flat` is not asked for, else flattened with
/// `inputs`; a Stim circuit's figures add xz of its own text.
///
/// # Errors
/// As [`assemble_structured_program`] and [`assemble_circuit`], and when its inputs do not fit.
pub fn assemble_source(
    source: crate::input::Source,
    file: &std::path::Path,
    inputs: &[(String, String)],
    cb: &LoadedCodebook,
    opts: &AssembleOptions,
    flat: bool,
) -> Result<Assembly, PipelineError> {
    let name = file.display().to_string();
    let structured = match &source.parsed {
        eqisa_qasm::Parsed::Structured(p) if !flat => {
            assemble_structured_program(p, inputs, &name, cb, opts)?
        }
        _ => None,
    };
    let mut asm = match structured {
        Some(asm) => asm,
        None => {
            let c = crate::input::flatten_named(source.parsed, file, inputs)?;
            assemble_circuit(&c, &name, cb, opts)?
        }
    };
    if let Some(text) = source.stim_text.as_ref().filter(|_| !opts.no_baselines) {
        let xz = eqisa_baselines::compress::compress_xz(text.as_bytes())?;
        asm.report.bits.stim_text_xz = Some(xz.len() as u64 * 8);
    }
    Ok(asm)
}
