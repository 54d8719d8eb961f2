//! Lowering every corpus file that parses (skipped without the corpus), to both targets (the
//! native one with exact and with quantised angles): it must succeed, use only the target's
//! operations, meet the fidelity budget, and — wherever the state can be checked exactly (static
//! circuits of at most 10 qubits) — prepare the source's state at least as faithfully as the
//! reported bound and the budget say.

use eqisa_test_support as common;

use eqisa_lower::clifford_t::{Budget, Synth};
use eqisa_lower::program::NativeOp;
use eqisa_lower::state::exact_fidelity;
use eqisa_lower::target::{TargetDesc, TargetKind};
use eqisa_lower::{LowerOptions, Lowered, lower};

const NATIVE_OPS: [&str; 8] = [
    "rz", "sx", "x", "cz", "measure", "reset", "barrier", "delay",
];

/// Lower the whole corpus to `kind` with `opts`; `min_bound` is the least acceptable fidelity
/// bound (and exact fidelity); `check` finds anything else wrong with a program.
fn lower_corpus(
    kind: TargetKind,
    opts: &LowerOptions,
    allowed: &[&str],
    min_bound: f64,
    check: &dyn Fn(&Lowered) -> Option<String>,
) {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let target = TargetDesc::default_for(kind);
    let (mut lowered, mut verified) = (0, 0);
    let mut failures = Vec::new();
    for rec in common::reference(&dir) {
        let file = rec["file"].as_str().expect("file");
        let Ok(c) = eqisa_qasm::parse_file(dir.join(file)) else {
            continue;
        };
        let l = match lower(&c, &target, opts) {
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
        if let Some(problem) = check(&l) {
            failures.push(format!("{file}: {problem}"));
        }
        if rec.get("statevector").is_some() {
            match exact_fidelity(&c, &l.program) {
                Some(f) if f + 1e-9 >= l.fidelity_bound.max(min_bound) => verified += 1,
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

/// With an exact budget the native target keeps raw f64 angles: bound 1, and exact fidelity 1
/// within rounding.
#[test]
fn every_corpus_circuit_lowers_to_native_exactly() {
    let opts = LowerOptions {
        synth: Synth::Gridsynth,
        budget: Budget::Exact,
    };
    lower_corpus(TargetKind::Native, &opts, &NATIVE_OPS, 1.0, &|l| {
        (l.program.angle_bits != eqisa_isa::angle::RAW)
            .then(|| format!("angle bits {}", l.program.angle_bits))
    });
}

/// At the default budget (0.999) the native target quantises its rz angles: every angle on the
/// grid of the program's precision, and the budget met by exact simulation.
#[test]
fn every_corpus_circuit_lowers_to_native_within_budget() {
    lower_corpus(
        TargetKind::Native,
        &LowerOptions::default(),
        &NATIVE_OPS,
        0.999,
        &|l| {
            let b = l.program.angle_bits;
            if b == eqisa_isa::angle::RAW {
                return Some("angles not quantised".into());
            }
            l.program.ops.iter().find_map(|o| match o.op {
                NativeOp::Rz(a) if a.to_bits() != eqisa_isa::angle::snap(a, b).to_bits() => {
                    Some(format!("rz({a}) is not on the {b}-bit grid"))
                }
                _ => None,
            })
        },
    );
}

/// Clifford+T at the default budget (0.999).
#[test]
fn every_corpus_circuit_lowers_to_clifford_t_within_budget() {
    let allowed = [
        "h", "s", "sdg", "t", "tdg", "x", "y", "z", "cx", "measure", "reset", "barrier", "delay",
    ];
    lower_corpus(
        TargetKind::CliffordT,
        &LowerOptions::default(),
        &allowed,
        0.999,
        &|l| (l.program.angle_bits != 0).then(|| "angle bits on Clifford+T".into()),
    );
}
