//! `eqisa-decoder`: the streaming EQISA decoder.
//!
//! The core ([`Decoder`]) is `no_std` + `alloc`, as control firmware would run it: bytes go in as
//! they arrive ([`Decoder::feed`]), timed native instructions come out ([`Decoder::next_event`]),
//! and memory is bounded by the codebook's model tables, one instruction block
//! ([`eqisa_isa::stream::MAX_BLOCK_BYTES`]) and a few words per qubit, however long the program.
//! Every byte is checked before anything decoded from it is released: the header CRC before the
//! first section, each section's CRC before its contents are used (the instruction section's
//! blocks each carry their own CRC, checked before the block's first instruction), and the file
//! CRC at the end. The decoder never depends on the circuit crates: it sees only `eqisa-isa`
//! and the bytes of a codebook.
//!
//! Pulse sections are decoded by [`PulseDecoder`]: timed I/Q samples, play by play, rebuilt with
//! the `eqisa-isa` fixed-point definition. [`Decoder`] passes a pulse section through, checking
//! its CRC, so one byte stream can feed both.
//!
//! [`decode_all`] decodes a whole file held in memory into owned instructions and
//! [`decode_pulse_rows`] a file's pulse section into per-channel sample rows; they need only
//! `alloc`, like the rest.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

mod pulse;
mod stream;

pub use pulse::{Play, PulseDecoder, PulseEvent};
pub use stream::{DEFAULT_MAX_QUBITS, Decoder, Event, MAX_BUFFER};

mod owned;
pub use owned::{
    DecodedInstr, DecodedProgram, MAX_ROW_SAMPLES, PulseRows, decode_all, decode_pulse_rows,
};
