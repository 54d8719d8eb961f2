//! Lowering circuits to native targets: exact decomposition to single-qubit unitaries and CNOTs
//! ([`decompose`]), then per-target synthesis and scheduling.

pub mod decompose;

#[cfg(test)]
mod tests;
