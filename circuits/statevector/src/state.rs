//! A state-vector simulator kernel: `2^n` complex amplitudes and the operations a circuit
//! simulator needs on them (apply a small unitary, measure, compare), with no knowledge of
//! circuits.
//!
//! Index bit `q` of an amplitude is the state of qubit `q` (qubit 0 least significant, as in
//! Qiskit). Large states are processed in parallel with rayon, but every amplitude is always
//! computed by the same arithmetic and every sum is added up in the same fixed order, so
//! results are bit-identical whatever the number of threads.

use std::borrow::Cow;
use std::fmt;
use std::iter::Sum;
use std::ops::Add;

use rayon::prelude::*;
use smallvec::SmallVec;

use eqisa_ir::matrix::{C64, Matrix};

/// The largest number of qubits a [`StateVector`] may have (2^26 amplitudes = 1 GiB).
pub const MAX_QUBITS: usize = 26;

/// States with at least `2^PARALLEL_BITS` amplitudes are processed on rayon's thread pool;
/// below that the thread hand-off costs more than it saves.
const PARALLEL_BITS: usize = 14;

/// Gate kernels work on chunks of `2^CHUNK_BITS` amplitudes (64 KiB): big enough to amortise
/// per-chunk bookkeeping, small enough that a few of them stay in cache together.
const CHUNK_BITS: usize = 12;

/// Sums are formed per block of this many amplitudes, then the block sums are added in block
/// order. The block size is a constant (not derived from the thread count) so that the
/// rounding, and hence the result, never depends on how the work was scheduled.
const SUM_BLOCK: usize = 1 << 12;

const ZERO: C64 = C64::new(0.0, 0.0);
const ONE: C64 = C64::new(1.0, 0.0);

/// Why a state vector could not be created.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StateError {
    /// More qubits than [`MAX_QUBITS`].
    #[error("a state vector of {requested} qubits is too large (at most {max})")]
    TooManyQubits {
        /// The number of qubits asked for.
        requested: usize,
        /// The limit, [`MAX_QUBITS`].
        max: usize,
    },
    /// Amplitudes whose count is not a power of two.
    #[error("{len} amplitudes do not form a state vector (need a power of two)")]
    NotPowerOfTwo {
        /// The number of amplitudes given.
        len: usize,
    },
}

/// `n` qubits as `2^n` amplitudes; index bit `q` = qubit `q` (qubit 0 least significant).
#[derive(Clone, PartialEq)]
pub struct StateVector {
    num_qubits: usize,
    amps: Vec<C64>,
}

impl fmt::Debug for StateVector {
    // Millions of amplitudes are never useful in a debug print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateVector")
            .field("num_qubits", &self.num_qubits)
            .finish_non_exhaustive()
    }
}

impl StateVector {
    /// `|0...0>` on `num_qubits` qubits.
    pub fn zero_state(num_qubits: usize) -> Result<Self, StateError> {
        if num_qubits > MAX_QUBITS {
            return Err(StateError::TooManyQubits {
                requested: num_qubits,
                max: MAX_QUBITS,
            });
        }
        let mut amps = vec![ZERO; 1usize << num_qubits];
        amps[0] = ONE;
        Ok(StateVector { num_qubits, amps })
    }

    /// Wraps given amplitudes (their count must be `2^n` with `n <= MAX_QUBITS`); they are
    /// taken as they are, not normalised.
    pub fn from_amplitudes(amps: Vec<C64>) -> Result<Self, StateError> {
        let len = amps.len();
        if !len.is_power_of_two() {
            return Err(StateError::NotPowerOfTwo { len });
        }
        let num_qubits = len.trailing_zeros() as usize;
        if num_qubits > MAX_QUBITS {
            return Err(StateError::TooManyQubits {
                requested: num_qubits,
                max: MAX_QUBITS,
            });
        }
        Ok(StateVector { num_qubits, amps })
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// The `2^n` amplitudes.
    pub fn amplitudes(&self) -> &[C64] {
        &self.amps
    }

    /// Gives up the amplitudes.
    pub fn into_amplitudes(self) -> Vec<C64> {
        self.amps
    }

    fn parallel(&self) -> bool {
        self.num_qubits >= PARALLEL_BITS
    }

    /// Apply `m` with its `j`-th argument on qubit `qubits[j]` (distinct, `< n`; the caller
    /// guarantees this, checked only by `debug_assert`).
    pub fn apply(&mut self, m: &Matrix, qubits: &[u32]) {
        debug_assert_eq!(m.num_qubits(), qubits.len(), "matrix/qubit count mismatch");
        debug_assert!(
            qubits.iter().all(|&q| (q as usize) < self.num_qubits),
            "qubit out of range"
        );
        debug_assert!(
            qubits
                .iter()
                .enumerate()
                .all(|(i, q)| !qubits[..i].contains(q)),
            "repeated qubit"
        );
        let k = qubits.len();
        if k == 0 {
            self.scale_all(m.get(0, 0));
            return;
        }
        // Kernels want the targets in ascending order so that the low matrix index bit is the
        // low amplitude index bit; reorder the matrix's arguments to match.
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by_key(|&j| qubits[j]);
        let targets: Vec<usize> = order.iter().map(|&j| qubits[j] as usize).collect();
        let m = if order.iter().enumerate().all(|(i, &j)| i == j) {
            Cow::Borrowed(m)
        } else {
            Cow::Owned(m.permute_args(&order))
        };
        let active = active_indices(&m);
        if active.is_empty() {
            return;
        }
        let parallel = self.parallel();
        let layout = Layout::new(self.num_qubits, &targets);
        let amps = &mut self.amps;
        let diagonal = m.is_diagonal();
        match (k, diagonal, active.len()) {
            (1, true, _) => {
                let [d0, d1] = [m.get(0, 0), m.get(1, 1)];
                // Phase-type gates (p, t, s, ...) leave |0> alone: skip that half.
                if d0 == ONE {
                    for_each_pair(amps, &layout, parallel, |_, y| *y *= d1);
                } else {
                    for_each_pair(amps, &layout, parallel, |x, y| {
                        *x *= d0;
                        *y *= d1;
                    });
                }
            }
            (1, false, _) => {
                let [m00, m01, m10, m11] = [m.get(0, 0), m.get(0, 1), m.get(1, 0), m.get(1, 1)];
                for_each_pair(amps, &layout, parallel, |x, y| {
                    let (a, b) = (*x, *y);
                    *x = m00 * a + m01 * b;
                    *y = m10 * a + m11 * b;
                });
            }
            (2, true, _) => {
                let d = m.diagonal();
                let [d0, d1, d2, d3] = [d[0], d[1], d[2], d[3]];
                if active[..] == [3] {
                    // Controlled phases (cz, cp, cu1): only |11> changes.
                    for_each_quad(amps, &layout, parallel, |_, _, _, v3| *v3 *= d3);
                } else {
                    for_each_quad(amps, &layout, parallel, |v0, v1, v2, v3| {
                        *v0 *= d0;
                        *v1 *= d1;
                        *v2 *= d2;
                        *v3 *= d3;
                    });
                }
            }
            (2, false, 2) => pair_in_quad(amps, &layout, parallel, &m, active[0], active[1]),
            (2, false, _) => {
                let e: [C64; 16] = std::array::from_fn(|i| m.data()[i]);
                for_each_quad(amps, &layout, parallel, |v0, v1, v2, v3| {
                    let (a, b, c, d) = (*v0, *v1, *v2, *v3);
                    *v0 = e[0] * a + e[1] * b + e[2] * c + e[3] * d;
                    *v1 = e[4] * a + e[5] * b + e[6] * c + e[7] * d;
                    *v2 = e[8] * a + e[9] * b + e[10] * c + e[11] * d;
                    *v3 = e[12] * a + e[13] * b + e[14] * c + e[15] * d;
                });
            }
            _ => apply_general(amps, &layout, parallel, &m, &active),
        }
    }

    /// Apply `m` to `targets` (its `j`-th argument on `targets[j]`) where every control qubit
    /// `controls[i].0` reads `controls[i].1`, without forming the controlled matrix: a gate with
    /// 13 controls would be a dense 2^14 × 2^14 matrix (4 GiB); here it costs one pass over the
    /// state. Qubits distinct and `< n`, as for [`StateVector::apply`].
    pub fn apply_controlled(&mut self, m: &Matrix, controls: &[(u32, bool)], targets: &[u32]) {
        debug_assert_eq!(m.num_qubits(), targets.len(), "matrix/qubit count mismatch");
        let mask: usize = controls.iter().map(|&(q, _)| 1usize << q).sum();
        let want: usize = controls
            .iter()
            .filter(|&&(_, on)| on)
            .map(|&(q, _)| 1usize << q)
            .sum();
        let target_mask: usize = targets.iter().map(|&q| 1usize << q).sum();
        let dim = 1usize << targets.len();
        // Offsets of the 2^k target combinations; matrix index bit j is argument j.
        let offsets: Vec<usize> = (0..dim)
            .map(|r| {
                targets
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| r >> j & 1 == 1)
                    .map(|(_, &q)| 1usize << q)
                    .sum()
            })
            .collect();
        let mut gathered = vec![C64::new(0.0, 0.0); dim];
        for base in 0..self.amps.len() {
            if base & target_mask != 0 || base & mask != want {
                continue;
            }
            for (g, &o) in gathered.iter_mut().zip(&offsets) {
                *g = self.amps[base | o];
            }
            for (r, &o) in offsets.iter().enumerate() {
                self.amps[base | o] = (0..dim).map(|c| m.get(r, c) * gathered[c]).sum();
            }
        }
    }

    /// Multiply every amplitude by `e^{i phi}`.
    pub fn apply_global_phase(&mut self, phi: f64) {
        self.scale_all(C64::from_polar(1.0, phi));
    }

    fn scale_all(&mut self, z: C64) {
        if z == ONE {
            return;
        }
        let scale = |chunk: &mut [C64]| chunk.iter_mut().for_each(|a| *a *= z);
        if self.parallel() {
            self.amps.par_chunks_mut(1 << CHUNK_BITS).for_each(scale);
        } else {
            scale(&mut self.amps);
        }
    }

    /// Probability of measuring |1> on `qubit` (for a normalised state).
    pub fn prob_one(&self, qubit: u32) -> f64 {
        self.prob_of(qubit as usize, true)
    }

    /// Total weight `Σ|a|²` of the amplitudes whose bit `q` equals `value`.
    fn prob_of(&self, q: usize, value: bool) -> f64 {
        debug_assert!(q < self.num_qubits, "qubit out of range");
        let half = 1usize << q;
        let want = usize::from(value);
        block_sum(&self.amps, self.parallel(), |base, block| {
            if half < block.len() {
                // Both values of bit q occur inside the block, in alternating runs.
                block
                    .chunks_exact(2 * half)
                    .flat_map(|run| &run[want * half..(want + 1) * half])
                    .map(|a| a.norm_sqr())
                    .sum::<f64>()
            } else if (base >> q) & 1 == want {
                block.iter().map(|a| a.norm_sqr()).sum()
            } else {
                0.0
            }
        })
    }

    /// Project `qubit` onto `outcome` and renormalise; returns the probability that outcome
    /// had. If that probability is exactly zero the state cannot be renormalised and is left
    /// unchanged (the caller should not have picked that outcome).
    pub fn collapse(&mut self, qubit: u32, outcome: bool) -> f64 {
        let q = qubit as usize;
        let p = self.prob_of(q, outcome);
        if p <= 0.0 {
            return 0.0;
        }
        let s = 1.0 / p.sqrt();
        let parallel = self.parallel();
        let layout = Layout::new(self.num_qubits, &[q]);
        if outcome {
            for_each_pair(&mut self.amps, &layout, parallel, |x, y| {
                *x = ZERO;
                *y *= s;
            });
        } else {
            for_each_pair(&mut self.amps, &layout, parallel, |x, y| {
                *x *= s;
                *y = ZERO;
            });
        }
        p
    }

    /// `|<self|other>|² / (‖self‖²·‖other‖²)`: the fidelity of the states, insensitive to
    /// global phase and to the norm drift of long simulations (whose rounding once gave
    /// 1.0000000000000568). Returns 0 if `other` has a different length or a zero norm.
    pub fn fidelity(&self, other: &[C64]) -> f64 {
        if other.len() != self.amps.len() {
            return 0.0;
        }
        let overlap = self.overlap_sqr(other);
        let norms: f64 = self.norm_sqr()
            * block_sum::<f64, _>(other, self.parallel(), |_, block| {
                block.iter().map(|a| a.norm_sqr()).sum()
            });
        if norms.is_nan() || norms <= 0.0 {
            return 0.0;
        }
        // Cauchy–Schwarz bounds the exact ratio by 1; what the three rounded sums leave above
        // it is a few ulps of rounding, not fidelity.
        (overlap / norms).min(1.0)
    }

    /// `|<self|other>|²` (for states of equal length).
    fn overlap_sqr(&self, other: &[C64]) -> f64 {
        let overlap: C64 = block_sum(&self.amps, self.parallel(), |base, block| {
            let theirs = &other[base..base + block.len()];
            block
                .iter()
                .zip(theirs)
                .map(|(a, b)| a.conj() * b)
                .fold(ZERO, |acc, z| acc + z)
        });
        overlap.norm_sqr()
    }

    /// `Σ|a|²` (1 for a normalised state).
    pub fn norm_sqr(&self) -> f64 {
        block_sum(&self.amps, self.parallel(), |_, block| {
            block.iter().map(|a| a.norm_sqr()).sum()
        })
    }
}

/// Adds up `f(base, block)` over consecutive blocks of [`SUM_BLOCK`] amplitudes (`base` is the
/// index of the block's first amplitude), in block order, so the rounding is the same whether
/// the blocks were evaluated in parallel or not.
fn block_sum<T, F>(amps: &[C64], parallel: bool, f: F) -> T
where
    T: Copy + Send + Add<Output = T> + Sum<T>,
    F: Fn(usize, &[C64]) -> T + Sync,
{
    let partials: Vec<T> = if parallel {
        amps.par_chunks(SUM_BLOCK)
            .enumerate()
            .map(|(i, block)| f(i * SUM_BLOCK, block))
            .collect()
    } else {
        amps.chunks(SUM_BLOCK)
            .enumerate()
            .map(|(i, block)| f(i * SUM_BLOCK, block))
            .collect()
    };
    // `Sum` folds left to right: a fixed order.
    partials.into_iter().sum()
}

/// The indices whose row or column differs from the identity's. Amplitudes at the other
/// indices are left untouched by the matrix, so kernels need not read or write them (e.g.
/// `ccx` touches 2 of every 8 amplitudes).
fn active_indices(m: &Matrix) -> SmallVec<[usize; 8]> {
    let dim = m.dim();
    let d = m.data();
    (0..dim)
        .filter(|&i| {
            (0..dim).any(|j| {
                let id = if i == j { ONE } else { ZERO };
                d[i * dim + j] != id || d[j * dim + i] != id
            })
        })
        .collect()
}

/// How a gate's sorted target qubits fall onto the chunk structure: targets below the chunk
/// size are "local" (both values of the bit occur inside one chunk), the others are "global"
/// (they select among chunks, and the chunks that differ only in them form a group that must
/// be processed together).
struct Layout {
    /// log2 of the chunk length.
    chunk_bits: usize,
    /// Local target bit positions, ascending.
    local: SmallVec<[usize; 4]>,
    /// Global target bit positions within the chunk index, ascending.
    global: SmallVec<[usize; 4]>,
    /// Number of chunks.
    num_chunks: usize,
}

impl Layout {
    fn new(num_qubits: usize, sorted_targets: &[usize]) -> Self {
        let chunk_bits = num_qubits.min(CHUNK_BITS);
        let (local, global): (SmallVec<[usize; 4]>, SmallVec<[usize; 4]>) = sorted_targets
            .iter()
            .copied()
            .partition(|&t| t < chunk_bits);
        Layout {
            chunk_bits,
            local,
            global: global.iter().map(|&t| t - chunk_bits).collect(),
            num_chunks: 1 << (num_qubits - chunk_bits),
        }
    }
}

/// Inserts a zero bit at each of `positions` (ascending) into `x`.
#[inline]
fn insert_zero_bits(mut x: usize, positions: &[usize]) -> usize {
    for &p in positions {
        x = (x & ((1 << p) - 1)) | ((x >> p) << (p + 1));
    }
    x
}

/// Spreads the low bits of `x` onto `positions`: bit `j` of `x` goes to bit `positions[j]`.
#[inline]
fn deposit_bits(x: usize, positions: &[usize]) -> usize {
    positions
        .iter()
        .enumerate()
        .fold(0, |acc, (j, &p)| acc | (((x >> j) & 1) << p))
}

/// One group: the `2^g` chunks that differ only in the global target bits, ordered by the
/// value of those bits.
type Group<'a> = SmallVec<[&'a mut [C64]; 4]>;

/// Splits `amps` into independent groups and runs `f` on each, in parallel if asked. Groups
/// never share an amplitude, so the outcome does not depend on scheduling.
fn run_groups<F>(amps: &mut [C64], layout: &Layout, parallel: bool, f: F)
where
    F: Fn(&mut Group<'_>) + Sync,
{
    let chunk_len = 1usize << layout.chunk_bits;
    let g = layout.global.len();
    let mut chunks: Vec<Option<&mut [C64]>> = amps.chunks_mut(chunk_len).map(Some).collect();
    debug_assert_eq!(chunks.len(), layout.num_chunks);
    let groups: Vec<Group<'_>> = (0..layout.num_chunks >> g)
        .map(|base| {
            let base = insert_zero_bits(base, &layout.global);
            (0..1usize << g)
                .filter_map(|member| chunks[base | deposit_bits(member, &layout.global)].take())
                .collect()
        })
        .collect();
    if parallel {
        groups.into_par_iter().for_each(|mut grp| f(&mut grp));
    } else {
        groups.into_iter().for_each(|mut grp| f(&mut grp));
    }
}

/// Calls `f(x, y)` on every pair of amplitudes that differ only in the single target bit
/// (`x` has it clear, `y` set).
fn for_each_pair<F>(amps: &mut [C64], layout: &Layout, parallel: bool, f: F)
where
    F: Fn(&mut C64, &mut C64) + Sync,
{
    run_groups(amps, layout, parallel, |grp| {
        match (grp.as_mut_slice(), &layout.local[..]) {
            ([lo, hi], []) => lo.iter_mut().zip(hi.iter_mut()).for_each(|(x, y)| f(x, y)),
            ([chunk], &[t]) => {
                for block in chunk.chunks_exact_mut(2 << t) {
                    let (lo, hi) = block.split_at_mut(1 << t);
                    lo.iter_mut().zip(hi).for_each(|(x, y)| f(x, y));
                }
            }
            _ => debug_assert!(false, "pair kernel on a non-1-qubit layout"),
        }
    });
}

/// Runs `f` element-wise over four equally long slices.
#[inline]
fn zip4<F>(s0: &mut [C64], s1: &mut [C64], s2: &mut [C64], s3: &mut [C64], f: &F)
where
    F: Fn(&mut C64, &mut C64, &mut C64, &mut C64),
{
    for (((a, b), c), d) in s0.iter_mut().zip(s1).zip(s2).zip(s3) {
        f(a, b, c, d);
    }
}

/// Calls `f(v0, v1, v2, v3)` on every quadruple of amplitudes that differ only in the two
/// target bits; `v_i` has the low target bit = bit 0 of `i` and the high one = bit 1.
fn for_each_quad<F>(amps: &mut [C64], layout: &Layout, parallel: bool, f: F)
where
    F: Fn(&mut C64, &mut C64, &mut C64, &mut C64) + Sync,
{
    run_groups(amps, layout, parallel, |grp| {
        match (grp.as_mut_slice(), &layout.local[..]) {
            ([c0, c1, c2, c3], []) => zip4(c0, c1, c2, c3, &f),
            ([c0, c1], &[a]) => {
                for (x, y) in c0.chunks_exact_mut(2 << a).zip(c1.chunks_exact_mut(2 << a)) {
                    let (x0, x1) = x.split_at_mut(1 << a);
                    let (y0, y1) = y.split_at_mut(1 << a);
                    zip4(x0, x1, y0, y1, &f);
                }
            }
            ([chunk], &[a, b]) => {
                for block in chunk.chunks_exact_mut(2 << b) {
                    let (h0, h1) = block.split_at_mut(1 << b);
                    for (x, y) in h0.chunks_exact_mut(2 << a).zip(h1.chunks_exact_mut(2 << a)) {
                        let (x0, x1) = x.split_at_mut(1 << a);
                        let (y0, y1) = y.split_at_mut(1 << a);
                        zip4(x0, x1, y0, y1, &f);
                    }
                }
            }
            _ => debug_assert!(false, "quad kernel on a non-2-qubit layout"),
        }
    });
}

/// A 2-qubit matrix that only mixes two basis states `i < j` (cx, cy, ch, crx, swap, ...):
/// a 2x2 update on those two amplitudes of each quadruple. The indices are made constants
/// so that each case compiles to straight-line code.
fn pair_in_quad(amps: &mut [C64], layout: &Layout, parallel: bool, m: &Matrix, i: usize, j: usize) {
    fn run<const I: usize, const J: usize>(
        amps: &mut [C64],
        layout: &Layout,
        parallel: bool,
        m: &Matrix,
    ) {
        let [a, b, c, d] = [m.get(I, I), m.get(I, J), m.get(J, I), m.get(J, J)];
        for_each_quad(amps, layout, parallel, |v0, v1, v2, v3| {
            let v = [v0, v1, v2, v3];
            let (x, y) = (*v[I], *v[J]);
            *v[I] = a * x + b * y;
            *v[J] = c * x + d * y;
        });
    }
    match (i, j) {
        (0, 1) => run::<0, 1>(amps, layout, parallel, m),
        (0, 2) => run::<0, 2>(amps, layout, parallel, m),
        (0, 3) => run::<0, 3>(amps, layout, parallel, m),
        (1, 2) => run::<1, 2>(amps, layout, parallel, m),
        (1, 3) => run::<1, 3>(amps, layout, parallel, m),
        (2, 3) => run::<2, 3>(amps, layout, parallel, m),
        _ => debug_assert!(false, "pair_in_quad needs 0 <= i < j < 4"),
    }
}

/// Any number of targets: per group of amplitudes, gather the active ones into a small
/// buffer, multiply by the active block of the matrix, scatter back.
fn apply_general(amps: &mut [C64], layout: &Layout, parallel: bool, m: &Matrix, active: &[usize]) {
    let dim = m.dim();
    let na = active.len();
    let sub: Vec<C64> = active
        .iter()
        .flat_map(|&r| active.iter().map(move |&c| m.data()[r * dim + c]))
        .collect();
    let l = layout.local.len();
    // Where matrix index `idx` lives: chunk `idx >> l` of the group (the global bits are the
    // high ones since targets are sorted), at an offset made of the local bits.
    let places: Vec<(usize, usize)> = active
        .iter()
        .map(|&idx| (idx >> l, deposit_bits(idx & ((1 << l) - 1), &layout.local)))
        .collect();
    let chunk_len = 1usize << layout.chunk_bits;
    run_groups(amps, layout, parallel, |grp| {
        // One buffer pair per group, reused for every amplitude tuple in it.
        let mut input: SmallVec<[C64; 32]> = SmallVec::from_elem(ZERO, na);
        let mut output: SmallVec<[C64; 32]> = SmallVec::from_elem(ZERO, na);
        for count in 0..chunk_len >> l {
            let base = insert_zero_bits(count, &layout.local);
            for (slot, &(member, off)) in input.iter_mut().zip(&places) {
                *slot = grp[member][base + off];
            }
            for (out, row) in output.iter_mut().zip(sub.chunks_exact(na)) {
                *out = row
                    .iter()
                    .zip(&input)
                    .fold(ZERO, |acc, (&e, &x)| acc + e * x);
            }
            for (&value, &(member, off)) in output.iter().zip(&places) {
                grp[member][base + off] = value;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_ir::gates::StandardGate;
    use eqisa_test_support::Rng;

    const FRAC_1_SQRT_2: f64 = std::f64::consts::FRAC_1_SQRT_2;

    fn gate(g: StandardGate, params: &[f64]) -> Matrix {
        g.matrix(params).expect("right parameter count")
    }

    /// Random angles, states and unitaries drawn from the tests' seeded generator.
    trait Draw {
        fn angle(&mut self) -> f64;
        fn complex(&mut self) -> C64;
        fn state(&mut self, n: usize) -> StateVector;
        fn unitary(&mut self, k: usize) -> Matrix;
    }

    impl Draw for Rng {
        fn angle(&mut self) -> f64 {
            (self.f64() * 2.0 - 1.0) * std::f64::consts::PI
        }

        fn complex(&mut self) -> C64 {
            C64::new(self.f64() - 0.5, self.f64() - 0.5)
        }

        /// A random normalised state.
        fn state(&mut self, n: usize) -> StateVector {
            let mut amps: Vec<C64> = (0..1usize << n).map(|_| self.complex()).collect();
            let norm = amps.iter().map(|a| a.norm_sqr()).sum::<f64>().sqrt();
            amps.iter_mut().for_each(|a| *a /= norm);
            StateVector::from_amplitudes(amps).expect("power of two")
        }

        /// A random (dense, generic) k-qubit unitary: products of random 1-qubit gates and CXs.
        fn unitary(&mut self, k: usize) -> Matrix {
            let mut u = Matrix::identity(k);
            for _ in 0..3 {
                for q in 0..k {
                    let g = gate(StandardGate::U, &[self.angle(), self.angle(), self.angle()]);
                    u = g.embed(&[q], k).mul(&u);
                }
                for q in 0..k.saturating_sub(1) {
                    u = gate(StandardGate::Cx, &[]).embed(&[q, q + 1], k).mul(&u);
                }
            }
            u.with_phase(self.angle())
        }
    }

    /// The full matrix applied to the full vector: the slow, obviously right reference.
    fn reference_apply(state: &StateVector, m: &Matrix, qubits: &[u32]) -> Vec<C64> {
        let positions: Vec<usize> = qubits.iter().map(|&q| q as usize).collect();
        let full = m.embed(&positions, state.num_qubits());
        let dim = full.dim();
        (0..dim)
            .map(|i| {
                (0..dim)
                    .map(|j| full.get(i, j) * state.amplitudes()[j])
                    .sum()
            })
            .collect()
    }

    fn max_diff(a: &[C64], b: &[C64]) -> f64 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).norm())
            .fold(0.0, f64::max)
    }

    fn check_against_embed(n: usize, m: &Matrix, qubits: &[u32], rng: &mut Rng) {
        let mut state = rng.state(n);
        let expected = reference_apply(&state, m, qubits);
        state.apply(m, qubits);
        let err = max_diff(state.amplitudes(), &expected);
        assert!(err < 1e-13, "qubits {qubits:?}: error {err}");
    }

    #[test]
    fn bell_state() {
        let mut s = StateVector::zero_state(2).expect("small");
        s.apply(&gate(StandardGate::H, &[]), &[0]);
        s.apply(&gate(StandardGate::Cx, &[]), &[0, 1]);
        let h = FRAC_1_SQRT_2;
        let want = [C64::new(h, 0.0), ZERO, ZERO, C64::new(h, 0.0)];
        assert!(max_diff(s.amplitudes(), &want) < 1e-15);
        assert!((s.prob_one(0) - 0.5).abs() < 1e-15);
        assert!((s.norm_sqr() - 1.0).abs() < 1e-15);
    }

    #[test]
    fn ghz_state_small_and_parallel() {
        // 16 qubits crosses both the chunk size and the parallel threshold.
        for n in [3usize, 16] {
            let mut s = StateVector::zero_state(n).expect("small");
            s.apply(&gate(StandardGate::H, &[]), &[0]);
            for q in 1..n as u32 {
                s.apply(&gate(StandardGate::Cx, &[]), &[q - 1, q]);
            }
            let amps = s.amplitudes();
            let h = FRAC_1_SQRT_2;
            assert!((amps[0] - C64::new(h, 0.0)).norm() < 1e-15);
            assert!((amps[amps.len() - 1] - C64::new(h, 0.0)).norm() < 1e-15);
            assert!((s.norm_sqr() - 1.0).abs() < 1e-14);
            for q in 0..n as u32 {
                assert!((s.prob_one(q) - 0.5).abs() < 1e-14);
            }
        }
    }

    #[test]
    fn one_qubit_kernel_matches_embed() {
        let mut rng = Rng::new(1);
        let u = gate(StandardGate::U, &[rng.angle(), rng.angle(), rng.angle()]);
        check_against_embed(5, &u, &[3], &mut rng);
        for q in 0..5 {
            check_against_embed(5, &u, &[q], &mut rng);
            check_against_embed(5, &gate(StandardGate::Rz, &[0.7]), &[q], &mut rng);
            check_against_embed(5, &gate(StandardGate::T, &[]), &[q], &mut rng);
        }
    }

    #[test]
    fn two_qubit_kernels_match_embed() {
        let mut rng = Rng::new(2);
        let dense = rng.unitary(2);
        let sparse = [
            gate(StandardGate::Cx, &[]),
            gate(StandardGate::Swap, &[]),
            gate(StandardGate::Cry, &[0.4]),
            gate(StandardGate::Cp, &[0.9]),
            gate(StandardGate::Rzz, &[1.3]),
            gate(StandardGate::Rxx, &[0.3]),
            gate(StandardGate::Cx, &[])
                .controlled(&[])
                .power(0.5)
                .expect("csx"),
        ];
        for qubits in [[2u32, 0], [0, 2], [1, 4], [4, 3]] {
            check_against_embed(5, &dense, &qubits, &mut rng);
            for m in &sparse {
                check_against_embed(5, m, &qubits, &mut rng);
            }
        }
    }

    #[test]
    fn three_qubit_and_larger_kernels_match_embed() {
        let mut rng = Rng::new(3);
        let dense = rng.unitary(3);
        for qubits in [[4u32, 1, 3], [0, 1, 2], [2, 0, 4]] {
            check_against_embed(5, &dense, &qubits, &mut rng);
            check_against_embed(5, &gate(StandardGate::Ccx, &[]), &qubits, &mut rng);
            check_against_embed(5, &gate(StandardGate::Rccx, &[]), &qubits, &mut rng);
        }
        check_against_embed(5, &gate(StandardGate::C4x, &[]), &[3, 0, 4, 1, 2], &mut rng);
        check_against_embed(6, &rng.unitary(4), &[5, 0, 2, 3], &mut rng);
    }

    /// The chunked layout (targets above the chunk size, in any mix) agrees with a direct
    /// gather/multiply/scatter over the whole vector.
    #[test]
    fn kernels_across_chunk_boundaries() {
        let n = 15;
        let mut rng = Rng::new(4);
        let cases: Vec<(Matrix, Vec<u32>)> = vec![
            (rng.unitary(1), vec![14]),
            (rng.unitary(1), vec![3]),
            (rng.unitary(2), vec![13, 2]),
            (rng.unitary(2), vec![14, 12]),
            (gate(StandardGate::Cx, &[]), vec![12, 1]),
            (gate(StandardGate::Rzz, &[0.4]), vec![0, 13]),
            (rng.unitary(3), vec![14, 0, 12]),
            (gate(StandardGate::Ccx, &[]), vec![13, 14, 5]),
        ];
        for (m, qubits) in cases {
            let mut state = rng.state(n);
            let expected = direct_apply(state.amplitudes(), &m, &qubits);
            state.apply(&m, &qubits);
            let err = max_diff(state.amplitudes(), &expected);
            assert!(err < 1e-13, "{qubits:?}: {err}");
        }
    }

    /// Straightforward per-tuple application, independent of the kernels' chunking.
    fn direct_apply(amps: &[C64], m: &Matrix, qubits: &[u32]) -> Vec<C64> {
        let mut out = amps.to_vec();
        let mask: usize = qubits.iter().map(|&q| 1usize << q).sum();
        let pos: Vec<usize> = qubits.iter().map(|&q| q as usize).collect();
        for base in (0..amps.len()).filter(|i| i & mask == 0) {
            for r in 0..m.dim() {
                out[base | deposit_bits(r, &pos)] = (0..m.dim())
                    .map(|c| m.get(r, c) * amps[base | deposit_bits(c, &pos)])
                    .sum();
            }
        }
        out
    }

    #[test]
    fn results_do_not_depend_on_thread_count() {
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool");
            pool.install(|| {
                let mut rng = Rng::new(5);
                let mut s = StateVector::zero_state(16).expect("small");
                for layer in 0..4 {
                    for q in 0..16u32 {
                        s.apply(&rng.unitary(1), &[q]);
                    }
                    for q in 0..15u32 {
                        s.apply(&rng.unitary(2), &[(q + layer) % 16, (q + layer + 1) % 16]);
                    }
                    s.apply(&rng.unitary(3), &[15, 2, 9]);
                }
                let other = rng.state(16);
                let sums = [
                    s.norm_sqr(),
                    s.prob_one(3),
                    s.prob_one(15),
                    s.fidelity(other.amplitudes()),
                ];
                s.collapse(7, true);
                (s.into_amplitudes(), sums)
            })
        };
        let (a, sa) = run(1);
        for threads in [2, 3, 4] {
            let (b, sb) = run(threads);
            assert!(a == b, "amplitudes differ with {threads} threads");
            assert!(sa == sb, "sums differ with {threads} threads");
        }
    }

    #[test]
    fn collapse_and_probabilities() {
        let mut s = StateVector::zero_state(3).expect("small");
        // Ry(θ) on qubit 1 gives P(1) = sin²(θ/2).
        let theta = 1.1f64;
        s.apply(&gate(StandardGate::Ry, &[theta]), &[1]);
        s.apply(&gate(StandardGate::H, &[]), &[2]);
        let p1 = (theta / 2.0).sin().powi(2);
        assert!((s.prob_one(1) - p1).abs() < 1e-15);
        assert!(s.prob_one(0).abs() < 1e-15);
        let p = s.collapse(1, true);
        assert!((p - p1).abs() < 1e-15);
        assert!((s.prob_one(1) - 1.0).abs() < 1e-15);
        assert!((s.norm_sqr() - 1.0).abs() < 1e-15);
        assert!((s.prob_one(2) - 0.5).abs() < 1e-15);
        // Impossible outcome: probability 0, state untouched.
        let before = s.clone();
        assert_eq!(s.collapse(0, true), 0.0);
        assert_eq!(s, before);
        let p0 = s.collapse(2, false);
        assert!((p0 - 0.5).abs() < 1e-15);
        let h = C64::new(1.0, 0.0);
        assert!((s.amplitudes()[0b010] - h).norm() < 1e-15);
    }

    /// Norm drift (long simulations round their norm away from 1) does not show as fidelity:
    /// the overlap of a drifted state with itself once came out above 1. The ratio to the
    /// norms is 1 up to a few ulps, which the clamp removes.
    #[test]
    fn fidelity_is_never_above_one_under_norm_drift() {
        let mut rng = Rng::new(9);
        let a = rng.state(6);
        let drifted: Vec<C64> = a.amplitudes().iter().map(|z| z * (1.0 + 3e-14)).collect();
        let raw = a.overlap_sqr(&drifted);
        assert!(
            raw > 1.0 + 1e-14,
            "the drift shows in the raw overlap: {raw}"
        );
        let f = a.fidelity(&drifted);
        assert!(f <= 1.0 && f > 1.0 - 1e-15, "{f}");
    }

    #[test]
    fn fidelity_ignores_global_phase() {
        let mut rng = Rng::new(6);
        let a = rng.state(4);
        let mut b = a.clone();
        b.apply_global_phase(0.83);
        assert!((a.fidelity(b.amplitudes()) - 1.0).abs() < 1e-14);
        assert_ne!(a.amplitudes(), b.amplitudes());
        let c = rng.state(4);
        assert!(a.fidelity(c.amplitudes()) < 0.999);
        assert_eq!(a.fidelity(&[ONE]), 0.0);
        // A 0-qubit matrix is a global phase too.
        let mut d = a.clone();
        d.apply(&gate(StandardGate::GPhase, &[0.83]), &[]);
        assert_eq!(d, b);
    }

    #[test]
    fn too_many_qubits() {
        assert_eq!(
            StateVector::zero_state(MAX_QUBITS + 1).map(|_| ()),
            Err(StateError::TooManyQubits {
                requested: MAX_QUBITS + 1,
                max: MAX_QUBITS
            })
        );
        assert_eq!(
            StateVector::from_amplitudes(vec![ONE; 3]).map(|_| ()),
            Err(StateError::NotPowerOfTwo { len: 3 })
        );
        let s = StateVector::zero_state(0).expect("0 qubits is fine");
        assert_eq!(s.amplitudes(), &[ONE]);
    }
}
