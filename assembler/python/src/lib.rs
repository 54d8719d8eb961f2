//! `eqisa-python`: the native module `eqisa._eqisa` of the `eqisa` Python package. It owns the
//! crossing between Python and the pipeline: turning Python arguments into the pipeline's options,
//! running each long step with the GIL released and Ctrl-C honoured ([`detach`]), and turning
//! results and [`eqisa_pipeline::PipelineError`]s into Python objects and exceptions
//! ([`errors`]). The Python API itself, its docstrings and the Qiskit conversion live in
//! `python/eqisa/`; every step it offers is a function of `eqisa-pipeline`, as the CLI's are.

mod assemble;
mod codebook;
mod decode;
mod detach;
mod device;
mod errors;
mod options;
mod steps;

use pyo3::prelude::*;

/// The native half of the `eqisa` package (import `eqisa`, not this module).
#[pymodule]
fn _eqisa(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<codebook::Codebook>()?;
    m.add_class::<device::Device>()?;
    m.add_class::<assemble::Assembled>()?;
    m.add_class::<decode::Decoded>()?;
    m.add_function(wrap_pyfunction!(assemble::assemble, m)?)?;
    m.add_function(wrap_pyfunction!(decode::decode, m)?)?;
    m.add_function(wrap_pyfunction!(decode::decode_samples, m)?)?;
    m.add_function(wrap_pyfunction!(steps::compile, m)?)?;
    m.add_function(wrap_pyfunction!(steps::train, m)?)?;
    m.add_function(wrap_pyfunction!(steps::report, m)?)?;
    m.add_function(wrap_pyfunction!(steps::simulate, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add(
        "DEFAULT_PULSE_INFIDELITY",
        eqisa_assembler::pulses::DEFAULT_MAX_INFIDELITY,
    )?;
    m.add(
        "DEFAULT_REPEAT_WINDOW",
        eqisa_assembler::periods::DEFAULT_WINDOW_OPS,
    )?;
    m.add("MAX_WORDS", eqisa_isa::copies::MAX_WORDS)?;
    Ok(())
}
