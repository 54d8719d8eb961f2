//! `eqisa.Device`: a device calibration, loaded from a file (our TOML, or IBM's pulse defaults)
//! or built from numpy arrays, checked as a file would be, and written as our TOML.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use eqisa_pulse::shape::Shape;
use eqisa_pulse::{Channel, ControlChannel, GateCal, Phase, QubitParams, ScheduleItem};
use num_complex::Complex64;
use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::codebook::write_file;
use crate::errors::{DeviceError, IntoPyResult};

/// A device calibration: qubits, control channels, calibrated gates as pulse schedules, and
/// the sampled waveforms they play.
#[pyclass(module = "eqisa._eqisa", frozen)]
pub struct Device {
    /// The calibration.
    pub device: Arc<eqisa_pulse::Device>,
    /// The file it was read from, when it was.
    #[pyo3(get)]
    pub path: Option<PathBuf>,
}

/// A phase: a constant, or a gate parameter with its sign.
#[derive(FromPyObject)]
enum PhaseArg {
    Const(f64),
    Param(String),
}

fn invalid(field: String, message: String) -> PyErr {
    DeviceError::new_err(format!("{field}: {message}"))
}

fn channel(field: &str, text: &str) -> PyResult<Channel> {
    Channel::parse(text).ok_or_else(|| {
        invalid(
            field.into(),
            format!("channel {text:?} is not dN, uN or mN"),
        )
    })
}

fn phase(field: &str, p: PhaseArg) -> PyResult<Phase> {
    Ok(match p {
        PhaseArg::Const(v) => Phase::Const(v),
        PhaseArg::Param(s) => {
            let (scale, rest) = match s.strip_prefix('-') {
                Some(r) => (-1.0, r),
                None => (1.0, s.as_str()),
            };
            let index = rest
                .strip_prefix('P')
                .and_then(|i| i.parse::<u8>().ok())
                .ok_or_else(|| {
                    invalid(
                        field.into(),
                        format!("phase {s:?} is neither a number nor a parameter P0, -P0, P1…"),
                    )
                })?;
            Phase::Param {
                index,
                scale,
                offset: 0.0,
            }
        }
    })
}

/// One schedule item as Python gives it: `("play", channel, t0, waveform)`, `("shift_phase",
/// channel, t0, phase)` (phase in radians, or `"P0"`/`"-P0"` for the gate's parameter: how `rz`
/// is a frame change), `("delay", channel, t0, duration)` or `("acquire", t0, duration,
/// qubits)`.
fn item(field: &str, it: &Bound<'_, PyTuple>) -> PyResult<ScheduleItem> {
    let kind: String = it.get_item(0)?.extract()?;
    let want = |n: usize| {
        if it.len() == n {
            Ok(())
        } else {
            Err(invalid(
                field.into(),
                format!("a {kind} item has {n} fields, not {}", it.len()),
            ))
        }
    };
    let ch =
        |i: usize| -> PyResult<Channel> { channel(field, &it.get_item(i)?.extract::<String>()?) };
    Ok(match kind.as_str() {
        "play" => {
            want(4)?;
            ScheduleItem::Play {
                t0: it.get_item(2)?.extract()?,
                channel: ch(1)?,
                shape: Shape::Sampled {
                    name: it.get_item(3)?.extract()?,
                },
            }
        }
        "shift_phase" => {
            want(4)?;
            ScheduleItem::ShiftPhase {
                t0: it.get_item(2)?.extract()?,
                channel: ch(1)?,
                phase: phase(field, it.get_item(3)?.extract()?)?,
            }
        }
        "delay" => {
            want(4)?;
            ScheduleItem::Delay {
                t0: it.get_item(2)?.extract()?,
                channel: ch(1)?,
                duration: it.get_item(3)?.extract()?,
            }
        }
        "acquire" => {
            want(4)?;
            ScheduleItem::Acquire {
                t0: it.get_item(1)?.extract()?,
                duration: it.get_item(2)?.extract()?,
                qubits: it.get_item(3)?.extract()?,
            }
        }
        other => {
            return Err(invalid(
                field.into(),
                format!("unknown item {other:?} (play, shift_phase, delay, acquire)"),
            ));
        }
    })
}

#[pymethods]
impl Device {
    /// Read a calibration file: our TOML, or IBM's pulse defaults (`defs_X.json` with
    /// `conf_X.json` and `props_X.json` beside it).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Device> {
        let p = path.clone();
        let device = crate::detach::run(py, move || eqisa_pipeline::load_device(Some(&p)))?.py()?;
        Ok(Device {
            device: Arc::new(device),
            path: Some(path),
        })
    }

    /// The device embedded in eqisa (IBM's 5-qubit ibmq_lima calibration).
    #[staticmethod]
    fn default() -> Device {
        Device {
            device: Arc::new(eqisa_pulse::Device::default_device()),
            path: None,
        }
    }

    /// Build a device from arrays (see the Python docstring of `eqisa.Device.from_arrays`).
    #[staticmethod]
    #[pyo3(signature = (name, dt_ns, frequencies_ghz, anharmonicities_ghz, waveforms, gates, control_channels = Vec::new(), dac_bits = 16))]
    #[allow(clippy::too_many_arguments)] // keyword arguments of one Python call
    fn from_arrays(
        name: String,
        dt_ns: f64,
        frequencies_ghz: PyReadonlyArray1<'_, f64>,
        anharmonicities_ghz: PyReadonlyArray1<'_, f64>,
        waveforms: BTreeMap<String, PyReadonlyArray1<'_, Complex64>>,
        gates: Vec<(String, Vec<u32>, Vec<Bound<'_, PyTuple>>)>,
        control_channels: Vec<(u32, u32)>,
        dac_bits: u8,
    ) -> PyResult<Device> {
        let freqs = frequencies_ghz.as_slice()?;
        let anh = anharmonicities_ghz.as_slice()?;
        if freqs.len() != anh.len() {
            return Err(invalid(
                "anharmonicities_ghz".into(),
                format!(
                    "{} values for {} qubits (frequencies_ghz)",
                    anh.len(),
                    freqs.len()
                ),
            ));
        }
        let qubits = freqs
            .iter()
            .zip(anh)
            .map(|(&freq_ghz, &anharmonicity_ghz)| QubitParams {
                freq_ghz,
                anharmonicity_ghz,
            })
            .collect();
        let library = waveforms
            .into_iter()
            .map(|(k, v)| Ok((k, v.as_slice()?.to_vec())))
            .collect::<PyResult<BTreeMap<_, _>>>()?;
        let gates = gates
            .into_iter()
            .enumerate()
            .map(|(g, (gate, qubits, items))| {
                let items = items
                    .iter()
                    .enumerate()
                    .map(|(i, it)| item(&format!("gates[{g}] ({gate}).schedule[{i}]"), it))
                    .collect::<PyResult<Vec<_>>>()?;
                Ok(GateCal {
                    name: gate,
                    qubits,
                    items,
                })
            })
            .collect::<PyResult<Vec<_>>>()?;
        let device = eqisa_pulse::Device {
            name: name.clone(),
            dt_ns,
            dac_bits,
            qubits,
            control_channels: control_channels
                .into_iter()
                .enumerate()
                .map(|(index, (line, freq_qubit))| ControlChannel {
                    index: index as u32,
                    line,
                    freq_qubit,
                })
                .collect(),
            gates,
            library,
            dropped_gates: Vec::new(),
        };
        device
            .validate(&format!("device '{name}'"))
            .map_err(|e| DeviceError::new_err(e.to_string()))?;
        Ok(Device {
            device: Arc::new(device),
            path: None,
        })
    }

    /// The calibration in our TOML format (what `Device.load` reads back).
    fn to_toml(&self) -> String {
        self.device.to_toml()
    }

    /// Write the calibration as our TOML to `path`.
    fn save(&self, path: PathBuf) -> PyResult<()> {
        write_file(&path, self.device.to_toml().as_bytes())
    }

    /// The device's name.
    #[getter]
    fn name(&self) -> String {
        self.device.name.clone()
    }

    /// Sample period, ns.
    #[getter]
    fn dt_ns(&self) -> f64 {
        self.device.dt_ns
    }

    /// Qubits.
    #[getter]
    fn num_qubits(&self) -> u32 {
        self.device.num_qubits()
    }

    /// Coupled qubit pairs (those with a calibrated two-qubit gate).
    #[getter]
    fn coupling_map(&self) -> Vec<(u32, u32)> {
        self.device.coupled_pairs()
    }

    /// Calibrated gates: `(name, qubits)`.
    #[getter]
    fn gates(&self) -> Vec<(String, Vec<u32>)> {
        self.device
            .gates
            .iter()
            .map(|g| (g.name.clone(), g.qubits.clone()))
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "<eqisa.Device {} ({} qubits, dt {} ns, {} gates)>",
            self.device.name,
            self.device.num_qubits(),
            self.device.dt_ns,
            self.device.gates.len()
        )
    }
}
