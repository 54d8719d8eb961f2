//! What a front end should tell its user about inputs it was given but does not fully use, as
//! one line each: the command line prints them on standard error, the Python package can raise
//! them as warnings. Kept here so every front end says the same.

use std::path::Path;

use eqisa_qasm::Parsed;

use crate::codebook::LoadedCodebook;
use crate::input::Source;

/// The note on `source` (read from `file`) when it has OpenPulse calibrations, which are read
/// past: a user who wrote them should know their pulses are not the ones played.
#[must_use]
pub fn calibration_note(file: &Path, source: &Source) -> Option<String> {
    let Parsed::Structured(p) = &source.parsed else {
        return None;
    };
    let at = p.skipped_calibration?;
    Some(format!(
        "note: {}:{}:{}: OpenPulse calibrations (defcalgrammar, cal, defcal) are not read yet: \
         skipped; gates use the device's own calibrations",
        file.display(),
        at.line,
        at.col
    ))
}

/// The note on `cb` when it has no pulse atoms, so that every waveform will be coded
/// losslessly.
#[must_use]
pub fn without_atoms_note(cb: &LoadedCodebook) -> Option<String> {
    cb.pulse_atoms.is_none().then(|| {
        format!(
            "note: {} has no pulse atoms (train one with --pulses): every waveform is coded losslessly",
            cb.origin
        )
    })
}
