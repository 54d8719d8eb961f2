//! `eqisa-assembler`: NativeProgram + codebook → `.eqb` ([`encode`]), the way back from decoded
//! instructions ([`rebuild`]) and the metadata section ([`layout`]); [`pulses`] codes waveforms
//! into the pulse section; [`structured`] writes programs with loops (text and control section),
//! [`loop_text`] writes them back as OpenQASM 3 as their text is decoded; [`periods`] finds loops
//! again in flattened programs; [`stream`] assembles a program as it is lowered, in bounded
//! memory; [`job`] codes many circuits as one program; [`partition`] cuts a program into one stream per controller. What EQISA is measured
//! against lives in `eqisa-baselines`.

pub mod encode;
pub mod error;
pub mod job;
pub mod layout;
pub mod loop_text;
pub mod partition;
pub mod periods;
pub mod pulses;
pub mod rebuild;
mod spill;
pub mod stream;
pub mod structured;
pub mod sweep;

pub use encode::{Assembled, assemble, assemble_with_pulses};
pub use error::AssembleError;
pub use structured::{Structured, assemble_structured};
