//! End-to-end tests of the `eqisa` binary as a streaming pipeline: `assemble --no-baselines`,
//! programs read from standard input and written to standard output (`-`), `assemble - -o - |
//! decode - -o -`, and a program cut short in a pipe: a clear error naming where the input
//! ended, and no output file left behind.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn eqisa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eqisa"))
}

/// Runs `args` with `stdin` as standard input.
fn run_with(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = eqisa()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut input = child.stdin.take().expect("stdin");
    let bytes = stdin.to_vec();
    // Written from another thread: the child may fill its output pipe before reading it all,
    // or stop reading early (a refused input), which is not this test's failure.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("waits");
    writer.join().expect("writer");
    out
}

fn ok(args: &[&str], stdin: &[u8]) -> Output {
    let out = run_with(args, stdin);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eqisa-stream-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creates");
    dir
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The files of `dir`, by name.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("lists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn no_baselines_keeps_the_program_and_nulls_every_baseline() {
    let dir = scratch("nobase");
    let qft = repo("circuits/examples/qft4.qasm");
    let (with, without) = (dir.join("with.eqb"), dir.join("without.eqb"));
    let full = ok(
        &["assemble", s(&qft), "--no-paper", "--json", "-o", s(&with)],
        b"",
    );
    let skipped = ok(
        &[
            "assemble",
            s(&qft),
            "--no-baselines",
            "--json",
            "-o",
            s(&without),
        ],
        b"",
    );
    assert_eq!(
        std::fs::read(&with).expect("reads"),
        std::fs::read(&without).expect("reads"),
        "the program does not depend on the baselines"
    );
    let full: serde_json::Value = serde_json::from_slice(&full.stdout).expect("JSON");
    let skipped: serde_json::Value = serde_json::from_slice(&skipped.stdout).expect("JSON");
    assert_eq!(full["bits"]["eqisa"], skipped["bits"]["eqisa"]);
    assert!(full["bits"]["xz"].is_u64());
    for key in [
        "binary_opcodes",
        "binary",
        "bzip2",
        "xz",
        "zstd",
        "entropy_order0",
        "paper_huffman",
        "paper_huffman_bzip2",
    ] {
        let v = skipped["bits"].get(key).unwrap_or_else(|| panic!("{key}"));
        assert!(v.is_null(), "{key}: {v}");
    }
    assert!(skipped["paper_fidelity_bound"].is_null());
    // The text report says so; a program with loops too.
    let text = ok(&["assemble", s(&qft), "--no-baselines"], b"");
    let text = String::from_utf8(text.stdout).expect("utf-8");
    assert!(text.contains("skipped (--no-baselines)"), "{text}");
    assert!(!text.contains("xz -9"), "{text}");
    let stim = repo("circuits/programs/repetition_d3_feedback.stim");
    let looped = ok(&["assemble", s(&stim), "--no-baselines", "--json"], b"");
    let looped: serde_json::Value = serde_json::from_slice(&looped.stdout).expect("JSON");
    assert!(looped["bits"]["xz"].is_null());
    assert!(looped["loops"].is_object());
    // The pulse section's baselines are the waveform coder's own: refused together.
    let both = run_with(&["assemble", s(&qft), "--no-baselines", "--pulses"], b"");
    assert!(!both.status.success());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn assemble_and_decode_through_pipes_match_files() {
    let dir = scratch("pipes");
    for example in ["qft4.qasm", "teleport.qasm3", "ghz4.qasm3"] {
        let file = repo("circuits/examples").join(example);
        let text = std::fs::read(&file).expect("reads");
        let eqb = dir.join("prog.eqb");
        let qasm = dir.join("prog.qasm");
        ok(
            &["assemble", s(&file), "--no-baselines", "-o", s(&eqb)],
            b"",
        );
        ok(&["decode", s(&eqb), "-o", s(&qasm)], b"");
        // The source from standard input, the program to standard output (the summary goes to
        // standard error, out of the program's way).
        let piped = ok(&["assemble", "-", "--no-baselines", "-o", "-"], &text);
        assert_eq!(
            piped.stdout,
            std::fs::read(&eqb).expect("reads"),
            "{example}: assemble - -o -"
        );
        assert!(String::from_utf8_lossy(&piped.stderr).contains("native ops"));
        let decoded = ok(&["decode", "-", "-o", "-"], &piped.stdout);
        assert_eq!(
            decoded.stdout,
            std::fs::read(&qasm).expect("reads"),
            "{example}: decode - -o -"
        );
    }
    // A program with loops, written with them and unrolled.
    let stim = repo("circuits/programs/repetition_d3_feedback.stim");
    let eqb = dir.join("loops.eqb");
    ok(
        &["assemble", s(&stim), "--no-baselines", "-o", s(&eqb)],
        b"",
    );
    let bytes = std::fs::read(&eqb).expect("reads");
    for flatten in [false, true] {
        let out = dir.join(format!("loops-{flatten}.qasm"));
        let mut args = vec!["decode", s(&eqb), "-o", s(&out)];
        let mut piped = vec!["decode", "-", "-o", "-"];
        if flatten {
            args.push("--flatten");
            piped.push("--flatten");
        }
        ok(&args, b"");
        let streamed = ok(&piped, &bytes);
        let written = std::fs::read(&out).expect("reads");
        assert_eq!(streamed.stdout, written, "flatten {flatten}");
        let text = String::from_utf8(written).expect("utf-8");
        assert_eq!(text.contains("for uint _r0"), !flatten, "{text}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_source_from_standard_input_is_named_stdin_in_errors() {
    let out = run_with(
        &["assemble", "-", "--no-baselines"],
        b"OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nfoo q[0];\n",
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("<stdin>:4"), "{err}");
}

#[test]
fn a_program_cut_short_in_a_pipe_leaves_no_output() {
    let dir = scratch("cut");
    let qft = repo("circuits/examples/qft4.qasm");
    let stim = repo("circuits/programs/repetition_d3_feedback.stim");
    for (name, src) in [("flat", &qft), ("loops", &stim)] {
        let eqb = dir.join(format!("{name}.eqb"));
        ok(&["assemble", s(src), "--no-baselines", "-o", s(&eqb)], b"");
        let bytes = std::fs::read(&eqb).expect("reads");
        let n = bytes.len();
        // In the header, in a section header, in the instruction section, before the checksum.
        for cut in [10, 40, n / 2, n - 5, n - 1] {
            let out = dir.join(format!("{name}-{cut}.qasm"));
            let before = listing(&dir);
            let r = run_with(&["decode", "-", "-o", s(&out)], &bytes[..cut]);
            assert!(!r.status.success(), "{name}: cut at {cut} of {n} decoded");
            let err = String::from_utf8_lossy(&r.stderr);
            assert!(
                err.contains("truncated")
                    && err.contains(&format!("the input ended at byte {cut}")),
                "{name}: cut at {cut}: {err}"
            );
            assert!(!out.exists(), "{name}: cut at {cut}: output left behind");
            assert_eq!(
                listing(&dir),
                before,
                "{name}: cut at {cut}: temporary file left"
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_streamed_assembly_writes_the_bytes_of_the_whole_program_path() {
    let dir = scratch("streamed");
    let flat = repo("circuits/programs/repetition_d3_flat.qasm");
    let text = std::fs::read(&flat).expect("reads");
    for target in ["native", "clifford+t"] {
        let (whole, streamed) = (dir.join("whole.eqb"), dir.join("streamed.eqb"));
        let w = ok(
            &[
                "assemble",
                s(&flat),
                "--target",
                target,
                "--no-paper",
                "--json",
                "-o",
                s(&whole),
            ],
            b"",
        );
        // Through a pipe, with the repeats found as a loop on the way.
        let st = ok(
            &[
                "assemble",
                "-",
                "--target",
                target,
                "--no-baselines",
                "--json",
                "-o",
                s(&streamed),
            ],
            &text,
        );
        assert_eq!(
            std::fs::read(&whole).expect("whole"),
            std::fs::read(&streamed).expect("streamed"),
            "{target}"
        );
        for out in [&w, &st] {
            let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            assert_eq!(j["loops"]["found_in_flat"], true, "{target}");
        }
    }
    // OpenQASM 3 from standard input is read whole: the same bytes as from its file.
    let ghz = repo("circuits/examples/ghz4.qasm3");
    let (a, b) = (dir.join("a.eqb"), dir.join("b.eqb"));
    ok(&["assemble", s(&ghz), "--no-baselines", "-o", s(&a)], b"");
    let ghz_text = std::fs::read(&ghz).expect("reads");
    ok(&["assemble", "-", "--no-baselines", "-o", s(&b)], &ghz_text);
    assert_eq!(std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_windows_and_unshareable_budgets_are_errors_that_say_what_to_do() {
    let dir = scratch("badwindow");
    let flat = repo("circuits/programs/repetition_d3_flat.qasm");
    let out = dir.join("x.eqb");
    for w in ["0", "63", "1099511627776", "many"] {
        let r = run_with(
            &["assemble", s(&flat), "--repeat-window", w, "-o", s(&out)],
            b"",
        );
        assert!(!r.status.success(), "--repeat-window {w}");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains("--repeat-window"), "{w}: {err}");
        assert!(!out.exists());
    }
    // qft4's pi/8 rotations need approximating on Clifford+T: from a pipe the whole-program
    // budget cannot be shared; the error names the line and suggests --eps.
    let qft = std::fs::read(repo("circuits/examples/qft4.qasm")).expect("reads");
    let r = run_with(
        &[
            "assemble",
            "-",
            "--target",
            "clifford+t",
            "--no-baselines",
            "-o",
            s(&out),
        ],
        &qft,
    );
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("<stdin>:14:") && err.contains("--eps"),
        "{err}"
    );
    assert!(!out.exists());
    // From a file the program is read whole instead.
    ok(
        &[
            "assemble",
            s(&repo("circuits/examples/qft4.qasm")),
            "--target",
            "clifford+t",
            "--no-baselines",
            "--eps",
            "1e-3",
            "-o",
            s(&out),
        ],
        b"",
    );
    ok(
        &[
            "assemble",
            s(&repo("circuits/examples/qft4.qasm")),
            "--target",
            "clifford+t",
            "--no-baselines",
            "-o",
            s(&out),
        ],
        b"",
    );
    std::fs::remove_dir_all(&dir).ok();
}
