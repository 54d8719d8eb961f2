//! Feeds arbitrary bytes to the OpenQASM front end, through `parse_program_reader` with a reader
//! that hands out a few bytes at a time (chunked reading, the UTF-8 check) and through
//! `parse_program_str`, each followed by `flatten_with` without inputs: what `parse_reader` and
//! `parse_str` do, within small flatten limits so that an OpenQASM 3 loop of 10^12 iterations is
//! refused in milliseconds, not after the default 2^26 steps. Neither may panic, hang or
//! overflow the stack; an error must name a line of the input; a parsed circuit must survive
//! `stats`; on UTF-8 input both must give the same result.

use std::path::PathBuf;
use std::sync::Arc;

use eqisa_ir::circuit::Circuit;
use eqisa_ir::program::flatten::FlattenLimits;
use eqisa_qasm::{Parsed, QasmError};
use eqisa_test_support::Trickle;

fn check(data: &[u8], result: &Result<Circuit, QasmError>) {
    match result {
        Ok(c) => {
            let s = eqisa_ir::stats::stats(c);
            assert_eq!(s.qubits, c.num_qubits);
        }
        Err(e) => {
            let _ = e.to_string();
            if let Some(p) = e.pos() {
                let lines = data.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
                assert!(p.line >= 1 && p.col >= 1, "{e}");
                assert!(p.line <= lines, "line {} of {lines}: {e}", p.line);
            }
        }
    }
}

/// Bounds of the flatten pass here: enough for every seed, small enough that a run stays fast.
const LIMITS: FlattenLimits = FlattenLimits {
    max_ops: 1 << 18,
    max_steps: 1 << 18,
    max_call_depth: 64,
};

/// The flat circuit of a parse's result, as `parse_reader` and `parse_str` make it, within
/// [`LIMITS`].
fn flat(parsed: Result<Parsed, QasmError>) -> Result<Circuit, QasmError> {
    eqisa_qasm::flatten_with(parsed?, &[], &LIMITS)
}

/// Whether the input includes a file other than the built-in libraries (which would read the
/// file system: `include "/dev/zero";` never ends).
pub fn includes_files(data: &[u8]) -> bool {
    if !data.windows(7).any(|w| w == b"include") {
        return false;
    }
    let mut rest = data.to_vec();
    for lib in [&b"\"qelib1.inc\""[..], &b"\"stdgates.inc\""[..]] {
        while let Some(k) = rest.windows(lib.len()).position(|w| w == lib) {
            rest.drain(k..k + lib.len());
        }
    }
    rest.contains(&b'"')
}

/// Runs the target on `data`; panics when a property fails.
pub fn run(data: &[u8]) {
    if includes_files(data) {
        return;
    }
    let step = 1 + usize::from(data.first().copied().unwrap_or(0) % 8);
    let name = if data.len().is_multiple_of(2) {
        "f.qasm"
    } else {
        "f.qasm3"
    };
    let dir = PathBuf::from("/nonexistent-eqisa-fuzz-dir");
    let chunked = flat(eqisa_qasm::parse_program_reader(
        Trickle::new(data, step),
        Arc::from(name),
        dir,
    ));
    check(data, &chunked);
    let text = String::from_utf8_lossy(data);
    let whole = flat(eqisa_qasm::parse_program_str(&text, name));
    check(text.as_bytes(), &whole);
    if std::str::from_utf8(data).is_ok() {
        match (&chunked, &whole) {
            (Ok(a), Ok(b)) => assert!(a == b, "chunked and whole parses differ"),
            (Err(a), Err(b)) => {
                assert_eq!(a.pos(), b.pos(), "{a} / {b}");
                assert_eq!(a.kind(), b.kind(), "{a} / {b}");
            }
            (a, b) => panic!(
                "chunked {:?} / whole {:?}",
                a.as_ref().err(),
                b.as_ref().err()
            ),
        }
    }
}
