//! Loading the circuit a step names: a path, or `-` for standard input. OpenQASM 2 and 3 go
//! through `eqisa-qasm`, Stim circuits (`.stim`) through `eqisa-stim`.

use std::path::{Path, PathBuf};

use eqisa_ir::Circuit;
use eqisa_qasm::{Parsed, QasmError};

use crate::error::PipelineError;

/// A program as read, with what its reader set aside.
#[derive(Clone, Debug)]
pub struct Source {
    /// The program: flat (OpenQASM 2) or structured (OpenQASM 3, Stim).
    pub parsed: Parsed,
    /// For a Stim circuit: the annotations and noise channels skipped, by name, with how often
    /// each is written.
    pub skipped: Vec<(String, u64)>,
    /// For a Stim circuit: its control operations as Stim text ([`eqisa_stim::control_text`]),
    /// the loop-aware source a compressed stream is measured against.
    pub stim_text: Option<String>,
}

/// Whether `file` is read as a Stim circuit: by its extension, `.stim`.
#[must_use]
pub fn is_stim(file: &Path) -> bool {
    file.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("stim"))
}

/// Read the program at `file` (`-` reads OpenQASM from standard input; its includes then
/// resolve against the current directory), keeping its structure.
///
/// # Errors
/// When the file cannot be read or does not parse; the error names file, line and column.
pub fn load_source(file: &Path) -> Result<Source, PipelineError> {
    if is_stim(file) {
        let name = file.display().to_string();
        let text = eqisa_files::read_to_string(file).map_err(|source| PipelineError::Io {
            path: name.clone(),
            source,
        })?;
        return parse_source(&text, &name, Language::Stim);
    }
    let parsed = if file.as_os_str() == "-" {
        eqisa_qasm::parse_program_reader(
            std::io::stdin().lock(),
            "<stdin>".into(),
            PathBuf::from("."),
        )
    } else {
        eqisa_qasm::parse_program_file(file)
    }?;
    Ok(Source {
        parsed,
        skipped: Vec::new(),
        stim_text: None,
    })
}

/// The language a program's text is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// OpenQASM 2 or 3 (told apart by the text itself).
    Qasm,
    /// Stim's circuit format.
    Stim,
}

/// Parse a program held in memory, named `name` in errors; an OpenQASM program's includes
/// resolve against the current directory.
///
/// # Errors
/// When it does not parse; the error names `name`, line and column.
pub fn parse_source(text: &str, name: &str, language: Language) -> Result<Source, PipelineError> {
    Ok(match language {
        Language::Stim => {
            let stim = eqisa_stim::parse_stim(text, name)?;
            Source {
                parsed: Parsed::Structured(stim.program),
                skipped: stim.skipped,
                stim_text: Some(eqisa_stim::control_text(text)),
            }
        }
        Language::Qasm => Source {
            parsed: eqisa_qasm::parse_program_str(text, name)?,
            skipped: Vec::new(),
            stim_text: None,
        },
    })
}

/// Parse the program at `file` (see [`load_source`]), keeping its structure.
///
/// # Errors
/// As [`load_source`].
pub fn load_program(file: &Path) -> Result<Parsed, PipelineError> {
    Ok(load_source(file)?.parsed)
}

/// Parse the circuit at `file` and flatten it, its `input` variables given `inputs` (name,
/// value text).
///
/// # Errors
/// As [`load_program`], and when the inputs do not fit the program or it has no flat circuit
/// (real-time control flow, too many operations once unrolled).
pub fn load_circuit_with(
    file: &Path,
    inputs: &[(String, String)],
) -> Result<Circuit, PipelineError> {
    Ok(flatten_named(load_program(file)?, file, inputs)?)
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
pub fn load_circuit(file: &Path) -> Result<Circuit, PipelineError> {
    load_circuit_with(file, &[])
}
