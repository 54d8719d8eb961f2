//! Every `.stim` file of the shared corpus parses; where Stim's own OpenQASM 2 export sits
//! beside it, the flattened program is the exported circuit, op for op.

use std::path::{Path, PathBuf};

use eqisa_ir::Circuit;
use eqisa_ir::circuit::{GateKind, Op};
use eqisa_ir::program::flatten::{FlattenLimits, flatten};
use eqisa_ir::unroll::unroll;
use eqisa_stim::parse_stim_file;
use eqisa_test_support::paths::corpus_path;

fn stim_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "stim"))
        .collect();
    v.sort();
    v
}

/// A circuit's operations in a form two front ends can agree on: gate names with angles to
/// 1e-9, qubits, clbits, barriers.
fn ops(c: &Circuit) -> Vec<String> {
    let c = unroll(c).expect("unroll");
    let mut out = Vec::new();
    for op in &c.ops {
        out.push(match *op {
            Op::Gate { gate, args, params } => {
                let e = c.gate(gate);
                let name = match &e.kind {
                    GateKind::Standard(g) => g.name().to_lowercase(),
                    other => format!("{other:?}"),
                };
                let (qs, ps) = c.gate_operands(gate, args, params);
                let ps: Vec<String> = ps.iter().map(|p| format!("{:.9}", p)).collect();
                format!("{name}({}) {qs:?}", ps.join(","))
            }
            Op::Measure { qubit, clbit } => format!("measure {qubit} -> {clbit}"),
            Op::Reset { qubit } => format!("reset {qubit}"),
            Op::Barrier { args, len } => format!("barrier {:?}", c.barrier_qubits(args, len)),
            other => format!("{other:?}"),
        });
    }
    out
}

#[test]
fn corpus_stim_files_parse_and_match_stims_export() {
    let Some(dir) = corpus_path("qec") else {
        return;
    };
    let mut compared = 0;
    for path in stim_files(&dir) {
        let p = parse_stim_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let qasm = path.with_extension("qasm");
        // The 1000-round files are large; the 100-round ones cover the same instructions.
        if !qasm.is_file() || name.contains("r1000") {
            continue;
        }
        let flat = flatten(&p.program, &[], &FlattenLimits::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let reference = eqisa_qasm::parse_file(&qasm).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(flat.num_qubits, reference.num_qubits, "{name}");
        assert_eq!(flat.num_clbits, reference.num_clbits, "{name}");
        let (a, b) = (ops(&flat), ops(&reference));
        if let Some(k) = a.iter().zip(&b).position(|(x, y)| x != y) {
            panic!("{name}: op {k} differs: {} vs {}", a[k], b[k]);
        }
        assert_eq!(a.len(), b.len(), "{name}");
        compared += 1;
    }
    assert!(compared >= 5, "compared {compared} files");
}
