//! `eqisa-decoder`: the streaming EQISA decoder, `no_std` + `alloc`, as control firmware would
//! run it. It owns the decoding of `.eqb` bytes into timed instructions and pulse samples, and
//! nothing else: it depends on `eqisa-isa` alone and sees only the bytes of a program and of a
//! codebook. (The host-side model of the controller around it, firmware timing and energy, is
//! the `eqisa-firmware` crate.)
//!
//! [`Decoder`] takes bytes as they arrive ([`Decoder::feed`]) and releases timed native
//! instructions ([`Decoder::next_event`]); memory is bounded by the codebook's model tables, one
//! instruction block ([`eqisa_isa::stream::MAX_BLOCK_BYTES`]), a few words per qubit and, for a
//! program with loops, the replay buffer its control section declares, however long the program
//! runs. Loop iterations replay from that buffer without input; a real-time `while` asks the
//! caller whether it goes on ([`Event::Await`]). Every byte is checked before anything decoded from it is released: the
//! header CRC before the first section, each section's CRC before its contents are used (the
//! instruction section's blocks each carry their own CRC, checked before the block's first
//! instruction), and the file CRC at the end.
//!
//! Pulse sections are decoded by [`PulseDecoder`]: timed I/Q samples, play by play, rebuilt with
//! the `eqisa-isa` fixed-point definition. [`Decoder`] passes a pulse section through, checking
//! its CRC, so one byte stream can feed both.
//!
//! [`feed_chunks`] runs either decoder's feed-and-drain loop over bytes already in memory, in
//! chunks of a chosen size. On top of it, [`decode_all`] decodes a whole file into owned
//! instructions and [`decode_pulse_rows`] a file's pulse section into per-channel sample rows.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

mod feed;
mod owned;
mod pulse;
mod replay;
mod stream;

pub use feed::{ChunkSize, Fed, StreamDecoder, feed_chunks};
pub use owned::{
    DecodedInstr, DecodedProgram, MAX_ROW_SAMPLES, PulseRows, decode_all, decode_pulse_rows,
};
pub use pulse::{Play, PulseDecoder, PulseEvent};
pub use stream::{ConditionSource, DEFAULT_MAX_QUBITS, Decoder, Event, MAX_BUFFER};
