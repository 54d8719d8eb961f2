//! The circuits the assembler's and the decoder's benchmarks measure: the largest Grover circuit
//! of the shared corpus when it is there, and the OpenQASM text of stand-ins that need nothing
//! outside the repository.

use std::path::PathBuf;

use crate::paths::corpus_root;
use crate::rng::Rng;

/// A circuit a benchmark measures.
pub struct BenchCircuit {
    /// The benchmark's name for it (`native/…`, `clifford_t/…`).
    pub name: String,
    /// The file name to parse it as.
    pub file: String,
    /// Its OpenQASM text.
    pub qasm: String,
}

/// The two circuits the assembler's and the decoder's benchmarks measure: for the native target,
/// the corpus's largest Grover circuit for IBM Heron (or [`synthetic_native_qasm`] of 22 000
/// layers when the corpus is absent); for Clifford+T, the corpus's 8-qubit QFT (or
/// [`qft_qasm`]`(8)`).
pub fn bench_circuits() -> [BenchCircuit; 2] {
    let native = largest_native_grover()
        .and_then(|path| {
            let stem = path.file_stem()?.to_string_lossy().into_owned();
            let file = path.file_name()?.to_string_lossy().into_owned();
            let qasm = std::fs::read_to_string(&path).ok()?;
            Some(BenchCircuit {
                name: format!("native/{stem}"),
                file,
                qasm,
            })
        })
        .unwrap_or_else(|| BenchCircuit {
            name: "native/synthetic_16q".into(),
            file: "synthetic_native.qasm".into(),
            qasm: synthetic_native_qasm(22_000),
        });
    let qft8 = std::fs::read_to_string(corpus_root().join("mqt/indep/qft_indep_n8.qasm"))
        .unwrap_or_else(|_| qft_qasm(8));
    let clifford_t = BenchCircuit {
        name: "clifford_t/qft8".into(),
        file: "qft.qasm".into(),
        qasm: qft8,
    };
    [native, clifford_t]
}

/// The largest `grover*` file of the corpus's native Heron circuits (`mqt/native_heron`), or
/// `None`, without a note, when the corpus is absent.
pub fn largest_native_grover() -> Option<PathBuf> {
    std::fs::read_dir(corpus_root().join("mqt/native_heron"))
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("grover"))
        .max_by_key(|e| e.metadata().map_or(0, |m| m.len()))
        .map(|e| e.path())
}

/// OpenQASM 2 text of 16 qubits in `layers` layers: a random-angle rz and an sx on every qubit,
/// then cz on alternating pairs; every qubit measured at the end. The angles are the same on
/// every call.
pub fn synthetic_native_qasm(layers: usize) -> String {
    let mut qasm =
        String::from("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[16];\ncreg c[16];\n");
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    for layer in 0..layers {
        for q in 0..16 {
            let angle = rng.f64() * std::f64::consts::TAU;
            qasm.push_str(&format!("rz({angle}) q[{q}];\nsx q[{q}];\n"));
        }
        for q in (layer % 2..15).step_by(2) {
            qasm.push_str(&format!("cz q[{q}], q[{}];\n", q + 1));
        }
    }
    qasm.push_str("measure q -> c;\n");
    qasm
}

/// OpenQASM 2 text of an `n`-qubit QFT (controlled phases and the final swaps), every qubit
/// measured at the end.
pub fn qft_qasm(n: usize) -> String {
    let mut qasm = format!("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[{n}];\ncreg c[{n}];\n");
    for i in (0..n).rev() {
        qasm.push_str(&format!("h q[{i}];\n"));
        for j in (0..i).rev() {
            qasm.push_str(&format!("cu1(pi/{}) q[{j}], q[{i}];\n", 1u64 << (i - j)));
        }
    }
    for i in 0..n / 2 {
        qasm.push_str(&format!("swap q[{i}], q[{}];\n", n - 1 - i));
    }
    qasm.push_str("measure q -> c;\n");
    qasm
}
