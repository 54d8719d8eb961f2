//! The pulse encoder: a lowered pulse program (or a device's whole waveform memory) becomes the
//! `.eqb` pulse section, every waveform coded with the fewest atoms and coarsest coefficients
//! whose reconstruction — the decoder's exact fixed-point samples — adds at most the budget of
//! gate infidelity on a simulated transmon; and the baselines it is measured against, on the same
//! plays: raw 16-bit I/Q samples, a COMPAQT-style DCT at the same budget, and zstd -19 of the raw
//! samples.
//!
//! Which qubit a waveform is judged on: a drive channel's own qubit, resonant; a control channel
//! on its line qubit, detuned to the tone's (target) frequency. A measure channel drives the
//! readout resonator, which this model does not have: its waveforms are judged as a tone
//! [`READOUT_DETUNING_GHZ`] away from the qubit on the qubit's line (how a readout tone acts on
//! the qubit directly) and, so that they are not free, their squared relative L2 sample error
//! also counts as infidelity (≤ budget means a relative error ≤ √budget, 0.3 % at 1e-5).

use std::collections::BTreeMap;

use eqisa_dictionary::atoms::{Gram, omp};
use eqisa_dictionary::pulse_atoms::{atom_rows, device_waveforms};
use eqisa_isa::pulse::modulate::{FIRST_PHASOR, next_phasor};
use eqisa_isa::pulse::{
    AtomSet, COEF_L1_MAX, ChannelId, ChannelKind, CodedWaveform, IDENTITY_ROTATION, MAX_SHIFT,
    MAX_TERMS, PlayBody, PlayCode, PulseSection, ROTATION_FRAC_BITS, Term, WindowCode, dac_round,
    encode_pulse_section, reconstruct_waveform, rotate_samples,
};
use eqisa_pulse::lower::{PlayOrigin, PulseProgram};
use eqisa_pulse::transmon::{Propagator, Transmon, TransmonError};
use eqisa_pulse::{Channel, Device, ScheduleItem};
use ndarray::{Array2, ArrayView1};
use num_complex::Complex64;

use eqisa_baselines::dct::dct_at_budget;

/// DAC full scale: a sample of amplitude 1 is this many LSBs.
pub const DAC_SCALE: f64 = 32767.0;

/// Detuning of a readout tone from its qubit, GHz: IBM's readout resonators sit about 2 GHz above
/// their qubits (`meas_lo_range` ≈ 6.9–7.9 GHz against qubits near 5 GHz in `conf_*.json`).
pub const READOUT_DETUNING_GHZ: f64 = 2.0;

/// Default budget: added gate infidelity per pulse.
pub const DEFAULT_MAX_INFIDELITY: f64 = 1e-5;

/// Why pulses cannot be encoded.
#[derive(Debug, thiserror::Error)]
pub enum PulseEncodeError {
    #[error("device {device}: qubit {qubit}: {what}")]
    Physics {
        device: String,
        qubit: u32,
        what: String,
    },
    #[error("device {device}: {source}")]
    Transmon {
        device: String,
        #[source]
        source: TransmonError,
    },
    #[error("device {device}: channel {channel:?} is not described by the calibration")]
    UnknownChannel { device: String, channel: Channel },
    #[error("encoding the pulse section: {0}")]
    Section(eqisa_isa::IsaError),
    #[error(transparent)]
    Waveforms(#[from] eqisa_dictionary::pulse_atoms::PulseAtomsError),
    #[error("pulse budget must be a positive infidelity below 1, not {0}")]
    Budget(f64),
}

/// The simulated qubit a channel's waveforms are judged on.
#[derive(Clone, Debug)]
struct Judge {
    transmon: Transmon,
    detuning_ghz: f64,
    /// Also count the squared relative L2 sample error (measure channels).
    sample_error: bool,
    /// The device's DAC resolution: what is judged is what it plays.
    dac_bits: u8,
}

impl Judge {
    /// The infidelity measure of reconstructions `y` of `x`, whose propagator is `u`.
    fn infidelity(&self, x: &[Complex64], u: &Propagator, y: &[Complex64]) -> f64 {
        let f = self.transmon.added_infidelity_to(u, y, self.detuning_ghz);
        if !self.sample_error {
            return f;
        }
        let energy: f64 = x.iter().map(|v| v.norm_sqr()).sum();
        let err: f64 = x.iter().zip(y).map(|(a, b)| (a - b).norm_sqr()).sum();
        let rel = if energy > 0.0 { err / energy } else { err };
        f.max(rel)
    }
}

/// Per-qubit transmon models of a device, each calibrated on the device's own x pulse.
#[derive(Clone, Debug)]
pub struct Physics {
    device: String,
    qubits: BTreeMap<u32, Transmon>,
    freq: Vec<f64>,
    control: BTreeMap<u32, (u32, u32)>,
    /// Why a qubit has no `x` calibration, where the device's import left it out.
    no_x: BTreeMap<u32, String>,
    /// The device's DAC resolution.
    dac_bits: u8,
}

impl Physics {
    /// Calibrate a `levels`-level transmon for every qubit the device calibrates an `x` on.
    pub fn new(device: &Device, levels: usize) -> Result<Physics, PulseEncodeError> {
        let mut qubits = BTreeMap::new();
        let mut no_x = BTreeMap::new();
        for (q, params) in device.qubits.iter().enumerate() {
            let q = q as u32;
            let Some(x) = device.gate("x", &[q]) else {
                if let Some(why) = device.why_missing("x", &[q]) {
                    no_x.insert(q, why.to_string());
                }
                continue;
            };
            let pulse = x.items.iter().find_map(|it| match it {
                ScheduleItem::Play {
                    channel: Channel::Drive(d),
                    shape,
                    ..
                } if *d == q => Some(shape),
                _ => None,
            });
            let Some(shape) = pulse else {
                continue;
            };
            let samples =
                shape
                    .samples(&device.library)
                    .map_err(|e| PulseEncodeError::Physics {
                        device: device.name.clone(),
                        qubit: q,
                        what: format!("x pulse: {e}"),
                    })?;
            let mut t = Transmon::new(levels, params.anharmonicity_ghz, device.dt_ns).map_err(
                |source| PulseEncodeError::Transmon {
                    device: device.name.clone(),
                    source,
                },
            )?;
            t.calibrate(&samples)
                .map_err(|e| PulseEncodeError::Physics {
                    device: device.name.clone(),
                    qubit: q,
                    what: format!("calibrating the drive on the x pulse: {e}"),
                })?;
            qubits.insert(q, t);
        }
        let control = device
            .control_channels
            .iter()
            .map(|c| (c.index, (c.line, c.freq_qubit)))
            .collect();
        Ok(Physics {
            device: device.name.clone(),
            qubits,
            freq: device.qubits.iter().map(|q| q.freq_ghz).collect(),
            control,
            no_x,
            dac_bits: device.dac_bits,
        })
    }

    fn judge(&self, channel: Channel) -> Result<Judge, PulseEncodeError> {
        let unknown = || PulseEncodeError::UnknownChannel {
            device: self.device.clone(),
            channel,
        };
        let (qubit, detuning_ghz) = match channel {
            Channel::Drive(q) => (q, 0.0),
            Channel::Measure(q) => (q, READOUT_DETUNING_GHZ),
            Channel::Control(u) => {
                let &(line, target) = self.control.get(&u).ok_or_else(unknown)?;
                let f = |q: u32| self.freq.get(q as usize).copied().ok_or_else(unknown);
                (line, f(line)? - f(target)?)
            }
        };
        let transmon =
            self.qubits
                .get(&qubit)
                .cloned()
                .ok_or_else(|| PulseEncodeError::Physics {
                    device: self.device.clone(),
                    qubit,
                    what: match self.no_x.get(&qubit) {
                        Some(why) => format!(
                            "no calibrated x pulse to set the drive strength from (left out on import: {why})"
                        ),
                        None => "no calibrated x pulse to set the drive strength from".into(),
                    },
                })?;
        Ok(Judge {
            transmon,
            detuning_ghz,
            sample_error: matches!(channel, Channel::Measure(_)),
            dac_bits: self.dac_bits,
        })
    }
}

/// One coded waveform and what it costs in fidelity.
#[derive(Clone, Debug)]
pub struct Coded {
    pub code: CodedWaveform,
    /// Added infidelity of the decoder's exact samples against the original waveform.
    pub infidelity: f64,
    /// Whether the budget forced the lossless fallback.
    pub lossless: bool,
    /// DCT baseline bits at the same budget.
    pub dct_bits: u64,
}

/// Codes waveforms over a codebook's atoms.
pub struct WaveformCoder<'a> {
    atoms: Option<&'a AtomSet>,
    dict: Array2<Complex64>,
    gram: Option<Gram<Complex64>>,
    budget: f64,
}

/// OMP tolerances tried, loosest first: relative residual energy of the whole waveform.
/// Coefficient steps tried, as multiples of the step tied to the tolerance: a coarser step with a
/// tighter OMP fit is sometimes cheaper.
const COARSENESS: [f64; 5] = [0.5, 1.0, 2.0, 4.0, 8.0];

const LADDER: [f64; 14] = [
    1e-1, 5e-2, 2e-2, 1e-2, 5e-3, 2e-3, 1e-3, 5e-4, 2e-4, 1e-4, 5e-5, 2e-5, 1e-5, 0.0,
];

/// The code a `bits`-bit DAC plays for amplitude `x`: the 16-bit code rounded to its grid
/// ([`dac_round`], the decoder's rule).
fn to_dac(x: Complex64, bits: u8) -> [i16; 2] {
    let q = |v: f64| (v * DAC_SCALE).round().clamp(-DAC_SCALE, DAC_SCALE) as i16;
    dac_round([q(x.re), q(x.im)], bits)
}

/// Decoded codes as a `bits`-bit DAC plays them, as amplitudes.
fn played(s: &[[i16; 2]], bits: u8) -> Vec<Complex64> {
    let grid: Vec<[i16; 2]> = s.iter().map(|&v| dac_round(v, bits)).collect();
    from_dac(&grid)
}

fn from_dac(s: &[[i16; 2]]) -> Vec<Complex64> {
    s.iter()
        .map(|&[i, q]| Complex64::new(f64::from(i) / DAC_SCALE, f64::from(q) / DAC_SCALE))
        .collect()
}

impl<'a> WaveformCoder<'a> {
    /// A coder over `atoms` (`None`: every waveform lossless) meeting `budget` per waveform.
    pub fn new(atoms: Option<&'a AtomSet>, budget: f64) -> Result<Self, PulseEncodeError> {
        if !(budget > 0.0 && budget < 1.0) {
            return Err(PulseEncodeError::Budget(budget));
        }
        let dict = atoms
            .map(atom_rows)
            .unwrap_or_else(|| Array2::zeros((0, 0)));
        let gram = atoms.map(|_| Gram::new(dict.view()));
        Ok(WaveformCoder {
            atoms,
            dict,
            gram,
            budget,
        })
    }

    /// The sparse code at ladder tolerance `tol` (relative residual energy), of `x` itself or,
    /// with a modulation step, of its envelope (`x` divided by the step's exact phasors).
    fn sparse(
        &self,
        x: &[Complex64],
        tol: f64,
        coarse: f64,
        modulation: Option<[i16; 2]>,
    ) -> Option<CodedWaveform> {
        let (atoms, gram) = (self.atoms?, self.gram.as_ref()?);
        let w = atoms.window;
        let envelope;
        let x = match modulation {
            Some(step) => {
                envelope = demodulate(x, step)?;
                &envelope[..]
            }
            None => x,
        };
        let windows = eqisa_dictionary::atoms::windows(x, w);
        let energy: f64 = x.iter().map(|v| v.norm_sqr()).sum();
        let n = windows.nrows().max(1) as f64;
        let tol_sq = tol * tol * energy / n;
        // Coefficient step tied to the tolerance: rounding adds about as much error as OMP leaves.
        let step = (coarse * tol * (energy / n).sqrt()).max(1e-12);
        let mut codes = Vec::with_capacity(windows.nrows());
        for row in windows.rows() {
            codes.push(self.window_code(gram, row, tol_sq, step, tol == 0.0)?);
        }
        Some(CodedWaveform::Sparse {
            len: u32::try_from(x.len()).ok()?,
            windows: codes,
            modulation,
        })
    }

    fn window_code(
        &self,
        gram: &Gram<Complex64>,
        row: ArrayView1<Complex64>,
        tol_sq: f64,
        step: f64,
        finest: bool,
    ) -> Option<WindowCode> {
        if row.iter().all(|v| v.norm_sqr() == 0.0) {
            return Some(WindowCode::default());
        }
        let code = omp(self.dict.view(), gram, row, MAX_TERMS, tol_sq).ok()?;
        // Output LSBs = Σ c·a_i16, so a coefficient c becomes c·2^s with the shift s as large
        // as the i16 range and the L1 budget allow (finest), or as coarse as `step` permits.
        let max_c = code
            .coefs
            .iter()
            .map(|c| c.re.abs().max(c.im.abs()))
            .fold(0.0, f64::max);
        let l1: f64 = code.coefs.iter().map(|c| c.re.abs() + c.im.abs()).sum();
        let mut shift = MAX_SHIFT;
        while shift > 0
            && (max_c * f64::from(1u32 << shift) > 32767.0
                || l1 * f64::from(1u32 << shift) > f64::from(COEF_L1_MAX) - 2.0 * MAX_TERMS as f64)
        {
            shift -= 1;
        }
        if !finest {
            // The coarsest shift whose coefficient step 2^-s (amplitude units) stays below
            // `step`.
            let wanted = (1.0 / step).log2().ceil().max(0.0);
            shift = shift.min(wanted as u8);
        }
        let scale = f64::from(1u32 << shift);
        let terms = code
            .atoms
            .iter()
            .zip(&code.coefs)
            .filter_map(|(&a, &c)| {
                let re = (c.re * scale).round() as i16;
                let im = (c.im * scale).round() as i16;
                ((re, im) != (0, 0)).then_some(Term {
                    atom: a as u16,
                    coef: [re, im],
                })
            })
            .collect();
        Some(WindowCode { shift, terms })
    }

    /// Bytes of `code` coded alone in a section: a cost to compare codes of one waveform by.
    fn cost(&self, code: &CodedWaveform) -> usize {
        let single = PulseSection {
            memory: vec![code.clone()],
            ..PulseSection::default()
        };
        encode_pulse_section(&single, self.atoms).map_or(usize::MAX, |b| b.len())
    }

    /// The decoder's samples for `code` as a `bits`-bit DAC plays them, as amplitudes.
    fn decoded(&self, code: &CodedWaveform, bits: u8) -> Option<Vec<Complex64>> {
        reconstruct_waveform(self.atoms, code)
            .ok()
            .map(|s| played(&s, bits))
    }

    /// Code `x`, judged by `judge`'s transmon, with the loosest ladder tolerance that meets the
    /// budget (binary search: the infidelity falls as the tolerance tightens), else losslessly.
    fn code(&self, x: &[Complex64], judge: &Judge) -> Coded {
        self.code_within(x, judge, self.budget)
    }

    /// As [`WaveformCoder::code`], meeting `budget` (at most the coder's) instead; the DCT
    /// baseline keeps the coder's budget.
    fn code_within(&self, x: &[Complex64], judge: &Judge, budget: f64) -> Coded {
        let u: Propagator = judge.transmon.evolve(x, judge.detuning_ghz);
        let infid = |y: &[Complex64]| judge.infidelity(x, &u, y);
        // A non-finite sample cannot come from a checked calibration; count it as raw if it did.
        let dct = dct_at_budget(x, self.budget, infid).map_or(x.len() as u64 * 32, |r| r.bits);
        let lossless = || {
            let raw: Vec<[i16; 2]> = x.iter().map(|&v| to_dac(v, judge.dac_bits)).collect();
            let infidelity = infid(&from_dac(&raw));
            Coded {
                code: CodedWaveform::Lossless(raw),
                infidelity,
                lossless: true,
                dct_bits: dct,
            }
        };
        if self.atoms.is_none() {
            return lossless();
        }
        let mut best: Option<(CodedWaveform, f64, usize)> = None;
        let candidates = [None, modulation_step(x)];
        let tries = candidates
            .iter()
            .enumerate()
            .filter(|(i, m)| *i == 0 || m.is_some())
            .flat_map(|(_, &m)| COARSENESS.map(|c| (m, c)));
        for (modulation, coarse) in tries {
            let try_level = |k: usize| -> Option<(CodedWaveform, f64)> {
                let code = self.sparse(x, LADDER[k], coarse, modulation)?;
                let y = self.decoded(&code, judge.dac_bits)?;
                let f = infid(&y);
                (f <= budget).then_some((code, f))
            };
            let (mut lo, mut hi) = (0usize, LADDER.len() - 1);
            let Some(mut found) = try_level(hi) else {
                continue;
            };
            // Invariant: level `hi` meets the budget; find the loosest that does.
            while lo < hi {
                let mid = (lo + hi) / 2;
                match try_level(mid) {
                    Some(ok) => {
                        found = ok;
                        hi = mid;
                    }
                    None => lo = mid + 1,
                }
            }
            let bits = self.cost(&found.0);
            if best.as_ref().is_none_or(|b| bits < b.2) {
                best = Some((found.0, found.1, bits));
            }
        }
        let Some(best) = best else {
            return lossless();
        };
        Coded {
            code: best.0,
            infidelity: best.1,
            lossless: false,
            dct_bits: dct,
        }
    }
}

/// Smallest phase advance per sample worth a modulation step (rad): below it the atoms follow the
/// phase themselves.
const MIN_MODULATION_RAD: f64 = 0.02;

/// How much of a waveform's lag-one correlation a steady phase advance must explain for a
/// modulation step to be tried.
const MIN_MODULATION_COHERENCE: f64 = 0.9;

/// The modulation step (Q14) of a waveform played at a sideband: its mean phase advance per
/// sample, when that advance is steady and large enough to matter; `None` for baseband pulses.
fn modulation_step(x: &[Complex64]) -> Option<[i16; 2]> {
    let lag: Complex64 = x.windows(2).map(|p| p[1] * p[0].conj()).sum();
    let energy: f64 = x.iter().map(|v| v.norm_sqr()).sum();
    let omega = lag.arg();
    if energy == 0.0 || lag.norm() < MIN_MODULATION_COHERENCE * energy {
        return None;
    }
    if omega.abs() < MIN_MODULATION_RAD {
        return None;
    }
    let step = rotation_q14(Complex64::from_polar(1.0, omega));
    (step != IDENTITY_ROTATION).then_some(step)
}

/// `x` divided by the exact phasors of `step` (as the decoder computes them, see
/// `eqisa_isa::pulse::modulate`): the envelope to code. `None` if a phasor vanishes.
fn demodulate(x: &[Complex64], step: [i16; 2]) -> Option<Vec<Complex64>> {
    let one = f64::from(1u32 << ROTATION_FRAC_BITS);
    let mut p = FIRST_PHASOR;
    let mut out = Vec::with_capacity(x.len());
    for v in x {
        let z = Complex64::new(f64::from(p[0]) / one, f64::from(p[1]) / one);
        if z.norm_sqr() < 0.25 {
            return None;
        }
        out.push(v / z);
        p = next_phasor(p, step);
    }
    Some(out)
}

/// Bits of one encoding and its baselines, on the same plays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PulseBits {
    /// The pulse section (everything the decoder needs for the samples).
    pub eqisa: u64,
    /// Every played sample streamed: 2 × DAC bits per sample.
    pub raw: u64,
    /// The same section with every waveform DCT-coded at the same budget instead.
    pub dct: u64,
    /// zstd -19 of the raw int16 I/Q samples.
    pub zstd: u64,
}

/// An encoded pulse section and its figures.
#[derive(Clone, Debug)]
pub struct EncodedPulses {
    pub section: PulseSection,
    /// The section payload (`SectionKind::Pulses`).
    pub payload: Vec<u8>,
    pub bits: PulseBits,
    /// Largest added infidelity of any coded waveform or play.
    pub max_added_infidelity: f64,
    /// Waveforms coded (memory entries and inline plays).
    pub waveforms: usize,
    /// Of those, how many fell back to lossless samples because the budget could not be met.
    pub lossless_fallbacks: usize,
}

fn channel_id(c: Channel) -> ChannelId {
    match c {
        Channel::Drive(i) => ChannelId {
            kind: ChannelKind::Drive,
            index: i,
        },
        Channel::Control(i) => ChannelId {
            kind: ChannelKind::Control,
            index: i,
        },
        Channel::Measure(i) => ChannelId {
            kind: ChannelKind::Measure,
            index: i,
        },
    }
}

fn rotation_q14(s: Complex64) -> [i16; 2] {
    let one = f64::from(1u32 << ROTATION_FRAC_BITS);
    let q = |v: f64| (v * one).round().clamp(-32767.0, 32767.0) as i16;
    [q(s.re), q(s.im)]
}

fn zstd_bits(samples: &[[i16; 2]]) -> u64 {
    let bytes: Vec<u8> = samples
        .iter()
        .flat_map(|&[i, q]| {
            let (a, b) = (i.to_le_bytes(), q.to_le_bytes());
            [a[0], a[1], b[0], b[1]]
        })
        .collect();
    eqisa_baselines::compress::compress_zstd(&bytes)
        .map_or(bytes.len() as u64 * 8, |c| c.len() as u64 * 8)
}

/// Tallies coded waveforms.
#[derive(Default)]
struct Tally {
    max_infidelity: f64,
    waveforms: usize,
    lossless: usize,
    dct_waveform_bits: u64,
}

impl Tally {
    fn add(&mut self, c: &Coded) {
        self.max_infidelity = self.max_infidelity.max(c.infidelity);
        self.waveforms += 1;
        self.lossless += usize::from(c.lossless);
        self.dct_waveform_bits += c.dct_bits;
    }
}

/// Section bits, and the bits of the same section with every waveform emptied (what the plays'
/// framing costs), so a baseline's waveform bits can replace ours.
fn section_bits(
    section: &PulseSection,
    atoms: Option<&AtomSet>,
) -> Result<(Vec<u8>, u64), PulseEncodeError> {
    let payload = encode_pulse_section(section, atoms).map_err(PulseEncodeError::Section)?;
    let mut bare = section.clone();
    for m in &mut bare.memory {
        *m = CodedWaveform::Lossless(Vec::new());
    }
    for p in &mut bare.plays {
        if let PlayBody::Inline(w) = &mut p.body {
            *w = CodedWaveform::Lossless(Vec::new());
        }
    }
    // Emptied waveforms make plays zero-length: framing only, with no overlap possible.
    let framing = encode_pulse_section(&bare, atoms)
        .map(|b| b.len() as u64 * 8)
        .unwrap_or(0);
    Ok((payload, framing))
}

/// Encode a lowered pulse program: calibrated plays reference the waveform memory (each distinct
/// waveform coded once) with their frame phase as a rotation; direct-rotation plays, different
/// every time, are coded inline.
///
/// A memory waveform meets the budget in every rotation its plays use: the decoder rounds the
/// rotated samples to the DAC grid again, so each play's exact decoded samples are judged, and a
/// waveform whose rotated plays miss the budget is coded again more tightly.
pub fn encode_program(
    prog: &PulseProgram,
    device: &Device,
    physics: &Physics,
    coder: &WaveformCoder<'_>,
) -> Result<EncodedPulses, PulseEncodeError> {
    let mut section = PulseSection {
        dac_bits: device.dac_bits,
        channels: prog.channels.iter().map(|&c| channel_id(c)).collect(),
        ..PulseSection::default()
    };
    let mut tally = Tally::default();
    let mut raw_stream: Vec<[i16; 2]> = Vec::new();
    let mut raw_bits = 0u64;
    // Pass 1: slots in order of first use, each with its judge's channel and the exact samples
    // of the first play of every rotation it is played in.
    let mut slots: BTreeMap<usize, u32> = BTreeMap::new();
    let mut slot_uses: Vec<SlotUse> = Vec::new();
    // Each play's channel, start and memory use (`None`: inline, coded in pass 1).
    let mut bodies: Vec<(u32, u64, Option<MemoryUse>)> = Vec::with_capacity(prog.plays.len());
    for play in &prog.plays {
        let channel = prog
            .channels
            .iter()
            .position(|&c| c == play.channel)
            .ok_or(PulseEncodeError::UnknownChannel {
                device: device.name.clone(),
                channel: play.channel,
            })? as u32;
        let samples = play.samples(prog);
        raw_bits += samples.len() as u64 * 2 * u64::from(device.dac_bits);
        raw_stream.extend(samples.iter().map(|&v| to_dac(v, device.dac_bits)));
        match play.origin {
            PlayOrigin::Gate { .. } => {
                let slot = *slots.entry(play.waveform).or_insert_with(|| {
                    slot_uses.push(SlotUse {
                        waveform: play.waveform,
                        channel: play.channel,
                        rotations: BTreeMap::new(),
                    });
                    (slot_uses.len() - 1) as u32
                });
                let rotation = rotation_q14(play.scale);
                if let Some(u) = slot_uses.get_mut(slot as usize)
                    && rotation != IDENTITY_ROTATION
                {
                    u.rotations.entry(rotation).or_insert(samples);
                }
                bodies.push((channel, play.start, Some((slot, rotation))));
            }
            PlayOrigin::Direct { .. } => {
                let judge = physics.judge(play.channel)?;
                let coded = coder.code(&samples, &judge);
                tally.add(&coded);
                bodies.push((channel, play.start, None));
                section.plays.push(PlayCode {
                    channel,
                    start: play.start,
                    body: PlayBody::Inline(coded.code),
                });
            }
        }
    }
    // Pass 2: code the memory, then lay the plays out in their original order.
    for u in &slot_uses {
        let judge = physics.judge(u.channel)?;
        let base = &prog.waveforms[u.waveform].samples;
        let (coded, worst) = code_rotated(coder, base, &judge, &u.rotations)?;
        tally.add(&coded);
        tally.max_infidelity = tally.max_infidelity.max(worst);
        section.memory.push(coded.code);
    }
    let mut inline = std::mem::take(&mut section.plays).into_iter();
    for (channel, start, memory) in bodies {
        let body = match memory {
            Some((slot, rotation)) => PlayBody::Memory { slot, rotation },
            None => match inline.next() {
                Some(p) => p.body,
                None => continue,
            },
        };
        section.plays.push(PlayCode {
            channel,
            start,
            body,
        });
    }
    finish(section, coder, tally, raw_bits, &raw_stream)
}

/// A play of the waveform memory: its slot and rotation.
type MemoryUse = (u32, [i16; 2]);

/// A memory waveform's uses: the channel that judges it and its rotated plays.
struct SlotUse {
    waveform: usize,
    channel: Channel,
    /// Each non-identity rotation, with the exact samples of its first play.
    rotations: BTreeMap<[i16; 2], Vec<Complex64>>,
}

/// Most times a memory waveform is coded again, more tightly, for its rotated plays.
const ROTATED_RETRIES: usize = 4;

/// Codes `base` so that every rotated play of it meets the coder's budget too; returns the code
/// and the worst infidelity over the waveform and its plays.
fn code_rotated(
    coder: &WaveformCoder<'_>,
    base: &[Complex64],
    judge: &Judge,
    rotations: &BTreeMap<[i16; 2], Vec<Complex64>>,
) -> Result<(Coded, f64), PulseEncodeError> {
    let worst_of = |coded: &Coded| -> Result<f64, PulseEncodeError> {
        let decoded =
            reconstruct_waveform(coder.atoms, &coded.code).map_err(PulseEncodeError::Section)?;
        let mut worst = coded.infidelity;
        for (&rotation, samples) in rotations {
            let mut got = decoded.clone();
            rotate_samples(&mut got, rotation).map_err(PulseEncodeError::Section)?;
            let u = judge.transmon.evolve(samples, judge.detuning_ghz);
            worst = worst.max(judge.infidelity(samples, &u, &played(&got, judge.dac_bits)));
        }
        Ok(worst)
    };
    let mut budget = coder.budget;
    for _ in 0..=ROTATED_RETRIES {
        let coded = coder.code_within(base, judge, budget);
        let worst = worst_of(&coded)?;
        if worst <= coder.budget || coded.lossless {
            return Ok((coded, worst));
        }
        // Leave the rotations' re-rounding room: aim the waveform's own error lower by the
        // factor it overshot, with a margin.
        budget *= 0.8 * coder.budget / worst;
    }
    // No sparse code left room enough: the lossless fallback (a budget nothing sparse meets).
    let coded = coder.code_within(base, judge, 0.0);
    let worst = worst_of(&coded)?;
    Ok((coded, worst))
}

fn finish(
    section: PulseSection,
    coder: &WaveformCoder<'_>,
    tally: Tally,
    raw_bits: u64,
    raw_stream: &[[i16; 2]],
) -> Result<EncodedPulses, PulseEncodeError> {
    let (payload, framing) = section_bits(&section, coder.atoms)?;
    let eqisa = payload.len() as u64 * 8;
    Ok(EncodedPulses {
        section,
        payload,
        bits: PulseBits {
            eqisa,
            raw: raw_bits,
            dct: framing + tally.dct_waveform_bits,
            zstd: zstd_bits(raw_stream),
        },
        max_added_infidelity: tally.max_infidelity,
        waveforms: tally.waveforms,
        lossless_fallbacks: tally.lossless,
    })
}

/// Encode a device's whole waveform memory: every distinct calibrated waveform, once.
pub fn encode_memory(
    device: &Device,
    physics: &Physics,
    coder: &WaveformCoder<'_>,
) -> Result<EncodedPulses, PulseEncodeError> {
    let mut section = PulseSection {
        dac_bits: device.dac_bits,
        ..PulseSection::default()
    };
    let mut tally = Tally::default();
    let mut raw_stream = Vec::new();
    let mut raw_bits = 0u64;
    // Each distinct waveform is judged on the channel of the first play that uses it.
    let mut channel_of: BTreeMap<Vec<(u64, u64)>, Channel> = BTreeMap::new();
    for g in &device.gates {
        for it in &g.items {
            if let ScheduleItem::Play { channel, shape, .. } = it
                && let Ok(s) = shape.samples(&device.library)
            {
                let key = s.iter().map(|v| (v.re.to_bits(), v.im.to_bits())).collect();
                channel_of.entry(key).or_insert(*channel);
            }
        }
    }
    for (_, samples) in device_waveforms(device)? {
        let key: Vec<(u64, u64)> = samples
            .iter()
            .map(|v| (v.re.to_bits(), v.im.to_bits()))
            .collect();
        let channel = channel_of.get(&key).copied().unwrap_or(Channel::Drive(0));
        let judge = physics.judge(channel)?;
        raw_bits += samples.len() as u64 * 2 * u64::from(device.dac_bits);
        raw_stream.extend(samples.iter().map(|&v| to_dac(v, device.dac_bits)));
        let coded = coder.code(&samples, &judge);
        tally.add(&coded);
        section.memory.push(coded.code);
    }
    finish(section, coder, tally, raw_bits, &raw_stream)
}
