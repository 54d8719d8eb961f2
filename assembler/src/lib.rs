//! `eqisa-assembler`: NativeProgram + codebook → `.eqb` ([`encode`]), the way back from decoded
//! instructions ([`rebuild`]), the metadata section ([`layout`]) and the baseline encoders EQISA
//! is measured against ([`baselines`], and [`dct`] for pulses); [`pulses`] codes waveforms into
//! the pulse section.

pub mod baselines;
pub mod dct;
pub mod encode;
pub mod error;
pub mod layout;
pub mod pulses;
pub mod rebuild;

pub use encode::{Assembled, assemble, assemble_with_pulses};
pub use error::AssembleError;
