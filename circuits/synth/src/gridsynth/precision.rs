//! rsgridsynth's process-wide working precision: the lock that serialises its users and the
//! reset each of them starts with.
//!
//! rsgridsynth keeps its precision in a process-wide atomic set per call, and its lazily
//! initialised π and τ keep the precision current when they are first touched, so every user
//! takes the lock and resets first. (Code elsewhere in the process that calls rsgridsynth
//! directly bypasses this lock.)

use std::sync::{Mutex, MutexGuard};

use rsgridsynth::common;

static RSGRIDSYNTH: Mutex<()> = Mutex::new(());

/// Holds rsgridsynth's precision for the caller until the guard is dropped.
pub fn lock() -> MutexGuard<'static, ()> {
    // A poisoned lock only means an earlier call panicked; every call resets the shared
    // precision before use, so the state behind the lock is fine to reuse.
    RSGRIDSYNTH.lock().unwrap_or_else(|e| e.into_inner())
}

/// Restores the initial 1000-bit precision and forces π and τ while it is current, so they are
/// never frozen at a lower one.
pub fn reset() {
    common::reset_prec_bits();
    let _ = (&*common::PI, &*common::TAU);
}
