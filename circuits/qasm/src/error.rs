//! Errors of the OpenQASM front end: every one names the file, the line and column, and the
//! problem.

use std::fmt;
use std::sync::Arc;

/// A place in a source file: 1-based line and column (columns count characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcePos {
    /// The file as the user named it (`<stdin>` for standard input, `<string>` for text).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

impl fmt::Display for SourcePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// `bytes` in MiB when a whole number of them, else in bytes.
fn show_bytes(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// What went wrong at a place in the source.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ErrorKind {
    #[error("syntax error: expected {expected}, found {found}")]
    Syntax { expected: String, found: String },
    #[error("unterminated statement: expected {expected} before the end of the file")]
    Unterminated { expected: String },
    #[error("malformed number '{0}'")]
    MalformedNumber(String),
    #[error("'{0}' is not a quantum register or qubit in this scope")]
    UndefinedQubit(String),
    #[error("'{0}' is not a classical register or bit in this scope")]
    UndefinedClbit(String),
    #[error("'{0}' is not a defined gate")]
    UndefinedGate(String),
    #[error("'{0}' is not a parameter in this scope")]
    UndefinedParameter(String),
    #[error("'{name}' is already defined")]
    Redefinition { name: String },
    #[error("gate '{name}' is already defined ({previous})")]
    GateRedefinition {
        /// The gate's name.
        name: String,
        /// Where it was defined first: "built into OpenQASM 2", "by \"qelib1.inc\" included
        /// at f:2:1", "at f:3:6".
        previous: String,
    },
    #[error("index {index} is out of range for register '{register}' of size {size}")]
    IndexOutOfRange {
        register: String,
        index: u64,
        size: u32,
    },
    #[error("gate '{gate}' acts on {expected} qubit(s) but {found} were given")]
    WrongArity {
        gate: String,
        expected: usize,
        found: usize,
    },
    #[error("gate '{gate}' takes {expected} parameter(s) but {found} were given")]
    WrongParamCount {
        gate: String,
        expected: usize,
        found: usize,
    },
    #[error("duplicate qubits in gate application: qubit {qubit} appears more than once")]
    DuplicateQubit { qubit: String },
    #[error("registers of different sizes in one broadcast application ({first} and {second})")]
    BroadcastSizeMismatch { first: u32, second: u32 },
    #[error("cannot include '{path}': {reason}")]
    Include { path: String, reason: String },
    #[error("includes nested deeper than {0} levels (an include cycle?)")]
    IncludeDepth(usize),
    #[error("expression nested deeper than {0} levels")]
    NestingDepth(usize),
    #[error(
        "a statement (or a line of statements) longer than {}, the limit on text read at once: raise it with --max-file-mb (or EQISA_MAX_FILE_MB)",
        show_bytes(*.limit)
    )]
    StatementTooLong {
        /// The limit, in bytes ([`eqisa_files::limit`]).
        limit: u64,
    },
    #[error(
        "the circuit would hold more than {limit} operations, operands and angles (one per 4 bytes of the limit on text read at once): raise it with --max-file-mb (or EQISA_MAX_FILE_MB)"
    )]
    CircuitTooLarge {
        /// The budget, in entries ([`crate::ir_budget`]).
        limit: u64,
    },
    #[error("{what} is too large (limit {limit})")]
    TooLarge { what: String, limit: u64 },
    #[error("parameter evaluates to {0}, which is not a finite number")]
    NonFinite(f64),
    #[error("{0}")]
    Invalid(String),
    #[error("unsupported OpenQASM feature: {0}")]
    Unsupported(String),
    #[error("OpenQASM version {0} is not supported (2.0 and 3.x are)")]
    Version(String),
    /// The structured program has no flat circuit (real-time control flow, too large, …).
    #[error("{0}")]
    Flatten(eqisa_ir::program::flatten::FlattenErrorKind),
}

/// An error from loading a circuit.
#[derive(Debug, thiserror::Error)]
pub enum QasmError {
    /// Something wrong in the text, at a known place.
    #[error("{pos}: {kind}")]
    At { pos: SourcePos, kind: ErrorKind },
    /// The input has no byte at all (an empty file, or nothing on standard input).
    #[error("{file}: empty input: no OpenQASM program")]
    Empty { file: Arc<str> },
    /// The values given for the program's `input` variables do not fit it.
    #[error("{file}: {message}")]
    Input { file: Arc<str>, message: String },
    /// The file (or stdin) could not be read.
    #[error("{file}: {source}")]
    Io {
        file: Arc<str>,
        #[source]
        source: std::io::Error,
    },
}

impl QasmError {
    /// The place of the error, where it has one.
    pub fn pos(&self) -> Option<&SourcePos> {
        match self {
            QasmError::At { pos, .. } => Some(pos),
            QasmError::Io { .. } | QasmError::Empty { .. } | QasmError::Input { .. } => None,
        }
    }

    /// What went wrong, where it is a problem in the text.
    pub fn kind(&self) -> Option<&ErrorKind> {
        match self {
            QasmError::At { kind, .. } => Some(kind),
            QasmError::Io { .. } | QasmError::Empty { .. } | QasmError::Input { .. } => None,
        }
    }
}
