//! Pulse lowering: a scheduled native program and a device calibration become per-channel
//! waveform plays with start times.
//!
//! **Calibrated mode** plays, for every native operation, the device's calibrated schedule for
//! that gate on those qubits. `rz` is a virtual Z: the device's `rz` calibration (IBM's frame
//! change `-(P0)` on the qubit's drive channel and the control channels at its frequency)
//! shifts the frame of later plays, whose `scale` carries the accumulated phase `e^{iφ}`.
//! Devices that publish only `u1`/`u2`/`u3` (`ibmq_boeblingen`, `ibmq_poughkeepsie`) play `u1(λ)`
//! for `rz(λ)` and `u2(-π/2, π/2)` (= sx up to a global phase) for `sx`; a device with neither
//! `rz` nor `u1` gets the frame change `-λ` on those channels directly.
//!
//! `measure` plays the device's `measure` calibration of that qubit; where the device
//! calibrates one measurement of a group of qubits (IBM's `measure` over a whole `meas_map`
//! group), only the items of this qubit (its `m` and `d` channels, its acquisition) are played.
//! No corpus device calibrates `reset`: it is lowered as `measure` followed by the `x`
//! calibration (the conditional flip of a measure-and-flip reset, played as if taken, so the
//! stream carries its samples). Conditional operations are likewise lowered as if taken. A
//! `delay` idles its qubits; a `barrier` aligns them.
//!
//! Two-qubit gates: the program's `cz` (or `ecr`) plays the device's own gate for the pair
//! where it has one (`cz` in either order, being symmetric). Otherwise it is rebuilt through
//! exact identities from the gate the device does calibrate (`cx` or `ecr` in either
//! direction, or `cz`) and `rz`/`sx`/`x` (see [`two_qubit_steps`]). A pair with no two-qubit
//! calibration at all is an error: this layer does not route.
//!
//! Timing: every operation starts at the later of its program start time (converted to `dt`,
//! rounded) and the moment its qubits and the channels it plays on are free, and lasts as long
//! as the device's schedule (which differs from the program's nominal durations). So plays on
//! one channel never overlap.
//!
//! **Direct-rotation mode** merges each maximal run of single-qubit operations (`rz`, `sx`,
//! `x`) on a qubit into one unitary `U = Rz(α)·R_φ(θ)` (up to global phase), plays the device's
//! `x` pulse scaled by `θ/π` and rotated by `e^{iφ}` (on top of the frame), then applies `Rz(α)`
//! as a frame change. A rotation with `θ ≈ 0` plays nothing. The played waveform thus differs
//! from instance to instance; [`PulseProgram::waveforms`] keeps the unrotated base pulse once.
//! Two-qubit gates and measurements play their calibrations as in calibrated mode.

use std::collections::{BTreeMap, HashMap};
use std::f64::consts::{FRAC_PI_2, PI};

use num_complex::Complex64;

use crate::calibration::{Channel, GateCal, ScheduleItem};
use crate::device::{Device, qubits_text};
use crate::shape::{Samples, ShapeError};
use eqisa_lower::program::{NativeOp, NativeProgram};
use eqisa_lower::target::TargetKind;

/// How single-qubit gates become pulses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PulseMode {
    /// Each native gate plays its calibrated schedule; rz is a frame change.
    Calibrated,
    /// Runs of single-qubit gates become one scaled, rotated `x` pulse and a frame change.
    DirectRotation,
}

impl PulseMode {
    /// The mode's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            PulseMode::Calibrated => "calibrated",
            PulseMode::DirectRotation => "direct-rotation",
        }
    }
}

/// An unrotated base waveform.
#[derive(Clone, Debug, PartialEq)]
pub struct Waveform {
    pub name: String,
    pub samples: Samples,
}

/// One waveform played on a channel.
#[derive(Clone, Debug, PartialEq)]
pub struct Play {
    pub channel: Channel,
    /// Start, in `dt`.
    pub start: u64,
    /// Index into [`PulseProgram::waveforms`].
    pub waveform: usize,
    /// Multiplies every sample: the frame phase `e^{iφ}`, and `θ/π` in direct mode.
    pub scale: Complex64,
    pub origin: PlayOrigin,
}

/// Why a play is there.
#[derive(Clone, Debug, PartialEq)]
pub enum PlayOrigin {
    /// Part of the device's calibration of a gate: the index of that calibration in the
    /// device's [`Device::gates`] (a `measure` of one qubit, an `rz` has none, a `cz` rebuilt
    /// from `cx` shows the `cx`). An index, not the gate's name and qubits, because a routed
    /// program plays millions of pulses and two allocations each made a gigabyte.
    Gate { calibration: usize },
    /// A direct rotation by `theta` about the axis at angle `phi` in the xy-plane.
    Direct { qubit: u32, theta: f64, phi: f64 },
}

/// Per-channel waveform plays with start times.
#[derive(Clone, Debug, PartialEq)]
pub struct PulseProgram {
    /// Sample period, nanoseconds.
    pub dt_ns: f64,
    /// The channels with at least one play, sorted.
    pub channels: Vec<Channel>,
    /// Distinct base waveforms.
    pub waveforms: Vec<Waveform>,
    /// Sorted by (start, channel).
    pub plays: Vec<Play>,
    /// End of the last operation, in `dt`.
    pub duration: u64,
}

impl Play {
    /// The samples played: `scale` × the base waveform.
    pub fn samples(&self, prog: &PulseProgram) -> Samples {
        prog.waveforms
            .get(self.waveform)
            .map(|w| w.samples.iter().map(|s| s * self.scale).collect())
            .unwrap_or_default()
    }

    /// Number of samples.
    pub fn len(&self, prog: &PulseProgram) -> u64 {
        prog.waveforms
            .get(self.waveform)
            .map_or(0, |w| w.samples.len() as u64)
    }

    /// Whether the play has no samples.
    pub fn is_empty(&self, prog: &PulseProgram) -> bool {
        self.len(prog) == 0
    }
}

impl PulseProgram {
    /// One row per channel of [`PulseProgram::channels`], `duration` samples long, zero where
    /// the channel idles.
    pub fn channel_samples(&self) -> Vec<Samples> {
        let len = self.duration as usize;
        let mut rows = vec![vec![Complex64::new(0.0, 0.0); len]; self.channels.len()];
        for p in &self.plays {
            let Ok(row) = self.channels.binary_search(&p.channel) else {
                continue;
            };
            let start = p.start as usize;
            for (k, s) in p.samples(self).into_iter().enumerate() {
                if let Some(slot) = rows[row].get_mut(start + k) {
                    *slot += s;
                }
            }
        }
        rows
    }

    /// Total number of samples played (the sum of the plays' lengths).
    pub fn played_samples(&self) -> u64 {
        self.plays.iter().map(|p| p.len(self)).sum()
    }
}

/// Why a program cannot be lowered to pulses on a device.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PulseLowerError {
    #[error("pulse lowering needs a native-target program, not a {0} one")]
    NotNative(&'static str),
    #[error("op {index} ({op}): not a native-target operation")]
    Unsupported { index: usize, op: &'static str },
    #[error(
        "op {index} ({op}): qubit {qubit} does not exist on device '{device}' ({num_qubits} qubits)"
    )]
    QubitOutOfRange {
        index: usize,
        op: &'static str,
        qubit: u32,
        device: String,
        num_qubits: u32,
    },
    #[error("op {index} ({op} on {qubits}): device '{device}' has no calibration for {gate}{why}")]
    MissingGate {
        index: usize,
        op: &'static str,
        qubits: String,
        device: String,
        gate: String,
        /// Why, when the device's import left a published calibration out (`: left out on
        /// import: …`), else empty.
        why: String,
    },
    #[error(
        "op {index} ({op} on {qubits}): device '{device}' does not couple these qubits (no cx, ecr or cz calibration on the pair); route the circuit to the device's coupling map first"
    )]
    Uncoupled {
        index: usize,
        op: &'static str,
        qubits: String,
        device: String,
    },
    /// The schedule would run past [`PulseLimits::max_schedule_dt`].
    #[error(
        "op {index} ({op}): {what} would take the pulse schedule to {value} samples, above the limit of {max} samples (raise it with --max-schedule-dt)"
    )]
    ScheduleTooLong {
        index: usize,
        op: &'static str,
        /// What reaches past the limit (`its start time`, `the delay`, `its end`).
        what: &'static str,
        /// The sample count it reaches (`inf` or beyond `u64` printed as a float).
        value: f64,
        max: u64,
    },
    #[error("device '{device}': {gate} on {qubits}: {source}")]
    Shape {
        device: String,
        gate: String,
        qubits: String,
        #[source]
        source: ShapeError,
    },
    #[error(
        "device '{device}': {gate} on {qubits}: a frame change needs gate parameter P{index}, which the gate does not have"
    )]
    MissingParam {
        device: String,
        gate: String,
        qubits: String,
        index: u8,
    },
}

/// Default of [`PulseLimits::max_schedule_dt`]: 2^24 samples (3.7 ms at dt = 0.222 ns, 8.4 ms
/// at 0.5 ns), ten times the longest coherence times and room for a thousand QEC rounds of a
/// microsecond. A schedule that long is refused early in its lowering, before its plays (about
/// 64 bytes each, and a routed program plays millions) outgrow a few hundred megabytes.
pub const DEFAULT_MAX_SCHEDULE_DT: u64 = 1 << 24;

/// Bounds on what a pulse schedule may produce, checked while lowering (before anything is
/// sized by the schedule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PulseLimits {
    /// Latest end of any operation, in samples (`dt`): every channel of the schedule plays
    /// this many samples, so it bounds what a DAC or a dense sample array holds per channel.
    pub max_schedule_dt: u64,
}

impl Default for PulseLimits {
    fn default() -> Self {
        PulseLimits {
            max_schedule_dt: DEFAULT_MAX_SCHEDULE_DT,
        }
    }
}

/// A delay of `ns` as a whole number of samples of `dt_ns`, rounded up (a delay is at least as
/// long as asked) except that a value within floating-point noise of a whole number is that
/// number (`1000 × dt / dt` is 1000 samples, not 1001). A negative value is 0.
fn delay_samples(ns: f64, dt_ns: f64) -> f64 {
    let x = ns / dt_ns;
    let r = x.round();
    let n = if (x - r).abs() <= 1e-9 * r.abs().max(1.0) {
        r
    } else {
        x.ceil()
    };
    n.max(0.0)
}

/// `n` samples as a `u64` when it is a number no greater than `max` (compared in `f64`, before
/// any conversion, so that `1e300` cannot saturate into a wrong answer).
fn within(n: f64, max: u64) -> Option<u64> {
    (n.is_finite() && n <= max as f64).then_some(n.max(0.0) as u64)
}

// ---- single-qubit algebra ----

/// A 2×2 complex matrix, row-major.
pub type Mat2 = [[Complex64; 2]; 2];

fn mul(a: &Mat2, b: &Mat2) -> Mat2 {
    let mut m = [[Complex64::new(0.0, 0.0); 2]; 2];
    for (r, row) in m.iter_mut().enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = a[r][0] * b[0][c] + a[r][1] * b[1][c];
        }
    }
    m
}

/// Qiskit's `rz(λ) = diag(e^{-iλ/2}, e^{iλ/2})`.
pub fn rz_matrix(lambda: f64) -> Mat2 {
    let z = Complex64::new(0.0, 0.0);
    [
        [Complex64::from_polar(1.0, -lambda / 2.0), z],
        [z, Complex64::from_polar(1.0, lambda / 2.0)],
    ]
}

/// The rotation `R_φ(θ) = exp(-iθ/2 (cos φ X + sin φ Y))`.
pub fn axis_rotation(theta: f64, phi: f64) -> Mat2 {
    let (c, s) = ((theta / 2.0).cos(), (theta / 2.0).sin());
    let i = Complex64::new(0.0, 1.0);
    [
        [
            Complex64::new(c, 0.0),
            -i * s * Complex64::from_polar(1.0, -phi),
        ],
        [
            -i * s * Complex64::from_polar(1.0, phi),
            Complex64::new(c, 0.0),
        ],
    ]
}

fn one_q_matrix(op: OneQ) -> Mat2 {
    let h = Complex64::new(0.5, 0.5);
    let hc = Complex64::new(0.5, -0.5);
    let (o, z) = (Complex64::new(1.0, 0.0), Complex64::new(0.0, 0.0));
    match op {
        OneQ::Rz(l) => rz_matrix(l),
        OneQ::Sx => [[h, hc], [hc, h]],
        OneQ::X => [[z, o], [o, z]],
    }
}

/// Write a 2×2 unitary as `Rz(α)·R_φ(θ)` up to a global phase, with `θ ∈ [0, π]`; returns
/// `(α, θ, φ)`. For `θ = 0` the axis is arbitrary (φ = 0); for `θ = π`, α is (α = 0).
pub fn rotation_decompose(u: &Mat2) -> (f64, f64, f64) {
    // Remove the global phase: divide by a square root of the determinant, giving SU(2)
    // [[a, b], [-b*, a*]] with a = cos(θ/2)e^{-iα/2}, b = -i sin(θ/2) e^{-i(φ+α/2)}.
    let det = u[0][0] * u[1][1] - u[0][1] * u[1][0];
    let root = det.sqrt();
    let a = u[0][0] / root;
    let b = u[0][1] / root;
    let theta = 2.0 * b.norm().atan2(a.norm());
    const EPS: f64 = 1e-12;
    let alpha = if a.norm() > EPS { -2.0 * a.arg() } else { 0.0 };
    let phi = if b.norm() > EPS {
        -(b * Complex64::new(0.0, 1.0)).arg() - alpha / 2.0
    } else {
        0.0
    };
    (wrap(alpha), theta, wrap(phi))
}

/// An angle in (-π, π].
fn wrap(a: f64) -> f64 {
    let w = a.rem_euclid(2.0 * PI);
    if w > PI { w - 2.0 * PI } else { w }
}

// ---- the device-level operation list ----

/// A single-qubit native gate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OneQ {
    Rz(f64),
    Sx,
    X,
}

/// One step of a two-qubit gate's realisation on a device.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    One(u32, OneQ),
    /// A device-calibrated two-qubit gate (`cx`, `ecr`, `cz`) on (first, second).
    Two(&'static str, [u32; 2]),
}

/// `h` up to global phase: `rz(π/2) sx rz(π/2)`.
fn h(q: u32, out: &mut Vec<Step>) {
    out.extend([
        Step::One(q, OneQ::Rz(FRAC_PI_2)),
        Step::One(q, OneQ::Sx),
        Step::One(q, OneQ::Rz(FRAC_PI_2)),
    ]);
}

/// `cx(a, b)` from what the device calibrates, or `None` when it couples neither direction.
fn cx_steps(a: u32, b: u32, has: &dyn Fn(&str, [u32; 2]) -> bool, out: &mut Vec<Step>) -> bool {
    if has("cx", [a, b]) {
        out.push(Step::Two("cx", [a, b]));
    } else if has("ecr", [a, b]) {
        // CX = e^{iπ/4} Rz_a(π/2) Rx_b(π/2) RZX(-π/2) and ECR = X_a RZX(π/2), so (using
        // X_a RZX(θ) X_a = RZX(-θ)) CX ∝ Rz_a(π/2) SX_b · ECR · X_a.
        out.extend([
            Step::One(a, OneQ::X),
            Step::Two("ecr", [a, b]),
            Step::One(a, OneQ::Rz(FRAC_PI_2)),
            Step::One(b, OneQ::Sx),
        ]);
    } else if has("cx", [b, a]) || has("ecr", [b, a]) {
        // Reverse the direction: CX(a,b) = (H⊗H) CX(b,a) (H⊗H).
        h(a, out);
        h(b, out);
        cx_steps(b, a, has, out);
        h(a, out);
        h(b, out);
    } else if has("cz", [a, b]) || has("cz", [b, a]) {
        let pair = if has("cz", [a, b]) { [a, b] } else { [b, a] };
        h(b, out);
        out.push(Step::Two("cz", pair));
        h(b, out);
    } else {
        return false;
    }
    true
}

/// How the program's two-qubit gate `gate` (`cz` or `ecr`) on `(a, b)` is played on a device
/// that calibrates the gates `has` accepts: its own gate where it has one, else an exact
/// identity (up to global phase) from `cx`/`ecr`/`cz` and `rz`/`sx`/`x`. `None` when the device
/// couples the pair in neither direction.
pub fn two_qubit_steps(
    gate: &str,
    a: u32,
    b: u32,
    has: &dyn Fn(&str, [u32; 2]) -> bool,
) -> Option<Vec<Step>> {
    let mut out = Vec::new();
    match gate {
        "cz" if has("cz", [a, b]) => out.push(Step::Two("cz", [a, b])),
        "cz" if has("cz", [b, a]) => out.push(Step::Two("cz", [b, a])),
        "cz" => {
            h(b, &mut out);
            if !cx_steps(a, b, has, &mut out) {
                return None;
            }
            h(b, &mut out);
        }
        "ecr" if has("ecr", [a, b]) => out.push(Step::Two("ecr", [a, b])),
        "ecr" => {
            // From CX ∝ Rz_a(π/2) SX_b ECR X_a: ECR ∝ Rz_a(-π/2) Rx_b(-π/2) CX X_a, and
            // Rx(-π/2) ∝ X·SX.
            out.push(Step::One(a, OneQ::X));
            if !cx_steps(a, b, has, &mut out) {
                return None;
            }
            out.extend([
                Step::One(a, OneQ::Rz(-FRAC_PI_2)),
                Step::One(b, OneQ::Sx),
                Step::One(b, OneQ::X),
            ]);
        }
        _ => return None,
    }
    Some(out)
}

#[derive(Clone, Debug)]
enum DevOp {
    One(u32, OneQ),
    Two(&'static str, [u32; 2]),
    Measure(u32),
    Reset(u32),
    Delay(Vec<u32>, u64),
    Barrier(Vec<u32>),
}

struct Item {
    op: DevOp,
    /// The program op it comes from (for errors).
    index: usize,
    name: &'static str,
    /// Not before this, in dt.
    not_before: u64,
    conditional: bool,
}

// ---- the lowering ----

struct Lowerer<'a> {
    /// [`PulseLimits::max_schedule_dt`].
    max_dt: u64,
    device: &'a Device,
    qubit_free: Vec<u64>,
    chan_free: HashMap<Channel, u64>,
    frame: HashMap<Channel, f64>,
    plays: Vec<Play>,
    waveforms: Vec<Waveform>,
    waveform_index: HashMap<String, usize>,
    waveform_names: std::collections::HashSet<String>,
    /// The device's calibrations by (name, qubits), the first of equal keys as
    /// [`Device::gate`] finds it: one look-up per op instead of a scan of every calibration.
    gate_index: HashMap<(&'a str, &'a [u32]), usize>,
    end: u64,
}

/// Lower a native program to pulses on `device`, within the default [`PulseLimits`].
pub fn lower_to_pulses(
    program: &NativeProgram,
    device: &Device,
    mode: PulseMode,
) -> Result<PulseProgram, PulseLowerError> {
    lower_to_pulses_with(program, device, mode, &PulseLimits::default())
}

/// Lower a native program to pulses on `device`, refusing a schedule beyond `limits` (an
/// error naming the op that reaches past it).
pub fn lower_to_pulses_with(
    program: &NativeProgram,
    device: &Device,
    mode: PulseMode,
    limits: &PulseLimits,
) -> Result<PulseProgram, PulseLowerError> {
    if program.target != TargetKind::Native {
        return Err(PulseLowerError::NotNative(program.target.name()));
    }
    let items = expand(program, device, limits.max_schedule_dt)?;
    let mut l = Lowerer {
        max_dt: limits.max_schedule_dt,
        device,
        qubit_free: vec![0; device.qubits.len()],
        chan_free: HashMap::new(),
        frame: HashMap::new(),
        plays: Vec::new(),
        waveforms: Vec::new(),
        waveform_index: HashMap::new(),
        waveform_names: std::collections::HashSet::new(),
        gate_index: HashMap::new(),
        end: 0,
    };
    for (k, g) in device.gates.iter().enumerate() {
        l.gate_index
            .entry((g.name.as_str(), g.qubits.as_slice()))
            .or_insert(k);
    }
    match mode {
        PulseMode::Calibrated => {
            for it in &items {
                l.calibrated(it)?;
            }
        }
        PulseMode::DirectRotation => l.direct(&items)?,
    }
    let mut plays = l.plays;
    plays.sort_by_key(|p| (p.start, p.channel));
    let mut channels: Vec<Channel> = plays.iter().map(|p| p.channel).collect();
    channels.sort();
    channels.dedup();
    Ok(PulseProgram {
        dt_ns: device.dt_ns,
        channels,
        waveforms: l.waveforms,
        plays,
        duration: l.end,
    })
}

/// The program as device-level operations: two-qubit gates rebuilt from what the device
/// calibrates, everything checked against the device's qubits.
fn expand(
    program: &NativeProgram,
    device: &Device,
    max_dt: u64,
) -> Result<Vec<Item>, PulseLowerError> {
    let has = |name: &str, q: [u32; 2]| device.gate(name, &q).is_some();
    let mut out = Vec::with_capacity(program.ops.len());
    let n = device.num_qubits();
    for (index, op) in program.ops.iter().enumerate() {
        let name = op.op.name();
        for &q in &op.qubits {
            if q >= n {
                return Err(PulseLowerError::QubitOutOfRange {
                    index,
                    op: name,
                    qubit: q,
                    device: device.name.clone(),
                    num_qubits: n,
                });
            }
        }
        let too_long = |what, value| PulseLowerError::ScheduleTooLong {
            index,
            op: name,
            what,
            value,
            max: max_dt,
        };
        let start = (op.start_ns / device.dt_ns).round();
        let not_before = within(start, max_dt).ok_or_else(|| too_long("its start time", start))?;
        let conditional = op.cond.is_some();
        let mut push = |op: DevOp| {
            out.push(Item {
                op,
                index,
                name,
                not_before,
                conditional,
            })
        };
        let q0 = op.qubits.first().copied().unwrap_or(0);
        match op.op {
            NativeOp::Rz(l) => push(DevOp::One(q0, OneQ::Rz(l))),
            NativeOp::Sx => push(DevOp::One(q0, OneQ::Sx)),
            NativeOp::X => push(DevOp::One(q0, OneQ::X)),
            NativeOp::Cz | NativeOp::Ecr => {
                let &[a, b] = op.qubits.as_slice() else {
                    return Err(PulseLowerError::Unsupported { index, op: name });
                };
                let steps = two_qubit_steps(name, a, b, &has).ok_or_else(|| {
                    PulseLowerError::Uncoupled {
                        index,
                        op: name,
                        qubits: qubits_text(&[a, b]),
                        device: device.name.clone(),
                    }
                })?;
                for s in steps {
                    push(match s {
                        Step::One(q, o) => DevOp::One(q, o),
                        Step::Two(g, p) => DevOp::Two(g, p),
                    });
                }
            }
            NativeOp::Measure { .. } => push(DevOp::Measure(q0)),
            NativeOp::Reset => push(DevOp::Reset(q0)),
            NativeOp::Delay { ns } => {
                let n = delay_samples(ns, device.dt_ns);
                let n = within(n, max_dt).ok_or_else(|| too_long("the delay", n))?;
                push(DevOp::Delay(op.qubits.to_vec(), n))
            }
            NativeOp::Barrier => push(DevOp::Barrier(op.qubits.to_vec())),
            NativeOp::H
            | NativeOp::S
            | NativeOp::Sdg
            | NativeOp::T
            | NativeOp::Tdg
            | NativeOp::Y
            | NativeOp::Z
            | NativeOp::Cx => return Err(PulseLowerError::Unsupported { index, op: name }),
        }
    }
    Ok(out)
}

/// Items in time order; at equal `t0` frame changes come first (as IBM lists them), so a
/// pulse starting when a frame change happens sees it.
fn ordered(items: &[ScheduleItem]) -> Vec<&ScheduleItem> {
    let mut v: Vec<&ScheduleItem> = items.iter().collect();
    v.sort_by_key(|it| (it.t0(), !matches!(it, ScheduleItem::ShiftPhase { .. })));
    v
}

impl<'a> Lowerer<'a> {
    fn missing(&self, it: &Item, gate: &str) -> PulseLowerError {
        let qubits = match &it.op {
            DevOp::One(q, _) | DevOp::Measure(q) | DevOp::Reset(q) => vec![*q],
            DevOp::Two(_, p) => p.to_vec(),
            DevOp::Delay(qs, _) | DevOp::Barrier(qs) => qs.clone(),
        };
        // `gate` may carry a note ("x (a pulse on the drive channel)"): its first word names it.
        let name = gate.split_whitespace().next().unwrap_or(gate);
        let why = self
            .device
            .why_missing(name, &qubits)
            .map(|r| format!(": left out on import: {r}"))
            .unwrap_or_default();
        PulseLowerError::MissingGate {
            index: it.index,
            op: it.name,
            qubits: qubits_text(&qubits),
            device: self.device.name.clone(),
            gate: format!("{gate} on {}", qubits_text(&qubits)),
            why,
        }
    }

    /// The device's calibration of `name` on `qubits` and its index, as [`Device::gate`].
    fn gate(&self, name: &str, qubits: &[u32]) -> Option<(usize, &'a GateCal)> {
        let k = *self.gate_index.get(&(name, qubits))?;
        Some((k, &self.device.gates[k]))
    }

    /// Play a calibrated schedule on `qubits` with gate parameters `params`.
    fn play_cal(
        &mut self,
        (calibration, cal): (usize, &GateCal),
        params: &[f64],
        qubits: &[u32],
        not_before: u64,
    ) -> Result<(), PulseLowerError> {
        let lib = &self.device.library;
        let shape_err = |source: ShapeError| PulseLowerError::Shape {
            device: self.device.name.clone(),
            gate: cal.name.clone(),
            qubits: qubits_text(&cal.qubits),
            source,
        };
        // When can it start: its qubits free, and each channel it plays on free by the time
        // its first item there begins.
        let mut start = not_before;
        for &q in qubits {
            start = start.max(self.qubit_free.get(q as usize).copied().unwrap_or(0));
        }
        for it in &cal.items {
            if let (Some(ch), ScheduleItem::Play { .. } | ScheduleItem::Delay { .. }) =
                (it.channel(), it)
                && let Some(&free) = self.chan_free.get(&ch)
            {
                start = start.max(free.saturating_sub(it.t0()));
            }
        }
        let mut dur = 0u64;
        for it in ordered(&cal.items) {
            match it {
                ScheduleItem::ShiftPhase { channel, phase, .. } => {
                    let p = phase
                        .eval(params)
                        .ok_or_else(|| PulseLowerError::MissingParam {
                            device: self.device.name.clone(),
                            gate: cal.name.clone(),
                            qubits: qubits_text(&cal.qubits),
                            index: match phase {
                                crate::calibration::Phase::Param { index, .. } => *index,
                                crate::calibration::Phase::Const(_) => 0,
                            },
                        })?;
                    *self.frame.entry(*channel).or_insert(0.0) += p;
                    dur = dur.max(it.t0());
                }
                ScheduleItem::Play { t0, channel, shape } => {
                    let key = format!("{shape:?}");
                    let idx = match self.waveform_index.get(&key) {
                        Some(&i) => i,
                        None => {
                            let samples = shape.samples(lib).map_err(shape_err)?;
                            let base = match shape {
                                crate::shape::Shape::Sampled { name } => name.clone(),
                                _ => format!(
                                    "{}_{}_{channel}",
                                    cal.name,
                                    cal.qubits
                                        .iter()
                                        .map(|q| q.to_string())
                                        .collect::<Vec<_>>()
                                        .join("_")
                                ),
                            };
                            self.add_waveform(key, base, samples)
                        }
                    };
                    let len = self.waveforms[idx].samples.len() as u64;
                    let phase = self.frame.get(channel).copied().unwrap_or(0.0);
                    self.plays.push(Play {
                        channel: *channel,
                        start: start + t0,
                        waveform: idx,
                        scale: Complex64::from_polar(1.0, phase),
                        origin: PlayOrigin::Gate { calibration },
                    });
                    let e = self.chan_free.entry(*channel).or_insert(0);
                    *e = (*e).max(start + t0 + len);
                    dur = dur.max(t0 + len);
                }
                ScheduleItem::Delay {
                    t0,
                    channel,
                    duration,
                } => {
                    let e = self.chan_free.entry(*channel).or_insert(0);
                    *e = (*e).max(start + t0 + duration);
                    dur = dur.max(t0 + duration);
                }
                ScheduleItem::Acquire { t0, duration, .. } => dur = dur.max(t0 + duration),
            }
        }
        for &q in qubits {
            if let Some(f) = self.qubit_free.get_mut(q as usize) {
                *f = start + dur;
            }
        }
        self.end = self.end.max(start + dur);
        Ok(())
    }

    fn add_waveform(&mut self, key: String, base: String, samples: Samples) -> usize {
        let mut name = base.clone();
        let mut k = 1;
        while self.waveform_names.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.waveform_names.insert(name.clone());
        self.waveforms.push(Waveform { name, samples });
        let idx = self.waveforms.len() - 1;
        self.waveform_index.insert(key, idx);
        idx
    }

    /// A virtual Z of `lambda` on `q`.
    fn rz(&mut self, it: &Item, q: u32, lambda: f64) -> Result<(), PulseLowerError> {
        let d = self.device;
        if let Some(cal) = self.gate("rz", &[q]).or_else(|| self.gate("u1", &[q])) {
            return self.play_cal(cal, &[lambda], &[q], it.not_before);
        }
        // No calibration: IBM's convention, the frame change -λ on the qubit's drive channel
        // and on every control channel at its frequency.
        *self.frame.entry(Channel::Drive(q)).or_insert(0.0) -= lambda;
        for c in &d.control_channels {
            if c.freq_qubit == q {
                *self.frame.entry(Channel::Control(c.index)).or_insert(0.0) -= lambda;
            }
        }
        Ok(())
    }

    fn one(&mut self, it: &Item, q: u32, op: OneQ) -> Result<(), PulseLowerError> {
        match op {
            OneQ::Rz(l) => self.rz(it, q, l),
            OneQ::X => {
                let cal = self.gate("x", &[q]).ok_or_else(|| self.missing(it, "x"))?;
                self.play_cal(cal, &[], &[q], it.not_before)
            }
            OneQ::Sx => match self.gate("sx", &[q]) {
                Some(cal) => self.play_cal(cal, &[], &[q], it.not_before),
                // u2(φ, λ) = Rz(φ + π/2) Rx(π/2) Rz(λ - π/2) up to phase: u2(-π/2, π/2) ∝ sx.
                None => {
                    let cal = self
                        .gate("u2", &[q])
                        .ok_or_else(|| self.missing(it, "sx"))?;
                    self.play_cal(cal, &[-FRAC_PI_2, FRAC_PI_2], &[q], it.not_before)
                }
            },
        }
    }

    fn measure(&mut self, it: &Item, q: u32) -> Result<(), PulseLowerError> {
        let d = self.device;
        let (calibration, cal) = self
            .gate("measure", &[q])
            .or_else(|| {
                d.gates
                    .iter()
                    .enumerate()
                    .find(|(_, g)| g.name == "measure" && g.qubits.contains(&q))
            })
            .ok_or_else(|| self.missing(it, "measure"))?;
        // Only this qubit's part of a group measurement.
        let mine = |ch: Channel| matches!(ch, Channel::Measure(m) | Channel::Drive(m) if m == q);
        let items = cal
            .items
            .iter()
            .filter_map(|i| match i {
                ScheduleItem::Acquire {
                    t0,
                    duration,
                    qubits,
                } if qubits.contains(&q) => Some(ScheduleItem::Acquire {
                    t0: *t0,
                    duration: *duration,
                    qubits: vec![q],
                }),
                ScheduleItem::Acquire { .. } => None,
                other => other.channel().filter(|&c| mine(c)).map(|_| other.clone()),
            })
            .collect();
        let own = GateCal {
            name: "measure".into(),
            qubits: vec![q],
            items,
        };
        self.play_cal((calibration, &own), &[], &[q], it.not_before)
    }

    /// Every free time and the end are at most `self.end`: refuse it past the limit, naming
    /// the op that took it there (each step adds at most the limit plus one gate, so nothing
    /// overflows before this check).
    fn check_end(&self, it: &Item) -> Result<(), PulseLowerError> {
        if self.end > self.max_dt {
            return Err(PulseLowerError::ScheduleTooLong {
                index: it.index,
                op: it.name,
                what: "its end",
                value: self.end as f64,
                max: self.max_dt,
            });
        }
        Ok(())
    }

    fn other(&mut self, it: &Item) -> Result<(), PulseLowerError> {
        self.other_unchecked(it)?;
        self.check_end(it)
    }

    fn other_unchecked(&mut self, it: &Item) -> Result<(), PulseLowerError> {
        match &it.op {
            DevOp::One(q, op) => self.one(it, *q, *op),
            DevOp::Two(g, pair) => {
                let cal = self.gate(g, pair).ok_or_else(|| self.missing(it, g))?;
                self.play_cal(cal, &[], pair, it.not_before)
            }
            DevOp::Measure(q) => self.measure(it, *q),
            DevOp::Reset(q) => {
                self.measure(it, *q)?;
                self.one(it, *q, OneQ::X)
            }
            DevOp::Delay(qs, dt) => {
                for &q in qs {
                    if let Some(f) = self.qubit_free.get_mut(q as usize) {
                        *f = (*f).max(it.not_before).saturating_add(*dt);
                        self.end = self.end.max(*f);
                    }
                }
                Ok(())
            }
            DevOp::Barrier(qs) => {
                let t = qs
                    .iter()
                    .filter_map(|&q| self.qubit_free.get(q as usize))
                    .copied()
                    .max()
                    .unwrap_or(0);
                for &q in qs {
                    if let Some(f) = self.qubit_free.get_mut(q as usize) {
                        *f = t;
                    }
                }
                Ok(())
            }
        }
    }

    fn calibrated(&mut self, it: &Item) -> Result<(), PulseLowerError> {
        self.other(it)
    }

    fn direct(&mut self, items: &[Item]) -> Result<(), PulseLowerError> {
        let n = self.device.qubits.len();
        // The open run of each qubit: its unitary and the item that opened it.
        let mut runs: Vec<Option<(Mat2, usize)>> = vec![None; n];
        for (k, it) in items.iter().enumerate() {
            match (&it.op, it.conditional) {
                (DevOp::One(q, op), false) => {
                    let m = one_q_matrix(*op);
                    let slot = &mut runs[*q as usize];
                    *slot = Some(match slot.take() {
                        Some((u, first)) => (mul(&m, &u), first),
                        None => (m, k),
                    });
                }
                (DevOp::One(q, op), true) => {
                    // A conditional gate is a run of its own.
                    if let Some((u, first)) = runs[*q as usize].take() {
                        self.rotation(&items[first], *q, &u)?;
                    }
                    self.rotation(it, *q, &one_q_matrix(*op))?;
                }
                (op, _) => {
                    let qs: Vec<u32> = match op {
                        DevOp::Two(_, p) => p.to_vec(),
                        DevOp::Measure(q) | DevOp::Reset(q) => vec![*q],
                        DevOp::Delay(qs, _) | DevOp::Barrier(qs) => qs.clone(),
                        DevOp::One(q, _) => vec![*q],
                    };
                    for q in qs {
                        if let Some((u, first)) = runs[q as usize].take() {
                            self.rotation(&items[first], q, &u)?;
                        }
                    }
                    self.other(it)?;
                }
            }
        }
        for (q, run) in runs.into_iter().enumerate() {
            if let Some((u, first)) = run {
                self.rotation(&items[first], q as u32, &u)?;
            }
        }
        Ok(())
    }

    /// Play `u` on `q` as a scaled, rotated `x` pulse and a frame change.
    fn rotation(&mut self, it: &Item, q: u32, u: &Mat2) -> Result<(), PulseLowerError> {
        let (alpha, theta, phi) = rotation_decompose(u);
        if theta > 1e-9 {
            let d = self.device;
            let (_, cal) = self.gate("x", &[q]).ok_or_else(|| self.missing(it, "x"))?;
            let dur = cal.duration(&d.library);
            let drive = Channel::Drive(q);
            let mut start = it.not_before;
            start = start.max(self.qubit_free.get(q as usize).copied().unwrap_or(0));
            start = start.max(self.chan_free.get(&drive).copied().unwrap_or(0));
            let mut played = false;
            for item in &cal.items {
                let ScheduleItem::Play { t0, channel, shape } = item else {
                    continue;
                };
                if *channel != drive {
                    continue;
                }
                let key = format!("{shape:?}");
                let idx = match self.waveform_index.get(&key) {
                    Some(&i) => i,
                    None => {
                        let samples =
                            shape
                                .samples(&d.library)
                                .map_err(|source| PulseLowerError::Shape {
                                    device: d.name.clone(),
                                    gate: "x".into(),
                                    qubits: qubits_text(&[q]),
                                    source,
                                })?;
                        self.add_waveform(key, format!("x_{q}_{drive}"), samples)
                    }
                };
                let len = self.waveforms[idx].samples.len() as u64;
                let frame = self.frame.get(&drive).copied().unwrap_or(0.0);
                self.plays.push(Play {
                    channel: drive,
                    start: start + t0,
                    waveform: idx,
                    scale: Complex64::from_polar(theta / PI, phi + frame),
                    origin: PlayOrigin::Direct {
                        qubit: q,
                        theta,
                        phi,
                    },
                });
                let e = self.chan_free.entry(drive).or_insert(0);
                *e = (*e).max(start + t0 + len);
                played = true;
            }
            if !played {
                return Err(self.missing(it, "x (a pulse on the drive channel)"));
            }
            if let Some(f) = self.qubit_free.get_mut(q as usize) {
                *f = start + dur;
            }
            self.end = self.end.max(start + dur);
        }
        if alpha.abs() > 1e-12 {
            self.rz(it, q, alpha)?;
        }
        self.check_end(it)
    }
}

/// Channel use of a program: for each channel, its plays as (start, end) in `dt`, sorted.
pub fn occupancy(prog: &PulseProgram) -> BTreeMap<Channel, Vec<(u64, u64)>> {
    let mut m: BTreeMap<Channel, Vec<(u64, u64)>> = BTreeMap::new();
    for p in &prog.plays {
        m.entry(p.channel)
            .or_default()
            .push((p.start, p.start + p.len(prog)));
    }
    for v in m.values_mut() {
        v.sort_unstable();
    }
    m
}
