//! Structure statistics of programs built by hand.

use std::time::{Duration, Instant};

use super::*;
use crate::circuit::{Circuit, GateEntry, GateKind, Register, Version};
use crate::gates::StandardGate;
use crate::program::expr::BinaryOp;
use crate::program::stmt::{LValue, Subroutine, Var, VarKind};
use crate::program::types::Type;

const H: GateId = GateId(0);
const X: GateId = GateId(1);

fn at(line: u32) -> Loc {
    Loc {
        file: 0,
        line,
        col: 1,
    }
}

fn int(i: i128) -> ClassicalExpr {
    ClassicalExpr::Const(Value::Int(i))
}

/// A program over `q[n]` with `h` and `x`.
fn program(n: u32) -> Program {
    let mut c = Circuit::new(Version::Qasm3);
    c.qregs.push(Register {
        name: "q".into(),
        start: 0,
        size: n,
    });
    c.num_qubits = n;
    for g in [StandardGate::H, StandardGate::X] {
        c.gates.push(GateEntry {
            name: g.name().into(),
            num_qubits: 1,
            num_params: 0,
            kind: GateKind::Standard(g),
            first_use: 0,
        });
    }
    Program {
        circuit: c,
        files: vec!["t.qasm".into()],
        vars: Vec::new(),
        subroutines: Vec::new(),
        externs: Vec::new(),
        body: Vec::new(),
        physical: false,
        skipped_calibration: None,
    }
}

fn var(p: &mut Program, name: &str, ty: Type, kind: VarKind) -> VarId {
    p.vars.push(Var {
        name: name.into(),
        ty,
        kind,
        creg: None,
        loc: at(1),
    });
    VarId(p.vars.len() as u32 - 1)
}

fn gate(g: GateId, o: Operand) -> Stmt {
    Stmt::Gate {
        gate: g,
        params: vec![],
        qubits: vec![o],
        loc: at(2),
    }
}

fn whole(n: u32) -> Operand {
    Operand {
        base: QubitBase::Global { start: 0, len: n },
        index: None,
        loc: at(2),
    }
}

fn for_loop(v: VarId, stop: ClassicalExpr, body: Block, line: u32) -> Stmt {
    Stmt::For {
        var: v,
        iter: Iteration::Range {
            start: int(0),
            step: int(1),
            stop,
        },
        body,
        loc: at(line),
    }
}

fn count(written: u64, total: Option<u128>) -> OpCount {
    OpCount { written, total }
}

#[test]
fn nested_loops_multiply() {
    let mut p = program(2);
    let i = var(&mut p, "i", Type::Int(None), VarKind::Loop);
    let j = var(&mut p, "j", Type::Int(None), VarKind::Loop);
    // for i in [0:9] { for j in [0:999] { h q[0]; } x q; }
    let inner = for_loop(j, int(999), vec![gate(H, Operand::qubit(0, at(3)))], 3);
    p.body
        .push(for_loop(i, int(9), vec![inner, gate(X, whole(2))], 2));
    let s = structure(&p);
    assert_eq!(s.loops, 2);
    assert_eq!(s.ops["h"], count(1, Some(10_000)));
    assert_eq!(s.ops["x"], count(2, Some(20)));
    let outer = &s.per_iteration[0];
    assert_eq!(
        (outer.loc, outer.depth, outer.iterations),
        (at(2), 0, Some(10))
    );
    assert_eq!(outer.per_iteration["h"], Some(1000));
    assert_eq!(outer.per_iteration["x"], Some(2));
    let inner = &s.per_iteration[1];
    assert_eq!((inner.depth, inner.iterations), (1, Some(1000)));
    assert_eq!(inner.per_iteration["h"], Some(1));
}

#[test]
fn a_trillion_iterations_count_without_unrolling() {
    let mut p = program(1);
    let i = var(&mut p, "i", Type::Int(None), VarKind::Loop);
    let n = var(&mut p, "n", Type::Int(None), VarKind::Const);
    // const int n = 10**12; for i in [0:n-1] { h q[0]; }
    p.body.push(Stmt::Declare {
        var: n,
        init: Some(int(1_000_000_000_000)),
        loc: at(1),
    });
    let stop = ClassicalExpr::Binary(
        BinaryOp::Sub,
        Box::new(ClassicalExpr::Var(n)),
        Box::new(int(1)),
    );
    p.body.push(for_loop(
        i,
        stop,
        vec![gate(H, Operand::qubit(0, at(3)))],
        2,
    ));
    let t = Instant::now();
    let s = structure(&p);
    assert!(t.elapsed() < Duration::from_secs(1));
    assert_eq!(s.ops["h"], count(1, Some(1_000_000_000_000)));
    assert_eq!(s.per_iteration[0].iterations, Some(1_000_000_000_000));
}

#[test]
fn unknown_counts_stay_unknown() {
    let mut p = program(1);
    let i = var(&mut p, "i", Type::Int(None), VarKind::Loop);
    let n = var(&mut p, "n", Type::Int(None), VarKind::Input);
    let b = var(&mut p, "b", Type::Bool, VarKind::Mutable);
    p.body.push(Stmt::Declare {
        var: n,
        init: None,
        loc: at(1),
    });
    // for i in [0:n] { h q[0]; }   while (b) { x q[0]; }   x q[0];
    p.body.push(for_loop(
        i,
        ClassicalExpr::Var(n),
        vec![gate(H, Operand::qubit(0, at(3)))],
        2,
    ));
    p.body.push(Stmt::While {
        cond: ClassicalExpr::Var(b),
        body: vec![gate(X, Operand::qubit(0, at(5)))],
        loc: at(4),
    });
    p.body.push(gate(X, Operand::qubit(0, at(6))));
    let s = structure(&p);
    assert_eq!(s.ops["h"], count(1, None));
    assert_eq!(s.ops["x"], count(2, None));
    assert_eq!((s.loops, s.while_loops), (1, 1));
    assert_eq!(s.per_iteration[1].kind, LoopKind::While);
    assert_eq!(s.per_iteration[1].per_iteration["x"], Some(1));
}

#[test]
fn subroutines_count_per_call_and_branches_both_sides() {
    let mut p = program(3);
    let c = var(&mut p, "c", Type::Bit, VarKind::Mutable);
    let param = Operand {
        base: QubitBase::Param(0),
        index: None,
        loc: at(2),
    };
    // def mr(qubit a) { measure a -> c; reset a; }
    p.subroutines.push(Subroutine {
        name: "mr".into(),
        params: vec![SubParam::Qubits {
            name: "a".into(),
            size: None,
        }],
        ret: None,
        body: vec![
            Stmt::Measure {
                qubits: param.clone(),
                target: Some(LValue {
                    var: c,
                    index: vec![],
                }),
                loc: at(2),
            },
            Stmt::Reset {
                qubits: param,
                loc: at(2),
            },
        ],
        loc: at(2),
    });
    for k in 0..3 {
        p.body.push(Stmt::Expr {
            value: ClassicalExpr::Call(
                SubId(0),
                vec![CallArg::Qubits(Operand::qubit(k, at(4)))],
                at(4),
            ),
            loc: at(4),
        });
    }
    // if (c) h q; else x q[0];
    p.body.push(Stmt::If {
        cond: ClassicalExpr::Var(c),
        then_body: vec![gate(H, whole(3))],
        else_body: vec![gate(X, Operand::qubit(0, at(5)))],
        loc: at(5),
    });
    let s = structure(&p);
    assert_eq!((s.subroutines, s.calls, s.branches), (1, 3, 1));
    assert_eq!(s.ops["measure"], count(1, Some(3)));
    assert_eq!(s.ops["reset"], count(1, Some(3)));
    assert_eq!(s.ops["h"], count(3, Some(3)));
    assert_eq!(s.ops["x"], count(1, Some(1)));
}

#[test]
fn recursion_makes_totals_unknown() {
    let mut p = program(1);
    p.subroutines.push(Subroutine {
        name: "f".into(),
        params: vec![],
        ret: None,
        body: vec![
            gate(H, Operand::qubit(0, at(2))),
            Stmt::Expr {
                value: ClassicalExpr::Call(SubId(0), vec![], at(2)),
                loc: at(2),
            },
        ],
        loc: at(2),
    });
    p.body.push(Stmt::Expr {
        value: ClassicalExpr::Call(SubId(0), vec![], at(3)),
        loc: at(3),
    });
    p.body.push(gate(X, Operand::qubit(0, at(4))));
    let s = structure(&p);
    assert_eq!(s.ops["h"], count(1, None));
    assert_eq!(s.ops["x"], count(1, None));
    assert_eq!(s.calls, 2);
}
