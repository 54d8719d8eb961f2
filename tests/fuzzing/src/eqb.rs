//! The `.eqb` side: the flat codebook the seeds are assembled with, the streaming decode with
//! chosen chunk sizes, the check that it agrees with `decode_all`, and a checksum fixer that lets
//! edits past the CRCs.

use std::sync::LazyLock;

use eqisa_decoder::{DecodedInstr, Decoder, Fed, feed_chunks};
use eqisa_isa::codebook::Codebook;
use eqisa_isa::container::{HEADER_LEN, SECTION_HEADER_LEN, TRAILER_LEN};
use eqisa_isa::model::Priors;
use eqisa_isa::stream::BlockHeader;
use eqisa_isa::{Crc32c, IsaError, SectionKind, crc32c};
use eqisa_test_support::flat_codebook;

use crate::chunks::Chunks;

/// The codebook the seeds were assembled with (`assembler/tests/robustness.rs`) and its hash.
pub static FLAT: LazyLock<(Codebook, [u8; 32])> = LazyLock::new(flat_codebook);

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
        || chunks.next_size(),
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
                // Over the block's length and count as well as its payload.
                let c = BlockHeader::checksum(bh.len, bh.ops, &b[from..to]);
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
