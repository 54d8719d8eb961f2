//! Bad input gives an error naming the line and column, never a panic or a hang.

use eqisa_stim::parse_stim;

fn err(src: &str) -> String {
    match parse_stim(src, "bad.stim") {
        Ok(_) => panic!("accepted: {src:?}"),
        Err(e) => e.to_string(),
    }
}

fn has(src: &str, place: &str, words: &str) {
    let e = err(src);
    assert!(
        e.starts_with(&format!("bad.stim:{place}: ")),
        "{src:?}: {e}"
    );
    assert!(e.contains(words), "{src:?}: {e}");
}

#[test]
fn each_bad_input_names_its_place() {
    has("H 0\nFOO 1", "2:1", "unknown instruction 'FOO'");
    has(
        "M 0\nCX sweep[0] 1",
        "2:4",
        "sweep bits are not control operations",
    );
    has("CX 0", "1:4", "in pairs");
    has(
        "H 0\nCX rec[-1] 0",
        "2:4",
        "reaches before the first measurement",
    );
    has(
        "M 0\nREPEAT 2 {\n  CX rec[-2] 0\n}",
        "3:6",
        "reaches before the first measurement",
    );
    has("REPEAT 3 {\nH 0\n", "1:1", "unclosed '{'");
    has("H 0\n}", "2:1", "without an open REPEAT");
    has("REPEAT 1000000000000000 {\n}", "1:8", "above the limit");
    has("REPEAT 0 {\n}", "1:8", "REPEAT 0");
    has("H 16777216", "1:3", "too large");
    has("H 0;", "1:4", "separated by spacing");
    has("H(0.1) 0", "1:1", "at most 0 arguments");
    has("M 0\nCX 5 rec[-1]", "2:6", "first target");
    has("H !0", "1:3", "inverted");
    has("R !0", "1:3", "inverted");
    has("MPP X0*", "1:7", "between two Pauli");
    has("MPP X0*X0", "1:8", "twice");
    has("HERALDED_ERASE(0.1) 0", "1:1", "not supported");
    has("MPAD 2", "1:6", "0 and 1");
    has("H 0 {\n}", "1:5", "only REPEAT");
    has("TICK 0", "1:6", "no targets");
    has("M 0\nCZ rec[-1] rec[-1]", "2:12", "two measurement record");
    has("MPP 3", "1:5", "Pauli targets");
    has("H rec[-1]", "1:3", "no measurement record");
    has("REPEAT 2\n{\n}", "1:1", "missing '{'");
}

#[test]
fn deep_nesting_is_refused_without_overflow() {
    let n = 100_000;
    let src = format!("{}{}", "REPEAT 2 {\n".repeat(n), "}\n".repeat(n));
    has(&src, "254:1", "nested more than 253 deep");
    // 253 deep is fine, but executes 2^253 iterations: refused by the budget.
    let src = format!("{}H 0\n{}", "REPEAT 2 {\n".repeat(253), "}\n".repeat(253));
    assert!(err(&src).contains("executes more than"));
    let src = format!("{}M 0\n{}", "REPEAT 10 {\n".repeat(10), "}\n".repeat(10));
    assert!(err(&src).contains("measures more than"));
}

#[test]
fn huge_loops_within_budget_stay_loops() {
    let p = parse_stim("REPEAT 1000000 {\n  MR 0 1 2\n}\n", "ok.stim").unwrap();
    assert_eq!(p.program.circuit.num_clbits, 3_000_000);
}
