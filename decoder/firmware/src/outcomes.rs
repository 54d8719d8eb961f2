//! Answers to real-time `while` conditions: seeded random or given, with a cap on the iterations
//! of one loop.

use std::collections::HashMap;

use crate::error::FirmwareError;
use crate::params::{FirmwareParams, Outcomes};

/// Hands out the answers [`FirmwareParams::outcomes`] describes.
#[derive(Debug)]
pub(crate) struct Answers {
    outcomes: Outcomes,
    /// SplitMix64 state, for [`Outcomes::Random`].
    state: u64,
    /// Answers given so far.
    asked: usize,
    /// Iterations so far of each running `while`, by its condition and bit offset (an
    /// iteration of a `while` asks the same pair each time; a `false` ends the loop).
    running: HashMap<(u32, u64), u64>,
    cap: u64,
}

impl Answers {
    pub(crate) fn new(p: &FirmwareParams) -> Result<Self, FirmwareError> {
        let state = match p.outcomes {
            Outcomes::Random { seed, p_true } => {
                if !(0.0..=1.0).contains(&p_true) {
                    return Err(FirmwareError::Param {
                        name: "outcomes.random.p_true",
                        value: p_true,
                        why: "must be between 0 and 1",
                    });
                }
                seed
            }
            Outcomes::Given(_) => 0,
        };
        Ok(Answers {
            outcomes: p.outcomes.clone(),
            state,
            asked: 0,
            running: HashMap::new(),
            cap: p.max_while_iterations,
        })
    }

    /// Whether the `while` on `cond` at `bit_offset` runs another iteration.
    pub(crate) fn answer(&mut self, cond: u32, bit_offset: u64) -> Result<bool, FirmwareError> {
        let holds = match &self.outcomes {
            Outcomes::Random { p_true, .. } => {
                let p = *p_true;
                // 53 random bits as a fraction in [0, 1): `< 1.0` always holds, `< 0.0` never.
                (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64) < p
            }
            Outcomes::Given(v) => *v
                .get(self.asked)
                .ok_or(FirmwareError::OutOfOutcomes { given: v.len() })?,
        };
        self.asked += 1;
        let key = (cond, bit_offset);
        if holds {
            let n = self.running.entry(key).or_insert(0);
            *n += 1;
            if *n > self.cap {
                return Err(FirmwareError::WhileCap {
                    cond,
                    bit_offset,
                    cap: self.cap,
                });
            }
        } else {
            self.running.remove(&key);
        }
        Ok(holds)
    }

    /// SplitMix64 (Steele, Lea and Flood, OOPSLA 2014).
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
