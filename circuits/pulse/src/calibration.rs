//! What a device calibration is made of: channels, frame phases, gate calibrations and qubit parameters.

use crate::shape::Shape;

/// A hardware output channel, named as IBM names them (`d0`, `u3`, `m1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// A qubit's drive line (`dN`).
    Drive(u32),
    /// A control channel (`uN`): a drive line played at another qubit's frequency, e.g. the
    /// cross-resonance tone of a two-qubit gate. [`Device::control_channels`](crate::Device::control_channels) says which.
    Control(u32),
    /// A qubit's readout resonator line (`mN`).
    Measure(u32),
}

/// A frame phase, in radians: a constant, or `scale × P[param] + offset` for a parametrised gate
/// (IBM's `rz` is the frame change `-(P0)` on the qubit's drive and control channels).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Phase {
    Const(f64),
    Param { index: u8, scale: f64, offset: f64 },
}

impl Phase {
    /// The phase for the gate parameters `params` (`None` when a parameter is missing).
    pub fn eval(&self, params: &[f64]) -> Option<f64> {
        match *self {
            Phase::Const(p) => Some(p),
            Phase::Param {
                index,
                scale,
                offset,
            } => params.get(usize::from(index)).map(|p| scale * p + offset),
        }
    }
}

/// One instruction of a gate's calibrated schedule; `t0` is in `dt` from the gate's start.
#[derive(Clone, Debug, PartialEq)]
pub enum ScheduleItem {
    /// Play a pulse on a channel.
    Play {
        t0: u64,
        channel: Channel,
        shape: Shape,
    },
    /// Shift the channel's frame phase (a virtual Z on a drive channel).
    ShiftPhase {
        t0: u64,
        channel: Channel,
        phase: Phase,
    },
    /// Keep a channel idle.
    Delay {
        t0: u64,
        channel: Channel,
        duration: u64,
    },
    /// Integrate the readout signal of these qubits.
    Acquire {
        t0: u64,
        duration: u64,
        qubits: Vec<u32>,
    },
}

/// A calibrated gate: its name (`x`, `sx`, `rz`, `cx`, `ecr`, `cz`, `measure`, …), the qubits it
/// acts on in order, and its schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct GateCal {
    pub name: String,
    pub qubits: Vec<u32>,
    pub items: Vec<ScheduleItem>,
}

/// Physical parameters of one transmon, for the pulse-level simulation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QubitParams {
    /// 0→1 transition frequency, GHz.
    pub freq_ghz: f64,
    /// Anharmonicity f12 − f01, GHz (negative for a transmon).
    pub anharmonicity_ghz: f64,
}

/// What a control channel `uN` is: played on `line`'s drive line at `freq_qubit`'s frequency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ControlChannel {
    pub index: u32,
    /// The qubit whose drive line carries the tone (the control of a cross-resonance gate).
    pub line: u32,
    /// The qubit whose frequency the tone is at (the target).
    pub freq_qubit: u32,
}
