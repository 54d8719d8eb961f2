//! Fixed-point sample reconstruction throughput, in complex samples per second: the isa
//! definition ([`eqisa_isa::pulse::reconstruct_into`]) on a realistic sparse code (W = 32,
//! 256 unit-norm atoms, 2-3 terms per window, 16 waveforms of 65 536 samples = 32 768 windows),
//! and the per-sample play rotation. Output buffers are reused, as a decoder's play buffer is.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eqisa_isa::pulse::{
    AtomSet, CodedWaveform, MAX_WAVEFORM_SAMPLES, Term, WindowCode, reconstruct_into,
    rotate_samples,
};

const W: usize = 32;
const K: usize = 256;

/// SplitMix64, so the bench input is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// Random complex atoms scaled to unit L2 norm, in Q15.
fn atoms(rng: &mut Rng) -> AtomSet {
    let mut v = Vec::with_capacity(2 * W * K);
    for _ in 0..K {
        let raw: Vec<f64> = (0..2 * W).map(|_| rng.unit()).collect();
        let norm = raw.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.extend(raw.iter().map(|x| (x / norm * 32767.0).round() as i16));
    }
    AtomSet::new(W, v).expect("valid atoms")
}

/// A waveform of `len` samples, 2 or 3 terms per window, coefficients of a full-scale pulse
/// (about 12 bits) at shift 12.
fn waveform(rng: &mut Rng, len: usize) -> CodedWaveform {
    let windows = (0..len.div_ceil(W))
        .map(|_| {
            let n = 2 + (rng.next() % 2) as usize;
            let terms = (0..n)
                .map(|_| Term {
                    atom: (rng.next() % K as u64) as u16,
                    coef: [(rng.unit() * 8000.0) as i16, (rng.unit() * 8000.0) as i16],
                })
                .collect();
            WindowCode { shift: 12, terms }
        })
        .collect();
    CodedWaveform::Sparse {
        len: len as u32,
        windows,
    }
}

fn bench(c: &mut Criterion) {
    let mut rng = Rng(2024);
    let atoms = atoms(&mut rng);
    let waves: Vec<CodedWaveform> = (0..16)
        .map(|_| waveform(&mut rng, MAX_WAVEFORM_SAMPLES))
        .collect();
    let total: u64 = waves.iter().map(|w| w.len() as u64).sum();

    let mut g = c.benchmark_group("samples");
    g.throughput(Throughput::Elements(total));
    let mut out = Vec::with_capacity(MAX_WAVEFORM_SAMPLES);
    g.bench_function("reconstruct W=32, 2-3 terms", |b| {
        b.iter(|| {
            let mut acc = 0i32;
            for w in &waves {
                reconstruct_into(Some(&atoms), black_box(w), &mut out).expect("valid");
                acc = acc.wrapping_add(i32::from(out[out.len() / 2][0]));
            }
            black_box(acc)
        });
    });
    let mut samples = Vec::new();
    reconstruct_into(Some(&atoms), &waves[0], &mut samples).expect("valid");
    let mut buf = samples.clone();
    g.throughput(Throughput::Elements(samples.len() as u64));
    g.bench_function("rotate", |b| {
        b.iter(|| {
            buf.copy_from_slice(&samples);
            rotate_samples(&mut buf, black_box([11585, -11585])).expect("valid rotation");
            black_box(buf[7])
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
