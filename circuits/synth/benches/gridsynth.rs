//! Gridsynth time per angle and T-count on a fixed set of angles, at ε = 1e-4, 1e-6 and 1e-10.
//! Compare with `../shared/tools/peer-bench/peer-bench gridsynth EPS 20` (pygridsynth 2.0 on the
//! same 20 angles). One criterion iteration synthesises all 20 angles, so divide the reported
//! time by 20 for the time per angle (also printed directly below).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eqisa_synth::gridsynth::synthesize_rz;

/// The angles peer-bench uses: `numpy.random.default_rng(1)`, 20 draws of `uniform(0, 2π)`.
const ANGLES: [f64; 20] = [
    3.2158701122134374,
    5.971939531762716,
    0.9057815605287021,
    5.960540267916768,
    1.9592947975887585,
    2.659838524324996,
    5.200608776207033,
    2.57107400134529,
    3.453198983306014,
    0.17315901540774553,
    4.734462493192759,
    3.381254158776311,
    2.0717654764182005,
    4.953843645140002,
    1.9050292966180866,
    2.8494112760217813,
    0.8422088226928,
    2.532833593577886,
    1.2783469788850699,
    1.6481633265414255,
];

/// Synthesises every angle; returns the total T-count and gate count.
fn run(epsilon: f64) -> (usize, usize) {
    ANGLES.iter().fold((0, 0), |(t, g), &theta| {
        match synthesize_rz(theta, epsilon) {
            Ok(w) => (t + w.t_count(), g + w.gates.len()),
            Err(e) => panic!("rz({theta}) at {epsilon}: {e}"),
        }
    })
}

fn bench_gridsynth(c: &mut Criterion) {
    let mut g = c.benchmark_group("gridsynth");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ANGLES.len() as u64));
    for epsilon in [1e-4, 1e-6, 1e-10] {
        // One timed pass for the summary line (criterion's figures follow).
        let start = Instant::now();
        let (t, gates) = run(epsilon);
        let per_angle = start.elapsed().as_secs_f64() / ANGLES.len() as f64;
        let n = ANGLES.len() as f64;
        println!(
            "gridsynth eps={epsilon:e}: {:.3} ms/angle (single pass), mean T-count {:.2}, mean gates {:.2} over {} angles",
            per_angle * 1e3,
            t as f64 / n,
            gates as f64 / n,
            ANGLES.len()
        );
        g.bench_function(format!("rz_20_angles_eps_{epsilon:e}"), |b| {
            b.iter(|| run(black_box(epsilon)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_gridsynth);
criterion_main!(benches);
