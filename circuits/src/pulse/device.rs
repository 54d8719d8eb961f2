//! Device calibrations: our TOML format (DESIGN §4), checked on load, and the embedded default
//! device.

use std::collections::BTreeMap;

use super::{ControlChannel, GateCal, QubitParams, Samples};

/// A device calibration: sample period, DAC resolution, qubit parameters, control channels,
/// calibrated gate schedules and the library of sampled waveforms they play.
#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    /// A name for reports.
    pub name: String,
    /// Sample period, nanoseconds.
    pub dt_ns: f64,
    /// DAC resolution per I and Q sample (16 unless the device says otherwise).
    pub dac_bits: u8,
    /// Qubit `i`'s parameters at index `i`.
    pub qubits: Vec<QubitParams>,
    /// Control channel `uN` at index `N`.
    pub control_channels: Vec<ControlChannel>,
    /// Calibrated gates, each (name, qubits) at most once.
    pub gates: Vec<GateCal>,
    /// Sampled waveforms by name (IBM's `pulse_library`).
    pub library: BTreeMap<String, Samples>,
}
