//! A training "coder" that codes nothing and counts what the model asks of each probability.

use alloc::vec::Vec;

use super::base::{Coder, adapt};
use crate::bits::low_bits;

/// Training "coder": codes nothing, counts how often each probability slot of one table saw a 0
/// and a 1 (slots are found by address within the table passed to [`Counter::new`]).
#[derive(Debug, Clone)]
pub struct Counter {
    base: usize,
    len: usize,
    /// `counts[i] = [zeros, ones]` for slot `i`.
    pub counts: Vec<[u64; 2]>,
    /// Bits coded directly (no model), for statistics.
    pub direct_bits: u64,
}

impl Counter {
    /// A counter for the probability table `table` (the model's own table: the slots the model
    /// passes to [`Coder::bit`] must lie inside it to be counted).
    #[must_use]
    pub fn new(table: &[u16]) -> Self {
        Counter {
            base: table.as_ptr() as usize,
            len: table.len(),
            counts: alloc::vec![[0, 0]; table.len()],
            direct_bits: 0,
        }
    }

    /// Re-point at the model's table (after the model was rebuilt at another address) keeping
    /// the counts.
    pub fn rebase(&mut self, table: &[u16]) {
        self.base = table.as_ptr() as usize;
        self.len = table.len();
        if self.counts.len() < table.len() {
            self.counts.resize(table.len(), [0, 0]);
        }
    }
}

impl Coder for Counter {
    const DECODING: bool = false;

    fn bit(&mut self, p: &mut u16, bit: bool) -> bool {
        let addr = p as *const u16 as usize;
        if addr >= self.base {
            let i = (addr - self.base) / core::mem::size_of::<u16>();
            if i < self.len
                && let Some(c) = self.counts.get_mut(i)
            {
                if let Some(n) = c.get_mut(usize::from(bit)) {
                    *n += 1;
                }
            }
        }
        adapt(p, bit);
        bit
    }

    fn direct(&mut self, value: u64, n: u32) -> u64 {
        self.direct_bits += u64::from(n.min(64));
        low_bits(value, n)
    }
}

#[cfg(test)]
mod tests {
    use super::super::base::PROB_HALF;
    use super::*;
    use alloc::vec;

    #[test]
    fn counter_counts_per_slot() {
        let table = vec![PROB_HALF; 3];
        let mut c = Counter::new(&table);
        let mut t = table;
        c.bit(&mut t[1], true);
        c.bit(&mut t[1], false);
        c.bit(&mut t[2], true);
        assert_eq!(c.counts, vec![[0, 0], [1, 1], [0, 1]]);
    }
}
