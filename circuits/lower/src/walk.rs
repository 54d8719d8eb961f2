//! What every lowering of a circuit shares, ours and the paper's baseline alike: a gate
//! operation expanded to the basic operations it decomposes to ([`gate_basics`]), and the
//! per-qubit product of single-qubit unitaries not yet synthesised ([`Pending`]), so that
//! consecutive ones are multiplied into one before synthesis.

use eqisa_ir::Circuit;
use eqisa_ir::circuit::GateId;
use eqisa_ir::matrix::Matrix;
use eqisa_ir::unroll::{UnrollError, expand_gate};

use crate::decompose::{Basic, DecomposeError, decompose};

/// Why a gate operation has no basic decomposition.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GateError {
    /// Its definition cannot be unrolled to standard gates.
    #[error(transparent)]
    Unroll(#[from] UnrollError),
    /// A standard gate application cannot be decomposed.
    #[error(transparent)]
    Decompose(#[from] DecomposeError),
}

/// Append to `out` the basic operations (single-qubit unitaries, CNOTs, global phases) that the
/// gate operation `gate(params) qubits` of `c` decomposes to, exactly.
///
/// # Errors
/// The first unrolling or decomposition failure.
pub fn gate_basics(
    c: &Circuit,
    gate: GateId,
    params: &[f64],
    qubits: &[u32],
    out: &mut Vec<Basic>,
) -> Result<(), GateError> {
    let mut err: Option<DecomposeError> = None;
    expand_gate(c, gate, params, qubits, &mut |a| {
        match decompose(&a) {
            Ok(seq) => out.extend(seq),
            // The last failure is the one reported (as lowering always has).
            Err(e) => err = Some(e),
        }
        Ok(())
    })?;
    match err {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Single-qubit unitaries applied but not yet synthesised, per qubit. Qubits outside the range
/// given at construction are ignored (the parser never produces them).
#[derive(Clone, Debug)]
pub struct Pending {
    slots: Vec<Option<Matrix>>,
}

impl Pending {
    /// Nothing pending on any of `num_qubits` qubits.
    pub fn new(num_qubits: u32) -> Self {
        Pending {
            slots: vec![None; num_qubits as usize],
        }
    }

    /// Room for `num_qubits` qubits (a register declared after the first operations).
    pub fn grow(&mut self, num_qubits: u32) {
        if self.slots.len() < num_qubits as usize {
            self.slots.resize(num_qubits as usize, None);
        }
    }

    /// Apply `u` after whatever is pending on `q`.
    pub fn apply(&mut self, q: u32, u: Matrix) {
        if let Some(slot) = self.slots.get_mut(q as usize) {
            *slot = Some(match slot.take() {
                Some(prev) => u.mul(&prev),
                None => u,
            });
        }
    }

    /// Make `u` the whole pending unitary of `q` (whatever was pending is dropped).
    pub fn set(&mut self, q: u32, u: Matrix) {
        if let Some(slot) = self.slots.get_mut(q as usize) {
            *slot = Some(u);
        }
    }

    /// Take the pending unitary of `q`, leaving nothing pending.
    pub fn take(&mut self, q: u32) -> Option<Matrix> {
        self.slots.get_mut(q as usize).and_then(Option::take)
    }
}
