//! Conditions of the flatten pass: resolving branches known at compile time, and turning the
//! ones that depend on measured bits into [`IfBlock`]s whose [`CondExpr`] reads the clbits,
//! each branch walked with the environment as it was before the `if` and the two outcomes
//! merged after it.

use rustc_hash::FxHashMap;

use super::expr::{BinaryOp, ClassicalExpr, UnaryOp};
use super::flatten::{
    Container, FlattenErrorKind, Flattener, Flow, Halt, MAX_NESTING, R, Undo, contains_call, err,
    invalid,
};
use super::flatten_env::{Bit, RegBits, Slot, to_int};
use super::ids::{Loc, VarId};
use super::stmt::{Block, Case};
use super::types::Type;
use super::value::Value;
use crate::circuit::{CondExpr, CondOp, IfBlock, Op, Wide};

/// A condition's operand while it is translated.
#[derive(Clone, Debug)]
enum Cv {
    Known(Value),
    /// Bits of which some are measured; `reg` when they are exactly a register's bits.
    Bits {
        bits: Vec<Bit>,
        reg: Option<u32>,
    },
    Cond(CondExpr),
}

/// A condition's outcome: known now, or read from clbits when the circuit runs.
pub(super) enum Truth {
    Known(bool),
    Runtime(CondExpr),
}

fn truthy(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) | Value::Bit(b) => Some(*b),
        Value::Bits(b) => Some(b.iter().any(|x| *x)),
        Value::Int(i) => Some(*i != 0),
        Value::Uint(u) => Some(*u != 0),
        Value::Float(x) | Value::Angle(x) => Some(*x != 0.0),
        _ => None,
    }
}

/// A known non-negative integer as a condition constant.
fn wide(v: &Value) -> Option<Wide> {
    match v {
        Value::Bits(b) => Some(Wide::from_bits(b.iter().copied())),
        Value::Uint(u) => Some(Wide::from_bits((0..128).map(|i| (u >> i) & 1 == 1))),
        _ => {
            let i = to_int(v)?;
            let u = u128::try_from(i).ok()?;
            Some(Wide::from_bits((0..128).map(|k| (u >> k) & 1 == 1)))
        }
    }
}

/// The condition operator of a classical binary operator (`None` for arithmetic, which a
/// condition cannot hold).
pub fn cond_op(op: BinaryOp) -> Option<CondOp> {
    Some(match op {
        BinaryOp::Eq => CondOp::Eq,
        BinaryOp::Ne => CondOp::Ne,
        BinaryOp::Lt => CondOp::Lt,
        BinaryOp::Le => CondOp::Le,
        BinaryOp::Gt => CondOp::Gt,
        BinaryOp::Ge => CondOp::Ge,
        BinaryOp::And => CondOp::And,
        BinaryOp::Or => CondOp::Or,
        BinaryOp::BitAnd => CondOp::BitAnd,
        BinaryOp::BitOr => CondOp::BitOr,
        BinaryOp::BitXor => CondOp::Xor,
        _ => return None,
    })
}

/// Whether a condition's value is 0 or 1.
fn is_boolean(c: &CondExpr) -> bool {
    match c {
        CondExpr::Bit(_) | CondExpr::Bool(_) | CondExpr::Not(_) => true,
        // Bitwise operators of values that are 0 or 1 give 0 or 1 (`c[0] ^ c[1]`).
        CondExpr::Binary(CondOp::BitAnd | CondOp::BitOr | CondOp::Xor, a, b) => {
            is_boolean(a) && is_boolean(b)
        }
        CondExpr::Binary(op, ..) => matches!(
            op,
            CondOp::Eq
                | CondOp::Ne
                | CondOp::Lt
                | CondOp::Le
                | CondOp::Gt
                | CondOp::Ge
                | CondOp::And
                | CondOp::Or
        ),
        CondExpr::Register(_) | CondExpr::Int(_) => false,
    }
}

/// `!c`, without double negations of values that are 0 or 1.
fn not(c: CondExpr) -> CondExpr {
    match c {
        CondExpr::Bool(b) => CondExpr::Bool(!b),
        CondExpr::Not(inner) if is_boolean(&inner) => *inner,
        c => CondExpr::Not(Box::new(c)),
    }
}

/// `c` as 0 or 1: a register or number is true when non-zero.
pub fn boolish(c: CondExpr) -> CondExpr {
    if is_boolean(&c) {
        c
    } else {
        bin(CondOp::Ne, c, CondExpr::Int(Wide::zero()))
    }
}

fn bin(op: CondOp, a: CondExpr, b: CondExpr) -> CondExpr {
    CondExpr::Binary(op, Box::new(a), Box::new(b))
}

impl Flattener<'_> {
    fn unrepresentable(&self, loc: Loc, what: &str) -> Halt {
        err(
            loc,
            FlattenErrorKind::Unrepresentable {
                what: what.to_string(),
            },
        )
        .into()
    }

    /// Whether a variable read by `e` holds something only known at run time, or `e` calls a
    /// subroutine (which may return a measured bit).
    fn needs_runtime(&self, e: &ClassicalExpr, depth: u32) -> bool {
        if depth > MAX_NESTING {
            return true;
        }
        match e {
            ClassicalExpr::Var(v) => self.slots.get(v.0 as usize).is_some_and(Slot::is_symbolic),
            ClassicalExpr::Call(..) => true,
            ClassicalExpr::Const(_) | ClassicalExpr::Extern(..) => false,
            ClassicalExpr::Index(b, _) => self.needs_runtime(b, depth + 1),
            ClassicalExpr::Unary(_, x) | ClassicalExpr::Cast(_, x) => {
                self.needs_runtime(x, depth + 1)
            }
            ClassicalExpr::Binary(_, a, b) => {
                self.needs_runtime(a, depth + 1) || self.needs_runtime(b, depth + 1)
            }
            ClassicalExpr::Builtin(_, xs) => xs.iter().any(|x| self.needs_runtime(x, depth + 1)),
        }
    }

    /// The outcome of a condition.
    pub(super) fn truth(&mut self, e: &ClassicalExpr, loc: Loc, what: &str) -> R<Truth> {
        let cv = self.cv(e, loc, what, 0)?;
        match cv {
            Cv::Known(v) => truthy(&v)
                .map(Truth::Known)
                .ok_or_else(|| err(loc, invalid(&format!("{what} is not a truth value"))).into()),
            other => {
                let c = self.truth_of(other, loc)?;
                self.touch(&c);
                Ok(Truth::Runtime(c))
            }
        }
    }

    /// A condition that must be known at compile time (`while`).
    pub(super) fn known_truth(&mut self, e: &ClassicalExpr, loc: Loc, what: &str) -> R<bool> {
        match self.truth(e, loc, what)? {
            Truth::Known(b) => Ok(b),
            Truth::Runtime(_) => Err(err(
                loc,
                FlattenErrorKind::RealTime {
                    what: what.to_string(),
                },
            )
            .into()),
        }
    }

    /// Record that the op about to be emitted reads the condition's clbits.
    fn touch(&mut self, c: &CondExpr) {
        let mut bits = Vec::new();
        c.clbits(&self.circuit, &mut bits);
        let seq = self.seq + 1;
        for b in bits {
            self.touched.insert(b, seq);
        }
    }

    /// A clbit a condition may read for `b`, or its known value.
    pub(super) fn bit_cond(&mut self, b: Bit, loc: Loc) -> R<CondExpr> {
        match self.settle(b) {
            Bit::Known(x) => Ok(CondExpr::Bool(x)),
            Bit::Clbit { clbit, version } => {
                if self.version_of(clbit) != Some(version) {
                    return Err(self.unrepresentable(
                        loc,
                        "reading a copy of a measured bit after its clbit was measured again",
                    ));
                }
                Ok(CondExpr::Bit(clbit))
            }
            Bit::Pending(_) => {
                Err(err(loc, invalid("a pending measurement without a clbit")).into())
            }
        }
    }

    fn cond_of(&mut self, cv: Cv, loc: Loc) -> R<CondExpr> {
        match cv {
            Cv::Known(v) => match v {
                Value::Bool(b) => Ok(CondExpr::Bool(b)),
                v => wide(&v).map(CondExpr::Int).ok_or_else(|| {
                    self.unrepresentable(
                        loc,
                        "comparing a measurement result with a negative or non-integer value",
                    )
                }),
            },
            Cv::Cond(c) => Ok(c),
            Cv::Bits { bits, reg } => {
                if let Some(r) = reg {
                    // The register's variable equals its clbits (see `store_register_bit`);
                    // its bits must all be current.
                    for b in &bits {
                        self.bit_cond(*b, loc)?;
                    }
                    return Ok(CondExpr::Register(r));
                }
                match bits.as_slice() {
                    [one] => self.bit_cond(*one, loc),
                    _ => Err(self.unrepresentable(
                        loc,
                        "reading several measured bits as a number, other than a whole register",
                    )),
                }
            }
        }
    }

    /// A condition's truth: a register or number is true when non-zero.
    fn truth_of(&mut self, cv: Cv, loc: Loc) -> R<CondExpr> {
        match cv {
            Cv::Bits { bits, reg: None } if bits.len() > 1 => {
                let mut acc: Option<CondExpr> = None;
                for b in bits {
                    let c = self.bit_cond(b, loc)?;
                    acc = Some(match acc {
                        None => c,
                        Some(a) => bin(CondOp::Or, a, c),
                    });
                }
                Ok(acc.unwrap_or(CondExpr::Bool(false)))
            }
            other => self.cond_of(other, loc),
        }
    }

    /// `bits == k` for bits that are not a whole register: every bit equals its bit of `k`.
    fn bits_equal(&mut self, bits: Vec<Bit>, k: &Value, loc: Loc) -> R<CondExpr> {
        let Some(want) = super::flatten_env::value_bits(k, bits.len()) else {
            return Err(self.unrepresentable(loc, "comparing measured bits with a non-integer"));
        };
        // A constant wider than the bits can never be equal.
        if let Some(i) = to_int(k)
            && bits.len() < 127
            && (i < 0 || i >> bits.len() != 0)
        {
            return Ok(CondExpr::Bool(false));
        }
        let mut acc: Option<CondExpr> = None;
        for (b, w) in bits.into_iter().zip(want) {
            let c = self.bit_cond(b, loc)?;
            let c = if w { c } else { not(c) };
            acc = Some(match acc {
                None => c,
                Some(a) => bin(CondOp::And, a, c),
            });
        }
        Ok(acc.unwrap_or(CondExpr::Bool(true)))
    }

    /// `a == b` (or `!=`) with at least one side measured.
    fn equal(&mut self, a: Cv, b: Cv, loc: Loc) -> R<CondExpr> {
        match (a, b) {
            (Cv::Bits { bits, reg: None }, Cv::Known(k))
            | (Cv::Known(k), Cv::Bits { bits, reg: None })
                if bits.len() > 1 =>
            {
                self.bits_equal(bits, &k, loc)
            }
            (a, b) => {
                let (a, b) = (self.cond_of(a, loc)?, self.cond_of(b, loc)?);
                // `c[0] == true` is `c[0]`, and `c[0] == false` is `!c[0]`: one condition,
                // however it is written (Qiskit's exporter writes the short form, so a circuit
                // that goes through Qiskit codes as the file it came from).
                Ok(match (a, b) {
                    (CondExpr::Bool(v), c) | (c, CondExpr::Bool(v)) if is_boolean(&c) => {
                        if v {
                            c
                        } else {
                            not(c)
                        }
                    }
                    (a, b) => bin(CondOp::Eq, a, b),
                })
            }
        }
    }

    /// A `bool` variable holding `cond`, with the clbits it reads as they stand.
    pub(super) fn cond_with_reads(&self, cond: CondExpr) -> Slot {
        let mut bits = Vec::new();
        cond.clbits(&self.circuit, &mut bits);
        bits.sort_unstable();
        bits.dedup();
        let reads = bits.into_iter().map(|b| (b, self.version_of(b))).collect();
        Slot::Cond { cond, reads }
    }

    /// The slot of a `bool` assigned an expression over measured bits.
    pub(super) fn cond_slot(&mut self, e: &ClassicalExpr, loc: Loc) -> R<Slot> {
        Ok(match self.truth(e, loc, "a bool's value")? {
            Truth::Known(b) => Slot::Val(Value::Bool(b)),
            // Stored as 0 or 1, so that `flag == true` reads it right later.
            Truth::Runtime(c) => self.cond_with_reads(boolish(c)),
        })
    }

    /// Translate a condition's expression.
    fn cv(&mut self, e: &ClassicalExpr, loc: Loc, what: &str, depth: u32) -> R<Cv> {
        if depth > MAX_NESTING {
            return Err(err(loc, FlattenErrorKind::Nesting { limit: MAX_NESTING }).into());
        }
        if !self.needs_runtime(e, 0) {
            return Ok(Cv::Known(self.value(e, loc, what)?));
        }
        let realtime = |what: &str| -> Halt {
            err(
                loc,
                FlattenErrorKind::RealTime {
                    what: what.to_string(),
                },
            )
            .into()
        };
        if let ClassicalExpr::Var(v) = e
            && let Some(Slot::Cond { cond, reads }) = self.slots.get(v.0 as usize)
        {
            if reads
                .iter()
                .any(|(b, version)| self.version_of(*b) != *version)
            {
                return Err(self.unrepresentable(
                    loc,
                    &format!(
                        "reading `{}` after a clbit it was computed from was measured again",
                        self.var_name(*v)
                    ),
                ));
            }
            return Ok(Cv::Cond(cond.clone()));
        }
        match e {
            ClassicalExpr::Var(_) | ClassicalExpr::Index(..) | ClassicalExpr::Call(..) => {
                match self.sym(e, loc, what)? {
                    super::flatten_env::Sym::Val(v) => Ok(Cv::Known(v)),
                    super::flatten_env::Sym::Bits { bits, .. } => {
                        let reg = match e {
                            ClassicalExpr::Var(v) => self.register_of(*v, bits.len()),
                            _ => None,
                        };
                        Ok(Cv::Bits { bits, reg })
                    }
                }
            }
            ClassicalExpr::Cast(ty, x) => {
                let inner = self.cv(x, loc, what, depth + 1)?;
                match (ty, inner) {
                    (ty, Cv::Known(v)) => Ok(Cv::Known(
                        super::eval::cast(&v, ty).map_err(|x| self.eval_failure(x, loc, what))?,
                    )),
                    (Type::Bool, Cv::Bits { bits, reg }) if bits.len() == 1 => {
                        Ok(Cv::Bits { bits, reg })
                    }
                    (Type::Bool, other) => Ok(Cv::Cond(boolish(self.truth_of(other, loc)?))),
                    (Type::Bits(n), Cv::Bits { bits, reg }) if *n as usize == bits.len() => {
                        Ok(Cv::Bits { bits, reg })
                    }
                    (Type::Bit, Cv::Bits { bits, reg }) if bits.len() == 1 => {
                        Ok(Cv::Bits { bits, reg })
                    }
                    // Reading bits as a number keeps their value when it fits (a signed one
                    // needs a bit more for its sign).
                    (Type::Uint(w), Cv::Bits { bits, reg })
                        if w.is_none_or(|w| (w as usize) >= bits.len()) =>
                    {
                        Ok(Cv::Bits { bits, reg })
                    }
                    (Type::Int(w), Cv::Bits { bits, reg })
                        if w.is_none_or(|w| (w as usize) > bits.len()) =>
                    {
                        Ok(Cv::Bits { bits, reg })
                    }
                    (Type::Uint(_) | Type::Int(_), Cv::Cond(c)) => Ok(Cv::Cond(c)),
                    _ => Err(self
                        .unrepresentable(loc, &format!("converting a measurement result to {ty}"))),
                }
            }
            ClassicalExpr::Unary(UnaryOp::Not, x) => {
                let inner = self.cv(x, loc, what, depth + 1)?;
                match inner {
                    Cv::Known(v) => truthy(&v)
                        .map(|b| Cv::Known(Value::Bool(!b)))
                        .ok_or_else(|| err(loc, invalid("`!` of a non-truth value")).into()),
                    other => Ok(Cv::Cond(not(self.truth_of(other, loc)?))),
                }
            }
            ClassicalExpr::Binary(op @ (BinaryOp::And | BinaryOp::Or), a, b) => {
                let a = self.cv(a, loc, what, depth + 1)?;
                // Short-circuit on a known left side, as evaluation does.
                if let Cv::Known(v) = &a {
                    let t = truthy(v).ok_or_else(|| err(loc, invalid("a non-truth operand")))?;
                    match (op, t) {
                        (BinaryOp::And, false) => return Ok(Cv::Known(Value::Bool(false))),
                        (BinaryOp::Or, true) => return Ok(Cv::Known(Value::Bool(true))),
                        _ => {
                            let b = self.cv(b, loc, what, depth + 1)?;
                            return match b {
                                Cv::Known(v) => truthy(&v)
                                    .map(|t| Cv::Known(Value::Bool(t)))
                                    .ok_or_else(|| err(loc, invalid("a non-truth operand")).into()),
                                other => Ok(Cv::Cond(boolish(self.truth_of(other, loc)?))),
                            };
                        }
                    }
                }
                let b = self.cv(b, loc, what, depth + 1)?;
                let a = boolish(self.truth_of(a, loc)?);
                let and = *op == BinaryOp::And;
                // A known right side folds away (its evaluation has no effect to keep).
                let b = match b {
                    Cv::Known(v) => {
                        let t =
                            truthy(&v).ok_or_else(|| err(loc, invalid("a non-truth operand")))?;
                        return Ok(Cv::Cond(match (and, t) {
                            (true, true) | (false, false) => a,
                            (true, false) => CondExpr::Bool(false),
                            (false, true) => CondExpr::Bool(true),
                        }));
                    }
                    other => boolish(self.truth_of(other, loc)?),
                };
                Ok(Cv::Cond(bin(
                    if and { CondOp::And } else { CondOp::Or },
                    a,
                    b,
                )))
            }
            ClassicalExpr::Binary(op @ (BinaryOp::Eq | BinaryOp::Ne), a, b) => {
                let a = self.cv(a, loc, what, depth + 1)?;
                let b = self.cv(b, loc, what, depth + 1)?;
                let eq = self.equal(a, b, loc)?;
                Ok(Cv::Cond(match (op, eq) {
                    (BinaryOp::Eq, eq) => eq,
                    (_, CondExpr::Binary(CondOp::Eq, x, y)) => CondExpr::Binary(CondOp::Ne, x, y),
                    (_, eq) => not(eq),
                }))
            }
            ClassicalExpr::Binary(op, a, b) => {
                let Some(cop) = cond_op(*op) else {
                    return Err(realtime(&format!(
                        "{what} computes with a measured value (operator {op:?})"
                    )));
                };
                let a = self.cv(a, loc, what, depth + 1)?;
                let b = self.cv(b, loc, what, depth + 1)?;
                let (a, b) = (self.cond_of(a, loc)?, self.cond_of(b, loc)?);
                Ok(Cv::Cond(bin(cop, a, b)))
            }
            _ => Err(realtime(what)),
        }
    }

    /// The register a bit variable is, when it is one and holds all its bits.
    fn register_of(&self, v: VarId, len: usize) -> Option<u32> {
        let r = self.p.vars.get(v.0 as usize)?.creg?;
        let reg = self.circuit.cregs.get(r as usize)?;
        (reg.size as usize == len).then_some(r)
    }

    // ---- branches ---------------------------------------------------------------------------

    pub(super) fn if_stmt(
        &mut self,
        cond: &ClassicalExpr,
        then_body: &Block,
        else_body: &Block,
        loc: Loc,
    ) -> R<Flow> {
        match self.truth(cond, loc, "an if's condition")? {
            Truth::Known(true) => self.block(then_body),
            Truth::Known(false) => self.block(else_body),
            Truth::Runtime(c) => {
                self.runtime_if(c, loc, |f| f.block(then_body), |f| f.block(else_body))?;
                Ok(Flow::Normal)
            }
        }
    }

    /// Walk one side of a branch on a measurement result into its own op list.
    fn side(
        &mut self,
        container: Container,
        loc: Loc,
        body: impl FnOnce(&mut Self) -> R<Flow>,
    ) -> R<(Vec<Op>, Vec<Undo>)> {
        let out = std::mem::take(&mut self.out);
        let saved_container = std::mem::replace(&mut self.container, container);
        let saved_branch = self.branch;
        self.branch = self.next_branch;
        self.next_branch = self.next_branch.saturating_add(1);
        self.journals.push(Vec::new());
        let flow = body(self);
        let journal = self.journals.pop().unwrap_or_default();
        let ops = std::mem::replace(&mut self.out, out);
        self.container = saved_container;
        self.branch = saved_branch;
        let flow = match flow {
            Ok(f) => f,
            Err(Halt::End) => Flow::End,
            Err(e) => return Err(e),
        };
        let word = match flow {
            Flow::Normal => return Ok((ops, journal)),
            Flow::Break(_) => "a `break`",
            Flow::Continue(_) => "a `continue`",
            Flow::Return(..) => "a `return`",
            Flow::End => "an `end`",
        };
        Err(err(
            loc,
            FlattenErrorKind::RealTime {
                what: format!("{word} inside a branch whose condition"),
            },
        )
        .into())
    }

    /// Undo a side's changes, returning the values it left.
    fn rewind(&mut self, journal: Vec<Undo>) -> (FxHashMap<u32, Slot>, Vec<u32>) {
        let mut slots = FxHashMap::default();
        let mut written = Vec::new();
        for u in journal.iter() {
            match u {
                Undo::Slot(v, _) => {
                    if let Some(s) = self.slots.get(*v as usize) {
                        slots.entry(*v).or_insert_with(|| s.clone());
                    }
                }
                Undo::Version(c, _) => written.push(*c),
            }
        }
        for u in journal.into_iter().rev() {
            match u {
                Undo::Slot(v, old) => {
                    if let Some(s) = self.slots.get_mut(v as usize) {
                        *s = old;
                    }
                }
                Undo::Version(c, old) => {
                    match old {
                        Some(x) => self.versions.insert(c, x),
                        None => self.versions.remove(&c),
                    };
                }
            }
        }
        (slots, written)
    }

    /// Emit an [`IfBlock`] with both sides walked, then merge what they changed.
    pub(super) fn runtime_if(
        &mut self,
        cond: CondExpr,
        loc: Loc,
        then_side: impl FnOnce(&mut Self) -> R<Flow>,
        else_side: impl FnOnce(&mut Self) -> R<Flow>,
    ) -> R<()> {
        self.enter(loc)?;
        let r = self.runtime_if_inner(cond, loc, then_side, else_side);
        self.depth -= 1;
        r
    }

    fn runtime_if_inner(
        &mut self,
        cond: CondExpr,
        loc: Loc,
        then_side: impl FnOnce(&mut Self) -> R<Flow>,
        else_side: impl FnOnce(&mut Self) -> R<Flow>,
    ) -> R<()> {
        self.grow(1, loc)?;
        let block = u32::try_from(self.circuit.ifs.len())
            .map_err(|_| err(loc, invalid("too many conditional blocks")))?;
        // The block's place is taken first, so that pending measurements inside can name it.
        self.circuit.ifs.push(IfBlock {
            cond,
            then_ops: Vec::new(),
            else_ops: Vec::new(),
            line: loc.line,
        });
        let (then_ops, j1) = self.side(Container::Then(block), loc, then_side)?;
        let (then_slots, then_written) = self.rewind(j1);
        let (else_ops, j2) = self.side(Container::Else(block), loc, else_side)?;
        let (else_slots, else_written) = self.rewind(j2);
        if then_ops.is_empty()
            && else_ops.is_empty()
            && block as usize + 1 == self.circuit.ifs.len()
        {
            // Only classical work on either side (`switch (c) { case 0 { n += 1; } }`): the
            // flat circuit has nothing to condition.
            self.circuit.ifs.pop();
        } else {
            if let Some(b) = self.circuit.ifs.get_mut(block as usize) {
                b.then_ops = then_ops;
                b.else_ops = else_ops;
            }
            self.emit(Op::If { block });
        }
        // A clbit written on either side holds that side's result afterwards: one new write.
        let mut written = then_written;
        written.extend(else_written);
        written.sort_unstable();
        written.dedup();
        let mut fresh = FxHashMap::default();
        for c in written {
            fresh.insert(c, self.write_clbit(c));
        }
        let mut vars: Vec<u32> = then_slots
            .keys()
            .chain(else_slots.keys())
            .copied()
            .collect();
        vars.sort_unstable();
        vars.dedup();
        for v in vars {
            let id = VarId(v);
            let before = self.slot(id, loc)?.clone();
            let t = then_slots
                .get(&v)
                .cloned()
                .unwrap_or_else(|| before.clone());
            let e = else_slots
                .get(&v)
                .cloned()
                .unwrap_or_else(|| before.clone());
            let merged = if t == e {
                t
            } else {
                self.merge(id, t, e, &fresh, loc)
            };
            if merged != before {
                self.set_slot(id, merged, loc)?;
            }
        }
        Ok(())
    }

    /// A variable after a branch whose sides left it different: a register's bits that
    /// differ are their clbits (which hold either side's result); anything else is only
    /// known at run time.
    fn merge(&self, v: VarId, t: Slot, e: Slot, fresh: &FxHashMap<u32, u64>, loc: Loc) -> Slot {
        let reg = self
            .p
            .vars
            .get(v.0 as usize)
            .and_then(|x| x.creg)
            .and_then(|r| self.circuit.cregs.get(r as usize));
        match (reg, t, e) {
            (Some(reg), Slot::Bits { bits: tb, single }, Slot::Bits { bits: eb, .. })
                if tb.len() == eb.len() =>
            {
                let bits = tb
                    .iter()
                    .zip(&eb)
                    .enumerate()
                    .map(|(i, (a, b))| {
                        if a == b {
                            return *a;
                        }
                        let clbit = reg.start + i as u32;
                        match fresh
                            .get(&clbit)
                            .copied()
                            .or_else(|| self.version_of(clbit))
                        {
                            Some(version) => Bit::Clbit { clbit, version },
                            None => *a,
                        }
                    })
                    .collect();
                Slot::Bits { bits, single }
            }
            (Some(reg), Slot::Reg { bits: tb, single }, Slot::Reg { bits: eb, .. })
                if tb.len == eb.len && tb.declared == eb.declared =>
            {
                // Only the bits either side set can differ.
                let mut bits = tb.clone();
                for k in tb.set.keys().chain(eb.set.keys()) {
                    let (a, b) = (tb.get(u64::from(*k)), eb.get(u64::from(*k)));
                    if let (Some(a), true) = (a, a != b) {
                        let clbit = reg.start + *k;
                        let merged = match fresh
                            .get(&clbit)
                            .copied()
                            .or_else(|| self.version_of(clbit))
                        {
                            Some(version) => Bit::Clbit { clbit, version },
                            None => a,
                        };
                        bits.set.insert(*k, merged);
                    }
                }
                Slot::Reg { bits, single }
            }
            (Some(_), Slot::Reg { bits: tb, single }, Slot::Reg { bits: eb, .. })
                if u64::from(tb.len) <= super::eval::MAX_BITS =>
            {
                let dense = |b: RegBits| Slot::Bits {
                    bits: b.to_vec(),
                    single,
                };
                self.merge(v, dense(tb), dense(eb), fresh, loc)
            }
            _ => Slot::RealTime(loc),
        }
    }

    // ---- switch -----------------------------------------------------------------------------

    pub(super) fn switch(
        &mut self,
        target: &ClassicalExpr,
        cases: &[Case],
        default: Option<&Block>,
        loc: Loc,
    ) -> R<Flow> {
        let what = "a switch's target";
        let t = self.cv(target, loc, what, 0)?;
        if let Cv::Known(v) = &t {
            let x = to_int(v).ok_or_else(|| err(loc, invalid("a switch on a non-integer")))?;
            for c in cases {
                for e in &c.values {
                    let k = self.value(e, loc, "a case value")?;
                    let k = to_int(&k)
                        .ok_or_else(|| err(loc, invalid("a case value that is not an integer")))?;
                    if k == x {
                        return self.block(&c.body);
                    }
                }
            }
            return match default {
                Some(d) => self.block(d),
                None => Ok(Flow::Normal),
            };
        }
        if contains_call(target, 0) && matches!(t, Cv::Cond(_)) {
            return Err(err(loc, FlattenErrorKind::RealTime { what: what.into() }).into());
        }
        self.switch_chain(&t, cases, default, loc)?;
        Ok(Flow::Normal)
    }

    /// A switch on a measured value as `if (t == a || t == b) {…} else if …`.
    fn switch_chain(&mut self, t: &Cv, cases: &[Case], default: Option<&Block>, loc: Loc) -> R<()> {
        let Some((first, rest)) = cases.split_first() else {
            return match default {
                Some(d) => match self.block(d)? {
                    Flow::Normal => Ok(()),
                    _ => Err(err(
                        loc,
                        FlattenErrorKind::RealTime {
                            what: "leaving a switch early when its target".into(),
                        },
                    )
                    .into()),
                },
                None => Ok(()),
            };
        };
        let mut cond: Option<CondExpr> = None;
        for e in &first.values {
            let k = self.value(e, loc, "a case value")?;
            let eq = self.equal(t.clone(), Cv::Known(k), loc)?;
            cond = Some(match cond {
                None => eq,
                Some(c) => bin(CondOp::Or, c, eq),
            });
        }
        let cond = cond.unwrap_or(CondExpr::Bool(false));
        self.touch(&cond);
        self.runtime_if(
            cond,
            loc,
            |f| f.block(&first.body),
            |f| f.switch_chain(t, rest, default, loc).map(|()| Flow::Normal),
        )
    }
}
