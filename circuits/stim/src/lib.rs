//! `eqisa-stim` owns reading Stim's circuit format (`.stim`): the line reader (`nom`), Stim's
//! gate facts as data, and the build of a structured [`eqisa_ir::program::Program`] whose
//! `REPEAT` blocks stay loops and whose measurement record is one register `rec`.

pub mod build;
pub mod error;
pub mod gates;
pub mod lex;
pub mod load;
pub mod parse;

pub use error::StimError;
pub use load::{StimProgram, control_text, parse_stim, parse_stim_file};
