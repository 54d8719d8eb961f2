//! The flatten pass on programs built by hand, each against the circuit written out by hand.

use std::time::{Duration as Elapsed, Instant};

use super::*;
use crate::circuit::{
    CondExpr, CondOp, GateEntry, GateId, GateKind, IfBlock, TimeUnit, Version, Wide,
};
use crate::gates::StandardGate;
use crate::program::expr::{BinaryOp, CallArg, ClassicalExpr, Index};
use crate::program::expr::{Operand, QubitBase};
use crate::program::ids::{Loc, VarId};
use crate::program::stmt::{
    Case, Iteration, LValue, Program, Stmt, SubParam, Subroutine, Var, VarKind,
};

const H: GateId = GateId(0);
const X: GateId = GateId(1);
const RZ: GateId = GateId(2);
const CX: GateId = GateId(3);

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

fn var(v: VarId) -> ClassicalExpr {
    ClassicalExpr::Var(v)
}

fn bin(op: BinaryOp, a: ClassicalExpr, b: ClassicalExpr) -> ClassicalExpr {
    ClassicalExpr::Binary(op, Box::new(a), Box::new(b))
}

fn bit_of(v: VarId, i: i128) -> ClassicalExpr {
    ClassicalExpr::Index(Box::new(var(v)), vec![Index::Single(int(i))])
}

/// A program over one register `q` of `n` qubits, with `h`, `x`, `rz`, `cx`, and the
/// classical registers `cregs`.
struct Build {
    p: Program,
}

impl Build {
    fn new(n: u32, cregs: &[(&str, u32)]) -> Build {
        let mut c = Circuit::new(Version::Qasm3);
        c.qregs.push(Register {
            name: "q".into(),
            start: 0,
            size: n,
        });
        c.num_qubits = n;
        for g in [
            StandardGate::H,
            StandardGate::X,
            StandardGate::Rz,
            StandardGate::Cx,
        ] {
            c.gates.push(GateEntry {
                name: g.name().into(),
                num_qubits: g.num_qubits() as u32,
                num_params: g.num_params() as u32,
                kind: GateKind::Standard(g),
                first_use: 0,
            });
        }
        let mut b = Build {
            p: Program {
                circuit: c,
                files: vec!["test.qasm".into()],
                vars: Vec::new(),
                subroutines: Vec::new(),
                externs: Vec::new(),
                body: Vec::new(),
                physical: false,
                skipped_calibration: None,
            },
        };
        for (name, size) in cregs {
            let start = b.p.circuit.num_clbits;
            let r = b.p.circuit.cregs.len() as u32;
            b.p.circuit.cregs.push(Register {
                name: name.to_string(),
                start,
                size: *size,
            });
            b.p.circuit.num_clbits += size;
            let v = b.var(name, Type::Bits(*size), VarKind::Mutable);
            b.p.vars[v.0 as usize].creg = Some(r);
            b.p.body.push(Stmt::Declare {
                var: v,
                init: None,
                loc: at(1),
            });
        }
        b
    }

    fn var(&mut self, name: &str, ty: Type, kind: VarKind) -> VarId {
        self.p.vars.push(Var {
            name: name.into(),
            ty,
            kind,
            creg: None,
            loc: at(1),
        });
        VarId(self.p.vars.len() as u32 - 1)
    }

    fn flat(&self) -> Result<Circuit, FlattenError> {
        flatten(&self.p, &[], &FlattenLimits::default())
    }

    /// The flat circuit expected: the program's registers and gates, `ops` appended.
    fn expect(&self, ops: impl FnOnce(&mut Circuit)) -> Circuit {
        let mut c = self.p.circuit.clone();
        ops(&mut c);
        c
    }
}

fn q(i: u32) -> Operand {
    Operand::qubit(i, at(1))
}

fn q_at(e: ClassicalExpr, n: u32) -> Operand {
    Operand {
        base: QubitBase::Global { start: 0, len: n },
        index: Some(Index::Single(e)),
        loc: at(1),
    }
}

fn reg(n: u32) -> Operand {
    Operand {
        base: QubitBase::Global { start: 0, len: n },
        index: None,
        loc: at(1),
    }
}

fn gate(g: GateId, params: Vec<ClassicalExpr>, qubits: Vec<Operand>) -> Stmt {
    Stmt::Gate {
        gate: g,
        params,
        qubits,
        loc: at(2),
    }
}

/// A gate application with its operands and angles in the arenas, not yet in a list.
fn gate_op(c: &mut Circuit, g: GateId, params: &[f64], qubits: &[u32]) -> Op {
    let args = c.qubits.len() as u32;
    let p = c.params.len() as u32;
    c.qubits.extend_from_slice(qubits);
    c.params.extend_from_slice(params);
    Op::Gate {
        gate: g,
        args,
        params: p,
    }
}

fn push_gate(c: &mut Circuit, g: GateId, params: &[f64], qubits: &[u32]) {
    let op = gate_op(c, g, params, qubits);
    c.ops.push(op);
}

fn range(a: i128, b: i128) -> Iteration {
    Iteration::Range {
        start: int(a),
        step: int(1),
        stop: int(b),
    }
}

fn measure(qubit: u32, target: VarId, index: Option<i128>) -> Stmt {
    Stmt::Measure {
        qubits: q(qubit),
        target: Some(LValue {
            var: target,
            index: index.map(|i| Index::Single(int(i))).into_iter().collect(),
        }),
        loc: at(3),
    }
}

#[test]
fn a_for_loop_unrolls_op_for_op() {
    let mut b = Build::new(3, &[]);
    let i = b.var("i", Type::Int(None), VarKind::Loop);
    // for int i in [0:2] { rz(float(i) * 0.5) q[i]; h q[i]; }
    let angle = bin(
        BinaryOp::Mul,
        ClassicalExpr::Cast(Type::Float(None), Box::new(var(i))),
        ClassicalExpr::Const(Value::Float(0.5)),
    );
    b.p.body.push(Stmt::For {
        var: i,
        iter: range(0, 2),
        body: vec![
            gate(RZ, vec![angle], vec![q_at(var(i), 3)]),
            gate(H, vec![], vec![q_at(var(i), 3)]),
        ],
        loc: at(2),
    });
    let want = b.expect(|c| {
        for k in 0..3u32 {
            push_gate(c, RZ, &[f64::from(k) * 0.5], &[k]);
            push_gate(c, H, &[], &[k]);
        }
    });
    assert_eq!(b.flat().unwrap(), want);
}

#[test]
fn nested_loops_break_and_continue() {
    let mut b = Build::new(4, &[]);
    let i = b.var("i", Type::Int(None), VarKind::Loop);
    let j = b.var("j", Type::Int(None), VarKind::Loop);
    // for i in [0:3] { if (i == 1) continue; h q[i]; for j in [0:3] { if (j == 2) break; x q[j]; } }
    b.p.body.push(Stmt::For {
        var: i,
        iter: range(0, 3),
        body: vec![
            Stmt::If {
                cond: bin(BinaryOp::Eq, var(i), int(1)),
                then_body: vec![Stmt::Continue { loc: at(3) }],
                else_body: vec![],
                loc: at(3),
            },
            gate(H, vec![], vec![q_at(var(i), 4)]),
            Stmt::For {
                var: j,
                iter: range(0, 3),
                body: vec![
                    Stmt::If {
                        cond: bin(BinaryOp::Eq, var(j), int(2)),
                        then_body: vec![Stmt::Break { loc: at(5) }],
                        else_body: vec![],
                        loc: at(5),
                    },
                    gate(X, vec![], vec![q_at(var(j), 4)]),
                ],
                loc: at(4),
            },
        ],
        loc: at(2),
    });
    let want = b.expect(|c| {
        for k in [0u32, 2, 3] {
            push_gate(c, H, &[], &[k]);
            push_gate(c, X, &[], &[0]);
            push_gate(c, X, &[], &[1]);
        }
    });
    assert_eq!(b.flat().unwrap(), want);
}

#[test]
fn a_compile_time_while_unrolls() {
    let mut b = Build::new(3, &[]);
    let n = b.var("n", Type::Int(None), VarKind::Mutable);
    b.p.body.push(Stmt::Declare {
        var: n,
        init: Some(int(0)),
        loc: at(2),
    });
    b.p.body.push(Stmt::While {
        cond: bin(BinaryOp::Lt, var(n), int(3)),
        body: vec![
            gate(X, vec![], vec![q_at(var(n), 3)]),
            Stmt::Assign {
                target: LValue {
                    var: n,
                    index: vec![],
                },
                op: Some(BinaryOp::Add),
                value: int(1),
                loc: at(4),
            },
        ],
        loc: at(3),
    });
    let want = b.expect(|c| (0..3).for_each(|k| push_gate(c, X, &[], &[k])));
    assert_eq!(b.flat().unwrap(), want);
}

#[test]
fn a_switch_on_a_constant_takes_its_case() {
    let mut b = Build::new(3, &[]);
    let k = b.var("k", Type::Int(None), VarKind::Mutable);
    b.p.body.push(Stmt::Declare {
        var: k,
        init: Some(int(3)),
        loc: at(2),
    });
    b.p.body.push(Stmt::Switch {
        target: var(k),
        cases: vec![
            Case {
                values: vec![int(1)],
                body: vec![gate(X, vec![], vec![q(0)])],
            },
            Case {
                values: vec![int(2), int(3)],
                body: vec![gate(H, vec![], vec![q(1)])],
            },
        ],
        default: Some(vec![gate(X, vec![], vec![q(2)])]),
        loc: at(3),
    });
    let want = b.expect(|c| push_gate(c, H, &[], &[1]));
    assert_eq!(b.flat().unwrap(), want);
}

#[test]
fn subroutines_inline_with_their_qubit_arguments() {
    let mut b = Build::new(4, &[]);
    let a = b.var("a", Type::Float(None), VarKind::Param);
    // def f(float a, qubit[2] r, qubit s) { cx r[0], s; rz(a) r[1]; h r; }
    let r_at = |i: i128| Operand {
        base: QubitBase::Param(0),
        index: Some(Index::Single(int(i))),
        loc: at(2),
    };
    b.p.subroutines.push(Subroutine {
        name: "f".into(),
        params: vec![
            SubParam::Classical(a),
            SubParam::Qubits {
                name: "r".into(),
                size: Some(2),
            },
            SubParam::Qubits {
                name: "s".into(),
                size: None,
            },
        ],
        ret: None,
        body: vec![
            gate(
                CX,
                vec![],
                vec![
                    r_at(0),
                    Operand {
                        base: QubitBase::Param(1),
                        index: None,
                        loc: at(2),
                    },
                ],
            ),
            gate(RZ, vec![var(a)], vec![r_at(1)]),
            gate(
                H,
                vec![],
                vec![Operand {
                    base: QubitBase::Param(0),
                    index: None,
                    loc: at(2),
                }],
            ),
        ],
        loc: at(2),
    });
    // f(0.25, q[1:2], q[0]);
    let slice = Operand {
        base: QubitBase::Global { start: 0, len: 4 },
        index: Some(Index::Range {
            start: Some(int(1)),
            step: None,
            stop: Some(int(2)),
        }),
        loc: at(5),
    };
    b.p.body.push(Stmt::Expr {
        value: ClassicalExpr::Call(
            SubId(0),
            vec![
                CallArg::Classical(ClassicalExpr::Const(Value::Float(0.25))),
                CallArg::Qubits(slice),
                CallArg::Qubits(q(0)),
            ],
            at(5),
        ),
        loc: at(5),
    });
    let want = b.expect(|c| {
        push_gate(c, CX, &[], &[1, 0]);
        push_gate(c, RZ, &[0.25], &[2]);
        push_gate(c, H, &[], &[1]);
        push_gate(c, H, &[], &[2]);
    });
    assert_eq!(b.flat().unwrap(), want);
}

/// Stim's `def mr(qubit q0) -> bit { bit b; measure q0 -> b; reset q0; return b; }`.
fn mr(b: &mut Build) -> SubId {
    let local = b.var("b", Type::Bit, VarKind::Mutable);
    let q0 = Operand {
        base: QubitBase::Param(0),
        index: None,
        loc: at(2),
    };
    b.p.subroutines.push(Subroutine {
        name: "mr".into(),
        params: vec![SubParam::Qubits {
            name: "q0".into(),
            size: None,
        }],
        ret: Some(Type::Bit),
        body: vec![
            Stmt::Declare {
                var: local,
                init: None,
                loc: at(2),
            },
            Stmt::Measure {
                qubits: q0.clone(),
                target: Some(LValue {
                    var: local,
                    index: vec![],
                }),
                loc: at(2),
            },
            Stmt::Reset {
                qubits: q0,
                loc: at(2),
            },
            Stmt::Return {
                value: Some(var(local)),
                loc: at(2),
            },
        ],
        loc: at(2),
    });
    SubId(b.p.subroutines.len() as u32 - 1)
}

fn call(sub: SubId, qubit: u32, line: u32) -> ClassicalExpr {
    ClassicalExpr::Call(sub, vec![CallArg::Qubits(q(qubit))], at(line))
}

#[test]
fn stims_mr_becomes_one_measurement_into_the_record() {
    let mut b = Build::new(4, &[("rec", 8)]);
    let rec = VarId(0);
    let mr = mr(&mut b);
    // rec[5] = mr(q[3]); rec[6] = mr(q[1]);
    for (bit, qubit) in [(5, 3), (6, 1)] {
        b.p.body.push(Stmt::Assign {
            target: LValue {
                var: rec,
                index: vec![Index::Single(int(bit))],
            },
            op: None,
            value: call(mr, qubit, 4),
            loc: at(4),
        });
    }
    let want = b.expect(|c| {
        c.ops.push(Op::Measure { qubit: 3, clbit: 5 });
        c.ops.push(Op::Reset { qubit: 3 });
        c.ops.push(Op::Measure { qubit: 1, clbit: 6 });
        c.ops.push(Op::Reset { qubit: 1 });
    });
    assert_eq!(b.flat().unwrap(), want);
}

#[test]
fn a_measured_bit_never_stored_goes_to_the_hidden_register() {
    let mut b = Build::new(2, &[("c", 1)]);
    let mr = mr(&mut b);
    b.p.body.push(Stmt::Expr {
        value: call(mr, 1, 4),
        loc: at(4),
    });
    let flat = b.flat().unwrap();
    assert_eq!(flat.ops[0], Op::Measure { qubit: 1, clbit: 1 });
    assert_eq!(flat.num_clbits, 2);
    assert_eq!(
        flat.cregs[1],
        Register {
            name: HIDDEN_REGISTER.into(),
            start: 1,
            size: 1
        }
    );
}

#[test]
fn an_if_on_a_measured_bit_becomes_an_if_block() {
    let mut b = Build::new(2, &[("c", 2)]);
    let c = VarId(0);
    b.p.body.push(measure(0, c, Some(0)));
    b.p.body.push(Stmt::If {
        cond: bit_of(c, 0),
        then_body: vec![gate(X, vec![], vec![q(0)])],
        else_body: vec![gate(H, vec![], vec![q(1)])],
        loc: at(7),
    });
    // if (c == 3) x q[1];  (the whole register)
    b.p.body.push(Stmt::If {
        cond: bin(BinaryOp::Eq, var(c), int(3)),
        then_body: vec![gate(X, vec![], vec![q(1)])],
        else_body: vec![],
        loc: at(8),
    });
    let want = b.expect(|k| {
        k.ops.push(Op::Measure { qubit: 0, clbit: 0 });
        let then_ops = vec![gate_op(k, X, &[], &[0])];
        let else_ops = vec![gate_op(k, H, &[], &[1])];
        k.ifs.push(IfBlock {
            cond: CondExpr::Bit(0),
            then_ops,
            else_ops,
            line: 7,
        });
        let then_ops = vec![gate_op(k, X, &[], &[1])];
        k.ifs.push(IfBlock {
            cond: CondExpr::Binary(
                CondOp::Eq,
                Box::new(CondExpr::Register(0)),
                Box::new(CondExpr::Int(Wide::from_u64(3))),
            ),
            then_ops,
            else_ops: vec![],
            line: 8,
        });
        k.ops.push(Op::If { block: 0 });
        k.ops.push(Op::If { block: 1 });
    });
    assert_eq!(b.flat().unwrap(), want);
}

#[test]
fn a_local_measured_bit_read_by_a_condition_gets_a_hidden_clbit() {
    // def reset_active(qubit a) { bit b; measure a -> b; if (b) x a; }  reset_active(q[1]);
    let mut b = Build::new(2, &[]);
    let local = b.var("b", Type::Bit, VarKind::Mutable);
    let a = Operand {
        base: QubitBase::Param(0),
        index: None,
        loc: at(2),
    };
    b.p.subroutines.push(Subroutine {
        name: "reset_active".into(),
        params: vec![SubParam::Qubits {
            name: "a".into(),
            size: None,
        }],
        ret: None,
        body: vec![
            Stmt::Declare {
                var: local,
                init: None,
                loc: at(2),
            },
            Stmt::Measure {
                qubits: a.clone(),
                target: Some(LValue {
                    var: local,
                    index: vec![],
                }),
                loc: at(2),
            },
            Stmt::If {
                cond: var(local),
                then_body: vec![gate(X, vec![], vec![a])],
                else_body: vec![],
                loc: at(2),
            },
        ],
        loc: at(2),
    });
    b.p.body.push(Stmt::Expr {
        value: ClassicalExpr::Call(SubId(0), vec![CallArg::Qubits(q(1))], at(4)),
        loc: at(4),
    });
    let flat = b.flat().unwrap();
    assert_eq!(
        flat.ops,
        vec![Op::Measure { qubit: 1, clbit: 0 }, Op::If { block: 0 }]
    );
    assert_eq!(flat.ifs[0].cond, CondExpr::Bit(0));
    assert_eq!(flat.cregs.len(), 1);
    assert_eq!(flat.num_clbits, 1);
}

#[test]
fn a_while_on_a_measured_bit_is_real_time_at_its_place() {
    let mut b = Build::new(1, &[("c", 1)]);
    let c = VarId(0);
    b.p.body.push(measure(0, c, None));
    b.p.body.push(Stmt::While {
        cond: var(c),
        body: vec![gate(X, vec![], vec![q(0)]), measure(0, c, None)],
        loc: at(9),
    });
    let e = b.flat().unwrap_err();
    assert_eq!(e.loc, at(9));
    assert!(
        matches!(&e.kind, FlattenErrorKind::RealTime { what } if what.contains("while")),
        "{e}"
    );
    assert!(e.to_string().contains("sim --outcomes"), "{e}");
}

#[test]
fn a_branch_that_changes_a_value_read_later_is_real_time() {
    let mut b = Build::new(2, &[("c", 1)]);
    let c = VarId(0);
    let n = b.var("n", Type::Int(None), VarKind::Mutable);
    b.p.body.push(Stmt::Declare {
        var: n,
        init: Some(int(0)),
        loc: at(2),
    });
    b.p.body.push(measure(0, c, None));
    b.p.body.push(Stmt::If {
        cond: var(c),
        then_body: vec![Stmt::Assign {
            target: LValue {
                var: n,
                index: vec![],
            },
            op: None,
            value: int(1),
            loc: at(5),
        }],
        else_body: vec![],
        loc: at(4),
    });
    // Harmless while nothing reads it; refused once a gate's operand does.
    assert!(b.flat().is_ok());
    b.p.body.push(gate(X, vec![], vec![q_at(var(n), 2)]));
    let e = b.flat().unwrap_err();
    assert!(
        matches!(&e.kind, FlattenErrorKind::RealTime { what } if what.contains("`n`")),
        "{e}"
    );
}

#[test]
fn a_switch_on_a_measured_register_is_a_chain_of_if_blocks() {
    let mut b = Build::new(2, &[("c", 2)]);
    let c = VarId(0);
    b.p.body.push(Stmt::Measure {
        qubits: reg(2),
        target: Some(LValue {
            var: c,
            index: vec![],
        }),
        loc: at(2),
    });
    b.p.body.push(Stmt::Switch {
        target: var(c),
        cases: vec![
            Case {
                values: vec![int(0)],
                body: vec![gate(X, vec![], vec![q(0)])],
            },
            Case {
                values: vec![int(1), int(2)],
                body: vec![gate(H, vec![], vec![q(0)])],
            },
        ],
        default: Some(vec![gate(X, vec![], vec![q(1)])]),
        loc: at(3),
    });
    let flat = b.flat().unwrap();
    let eq = |k: u64| {
        CondExpr::Binary(
            CondOp::Eq,
            Box::new(CondExpr::Register(0)),
            Box::new(CondExpr::Int(Wide::from_u64(k))),
        )
    };
    assert_eq!(
        flat.ops,
        vec![
            Op::Measure { qubit: 0, clbit: 0 },
            Op::Measure { qubit: 1, clbit: 1 },
            Op::If { block: 0 }
        ]
    );
    assert_eq!(flat.ifs[0].cond, eq(0));
    assert_eq!(flat.ifs[0].else_ops, vec![Op::If { block: 1 }]);
    assert_eq!(
        flat.ifs[1].cond,
        CondExpr::Binary(CondOp::Or, Box::new(eq(1)), Box::new(eq(2)))
    );
    assert_eq!(flat.ifs[1].else_ops.len(), 1);
}

#[test]
fn a_trillion_iterations_are_too_large_at_once() {
    let mut b = Build::new(1, &[]);
    let i = b.var("i", Type::Int(None), VarKind::Loop);
    b.p.body.push(Stmt::For {
        var: i,
        iter: range(0, 999_999_999_999),
        body: vec![gate(H, vec![], vec![q(0)])],
        loc: at(6),
    });
    let t = Instant::now();
    let e = b.flat().unwrap_err();
    assert!(t.elapsed() < Elapsed::from_secs(1));
    assert_eq!(e.loc, at(6));
    assert!(
        matches!(e.kind, FlattenErrorKind::TooLarge { ops, limit } if ops > limit),
        "{e}"
    );
    // An empty body runs into the step limit instead, just as quickly.
    b.p.body[0] = Stmt::For {
        var: i,
        iter: range(0, 999_999_999_999),
        body: vec![],
        loc: at(6),
    };
    let e = b.flat().unwrap_err();
    assert!(matches!(e.kind, FlattenErrorKind::StepLimit { .. }), "{e}");
    assert!(t.elapsed() < Elapsed::from_secs(1));
}

#[test]
fn an_endless_while_stops_at_the_step_limit() {
    let mut b = Build::new(1, &[]);
    b.p.body.push(Stmt::While {
        cond: ClassicalExpr::Const(Value::Bool(true)),
        body: vec![],
        loc: at(2),
    });
    let limits = FlattenLimits {
        max_steps: 10_000,
        ..FlattenLimits::default()
    };
    let e = flatten(&b.p, &[], &limits).unwrap_err();
    assert_eq!(e.kind, FlattenErrorKind::StepLimit { limit: 10_000 });
}

#[test]
fn unbounded_recursion_stops_at_the_call_depth() {
    let mut b = Build::new(1, &[]);
    b.p.subroutines.push(Subroutine {
        name: "f".into(),
        params: vec![],
        ret: None,
        body: vec![Stmt::Expr {
            value: ClassicalExpr::Call(SubId(0), vec![], at(2)),
            loc: at(2),
        }],
        loc: at(2),
    });
    b.p.body.push(Stmt::Expr {
        value: ClassicalExpr::Call(SubId(0), vec![], at(3)),
        loc: at(3),
    });
    let e = b.flat().unwrap_err();
    assert!(
        matches!(e.kind, FlattenErrorKind::CallDepth { limit: 64 }),
        "{e}"
    );
}

#[test]
fn register_writes_a_flat_circuit_cannot_hold_are_refused() {
    let mut b = Build::new(1, &[("c", 2)]);
    let c = VarId(0);
    let set = |value: i128| Stmt::Assign {
        target: LValue {
            var: c,
            index: vec![Index::Single(int(0))],
        },
        op: None,
        value: ClassicalExpr::Const(Value::Bit(value == 1)),
        loc: at(4),
    };
    // A declared register holds what its clbits hold at run time: no constant can be written
    // over it (the front end makes registers that are given values plain variables).
    b.p.body.push(set(0));
    let e = b.flat().unwrap_err();
    assert!(
        matches!(e.kind, FlattenErrorKind::Unrepresentable { .. }),
        "{e}"
    );
}

#[test]
fn broadcasts_barriers_delays_and_measurements() {
    let mut b = Build::new(2, &[("c", 2)]);
    let c = VarId(0);
    b.p.body.push(gate(H, vec![], vec![reg(2)]));
    b.p.body.push(Stmt::Barrier {
        qubits: vec![],
        loc: at(2),
    });
    b.p.body.push(Stmt::Delay {
        duration: ClassicalExpr::Const(Value::Duration { ns: 0.0, dt: 16.0 }),
        qubits: vec![q(1)],
        loc: at(3),
    });
    b.p.body.push(Stmt::Measure {
        qubits: reg(2),
        target: Some(LValue {
            var: c,
            index: vec![],
        }),
        loc: at(4),
    });
    let want = b.expect(|k| {
        push_gate(k, H, &[], &[0]);
        push_gate(k, H, &[], &[1]);
        let args = k.qubits.len() as u32;
        k.qubits.extend([0, 1]);
        k.ops.push(Op::Barrier { args, len: 2 });
        k.durations.push(crate::circuit::Duration {
            value: 16.0,
            unit: TimeUnit::Dt,
        });
        k.ops.push(Op::Delay {
            qubit: 1,
            duration: 0,
        });
        k.ops.push(Op::Measure { qubit: 0, clbit: 0 });
        k.ops.push(Op::Measure { qubit: 1, clbit: 1 });
    });
    assert_eq!(b.flat().unwrap(), want);
    b.p.body.push(Stmt::Delay {
        duration: ClassicalExpr::Const(Value::Duration { ns: 5.0, dt: 16.0 }),
        qubits: vec![q(1)],
        loc: at(5),
    });
    let e = b.flat().unwrap_err();
    assert!(
        matches!(e.kind, FlattenErrorKind::MixedDuration { .. }),
        "{e}"
    );
}

#[test]
fn inputs_are_bound_and_missing_ones_named() {
    let mut b = Build::new(3, &[]);
    let n = b.var("n", Type::Int(None), VarKind::Input);
    b.p.body.push(Stmt::Declare {
        var: n,
        init: None,
        loc: at(2),
    });
    b.p.body.push(gate(X, vec![], vec![q_at(var(n), 3)]));
    let flat = flatten(&b.p, &[(n, Value::Int(2))], &FlattenLimits::default()).unwrap();
    assert_eq!(flat.qubits, vec![2]);
    let e = b.flat().unwrap_err();
    assert_eq!(e.kind, FlattenErrorKind::MissingInput { name: "n".into() });
}

/// Programs nested deeper than the walk follows are refused, not a stack overflow; so are
/// conditions on measured bits nested as deep.
#[test]
fn deep_nesting_is_refused() {
    let mut b = Build::new(1, &[("c", 1)]);
    let c = VarId(0);
    b.p.body.push(measure(0, c, None));
    for cond in [ClassicalExpr::Const(Value::Bool(true)), var(c)] {
        let mut body = vec![gate(X, vec![], vec![q(0)])];
        for _ in 0..400 {
            body = vec![Stmt::If {
                cond: cond.clone(),
                then_body: body,
                else_body: vec![],
                loc: at(2),
            }];
        }
        b.p.body.truncate(2);
        b.p.body.extend(body);
        let e = b.flat().unwrap_err();
        assert!(matches!(e.kind, FlattenErrorKind::Nesting { .. }), "{e}");
        // The structure statistics stop there too, and say so.
        let s = crate::program::stats::structure(&b.p);
        assert!(s.too_deep.is_some());
        assert_eq!(s.ops["measure"].total, None);
    }
}

#[test]
fn a_loop_that_skips_its_operations_is_not_refused_up_front() {
    let mut b = Build::new(1, &[]);
    let i = b.var("i", Type::Int(None), VarKind::Loop);
    // for i in [0:99] { if (i > 0) continue; h q[0]; }  with room for 50 entries
    b.p.body.push(Stmt::For {
        var: i,
        iter: range(0, 99),
        body: vec![
            Stmt::If {
                cond: bin(BinaryOp::Gt, var(i), int(0)),
                then_body: vec![Stmt::Continue { loc: at(3) }],
                else_body: vec![],
                loc: at(3),
            },
            gate(H, vec![], vec![q(0)]),
        ],
        loc: at(2),
    });
    let limits = FlattenLimits {
        max_ops: 50,
        ..FlattenLimits::default()
    };
    let flat = flatten(&b.p, &[], &limits).unwrap();
    assert_eq!(flat.ops.len(), 1);
}

fn assign_bit(target: VarId, index: i128, value: ClassicalExpr) -> Stmt {
    Stmt::Assign {
        target: LValue {
            var: target,
            index: vec![Index::Single(int(index))],
        },
        op: None,
        value,
        loc: at(6),
    }
}

#[test]
fn a_measured_bit_stored_after_its_register_bit_was_read_is_refused() {
    let mut b = Build::new(2, &[("c", 1)]);
    let c = VarId(0);
    let local = b.var("b", Type::Bit, VarKind::Mutable);
    b.p.body.push(measure(1, c, Some(0)));
    b.p.body.push(Stmt::Declare {
        var: local,
        init: None,
        loc: at(2),
    });
    b.p.body.push(measure(0, local, None));
    b.p.body.push(Stmt::If {
        cond: bit_of(c, 0),
        then_body: vec![gate(X, vec![], vec![q(1)])],
        else_body: vec![],
        loc: at(5),
    });
    // c[0] = b;  would move the measurement of q[0] before the if that reads c[0].
    b.p.body.push(assign_bit(c, 0, var(local)));
    let e = b.flat().unwrap_err();
    assert_eq!(e.loc, at(6));
    assert!(
        matches!(&e.kind, FlattenErrorKind::Unrepresentable { what } if what.contains("since")),
        "{e}"
    );
    // Without the if in between, the measurement simply lands in c[0].
    b.p.body.remove(4);
    let flat = b.flat().unwrap();
    assert_eq!(
        flat.ops,
        vec![
            Op::Measure { qubit: 1, clbit: 0 },
            Op::Measure { qubit: 0, clbit: 0 }
        ]
    );
}

#[test]
fn copies_of_measured_bits_are_refused_or_go_stale() {
    let mut b = Build::new(2, &[("c", 1), ("d", 1)]);
    let (c, d) = (VarId(0), VarId(1));
    b.p.body.push(measure(0, c, Some(0)));
    b.p.body.push(assign_bit(d, 0, bit_of(c, 0)));
    let e = b.flat().unwrap_err();
    assert!(
        matches!(e.kind, FlattenErrorKind::Unrepresentable { .. }),
        "{e}"
    );

    // bit x = c[0]; measure q[0] -> c[0]; if (x) …: x's value is no longer in any clbit.
    let mut b = Build::new(2, &[("c", 1)]);
    let c = VarId(0);
    let x = b.var("x", Type::Bit, VarKind::Mutable);
    b.p.body.push(measure(0, c, Some(0)));
    b.p.body.push(Stmt::Declare {
        var: x,
        init: Some(bit_of(c, 0)),
        loc: at(3),
    });
    let use_x = Stmt::If {
        cond: var(x),
        then_body: vec![gate(X, vec![], vec![q(1)])],
        else_body: vec![],
        loc: at(5),
    };
    b.p.body.push(use_x.clone());
    let flat = b.flat().unwrap();
    assert_eq!(flat.ifs[0].cond, CondExpr::Bit(0));
    b.p.body.insert(3, measure(0, c, Some(0)));
    let e = b.flat().unwrap_err();
    assert!(
        matches!(&e.kind, FlattenErrorKind::Unrepresentable { what } if what.contains("again")),
        "{e}"
    );
}

#[test]
fn a_register_measured_inside_a_branch_is_read_from_its_clbit_after_it() {
    let mut b = Build::new(2, &[("c", 2)]);
    let c = VarId(0);
    b.p.body.push(measure(0, c, Some(0)));
    b.p.body.push(Stmt::If {
        cond: bit_of(c, 0),
        then_body: vec![measure(1, c, Some(1))],
        else_body: vec![],
        loc: at(4),
    });
    // c[1] is 0 or the measurement: either way its clbit holds it.
    b.p.body.push(Stmt::If {
        cond: bit_of(c, 1),
        then_body: vec![gate(X, vec![], vec![q(0)])],
        else_body: vec![],
        loc: at(5),
    });
    let flat = b.flat().unwrap();
    assert_eq!(
        flat.ifs[0].then_ops,
        vec![Op::Measure { qubit: 1, clbit: 1 }]
    );
    assert_eq!(flat.ifs[1].cond, CondExpr::Bit(1));
}

#[test]
fn leaving_a_loop_from_a_branch_on_a_measurement_is_real_time() {
    let mut b = Build::new(1, &[("c", 1)]);
    let c = VarId(0);
    let i = b.var("i", Type::Int(None), VarKind::Loop);
    b.p.body.push(Stmt::For {
        var: i,
        iter: range(0, 3),
        body: vec![
            measure(0, c, None),
            Stmt::If {
                cond: var(c),
                then_body: vec![Stmt::Break { loc: at(4) }],
                else_body: vec![],
                loc: at(4),
            },
        ],
        loc: at(2),
    });
    let e = b.flat().unwrap_err();
    assert_eq!(e.loc, at(4));
    assert!(
        matches!(&e.kind, FlattenErrorKind::RealTime { what } if what.contains("break")),
        "{e}"
    );
}

/// Conditions as the OpenQASM 3 front end writes them, with its implicit casts, become the
/// plain conditions of the flat circuit.
#[test]
fn conditions_with_the_front_ends_casts_become_plain_conditions() {
    let mut b = Build::new(2, &[("c", 2)]);
    let c = VarId(0);
    b.p.body.push(Stmt::Measure {
        qubits: reg(2),
        target: Some(LValue {
            var: c,
            index: vec![],
        }),
        loc: at(2),
    });
    let cast = |t: Type, e: ClassicalExpr| ClassicalExpr::Cast(t, Box::new(e));
    let conds = [
        // if (c[0])
        cast(Type::Bool, bit_of(c, 0)),
        // if (c[1] == true)
        bin(
            BinaryOp::Eq,
            cast(Type::Bool, bit_of(c, 1)),
            ClassicalExpr::Const(Value::Bool(true)),
        ),
        // if (c == 3): both sides as uint[2]
        bin(
            BinaryOp::Eq,
            cast(Type::Uint(Some(2)), var(c)),
            ClassicalExpr::Const(Value::Uint(3)),
        ),
        // if (!c[0] && c[1] == false)
        bin(
            BinaryOp::And,
            ClassicalExpr::Unary(
                crate::program::expr::UnaryOp::Not,
                Box::new(cast(Type::Bool, bit_of(c, 0))),
            ),
            bin(
                BinaryOp::Eq,
                cast(Type::Bool, bit_of(c, 1)),
                ClassicalExpr::Const(Value::Bool(false)),
            ),
        ),
        // if (c): a register is true when non-zero
        cast(Type::Bool, var(c)),
        // if (c[0] == 1), if (c[1] != 0), if (c[1] == 0), with the bits read as int
        bin(BinaryOp::Eq, cast(Type::Int(None), bit_of(c, 0)), int(1)),
        bin(BinaryOp::Ne, cast(Type::Int(None), bit_of(c, 1)), int(0)),
        bin(BinaryOp::Eq, cast(Type::Int(None), bit_of(c, 1)), int(0)),
    ];
    for cond in conds {
        b.p.body.push(Stmt::If {
            cond,
            then_body: vec![gate(X, vec![], vec![q(0)])],
            else_body: vec![],
            loc: at(3),
        });
    }
    let flat = b.flat().unwrap();
    let not = |e: CondExpr| CondExpr::Not(Box::new(e));
    let reg_cmp = |op: CondOp, k: u64| {
        CondExpr::Binary(
            op,
            Box::new(CondExpr::Register(0)),
            Box::new(CondExpr::Int(Wide::from_u64(k))),
        )
    };
    let got: Vec<CondExpr> = flat.ifs.iter().map(|b| b.cond.clone()).collect();
    let cmp = |op: CondOp, a: CondExpr, b: CondExpr| CondExpr::Binary(op, Box::new(a), Box::new(b));
    let int = |k: u64| CondExpr::Int(Wide::from_u64(k));
    assert_eq!(
        got,
        vec![
            CondExpr::Bit(0),
            // `== true` and `== false` of a bit are the bit and its negation.
            CondExpr::Bit(1),
            reg_cmp(CondOp::Eq, 3),
            cmp(CondOp::And, not(CondExpr::Bit(0)), not(CondExpr::Bit(1))),
            reg_cmp(CondOp::Ne, 0),
            cmp(CondOp::Eq, CondExpr::Bit(0), int(1)),
            cmp(CondOp::Ne, CondExpr::Bit(1), int(0)),
            cmp(CondOp::Eq, CondExpr::Bit(1), int(0)),
        ]
    );
}

/// A Stim-style record of 100,000 bits filled through `mr` in a loop: each store is one
/// measurement, and stores into a large register do not copy it.
#[test]
fn a_large_record_fills_in_linear_time() {
    let n: u32 = 100_000;
    let mut b = Build::new(8, &[("rec", n)]);
    let rec = VarId(0);
    let mr = mr(&mut b);
    let i = b.var("i", Type::Int(None), VarKind::Loop);
    let qubit = bin(BinaryOp::Mod, var(i), int(8));
    b.p.body.push(Stmt::For {
        var: i,
        iter: range(0, i128::from(n) - 1),
        body: vec![Stmt::Assign {
            target: LValue {
                var: rec,
                index: vec![Index::Single(var(i))],
            },
            op: None,
            value: ClassicalExpr::Call(mr, vec![CallArg::Qubits(q_at(qubit, 8))], at(3)),
            loc: at(3),
        }],
        loc: at(2),
    });
    let t = Instant::now();
    let flat = b.flat().unwrap();
    assert!(t.elapsed() < Elapsed::from_secs(20), "{:?}", t.elapsed());
    assert_eq!(flat.ops.len(), 2 * n as usize);
    assert_eq!(
        flat.ops[2 * 9_999],
        Op::Measure {
            qubit: 9_999 % 8,
            clbit: 9_999
        }
    );
    assert_eq!(flat.num_clbits, n);
}

#[test]
fn a_bool_computed_from_measured_bits_is_a_condition_until_they_change() {
    let mut b = Build::new(2, &[("c", 2)]);
    let c = VarId(0);
    let flag = b.var("flag", Type::Bool, VarKind::Mutable);
    b.p.body.push(measure(0, c, Some(0)));
    // bool flag = c[0] || c[1];
    b.p.body.push(Stmt::Declare {
        var: flag,
        init: Some(bin(
            BinaryOp::Or,
            ClassicalExpr::Cast(Type::Bool, Box::new(bit_of(c, 0))),
            ClassicalExpr::Cast(Type::Bool, Box::new(bit_of(c, 1))),
        )),
        loc: at(3),
    });
    let use_flag = Stmt::If {
        cond: bin(
            BinaryOp::Eq,
            var(flag),
            ClassicalExpr::Const(Value::Bool(true)),
        ),
        then_body: vec![gate(X, vec![], vec![q(1)])],
        else_body: vec![],
        loc: at(4),
    };
    b.p.body.push(use_flag.clone());
    let flat = b.flat().unwrap();
    // c[1] was never measured: it is read from its clbit at run time, as declared; `== true`
    // of a condition is the condition.
    assert_eq!(
        flat.ifs[0].cond,
        CondExpr::Binary(
            CondOp::Or,
            Box::new(CondExpr::Bit(0)),
            Box::new(CondExpr::Bit(1))
        )
    );
    // Measuring c[0] again leaves flag's value in no clbit.
    b.p.body.insert(3, measure(1, c, Some(0)));
    let e = b.flat().unwrap_err();
    assert!(
        matches!(&e.kind, FlattenErrorKind::Unrepresentable { what } if what.contains("`flag`")),
        "{e}"
    );
}

#[test]
fn a_register_outside_the_classical_bits_is_invalid() {
    let mut b = Build::new(1, &[("c", 2)]);
    b.p.circuit.cregs[0].start = u32::MAX;
    let e = b.flat().unwrap_err();
    assert!(matches!(e.kind, FlattenErrorKind::Invalid { .. }), "{e}");
}
