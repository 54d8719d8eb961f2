//! `eqisa-dictionary`: learning codebooks.

pub mod huffman;
pub mod paper;
pub mod train;
