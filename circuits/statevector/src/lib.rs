//! `eqisa-statevector` owns state-vector simulation, the reference every lowering is checked
//! against: the [`StateVector`] itself ([`state`]) and the simulation of whole circuits
//! ([`circuit`]): the final state of a static circuit, the exact outcome distribution of a dynamic
//! one, and the matrix of a gate application; and the exact outcome distribution of a structured
//! OpenQASM 3 program with real-time control flow ([`program`]).

pub mod circuit;
pub mod program;
pub mod state;

pub use circuit::{OutcomeLimits, StateVectorError, outcomes, outcomes_with, statevector};
pub use program::program_outcomes;
pub use state::StateVector;
