//! The structured program of OpenQASM 3: classical variables and their types, classical
//! expressions, and statements that keep loops, branches, switches and subroutine calls as
//! structure. [`crate::Circuit`] remains the flat form every later stage consumes; the flatten
//! pass turns a program into one where its control flow is known at compile time.

pub mod convert;
pub mod eval;
pub mod eval_error;
pub mod exec;
pub mod expr;
pub mod flatten;
pub mod flatten_cond;
pub mod flatten_env;
pub mod flatten_flow;
pub mod flatten_ops;
pub mod ids;
pub mod inputs;
pub mod stats;
pub mod stmt;
pub mod types;
pub mod value;
pub mod visit;

pub use stmt::Program;
