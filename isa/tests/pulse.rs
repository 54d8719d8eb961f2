//! Properties of the pulse layer: the fixed-point reconstruction against a plain `i64`
//! reference, exact section round trips, and corruption (bit flips, truncation, mismatched
//! atoms) always reported as an error, never a panic.

use eqisa_isa::container::{Container, Header, Section, SectionKind, Target};
use eqisa_isa::crc32c;
use eqisa_isa::pulse::{
    AtomSet, COEF_L1_MAX, ChannelId, ChannelKind, CodedWaveform, IDENTITY_ROTATION, MAX_TERMS,
    PULSE_VERSION, PlayBody, PlayCode, PulseHeader, PulseSection, Term, WindowCode,
    encode_pulse_section, parse_pulse_section, reconstruct_waveform, reconstruct_window,
    rotate_samples,
};
use eqisa_isa::varint::write_uvarint;
use eqisa_isa::{IsaError, pulse};
use eqisa_test_support::Rng;
use proptest::prelude::*;

fn random_atoms(rng: &mut Rng, window: usize, count: usize) -> AtomSet {
    let atoms = (0..2 * window * count).map(|_| rng.i16()).collect();
    AtomSet::new(window, atoms).unwrap()
}

/// A random window within the budget: random coefficients, then scaled down to the L1 budget
/// (and sometimes pushed exactly onto it).
fn random_window(rng: &mut Rng, k: usize, max_terms: usize) -> WindowCode {
    let n = rng.below(max_terms as u64 + 1) as usize;
    let mut terms: Vec<Term> = (0..n)
        .map(|_| Term {
            atom: rng.below(k as u64) as u16,
            coef: [rng.i16().max(-32767), rng.i16().max(-32767)],
        })
        .collect();
    let l1: u64 = terms
        .iter()
        .map(|t| u64::from(t.coef[0].unsigned_abs()) + u64::from(t.coef[1].unsigned_abs()))
        .sum();
    let limit = if rng.below(3) == 0 {
        u64::from(COEF_L1_MAX)
    } else {
        rng.below(u64::from(COEF_L1_MAX)) + 1
    };
    if l1 > limit {
        for t in &mut terms {
            for c in &mut t.coef {
                *c = (i64::from(*c) * limit as i64 / l1 as i64) as i16;
            }
        }
    }
    WindowCode {
        shift: rng.below(16) as u8,
        terms,
    }
}

/// The definition, written the obvious way in `i64`.
fn reference_window(atoms: &AtomSet, code: &WindowCode, n: usize) -> Vec<[i16; 2]> {
    let s = u32::from(code.shift);
    (0..n)
        .map(|i| {
            let mut re = 0i64;
            let mut im = 0i64;
            for t in &code.terms {
                let a = atoms.atom(usize::from(t.atom)).unwrap();
                let (ar, ai) = (i64::from(a[2 * i]), i64::from(a[2 * i + 1]));
                let (cr, ci) = (i64::from(t.coef[0]), i64::from(t.coef[1]));
                re += cr * ar - ci * ai;
                im += cr * ai + ci * ar;
            }
            // The i32 accumulation is exact only if this bound holds.
            assert!(re.abs() + (1 << 14) < i64::from(i32::MAX));
            assert!(im.abs() + (1 << 14) < i64::from(i32::MAX));
            let round = |v: i64| {
                let r = (v + ((1i64 << s) >> 1)) >> s;
                r.clamp(-32768, 32767) as i16
            };
            [round(re), round(im)]
        })
        .collect()
}

fn reference_rotation(samples: &[[i16; 2]], r: [i16; 2]) -> Vec<[i16; 2]> {
    let (rr, ri) = (i64::from(r[0]), i64::from(r[1]));
    samples
        .iter()
        .map(|&[x, y]| {
            let (x, y) = (i64::from(x), i64::from(y));
            let f = |v: i64| ((v + 8192) >> 14).clamp(-32768, 32767) as i16;
            [f(x * rr - y * ri), f(x * ri + y * rr)]
        })
        .collect()
}

fn random_waveform(rng: &mut Rng, atoms: &AtomSet, max_len: u64) -> CodedWaveform {
    let len = rng.below(max_len + 1) as usize;
    if rng.below(4) == 0 {
        // Lossless: smooth most of the time (as real pulses), arbitrary otherwise.
        let smooth = rng.below(2) == 0;
        let mut phase = rng.below(1000) as f64;
        let samples = (0..len)
            .map(|i| {
                if smooth {
                    phase += 0.05;
                    let a = 20000.0 * (-((i as f64 - len as f64 / 2.0) / 20.0).powi(2)).exp();
                    [(a * phase.cos()) as i16, (a * phase.sin()) as i16]
                } else {
                    [rng.i16(), rng.i16()]
                }
            })
            .collect();
        CodedWaveform::Lossless(samples)
    } else {
        let k = atoms.count();
        // Runs of repeated windows, as flat tops give, exercise the repeat code.
        let mut windows: Vec<WindowCode> = Vec::new();
        for _ in 0..len.div_ceil(atoms.window) {
            match windows.last() {
                Some(last) if rng.below(2) == 0 => windows.push(last.clone()),
                _ => windows.push(random_window(rng, k, 4)),
            }
        }
        // A sideband step now and then (never the excluded -32768).
        let modulation =
            (rng.below(3) == 0).then(|| [rng.i16().max(-32767), rng.i16().max(-32767)]);
        CodedWaveform::Sparse {
            len: len as u32,
            windows,
            modulation,
        }
    }
}

fn random_section(rng: &mut Rng, atoms: &AtomSet) -> PulseSection {
    let nch = 1 + rng.below(5) as usize;
    let kinds = [
        ChannelKind::Drive,
        ChannelKind::Control,
        ChannelKind::Measure,
    ];
    let mut channels: Vec<ChannelId> = Vec::new();
    while channels.len() < nch {
        let ch = ChannelId {
            kind: kinds[rng.below(3) as usize],
            index: rng.below(8) as u32,
        };
        if !channels.contains(&ch) {
            channels.push(ch);
        }
    }
    let memory: Vec<CodedWaveform> = (0..rng.below(4))
        .map(|_| random_waveform(rng, atoms, 200))
        .collect();
    let mut plays = Vec::new();
    let mut free = vec![0u64; nch];
    let mut now = 0u64;
    for _ in 0..rng.below(12) {
        now += rng.below(50);
        let channel = rng.below(nch as u64) as u32;
        let body = if !memory.is_empty() && rng.below(2) == 0 {
            let rotation = if rng.below(3) == 0 {
                IDENTITY_ROTATION
            } else {
                [
                    (rng.next_u64() as i16).max(-32767),
                    (rng.next_u64() as i16).max(-32767),
                ]
            };
            PlayBody::Memory {
                slot: rng.below(memory.len() as u64) as u32,
                rotation,
            }
        } else {
            PlayBody::Inline(random_waveform(rng, atoms, 150))
        };
        let len = match &body {
            PlayBody::Memory { slot, .. } => memory[*slot as usize].len(),
            PlayBody::Inline(w) => w.len(),
        } as u64;
        let start = now.max(free[channel as usize]);
        now = start;
        free[channel as usize] = start + len;
        plays.push(PlayCode {
            channel,
            start,
            body,
        });
    }
    PulseSection {
        dac_bits: 16,
        channels,
        memory,
        plays,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn window_reconstruction_matches_the_i64_reference(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let window = 1 + rng.below(48) as usize;
        let k = 1 + rng.below(20) as usize;
        let atoms = random_atoms(&mut rng, window, k);
        for _ in 0..8 {
            let code = random_window(&mut rng, atoms.count(), MAX_TERMS);
            let n = 1 + rng.below(window as u64) as usize;
            let mut out = vec![[0i16; 2]; n];
            reconstruct_window(&atoms, &code, &mut out).unwrap();
            prop_assert_eq!(out, reference_window(&atoms, &code, n));
        }
    }

    #[test]
    fn rotation_matches_the_i64_reference(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let samples: Vec<[i16; 2]> = (0..64).map(|_| [rng.i16(), rng.i16()]).collect();
        let r = [(rng.i16()).max(-32767), (rng.i16()).max(-32767)];
        let mut got = samples.clone();
        rotate_samples(&mut got, r).unwrap();
        prop_assert_eq!(got, reference_rotation(&samples, r));
        let mut same = samples.clone();
        rotate_samples(&mut same, IDENTITY_ROTATION).unwrap();
        prop_assert_eq!(&same, &reference_rotation(&samples, IDENTITY_ROTATION));
        prop_assert_eq!(same, samples);
    }

    #[test]
    fn sections_round_trip_exactly(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let window = [8usize, 16, 32, 5][rng.below(4) as usize];
        let k = 1 + rng.below(40) as usize;
        let atoms = random_atoms(&mut rng, window, k);
        let section = random_section(&mut rng, &atoms);
        let bytes = encode_pulse_section(&section, Some(&atoms)).unwrap();
        let back = parse_pulse_section(&bytes, Some(&atoms)).unwrap();
        prop_assert_eq!(&back, &section);
        // And so the samples the decoder rebuilds are the encoder's.
        for (a, b) in back.memory.iter().zip(&section.memory) {
            prop_assert_eq!(
                reconstruct_waveform(Some(&atoms), a).unwrap(),
                reconstruct_waveform(Some(&atoms), b).unwrap()
            );
        }
    }

    #[test]
    fn lossless_waveforms_round_trip_bit_exactly(seed in any::<u64>(), len in 0usize..600) {
        let mut rng = Rng::new(seed);
        let samples: Vec<[i16; 2]> = (0..len).map(|_| [rng.i16(), rng.i16()]).collect();
        let section = PulseSection {
            dac_bits: 16,
            channels: vec![ChannelId { kind: ChannelKind::Measure, index: 3 }],
            memory: vec![CodedWaveform::Lossless(samples.clone())],
            plays: vec![PlayCode {
                channel: 0,
                start: 7,
                body: PlayBody::Memory { slot: 0, rotation: IDENTITY_ROTATION },
            }],
        };
        let bytes = encode_pulse_section(&section, None).unwrap();
        let back = parse_pulse_section(&bytes, None).unwrap();
        prop_assert_eq!(
            reconstruct_waveform(None, &back.memory[0]).unwrap(),
            samples
        );
        prop_assert_eq!(back, section);
    }
}

/// The extreme corner of the range: every atom value −32768 and the whole L1 budget on one
/// sign, the largest accumulator the definition allows.
#[test]
fn the_extreme_window_is_exact() {
    for shift in [0u8, 1, 7, 14, 15] {
        for (a, c) in [
            (i16::MIN, -32767),
            (i16::MIN, i16::MAX),
            (i16::MAX, i16::MAX),
        ] {
            let atoms = AtomSet::new(4, vec![a; 2 * 4 * 3]).unwrap();
            // |c| on the first term, the rest of the budget on the second, signed so that the
            // real parts add up: re = Σ (cr − ci)·a.
            let sign = i32::from(c.signum());
            let rest = COEF_L1_MAX as i32 - i32::from(c.unsigned_abs());
            let x = rest.min(32767);
            let terms = vec![
                Term {
                    atom: 0,
                    coef: [c, 0],
                },
                Term {
                    atom: 2,
                    coef: [(sign * x) as i16, (-sign * (rest - x)) as i16],
                },
            ];
            let code = WindowCode { shift, terms };
            code.validate(3).unwrap();
            let mut out = vec![[0i16; 2]; 4];
            reconstruct_window(&atoms, &code, &mut out).unwrap();
            assert_eq!(out, reference_window(&atoms, &code, 4));
        }
    }
}

#[test]
fn out_of_range_windows_are_errors() {
    let atoms = AtomSet::new(2, vec![100; 2 * 2 * 3]).unwrap();
    let mut out = [[0i16; 2]; 2];
    let bad_atom = WindowCode {
        shift: 3,
        terms: vec![Term {
            atom: 3,
            coef: [1, 1],
        }],
    };
    assert_eq!(
        reconstruct_window(&atoms, &bad_atom, &mut out),
        Err(IsaError::AtomOutOfRange { index: 3, count: 3 })
    );
    let over_budget = WindowCode {
        shift: 0,
        terms: vec![
            Term {
                atom: 0,
                coef: [-32767, -32767],
            },
            Term {
                atom: 1,
                coef: [2, 0],
            },
        ],
    };
    assert!(matches!(
        reconstruct_window(&atoms, &over_budget, &mut out),
        Err(IsaError::CoefficientOutOfRange { .. })
    ));
    let big_shift = WindowCode {
        shift: 16,
        terms: vec![],
    };
    let minimum = WindowCode {
        shift: 0,
        terms: vec![Term {
            atom: 0,
            coef: [0, i16::MIN],
        }],
    };
    assert!(matches!(
        reconstruct_window(&atoms, &minimum, &mut out),
        Err(IsaError::CoefficientOutOfRange { .. })
    ));
    assert!(matches!(
        reconstruct_window(&atoms, &big_shift, &mut out),
        Err(IsaError::CoefficientOutOfRange { .. })
    ));
    let many = WindowCode {
        shift: 0,
        terms: vec![
            Term {
                atom: 0,
                coef: [1, 0]
            };
            MAX_TERMS + 1
        ],
    };
    assert!(matches!(
        reconstruct_window(&atoms, &many, &mut out),
        Err(IsaError::CoefficientOutOfRange { .. })
    ));
    // A window longer than the atoms.
    let mut long = [[0i16; 2]; 3];
    assert!(matches!(
        reconstruct_window(&atoms, &WindowCode::default(), &mut long),
        Err(IsaError::WindowMismatch { .. })
    ));
    // The encoder refuses the same things.
    let section = |wf: CodedWaveform| PulseSection {
        dac_bits: 16,
        channels: vec![ChannelId {
            kind: ChannelKind::Drive,
            index: 0,
        }],
        memory: vec![wf],
        plays: vec![],
    };
    let wf = |w: WindowCode| CodedWaveform::Sparse {
        len: 2,
        windows: vec![w],
        modulation: None,
    };
    assert_eq!(
        encode_pulse_section(&section(wf(bad_atom)), Some(&atoms)),
        Err(IsaError::AtomOutOfRange { index: 3, count: 3 })
    );
    assert!(matches!(
        encode_pulse_section(&section(wf(over_budget)), Some(&atoms)),
        Err(IsaError::CoefficientOutOfRange { .. })
    ));
    assert_eq!(
        encode_pulse_section(&section(wf(WindowCode::default())), None),
        Err(IsaError::NoPulseAtoms)
    );
    // Two windows for two samples of window 2 is one too many.
    let two = CodedWaveform::Sparse {
        len: 2,
        windows: vec![WindowCode::default(), WindowCode::default()],
        modulation: None,
    };
    assert!(matches!(
        encode_pulse_section(&section(two), Some(&atoms)),
        Err(IsaError::InvalidPulse(_))
    ));
    let mut samples = [[1000i16, -1000]; 3];
    assert!(rotate_samples(&mut samples, [i16::MIN, 0]).is_err());
    assert_eq!(samples, [[1000, -1000]; 3]);
}

#[test]
fn inconsistent_plays_are_refused_by_the_encoder() {
    let d0 = ChannelId {
        kind: ChannelKind::Drive,
        index: 0,
    };
    let d1 = ChannelId {
        kind: ChannelKind::Drive,
        index: 1,
    };
    let wf = CodedWaveform::Lossless(vec![[1, 2]; 10]);
    let play = |channel, start| PlayCode {
        channel,
        start,
        body: PlayBody::Memory {
            slot: 0,
            rotation: IDENTITY_ROTATION,
        },
    };
    let section = |channels: Vec<ChannelId>, plays| PulseSection {
        dac_bits: 16,
        channels,
        memory: vec![wf.clone()],
        plays,
    };
    let ok = section(vec![d0, d1], vec![play(0, 0), play(1, 5), play(0, 10)]);
    assert!(encode_pulse_section(&ok, None).is_ok());
    for bad in [
        section(vec![d0, d0], vec![]),
        section(vec![d0], vec![play(0, 0), play(0, 9)]),
        section(vec![d0, d1], vec![play(0, 10), play(1, 5)]),
        section(vec![d0], vec![play(1, 0)]),
        section(
            vec![d0],
            vec![PlayCode {
                channel: 0,
                start: 0,
                body: PlayBody::Memory {
                    slot: 1,
                    rotation: IDENTITY_ROTATION,
                },
            }],
        ),
        section(vec![d0], vec![play(0, pulse::MAX_TIME - 5)]),
    ] {
        assert!(
            matches!(
                encode_pulse_section(&bad, None),
                Err(IsaError::InvalidPulse(_))
            ),
            "{bad:?}"
        );
    }
}

/// A small section with everything in it, and its atoms.
fn small() -> (PulseSection, AtomSet) {
    let mut rng = Rng::new(42);
    let atoms = random_atoms(&mut rng, 8, 6);
    let k = atoms.count();
    let sparse = |rng: &mut Rng, len: usize| CodedWaveform::Sparse {
        len: len as u32,
        windows: (0..len.div_ceil(8))
            .map(|_| random_window(rng, k, 3))
            .collect(),
        modulation: None,
    };
    let section = PulseSection {
        dac_bits: 16,
        channels: vec![
            ChannelId {
                kind: ChannelKind::Drive,
                index: 0,
            },
            ChannelId {
                kind: ChannelKind::Control,
                index: 1,
            },
        ],
        memory: vec![
            sparse(&mut rng, 20),
            CodedWaveform::Lossless(vec![[5, -5], [300, 2], [-7, 8]]),
        ],
        plays: vec![
            PlayCode {
                channel: 0,
                start: 0,
                body: PlayBody::Memory {
                    slot: 0,
                    rotation: [11585, -11585],
                },
            },
            PlayCode {
                channel: 1,
                start: 4,
                body: PlayBody::Inline(sparse(&mut rng, 13)),
            },
            PlayCode {
                channel: 0,
                start: 20,
                body: PlayBody::Memory {
                    slot: 1,
                    rotation: IDENTITY_ROTATION,
                },
            },
        ],
    };
    (section, atoms)
}

fn container_with(payload: Vec<u8>) -> Vec<u8> {
    Container {
        header: Header {
            codebook_id: [7; 8],
            qubit_count: 2,
            clbit_count: 0,
            target: Target::Native,
        },
        sections: vec![Section {
            kind: SectionKind::Pulses,
            payload,
        }],
    }
    .to_bytes()
    .unwrap()
}

#[test]
fn every_bit_flip_is_detected_and_never_panics() {
    let (section, atoms) = small();
    let payload = encode_pulse_section(&section, Some(&atoms)).unwrap();
    let file = container_with(payload.clone());
    assert_eq!(
        parse_pulse_section(
            &Container::parse(&file).unwrap().sections[0].payload,
            Some(&atoms)
        )
        .unwrap(),
        section
    );
    for i in 0..file.len() {
        for bit in 0..8 {
            let mut b = file.clone();
            b[i] ^= 1 << bit;
            assert!(
                Container::parse(&b).is_err(),
                "flip at {i}.{bit} undetected"
            );
        }
    }
    // The section's own checksums (header CRC, block CRCs) catch every flip of the payload
    // too, without the container: what a streaming decoder relies on before releasing samples.
    for i in 0..payload.len() {
        for bit in 0..8 {
            let mut b = payload.clone();
            b[i] ^= 1 << bit;
            assert!(
                parse_pulse_section(&b, Some(&atoms)).is_err(),
                "payload flip at {i}.{bit} undetected"
            );
        }
    }
}

#[test]
fn truncation_is_an_error() {
    let (section, atoms) = small();
    let payload = encode_pulse_section(&section, Some(&atoms)).unwrap();
    for n in 0..payload.len() {
        assert!(
            parse_pulse_section(&payload[..n], Some(&atoms)).is_err(),
            "prefix of {n} bytes accepted"
        );
    }
    let mut long = payload.clone();
    long.push(0);
    assert_eq!(
        parse_pulse_section(&long, Some(&atoms)),
        Err(IsaError::TrailingBytes(1))
    );
    let file = container_with(payload);
    for n in 0..file.len() {
        assert!(Container::parse(&file[..n]).is_err());
    }
}

#[test]
fn mismatched_atoms_are_errors() {
    let (section, atoms) = small();
    let payload = encode_pulse_section(&section, Some(&atoms)).unwrap();
    let mut rng = Rng::new(1);
    let other_window = random_atoms(&mut rng, 16, 6);
    assert_eq!(
        parse_pulse_section(&payload, Some(&other_window)),
        Err(IsaError::WindowMismatch {
            section: 8,
            codebook: 16
        })
    );
    let other_count = random_atoms(&mut rng, 8, 7);
    assert_eq!(
        parse_pulse_section(&payload, Some(&other_count)),
        Err(IsaError::AtomCountMismatch {
            section: 6,
            codebook: 7
        })
    );
    assert_eq!(
        parse_pulse_section(&payload, None),
        Err(IsaError::NoPulseAtoms)
    );
}

/// Rewrites the (checksummed) header of a payload, as a buggy or hostile encoder could.
fn with_header(payload: &[u8], edit: impl FnOnce(&mut PulseHeader)) -> Vec<u8> {
    let (mut h, used) = PulseHeader::parse(payload).unwrap().unwrap();
    edit(&mut h);
    let mut body = vec![PULSE_VERSION, h.dac_bits];
    write_uvarint(&mut body, u64::from(h.window));
    write_uvarint(&mut body, u64::from(h.atom_count));
    write_uvarint(&mut body, h.channels.len() as u64);
    for c in &h.channels {
        body.push(c.kind as u8);
        write_uvarint(&mut body, u64::from(c.index));
    }
    write_uvarint(&mut body, u64::from(h.memory_count));
    write_uvarint(&mut body, h.memory_samples);
    write_uvarint(&mut body, h.play_count);
    write_uvarint(&mut body, u64::from(h.max_len));
    let mut out = Vec::new();
    write_uvarint(&mut out, body.len() as u64);
    out.extend_from_slice(&body);
    let crc = crc32c(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&payload[used..]);
    out
}

#[test]
fn a_well_checksummed_atom_index_out_of_range_is_an_error() {
    // Coded for 8 atoms using atom 7; declared (and decoded) with 6 atoms of the same index
    // width: the index decodes fine and must be refused.
    let mut rng = Rng::new(3);
    let atoms8 = random_atoms(&mut rng, 4, 8);
    let section = PulseSection {
        dac_bits: 16,
        channels: vec![],
        memory: vec![CodedWaveform::Sparse {
            len: 4,
            windows: vec![WindowCode {
                shift: 2,
                terms: vec![Term {
                    atom: 7,
                    coef: [3, 4],
                }],
            }],
            modulation: None,
        }],
        plays: vec![],
    };
    let payload = encode_pulse_section(&section, Some(&atoms8)).unwrap();
    assert_eq!(
        parse_pulse_section(&payload, Some(&atoms8)).unwrap(),
        section
    );
    let atoms6 = AtomSet::new(4, atoms8.atoms[..2 * 4 * 6].to_vec()).unwrap();
    let forged = with_header(&payload, |h| h.atom_count = 6);
    assert_eq!(
        parse_pulse_section(&forged, Some(&atoms6)),
        Err(IsaError::AtomOutOfRange { index: 7, count: 6 })
    );
    // A DAC resolution outside 1..=16 bits is refused, checksum or not.
    for bits in [0u8, 17] {
        let forged = with_header(&payload, |h| h.dac_bits = bits);
        assert_eq!(
            parse_pulse_section(&forged, Some(&atoms8)),
            Err(IsaError::Corrupt("DAC resolution outside 1..=16 bits"))
        );
    }
    // A header that lies about the memory size or the longest waveform is caught too.
    let forged = with_header(&payload, |h| h.memory_samples = 3);
    assert!(parse_pulse_section(&forged, Some(&atoms8)).is_err());
    let forged = with_header(&payload, |h| h.max_len = 3);
    assert!(parse_pulse_section(&forged, Some(&atoms8)).is_err());
}

#[test]
fn an_empty_section_round_trips() {
    let empty = PulseSection::default();
    let bytes = encode_pulse_section(&empty, None).unwrap();
    assert_eq!(parse_pulse_section(&bytes, None).unwrap(), empty);
}

#[test]
fn repeated_windows_cost_a_fraction_of_a_bit_each() {
    let mut rng = Rng::new(7);
    let atoms = random_atoms(&mut rng, 32, 64);
    let code = random_window(&mut rng, 64, 4);
    let section = |n: usize| PulseSection {
        dac_bits: 16,
        memory: vec![CodedWaveform::Sparse {
            len: (32 * n) as u32,
            windows: vec![code.clone(); n],
            modulation: None,
        }],
        ..PulseSection::default()
    };
    let short = encode_pulse_section(&section(10), Some(&atoms)).unwrap();
    let long = encode_pulse_section(&section(1010), Some(&atoms)).unwrap();
    assert_eq!(
        parse_pulse_section(&long, Some(&atoms)).unwrap(),
        section(1010)
    );
    // 1000 more repeats of one window: well under a tenth of a bit each.
    let extra_bits = (long.len() - short.len()) * 8;
    assert!(extra_bits < 100, "1000 repeats cost {extra_bits} bits");
}

/// The modulation definition in `i64`: phasors from (16384, 0), each the previous times the step
/// (rounded half up, >> 14, clamped to ±32767), applied as a play rotation.
fn reference_modulation(samples: &[[i16; 2]], step: [i16; 2]) -> Vec<[i16; 2]> {
    let (wr, wi) = (i64::from(step[0]), i64::from(step[1]));
    let mut p = [16384i64, 0];
    samples
        .iter()
        .map(|s| {
            let out = reference_rotation(&[*s], [p[0] as i16, p[1] as i16])[0];
            let c = |v: i64| ((v + 8192) >> 14).clamp(-32767, 32767);
            p = [c(p[0] * wr - p[1] * wi), c(p[0] * wi + p[1] * wr)];
            out
        })
        .collect()
}

proptest! {
    #[test]
    fn modulated_waveforms_follow_the_definition(seed in any::<u64>(), len in 1usize..300) {
        let mut rng = Rng::new(seed);
        let atoms = random_atoms(&mut rng, 16, 8);
        let windows: Vec<WindowCode> =
            (0..len.div_ceil(16)).map(|_| random_window(&mut rng, 8, 4)).collect();
        let step = [rng.i16().max(-32767), rng.i16().max(-32767)];
        let plain = CodedWaveform::Sparse { len: len as u32, windows: windows.clone(), modulation: None };
        let modulated = CodedWaveform::Sparse { len: len as u32, windows, modulation: Some(step) };
        let envelope = reconstruct_waveform(Some(&atoms), &plain).unwrap();
        let got = reconstruct_waveform(Some(&atoms), &modulated).unwrap();
        prop_assert_eq!(got, reference_modulation(&envelope, step));
    }
}

#[test]
fn a_modulation_step_of_minus_32768_is_refused() {
    let mut rng = Rng::new(3);
    let atoms = random_atoms(&mut rng, 16, 8);
    let wf = CodedWaveform::Sparse {
        len: 16,
        windows: vec![random_window(&mut rng, 8, 2)],
        modulation: Some([i16::MIN, 0]),
    };
    assert!(matches!(
        reconstruct_waveform(Some(&atoms), &wf),
        Err(IsaError::CoefficientOutOfRange { .. })
    ));
}
