//! `eqisa-synth` owns synthesis of single-qubit unitaries into discrete gate sets: the Clifford+T alphabet shared by
//! the synthesisers, exact recognition of Clifford+T rotations, gridsynth (Ross–Selinger, via
//! rsgridsynth) and the Solovay–Kitaev method the EQISA paper uses.

pub mod euler;
pub mod sk;

mod alphabet;
pub mod exact;
pub mod gridsynth;
pub use alphabet::{CliffordT, Word, average_gate_fidelity, process_fidelity};
