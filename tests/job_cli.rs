//! Jobs and sweeps through the `eqisa` binary: `assemble DIR -o JOB.eqb`, `decode JOB.eqb
//! --output-dir DIR` writing each circuit as `compile` would, `firmware` listing the circuits,
//! `assemble --inputs` sweeps, and bad jobs refused with the file, row or column named.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn eqisa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eqisa"))
        .args(args)
        .output()
        .expect("runs")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn err(out: &Output) -> String {
    assert!(!out.status.success(), "succeeded unexpectedly");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("eqisa-job-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_directory_assembles_as_a_job_and_decodes_to_one_file_per_circuit() {
    let dir = scratch("examples");
    let job = dir.join("job.eqb");
    let examples = repo().join("circuits/examples");
    let json = ok(&eqisa(&[
        "assemble",
        s(&examples),
        "-o",
        s(&job),
        "--no-paper",
        "--json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["circuits"], 6);
    assert_eq!(v["per_circuit"].as_array().unwrap().len(), 6);
    assert!(v["bits"]["eqisa"].as_u64().unwrap() < v["bits"]["xz"].as_u64().unwrap());
    let out = dir.join("out");
    ok(&eqisa(&["decode", s(&job), "--output-dir", s(&out)]));
    for name in ["adder4", "bell", "ghz4", "modifiers", "qft4", "teleport"] {
        let source = std::fs::read_dir(&examples)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_stem().unwrap() == name)
            .unwrap();
        let compiled = dir.join(format!("{name}.compiled"));
        ok(&eqisa(&[
            "compile",
            s(&source),
            "--target",
            "native",
            "-o",
            s(&compiled),
        ]));
        let decoded = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_stem().unwrap() == name)
            .unwrap_or_else(|| panic!("{name} not written"));
        assert_eq!(
            std::fs::read_to_string(&decoded).unwrap(),
            std::fs::read_to_string(&compiled).unwrap(),
            "{name}"
        );
    }
    // A job of several circuits has no one output.
    let e = err(&eqisa(&["decode", s(&job), "-o", s(&dir.join("x.qasm"))]));
    assert!(
        e.contains("--output-dir") && e.contains("6 circuits"),
        "{e}"
    );
    // The firmware plays them back to back.
    let fw = ok(&eqisa(&["firmware", s(&job)]));
    assert!(
        fw.contains("6 back to back") && fw.contains("teleport"),
        "{fw}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_sweep_assembles_once_and_decodes_every_point() {
    let dir = scratch("sweep");
    let programs = repo().join("circuits/programs");
    let job = dir.join("sweep.eqb");
    let json = ok(&eqisa(&[
        "assemble",
        s(&programs.join("qaoa20.qasm3")),
        "--inputs",
        s(&programs.join("qaoa20_line.csv")),
        "-o",
        s(&job),
        "--no-baselines",
        "--json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["sweep"]["template"], true);
    let points = v["circuits"].as_u64().unwrap();
    let out = dir.join("points");
    ok(&eqisa(&["decode", s(&job), "--output-dir", s(&out)]));
    assert_eq!(std::fs::read_dir(&out).unwrap().count() as u64, points);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_jobs_and_tables_name_the_file_row_or_column() {
    let dir = scratch("bad");
    // Two circuits with one stem would decode to one file.
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::create_dir_all(dir.join("b")).unwrap();
    let bell = repo().join("circuits/examples/bell.qasm");
    std::fs::copy(&bell, dir.join("a/bell.qasm")).unwrap();
    std::fs::copy(&bell, dir.join("b/bell.qasm")).unwrap();
    let e = err(&eqisa(&[
        "assemble",
        s(&dir.join("a/bell.qasm")),
        s(&dir.join("b/bell.qasm")),
    ]));
    assert!(e.contains("b/bell.qasm") && e.contains("stem"), "{e}");
    // An empty job.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = err(&eqisa(&["assemble", s(&empty)]));
    assert!(e.contains("without circuit files"), "{e}");
    // A table whose value is not a number, and one whose column is not an input.
    let program = repo().join("circuits/programs/qaoa20.qasm3");
    let table = dir.join("t.csv");
    std::fs::write(&table, "gamma,beta\n0.1,0.2\n0.1,zero\n").unwrap();
    let e = err(&eqisa(&["assemble", s(&program), "--inputs", s(&table)]));
    assert!(e.contains("t.csv") && e.contains('3'), "{e}");
    std::fs::write(&table, "gamma,delta\n0.1,0.2\n").unwrap();
    let e = err(&eqisa(&["assemble", s(&program), "--inputs", s(&table)]));
    assert!(e.contains("delta"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
