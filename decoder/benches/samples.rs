//! Fixed-point sample reconstruction throughput, in complex samples per second, end to end:
//! coded waveforms in, every sample out in a reused buffer (as a decoder's play buffer is).
//!
//! The input is what the assembler produces for real pulses: atoms of W = 32 samples (256
//! random unit-norm atoms in Q15), 2 to 4 terms per window, coefficients of a full-scale pulse
//! (about 12 bits) at shift 12; 16 waveforms of 65 536 samples (32 768 windows in all). Groups:
//!
//! - `reconstruct W=32, 2-3 terms`: [`eqisa_isa::pulse::reconstruct_into`] (validates, then
//!   reconstructs) on the bench's original input, kept for comparison with earlier figures;
//! - `reconstruct W=32, 2-4 terms`: the same on the 2-4-term input;
//! - `reconstruct_unchecked W=32, 2-4 terms`:
//!   [`eqisa_isa::pulse::reconstruct_unchecked_with`], the streaming decoder's path for the
//!   waveforms its parser has validated (no second validation, scratch kept);
//! - `rotate` / `rotate_into`: a memory play's rotation, in place and copying;
//! - `decoder, inline plays` / `decoder, memory plays`: a whole encoded pulse section through
//!   [`eqisa_decoder::PulseDecoder`] (block CRCs, range decoding of every window, timing,
//!   reconstruction): plays of 160 to 4 000 samples coded inline, or referencing 16 memory
//!   waveforms with random rotations (a quarter of them the identity).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use eqisa_decoder::{Fed, PulseDecoder, feed_chunks};
use eqisa_isa::container::{Container, HEADER_LEN, Header, Section, SectionKind, Target};
use eqisa_isa::pulse::{
    AtomSet, ChannelId, ChannelKind, CodedWaveform, IDENTITY_ROTATION, MAX_WAVEFORM_SAMPLES,
    PlayBody, PlayCode, PulseSection, Term, WindowCode, WindowScratch, encode_pulse_section,
    reconstruct_into, reconstruct_unchecked_with, rotate_into, rotate_samples,
};
use eqisa_isa::{IsaError, SectionHeader, parse_section_header};
use eqisa_test_support::Rng;

const W: usize = 32;
const K: usize = 256;

/// A uniform value in [-1, 1).
fn unit(rng: &mut Rng) -> f64 {
    rng.f64() * 2.0 - 1.0
}

/// Random complex atoms scaled to unit L2 norm, in Q15.
fn atoms(rng: &mut Rng) -> AtomSet {
    let mut v = Vec::with_capacity(2 * W * K);
    for _ in 0..K {
        let raw: Vec<f64> = (0..2 * W).map(|_| unit(rng)).collect();
        let norm = raw.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.extend(raw.iter().map(|x| (x / norm * 32767.0).round() as i16));
    }
    AtomSet::new(W, v).expect("valid atoms")
}

/// A waveform of `len` samples, `min..=max` terms per window, coefficients of a full-scale pulse
/// (about 12 bits) at shift 12.
fn waveform(rng: &mut Rng, len: usize, min: u64, max: u64) -> CodedWaveform {
    let windows = (0..len.div_ceil(W))
        .map(|_| {
            let n = min + rng.below(max - min + 1);
            let terms = (0..n)
                .map(|_| Term {
                    atom: rng.below(K as u64) as u16,
                    coef: [(unit(rng) * 8000.0) as i16, (unit(rng) * 8000.0) as i16],
                })
                .collect();
            WindowCode { shift: 12, terms }
        })
        .collect();
    CodedWaveform::Sparse {
        len: len as u32,
        windows,
        modulation: None,
    }
}

/// A pulse section of `plays` plays on 4 drive channels, back to back; `memory` waveforms in
/// the memory (then every play references one), else every play inline.
fn section(rng: &mut Rng, plays: usize, memory: usize) -> PulseSection {
    let channels = (0..4)
        .map(|index| ChannelId {
            kind: ChannelKind::Drive,
            index,
        })
        .collect();
    let len = |rng: &mut Rng| 160 + rng.below(3841) as usize;
    let memory: Vec<CodedWaveform> = (0..memory)
        .map(|_| {
            let n = len(rng);
            waveform(rng, n, 2, 4)
        })
        .collect();
    let mut free = [0u64; 4];
    let mut plays: Vec<PlayCode> = (0..plays)
        .map(|i| {
            let channel = (i % 4) as u32;
            let body = if memory.is_empty() {
                let n = len(rng);
                PlayBody::Inline(waveform(rng, n, 2, 4))
            } else {
                let rotation = if rng.below(4) == 0 {
                    IDENTITY_ROTATION
                } else {
                    let phase = unit(rng) * std::f64::consts::PI;
                    let c = |v: f64| (v * 16384.0).round() as i16;
                    [c(phase.cos()), c(phase.sin())]
                };
                PlayBody::Memory {
                    slot: rng.below(memory.len() as u64) as u32,
                    rotation,
                }
            };
            let n = match &body {
                PlayBody::Inline(w) => w.len(),
                PlayBody::Memory { slot, .. } => memory[*slot as usize].len(),
            } as u64;
            let start = free[channel as usize];
            free[channel as usize] += n;
            PlayCode {
                channel,
                start,
                body,
            }
        })
        .collect();
    plays.sort_by_key(|p| p.start);
    PulseSection {
        dac_bits: 16,
        channels,
        memory,
        plays,
    }
}

/// The section's payload and header, as a decoder gets them from a file.
fn encoded(section: &PulseSection, atoms: &AtomSet) -> (Vec<u8>, SectionHeader) {
    let payload = encode_pulse_section(section, Some(atoms)).expect("valid section");
    let file = Container {
        header: Header {
            codebook_id: [0; 8],
            qubit_count: 4,
            clbit_count: 0,
            target: Target::Native,
        },
        sections: vec![Section {
            kind: SectionKind::Pulses,
            payload: payload.clone(),
        }],
    }
    .to_bytes()
    .expect("valid file");
    let (sh, _) = parse_section_header(&file[HEADER_LEN..]).expect("section header");
    (payload, sh)
}

/// Decodes a whole section; returns the samples released.
fn decode(payload: &[u8], sh: &SectionHeader, atoms: &AtomSet) -> u64 {
    let mut dec = PulseDecoder::new(Some(atoms), sh, 0).expect("pulse section");
    let mut rest = payload;
    let mut samples = 0u64;
    let fed = feed_chunks(&mut dec, &mut rest, usize::MAX, |p| {
        samples += black_box(p.samples).len() as u64;
        Ok::<(), IsaError>(())
    });
    assert_eq!(fed, Ok(Fed::End), "valid section");
    samples
}

fn bench(c: &mut Criterion) {
    let mut rng = Rng::new(2024);
    let atoms = atoms(&mut rng);
    let mut g = c.benchmark_group("samples");
    let mut out = Vec::with_capacity(MAX_WAVEFORM_SAMPLES);
    for (name, max) in [("2-3", 3), ("2-4", 4)] {
        let waves: Vec<CodedWaveform> = (0..16)
            .map(|_| waveform(&mut rng, MAX_WAVEFORM_SAMPLES, 2, max))
            .collect();
        let total: u64 = waves.iter().map(|w| w.len() as u64).sum();
        g.throughput(Throughput::Elements(total));
        g.bench_function(format!("reconstruct W=32, {name} terms"), |b| {
            b.iter(|| {
                let mut acc = 0i32;
                for w in &waves {
                    reconstruct_into(Some(&atoms), black_box(w), &mut out).expect("valid");
                    acc = acc.wrapping_add(i32::from(out[out.len() / 2][0]));
                }
                black_box(acc)
            });
        });
        if max == 4 {
            let mut scratch = WindowScratch::new();
            g.bench_function(format!("reconstruct_unchecked W=32, {name} terms"), |b| {
                b.iter(|| {
                    let mut acc = 0i32;
                    for w in &waves {
                        reconstruct_unchecked_with(
                            Some(&atoms),
                            black_box(w),
                            &mut scratch,
                            &mut out,
                        )
                        .expect("atoms given");
                        acc = acc.wrapping_add(i32::from(out[out.len() / 2][0]));
                    }
                    black_box(acc)
                });
            });
        }
    }

    let mut samples = Vec::new();
    let wave = waveform(&mut rng, MAX_WAVEFORM_SAMPLES, 2, 4);
    reconstruct_into(Some(&atoms), &wave, &mut samples).expect("valid");
    let mut buf = samples.clone();
    g.throughput(Throughput::Elements(samples.len() as u64));
    g.bench_function("rotate", |b| {
        b.iter(|| {
            buf.copy_from_slice(&samples);
            rotate_samples(&mut buf, black_box([11585, -11585])).expect("valid rotation");
            black_box(buf[7])
        });
    });
    g.bench_function("rotate_into", |b| {
        b.iter(|| {
            rotate_into(&samples, black_box([11585, -11585]), &mut buf).expect("valid rotation");
            black_box(buf[7])
        });
    });

    for (name, plays, memory) in [("inline plays", 64, 0), ("memory plays", 512, 16)] {
        let s = section(&mut rng, plays, memory);
        let (payload, sh) = encoded(&s, &atoms);
        let total = decode(&payload, &sh, &atoms);
        g.throughput(Throughput::Elements(total));
        g.bench_function(format!("decoder, {name}"), |b| {
            b.iter(|| decode(black_box(&payload), &sh, &atoms));
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
