//! [`report`]: many circuits measured side by side under one [`Setup`], with their totals, the
//! device's waveform memory and, on request, the rate–infidelity curve.

use std::path::PathBuf;

use eqisa_assembler::pulses::encode_memory;
use rayon::prelude::*;
use serde::Serialize;

use super::analyse::{
    Analysed, Outcome, RatePoint, Rows, analyse, rate_at, rows, sum_rate, totals,
};
use super::setup::Setup;
use crate::assemble::PulseBitsReport;
use crate::error::PipelineError;

/// Hooks a long report calls as it goes (a progress bar, say); every method defaults to nothing,
/// and `()` is the silent implementation. Called from worker threads.
pub trait ReportProgress: Sync {
    /// A stage of `len` steps starts: `"circuits"` (one per file), then `"budgets"` (one per
    /// circuit and budget of the rate curve).
    fn stage(&self, _name: &'static str, _len: u64) {}
    /// One step of the current stage is done.
    fn step(&self) {}
    /// The current stage is done.
    fn finish(&self) {}
}

impl ReportProgress for () {}

/// What a report measures beyond its circuits.
#[derive(Clone, Debug, Default)]
pub struct ReportScope {
    /// Code the device's whole waveform memory, which the instruction-level rows assume the
    /// controller holds.
    pub memory: bool,
    /// Per-pulse budgets of the rate–infidelity curve; `None`: no curve.
    pub rate_budgets: Option<Vec<f64>>,
}

/// The device's whole waveform memory coded once (`eqisa pulses` reports the same as
/// `memory_bits`).
#[derive(Clone, Debug, Serialize)]
pub struct DeviceMemory {
    /// Bits of the memory under our coder and the pulse baselines.
    pub bits: PulseBitsReport,
    /// The largest added infidelity of any coded waveform.
    pub max_added_infidelity: f64,
    /// Waveforms that fell back to lossless samples.
    pub lossless_fallbacks: usize,
}

/// A report: the circuits measured (in the order given), the ones skipped, and the totals.
pub struct Report {
    /// Each circuit placed and coded, with its rows.
    pub circuits: Vec<(Analysed, Rows)>,
    /// Files the device cannot run, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Every encoding summed over the circuits.
    pub total: Rows,
    /// The device's waveform memory, when asked for.
    pub memory: Option<DeviceMemory>,
    /// Pulse bits at each budget, summed over the circuits, when asked for.
    pub rate_curve: Option<Vec<RatePoint>>,
}

impl Report {
    /// The circuits' schedules, end to end, ns.
    pub fn duration_ns(&self) -> f64 {
        self.circuits.iter().map(|(a, _)| a.duration_ns()).sum()
    }

    /// Qubits times schedule, summed over the circuits, qubit·ns.
    pub fn qubit_ns(&self) -> f64 {
        self.circuits
            .iter()
            .map(|(a, _)| f64::from(a.qubits) * a.duration_ns())
            .sum()
    }
}

/// Measure `files` under `setup`: each circuit in parallel (its result in the order given),
/// beside the device's memory; then the totals and the rate curve. A file that cannot be read
/// or coded is an error; one the device cannot run is skipped, and when every file is skipped
/// the error [`PipelineError::NothingPlaced`] lists them.
pub fn report(
    files: &[PathBuf],
    setup: &Setup<'_>,
    scope: &ReportScope,
    progress: &dyn ReportProgress,
) -> Result<Report, PipelineError> {
    progress.stage("circuits", files.len() as u64);
    // The files and the device memory are independent: code them side by side.
    let (outcomes, memory) = rayon::join(
        || {
            files
                .par_iter()
                .map(|f| {
                    let r = analyse(f, setup);
                    progress.step();
                    r
                })
                .collect::<Vec<_>>()
        },
        || scope.memory.then(|| device_memory(setup)),
    );
    let memory = memory.transpose()?;
    let mut done = Vec::new();
    let mut skipped = Vec::new();
    for o in outcomes {
        match o? {
            Outcome::Done(a) => done.push(*a),
            Outcome::Skipped { file, reason } => skipped.push((file, reason)),
        }
    }
    progress.finish();
    if done.is_empty() {
        return Err(PipelineError::NothingPlaced { skipped });
    }
    let per_circuit: Vec<Rows> = done
        .iter()
        .map(|a| rows(a, setup))
        .collect::<Result<_, _>>()?;
    let pairs: Vec<(&Analysed, &Rows)> = done.iter().zip(&per_circuit).collect();
    let total = totals(&pairs, setup.sim.link_gbps)?;
    let rate_curve = scope
        .rate_budgets
        .as_deref()
        .map(|budgets| rate_curve(&done, setup, budgets, progress))
        .transpose()?;
    Ok(Report {
        circuits: done.into_iter().zip(per_circuit).collect(),
        skipped,
        total,
        memory,
        rate_curve,
    })
}

/// The device's whole waveform memory under the report's coder.
fn device_memory(setup: &Setup<'_>) -> Result<DeviceMemory, PipelineError> {
    let m = encode_memory(&setup.device, &setup.physics, &setup.coder).map_err(|e| {
        PipelineError::Report(format!(
            "device {}: waveform memory: {e}",
            setup.device.name
        ))
    })?;
    Ok(DeviceMemory {
        max_added_infidelity: m.max_added_infidelity,
        lossless_fallbacks: m.lossless_fallbacks,
        bits: m.bits.into(),
    })
}

/// The rate–infidelity curve: every circuit coded at every budget (sorted, each once), summed
/// per budget.
fn rate_curve(
    done: &[Analysed],
    setup: &Setup<'_>,
    budgets: &[f64],
    progress: &dyn ReportProgress,
) -> Result<Vec<RatePoint>, PipelineError> {
    let mut budgets = budgets.to_vec();
    budgets.sort_by(f64::total_cmp);
    budgets.dedup();
    let jobs: Vec<(usize, f64, &Analysed)> = budgets
        .iter()
        .enumerate()
        .flat_map(|(b, &budget)| done.iter().map(move |a| (b, budget, a)))
        .collect();
    progress.stage("budgets", jobs.len() as u64);
    let points = jobs
        .par_iter()
        .map(|&(b, budget, a)| {
            let r = rate_at(a, setup, budget).map(|p| (b, p));
            progress.step();
            r
        })
        .collect::<Result<Vec<_>, PipelineError>>()?;
    progress.finish();
    Ok((0..budgets.len())
        .filter_map(|b| {
            let of: Vec<RatePoint> = points
                .iter()
                .filter(|(i, _)| *i == b)
                .map(|(_, p)| *p)
                .collect();
            sum_rate(&of)
        })
        .collect())
}
