//! The flatten pass: a structured [`Program`] to the flat [`Circuit`] every later stage
//! consumes. Statements run on a compile-time environment: loops unroll, known branches and
//! switches resolve, subroutines inline; what depends on a measurement result either becomes
//! an [`IfBlock`](crate::circuit::IfBlock) (an `if`, or a `switch` as a chain of them) or is
//! refused with [`FlattenErrorKind::RealTime`].
//!
//! Measured bits: a measurement into a register bit writes that clbit. A measurement into a
//! local `bit` (Stim's `def mr(qubit q) -> bit { bit b; measure q -> b; … return b; }`) is
//! emitted with its clbit still open; storing the bit into a register bit (`rec[5] = mr(q[3]);`)
//! makes that register bit the measurement's clbit, so the flat circuit holds one
//! `measure q[3] -> rec[5]`. A pending bit that a condition reads first, or that is never
//! stored, gets a clbit of a hidden register appended after the program's own
//! ([`HIDDEN_REGISTER`]). The flat circuit has no classical operations, so classical writes it
//! cannot hold are refused ([`FlattenErrorKind::Unrepresentable`]): a register bit set to a
//! value other than the one its clbit holds, or a measured bit copied into a second register.
//! A register's variable holds zeros from the start, as its clbits do.

use rustc_hash::FxHashMap;

use super::eval::{self, EvalError, EvalErrorKind, Host};
use super::expr::{CallArg, ClassicalExpr, Index};
use super::flatten_env::{Bit, RegBits, Slot, Sym, position, range, to_int};
use super::ids::{Loc, SubId, VarId};
use super::stmt::{Block, LValue, Program, Stmt};
use super::types::Type;
use super::value::Value;
use crate::circuit::{Circuit, Op, Register};

/// Name of the register that holds measurement results no program register receives.
pub const HIDDEN_REGISTER: &str = "_flat_bits";

/// Deepest nesting of blocks the pass follows, a called subroutine's body counting as one
/// level inside its call (each level is a few stack frames of a recursive walk).
pub const MAX_NESTING: u32 = 256;

/// Bounds of the flatten pass, checked before anything is allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlattenLimits {
    /// Most operations, qubit operands, angles and durations the flat circuit may hold
    /// together (at most `u32::MAX`, the width of its arena offsets).
    pub max_ops: u64,
    /// Most statements and loop iterations executed: bounds `while` loops and huge `for`s.
    pub max_steps: u64,
    /// Deepest chain of subroutine calls.
    pub max_call_depth: u32,
}

impl Default for FlattenLimits {
    fn default() -> Self {
        FlattenLimits {
            // The OpenQASM front end's budget at its default file limit, for both.
            max_ops: 1 << 26,
            max_steps: 1 << 26,
            max_call_depth: 64,
        }
    }
}

/// Why a program has no flat circuit.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("line {}, column {}: {kind}", loc.line, loc.col)]
pub struct FlattenError {
    pub loc: Loc,
    pub kind: FlattenErrorKind,
}

/// What went wrong in [`flatten`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FlattenErrorKind {
    #[error(
        "{what} depends on a measurement result: it is real-time control flow, which a flat \
         circuit cannot hold; `sim --outcomes` runs it"
    )]
    RealTime { what: String },
    #[error(
        "the program unrolls to more than {limit} operations, operands and angles together (at least {ops})"
    )]
    TooLarge { ops: u64, limit: u64 },
    #[error("the program runs more than {limit} statements and loop iterations")]
    StepLimit { limit: u64 },
    #[error("subroutine calls nest deeper than {limit}")]
    CallDepth { limit: u32 },
    #[error("blocks and calls nest deeper than {limit}")]
    Nesting { limit: u32 },
    #[error("{0}")]
    Eval(EvalError),
    #[error(
        "the extern function `{name}` runs on the controller: a flat circuit cannot hold its result"
    )]
    Extern { name: String },
    #[error("no value was given for the input `{name}`")]
    MissingInput { name: String },
    #[error("{what}: a flat circuit has no classical operations to hold it")]
    Unrepresentable { what: String },
    #[error("index {index} is out of range for a length of {len}")]
    BadIndex { index: i128, len: u64 },
    #[error("operands of different lengths in one broadcast ({first} and {second})")]
    BroadcastMismatch { first: u64, second: u64 },
    #[error("qubit {qubit} appears twice in one operation")]
    DuplicateQubit { qubit: u32 },
    #[error("a duration of {ns} ns plus {dt} dt: a flat delay is in one unit")]
    MixedDuration { ns: f64, dt: f64 },
    #[error("{what} is not a finite number")]
    NotFinite { what: String },
    /// The program breaks the structured IR's own rules (ids out of range, wrong arities):
    /// the front end checks these, so this names a bug there.
    #[error("invalid program: {what}")]
    Invalid { what: String },
}

/// The flat circuit of `p`, with `inputs` bound (as [`super::inputs::bind_inputs`] gives them).
pub fn flatten(
    p: &Program,
    inputs: &[(VarId, Value)],
    limits: &FlattenLimits,
) -> Result<Circuit, FlattenError> {
    let mut f = Flattener::new(p, inputs, limits)?;
    // Inputs hold their values from the start: the front end writes no declaration for them.
    for (v, _) in inputs {
        let loc = p
            .vars
            .get(v.0 as usize)
            .map(|var| var.loc)
            .unwrap_or_default();
        match f.declare(*v, None, loc) {
            Ok(()) => {}
            Err(Halt::End) => return f.finish(),
            Err(Halt::Error(e)) => return Err(*e),
        }
    }
    match f.block(&p.body) {
        // `return` at global scope ends the program, as in the interpreter.
        Ok(Flow::Normal | Flow::End | Flow::Return(..)) => {}
        Ok(Flow::Break(loc) | Flow::Continue(loc)) => {
            return Err(err(loc, invalid("`break` or `continue` outside a loop")));
        }
        Err(Halt::End) => {}
        Err(Halt::Error(e)) => return Err(*e),
    }
    f.finish()
}

pub(super) fn err(loc: Loc, kind: FlattenErrorKind) -> FlattenError {
    FlattenError { loc, kind }
}

pub(super) fn invalid(what: &str) -> FlattenErrorKind {
    FlattenErrorKind::Invalid {
        what: what.to_string(),
    }
}

/// Why the walk stops early: an error, or `end` (inside an expression's call, where no
/// [`Flow`] can carry it).
#[derive(Debug)]
pub(super) enum Halt {
    Error(Box<FlattenError>),
    End,
}

impl From<FlattenError> for Halt {
    fn from(e: FlattenError) -> Self {
        Halt::Error(Box::new(e))
    }
}

pub(super) type R<T> = Result<T, Halt>;

/// How a block finished.
#[derive(Debug, PartialEq)]
pub(super) enum Flow {
    Normal,
    Break(Loc),
    Continue(Loc),
    Return(Option<Sym>, Loc),
    End,
}

/// Which op list an op is in, so that a pending measurement's clbit can be set at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Container {
    Top,
    Then(u32),
    Else(u32),
}

/// A measurement whose clbit is decided later.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pending {
    pub at: Container,
    pub index: usize,
    /// Sequence number of the measurement: a register bit another op touched since cannot
    /// receive it.
    pub seq: u64,
    /// The branch it was emitted in: storing it from another branch would be conditional.
    pub branch: u32,
    /// Its clbit and that clbit's write number, once chosen.
    pub bound: Option<(u32, u64)>,
}

/// A register's declaration without a value: every clbit of `start..start + len` written at
/// once, with write number `version` and sequence number `seq`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Declared {
    pub start: u32,
    pub len: u32,
    pub version: u64,
    pub seq: u64,
}

/// One change to undo when a branch on a measurement result is merged.
#[derive(Clone, Debug)]
pub(super) enum Undo {
    Slot(u32, Slot),
    Version(u32, Option<u64>),
}

/// Resolved qubits of an operand: one, or a list that broadcasts.
#[derive(Clone, Debug)]
pub(super) enum Qubits {
    One(u32),
    Many(Vec<u32>),
}

impl Qubits {
    /// How many qubits.
    pub fn len(&self) -> u64 {
        match self {
            Qubits::One(_) => 1,
            Qubits::Many(v) => v.len() as u64,
        }
    }

    /// The `k`-th qubit (the one qubit, whatever `k`).
    pub fn get(&self, k: usize) -> Option<u32> {
        match self {
            Qubits::One(q) => Some(*q),
            Qubits::Many(v) => v.get(k).copied(),
        }
    }
}

/// The state of the walk.
pub(super) struct Flattener<'p> {
    pub p: &'p Program,
    pub limits: FlattenLimits,
    pub circuit: Circuit,
    /// The op list being written (the top level, or a branch of an `if`).
    pub out: Vec<Op>,
    pub container: Container,
    pub slots: Vec<Slot>,
    /// Actual qubits of each qubit parameter, one frame per active call.
    pub qframes: Vec<Vec<Vec<u32>>>,
    /// Undo logs of the branches on measurement results being walked, innermost last.
    pub journals: Vec<Vec<Undo>>,
    /// Write number of each clbit's last write (see also `declared`).
    pub versions: FxHashMap<u32, u64>,
    /// Registers declared without a value outside branches, which wrote all their clbits at
    /// once: [`Self::version_of`] and [`Self::touched_of`] read them.
    pub declared: Vec<Declared>,
    /// The next write number (unique over the walk, so that stale copies show).
    pub next_version: u64,
    /// Sequence number of the last op that read or wrote each clbit.
    pub touched: FxHashMap<u32, u64>,
    /// Ops emitted so far, a clock for `touched` and pending measurements.
    pub seq: u64,
    /// Measurements whose clbit is chosen later, by index.
    pub pending: Vec<Pending>,
    /// Clbits of the hidden register handed out so far.
    pub hidden: u32,
    /// The branch being walked (0: unconditional), and the next branch's number.
    pub branch: u32,
    pub next_branch: u32,
    /// Entries of the flat circuit so far (ops, operands, angles, durations).
    pub used: u64,
    /// The most entries allowed ([`FlattenLimits::max_ops`], at most `u32::MAX`).
    pub cap: u64,
    /// Statements and iterations run so far.
    pub steps: u64,
    /// Blocks nested now, and subroutine calls active.
    pub depth: u32,
    pub calls: u32,
    /// An error or `end` raised inside a call made by expression evaluation.
    pub deferred: Option<Halt>,
    /// Each subroutine's own variables, found when it is first called.
    pub sub_locals: Vec<Option<Vec<VarId>>>,
    inputs: FxHashMap<VarId, Value>,
}

impl<'p> Flattener<'p> {
    fn new(
        p: &'p Program,
        inputs: &[(VarId, Value)],
        limits: &FlattenLimits,
    ) -> Result<Self, FlattenError> {
        let mut circuit = p.circuit.clone();
        circuit.ops.clear();
        circuit.qubits.clear();
        circuit.params.clear();
        circuit.durations.clear();
        circuit.ifs.clear();
        // Clbit numbers are computed from registers: each must lie inside the program's clbits.
        for r in &circuit.cregs {
            if r.start
                .checked_add(r.size)
                .is_none_or(|end| end > circuit.num_clbits)
            {
                return Err(err(
                    Loc::default(),
                    invalid(&format!(
                        "register `{}` lies outside the classical bits",
                        r.name
                    )),
                ));
            }
        }
        let mut slots = Vec::with_capacity(p.vars.len());
        if u32::try_from(p.vars.len()).is_err() {
            return Err(err(Loc::default(), invalid("too many variables")));
        }
        for v in &p.vars {
            let slot = match v.creg {
                Some(r) => {
                    let reg = circuit.cregs.get(r as usize).ok_or_else(|| {
                        err(
                            v.loc,
                            invalid("a variable names a register that does not exist"),
                        )
                    })?;
                    let single = matches!(v.ty, Type::Bit);
                    let width = match v.ty {
                        Type::Bit => Some(1),
                        Type::Bits(n) => Some(n),
                        _ => None,
                    };
                    if width != Some(reg.size) {
                        return Err(err(
                            v.loc,
                            invalid("a register variable's type does not match its register"),
                        ));
                    }
                    // A register's clbits start at 0: its variable holds known zeros, stored
                    // sparsely (the bits a program touches, not one entry per bit).
                    Slot::Reg {
                        bits: RegBits::zeros(reg.start, reg.size),
                        single,
                    }
                }
                None => Slot::Unset,
            };
            slots.push(slot);
        }
        Ok(Flattener {
            p,
            limits: *limits,
            circuit,
            out: Vec::new(),
            container: Container::Top,
            slots,
            qframes: Vec::new(),
            journals: Vec::new(),
            versions: FxHashMap::default(),
            declared: Vec::new(),
            next_version: 1,
            touched: FxHashMap::default(),
            seq: 0,
            pending: Vec::new(),
            hidden: 0,
            branch: 0,
            next_branch: 1,
            used: 0,
            cap: limits.max_ops.min(u64::from(u32::MAX)),
            steps: 0,
            depth: 0,
            calls: 0,
            deferred: None,
            sub_locals: vec![None; p.subroutines.len()],
            inputs: inputs.iter().cloned().collect(),
        })
    }

    /// Set the clbits of pending measurements and append the hidden register.
    fn finish(mut self) -> Result<Circuit, FlattenError> {
        let base = self.circuit.num_clbits;
        let mut hidden = self.hidden;
        let mut sets = Vec::with_capacity(self.pending.len());
        for pd in &self.pending {
            let clbit = match pd.bound {
                Some((c, _)) => c,
                None => {
                    hidden += 1;
                    base.checked_add(hidden - 1).ok_or_else(|| {
                        err(
                            Loc::default(),
                            FlattenErrorKind::TooLarge {
                                ops: u64::from(u32::MAX) + 1,
                                limit: u64::from(u32::MAX),
                            },
                        )
                    })?
                }
            };
            sets.push((pd.at, pd.index, clbit));
        }
        self.circuit.ops = std::mem::take(&mut self.out);
        for (at, index, clbit) in sets {
            let op = match at {
                Container::Top => self.circuit.ops.get_mut(index),
                Container::Then(b) => self
                    .circuit
                    .ifs
                    .get_mut(b as usize)
                    .and_then(|blk| blk.then_ops.get_mut(index)),
                Container::Else(b) => self
                    .circuit
                    .ifs
                    .get_mut(b as usize)
                    .and_then(|blk| blk.else_ops.get_mut(index)),
            };
            match op {
                Some(Op::Measure { clbit: c, .. }) => *c = clbit,
                _ => {
                    return Err(err(
                        Loc::default(),
                        invalid("a pending measurement was lost"),
                    ));
                }
            }
        }
        if hidden > 0 {
            let mut name = HIDDEN_REGISTER.to_string();
            while self.circuit.cregs.iter().any(|r| r.name == name)
                || self.circuit.qregs.iter().any(|r| r.name == name)
            {
                name.push('_');
            }
            self.circuit.cregs.push(Register {
                name,
                start: base,
                size: hidden,
            });
            self.circuit.num_clbits = base.checked_add(hidden).ok_or_else(|| {
                err(
                    Loc::default(),
                    FlattenErrorKind::TooLarge {
                        ops: u64::from(base) + u64::from(hidden),
                        limit: u64::from(u32::MAX),
                    },
                )
            })?;
        }
        Ok(self.circuit)
    }

    // ---- budget -------------------------------------------------------------------------

    /// Reserve `n` entries of the flat circuit.
    pub fn grow(&mut self, n: u64, loc: Loc) -> R<()> {
        let total = self.used.saturating_add(n);
        if total > self.cap {
            return Err(err(
                loc,
                FlattenErrorKind::TooLarge {
                    ops: total,
                    limit: self.cap,
                },
            )
            .into());
        }
        self.used = total;
        Ok(())
    }

    pub fn step(&mut self, n: u64, loc: Loc) -> R<()> {
        self.steps = self.steps.saturating_add(n);
        if self.steps > self.limits.max_steps {
            return Err(err(
                loc,
                FlattenErrorKind::StepLimit {
                    limit: self.limits.max_steps,
                },
            )
            .into());
        }
        Ok(())
    }

    /// Enter one more level of nesting.
    pub fn enter(&mut self, loc: Loc) -> R<()> {
        if self.depth >= MAX_NESTING {
            return Err(err(loc, FlattenErrorKind::Nesting { limit: MAX_NESTING }).into());
        }
        self.depth += 1;
        Ok(())
    }

    /// Emit an op into the current list.
    pub fn emit(&mut self, op: Op) {
        self.seq += 1;
        self.out.push(op);
    }

    // ---- the environment ------------------------------------------------------------------

    pub fn slot(&self, v: VarId, loc: Loc) -> R<&Slot> {
        self.slots
            .get(v.0 as usize)
            .ok_or_else(|| err(loc, invalid("a variable id out of range")).into())
    }

    pub fn var_name(&self, v: VarId) -> &str {
        self.p
            .vars
            .get(v.0 as usize)
            .map_or("?", |x| x.name.as_str())
    }

    /// Replace a slot, logging the old one inside branches on measurement results.
    pub fn set_slot(&mut self, v: VarId, s: Slot, loc: Loc) -> R<()> {
        let cur = self
            .slots
            .get_mut(v.0 as usize)
            .ok_or_else(|| err(loc, invalid("a variable id out of range")))?;
        let old = std::mem::replace(cur, s);
        if let Some(j) = self.journals.last_mut() {
            j.push(Undo::Slot(v.0, old));
        }
        Ok(())
    }

    /// Record a new write of `clbit`; returns its write number.
    pub fn write_clbit(&mut self, clbit: u32) -> u64 {
        let v = self.next_version;
        self.next_version += 1;
        let old = self.versions.insert(clbit, v);
        if let Some(j) = self.journals.last_mut() {
            j.push(Undo::Version(clbit, old));
        }
        self.touched.insert(clbit, self.seq);
        v
    }

    /// The write number of `clbit`'s last write: one of its own, or its register's
    /// declaration.
    pub fn version_of(&self, clbit: u32) -> Option<u64> {
        let own = self.versions.get(&clbit).copied();
        let declared = self
            .declared
            .iter()
            .filter(|d| clbit >= d.start && clbit - d.start < d.len)
            .map(|d| d.version)
            .max();
        own.max(declared)
    }

    /// Sequence number of the last op that read or wrote `clbit` (a register's declaration
    /// writes all its clbits).
    pub fn touched_of(&self, clbit: u32) -> Option<u64> {
        let own = self.touched.get(&clbit).copied();
        let declared = self
            .declared
            .iter()
            .filter(|d| clbit >= d.start && clbit - d.start < d.len)
            .map(|d| d.seq)
            .max();
        own.max(declared)
    }

    /// The register variable's clbit for bit `pos`.
    pub fn creg_clbit(&self, v: VarId, pos: u64, loc: Loc) -> R<Option<u32>> {
        let Some(r) = self.p.vars.get(v.0 as usize).and_then(|x| x.creg) else {
            return Ok(None);
        };
        let reg = self
            .circuit
            .cregs
            .get(r as usize)
            .ok_or_else(|| err(loc, invalid("a register out of range")))?;
        let pos = u32::try_from(pos)
            .ok()
            .filter(|p| *p < reg.size)
            .ok_or_else(|| err(loc, invalid("a register bit out of range")))?;
        Ok(Some(reg.start + pos))
    }

    /// Store bits into positions of a bit variable, keeping a register's variable equal to
    /// what its clbits hold.
    fn store_bits(&mut self, v: VarId, positions: &[u64], new: &[Bit], loc: Loc) -> R<()> {
        self.journal_slot(v);
        for (&pos, &b) in positions.iter().zip(new) {
            let cur = self.bit_at(v, pos, loc)?;
            let stored = match self.creg_clbit(v, pos, loc)? {
                None => b,
                Some(clbit) => self.store_register_bit(v, clbit, cur, b, loc)?,
            };
            self.put_bit(v, pos, stored, loc)?;
        }
        Ok(())
    }

    /// Log a slot before it is changed in place (inside branches on measurement results).
    pub fn journal_slot(&mut self, v: VarId) {
        if let (Some(j), Some(s)) = (self.journals.last_mut(), self.slots.get(v.0 as usize)) {
            j.push(Undo::Slot(v.0, s.clone()));
        }
    }

    fn bit_at(&self, v: VarId, pos: u64, loc: Loc) -> R<Bit> {
        match self.slot(v, loc)? {
            Slot::Bits { bits, .. } => bits.get(pos as usize).copied(),
            Slot::Reg { bits, .. } => bits.get(pos),
            _ => None,
        }
        .ok_or_else(|| err(loc, invalid("a bit position out of range")).into())
    }

    /// Change one bit in place: a register of thousands of bits is not copied per store.
    /// The caller has logged the slot with [`Self::journal_slot`].
    pub fn put_bit(&mut self, v: VarId, pos: u64, b: Bit, loc: Loc) -> R<()> {
        match self.slots.get_mut(v.0 as usize) {
            Some(Slot::Bits { bits, .. }) => match bits.get_mut(pos as usize) {
                Some(x) => {
                    *x = b;
                    Ok(())
                }
                None => Err(err(loc, invalid("a bit position out of range")).into()),
            },
            Some(Slot::Reg { bits, .. }) => {
                if bits.put(pos, b) {
                    Ok(())
                } else {
                    Err(err(loc, invalid("a bit position out of range")).into())
                }
            }
            _ => Err(err(loc, invalid("a bit store into a non-bit variable")).into()),
        }
    }

    /// What a register bit holds after `new` is stored into it, or why the flat circuit
    /// cannot follow.
    fn store_register_bit(&mut self, v: VarId, clbit: u32, cur: Bit, new: Bit, loc: Loc) -> R<Bit> {
        let name = || format!("`{}`", self.var_name(v));
        let refuse = |what: String| -> R<Bit> {
            Err(err(loc, FlattenErrorKind::Unrepresentable { what }).into())
        };
        match new {
            // Unchanged content needs no op.
            b if b == cur => Ok(b),
            Bit::Known(x) => refuse(format!(
                "setting a bit of {} to {} while its clbit holds {}",
                name(),
                u8::from(x),
                match cur {
                    Bit::Known(y) => u8::from(y).to_string(),
                    _ => "a measurement result".into(),
                }
            )),
            Bit::Clbit { clbit: c, version } => {
                if c == clbit && self.version_of(c) == Some(version) {
                    return Ok(new);
                }
                refuse(format!("copying a measured bit into {}", name()))
            }
            Bit::Pending(k) => {
                let Some(pd) = self.pending.get(k as usize).copied() else {
                    return Err(err(loc, invalid("a pending measurement out of range")).into());
                };
                if let Some((c, version)) = pd.bound {
                    return self.store_register_bit(
                        v,
                        clbit,
                        cur,
                        Bit::Clbit { clbit: c, version },
                        loc,
                    );
                }
                if pd.branch != self.branch {
                    return Err(err(
                        loc,
                        FlattenErrorKind::RealTime {
                            what: format!("storing a measured bit into {} inside a branch", name()),
                        },
                    )
                    .into());
                }
                if self.touched_of(clbit).is_some_and(|t| t > pd.seq) {
                    return refuse(format!(
                        "storing a measurement into {} after its clbit was used since the \
                         measurement",
                        name()
                    ));
                }
                let version = self.write_clbit(clbit);
                if let Some(p) = self.pending.get_mut(k as usize) {
                    p.bound = Some((clbit, version));
                }
                Ok(Bit::Clbit { clbit, version })
            }
        }
    }

    /// A pending bit's clbit, choosing a hidden one if it has none yet.
    pub fn settle(&mut self, b: Bit) -> Bit {
        let Bit::Pending(k) = b else { return b };
        let Some(pd) = self.pending.get(k as usize).copied() else {
            return b;
        };
        let (clbit, version) = match pd.bound {
            Some(x) => x,
            None => {
                let clbit = self.circuit.num_clbits.saturating_add(self.hidden);
                self.hidden += 1;
                let version = self.write_clbit(clbit);
                if let Some(p) = self.pending.get_mut(k as usize) {
                    p.bound = Some((clbit, version));
                }
                (clbit, version)
            }
        };
        Bit::Clbit { clbit, version }
    }

    // ---- expressions ------------------------------------------------------------------------

    /// Turn an evaluation failure into the walk's error, preferring what a call raised.
    pub fn eval_failure(&mut self, e: EvalError, loc: Loc, what: &str) -> Halt {
        if let Some(h) = self.deferred.take() {
            return h;
        }
        let at = e.loc.unwrap_or(loc);
        if let EvalErrorKind::Unknown(v) = &e.kind {
            let v = *v;
            let name = self.var_name(v).to_string();
            return match self.slots.get(v.0 as usize) {
                Some(Slot::RealTime(l)) => err(
                    at,
                    FlattenErrorKind::RealTime {
                        what: format!("{what} reads `{name}` (set at line {}), which", l.line),
                    },
                )
                .into(),
                Some(Slot::Bits { .. } | Slot::Reg { .. } | Slot::Cond { .. }) => err(
                    at,
                    FlattenErrorKind::RealTime {
                        what: format!("{what} (through `{name}`)"),
                    },
                )
                .into(),
                Some(Slot::Unset) => {
                    let kind = match self.p.vars.get(v.0 as usize) {
                        Some(var) if var.kind == super::stmt::VarKind::Input => {
                            FlattenErrorKind::MissingInput { name }
                        }
                        _ => invalid(&format!("`{name}` is read before it has a value")),
                    };
                    err(at, kind).into()
                }
                _ => err(at, FlattenErrorKind::Eval(e)).into(),
            };
        }
        err(at, FlattenErrorKind::Eval(e)).into()
    }

    /// A value known at compile time.
    pub fn value(&mut self, e: &ClassicalExpr, loc: Loc, what: &str) -> R<Value> {
        match eval::eval(e, self) {
            Ok(v) => Ok(v),
            Err(x) => Err(self.eval_failure(x, loc, what)),
        }
    }

    pub fn int(&mut self, e: &ClassicalExpr, loc: Loc, what: &str) -> R<i128> {
        let v = self.value(e, loc, what)?;
        to_int(&v).ok_or_else(|| err(loc, invalid(&format!("{what} is not an integer"))).into())
    }

    /// The value of an expression that may be bits decided by measurements.
    pub fn sym(&mut self, e: &ClassicalExpr, loc: Loc, what: &str) -> R<Sym> {
        match e {
            ClassicalExpr::Call(sub, args, at) => {
                self.call_sub(*sub, args, *at)?.ok_or_else(|| {
                    err(
                        *at,
                        invalid("a subroutine without a return value used as a value"),
                    )
                    .into()
                })
            }
            ClassicalExpr::Var(v) => match self.slot(*v, loc)? {
                Slot::Bits { bits, single } => Ok(Sym::from_bits(bits.clone(), *single)),
                Slot::Reg { bits, single } => {
                    if u64::from(bits.len) > eval::MAX_BITS {
                        return Err(err(
                            loc,
                            FlattenErrorKind::Unrepresentable {
                                what: format!(
                                    "reading all {} bits of `{}` at once",
                                    bits.len,
                                    self.var_name(*v)
                                ),
                            },
                        )
                        .into());
                    }
                    Ok(Sym::from_bits(bits.to_vec(), *single))
                }
                _ => Ok(Sym::Val(self.value(e, loc, what)?)),
            },
            ClassicalExpr::Index(base, idx) => match (base.as_ref(), idx.as_slice()) {
                (ClassicalExpr::Var(v), [one])
                    if matches!(self.slot(*v, loc)?, Slot::Bits { .. } | Slot::Reg { .. }) =>
                {
                    let len = self.slot(*v, loc)?.bit_len();
                    let (positions, single) = self.positions(one, len, loc)?;
                    let mut picked = Vec::with_capacity(positions.len());
                    for p in positions {
                        picked.push(self.bit_at(*v, p, loc)?);
                    }
                    Ok(Sym::from_bits(picked, single))
                }
                _ => Ok(Sym::Val(self.value(e, loc, what)?)),
            },
            ClassicalExpr::Cast(ty @ (Type::Bit | Type::Bits(_)), inner) => {
                match self.sym(inner, loc, what)? {
                    Sym::Bits { bits, single } => {
                        let n = match ty {
                            Type::Bits(n) => *n as usize,
                            _ => 1,
                        };
                        if bits.len() != n {
                            return Err(err(
                                loc,
                                FlattenErrorKind::Unrepresentable {
                                    what: "resizing measured bits".into(),
                                },
                            )
                            .into());
                        }
                        Ok(Sym::Bits {
                            bits,
                            single: single && matches!(ty, Type::Bit),
                        })
                    }
                    Sym::Val(v) => Ok(Sym::Val(
                        eval::cast(&v, ty).map_err(|x| self.eval_failure(x, loc, what))?,
                    )),
                }
            }
            _ => Ok(Sym::Val(self.value(e, loc, what)?)),
        }
    }

    /// Positions one index selects in a sequence of `len`, and whether it is a single one.
    pub fn positions(&mut self, idx: &Index, len: u64, loc: Loc) -> R<(Vec<u64>, bool)> {
        let bad = |b: super::flatten_env::BadIndex| -> Halt {
            err(
                loc,
                FlattenErrorKind::BadIndex {
                    index: b.index,
                    len: b.len,
                },
            )
            .into()
        };
        match idx {
            Index::Single(e) => {
                let i = self.int(e, loc, "an index")?;
                Ok((vec![position(i, len).map_err(bad)?], true))
            }
            Index::Range { start, step, stop } => {
                let get = |x: &Option<ClassicalExpr>, s: &mut Self| -> R<Option<i128>> {
                    x.as_ref()
                        .map(|e| s.int(e, loc, "a range bound"))
                        .transpose()
                };
                let a = get(start, self)?;
                let st = get(step, self)?;
                let b = get(stop, self)?;
                let (first, step, count) = range(a, st, b, len).map_err(bad)?;
                self.room(count, loc)?;
                let out = (0..count)
                    .map(|k| (i128::from(first) + i128::from(k) * step) as u64)
                    .collect();
                Ok((out, false))
            }
            Index::Set(es) => {
                let mut out = Vec::with_capacity(es.len());
                for e in es {
                    let i = self.int(e, loc, "an index")?;
                    out.push(position(i, len).map_err(bad)?);
                }
                Ok((out, false))
            }
        }
    }

    /// Fail before allocating `n` entries the flat circuit could not hold anyway.
    pub fn room(&self, n: u64, loc: Loc) -> R<()> {
        if self.used.saturating_add(n) > self.cap {
            return Err(err(
                loc,
                FlattenErrorKind::TooLarge {
                    ops: self.used.saturating_add(n),
                    limit: self.cap,
                },
            )
            .into());
        }
        Ok(())
    }

    // ---- statements -------------------------------------------------------------------------

    /// Run a block.
    pub fn block(&mut self, b: &Block) -> R<Flow> {
        let loc = b.first().map_or(Loc::default(), stmt_loc);
        self.enter(loc)?;
        let r = self.block_inner(b);
        self.depth -= 1;
        r
    }

    fn block_inner(&mut self, b: &Block) -> R<Flow> {
        for s in b {
            self.step(1, stmt_loc(s))?;
            match self.stmt(s)? {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    fn stmt(&mut self, s: &Stmt) -> R<Flow> {
        match s {
            Stmt::Gate {
                gate,
                params,
                qubits,
                loc,
            } => self.gate(*gate, params, qubits, *loc)?,
            Stmt::Measure {
                qubits,
                target,
                loc,
            } => self.measure(qubits, target.as_ref(), *loc)?,
            Stmt::Reset { qubits, loc } => {
                let q = self.qubits(qubits)?;
                self.grow(q.len(), *loc)?;
                for k in 0..q.len() as usize {
                    if let Some(qubit) = q.get(k) {
                        self.emit(Op::Reset { qubit });
                    }
                }
            }
            Stmt::Barrier { qubits, loc } => {
                let mut list = Vec::new();
                if qubits.is_empty() {
                    list = self.all_qubits(*loc)?;
                }
                for o in qubits {
                    match self.qubits(o)? {
                        Qubits::One(q) => list.push(q),
                        Qubits::Many(v) => list.extend(v),
                    }
                }
                self.grow(list.len() as u64 + 1, *loc)?;
                let args = self.circuit.qubits.len() as u32;
                let len = list.len() as u32;
                self.circuit.qubits.extend(list);
                self.emit(Op::Barrier { args, len });
            }
            Stmt::Delay {
                duration,
                qubits,
                loc,
            } => self.delay(duration, qubits, *loc)?,
            Stmt::Declare { var, init, loc } => self.declare(*var, init.as_ref(), *loc)?,
            Stmt::Assign {
                target,
                op,
                value,
                loc,
            } => self.assign(target, *op, value, *loc)?,
            Stmt::Expr { value, loc } => match value {
                ClassicalExpr::Call(sub, args, at) => {
                    self.call_sub(*sub, args, *at)?;
                }
                e => {
                    self.value(e, *loc, "an expression statement")?;
                }
            },
            Stmt::If {
                cond,
                then_body,
                else_body,
                loc,
            } => return self.if_stmt(cond, then_body, else_body, *loc),
            Stmt::For {
                var,
                iter,
                body,
                loc,
            } => return self.for_loop(*var, iter, body, *loc),
            Stmt::While { cond, body, loc } => return self.while_loop(cond, body, *loc),
            Stmt::Switch {
                target,
                cases,
                default,
                loc,
            } => return self.switch(target, cases, default.as_ref(), *loc),
            Stmt::Break { loc } => return Ok(Flow::Break(*loc)),
            Stmt::Continue { loc } => return Ok(Flow::Continue(*loc)),
            Stmt::End { .. } => return Ok(Flow::End),
            Stmt::Return { value, loc } => {
                let v = match value {
                    Some(e) => Some(self.sym(e, *loc, "the returned value")?),
                    None => None,
                };
                return Ok(Flow::Return(v, *loc));
            }
            // A flat circuit has no timing scopes: the box's contents stay, in order.
            Stmt::Box { body, .. } => return self.block(body),
        }
        Ok(Flow::Normal)
    }

    /// A `bit`/`bit[n]` store's new bits from a value.
    pub fn bits_of(&mut self, s: Sym, n: usize, loc: Loc) -> R<Vec<Bit>> {
        let bits = match s {
            Sym::Bits { bits, .. } => bits,
            Sym::Val(v) => {
                let ty = if n == 1 {
                    Type::Bit
                } else {
                    Type::Bits(n as u32)
                };
                let v = match &v {
                    Value::Bits(b) if b.len() == n => v,
                    _ => {
                        eval::cast(&v, &ty).map_err(|x| self.eval_failure(x, loc, "a bit value"))?
                    }
                };
                match v {
                    Value::Bit(b) => vec![Bit::Known(b)],
                    Value::Bits(b) => b.into_iter().map(Bit::Known).collect(),
                    _ => return Err(err(loc, invalid("a bit store of a non-bit value")).into()),
                }
            }
        };
        if bits.len() != n {
            return Err(err(
                loc,
                FlattenErrorKind::BroadcastMismatch {
                    first: n as u64,
                    second: bits.len() as u64,
                },
            )
            .into());
        }
        Ok(bits)
    }

    pub fn is_bits(&self, v: VarId) -> bool {
        self.p
            .vars
            .get(v.0 as usize)
            .is_some_and(|x| matches!(x.ty, Type::Bit | Type::Bits(_)))
    }

    pub fn var_type(&self, v: VarId, loc: Loc) -> R<Type> {
        self.p
            .vars
            .get(v.0 as usize)
            .map(|x| x.ty.clone())
            .ok_or_else(|| err(loc, invalid("a variable id out of range")).into())
    }

    /// The slot a value of `ty` becomes.
    pub fn slot_of(&mut self, ty: &Type, s: Sym, loc: Loc) -> R<Slot> {
        match ty {
            Type::Bit | Type::Bits(_) => {
                let n = match ty {
                    Type::Bits(n) => *n as usize,
                    _ => 1,
                };
                let bits = self.bits_of(s, n, loc)?;
                Ok(Slot::Bits {
                    bits,
                    single: matches!(ty, Type::Bit),
                })
            }
            _ => match s {
                Sym::Val(v) => {
                    Ok(Slot::Val(eval::cast(&v, ty).map_err(|x| {
                        self.eval_failure(x, loc, "a stored value")
                    })?))
                }
                // A `bool` of one measured bit is that bit; a number made of measured bits
                // exists only at run time: reading it later is refused there.
                Sym::Bits { bits, .. } if *ty == Type::Bool && bits.len() == 1 => {
                    let b = bits.first().copied().unwrap_or(Bit::Known(false));
                    let cond = self.bit_cond(b, loc)?;
                    Ok(self.cond_with_reads(cond))
                }
                Sym::Bits { .. } => Ok(Slot::RealTime(loc)),
            },
        }
    }

    fn declare(&mut self, v: VarId, init: Option<&ClassicalExpr>, loc: Loc) -> R<()> {
        let var = self
            .p
            .vars
            .get(v.0 as usize)
            .ok_or_else(|| err(loc, invalid("a variable id out of range")))?;
        let ty = var.ty.clone();
        if var.kind == super::stmt::VarKind::Input {
            if init.is_some() {
                return Err(err(loc, invalid("an input declared with a value")).into());
            }
            let Some(value) = self.inputs.get(&v).cloned() else {
                return Err(err(
                    loc,
                    FlattenErrorKind::MissingInput {
                        name: var.name.clone(),
                    },
                )
                .into());
            };
            let slot = self.slot_of(&ty, Sym::Val(value), loc)?;
            return self.set_slot(v, slot, loc);
        }
        if let (Some(e), None) = (init, var.creg) {
            return self.store_value(v, &ty, e, loc);
        }
        if let (None, Some(r)) = (init, var.creg) {
            // A register declared without a value holds what its clbits hold when the program
            // runs: conditions on it are read at run time (as Qiskit reads them), not folded.
            let reg = self
                .p
                .circuit
                .cregs
                .get(r as usize)
                .cloned()
                .ok_or_else(|| err(loc, invalid("a register out of range")))?;
            if self.journals.is_empty()
                && let Some(Slot::Reg { bits, .. }) = self.slots.get_mut(v.0 as usize)
            {
                // All its clbits written at once, whatever its size.
                let version = self.next_version;
                self.next_version += 1;
                bits.declared = Some(version);
                bits.set.clear();
                self.declared.push(Declared {
                    start: reg.start,
                    len: reg.size,
                    version,
                    seq: self.seq,
                });
                return Ok(());
            }
            self.journal_slot(v);
            for k in 0..reg.size {
                let clbit = reg.start + k;
                let version = self.write_clbit(clbit);
                self.put_bit(v, u64::from(k), Bit::Clbit { clbit, version }, loc)?;
            }
            return Ok(());
        }
        let s = match init {
            Some(e) => self.sym(e, loc, "an initial value")?,
            None => Sym::Val(eval::zero(&ty).map_err(|x| self.eval_failure(x, loc, "a zero"))?),
        };
        if var.creg.is_some() {
            let n = self.slot(v, loc)?.bit_len() as usize;
            let bits = self.bits_of(s, n, loc)?;
            let pos: Vec<u64> = (0..n as u64).collect();
            return self.store_bits(v, &pos, &bits, loc);
        }
        let slot = self.slot_of(&ty, s, loc)?;
        self.set_slot(v, slot, loc)
    }

    /// `v = e` for a variable that is not a register's: a value made from measured bits
    /// exists only at run time, and so does the variable (a `bool` keeps the condition).
    fn store_value(&mut self, v: VarId, ty: &Type, e: &ClassicalExpr, loc: Loc) -> R<()> {
        let slot = match self.sym(e, loc, "an assigned value") {
            Ok(s) => self.slot_of(ty, s, loc)?,
            // Without calls, evaluating again has no effect: the condition is read anew.
            Err(Halt::Error(x))
                if matches!(x.kind, FlattenErrorKind::RealTime { .. }) && !contains_call(e, 0) =>
            {
                if *ty == Type::Bool {
                    self.cond_slot(e, loc)?
                } else {
                    Slot::RealTime(loc)
                }
            }
            Err(h) => return Err(h),
        };
        self.set_slot(v, slot, loc)
    }

    /// A part of a run-time value changes: the whole stays run-time, but the new value's
    /// calls still run (their operations happen).
    fn stays_real_time(&mut self, v: VarId, value: &ClassicalExpr, loc: Loc) -> R<()> {
        if contains_call(value, 0) {
            self.sym(value, loc, "an assigned value")?;
        }
        self.set_slot(v, Slot::RealTime(loc), loc)
    }

    fn assign(
        &mut self,
        target: &LValue,
        op: Option<super::expr::BinaryOp>,
        value: &ClassicalExpr,
        loc: Loc,
    ) -> R<()> {
        let v = target.var;
        // `x op= e` is `x = x op e`.
        let combined;
        let value = match op {
            Some(op) => {
                let current = if target.index.is_empty() {
                    ClassicalExpr::Var(v)
                } else {
                    ClassicalExpr::Index(Box::new(ClassicalExpr::Var(v)), target.index.clone())
                };
                combined = ClassicalExpr::Binary(op, Box::new(current), Box::new(value.clone()));
                &combined
            }
            None => value,
        };
        if self.is_bits(v) {
            let len = match self.slot(v, loc)? {
                Slot::Bits { .. } | Slot::Reg { .. } => self.slot(v, loc)?.bit_len(),
                Slot::RealTime(_) => return self.stays_real_time(v, value, loc),
                _ => {
                    return Err(
                        err(loc, invalid("a bit variable used before its declaration")).into(),
                    );
                }
            };
            let (pos, _) = match target.index.as_slice() {
                [] => ((0..len).collect(), len == 1),
                [one] => self.positions(one, len, loc)?,
                _ => return Err(err(loc, invalid("a nested index into bits")).into()),
            };
            let s = self.sym(value, loc, "an assigned value")?;
            let bits = self.bits_of(s, pos.len(), loc)?;
            return self.store_bits(v, &pos, &bits, loc);
        }
        let ty = self.var_type(v, loc)?;
        if target.index.is_empty() {
            return self.store_value(v, &ty, value, loc);
        }
        let mut current = match self.slot(v, loc)? {
            Slot::Val(x) => x.clone(),
            Slot::Unset => {
                let name = self.var_name(v).to_string();
                return Err(err(
                    loc,
                    invalid(&format!("`{name}` is read before it has a value")),
                )
                .into());
            }
            _ => return self.stays_real_time(v, value, loc),
        };
        let new = self.value(value, loc, "an assigned value")?;
        let mut sels = Vec::with_capacity(target.index.len());
        for ix in &target.index {
            match eval::eval_index(ix, self) {
                Ok(sel) => sels.push(sel),
                Err(x) => return Err(self.eval_failure(x, loc, "an index")),
            }
        }
        let width = self.int_width(v).unwrap_or(eval::DEFAULT_INT_WIDTH);
        current = eval::store_in(&current, &sels, new, width)
            .map_err(|x| self.eval_failure(x, loc, "an indexed assignment"))?;
        self.set_slot(v, Slot::Val(current), loc)
    }
}

/// Where a statement is.
pub(super) fn stmt_loc(s: &Stmt) -> Loc {
    match s {
        Stmt::Gate { loc, .. }
        | Stmt::Measure { loc, .. }
        | Stmt::Reset { loc, .. }
        | Stmt::Barrier { loc, .. }
        | Stmt::Delay { loc, .. }
        | Stmt::Declare { loc, .. }
        | Stmt::Assign { loc, .. }
        | Stmt::Expr { loc, .. }
        | Stmt::If { loc, .. }
        | Stmt::For { loc, .. }
        | Stmt::While { loc, .. }
        | Stmt::Switch { loc, .. }
        | Stmt::Break { loc }
        | Stmt::Continue { loc }
        | Stmt::End { loc }
        | Stmt::Return { loc, .. }
        | Stmt::Box { loc, .. } => *loc,
    }
}

/// Whether evaluating `e` may call a subroutine (whose ops must not run twice or be skipped).
pub(super) fn contains_call(e: &ClassicalExpr, depth: u32) -> bool {
    if depth > MAX_NESTING {
        return true;
    }
    let idx = |i: &Index| match i {
        Index::Single(x) => contains_call(x, depth + 1),
        Index::Range { start, step, stop } => [start, step, stop]
            .iter()
            .any(|x| x.as_ref().is_some_and(|x| contains_call(x, depth + 1))),
        Index::Set(xs) => xs.iter().any(|x| contains_call(x, depth + 1)),
    };
    match e {
        ClassicalExpr::Call(..) | ClassicalExpr::Extern(..) => true,
        ClassicalExpr::Const(_) | ClassicalExpr::Var(_) => false,
        ClassicalExpr::Index(b, is) => contains_call(b, depth + 1) || is.iter().any(idx),
        ClassicalExpr::Unary(_, x) | ClassicalExpr::Cast(_, x) => contains_call(x, depth + 1),
        ClassicalExpr::Binary(_, a, b) => {
            contains_call(a, depth + 1) || contains_call(b, depth + 1)
        }
        ClassicalExpr::Builtin(_, xs) => xs.iter().any(|x| contains_call(x, depth + 1)),
    }
}

impl Host for Flattener<'_> {
    fn var(&self, v: VarId) -> Result<Value, EvalError> {
        match self.slots.get(v.0 as usize).and_then(Slot::known) {
            Some(x) => Ok(x),
            None => Err(EvalError {
                loc: None,
                kind: EvalErrorKind::Unknown(v),
            }),
        }
    }

    fn call(&mut self, sub: SubId, args: &[CallArg], loc: Loc) -> Result<Value, EvalError> {
        let halted = match self.call_sub(sub, args, loc) {
            Ok(Some(Sym::Val(v))) => return Ok(v),
            Ok(Some(Sym::Bits { .. })) => err(
                loc,
                FlattenErrorKind::RealTime {
                    what: "a value computed from a subroutine's measured result".into(),
                },
            )
            .into(),
            Ok(None) => err(
                loc,
                invalid("a subroutine without a return value used as a value"),
            )
            .into(),
            Err(h) => h,
        };
        self.deferred = Some(halted);
        // The walk's own error waits in `deferred`; this only unwinds the evaluation.
        Err(EvalError::new(EvalErrorKind::Pending).at(loc))
    }

    fn extern_call(&mut self, ext: u32, _args: &[Value], loc: Loc) -> Result<Value, EvalError> {
        let name = self
            .p
            .externs
            .get(ext as usize)
            .map_or_else(|| format!("#{ext}"), |x| x.name.clone());
        self.deferred = Some(err(loc, FlattenErrorKind::Extern { name }).into());
        Err(EvalError::new(EvalErrorKind::Pending).at(loc))
    }

    fn int_width(&self, v: VarId) -> Option<u32> {
        match self.p.vars.get(v.0 as usize)?.ty {
            Type::Int(w) | Type::Uint(w) => w,
            _ => None,
        }
    }
}

#[cfg(test)]
#[path = "flatten_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "flatten_fuzz.rs"]
mod fuzz;
