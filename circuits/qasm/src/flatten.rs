//! From a parsed program to the flat circuit later stages consume: the values of its `input`
//! variables bound, loops unrolled and known branches resolved
//! ([`eqisa_ir::program::flatten`]), and every refusal placed in the file that caused it.

use std::sync::Arc;

use eqisa_ir::Circuit;
use eqisa_ir::program::Program;
use eqisa_ir::program::flatten::{FlattenError, FlattenErrorKind, FlattenLimits};
use eqisa_ir::program::inputs::bind_inputs;

use crate::error::{ErrorKind, QasmError, SourcePos};

/// A program as read. OpenQASM 2 has no classical control beyond `if` on a register, so its
/// programs are flat circuits from the start; OpenQASM 3 programs keep loops, branches,
/// switches and subroutine calls as structure until [`flatten`] unrolls them.
#[derive(Clone, Debug, PartialEq)]
pub enum Parsed {
    Flat(Circuit),
    Structured(Program),
}

/// The flat circuit of a parsed program, with `inputs` (name, value text) given to its `input`
/// variables, within the IR budget ([`crate::builder::ir_budget`]) and the default step limits.
///
/// ```
/// let text = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\ninput float theta;\nqubit q;\n\
///             for int i in [1:3] { rx(theta * i) q; }\n";
/// let parsed = eqisa_qasm::parse_program_str(text, "sweep.qasm3")?;
/// let inputs = [("theta".to_string(), "0.5".to_string())];
/// let c = eqisa_qasm::flatten(parsed, &inputs)?;
/// assert_eq!(c.params, [0.5, 1.0, 1.5]);
/// # Ok::<(), eqisa_qasm::QasmError>(())
/// ```
///
/// # Errors
/// When an input is missing, unknown or malformed, or when the program has no flat circuit:
/// real-time control flow (a loop on a measured value), more operations than the budget.
pub fn flatten(parsed: Parsed, inputs: &[(String, String)]) -> Result<Circuit, QasmError> {
    let limits = FlattenLimits {
        max_ops: crate::builder::ir_budget().min(u64::from(u32::MAX)),
        ..FlattenLimits::default()
    };
    flatten_with(parsed, inputs, &limits)
}

/// [`flatten`] within `limits`.
///
/// # Errors
/// As [`flatten`].
pub fn flatten_with(
    parsed: Parsed,
    inputs: &[(String, String)],
    limits: &FlattenLimits,
) -> Result<Circuit, QasmError> {
    match parsed {
        Parsed::Flat(c) => match inputs.first() {
            None => Ok(c),
            Some((name, _)) => Err(QasmError::Input {
                file: Arc::from("<program>"),
                message: format!("'{name}' is not an input: OpenQASM 2 programs have none"),
            }),
        },
        Parsed::Structured(p) => {
            let bound = bind(&p, inputs)?;
            eqisa_ir::program::flatten::flatten(&p, &bound, limits).map_err(|e| located(&p, e))
        }
    }
}

/// The values of `p`'s inputs, read as their declared types.
///
/// # Errors
/// [`QasmError::Input`] naming the program's file.
pub fn bind(
    p: &Program,
    inputs: &[(String, String)],
) -> Result<
    Vec<(
        eqisa_ir::program::ids::VarId,
        eqisa_ir::program::value::Value,
    )>,
    QasmError,
> {
    bind_inputs(p, inputs).map_err(|e| QasmError::Input {
        file: main_file(p),
        message: e.to_string(),
    })
}

/// A flatten error at its place in the source.
pub fn located(p: &Program, e: FlattenError) -> QasmError {
    QasmError::At {
        pos: SourcePos {
            file: p
                .files
                .get(e.loc.file as usize)
                .cloned()
                .unwrap_or_else(|| main_file(p)),
            line: e.loc.line,
            col: e.loc.col,
        },
        kind: match e.kind {
            // The IR budget, which `--max-file-mb` raises: said as the builder says it.
            FlattenErrorKind::TooLarge { limit, .. } if limit == crate::builder::ir_budget() => {
                ErrorKind::CircuitTooLarge { limit }
            }
            kind => ErrorKind::Flatten(kind),
        },
    }
}

fn main_file(p: &Program) -> Arc<str> {
    p.files
        .first()
        .cloned()
        .unwrap_or_else(|| Arc::from("<program>"))
}
