//! `eqisa-pulse` owns the pulse layer: device calibrations ([`device`], our TOML format, and [`ibm`], the importer
//! for IBM pulse defaults), pulse shapes by their published definitions ([`shape`]), and the
//! lowering of a [`NativeProgram`](eqisa_lower::program::NativeProgram) to per-channel waveform
//! plays ([`lower`]), and devices of any size built from a real calibration ([`scaled`]).
//!
//! Times inside a calibration and a pulse program are integer sample periods (`dt`), as the
//! hardware counts them; samples are complex baseband amplitudes (I + iQ) with |s| ≤ 1.

mod calibration;
pub mod device;
pub mod ibm;
mod load;
pub mod lower;
pub mod scaled;
pub mod shape;
pub mod transmon;
pub use calibration::{Channel, ControlChannel, GateCal, Phase, QubitParams, ScheduleItem};
pub use device::{
    Device, DeviceError, DroppedGate, MAX_CONTROL_CHANNELS, MAX_DT_NS, MAX_GATE_DT,
    MAX_PULSE_SAMPLES, MAX_QUBITS, MIN_DT_NS,
};
pub use lower::{
    DEFAULT_MAX_SCHEDULE_DT, Play, PlayOrigin, PulseLimits, PulseLowerError, PulseMode,
    PulseProgram, Waveform, lower_to_pulses, lower_to_pulses_with,
};
pub use scaled::ScaledDevice;
pub use shape::{Samples, Shape, ShapeError};
