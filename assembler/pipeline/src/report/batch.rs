//! [`report`]: many circuits measured side by side under one [`Setup`], with their totals, the
//! device's waveform memory and, on request, the rate–infidelity curve.

use std::path::{Path, PathBuf};

use eqisa_assembler::assemble_with_pulses;
use eqisa_assembler::pulses::encode_memory;
use eqisa_lower::lower;
use rayon::prelude::*;
use serde::Serialize;

use super::analyse::{
    Analysed, Outcome, PulseInfidelity, RatePoint, Row, Rows, analyse, rate_at, rows, sum_rate,
    totals,
};
use super::events::Encoding;
use super::setup::Setup;
use crate::assemble::PulseBitsReport;
use crate::error::PipelineError;
use crate::measure::measure;
use crate::place::target_for;

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
    /// Something the user should know about an input (a part of it set aside), one line, said
    /// as it is found ([`crate::notes`]).
    fn note(&self, _message: &str) {}
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

/// A circuit the device cannot run, measured at the instruction level alone: lowered for the
/// device's sample period and entangling gate but not routed or played, so its rows carry
/// bits, the link rate over the lowered schedule and the fidelity bound, and no pulse rows,
/// energies or firmware figures (those need the device's pulses).
#[derive(Clone, Debug, Serialize)]
pub struct InstructionOnly {
    /// The file, as given.
    pub file: String,
    /// Why it has no pulse rows.
    pub reason: String,
    /// The circuit's qubits.
    pub qubits: u32,
    /// Native operations of the lowered (unrouted) program.
    pub native_ops: u64,
    /// The lowered program's schedule, ns (the target's gate times; no SWAPs).
    pub duration_ns: f64,
    /// Every encoding's row; the pulse-level ones have no bits.
    pub encodings: Rows,
}

/// A report: the circuits measured (in the order given), the ones skipped, and the totals.
pub struct Report {
    /// Each circuit placed and coded, with its rows.
    pub circuits: Vec<(Analysed, Rows)>,
    /// Files the device cannot run, with the reason.
    pub skipped: Vec<(String, String)>,
    /// The skipped files measured at the instruction level, in the order of `skipped`.
    pub instruction_only: Vec<InstructionOnly>,
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
        // A fold from +0.0: `sum` of no circuits is -0.0, which prints as such.
        self.circuits
            .iter()
            .map(|(a, _)| a.duration_ns())
            .fold(0.0, |acc, d| acc + d)
    }

    /// Qubits times schedule, summed over the circuits, qubit·ns.
    pub fn qubit_ns(&self) -> f64 {
        self.circuits
            .iter()
            .map(|(a, _)| f64::from(a.qubits) * a.duration_ns())
            .fold(0.0, |acc, d| acc + d)
    }
}

/// Measure `files` under `setup`: each circuit in parallel (its result in the order given),
/// beside the device's memory; then the totals and the rate curve. A file that cannot be read
/// or coded is an error; one the device cannot run is skipped and measured at the instruction
/// level alone ([`InstructionOnly`]), even when every file is skipped (then the totals have no
/// bits). Without `--device`, each circuit runs on the embedded default for its size, so none
/// is too large.
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
    let instruction_only = skipped
        .par_iter()
        .map(|(file, reason)| instruction_only(file, reason, setup))
        .collect::<Result<Vec<_>, _>>()?;
    let per_circuit: Vec<Rows> = done
        .iter()
        .map(|a| rows(a, setup))
        .collect::<Result<_, _>>()?;
    let pairs: Vec<(&Analysed, &Rows)> = done.iter().zip(&per_circuit).collect();
    let total = if pairs.is_empty() {
        no_totals()
    } else {
        totals(&pairs, setup.sim.link_gbps)?
    };
    let rate_curve = scope
        .rate_budgets
        .as_deref()
        .map(|budgets| rate_curve(&done, setup, budgets, progress))
        .transpose()?;
    Ok(Report {
        circuits: done.into_iter().zip(per_circuit).collect(),
        skipped,
        instruction_only,
        total,
        memory,
        rate_curve,
    })
}

/// The totals when no circuit was placed: every encoding's row without figures (a sum over no
/// schedule has no rate).
fn no_totals() -> Rows {
    Rows(
        Encoding::ALL
            .into_iter()
            .map(|enc| {
                let row = Row {
                    level: enc.level(),
                    bits: None,
                    link_gbps: None,
                    link_lanes: None,
                    energy_j: None,
                    heat_4k_j: None,
                    heat_4k_w: None,
                    wall_plug_j: None,
                    fidelity_bound: None,
                    meets_budget: None,
                    pulse_added_infidelity: None,
                    pulse_infidelity_kind: PulseInfidelity::None,
                    link_gbps_per_qubit: None,
                    qubits_per_link: None,
                    events: None,
                    firmware: None,
                    excludes: None,
                };
                (enc, row)
            })
            .collect(),
    )
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

/// `file`, which the device cannot run (`reason`), measured at the instruction level: lowered
/// as `place` lowers it for `setup`'s device, assembled without pulses and measured by the same
/// baselines as a placed circuit.
fn instruction_only(
    file: &str,
    reason: &str,
    setup: &Setup<'_>,
) -> Result<InstructionOnly, PipelineError> {
    let circuit = crate::load_circuit(Path::new(file))?;
    let (target, options) = target_for(&setup.lowering, &setup.device)?;
    let lowered = lower(&circuit, &target, &options).map_err(|source| PipelineError::Lower {
        file: file.to_string(),
        source,
    })?;
    let program = &lowered.program;
    let asm = assemble_with_pulses(program, &target, &setup.cb.codebook, setup.cb.hash, None)
        .map_err(|e| PipelineError::Report(format!("{file}: {e}")))?;
    let bits = measure(&circuit, program, &target, &asm, setup.cb, None)
        .map_err(|e| PipelineError::Report(format!("{file}: {e}")))?
        .bits;
    let budget = crate::measure::paper_budget(&setup.lowering, lowered.fidelity_bound);
    let paper = match setup.paper {
        Some(setting) => crate::measure::paper_row(
            &circuit,
            setup.cb,
            crate::measure::PaperRequest { setting, budget },
        )
        .map_err(|e| PipelineError::Report(format!("{file}: the paper's pipeline: {e}")))?,
        None => None,
    };
    let duration_ns = program
        .ops
        .iter()
        .map(|op| op.start_ns + op.duration_ns)
        .fold(0.0, f64::max);
    let qubits = circuit.num_qubits;
    let link = setup.sim.link_gbps;
    let encodings = Encoding::ALL
        .into_iter()
        .map(|enc| {
            let b = match enc {
                Encoding::Binary => bits.binary,
                // The paper's whole pipeline: Huffman, then bzip2, as for a placed circuit.
                Encoding::Paper => paper.as_ref().and_then(|s| s.huffman_bzip2_bits),
                Encoding::Bzip2 => bits.bzip2,
                Encoding::Xz => bits.xz,
                Encoding::Zstd => bits.zstd,
                Encoding::Eqisa => Some(bits.eqisa),
                Encoding::RawSamples
                | Encoding::Dct
                | Encoding::ZstdSamples
                | Encoding::EqisaPulses => None,
            };
            // A schedule of zero length (no operations) has no rate.
            let rate = |b: u64, per: f64| (per > 0.0).then(|| b as f64 / per);
            let gbps = b.and_then(|b| rate(b, duration_ns));
            let fidelity = match enc {
                Encoding::Paper => paper.as_ref().map(|s| s.fidelity_bound),
                _ => Some(lowered.fidelity_bound),
            };
            let row = Row {
                level: enc.level(),
                bits: b,
                link_gbps: gbps,
                link_lanes: gbps.map(|g| ((g / link).ceil() as u64).max(1)),
                energy_j: None,
                heat_4k_j: None,
                heat_4k_w: None,
                wall_plug_j: None,
                fidelity_bound: b.and(fidelity),
                meets_budget: b.and(fidelity).map(|f| f >= budget),
                pulse_added_infidelity: b.map(|_| 0.0),
                pulse_infidelity_kind: PulseInfidelity::None,
                link_gbps_per_qubit: b.and_then(|b| rate(b, f64::from(qubits) * duration_ns)),
                qubits_per_link: b.filter(|&b| b > 0).and_then(|b| {
                    (duration_ns > 0.0)
                        .then(|| (link * f64::from(qubits) * duration_ns / b as f64).floor() as u64)
                }),
                events: None,
                firmware: None,
                excludes: None,
            };
            (enc, row)
        })
        .collect();
    Ok(InstructionOnly {
        file: file.to_string(),
        reason: reason.to_string(),
        qubits,
        native_ops: program.ops.len() as u64,
        duration_ns,
        encodings: Rows(encodings),
    })
}
