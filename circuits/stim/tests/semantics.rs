//! What the built programs do: exact outcome distributions of small circuits (measurement
//! bases, `!`, `MPP`, `MXX`/`MYY`/`MZZ`, `MPAD`, feedback, `REPEAT`), and the record indices
//! inside loops. Every certain outcome here is the one Stim 1.16's own sampler gives for the same
//! text.

use eqisa_ir::circuit::Op;
use eqisa_ir::program::flatten::{FlattenLimits, flatten};
use eqisa_statevector::circuit::OutcomeLimits;
use eqisa_statevector::program::program_outcomes;
use eqisa_stim::parse_stim;

/// The outcome distribution of `src` as (record bit string, clbit 0 first; probability).
fn outcomes(src: &str) -> Vec<(String, f64)> {
    let p = parse_stim(src, "t.stim").unwrap_or_else(|e| panic!("{e}"));
    let o = program_outcomes(&p.program, &[], &OutcomeLimits::default()).expect("outcomes");
    o.into_iter()
        .map(|o| {
            let s: String = o.bits.iter().map(|&b| if b { '1' } else { '0' }).collect();
            (s, o.probability)
        })
        .collect()
}

fn certain(src: &str) -> String {
    let o = outcomes(src);
    assert_eq!(o.len(), 1, "{src}: {o:?}");
    assert!((o[0].1 - 1.0).abs() < 1e-9);
    o[0].0.clone()
}

#[test]
fn measurement_bases_resets_and_inversion() {
    assert_eq!(certain("RX 0\nMX 0\nMX !0"), "01");
    assert_eq!(certain("RY 0\nMY 0\nMY !0"), "01");
    assert_eq!(certain("R 0\nX 0\nM 0 !0\nMR 0\nM 0"), "1010");
    assert_eq!(certain("RX 0\nMRX !0\nMX 0\nRY 1\nMRY 1\nMY 1"), "1000");
    assert_eq!(certain("H 0\nS 0\nMRY 0\nMY 0"), "00");
    // After `M !0` the qubit is as after `M 0`.
    assert_eq!(certain("X 0\nM !0\nM 0"), "01");
    // Flip probabilities are noise: measured anyway.
    assert_eq!(certain("X 0\nM(0.25) 0"), "1");
}

#[test]
fn pauli_products_and_pair_measurements() {
    let bell = "H 0\nCX 0 1\n";
    assert_eq!(
        certain(&format!("{bell}MPP X0*X1 Z0*Z1 Y0*Y1 !Z0*Z1")),
        "0011"
    );
    assert_eq!(
        certain(&format!("{bell}MXX 0 1\nMYY 0 1\nMZZ 0 1\nMZZ !0 1")),
        "0101"
    );
    // The products leave the state alone: measuring again agrees.
    let o = outcomes(&format!("{bell}MPP X0 * X1\nMXX 0 1\nM 0 1"));
    let o: Vec<&str> = o.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(o, ["0000", "0011"]);
    assert_eq!(certain("RX 0\nRY 1\nMPP X0*Y1*Z2 X0 Y1 Z2"), "0000");
    // A single-qubit product of a |+> state is random.
    assert_eq!(outcomes("R 0\nMPP X0").len(), 2);
}

#[test]
fn mpad_feedback_and_repeat() {
    assert_eq!(certain("MPAD 1 0\nCX rec[-2] 0\nM 0"), "101");
    assert_eq!(
        certain("X 0\nM 0\nCX rec[-1] 1\nCY rec[-1] 2\nM 1 2"),
        "111"
    );
    assert_eq!(certain("X 0\nM 0\nH 1\nCZ 1 rec[-1]\nH 1\nM 1"), "11");
    assert_eq!(
        certain("X 0\nM 0\nXCZ 1 rec[-1]\nYCZ 2 rec[-1]\nM 1 2"),
        "111"
    );
    // Each round copies the previous round's bit onto a fresh qubit: 1, 1, 1.
    assert_eq!(
        certain("X 0\nM 0\nREPEAT 3 {\n  R 1\n  CX rec[-1] 1\n  M 1\n}"),
        "1111"
    );
    // Nested loops: the inner record index is affine in both loop variables (the outer round
    // measures q0, which the inner rounds flip three times, and the inner rounds copy it).
    let src = "X 0\nREPEAT 2 {\n M 0\n REPEAT 3 {\n  R 1\n  CX rec[-1] 1\n  M 1\n  X 0\n }\n}";
    assert_eq!(certain(src), "11110000");
}

#[test]
fn repeat_stays_a_loop_and_flattens_to_the_record() {
    let src = "REPEAT 1000 {\n  R 0\n  H 0\n  MR 0\n  TICK\n}\nM 0";
    let p = parse_stim(src, "t.stim").unwrap();
    assert_eq!(p.program.body.len(), 3, "declaration, loop, measurement");
    assert_eq!(p.program.circuit.num_clbits, 1001);
    let flat = flatten(&p.program, &[], &FlattenLimits::default()).unwrap();
    let clbits: Vec<u32> = flat
        .ops
        .iter()
        .filter_map(|op| match op {
            Op::Measure { clbit, .. } => Some(*clbit),
            _ => None,
        })
        .collect();
    assert_eq!(clbits, (0..1001).collect::<Vec<_>>());
}

#[test]
fn skipped_and_registers() {
    let src = "QUBIT_COORDS(1, 2) 7\nDEPOLARIZE1(0.1) 0 1\nREPEAT 5 {\n X_ERROR(0.1) 3\n M(0.01) 0\n DETECTOR rec[-1]\n}\nE(0.1) X9\nI[tag] 0\nH[x] 0";
    let p = parse_stim(src, "t.stim").unwrap();
    let names: Vec<(&str, u64)> = p.skipped.iter().map(|(n, c)| (n.as_str(), *c)).collect();
    assert_eq!(
        names,
        vec![
            ("DEPOLARIZE1", 1),
            ("DETECTOR", 1),
            ("E", 1),
            ("M(noise)", 1),
            ("QUBIT_COORDS", 1),
            ("X_ERROR", 1)
        ]
    );
    assert_eq!(p.program.circuit.num_qubits, 10);
    assert_eq!(p.program.circuit.num_clbits, 5);
    assert_eq!(p.program.circuit.qregs[0].name, "q");
    assert_eq!(p.program.circuit.cregs[0].name, "rec");
}
