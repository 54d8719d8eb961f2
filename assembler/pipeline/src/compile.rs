//! Lowering a program to a native target and writing it back as OpenQASM, with what it cost
//! (`eqisa compile`): a program with loops the lowering keeps is written as OpenQASM 3 with them,
//! any other flattened and written as OpenQASM 2 (3 when its conditions need it).

use std::collections::BTreeMap;
use std::path::Path;

use eqisa_ir::program::flatten::{FlattenLimits, flatten};
use eqisa_lower::lower;
use eqisa_lower::state::exact_fidelity;
use eqisa_lower::structured::{Piece, StructuredError, lower_structured};
use eqisa_qasm::Parsed;
use serde::Serialize;

use crate::config::LowerConfig;
use crate::error::PipelineError;
use crate::input::Source;

/// Most operations the structured output is unrolled to, to compare its state with the
/// source's.
const EXACT_FIDELITY_MAX_OPS: u64 = 1 << 20;

/// What `eqisa compile --json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct CompileReport {
    /// The program's name.
    pub file: String,
    /// `native` or `clifford+t`.
    pub target: &'static str,
    /// Operations executed, by name (loop bodies times their iterations).
    pub ops: BTreeMap<String, u128>,
    /// T and T† gates executed.
    pub t_count: u128,
    /// Depth of the executed program.
    pub depth: u128,
    /// End of the last operation.
    pub duration_ns: f64,
    /// Precision of the rz angles in bits (0: exact f64, and on Clifford+T, which has no rz).
    pub angle_bits: u8,
    /// The lowering's fidelity bound.
    pub fidelity_bound: f64,
    /// The exact fidelity of the output's state with the source's, where it was computed (at
    /// most 10 qubits, no dynamic circuit).
    pub fidelity_exact: Option<f64>,
    /// Loops written back as loops (0 when the output is flat).
    pub loops_kept: usize,
}

/// The OpenQASM a lowered program is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QasmLanguage {
    /// OpenQASM 2.
    Qasm2,
    /// OpenQASM 3, to keep the program's loops.
    Qasm3Loops,
    /// OpenQASM 3, for conditions OpenQASM 2 has no form of (only `if (creg == n)` has).
    Qasm3Conditions,
}

/// A lowered program.
pub struct Compiled {
    /// The target it was lowered to.
    pub target: eqisa_lower::target::TargetDesc,
    /// Its OpenQASM text.
    pub qasm: String,
    /// Which OpenQASM the text is, and why.
    pub language: QasmLanguage,
    /// What it cost.
    pub report: CompileReport,
}

/// Lower `source` (read from `file`) with `lowering`, its `input` variables given `inputs`,
/// keeping its loops unless `flat`.
///
/// # Errors
/// When the inputs do not fit, the program has no flat form, or the lowering fails.
pub fn compile_source(
    source: Source,
    file: &Path,
    inputs: &[(String, String)],
    lowering: &LowerConfig,
    flat: bool,
) -> Result<Compiled, PipelineError> {
    let (target, options) = lowering.resolve()?;
    let name = file.display().to_string();
    let lower_error = |source| PipelineError::Lower {
        file: name.clone(),
        source,
    };
    if let (Parsed::Structured(p), false) = (&source.parsed, flat) {
        let bound = eqisa_qasm::bind(p, inputs)?;
        let limits = FlattenLimits {
            max_ops: eqisa_qasm::ir_budget().min(u64::from(u32::MAX)),
            ..FlattenLimits::default()
        };
        let kept =
            lower_structured(p, &bound, &target, &options, &limits).map_err(|e| match e {
                StructuredError::Flatten(e) => PipelineError::Qasm(eqisa_qasm::located(p, e)),
                StructuredError::Lower(e) => lower_error(e),
            })?;
        if let Some(ls) = kept {
            // The source's state, when it has a flat circuit, against the output unrolled.
            let fidelity_exact = flatten(p, &bound, &limits)
                .ok()
                .and_then(|c| exact_fidelity(&c, &ls.unrolled(EXACT_FIDELITY_MAX_OPS)?));
            let report = CompileReport {
                file: name.clone(),
                target: target.kind.name(),
                ops: ls.counts(),
                t_count: ls.t_count(),
                depth: ls.depth(),
                duration_ns: ls.duration_ns(),
                angle_bits: ls.angle_bits(),
                fidelity_bound: ls.fidelity_bound,
                fidelity_exact,
                loops_kept: ls
                    .pieces
                    .iter()
                    .filter(|p| matches!(p, Piece::Repeat { .. } | Piece::While { .. }))
                    .count(),
            };
            return Ok(Compiled {
                target,
                qasm: ls.to_qasm3(),
                language: QasmLanguage::Qasm3Loops,
                report,
            });
        }
    }
    let c = crate::input::flatten_named(source.parsed, file, inputs)?;
    let lowered = lower(&c, &target, &options).map_err(lower_error)?;
    let p = &lowered.program;
    let (qasm, language) = match p.to_qasm2() {
        Some(t) => (t, QasmLanguage::Qasm2),
        None => (p.to_qasm3(), QasmLanguage::Qasm3Conditions),
    };
    let report = CompileReport {
        file: name,
        target: target.kind.name(),
        ops: p
            .counts()
            .into_iter()
            .map(|(k, v)| (k, u128::from(v)))
            .collect(),
        t_count: u128::from(p.t_count()),
        depth: u128::from(p.depth()),
        duration_ns: p.duration_ns,
        angle_bits: p.angle_bits,
        fidelity_bound: lowered.fidelity_bound,
        fidelity_exact: exact_fidelity(&c, p),
        loops_kept: 0,
    };
    Ok(Compiled {
        target,
        qasm,
        language,
        report,
    })
}
