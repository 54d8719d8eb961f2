//! Solovay–Kitaev over {H, T, T†}: building the basic approximations and decomposing
//! Haar-random single-qubit unitaries. Before the timings it prints, for depths 5 and 10 and
//! recursion 0–3, the mean gate count, mean infidelity (1 − average gate fidelity) and time per
//! unitary on 1000 Haar-random unitaries — the figures `../shared/tools/peer-bench/peer-bench sk
//! RECURSION 1000 DEPTH` prints for Qiskit. The unitaries differ from Qiskit's (another RNG), so
//! only the means compare; at recursion 3 the mean infidelity is dominated by a few bad cases and
//! needs this many samples to settle within a few per cent.

use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use eqisa_ir::matrix::{C64, Matrix};
use eqisa_synth::average_gate_fidelity;
use eqisa_synth::sk::SolovayKitaev;
use eqisa_test_support::Rng;

/// Haar-random U(2) matrices from the tests' seeded generator: a uniform point on S³ (Haar on
/// SU(2)), times a uniform global phase.
fn haar_unitaries(n: usize, seed: u64) -> Vec<Matrix> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let [w, x, y, z] = rng.unit_quaternion();
            let phase = 2.0 * std::f64::consts::PI * rng.f64();
            Matrix::from_vec(
                1,
                vec![
                    C64::new(w, -z),
                    C64::new(-y, -x),
                    C64::new(y, -x),
                    C64::new(w, z),
                ],
            )
            .with_phase(phase)
        })
        .collect()
}

/// The comparison table: one line per (depth, recursion).
fn print_summary(us: &[Matrix]) {
    eprintln!("sk summary over {} Haar-random unitaries", us.len());
    eprintln!("depth  basics  recursion  mean_gates  mean_infidelity  ms_per_unitary");
    for depth in [5, 10] {
        let sk = SolovayKitaev::new(depth).expect("depth within MAX_DEPTH");
        for recursion in 0..=3 {
            // Best of a few passes, to keep one-off noise out of the per-unitary time.
            let mut best = f64::INFINITY;
            let mut words = Vec::new();
            for _ in 0..3 {
                let start = Instant::now();
                words = us.iter().map(|u| sk.run(u, recursion)).collect();
                best = best.min(start.elapsed().as_secs_f64());
            }
            let (mut gates, mut infid) = (0.0, 0.0);
            for (w, u) in words.iter().zip(us) {
                match w {
                    Ok(w) => {
                        gates += w.gates.len() as f64;
                        infid += 1.0 - average_gate_fidelity(&w.matrix(), u);
                    }
                    Err(e) => eprintln!("unexpected error: {e}"),
                }
            }
            let n = us.len() as f64;
            eprintln!(
                "{depth:>5}  {:>6}  {recursion:>9}  {:>10.2}  {:>15.3e}  {:>14.4}",
                sk.basic_approximation_count(),
                gates / n,
                infid / n,
                best / n * 1e3
            );
        }
    }
}

fn bench_sk(c: &mut Criterion) {
    print_summary(&haar_unitaries(1000, 1));
    let us = haar_unitaries(50, 2);

    let mut g = c.benchmark_group("sk");
    g.bench_function("new_depth10", |b| {
        b.iter(|| SolovayKitaev::new(black_box(10)).expect("depth within MAX_DEPTH"))
    });
    let sk = SolovayKitaev::new(10).expect("depth within MAX_DEPTH");
    // Time per unitary: each iteration decomposes all 50.
    g.throughput(Throughput::Elements(us.len() as u64));
    for recursion in [1, 3] {
        g.bench_with_input(
            BenchmarkId::new("run_depth10", format!("rec{recursion}")),
            &recursion,
            |b, &r| {
                b.iter(|| {
                    us.iter()
                        .map(|u| sk.run(black_box(u), r).map_or(0, |w| w.gates.len()))
                        .sum::<usize>()
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, bench_sk);
criterion_main!(benches);
