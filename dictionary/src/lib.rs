//! `eqisa-dictionary`: learning codebooks.
//!
//! - [`atoms`]: sparse waveform atoms (K-SVD/MOD training, batch OMP coding), real or complex.

pub mod atoms;
pub mod huffman;
pub mod paper;
pub mod train;
