//! Lowering a structured program with its counted loops kept: a top-level `for` whose body does
//! not depend on its loop variable (nor change anything the rest of the program reads) is lowered
//! once and written back as a loop, so that a QEC experiment of a million rounds costs one round
//! of synthesis. Everything else is flattened and lowered as it stands.
//!
//! The fidelity budget is shared between the pieces in proportion to the operations each one
//! executes (its gate count times its iteration count), so the bound of the whole program, the
//! sum of every executed piece's error, still meets the budget.

use std::collections::BTreeMap;
use std::fmt::Write;

use eqisa_ir::Circuit;
use eqisa_ir::circuit::Op;
use eqisa_ir::program::expr::ClassicalExpr;
use eqisa_ir::program::flatten::{FlattenError, FlattenLimits, flatten};
use eqisa_ir::program::ids::VarId;
use eqisa_ir::program::stmt::{Iteration, Program, Stmt, VarKind};
use eqisa_ir::program::value::Value;
use eqisa_ir::program::visit::{calls, visit_expr, visit_stmt};

use crate::clifford_t::{Budget, error_for_fidelity, fidelity_for_error};
use crate::lowering::{LowerError, LowerOptions, Lowered, lower};
use crate::program::{NativeOp, NativeProgram, QasmWriter};
use crate::target::TargetDesc;

/// One piece of a program's top level, lowered.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    /// Statements run once.
    Straight(Lowered),
    /// A loop body run `count` times; `var` is the source's loop variable, kept for the output.
    Repeat {
        var: String,
        count: u64,
        body: Lowered,
    },
}

impl Piece {
    fn lowered(&self) -> &Lowered {
        match self {
            Piece::Straight(l) | Piece::Repeat { body: l, .. } => l,
        }
    }

    /// How many times the piece runs.
    fn count(&self) -> u64 {
        match self {
            Piece::Straight(_) => 1,
            Piece::Repeat { count, .. } => *count,
        }
    }
}

/// A structured program lowered piece by piece.
#[derive(Clone, Debug, PartialEq)]
pub struct LoweredStructure {
    pub pieces: Vec<Piece>,
    /// A lower bound on the fidelity of the whole program's state with the source's: the
    /// errors of every executed piece added up.
    pub fidelity_bound: f64,
}

/// Why a structured program could not be lowered.
#[derive(Debug, thiserror::Error)]
pub enum StructuredError {
    #[error(transparent)]
    Flatten(#[from] FlattenError),
    #[error(transparent)]
    Lower(#[from] LowerError),
}

impl LoweredStructure {
    /// Operations executed, by name (loop bodies times their counts).
    pub fn counts(&self) -> BTreeMap<String, u128> {
        let mut m = BTreeMap::new();
        for piece in &self.pieces {
            for (name, n) in piece.lowered().program.counts() {
                *m.entry(name).or_insert(0u128) += u128::from(n) * u128::from(piece.count());
            }
        }
        m
    }

    /// T and T† gates executed.
    pub fn t_count(&self) -> u128 {
        self.executed(|p| u128::from(p.t_count()))
    }

    /// Depth of the pieces run one after another (iterations do not overlap: each starts
    /// aligned at the end of the one before).
    pub fn depth(&self) -> u128 {
        self.executed(|p| u128::from(p.depth()))
    }

    /// Duration of the pieces run one after another.
    pub fn duration_ns(&self) -> f64 {
        self.pieces
            .iter()
            .map(|p| p.lowered().program.duration_ns * p.count() as f64)
            .sum()
    }

    /// The finest rz precision of any piece (0: exact f64 angles somewhere).
    pub fn angle_bits(&self) -> u8 {
        let bits = self.pieces.iter().map(|p| p.lowered().program.angle_bits);
        if bits.clone().any(|b| b == eqisa_isa::angle::RAW) {
            eqisa_isa::angle::RAW
        } else {
            bits.max().unwrap_or(eqisa_isa::angle::RAW)
        }
    }

    fn executed(&self, f: impl Fn(&NativeProgram) -> u128) -> u128 {
        self.pieces
            .iter()
            .map(|p| f(&p.lowered().program).saturating_mul(u128::from(p.count())))
            .fold(0u128, u128::saturating_add)
    }

    /// The program as OpenQASM 3, loops written as `for` loops.
    pub fn to_qasm3(&self) -> String {
        let mut s = String::new();
        let Some(first) = self.pieces.first() else {
            return s;
        };
        let regs = &first.lowered().program;
        let ecr = self.pieces.iter().any(|p| {
            p.lowered()
                .program
                .ops
                .iter()
                .any(|o| o.op == NativeOp::Ecr)
        });
        QasmWriter::qasm3(&regs.qregs, &regs.cregs, &[]).header(&mut s, ecr);
        for piece in &self.pieces {
            let p = &piece.lowered().program;
            let w = QasmWriter::qasm3(&p.qregs, &p.cregs, &p.conditions);
            match piece {
                Piece::Straight(_) => p.ops.iter().for_each(|op| w.op(&mut s, op)),
                Piece::Repeat { var, count, .. } => {
                    let _ = writeln!(s, "for uint {var} in [0:{}] {{", count - 1);
                    let mut body = String::new();
                    p.ops.iter().for_each(|op| w.op(&mut body, op));
                    for line in body.lines() {
                        let _ = writeln!(s, "  {line}");
                    }
                    s.push_str("}\n");
                }
            }
        }
        s
    }

    /// The whole program unrolled, when it holds at most `max_ops` operations (to compare
    /// states with the source).
    pub fn unrolled(&self, max_ops: u64) -> Option<NativeProgram> {
        let total = self.executed(|p| p.ops.len() as u128);
        if total > u128::from(max_ops) {
            return None;
        }
        let mut out = self.pieces.first()?.lowered().program.clone();
        out.ops.clear();
        out.conditions.clear();
        out.duration_ns = 0.0;
        for piece in &self.pieces {
            let p = &piece.lowered().program;
            let offset = out.conditions.len() as u32;
            out.conditions.extend(p.conditions.iter().cloned());
            for _ in 0..piece.count() {
                for op in &p.ops {
                    let mut op = op.clone();
                    op.cond = op.cond.map(|c| c + offset);
                    op.start_ns += out.duration_ns;
                    out.ops.push(op);
                }
                out.duration_ns += p.duration_ns;
            }
        }
        out.angle_bits = self.angle_bits();
        Some(out)
    }
}

/// A run of top-level statements: straight ones, or one loop kept as a loop.
enum Segment<'p> {
    Straight(Vec<&'p Stmt>),
    Repeat {
        var: VarId,
        count: u64,
        body: &'p [Stmt],
    },
}

/// Lower `p` keeping its counted loops, or `None` when it has none that can be kept (the caller
/// then flattens it whole) or when its top level mixes classical computation with quantum
/// operations in a way that pieces lowered apart could not reproduce.
///
/// # Errors
/// When a piece does not flatten (see [`flatten`]) or does not lower (see [`lower`]).
pub fn lower_structured(
    p: &Program,
    inputs: &[(VarId, Value)],
    target: &TargetDesc,
    opts: &LowerOptions,
    limits: &FlattenLimits,
) -> Result<Option<LoweredStructure>, StructuredError> {
    let Some(segments) = split(p) else {
        return Ok(None);
    };
    // Each piece's circuit: classical statements before it are replayed first, so that the
    // values it reads are those the whole program would have.
    let mut circuits: Vec<(Circuit, u64, Option<VarId>)> = Vec::new();
    let mut classical: Vec<Stmt> = Vec::new();
    for seg in &segments {
        let (stmts, count, var): (Vec<Stmt>, u64, Option<VarId>) = match seg {
            Segment::Straight(s) => (s.iter().map(|&s| s.clone()).collect(), 1, None),
            Segment::Repeat { var, count, body } => (body.to_vec(), *count, Some(*var)),
        };
        let mut piece = program_without_body(p);
        piece.body = classical.clone();
        piece.body.extend(stmts.iter().cloned());
        let c = flatten(&piece, inputs, limits)?;
        if let Segment::Straight(s) = seg {
            classical.extend(
                s.iter()
                    .filter(|st| is_classical_only(st))
                    .map(|&st| st.clone()),
            );
        }
        if count > 0 {
            circuits.push((c, count, var));
        }
    }
    let executed: f64 = circuits
        .iter()
        .map(|(c, n, _)| weight(c) * *n as f64)
        .sum::<f64>()
        .max(1.0);
    let mut pieces = Vec::with_capacity(circuits.len());
    let mut error = 0.0f64;
    for (c, count, var) in circuits {
        let budget = match opts.budget {
            Budget::Fidelity(f) => {
                let share = error_for_fidelity(f) * weight(&c) / executed;
                Budget::Fidelity(fidelity_for_error(share))
            }
            other => other,
        };
        let lowered = lower(&c, target, &LowerOptions { budget, ..*opts })?;
        error += error_for_fidelity(lowered.fidelity_bound) * count as f64;
        pieces.push(match var {
            None => Piece::Straight(lowered),
            Some(v) => Piece::Repeat {
                var: p
                    .vars
                    .get(v.0 as usize)
                    .map_or_else(|| "i".to_string(), |v| v.name.clone()),
                count,
                body: lowered,
            },
        });
    }
    Ok(Some(LoweredStructure {
        pieces,
        fidelity_bound: fidelity_for_error(error),
    }))
}

/// A piece's share of the budget is proportional to its gates (at least one, so that a piece
/// of measurements alone still gets a share).
fn weight(c: &Circuit) -> f64 {
    c.ops
        .iter()
        .filter(|op| matches!(op, Op::Gate { .. }))
        .count()
        .max(1) as f64
}

/// `p` with an empty body: what every piece shares.
fn program_without_body(p: &Program) -> Program {
    Program {
        circuit: p.circuit.clone(),
        files: p.files.clone(),
        vars: p.vars.clone(),
        subroutines: p.subroutines.clone(),
        externs: p.externs.clone(),
        body: Vec::new(),
        physical: p.physical,
        skipped_calibration: p.skipped_calibration,
    }
}

/// The top level cut at the loops that can be kept, or `None` when there is none or when a
/// statement both computes classical values and acts on qubits.
fn split(p: &Program) -> Option<Vec<Segment<'_>>> {
    let mut segments = Vec::new();
    let mut straight: Vec<&Stmt> = Vec::new();
    let mut kept = false;
    for s in &p.body {
        if let Some((var, count, body)) = keepable_loop(p, s) {
            if !straight.is_empty() {
                segments.push(Segment::Straight(std::mem::take(&mut straight)));
            }
            segments.push(Segment::Repeat { var, count, body });
            kept = true;
        } else if is_classical_only(s) || is_quantum_only(p, s, &[]) {
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

/// A top-level `for` over a range or set known at compile time whose body acts on qubits only
/// (writing nothing but measured bits of registers), never reads its loop variable and never
/// leaves early: its iterations are all alike.
fn keepable_loop<'p>(p: &Program, s: &'p Stmt) -> Option<(VarId, u64, &'p [Stmt])> {
    let Stmt::For {
        var, iter, body, ..
    } = s
    else {
        return None;
    };
    let count = match iter {
        Iteration::Range { start, step, stop } => {
            let (a, s, b) = (constant(start)?, constant(step)?, constant(stop)?);
            if s == 0 {
                return None;
            }
            let span = if s > 0 { b - a } else { a - b };
            if span < 0 {
                0
            } else {
                u64::try_from(span / s.abs() + 1).ok()?
            }
        }
        Iteration::Set(items) => items.len() as u64,
        Iteration::Values(_) => return None,
    };
    let locals = declared(body);
    let alike = body
        .iter()
        .all(|st| is_quantum_only(p, st, &locals) && !mentions_stmt(st, *var));
    alike.then_some((*var, count, body.as_slice()))
}

/// An integer known at compile time.
fn constant(e: &ClassicalExpr) -> Option<i128> {
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

/// Whether `s` only computes classical values: no operation on qubits, no call.
fn is_classical_only(s: &Stmt) -> bool {
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
/// of `locals`): running it twice reads the same classical values.
fn is_quantum_only(p: &Program, s: &Stmt, locals: &[VarId]) -> bool {
    let writable = |v: VarId| {
        locals.contains(&v)
            || p.vars
                .get(v.0 as usize)
                .is_some_and(|var| var.creg.is_some() && var.kind == VarKind::Mutable)
    };
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
        } => then_body
            .iter()
            .chain(else_body)
            .all(|st| is_quantum_only(p, st, locals)),
        Stmt::Box { body, .. } => body.iter().all(|st| is_quantum_only(p, st, locals)),
        Stmt::Switch { cases, default, .. } => cases
            .iter()
            .flat_map(|c| &c.body)
            .chain(default.iter().flatten())
            .all(|st| is_quantum_only(p, st, locals)),
        // A loop's variable and its body's declarations are its own.
        Stmt::For { var, body, .. } => {
            let mut inner = locals.to_vec();
            inner.push(*var);
            inner.extend(declared(body));
            body.iter().all(|st| is_quantum_only(p, st, &inner))
        }
        _ => false,
    }
}

/// Whether `s` reads or writes `v` anywhere.
fn mentions_stmt(s: &Stmt, v: VarId) -> bool {
    let mut found = false;
    let mut expr = |e: &ClassicalExpr| {
        visit_expr(e, &mut |e| {
            found |= matches!(e, ClassicalExpr::Var(x) if *x == v)
        });
    };
    visit_stmt(s, &mut expr);
    found || writes(s, v)
}

/// Whether `s` stores into `v`.
fn writes(s: &Stmt, v: VarId) -> bool {
    match s {
        Stmt::Assign { target, .. } => target.var == v,
        Stmt::Measure {
            target: Some(t), ..
        } => t.var == v,
        Stmt::Declare { var, .. } | Stmt::For { var, .. } if *var == v => true,
        Stmt::If {
            then_body,
            else_body,
            ..
        } => then_body.iter().chain(else_body).any(|st| writes(st, v)),
        Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Box { body, .. } => {
            body.iter().any(|st| writes(st, v))
        }
        Stmt::Switch { cases, default, .. } => cases
            .iter()
            .flat_map(|c| &c.body)
            .chain(default.iter().flatten())
            .any(|st| writes(st, v)),
        _ => false,
    }
}
