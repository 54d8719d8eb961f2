//! `eqisa-ir` owns the circuit intermediate representation every other EQISA crate speaks:
//! [`Circuit`] and its operations ([`circuit`]), parameter expressions ([`expr`]), the standard
//! gate library ([`gates`]) with exact unitaries ([`matrix`]), the unroll pass from gate
//! applications with modifiers to standard gates ([`unroll`]) and circuit statistics ([`stats`]); exact integer powers of standard gates ([`power`]).

pub mod circuit;
pub mod expr;
pub mod gates;
pub mod matrix;
pub mod power;
pub mod program;
pub mod stats;
pub mod unroll;

pub use circuit::Circuit;
