//! The complex atom dictionary sparse waveforms are coded in.

use alloc::vec::Vec;

use crate::error::IsaError;

/// Longest atom window, in samples.
pub const MAX_WINDOW: usize = 256;
/// Most atoms in a set (atom indices are coded in at most 12 bits).
pub const MAX_ATOMS: usize = 4096;

/// A complex atom dictionary: `count()` atoms of `window` complex samples each, interleaved
/// `re, im` (Q15 of unit-norm atoms by convention).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtomSet {
    /// Samples per atom (`W`).
    pub window: usize,
    /// `K · W · 2` values: atom `k`'s sample `i` is `(atoms[2(kW+i)], atoms[2(kW+i)+1])`.
    pub atoms: Vec<i16>,
}

impl AtomSet {
    /// A checked atom set.
    ///
    /// # Errors
    /// [`IsaError::InvalidPulse`] if the window is not in `1..=`[`MAX_WINDOW`], the values do not
    /// make whole atoms, or there are none or more than [`MAX_ATOMS`].
    pub fn new(window: usize, atoms: Vec<i16>) -> Result<Self, IsaError> {
        let set = AtomSet { window, atoms };
        set.validate()?;
        Ok(set)
    }

    /// Checks the shape (see [`AtomSet::new`]).
    ///
    /// # Errors
    /// As [`AtomSet::new`].
    pub fn validate(&self) -> Result<(), IsaError> {
        if self.window == 0 || self.window > MAX_WINDOW {
            return Err(IsaError::InvalidPulse("atom window outside 1..=256"));
        }
        if !self.atoms.len().is_multiple_of(2 * self.window) {
            return Err(IsaError::InvalidPulse(
                "atom values do not make a whole number of atoms",
            ));
        }
        let k = self.count();
        if k == 0 || k > MAX_ATOMS {
            return Err(IsaError::InvalidPulse("atom count outside 1..=4096"));
        }
        Ok(())
    }

    /// Number of atoms `K`.
    #[must_use]
    pub fn count(&self) -> usize {
        self.atoms.len().checked_div(2 * self.window).unwrap_or(0)
    }

    /// Atom `k`'s `2W` interleaved values, if it exists.
    #[must_use]
    pub fn atom(&self, k: usize) -> Option<&[i16]> {
        let n = 2 * self.window;
        self.atoms
            .get(k.checked_mul(n)?..k.checked_add(1)?.checked_mul(n)?)
    }

    /// Serialised form (the codebook entry's payload): `u16 W`, `u16 K`, then the `2·K·W` values,
    /// all little-endian.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 2 * self.atoms.len());
        out.extend_from_slice(&(self.window as u16).to_le_bytes());
        out.extend_from_slice(&(self.count() as u16).to_le_bytes());
        for v in &self.atoms {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Parses [`AtomSet::to_bytes`].
    ///
    /// # Errors
    /// [`IsaError::Truncated`] / [`IsaError::Corrupt`] if the length does not match the declared
    /// shape, [`IsaError::InvalidPulse`] for a shape outside the limits.
    pub fn parse(bytes: &[u8]) -> Result<Self, IsaError> {
        let (Some(&[w0, w1]), Some(&[k0, k1])) = (bytes.get(0..2), bytes.get(2..4)) else {
            return Err(IsaError::Truncated {
                what: "pulse atom set",
                needed: 4,
                available: bytes.len() as u64,
            });
        };
        let window = usize::from(u16::from_le_bytes([w0, w1]));
        let count = usize::from(u16::from_le_bytes([k0, k1]));
        let body = bytes.get(4..).unwrap_or(&[]);
        let want = 4 * window * count;
        if body.len() < want {
            return Err(IsaError::Truncated {
                what: "pulse atom set",
                needed: want as u64,
                available: body.len() as u64,
            });
        }
        if body.len() > want {
            return Err(IsaError::CorruptCodebook("bytes after the pulse atoms"));
        }
        let atoms = body
            .chunks_exact(2)
            .map(|c| match *c {
                [a, b] => i16::from_le_bytes([a, b]),
                _ => 0,
            })
            .collect();
        AtomSet::new(window, atoms)
    }
}
