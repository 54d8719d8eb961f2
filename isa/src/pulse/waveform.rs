//! Waveforms as the pulse section codes them: sparse in the atoms (windows of terms) or lossless.

use alloc::vec::Vec;

use super::atoms::AtomSet;
use super::fixed::check_rotation;
use crate::error::IsaError;

/// Most terms in one window.
pub const MAX_TERMS: usize = 15;
/// Largest per-window right shift.
pub const MAX_SHIFT: u8 = 15;
/// Largest `Σ (|cr| + |ci|)` over a window's terms: the bound that makes the `i32` accumulation
/// exact (see the pulse module's documentation).
pub const COEF_L1_MAX: u32 = 65535;
/// Longest waveform, in samples (about 14.5 µs at IBM's dt of 2/9 ns): bounds the decoder's
/// one-play buffer and keeps any waveform's code inside one block.
pub const MAX_WAVEFORM_SAMPLES: usize = 1 << 16;

/// One term of a window: an atom and its complex coefficient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Term {
    /// Atom index, below the atom set's count.
    pub atom: u16,
    /// Complex coefficient `(re, im)`, components in `−32767..=32767`.
    pub coef: [i16; 2],
}

/// One window of a sparse-coded waveform.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WindowCode {
    /// Right shift applied after accumulation (`0..=`[`MAX_SHIFT`]).
    pub shift: u8,
    /// At most [`MAX_TERMS`] terms, within the L1 budget [`COEF_L1_MAX`].
    pub terms: Vec<Term>,
}

impl WindowCode {
    /// Checks the window against the reconstruction's ranges for a set of `atom_count` atoms.
    ///
    /// # Errors
    /// [`IsaError::CoefficientOutOfRange`] (shift, term count, L1 budget),
    /// [`IsaError::AtomOutOfRange`].
    pub fn validate(&self, atom_count: usize) -> Result<(), IsaError> {
        if self.shift > MAX_SHIFT {
            return Err(IsaError::CoefficientOutOfRange {
                what: "window shift above 15",
            });
        }
        if self.terms.len() > MAX_TERMS {
            return Err(IsaError::CoefficientOutOfRange {
                what: "more than 15 terms in a window",
            });
        }
        let mut l1 = 0u32;
        for t in &self.terms {
            if usize::from(t.atom) >= atom_count {
                return Err(IsaError::AtomOutOfRange {
                    index: u32::from(t.atom),
                    count: atom_count as u32,
                });
            }
            if t.coef.contains(&i16::MIN) {
                return Err(IsaError::CoefficientOutOfRange {
                    what: "coefficient component -32768",
                });
            }
            let [re, im] = t.coef;
            l1 += u32::from(re.unsigned_abs()) + u32::from(im.unsigned_abs());
        }
        if l1 > COEF_L1_MAX {
            return Err(IsaError::CoefficientOutOfRange {
                what: "window coefficients above the L1 budget of 65535",
            });
        }
        Ok(())
    }
}

/// A waveform as the section carries it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CodedWaveform {
    /// Sparse in the atom dictionary: `ceil(len / W)` windows.
    Sparse {
        /// Samples in the waveform.
        len: u32,
        /// One code per window.
        windows: Vec<WindowCode>,
        /// A per-sample phase step (Q14, see [`super::modulate`]): the windows code the envelope,
        /// and the samples are the envelope times the step's phasors. `None` for baseband pulses.
        modulation: Option<[i16; 2]>,
    },
    /// The raw samples (the fallback when a fidelity budget cannot be met sparsely).
    Lossless(Vec<[i16; 2]>),
}

impl CodedWaveform {
    /// Samples in the waveform.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            CodedWaveform::Sparse { len, .. } => *len as usize,
            CodedWaveform::Lossless(s) => s.len(),
        }
    }

    /// Whether the waveform has no samples.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks the waveform for the given atoms (only sparse waveforms need them).
    ///
    /// # Errors
    /// [`IsaError::Limit`] above [`MAX_WAVEFORM_SAMPLES`], [`IsaError::NoPulseAtoms`],
    /// [`IsaError::InvalidPulse`] when the window count does not match the length, then as
    /// [`WindowCode::validate`].
    pub fn validate(&self, atoms: Option<&AtomSet>) -> Result<(), IsaError> {
        if self.len() > MAX_WAVEFORM_SAMPLES {
            return Err(IsaError::Limit {
                what: "waveform length",
                found: self.len() as u64,
                max: MAX_WAVEFORM_SAMPLES as u64,
            });
        }
        if let CodedWaveform::Sparse {
            len,
            windows,
            modulation,
        } = self
        {
            if let Some(step) = modulation {
                check_rotation(*step)?;
            }
            let atoms = atoms.ok_or(IsaError::NoPulseAtoms)?;
            if windows.len() != (*len as usize).div_ceil(atoms.window) {
                return Err(IsaError::InvalidPulse(
                    "window count does not match the waveform length",
                ));
            }
            let k = atoms.count();
            for w in windows {
                w.validate(k)?;
            }
        }
        Ok(())
    }
}
