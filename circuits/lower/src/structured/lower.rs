//! Lowering a structured program with its loops kept: counted `for` loops whose iterations
//! are alike up to a shift of their classical bits (Stim's `REPEAT`, measuring into
//! `rec[base + stride*r]`), nested at any depth, and `while` loops on measured bits. Each
//! straight run is flattened once, for the first iteration of the loops around it, and lowered
//! once, so that a QEC experiment of a million rounds costs one round of synthesis.
//!
//! The fidelity budget is shared between the straight runs in proportion to the operations
//! each one executes (its gate count times its iteration count, a `while` body's once), so the
//! bound of the whole program, the sum of every executed piece's error, still meets the
//! budget (per executed iteration of each `while`).

use eqisa_ir::Circuit;
use eqisa_ir::circuit::{CondExpr, Op};
use eqisa_ir::program::expr::ClassicalExpr;
use eqisa_ir::program::flatten::{FlattenError, FlattenLimits, flatten};
use eqisa_ir::program::ids::{Loc, VarId};
use eqisa_ir::program::stmt::{Iteration, Program, Stmt};
use eqisa_ir::program::value::Value;

use super::pieces::{LoweredStructure, Piece};
use super::split::{Segment, Splitter, is_classical_only};
use crate::clifford_t::{Budget, error_for_fidelity, fidelity_for_error};
use crate::lowering::{LowerError, LowerOptions, lower};
use crate::target::TargetDesc;

/// Why a structured program could not be lowered.
#[derive(Debug, thiserror::Error)]
pub enum StructuredError {
    #[error(transparent)]
    Flatten(#[from] FlattenError),
    #[error(transparent)]
    Lower(#[from] LowerError),
}

/// Lower `p` keeping its loops (see the module's documentation), or `None` when it has none
/// that can be kept (the caller then flattens it whole) or when its top level mixes classical
/// computation with quantum operations in a way that pieces lowered apart could not
/// reproduce. A strided loop whose later iterations' bits would leave their register is
/// flattened instead.
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
    let mut splitter = Splitter {
        p,
        refused: Vec::new(),
    };
    loop {
        let Some(segments) = splitter.top() else {
            return Ok(None);
        };
        match plan_all(p, inputs, limits, &segments)? {
            Err(refuse) => splitter.refused.push(refuse),
            Ok(plans) => return lower_plans(plans, target, opts).map(Some),
        }
    }
}

/// A piece flattened, not yet lowered.
enum Plan {
    Leaf {
        circuit: Circuit,
        times: f64,
    },
    Repeat {
        var: String,
        count: u64,
        clbit_stride: u64,
        body: Vec<Plan>,
    },
    While {
        cond: CondExpr,
        body: Vec<Plan>,
    },
}

/// Where a straight run sits: the classical statements replayed before it, and the kept loops
/// around it, outermost first (each bound to its first value).
struct Place<'a> {
    p: &'a Program,
    inputs: &'a [(VarId, Value)],
    limits: &'a FlattenLimits,
    prefix: Vec<Stmt>,
    /// Loop variable, first value, the `for` statement, count and stride of each kept loop
    /// around.
    loops: Vec<(VarId, &'a ClassicalExpr, &'a Stmt, u64, u64)>,
    times: f64,
}

/// Flatten every straight run, or name a strided loop to refuse.
fn plan_all<'a>(
    p: &'a Program,
    inputs: &'a [(VarId, Value)],
    limits: &'a FlattenLimits,
    segments: &[Segment<'a>],
) -> Result<Result<Vec<Plan>, *const Stmt>, FlattenError> {
    let mut place = Place {
        p,
        inputs,
        limits,
        prefix: Vec::new(),
        loops: Vec::new(),
        times: 1.0,
    };
    let mut plans = Vec::new();
    for seg in segments {
        if let Some(plan) = place.plan(seg)? {
            match plan {
                Ok(plan) => plans.push(plan),
                Err(refuse) => return Ok(Err(refuse)),
            }
        }
        // Classical statements of the top level are replayed before every later piece, so
        // that the values it reads are those the whole program would have.
        if let Segment::Straight(s) = seg {
            place.prefix.extend(
                s.iter()
                    .filter(|st| is_classical_only(st))
                    .map(|&st| st.clone()),
            );
        }
    }
    Ok(Ok(plans))
}

type Planned = Option<Result<Plan, *const Stmt>>;

impl<'a> Place<'a> {
    fn plan(&mut self, seg: &Segment<'a>) -> Result<Planned, FlattenError> {
        match seg {
            Segment::Straight(stmts) => {
                let circuit = self.flatten(stmts)?;
                if let Some(refuse) = self.leaves_register(&circuit) {
                    return Ok(Some(Err(refuse)));
                }
                Ok(Some(Ok(Plan::Leaf {
                    circuit,
                    times: self.times,
                })))
            }
            Segment::Repeat {
                stmt,
                var,
                start,
                count,
                clbit_stride,
                body,
            } => {
                if *count == 0 {
                    return Ok(None);
                }
                self.loops.push((*var, start, stmt, *count, *clbit_stride));
                let outer = self.times;
                self.times *= *count as f64;
                let body = self.plan_body(body);
                self.times = outer;
                self.loops.pop();
                let body = match body? {
                    Ok(b) => b,
                    Err(refuse) => return Ok(Some(Err(refuse))),
                };
                let name = self
                    .p
                    .vars
                    .get(var.0 as usize)
                    .map_or_else(|| "i".to_string(), |v| v.name.clone());
                Ok(Some(Ok(Plan::Repeat {
                    var: name,
                    count: *count,
                    clbit_stride: *clbit_stride,
                    body,
                })))
            }
            Segment::While { cond, body } => Ok(Some(match self.plan_body(body)? {
                Ok(body) => Ok(Plan::While {
                    cond: cond.clone(),
                    body,
                }),
                Err(refuse) => Err(refuse),
            })),
        }
    }

    fn plan_body(
        &mut self,
        body: &[Segment<'a>],
    ) -> Result<Result<Vec<Plan>, *const Stmt>, FlattenError> {
        let mut out = Vec::new();
        for seg in body {
            match self.plan(seg)? {
                None => {}
                Some(Ok(p)) => out.push(p),
                Some(Err(r)) => return Ok(Err(r)),
            }
        }
        Ok(Ok(out))
    }

    /// The circuit of `stmts` run once, for the first iteration of the loops around them.
    fn flatten(&self, stmts: &[&Stmt]) -> Result<Circuit, FlattenError> {
        let mut body: Vec<Stmt> = stmts.iter().map(|&s| s.clone()).collect();
        for (var, start, ..) in self.loops.iter().rev() {
            body = vec![Stmt::For {
                var: *var,
                iter: Iteration::Range {
                    start: (*start).clone(),
                    step: ClassicalExpr::Const(Value::Int(1)),
                    stop: (*start).clone(),
                },
                body,
                loc: Loc::default(),
            }];
        }
        let mut piece = program_without_body(self.p);
        piece.body = self.prefix.clone();
        piece.body.extend(body);
        flatten(&piece, self.inputs, self.limits)
    }

    /// The innermost strided loop around `c` whose later iterations would move one of `c`'s
    /// classical bits out of its register (or whose bits are hidden ones, which do not move
    /// with the loop), if any.
    fn leaves_register(&self, c: &Circuit) -> Option<*const Stmt> {
        let innermost = self
            .loops
            .iter()
            .rev()
            .find(|l| l.4 > 0 && l.3 > 1)
            .map(|l| l.2 as *const Stmt)?;
        let shift: u128 = self
            .loops
            .iter()
            .map(|l| u128::from(l.3 - 1) * u128::from(l.4))
            .sum();
        if c.num_clbits > self.p.circuit.num_clbits {
            return Some(innermost);
        }
        let fits = |b: u32| {
            c.cregs
                .iter()
                .find(|r| b >= r.start && b - r.start < r.size)
                .is_some_and(|r| u128::from(b) + shift < u128::from(r.start) + u128::from(r.size))
        };
        let mut bits = Vec::new();
        let mut ok = true;
        let check_ops = |ops: &[Op], bits: &mut Vec<u32>| {
            for op in ops {
                if let Op::Measure { clbit, .. } = op {
                    bits.push(*clbit);
                }
            }
        };
        check_ops(&c.ops, &mut bits);
        for blk in &c.ifs {
            blk.cond.clbits(c, &mut bits);
            check_ops(&blk.then_ops, &mut bits);
            check_ops(&blk.else_ops, &mut bits);
        }
        bits.sort_unstable();
        bits.dedup();
        for b in bits {
            ok &= fits(b);
        }
        (!ok).then_some(innermost)
    }
}

/// Lower every flattened piece with its share of the budget.
fn lower_plans(
    plans: Vec<Plan>,
    target: &TargetDesc,
    opts: &LowerOptions,
) -> Result<LoweredStructure, StructuredError> {
    let executed = total_weight(&plans).max(1.0);
    let mut error = 0.0f64;
    let mut realtime = false;
    let pieces = lower_list(plans, target, opts, executed, &mut error, &mut realtime)?;
    Ok(LoweredStructure {
        pieces,
        fidelity_bound: fidelity_for_error(error),
        realtime_loops: realtime,
    })
}

fn total_weight(plans: &[Plan]) -> f64 {
    plans
        .iter()
        .map(|p| match p {
            Plan::Leaf { circuit, times } => weight(circuit) * times,
            Plan::Repeat { body, .. } | Plan::While { body, .. } => total_weight(body),
        })
        .sum()
}

fn lower_list(
    plans: Vec<Plan>,
    target: &TargetDesc,
    opts: &LowerOptions,
    executed: f64,
    error: &mut f64,
    realtime: &mut bool,
) -> Result<Vec<Piece>, StructuredError> {
    let mut pieces = Vec::with_capacity(plans.len());
    for plan in plans {
        pieces.push(match plan {
            Plan::Leaf { circuit, times } => {
                let budget = match opts.budget {
                    Budget::Fidelity(f) => {
                        let share = error_for_fidelity(f) * weight(&circuit) / executed;
                        Budget::Fidelity(fidelity_for_error(share))
                    }
                    other => other,
                };
                let lowered = lower(&circuit, target, &LowerOptions { budget, ..*opts })?;
                *error += error_for_fidelity(lowered.fidelity_bound) * times;
                Piece::Straight(lowered)
            }
            Plan::Repeat {
                var,
                count,
                clbit_stride,
                body,
            } => Piece::Repeat {
                var,
                count,
                clbit_stride,
                body: lower_list(body, target, opts, executed, error, realtime)?,
            },
            Plan::While { cond, body } => {
                *realtime = true;
                Piece::While {
                    cond,
                    body: lower_list(body, target, opts, executed, error, realtime)?,
                }
            }
        });
    }
    Ok(pieces)
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
