//! Parse-and-validate throughput on the largest corpus circuit (9.4 MB of OpenQASM 2) and on a
//! repository example. Compare with `../shared/tools/peer-bench parse FILE` (Qiskit's loader).

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.sample_size(10);
    let big = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/mqt/native_heron/grover_native_ibm_heron_n16.qasm");
    if let Ok(meta) = std::fs::metadata(&big) {
        g.throughput(Throughput::Bytes(meta.len()));
        g.bench_function("grover_native_ibm_heron_n16", |b| {
            b.iter(|| eqisa_qasm::parse_file(&big).map(|c| c.ops.len()))
        });
    } else {
        eprintln!("skipping the corpus benchmark: {} not found", big.display());
    }
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/qft4.qasm");
    if let Ok(text) = std::fs::read_to_string(&example) {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function("example_qft4", |b| {
            b.iter(|| eqisa_qasm::parse_str(&text, "qft4.qasm").map(|c| c.ops.len()))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
