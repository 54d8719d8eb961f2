//! Programs with loops, assembled and decoded: counted loops (nested, with classical-bit
//! strides) run their body from the replay buffer exactly as the unrolled program, real-time
//! `while` loops iterate as the caller's answers say, and text-only decoding releases each body
//! once.

use eqisa_assembler::{Structured, assemble_structured};
use eqisa_decoder::{Decoder, Event, Fed, feed_chunks};
use eqisa_ir::circuit::{CondExpr, CondOp, Register};
use eqisa_isa::IsaError;
use eqisa_isa::codebook::Codebook;
use eqisa_isa::control::{ControlBuilder, NodeKind};
use eqisa_isa::instr::Opcode;
use eqisa_isa::model::Priors;
use eqisa_lower::program::{NativeOp, NativeProgram, TimedOp};
use eqisa_lower::target::{TargetDesc, TargetKind};
use smallvec::SmallVec;

fn codebook() -> Codebook {
    Codebook {
        description: "flat".into(),
        priors: Priors::default(),
        paper_dictionary: None,
        training: String::new(),
    }
}

fn op(op: NativeOp, qubits: &[u32]) -> TimedOp {
    TimedOp {
        op,
        qubits: SmallVec::from_slice(qubits),
        cond: None,
        start_ns: 0.0,
        duration_ns: 0.0,
    }
}

/// A piece scheduled on its own from time 0, as the lowering schedules each piece.
fn piece(ops: Vec<TimedOp>, clbits: u32, target: &TargetDesc) -> Vec<TimedOp> {
    let mut p = program(ops, clbits, Vec::new());
    p.schedule(target);
    p.ops
}

fn program(ops: Vec<TimedOp>, clbits: u32, conditions: Vec<CondExpr>) -> NativeProgram {
    NativeProgram {
        target: TargetKind::CliffordT,
        num_qubits: 2,
        num_clbits: clbits,
        qregs: vec![Register {
            name: "q".into(),
            start: 0,
            size: 2,
        }],
        cregs: vec![Register {
            name: "rec".into(),
            start: 0,
            size: clbits,
        }],
        ops,
        conditions,
        duration_ns: 0.0,
        angle_bits: 0,
    }
}

type Released = (Opcode, Vec<u32>, u64, f64);

fn decode(bytes: &[u8], cb: &Codebook, text_only: bool, answers: &[bool]) -> Vec<Released> {
    let mut dec = Decoder::new(&cb.priors, cb.hash());
    if text_only {
        dec = dec.text_only();
    }
    let mut answers = answers.iter().copied();
    let mut out = Vec::new();
    let mut input = bytes;
    // Byte by byte, to cross every block and section boundary.
    loop {
        match dec.next_event().expect("decodes") {
            Event::Instr(t) => out.push((
                t.instr.opcode,
                t.instr.qubits.to_vec(),
                t.instr.arg,
                t.start_ns,
            )),
            Event::NeedInput => {
                let n = dec.feed(&input[..1]);
                input = &input[n..];
            }
            Event::Await { .. } => dec.answer(answers.next().expect("an answer")),
            Event::End => return out,
        }
    }
}

fn h(q: u32) -> TimedOp {
    op(NativeOp::H, &[q])
}
fn measure(q: u32, clbit: u32) -> TimedOp {
    op(NativeOp::Measure { clbit }, &[q])
}

#[test]
fn nested_counted_loops_with_a_stride_run_as_unrolled() {
    let target = TargetDesc::default_for(TargetKind::CliffordT);
    let a = piece(vec![h(0), op(NativeOp::Cx, &[0, 1])], 11, &target);
    let b = piece(vec![h(1), measure(0, 0), measure(1, 1)], 11, &target);
    let c = piece(vec![op(NativeOp::X, &[0])], 11, &target);
    let d = piece(vec![measure(0, 10)], 11, &target);
    let mut tree = ControlBuilder::new();
    tree.ops(2).unwrap();
    tree.open(NodeKind::Repeat {
        count: 5,
        stride: 2,
    })
    .unwrap();
    tree.ops(3).unwrap();
    tree.open(NodeKind::Repeat {
        count: 3,
        stride: 0,
    })
    .unwrap();
    tree.ops(1).unwrap();
    tree.close().unwrap();
    tree.close().unwrap();
    tree.ops(1).unwrap();
    let text: Vec<TimedOp> = [&a, &b, &c, &d].into_iter().flatten().cloned().collect();
    let s = Structured {
        text: program(text, 11, Vec::new()),
        control: tree.finish().unwrap(),
    };
    let cb = codebook();
    let asm = assemble_structured(&s, &target, &cb, cb.hash()).expect("assembles");
    assert!(asm.control_bytes > 0);
    let got = decode(&asm.bytes, &cb, false, &[]);

    // The unrolled program: each piece starts when everything before it has ended.
    let mut want: Vec<Released> = Vec::new();
    let mut t0 = 0.0f64;
    let mut run = |ops: &[TimedOp], shift: u64, want: &mut Vec<Released>| {
        let mut end = t0;
        for o in ops {
            let arg = match o.op {
                NativeOp::Measure { clbit } => u64::from(clbit) + shift,
                _ => 0,
            };
            let qubits = o.qubits.to_vec();
            let opcode = eqisa_assembler::encode::opcode_of(&o.op);
            want.push((opcode, qubits, arg, t0 + o.start_ns));
            end = end.max(t0 + o.start_ns + o.duration_ns);
        }
        t0 = end;
    };
    run(&a, 0, &mut want);
    for k in 0..5u64 {
        run(&b, 2 * k, &mut want);
        for _ in 0..3 {
            run(&c, 2 * k, &mut want);
        }
    }
    run(&d, 0, &mut want);
    assert_eq!(got.len(), 2 + 5 * (3 + 3) + 1);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!((g.0, &g.1, g.2), (w.0, &w.1, w.2));
        assert!((g.3 - w.3).abs() < 1e-6, "start {} vs {}", g.3, w.3);
    }

    // The assembler's own unrolling agrees, and so does the OpenQASM 3 written with the loops,
    // read back and flattened.
    let unrolled = s.unrolled(1000).expect("small");
    assert_eq!(unrolled.ops.len(), got.len());
    for (u, g) in unrolled.ops.iter().zip(&got) {
        let arg = match u.op {
            NativeOp::Measure { clbit } => u64::from(clbit),
            _ => 0,
        };
        assert_eq!(
            (
                eqisa_assembler::encode::opcode_of(&u.op),
                &u.qubits.to_vec(),
                arg
            ),
            (g.0, &g.1, g.2)
        );
        assert!((u.start_ns - g.3).abs() < 1e-6);
    }
    let qasm = s.to_qasm3().expect("writes");
    assert!(qasm.contains("for uint _r0 in [0:4] {"), "{qasm}");
    assert!(qasm.contains("rec[0 + 2*_r0] = measure q[0];"), "{qasm}");
    let parsed = eqisa_qasm::parse_program_str(&qasm, "loops.qasm").expect("parses");
    let circuit = eqisa_qasm::flatten(parsed, &[]).expect("flattens");
    let measured: Vec<u32> = circuit
        .ops
        .iter()
        .filter_map(|o| match o {
            eqisa_ir::circuit::Op::Measure { clbit, .. } => Some(*clbit),
            _ => None,
        })
        .collect();
    let want_measured: Vec<u32> = got
        .iter()
        .filter(|g| g.0 == Opcode::Measure)
        .map(|g| g.2 as u32)
        .collect();
    assert_eq!(measured, want_measured);

    // Text only: each body once, in program order.
    let text = decode(&asm.bytes, &cb, true, &[]);
    assert_eq!(text.len(), 7);
    assert_eq!(
        text.iter().map(|t| t.0).collect::<Vec<_>>(),
        s.text
            .ops
            .iter()
            .map(|o| eqisa_assembler::encode::opcode_of(&o.op))
            .collect::<Vec<_>>()
    );

    // feed_chunks without a condition source runs it too (no while loop).
    let mut dec = Decoder::new(&cb.priors, cb.hash());
    let mut n = 0;
    let fed = feed_chunks(&mut dec, &mut &asm.bytes[..], 7, |_| {
        n += 1;
        Ok::<(), IsaError>(())
    });
    assert_eq!(fed, Ok(Fed::End));
    assert_eq!(n, got.len());
}

#[test]
fn a_while_loop_iterates_as_the_answers_say() {
    let target = TargetDesc::default_for(TargetKind::CliffordT);
    let first = piece(vec![h(0), measure(0, 0)], 1, &target);
    let body = piece(vec![h(0), measure(0, 0)], 1, &target);
    let mut tree = ControlBuilder::new();
    tree.ops(2).unwrap();
    tree.open(NodeKind::While { cond: 0 }).unwrap();
    tree.ops(2).unwrap();
    tree.close().unwrap();
    let cond = CondExpr::Binary(
        CondOp::Eq,
        Box::new(CondExpr::Bit(0)),
        Box::new(CondExpr::Bool(true)),
    );
    let text: Vec<TimedOp> = first.iter().chain(&body).cloned().collect();
    let s = Structured {
        text: program(text, 1, vec![cond]),
        control: tree.finish().unwrap(),
    };
    let cb = codebook();
    let asm = assemble_structured(&s, &target, &cb, cb.hash()).expect("assembles");
    for iterations in 0..4 {
        let mut answers = vec![true; iterations];
        answers.push(false);
        let got = decode(&asm.bytes, &cb, false, &answers);
        assert_eq!(got.len(), 2 + 2 * iterations, "{iterations} iterations");
        // Every iteration starts after the previous one ended.
        assert!(got.windows(2).all(|w| w[1].3 >= w[0].3));
    }
    // Without answers, feed_chunks says what is missing.
    let mut dec = Decoder::new(&cb.priors, cb.hash());
    let fed = feed_chunks(&mut dec, &mut &asm.bytes[..], usize::MAX, |_| {
        Ok::<(), IsaError>(())
    });
    assert_eq!(
        fed,
        Err(IsaError::NoOutcomes {
            cond: 0,
            bit_offset: 0
        })
    );
    // With a condition source, nothing is asked.
    let mut dec = Decoder::new(&cb.priors, cb.hash());
    let mut left = 3;
    dec.set_condition_source(Box::new(move |c, off| {
        assert_eq!((c, off), (0, 0));
        left -= 1;
        left > 0
    }));
    let mut n = 0;
    let fed = feed_chunks(&mut dec, &mut &asm.bytes[..], 3, |_| {
        n += 1;
        Ok::<(), IsaError>(())
    });
    assert_eq!(fed, Ok(Fed::End));
    assert_eq!(n, 2 + 2 * 2);
}

#[test]
fn every_corruption_of_a_looped_program_is_refused() {
    let target = TargetDesc::default_for(TargetKind::CliffordT);
    let body = piece(vec![h(0), measure(0, 0)], 4, &target);
    let mut tree = ControlBuilder::new();
    tree.open(NodeKind::Repeat {
        count: 4,
        stride: 1,
    })
    .unwrap();
    tree.ops(2).unwrap();
    tree.close().unwrap();
    let s = Structured {
        text: program(body, 4, Vec::new()),
        control: tree.finish().unwrap(),
    };
    let cb = codebook();
    let asm = assemble_structured(&s, &target, &cb, cb.hash()).expect("assembles");
    for i in 0..asm.bytes.len() {
        for bit in [0, 3, 7] {
            let mut b = asm.bytes.clone();
            b[i] ^= 1 << bit;
            let mut dec = Decoder::new(&cb.priors, cb.hash());
            let fed = feed_chunks(
                &mut dec,
                &mut &b[..],
                usize::MAX,
                |_| Ok::<(), IsaError>(()),
            );
            assert!(
                !matches!(fed, Ok(Fed::End)),
                "a flip of bit {bit} of byte {i} went unnoticed"
            );
        }
    }
}

#[test]
fn a_stride_past_the_register_is_refused_at_decode_time() {
    let target = TargetDesc::default_for(TargetKind::CliffordT);
    // Four iterations of one measurement with stride 1 need 4 bits; the program says 3.
    let body = piece(vec![measure(0, 0)], 3, &target);
    let mut tree = ControlBuilder::new();
    tree.open(NodeKind::Repeat {
        count: 4,
        stride: 1,
    })
    .unwrap();
    tree.ops(1).unwrap();
    tree.close().unwrap();
    let s = Structured {
        text: program(body, 3, Vec::new()),
        control: tree.finish().unwrap(),
    };
    let cb = codebook();
    let asm = assemble_structured(&s, &target, &cb, cb.hash()).expect("assembles");
    let mut dec = Decoder::new(&cb.priors, cb.hash());
    let fed = feed_chunks(&mut dec, &mut &asm.bytes[..], usize::MAX, |_| {
        Ok::<(), IsaError>(())
    });
    assert!(matches!(fed, Err(IsaError::Corrupt(m)) if m.contains("past the program")));
}
