//! Edits of a valid input, four script bytes each: how the mutated-program targets reach past
//! the framing into the parsers behind it.

/// `u32`s that sit on boundaries of lengths, counts and varints.
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
