//! The energy model: counted control events → joules, heat per temperature stage, and wall-plug
//! energy through each stage's cooling overhead.
//!
//! Counts come from the firmware simulation and from the assembler's bit counts ([`Events`]).
//! Parameters come from one documented TOML file, `decoder/firmware/energy-model.toml`, embedded
//! here as [`DEFAULT_MODEL_TOML`]; every parameter has its unit in its name and a `source` (paper,
//! datasheet, or a marked estimate with its derivation). A user file overrides any subset of it
//! ([`EnergyModel::from_file`]).
//!
//! The arithmetic is deliberately plain so that a report can be audited by hand: every
//! event-driven energy is exactly `count × parameter`, conduction heat is exactly
//! `lanes × watts × duration`, and the totals are their sums ([`EnergyModel::evaluate`]).
//!
//! ```
//! use eqisa_firmware::energy::{EnergyModel, Events, Stage};
//!
//! let model = EnergyModel::default_model()?;
//! let events = Events { link_bits: 1_000_000, dac_samples: 4_000_000, ..Events::default() };
//! let report = model.evaluate(&events, 1e-3)?;
//! let at_4k = report.stage(Stage::Stage4K).map(|s| s.heat_w).unwrap_or(0.0);
//! assert!(at_4k > 0.0 && report.wall_plug_j > report.total_energy_j);
//! # Ok::<(), eqisa_firmware::energy::EnergyError>(())
//! ```

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::{Table, Value};

/// The default parameter file, as shipped in `decoder/firmware/energy-model.toml`.
pub const DEFAULT_MODEL_TOML: &str = include_str!("../energy-model.toml");

/// Where the default model's parameters come from, in error messages.
pub const DEFAULT_ORIGIN: &str = "<built-in energy-model.toml>";

/// Largest value any parameter may take (in its own unit): 10^12, a million times above the
/// largest of the shipped model (a wall-plug ratio of ~10^6 W/W at the mixing chamber). With
/// counts below 2^64, every product and sum [`EnergyModel::evaluate`] forms stays finite.
pub const MAX_PARAM: f64 = 1e12;

/// A temperature stage of the cryostat, warm to cold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Stage {
    /// Room temperature (~300 K): the host, the link transmitter.
    #[serde(rename = "room")]
    Room,
    /// The first pulse-tube stage (~50 K, 35–45 K in practice).
    #[serde(rename = "stage_50k")]
    Stage50K,
    /// The second pulse-tube stage (~4 K): where cryo-CMOS controllers sit.
    #[serde(rename = "stage_4k")]
    Stage4K,
    /// The dilution unit's still (~0.8–1.2 K).
    #[serde(rename = "still")]
    Still,
    /// The cold plate (~0.1 K).
    #[serde(rename = "cold_plate")]
    ColdPlate,
    /// The mixing chamber (~10–20 mK): the qubits.
    #[serde(rename = "mixing_chamber")]
    MixingChamber,
}

impl Stage {
    /// Every stage, warm to cold (the order of [`EnergyReport::stages`]).
    pub const ALL: [Stage; 6] = [
        Stage::Room,
        Stage::Stage50K,
        Stage::Stage4K,
        Stage::Still,
        Stage::ColdPlate,
        Stage::MixingChamber,
    ];

    /// The stage's key in the parameter file (`room`, `stage_50k`, …).
    pub fn key(self) -> &'static str {
        match self {
            Stage::Room => "room",
            Stage::Stage50K => "stage_50k",
            Stage::Stage4K => "stage_4k",
            Stage::Still => "still",
            Stage::ColdPlate => "cold_plate",
            Stage::MixingChamber => "mixing_chamber",
        }
    }

    /// The stage with this parameter-file key.
    pub fn from_key(key: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Position in [`Stage::ALL`] (0 = room).
    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A parameter value with the citation it came from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sourced<T> {
    /// The value, in the unit its name states.
    pub value: T,
    /// Where it comes from: a paper, a datasheet, or an `ESTIMATE` with its derivation.
    pub source: String,
}

/// A numeric parameter.
pub type Param = Sourced<f64>;

/// The parameters of one temperature stage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageParams {
    /// The temperature at which the cooling capacity is quoted (K).
    pub temperature_k: Param,
    /// Cooling power available at this stage (W); infinite at room temperature.
    pub cooling_capacity_w: Param,
    /// Wall-plug watts spent per watt of heat removed at this stage (W/W).
    pub wall_plug_w_per_w: Param,
    /// Heat the digital link deposits here per bit it carries (J/bit), when the link crosses it.
    pub link_heat_j_per_bit: Param,
    /// Conduction heat of one link lane into this stage (W), when the link crosses it.
    pub link_static_heat_w_per_lane: Param,
}

/// The replay buffer's parameters (`[replay_buffer]` in the file): a buffered instruction is
/// written once when a loop's text is decoded and read at every iteration; each write or read is
/// `accesses_per_instruction` 64-bit accesses of `energy_j_per_access_8_kib`, scaled by
/// `(max(buffer bytes, 1 KiB) / 8 KiB)^size_exponent` (below 1 KiB the array's periphery is
/// taken to dominate); every replayed instruction
/// (released without being decoded) also costs `schedule_energy_j_per_instruction`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplayBufferParams {
    /// `replay_buffer.energy_j_per_access_8_kib` (J per 64-bit access of an 8 KiB SRAM).
    pub energy_j_per_access_8_kib: Param,
    /// `replay_buffer.size_exponent`: how the access energy grows with the buffer's size.
    pub size_exponent: Param,
    /// `replay_buffer.accesses_per_instruction` (64-bit accesses per buffered instruction).
    pub accesses_per_instruction: Param,
    /// `replay_buffer.schedule_energy_j_per_instruction` (J per replayed instruction).
    pub schedule_energy_j_per_instruction: Param,
}

impl ReplayBufferParams {
    /// Energy of one 64-bit access of a buffer of `bytes` bytes (J).
    pub fn access_energy_j(&self, bytes: u64) -> f64 {
        let scale = (bytes as f64).max(1024.0) / 8192.0;
        self.energy_j_per_access_8_kib.value * scale.powf(self.size_exponent.value)
    }
}

/// What a program with loops adds to [`Events`]: the replay buffer's traffic and size (all zero
/// for a program that runs straight).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplayEvents {
    /// Instructions written into the replay buffer (an outermost loop's text, once).
    pub buffer_writes: u64,
    /// Instructions read from the replay buffer (every iteration of an outermost loop).
    pub buffer_reads: u64,
    /// Instructions released without being decoded (scheduled only): the iterations after the
    /// first.
    pub replayed_instructions: u64,
    /// The buffer's declared size, bytes.
    pub buffer_bytes: u64,
}

/// Every parameter of the model. Field names follow the file's dotted paths
/// (`link_room_energy_j_per_bit` is `[link.room_energy_j_per_bit]`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnergyModel {
    /// `placement.decoder_stage`: where the decoder, its waveform memory and its multiply-adds
    /// run, and where the link ends.
    pub decoder_stage: Sourced<Stage>,
    /// `placement.dac_stage`: where the DACs run.
    pub dac_stage: Sourced<Stage>,
    /// `link.room_energy_j_per_bit`: transmit energy at room temperature (J/bit).
    pub link_room_energy_j_per_bit: Param,
    /// `decoder.energy_j_per_instruction` (J per decoded instruction).
    pub decoder_energy_j_per_instruction: Param,
    /// `decoder.energy_j_per_symbol` (J per entropy-decoded symbol).
    pub decoder_energy_j_per_symbol: Param,
    /// `waveform_memory.energy_j_per_bit` (J per bit read).
    pub waveform_memory_energy_j_per_bit: Param,
    /// `reconstruction.energy_j_per_multiply_add` (J per fixed-point multiply-add).
    pub reconstruction_energy_j_per_multiply_add: Param,
    /// `dac.energy_j_per_sample` (J per sample on one line).
    pub dac_energy_j_per_sample: Param,
    /// `replay_buffer.*`: what a loop's replay buffer costs ([`ReplayBufferParams`]).
    pub replay_buffer: ReplayBufferParams,
    /// `stages.<key>`, in [`Stage::ALL`] order.
    pub stages: [StageParams; 6],
}

/// Counted events of one run: the model's input. All counts are totals over the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Events {
    /// Bits sent over the link from room temperature down to the decoder's stage (payload plus
    /// any framing the caller counts). With the decoder at room temperature the link crosses no
    /// stage and only the room-side energy applies.
    pub link_bits: u64,
    /// Physical link lanes (cables) in use for the run: each conducts heat for the whole
    /// duration, whether it carries bits or not.
    pub link_lanes: u64,
    /// Instructions decoded.
    pub instructions_decoded: u64,
    /// Entropy-coded symbols decoded (range-coder steps).
    pub symbols_decoded: u64,
    /// Bits read from waveform memory (atom tables, or stored waveforms).
    pub waveform_memory_read_bits: u64,
    /// Fixed-point multiply-adds of the sample reconstruction.
    pub multiply_adds: u64,
    /// Samples converted by the DACs, summed over lines.
    pub dac_samples: u64,
}

impl Events {
    /// Field-wise sum, `None` on overflow (for totals over several circuits).
    pub fn checked_add(&self, other: &Events) -> Option<Events> {
        Some(Events {
            link_bits: self.link_bits.checked_add(other.link_bits)?,
            link_lanes: self.link_lanes.checked_add(other.link_lanes)?,
            instructions_decoded: self
                .instructions_decoded
                .checked_add(other.instructions_decoded)?,
            symbols_decoded: self.symbols_decoded.checked_add(other.symbols_decoded)?,
            waveform_memory_read_bits: self
                .waveform_memory_read_bits
                .checked_add(other.waveform_memory_read_bits)?,
            multiply_adds: self.multiply_adds.checked_add(other.multiply_adds)?,
            dac_samples: self.dac_samples.checked_add(other.dac_samples)?,
        })
    }
}

/// Energy per event kind (J). Each is exactly its count times its parameter(s).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct KindEnergies {
    /// `link_bits × link.room_energy_j_per_bit`, at room temperature.
    pub link_room_j: f64,
    /// `link_bits × Σ stages.<s>.link_heat_j_per_bit` over the stages the link crosses.
    pub link_cable_j: f64,
    /// `instructions_decoded × decoder.energy_j_per_instruction`.
    pub decoder_instructions_j: f64,
    /// `symbols_decoded × decoder.energy_j_per_symbol`.
    pub decoder_symbols_j: f64,
    /// `waveform_memory_read_bits × waveform_memory.energy_j_per_bit`.
    pub waveform_memory_j: f64,
    /// `multiply_adds × reconstruction.energy_j_per_multiply_add`.
    pub multiply_add_j: f64,
    /// `dac_samples × dac.energy_j_per_sample`.
    pub dac_j: f64,
    /// `(buffer_writes + buffer_reads) × replay_buffer.accesses_per_instruction × the access
    /// energy at the buffer's size` (left out of JSON when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub replay_buffer_j: f64,
    /// `replayed_instructions × replay_buffer.schedule_energy_j_per_instruction` (left out of
    /// JSON when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub replay_schedule_j: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl KindEnergies {
    /// The sum over kinds, in field order.
    pub fn total(&self) -> f64 {
        self.link_room_j
            + self.link_cable_j
            + self.decoder_instructions_j
            + self.decoder_symbols_j
            + self.waveform_memory_j
            + self.multiply_add_j
            + self.dac_j
            + self.replay_buffer_j
            + self.replay_schedule_j
    }
}

/// Heat at one stage and what removing it costs at the wall.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StageReport {
    /// The stage.
    pub stage: Stage,
    /// Its temperature (K), from the model.
    pub temperature_k: f64,
    /// Heat deposited here over the run (J): event-driven energy plus link conduction.
    pub heat_j: f64,
    /// `heat_j / duration` (W).
    pub heat_w: f64,
    /// The stage's cooling capacity (W), from the model (infinite at room temperature; JSON
    /// writes that as `null`).
    pub cooling_capacity_w: f64,
    /// `heat_w / cooling_capacity_w`: the share of the stage's cooling this run uses.
    pub capacity_fraction: f64,
    /// `heat_j × wall_plug_w_per_w` (J).
    pub cooling_wall_plug_j: f64,
}

/// The model's answer for one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnergyReport {
    /// The run's duration (s), as given.
    pub duration_s: f64,
    /// Where the decoder ran.
    pub decoder_stage: Stage,
    /// Where the DACs ran.
    pub dac_stage: Stage,
    /// Event-driven energy per kind (J).
    pub by_kind: KindEnergies,
    /// `link_lanes × Σ stages.<s>.link_static_heat_w_per_lane × duration` (J): heat leaking
    /// down the cables, which no event pays for but the cryostat must remove.
    pub link_static_heat_j: f64,
    /// Heat per stage, warm to cold (every stage, in [`Stage::ALL`] order).
    pub stages: Vec<StageReport>,
    /// Event-driven energy drawn by the electronics (J): `by_kind.total()`.
    pub total_energy_j: f64,
    /// Heat deposited over all stages (J): `total_energy_j + link_static_heat_j`.
    pub total_heat_j: f64,
    /// Wall-plug energy of cooling (J): `Σ stages.cooling_wall_plug_j`.
    pub cooling_wall_plug_j: f64,
    /// Wall-plug energy in all (J): `total_energy_j + cooling_wall_plug_j`.
    pub wall_plug_j: f64,
    /// `wall_plug_j / duration` (W).
    pub wall_plug_w: f64,
}

impl EnergyReport {
    /// The report for one stage.
    pub fn stage(&self, stage: Stage) -> Option<&StageReport> {
        self.stages.iter().find(|s| s.stage == stage)
    }
}

/// A parameter's value, for listings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A number, in the unit the path names.
    Number(f64),
    /// A placement.
    Stage(Stage),
}

/// One row of [`EnergyModel::parameters`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParameterEntry {
    /// Dotted path in the parameter file, e.g. `stages.stage_4k.wall_plug_w_per_w`.
    pub path: String,
    /// The value.
    pub value: ParamValue,
    /// Its source.
    pub source: String,
}

/// Why a parameter file was refused, or an evaluation could not run. Every file error names
/// the file (`origin`) and, where there is one, the dotted field path.
#[derive(Debug, thiserror::Error)]
pub enum EnergyError {
    /// The file could not be read.
    #[error("{origin}: cannot read the energy model: {source}")]
    Io {
        /// The file.
        origin: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{origin}:{line}:{column}: not valid TOML: {message}")]
    Syntax {
        /// The file.
        origin: String,
        /// 1-based line of the error (0 when the parser gave no position).
        line: usize,
        /// 1-based column of the error (0 when the parser gave no position).
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A field the model does not have.
    #[error("{origin}: unknown field `{field}`")]
    UnknownField {
        /// The file.
        origin: String,
        /// Its dotted path.
        field: String,
    },
    /// A required field is absent.
    #[error("{origin}: missing field `{field}`")]
    MissingField {
        /// The file.
        origin: String,
        /// Its dotted path.
        field: String,
    },
    /// A field has the wrong TOML type.
    #[error("{origin}: field `{field}`: expected {expected}")]
    WrongType {
        /// The file.
        origin: String,
        /// Its dotted path.
        field: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A number outside its allowed range (negative, not finite, zero where it divides).
    #[error("{origin}: field `{field}` = {value:?}: {reason}")]
    InvalidValue {
        /// The file.
        origin: String,
        /// Its dotted path.
        field: String,
        /// The offending value.
        value: f64,
        /// What is allowed.
        reason: &'static str,
    },
    /// A placement that names no stage.
    #[error(
        "{origin}: field `{field}` = {value:?}: not a stage (one of room, stage_50k, stage_4k, still, cold_plate, mixing_chamber)"
    )]
    UnknownStage {
        /// The file.
        origin: String,
        /// Its dotted path.
        field: String,
        /// The text given.
        value: String,
    },
    /// A parameter without a citation.
    #[error("{origin}: field `{field}`: source must not be empty")]
    EmptySource {
        /// The file.
        origin: String,
        /// Its dotted path.
        field: String,
    },
    /// `evaluate` needs a positive, finite duration.
    #[error("duration must be a positive, finite number of seconds, got {0}")]
    InvalidDuration(f64),
    /// A result overflowed (only an extreme duration can do this once the parameters are
    /// within [`MAX_PARAM`]): reported rather than printed as `inf`.
    #[error("energy evaluation: {quantity} is not finite ({value}) for a run of {duration_s} s")]
    NotFinite {
        /// The quantity, with the parameters it comes from.
        quantity: String,
        /// Its value.
        value: f64,
        /// The run's duration.
        duration_s: f64,
    },
}

/// What a numeric parameter may hold.
#[derive(Clone, Copy)]
enum Rule {
    /// Finite and ≥ 0.
    NonNegative,
    /// Finite and > 0 (it divides, or is a temperature).
    Positive,
    /// > 0, infinity allowed (an unbounded cooling capacity).
    PositiveOrInfinite,
    /// In [0, 2]: a growth exponent (so that no scaled energy overflows).
    Exponent,
}

const TOP_KEYS: &[&str] = &[
    "placement",
    "link",
    "decoder",
    "waveform_memory",
    "reconstruction",
    "dac",
    "replay_buffer",
    "stages",
];
const REPLAY_KEYS: &[&str] = &[
    "energy_j_per_access_8_kib",
    "size_exponent",
    "accesses_per_instruction",
    "schedule_energy_j_per_instruction",
];
const STAGE_KEYS: &[&str] = &[
    "temperature_k",
    "cooling_capacity_w",
    "wall_plug_w_per_w",
    "link_heat_j_per_bit",
    "link_static_heat_w_per_lane",
];
const LEAF_KEYS: &[&str] = &["value", "source"];

impl EnergyModel {
    /// The built-in model ([`DEFAULT_MODEL_TOML`]).
    pub fn default_model() -> Result<Self, EnergyError> {
        Self::from_complete_toml_str(DEFAULT_MODEL_TOML, DEFAULT_ORIGIN)
    }

    /// The built-in model with the parameters `text` sets overridden. `origin` names the text in
    /// errors and in the source of short-form overrides (usually the file's path).
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, EnergyError> {
        let mut merged = parse_table(DEFAULT_MODEL_TOML, DEFAULT_ORIGIN)?;
        let overrides = parse_table(text, origin)?;
        merge_sections(&mut merged, &overrides, "", origin)?;
        Self::from_table(&merged, origin)
    }

    /// [`from_toml_str`](Self::from_toml_str) on a file's contents.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, EnergyError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text = eqisa_files::read_to_string(path).map_err(|source| EnergyError::Io {
            origin: origin.clone(),
            source,
        })?;
        Self::from_toml_str(&text, &origin)
    }

    /// A self-contained model: `text` must set every parameter, each with `value` and `source`
    /// (nothing falls back to the built-in file).
    pub fn from_complete_toml_str(text: &str, origin: &str) -> Result<Self, EnergyError> {
        Self::from_table(&parse_table(text, origin)?, origin)
    }

    /// The parameters of one stage.
    pub fn stage(&self, stage: Stage) -> &StageParams {
        &self.stages[stage.index()]
    }

    /// The replay buffer's parameters (`replay_buffer.*`), with path, value and source, in file
    /// order. ([`EnergyModel::parameters`] lists the others.)
    pub fn replay_parameters(&self) -> Vec<ParameterEntry> {
        self.replay_numeric_params()
            .into_iter()
            .map(|(path, p, _)| ParameterEntry {
                path,
                value: ParamValue::Number(p.value),
                source: p.source.clone(),
            })
            .collect()
    }

    /// Every parameter but the replay buffer's ([`EnergyModel::replay_parameters`]) with its
    /// dotted path, value and source, in file order.
    pub fn parameters(&self) -> Vec<ParameterEntry> {
        let mut out = vec![
            ParameterEntry {
                path: "placement.decoder_stage".into(),
                value: ParamValue::Stage(self.decoder_stage.value),
                source: self.decoder_stage.source.clone(),
            },
            ParameterEntry {
                path: "placement.dac_stage".into(),
                value: ParamValue::Stage(self.dac_stage.value),
                source: self.dac_stage.source.clone(),
            },
        ];
        out.extend(
            self.numeric_params()
                .into_iter()
                .map(|(path, p, _)| ParameterEntry {
                    path,
                    value: ParamValue::Number(p.value),
                    source: p.source.clone(),
                }),
        );
        out
    }

    /// The stages the link crosses: colder than room, down to and including the decoder's.
    pub fn link_stages(&self) -> &'static [Stage] {
        &Stage::ALL[1..=self.decoder_stage.value.index()]
    }

    /// Energy and heat of a run of `duration_s` seconds with these event counts.
    ///
    /// Counts are converted to `f64`, exact up to 2^53 events of a kind.
    pub fn evaluate(&self, events: &Events, duration_s: f64) -> Result<EnergyReport, EnergyError> {
        self.evaluate_with_replay(events, &ReplayEvents::default(), duration_s)
    }

    /// [`EnergyModel::evaluate`] for a program with loops: `replay`'s buffer traffic and
    /// replayed instructions are charged at the decoder's stage too.
    pub fn evaluate_with_replay(
        &self,
        events: &Events,
        replay: &ReplayEvents,
        duration_s: f64,
    ) -> Result<EnergyReport, EnergyError> {
        if !(duration_s.is_finite() && duration_s > 0.0) {
            return Err(EnergyError::InvalidDuration(duration_s));
        }
        let count = |n: u64| n as f64;
        let decoder = self.decoder_stage.value.index();
        let dac = self.dac_stage.value.index();
        let mut heat = [0.0f64; 6];
        let mut kinds = KindEnergies {
            link_room_j: count(events.link_bits) * self.link_room_energy_j_per_bit.value,
            ..KindEnergies::default()
        };
        heat[Stage::Room.index()] += kinds.link_room_j;

        let mut link_static_heat_j = 0.0;
        for &stage in self.link_stages() {
            let p = self.stage(stage);
            let cable_j = count(events.link_bits) * p.link_heat_j_per_bit.value;
            let static_j =
                count(events.link_lanes) * p.link_static_heat_w_per_lane.value * duration_s;
            kinds.link_cable_j += cable_j;
            link_static_heat_j += static_j;
            heat[stage.index()] += cable_j + static_j;
        }

        kinds.decoder_instructions_j =
            count(events.instructions_decoded) * self.decoder_energy_j_per_instruction.value;
        kinds.decoder_symbols_j =
            count(events.symbols_decoded) * self.decoder_energy_j_per_symbol.value;
        kinds.waveform_memory_j =
            count(events.waveform_memory_read_bits) * self.waveform_memory_energy_j_per_bit.value;
        kinds.multiply_add_j =
            count(events.multiply_adds) * self.reconstruction_energy_j_per_multiply_add.value;
        kinds.dac_j = count(events.dac_samples) * self.dac_energy_j_per_sample.value;
        let rb = &self.replay_buffer;
        kinds.replay_buffer_j = (count(replay.buffer_writes) + count(replay.buffer_reads))
            * rb.accesses_per_instruction.value
            * rb.access_energy_j(replay.buffer_bytes);
        kinds.replay_schedule_j =
            count(replay.replayed_instructions) * rb.schedule_energy_j_per_instruction.value;
        heat[decoder] += kinds.decoder_instructions_j
            + kinds.decoder_symbols_j
            + kinds.waveform_memory_j
            + kinds.multiply_add_j
            + kinds.replay_buffer_j
            + kinds.replay_schedule_j;
        heat[dac] += kinds.dac_j;

        let stages: Vec<StageReport> = Stage::ALL
            .into_iter()
            .map(|stage| {
                let p = self.stage(stage);
                let heat_j = heat[stage.index()];
                let heat_w = heat_j / duration_s;
                let capacity = p.cooling_capacity_w.value;
                StageReport {
                    stage,
                    temperature_k: p.temperature_k.value,
                    heat_j,
                    heat_w,
                    cooling_capacity_w: capacity,
                    // An unbounded capacity (room temperature) is never used up.
                    capacity_fraction: if capacity.is_finite() {
                        heat_w / capacity
                    } else {
                        0.0
                    },
                    cooling_wall_plug_j: heat_j * p.wall_plug_w_per_w.value,
                }
            })
            .collect();
        let total_energy_j = kinds.total();
        let cooling_wall_plug_j = stages.iter().map(|s| s.cooling_wall_plug_j).sum::<f64>();
        let wall_plug_j = total_energy_j + cooling_wall_plug_j;
        let not_finite = |quantity: String, value: f64| EnergyError::NotFinite {
            quantity,
            value,
            duration_s,
        };
        for s in &stages {
            for (what, v) in [
                ("heat_w", s.heat_w),
                ("capacity_fraction", s.capacity_fraction),
                ("cooling_wall_plug_j", s.cooling_wall_plug_j),
            ] {
                if !v.is_finite() {
                    return Err(not_finite(
                        format!(
                            "stages.{}.{what} (from stages.{}.wall_plug_w_per_w and the heat deposited there)",
                            s.stage, s.stage
                        ),
                        v,
                    ));
                }
            }
        }
        for (what, v) in [
            (
                "link_static_heat_j (link_lanes × link_static_heat_w_per_lane × duration)",
                link_static_heat_j,
            ),
            ("total_energy_j (the event energies)", total_energy_j),
            ("wall_plug_j", wall_plug_j),
            (
                "wall_plug_w (wall_plug_j / duration)",
                wall_plug_j / duration_s,
            ),
        ] {
            if !v.is_finite() {
                return Err(not_finite(what.to_string(), v));
            }
        }
        Ok(EnergyReport {
            duration_s,
            decoder_stage: self.decoder_stage.value,
            dac_stage: self.dac_stage.value,
            by_kind: kinds,
            link_static_heat_j,
            stages,
            total_energy_j,
            total_heat_j: total_energy_j + link_static_heat_j,
            cooling_wall_plug_j,
            wall_plug_j,
            wall_plug_w: wall_plug_j / duration_s,
        })
    }

    /// Every numeric parameter with its path and rule, in file order.
    fn numeric_params(&self) -> Vec<(String, &Param, Rule)> {
        let mut out = vec![
            (
                "link.room_energy_j_per_bit".to_string(),
                &self.link_room_energy_j_per_bit,
                Rule::NonNegative,
            ),
            (
                "decoder.energy_j_per_instruction".to_string(),
                &self.decoder_energy_j_per_instruction,
                Rule::NonNegative,
            ),
            (
                "decoder.energy_j_per_symbol".to_string(),
                &self.decoder_energy_j_per_symbol,
                Rule::NonNegative,
            ),
            (
                "waveform_memory.energy_j_per_bit".to_string(),
                &self.waveform_memory_energy_j_per_bit,
                Rule::NonNegative,
            ),
            (
                "reconstruction.energy_j_per_multiply_add".to_string(),
                &self.reconstruction_energy_j_per_multiply_add,
                Rule::NonNegative,
            ),
            (
                "dac.energy_j_per_sample".to_string(),
                &self.dac_energy_j_per_sample,
                Rule::NonNegative,
            ),
        ];
        for stage in Stage::ALL {
            let p = self.stage(stage);
            let path = |field: &str| format!("stages.{}.{field}", stage.key());
            out.push((path("temperature_k"), &p.temperature_k, Rule::Positive));
            out.push((
                path("cooling_capacity_w"),
                &p.cooling_capacity_w,
                Rule::PositiveOrInfinite,
            ));
            out.push((
                path("wall_plug_w_per_w"),
                &p.wall_plug_w_per_w,
                Rule::NonNegative,
            ));
            out.push((
                path("link_heat_j_per_bit"),
                &p.link_heat_j_per_bit,
                Rule::NonNegative,
            ));
            out.push((
                path("link_static_heat_w_per_lane"),
                &p.link_static_heat_w_per_lane,
                Rule::NonNegative,
            ));
        }
        out
    }

    /// The replay buffer's numeric parameters with path and rule, in file order.
    fn replay_numeric_params(&self) -> Vec<(String, &Param, Rule)> {
        let rb = &self.replay_buffer;
        vec![
            (
                "replay_buffer.energy_j_per_access_8_kib".to_string(),
                &rb.energy_j_per_access_8_kib,
                Rule::NonNegative,
            ),
            (
                "replay_buffer.size_exponent".to_string(),
                &rb.size_exponent,
                Rule::Exponent,
            ),
            (
                "replay_buffer.accesses_per_instruction".to_string(),
                &rb.accesses_per_instruction,
                Rule::NonNegative,
            ),
            (
                "replay_buffer.schedule_energy_j_per_instruction".to_string(),
                &rb.schedule_energy_j_per_instruction,
                Rule::NonNegative,
            ),
        ]
    }

    /// Checks every value against its rule and every source for text.
    fn validate(&self, origin: &str) -> Result<(), EnergyError> {
        for (field, source) in [
            ("placement.decoder_stage", &self.decoder_stage.source),
            ("placement.dac_stage", &self.dac_stage.source),
        ] {
            if source.trim().is_empty() {
                return Err(EnergyError::EmptySource {
                    origin: origin.to_string(),
                    field: field.to_string(),
                });
            }
        }
        let mut numeric = self.numeric_params();
        numeric.extend(self.replay_numeric_params());
        for (field, p, rule) in numeric {
            let v = p.value;
            let reason = match rule {
                Rule::NonNegative if !(v.is_finite() && v >= 0.0) => {
                    Some("must be finite and not negative")
                }
                Rule::Positive if !(v.is_finite() && v > 0.0) => {
                    Some("must be finite and positive")
                }
                Rule::PositiveOrInfinite if v.is_nan() || v <= 0.0 => {
                    Some("must be positive (inf allowed)")
                }
                Rule::Exponent if !(0.0..=2.0).contains(&v) => Some("must be between 0 and 2"),
                _ if v.is_finite() && v > MAX_PARAM => {
                    Some("must be at most 1e12 (MAX_PARAM), so that no energy overflows")
                }
                _ => None,
            };
            if let Some(reason) = reason {
                return Err(EnergyError::InvalidValue {
                    origin: origin.to_string(),
                    field,
                    value: v,
                    reason,
                });
            }
            if p.source.trim().is_empty() {
                return Err(EnergyError::EmptySource {
                    origin: origin.to_string(),
                    field,
                });
            }
        }
        Ok(())
    }

    /// Reads a complete model from a parsed file, checking names, types and values.
    fn from_table(t: &Table, origin: &str) -> Result<Self, EnergyError> {
        let r = Reader { origin };
        r.check_keys(t, "", TOP_KEYS)?;
        let placement = r.section(t, "", "placement", &["decoder_stage", "dac_stage"])?;
        let link = r.section(t, "", "link", &["room_energy_j_per_bit"])?;
        let decoder = r.section(
            t,
            "",
            "decoder",
            &["energy_j_per_instruction", "energy_j_per_symbol"],
        )?;
        let memory = r.section(t, "", "waveform_memory", &["energy_j_per_bit"])?;
        let recon = r.section(t, "", "reconstruction", &["energy_j_per_multiply_add"])?;
        let dac = r.section(t, "", "dac", &["energy_j_per_sample"])?;
        let replay = r.section(t, "", "replay_buffer", REPLAY_KEYS)?;
        let rp = |key: &str| r.number(replay, "replay_buffer", key);
        let replay_buffer = ReplayBufferParams {
            energy_j_per_access_8_kib: rp("energy_j_per_access_8_kib")?,
            size_exponent: rp("size_exponent")?,
            accesses_per_instruction: rp("accesses_per_instruction")?,
            schedule_energy_j_per_instruction: rp("schedule_energy_j_per_instruction")?,
        };
        let stage_keys: Vec<&str> = Stage::ALL.iter().map(|s| s.key()).collect();
        let stages_t = r.section(t, "", "stages", &stage_keys)?;
        let mut stages = Vec::with_capacity(Stage::ALL.len());
        for stage in Stage::ALL {
            let st = r.section(stages_t, "stages", stage.key(), STAGE_KEYS)?;
            let path = format!("stages.{}", stage.key());
            stages.push(StageParams {
                temperature_k: r.number(st, &path, "temperature_k")?,
                cooling_capacity_w: r.number(st, &path, "cooling_capacity_w")?,
                wall_plug_w_per_w: r.number(st, &path, "wall_plug_w_per_w")?,
                link_heat_j_per_bit: r.number(st, &path, "link_heat_j_per_bit")?,
                link_static_heat_w_per_lane: r.number(st, &path, "link_static_heat_w_per_lane")?,
            });
        }
        let stages: [StageParams; 6] =
            stages
                .try_into()
                .map_err(|_: Vec<StageParams>| EnergyError::MissingField {
                    origin: origin.to_string(),
                    field: "stages".to_string(),
                })?;
        let model = EnergyModel {
            decoder_stage: r.stage(placement, "placement", "decoder_stage")?,
            dac_stage: r.stage(placement, "placement", "dac_stage")?,
            link_room_energy_j_per_bit: r.number(link, "link", "room_energy_j_per_bit")?,
            decoder_energy_j_per_instruction: r.number(
                decoder,
                "decoder",
                "energy_j_per_instruction",
            )?,
            decoder_energy_j_per_symbol: r.number(decoder, "decoder", "energy_j_per_symbol")?,
            waveform_memory_energy_j_per_bit: r.number(
                memory,
                "waveform_memory",
                "energy_j_per_bit",
            )?,
            reconstruction_energy_j_per_multiply_add: r.number(
                recon,
                "reconstruction",
                "energy_j_per_multiply_add",
            )?,
            dac_energy_j_per_sample: r.number(dac, "dac", "energy_j_per_sample")?,
            replay_buffer,
            stages,
        };
        model.validate(origin)?;
        Ok(model)
    }
}

/// `parent.key`, or `key` at the top.
fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// Parses TOML, turning the parser's byte span into a line and column.
fn parse_table(text: &str, origin: &str) -> Result<Table, EnergyError> {
    text.parse::<Table>().map_err(|e| {
        let (line, column) = e.span().map_or((0, 0), |span| {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            (line, column)
        });
        EnergyError::Syntax {
            origin: origin.to_string(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })
}

/// A parameter's table in the file: `{ value, source }`.
fn is_leaf(t: &Table) -> bool {
    t.contains_key("value")
}

/// Lays the user's `over` onto the defaults in `base`, refusing names the defaults lack.
fn merge_sections(
    base: &mut Table,
    over: &Table,
    path: &str,
    origin: &str,
) -> Result<(), EnergyError> {
    for (key, value) in over {
        let field = join(path, key);
        let Some(Value::Table(target)) = base.get_mut(key) else {
            return Err(EnergyError::UnknownField {
                origin: origin.to_string(),
                field,
            });
        };
        if is_leaf(target) {
            merge_leaf(target, value, &field, origin)?;
        } else if let Value::Table(section) = value {
            merge_sections(target, section, &field, origin)?;
        } else {
            return Err(EnergyError::WrongType {
                origin: origin.to_string(),
                field,
                expected: "a table",
            });
        }
    }
    Ok(())
}

/// Overrides one parameter: a bare value (short form) or a `{ value, source }` table.
fn merge_leaf(
    target: &mut Table,
    value: &Value,
    field: &str,
    origin: &str,
) -> Result<(), EnergyError> {
    // A changed value must not keep the default's citation: unless the user cites their own,
    // the source says where the number came from.
    let user_source = Value::String(format!("user override in {origin}"));
    match value {
        Value::Float(_) | Value::Integer(_) | Value::String(_) => {
            target.insert("value".to_string(), value.clone());
            target.insert("source".to_string(), user_source);
        }
        Value::Table(t) => {
            for key in t.keys() {
                if !LEAF_KEYS.contains(&key.as_str()) {
                    return Err(EnergyError::UnknownField {
                        origin: origin.to_string(),
                        field: join(field, key),
                    });
                }
            }
            if let Some(v) = t.get("value") {
                target.insert("value".to_string(), v.clone());
                target.insert("source".to_string(), user_source);
            }
            if let Some(s) = t.get("source") {
                target.insert("source".to_string(), s.clone());
            }
        }
        _ => {
            return Err(EnergyError::WrongType {
                origin: origin.to_string(),
                field: field.to_string(),
                expected: "a number, a stage name, or a table with `value` and `source`",
            });
        }
    }
    Ok(())
}

/// Typed, path-aware access to a parsed file.
struct Reader<'a> {
    origin: &'a str,
}

impl Reader<'_> {
    fn unknown(&self, field: String) -> EnergyError {
        EnergyError::UnknownField {
            origin: self.origin.to_string(),
            field,
        }
    }

    fn missing(&self, field: String) -> EnergyError {
        EnergyError::MissingField {
            origin: self.origin.to_string(),
            field,
        }
    }

    fn wrong(&self, field: String, expected: &'static str) -> EnergyError {
        EnergyError::WrongType {
            origin: self.origin.to_string(),
            field,
            expected,
        }
    }

    /// Refuses keys of `t` (at `path`) outside `allowed`.
    fn check_keys(&self, t: &Table, path: &str, allowed: &[&str]) -> Result<(), EnergyError> {
        match t.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(self.unknown(join(path, k))),
            None => Ok(()),
        }
    }

    /// The sub-table `parent.key`, whose keys must lie in `allowed`.
    fn section<'t>(
        &self,
        t: &'t Table,
        parent: &str,
        key: &str,
        allowed: &[&str],
    ) -> Result<&'t Table, EnergyError> {
        let path = join(parent, key);
        match t.get(key) {
            None => Err(self.missing(path)),
            Some(Value::Table(s)) => {
                self.check_keys(s, &path, allowed)?;
                Ok(s)
            }
            Some(_) => Err(self.wrong(path, "a table")),
        }
    }

    /// The parameter `parent.key` as `(value, source)`, with the value still untyped.
    fn leaf<'t>(
        &self,
        t: &'t Table,
        parent: &str,
        key: &str,
    ) -> Result<(&'t Value, String), EnergyError> {
        let leaf = self
            .section(t, parent, key, LEAF_KEYS)
            .map_err(|e| match e {
                EnergyError::WrongType { field, .. } => {
                    self.wrong(field, "a table with `value` and `source`")
                }
                other => other,
            })?;
        let path = join(parent, key);
        let value = leaf
            .get("value")
            .ok_or_else(|| self.missing(join(&path, "value")))?;
        let source = match leaf.get("source") {
            None => return Err(self.missing(join(&path, "source"))),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(self.wrong(join(&path, "source"), "a string")),
        };
        Ok((value, source))
    }

    fn number(&self, t: &Table, parent: &str, key: &str) -> Result<Param, EnergyError> {
        let (value, source) = self.leaf(t, parent, key)?;
        let value = match value {
            Value::Float(f) => *f,
            // TOML integers are exact here: parameter magnitudes are far below 2^53.
            Value::Integer(i) => *i as f64,
            _ => return Err(self.wrong(join(&join(parent, key), "value"), "a number")),
        };
        Ok(Param { value, source })
    }

    fn stage(&self, t: &Table, parent: &str, key: &str) -> Result<Sourced<Stage>, EnergyError> {
        let (value, source) = self.leaf(t, parent, key)?;
        let field = join(parent, key);
        let Value::String(name) = value else {
            return Err(self.wrong(join(&field, "value"), "a stage name"));
        };
        let value = Stage::from_key(name).ok_or_else(|| EnergyError::UnknownStage {
            origin: self.origin.to_string(),
            field,
            value: name.clone(),
        })?;
        Ok(Sourced { value, source })
    }
}
