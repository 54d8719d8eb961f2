//! The unroll pass: user gates (and modifiers on them) become standard gates, and the unrolled
//! circuit has exactly the original's action.

use eqisa_test_support as common;

use eqisa_ir::circuit::{Circuit, GateKind, Op};
use eqisa_ir::unroll::{UnrollError, unroll};
use eqisa_statevector::circuit::statevector;

/// Every gate of the unrolled circuit is a library gate, possibly with modifiers on it.
fn assert_standard_only(c: &Circuit) {
    for op in &c.ops {
        if let Op::Gate { gate, .. } = op {
            match &c.gate(*gate).kind {
                GateKind::Standard(_) => {}
                GateKind::Modified { base, .. } => {
                    assert!(matches!(c.gate(*base).kind, GateKind::Standard(_)))
                }
                other => panic!("non-standard gate after unroll: {other:?}"),
            }
        }
    }
}

fn same_state(a: &Circuit, b: &Circuit) -> f64 {
    let sa = statevector(a).expect("simulates");
    let sb = statevector(b).expect("simulates");
    sa.fidelity(sb.amplitudes())
}

#[test]
fn modifiers_on_user_gates_unroll_exactly() {
    let text = r#"
        OPENQASM 3.0;
        include "stdgates.inc";
        gate rot(theta) a { rz(theta) a; ry(theta / 2) a; }
        gate pair(t) a, b { rot(t) a; cx a, b; gphase(t / 3); rot(-t) b; }
        qubit[4] q;
        h q[0]; h q[1]; ry(0.4) q[3];
        ctrl @ pair(0.7) q[0], q[2], q[3];
        negctrl(2) @ pair(1.1) q[1], q[0], q[3], q[2];
        inv @ pair(0.3) q[1], q[2];
        pow(3) @ rot(0.2) q[3];
        pow(-2) @ ctrl @ rot(0.5) q[2], q[1];
        inv @ ctrl @ inv @ pair(0.9) q[3], q[0], q[1];
    "#;
    let c = eqisa_qasm::parse_str(text, "modifiers.qasm3").expect("parses");
    let u = unroll(&c).expect("unrolls");
    assert_standard_only(&u);
    let f = same_state(&c, &u);
    assert!(f > 1.0 - 1e-12, "fidelity {f}");
    // Reference: the same circuit written out by hand without modifiers on user gates.
    let manual = r#"
        OPENQASM 3.0;
        include "stdgates.inc";
        qubit[4] q;
        h q[0]; h q[1]; ry(0.4) q[3];
        // ctrl @ pair(0.7) q[0], q[2], q[3]
        ctrl @ rz(0.7) q[0], q[2]; ctrl @ ry(0.35) q[0], q[2]; ctrl @ cx q[0], q[2], q[3];
        ctrl @ gphase(0.7 / 3) q[0]; ctrl @ rz(-0.7) q[0], q[3]; ctrl @ ry(-0.35) q[0], q[3];
        // negctrl(2) @ pair(1.1) q[1], q[0], q[3], q[2]
        negctrl(2) @ rz(1.1) q[1], q[0], q[3]; negctrl(2) @ ry(0.55) q[1], q[0], q[3];
        negctrl(2) @ cx q[1], q[0], q[3], q[2]; negctrl(2) @ gphase(1.1 / 3) q[1], q[0];
        negctrl(2) @ rz(-1.1) q[1], q[0], q[2]; negctrl(2) @ ry(-0.55) q[1], q[0], q[2];
        // inv @ pair(0.3) q[1], q[2]
        ry(0.15) q[2]; rz(0.3) q[2]; gphase(-0.1); cx q[1], q[2]; ry(-0.15) q[1]; rz(-0.3) q[1];
        // pow(3) @ rot(0.2) q[3]
        rz(0.2) q[3]; ry(0.1) q[3]; rz(0.2) q[3]; ry(0.1) q[3]; rz(0.2) q[3]; ry(0.1) q[3];
        // pow(-2) @ ctrl @ rot(0.5) q[2], q[1]
        ctrl @ ry(-0.25) q[2], q[1]; ctrl @ rz(-0.5) q[2], q[1];
        ctrl @ ry(-0.25) q[2], q[1]; ctrl @ rz(-0.5) q[2], q[1];
        // inv @ ctrl @ inv @ pair(0.9) q[3], q[0], q[1] == ctrl @ pair(0.9)
        ctrl @ rz(0.9) q[3], q[0]; ctrl @ ry(0.45) q[3], q[0]; ctrl @ cx q[3], q[0], q[1];
        ctrl @ gphase(0.3) q[3]; ctrl @ rz(-0.9) q[3], q[1]; ctrl @ ry(-0.45) q[3], q[1];
    "#;
    let m = eqisa_qasm::parse_str(manual, "manual.qasm3").expect("parses");
    let sc = statevector(&c).expect("simulates");
    let sm = statevector(&m).expect("simulates");
    // Exact, global phase included: every phase above is a controlled one.
    for (a, b) in sc.amplitudes().iter().zip(sm.amplitudes()) {
        assert!((a - b).norm() < 1e-12, "{a} vs {b}");
    }
}

#[test]
fn opaque_gates_cannot_be_unrolled_or_simulated() {
    let text = "OPENQASM 2.0;\nqreg q[1];\nopaque magic(a) x;\nmagic(0.1) q[0];\n";
    let c = eqisa_qasm::parse_str(text, "opaque.qasm").expect("parses");
    assert_eq!(unroll(&c), Err(UnrollError::Opaque("magic".into())));
    assert!(statevector(&c).is_err());
}

#[test]
fn exponential_definitions_are_refused_not_expanded() {
    // Each level doubles: 2^40 gates.
    let mut text = String::from("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\n");
    text.push_str("gate g0 a { x a; x a; }\n");
    for k in 1..40 {
        text.push_str(&format!("gate g{k} a {{ g{} a; g{} a; }}\n", k - 1, k - 1));
    }
    text.push_str("g39 q[0];\n");
    let c = eqisa_qasm::parse_str(&text, "big.qasm").expect("parses");
    assert!(matches!(unroll(&c), Err(UnrollError::TooLarge { .. })));
}

#[test]
fn corpus_circuits_with_definitions_unroll_to_the_same_state() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let mut checked = 0;
    for rec in common::reference(&dir) {
        if rec.get("statevector").is_none() {
            continue;
        }
        let file = rec["file"].as_str().expect("file");
        let c = eqisa_qasm::parse_file(dir.join(file)).expect("parses");
        if !c
            .gates
            .iter()
            .any(|g| matches!(g.kind, GateKind::Defined(_)))
        {
            continue;
        }
        let u = unroll(&c).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_standard_only(&u);
        let f = same_state(&c, &u);
        assert!(f > 1.0 - 1e-9, "{file}: fidelity {f}");
        checked += 1;
    }
    assert!(checked > 20, "only {checked} circuits with definitions");
}
