//! Parse-and-validate throughput on the largest corpus circuit (9.4 MB of OpenQASM 2) and on a
//! repository example. Compare with `../shared/tools/peer-bench parse FILE` (Qiskit's loader).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eqisa_test_support::{corpus_path, example};

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.sample_size(10);
    // `corpus_path` says on stderr that the corpus benchmark is skipped when the file is absent.
    if let Some(big) = corpus_path("mqt/native_heron/grover_native_ibm_heron_n16.qasm")
        && let Ok(meta) = std::fs::metadata(&big)
    {
        g.throughput(Throughput::Bytes(meta.len()));
        g.bench_function("grover_native_ibm_heron_n16", |b| {
            b.iter(|| eqisa_qasm::parse_file(&big).map(|c| c.ops.len()))
        });
    }
    if let Ok(text) = std::fs::read_to_string(example("qft4.qasm")) {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function("example_qft4", |b| {
            b.iter(|| eqisa_qasm::parse_str(&text, "qft4.qasm").map(|c| c.ops.len()))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
