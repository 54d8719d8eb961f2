//! Loading the program a command names, and saying what of it is not used: OpenPulse
//! calibrations (`cal`, `defcal`) are read past, and a user who wrote them should know their
//! pulses are not the ones played.

use std::path::Path;

use eqisa_ir::Circuit;
use eqisa_pipeline::{PipelineError, Source};
use eqisa_qasm::Parsed;

/// The program at `file` with what its reader set aside, with a note on standard error when
/// it has calibrations that were skipped.
pub fn load_source(file: &Path) -> Result<Source, PipelineError> {
    let source = eqisa_pipeline::load_source(file)?;
    if let Some(note) = eqisa_pipeline::notes::calibration_note(file, &source) {
        eprintln!("{note}");
    }
    Ok(source)
}

/// The program at `file` (see [`load_source`]).
pub fn load(file: &Path) -> Result<Parsed, PipelineError> {
    Ok(load_source(file)?.parsed)
}

/// The program at `file` flattened with `inputs` given to its `input` variables.
pub fn load_flat(file: &Path, inputs: &[(String, String)]) -> Result<Circuit, PipelineError> {
    Ok(eqisa_pipeline::flatten_named(load(file)?, file, inputs)?)
}
