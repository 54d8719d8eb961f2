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
    eqisa_qasm::flatten(load_program(file)?, inputs)
}

/// Parse the circuit at `file` (`-` reads standard input; its includes then resolve against the
/// current directory), flattened without inputs.
///
/// # Errors
/// When the file cannot be read or does not parse; the error names file, line and column.
pub fn load_circuit(file: &Path) -> Result<Circuit, QasmError> {
    load_circuit_with(file, &[])
}
