//! Lowering every corpus file that parses to the native target (skipped without the corpus):
//! it must succeed, use only native operations, and prepare exactly the source's state wherever
//! that can be checked (static circuits of at most 10 qubits).

mod common;

use eqisa_circuits::lower::lower;
use eqisa_circuits::lower::simulate::exact_fidelity;
use eqisa_circuits::lower::target::{TargetDesc, TargetKind};

#[test]
fn every_corpus_circuit_lowers_to_native_exactly() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let target = TargetDesc::default_for(TargetKind::Native);
    let allowed = [
        "rz", "sx", "x", "cz", "measure", "reset", "barrier", "delay",
    ];
    let (mut lowered, mut verified) = (0, 0);
    let mut failures = Vec::new();
    for rec in common::reference(&dir) {
        let file = rec["file"].as_str().expect("file");
        let Ok(c) = eqisa_circuits::parse_file(dir.join(file)) else {
            continue;
        };
        let l = match lower(&c, &target, &Default::default()) {
            Ok(l) => l,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        lowered += 1;
        if let Some(bad) = l
            .program
            .counts()
            .keys()
            .find(|k| !allowed.contains(&k.as_str()))
        {
            failures.push(format!("{file}: non-native op {bad}"));
        }
        if rec.get("statevector").is_some() {
            match exact_fidelity(&c, &l.program) {
                Some(f) if f > 1.0 - 1e-9 => verified += 1,
                other => failures.push(format!("{file}: fidelity {other:?}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(lowered > 400, "{lowered}");
    assert!(verified > 200, "{verified}");
}

/// Every corpus file that parses also lowers to Clifford+T at the default budget (0.999), its
/// bound meets the budget, and the exact fidelity confirms the bound wherever it is computable.
#[test]
fn every_corpus_circuit_lowers_to_clifford_t_within_budget() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let target = TargetDesc::default_for(TargetKind::CliffordT);
    let opts = eqisa_circuits::lower::LowerOptions::default();
    let allowed = [
        "h", "s", "sdg", "t", "tdg", "x", "y", "z", "cx", "measure", "reset", "barrier", "delay",
    ];
    let (mut lowered, mut verified) = (0, 0);
    let mut failures = Vec::new();
    for rec in common::reference(&dir) {
        let file = rec["file"].as_str().expect("file");
        let Ok(c) = eqisa_circuits::parse_file(dir.join(file)) else {
            continue;
        };
        let l = match lower(&c, &target, &opts) {
            Ok(l) => l,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        lowered += 1;
        if let Some(bad) = l
            .program
            .counts()
            .keys()
            .find(|k| !allowed.contains(&k.as_str()))
        {
            failures.push(format!("{file}: non-Clifford+T op {bad}"));
        }
        if l.fidelity_bound < 0.999 {
            failures.push(format!("{file}: bound {}", l.fidelity_bound));
        }
        if rec.get("statevector").is_some() {
            match exact_fidelity(&c, &l.program) {
                Some(f) if f + 1e-9 >= l.fidelity_bound => verified += 1,
                other => failures.push(format!(
                    "{file}: exact {other:?} below bound {}",
                    l.fidelity_bound
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(lowered > 400, "{lowered}");
    assert!(verified > 200, "{verified}");
}
