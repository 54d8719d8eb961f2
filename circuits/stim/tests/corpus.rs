//! Every `.stim` file of the shared corpus parses; where Stim's own OpenQASM 2 export sits
//! beside it, the flattened program is the exported circuit, op for op.

use std::path::{Path, PathBuf};

use eqisa_ir::Circuit;
use eqisa_ir::circuit::{GateKind, Op};
use eqisa_ir::program::flatten::{FlattenLimits, flatten};
use eqisa_ir::unroll::unroll;
use eqisa_stim::{parse_stim, parse_stim_file};
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

/// The skipped counts are the instructions as written: what `grep -c '^\s*NAME\b'` finds.
#[test]
fn skipped_counts_are_grep_counts() {
    let Some(dir) = corpus_path("qec") else {
        return;
    };
    for path in stim_files(&dir) {
        let text = std::fs::read_to_string(&path).expect("read");
        let p = parse_stim_file(&path).unwrap_or_else(|e| panic!("{e}"));
        for (name, count) in &p.skipped {
            let grep = text
                .lines()
                .filter(|l| {
                    let l = l.trim_start();
                    l.strip_prefix(name.as_str())
                        .is_some_and(|r| r.starts_with(['(', ' ', '[']) || r.is_empty())
                })
                .count() as u64;
            assert_eq!(*count, grep, "{}: {name}", path.display());
        }
        let names: Vec<&str> = p.skipped.iter().map(|(n, _)| n.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(names.contains(&"DETECTOR"), "{}", path.display());
    }
    let z3 = corpus_path("qec/surface_code_rotated_memory_z_d3_r10.stim");
    if let Some(z3) = z3 {
        let p = parse_stim_file(z3).unwrap();
        let want = [
            ("DETECTOR", 16),
            ("OBSERVABLE_INCLUDE", 1),
            ("QUBIT_COORDS", 17),
            ("SHIFT_COORDS", 1),
        ];
        let got: Vec<(&str, u64)> = p.skipped.iter().map(|(n, c)| (n.as_str(), *c)).collect();
        assert_eq!(got, want);
    }
}

/// Random byte and line mutations of a corpus file never panic (errors are fine).
#[test]
fn mutated_corpus_files_never_panic() {
    let Some(path) = corpus_path("qec/surface_code_rotated_memory_z_d3_r10.stim") else {
        return;
    };
    let text = std::fs::read(path).expect("read");
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    let mut rng = eqisa_test_support::rng::Rng::new(0x5715);
    const ALPHABET: &[u8] = b" \t\n{}[]()!*#-+.,0123456789XYZrecsweepREPEATMPCX_";
    for round in 0..600 {
        let mut bytes = text.clone();
        match round % 3 {
            0 => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.index(bytes.len());
                    bytes[i] = if rng.below(2) == 0 {
                        ALPHABET[rng.index(ALPHABET.len())]
                    } else {
                        rng.below(256) as u8
                    };
                }
            }
            1 => {
                // Lines shuffled, dropped or repeated.
                let mut out = Vec::new();
                for _ in 0..lines.len() {
                    out.extend_from_slice(lines[rng.index(lines.len())]);
                    out.push(b'\n');
                }
                bytes = out;
            }
            _ => {
                let at = rng.index(bytes.len());
                let len = rng.index(64).min(bytes.len() - at);
                let piece: Vec<u8> = bytes[at..at + len].to_vec();
                let to = rng.index(bytes.len());
                bytes.splice(to..to, piece);
            }
        }
        let s = String::from_utf8_lossy(&bytes);
        if let Ok(p) = parse_stim(&s, "m.stim") {
            // What parses also flattens or refuses cleanly.
            let _ = flatten(
                &p.program,
                &[],
                &FlattenLimits {
                    max_ops: 1 << 20,
                    max_steps: 1 << 20,
                    max_call_depth: 8,
                },
            );
        }
    }
}
