//! `eqisa-baselines` owns everything EQISA is measured against, computed on the same programs
//! and waveforms as EQISA itself:
//!
//! - [`binary`]: the fixed-width binary instruction stream (and the paper's opcode-only count,
//!   and the stream's order-0 entropy);
//! - [`compress`]: the general-purpose compressors over it (bzip2, xz, zstd), with inverses;
//! - [`paper`]: the EQISA paper's pipeline (Solovay–Kitaev words over a Haar-selected
//!   dictionary), lowered with the same walk as our own lowering, and its [`huffman`] stage;
//! - [`dct`]: COMPAQT-style DCT compression of waveforms.

pub mod binary;
pub mod compress;
pub mod dct;
pub mod huffman;
pub mod paper;
