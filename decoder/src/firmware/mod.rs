//! Firmware simulation (`std` feature): the real `no_std` decoders ([`Decoder`],
//! [`PulseDecoder`]) run against a modelled controller, and the report says whether every
//! instruction and every play is ready in time.
//!
//! # The controller
//!
//! - **Link.** The `.eqb` bytes cross a serial link of [`SimParams::link_gbps`], in file order,
//!   from time 0, into an input FIFO (unbounded; the report gives its peak fill).
//! - **Decoder.** One decoder core at [`SimParams::clock_mhz`] takes the file from the FIFO
//!   unit by unit (see below) and runs the real decoders on it. Its work is counted, not timed
//!   on the host: [`SimParams::cycles_per_instr`] per instruction,
//!   [`SimParams::cycles_per_pulse_item`] per pulse-section item (a memory waveform or a play),
//!   and one cycle per [`SimParams::samples_per_cycle`] samples it reconstructs (memory
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
//! - **DACs.** One DAC per pulse channel, clocked at `1 / dt` ([`SimParams::dt_ns`]; `dt` is not
//!   in the file). A play's samples must all be ready when the DAC needs its first one.
//! - **Start-up buffer.** The schedule's time 0 is [`SimParams::startup_ns`] after the first bit
//!   enters the link: the decoder has that head start. A fixed delay (rather than "after the
//!   first N bits") keeps the deadlines independent of the link rate, so a faster link can only
//!   remove underruns and the lowest rate is well defined.
//!
//! # Deadlines
//!
//! An instruction is due at `startup + start` (its ASAP or explicit schedule, ns); a play at
//! `startup + start · dt`. An item finished after its deadline is an underrun, counted once in
//! [`SimReport::underruns`] and against each line it drives in [`SimReport::channels`]
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
//! so one pass gives the report at the given rate and [`SimReport::min_link_gbps`], exact to the
//! bit per second; and since a faster link only moves arrivals earlier, underruns never
//! increase with the rate.
//!
//! # What is not modelled
//!
//! The decoder runs ahead as far as its input allows (no output back-pressure: decoded
//! instructions and inline samples wait in unbounded output buffers), one core does both
//! sections, a lossless waveform's samples cost the same as reconstructed ones, and the link has
//! no framing overhead or errors.

mod framing;
pub mod synthetic;
mod timeline;

use eqisa_isa::IsaError;
use eqisa_isa::instr::TimedInstr;
use eqisa_isa::model::Priors;
use eqisa_isa::pulse::{
    AtomSet, CodedWaveform, IDENTITY_ROTATION, PlayBody, PulseItem, PulseReader,
    reconstruction_work,
};
use serde::{Deserialize, Serialize};

use crate::{Decoder, Event, PulseDecoder, PulseEvent};
use framing::{Framer, PulseSpan};
use timeline::{FS_PER_NS, FS_PER_S, Timeline};

/// Default link rate, Gb/s: one 10 Gb/s serial lane (10GBASE-class SerDes).
pub const DEFAULT_LINK_GBPS: f64 = 10.0;
/// Default decoder clock, MHz: the fabric clock of an RFSoC-class controller FPGA.
pub const DEFAULT_CLOCK_MHZ: f64 = 500.0;
/// Default sample period, ns: IBM's 4.5 GS/s (`dt` = 2/9 ns, rounded).
pub const DEFAULT_DT_NS: f64 = 0.2222;
/// Default start-up delay, ns: 100 µs, enough for one full 32 KiB block at 2.6 Gb/s.
pub const DEFAULT_STARTUP_NS: f64 = 100_000.0;
/// Default cycles per instruction: about one binary decision of the range decoder per cycle,
/// and an instruction takes about 16 (condition flag, qubit, opcode tree, operands).
pub const DEFAULT_CYCLES_PER_INSTR: f64 = 16.0;
/// Default cycles per pulse-section item, as per instruction (channel, gap, slot, rotation).
pub const DEFAULT_CYCLES_PER_PULSE_ITEM: f64 = 16.0;
/// Default reconstructed samples per cycle: an 8-lane fixed-point datapath (8 complex samples
/// of 2–3 atom terms each is about 100 DSP multipliers, within a controller FPGA).
pub const DEFAULT_SAMPLES_PER_CYCLE: f64 = 8.0;

/// Bits per stored I/Q sample (two `i16`), for [`SimReport::waveform_memory_read_bits`].
const SAMPLE_BITS: u64 = 32;

/// The modelled controller (see the module documentation). Every field has a documented default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimParams {
    /// Link rate, Gb/s ([`DEFAULT_LINK_GBPS`]); simulated as a whole number of bits per second.
    pub link_gbps: f64,
    /// Decoder clock, MHz ([`DEFAULT_CLOCK_MHZ`]); its period is rounded to a whole femtosecond.
    pub clock_mhz: f64,
    /// DAC sample period, ns ([`DEFAULT_DT_NS`]); rounded to a whole femtosecond.
    pub dt_ns: f64,
    /// Time from the first bit on the link to the schedule's time 0, ns ([`DEFAULT_STARTUP_NS`]).
    pub startup_ns: f64,
    /// Decoder cycles per instruction ([`DEFAULT_CYCLES_PER_INSTR`]).
    pub cycles_per_instr: f64,
    /// Decoder cycles per pulse-section item ([`DEFAULT_CYCLES_PER_PULSE_ITEM`]).
    pub cycles_per_pulse_item: f64,
    /// Samples the decoder reconstructs per cycle ([`DEFAULT_SAMPLES_PER_CYCLE`]).
    pub samples_per_cycle: f64,
}

impl Default for SimParams {
    fn default() -> Self {
        SimParams {
            link_gbps: DEFAULT_LINK_GBPS,
            clock_mhz: DEFAULT_CLOCK_MHZ,
            dt_ns: DEFAULT_DT_NS,
            startup_ns: DEFAULT_STARTUP_NS,
            cycles_per_instr: DEFAULT_CYCLES_PER_INSTR,
            cycles_per_pulse_item: DEFAULT_CYCLES_PER_PULSE_ITEM,
            samples_per_cycle: DEFAULT_SAMPLES_PER_CYCLE,
        }
    }
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A parameter outside its range.
    #[error("simulation parameter {name} = {value}: {why}")]
    Param {
        /// The [`SimParams`] field.
        name: &'static str,
        /// Its value.
        value: f64,
        /// What it must be.
        why: &'static str,
    },
    /// The file is not a valid program for this codebook (as the decoders report it).
    #[error(transparent)]
    Decode(#[from] IsaError),
    /// The decoder took no bytes although it asked for more.
    #[error("the decoder stalled at byte {at}")]
    Stalled {
        /// Bytes fed so far.
        at: usize,
    },
    /// The pulse decoder and the section's own items disagree (a bug, not bad input).
    #[error("pulse decoding is inconsistent: {0}")]
    Inconsistent(&'static str),
    /// Building a synthetic program failed ([`synthetic`]).
    #[error("synthetic program: {0}")]
    Synthetic(&'static str),
}

/// One output line: a qubit (`q<n>`, its instructions) or a pulse channel (`d<n>`, `u<n>`,
/// `m<n>`, its plays).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChannelReport {
    /// `q3`, `d0`, `u1`, `m2`, ...
    pub name: String,
    /// Instructions (qubits) or plays (pulse channels) it carries.
    pub outputs: u64,
    /// Of those, how many were not ready by their deadline.
    pub underruns: u64,
    /// Latest readiness relative to the deadline, ns (negative: the smallest margin).
    pub worst_lateness_ns: f64,
}

/// What a simulation found. The keys `underruns`, `peak_fifo_bits`, `min_link_gbps` and
/// `latency_ns` are what scripts rely on; the counted events at the end feed the energy model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimReport {
    /// Instructions and plays not ready by their deadline, each counted once.
    pub underruns: u64,
    /// Most bits held in the input FIFO at once (arrived, not yet decoded).
    pub peak_fifo_bits: u64,
    /// The lowest link rate (Gb/s) at which nothing underruns, with the same other parameters:
    /// exact to the bit per second. 0 when nothing has a deadline; `null` when no link rate is
    /// enough (the decoder's own work or the start-up delay is the limit).
    pub min_link_gbps: Option<f64>,
    /// [`SimReport::peak_fifo_bits`] with the link at [`SimReport::min_link_gbps`]: the FIFO
    /// the program needs when the link is just fast enough (at a faster link the FIFO fills
    /// with whatever the decoder has not reached yet: the link is not flow-controlled).
    pub peak_fifo_bits_at_min_link: Option<u64>,
    /// First bit into the link to the first output out of the decoder, ns: the first play's
    /// samples ready (the first instruction in programs without plays). `null` with no output.
    pub latency_ns: Option<f64>,
    /// Latest readiness of any output relative to its deadline, ns (positive: the worst
    /// underrun; negative: the smallest margin).
    pub worst_lateness_ns: Option<f64>,
    /// The shortest start-up delay with no underrun at this link rate, ns.
    pub min_startup_ns: Option<f64>,
    /// The parameters simulated.
    pub params: SimParams,
    /// End of the schedule (last instruction or play), ns after its time 0.
    pub schedule_ns: f64,
    /// When the decoder finished the file (trailer checked), ns after the first bit.
    pub decode_end_ns: f64,
    /// Time the decoder was busy, ns.
    pub decoder_busy_ns: f64,
    /// The file's bits over the schedule's length, Gb/s: the link rate real-time streaming
    /// needs on average (`null` for an empty schedule).
    pub average_gbps: Option<f64>,
    /// Per qubit line and pulse channel.
    pub channels: Vec<ChannelReport>,
    /// Counted: bits over the link (the whole file).
    pub link_bits: u64,
    /// Counted: instructions decoded.
    pub instructions_decoded: u64,
    /// Counted: pulse-section items decoded (memory waveforms and plays).
    pub pulse_items_decoded: u64,
    /// Counted: plays.
    pub plays: u64,
    /// Counted: memory plays (read from waveform memory).
    pub memory_plays: u64,
    /// Waveforms in the waveform memory.
    pub memory_waveforms: u64,
    /// Samples in the waveform memory (its size).
    pub waveform_memory_samples: u64,
    /// Counted: samples the decoder reconstructed (memory waveforms once, inline plays).
    pub reconstructed_samples: u64,
    /// Counted: samples read from waveform memory by memory plays.
    pub memory_read_samples: u64,
    /// Counted: atom samples read by the reconstruction (one per term per sample).
    pub atom_read_samples: u64,
    /// Counted: bits read from waveform and atom memory, 32 per sample.
    pub waveform_memory_read_bits: u64,
    /// Counted: fixed-point multiply-adds: 4 per atom term per sample (a complex product), and
    /// 4 per sample of a rotated memory play.
    pub multiply_adds: u64,
    /// Counted: samples in plays.
    pub played_samples: u64,
    /// Counted: samples converted by the DACs, summed over channels: every channel's DAC runs
    /// at the sample clock from time 0 to the end of the last play (zeros between plays).
    pub dac_samples: u64,
    /// Counted: decoder cycles.
    pub decoder_cycles: u64,
}

/// The parameters in integer units.
#[derive(Clone, Copy, Debug)]
struct Units {
    rate_bps: i128,
    startup_fs: i128,
    period_fs: i128,
    dt_fs: i128,
    instr_fs: i128,
    item_fs: i128,
    samples_per_cycle: f64,
}

fn check(name: &'static str, value: f64, ok: bool, why: &'static str) -> Result<(), SimError> {
    if value.is_finite() && ok {
        Ok(())
    } else {
        Err(SimError::Param { name, value, why })
    }
}

impl Units {
    fn new(p: &SimParams) -> Result<Self, SimError> {
        check(
            "link_gbps",
            p.link_gbps,
            p.link_gbps >= 1e-9 && p.link_gbps <= 1e6,
            "must be between 1e-9 and 1e6 Gb/s",
        )?;
        check(
            "clock_mhz",
            p.clock_mhz,
            p.clock_mhz >= 1e-3 && p.clock_mhz <= 1e8,
            "must be between 0.001 and 1e8 MHz",
        )?;
        check(
            "dt_ns",
            p.dt_ns,
            p.dt_ns >= 1e-5 && p.dt_ns <= 1e6,
            "must be between 1e-5 and 1e6 ns",
        )?;
        check(
            "startup_ns",
            p.startup_ns,
            p.startup_ns >= 0.0 && p.startup_ns <= 1e13,
            "must be between 0 and 1e13 ns",
        )?;
        for (name, v) in [
            ("cycles_per_instr", p.cycles_per_instr),
            ("cycles_per_pulse_item", p.cycles_per_pulse_item),
        ] {
            check(
                name,
                v,
                (0.0..=1e9).contains(&v),
                "must be between 0 and 1e9",
            )?;
        }
        check(
            "samples_per_cycle",
            p.samples_per_cycle,
            p.samples_per_cycle >= 1e-6 && p.samples_per_cycle <= 1e9,
            "must be between 1e-6 and 1e9",
        )?;
        let period_fs = (1e9 / p.clock_mhz).round() as i128;
        Ok(Units {
            rate_bps: ((p.link_gbps * 1e9).round() as i128).max(1),
            startup_fs: ns_to_fs(p.startup_ns),
            period_fs,
            dt_fs: ns_to_fs(p.dt_ns).max(1),
            instr_fs: (p.cycles_per_instr * period_fs as f64).round() as i128,
            item_fs: (p.cycles_per_pulse_item * period_fs as f64).round() as i128,
            samples_per_cycle: p.samples_per_cycle,
        })
    }

    /// Work to reconstruct `n` samples (fs).
    fn samples_fs(&self, n: u64) -> i128 {
        (n as f64 * self.period_fs as f64 / self.samples_per_cycle).ceil() as i128
    }
}

/// Nanoseconds to femtoseconds, clamped to ±10³⁰ fs (3·10⁷ years) so that no sum of times can
/// overflow, whatever times a file carries.
fn ns_to_fs(ns: f64) -> i128 {
    (ns * FS_PER_NS).round().clamp(-1e30, 1e30) as i128
}

fn fs_to_ns(fs: i128) -> f64 {
    fs as f64 / FS_PER_NS
}

/// Per-line tallies.
#[derive(Clone, Copy, Debug, Default)]
struct Line {
    outputs: u64,
    underruns: u64,
    worst: Option<i128>,
}

impl Line {
    fn record(&mut self, late: i128) {
        self.outputs += 1;
        self.underruns += u64::from(late > 0);
        self.worst = Some(self.worst.map_or(late, |w| w.max(late)));
    }
}

/// Everything the decoders' events update.
#[derive(Debug)]
struct State {
    u: Units,
    tl: Timeline,
    qubits: Vec<Line>,
    channels: Vec<(String, Line)>,
    first_instr_done: Option<i128>,
    first_play_done: Option<i128>,
    /// End of the schedule's instructions (fs after time 0).
    instr_end_fs: i128,
    /// End of the last play (samples).
    play_end: u64,
    instructions: u64,
    pulse_items: u64,
    plays: u64,
    memory_plays: u64,
    memory_waveforms: u64,
    memory_samples: u64,
    reconstructed: u64,
    memory_reads: u64,
    atom_reads: u64,
    macs: u64,
    played: u64,
}

impl State {
    fn instr(&mut self, t: &TimedInstr<'_>) {
        self.tl.work(self.u.instr_fs);
        let (late, done) = self.tl.due(self.u.startup_fs + ns_to_fs(t.start_ns));
        self.first_instr_done.get_or_insert(done);
        for &q in t.instr.qubits {
            if let Some(line) = self.qubits.get_mut(q as usize) {
                line.record(late);
            }
        }
        self.instr_end_fs = self.instr_end_fs.max(ns_to_fs(t.start_ns + t.duration_ns));
        self.instructions += 1;
    }

    /// Counts the reconstruction of a coded waveform of `len` samples and returns its work.
    fn reconstruct(&mut self, wf: &CodedWaveform, window: usize, len: u64) -> i128 {
        self.reconstructed += len;
        let work = reconstruction_work(wf, window);
        self.atom_reads += work.atom_samples_read;
        self.macs += work.multiply_adds;
        self.u.samples_fs(len)
    }

    fn memory_waveform(&mut self, wf: &CodedWaveform, window: usize, len: u64) {
        let work = self.u.item_fs + self.reconstruct(wf, window, len);
        self.tl.work(work);
        self.pulse_items += 1;
        self.memory_waveforms += 1;
        self.memory_samples += len;
    }

    fn play(&mut self, channel: u32, start: u64, len: u64, body: &PlayBody, window: usize) {
        let mut work = self.u.item_fs;
        match body {
            PlayBody::Memory { rotation, .. } => {
                self.memory_plays += 1;
                self.memory_reads += len;
                if *rotation != IDENTITY_ROTATION {
                    self.macs += 4 * len;
                }
            }
            PlayBody::Inline(wf) => work += self.reconstruct(wf, window, len),
        }
        self.tl.work(work);
        let deadline = self.u.startup_fs + i128::from(start) * self.u.dt_fs;
        let (late, done) = self.tl.due(deadline);
        self.first_play_done.get_or_insert(done);
        if let Some((_, line)) = self.channels.get_mut(channel as usize) {
            line.record(late);
        }
        self.play_end = self.play_end.max(start.saturating_add(len));
        self.pulse_items += 1;
        self.plays += 1;
        self.played += len;
    }
}

/// The pulse section's decoder, and a reader of the same verified bytes that says how each
/// play was coded (memory or inline), which [`crate::Play`] does not.
struct PulseSide<'a> {
    span: PulseSpan,
    dec: PulseDecoder<'a>,
    reader: Option<PulseReader<'a>>,
    payload: &'a [u8],
    atoms: Option<&'a AtomSet>,
    memory_seen: usize,
    ended: bool,
}

impl<'a> PulseSide<'a> {
    fn new(bytes: &'a [u8], span: PulseSpan, atoms: Option<&'a AtomSet>) -> Result<Self, SimError> {
        let payload = bytes
            .get(span.start..span.end.min(bytes.len()))
            .unwrap_or(&[]);
        Ok(PulseSide {
            dec: PulseDecoder::new(atoms, &span.header, span.index)?,
            span,
            reader: None,
            payload,
            atoms,
            memory_seen: 0,
            ended: false,
        })
    }

    fn window(&self) -> usize {
        self.atoms.map_or(1, |a| a.window)
    }

    /// The next item of the section, as the reader decodes it.
    fn next_item(&mut self) -> Result<PulseItem, SimError> {
        if self.reader.is_none() {
            self.reader = Some(PulseReader::new(self.payload, self.atoms)?);
        }
        self.reader
            .as_mut()
            .ok_or(SimError::Inconsistent("no pulse reader"))?
            .next_item()?
            .ok_or(SimError::Inconsistent(
                "the decoder released more items than the section holds",
            ))
    }

    /// Accounts for the memory waveforms the decoder has reconstructed since the last call.
    fn sync_memory(&mut self, st: &mut State) -> Result<(), SimError> {
        while let Some(len) = self.dec.memory().get(self.memory_seen).map(Vec::len) {
            let PulseItem::Memory(wf) = self.next_item()? else {
                return Err(SimError::Inconsistent(
                    "a memory waveform the reader sees as a play",
                ));
            };
            if wf.len() != len {
                return Err(SimError::Inconsistent("a memory waveform's length"));
            }
            st.memory_waveform(&wf, self.window(), len as u64);
            self.memory_seen += 1;
        }
        Ok(())
    }

    /// Feeds the part of `bytes[from..to]` that is the pulse payload and handles what comes out.
    fn pump(
        &mut self,
        st: &mut State,
        bytes: &[u8],
        from: usize,
        to: usize,
    ) -> Result<(), SimError> {
        let (a, b) = (from.max(self.span.start), to.min(self.span.end));
        if a >= b || self.ended {
            return Ok(());
        }
        let mut rest = bytes.get(a..b).unwrap_or(&[]);
        loop {
            match self.dec.next_event()? {
                PulseEvent::Play(p) => {
                    let (channel, start, len) = (p.channel_index, p.start, p.samples.len() as u64);
                    self.sync_memory(st)?;
                    let PulseItem::Play(code) = self.next_item()? else {
                        return Err(SimError::Inconsistent(
                            "a play the reader sees as a memory waveform",
                        ));
                    };
                    if code.channel != channel || code.start != start {
                        return Err(SimError::Inconsistent("a play's channel or start"));
                    }
                    st.play(channel, start, len, &code.body, self.window());
                }
                PulseEvent::NeedInput => {
                    self.sync_memory(st)?;
                    if rest.is_empty() {
                        return Ok(());
                    }
                    let n = self.dec.feed(rest);
                    if n == 0 {
                        return Err(SimError::Stalled { at: b - rest.len() });
                    }
                    rest = rest.get(n..).unwrap_or(&[]);
                }
                PulseEvent::End => {
                    self.sync_memory(st)?;
                    self.ended = true;
                    return Ok(());
                }
            }
        }
    }
}

/// Feeds `chunk` to the instruction decoder and handles every instruction it releases.
/// Returns whether the decoder reached the end of the file.
fn pump_instructions(
    dec: &mut Decoder<'_>,
    st: &mut State,
    chunk: &[u8],
    at: usize,
) -> Result<bool, SimError> {
    let mut rest = chunk;
    loop {
        dec.drain_block(|t| st.instr(t))?;
        match dec.next_event()? {
            Event::Instr(t) => st.instr(&t),
            Event::NeedInput => {
                if rest.is_empty() {
                    return Ok(false);
                }
                let n = dec.feed(rest);
                if n == 0 {
                    return Err(SimError::Stalled {
                        at: at + chunk.len() - rest.len(),
                    });
                }
                rest = rest.get(n..).unwrap_or(&[]);
            }
            Event::End => {
                if !rest.is_empty() {
                    return Err(IsaError::TrailingBytes(rest.len()).into());
                }
                return Ok(true);
            }
        }
    }
}

/// Simulates the program `bytes` (a whole `.eqb`) on the modelled controller.
///
/// `priors` and `codebook_hash` are the codebook's (as for [`Decoder::new`]), `atoms` its pulse
/// atoms (needed when the pulse section has sparse waveforms).
///
/// # Errors
/// [`SimError::Param`] for a parameter out of range; [`SimError::Decode`] for any file the
/// decoders reject (truncated, corrupted, another codebook's, missing atoms), never a panic.
pub fn simulate(
    bytes: &[u8],
    priors: &Priors,
    codebook_hash: [u8; 32],
    atoms: Option<&AtomSet>,
    params: &SimParams,
) -> Result<SimReport, SimError> {
    let u = Units::new(params)?;
    let mut st = State {
        u,
        tl: Timeline::new(u.rate_bps, bytes.len()),
        qubits: Vec::new(),
        channels: Vec::new(),
        first_instr_done: None,
        first_play_done: None,
        instr_end_fs: 0,
        play_end: 0,
        instructions: 0,
        pulse_items: 0,
        plays: 0,
        memory_plays: 0,
        memory_waveforms: 0,
        memory_samples: 0,
        reconstructed: 0,
        memory_reads: 0,
        atom_reads: 0,
        macs: 0,
        played: 0,
    };
    let mut dec = Decoder::new(priors, codebook_hash);
    let mut pulse: Option<PulseSide<'_>> = None;
    let mut framer = Framer::new(bytes);
    let mut fed = 0usize;
    let mut ended = false;
    loop {
        // A framing the framer cannot read is handed to the decoders whole: their error names
        // the problem as `eqisa decode` would.
        let (end, framing_error) = match framer.next_end() {
            Ok(Some(end)) => (end.min(bytes.len()).max(fed), None),
            Ok(None) => break,
            Err(e) => (bytes.len(), Some(e)),
        };
        if let Some(span) = framer.take_pulse() {
            pulse = Some(PulseSide::new(bytes, span, atoms)?);
        }
        if st.qubits.is_empty()
            && let Some(pre) = dec.preamble()
        {
            st.qubits = vec![Line::default(); pre.header.qubit_count as usize];
        }
        if let Some(p) = &pulse
            && st.channels.is_empty()
            && let Some(h) = p.dec.header()
        {
            st.channels = h
                .channels
                .iter()
                .map(|c| (c.to_string(), Line::default()))
                .collect();
        }
        st.tl.begin(end);
        let chunk = bytes.get(fed..end).unwrap_or(&[]);
        ended |= pump_instructions(&mut dec, &mut st, chunk, fed)?;
        if let Some(p) = pulse.as_mut() {
            p.pump(&mut st, bytes, fed, end)?;
        }
        fed = end;
        st.tl.end();
        if let Some(e) = framing_error {
            dec.finish()?;
            return Err(e.into());
        }
    }
    if fed < bytes.len() {
        return Err(IsaError::TrailingBytes(bytes.len() - fed).into());
    }
    // Without the end, this is the decoder's "truncated" error.
    dec.finish()?;
    if !ended {
        return Err(SimError::Inconsistent(
            "the decoder did not reach the end of the file",
        ));
    }
    if let Some(p) = &pulse
        && !p.ended
    {
        return Err(SimError::Inconsistent(
            "the pulse section did not end with the file",
        ));
    }
    Ok(report(st, params, bytes.len()))
}

/// The lowest link rate (Gb/s) at which `bytes` runs without underruns on the controller of
/// `params` (whose `link_gbps` is ignored): [`SimReport::min_link_gbps`].
///
/// # Errors
/// As [`simulate`].
pub fn min_link_gbps(
    bytes: &[u8],
    priors: &Priors,
    codebook_hash: [u8; 32],
    atoms: Option<&AtomSet>,
    params: &SimParams,
) -> Result<Option<f64>, SimError> {
    simulate(bytes, priors, codebook_hash, atoms, params).map(|r| r.min_link_gbps)
}

fn report(st: State, params: &SimParams, file_bytes: usize) -> SimReport {
    let u = st.u;
    let line = |name: String, l: &Line| ChannelReport {
        name,
        outputs: l.outputs,
        underruns: l.underruns,
        worst_lateness_ns: fs_to_ns(l.worst.unwrap_or(0)),
    };
    let mut channels: Vec<ChannelReport> = st
        .qubits
        .iter()
        .enumerate()
        .filter(|(_, l)| l.outputs > 0)
        .map(|(q, l)| line(format!("q{q}"), l))
        .collect();
    channels.extend(
        st.channels
            .iter()
            .filter(|(_, l)| l.outputs > 0)
            .map(|(name, l)| line(name.clone(), l)),
    );
    let schedule_fs = st.instr_end_fs.max(i128::from(st.play_end) * u.dt_fs);
    let link_bits = 8 * file_bytes as u64;
    let first = st.first_play_done.or(st.first_instr_done);
    let worst = st.tl.worst_lateness();
    let min_rate = st.tl.min_rate_bps();
    SimReport {
        underruns: st.tl.underruns(),
        peak_fifo_bits: u64::try_from(st.tl.peak_fifo_bits()).unwrap_or(u64::MAX),
        min_link_gbps: min_rate.map(|r| r as f64 / 1e9),
        peak_fifo_bits_at_min_link: min_rate
            .filter(|&r| r > 0)
            .map(|r| u64::try_from(st.tl.peak_fifo_bits_at(r)).unwrap_or(u64::MAX)),
        latency_ns: first.map(fs_to_ns),
        worst_lateness_ns: worst.map(fs_to_ns),
        min_startup_ns: worst.map(|w| fs_to_ns((u.startup_fs + w).max(0))),
        params: params.clone(),
        schedule_ns: fs_to_ns(schedule_fs),
        decode_end_ns: fs_to_ns(st.tl.busy_until()),
        decoder_busy_ns: fs_to_ns(st.tl.total_work()),
        average_gbps: (schedule_fs > 0)
            .then(|| link_bits as f64 * FS_PER_S as f64 / schedule_fs as f64 / 1e9),
        channels,
        link_bits,
        instructions_decoded: st.instructions,
        pulse_items_decoded: st.pulse_items,
        plays: st.plays,
        memory_plays: st.memory_plays,
        memory_waveforms: st.memory_waveforms,
        waveform_memory_samples: st.memory_samples,
        reconstructed_samples: st.reconstructed,
        memory_read_samples: st.memory_reads,
        atom_read_samples: st.atom_reads,
        waveform_memory_read_bits: (st.memory_reads + st.atom_reads) * SAMPLE_BITS,
        multiply_adds: st.macs,
        played_samples: st.played,
        dac_samples: st.channels.len() as u64 * st.play_end,
        decoder_cycles: u64::try_from((st.tl.total_work() + u.period_fs / 2) / u.period_fs.max(1))
            .unwrap_or(u64::MAX),
    }
}
