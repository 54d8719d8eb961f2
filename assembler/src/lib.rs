//! `eqisa-assembler`: NativeProgram + codebook to `.eqb`.

pub mod baselines;
