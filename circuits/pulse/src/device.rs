//! Device calibrations: our TOML format (ARCHITECTURE.md, "Formats"), checked on load, and the embedded default
//! device.

use std::collections::BTreeMap;

use crate::calibration::{ControlChannel, GateCal, QubitParams};
use crate::shape::Samples;

/// A device calibration: sample period, DAC resolution, qubit parameters, control channels,
/// calibrated gate schedules and the library of sampled waveforms they play.
#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    /// A name for reports.
    pub name: String,
    /// Sample period, nanoseconds.
    pub dt_ns: f64,
    /// DAC resolution per I and Q sample, 1 to 16 bits (16 unless the device says otherwise):
    /// the device plays the top `dac_bits` bits of each 16-bit code.
    pub dac_bits: u8,
    /// Qubit `i`'s parameters at index `i`.
    pub qubits: Vec<QubitParams>,
    /// Control channel `uN` at index `N`.
    pub control_channels: Vec<ControlChannel>,
    /// Calibrated gates, each (name, qubits) at most once.
    pub gates: Vec<GateCal>,
    /// Sampled waveforms by name (IBM's `pulse_library`).
    pub library: BTreeMap<String, Samples>,
    /// Gates the calibration publishes but that could not be rebuilt (IBM's `ibm_torino`
    /// plays `CZ90_uN` tones without their samples): kept so that a later "no calibration"
    /// error can say why.
    pub dropped_gates: Vec<DroppedGate>,
}

/// A published gate calibration left out on import, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DroppedGate {
    /// The gate's name (`cz`, `measure`).
    pub name: String,
    /// The qubits it acts on, in order.
    pub qubits: Vec<u32>,
    /// Why it was left out (`cmd_def[12] (cz on qubits 0, 1): plays waveform 'CZ90_u0', which
    /// pulse_library lacks`).
    pub reason: String,
}

/// Most qubits a device may have: far above any published device (IBM's largest has 1,121),
/// and checked before anything is allocated per qubit.
pub const MAX_QUBITS: usize = 1 << 14;
/// Most control channels (`uN`) a device may have: four per qubit of the largest device.
pub const MAX_CONTROL_CHANNELS: usize = 4 * MAX_QUBITS;
/// Longest single pulse (a parametric shape or a library waveform), in samples: 2^20 (233 µs
/// at dt = 0.222 ns, 16 MiB of complex samples). IBM's longest readout pulse in the corpus is
/// 358,400 samples (Toronto's measure, 80 µs), so a device may hold pulses longer than the
/// `.eqb` pulse section codes as one waveform (65,536); those are refused when coded, not here.
pub const MAX_PULSE_SAMPLES: u64 = 1 << 20;
/// Latest end of any item of a gate's schedule (`t0 + duration`), in `dt`: 2^24 samples
/// (3.7 ms at dt = 0.222 ns), a thousand times IBM's longest calibrated gate.
pub const MAX_GATE_DT: u64 = 1 << 24;
/// Shortest sample period a device may give, ns (1 fs).
pub const MIN_DT_NS: f64 = 1e-6;
/// Longest sample period a device may give, ns (1 µs).
pub const MAX_DT_NS: f64 = 1e3;

use std::fmt::Write as _;

use num_complex::Complex64;
use serde::Deserialize;

use crate::calibration::{Channel, Phase, ScheduleItem};
use crate::shape::Shape;

/// Why a device calibration cannot be used. Every variant names the file and, where there is
/// one, the field (`gates[3] (x on qubit 0).schedule[1]`, `cmd_def[12] (x on qubit 3)`).
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// Not TOML/JSON, or not of the expected structure.
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    /// A duration below zero (or not an integer number of samples).
    #[error("{file}: {field}: duration {value} is negative")]
    NegativeDuration {
        file: String,
        field: String,
        value: f64,
    },
    #[error("{file}: {field}: pulse amplitude {amp} > 1")]
    AmplitudeAboveOne {
        file: String,
        field: String,
        amp: f64,
    },
    #[error("{file}: {field}: unknown pulse shape '{shape}'")]
    UnknownShape {
        file: String,
        field: String,
        shape: String,
    },
    #[error("{file}: {field}: qubit {qubit} out of range (the device has {num_qubits})")]
    QubitOutOfRange {
        file: String,
        field: String,
        qubit: u64,
        num_qubits: usize,
    },
    #[error("{file}: {field}: channel '{channel}' out of range or malformed")]
    ChannelOutOfRange {
        file: String,
        field: String,
        channel: String,
    },
    #[error(
        "{file}: {field}: sample period dt must be a finite number of nanoseconds in [1e-6, 1e3] (MIN_DT_NS..=MAX_DT_NS), not {value}"
    )]
    BadDt {
        file: String,
        field: String,
        value: f64,
    },
    #[error("{file}: {field}: waveform '{name}' is not in the pulse library")]
    UnknownWaveform {
        file: String,
        field: String,
        name: String,
    },
    /// Any other inconsistent value (sigma ≤ 0, width > duration, a duplicate gate, a
    /// non-finite number, an unparsable phase).
    #[error("{file}: {field}: {message}")]
    Invalid {
        file: String,
        field: String,
        message: String,
    },
    /// A value of the wrong JSON type (`"dt": "abc"`).
    #[error("{file}: {field}: expected {expected}, found {found}")]
    WrongType {
        file: String,
        field: String,
        expected: &'static str,
        found: &'static str,
    },
    /// A size or time above one of the documented limits ([`MAX_QUBITS`], [`MAX_GATE_DT`], …),
    /// checked before anything is allocated for it.
    #[error("{file}: {field}: {what} {value} exceeds the limit of {max} ({limit})")]
    Limit {
        file: String,
        field: String,
        what: &'static str,
        value: u64,
        max: u64,
        /// The limit's name, for the reader who wants to look it up.
        limit: &'static str,
    },
    /// A gate the lowering needs has no calibration.
    #[error("device '{device}': no calibration for {gate} on {qubits}{why}")]
    MissingGate {
        device: String,
        gate: String,
        qubits: String,
        /// Why the calibration is missing, when the import left it out (`: left out on
        /// import: …`), else empty.
        why: String,
    },
}

/// `Err(DeviceError::Limit)` when `value > max`.
pub(crate) fn check_limit(
    file: &str,
    field: &str,
    what: &'static str,
    value: u64,
    max: u64,
    limit: &'static str,
) -> Result<(), DeviceError> {
    if value > max {
        return Err(DeviceError::Limit {
            file: file.to_string(),
            field: field.to_string(),
            what,
            value,
            max,
            limit,
        });
    }
    Ok(())
}

/// `qubit 3`, `qubits 0, 1`.
pub(crate) fn qubits_text(qubits: &[u32]) -> String {
    let list: Vec<String> = qubits.iter().map(|q| q.to_string()).collect();
    match qubits.len() {
        1 => format!("qubit {}", list.join(", ")),
        _ => format!("qubits {}", list.join(", ")),
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Channel::Drive(i) => write!(f, "d{i}"),
            Channel::Control(i) => write!(f, "u{i}"),
            Channel::Measure(i) => write!(f, "m{i}"),
        }
    }
}

impl Channel {
    /// Parse `d3`, `u12`, `m0`.
    pub fn parse(s: &str) -> Option<Channel> {
        let (kind, num) = s.split_at_checked(1)?;
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = num.parse().ok()?;
        match kind {
            "d" => Some(Channel::Drive(n)),
            "u" => Some(Channel::Control(n)),
            "m" => Some(Channel::Measure(n)),
            _ => None,
        }
    }
}

impl ScheduleItem {
    /// When the item starts, in `dt` from the gate's start.
    pub fn t0(&self) -> u64 {
        match self {
            ScheduleItem::Play { t0, .. }
            | ScheduleItem::ShiftPhase { t0, .. }
            | ScheduleItem::Delay { t0, .. }
            | ScheduleItem::Acquire { t0, .. } => *t0,
        }
    }

    /// The channel it acts on (`None` for an acquisition).
    pub fn channel(&self) -> Option<Channel> {
        match self {
            ScheduleItem::Play { channel, .. }
            | ScheduleItem::ShiftPhase { channel, .. }
            | ScheduleItem::Delay { channel, .. } => Some(*channel),
            ScheduleItem::Acquire { .. } => None,
        }
    }
}

impl crate::calibration::GateCal {
    /// The schedule's length in `dt`: the latest end of a play, delay, acquisition or frame
    /// change.
    pub fn duration(&self, library: &BTreeMap<String, Samples>) -> u64 {
        self.items
            .iter()
            .map(|it| match it {
                ScheduleItem::Play { t0, shape, .. } => {
                    t0 + shape.duration_in(library).unwrap_or(0)
                }
                ScheduleItem::ShiftPhase { t0, .. } => *t0,
                ScheduleItem::Delay { t0, duration, .. }
                | ScheduleItem::Acquire { t0, duration, .. } => t0 + duration,
            })
            .max()
            .unwrap_or(0)
    }
}

const DEFAULT_DEVICE: &str = include_str!("../devices/default.toml");

impl Device {
    /// The calibration of gate `name` on exactly `qubits` (in order).
    pub fn gate(&self, name: &str, qubits: &[u32]) -> Option<&GateCal> {
        self.gates
            .iter()
            .find(|g| g.name == name && g.qubits == qubits)
    }

    /// [`Device::gate`], or a [`DeviceError::MissingGate`] naming the device.
    pub fn require_gate(&self, name: &str, qubits: &[u32]) -> Result<&GateCal, DeviceError> {
        self.gate(name, qubits)
            .ok_or_else(|| DeviceError::MissingGate {
                device: self.name.clone(),
                gate: name.to_string(),
                qubits: qubits_text(qubits),
                why: self
                    .why_missing(name, qubits)
                    .map(|r| format!(": left out on import: {r}"))
                    .unwrap_or_default(),
            })
    }

    /// Why gate `name` on `qubits` has no calibration, when the import left a published one
    /// out (a group calibration such as IBM's `measure` over a whole `meas_map` group counts
    /// for each of its qubits).
    pub fn why_missing(&self, name: &str, qubits: &[u32]) -> Option<&str> {
        let exact = self
            .dropped_gates
            .iter()
            .find(|g| g.name == name && g.qubits == qubits);
        let group = || {
            self.dropped_gates.iter().find(|g| {
                g.name == name && !qubits.is_empty() && qubits.iter().all(|q| g.qubits.contains(q))
            })
        };
        exact.or_else(group).map(|g| g.reason.as_str())
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> u32 {
        self.qubits.len() as u32
    }

    /// The qubit pairs some two-qubit gate (`cx`, `ecr`, `cz`) is calibrated on, as
    /// calibrated (directed; both orders appear where both are calibrated).
    pub fn coupled_pairs(&self) -> Vec<(u32, u32)> {
        self.gates
            .iter()
            .filter(|g| matches!(g.name.as_str(), "cx" | "ecr" | "cz"))
            .filter_map(|g| match g.qubits.as_slice() {
                &[a, b] => Some((a, b)),
                _ => None,
            })
            .collect()
    }

    /// The entangling gate the device calibrates most (`cx`, `ecr` or `cz`), if any.
    pub fn two_qubit_gate(&self) -> Option<&'static str> {
        ["ecr", "cz", "cx"]
            .into_iter()
            .map(|n| (n, self.gates.iter().filter(|g| g.name == n).count()))
            .filter(|&(_, c)| c > 0)
            .max_by_key(|&(_, c)| c)
            .map(|(n, _)| n)
    }

    /// The embedded default device (a converted IBM calibration: see the header of
    /// `circuits/pulse/devices/default.toml`).
    pub fn default_device() -> Device {
        // The embedded file is checked by a unit test; a broken one is a build defect.
        match Self::from_toml(DEFAULT_DEVICE, "<embedded default.toml>") {
            Ok(d) => d,
            Err(e) => panic!("embedded default device is invalid: {e}"),
        }
    }

    /// Parse and check our TOML format; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<Device, DeviceError> {
        let raw: RawDevice = toml::from_str(text).map_err(|e| DeviceError::Parse {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        let d = raw.convert(file)?;
        d.validate(file)?;
        Ok(d)
    }

    /// Check the calibration is consistent: `dt > 0`, qubits and channels in range, every
    /// shape valid with |amp| ≤ 1, library waveforms present and |sample| ≤ 1, no gate twice.
    /// `file` names the source in errors; fields are named as in our TOML format.
    pub fn validate(&self, file: &str) -> Result<(), DeviceError> {
        let f = || file.to_string();
        if !(self.dt_ns.is_finite() && (MIN_DT_NS..=MAX_DT_NS).contains(&self.dt_ns)) {
            return Err(DeviceError::BadDt {
                file: f(),
                field: "dt_ns".into(),
                value: self.dt_ns,
            });
        }
        // Pulse samples are 16-bit I/Q codes; a narrower DAC plays their top bits.
        if !(1..=16).contains(&self.dac_bits) {
            return Err(invalid(
                file,
                "dac_bits",
                format!(
                    "must lie in 1..=16 (samples are 16-bit codes), not {}",
                    self.dac_bits
                ),
            ));
        }
        let n = self.qubits.len();
        check_limit(
            file,
            "qubits",
            "qubit count",
            n as u64,
            MAX_QUBITS as u64,
            "MAX_QUBITS",
        )?;
        check_limit(
            file,
            "control_channels",
            "control channel count",
            self.control_channels.len() as u64,
            MAX_CONTROL_CHANNELS as u64,
            "MAX_CONTROL_CHANNELS",
        )?;
        for (i, q) in self.qubits.iter().enumerate() {
            if !(q.freq_ghz.is_finite() && q.anharmonicity_ghz.is_finite()) {
                return Err(invalid(
                    file,
                    &format!("qubits[{i}]"),
                    "frequencies must be finite".into(),
                ));
            }
        }
        let qubit_ok = |field: &str, q: u32| {
            if (q as usize) < n {
                Ok(())
            } else {
                Err(DeviceError::QubitOutOfRange {
                    file: f(),
                    field: field.to_string(),
                    qubit: u64::from(q),
                    num_qubits: n,
                })
            }
        };
        for (i, c) in self.control_channels.iter().enumerate() {
            let field = format!("control_channels[{i}]");
            if c.index as usize != i {
                return Err(invalid(
                    file,
                    &field,
                    format!(
                        "index {} should be {i}: control channels are listed in order",
                        c.index
                    ),
                ));
            }
            qubit_ok(&field, c.line)?;
            qubit_ok(&field, c.freq_qubit)?;
        }
        for (name, samples) in &self.library {
            let field = format!("waveforms.{name}");
            check_limit(
                file,
                &field,
                "waveform length",
                samples.len() as u64,
                MAX_PULSE_SAMPLES,
                "MAX_PULSE_SAMPLES",
            )?;
            for (k, s) in samples.iter().enumerate() {
                if !(s.re.is_finite() && s.im.is_finite()) {
                    return Err(invalid(file, &field, format!("sample {k} is not finite")));
                }
                if s.norm() > 1.0 + 1e-9 {
                    return Err(DeviceError::AmplitudeAboveOne {
                        file: f(),
                        field: format!("{field}[{k}]"),
                        amp: s.norm(),
                    });
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (gi, g) in self.gates.iter().enumerate() {
            let gfield = format!("gates[{gi}] ({} on {})", g.name, qubits_text(&g.qubits));
            if !seen.insert((g.name.as_str(), g.qubits.as_slice())) {
                return Err(invalid(file, &gfield, "calibrated twice".into()));
            }
            for &q in &g.qubits {
                qubit_ok(&gfield, q)?;
            }
            for (ii, it) in g.items.iter().enumerate() {
                let field = format!("{gfield}.schedule[{ii}]");
                check_item_times(file, &field, it)?;
                if let Some(ch) = it.channel() {
                    let ok = match ch {
                        Channel::Drive(q) | Channel::Measure(q) => (q as usize) < n,
                        Channel::Control(u) => (u as usize) < self.control_channels.len(),
                    };
                    if !ok {
                        return Err(DeviceError::ChannelOutOfRange {
                            file: f(),
                            field,
                            channel: ch.to_string(),
                        });
                    }
                }
                match it {
                    ScheduleItem::Play { shape, .. } => {
                        check_shape(file, &field, shape, &self.library)?
                    }
                    ScheduleItem::ShiftPhase { phase, .. } => {
                        let finite = match *phase {
                            Phase::Const(p) => p.is_finite(),
                            Phase::Param { scale, offset, .. } => {
                                scale.is_finite() && offset.is_finite()
                            }
                        };
                        if !finite {
                            return Err(invalid(file, &field, "phase is not finite".into()));
                        }
                    }
                    ScheduleItem::Acquire { qubits, .. } => {
                        for &q in qubits {
                            qubit_ok(&field, q)?;
                        }
                    }
                    ScheduleItem::Delay { .. } => {}
                }
            }
            self.check_no_overlap(file, &gfield, g)?;
        }
        Ok(())
    }

    /// A channel plays one waveform at a time: two plays of one gate that overlap on a channel
    /// are refused here, naming them, before any sample is rendered (lowering would otherwise
    /// render every sample of, say, a thousand overlapping plays before noticing).
    fn check_no_overlap(&self, file: &str, gfield: &str, g: &GateCal) -> Result<(), DeviceError> {
        let mut plays: Vec<(Channel, u64, u64, usize)> = g
            .items
            .iter()
            .enumerate()
            .filter_map(|(k, it)| match it {
                ScheduleItem::Play { t0, channel, shape } => {
                    let len = match shape {
                        Shape::Sampled { name } => {
                            self.library.get(name).map_or(0, Vec::len) as u64
                        }
                        _ => shape.duration().unwrap_or(0),
                    };
                    Some((*channel, *t0, t0.saturating_add(len), k))
                }
                _ => None,
            })
            .filter(|&(_, start, end, _)| end > start)
            .collect();
        plays.sort_by_key(|&(ch, start, _, k)| (ch, start, k));
        for w in plays.windows(2) {
            let ((ch, _, end, a), (next_ch, start, _, b)) = (w[0], w[1]);
            if ch == next_ch && start < end {
                return Err(invalid(
                    file,
                    &format!("{gfield}.schedule[{b}]"),
                    format!(
                        "plays on {ch} from {start}, while schedule[{a}] plays there until {end}: a channel plays one waveform at a time"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The calibration in our TOML format ([`Device::from_toml`] reads it back equal).
    pub fn to_toml(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "name = {}", quote(&self.name));
        let _ = writeln!(s, "dt_ns = {}", num(self.dt_ns));
        let _ = writeln!(s, "dac_bits = {}", self.dac_bits);
        for q in &self.qubits {
            let _ = writeln!(
                s,
                "\n[[qubits]]\nfreq_ghz = {}\nanharmonicity_ghz = {}",
                num(q.freq_ghz),
                num(q.anharmonicity_ghz)
            );
        }
        for c in &self.control_channels {
            let _ = writeln!(
                s,
                "\n[[control_channels]]\nindex = {}\nline = {}\nfreq_qubit = {}",
                c.index, c.line, c.freq_qubit
            );
        }
        for g in &self.gates {
            let qs: Vec<String> = g.qubits.iter().map(|q| q.to_string()).collect();
            let _ = writeln!(
                s,
                "\n[[gates]]\nname = {}\nqubits = [{}]\nschedule = [",
                quote(&g.name),
                qs.join(", ")
            );
            for it in &g.items {
                let _ = writeln!(s, "  {},", item_toml(it));
            }
            s.push_str("]\n");
        }
        for g in &self.dropped_gates {
            let qs: Vec<String> = g.qubits.iter().map(|q| q.to_string()).collect();
            let _ = writeln!(
                s,
                "\n[[dropped_gates]]\nname = {}\nqubits = [{}]\nreason = {}",
                quote(&g.name),
                qs.join(", "),
                quote(&g.reason)
            );
        }
        for (name, samples) in &self.library {
            let _ = write!(s, "\n[[waveforms]]\nname = {}\nsamples = [", quote(name));
            for (i, z) in samples.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                let _ = write!(s, "[{}, {}]", num(z.re), num(z.im));
            }
            s.push_str("]\n");
        }
        s
    }
}

fn invalid(file: &str, field: &str, message: String) -> DeviceError {
    DeviceError::Invalid {
        file: file.to_string(),
        field: field.to_string(),
        message,
    }
}

/// Check a schedule item's times against [`MAX_GATE_DT`] (start, length and end) and a played
/// shape's length against [`MAX_PULSE_SAMPLES`].
pub(crate) fn check_item_times(
    file: &str,
    field: &str,
    it: &ScheduleItem,
) -> Result<(), DeviceError> {
    let t0 = it.t0();
    check_limit(file, field, "start t0", t0, MAX_GATE_DT, "MAX_GATE_DT")?;
    let length = match it {
        ScheduleItem::Play { shape, .. } => {
            let d = shape.duration().unwrap_or(0);
            check_limit(
                file,
                field,
                "pulse duration",
                d,
                MAX_PULSE_SAMPLES,
                "MAX_PULSE_SAMPLES",
            )?;
            d
        }
        ScheduleItem::Delay { duration, .. } | ScheduleItem::Acquire { duration, .. } => *duration,
        ScheduleItem::ShiftPhase { .. } => 0,
    };
    check_limit(
        file,
        field,
        "end t0 + duration",
        t0.saturating_add(length),
        MAX_GATE_DT,
        "MAX_GATE_DT",
    )
}

/// Check one played shape: known waveform, valid parameters, |amp| ≤ 1.
pub(crate) fn check_shape(
    file: &str,
    field: &str,
    shape: &Shape,
    library: &BTreeMap<String, Samples>,
) -> Result<(), DeviceError> {
    if let Shape::Sampled { name } = shape {
        if !library.contains_key(name) {
            return Err(DeviceError::UnknownWaveform {
                file: file.to_string(),
                field: field.to_string(),
                name: name.clone(),
            });
        }
        return Ok(());
    }
    if let Some(a) = shape.amp()
        && a.norm() > 1.0 + 1e-9
    {
        return Err(DeviceError::AmplitudeAboveOne {
            file: file.to_string(),
            field: field.to_string(),
            amp: a.norm(),
        });
    }
    shape
        .check()
        .map_err(|e| invalid(file, field, e.to_string()))
}

/// A TOML basic string (JSON's escapes are a subset of TOML's).
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{}\"", s.escape_default()))
}

/// A float TOML reads back bit for bit (Rust's shortest round-trip form; always with a `.` or
/// an exponent so TOML types it as a float).
fn num(v: f64) -> String {
    let t = format!("{v:?}");
    if t.contains(['.', 'e', 'E', 'n', 'i']) {
        t
    } else {
        format!("{t}.0")
    }
}

fn phase_toml(p: &Phase) -> String {
    match *p {
        Phase::Const(v) => num(v),
        Phase::Param {
            index,
            scale,
            offset,
        } if offset == 0.0 && (scale == 1.0 || scale == -1.0) => {
            format!("\"{}P{index}\"", if scale < 0.0 { "-" } else { "" })
        }
        Phase::Param {
            index,
            scale,
            offset,
        } => format!(
            "{{ param = {index}, scale = {}, offset = {} }}",
            num(scale),
            num(offset)
        ),
    }
}

fn item_toml(it: &ScheduleItem) -> String {
    match it {
        ScheduleItem::Play { t0, channel, shape } => {
            let mut s = format!(
                "{{ t0 = {t0}, play = \"{channel}\", shape = \"{}\"",
                shape.kind()
            );
            let amp = |a: Complex64| format!("[{}, {}]", num(a.re), num(a.im));
            match shape {
                Shape::Gaussian {
                    duration,
                    amp: a,
                    sigma,
                } => {
                    let _ = write!(
                        s,
                        ", duration = {duration}, amp = {}, sigma = {}",
                        amp(*a),
                        num(*sigma)
                    );
                }
                Shape::Drag {
                    duration,
                    amp: a,
                    sigma,
                    beta,
                } => {
                    let _ = write!(
                        s,
                        ", duration = {duration}, amp = {}, sigma = {}, beta = {}",
                        amp(*a),
                        num(*sigma),
                        num(*beta)
                    );
                }
                Shape::GaussianSquare {
                    duration,
                    amp: a,
                    sigma,
                    width,
                } => {
                    let _ = write!(
                        s,
                        ", duration = {duration}, amp = {}, sigma = {}, width = {}",
                        amp(*a),
                        num(*sigma),
                        num(*width)
                    );
                }
                Shape::GaussianSquareDrag {
                    duration,
                    amp: a,
                    sigma,
                    width,
                    beta,
                } => {
                    let _ = write!(
                        s,
                        ", duration = {duration}, amp = {}, sigma = {}, width = {}, beta = {}",
                        amp(*a),
                        num(*sigma),
                        num(*width),
                        num(*beta)
                    );
                }
                Shape::Constant { duration, amp: a } => {
                    let _ = write!(s, ", duration = {duration}, amp = {}", amp(*a));
                }
                Shape::Sampled { name } => {
                    let _ = write!(s, ", waveform = {}", quote(name));
                }
            }
            s.push_str(" }");
            s
        }
        ScheduleItem::ShiftPhase { t0, channel, phase } => {
            format!(
                "{{ t0 = {t0}, shift_phase = \"{channel}\", phase = {} }}",
                phase_toml(phase)
            )
        }
        ScheduleItem::Delay {
            t0,
            channel,
            duration,
        } => {
            format!("{{ t0 = {t0}, delay = \"{channel}\", duration = {duration} }}")
        }
        ScheduleItem::Acquire {
            t0,
            duration,
            qubits,
        } => {
            let qs: Vec<String> = qubits.iter().map(|q| q.to_string()).collect();
            format!(
                "{{ t0 = {t0}, acquire = [{}], duration = {duration} }}",
                qs.join(", ")
            )
        }
    }
}

// ---- the TOML format, as read ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice {
    name: String,
    dt_ns: f64,
    #[serde(default = "default_dac_bits")]
    dac_bits: i64,
    #[serde(default)]
    qubits: Vec<RawQubit>,
    #[serde(default)]
    control_channels: Vec<RawControl>,
    #[serde(default)]
    gates: Vec<RawGate>,
    #[serde(default)]
    waveforms: Vec<RawWaveform>,
    #[serde(default)]
    dropped_gates: Vec<RawDropped>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDropped {
    name: String,
    qubits: Vec<u32>,
    reason: String,
}

fn default_dac_bits() -> i64 {
    16
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQubit {
    freq_ghz: f64,
    anharmonicity_ghz: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    index: i64,
    line: i64,
    freq_qubit: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    name: String,
    qubits: Vec<i64>,
    #[serde(default)]
    schedule: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaveform {
    name: String,
    samples: Vec<[f64; 2]>,
}

/// One schedule entry: exactly one of `play`, `shift_phase`, `delay`, `acquire` says what it
/// is; the other keys are its parameters.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    t0: i64,
    play: Option<String>,
    shift_phase: Option<String>,
    delay: Option<String>,
    acquire: Option<Vec<i64>>,
    shape: Option<String>,
    duration: Option<i64>,
    amp: Option<[f64; 2]>,
    sigma: Option<f64>,
    width: Option<f64>,
    beta: Option<f64>,
    waveform: Option<String>,
    phase: Option<RawPhase>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawPhase {
    Number(f64),
    Text(String),
    Param { param: u8, scale: f64, offset: f64 },
}

/// Parse `P0`, `-P1`, `-(P0)`, `+P2`.
pub(crate) fn parse_param_phase(s: &str) -> Option<Phase> {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let (scale, rest) = match t.strip_prefix('-') {
        Some(r) => (-1.0, r),
        None => (1.0, t.strip_prefix('+').unwrap_or(&t)),
    };
    let rest = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(rest);
    let index: u8 = rest.strip_prefix('P')?.parse().ok()?;
    Some(Phase::Param {
        index,
        scale,
        offset: 0.0,
    })
}

impl RawDevice {
    fn convert(self, file: &str) -> Result<Device, DeviceError> {
        let dac_bits = u8::try_from(self.dac_bits).map_err(|_| {
            invalid(
                file,
                "dac_bits",
                format!(
                    "must lie in 1..=16 (samples are 16-bit codes), not {}",
                    self.dac_bits
                ),
            )
        })?;
        let n = self.qubits.len();
        let to_u32 = |field: &str, v: i64| {
            u32::try_from(v)
                .ok()
                .filter(|&q| (q as usize) < n)
                .ok_or_else(|| DeviceError::QubitOutOfRange {
                    file: file.to_string(),
                    field: field.to_string(),
                    qubit: v as u64,
                    num_qubits: n,
                })
        };
        let qubits = self
            .qubits
            .iter()
            .map(|q| QubitParams {
                freq_ghz: q.freq_ghz,
                anharmonicity_ghz: q.anharmonicity_ghz,
            })
            .collect();
        let mut control_channels = Vec::with_capacity(self.control_channels.len());
        for (i, c) in self.control_channels.iter().enumerate() {
            let field = format!("control_channels[{i}]");
            let index = u32::try_from(c.index)
                .map_err(|_| invalid(file, &field, format!("index {} is negative", c.index)))?;
            control_channels.push(ControlChannel {
                index,
                line: to_u32(&field, c.line)?,
                freq_qubit: to_u32(&field, c.freq_qubit)?,
            });
        }
        let mut library = BTreeMap::new();
        for w in self.waveforms {
            let samples = w
                .samples
                .iter()
                .map(|&[re, im]| Complex64::new(re, im))
                .collect();
            if library.insert(w.name.clone(), samples).is_some() {
                return Err(invalid(
                    file,
                    &format!("waveforms.{}", w.name),
                    "defined twice".into(),
                ));
            }
        }
        let mut gates = Vec::with_capacity(self.gates.len());
        for (gi, g) in self.gates.into_iter().enumerate() {
            let mut qs = Vec::with_capacity(g.qubits.len());
            let gfield = format!("gates[{gi}] ({})", g.name);
            for &q in &g.qubits {
                qs.push(to_u32(&format!("{gfield}.qubits"), q)?);
            }
            let gfield = format!("gates[{gi}] ({} on {})", g.name, qubits_text(&qs));
            let mut items = Vec::with_capacity(g.schedule.len());
            for (ii, it) in g.schedule.into_iter().enumerate() {
                items.push(it.convert(file, &format!("{gfield}.schedule[{ii}]"), n)?);
            }
            gates.push(GateCal {
                name: g.name,
                qubits: qs,
                items,
            });
        }
        Ok(Device {
            name: self.name,
            dt_ns: self.dt_ns,
            dac_bits,
            qubits,
            control_channels,
            gates,
            library,
            dropped_gates: self
                .dropped_gates
                .into_iter()
                .map(|g| DroppedGate {
                    name: g.name,
                    qubits: g.qubits,
                    reason: g.reason,
                })
                .collect(),
        })
    }
}

/// A duration in samples: an integer ≥ 0.
fn duration_of(file: &str, field: &str, v: i64) -> Result<u64, DeviceError> {
    u64::try_from(v).map_err(|_| DeviceError::NegativeDuration {
        file: file.to_string(),
        field: field.to_string(),
        value: v as f64,
    })
}

impl RawItem {
    fn convert(self, file: &str, field: &str, n: usize) -> Result<ScheduleItem, DeviceError> {
        let t0 = u64::try_from(self.t0)
            .map_err(|_| invalid(file, field, format!("t0 {} is negative", self.t0)))?;
        let channel = |s: &str| {
            Channel::parse(s).ok_or_else(|| DeviceError::ChannelOutOfRange {
                file: file.to_string(),
                field: field.to_string(),
                channel: s.to_string(),
            })
        };
        let need = |v: Option<f64>, key: &str| {
            v.ok_or_else(|| invalid(file, field, format!("'{key}' is missing")))
        };
        let kinds = [
            self.play.is_some(),
            self.shift_phase.is_some(),
            self.delay.is_some(),
            self.acquire.is_some(),
        ];
        if kinds.iter().filter(|&&k| k).count() != 1 {
            return Err(invalid(
                file,
                field,
                "needs exactly one of 'play', 'shift_phase', 'delay', 'acquire'".into(),
            ));
        }
        let duration = match self.duration {
            Some(d) => Some(duration_of(file, field, d)?),
            None => None,
        };
        if let Some(ch) = &self.play {
            let channel = channel(ch)?;
            let kind = self
                .shape
                .clone()
                .ok_or_else(|| invalid(file, field, "'shape' is missing".into()))?;
            let samples_len = || -> Result<u32, DeviceError> {
                let d =
                    duration.ok_or_else(|| invalid(file, field, "'duration' is missing".into()))?;
                u32::try_from(d)
                    .map_err(|_| invalid(file, field, format!("duration {d} is too long")))
            };
            let amp = || -> Result<Complex64, DeviceError> {
                let [re, im] = self
                    .amp
                    .ok_or_else(|| invalid(file, field, "'amp' is missing".into()))?;
                Ok(Complex64::new(re, im))
            };
            let shape = match kind.as_str() {
                "gaussian" => Shape::Gaussian {
                    duration: samples_len()?,
                    amp: amp()?,
                    sigma: need(self.sigma, "sigma")?,
                },
                "drag" => Shape::Drag {
                    duration: samples_len()?,
                    amp: amp()?,
                    sigma: need(self.sigma, "sigma")?,
                    beta: need(self.beta, "beta")?,
                },
                "gaussian_square" => Shape::GaussianSquare {
                    duration: samples_len()?,
                    amp: amp()?,
                    sigma: need(self.sigma, "sigma")?,
                    width: need(self.width, "width")?,
                },
                "gaussian_square_drag" => Shape::GaussianSquareDrag {
                    duration: samples_len()?,
                    amp: amp()?,
                    sigma: need(self.sigma, "sigma")?,
                    width: need(self.width, "width")?,
                    beta: need(self.beta, "beta")?,
                },
                "constant" => Shape::Constant {
                    duration: samples_len()?,
                    amp: amp()?,
                },
                "sampled" => Shape::Sampled {
                    name: self
                        .waveform
                        .clone()
                        .ok_or_else(|| invalid(file, field, "'waveform' is missing".into()))?,
                },
                other => {
                    return Err(DeviceError::UnknownShape {
                        file: file.to_string(),
                        field: field.to_string(),
                        shape: other.to_string(),
                    });
                }
            };
            return Ok(ScheduleItem::Play { t0, channel, shape });
        }
        if let Some(ch) = &self.shift_phase {
            let phase = match self.phase {
                Some(RawPhase::Number(v)) => Phase::Const(v),
                Some(RawPhase::Text(t)) => parse_param_phase(&t).ok_or_else(|| {
                    invalid(
                        file,
                        field,
                        format!("phase '{t}' is neither a number nor 'P0', '-P0', ..."),
                    )
                })?,
                Some(RawPhase::Param {
                    param,
                    scale,
                    offset,
                }) => Phase::Param {
                    index: param,
                    scale,
                    offset,
                },
                None => return Err(invalid(file, field, "'phase' is missing".into())),
            };
            return Ok(ScheduleItem::ShiftPhase {
                t0,
                channel: channel(ch)?,
                phase,
            });
        }
        let duration =
            duration.ok_or_else(|| invalid(file, field, "'duration' is missing".into()))?;
        if let Some(ch) = &self.delay {
            return Ok(ScheduleItem::Delay {
                t0,
                channel: channel(ch)?,
                duration,
            });
        }
        let mut qubits = Vec::new();
        for &q in self.acquire.iter().flatten() {
            qubits.push(
                u32::try_from(q)
                    .ok()
                    .filter(|&q| (q as usize) < n)
                    .ok_or_else(|| DeviceError::QubitOutOfRange {
                        file: file.to_string(),
                        field: field.to_string(),
                        qubit: q as u64,
                        num_qubits: n,
                    })?,
            );
        }
        Ok(ScheduleItem::Acquire {
            t0,
            duration,
            qubits,
        })
    }
}
