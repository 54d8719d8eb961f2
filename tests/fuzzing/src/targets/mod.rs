//! One module per fuzz target; each has `run(data: &[u8])`, which panics when a property fails.

pub mod codebook;
pub mod decoder;
pub mod decoder_mutated;
pub mod looped;
pub mod parse;
pub mod pulse;
pub mod stim;
pub mod streams;
pub mod structured;
