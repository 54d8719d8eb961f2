//! Importer for the pulse defaults IBM backends publish: `defs_*.json` (`cmd_def`,
//! `pulse_library`), with `conf_*.json` beside it for `dt` and control channels and
//! `props_*.json` for qubit frequencies and anharmonicities.
//!
//! What is read:
//! * `defs_X.json`: `cmd_def` (each gate's schedule: `parametric_pulse` with `drag`,
//!   `gaussian`, `gaussian_square`, `gaussian_square_drag` or `constant`; library waveforms by
//!   name; `fc` frame changes with a constant phase or `-(P0)`-style parameter; `delay`;
//!   `acquire`) and `pulse_library` (`[re, im]` samples). Amplitudes are `[re, im]`, or a
//!   magnitude `amp` with an `angle`. Instructions that do not shape the waveforms (`setf`,
//!   `shiftf`, `setp`, `pv`, `snapshot`) are skipped and counted in the [`ImportReport`]; none
//!   occurs in the 36 calibrations of the corpus.
//! * `conf_X.json`: `backend_name`, `n_qubits`, `dt`, `u_channel_lo` and `channels`. IBM's
//!   schema gives `dt` in seconds, but most published files (35 of the 36 in the corpus) give it
//!   in nanoseconds (`0.2222…`); `ibmq_poughkeepsie` gives seconds (`3.55e-9`). A value below
//!   1e-3 is taken as seconds (no device samples slower than a microsecond, or faster than a
//!   femtosecond), anything else as nanoseconds.
//! * `props_X.json`: each qubit's `frequency` and `anharmonicity` (GHz; MHz and Hz are
//!   converted; a published 0 means unknown). A missing frequency falls back to the defaults'
//!   `qubit_freq_est` (`ibm_torino` publishes 0 for every property). Where the properties
//!   lack an anharmonicity, the Duffing `delta{i}` of the
//!   configuration's Hamiltonian (angular, 2π·GHz) is used; where that is absent too (the
//!   two-level model of `ibmq_poughkeepsie`) a typical transmon value,
//!   [`ASSUMED_ANHARMONICITY_GHZ`], is assumed and the report says so.
//!
//! Control channels: `u_channel_lo[N]` names the qubit whose frequency `uN` plays at; the
//! qubit whose drive line carries it is the other qubit of the two-qubit gate that plays on
//! `uN` (a cross-resonance tone drives the control at the target's frequency). Where no gate
//! plays on it, or `u_channel_lo` is empty (Heron's tunable couplers on `ibm_torino`), the
//! configuration's `channels.uN.operates.qubits` (`[line, other]`) is used.
//!
//! A gate whose schedule plays a waveform the `pulse_library` lacks cannot be rebuilt: it is
//! left out and the report lists it (`ibm_torino` publishes its `cz` tones, `CZ90_uN`, without
//! their samples).

use std::collections::BTreeMap;
use std::path::Path;

use num_complex::Complex64;
use serde_json::Value;

use crate::calibration::{Channel, ControlChannel, GateCal, Phase, QubitParams, ScheduleItem};
use crate::device::{
    Device, DeviceError, DroppedGate, MAX_CONTROL_CHANNELS, MAX_GATE_DT, MAX_PULSE_SAMPLES,
    MAX_QUBITS, check_item_times, check_limit, check_shape, parse_param_phase, qubits_text,
};
use crate::shape::{Samples, Shape};

/// The anharmonicity assumed for a qubit whose calibration gives none, GHz (IBM Falcon and
/// Eagle transmons lie between -0.30 and -0.35 GHz).
pub const ASSUMED_ANHARMONICITY_GHZ: f64 = -0.33;

/// What an import skipped or assumed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportReport {
    /// Skipped instructions by name (they do not shape waveforms).
    pub skipped_instructions: BTreeMap<String, u64>,
    /// Gates left out, with why.
    pub dropped_gates: Vec<String>,
    /// Qubits whose anharmonicity was assumed ([`ASSUMED_ANHARMONICITY_GHZ`]).
    pub assumed_anharmonicity: Vec<u32>,
    /// The configuration gave `dt` in seconds.
    pub dt_in_seconds: bool,
}

impl ImportReport {
    /// One line per finding (empty when nothing was skipped or assumed).
    pub fn notes(&self) -> Vec<String> {
        let mut v = Vec::new();
        for (name, n) in &self.skipped_instructions {
            v.push(format!(
                "skipped {n} '{name}' instruction(s): they do not shape waveforms"
            ));
        }
        for d in &self.dropped_gates {
            v.push(format!("left out {d}"));
        }
        if !self.assumed_anharmonicity.is_empty() {
            v.push(format!(
                "{} qubit(s) have no anharmonicity: assumed {ASSUMED_ANHARMONICITY_GHZ} GHz",
                self.assumed_anharmonicity.len()
            ));
        }
        v
    }
}

/// `conf_X.json` / `props_X.json` beside `defs_X.json`.
fn sibling(defs: &Path, prefix: &str) -> Result<std::path::PathBuf, DeviceError> {
    let name = defs.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let rest = name.strip_prefix("defs_").ok_or_else(|| DeviceError::Parse {
        file: defs.display().to_string(),
        message: "an IBM pulse-defaults file must be named defs_<backend>.json (conf_ and props_ files beside it)".into(),
    })?;
    Ok(defs.with_file_name(format!("{prefix}{rest}")))
}

fn read(path: &Path) -> Result<(String, Value), DeviceError> {
    let file = path.display().to_string();
    let text = eqisa_files::read_to_string(path).map_err(|source| DeviceError::Io {
        file: file.clone(),
        source,
    })?;
    let v = serde_json::from_str(&text).map_err(|e| DeviceError::Parse {
        file: file.clone(),
        message: e.to_string(),
    })?;
    Ok((file, v))
}

/// Import `defs_X.json` with its `conf_X.json` and `props_X.json`.
pub fn import(defs: &Path) -> Result<(Device, ImportReport), DeviceError> {
    let (dfile, d) = read(defs)?;
    let (cfile, c) = read(&sibling(defs, "conf_")?)?;
    let props_path = sibling(defs, "props_")?;
    let (pfile, p) = read(&props_path)?;
    from_json(&d, &c, &p, [&dfile, &cfile, &pfile])
}

fn parse_err(file: &str, message: impl Into<String>) -> DeviceError {
    DeviceError::Parse {
        file: file.to_string(),
        message: message.into(),
    }
}

fn invalid(file: &str, field: &str, message: impl Into<String>) -> DeviceError {
    DeviceError::Invalid {
        file: file.to_string(),
        field: field.to_string(),
        message: message.into(),
    }
}

/// The JSON type of `v`, for "expected …, found …" errors.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_u64() => "a whole number",
        Value::Number(n) if n.is_i64() => "a negative whole number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `parent.key`, or `key` at the top of a file.
fn path_of(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn wrong_type(file: &str, field: String, expected: &'static str, v: &Value) -> DeviceError {
    DeviceError::WrongType {
        file: file.to_string(),
        field,
        expected,
        found: type_name(v),
    }
}

/// Typed look-ups in a JSON object: an absent key is `Ok(None)` (or "no 'key'" for the
/// required forms), a present key of the wrong type is [`DeviceError::WrongType`] naming the
/// key's path (`parent.key`), never "missing".
struct Json<'a> {
    file: &'a str,
    /// The object's own path (`cmd_def[3].sequence[0]`; empty at the top of a file).
    path: &'a str,
    obj: &'a Value,
}

impl<'a> Json<'a> {
    fn new(file: &'a str, path: &'a str, obj: &'a Value) -> Self {
        Json { file, path, obj }
    }

    fn field(&self, key: &str) -> String {
        path_of(self.path, key)
    }

    fn missing(&self, key: &str) -> DeviceError {
        if self.path.is_empty() {
            parse_err(self.file, format!("no '{key}'"))
        } else {
            invalid(self.file, self.path, format!("no '{key}'"))
        }
    }

    fn opt(&self, key: &str) -> Option<&'a Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    fn typed<T>(
        &self,
        key: &str,
        expected: &'static str,
        conv: impl Fn(&'a Value) -> Option<T>,
    ) -> Result<Option<T>, DeviceError> {
        match self.opt(key) {
            None => Ok(None),
            Some(v) => conv(v)
                .map(Some)
                .ok_or_else(|| wrong_type(self.file, self.field(key), expected, v)),
        }
    }

    fn opt_str(&self, key: &str) -> Result<Option<&'a str>, DeviceError> {
        self.typed(key, "a string", Value::as_str)
    }

    fn str(&self, key: &str) -> Result<&'a str, DeviceError> {
        self.opt_str(key)?.ok_or_else(|| self.missing(key))
    }

    fn opt_f64(&self, key: &str) -> Result<Option<f64>, DeviceError> {
        self.typed(key, "a number", Value::as_f64)
    }

    fn f64(&self, key: &str) -> Result<f64, DeviceError> {
        self.opt_f64(key)?.ok_or_else(|| self.missing(key))
    }

    fn opt_u64(&self, key: &str) -> Result<Option<u64>, DeviceError> {
        self.typed(key, "a whole number ≥ 0", Value::as_u64)
    }

    fn u64(&self, key: &str) -> Result<u64, DeviceError> {
        self.opt_u64(key)?.ok_or_else(|| self.missing(key))
    }

    fn opt_array(&self, key: &str) -> Result<&'a [Value], DeviceError> {
        Ok(self
            .typed(key, "an array", |v| v.as_array().map(Vec::as_slice))?
            .unwrap_or(&[]))
    }

    fn array(&self, key: &str) -> Result<&'a [Value], DeviceError> {
        self.typed(key, "an array", |v| v.as_array().map(Vec::as_slice))?
            .ok_or_else(|| self.missing(key))
    }

    /// A qubit index below `n`.
    fn qubit(&self, field: String, v: &Value, n: usize) -> Result<u32, DeviceError> {
        let q = v
            .as_u64()
            .ok_or_else(|| wrong_type(self.file, field.clone(), "a qubit index", v))?;
        if q as usize >= n || q > u64::from(u32::MAX) {
            return Err(DeviceError::QubitOutOfRange {
                file: self.file.to_string(),
                field,
                qubit: q,
                num_qubits: n,
            });
        }
        Ok(q as u32)
    }
}

/// Import from parsed JSON documents; `files` = the defs, conf and props names for errors.
pub fn from_json(
    defs: &Value,
    conf: &Value,
    props: &Value,
    files: [&str; 3],
) -> Result<(Device, ImportReport), DeviceError> {
    let [dfile, cfile, pfile] = files;
    let mut report = ImportReport::default();
    let c = Json::new(cfile, "", conf);
    let name = c.str("backend_name")?.to_string();
    let n_raw = c.u64("n_qubits")?;
    // Before anything is allocated per qubit.
    check_limit(
        cfile,
        "n_qubits",
        "qubit count",
        n_raw,
        MAX_QUBITS as u64,
        "MAX_QUBITS",
    )?;
    let n = n_raw as usize;
    let dt_raw = c.f64("dt")?;
    if !(dt_raw.is_finite() && dt_raw > 0.0) {
        return Err(DeviceError::BadDt {
            file: cfile.to_string(),
            field: "dt".into(),
            value: dt_raw,
        });
    }
    report.dt_in_seconds = dt_raw < 1e-3;
    let dt_ns = if report.dt_in_seconds {
        dt_raw * 1e9
    } else {
        dt_raw
    };

    let qubits = qubit_params(conf, props, defs, n, pfile, &mut report)?;

    // The sampled waveforms.
    let mut library = BTreeMap::new();
    let top = Json::new(dfile, "", defs);
    for (i, w) in top.opt_array("pulse_library")?.iter().enumerate() {
        let wpath = format!("pulse_library[{i}]");
        let wname = Json::new(dfile, &wpath, w).str("name")?;
        let field = format!("pulse_library[{i}] ({wname})");
        let samples = Json::new(dfile, &field, w).array("samples")?;
        check_limit(
            dfile,
            &field,
            "waveform length",
            samples.len() as u64,
            MAX_PULSE_SAMPLES,
            "MAX_PULSE_SAMPLES",
        )?;
        let mut out: Samples = Vec::with_capacity(samples.len());
        for (k, s) in samples.iter().enumerate() {
            let z = complex(s)
                .ok_or_else(|| invalid(dfile, &field, format!("sample {k} is not [re, im]")))?;
            if z.norm() > 1.0 + 1e-9 {
                return Err(DeviceError::AmplitudeAboveOne {
                    file: dfile.to_string(),
                    field: format!("{field} sample {k}"),
                    amp: z.norm(),
                });
            }
            out.push(z);
        }
        library.insert(wname.to_string(), out);
    }

    // The gates.
    let cmd_defs = top.array("cmd_def")?;
    let mut gates: Vec<GateCal> = Vec::with_capacity(cmd_defs.len());
    let mut dropped_gates = Vec::new();
    'gates: for (k, cd) in cmd_defs.iter().enumerate() {
        let kpath = format!("cmd_def[{k}]");
        let gname = Json::new(dfile, &kpath, cd).str("name")?;
        let npath = format!("cmd_def[{k}] ({gname})");
        let nj = Json::new(dfile, &npath, cd);
        let mut gq = Vec::new();
        for (j, q) in nj.opt_array("qubits")?.iter().enumerate() {
            gq.push(nj.qubit(format!("{npath}.qubits[{j}]"), q, n)?);
        }
        let gfield = format!("cmd_def[{k}] ({gname} on {})", qubits_text(&gq));
        let seq = Json::new(dfile, &gfield, cd).array("sequence")?;
        let mut items = Vec::with_capacity(seq.len());
        for (j, ins) in seq.iter().enumerate() {
            let field = format!("{gfield}.sequence[{j}]");
            match instruction(ins, &field, dfile, n, &library)? {
                Instr::Item(it) => items.push(it),
                Instr::Skip(what) => *report.skipped_instructions.entry(what).or_insert(0) += 1,
                Instr::MissingWaveform(w) => {
                    let reason =
                        format!("{gfield}: plays waveform '{w}', which pulse_library lacks");
                    report.dropped_gates.push(reason.clone());
                    dropped_gates.push(DroppedGate {
                        name: gname.to_string(),
                        qubits: gq,
                        reason,
                    });
                    continue 'gates;
                }
            }
        }
        gates.push(GateCal {
            name: gname.to_string(),
            qubits: gq,
            items,
        });
    }

    let control_channels = control_channels(conf, &gates, n, cfile)?;
    let device = Device {
        name,
        dt_ns,
        dac_bits: 16,
        qubits,
        control_channels,
        gates,
        library,
        dropped_gates,
    };
    device.validate(dfile)?;
    Ok((device, report))
}

/// `[re, im]`.
pub(crate) fn complex(v: &Value) -> Option<Complex64> {
    let a = v.as_array()?;
    match a.as_slice() {
        [re, im] => Some(Complex64::new(re.as_f64()?, im.as_f64()?)),
        _ => None,
    }
}

enum Instr {
    Item(ScheduleItem),
    Skip(String),
    MissingWaveform(String),
}

/// Instructions that set or shift the carrier frequency, or snapshot state: they do not change
/// baseband samples.
const SKIPPED: [&str; 5] = ["setf", "shiftf", "setp", "pv", "snapshot"];

fn instruction(
    ins: &Value,
    field: &str,
    file: &str,
    n: usize,
    library: &BTreeMap<String, Samples>,
) -> Result<Instr, DeviceError> {
    let j = Json::new(file, field, ins);
    let name = j.str("name")?;
    let t0 = nonneg(ins.get("t0"), file, field, "t0")?;
    let channel = || -> Result<Channel, DeviceError> {
        let ch = j.str("ch")?;
        Channel::parse(ch).ok_or_else(|| DeviceError::ChannelOutOfRange {
            file: file.to_string(),
            field: field.to_string(),
            channel: ch.to_string(),
        })
    };
    if SKIPPED.contains(&name) {
        return Ok(Instr::Skip(name.to_string()));
    }
    let item = match name {
        "fc" => {
            let phase = match ins.get("phase") {
                Some(Value::Number(x)) => Phase::Const(x.as_f64().unwrap_or(f64::NAN)),
                Some(Value::String(s)) => parse_param_phase(s).ok_or_else(|| {
                    invalid(
                        file,
                        field,
                        format!("phase '{s}' is neither a number nor '-(P0)'-style"),
                    )
                })?,
                Some(v) => {
                    return Err(wrong_type(
                        file,
                        path_of(field, "phase"),
                        "a number or a '-(P0)'-style string",
                        v,
                    ));
                }
                None => return Err(invalid(file, field, "no 'phase'")),
            };
            ScheduleItem::ShiftPhase {
                t0,
                channel: channel()?,
                phase,
            }
        }
        "delay" => ScheduleItem::Delay {
            t0,
            channel: channel()?,
            duration: nonneg(ins.get("duration"), file, field, "duration")?,
        },
        "acquire" => {
            let mut qubits = Vec::new();
            for (k, q) in j.opt_array("qubits")?.iter().enumerate() {
                qubits.push(j.qubit(format!("{field}.qubits[{k}]"), q, n)?);
            }
            ScheduleItem::Acquire {
                t0,
                duration: nonneg(ins.get("duration"), file, field, "duration")?,
                qubits,
            }
        }
        "parametric_pulse" => {
            let shape = parametric(ins, file, field)?;
            check_shape(file, field, &shape, library)?;
            ScheduleItem::Play {
                t0,
                channel: channel()?,
                shape,
            }
        }
        wave => {
            if !library.contains_key(wave) {
                return Ok(Instr::MissingWaveform(wave.to_string()));
            }
            ScheduleItem::Play {
                t0,
                channel: channel()?,
                shape: Shape::Sampled {
                    name: wave.to_string(),
                },
            }
        }
    };
    check_item_times(file, field, &item)?;
    Ok(Instr::Item(item))
}

/// An integer ≥ 0 (`NegativeDuration` for a negative one), at most [`MAX_GATE_DT`] (checked
/// here, before any later step sizes anything by it).
fn nonneg(v: Option<&Value>, file: &str, field: &str, key: &str) -> Result<u64, DeviceError> {
    let v = v.ok_or_else(|| invalid(file, field, format!("no '{key}'")))?;
    let within = |u: u64| {
        check_limit(
            file,
            &path_of(field, key),
            key_what(key),
            u,
            MAX_GATE_DT,
            "MAX_GATE_DT",
        )?;
        Ok(u)
    };
    if let Some(u) = v.as_u64() {
        return within(u);
    }
    if !v.is_number() {
        return Err(wrong_type(
            file,
            path_of(field, key),
            "a whole number of samples",
            v,
        ));
    }
    match v.as_f64() {
        Some(x) if x < 0.0 => Err(DeviceError::NegativeDuration {
            file: file.to_string(),
            field: format!("{field}.{key}"),
            value: x,
        }),
        Some(x) if x.fract() == 0.0 && x.is_finite() && x <= MAX_GATE_DT as f64 => Ok(x as u64),
        Some(x) if x.fract() == 0.0 && x.is_finite() => within(u64::MAX),
        _ => Err(invalid(
            file,
            field,
            format!("'{key}' is not a whole number of samples: {v}"),
        )),
    }
}

/// What a time key is, in limit errors.
fn key_what(key: &str) -> &'static str {
    match key {
        "t0" => "start t0",
        _ => "duration",
    }
}

fn parametric(ins: &Value, file: &str, field: &str) -> Result<Shape, DeviceError> {
    let j = Json::new(file, field, ins);
    let shape = j.str("pulse_shape")?;
    let params = j
        .opt("parameters")
        .ok_or_else(|| invalid(file, field, "no 'parameters'"))?;
    if !params.is_object() {
        return Err(wrong_type(
            file,
            path_of(field, "parameters"),
            "an object",
            params,
        ));
    }
    let ppath = path_of(field, "parameters");
    let pj = Json::new(file, &ppath, params);
    let num = |key: &str| pj.f64(key);
    let duration = {
        let d = nonneg(params.get("duration"), file, field, "parameters.duration")?;
        check_limit(
            file,
            &path_of(field, "parameters.duration"),
            "pulse duration",
            d,
            MAX_PULSE_SAMPLES,
            "MAX_PULSE_SAMPLES",
        )?;
        // MAX_PULSE_SAMPLES fits in u32.
        d as u32
    };
    // `[re, im]`, or Qiskit's newer magnitude `amp` with `angle`.
    let amp = match params.get("amp") {
        Some(v @ Value::Array(_)) => {
            complex(v).ok_or_else(|| invalid(file, field, "'amp' is not [re, im]"))?
        }
        Some(Value::Number(x)) => {
            let angle = pj.opt_f64("angle")?.unwrap_or(0.0);
            Complex64::from_polar(x.as_f64().unwrap_or(f64::NAN), angle)
        }
        Some(v) => {
            return Err(wrong_type(
                file,
                path_of(&ppath, "amp"),
                "a number or [re, im]",
                v,
            ));
        }
        None => return Err(invalid(file, field, "parameter 'amp' is missing")),
    };
    Ok(match shape {
        "gaussian" => Shape::Gaussian {
            duration,
            amp,
            sigma: num("sigma")?,
        },
        "drag" => Shape::Drag {
            duration,
            amp,
            sigma: num("sigma")?,
            beta: num("beta")?,
        },
        "gaussian_square" => Shape::GaussianSquare {
            duration,
            amp,
            sigma: num("sigma")?,
            width: num("width")?,
        },
        "gaussian_square_drag" => Shape::GaussianSquareDrag {
            duration,
            amp,
            sigma: num("sigma")?,
            width: num("width")?,
            beta: num("beta")?,
        },
        "constant" => Shape::Constant { duration, amp },
        other => {
            return Err(DeviceError::UnknownShape {
                file: file.to_string(),
                field: field.to_string(),
                shape: other.to_string(),
            });
        }
    })
}

/// A frequency in GHz from a property with a unit (`item` at `path` in `file`); `None` when it
/// has no value.
fn ghz(item: &Value, file: &str, path: &str) -> Result<Option<f64>, DeviceError> {
    let j = Json::new(file, path, item);
    let Some(v) = j.opt_f64("value")? else {
        return Ok(None);
    };
    let scale = match j.opt_str("unit")?.unwrap_or("GHz") {
        "GHz" => 1.0,
        "MHz" => 1e-3,
        "kHz" => 1e-6,
        "Hz" => 1e-9,
        other => {
            return Err(invalid(
                file,
                &path_of(path, "unit"),
                format!("unknown frequency unit '{other}' (GHz, MHz, kHz or Hz)"),
            ));
        }
    };
    Ok(Some(v * scale))
}

fn qubit_params(
    conf: &Value,
    props: &Value,
    defs: &Value,
    n: usize,
    pfile: &str,
    report: &mut ImportReport,
) -> Result<Vec<QubitParams>, DeviceError> {
    let pq = Json::new(pfile, "", props).opt_array("qubits")?;
    let hvars = conf.get("hamiltonian").and_then(|h| h.get("vars"));
    let freq_est = Json::new("", "", defs)
        .opt_array("qubit_freq_est")
        .unwrap_or(&[]);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let lpath = format!("qubits[{i}]");
        let list = match pq.get(i) {
            None => &[][..],
            Some(v) => v
                .as_array()
                .map(Vec::as_slice)
                .ok_or_else(|| wrong_type(pfile, lpath.clone(), "an array", v))?,
        };
        // Several backends publish 0 for a value they do not know.
        let find = |key: &str| -> Result<Option<f64>, DeviceError> {
            for (k, it) in list.iter().enumerate() {
                if it.get("name").and_then(Value::as_str) == Some(key) {
                    let v = ghz(it, pfile, &format!("{lpath}[{k}] ({key})"))?;
                    return Ok(v.filter(|v| *v != 0.0));
                }
            }
            Ok(None)
        };
        let freq_ghz = find("frequency")?
            .or_else(|| freq_est.get(i).and_then(Value::as_f64).filter(|v| *v > 0.0))
            .ok_or_else(|| {
                invalid(
                    pfile,
                    &format!("qubits[{i}]"),
                    "no 'frequency' (nor qubit_freq_est in the defaults)",
                )
            })?;
        let anharmonicity_ghz = match find("anharmonicity")? {
            Some(a) => a,
            None => match hvars
                .and_then(|v| v.get(format!("delta{i}")))
                .and_then(Value::as_f64)
                .filter(|d| *d != 0.0)
            {
                Some(delta) => delta / std::f64::consts::TAU,
                None => {
                    report.assumed_anharmonicity.push(i as u32);
                    ASSUMED_ANHARMONICITY_GHZ
                }
            },
        };
        out.push(QubitParams {
            freq_ghz,
            anharmonicity_ghz,
        });
    }
    Ok(out)
}

fn control_channels(
    conf: &Value,
    gates: &[GateCal],
    n: usize,
    cfile: &str,
) -> Result<Vec<ControlChannel>, DeviceError> {
    let lo = Json::new(cfile, "", conf).opt_array("u_channel_lo")?;
    let chans = conf.get("channels");
    let operates = |u: usize| -> Option<Vec<u32>> {
        let qs = chans?
            .get(format!("u{u}"))?
            .get("operates")?
            .get("qubits")?
            .as_array()?;
        qs.iter().map(|q| q.as_u64().map(|q| q as u32)).collect()
    };
    // How many: the most any source names.
    let mut count = lo.len() as u64;
    for g in gates {
        for it in &g.items {
            if let Some(Channel::Control(u)) = it.channel() {
                count = count.max(u64::from(u) + 1);
            }
        }
    }
    // Before allocating a channel per index a gate names.
    check_limit(
        cfile,
        "u_channel_lo",
        "control channel count",
        count,
        MAX_CONTROL_CHANNELS as u64,
        "MAX_CONTROL_CHANNELS",
    )?;
    let count = count as usize;
    let mut out = Vec::with_capacity(count);
    for u in 0..count {
        let field = format!("u_channel_lo[{u}]");
        let op = operates(u);
        let freq_qubit = match lo.get(u).and_then(Value::as_array).and_then(|l| l.first()) {
            Some(entry) => {
                let epath = format!("{field}[0]");
                let q = Json::new(cfile, &epath, entry).u64("q")?;
                u32::try_from(q).map_err(|_| DeviceError::QubitOutOfRange {
                    file: cfile.to_string(),
                    field: path_of(&epath, "q"),
                    qubit: q,
                    num_qubits: n,
                })?
            }
            None => match op.as_deref() {
                Some([_, f, ..]) => *f,
                Some([f]) => *f,
                _ => {
                    return Err(invalid(
                        cfile,
                        &field,
                        format!(
                            "u{u} is played but neither u_channel_lo nor channels.u{u} says what it drives"
                        ),
                    ));
                }
            },
        };
        // The line: the other qubit of a two-qubit gate that plays on uN.
        let from_gate = gates.iter().find_map(|g| {
            let plays = g.items.iter().any(|it| {
                matches!(it, ScheduleItem::Play { channel: Channel::Control(c), .. } if *c as usize == u)
            });
            match (plays, g.qubits.as_slice()) {
                (true, &[a, b]) if b == freq_qubit => Some(a),
                (true, &[a, b]) if a == freq_qubit => Some(b),
                _ => None,
            }
        });
        let line = from_gate
            .or_else(|| op.as_ref().and_then(|o| o.first().copied()))
            .unwrap_or(freq_qubit);
        for q in [line, freq_qubit] {
            if q as usize >= n {
                return Err(DeviceError::QubitOutOfRange {
                    file: cfile.to_string(),
                    field: field.clone(),
                    qubit: u64::from(q),
                    num_qubits: n,
                });
            }
        }
        out.push(ControlChannel {
            index: u as u32,
            line,
            freq_qubit,
        });
    }
    Ok(out)
}
