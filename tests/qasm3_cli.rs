//! End-to-end tests of the `eqisa` binary on OpenQASM 3 programs: structure reported without
//! unrolling, state vectors and exact outcome distributions, `--input`, loops kept by
//! `compile`, `assemble`/`decode` of structured programs, and errors at file:line:column.
//! Every program is written here, in a temporary file, with its expectation worked out by hand.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn eqisa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eqisa"))
}

fn run_json(args: &[&str]) -> serde_json::Value {
    let out = eqisa().args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// Runs `args`, expecting failure; returns standard error.
fn run_err(args: &[&str]) -> String {
    let out = eqisa().args(args).output().expect("runs");
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `args`, killing the process and failing the test past `limit`: a command that tries to
/// unroll 10^12 iterations must fail, not hang the suite (or eat the machine's memory).
fn run_within(args: &[&str], limit: Duration) -> Output {
    let mut child = eqisa()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("waits").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            panic!("{args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A temporary file holding `text`, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    /// A file named after `name`, unique to this call: tests run in parallel in one process.
    fn new(name: &str, text: &str) -> TempFile {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let k = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("eqisa-q3-{}-{k}-{name}", std::process::id()));
        std::fs::write(&path, text).expect("writes");
        TempFile(path)
    }

    /// A path for a command to write, removed on drop.
    fn output(name: &str) -> TempFile {
        let f = TempFile::new(name, "");
        std::fs::remove_file(&f.0).ok();
        f
    }

    fn arg(&self) -> &str {
        self.0.to_str().expect("utf-8 path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        std::fs::remove_file(&self.0).ok();
    }
}

/// `ops` of an `inspect --json` or `compile --json` report as plain counts (none unknown).
fn counts(v: &serde_json::Value) -> BTreeMap<String, u64> {
    v.as_object()
        .expect("ops object")
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().expect("a known count")))
        .collect()
}

/// The amplitudes of a `sim --json` report, as (re, im).
fn amplitudes(v: &serde_json::Value) -> Vec<(f64, f64)> {
    v["amplitudes"]
        .as_array()
        .expect("amplitudes")
        .iter()
        .map(|a| (a[0].as_f64().expect("re"), a[1].as_f64().expect("im")))
        .collect()
}

fn assert_amplitudes(got: &[(f64, f64)], want: &[(f64, f64)]) {
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g.0 - w.0).abs() < 1e-12 && (g.1 - w.1).abs() < 1e-12,
            "amplitude {k}: {g:?}, expected {w:?} (all: {got:?})"
        );
    }
}

/// The outcome distribution of a `sim --outcomes --json` report.
fn outcomes(v: &serde_json::Value) -> BTreeMap<String, f64> {
    v["outcomes"]
        .as_object()
        .expect("outcomes")
        .iter()
        .map(|(k, p)| (k.clone(), p.as_f64().expect("probability")))
        .collect()
}

/// `got` holds exactly the outcomes of `want` (bit string, probability) within 1e-9.
fn assert_distribution(got: &BTreeMap<String, f64>, want: &[(&str, f64)]) {
    let keys: Vec<&str> = got.keys().map(String::as_str).collect();
    let mut want_keys: Vec<&str> = want.iter().map(|w| w.0).collect();
    want_keys.sort_unstable();
    assert_eq!(keys, want_keys, "{got:?}");
    for (bits, p) in want {
        assert!((got[*bits] - p).abs() < 1e-9, "{bits}: {got:?}");
    }
}

const HEADER: &str = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\n";

/// A million iterations of `h; cx` and a subroutine called twice: the structure is reported
/// per iteration and in total, the executed counts multiply the loop out.
#[test]
fn inspect_reports_loops_and_subroutines_per_iteration_and_in_total() {
    let f = TempFile::new(
        "million.qasm",
        &format!(
            "{HEADER}qubit[2] q;\n\
             def entangle(qubit a, qubit b) {{\n  h a;\n  cx a, b;\n  x b;\n}}\n\
             for int i in [0:999999] {{\n  h q[0];\n  cx q[0], q[1];\n}}\n\
             entangle(q[0], q[1]);\nentangle(q[1], q[0]);\n"
        ),
    );
    let v = run_json(&["inspect", "--json", f.arg()]);
    let s = &v["structure"];
    assert_eq!(s["loops"], 1);
    assert_eq!(s["while_loops"], 0);
    assert_eq!(s["subroutines"], 1);
    assert_eq!(s["calls"], 2);
    let l = &s["per_loop"][0];
    assert_eq!(s["per_loop"].as_array().expect("per_loop").len(), 1);
    assert_eq!(l["kind"], "for");
    assert_eq!(l["at"], "9:1");
    assert_eq!(l["iterations"], 1_000_000);
    assert_eq!(
        counts(&l["per_iteration"]),
        BTreeMap::from([("cx".into(), 1), ("h".into(), 1)])
    );
    // Executed: the loop's million of each, plus h, cx, x per call.
    assert_eq!(
        counts(&v["ops"]),
        BTreeMap::from([
            ("cx".into(), 1_000_002),
            ("h".into(), 1_000_002),
            ("x".into(), 2)
        ])
    );
    // Written: the loop body and the subroutine once each.
    assert_eq!(
        counts(&s["ops_written"]),
        BTreeMap::from([("cx".into(), 2), ("h".into(), 2), ("x".into(), 1)])
    );
    // Depth is a number here: 2,000,006 operations fit the IR budget, so the program has a
    // flat circuit; 2 layers per iteration, then h, cx, x and h, cx, x in sequence.
    assert_eq!(v["depth"], 2_000_006);
}

/// A `for` of 10^12 iterations is counted, not unrolled: `inspect` answers at once with a null
/// depth (no flat circuit); `inspect --flat` and `sim` refuse it at the loop, saying the limit.
#[test]
fn a_loop_of_a_trillion_iterations_is_inspected_and_refused_where_it_would_unroll() {
    let f = TempFile::new(
        "trillion.qasm",
        &format!("{HEADER}qubit q;\nfor int i in [0:999999999999] {{\n  h q;\n}}\n"),
    );
    let limit = Duration::from_secs(10);
    let out = run_within(&["inspect", "--json", f.arg()], limit);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        v["structure"]["per_loop"][0]["iterations"],
        1_000_000_000_000u64
    );
    assert_eq!(v["ops"]["h"], 1_000_000_000_000u64);
    assert!(v["depth"].is_null(), "{v}");
    for args in [
        &["inspect", "--flat", f.arg()][..],
        &["sim", f.arg()],
        &["sim", "--outcomes", f.arg()],
    ] {
        let out = run_within(args, limit);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(&format!("{}:4:1:", f.arg())),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("more than 67108864 operations"),
            "{args:?}: {err}"
        );
    }
}

/// A loop over a compile-time range and integer division: `1/2` between integers is 0, so
/// `rx(pi * (1/2))` is the identity; `[0:n-1]` includes its end, so `ry(i * pi / 6)` turns q[1]
/// by 0 + pi/6 + pi/3 = pi/2 in all: the state is (|00> + |10>)/sqrt(2) (qubit 0 rightmost).
#[test]
fn sim_follows_static_loops_and_integer_division() {
    let f = TempFile::new(
        "static.qasm",
        &format!(
            "{HEADER}qubit[2] q;\nconst int n = 3;\n\
             for int i in [0:n - 1] {{\n  rx(pi * (1/2)) q[0];\n  ry(i * pi / 6) q[1];\n}}\n"
        ),
    );
    let v = run_json(&["sim", "--json", f.arg()]);
    assert_eq!(v["qubits"], 2);
    let r = std::f64::consts::FRAC_1_SQRT_2;
    assert_amplitudes(
        &amplitudes(&v),
        &[(r, 0.0), (0.0, 0.0), (r, 0.0), (0.0, 0.0)],
    );
}

/// Repeat until success ends only with c = 1: the distribution is {"1": 1}; without
/// `--outcomes`, `sim` refuses the measurement-dependent loop at its line and points to it.
#[test]
fn sim_outcomes_runs_a_repeat_until_success_loop() {
    let f = TempFile::new(
        "rus.qasm",
        &format!(
            "{HEADER}qubit q;\nbit c = 0;\nwhile (c == 0) {{\n  reset q;\n  h q;\n  c = measure q;\n}}\n"
        ),
    );
    let v = run_json(&["sim", "--outcomes", "--json", f.arg()]);
    assert_eq!(v["clbits"], 1);
    assert_distribution(&outcomes(&v), &[("1", 1.0)]);
    let err = run_err(&["sim", f.arg()]);
    assert!(err.contains(&format!("{}:5:1:", f.arg())), "{err}");
    assert!(
        err.contains("while loop") && err.contains("--outcomes"),
        "{err}"
    );
}

/// A `switch` on arithmetic of a measured 2-bit register. c[0] = 1 with probability
/// sin^2(pi/3) = 3/4, c[1] = 1 with 1/2; the switch value is c + 1:
/// 1 (c = 0, p 1/8): nothing, r = 0;  2 (c = 1, p 3/8): x, r = 1;
/// 3 (c = 2, p 1/8): h, r uniform;  default (c = 3, p 3/8): ry(pi/3), r = 1 with 1/4.
/// Bit strings are r c[1] c[0].
#[test]
fn sim_outcomes_of_a_switch_on_measured_bits() {
    let f = TempFile::new(
        "switch.qasm",
        &format!(
            "{HEADER}qubit[3] q;\nbit[2] c;\nbit r;\n\
             ry(2 * pi / 3) q[0];\nh q[1];\nc = measure q[0:1];\n\
             switch (int(c) + 1) {{\n  case 1 {{\n  }}\n  case 2 {{\n    x q[2];\n  }}\n\
             case 3 {{\n    h q[2];\n  }}\n  default {{\n    ry(pi / 3) q[2];\n  }}\n}}\n\
             r = measure q[2];\n"
        ),
    );
    let v = run_json(&["sim", "--outcomes", "--json", f.arg()]);
    assert_eq!(v["clbits"], 3);
    assert_distribution(
        &outcomes(&v),
        &[
            ("000", 1.0 / 8.0),
            ("101", 3.0 / 8.0),
            ("010", 1.0 / 16.0),
            ("110", 1.0 / 16.0),
            ("011", 3.0 / 8.0 * 3.0 / 4.0),
            ("111", 3.0 / 8.0 / 4.0),
        ],
    );
    // The branches it explores are bounded: past the bound, an error naming the flag.
    let err = run_err(&["sim", "--outcomes", "--max-branch-amplitudes", "8", f.arg()]);
    assert!(
        err.contains(f.arg()) && err.contains("--max-branch-amplitudes"),
        "{err}"
    );
}

/// `input` values reach angles and loop bounds: ry(theta) n times is ry(n * theta);
/// a missing, unknown or malformed input is refused by name.
#[test]
fn inputs_are_given_at_the_command_line_and_checked_by_name() {
    let f = TempFile::new(
        "inputs.qasm",
        &format!(
            "{HEADER}input float[64] theta;\ninput int n;\nqubit q;\n\
             for int i in [1:n] {{\n  ry(theta) q;\n}}\n"
        ),
    );
    let state = |theta: &str, n: &str| {
        let theta = format!("theta={theta}");
        let n = format!("n={n}");
        amplitudes(&run_json(&[
            "sim",
            "--json",
            "--input",
            &theta,
            "--input",
            &n,
            f.arg(),
        ]))
    };
    // ry(a)|0> = cos(a/2)|0> + sin(a/2)|1>.
    assert_amplitudes(
        &state("0.25", "2"),
        &[(0.25f64.cos(), 0.0), (0.25f64.sin(), 0.0)],
    );
    assert_amplitudes(
        &state("0.25", "4"),
        &[(0.5f64.cos(), 0.0), (0.5f64.sin(), 0.0)],
    );
    assert_amplitudes(
        &state("0.5", "2"),
        &[(0.5f64.cos(), 0.0), (0.5f64.sin(), 0.0)],
    );

    let err = run_err(&["sim", "--input", "theta=0.25", f.arg()]);
    assert!(
        err.contains(f.arg()) && err.contains("input 'n'") && err.contains("not given"),
        "missing: {err}"
    );
    let err = run_err(&[
        "sim",
        "--input",
        "theta=0.25",
        "--input",
        "n=2",
        "--input",
        "phi=1",
        f.arg(),
    ]);
    assert!(
        err.contains(f.arg()) && err.contains("'phi' is not an input"),
        "unknown: {err}"
    );
    let err = run_err(&["sim", "--input", "theta=0.25", "--input", "n=two", f.arg()]);
    assert!(
        err.contains(f.arg()) && err.contains("input 'n'") && err.contains("'two'"),
        "malformed: {err}"
    );
    let err = run_err(&["sim", "--input", "theta", f.arg()]);
    assert!(err.contains("'theta' is not NAME=VALUE"), "{err}");

    let q2 = TempFile::new(
        "two.qasm",
        "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nx q[0];\n",
    );
    let err = run_err(&["sim", "--input", "theta=1", q2.arg()]);
    assert!(
        err.contains(q2.arg()) && err.contains("'theta' is not an input"),
        "OpenQASM 2: {err}"
    );
}

/// A top-level `for` whose body ignores its variable is lowered once and written back as a
/// `for`; `--flat` unrolls it. Both execute the same operations, and the written loop parses
/// back to the same executed counts. The body starts with `cz` and ends with single-qubit gates
/// on both qubits, so unrolling gives lowering nothing to merge across iterations (a body
/// `cx; rz; cx` does: the flat output then has fewer rz and sx, see the report of issue 14).
#[test]
fn compile_keeps_loops_that_do_not_use_their_variable() {
    let f = TempFile::new(
        "keep.qasm",
        &format!(
            "{HEADER}qubit[2] q;\nh q[0];\n\
             for int i in [0:9] {{\n  cz q[0], q[1];\n  rz(pi / 4) q[1];\n  cx q[0], q[1];\n  sx q[0];\n  sx q[1];\n}}\n"
        ),
    );
    let looped = TempFile::output("looped.qasm");
    let flat = TempFile::output("flat.qasm");
    let v = run_json(&["compile", "--json", f.arg(), "-o", looped.arg()]);
    let w = run_json(&["compile", "--json", "--flat", f.arg(), "-o", flat.arg()]);
    assert_eq!(v["loops_kept"], 1);
    assert_eq!(w["loops_kept"], 0);
    let executed = counts(&v["ops"]);
    assert_eq!(executed, counts(&w["ops"]));
    let text = std::fs::read_to_string(&looped.0).expect("output");
    let for_lines = text
        .lines()
        .filter(|l| l.trim_start().starts_with("for "))
        .count();
    assert_eq!(for_lines, 1, "{text}");
    let flat_text = std::fs::read_to_string(&flat.0).expect("output");
    assert!(!flat_text.contains("for "), "{flat_text}");
    // Read back, the loop executes what compile counted; so does the flat output.
    let back = run_json(&["inspect", "--json", looped.arg()]);
    assert_eq!(back["structure"]["loops"], 1);
    assert_eq!(back["structure"]["per_loop"][0]["iterations"], 10);
    assert_eq!(counts(&back["ops"]), executed);
    assert_eq!(
        counts(&run_json(&["inspect", "--json", flat.arg()])["ops"]),
        executed
    );
}

/// A structured program with an input assembles; its decoded circuit executes the operations
/// of the unrolled program. The program is written in the native gates (rz, sx, cz) so that
/// lowering leaves the counts as written.
#[test]
fn assemble_with_inputs_decodes_to_the_unrolled_counts() {
    let f = TempFile::new(
        "native.qasm",
        &format!(
            "{HEADER}input int n;\ninput float theta;\nqubit[2] q;\n\
             for int i in [1:n] {{\n  sx q[0];\n  cz q[0], q[1];\n  rz(theta) q[1];\n  sx q[1];\n  cz q[0], q[1];\n}}\n"
        ),
    );
    let eqb = TempFile::output("native.eqb");
    let status = eqisa()
        .args([
            "assemble",
            "--no-paper",
            "--input",
            "n=3",
            "--input",
            "theta=0.3",
        ])
        .args([f.arg(), "-o", eqb.arg()])
        .output()
        .expect("runs");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let decoded = run_json(&["decode", "--json", eqb.arg()]);
    let flat = run_json(&[
        "inspect",
        "--flat",
        "--json",
        "--input",
        "n=3",
        "--input",
        "theta=0.3",
        f.arg(),
    ]);
    let want = counts(&flat["ops"]);
    assert_eq!(want["cz"], 6, "the loop runs n = 3 times");
    assert_eq!(counts(&decoded["ops"]), want);
}

/// Errors name file:line:column of what is wrong.
#[test]
fn errors_name_the_place_and_what_is_wrong() {
    let cases = [
        // The missing `)` is seen at the `q` that follows `0.5`.
        (
            "syntax.qasm",
            "qubit q;\nrx(0.5 q;\n",
            "4:8",
            "expected ',' or ')'",
        ),
        (
            "undefined.qasm",
            "qubit q;\nh q;\nh r;\n",
            "5:3",
            "'r' is not a quantum register",
        ),
        (
            "break.qasm",
            "qubit q;\nh q;\n  break;\n",
            "5:3",
            "'break' is only allowed inside a loop",
        ),
    ];
    for (name, body, at, what) in cases {
        let f = TempFile::new(name, &format!("{HEADER}{body}"));
        let err = run_err(&["inspect", f.arg()]);
        assert!(err.contains(&format!("{}:{at}:", f.arg())), "{name}: {err}");
        assert!(err.contains(what), "{name}: {err}");
    }
}

/// OpenPulse `cal` blocks are accepted and their content skipped (braces and all): inspect
/// succeeds, and an error after a block is still placed on its own line.
#[test]
fn openpulse_calibration_blocks_are_skipped_and_lines_still_counted() {
    let cal = "defcalgrammar \"openpulse\";\ncal {\n  extern port d0;\n  frame f = newframe(d0, 5.0e9, 0.0);\n  { play(f, gaussian(1.0, 160dt, 40dt)); }\n}\nqubit[2] q;\nh q[0];\n";
    let f = TempFile::new("cal.qasm", &format!("{HEADER}{cal}"));
    let v = run_json(&["inspect", "--json", f.arg()]);
    assert_eq!(v["qubits"], 2);
    assert_eq!(counts(&v["ops"]), BTreeMap::from([("h".into(), 1)]));
    let g = TempFile::new("cal_bad.qasm", &format!("{HEADER}{cal}cx q[0], p;\n"));
    let err = run_err(&["inspect", g.arg()]);
    assert!(err.contains(&format!("{}:11:10:", g.arg())), "{err}");
}

/// A program on physical qubits runs on the device's qubits as named: nothing is routed (no
/// SWAP), and a gate on a pair the device does not couple is an error naming both qubits.
#[test]
fn physical_qubits_are_the_devices_own() {
    // The embedded device (ibmq_lima) couples 0-1, 1-2, 1-3 and 3-4.
    let ok = TempFile::new(
        "phys.qasm3",
        "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nh $1;\ncx $1, $3;\ncx $3, $4;\n",
    );
    let out = TempFile::output("phys.eqb");
    let v = run_json(&["assemble", "--pulses", ok.arg(), "-o", out.arg(), "--json"]);
    assert_eq!(v["pulses"]["swaps"], 0, "{v}");
    let bad = TempFile::new(
        "uncoupled.qasm3",
        "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nh $0;\ncx $0, $4;\n",
    );
    let err = run_err(&["assemble", "--pulses", bad.arg(), "-o", out.arg()]);
    assert!(
        err.contains("$0 and $4") && err.contains("does not couple"),
        "{err}"
    );
}

/// Skipped OpenPulse calibrations are said, at their place, while the program is still used.
#[test]
fn skipped_calibrations_are_noted() {
    let f = TempFile::new(
        "cal.qasm3",
        "OPENQASM 3.0;\ninclude \"stdgates.inc\";\ndefcalgrammar \"openpulse\";\n\
         cal { extern port d0; }\nqubit q;\nx q;\n",
    );
    let out = eqisa().args(["inspect", f.arg()]).output().expect("runs");
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(":3:1: OpenPulse calibrations"), "{err}");
}
