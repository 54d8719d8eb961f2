//! The codebook a step uses: one read from a file, or the default embedded in the library
//! (trained by `eqisa train` on Haar-random unitaries and the repository's example circuits; see
//! `codebooks/README.md`).

use std::path::Path;

use eqisa_isa::codebook::Codebook;
use eqisa_isa::pulse::AtomSet;

use crate::error::PipelineError;

/// The embedded default codebook's bytes.
pub const DEFAULT_CODEBOOK: &[u8] = include_bytes!("../../../codebooks/default.eqcb");

/// A codebook and what is known of it.
pub struct LoadedCodebook {
    /// The codebook.
    pub codebook: Codebook,
    /// Its hash (what programs name).
    pub hash: [u8; 32],
    /// Its pulse atoms, if it was trained with pulses.
    pub pulse_atoms: Option<AtomSet>,
    /// Its serialised size.
    pub bytes: usize,
    /// Where it came from, for messages.
    pub origin: String,
}

/// Load the codebook at `path`, or the embedded default.
///
/// # Errors
/// When the file cannot be read (or is longer than [`eqisa_files::limit`]: `/dev/zero` is an
/// error, not an allocation without end) or is not a valid codebook.
pub fn load_codebook(path: Option<&Path>) -> Result<LoadedCodebook, PipelineError> {
    match path {
        Some(p) => parse_codebook(
            &eqisa_files::read(p).map_err(|e| PipelineError::io(p, e))?,
            p.display().to_string(),
        ),
        None => parse_codebook(
            DEFAULT_CODEBOOK,
            "the embedded default codebook".to_string(),
        ),
    }
}

/// The codebook serialised in `bytes` (an `.eqcb` file's contents), named `origin` in messages.
///
/// # Errors
/// When the bytes are not a valid codebook.
pub fn parse_codebook(bytes: &[u8], origin: String) -> Result<LoadedCodebook, PipelineError> {
    let (codebook, pulse_atoms, hash) =
        Codebook::parse_with_pulse_atoms(bytes).map_err(|source| PipelineError::Codebook {
            origin: origin.clone(),
            source,
        })?;
    Ok(LoadedCodebook {
        codebook,
        hash,
        pulse_atoms,
        bytes: bytes.len(),
        origin,
    })
}

/// Hex of a hash's first bytes (as many as a program's codebook id holds), for messages.
pub fn short_hash(h: &[u8]) -> String {
    h.iter()
        .take(eqisa_isa::container::CODEBOOK_ID_LEN)
        .map(|b| format!("{b:02x}"))
        .collect()
}
