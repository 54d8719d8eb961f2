//! Simulating circuits: the final state vector of a static circuit, and the exact distribution
//! of classical outcomes of a dynamic one (mid-circuit measurement, reset, feed-forward) by
//! following every measurement branch.

use crate::state::{StateError, StateVector};
use eqisa_ir::circuit::{Circuit, GateId, Modifier, Op};
use eqisa_ir::gates::StandardGate;
use eqisa_ir::matrix::{Matrix, MatrixError};
use eqisa_ir::program::exec::ExecError;
use eqisa_ir::unroll::{Application, UnrollError, expand_gate};

/// Most measurement branches [`outcomes`] follows.
pub const MAX_BRANCHES: usize = 1 << 16;

/// Default of [`OutcomeLimits::max_amplitudes`]: 2^24 amplitudes (256 MiB over all branches), so
/// following the branches of a hostile circuit stops within a few hundred megabytes; that is
/// 256 branches of 16 qubits or one state of 24. Final measurements cost no branches (they are
/// read off the state at once).
pub const DEFAULT_MAX_BRANCH_AMPLITUDES: u64 = 1 << 24;

/// How much work [`outcomes_with`] may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutcomeLimits {
    /// Most amplitudes allocated over all branches together (each branch is a state of `2^n`
    /// amplitudes): it bounds both the memory and the time of following the branches.
    pub max_amplitudes: u64,
}

impl Default for OutcomeLimits {
    fn default() -> Self {
        OutcomeLimits {
            max_amplitudes: DEFAULT_MAX_BRANCH_AMPLITUDES,
        }
    }
}

/// Why a circuit cannot be simulated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StateVectorError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Unroll(#[from] UnrollError),
    #[error("gate matrix: {0}")]
    Matrix(#[from] MatrixError),
    #[error(
        "the circuit is dynamic ({0}); a final state vector is defined only without mid-circuit measurement, reset or feed-forward (try --outcomes)"
    )]
    Dynamic(String),
    #[error("more than {0} measurement branches")]
    TooManyBranches(usize),
    /// The interpreter of a structured program stopped (an expression without a value, a loop
    /// past its step limit, a missing input); the error names the program point when it has one.
    #[error("the program stopped: {0}")]
    Exec(#[from] ExecError),
    /// The interpreter handed out an event the state cannot take (an unknown gate, a qubit out
    /// of range): refused here rather than left to the state's unchecked indexing.
    #[error("the program's interpreter produced an impossible event: {0}")]
    BadEvent(String),
    /// Following a program's measurement branches ran more interpreter steps in all than the
    /// limit.
    #[error("following the measurement branches of this program ran more than {0} steps in all")]
    TooManySteps(u64),
    /// Following one more branch would take the amplitudes allocated over all branches past
    /// [`OutcomeLimits::max_amplitudes`].
    #[error(
        "following the measurement branches of this {qubits}-qubit circuit needs more than {max} amplitudes in all (each branch holds 2^{qubits}; stopped before branch {branch}); raise --max-branch-amplitudes (now {max}) to allow more"
    )]
    TooManyAmplitudes {
        /// Qubits of the circuit.
        qubits: u32,
        /// The branch that would have gone past the limit (1 is the initial state).
        branch: u64,
        /// The limit.
        max: u64,
    },
}

/// The matrix of a standard gate with modifiers (outermost first).
pub fn application_matrix(a: &Application<'_>) -> Result<Matrix, MatrixError> {
    let mut m = a.gate.matrix(a.params)?;
    for md in a.modifiers.iter().rev() {
        m = match *md {
            Modifier::Inv => m.adjoint(),
            Modifier::Pow(k) => m.power(k)?,
            Modifier::Ctrl { count, negated } => m.controlled(&vec![!negated; count as usize]),
        };
    }
    Ok(m)
}

fn apply(state: &mut StateVector, a: &Application<'_>) -> Result<(), MatrixError> {
    if a.modifiers.is_empty() {
        match a.gate {
            StandardGate::GPhase => {
                state.apply_global_phase(a.params[0]);
                return Ok(());
            }
            StandardGate::Id | StandardGate::U0 => return Ok(()),
            _ => {}
        }
    }
    if a.qubits.len() > DENSE_CONTROLLED_MAX_QUBITS
        && a.modifiers
            .iter()
            .any(|m| matches!(m, Modifier::Ctrl { .. }))
    {
        return apply_with_controls(state, a);
    }
    let m = application_matrix(a)?;
    if m.num_qubits() == 0 {
        state.apply_global_phase(m.get(0, 0).arg());
    } else {
        state.apply(&m, a.qubits);
    }
    Ok(())
}

/// Most qubits of a controlled gate applied as one dense matrix; past it, the controls are
/// applied as conditions on the state's indices (a dense matrix doubles per control in each
/// dimension: 13 controls on `x` would be 4 GiB).
const DENSE_CONTROLLED_MAX_QUBITS: usize = 3;

/// Apply a gate with `ctrl` modifiers as its uncontrolled matrix on the targets, conditioned on
/// the controls. `ctrl` commutes with `inv` and `pow` (the controlled matrix is the identity
/// beside the gate's, and the identity's powers are the identity), so the other modifiers apply
/// to the base matrix in their order; the controls' qubits come first, outermost first.
fn apply_with_controls(state: &mut StateVector, a: &Application<'_>) -> Result<(), MatrixError> {
    let mut m = a.gate.matrix(a.params)?;
    let mut controls: Vec<(u32, bool)> = Vec::new();
    let mut next = 0usize;
    for md in a.modifiers {
        if let Modifier::Ctrl { count, negated } = *md {
            for &q in &a.qubits[next..next + count as usize] {
                controls.push((q, !negated));
            }
            next += count as usize;
        }
    }
    for md in a.modifiers.iter().rev() {
        m = match *md {
            Modifier::Inv => m.adjoint(),
            Modifier::Pow(k) => m.power(k)?,
            Modifier::Ctrl { .. } => m,
        };
    }
    let targets = &a.qubits[next..];
    // A controlled global phase (no targets) is a phase on the controls' subspace.
    state.apply_controlled(&m, &controls, targets);
    Ok(())
}

/// Apply one gate operation of `c` to `state`.
fn apply_gate(c: &Circuit, state: &mut StateVector, op: &Op) -> Result<(), StateVectorError> {
    if let Op::Gate { gate, args, params } = *op {
        let (q, p) = c.gate_operands(gate, args, params);
        apply_gate_at(c, state, gate, p, q)?;
    }
    Ok(())
}

/// Apply gate `gate` of `c`'s table (standard, defined or modified) to `qubits` with `params`;
/// the caller has checked the operands against the table's entry.
pub(crate) fn apply_gate_at(
    c: &Circuit,
    state: &mut StateVector,
    gate: GateId,
    params: &[f64],
    qubits: &[u32],
) -> Result<(), StateVectorError> {
    let mut err = None;
    expand_gate(c, gate, params, qubits, &mut |a| {
        if let Err(e) = apply(state, &a) {
            err = Some(e);
        }
        Ok(())
    })?;
    match err {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Check that the circuit is static: measurements only at the end of their qubit, resets only on
/// untouched qubits, no conditionals.
fn check_static(c: &Circuit) -> Result<(), StateVectorError> {
    let n = c.num_qubits as usize;
    let mut touched = vec![false; n];
    let mut measured = vec![false; n];
    for op in &c.ops {
        match *op {
            Op::If { block } => {
                return Err(StateVectorError::Dynamic(format!(
                    "conditional at line {}",
                    c.ifs[block as usize].line
                )));
            }
            Op::Measure { qubit, .. } => {
                measured[qubit as usize] = true;
                touched[qubit as usize] = true;
            }
            Op::Reset { qubit } => {
                // A reset of a qubit still in |0> does nothing.
                if touched[qubit as usize] {
                    return Err(StateVectorError::Dynamic(format!(
                        "reset of qubit {qubit} after use"
                    )));
                }
            }
            Op::Gate { gate, args, params } => {
                for &q in c.gate_operands(gate, args, params).0 {
                    if measured[q as usize] {
                        return Err(StateVectorError::Dynamic(format!(
                            "qubit {q} is used after it is measured"
                        )));
                    }
                    touched[q as usize] = true;
                }
            }
            Op::Delay { .. } | Op::Barrier { .. } => {}
        }
    }
    Ok(())
}

/// The final state vector from |0…0⟩ of a circuit without mid-circuit measurement, reset or
/// feed-forward. Final measurements and barriers are ignored; qubit 0 is least significant.
pub fn statevector(c: &Circuit) -> Result<StateVector, StateVectorError> {
    check_static(c)?;
    let mut state = StateVector::zero_state(c.num_qubits as usize)?;
    for op in &c.ops {
        apply_gate(c, &mut state, op)?;
    }
    Ok(state)
}

/// One classical outcome of a dynamic circuit and its probability.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Classical bits, clbit 0 first.
    pub bits: Vec<bool>,
    pub probability: f64,
}

impl Outcome {
    /// The bits as Qiskit prints counts keys: highest clbit first.
    pub fn bitstring(&self) -> String {
        self.bits
            .iter()
            .rev()
            .map(|&b| if b { '1' } else { '0' })
            .collect()
    }
}

/// The exact distribution of the final classical bits, following every measurement branch
/// (outcomes of probability below 1e-12 are dropped), within the default [`OutcomeLimits`].
/// Sorted by bit string.
pub fn outcomes(c: &Circuit) -> Result<Vec<Outcome>, StateVectorError> {
    outcomes_with(c, &OutcomeLimits::default())
}

/// [`outcomes`] within `limits`: the amplitude budget is checked before each branch's state is
/// allocated, so a refused circuit costs no more than the budget.
pub fn outcomes_with(
    c: &Circuit,
    limits: &OutcomeLimits,
) -> Result<Vec<Outcome>, StateVectorError> {
    let mut budget = Amplitudes::new(c.num_qubits, limits);
    // Beyond MAX_QUBITS, `zero_state` refuses the circuit with its own, more precise message.
    if c.num_qubits as usize <= crate::state::MAX_QUBITS {
        budget.take()?;
    }
    let state = StateVector::zero_state(c.num_qubits as usize)?;
    let mut leaves: Vec<Outcome> = Vec::new();
    let mut runner = Branches {
        c,
        leaves: &mut leaves,
        count: 0,
        amplitudes: budget,
        terminal: terminal_start(&c.ops),
    };
    runner.run(
        &c.ops,
        0,
        Branch {
            state,
            bits: vec![false; c.num_clbits as usize],
            probability: 1.0,
        },
        &mut Vec::new(),
    )?;
    leaves.sort_by(|a, b| a.bits.iter().rev().cmp(b.bits.iter().rev()));
    let mut merged: Vec<Outcome> = Vec::new();
    for o in leaves {
        match merged.last_mut() {
            Some(last) if last.bits == o.bits => last.probability += o.probability,
            _ => merged.push(o),
        }
    }
    Ok(merged)
}

struct Branch {
    state: StateVector,
    bits: Vec<bool>,
    probability: f64,
}

struct Branches<'a> {
    c: &'a Circuit,
    leaves: &'a mut Vec<Outcome>,
    count: usize,
    amplitudes: Amplitudes,
    /// Where the circuit's terminal measurements start (see [`terminal_start`]).
    terminal: usize,
}

/// The index of `ops` from which only measurements, barriers and delays follow. Measurements
/// there change no state that anything reads afterwards, so their joint outcome is read off the
/// state's basis probabilities at once instead of branching on each (16 final measurements
/// would otherwise be 65,536 branch states).
fn terminal_start(ops: &[Op]) -> usize {
    ops.iter()
        .rposition(|op| {
            !matches!(
                op,
                Op::Measure { .. } | Op::Barrier { .. } | Op::Delay { .. }
            )
        })
        .map_or(0, |k| k + 1)
}

/// Basis states less probable than this are left out of a terminal read-out: they are rounding
/// noise, and even 2^26 of them sum to under 1e-7.
const BASIS_FLOOR: f64 = 1e-15;

/// The amplitude budget of [`outcomes_with`] (and of the program simulation), spent one branch
/// state at a time.
pub(crate) struct Amplitudes {
    qubits: u32,
    /// `2^qubits`.
    per_branch: u64,
    max: u64,
    /// Branch states allocated so far.
    branches: u64,
}

impl Amplitudes {
    /// No branch state taken yet, for states of `qubits` qubits.
    pub(crate) fn new(qubits: u32, limits: &OutcomeLimits) -> Self {
        Amplitudes {
            qubits,
            per_branch: 1u64.checked_shl(qubits).unwrap_or(u64::MAX),
            max: limits.max_amplitudes,
            branches: 0,
        }
    }

    /// Account one more branch state, refusing it when it would go past the budget.
    pub(crate) fn take(&mut self) -> Result<(), StateVectorError> {
        let after = (self.branches + 1).saturating_mul(self.per_branch);
        if after > self.max {
            return Err(StateVectorError::TooManyAmplitudes {
                qubits: self.qubits,
                branch: self.branches + 1,
                max: self.max,
            });
        }
        self.branches += 1;
        Ok(())
    }
}

impl<'a> Branches<'a> {
    /// Run `ops[from..]` then the continuation frames in `rest` (innermost last).
    fn run(
        &mut self,
        ops: &'a [Op],
        from: usize,
        mut b: Branch,
        rest: &mut Vec<(&'a [Op], usize)>,
    ) -> Result<(), StateVectorError> {
        let mut k = from;
        let mut ops = ops;
        loop {
            if rest.is_empty() && std::ptr::eq(ops, &self.c.ops[..]) && k == self.terminal {
                return self.read_out(&ops[k..], b);
            }
            if k >= ops.len() {
                match rest.pop() {
                    Some((o, i)) => {
                        ops = o;
                        k = i;
                        continue;
                    }
                    None => break,
                }
            }
            let op = &ops[k];
            k += 1;
            match *op {
                Op::Gate { .. } => apply_gate(self.c, &mut b.state, op)?,
                Op::Measure { qubit, .. } | Op::Reset { qubit } => {
                    let is_reset = matches!(op, Op::Reset { .. });
                    let p1 = b.state.prob_one(qubit);
                    // Follow each outcome of non-negligible probability; the current branch
                    // takes the last one, clones take the others.
                    let mut possible: Vec<bool> = Vec::with_capacity(2);
                    if 1.0 - p1 > 1e-12 {
                        possible.push(false);
                    }
                    if p1 > 1e-12 {
                        possible.push(true);
                    }
                    let Some((last, others)) = possible.split_last() else {
                        return Ok(());
                    };
                    for &o in others {
                        self.count += 1;
                        if self.count > MAX_BRANCHES {
                            return Err(StateVectorError::TooManyBranches(MAX_BRANCHES));
                        }
                        // Checked before the clone allocates the branch's state.
                        self.amplitudes.take()?;
                        let mut nb = Branch {
                            state: b.state.clone(),
                            bits: b.bits.clone(),
                            probability: b.probability,
                        };
                        settle(&mut nb, qubit, o, is_reset, op);
                        let mut frames = rest.clone();
                        self.run(ops, k, nb, &mut frames)?;
                    }
                    settle(&mut b, qubit, *last, is_reset, op);
                }
                Op::If { block } => {
                    let c: &'a Circuit = self.c;
                    let blk = &c.ifs[block as usize];
                    let body = if blk.cond.holds(c, &b.bits) {
                        &blk.then_ops
                    } else {
                        &blk.else_ops
                    };
                    rest.push((ops, k));
                    ops = body;
                    k = 0;
                }
                Op::Barrier { .. } | Op::Delay { .. } => {}
            }
        }
        self.leaves.push(Outcome {
            bits: b.bits,
            probability: b.probability,
        });
        Ok(())
    }
}

impl Branches<'_> {
    /// The leaves of branch `b` when only the measurements (barriers, delays) of `tail` remain:
    /// one per set of measured bits, with the probability of the basis states that give it.
    fn read_out(&mut self, tail: &[Op], b: Branch) -> Result<(), StateVectorError> {
        let measures: Vec<(u32, usize)> = tail
            .iter()
            .filter_map(|op| match *op {
                Op::Measure { qubit, clbit } => Some((qubit, clbit as usize)),
                _ => None,
            })
            .filter(|&(_, clbit)| clbit < b.bits.len())
            .collect();
        if measures.is_empty() {
            self.leaves.push(Outcome {
                bits: b.bits,
                probability: b.probability,
            });
            return Ok(());
        }
        let mut found: std::collections::HashMap<Vec<bool>, f64> = std::collections::HashMap::new();
        for (index, a) in b.state.amplitudes().iter().enumerate() {
            let p = a.norm_sqr() * b.probability;
            if p <= BASIS_FLOOR {
                continue;
            }
            let mut bits = b.bits.clone();
            // In program order, so a bit measured twice keeps the later result.
            for &(qubit, clbit) in &measures {
                bits[clbit] = (index >> qubit) & 1 == 1;
            }
            match found.entry(bits) {
                std::collections::hash_map::Entry::Occupied(mut e) => *e.get_mut() += p,
                std::collections::hash_map::Entry::Vacant(e) => {
                    self.count += 1;
                    if self.count > MAX_BRANCHES {
                        return Err(StateVectorError::TooManyBranches(MAX_BRANCHES));
                    }
                    e.insert(p);
                }
            }
        }
        self.leaves.extend(
            found
                .into_iter()
                .filter(|&(_, probability)| probability > 1e-12)
                .map(|(bits, probability)| Outcome { bits, probability }),
        );
        Ok(())
    }
}

fn clbit_of(op: &Op) -> Option<u32> {
    match op {
        Op::Measure { clbit, .. } => Some(*clbit),
        _ => None,
    }
}

/// Collapse `qubit` to `outcome` in branch `b`; record the bit (measure) or flip back to |0>
/// (reset).
fn settle(b: &mut Branch, qubit: u32, outcome: bool, is_reset: bool, op: &Op) {
    let p = b.state.collapse(qubit, outcome);
    b.probability *= p;
    if is_reset {
        if outcome {
            let x = Matrix::from_vec(
                1,
                vec![
                    num_complex::Complex64::new(0.0, 0.0),
                    num_complex::Complex64::new(1.0, 0.0),
                    num_complex::Complex64::new(1.0, 0.0),
                    num_complex::Complex64::new(0.0, 0.0),
                ],
            );
            b.state.apply(&x, &[qubit]);
        }
    } else if let Some(bit) = clbit_of(op).and_then(|c| b.bits.get_mut(c as usize)) {
        *bit = outcome;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `h; measure` on one of `n` qubits, `k` times: up to 2^k branches of 2^n amplitudes.
    fn branching(n: u32, k: u32) -> Circuit {
        let mut text =
            format!("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[{n}];\ncreg c[{k}];\n");
        for i in 0..k {
            text.push_str(&format!("h q[0];\nmeasure q[0] -> c[{i}];\n"));
        }
        eqisa_qasm::parse_str(&text, "b.qasm").expect("parses")
    }

    /// Final measurements are read off the state, not branched on: 16 of them on 16 qubits in
    /// uniform superposition give all 65,536 outcomes, each 2^-16, within a budget of one state
    /// (branching would need 65,536 states); a bit measured twice keeps the later result; and
    /// a mid-circuit measurement before them still branches.
    #[test]
    fn final_measurements_are_read_off_the_state() {
        let mut text = String::from(
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[16];\ncreg c[16];\nh q;\n",
        );
        text.push_str("measure q -> c;\n");
        let c = eqisa_qasm::parse_str(&text, "m.qasm").expect("parses");
        let limits = OutcomeLimits {
            max_amplitudes: 1 << 16,
        };
        let out = outcomes_with(&c, &limits).expect("one state suffices");
        assert_eq!(out.len(), 1 << 16);
        assert!(
            out.iter()
                .all(|o| (o.probability - 1.0 / 65536.0).abs() < 1e-12)
        );
        assert_eq!(out[5].bitstring(), format!("{:016b}", 5));

        let text = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\nmeasure q[0] -> c[0];\ncx q[0], q[1];\nx q[0];\nmeasure q[1] -> c[1];\nmeasure q[0] -> c[1];\n";
        let c = eqisa_qasm::parse_str(text, "t.qasm").expect("parses");
        let out = outcomes_with(&c, &OutcomeLimits::default()).expect("small");
        // c[0] = first result r; then q0 = !r, q1 = r, and c[1] takes q0's later result !r.
        let got: Vec<(String, f64)> = out.iter().map(|o| (o.bitstring(), o.probability)).collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, "01");
        assert_eq!(got[1].0, "10");
        assert!(got.iter().all(|(_, p)| (p - 0.5).abs() < 1e-12));
    }

    /// Gates with many controls are applied as conditions, not dense matrices, and agree with
    /// the dense matrices where those are small; 20 controls on one gate stay cheap.
    #[test]
    fn controlled_gates_agree_with_their_dense_matrices() {
        let prep = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[5] q;\nh q;\nrx(0.3) q[1];\nry(0.7) q[3];\nt q[4];\n";
        for gate in [
            "ctrl(2) @ rx(0.4) q[4], q[0], q[2];",
            "negctrl @ ctrl @ inv @ pow(1.5) @ U(0.1, 0.2, 0.3) q[3], q[1], q[0];",
            "ctrl(3) @ swap q[0], q[2], q[4], q[1], q[3];",
            "pow(-2) @ negctrl(2) @ gphase(0.5) q[2], q[0];",
            "ctrl @ ctrl @ ctrl @ cx q[4], q[3], q[2], q[1], q[0];",
        ] {
            let c = eqisa_qasm::parse_str(&format!("{prep}{gate}\n"), "c.qasm3").expect(gate);
            // Each application both ways: controls as conditions, and the full matrix.
            let mut fast = StateVector::zero_state(5).unwrap();
            let mut dense = StateVector::zero_state(5).unwrap();
            for op in &c.ops {
                let Op::Gate {
                    gate: g,
                    args,
                    params,
                } = *op
                else {
                    continue;
                };
                let (q, p) = c.gate_operands(g, args, params);
                expand_gate(&c, g, p, q, &mut |a| {
                    if a.modifiers
                        .iter()
                        .any(|m| matches!(m, Modifier::Ctrl { .. }))
                    {
                        apply_with_controls(&mut fast, &a).expect("matrix");
                    } else {
                        apply(&mut fast, &a).expect("matrix");
                    }
                    let m = application_matrix(&a).expect("matrix");
                    if m.num_qubits() == 0 {
                        dense.apply_global_phase(m.get(0, 0).arg());
                    } else {
                        dense.apply(&m, a.qubits);
                    }
                    Ok(())
                })
                .expect(gate);
            }
            assert!(
                (fast.fidelity(dense.amplitudes()) - 1.0).abs() < 1e-12,
                "{gate}"
            );
            let diff: f64 = fast
                .amplitudes()
                .iter()
                .zip(dense.amplitudes())
                .map(|(a, b)| (a - b).norm())
                .sum();
            assert!(diff < 1e-12, "{gate}: {diff}");
        }
        let mut text =
            String::from("OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[21] q;\nx q;\n");
        text.push_str("ctrl(20) @ x q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11], q[12], q[13], q[14], q[15], q[16], q[17], q[18], q[19], q[20];\n");
        let c = eqisa_qasm::parse_str(&text, "c20.qasm3").expect("parses");
        let s = statevector(&c).expect("cheap");
        // All ones but the target, flipped back to 0.
        assert!((s.amplitudes()[(1 << 20) - 1].norm() - 1.0).abs() < 1e-12);
    }

    /// The amplitude budget refuses a circuit whose branches would go past it, before the
    /// branch's state is allocated, and says which limit to raise.
    #[test]
    fn branches_are_bounded_by_their_amplitudes() {
        let c = branching(12, 8);
        let limits = OutcomeLimits {
            max_amplitudes: 10 << 12,
        };
        let e = outcomes_with(&c, &limits).expect_err("past the budget");
        assert_eq!(
            e,
            StateVectorError::TooManyAmplitudes {
                qubits: 12,
                branch: 11,
                max: 10 << 12
            }
        );
        assert!(e.to_string().contains("--max-branch-amplitudes"), "{e}");
        // Within the budget, the distribution is exact.
        let small = OutcomeLimits {
            max_amplitudes: 1 << 20,
        };
        let d = outcomes_with(&branching(2, 3), &small).expect("within");
        assert_eq!(d.len(), 8);
        assert!(d.iter().all(|o| (o.probability - 0.125).abs() < 1e-12));
        // A budget smaller than the initial state refuses at once.
        let tiny = OutcomeLimits { max_amplitudes: 2 };
        assert!(matches!(
            outcomes_with(&branching(2, 1), &tiny),
            Err(StateVectorError::TooManyAmplitudes { branch: 1, .. })
        ));
    }
}
