//! `eqisa-statevector` owns state-vector simulation, the reference every lowering is checked
//! against: the [`StateVector`] itself ([`state`]) and the simulation of whole circuits
//! ([`circuit`]): the final state of a static circuit, the exact outcome distribution of a dynamic
//! one, and the matrix of a gate application.

pub mod circuit;
pub mod state;

pub use circuit::{OutcomeLimits, StateVectorError, outcomes, outcomes_with, statevector};
pub use state::StateVector;
