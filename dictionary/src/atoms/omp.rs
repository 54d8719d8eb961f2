//! Batch orthogonal matching pursuit (Rubinstein, Zibulevsky & Elad 2008): correlations with the
//! atoms come from one matrix product per block of signals, and each greedy step grows a Cholesky
//! factor of the chosen atoms' Gram matrix by one row instead of solving a least-squares problem
//! from scratch.

use ndarray::{Array2, ArrayView1, ArrayView2, Axis, s};
use rayon::prelude::*;

use super::code::{AtomsError, SparseCode};
use super::scalar::{Scalar, norm2};

/// Signals coded per matrix product in [`omp_batch`]: large enough for an efficient product, small
/// enough that a block's correlations stay in cache. Fixed, so results do not depend on threads.
const BLOCK: usize = 256;

/// A pivot whose squared Cholesky diagonal falls below this (atoms are unit norm) is linearly
/// dependent on the atoms already chosen: adding it would blow up the coefficients.
const MIN_PIVOT: f64 = 1e-10;

/// Below this squared correlation, relative to the signal's energy, no atom can reduce the
/// residual any further.
const MIN_CORR: f64 = 1e-26;

/// The Gram matrix `G[i][j] = ⟨d_i, d_j⟩` of a dictionary's atoms (rows), precomputed once per
/// dictionary and shared by every signal coded over it.
#[derive(Clone, Debug)]
pub struct Gram<T> {
    g: Array2<T>,
    dim: usize,
}

impl<T: Scalar> Gram<T> {
    /// The Gram matrix of `dict`'s rows.
    pub fn new(dict: ArrayView2<T>) -> Self {
        let conj = dict.mapv(T::conj);
        Gram {
            g: conj.dot(&dict.t()),
            dim: dict.ncols(),
        }
    }

    /// Number of atoms.
    pub fn atoms(&self) -> usize {
        self.g.nrows()
    }

    /// The matrix itself, atoms × atoms.
    pub fn matrix(&self) -> ArrayView2<'_, T> {
        self.g.view()
    }
}

/// Scratch space of one coder, reused across signals to avoid allocating per signal.
struct Workspace<T> {
    alpha: Vec<T>,
    blocked: Vec<bool>,
    /// Lower-triangular Cholesky factor of the chosen atoms' Gram matrix, row-major `cap × cap`.
    l: Vec<T>,
    y: Vec<T>,
    gamma: Vec<T>,
    w: Vec<T>,
    support: Vec<usize>,
    cap: usize,
}

impl<T: Scalar> Workspace<T> {
    fn new(atoms: usize, cap: usize) -> Self {
        Workspace {
            alpha: vec![T::zero(); atoms],
            blocked: vec![false; atoms],
            l: vec![T::zero(); cap * cap],
            y: Vec::with_capacity(cap),
            gamma: vec![T::zero(); cap],
            w: vec![T::zero(); cap],
            support: Vec::with_capacity(cap),
            cap,
        }
    }
}

/// Codes one signal from its correlations `alpha0[j] = ⟨d_j, x⟩` and energy `‖x‖²`; returns the
/// code and the residual's squared norm.
fn code_one<T: Scalar>(
    g: &Gram<T>,
    alpha0: &[T],
    x_norm2: f64,
    max_atoms: usize,
    tol_sq: f64,
    ws: &mut Workspace<T>,
) -> (SparseCode<T>, f64) {
    let k_atoms = g.atoms();
    // More atoms than dimensions can only be linearly dependent.
    let max = max_atoms.min(k_atoms).min(g.dim).min(ws.cap);
    let gm = &g.g;
    ws.alpha.copy_from_slice(alpha0);
    ws.blocked.iter_mut().for_each(|b| *b = false);
    ws.support.clear();
    ws.y.clear();
    let cap = ws.cap;
    let mut energy = x_norm2;
    while ws.support.len() < max && energy > tol_sq {
        // Greedy choice; strict `>` keeps the lowest index on ties, so coding is deterministic.
        let mut best = usize::MAX;
        let mut best_v = MIN_CORR * x_norm2;
        for (j, (a, &b)) in ws.alpha.iter().zip(&ws.blocked).enumerate() {
            let v = a.abs2();
            if !b && v > best_v {
                best = j;
                best_v = v;
            }
        }
        if best == usize::MAX {
            break;
        }
        let n = ws.support.len();
        // New Cholesky row: solve L w = G[I, k].
        let mut w_norm2 = 0.0;
        for m in 0..n {
            let mut acc = gm[[ws.support[m], best]];
            for p in 0..m {
                acc = acc - ws.l[m * cap + p] * ws.w[p];
            }
            let wm = acc / ws.l[m * cap + m];
            ws.w[m] = wm;
            w_norm2 += wm.abs2();
        }
        let pivot = gm[[best, best]].re() - w_norm2;
        ws.blocked[best] = true;
        if pivot <= MIN_PIVOT {
            // Dependent on the chosen atoms: skip it and look for the next best.
            continue;
        }
        for p in 0..n {
            ws.l[n * cap + p] = ws.w[p].conj();
        }
        ws.l[n * cap + n] = T::from_re(pivot.sqrt());
        ws.support.push(best);
        // Forward substitution grows by one entry: earlier entries of y are unchanged, and the
        // projection's energy is ‖y‖², so the residual energy drops by exactly |y_n|².
        let mut acc = alpha0[best];
        for p in 0..n {
            acc = acc - ws.l[n * cap + p] * ws.y[p];
        }
        let yn = acc / ws.l[n * cap + n];
        ws.y.push(yn);
        energy = (energy - yn.abs2()).max(0.0);
        // Back substitution L^H γ = y for the current support.
        let len = n + 1;
        for m in (0..len).rev() {
            let mut acc = ws.y[m];
            for p in m + 1..len {
                acc = acc - ws.l[p * cap + m].conj() * ws.gamma[p];
            }
            ws.gamma[m] = acc / ws.l[m * cap + m];
        }
        if ws.support.len() == max || energy <= tol_sq {
            break;
        }
        // Correlations of the new residual: α = α0 − G[:, I] γ, reading G's rows (Hermitian).
        ws.alpha.copy_from_slice(alpha0);
        for m in 0..len {
            let gam = ws.gamma[m];
            let row = gm.row(ws.support[m]);
            for (a, &gv) in ws.alpha.iter_mut().zip(row.iter()) {
                *a = *a - gv.conj() * gam;
            }
        }
    }
    let len = ws.support.len();
    let code = SparseCode {
        atoms: ws.support.iter().map(|&j| j as u32).collect(),
        coefs: ws.gamma[..len].to_vec(),
    };
    (code, energy)
}

fn check_dict<T: Scalar>(dict: &ArrayView2<T>, gram: &Gram<T>) -> Result<(), AtomsError> {
    if gram.atoms() != dict.nrows() || gram.dim != dict.ncols() {
        return Err(AtomsError::GramMismatch {
            gram_atoms: gram.atoms(),
            atoms: dict.nrows(),
        });
    }
    Ok(())
}

/// OMP of one signal `x` over `dict` (rows = unit-norm atoms) with its precomputed `gram`: stops
/// after `max_atoms` atoms or once the residual's squared norm is at most `tol_sq`.
///
/// Atoms appear in the order they were chosen; ties go to the lowest atom index.
pub fn omp<T: Scalar>(
    dict: ArrayView2<T>,
    gram: &Gram<T>,
    x: ArrayView1<T>,
    max_atoms: usize,
    tol_sq: f64,
) -> Result<SparseCode<T>, AtomsError> {
    check_dict(&dict, gram)?;
    if x.len() != dict.ncols() {
        return Err(AtomsError::DimensionMismatch {
            expected: dict.ncols(),
            found: x.len(),
        });
    }
    let alpha0: Vec<T> = dict
        .rows()
        .into_iter()
        .map(|d| {
            d.iter()
                .zip(x.iter())
                .fold(T::zero(), |acc, (&a, &b)| acc + a.conj() * b)
        })
        .collect();
    let x_norm2: f64 = x.iter().map(|v| v.abs2()).sum();
    let mut ws = Workspace::new(dict.nrows(), max_atoms.min(dict.nrows()).min(dict.ncols()));
    Ok(code_one(gram, &alpha0, x_norm2, max_atoms, tol_sq, &mut ws).0)
}

/// OMP of every row of `xs` over `dict`, in parallel; the result is the same whatever the number
/// of threads.
pub fn omp_batch<T: Scalar>(
    dict: ArrayView2<T>,
    xs: ArrayView2<T>,
    max_atoms: usize,
    tol_sq: f64,
) -> Result<Vec<SparseCode<T>>, AtomsError> {
    Ok(omp_batch_with_residuals(dict, xs, max_atoms, tol_sq)?.0)
}

/// [`omp_batch`], also returning each signal's residual squared norm.
pub fn omp_batch_with_residuals<T: Scalar>(
    dict: ArrayView2<T>,
    xs: ArrayView2<T>,
    max_atoms: usize,
    tol_sq: f64,
) -> Result<(Vec<SparseCode<T>>, Vec<f64>), AtomsError> {
    let gram = Gram::new(dict);
    omp_batch_gram(dict, &gram, xs, max_atoms, tol_sq)
}

/// [`omp_batch_with_residuals`] with a Gram matrix the caller already has.
pub(crate) fn omp_batch_gram<T: Scalar>(
    dict: ArrayView2<T>,
    gram: &Gram<T>,
    xs: ArrayView2<T>,
    max_atoms: usize,
    tol_sq: f64,
) -> Result<(Vec<SparseCode<T>>, Vec<f64>), AtomsError> {
    check_dict(&dict, gram)?;
    if xs.ncols() != dict.ncols() {
        return Err(AtomsError::DimensionMismatch {
            expected: dict.ncols(),
            found: xs.ncols(),
        });
    }
    let dict_conj_t = dict.mapv(T::conj).reversed_axes();
    let cap = max_atoms.min(dict.nrows()).min(dict.ncols());
    let n = xs.nrows();
    let blocks: Vec<(Vec<SparseCode<T>>, Vec<f64>)> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let rows = xs.slice(s![b * BLOCK..((b + 1) * BLOCK).min(n), ..]);
            // alpha0[i][j] = Σ_k x_ik conj(d_jk) = ⟨d_j, x_i⟩.
            let alpha0 = rows.dot(&dict_conj_t);
            let mut ws = Workspace::new(dict.nrows(), cap);
            let mut codes = Vec::with_capacity(rows.nrows());
            let mut res = Vec::with_capacity(rows.nrows());
            for (x, a0) in rows.axis_iter(Axis(0)).zip(alpha0.axis_iter(Axis(0))) {
                let x_norm2 = match x.as_slice() {
                    Some(sl) => norm2(sl),
                    None => x.iter().map(|v| v.abs2()).sum(),
                };
                let owned;
                let a0 = match a0.as_slice() {
                    Some(sl) => sl,
                    None => {
                        owned = a0.to_vec();
                        &owned
                    }
                };
                let (c, e) = code_one(gram, a0, x_norm2, max_atoms, tol_sq, &mut ws);
                codes.push(c);
                res.push(e);
            }
            (codes, res)
        })
        .collect();
    let mut codes = Vec::with_capacity(n);
    let mut res = Vec::with_capacity(n);
    for (c, r) in blocks {
        codes.extend(c);
        res.extend(r);
    }
    Ok((codes, res))
}
