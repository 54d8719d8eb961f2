//! The interpreter on hand-built programs.

use super::*;
use crate::circuit::{Circuit, GateEntry, GateKind, Register, Version};
use crate::gates::StandardGate;
use crate::program::expr::{BinaryOp, UnaryOp};
use crate::program::stmt::{Case, Extern, LValue, Subroutine, Var};

const H: GateId = GateId(0);
const X: GateId = GateId(1);
const RZ: GateId = GateId(2);
const CX: GateId = GateId(3);

fn entry(name: &str, num_qubits: u32, num_params: u32, g: StandardGate) -> GateEntry {
    GateEntry {
        name: name.into(),
        num_qubits,
        num_params,
        kind: GateKind::Standard(g),
        first_use: 0,
    }
}

/// A program on `nq` qubits with one classical register `c` of `ncl` bits (when `ncl > 0`,
/// variable 0).
fn prog(nq: u32, ncl: u32) -> Program {
    let mut c = Circuit::new(Version::Qasm3);
    c.num_qubits = nq;
    c.qregs = vec![Register {
        name: "q".into(),
        start: 0,
        size: nq,
    }];
    c.gates = vec![
        entry("h", 1, 0, StandardGate::H),
        entry("x", 1, 0, StandardGate::X),
        entry("rz", 1, 1, StandardGate::Rz),
        entry("cx", 2, 0, StandardGate::Cx),
    ];
    let mut p = Program {
        circuit: c,
        files: Vec::new(),
        vars: Vec::new(),
        subroutines: Vec::new(),
        externs: Vec::new(),
        body: Vec::new(),
        physical: false,
        skipped_calibration: None,
    };
    if ncl > 0 {
        p.circuit.num_clbits = ncl;
        p.circuit.cregs = vec![Register {
            name: "c".into(),
            start: 0,
            size: ncl,
        }];
        let c = var(&mut p, "c", Type::Bits(ncl), VarKind::Mutable);
        if let Some(v) = p.vars.get_mut(c.0 as usize) {
            v.creg = Some(0);
        }
        p.body.push(Stmt::Declare {
            var: c,
            init: None,
            loc: at(1),
        });
    }
    p
}

fn var(p: &mut Program, name: &str, ty: Type, kind: VarKind) -> VarId {
    p.vars.push(Var {
        name: name.into(),
        ty,
        kind,
        creg: None,
        loc: Loc::default(),
    });
    VarId(p.vars.len() as u32 - 1)
}

fn at(line: u32) -> Loc {
    Loc {
        file: 0,
        line,
        col: 1,
    }
}
fn q(i: u32) -> Operand {
    Operand::qubit(i, at(0))
}
fn reg(len: u32) -> Operand {
    Operand {
        base: QubitBase::Global { start: 0, len },
        index: None,
        loc: at(0),
    }
}
fn int(i: i128) -> ClassicalExpr {
    ClassicalExpr::Const(Value::Int(i))
}
fn v(id: VarId) -> ClassicalExpr {
    ClassicalExpr::Var(id)
}
fn bin(op: BinaryOp, a: ClassicalExpr, b: ClassicalExpr) -> ClassicalExpr {
    ClassicalExpr::Binary(op, Box::new(a), Box::new(b))
}
fn gate(g: GateId, params: Vec<ClassicalExpr>, qubits: Vec<Operand>) -> Stmt {
    Stmt::Gate {
        gate: g,
        params,
        qubits,
        loc: at(0),
    }
}
fn declare(id: VarId, init: ClassicalExpr) -> Stmt {
    Stmt::Declare {
        var: id,
        init: Some(init),
        loc: at(0),
    }
}
fn assign(id: VarId, op: Option<BinaryOp>, value: ClassicalExpr) -> Stmt {
    Stmt::Assign {
        target: LValue {
            var: id,
            index: Vec::new(),
        },
        op,
        value,
        loc: at(0),
    }
}
fn range(a: i128, s: i128, b: i128) -> Iteration {
    Iteration::Range {
        start: int(a),
        step: int(s),
        stop: int(b),
    }
}
fn for_loop(id: VarId, iter: Iteration, body: Vec<Stmt>, line: u32) -> Stmt {
    Stmt::For {
        var: id,
        iter,
        body,
        loc: at(line),
    }
}
fn if_(cond: ClassicalExpr, then_body: Vec<Stmt>) -> Stmt {
    Stmt::If {
        cond,
        then_body,
        else_body: Vec::new(),
        loc: at(0),
    }
}

fn gate_event(g: GateId, params: Vec<f64>, qubits: Vec<u32>) -> Event {
    Event::Gate {
        gate: g,
        params,
        qubits,
    }
}

/// Run to the end, answering measurements from `outcomes` (then false).
fn run<'p>(
    p: &'p Program,
    limits: ExecLimits,
    outcomes: &[bool],
) -> Result<(Vec<Event>, Exec<'p>), ExecError> {
    let mut ex = Exec::new(p, &[], limits)?;
    let mut events = Vec::new();
    let mut k = 0;
    loop {
        let e = ex.next_event()?;
        match e {
            Event::Done => break,
            Event::Measure { .. } => {
                ex.measured(outcomes.get(k).copied().unwrap_or(false))?;
                k += 1;
            }
            _ => {}
        }
        events.push(e);
        assert!(events.len() < 100_000, "runaway program");
    }
    Ok((events, ex))
}

fn events(p: &Program) -> Vec<Event> {
    match run(p, ExecLimits::default(), &[]) {
        Ok((e, _)) => e,
        Err(e) => panic!("{e}"),
    }
}

fn rz_angles(events: &[Event]) -> Vec<f64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Gate { gate, params, .. } if *gate == RZ => params.first().copied(),
            _ => None,
        })
        .collect()
}

#[test]
fn for_over_a_range_puts_the_loop_variable_in_the_angle() {
    let mut p = prog(2, 0);
    let i = var(&mut p, "i", Type::Int(None), VarKind::Loop);
    // for int i in [0:2:6] { rz(i * 0.5) q[0]; }  (stop inclusive)
    let angle = bin(BinaryOp::Mul, v(i), ClassicalExpr::Const(Value::Float(0.5)));
    p.body.push(for_loop(
        i,
        range(0, 2, 6),
        vec![gate(RZ, vec![angle.clone()], vec![q(0)])],
        2,
    ));
    // Negative step, and an empty range.
    p.body.push(for_loop(
        i,
        range(3, -1, 1),
        vec![gate(RZ, vec![angle.clone()], vec![q(1)])],
        3,
    ));
    p.body.push(for_loop(
        i,
        range(3, 1, 1),
        vec![gate(RZ, vec![angle], vec![q(1)])],
        4,
    ));
    let ev = events(&p);
    assert_eq!(rz_angles(&ev), vec![0.0, 1.0, 2.0, 3.0, 1.5, 1.0, 0.5]);
    assert_eq!(ev.first(), Some(&gate_event(RZ, vec![0.0], vec![0])));
    assert_eq!(ev.get(4), Some(&gate_event(RZ, vec![1.5], vec![1])));
}

#[test]
fn a_million_iterations_are_one_body_and_a_count() {
    let mut p = prog(1, 0);
    let i = var(&mut p, "i", Type::Uint(Some(32)), VarKind::Loop);
    let n = var(&mut p, "n", Type::Int(Some(32)), VarKind::Mutable);
    p.body.push(declare(n, int(0)));
    p.body.push(for_loop(
        i,
        range(1, 1, 1_000_000),
        vec![assign(n, Some(BinaryOp::Add), int(1))],
        1,
    ));
    let (ev, ex) = run(&p, ExecLimits::default(), &[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(ev.is_empty());
    assert_eq!(ex.outputs(), vec![("n".to_string(), Value::Int(1_000_000))]);
}

#[test]
fn nested_loops_with_break_and_continue() {
    let mut p = prog(1, 0);
    let i = var(&mut p, "i", Type::Int(None), VarKind::Loop);
    let j = var(&mut p, "j", Type::Int(None), VarKind::Loop);
    // for i in [0:3] { if (i == 1) continue; for j in [0:10] { if (j == 2) break;
    //   rz(10 * i + j) q[0]; } if (i == 2) break; }
    let inner = vec![
        if_(
            bin(BinaryOp::Eq, v(j), int(2)),
            vec![Stmt::Break { loc: at(0) }],
        ),
        gate(
            RZ,
            vec![bin(BinaryOp::Add, bin(BinaryOp::Mul, int(10), v(i)), v(j))],
            vec![q(0)],
        ),
    ];
    let outer = vec![
        if_(
            bin(BinaryOp::Eq, v(i), int(1)),
            vec![Stmt::Continue { loc: at(0) }],
        ),
        for_loop(j, range(0, 1, 10), inner, 3),
        if_(
            bin(BinaryOp::Eq, v(i), int(2)),
            vec![Stmt::Break { loc: at(0) }],
        ),
    ];
    p.body.push(for_loop(i, range(0, 1, 3), outer, 1));
    assert_eq!(rz_angles(&events(&p)), vec![0.0, 1.0, 20.0, 21.0]);
}

#[test]
fn while_counts_down_and_declarations_reinitialise() {
    let mut p = prog(1, 0);
    let n = var(&mut p, "n", Type::Int(Some(8)), VarKind::Mutable);
    let acc = var(&mut p, "acc", Type::Int(None), VarKind::Mutable);
    let i = var(&mut p, "i", Type::Int(None), VarKind::Loop);
    p.body.push(declare(n, int(3)));
    p.body.push(Stmt::While {
        cond: bin(BinaryOp::Gt, v(n), int(0)),
        body: vec![
            gate(H, vec![], vec![q(0)]),
            assign(n, Some(BinaryOp::Sub), int(1)),
        ],
        loc: at(2),
    });
    // for i in [0:2] { int acc; acc += i; }: acc starts afresh each time, ending at 2.
    p.body.push(for_loop(
        i,
        range(0, 1, 2),
        vec![
            Stmt::Declare {
                var: acc,
                init: None,
                loc: at(0),
            },
            assign(acc, Some(BinaryOp::Add), v(i)),
        ],
        5,
    ));
    let (ev, ex) = run(&p, ExecLimits::default(), &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ev, vec![gate_event(H, vec![], vec![0]); 3]);
    assert_eq!(
        ex.outputs(),
        vec![
            ("n".to_string(), Value::Int(0)),
            ("acc".to_string(), Value::Int(2))
        ]
    );
}

#[test]
fn switch_matches_values_without_fallthrough() {
    let mut p = prog(1, 0);
    let i = var(&mut p, "i", Type::Int(None), VarKind::Loop);
    let sw = Stmt::Switch {
        target: v(i),
        cases: vec![
            Case {
                values: vec![int(0)],
                body: vec![gate(H, vec![], vec![q(0)])],
            },
            Case {
                values: vec![int(1), int(2)],
                body: vec![gate(X, vec![], vec![q(0)])],
            },
        ],
        default: Some(vec![gate(RZ, vec![v(i)], vec![q(0)])]),
        loc: at(2),
    };
    let set = Iteration::Set(vec![int(0), int(1), int(2), int(5)]);
    p.body.push(for_loop(i, set, vec![sw], 1));
    assert_eq!(
        events(&p),
        vec![
            gate_event(H, vec![], vec![0]),
            gate_event(X, vec![], vec![0]),
            gate_event(X, vec![], vec![0]),
            gate_event(RZ, vec![5.0], vec![0]),
        ]
    );
}

/// `def f(qubit a, int k) -> bit { rz(k) a; bit r = measure a; return r; }`, subroutine 0.
fn measuring_sub(p: &mut Program) -> SubId {
    let k = var(p, "k", Type::Int(Some(8)), VarKind::Param);
    let r = var(p, "r", Type::Bit, VarKind::Mutable);
    let a = Operand {
        base: QubitBase::Param(0),
        index: None,
        loc: at(10),
    };
    p.subroutines.push(Subroutine {
        name: "f".into(),
        params: vec![
            SubParam::Qubits {
                name: "a".into(),
                size: None,
            },
            SubParam::Classical(k),
        ],
        ret: Some(Type::Bit),
        body: vec![
            gate(RZ, vec![v(k)], vec![a.clone()]),
            Stmt::Declare {
                var: r,
                init: None,
                loc: at(11),
            },
            Stmt::Measure {
                qubits: a,
                target: Some(LValue {
                    var: r,
                    index: Vec::new(),
                }),
                loc: at(11),
            },
            Stmt::Return {
                value: Some(v(r)),
                loc: at(12),
            },
        ],
        loc: at(10),
    });
    SubId(p.subroutines.len() as u32 - 1)
}

fn call(sub: SubId, qubit: u32, k: i128) -> ClassicalExpr {
    ClassicalExpr::Call(
        sub,
        vec![CallArg::Qubits(q(qubit)), CallArg::Classical(int(k))],
        at(20),
    )
}

#[test]
fn a_subroutine_with_qubit_and_classical_arguments_returns_a_measured_bit() {
    let mut p = prog(2, 2);
    let f = measuring_sub(&mut p);
    let t = var(&mut p, "t", Type::Int(None), VarKind::Mutable);
    // c[1] = f(q[1], 3);
    p.body.push(Stmt::Assign {
        target: LValue {
            var: VarId(0),
            index: vec![Index::Single(int(1))],
        },
        op: None,
        value: call(f, 1, 3),
        loc: at(20),
    });
    // int t = f(q[0], 1) + 2 * f(q[1], 2);  two calls in one expression, left first.
    p.body.push(declare(
        t,
        bin(
            BinaryOp::Add,
            call(f, 0, 1),
            bin(BinaryOp::Mul, int(2), call(f, 1, 2)),
        ),
    ));
    let (ev, ex) =
        run(&p, ExecLimits::default(), &[true, false, true]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        ev,
        vec![
            gate_event(RZ, vec![3.0], vec![1]),
            Event::Measure { qubit: 1 },
            gate_event(RZ, vec![1.0], vec![0]),
            Event::Measure { qubit: 0 },
            gate_event(RZ, vec![2.0], vec![1]),
            Event::Measure { qubit: 1 },
        ]
    );
    assert_eq!(ex.clbits(), vec![false, true]);
    // f(q[0]) measured false, f(q[1]) true: 0 + 2 * 1.
    assert_eq!(ex.global(t), Some(&Value::Int(2)));
}

#[test]
fn clones_branch_on_outcomes() {
    let mut p = prog(1, 1);
    p.body.push(gate(H, vec![], vec![q(0)]));
    p.body.push(Stmt::Measure {
        qubits: q(0),
        target: Some(LValue {
            var: VarId(0),
            index: vec![Index::Single(int(0))],
        }),
        loc: at(3),
    });
    let c0 = ClassicalExpr::Index(Box::new(v(VarId(0))), vec![Index::Single(int(0))]);
    p.body.push(if_(c0, vec![gate(X, vec![], vec![q(0)])]));
    let mut ex = Exec::new(&p, &[], ExecLimits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ex.next_event(), Ok(gate_event(H, vec![], vec![0])));
    assert_eq!(ex.next_event(), Ok(Event::Measure { qubit: 0 }));
    // The outcome must come before the next event.
    assert!(matches!(
        ex.clone().next_event(),
        Err(ExecError {
            kind: ExecErrorKind::Protocol(_),
            ..
        })
    ));
    let mut one = ex.clone();
    assert_eq!(ex.measured(false), Ok(()));
    assert_eq!(one.measured(true), Ok(()));
    assert!(one.measured(true).is_err());
    assert_eq!(ex.next_event(), Ok(Event::Done));
    assert_eq!(one.next_event(), Ok(gate_event(X, vec![], vec![0])));
    assert_eq!(one.next_event(), Ok(Event::Done));
    assert_eq!((ex.clbits(), one.clbits()), (vec![false], vec![true]));
}

#[test]
fn broadcasts_expand_and_registers_are_measured_bit_by_bit() {
    let mut p = prog(3, 3);
    p.body.push(gate(H, vec![], vec![reg(3)]));
    // cx q[0:1], q[{1, 2}]: two applications, pairwise.
    p.body.push(gate(
        CX,
        vec![],
        vec![
            Operand {
                base: QubitBase::Global { start: 0, len: 3 },
                index: Some(Index::Range {
                    start: Some(int(0)),
                    step: None,
                    stop: Some(int(1)),
                }),
                loc: at(0),
            },
            Operand {
                base: QubitBase::Global { start: 0, len: 3 },
                index: Some(Index::Set(vec![int(1), int(2)])),
                loc: at(0),
            },
        ],
    ));
    p.body.push(Stmt::Measure {
        qubits: reg(3),
        target: Some(LValue {
            var: VarId(0),
            index: Vec::new(),
        }),
        loc: at(4),
    });
    p.body.push(Stmt::Barrier {
        qubits: Vec::new(),
        loc: at(5),
    });
    let (ev, ex) =
        run(&p, ExecLimits::default(), &[true, false, true]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        ev,
        vec![
            gate_event(H, vec![], vec![0]),
            gate_event(H, vec![], vec![1]),
            gate_event(H, vec![], vec![2]),
            gate_event(CX, vec![], vec![0, 1]),
            gate_event(CX, vec![], vec![1, 2]),
            Event::Measure { qubit: 0 },
            Event::Measure { qubit: 1 },
            Event::Measure { qubit: 2 },
            Event::Barrier {
                qubits: vec![0, 1, 2]
            },
        ]
    );
    assert_eq!(ex.clbits(), vec![true, false, true]);
    assert_eq!(
        ex.outputs(),
        vec![("c".to_string(), Value::Bits(vec![true, false, true]))]
    );
}

#[test]
fn end_stops_the_program() {
    let mut p = prog(2, 0);
    p.body.push(gate(H, vec![], vec![q(0)]));
    p.body.push(if_(
        ClassicalExpr::Const(Value::Bool(true)),
        vec![Stmt::End { loc: at(2) }],
    ));
    p.body.push(gate(H, vec![], vec![q(1)]));
    let mut ex = Exec::new(&p, &[], ExecLimits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ex.next_event(), Ok(gate_event(H, vec![], vec![0])));
    assert_eq!(ex.next_event(), Ok(Event::Done));
    assert_eq!(ex.next_event(), Ok(Event::Done));
    assert!(ex.is_done());
}

#[test]
fn an_endless_while_hits_the_step_limit_with_its_line() {
    let mut p = prog(1, 0);
    p.body.push(Stmt::While {
        cond: ClassicalExpr::Const(Value::Bool(true)),
        body: Vec::new(),
        loc: at(7),
    });
    let limits = ExecLimits {
        max_steps: 1000,
        max_call_depth: 10,
    };
    let err = run(&p, limits, &[]).err();
    assert_eq!(
        err.as_ref().map(|e| e.to_string()),
        Some(
            "the while loop at line 7 did not finish within 1000 steps at line 7, column 1".into()
        )
    );
    // The failure is final.
    let mut ex = Exec::new(&p, &[], limits).unwrap_or_else(|e| panic!("{e}"));
    let first = ex.next_event();
    assert!(first.is_err());
    assert_eq!(ex.next_event(), first);
}

#[test]
fn endless_recursion_hits_the_call_depth_limit() {
    let mut p = prog(1, 0);
    let call = ClassicalExpr::Call(SubId(0), Vec::new(), at(3));
    p.subroutines.push(Subroutine {
        name: "r".into(),
        params: Vec::new(),
        ret: None,
        body: vec![Stmt::Expr {
            value: call.clone(),
            loc: at(3),
        }],
        loc: at(2),
    });
    p.body.push(Stmt::Expr {
        value: call,
        loc: at(5),
    });
    let limits = ExecLimits {
        max_steps: 1_000_000,
        max_call_depth: 10,
    };
    let err = run(&p, limits, &[]).err();
    assert_eq!(
        err.map(|e| (e.kind, e.loc)),
        Some((ExecErrorKind::CallDepth(10), Some(at(3))))
    );
}

#[test]
fn externs_are_skipped_for_effect_and_refused_for_value() {
    let mut p = prog(1, 0);
    p.externs.push(Extern {
        name: "ext".into(),
        params: Vec::new(),
        ret: Some(Type::Int(None)),
        loc: at(1),
    });
    let x = var(&mut p, "x", Type::Int(None), VarKind::Mutable);
    let ext = ClassicalExpr::Extern(0, Vec::new(), at(4));
    p.body.push(Stmt::Expr {
        value: ext.clone(),
        loc: at(3),
    });
    p.body.push(gate(H, vec![], vec![q(0)]));
    p.body.push(declare(x, bin(BinaryOp::Add, ext, int(1))));
    let mut ex = Exec::new(&p, &[], ExecLimits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ex.next_event(), Ok(gate_event(H, vec![], vec![0])));
    let err = ex.next_event().err();
    assert_eq!(err.as_ref().and_then(|e| e.loc), Some(at(4)));
    assert_eq!(
        err.map(|e| e.to_string()),
        Some(
            "extern 'ext' is called and its value is needed: externs have no body here at line 4, column 1"
                .into()
        )
    );
}

#[test]
fn inputs_are_bound_and_missing_ones_named() {
    let mut p = prog(1, 0);
    let n = var(&mut p, "n", Type::Uint(Some(4)), VarKind::Input);
    let o = var(&mut p, "o", Type::Int(None), VarKind::Output);
    p.body.push(Stmt::Declare {
        var: n,
        init: None,
        loc: at(2),
    });
    p.body.push(declare(o, bin(BinaryOp::Mul, v(n), int(2))));
    // 20 is wrapped to uint[4]: 4.
    let mut ex = Exec::new(&p, &[(n, Value::Int(20))], ExecLimits::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ex.next_event(), Ok(Event::Done));
    assert_eq!(ex.outputs(), vec![("o".to_string(), Value::Int(8))]);
    let err = run(&p, ExecLimits::default(), &[]).err();
    assert_eq!(
        err.map(|e| e.to_string()),
        Some("input 'n' of type uint[4] has no value at line 2, column 1".into())
    );
}

#[test]
fn bad_operands_and_programs_are_errors() {
    let mut p = prog(2, 0);
    p.body.push(gate(
        H,
        vec![],
        vec![Operand {
            base: QubitBase::Global { start: 0, len: 2 },
            index: Some(Index::Single(int(2))),
            loc: at(9),
        }],
    ));
    let err = run(&p, ExecLimits::default(), &[]).err();
    assert_eq!(
        err.map(|e| (e.kind, e.loc)),
        Some((
            ExecErrorKind::Eval(EvalErrorKind::IndexOutOfRange { index: 2, len: 2 }),
            Some(at(9))
        ))
    );
    let mut p = prog(2, 0);
    p.body.push(gate(H, vec![], vec![q(5)]));
    assert!(run(&p, ExecLimits::default(), &[]).is_err());
    let mut p = prog(2, 0);
    p.body.push(gate(CX, vec![], vec![q(1), q(1)]));
    assert!(run(&p, ExecLimits::default(), &[]).is_err());
    let mut p = prog(2, 0);
    p.body
        .push(gate(CX, vec![], vec![reg(2), Operand::qubit(0, at(0))]));
    // cx q, q[0] gives cx q[0], q[0] first: refused.
    assert!(run(&p, ExecLimits::default(), &[]).is_err());
    let mut p = prog(2, 0);
    p.body.push(Stmt::Break { loc: at(3) });
    assert!(matches!(
        run(&p, ExecLimits::default(), &[]).err().map(|e| e.kind),
        Some(ExecErrorKind::Program(_))
    ));
    let mut p = prog(1, 0);
    p.body.push(gate(RZ, vec![], vec![q(0)]));
    assert!(run(&p, ExecLimits::default(), &[]).is_err());
    let mut p = prog(1, 0);
    let x = var(&mut p, "x", Type::Int(None), VarKind::Mutable);
    p.body.push(assign(x, Some(BinaryOp::Add), int(1)));
    assert!(
        run(&p, ExecLimits::default(), &[]).is_err(),
        "read before declaration"
    );
    let mut p = prog(1, 0);
    p.body.push(Stmt::Expr {
        value: ClassicalExpr::Unary(UnaryOp::Neg, Box::new(int(1))),
        loc: at(0),
    });
    assert_eq!(events(&p), Vec::new());
}

#[test]
fn loops_over_bits_and_arrays_and_delays() {
    let mut p = prog(1, 0);
    let b = var(&mut p, "b", Type::Bit, VarKind::Loop);
    let f = var(&mut p, "f", Type::Float(None), VarKind::Loop);
    // for bit b in "101" (bit 0 first) { if (b) x q[0]; }
    p.body.push(for_loop(
        b,
        Iteration::Values(ClassicalExpr::Const(Value::Bits(vec![true, false, true]))),
        vec![if_(v(b), vec![gate(X, vec![], vec![q(0)])])],
        1,
    ));
    p.body.push(for_loop(
        f,
        Iteration::Values(ClassicalExpr::Const(Value::Array {
            dims: vec![2],
            items: vec![Value::Float(0.25), Value::Int(2)],
        })),
        vec![gate(RZ, vec![v(f)], vec![q(0)])],
        2,
    ));
    p.body.push(Stmt::Delay {
        duration: ClassicalExpr::Const(Value::Duration { ns: 100.0, dt: 2.0 }),
        qubits: Vec::new(),
        loc: at(3),
    });
    p.body.push(Stmt::Box {
        duration: None,
        body: vec![Stmt::Reset {
            qubits: q(0),
            loc: at(4),
        }],
        loc: at(4),
    });
    assert_eq!(
        events(&p),
        vec![
            gate_event(X, vec![], vec![0]),
            gate_event(X, vec![], vec![0]),
            gate_event(RZ, vec![0.25], vec![0]),
            gate_event(RZ, vec![2.0], vec![0]),
            Event::Delay {
                ns: 100.0,
                dt: 2.0,
                qubits: vec![0]
            },
            Event::Reset { qubit: 0 },
        ]
    );
}

fn param(k: u32, index: Option<Index>) -> Operand {
    Operand {
        base: QubitBase::Param(k),
        index,
        loc: at(30),
    }
}

#[test]
fn register_parameters_returns_from_loops_and_calls_for_effect() {
    let mut p = prog(3, 0);
    let n = var(&mut p, "n", Type::Int(None), VarKind::Param);
    let i = var(&mut p, "i", Type::Int(None), VarKind::Loop);
    let m = var(&mut p, "m", Type::Bits(2), VarKind::Mutable);
    let k = var(&mut p, "k", Type::Int(None), VarKind::Mutable);
    let k2 = var(&mut p, "k2", Type::Int(None), VarKind::Mutable);
    // def g(qubit[2] r, int n) -> int[4] {
    //   for i in [0:3] { if (i == n) return i * 5; }
    //   x r[1]; bit[2] m = measure r; return m;
    // }
    p.subroutines.push(Subroutine {
        name: "g".into(),
        params: vec![
            SubParam::Qubits {
                name: "r".into(),
                size: Some(2),
            },
            SubParam::Classical(n),
        ],
        ret: Some(Type::Int(Some(4))),
        body: vec![
            for_loop(
                i,
                range(0, 1, 3),
                vec![if_(
                    bin(BinaryOp::Eq, v(i), v(n)),
                    vec![Stmt::Return {
                        value: Some(bin(BinaryOp::Mul, v(i), int(5))),
                        loc: at(32),
                    }],
                )],
                31,
            ),
            gate(X, vec![], vec![param(0, Some(Index::Single(int(1))))]),
            Stmt::Declare {
                var: m,
                init: None,
                loc: at(34),
            },
            Stmt::Measure {
                qubits: param(0, None),
                target: Some(LValue {
                    var: m,
                    index: Vec::new(),
                }),
                loc: at(34),
            },
            Stmt::Return {
                value: Some(ClassicalExpr::Cast(Type::Uint(Some(2)), Box::new(v(m)))),
                loc: at(35),
            },
        ],
        loc: at(30),
    });
    // def hh(qubit a) { h a; }
    p.subroutines.push(Subroutine {
        name: "hh".into(),
        params: vec![SubParam::Qubits {
            name: "a".into(),
            size: None,
        }],
        ret: None,
        body: vec![gate(H, vec![], vec![param(0, None)])],
        loc: at(40),
    });
    let slice = |a: i128, b: i128| {
        CallArg::Qubits(Operand {
            base: QubitBase::Global { start: 0, len: 3 },
            index: Some(Index::Range {
                start: Some(int(a)),
                step: None,
                stop: Some(int(b)),
            }),
            loc: at(0),
        })
    };
    let g = |r: CallArg, n: i128| {
        ClassicalExpr::Call(SubId(0), vec![r, CallArg::Classical(int(n))], at(50))
    };
    // int k = g(q[1:2], 7);  int k2 = g(q[0:1], 3);  hh(q[2]);
    p.body.push(declare(k, g(slice(1, 2), 7)));
    p.body.push(declare(k2, g(slice(0, 1), 3)));
    p.body.push(Stmt::Expr {
        value: ClassicalExpr::Call(SubId(1), vec![CallArg::Qubits(q(2))], at(52)),
        loc: at(52),
    });
    let (ev, ex) = run(&p, ExecLimits::default(), &[false, true]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        ev,
        vec![
            gate_event(X, vec![], vec![2]),
            Event::Measure { qubit: 1 },
            Event::Measure { qubit: 2 },
            gate_event(H, vec![], vec![2]),
        ]
    );
    // m = "10" (bit 1 set) is 2; 3 * 5 = 15 is -1 in int[4].
    assert_eq!(ex.global(k), Some(&Value::Int(2)));
    assert_eq!(ex.global(k2), Some(&Value::Int(-1)));
    // The subroutine's locals never reach the global scope.
    assert_eq!(ex.global(m), None);
}

#[test]
fn a_while_condition_may_call_a_measuring_subroutine() {
    let mut p = prog(1, 0);
    let r = var(&mut p, "r", Type::Bit, VarKind::Mutable);
    // def m(qubit a) -> bool { bit r = measure a; return r; }
    p.subroutines.push(Subroutine {
        name: "m".into(),
        params: vec![SubParam::Qubits {
            name: "a".into(),
            size: None,
        }],
        ret: Some(Type::Bool),
        body: vec![
            Stmt::Declare {
                var: r,
                init: None,
                loc: at(2),
            },
            Stmt::Measure {
                qubits: param(0, None),
                target: Some(LValue {
                    var: r,
                    index: Vec::new(),
                }),
                loc: at(2),
            },
            Stmt::Return {
                value: Some(v(r)),
                loc: at(3),
            },
        ],
        loc: at(1),
    });
    // while (m(q[0])) { h q[0]; }
    p.body.push(Stmt::While {
        cond: ClassicalExpr::Call(SubId(0), vec![CallArg::Qubits(q(0))], at(5)),
        body: vec![gate(H, vec![], vec![q(0)])],
        loc: at(5),
    });
    let (ev, _) =
        run(&p, ExecLimits::default(), &[true, true, false]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        ev,
        vec![
            Event::Measure { qubit: 0 },
            gate_event(H, vec![], vec![0]),
            Event::Measure { qubit: 0 },
            gate_event(H, vec![], vec![0]),
            Event::Measure { qubit: 0 },
        ]
    );
}

#[test]
fn a_subroutine_that_ends_without_its_value_is_an_error() {
    let mut p = prog(1, 0);
    let x = var(&mut p, "x", Type::Int(None), VarKind::Mutable);
    p.subroutines.push(Subroutine {
        name: "f".into(),
        params: Vec::new(),
        ret: Some(Type::Int(None)),
        body: Vec::new(),
        loc: at(1),
    });
    p.body
        .push(declare(x, ClassicalExpr::Call(SubId(0), Vec::new(), at(2))));
    let err = run(&p, ExecLimits::default(), &[]).err();
    assert_eq!(
        err.map(|e| e.to_string()),
        Some("subroutine 'f' ended without returning a value at line 1, column 1".into())
    );
    // Wrong argument counts and kinds are refused.
    let mut p = prog(1, 0);
    let x = var(&mut p, "x", Type::Int(None), VarKind::Mutable);
    p.subroutines.push(Subroutine {
        name: "f".into(),
        params: vec![SubParam::Qubits {
            name: "a".into(),
            size: Some(2),
        }],
        ret: Some(Type::Int(None)),
        body: vec![Stmt::Return {
            value: Some(int(1)),
            loc: at(1),
        }],
        loc: at(1),
    });
    p.body.push(declare(
        x,
        ClassicalExpr::Call(SubId(0), vec![CallArg::Qubits(q(0))], at(2)),
    ));
    assert!(run(&p, ExecLimits::default(), &[]).is_err());
}

mod props {
    use proptest::prelude::*;

    use super::*;

    /// Programs on 3 qubits, a `bit[3] c` (variable 0), an `int n` (1) and a loop variable
    /// `i` (2), with out-of-range qubits and indices, zero steps and stray breaks among them.
    fn stmt() -> impl Strategy<Value = Stmt> {
        let n = || v(VarId(1));
        let leaf = prop_oneof![
            (0u32..4).prop_map(|k| gate(H, vec![], vec![q(k)])),
            (0u32..4, -4i128..4).prop_map(|(k, i)| Stmt::Measure {
                qubits: q(k),
                target: Some(LValue {
                    var: VarId(0),
                    index: vec![Index::Single(int(i))],
                }),
                loc: at(0),
            }),
            (-3i128..4).prop_map(|k| assign(VarId(1), Some(BinaryOp::Add), int(k))),
            Just(gate(
                RZ,
                vec![bin(BinaryOp::Div, int(1), v(VarId(1)))],
                vec![q(0)]
            )),
            Just(Stmt::Break { loc: at(0) }),
            Just(Stmt::Continue { loc: at(0) }),
            Just(Stmt::End { loc: at(0) }),
            Just(declare(VarId(1), int(0))),
        ];
        leaf.prop_recursive(3, 24, 4, move |inner| {
            let body = || proptest::collection::vec(inner.clone(), 0..4);
            prop_oneof![
                (-5i128..5, -3i128..3, -5i128..5, body()).prop_map(|(a, s, b, body)| for_loop(
                    VarId(2),
                    range(a, s, b),
                    body,
                    1
                )),
                (-3i128..6, body()).prop_map(move |(k, body)| Stmt::While {
                    cond: bin(BinaryOp::Lt, n(), int(k)),
                    body,
                    loc: at(2),
                }),
                (body(), body()).prop_map(move |(then_body, else_body)| Stmt::If {
                    cond: ClassicalExpr::Index(Box::new(v(VarId(0))), vec![Index::Single(int(0))]),
                    then_body,
                    else_body,
                    loc: at(3),
                }),
                (body(), body()).prop_map(move |(a, b)| Stmt::Switch {
                    target: n(),
                    cases: vec![Case {
                        values: vec![int(0), int(2)],
                        body: a,
                    }],
                    default: Some(b),
                    loc: at(4),
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn random_programs_run_or_fail_cleanly(
            body in proptest::collection::vec(stmt(), 0..6),
            outcomes in proptest::collection::vec(any::<bool>(), 0..16),
        ) {
            let mut p = prog(3, 3);
            var(&mut p, "n", Type::Int(Some(8)), VarKind::Mutable);
            var(&mut p, "i", Type::Int(None), VarKind::Loop);
            p.body.push(declare(VarId(1), int(0)));
            p.body.extend(body);
            let limits = ExecLimits { max_steps: 2_000, max_call_depth: 8 };
            let Ok(mut ex) = Exec::new(&p, &[], limits) else {
                return Err(TestCaseError::fail("a valid program was refused"));
            };
            let mut k = 0;
            for _ in 0..10_000 {
                match ex.next_event() {
                    Ok(Event::Done) | Err(_) => break,
                    Ok(Event::Measure { .. }) => {
                        let b = outcomes.get(k % outcomes.len().max(1)).copied().unwrap_or(false);
                        k += 1;
                        // A stored outcome may fail (an index out of range), never panic.
                        if ex.measured(b).is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                }
            }
            prop_assert!(ex.steps() <= 2_001);
            prop_assert_eq!(ex.clbits().len(), 3);
        }
    }
}
