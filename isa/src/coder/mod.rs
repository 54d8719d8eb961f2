//! Range coding, shared by both ends: every model here is written once, generic over [`Coder`].
//!
//! - `base`: the [`Coder`] trait, binary probabilities and their single adaptation rule, and the
//!   prior slots' log-weights;
//! - `cdf`: the adaptive multi-symbol distribution [`Cdf`] and the decoder's lane search;
//! - `binary`: the binary range coder ([`RangeEncoder`], [`RangeDecoder`]) of the pulse section;
//! - `symbol`: the multi-symbol range coder ([`SymbolEncoder`], [`SymbolDecoder`]) of the
//!   instruction stream;
//! - `counter`: [`Counter`], a training coder that counts instead of coding.
//!
//! Dependencies point one way: `cdf` needs nothing, `base` needs `cdf`, the coders need both.

mod base;
mod binary;
mod cdf;
mod counter;
mod symbol;

pub use base::{
    Coder, PROB_BITS, PROB_HALF, PROB_MAX, PROB_MIN, PROB_ONE, log_of_ratio, prob_from_counts,
    symbol_by_bits, weight_of_log,
};
pub use binary::{DecoderState, RangeDecoder, RangeEncoder};
pub use cdf::{CDF_BITS, Cdf, LANES, RATE};
pub use counter::Counter;
pub use symbol::{SymbolDecoder, SymbolDecoderState, SymbolEncoder};
