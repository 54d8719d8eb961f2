//! Assembler encoding throughput, in operations per second: `assemble()` of already-lowered
//! programs (the instruction model and range coder, the program and metadata sections, the
//! container), not parsing or lowering. The programs are those of the decoder's benchmark: the
//! largest MQT Bench Grover circuit for IBM Heron in `../shared` (or a synthetic 16-qubit circuit
//! when that corpus is absent) on the native target, and an 8-qubit QFT on Clifford+T.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eqisa_assembler::assemble;
use eqisa_ir::Circuit;
use eqisa_isa::codebook::Codebook;
use eqisa_isa::model::Priors;
use eqisa_lower::clifford_t::{Budget, Synth};
use eqisa_lower::program::NativeProgram;
use eqisa_lower::target::{TargetDesc, TargetKind};
use eqisa_lower::{LowerOptions, lower};

fn codebook() -> (Codebook, [u8; 32]) {
    let cb = Codebook {
        description: "flat bench codebook".into(),
        priors: Priors::default(),
        paper_dictionary: None,
        training: String::new(),
    };
    let h = cb.hash();
    (cb, h)
}

fn shared(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/corpus")
        .join(dir)
}

/// The largest `grover*` file of the native Heron corpus, if the corpus is there.
fn largest_grover() -> Option<PathBuf> {
    std::fs::read_dir(shared("mqt/native_heron"))
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("grover"))
        .max_by_key(|e| e.metadata().map_or(0, |m| m.len()))
        .map(|e| e.path())
}

/// 16 qubits, layers of random-angle rz and sx on every qubit and cz on alternating pairs.
fn synthetic_native(layers: usize) -> Circuit {
    let mut qasm =
        String::from("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[16];\ncreg c[16];\n");
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for layer in 0..layers {
        for q in 0..16 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let angle = (x >> 11) as f64 / (1u64 << 53) as f64 * std::f64::consts::TAU;
            qasm.push_str(&format!("rz({angle}) q[{q}];\nsx q[{q}];\n"));
        }
        for q in (layer % 2..15).step_by(2) {
            qasm.push_str(&format!("cz q[{q}], q[{}];\n", q + 1));
        }
    }
    qasm.push_str("measure q -> c;\n");
    eqisa_qasm::parse_str(&qasm, "synthetic_native.qasm").expect("parses")
}

/// An n-qubit QFT (controlled phases and final swaps).
fn qft(n: usize) -> Circuit {
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
    eqisa_qasm::parse_str(&qasm, "qft.qasm").expect("parses")
}

fn lowered(
    name: String,
    circuit: &Circuit,
    kind: TargetKind,
) -> (String, NativeProgram, TargetDesc) {
    let target = TargetDesc::default_for(kind);
    let opts = LowerOptions {
        synth: Synth::Gridsynth,
        budget: Budget::Fidelity(0.99),
    };
    let program = lower(circuit, &target, &opts).expect("lowers").program;
    (name, program, target)
}

fn programs() -> Vec<(String, NativeProgram, TargetDesc)> {
    let native = match largest_grover() {
        Some(path) => {
            let c = eqisa_qasm::parse_file(&path).expect("parses");
            let name = path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            lowered(format!("native/{name}"), &c, TargetKind::Native)
        }
        None => lowered(
            "native/synthetic_16q".into(),
            &synthetic_native(22_000),
            TargetKind::Native,
        ),
    };
    let qft8 = match eqisa_qasm::parse_file(shared("mqt/indep/qft_indep_n8.qasm")) {
        Ok(c) => c,
        Err(_) => qft(8),
    };
    vec![
        native,
        lowered("clifford_t/qft8".into(), &qft8, TargetKind::CliffordT),
    ]
}

fn bench(c: &mut Criterion) {
    let (cb, hash) = codebook();
    let mut g = c.benchmark_group("encode");
    for (name, program, target) in programs() {
        let ops = program.ops.len() as u64;
        let asm = assemble(&program, &target, &cb, hash).expect("assembles");
        eprintln!(
            "{name}: {ops} ops, {} bytes, {} blocks",
            asm.bytes.len(),
            asm.blocks
        );
        g.throughput(Throughput::Elements(ops));
        g.bench_function(&name, |b| {
            b.iter(|| {
                assemble(black_box(&program), &target, &cb, hash)
                    .expect("assembles")
                    .bytes
                    .len()
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
