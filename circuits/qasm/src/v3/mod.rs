//! The OpenQASM 3 front end: the syntax tree ([`ast`]), the parser that builds it, and the
//! elaborator that resolves names, checks types, folds constants and produces the structured
//! [`Program`](eqisa_ir::program::Program).

pub mod ast;
pub mod elaborate;
pub mod parse;
