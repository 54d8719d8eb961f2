//! Classical expressions of a structured program, with names resolved to variables and
//! subroutines.

use super::ids::{Loc, SubId, VarId};
use super::types::Type;
use super::value::Value;

/// A unary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `!x` (logical)
    Not,
    /// `~x` (bitwise)
    BitNot,
}

/// A binary operator of the classical expression language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    /// Integer division truncates toward zero between integers; real division otherwise.
    Div,
    Mod,
    /// `**`
    Pow,
    Shl,
    Shr,
    BitAnd,
    BitOr,
    BitXor,
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A built-in function of OpenQASM 3 (`sin`, …, `popcount`, `rotl`, `real`, `sizeof`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    Sin,
    Cos,
    Tan,
    Arcsin,
    Arccos,
    Arctan,
    Exp,
    Log,
    Sqrt,
    Ceiling,
    Floor,
    /// `mod(a, b)`
    Mod,
    Popcount,
    Rotl,
    Rotr,
    Real,
    Imag,
    /// `sizeof(array, dim)`; dim defaults to 0.
    Sizeof,
}

/// One index applied to a value or an operand: `[i]`, `[a:b]`, `[a:s:b]`, `[{i, j}]`.
#[derive(Clone, Debug, PartialEq)]
pub enum Index {
    Single(ClassicalExpr),
    /// `start:step:stop`, `stop` inclusive as the spec says; a missing bound is the end of the
    /// indexed value, a missing step is 1.
    Range {
        start: Option<ClassicalExpr>,
        step: Option<ClassicalExpr>,
        stop: Option<ClassicalExpr>,
    },
    Set(Vec<ClassicalExpr>),
}

/// A classical expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ClassicalExpr {
    /// A value known at compile time (constants are folded into these).
    Const(Value),
    Var(VarId),
    /// `base[i][j]…`: indexing of bit registers, integers (bit access), arrays.
    Index(Box<ClassicalExpr>, Vec<Index>),
    Unary(UnaryOp, Box<ClassicalExpr>),
    Binary(BinaryOp, Box<ClassicalExpr>, Box<ClassicalExpr>),
    /// An explicit or promoted conversion to `Type`.
    Cast(Type, Box<ClassicalExpr>),
    Builtin(Builtin, Vec<ClassicalExpr>),
    /// A call of a subroutine for its value; qubit arguments are operands.
    Call(SubId, Vec<CallArg>, Loc),
    /// A call of an `extern` function: its value cannot be known here.
    Extern(u32, Vec<ClassicalExpr>, Loc),
}

/// An argument of a subroutine call.
#[derive(Clone, Debug, PartialEq)]
pub enum CallArg {
    Classical(ClassicalExpr),
    Qubits(Operand),
}

/// Where qubits come from: a global range (a register, a slice of one, `$n`), or a qubit
/// parameter of the enclosing subroutine.
#[derive(Clone, Debug, PartialEq)]
pub enum QubitBase {
    /// `len` consecutive global qubits from `start` (a single qubit has `len == 1`).
    Global { start: u32, len: u32 },
    /// The `k`-th qubit parameter of the enclosing subroutine (`qubit q` has length 1,
    /// `qubit[n] r` length n).
    Param(u32),
}

/// A qubit operand: a base, optionally indexed. Without an index the whole base is meant,
/// which broadcasts when its length is above 1 (`h q;` on a register).
#[derive(Clone, Debug, PartialEq)]
pub struct Operand {
    pub base: QubitBase,
    pub index: Option<Index>,
    pub loc: Loc,
}

impl Operand {
    /// One global qubit, known at compile time.
    pub fn qubit(q: u32, loc: Loc) -> Self {
        Operand {
            base: QubitBase::Global { start: q, len: 1 },
            index: None,
            loc,
        }
    }
}
