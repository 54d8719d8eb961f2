//! The syntax tree of OpenQASM 3, as written: names unresolved, types unchecked. Every node
//! keeps `at`, the slice of source text where it starts, from which errors compute the line and
//! column (the builder's `Source::pos`).

use eqisa_ir::circuit::{TimeUnit, Wide};

/// A name as written, with where it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Name<'a> {
    pub text: &'a str,
}

/// A type as written (`int[32]`, `array[float[64], 3, n]`, `qubit[4]`). Sizes are expressions:
/// they must be compile-time constants, which the elaborator checks.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeAst<'a> {
    Bit(Option<Box<Expr<'a>>>),
    Bool,
    Int(Option<Box<Expr<'a>>>),
    Uint(Option<Box<Expr<'a>>>),
    Float(Option<Box<Expr<'a>>>),
    Angle(Option<Box<Expr<'a>>>),
    /// `complex` or `complex[float[n]]` (the inner float type's width).
    Complex(Option<Box<Expr<'a>>>),
    Duration,
    Stretch,
    Array {
        elem: Box<TypeAst<'a>>,
        dims: Vec<Expr<'a>>,
    },
    /// `readonly array[T, #dim = n]` / `mutable array[T, …]` in a subroutine signature.
    ArrayRef {
        mutable: bool,
        elem: Box<TypeAst<'a>>,
        /// Either the dimension sizes or, with `#dim = n`, only their number.
        dims: ArrayRefDims<'a>,
    },
}

/// The dimensions of an array reference parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum ArrayRefDims<'a> {
    Sizes(Vec<Expr<'a>>),
    Count(Box<Expr<'a>>),
}

/// Unary operators: `-`, `!`, `~`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOpAst {
    Neg,
    Not,
    BitNot,
}

/// Binary operators, as the grammar's precedence table lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOpAst {
    /// `**` (right-associative, binds tighter than unary minus on its left operand)
    Pow,
    Mul,
    Div,
    Mod,
    Add,
    Sub,
    Shl,
    Shr,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    BitAnd,
    BitXor,
    BitOr,
    And,
    Or,
}

/// An index or slice inside `[...]`.
#[derive(Clone, Debug, PartialEq)]
pub enum IndexAst<'a> {
    /// `[a]`, or several comma-separated in one bracket `[a, b]` (multi-dimensional).
    Items(Vec<IndexItem<'a>>),
    /// `[{a, b, c}]`
    Set(Vec<Expr<'a>>),
}

/// One element of an index: a value or a range `a:b`, `a:s:b`, `:`, `a:`, `:b`.
#[derive(Clone, Debug, PartialEq)]
pub enum IndexItem<'a> {
    Single(Expr<'a>),
    Range(RangeAst<'a>),
}

/// `start:step:stop` with optional parts (the stop is inclusive).
#[derive(Clone, Debug, PartialEq)]
pub struct RangeAst<'a> {
    pub start: Option<Box<Expr<'a>>>,
    pub step: Option<Box<Expr<'a>>>,
    pub stop: Option<Box<Expr<'a>>>,
    pub at: &'a str,
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr<'a> {
    pub kind: ExprKind<'a>,
    pub at: &'a str,
}

/// What an expression is.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind<'a> {
    /// An integer literal (decimal, `0x`, `0o`, `0b`, underscores allowed), exactly.
    Int(Wide),
    Float(f64),
    /// `2.5im`
    Imaginary(f64),
    Bool(bool),
    /// `"0101"`, most significant bit first as written.
    BitString(&'a str),
    /// `100ns`, `2.5us`, `4dt`
    Duration(f64, TimeUnit),
    /// `pi`, `π`, `tau`, `τ`, `euler`, `ℇ`, or any other identifier.
    Name(Name<'a>),
    /// `$3`
    Physical(u32),
    Index(Box<Expr<'a>>, IndexAst<'a>),
    Unary(UnaryOpAst, Box<Expr<'a>>),
    Binary(BinaryOpAst, Box<Expr<'a>>, Box<Expr<'a>>),
    /// `int[8](x)`, `float(x)`
    Cast(TypeAst<'a>, Box<Expr<'a>>),
    /// `f(a, b)`: built-in functions, subroutines and externs alike.
    Call(Name<'a>, Vec<Expr<'a>>),
    /// `durationof({ ... })`
    Durationof(Vec<Stmt<'a>>),
    /// `{a, b, c}` as an array initialiser (nested for more dimensions).
    ArrayLiteral(Vec<Expr<'a>>),
    /// `measure q` where a value is expected (`bit b = measure q;`).
    Measure(Box<Expr<'a>>),
}

/// A gate modifier.
#[derive(Clone, Debug, PartialEq)]
pub enum ModifierAst<'a> {
    Inv,
    Pow(Expr<'a>),
    Ctrl(Option<Expr<'a>>),
    Negctrl(Option<Expr<'a>>),
}

/// What a `for` iterates over.
#[derive(Clone, Debug, PartialEq)]
pub enum ForIter<'a> {
    /// `[a:b]`, `[a:s:b]`
    Range(RangeAst<'a>),
    /// `{a, b}`
    Set(Vec<Expr<'a>>),
    /// An array or `bit[n]` value by name or expression.
    Value(Expr<'a>),
}

/// A formal parameter of `def` or `extern`.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamAst<'a> {
    Classical {
        ty: TypeAst<'a>,
        name: Option<Name<'a>>,
    },
    /// `qubit q`, `qubit[n] q`, or an old-style `qreg q[n]`.
    Qubit {
        size: Option<Expr<'a>>,
        name: Option<Name<'a>>,
    },
}

/// `input`, `output` or `const` before a declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclKind {
    Plain,
    Const,
    Input,
    Output,
}

/// An annotation `@name rest-of-line` attached to the next statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Annotation<'a> {
    pub keyword: &'a str,
    pub content: &'a str,
}

/// A statement with the annotations written before it.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt<'a> {
    pub annotations: Vec<Annotation<'a>>,
    pub kind: StmtKind<'a>,
    pub at: &'a str,
}

/// One `case` of a `switch`.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseAst<'a> {
    pub values: Vec<Expr<'a>>,
    pub body: Vec<Stmt<'a>>,
}

/// What a statement is.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind<'a> {
    /// `OPENQASM 3.0;`: the version text as written.
    Version(&'a str),
    /// `include "file";` (double or single quotes).
    Include(&'a str),
    /// `pragma ...` / `#pragma ...`: the rest of the line.
    Pragma(&'a str),
    /// `defcalgrammar "openpulse";`
    Defcalgrammar(&'a str),
    /// `cal { ... }`: the body's text, not parsed (OpenPulse is a later issue).
    Cal(&'a str),
    /// `defcal name(args) qubits -> ret { ... }`: the name and the body's text, not parsed.
    Defcal {
        name: &'a str,
        body: &'a str,
    },
    /// `qubit q;`, `qubit[n] q;`, `qreg q[n];`
    QubitDecl {
        name: Name<'a>,
        size: Option<Expr<'a>>,
    },
    /// `creg c[n];` (old style) is `ClassicalDecl` of `bit[n]`.
    ClassicalDecl {
        kind: DeclKind,
        ty: TypeAst<'a>,
        name: Name<'a>,
        init: Option<Expr<'a>>,
    },
    /// `let a = q[0:2] ++ r;`: an alias of qubits (the `++` concatenation is `parts`).
    Alias {
        name: Name<'a>,
        parts: Vec<Expr<'a>>,
    },
    GateDef {
        name: Name<'a>,
        params: Vec<Name<'a>>,
        qubits: Vec<Name<'a>>,
        body: Vec<Stmt<'a>>,
    },
    /// OpenQASM 2's `opaque`.
    Opaque {
        name: Name<'a>,
        params: Vec<Name<'a>>,
        qubits: Vec<Name<'a>>,
    },
    Def {
        name: Name<'a>,
        params: Vec<ParamAst<'a>>,
        ret: Option<TypeAst<'a>>,
        body: Vec<Stmt<'a>>,
    },
    Extern {
        name: Name<'a>,
        params: Vec<ParamAst<'a>>,
        ret: Option<TypeAst<'a>>,
    },
    /// `mods @ name(params)[duration] operands;` (also `gphase(θ);` and `U`, `CX`).
    GateCall {
        modifiers: Vec<ModifierAst<'a>>,
        name: Name<'a>,
        params: Vec<Expr<'a>>,
        duration: Option<Expr<'a>>,
        operands: Vec<Expr<'a>>,
    },
    /// `measure q;`, `measure q -> c;`, `c = measure q;` (target `Some`).
    Measure {
        qubits: Expr<'a>,
        target: Option<Expr<'a>>,
    },
    Reset(Expr<'a>),
    /// `barrier;` has no operands.
    Barrier(Vec<Expr<'a>>),
    Delay {
        duration: Expr<'a>,
        operands: Vec<Expr<'a>>,
    },
    /// `target = value`, `target += value`, …: `op` is the compound operator.
    Assign {
        target: Expr<'a>,
        op: Option<BinaryOpAst>,
        value: Expr<'a>,
    },
    /// An expression statement (a subroutine call for its effect).
    Expr(Expr<'a>),
    If {
        cond: Expr<'a>,
        then_body: Vec<Stmt<'a>>,
        else_body: Option<Vec<Stmt<'a>>>,
    },
    For {
        ty: Option<TypeAst<'a>>,
        var: Name<'a>,
        iter: ForIter<'a>,
        body: Vec<Stmt<'a>>,
    },
    While {
        cond: Expr<'a>,
        body: Vec<Stmt<'a>>,
    },
    Switch {
        target: Expr<'a>,
        cases: Vec<CaseAst<'a>>,
        default: Option<Vec<Stmt<'a>>>,
    },
    Break,
    Continue,
    End,
    Return(Option<Expr<'a>>),
    Box {
        duration: Option<Expr<'a>>,
        body: Vec<Stmt<'a>>,
    },
    /// `{ ... }` as a statement: a scope.
    Block(Vec<Stmt<'a>>),
    /// `output` of an old-style register etc. is a `ClassicalDecl`; `input angle[16] x;` too.
    /// `nop` and other empty statements (a lone `;`) parse to this.
    Empty,
}
