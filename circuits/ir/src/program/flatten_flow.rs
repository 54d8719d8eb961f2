//! Calls and loops of the flatten pass: subroutine calls inlined with their arguments bound,
//! `for` loops unrolled (refused before any of it runs when the unrolling cannot fit),
//! `while` loops run while their condition is known.

use super::eval;
use super::expr::CallArg;
use super::expr::{ClassicalExpr, Index};
use super::expr::{Operand, QubitBase};
use super::flatten::{
    FlattenErrorKind, Flattener, Flow, Halt, MAX_NESTING, Qubits, R, contains_call, err, invalid,
};
use super::flatten_env::{Slot, Sym, range_count};
use super::ids::{Loc, SubId, VarId};
use super::stmt::{Block, Iteration, Stmt, SubParam};
use super::types::Type;
use super::value::Value;

impl Flattener<'_> {
    // ---- calls ------------------------------------------------------------------------------

    /// The variables a subroutine's calls own: its classical parameters and its locals.
    fn locals(&mut self, sub: SubId) -> Vec<VarId> {
        if let Some(Some(v)) = self.sub_locals.get(sub.0 as usize) {
            return v.clone();
        }
        let mut out = Vec::new();
        if let Some(s) = self.p.subroutines.get(sub.0 as usize) {
            for p in &s.params {
                if let SubParam::Classical(v) = p {
                    out.push(*v);
                }
            }
            collect_locals(&s.body, &mut out, 0);
        }
        out.sort_unstable();
        out.dedup();
        if let Some(slot) = self.sub_locals.get_mut(sub.0 as usize) {
            *slot = Some(out.clone());
        }
        out
    }

    /// Inline a call; returns its value (`None` for a subroutine without one).
    pub fn call_sub(&mut self, sub: SubId, args: &[CallArg], loc: Loc) -> R<Option<Sym>> {
        let p = self.p;
        let s = p
            .subroutines
            .get(sub.0 as usize)
            .ok_or_else(|| err(loc, invalid("a subroutine id out of range")))?;
        if self.calls >= self.limits.max_call_depth {
            return Err(err(
                loc,
                FlattenErrorKind::CallDepth {
                    limit: self.limits.max_call_depth,
                },
            )
            .into());
        }
        if s.params.len() != args.len() {
            return Err(err(
                loc,
                invalid(&format!(
                    "`{}` called with a wrong number of arguments",
                    s.name
                )),
            )
            .into());
        }
        // Arguments are evaluated in the caller's frame.
        let mut classical = Vec::new();
        let mut frame = Vec::new();
        for (param, arg) in s.params.iter().zip(args) {
            match (param, arg) {
                (SubParam::Classical(v), CallArg::Classical(e)) => {
                    classical.push((*v, self.sym(e, loc, "an argument")?));
                }
                (SubParam::Qubits { size, name }, CallArg::Qubits(o)) => {
                    let qs = match self.qubits(o)? {
                        Qubits::One(q) => vec![q],
                        Qubits::Many(v) => v,
                    };
                    let want = size.unwrap_or(1) as usize;
                    if qs.len() != want {
                        return Err(err(
                            loc,
                            invalid(&format!(
                                "`{name}` of `{}` takes {want} qubits, given {}",
                                s.name,
                                qs.len()
                            )),
                        )
                        .into());
                    }
                    frame.push(qs);
                }
                _ => {
                    return Err(err(
                        loc,
                        invalid(&format!(
                            "`{}` called with an argument of the wrong kind",
                            s.name
                        )),
                    )
                    .into());
                }
            }
        }
        self.calls += 1;
        let locals = self.locals(sub);
        let mut saved = Vec::with_capacity(locals.len());
        let r = (|| -> R<Option<Sym>> {
            for &v in &locals {
                let old = self.slot(v, loc)?.clone();
                saved.push((v, old));
                self.set_slot(v, Slot::Unset, loc)?;
            }
            for (v, value) in classical {
                self.not_a_register(v, loc)?;
                let ty = self.var_type(v, loc)?;
                let slot = self.slot_of(&ty, value, loc)?;
                self.set_slot(v, slot, loc)?;
            }
            self.qframes.push(frame);
            let flow = self.block(&s.body);
            self.qframes.pop();
            match flow? {
                Flow::Normal => Ok(None),
                Flow::Return(v, at) => match (v, &s.ret) {
                    (Some(Sym::Val(v)), Some(ty)) => {
                        Ok(Some(Sym::Val(eval::cast(&v, ty).map_err(|x| {
                            self.eval_failure(x, at, "a returned value")
                        })?)))
                    }
                    (Some(Sym::Bits { bits, single }), Some(Type::Bit | Type::Bits(_))) => {
                        Ok(Some(Sym::Bits { bits, single }))
                    }
                    (Some(Sym::Bits { .. }), Some(_)) => Err(err(
                        at,
                        FlattenErrorKind::RealTime {
                            what: format!("the value `{}` returns", s.name),
                        },
                    )
                    .into()),
                    (None, None) => Ok(None),
                    _ => {
                        Err(err(at, invalid("a return that does not match the subroutine")).into())
                    }
                },
                Flow::End => Err(Halt::End),
                Flow::Break(at) | Flow::Continue(at) => {
                    Err(err(at, invalid("`break` or `continue` outside a loop")).into())
                }
            }
        })();
        // The caller's view of the callee's variables comes back (recursion, or a later call).
        let mut restore = Ok(());
        for (v, old) in saved.into_iter().rev() {
            if let Err(e) = self.set_slot(v, old, loc) {
                restore = Err(e);
            }
        }
        self.calls -= 1;
        let out = r?;
        restore?;
        Ok(out)
    }

    // ---- loops ------------------------------------------------------------------------------

    /// Loop variables and parameters are bound without the checks that keep a register's
    /// variable equal to its clbits: a register cannot be one.
    fn not_a_register(&self, v: VarId, loc: Loc) -> R<()> {
        match self.p.vars.get(v.0 as usize) {
            Some(var) if var.creg.is_some() => Err(err(
                loc,
                invalid(&format!(
                    "register `{}` bound as a loop variable or parameter",
                    var.name
                )),
            )
            .into()),
            _ => Ok(()),
        }
    }

    /// Refuse a loop whose unrolling cannot fit before running any of it.
    fn precheck(&mut self, count: u128, body: &Block, loc: Loc) -> R<()> {
        if count == 0 || exits_early(body, 0) {
            return Ok(());
        }
        let per = u128::from(min_ops(body, self.circuit.num_qubits));
        let total = count.saturating_mul(per);
        if total > u128::from(self.cap.saturating_sub(self.used)) {
            let ops =
                u64::try_from(total.saturating_add(u128::from(self.used))).unwrap_or(u64::MAX);
            return Err(err(
                loc,
                FlattenErrorKind::TooLarge {
                    ops,
                    limit: self.cap,
                },
            )
            .into());
        }
        if count > u128::from(self.limits.max_steps.saturating_sub(self.steps)) {
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

    /// One iteration: bind the loop variable, run the body. `Some` ends the loop.
    fn iteration(&mut self, var: VarId, item: Slot, body: &Block, loc: Loc) -> R<Option<Flow>> {
        self.step(1, loc)?;
        self.set_slot(var, item, loc)?;
        match self.block(body)? {
            Flow::Normal | Flow::Continue(_) => Ok(None),
            Flow::Break(_) => Ok(Some(Flow::Normal)),
            f => Ok(Some(f)),
        }
    }

    pub(super) fn for_loop(
        &mut self,
        var: VarId,
        iter: &Iteration,
        body: &Block,
        loc: Loc,
    ) -> R<Flow> {
        self.not_a_register(var, loc)?;
        let ty = self.var_type(var, loc)?;
        match iter {
            Iteration::Range { start, step, stop } => {
                let a = self.int(start, loc, "a loop's start")?;
                let s = self.int(step, loc, "a loop's step")?;
                let b = self.int(stop, loc, "a loop's end")?;
                let count = range_count(a, s, b)
                    .ok_or_else(|| err(loc, invalid("a loop with a step of zero")))?;
                self.precheck(count, body, loc)?;
                let mut k: u128 = 0;
                let mut i = a;
                while k < count {
                    let slot = self.slot_of(&ty, Sym::Val(Value::Int(i)), loc)?;
                    if let Some(f) = self.iteration(var, slot, body, loc)? {
                        return Ok(f);
                    }
                    k += 1;
                    match i.checked_add(s) {
                        Some(next) => i = next,
                        None => break,
                    }
                }
            }
            Iteration::Set(es) => {
                self.precheck(es.len() as u128, body, loc)?;
                for e in es {
                    let s = self.sym(e, loc, "a loop value")?;
                    let slot = self.slot_of(&ty, s, loc)?;
                    if let Some(f) = self.iteration(var, slot, body, loc)? {
                        return Ok(f);
                    }
                }
            }
            Iteration::Values(e) => {
                let items: Vec<Sym> = match self.sym(e, loc, "a loop's collection")? {
                    Sym::Bits { bits, .. } => bits
                        .into_iter()
                        .map(|b| Sym::from_bits(vec![b], true))
                        .collect(),
                    Sym::Val(Value::Bits(bits)) => {
                        bits.into_iter().map(|b| Sym::Val(Value::Bit(b))).collect()
                    }
                    Sym::Val(Value::Array { dims, items }) => array_rows(dims, items)
                        .ok_or_else(|| {
                            err(
                                loc,
                                invalid("an array whose shape does not match its items"),
                            )
                        })?
                        .into_iter()
                        .map(Sym::Val)
                        .collect(),
                    _ => {
                        return Err(err(
                            loc,
                            invalid("a loop over a value that is not a collection"),
                        )
                        .into());
                    }
                };
                self.precheck(items.len() as u128, body, loc)?;
                for s in items {
                    let slot = self.slot_of(&ty, s, loc)?;
                    if let Some(f) = self.iteration(var, slot, body, loc)? {
                        return Ok(f);
                    }
                }
            }
        }
        Ok(Flow::Normal)
    }

    pub(super) fn while_loop(&mut self, cond: &ClassicalExpr, body: &Block, loc: Loc) -> R<Flow> {
        loop {
            self.step(1, loc)?;
            if !self.known_truth(cond, loc, "the while loop's condition")? {
                return Ok(Flow::Normal);
            }
            match self.block(body)? {
                Flow::Normal | Flow::Continue(_) => {}
                Flow::Break(_) => return Ok(Flow::Normal),
                f => return Ok(f),
            }
        }
    }
}

/// Rows of an array along its first dimension (its elements when it has one); `None` when
/// its dimensions do not describe its items.
fn array_rows(dims: Vec<u32>, items: Vec<Value>) -> Option<Vec<Value>> {
    let total = dims
        .iter()
        .try_fold(1u64, |acc, d| acc.checked_mul(u64::from(*d)))?;
    if total != items.len() as u64 {
        return None;
    }
    match dims.split_first() {
        None | Some((_, [])) => Some(items),
        Some((&n, rest)) => {
            // n > 0 here: an empty first dimension means no items, hence no rows.
            let row = items.len() / (n.max(1) as usize);
            let mut out = Vec::with_capacity(n as usize);
            let mut it = items.into_iter();
            for _ in 0..n {
                out.push(Value::Array {
                    dims: rest.to_vec(),
                    items: it.by_ref().take(row).collect(),
                });
            }
            Some(out)
        }
    }
}

/// Variables declared in a block (a subroutine's locals), nested blocks included.
fn collect_locals(b: &Block, out: &mut Vec<VarId>, depth: u32) {
    if depth > MAX_NESTING {
        return;
    }
    for s in b {
        match s {
            Stmt::Declare { var, .. } => out.push(*var),
            Stmt::For { var, body, .. } => {
                out.push(*var);
                collect_locals(body, out, depth + 1);
            }
            Stmt::If {
                then_body,
                else_body,
                ..
            } => {
                collect_locals(then_body, out, depth + 1);
                collect_locals(else_body, out, depth + 1);
            }
            Stmt::While { body, .. } | Stmt::Box { body, .. } => {
                collect_locals(body, out, depth + 1)
            }
            Stmt::Switch { cases, default, .. } => {
                for c in cases {
                    collect_locals(&c.body, out, depth + 1);
                }
                if let Some(d) = default {
                    collect_locals(d, out, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// Whether a loop body may leave its loop (or the program) before its last iteration, or call
/// anything that might: then its iteration count says nothing about its size.
fn exits_early(b: &Block, depth: u32) -> bool {
    if depth > MAX_NESTING {
        return true;
    }
    b.iter().any(|s| match s {
        Stmt::Break { .. } | Stmt::Return { .. } | Stmt::End { .. } => true,
        Stmt::If {
            cond,
            then_body,
            else_body,
            ..
        } => {
            contains_call(cond, 0)
                || exits_early(then_body, depth + 1)
                || exits_early(else_body, depth + 1)
        }
        Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Box { body, .. } => {
            exits_early(body, depth + 1)
        }
        Stmt::Switch { cases, default, .. } => {
            cases.iter().any(|c| exits_early(&c.body, depth + 1))
                || default.as_ref().is_some_and(|d| exits_early(d, depth + 1))
        }
        Stmt::Expr { value, .. } => contains_call(value, 0),
        Stmt::Assign { value, .. } => contains_call(value, 0),
        Stmt::Declare { init, .. } => init.as_ref().is_some_and(|e| contains_call(e, 0)),
        _ => false,
    })
}

/// Entries every run of a block adds at the least: its leading operations on plain operands
/// (a whole register or one indexed qubit), up to the first statement that could skip what
/// follows (a branch, a loop, a call, `continue`).
fn min_ops(b: &Block, num_qubits: u32) -> u64 {
    let len = |o: &Operand| -> u64 {
        match (&o.base, &o.index) {
            (QubitBase::Global { len, .. }, None) => u64::from(*len),
            (_, Some(Index::Single(_))) => 1,
            _ => 0,
        }
    };
    let mut total = 0u64;
    for s in b {
        let n = match s {
            Stmt::Gate { qubits, params, .. } => {
                if params.iter().any(|e| contains_call(e, 0)) {
                    break;
                }
                let n = qubits.iter().map(len).max().unwrap_or(0);
                if qubits.iter().any(|o| len(o) == 0) {
                    0
                } else {
                    n.saturating_mul(1 + qubits.len() as u64)
                        .saturating_add(params.len() as u64)
                }
            }
            Stmt::Measure { qubits, .. } | Stmt::Reset { qubits, .. } => len(qubits),
            Stmt::Barrier { qubits, .. } if qubits.is_empty() => u64::from(num_qubits) + 1,
            Stmt::Barrier { .. } | Stmt::Delay { .. } => 1,
            Stmt::Declare { init: None, .. } => 0,
            Stmt::Declare { init: Some(e), .. } | Stmt::Assign { value: e, .. }
                if !contains_call(e, 0) =>
            {
                0
            }
            _ => break,
        };
        total = total.saturating_add(n);
    }
    total
}
