//! Structured programs lowered with their loops kept: Stim-like strided loops (measurements
//! into `rec[base + stride*r]`, feed-forward on them), nested loops, real-time `while`, the
//! loops that must fall back, and a million-round loop over a huge register. Every kept form
//! is checked against the fully flattened program, and its OpenQASM 3 against both.

use eqisa_ir::Circuit;
use eqisa_ir::circuit::{CondExpr, Op};
use eqisa_ir::program::flatten::{FlattenLimits, flatten};
use eqisa_ir::program::stmt::Program;
use eqisa_ir::program::types::Type;
use eqisa_lower::clifford_t::Budget;
use eqisa_lower::program::{NativeOp, NativeProgram};
use eqisa_lower::structured::{LoweredStructure, Piece, lower_structured};
use eqisa_lower::target::{TargetDesc, TargetKind};
use eqisa_lower::{LowerOptions, lower};

fn parse(text: &str) -> Program {
    match eqisa_qasm::parse_program_str(text, "t.qasm3").expect("parses") {
        eqisa_qasm::Parsed::Structured(p) => p,
        eqisa_qasm::Parsed::Flat(_) => panic!("not structured"),
    }
}

fn target() -> TargetDesc {
    TargetDesc::default_for(TargetKind::Native)
}

fn opts() -> LowerOptions {
    LowerOptions {
        budget: Budget::Exact,
        ..LowerOptions::default()
    }
}

fn structured(p: &Program) -> Option<LoweredStructure> {
    lower_structured(p, &[], &target(), &opts(), &FlattenLimits::default()).expect("lowers")
}

/// One operation as compared: name, qubits, measured bit, condition, angle.
type Key = (String, Vec<u32>, Option<u32>, Option<CondExpr>, Option<i64>);

fn native_keys(p: &NativeProgram) -> Vec<Key> {
    p.ops
        .iter()
        .map(|op| {
            (
                op.op.name().to_string(),
                op.qubits.to_vec(),
                match op.op {
                    NativeOp::Measure { clbit } => Some(clbit),
                    _ => None,
                },
                op.cond.and_then(|c| p.conditions.get(c as usize)).cloned(),
                match op.op {
                    NativeOp::Rz(a) => Some((a * 1e9).round() as i64),
                    _ => None,
                },
            )
        })
        .collect()
}

/// Each qubit's operations in order: the same circuit up to the order of operations on
/// different qubits (lowering a whole program may interleave them differently).
fn wires(p: &NativeProgram) -> Vec<Vec<Key>> {
    let keys = native_keys(p);
    (0..p.num_qubits)
        .map(|q| keys.iter().filter(|k| k.1.contains(&q)).cloned().collect())
        .collect()
}

fn circuit_keys(c: &Circuit, ops: &[Op], cond: Option<&CondExpr>, out: &mut Vec<Key>) {
    for op in ops {
        match *op {
            Op::Gate { gate, args, params } => {
                let (qs, ps) = c.gate_operands(gate, args, params);
                out.push((
                    c.gate(gate).name.clone(),
                    qs.to_vec(),
                    None,
                    cond.cloned(),
                    ps.first().map(|a| (a * 1e9).round() as i64),
                ));
            }
            Op::Measure { qubit, clbit } => {
                out.push((
                    "measure".into(),
                    vec![qubit],
                    Some(clbit),
                    cond.cloned(),
                    None,
                ));
            }
            Op::Reset { qubit } => {
                out.push(("reset".into(), vec![qubit], None, cond.cloned(), None));
            }
            Op::Barrier { args, len } => out.push((
                "barrier".into(),
                c.barrier_qubits(args, len).to_vec(),
                None,
                cond.cloned(),
                None,
            )),
            Op::Delay { qubit, .. } => {
                out.push(("delay".into(), vec![qubit], None, cond.cloned(), None));
            }
            Op::If { block } => {
                let b = &c.ifs[block as usize];
                assert!(b.else_ops.is_empty(), "written conditions have no else");
                circuit_keys(c, &b.then_ops, Some(&b.cond), out);
            }
        }
    }
}

/// The unrolled structure equals the flattened program lowered whole, op for op, and the
/// structure's OpenQASM 3, parsed and flattened, equals both.
fn check_against_flat(p: &Program, ls: &LoweredStructure) {
    let unrolled = ls.unrolled(1 << 20).expect("unrolls");
    let flat = flatten(p, &[], &FlattenLimits::default()).expect("flattens");
    let whole = lower(&flat, &target(), &opts()).expect("lowers").program;
    assert_eq!(wires(&unrolled), wires(&whole));
    assert_eq!(ls.executed_ops(), unrolled.ops.len() as u128);
    let text = ls.to_qasm3();
    let back = flatten(&parse(&text), &[], &FlattenLimits::default())
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut keys = Vec::new();
    circuit_keys(&back, &back.ops, None, &mut keys);
    assert_eq!(keys, native_keys(&unrolled), "{text}");
}

const HEADER: &str = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\n";

fn repeats(pieces: &[Piece]) -> Vec<(u64, u64, usize)> {
    let mut out = Vec::new();
    for p in pieces {
        if let Piece::Repeat {
            count,
            clbit_stride,
            body,
            ..
        } = p
        {
            out.push((*count, *clbit_stride, body.len()));
            out.extend(repeats(body));
        }
    }
    out
}

#[test]
fn a_strided_loop_is_kept_and_unrolls_to_the_flat_program() {
    let p = parse(&format!(
        "{HEADER}qubit[2] q;\nbit[21] rec;\nmeasure q[0] -> rec[0];\n\
         for uint r in [0:9] {{ h q[1]; cx q[0], q[1]; measure q[1] -> rec[1 + 2*r]; \
         measure q[0] -> rec[2 + 2*r]; }}\n"
    ));
    let ls = structured(&p).expect("kept");
    assert_eq!(repeats(&ls.pieces), vec![(10, 2, 1)]);
    assert!(!ls.realtime_loops);
    let text = ls.to_qasm3();
    assert!(text.contains("for uint r in [0:9] {"), "{text}");
    assert!(text.contains("rec[1 + 2*r] = measure q[1];"), "{text}");
    assert_eq!(ls.counts().get("measure"), Some(&21));
    check_against_flat(&p, &ls);
}

#[test]
fn other_affine_forms_and_a_range_step_are_kept() {
    // `r*3 + 1`, `r` alone and a subtraction, over a range with step 2: the stride is 3*2.
    let p = parse(&format!(
        "{HEADER}qubit[3] q;\nbit[40] rec;\n\
         for uint r in [2:2:10] {{ cx q[0], q[1]; measure q[1] -> rec[r*3 + 1 - 6]; \
         measure q[2] -> rec[3*r - 4]; measure q[0] -> rec[(r + r + r) - 3]; }}\n"
    ));
    let ls = structured(&p).expect("kept");
    assert_eq!(repeats(&ls.pieces), vec![(5, 6, 1)]);
    check_against_flat(&p, &ls);
}

#[test]
fn feed_forward_conditions_move_with_the_loop() {
    let p = parse(&format!(
        "{HEADER}qubit[2] q;\nbit[20] rec;\n\
         for uint r in [0:9] {{ h q[1]; cx q[0], q[1]; measure q[1] -> rec[2*r]; \
         if (rec[2*r] == 1) x q[0]; measure q[0] -> rec[1 + 2*r]; }}\n"
    ));
    let ls = structured(&p).expect("kept");
    assert_eq!(repeats(&ls.pieces), vec![(10, 2, 1)]);
    let text = ls.to_qasm3();
    assert!(text.contains("if ((rec[0 + 2*r]) == (1))"), "{text}");
    let unrolled = ls.unrolled(1000).expect("unrolls");
    let conds: Vec<&CondExpr> = unrolled
        .ops
        .iter()
        .filter_map(|op| op.cond.map(|c| &unrolled.conditions[c as usize]))
        .collect();
    let mut bits: Vec<u32> = conds
        .iter()
        .map(|c| match c {
            CondExpr::Binary(_, a, _) => match **a {
                CondExpr::Bit(b) => b,
                _ => panic!("{c:?}"),
            },
            _ => panic!("{c:?}"),
        })
        .collect();
    bits.dedup();
    assert_eq!(bits, (0..10).map(|k| 2 * k).collect::<Vec<u32>>());
    check_against_flat(&p, &ls);
}

#[test]
fn nested_loops_are_kept_with_their_own_strides() {
    // Stim: REPEAT 3 { REPEAT 4 { one measurement } ; one more } — the inner loop moves by 1,
    // the outer by 5.
    let p = parse(&format!(
        "{HEADER}qubit[2] q;\nbit[16] rec;\nx q[1];\n\
         for uint r in [0:2] {{ cx q[1], q[0]; \
           for uint s in [0:3] {{ h q[1]; measure q[1] -> rec[1 + 5*r + s]; }} \
           measure q[0] -> rec[5 + 5*r]; \
           if (rec[5 + 5*r] == 1) x q[0]; }}\n\
         for uint k in [0:1] {{ reset q[0]; h q[1]; cx q[0], q[1]; measure q -> rec[14:15]; }}\n"
    ));
    let ls = structured(&p).expect("kept");
    assert_eq!(
        repeats(&ls.pieces),
        vec![(3, 5, 3), (4, 1, 1), (2, 0, 1)],
        "{:#?}",
        ls.pieces
    );
    let text = ls.to_qasm3();
    assert!(text.contains("rec[1 + 5*r + 1*s]"), "{text}");
    check_against_flat(&p, &ls);
}

#[test]
fn alike_loops_stay_kept_with_stride_zero() {
    let p = parse(&format!(
        "{HEADER}qubit[2] q;\nbit[2] c;\nfor int i in [0:99] {{ h q[0]; cx q[0], q[1]; measure q -> c; }}\n"
    ));
    let ls = structured(&p).expect("kept");
    assert_eq!(repeats(&ls.pieces), vec![(100, 0, 1)]);
    check_against_flat(&p, &ls);
}

#[test]
fn non_affine_or_mixed_uses_fall_back_and_stay_correct() {
    let bodies = [
        "h q[1]; measure q[1] -> rec[r*r];",
        "h q[1]; if (r == 3) x q[0]; measure q[1] -> rec[2*r];",
        "h q[1]; measure q[1] -> rec[r % 2];",
        "h q[1]; measure q[1] -> rec[2*r]; measure q[0] -> rec[3*r + 1];",
        "h q[1]; measure q[1] -> rec[2*r]; measure q[0] -> rec[0];",
        "h q[r]; measure q[1] -> rec[0];",
    ];
    for body in bodies {
        let p = parse(&format!(
            "{HEADER}qubit[4] q;\nbit[40] rec;\nfor uint r in [0:3] {{ {body} }}\n\
             for uint k in [0:1] {{ cx q[0], q[1]; measure q[0] -> rec[39]; reset q[1]; }}\n"
        ));
        let ls = structured(&p).expect("the other loop is kept");
        assert_eq!(repeats(&ls.pieces), vec![(2, 0, 1)], "{body}");
        check_against_flat(&p, &ls);
    }
}

#[test]
fn a_strided_loop_filling_its_register_is_kept_and_one_leaving_it_is_not() {
    // Iterations 0..8 measure into rec[1], rec[3], …, rec[17] of 19 bits.
    let p = parse(&format!(
        "{HEADER}qubit[2] q;\nbit[19] rec;\nbit[4] other;\n\
         for uint r in [0:8] {{ h q[1]; measure q[1] -> rec[1 + 2*r]; }}\n"
    ));
    let ls = structured(&p).expect("kept");
    assert_eq!(repeats(&ls.pieces), vec![(9, 2, 1)]);
    check_against_flat(&p, &ls);
    // Iteration 9 would measure into rec[19], past the register's end: not kept, and the
    // flattened loop fails as flatten does.
    let p = parse(&format!(
        "{HEADER}qubit[2] q;\nbit[19] rec;\nbit[4] other;\n\
         for uint r in [0:9] {{ h q[0]; measure q[0] -> rec[1 + 2*r]; }}\n"
    ));
    assert!(flatten(&p, &[], &FlattenLimits::default()).is_err());
    assert!(
        lower_structured(&p, &[], &target(), &opts(), &FlattenLimits::default())
            .map_or(true, |kept| kept.is_none())
    );
}

#[test]
fn a_while_on_a_measured_bit_is_kept_and_written_back() {
    let p = parse(&format!(
        "{HEADER}qubit[2] q;\nbit[4] rec;\nh q[0];\nmeasure q[0] -> rec[0];\n\
         while (rec[0] == 1) {{ reset q[0]; h q[0]; measure q[0] -> rec[0]; }}\n\
         cx q[0], q[1];\n"
    ));
    let ls = structured(&p).expect("kept");
    assert!(ls.realtime_loops);
    assert!(
        ls.pieces.iter().any(|p| matches!(p, Piece::While { .. })),
        "{:#?}",
        ls.pieces
    );
    assert!(ls.unrolled(1000).is_none());
    let text = ls.to_qasm3();
    assert!(text.contains("while ((rec[0]) == (1)) {"), "{text}");
    // The text reads back as a program with the same while.
    let back = parse(&text);
    let again = structured(&back).expect("kept again");
    assert!(again.realtime_loops);
    assert_eq!(again.counts(), ls.counts());
}

#[test]
fn a_while_inside_a_strided_loop() {
    let p = parse(&format!(
        "{HEADER}qubit[2] q;\nbit[20] rec;\n\
         for uint r in [0:9] {{ h q[1]; measure q[1] -> rec[2*r]; \
         while (rec[2*r] == 1) {{ reset q[1]; h q[1]; measure q[1] -> rec[2*r]; }} \
         measure q[0] -> rec[1 + 2*r]; }}\n"
    ));
    let ls = structured(&p).expect("kept");
    assert!(ls.realtime_loops);
    assert_eq!(repeats(&ls.pieces), vec![(10, 2, 3)]);
    let text = ls.to_qasm3();
    assert!(text.contains("while ((rec[0 + 2*r]) == (1)) {"), "{text}");
    let again = structured(&parse(&text)).expect("kept again");
    assert!(again.realtime_loops);
    assert_eq!(repeats(&again.pieces), vec![(10, 2, 3)]);
    assert_eq!(again.counts(), ls.counts());
}

#[test]
fn a_million_rounds_over_a_huge_register_lower_in_one_round() {
    // The front end caps registers at 2^24 bits; the Stim reader builds its `Program` directly,
    // so widen `rec` here to 2·10^8 bits.
    let mut p = parse(&format!(
        "{HEADER}qubit[3] q;\nbit[200] rec;\n\
         for uint r in [0:999999] {{ cx q[0], q[1]; cx q[2], q[1]; measure q[1] -> rec[3 + 200*r]; \
         reset q[1]; if (rec[3 + 200*r] == 1) x q[0]; }}\n"
    ));
    let n: u32 = 200_000_000;
    let rec = p.vars.iter_mut().find(|v| v.name == "rec").expect("rec");
    rec.ty = Type::Bits(n);
    let r = rec.creg.expect("register") as usize;
    p.circuit.cregs[r].size = n;
    p.circuit.num_clbits = p
        .circuit
        .cregs
        .iter()
        .map(|c| c.start + c.size)
        .max()
        .unwrap_or(0);
    let ls = structured(&p).expect("kept");
    assert_eq!(repeats(&ls.pieces), vec![(1_000_000, 200, 1)]);
    assert_eq!(ls.counts().get("measure"), Some(&1_000_000));
    assert_eq!(ls.executed_ops() % 1_000_000, 0);
    assert!(ls.to_qasm3().contains("rec[3 + 200*r]"));
}
