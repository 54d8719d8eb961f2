//! `eqisa-decoder-ffi`: the C API of the streaming decoder, for firmware. It owns the boundary
//! between C and `eqisa-decoder`: the decoder placed in memory the caller gives, the status
//! codes and messages, and the routing of a program's pulse section to the pulse decoder. It
//! depends on `eqisa-isa` and `eqisa-decoder` alone, and builds a static library
//! (`libeqisa_decoder_ffi.a`), a shared one (`libeqisa_decoder_ffi.so`) and an rlib for Rust tests. The
//! header `decoder/ffi/include/eqisa_decoder.h` is generated from this crate by cbindgen (the
//! `header` test checks it is current; `EQISA_WRITE_HEADER=1 cargo test -p eqisa-decoder-ffi
//! --test header` rewrites it).
//!
//! # Use
//!
//! ```c
//! eqisa_requirements req;
//! // The program's first bytes (or all of it); NULL: the embedded default codebook.
//! if (eqisa_memory_needed(bytes, len, NULL, 0, &req) != EQISA_STATUS_OK) { /* more bytes, or an error */ }
//! void *memory = malloc(req.memory_bytes);          // the only allocation
//! eqisa_decoder *dec;
//! eqisa_decoder_init(memory, req.memory_bytes, NULL, 0, &req, &dec);
//! for (;;) {
//!     eqisa_event ev;
//!     if (eqisa_decoder_next(dec, &ev) != EQISA_STATUS_OK) { /* eqisa_decoder_last_error(dec) */ }
//!     if (ev.kind == EQISA_EVENT_KIND_NEED_INPUT) { /* eqisa_decoder_feed(dec, chunk, n, &taken) */ }
//!     else if (ev.kind == EQISA_EVENT_KIND_OP) { /* ev.op: opcode, qubits, start_ns, ... */ }
//!     else if (ev.kind == EQISA_EVENT_KIND_PLAY) { /* ev.play: channel, start, I/Q samples */ }
//!     else if (ev.kind == EQISA_EVENT_KIND_AWAIT) { eqisa_decoder_answer(dec, outcome); }
//!     else break;                                    // EQISA_EVENT_KIND_END
//! }
//! eqisa_decoder_finish(dec);                         // the trailer was checked
//! eqisa_decoder_release(dec);
//! free(memory);
//! ```
//!
//! `decoder/ffi/examples/decode.c` is a whole program (`make -C decoder/ffi/examples`).
//!
//! # Memory
//!
//! The decoder lives in the caller's memory: while one of its calls runs, the library's global
//! allocator serves that thread's allocations from it (a bump arena), and from the system
//! allocator otherwise. [`eqisa_memory_needed`] runs the decoder over the bytes given and reports
//! the most it used; the arena is laid out the same way whatever the memory's address and
//! whatever the size of the chunks fed. Every buffer is reserved when the section that sizes it
//! is read (the input and block buffers at init, the model and the per-qubit state with the
//! program section, the replay buffer with the control section, the waveform memory and the
//! play buffer with the pulse section's header), so from the first instruction on, decoding
//! instructions allocates nothing (the `memory` test counts). One exception, bounded: the pulse
//! section's parser (`eqisa-isa`) returns each coded waveform as an owned vector (at most the
//! header's longest waveform), dropped before the next item; the arena takes it back, so the
//! memory in use does not grow, but the allocation count does. A pulse section is sized by its
//! own header, near the end of the file: only [`eqisa_memory_needed`] over the whole program
//! covers it. Memory that runs short is never a crash: the allocation is served by the system
//! allocator and the call fails with `EQISA_STATUS_ERR_OUT_OF_MEMORY`.
//!
//! # Errors
//!
//! Every function returns a status ([`EqisaStatus`]): 0, a positive status, or a negative
//! error code, each named by [`eqisa_error_message`]; [`eqisa_decoder_last_error`] (and
//! [`eqisa_last_error`] for calls without a decoder) gives the details, e.g. which CRC did not
//! match. NULL pointers are errors, and no panic crosses the boundary: each call catches
//! unwinding and returns `EQISA_STATUS_ERR_INTERNAL` (the crate must be built with unwinding,
//! the default). After an error a decoder returns that error on every call.
//!
//! The library defines the process's global allocator (the router above): a Rust program
//! linking this crate cannot define another.

mod api;
mod arena;
mod error;
mod framing;
mod handle;
mod session;
mod types;

pub use api::{
    eqisa_decoder_answer, eqisa_decoder_feed, eqisa_decoder_finish, eqisa_decoder_init,
    eqisa_decoder_last_error, eqisa_decoder_memory_stats, eqisa_decoder_next,
    eqisa_decoder_release, eqisa_error_message, eqisa_last_error, eqisa_memory_needed,
    eqisa_opcode_name,
};
pub use error::EqisaStatus;
pub use handle::{EQISA_DEFAULT_BLOCK_BYTES, EqisaDecoder};
pub use session::EQISA_MAX_QUBITS;
pub use types::{
    EqisaAwait, EqisaChannelKind, EqisaEvent, EqisaEventKind, EqisaMemoryStats, EqisaOp,
    EqisaOpcode, EqisaPlay, EqisaRequirements,
};
