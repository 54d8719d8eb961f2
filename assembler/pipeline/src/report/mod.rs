//! The measurements behind `eqisa report`: each circuit placed on a device and coded by every
//! encoding, and for each encoding its bits, link bandwidth, energy, fidelity and the qubits one
//! link serves ([`analyse`]); the events each encoding costs ([`events`]).

pub mod analyse;
pub mod events;
