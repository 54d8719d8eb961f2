//! A lowered structure as OpenQASM 3: counted loops as `for uint r in [0:N-1] { … }`, a
//! strided loop's bits as `rec[8 + 8*r]` (in the register of the first iteration's bit), and
//! `while (cond) { … }`.

use std::fmt::Write;

use eqisa_ir::circuit::{CondExpr, CondOp, Register};
use eqisa_ir::expr::write_number;

use super::pieces::{LoweredStructure, Piece};
use crate::program::{NativeOp, QasmWriter, TimedOp};

impl LoweredStructure {
    /// The program as OpenQASM 3, loops written as loops. Loading it with `eqisa-qasm` and
    /// flattening gives the circuit of [`LoweredStructure::unrolled`].
    pub fn to_qasm3(&self) -> String {
        let mut s = String::new();
        let Some(regs) = self.registers() else {
            return s;
        };
        let ecr = any_ecr(&self.pieces);
        QasmWriter::qasm3(&regs.qregs, &regs.cregs, &[]).header(&mut s, ecr);
        let mut w = Text {
            qregs: &regs.qregs,
            cregs: &regs.cregs,
            loops: Vec::new(),
            out: s,
        };
        w.pieces(&self.pieces);
        w.out
    }
}

fn any_ecr(pieces: &[Piece]) -> bool {
    pieces.iter().any(|p| match p {
        Piece::Straight(l) => l.program.ops.iter().any(|o| o.op == NativeOp::Ecr),
        Piece::Repeat { body, .. } | Piece::While { body, .. } => any_ecr(body),
    })
}

struct Text<'a> {
    qregs: &'a [Register],
    cregs: &'a [Register],
    /// The loops around the text being written: their names, and strides (0: none). A
    /// `while` counts as a loop without a name.
    loops: Vec<(String, u64)>,
    out: String,
}

impl Text<'_> {
    fn indent(&mut self) {
        for _ in 0..self.loops.len() {
            self.out.push_str("  ");
        }
    }

    fn pieces(&mut self, pieces: &[Piece]) {
        for piece in pieces {
            match piece {
                Piece::Straight(l) => {
                    let p = &l.program;
                    let plain = QasmWriter::qasm3(&p.qregs, &p.cregs, &[]);
                    for op in &p.ops {
                        let mut line = String::new();
                        if op.cond.is_none() && !matches!(op.op, NativeOp::Measure { .. }) {
                            plain.op(&mut line, op);
                        } else {
                            self.op(&mut line, op, &p.conditions);
                        }
                        self.indent();
                        self.out.push_str(&line);
                    }
                }
                Piece::Repeat {
                    var,
                    count,
                    clbit_stride,
                    body,
                } => {
                    let name = self.fresh(var);
                    self.indent();
                    let _ = writeln!(
                        self.out,
                        "for uint {name} in [0:{}] {{",
                        count.saturating_sub(1)
                    );
                    self.loops.push((name, *clbit_stride));
                    self.pieces(body);
                    self.loops.pop();
                    self.indent();
                    self.out.push_str("}\n");
                }
                Piece::While { cond, body } => {
                    self.indent();
                    let c = self.cond(cond);
                    let _ = writeln!(self.out, "while ({c}) {{");
                    self.loops.push((String::new(), 0));
                    self.pieces(body);
                    self.loops.pop();
                    self.indent();
                    self.out.push_str("}\n");
                }
            }
        }
    }

    /// A loop variable's name that no loop around it and no register uses.
    fn fresh(&self, var: &str) -> String {
        let taken = |n: &str| {
            self.loops.iter().any(|(x, _)| x == n)
                || self.qregs.iter().chain(self.cregs).any(|r| r.name == n)
        };
        let mut name = var.to_string();
        let mut k = self.loops.len();
        while taken(&name) {
            name = format!("{var}_{k}");
            k += 1;
        }
        name
    }

    /// A classical bit as the loops around it move it: `rec[8 + 8*r]`.
    fn clbit(&self, b: u32) -> String {
        let Some(r) = self
            .cregs
            .iter()
            .find(|r| b >= r.start && b - r.start < r.size)
        else {
            return format!("c[{b}]");
        };
        let mut s = format!("{}[{}", r.name, b - r.start);
        for (name, stride) in &self.loops {
            if *stride > 0 {
                let _ = write!(s, " + {stride}*{name}");
            }
        }
        s.push(']');
        s
    }

    fn qubit(&self, q: u32) -> String {
        self.qregs
            .iter()
            .find(|r| q >= r.start && q - r.start < r.size)
            .map_or_else(
                || format!("q[{q}]"),
                |r| format!("{}[{}]", r.name, q - r.start),
            )
    }

    /// One operation that measures or is conditional.
    fn op(&self, s: &mut String, op: &TimedOp, conditions: &[CondExpr]) {
        let qs: Vec<String> = op.qubits.iter().map(|&q| self.qubit(q)).collect();
        let mut line = String::new();
        match op.op {
            NativeOp::Rz(a) => {
                line.push_str("rz(");
                let _ = write_number(&mut line, a);
                let _ = write!(line, ") {};", qs.join(", "));
            }
            NativeOp::Measure { clbit } => {
                let _ = write!(line, "measure {} -> {};", qs.join(", "), self.clbit(clbit));
            }
            NativeOp::Delay { ns } => {
                let _ = write!(line, "delay[{ns}ns] {};", qs.join(", "));
            }
            other => {
                let _ = write!(line, "{} {};", other.name(), qs.join(", "));
            }
        }
        match op.cond.and_then(|c| conditions.get(c as usize)) {
            Some(c) => {
                let _ = writeln!(s, "if ({}) {{ {line} }}", self.cond(c));
            }
            None => {
                let _ = writeln!(s, "{line}");
            }
        }
    }

    /// A condition, fully parenthesised, its bits moved with the loops.
    fn cond(&self, c: &CondExpr) -> String {
        match c {
            CondExpr::Bit(b) => self.clbit(*b),
            CondExpr::Register(r) => self
                .cregs
                .get(*r as usize)
                .map_or_else(|| "0".into(), |r| r.name.clone()),
            CondExpr::Int(v) => v.to_string(),
            CondExpr::Bool(b) => b.to_string(),
            CondExpr::Not(e) => format!("!({})", self.cond(e)),
            CondExpr::Binary(op, a, b) => {
                let sym = match op {
                    CondOp::Eq => "==",
                    CondOp::Ne => "!=",
                    CondOp::Lt => "<",
                    CondOp::Le => "<=",
                    CondOp::Gt => ">",
                    CondOp::Ge => ">=",
                    CondOp::And => "&&",
                    CondOp::Or => "||",
                    CondOp::BitAnd => "&",
                    CondOp::BitOr => "|",
                    CondOp::Xor => "^",
                };
                format!("({}) {sym} ({})", self.cond(a), self.cond(b))
            }
        }
    }
}
