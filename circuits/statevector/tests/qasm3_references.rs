//! The OpenQASM 3 reference programs of `tests/qasm3/`: each one's final state or outcome
//! distribution must be the one recorded in `tests/qasm3/expected.json`, which Qiskit's importer
//! gave where it loads the program and the specification gave by hand where it does not
//! (`scripts/qasm3-references.py` says how). Static programs go through the flatten pass and the
//! circuit simulator; programs whose control flow depends on measurements run branch by branch.

use std::collections::BTreeMap;
use std::path::PathBuf;

use eqisa_ir::program::flatten::{FlattenErrorKind, FlattenLimits, flatten};
use eqisa_qasm::Parsed;
use eqisa_statevector::circuit::{OutcomeLimits, outcomes_with, statevector};
use eqisa_statevector::program::program_outcomes;
use serde_json::Value as Json;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/qasm3")
}

fn expected() -> Json {
    let text = std::fs::read_to_string(dir().join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

/// The inputs an entry gives, as `--input` would.
fn inputs(entry: &Json) -> Vec<(String, String)> {
    entry["inputs"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect())
        .unwrap_or_default()
}

/// `dist` restricted to the program's own `clbits` (the flat circuit may append hidden bits),
/// keyed as Qiskit prints counts: highest clbit first.
fn marginal(dist: &[eqisa_statevector::circuit::Outcome], clbits: usize) -> BTreeMap<String, f64> {
    let mut m = BTreeMap::new();
    for o in dist {
        let key: String = o.bits[..clbits]
            .iter()
            .rev()
            .map(|&b| if b { '1' } else { '0' })
            .collect();
        *m.entry(key).or_insert(0.0) += o.probability;
    }
    m.retain(|_, p| *p > 1e-12);
    m
}

/// Operations at the top level of `p` as Qiskit's `count_ops` counts them: control flow as one
/// operation each (`if_else`, `for_loop`, …), a gate or measurement broadcast over a register
/// once per application, a barrier once. `None` for statements this count cannot place (a
/// computed qubit index, a classical statement Qiskit would count as `store`).
fn top_level_counts(p: &eqisa_ir::program::Program) -> Option<BTreeMap<String, u64>> {
    use eqisa_ir::program::expr::{Index, Operand, QubitBase};
    use eqisa_ir::program::stmt::Stmt;
    let len = |o: &Operand| -> Option<u64> {
        match (&o.base, &o.index) {
            (QubitBase::Global { len, .. }, None) => Some(u64::from(*len)),
            (_, Some(Index::Single(_))) => Some(1),
            _ => None,
        }
    };
    let mut m = BTreeMap::new();
    for s in &p.body {
        let (name, n) = match s {
            Stmt::Gate { gate, qubits, .. } => (
                p.circuit.gate(*gate).name.clone(),
                qubits
                    .iter()
                    .map(len)
                    .try_fold(1, |a, b| b.map(|b| a.max(b)))?,
            ),
            Stmt::Measure { qubits, .. } => ("measure".into(), len(qubits)?),
            Stmt::Reset { qubits, .. } => ("reset".into(), len(qubits)?),
            Stmt::Barrier { .. } => ("barrier".into(), 1),
            Stmt::If { .. } => ("if_else".into(), 1),
            Stmt::For { .. } => ("for_loop".into(), 1),
            Stmt::While { .. } => ("while_loop".into(), 1),
            Stmt::Switch { .. } => ("switch_case".into(), 1),
            Stmt::Box { .. } => ("box".into(), 1),
            // Declarations of registers without a value are no operation in either.
            Stmt::Declare { init: None, .. } => continue,
            _ => return None,
        };
        *m.entry(name).or_insert(0) += n;
    }
    Some(m)
}

/// Check one program; `Ok(true)` when its counts were compared with Qiskit's.
fn check_program(name: &str, entry: &Json) -> Result<bool, String> {
    let parsed = eqisa_qasm::parse_program_file(dir().join(name)).map_err(|e| e.to_string())?;
    let Parsed::Structured(p) = parsed else {
        return Err("not read as OpenQASM 3".into());
    };
    let bound = eqisa_qasm::bind(&p, &inputs(entry)).map_err(|e| e.to_string())?;
    if let Some(n) = entry["num_qubits"].as_u64()
        && u64::from(p.circuit.num_qubits) != n
    {
        return Err(format!("{} qubits, expected {n}", p.circuit.num_qubits));
    }
    // Where Qiskit loads the program, its top-level counts are ours, but for gates it names
    // otherwise (its modified and user gates: `ch_o0`, `unitary`, …).
    let mut compared = false;
    if let (Some(want), Some(got)) = (entry["count_ops"].as_object(), top_level_counts(&p)) {
        let named_alike = want.keys().all(|k| got.contains_key(k));
        compared = named_alike;
        let want: BTreeMap<String, u64> = want
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(u64::MAX)))
            .collect();
        if named_alike && got != want {
            return Err(format!("top-level counts {got:?}, Qiskit's {want:?}"));
        }
    }
    let clbits = p.circuit.num_clbits as usize;
    if let Some(n) = entry["num_clbits"].as_u64()
        && clbits as u64 != n
    {
        return Err(format!("{clbits} clbits, expected {n}"));
    }
    let flat = flatten(&p, &bound, &FlattenLimits::default());
    if let Some(amps) = entry["statevector"].as_array() {
        let c = flat.as_ref().map_err(|e| format!("no flat circuit: {e}"))?;
        let state = statevector(c).map_err(|e| e.to_string())?;
        let got = state.amplitudes();
        if got.len() != amps.len() {
            return Err(format!("{} amplitudes, expected {}", got.len(), amps.len()));
        }
        for (k, (a, e)) in got.iter().zip(amps).enumerate() {
            let (re, im) = (
                e[0].as_f64().unwrap_or(f64::NAN),
                e[1].as_f64().unwrap_or(f64::NAN),
            );
            if (a.re - re).abs() > 1e-9 || (a.im - im).abs() > 1e-9 {
                return Err(format!("amplitude {k}: {a}, expected {re}{im:+}i"));
            }
        }
    }
    if let Some(want) = entry["distribution"].as_object() {
        let limits = OutcomeLimits::default();
        let dist = match &flat {
            Ok(c) => outcomes_with(c, &limits).map_err(|e| e.to_string())?,
            Err(e)
                if matches!(
                    e.kind,
                    FlattenErrorKind::RealTime { .. } | FlattenErrorKind::Unrepresentable { .. }
                ) =>
            {
                program_outcomes(&p, &bound, &limits).map_err(|e| e.to_string())?
            }
            Err(e) => return Err(format!("neither flat nor run: {e}")),
        };
        let got = marginal(&dist, clbits);
        let want: BTreeMap<String, f64> = want
            .iter()
            .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(f64::NAN)))
            .collect();
        let keys: std::collections::BTreeSet<&String> = got.keys().chain(want.keys()).collect();
        for k in keys {
            let (g, w) = (
                got.get(k).copied().unwrap_or(0.0),
                want.get(k).copied().unwrap_or(0.0),
            );
            if (g - w).abs() > 1e-9 {
                return Err(format!("outcome {k}: {g}, expected {w} (all: {got:?})"));
            }
        }
    }
    Ok(compared)
}

#[test]
fn every_reference_program_matches_its_expectation() {
    let expected = expected();
    let programs = expected["programs"].as_object().expect("programs");
    assert!(programs.len() >= 30, "the suite shrank: {}", programs.len());
    let failures: Vec<String> = programs
        .iter()
        .filter_map(|(name, entry)| {
            check_program(name, entry)
                .err()
                .map(|e| format!("{name}: {e}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_reference_program_is_in_the_expectations() {
    let expected = expected();
    let programs = expected["programs"].as_object().expect("programs");
    for f in std::fs::read_dir(dir()).expect("tests/qasm3") {
        let name = f.expect("entry").file_name().to_string_lossy().into_owned();
        if name.ends_with(".qasm") {
            assert!(programs.contains_key(&name), "{name} has no expectation");
        }
    }
}

/// The outcome distribution of a program of `circuits/programs`, marginal on its own clbits.
fn program_distribution(name: &str, inputs: &[(String, String)]) -> BTreeMap<String, f64> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../programs")
        .join(name);
    let Parsed::Structured(p) = eqisa_qasm::parse_program_file(path).expect("parses") else {
        panic!("{name} is OpenQASM 3");
    };
    let bound = eqisa_qasm::bind(&p, inputs).expect("inputs");
    let dist = program_outcomes(&p, &bound, &OutcomeLimits::default()).expect("runs");
    marginal(&dist, p.circuit.num_clbits as usize)
}

#[test]
fn the_example_programs_give_their_documented_distributions() {
    // A bit-flip code holds (cos 0.3)|000> + (sin 0.3)|111> through a thousand rounds of
    // syndrome measurement and correction; the syndrome of the last round is 00.
    let d = program_distribution("syndrome_rounds.qasm3", &[]);
    let c2 = 0.3f64.cos().powi(2);
    assert_eq!(d.len(), 2, "{d:?}");
    assert!((d["00000"] - c2).abs() < 1e-9, "{d:?}");
    assert!((d["11100"] - (1.0 - c2)).abs() < 1e-9, "{d:?}");
    // Repeat until success: c is 1 unless ten tries failed (2^-10); then rx(theta) on |1>
    // leaves 1 with probability cos^2(theta / 2).
    let d = program_distribution(
        "repeat_until_success.qasm3",
        &[("theta".into(), "1.2".into())],
    );
    let (fail, one) = (2f64.powi(-10), 0.6f64.cos().powi(2));
    let want = [
        ("11", (1.0 - fail) * one),
        ("01", (1.0 - fail) * (1.0 - one)),
        ("10", fail * (1.0 - one)),
        ("00", fail * one),
    ];
    for (k, p) in want {
        assert!((d[k] - p).abs() < 1e-9, "{k}: {d:?}");
    }
}

/// `pow(k) @ g` with an integer exponent known only by running is the gate repeated k times
/// (`inv @ g` for negative k): S^-2 = Z after a Hadamard, X^3 = X.
#[test]
fn a_power_with_a_run_time_exponent_repeats_the_gate() {
    let text = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit q;\nint k = -2;\nh q;\n\
                pow(k) @ s q;\nuint[2] n = 3;\nqubit r;\npow(n) @ x r;\n";
    let c = eqisa_qasm::parse_str(text, "pow.qasm3").expect("parses");
    let state = statevector(&c).expect("simulates");
    let a = state.amplitudes();
    let h = std::f64::consts::FRAC_1_SQRT_2;
    let want = [(0b10, h), (0b11, -h)];
    for (k, amp) in a.iter().enumerate() {
        let w = want.iter().find(|(i, _)| *i == k).map_or(0.0, |(_, v)| *v);
        assert!(
            (amp.re - w).abs() < 1e-12 && amp.im.abs() < 1e-12,
            "{k}: {amp}"
        );
    }
}
