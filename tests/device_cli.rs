//! End-to-end tests of the devices `eqisa report` and `eqisa pulses` run on: without `--device`
//! a circuit larger than the embedded ibmq_lima runs on a grid built from lima's calibrations
//! (adder4's 6 qubits, 8-qubit MQT circuits from `../shared/corpus`, skipped when it is absent),
//! and an explicit device too small for a circuit skips its pulses with the reason and keeps its
//! instruction-level rows, without failing the report.

use std::process::{Command, Output};

use eqisa_test_support::{corpus_path, example, repo_dir};
use serde_json::Value;

const INSTRUCTION_ROWS: [&str; 5] = ["binary", "bzip2", "xz", "zstd", "eqisa"];
const PULSE_ROWS: [&str; 4] = ["raw_samples", "dct", "zstd_samples", "eqisa_pulses"];

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eqisa"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn run_json(args: &[&str]) -> Value {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

fn arg(p: &std::path::Path) -> String {
    p.to_str().expect("utf-8 path").to_string()
}

/// The circuit's pulse rows carry bits and the row of `eqisa_pulses` a measured infidelity.
fn assert_pulse_rows(c: &Value) {
    for row in INSTRUCTION_ROWS.iter().chain(&PULSE_ROWS) {
        assert!(
            c["encodings"][row]["bits"].as_u64().is_some_and(|b| b > 0),
            "{}: {row}",
            c["file"]
        );
    }
    assert_eq!(
        c["encodings"]["eqisa_pulses"]["pulse_infidelity_kind"],
        "measured"
    );
    assert!(c["plays"].as_u64().is_some_and(|p| p > 0));
}

#[test]
fn adder4_runs_on_a_grid_built_from_lima_and_bell_on_lima() {
    let report = run_json(&[
        "report",
        "--json",
        "--no-memory",
        "--no-paper",
        "--no-controllers",
        &arg(&example("adder4.qasm")),
        &arg(&example("bell.qasm")),
    ]);
    assert_eq!(report["skipped"].as_array().map(Vec::len), Some(0));
    let circuits = report["circuits"].as_array().expect("circuits");
    assert_eq!(circuits.len(), 2);
    assert_eq!(circuits[0]["device"], "ibmq_lima-grid-2x3");
    assert!(
        circuits[0]["device_note"]
            .as_str()
            .is_some_and(|n| n.starts_with("default: 6 qubits on a 2x3 grid built from ibmq_lima")),
        "{}",
        circuits[0]["device_note"]
    );
    assert_eq!(circuits[1]["device"], "ibmq_lima");
    for c in circuits {
        assert_pulse_rows(c);
    }
    assert!(
        report["device_note"]
            .as_str()
            .is_some_and(|n| n.contains("ibmq_lima for circuits of up to 5 qubits"))
    );
    // `pulses` places it on the same grid.
    let pulses = run_json(&[
        "pulses",
        "--json",
        "--no-memory",
        &arg(&example("adder4.qasm")),
    ]);
    assert_eq!(pulses["device"], "ibmq_lima-grid-2x3");
    assert_eq!(
        pulses["pulse_bits"]["eqisa"],
        circuits[0]["encodings"]["eqisa_pulses"]["bits"]
    );
}

#[test]
fn eight_qubit_mqt_circuits_run_on_a_3x3_grid() {
    let names = [
        "dj_indep_n8.qasm",
        "ghz_indep_n8.qasm",
        "qft_indep_n8.qasm",
        "wstate_indep_n8.qasm",
    ];
    let mut files = Vec::new();
    for n in names {
        let Some(p) = corpus_path(&format!("mqt/indep/{n}")) else {
            return;
        };
        files.push(arg(&p));
    }
    let mut args = vec![
        "report",
        "--json",
        "--no-memory",
        "--no-paper",
        "--no-controllers",
    ];
    args.extend(files.iter().map(String::as_str));
    let report = run_json(&args);
    assert_eq!(report["skipped"].as_array().map(Vec::len), Some(0));
    let circuits = report["circuits"].as_array().expect("circuits");
    assert_eq!(circuits.len(), names.len());
    for c in circuits {
        assert_eq!(c["qubits"], 8);
        assert_eq!(c["device"], "ibmq_lima-grid-3x3", "{}", c["file"]);
        assert_pulse_rows(c);
    }
    assert!(
        report["total"]["encodings"]["eqisa_pulses"]["bits"]
            .as_u64()
            .is_some()
    );
}

#[test]
fn an_explicit_device_too_small_skips_pulses_and_keeps_instruction_rows() {
    let lima = repo_dir().join("circuits/pulse/devices/default.toml");
    let adder = arg(&example("adder4.qasm"));
    let report = run_json(&[
        "report",
        "--json",
        "--no-memory",
        "--no-paper",
        "--no-controllers",
        "--device",
        &arg(&lima),
        &adder,
    ]);
    // No circuit fits, and the report still succeeds.
    assert_eq!(report["circuits"].as_array().map(Vec::len), Some(0));
    let skipped = &report["skipped"][0];
    assert_eq!(skipped["file"], adder.as_str());
    assert!(
        skipped["reason"]
            .as_str()
            .is_some_and(|r| r.contains("6 qubits")),
        "{}",
        skipped["reason"]
    );
    assert_eq!(skipped["qubits"], 6);
    for row in INSTRUCTION_ROWS {
        assert!(
            skipped["encodings"][row]["bits"]
                .as_u64()
                .is_some_and(|b| b > 0),
            "{row}"
        );
    }
    for row in PULSE_ROWS {
        assert!(skipped["encodings"][row]["bits"].is_null(), "{row}");
    }
    // The same file without --device is placed, with the same lowering's instruction bits up to
    // routing: its eqisa row exists too.
    let text = run(&[
        "report",
        "--no-memory",
        "--no-paper",
        "--no-controllers",
        "--device",
        &arg(&lima),
        &adder,
    ]);
    assert!(text.status.success());
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(out.contains("pulses skipped"), "{out}");
    assert!(out.contains("instruction level only"), "{out}");
}
