//! The bodies of EQISA's fuzz targets, and a deterministic mutation run of them.
//!
//! Each target in [`targets`] is a function of arbitrary bytes that panics when a property
//! fails (a panic, a hang or a disagreement inside the code under test, an error without a
//! place, an edited program that decodes...). Two drivers call them: cargo-fuzz's libFuzzer
//! binaries in `fuzz/` (coverage-guided, long runs by hand) and [`mutation::run`], which CI runs
//! with the ordinary tests: a fixed number of seeded mutations of each target's seeds, the same
//! inputs on every machine.

pub mod chunks;
pub mod circuit;
pub mod edits;
pub mod eqb;
pub mod mutation;
pub mod targets;
