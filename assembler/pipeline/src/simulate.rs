//! [`simulate`]: an `.eqb` run on the modelled controller, whatever it holds (one program, a job
//! of many circuits, or one stream per controller), as one serialisable [`Simulation`]: what
//! `eqisa firmware --json` prints and the Python package returns.

use eqisa_firmware::energy::{EnergyModel, EnergyReport, Events};
use eqisa_firmware::{FirmwareParams, FirmwareReport};
use eqisa_isa::container::streams::is_streams;
use serde::Serialize;

use crate::assemble::Lowered;
use crate::codebook::LoadedCodebook;
use crate::controllers::{ControllersRun, parse_streams, simulate_controllers};
use crate::error::PipelineError;
use crate::firmware::run_firmware;
use crate::job::{DecodedCircuit, decode_job, is_job, is_sweep};

/// A decoded circuit's size.
#[derive(Clone, Copy, Debug)]
pub struct CircuitSize {
    /// Operations of its text (each loop body once).
    pub text_ops: u64,
    /// Operations it runs (loops unrolled).
    pub native_ops: u64,
    /// Its schedule, ns.
    pub duration_ns: f64,
}

/// The size of the decoded circuit `c`.
#[must_use]
pub fn circuit_size(c: &DecodedCircuit) -> CircuitSize {
    let (text_ops, native_ops, duration_ns) = match &c.program {
        Lowered::Flat(p) => (p.ops.len() as u64, p.ops.len() as u64, p.duration_ns),
        Lowered::Looped(s) => (
            s.text.ops.len() as u64,
            // A count past u64 is not a size a caller can use; it saturates.
            u64::try_from(s.control.executed(1)).unwrap_or(u64::MAX),
            s.duration_ns(),
        ),
    };
    CircuitSize {
        text_ops,
        native_ops,
        duration_ns,
    }
}

/// One circuit of a job on the modelled controller: where it runs in the job's schedule.
#[derive(Clone, Debug, Serialize)]
pub struct CircuitSpan {
    /// Its name in the job.
    pub name: String,
    /// The operations it runs.
    pub native_ops: u64,
    /// Its start in the job's schedule, ns.
    pub start_ns: f64,
    /// Its schedule, ns.
    pub duration_ns: f64,
}

/// The circuits of the job in `bytes` (named `name` in errors), back to back: `None` for a
/// program that is not a job, and an empty list for a sweep, whose points the decoder does not
/// expand (the simulation then plays its template once).
///
/// # Errors
/// When the job does not decode with `cb`.
pub fn spans(
    bytes: &[u8],
    name: &str,
    cb: &LoadedCodebook,
) -> Result<Option<Vec<CircuitSpan>>, PipelineError> {
    if !is_job(bytes) {
        return Ok(None);
    }
    if is_sweep(bytes) {
        return Ok(Some(Vec::new()));
    }
    let mut start = 0.0;
    let mut out = Vec::new();
    for c in decode_job(bytes, name, cb)? {
        let size = circuit_size(&c);
        out.push(CircuitSpan {
            name: c.name,
            native_ops: size.native_ops,
            start_ns: start,
            duration_ns: size.duration_ns,
        });
        start += size.duration_ns;
    }
    Ok(Some(out))
}

/// One program (or job) on one modelled controller.
#[derive(Clone, Debug, Serialize)]
pub struct ProgramRun {
    /// The program's name.
    pub file: String,
    /// What the simulation measured.
    #[serde(flatten)]
    pub sim: FirmwareReport,
    /// The events it counted.
    pub events: Events,
    /// Their energy under the model.
    pub energy: EnergyReport,
    /// For a job: its circuits, back to back, each with its share of the schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuits: Option<Vec<CircuitSpan>>,
}

/// An `.eqb` on the modelled controller; serialised as the run itself, without a tag.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Simulation {
    /// A single-stream program or job (boxed: its report is several times the other's size).
    Program(Box<ProgramRun>),
    /// A multi-stream file: one modelled controller per stream, each with its share of the link.
    Controllers(ControllersRun),
}

/// Run `bytes` (named `name`) on the controller `params` describes, with `cb` (the codebook it
/// was assembled with), its events costed with `model`: a multi-stream file per controller
/// ([`simulate_controllers`]), else the program with, for a job, its circuits' [`spans`].
///
/// # Errors
/// When the program is invalid for the codebook or the parameters are out of range.
pub fn simulate(
    bytes: &[u8],
    name: &str,
    cb: &LoadedCodebook,
    params: &FirmwareParams,
    model: &EnergyModel,
) -> Result<Simulation, PipelineError> {
    if is_streams(bytes) {
        let file = parse_streams(bytes, name)?;
        return Ok(Simulation::Controllers(simulate_controllers(
            &file, name, cb, params, model,
        )?));
    }
    let run = run_firmware(bytes, name, cb, params, model)?;
    let circuits = spans(bytes, name, cb)?;
    Ok(Simulation::Program(Box::new(ProgramRun {
        file: name.to_string(),
        sim: run.sim,
        events: run.events,
        energy: run.energy,
        circuits,
    })))
}
