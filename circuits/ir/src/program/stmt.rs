//! Statements and the program: structure (loops, branches, switches, calls) kept as written,
//! names resolved, compile-time constants folded.

use std::sync::Arc;

use super::expr::{ClassicalExpr, Index, Operand};
use super::ids::{Loc, VarId};
use super::types::Type;
use crate::circuit::{Circuit, GateId};

/// How a variable may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarKind {
    /// A `const`: its value is folded wherever it is used.
    Const,
    /// An ordinary variable (including `bit`/`bit[n]` registers).
    Mutable,
    /// `input`: its value is given at assemble time.
    Input,
    /// `output`: written by the program, reported after it runs.
    Output,
    /// The variable of a `for` loop.
    Loop,
    /// A classical parameter of a subroutine.
    Param,
}

/// A classical variable.
#[derive(Clone, Debug, PartialEq)]
pub struct Var {
    pub name: String,
    pub ty: Type,
    pub kind: VarKind,
    /// For a `bit` or `bit[n]` declared at global scope (or an OpenQASM 2 style `creg`), the
    /// index of its register in [`Circuit::cregs`].
    pub creg: Option<u32>,
    pub loc: Loc,
}

/// Where an assignment or measurement stores: a variable, optionally indexed (`c[0]`,
/// `a[i][j]`, `c[0:3]`).
#[derive(Clone, Debug, PartialEq)]
pub struct LValue {
    pub var: VarId,
    pub index: Vec<Index>,
}

/// What a `for` loop iterates over.
#[derive(Clone, Debug, PartialEq)]
pub enum Iteration {
    /// `[start:step:stop]`, `stop` inclusive.
    Range {
        start: ClassicalExpr,
        step: ClassicalExpr,
        stop: ClassicalExpr,
    },
    /// `{a, b, c}`
    Set(Vec<ClassicalExpr>),
    /// The elements of an array (or the bits of a `bit[n]`) value.
    Values(ClassicalExpr),
}

/// A block of statements.
pub type Block = Vec<Stmt>;

/// One `case` of a `switch`: the values it matches and its body.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub values: Vec<ClassicalExpr>,
    pub body: Block,
}

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// A gate application; broadcasts over operands longer than one qubit.
    Gate {
        gate: GateId,
        params: Vec<ClassicalExpr>,
        qubits: Vec<Operand>,
        loc: Loc,
    },
    /// `measure q`, its result stored in `target` (broadcast over registers element-wise).
    Measure {
        qubits: Operand,
        target: Option<LValue>,
        loc: Loc,
    },
    Reset {
        qubits: Operand,
        loc: Loc,
    },
    /// `barrier` over the operands (empty: every qubit).
    Barrier {
        qubits: Vec<Operand>,
        loc: Loc,
    },
    /// `delay[d] q…` (empty: every qubit); `d` is a duration-valued expression.
    Delay {
        duration: ClassicalExpr,
        qubits: Vec<Operand>,
        loc: Loc,
    },
    /// A declaration: the variable is (re)initialised here, to `init` or to the zero of its
    /// type (a declaration inside a loop body starts afresh each iteration).
    Declare {
        var: VarId,
        init: Option<ClassicalExpr>,
        loc: Loc,
    },
    /// `target = value`, or `target op= value` (`op` is `Some`).
    Assign {
        target: LValue,
        op: Option<super::expr::BinaryOp>,
        value: ClassicalExpr,
        loc: Loc,
    },
    /// A subroutine called for its effect, or an expression statement.
    Expr {
        value: ClassicalExpr,
        loc: Loc,
    },
    If {
        cond: ClassicalExpr,
        then_body: Block,
        else_body: Block,
        loc: Loc,
    },
    For {
        var: VarId,
        iter: Iteration,
        body: Block,
        loc: Loc,
    },
    While {
        cond: ClassicalExpr,
        body: Block,
        loc: Loc,
    },
    Switch {
        target: ClassicalExpr,
        cases: Vec<Case>,
        default: Option<Block>,
        loc: Loc,
    },
    Break {
        loc: Loc,
    },
    Continue {
        loc: Loc,
    },
    /// `end`: the program stops.
    End {
        loc: Loc,
    },
    /// `return` from a subroutine, with its value.
    Return {
        value: Option<ClassicalExpr>,
        loc: Loc,
    },
    /// `box[d] { … }`: a timing scope.
    Box {
        duration: Option<ClassicalExpr>,
        body: Block,
        loc: Loc,
    },
}

/// A parameter of a subroutine.
#[derive(Clone, Debug, PartialEq)]
pub enum SubParam {
    /// A classical parameter, bound to this variable for the call.
    Classical(VarId),
    /// `qubit` (`size: None`) or `qubit[n]`; inside the body, [`QubitBase::Param`](super::expr::QubitBase::Param) names it
    /// by its position among the qubit parameters.
    Qubits { name: String, size: Option<u32> },
}

/// A `def` subroutine.
#[derive(Clone, Debug, PartialEq)]
pub struct Subroutine {
    pub name: String,
    pub params: Vec<SubParam>,
    pub ret: Option<Type>,
    pub body: Block,
    pub loc: Loc,
}

/// An `extern` declaration: a signature without a body.
#[derive(Clone, Debug, PartialEq)]
pub struct Extern {
    pub name: String,
    pub params: Vec<Type>,
    pub ret: Option<Type>,
    pub loc: Loc,
}

/// A structured OpenQASM 3 program.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// Registers (qubits, and the `bit` registers of [`Var::creg`]), the gate table and the
    /// language version; its `ops` are empty: the body is [`Program::body`].
    pub circuit: Circuit,
    /// Source files; [`Loc::file`] indexes this (0 is the main file, then includes).
    pub files: Vec<Arc<str>>,
    pub vars: Vec<Var>,
    pub subroutines: Vec<Subroutine>,
    pub externs: Vec<Extern>,
    pub body: Block,
    /// True when the program names physical qubits (`$n`): its qubits are then the device's,
    /// `$n` being global qubit n.
    pub physical: bool,
    /// Whether the program declared a `defcalgrammar`/`cal`/`defcal` that was skipped, with
    /// where the first one is, so that tools can say pulse-level content was ignored.
    pub skipped_calibration: Option<Loc>,
}
