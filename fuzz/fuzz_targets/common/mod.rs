//! Shared by the `.eqb` fuzz targets: the flat codebook, a streaming decode loop with chosen
//! chunk sizes, and a CRC fixer that lets mutations past the checksums.

#![allow(dead_code)]

use std::sync::LazyLock;

use eqisa_decoder::{DecodedInstr, Decoder, Fed, feed_chunks};
use eqisa_isa::codebook::Codebook;
use eqisa_isa::container::{HEADER_LEN, SECTION_HEADER_LEN, TRAILER_LEN};
use eqisa_isa::model::Priors;
use eqisa_isa::stream::BlockHeader;
use eqisa_isa::{Crc32c, IsaError, SectionKind, crc32c};
use eqisa_test_support::flat_codebook;

/// The codebook the seeds were assembled with (`assembler/tests/robustness.rs`) and its hash.
pub static FLAT: LazyLock<(Codebook, [u8; 32])> = LazyLock::new(flat_codebook);

/// A small deterministic generator for chunk sizes.
pub struct Chunks {
    state: u64,
    max: usize,
}

impl Chunks {
    /// Chunk sizes in `1..=max`, where `max` is 1, 7, 64, 4096 or the decoder's whole buffer,
    /// chosen by `seed` along with the sequence.
    pub fn new(seed: u64) -> Self {
        let max = [1, 7, 64, 4096, eqisa_decoder::MAX_BUFFER][(seed % 5) as usize];
        Chunks {
            state: seed | 1,
            max,
        }
    }

    pub fn next(&mut self) -> usize {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        1 + (self.state as usize) % self.max
    }
}

/// Decode with the streaming decoder, feeding chunks from `chunks`; returns the instructions
/// released and how it ended. Panics if the decoder asks for input but takes none (a caller
/// feeding it the way `decode_all` does would spin forever).
pub fn stream(
    bytes: &[u8],
    priors: &Priors,
    hash: [u8; 32],
    chunks: &mut Chunks,
) -> (Vec<DecodedInstr>, Result<(), IsaError>) {
    let mut dec = Decoder::new(priors, hash);
    let mut rest = bytes;
    let mut out = Vec::new();
    let fed = feed_chunks(
        &mut dec,
        &mut rest,
        || chunks.next(),
        |t| {
            out.push(DecodedInstr::from(t));
            Ok::<(), IsaError>(())
        },
    );
    let end = match fed {
        Err(e) => {
            let _ = e.to_string();
            Err(e)
        }
        Ok(Fed::NeedInput) => {
            let end = dec.finish();
            assert!(
                end.is_err(),
                "decoder wants input, yet finish() accepts the program"
            );
            end
        }
        Ok(Fed::Stalled) => panic!("decoder asked for input but took none"),
        Ok(Fed::End) if !rest.is_empty() => Err(IsaError::TrailingBytes(rest.len())),
        Ok(Fed::End) => dec.finish(),
    };
    (out, end)
}

/// Decode both ways and check they agree: the streaming decoder (in `chunks`) and `decode_all`
/// must both succeed with the same instructions, or both fail. Returns the streaming result.
pub fn decode_both(
    bytes: &[u8],
    priors: &Priors,
    hash: [u8; 32],
    chunks: &mut Chunks,
) -> (Vec<DecodedInstr>, Result<(), IsaError>) {
    let whole = eqisa_decoder::decode_all(bytes, priors, hash);
    let (released, end) = stream(bytes, priors, hash, chunks);
    match (&whole, &end) {
        (Ok(p), Ok(())) => assert!(
            same(&p.instrs, &released),
            "streaming and whole decodes differ"
        ),
        (Err(_), Err(_)) => {}
        (a, b) => panic!(
            "decode_all {:?} but streaming {:?}",
            a.as_ref().map(|p| p.instrs.len()),
            b
        ),
    }
    (released, end)
}

/// Equal instructions, with times compared bit for bit (a NaN time equals itself).
pub fn same(a: &[DecodedInstr], b: &[DecodedInstr]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.opcode == y.opcode
                && x.qubits == y.qubits
                && x.cond == y.cond
                && x.arg == y.arg
                && x.start_ns.to_bits() == y.start_ns.to_bits()
                && x.duration_ns.to_bits() == y.duration_ns.to_bits()
        })
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Recompute every checksum of a (possibly mangled) `.eqb` where its framing can still be
/// followed: header CRC, block CRCs, section CRCs, the file CRC. Never panics.
pub fn fix_crcs(b: &mut [u8]) {
    if b.len() < HEADER_LEN {
        return;
    }
    let c = crc32c(&b[..HEADER_LEN - 4]);
    b[HEADER_LEN - 4..HEADER_LEN].copy_from_slice(&c.to_le_bytes());
    let count = b[HEADER_LEN - 5];
    let mut pos = HEADER_LEN;
    for _ in 0..count {
        if pos + SECTION_HEADER_LEN > b.len() {
            return;
        }
        let kind = b[pos];
        let len = le_u32(b, pos + 1) as usize;
        let body = pos + SECTION_HEADER_LEN;
        let Some(end) = body.checked_add(len).filter(|&e| e <= b.len()) else {
            return;
        };
        if SectionKind::try_from(kind) == Ok(SectionKind::Instructions) {
            let mut q = body;
            while q < end {
                let Ok(Some((bh, hlen))) = BlockHeader::parse(&b[q..end]) else {
                    break;
                };
                let from = q + hlen;
                let Some(to) = from.checked_add(bh.len).filter(|&t| t <= end) else {
                    break;
                };
                let c = crc32c(&b[from..to]);
                b[from - 4..from].copy_from_slice(&c.to_le_bytes());
                q = to;
            }
        }
        let mut c = Crc32c::new();
        c.update(&b[pos..pos + 5]);
        c.update(&b[body..end]);
        let c = c.finish();
        b[pos + 5..pos + 9].copy_from_slice(&c.to_le_bytes());
        pos = end;
    }
    if pos + TRAILER_LEN <= b.len() {
        let c = crc32c(&b[..pos]);
        b[pos..pos + TRAILER_LEN].copy_from_slice(&c.to_le_bytes());
    }
}

const INTERESTING: [u32; 8] = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fff_ffff, 0xffff_ffff];

/// Applies one 4-byte edit (xor, set, insert, delete, truncate, copy a span, write an
/// interesting `u32`, ±1) to `b`.
pub fn edit(b: &mut Vec<u8>, e: &[u8]) {
    let n = b.len();
    let at = usize::from(u16::from_le_bytes([e[1], e[2]]));
    let v = e[3];
    match e[0] % 8 {
        0 if n > 0 => b[at % n] ^= v.max(1),
        1 if n > 0 => b[at % n] = v,
        2 => {
            let at = at % (n + 1);
            b.splice(at..at, std::iter::repeat_n(v, 1 + usize::from(e[0] >> 5)));
        }
        3 if n > 0 => {
            let at = at % n;
            let end = (at + 1 + usize::from(v % 16)).min(n);
            b.drain(at..end);
        }
        4 if n > 0 => b.truncate(at % n),
        5 if n > 0 => {
            // Copy a span over another place (a block header, a section...).
            let from = at % n;
            let to = usize::from(v) * n / 256;
            let len = (1 + usize::from(e[0] >> 3)).min(n - from).min(n - to);
            let span = b[from..from + len].to_vec();
            b[to..to + len].copy_from_slice(&span);
        }
        6 if n >= 4 => {
            let at = at % (n - 3);
            let x = INTERESTING[usize::from(v % 8)];
            b[at..at + 4].copy_from_slice(&x.to_le_bytes());
        }
        7 if n > 0 => {
            let at = at % n;
            b[at] = b[at].wrapping_add(if v & 1 == 0 { 1 } else { 0xff });
        }
        _ => {}
    }
}
