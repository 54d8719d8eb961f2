//! The Clifford+T target against the EQISA paper's own runs (`../shared/corpus/paper/
//! eqisa_benchmarks.csv`, skipped without the corpus): for every MQT Bench `indep` circuit of
//! 2–6 qubits at fidelity 0.99, the lowered program meets the fidelity, checked exactly on the
//! state vector, with fewer gates than the paper's program for the same benchmark (their gate
//! count is `sumbits binary / 2`: two bits per gate over {h, t, tdg, cx}).

use eqisa_test_support as common;

use std::collections::BTreeMap;

use eqisa_lower::clifford_t::{Budget, Synth};
use eqisa_lower::state::exact_fidelity;
use eqisa_lower::target::{TargetDesc, TargetKind};
use eqisa_lower::{LowerOptions, lower};

/// The paper's benchmark name for one of our files (MQT Bench renamed some since).
fn paper_name(file_stem: &str) -> Option<String> {
    let (base, n) = file_stem.split_once("_indep_n")?;
    let base = match base {
        "grover" => "grover-noancilla",
        "qwalk" => "qwalk-noancilla",
        "ae" | "dj" | "ghz" | "graphstate" | "qaoa" | "qft" | "qftentangled" | "qnn"
        | "qpeexact" | "qpeinexact" | "wstate" => base,
        _ => return None,
    };
    Some(format!("{base}_indep_qiskit_{n}"))
}

#[test]
fn fewer_gates_than_the_paper_at_fidelity_0_99() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let csv = std::fs::read_to_string(dir.join("paper/eqisa_benchmarks.csv")).expect("paper csv");
    let mut paper: BTreeMap<String, (u64, f64)> = BTreeMap::new();
    for line in csv.lines().skip(1) {
        let cols: Vec<&str> = line.split(';').collect();
        let bits: u64 = cols[2].parse().expect("sumbits binary");
        let fidelity: f64 = cols[18].parse().expect("fidelity");
        paper.insert(cols[0].to_string(), (bits / 2, fidelity));
    }
    let target = TargetDesc::default_for(TargetKind::CliffordT);
    let opts = LowerOptions {
        synth: Synth::Gridsynth,
        budget: Budget::Fidelity(0.99),
    };
    let mut compared = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir.join("mqt/indep"))
        .expect("indep dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let Some(n) = stem.rsplit("_n").next().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if !(2..=6).contains(&n) || path.extension().is_some_and(|e| e == "qasm3") {
            continue;
        }
        let c = eqisa_qasm::parse_file(&path).expect("parses");
        let l = match lower(&c, &target, &opts) {
            Ok(l) => l,
            Err(e) => {
                failures.push(format!("{stem}: {e}"));
                continue;
            }
        };
        let exact = exact_fidelity(&c, &l.program).expect("static and small");
        if exact < 0.99 || l.fidelity_bound < 0.99 || exact + 1e-9 < l.fidelity_bound {
            failures.push(format!("{stem}: exact {exact}, bound {}", l.fidelity_bound));
        }
        if let Some((paper_gates, _)) = paper_name(&stem).and_then(|p| paper.get(&p)) {
            let ours: u64 = l
                .program
                .counts()
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "measure" | "barrier" | "reset"))
                .map(|(_, v)| v)
                .sum();
            if ours >= *paper_gates {
                failures.push(format!("{stem}: {ours} gates, the paper {paper_gates}"));
            }
            compared += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        compared >= 60,
        "only {compared} benchmarks compared with the paper"
    );
}
