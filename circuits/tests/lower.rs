//! Lowering every corpus file that parses (skipped without the corpus), to both targets: it must
//! succeed, use only the target's operations, meet the fidelity budget, and — wherever the state
//! can be checked exactly (static circuits of at most 10 qubits) — prepare the source's state at
//! least as faithfully as the reported bound says.

mod common;

use eqisa_circuits::lower::simulate::exact_fidelity;
use eqisa_circuits::lower::target::{TargetDesc, TargetKind};
use eqisa_circuits::lower::{LowerOptions, lower};

/// Lower the whole corpus to `kind`; `min_bound` is the least acceptable fidelity bound.
fn lower_corpus(kind: TargetKind, allowed: &[&str], min_bound: f64) {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let target = TargetDesc::default_for(kind);
    let opts = LowerOptions::default();
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
        let counts = l.program.counts();
        if let Some(bad) = counts.keys().find(|k| !allowed.contains(&k.as_str())) {
            failures.push(format!("{file}: operation {bad} is not in the target"));
        }
        if l.fidelity_bound < min_bound {
            failures.push(format!("{file}: bound {}", l.fidelity_bound));
        }
        if rec.get("statevector").is_some() {
            match exact_fidelity(&c, &l.program) {
                Some(f) if f + 1e-9 >= l.fidelity_bound => verified += 1,
                other => failures.push(format!(
                    "{file}: exact fidelity {other:?} below the bound {}",
                    l.fidelity_bound
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(lowered > 400, "{lowered}");
    assert!(verified > 200, "{verified}");
}

/// The native target keeps angles exact: bound 1, and exact fidelity 1 within rounding.
#[test]
fn every_corpus_circuit_lowers_to_native_exactly() {
    let allowed = [
        "rz", "sx", "x", "cz", "measure", "reset", "barrier", "delay",
    ];
    lower_corpus(TargetKind::Native, &allowed, 1.0);
}

/// Clifford+T at the default budget (0.999).
#[test]
fn every_corpus_circuit_lowers_to_clifford_t_within_budget() {
    let allowed = [
        "h", "s", "sdg", "t", "tdg", "x", "y", "z", "cx", "measure", "reset", "barrier", "delay",
    ];
    lower_corpus(TargetKind::CliffordT, &allowed, 0.999);
}
