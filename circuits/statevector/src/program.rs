//! Simulating structured programs: the exact distribution of the final classical bits of an
//! OpenQASM 3 program with real-time control flow (measurement-dependent `while`, `switch`,
//! classical arithmetic on measured bits). The program's executor decides what happens next from
//! the classical state; at each measurement both the executor and the state vector are cloned,
//! one copy per possible outcome.

use std::collections::HashMap;

use num_complex::Complex64;

use eqisa_ir::circuit::{Circuit, GateId};
use eqisa_ir::matrix::Matrix;
use eqisa_ir::program::exec::{Event, Exec, ExecLimits};
use eqisa_ir::program::ids::VarId;
use eqisa_ir::program::stmt::Program;
use eqisa_ir::program::value::Value;

use crate::circuit::{
    Amplitudes, MAX_BRANCHES, Outcome, OutcomeLimits, StateVectorError, apply_gate_at,
};
use crate::state::{MAX_QUBITS, StateVector};

/// Branches whose probability falls to this or below are dropped: a measurement-dependent loop
/// that may run forever (repeat until success) ends its exploration after about 40 rounds.
const FLOOR: f64 = 1e-12;

/// Most interpreter steps [`program_outcomes`] runs over all branches together: each branch is
/// bounded by [`ExecLimits`] on its own, but 65,536 branches each running a long classical loop
/// would otherwise take hours.
pub const MAX_PROGRAM_STEPS: u64 = 200_000_000;

/// One measurement history still running: its executor, state and probability.
struct Pending<'p> {
    exec: Exec<'p>,
    state: StateVector,
    probability: f64,
    /// The executor's steps already added to the total (a clone shares its parent's past).
    counted: u64,
}

/// The exact distribution of the final classical bits of `p` run with `inputs`, following every
/// measurement (and reset) outcome of non-negligible probability, within `limits`' amplitude
/// budget (checked before each branch's state is allocated) and at most [`MAX_BRANCHES`]
/// branches, [`MAX_PROGRAM_STEPS`] interpreter steps in all. Every measurement the program makes
/// branches, final ones included (which ones are final depends on the classical state), so a
/// program without real-time control flow is better flattened to a circuit and given to
/// [`crate::circuit::outcomes_with`], which reads final measurements off one state.
/// Branches of probability at most 1e-12 are dropped, so the probabilities of a
/// program whose loops may run forever sum to slightly less than 1. Sorted by bit string
/// (highest clbit first), equal outcomes merged.
pub fn program_outcomes(
    p: &Program,
    inputs: &[(VarId, Value)],
    limits: &OutcomeLimits,
) -> Result<Vec<Outcome>, StateVectorError> {
    outcomes_within(p, inputs, limits, MAX_PROGRAM_STEPS)
}

/// [`program_outcomes`] with a bound of `max_steps` interpreter steps over all branches.
fn outcomes_within(
    p: &Program,
    inputs: &[(VarId, Value)],
    limits: &OutcomeLimits,
    max_steps: u64,
) -> Result<Vec<Outcome>, StateVectorError> {
    let n = p.circuit.num_qubits;
    let mut budget = Amplitudes::new(n, limits);
    // Beyond MAX_QUBITS, `zero_state` refuses the program with its own, more precise message.
    if n as usize <= MAX_QUBITS {
        budget.take()?;
    }
    let state = StateVector::zero_state(n as usize)?;
    let exec = Exec::new(p, inputs, ExecLimits::default())?;
    let mut stack = vec![Pending {
        exec,
        state,
        probability: 1.0,
        counted: 0,
    }];
    let mut branches = 1usize;
    let mut steps = 0u64;
    let mut found: HashMap<Vec<bool>, f64> = HashMap::new();
    while let Some(mut b) = stack.pop() {
        loop {
            let event = b.exec.next_event()?;
            steps += b.exec.steps().saturating_sub(b.counted);
            b.counted = b.exec.steps();
            if steps > max_steps {
                return Err(StateVectorError::TooManySteps(max_steps));
            }
            match event {
                Event::Gate {
                    gate,
                    ref params,
                    ref qubits,
                } => {
                    check_gate(&p.circuit, gate, params, qubits)?;
                    apply_gate_at(&p.circuit, &mut b.state, gate, params, qubits)?;
                }
                Event::Measure { qubit } | Event::Reset { qubit } => {
                    check_qubit(n, qubit)?;
                    let reset = matches!(event, Event::Reset { .. });
                    let p1 = b.state.prob_one(qubit);
                    // Each outcome of non-negligible weight is followed: clones take all but
                    // the last, this branch the last.
                    let mut possible: Vec<bool> = Vec::with_capacity(2);
                    if b.probability * (1.0 - p1) > FLOOR {
                        possible.push(false);
                    }
                    if b.probability * p1 > FLOOR {
                        possible.push(true);
                    }
                    let Some((&last, others)) = possible.split_last() else {
                        break;
                    };
                    for &o in others {
                        branches += 1;
                        if branches > MAX_BRANCHES {
                            return Err(StateVectorError::TooManyBranches(MAX_BRANCHES));
                        }
                        // Checked before the clone allocates the branch's state.
                        budget.take()?;
                        let mut other = Pending {
                            exec: b.exec.clone(),
                            state: b.state.clone(),
                            probability: b.probability,
                            counted: b.counted,
                        };
                        settle(&mut other, qubit, o, reset)?;
                        stack.push(other);
                    }
                    settle(&mut b, qubit, last, reset)?;
                }
                Event::Barrier { .. } | Event::Delay { .. } => {}
                Event::Done => {
                    *found.entry(b.exec.clbits()).or_insert(0.0) += b.probability;
                    break;
                }
            }
        }
    }
    let mut out: Vec<Outcome> = found
        .into_iter()
        .filter(|&(_, probability)| probability > FLOOR)
        .map(|(bits, probability)| Outcome { bits, probability })
        .collect();
    out.sort_by(|a, b| a.bits.iter().rev().cmp(b.bits.iter().rev()));
    Ok(out)
}

/// Collapse `qubit` of branch `b` to `outcome`, weigh the branch by that outcome's probability,
/// and tell the executor the result (a measurement) or bring the qubit back to |0> (a reset,
/// which the classical state never sees).
fn settle(
    b: &mut Pending<'_>,
    qubit: u32,
    outcome: bool,
    reset: bool,
) -> Result<(), StateVectorError> {
    b.probability *= b.state.collapse(qubit, outcome);
    if reset {
        if outcome {
            let x = Matrix::from_vec(
                1,
                vec![
                    Complex64::new(0.0, 0.0),
                    Complex64::new(1.0, 0.0),
                    Complex64::new(1.0, 0.0),
                    Complex64::new(0.0, 0.0),
                ],
            );
            b.state.apply(&x, &[qubit]);
        }
        Ok(())
    } else {
        Ok(b.exec.measured(outcome)?)
    }
}

/// Refuse a qubit outside the program's registers (the state's operations assume it is in
/// range).
fn check_qubit(num_qubits: u32, qubit: u32) -> Result<(), StateVectorError> {
    if qubit < num_qubits {
        Ok(())
    } else {
        Err(StateVectorError::BadEvent(format!(
            "qubit {qubit} of a program with {num_qubits} qubits"
        )))
    }
}

/// Refuse a gate application that does not fit the gate table's entry: an unknown gate, the
/// wrong number of angles or qubits, an angle that is not finite, or a qubit repeated or out of
/// range.
fn check_gate(
    c: &Circuit,
    gate: GateId,
    params: &[f64],
    qubits: &[u32],
) -> Result<(), StateVectorError> {
    let Some(entry) = c.gates.get(gate.0 as usize) else {
        return Err(StateVectorError::BadEvent(format!(
            "gate {} of a table of {}",
            gate.0,
            c.gates.len()
        )));
    };
    if params.len() != entry.num_params as usize || qubits.len() != entry.num_qubits as usize {
        return Err(StateVectorError::BadEvent(format!(
            "'{}' applied with {} angles to {} qubits (it takes {} and {})",
            entry.name,
            params.len(),
            qubits.len(),
            entry.num_params,
            entry.num_qubits
        )));
    }
    if let Some(v) = params.iter().find(|v| !v.is_finite()) {
        return Err(StateVectorError::BadEvent(format!(
            "'{}' applied with the angle {v}",
            entry.name
        )));
    }
    for (k, &q) in qubits.iter().enumerate() {
        check_qubit(c.num_qubits, q)?;
        if qubits[..k].contains(&q) {
            return Err(StateVectorError::BadEvent(format!(
                "'{}' applied to qubit {q} twice",
                entry.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_ir::circuit::{GateEntry, GateKind, Register, Version};
    use eqisa_ir::gates::StandardGate;
    use eqisa_ir::program::expr::{BinaryOp, CallArg, ClassicalExpr as E, Index};
    use eqisa_ir::program::expr::{Operand, QubitBase};
    use eqisa_ir::program::ids::{Loc, SubId};
    use eqisa_ir::program::stmt::{
        Case, Iteration, LValue, Stmt, SubParam, Subroutine, Var, VarKind,
    };
    use eqisa_ir::program::types::Type;

    /// The gates the tests use, at these positions of the gate table.
    const GATES: [StandardGate; 5] = [
        StandardGate::H,
        StandardGate::X,
        StandardGate::Ry,
        StandardGate::Cx,
        StandardGate::Rx,
    ];
    const H: GateId = GateId(0);
    const X: GateId = GateId(1);
    const RY: GateId = GateId(2);
    const CX: GateId = GateId(3);
    const RX: GateId = GateId(4);

    fn at(line: u32) -> Loc {
        Loc {
            file: 0,
            line,
            col: 1,
        }
    }

    /// A program of `qubits` qubits whose variables are `vars`: each global `bit`/`bit[n]`
    /// among them gets the next classical register, in order.
    fn program(qubits: u32, vars: Vec<(&str, Type)>, body: Vec<Stmt>) -> Program {
        let mut circuit = Circuit::new(Version::Qasm3);
        circuit.num_qubits = qubits;
        circuit.qregs.push(Register {
            name: "q".into(),
            start: 0,
            size: qubits,
        });
        circuit.gates = GATES
            .iter()
            .map(|g| GateEntry {
                name: g.name().to_string(),
                num_qubits: g.num_qubits() as u32,
                num_params: g.num_params() as u32,
                kind: GateKind::Standard(*g),
                first_use: 0,
            })
            .collect();
        // The interpreter refuses a variable used before its declaration ran: declare each
        // at the start (its zero), as a front end would where the source declares it.
        let mut declarations: Vec<Stmt> = (0..vars.len() as u32)
            .map(|v| Stmt::Declare {
                var: VarId(v),
                init: None,
                loc: at(1),
            })
            .collect();
        declarations.extend(body);
        let body = declarations;
        let mut program_vars = Vec::new();
        for (name, ty) in vars {
            let width = match ty {
                Type::Bit => Some(1),
                Type::Bits(n) => Some(n),
                _ => None,
            };
            let creg = width.map(|size| {
                circuit.cregs.push(Register {
                    name: name.to_string(),
                    start: circuit.num_clbits,
                    size,
                });
                circuit.num_clbits += size;
                circuit.cregs.len() as u32 - 1
            });
            program_vars.push(Var {
                name: name.to_string(),
                ty,
                kind: VarKind::Mutable,
                creg,
                loc: at(1),
            });
        }
        Program {
            circuit,
            files: vec!["test.qasm".into()],
            vars: program_vars,
            subroutines: Vec::new(),
            externs: Vec::new(),
            body,
            physical: false,
            skipped_calibration: None,
        }
    }

    fn int(v: i128) -> E {
        E::Const(Value::Int(v))
    }

    fn var(v: u32) -> E {
        E::Var(VarId(v))
    }

    fn bin(op: BinaryOp, a: E, b: E) -> E {
        E::Binary(op, Box::new(a), Box::new(b))
    }

    fn gate(gate: GateId, params: Vec<f64>, qubits: &[u32], line: u32) -> Stmt {
        Stmt::Gate {
            gate,
            params: params
                .into_iter()
                .map(|v| E::Const(Value::Float(v)))
                .collect(),
            qubits: qubits
                .iter()
                .map(|&q| Operand::qubit(q, at(line)))
                .collect(),
            loc: at(line),
        }
    }

    /// `var[index] = measure q[start..start + len]` (no index: the whole variable).
    fn measure(start: u32, len: u32, var: u32, index: Option<i128>, line: u32) -> Stmt {
        Stmt::Measure {
            qubits: Operand {
                base: QubitBase::Global { start, len },
                index: None,
                loc: at(line),
            },
            target: Some(LValue {
                var: VarId(var),
                index: index
                    .map(|i| vec![Index::Single(int(i))])
                    .unwrap_or_default(),
            }),
            loc: at(line),
        }
    }

    /// The distribution `tests/qasm3/expected.json` records for `name`.
    fn expected(name: &str) -> Vec<(String, f64)> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/qasm3/expected.json"
        );
        let text = std::fs::read_to_string(path).expect("tests/qasm3/expected.json");
        let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let d = json["programs"][name]["distribution"]
            .as_object()
            .expect("a distribution");
        let mut out: Vec<(String, f64)> = d
            .iter()
            .map(|(k, v)| (k.clone(), v.as_f64().expect("a probability")))
            .collect();
        // Bit strings order as the outcomes do (highest clbit first).
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn assert_matches(got: &[Outcome], want: &[(String, f64)], tolerance: f64) {
        let got: Vec<(String, f64)> = got.iter().map(|o| (o.bitstring(), o.probability)).collect();
        assert_eq!(
            got.iter().map(|g| &g.0).collect::<Vec<_>>(),
            want.iter().map(|w| &w.0).collect::<Vec<_>>(),
            "{got:?}"
        );
        for ((k, p), (_, q)) in got.iter().zip(want) {
            assert!((p - q).abs() < tolerance, "{k}: {p} against {q}");
        }
    }

    /// `bit c = 0; while (c == 0) { h q; c = measure q; }`: the body as written.
    fn repeat_until_success() -> Program {
        let c = 0;
        program(
            1,
            vec![("c", Type::Bit)],
            vec![
                Stmt::Declare {
                    var: VarId(c),
                    init: Some(E::Const(Value::Bit(false))),
                    loc: at(2),
                },
                Stmt::While {
                    cond: bin(BinaryOp::Eq, var(c), E::Const(Value::Bit(false))),
                    body: vec![gate(H, vec![], &[0], 4), measure(0, 1, c, None, 5)],
                    loc: at(3),
                },
            ],
        )
    }

    /// Repeat until success ends with c = 1 with probability 1 (less the rounds dropped below
    /// 1e-12), after about 40 branches; a budget of fewer branch states refuses it, naming the
    /// limit.
    #[test]
    fn repeat_until_success_ends_with_one() {
        let p = repeat_until_success();
        let out = program_outcomes(&p, &[], &OutcomeLimits::default()).expect("runs");
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].bits, vec![true]);
        assert!((out[0].probability - 1.0).abs() < 1e-9, "{out:?}");
        // Ten branch states of two amplitudes each: the eleventh is refused before it exists.
        let tight = OutcomeLimits { max_amplitudes: 20 };
        assert_eq!(
            program_outcomes(&p, &[], &tight),
            Err(StateVectorError::TooManyAmplitudes {
                qubits: 1,
                branch: 11,
                max: 20
            })
        );
    }

    /// `switch (uint[2](c))` on a measured register (tests/qasm3/switch_measured.qasm, built by
    /// hand): its distribution is the one expected.json records.
    #[test]
    fn switch_on_a_measured_register() {
        let (c, r) = (0, 1);
        let u = |v: u128| E::Const(Value::Uint(v));
        let p = program(
            3,
            vec![("c", Type::Bits(2)), ("r", Type::Bit)],
            vec![
                gate(H, vec![], &[0], 8),
                gate(RY, vec![2.0 * std::f64::consts::PI / 3.0], &[1], 9),
                measure(0, 2, c, None, 10),
                Stmt::Switch {
                    target: E::Cast(Type::Uint(Some(2)), Box::new(var(c))),
                    cases: vec![
                        Case {
                            values: vec![u(0)],
                            body: vec![],
                        },
                        Case {
                            values: vec![u(1)],
                            body: vec![gate(X, vec![], &[2], 15)],
                        },
                        Case {
                            values: vec![u(2), u(3)],
                            body: vec![gate(H, vec![], &[2], 18)],
                        },
                    ],
                    default: None,
                    loc: at(11),
                },
                measure(2, 1, r, None, 21),
            ],
        );
        let out = program_outcomes(&p, &[], &OutcomeLimits::default()).expect("runs");
        assert_matches(&out, &expected("switch_measured.qasm"), 1e-12);
    }

    /// Arithmetic on measured bits (tests/qasm3/arith_measured.qasm, built by hand): the number
    /// of ones among three measured bits sets one bit directly and one through a qubit.
    #[test]
    fn arithmetic_on_measured_bits() {
        let (m, out, ones) = (0, 1, 2);
        let bit_as_int = |i: i128| {
            E::Cast(
                Type::Int(None),
                Box::new(E::Index(Box::new(var(m)), vec![Index::Single(int(i))])),
            )
        };
        let p = program(
            4,
            vec![
                ("m", Type::Bits(3)),
                ("out", Type::Bits(2)),
                ("ones", Type::Int(None)),
            ],
            vec![
                Stmt::Declare {
                    var: VarId(out),
                    init: Some(E::Const(Value::Bits(vec![false, false]))),
                    loc: at(7),
                },
                gate(H, vec![], &[0], 8),
                gate(H, vec![], &[1], 9),
                gate(H, vec![], &[2], 10),
                measure(0, 3, m, None, 11),
                Stmt::Declare {
                    var: VarId(ones),
                    init: Some(bin(
                        BinaryOp::Add,
                        bin(BinaryOp::Add, bit_as_int(0), bit_as_int(1)),
                        bit_as_int(2),
                    )),
                    loc: at(12),
                },
                Stmt::If {
                    cond: bin(BinaryOp::Ge, var(ones), int(2)),
                    then_body: vec![gate(X, vec![], &[3], 14)],
                    else_body: vec![],
                    loc: at(13),
                },
                Stmt::If {
                    cond: bin(BinaryOp::Eq, bin(BinaryOp::Mod, var(ones), int(2)), int(1)),
                    then_body: vec![Stmt::Assign {
                        target: LValue {
                            var: VarId(out),
                            index: vec![Index::Single(int(1))],
                        },
                        op: None,
                        value: E::Const(Value::Bit(true)),
                        loc: at(17),
                    }],
                    else_body: vec![],
                    loc: at(16),
                },
                measure(3, 1, out, Some(0), 19),
            ],
        );
        let got = program_outcomes(&p, &[], &OutcomeLimits::default()).expect("runs");
        assert_matches(&got, &expected("arith_measured.qasm"), 1e-12);
    }

    /// `bits[i]` of a bit register, as a condition.
    fn bit_of(v: u32, i: i128) -> E {
        E::Index(Box::new(var(v)), vec![Index::Single(int(i))])
    }

    /// Feed-forward on one measured bit (tests/qasm3/if_measured.qasm, built by hand): the
    /// distribution Qiskit's circuit gives, as expected.json records it.
    #[test]
    fn if_on_a_measured_bit_agrees_with_qiskit() {
        let c = 0;
        let p = program(
            2,
            vec![("c", Type::Bits(2))],
            vec![
                gate(H, vec![], &[0], 7),
                measure(0, 1, c, Some(0), 8),
                Stmt::If {
                    cond: bit_of(c, 0),
                    then_body: vec![gate(X, vec![], &[1], 10)],
                    else_body: vec![gate(RY, vec![std::f64::consts::PI / 3.0], &[1], 12)],
                    loc: at(9),
                },
                measure(1, 1, c, Some(1), 14),
            ],
        );
        let out = program_outcomes(&p, &[], &OutcomeLimits::default()).expect("runs");
        assert_matches(&out, &expected("if_measured.qasm"), 1e-12);
    }

    /// A for loop left by `break` on a measured bit, with a reset in every iteration
    /// (tests/qasm3/break_measured.qasm, built by hand): Qiskit's distribution.
    #[test]
    fn break_on_a_measured_bit_agrees_with_qiskit() {
        let (c, i) = (0, 1);
        let p = program(
            2,
            vec![("c", Type::Bits(2)), ("i", Type::Int(None))],
            vec![
                Stmt::For {
                    var: VarId(i),
                    iter: Iteration::Range {
                        start: int(0),
                        step: int(1),
                        stop: int(2),
                    },
                    body: vec![
                        gate(RX, vec![std::f64::consts::PI / 3.0], &[1], 10),
                        Stmt::Reset {
                            qubits: Operand::qubit(0, at(11)),
                            loc: at(11),
                        },
                        gate(H, vec![], &[0], 12),
                        measure(0, 1, c, Some(0), 13),
                        Stmt::If {
                            cond: bit_of(c, 0),
                            then_body: vec![Stmt::Break { loc: at(14) }],
                            else_body: vec![],
                            loc: at(14),
                        },
                    ],
                    loc: at(9),
                },
                measure(1, 1, c, Some(1), 16),
            ],
        );
        let out = program_outcomes(&p, &[], &OutcomeLimits::default()).expect("runs");
        assert_matches(&out, &expected("break_measured.qasm"), 1e-12);
    }

    /// A while loop on a measured bit and a counter (tests/qasm3/rus_count.qasm, built by
    /// hand): the count, cast to a register, is geometric up to its bound of 3.
    #[test]
    fn a_counted_repeat_until_success() {
        let (ok, n, tries) = (0, 1, 2);
        let u = |v: u128| E::Const(Value::Uint(v));
        let p = program(
            1,
            vec![
                ("ok", Type::Bit),
                ("n", Type::Uint(Some(2))),
                ("tries", Type::Bits(2)),
            ],
            vec![
                Stmt::Declare {
                    var: VarId(ok),
                    init: Some(E::Const(Value::Bit(false))),
                    loc: at(6),
                },
                Stmt::Declare {
                    var: VarId(n),
                    init: Some(u(0)),
                    loc: at(7),
                },
                Stmt::While {
                    cond: bin(
                        BinaryOp::And,
                        bin(BinaryOp::Eq, var(ok), E::Const(Value::Bit(false))),
                        bin(BinaryOp::Lt, var(n), u(3)),
                    ),
                    body: vec![
                        Stmt::Reset {
                            qubits: Operand::qubit(0, at(9)),
                            loc: at(9),
                        },
                        gate(H, vec![], &[0], 10),
                        measure(0, 1, ok, None, 11),
                        Stmt::Assign {
                            target: LValue {
                                var: VarId(n),
                                index: vec![],
                            },
                            op: Some(BinaryOp::Add),
                            value: u(1),
                            loc: at(12),
                        },
                    ],
                    loc: at(8),
                },
                Stmt::Declare {
                    var: VarId(tries),
                    init: Some(E::Cast(Type::Bits(2), Box::new(var(n)))),
                    loc: at(14),
                },
            ],
        );
        let out = program_outcomes(&p, &[], &OutcomeLimits::default()).expect("runs");
        assert_matches(&out, &expected("rus_count.qasm"), 1e-12);
    }

    /// A subroutine that measures its qubit and returns the bit, called inside a declaration
    /// (tests/qasm3/subroutine_measured.qasm, built by hand): the interpreter is cloned in the
    /// middle of the call, and each copy finishes the declaration with its own result.
    #[test]
    fn a_measured_return_value_branches_the_caller() {
        let (flip, r) = (0, 1);
        let mut p = program(
            2,
            vec![("flip", Type::Bit), ("r", Type::Bit)],
            vec![
                Stmt::Declare {
                    var: VarId(flip),
                    init: Some(E::Call(
                        SubId(0),
                        vec![CallArg::Qubits(Operand::qubit(0, at(10)))],
                        at(10),
                    )),
                    loc: at(10),
                },
                Stmt::If {
                    cond: var(flip),
                    then_body: vec![gate(X, vec![], &[1], 13)],
                    else_body: vec![],
                    loc: at(12),
                },
                measure(1, 1, r, None, 15),
            ],
        );
        // The subroutine's local, declared by its body only.
        let m = VarId(p.vars.len() as u32);
        p.vars.push(Var {
            name: "m".into(),
            ty: Type::Bit,
            kind: VarKind::Mutable,
            creg: None,
            loc: at(6),
        });
        let a = Operand {
            base: QubitBase::Param(0),
            index: None,
            loc: at(6),
        };
        p.subroutines.push(Subroutine {
            name: "coin".into(),
            params: vec![SubParam::Qubits {
                name: "a".into(),
                size: None,
            }],
            ret: Some(Type::Bit),
            body: vec![
                Stmt::Gate {
                    gate: H,
                    params: vec![],
                    qubits: vec![a.clone()],
                    loc: at(6),
                },
                Stmt::Declare {
                    var: m,
                    init: None,
                    loc: at(7),
                },
                Stmt::Measure {
                    qubits: a,
                    target: Some(LValue {
                        var: m,
                        index: vec![],
                    }),
                    loc: at(7),
                },
                Stmt::Return {
                    value: Some(E::Var(m)),
                    loc: at(7),
                },
            ],
            loc: at(5),
        });
        let out = program_outcomes(&p, &[], &OutcomeLimits::default()).expect("runs");
        assert_matches(&out, &expected("subroutine_measured.qasm"), 1e-12);
    }

    /// A reset in the middle of a Bell pair: the reset qubit's two outcomes are followed as two
    /// quantum branches with one classical state, and merge when their bits agree.
    #[test]
    fn reset_branches_the_state_not_the_bits() {
        let c = 0;
        let p = program(
            2,
            vec![("c", Type::Bits(2))],
            vec![
                gate(H, vec![], &[0], 2),
                gate(CX, vec![], &[0, 1], 3),
                Stmt::Reset {
                    qubits: Operand::qubit(0, at(4)),
                    loc: at(4),
                },
                measure(0, 2, c, None, 5),
            ],
        );
        let out = program_outcomes(&p, &[], &OutcomeLimits::default()).expect("runs");
        // c[0] reads the reset qubit (always 0), c[1] its former partner (0 or 1).
        assert_matches(&out, &[("00".into(), 0.5), ("10".into(), 0.5)], 1e-12);
    }

    /// A gate the table does not have is refused with an error, not a panic.
    #[test]
    fn an_unknown_gate_is_an_error() {
        let p = program(1, vec![], vec![gate(GateId(40), vec![], &[0], 2)]);
        let e = program_outcomes(&p, &[], &OutcomeLimits::default()).expect_err("no gate 40");
        assert!(e.to_string().contains("40"), "{e}");
    }

    /// The steps of all branches count against one bound: eight branches of a 100-iteration
    /// classical loop each pass 500 steps in all, though each alone stays within it.
    #[test]
    fn steps_are_bounded_over_all_branches() {
        let (c, k) = (0, 1);
        let body = |superpose: bool| {
            let mut body = Vec::new();
            if superpose {
                body.extend((0..3).map(|q| gate(H, vec![], &[q], 2)));
            }
            body.extend([
                measure(0, 3, c, None, 3),
                Stmt::Declare {
                    var: VarId(k),
                    init: Some(int(0)),
                    loc: at(4),
                },
                Stmt::While {
                    cond: bin(BinaryOp::Lt, var(k), int(100)),
                    body: vec![Stmt::Assign {
                        target: LValue {
                            var: VarId(k),
                            index: vec![],
                        },
                        op: Some(BinaryOp::Add),
                        value: int(1),
                        loc: at(6),
                    }],
                    loc: at(5),
                },
            ]);
            program(3, vec![("c", Type::Bits(3)), ("k", Type::Int(None))], body)
        };
        let limits = OutcomeLimits::default();
        // Without the superposition, one branch: within the bound.
        let one = outcomes_within(&body(false), &[], &limits, 500).expect("one branch");
        assert_eq!(one.len(), 1);
        let p = body(true);
        let all = outcomes_within(&p, &[], &limits, 1_000_000).expect("within");
        assert_eq!(all.len(), 8);
        assert!(all.iter().all(|o| (o.probability - 0.125).abs() < 1e-12));
        assert_eq!(
            outcomes_within(&p, &[], &limits, 500),
            Err(StateVectorError::TooManySteps(500))
        );
    }

    /// An interpreter error met in one measurement branch only (a division by a measured bit
    /// that is 0) stops the simulation with the error, naming its line and column.
    #[test]
    fn an_error_in_one_branch_names_its_place() {
        let (c, z) = (0, 1);
        let p = program(
            1,
            vec![("c", Type::Bit), ("z", Type::Int(None))],
            vec![
                gate(H, vec![], &[0], 5),
                measure(0, 1, c, None, 6),
                Stmt::Declare {
                    var: VarId(z),
                    init: Some(bin(
                        BinaryOp::Div,
                        int(1),
                        E::Cast(Type::Int(None), Box::new(var(c))),
                    )),
                    loc: at(7),
                },
            ],
        );
        let e = program_outcomes(&p, &[], &OutcomeLimits::default()).expect_err("1 / 0");
        let StateVectorError::Exec(inner) = &e else {
            panic!("{e:?}");
        };
        assert_eq!(inner.loc, Some(at(7)), "{e}");
        assert!(e.to_string().contains("line 7"), "{e}");
        assert!(e.to_string().contains("division by zero"), "{e}");
    }
}
