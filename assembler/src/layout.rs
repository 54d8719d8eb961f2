//! The metadata section: register names and condition expressions, which the decoder passes
//! through untouched and which are needed only to print a decoded program as OpenQASM.
//!
//! Format (all integers LEB128): register counts and, per register, name length, UTF-8 name,
//! start, size (quantum registers first); then the condition count and each condition as a
//! prefix-order tree (tag byte, then the node's fields; integers as decimal text so any width
//! survives).

use eqisa_ir::circuit::{CondExpr, CondOp, Register, Wide};
use eqisa_isa::varint::{read_uvarint, write_uvarint};

use crate::error::AssembleError;

/// Registers and conditions of a program.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Quantum registers.
    pub qregs: Vec<Register>,
    /// Classical registers.
    pub cregs: Vec<Register>,
    /// Conditions of conditional operations.
    pub conditions: Vec<CondExpr>,
}

const OPS: [CondOp; 11] = [
    CondOp::Eq,
    CondOp::Ne,
    CondOp::Lt,
    CondOp::Le,
    CondOp::Gt,
    CondOp::Ge,
    CondOp::And,
    CondOp::Or,
    CondOp::BitAnd,
    CondOp::BitOr,
    CondOp::Xor,
];

/// Deepest condition tree accepted (guards the recursive parser against hostile input).
const MAX_DEPTH: u32 = 256;

fn put_str(out: &mut Vec<u8>, s: &str) {
    write_uvarint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_regs(out: &mut Vec<u8>, regs: &[Register]) {
    write_uvarint(out, regs.len() as u64);
    for r in regs {
        put_str(out, &r.name);
        write_uvarint(out, u64::from(r.start));
        write_uvarint(out, u64::from(r.size));
    }
}

fn put_cond(out: &mut Vec<u8>, c: &CondExpr) {
    match c {
        CondExpr::Bit(b) => {
            out.push(0);
            write_uvarint(out, u64::from(*b));
        }
        CondExpr::Register(r) => {
            out.push(1);
            write_uvarint(out, u64::from(*r));
        }
        CondExpr::Int(w) => {
            out.push(2);
            put_str(out, &w.to_string());
        }
        CondExpr::Bool(b) => out.push(3 + u8::from(*b)),
        CondExpr::Not(e) => {
            out.push(5);
            put_cond(out, e);
        }
        CondExpr::Binary(op, a, b) => {
            out.push(6 + OPS.iter().position(|o| o == op).unwrap_or(0) as u8);
            put_cond(out, a);
            put_cond(out, b);
        }
    }
}

impl Layout {
    /// Serialise.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_regs(&mut out, &self.qregs);
        put_regs(&mut out, &self.cregs);
        write_uvarint(&mut out, self.conditions.len() as u64);
        for c in &self.conditions {
            put_cond(&mut out, c);
        }
        out
    }

    /// Parse (the section's CRC has been checked, so errors mean a writer bug or tampering).
    pub fn parse(bytes: &[u8]) -> Result<Layout, AssembleError> {
        let mut r = Reader { bytes, pos: 0 };
        let qregs = r.regs()?;
        let cregs = r.regs()?;
        let n = r.uint()?;
        let mut conditions = Vec::new();
        for _ in 0..n {
            conditions.push(r.cond(0)?);
        }
        if r.pos != bytes.len() {
            return Err(AssembleError::Metadata("trailing bytes"));
        }
        Ok(Layout {
            qregs,
            cregs,
            conditions,
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn uint(&mut self) -> Result<u64, AssembleError> {
        let (v, n) = read_uvarint(self.bytes.get(self.pos..).unwrap_or(&[]))
            .map_err(|_| AssembleError::Metadata("bad integer"))?;
        self.pos += n;
        Ok(v)
    }

    fn u32(&mut self) -> Result<u32, AssembleError> {
        u32::try_from(self.uint()?).map_err(|_| AssembleError::Metadata("integer too large"))
    }

    fn string(&mut self) -> Result<String, AssembleError> {
        let n = self.uint()? as usize;
        let end = self.pos.saturating_add(n);
        let s = self
            .bytes
            .get(self.pos..end)
            .ok_or(AssembleError::Metadata("string past the end"))?;
        self.pos = end;
        String::from_utf8(s.to_vec()).map_err(|_| AssembleError::Metadata("name is not UTF-8"))
    }

    fn regs(&mut self) -> Result<Vec<Register>, AssembleError> {
        let n = self.uint()?;
        if n > self.bytes.len() as u64 {
            return Err(AssembleError::Metadata("register count past the end"));
        }
        (0..n)
            .map(|_| {
                Ok(Register {
                    name: self.string()?,
                    start: self.u32()?,
                    size: self.u32()?,
                })
            })
            .collect()
    }

    fn cond(&mut self, depth: u32) -> Result<CondExpr, AssembleError> {
        if depth > MAX_DEPTH {
            return Err(AssembleError::Metadata("condition nested too deeply"));
        }
        let tag = *self
            .bytes
            .get(self.pos)
            .ok_or(AssembleError::Metadata("condition past the end"))?;
        self.pos += 1;
        Ok(match tag {
            0 => CondExpr::Bit(self.u32()?),
            1 => CondExpr::Register(self.u32()?),
            2 => {
                let s = self.string()?;
                CondExpr::Int(
                    Wide::from_decimal(&s).ok_or(AssembleError::Metadata("bad integer literal"))?,
                )
            }
            3 => CondExpr::Bool(false),
            4 => CondExpr::Bool(true),
            5 => CondExpr::Not(Box::new(self.cond(depth + 1)?)),
            t => {
                let op = *OPS
                    .get(usize::from(t) - 6)
                    .ok_or(AssembleError::Metadata("unknown condition operator"))?;
                let a = self.cond(depth + 1)?;
                let b = self.cond(depth + 1)?;
                CondExpr::Binary(op, Box::new(a), Box::new(b))
            }
        })
    }
}
