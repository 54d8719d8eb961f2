//! Every standard gate, with modifiers, decomposes to exactly its unitary, global phase included.

use super::decompose::{Basic, decompose, sequence_unitary};
use crate::gates::{ALL_GATES, StandardGate};
use crate::ir::Modifier;
use crate::simulate::application_matrix;
use crate::unroll::Application;

fn check(gate: StandardGate, modifiers: &[Modifier], params: &[f64], qubits: &[u32]) {
    let a = Application {
        gate,
        modifiers,
        params,
        qubits,
    };
    let seq = decompose(&a).unwrap_or_else(|e| panic!("{gate:?} {modifiers:?}: {e}"));
    let n = qubits.len();
    let got = sequence_unitary(&seq, n);
    let want = application_matrix(&a).expect("matrix");
    // Exact: positions are 0..n in order, so `want` needs no embedding.
    let err = got.max_abs_diff(&want);
    assert!(err < 1e-10, "{gate:?} {modifiers:?}: error {err}");
    for b in &seq {
        if let Basic::One { u, .. } = b {
            assert_eq!(u.num_qubits(), 1);
        }
    }
}

fn params(g: StandardGate) -> Vec<f64> {
    [0.37, -1.21, 2.05, 0.61][..g.num_params()].to_vec()
}

#[test]
fn every_standard_gate_is_exact() {
    for g in ALL_GATES {
        let n = g.num_qubits() as u32;
        let q: Vec<u32> = (0..n).collect();
        check(g, &[], &params(g), &q);
    }
}

#[test]
fn modifiers_are_exact() {
    let mods: Vec<Vec<Modifier>> = vec![
        vec![Modifier::Inv],
        vec![Modifier::Pow(3.0)],
        vec![Modifier::Pow(-2.0)],
        vec![Modifier::Ctrl {
            count: 1,
            negated: false,
        }],
        vec![Modifier::Ctrl {
            count: 2,
            negated: true,
        }],
        vec![
            Modifier::Ctrl {
                count: 1,
                negated: false,
            },
            Modifier::Inv,
        ],
        vec![
            Modifier::Inv,
            Modifier::Ctrl {
                count: 1,
                negated: true,
            },
        ],
    ];
    for g in ALL_GATES {
        // Keep the unitaries small: at most 5 qubits in all.
        for m in &mods {
            let extra: u32 = m
                .iter()
                .map(|x| match x {
                    Modifier::Ctrl { count, .. } => *count,
                    _ => 0,
                })
                .sum();
            let n = g.num_qubits() as u32 + extra;
            if n > 5 {
                continue;
            }
            let q: Vec<u32> = (0..n).collect();
            check(g, m, &params(g), &q);
        }
    }
}

#[test]
fn fractional_powers_of_single_qubit_gates_and_phases() {
    for g in [
        StandardGate::X,
        StandardGate::H,
        StandardGate::Rz,
        StandardGate::U,
    ] {
        check(g, &[Modifier::Pow(0.5)], &params(g), &[0]);
        check(
            g,
            &[
                Modifier::Ctrl {
                    count: 1,
                    negated: false,
                },
                Modifier::Pow(0.25),
            ],
            &params(g),
            &[0, 1],
        );
    }
    check(
        StandardGate::GPhase,
        &[
            Modifier::Ctrl {
                count: 1,
                negated: false,
            },
            Modifier::Pow(0.5),
        ],
        &[0.8],
        &[0],
    );
}

#[test]
fn operand_order_is_respected() {
    // The same gates on permuted qubits of a wider register.
    for g in [StandardGate::Ccx, StandardGate::Cu, StandardGate::Rc3x] {
        let n = g.num_qubits();
        let q: Vec<u32> = (0..n as u32).rev().collect();
        let a = Application {
            gate: g,
            modifiers: &[],
            params: &params(g),
            qubits: &q,
        };
        let seq = decompose(&a).expect("decomposes");
        let got = sequence_unitary(&seq, n);
        let positions: Vec<usize> = q.iter().map(|&x| x as usize).collect();
        let want = application_matrix(&a).expect("matrix").embed(&positions, n);
        assert!(got.max_abs_diff(&want) < 1e-10, "{g:?}");
    }
}
