//! `durationof({…})` where it is known without a device: a block of delays and barriers lasts
//! as long as its busiest qubit. A gate's duration is the device's, which a program read without
//! one does not have, so a block with gates is refused by the caller.

use eqisa_ir::program::expr::ClassicalExpr;
use eqisa_ir::program::expr::{Operand, QubitBase};
use eqisa_ir::program::stmt::Stmt;
use eqisa_ir::program::value::Value;
use rustc_hash::FxHashMap;

/// The duration of `block` on a machine of `num_qubits` qubits, or what in it needs the
/// device's timing (or cannot be known before the program runs).
pub(super) fn block_duration(block: &[Stmt], num_qubits: u32) -> Result<Value, String> {
    let mut clock: FxHashMap<u32, f64> = FxHashMap::default();
    let mut unit: Option<bool> = None; // Some(true): dt, Some(false): ns
    for s in block {
        match s {
            Stmt::Delay {
                duration, qubits, ..
            } => {
                let ClassicalExpr::Const(Value::Duration { ns, dt }) = duration else {
                    return Err("a delay whose duration is not a constant".into());
                };
                let (value, in_dt) = if *dt == 0.0 {
                    (*ns, false)
                } else if *ns == 0.0 {
                    (*dt, true)
                } else {
                    return Err("a delay in both ns and dt".into());
                };
                if value != 0.0 && *unit.get_or_insert(in_dt) != in_dt {
                    return Err("delays in both ns and dt".into());
                }
                for q in operand_qubits(qubits, num_qubits)? {
                    *clock.entry(q).or_insert(0.0) += value;
                }
            }
            Stmt::Barrier { qubits, .. } => {
                let qs = operand_qubits(qubits, num_qubits)?;
                let end = qs
                    .iter()
                    .map(|q| clock.get(q).copied().unwrap_or(0.0))
                    .fold(0.0, f64::max);
                for q in qs {
                    clock.insert(q, end);
                }
            }
            Stmt::Gate { .. } => return Err("gates".into()),
            Stmt::Measure { .. } | Stmt::Reset { .. } => {
                return Err("measurements or resets".into());
            }
            _ => return Err("statements other than delays and barriers".into()),
        }
    }
    let longest = clock.values().copied().fold(0.0, f64::max);
    Ok(match unit {
        Some(true) => Value::Duration {
            ns: 0.0,
            dt: longest,
        },
        _ => Value::Duration {
            ns: longest,
            dt: 0.0,
        },
    })
}

/// The global qubits operands name (all of them for none), when known without running.
fn operand_qubits(operands: &[Operand], num_qubits: u32) -> Result<Vec<u32>, String> {
    if operands.is_empty() {
        return Ok((0..num_qubits).collect());
    }
    let mut qs = Vec::new();
    for o in operands {
        match (&o.base, &o.index) {
            (QubitBase::Global { start, len }, None) => {
                qs.extend(*start..start.saturating_add(*len));
            }
            _ => return Err("operands known only when the program runs".into()),
        }
    }
    Ok(qs)
}
