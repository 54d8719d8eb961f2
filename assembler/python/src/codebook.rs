//! `eqisa.Codebook`: a codebook held in memory, loaded from a file or bytes, or the embedded
//! default, and written back byte for byte.

use std::path::PathBuf;
use std::sync::Arc;

use eqisa_pipeline::{DEFAULT_CODEBOOK, LoadedCodebook, parse_codebook, short_hash};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::IntoPyResult;

/// A codebook: the instruction model's priors, macro words, the paper's dictionary and, when
/// trained with pulses, waveform atoms. Programs name the codebook they were assembled with by
/// its hash, and decode only with it.
#[pyclass(module = "eqisa._eqisa", frozen)]
pub struct Codebook {
    /// The parsed codebook, shared with the steps that run on worker threads.
    pub loaded: Arc<LoadedCodebook>,
    /// Its serialised bytes, as `save` writes them.
    bytes: Arc<Vec<u8>>,
}

impl Codebook {
    /// The codebook serialised in `bytes`, named `origin` in messages.
    pub fn parse(bytes: Vec<u8>, origin: String) -> PyResult<Codebook> {
        let loaded = parse_codebook(&bytes, origin).py()?;
        Ok(Codebook {
            loaded: Arc::new(loaded),
            bytes: Arc::new(bytes),
        })
    }

    /// The embedded default.
    pub fn embedded() -> PyResult<Codebook> {
        Codebook::parse(
            DEFAULT_CODEBOOK.to_vec(),
            "the embedded default codebook".into(),
        )
    }

    /// The codebook `given`, or the embedded default.
    pub fn or_default(given: Option<&Codebook>) -> PyResult<Arc<LoadedCodebook>> {
        match given {
            Some(c) => Ok(c.loaded.clone()),
            None => Ok(Codebook::embedded()?.loaded),
        }
    }
}

#[pymethods]
impl Codebook {
    /// Read a codebook file (`.eqcb`).
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<Codebook> {
        let bytes = std::fs::read(&path).map_err(|e| {
            pyo3::exceptions::PyOSError::new_err(format!("{}: {e}", path.display()))
        })?;
        Codebook::parse(bytes, path.display().to_string())
    }

    /// A codebook from its serialised bytes.
    #[staticmethod]
    #[pyo3(signature = (data, name = "<bytes>"))]
    fn from_bytes(data: &[u8], name: &str) -> PyResult<Codebook> {
        Codebook::parse(data.to_vec(), name.to_string())
    }

    /// The codebook embedded in eqisa (what every step uses when given none).
    #[staticmethod]
    fn default() -> PyResult<Codebook> {
        Codebook::embedded()
    }

    /// Write the codebook to `path` (the bytes it was read from, or trained as).
    fn save(&self, path: PathBuf) -> PyResult<()> {
        write_file(&path, &self.bytes)
    }

    /// The serialised codebook.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.bytes)
    }

    /// The codebook's id: the hex of the hash's bytes a program names it by.
    #[getter]
    fn id(&self) -> String {
        short_hash(&self.loaded.hash)
    }

    /// The whole SHA-256 hash, hex.
    #[getter]
    fn hash(&self) -> String {
        self.loaded
            .hash
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Where it came from.
    #[getter]
    fn origin(&self) -> String {
        self.loaded.origin.clone()
    }

    /// Whether it holds waveform atoms (trained with pulses).
    #[getter]
    fn has_pulse_atoms(&self) -> bool {
        self.loaded.pulse_atoms.is_some()
    }

    fn __len__(&self) -> usize {
        self.bytes.len()
    }

    fn __eq__(&self, other: &Codebook) -> bool {
        self.loaded.hash == other.loaded.hash
    }

    fn __hash__(&self) -> u64 {
        u64::from_le_bytes(self.loaded.hash[..8].try_into().unwrap_or([0; 8]))
    }

    fn __repr__(&self) -> String {
        format!(
            "<eqisa.Codebook {} ({} bytes{}) from {}>",
            self.id(),
            self.bytes.len(),
            if self.has_pulse_atoms() {
                ", pulse atoms"
            } else {
                ""
            },
            self.loaded.origin
        )
    }
}

/// Write `bytes` to `path` whole or not at all: a failed write leaves no half-written file.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> PyResult<()> {
    let fail = |e: std::io::Error| {
        pyo3::exceptions::PyOSError::new_err(format!("{}: {e}", path.display()))
    };
    let name = path
        .file_name()
        .ok_or_else(|| fail(std::io::Error::other("not a file name")))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(".eqisa-tmp");
    let tmp = path.with_file_name(tmp_name);
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(fail)
}
