//! Streaming decoder throughput, in native operations per second: a large native program (the
//! largest MQT Bench Grover circuit for IBM Heron in `../shared`, or a synthetic 16-qubit circuit
//! when that corpus is absent) and a Clifford+T program (an 8-qubit QFT at fidelity 0.99,
//! gridsynth). Parsing, lowering and assembling happen once, outside the measurement; each
//! iteration feeds the whole `.eqb` to a fresh [`Decoder`] and counts the instructions it
//! releases, without collecting them.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eqisa_assembler::assemble;
use eqisa_decoder::{Decoder, Fed, feed_chunks};
use eqisa_ir::Circuit;
use eqisa_isa::IsaError;
use eqisa_isa::codebook::Codebook;
use eqisa_isa::model::Priors;
use eqisa_lower::clifford_t::{Budget, Synth};
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

/// A program assembled with the flat codebook: its name, bytes and instruction count.
struct Program {
    name: String,
    bytes: Vec<u8>,
    ops: u64,
}

fn program(name: String, circuit: &Circuit, kind: TargetKind) -> Program {
    let (cb, hash) = codebook();
    let target = TargetDesc::default_for(kind);
    let opts = LowerOptions {
        synth: Synth::Gridsynth,
        budget: Budget::Fidelity(0.99),
    };
    let lowered = lower(circuit, &target, &opts).expect("lowers");
    let asm = assemble(&lowered.program, &target, &cb, hash).expect("assembles");
    let ops = lowered.program.ops.len() as u64;
    eprintln!(
        "{name}: {ops} ops, {} bytes ({:.2} bits/op), {} blocks, explicit timing {}",
        asm.bytes.len(),
        asm.bytes.len() as f64 * 8.0 / ops as f64,
        asm.blocks,
        asm.explicit_timing
    );
    Program {
        name,
        bytes: asm.bytes,
        ops,
    }
}

fn programs() -> Vec<Program> {
    let native = match largest_grover() {
        Some(path) => {
            let c = eqisa_qasm::parse_file(&path).expect("parses");
            let name = path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            program(format!("native/{name}"), &c, TargetKind::Native)
        }
        None => program(
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
        program("clifford_t/qft8".into(), &qft8, TargetKind::CliffordT),
    ]
}

/// Feed the whole program to a fresh decoder and count what it releases.
fn decode_count(bytes: &[u8], priors: &Priors, hash: [u8; 32]) -> u64 {
    let mut dec = Decoder::new(priors, hash);
    let mut rest = bytes;
    // Whole blocks at a time, as firmware would run it (the helper drains block by block); the
    // decoder counts, so the loop adds nothing per instruction but `black_box`.
    let fed = feed_chunks(&mut dec, &mut rest, usize::MAX, |i| {
        black_box(i);
        Ok::<(), IsaError>(())
    });
    match fed {
        Ok(Fed::End) => dec.ops_done(),
        Ok(other) => panic!("decoder stopped early: {other:?}"),
        Err(e) => panic!("decode failed: {e}"),
    }
}

fn bench(c: &mut Criterion) {
    let (cb, hash) = codebook();
    let mut g = c.benchmark_group("decode");
    for p in programs() {
        assert_eq!(decode_count(&p.bytes, &cb.priors, hash), p.ops);
        g.throughput(Throughput::Elements(p.ops));
        g.bench_function(&p.name, |b| {
            b.iter(|| decode_count(black_box(&p.bytes), &cb.priors, hash))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
