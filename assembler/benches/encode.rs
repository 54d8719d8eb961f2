//! Assembler encoding throughput, in operations per second: `assemble()` of already-lowered
//! programs (the instruction model and range coder, the program and metadata sections, the
//! container), not parsing or lowering. The programs are those of the decoder's benchmark: the
//! largest MQT Bench Grover circuit for IBM Heron in `../shared` (or a synthetic 16-qubit circuit
//! when that corpus is absent) on the native target, and an 8-qubit QFT on Clifford+T.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eqisa_assembler::assemble;
use eqisa_lower::clifford_t::{Budget, Synth};
use eqisa_lower::program::NativeProgram;
use eqisa_lower::target::{TargetDesc, TargetKind};
use eqisa_lower::{LowerOptions, lower};
use eqisa_test_support::{BenchCircuit, bench_circuits, flat_codebook};

fn lowered(bench: BenchCircuit, kind: TargetKind) -> (String, NativeProgram, TargetDesc) {
    let circuit = eqisa_qasm::parse_str(&bench.qasm, &bench.file).expect("parses");
    let target = TargetDesc::default_for(kind);
    let opts = LowerOptions {
        synth: Synth::Gridsynth,
        budget: Budget::Fidelity(0.99),
    };
    let program = lower(&circuit, &target, &opts).expect("lowers").program;
    (bench.name, program, target)
}

fn programs() -> Vec<(String, NativeProgram, TargetDesc)> {
    let [native, clifford_t] = bench_circuits();
    vec![
        lowered(native, TargetKind::Native),
        lowered(clifford_t, TargetKind::CliffordT),
    ]
}

fn bench(c: &mut Criterion) {
    let (cb, hash) = flat_codebook();
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
