//! The streaming pulse decoder: samples equal to the `eqisa-isa` definition whatever the input
//! chunking, per-channel rows, and corruption reported (never a panic, never unverified samples).

use eqisa_decoder::{Fed, MAX_ROW_SAMPLES, PulseDecoder, decode_pulse_rows, feed_chunks};
use eqisa_isa::container::{Container, Header, Section, SectionKind, Target, codebook_id};
use eqisa_isa::pulse::{
    AtomSet, ChannelId, ChannelKind, CodedWaveform, IDENTITY_ROTATION, PlayBody, PlayCode,
    PulseSection, Term, WindowCode, encode_pulse_section, reconstruct_waveform, rotate_samples,
};
use eqisa_isa::{IsaError, SectionHeader, parse_section_header};
use eqisa_test_support::Rng;
use proptest::prelude::*;

const HASH: [u8; 32] = [9; 32];

/// A released play: channel index, start, samples.
type Released = (u32, u64, Vec<[i16; 2]>);

fn atoms(rng: &mut Rng) -> AtomSet {
    AtomSet::new(
        16,
        (0..2 * 16 * 10).map(|_| rng.next_u64() as i16).collect(),
    )
    .unwrap()
}

fn sparse(rng: &mut Rng, len: usize) -> CodedWaveform {
    CodedWaveform::Sparse {
        len: len as u32,
        windows: (0..len.div_ceil(16))
            .map(|_| WindowCode {
                shift: 14,
                terms: (0..1 + rng.below(3))
                    .map(|_| Term {
                        atom: rng.below(10) as u16,
                        coef: [
                            rng.below(16000) as i16 - 8000,
                            rng.below(16000) as i16 - 8000,
                        ],
                    })
                    .collect(),
            })
            .collect(),
        modulation: None,
    }
}

fn section(rng: &mut Rng) -> PulseSection {
    let channels = vec![
        ChannelId {
            kind: ChannelKind::Drive,
            index: 0,
        },
        ChannelId {
            kind: ChannelKind::Drive,
            index: 1,
        },
        ChannelId {
            kind: ChannelKind::Measure,
            index: 0,
        },
    ];
    let memory = vec![
        sparse(rng, 40),
        CodedWaveform::Lossless((0..25).map(|i| [i * 100, -i * 50]).collect()),
    ];
    let mut plays = Vec::new();
    let mut free = [0u64; 3];
    let mut now = 0;
    for _ in 0..1 + rng.below(10) {
        now += rng.below(30);
        let channel = rng.below(3) as u32;
        let body = match rng.below(3) {
            0 => {
                let len = 1 + rng.below(60) as usize;
                PlayBody::Inline(sparse(rng, len))
            }
            1 => PlayBody::Memory {
                slot: rng.below(2) as u32,
                rotation: IDENTITY_ROTATION,
            },
            _ => PlayBody::Memory {
                slot: rng.below(2) as u32,
                rotation: [
                    rng.below(30000) as i16 - 15000,
                    rng.below(30000) as i16 - 15000,
                ],
            },
        };
        let len = match &body {
            PlayBody::Memory { slot, .. } => memory[*slot as usize].len() as u64,
            PlayBody::Inline(w) => w.len() as u64,
        };
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

/// What each play must produce, by the isa definition.
fn expected(section: &PulseSection, atoms: &AtomSet) -> Vec<Released> {
    section
        .plays
        .iter()
        .map(|p| {
            let samples = match &p.body {
                PlayBody::Inline(w) => reconstruct_waveform(Some(atoms), w).unwrap(),
                PlayBody::Memory { slot, rotation } => {
                    let mut s =
                        reconstruct_waveform(Some(atoms), &section.memory[*slot as usize]).unwrap();
                    rotate_samples(&mut s, *rotation).unwrap();
                    s
                }
            };
            (p.channel, p.start, samples)
        })
        .collect()
}

fn file(payload: Vec<u8>) -> Vec<u8> {
    Container {
        header: Header {
            codebook_id: codebook_id(&HASH),
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

/// Streams `payload` under section header `sh` in chunks of `chunk` bytes; returns the plays
/// released and how it ended.
fn stream(
    payload: &[u8],
    sh: &SectionHeader,
    atoms: &AtomSet,
    chunk: usize,
) -> (Vec<Released>, Result<(), IsaError>) {
    let mut plays = Vec::new();
    let mut dec = match PulseDecoder::new(Some(atoms), sh, 0) {
        Ok(d) => d,
        Err(e) => return (plays, Err(e)),
    };
    let mut rest = payload;
    let fed = feed_chunks(&mut dec, &mut rest, chunk, |p| {
        plays.push((p.channel_index, p.start, p.samples.to_vec()));
        Ok(())
    });
    let end = match fed {
        Ok(Fed::End) => Ok(()),
        Ok(_) => Err(IsaError::Corrupt("stalled")),
        Err(e) => Err(e),
    };
    (plays, end)
}

fn section_header(file: &[u8]) -> (SectionHeader, usize) {
    let (sh, used) = parse_section_header(&file[eqisa_isa::container::HEADER_LEN..]).unwrap();
    (sh, eqisa_isa::container::HEADER_LEN + used)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn streamed_samples_are_the_isa_definition_in_any_chunking(seed in any::<u64>(), chunk in 1usize..300) {
        let mut rng = Rng::new(seed);
        let atoms = atoms(&mut rng);
        let section = section(&mut rng);
        let payload = encode_pulse_section(&section, Some(&atoms)).unwrap();
        let bytes = file(payload.clone());
        let (sh, at) = section_header(&bytes);
        let (plays, end) = stream(&bytes[at..at + payload.len()], &sh, &atoms, chunk);
        prop_assert_eq!(end, Ok(()));
        prop_assert_eq!(&plays, &expected(&section, &atoms));

        // The rows: every play at its place, zeros elsewhere.
        let rows = decode_pulse_rows(&bytes, Some(&atoms), HASH, MAX_ROW_SAMPLES).unwrap().unwrap();
        prop_assert_eq!(&rows.channels, &section.channels);
        let duration = plays.iter().map(|(_, s, v)| s + v.len() as u64).max().unwrap_or(0);
        prop_assert_eq!(rows.duration, duration);
        let mut want = vec![vec![[0i16; 2]; duration as usize]; 3];
        for (c, s, v) in &plays {
            want[*c as usize][*s as usize..*s as usize + v.len()].copy_from_slice(v);
        }
        prop_assert_eq!(rows.rows, want);

        // One sample fewer than the rows hold is refused, naming the limit.
        let total = duration * 3;
        if total > 0 {
            let refused = decode_pulse_rows(&bytes, Some(&atoms), HASH, total - 1);
            let is_limit = matches!(refused, Err(IsaError::Limit { max, .. }) if max == total - 1);
            prop_assert!(is_limit, "{:?}", refused.map(|r| r.map(|r| r.duration)));
        }
    }
}

#[test]
fn every_bit_flip_is_an_error_and_no_unverified_sample_is_released() {
    let mut rng = Rng::new(5);
    let atoms = atoms(&mut rng);
    let section = section(&mut rng);
    let payload = encode_pulse_section(&section, Some(&atoms)).unwrap();
    let bytes = file(payload.clone());
    let want = expected(&section, &atoms);
    let (sh, at) = section_header(&bytes);
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            assert!(
                decode_pulse_rows(&b, Some(&atoms), HASH, MAX_ROW_SAMPLES).is_err(),
                "flip at {i}.{bit} undetected"
            );
        }
    }
    // Straight into the streaming decoder, with no file-level check in front: the flip is still
    // reported, and whatever was released before the error is exactly the true plays' prefix.
    for i in 0..payload.len() {
        for bit in 0..8 {
            let mut p = payload.clone();
            p[i] ^= 1 << bit;
            let (plays, end) = stream(&p, &sh, &atoms, 7);
            assert!(end.is_err(), "payload flip at {i}.{bit} undetected");
            assert_eq!(plays[..], want[..plays.len()], "flip at {i}.{bit}");
        }
    }
    assert_eq!(bytes[at..at + payload.len()], payload[..]);
}

#[test]
fn truncation_and_wrong_inputs_are_errors() {
    let mut rng = Rng::new(6);
    let atoms = atoms(&mut rng);
    let section = section(&mut rng);
    let payload = encode_pulse_section(&section, Some(&atoms)).unwrap();
    let bytes = file(payload.clone());
    for n in 0..bytes.len() {
        assert!(decode_pulse_rows(&bytes[..n], Some(&atoms), HASH, MAX_ROW_SAMPLES).is_err());
    }
    // A section header announcing more payload than arrives: the decoder keeps asking.
    let (sh, _) = section_header(&bytes);
    let mut dec = PulseDecoder::new(Some(&atoms), &sh, 0).unwrap();
    let mut input = &payload[..payload.len() - 1];
    let fed = feed_chunks(&mut dec, &mut input, usize::MAX, |_| Ok::<(), IsaError>(()));
    assert_eq!(fed, Ok(Fed::NeedInput));
    // Another codebook, other atoms, no atoms.
    assert!(matches!(
        decode_pulse_rows(&bytes, Some(&atoms), [0; 32], MAX_ROW_SAMPLES),
        Err(IsaError::CodebookMismatch { .. })
    ));
    let other = AtomSet::new(8, vec![1; 2 * 8 * 10]).unwrap();
    assert!(matches!(
        decode_pulse_rows(&bytes, Some(&other), HASH, MAX_ROW_SAMPLES),
        Err(IsaError::WindowMismatch { .. })
    ));
    assert_eq!(
        decode_pulse_rows(&bytes, None, HASH, MAX_ROW_SAMPLES),
        Err(IsaError::NoPulseAtoms)
    );
    // A program without pulses has no rows.
    let no_pulses = Container {
        header: Header {
            codebook_id: codebook_id(&HASH),
            qubit_count: 1,
            clbit_count: 0,
            target: Target::Native,
        },
        sections: vec![],
    }
    .to_bytes()
    .unwrap();
    assert_eq!(
        decode_pulse_rows(&no_pulses, Some(&atoms), HASH, MAX_ROW_SAMPLES),
        Ok(None)
    );
    // Only a pulse section can be decoded as one.
    let not_pulses = SectionHeader {
        kind: SectionKind::Metadata as u8,
        payload_len: 0,
        crc: 0,
    };
    assert!(PulseDecoder::new(Some(&atoms), &not_pulses, 0).is_err());
}

#[test]
fn plays_are_rounded_to_the_sections_dac_resolution() {
    let raw = vec![[20000i16, -20000], [-1, 1], [32767, -32768], [2047, 2048]];
    let rotated = [8192i16, 0]; // 0.5 in Q14
    let mut got = Vec::new();
    for bits in [1u8, 4, 16] {
        let section = PulseSection {
            dac_bits: bits,
            channels: vec![ChannelId {
                kind: ChannelKind::Drive,
                index: 0,
            }],
            memory: vec![CodedWaveform::Lossless(raw.clone())],
            plays: vec![
                PlayCode {
                    channel: 0,
                    start: 0,
                    body: PlayBody::Memory {
                        slot: 0,
                        rotation: IDENTITY_ROTATION,
                    },
                },
                PlayCode {
                    channel: 0,
                    start: 4,
                    body: PlayBody::Memory {
                        slot: 0,
                        rotation: rotated,
                    },
                },
                PlayCode {
                    channel: 0,
                    start: 8,
                    body: PlayBody::Inline(CodedWaveform::Lossless(raw.clone())),
                },
            ],
        };
        let payload = encode_pulse_section(&section, None).unwrap();
        let bytes = file(payload.clone());
        let (sh, at) = section_header(&bytes);
        let mut plays = Vec::new();
        let mut dec = PulseDecoder::new(None, &sh, 0).unwrap();
        let mut rest = &bytes[at..at + payload.len()];
        let fed = feed_chunks(&mut dec, &mut rest, 7, |p| {
            plays.push(p.samples.to_vec());
            Ok::<(), IsaError>(())
        });
        assert!(matches!(fed, Ok(Fed::End)), "{fed:?}");
        got.push(plays);
    }
    // 16 bits: the codes themselves.
    assert_eq!(got[2][0], raw);
    assert_eq!(got[2][2], raw);
    // 4 bits: multiples of 4096, rounded half up, saturated to 7 · 4096.
    assert_eq!(
        got[1][0],
        vec![[20480, -20480], [0, 0], [28672, -32768], [0, 4096]]
    );
    // 1 bit: the two codes 0 and -32768 (two's complement), every play alike.
    assert_eq!(got[0][0], vec![[0, -32768], [0, 0], [0, -32768], [0, 0]]);
    assert_eq!(got[0][2], got[0][0]);
    // A rotated play is rounded after the rotation.
    assert_eq!(
        got[1][1],
        vec![[8192, -8192], [0, 0], [16384, -16384], [0, 0]]
    );
    assert_ne!(
        got[0], got[2],
        "a 1-bit and a 16-bit DAC play different codes"
    );
}
