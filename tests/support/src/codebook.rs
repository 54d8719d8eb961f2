//! The flat codebook: default priors, no macro words, no paper dictionary. Test programs, the
//! fuzz targets' seeds (`fuzz/seeds-eqb`) and the benchmarks are assembled with it.

use eqisa_isa::codebook::Codebook;
use eqisa_isa::model::Priors;

/// The flat codebook's description. It is part of the codebook's hash, which the programs in
/// `fuzz/seeds-eqb` carry: changing it invalidates them.
pub const FLAT_DESCRIPTION: &str = "flat test codebook";

/// The flat codebook and its hash.
pub fn flat_codebook() -> (Codebook, [u8; 32]) {
    let cb = Codebook {
        description: FLAT_DESCRIPTION.into(),
        priors: Priors::default(),
        paper_dictionary: None,
        training: String::new(),
    };
    let hash = cb.hash();
    (cb, hash)
}
