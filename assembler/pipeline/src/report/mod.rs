//! The measurements behind `eqisa report`: what every circuit shares ([`setup`]), each circuit
//! placed on a device and coded by every encoding, with its bits, link bandwidth, energy,
//! fidelity and the qubits one link serves ([`analyse`]), many circuits and their totals
//! ([`batch`]), the events each encoding costs ([`events`]), and the whole report with the
//! controllers its circuits need and their job, in the JSON shape every front end returns
//! ([`full`]).

pub mod analyse;
pub mod batch;
pub mod events;
pub mod full;
pub mod setup;

pub use batch::{DeviceMemory, Report, ReportProgress, ReportScope, report};
pub use full::{FullReport, ReportOptions, run_report};
pub use setup::{Setup, SetupOptions};
