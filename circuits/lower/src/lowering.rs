//! The lowering pass: a circuit in, a scheduled native program out, with the fidelity cost of every approximation.

use smallvec::SmallVec;

use crate::decompose::Basic;
use crate::program::{NativeOp, NativeProgram, TimedOp};
use crate::target::{TargetDesc, TargetKind};
use eqisa_ir::circuit::{Circuit, CondExpr, CondOp, Op, TimeUnit};
use eqisa_ir::matrix::Matrix;

use crate::walk::{Pending, gate_basics};

/// Why a circuit cannot be lowered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LowerError {
    #[error("line {line}: gate '{gate}' cannot be lowered: {reason}")]
    Gate {
        gate: String,
        line: u32,
        reason: String,
    },
    #[error("line {line}: synthesising a rotation of gate '{gate}': {reason}")]
    Synthesis {
        gate: String,
        line: u32,
        reason: String,
    },
    #[error(
        "the fidelity budget {requested} cannot be met: the approximations reach only {bound:.6} (use a finer synthesis, or a lower --fidelity)"
    )]
    BudgetNotMet { requested: f64, bound: f64 },
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
    /// The first synthesis failure; checked after each operation.
    failure: Option<crate::clifford_t::SynthError>,
    scratch: Vec<NativeOp>,
}

impl Lowering<'_> {
    /// Emit the pending single-qubit unitary of `q`, if any.
    fn flush(&mut self, q: u32) {
        if let Some(u) = self.pending.take(q) {
            self.one_qubit(&u, q, None);
        }
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
            Basic::One { u, q } if cond.is_none() => self.pending.apply(*q, u.clone()),
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
        match &mut self.synth {
            None => {
                for op in crate::native::one_qubit(u) {
                    self.out.push(op, &[q], cond);
                }
            }
            Some(s) => {
                self.scratch.clear();
                if let Err(e) = s.unitary(u, &mut self.scratch) {
                    self.failure.get_or_insert(e);
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
                    // Pending unitaries are synthesised later; a failure is reported at the
                    // first gate that reveals it.
                    if let Some(e) = self.failure.take() {
                        return Err(LowerError::Synthesis {
                            gate: entry.name.clone(),
                            line: entry.first_use,
                            reason: e.to_string(),
                        });
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

/// One lowering pass with the given synthesiser (none on the native target).
fn run(
    c: &Circuit,
    target: &TargetDesc,
    synth: Option<crate::clifford_t::Synthesizer>,
) -> Result<(NativeProgram, Option<crate::clifford_t::Synthesizer>), LowerError> {
    let mut l = Lowering {
        circuit: c,
        target,
        out: Emitter {
            ops: Vec::new(),
            pending_rz: vec![0.0; c.num_qubits as usize],
            conditions: Vec::new(),
            condition_index: rustc_hash::FxHashMap::default(),
        },
        pending: Pending::new(c.num_qubits),
        synth,
        failure: None,
        scratch: Vec::new(),
    };
    l.ops(&c.ops, None)?;
    for q in 0..c.num_qubits {
        l.flush(q);
    }
    if let Some(e) = l.failure.take() {
        return Err(LowerError::Synthesis {
            gate: "(final single-qubit gates)".into(),
            line: 0,
            reason: e.to_string(),
        });
    }
    l.out.flush_all();
    let program = NativeProgram {
        target: target.kind,
        num_qubits: c.num_qubits,
        num_clbits: c.num_clbits,
        qregs: c.qregs.clone(),
        cregs: c.cregs.clone(),
        ops: l.out.ops,
        conditions: l.out.conditions,
        duration_ns: 0.0,
        angle_bits: eqisa_isa::angle::RAW,
    };
    Ok((program, l.synth))
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
            let synth = match opts.budget {
                Budget::Exact => Synthesizer::exact(opts.synth),
                Budget::Eps(e) => Synthesizer::new(opts.synth, e),
                Budget::Fidelity(f) => {
                    let (_, counted) = run(c, target, Some(Synthesizer::counting(opts.synth)))?;
                    let needed = counted.map_or(0, |s| s.approximations).max(1);
                    Synthesizer::new(opts.synth, error_for_fidelity(f) / needed as f64)
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
