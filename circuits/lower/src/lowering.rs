//! The lowering pass: a circuit in, a scheduled native program out, with the fidelity cost of every approximation.

use smallvec::SmallVec;

use crate::decompose::Basic;
use crate::program::{NativeOp, NativeProgram, TimedOp};
use crate::target::{TargetDesc, TargetKind};
use eqisa_ir::circuit::{Circuit, CondExpr, CondOp, GateId, Op, TimeUnit};
use eqisa_ir::matrix::Matrix;

use crate::walk::{Pending, gate_basics};
use eqisa_synth::gridsynth::{MAX_EPSILON, MIN_EPSILON};

/// Why a circuit cannot be lowered. [`LowerError::located`] names the circuit's file too.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LowerError {
    /// A gate has no decomposition (`line`: where it is first used).
    #[error("line {line}: gate '{gate}' cannot be lowered: {reason}")]
    Gate {
        /// The gate's name in the source.
        gate: String,
        /// Line of its first use.
        line: u32,
        /// Why.
        reason: String,
    },
    /// A single-qubit rotation that gate makes cannot be synthesised (`line`: the gate's first
    /// use).
    #[error("line {line}: synthesising a rotation of gate '{gate}': {reason}")]
    Synthesis {
        /// The gate's name in the source.
        gate: String,
        /// Line of its first use.
        line: u32,
        /// Why.
        reason: String,
    },
    /// A Clifford+T result whose bound falls short of the fidelity budget.
    #[error(
        "the fidelity budget {requested} cannot be met: the approximations reach only {bound:.6} (use a finer synthesis, or a lower --fidelity)"
    )]
    BudgetNotMet {
        /// The budget asked for.
        requested: f64,
        /// The bound reached.
        bound: f64,
    },
    /// An exact budget on Clifford+T, where a rotation has no exact form.
    #[error(
        "line {line}: gate '{gate}' makes {rotation}, which has no exact Clifford+T form, and the budget is exact (give a fidelity or an eps budget)"
    )]
    Inexact {
        /// The gate's name in the source.
        gate: String,
        /// Line of its first use.
        line: u32,
        /// The rotation without an exact form.
        rotation: String,
    },
    /// A fidelity budget of 1 on Clifford+T, where a rotation has no exact form.
    #[error(
        "line {line}: a fidelity of 1 needs exact synthesis, but gate '{gate}' makes {rotation}, which has no exact Clifford+T form; give a fidelity below 1 (e.g. 0.9999999999999999) or an --eps of at least {MIN_EPSILON:e}"
    )]
    NeedsExact {
        /// The gate's name in the source.
        gate: String,
        /// Line of its first use.
        line: u32,
        /// The rotation without an exact form.
        rotation: String,
    },
    /// A fidelity budget whose share per rotation is finer than gridsynth reaches.
    #[error(
        "the fidelity budget {requested} over {rotations} approximated rotations needs each within eps {eps:.3e}, finer than gridsynth's {MIN_EPSILON:e}; the best reachable is fidelity 1 - {best_infidelity:.3e} (give a lower --fidelity)"
    )]
    FidelityTooFine {
        /// The budget asked for.
        requested: f64,
        /// Rotations to approximate.
        rotations: u64,
        /// The per-rotation error the budget implies.
        eps: f64,
        /// The infidelity bound at gridsynth's finest eps.
        best_infidelity: f64,
    },
    /// The synthesiser cannot be built (a Solovay–Kitaev depth above the limit).
    #[error("{0}")]
    Setup(String),
}

impl LowerError {
    /// The message with `file` in front, as `file:line: ...` where the error has a line (the
    /// parser's `file:line:col` form, without a column: the gate's first use is a line).
    pub fn located(&self, file: &str) -> String {
        let msg = self.to_string();
        match self {
            LowerError::Gate { line, .. }
            | LowerError::Synthesis { line, .. }
            | LowerError::Inexact { line, .. }
            | LowerError::NeedsExact { line, .. } => {
                let rest = msg.strip_prefix(&format!("line {line}: ")).unwrap_or(&msg);
                format!("{file}:{line}: {rest}")
            }
            _ => format!("{file}: {msg}"),
        }
    }
}

/// How to lower: the synthesis method (Clifford+T target) and the fidelity budget (both targets:
/// it sets the Clifford+T synthesis error and the native target's rz angle precision;
/// [`crate::clifford_t::Budget::Exact`] keeps native angles exact).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LowerOptions {
    pub synth: crate::clifford_t::Synth,
    pub budget: crate::clifford_t::Budget,
}

impl Default for LowerOptions {
    fn default() -> Self {
        LowerOptions {
            synth: crate::clifford_t::Synth::Gridsynth,
            budget: crate::clifford_t::Budget::Fidelity(0.999),
        }
    }
}

/// The result of lowering: the scheduled program and what the approximations cost.
#[derive(Clone, Debug, PartialEq)]
pub struct Lowered {
    pub program: NativeProgram,
    /// A lower bound on the fidelity of the program's state with the source's, from the
    /// per-rotation synthesis or quantisation errors (1 when nothing was approximated).
    pub fidelity_bound: f64,
    /// Rotations approximated: synthesised approximately (Clifford+T), or whose angle moved when
    /// snapped to the grid (native).
    pub approximated_rotations: u64,
}

/// Builds the op list, merging consecutive unconditional `rz` on a qubit (they are virtual).
struct Emitter {
    ops: Vec<TimedOp>,
    pending_rz: Vec<f64>,
    conditions: Vec<CondExpr>,
    /// Index of each distinct condition in `conditions`: identical conditions share one entry.
    condition_index: rustc_hash::FxHashMap<CondExpr, u32>,
}

impl Emitter {
    fn flush(&mut self, q: u32) {
        if let Some(a) = self.pending_rz.get_mut(q as usize) {
            let angle = crate::native::wrap(*a);
            *a = 0.0;
            if angle != 0.0 {
                self.ops.push(TimedOp {
                    op: NativeOp::Rz(angle),
                    qubits: SmallVec::from_slice(&[q]),
                    cond: None,
                    start_ns: 0.0,
                    duration_ns: 0.0,
                });
            }
        }
    }

    fn push(&mut self, op: NativeOp, qubits: &[u32], cond: Option<u32>) {
        if let (NativeOp::Rz(a), None, [q]) = (op, cond, qubits)
            && let Some(p) = self.pending_rz.get_mut(*q as usize)
        {
            *p += a;
            return;
        }
        for &q in qubits {
            self.flush(q);
        }
        self.ops.push(TimedOp {
            op,
            qubits: SmallVec::from_slice(qubits),
            cond,
            start_ns: 0.0,
            duration_ns: 0.0,
        });
    }

    fn flush_all(&mut self) {
        for q in 0..self.pending_rz.len() as u32 {
            self.flush(q);
        }
    }
}

/// Lowering state for one circuit.
struct Lowering<'c> {
    circuit: &'c Circuit,
    target: &'c TargetDesc,
    out: Emitter,
    /// Unconditional single-qubit unitaries not yet emitted.
    pending: Pending,
    /// Clifford+T synthesis (absent on the native target).
    synth: Option<crate::clifford_t::Synthesizer>,
    /// The first synthesis failure and the gate blamed for it; checked after each operation.
    failure: Option<(crate::clifford_t::SynthError, Option<GateId>)>,
    /// The gate being lowered.
    current: Option<GateId>,
    /// Per qubit, the last gate whose single-qubit part is pending: a failure to synthesise
    /// the pending unitary is blamed on it, not on the gate that happens to flush it.
    pending_gate: Vec<Option<GateId>>,
    scratch: Vec<NativeOp>,
}

impl Lowering<'_> {
    /// Emit the pending single-qubit unitary of `q`, if any.
    fn flush(&mut self, q: u32) {
        if let Some(u) = self.pending.take(q) {
            let blame = self
                .pending_gate
                .get_mut(q as usize)
                .and_then(Option::take)
                .or(self.current);
            self.synthesise(&u, q, None, blame);
        }
    }

    /// The error for the first synthesis failure, if any, naming the gate blamed for it.
    fn take_failure(&mut self) -> Option<LowerError> {
        let (e, blame) = self.failure.take()?;
        let (gate, line) = match blame {
            Some(g) => {
                let entry = self.circuit.gate(g);
                (entry.name.clone(), entry.first_use)
            }
            None => ("(unknown)".into(), 0),
        };
        Some(match e {
            crate::clifford_t::SynthError::Inexact(rotation) => LowerError::Inexact {
                gate,
                line,
                rotation,
            },
            e => LowerError::Synthesis {
                gate,
                line,
                reason: e.to_string(),
            },
        })
    }

    /// Apply `u` after whatever is pending on `q` (without emitting).
    fn pre_multiply(&mut self, q: u32, u: &Matrix) {
        self.pending.apply(q, u.clone());
    }

    fn flush_qubits(&mut self, qubits: &[u32]) {
        for &q in qubits {
            self.flush(q);
        }
    }

    fn basic(&mut self, b: &Basic, cond: Option<u32>) {
        match b {
            Basic::One { u, q } if cond.is_none() => {
                self.pending.apply(*q, u.clone());
                if let Some(g) = self.pending_gate.get_mut(*q as usize) {
                    *g = self.current;
                }
            }
            Basic::One { u, q } => {
                self.flush(*q);
                self.one_qubit(u, *q, cond)
            }
            Basic::Cx { c, t } => self.cx(*c, *t, cond),
            // A global phase is unobservable at the top level of a program.
            Basic::Phase(_) => {}
        }
    }

    fn cx(&mut self, c: u32, t: u32, cond: Option<u32>) {
        match self.target.kind {
            // cx = (rz(−π/2) ⊗ rz(−π)·sx·rz(−π)) then ecr, then x on the control (Qiskit's
            // equivalence, up to global phase); the single-qubit parts fuse.
            TargetKind::Native if self.target.two_qubit == crate::target::TwoQubit::Ecr => {
                let pi = std::f64::consts::PI;
                let before_c = eqisa_synth::euler::rz(-pi / 2.0);
                let sx = fixed_gate(eqisa_ir::gates::StandardGate::Sx);
                let before_t = eqisa_synth::euler::rz(-pi)
                    .mul(&sx)
                    .mul(&eqisa_synth::euler::rz(-pi));
                let x = fixed_gate(eqisa_ir::gates::StandardGate::X);
                if cond.is_none() {
                    self.pre_multiply(c, &before_c);
                    self.pre_multiply(t, &before_t);
                    self.flush_qubits(&[c, t]);
                    self.out.push(NativeOp::Ecr, &[c, t], None);
                    self.pre_multiply(c, &x);
                } else {
                    self.flush_qubits(&[c, t]);
                    self.one_qubit(&before_c, c, cond);
                    self.one_qubit(&before_t, t, cond);
                    self.out.push(NativeOp::Ecr, &[c, t], cond);
                    self.one_qubit(&x, c, cond);
                }
            }
            // cx = h·cz·h on the target; unconditional h's fuse with their neighbours.
            TargetKind::Native if cond.is_none() => {
                let h = hadamard();
                self.pending.apply(t, h.clone());
                self.flush_qubits(&[c, t]);
                self.out.push(NativeOp::Cz, &[c, t], None);
                self.pending.set(t, h);
            }
            TargetKind::Native => {
                self.flush_qubits(&[c, t]);
                let h = hadamard();
                self.one_qubit(&h, t, cond);
                self.out.push(NativeOp::Cz, &[c, t], cond);
                self.one_qubit(&h, t, cond);
            }
            TargetKind::CliffordT => {
                self.flush_qubits(&[c, t]);
                self.out.push(NativeOp::Cx, &[c, t], cond)
            }
        }
    }

    fn one_qubit(&mut self, u: &Matrix, q: u32, cond: Option<u32>) {
        let blame = self.current;
        self.synthesise(u, q, cond, blame);
    }

    /// Emit `u` on `q` in the target's forms; a synthesis failure is recorded against `blame`.
    fn synthesise(&mut self, u: &Matrix, q: u32, cond: Option<u32>, blame: Option<GateId>) {
        match &mut self.synth {
            None => {
                for op in crate::native::one_qubit(u) {
                    self.out.push(op, &[q], cond);
                }
            }
            Some(s) => {
                self.scratch.clear();
                if let Err(e) = s.unitary(u, &mut self.scratch) {
                    self.failure.get_or_insert((e, blame));
                }
                for k in 0..self.scratch.len() {
                    let op = self.scratch[k];
                    self.out.push(op, &[q], cond);
                }
            }
        }
    }

    fn ops(&mut self, ops: &[Op], cond: Option<u32>) -> Result<(), LowerError> {
        let c = self.circuit;
        for op in ops {
            match *op {
                Op::Gate { gate, args, params } => {
                    self.current = Some(gate);
                    let (q, p) = c.gate_operands(gate, args, params);
                    let entry = c.gate(gate);
                    let fail = |reason: String| LowerError::Gate {
                        gate: entry.name.clone(),
                        line: entry.first_use,
                        reason,
                    };
                    let mut basics: Vec<Basic> = Vec::new();
                    gate_basics(c, gate, p, q, &mut basics).map_err(|e| fail(e.to_string()))?;
                    for b in &basics {
                        self.basic(b, cond);
                    }
                    // Pending unitaries are synthesised later; a failure is reported as soon
                    // as a gate reveals it, blamed on the gate the rotation came from.
                    if let Some(e) = self.take_failure() {
                        return Err(e);
                    }
                }
                Op::Measure { qubit, clbit } => {
                    self.flush(qubit);
                    self.out.push(NativeOp::Measure { clbit }, &[qubit], cond)
                }
                Op::Reset { qubit } => {
                    self.flush(qubit);
                    self.out.push(NativeOp::Reset, &[qubit], cond)
                }
                Op::Barrier { args, len } => {
                    let qs = c.barrier_qubits(args, len);
                    self.flush_qubits(qs);
                    self.out.push(NativeOp::Barrier, qs, cond);
                }
                Op::Delay { qubit, duration } => {
                    let d = c.durations[duration as usize];
                    let ns = match d.unit {
                        TimeUnit::Dt => d.value * self.target.dt_ns,
                        TimeUnit::Ns => d.value,
                        TimeUnit::Us => d.value * 1e3,
                        TimeUnit::Ms => d.value * 1e6,
                        TimeUnit::S => d.value * 1e9,
                    };
                    self.flush(qubit);
                    self.out.push(NativeOp::Delay { ns }, &[qubit], cond);
                }
                Op::If { block } => {
                    // Conditional operations stay in order with everything before them.
                    for q in 0..c.num_qubits {
                        self.flush(q);
                    }
                    let b = &c.ifs[block as usize];
                    let then_cond = self.condition(cond, b.cond.clone());
                    self.ops(&b.then_ops, Some(then_cond))?;
                    if !b.else_ops.is_empty() {
                        let else_cond =
                            self.condition(cond, CondExpr::Not(Box::new(b.cond.clone())));
                        self.ops(&b.else_ops, Some(else_cond))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Register a condition, conjoined with the enclosing one.
    fn condition(&mut self, outer: Option<u32>, c: CondExpr) -> u32 {
        let full = match outer.and_then(|o| self.out.conditions.get(o as usize)) {
            Some(o) => CondExpr::Binary(CondOp::And, Box::new(o.clone()), Box::new(c)),
            None => c,
        };
        if let Some(&i) = self.out.condition_index.get(&full) {
            return i;
        }
        let i = self.out.conditions.len() as u32;
        self.out.condition_index.insert(full.clone(), i);
        self.out.conditions.push(full);
        i
    }
}

/// The matrix of a parameterless library gate.
fn fixed_gate(g: eqisa_ir::gates::StandardGate) -> Matrix {
    debug_assert_eq!(g.num_params(), 0);
    // `matrix` fails only on a wrong parameter count, impossible for a parameterless gate.
    g.matrix(&[])
        .unwrap_or_else(|_| Matrix::identity(g.num_qubits()))
}

fn hadamard() -> Matrix {
    fixed_gate(eqisa_ir::gates::StandardGate::H)
}

/// What a lowering carries from one part of a circuit to the next: emitted operations not yet
/// taken, pending unitaries and rz angles per qubit, the conditions, the synthesiser.
pub(crate) struct Carry {
    out: Emitter,
    pending: Pending,
    synth: Option<crate::clifford_t::Synthesizer>,
    pending_gate: Vec<Option<GateId>>,
    scratch: Vec<NativeOp>,
}

impl Carry {
    pub(crate) fn new(num_qubits: u32, synth: Option<crate::clifford_t::Synthesizer>) -> Carry {
        Carry {
            out: Emitter {
                ops: Vec::new(),
                pending_rz: vec![0.0; num_qubits as usize],
                conditions: Vec::new(),
                condition_index: rustc_hash::FxHashMap::default(),
            },
            pending: Pending::new(num_qubits),
            synth,
            pending_gate: vec![None; num_qubits as usize],
            scratch: Vec::new(),
        }
    }

    /// Room for `num_qubits` qubits.
    fn grow(&mut self, num_qubits: u32) {
        let n = num_qubits as usize;
        if self.out.pending_rz.len() < n {
            self.out.pending_rz.resize(n, 0.0);
            self.pending_gate.resize(n, None);
            self.pending.grow(num_qubits);
        }
    }

    /// Operations emitted so far, in order (those still pending on a qubit are not).
    pub(crate) fn take_ops(&mut self) -> Vec<TimedOp> {
        std::mem::take(&mut self.out.ops)
    }

    /// The conditions of the operations emitted so far.
    pub(crate) fn conditions(&self) -> &[CondExpr] {
        &self.out.conditions
    }

    pub(crate) fn synth(&self) -> Option<&crate::clifford_t::Synthesizer> {
        self.synth.as_ref()
    }

    /// Lowers `c`'s operations (a whole circuit, or one part of it whose registers and gates
    /// are the whole circuit's so far); with `last`, emits everything still pending.
    pub(crate) fn lower_part(
        &mut self,
        c: &Circuit,
        target: &TargetDesc,
        last: bool,
    ) -> Result<(), LowerError> {
        self.grow(c.num_qubits);
        let carry = std::mem::replace(self, Carry::new(0, None));
        let mut l = Lowering {
            circuit: c,
            target,
            out: carry.out,
            pending: carry.pending,
            synth: carry.synth,
            failure: None,
            current: None,
            pending_gate: carry.pending_gate,
            scratch: carry.scratch,
        };
        let result = l.ops(&c.ops, None);
        if result.is_ok() && last {
            l.current = None;
            for q in 0..c.num_qubits {
                l.flush(q);
            }
        }
        let failure = l.take_failure();
        if last {
            l.out.flush_all();
        }
        *self = Carry {
            out: l.out,
            pending: l.pending,
            synth: l.synth,
            pending_gate: l.pending_gate,
            scratch: l.scratch,
        };
        result?;
        failure.map_or(Ok(()), Err)
    }
}

/// One lowering pass with the given synthesiser (none on the native target).
fn run(
    c: &Circuit,
    target: &TargetDesc,
    synth: Option<crate::clifford_t::Synthesizer>,
) -> Result<(NativeProgram, Option<crate::clifford_t::Synthesizer>), LowerError> {
    let mut carry = Carry::new(c.num_qubits, synth);
    carry.lower_part(c, target, true)?;
    let program = NativeProgram {
        target: target.kind,
        num_qubits: c.num_qubits,
        num_clbits: c.num_clbits,
        qregs: c.qregs.clone(),
        cregs: c.cregs.clone(),
        ops: carry.out.ops,
        conditions: carry.out.conditions,
        duration_ns: 0.0,
        angle_bits: eqisa_isa::angle::RAW,
    };
    Ok((program, carry.synth))
}

/// [`lower`] on Clifford+T with a fidelity budget of 1: exact words only, and a rotation without
/// one is reported as what the budget cannot meet.
fn lower_exactly(
    c: &Circuit,
    target: &TargetDesc,
    opts: &LowerOptions,
) -> Result<Lowered, LowerError> {
    let exact = LowerOptions {
        budget: crate::clifford_t::Budget::Exact,
        ..*opts
    };
    lower(c, target, &exact).map_err(|e| match e {
        LowerError::Inexact {
            gate,
            line,
            rotation,
        } => LowerError::NeedsExact {
            gate,
            line,
            rotation,
        },
        other => other,
    })
}

/// Lower a circuit to the target `target` describes, and schedule it. A whole-circuit fidelity
/// budget is split evenly between the rotations it costs: on the Clifford+T target a first pass
/// counts the rotations to approximate; on the native target the program is lowered with exact
/// angles (merged and wrapped), then its rz angles are snapped to the grid at the precision the
/// share of each allows ([`crate::native::quantise`]).
///
/// ```
/// use eqisa_lower::clifford_t::{Budget, Synth};
/// use eqisa_lower::target::{TargetDesc, TargetKind};
/// use eqisa_lower::{LowerOptions, lower};
///
/// let c = eqisa_qasm::parse_str(
///     "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nrz(0.3) q[0];\n",
///     "rz.qasm",
/// )?;
/// let target = TargetDesc::default_for(TargetKind::CliffordT);
/// let opts = LowerOptions { synth: Synth::Gridsynth, budget: Budget::Fidelity(0.999) };
/// let lowered = lower(&c, &target, &opts)?;
/// // rz(0.3) is no Clifford+T gate: gridsynth approximates it within the budget.
/// assert!(lowered.fidelity_bound >= 0.999);
/// assert!(lowered.program.t_count() > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn lower(c: &Circuit, target: &TargetDesc, opts: &LowerOptions) -> Result<Lowered, LowerError> {
    use crate::clifford_t::{Budget, Synthesizer, error_for_fidelity, fidelity_for_error};
    let (mut program, bound, approximated) = match target.kind {
        TargetKind::Native => {
            let (mut program, _) = run(c, target, None)?;
            let q = crate::native::quantise(&mut program, opts.budget);
            (program, fidelity_for_error(q.total_error), q.moved)
        }
        TargetKind::CliffordT => {
            let setup = |e: crate::clifford_t::SynthError| LowerError::Setup(e.to_string());
            let synth = match opts.budget {
                Budget::Exact => Synthesizer::exact(opts.synth),
                Budget::Eps(e) => Synthesizer::new(opts.synth, e).map_err(setup)?,
                // Fidelity 1 leaves no error to share: only exact words can meet it.
                Budget::Fidelity(f) if error_for_fidelity(f) == 0.0 => {
                    return lower_exactly(c, target, opts);
                }
                Budget::Fidelity(f) => {
                    let (_, counted) = run(c, target, Some(Synthesizer::counting(opts.synth)))?;
                    let needed = counted.map_or(0, |s| s.approximations).max(1);
                    let eps = error_for_fidelity(f) / needed as f64;
                    if opts.synth == crate::clifford_t::Synth::Gridsynth && eps < MIN_EPSILON {
                        return Err(LowerError::FidelityTooFine {
                            requested: f,
                            rotations: needed,
                            eps,
                            best_infidelity: crate::clifford_t::infidelity_for_error(
                                MIN_EPSILON * needed as f64,
                            ),
                        });
                    }
                    // A low budget's share may exceed what gridsynth accepts; a finer eps
                    // still meets the budget.
                    let eps = eps.min(MAX_EPSILON / 2.0);
                    Synthesizer::new(opts.synth, eps).map_err(setup)?
                }
            };
            let (program, synth) = run(c, target, Some(synth))?;
            match synth {
                Some(s) => (program, fidelity_for_error(s.total_error), s.approximations),
                None => (program, 1.0, 0),
            }
        }
    };
    program.schedule(target);
    if let crate::clifford_t::Budget::Fidelity(f) = opts.budget
        && bound < f
    {
        return Err(LowerError::BudgetNotMet {
            requested: f,
            bound,
        });
    }
    Ok(Lowered {
        program,
        fidelity_bound: bound,
        approximated_rotations: approximated,
    })
}
