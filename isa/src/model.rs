//! The context model of the instruction stream, written once for encoder, decoder and trainer
//! (generic over [`Coder`]).
//!
//! Per instruction, in order:
//! 1. the condition (only in programs that have conditions): a flag, then "same as the last
//!    condition" or its index;
//! 2. the first qubit, as a position in a move-to-front list of the four most recently used
//!    qubits (one bit when it is the most recent one), or spelt out as its signed distance from
//!    the most recent one;
//! 3. the opcode, in the context of that qubit's last two opcodes: first "is it the opcode that
//!    followed this context last time?" (one bit, near-certain inside Matsumoto–Amano syllables
//!    and `rz·sx·rz` chains), else a 5-bit tree with per-context probabilities;
//! 4. the operands: the partner of a two-qubit gate ("same partner as this qubit's last one?",
//!    else a recent qubit, else its distance from the first qubit),
//!    an `rz` angle (a hit in an eight-entry move-to-front cache of grid indices, else the top
//!    eight bits by a tree and the rest direct), a measured bit ("the qubit's own index?", "the
//!    next after the last?"), a delay (whole ticks of `dt` or raw bits), a barrier's qubit list;
//! 5. in programs whose timing is not the ASAP schedule, the start and duration as raw bits.
//!
//! Every probability lives in one fixed-size table whose initial values (the priors) come from
//! the codebook, as does the opcode-prediction table; per-qubit state is two small words per
//! qubit. Memory is therefore the codebook's tables plus O(qubits), whatever the program length.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use crate::IsaError;
use crate::container::Target;
use crate::instr::{Arity, Instr, OPCODE_COUNT, Opcode};
use crate::rangecoder::{Coder, PROB_HALF, PROB_MAX, PROB_MIN};

/// Version of the model layout (slot numbering); a codebook's priors are only valid for it.
pub const MODEL_VERSION: u16 = 3;

/// Probability slots in the table (a power of two: indices are masked into it).
pub const TABLE_SLOTS: usize = 1 << 14;
const MASK: usize = TABLE_SLOTS - 1;

/// "No opcode yet" in a history.
const NONE: usize = OPCODE_COUNT;
/// Opcode history states per qubit (17 opcodes and "none").
const STATES: usize = OPCODE_COUNT + 1;
/// Opcode contexts: a qubit's last two opcodes.
pub const HIST_CTX: usize = STATES * STATES;

// Slot offsets in the probability table.
const COND_FLAG: usize = 0; // 2
const COND_SAME: usize = 2; // 1
const COND_IDX: usize = 256; // tree of 256
const Q_MRU0: usize = 512; // STATES
const Q_SYM: usize = 544; // STATES × 8
const Q_EXPLICIT: usize = 768; // 256
const Q1_PARTNER: usize = 1024; // OPCODE_COUNT
const Q1_SYM: usize = 1056; // 8
const Q1_EXPLICIT: usize = 1280; // 256
const ANG_HIT: usize = 1536; // STATES
const ANG_IDX: usize = 1568; // 8
const ANG_TOP: usize = 1792; // 256
const MEAS_EQQ: usize = 2048; // 1
const MEAS_NEXT: usize = 2049; // 1
const MEAS_EXPLICIT: usize = 2304; // 256
const DELAY_TICKS: usize = 2560; // 1
const DELAY_LEN: usize = 2576; // 65
const BAR_RUN: usize = 2656; // 1
const BAR_LEN: usize = 2672; // 65
const BAR_Q: usize = 2816; // 256
const OP_HIT: usize = 3072; // HIST_CTX (324)
const OP_TREE: usize = 4096; // HIST_CTX × 32 = 10368, ends at 14464
const _: () = assert!(OP_TREE + HIST_CTX * 32 <= TABLE_SLOTS);

/// Opcode bits of a prediction entry.
const PRED_OP: u8 = 0x1f;
/// Set in a prediction entry whose last use was a hit.
const PRED_CONFIDENT: u8 = 0x80;

/// Entries of the angle cache.
const ANGLE_CACHE: usize = 8;
/// Entries of the qubit move-to-front list.
const QUBIT_MRU: usize = 4;

/// What the model must know about a program before its first instruction (from its header and
/// program section).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramParams {
    /// The gate set: opcodes outside it are corruption.
    pub target: Target,
    /// Qubits (operands are below this).
    pub num_qubits: u32,
    /// Classical bits (measured bits are below this).
    pub num_clbits: u32,
    /// Angle precision (`crate::angle`; 0 = raw IEEE bits).
    pub angle_bits: u8,
    /// Conditions the program's instructions may wait on.
    pub num_conditions: u32,
    /// The target's sample period `dt` in ns, as IEEE bits (delays are coded in its ticks).
    pub dt_ns_bits: u64,
    /// Whether start times and durations are carried (they are not when the ASAP schedule
    /// reproduces them).
    pub explicit_timing: bool,
}

/// The learned initial state of the model: what a codebook holds for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Priors {
    /// Initial probability of every slot.
    pub probs: Box<[u16]>,
    /// Initial opcode prediction for every history context.
    pub predictions: Box<[u8]>,
}

impl Default for Priors {
    /// Flat priors: every probability one half, every prediction "none".
    fn default() -> Self {
        Priors {
            probs: vec![PROB_HALF; TABLE_SLOTS].into_boxed_slice(),
            predictions: vec![NONE as u8; HIST_CTX].into_boxed_slice(),
        }
    }
}

impl Priors {
    /// Check sizes and ranges (priors come from a file).
    pub fn validate(&self) -> Result<(), IsaError> {
        if self.probs.len() != TABLE_SLOTS || self.predictions.len() != HIST_CTX {
            return Err(IsaError::Corrupt(
                "codebook model tables have the wrong size",
            ));
        }
        if self
            .probs
            .iter()
            .any(|&p| !(PROB_MIN..=PROB_MAX).contains(&p))
        {
            return Err(IsaError::Corrupt("codebook probability out of range"));
        }
        if self.predictions.iter().any(|&p| usize::from(p) > NONE) {
            return Err(IsaError::Corrupt("codebook opcode prediction out of range"));
        }
        Ok(())
    }
}

/// Whether `op` belongs to `target`'s gate set.
#[must_use]
pub const fn allowed(target: Target, op: Opcode) -> bool {
    match op {
        Opcode::Measure | Opcode::Reset | Opcode::Delay | Opcode::Barrier | Opcode::X => true,
        Opcode::Rz | Opcode::Sx | Opcode::Cz | Opcode::Ecr => matches!(target, Target::Native),
        Opcode::H
        | Opcode::S
        | Opcode::Sdg
        | Opcode::T
        | Opcode::Tdg
        | Opcode::Y
        | Opcode::Z
        | Opcode::Cx => matches!(target, Target::CliffordT),
    }
}

/// Move `a[0..end]` one place up (dropping `a[end]`), by hand: `copy_within` on a few words
/// compiles to a `memmove` call.
#[inline(always)]
#[allow(clippy::indexing_slicing)] // 1 <= i <= ANGLE_CACHE - 1 throughout
fn shift_right(a: &mut [u64; ANGLE_CACHE], end: usize) {
    let mut i = end.min(ANGLE_CACHE - 1);
    while i > 0 {
        a[i] = a[i - 1];
        i -= 1;
    }
}

/// A history with no opcodes yet (see `Model::hist`).
const HIST_NONE: u16 = (NONE as u16) | (NONE as u16) << 8;

/// The opcode context of a history `prev1 | prev2 << 8`: `prev1 + STATES * prev2`.
#[inline(always)]
fn ctx_of(h: u16) -> usize {
    usize::from(h & 0xff) + STATES * usize::from(h >> 8)
}

/// Bits needed to write any value below `n` (0 for `n <= 1`).
#[must_use]
pub const fn width_for(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// The model's state while coding one program.
#[derive(Clone, Debug)]
pub struct Model {
    /// Fixed size, so the masked index into it needs no bounds check.
    probs: Box<[u16; TABLE_SLOTS]>,
    pred: Box<[u8]>,
    params: ProgramParams,
    /// Per qubit: its last two opcodes as `prev1 | prev2 << 8` (the context is
    /// `prev1 + STATES * prev2`, see [`ctx_of`]).
    hist: Vec<u16>,
    /// Per qubit: its last two-qubit partner (or itself when none).
    partner: Vec<u32>,
    mru: [u32; QUBIT_MRU],
    angles: [u64; ANGLE_CACHE],
    last_op: usize,
    last_cond: u32,
    last_cond_flag: bool,
    last_clbit: u32,
    /// The operands of a one- or two-qubit instruction.
    pair: [u32; 2],
    /// A barrier's qubit list.
    qbuf: Vec<u32>,
    qwidth: u32,
    cwidth: u32,
    condwidth: u32,
    /// Bit `op` set when opcode `op` is in the program's target.
    allowed: u32,
    /// Training only: how often each opcode followed each history context.
    opcode_stats: Option<Vec<u64>>,
}

impl Model {
    /// A model for one program, starting from `priors`.
    pub fn new(priors: &Priors, params: ProgramParams) -> Result<Model, IsaError> {
        priors.validate()?;
        let n = params.num_qubits as usize;
        let probs: Box<[u16; TABLE_SLOTS]> = priors
            .probs
            .clone()
            .try_into()
            .map_err(|_| IsaError::Corrupt("codebook model tables have the wrong size"))?;
        Ok(Model {
            probs,
            pred: priors.predictions.clone(),
            params,
            hist: vec![HIST_NONE; n],
            partner: (0..params.num_qubits).collect(),
            mru: [0; QUBIT_MRU],
            angles: [0; ANGLE_CACHE],
            last_op: NONE,
            last_cond: 0,
            last_cond_flag: false,
            last_clbit: u32::MAX,
            pair: [0; 2],
            qbuf: Vec::with_capacity(n.min(1 << 16)),
            qwidth: width_for(u64::from(params.num_qubits)),
            cwidth: width_for(u64::from(params.num_clbits)),
            condwidth: width_for(u64::from(params.num_conditions)),
            allowed: Opcode::ALL
                .iter()
                .filter(|&&op| allowed(params.target, op))
                .fold(0, |m, &op| m | 1 << (op as u32)),
            opcode_stats: None,
        })
    }

    /// The probability table (for [`crate::rangecoder::Counter`]).
    #[must_use]
    pub fn table(&self) -> &[u16] {
        self.probs.as_slice()
    }

    /// The prediction table (training reads it back).
    #[must_use]
    pub fn predictions(&self) -> &[u8] {
        &self.pred
    }

    /// Count, from now on, how often each opcode follows each history context (for training the
    /// opcode predictions; see [`Model::opcode_stats`]).
    pub fn enable_opcode_stats(&mut self) {
        self.opcode_stats = Some(vec![0; HIST_CTX * OPCODE_COUNT]);
    }

    /// The counts enabled by [`Model::enable_opcode_stats`]: entry `ctx * OPCODE_COUNT + op`.
    #[must_use]
    pub fn opcode_stats(&self) -> Option<&[u64]> {
        self.opcode_stats.as_deref()
    }

    /// The program's parameters.
    #[must_use]
    pub fn params(&self) -> &ProgramParams {
        &self.params
    }

    // The table has TABLE_SLOTS (a power of two) entries and every index is masked into it, so
    // this cannot go out of bounds.
    #[allow(clippy::indexing_slicing)]
    #[inline(always)]
    fn bit<C: Coder>(&mut self, c: &mut C, slot: usize, bit: bool) -> bool {
        c.bit(&mut self.probs[slot & MASK], bit)
    }

    /// `width` bits of `value`: the top (up to 8) by a tree at `base`, the rest direct.
    #[inline]
    fn fixed<C: Coder>(&mut self, c: &mut C, base: usize, value: u64, width: u32) -> u64 {
        let top = width.min(8);
        let low = width - top;
        let mut node = 1usize;
        for i in (0..top).rev() {
            let b = self.bit(c, base + node, (value >> (low + i)) & 1 == 1);
            node = (node << 1) | usize::from(b);
        }
        let hi = (node as u64) & ((1u64 << top) - 1);
        let lo = c.direct(value, low);
        (hi << low) | lo
    }

    /// An unbounded value: its bit length in unary with adaptive bits at `base`, then the bits
    /// below the leading one, direct.
    fn gamma<C: Coder>(&mut self, c: &mut C, base: usize, value: u64) -> u64 {
        let len = 64 - value.leading_zeros();
        let mut n = 0u32;
        while n < 64 {
            let more = self.bit(c, base + n as usize, n < len);
            if !more {
                break;
            }
            n += 1;
        }
        if n == 0 {
            return 0;
        }
        let rest = c.direct(value, n - 1);
        // n <= 64 here, so the shift is in range.
        (1u64 << (n - 1)) | rest
    }

    /// A qubit's history (`prev1 | prev2 << 8`).
    #[inline(always)]
    fn hist_of(&self, q: u32) -> u16 {
        self.hist.get(q as usize).copied().unwrap_or(HIST_NONE)
    }

    /// As [`Model::push_hist`] for a qubit whose history `hist_of` just returned as `h`.
    #[inline(always)]
    fn set_hist(&mut self, q: u32, h: u16, op: usize) {
        if let Some(slot) = self.hist.get_mut(q as usize) {
            *slot = op as u16 | (h & 0xff) << 8;
        }
    }

    #[inline(always)]
    fn push_hist(&mut self, q: u32, op: usize) {
        if let Some(slot) = self.hist.get_mut(q as usize) {
            *slot = op as u16 | (*slot & 0xff) << 8;
        }
    }

    #[inline(always)]
    fn touch(&mut self, q: u32) {
        let pos = self
            .mru
            .iter()
            .position(|&m| m == q)
            .unwrap_or(QUBIT_MRU - 1);
        // Spelt out: `copy_within` on four words compiles to a `memmove` call.
        let [a, b, c, d] = self.mru;
        self.mru = match pos {
            0 => [q, b, c, d],
            1 => [q, a, c, d],
            2 => [q, a, b, d],
            _ => [q, a, b, c],
        };
    }

    fn check_qubit(&self, q: u64) -> Result<u32, IsaError> {
        if q < u64::from(self.params.num_qubits) {
            Ok(q as u32)
        } else {
            Err(IsaError::Corrupt("qubit operand out of range"))
        }
    }

    /// A qubit spelt out as its signed distance from `anchor` (zigzag, then adaptive
    /// Elias-gamma): neighbours are cheap, which is how structured circuits (adders, ladders,
    /// nearest-neighbour layouts) move from qubit to qubit.
    fn qubit_near<C: Coder>(
        &mut self,
        c: &mut C,
        base: usize,
        q: u32,
        anchor: u32,
    ) -> Result<u32, IsaError> {
        let d = i64::from(q) - i64::from(anchor);
        let z = ((d << 1) ^ (d >> 63)) as u64;
        let z = self.gamma(c, base, z);
        let d = ((z >> 1) as i64) ^ -((z & 1) as i64);
        let v = i64::from(anchor).saturating_add(d);
        if v < 0 {
            return Err(IsaError::Corrupt("qubit operand out of range"));
        }
        self.check_qubit(v as u64)
    }

    /// Code the first qubit (`None`: the instruction has none).
    #[inline(always)]
    fn first_qubit<C: Coder>(
        &mut self,
        c: &mut C,
        q: Option<u32>,
    ) -> Result<Option<u32>, IsaError> {
        let ctx = self.last_op;
        let is0 = !C::DECODING && q == Some(self.mru[0]);
        if self.bit(c, Q_MRU0 + ctx, is0) {
            return Ok(Some(self.mru[0]));
        }
        // Symbols: 0..=2 → mru[1..=3], 3 → spelt out, 4 → no qubit.
        let sym = if C::DECODING {
            0
        } else {
            match q {
                None => 4,
                Some(q) => match self.mru.iter().skip(1).position(|&m| m == q) {
                    Some(i) => i as u64,
                    None => 3,
                },
            }
        };
        let base = Q_SYM + ctx * 8;
        let mut node = 1usize;
        for i in (0..3).rev() {
            let b = self.bit(c, base + node, (sym >> i) & 1 == 1);
            node = (node << 1) | usize::from(b);
        }
        match node & 7 {
            s @ 0..=2 => Ok(self.mru.get(s + 1).copied()),
            3 => {
                let anchor = self.mru[0];
                self.qubit_near(c, Q_EXPLICIT, q.unwrap_or(0), anchor)
                    .map(Some)
            }
            4 => Ok(None),
            _ => Err(IsaError::Corrupt("invalid qubit symbol")),
        }
    }

    fn second_qubit<C: Coder>(
        &mut self,
        c: &mut C,
        op: usize,
        q0: u32,
        q1: u32,
    ) -> Result<u32, IsaError> {
        let partner = self.partner.get(q0 as usize).copied().unwrap_or(q0);
        if self.bit(c, Q1_PARTNER + op, !C::DECODING && q1 == partner) {
            return if partner == q0 {
                Err(IsaError::Corrupt("two-qubit gate on one qubit"))
            } else {
                Ok(partner)
            };
        }
        let sym = if C::DECODING {
            0
        } else {
            self.mru
                .iter()
                .position(|&m| m == q1)
                .map_or(4, |i| i as u64)
        };
        let mut node = 1usize;
        for i in (0..3).rev() {
            let b = self.bit(c, Q1_SYM + node, (sym >> i) & 1 == 1);
            node = (node << 1) | usize::from(b);
        }
        let v = match node & 7 {
            s @ 0..=3 => self.mru.get(s).copied().unwrap_or(q0),
            4 => self.qubit_near(c, Q1_EXPLICIT, q1, q0)?,
            _ => return Err(IsaError::Corrupt("invalid qubit symbol")),
        };
        if v == q0 {
            return Err(IsaError::Corrupt("two-qubit gate on one qubit"));
        }
        Ok(v)
    }

    #[inline(always)]
    fn opcode<C: Coder>(&mut self, c: &mut C, ctx: usize, op: Opcode) -> Result<Opcode, IsaError> {
        let entry = self.pred.get(ctx).copied().unwrap_or(NONE as u8);
        let predicted = usize::from(entry & PRED_OP);
        let value = op as usize;
        let hit = self.bit(c, OP_HIT + ctx, !C::DECODING && value == predicted);
        let decoded = if hit {
            predicted
        } else {
            let base = OP_TREE + ctx * 32;
            let mut node = 1usize;
            for i in (0..5).rev() {
                let b = self.bit(c, base + node, (value >> i) & 1 == 1);
                node = (node << 1) | usize::from(b);
            }
            node & 31
        };
        // Two-state hysteresis: a prediction that just hit survives one miss. In contexts with
        // two common successors (inside Matsumoto–Amano syllables) the prediction then stays on
        // one of them, and the tree learns that a miss means the other.
        if let Some(p) = self.pred.get_mut(ctx) {
            *p = if hit {
                decoded as u8 | PRED_CONFIDENT
            } else if entry & PRED_CONFIDENT != 0 {
                entry & PRED_OP
            } else {
                decoded as u8
            };
        }
        if !C::DECODING
            && let Some(stats) = &mut self.opcode_stats
            && let Some(n) = stats.get_mut(ctx * OPCODE_COUNT + decoded)
        {
            *n += 1;
        }
        let Some(&op) = Opcode::ALL.get(decoded) else {
            return Err(IsaError::Corrupt("opcode out of range"));
        };
        if (self.allowed >> decoded) & 1 == 0 {
            return Err(IsaError::Corrupt("opcode not in the program's target"));
        }
        Ok(op)
    }

    #[inline(always)]
    fn angle<C: Coder>(&mut self, c: &mut C, prev1: usize, k: u64) -> u64 {
        let pos = if C::DECODING {
            0
        } else {
            self.angles
                .iter()
                .position(|&a| a == k)
                .unwrap_or(ANGLE_CACHE)
        };
        let v = if self.bit(c, ANG_HIT + prev1, pos < ANGLE_CACHE) {
            let mut node = 1usize;
            for i in (0..3).rev() {
                let b = self.bit(c, ANG_IDX + node, (pos >> i) & 1 == 1);
                node = (node << 1) | usize::from(b);
            }
            let i = node & 7;
            let v = self.angles.get(i).copied().unwrap_or(0);
            shift_right(&mut self.angles, i);
            v
        } else {
            let w = if self.params.angle_bits == 0 {
                64
            } else {
                u32::from(self.params.angle_bits)
            };
            let v = self.fixed(c, ANG_TOP, k, w);
            shift_right(&mut self.angles, ANGLE_CACHE - 1);
            v
        };
        self.angles[0] = v;
        v
    }

    fn clbit<C: Coder>(&mut self, c: &mut C, q: u32, b: u32) -> Result<u32, IsaError> {
        let v = if self.bit(c, MEAS_EQQ, !C::DECODING && b == q) {
            q
        } else if self.bit(
            c,
            MEAS_NEXT,
            !C::DECODING && b == self.last_clbit.wrapping_add(1),
        ) {
            self.last_clbit.wrapping_add(1)
        } else {
            let w = self.cwidth;
            self.fixed(c, MEAS_EXPLICIT, u64::from(b), w) as u32
        };
        if v >= self.params.num_clbits {
            return Err(IsaError::Corrupt("measured bit out of range"));
        }
        self.last_clbit = v;
        Ok(v)
    }

    /// Code one instruction. The encoder passes the instruction to write; the decoder passes
    /// anything (it is ignored) and gets the decoded one back. Timing, when the program carries
    /// it, is coded by [`Model::timing`] right after.
    pub fn code<C: Coder>(&mut self, c: &mut C, input: &Instr<'_>) -> Result<Instr<'_>, IsaError> {
        // 1. Condition.
        let cond = if self.params.num_conditions > 0 {
            let flag_ctx = usize::from(self.last_cond_flag);
            let has = self.bit(c, COND_FLAG + flag_ctx, input.cond.is_some());
            self.last_cond_flag = has;
            if has {
                let want = input.cond.unwrap_or(0);
                let idx = if self.bit(c, COND_SAME, want == self.last_cond) {
                    self.last_cond
                } else {
                    let w = self.condwidth;
                    self.fixed(c, COND_IDX, u64::from(want), w) as u32
                };
                if idx >= self.params.num_conditions {
                    return Err(IsaError::Corrupt("condition index out of range"));
                }
                self.last_cond = idx;
                Some(idx)
            } else {
                None
            }
        } else {
            None
        };

        // 2. First qubit.
        let q0 = self.first_qubit(c, input.qubits.first().copied())?;

        // 3. Opcode.
        let h0 = q0.map_or(HIST_NONE, |q| self.hist_of(q));
        let ctx = ctx_of(h0);
        let opcode = self.opcode(c, ctx, input.opcode)?;
        let op = opcode as usize;

        // 4. Operands, and 5. state updates (the MRU list gets the last operand at its front).
        let mut arg = 0u64;
        let qubits: &[u32] = match (opcode.arity(), q0) {
            (Arity::One, Some(q)) => {
                match opcode {
                    Opcode::Rz => arg = self.angle(c, usize::from(h0 & 0xff), input.arg),
                    Opcode::Measure => {
                        arg = u64::from(self.clbit(c, q, input.arg as u32)?);
                    }
                    Opcode::Delay => arg = self.delay(c, input.arg),
                    _ => {}
                }
                self.last_op = op;
                self.set_hist(q, h0, op);
                self.touch(q);
                self.pair = [q, q];
                core::slice::from_ref(&self.pair[0])
            }
            (Arity::Two, Some(q)) => {
                let want = input.qubits.get(1).copied().unwrap_or(0);
                let q1 = self.second_qubit(c, op, q, want)?;
                if let Some(p) = self.partner.get_mut(q as usize) {
                    *p = q1;
                }
                if let Some(p) = self.partner.get_mut(q1 as usize) {
                    *p = q;
                }
                self.last_op = op;
                self.set_hist(q, h0, op);
                self.touch(q);
                self.push_hist(q1, op);
                self.touch(q1);
                self.pair = [q, q1];
                &self.pair
            }
            (Arity::List, first) => {
                self.barrier(c, input, first)?;
                self.last_op = op;
                for i in 0..self.qbuf.len().min(2) {
                    let q = self.qbuf.get(i).copied().unwrap_or(0);
                    self.push_hist(q, op);
                    self.touch(q);
                }
                for i in 2..self.qbuf.len() {
                    let q = self.qbuf.get(i).copied().unwrap_or(0);
                    self.push_hist(q, op);
                }
                &self.qbuf
            }
            (_, None) => return Err(IsaError::Corrupt("gate without its qubit")),
        };
        Ok(Instr {
            opcode,
            qubits,
            cond,
            arg,
        })
    }

    /// A barrier's qubit list (after its first qubit, if any), into `qbuf`.
    fn barrier<C: Coder>(
        &mut self,
        c: &mut C,
        input: &Instr<'_>,
        first: Option<u32>,
    ) -> Result<(), IsaError> {
        self.qbuf.clear();
        let has_first = usize::from(first.is_some());
        let rest = input.qubits.len().saturating_sub(has_first) as u64;
        let n = self.gamma(c, BAR_LEN, rest);
        let total = n.saturating_add(has_first as u64);
        if total > u64::from(self.params.num_qubits) {
            return Err(IsaError::Corrupt(
                "barrier lists more qubits than the program has",
            ));
        }
        if let Some(q) = first {
            self.qbuf.push(q);
        }
        let from = first.map_or(0u64, |q| u64::from(q) + 1);
        let run = !C::DECODING
            && input
                .qubits
                .iter()
                .skip(has_first)
                .zip(from..)
                .all(|(&q, want)| u64::from(q) == want);
        if n > 0 && self.bit(c, BAR_RUN, run) {
            if from + n > u64::from(self.params.num_qubits) {
                return Err(IsaError::Corrupt("barrier run out of range"));
            }
            self.qbuf.extend(from as u32..(from + n) as u32);
        } else {
            for i in 0..n as usize {
                let want = input.qubits.get(i + has_first).copied().unwrap_or(0);
                let w = self.qwidth;
                let v = self.fixed(c, BAR_Q, u64::from(want), w);
                let q = self.check_qubit(v)?;
                self.qbuf.push(q);
            }
        }
        Ok(())
    }

    /// A delay: `arg` holds the duration's IEEE bits in ns; whole ticks of `dt` are coded as a
    /// count, anything else as raw bits.
    fn delay<C: Coder>(&mut self, c: &mut C, arg: u64) -> u64 {
        let dt = f64::from_bits(self.params.dt_ns_bits);
        let ticks = if C::DECODING || !(dt > 0.0 && dt.is_finite()) {
            None
        } else {
            let ns = f64::from_bits(arg);
            let t = ns / dt;
            if (0.0..9.0e15).contains(&t) {
                let k = (t + 0.5) as u64;
                ((k as f64 * dt).to_bits() == arg).then_some(k)
            } else {
                None
            }
        };
        if self.bit(c, DELAY_TICKS, ticks.is_some()) {
            let k = self.gamma(c, DELAY_LEN, ticks.unwrap_or(0));
            (k as f64 * dt).to_bits()
        } else {
            c.direct(arg, 64)
        }
    }

    /// Code an explicit start time and duration (raw IEEE bits), for programs whose timing is
    /// not the ASAP schedule.
    pub fn timing<C: Coder>(&mut self, c: &mut C, start_ns: f64, duration_ns: f64) -> (f64, f64) {
        let s = c.direct(start_ns.to_bits(), 64);
        let d = c.direct(duration_ns.to_bits(), 64);
        (f64::from_bits(s), f64::from_bits(d))
    }
}
