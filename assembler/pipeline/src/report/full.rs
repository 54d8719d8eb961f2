//! [`run_report`]: the whole of `eqisa report` as one owned [`FullReport`] — the measured
//! circuits with their header, the controllers each needs and the circuits as one job — whose
//! JSON is the report's one shape, printed by the command line and returned by the Python
//! package alike.

use std::path::PathBuf;

use eqisa_firmware::FirmwareParams;
use serde::{Serialize, Serializer};

use super::analyse::{RatePoint, Rows};
use super::batch::{DeviceMemory, InstructionOnly, Report, ReportProgress, ReportScope, report};
use super::events::{self, Counts, Encoding, Level};
use super::setup::{Setup, SetupOptions};
use crate::assemble::AssembleOptions;
use crate::codebook::LoadedCodebook;
use crate::controllers::{NeededRow, needed};
use crate::error::PipelineError;
use crate::job::{JobLine, job_line};
use crate::measure::PaperRow;
use crate::notes::without_atoms_note;

/// What [`run_report`] measures, and with what.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// The codebook-independent setup: energy model, lowering, device and pulse budget, the
    /// paper's setting, the modelled controller (whose link is the report's link).
    pub setup: SetupOptions,
    /// The device memory and the rate curve.
    pub scope: ReportScope,
    /// Find how many controllers each placed circuit needs (a search over controller sizes per
    /// circuit; `eqisa report --no-controllers` turns it off).
    pub controllers: bool,
    /// With more than one file: code them as one job too ([`JobLine`]).
    pub job: bool,
}

/// A report with everything its front ends print: owned, so it can cross threads, and
/// serialised (`serde_json::to_string_pretty`) as `eqisa report --json` prints it.
pub struct FullReport {
    /// The circuits measured, the skipped ones, the totals, the memory and the rate curve.
    pub report: Report,
    /// The device's name (`--device`, or the embedded default).
    pub device: String,
    /// Which devices circuits run on ([`Setup::device_note`]).
    pub device_note: String,
    /// The device's sample period, ns.
    pub dt_ns: f64,
    /// The pulse lowering mode's name.
    pub mode: &'static str,
    /// The per-pulse infidelity budget.
    pub pulse_budget: f64,
    /// Where the energy model came from.
    pub energy_model: String,
    /// Where the codebook came from.
    pub codebook: String,
    /// The modelled controller (its link is the report's).
    pub firmware_params: FirmwareParams,
    /// How many controllers each placed circuit needs (empty when not asked for).
    pub controllers: Vec<NeededRow>,
    /// The circuits coded as one job, when asked for and there is more than one file.
    pub job: Option<JobLine>,
}

impl FullReport {
    /// One link's rate, Gb/s.
    #[must_use]
    pub fn link_gbps(&self) -> f64 {
        self.firmware_params.link_gbps
    }
}

/// Measure `files` with `cb` under `opts` ([`report`]), then, as asked, the controllers each
/// placed circuit needs and the job of all of them. Notes on the inputs (a codebook without
/// pulse atoms, skipped calibrations) go to `progress`.
///
/// # Errors
/// As [`Setup::load`] and [`report`] (among them [`PipelineError::NothingPlaced`]), and when a
/// circuit cannot be split over controllers or coded in a job.
pub fn run_report(
    files: &[PathBuf],
    cb: &LoadedCodebook,
    opts: &ReportOptions,
    progress: &dyn ReportProgress,
) -> Result<FullReport, PipelineError> {
    let setup = Setup::load(cb, opts.setup.clone())?;
    if let Some(note) = without_atoms_note(cb) {
        progress.note(&note);
    }
    let report = report(files, &setup, &opts.scope, progress)?;
    let controllers = if opts.controllers {
        let placed: Vec<PathBuf> = report
            .circuits
            .iter()
            .map(|(a, _)| PathBuf::from(&a.file))
            .collect();
        let assemble = AssembleOptions {
            lowering: setup.lowering.clone(),
            ..Default::default()
        };
        needed(&placed, &assemble, cb, &setup.sim, &setup.model, progress)?
    } else {
        Vec::new()
    };
    let job = if opts.job && files.len() > 1 {
        Some(job_line(files, cb, setup.lowering.clone())?)
    } else {
        None
    };
    Ok(FullReport {
        device: setup.device.name.clone(),
        device_note: setup.device_note(),
        dt_ns: setup.device.dt_ns,
        mode: setup.pulse.mode().name(),
        pulse_budget: setup.pulse.infidelity,
        energy_model: setup.model_origin.clone(),
        codebook: cb.origin.clone(),
        firmware_params: setup.sim.clone(),
        report,
        controllers,
        job,
    })
}

/// The per-circuit JSON object.
#[derive(Serialize)]
struct CircuitJson<'a> {
    file: &'a str,
    /// The device the circuit ran on, and which device that is.
    device: &'a str,
    device_note: &'a str,
    qubits: u32,
    duration_ns: f64,
    native_ops: u64,
    plays: usize,
    played_samples: u64,
    lines: usize,
    swaps: u64,
    counts: &'a Counts,
    encodings: &'a Rows,
    /// The whole-circuit fidelity every row is judged against (`meets_budget`).
    fidelity_budget: f64,
    /// The paper's Huffman stage alone (before bzip2), for reference.
    paper_huffman_bits: Option<u64>,
    /// The paper's setting, its fidelity against the budget, and the settings tried.
    paper: Option<&'a PaperRow>,
}

#[derive(Serialize)]
struct SkippedJson<'a> {
    file: &'a str,
    reason: &'a str,
    /// The instruction-level measurement of the skipped circuit.
    #[serde(flatten)]
    instructions: Option<&'a InstructionOnly>,
}

#[derive(Serialize)]
struct EncodingDoc {
    name: &'static str,
    level: Level,
    event_model: &'static str,
}

#[derive(Serialize)]
struct Rules {
    instruction_level: &'static str,
    common: &'static str,
}

#[derive(Serialize)]
struct TotalJson<'a> {
    circuits: usize,
    duration_ns: f64,
    qubit_ns: f64,
    encodings: &'a Rows,
}

/// The report's JSON, borrowed from a [`FullReport`]; its field order is the output's.
#[derive(Serialize)]
struct ReportJson<'a> {
    device: &'a str,
    device_note: &'a str,
    mode: &'static str,
    link_gbps: f64,
    pulse_budget: f64,
    energy_model: &'a str,
    codebook: &'a str,
    encodings: Vec<EncodingDoc>,
    rules: Rules,
    circuits: Vec<CircuitJson<'a>>,
    skipped: Vec<SkippedJson<'a>>,
    total: TotalJson<'a>,
    firmware_params: &'a FirmwareParams,
    device_memory: Option<&'a DeviceMemory>,
    rate_curve: Option<&'a [RatePoint]>,
    controllers: &'a [NeededRow],
    /// The circuits coded as one job (more than one circuit): instruction-level bits.
    #[serde(skip_serializing_if = "Option::is_none")]
    job: Option<&'a JobLine>,
}

impl Serialize for FullReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let report = &self.report;
        ReportJson {
            device: &self.device,
            device_note: &self.device_note,
            mode: self.mode,
            link_gbps: self.link_gbps(),
            pulse_budget: self.pulse_budget,
            energy_model: &self.energy_model,
            codebook: &self.codebook,
            encodings: Encoding::ALL
                .iter()
                .map(|e| EncodingDoc {
                    name: e.key(),
                    level: e.level(),
                    event_model: e.event_model(),
                })
                .collect(),
            rules: Rules {
                instruction_level: events::INSTRUCTION_LEVEL_RULE,
                common: events::COMMON_RULE,
            },
            circuits: report
                .circuits
                .iter()
                .map(|(a, r)| CircuitJson {
                    file: &a.file,
                    device: &a.placed.device.name,
                    device_note: &a.placed.device_note,
                    qubits: a.qubits,
                    duration_ns: a.duration_ns(),
                    native_ops: a.counts.native_ops,
                    plays: a.placed.pulses.plays.len(),
                    played_samples: a.counts.played_samples,
                    lines: a.placed.pulses.channels.len(),
                    swaps: a.placed.swaps,
                    counts: &a.counts,
                    encodings: r,
                    fidelity_budget: a.budget,
                    paper_huffman_bits: a.paper.as_ref().and_then(|s| s.huffman_bits),
                    paper: a.paper.as_ref(),
                })
                .collect(),
            skipped: report
                .skipped
                .iter()
                .map(|(file, reason)| SkippedJson {
                    file,
                    reason,
                    instructions: report.instruction_only.iter().find(|i| &i.file == file),
                })
                .collect(),
            total: TotalJson {
                circuits: report.circuits.len(),
                duration_ns: report.duration_ns(),
                qubit_ns: report.qubit_ns(),
                encodings: &report.total,
            },
            firmware_params: &self.firmware_params,
            device_memory: report.memory.as_ref(),
            rate_curve: report.rate_curve.as_deref(),
            controllers: &self.controllers,
            job: self.job.as_ref(),
        }
        .serialize(serializer)
    }
}
