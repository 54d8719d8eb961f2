//! A PCA baseline for the learned atoms: the top principal components of the training signals
//! (linfa-reduction, on the real embedding) as a fixed orthonormal basis, each signal coded by
//! its projection on the first `s` of them. A learned overcomplete dictionary is only worth its
//! atom indices if OMP over it beats this at equal sparsity.
//!
//! Complex signals are embedded as `[re…, im…]`, so `s` real components carry `s` real
//! coefficients where OMP's `s` complex coefficients carry `2s` (plus the atom indices): a
//! complex principal component `v` spans the real pair `{v, iv}`, so real PCA with `2s`
//! components is at least as good as complex PCA with `s`, and is the fair comparison at equal
//! coefficient count.

use linfa::DatasetBase;
use linfa::traits::Fit;
use linfa_reduction::Pca;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, s};

use super::code::{AtomsError, embed};
use super::scalar::Scalar;

/// Below this norm a component left after re-orthogonalisation is numerically in the span of
/// the earlier ones and is dropped.
const MIN_NORM: f64 = 1e-6;

/// The mean and the top principal components of a set of signals, in the real embedding.
#[derive(Clone, Debug)]
pub struct PcaBasis {
    /// The mean signal (embedded), added back to every reconstruction.
    mean: Array1<f64>,
    /// Orthonormal rows, by decreasing explained variance.
    components: Array2<f64>,
    /// Entries per signal before embedding (complex samples count once).
    width: usize,
}

impl PcaBasis {
    /// The mean and top `components` principal components of the rows of `windows` (at most
    /// the embedded dimension; fewer if the signals span fewer dimensions).
    pub fn fit<T: Scalar>(windows: ArrayView2<T>, components: usize) -> Result<Self, AtomsError> {
        for (row, x) in windows.rows().into_iter().enumerate() {
            if !x.iter().all(|v| v.is_finite()) {
                return Err(AtomsError::NonFinite { row });
            }
        }
        let ys = embed(windows);
        let dim = ys.ncols();
        if components == 0 || components > dim {
            return Err(AtomsError::BadParam(
                "PCA components must be between 1 and the signal's real dimension",
            ));
        }
        if ys.nrows() < 2 {
            return Err(AtomsError::TooFewSignals {
                signals: ys.nrows(),
                atoms: components,
            });
        }
        let model = Pca::params(components)
            .fit(&DatasetBase::from(ys.view()))
            .map_err(|e| AtomsError::Pca(e.to_string()))?;
        // LOBPCG returns approximate singular vectors (and nonsense for directions the data
        // does not span): modified Gram–Schmidt makes the basis exactly orthonormal, so that
        // projecting on it is the least-squares fit, and drops what is left of degenerate ones.
        let mut basis: Vec<Array1<f64>> = Vec::new();
        for c in model.components().rows() {
            let mut v = c.to_owned();
            for _ in 0..2 {
                for b in &basis {
                    let ip = b.dot(&v);
                    v.scaled_add(-ip, b);
                }
            }
            let n = v.dot(&v).sqrt();
            if n > MIN_NORM && n.is_finite() {
                v.mapv_inplace(|x| x / n);
                basis.push(v);
            }
        }
        let mut comps = Array2::zeros((basis.len(), dim));
        for (mut r, b) in comps.rows_mut().into_iter().zip(&basis) {
            r.assign(b);
        }
        Ok(PcaBasis {
            mean: model.mean().clone(),
            components: comps,
            width: windows.ncols(),
        })
    }

    /// The components, orthonormal rows of the real embedding, by decreasing variance.
    pub fn components(&self) -> ArrayView2<'_, f64> {
        self.components.view()
    }

    /// The mean signal, embedded.
    pub fn mean(&self) -> ArrayView1<'_, f64> {
        self.mean.view()
    }

    /// Components held (at most what [`PcaBasis::fit`] was asked for).
    pub fn len(&self) -> usize {
        self.components.nrows()
    }

    /// Whether no component survived (signals all equal to their mean).
    pub fn is_empty(&self) -> bool {
        self.components.nrows() == 0
    }

    /// Root-mean-square error per entry (per complex entry for complex signals, as
    /// [`super::rmse`]) of the rows of `xs` rebuilt as the mean plus their projection on the
    /// first `s` components (all of them if `s` is larger).
    pub fn rmse<T: Scalar>(&self, xs: ArrayView2<T>, s: usize) -> Result<f64, AtomsError> {
        let total: f64 = self.residuals(xs, s)?.iter().sum();
        let n = (xs.nrows() * xs.ncols()).max(1);
        Ok((total / n as f64).sqrt())
    }

    /// Each row's squared reconstruction error `‖x − x̂‖²` (see [`PcaBasis::rmse`]).
    pub fn residuals<T: Scalar>(
        &self,
        xs: ArrayView2<T>,
        s: usize,
    ) -> Result<Vec<f64>, AtomsError> {
        if xs.ncols() != self.width {
            return Err(AtomsError::DimensionMismatch {
                expected: self.width,
                found: xs.ncols(),
            });
        }
        let s = s.min(self.len());
        let mut ys = embed(xs);
        ys -= &self.mean.view().insert_axis(Axis(0));
        let v = self.components.slice(s![..s, ..]);
        // Residual energy = ‖y‖² − ‖V y‖² would cancel badly when the fit is good: subtract
        // the projection instead.
        let coefs = ys.dot(&v.t());
        let resid = &ys - &coefs.dot(&v);
        Ok(resid
            .rows()
            .into_iter()
            .map(|r| r.iter().map(|x| x * x).sum())
            .collect())
    }
}
