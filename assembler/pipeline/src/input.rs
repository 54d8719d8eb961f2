//! Loading the circuit a step names: a path, or `-` for standard input.

use std::path::{Path, PathBuf};

use eqisa_ir::Circuit;
use eqisa_qasm::QasmError;

/// Parse the circuit at `file` (`-` reads standard input; its includes then resolve against the
/// current directory).
///
/// # Errors
/// When the file cannot be read or does not parse; the error names file, line and column.
pub fn load_circuit(file: &Path) -> Result<Circuit, QasmError> {
    if file.as_os_str() == "-" {
        eqisa_qasm::parse_reader(
            std::io::stdin().lock(),
            "<stdin>".into(),
            PathBuf::from("."),
        )
    } else {
        eqisa_qasm::parse_file(file)
    }
}
