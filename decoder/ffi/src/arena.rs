//! The caller's memory as the decoder's heap: a bump arena, and the global allocator that
//! serves the allocations of the decoder whose API call is running from it.
//!
//! The Rust decoder (`eqisa-decoder`) allocates with `alloc`; firmware gives it one block of
//! memory instead of a heap. While an API call of a decoder runs, this thread's allocations come
//! from that decoder's arena ([`enter`]); outside calls (and on other threads) they go to the
//! system allocator. An arena bumps a pointer up: a freed allocation at the top is taken back,
//! and so is everything allocated since the end of the last call once all of it has been freed
//! (the transient buffers of one call). When the arena is exhausted the allocation is served by
//! the system allocator instead and the arena notes it: the call then fails with
//! `EQISA_ERR_OUT_OF_MEMORY` rather than letting Rust abort on a failed allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr;

/// The alignment of an arena's start: the same in every arena, so that the same allocations
/// need the same bytes wherever the caller's memory lies.
pub(crate) const ARENA_ALIGN: usize = 64;

/// A region of memory served by bumping a pointer.
#[derive(Debug)]
pub(crate) struct Arena {
    base: usize,
    end: usize,
    top: usize,
    /// Highest `top - base` reached.
    peak: usize,
    /// Allocations not yet freed.
    live: usize,
    /// Allocations (and moves of a reallocation) served so far.
    allocations: u64,
    /// `top` and `live` at the end of the last call.
    mark_top: usize,
    mark_live: usize,
    /// Something allocated before the mark was freed since: `live` no longer says whether
    /// everything above the mark is free.
    freed_below_mark: bool,
    /// An allocation did not fit and was served by the system allocator.
    overflowed: bool,
}

impl Arena {
    /// An arena over `len` bytes from `base` (aligned to [`ARENA_ALIGN`] by the caller).
    pub(crate) fn new(base: *mut u8, len: usize) -> Arena {
        let base = base as usize;
        Arena {
            base,
            end: base + len,
            top: base,
            peak: 0,
            live: 0,
            allocations: 0,
            mark_top: base,
            mark_live: 0,
            freed_below_mark: false,
            overflowed: false,
        }
    }

    fn contains(&self, p: *mut u8) -> bool {
        (self.base..self.end).contains(&(p as usize))
    }

    fn bump(&mut self, layout: Layout) -> Option<*mut u8> {
        let start = self.top.checked_add(layout.align() - 1)? & !(layout.align() - 1);
        let top = start.checked_add(layout.size())?;
        if top > self.end {
            self.overflowed = true;
            return None;
        }
        self.top = top;
        self.peak = self.peak.max(top - self.base);
        self.live += 1;
        self.allocations += 1;
        Some(start as *mut u8)
    }

    fn free(&mut self, p: *mut u8, size: usize) {
        let at = p as usize;
        self.live = self.live.saturating_sub(1);
        if at < self.mark_top {
            self.freed_below_mark = true;
        }
        if at + size == self.top {
            self.top = at;
        }
        if !self.freed_below_mark && self.live == self.mark_live {
            // Everything allocated since the mark is free again.
            self.top = self.mark_top;
        }
    }

    /// The end of an API call: what is allocated now stays (the decoder's state).
    pub(crate) fn mark(&mut self) {
        self.mark_top = self.top;
        self.mark_live = self.live;
        self.freed_below_mark = false;
    }

    /// Bytes of the arena used now and at most, allocations served, and whether one did not fit.
    pub(crate) fn stats(&self) -> (usize, usize, u64, bool) {
        (
            self.top - self.base,
            self.peak,
            self.allocations,
            self.overflowed,
        )
    }

    /// Whether an allocation did not fit.
    pub(crate) fn overflowed(&self) -> bool {
        self.overflowed
    }
}

thread_local! {
    /// The arena of the decoder whose call runs on this thread (null: none).
    static CURRENT: Cell<*mut Arena> = const { Cell::new(ptr::null_mut()) };
}

fn current() -> *mut Arena {
    CURRENT.try_with(Cell::get).unwrap_or(ptr::null_mut())
}

/// Restores the previous arena when dropped (at the end of a call, also when unwinding).
pub(crate) struct Entered(*mut Arena);

impl Drop for Entered {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.0));
    }
}

/// Serves this thread's allocations from `arena` until the guard is dropped.
///
/// # Safety
/// `arena` must stay valid, and used by nothing else, until the guard is dropped; everything
/// allocated while it is current must be freed while it is current again (or never).
pub(crate) unsafe fn enter(arena: *mut Arena) -> Entered {
    let previous = current();
    let _ = CURRENT.try_with(|c| c.set(arena));
    Entered(previous)
}

/// The global allocator: the current arena when there is one, else the system allocator.
struct Router;

// SAFETY: every pointer handed out is either the system allocator's (and given back to it) or
// inside the current arena's region, aligned and of the requested size, and not handed out again
// while live; `dealloc` and `realloc` tell the two apart by address.
unsafe impl GlobalAlloc for Router {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let a = current();
        // SAFETY: a current arena is valid and exclusively ours during the call (see `enter`).
        if let Some(arena) = unsafe { a.as_mut() }
            && let Some(p) = arena.bump(layout)
        {
            return p;
        }
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        let a = current();
        // SAFETY: as in `alloc`.
        match unsafe { a.as_mut() } {
            Some(arena) if arena.contains(p) => arena.free(p, layout.size()),
            // SAFETY: not in the arena, so the system allocator's.
            _ => unsafe { System.dealloc(p, layout) },
        }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let a = current();
        // SAFETY: as in `alloc`.
        let Some(arena) = (unsafe { a.as_mut() }).filter(|arena| arena.contains(p)) else {
            // SAFETY: not in an arena, so the system allocator's.
            return unsafe { System.realloc(p, layout, new_size) };
        };
        let at = p as usize;
        if at + layout.size() == arena.top && at + new_size <= arena.end {
            // The top allocation grows or shrinks in place.
            arena.top = at + new_size;
            arena.peak = arena.peak.max(arena.top - arena.base);
            arena.allocations += 1;
            return p;
        }
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return ptr::null_mut();
        };
        // SAFETY: a valid layout, served like any allocation.
        let q = unsafe { self.alloc(new_layout) };
        if !q.is_null() {
            // SAFETY: both regions hold at least the copied bytes and do not overlap (the new
            // one was free until now).
            unsafe { ptr::copy_nonoverlapping(p, q, layout.size().min(new_size)) };
            // SAFETY: `p` is live in this arena.
            unsafe { self.dealloc(p, layout) };
        }
        q
    }
}

#[global_allocator]
static ROUTER: Router = Router;
