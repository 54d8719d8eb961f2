//! From the parsed instructions to the structured program of `eqisa-ir`: one quantum register
//! `q`, one classical register `rec` holding the whole measurement record, `REPEAT` as `for`
//! loops whose record indices are affine in the loop variables, feedback as `if` on record
//! bits, `TICK` as a barrier over `q`. Built without recursion, so any nesting the parser
//! accepts is safe.

use std::collections::HashMap;
use std::sync::Arc;

use eqisa_ir::circuit::{Circuit, GateEntry, GateId, GateKind, Register, Version};
use eqisa_ir::gates::StandardGate;
use eqisa_ir::program::expr::{BinaryOp, ClassicalExpr, Index, Operand, QubitBase};
use eqisa_ir::program::ids::{Loc, VarId};
use eqisa_ir::program::stmt::{Block, Iteration, LValue, Program, Stmt, Var, VarKind};
use eqisa_ir::program::types::Type;
use eqisa_ir::program::value::Value;

use crate::error::StimError;
use crate::gates::{Feedback, GateFact, Kind, Step, StepOp, steps};
use crate::lex::{Pauli, Target, TargetKind};
use crate::parse::{Item, Parsed};

struct Frame {
    body: Block,
    var: VarId,
    count: u64,
    stride: u64,
    start: u64,
    loc: Loc,
}

struct Builder<'f> {
    file: &'f str,
    circuit: Circuit,
    vars: Vec<Var>,
    gate_ids: HashMap<StandardGate, GateId>,
    steps: HashMap<&'static str, Vec<Step>>,
    /// The record position of the next measurement in the first iteration of every loop.
    pos: u64,
    /// Loop variables with the measurements one of their iterations makes.
    terms: Vec<(VarId, u64)>,
    rec: VarId,
    num_qubits: u32,
}

/// Build the program of `parsed` (read from `file`).
pub fn build(parsed: &Parsed, file: &str) -> Result<Program, StimError> {
    let mut circuit = Circuit::new(Version::Qasm3);
    let n = parsed.num_qubits;
    circuit.qregs.push(Register {
        name: "q".to_string(),
        start: 0,
        size: n,
    });
    circuit.num_qubits = n;
    let m = parsed.num_measurements;
    let mut vars = Vec::new();
    let top = Loc {
        file: 0,
        line: 1,
        col: 1,
    };
    let mut body: Block = Vec::new();
    if m > 0 {
        circuit.cregs.push(Register {
            name: "rec".to_string(),
            start: 0,
            size: m,
        });
        circuit.num_clbits = m;
        vars.push(Var {
            name: "rec".to_string(),
            ty: Type::Bits(m),
            kind: VarKind::Mutable,
            creg: Some(0),
            loc: top,
        });
        body.push(Stmt::Declare {
            var: VarId(0),
            init: None,
            loc: top,
        });
    }
    let mut b = Builder {
        file,
        circuit,
        vars,
        gate_ids: HashMap::new(),
        steps: HashMap::new(),
        pos: 0,
        terms: Vec::new(),
        rec: VarId(0),
        num_qubits: n,
    };
    let mut stack: Vec<Frame> = Vec::new();
    for item in &parsed.items {
        match item {
            Item::Repeat {
                count,
                stride,
                line,
                col,
            } => {
                let loc = Loc {
                    file: 0,
                    line: *line,
                    col: *col,
                };
                let var = VarId(b.vars.len() as u32);
                b.vars.push(Var {
                    name: format!("repeat_{}", stack.len()),
                    ty: Type::Int(None),
                    kind: VarKind::Loop,
                    creg: None,
                    loc,
                });
                if *stride > 0 {
                    b.terms.push((var, *stride));
                }
                stack.push(Frame {
                    body: std::mem::take(&mut body),
                    var,
                    count: *count,
                    stride: *stride,
                    start: b.pos,
                    loc,
                });
            }
            Item::End => {
                let Some(f) = stack.pop() else {
                    return Err(StimError::at(
                        file,
                        0,
                        0,
                        "internal: unmatched end of block",
                    ));
                };
                if f.stride > 0 {
                    b.terms.pop();
                }
                b.pos = f.start + f.stride * f.count;
                let inner = std::mem::replace(&mut body, f.body);
                body.push(Stmt::For {
                    var: f.var,
                    iter: Iteration::Range {
                        start: int(0),
                        step: int(1),
                        stop: int(i128::from(f.count) - 1),
                    },
                    body: inner,
                    loc: f.loc,
                });
            }
            Item::Op {
                gate,
                targets,
                line,
                col,
            } => {
                let loc = Loc {
                    file: 0,
                    line: *line,
                    col: *col,
                };
                b.op(gate, targets, loc, &mut body)?;
            }
        }
    }
    // The circuit carries registers and the gate table; its `ops` stay empty (the body is
    // the program's).
    Ok(Program {
        circuit: b.circuit,
        files: vec![Arc::from(file)],
        vars: b.vars,
        subroutines: Vec::new(),
        externs: Vec::new(),
        body,
        physical: false,
        skipped_calibration: None,
    })
}

fn int(v: i128) -> ClassicalExpr {
    ClassicalExpr::Const(Value::Int(v))
}

impl Builder<'_> {
    /// The record index `at` (a position in the first iteration of every enclosing loop), as an
    /// expression in the loop variables: `at + Σ stride·var`, summed as a balanced tree so that
    /// its depth grows with the logarithm of the nesting (the evaluator bounds depth).
    fn index(&self, at: u64) -> ClassicalExpr {
        let mut terms: Vec<ClassicalExpr> = vec![int(i128::from(at))];
        for &(v, stride) in &self.terms {
            terms.push(ClassicalExpr::Binary(
                BinaryOp::Mul,
                Box::new(int(i128::from(stride))),
                Box::new(ClassicalExpr::Var(v)),
            ));
        }
        while terms.len() > 1 {
            let mut next = Vec::with_capacity(terms.len().div_ceil(2));
            let mut it = terms.into_iter();
            while let Some(a) = it.next() {
                next.push(match it.next() {
                    Some(b) => ClassicalExpr::Binary(BinaryOp::Add, Box::new(a), Box::new(b)),
                    None => a,
                });
            }
            terms = next;
        }
        terms.pop().unwrap_or_else(|| int(0))
    }

    fn rec_bit(&self, at: u64) -> LValue {
        LValue {
            var: self.rec,
            index: vec![Index::Single(self.index(at))],
        }
    }

    fn gate_id(&mut self, g: StandardGate) -> GateId {
        if let Some(id) = self.gate_ids.get(&g) {
            return *id;
        }
        let id = GateId(self.circuit.gates.len() as u32);
        self.circuit.gates.push(GateEntry {
            name: g.name().to_string(),
            num_qubits: g.num_qubits() as u32,
            num_params: g.num_params() as u32,
            kind: GateKind::Standard(g),
            first_use: 0,
        });
        self.gate_ids.insert(g, id);
        id
    }

    fn gate(&mut self, g: StandardGate, params: &[f64], qubits: &[u32], loc: Loc, out: &mut Block) {
        let id = self.gate_id(g);
        let entry = &mut self.circuit.gates[id.0 as usize];
        if entry.first_use == 0 {
            entry.first_use = loc.line;
        }
        out.push(Stmt::Gate {
            gate: id,
            params: params
                .iter()
                .map(|&p| ClassicalExpr::Const(Value::Float(p)))
                .collect(),
            qubits: qubits.iter().map(|&q| Operand::qubit(q, loc)).collect(),
            loc,
        });
    }

    fn measure(&mut self, q: u32, inverted: bool, loc: Loc, out: &mut Block) {
        // `!`: flipping the qubit before the measurement and back after it records the
        // inverted outcome and leaves the qubit as an ordinary measurement would.
        if inverted {
            self.gate(StandardGate::X, &[], &[q], loc, out);
        }
        out.push(Stmt::Measure {
            qubits: Operand::qubit(q, loc),
            target: Some(self.rec_bit(self.pos)),
            loc,
        });
        self.pos += 1;
        if inverted {
            self.gate(StandardGate::X, &[], &[q], loc, out);
        }
    }

    fn body(
        &mut self,
        gate: &'static GateFact,
        body: &'static str,
    ) -> Result<Vec<Step>, StimError> {
        if let Some(s) = self.steps.get(gate.name) {
            return Ok(s.clone());
        }
        let s = steps(body).map_err(|e| {
            StimError::at(
                self.file,
                0,
                0,
                format!("internal: the decomposition of {}: {e}", gate.name),
            )
        })?;
        self.steps.insert(gate.name, s.clone());
        Ok(s)
    }

    fn run(&mut self, steps: &[Step], qubits: &[u32], inverted: bool, loc: Loc, out: &mut Block) {
        for st in steps {
            let qs: Vec<u32> = st.qubits.iter().map(|&j| qubits[j]).collect();
            match &st.op {
                StepOp::Gate(g, p) => self.gate(*g, p, &qs, loc, out),
                StepOp::Measure => self.measure(qs[0], inverted, loc, out),
                StepOp::Reset => out.push(Stmt::Reset {
                    qubits: Operand::qubit(qs[0], loc),
                    loc,
                }),
            }
        }
    }

    fn op(
        &mut self,
        gate: &'static GateFact,
        targets: &[Target],
        loc: Loc,
        out: &mut Block,
    ) -> Result<(), StimError> {
        let num = |t: &Target| match t.kind {
            TargetKind::Number(q) | TargetKind::Pauli(_, q) => q as u32,
            _ => 0,
        };
        match gate.kind {
            Kind::Unitary {
                arity,
                body,
                feedback,
            } => {
                let steps = self.body(gate, body)?;
                for group in targets.chunks(arity as usize) {
                    let rec = group
                        .iter()
                        .position(|t| matches!(t.kind, TargetKind::Rec(_)));
                    if let Some(r) = rec {
                        let TargetKind::Rec(k) = group[r].kind else {
                            continue;
                        };
                        let pauli = match feedback {
                            Feedback::First(p) | Feedback::Second(p) | Feedback::Either(p) => p,
                            Feedback::None => continue,
                        };
                        let q = num(&group[1 - r]);
                        let mut then_body = Vec::new();
                        self.gate(pauli, &[], &[q], loc, &mut then_body);
                        // The parser checked that the lookback stays inside the record.
                        let at = self.pos.checked_sub(k).ok_or_else(|| {
                            StimError::at(
                                self.file,
                                loc.line,
                                group[r].col,
                                "internal: record lookback out of range",
                            )
                        })?;
                        let bit = ClassicalExpr::Index(
                            Box::new(ClassicalExpr::Var(self.rec)),
                            vec![Index::Single(self.index(at))],
                        );
                        out.push(Stmt::If {
                            cond: bit,
                            then_body,
                            else_body: Vec::new(),
                            loc,
                        });
                    } else {
                        let qs: Vec<u32> = group.iter().map(num).collect();
                        self.run(&steps, &qs, false, loc, out);
                    }
                }
            }
            Kind::Collapse { arity, body } => {
                let steps = self.body(gate, body)?;
                for group in targets.chunks(arity as usize) {
                    let qs: Vec<u32> = group.iter().map(num).collect();
                    let inverted = group.iter().fold(false, |a, t| a ^ t.inverted);
                    self.run(&steps, &qs, inverted, loc, out);
                }
            }
            Kind::Mpp | Kind::Spp { .. } => {
                let mut product: Vec<(Pauli, u32)> = Vec::new();
                let mut inverted = false;
                let mut i = 0;
                while i < targets.len() {
                    let t = &targets[i];
                    if let TargetKind::Pauli(p, q) = t.kind {
                        product.push((p, q as u32));
                        inverted ^= t.inverted;
                    }
                    let continues = matches!(
                        targets.get(i + 1),
                        Some(Target {
                            kind: TargetKind::Combiner,
                            ..
                        })
                    );
                    if continues {
                        i += 2;
                        continue;
                    }
                    self.product(gate.kind, &product, inverted, loc, out);
                    product.clear();
                    inverted = false;
                    i += 1;
                }
            }
            Kind::Mpad => {
                for t in targets {
                    let bit = matches!(t.kind, TargetKind::Number(1));
                    out.push(Stmt::Assign {
                        target: self.rec_bit(self.pos),
                        op: None,
                        value: ClassicalExpr::Const(Value::Bit(bit)),
                        loc,
                    });
                    self.pos += 1;
                }
            }
            Kind::Tick => {
                let qubits = if self.num_qubits == 0 {
                    Vec::new()
                } else {
                    vec![Operand {
                        base: QubitBase::Global {
                            start: 0,
                            len: self.num_qubits,
                        },
                        index: None,
                        loc,
                    }]
                };
                out.push(Stmt::Barrier { qubits, loc });
            }
            Kind::Annotation | Kind::Noise | Kind::Heralded | Kind::Repeat => {}
        }
        Ok(())
    }

    /// One Pauli product of `MPP` or `SPP`: each qubit turned to the Z basis, the parity
    /// gathered onto the last qubit with CX, measured there (or rotated by S / S†), and all of
    /// it undone.
    fn product(
        &mut self,
        kind: Kind,
        product: &[(Pauli, u32)],
        inverted: bool,
        loc: Loc,
        out: &mut Block,
    ) {
        let Some(&(_, last)) = product.last() else {
            return;
        };
        for &(p, q) in product {
            match p {
                Pauli::X => self.gate(StandardGate::H, &[], &[q], loc, out),
                Pauli::Y => {
                    self.gate(StandardGate::Sdg, &[], &[q], loc, out);
                    self.gate(StandardGate::H, &[], &[q], loc, out);
                }
                Pauli::Z => {}
            }
        }
        let rest = &product[..product.len() - 1];
        for &(_, q) in rest {
            self.gate(StandardGate::Cx, &[], &[q, last], loc, out);
        }
        match kind {
            Kind::Spp { dag } => {
                let g = if dag ^ inverted {
                    StandardGate::Sdg
                } else {
                    StandardGate::S
                };
                self.gate(g, &[], &[last], loc, out);
            }
            _ => self.measure(last, inverted, loc, out),
        }
        for &(_, q) in rest.iter().rev() {
            self.gate(StandardGate::Cx, &[], &[q, last], loc, out);
        }
        for &(p, q) in product.iter().rev() {
            match p {
                Pauli::X => self.gate(StandardGate::H, &[], &[q], loc, out),
                Pauli::Y => {
                    self.gate(StandardGate::H, &[], &[q], loc, out);
                    self.gate(StandardGate::S, &[], &[q], loc, out);
                }
                Pauli::Z => {}
            }
        }
    }
}
