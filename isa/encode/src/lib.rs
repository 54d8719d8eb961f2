//! `eqisa-encode`: the encoder's half of the instruction stream, which decoders never need.
//!
//! `eqisa-isa` owns the format both ends must agree on (the model, the copy window, the block
//! framing); how an encoder *chooses* among the codes the format allows lives here:
//!
//! - [`Planner`]: the greedy copy planner (hash chains over the one-qubit opcodes coded so far and
//!   the codebook's macro words) that turns runs of one-qubit gates into literals, syllables and
//!   copies; [`code_all`] runs its plan through any [`eqisa_isa::coder::Coder`] (the trainer's
//!   counts, the report's step counts);
//! - [`StreamEncoder`]: the instruction section's encoder, the planner in front of
//!   `eqisa_isa::stream::BlockEncoder`.
//!
//! A crate of its own, nested under `isa/`, because the assembler (which writes programs) and the
//! dictionary's trainer (which must count exactly what the assembler codes) both need the planner
//! while the assembler already depends on the dictionary; and so that the decoder crate, which
//! depends on `eqisa-isa` alone, does not compile it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Written to the same rules as `eqisa-isa`, whose code this was.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod chains;
mod planner;
mod stream;

pub use planner::{ENCODER_MIN_COPY, Planned, Planner, code_all};
pub use stream::StreamEncoder;
