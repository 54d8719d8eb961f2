//! The measurements behind `eqisa report`: one circuit placed on a device, coded by every
//! encoding (the same encoders `assemble --pulses` and `pulses` run), and for each encoding its
//! bits, the link bandwidth it needs in real time, its energy and heat from the energy model,
//! its fidelity, and how many qubits one link serves.

use std::path::Path;

use eqisa_assembler::assemble_with_pulses;
use eqisa_assembler::encode::{instr_of, program_info};
use eqisa_assembler::pulses::{EncodedPulses, WaveformCoder, encode_program};
use eqisa_encode::code_all;
use eqisa_firmware::energy::{Events, Stage};
use eqisa_firmware::{FirmwareParams, FirmwareReport, simulate};
use eqisa_isa::coder::{Cdf, Coder, RangeEncoder};
use eqisa_isa::model::Model;
use serde::Serialize;
use serde::ser::SerializeMap;

use super::events::{Counts, Encoding, Level, section_counts};
use super::setup::Setup;
use crate::error::PipelineError;
use crate::measure::{Bits, PaperRequest, PaperRow, measure, paper_budget, paper_row};
use crate::{LoadedCodebook as Loaded, Placed, place};

/// A circuit placed and coded under every encoding.
pub struct Analysed {
    /// The file, as given.
    pub file: String,
    /// The circuit's qubits (what "per qubit" means in the scaling).
    pub qubits: u32,
    /// The lowering's whole-circuit fidelity bound.
    pub fidelity_bound: f64,
    /// The whole-circuit fidelity every encoding is held to: the lowering's budget (see
    /// [`paper_budget`]).
    pub budget: f64,
    /// The routed program and its pulses.
    pub placed: Placed,
    /// Instruction-level bits, as `assemble --pulses` measures them.
    pub bits: Bits,
    /// The paper's pipeline on the circuit (`None`: skipped, or classical control).
    pub paper: Option<PaperRow>,
    /// Our pulse section and the pulse baselines.
    pub pulses: EncodedPulses,
    /// The counts the event models use.
    pub counts: Counts,
    /// The firmware simulation of our instruction stream alone (the `.eqb` without its pulse
    /// section, whose size is the `eqisa` row's bits).
    pub sim_instructions: FirmwareReport,
    /// The firmware simulation of the whole `.eqb` (instruction stream and pulse section).
    pub sim_whole: FirmwareReport,
}

impl Analysed {
    /// The schedule's duration on the device, ns.
    pub fn duration_ns(&self) -> f64 {
        self.placed.pulses.duration as f64 * self.placed.pulses.dt_ns
    }
}

/// What became of one file.
pub enum Outcome {
    /// Placed, coded and measured.
    Done(Box<Analysed>),
    /// It could not be placed on the device (too many qubits, no route, nothing to play).
    Skipped {
        /// The file, as given.
        file: String,
        /// Why.
        reason: String,
    },
}

/// A range "coder" that encodes for real (so that the model adapts exactly as the assembler's)
/// and counts the steps the range decoder takes for the same stream.
struct StepCounter {
    enc: RangeEncoder,
    steps: u64,
}

impl Coder for StepCounter {
    const DECODING: bool = false;

    fn bit(&mut self, p: &mut u16, bit: bool) -> bool {
        self.steps += 1;
        self.enc.bit(p, bit)
    }

    fn direct(&mut self, value: u64, n: u32) -> u64 {
        self.steps += u64::from(n.min(64).div_ceil(super::events::DIRECT_CHUNK_BITS));
        self.enc.direct(value, n)
    }

    /// The decoder takes one step per multi-symbol choice (`eqisa_isa::coder::SymbolDecoder`); the
    /// distribution adapts exactly as in the real coder.
    fn symbol(&mut self, cdf: &mut Cdf, s: usize) -> usize {
        self.steps += 1;
        self.enc.symbol(cdf, s)
    }
}

/// Range-decoder steps of `placed.program`'s instruction stream under `cb`'s model: the
/// assembler's own plan and loop ([`code_all`]) over a counting coder.
fn decoder_steps(placed: &Placed, cb: &Loaded) -> Result<u64, PipelineError> {
    let p = &placed.program;
    let info = program_info(p, &placed.target).map_err(|e| PipelineError::Report(e.to_string()))?;
    let mut model = Model::new(&cb.codebook.priors, info.params)
        .map_err(|e| PipelineError::Report(e.to_string()))?;
    let mut c = StepCounter {
        enc: RangeEncoder::new(),
        steps: 0,
    };
    let instrs = p
        .ops
        .iter()
        .enumerate()
        .map(|(i, op)| Ok((instr_of(p, i, op)?, (op.start_ns, op.duration_ns))))
        .collect::<Result<Vec<_>, eqisa_assembler::AssembleError>>()
        .map_err(|e| PipelineError::Report(e.to_string()))?;
    code_all(&mut model, &mut c, &cb.codebook.priors.words, instrs)
        .map_err(|e| PipelineError::Report(e.to_string()))?;
    Ok(c.steps)
}

/// Place, code and measure `file`. Errors (unreadable or invalid files, encoder failures) name
/// the file; a circuit the device cannot run is [`Outcome::Skipped`].
pub fn analyse(file: &Path, setup: &Setup<'_>) -> Result<Outcome, PipelineError> {
    let name = file.display().to_string();
    // A bad path or a parse error is the user's to fix: an error, not a skip.
    let circuit = crate::load_circuit(file).map_err(|e| PipelineError::Report(e.to_string()))?;
    let placed = match place(&circuit, &name, &setup.lowering, &setup.pulse) {
        Ok(p) => p,
        // Bad options or a bad target file are errors, whatever the circuit.
        Err(e @ (PipelineError::Options(_) | PipelineError::Target(_))) => return Err(e),
        Err(e) => {
            let reason = e.to_string();
            // `place` names the file itself; the report names it once.
            let reason = reason
                .strip_prefix(&format!("{name}: "))
                .map_or(reason.clone(), str::to_string);
            return Ok(Outcome::Skipped { file: name, reason });
        }
    };
    if placed.pulses.duration == 0 || placed.pulses.plays.is_empty() {
        return Ok(Outcome::Skipped {
            file: name,
            reason: "nothing to play: the schedule has no pulses".into(),
        });
    }
    // A circuit larger than the default device runs on a grid with its own transmons.
    let physics = setup.physics_for(&placed.device)?;
    let pulses = encode_program(&placed.pulses, &placed.device, &physics, &setup.coder)
        .map_err(|e| PipelineError::Report(format!("{name}: {e}")))?;
    let asm = assemble_with_pulses(
        &placed.program,
        &placed.target,
        &setup.cb.codebook,
        setup.cb.hash,
        Some(pulses.payload.clone()),
    )
    .map_err(|e| PipelineError::Report(format!("{name}: {e}")))?;
    // The same program without its pulse section: what an instruction-level controller gets.
    let instructions_only = assemble_with_pulses(
        &placed.program,
        &placed.target,
        &setup.cb.codebook,
        setup.cb.hash,
        None,
    )
    .map_err(|e| PipelineError::Report(format!("{name}: {e}")))?;
    let params = FirmwareParams {
        dt_ns: Some(placed.pulses.dt_ns),
        ..setup.sim.clone()
    };
    let atoms = setup.cb.pulse_atoms.as_ref();
    let sim = |bytes: &[u8]| {
        simulate(
            bytes,
            &setup.cb.codebook.priors,
            setup.cb.hash,
            atoms,
            &params,
        )
        .map_err(|e| PipelineError::Report(format!("{name}: firmware simulation: {e}")))
    };
    let sim_instructions = sim(&instructions_only.bytes)?;
    let sim_whole = sim(&asm.bytes)?;
    // The paper's pipeline runs below, on its own, to get its word count too.
    let measured = measure(
        &circuit,
        &placed.program,
        &placed.target,
        &asm,
        setup.cb,
        None,
    )
    .map_err(|e| PipelineError::Report(format!("{name}: {e}")))?;
    let budget = paper_budget(&setup.lowering, placed.fidelity_bound);
    let paper = match setup.paper {
        Some(setting) => paper_row(&circuit, setup.cb, PaperRequest { setting, budget })
            .map_err(|e| PipelineError::Report(format!("{name}: the paper's pipeline: {e}")))?,
        None => None,
    };
    let window = setup.cb.pulse_atoms.as_ref().map_or(0, |a| a.window);
    let prog = &placed.pulses;
    let counts = Counts {
        native_ops: placed.program.ops.len() as u64,
        played_samples: prog.played_samples(),
        rotated_play_samples: super::events::rotated_play_samples(prog),
        dac_samples: prog.channels.len() as u64 * super::events::last_play_end(prog),
        eqisa_decisions: decoder_steps(&placed, setup.cb)
            .map_err(|e| PipelineError::Report(format!("{name}: {e}")))?,
        // The report measures flat circuits, whose baselines are always measured.
        binary_bits: measured.bits.binary.unwrap_or(0),
        paper_words: paper.as_ref().and_then(|s| s.words),
        paper_huffman_bits: paper.as_ref().and_then(|s| s.huffman_bits),
        pulse_section_bits: pulses.bits.eqisa,
        dct_bits: pulses.bits.dct,
        section: section_counts(&pulses.section, window),
    };
    Ok(Outcome::Done(Box::new(Analysed {
        file: name,
        qubits: circuit.num_qubits,
        fidelity_bound: placed.fidelity_bound,
        budget,
        placed,
        bits: measured.bits,
        paper,
        pulses,
        counts,
        sim_instructions,
        sim_whole,
    })))
}

/// How a row's pulse infidelity figure was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PulseInfidelity {
    /// The samples played are the calibrated (or raw) ones: nothing added.
    None,
    /// Measured on the simulated transmon, per coded waveform and play (the largest).
    Measured,
    /// Only the budget every coded waveform was held to is known.
    Budget,
}

/// One encoding's figures for one circuit (or the total).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// Instruction or pulse level.
    pub level: Level,
    /// Bits the controller receives (`null`: the encoding has nothing for this circuit).
    pub bits: Option<u64>,
    /// Link rate needed to deliver them in real time: bits / schedule duration, Gb/s.
    pub link_gbps: Option<f64>,
    /// Links of `--link-gbps` needed (the total: the most any circuit needs).
    pub link_lanes: Option<u64>,
    /// Event-driven electrical energy, J (the model's `total_energy_j`).
    pub energy_j: Option<f64>,
    /// Heat deposited at the 4 K stage, J (events and link conduction).
    pub heat_4k_j: Option<f64>,
    /// That heat as a power over the schedule, W.
    pub heat_4k_w: Option<f64>,
    /// Wall-plug energy: electronics plus cooling every stage's heat, J.
    pub wall_plug_j: Option<f64>,
    /// Gate-level fidelity bound of the lowered program (the paper: its own lowering's at the
    /// setting chosen, or, when no setting meets the budget, the closest one's, with `bits`
    /// null; the total: the smallest over the circuits it sums).
    pub fidelity_bound: Option<f64>,
    /// Whether `fidelity_bound` reaches the circuit's fidelity budget (the total: whether every
    /// circuit it sums does); `null` without a bound.
    pub meets_budget: Option<bool>,
    /// Largest added gate infidelity of any played pulse (see `pulse_infidelity_kind`).
    pub pulse_added_infidelity: Option<f64>,
    /// `none`, `measured` or `budget`.
    pub pulse_infidelity_kind: PulseInfidelity,
    /// Link rate needed per qubit of the circuit: `link_gbps / qubits` (the total: total bits
    /// over total qubit-time), Gb/s.
    pub link_gbps_per_qubit: Option<f64>,
    /// Qubits one link of `--link-gbps` serves at this encoding's bits per second per qubit,
    /// rounded down (0: not even one).
    pub qubits_per_link: Option<u64>,
    /// The counted events the energy figures evaluate (per circuit; the total: their sums).
    pub events: Option<Events>,
    /// The firmware simulation (`eqisa` and `eqisa_pulses` rows only; see [`FirmwareRow`]).
    pub firmware: Option<FirmwareRow>,
    /// Total rows only: the circuits this encoding has no bits for, which its total leaves out
    /// (every other figure of the row is over the circuits it sums). Absent on a circuit's row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excludes: Option<Vec<String>>,
}

/// What the firmware simulation (the real decoders against the modelled controller) found for
/// an EQISA row: the `eqisa` row simulates the instruction stream alone, the `eqisa_pulses` row
/// the whole `.eqb` (the decoder needs the instruction stream beside the pulse section).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FirmwareRow {
    /// What was simulated: `instruction stream` or `whole file`.
    pub simulated: &'static str,
    /// Bits of the simulated file.
    pub file_bits: u64,
    /// The lowest link rate with no underrun, Gb/s, given the controller's start-up head start
    /// (`null`: no rate is enough). The total: the most any circuit needs.
    pub min_link_gbps: Option<f64>,
    /// Underruns at `--link-gbps` (the total: their sum).
    pub underruns: u64,
    /// Peak input-FIFO fill at `--link-gbps`, bits (the total: the largest).
    pub peak_fifo_bits: u64,
    /// First bit on the link to the first output ready, ns (the total: the largest).
    pub latency_ns: Option<f64>,
}

impl FirmwareRow {
    fn of(simulated: &'static str, r: &FirmwareReport) -> FirmwareRow {
        FirmwareRow {
            simulated,
            file_bits: r.link_bits,
            min_link_gbps: r.min_link_gbps,
            underruns: r.underruns,
            peak_fifo_bits: r.peak_fifo_bits,
            latency_ns: r.latency_ns,
        }
    }

    /// Over circuits: the largest need, the sum of underruns.
    fn total(rows: &[&FirmwareRow]) -> Option<FirmwareRow> {
        let first = rows.first()?;
        Some(FirmwareRow {
            simulated: first.simulated,
            file_bits: rows.iter().map(|r| r.file_bits).sum(),
            min_link_gbps: rows
                .iter()
                .map(|r| r.min_link_gbps)
                .try_fold(0.0f64, |acc, v| v.map(|v| acc.max(v))),
            underruns: rows.iter().map(|r| r.underruns).sum(),
            peak_fifo_bits: rows.iter().map(|r| r.peak_fifo_bits).max().unwrap_or(0),
            latency_ns: rows.iter().filter_map(|r| r.latency_ns).reduce(f64::max),
        })
    }
}

/// Rows keyed by encoding, serialised as a JSON object in report order.
#[derive(Clone, Debug, PartialEq)]
pub struct Rows(pub Vec<(Encoding, Row)>);

impl Rows {
    /// The row of `enc`.
    pub fn get(&self, enc: Encoding) -> Option<&Row> {
        self.0.iter().find(|(e, _)| *e == enc).map(|(_, r)| r)
    }
}

impl Serialize for Rows {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (e, r) in &self.0 {
            m.serialize_entry(e.key(), r)?;
        }
        m.end()
    }
}

/// Qubits a link of `link_gbps` serves when `bits` are needed per `qubit_ns` qubit-nanoseconds.
fn qubits_per_link(link_gbps: f64, qubit_ns: f64, bits: u64) -> Option<u64> {
    (bits > 0).then(|| (link_gbps * qubit_ns / bits as f64).floor() as u64)
}

/// The bits of `enc` for the circuit.
pub fn bits_of(a: &Analysed, enc: Encoding) -> Option<u64> {
    let b = &a.bits;
    let p = &a.pulses.bits;
    match enc {
        Encoding::Binary => b.binary,
        // The paper's whole pipeline: Huffman, then bzip2; see `eqisa_baselines::paper`.
        Encoding::Paper => a.paper.as_ref().and_then(|s| s.huffman_bzip2_bits),
        Encoding::Bzip2 => b.bzip2,
        Encoding::Xz => b.xz,
        Encoding::Zstd => b.zstd,
        Encoding::Eqisa => Some(b.eqisa),
        Encoding::RawSamples => Some(p.raw),
        Encoding::Dct => Some(p.dct),
        Encoding::ZstdSamples => Some(p.zstd),
        Encoding::EqisaPulses => Some(p.eqisa),
    }
}

/// Every encoding's row for one circuit.
pub fn rows(a: &Analysed, setup: &Setup<'_>) -> Result<Rows, PipelineError> {
    let duration_ns = a.duration_ns();
    let duration_s = duration_ns * 1e-9;
    let mut out = Vec::with_capacity(Encoding::ALL.len());
    for enc in Encoding::ALL {
        let bits = bits_of(a, enc);
        let gbps = bits.map(|b| b as f64 / duration_ns);
        // Enough lanes to carry the stream in real time; one at least, whatever it carries.
        let lanes = gbps.map(|g| ((g / setup.sim.link_gbps).ceil() as u64).max(1));
        let ev = match (bits, lanes) {
            (Some(b), Some(l)) => super::events::events(enc, &a.counts, b, l),
            _ => None,
        };
        let energy = match &ev {
            Some(e) => Some(
                setup
                    .model
                    .evaluate(e, duration_s)
                    .map_err(|err| PipelineError::Report(format!("{}: {err}", a.file)))?,
            ),
            None => None,
        };
        let at_4k = energy.as_ref().and_then(|r| r.stage(Stage::Stage4K));
        // The paper's bound is shown even without bits: how far the closest setting fell short.
        let fidelity_bound = match enc {
            Encoding::Paper => a.paper.as_ref().map(|s| s.fidelity_bound),
            _ => bits.and(Some(a.fidelity_bound)),
        };
        let (pulse_added_infidelity, kind) = match enc {
            Encoding::EqisaPulses => (
                Some(a.pulses.max_added_infidelity),
                PulseInfidelity::Measured,
            ),
            Encoding::Dct => (Some(setup.pulse.infidelity), PulseInfidelity::Budget),
            _ => (Some(0.0), PulseInfidelity::None),
        };
        let row = Row {
            level: enc.level(),
            bits,
            link_gbps: gbps,
            link_lanes: lanes,
            energy_j: energy.as_ref().map(|r| r.total_energy_j),
            heat_4k_j: at_4k.map(|s| s.heat_j),
            heat_4k_w: at_4k.map(|s| s.heat_w),
            wall_plug_j: energy.as_ref().map(|r| r.wall_plug_j),
            fidelity_bound,
            meets_budget: fidelity_bound.map(|f| f >= a.budget),
            pulse_added_infidelity: bits.and(pulse_added_infidelity),
            pulse_infidelity_kind: kind,
            link_gbps_per_qubit: bits.map(|b| b as f64 / (f64::from(a.qubits) * duration_ns)),
            qubits_per_link: bits.and_then(|b| {
                qubits_per_link(setup.sim.link_gbps, f64::from(a.qubits) * duration_ns, b)
            }),
            events: ev,
            firmware: match enc {
                Encoding::Eqisa => Some(FirmwareRow::of("instruction stream", &a.sim_instructions)),
                Encoding::EqisaPulses => Some(FirmwareRow::of("whole file", &a.sim_whole)),
                _ => None,
            },
            excludes: None,
        };
        out.push((enc, row));
    }
    Ok(Rows(out))
}

/// Sum of `f` over `rows` (`None` if any is `None`).
fn sum_all<T: Copy + std::iter::Sum<T>>(rows: &[&Row], f: impl Fn(&Row) -> Option<T>) -> Option<T> {
    rows.iter().map(|r| f(r)).sum()
}

/// Totals over circuits: bits, energies and events are sums; the link rate is total bits over
/// total duration (the circuits back to back); qubits per link use total bits over total
/// qubit-time; fidelity is the worst circuit's, pulse infidelity the largest. An encoding with
/// no bits for some circuits is totalled over the others, and its row's `excludes` names the
/// circuits left out (all of them: no total, `null`); so that its rate and qubits per link stay
/// comparable, they use the duration and qubit-time of the circuits it sums.
pub fn totals(per_circuit: &[(&Analysed, &Rows)], link_gbps: f64) -> Result<Rows, PipelineError> {
    let mut out = Vec::with_capacity(Encoding::ALL.len());
    for enc in Encoding::ALL {
        let mut included: Vec<(&Analysed, &Row)> = Vec::with_capacity(per_circuit.len());
        let mut excludes = Vec::new();
        for (a, rows) in per_circuit {
            match rows.get(enc) {
                Some(r) if r.bits.is_some() => included.push((a, r)),
                _ => excludes.push(a.file.clone()),
            }
        }
        out.push((enc, total_row(enc, &included, excludes, link_gbps)?));
    }
    Ok(Rows(out))
}

/// The total of `enc` over the circuits `included` (each with bits), leaving out `excludes`.
fn total_row(
    enc: Encoding,
    included: &[(&Analysed, &Row)],
    excludes: Vec<String>,
    link_gbps: f64,
) -> Result<Row, PipelineError> {
    let rows: Vec<&Row> = included.iter().map(|(_, r)| *r).collect();
    let any = !rows.is_empty();
    let duration_ns: f64 = included.iter().map(|(a, _)| a.duration_ns()).sum();
    let qubit_ns: f64 = included
        .iter()
        .map(|(a, _)| f64::from(a.qubits) * a.duration_ns())
        .sum();
    let bits = if any {
        sum_all(&rows, |r| r.bits)
    } else {
        None
    };
    let events = if any {
        let mut acc = Events::default();
        for r in &rows {
            if let Some(e) = &r.events {
                acc = acc.checked_add(e).ok_or_else(|| {
                    PipelineError::Report(format!("{}: event counts overflow", enc.key()))
                })?;
            }
        }
        Some(acc)
    } else {
        None
    };
    let sum = |f: fn(&Row) -> Option<f64>| if any { sum_all(&rows, f) } else { None };
    let reduce = |f: fn(&Row) -> Option<f64>, pick: fn(f64, f64) -> f64| {
        rows.iter().filter_map(|r| f(r)).reduce(pick)
    };
    let kind = rows
        .first()
        .map_or(PulseInfidelity::None, |r| r.pulse_infidelity_kind);
    let firmware: Vec<&FirmwareRow> = rows.iter().filter_map(|r| r.firmware.as_ref()).collect();
    let meets: Vec<bool> = rows.iter().filter_map(|r| r.meets_budget).collect();
    Ok(Row {
        level: enc.level(),
        bits,
        link_gbps: bits.map(|b| b as f64 / duration_ns),
        link_lanes: rows.iter().filter_map(|r| r.link_lanes).max(),
        energy_j: sum(|r| r.energy_j),
        heat_4k_j: sum(|r| r.heat_4k_j),
        heat_4k_w: sum(|r| r.heat_4k_j).map(|j| j / (duration_ns * 1e-9)),
        wall_plug_j: sum(|r| r.wall_plug_j),
        fidelity_bound: reduce(|r| r.fidelity_bound, f64::min),
        meets_budget: (!meets.is_empty()).then(|| meets.iter().all(|m| *m)),
        pulse_added_infidelity: reduce(|r| r.pulse_added_infidelity, f64::max),
        pulse_infidelity_kind: kind,
        link_gbps_per_qubit: bits.map(|b| b as f64 / qubit_ns),
        qubits_per_link: bits.and_then(|b| qubits_per_link(link_gbps, qubit_ns, b)),
        events,
        firmware: if any && firmware.len() == rows.len() {
            FirmwareRow::total(&firmware)
        } else {
            None
        },
        excludes: Some(excludes),
    })
}

/// Bits of our pulse section and the DCT baseline at one per-pulse budget, summed over the
/// circuits: one point of the rate–infidelity curve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RatePoint {
    /// The per-pulse added-infidelity budget.
    pub budget: f64,
    /// Our pulse sections' bits.
    pub eqisa_bits: u64,
    /// The DCT-coded sections' bits, at the same budget.
    pub dct_bits: u64,
    /// Raw samples' bits (the same at every budget).
    pub raw_bits: u64,
    /// The largest added infidelity measured on any of our coded pulses.
    pub max_added_infidelity: f64,
    /// Waveforms that fell back to lossless samples.
    pub lossless_fallbacks: usize,
}

/// Our pulse section and the DCT baseline of one circuit at `budget` (the report's own budget
/// reuses the circuit's encoding).
pub fn rate_at(a: &Analysed, setup: &Setup<'_>, budget: f64) -> Result<RatePoint, PipelineError> {
    let enc;
    let coded = if budget == setup.pulse.infidelity {
        &a.pulses
    } else {
        let coder = WaveformCoder::new(setup.cb.pulse_atoms.as_ref(), budget)
            .map_err(|e| PipelineError::Report(e.to_string()))?;
        let physics = setup.physics_for(&a.placed.device)?;
        enc = encode_program(&a.placed.pulses, &a.placed.device, &physics, &coder)
            .map_err(|e| PipelineError::Report(format!("{}: {e}", a.file)))?;
        &enc
    };
    Ok(RatePoint {
        budget,
        eqisa_bits: coded.bits.eqisa,
        dct_bits: coded.bits.dct,
        raw_bits: coded.bits.raw,
        max_added_infidelity: coded.max_added_infidelity,
        lossless_fallbacks: coded.lossless_fallbacks,
    })
}

/// Sum points of one budget over circuits.
pub fn sum_rate(points: &[RatePoint]) -> Option<RatePoint> {
    let first = *points.first()?;
    Some(points.iter().skip(1).fold(first, |acc, p| RatePoint {
        budget: acc.budget,
        eqisa_bits: acc.eqisa_bits + p.eqisa_bits,
        dct_bits: acc.dct_bits + p.dct_bits,
        raw_bits: acc.raw_bits + p.raw_bits,
        max_added_infidelity: acc.max_added_infidelity.max(p.max_added_infidelity),
        lossless_fallbacks: acc.lossless_fallbacks + p.lossless_fallbacks,
    }))
}
