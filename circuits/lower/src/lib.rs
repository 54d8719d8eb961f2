//! `eqisa-lower` owns lowering circuits to native targets: exact decomposition to single-qubit unitaries and CNOTs
//! ([`decompose`]), then the target's forms ([`native`], or Clifford+T synthesis in
//! [`clifford_t`]), then, on the native target, rz angles quantised to the precision the fidelity
//! budget allows ([`native::quantise`]), then an ASAP schedule ([`program`]), with the fidelity
//! cost of every approximation accounted for; [`route`] maps a program onto a device's coupling;
//! [`structured`] lowers an OpenQASM 3 program keeping the loops whose iterations are alike;
//! [`stream`] lowers a circuit part by part as it is read.

pub mod clifford_t;
pub mod decompose;
pub mod native;
pub mod program;
pub mod route;
pub mod state;
pub mod stream;
pub mod structured;
pub mod target;
pub mod walk;

mod lowering;
#[cfg(test)]
mod tests;
pub use lowering::{LowerError, LowerOptions, Lowered, lower};
