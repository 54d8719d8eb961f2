//! The front end against Qiskit 2.6 on every file of `../shared/corpus` (skipped when absent):
//! the same qubit, clbit and op counts, the same rejected files at the same line, and the same
//! final state vectors.

use eqisa_test_support as common;

use std::collections::BTreeMap;

use eqisa_ir::stats::stats;

#[test]
fn counts_and_errors_match_qiskit() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    for rec in common::reference(&dir) {
        let file = rec["file"].as_str().expect("file");
        let path = dir.join(file);
        let parsed = eqisa_qasm::parse_file(&path);
        if let Some(err) = rec.get("qiskit_error").and_then(|e| e.as_str()) {
            // Qiskit's message holds "name:LINE,COL:" or "LINE,COL:".
            let line: u32 = err
                .split([':', '"', '\''])
                .filter_map(|part| part.split(',').next()?.trim().parse().ok())
                .next()
                .expect("a line number in Qiskit's error");
            match parsed {
                Ok(_) => {
                    // Qiskit's OpenQASM 3 importer lacks '^' in conditions; we accept those.
                    if !err.contains("unsupported binary operation '^'") {
                        failures.push(format!("{file}: accepted, Qiskit rejects: {err}"));
                    }
                }
                Err(e) => match e.pos() {
                    Some(p) if p.line == line => {}
                    _ => failures.push(format!("{file}: our error '{e}', Qiskit's line {line}")),
                },
            }
            checked += 1;
            continue;
        }
        let c = match parsed {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{file}: rejected: {e}"));
                continue;
            }
        };
        let s = stats(&c);
        if u64::from(s.qubits) != rec["num_qubits"].as_u64().unwrap_or(u64::MAX)
            || u64::from(s.clbits) != rec["num_clbits"].as_u64().unwrap_or(u64::MAX)
        {
            failures.push(format!(
                "{file}: {} qubits {} clbits, Qiskit {} {}",
                s.qubits, s.clbits, rec["num_qubits"], rec["num_clbits"]
            ));
        }
        // Qiskit counts top-level instructions; conditionals as `if_else`.
        let mut ours: BTreeMap<String, u64> = BTreeMap::new();
        for (name, n) in &s.ops {
            let inside = s.ops_in_conditionals.get(name).copied().unwrap_or(0);
            if n - inside > 0 {
                *ours
                    .entry(common::qiskit_name(name).to_string())
                    .or_default() += n - inside;
            }
        }
        if s.conditional > 0 {
            ours.insert("if_else".into(), s.conditional);
        }
        let theirs: BTreeMap<String, u64> = rec["ops"]
            .as_object()
            .expect("ops")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
            .collect();
        if ours != theirs {
            failures.push(format!("{file}: ops {ours:?}\n   Qiskit {theirs:?}"));
        }
        checked += 1;
    }
    assert!(checked > 400, "only {checked} reference records checked");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn state_vectors_match_qiskit() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    for rec in common::reference(&dir) {
        let Some(expected) = rec.get("statevector").and_then(|v| v.as_array()) else {
            continue;
        };
        let file = rec["file"].as_str().expect("file");
        let c = match eqisa_qasm::parse_file(dir.join(file)) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        let expected: Vec<num_complex::Complex64> = expected
            .iter()
            .map(|p| {
                num_complex::Complex64::new(p[0].as_f64().expect("re"), p[1].as_f64().expect("im"))
            })
            .collect();
        match eqisa_statevector::circuit::statevector(&c) {
            Ok(state) => {
                let f = state.fidelity(&expected);
                // NaN must fail too, hence not `f < 1 - 1e-9`.
                if f.is_nan() || f < 1.0 - 1e-9 {
                    failures.push(format!("{file}: fidelity {f}"));
                }
            }
            Err(e) => failures.push(format!("{file}: {e}")),
        }
        checked += 1;
    }
    assert!(checked > 200, "only {checked} state vectors checked");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Qiskit cannot import the OpenQASM 3 files with `^` in a condition. GHZ with dynamic
/// corrections: whatever the mid-circuit results, the final bits must all agree, each of the two
/// strings with probability 1/2 — which holds only if `^` is exclusive or.
#[test]
fn dynamic_ghz_with_xor_conditions_gives_ghz_statistics() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    for n in [5usize, 6, 8] {
        let file = dir.join(format!("mqt/indep/ghz_dynamic_indep_n{n}.qasm3"));
        let c = eqisa_qasm::parse_file(&file).expect("parses");
        let final_reg = c
            .cregs
            .iter()
            .find(|r| r.name == "final_measurement")
            .expect("final register")
            .clone();
        assert_eq!(final_reg.size as usize, n);
        let dist = eqisa_statevector::circuit::outcomes(&c).expect("simulates");
        let mut by_final: BTreeMap<Vec<bool>, f64> = BTreeMap::new();
        for o in &dist {
            let bits = o.bits
                [final_reg.start as usize..(final_reg.start + final_reg.size) as usize]
                .to_vec();
            *by_final.entry(bits).or_default() += o.probability;
        }
        assert_eq!(by_final.len(), 2, "n={n}: {by_final:?}");
        for (bits, p) in &by_final {
            assert!(bits.iter().all(|&b| b == bits[0]), "n={n}: {bits:?}");
            assert!((p - 0.5).abs() < 1e-12, "n={n}: {p}");
        }
        let total: f64 = dist.iter().map(|o| o.probability).sum();
        assert!((total - 1.0).abs() < 1e-12);
    }
}
