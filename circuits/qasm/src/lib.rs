//! `eqisa-qasm` owns the OpenQASM 2 and 3 front end: it loads OpenQASM 2 programs into the circuit
//! IR's [`Circuit`](eqisa_ir::Circuit) and OpenQASM 3 programs into the structured
//! [`Program`](eqisa_ir::program::Program) ([`v3`]: parser and elaborator), which [`flatten`]
//! unrolls with its inputs bound; its errors ([`QasmError`]) name the file, line and column of the
//! problem.
//!
//! Files are read in chunks that end at a statement boundary, so a 10 MB program is never held
//! in memory as text and as IR at once.

mod builder;
mod chunker;
pub mod error;
mod flatten;
mod gate_table;
mod included;
mod load;
mod stream;
mod syntax;
pub mod v3;
pub use builder::{MAX_BITS, MAX_INCLUDE_DEPTH, ir_budget};
pub use error::{ErrorKind, QasmError, SourcePos};
pub use flatten::{Parsed, bind, flatten, flatten_with, located};
pub use load::{
    parse_file, parse_program_file, parse_program_reader, parse_program_str, parse_reader,
    parse_str,
};
pub use stream::{Streamed, stream_qasm2};
pub use syntax::{MAX_CONDITION_DIGITS, MAX_NESTING};
