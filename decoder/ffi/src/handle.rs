//! The decoder handle in the caller's memory, the wrapper every C call goes through (its arena
//! entered, panics caught, errors recorded), and the dry run that sizes the memory.

use core::mem::size_of;
use core::ptr;
use std::alloc::Layout;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::arena::{ARENA_ALIGN, Arena, enter};
use crate::error::{EqisaStatus, Failure, Message, set_last};
use crate::framing::largest_block;
use crate::session::{Book, Session};
use crate::types::{EqisaEventKind, EqisaMemoryStats, EqisaRequirements};

/// Blocks the decoder holds when the bytes given to `eqisa_memory_needed` do not reach the end
/// of the program: the encoder closes a block once it holds 32 KiB, so its blocks are that and
/// one instruction more.
pub const EQISA_DEFAULT_BLOCK_BYTES: usize = 48 << 10;

/// Smallest block buffer a decoder gets.
const MIN_BLOCK_BYTES: usize = 256;

/// `EqisaRequirements::version` of this library.
pub(crate) const REQUIREMENTS_VERSION: u32 = 0x4551_0001;

/// Marks a live handle.
const LIVE: u64 = 0x4551_4953_4144_4543;

/// A decoder, placed at the start of the memory the caller gave (opaque to C).
#[derive(Debug)]
pub struct EqisaDecoder {
    live: u64,
    arena: Arena,
    capacity: usize,
    /// The codebook, in the arena; borrowed by `session`.
    book: *mut Book,
    session: Option<Session<'static>>,
    message: Message,
}

/// The handle's size, rounded up so that the arena after it starts aligned.
const HANDLE_BYTES: usize = size_of::<EqisaDecoder>().div_ceil(ARENA_ALIGN) * ARENA_ALIGN;

/// Bytes of memory the decoder needs for an arena of `arena` bytes, wherever the memory starts.
pub(crate) fn memory_for(arena: usize) -> usize {
    (ARENA_ALIGN - 1) + HANDLE_BYTES + arena
}

impl EqisaDecoder {
    /// Sets up a decoder in `memory` (`len` bytes): the codebook parsed into it and the
    /// decoders' buffers reserved.
    ///
    /// # Safety
    /// `memory` must be valid for writes of `len` bytes, and stay so (untouched by the caller)
    /// until the decoder is released.
    pub(crate) unsafe fn init(
        memory: *mut u8,
        len: usize,
        codebook: &[u8],
        req: &EqisaRequirements,
    ) -> Result<*mut EqisaDecoder, Failure> {
        if req.version != REQUIREMENTS_VERSION {
            return Err(Failure::text(
                EqisaStatus::ErrState,
                "the requirements did not come from eqisa_memory_needed of this library",
            ));
        }
        if len < req.memory_bytes || len < memory_for(0) {
            return Err(Failure {
                status: EqisaStatus::ErrOutOfMemory,
                detail: crate::error::Detail::Memory {
                    needed: req.memory_bytes.max(memory_for(0)),
                    given: len,
                },
            });
        }
        let skip = memory.align_offset(ARENA_ALIGN);
        // SAFETY: `skip + HANDLE_BYTES <= len` (checked above through `memory_for`).
        let (handle, base) = unsafe {
            let handle = memory.add(skip).cast::<EqisaDecoder>();
            (handle, memory.add(skip + HANDLE_BYTES))
        };
        let arena_len = len - skip - HANDLE_BYTES;
        // SAFETY: aligned (ARENA_ALIGN is a multiple of the handle's alignment) and inside the
        // caller's memory.
        unsafe {
            ptr::write(
                handle,
                EqisaDecoder {
                    live: LIVE,
                    arena: Arena::new(base, arena_len),
                    capacity: len,
                    book: ptr::null_mut(),
                    session: None,
                    message: Message::default(),
                },
            );
        }
        // SAFETY: just written; ours alone.
        let h = unsafe { &mut *handle };
        let block_bytes = req.block_bytes.max(MIN_BLOCK_BYTES);
        let r = h.call(|h| {
            let book = Box::into_raw(Box::new(Book::parse(codebook)?));
            h.book = book;
            // SAFETY: the codebook lives in the arena until `release` drops it, after the
            // session that borrows it.
            let book: &'static Book = unsafe { &*book };
            h.session = Some(Session::new(book, block_bytes));
            Ok(())
        });
        match r {
            Ok(()) => Ok(handle),
            Err(f) => {
                h.release();
                Err(f)
            }
        }
    }

    /// Whether `p` points at a live decoder (a cheap check against stale or foreign pointers).
    ///
    /// # Safety
    /// `p` must be null or point at readable memory of a handle's size.
    pub(crate) unsafe fn from_ptr<'a>(p: *mut EqisaDecoder) -> Option<&'a mut EqisaDecoder> {
        // SAFETY: as the caller promised.
        let h = unsafe { p.as_mut()? };
        (h.live == LIVE).then_some(h)
    }

    /// Runs `f` with this decoder's arena serving allocations, catching panics; an error (or an
    /// allocation the arena could not serve) is recorded as the decoder's last error.
    pub(crate) fn call<T>(
        &mut self,
        f: impl FnOnce(&mut EqisaDecoder) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let arena: *mut Arena = &mut self.arena;
        // SAFETY: the arena lives in the handle, which outlives the call; the guard restores
        // the previous arena when the call ends, panics included.
        let _entered = unsafe { enter(arena) };
        let r = match catch_unwind(AssertUnwindSafe(|| f(self))) {
            Ok(r) => r,
            Err(_payload) => Err(Failure::text(
                EqisaStatus::ErrInternal,
                "a panic was caught at the C boundary",
            )),
        };
        let r = match r {
            Ok(_) if self.arena.overflowed() => Err(Failure {
                status: EqisaStatus::ErrOutOfMemory,
                detail: crate::error::Detail::Memory {
                    needed: memory_for(self.arena.stats().1),
                    given: self.capacity,
                },
            }),
            r => r,
        };
        self.arena.mark();
        match r {
            Ok(v) => {
                self.message.clear();
                Ok(v)
            }
            Err(f) => {
                if let Some(s) = self.session.as_mut()
                    && s.failed().is_none()
                {
                    s.fail(f.clone());
                }
                self.message.set(&f);
                set_last(&f);
                Err(f)
            }
        }
    }

    /// The session, or the error that there is none.
    pub(crate) fn session(&mut self) -> Result<&mut Session<'static>, Failure> {
        self.session.as_mut().ok_or(Failure::text(
            EqisaStatus::ErrState,
            "the decoder was released",
        ))
    }

    /// The last error's message.
    pub(crate) fn message(&self) -> *const core::ffi::c_char {
        self.message.as_ptr()
    }

    /// How the memory is used.
    pub(crate) fn stats(&self) -> EqisaMemoryStats {
        let (used, peak, allocations, _) = self.arena.stats();
        EqisaMemoryStats {
            capacity: self.capacity,
            used: memory_for(used),
            peak: memory_for(peak),
            allocations,
        }
    }

    /// Drops the decoder's state (giving back whatever the system allocator served when the
    /// arena ran out); the handle stays readable but unusable.
    pub(crate) fn release(&mut self) {
        let arena: *mut Arena = &mut self.arena;
        // SAFETY: as in `call`.
        let _entered = unsafe { enter(arena) };
        let _ = catch_unwind(AssertUnwindSafe(|| {
            self.session = None;
            if !self.book.is_null() {
                // SAFETY: made by `Box::into_raw` in `init`; its borrower is gone.
                drop(unsafe { Box::from_raw(self.book) });
                self.book = ptr::null_mut();
            }
        }));
        self.live = 0;
    }
}

/// What a dry run of the decoder over `program` found.
struct DryRun {
    peak: usize,
    ended: bool,
    sized: bool,
}

/// Sizes a decoder for `program` (all of it or its first bytes): runs the decoder over it
/// in memory of growing size, as the caller's decoder will run, and reports the most it used.
pub(crate) fn memory_needed(
    program: &[u8],
    codebook: &[u8],
) -> Result<Option<EqisaRequirements>, Failure> {
    let (largest, whole) = largest_block(program);
    let block_bytes = if whole {
        largest.max(MIN_BLOCK_BYTES)
    } else {
        largest.max(EQISA_DEFAULT_BLOCK_BYTES)
    }
    .min(eqisa_isa::stream::MAX_BLOCK_BYTES);
    let mut req = EqisaRequirements {
        memory_bytes: 0,
        block_bytes,
        whole_program: false,
        version: REQUIREMENTS_VERSION,
    };
    let mut size = memory_for((1 << 20) + 4 * block_bytes);
    loop {
        req.memory_bytes = size;
        match dry_run(program, codebook, &req, size)? {
            Some(run) if !run.sized => return Ok(None),
            Some(run) => {
                req.memory_bytes = memory_for(run.peak);
                req.whole_program = whole && run.ended;
                return Ok(Some(req));
            }
            None if size < (1 << 32) => size *= 4,
            None => {
                return Err(Failure::text(
                    EqisaStatus::ErrLimit,
                    "the decoder would need more than 4 GiB",
                ));
            }
        }
    }
}

/// One dry run in `size` bytes; `None` when they were too few.
fn dry_run(
    program: &[u8],
    codebook: &[u8],
    req: &EqisaRequirements,
    size: usize,
) -> Result<Option<DryRun>, Failure> {
    let layout = Layout::from_size_align(size, ARENA_ALIGN)
        .map_err(|_| Failure::text(EqisaStatus::ErrLimit, "memory size out of range"))?;
    // SAFETY: a non-zero size; freed below.
    let memory = unsafe { std::alloc::alloc(layout) };
    if memory.is_null() {
        return Err(Failure::text(
            EqisaStatus::ErrOutOfMemory,
            "no memory for sizing the decoder",
        ));
    }
    // SAFETY: `size` bytes, ours until freed.
    let r = match unsafe { EqisaDecoder::init(memory, size, codebook, req) } {
        // SAFETY: just set up.
        Ok(h) => drive(unsafe { &mut *h }, program),
        Err(f) if f.status == EqisaStatus::ErrOutOfMemory => Ok(None),
        Err(f) => Err(f),
    };
    // SAFETY: allocated above with this layout; the decoder in it was released.
    unsafe { std::alloc::dealloc(memory, layout) };
    r
}

/// Feeds `program` to `h` and drains it as the C example does (a `while` runs once each time it
/// is entered), then releases it.
fn drive(h: &mut EqisaDecoder, program: &[u8]) -> Result<Option<DryRun>, Failure> {
    let mut rest = program;
    let mut sized = false;
    let r = loop {
        let ev = match h.call(|h| h.session()?.next()) {
            Ok(ev) => ev,
            Err(f) => break Err(f),
        };
        match ev.kind {
            // Sized once the first instruction came out: decoding its block is the last step
            // that sets memory up.
            EqisaEventKind::NeedInput if rest.is_empty() => break Ok(false),
            EqisaEventKind::NeedInput => match h.call(|h| h.session()?.feed(rest)) {
                Ok(0) => {
                    break Err(Failure::text(
                        EqisaStatus::ErrInternal,
                        "the decoder took no input",
                    ));
                }
                Ok(n) => rest = rest.get(n..).unwrap_or(&[]),
                Err(f) => break Err(f),
            },
            EqisaEventKind::Await => {
                sized = true;
                let holds = ev.condition.iteration == 0;
                if let Err(f) = h.call(|h| h.session()?.answer(holds)) {
                    break Err(f);
                }
            }
            EqisaEventKind::End => {
                sized = true;
                break h.call(|h| h.session()?.finish()).map(|()| true);
            }
            EqisaEventKind::Op | EqisaEventKind::Play => sized = true,
        }
    };
    let (_, peak, _, overflowed) = h.arena.stats();
    h.release();
    match r {
        _ if overflowed => Ok(None),
        Ok(ended) => Ok(Some(DryRun { peak, ended, sized })),
        Err(f) => Err(f),
    }
}
