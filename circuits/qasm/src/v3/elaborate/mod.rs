//! The elaborator: OpenQASM 3 syntax trees to the structured
//! [`Program`](eqisa_ir::program::Program).

mod elaborator;
mod expr;
mod gates;
mod include;
mod power;
mod quantum;
mod registers;
mod scope;
mod stmt;
mod subs;
mod timing;
mod types;

pub use elaborator::Elaborator;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tests_text;
