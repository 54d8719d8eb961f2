//! The repository's own example circuits (`circuits/examples/`) against Qiskit 2.x's depth and
//! state vectors, recorded in `tests/data/examples_qiskit.json` by `scripts/qiskit_reference.py`.
//! These run everywhere: they need nothing outside the repository.

use std::path::PathBuf;

use eqisa_ir::stats::stats;
use eqisa_statevector::circuit::{outcomes, statevector};
use eqisa_test_support::examples_dir as examples;
use num_complex::Complex64;

fn reference() -> serde_json::Map<String, serde_json::Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/examples_qiskit.json");
    let text = std::fs::read_to_string(path).expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

#[test]
fn every_example_matches_qiskit_depth_and_state() {
    let reference = reference();
    let mut seen = 0;
    for entry in std::fs::read_dir(examples()).expect("examples dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_string();
        let rec = reference
            .get(&name)
            .unwrap_or_else(|| panic!("{name} has no Qiskit reference: rerun the script"));
        let c = eqisa_qasm::parse_file(&path).expect("example parses");
        assert_eq!(
            stats(&c).depth,
            rec["depth"].as_u64().expect("depth"),
            "{name}: depth"
        );
        if let Some(sv) = rec.get("statevector").and_then(|v| v.as_array()) {
            let expected: Vec<Complex64> = sv
                .iter()
                .map(|p| Complex64::new(p[0].as_f64().expect("re"), p[1].as_f64().expect("im")))
                .collect();
            let ours = statevector(&c).expect("simulates");
            let f = ours.fidelity(&expected);
            assert!(f >= 1.0 - 1e-9, "{name}: fidelity {f}");
        } else {
            assert!(
                statevector(&c).is_err(),
                "{name} is dynamic: sim must refuse"
            );
        }
        seen += 1;
    }
    assert!(seen >= 6);
}

/// Teleportation with feed-forward: the teleported ry(0.8)|0> reads 1 with probability
/// sin²(0.4), whatever the two mid-circuit results (each 1/4).
#[test]
fn teleportation_outcomes_are_exact() {
    let c = eqisa_qasm::parse_file(examples().join("teleport.qasm3")).expect("parses");
    let dist = outcomes(&c).expect("simulates");
    let p1: f64 = dist
        .iter()
        .filter(|o| o.bits[2])
        .map(|o| o.probability)
        .sum();
    assert!((p1 - 0.4f64.sin().powi(2)).abs() < 1e-12, "{p1}");
    for m in 0..4usize {
        let p: f64 = dist
            .iter()
            .filter(|o| usize::from(o.bits[0]) + 2 * usize::from(o.bits[1]) == m)
            .map(|o| o.probability)
            .sum();
        assert!((p - 0.25).abs() < 1e-12, "m={m}: {p}");
    }
}

/// The adder computes 3 + 1 = 4 exactly: one basis state.
#[test]
fn adder_adds() {
    let c = eqisa_qasm::parse_file(examples().join("adder4.qasm")).expect("parses");
    let s = statevector(&c).expect("simulates");
    // Qubits: cin=0, a=1..2, b=3..4, cout=5. a stays 3, b becomes 0, cout 1.
    let index = 0b100110;
    assert!((s.amplitudes()[index].norm_sqr() - 1.0).abs() < 1e-12);
}
