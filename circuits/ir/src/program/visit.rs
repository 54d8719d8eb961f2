//! Walks over a structured program: every statement of a block and the blocks inside it, every
//! expression of a statement. Passes that only look (structure checks, which variables a loop
//! reads, which registers are measured into) share these instead of matching every variant.

use super::expr::Operand;
use super::expr::{CallArg, ClassicalExpr, Index};
use super::stmt::{Iteration, Stmt};

/// Calls `f` on every statement of `block` and of the blocks nested in it (bodies of `if`,
/// loops, `switch` and `box`), outer statements first. Subroutine bodies are not entered.
pub fn visit_block(block: &[Stmt], f: &mut dyn FnMut(&Stmt)) {
    for s in block {
        f(s);
        match s {
            Stmt::If {
                then_body,
                else_body,
                ..
            } => {
                visit_block(then_body, f);
                visit_block(else_body, f);
            }
            Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Box { body, .. } => {
                visit_block(body, f);
            }
            Stmt::Switch { cases, default, .. } => {
                for c in cases {
                    visit_block(&c.body, f);
                }
                if let Some(d) = default {
                    visit_block(d, f);
                }
            }
            _ => {}
        }
    }
}

/// Calls `f` on every expression of `s` (operand indices, targets' indices, nested bodies).
pub fn visit_stmt(s: &Stmt, f: &mut dyn FnMut(&ClassicalExpr)) {
    let operand = |o: &Operand, f: &mut dyn FnMut(&ClassicalExpr)| {
        if let Some(i) = &o.index {
            visit_index(i, f);
        }
    };
    let body = |b: &[Stmt], f: &mut dyn FnMut(&ClassicalExpr)| {
        for st in b {
            visit_stmt(st, f);
        }
    };
    match s {
        Stmt::Gate { params, qubits, .. } => {
            params.iter().for_each(&mut *f);
            qubits.iter().for_each(|o| operand(o, f));
        }
        Stmt::Measure { qubits, target, .. } => {
            operand(qubits, f);
            if let Some(t) = target {
                t.index.iter().for_each(|i| visit_index(i, f));
            }
        }
        Stmt::Reset { qubits, .. } => operand(qubits, f),
        Stmt::Barrier { qubits, .. } => qubits.iter().for_each(|o| operand(o, f)),
        Stmt::Delay {
            duration, qubits, ..
        } => {
            f(duration);
            qubits.iter().for_each(|o| operand(o, f));
        }
        Stmt::Declare { init, .. } => init.iter().for_each(&mut *f),
        Stmt::Assign { target, value, .. } => {
            target.index.iter().for_each(|i| visit_index(i, f));
            f(value);
        }
        Stmt::Expr { value, .. } => f(value),
        Stmt::If {
            cond,
            then_body,
            else_body,
            ..
        } => {
            f(cond);
            body(then_body, f);
            body(else_body, f);
        }
        Stmt::For { iter, body: b, .. } => {
            match iter {
                Iteration::Range { start, step, stop } => {
                    f(start);
                    f(step);
                    f(stop);
                }
                Iteration::Set(items) => items.iter().for_each(&mut *f),
                Iteration::Values(e) => f(e),
            }
            body(b, f);
        }
        Stmt::While { cond, body: b, .. } => {
            f(cond);
            body(b, f);
        }
        Stmt::Switch {
            target,
            cases,
            default,
            ..
        } => {
            f(target);
            for c in cases {
                c.values.iter().for_each(&mut *f);
                body(&c.body, f);
            }
            if let Some(d) = default {
                body(d, f);
            }
        }
        Stmt::Return { value, .. } => value.iter().for_each(&mut *f),
        Stmt::Box {
            duration, body: b, ..
        } => {
            duration.iter().for_each(&mut *f);
            body(b, f);
        }
        Stmt::Break { .. } | Stmt::Continue { .. } | Stmt::End { .. } => {}
    }
}

/// Calls `f` on every expression of an index.
pub fn visit_index(i: &Index, f: &mut dyn FnMut(&ClassicalExpr)) {
    match i {
        Index::Single(e) => f(e),
        Index::Range { start, step, stop } => {
            [start, step, stop].into_iter().flatten().for_each(f);
        }
        Index::Set(items) => items.iter().for_each(f),
    }
}

/// Whether evaluating `e` calls a subroutine or an extern (which may act on qubits, and must
/// not run twice).
pub fn calls(e: &ClassicalExpr) -> bool {
    let mut found = false;
    visit_expr(e, &mut |e| {
        found |= matches!(e, ClassicalExpr::Call(..) | ClassicalExpr::Extern(..));
    });
    found
}

/// Calls `f` on `e` and every expression inside it.
pub fn visit_expr(e: &ClassicalExpr, f: &mut dyn FnMut(&ClassicalExpr)) {
    f(e);
    match e {
        ClassicalExpr::Const(_) | ClassicalExpr::Var(_) => {}
        ClassicalExpr::Index(base, idx) => {
            visit_expr(base, f);
            for i in idx {
                visit_index(i, &mut |e| visit_expr(e, f));
            }
        }
        ClassicalExpr::Unary(_, a) | ClassicalExpr::Cast(_, a) => visit_expr(a, f),
        ClassicalExpr::Binary(_, a, b) => {
            visit_expr(a, f);
            visit_expr(b, f);
        }
        ClassicalExpr::Builtin(_, args) | ClassicalExpr::Extern(_, args, _) => {
            args.iter().for_each(|a| visit_expr(a, f));
        }
        ClassicalExpr::Call(_, args, _) => {
            for a in args {
                match a {
                    CallArg::Classical(e) => visit_expr(e, f),
                    CallArg::Qubits(o) => {
                        if let Some(i) = &o.index {
                            visit_index(i, &mut |e| visit_expr(e, f));
                        }
                    }
                }
            }
        }
    }
}
