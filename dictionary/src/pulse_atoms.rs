//! Pulse-atom codebooks: the calibrated waveforms of devices, cut into windows, learned into a
//! complex atom dictionary ([`crate::atoms`]) and stored as the codebook's fixed-point
//! [`AtomSet`] (Q15 samples, the exact values the decoder multiplies).

use std::collections::HashSet;

use eqisa_isa::pulse::AtomSet;
use eqisa_pulse::{Device, ScheduleItem, Shape, shape::ShapeError};
use ndarray::Array2;
use num_complex::Complex64;

use crate::atoms::{self, AtomsError, Init, Method, TrainParams};

/// Fixed-point scale of an atom sample: `i16 = round(a · ATOM_SCALE)` for |a| ≤ 1.
pub const ATOM_SCALE: f64 = 32767.0;

/// How to learn pulse atoms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PulseTrainParams {
    /// Samples per window (atom length).
    pub window: usize,
    /// Atoms in the dictionary.
    pub atoms: usize,
    /// Atoms per training window.
    pub sparsity: usize,
    /// K-SVD updates.
    pub iterations: usize,
    /// Seed of the initial atom choice.
    pub seed: u64,
    /// How the initial atoms are chosen. Sampled windows by default: k-means centroids
    /// ([`Init::KMEANS`]) did not lower the held-out RMSE measurably on the IBM corpus and add
    /// their clustering time (`atoms_bench init`, run by `scripts/measure-atoms.sh`).
    pub init: Init,
}

impl Default for PulseTrainParams {
    fn default() -> Self {
        PulseTrainParams {
            window: 32,
            atoms: 128,
            sparsity: 2,
            iterations: 12,
            seed: 1,
            init: Init::Sample,
        }
    }
}

/// Why pulse atoms cannot be learned.
#[derive(Debug, thiserror::Error)]
pub enum PulseAtomsError {
    #[error("{device}: gate {gate} on qubits {qubits:?}: {source}")]
    Shape {
        device: String,
        gate: String,
        qubits: Vec<u32>,
        #[source]
        source: ShapeError,
    },
    #[error("learning the atoms: {0}")]
    Atoms(#[from] AtomsError),
    #[error("the learned atoms do not form a valid atom set: {0}")]
    AtomSet(eqisa_isa::IsaError),
    #[error(
        "{windows} distinct non-zero training windows for {atoms} atoms: give more devices or ask for fewer atoms"
    )]
    TooFewWindows { windows: usize, atoms: usize },
}

/// Every distinct waveform a device's calibrated gates play (the waveform memory's content), in
/// calibration order, with a name `gate(qubits)#k`.
pub fn device_waveforms(device: &Device) -> Result<Vec<(String, Vec<Complex64>)>, PulseAtomsError> {
    let mut seen: HashSet<Vec<(u64, u64)>> = HashSet::new();
    let mut out = Vec::new();
    for g in &device.gates {
        let mut k = 0;
        for it in &g.items {
            let ScheduleItem::Play { shape, .. } = it else {
                continue;
            };
            let samples = samples_of(device, &g.name, &g.qubits, shape)?;
            let key: Vec<(u64, u64)> = samples
                .iter()
                .map(|s| (s.re.to_bits(), s.im.to_bits()))
                .collect();
            if !samples.is_empty() && seen.insert(key) {
                out.push((format!("{}{:?}#{k}", g.name, g.qubits), samples));
            }
            k += 1;
        }
    }
    Ok(out)
}

fn samples_of(
    device: &Device,
    gate: &str,
    qubits: &[u32],
    shape: &Shape,
) -> Result<Vec<Complex64>, PulseAtomsError> {
    shape
        .samples(&device.library)
        .map_err(|source| PulseAtomsError::Shape {
            device: device.name.clone(),
            gate: gate.to_string(),
            qubits: qubits.to_vec(),
            source,
        })
}

/// Training windows of `waveforms`: each window of `window` samples scaled to unit norm and
/// turned so its largest sample is real and positive (atoms are complex, so neither amplitude
/// nor phase needs learning), all-zero windows dropped and duplicates merged (a flat top gives
/// hundreds of identical windows). Deterministic: first-occurrence order.
pub fn training_windows(waveforms: &[Vec<Complex64>], window: usize) -> Array2<Complex64> {
    let mut seen: HashSet<Vec<i64>> = HashSet::new();
    let mut rows: Vec<Complex64> = Vec::new();
    for w in waveforms {
        let ws = atoms::windows(w, window);
        for row in ws.rows() {
            let norm = row.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
            if norm < 1e-9 {
                continue;
            }
            let peak = row
                .iter()
                .copied()
                .max_by(|a, b| a.norm_sqr().total_cmp(&b.norm_sqr()))
                .unwrap_or(Complex64::new(1.0, 0.0));
            let turn = peak.conj() / (peak.norm() * norm);
            let normalised: Vec<Complex64> = row.iter().map(|&v| v * turn).collect();
            // Windows equal to 1e-9 are the same window.
            let key: Vec<i64> = normalised
                .iter()
                .flat_map(|v| [(v.re * 1e9).round() as i64, (v.im * 1e9).round() as i64])
                .collect();
            if seen.insert(key) {
                rows.extend(normalised);
            }
        }
    }
    let n = rows.len() / window.max(1);
    Array2::from_shape_vec((n, window), rows).unwrap_or_else(|_| Array2::zeros((0, window)))
}

/// Learned atoms, before and after fixed-point rounding.
#[derive(Clone, Debug)]
pub struct LearnedAtoms {
    /// The codebook's atom set.
    pub set: AtomSet,
    /// Distinct training windows.
    pub windows: usize,
    /// RMSE per complex entry of the training windows at the training sparsity.
    pub rmse: f64,
}

/// The [`training_windows`] of every distinct calibrated waveform of `devices`: what
/// [`learn_pulse_atoms`] trains on (and, for held-out devices, what to measure it on).
pub fn device_training_windows(
    devices: &[Device],
    window: usize,
) -> Result<Array2<Complex64>, PulseAtomsError> {
    let mut waveforms = Vec::new();
    for d in devices {
        waveforms.extend(device_waveforms(d)?.into_iter().map(|(_, s)| s));
    }
    Ok(training_windows(&waveforms, window))
}

/// Learn atoms from the calibrated waveforms of `devices` (K-SVD over complex unit-norm windows).
pub fn learn_pulse_atoms(
    devices: &[Device],
    p: &PulseTrainParams,
) -> Result<LearnedAtoms, PulseAtomsError> {
    let xs = device_training_windows(devices, p.window)?;
    if xs.nrows() < p.atoms {
        return Err(PulseAtomsError::TooFewWindows {
            windows: xs.nrows(),
            atoms: p.atoms,
        });
    }
    let trained = atoms::train_init(
        xs.view(),
        &TrainParams {
            atoms: p.atoms,
            sparsity: p.sparsity,
            iterations: p.iterations,
            seed: p.seed,
            method: Method::Ksvd,
        },
        p.init,
        |_| true,
    )?;
    let mut q = Vec::with_capacity(trained.dict.len() * 2);
    for v in trained.dict.iter() {
        q.push(to_q15(v.re));
        q.push(to_q15(v.im));
    }
    let set = AtomSet::new(p.window, q).map_err(PulseAtomsError::AtomSet)?;
    Ok(LearnedAtoms {
        set,
        windows: xs.nrows(),
        rmse: trained.rmse,
    })
}

fn to_q15(a: f64) -> i16 {
    (a * ATOM_SCALE).round().clamp(-ATOM_SCALE, ATOM_SCALE) as i16
}

/// The atoms of a set as floating-point rows (`i16 / ATOM_SCALE`): what the encoder codes over,
/// so its coefficients apply to the very atoms the decoder holds.
pub fn atom_rows(set: &AtomSet) -> Array2<Complex64> {
    let w = set.window;
    let k = set.count();
    let mut out = Array2::zeros((k, w));
    for (i, pair) in set.atoms.chunks_exact(2).enumerate() {
        if let [re, im] = pair
            && let Some(slot) = out.get_mut((i / w, i % w))
        {
            *slot = Complex64::new(f64::from(*re) / ATOM_SCALE, f64::from(*im) / ATOM_SCALE);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_device_trains_atoms_that_code_its_pulses() {
        let d = Device::default_device();
        let p = PulseTrainParams {
            atoms: 16,
            iterations: 4,
            ..PulseTrainParams::default()
        };
        let learned = learn_pulse_atoms(std::slice::from_ref(&d), &p).expect("trains");
        assert_eq!(learned.set.count(), 16);
        assert_eq!(learned.set.window, 32);
        // The fixed-point atoms are the float ones to within rounding.
        let rows = atom_rows(&learned.set);
        for r in rows.rows() {
            let n: f64 = r.iter().map(|v| v.norm_sqr()).sum::<f64>().sqrt();
            assert!((n - 1.0).abs() < 1e-3, "atom norm {n}");
        }
        assert!(learned.rmse < 0.05, "training rmse {}", learned.rmse);
    }

    #[test]
    fn windows_are_unit_norm_phase_normalised_and_distinct() {
        let flat: Vec<Complex64> = vec![Complex64::new(0.0, 0.3); 96];
        let turned: Vec<Complex64> = flat.iter().map(|v| v * Complex64::new(0.6, 0.8)).collect();
        let xs = training_windows(&[flat, turned], 32);
        // Six windows, all the same up to amplitude and phase: one row.
        assert_eq!(xs.nrows(), 1);
        let n: f64 = xs.row(0).iter().map(|v| v.norm_sqr()).sum();
        assert!((n - 1.0).abs() < 1e-12);
        assert!(xs[[0, 0]].im.abs() < 1e-12 && xs[[0, 0]].re > 0.0);
    }
}
