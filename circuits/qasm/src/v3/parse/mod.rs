//! The OpenQASM 3 parser: text to the syntax tree of [`crate::v3::ast`], one statement at a
//! time, by recursive descent over the text (no token list, no allocation per token).

mod decl;
mod expr;
mod flow;
mod lex;
mod stmt;
mod types;

#[cfg(test)]
mod tests;

pub use lex::SyntaxError;
pub use stmt::next_statement;
