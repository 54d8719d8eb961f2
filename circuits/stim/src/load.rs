//! The entry points: text or a file to a [`StimProgram`].

use std::path::Path;

use eqisa_ir::program::stmt::Program;

use crate::build::build;
use crate::error::StimError;
use crate::parse::parse;

/// A Stim circuit read into the structured program.
#[derive(Clone, Debug, PartialEq)]
pub struct StimProgram {
    /// The structured program: register `q` of every qubit named, register `rec` of the whole
    /// measurement record, `REPEAT` blocks as `for` loops.
    pub program: Program,
    /// Annotations and noise channels skipped, by canonical name, with how often each is
    /// written in the text (a line inside `REPEAT` counts once, not once per iteration),
    /// sorted by name. A measurement's flip probability counts as `NAME(noise)` (`M(noise)`),
    /// and `MPAD`, which the program does hold as known record bits, is counted here too.
    pub skipped: Vec<(String, u64)>,
}

/// Read Stim circuit `text`, naming `file` in errors.
pub fn parse_stim(text: &str, file: &str) -> Result<StimProgram, StimError> {
    let parsed = parse(text, file)?;
    let program = build(&parsed, file)?;
    Ok(StimProgram {
        program,
        skipped: parsed.skipped.into_iter().collect(),
    })
}

/// Read the Stim circuit in the file at `path`.
pub fn parse_stim_file(path: impl AsRef<Path>) -> Result<StimProgram, StimError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| StimError::at(&name, 0, 0, format!("cannot read: {e}")))?;
    parse_stim(&text, &name)
}
