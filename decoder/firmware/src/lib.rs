//! `eqisa-firmware`: the host-side (`std`) model of the controller that would run the decoder.
//!
//! It owns two things. The **firmware simulation** ([`simulate()`]): the real `no_std` decoders of
//! `eqisa-decoder` ([`eqisa_decoder::Decoder`], [`eqisa_decoder::PulseDecoder`]) run against a
//! modelled controller, and the [`FirmwareReport`] says whether every instruction and every play
//! is ready in time; [`synthetic`] builds large programs to simulate. The **energy model**
//! ([`energy`]): counted events to joules, heat per temperature stage and wall-plug power, from a
//! documented, overridable parameter file (`energy-model.toml`, next to this crate's manifest).
//!
//! # The controller
//!
//! - **Link.** The `.eqb` bytes cross a serial link of [`FirmwareParams::link_gbps`], in file
//!   order, from time 0, into an input FIFO (unbounded; the report gives its peak fill).
//! - **Decoder.** One decoder core at [`FirmwareParams::clock_mhz`] takes the file from the FIFO
//!   unit by unit (see below) and runs the real decoders on it. Its work is counted, not timed
//!   on the host: [`FirmwareParams::cycles_per_instr`] per instruction,
//!   [`FirmwareParams::cycles_per_pulse_item`] per pulse-section item (a memory waveform or a
//!   play), and one cycle per [`FirmwareParams::samples_per_cycle`] samples it reconstructs (memory
//!   waveforms once, inline plays each time). A unit's bytes stay in the FIFO until the decoder
//!   has finished the unit (the range decoder reads the block to its end).
//! - **Units.** The decoders check a block's CRC before releasing anything decoded from it, so a
//!   unit is the header, a whole program or metadata section, one instruction block, the pulse
//!   header, one pulse block, or the trailer: the decoder starts a unit when it is free and the
//!   unit's last byte has arrived.
//! - **Waveform memory.** The pulse section's memory waveforms are reconstructed once, when
//!   decoded. A memory play then costs the decoder one item: the channel's playback engine
//!   reads the samples from waveform memory at the sample clock and applies the play's
//!   rotation on the way to the DAC. An inline play is reconstructed by the decoder.
//! - **DACs.** One DAC per pulse channel, clocked at `1 / dt`, the sample period the program
//!   records in its program section (the device's; [`FirmwareParams::dt_ns`] may only confirm
//!   it). A play's samples must all be ready when the DAC needs its first one.
//! - **Loops.** A program with a control section decodes an outermost loop's text once into the
//!   replay buffer ([`FirmwareParams::cycles_per_instr`] per instruction, work without a deadline)
//!   and releases every iteration from it at [`FirmwareParams::cycles_per_replayed_instr`] per
//!   instruction, without input: replayed iterations take no link bytes. Real-time `while`
//!   conditions are answered by [`FirmwareParams::outcomes`] ([`Outcomes`]: seeded random or
//!   given), at most [`FirmwareParams::max_while_iterations`] iterations per loop (waiting for the
//!   measurement itself is not modelled).
//! - **Start-up buffer.** The schedule's time 0 is [`FirmwareParams::startup_ns`] after the first
//!   bit enters the link: the decoder has that head start. A fixed delay (rather than "after the
//!   first N bits") keeps the deadlines independent of the link rate, so a faster link can only
//!   remove underruns and the lowest rate is well defined.
//!
//! # Deadlines
//!
//! An instruction is due at `startup + start` (its ASAP or explicit schedule, ns); a play at
//! `startup + start · dt`. An item finished after its deadline is an underrun, counted once in
//! [`FirmwareReport::underruns`] and against each line it drives in [`FirmwareReport::channels`]
//! (an instruction against each of its qubits `q<n>`, a play against its channel `d<n>`,
//! `u<n>`, `m<n>`). Programs without a pulse section are the instruction stream alone.
//!
//! # Event-driven, in integer time
//!
//! Nothing is stepped per sample: each unit, instruction and play is one event on a timeline of
//! integer femtoseconds (link rates in whole bits per second, the clock period and `dt` rounded
//! to whole femtoseconds), so the same inputs give the same report on every machine. The cost
//! of a run is the real decoding of the file.
//!
//! # The lowest link rate, in closed form
//!
//! Unit `u`, whose bytes end at `e_u`, starts at `max(D_{u−1}, A(e_u))`, where `D` is when the
//! decoder finished the previous unit and `A(e) = ⌈8·e·10¹⁵ / R⌉` fs is when a link of `R` b/s
//! has delivered `e` bytes; each item then adds its fixed work. Unrolled, item `k` is done at
//! the largest `A(e_u) + P_k − P_u` over the units `u` up to its own, where `P_k` is the work up
//! to and including item `k` and `P_u` the work before unit `u`. Every deadline `d_k` is
//! therefore met exactly when, for every unit, `A(e_u) ≤ P_u + min over later items of
//! (d_k − P_k)`, which bounds `R` from below. The work and the deadlines do not depend on `R`,
//! so one pass gives the report at the given rate and [`FirmwareReport::min_link_gbps`], exact to
//! the bit per second; and since a faster link only moves arrivals earlier, underruns never
//! increase with the rate.
//!
//! # What is not modelled
//!
//! The decoder runs ahead as far as its input allows (no output back-pressure: decoded
//! instructions and inline samples wait in unbounded output buffers), one core does both
//! sections, a lossless waveform's samples cost the same as reconstructed ones, and the link has
//! no framing overhead or errors.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod framing;
mod outcomes;
mod params;
mod pulse_side;
mod report;
mod simulate;
mod state;
mod timeline;
mod units;

pub mod energy;
pub mod synthetic;

pub use error::FirmwareError;
pub use params::{
    DEFAULT_CLOCK_MHZ, DEFAULT_CYCLES_PER_INSTR, DEFAULT_CYCLES_PER_PULSE_ITEM,
    DEFAULT_CYCLES_PER_REPLAYED_INSTR, DEFAULT_DT_NS, DEFAULT_LINK_GBPS,
    DEFAULT_MAX_WHILE_ITERATIONS, DEFAULT_SAMPLES_PER_CYCLE, DEFAULT_STARTUP_NS, FirmwareParams,
    Outcomes,
};
pub use report::{ChannelReport, FirmwareReport};
pub use simulate::{REPLAY_ENTRY_BYTES, REPLAY_WORD_BYTES, min_link_gbps, simulate};
