//! `report`: circuits come back in the order given with their rows and totals, a circuit the
//! device cannot run is skipped, a report where every circuit is skipped is an error naming each,
//! and the rate curve has one point per distinct budget, in increasing order.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use eqisa_firmware::FirmwareParams;
use eqisa_pipeline::report::events::Encoding;
use eqisa_pipeline::report::{ReportProgress, ReportScope, Setup, SetupOptions, report};
use eqisa_pipeline::{LowerConfig, PipelineError, PulseConfig, load_codebook};
use eqisa_test_support::example;

fn options() -> SetupOptions {
    SetupOptions {
        energy_model: None,
        lowering: LowerConfig::default(),
        pulse: PulseConfig::default(),
        paper: None,
        sim: FirmwareParams::default(),
    }
}

/// Counts the steps of every stage.
#[derive(Default)]
struct Steps(AtomicU64);

impl ReportProgress for Steps {
    fn step(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn circuits_in_order_skips_and_totals() {
    let cb = load_codebook(None).expect("embedded codebook");
    let setup = Setup::load(&cb, options()).expect("default device");
    // adder4 needs 6 qubits; the embedded device has 5.
    let files: Vec<PathBuf> = ["ghz4.qasm3", "adder4.qasm", "bell.qasm"]
        .iter()
        .map(|f| example(f))
        .collect();
    let scope = ReportScope {
        memory: false,
        rate_budgets: Some(vec![1e-4, 1e-6, 1e-4]),
    };
    let steps = Steps::default();
    let r = report(&files, &setup, &scope, &steps).expect("report");
    let names: Vec<&str> = r.circuits.iter().map(|(a, _)| a.file.as_str()).collect();
    assert!(names[0].ends_with("ghz4.qasm3") && names[1].ends_with("bell.qasm"));
    assert_eq!(r.skipped.len(), 1);
    assert!(r.skipped[0].0.ends_with("adder4.qasm"));
    assert!(r.memory.is_none());
    // The total of every bit count is the sum over circuits.
    let bits = |rows: &eqisa_pipeline::report::analyse::Rows| {
        rows.get(Encoding::Eqisa).and_then(|row| row.bits)
    };
    let sum: u64 = r.circuits.iter().filter_map(|(_, rows)| bits(rows)).sum();
    assert_eq!(bits(&r.total), Some(sum));
    assert!(sum > 0);
    let curve = r.rate_curve.expect("asked for");
    let budgets: Vec<f64> = curve.iter().map(|p| p.budget).collect();
    assert_eq!(budgets, vec![1e-6, 1e-4]);
    // A looser budget never costs more bits.
    assert!(curve[1].eqisa_bits <= curve[0].eqisa_bits);
    // Three files, then two circuits at two budgets.
    assert_eq!(steps.0.load(Ordering::Relaxed), 3 + 4);
}

#[test]
fn nothing_placed_is_an_error_naming_every_file() {
    let cb = load_codebook(None).expect("embedded codebook");
    let setup = Setup::load(&cb, options()).expect("default device");
    let files = vec![example("adder4.qasm")];
    match report(&files, &setup, &ReportScope::default(), &()) {
        Err(e @ PipelineError::NothingPlaced { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("adder4.qasm") && msg.contains("6 qubits"),
                "{msg}"
            );
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a 6-qubit circuit was placed on a 5-qubit device"),
    }
}

#[test]
fn an_unreadable_file_is_an_error_not_a_skip() {
    let cb = load_codebook(None).expect("embedded codebook");
    let setup = Setup::load(&cb, options()).expect("default device");
    let files = vec![PathBuf::from("no/such/circuit.qasm")];
    let err = report(&files, &setup, &ReportScope::default(), &())
        .err()
        .expect("a missing file is an error");
    assert!(err.to_string().contains("no/such/circuit.qasm"), "{err}");
}
