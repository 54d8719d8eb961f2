//! The other steps: `compile` (lower a circuit and write it back as OpenQASM) and `train` (learn
//! a codebook from a corpus).

use std::path::PathBuf;

use eqisa_pipeline::PipelineError;
use eqisa_pipeline::train::{TrainOptions, collect_corpus, train_codebook};
use pyo3::prelude::*;

use crate::codebook::Codebook;
use crate::errors::{IntoPyResult, OptionsError};
use crate::options::LowerArgs;

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
