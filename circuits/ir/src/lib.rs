//! `eqisa-ir` owns the circuit intermediate representation every other EQISA crate speaks:
//! [`Circuit`] and its operations ([`circuit`]), parameter expressions ([`expr`]), the standard
//! gate library ([`gates`]) with exact unitaries ([`matrix`]), the unroll pass from gate
//! applications with modifiers to standard gates ([`unroll`]) and circuit statistics ([`stats`]); exact integer powers of standard gates ([`power`]); and the
//! structured program of OpenQASM 3 ([`program`]): classical types and exact evaluation,
//! statements that keep loops, branches and calls, the flatten pass to a [`Circuit`], an
//! interpreter and structure statistics.

pub mod circuit;
pub mod expr;
pub mod gates;
pub mod matrix;
pub mod power;
pub mod program;
pub mod stats;
pub mod unroll;

pub use circuit::Circuit;
