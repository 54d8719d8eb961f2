//! Dictionary training: alternate OMP sparse coding with a dictionary update, either approximate
//! K-SVD (Aharon, Elad & Bruckstein 2006; the one-pass rank-1 update of Rubinstein et al. 2008)
//! or MOD (Engan et al. 1999), replacing atoms that no signal uses (or that duplicate another
//! atom) with the worst-represented signals.

use ndarray::{Array2, ArrayView2, CowArray, Ix2};

use super::code::{AtomsError, SparseCode};
use super::omp::{Gram, omp_batch_gram};
use super::scalar::{Scalar, dot_conj, norm2};

/// The dictionary update step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Approximate K-SVD: atom by atom, a rank-1 update of the residual of the signals that use
    /// the atom, updating their coefficients too.
    Ksvd,
    /// Method of optimal directions: the least-squares dictionary for the current codes.
    Mod,
}

/// Training parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainParams {
    /// Atoms in the dictionary.
    pub atoms: usize,
    /// Atoms per signal while training (OMP's `max_atoms`).
    pub sparsity: usize,
    /// Dictionary updates at most (the observer of [`train_observed`] may stop earlier).
    pub iterations: usize,
    /// Seed of the initial atom choice and of nothing else: training is otherwise deterministic.
    pub seed: u64,
    /// The dictionary update.
    pub method: Method,
}

/// Reported to the observer after each sparse coding pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// 0 for the initial dictionary, then one more per update.
    pub iteration: usize,
    /// RMSE per entry of the OMP codes over the current dictionary (see [`super::rmse`]).
    pub rmse: f64,
    /// Atoms replaced by the update that produced this dictionary.
    pub replaced: usize,
}

/// A trained dictionary with the OMP codes of the training signals over it.
#[derive(Clone, Debug)]
pub struct Trained<T> {
    /// Atoms as unit-norm rows.
    pub dict: Array2<T>,
    /// The training signals' codes over `dict`, at the training sparsity.
    pub codes: Vec<SparseCode<T>>,
    /// Their RMSE per entry.
    pub rmse: f64,
    /// RMSE after each coding pass, the last one being `rmse`.
    pub history: Vec<f64>,
}

/// Trains a dictionary on the rows of `windows` for `p.iterations` updates.
pub fn train<T: Scalar>(windows: ArrayView2<T>, p: &TrainParams) -> Result<Array2<T>, AtomsError> {
    Ok(train_observed(windows, p, |_| true)?.dict)
}

/// Trains a dictionary on the rows of `windows`, calling `observer` after each coding pass;
/// training stops when it returns `false` or after `p.iterations` updates, and returns the
/// dictionary the last pass coded over (so `rmse` is exactly that of OMP over the result).
pub fn train_observed<T: Scalar, F: FnMut(&Progress) -> bool>(
    windows: ArrayView2<T>,
    p: &TrainParams,
    observer: F,
) -> Result<Trained<T>, AtomsError> {
    check(windows, p)?;
    let xs: CowArray<T, Ix2> = windows.as_standard_layout();
    let xs = xs.view();
    let (n, dim) = xs.dim();
    let norms: Vec<f64> = xs.rows().into_iter().map(|r| row_norm2(&r)).collect();
    let mut candidates: Vec<usize> = (0..n).filter(|&i| norms[i] > 0.0).collect();
    if candidates.len() < p.atoms {
        return Err(AtomsError::TooFewSignals {
            signals: candidates.len(),
            atoms: p.atoms,
        });
    }
    // Initial atoms: distinct signals drawn by a partial Fisher–Yates shuffle.
    let mut rng = SplitMix64(p.seed);
    let mut dict = Array2::<T>::zeros((p.atoms, dim));
    for a in 0..p.atoms {
        let pick = a + rng.below(candidates.len() - a);
        candidates.swap(a, pick);
        let i = candidates[a];
        set_unit_row(&mut dict, a, xs.row(i).iter().copied(), norms[i].sqrt());
    }
    refine(xs, &norms, dict, p, observer)
}

/// [`train_observed`] from a given initial dictionary `init` (rows, normalised here) instead of
/// sampled signals: to warm-start from an earlier codebook. `p.atoms` and `p.seed` are ignored.
pub fn train_from<T: Scalar, F: FnMut(&Progress) -> bool>(
    windows: ArrayView2<T>,
    init: ArrayView2<T>,
    p: &TrainParams,
    observer: F,
) -> Result<Trained<T>, AtomsError> {
    if init.ncols() != windows.ncols() {
        return Err(AtomsError::DimensionMismatch {
            expected: windows.ncols(),
            found: init.ncols(),
        });
    }
    let p = TrainParams {
        atoms: init.nrows(),
        ..p.clone()
    };
    check(windows, &p)?;
    let mut dict = init.to_owned();
    for (a, r) in init.rows().into_iter().enumerate() {
        let nrm = row_norm2(&r).sqrt();
        if !(nrm > 0.0 && nrm.is_finite()) {
            return Err(AtomsError::BadParam(
                "initial atoms must be non-zero and finite",
            ));
        }
        set_unit_row(&mut dict, a, r.iter().copied(), nrm);
    }
    let xs: CowArray<T, Ix2> = windows.as_standard_layout();
    let xs = xs.view();
    let norms: Vec<f64> = xs.rows().into_iter().map(|r| row_norm2(&r)).collect();
    refine(xs, &norms, dict, &p, observer)
}

pub(crate) fn check<T: Scalar>(windows: ArrayView2<T>, p: &TrainParams) -> Result<(), AtomsError> {
    if p.atoms == 0 {
        return Err(AtomsError::BadParam("atoms must be at least 1"));
    }
    if p.sparsity == 0 {
        return Err(AtomsError::BadParam("sparsity must be at least 1"));
    }
    if windows.ncols() == 0 {
        return Err(AtomsError::BadParam(
            "signals must have at least one sample",
        ));
    }
    if p.atoms > u32::MAX as usize {
        return Err(AtomsError::BadParam("at most 2^32 atoms"));
    }
    for (row, x) in windows.rows().into_iter().enumerate() {
        if !x.iter().all(|v| v.is_finite()) {
            return Err(AtomsError::NonFinite { row });
        }
    }
    Ok(())
}

/// The training loop proper: code, report, update, replace.
fn refine<T: Scalar, F: FnMut(&Progress) -> bool>(
    xs: ArrayView2<T>,
    norms: &[f64],
    mut dict: Array2<T>,
    p: &TrainParams,
    mut observer: F,
) -> Result<Trained<T>, AtomsError> {
    let (n, dim) = xs.dim();
    let mut history = Vec::new();
    let mut replaced = 0;
    let total = (n * dim) as f64;
    for iteration in 0..=p.iterations {
        let gram = Gram::new(dict.view());
        let (mut codes, res) = omp_batch_gram(dict.view(), &gram, xs, p.sparsity, 0.0)?;
        let rmse = (res.iter().sum::<f64>() / total).sqrt();
        history.push(rmse);
        let go_on = observer(&Progress {
            iteration,
            rmse,
            replaced,
        });
        if !go_on || iteration == p.iterations {
            return Ok(Trained {
                dict,
                codes,
                rmse,
                history,
            });
        }
        let mut used = vec![false; p.atoms];
        for c in &codes {
            for &a in &c.atoms {
                used[a as usize] = true;
            }
        }
        match p.method {
            Method::Ksvd => ksvd_update(&mut dict, xs, &mut codes),
            Method::Mod => mod_update(&mut dict, xs, &codes),
        }
        replaced = replace_atoms(&mut dict, xs, norms, &res, &used);
    }
    // The loop always returns at `iteration == p.iterations`.
    Err(AtomsError::BadParam("iterations overflow"))
}

pub(crate) fn row_norm2<T: Scalar>(r: &ndarray::ArrayView1<T>) -> f64 {
    match r.as_slice() {
        Some(s) => norm2(s),
        None => r.iter().map(|v| v.abs2()).sum(),
    }
}

fn set_unit_row<T: Scalar>(
    dict: &mut Array2<T>,
    a: usize,
    values: impl Iterator<Item = T>,
    norm: f64,
) {
    let inv = 1.0 / norm;
    for (d, v) in dict.row_mut(a).iter_mut().zip(values) {
        *d = v.scale(inv);
    }
}

/// Approximate K-SVD sweep over the atoms in index order, keeping the residuals `x_i − Σ c d`
/// of all signals so each atom's update costs O(users · dim).
fn ksvd_update<T: Scalar>(dict: &mut Array2<T>, xs: ArrayView2<T>, codes: &mut [SparseCode<T>]) {
    let (k, dim) = dict.dim();
    let mut resid = xs.to_owned();
    for (mut r, c) in resid.rows_mut().into_iter().zip(codes.iter()) {
        for (&a, &coef) in c.atoms.iter().zip(&c.coefs) {
            r.scaled_add(T::zero() - coef, &dict.row(a as usize));
        }
    }
    // Users of each atom as (signal, slot) pairs, grouped by atom (counting sort).
    let mut start = vec![0usize; k + 1];
    for c in codes.iter() {
        for &a in &c.atoms {
            start[a as usize + 1] += 1;
        }
    }
    for j in 0..k {
        start[j + 1] += start[j];
    }
    let mut fill = start.clone();
    let mut users = vec![(0u32, 0u32); start[k]];
    for (i, c) in codes.iter().enumerate() {
        for (s, &a) in c.atoms.iter().enumerate() {
            users[fill[a as usize]] = (i as u32, s as u32);
            fill[a as usize] += 1;
        }
    }
    let Some(resid_flat) = resid.as_slice_mut() else {
        return;
    };
    let mut d_new = vec![T::zero(); dim];
    let mut d_old = vec![T::zero(); dim];
    for j in 0..k {
        let us = &users[start[j]..start[j + 1]];
        if us.is_empty() {
            continue;
        }
        for (o, &v) in d_old.iter_mut().zip(dict.row(j).iter()) {
            *o = v;
        }
        // d ∝ E_I^H-weighted sum: Σ conj(c_i) e_i with e_i = r_i + c_i d_old.
        let mut c2 = 0.0;
        d_new.iter_mut().for_each(|v| *v = T::zero());
        for &(i, s) in us {
            let c = codes[i as usize].coefs[s as usize];
            c2 += c.abs2();
            let cc = c.conj();
            let r = &resid_flat[i as usize * dim..(i as usize + 1) * dim];
            for (dv, &rv) in d_new.iter_mut().zip(r) {
                *dv = *dv + cc * rv;
            }
        }
        for (dv, &ov) in d_new.iter_mut().zip(&d_old) {
            *dv = *dv + ov.scale(c2);
        }
        let nrm = norm2(&d_new).sqrt();
        if !(nrm > 0.0 && nrm.is_finite()) {
            continue;
        }
        let inv = 1.0 / nrm;
        d_new.iter_mut().for_each(|v| *v = v.scale(inv));
        // New coefficients g_i = ⟨d, e_i⟩ and residuals r_i = e_i − g_i d.
        let overlap = dot_conj(&d_new, &d_old);
        for &(i, s) in us {
            let c = codes[i as usize].coefs[s as usize];
            let r = &mut resid_flat[i as usize * dim..(i as usize + 1) * dim];
            let g = dot_conj(&d_new, r) + c * overlap;
            for ((rv, &ov), &nv) in r.iter_mut().zip(&d_old).zip(&d_new) {
                *rv = *rv + c * ov - g * nv;
            }
            codes[i as usize].coefs[s as usize] = g;
        }
        for (dv, &nv) in dict.row_mut(j).iter_mut().zip(&d_new) {
            *dv = nv;
        }
    }
}

/// MOD: the least-squares dictionary `(ΓᴴΓ + λI)⁻¹ ΓᴴX` for the current codes, rows normalised.
fn mod_update<T: Scalar>(dict: &mut Array2<T>, xs: ArrayView2<T>, codes: &[SparseCode<T>]) {
    let (k, dim) = dict.dim();
    let mut a = vec![T::zero(); k * k];
    let mut b = Array2::<T>::zeros((k, dim));
    for (x, c) in xs.rows().into_iter().zip(codes) {
        for (&p, &cp) in c.atoms.iter().zip(&c.coefs) {
            let ccp = cp.conj();
            for (&q, &cq) in c.atoms.iter().zip(&c.coefs) {
                let e = &mut a[p as usize * k + q as usize];
                *e = *e + ccp * cq;
            }
            b.row_mut(p as usize).scaled_add(ccp, &x);
        }
    }
    // A small ridge keeps A positive definite when an atom is unused (its row is then zero and
    // the atom gets replaced) and tames nearly collinear codes.
    let trace: f64 = (0..k).map(|i| a[i * k + i].re()).sum();
    let ridge = 1e-10 * (trace / k as f64).max(f64::MIN_POSITIVE) + 1e-300;
    for i in 0..k {
        a[i * k + i] = a[i * k + i] + T::from_re(ridge);
    }
    let l = cholesky(&a, k);
    // Solve L Y = B, then Lᴴ D = Y, on all columns at once, row by row in place.
    let Some(bf) = b.as_slice_mut() else {
        return;
    };
    for i in 0..k {
        let (done, rest) = bf.split_at_mut(i * dim);
        let bi = &mut rest[..dim];
        for p in 0..i {
            let lip = l[i * k + p];
            for (v, &w) in bi.iter_mut().zip(&done[p * dim..(p + 1) * dim]) {
                *v = *v - lip * w;
            }
        }
        let inv = T::one() / l[i * k + i];
        bi.iter_mut().for_each(|v| *v = *v * inv);
    }
    for i in (0..k).rev() {
        let (head, done) = bf.split_at_mut((i + 1) * dim);
        let bi = &mut head[i * dim..];
        for p in i + 1..k {
            let lpi = l[p * k + i].conj();
            let q = p - i - 1;
            for (v, &w) in bi.iter_mut().zip(&done[q * dim..(q + 1) * dim]) {
                *v = *v - lpi * w;
            }
        }
        let inv = T::one() / l[i * k + i];
        bi.iter_mut().for_each(|v| *v = *v * inv);
    }
    for (mut d, s) in dict.rows_mut().into_iter().zip(b.rows()) {
        let nrm = s.iter().map(|v| v.abs2()).sum::<f64>().sqrt();
        if nrm > 0.0 && nrm.is_finite() {
            d.assign(&s.mapv(|v| v.scale(1.0 / nrm)));
        } else {
            d.fill(T::zero());
        }
    }
}

/// Cholesky factor `L` (row-major, lower) of a Hermitian positive definite `k × k` matrix; a
/// non-positive pivot (rounding on a singular matrix) is clamped so the solve stays finite.
fn cholesky<T: Scalar>(a: &[T], k: usize) -> Vec<T> {
    let mut l = vec![T::zero(); k * k];
    for j in 0..k {
        let mut s = a[j * k + j].re();
        for p in 0..j {
            s -= l[j * k + p].abs2();
        }
        let djj = s.max(1e-300).sqrt();
        l[j * k + j] = T::from_re(djj);
        for i in j + 1..k {
            let mut acc = a[i * k + j];
            for p in 0..j {
                acc = acc - l[i * k + p] * l[j * k + p].conj();
            }
            l[i * k + j] = acc.scale(1.0 / djj);
        }
    }
    l
}

/// Replaces atoms that no signal used, that are zero, or that nearly duplicate an earlier atom
/// (coherence above 0.99),
/// with the worst-represented signals (largest residual energy), normalised; two replacements are
/// never nearly parallel. Returns how many atoms were replaced.
fn replace_atoms<T: Scalar>(
    dict: &mut Array2<T>,
    xs: ArrayView2<T>,
    norms: &[f64],
    res: &[f64],
    used: &[bool],
) -> usize {
    // As in Elad's K-SVD toolbox: an atom this coherent with another one adds almost nothing
    // and is better spent on what the dictionary misses.
    const DUPLICATE: f64 = 0.99;
    let k = dict.nrows();
    let gram = Gram::new(dict.view());
    let g = gram.matrix();
    let mut stale = Vec::new();
    for j in 0..k {
        let zero = g[[j, j]].re() <= 0.5;
        let dup = (0..j).any(|i| g[[i, j]].abs2() > DUPLICATE * DUPLICATE);
        if !used[j] || zero || dup {
            stale.push(j);
        }
    }
    if stale.is_empty() {
        return 0;
    }
    let mut order: Vec<usize> = (0..res.len()).filter(|&i| res[i] > 0.0).collect();
    // Worst first; ties by index keep the choice deterministic.
    order.sort_by(|&a, &b| res[b].total_cmp(&res[a]).then(a.cmp(&b)));
    let mut chosen: Vec<usize> = Vec::new();
    for &i in &order {
        if chosen.len() == stale.len() {
            break;
        }
        let xi = xs.row(i);
        let parallel = chosen.iter().any(|&c| {
            let ip = xs
                .row(c)
                .iter()
                .zip(xi.iter())
                .fold(T::zero(), |acc, (&a, &b)| acc + a.conj() * b);
            ip.abs2() > DUPLICATE * DUPLICATE * norms[c] * norms[i]
        });
        if !parallel {
            chosen.push(i);
        }
    }
    for (&j, &i) in stale.iter().zip(&chosen) {
        set_unit_row(dict, j, xs.row(i).iter().copied(), norms[i].sqrt());
    }
    stale.len().min(chosen.len())
}

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, well-mixed generator, fixed here so a seed
/// means the same dictionary on every platform and crate version.
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`, from the top 53 bits.
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (`n > 0`), by rejection so there is no modulo bias.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let v = self.next();
            if v < zone {
                return (v % n) as usize;
            }
        }
    }
}
