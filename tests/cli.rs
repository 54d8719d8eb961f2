//! End-to-end tests of the `eqisa` binary: the JSON keys scripts rely on, stdin input, and
//! errors that name file:line:column with a non-zero exit code.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use eqisa_test_support::example;

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

#[test]
fn inspect_json_has_the_documented_keys() {
    let path = example("qft4.qasm");
    let v = run_json(&["inspect", "--json", path.to_str().expect("utf-8 path")]);
    assert_eq!(v["qubits"], 4);
    assert_eq!(v["clbits"], 4);
    assert_eq!(v["conditional"], 0);
    assert_eq!(v["depth"], 10);
    let ops = v["ops"].as_object().expect("ops object");
    assert_eq!(ops["h"], 4);
    assert_eq!(ops["cphase_ladder"], 6);
    assert_eq!(ops["swap"], 2);
    assert_eq!(ops["measure"], 4);
    assert_eq!(ops["barrier"], 1);
    assert_eq!(v["qregs"][0]["name"], "q");
}

#[test]
fn inspect_counts_operations_inside_conditionals() {
    let path = example("teleport.qasm3");
    let v = run_json(&["inspect", "--json", path.to_str().expect("utf-8 path")]);
    assert_eq!(v["conditional"], 2);
    assert_eq!(v["ops"]["x"], 1);
    assert_eq!(v["ops"]["z"], 1);
    assert_eq!(v["ops"]["measure"], 3);
}

#[test]
fn sim_json_gives_every_amplitude_in_qiskit_order() {
    // x on qubit 0 only: amplitude 1 at index 1 (qubit 0 least significant).
    let mut child = eqisa()
        .args(["sim", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawns");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"OPENQASM 2.0; include \"qelib1.inc\"; qreg q[3]; x q[0];")
        .expect("writes");
    let out = child.wait_with_output().expect("waits");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["qubits"], 3);
    let amps = v["amplitudes"].as_array().expect("amplitudes");
    assert_eq!(amps.len(), 8);
    for (k, a) in amps.iter().enumerate() {
        let expected = if k == 1 { 1.0 } else { 0.0 };
        assert_eq!(a[0].as_f64(), Some(expected), "index {k}");
        assert_eq!(a[1].as_f64(), Some(0.0));
    }
}

#[test]
fn sim_refuses_dynamic_circuits_and_outcomes_handles_them() {
    let path = example("teleport.qasm3");
    let p = path.to_str().expect("utf-8 path");
    let out = eqisa().args(["statevector", p]).output().expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("dynamic"), "{err}");
    let v = run_json(&["sim", "--outcomes", "--json", p]);
    assert_eq!(v["clbits"], 3);
    let total: f64 = v["outcomes"]
        .as_object()
        .expect("outcomes")
        .values()
        .map(|p| p.as_f64().expect("probability"))
        .sum();
    assert!((total - 1.0).abs() < 1e-12);
}

#[test]
fn errors_name_file_line_and_column_and_exit_non_zero() {
    let dir = std::env::temp_dir().join(format!("eqisa-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("bad.qasm");
    std::fs::write(
        &file,
        "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncx q[0], q[5];\n",
    )
    .expect("writes");
    let out = eqisa()
        .args(["inspect", file.to_str().expect("utf-8 path")])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:4:12:", file.display())), "{err}");
    assert!(err.contains("out of range"), "{err}");
    let missing = eqisa()
        .args(["inspect", "/nonexistent/file.qasm"])
        .output()
        .expect("runs");
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/file.qasm"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn compile_native_reports_the_documented_keys_and_writes_loadable_qasm() {
    let out_file = std::env::temp_dir().join(format!("eqisa-compile-{}.qasm", std::process::id()));
    let path = example("qft4.qasm");
    let v = run_json(&[
        "compile",
        "--json",
        "--target",
        "native",
        path.to_str().expect("utf-8 path"),
        "-o",
        out_file.to_str().expect("utf-8 path"),
    ]);
    for key in [
        "ops",
        "t_count",
        "depth",
        "duration_ns",
        "fidelity_bound",
        "fidelity_exact",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["t_count"], 0);
    assert_eq!(v["fidelity_bound"], 1.0);
    assert!(v["fidelity_exact"].as_f64().expect("computed") > 1.0 - 1e-10);
    let ops = v["ops"].as_object().expect("ops");
    for name in ops.keys() {
        assert!(
            ["rz", "sx", "x", "cz", "measure", "barrier"].contains(&name.as_str()),
            "{name}"
        );
    }
    // The written program loads and has the same counts.
    let back = run_json(&["inspect", "--json", out_file.to_str().expect("utf-8 path")]);
    assert_eq!(back["ops"], v["ops"]);
    std::fs::remove_file(&out_file).ok();
}

#[test]
fn compile_rejects_a_target_file_of_the_wrong_kind() {
    let path = example("bell.qasm");
    let toml = std::env::temp_dir().join(format!("eqisa-target-{}.toml", std::process::id()));
    std::fs::write(
        &toml,
        "name = \"t\"\nkind = \"native\"\ndt_ns = 1\n[durations_ns]\nrz = 0\nsx = 1\nx = 1\ncz = 1\nmeasure = 1\nreset = 1\n",
    )
    .expect("writes");
    let out = eqisa()
        .args([
            "compile",
            "--target",
            "clifford+t",
            "--target-file",
            toml.to_str().expect("utf-8 path"),
            path.to_str().expect("utf-8 path"),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("describes a native target"), "{err}");
    std::fs::remove_file(&toml).ok();
}

#[test]
fn compile_clifford_t_is_deterministic_and_meets_its_budget() {
    let path = example("modifiers.qasm3");
    let p = path.to_str().expect("utf-8 path");
    let dir = std::env::temp_dir();
    let outs: Vec<PathBuf> = (0..2)
        .map(|k| dir.join(format!("eqisa-ct-{}-{k}.qasm", std::process::id())))
        .collect();
    let mut reports = Vec::new();
    for out in &outs {
        reports.push(run_json(&[
            "compile",
            "--target",
            "clifford+t",
            "--fidelity",
            "0.99",
            "--json",
            p,
            "-o",
            out.to_str().expect("utf-8 path"),
        ]));
    }
    let a = std::fs::read(&outs[0]).expect("first output");
    let b = std::fs::read(&outs[1]).expect("second output");
    assert_eq!(a, b, "two runs differ");
    assert_eq!(reports[0], reports[1]);
    let v = &reports[0];
    let bound = v["fidelity_bound"].as_f64().expect("bound");
    let exact = v["fidelity_exact"].as_f64().expect("exact");
    assert!(
        bound >= 0.99 && exact + 1e-9 >= bound,
        "bound {bound}, exact {exact}"
    );
    assert!(v["t_count"].as_u64().expect("t_count") > 0);
    for name in v["ops"].as_object().expect("ops").keys() {
        assert!(
            [
                "h", "s", "sdg", "t", "tdg", "x", "y", "z", "cx", "measure", "barrier", "reset"
            ]
            .contains(&name.as_str()),
            "{name}"
        );
    }
    for out in &outs {
        std::fs::remove_file(out).ok();
    }
}

#[test]
fn an_unreachable_budget_is_an_error_not_a_weaker_result() {
    let path = example("qft4.qasm");
    let out = eqisa()
        .args([
            "compile",
            "--target",
            "clifford+t",
            "--synth",
            "sk",
            "--sk-depth",
            "3",
            "--sk-recursion",
            "1",
            "--fidelity",
            "0.9999",
            path.to_str().expect("utf-8 path"),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot be met"), "{err}");
}

/// Standard output that cannot be written (a full disk) is an error naming standard output and
/// a non-zero status, in every command that prints, never a panic or a silent success.
#[test]
fn a_full_standard_output_is_an_error_not_a_panic() {
    let Ok(_) = std::fs::metadata("/dev/full") else {
        eprintln!("skipped: no /dev/full on this system");
        return;
    };
    let dir = std::env::temp_dir().join(format!("eqisa-full-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let eqb = dir.join("bell.eqb");
    let bell = example("bell.qasm");
    let bell = bell.to_str().expect("utf-8 path");
    let status = eqisa()
        .args(["assemble", bell, "-o"])
        .arg(&eqb)
        .stdout(Stdio::null())
        .status()
        .expect("runs");
    assert!(status.success());
    let eqb = eqb.to_str().expect("utf-8 path");
    let cases: [&[&str]; 6] = [
        &["statevector", bell],
        &["statevector", "--json", bell],
        &["inspect", bell],
        &["decode", "--json", eqb],
        &["firmware", eqb],
        &["compile", bell, "--json"],
    ];
    for args in cases {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full opens");
        let out = eqisa()
            .args(args)
            .stdout(Stdio::from(full))
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("writing to standard output") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A temporary file holding `text`, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    /// A file named after `name`, unique to this call: tests run in parallel in one process.
    fn new(name: &str, text: &str) -> TempFile {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let k = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("eqisa-{}-{k}-{name}", std::process::id()));
        std::fs::write(&path, text).expect("writes");
        TempFile(path)
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

/// Runs `args`, expecting failure; returns standard error.
fn run_err(args: &[&str]) -> String {
    let out = eqisa().args(args).output().expect("runs");
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `h; measure` eight times on one of 12 qubits: 256 outcomes, 256 branches of 2^12.
fn branching_circuit() -> TempFile {
    let mut text =
        String::from("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[12];\ncreg c[8];\n");
    for i in 0..8 {
        text.push_str(&format!("h q[0];\nmeasure q[0] -> c[{i}];\n"));
    }
    TempFile::new("branching.qasm", &text)
}

/// `sim --outcomes` refuses branches past its amplitude budget, naming the file and the flag
/// that raises it; the state-vector qubit limit names the file too.
#[test]
fn sim_limits_name_the_file_and_the_flag_to_raise() {
    let f = branching_circuit();
    let err = run_err(&[
        "sim",
        "--outcomes",
        "--max-branch-amplitudes",
        "40960",
        f.arg(),
    ]);
    assert!(err.contains(f.arg()), "{err}");
    assert!(
        err.contains("12-qubit") && err.contains("--max-branch-amplitudes"),
        "{err}"
    );
    let big = TempFile::new(
        "q30.qasm",
        "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[30];\nh q[0];\n",
    );
    let err = run_err(&["sim", big.arg()]);
    assert!(
        err.contains(big.arg()) && err.contains("30 qubits"),
        "{err}"
    );
}

/// `--top` applies to outcomes as to amplitudes, in text and in JSON.
#[test]
fn sim_top_applies_in_every_output_mode() {
    let f = branching_circuit();
    let out = eqisa()
        .args(["sim", "--outcomes", "--top", "3", f.arg()])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let listed = text
        .lines()
        .filter(|l| l.starts_with("  ") && !l.contains("..."))
        .count();
    assert_eq!(listed, 3, "{text}");
    assert!(
        text.contains("256 outcomes") && text.contains("253 more"),
        "{text}"
    );
    let v = run_json(&["sim", "--outcomes", "--json", "--top", "3", f.arg()]);
    assert_eq!(v["outcomes"].as_object().expect("object").len(), 3);
    assert_eq!(v["omitted"], 253);
    let all = run_json(&["sim", "--outcomes", "--json", f.arg()]);
    assert_eq!(all["outcomes"].as_object().expect("object").len(), 256);
    let ghz = example("ghz4.qasm3");
    let v = run_json(&[
        "sim",
        "--json",
        "--top",
        "1",
        ghz.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(v["top"].as_array().expect("array").len(), 1);
    assert_eq!(v["omitted"], 1);
}

/// Budgets and synthesis parameters out of range are refused where they are parsed, on every
/// command that takes them, saying the range; what cannot be met says what was given.
#[test]
fn budgets_are_checked_where_given_and_explained() {
    let bell = example("bell.qasm");
    let bell = bell.to_str().expect("utf-8 path");
    for cmd in ["compile", "assemble", "report"] {
        let err = run_err(&[cmd, "--fidelity", "0", bell]);
        assert!(err.contains("fidelity must be in (0, 1]"), "{cmd}: {err}");
        assert!(!err.contains("placed"), "{cmd}: {err}");
    }
    let err = run_err(&["compile", "--eps", "1", bell]);
    assert!(err.contains("eps must be in (0, 1)"), "{err}");
    let err = run_err(&[
        "compile",
        "--target",
        "clifford+t",
        "--synth",
        "sk",
        "--sk-depth",
        "1000",
        bell,
    ]);
    assert!(err.contains("'1000'") && err.contains("0..=24"), "{err}");
    let err = run_err(&["report", "--paper-depth", "1000", bell]);
    assert!(err.contains("0..=24"), "{err}");
    let rz = TempFile::new(
        "rz.qasm",
        "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nh q[0];\nrz(0.3) q[0];\ncx q[0],q[1];\n",
    );
    let err = run_err(&[
        "compile",
        "--target",
        "clifford+t",
        "--fidelity",
        "1",
        rz.arg(),
    ]);
    assert!(
        err.contains(&format!(
            "{}:5: a fidelity of 1 needs exact synthesis",
            rz.arg()
        )),
        "{err}"
    );
    assert!(!err.contains("'cx'") && !err.contains("epsilon"), "{err}");
    let err = run_err(&[
        "compile",
        "--target",
        "clifford+t",
        "--eps",
        "1e-15",
        rz.arg(),
    ]);
    assert!(
        err.contains("eps of 1e-15") && err.contains("'rz'"),
        "{err}"
    );
}

/// Lowering errors name the file with the line, as the parser's do.
#[test]
fn lowering_errors_name_file_and_line() {
    let f = TempFile::new(
        "opaque.qasm",
        "OPENQASM 2.0;\nqreg q[1];\nopaque magic a;\n\nmagic q[0];\n",
    );
    let err = run_err(&["compile", f.arg()]);
    assert!(
        err.contains(&format!("{}:5: gate 'magic'", f.arg())),
        "{err}"
    );
}

/// Target files: `dt_ns = 0` must be > 0; unknown keys are refused by name with the file.
#[test]
fn target_files_refuse_zero_dt_and_unknown_keys() {
    let bell = example("bell.qasm");
    let bell = bell.to_str().expect("utf-8 path");
    let good = "name = \"t\"\nkind = \"native\"\ndt_ns = 1\n[durations_ns]\nrz = 0\nsx = 1\nx = 1\ncz = 1\nmeasure = 1\nreset = 1\n";
    let zero = TempFile::new("dt0.toml", &good.replace("dt_ns = 1", "dt_ns = 0"));
    let err = run_err(&["compile", "--target-file", zero.arg(), bell]);
    assert!(
        err.contains(zero.arg())
            && err.contains("dt_ns must be a finite number of nanoseconds > 0, not 0"),
        "{err}"
    );
    let typo = TempFile::new("typo.toml", &format!("{good}cnot = 300\n"));
    let err = run_err(&["compile", "--target-file", typo.arg(), bell]);
    assert!(
        err.contains(typo.arg()) && err.contains("unknown operation 'cnot'"),
        "{err}"
    );
}

/// `-o` through a symlink writes the link's target and leaves the link a link (`-o /dev/stdout`
/// with standard output redirected to a file must not replace `/dev/stdout`); `-o` naming a
/// directory says so.
#[cfg(unix)]
#[test]
fn output_through_a_symlink_writes_its_target_and_a_directory_is_refused() {
    let dir = std::env::temp_dir().join(format!("eqisa-cli-link-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let target = dir.join("target.qasm");
    std::fs::write(&target, "old").expect("writes");
    let link = dir.join("link.qasm");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let bell = example("bell.qasm");
    let out = eqisa()
        .args(["compile", "--target", "native", "-o"])
        .arg(&link)
        .arg(&bell)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta = std::fs::symlink_metadata(&link).expect("link");
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    let written = std::fs::read_to_string(&target).expect("target");
    assert!(written.starts_with("OPENQASM"), "{written}");
    let err = run_err(&[
        "compile",
        "--target",
        "native",
        "-o",
        dir.to_str().expect("utf-8"),
        bell.to_str().expect("utf-8"),
    ]);
    assert!(err.contains("is a directory"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The assembler refuses what its decoder would refuse (it once wrote them, and `decode` then
/// called them corrupt): more classical bits than a decoder holds, a register name larger than
/// the decoder's buffer.
#[test]
fn assemble_refuses_programs_its_decoder_would_refuse() {
    let wide = TempFile::new(
        "wide.qasm",
        "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2000000];\nx q[0];\n",
    );
    let err = run_err(&["assemble", "--no-paper", wide.arg()]);
    assert!(
        err.contains(wide.arg()) && err.contains("qubit count is 2000000"),
        "{err}"
    );
    // Classical bits cost the decoder nothing (it tracks those conditions read): a wide
    // register assembles and decodes.
    let bits = TempFile::new(
        "bits.qasm",
        "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\ncreg c[2000000];\nx q[0];\nmeasure q[0] -> c[1999999];\n",
    );
    let eqb = std::env::temp_dir().join(format!("eqisa-bits-{}.eqb", std::process::id()));
    let eqb = eqb.to_str().expect("utf-8 path");
    let out = eqisa()
        .args(["assemble", "--no-paper", bits.arg(), "-o", eqb])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = eqisa().args(["decode", eqb]).output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(eqb).ok();
    let name = "a".repeat(2 << 20);
    let long = TempFile::new(
        "longname.qasm",
        &format!("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg {name}[1];\nx {name}[0];\n"),
    );
    let err = run_err(&["assemble", "--no-paper", long.arg()]);
    assert!(err.contains("section's size"), "{err}");
}

/// Training's sample counts are refused past their caps where they are parsed, with the cap
/// (`--haar 1000000000` once ran for weeks).
#[test]
fn train_counts_are_capped_where_given() {
    let bell = example("bell.qasm");
    let bell = bell.to_str().expect("utf-8 path");
    let out = std::env::temp_dir().join(format!("eqisa-cap-{}.eqcb", std::process::id()));
    let out = out.to_str().expect("utf-8 path");
    let err = run_err(&["train", bell, "-o", out, "--haar", "10001"]);
    assert!(err.contains("more than the 10000 allowed"), "{err}");
    let err = run_err(&["train", bell, "-o", out, "--paper-haar", "1000001"]);
    assert!(err.contains("more than the 1000000 allowed"), "{err}");
    assert!(!std::path::Path::new(out).exists());
}
