//! The codebook a command uses: the one given with `--codebook`, or the default embedded in the
//! binary (trained by `eqisa train` on Haar-random unitaries and the repository's example
//! circuits; see `codebooks/README.md`).

use std::path::Path;

use eqisa_isa::codebook::Codebook;
use eqisa_isa::pulse::AtomSet;

/// The embedded default codebook's bytes.
pub const DEFAULT: &[u8] = include_bytes!("../codebooks/default.eqcb");

/// A codebook and its content hash.
pub struct Loaded {
    /// The codebook.
    pub codebook: Codebook,
    /// Its hash (what programs name).
    pub hash: [u8; 32],
    /// Its pulse atoms, if it was trained with `--pulses`.
    pub pulse_atoms: Option<AtomSet>,
    /// Its serialised size.
    pub bytes: usize,
    /// Where it came from, for messages.
    pub origin: String,
}

/// Load `path`, or the embedded default.
pub fn load(path: Option<&Path>) -> Result<Loaded, String> {
    match path {
        Some(p) => {
            let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let (codebook, pulse_atoms, hash) = Codebook::parse_with_pulse_atoms(&bytes)
                .map_err(|e| format!("{}: {e}", p.display()))?;
            Ok(Loaded {
                codebook,
                hash,
                pulse_atoms,
                bytes: bytes.len(),
                origin: p.display().to_string(),
            })
        }
        None => {
            let (codebook, pulse_atoms, hash) = Codebook::parse_with_pulse_atoms(DEFAULT)
                .map_err(|e| format!("the embedded default codebook: {e}"))?;
            Ok(Loaded {
                codebook,
                hash,
                pulse_atoms,
                bytes: DEFAULT.len(),
                origin: "the embedded default codebook".into(),
            })
        }
    }
}

/// Hex of a hash's first bytes (as many as a program's codebook id holds), for messages.
pub fn short_hash(h: &[u8]) -> String {
    h.iter()
        .take(eqisa_isa::container::CODEBOOK_ID_LEN)
        .map(|b| format!("{b:02x}"))
        .collect()
}
