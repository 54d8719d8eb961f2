//! `eqisa-isa`: the `no_std` + `alloc` foundation shared by the EQISA assembler (host side) and the
//! streaming decoder (firmware side).
//!
//! It owns the byte- and bit-level plumbing that both ends must agree on exactly:
//!
//! - [`bits`]: MSB-first bit writer/reader ([`BitWriter`], [`BitReader`]);
//! - [`varint`]: LEB128 varints (unsigned and zigzag-signed) on bytes, Elias-gamma and Rice codes on
//!   bits;
//! - [`crc`]: CRC-32C (Castagnoli), one-shot and incremental;
//! - [`coder`]: the adaptive range coders (binary and multi-symbol) and the [`coder::Coder`]
//!   trait every model is written against;
//! - [`instr`], [`model`], [`stream`]: the instruction set, its context model (with the format of
//!   its [`copies`] of recent one-qubit gate runs) and the instruction section's blocks, read and
//!   written ([`stream::BlockEncoder`]);
//! - [`control`]: the control section, how the instruction text runs (counted loops with their
//!   classical-bit strides, real-time `while` loops) and the replay buffer it declares;
//! - [`job`]: the job section, many circuits run one after another in one program;
//! - [`container`]: the `.eqb` program container (header, checksummed sections, file CRC);
//! - [`error`]: [`IsaError`], the single error type; every parser here returns it instead of
//!   panicking, whatever the input bytes;
//! - [`pulse`]: the complex pulse-atom dictionary, the exact fixed-point sample reconstruction
//!   shared by assembler and decoder, and the entropy-coded pulse section.
//!
//! What only an encoder needs, choosing among the codes the format allows (the copy planner and
//! the stream encoder in front of [`stream::BlockEncoder`]), is in the `eqisa-encode` crate, so
//! that firmware decoders do not compile it.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Parsers in this crate face corrupted or hostile bytes; outside tests, the compiler enforces that
// they report errors rather than abort.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod angle;
pub mod bits;
pub mod codebook;
pub mod coder;
pub mod container;
pub mod control;
pub mod copies;
pub mod crc;
pub mod error;
pub mod instr;
pub mod job;
pub mod model;
pub mod pulse;
pub mod stream;
pub mod sweep;
pub mod varint;

#[cfg(test)]
mod test_util;

pub use bits::{BitReader, BitWriter};
pub use container::{
    Container, FORMAT_VERSION, Header, HeaderReader, Preamble, Section, SectionHeader, SectionKind,
    Target, parse_header, parse_section_header,
};
pub use crc::{Crc32c, crc32c};
pub use error::{Blame, IsaError};
