//! Lowering a circuit that arrives in parts (an OpenQASM 2 program read chunk by chunk): each
//! part is lowered as it comes, pending single-qubit unitaries and rz angles carried over, and
//! the operations are scheduled as soon as possible as they leave, so that memory holds the
//! qubits' state and a bounded record of recent measurements, not the program.
//!
//! Native rz angles leave exact (merged and wrapped): the grid they are snapped to depends on
//! every angle of the program, so the assembler chooses it once the stream has ended
//! ([`crate::native::choose_grid`]). On Clifford+T a whole-circuit fidelity budget cannot be
//! shared between rotations not yet read: rotations must be exact, or a per-rotation error
//! (`Budget::Eps`) given.

use eqisa_ir::circuit::{Circuit, CondExpr, Register};
use rustc_hash::FxHashMap;

use crate::clifford_t::{Budget, Synthesizer, fidelity_for_error};
use crate::lowering::{Carry, LowerError, LowerOptions};
use crate::program::{NativeOp, TimedOp, collect_bits};
use crate::target::{TargetDesc, TargetKind};

/// Measured bits whose end times one generation of the record holds; two generations are kept.
const BITS_PER_GENERATION: usize = 1 << 17;

/// Lowers and schedules a circuit part by part (see the module documentation).
pub struct StreamLowering {
    carry: Carry,
    target: TargetDesc,
    qubit_free: Vec<f64>,
    /// End times of recently measured bits: this generation and the one before.
    bits_now: FxHashMap<u32, f64>,
    bits_before: FxHashMap<u32, f64>,
    /// Whether some bits' end times were dropped from the record.
    forgotten: bool,
    /// Whether every start time so far is certain: false once a condition read a bit whose end
    /// time was dropped (the operation then starts when its qubits are free).
    times_exact: bool,
    cregs: Vec<Register>,
    ready: Vec<(TimedOp, Option<CondExpr>)>,
    scratch: Vec<u32>,
    end_ns: f64,
}

impl StreamLowering {
    /// A lowering to `target` under `opts`.
    ///
    /// # Errors
    /// [`LowerError::Setup`] when the synthesiser cannot be set up for the per-rotation error.
    pub fn new(target: &TargetDesc, opts: &LowerOptions) -> Result<StreamLowering, LowerError> {
        let synth = match target.kind {
            TargetKind::Native => None,
            TargetKind::CliffordT => Some(match opts.budget {
                Budget::Eps(e) => {
                    Synthesizer::new(opts.synth, e).map_err(|e| LowerError::Setup(e.to_string()))?
                }
                Budget::Exact | Budget::Fidelity(_) => Synthesizer::exact(opts.synth),
            }),
        };
        Ok(StreamLowering {
            carry: Carry::new(0, synth),
            target: target.clone(),
            qubit_free: Vec::new(),
            bits_now: FxHashMap::default(),
            bits_before: FxHashMap::default(),
            forgotten: false,
            times_exact: true,
            cregs: Vec::new(),
            ready: Vec::new(),
            scratch: Vec::new(),
            end_ns: 0.0,
        })
    }

    /// Lowers the operations of `part` (whose registers and gates are the circuit's so far);
    /// with `last`, also what is still pending on each qubit.
    ///
    /// # Errors
    /// As [`crate::lower`]: a gate the target cannot express, a rotation not exact on
    /// Clifford+T without a per-rotation error.
    pub fn feed(&mut self, part: &Circuit, last: bool) -> Result<(), LowerError> {
        if self.cregs.len() != part.cregs.len() {
            self.cregs.clone_from(&part.cregs);
        }
        if self.qubit_free.len() < part.num_qubits as usize {
            self.qubit_free.resize(part.num_qubits as usize, 0.0);
        }
        self.carry.lower_part(part, &self.target, last)?;
        for mut op in self.carry.take_ops() {
            let cond = op
                .cond
                .and_then(|c| self.carry.conditions().get(c as usize).cloned());
            self.place(&mut op, cond.as_ref());
            self.ready.push((op, cond));
        }
        Ok(())
    }

    /// Starts `op` as soon as its qubits and the bits its condition reads are free.
    fn place(&mut self, op: &mut TimedOp, cond: Option<&CondExpr>) {
        let mut start = op
            .qubits
            .iter()
            .map(|&q| self.qubit_free.get(q as usize).copied().unwrap_or(0.0))
            .fold(0.0, f64::max);
        if let Some(c) = cond {
            self.scratch.clear();
            collect_bits(c, &self.cregs, &mut self.scratch);
            for b in &self.scratch {
                match self.bits_now.get(b).or_else(|| self.bits_before.get(b)) {
                    Some(&t) => start = start.max(t),
                    None if self.forgotten => self.times_exact = false,
                    None => {}
                }
            }
        }
        let dur = match op.op {
            NativeOp::Delay { ns } => ns,
            other => self.target.duration(other.name()),
        };
        op.start_ns = start;
        op.duration_ns = dur;
        let end = start + dur;
        for &q in &op.qubits {
            if let Some(f) = self.qubit_free.get_mut(q as usize) {
                *f = end;
            }
        }
        if let NativeOp::Measure { clbit } = op.op {
            if self.bits_now.len() >= BITS_PER_GENERATION {
                self.bits_before = std::mem::take(&mut self.bits_now);
                self.forgotten = true;
            }
            self.bits_now.insert(clbit, end);
        }
        self.end_ns = self.end_ns.max(end);
    }

    /// The operations lowered so far and not yet taken, in order, with their conditions.
    pub fn take(&mut self) -> std::vec::Drain<'_, (TimedOp, Option<CondExpr>)> {
        self.ready.drain(..)
    }

    /// Whether every start time handed out is the as-soon-as-possible one (see the field).
    #[must_use]
    pub fn times_exact(&self) -> bool {
        self.times_exact
    }

    /// End of the last operation so far.
    #[must_use]
    pub fn end_ns(&self) -> f64 {
        self.end_ns
    }

    /// The fidelity bound of the synthesis so far (1 on the native target, whose angles leave
    /// exact).
    #[must_use]
    pub fn fidelity_bound(&self) -> f64 {
        self.carry
            .synth()
            .map_or(1.0, |s| fidelity_for_error(s.total_error))
    }
}
