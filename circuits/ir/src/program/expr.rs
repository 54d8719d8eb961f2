//! Classical expressions of a structured program, with names resolved to variables and
//! subroutines.

use super::stmt::{Loc, SubId, VarId};
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
    Qubits(super::stmt::Operand),
}
