//! `assemble`: circuits (files, or text held in memory) to an `.eqb` program, one circuit alone or
//! several as a job, as `eqisa assemble` does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eqisa_pipeline::job::{JobAssembly, assemble_sources, assemble_sweep};
use eqisa_pipeline::{
    AssembleOptions, Language, LoadedCodebook, PipelineError, Source, load_source, parse_source,
};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::codebook::{Codebook, write_file};
use crate::errors::{IntoPyResult, OptionsError};
use crate::options::{LowerArgs, PaperArgs, PulseArgs};

/// A circuit as Python hands it over: its name and where its program is.
#[derive(Clone)]
pub struct CircuitArg {
    /// The file's path, or the name a circuit held in memory goes by (its stem names it in a
    /// job).
    pub name: PathBuf,
    /// Its text, when it is not read from `name`.
    text: Option<(String, Language)>,
}

impl CircuitArg {
    /// `(name, language, payload)` from Python: language `path` (payload unused), `qasm` or
    /// `stim` (payload the program's text).
    pub fn from_tuple((name, language, payload): (String, String, String)) -> PyResult<CircuitArg> {
        let text = match language.as_str() {
            "path" => None,
            "qasm" => Some((payload, Language::Qasm)),
            "stim" => Some((payload, Language::Stim)),
            other => {
                return Err(OptionsError::new_err(format!(
                    "{name}: unknown language {other:?} (expected 'path', 'qasm' or 'stim')"
                )));
            }
        };
        Ok(CircuitArg {
            name: PathBuf::from(name),
            text,
        })
    }

    /// Its program, parsed.
    pub fn load(&self) -> Result<Source, PipelineError> {
        match &self.text {
            None => load_source(&self.name),
            Some((text, language)) => {
                parse_source(text, &self.name.display().to_string(), *language)
            }
        }
    }
}

/// An assembled program: its bytes and what `eqisa assemble --json` reports of it.
#[pyclass(module = "eqisa._eqisa", frozen)]
pub struct Assembled {
    bytes: Vec<u8>,
    /// The report, as the CLI's JSON.
    #[pyo3(get)]
    report_json: String,
    /// Native operations (a job's, summed over its circuits).
    #[pyo3(get)]
    native_ops: u64,
    /// The lowering's fidelity bound (a job's lowest).
    #[pyo3(get)]
    fidelity_bound: f64,
    /// Circuits in the program (1 unless a job).
    #[pyo3(get)]
    circuits: usize,
}

impl Assembled {
    /// A job's (or a sweep's) program and report.
    fn of_job(j: JobAssembly) -> Result<Assembled, PipelineError> {
        Ok(Assembled {
            native_ops: j.report.native_ops,
            fidelity_bound: j.report.fidelity_bound,
            circuits: j.report.circuits,
            report_json: to_json(&j.report)?,
            bytes: j.bytes,
        })
    }
}

#[pymethods]
impl Assembled {
    /// The `.eqb` file's bytes.
    fn bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.bytes)
    }

    /// Write the program to `path` (whole, or not at all).
    fn save(&self, path: PathBuf) -> PyResult<()> {
        write_file(&path, &self.bytes)
    }

    fn __len__(&self) -> usize {
        self.bytes.len()
    }
}

/// Assemble `sources` (one circuit, or several as a job; `job` forces a job of one, as a
/// directory does on the command line).
#[pyfunction]
#[pyo3(signature = (sources, lowering, pulse, paper, codebook = None, pulses = false, inputs = Vec::new(), flat = false, baselines = true, repeat_window = eqisa_assembler::periods::DEFAULT_WINDOW_OPS, job = false, sweep = None))]
#[allow(clippy::too_many_arguments)] // keyword arguments of one Python call
pub fn assemble(
    py: Python<'_>,
    sources: Vec<(String, String, String)>,
    lowering: LowerArgs,
    pulse: PulseArgs,
    paper: PaperArgs,
    codebook: Option<PyRef<'_, Codebook>>,
    pulses: bool,
    inputs: Vec<(String, String)>,
    flat: bool,
    baselines: bool,
    repeat_window: usize,
    job: bool,
    sweep: Option<PathBuf>,
) -> PyResult<Assembled> {
    let circuits: Vec<CircuitArg> = sources
        .into_iter()
        .map(CircuitArg::from_tuple)
        .collect::<PyResult<_>>()?;
    if circuits.is_empty() {
        return Err(OptionsError::new_err("no circuit to assemble"));
    }
    // As the CLI's --repeat-window: a loop body holds at most half the window, and the
    // decoder's replay buffer at most MAX_REPLAY_OPS operations.
    let max_window = 2 * eqisa_isa::control::MAX_REPLAY_OPS;
    if !flat && !(64..=max_window).contains(&(repeat_window as u64)) {
        return Err(OptionsError::new_err(format!(
            "repeat_window={repeat_window}: the window must be from 64 to {max_window} operations"
        )));
    }
    let opts = AssembleOptions {
        lowering: lowering.config()?,
        pulses: pulses.then(|| pulse.config()),
        paper: if baselines { paper.setting() } else { None },
        no_baselines: !baselines,
        repeat_window: (!flat).then_some(repeat_window),
    };
    let cb = Codebook::or_default(codebook.as_deref())?;
    let job = job || circuits.len() > 1 || sweep.is_some();
    crate::detach::run(py, move || {
        run(&circuits, &opts, &cb, &inputs, flat, job, sweep.as_deref())
    })?
    .py()
}

/// The work of [`assemble`], off the GIL.
fn run(
    circuits: &[CircuitArg],
    opts: &AssembleOptions,
    cb: &Arc<LoadedCodebook>,
    inputs: &[(String, String)],
    flat: bool,
    job: bool,
    sweep: Option<&Path>,
) -> Result<Assembled, PipelineError> {
    if let Some(table) = sweep {
        let [CircuitArg { name, text: None }] = circuits else {
            return Err(PipelineError::Options(
                "a sweep (inputs_table) takes one circuit, given as a path".into(),
            ));
        };
        return Assembled::of_job(assemble_sweep(name, table, cb, opts)?);
    }
    if job {
        let names: Vec<PathBuf> = circuits.iter().map(|c| c.name.clone()).collect();
        let j = assemble_sources(
            &names,
            |f| {
                circuits
                    .iter()
                    .find(|c| c.name == f)
                    .map_or_else(|| load_source(f), CircuitArg::load)
            },
            inputs,
            cb,
            opts,
            flat,
            |_| {},
        )?;
        return Assembled::of_job(j);
    }
    let c = &circuits[0];
    let asm =
        eqisa_pipeline::assemble::assemble_source(c.load()?, &c.name, inputs, cb, opts, flat)?;
    Ok(Assembled {
        native_ops: asm.report.native_ops,
        fidelity_bound: asm.report.fidelity_bound,
        circuits: 1,
        report_json: to_json(&asm.report)?,
        bytes: asm.bytes,
    })
}

/// A report as the CLI prints it with `--json` (compact).
pub fn to_json(report: &impl serde::Serialize) -> Result<String, PipelineError> {
    serde_json::to_string(report).map_err(|e| PipelineError::Report(e.to_string()))
}
