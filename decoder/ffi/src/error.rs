//! Status codes, their messages, and the detailed message of the last error.

use core::fmt::{self, Write};
use std::cell::RefCell;

use eqisa_isa::IsaError;

/// What a call of the C API returned: `EQISA_STATUS_OK` (0), `EQISA_STATUS_NEED_INPUT` (a
/// positive status, not an error), or a negative error code. `eqisa_error_message` names each;
/// the decoder's `eqisa_decoder_last_error` (or `eqisa_last_error` for calls without a decoder)
/// gives the details of the last error.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EqisaStatus {
    /// Success.
    Ok = 0,
    /// `eqisa_memory_needed`: the bytes given end before the sections that size the decoder;
    /// call again with more of the program.
    NeedInput = 1,
    /// A pointer argument was NULL.
    ErrNullPointer = -1,
    /// The memory given is smaller than `eqisa_memory_needed` said, or the arena ran out.
    ErrOutOfMemory = -2,
    /// The bytes are not an EQISA program (wrong magic, version or flags).
    ErrNotAProgram = -3,
    /// The program ended before its end (or `eqisa_decoder_finish` was called too early).
    ErrTruncated = -4,
    /// A checksum did not match: a header, section, block or file CRC.
    ErrChecksum = -5,
    /// The program was built for another codebook.
    ErrWrongCodebook = -6,
    /// The codebook's bytes are not a valid codebook.
    ErrBadCodebook = -7,
    /// The program is malformed (checksums matched, contents do not make sense).
    ErrCorrupt = -8,
    /// The program exceeds a limit of this decoder (a block larger than its buffer, more
    /// qubits than it tracks, a replay buffer too large...).
    ErrLimit = -9,
    /// A call out of order: `eqisa_decoder_answer` without a pending condition, a decoder used
    /// after an error, `eqisa_decoder_init` with requirements of another library version...
    ErrState = -10,
    /// A bug: the library caught a panic. The decoder is unusable.
    ErrInternal = -11,
}

impl EqisaStatus {
    /// The status's one-line description.
    pub(crate) fn message(self) -> &'static core::ffi::CStr {
        match self {
            EqisaStatus::Ok => c"ok",
            EqisaStatus::NeedInput => c"more bytes of the program are needed",
            EqisaStatus::ErrNullPointer => c"a pointer argument was NULL",
            EqisaStatus::ErrOutOfMemory => c"the decoder's memory is too small",
            EqisaStatus::ErrNotAProgram => c"not an EQISA program",
            EqisaStatus::ErrTruncated => c"the program is truncated",
            EqisaStatus::ErrChecksum => c"a checksum does not match: the program is corrupt",
            EqisaStatus::ErrWrongCodebook => c"the program was built for another codebook",
            EqisaStatus::ErrBadCodebook => c"not a valid codebook",
            EqisaStatus::ErrCorrupt => c"the program is corrupt",
            EqisaStatus::ErrLimit => c"the program exceeds a limit of this decoder",
            EqisaStatus::ErrState => c"a call out of order",
            EqisaStatus::ErrInternal => c"internal error (a bug in the decoder library)",
        }
    }

    /// The status for `code`, if it is one.
    pub(crate) fn from_code(code: i32) -> Option<EqisaStatus> {
        const ALL: [EqisaStatus; 13] = [
            EqisaStatus::Ok,
            EqisaStatus::NeedInput,
            EqisaStatus::ErrNullPointer,
            EqisaStatus::ErrOutOfMemory,
            EqisaStatus::ErrNotAProgram,
            EqisaStatus::ErrTruncated,
            EqisaStatus::ErrChecksum,
            EqisaStatus::ErrWrongCodebook,
            EqisaStatus::ErrBadCodebook,
            EqisaStatus::ErrCorrupt,
            EqisaStatus::ErrLimit,
            EqisaStatus::ErrState,
            EqisaStatus::ErrInternal,
        ];
        ALL.into_iter().find(|s| *s as i32 == code)
    }
}

/// An error of the C API: its code and its details.
#[derive(Clone, Debug)]
pub(crate) struct Failure {
    pub(crate) status: EqisaStatus,
    pub(crate) detail: Detail,
}

/// The details of a [`Failure`], formatted only when asked (nothing allocates on the way).
#[derive(Clone, Debug)]
pub(crate) enum Detail {
    Isa(IsaError),
    Codebook(IsaError),
    Text(&'static str),
    Memory { needed: usize, given: usize },
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Detail::Isa(e) => write!(f, "{e}"),
            Detail::Codebook(e) => write!(f, "codebook: {e}"),
            Detail::Text(t) => f.write_str(t),
            Detail::Memory { needed, given } => write!(
                f,
                "the decoder needs {needed} bytes of memory and was given {given} \
                 (ask eqisa_memory_needed with the whole program: pulses are sized by their \
                 section's header)"
            ),
        }
    }
}

impl Failure {
    pub(crate) fn text(status: EqisaStatus, text: &'static str) -> Failure {
        Failure {
            status,
            detail: Detail::Text(text),
        }
    }

    /// A program's error, with its code.
    pub(crate) fn isa(e: IsaError) -> Failure {
        let status = match e {
            IsaError::Truncated { .. } => EqisaStatus::ErrTruncated,
            IsaError::BadMagic { .. }
            | IsaError::UnsupportedVersion { .. }
            | IsaError::UnknownFlags(_) => EqisaStatus::ErrNotAProgram,
            IsaError::HeaderCrc { .. }
            | IsaError::SectionCrc { .. }
            | IsaError::BlockCrc { .. }
            | IsaError::FileCrc { .. } => EqisaStatus::ErrChecksum,
            IsaError::CodebookMismatch { .. } => EqisaStatus::ErrWrongCodebook,
            IsaError::Limit { .. } => EqisaStatus::ErrLimit,
            _ => EqisaStatus::ErrCorrupt,
        };
        Failure {
            status,
            detail: Detail::Isa(e),
        }
    }

    /// A codebook's error.
    pub(crate) fn codebook(e: IsaError) -> Failure {
        Failure {
            status: EqisaStatus::ErrBadCodebook,
            detail: Detail::Codebook(e),
        }
    }
}

/// Room for a detailed message, with its terminating NUL.
pub(crate) const MESSAGE_BYTES: usize = 320;

/// A NUL-terminated message in a fixed buffer (formatting into it allocates nothing; a message
/// too long is cut).
#[derive(Debug)]
pub(crate) struct Message {
    bytes: [u8; MESSAGE_BYTES],
    len: usize,
}

impl Default for Message {
    fn default() -> Self {
        Message {
            bytes: [0; MESSAGE_BYTES],
            len: 0,
        }
    }
}

impl Write for Message {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            // Keep room for the NUL, and no NUL inside.
            if self.len + 1 >= MESSAGE_BYTES {
                break;
            }
            if let Some(slot) = self.bytes.get_mut(self.len) {
                *slot = if b == 0 { b'?' } else { b };
                self.len += 1;
            }
        }
        Ok(())
    }
}

impl Message {
    /// Replaces the message with `failure`'s code message and details.
    pub(crate) fn set(&mut self, failure: &Failure) {
        self.len = 0;
        let _ = write!(
            self,
            "{}: {}",
            failure.status.message().to_str().unwrap_or(""),
            failure.detail
        );
        self.terminate();
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.terminate();
    }

    fn terminate(&mut self) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = 0;
        }
    }

    /// The message, NUL-terminated.
    pub(crate) fn as_ptr(&self) -> *const core::ffi::c_char {
        self.bytes.as_ptr().cast()
    }
}

thread_local! {
    /// The last error of a call on this thread (with or without a decoder).
    static LAST: RefCell<Message> = const {
        RefCell::new(Message {
            bytes: [0; MESSAGE_BYTES],
            len: 0,
        })
    };
}

/// Records `failure` as this thread's last error.
pub(crate) fn set_last(failure: &Failure) {
    let _ = LAST.try_with(|m| {
        if let Ok(mut m) = m.try_borrow_mut() {
            m.set(failure);
        }
    });
}

/// This thread's last error message (empty when none), NUL-terminated; valid until the next
/// call on this thread.
pub(crate) fn last_ptr() -> *const core::ffi::c_char {
    LAST.try_with(|m| m.try_borrow().map(|m| m.as_ptr()).ok())
        .ok()
        .flatten()
        .unwrap_or(c"".as_ptr())
}
