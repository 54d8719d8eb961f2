//! What every consumer of a flat circuit assumes of it, checked: the fuzz targets that make
//! circuits (`structured`, `stim`) run it on each one they get.

use eqisa_ir::circuit::{Circuit, Op};

/// Checks what later stages assume of a flat circuit: registers inside the bit counts, every
/// operand inside its arena and the registers, qubits of one application distinct, finite
/// angles and durations, each `if` block used once.
pub fn check_circuit(c: &Circuit) {
    for r in &c.qregs {
        assert!(
            r.start
                .checked_add(r.size)
                .is_some_and(|e| e <= c.num_qubits),
            "{r:?}"
        );
    }
    for r in &c.cregs {
        assert!(
            r.start
                .checked_add(r.size)
                .is_some_and(|e| e <= c.num_clbits),
            "{r:?}"
        );
    }
    let mut used = vec![false; c.ifs.len()];
    check_ops(c, &c.ops, &mut used);
}

fn check_ops(c: &Circuit, ops: &[Op], used: &mut [bool]) {
    let qubit = |q: u32| assert!(q < c.num_qubits, "qubit {q} of {}", c.num_qubits);
    for op in ops {
        match *op {
            Op::Gate { gate, args, params } => {
                let entry = c.gates.get(gate.0 as usize).expect("gate id in the table");
                let (a, n) = (args as usize, entry.num_qubits as usize);
                let qs = c.qubits.get(a..a + n).expect("gate operands in the arena");
                for (k, &q) in qs.iter().enumerate() {
                    qubit(q);
                    assert!(!qs[..k].contains(&q), "qubit {q} twice in one application");
                }
                let (a, n) = (params as usize, entry.num_params as usize);
                let ps = c.params.get(a..a + n).expect("gate angles in the arena");
                assert!(ps.iter().all(|x| x.is_finite()), "angles {ps:?}");
            }
            Op::Measure { qubit: q, clbit } => {
                qubit(q);
                assert!(clbit < c.num_clbits, "clbit {clbit} of {}", c.num_clbits);
            }
            Op::Reset { qubit: q } => qubit(q),
            Op::Barrier { args, len } => {
                let (a, n) = (args as usize, len as usize);
                let qs = c
                    .qubits
                    .get(a..a + n)
                    .expect("barrier operands in the arena");
                qs.iter().copied().for_each(qubit);
            }
            Op::Delay { qubit: q, duration } => {
                qubit(q);
                let d = c
                    .durations
                    .get(duration as usize)
                    .expect("duration in the arena");
                assert!(d.value.is_finite(), "{d:?}");
            }
            Op::If { block } => {
                let b = c.ifs.get(block as usize).expect("if block in the arena");
                assert!(
                    !std::mem::replace(&mut used[block as usize], true),
                    "block {block} twice"
                );
                let mut read = Vec::new();
                b.cond.clbits(c, &mut read);
                assert!(
                    read.iter().all(|&k| k < c.num_clbits),
                    "condition reads {read:?}"
                );
                check_ops(c, &b.then_ops, used);
                check_ops(c, &b.else_ops, used);
            }
        }
    }
}
