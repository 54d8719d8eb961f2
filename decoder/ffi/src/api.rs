//! The `extern "C"` functions: pointers checked, panics caught, every outcome a status code.

use core::ffi::{c_char, c_int};
use core::ptr;
use core::slice;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::{EqisaStatus, Failure, last_ptr, set_last};
use crate::handle::{EqisaDecoder, memory_needed};
use crate::types::{EqisaEvent, EqisaMemoryStats, EqisaRequirements, c_str};

/// The embedded default codebook (the one `eqisa assemble` uses without `--codebook`).
const DEFAULT_CODEBOOK: &[u8] = include_bytes!("../../../codebooks/default.eqcb");

/// `bytes` as a slice (empty for a zero length, whatever the pointer).
///
/// # Safety
/// Unless `len` is 0, `bytes` must be non-null and valid for reads of `len` bytes.
unsafe fn bytes_of<'a>(bytes: *const u8, len: usize) -> &'a [u8] {
    if len == 0 || bytes.is_null() {
        &[]
    } else {
        // SAFETY: as the caller promised.
        unsafe { slice::from_raw_parts(bytes, len) }
    }
}

/// The codebook's bytes: the embedded default for NULL.
///
/// # Safety
/// As [`bytes_of`].
unsafe fn codebook_of<'a>(codebook: *const u8, len: usize) -> &'a [u8] {
    if codebook.is_null() {
        DEFAULT_CODEBOOK
    } else {
        // SAFETY: as the caller promised.
        unsafe { bytes_of(codebook, len) }
    }
}

/// The status of a call without a decoder, its failure recorded as this thread's last error.
fn status(r: Result<EqisaStatus, Failure>) -> c_int {
    match r {
        Ok(s) => s as c_int,
        Err(f) => {
            set_last(&f);
            f.status as c_int
        }
    }
}

fn null(what: &'static str) -> Failure {
    Failure::text(EqisaStatus::ErrNullPointer, what)
}

/// Runs `f` with the decoder `h`, turning a null or released handle and a panic into codes.
///
/// # Safety
/// `h` must be null or a pointer `eqisa_decoder_init` returned whose memory is still valid.
unsafe fn with_decoder(
    h: *mut EqisaDecoder,
    f: impl FnOnce(&mut EqisaDecoder) -> Result<(), Failure>,
) -> c_int {
    // SAFETY: as the caller promised.
    let Some(h) = (unsafe { EqisaDecoder::from_ptr(h) }) else {
        return status(Err(null("decoder (NULL, or released)")));
    };
    match h.call(f) {
        Ok(()) => EqisaStatus::Ok as c_int,
        Err(f) => f.status as c_int,
    }
}

/// How much memory a decoder needs for `program`, and how it must be set up (`*out`, to pass
/// to `eqisa_decoder_init`).
///
/// `program` is the program's first `len` bytes, or all of it. The decoder is run over them
/// (as it will run, instructions and pulses, a real-time `while` running its body once), and
/// the most memory it used is reported. From the whole program the figure covers everything;
/// from its first bytes (at least through the first instruction block) it covers the instructions,
/// with blocks up to `EQISA_DEFAULT_BLOCK_BYTES`, and `out->whole_program` is false.
/// `codebook` (`codebook_len` bytes) is the codebook the program was built with; NULL for the
/// embedded default.
///
/// Returns `EQISA_STATUS_OK`; `EQISA_STATUS_NEED_INPUT` when the bytes end before the sections
/// that size the decoder (call again with more); or the error the decoder found in the bytes
/// (`eqisa_last_error` gives its details).
///
/// # Safety
/// `program` must be valid for reads of `len` bytes, `codebook` (unless NULL) of
/// `codebook_len`, and `out` for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eqisa_memory_needed(
    program: *const u8,
    len: usize,
    codebook: *const u8,
    codebook_len: usize,
    out: *mut EqisaRequirements,
) -> c_int {
    let r = catch_unwind(AssertUnwindSafe(|| {
        if program.is_null() || out.is_null() {
            return Err(null("program or out"));
        }
        // SAFETY: as the caller promised.
        let (program, codebook) =
            unsafe { (bytes_of(program, len), codebook_of(codebook, codebook_len)) };
        let found = memory_needed(program, codebook)?;
        // SAFETY: checked non-null; the caller promised it writable.
        unsafe { ptr::write(out, found.unwrap_or_default()) };
        Ok(match found {
            Some(_) => EqisaStatus::Ok,
            None => EqisaStatus::NeedInput,
        })
    }));
    status(r.unwrap_or(Err(Failure::text(
        EqisaStatus::ErrInternal,
        "a panic was caught at the C boundary",
    ))))
}

/// Sets up a decoder in `memory` (`memory_len` bytes, at least `req->memory_bytes`) for
/// programs of `codebook` (NULL: the embedded default), as `req` (from `eqisa_memory_needed`)
/// says; `*out` receives the decoder. The decoder lives in `memory`: nothing else is
/// allocated, and the caller frees `memory` after `eqisa_decoder_release`.
///
/// # Safety
/// `memory` must be valid for reads and writes of `memory_len` bytes and left alone until the
/// decoder is released; `codebook` (unless NULL) valid for reads of `codebook_len` bytes (only
/// during the call); `req` readable and `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eqisa_decoder_init(
    memory: *mut core::ffi::c_void,
    memory_len: usize,
    codebook: *const u8,
    codebook_len: usize,
    req: *const EqisaRequirements,
    out: *mut *mut EqisaDecoder,
) -> c_int {
    let r = catch_unwind(AssertUnwindSafe(|| {
        if memory.is_null() || req.is_null() || out.is_null() {
            return Err(null("memory, req or out"));
        }
        // SAFETY: as the caller promised.
        let (codebook, req) = unsafe { (codebook_of(codebook, codebook_len), &*req) };
        // SAFETY: as the caller promised.
        let h = unsafe { EqisaDecoder::init(memory.cast(), memory_len, codebook, req)? };
        // SAFETY: checked non-null; the caller promised it writable.
        unsafe { ptr::write(out, h) };
        Ok(EqisaStatus::Ok)
    }));
    status(r.unwrap_or(Err(Failure::text(
        EqisaStatus::ErrInternal,
        "a panic was caught at the C boundary",
    ))))
}

/// Offers `len` bytes of the program; `*consumed` receives how many were taken (fewer than
/// offered when the decoder's buffer is full: call `eqisa_decoder_next` until it asks for
/// input, then offer the rest).
///
/// # Safety
/// `decoder` from `eqisa_decoder_init`; `bytes` valid for reads of `len` bytes; `consumed`
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eqisa_decoder_feed(
    decoder: *mut EqisaDecoder,
    bytes: *const u8,
    len: usize,
    consumed: *mut usize,
) -> c_int {
    // SAFETY: as the caller promised.
    unsafe {
        with_decoder(decoder, |h| {
            if (bytes.is_null() && len > 0) || consumed.is_null() {
                return Err(null("bytes or consumed"));
            }
            let n = h.session()?.feed(bytes_of(bytes, len))?;
            ptr::write(consumed, n);
            Ok(())
        })
    }
}

/// The next event: an instruction, a play, a real-time condition to answer, a request for
/// input, or the end (`out->kind`). Pointers in `*out` stay valid until the next call with
/// the decoder. After an error the decoder returns the same error on every call.
///
/// # Safety
/// `decoder` from `eqisa_decoder_init`; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eqisa_decoder_next(
    decoder: *mut EqisaDecoder,
    out: *mut EqisaEvent,
) -> c_int {
    // SAFETY: as the caller promised.
    unsafe {
        with_decoder(decoder, |h| {
            if out.is_null() {
                return Err(null("out"));
            }
            let ev = h.session()?.next()?;
            ptr::write(out, ev);
            Ok(())
        })
    }
}

/// Answers the pending real-time condition (`EQISA_EVENT_KIND_AWAIT`): whether it holds.
///
/// # Safety
/// `decoder` from `eqisa_decoder_init`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eqisa_decoder_answer(decoder: *mut EqisaDecoder, holds: bool) -> c_int {
    // SAFETY: as the caller promised.
    unsafe { with_decoder(decoder, |h| h.session()?.answer(holds)) }
}

/// Call at the end of the input: `EQISA_STATUS_OK` only when the whole program was read and
/// every checksum matched (else `EQISA_STATUS_ERR_TRUNCATED`, or the error met before).
///
/// # Safety
/// `decoder` from `eqisa_decoder_init`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eqisa_decoder_finish(decoder: *mut EqisaDecoder) -> c_int {
    // SAFETY: as the caller promised.
    unsafe { with_decoder(decoder, |h| h.session()?.finish()) }
}

/// Releases the decoder: its state is dropped (giving back anything the system allocator
/// served when its memory ran short); the caller may then free the memory. NULL is ignored.
///
/// # Safety
/// `decoder` from `eqisa_decoder_init`, or NULL; not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eqisa_decoder_release(decoder: *mut EqisaDecoder) {
    // SAFETY: as the caller promised.
    if let Some(h) = unsafe { EqisaDecoder::from_ptr(decoder) } {
        h.release();
    }
}

/// How the decoder uses its memory (`*out`).
///
/// # Safety
/// `decoder` from `eqisa_decoder_init`; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eqisa_decoder_memory_stats(
    decoder: *mut EqisaDecoder,
    out: *mut EqisaMemoryStats,
) -> c_int {
    // SAFETY: as the caller promised.
    let Some(h) = (unsafe { EqisaDecoder::from_ptr(decoder) }) else {
        return status(Err(null("decoder (NULL, or released)")));
    };
    if out.is_null() {
        return status(Err(null("out")));
    }
    // SAFETY: checked non-null; the caller promised it writable.
    unsafe { ptr::write(out, h.stats()) };
    EqisaStatus::Ok as c_int
}

/// The decoder's last error in detail (NUL-terminated, empty when the last call succeeded),
/// e.g. "a checksum does not match: the program is corrupt: block 0 CRC mismatch ...". Valid
/// until the next call with the decoder.
///
/// # Safety
/// `decoder` from `eqisa_decoder_init`, or NULL (then this thread's last error).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eqisa_decoder_last_error(decoder: *mut EqisaDecoder) -> *const c_char {
    // SAFETY: as the caller promised.
    match unsafe { EqisaDecoder::from_ptr(decoder) } {
        Some(h) => h.message(),
        None => last_ptr(),
    }
}

/// This thread's last error in detail (NUL-terminated), from any call: for the calls without
/// a decoder (`eqisa_memory_needed`, `eqisa_decoder_init`) and a NULL decoder. Valid until the
/// next failing call on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn eqisa_last_error() -> *const c_char {
    last_ptr()
}

/// The one-line description of a status code (a static string; "unknown status" for a code
/// that is none).
#[unsafe(no_mangle)]
pub extern "C" fn eqisa_error_message(code: c_int) -> *const c_char {
    match EqisaStatus::from_code(code) {
        Some(s) => s.message().as_ptr(),
        None => c_str(c"unknown status"),
    }
}

/// The OpenQASM name of an opcode (`eqisa_opcode`; "?" for a number that is none).
#[unsafe(no_mangle)]
pub extern "C" fn eqisa_opcode_name(opcode: u8) -> *const c_char {
    const NAMES: [&core::ffi::CStr; 17] = [
        c"rz", c"sx", c"x", c"cz", c"ecr", c"h", c"s", c"sdg", c"t", c"tdg", c"y", c"z", c"cx",
        c"measure", c"reset", c"delay", c"barrier",
    ];
    NAMES
        .get(usize::from(opcode))
        .map_or(c_str(c"?"), |n| c_str(n))
}
