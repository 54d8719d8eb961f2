//! Lowering a structured program with its loops kept: counted `for` loops whose iterations are
//! alike up to a shift of the classical bits they measure into and read (`split.rs` decides),
//! nested at any depth up to [`MAX_KEPT_DEPTH`], and `while` loops on measured bits; each
//! straight run flattened for the first iteration and lowered once (`lower.rs`); what the
//! result executes (`pieces.rs`), its unrolling (`unroll.rs`) and its OpenQASM 3 (`text.rs`).

mod lower;
mod pieces;
mod split;
mod text;
mod unroll;

pub use lower::{StructuredError, lower_structured};
pub use pieces::{LoweredStructure, Piece};
pub use split::MAX_KEPT_DEPTH;
pub use unroll::shifted;
