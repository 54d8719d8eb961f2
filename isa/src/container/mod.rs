//! The `.eqb` program container.
//!
//! # Layout (format version 2, all integers little-endian)
//!
//! ```text
//! offset size field
//! ------ ---- ---------------------------------------------------------------
//! fixed header (HEADER_LEN = 29 bytes)
//!      0    4 magic b"EQB\0"
//!      4    2 format version (u16) = 2
//!      6    1 flags (u8) = 0; no flags are defined, any set bit is rejected
//!      7    8 codebook id: the first 8 bytes of the codebook's SHA-256 content hash
//!     15    4 qubit count (u32)
//!     19    4 classical-bit count (u32)
//!     23    1 target (u8): 0 = native, 1 = clifford+t
//!     24    1 section count (u8)
//!     25    4 header CRC-32C over bytes 0..25
//! then `section count` times (SECTION_HEADER_LEN = 9 bytes + payload)
//!     +0    1 kind (u8): 1 = instructions, 2 = pulses, 3 = metadata, 4 = program,
//!                     5 = control, 6 = job,
//!                     7 = sweep
//!     +1    4 payload length in bytes (u32)
//!     +5    4 section CRC-32C over kind ‖ length ‖ payload (the 5 header bytes, then the payload)
//!     +9    n payload
//! trailer (TRAILER_LEN = 4 bytes)
//!           4 file CRC-32C over every preceding byte (header and all sections)
//! ```
//!
//! Version 1 had a 58-byte header (the whole 32-byte hash, 16-bit flags and section count, three
//! reserved bytes) and 10-byte section headers: 32 bytes more per file, which on the small
//! programs of a benchmark suite were a tenth of the stream. Eight bytes of SHA-256 still tell a
//! wrong codebook apart with certainty short of a 2^-64 accident, which is all the id is for (it is
//! not an authentication).
//!
//! Nothing may follow the trailer.
//!
//! A file holds at most one section of each kind, and its program and metadata sections (if any)
//! come before its instruction section ([`SectionLog`]): with two of a kind, which one counts
//! would be up to the reader, and a streaming reader has used the metadata by the time the
//! instructions arrive. Unknown kinds are refused ([`IsaError::UnknownSection`](crate::error::IsaError::UnknownSection)).
//!
//! # Why the checksums are where they are
//!
//! The decoder is streaming: it starts acting on the header and on each section before the rest of
//! the file has arrived, so each of those pieces carries its own CRC (the header CRC and the
//! section CRCs also cover their length and kind fields, so a flipped length or kind is caught
//! before it is acted on). The file CRC then also catches whatever a piecewise check cannot, such as
//! a flipped section count. Payload lengths are `u32` because the firmware decoder runs on 32-bit
//! cores where `usize` is 32 bits; 4 GiB per section is far beyond any control stream.
//!
//! # Robustness
//!
//! [`Container::parse`] never panics and never allocates more than the input actually contains:
//! every length is checked against the bytes present before anything is copied, so a header that
//! claims a 4 GiB section in a 100-byte file is an
//! [`IsaError::Truncated`](crate::error::IsaError::Truncated), not an allocation. Every
//! single-bit flip anywhere in a container is detected (the CRCs guarantee it; the tests check it).

mod file;
pub(crate) mod ids;
pub mod streams;

pub use file::{
    Container, FORMAT_VERSION, HEADER_LEN, Header, HeaderReader, MAGIC, Preamble,
    SECTION_HEADER_LEN, Section, SectionHeader, SectionLog, TRAILER_LEN, Target, parse_header,
    parse_section_header,
};
pub use ids::{CODEBOOK_ID_LEN, SectionKind, codebook_id};
