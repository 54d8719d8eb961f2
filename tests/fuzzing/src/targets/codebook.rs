//! Arbitrary bytes into `Codebook::parse`, as they are and with a correct content hash appended
//! (so the entries behind the hash check are reached), the latter also with the version fields
//! set to this build's. It must never panic, and whatever parses must serialise back to something
//! that parses to the same codebook with the same hash.

use eqisa_isa::codebook::{self, Codebook};
use eqisa_isa::model::MODEL_VERSION;
use sha2::{Digest, Sha256};

/// Runs the target on `data`; panics when a property fails.
pub fn run(data: &[u8]) {
    match Codebook::parse(data) {
        Ok((_, hash)) => assert_eq!(hash[..], data[data.len() - 32..]),
        Err(e) => {
            let _ = e.to_string();
        }
    }
    with_hash(data);
    // And with this build's versions, so inputs (and seeds) from other versions reach the entries.
    if data.len() >= 8 {
        let mut d = data.to_vec();
        d[4..6].copy_from_slice(&codebook::FORMAT_VERSION.to_le_bytes());
        d[6..8].copy_from_slice(&MODEL_VERSION.to_le_bytes());
        with_hash(&d);
    }
}

/// Parse `body` with its correct hash appended; what parses must round-trip.
fn with_hash(body: &[u8]) {
    let mut b = body.to_vec();
    b.extend_from_slice(&Sha256::digest(body));
    match Codebook::parse(&b) {
        Ok((cb, hash)) => {
            assert_eq!(hash[..], b[b.len() - 32..]);
            let again = cb.to_bytes();
            let (back, back_hash) =
                Codebook::parse(&again).expect("a re-serialised codebook parses");
            assert_eq!(back, cb);
            assert_eq!(back_hash, cb.hash());
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}
