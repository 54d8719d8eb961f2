//! End-to-end tests of the `eqisa` binary on programs with loops: Stim circuits read (what
//! they skip said by `inspect`, bad lines named), assembled with their loops, decoded with them
//! or unrolled; real-time `while` loops run on measurement results from a seed or a file.

use std::path::{Path, PathBuf};
use std::process::Command;

fn eqisa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eqisa"))
}

fn run(args: &[&str]) -> String {
    let out = eqisa().args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn run_err(args: &[&str]) -> String {
    let out = eqisa().args(args).output().expect("runs");
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A scratch directory of this test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eqisa-loops-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creates");
    dir
}

fn program(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("circuits/programs")
        .join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// OpenQASM lines without comments.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//") && !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn inspect_counts_what_a_stim_circuit_skips() {
    let file = program("repetition_d3_feedback.stim");
    let v: serde_json::Value =
        serde_json::from_str(&run(&["inspect", s(&file), "--json"])).expect("JSON");
    assert_eq!(v["language"], "Stim");
    assert_eq!(v["skipped"]["DETECTOR"], 2);
    assert_eq!(v["skipped"]["OBSERVABLE_INCLUDE"], 1);
    // Three rounds of two CX layers on two pairs, and the feedback.
    assert_eq!(v["ops"]["cx"], 12);
    assert_eq!(v["ops"]["measure"], 9);
    let text = run(&["inspect", s(&file)]);
    assert!(text.contains("skipped      3 annotations"), "{text}");
}

#[test]
fn a_stim_circuit_assembles_with_its_loop_and_decodes_both_ways() {
    let dir = scratch("stim");
    let file = program("repetition_d3_feedback.stim");
    let eqb = dir.join("rep.eqb");
    let v: serde_json::Value = serde_json::from_str(&run(&[
        "assemble",
        s(&file),
        "--target",
        "clifford+t",
        "--no-paper",
        "-o",
        s(&eqb),
        "--json",
    ]))
    .expect("JSON");
    assert_eq!(v["loops"]["counted_loops"], 1);
    assert!(v["bits"]["stim_text_xz"].as_u64().is_some());
    let looped = dir.join("looped.qasm");
    run(&["decode", s(&eqb), "-o", s(&looped)]);
    let text = std::fs::read_to_string(&looped).expect("written");
    assert!(text.contains("for uint _r0 in [0:2] {"), "{text}");
    // The syndrome bit of each round moves along the record, and so does the feedback.
    assert!(text.contains("rec[0 + 2*_r0] = measure q[1];"), "{text}");
    assert!(text.contains("if (rec[0 + 2*_r0]) { x q[0]; }"), "{text}");
    let flat = dir.join("flat.qasm");
    run(&["decode", s(&eqb), "--flatten", "-o", s(&flat)]);
    let compiled = dir.join("compiled.qasm");
    run(&[
        "compile",
        s(&file),
        "--target",
        "clifford+t",
        "--flat",
        "-o",
        s(&compiled),
    ]);
    let read = |p: &Path| lines(&std::fs::read_to_string(p).expect("written"));
    assert_eq!(read(&flat), read(&compiled));
    // The loops written back compile to the same program.
    let again = dir.join("again.qasm");
    run(&[
        "compile",
        s(&looped),
        "--target",
        "clifford+t",
        "--flat",
        "-o",
        s(&again),
    ]);
    assert_eq!(read(&again), read(&compiled));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_while_loop_runs_on_seeded_or_listed_results() {
    let dir = scratch("while");
    let src = dir.join("rus.qasm3");
    std::fs::write(
        &src,
        "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit q;\nbit c;\nreset q;\nh q;\nc = measure q;\n\
         while (c == 0) {\n  reset q;\n  h q;\n  c = measure q;\n}\nx q;\n",
    )
    .expect("writes");
    let eqb = dir.join("rus.eqb");
    let v: serde_json::Value = serde_json::from_str(&run(&[
        "assemble",
        s(&src),
        "--no-paper",
        "-o",
        s(&eqb),
        "--json",
    ]))
    .expect("JSON");
    assert_eq!(v["loops"]["while_loops"], 1);
    assert!(
        v["bits"]["xz"].is_null(),
        "no unrolled baseline for a while loop"
    );
    let out = dir.join("looped.qasm");
    run(&["decode", s(&eqb), "-o", s(&out)]);
    let looped = std::fs::read_to_string(&out).expect("written");
    assert!(looped.contains("while ((c[0]) == (0)) {"), "{looped}");
    // Results 0, 0, 1: the loop runs twice, three measurements in all.
    let results = dir.join("results.txt");
    std::fs::write(&results, "0 0 # two failures\n1\n").expect("writes");
    let v: serde_json::Value = serde_json::from_str(&run(&[
        "decode",
        s(&eqb),
        "--flatten",
        "--outcomes",
        s(&results),
        "--json",
    ]))
    .expect("JSON");
    assert_eq!(v["ops"]["measure"], 3);
    assert_eq!(v["loops"]["flattened"], true);
    // The same seed, the same run.
    let a = run(&["decode", s(&eqb), "--flatten", "--seed", "5", "--json"]);
    assert_eq!(
        a,
        run(&["decode", s(&eqb), "--flatten", "--seed", "5", "--json"])
    );
    // Too few results is an error naming the file; --seed without --flatten is refused.
    std::fs::write(&results, "0 0").expect("writes");
    let err = run_err(&["decode", s(&eqb), "--flatten", "--outcomes", s(&results)]);
    assert!(
        err.contains("results.txt holds 2 measurement results"),
        "{err}"
    );
    let err = run_err(&["decode", s(&eqb), "--seed", "1"]);
    assert!(err.contains("add --flatten"), "{err}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn bad_stim_input_is_named_by_line_and_column() {
    let dir = scratch("bad");
    let cases = [
        ("odd.stim", "H 0\nCX 0\n", "odd.stim:2:"),
        ("sweep.stim", "M 0\nCX sweep[0] 1\n", "sweep.stim:2:"),
        (
            "huge.stim",
            "REPEAT 1000000000000000 {\n  H 0\n}\n",
            "huge.stim:1:",
        ),
        ("open.stim", "REPEAT 3 {\n  H 0\n", "open.stim:"),
        ("unknown.stim", "H 0\nFOO 1\n", "unknown.stim:2:1"),
        ("rec.stim", "CX rec[-1] 0\n", "rec.stim:1:"),
    ];
    for (name, text, want) in cases {
        let f = dir.join(name);
        std::fs::write(&f, text).expect("writes");
        let err = run_err(&["assemble", s(&f), "--no-paper"]);
        assert!(err.contains(want), "{name}: {err}");
    }
    std::fs::remove_dir_all(dir).ok();
}
