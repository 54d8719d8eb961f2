//! `eqisa-circuits` owns everything about circuits before they are encoded: the OpenQASM 2 and 3
//! front end ([`qasm`]), the circuit IR ([`ir`]), the standard gate library with exact unitaries
//! ([`gates`], [`matrix`]), circuit statistics ([`stats`]), the unroll pass to standard gates
//! ([`unroll`]) and a state-vector simulator for verification ([`statevector`], [`simulate`]).
//! [`transmon`] simulates a driven Duffing transmon to measure the gate infidelity a pulse
//! reconstruction adds.

pub mod error;
pub mod expr;
pub mod gates;
pub mod ir;
pub mod lower;
pub mod matrix;
pub mod pulse;
pub mod qasm;
pub mod simulate;
pub mod statevector;
pub mod stats;
pub mod synth;
pub mod transmon;
pub mod unroll;

pub use error::{ErrorKind, QasmError, SourcePos};
pub use ir::Circuit;
pub use qasm::{parse_file, parse_reader, parse_str};
