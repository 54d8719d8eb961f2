//! `eqisa-dictionary`: learning codebooks.
//!
//! - [`atoms`]: sparse waveform atoms (K-SVD/MOD training, batch OMP coding), real or complex.
//! - [`pulse_atoms`]: pulse-atom codebooks learned from devices' calibrated waveforms.

pub mod atoms;
pub mod pulse_atoms;
pub mod train;
