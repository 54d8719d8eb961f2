//! Why a firmware simulation could not run.

use eqisa_isa::IsaError;

/// Why a firmware simulation could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FirmwareError {
    /// A parameter outside its range.
    #[error("simulation parameter {name} = {value}: {why}")]
    Param {
        /// The [`FirmwareParams`](crate::params::FirmwareParams) field.
        name: &'static str,
        /// Its value.
        value: f64,
        /// What it must be.
        why: &'static str,
    },
    /// The `dt` asked for is not the one the program records (the device's sample period it
    /// was assembled for).
    #[error(
        "dt_ns = {given} disagrees with the program's recorded dt of {recorded} ns (the device it was assembled for); leave --dt-ns out to use the recorded one, or assemble the program for that device"
    )]
    DtMismatch {
        /// The parameter's value.
        given: f64,
        /// The program's.
        recorded: f64,
    },
    /// The file is not a valid program for this codebook (as the decoders report it).
    #[error(transparent)]
    Decode(#[from] IsaError),
    /// The decoder took no bytes although it asked for more.
    #[error("the decoder stalled at byte {at}")]
    Stalled {
        /// Bytes fed so far.
        at: usize,
    },
    /// The pulse decoder and the section's own items disagree (a bug, not bad input).
    #[error("pulse decoding is inconsistent: {0}")]
    Inconsistent(&'static str),
    /// A real-time `while` loop ran more iterations than
    /// [`FirmwareParams::max_while_iterations`](crate::FirmwareParams::max_while_iterations).
    #[error(
        "a while loop (condition {cond}, bit offset {bit_offset}) ran more than {cap} iterations: raise max_while_iterations, or lower the outcomes' p_true"
    )]
    WhileCap {
        /// The loop's condition.
        cond: u32,
        /// The shift of the bits it reads.
        bit_offset: u64,
        /// The cap.
        cap: u64,
    },
    /// [`Outcomes::Given`](crate::Outcomes::Given) ran out of answers.
    #[error("the program asked for more than the {given} while-loop outcomes given")]
    OutOfOutcomes {
        /// How many were given.
        given: usize,
    },
    /// Building a synthetic program failed (`synthetic_program`).
    #[error("synthetic program: {0}")]
    Synthetic(&'static str),
}
