//! `eqisa-pipeline` owns the toolchain's steps as a library: what the `eqisa` command line and
//! (later) the Python package call, so that no step is written twice. It loads circuits and
//! codebooks, turns a user's choices into lowering options ([`config`]), places circuits on
//! devices ([`mod@place`]), assembles them and measures every baseline on the same stream
//! ([`assemble`], [`measure`]), decodes programs ([`decode`]; real-time loops run on the
//! measurement results of [`outcomes`]), runs them on the modelled
//! controller ([`firmware`]), reports a circuit's pulses ([`pulses`]), cuts programs into one stream per controller
//! ([`controllers`]), lowers circuits back to OpenQASM ([`compile`]), measures many circuits
//! under every encoding ([`report`]), codes many circuits as one job ([`job`]) and trains codebooks ([`train`]).
//! It owns the shapes of the reports both front ends return: `eqisa report --json` is a
//! serialised [`report::FullReport`] ([`report::run_report`]), `eqisa firmware --json` a
//! serialised [`Simulation`] ([`simulate()`]); notes on inputs are worded once ([`notes`]).
//!
//! ```
//! use eqisa_pipeline::{AssembleOptions, assemble_circuit, load_codebook};
//!
//! let circuit = eqisa_qasm::parse_str(
//!     "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nh q[0];\ncx q[0], q[1];\n",
//!     "bell.qasm",
//! )?;
//! let codebook = load_codebook(None)?; // the embedded default
//! let program = assemble_circuit(&circuit, "bell.qasm", &codebook, &AssembleOptions::default())?;
//! // Without pulses, every bit of the file is the instruction stream's.
//! assert_eq!(program.report.bits.eqisa, program.bytes.len() as u64 * 8);
//! assert_eq!(program.report.target, "native");
//! assert!(program.report.fidelity_bound >= 0.999); // the default budget
//! // The program decodes back to the same native operations.
//! let decoded = eqisa_decoder::decode_all(&program.bytes, &codebook.codebook.priors, codebook.hash)?;
//! assert_eq!(decoded.instrs.len() as u64, program.report.native_ops);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod assemble;
pub mod codebook;
pub mod compile;
pub mod config;
pub mod controllers;
pub mod decode;
pub mod error;
pub mod firmware;
pub mod input;
pub mod job;
pub mod measure;
pub mod notes;
pub mod outcomes;
pub mod place;
pub mod pulses;
pub mod report;
pub mod simulate;
pub mod streaming;
pub mod sweep;
pub mod train;

pub use assemble::{
    AssembleOptions, Assembly, AssemblyReport, assemble_circuit, assemble_structured_program,
};
pub use codebook::{DEFAULT_CODEBOOK, LoadedCodebook, load_codebook, parse_codebook, short_hash};
pub use config::{LowerConfig, PulseConfig, SynthMethod};
pub use error::PipelineError;
pub use input::{
    Language, Source, flatten_named, is_stim, load_circuit, load_circuit_with, load_program,
    load_source, parse_source,
};
pub use place::{Placed, coder_for, load_device, place};
pub use pulses::{PulsesReport, pulse_report};
pub use simulate::{Simulation, simulate};
