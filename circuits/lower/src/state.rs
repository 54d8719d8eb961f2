//! Exact verification of lowered programs: the state a static program prepares, and its
//! fidelity with the source circuit's.

use super::program::{NativeOp, NativeProgram};
use eqisa_ir::circuit::Circuit;
use eqisa_ir::gates::StandardGate;
use eqisa_ir::matrix::{C64, Matrix};
use eqisa_statevector::circuit::{StateVectorError, statevector};
use eqisa_statevector::state::StateVector;
use eqisa_synth::euler::rz;

/// Largest circuit checked exactly.
pub const MAX_EXACT_QUBITS: u32 = 10;

/// The final state of a program without conditionals, resets after use or mid-circuit
/// measurement (final measurements ignored). `None` when the program is dynamic.
pub fn program_state(p: &NativeProgram) -> Result<Option<StateVector>, StateVectorError> {
    let mut state = StateVector::zero_state(p.num_qubits as usize)?;
    let mut measured = vec![false; p.num_qubits as usize];
    let mut touched = vec![false; p.num_qubits as usize];
    for op in &p.ops {
        if op.cond.is_some() {
            return Ok(None);
        }
        let gate = match op.op {
            NativeOp::Rz(a) => {
                state.apply(&rz(a), &op.qubits);
                mark(&mut touched, &measured, &op.qubits)?;
                continue;
            }
            NativeOp::Measure { .. } => {
                for &q in &op.qubits {
                    measured[q as usize] = true;
                }
                continue;
            }
            NativeOp::Reset => {
                if op.qubits.iter().any(|&q| touched[q as usize]) {
                    return Ok(None);
                }
                continue;
            }
            NativeOp::Barrier | NativeOp::Delay { .. } => continue,
            NativeOp::Sx => StandardGate::Sx,
            NativeOp::X => StandardGate::X,
            NativeOp::Cz => StandardGate::Cz,
            NativeOp::Ecr => {
                if mark(&mut touched, &measured, &op.qubits).is_err() {
                    return Ok(None);
                }
                state.apply(&ecr(), &op.qubits);
                continue;
            }
            NativeOp::H => StandardGate::H,
            NativeOp::S => StandardGate::S,
            NativeOp::Sdg => StandardGate::Sdg,
            NativeOp::T => StandardGate::T,
            NativeOp::Tdg => StandardGate::Tdg,
            NativeOp::Y => StandardGate::Y,
            NativeOp::Z => StandardGate::Z,
            NativeOp::Cx => StandardGate::Cx,
        };
        if mark(&mut touched, &measured, &op.qubits).is_err() {
            return Ok(None);
        }
        state.apply(&gate.matrix(&[])?, &op.qubits);
    }
    Ok(Some(state))
}

/// Qiskit's `ECRGate` matrix (argument 0 the least significant bit).
pub fn ecr() -> Matrix {
    let r = std::f64::consts::FRAC_1_SQRT_2;
    let (o, z, i) = (C64::new(r, 0.0), C64::new(0.0, 0.0), C64::new(0.0, r));
    Matrix::from_vec(2, vec![z, o, z, i, o, z, -i, z, z, i, z, o, -i, z, o, z])
}

/// Record that `qubits` are used; an error if one was measured already (mid-circuit
/// measurement: no single final state).
fn mark(touched: &mut [bool], measured: &[bool], qubits: &[u32]) -> Result<(), StateVectorError> {
    for &q in qubits {
        if measured[q as usize] {
            return Err(StateVectorError::Dynamic(format!(
                "qubit {q} is used after it is measured"
            )));
        }
        touched[q as usize] = true;
    }
    Ok(())
}

/// `|⟨source|program⟩|²` from |0…0⟩, for static circuits of at most [`MAX_EXACT_QUBITS`]
/// qubits; `None` where it is not computed.
pub fn exact_fidelity(source: &Circuit, program: &NativeProgram) -> Option<f64> {
    if source.num_qubits > MAX_EXACT_QUBITS {
        return None;
    }
    let a = statevector(source).ok()?;
    let b = program_state(program).ok()??;
    Some(a.fidelity(b.amplitudes()))
}
