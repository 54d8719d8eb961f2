//! Large synthetic programs for the firmware simulation (benches, tests, scaling studies): a
//! repeated shot on many qubits, built directly with the `eqisa-isa` encoders, since lowering a
//! thousand-qubit, one-second circuit through the whole compiler would take far longer than
//! simulating it.
//!
//! Every shot, in lock step on every qubit: `layers` × (`rz`, `sx`), a `cz` on the pairs
//! (0, 1), (2, 3), …, a `measure` into the qubit's own bit, then a `delay` to the end of the
//! shot. With `pulses`, the file also carries the matching pulse section: per qubit a drive
//! channel `d<q>` (each `sx` plays the memory `sx` waveform rotated by its frame), per pair a
//! control channel `u<p>` (the `cz` waveform) and per qubit a measure channel `m<q>` (the
//! readout waveform); the three waveforms are lossless, in the waveform memory.

use eqisa_isa::container::codebook_id;
use eqisa_isa::instr::{Instr, OPCODE_COUNT, Opcode};
use eqisa_isa::model::{Priors, ProgramParams};
use eqisa_isa::pulse::{
    ChannelId, ChannelKind, CodedWaveform, IDENTITY_ROTATION, MAX_CHANNELS, PlayBody, PlayCode,
    PulseSection, encode_pulse_section,
};
use eqisa_isa::stream::{BlockEncoder, ProgramInfo};
use eqisa_isa::{Container, Header, Section, SectionKind, Target};

use crate::error::FirmwareError;
use crate::params::DEFAULT_DT_NS;

/// `sx` length, samples (IBM's 160 `dt`, 35.6 ns).
pub const SX_SAMPLES: u64 = 160;
/// `cz` length, samples (512 `dt`, 114 ns).
pub const CZ_SAMPLES: u64 = 512;
/// Readout length, samples (4 480 `dt`, about 1 µs).
pub const MEASURE_SAMPLES: u64 = 4480;

/// The shape of a synthetic program.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntheticSpec {
    /// Qubits (even, at least 2; at most 1 638 with pulses: 2.5 channels per qubit).
    pub qubits: u32,
    /// Schedule length, ns (whole shots: rounded down, at least one).
    pub duration_ns: f64,
    /// Shot period, ns (at least the shot's gates and readout).
    pub shot_ns: f64,
    /// `rz`·`sx` layers per shot.
    pub layers: u32,
    /// Whether to add the pulse section.
    pub pulses: bool,
    /// Sample period, ns (the program's `dt`).
    pub dt_ns: f64,
}

impl Default for SyntheticSpec {
    /// 1 000 qubits for one second, a shot every millisecond, four layers, with pulses.
    fn default() -> Self {
        SyntheticSpec {
            qubits: 1000,
            duration_ns: 1e9,
            shot_ns: 1e6,
            layers: 4,
            pulses: true,
            dt_ns: DEFAULT_DT_NS,
        }
    }
}

/// A smooth pulse envelope of `len` samples at `amp` of full scale, as DAC codes (a Gaussian
/// over the middle, flat for long pulses).
fn envelope(len: u64, amp: f64, flat: bool) -> Vec<[i16; 2]> {
    let n = len as f64;
    (0..len)
        .map(|i| {
            let x = (i as f64 + 0.5) / n - 0.5;
            let g = if flat {
                let edge = (0.5 - x.abs()) * n / 64.0;
                edge.min(1.0)
            } else {
                (-x * x * 18.0).exp()
            };
            let v = (amp * g * 32767.0).round() as i16;
            [v, v / 8]
        })
        .collect()
}

/// An unconditional instruction.
fn one(opcode: Opcode, qubits: &[u32], arg: u64) -> Instr<'_> {
    Instr {
        opcode,
        qubits,
        cond: None,
        arg,
    }
}

/// A play rotation in Q14 for the frame angle `k · π / 8`.
fn rotation(k: u64) -> [i16; 2] {
    let a = (k % 16) as f64 * core::f64::consts::PI / 8.0;
    let q = |v: f64| (v * 16384.0).round() as i16;
    [q(a.cos()), q(a.sin())]
}

/// Builds the program: a whole `.eqb` for the codebook with `priors` and `codebook_hash`
/// (its pulse section, if any, needs no atoms).
///
/// # Errors
/// [`FirmwareError::Synthetic`] for a shape outside the limits above, and the encoders' errors.
pub fn synthetic_program(
    spec: &SyntheticSpec,
    priors: &Priors,
    codebook_hash: [u8; 32],
) -> Result<Vec<u8>, FirmwareError> {
    let n = spec.qubits;
    if n < 2 || n % 2 == 1 {
        return Err(FirmwareError::Synthetic(
            "the qubit count must be even and at least 2",
        ));
    }
    if spec.pulses && (n as usize) * 5 / 2 > MAX_CHANNELS {
        return Err(FirmwareError::Synthetic(
            "too many qubits for one pulse section's channels",
        ));
    }
    let dt = spec.dt_ns;
    if !(dt.is_finite() && dt > 0.0) {
        return Err(FirmwareError::Synthetic(
            "dt must be a positive number of ns",
        ));
    }
    let layers = u64::from(spec.layers);
    let busy = layers * SX_SAMPLES + CZ_SAMPLES + MEASURE_SAMPLES;
    let shot = (spec.shot_ns / dt).floor();
    if !(shot.is_finite() && shot >= busy as f64 && shot < 1e15) {
        return Err(FirmwareError::Synthetic(
            "the shot is shorter than its gates and readout",
        ));
    }
    let shot = shot as u64;
    let shots = (spec.duration_ns / spec.shot_ns).floor();
    if !(shots.is_finite() && (1.0..1e9).contains(&shots)) {
        return Err(FirmwareError::Synthetic(
            "the duration must hold between 1 and 10⁹ shots",
        ));
    }
    let shots = shots as u64;

    let mut durations = [None; OPCODE_COUNT];
    durations[Opcode::Rz as usize] = Some(0.0);
    durations[Opcode::Sx as usize] = Some(SX_SAMPLES as f64 * dt);
    durations[Opcode::Cz as usize] = Some(CZ_SAMPLES as f64 * dt);
    durations[Opcode::Measure as usize] = Some(MEASURE_SAMPLES as f64 * dt);
    let per_shot = u64::from(n) * (2 * layers + 2) + u64::from(n / 2);
    let info = ProgramInfo {
        params: ProgramParams {
            target: Target::Native,
            num_qubits: n,
            num_clbits: n,
            angle_bits: 8,
            num_conditions: 0,
            dt_ns_bits: dt.to_bits(),
            explicit_timing: false,
        },
        durations,
        condition_bits: Vec::new(),
        total_ops: shots * per_shot,
    };
    // A native program: no copies to plan, so the block encoder is the whole stream encoder.
    let mut enc = BlockEncoder::new(priors, info.params)?;
    let idle = ((shot - busy) as f64 * dt).to_bits();
    for s in 0..shots {
        for l in 0..layers {
            for q in 0..n {
                let angle = (s * 7 + l * 31 + u64::from(q) * 13) % 256;
                enc.push(&one(Opcode::Rz, &[q], angle), (0.0, 0.0))?;
            }
            for q in 0..n {
                enc.push(&one(Opcode::Sx, &[q], 0), (0.0, 0.0))?;
            }
        }
        for p in 0..n / 2 {
            enc.push(&one(Opcode::Cz, &[2 * p, 2 * p + 1], 0), (0.0, 0.0))?;
        }
        for q in 0..n {
            enc.push(&one(Opcode::Measure, &[q], u64::from(q)), (0.0, 0.0))?;
        }
        for q in 0..n {
            enc.push(&one(Opcode::Delay, &[q], idle), (0.0, 0.0))?;
        }
    }
    let (instructions, _) = enc.finish()?;
    let mut sections = vec![
        Section {
            kind: SectionKind::Program,
            payload: info.to_bytes(),
        },
        Section {
            kind: SectionKind::Instructions,
            payload: instructions,
        },
    ];
    if spec.pulses {
        sections.push(Section {
            kind: SectionKind::Pulses,
            payload: encode_pulse_section(&pulse_section(n, layers, shots, shot), None)?,
        });
    }
    let container = Container {
        header: Header {
            codebook_id: codebook_id(&codebook_hash),
            qubit_count: n,
            clbit_count: n,
            target: Target::Native,
        },
        sections,
    };
    Ok(container.to_bytes()?)
}

/// The pulses of the shots above (channels `d0..`, `u0..`, `m0..` in that order).
fn pulse_section(n: u32, layers: u64, shots: u64, shot: u64) -> PulseSection {
    let pairs = n / 2;
    let mut channels = Vec::with_capacity(n as usize * 5 / 2);
    for (kind, count) in [
        (ChannelKind::Drive, n),
        (ChannelKind::Control, pairs),
        (ChannelKind::Measure, n),
    ] {
        channels.extend((0..count).map(|index| ChannelId { kind, index }));
    }
    let memory = vec![
        CodedWaveform::Lossless(envelope(SX_SAMPLES, 0.1, false)),
        CodedWaveform::Lossless(envelope(CZ_SAMPLES, 0.3, true)),
        CodedWaveform::Lossless(envelope(MEASURE_SAMPLES, 0.2, true)),
    ];
    let per_shot = u64::from(n) * (layers + 1) + u64::from(pairs);
    let mut plays = Vec::with_capacity((shots * per_shot) as usize);
    let play = |channel: u32, start: u64, slot: u32, rotation: [i16; 2]| PlayCode {
        channel,
        start,
        body: PlayBody::Memory { slot, rotation },
    };
    for s in 0..shots {
        let t0 = s * shot;
        for l in 0..layers {
            for q in 0..n {
                // The frame each rz leaves: a different rotation per qubit, layer and shot.
                let r = rotation(s + l * 3 + u64::from(q));
                plays.push(play(q, t0 + l * SX_SAMPLES, 0, r));
            }
        }
        let cz = t0 + layers * SX_SAMPLES;
        for p in 0..pairs {
            plays.push(play(n + p, cz, 1, IDENTITY_ROTATION));
        }
        for q in 0..n {
            plays.push(play(n + pairs + q, cz + CZ_SAMPLES, 2, IDENTITY_ROTATION));
        }
    }
    PulseSection {
        dac_bits: 16,
        channels,
        memory,
        plays,
    }
}
