//! Long steps run on a worker thread while the calling thread waits without the GIL, waking every
//! few milliseconds to let Python handle signals: other Python threads run meanwhile, and Ctrl-C
//! raises `KeyboardInterrupt` at once.
//!
//! The pipeline has no way to stop a step halfway, so an interrupted step's worker runs on to its
//! end in the background and its result is dropped; nothing it would have returned (bytes, files)
//! reaches the caller.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::Duration;

use pyo3::prelude::*;

use crate::errors::EqisaError;

/// How often the waiting thread looks for signals.
const POLL: Duration = Duration::from_millis(20);

/// The worker's stack: the parsers and the lowering recurse on nested programs as the CLI's main
/// thread (8 MiB) lets them; a spawned thread's default (2 MiB) is smaller.
const STACK_BYTES: usize = 64 << 20;

/// Run `work` on a worker thread with the GIL released, raising `KeyboardInterrupt` (or whatever
/// a signal handler raises) when Python's signal handlers fire meanwhile.
///
/// # Errors
/// The signal handler's exception, or `EqisaError` when the worker could not start or panicked
/// (an internal fault, reported with its message rather than crashing the interpreter).
pub fn run<T: Send + 'static>(
    py: Python<'_>,
    work: impl FnOnce() -> T + Send + 'static,
) -> PyResult<T> {
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("eqisa".into())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            // The receiver may be gone (interrupted): then there is no one to tell.
            let _ = tx.send(std::panic::catch_unwind(AssertUnwindSafe(work)));
        })
        .map_err(|e| EqisaError::new_err(format!("cannot start a worker thread: {e}")))?;
    let mut rx = rx;
    loop {
        // The receiver crosses into the GIL-free section and back: it is `Send`, not `Sync`.
        let (back, got) = py.detach(move || {
            let got = rx.recv_timeout(POLL);
            (rx, got)
        });
        rx = back;
        match got {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(panic)) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown".into());
                return Err(EqisaError::new_err(format!(
                    "internal error (a bug in eqisa; please report it): {what}"
                )));
            }
            Err(RecvTimeoutError::Timeout) => py.check_signals()?,
            Err(RecvTimeoutError::Disconnected) => {
                return Err(EqisaError::new_err(
                    "the worker thread ended without a result",
                ));
            }
        }
    }
}
