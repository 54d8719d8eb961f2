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

mod lowering {
    use crate::lower::simulate::exact_fidelity;
    use crate::lower::target::{TargetDesc, TargetKind};
    use crate::lower::{LowerError, lower};

    const NATIVE_NAMES: [&str; 8] = [
        "rz", "sx", "x", "cz", "measure", "reset", "barrier", "delay",
    ];

    fn native(text: &str) -> crate::lower::Lowered {
        let c = crate::parse_str(text, "t.qasm").expect("parses");
        let l = lower(
            &c,
            &TargetDesc::default_for(TargetKind::Native),
            &Default::default(),
        )
        .expect("lowers");
        for name in l.program.counts().keys() {
            assert!(NATIVE_NAMES.contains(&name.as_str()), "{name}");
        }
        let f = exact_fidelity(&c, &l.program).expect("static and small");
        assert!(f > 1.0 - 1e-10, "fidelity {f}");
        l
    }

    #[test]
    fn native_lowering_is_exact_and_merges_virtual_rz() {
        let l = native(
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\ncreg c[3];\n\
             h q[0]; cx q[0], q[1]; ccx q[0], q[1], q[2]; rz(0.1) q[2]; rz(0.2) q[2];\n\
             cu3(0.3, 0.4, 0.5) q[2], q[0]; rxx(0.7) q[1], q[2]; swap q[0], q[2];\n\
             measure q -> c;\n",
        );
        // No two unconditional rz in a row on one qubit.
        let ops = &l.program.ops;
        for w in ops.windows(2) {
            let both_rz = w[0].op.name() == "rz" && w[1].op.name() == "rz";
            assert!(!(both_rz && w[0].qubits == w[1].qubits), "{w:?}");
        }
        assert!(l.program.duration_ns > 0.0);
        assert_eq!(l.fidelity_bound, 1.0);
    }

    #[test]
    fn schedule_is_asap_and_respects_barriers() {
        let l = native(
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\n\
             sx q[0]; cz q[0], q[1]; barrier q[1], q[2]; sx q[2];\n",
        );
        let find = |name: &str, q: u32| {
            l.program
                .ops
                .iter()
                .find(|o| o.op.name() == name && o.qubits.contains(&q))
                .unwrap_or_else(|| panic!("{name} on {q}"))
                .clone()
        };
        assert_eq!(find("sx", 0).start_ns, 0.0);
        assert_eq!(find("cz", 0).start_ns, 32.0);
        // After the barrier, q[2] waits for q[1], busy until the cz ends at 100 ns.
        assert_eq!(find("sx", 2).start_ns, 100.0);
        assert_eq!(l.program.duration_ns, 132.0);
    }

    #[test]
    fn opaque_gates_are_named_with_their_line() {
        let c = crate::parse_str(
            "OPENQASM 2.0;\nqreg q[1];\nopaque magic a;\n\nmagic q[0];\n",
            "t.qasm",
        )
        .expect("parses");
        let e = lower(
            &c,
            &TargetDesc::default_for(TargetKind::Native),
            &Default::default(),
        )
        .expect_err("opaque");
        assert!(
            matches!(&e, LowerError::Gate { gate, line: 5, .. } if gate == "magic"),
            "{e}"
        );
    }

    #[test]
    fn qasm2_output_reparses_to_the_same_state() {
        let text = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\n\
                    h q[0]; cp(0.3) q[0], q[1]; ry(-1.1) q[2]; cswap q[0], q[1], q[2];\n";
        let c = crate::parse_str(text, "t.qasm").expect("parses");
        let l = lower(
            &c,
            &TargetDesc::default_for(TargetKind::Native),
            &Default::default(),
        )
        .expect("lowers");
        let out = l.program.to_qasm2().expect("qasm2");
        let back = crate::parse_str(&out, "out.qasm").expect("our output parses");
        let a = crate::simulate::statevector(&c).expect("sim");
        let b = crate::simulate::statevector(&back).expect("sim");
        assert!(a.fidelity(b.amplitudes()) > 1.0 - 1e-12);
    }
}

mod ecr {
    use crate::lower::simulate::exact_fidelity;
    use crate::lower::target::{TargetDesc, TargetKind, TwoQubit};
    use crate::lower::{LowerOptions, lower};

    #[test]
    fn native_with_ecr_is_exact() {
        let mut target = TargetDesc::default_for(TargetKind::Native);
        target.two_qubit = TwoQubit::Ecr;
        let c = crate::parse_str(
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\n\
             h q[0]; cx q[0], q[1]; cx q[2], q[0]; ccx q[0], q[1], q[2]; cp(0.4) q[2], q[1];\n",
            "t.qasm",
        )
        .expect("parses");
        let l = lower(&c, &target, &LowerOptions::default()).expect("lowers");
        let counts = l.program.counts();
        assert!(
            counts.contains_key("ecr") && !counts.contains_key("cz"),
            "{counts:?}"
        );
        let f = exact_fidelity(&c, &l.program).expect("static");
        assert!(f > 1.0 - 1e-10, "{f}");
        // The OpenQASM 2 text defines ecr and reparses to the same state.
        let text = l.program.to_qasm2().expect("qasm2");
        let back = crate::parse_str(&text, "out.qasm").expect("reparses");
        let a = crate::simulate::statevector(&c).expect("sim");
        let b = crate::simulate::statevector(&back).expect("sim");
        assert!(a.fidelity(b.amplitudes()) > 1.0 - 1e-10);
    }
}

mod qasm3_output {
    use crate::lower::target::{TargetDesc, TargetKind};
    use crate::lower::{LowerOptions, lower};
    use crate::simulate::outcomes;

    /// Dynamic programs with OpenQASM 3 conditions are written as OpenQASM 3 that reparses to
    /// the same outcome distribution.
    #[test]
    fn dynamic_programs_round_trip_through_openqasm3() {
        let text = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nbit[2] m;\nbit[1] f;\nqubit[3] q;\n\
                    h q[0]; h q[1]; m[0] = measure q[0]; m[1] = measure q[1];\n\
                    if ((m[0] ^ m[1]) == true) { x q[2]; } else { ry(0.3) q[2]; }\n\
                    if (!m[0]) { z q[2]; }\nf[0] = measure q[2];\n";
        let c = crate::parse_str(text, "t.qasm3").expect("parses");
        for kind in [TargetKind::Native, TargetKind::CliffordT] {
            let l = lower(&c, &TargetDesc::default_for(kind), &LowerOptions::default())
                .expect("lowers");
            assert!(l.program.to_qasm2().is_none());
            let out = l.program.to_qasm3();
            let back = crate::parse_str(&out, "out.qasm3").expect("reparses");
            let a = outcomes(&c).expect("outcomes");
            let b = outcomes(&back).expect("outcomes");
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.bits, y.bits);
                assert!((x.probability - y.probability).abs() < 1e-3, "{kind:?}");
            }
        }
    }
}
