//! Mutated multi-stream files (`eqisa assemble --controllers`: a table of controllers, their
//! qubits, ports, imported and exported bits, then one `.eqb` per controller) into the table's
//! parser, and every stream it accepts into the streaming decoder (through the `looped` target,
//! which also recomputes the stream's checksums so that edits reach the decoder). Also the same
//! input with the table's and the file's checksums recomputed, so that edits reach the parser's
//! field checks rather than stopping at a CRC.
//!
//! Fails on a panic or a hang; on a parsed file that does not write back, or reads back as
//! another; on a qubit below the program's count that no controller drives; and on whatever the
//! `looped` target refuses in a stream.

use eqisa_isa::container::streams::{STREAMS_HEADER_LEN, Streams};
use eqisa_isa::crc32c;

use crate::targets::looped;

/// Qubits checked for an owner (a hostile table may declare millions).
const OWNERS_CHECKED: u32 = 1 << 12;

/// Runs the target on `data`; panics when a property fails.
pub fn run(data: &[u8]) {
    check(data);
    if let Some(fixed) = with_crcs_fixed(data)
        && fixed != data
    {
        check(&fixed);
    }
}

fn check(bytes: &[u8]) {
    let Ok(s) = Streams::parse(bytes) else {
        return;
    };
    let again = s
        .to_bytes()
        .expect("a parsed multi-stream file writes back");
    assert_eq!(
        Streams::parse(&again).expect("what was written reads back"),
        s,
        "a multi-stream file read back differs"
    );
    for q in 0..s.qubit_count.min(OWNERS_CHECKED) {
        assert!(s.controller_of(q).is_some(), "qubit {q} has no controller");
    }
    for (_, stream) in &s.controllers {
        looped::run(stream);
    }
}

/// `bytes` with the header's, the table's and the file's CRCs recomputed (the layout of
/// `isa/src/container/streams.rs`: a 26-byte header whose last four bytes are the CRC of the
/// first 22, the table's length at byte 18, the table, its CRC, the streams, the file's CRC);
/// `None` when the input is too short to hold them.
fn with_crcs_fixed(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut b = bytes.to_vec();
    let len = b.len();
    let body_end = len.checked_sub(4)?;
    if body_end < STREAMS_HEADER_LEN + 4 {
        return None;
    }
    let put = |b: &mut Vec<u8>, at: usize, v: u32| {
        if let Some(slot) = b.get_mut(at..at + 4) {
            slot.copy_from_slice(&v.to_le_bytes());
        }
    };
    let head = crc32c(b.get(..22)?);
    put(&mut b, 22, head);
    let table_len = u32::from_le_bytes(b.get(18..22)?.try_into().ok()?) as usize;
    let table_end = STREAMS_HEADER_LEN.checked_add(table_len)?;
    if table_end + 4 <= body_end {
        let table = crc32c(b.get(STREAMS_HEADER_LEN..table_end)?);
        put(&mut b, table_end, table);
    }
    let file = crc32c(b.get(..body_end)?);
    put(&mut b, body_end, file);
    Some(b)
}
