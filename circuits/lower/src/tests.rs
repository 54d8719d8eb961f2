//! Every standard gate, with modifiers, decomposes to exactly its unitary, global phase included.

use super::decompose::{Basic, decompose, sequence_unitary};
use eqisa_ir::circuit::Modifier;
use eqisa_ir::gates::{ALL_GATES, StandardGate};
use eqisa_ir::unroll::Application;
use eqisa_statevector::circuit::application_matrix;

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
    use crate::clifford_t::{Budget, Synth};
    use crate::state::exact_fidelity;
    use crate::target::{TargetDesc, TargetKind};
    use crate::{LowerError, LowerOptions, lower};

    /// Native lowering without angle quantisation.
    pub(super) const EXACT: LowerOptions = LowerOptions {
        synth: Synth::Gridsynth,
        budget: Budget::Exact,
    };

    const NATIVE_NAMES: [&str; 8] = [
        "rz", "sx", "x", "cz", "measure", "reset", "barrier", "delay",
    ];

    fn native(text: &str) -> crate::lowering::Lowered {
        let c = eqisa_qasm::parse_str(text, "t.qasm").expect("parses");
        let l = lower(&c, &TargetDesc::default_for(TargetKind::Native), &EXACT).expect("lowers");
        assert_eq!(l.program.angle_bits, eqisa_isa::angle::RAW);
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
        let c = eqisa_qasm::parse_str(
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
        let c = eqisa_qasm::parse_str(text, "t.qasm").expect("parses");
        let l = lower(&c, &TargetDesc::default_for(TargetKind::Native), &EXACT).expect("lowers");
        let out = l.program.to_qasm2().expect("qasm2");
        let back = eqisa_qasm::parse_str(&out, "out.qasm").expect("our output parses");
        let a = eqisa_statevector::circuit::statevector(&c).expect("sim");
        let b = eqisa_statevector::circuit::statevector(&back).expect("sim");
        assert!(a.fidelity(b.amplitudes()) > 1.0 - 1e-12);
    }
}

mod ecr {
    use crate::lowering::lower;
    use crate::state::exact_fidelity;
    use crate::target::{TargetDesc, TargetKind, TwoQubit};

    #[test]
    fn native_with_ecr_is_exact() {
        let mut target = TargetDesc::default_for(TargetKind::Native);
        target.two_qubit = TwoQubit::Ecr;
        let c = eqisa_qasm::parse_str(
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\n\
             h q[0]; cx q[0], q[1]; cx q[2], q[0]; ccx q[0], q[1], q[2]; cp(0.4) q[2], q[1];\n",
            "t.qasm",
        )
        .expect("parses");
        let l = lower(&c, &target, &super::lowering::EXACT).expect("lowers");
        let counts = l.program.counts();
        assert!(
            counts.contains_key("ecr") && !counts.contains_key("cz"),
            "{counts:?}"
        );
        let f = exact_fidelity(&c, &l.program).expect("static");
        assert!(f > 1.0 - 1e-10, "{f}");
        // The OpenQASM 2 text defines ecr and reparses to the same state.
        let text = l.program.to_qasm2().expect("qasm2");
        let back = eqisa_qasm::parse_str(&text, "out.qasm").expect("reparses");
        let a = eqisa_statevector::circuit::statevector(&c).expect("sim");
        let b = eqisa_statevector::circuit::statevector(&back).expect("sim");
        assert!(a.fidelity(b.amplitudes()) > 1.0 - 1e-10);
    }
}

mod qasm3_output {
    use crate::target::{TargetDesc, TargetKind};
    use crate::{LowerOptions, lower};
    use eqisa_statevector::circuit::outcomes;

    /// Dynamic programs with OpenQASM 3 conditions are written as OpenQASM 3 that reparses to
    /// the same outcome distribution.
    #[test]
    fn dynamic_programs_round_trip_through_openqasm3() {
        let text = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nbit[2] m;\nbit[1] f;\nqubit[3] q;\n\
                    h q[0]; h q[1]; m[0] = measure q[0]; m[1] = measure q[1];\n\
                    if ((m[0] ^ m[1]) == true) { x q[2]; } else { ry(0.3) q[2]; }\n\
                    if (!m[0]) { z q[2]; }\nf[0] = measure q[2];\n";
        let c = eqisa_qasm::parse_str(text, "t.qasm3").expect("parses");
        for kind in [TargetKind::Native, TargetKind::CliffordT] {
            let l = lower(&c, &TargetDesc::default_for(kind), &LowerOptions::default())
                .expect("lowers");
            assert!(l.program.to_qasm2().is_none());
            let out = l.program.to_qasm3();
            let back = eqisa_qasm::parse_str(&out, "out.qasm3").expect("reparses");
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

/// The native target's rz angles quantised to the fidelity budget: on the grid, within
/// the budget by exact simulation, Clifford angles untouched, finer grids for stricter budgets.
mod quantisation {
    use std::f64::consts::FRAC_PI_4;

    use eqisa_isa::angle::{self, MAX_BITS, RAW};

    use crate::clifford_t::{Budget, Synth, fidelity_for_error};
    use crate::native::{angle_bits_for, quantise};
    use crate::program::NativeOp;
    use crate::state::exact_fidelity;
    use crate::target::{TargetDesc, TargetKind};
    use crate::{LowerError, LowerOptions, Lowered, lower};
    use eqisa_ir::circuit::Circuit;
    use eqisa_test_support::{Rng, example_files};

    fn opts(budget: Budget) -> LowerOptions {
        LowerOptions {
            synth: Synth::Gridsynth,
            budget,
        }
    }

    fn native(c: &Circuit, budget: Budget) -> Lowered {
        lower(
            c,
            &TargetDesc::default_for(TargetKind::Native),
            &opts(budget),
        )
        .expect("lowers")
    }

    fn rz_angles(l: &Lowered) -> Vec<f64> {
        l.program
            .ops
            .iter()
            .filter_map(|o| match o.op {
                NativeOp::Rz(a) => Some(a),
                _ => None,
            })
            .collect()
    }

    /// A deterministic pseudo-random circuit of generic rotations.
    fn random_circuit(seed: u64, qubits: u32, gates: usize) -> Circuit {
        let mut rng = Rng::new(seed);
        let mut text = format!("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[{qubits}];\n");
        for _ in 0..gates {
            let a = rng.below(u64::from(qubits)) as u32;
            let b = (a + 1 + rng.below(u64::from(qubits - 1)) as u32) % qubits;
            let kind = rng.below(8);
            let mut angle = || rng.below(1_000_000) as f64 / 1_000_000.0 * 6.0 - 3.0;
            let line = match kind {
                0 => format!("h q[{a}];"),
                1 => format!("rz({}) q[{a}];", angle()),
                2 => format!("ry({}) q[{a}];", angle()),
                3 => format!("u3({}, {}, {}) q[{a}];", angle(), angle(), angle()),
                4 => format!("cx q[{a}], q[{b}];"),
                5 => format!("cp({}) q[{a}], q[{b}];", angle()),
                6 => format!("rxx({}) q[{a}], q[{b}];", angle()),
                _ => format!("crz({}) q[{a}], q[{b}];", angle()),
            };
            text.push_str(&line);
            text.push('\n');
        }
        eqisa_qasm::parse_str(&text, "random.qasm").expect("parses")
    }

    fn examples() -> Vec<(String, Circuit)> {
        example_files()
            .into_iter()
            .map(|p| {
                let c = eqisa_qasm::parse_file(&p).expect("example parses");
                (p.display().to_string(), c)
            })
            .collect()
    }

    #[test]
    fn quantised_programs_are_on_the_grid_and_meet_the_budget_exactly() {
        let mut circuits = examples();
        assert!(circuits.len() >= 6, "{}", circuits.len());
        for seed in 1..=5 {
            circuits.push((format!("random {seed}"), random_circuit(seed, 4, 60)));
        }
        let (mut verified, mut approximated) = (0, 0);
        for (name, c) in &circuits {
            let exact = native(c, Budget::Exact);
            let n = rz_angles(&exact).len() as u64;
            for f in [0.99, 0.999, 0.99999] {
                let l = native(c, Budget::Fidelity(f));
                let b = l.program.angle_bits;
                assert!((1..=MAX_BITS).contains(&b), "{name} at {f}: {b} bits");
                // The coarsest grid whose actual error fits: never finer than the worst-case rule.
                assert!(b <= angle_bits_for(Budget::Fidelity(f), n), "{name} at {f}");
                for a in rz_angles(&l) {
                    assert_eq!(a.to_bits(), angle::snap(a, b).to_bits(), "{name}: {a}");
                    assert_ne!(a, 0.0, "{name}: rz(0) left in");
                }
                assert!(l.approximated_rotations <= n, "{name}");
                approximated += l.approximated_rotations;
                assert!(l.fidelity_bound >= f, "{name} at {f}: {}", l.fidelity_bound);
                if let Some(got) = exact_fidelity(c, &l.program) {
                    assert!(
                        got + 1e-12 >= l.fidelity_bound && got >= f,
                        "{name} at {f}: exact {got}, bound {}",
                        l.fidelity_bound
                    );
                    verified += 1;
                }
            }
        }
        // Five of the six examples are static; every random circuit is.
        assert!(verified >= 30, "{verified}");
        assert!(approximated > 0);
    }

    #[test]
    fn a_per_rotation_eps_bounds_every_rotation() {
        let c = random_circuit(11, 4, 60);
        let exact = native(&c, Budget::Exact);
        let before = rz_angles(&exact);
        for eps in [1e-2, 1e-4, 1e-7] {
            let l = native(&c, Budget::Eps(eps));
            assert_eq!(l.program.angle_bits, angle::bits_for_error(eps));
            let bound = fidelity_for_error(before.len() as f64 * eps);
            assert!(l.fidelity_bound >= bound, "{eps}");
            let got = exact_fidelity(&c, &l.program).expect("static");
            assert!(got + 1e-12 >= l.fidelity_bound, "{eps}: {got}");
        }
    }

    #[test]
    fn multiples_of_pi_over_four_are_unchanged() {
        // Directly on a program: angles k·π/4 stay bit for bit and cost nothing.
        let c = eqisa_qasm::parse_str(
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nh q[0];\n",
            "t.qasm",
        )
        .expect("parses");
        let mut p = native(&c, Budget::Exact).program;
        let template = p.ops[0].clone();
        p.ops.clear();
        let angles: Vec<f64> = [-3, -2, -1, 1, 2, 3, 4]
            .iter()
            .map(|&k| k as f64 * FRAC_PI_4)
            .collect();
        for &a in &angles {
            let mut op = template.clone();
            op.op = NativeOp::Rz(a);
            p.ops.push(op);
        }
        for budget in [
            Budget::Fidelity(0.99),
            Budget::Fidelity(0.99999),
            Budget::Eps(1e-3),
        ] {
            let mut q = p.clone();
            let cost = quantise(&mut q, budget);
            assert!(cost.bits >= 3, "{budget:?}");
            assert_eq!(cost.moved, 0);
            assert_eq!(cost.total_error, 0.0);
            let got: Vec<f64> = q
                .ops
                .iter()
                .filter_map(|o| match o.op {
                    NativeOp::Rz(a) => Some(a),
                    _ => None,
                })
                .collect();
            assert_eq!(got.len(), angles.len());
            for (g, a) in got.iter().zip(&angles) {
                assert_eq!(g.to_bits(), a.to_bits());
            }
        }
        // Through the lowering: a Clifford+T circuit keeps angles on the π/4 grid, costing only
        // the rounding of the decomposition.
        let c = eqisa_qasm::parse_str(
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\n\
             h q[0]; t q[0]; cx q[0], q[1]; s q[1]; tdg q[2]; z q[2]; cz q[1], q[2]; \
             rz(3*pi/4) q[0]; sdg q[0]; ccx q[0], q[1], q[2];\n",
            "t.qasm",
        )
        .expect("parses");
        let l = native(&c, Budget::Fidelity(0.99999));
        for a in rz_angles(&l) {
            assert_eq!(angle::snap(a, 3), a, "{a}");
        }
        assert!(l.fidelity_bound > 1.0 - 1e-12, "{}", l.fidelity_bound);
    }

    #[test]
    fn stricter_budgets_give_more_bits() {
        let c = random_circuit(7, 5, 80);
        let bits = |b| native(&c, b).program.angle_bits;
        let (f1, f2, f3) = (
            bits(Budget::Fidelity(0.99)),
            bits(Budget::Fidelity(0.999)),
            bits(Budget::Fidelity(0.99999)),
        );
        assert!(f1 < f2 && f2 < f3, "{f1} {f2} {f3}");
        assert!(bits(Budget::Eps(1e-2)) < bits(Budget::Eps(1e-4)));
        assert_eq!(bits(Budget::Exact), RAW);
        // A budget no grid can meet keeps the angles exact.
        let l = native(&c, Budget::Fidelity(1.0));
        assert_eq!(l.program.angle_bits, RAW);
        assert_eq!(l.fidelity_bound, 1.0);
        assert_eq!(bits(Budget::Eps(1e-13)), RAW);
    }

    #[test]
    fn conditional_rz_are_snapped_too() {
        let c = eqisa_qasm::parse_str(
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[1];\n\
             ry(0.4321) q[0]; measure q[0] -> c[0];\n\
             if (c==1) rz(0.123456) q[1]; if (c==1) u3(0.7, -1.3, 2.9) q[1];\n",
            "t.qasm",
        )
        .expect("parses");
        let l = native(&c, Budget::Fidelity(0.999));
        let b = l.program.angle_bits;
        assert!(b > 0);
        let mut conditional = 0;
        for op in &l.program.ops {
            if let NativeOp::Rz(a) = op.op {
                assert_eq!(a.to_bits(), angle::snap(a, b).to_bits());
                conditional += usize::from(op.cond.is_some());
            }
        }
        assert!(conditional >= 2, "{:?}", l.program.ops);
        assert!(l.fidelity_bound >= 0.999 && l.fidelity_bound < 1.0);
    }

    #[test]
    fn a_program_without_rotations_gets_the_coarsest_grid() {
        let c = eqisa_qasm::parse_str(
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\n\
             x q[0]; cz q[0], q[1]; measure q -> c;\n",
            "t.qasm",
        )
        .expect("parses");
        let l = native(&c, Budget::Fidelity(0.999));
        assert!(rz_angles(&l).is_empty(), "{:?}", l.program.ops);
        // Nothing to snap: the coarsest grid fits.
        assert_eq!(l.program.angle_bits, 1);
        assert_eq!(l.fidelity_bound, 1.0);
    }

    #[test]
    fn an_exact_budget_on_clifford_t_accepts_only_exact_circuits() {
        let target = TargetDesc::default_for(TargetKind::CliffordT);
        let clifford = eqisa_qasm::parse_str(
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nh q[0]; t q[0]; cx q[0], q[1]; \
             rz(pi/2) q[1];\n",
            "t.qasm",
        )
        .expect("parses");
        for synth in [
            Synth::Gridsynth,
            Synth::Sk {
                depth: 3,
                recursion: 1,
            },
        ] {
            let o = LowerOptions {
                synth,
                budget: Budget::Exact,
            };
            let l = lower(&clifford, &target, &o).expect("exact");
            assert_eq!(l.fidelity_bound, 1.0);
            assert_eq!(l.approximated_rotations, 0);
            assert_eq!(l.program.angle_bits, RAW);
            let f = exact_fidelity(&clifford, &l.program).expect("static");
            assert!(f > 1.0 - 1e-10, "{f}");
            let c = eqisa_qasm::parse_str(
                "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nh q[0];\nrz(0.3) q[0];\n",
                "t.qasm",
            )
            .expect("parses");
            let e = lower(&c, &target, &o).expect_err("not exact");
            assert!(
                matches!(&e, LowerError::Inexact { gate, line: 5, .. } if gate == "rz"),
                "{e}"
            );
        }
    }
}

/// What the user gave and why it cannot be met, blamed on the gate that needs the rotation (not
/// on the `cx` that happened to flush it, and never "an epsilon of 0").
mod budgets_that_cannot_be_met {
    use crate::clifford_t::{Budget, Synth};
    use crate::state::exact_fidelity;
    use crate::target::{TargetDesc, TargetKind};
    use crate::{LowerError, LowerOptions, lower};
    use eqisa_ir::circuit::Circuit;

    fn circuit() -> Circuit {
        eqisa_qasm::parse_str(
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nh q[0];\nrz(0.3) q[0];\ncx q[0],q[1];\n",
            "b.qasm",
        )
        .expect("parses")
    }

    fn lower_with(synth: Synth, budget: Budget) -> LowerError {
        let target = TargetDesc::default_for(TargetKind::CliffordT);
        lower(&circuit(), &target, &LowerOptions { synth, budget }).expect_err("cannot be met")
    }

    #[test]
    fn fidelity_one_needs_exact_synthesis_and_names_the_rotation() {
        let e = lower_with(Synth::Gridsynth, Budget::Fidelity(1.0));
        assert!(
            matches!(&e, LowerError::NeedsExact { gate, line: 5, .. } if gate == "rz"),
            "{e:?}"
        );
        let msg = e.located("b.qasm");
        assert!(
            msg.starts_with("b.qasm:5: a fidelity of 1 needs exact synthesis"),
            "{msg}"
        );
        assert!(!msg.contains("'cx'") && !msg.contains("epsilon"), "{msg}");
    }

    #[test]
    fn an_eps_gridsynth_cannot_reach_is_named_as_given() {
        let e = lower_with(Synth::Gridsynth, Budget::Eps(1e-15));
        let msg = e.located("b.qasm");
        assert!(
            msg.starts_with("b.qasm:5:") && msg.contains("'rz'"),
            "{msg}"
        );
        assert!(
            msg.contains("eps of 1e-15") && msg.contains("[1e-12, 0.5)"),
            "{msg}"
        );
    }

    #[test]
    fn a_solovay_kitaev_depth_past_the_limit_is_an_error() {
        let synth = Synth::Sk {
            depth: 1000,
            recursion: 1,
        };
        let e = lower_with(synth, Budget::Eps(0.1));
        assert!(
            matches!(&e, LowerError::Setup(m) if m.contains("1000")),
            "{e:?}"
        );
    }

    /// The exact-fidelity figure is a fidelity: never above 1, however the rounding goes.
    #[test]
    fn exact_fidelity_never_exceeds_one() {
        let target = TargetDesc::default_for(TargetKind::CliffordT);
        for f in [0.9999999999999999, 0.999] {
            let o = LowerOptions {
                synth: Synth::Gridsynth,
                budget: Budget::Fidelity(f),
            };
            let l = lower(&circuit(), &target, &o).expect("lowers");
            let exact = exact_fidelity(&circuit(), &l.program).expect("static");
            assert!(exact <= 1.0 && exact >= f - 1e-12, "{exact}");
            assert!(l.fidelity_bound <= 1.0);
        }
    }
}
