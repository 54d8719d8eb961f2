//! Statistics of a structured program without unrolling it: how many loops, branches,
//! switches, subroutines and calls it has, and per operation how often it is written and how
//! often it runs, loops multiplied by their iteration counts where those are known at compile
//! time. A `for` over 10^12 iterations costs one walk of its body.
//!
//! What `total` counts (an upper bound wherever the program decides at run time):
//! - a loop body runs its iteration count times, assuming every iteration runs to its end
//!   (`break`, `continue` and `end` are not followed); a `while`'s count is unknown;
//! - both sides of an `if` and every case of a `switch` count, as if all of them ran, since a
//!   branch on a measurement (or on a loop variable) has no single answer here;
//! - a subroutine's operations count once per call executed, not where they are written; a
//!   recursive call makes every total unknown; a call on the right of `&&` or `||` counts as
//!   if made.
//!
//! Operations are named as [`crate::stats::op_name`] names them in a flat circuit (the gate
//! table's names, `measure`, `reset`, `barrier`, `delay`), and broadcasts count like there:
//! `h q;` on 5 qubits is 5. `if` blocks count in [`Structure::branches`], not in `ops`, as
//! the flat statistics keep them apart too.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;

use super::eval::{self, EvalError, Host};
use super::expr::{CallArg, ClassicalExpr, Index};
use super::expr::{Operand, QubitBase};
use super::flatten_env::{range_count, to_int};
use super::ids::{Loc, SubId, VarId};
use super::stmt::{Block, Iteration, Program, Stmt, SubParam};
use super::value::Value;
use crate::circuit::GateId;

/// Deepest nesting of blocks and calls the walk follows.
pub const MAX_DEPTH: u32 = 256;

/// How often an operation appears.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct OpCount {
    /// Occurrences in the text, each loop body and subroutine once, broadcasts expanded (a
    /// broadcast whose length depends on a loop variable counts 1).
    pub written: u64,
    /// Executions (see the module's notes); `None` when a count it depends on is not known at
    /// compile time.
    pub total: Option<u128>,
}

/// Which kind of loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopKind {
    For,
    While,
}

/// One loop as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopStats {
    pub loc: Loc,
    pub kind: LoopKind,
    /// Loops around it (0 for an outermost one), within its subroutine or the main program.
    pub depth: u32,
    /// The subroutine it is written in, if any (its counts are then per call).
    pub subroutine: Option<String>,
    /// Iterations per run of the loop, when known at compile time.
    pub iterations: Option<u128>,
    /// Operations one iteration runs, by name; loops inside it multiplied.
    pub per_iteration: BTreeMap<String, Option<u128>>,
}

/// The structure of a program.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Structure {
    /// `for` loops written.
    pub loops: u64,
    /// `while` loops written.
    pub while_loops: u64,
    /// `if` statements written.
    pub branches: u64,
    /// `switch` statements written.
    pub switches: u64,
    /// Subroutines defined.
    pub subroutines: u64,
    /// Subroutine call sites written.
    pub calls: u64,
    /// Every loop, in the order written (the main program first, then each subroutine).
    pub per_iteration: Vec<LoopStats>,
    /// Operations by name.
    pub ops: BTreeMap<String, OpCount>,
    /// Where the program nests deeper than [`MAX_DEPTH`]: what is below is not counted, and
    /// totals are unknown.
    pub too_deep: Option<Loc>,
}

/// The structure of `p`.
pub fn structure(p: &Program) -> Structure {
    let mut w = Walker {
        p,
        s: Structure {
            subroutines: p.subroutines.len() as u64,
            ..Structure::default()
        },
        known: FxHashMap::default(),
        assigned: BTreeSet::new(),
        memo: vec![None; p.subroutines.len()],
        active: Vec::new(),
        written: FxHashMap::default(),
    };
    assigned(&p.body, &mut w.assigned, 0);
    for s in &p.subroutines {
        assigned(&s.body, &mut w.assigned, 0);
    }
    let main = w.block(
        &p.body,
        &Ctx {
            write: true,
            sub: None,
            loops: 0,
            depth: 0,
        },
    );
    for (i, s) in p.subroutines.iter().enumerate() {
        let ctx = Ctx {
            write: true,
            sub: Some(SubId(i as u32)),
            loops: 0,
            depth: 1,
        };
        w.block(&s.body, &ctx);
    }
    let mut keys: BTreeSet<Key> = w.written.keys().copied().collect();
    keys.extend(main.map.keys().copied());
    let mut ops = BTreeMap::new();
    for k in keys {
        let total = if main.open {
            None
        } else {
            main.map.get(&k).copied().unwrap_or(Some(0))
        };
        let written = w.written.get(&k).copied().unwrap_or(0);
        // Two keys may share a name (a user gate called like a library one): they add up.
        let e = ops.entry(w.name(k)).or_insert(OpCount {
            written: 0,
            total: Some(0),
        });
        e.written = e.written.saturating_add(written);
        e.total = add(e.total, total);
    }
    w.s.ops = ops;
    w.s
}

/// An operation kind, cheap to key by while walking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key {
    Gate(GateId),
    Measure,
    Reset,
    Barrier,
    Delay,
}

/// Executions of each operation per run of a block; `open` when some unknown operations may
/// run too (a recursive call), which makes every total unknown.
#[derive(Clone, Debug, Default, PartialEq)]
struct Counts {
    map: BTreeMap<Key, Option<u128>>,
    open: bool,
}

fn add(a: Option<u128>, b: Option<u128>) -> Option<u128> {
    Some(a?.saturating_add(b?))
}

/// `n` runs of something counted `per`: known zero runs make it zero whatever `per` is.
fn mul(n: Option<u128>, per: Option<u128>) -> Option<u128> {
    match (n, per) {
        (Some(0), _) | (_, Some(0)) => Some(0),
        (Some(a), Some(b)) => Some(a.saturating_mul(b)),
        _ => None,
    }
}

impl Counts {
    fn add(&mut self, k: Key, n: Option<u128>) {
        let e = self.map.entry(k).or_insert(Some(0));
        *e = add(*e, n);
    }

    fn extend(&mut self, other: Counts) {
        self.open |= other.open;
        for (k, n) in other.map {
            self.add(k, n);
        }
    }

    fn times(self, n: Option<u128>) -> Counts {
        Counts {
            open: self.open && n != Some(0),
            map: self.map.into_iter().map(|(k, c)| (k, mul(n, c))).collect(),
        }
    }
}

/// Where the walk is.
#[derive(Clone, Copy)]
struct Ctx {
    /// Whether this walk records what is written (each text once).
    write: bool,
    sub: Option<SubId>,
    loops: u32,
    depth: u32,
}

struct Walker<'p> {
    p: &'p Program,
    s: Structure,
    /// Values of variables that never change after their declaration, where known.
    known: FxHashMap<VarId, Value>,
    /// Variables assigned anywhere (their declared values say nothing later).
    assigned: BTreeSet<VarId>,
    /// Counts of one call of each subroutine.
    memo: Vec<Option<Counts>>,
    active: Vec<SubId>,
    written: FxHashMap<Key, u64>,
}

impl Host for Walker<'_> {
    fn var(&self, v: VarId) -> Result<Value, EvalError> {
        self.known.get(&v).cloned().ok_or(EvalError::unknown(v))
    }

    fn call(&mut self, _: SubId, _: &[CallArg], _: Loc) -> Result<Value, EvalError> {
        // A call's value is a run-time matter here: whatever needs it stays unknown.
        Err(EvalError::new(eval::EvalErrorKind::Pending))
    }

    fn extern_call(&mut self, _: u32, _: &[Value], _: Loc) -> Result<Value, EvalError> {
        Err(EvalError::new(eval::EvalErrorKind::Pending))
    }
}

impl Walker<'_> {
    fn name(&self, k: Key) -> String {
        match k {
            Key::Gate(g) => self
                .p
                .circuit
                .gates
                .get(g.0 as usize)
                .map_or_else(|| format!("gate #{}", g.0), |e| e.name.clone()),
            Key::Measure => "measure".into(),
            Key::Reset => "reset".into(),
            Key::Barrier => "barrier".into(),
            Key::Delay => "delay".into(),
        }
    }

    fn int(&mut self, e: &ClassicalExpr) -> Option<i128> {
        to_int(&eval::eval(e, self).ok()?)
    }

    /// Qubits an operand names, when known here.
    fn operand_len(&mut self, o: &Operand, ctx: &Ctx) -> Option<u64> {
        let base = match o.base {
            QubitBase::Global { len, .. } => u64::from(len),
            QubitBase::Param(k) => {
                let sub = self.p.subroutines.get(ctx.sub?.0 as usize)?;
                let size = sub
                    .params
                    .iter()
                    .filter_map(|p| match p {
                        SubParam::Qubits { size, .. } => Some(*size),
                        SubParam::Classical(_) => None,
                    })
                    .nth(k as usize)?;
                u64::from(size.unwrap_or(1))
            }
        };
        match &o.index {
            None => Some(base),
            Some(Index::Single(_)) => Some(1),
            Some(Index::Set(xs)) => Some(xs.len() as u64),
            Some(Index::Range { start, step, stop }) => {
                let mut get = |x: &Option<ClassicalExpr>| match x {
                    None => Some(None),
                    Some(e) => self.int(e).map(Some),
                };
                let (a, s, b) = (get(start)?, get(step)?, get(stop)?);
                super::flatten_env::range(a, s, b, base)
                    .ok()
                    .map(|(_, _, n)| n)
            }
        }
    }

    /// Record `n` (when known) occurrences of `k`.
    fn op(&mut self, k: Key, n: Option<u64>, ctx: &Ctx, c: &mut Counts) {
        if ctx.write {
            let e = self.written.entry(k).or_insert(0);
            *e = e.saturating_add(n.unwrap_or(1));
        }
        c.add(k, n.map(u128::from));
    }

    fn block(&mut self, b: &Block, ctx: &Ctx) -> Counts {
        let mut c = Counts::default();
        if ctx.depth >= MAX_DEPTH {
            if let Some(s) = b.first() {
                self.s.too_deep.get_or_insert(super::flatten::stmt_loc(s));
            }
            c.open = true;
            return c;
        }
        let inner = Ctx {
            depth: ctx.depth + 1,
            ..*ctx
        };
        for s in b {
            self.stmt(s, &inner, &mut c);
        }
        c
    }

    /// Calls in an operand's index.
    fn operand_calls(&mut self, o: &Operand, ctx: &Ctx, c: &mut Counts) {
        if let Some(i) = &o.index {
            self.index_calls(i, ctx, c, 0);
        }
    }

    /// Calls in an index's expressions.
    fn index_calls(&mut self, i: &Index, ctx: &Ctx, c: &mut Counts, depth: u32) {
        match i {
            Index::Single(x) => self.expr(x, ctx, c, depth),
            Index::Range { start, step, stop } => {
                for x in [start, step, stop].into_iter().flatten() {
                    self.expr(x, ctx, c, depth);
                }
            }
            Index::Set(xs) => xs.iter().for_each(|x| self.expr(x, ctx, c, depth)),
        }
    }

    fn stmt(&mut self, s: &Stmt, ctx: &Ctx, c: &mut Counts) {
        match s {
            Stmt::Gate { qubits, .. }
            | Stmt::Barrier { qubits, .. }
            | Stmt::Delay { qubits, .. } => {
                for o in qubits {
                    self.operand_calls(o, ctx, c);
                }
            }
            Stmt::Measure { qubits, .. } | Stmt::Reset { qubits, .. } => {
                self.operand_calls(qubits, ctx, c);
            }
            _ => {}
        }
        match s {
            Stmt::Gate {
                gate,
                params,
                qubits,
                ..
            } => {
                for e in params {
                    self.expr(e, ctx, c, 0);
                }
                // Single qubits repeat; registers and slices set the broadcast's length.
                let mut n = Some(1);
                for o in qubits {
                    if matches!(o.index, Some(Index::Single(_))) {
                        continue;
                    }
                    match self.operand_len(o, ctx) {
                        Some(1) if o.index.is_none() => {}
                        Some(len) => n = n.map(|_| len),
                        None => n = None,
                    }
                }
                self.op(Key::Gate(*gate), n, ctx, c);
            }
            Stmt::Measure { qubits, .. } => {
                let n = self.operand_len(qubits, ctx);
                self.op(Key::Measure, n, ctx, c);
            }
            Stmt::Reset { qubits, .. } => {
                let n = self.operand_len(qubits, ctx);
                self.op(Key::Reset, n, ctx, c);
            }
            Stmt::Barrier { .. } => self.op(Key::Barrier, Some(1), ctx, c),
            Stmt::Delay {
                duration, qubits, ..
            } => {
                self.expr(duration, ctx, c, 0);
                let n = if qubits.is_empty() {
                    Some(u64::from(self.p.circuit.num_qubits))
                } else {
                    qubits.iter().try_fold(0u64, |acc, o| {
                        Some(acc.saturating_add(self.operand_len(o, ctx)?))
                    })
                };
                self.op(Key::Delay, n, ctx, c);
            }
            Stmt::Declare { var, init, .. } => {
                if let Some(e) = init {
                    self.expr(e, ctx, c, 0);
                    if !self.assigned.contains(var)
                        && let Ok(v) = eval::eval(e, self)
                    {
                        self.known.insert(*var, v);
                    }
                }
            }
            Stmt::Assign { value, .. } | Stmt::Expr { value, .. } => self.expr(value, ctx, c, 0),
            Stmt::Return { value, .. } => {
                if let Some(e) = value {
                    self.expr(e, ctx, c, 0);
                }
            }
            Stmt::If {
                cond,
                then_body,
                else_body,
                ..
            } => {
                if ctx.write {
                    self.s.branches += 1;
                }
                self.expr(cond, ctx, c, 0);
                let t = self.block(then_body, ctx);
                let e = self.block(else_body, ctx);
                c.extend(t);
                c.extend(e);
            }
            Stmt::For {
                iter, body, loc, ..
            } => {
                if ctx.write {
                    self.s.loops += 1;
                }
                // Calls in what the loop runs over run once, before it.
                match iter {
                    Iteration::Range { start, step, stop } => {
                        for e in [start, step, stop] {
                            self.expr(e, ctx, c, 0);
                        }
                    }
                    Iteration::Set(xs) => xs.iter().for_each(|e| self.expr(e, ctx, c, 0)),
                    Iteration::Values(e) => self.expr(e, ctx, c, 0),
                }
                let iterations = match iter {
                    Iteration::Range { start, step, stop } => {
                        match (self.int(start), self.int(step), self.int(stop)) {
                            (Some(a), Some(s), Some(b)) => range_count(a, s, b),
                            _ => None,
                        }
                    }
                    Iteration::Set(xs) => Some(xs.len() as u128),
                    Iteration::Values(e) => match eval::eval(e, self) {
                        Ok(Value::Array { dims, .. }) => dims.first().map(|d| u128::from(*d)),
                        Ok(Value::Bits(b)) => Some(b.len() as u128),
                        _ => None,
                    },
                };
                self.looped(LoopKind::For, iterations, body, *loc, ctx, c);
            }
            Stmt::While { cond, body, loc } => {
                if ctx.write {
                    self.s.while_loops += 1;
                }
                self.expr(cond, ctx, c, 0);
                self.looped(LoopKind::While, None, body, *loc, ctx, c);
            }
            Stmt::Switch {
                target,
                cases,
                default,
                ..
            } => {
                if ctx.write {
                    self.s.switches += 1;
                }
                self.expr(target, ctx, c, 0);
                for case in cases {
                    let b = self.block(&case.body, ctx);
                    c.extend(b);
                }
                if let Some(d) = default {
                    let b = self.block(d, ctx);
                    c.extend(b);
                }
            }
            Stmt::Box { body, .. } => {
                let b = self.block(body, ctx);
                c.extend(b);
            }
            Stmt::Break { .. } | Stmt::Continue { .. } | Stmt::End { .. } => {}
        }
    }

    fn looped(
        &mut self,
        kind: LoopKind,
        iterations: Option<u128>,
        body: &Block,
        loc: Loc,
        ctx: &Ctx,
        c: &mut Counts,
    ) {
        let inner = Ctx {
            loops: ctx.loops + 1,
            ..*ctx
        };
        // The record comes first, so that loops are listed outermost first.
        let slot = ctx.write.then(|| {
            self.s.per_iteration.push(LoopStats {
                loc,
                kind,
                depth: ctx.loops,
                subroutine: ctx
                    .sub
                    .and_then(|s| self.p.subroutines.get(s.0 as usize))
                    .map(|s| s.name.clone()),
                iterations,
                per_iteration: BTreeMap::new(),
            });
            self.s.per_iteration.len() - 1
        });
        let per = self.block(body, &inner);
        if let Some(i) = slot {
            let names: BTreeMap<String, Option<u128>> = per
                .map
                .iter()
                .map(|(k, n)| (self.name(*k), if per.open { None } else { *n }))
                .collect();
            if let Some(l) = self.s.per_iteration.get_mut(i) {
                l.per_iteration = names;
            }
        }
        c.extend(per.times(iterations));
    }

    /// Calls inside an expression: each runs its subroutine once.
    fn expr(&mut self, e: &ClassicalExpr, ctx: &Ctx, c: &mut Counts, depth: u32) {
        if depth > MAX_DEPTH {
            c.open = true;
            return;
        }
        let d = depth + 1;
        match e {
            ClassicalExpr::Const(_) | ClassicalExpr::Var(_) => {}
            ClassicalExpr::Index(b, idx) => {
                self.expr(b, ctx, c, d);
                for i in idx {
                    self.index_calls(i, ctx, c, d);
                }
            }
            ClassicalExpr::Unary(_, x) | ClassicalExpr::Cast(_, x) => self.expr(x, ctx, c, d),
            ClassicalExpr::Binary(_, a, b) => {
                self.expr(a, ctx, c, d);
                self.expr(b, ctx, c, d);
            }
            ClassicalExpr::Builtin(_, xs) | ClassicalExpr::Extern(_, xs, _) => {
                xs.iter().for_each(|x| self.expr(x, ctx, c, d));
            }
            ClassicalExpr::Call(sub, args, _) => {
                for a in args {
                    if let CallArg::Classical(x) = a {
                        self.expr(x, ctx, c, d);
                    }
                }
                if ctx.write {
                    self.s.calls += 1;
                }
                let per_call = self.sub_counts(*sub, ctx.depth + depth);
                c.extend(per_call);
            }
        }
    }

    /// Executions of one call of `sub` (memoised; a recursive call is unknown).
    fn sub_counts(&mut self, sub: SubId, depth: u32) -> Counts {
        if let Some(Some(c)) = self.memo.get(sub.0 as usize) {
            return c.clone();
        }
        let Some(s) = self.p.subroutines.get(sub.0 as usize) else {
            return Counts::default();
        };
        if self.active.contains(&sub) || depth >= MAX_DEPTH {
            return Counts {
                map: BTreeMap::new(),
                open: true,
            };
        }
        self.active.push(sub);
        let ctx = Ctx {
            write: false,
            sub: Some(sub),
            loops: 0,
            depth: depth + 1,
        };
        let c = self.block(&s.body, &ctx);
        self.active.pop();
        // A count made while a caller was active may have cut a cycle short: keep it only
        // when nothing was open.
        if !c.open
            && let Some(m) = self.memo.get_mut(sub.0 as usize)
        {
            *m = Some(c.clone());
        }
        c
    }
}

/// Variables written after their declaration anywhere in `b`.
fn assigned(b: &Block, out: &mut BTreeSet<VarId>, depth: u32) {
    if depth > MAX_DEPTH {
        return;
    }
    for s in b {
        match s {
            Stmt::Assign { target, .. } => {
                out.insert(target.var);
            }
            Stmt::Measure {
                target: Some(t), ..
            } => {
                out.insert(t.var);
            }
            Stmt::For { var, body, .. } => {
                out.insert(*var);
                assigned(body, out, depth + 1);
            }
            Stmt::If {
                then_body,
                else_body,
                ..
            } => {
                assigned(then_body, out, depth + 1);
                assigned(else_body, out, depth + 1);
            }
            Stmt::While { body, .. } | Stmt::Box { body, .. } => assigned(body, out, depth + 1),
            Stmt::Switch { cases, default, .. } => {
                for c in cases {
                    assigned(&c.body, out, depth + 1);
                }
                if let Some(d) = default {
                    assigned(d, out, depth + 1);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
#[path = "stats_tests.rs"]
mod tests;
