//! Sparse waveform atoms: a dictionary of short waveform windows learned with K-SVD or MOD, and
//! orthogonal matching pursuit (OMP) to code each window as a few (atom, coefficient) pairs.
//!
//! Everything is generic over the [`Scalar`]: `Complex64` in production, so that atoms and
//! coefficients are complex and a pulse rotated by a frame change (`e^{iφ}·x`) is coded by the
//! same atoms with rotated coefficients; `f64` to compare with real-valued peers (scikit-learn),
//! usually on the [`real_embedding`] of complex windows.
//!
//! Signals and atoms are rows of `ndarray` matrices; atoms have unit norm.
//!
//! Training starts from sampled signals or from k-means centroids ([`Init`], linfa-clustering);
//! [`PcaBasis`] (linfa-reduction) is the fixed-basis baseline the learned atoms are measured
//! against.

mod code;
mod init;
mod omp;
mod pca;
mod scalar;
mod train;
pub use code::{AtomsError, SparseCode, real_embedding, reconstruct, rmse, windows};
pub use init::{DEFAULT_KMEANS_ITERATIONS, Init, kmeans_atoms, train_init};
pub use omp::{Gram, omp, omp_batch, omp_batch_with_residuals};
pub use pca::PcaBasis;
pub use scalar::Scalar;
pub use train::{Method, Progress, TrainParams, Trained, train, train_from, train_observed};
