//! Hash chains over opcode sequences: for each hash of [`HASH_LEN`] opcodes, the positions where
//! they occur, latest first.

use eqisa_isa::copies::MIN_COPY;

/// Opcodes hashed to find candidates (the format's shortest copy).
pub(crate) const HASH_LEN: usize = MIN_COPY as usize;
const HASH_BITS: u32 = 13;
/// "No position" in the hash chains (positions are stored plus one).
const NIL: u32 = 0;

/// The hash of [`HASH_LEN`] opcodes (all below 16, so they pack into 32 bits).
pub(crate) fn hash_of(key: &[u8]) -> usize {
    let packed = key
        .iter()
        .fold(0u32, |acc, &b| (acc << 4) | u32::from(b & 15));
    (packed.wrapping_mul(0x9e37_79b1) >> (32 - HASH_BITS)) as usize
}

/// Hash chains: for each hash, the positions whose [`HASH_LEN`] opcodes have it, latest first.
#[derive(Clone, Debug)]
pub(crate) struct Chains {
    /// Per hash: the latest position, plus one ([`NIL`]: none).
    head: Vec<u32>,
    /// Per position: the previous one with the same hash, plus one.
    prev: Vec<u32>,
}

impl Chains {
    /// Empty chains (`enabled` false: no table at all, and nothing is ever found).
    pub(crate) fn new(enabled: bool) -> Chains {
        Chains {
            head: if enabled {
                vec![NIL; 1 << HASH_BITS]
            } else {
                Vec::new()
            },
            prev: Vec::new(),
        }
    }

    /// Add position `p` (the next after the last added) with hash `h`; false when it cannot be
    /// (positions past `u32`, or no table).
    pub(crate) fn insert(&mut self, p: usize, h: usize) -> bool {
        let (Some(slot), Ok(tagged)) = (self.head.get_mut(h), u32::try_from(p + 1)) else {
            return false;
        };
        let before = std::mem::replace(slot, tagged);
        self.prev.resize(p + 1, NIL);
        if let Some(prev) = self.prev.get_mut(p) {
            *prev = before;
        }
        true
    }

    /// The positions with hash `h`, latest first.
    pub(crate) fn candidates(&self, h: usize) -> impl Iterator<Item = usize> + '_ {
        let first = self.head.get(h).copied().unwrap_or(NIL);
        std::iter::successors((first != NIL).then(|| first as usize - 1), |&p| {
            self.prev
                .get(p)
                .copied()
                .filter(|&t| t != NIL)
                .map(|t| t as usize - 1)
        })
    }
}
