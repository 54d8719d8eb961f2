//! Loading the circuit a step names: a path, or `-` for standard input.

use std::path::{Path, PathBuf};

use eqisa_ir::Circuit;
use eqisa_qasm::{Parsed, QasmError};

/// Parse the program at `file` (`-` reads standard input; its includes then resolve against
/// the current directory), keeping an OpenQASM 3 program's structure.
///
/// # Errors
/// When the file cannot be read or does not parse; the error names file, line and column.
pub fn load_program(file: &Path) -> Result<Parsed, QasmError> {
    if file.as_os_str() == "-" {
        eqisa_qasm::parse_program_reader(
            std::io::stdin().lock(),
            "<stdin>".into(),
            PathBuf::from("."),
        )
    } else {
        eqisa_qasm::parse_program_file(file)
    }
}

/// Parse the circuit at `file` and flatten it, its `input` variables given `inputs` (name,
/// value text).
///
/// # Errors
/// As [`load_program`], and when the inputs do not fit the program or it has no flat circuit
/// (real-time control flow, too many operations once unrolled).
pub fn load_circuit_with(file: &Path, inputs: &[(String, String)]) -> Result<Circuit, QasmError> {
    flatten_named(load_program(file)?, file, inputs)
}

/// [`eqisa_qasm::flatten`] of the program read from `file`: inputs given to an OpenQASM 2
/// program, whose circuit does not know its file, are refused under `file`'s name.
///
/// # Errors
/// As [`eqisa_qasm::flatten`].
pub fn flatten_named(
    parsed: Parsed,
    file: &Path,
    inputs: &[(String, String)],
) -> Result<Circuit, QasmError> {
    let flat = matches!(parsed, Parsed::Flat(_));
    eqisa_qasm::flatten(parsed, inputs).map_err(|e| match e {
        QasmError::Input { message, .. } if flat => QasmError::Input {
            file: if file.as_os_str() == "-" {
                "<stdin>".into()
            } else {
                file.display().to_string().into()
            },
            message,
        },
        e => e,
    })
}

/// Parse the circuit at `file` (`-` reads standard input; its includes then resolve against the
/// current directory), flattened without inputs.
///
/// # Errors
/// When the file cannot be read or does not parse; the error names file, line and column.
pub fn load_circuit(file: &Path) -> Result<Circuit, QasmError> {
    load_circuit_with(file, &[])
}
