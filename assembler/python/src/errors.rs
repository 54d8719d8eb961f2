//! Python exceptions: one base class, `EqisaError`, and a subclass per kind of failure, each
//! carrying the pipeline's message (which names the file, line and column, or the field).

use eqisa_pipeline::PipelineError;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

pyo3::create_exception!(
    eqisa,
    EqisaError,
    PyException,
    "Base class of every error eqisa raises; its message names the file (or circuit), the place and the problem."
);
pyo3::create_exception!(
    eqisa,
    ParseError,
    EqisaError,
    "A circuit that does not parse (OpenQASM or Stim), naming file, line and column."
);
pyo3::create_exception!(
    eqisa,
    LoweringError,
    EqisaError,
    "A circuit that cannot be lowered to the target, routed or placed on the device."
);
pyo3::create_exception!(
    eqisa,
    DecodeError,
    EqisaError,
    "Bytes that are not a valid program for the codebook, or a corrupt program."
);
pyo3::create_exception!(
    eqisa,
    CodebookError,
    EqisaError,
    "A codebook that cannot be read, or that does not suit the program."
);
pyo3::create_exception!(
    eqisa,
    DeviceError,
    EqisaError,
    "A device calibration that cannot be read or is inconsistent."
);
pyo3::create_exception!(
    eqisa,
    OptionsError,
    EqisaError,
    "Options out of range or that do not go together."
);

/// Add the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("EqisaError", py.get_type::<EqisaError>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    m.add("LoweringError", py.get_type::<LoweringError>())?;
    m.add("DecodeError", py.get_type::<DecodeError>())?;
    m.add("CodebookError", py.get_type::<CodebookError>())?;
    m.add("DeviceError", py.get_type::<DeviceError>())?;
    m.add("OptionsError", py.get_type::<OptionsError>())?;
    Ok(())
}

/// The Python exception of a pipeline error: its class by kind, its message the pipeline's.
pub fn to_py(e: PipelineError) -> PyErr {
    let message = e.to_string();
    match e {
        PipelineError::Qasm(_) | PipelineError::Stim(_) => ParseError::new_err(message),
        PipelineError::Lower { .. }
        | PipelineError::Route { .. }
        | PipelineError::PulseLower { .. }
        | PipelineError::LoopTooLarge { .. }
        | PipelineError::NothingPlaced { .. } => LoweringError::new_err(message),
        PipelineError::Decode { .. }
        | PipelineError::Undecodable { .. }
        | PipelineError::Isa(_) => DecodeError::new_err(message),
        PipelineError::Codebook { .. } | PipelineError::PulseAtoms(_) => {
            CodebookError::new_err(message)
        }
        PipelineError::Device(_) => DeviceError::new_err(message),
        PipelineError::Options(_)
        | PipelineError::SweepTable { .. }
        | PipelineError::SweepUnknownColumn { .. }
        | PipelineError::SweepMissingInput { .. } => OptionsError::new_err(message),
        PipelineError::Io { .. } => pyo3::exceptions::PyOSError::new_err(message),
        _ => EqisaError::new_err(message),
    }
}

/// A pipeline result as a Python result.
pub trait IntoPyResult<T> {
    /// `Err` becomes the exception of [`to_py`].
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, PipelineError> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}
