//! `eqisa-test-support` (not published) owns what the workspace's tests, benchmarks and fuzz
//! targets share, so that none of them keeps its own copy:
//!
//! - [`paths`]: where the repository's example circuits and the shared corpus are (tests that
//!   need the corpus skip when it is absent);
//! - [`mod@reference`]: the corpus's Qiskit reference and Qiskit's instruction names;
//! - [`rng`]: [`Rng`], the one seeded generator (SplitMix64) of test data;
//! - [`codebook`]: the flat codebook test programs and fuzz seeds are assembled with;
//! - [`readers`]: readers that hand out input in small pieces, to exercise chunked parsing;
//! - [`circuits`]: the circuits the assembler's and the decoder's benchmarks measure.
//!
//! It depends on `serde_json` and `eqisa-isa` only: crates below it may still dev-depend on it.

pub mod circuits;
pub mod codebook;
pub mod paths;
pub mod readers;
pub mod reference;
pub mod rng;

pub use circuits::{BenchCircuit, bench_circuits};
pub use codebook::{FLAT_DESCRIPTION, flat_codebook};
pub use paths::{
    corpus_dir, corpus_path, corpus_root, example, example_files, examples_dir, ibm_calibrations,
    ibm_calibrations_in, repo_dir,
};
pub use readers::{OneByte, Trickle};
pub use reference::{qiskit_name, reference};
pub use rng::Rng;
