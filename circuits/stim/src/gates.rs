//! Stim's gate facts as data: every instruction name and alias Stim 1.16 defines, what kind of
//! instruction it is, and how it decomposes into the standard gates of `eqisa-ir`.
//!
//! A decomposition is a word of steps applied left to right, `;`-separated: a standard gate of
//! `stdgates.inc` or `qelib1.inc` (or `U(θ, φ, λ)` with angles `0`, `pi`, `pi/2`, `-pi/2`) on step qubits `0`
//! and `1` (the instruction's first and second target of one application), `M k` to measure
//! step qubit `k` into the next record bit, `R k` to reset it. The unitaries are checked against
//! Stim's own tableaux (`tests/unitaries.rs`). Single-qubit gates that Stim's OpenQASM export
//! writes as a correct `U(…)` keep that `U`, so that a `.stim` file and its export compile
//! alike; the others are the shortest words of standard gates.

use eqisa_ir::gates::StandardGate;

/// What an instruction does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A unitary on `arity` qubits per application.
    Unitary {
        /// Qubits per application (targets are taken in groups of this size).
        arity: u8,
        /// The decomposition (see the module documentation).
        body: &'static str,
        /// The Pauli it applies when controlled by a measurement record bit, if it may be.
        feedback: Feedback,
    },
    /// A reset, a measurement, or both, in some basis, on `arity` qubits per application; a
    /// body holds at most one `M` step.
    Collapse {
        /// Qubits per application.
        arity: u8,
        /// The decomposition (see the module documentation).
        body: &'static str,
    },
    /// `MPP`: measurements of Pauli products (`X1*Y2*Z3`).
    Mpp,
    /// `SPP` / `SPP_DAG`: the square root of a Pauli product (or its inverse).
    Spp {
        /// True for `SPP_DAG`.
        dag: bool,
    },
    /// `MPAD`: appends known bits to the measurement record.
    Mpad,
    /// Detectors, observables and coordinates: skipped and counted.
    Annotation,
    /// A noise channel: skipped and counted.
    Noise,
    /// A heralded noise channel: it appends to the measurement record with a random herald,
    /// which no control stream can produce, so it is refused.
    Heralded,
    /// `TICK`: a layer boundary.
    Tick,
    /// `REPEAT n { … }`.
    Repeat,
}

/// How a two-qubit gate acts when one of its targets is a measurement record bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feedback {
    /// It takes no record targets.
    None,
    /// The record bit must be the first target of the pair; the second qubit gets `pauli`.
    First(StandardGate),
    /// The record bit must be the second target; the first qubit gets `pauli`.
    Second(StandardGate),
    /// The record bit may be either target; the other gets `pauli`.
    Either(StandardGate),
}

/// One instruction of Stim: its canonical name, its aliases, and its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GateFact {
    /// Stim's canonical name.
    pub name: &'static str,
    /// Other names Stim accepts for it.
    pub aliases: &'static [&'static str],
    /// What it does.
    pub kind: Kind,
}

const fn u1(name: &'static str, aliases: &'static [&'static str], body: &'static str) -> GateFact {
    GateFact {
        name,
        aliases,
        kind: Kind::Unitary {
            arity: 1,
            body,
            feedback: Feedback::None,
        },
    }
}

const fn u2(name: &'static str, aliases: &'static [&'static str], body: &'static str) -> GateFact {
    u2f(name, aliases, body, Feedback::None)
}

const fn u2f(
    name: &'static str,
    aliases: &'static [&'static str],
    body: &'static str,
    feedback: Feedback,
) -> GateFact {
    GateFact {
        name,
        aliases,
        kind: Kind::Unitary {
            arity: 2,
            body,
            feedback,
        },
    }
}

const fn c(
    name: &'static str,
    aliases: &'static [&'static str],
    arity: u8,
    body: &'static str,
) -> GateFact {
    GateFact {
        name,
        aliases,
        kind: Kind::Collapse { arity, body },
    }
}

const fn k(name: &'static str, aliases: &'static [&'static str], kind: Kind) -> GateFact {
    GateFact {
        name,
        aliases,
        kind,
    }
}

/// Every instruction Stim 1.16 defines (`stim.gate_data()`), sorted by canonical name.
pub static GATES: &[GateFact] = &[
    u2f(
        "CX",
        &["CNOT", "ZCX"],
        "cx 0 1",
        Feedback::First(StandardGate::X),
    ),
    u2("CXSWAP", &[], "cx 0 1; swap 0 1"),
    u2f("CY", &["ZCY"], "cy 0 1", Feedback::First(StandardGate::Y)),
    u2f("CZ", &["ZCZ"], "cz 0 1", Feedback::Either(StandardGate::Z)),
    u2("CZSWAP", &["SWAPCZ"], "cz 0 1; swap 0 1"),
    u1("C_NXYZ", &[], "sx 0; sdg 0"),
    u1("C_NZYX", &[], "U(pi/2,-pi/2,0) 0"),
    u1("C_XNYZ", &[], "U(pi/2,0,-pi/2) 0"),
    u1("C_XYNZ", &[], "sxdg 0; s 0"),
    u1("C_XYZ", &[], "U(pi/2,0,pi/2) 0"),
    u1("C_ZNYX", &[], "h 0; sdg 0"),
    u1("C_ZYNX", &[], "U(pi/2,pi/2,0) 0"),
    u1("C_ZYX", &[], "h 0; s 0"),
    k("DEPOLARIZE1", &[], Kind::Noise),
    k("DEPOLARIZE2", &[], Kind::Noise),
    k("DETECTOR", &[], Kind::Annotation),
    k("E", &["CORRELATED_ERROR"], Kind::Noise),
    k("ELSE_CORRELATED_ERROR", &[], Kind::Noise),
    u1("H", &["H_XZ"], "h 0"),
    k("HERALDED_ERASE", &[], Kind::Heralded),
    k("HERALDED_PAULI_CHANNEL_1", &[], Kind::Heralded),
    u1("H_NXY", &[], "s 0; x 0"),
    u1("H_NXZ", &[], "h 0; y 0"),
    u1("H_NYZ", &[], "U(pi/2,-pi/2,-pi/2) 0"),
    u1("H_XY", &[], "s 0; y 0"),
    u1("H_YZ", &[], "U(pi/2,pi/2,pi/2) 0"),
    u1("I", &[], "id 0"),
    u2("II", &[], ""),
    k("II_ERROR", &[], Kind::Noise),
    u2("ISWAP", &[], "s 0; s 1; cz 0 1; swap 0 1"),
    u2("ISWAP_DAG", &[], "sdg 0; sdg 1; cz 0 1; swap 0 1"),
    k("I_ERROR", &[], Kind::Noise),
    c("M", &["MZ"], 1, "M 0"),
    k("MPAD", &[], Kind::Mpad),
    k("MPP", &[], Kind::Mpp),
    c("MR", &["MRZ"], 1, "M 0; R 0"),
    c("MRX", &[], 1, "h 0; M 0; R 0; h 0"),
    c("MRY", &[], 1, "sdg 0; h 0; M 0; R 0; h 0; s 0"),
    c("MX", &[], 1, "h 0; M 0; h 0"),
    c("MXX", &[], 2, "cx 0 1; h 0; M 0; h 0; cx 0 1"),
    c("MY", &[], 1, "sdg 0; h 0; M 0; h 0; s 0"),
    c(
        "MYY",
        &[],
        2,
        "s 0; s 1; cx 0 1; h 0; M 0; h 0; cx 0 1; sdg 0; sdg 1",
    ),
    c("MZZ", &[], 2, "cx 0 1; M 1; cx 0 1"),
    k("OBSERVABLE_INCLUDE", &[], Kind::Annotation),
    k("PAULI_CHANNEL_1", &[], Kind::Noise),
    k("PAULI_CHANNEL_2", &[], Kind::Noise),
    k("QUBIT_COORDS", &[], Kind::Annotation),
    c("R", &["RZ"], 1, "R 0"),
    k("REPEAT", &[], Kind::Repeat),
    c("RX", &[], 1, "R 0; h 0"),
    c("RY", &[], 1, "R 0; h 0; s 0"),
    u1("S", &["SQRT_Z"], "s 0"),
    k("SHIFT_COORDS", &[], Kind::Annotation),
    k("SPP", &[], Kind::Spp { dag: false }),
    k("SPP_DAG", &[], Kind::Spp { dag: true }),
    u1("SQRT_X", &[], "sx 0"),
    u2("SQRT_XX", &[], "cx 0 1; sx 0; cx 0 1"),
    u2("SQRT_XX_DAG", &[], "cx 0 1; sxdg 0; cx 0 1"),
    u1("SQRT_X_DAG", &[], "sxdg 0"),
    u1("SQRT_Y", &[], "U(pi/2,0,0) 0"),
    u2("SQRT_YY", &[], "z 0; cy 0 1; h 0; cy 0 1"),
    u2("SQRT_YY_DAG", &[], "cy 0 1; h 0; z 0; cy 0 1"),
    u1("SQRT_Y_DAG", &[], "h 0; z 0"),
    u2("SQRT_ZZ", &[], "s 0; s 1; cz 0 1"),
    u2("SQRT_ZZ_DAG", &[], "sdg 0; sdg 1; cz 0 1"),
    u2("SWAP", &[], "swap 0 1"),
    u2("SWAPCX", &[], "cx 0 1; cx 1 0"),
    u1("S_DAG", &["SQRT_Z_DAG"], "sdg 0"),
    k("TICK", &[], Kind::Tick),
    u1("X", &[], "x 0"),
    u2("XCX", &[], "h 0; cx 0 1; h 0"),
    u2("XCY", &[], "sx 1; cx 1 0; sxdg 1"),
    u2f("XCZ", &[], "cx 1 0", Feedback::Second(StandardGate::X)),
    k("X_ERROR", &[], Kind::Noise),
    u1("Y", &[], "y 0"),
    u2("YCX", &[], "sx 0; cx 0 1; sxdg 0"),
    u2("YCY", &[], "sx 0; cy 0 1; sxdg 0"),
    u2f("YCZ", &[], "cy 1 0", Feedback::Second(StandardGate::Y)),
    k("Y_ERROR", &[], Kind::Noise),
    u1("Z", &[], "z 0"),
    k("Z_ERROR", &[], Kind::Noise),
];

/// The instruction named `name` (any of its names; Stim reads names case-insensitively).
pub fn lookup(name: &str) -> Option<&'static GateFact> {
    GATES.iter().find(|g| {
        g.name.eq_ignore_ascii_case(name) || g.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    })
}

/// What one step of a decomposition does.
#[derive(Clone, Debug, PartialEq)]
pub enum StepOp {
    /// A standard gate with its angles.
    Gate(StandardGate, Vec<f64>),
    /// Measure into the next record bit.
    Measure,
    /// Reset to |0⟩.
    Reset,
}

/// One step of a decomposition: what, on which step qubits (0 or 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// What the step does.
    pub op: StepOp,
    /// The step qubits it acts on, indices into one application's targets.
    pub qubits: Vec<usize>,
}

fn angle(text: &str) -> Result<f64, String> {
    use std::f64::consts::{FRAC_PI_2, PI};
    Ok(match text.trim() {
        "0" => 0.0,
        "pi" => PI,
        "-pi" => -PI,
        "pi/2" => FRAC_PI_2,
        "-pi/2" => -FRAC_PI_2,
        other => return Err(format!("unknown angle '{other}'")),
    })
}

/// The steps of a decomposition word (see the module documentation); an error names a word
/// this table cannot hold, which the tests rule out for every entry of [`GATES`].
pub fn steps(body: &str) -> Result<Vec<Step>, String> {
    let mut out = Vec::new();
    for word in body.split(';').map(str::trim).filter(|w| !w.is_empty()) {
        let (head, rest) = word.split_once(' ').unwrap_or((word, ""));
        let (name, params) = match head.split_once('(') {
            Some((n, p)) => {
                let p = p
                    .strip_suffix(')')
                    .ok_or_else(|| format!("unclosed '(' in '{word}'"))?;
                (n, p.split(',').map(angle).collect::<Result<Vec<_>, _>>()?)
            }
            None => (head, Vec::new()),
        };
        let qubits = rest
            .split_whitespace()
            .map(|q| {
                q.parse::<usize>()
                    .map_err(|_| format!("bad qubit '{q}' in '{word}'"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let op = match name {
            "M" => StepOp::Measure,
            "R" => StepOp::Reset,
            "U" => StepOp::Gate(StandardGate::U, params),
            _ => {
                match StandardGate::from_stdgates(name).or_else(|| StandardGate::from_qelib1(name))
                {
                    Some(g) => StepOp::Gate(g, params),
                    None => return Err(format!("unknown gate '{name}' in '{word}'")),
                }
            }
        };
        let want = match &op {
            StepOp::Gate(g, p) => {
                if p.len() != g.num_params() {
                    return Err(format!("'{word}' has the wrong number of angles"));
                }
                g.num_qubits()
            }
            _ => 1,
        };
        if qubits.len() != want || qubits.iter().any(|&q| q > 1) {
            return Err(format!("'{word}' has the wrong qubits"));
        }
        out.push(Step { op, qubits });
    }
    Ok(out)
}

/// Whether a decomposition measures (holds an `M` step).
pub fn measures(body: &str) -> bool {
    steps(body).is_ok_and(|s| s.iter().any(|st| st.op == StepOp::Measure))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_body_parses_and_fits_its_arity() {
        for g in GATES {
            let (arity, body, measuring) = match g.kind {
                Kind::Unitary { arity, body, .. } => (arity, body, false),
                Kind::Collapse { arity, body } => (arity, body, true),
                _ => continue,
            };
            let s = steps(body).unwrap_or_else(|e| panic!("{}: {e}", g.name));
            assert!(
                s.iter()
                    .all(|st| st.qubits.iter().all(|&q| q < arity as usize)),
                "{}",
                g.name
            );
            let m = s.iter().filter(|st| st.op == StepOp::Measure).count();
            assert!(m <= 1 && (measuring || m == 0), "{}", g.name);
        }
    }

    #[test]
    fn names_are_unique_and_found_in_any_case() {
        let mut all: Vec<&str> = GATES
            .iter()
            .flat_map(|g| std::iter::once(g.name).chain(g.aliases.iter().copied()))
            .collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
        assert_eq!(lookup("cnot").map(|g| g.name), Some("CX"));
        assert_eq!(lookup("h_xz").map(|g| g.name), Some("H"));
        assert!(lookup("NOPE").is_none());
    }
}
