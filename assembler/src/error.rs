//! [`AssembleError`]: why a program cannot be assembled, or a decoded one rebuilt.

/// Why a program cannot be assembled (or a decoded one rebuilt).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AssembleError {
    /// An operation the instruction set cannot carry.
    #[error("operation {index}: {what}")]
    Unencodable {
        /// Index of the operation in the program.
        index: usize,
        /// What is wrong with it.
        what: &'static str,
    },
    /// The container or coder refused.
    #[error(transparent)]
    Isa(#[from] eqisa_isa::IsaError),
    /// A structured program's text and control tree do not fit together.
    #[error("structured program: {0}")]
    Structure(&'static str),
    /// The metadata section is malformed.
    #[error("metadata section: {0}")]
    Metadata(&'static str),
    /// A job's circuits do not go together.
    #[error("job circuit '{circuit}': {what}")]
    Job {
        /// The circuit's name.
        circuit: String,
        /// What is wrong.
        what: String,
    },
    /// The temporary file that holds a streamed program's text failed.
    #[error("temporary file for the program's text: {0}")]
    Io(String),
    /// A parameter sweep's points, values or table do not fit together.
    #[error("parameter sweep: {0}")]
    Sweep(&'static str),
}

impl From<std::io::Error> for AssembleError {
    fn from(e: std::io::Error) -> Self {
        AssembleError::Io(e.to_string())
    }
}
