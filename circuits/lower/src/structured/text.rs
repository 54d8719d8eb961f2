//! A lowered structure as OpenQASM 3: counted loops as `for uint r in [0:N-1] { … }`, a
//! strided loop's bits as `rec[8 + 8*r]` (in the register of the first iteration's bit), and
//! `while (cond) { … }`.

use std::fmt::Write;

use eqisa_ir::circuit::{CondExpr, Register};

use super::pieces::{LoweredStructure, Piece};
use crate::program::{NativeOp, QasmWriter, TimedOp, qasm3_condition};

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

    /// One operation that measures or is conditional, its bits moved with the loops.
    fn op(&self, s: &mut String, op: &TimedOp, conditions: &[CondExpr]) {
        QasmWriter::qasm3(self.qregs, self.cregs, conditions)
            .op_with_bits(s, op, &|b| self.clbit(b));
    }

    /// A condition, fully parenthesised, its bits moved with the loops.
    fn cond(&self, c: &CondExpr) -> String {
        qasm3_condition(c, self.cregs, &|b| self.clbit(b))
    }
}
