//! The deepest nesting the reader accepts is one the IR's passes run: flatten and the
//! interpreter follow a program of 253 nested `REPEAT` blocks with feedback inside.

use eqisa_ir::program::flatten::{FlattenLimits, flatten};
use eqisa_statevector::program::program_outcomes;
use eqisa_stim::parse::MAX_DEPTH;
use eqisa_stim::parse_stim;

#[test]
fn deepest_accepted_nesting_flattens_and_runs() {
    let src = format!(
        "X 0\n{}M 0\nCX rec[-1] 1\nM 1\n{}",
        "REPEAT 1 {\n".repeat(MAX_DEPTH),
        "}\n".repeat(MAX_DEPTH)
    );
    let p = parse_stim(&src, "d.stim").unwrap_or_else(|e| panic!("{e}"));
    let f = flatten(&p.program, &[], &FlattenLimits::default()).expect("flattens");
    assert_eq!(f.num_clbits, 2);
    let o = program_outcomes(&p.program, &[], &Default::default()).expect("runs");
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].bits, [true, true]);
}
