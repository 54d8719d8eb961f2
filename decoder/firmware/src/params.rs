//! The modelled controller's parameters and their defaults.

use serde::{Deserialize, Serialize};

/// Default link rate, Gb/s: one 10 Gb/s serial lane (10GBASE-class SerDes).
pub const DEFAULT_LINK_GBPS: f64 = 10.0;
/// Default decoder clock, MHz: the fabric clock of an RFSoC-class controller FPGA.
pub const DEFAULT_CLOCK_MHZ: f64 = 500.0;
/// IBM's sample period, ns (4.5 GS/s, `dt` = 2/9 ns, rounded): what synthetic programs use.
/// A real program's `dt` is the one it records (see [`FirmwareParams::dt_ns`]).
pub const DEFAULT_DT_NS: f64 = 0.2222;
/// Default start-up delay, ns: 100 µs, enough for one full 32 KiB block at 2.6 Gb/s.
pub const DEFAULT_STARTUP_NS: f64 = 100_000.0;
/// Default cycles per instruction: about one binary decision of the range decoder per cycle,
/// and an instruction takes about 16 (condition flag, qubit, opcode tree, operands).
pub const DEFAULT_CYCLES_PER_INSTR: f64 = 16.0;
/// Default cycles per pulse-section item, as per instruction (channel, gap, slot, rotation).
pub const DEFAULT_CYCLES_PER_PULSE_ITEM: f64 = 16.0;
/// Default cycles per instruction replayed from the replay buffer: no range decoding, one read
/// of the buffered entry (a 16-byte entry and its operand words over a 128-bit port) and one
/// step of the ASAP scheduler (the latest of its qubits' clocks plus its duration).
pub const DEFAULT_CYCLES_PER_REPLAYED_INSTR: f64 = 2.0;
/// Default cap on the iterations of one real-time `while` loop: a million, far above what any
/// repeat-until-success loop needs with a reasonable success probability.
pub const DEFAULT_MAX_WHILE_ITERATIONS: u64 = 1_000_000;
/// Default reconstructed samples per cycle: an 8-lane fixed-point datapath (8 complex samples
/// of 2–3 atom terms each is about 100 DSP multipliers, within a controller FPGA).
pub const DEFAULT_SAMPLES_PER_CYCLE: f64 = 8.0;

/// The modelled controller (see the crate documentation). Every field has a documented default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FirmwareParams {
    /// Link rate, Gb/s ([`DEFAULT_LINK_GBPS`]); simulated as a whole number of bits per second.
    pub link_gbps: f64,
    /// Decoder clock, MHz ([`DEFAULT_CLOCK_MHZ`]); its period is rounded to a whole femtosecond.
    pub clock_mhz: f64,
    /// DAC sample period, ns, rounded to a whole femtosecond. `None` (the default): the `dt`
    /// the program records in its program section, the device's sample period it was
    /// assembled for. `Some`: a check that the program was made for this `dt`; one that
    /// disagrees with the recorded value is an error ([`FirmwareError::DtMismatch`](crate::FirmwareError::DtMismatch)),
    /// never silently used.
    pub dt_ns: Option<f64>,
    /// Time from the first bit on the link to the schedule's time 0, ns ([`DEFAULT_STARTUP_NS`]).
    pub startup_ns: f64,
    /// Decoder cycles per instruction ([`DEFAULT_CYCLES_PER_INSTR`]).
    pub cycles_per_instr: f64,
    /// Decoder cycles per pulse-section item ([`DEFAULT_CYCLES_PER_PULSE_ITEM`]).
    pub cycles_per_pulse_item: f64,
    /// Samples the decoder reconstructs per cycle ([`DEFAULT_SAMPLES_PER_CYCLE`]).
    pub samples_per_cycle: f64,
    /// Decoder cycles per instruction released from the replay buffer
    /// ([`DEFAULT_CYCLES_PER_REPLAYED_INSTR`]); decoding a loop's text into the buffer costs
    /// [`FirmwareParams::cycles_per_instr`] per instruction, as any decoded instruction.
    pub cycles_per_replayed_instr: f64,
    /// Where real-time `while` loops' conditions come from ([`Outcomes`]; the default is a fair
    /// coin with seed 0).
    pub outcomes: Outcomes,
    /// Most iterations one real-time `while` loop may run before the simulation stops with
    /// [`FirmwareError::WhileCap`](crate::FirmwareError::WhileCap)
    /// ([`DEFAULT_MAX_WHILE_ITERATIONS`]).
    pub max_while_iterations: u64,
}

/// Where the simulation takes the answers to real-time `while` conditions (the measurement
/// outcomes a controller would have). Each answer says whether the loop runs another iteration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcomes {
    /// Each answer `true` with probability `p_true` (in `[0, 1]`), independently, from a
    /// SplitMix64 generator seeded with `seed`: the same seed gives the same run.
    Random {
        /// The generator's seed.
        seed: u64,
        /// Probability that a condition holds (the loop iterates again).
        p_true: f64,
    },
    /// These answers, in the order the decoder asks; asking for more is
    /// [`FirmwareError::OutOfOutcomes`](crate::FirmwareError::OutOfOutcomes).
    Given(Vec<bool>),
}

impl Default for Outcomes {
    fn default() -> Self {
        Outcomes::Random {
            seed: 0,
            p_true: 0.5,
        }
    }
}

impl Default for FirmwareParams {
    fn default() -> Self {
        FirmwareParams {
            link_gbps: DEFAULT_LINK_GBPS,
            clock_mhz: DEFAULT_CLOCK_MHZ,
            dt_ns: None,
            startup_ns: DEFAULT_STARTUP_NS,
            cycles_per_instr: DEFAULT_CYCLES_PER_INSTR,
            cycles_per_pulse_item: DEFAULT_CYCLES_PER_PULSE_ITEM,
            samples_per_cycle: DEFAULT_SAMPLES_PER_CYCLE,
            cycles_per_replayed_instr: DEFAULT_CYCLES_PER_REPLAYED_INSTR,
            outcomes: Outcomes::default(),
            max_while_iterations: DEFAULT_MAX_WHILE_ITERATIONS,
        }
    }
}
