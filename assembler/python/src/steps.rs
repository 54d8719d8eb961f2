//! The other steps: `compile` (lower a circuit and write it back as OpenQASM), `train` (learn a
//! codebook from a corpus), `report` (every encoding of many circuits) and `simulate` (a program
//! on the modelled controller).

use std::path::PathBuf;
use std::sync::Mutex;

use eqisa_firmware::{FirmwareParams, Outcomes};
use eqisa_pipeline::report::{
    ReportOptions, ReportProgress, ReportScope, SetupOptions, run_report,
};

use eqisa_pipeline::PipelineError;
use eqisa_pipeline::train::{TrainOptions, collect_corpus, train_codebook};
use pyo3::prelude::*;

use crate::codebook::Codebook;
use crate::errors::{IntoPyResult, OptionsError};
use crate::options::{LowerArgs, PaperArgs, PulseArgs};

/// Lower `source` (`(name, language, payload)` as for `assemble`) and return its OpenQASM text,
/// whether that is OpenQASM 3, and what `eqisa compile --json` reports.
#[pyfunction]
#[pyo3(signature = (source, lowering, inputs = Vec::new(), flat = false))]
pub fn compile(
    py: Python<'_>,
    source: (String, String, String),
    lowering: LowerArgs,
    inputs: Vec<(String, String)>,
    flat: bool,
) -> PyResult<(String, bool, String)> {
    let circuit = crate::assemble::CircuitArg::from_tuple(source)?;
    let lowering = lowering.config()?;
    crate::detach::run(py, move || {
        let compiled = eqisa_pipeline::compile::compile_source(
            circuit.load()?,
            &circuit.name,
            &inputs,
            &lowering,
            flat,
        )?;
        let qasm3 = compiled.language != eqisa_pipeline::compile::QasmLanguage::Qasm2;
        let report = crate::assemble::to_json(&compiled.report)?;
        Ok::<_, PipelineError>((compiled.qasm, qasm3, report))
    })?
    .py()
}

/// Train a codebook on the circuit files under `corpus` (files, or directories searched for
/// `.qasm`/`.qasm3`); returns it with a JSON summary (files used, files skipped with why).
#[pyfunction]
#[pyo3(signature = (corpus, lowering, targets, haar = 0, seed = 0, words = 0, paper_haar = 0, description = String::new()))]
#[allow(clippy::too_many_arguments)] // keyword arguments of one Python call
pub fn train(
    py: Python<'_>,
    corpus: Vec<PathBuf>,
    lowering: LowerArgs,
    targets: Vec<String>,
    haar: usize,
    seed: u64,
    words: usize,
    paper_haar: usize,
    description: String,
) -> PyResult<(Codebook, String)> {
    let targets = targets
        .iter()
        .map(|t| match t.as_str() {
            "native" => Ok(eqisa_lower::target::TargetKind::Native),
            "clifford+t" => Ok(eqisa_lower::target::TargetKind::CliffordT),
            other => Err(OptionsError::new_err(format!(
                "targets: unknown target {other:?} (expected 'native' or 'clifford+t')"
            ))),
        })
        .collect::<PyResult<Vec<_>>>()?;
    let opts = TrainOptions {
        lowering: lowering.config()?,
        targets,
        haar,
        seed,
        words,
        paper_haar,
        description,
        pulses: None,
    };
    let (bytes, summary) = crate::detach::run(py, move || {
        let found = collect_corpus(&corpus)?;
        if found.files.is_empty() {
            return Err(PipelineError::Options(
                "the corpus holds no .qasm or .qasm3 file".into(),
            ));
        }
        let trained = train_codebook(&found.files, &opts, &mut ())?;
        let summary = serde_json::json!({
            "files": found.files.len() - trained.skipped.len(),
            "skipped": trained.skipped.iter().map(|(f, e)| serde_json::json!({
                "file": f.display().to_string(),
                "reason": e.to_string(),
            })).collect::<Vec<_>>(),
            "passed_over": found.passed_over.iter().map(|(f, why)| serde_json::json!({
                "file": f.display().to_string(),
                "reason": why,
            })).collect::<Vec<_>>(),
            "training": trained.training,
        });
        Ok((trained.bytes, summary.to_string()))
    })?
    .py()?;
    Ok((Codebook::parse(bytes, "trained in Python".into())?, summary))
}

/// The modelled controller, as Python gives it: `None` keeps the CLI's default.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct ControllerArgs {
    link_gbps: Option<f64>,
    clock_mhz: Option<f64>,
    startup_ns: Option<f64>,
    dt_ns: Option<f64>,
    seed: u64,
    p_true: f64,
    answers: Option<Vec<bool>>,
    max_while_iterations: Option<u64>,
}

impl ControllerArgs {
    /// The firmware parameters, checked as the CLI checks its flags.
    fn params(&self) -> PyResult<FirmwareParams> {
        let d = FirmwareParams::default();
        let positive = |name: &str, v: Option<f64>, default: f64| match v {
            Some(x) if !(x.is_finite() && x > 0.0) => Err(OptionsError::new_err(format!(
                "{name} must be a positive number, not {x}"
            ))),
            Some(x) => Ok(x),
            None => Ok(default),
        };
        if !(0.0..=1.0).contains(&self.p_true) {
            return Err(OptionsError::new_err(format!(
                "p_true must be a probability in [0, 1], not {}",
                self.p_true
            )));
        }
        Ok(FirmwareParams {
            link_gbps: positive("link_gbps", self.link_gbps, d.link_gbps)?,
            clock_mhz: positive("clock_mhz", self.clock_mhz, d.clock_mhz)?,
            startup_ns: match self.startup_ns {
                Some(x) if !(x.is_finite() && x >= 0.0) => {
                    return Err(OptionsError::new_err(format!(
                        "startup_ns must be a time of at least 0 ns, not {x}"
                    )));
                }
                Some(x) => x,
                None => d.startup_ns,
            },
            dt_ns: self.dt_ns,
            outcomes: match &self.answers {
                Some(a) => Outcomes::Given(a.clone()),
                None => Outcomes::Random {
                    seed: self.seed,
                    p_true: self.p_true,
                },
            },
            max_while_iterations: self.max_while_iterations.unwrap_or(d.max_while_iterations),
            ..d
        })
    }
}

/// Notes the pipeline makes while it works, handed to Python as warnings.
#[derive(Default)]
struct Notes(Mutex<Vec<String>>);

impl ReportProgress for Notes {
    fn note(&self, message: &str) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(message.to_string());
    }
}

/// Run `files` through every encoding, as `eqisa report --json` does; returns the JSON and
/// the notes made on the way (as the CLI's `note:` lines).
#[pyfunction]
#[pyo3(signature = (files, lowering, pulse, paper, controller, codebook = None, energy_model = None, memory = true, controllers = true, job = true))]
#[allow(clippy::too_many_arguments)] // keyword arguments of one Python call
pub fn report(
    py: Python<'_>,
    files: Vec<PathBuf>,
    lowering: LowerArgs,
    pulse: PulseArgs,
    paper: PaperArgs,
    controller: ControllerArgs,
    codebook: Option<PyRef<'_, Codebook>>,
    energy_model: Option<PathBuf>,
    memory: bool,
    controllers: bool,
    job: bool,
) -> PyResult<(String, Vec<String>)> {
    let opts = ReportOptions {
        setup: SetupOptions {
            energy_model,
            lowering: lowering.config()?,
            pulse: pulse.config(),
            paper: paper.setting(),
            sim: controller.params()?,
        },
        scope: ReportScope {
            memory,
            rate_budgets: None,
        },
        controllers,
        job,
    };
    let cb = Codebook::or_default(codebook.as_deref())?;
    crate::detach::run(py, move || {
        let notes = Notes::default();
        let full = match run_report(&files, &cb, &opts, &notes) {
            Err(PipelineError::NothingPlaced { skipped }) => {
                let why: Vec<String> = skipped.iter().map(|(f, r)| format!("{f}: {r}")).collect();
                return Err(PipelineError::Report(format!(
                    "no circuit could be placed on the device: {}",
                    why.join("; ")
                )));
            }
            r => r?,
        };
        let mut notes = notes
            .0
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        notes.extend(
            full.report
                .skipped
                .iter()
                .map(|(file, reason)| format!("skipped {file}: {reason}")),
        );
        Ok((crate::assemble::to_json(&full)?, notes))
    })?
    .py()
}

/// Run a program (`.eqb` bytes, single- or multi-stream) on the modelled controller, as `eqisa
/// firmware --json` does.
#[pyfunction]
#[pyo3(signature = (data, controller, codebook = None, energy_model = None, name = "<bytes>".to_string()))]
pub fn simulate(
    py: Python<'_>,
    data: Vec<u8>,
    controller: ControllerArgs,
    codebook: Option<PyRef<'_, Codebook>>,
    energy_model: Option<PathBuf>,
    name: String,
) -> PyResult<String> {
    let params = controller.params()?;
    let cb = Codebook::or_default(codebook.as_deref())?;
    crate::detach::run(py, move || {
        let model = eqisa_pipeline::firmware::load_energy_model(energy_model.as_deref())?;
        let run = eqisa_pipeline::simulate(&data, &name, &cb, &params, &model)?;
        crate::assemble::to_json(&run)
    })?
    .py()
}
