//! Seeded random programs, well-formed or not (ids out of range, wrong arities, stray
//! `break`s, huge ranges), through the flatten pass and the structure statistics: either may
//! refuse a program, neither may panic, and a flat circuit that comes out is consistent.

use super::*;
use crate::circuit::{GateEntry, GateId, GateKind, Version};
use crate::gates::StandardGate;
use crate::program::expr::{BinaryOp, CallArg, ClassicalExpr, Index, UnaryOp};
use crate::program::expr::{Operand, QubitBase};
use crate::program::ids::{Loc, VarId};
use crate::program::stats::structure;
use crate::program::stmt::{
    Case, Iteration, LValue, Program, Stmt, SubParam, Subroutine, Var, VarKind,
};

/// xorshift64*: enough randomness for shapes, and the same programs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const TYPES: [Type; 7] = [
    Type::Bit,
    Type::Bits(3),
    Type::Bool,
    Type::Int(None),
    Type::Uint(Some(4)),
    Type::Float(None),
    Type::Angle(None),
];

struct Gen {
    r: Rng,
    vars: u32,
    subs: u32,
}

impl Gen {
    fn loc(&mut self) -> Loc {
        Loc {
            file: 0,
            line: self.r.below(50) as u32 + 1,
            col: 1,
        }
    }

    fn value(&mut self) -> Value {
        match self.r.below(8) {
            0 => Value::Bool(self.r.chance(50)),
            1 => Value::Bit(self.r.chance(50)),
            2 => Value::Bits((0..self.r.below(4)).map(|_| self.r.chance(50)).collect()),
            3 => Value::Int(self.r.below(7) as i128 - 3),
            4 => Value::Uint(self.r.below(5) as u128),
            5 => Value::Float(self.r.below(10) as f64 * 0.25),
            6 => Value::Duration {
                ns: self.r.below(3) as f64 * 10.0,
                dt: self.r.below(2) as f64 * 16.0,
            },
            _ => Value::Int(if self.r.chance(50) {
                1_000_000_000_000
            } else {
                -1
            }),
        }
    }

    fn expr(&mut self, depth: u32) -> ClassicalExpr {
        if depth > 3 {
            return ClassicalExpr::Const(self.value());
        }
        match self.r.below(9) {
            0 | 1 => ClassicalExpr::Const(self.value()),
            2 | 3 => ClassicalExpr::Var(VarId(self.r.below(u64::from(self.vars) + 1) as u32)),
            4 => ClassicalExpr::Index(
                Box::new(ClassicalExpr::Var(VarId(if self.r.chance(70) {
                    0
                } else {
                    self.r.below(u64::from(self.vars)) as u32
                }))),
                vec![self.index(depth + 1)],
            ),
            5 => {
                let op = [
                    BinaryOp::Add,
                    BinaryOp::Eq,
                    BinaryOp::Lt,
                    BinaryOp::And,
                    BinaryOp::Or,
                    BinaryOp::Mod,
                    BinaryOp::BitXor,
                ][self.r.below(7) as usize];
                ClassicalExpr::Binary(
                    op,
                    Box::new(self.expr(depth + 1)),
                    Box::new(self.expr(depth + 1)),
                )
            }
            6 => ClassicalExpr::Unary(UnaryOp::Not, Box::new(self.expr(depth + 1))),
            7 => ClassicalExpr::Cast(
                TYPES[self.r.below(TYPES.len() as u64) as usize].clone(),
                Box::new(self.expr(depth + 1)),
            ),
            _ => ClassicalExpr::Call(
                SubId(if self.r.chance(5) {
                    self.subs
                } else {
                    self.r.below(u64::from(self.subs)) as u32
                }),
                self.args(depth + 1),
                self.loc(),
            ),
        }
    }

    fn args(&mut self, depth: u32) -> Vec<CallArg> {
        // Mostly the subroutines' own signature (a qubit, then a value).
        if self.r.chance(80) {
            return vec![
                CallArg::Qubits(Operand::qubit(self.r.below(4) as u32, self.loc())),
                CallArg::Classical(self.expr(depth)),
            ];
        }
        (0..self.r.below(3))
            .map(|_| {
                if self.r.chance(50) {
                    CallArg::Qubits(self.operand(depth))
                } else {
                    CallArg::Classical(self.expr(depth))
                }
            })
            .collect()
    }

    fn index(&mut self, depth: u32) -> Index {
        // Mostly in range of a 3-bit register, sometimes negative or past its end.
        let small = |g: &mut Gen| {
            let k = if g.r.chance(15) {
                g.r.below(7) as i128 - 3
            } else {
                g.r.below(3) as i128
            };
            ClassicalExpr::Const(Value::Int(k))
        };
        match self.r.below(4) {
            0 => Index::Single(self.expr(depth + 1)),
            1 => Index::Single(small(self)),
            2 => Index::Range {
                start: self.r.chance(70).then(|| small(self)),
                step: self.r.chance(30).then(|| small(self)),
                stop: self.r.chance(70).then(|| small(self)),
            },
            _ => Index::Set((0..self.r.below(3)).map(|_| small(self)).collect()),
        }
    }

    fn operand(&mut self, depth: u32) -> Operand {
        let base = if self.r.chance(5) {
            QubitBase::Param(self.r.below(3) as u32)
        } else {
            // Mostly inside the 4 qubits, sometimes past them.
            let start = self.r.below(4) as u32;
            let len = if self.r.chance(10) {
                4
            } else {
                1 + self.r.below(u64::from(4 - start)) as u32
            };
            QubitBase::Global { start, len }
        };
        Operand {
            base,
            index: self.r.chance(50).then(|| self.index(depth)),
            loc: self.loc(),
        }
    }

    fn lvalue(&mut self) -> LValue {
        LValue {
            // Often the register, so that conditions find measured bits.
            var: VarId(if self.r.chance(50) {
                0
            } else {
                self.r.below(u64::from(self.vars)) as u32
            }),
            index: if self.r.chance(50) {
                vec![self.index(2)]
            } else {
                vec![]
            },
        }
    }

    fn block(&mut self, depth: u32) -> Vec<Stmt> {
        (0..self.r.below(5)).map(|_| self.stmt(depth)).collect()
    }

    fn stmt(&mut self, depth: u32) -> Stmt {
        let loc = self.loc();
        let deep = depth > 3;
        match self.r.below(if deep { 9 } else { 16 }) {
            0 | 1 => {
                // Mostly the gate's own signature, sometimes a wrong one or no such gate.
                let gate = if self.r.chance(5) {
                    4
                } else {
                    self.r.below(4) as u32
                };
                let (nq, np) = [(1, 0), (1, 1), (2, 0), (1, 0), (1, 1)][gate as usize];
                let (nq, np) = if self.r.chance(10) {
                    (self.r.below(3), self.r.below(2))
                } else {
                    (nq, np)
                };
                Stmt::Gate {
                    gate: GateId(gate),
                    params: (0..np).map(|_| self.expr(1)).collect(),
                    qubits: (0..nq).map(|_| self.operand(1)).collect(),
                    loc,
                }
            }
            2 => Stmt::Measure {
                qubits: self.operand(1),
                target: self.r.chance(80).then(|| self.lvalue()),
                loc,
            },
            3 => Stmt::Reset {
                qubits: self.operand(1),
                loc,
            },
            4 => Stmt::Declare {
                var: VarId(self.r.below(u64::from(self.vars)) as u32),
                init: self.r.chance(60).then(|| self.expr(0)),
                loc,
            },
            5 => Stmt::Assign {
                target: self.lvalue(),
                op: self.r.chance(20).then_some(BinaryOp::Add),
                value: self.expr(0),
                loc,
            },
            6 => Stmt::Expr {
                value: self.expr(0),
                loc,
            },
            7 => Stmt::Barrier {
                qubits: (0..self.r.below(2)).map(|_| self.operand(1)).collect(),
                loc,
            },
            8 => match self.r.below(8) {
                0 => Stmt::Break { loc },
                1 => Stmt::Continue { loc },
                2 | 3 => Stmt::Return {
                    value: self.r.chance(50).then(|| self.expr(0)),
                    loc,
                },
                _ => Stmt::Delay {
                    duration: self.expr(1),
                    qubits: (0..self.r.below(2)).map(|_| self.operand(1)).collect(),
                    loc,
                },
            },
            9 | 10 => Stmt::If {
                cond: if self.r.chance(50) {
                    let i = self.r.below(3) as i128;
                    ClassicalExpr::Cast(
                        Type::Bool,
                        Box::new(ClassicalExpr::Index(
                            Box::new(ClassicalExpr::Var(VarId(0))),
                            vec![Index::Single(ClassicalExpr::Const(Value::Int(i)))],
                        )),
                    )
                } else {
                    self.expr(0)
                },
                then_body: self.block(depth + 1),
                else_body: self.block(depth + 1),
                loc,
            },
            11 | 12 => Stmt::For {
                var: VarId(self.r.below(u64::from(self.vars)) as u32),
                iter: match self.r.below(3) {
                    0 => Iteration::Range {
                        start: self.expr(2),
                        step: self.expr(3),
                        stop: self.expr(2),
                    },
                    1 => Iteration::Set((0..self.r.below(3)).map(|_| self.expr(2)).collect()),
                    _ => Iteration::Values(self.expr(1)),
                },
                body: self.block(depth + 1),
                loc,
            },
            13 => Stmt::While {
                cond: self.expr(0),
                body: self.block(depth + 1),
                loc,
            },
            14 => Stmt::Switch {
                target: self.expr(0),
                cases: (0..self.r.below(3))
                    .map(|_| Case {
                        values: vec![self.expr(3)],
                        body: self.block(depth + 1),
                    })
                    .collect(),
                default: self.r.chance(50).then(|| self.block(depth + 1)),
                loc,
            },
            _ => Stmt::Box {
                duration: None,
                body: self.block(depth + 1),
                loc,
            },
        }
    }
}

impl Gen {
    /// A statement of a feed-forward program that is well formed: gates, measurements into
    /// the register, branches on its bits, small loops, switches on it.
    fn valid(&mut self, depth: u32) -> Stmt {
        let loc = self.loc();
        let q = |g: &mut Gen| Operand::qubit(g.r.below(4) as u32, Loc::default());
        let c_bit = |g: &mut Gen| {
            ClassicalExpr::Index(
                Box::new(ClassicalExpr::Var(VarId(0))),
                vec![Index::Single(ClassicalExpr::Const(Value::Int(
                    g.r.below(3) as i128,
                )))],
            )
        };
        let body =
            |g: &mut Gen| -> Vec<Stmt> { (0..g.r.below(3)).map(|_| g.valid(depth + 1)).collect() };
        match self.r.below(if depth > 3 { 3 } else { 11 }) {
            0 => Stmt::Gate {
                gate: GateId(0),
                params: vec![],
                qubits: vec![q(self)],
                loc,
            },
            1 => Stmt::Measure {
                qubits: q(self),
                target: Some(LValue {
                    var: VarId(0),
                    index: vec![Index::Single(ClassicalExpr::Const(Value::Int(
                        self.r.below(3) as i128,
                    )))],
                }),
                loc,
            },
            2 => Stmt::Reset {
                qubits: q(self),
                loc,
            },
            3 | 4 => Stmt::If {
                cond: if self.r.chance(70) {
                    ClassicalExpr::Cast(Type::Bool, Box::new(c_bit(self)))
                } else {
                    ClassicalExpr::Binary(
                        BinaryOp::Eq,
                        Box::new(ClassicalExpr::Cast(
                            Type::Uint(Some(3)),
                            Box::new(ClassicalExpr::Var(VarId(0))),
                        )),
                        Box::new(ClassicalExpr::Const(Value::Uint(self.r.below(8) as u128))),
                    )
                },
                then_body: body(self),
                else_body: body(self),
                loc,
            },
            5 => Stmt::For {
                var: VarId(3),
                iter: Iteration::Range {
                    start: ClassicalExpr::Const(Value::Int(0)),
                    step: ClassicalExpr::Const(Value::Int(1)),
                    stop: ClassicalExpr::Const(Value::Int(self.r.below(3) as i128)),
                },
                body: body(self),
                loc,
            },
            // c[i] = mr(q[k]);  (the measurement lands in c[i])
            7 => Stmt::Assign {
                target: LValue {
                    var: VarId(0),
                    index: vec![Index::Single(ClassicalExpr::Const(Value::Int(
                        self.r.below(3) as i128,
                    )))],
                },
                op: None,
                value: ClassicalExpr::Call(SubId(2), vec![CallArg::Qubits(q(self))], loc),
                loc,
            },
            // flag = c[i] || !c[j];  (a bool that is a condition on measured bits)
            9 => Stmt::Assign {
                target: LValue {
                    var: VarId(10),
                    index: vec![],
                },
                op: None,
                value: ClassicalExpr::Binary(
                    BinaryOp::Or,
                    Box::new(ClassicalExpr::Cast(Type::Bool, Box::new(c_bit(self)))),
                    Box::new(ClassicalExpr::Unary(
                        UnaryOp::Not,
                        Box::new(ClassicalExpr::Cast(Type::Bool, Box::new(c_bit(self)))),
                    )),
                ),
                loc,
            },
            10 => Stmt::If {
                cond: ClassicalExpr::Var(VarId(10)),
                then_body: body(self),
                else_body: body(self),
                loc,
            },
            // active_reset(q[k]);  (a measured local bit read by a condition)
            8 => Stmt::Expr {
                value: ClassicalExpr::Call(SubId(3), vec![CallArg::Qubits(q(self))], loc),
                loc,
            },
            _ => Stmt::Switch {
                target: ClassicalExpr::Cast(
                    Type::Uint(Some(3)),
                    Box::new(ClassicalExpr::Var(VarId(0))),
                ),
                cases: (0..self.r.below(3))
                    .map(|k| Case {
                        values: vec![ClassicalExpr::Const(Value::Uint(k as u128))],
                        body: body(self),
                    })
                    .collect(),
                default: self.r.chance(50).then(|| body(self)),
                loc,
            },
        }
    }
}

fn program(seed: u64) -> Program {
    let mut g = Gen {
        r: Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
        vars: 8,
        subs: 2,
    };
    let mut c = Circuit::new(Version::Qasm3);
    c.num_qubits = 4;
    c.qregs.push(Register {
        name: "q".into(),
        start: 0,
        size: 4,
    });
    for s in [
        StandardGate::H,
        StandardGate::Rz,
        StandardGate::Cx,
        StandardGate::X,
    ] {
        c.gates.push(GateEntry {
            name: s.name().into(),
            num_qubits: s.num_qubits() as u32,
            num_params: s.num_params() as u32,
            kind: GateKind::Standard(s),
            first_use: 0,
        });
    }
    c.cregs.push(Register {
        name: "c".into(),
        start: 0,
        size: 3,
    });
    c.num_clbits = 3;
    let mut vars = Vec::new();
    for i in 0..g.vars {
        let ty = TYPES[g.r.below(TYPES.len() as u64) as usize].clone();
        let creg = (i == 0).then_some(0);
        vars.push(Var {
            name: format!("v{i}"),
            ty: match i {
                0 => Type::Bits(3),
                3 => Type::Int(None),
                _ => ty,
            },
            kind: if i == 3 {
                VarKind::Input
            } else if g.r.chance(85) {
                VarKind::Mutable
            } else {
                [VarKind::Loop, VarKind::Param][g.r.below(2) as usize]
            },
            creg,
            loc: Loc::default(),
        });
    }
    // Locals of the two fixed subroutines below.
    for name in ["mb", "rb", "flag"] {
        vars.push(Var {
            name: name.into(),
            ty: if name == "flag" {
                Type::Bool
            } else {
                Type::Bit
            },
            kind: VarKind::Mutable,
            creg: None,
            loc: Loc::default(),
        });
    }
    let mut subroutines: Vec<Subroutine> = (0..g.subs)
        .map(|k| Subroutine {
            name: format!("s{k}"),
            params: vec![
                SubParam::Qubits {
                    name: "a".into(),
                    size: None,
                },
                SubParam::Classical(VarId(g.r.below(8) as u32)),
            ],
            ret: g.r.chance(50).then_some(Type::Bit),
            body: g.block(1),
            loc: Loc::default(),
        })
        .collect();
    let a = || Operand {
        base: QubitBase::Param(0),
        index: None,
        loc: Loc::default(),
    };
    let local = |v: u32| LValue {
        var: VarId(v),
        index: vec![],
    };
    let qubit_param = || SubParam::Qubits {
        name: "a".into(),
        size: None,
    };
    let at = Loc::default();
    // def mr(qubit a) -> bit { bit mb; measure a -> mb; reset a; return mb; }
    subroutines.push(Subroutine {
        name: "mr".into(),
        params: vec![qubit_param()],
        ret: Some(Type::Bit),
        body: vec![
            Stmt::Declare {
                var: VarId(8),
                init: None,
                loc: at,
            },
            Stmt::Measure {
                qubits: a(),
                target: Some(local(8)),
                loc: at,
            },
            Stmt::Reset {
                qubits: a(),
                loc: at,
            },
            Stmt::Return {
                value: Some(ClassicalExpr::Var(VarId(8))),
                loc: at,
            },
        ],
        loc: at,
    });
    // def active_reset(qubit a) { bit rb; measure a -> rb; if (rb) x a; }
    subroutines.push(Subroutine {
        name: "active_reset".into(),
        params: vec![qubit_param()],
        ret: None,
        body: vec![
            Stmt::Declare {
                var: VarId(9),
                init: None,
                loc: at,
            },
            Stmt::Measure {
                qubits: a(),
                target: Some(local(9)),
                loc: at,
            },
            Stmt::If {
                cond: ClassicalExpr::Cast(Type::Bool, Box::new(ClassicalExpr::Var(VarId(9)))),
                then_body: vec![Stmt::Gate {
                    gate: GateId(3),
                    params: vec![],
                    qubits: vec![a()],
                    loc: at,
                }],
                else_body: vec![],
                loc: at,
            },
        ],
        loc: at,
    });
    let mut body = if seed % 2 == 1 {
        (0..1 + g.r.below(8)).map(|_| g.valid(0)).collect()
    } else {
        g.block(0)
    };
    if seed % 2 == 1 || g.r.chance(90) {
        // Declarations first, mostly, so that reads find values.
        let decls = (0..g.vars).chain([10]).map(|v| Stmt::Declare {
            var: VarId(v),
            init: None,
            loc: Loc::default(),
        });
        body.splice(0..0, decls);
    }
    if seed % 2 == 1 || g.r.chance(60) {
        // A measured register first, so that branches on it are real-time.
        let after_decls = body
            .iter()
            .take_while(|s| matches!(s, Stmt::Declare { .. }))
            .count();
        body.insert(
            after_decls,
            Stmt::Measure {
                qubits: Operand {
                    base: QubitBase::Global { start: 0, len: 3 },
                    index: None,
                    loc: Loc::default(),
                },
                target: Some(LValue {
                    var: VarId(0),
                    index: vec![],
                }),
                loc: Loc::default(),
            },
        );
    }
    Program {
        circuit: c,
        files: vec!["fuzz".into()],
        vars,
        subroutines,
        externs: Vec::new(),
        body,
        physical: false,
        skipped_calibration: None,
    }
}

/// Every index a flat circuit holds points inside its arenas.
fn consistent(c: &Circuit, ops: &[Op], depth: u32) {
    assert!(depth < 300);
    for op in ops {
        match *op {
            Op::Gate { gate, args, params } => {
                let g = &c.gates[gate.0 as usize];
                let q = &c.qubits[args as usize..(args + g.num_qubits) as usize];
                assert!(q.iter().all(|&x| x < c.num_qubits));
                assert!(c.params.len() >= (params + g.num_params) as usize);
            }
            Op::Measure { qubit, clbit } => {
                assert!(qubit < c.num_qubits && clbit < c.num_clbits, "{op:?}");
            }
            Op::Reset { qubit } => assert!(qubit < c.num_qubits),
            Op::Barrier { args, len } => assert!(c.qubits.len() >= (args + len) as usize),
            Op::Delay { qubit, duration } => {
                assert!(qubit < c.num_qubits && (duration as usize) < c.durations.len());
            }
            Op::If { block } => {
                let b = &c.ifs[block as usize];
                consistent(c, &b.then_ops, depth + 1);
                consistent(c, &b.else_ops, depth + 1);
            }
        }
    }
}

#[test]
fn random_programs_never_panic() {
    let limits = FlattenLimits {
        max_ops: 5_000,
        max_steps: 5_000,
        max_call_depth: 8,
    };
    let (mut flat, mut with_ifs) = (0, 0);
    for seed in 0..3_000 {
        let p = program(seed);
        let _ = structure(&p);
        let inputs = [(VarId(3), Value::Int(2))];
        if let Ok(c) = flatten(&p, &inputs, &limits) {
            consistent(&c, &c.ops, 0);
            flat += 1;
            with_ifs += usize::from(!c.ifs.is_empty());
        }
    }
    // Enough of them get through for the check of their circuits to mean something.
    assert!(flat > 300 && with_ifs > 50, "{flat} {with_ifs}");
}

/// A quantum event as both the interpreter and a run of the flat circuit report it (delays
/// one qubit at a time, in ns and dt).
#[derive(Debug, PartialEq)]
enum Seen {
    Gate(GateId, Vec<f64>, Vec<u32>),
    Measure(u32),
    Reset(u32),
    Barrier(Vec<u32>),
    Delay(u32, f64, f64),
}

/// The `k`-th measurement's outcome in run `seed`.
fn outcome(seed: u64, k: u64) -> bool {
    Rng(seed
        .wrapping_mul(31)
        .wrapping_add(k)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        | 1)
    .next()
        & 1
        == 1
}

/// Run the flat circuit's ops with the given outcomes, as a controller would.
fn run_flat(c: &Circuit, ops: &[Op], seed: u64, bits: &mut Vec<bool>, seen: &mut Vec<Seen>) {
    for op in ops {
        match *op {
            Op::Gate { gate, args, params } => {
                let (q, p) = c.gate_operands(gate, args, params);
                seen.push(Seen::Gate(gate, p.to_vec(), q.to_vec()));
            }
            Op::Measure { qubit, clbit } => {
                let k = seen
                    .iter()
                    .filter(|s| matches!(s, Seen::Measure(_)))
                    .count();
                seen.push(Seen::Measure(qubit));
                bits[clbit as usize] = outcome(seed, k as u64);
            }
            Op::Reset { qubit } => seen.push(Seen::Reset(qubit)),
            Op::Barrier { args, len } => {
                seen.push(Seen::Barrier(c.barrier_qubits(args, len).to_vec()))
            }
            Op::Delay { qubit, duration } => {
                let d = c.durations[duration as usize];
                let (ns, dt) = match d.unit {
                    crate::circuit::TimeUnit::Dt => (0.0, d.value),
                    _ => (d.value, 0.0),
                };
                seen.push(Seen::Delay(qubit, ns, dt));
            }
            Op::If { block } => {
                let b = &c.ifs[block as usize];
                let side = if b.cond.holds(c, bits) {
                    &b.then_ops
                } else {
                    &b.else_ops
                };
                run_flat(c, side, seed, bits, seen);
            }
        }
    }
}

/// Run the interpreter with the same outcomes; `None` when it refuses the program.
fn run_exec(p: &Program, inputs: &[(VarId, Value)], seed: u64) -> Option<(Vec<Seen>, Vec<bool>)> {
    use crate::program::exec::{Event, Exec, ExecLimits};
    let limits = ExecLimits {
        max_steps: 100_000,
        max_call_depth: 8,
    };
    let mut x = Exec::new(p, inputs, limits).ok()?;
    let mut seen = Vec::new();
    let mut k = 0;
    loop {
        match x.next_event().ok()? {
            Event::Done => break,
            Event::Gate {
                gate,
                params,
                qubits,
            } => seen.push(Seen::Gate(gate, params, qubits)),
            Event::Measure { qubit } => {
                seen.push(Seen::Measure(qubit));
                x.measured(outcome(seed, k)).ok()?;
                k += 1;
            }
            Event::Reset { qubit } => seen.push(Seen::Reset(qubit)),
            Event::Barrier { qubits } => seen.push(Seen::Barrier(qubits)),
            Event::Delay { ns, dt, qubits } => {
                seen.extend(qubits.into_iter().map(|q| Seen::Delay(q, ns, dt)));
            }
        }
        if seen.len() > 100_000 {
            return None;
        }
    }
    Some((seen, x.clbits()))
}

/// Whatever flattens runs like the program itself: the same quantum events for the same
/// measurement outcomes, and the same register contents at the end.
#[test]
fn flat_circuits_run_like_their_programs() {
    let limits = FlattenLimits {
        max_ops: 5_000,
        max_steps: 5_000,
        max_call_depth: 8,
    };
    let inputs = [(VarId(3), Value::Int(2))];
    let mut compared = 0;
    for seed in 0..3_000 {
        let p = program(seed);
        let Ok(c) = flatten(&p, &inputs, &limits) else {
            continue;
        };
        for run in 0..3 {
            let Some((want, want_bits)) = run_exec(&p, &inputs, seed * 7 + run) else {
                continue;
            };
            let mut bits = vec![false; c.num_clbits as usize];
            let mut seen = Vec::new();
            run_flat(&c, &c.ops, seed * 7 + run, &mut bits, &mut seen);
            assert_eq!(seen, want, "seed {seed}, run {run}: {:#?}", p.body);
            bits.truncate(p.circuit.num_clbits as usize);
            assert_eq!(bits, want_bits, "seed {seed}, run {run}: {:#?}", p.body);
            compared += 1;
        }
    }
    assert!(compared > 1_000, "{compared}");
}

/// Whether a block decides nothing at run time or leaves early: no branch, switch, `while`,
/// `break`, `continue` or `end`, and `return` only as the last statement of a subroutine.
fn straight(b: &[Stmt], sub: bool) -> bool {
    b.iter().enumerate().all(|(i, s)| match s {
        Stmt::Return { .. } => sub && i + 1 == b.len(),
        Stmt::If { .. }
        | Stmt::Switch { .. }
        | Stmt::While { .. }
        | Stmt::Break { .. }
        | Stmt::Continue { .. }
        | Stmt::End { .. } => false,
        Stmt::For { body, .. } | Stmt::Box { body, .. } => straight(body, false),
        _ => true,
    })
}

/// For programs without branches, the totals the structure statistics compute without
/// unrolling are the flat circuit's counts, wherever they are known.
#[test]
fn structure_totals_are_the_flat_counts() {
    let limits = FlattenLimits {
        max_ops: 5_000,
        max_steps: 5_000,
        max_call_depth: 8,
    };
    let inputs = [(VarId(3), Value::Int(2))];
    let mut compared = 0;
    for seed in 0..3_000 {
        let mut p = program(seed);
        // The active reset branches: here it only resets.
        if let Some(s) = p.subroutines.get_mut(3) {
            s.body.truncate(2);
        }
        if !straight(&p.body, false) || !p.subroutines.iter().all(|s| straight(&s.body, true)) {
            continue;
        }
        let Ok(c) = flatten(&p, &inputs, &limits) else {
            continue;
        };
        let flat = crate::stats::stats(&c);
        let s = structure(&p);
        // `&&` and `||` may skip their right side (a call there): the total is then a bound.
        let text = format!("{p:?}");
        let exact = !text.contains("Binary(And") && !text.contains("Binary(Or");
        for (name, count) in &s.ops {
            if let Some(total) = count.total {
                let got = u128::from(flat.ops.get(name).copied().unwrap_or(0));
                if exact {
                    assert_eq!(got, total, "seed {seed}, {name}: {:#?}", p.body);
                } else {
                    assert!(got <= total, "seed {seed}, {name}: {:#?}", p.body);
                }
                compared += 1;
            }
        }
    }
    assert!(compared > 200, "{compared}");
}
