//! `report`: circuits come back in the order given with their rows and totals; without a device
//! each runs on the embedded default for its size (lima, or a grid built from it), so none is
//! skipped; a circuit an explicit device cannot run is skipped for pulses with its reason and
//! keeps its instruction-level rows, even when every circuit is skipped; and the rate curve has
//! one point per distinct budget, in increasing order.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use eqisa_firmware::FirmwareParams;
use eqisa_pipeline::report::events::Encoding;
use eqisa_pipeline::report::events::Level;
use eqisa_pipeline::report::{ReportProgress, ReportScope, Setup, SetupOptions, report};
use eqisa_pipeline::{LowerConfig, PulseConfig, load_codebook};
use eqisa_test_support::{example, repo_dir};

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

/// Options naming the embedded ibmq_lima's file explicitly: a 5-qubit device that stays 5 qubits.
fn lima_file() -> SetupOptions {
    let mut o = options();
    o.pulse.device = Some(repo_dir().join("circuits/pulse/devices/default.toml"));
    o
}

#[test]
fn circuits_in_order_skips_and_totals() {
    let cb = load_codebook(None).expect("embedded codebook");
    let setup = Setup::load(&cb, lima_file()).expect("lima's file");
    // adder4 needs 6 qubits; lima has 5.
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
    // The skipped circuit keeps its instruction-level rows.
    assert_eq!(r.instruction_only.len(), 1);
    let only = &r.instruction_only[0];
    assert_eq!(
        (only.file.as_str(), only.qubits),
        (r.skipped[0].0.as_str(), 6)
    );
    for (enc, row) in &only.encodings.0 {
        match enc.level() {
            Level::Instruction if *enc != Encoding::Paper => {
                assert!(row.bits.is_some_and(|b| b > 0), "{}", enc.key());
            }
            Level::Pulse => assert!(row.bits.is_none(), "{}", enc.key()),
            Level::Instruction => {}
        }
    }
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
fn nothing_placed_still_reports_every_file_at_the_instruction_level() {
    let cb = load_codebook(None).expect("embedded codebook");
    let setup = Setup::load(&cb, lima_file()).expect("lima's file");
    let files = vec![example("adder4.qasm")];
    let r = report(&files, &setup, &ReportScope::default(), &()).expect("a report");
    assert!(r.circuits.is_empty());
    assert_eq!(r.skipped.len(), 1);
    assert!(r.skipped[0].1.contains("6 qubits"), "{}", r.skipped[0].1);
    let eqisa = r.instruction_only[0].encodings.get(Encoding::Eqisa);
    assert!(eqisa.and_then(|row| row.bits).is_some_and(|b| b > 0));
    // No circuit placed: the totals have no figures (not NaN rates).
    assert!(
        r.total
            .0
            .iter()
            .all(|(_, row)| row.bits.is_none() && row.link_gbps.is_none())
    );
}

#[test]
fn without_a_device_a_circuit_larger_than_lima_runs_on_a_grid_built_from_it() {
    let cb = load_codebook(None).expect("embedded codebook");
    let setup = Setup::load(&cb, options()).expect("default device");
    let files = vec![example("adder4.qasm"), example("bell.qasm")];
    let r = report(&files, &setup, &ReportScope::default(), &()).expect("report");
    assert!(r.skipped.is_empty() && r.instruction_only.is_empty());
    let (adder, bell) = (&r.circuits[0].0, &r.circuits[1].0);
    assert_eq!(adder.placed.device.name, "ibmq_lima-grid-2x3");
    assert!(
        adder
            .placed
            .device_note
            .contains("6 qubits on a 2x3 grid built from ibmq_lima"),
        "{}",
        adder.placed.device_note
    );
    assert!(adder.pulses.bits.eqisa > 0 && !adder.placed.pulses.plays.is_empty());
    // Every coded waveform met the budget on the grid's transmons.
    assert!(adder.pulses.max_added_infidelity <= setup.pulse.infidelity);
    // A circuit that fits lima runs on lima itself.
    assert_eq!(bell.placed.device.name, "ibmq_lima");
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
