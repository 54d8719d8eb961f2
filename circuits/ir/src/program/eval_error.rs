//! The errors of classical evaluation, shared by evaluation, casts and the interpreter.

use super::ids::{Loc, VarId};
use super::value::Value;

/// Why an expression has no value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}{}", loc_suffix(.loc))]
pub struct EvalError {
    /// Where in the source, when known.
    pub loc: Option<Loc>,
    /// What went wrong.
    pub kind: EvalErrorKind,
}

/// " at line L, column C" (and the file when it is not the main one), or nothing without a place.
pub fn loc_suffix(loc: &Option<Loc>) -> String {
    match loc {
        Some(l) if l.file == 0 => format!(" at line {}, column {}", l.line, l.col),
        Some(l) => format!(" at line {}, column {} of file {}", l.line, l.col, l.file),
        None => String::new(),
    }
}

/// The kinds of [`EvalError`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalErrorKind {
    /// The variable's value is not known here.
    #[error("the value of variable #{} is not known here", .0.0)]
    Unknown(VarId),
    /// An integer division or remainder by zero (or `0 ** -n`).
    #[error("division by zero")]
    DivisionByZero,
    /// An index outside `[-len, len)`.
    #[error("index {index} is out of range for length {len}")]
    IndexOutOfRange { index: i128, len: u64 },
    /// An operation applied to values it is not defined for.
    #[error("{0}")]
    TypeMismatch(String),
    /// A conversion the specification forbids.
    #[error("cannot convert {from} to {to}")]
    InvalidCast { from: String, to: String },
    /// A mathematically undefined operation (a negative shift, NaN to an integer, step 0).
    #[error("{0}")]
    Domain(String),
    /// Durations whose `dt` and `ns` parts cannot be compared or divided without a device.
    #[error("{0}")]
    DurationUnits(String),
    /// An `extern` function's value was needed.
    #[error("{0}")]
    Extern(String),
    /// A value or width beyond what is supported.
    #[error("{0}")]
    TooLarge(String),
    /// The expression nests deeper than [`super::eval::MAX_NESTING`].
    #[error("expression nested deeper than {0} levels")]
    Nesting(u32),
    /// A host's signal that a subroutine call's value is not ready yet: the interpreter runs
    /// the call (which may wait for measurements) and evaluates the expression again.
    #[error("the value of a subroutine call is pending")]
    Pending,
}

impl EvalError {
    /// An error without a place.
    pub fn new(kind: EvalErrorKind) -> Self {
        EvalError { loc: None, kind }
    }

    /// `v`'s value is not known here.
    pub fn unknown(v: VarId) -> Self {
        EvalError::new(EvalErrorKind::Unknown(v))
    }

    /// The same error, placed at `loc` unless it already has a place.
    pub fn at(mut self, loc: Loc) -> Self {
        self.loc.get_or_insert(loc);
        self
    }
}

/// A [`EvalErrorKind::TypeMismatch`] without a place.
pub fn mismatch(msg: impl Into<String>) -> EvalError {
    EvalError::new(EvalErrorKind::TypeMismatch(msg.into()))
}

/// A [`EvalErrorKind::Domain`] error without a place.
pub fn domain(msg: impl Into<String>) -> EvalError {
    EvalError::new(EvalErrorKind::Domain(msg.into()))
}

/// A [`EvalErrorKind::TooLarge`] error without a place.
pub fn too_large(msg: impl Into<String>) -> EvalError {
    EvalError::new(EvalErrorKind::TooLarge(msg.into()))
}

/// A short name of a value's kind, for messages.
pub fn kind_name(v: &Value) -> String {
    match v {
        Value::Bool(_) => "bool".into(),
        Value::Bit(_) => "bit".into(),
        Value::Bits(b) => format!("bit[{}]", b.len()),
        Value::Int(_) => "int".into(),
        Value::Uint(_) => "uint".into(),
        Value::Float(_) => "float".into(),
        Value::Angle(_) => "angle".into(),
        Value::Complex { .. } => "complex".into(),
        Value::Duration { .. } => "duration".into(),
        Value::Array { dims, .. } => format!("array of dimensions {dims:?}"),
    }
}
