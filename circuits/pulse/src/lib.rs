//! `eqisa-pulse` owns the pulse layer: device calibrations ([`device`], our TOML format, and [`ibm`], the importer
//! for IBM pulse defaults), pulse shapes by their published definitions ([`shape`]), and the
//! lowering of a [`NativeProgram`](eqisa_lower::program::NativeProgram) to per-channel waveform
//! plays ([`lower`]).
//!
//! Times inside a calibration and a pulse program are integer sample periods (`dt`), as the
//! hardware counts them; samples are complex baseband amplitudes (I + iQ) with |s| ≤ 1.

mod calibration;
pub mod device;
pub mod ibm;
mod load;
pub mod lower;
pub mod shape;
pub mod transmon;
pub use calibration::{Channel, ControlChannel, GateCal, Phase, QubitParams, ScheduleItem};
pub use device::{Device, DeviceError};
pub use lower::{
    Play, PlayOrigin, PulseLowerError, PulseMode, PulseProgram, Waveform, lower_to_pulses,
};
pub use shape::{Samples, Shape, ShapeError};
