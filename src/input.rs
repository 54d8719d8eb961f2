//! Loading the circuit a command names: a path, or `-` for standard input.

use std::path::{Path, PathBuf};

use eqisa_ir::Circuit;
use eqisa_qasm::QasmError;

/// Parse the circuit at `file` (`-` reads stdin; includes then resolve against the current
/// directory).
pub fn load(file: &Path) -> Result<Circuit, QasmError> {
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
