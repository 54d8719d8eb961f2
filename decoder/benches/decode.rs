//! Streaming decoder throughput, in native operations per second: a large native program (the
//! largest MQT Bench Grover circuit for IBM Heron in `../shared`, or a synthetic 16-qubit circuit
//! when that corpus is absent) and a Clifford+T program (an 8-qubit QFT at fidelity 0.99,
//! gridsynth). Parsing, lowering and assembling happen once, outside the measurement; each
//! iteration feeds the whole `.eqb` to a fresh [`Decoder`] and counts the instructions it
//! releases, without collecting them.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eqisa_assembler::assemble;
use eqisa_decoder::{Decoder, Fed, feed_chunks};
use eqisa_isa::IsaError;
use eqisa_isa::model::Priors;
use eqisa_lower::clifford_t::{Budget, Synth};
use eqisa_lower::target::{TargetDesc, TargetKind};
use eqisa_lower::{LowerOptions, lower};
use eqisa_test_support::{BenchCircuit, bench_circuits, flat_codebook};

/// A program assembled with the flat codebook: its name, bytes and instruction count.
struct Program {
    name: String,
    bytes: Vec<u8>,
    ops: u64,
}

fn program(bench: BenchCircuit, kind: TargetKind) -> Program {
    let name = bench.name;
    let circuit = eqisa_qasm::parse_str(&bench.qasm, &bench.file).expect("parses");
    let (cb, hash) = flat_codebook();
    let target = TargetDesc::default_for(kind);
    let opts = LowerOptions {
        synth: Synth::Gridsynth,
        budget: Budget::Fidelity(0.99),
    };
    let lowered = lower(&circuit, &target, &opts).expect("lowers");
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
    let [native, clifford_t] = bench_circuits();
    vec![
        program(native, TargetKind::Native),
        program(clifford_t, TargetKind::CliffordT),
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
    let (cb, hash) = flat_codebook();
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
