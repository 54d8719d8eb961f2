//! The context model of the instruction stream, written once for encoder, decoder and trainer
//! (generic over [`Coder`]).
//!
//! Per instruction, in order:
//! 1. the condition (only in programs that have conditions): a flag, then "same as the last
//!    condition" or its index (binary decisions);
//! 2. the first qubit, one symbol in the context of the previous opcode: a position in a
//!    move-to-front list of the four most recently used qubits, a small signed distance (up to
//!    ±5) from the most recent one, a far distance (its bit length as a symbol, then the bits), or
//!    "none";
//! 3. the opcode, one symbol in the context of that qubit's last two opcodes, over the lanes of
//!    the program's gate set: this is where the Matsumoto–Amano structure of gridsynth words
//!    (`h·t`, `h·s·t` syllables) and the `rz·sx·rz` chains of native code become cheap. On the
//!    native target `rz` has eight lanes, which also say where its angle is in an eight-entry
//!    move-to-front cache of grid indices (a miss; entries 0 to 5; entry 6 or 7, then a binary
//!    decision), so that an `rz` with a recent angle is one symbol;
//! 4. the operands: the partner of a two-qubit gate (one symbol: this qubit's last partner, a
//!    recent qubit, a small or far distance from the first qubit), the angle of an `rz` that
//!    missed the cache (its top eight bits as two four-bit symbols, the rest direct), a measured
//!    bit ("the qubit's own index?", "the next after the last?"), a delay (whole ticks of `dt`
//!    or raw bits), a barrier's qubit list;
//! 5. in programs whose timing is not the ASAP schedule, the start and duration as raw bits.
//!
//! On the Clifford+T target three more opcode lanes stand for several one-qubit gates on the
//! qubit ([`crate::copies`]): the Matsumoto–Amano syllables `h t` and `s h t`, and a copy, whose
//! length and distance follow (each a bit length as a symbol, then the bits below the leading
//! one) and whose gates are taken from the window of recent one-qubit opcodes. Their gates come
//! out one per call to [`Model::code`], with nothing more coded for them.
//!
//! Symbols are coded with the adaptive multi-symbol distributions of [`crate::coder`] (one
//! coder step each), the rare binary choices with adaptive probabilities. A common native
//! operation thus costs two coder steps (qubit, opcode) or three (a partner, or an angle's top
//! bits); on `grover_native_ibm_heron_n16`, 2.56 steps per operation, where the binary model of
//! model version 3 took 7.7 dependent binary decisions. The lanes are ordered likelier first,
//! because the decoder searches from lane 0 (see [`crate::coder::Cdf`]).
//!
//! The codebook's priors hold the initial state: a table of [`TABLE_SLOTS`] `u16` slots. Slots
//! `0..3072` are binary probabilities (of a 0, in units of 2^-12); from [`CDF_PRIORS`] on, each
//! distribution has sixteen slots, one log-weight per lane (see
//! [`crate::coder::weight_of_log`]): the first qubit's (18 contexts), the partner's (17), the
//! far distances' (2), the angle's top nibbles (1 + 16), a copy's length and distance (2), then
//! the opcode's, 324 contexts for the native target and 324 for Clifford+T. Lanes a context can
//! never use start with weight zero whatever the prior says. The prediction table of [`Priors`] is kept for the codebook's layout but not used by this version of the model.
//!
//! Memory while decoding: 8 KiB of binary probabilities, 512 distributions of 32 bytes (16 KiB,
//! of which 380 are used: the opcode contexts of the program's target and the operand contexts),
//! the 16 KiB copy window, the codebook's macro words (up to 16 KiB), two small words per qubit and an eight-entry angle cache, whatever the
//! program length.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use crate::coder::{Cdf, Coder, LANES, PROB_HALF, PROB_MAX, PROB_MIN};
use crate::container::Target;
use crate::copies::{MAX_COPY, MAX_WORDS, MIN_COPY, Packed, SYLLABLES, Window, syllable_op};
use crate::error::IsaError;
use crate::instr::{Arity, Instr, OPCODE_COUNT, Opcode};

/// Version of the model layout (slot numbering and meaning); a codebook's priors are only valid
/// for it.
pub const MODEL_VERSION: u16 = 5;

/// Prior slots in a codebook's table.
pub const TABLE_SLOTS: usize = 1 << 14;
/// Binary probabilities the model keeps while coding (the table's first slots; a power of two:
/// indices are masked into it).
const BIN_SLOTS: usize = 1 << 12;
const BIN_MASK: usize = BIN_SLOTS - 1;

/// "No opcode yet" in a history.
const NONE: usize = OPCODE_COUNT;
/// Opcode history states per qubit (17 opcodes and "none").
const STATES: usize = OPCODE_COUNT + 1;
/// Opcode contexts: a qubit's last two opcodes.
pub const HIST_CTX: usize = STATES * STATES;

// Binary slots.
const COND_FLAG: usize = 0; // 2
const COND_SAME: usize = 2; // 1
const COND_IDX: usize = 256; // tree of 256
const MEAS_EQQ: usize = 2048; // 1
const MEAS_NEXT: usize = 2049; // 1
const MEAS_EXPLICIT: usize = 2304; // 256
const DELAY_TICKS: usize = 2560; // 1
const DELAY_LEN: usize = 2576; // 65
const BAR_RUN: usize = 2656; // 1
const BAR_LEN: usize = 2672; // 65
const BAR_Q: usize = 2816; // 256, ends at 3072
const ANG_HIGH: usize = 2050; // 1: cache entry 6 or 7

/// First prior slot of the distributions (sixteen slots each).
pub const CDF_PRIORS: usize = 3072;
// Distributions, by index (the same in the priors and while coding, up to the opcode's: the
// priors hold one set per target, the model the set of its program's target).
const C_QFIRST: usize = 0; // STATES: by the previous opcode
const C_QSECOND: usize = C_QFIRST + STATES; // OPCODE_COUNT: by the opcode
const C_QFAR: usize = C_QSECOND + OPCODE_COUNT; // 2: first, second qubit
const C_ANG_HI: usize = C_QFAR + 2; // 1
const C_ANG_LO: usize = C_ANG_HI + 1; // 16: by the high nibble
const C_COPY_LEN: usize = C_ANG_LO + 16; // 1: a copy's length
const C_COPY_DIST: usize = C_COPY_LEN + 1; // 1: a copy's distance
/// The opcode's distributions: `HIST_CTX` of them (in the priors, per target: native first).
const C_OP: usize = C_COPY_DIST + 1;
/// Distributions in use while coding.
const RUN_CDFS: usize = C_OP + HIST_CTX;
/// Distributions held while coding (a power of two: indices are masked into it).
const CDF_SLOTS: usize = 512;
const CDF_MASK: usize = CDF_SLOTS - 1;
const _: () = assert!(RUN_CDFS <= CDF_SLOTS);
const _: () = assert!(CDF_PRIORS + (C_OP + 2 * HIST_CTX) * LANES <= TABLE_SLOTS);
const _: () = assert!(BAR_Q + 256 <= CDF_PRIORS && CDF_PRIORS <= BIN_SLOTS);

// Qubit lanes.
/// First qubit: lanes `0..4` are the move-to-front list.
const Q_MRU: usize = 4;
/// First qubit: lanes `4..14` are the zigzagged distances 1..=10 from the most recent qubit.
const Q_NEAR: usize = 10;
/// First qubit: a far distance.
const Q_FAR_LANE: usize = Q_MRU + Q_NEAR;
/// First qubit: none (a barrier over no qubits).
const Q_NONE_LANE: usize = 15;
/// Second qubit: lane 0 is the first qubit's last partner, `1..5` the list, `5..15` near
/// distances from the first qubit, 15 a far distance.
const Q1_NEAR: usize = 5;
const Q1_FAR_LANE: usize = 15;
/// Entries of the angle cache.
const ANGLE_CACHE: usize = 8;
/// Entries of the qubit move-to-front list.
const QUBIT_MRU: usize = 4;
/// An opcode lane no opcode uses.
const NO_OP: u8 = 0xff;
/// The Clifford+T opcode lane of a copy.
const COPY_LANE: u8 = 15;
#[allow(clippy::indexing_slicing)] // checked at compile time
const _: () = assert!(matches!(
    CLIFFORD_T_LANES[COPY_LANE as usize],
    LaneDef::Copy
));
// Syllable `i` is lane `i` (the encoder relies on it).
#[allow(clippy::indexing_slicing)] // checked at compile time
const _: () = assert!(
    matches!(CLIFFORD_T_LANES[0], LaneDef::Syllable(0))
        && matches!(CLIFFORD_T_LANES[1], LaneDef::Syllable(1))
);
/// Angle-cache entries with a lane of their own in the opcode symbol (the others share one).
const RZ_HIT_LANES: usize = 6;

/// What follows an opcode in the stream (and how its state is updated). Numbered so that the
/// decoder tells them apart by ranges (branches it predicts) rather than a jump table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
enum Kind {
    /// One qubit, nothing else.
    Plain,
    /// `rz` with angle-cache entry `i` (`i < RZ_HIT_LANES`).
    RzHit,
    /// `rz` with angle-cache entry 6 or 7 (a binary decision follows).
    RzHigh,
    /// `rz`, its angle not in the cache (the angle follows).
    RzMiss,
    /// One qubit and a classical bit.
    Measure,
    /// One qubit and a duration.
    Delay,
    /// Two qubits.
    Two,
    /// A qubit list.
    List,
    /// A copy of earlier one-qubit opcodes (see [`crate::copies`]).
    Copy,
    /// A Matsumoto–Amano syllable (see [`crate::copies::SYLLABLES`]).
    Syllable,
    /// A lane no opcode of the target uses.
    Invalid,
}

/// Where the operations of a copy or syllable come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// The window, this many opcodes back.
    Window(u32),
    /// The codebook's macro words, from this index on.
    Words(usize),
    /// This syllable of [`SYLLABLES`].
    Syllable(usize),
}

/// Whether `op` is a one-qubit gate without operands: what copies are made of.
#[must_use]
#[inline]
pub const fn copyable(op: Opcode) -> bool {
    matches!(kind_of(op), Kind::Plain)
}

const fn kind_of(op: Opcode) -> Kind {
    match op {
        Opcode::Rz => Kind::RzMiss,
        Opcode::Measure => Kind::Measure,
        Opcode::Delay => Kind::Delay,
        _ => match op.arity() {
            Arity::One => Kind::Plain,
            Arity::Two => Kind::Two,
            Arity::List => Kind::List,
        },
    }
}

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
    /// Initial value of every slot: binary probabilities, then the distributions' log-weights
    /// (see the module documentation).
    pub probs: Box<[u16]>,
    /// One entry per opcode-history context (unused by this model version; kept in the
    /// codebook's layout).
    pub predictions: Box<[u8]>,
    /// Macro words learned from a corpus: one-qubit Clifford+T opcodes (at most
    /// [`crate::copies::MAX_WORDS`]) that copies may also start in (see [`crate::copies`]).
    pub words: Box<[u8]>,
}

impl Default for Priors {
    /// Flat priors: every probability one half, every distribution uniform over the lanes it
    /// can use, every prediction "none".
    fn default() -> Self {
        Priors {
            probs: vec![PROB_HALF; TABLE_SLOTS].into_boxed_slice(),
            predictions: vec![NONE as u8; HIST_CTX].into_boxed_slice(),
            words: Box::default(),
        }
    }
}

impl Priors {
    /// Check sizes and ranges (priors come from a file).
    pub fn validate(&self) -> Result<(), IsaError> {
        if self.probs.len() != TABLE_SLOTS || self.predictions.len() != HIST_CTX {
            return Err(IsaError::CorruptCodebook(
                "codebook model tables have the wrong size",
            ));
        }
        if self
            .probs
            .iter()
            .any(|&p| !(PROB_MIN..=PROB_MAX).contains(&p))
        {
            return Err(IsaError::CorruptCodebook(
                "codebook probability out of range",
            ));
        }
        if self.predictions.iter().any(|&p| usize::from(p) > NONE) {
            return Err(IsaError::CorruptCodebook(
                "codebook opcode prediction out of range",
            ));
        }
        let word_op = |b: u8| {
            Opcode::from_u8(b).is_ok_and(|op| copyable(op) && allowed(Target::CliffordT, op))
        };
        if self.words.len() > MAX_WORDS || !self.words.iter().all(|&b| word_op(b)) {
            return Err(IsaError::CorruptCodebook(
                "codebook macro words are too long or hold a gate copies cannot",
            ));
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

/// What a lane of the opcode symbol codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LaneDef {
    /// This opcode (not `rz`).
    Op(Opcode),
    /// `rz` with an angle not in the cache.
    RzMiss,
    /// `rz` with this angle-cache entry.
    RzHit(u8),
    /// `rz` with angle-cache entry 6 or 7.
    RzHigh,
    /// A copy (see [`crate::copies`]).
    Copy,
    /// Matsumoto–Amano syllable `i` (see [`crate::copies::SYLLABLES`]).
    Syllable(u8),
    /// Nothing.
    Unused,
}

/// The opcode lanes of the native target: `rz` takes eight lanes (a miss of the angle cache,
/// its first six entries, the last two), so that a native `rz` and its cached angle cost one
/// coder step. The likelier lanes come first (the decoder searches from lane 0).
const NATIVE_LANES: [LaneDef; LANES] = [
    LaneDef::Op(Opcode::Sx),
    LaneDef::RzMiss,
    LaneDef::Op(Opcode::Cz),
    LaneDef::RzHit(0),
    LaneDef::RzHit(1),
    LaneDef::RzHit(2),
    LaneDef::Op(Opcode::X),
    LaneDef::RzHit(3),
    LaneDef::RzHit(4),
    LaneDef::RzHit(5),
    LaneDef::RzHigh,
    LaneDef::Op(Opcode::Ecr),
    LaneDef::Op(Opcode::Measure),
    LaneDef::Op(Opcode::Reset),
    LaneDef::Op(Opcode::Delay),
    LaneDef::Op(Opcode::Barrier),
];

/// The opcode lanes of the Clifford+T target: the two Matsumoto–Amano syllables, its gates and
/// copies, likelier first.
const CLIFFORD_T_LANES: [LaneDef; LANES] = [
    LaneDef::Syllable(0),
    LaneDef::Syllable(1),
    LaneDef::Op(Opcode::H),
    LaneDef::Op(Opcode::T),
    LaneDef::Op(Opcode::S),
    LaneDef::Op(Opcode::Tdg),
    LaneDef::Op(Opcode::Sdg),
    LaneDef::Op(Opcode::X),
    LaneDef::Op(Opcode::Z),
    LaneDef::Op(Opcode::Y),
    LaneDef::Op(Opcode::Cx),
    LaneDef::Op(Opcode::Measure),
    LaneDef::Op(Opcode::Reset),
    LaneDef::Op(Opcode::Delay),
    LaneDef::Op(Opcode::Barrier),
    LaneDef::Copy,
];

const fn lane_defs(target: Target) -> &'static [LaneDef; LANES] {
    match target {
        Target::Native => &NATIVE_LANES,
        Target::CliffordT => &CLIFFORD_T_LANES,
    }
}

/// Move `a[0..end]` one place up (dropping `a[end]`; `a[0]` is left for the caller to set), as
/// selections from a copy: a loop of moves compiles to a `memmove` call.
#[inline(always)]
#[allow(clippy::indexing_slicing)] // 1 <= i <= ANGLE_CACHE - 1 throughout
fn shift_right(a: &mut [u64; ANGLE_CACHE], end: usize) {
    let old = *a;
    for i in 1..ANGLE_CACHE {
        a[i] = if i <= end { old[i - 1] } else { old[i] };
    }
}

/// A qubit's opcode history, as `ctx | (STATES * prev1) << 16` with its last two opcodes
/// `prev1`, `prev2` and their context `ctx = prev1 + STATES * prev2`: the context is then one
/// mask away, and the next one one addition.
const HIST_NONE: u32 = (NONE + STATES * NONE) as u32 | ((STATES * NONE) as u32) << 16;

/// The opcode context of a history.
#[inline(always)]
fn ctx_of(h: u32) -> usize {
    (h & 0xffff) as usize
}

/// The history `h` followed by opcode `op`.
#[inline(always)]
fn hist_after(h: u32, op: usize) -> u32 {
    (op as u32 + (h >> 16)) | ((STATES * op) as u32) << 16
}

/// The four low bits of `v` in reverse order (an involution on `0..16`).
#[inline(always)]
fn rev4(v: usize) -> usize {
    const REV: [u8; 16] = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];
    usize::from(REV.get(v & 15).copied().unwrap_or(0))
}

#[inline(always)]
fn zigzag(d: i64) -> u64 {
    ((d << 1) ^ (d >> 63)) as u64
}

#[inline(always)]
fn unzigzag(z: u64) -> i64 {
    ((z >> 1) as i64) ^ -((z & 1) as i64)
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

/// Which lanes distribution `index` (a prior index, `C_OP` on for both targets) can ever code.
fn possible_lanes(index: usize) -> u16 {
    if index >= C_OP {
        let target = if index >= C_OP + HIST_CTX {
            Target::CliffordT
        } else {
            Target::Native
        };
        lane_defs(target)
            .iter()
            .enumerate()
            .filter(|(_, d)| **d != LaneDef::Unused)
            .fold(0, |m, (i, _)| m | 1 << i)
    } else {
        u16::MAX
    }
}

/// The model's state while coding one program.
#[derive(Clone, Debug)]
pub struct Model {
    /// Binary probabilities; fixed size, so the masked index into it needs no bounds check.
    probs: Box<[u16; BIN_SLOTS]>,
    /// Distributions, by the index while coding; fixed size, as `probs`.
    cdfs: Box<[Cdf; CDF_SLOTS]>,
    params: ProgramParams,
    /// Per qubit: its opcode history (see [`HIST_NONE`]).
    hist: Vec<u32>,
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
    /// Opcode, kind and angle-cache entry of each lane (kind [`Kind::Invalid`]: none).
    lanes: [(Opcode, Kind, u8); LANES],
    /// Lane of each opcode other than `rz` ([`NO_OP`]: outside the target).
    op_lane: [u8; OPCODE_COUNT],
    /// Lane of `rz` by its angle's place in the cache (the last: not in it).
    rz_lane: [u8; ANGLE_CACHE + 1],
    /// Which target's opcode priors the opcode distributions came from (0 native, 1 Clifford+T).
    target_index: usize,
    /// Whether the target has copies (and the window is kept).
    copies: bool,
    /// The last one-qubit opcodes, for copies.
    window: Window,
    /// The codebook's macro words (empty on targets without copies).
    words: Box<[u8]>,
    /// Operations of the current copy or syllable still to emit, its length, qubit, and where
    /// its operations come from.
    copy_left: u32,
    copy_len: u32,
    copy_qubit: u32,
    copy_src: Source,
    /// Encoder: the copy or syllable the next instruction starts.
    copy_request: Option<Packed>,
}

impl Model {
    /// A model for one program, starting from `priors`.
    pub fn new(priors: &Priors, params: ProgramParams) -> Result<Model, IsaError> {
        priors.validate()?;
        let n = params.num_qubits as usize;
        let mut probs = Box::new([PROB_HALF; BIN_SLOTS]);
        for (p, &v) in probs.iter_mut().zip(priors.probs.iter()) {
            *p = v;
        }
        let target_index = match params.target {
            Target::Native => 0,
            Target::CliffordT => 1,
        };
        let mut cdfs = Box::new([Cdf::uniform(); CDF_SLOTS]);
        for (i, cdf) in cdfs.iter_mut().enumerate().take(RUN_CDFS) {
            let prior = Self::prior_index(i, target_index);
            let from = CDF_PRIORS + prior * LANES;
            let logs = priors
                .probs
                .get(from..from + LANES)
                .ok_or(IsaError::CorruptCodebook(
                    "codebook model tables have the wrong size",
                ))?;
            *cdf = Cdf::from_log_weights(logs, possible_lanes(prior));
        }
        let mut lanes = [(Opcode::Barrier, Kind::Invalid, 0); LANES];
        let mut op_lane = [NO_OP; OPCODE_COUNT];
        let mut rz_lane = [NO_OP; ANGLE_CACHE + 1];
        for (lane, (def, slot)) in lane_defs(params.target)
            .iter()
            .zip(lanes.iter_mut())
            .enumerate()
        {
            let lane = lane as u8;
            match *def {
                LaneDef::Op(op) => {
                    *slot = (op, kind_of(op), 0);
                    if let Some(l) = op_lane.get_mut(op as usize) {
                        *l = lane;
                    }
                }
                LaneDef::RzMiss => {
                    *slot = (Opcode::Rz, Kind::RzMiss, 0);
                    if let Some(l) = rz_lane.get_mut(ANGLE_CACHE) {
                        *l = lane;
                    }
                }
                LaneDef::RzHit(i) => {
                    *slot = (Opcode::Rz, Kind::RzHit, i);
                    if let Some(l) = rz_lane.get_mut(usize::from(i)) {
                        *l = lane;
                    }
                }
                LaneDef::RzHigh => {
                    *slot = (Opcode::Rz, Kind::RzHigh, 0);
                    for l in rz_lane.iter_mut().take(ANGLE_CACHE).skip(RZ_HIT_LANES) {
                        *l = lane;
                    }
                }
                LaneDef::Copy => *slot = (Opcode::Barrier, Kind::Copy, 0),
                LaneDef::Syllable(i) => *slot = (Opcode::Barrier, Kind::Syllable, i),
                LaneDef::Unused => {}
            }
        }
        let copies = lane_defs(params.target).contains(&LaneDef::Copy);
        Ok(Model {
            probs,
            cdfs,
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
            lanes,
            op_lane,
            rz_lane,
            target_index,
            copies,
            window: Window::new(),
            words: if copies {
                priors.words.clone()
            } else {
                Box::default()
            },
            copy_left: 0,
            copy_len: 0,
            copy_src: Source::Syllable(0),
            copy_qubit: 0,
            copy_request: None,
        })
    }

    /// The prior index of distribution `i` (as numbered while coding).
    fn prior_index(i: usize, target_index: usize) -> usize {
        if i >= C_OP {
            i + target_index * HIST_CTX
        } else {
            i
        }
    }

    /// The binary probability table: slot `i` starts from the priors' slot `i` (for training).
    #[must_use]
    pub fn table(&self) -> &[u16] {
        self.probs.as_slice()
    }

    /// The distributions while coding (for training: see [`Model::cdf_prior`]).
    #[must_use]
    pub fn cdf_table(&self) -> &[Cdf] {
        self.cdfs.as_slice()
    }

    /// For distribution `i` of [`Model::cdf_table`]: the first of its sixteen prior slots and the
    /// lanes it can code (bit `l` for lane `l`); `None` for the unused tail of the table.
    #[must_use]
    pub fn cdf_prior(&self, i: usize) -> Option<(usize, u16)> {
        (i < RUN_CDFS).then(|| {
            let prior = Self::prior_index(i, self.target_index);
            (CDF_PRIORS + prior * LANES, possible_lanes(prior))
        })
    }

    /// The program's parameters.
    #[must_use]
    #[inline]
    pub fn params(&self) -> &ProgramParams {
        &self.params
    }

    // The table has BIN_SLOTS (a power of two) entries and every index is masked into it, so
    // this cannot go out of bounds.
    #[allow(clippy::indexing_slicing)]
    #[inline(always)]
    fn bit<C: Coder>(&mut self, c: &mut C, slot: usize, bit: bool) -> bool {
        c.bit(&mut self.probs[slot & BIN_MASK], bit)
    }

    // As `bit`: CDF_SLOTS entries, masked.
    #[allow(clippy::indexing_slicing)]
    #[inline(always)]
    fn symbol<C: Coder>(&mut self, c: &mut C, cdf: usize, lane: usize) -> usize {
        c.symbol(&mut self.cdfs[cdf & CDF_MASK], lane) & (LANES - 1)
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

    /// A qubit's history.
    #[inline(always)]
    fn hist_of(&self, q: u32) -> u32 {
        self.hist.get(q as usize).copied().unwrap_or(HIST_NONE)
    }

    /// As [`Model::push_hist`] for a qubit whose history `hist_of` just returned as `h`.
    #[inline(always)]
    fn set_hist(&mut self, q: u32, h: u32, op: usize) {
        if let Some(slot) = self.hist.get_mut(q as usize) {
            *slot = hist_after(h, op);
        }
    }

    #[inline(always)]
    fn push_hist(&mut self, q: u32, op: usize) {
        if let Some(slot) = self.hist.get_mut(q as usize) {
            *slot = hist_after(*slot, op);
        }
    }

    /// Move `q` to the front of the qubit list, given its position there (3 when it is not in
    /// the list: the last entry drops out).
    #[inline(always)]
    fn touch_at(&mut self, q: u32, pos: usize) {
        let [a, b, c, d] = self.mru;
        self.mru = [
            q,
            if pos == 0 { b } else { a },
            if pos <= 1 { c } else { b },
            if pos <= 2 { d } else { c },
        ];
    }

    /// Move `q` to the front of the qubit list.
    #[inline(always)]
    fn touch(&mut self, q: u32) {
        let [a, b, c, _] = self.mru;
        let pos = usize::from(q != a) * (1 + usize::from(q != b) * (1 + usize::from(q != c)));
        self.touch_at(q, pos);
    }

    fn check_qubit(&self, q: i64) -> Result<u32, IsaError> {
        if (0..i64::from(self.params.num_qubits)).contains(&q) {
            Ok(q as u32)
        } else {
            Err(IsaError::Corrupt("qubit operand out of range"))
        }
    }

    /// A far distance `f` (zigzag value minus 11): its bit length (of `f + 1`) as a symbol in
    /// distribution `cdf` (lanes 0..15: lengths 1..15; lane 15: 16 + six direct bits), then the
    /// bits below the leading one, direct.
    fn far<C: Coder>(&mut self, c: &mut C, cdf: usize, f: u64) -> Result<u64, IsaError> {
        self.magnitude(c, cdf, f, "qubit operand out of range")
    }

    /// A value `f` as [`Model::far`] codes it; lengths over 32 bits are corruption (`what`).
    fn magnitude<C: Coder>(
        &mut self,
        c: &mut C,
        cdf: usize,
        f: u64,
        what: &'static str,
    ) -> Result<u64, IsaError> {
        let m = f.saturating_add(1);
        let len = 64 - m.leading_zeros();
        let lane = self.symbol(c, cdf, (len as usize).saturating_sub(1).min(15));
        let len = if lane == 15 {
            16 + c.direct(u64::from(len.saturating_sub(16)), 6) as u32
        } else {
            lane as u32 + 1
        };
        // Qubits are below 2^24, so their zigzagged distances below 2^26; copies are shorter.
        if len > 32 {
            return Err(IsaError::Corrupt(what));
        }
        let rest = c.direct(m, len - 1);
        Ok(((1u64 << (len - 1)) | rest) - 1)
    }

    /// The qubit at zigzagged distance `z` from `anchor`.
    #[inline(always)]
    fn at_distance(&self, anchor: u32, z: u64) -> Result<u32, IsaError> {
        self.check_qubit(i64::from(anchor).saturating_add(unzigzag(z)))
    }

    /// Code the first qubit (`None`: the instruction has none), with its position in the qubit
    /// list (3 when it was not there).
    #[inline(always)]
    fn first_qubit<C: Coder>(
        &mut self,
        c: &mut C,
        q: Option<u32>,
    ) -> Result<Option<(u32, usize)>, IsaError> {
        let anchor = self.mru[0];
        let mut z = 0;
        let lane = if C::DECODING {
            0
        } else {
            match q {
                None => Q_NONE_LANE,
                Some(q) => match self.mru.iter().position(|&m| m == q) {
                    Some(i) => i,
                    None => {
                        z = zigzag(i64::from(q) - i64::from(anchor));
                        if z <= Q_NEAR as u64 {
                            Q_MRU + z as usize - 1
                        } else {
                            Q_FAR_LANE
                        }
                    }
                },
            }
        };
        let lane = self.symbol(c, C_QFIRST + self.last_op, lane);
        let q = match lane {
            // The list holds qubits of the program (0 at the start), unless it has none.
            0..Q_MRU if self.params.num_qubits > 0 => self.mru.get(lane).copied().unwrap_or(0),
            Q_MRU..Q_FAR_LANE => self.at_distance(anchor, (lane - Q_MRU + 1) as u64)?,
            Q_FAR_LANE => {
                let f = self.far(c, C_QFAR, z.saturating_sub(Q_NEAR as u64 + 1))?;
                self.at_distance(anchor, f.saturating_add(Q_NEAR as u64 + 1))?
            }
            Q_NONE_LANE => return Ok(None),
            _ => return Err(IsaError::Corrupt("qubit operand out of range")),
        };
        // A qubit spelt out as a distance is not in the list (the encoder would have used its
        // position), so it goes in at the front and the last entry drops out, as for position 3.
        Ok(Some((q, lane.min(QUBIT_MRU - 1))))
    }

    #[inline(always)]
    fn second_qubit<C: Coder>(
        &mut self,
        c: &mut C,
        op: usize,
        q0: u32,
        q1: u32,
    ) -> Result<u32, IsaError> {
        let partner = self.partner.get(q0 as usize).copied().unwrap_or(q0);
        let mut z = 0;
        let lane = if C::DECODING || (q1 == partner && partner != q0) {
            0
        } else if let Some(i) = self.mru.iter().position(|&m| m == q1) {
            1 + i
        } else {
            z = zigzag(i64::from(q1) - i64::from(q0));
            if z <= Q_NEAR as u64 {
                Q1_NEAR + z as usize - 1
            } else {
                Q1_FAR_LANE
            }
        };
        let lane = self.symbol(c, C_QSECOND + op, lane);
        let v = match lane {
            0 => partner,
            1..Q1_NEAR => self.mru.get(lane - 1).copied().unwrap_or(q0),
            Q1_NEAR..Q1_FAR_LANE => self.at_distance(q0, (lane - Q1_NEAR + 1) as u64)?,
            _ => {
                let f = self.far(c, C_QFAR + 1, z.saturating_sub(Q_NEAR as u64 + 1))?;
                self.at_distance(q0, f.saturating_add(Q_NEAR as u64 + 1))?
            }
        };
        if v == q0 {
            return Err(IsaError::Corrupt("two-qubit gate on one qubit"));
        }
        Ok(v)
    }

    /// The opcode symbol: the opcode, its kind, and for `rz` the angle-cache entry (decoded from
    /// the lane; for [`Kind::RzHigh`], the encoder's entry, 6 or 7).
    #[inline(always)]
    fn opcode<C: Coder>(
        &mut self,
        c: &mut C,
        ctx: usize,
        input: &Instr<'_>,
    ) -> Result<(Opcode, Kind, usize), IsaError> {
        let mut entry = 0;
        let lane = if C::DECODING {
            NO_OP
        } else if let Some(packed) = self.copy_request {
            match packed {
                Packed::Copy { .. } => COPY_LANE,
                Packed::Syllable(i) => i,
            }
        } else if input.opcode == Opcode::Rz {
            entry = self
                .angles
                .iter()
                .position(|&a| a == input.arg)
                .unwrap_or(ANGLE_CACHE);
            self.rz_lane.get(entry).copied().unwrap_or(NO_OP)
        } else {
            self.op_lane
                .get(input.opcode as usize)
                .copied()
                .unwrap_or(NO_OP)
        };
        if !C::DECODING && lane == NO_OP {
            return Err(IsaError::Corrupt("opcode not in the program's target"));
        }
        let lane = self.symbol(c, C_OP + ctx, usize::from(lane));
        match self.lanes.get(lane) {
            Some(&(op, kind, i)) if kind != Kind::Invalid => {
                let i = if kind == Kind::RzHigh {
                    entry
                } else {
                    usize::from(i)
                };
                Ok((op, kind, i))
            }
            _ => Err(IsaError::Corrupt("opcode not in the program's target")),
        }
    }

    /// An `rz` angle, after the opcode symbol said where it is: `entry` of the cache (for
    /// [`Kind::RzHigh`], a binary decision picks entry 6 or 7), or a miss coded in full.
    #[inline(always)]
    fn angle<C: Coder>(
        &mut self,
        c: &mut C,
        kind: Kind,
        entry: usize,
        k: u64,
    ) -> Result<u64, IsaError> {
        let v = if kind == Kind::RzMiss {
            let v = self.angle_bits(c, k)?;
            shift_right(&mut self.angles, ANGLE_CACHE - 1);
            v
        } else {
            let entry = if kind == Kind::RzHigh {
                RZ_HIT_LANES + usize::from(self.bit(c, ANG_HIGH, entry > RZ_HIT_LANES))
            } else {
                entry
            };
            let v = self.angles.get(entry).copied().unwrap_or(0);
            shift_right(&mut self.angles, entry);
            v
        };
        self.angles[0] = v;
        Ok(v)
    }

    /// An angle that missed the cache: its top (up to) eight bits as two four-bit symbols (the
    /// high nibble, then the low one in its context), placed at the top of a byte so that
    /// precisions below eight bits share the statistics; the rest direct.
    fn angle_bits<C: Coder>(&mut self, c: &mut C, k: u64) -> Result<u64, IsaError> {
        let w = if self.params.angle_bits == 0 {
            64
        } else {
            u32::from(self.params.angle_bits)
        };
        let top = w.min(8);
        let low = w - top;
        let byte = if C::DECODING {
            0
        } else {
            (((k >> low) << (8 - top)) & 0xff) as usize
        };
        // Nibble values go to lanes in bit-reversed order (0, 8, 4, 12, …): coarse angles, the
        // common ones, come first in the decoder's search.
        let hi = rev4(self.symbol(c, C_ANG_HI, rev4(byte >> 4)));
        let lo = rev4(self.symbol(c, C_ANG_LO + hi, rev4(byte & 15)));
        let byte = (hi << 4 | lo) as u64;
        if byte & ((1 << (8 - top)) - 1) != 0 {
            return Err(IsaError::Corrupt("angle out of range"));
        }
        let rest = c.direct(k, low);
        Ok(((byte >> (8 - top)) << low) | rest)
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

    fn condition<C: Coder>(
        &mut self,
        c: &mut C,
        input: Option<u32>,
    ) -> Result<Option<u32>, IsaError> {
        let flag_ctx = usize::from(self.last_cond_flag);
        let has = self.bit(c, COND_FLAG + flag_ctx, input.is_some());
        self.last_cond_flag = has;
        if !has {
            return Ok(None);
        }
        let want = input.unwrap_or(0);
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
        Ok(Some(idx))
    }

    /// Code one instruction. The encoder passes the instruction to write; the decoder passes
    /// anything (it is ignored) and gets the decoded one back. Timing, when the program carries
    /// it, is coded by [`Model::timing`] right after.
    ///
    /// Always inlined: in the decoder's loop the coder's registers then stay in registers.
    #[inline(always)]
    pub fn code<C: Coder>(&mut self, c: &mut C, input: &Instr<'_>) -> Result<Instr<'_>, IsaError> {
        if self.copy_left > 0 {
            return self.copied::<C>(input);
        }
        // 1. Condition.
        let cond = if self.params.num_conditions > 0 {
            self.condition(c, input.cond)?
        } else {
            None
        };

        // 2. First qubit.
        let first = self.first_qubit(c, input.qubits.first().copied())?;
        let q0 = first.map(|(q, _)| q);
        let pos0 = first.map_or(QUBIT_MRU - 1, |(_, p)| p);

        // 3. Opcode.
        let h0 = q0.map_or(HIST_NONE, |q| self.hist_of(q));
        let (opcode, kind, entry) = self.opcode(c, ctx_of(h0), input)?;
        let op = opcode as usize;
        if kind >= Kind::Copy {
            let Some(q) = q0.filter(|_| cond.is_none()) else {
                return Err(IsaError::Corrupt(
                    "a copy or syllable with a condition or without its qubit",
                ));
            };
            if kind == Kind::Copy {
                self.start_copy(c, q, pos0)?;
            } else if kind == Kind::Syllable {
                self.start_syllable(q, pos0, entry);
            } else {
                return Err(IsaError::Corrupt("opcode not in the program's target"));
            }
            return self.copied::<C>(input);
        }

        // 4. Operands, and 5. state updates (the MRU list gets the last operand at its front).
        let mut arg = 0u64;
        let qubits: &[u32] = if kind <= Kind::Delay {
            let Some(q) = q0 else {
                return Err(IsaError::Corrupt("gate without its qubit"));
            };
            if kind != Kind::Plain {
                if kind <= Kind::RzMiss {
                    arg = self.angle(c, kind, entry, input.arg)?;
                } else if kind == Kind::Measure {
                    arg = u64::from(self.clbit(c, q, input.arg as u32)?);
                } else {
                    arg = self.delay(c, input.arg);
                }
            }
            if self.copies && kind == Kind::Plain {
                self.window.push(op as u8);
            }
            self.last_op = op;
            self.set_hist(q, h0, op);
            self.touch_at(q, pos0);
            self.pair = [q, q];
            core::slice::from_ref(&self.pair[0])
        } else if kind == Kind::Two {
            let Some(q) = q0 else {
                return Err(IsaError::Corrupt("gate without its qubit"));
            };
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
            self.touch_at(q, pos0);
            self.push_hist(q1, op);
            self.touch(q1);
            self.pair = [q, q1];
            &self.pair
        } else {
            self.barrier(c, input, q0)?;
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
        };
        Ok(Instr {
            opcode,
            qubits,
            cond,
            arg,
        })
    }

    /// Encoder: make the next instruction (a one-qubit gate, unconditioned) start `packed`, a
    /// copy or a syllable, as the encoder's planner chose (in `eqisa-encode`).
    #[inline]
    pub fn request(&mut self, packed: Packed) {
        self.copy_request = Some(packed);
    }

    /// Whether a copy is still emitting operations (a block must not end inside one).
    #[must_use]
    #[inline]
    pub fn copying(&self) -> bool {
        self.copy_left > 0
    }

    /// After the copy lane: its length and distance.
    fn start_copy<C: Coder>(&mut self, c: &mut C, q: u32, pos: usize) -> Result<(), IsaError> {
        let (len, dist) = match self.copy_request.take() {
            Some(Packed::Copy { len, dist }) => (len, dist),
            _ => (MIN_COPY, 1),
        };
        const BAD: &str = "a copy of a length or from a distance out of range";
        let len = self
            .magnitude(c, C_COPY_LEN, u64::from(len.saturating_sub(MIN_COPY)), BAD)?
            .saturating_add(u64::from(MIN_COPY));
        let dist = self
            .magnitude(c, C_COPY_DIST, u64::from(dist.saturating_sub(1)), BAD)?
            .saturating_add(1);
        if len > u64::from(MAX_COPY) {
            return Err(IsaError::Corrupt(BAD));
        }
        // Distances past the window reach into the macro words, counted back from their end;
        // a copy from them must end inside them.
        let filled = u64::from(self.window.filled());
        self.copy_src = if dist <= filled {
            Source::Window(dist as u32)
        } else {
            let back = dist - filled;
            let n = self.words.len() as u64;
            if back > n || len > back {
                return Err(IsaError::Corrupt(BAD));
            }
            Source::Words((n - back) as usize)
        };
        self.copy_left = len as u32;
        self.copy_len = len as u32;
        self.copy_qubit = q;
        self.touch_at(q, pos);
        Ok(())
    }

    /// After syllable lane `i`.
    fn start_syllable(&mut self, q: u32, pos: usize, i: usize) {
        self.copy_request = None;
        let len = SYLLABLES.get(i).map_or(0, |s| s.len()) as u32;
        self.copy_left = len;
        self.copy_len = len;
        self.copy_src = Source::Syllable(i);
        self.copy_qubit = q;
        self.touch_at(q, pos);
    }

    /// The next operation of the current copy (the encoder checks it is `input`).
    #[inline(always)]
    fn copied<C: Coder>(&mut self, input: &Instr<'_>) -> Result<Instr<'_>, IsaError> {
        let k = self.copy_len - self.copy_left;
        let byte = match self.copy_src {
            Source::Window(d) => self.window.back(d),
            // In range: checked when the copy began.
            Source::Words(s) => self
                .words
                .get(s + k as usize)
                .copied()
                .unwrap_or(Opcode::H as u8),
            Source::Syllable(i) => syllable_op(i, k),
        };
        self.window.push(byte);
        self.copy_left -= 1;
        // The window holds only opcodes the model decoded as one-qubit gates.
        let opcode = Opcode::from_u8(byte)?;
        let q = self.copy_qubit;
        if !C::DECODING && (input.opcode != opcode || input.qubits != [q] || input.cond.is_some()) {
            return Err(IsaError::Corrupt(
                "a copy does not match the instructions it stands for",
            ));
        }
        let op = opcode as usize;
        let h = self.hist_of(q);
        self.set_hist(q, h, op);
        self.last_op = op;
        self.last_cond_flag = false;
        self.pair = [q, q];
        Ok(Instr {
            opcode,
            qubits: core::slice::from_ref(&self.pair[0]),
            cond: None,
            arg: 0,
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
                let q = self.check_qubit(v as i64)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coder::{SymbolDecoder, SymbolEncoder};
    use eqisa_test_support::Rng;

    fn params(target: Target, num_qubits: u32, angle_bits: u8) -> ProgramParams {
        ProgramParams {
            target,
            num_qubits,
            num_clbits: num_qubits,
            angle_bits,
            num_conditions: 0,
            dt_ns_bits: 0.5f64.to_bits(),
            explicit_timing: false,
        }
    }

    /// Random instructions of `target` over `n` qubits: every opcode of the gate set, angles
    /// from a pool of nine (so every cache entry and misses occur), near and far qubits.
    fn program(target: Target, n: u32, len: usize, seed: u64) -> Vec<(Opcode, Vec<u32>, u64)> {
        let mut rng = Rng::new(seed);
        let ops: Vec<Opcode> = Opcode::ALL
            .iter()
            .copied()
            .filter(|&op| allowed(target, op) && op != Opcode::Delay)
            .collect();
        let pool: Vec<u64> = (0..9).map(|i| i * 4099 % (1 << 11)).collect();
        (0..len)
            .map(|_| {
                let op = ops[rng.below(ops.len() as u64) as usize];
                let q0 = rng.below(u64::from(n)) as u32;
                let qubits = match op.arity() {
                    Arity::One => vec![q0],
                    Arity::Two => vec![q0, (q0 + 1 + rng.below(u64::from(n - 1)) as u32) % n],
                    Arity::List => (0..n).filter(|_| rng.below(2) == 0).collect(),
                };
                let arg = match op {
                    Opcode::Rz if rng.below(4) == 0 => rng.below(1 << 11),
                    Opcode::Rz => pool[rng.below(9) as usize],
                    Opcode::Measure => u64::from(qubits[0]),
                    _ => 0,
                };
                (op, qubits, arg)
            })
            .collect()
    }

    #[test]
    fn every_lane_round_trips_on_both_targets() {
        for (target, n, seed) in [
            (Target::Native, 3, 1),
            (Target::Native, 200, 2),
            (Target::CliffordT, 5, 3),
            (Target::CliffordT, 1000, 4),
        ] {
            let p = params(target, n, 11);
            let prog = program(target, n, 3000, seed);
            let mut m = Model::new(&Priors::default(), p).expect("model");
            let mut enc = SymbolEncoder::new();
            for (op, qubits, arg) in &prog {
                let instr = Instr {
                    opcode: *op,
                    qubits,
                    cond: None,
                    arg: *arg,
                };
                let back = m.code(&mut enc, &instr).expect("encodes");
                assert_eq!(back, instr);
            }
            let bytes = enc.finish();
            let mut m = Model::new(&Priors::default(), p).expect("model");
            let mut dec = SymbolDecoder::new(&bytes);
            let ignored = Instr {
                opcode: Opcode::Barrier,
                qubits: &[],
                cond: None,
                arg: 0,
            };
            for (i, (op, qubits, arg)) in prog.iter().enumerate() {
                let got = m.code(&mut dec, &ignored).expect("decodes");
                assert_eq!(
                    (got.opcode, got.qubits, got.arg),
                    (*op, &qubits[..], *arg),
                    "{target:?} instruction {i}"
                );
            }
            assert!(dec.overrun() <= 8);
        }
    }

    fn one(opcode: Opcode, qubits: &[u32]) -> Instr<'_> {
        Instr {
            opcode,
            qubits,
            cond: None,
            arg: 0,
        }
    }

    #[test]
    fn the_encoder_refuses_a_copy_from_outside_the_window() {
        let p = params(Target::CliffordT, 3, 0);
        let mut m = Model::new(&Priors::default(), p).expect("model");
        let mut enc = SymbolEncoder::new();
        let qubits = [0];
        let h = one(Opcode::H, &qubits);
        for _ in 0..10 {
            m.code(&mut enc, &h).expect("encodes");
        }
        m.request(Packed::Copy {
            len: MIN_COPY,
            dist: 11,
        });
        assert!(m.code(&mut enc, &h).is_err());
    }

    #[test]
    fn a_copy_must_end_inside_the_words() {
        let priors = Priors {
            words: vec![Opcode::H as u8; 20].into(),
            ..Priors::default()
        };
        let p = params(Target::CliffordT, 3, 0);
        let mut m = Model::new(&priors, p).expect("model");
        let mut enc = SymbolEncoder::new();
        let qubits = [0];
        let h = one(Opcode::H, &qubits);
        // Ten opcodes back into twenty words: a copy of ten fits, eleven does not.
        m.request(Packed::Copy { len: 11, dist: 10 });
        assert!(m.code(&mut enc, &h).is_err());
        let mut m = Model::new(&priors, p).expect("model");
        m.request(Packed::Copy { len: 10, dist: 10 });
        for _ in 0..10 {
            m.code(&mut enc, &h).expect("encodes");
        }
        assert!(!m.copying());
    }

    #[test]
    fn the_opcode_lanes_cover_each_gate_set_once() {
        for target in [Target::Native, Target::CliffordT] {
            let m = Model::new(&Priors::default(), params(target, 2, 11)).expect("model");
            for op in Opcode::ALL {
                let lanes = m
                    .lanes
                    .iter()
                    .filter(|(o, k, _)| {
                        *o == op && !matches!(k, Kind::Invalid | Kind::Copy | Kind::Syllable)
                    })
                    .count();
                let want = match (allowed(target, op), op) {
                    (false, _) => 0,
                    (true, Opcode::Rz) => RZ_HIT_LANES + 2,
                    (true, _) => 1,
                };
                assert_eq!(lanes, want, "{target:?} {op:?}");
            }
            for (entry, &lane) in m.rz_lane.iter().enumerate() {
                assert_eq!(lane != NO_OP, target == Target::Native, "{entry}");
            }
        }
    }
}
