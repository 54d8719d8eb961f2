//! Feeds arbitrary bytes (as lossy UTF-8) to the Stim reader, `eqisa_stim::parse_stim`, and to
//! `control_text`. Neither may panic or run without bound. An error must name a line of the
//! input. When a program results it must be what the reader promises: no `while` loops,
//! subroutines or switches, every `REPEAT` a `for` loop of a known count at least 1, the
//! skipped annotations sorted by name with non-zero counts; flattened within small limits (as in
//! the `structured` target), its flat circuit must be consistent (`check_circuit`), every
//! measurement must write a record bit of its own, and its measurements and resets must be as
//! many as the structure statistics count. `control_text` must keep a subset of the lines, each
//! trimmed, and read again keep some of those, in order.

use eqisa_ir::circuit::{Circuit, Op};
use eqisa_ir::program::flatten::{FlattenLimits, flatten};
use eqisa_ir::program::stats::LoopKind;

use crate::circuit::check_circuit;

/// Bounds of the flatten pass: far below the defaults, so that each input takes milliseconds
/// (a `REPEAT 1000000000` is refused at once).
const FLATTEN: FlattenLimits = FlattenLimits {
    max_ops: 1 << 16,
    max_steps: 1 << 16,
    max_call_depth: 16,
};

/// Runs the target on `data`; panics when a property fails.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);

    let control = eqisa_stim::control_text(&text);
    let lines = text.lines().count();
    assert!(control.lines().count() <= lines, "control text longer");
    assert!(control.lines().all(|l| l == l.trim()), "untrimmed line");
    // Read again, it keeps its lines or drops some: a line the reader refuses is kept trimmed,
    // and trimming (Unicode whitespace, `\v`) can make it one that reads as an annotation.
    let again = eqisa_stim::control_text(&control);
    let mut kept = control.lines();
    assert!(
        again.lines().all(|l| kept.any(|k| k == l)),
        "read again, the control text gains lines"
    );

    let stim = match eqisa_stim::parse_stim(&text, "f.stim") {
        Ok(s) => s,
        Err(e) => {
            let _ = e.to_string();
            // Line 0: the whole input (an empty circuit, a missing `}` at the end).
            assert!(
                e.line as usize <= lines + 1,
                "error at line {} of {lines}: {e}",
                e.line
            );
            return;
        }
    };
    let p = &stim.program;
    assert!(
        stim.skipped.windows(2).all(|w| w[0].0 < w[1].0),
        "skipped not sorted by name: {:?}",
        stim.skipped
    );
    assert!(
        stim.skipped.iter().all(|(_, n)| *n > 0),
        "{:?}",
        stim.skipped
    );

    let s = eqisa_ir::program::stats::structure(p);
    assert_eq!(
        (s.while_loops, s.subroutines, s.switches, s.calls),
        (0, 0, 0, 0),
        "a Stim circuit makes only `for` loops and `if`s"
    );
    assert_eq!(s.loops, s.per_iteration.len() as u64);
    if s.too_deep.is_none() {
        for l in &s.per_iteration {
            assert_eq!(l.kind, LoopKind::For, "{l:?}");
            assert!(l.iterations.is_some_and(|n| n >= 1), "REPEAT count: {l:?}");
        }
    }

    let Ok(c) = flatten(p, &[], &FLATTEN) else {
        return;
    };
    check_circuit(&c);
    let st = eqisa_ir::stats::stats(&c);
    assert_eq!((st.qubits, st.clbits), (c.num_qubits, c.num_clbits));

    // Each measurement appends a bit of its own to the record.
    let mut written = vec![false; c.num_clbits as usize];
    let (mut measures, mut resets) = (0u128, 0u128);
    count(&c, &c.ops, &mut written, &mut measures, &mut resets);
    if s.too_deep.is_none() {
        let total = |name: &str| s.ops.get(name).map_or(Some(0), |o| o.total);
        assert_eq!(total("measure"), Some(measures), "measurements");
        assert_eq!(total("reset"), Some(resets), "resets");
    }
}

/// Counts the measurements and resets of `ops` (in either branch of an `if`), checking that no
/// two measurements write the same bit.
fn count(c: &Circuit, ops: &[Op], written: &mut [bool], measures: &mut u128, resets: &mut u128) {
    for op in ops {
        match *op {
            Op::Measure { clbit, .. } => {
                *measures += 1;
                assert!(
                    !std::mem::replace(&mut written[clbit as usize], true),
                    "record bit {clbit} measured twice"
                );
            }
            Op::Reset { .. } => *resets += 1,
            Op::If { block } => {
                let b = &c.ifs[block as usize];
                count(c, &b.then_ops, written, measures, resets);
                count(c, &b.else_ops, written, measures, resets);
            }
            _ => {}
        }
    }
}
