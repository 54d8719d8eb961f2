//! Target descriptions: which native gate set a program is lowered to and how long each
//! operation takes (for scheduling). A small TOML format; an embedded default for each target.
//! The pulse layer will grow this into the full device calibration.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The native gate sets a circuit can be lowered to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// IBM-like continuous set: rz (virtual), sx, x, cz, measure, reset, delay, barrier.
    Native,
    /// h, s, sdg, t, tdg, x, y, z, cx, measure, reset, barrier.
    #[serde(rename = "clifford+t")]
    CliffordT,
}

impl TargetKind {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Native => "native",
            TargetKind::CliffordT => "clifford+t",
        }
    }
}

/// The native target's entangling gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TwoQubit {
    /// Controlled-Z (IBM Heron).
    #[default]
    Cz,
    /// Echoed cross-resonance (IBM Eagle).
    Ecr,
}

impl TwoQubit {
    /// The gate's OpenQASM name.
    pub fn name(self) -> &'static str {
        match self {
            TwoQubit::Cz => "cz",
            TwoQubit::Ecr => "ecr",
        }
    }
}

/// A target description: gate set, sample period and operation durations.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetDesc {
    /// A name for reports.
    pub name: String,
    pub kind: TargetKind,
    /// Duration of one `dt` (for `delay[...dt]`), in nanoseconds.
    pub dt_ns: f64,
    /// The native target's entangling gate (`cz` unless given; ignored by Clifford+T).
    #[serde(default)]
    pub two_qubit: TwoQubit,
    /// Duration of each native operation by name, in nanoseconds (`rz` is 0: a frame change).
    pub durations_ns: BTreeMap<String, f64>,
}

/// Why a target description cannot be used.
/// `v` for a message: plain when short, in exponent form when a plain form would run to many
/// digits (`1e300`, not three hundred of them).
fn shown(v: f64) -> String {
    if v == 0.0 || (1e-4..1e6).contains(&v.abs()) || !v.is_finite() {
        v.to_string()
    } else {
        format!("{v:e}")
    }
}

/// Longest duration a target file may give one operation: 1 s, a million times any gate, so
/// that a program's times stay far below what the instruction stream can carry (1e18 ns).
pub const MAX_OP_NS: f64 = 1e9;
/// Shortest sample period a target file may give (1 fs), as for devices.
pub const MIN_DT_NS: f64 = 1e-6;
/// Longest sample period a target file may give (1 µs), as for devices.
pub const MAX_DT_NS: f64 = 1e3;

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: no duration for '{op}', which the {kind} target needs")]
    MissingDuration {
        file: String,
        op: String,
        kind: &'static str,
    },
    #[error(
        "{file}: duration of '{op}' must be a finite number of nanoseconds >= 0 and at most 1e9 (MAX_OP_NS), not {}",
        shown(*.value)
    )]
    BadDuration {
        file: String,
        op: String,
        value: f64,
    },
    /// `dt_ns` is not a finite positive number of nanoseconds.
    #[error(
        "{file}: dt_ns must be a finite number of nanoseconds > 0, not {} (from 1e-6 to 1e3: MIN_DT_NS, MAX_DT_NS)",
        shown(*.value)
    )]
    BadDt {
        /// The file.
        file: String,
        /// The value given.
        value: f64,
    },
    /// A duration for an operation the target never schedules (most likely a typo).
    #[error(
        "{file}: [durations_ns] has unknown operation '{op}' for a {kind} target (known: {known})"
    )]
    UnknownOp {
        /// The file.
        file: String,
        /// The key given.
        op: String,
        /// The target kind.
        kind: &'static str,
        /// The operations a duration may be given for, comma-separated.
        known: String,
    },
}

const NATIVE_DEFAULT: &str = include_str!("../targets/native.toml");
const CLIFFORD_T_DEFAULT: &str = include_str!("../targets/clifford_t.toml");

impl TargetDesc {
    /// The operations whose durations a target needs.
    pub fn required_ops(kind: TargetKind, two_qubit: TwoQubit) -> &'static [&'static str] {
        match kind {
            TargetKind::Native if two_qubit == TwoQubit::Ecr => {
                &["rz", "sx", "x", "ecr", "measure", "reset"]
            }
            TargetKind::Native => &["rz", "sx", "x", "cz", "measure", "reset"],
            TargetKind::CliffordT => &[
                "h", "s", "sdg", "t", "tdg", "x", "y", "z", "cx", "measure", "reset",
            ],
        }
    }

    /// The operations a description of `kind` may give durations for: every operation its
    /// programs can contain (both entangling gates on the native target, so one file serves
    /// either), barriers included; delays carry their own duration.
    pub fn known_ops(kind: TargetKind) -> &'static [&'static str] {
        match kind {
            TargetKind::Native => &["rz", "sx", "x", "cz", "ecr", "measure", "reset", "barrier"],
            TargetKind::CliffordT => &[
                "h", "s", "sdg", "t", "tdg", "x", "y", "z", "cx", "measure", "reset", "barrier",
            ],
        }
    }

    /// Parse and check a description; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<TargetDesc, TargetError> {
        let desc: TargetDesc = toml::from_str(text).map_err(|e| TargetError::Parse {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        let known = Self::known_ops(desc.kind);
        if let Some(op) = desc
            .durations_ns
            .keys()
            .find(|k| !known.contains(&k.as_str()))
        {
            return Err(TargetError::UnknownOp {
                file: file.to_string(),
                op: op.clone(),
                kind: desc.kind.name(),
                known: known.join(", "),
            });
        }
        for op in Self::required_ops(desc.kind, desc.two_qubit) {
            let Some(&v) = desc.durations_ns.get(*op) else {
                return Err(TargetError::MissingDuration {
                    file: file.to_string(),
                    op: op.to_string(),
                    kind: desc.kind.name(),
                });
            };
            if !(0.0..=MAX_OP_NS).contains(&v) {
                return Err(TargetError::BadDuration {
                    file: file.to_string(),
                    op: op.to_string(),
                    value: v,
                });
            }
        }
        if !(MIN_DT_NS..=MAX_DT_NS).contains(&desc.dt_ns) {
            return Err(TargetError::BadDt {
                file: file.to_string(),
                value: desc.dt_ns,
            });
        }
        Ok(desc)
    }

    /// Load a description file (read whole, within [`eqisa_files::limit`]).
    pub fn from_file(path: &std::path::Path) -> Result<TargetDesc, TargetError> {
        let file = path.display().to_string();
        let text = eqisa_files::read_to_string(path).map_err(|source| TargetError::Io {
            file: file.clone(),
            source,
        })?;
        Self::from_toml(&text, &file)
    }

    /// The embedded default description of a target kind.
    pub fn default_for(kind: TargetKind) -> TargetDesc {
        let (text, file) = match kind {
            TargetKind::Native => (NATIVE_DEFAULT, "<embedded native.toml>"),
            TargetKind::CliffordT => (CLIFFORD_T_DEFAULT, "<embedded clifford_t.toml>"),
        };
        // The embedded files are checked by a unit test; a broken one is a build defect.
        match Self::from_toml(text, file) {
            Ok(d) => d,
            Err(e) => panic!("embedded target description is invalid: {e}"),
        }
    }

    /// Duration of `op` in nanoseconds (0 for operations the description does not list, such
    /// as barriers).
    pub fn duration(&self, op: &str) -> f64 {
        self.durations_ns.get(op).copied().unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_are_valid() {
        for kind in [TargetKind::Native, TargetKind::CliffordT] {
            let d = TargetDesc::default_for(kind);
            assert_eq!(d.kind, kind);
            assert_eq!(d.duration("rz"), 0.0);
        }
    }

    #[test]
    fn missing_and_bad_durations_are_named() {
        let text =
            "name = \"x\"\nkind = \"native\"\ndt_ns = 0.5\n[durations_ns]\nrz = 0\nsx = 32\n";
        let e = TargetDesc::from_toml(text, "t.toml").expect_err("incomplete");
        assert!(e.to_string().contains("t.toml: no duration for 'x'"), "{e}");
        let text = "name = \"x\"\nkind = \"native\"\ndt_ns = 0.5\n[durations_ns]\nrz = 0\nsx = -1\nx = 1\ncz = 1\nmeasure = 1\nreset = 1\n";
        let e = TargetDesc::from_toml(text, "t.toml").expect_err("negative");
        assert!(e.to_string().contains("'sx'"), "{e}");
        let e = TargetDesc::from_toml("kind = 3", "t.toml").expect_err("garbage");
        assert!(e.to_string().starts_with("t.toml:"), "{e}");
    }

    const NATIVE: &str = "name = \"x\"\nkind = \"native\"\ndt_ns = 0.5\n[durations_ns]\nrz = 0\nsx = 32\nx = 32\ncz = 68\nmeasure = 1\nreset = 1\n";

    /// `dt_ns = 0` is refused as "must be > 0" (it once said ">= 0, not 0").
    #[test]
    fn zero_dt_says_it_must_be_positive() {
        let text = NATIVE.replace("dt_ns = 0.5", "dt_ns = 0");
        let e = TargetDesc::from_toml(&text, "t.toml").expect_err("dt 0");
        let msg = e.to_string();
        assert!(msg.starts_with("t.toml: dt_ns must be"), "{msg}");
        assert!(msg.contains("> 0, not 0") && !msg.contains(">="), "{msg}");
    }

    /// Durations and sample periods a program could not carry (its decoder refuses times past
    /// 1e18 ns) are refused in the target file, naming the key, in exponent form.
    #[test]
    fn durations_and_dt_beyond_their_ranges_are_refused() {
        let text = NATIVE.replace("sx = 32", "sx = 1e300");
        let msg = TargetDesc::from_toml(&text, "t.toml")
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("t.toml: duration of 'sx'") && msg.contains("not 1e300"),
            "{msg}"
        );
        let text = NATIVE.replace("dt_ns = 0.5", "dt_ns = 1e300");
        let msg = TargetDesc::from_toml(&text, "t.toml")
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("dt_ns must be") && msg.contains("not 1e300"),
            "{msg}"
        );
        let text = NATIVE.replace("sx = 32", "sx = 1e9");
        assert!(TargetDesc::from_toml(&text, "t.toml").is_ok());
    }

    /// Unknown keys, at the top or among the durations, are refused with the file, the key and
    /// what is known (they were ignored silently).
    #[test]
    fn unknown_keys_are_refused_by_name() {
        let e = TargetDesc::from_toml(&format!("{NATIVE}cnot = 300\n"), "t.toml")
            .expect_err("unknown op");
        let msg = e.to_string();
        assert!(
            msg.starts_with("t.toml:") && msg.contains("'cnot'"),
            "{msg}"
        );
        assert!(msg.contains("known: rz, sx, x, cz, ecr"), "{msg}");
        let top = NATIVE.replace("dt_ns = 0.5", "dt_ns = 0.5\ntwo_qbit = \"ecr\"");
        let e = TargetDesc::from_toml(&top, "t.toml").expect_err("unknown key");
        let msg = e.to_string();
        assert!(
            msg.starts_with("t.toml:") && msg.contains("two_qbit"),
            "{msg}"
        );
        assert!(msg.contains("two_qubit"), "lists the known fields: {msg}");
        assert!(TargetDesc::from_toml(NATIVE, "t.toml").is_ok());
    }
}
