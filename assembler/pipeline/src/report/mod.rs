//! The measurements behind `eqisa report`: what every circuit shares ([`setup`]), each circuit
//! placed on a device and coded by every encoding, with its bits, link bandwidth, energy,
//! fidelity and the qubits one link serves ([`analyse`]), many circuits and their totals
//! ([`batch`]), and the events each encoding costs ([`events`]).

pub mod analyse;
pub mod batch;
pub mod events;
pub mod setup;

pub use batch::{DeviceMemory, Report, ReportProgress, ReportScope, report};
pub use setup::{Setup, SetupOptions};
