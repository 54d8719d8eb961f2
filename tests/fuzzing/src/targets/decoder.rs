//! Arbitrary bytes into the streaming `.eqb` decoder (flat-priors codebook), fed in chunks whose
//! sizes are drawn from the input's checksum, and into `decode_all`. Neither may panic or hang;
//! both must agree on whether the input is a valid program. An input naming another codebook is
//! decoded a second time with the hash it names, so the fuzzer gets past the codebook check.

use crate::chunks::Chunks;
use crate::eqb::{FLAT, decode_both};
use eqisa_isa::IsaError;

/// Runs the target on `data`; panics when a property fails.
pub fn run(data: &[u8]) {
    let (cb, hash) = &*FLAT;
    let priors = &cb.priors;
    let seed = u64::from(eqisa_isa::crc32c(data)) << 8 | data.len() as u64;
    let (_, end) = decode_both(data, priors, *hash, &mut Chunks::new(seed));
    if let Err(IsaError::CodebookMismatch { found, .. }) = end {
        // A hash with the id the program names: the decoder compares only the id.
        let mut hash = [0u8; 32];
        hash[..found.len()].copy_from_slice(&found);
        let _ = decode_both(data, priors, hash, &mut Chunks::new(seed.rotate_left(17)));
    }
}
