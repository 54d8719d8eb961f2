//! Cutting a program's statements at the loops that can be kept: counted `for` loops whose
//! iterations differ at most by a shift of the classical bits they write and read (a
//! `clbit_stride`), and `while` loops on measured register bits. A kept loop's body is cut the
//! same way, to [`MAX_KEPT_DEPTH`] levels; deeper loops are flattened.

use eqisa_ir::circuit::{CondExpr, Wide};
use eqisa_ir::program::expr::{BinaryOp, ClassicalExpr, Index, Operand, UnaryOp};
use eqisa_ir::program::flatten_cond::{boolish, cond_op};
use eqisa_ir::program::ids::VarId;
use eqisa_ir::program::stmt::{Iteration, LValue, Program, Stmt, VarKind};
use eqisa_ir::program::types::Type;
use eqisa_ir::program::value::Value;
use eqisa_ir::program::visit::{calls, visit_expr, visit_stmt};

/// Deepest nesting of kept loops; a loop deeper than this is flattened inside its parent's
/// body (the flatten pass has its own, larger, nesting bound).
pub const MAX_KEPT_DEPTH: u32 = 64;

/// Deepest expression or statement nesting the syntactic checks follow; anything deeper is
/// simply not kept.
const MAX_WALK_DEPTH: u32 = 256;

/// A run of statements: straight ones, a kept counted loop, or a kept real-time `while`.
#[derive(Debug)]
pub enum Segment<'p> {
    Straight(Vec<&'p Stmt>),
    Repeat {
        /// The `for` statement (to refuse it on a second attempt).
        stmt: &'p Stmt,
        var: VarId,
        /// The loop variable's first value: the body is lowered for it.
        start: &'p ClassicalExpr,
        count: u64,
        clbit_stride: u64,
        body: Vec<Segment<'p>>,
    },
    While {
        cond: CondExpr,
        body: Vec<Segment<'p>>,
    },
}

/// What the splitter reads, and the loops an earlier attempt refused.
pub struct Splitter<'p> {
    pub p: &'p Program,
    /// `for` statements not to keep (by address): their clbits left a register.
    pub refused: Vec<*const Stmt>,
}

impl<'p> Splitter<'p> {
    /// The top level cut at the loops that can be kept, or `None` when there is none or when a
    /// statement both computes classical values and acts on qubits.
    pub fn top(&self) -> Option<Vec<Segment<'p>>> {
        let mut segments = Vec::new();
        let mut straight: Vec<&Stmt> = Vec::new();
        let mut kept = false;
        for s in &self.p.body {
            if let Some(seg) = self.keepable(s, &[], 0) {
                if !straight.is_empty() {
                    segments.push(Segment::Straight(std::mem::take(&mut straight)));
                }
                segments.push(seg);
                kept = true;
            } else if is_classical_only(s) || is_quantum_only(self.p, s, &[], 0) {
                straight.push(s);
            } else {
                return None;
            }
        }
        if !straight.is_empty() {
            segments.push(Segment::Straight(straight));
        }
        kept.then_some(segments)
    }

    /// A kept body (all its statements act on qubits only) cut at its own kept loops; `None`
    /// when a `while` would be left inside a straight run, where flatten cannot hold it.
    fn body(&self, b: &'p [Stmt], env: &[(VarId, i128)], depth: u32) -> Option<Vec<Segment<'p>>> {
        let mut segments = Vec::new();
        let mut straight: Vec<&Stmt> = Vec::new();
        for s in b {
            if let Some(seg) = self.keepable(s, env, depth) {
                if !straight.is_empty() {
                    segments.push(Segment::Straight(std::mem::take(&mut straight)));
                }
                segments.push(seg);
            } else if has_while(s, 0) {
                return None;
            } else {
                straight.push(s);
            }
        }
        if !straight.is_empty() {
            segments.push(Segment::Straight(straight));
        }
        Some(segments)
    }

    /// `s` as a kept loop, when it is one. `env` holds the enclosing kept loops' variables at
    /// their first values.
    fn keepable(&self, s: &'p Stmt, env: &[(VarId, i128)], depth: u32) -> Option<Segment<'p>> {
        if depth >= MAX_KEPT_DEPTH {
            return None;
        }
        match s {
            Stmt::For { .. } => self.keepable_for(s, env, depth),
            Stmt::While { cond, body, .. } => {
                let locals = declared(body);
                if !body
                    .iter()
                    .all(|st| is_quantum_only(self.p, st, &locals, 0))
                {
                    return None;
                }
                let cond = cond_expr(self.p, cond, env, 0)?;
                let body = self.body(body, env, depth + 1)?;
                Some(Segment::While { cond, body })
            }
            _ => None,
        }
    }

    /// A `for` over a range or set known at compile time whose body acts on qubits only
    /// (writing nothing but measured bits), never leaves early, and reads its variable only in
    /// the indices of classical bits, all of which move by one amount per iteration.
    fn keepable_for(&self, s: &'p Stmt, env: &[(VarId, i128)], depth: u32) -> Option<Segment<'p>> {
        let Stmt::For {
            var, iter, body, ..
        } = s
        else {
            return None;
        };
        if self.refused.contains(&(s as *const Stmt)) {
            return None;
        }
        let (count, start, step) = match iter {
            Iteration::Range { start, step, stop } => {
                let (a, st, b) = (constant(start)?, constant(step)?, constant(stop)?);
                if st == 0 {
                    return None;
                }
                let span = if st > 0 { b - a } else { a - b };
                let count = if span < 0 {
                    0
                } else {
                    u64::try_from(span / st.abs() + 1).ok()?
                };
                (count, start, st)
            }
            // A set's values need not be evenly spaced: only alike iterations are kept.
            Iteration::Set(items) => (items.len() as u64, items.first()?, 0),
            Iteration::Values(_) => return None,
        };
        let first = constant(start)?;
        let mut locals = declared(body);
        locals.push(*var);
        if !body
            .iter()
            .all(|st| is_quantum_only(self.p, st, &locals, 0))
        {
            return None;
        }
        let mut refs = Vec::new();
        for st in body {
            stmt_refs(self.p, st, *var, &mut refs, 0)?;
        }
        let coef = match refs.split_first() {
            None => 0,
            Some((c, rest)) => {
                if rest.iter().any(|x| x != c) {
                    return None;
                }
                *c
            }
        };
        if coef != 0 && step == 0 {
            return None;
        }
        let clbit_stride = u64::try_from(coef.checked_mul(step)?).ok()?;
        let mut inner = env.to_vec();
        inner.push((*var, first));
        let body = self.body(body, &inner, depth + 1)?;
        Some(Segment::Repeat {
            stmt: s,
            var: *var,
            start,
            count,
            clbit_stride,
            body,
        })
    }
}

/// An integer known at compile time.
pub fn constant(e: &ClassicalExpr) -> Option<i128> {
    match e {
        ClassicalExpr::Const(Value::Int(v)) => Some(*v),
        ClassicalExpr::Const(Value::Uint(v)) => i128::try_from(*v).ok(),
        _ => None,
    }
}

/// Variables declared directly in `body` (local to one iteration).
fn declared(body: &[Stmt]) -> Vec<VarId> {
    body.iter()
        .filter_map(|s| match s {
            Stmt::Declare { var, .. } => Some(*var),
            _ => None,
        })
        .collect()
}

/// Whether a `while` is anywhere inside `s`.
fn has_while(s: &Stmt, depth: u32) -> bool {
    if depth > MAX_WALK_DEPTH {
        return true;
    }
    let any = |b: &[Stmt]| b.iter().any(|st| has_while(st, depth + 1));
    match s {
        Stmt::While { .. } => true,
        Stmt::If {
            then_body,
            else_body,
            ..
        } => any(then_body) || any(else_body),
        Stmt::For { body, .. } | Stmt::Box { body, .. } => any(body),
        Stmt::Switch { cases, default, .. } => {
            cases.iter().any(|c| any(&c.body)) || default.as_deref().is_some_and(any)
        }
        _ => false,
    }
}

/// Whether `s` only computes classical values: no operation on qubits, no call.
pub fn is_classical_only(s: &Stmt) -> bool {
    match s {
        Stmt::Declare { init, .. } => init.as_ref().is_none_or(|e| !calls(e)),
        Stmt::Assign { value, .. } => !calls(value),
        Stmt::If {
            cond,
            then_body,
            else_body,
            ..
        } => !calls(cond) && then_body.iter().chain(else_body).all(is_classical_only),
        Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Box { body, .. } => {
            body.iter().all(is_classical_only)
        }
        Stmt::Switch {
            target,
            cases,
            default,
            ..
        } => {
            !calls(target)
                && cases
                    .iter()
                    .flat_map(|c| &c.body)
                    .chain(default.iter().flatten())
                    .all(is_classical_only)
        }
        _ => false,
    }
}

/// Whether `s` acts on qubits and writes no classical value but measured bits of registers (or
/// of `locals`): running it twice reads the same classical values. A `while` counts when its
/// condition calls nothing (whether it is kept is decided where it stands).
fn is_quantum_only(p: &Program, s: &Stmt, locals: &[VarId], depth: u32) -> bool {
    if depth > MAX_WALK_DEPTH {
        return false;
    }
    let writable = |v: VarId| {
        locals.contains(&v)
            || p.vars
                .get(v.0 as usize)
                .is_some_and(|var| var.creg.is_some() && var.kind == VarKind::Mutable)
    };
    let all =
        |b: &[Stmt], locals: &[VarId]| b.iter().all(|st| is_quantum_only(p, st, locals, depth + 1));
    match s {
        Stmt::Gate { .. } | Stmt::Reset { .. } | Stmt::Barrier { .. } | Stmt::Delay { .. } => true,
        Stmt::Measure { target, .. } => target.as_ref().is_none_or(|t| writable(t.var)),
        Stmt::Assign {
            target,
            op: None,
            value: ClassicalExpr::Call(..),
            ..
        } => writable(target.var),
        Stmt::Expr {
            value: ClassicalExpr::Call(..),
            ..
        } => true,
        Stmt::Declare { var, .. } => locals.contains(var),
        Stmt::If {
            then_body,
            else_body,
            ..
        } => all(then_body, locals) && all(else_body, locals),
        Stmt::Box { body, .. } => all(body, locals),
        Stmt::Switch { cases, default, .. } => {
            cases.iter().all(|c| all(&c.body, locals))
                && default.as_deref().is_none_or(|b| all(b, locals))
        }
        // A loop's variable and its body's declarations are its own.
        Stmt::For { var, body, .. } => {
            let mut inner = locals.to_vec();
            inner.push(*var);
            inner.extend(declared(body));
            all(body, &inner)
        }
        Stmt::While { cond, body, .. } => {
            let mut inner = locals.to_vec();
            inner.extend(declared(body));
            !calls(cond) && all(body, &inner)
        }
        _ => false,
    }
}

/// Whether `e` reads `v`.
fn mentions(e: &ClassicalExpr, v: VarId) -> bool {
    let mut found = false;
    visit_expr(e, &mut |e| {
        found |= matches!(e, ClassicalExpr::Var(x) if *x == v)
    });
    found
}

/// Whether an operand's index reads `v`.
fn operand_mentions(o: &Operand, v: VarId) -> bool {
    o.index.as_ref().is_some_and(|i| index_mentions(i, v))
}

fn index_mentions(i: &Index, v: VarId) -> bool {
    match i {
        Index::Single(e) => mentions(e, v),
        Index::Range { start, step, stop } => [start, step, stop]
            .into_iter()
            .flatten()
            .any(|e| mentions(e, v)),
        Index::Set(items) => items.iter().any(|e| mentions(e, v)),
    }
}

/// Whether any expression of `s` itself (not of the blocks inside it) reads `v`.
fn stmt_mentions(s: &Stmt, v: VarId) -> bool {
    let mut found = false;
    let mut expr = |e: &ClassicalExpr| found |= mentions(e, v);
    visit_stmt(s, &mut expr);
    found
}

/// Whether `ty` is a bit or bits.
fn is_bit_type(p: &Program, x: VarId) -> bool {
    p.vars
        .get(x.0 as usize)
        .is_some_and(|var| matches!(var.ty, Type::Bit | Type::Bits(_)))
}

fn is_register(p: &Program, x: VarId) -> bool {
    p.vars
        .get(x.0 as usize)
        .is_some_and(|var| var.creg.is_some())
}

/// The coefficient of `v` in every classical-bit reference of `s` (measurement targets, bits
/// read by conditions), pushed on `out`; `None` when `v` is read anywhere else or an index
/// reading it is not affine.
fn stmt_refs(p: &Program, s: &Stmt, v: VarId, out: &mut Vec<i128>, depth: u32) -> Option<()> {
    if depth > MAX_WALK_DEPTH {
        return None;
    }
    let block = |b: &[Stmt], out: &mut Vec<i128>| -> Option<()> {
        b.iter()
            .try_for_each(|st| stmt_refs(p, st, v, out, depth + 1))
    };
    match s {
        Stmt::Measure { qubits, target, .. } => {
            if operand_mentions(qubits, v) {
                return None;
            }
            target_ref(p, target.as_ref(), v, out)
        }
        Stmt::Assign {
            target,
            op: None,
            value: ClassicalExpr::Call(_, args, _),
            ..
        } => {
            if args.iter().any(|a| arg_mentions(a, v)) {
                return None;
            }
            target_ref(p, Some(target), v, out)
        }
        Stmt::Expr {
            value: ClassicalExpr::Call(_, args, _),
            ..
        } => {
            if args.iter().any(|a| arg_mentions(a, v)) {
                return None;
            }
            // What it measures goes to bits that do not move.
            out.push(0);
            Some(())
        }
        Stmt::If {
            cond,
            then_body,
            else_body,
            ..
        } => {
            cond_refs(p, cond, v, out, 0)?;
            block(then_body, out)?;
            block(else_body, out)
        }
        Stmt::While { cond, body, .. } => {
            cond_refs(p, cond, v, out, 0)?;
            block(body, out)
        }
        Stmt::For { iter, body, .. } => {
            let iter_mentions = match iter {
                Iteration::Range { start, step, stop } => {
                    mentions(start, v) || mentions(step, v) || mentions(stop, v)
                }
                Iteration::Set(items) => items.iter().any(|e| mentions(e, v)),
                Iteration::Values(e) => mentions(e, v),
            };
            if iter_mentions {
                return None;
            }
            block(body, out)
        }
        Stmt::Box { duration, body, .. } => {
            if duration.as_ref().is_some_and(|d| mentions(d, v)) {
                return None;
            }
            block(body, out)
        }
        Stmt::Switch {
            target,
            cases,
            default,
            ..
        } => {
            cond_refs(p, target, v, out, 0)?;
            for c in cases {
                if c.values.iter().any(|e| mentions(e, v)) {
                    return None;
                }
                block(&c.body, out)?;
            }
            match default {
                Some(b) => block(b, out),
                None => Some(()),
            }
        }
        Stmt::Declare { init, .. } => {
            if init
                .as_ref()
                .is_some_and(|e| matches!(e, ClassicalExpr::Call(..)))
            {
                out.push(0);
            }
            (!stmt_mentions(s, v)).then_some(())
        }
        _ => (!stmt_mentions(s, v)).then_some(()),
    }
}

fn arg_mentions(a: &eqisa_ir::program::expr::CallArg, v: VarId) -> bool {
    match a {
        eqisa_ir::program::expr::CallArg::Classical(e) => mentions(e, v),
        eqisa_ir::program::expr::CallArg::Qubits(o) => operand_mentions(o, v),
    }
}

/// The reference a measurement target makes: `rec[a + s*v]` moves by `s`, anything else not
/// at all.
fn target_ref(p: &Program, target: Option<&LValue>, v: VarId, out: &mut Vec<i128>) -> Option<()> {
    let Some(lv) = target else {
        out.push(0);
        return Some(());
    };
    match lv.index.as_slice() {
        [Index::Single(e)] if is_register(p, lv.var) => out.push(affine(p, e, 0)?.coef(v)),
        idx => {
            if idx.iter().any(|i| index_mentions(i, v)) {
                return None;
            }
            out.push(0);
        }
    }
    Some(())
}

/// The bit references of a condition: `rec[a + s*v]` moves by `s`; a bit variable read whole
/// does not move; `v` read anywhere else refuses.
fn cond_refs(
    p: &Program,
    e: &ClassicalExpr,
    v: VarId,
    out: &mut Vec<i128>,
    depth: u32,
) -> Option<()> {
    if depth > MAX_WALK_DEPTH {
        return None;
    }
    let go = |e: &ClassicalExpr, out: &mut Vec<i128>| cond_refs(p, e, v, out, depth + 1);
    match e {
        ClassicalExpr::Const(_) => Some(()),
        ClassicalExpr::Var(x) => {
            if *x == v {
                return None;
            }
            if is_bit_type(p, *x) {
                out.push(0);
            }
            Some(())
        }
        ClassicalExpr::Index(base, idx) => match (base.as_ref(), idx.as_slice()) {
            (ClassicalExpr::Var(x), [Index::Single(i)]) if is_register(p, *x) => {
                out.push(affine(p, i, 0)?.coef(v));
                Some(())
            }
            _ => {
                if idx.iter().any(|i| index_mentions(i, v)) {
                    return None;
                }
                go(base, out)
            }
        },
        ClassicalExpr::Unary(_, a) | ClassicalExpr::Cast(_, a) => go(a, out),
        ClassicalExpr::Binary(_, a, b) => {
            go(a, out)?;
            go(b, out)
        }
        ClassicalExpr::Builtin(_, args) | ClassicalExpr::Extern(_, args, _) => {
            args.iter().try_for_each(|a| go(a, out))
        }
        ClassicalExpr::Call(_, args, _) => (!args.iter().any(|a| arg_mentions(a, v))).then_some(()),
    }
}

/// An affine integer expression over loop variables: a constant plus a coefficient per
/// variable.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Affine {
    pub constant: i128,
    pub terms: Vec<(VarId, i128)>,
}

impl Affine {
    /// The coefficient of `v`.
    pub fn coef(&self, v: VarId) -> i128 {
        self.terms
            .iter()
            .filter(|(x, _)| *x == v)
            .map(|(_, c)| *c)
            .sum()
    }

    fn add(mut self, other: Affine, sign: i128) -> Option<Affine> {
        self.constant = self
            .constant
            .checked_add(other.constant.checked_mul(sign)?)?;
        for (x, c) in other.terms {
            self.terms.push((x, c.checked_mul(sign)?));
        }
        Some(self)
    }

    fn scale(mut self, k: i128) -> Option<Affine> {
        self.constant = self.constant.checked_mul(k)?;
        for t in &mut self.terms {
            t.1 = t.1.checked_mul(k)?;
        }
        Some(self)
    }

    /// The value with the variables of `env` bound; `None` when another variable remains.
    pub fn at(&self, env: &[(VarId, i128)]) -> Option<i128> {
        let mut v = self.constant;
        for (x, c) in &self.terms {
            let (_, val) = env.iter().rev().find(|(y, _)| y == x)?;
            v = v.checked_add(c.checked_mul(*val)?)?;
        }
        Some(v)
    }
}

/// `e` as an affine expression of loop variables (`a + s*r`, `r*s`, `r`, sums and differences
/// of these with constants), or `None`.
pub fn affine(p: &Program, e: &ClassicalExpr, depth: u32) -> Option<Affine> {
    if depth > MAX_WALK_DEPTH {
        return None;
    }
    let go = |e: &ClassicalExpr| affine(p, e, depth + 1);
    match e {
        ClassicalExpr::Const(_) => Some(Affine {
            constant: constant(e)?,
            terms: Vec::new(),
        }),
        ClassicalExpr::Var(x)
            if p.vars
                .get(x.0 as usize)
                .is_some_and(|var| var.kind == VarKind::Loop) =>
        {
            Some(Affine {
                constant: 0,
                terms: vec![(*x, 1)],
            })
        }
        ClassicalExpr::Binary(BinaryOp::Add, a, b) => go(a)?.add(go(b)?, 1),
        ClassicalExpr::Binary(BinaryOp::Sub, a, b) => go(a)?.add(go(b)?, -1),
        ClassicalExpr::Binary(BinaryOp::Mul, a, b) => {
            let (a, b) = (go(a)?, go(b)?);
            if a.terms.is_empty() {
                b.scale(a.constant)
            } else if b.terms.is_empty() {
                a.scale(b.constant)
            } else {
                None
            }
        }
        ClassicalExpr::Unary(UnaryOp::Neg, a) => go(a)?.scale(-1),
        ClassicalExpr::Cast(Type::Int(_) | Type::Uint(_), a) => go(a),
        _ => None,
    }
}

/// A `while` condition as the flat IR holds it: measured register bits (at indices affine in
/// the enclosing kept loops' variables, bound to their first values by `env`), constants,
/// comparisons and logic. `None` for anything else.
pub fn cond_expr(
    p: &Program,
    e: &ClassicalExpr,
    env: &[(VarId, i128)],
    depth: u32,
) -> Option<CondExpr> {
    if depth > MAX_WALK_DEPTH {
        return None;
    }
    let go = |e: &ClassicalExpr| cond_expr(p, e, env, depth + 1);
    let reg_of = |x: VarId| {
        let var = p.vars.get(x.0 as usize)?;
        let r = var.creg?;
        Some((r, var, p.circuit.cregs.get(r as usize)?))
    };
    Some(match e {
        ClassicalExpr::Const(v) => match v {
            Value::Bool(b) => CondExpr::Bool(*b),
            Value::Bit(b) => CondExpr::Int(Wide::from_u64(u64::from(*b))),
            Value::Bits(bits) => CondExpr::Int(Wide::from_bits(bits.iter().copied())),
            _ => CondExpr::Int(Wide::from_u64(u64::try_from(constant(e)?).ok()?)),
        },
        ClassicalExpr::Var(x) => {
            let (r, var, reg) = reg_of(*x)?;
            if var.ty == Type::Bit {
                CondExpr::Bit(reg.start)
            } else {
                CondExpr::Register(r)
            }
        }
        ClassicalExpr::Index(base, idx) => match (base.as_ref(), idx.as_slice()) {
            (ClassicalExpr::Var(x), [Index::Single(i)]) => {
                let (_, _, reg) = reg_of(*x)?;
                let k = u32::try_from(affine(p, i, 0)?.at(env)?).ok()?;
                if k >= reg.size {
                    return None;
                }
                CondExpr::Bit(reg.start.checked_add(k)?)
            }
            _ => return None,
        },
        ClassicalExpr::Unary(UnaryOp::Not, a) => CondExpr::Not(Box::new(go(a)?)),
        ClassicalExpr::Cast(Type::Bool, a) => boolish(go(a)?),
        ClassicalExpr::Cast(Type::Int(_) | Type::Uint(_) | Type::Bit | Type::Bits(_), a) => go(a)?,
        ClassicalExpr::Binary(op, a, b) => {
            let op = cond_op(*op)?;
            CondExpr::Binary(op, Box::new(go(a)?), Box::new(go(b)?))
        }
        _ => return None,
    })
}
