//! Edits of a valid pulse section (built at start-up: sparse memory with repeated windows, a
//! lossless waveform, rotated memory plays and inline plays on three channels) parsed by
//! `parse_pulse_section` and streamed through `PulseDecoder` in chunks. The input is a script:
//! byte 0 says whether the pulse header and block checksums are recomputed after the edits,
//! byte 1 seeds the chunk sizes, then 4 bytes per edit.
//!
//! Fails on a panic, a hang, the decoder asking for input but taking none, the two readers
//! disagreeing on whether the section is valid, a streamed play that differs from the parsed
//! section's, or (with stale checksums) an edited section that is accepted.

use std::sync::LazyLock;

use crate::chunks::Chunks;
use crate::edits::edit;
use eqisa_decoder::{Fed, PulseDecoder, feed_chunks};
use eqisa_isa::container::SectionHeader;
use eqisa_isa::pulse::{
    AtomSet, ChannelId, ChannelKind, CodedWaveform, PlayBody, PlayCode, PulseSection, Term,
    WindowCode, dac_round, encode_pulse_section, parse_pulse_section, reconstruct_waveform,
    rotate_samples,
};
use eqisa_isa::stream::BlockHeader;
use eqisa_isa::varint::read_uvarint;
use eqisa_isa::{IsaError, SectionKind, crc32c};
use eqisa_test_support::Rng;

/// A coefficient in -8000..8000.
fn small(rng: &mut Rng) -> i16 {
    rng.below(16000) as i16 - 8000
}

static SEED: LazyLock<(AtomSet, Vec<u8>)> = LazyLock::new(|| {
    let mut rng = Rng::new(5);
    let atoms =
        AtomSet::new(16, (0..2 * 16 * 8).map(|_| rng.next_u64() as i16).collect()).expect("atoms");
    let window = |rng: &mut Rng| WindowCode {
        shift: 14,
        terms: (0..2)
            .map(|k| Term {
                atom: k,
                coef: [small(rng), small(rng)],
            })
            .collect(),
    };
    let w = window(&mut rng);
    let sparse = CodedWaveform::Sparse {
        len: 70,
        windows: vec![window(&mut rng), w.clone(), w.clone(), w, window(&mut rng)],
        modulation: None,
    };
    let ch = |kind, index| ChannelId { kind, index };
    let section = PulseSection {
        dac_bits: 16,
        channels: vec![
            ch(ChannelKind::Drive, 0),
            ch(ChannelKind::Control, 1),
            ch(ChannelKind::Measure, 0),
        ],
        memory: vec![
            sparse.clone(),
            CodedWaveform::Lossless((0..20).map(|i| [i * 300, -i * 70]).collect()),
        ],
        plays: vec![
            PlayCode {
                channel: 0,
                start: 0,
                body: PlayBody::Memory {
                    slot: 0,
                    rotation: [11585, 11585],
                },
            },
            PlayCode {
                channel: 2,
                start: 10,
                body: PlayBody::Memory {
                    slot: 1,
                    rotation: [16384, 0],
                },
            },
            PlayCode {
                channel: 1,
                start: 30,
                body: PlayBody::Inline(sparse),
            },
        ],
    };
    let bytes = encode_pulse_section(&section, Some(&atoms)).expect("seed encodes");
    (atoms, bytes)
});

/// Recomputes the pulse header's and every block's checksum, as far as the framing parses.
fn fix_crcs(b: &mut [u8]) {
    let Ok((hlen, n)) = read_uvarint(b) else {
        return;
    };
    let Some(end) = usize::try_from(hlen).ok().and_then(|h| h.checked_add(n)) else {
        return;
    };
    if end.saturating_add(4) > b.len() {
        return;
    }
    let crc = crc32c(&b[..end]);
    b[end..end + 4].copy_from_slice(&crc.to_le_bytes());
    let mut pos = end + 4;
    while pos < b.len() {
        let Ok((len, n1)) = read_uvarint(&b[pos..]) else {
            return;
        };
        let Ok((count, n2)) = read_uvarint(&b[pos + n1..]) else {
            return;
        };
        let at = pos + n1 + n2;
        let Some(payload_end) = usize::try_from(len)
            .ok()
            .and_then(|l| l.checked_add(at + 4))
        else {
            return;
        };
        if payload_end > b.len() {
            return;
        }
        let crc = BlockHeader::checksum(len as usize, count, &b[at + 4..payload_end]);
        b[at..at + 4].copy_from_slice(&crc.to_le_bytes());
        pos = payload_end;
    }
}

/// A play the decoder released: channel index, start sample, samples.
type Play = (u32, u64, Vec<[i16; 2]>);

/// Streams `b` through `PulseDecoder`; the plays released and how it ended.
fn stream(b: &[u8], atoms: &AtomSet, chunks: &mut Chunks) -> (Vec<Play>, Result<(), String>) {
    let header = SectionHeader {
        kind: SectionKind::Pulses as u8,
        payload_len: b.len() as u32,
        crc: {
            let mut h = SectionHeader {
                kind: SectionKind::Pulses as u8,
                payload_len: b.len() as u32,
                crc: 0,
            }
            .payload_hasher();
            h.update(b);
            h.finish()
        },
    };
    let mut plays = Vec::new();
    let Ok(mut dec) = PulseDecoder::new(Some(atoms), &header, 0) else {
        return (plays, Err("not a pulse section".into()));
    };
    let mut rest = b;
    let fed = feed_chunks(
        &mut dec,
        &mut rest,
        || chunks.next_size(),
        |p| {
            plays.push((p.channel_index, p.start, p.samples.to_vec()));
            Ok::<(), IsaError>(())
        },
    );
    let end = match fed {
        Ok(Fed::End) => Ok(()),
        Ok(Fed::NeedInput) => Err("ran out of input".into()),
        Ok(Fed::Stalled) => panic!("the pulse decoder takes no input"),
        Err(e) => Err(e.to_string()),
    };
    (plays, end)
}

/// Runs the target on `data`; panics when a property fails.
pub fn run(data: &[u8]) {
    let [ctl, chunk_seed, script @ ..] = data else {
        return;
    };
    let (atoms, orig) = &*SEED;
    let fix = ctl & 1 != 0;
    let mut b = orig.clone();
    for e in script.chunks_exact(4) {
        edit(&mut b, e);
    }
    if fix {
        fix_crcs(&mut b);
    }
    let parsed = parse_pulse_section(&b, Some(atoms));
    let (released, end) = stream(&b, atoms, &mut Chunks::new(u64::from(*chunk_seed)));
    if b == *orig {
        assert!(parsed.is_ok() && end.is_ok(), "the unmodified seed fails");
    } else if !fix {
        assert!(
            parsed.is_err(),
            "an edited section with stale checksums parses"
        );
    }
    match (&parsed, &end) {
        (Ok(section), Ok(())) => {
            // Every streamed play is the parsed play's exact samples.
            assert_eq!(released.len(), section.plays.len());
            for ((channel, start, samples), play) in released.iter().zip(&section.plays) {
                assert_eq!((*channel, *start), (play.channel, play.start));
                let want = match &play.body {
                    PlayBody::Inline(w) => reconstruct_waveform(Some(atoms), w).expect("valid"),
                    PlayBody::Memory { slot, rotation } => {
                        let mut s =
                            reconstruct_waveform(Some(atoms), &section.memory[*slot as usize])
                                .expect("valid");
                        rotate_samples(&mut s, *rotation).expect("valid rotation");
                        s
                    }
                };
                // As the section's DAC plays them.
                let want: Vec<[i16; 2]> = want
                    .iter()
                    .map(|&v| dac_round(v, section.dac_bits))
                    .collect();
                assert_eq!(samples, &want);
            }
            // What parses re-encodes to something that parses back the same.
            let again = encode_pulse_section(section, Some(atoms)).expect("re-encodes");
            assert_eq!(
                &parse_pulse_section(&again, Some(atoms)).expect("parses"),
                section
            );
        }
        (Err(_), Err(_)) => {}
        (p, s) => panic!("parse {:?} but stream {s:?}", p.as_ref().map(|_| ())),
    }
}
