//! Which global `bit` variables are classical registers of the circuit. A register holds
//! measurement results; a `bit[n]` that is given values (an initialiser, an assignment) and never
//! measured into is a classical value like an `int`, and the flat circuit (which has no classical
//! operations) could not hold it as clbits. Such variables stop being registers once the whole
//! program is read; registers that are only declared stay, as OpenQASM 2's `creg`s do.

use eqisa_ir::circuit::Register;
use eqisa_ir::program::Program;
use eqisa_ir::program::expr::ClassicalExpr;
use eqisa_ir::program::ids::VarId;
use eqisa_ir::program::stmt::{Iteration, Stmt};
use eqisa_ir::program::visit::visit_expr;

/// Turn the registers of `p` that are given values but never hold measured ones into plain
/// variables, renumbering the remaining registers and their clbits.
pub fn drop_value_registers(p: &mut Program) {
    let n = p.vars.len();
    let mut flow = Flow {
        measured: vec![false; n],
        valued: vec![false; n],
        changed: true,
    };
    // Measured values spread through assignments and through the branches and loops they
    // steer; a few passes reach every variable they touch.
    while flow.changed {
        flow.changed = false;
        flow.block(&p.body, false);
        for sub in &p.subroutines {
            flow.block(&sub.body, false);
        }
    }
    let Flow {
        measured, valued, ..
    } = flow;
    let dropped = |k: usize| valued[k] && !measured[k];
    if !p
        .vars
        .iter()
        .enumerate()
        .any(|(k, v)| v.creg.is_some() && dropped(k))
    {
        return;
    }
    // A register stays unless every variable that owns it is dropped; the ones that stay keep
    // their order and get new numbers and clbits.
    let owners = |r: usize| {
        p.vars
            .iter()
            .enumerate()
            .filter(move |(_, v)| v.creg == Some(r as u32))
    };
    let stays: Vec<bool> = (0..p.circuit.cregs.len())
        .map(|r| owners(r).count() == 0 || owners(r).any(|(k, _)| !dropped(k)))
        .collect();
    let old = std::mem::take(&mut p.circuit.cregs);
    let mut index = vec![None; old.len()];
    let mut start = 0u32;
    for (r, reg) in old.into_iter().enumerate() {
        if !stays[r] {
            continue;
        }
        index[r] = Some(p.circuit.cregs.len() as u32);
        p.circuit.cregs.push(Register {
            name: reg.name,
            start,
            size: reg.size,
        });
        start += reg.size;
    }
    p.circuit.num_clbits = start;
    for v in &mut p.vars {
        v.creg = v
            .creg
            .and_then(|r| index.get(r as usize).copied().flatten());
    }
}

/// Which variables may hold values that depend on measurements, and which are given values.
struct Flow {
    measured: Vec<bool>,
    valued: Vec<bool>,
    changed: bool,
}

impl Flow {
    fn mark(&mut self, v: VarId) {
        if let Some(m) = self.measured.get_mut(v.0 as usize)
            && !*m
        {
            *m = true;
            self.changed = true;
        }
    }

    /// Whether `e` may depend on a measurement: it calls a subroutine or an extern, or reads a
    /// variable that may hold a measured value.
    fn depends(&self, e: &ClassicalExpr) -> bool {
        let mut found = false;
        visit_expr(e, &mut |e| {
            found |= match e {
                ClassicalExpr::Call(..) | ClassicalExpr::Extern(..) => true,
                ClassicalExpr::Var(v) => self.measured.get(v.0 as usize).copied().unwrap_or(false),
                _ => false,
            };
        });
        found
    }

    /// Walk `block`; `steered` when it runs under a branch or loop on a measured value.
    fn block(&mut self, block: &[Stmt], steered: bool) {
        for s in block {
            self.stmt(s, steered);
        }
    }

    fn stmt(&mut self, s: &Stmt, steered: bool) {
        match s {
            Stmt::Measure {
                target: Some(t), ..
            } => self.mark(t.var),
            Stmt::Assign { target, value, .. } => {
                if let Some(v) = self.valued.get_mut(target.var.0 as usize) {
                    *v = true;
                }
                if steered || self.depends(value) {
                    self.mark(target.var);
                }
            }
            Stmt::Declare {
                var,
                init: Some(init),
                ..
            } => {
                if let Some(v) = self.valued.get_mut(var.0 as usize) {
                    *v = true;
                }
                if steered || self.depends(init) {
                    self.mark(*var);
                }
            }
            Stmt::If {
                cond,
                then_body,
                else_body,
                ..
            } => {
                let steered = steered || self.depends(cond);
                self.block(then_body, steered);
                self.block(else_body, steered);
            }
            Stmt::While { cond, body, .. } => {
                let steered = steered || self.depends(cond);
                self.block(body, steered);
            }
            Stmt::For { iter, body, .. } => {
                let steered = steered
                    || match iter {
                        Iteration::Range { start, step, stop } => {
                            self.depends(start) || self.depends(step) || self.depends(stop)
                        }
                        Iteration::Set(items) => items.iter().any(|e| self.depends(e)),
                        Iteration::Values(e) => self.depends(e),
                    };
                self.block(body, steered);
            }
            Stmt::Switch {
                target,
                cases,
                default,
                ..
            } => {
                let steered = steered || self.depends(target);
                for c in cases {
                    self.block(&c.body, steered);
                }
                if let Some(d) = default {
                    self.block(d, steered);
                }
            }
            Stmt::Box { body, .. } => self.block(body, steered),
            _ => {}
        }
    }
}
