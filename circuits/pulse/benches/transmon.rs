//! The transmon simulator's cost per waveform: `evolve` of a 160-sample DRAG pulse (a typical
//! single-qubit gate), of a 22,400-sample flat-topped pulse (a long cross-resonance or readout
//! tone, whose flat top is one run of equal samples), of 22,400 samples that all differ (the worst
//! case, e.g. a lossy reconstruction of that tone), and one `added_infidelity_to` call, what the
//! pulse encoder runs per candidate reconstruction.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use eqisa_pulse::transmon::Transmon;
use num_complex::Complex64;

const DT: f64 = 2.0 / 9.0;

/// `amp·(f + i·β·f′)` with `f` the lifted Gaussian, on `duration` samples.
fn drag(duration: usize, amp: f64, sigma: f64, beta: f64) -> Vec<Complex64> {
    let mu = duration as f64 / 2.0;
    let g = |x: f64| (-(x - mu) * (x - mu) / (2.0 * sigma * sigma)).exp();
    let g0 = g(-1.0);
    (0..duration)
        .map(|x| {
            let x = x as f64;
            let f = (g(x) - g0) / (1.0 - g0);
            let df = -(x - mu) / (sigma * sigma) * g(x) / (1.0 - g0);
            Complex64::new(amp * f, amp * beta * df)
        })
        .collect()
}

/// A Gaussian-square pulse: Gaussian rise and fall of `2·rise` samples around a flat top.
fn gaussian_square(duration: usize, amp: f64, sigma: f64, rise: usize) -> Vec<Complex64> {
    let edge = drag(2 * rise, amp, sigma, 0.0);
    (0..duration)
        .map(|k| {
            if k < rise {
                edge[k]
            } else if k >= duration - rise {
                edge[2 * rise - (duration - k)]
            } else {
                Complex64::new(amp, 0.0)
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut t = Transmon::new(3, -0.34, DT).expect("valid model");
    let x = drag(160, 0.18, 40.0, 1.05);
    t.calibrate(&x).expect("calibrates");

    let flat = gaussian_square(22_400, 0.05, 64.0, 256);
    let ragged: Vec<Complex64> = flat
        .iter()
        .enumerate()
        .map(|(k, s)| s + Complex64::new(1e-4 * (k as f64 * 0.7).sin(), 0.0))
        .collect();

    let mut group = c.benchmark_group("transmon_evolve");
    for (name, wave) in [
        ("drag", &x),
        ("gaussian_square", &flat),
        ("all_distinct", &ragged),
    ] {
        group.throughput(Throughput::Elements(wave.len() as u64));
        group.bench_with_input(BenchmarkId::new(name, wave.len()), wave, |b, w| {
            b.iter(|| t.evolve(black_box(w), 0.0))
        });
    }
    group.finish();

    let reference = t.evolve(&x, 0.0);
    let perturbed: Vec<Complex64> = x.iter().map(|s| s * 1.0001).collect();
    c.bench_function("transmon_added_infidelity_to/drag/160", |b| {
        b.iter(|| t.added_infidelity_to(black_box(&reference), black_box(&perturbed), 0.0))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
