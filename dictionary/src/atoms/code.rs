//! Sparse codes, their errors, and the real embedding of complex windows: what every atom module shares.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use num_complex::Complex64;
use thiserror::Error;

use super::scalar::Scalar;

/// The sparse code of one signal: `x ≈ Σ_m coefs[m] · dict[atoms[m]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct SparseCode<T> {
    /// Atom indices (rows of the dictionary), in the order OMP chose them.
    pub atoms: Vec<u32>,
    /// One coefficient per atom.
    pub coefs: Vec<T>,
}

/// What can go wrong learning or applying a dictionary.
#[derive(Debug, Error, PartialEq)]
pub enum AtomsError {
    /// A signal's length differs from the atoms' length.
    #[error("signal length {found} does not match the atom length {expected}")]
    DimensionMismatch {
        /// The atoms' length.
        expected: usize,
        /// The offending length.
        found: usize,
    },
    /// The Gram matrix was computed for another dictionary.
    #[error("Gram matrix of {gram_atoms} atoms used with a dictionary of {atoms} atoms")]
    GramMismatch {
        /// Atoms the Gram matrix describes.
        gram_atoms: usize,
        /// Atoms of the dictionary.
        atoms: usize,
    },
    /// A code names an atom the dictionary does not have, or has a coefficient count different
    /// from its atom count.
    #[error("sparse code refers to atom {atom} of a dictionary of {atoms} atoms (or is ragged)")]
    BadCode {
        /// The offending atom index.
        atom: u32,
        /// Atoms of the dictionary.
        atoms: usize,
    },
    /// Training needs at least as many non-zero signals as atoms.
    #[error("{signals} non-zero training signals for {atoms} atoms")]
    TooFewSignals {
        /// Non-zero signals available.
        signals: usize,
        /// Atoms asked for.
        atoms: usize,
    },
    /// A training parameter is out of range.
    #[error("invalid training parameter: {0}")]
    BadParam(&'static str),
    /// A sample is NaN or infinite.
    #[error("training signal {row} has a non-finite sample")]
    NonFinite {
        /// Row of the offending signal.
        row: usize,
    },
    /// linfa's k-means failed (its message).
    #[error("k-means initialisation: {0}")]
    KMeans(String),
    /// linfa's PCA failed (its message).
    #[error("PCA: {0}")]
    Pca(String),
}

/// Rebuilds a signal from its code: `Σ_m coefs[m] · dict[atoms[m]]`.
pub fn reconstruct<T: Scalar>(
    dict: ArrayView2<T>,
    code: &SparseCode<T>,
) -> Result<Array1<T>, AtomsError> {
    if code.atoms.len() != code.coefs.len() {
        return Err(AtomsError::BadCode {
            atom: code.atoms.len() as u32,
            atoms: dict.nrows(),
        });
    }
    let mut out = Array1::zeros(dict.ncols());
    for (&a, &c) in code.atoms.iter().zip(&code.coefs) {
        if a as usize >= dict.nrows() {
            return Err(AtomsError::BadCode {
                atom: a,
                atoms: dict.nrows(),
            });
        }
        out.scaled_add(c, &dict.row(a as usize));
    }
    Ok(out)
}

/// Cuts a waveform into windows of `window` samples, one per row; the last window is padded with
/// zeros. An empty waveform (or `window == 0`) gives no rows.
pub fn windows(waveform: &[Complex64], window: usize) -> Array2<Complex64> {
    if window == 0 {
        return Array2::zeros((0, 0));
    }
    let rows = waveform.len().div_ceil(window);
    let mut out = Array2::zeros((rows, window));
    for (r, chunk) in waveform.chunks(window).enumerate() {
        for (c, &v) in chunk.iter().enumerate() {
            out[[r, c]] = v;
        }
    }
    out
}

/// The real embedding of complex windows: a row of `W` complex samples becomes `2W` reals,
/// `[I_0 … I_{W−1}, Q_0 … Q_{W−1}]`. Norms and inner products' real parts are preserved.
pub fn real_embedding(rows: ArrayView2<Complex64>) -> Array2<f64> {
    let w = rows.ncols();
    let mut out = Array2::zeros((rows.nrows(), 2 * w));
    for (mut o, r) in out.rows_mut().into_iter().zip(rows.rows()) {
        for (c, v) in r.iter().enumerate() {
            o[c] = v.re;
            o[w + c] = v.im;
        }
    }
    out
}

/// [`real_embedding`] for either scalar: complex rows become `[re…, im…]`, real rows are copied.
pub(crate) fn embed<T: Scalar>(rows: ArrayView2<T>) -> Array2<f64> {
    let w = rows.ncols();
    let mut out = Array2::zeros((rows.nrows(), T::PARTS * w));
    for (mut o, r) in out.rows_mut().into_iter().zip(rows.rows()) {
        for (c, &v) in r.iter().enumerate() {
            o[c] = v.re();
            if T::PARTS == 2 {
                o[w + c] = v.im();
            }
        }
    }
    out
}

/// The inverse of [`embed`] for one row of `T::PARTS · w` reals.
pub(crate) fn unembed<T: Scalar>(row: ArrayView1<f64>, w: usize) -> Array1<T> {
    Array1::from_shape_fn(w, |c| {
        let im = if T::PARTS == 2 { row[w + c] } else { 0.0 };
        T::from_parts(row[c], im)
    })
}

/// Root-mean-square error per entry between `xs` and the reconstruction of `codes` over `dict`
/// (per complex entry for complex signals): `sqrt(Σ‖x_i − x̂_i‖² / (rows · cols))`.
pub fn rmse<T: Scalar>(
    dict: ArrayView2<T>,
    xs: ArrayView2<T>,
    codes: &[SparseCode<T>],
) -> Result<f64, AtomsError> {
    if xs.ncols() != dict.ncols() {
        return Err(AtomsError::DimensionMismatch {
            expected: dict.ncols(),
            found: xs.ncols(),
        });
    }
    let mut total = 0.0;
    for (x, c) in xs.rows().into_iter().zip(codes) {
        let r = reconstruct(dict, c)?;
        total += x
            .iter()
            .zip(r.iter())
            .map(|(&a, &b)| (a - b).abs2())
            .sum::<f64>();
    }
    let n = (xs.nrows() * xs.ncols()).max(1);
    Ok((total / n as f64).sqrt())
}
