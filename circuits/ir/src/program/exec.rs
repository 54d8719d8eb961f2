//! A concrete interpreter of a structured [`Program`] that stops at each quantum event, so that
//! a state-vector simulator can branch on measurement outcomes by cloning it.
//!
//! Statements run on an explicit stack of frames (one per subroutine activation), each with a
//! stack of control entries (blocks, loops), never by recursion over statements. A subroutine
//! called inside an expression may itself wait for measurements, so expressions are evaluated
//! against the results of the calls finished so far: when a call's value is missing the
//! statement is put aside, the call runs as a new frame, and the statement is evaluated again
//! with one more result (the calls of one statement finish in a fixed order).
//!
//! Choices: every `Measure` event must be answered with [`Exec::measured`] before the next
//! event; an `extern` called for its effect only is skipped (its effect is outside the
//! program), one whose value is needed is an error; a subroutine without a return type
//! evaluates to an empty `bit[0]`; `return` at global scope ends the program, like `end`;
//! a variable read before its declaration ran is an error.

use std::collections::VecDeque;
use std::sync::Arc;

use super::eval::{
    Host, MAX_BITS, Selector, array_len, cast, eval, eval_index, index_value, store_in, to_index,
    truthy, zero,
};
use super::eval_error::{EvalError, EvalErrorKind, loc_suffix};
use super::expr::{CallArg, ClassicalExpr, Index};
use super::expr::{Operand, QubitBase};
use super::ids::{Loc, SubId, VarId};
use super::stmt::{Iteration, Program, Stmt, SubParam, VarKind};
use super::types::Type;
use super::value::Value;
use crate::circuit::GateId;

/// Bounds on a run, so that a program that loops forever or recurses without end stops with
/// an error instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecLimits {
    /// Statements executed (loop iterations and block exits included): bounds `while` loops.
    pub max_steps: u64,
    /// Nested subroutine calls.
    pub max_call_depth: u32,
}

impl Default for ExecLimits {
    fn default() -> Self {
        ExecLimits {
            max_steps: 100_000_000,
            max_call_depth: 1_000,
        }
    }
}

/// A quantum event, in program order. Broadcasts are expanded: `h q;` on a 3-qubit register
/// is three `Gate` events.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A gate application with its angles in radians.
    Gate {
        gate: GateId,
        params: Vec<f64>,
        qubits: Vec<u32>,
    },
    /// Measure a qubit; answer with [`Exec::measured`].
    Measure {
        qubit: u32,
    },
    Reset {
        qubit: u32,
    },
    Barrier {
        qubits: Vec<u32>,
    },
    /// `delay` of `ns` nanoseconds plus `dt` device cycles on the qubits.
    Delay {
        ns: f64,
        dt: f64,
        qubits: Vec<u32>,
    },
    /// The program has finished (and stays finished).
    Done,
}

/// Why the interpreter stopped.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}{}", loc_suffix(.loc))]
pub struct ExecError {
    /// Where in the source, when known.
    pub loc: Option<Loc>,
    /// What went wrong.
    pub kind: ExecErrorKind,
}

/// The kinds of [`ExecError`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExecErrorKind {
    /// An expression had no value.
    #[error("{0}")]
    Eval(EvalErrorKind),
    /// The step limit was reached; `what` names the innermost loop running.
    #[error("{what} did not finish within {limit} steps")]
    StepLimit { what: String, limit: u64 },
    /// Subroutine calls nested deeper than the limit.
    #[error("subroutine calls nested deeper than {0}")]
    CallDepth(u32),
    /// An `input` variable without a value.
    #[error("input '{name}' of type {ty} has no value")]
    MissingInput { name: String, ty: String },
    /// The program is not well formed (a `break` outside a loop, a gate with the wrong number
    /// of qubits, an unknown variable or subroutine).
    #[error("{0}")]
    Program(String),
    /// The interpreter was used out of order (an outcome not delivered, or delivered twice).
    #[error("{0}")]
    Protocol(String),
}

impl From<EvalError> for ExecError {
    fn from(e: EvalError) -> Self {
        ExecError {
            loc: e.loc,
            kind: ExecErrorKind::Eval(e.kind),
        }
    }
}

fn program_error(msg: impl Into<String>, loc: Loc) -> ExecError {
    ExecError {
        loc: Some(loc),
        kind: ExecErrorKind::Program(msg.into()),
    }
}

/// Where a measurement outcome goes: a variable, through selectors.
#[derive(Clone, Debug)]
struct StoreAt {
    var: VarId,
    sels: Vec<Selector>,
    loc: Loc,
}

#[derive(Clone, Debug)]
enum Pending {
    Event(Event),
    Measure { qubit: u32, to: Option<StoreAt> },
}

#[derive(Clone, Debug)]
enum Items {
    /// An inclusive integer range; `next` is `None` once past its end.
    Range {
        next: Option<i128>,
        step: i128,
        stop: i128,
    },
    List {
        values: Arc<[Value]>,
        pos: usize,
    },
}

/// One entry of a frame's control stack.
#[derive(Clone, Debug)]
enum Ctl<'p> {
    Block {
        stmts: &'p [Stmt],
        pc: usize,
    },
    For {
        var: VarId,
        items: Items,
        body: &'p [Stmt],
        loc: Loc,
    },
    While {
        cond: &'p ClassicalExpr,
        body: &'p [Stmt],
        loc: Loc,
    },
}

/// A subroutine activation (or the global scope, `sub: None`).
#[derive(Clone, Debug)]
struct Frame<'p> {
    sub: Option<SubId>,
    /// The qubits bound to each qubit parameter.
    qubits: Vec<Vec<u32>>,
    /// Variables of this activation (parameters and declarations inside the subroutine).
    locals: Vec<(VarId, Value)>,
    ctl: Vec<Ctl<'p>>,
    /// Values of the calls the statement in progress has finished, in finishing order.
    results: Vec<Value>,
}

/// A call whose value an expression needs, its arguments evaluated.
#[derive(Debug)]
struct CallReq {
    sub: SubId,
    locals: Vec<(VarId, Value)>,
    qubits: Vec<Vec<u32>>,
    loc: Loc,
}

/// Why evaluation stopped: a call to run first, or an error.
enum Flow {
    Call(CallReq),
    Err(ExecError),
}

impl From<ExecError> for Flow {
    fn from(e: ExecError) -> Self {
        Flow::Err(e)
    }
}

/// An interpreter of a [`Program`], cheap to clone: the program is shared by reference, and
/// the state is the variables, the frames and the events not yet handed out.
#[derive(Clone, Debug)]
pub struct Exec<'p> {
    p: &'p Program,
    limits: ExecLimits,
    globals: Vec<Option<Value>>,
    frames: Vec<Frame<'p>>,
    pending: VecDeque<Pending>,
    /// The target of the measurement whose outcome is awaited (`Some(None)`: no target).
    awaiting: Option<Option<StoreAt>>,
    steps: u64,
    done: bool,
    /// A failure is final: the same error is returned again.
    failed: Option<ExecError>,
}

impl<'p> Exec<'p> {
    /// An interpreter at the start of `p`, with `input` variables bound (each cast to its
    /// declared type).
    pub fn new(
        p: &'p Program,
        inputs: &[(VarId, Value)],
        limits: ExecLimits,
    ) -> Result<Self, ExecError> {
        // Qubit and bit lists are built from these counts: bound them before any allocation.
        let (nq, nc) = (p.circuit.num_qubits, p.circuit.num_clbits);
        if u64::from(nq.max(nc)) > MAX_BITS {
            return Err(ExecError::from(EvalError::new(EvalErrorKind::TooLarge(
                format!(
                    "{nq} qubits and {nc} classical bits: at most {MAX_BITS} of each are supported"
                ),
            ))));
        }
        let mut globals = vec![None; p.vars.len()];
        for (v, value) in inputs {
            let var = p.vars.get(v.0 as usize).ok_or_else(|| ExecError {
                loc: None,
                kind: ExecErrorKind::Program(format!("input variable #{} does not exist", v.0)),
            })?;
            let value = cast(value, &var.ty).map_err(|e| ExecError::from(e.at(var.loc)))?;
            if let Some(slot) = globals.get_mut(v.0 as usize) {
                *slot = Some(value);
            }
        }
        Ok(Exec {
            p,
            limits,
            globals,
            frames: vec![Frame {
                sub: None,
                qubits: Vec::new(),
                locals: Vec::new(),
                ctl: vec![Ctl::Block {
                    stmts: &p.body,
                    pc: 0,
                }],
                results: Vec::new(),
            }],
            pending: VecDeque::new(),
            awaiting: None,
            steps: 0,
            done: false,
            failed: None,
        })
    }

    /// Run to the next quantum event.
    pub fn next_event(&mut self) -> Result<Event, ExecError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.awaiting.is_some() {
            return Err(ExecError {
                loc: None,
                kind: ExecErrorKind::Protocol(
                    "the outcome of the last measurement was not delivered (call measured)".into(),
                ),
            });
        }
        loop {
            match self.pending.pop_front() {
                Some(Pending::Event(e)) => return Ok(e),
                Some(Pending::Measure { qubit, to }) => {
                    self.awaiting = Some(to);
                    return Ok(Event::Measure { qubit });
                }
                None => {}
            }
            if self.done {
                return Ok(Event::Done);
            }
            if let Err(e) = self.step() {
                self.failed = Some(e.clone());
                return Err(e);
            }
        }
    }

    /// Deliver the outcome of the `Measure` event just returned (stored into its target).
    pub fn measured(&mut self, outcome: bool) -> Result<(), ExecError> {
        let Some(to) = self.awaiting.take() else {
            return Err(ExecError {
                loc: None,
                kind: ExecErrorKind::Protocol("no measurement is waiting for its outcome".into()),
            });
        };
        let Some(to) = to else { return Ok(()) };
        let r = self.store_into(to.var, &to.sels, Value::Bit(outcome), to.loc);
        if let Err(e) = &r {
            self.failed = Some(e.clone());
        }
        r
    }

    /// The classical bits of the circuit's registers ([`crate::Circuit::cregs`], global
    /// numbering, clbit 0 first) as they stand.
    pub fn clbits(&self) -> Vec<bool> {
        let c = &self.p.circuit;
        let mut out = vec![false; c.num_clbits as usize];
        for (i, var) in self.p.vars.iter().enumerate() {
            let (Some(r), Some(Some(value))) = (var.creg, self.globals.get(i)) else {
                continue;
            };
            let Some(reg) = c.cregs.get(r as usize) else {
                continue;
            };
            let bits: Vec<bool> = match value {
                Value::Bit(b) | Value::Bool(b) => vec![*b],
                Value::Bits(b) => b.clone(),
                _ => continue,
            };
            for (k, b) in bits.iter().take(reg.size as usize).enumerate() {
                if let Some(slot) = out.get_mut(reg.start as usize + k) {
                    *slot = *b;
                }
            }
        }
        out
    }

    /// Values of `output` variables (and, if the program declares none, of every global
    /// variable that has a value, inputs included) by name, in declaration order.
    pub fn outputs(&self) -> Vec<(String, Value)> {
        let any_output = self.p.vars.iter().any(|v| v.kind == VarKind::Output);
        self.p
            .vars
            .iter()
            .zip(&self.globals)
            .filter(|(var, _)| {
                if any_output {
                    var.kind == VarKind::Output
                } else {
                    matches!(
                        var.kind,
                        VarKind::Mutable | VarKind::Input | VarKind::Output
                    )
                }
            })
            .filter_map(|(var, value)| Some((var.name.clone(), value.clone()?)))
            .collect()
    }

    /// The current value of a global variable.
    pub fn global(&self, v: VarId) -> Option<&Value> {
        self.globals.get(v.0 as usize).and_then(Option::as_ref)
    }

    /// Statements executed so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Whether the program has finished.
    pub fn is_done(&self) -> bool {
        self.done && self.pending.is_empty()
    }

    // -----------------------------------------------------------------------------------------
    // Stepping.

    fn step(&mut self) -> Result<(), ExecError> {
        self.steps = self.steps.saturating_add(1);
        if self.steps > self.limits.max_steps {
            return Err(self.step_limit());
        }
        let Some(frame) = self.frames.last_mut() else {
            self.done = true;
            return Ok(());
        };
        let Some(ctl) = frame.ctl.last_mut() else {
            return self.fall_off();
        };
        match ctl {
            Ctl::Block { stmts, pc } => {
                let (stmts, pc): (&'p [Stmt], usize) = (stmts, *pc);
                match stmts.get(pc) {
                    None => {
                        frame.ctl.pop();
                        Ok(())
                    }
                    Some(s) => self.statement(s),
                }
            }
            Ctl::For {
                var, items, body, ..
            } => {
                let (var, body) = (*var, *body);
                let next = match items {
                    Items::Range { next, step, stop } => match *next {
                        Some(i) if (*step > 0 && i <= *stop) || (*step < 0 && i >= *stop) => {
                            *next = i.checked_add(*step);
                            Some(Value::Int(i))
                        }
                        _ => None,
                    },
                    Items::List { values, pos } => {
                        let v = values.get(*pos).cloned();
                        *pos += 1;
                        v
                    }
                };
                match next {
                    None => {
                        frame.ctl.pop();
                        Ok(())
                    }
                    Some(v) => {
                        frame.ctl.push(Ctl::Block { stmts: body, pc: 0 });
                        let loc = self.var_loc(var);
                        self.declare(var, v, loc)
                    }
                }
            }
            Ctl::While { cond, body, loc } => {
                let (cond, body, loc) = (*cond, *body, *loc);
                let Some(go) = self.evaluate(|cx| cx.cond(cond, loc))? else {
                    return Ok(());
                };
                let frame = self.top()?;
                frame.results.clear();
                if go {
                    frame.ctl.push(Ctl::Block { stmts: body, pc: 0 });
                } else {
                    frame.ctl.pop();
                }
                Ok(())
            }
        }
    }

    fn top(&mut self) -> Result<&mut Frame<'p>, ExecError> {
        self.frames.last_mut().ok_or(ExecError {
            loc: None,
            kind: ExecErrorKind::Protocol("the program has no frame".into()),
        })
    }

    fn var_loc(&self, v: VarId) -> Loc {
        self.p
            .vars
            .get(v.0 as usize)
            .map(|var| var.loc)
            .unwrap_or_default()
    }

    fn step_limit(&self) -> ExecError {
        let limit = self.limits.max_steps;
        let ctl = self.frames.last().map(|f| f.ctl.as_slice()).unwrap_or(&[]);
        let (what, loc) = ctl
            .iter()
            .rev()
            .find_map(|c| match c {
                Ctl::While { loc, .. } => {
                    Some((format!("the while loop at line {}", loc.line), *loc))
                }
                Ctl::For { loc, .. } => Some((format!("the for loop at line {}", loc.line), *loc)),
                Ctl::Block { .. } => None,
            })
            .map_or(("the program".to_string(), None), |(w, l)| (w, Some(l)));
        ExecError {
            loc,
            kind: ExecErrorKind::StepLimit { what, limit },
        }
    }

    /// Run phase one of a statement: evaluation without effects. `Ok(None)` means a call was
    /// started instead and the statement will be evaluated again when it returns.
    fn evaluate<T>(
        &mut self,
        f: impl FnOnce(&mut Cx<'_, 'p>) -> Result<T, Flow>,
    ) -> Result<Option<T>, ExecError> {
        let r = {
            let mut cx = Cx {
                exec: self,
                cursor: 0,
                call: None,
            };
            f(&mut cx)
        };
        match r {
            Ok(v) => Ok(Some(v)),
            Err(Flow::Err(e)) => Err(e),
            Err(Flow::Call(req)) => {
                self.start_call(req)?;
                Ok(None)
            }
        }
    }

    fn start_call(&mut self, req: CallReq) -> Result<(), ExecError> {
        if self.frames.len() > self.limits.max_call_depth as usize {
            return Err(ExecError {
                loc: Some(req.loc),
                kind: ExecErrorKind::CallDepth(self.limits.max_call_depth),
            });
        }
        let sub = self.p.subroutines.get(req.sub.0 as usize).ok_or_else(|| {
            program_error(format!("subroutine #{} does not exist", req.sub.0), req.loc)
        })?;
        self.frames.push(Frame {
            sub: Some(req.sub),
            qubits: req.qubits,
            locals: req.locals,
            ctl: vec![Ctl::Block {
                stmts: &sub.body,
                pc: 0,
            }],
            results: Vec::new(),
        });
        Ok(())
    }

    /// The control stack of the current frame is empty: the subroutine ends without `return`,
    /// or the program ends.
    fn fall_off(&mut self) -> Result<(), ExecError> {
        let sub = self.frames.last().and_then(|f| f.sub);
        match sub.and_then(|s| self.p.subroutines.get(s.0 as usize)) {
            None => {
                self.done = true;
                Ok(())
            }
            Some(s) if s.ret.is_some() => Err(program_error(
                format!("subroutine '{}' ended without returning a value", s.name),
                s.loc,
            )),
            Some(_) => self.finish_call(Value::Bits(Vec::new())),
        }
    }

    /// Pop the current frame and hand its value to the caller's statement.
    fn finish_call(&mut self, value: Value) -> Result<(), ExecError> {
        self.frames.pop();
        self.top()?.results.push(value);
        Ok(())
    }

    fn advance(&mut self) -> Result<(), ExecError> {
        let frame = self.top()?;
        frame.results.clear();
        if let Some(Ctl::Block { pc, .. }) = frame.ctl.last_mut() {
            *pc += 1;
        }
        Ok(())
    }

    fn push_block(&mut self, stmts: &'p [Stmt]) -> Result<(), ExecError> {
        if !stmts.is_empty() {
            self.top()?.ctl.push(Ctl::Block { stmts, pc: 0 });
        }
        Ok(())
    }

    fn statement(&mut self, s: &'p Stmt) -> Result<(), ExecError> {
        let p = self.p;
        match s {
            Stmt::Gate {
                gate,
                params,
                qubits,
                loc,
            } => {
                let loc = *loc;
                let entry = p.circuit.gates.get(gate.0 as usize).ok_or_else(|| {
                    program_error(format!("gate #{} is not in the gate table", gate.0), loc)
                })?;
                let (arity, nparams) = (entry.num_qubits as usize, entry.num_params as usize);
                if params.len() != nparams || qubits.len() != arity {
                    return Err(program_error(
                        format!(
                            "gate '{}' takes {nparams} parameter(s) and {arity} qubit(s), not {} and {}",
                            entry.name,
                            params.len(),
                            qubits.len()
                        ),
                        loc,
                    ));
                }
                let Some((angles, lists)) = self.evaluate(|cx| {
                    let angles = params
                        .iter()
                        .map(|e| cx.real(e, loc))
                        .collect::<Result<Vec<_>, _>>()?;
                    let lists = qubits
                        .iter()
                        .map(|q| cx.qubits(q))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok((angles, lists))
                })?
                else {
                    return Ok(());
                };
                let n = broadcast_len(&lists, loc)?;
                for i in 0..n {
                    // A one-qubit operand repeats across the broadcast.
                    let qs: Vec<u32> = lists
                        .iter()
                        .filter_map(|l| l.get(i).or_else(|| l.first()).copied())
                        .collect();
                    if let Some(q) = duplicate(&qs) {
                        return Err(program_error(
                            format!(
                                "qubit {q} is used twice in one application of '{}'",
                                entry.name
                            ),
                            loc,
                        ));
                    }
                    self.pending.push_back(Pending::Event(Event::Gate {
                        gate: *gate,
                        params: angles.clone(),
                        qubits: qs,
                    }));
                }
                self.advance()
            }
            Stmt::Measure {
                qubits,
                target,
                loc,
            } => {
                let loc = *loc;
                let Some((qs, sels)) = self.evaluate(|cx| {
                    let qs = cx.qubits(qubits)?;
                    let sels = match target {
                        Some(t) => Some(cx.selectors(&t.index, loc)?),
                        None => None,
                    };
                    Ok((qs, sels))
                })?
                else {
                    return Ok(());
                };
                let targets = match (target, sels) {
                    (Some(t), Some(sels)) => self.measure_targets(t.var, sels, qs.len(), loc)?,
                    _ => vec![None; qs.len()],
                };
                for (q, to) in qs.into_iter().zip(targets) {
                    self.pending.push_back(Pending::Measure { qubit: q, to });
                }
                self.advance()
            }
            Stmt::Reset { qubits, .. } => {
                let Some(qs) = self.evaluate(|cx| cx.qubits(qubits))? else {
                    return Ok(());
                };
                for q in qs {
                    self.pending
                        .push_back(Pending::Event(Event::Reset { qubit: q }));
                }
                self.advance()
            }
            Stmt::Barrier { qubits, .. } => {
                let Some(qs) = self.evaluate(|cx| cx.all_qubits(qubits))? else {
                    return Ok(());
                };
                self.pending
                    .push_back(Pending::Event(Event::Barrier { qubits: qs }));
                self.advance()
            }
            Stmt::Delay {
                duration,
                qubits,
                loc,
            } => {
                let loc = *loc;
                let Some((d, qs)) =
                    self.evaluate(|cx| Ok((cx.value(duration, loc)?, cx.all_qubits(qubits)?)))?
                else {
                    return Ok(());
                };
                let Value::Duration { ns, dt } = d else {
                    return Err(program_error("a delay needs a duration", loc));
                };
                self.pending
                    .push_back(Pending::Event(Event::Delay { ns, dt, qubits: qs }));
                self.advance()
            }
            Stmt::Declare { var, init, loc } => {
                let loc = *loc;
                let decl = p.vars.get(var.0 as usize).ok_or_else(|| {
                    program_error(format!("variable #{} does not exist", var.0), loc)
                })?;
                if decl.kind == VarKind::Input {
                    // Inputs are bound before the run; their declaration keeps the value.
                    if self
                        .globals
                        .get(var.0 as usize)
                        .is_some_and(Option::is_some)
                    {
                        return self.advance();
                    }
                    return Err(ExecError {
                        loc: Some(loc),
                        kind: ExecErrorKind::MissingInput {
                            name: decl.name.clone(),
                            ty: decl.ty.to_string(),
                        },
                    });
                }
                let Some(value) = self.evaluate(|cx| match init {
                    Some(e) => cx.value(e, loc),
                    None => zero(&decl.ty).map_err(|e| Flow::Err(e.at(loc).into())),
                })?
                else {
                    return Ok(());
                };
                self.advance()?;
                self.declare(*var, value, loc)
            }
            Stmt::Assign {
                target,
                op,
                value,
                loc,
            } => {
                let loc = *loc;
                let Some((v, sels)) = self.evaluate(|cx| {
                    Ok((cx.value(value, loc)?, cx.selectors(&target.index, loc)?))
                })?
                else {
                    return Ok(());
                };
                let v = match op {
                    Some(op) => {
                        let whole = self.read(target.var, loc)?;
                        let width = self.int_width(target.var);
                        let current = index_value(&whole, &sels, width).map_err(|e| e.at(loc))?;
                        super::eval::binary(*op, &current, &v).map_err(|e| e.at(loc))?
                    }
                    None => v,
                };
                self.advance()?;
                self.store_into(target.var, &sels, v, loc)
            }
            Stmt::Expr { value, loc } => {
                let loc = *loc;
                // An extern called for its effect alone is skipped; its arguments still run.
                let done = match value {
                    ClassicalExpr::Extern(_, args, _) => self.evaluate(|cx| {
                        for a in args {
                            cx.value(a, loc)?;
                        }
                        Ok(())
                    })?,
                    e => self.evaluate(|cx| cx.value(e, loc).map(|_| ()))?,
                };
                match done {
                    Some(()) => self.advance(),
                    None => Ok(()),
                }
            }
            Stmt::If {
                cond,
                then_body,
                else_body,
                loc,
            } => {
                let Some(go) = self.evaluate(|cx| cx.cond(cond, *loc))? else {
                    return Ok(());
                };
                self.advance()?;
                self.push_block(if go { then_body } else { else_body })
            }
            Stmt::For {
                var,
                iter,
                body,
                loc,
            } => {
                let loc = *loc;
                let Some(items) = self.evaluate(|cx| cx.items(iter, loc))? else {
                    return Ok(());
                };
                self.advance()?;
                self.top()?.ctl.push(Ctl::For {
                    var: *var,
                    items,
                    body,
                    loc,
                });
                Ok(())
            }
            Stmt::While { cond, body, loc } => {
                self.advance()?;
                self.top()?.ctl.push(Ctl::While {
                    cond,
                    body,
                    loc: *loc,
                });
                Ok(())
            }
            Stmt::Switch {
                target,
                cases,
                default,
                loc,
            } => {
                let loc = *loc;
                let Some(chosen) = self.evaluate(|cx| {
                    let t = cx.integer(target, loc)?;
                    for case in cases {
                        for v in &case.values {
                            if cx.integer(v, loc)? == t {
                                return Ok(Some(case.body.as_slice()));
                            }
                        }
                    }
                    Ok(default.as_ref().map(|b| b.as_slice()))
                })?
                else {
                    return Ok(());
                };
                self.advance()?;
                match chosen {
                    Some(body) => self.push_block(body),
                    None => Ok(()),
                }
            }
            Stmt::Break { loc } | Stmt::Continue { loc } => {
                let brk = matches!(s, Stmt::Break { .. });
                let frame = self.top()?;
                frame.results.clear();
                loop {
                    match frame.ctl.last() {
                        None | Some(Ctl::Block { .. }) if frame.ctl.len() <= 1 => {
                            return Err(program_error(
                                if brk {
                                    "break outside a loop"
                                } else {
                                    "continue outside a loop"
                                },
                                *loc,
                            ));
                        }
                        Some(Ctl::For { .. } | Ctl::While { .. }) => {
                            if brk {
                                frame.ctl.pop();
                            }
                            return Ok(());
                        }
                        _ => {
                            frame.ctl.pop();
                        }
                    }
                }
            }
            Stmt::End { .. } => {
                self.advance()?;
                self.done = true;
                Ok(())
            }
            Stmt::Return { value, loc } => {
                let loc = *loc;
                let Some(v) = self.evaluate(|cx| match value {
                    Some(e) => cx.value(e, loc).map(Some),
                    None => Ok(None),
                })?
                else {
                    return Ok(());
                };
                let sub = self.frames.last().and_then(|f| f.sub);
                let Some(sub) = sub.and_then(|s| p.subroutines.get(s.0 as usize)) else {
                    // `return` at global scope ends the program.
                    self.advance()?;
                    self.done = true;
                    return Ok(());
                };
                let v = match (&sub.ret, v) {
                    (Some(ty), Some(v)) => cast(&v, ty).map_err(|e| e.at(loc))?,
                    (None, _) => Value::Bits(Vec::new()),
                    (Some(ty), None) => {
                        return Err(program_error(
                            format!("subroutine '{}' must return a {ty}", sub.name),
                            loc,
                        ));
                    }
                };
                self.finish_call(v)
            }
            Stmt::Box { body, .. } => {
                self.advance()?;
                self.push_block(body)
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Variables.

    fn int_width(&self, v: VarId) -> u32 {
        match self.p.vars.get(v.0 as usize).map(|var| &var.ty) {
            Some(Type::Int(w) | Type::Uint(w)) => w.unwrap_or(64),
            Some(Type::Bits(n)) => *n,
            _ => 64,
        }
    }

    /// The value of a variable as the current frame sees it.
    fn lookup(&self, v: VarId) -> Option<&Value> {
        let frame = self.frames.last()?;
        if frame.sub.is_some()
            && let Some((_, value)) = frame.locals.iter().rev().find(|(id, _)| *id == v)
        {
            return Some(value);
        }
        self.globals.get(v.0 as usize).and_then(Option::as_ref)
    }

    fn read(&self, v: VarId, loc: Loc) -> Result<Value, ExecError> {
        self.lookup(v)
            .cloned()
            .ok_or_else(|| ExecError::from(EvalError::unknown(v).at(loc)))
    }

    /// (Re)initialise a variable in the current scope, cast to its type.
    fn declare(&mut self, v: VarId, value: Value, loc: Loc) -> Result<(), ExecError> {
        let var = self
            .p
            .vars
            .get(v.0 as usize)
            .ok_or_else(|| program_error(format!("variable #{} does not exist", v.0), loc))?;
        let value = cast(&value, &var.ty).map_err(|e| e.at(loc))?;
        let frame = self.top()?;
        if frame.sub.is_some() {
            match frame.locals.iter_mut().rev().find(|(id, _)| *id == v) {
                Some(slot) => slot.1 = value,
                None => frame.locals.push((v, value)),
            }
        } else if let Some(slot) = self.globals.get_mut(v.0 as usize) {
            *slot = Some(value);
        }
        Ok(())
    }

    /// Store into `v[sels]` and cast the whole to its type.
    fn store_into(
        &mut self,
        v: VarId,
        sels: &[Selector],
        value: Value,
        loc: Loc,
    ) -> Result<(), ExecError> {
        let ty = self
            .p
            .vars
            .get(v.0 as usize)
            .map(|var| var.ty.clone())
            .ok_or_else(|| program_error(format!("variable #{} does not exist", v.0), loc))?;
        let new = if sels.is_empty() {
            value
        } else {
            let whole = match self.lookup(v) {
                Some(w) => w.clone(),
                None => zero(&ty).map_err(|e| e.at(loc))?,
            };
            store_in(&whole, sels, value, self.int_width(v)).map_err(|e| e.at(loc))?
        };
        let new = cast(&new, &ty).map_err(|e| e.at(loc))?;
        let frame = self.top()?;
        if frame.sub.is_some()
            && let Some(slot) = frame.locals.iter_mut().rev().find(|(id, _)| *id == v)
        {
            slot.1 = new;
            return Ok(());
        }
        if frame.sub.is_some() {
            frame.locals.push((v, new));
        } else if let Some(slot) = self.globals.get_mut(v.0 as usize) {
            *slot = Some(new);
        }
        Ok(())
    }

    /// Where each of `n` measured qubits goes in `var[sels]`.
    fn measure_targets(
        &self,
        var: VarId,
        sels: Vec<Selector>,
        n: usize,
        loc: Loc,
    ) -> Result<Vec<Option<StoreAt>>, ExecError> {
        if n == 1 {
            return Ok(vec![Some(StoreAt { var, sels, loc })]);
        }
        // A broadcast measurement fills a register (or a slice of one) bit by bit.
        let len = match self.p.vars.get(var.0 as usize).map(|v| &v.ty) {
            Some(Type::Bits(len)) => u64::from(*len),
            _ => {
                return Err(program_error(
                    format!("{n} measured qubits need a bit register to go to"),
                    loc,
                ));
            }
        };
        let positions: Vec<usize> = match sels.as_slice() {
            [] => (0..len as usize).collect(),
            [s] => s.positions(len).map_err(|e| e.at(loc))?,
            _ => {
                return Err(program_error(
                    "a measured register's target has too many indices",
                    loc,
                ));
            }
        };
        if positions.len() != n {
            return Err(program_error(
                format!("{n} measured qubits stored into {} bits", positions.len()),
                loc,
            ));
        }
        Ok(positions
            .into_iter()
            .map(|p| {
                Some(StoreAt {
                    var,
                    sels: vec![Selector::Single(p as i128)],
                    loc,
                })
            })
            .collect())
    }
}

fn broadcast_len(lists: &[Vec<u32>], loc: Loc) -> Result<usize, ExecError> {
    let mut n = 1;
    for l in lists {
        match l.len() {
            0 => return Err(program_error("an operand with no qubits", loc)),
            1 => {}
            k if n == 1 || n == k => n = k,
            k => {
                return Err(program_error(
                    format!("operands of {n} and {k} qubits cannot be broadcast together"),
                    loc,
                ));
            }
        }
    }
    Ok(n)
}

fn duplicate(qs: &[u32]) -> Option<u32> {
    qs.iter()
        .enumerate()
        .find_map(|(i, q)| qs.get(..i).filter(|before| before.contains(q)).map(|_| *q))
}

/// The evaluation context of one statement: the interpreter's state read-only, the call
/// results consumed so far, and the call to run when one is missing.
struct Cx<'a, 'p> {
    exec: &'a Exec<'p>,
    cursor: usize,
    call: Option<CallReq>,
}

impl<'p> Cx<'_, 'p> {
    fn flow(&mut self, e: EvalError, loc: Loc) -> Flow {
        match (e.kind == EvalErrorKind::Pending, self.call.take()) {
            (true, Some(req)) => Flow::Call(req),
            _ => Flow::Err(e.at(loc).into()),
        }
    }

    fn value(&mut self, e: &ClassicalExpr, loc: Loc) -> Result<Value, Flow> {
        eval(e, self).map_err(|err| self.flow(err, loc))
    }

    fn cond(&mut self, e: &ClassicalExpr, loc: Loc) -> Result<bool, Flow> {
        let v = self.value(e, loc)?;
        truthy(&v).map_err(|err| Flow::Err(err.at(loc).into()))
    }

    fn integer(&mut self, e: &ClassicalExpr, loc: Loc) -> Result<i128, Flow> {
        let v = self.value(e, loc)?;
        to_index(&v).map_err(|err| Flow::Err(err.at(loc).into()))
    }

    fn real(&mut self, e: &ClassicalExpr, loc: Loc) -> Result<f64, Flow> {
        match self.value(e, loc)? {
            Value::Float(f) | Value::Angle(f) => Ok(f),
            Value::Int(i) => Ok(i as f64),
            Value::Uint(u) => Ok(u as f64),
            Value::Bool(b) | Value::Bit(b) => Ok(f64::from(u8::from(b))),
            other => Err(Flow::Err(program_error(
                format!(
                    "a gate parameter must be a real number, not {}",
                    super::eval_error::kind_name(&other)
                ),
                loc,
            ))),
        }
    }

    fn selectors(&mut self, ix: &[Index], loc: Loc) -> Result<Vec<Selector>, Flow> {
        ix.iter()
            .map(|i| eval_index(i, self).map_err(|err| self.flow(err, loc)))
            .collect()
    }

    /// The global qubits an operand names, in order.
    fn qubits(&mut self, op: &Operand) -> Result<Vec<u32>, Flow> {
        let loc = op.loc;
        let base: Vec<u32> = match op.base {
            QubitBase::Global { start, len } => {
                let end = start
                    .checked_add(len)
                    .filter(|e| *e <= self.exec.p.circuit.num_qubits);
                if end.is_none() {
                    return Err(Flow::Err(program_error(
                        format!(
                            "qubits {start}..{} are beyond the program's {} qubits",
                            u64::from(start) + u64::from(len),
                            self.exec.p.circuit.num_qubits
                        ),
                        loc,
                    )));
                }
                (start..start + len).collect()
            }
            QubitBase::Param(k) => self
                .exec
                .frames
                .last()
                .and_then(|f| f.qubits.get(k as usize))
                .cloned()
                .ok_or_else(|| {
                    Flow::Err(program_error(
                        format!("qubit parameter #{k} is not bound here"),
                        loc,
                    ))
                })?,
        };
        let Some(ix) = &op.index else {
            return Ok(base);
        };
        let sel = eval_index(ix, self).map_err(|err| self.flow(err, loc))?;
        let pos = sel
            .positions(base.len() as u64)
            .map_err(|err| Flow::Err(err.at(loc).into()))?;
        Ok(pos.iter().filter_map(|p| base.get(*p).copied()).collect())
    }

    /// The qubits of a barrier or delay: every qubit when none is named.
    fn all_qubits(&mut self, ops: &[Operand]) -> Result<Vec<u32>, Flow> {
        if ops.is_empty() {
            return Ok((0..self.exec.p.circuit.num_qubits).collect());
        }
        let mut out = Vec::new();
        for op in ops {
            out.extend(self.qubits(op)?);
        }
        Ok(out)
    }

    /// What a `for` loop iterates over, evaluated once at its entry.
    fn items(&mut self, iter: &Iteration, loc: Loc) -> Result<Items, Flow> {
        let err = |e: EvalError| Flow::Err(e.at(loc).into());
        match iter {
            Iteration::Range { start, step, stop } => {
                let (a, s, b) = (
                    self.integer(start, loc)?,
                    self.integer(step, loc)?,
                    self.integer(stop, loc)?,
                );
                if s == 0 {
                    return Err(Flow::Err(program_error("a for loop's step is 0", loc)));
                }
                Ok(Items::Range {
                    next: Some(a),
                    step: s,
                    stop: b,
                })
            }
            Iteration::Set(values) => {
                let vals = values
                    .iter()
                    .map(|v| self.value(v, loc))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Items::List {
                    values: vals.into(),
                    pos: 0,
                })
            }
            Iteration::Values(e) => {
                let values: Vec<Value> = match self.value(e, loc)? {
                    Value::Bits(b) => b.into_iter().map(Value::Bit).collect(),
                    Value::Bit(b) => vec![Value::Bit(b)],
                    Value::Array { dims, items } if dims.len() == 1 => {
                        array_len(&dims).map_err(err)?;
                        items
                    }
                    other => {
                        return Err(Flow::Err(program_error(
                            format!(
                                "a for loop cannot iterate over {}",
                                super::eval_error::kind_name(&other)
                            ),
                            loc,
                        )));
                    }
                };
                Ok(Items::List {
                    values: values.into(),
                    pos: 0,
                })
            }
        }
    }

    /// Evaluate a call's arguments and bind them to the subroutine's parameters.
    fn bind(&mut self, sub: SubId, args: &[CallArg], loc: Loc) -> Result<CallReq, EvalError> {
        let p = self.exec.p;
        let s = p.subroutines.get(sub.0 as usize).ok_or_else(|| {
            super::eval_error::mismatch(format!("subroutine #{} does not exist", sub.0))
        })?;
        if s.params.len() != args.len() {
            return Err(super::eval_error::mismatch(format!(
                "subroutine '{}' takes {} argument(s), not {}",
                s.name,
                s.params.len(),
                args.len()
            )));
        }
        let mut locals = Vec::new();
        let mut qubits = Vec::new();
        for (param, arg) in s.params.iter().zip(args) {
            match (param, arg) {
                (SubParam::Classical(v), CallArg::Classical(e)) => {
                    let value = eval(e, self)?;
                    let ty = p.vars.get(v.0 as usize).map(|var| &var.ty).ok_or_else(|| {
                        super::eval_error::mismatch(format!("variable #{} does not exist", v.0))
                    })?;
                    locals.push((*v, cast(&value, ty)?));
                }
                (SubParam::Qubits { name, size }, CallArg::Qubits(op)) => {
                    let qs = match self.qubits(op) {
                        Ok(qs) => qs,
                        Err(Flow::Call(req)) => {
                            self.call = Some(req);
                            return Err(EvalError::new(EvalErrorKind::Pending));
                        }
                        Err(Flow::Err(e)) => {
                            return Err(match e.kind {
                                ExecErrorKind::Eval(kind) => EvalError { loc: e.loc, kind },
                                other => EvalError {
                                    loc: e.loc,
                                    kind: EvalErrorKind::TypeMismatch(other.to_string()),
                                },
                            });
                        }
                    };
                    let want = size.unwrap_or(1) as usize;
                    if qs.len() != want {
                        return Err(super::eval_error::mismatch(format!(
                            "qubit parameter '{name}' of '{}' takes {want} qubit(s), not {}",
                            s.name,
                            qs.len()
                        )));
                    }
                    qubits.push(qs);
                }
                _ => {
                    return Err(super::eval_error::mismatch(format!(
                        "an argument of '{}' is of the wrong kind (qubit or classical)",
                        s.name
                    )));
                }
            }
        }
        Ok(CallReq {
            sub,
            locals,
            qubits,
            loc,
        })
    }
}

impl Host for Cx<'_, '_> {
    fn var(&self, v: VarId) -> Result<Value, EvalError> {
        self.exec.lookup(v).cloned().ok_or(EvalError::unknown(v))
    }

    fn call(&mut self, sub: SubId, args: &[CallArg], loc: Loc) -> Result<Value, EvalError> {
        let req = self.bind(sub, args, loc)?;
        let finished = self
            .exec
            .frames
            .last()
            .map_or(&[][..], |f| f.results.as_slice());
        if let Some(v) = finished.get(self.cursor) {
            self.cursor += 1;
            return Ok(v.clone());
        }
        self.call = Some(req);
        Err(EvalError::new(EvalErrorKind::Pending).at(loc))
    }

    fn extern_call(&mut self, ext: u32, _args: &[Value], loc: Loc) -> Result<Value, EvalError> {
        let name = self
            .exec
            .p
            .externs
            .get(ext as usize)
            .map_or_else(|| format!("#{ext}"), |e| e.name.clone());
        Err(EvalError::new(EvalErrorKind::Extern(format!(
            "extern '{name}' is called and its value is needed: externs have no body here"
        )))
        .at(loc))
    }

    fn int_width(&self, v: VarId) -> Option<u32> {
        Some(self.exec.int_width(v))
    }
}

#[cfg(test)]
#[path = "exec_tests.rs"]
mod tests;
