//! The initial dictionary of training: either distinct training signals drawn at random (what
//! [`super::train_observed`] does), or the normalised centroids of a k-means clustering of the
//! signals (Lloyd iterations by linfa-clustering), which start the atoms at the dense regions of
//! the signal space rather than at arbitrary samples of it.

use linfa::DatasetBase;
use linfa::traits::Fit;
use linfa_clustering::{KMeans, KMeansInit};
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;

use super::code::{AtomsError, embed, unembed};
use super::scalar::Scalar;
use super::train::Progress;
use super::train::{
    SplitMix64, TrainParams, Trained, check, row_norm2, train_from, train_observed,
};

/// Lloyd iterations of [`Init::KMeans`] unless told otherwise: on pulse windows the centroids
/// move little after about this many, and each costs about as much as an OMP pass.
pub const DEFAULT_KMEANS_ITERATIONS: u64 = 10;

/// Rows of the k-means++ distance update handled per task: fixed, so the work split (and
/// nothing else: each row's distance is computed alone) is the same on any number of threads.
const CHUNK: usize = 1024;

/// How training picks its initial atoms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Init {
    /// Distinct non-zero training signals drawn with the seed ([`super::train_observed`]).
    #[default]
    Sample,
    /// The normalised centroids of k-means on the signals' directions ([`kmeans_atoms`]), then
    /// the usual training from them ([`super::train_from`]).
    KMeans {
        /// Lloyd iterations at most (0: the k-means++ seeds themselves).
        iterations: u64,
    },
}

impl Init {
    /// [`Init::KMeans`] with [`DEFAULT_KMEANS_ITERATIONS`].
    pub const KMEANS: Init = Init::KMeans {
        iterations: DEFAULT_KMEANS_ITERATIONS,
    };
}

/// Trains like [`super::train_observed`], from the initial atoms `init` chooses (`p.seed` seeds
/// either choice). Deterministic whatever the number of threads.
pub fn train_init<T: Scalar, F: FnMut(&Progress) -> bool>(
    windows: ArrayView2<T>,
    p: &TrainParams,
    init: Init,
    observer: F,
) -> Result<Trained<T>, AtomsError> {
    match init {
        Init::Sample => train_observed(windows, p, observer),
        Init::KMeans { iterations } => {
            let atoms = kmeans_atoms(windows, p.atoms, iterations, p.seed)?;
            train_from(windows, atoms.view(), p, observer)
        }
    }
}

/// `atoms` unit-norm initial atoms: k-means centroids of the directions of the non-zero rows of
/// `windows`, seeded by k-means++ (drawn with `seed`) and refined by at most `iterations` Lloyd
/// iterations of linfa-clustering on the real embedding, then normalised.
///
/// An atom codes a signal whatever its scale and sign (or complex phase), so each row is first
/// scaled to unit norm and turned so its largest sample is real and positive: the clustering
/// then groups signals by what an atom can share, not by amplitude or phase. The result depends
/// only on the data, `atoms`, `iterations` and `seed`, not on the number of threads.
pub fn kmeans_atoms<T: Scalar>(
    windows: ArrayView2<T>,
    atoms: usize,
    iterations: u64,
    seed: u64,
) -> Result<Array2<T>, AtomsError> {
    check(
        windows,
        &TrainParams {
            atoms,
            sparsity: 1,
            iterations: 0,
            seed,
            method: super::train::Method::Ksvd,
        },
    )?;
    let dim = windows.ncols();
    let rows: Vec<usize> = (0..windows.nrows())
        .filter(|&i| row_norm2(&windows.row(i)) > 0.0)
        .collect();
    if rows.len() < atoms {
        return Err(AtomsError::TooFewSignals {
            signals: rows.len(),
            atoms,
        });
    }
    let mut canon = windows.select(Axis(0), &rows);
    for mut r in canon.rows_mut() {
        let peak = r
            .iter()
            .copied()
            .fold(T::zero(), |m, v| if v.abs2() > m.abs2() { v } else { m });
        let turn = peak
            .conj()
            .scale(1.0 / (peak.abs2().sqrt() * row_norm2(&r.view()).sqrt()));
        r.mapv_inplace(|v| v * turn);
    }
    let ys = embed(canon.view());
    let seeds = plus_plus(&ys, atoms, seed);
    let centroids = if iterations == 0 {
        seeds.clone()
    } else {
        // The k-means++ seeds go in precomputed, so linfa's own generator (and its thread-
        // dependent k-means|| default) plays no part; its assignment step runs rows in parallel
        // but each independently, and its centroid sums run in row order: deterministic.
        let model = KMeans::params(atoms)
            .init_method(KMeansInit::Precomputed(seeds.clone()))
            .n_runs(1)
            .max_n_iterations(iterations)
            .tolerance(1e-6)
            .fit(&DatasetBase::from(ys.view()))
            .map_err(|e| AtomsError::KMeans(e.to_string()))?;
        model.centroids().clone()
    };
    let mut dict = Array2::<T>::zeros((atoms, dim));
    for (a, (c, s)) in centroids.rows().into_iter().zip(seeds.rows()).enumerate() {
        let n = c.dot(&c).sqrt();
        // Opposite signals in one cluster can cancel: such a centroid falls back to its seed,
        // which is a unit-norm signal.
        let (src, n) = if n > 1e-9 && n.is_finite() {
            (c, n)
        } else {
            (s, s.dot(&s).sqrt())
        };
        let atom: Array1<T> = unembed(src, dim);
        dict.row_mut(a).assign(&atom.mapv(|v| v.scale(1.0 / n)));
    }
    Ok(dict)
}

/// k-means++ seeding (Arthur & Vassilvitskii 2007) of `k` rows of `ys` (`k ≤ rows`): each next
/// seed is drawn with probability proportional to its squared distance from the nearest seed so
/// far; the seeds are rows of `ys`, so never zero.
fn plus_plus(ys: &Array2<f64>, k: usize, seed: u64) -> Array2<f64> {
    let n = ys.nrows();
    let mut rng = SplitMix64(seed);
    let mut seeds = Array2::zeros((k, ys.ncols()));
    let mut d2 = vec![f64::INFINITY; n];
    let mut chosen = vec![false; n];
    let mut pick = rng.below(n);
    for j in 0..k {
        chosen[pick] = true;
        seeds.row_mut(j).assign(&ys.row(pick));
        if j + 1 == k {
            break;
        }
        let c = ys.row(pick);
        d2.par_chunks_mut(CHUNK).enumerate().for_each(|(b, chunk)| {
            for (o, d) in chunk.iter_mut().enumerate() {
                let y = ys.row(b * CHUNK + o);
                let e: f64 = y.iter().zip(c.iter()).map(|(a, b)| (a - b) * (a - b)).sum();
                if e < *d {
                    *d = e;
                }
            }
        });
        // Summed in row order, so the draw is the same on any number of threads.
        let total: f64 = d2
            .iter()
            .zip(&chosen)
            .filter(|&(_, &c)| !c)
            .map(|(d, _)| d)
            .sum();
        pick = if total > 0.0 {
            let mut r = rng.uniform() * total;
            let mut last = None;
            let mut found = None;
            for (i, (&d, &c)) in d2.iter().zip(&chosen).enumerate() {
                if c || d <= 0.0 {
                    continue;
                }
                last = Some(i);
                if r < d {
                    found = Some(i);
                    break;
                }
                r -= d;
            }
            // Rounding can leave `r` just above the last weight: take the last candidate.
            found.or(last).unwrap_or(0)
        } else {
            // Every remaining row coincides with a seed: any unchosen row will do.
            let free: Vec<usize> = (0..n).filter(|&i| !chosen[i]).collect();
            free[rng.below(free.len())]
        };
    }
    seeds
}
