//! `eqisa-assembler`: NativeProgram + codebook → `.eqb` ([`encode`]), the way back from decoded
//! instructions ([`rebuild`]), the metadata section ([`layout`]) and the baseline encoders EQISA
//! is measured against ([`baselines`], and [`dct`] for pulses); [`pulses`] codes waveforms into
//! the pulse section.

pub mod baselines;
pub mod dct;
pub mod encode;
pub mod layout;
pub mod pulses;
pub mod rebuild;

pub use encode::{Assembled, assemble, assemble_with_pulses};

/// Why a program cannot be assembled (or a decoded one rebuilt).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AssembleError {
    /// An operation the instruction set cannot carry.
    #[error("operation {index}: {what}")]
    Unencodable {
        /// Index of the operation in the program.
        index: usize,
        /// What is wrong with it.
        what: &'static str,
    },
    /// The container or coder refused.
    #[error(transparent)]
    Isa(#[from] eqisa_isa::IsaError),
    /// The metadata section is malformed.
    #[error("metadata section: {0}")]
    Metadata(&'static str),
}
