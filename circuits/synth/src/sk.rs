//! Solovay–Kitaev decomposition over {H, T, T†}, as the EQISA paper runs it through Qiskit's
//! `SolovayKitaevDecomposition` (Dawson–Nielsen, arXiv:quant-ph/0505030).
//!
//! * **Basic approximations**: every word over {h, t, tdg} of at most `depth` letters, one per
//!   distinct rotation (SU(2) up to sign = SO(3)). They are enumerated breadth first, extending
//!   only the words that were new at the previous level and trying the letters in the order h, t,
//!   tdg — Qiskit's order — so each rotation keeps its shortest word, and among equally short ones
//!   the first found. Words ending in an obvious cancellation (h·h, t·tdg, tdg·t) are never
//!   formed; they would be duplicates anyway.
//! * **Recursion** of degree `n`: `sk(U, 0)` is the nearest basic approximation; `sk(U, n)`
//!   takes `U' = sk(U, n−1)`, splits `Δ = U·U'†` into a balanced group commutator `V W V† W†`
//!   and returns `sk(V, n−1) · sk(W, n−1) · sk(V, n−1)† · sk(W, n−1)† · U'`. The final word has
//!   adjacent inverse pairs cancelled, as Qiskit does.
//!
//! Rotations are kept as unit quaternions (the SU(2) matrix `w·I − i(x·X + y·Y + z·Z)`), not as
//! Qiskit's 3×3 SO(3) matrices. The two agree on everything that matters: the Frobenius distance
//! of SO(3) matrices is `√(8(1 − ⟨p, q⟩²))`, a monotone function of the sign-blind quaternion
//! distance `min(|p − q|, |p + q|)`, so nearest neighbours are the same; and the commutator
//! construction below is Qiskit's, written in SU(2). Apart from near-ties decided by rounding,
//! the words are therefore the ones Qiskit produces (see the tests, which pin Qiskit's output).

use rustc_hash::FxHashMap;

use super::{CliffordT, Word};
use eqisa_ir::matrix::{C64, Matrix};

/// The alphabet, in the order Qiskit tries the letters when it enumerates the basic
/// approximations (the order decides which of two equally short words is kept).
const LETTERS: [CliffordT; 3] = [CliffordT::H, CliffordT::T, CliffordT::Tdg];

/// How far (entry-wise, in `U·U† − I`) an input may be from unitary.
const UNITARY_TOL: f64 = 1e-9;

/// The deepest recursion [`SolovayKitaev::run`] accepts. The word grows about five-fold per
/// level (≈ 5ⁿ·depth letters): at 6, QFT-4 is 72,050 gates (fidelity 0.999995, 15 MB, 0.05 s);
/// at 10 it would be 625 times that and exhaust memory, so deeper requests are refused.
pub const MAX_RECURSION: usize = 6;

/// The longest basic approximations [`SolovayKitaev::new`] enumerates. Their number grows about
/// 1.4-fold per letter (27 532 words at depth 20, about 100 000 at 24, tens of MB), and every
/// extra letter past ~15 buys little precision, while depth 1000 would exhaust any memory; the
/// EQISA paper uses 3.
pub const MAX_DEPTH: usize = 24;

/// Two words whose rotations are closer than this (sign-blind quaternion distance) are the same
/// rotation. Rounding after a few dozen products is around 1e-15, while distinct Clifford+T
/// rotations of any practical depth are many orders of magnitude further apart than 1e-9.
const DEDUP_TOL: f64 = 1e-9;

/// Side of the hash-grid cells used to find duplicates; much larger than [`DEDUP_TOL`] so a
/// query rarely needs to look at more than its own cell.
const DEDUP_CELL: f64 = 1e-6;

/// Why [`SolovayKitaev::run`] refused an input.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SkError {
    /// The matrix acts on more (or fewer) than one qubit.
    #[error("Solovay-Kitaev decomposes single-qubit (2x2) unitaries, got a {qubits}-qubit matrix")]
    NotSingleQubit {
        /// Number of qubits the matrix acts on.
        qubits: usize,
    },
    /// An entry is NaN or infinite.
    #[error("the matrix has a non-finite entry")]
    NonFinite,
    /// `U·U†` is further than 1e-9 (largest entry error) from the identity.
    #[error("the matrix is not unitary: largest entry of U·U† − I is {deviation:e} (limit 1e-9)")]
    NotUnitary {
        /// Largest entry-wise `|(U·U† − I)_ij|`.
        deviation: f64,
    },
    /// The basic-approximation depth is above [`MAX_DEPTH`].
    #[error(
        "basic-approximation depth {depth} is above the supported maximum {MAX_DEPTH} (the word set grows about 1.4-fold per letter)"
    )]
    DepthTooLarge {
        /// The requested depth.
        depth: usize,
    },
    /// The recursion degree is above [`MAX_RECURSION`].
    #[error("recursion degree {recursion} is above the supported maximum {MAX_RECURSION}")]
    RecursionTooDeep {
        /// The requested degree.
        recursion: usize,
    },
}

/// A unit quaternion standing for the SU(2) matrix `w·I − i(x·X + y·Y + z·Z)`; the Hamilton
/// product is the matrix product. `q` and `−q` are the same rotation.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Quat {
    w: f64,
    x: f64,
    y: f64,
    z: f64,
}

impl Quat {
    const IDENTITY: Quat = Quat {
        w: 1.0,
        x: 0.0,
        y: 0.0,
        z: 0.0,
    };

    fn new(w: f64, x: f64, y: f64, z: f64) -> Quat {
        Quat { w, x, y, z }
    }

    /// `self · other` (apply `other` first).
    fn mul(self, o: Quat) -> Quat {
        Quat {
            w: self.w * o.w - self.x * o.x - self.y * o.y - self.z * o.z,
            x: self.w * o.x + self.x * o.w + self.y * o.z - self.z * o.y,
            y: self.w * o.y - self.x * o.z + self.y * o.w + self.z * o.x,
            z: self.w * o.z + self.x * o.y - self.y * o.x + self.z * o.w,
        }
    }

    /// The inverse of a unit quaternion.
    fn conj(self) -> Quat {
        Quat::new(self.w, -self.x, -self.y, -self.z)
    }

    fn neg(self) -> Quat {
        Quat::new(-self.w, -self.x, -self.y, -self.z)
    }

    fn norm(self) -> f64 {
        self.as_array().iter().map(|c| c * c).sum::<f64>().sqrt()
    }

    fn as_array(self) -> [f64; 4] {
        [self.w, self.x, self.y, self.z]
    }

    /// The SU(2) matrix entries `[u00, u01, u10, u11]`.
    fn su2(self) -> [C64; 4] {
        [
            C64::new(self.w, -self.z),
            C64::new(-self.y, -self.x),
            C64::new(self.y, -self.x),
            C64::new(self.w, self.z),
        ]
    }

    /// The rotation of an SU(2) matrix given as `[u00, u01, u10, u11]` (inverse of [`Quat::su2`]),
    /// averaging the redundant entries and renormalising to absorb rounding.
    fn from_su2(m: [C64; 4]) -> Quat {
        let [a, b, c, d] = m;
        let q = Quat::new(
            (a.re + d.re) / 2.0,
            -(b.im + c.im) / 2.0,
            (c.re - b.re) / 2.0,
            (d.im - a.im) / 2.0,
        );
        let n = q.norm();
        if n > 0.0 {
            Quat::new(q.w / n, q.x / n, q.y / n, q.z / n)
        } else {
            // Unreachable for a validated unitary; the identity keeps the recursion well defined.
            Quat::IDENTITY
        }
    }
}

/// The SU(2) part of a letter: `U(letter) = e^{i·k·π/8} · su2(letter_quat(letter))` with `k`
/// from [`letter_phase_eighths`].
fn letter_quat(g: CliffordT) -> Quat {
    let (s8, c8) = (std::f64::consts::PI / 8.0).sin_cos();
    let r = std::f64::consts::FRAC_1_SQRT_2;
    match g {
        // H = i · (−i(X + Z)/√2).
        CliffordT::H => Quat::new(0.0, r, 0.0, r),
        // T = e^{iπ/8} · Rz(π/4), T† = e^{−iπ/8} · Rz(−π/4).
        CliffordT::T => Quat::new(c8, 0.0, 0.0, s8),
        CliffordT::Tdg => Quat::new(c8, 0.0, 0.0, -s8),
        // Not part of the SK alphabet; exact values anyway so the helper is total.
        CliffordT::S => Quat::new(r, 0.0, 0.0, r),
        CliffordT::Sdg => Quat::new(r, 0.0, 0.0, -r),
        CliffordT::X => Quat::new(0.0, 1.0, 0.0, 0.0),
        CliffordT::Y => Quat::new(0.0, 0.0, 1.0, 0.0),
        CliffordT::Z => Quat::new(0.0, 0.0, 0.0, 1.0),
    }
}

/// The global phase of a letter relative to its SU(2) part, in units of π/8 (see [`letter_quat`]).
fn letter_phase_eighths(g: CliffordT) -> i64 {
    match g {
        CliffordT::H | CliffordT::X | CliffordT::Y | CliffordT::Z => 4,
        CliffordT::T => 1,
        CliffordT::Tdg => -1,
        CliffordT::S => 2,
        CliffordT::Sdg => -2,
    }
}

/// The product of a word's letters as a quaternion (first letter applied first).
#[cfg(test)]
fn word_quat(gates: &[CliffordT]) -> Quat {
    gates
        .iter()
        .fold(Quat::IDENTITY, |acc, &g| letter_quat(g).mul(acc))
}

/// Appends the inverse of `gates` (reversed, each letter inverted) to `out`.
fn push_inverse(out: &mut Vec<CliffordT>, gates: &[CliffordT]) {
    out.extend(gates.iter().rev().map(|g| g.inverse()));
}

/// The quaternion of `a`'s inverse word *letter by letter*: the conjugate, negated when the word
/// has an odd number of H. (H is its own inverse as a letter, but its SU(2) part squares to −1;
/// keeping the sign right keeps `quat` and the letters' phase count consistent.)
fn letters_inverse_quat(a: &Approx) -> Quat {
    let odd_h = a.gates.iter().filter(|&&g| g == CliffordT::H).count() % 2 == 1;
    if odd_h {
        a.quat.conj().neg()
    } else {
        a.quat.conj()
    }
}

/// Removes adjacent inverse pairs (h·h, t·tdg, tdg·t), cascading: a stack makes one pass enough.
fn cancel_inverses(gates: Vec<CliffordT>) -> Vec<CliffordT> {
    let mut out: Vec<CliffordT> = Vec::with_capacity(gates.len());
    for g in gates {
        if out.last() == Some(&g.inverse()) {
            out.pop();
        } else {
            out.push(g);
        }
    }
    out
}

/// Balanced group commutator (Dawson–Nielsen §4.1, as Qiskit builds it): `V`, `W` with
/// `V·W·V†·W† = Δ`, each a rotation by the angle `φ` solving `sin(θ/2) = 2 sin²(φ/2)·√(1 − sin⁴(φ/2))`
/// for Δ's rotation angle `θ`, so both are about `√θ` away from the identity.
///
/// Qiskit starts from rotations by `φ` about x and y in its SO(3) representation, which is the
/// standard Bloch one conjugated by diag(1, 1, −1); in SU(2) that is `Rx(−φ)` and `Ry(−φ)`. We use
/// those so that the same `V`, `W` — hence the same words — come out. The commutator of the two is
/// then rotated onto Δ's axis by the smallest rotation, again as Qiskit does.
fn balanced_commutator(delta: Quat) -> (Quat, Quat) {
    // Take Δ with w ≥ 0 so its angle θ lies in [0, π]; the commutator below has w ≥ 0 too,
    // so the construction reproduces Δ exactly (not only up to sign).
    let delta = if delta.w < 0.0 { delta.neg() } else { delta };
    let vnorm = (delta.x * delta.x + delta.y * delta.y + delta.z * delta.z).sqrt();
    if vnorm == 0.0 {
        return (Quat::IDENTITY, Quat::IDENTITY);
    }
    let n = [delta.x / vnorm, delta.y / vnorm, delta.z / vnorm];
    let half_theta = vnorm.atan2(delta.w);
    // With σ = sin(φ/2): σ² = sin(θ/4) solves the equation above exactly.
    let s = (half_theta / 2.0).sin().sqrt();
    let c = (1.0 - s * s).max(0.0).sqrt();
    let v0 = Quat::new(c, -s, 0.0, 0.0);
    let w0 = Quat::new(c, 0.0, -s, 0.0);
    // V0·W0·V0†·W0† = (1 − 2σ⁴, 2cσ²·(−σ, σ, c)): its axis in closed form, free of the
    // cancellation that computing it from the product would suffer for small angles.
    let m_len = (1.0 + s * s).sqrt();
    let m = [-s / m_len, s / m_len, c / m_len];
    let rot = smallest_rotation(m, n);
    let v = rot.mul(v0).mul(rot.conj());
    let w = rot.mul(w0).mul(rot.conj());
    (v, w)
}

/// The smallest rotation taking unit vector `from` to unit vector `to`.
fn smallest_rotation(from: [f64; 3], to: [f64; 3]) -> Quat {
    let dot = from[0] * to[0] + from[1] * to[1] + from[2] * to[2];
    let cross = [
        from[1] * to[2] - from[2] * to[1],
        from[2] * to[0] - from[0] * to[2],
        from[0] * to[1] - from[1] * to[0],
    ];
    // (1 + cos α, sin α · k) = 2cos(α/2) · (cos(α/2), sin(α/2) · k); its norm is √(2(1 + dot)).
    let q = Quat::new(1.0 + dot, cross[0], cross[1], cross[2]);
    let n = q.norm();
    if n > 1e-6 {
        return Quat::new(q.w / n, q.x / n, q.y / n, q.z / n);
    }
    // Antiparallel: any half turn about an axis perpendicular to `from` will do. Take the one
    // through the coordinate axis least aligned with `from`.
    let abs = from.map(f64::abs);
    let e = if abs[0] <= abs[1] && abs[0] <= abs[2] {
        [1.0, 0.0, 0.0]
    } else if abs[1] <= abs[2] {
        [0.0, 1.0, 0.0]
    } else {
        [0.0, 0.0, 1.0]
    };
    let k = [
        from[1] * e[2] - from[2] * e[1],
        from[2] * e[0] - from[0] * e[2],
        from[0] * e[1] - from[1] * e[0],
    ];
    let kn = (k[0] * k[0] + k[1] * k[1] + k[2] * k[2]).sqrt();
    if kn == 0.0 {
        return Quat::IDENTITY;
    }
    Quat::new(0.0, k[0] / kn, k[1] / kn, k[2] / kn)
}

/// Squared Euclidean distance in R⁴.
fn dist2(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    (0..4).map(|i| (a[i] - b[i]) * (a[i] - b[i])).sum()
}

/// A static 4-d tree over the basic approximations, each stored as both `q` and `−q` so that a
/// plain Euclidean nearest-neighbour search is sign-blind. Laid out implicitly: the splitting
/// point of the index range `lo..hi` sits at its middle.
#[derive(Clone, Debug)]
struct KdTree {
    points: Vec<[f64; 4]>,
    ids: Vec<u32>,
    axes: Vec<u8>,
}

impl KdTree {
    fn build(mut items: Vec<([f64; 4], u32)>) -> KdTree {
        let mut axes = vec![0u8; items.len()];
        Self::build_range(&mut items, &mut axes);
        let (points, ids) = items.into_iter().unzip();
        KdTree { points, ids, axes }
    }

    fn build_range(items: &mut [([f64; 4], u32)], axes: &mut [u8]) {
        if items.is_empty() {
            return;
        }
        // Split along the widest coordinate: better balanced cells than cycling the axes.
        let mut best = (0usize, -1.0f64);
        for axis in 0..4 {
            let (lo, hi) = items
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
                    (l.min(p.0[axis]), h.max(p.0[axis]))
                });
            if hi - lo > best.1 {
                best = (axis, hi - lo);
            }
        }
        let axis = best.0;
        let mid = items.len() / 2;
        // Ties broken by id so the layout, and hence every query, is reproducible.
        items.select_nth_unstable_by(mid, |a, b| {
            a.0[axis].total_cmp(&b.0[axis]).then(a.1.cmp(&b.1))
        });
        axes[mid] = axis as u8;
        let (left, rest) = items.split_at_mut(mid);
        let (left_axes, rest_axes) = axes.split_at_mut(mid);
        Self::build_range(left, left_axes);
        Self::build_range(&mut rest[1..], &mut rest_axes[1..]);
    }

    /// Id of the stored point nearest to `q`; among equally near points the smallest id, so the
    /// answer does not depend on the tree's shape.
    fn nearest(&self, q: &[f64; 4]) -> u32 {
        // The identity (id 0) is always present, so starting from it is never wrong.
        let mut best = (f64::INFINITY, 0u32);
        self.search(0, self.points.len(), q, &mut best);
        best.1
    }

    fn search(&self, lo: usize, hi: usize, q: &[f64; 4], best: &mut (f64, u32)) {
        if lo >= hi {
            return;
        }
        let mid = lo + (hi - lo) / 2;
        let p = &self.points[mid];
        let d = dist2(p, q);
        if d < best.0 || (d == best.0 && self.ids[mid] < best.1) {
            *best = (d, self.ids[mid]);
        }
        let axis = usize::from(self.axes[mid]);
        let diff = q[axis] - p[axis];
        let (near, far) = if diff < 0.0 {
            ((lo, mid), (mid + 1, hi))
        } else {
            ((mid + 1, hi), (lo, mid))
        };
        self.search(near.0, near.1, q, best);
        // `<=` keeps equally near points on the far side in play for the id tie-break.
        if diff * diff <= best.0 {
            self.search(far.0, far.1, q, best);
        }
    }
}

/// Hash grid of the rotations accepted so far (both signs), to reject duplicates while the basic
/// approximations are enumerated.
#[derive(Default)]
struct DedupGrid {
    cells: FxHashMap<[i64; 4], Vec<[f64; 4]>>,
}

impl DedupGrid {
    fn cell(p: &[f64; 4]) -> [i64; 4] {
        // |p_i| ≤ 1, so the cell indices are far inside i64.
        p.map(|c| (c / DEDUP_CELL).floor() as i64)
    }

    fn insert(&mut self, q: Quat) {
        for p in [q.as_array(), q.neg().as_array()] {
            self.cells.entry(Self::cell(&p)).or_default().push(p);
        }
    }

    /// Whether a stored point lies within [`DEDUP_TOL`] of `q`. Looks at `q`'s cell and, along
    /// each coordinate that is within the tolerance of a cell wall, the cell across that wall.
    fn contains_near(&self, q: Quat) -> bool {
        let p = q.as_array();
        let base = Self::cell(&p);
        let mut options = [[0i64; 2]; 4];
        let mut counts = [1usize; 4];
        for i in 0..4 {
            options[i][0] = base[i];
            let wall_lo = base[i] as f64 * DEDUP_CELL;
            if p[i] - wall_lo < DEDUP_TOL {
                options[i][1] = base[i] - 1;
                counts[i] = 2;
            } else if wall_lo + DEDUP_CELL - p[i] < DEDUP_TOL {
                options[i][1] = base[i] + 1;
                counts[i] = 2;
            }
        }
        let tol2 = DEDUP_TOL * DEDUP_TOL;
        for a in 0..counts[0] {
            for b in 0..counts[1] {
                for c in 0..counts[2] {
                    for d in 0..counts[3] {
                        let key = [options[0][a], options[1][b], options[2][c], options[3][d]];
                        if let Some(points) = self.cells.get(&key)
                            && points.iter().any(|s| dist2(s, &p) < tol2)
                        {
                            return true;
                        }
                    }
                }
            }
        }
        false
    }
}

/// One basic approximation: a word and its rotation.
#[derive(Clone, Debug)]
struct Basic {
    gates: Box<[CliffordT]>,
    quat: Quat,
}

/// An intermediate result of the recursion: a word and the exact SU(2) product of its letters
/// (sign included, which the final phase computation relies on).
struct Approx {
    gates: Vec<CliffordT>,
    quat: Quat,
}

/// Solovay–Kitaev synthesiser over {H, T, T†} with a precomputed set of basic approximations.
///
/// Build it once with [`SolovayKitaev::new`] and call [`SolovayKitaev::run`] for each unitary;
/// it is immutable afterwards and can be shared between threads.
#[derive(Clone, Debug)]
pub struct SolovayKitaev {
    depth: usize,
    /// In enumeration order: by length, then Qiskit's discovery order. Index 0 is the empty word.
    basics: Vec<Basic>,
    tree: KdTree,
}

impl SolovayKitaev {
    /// Enumerates the basic approximations: every word over {h, t, tdg} of at most `depth`
    /// letters, one per distinct rotation (Qiskit's `SolovayKitaevDecomposition(basis_gates=
    /// ["h", "t", "tdg"], depth=depth)`; the same count, e.g. 22 at depth 3, 83 at depth 5 and
    /// 812 at depth 10, the empty word included).
    ///
    /// The set grows about 1.4-fold per extra level of depth, and the time with it: depth 10
    /// (812 words) takes about 0.5 ms in a release build and 1.5 ms at opt-level 1; depth 15
    /// (4 812 words) about 4 ms; depth 20 (27 532 words) about 25 ms.
    ///
    /// # Errors
    /// [`SkError::DepthTooLarge`] above [`MAX_DEPTH`], checked before anything is enumerated.
    pub fn new(depth: usize) -> Result<Self, SkError> {
        if depth > MAX_DEPTH {
            return Err(SkError::DepthTooLarge { depth });
        }
        let mut basics = vec![Basic {
            gates: Box::new([]),
            quat: Quat::IDENTITY,
        }];
        let mut grid = DedupGrid::default();
        grid.insert(Quat::IDENTITY);
        // Only words that were new at the previous level are extended (as in Qiskit): an
        // extension of a duplicate is a duplicate of the same extension of the word kept.
        let mut frontier = vec![0usize];
        for _ in 0..depth {
            let mut next = Vec::new();
            for &i in &frontier {
                for g in LETTERS {
                    let parent = &basics[i];
                    if parent.gates.last() == Some(&g.inverse()) {
                        continue;
                    }
                    let quat = letter_quat(g).mul(parent.quat);
                    if grid.contains_near(quat) {
                        continue;
                    }
                    let mut gates = Vec::with_capacity(parent.gates.len() + 1);
                    gates.extend_from_slice(&parent.gates);
                    gates.push(g);
                    grid.insert(quat);
                    next.push(basics.len());
                    basics.push(Basic {
                        gates: gates.into_boxed_slice(),
                        quat,
                    });
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        let items = basics
            .iter()
            .enumerate()
            .flat_map(|(i, b)| {
                // Ids fit in u32: 2³² words would need far more memory than any depth allows.
                let id = i as u32;
                [(b.quat.as_array(), id), (b.quat.neg().as_array(), id)]
            })
            .collect();
        Ok(SolovayKitaev {
            depth,
            basics,
            tree: KdTree::build(items),
        })
    }

    /// The maximum word length of the basic approximations.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of basic approximations (distinct rotations), the empty word included — what
    /// `len(generate_basic_approximations(["h", "t", "tdg"], depth))` gives in Qiskit.
    pub fn basic_approximation_count(&self) -> usize {
        self.basics.len()
    }

    /// The basic-approximation words, shortest first (the empty word first). These are the
    /// paper's instruction alphabet.
    pub fn basic_words(&self) -> impl ExactSizeIterator<Item = &[CliffordT]> + '_ {
        self.basics.iter().map(|b| &*b.gates)
    }

    /// Approximates the single-qubit unitary `u` with recursion degree `recursion` (0 = the
    /// nearest basic approximation; each level multiplies the word length by about five and
    /// takes the error ε to about ε^{3/2}).
    ///
    /// The word uses only H, T and T†, and its `phase` is the global phase that brings
    /// `word.matrix()` closest to `u` (Frobenius norm), i.e. `arg tr(W†·u)` for the letters'
    /// product `W`. Deterministic: equal inputs give identical words.
    ///
    /// # Errors
    /// If `u` is not a 2×2 matrix, has a non-finite entry, is not unitary within 1e-9, or
    /// `recursion` exceeds [`MAX_RECURSION`].
    pub fn run(&self, u: &Matrix, recursion: usize) -> Result<Word, SkError> {
        let m = validate(u)?;
        if recursion > MAX_RECURSION {
            return Err(SkError::RecursionTooDeep { recursion });
        }
        // Strip the global phase: U = √det · S with S ∈ SU(2).
        let root = (m[0] * m[3] - m[1] * m[2]).sqrt();
        let target = Quat::from_su2(m.map(|z| z / root));
        let approx = self.recurse(target, recursion);
        // The letters multiply to e^{iβ}·su2(quat). Counted before cancelling: dropping an h·h
        // pair takes π off β and flips the sign of the letters' quaternion, while `quat` keeps
        // the sign of the uncancelled product.
        let eighths = approx
            .gates
            .iter()
            .map(|&g| letter_phase_eighths(g))
            .sum::<i64>()
            .rem_euclid(16);
        let gates = cancel_inverses(approx.gates);
        let beta = eighths as f64 * std::f64::consts::PI / 8.0;
        let w = approx.quat.su2();
        // tr(su2(quat)† · u).
        let overlap: C64 = w.iter().zip(&m).map(|(a, b)| a.conj() * b).sum();
        let phase = (overlap * C64::from_polar(1.0, -beta)).arg();
        Ok(Word { gates, phase })
    }

    fn recurse(&self, target: Quat, degree: usize) -> Approx {
        if degree == 0 {
            let basic = self.basic(self.tree.nearest(&target.as_array()));
            return Approx {
                gates: basic.gates.to_vec(),
                quat: basic.quat,
            };
        }
        let u = self.recurse(target, degree - 1);
        let delta = target.mul(u.quat.conj());
        let (v, w) = balanced_commutator(delta);
        let v = self.recurse(v, degree - 1);
        let w = self.recurse(w, degree - 1);
        // Matrix V·W·V†·W†·U, so in circuit order: U, W†, V†, W, V.
        let mut gates = Vec::with_capacity(u.gates.len() + 2 * (v.gates.len() + w.gates.len()));
        gates.extend_from_slice(&u.gates);
        push_inverse(&mut gates, &w.gates);
        push_inverse(&mut gates, &v.gates);
        gates.extend_from_slice(&w.gates);
        gates.extend_from_slice(&v.gates);
        let quat = v
            .quat
            .mul(w.quat)
            .mul(letters_inverse_quat(&v))
            .mul(letters_inverse_quat(&w))
            .mul(u.quat);
        Approx { gates, quat }
    }

    fn basic(&self, id: u32) -> &Basic {
        // Ids come from `basics` itself; index 0 (the empty word) always exists.
        self.basics
            .get(id as usize)
            .unwrap_or_else(|| &self.basics[0])
    }
}

/// One basic approximation as the recursion places it: the basic word `basic` (an index into
/// [`SolovayKitaev::basic_words`]), played forwards, or — for the `V†` and `W†` parts of a group
/// commutator — as its letter-wise inverse (`adjoint`: the word reversed, each letter inverted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SkLeaf {
    /// Index of the basic word in [`SolovayKitaev::basic_words`].
    pub basic: u32,
    /// Whether the word is played as its letter-wise inverse.
    pub adjoint: bool,
}

/// What [`SolovayKitaev::run_with_leaves`] returns: the word [`SolovayKitaev::run`] gives, and the
/// basic approximations it is made of.
#[derive(Clone, Debug, PartialEq)]
pub struct SkLeaves {
    /// Exactly what [`SolovayKitaev::run`] returns for the same input.
    pub word: Word,
    /// The recursion's leaves in circuit order (first played first), `5ⁿ` of them at recursion
    /// `n`, empty words included. Concatenating their letters ([`SolovayKitaev::leaf_gates`]) and
    /// cancelling adjacent inverse pairs (h·h, t·tdg, tdg·t, cascading) gives `word.gates`.
    pub leaves: Vec<SkLeaf>,
}

/// Word boundaries of a decomposition (used by the EQISA paper's instruction encoding, which
/// codes the basic approximations rather than single gates). Additive to the synthesiser above:
/// nothing here changes what [`SolovayKitaev::run`] returns.
impl SolovayKitaev {
    /// The basic word with index `id` (as in [`SolovayKitaev::basic_words`]), if it exists.
    pub fn basic_word(&self, id: u32) -> Option<&[CliffordT]> {
        self.basics.get(id as usize).map(|b| &*b.gates)
    }

    /// The letters a leaf contributes, in circuit order: the basic word, or its letter-wise
    /// inverse for an adjoint leaf. Empty for an index that is not a basic word.
    pub fn leaf_gates(&self, leaf: SkLeaf) -> Vec<CliffordT> {
        let word = self.basic_word(leaf.basic).unwrap_or(&[]);
        if leaf.adjoint {
            let mut out = Vec::with_capacity(word.len());
            push_inverse(&mut out, word);
            out
        } else {
            word.to_vec()
        }
    }

    /// Index of the basic word whose rotation is the inverse of basic word `id`'s (the set of
    /// basic approximations is closed under inversion: the letter-wise inverse of a word is a word
    /// of the same length). This is the canonical spelling of an adjoint leaf, which may differ
    /// in letters from [`SolovayKitaev::leaf_gates`] from depth 4 on (e.g. t·t·t·t and
    /// tdg·tdg·tdg·tdg are the same rotation).
    pub fn inverse_basic(&self, id: u32) -> u32 {
        let q = self.basic(id).quat.conj();
        self.tree.nearest(&q.as_array())
    }

    /// As [`SolovayKitaev::run`] (same word, bit for bit), and also the basic approximations the
    /// recursion combined, in circuit order.
    ///
    /// # Errors
    /// As [`SolovayKitaev::run`].
    pub fn run_with_leaves(&self, u: &Matrix, recursion: usize) -> Result<SkLeaves, SkError> {
        let m = validate(u)?;
        if recursion > MAX_RECURSION {
            return Err(SkError::RecursionTooDeep { recursion });
        }
        // Everything below mirrors `run` step for step, so the word is the same.
        let root = (m[0] * m[3] - m[1] * m[2]).sqrt();
        let target = Quat::from_su2(m.map(|z| z / root));
        let mut leaves = Vec::new();
        let approx = self.recurse_leaves(target, recursion, &mut leaves);
        let eighths = approx
            .gates
            .iter()
            .map(|&g| letter_phase_eighths(g))
            .sum::<i64>()
            .rem_euclid(16);
        let gates = cancel_inverses(approx.gates);
        let beta = eighths as f64 * std::f64::consts::PI / 8.0;
        let w = approx.quat.su2();
        let overlap: C64 = w.iter().zip(&m).map(|(a, b)| a.conj() * b).sum();
        let phase = (overlap * C64::from_polar(1.0, -beta)).arg();
        Ok(SkLeaves {
            word: Word { gates, phase },
            leaves,
        })
    }

    /// [`SolovayKitaev::recurse`], recording the leaves (appended to `leaves` in circuit order).
    fn recurse_leaves(&self, target: Quat, degree: usize, leaves: &mut Vec<SkLeaf>) -> Approx {
        if degree == 0 {
            let id = self.tree.nearest(&target.as_array());
            let basic = self.basic(id);
            leaves.push(SkLeaf {
                basic: id,
                adjoint: false,
            });
            return Approx {
                gates: basic.gates.to_vec(),
                quat: basic.quat,
            };
        }
        let mut lu = Vec::new();
        let mut lv = Vec::new();
        let mut lw = Vec::new();
        let u = self.recurse_leaves(target, degree - 1, &mut lu);
        let delta = target.mul(u.quat.conj());
        let (v, w) = balanced_commutator(delta);
        let v = self.recurse_leaves(v, degree - 1, &mut lv);
        let w = self.recurse_leaves(w, degree - 1, &mut lw);
        let mut gates = Vec::with_capacity(u.gates.len() + 2 * (v.gates.len() + w.gates.len()));
        gates.extend_from_slice(&u.gates);
        push_inverse(&mut gates, &w.gates);
        push_inverse(&mut gates, &v.gates);
        gates.extend_from_slice(&w.gates);
        gates.extend_from_slice(&v.gates);
        let quat = v
            .quat
            .mul(w.quat)
            .mul(letters_inverse_quat(&v))
            .mul(letters_inverse_quat(&w))
            .mul(u.quat);
        // Circuit order U, W†, V†, W, V; an inverted part plays its leaves backwards, each
        // inverted.
        let flip = |l: &SkLeaf| SkLeaf {
            basic: l.basic,
            adjoint: !l.adjoint,
        };
        leaves.reserve(lu.len() + 2 * (lv.len() + lw.len()));
        leaves.extend_from_slice(&lu);
        leaves.extend(lw.iter().rev().map(flip));
        leaves.extend(lv.iter().rev().map(flip));
        leaves.extend_from_slice(&lw);
        leaves.extend_from_slice(&lv);
        Approx { gates, quat }
    }
}

/// Checks that `u` is a finite 2×2 unitary and returns its entries row-major.
fn validate(u: &Matrix) -> Result<[C64; 4], SkError> {
    if u.num_qubits() != 1 {
        return Err(SkError::NotSingleQubit {
            qubits: u.num_qubits(),
        });
    }
    let d = u.data();
    let m = [d[0], d[1], d[2], d[3]];
    if m.iter().any(|z| !z.re.is_finite() || !z.im.is_finite()) {
        return Err(SkError::NonFinite);
    }
    // U·U† − I, entry by entry.
    let one = C64::new(1.0, 0.0);
    let e00 = m[0] * m[0].conj() + m[1] * m[1].conj() - one;
    let e01 = m[0] * m[2].conj() + m[1] * m[3].conj();
    let e11 = m[2] * m[2].conj() + m[3] * m[3].conj() - one;
    // (U·U†)₁₀ is the conjugate of (U·U†)₀₁, so three entries say it all.
    let deviation = e00.norm().max(e01.norm()).max(e11.norm());
    if deviation > UNITARY_TOL {
        return Err(SkError::NotUnitary { deviation });
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alphabet::average_gate_fidelity;
    use eqisa_test_support::Rng;

    fn quat_matrix(q: Quat) -> Matrix {
        Matrix::from_vec(1, q.su2().to_vec())
    }

    fn close(a: Quat, b: Quat, tol: f64) -> bool {
        let (a, b) = (a.as_array(), b.as_array());
        dist2(&a, &b).sqrt() < tol
    }

    /// Deterministic pseudo-random unit quaternions (uniform on S³).
    fn random_quats(n: usize, seed: u64) -> Vec<Quat> {
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|_| {
                let [w, x, y, z] = rng.unit_quaternion();
                Quat::new(w, x, y, z)
            })
            .collect()
    }

    #[test]
    fn quaternion_product_is_the_matrix_product() {
        let qs = random_quats(8, 7);
        for pair in qs.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let prod = quat_matrix(a).mul(&quat_matrix(b));
            assert!(prod.max_abs_diff(&quat_matrix(a.mul(b))) < 1e-14);
            assert!(close(Quat::from_su2(a.su2()), a, 1e-14));
            let id = quat_matrix(a.mul(a.conj()));
            assert!(id.max_abs_diff(&Matrix::identity(1)) < 1e-14);
        }
    }

    #[test]
    fn letters_are_phase_times_quaternion() {
        for g in CliffordT::ALL {
            let phase = letter_phase_eighths(g) as f64 * std::f64::consts::PI / 8.0;
            let m = quat_matrix(letter_quat(g)).with_phase(phase);
            assert!(m.max_abs_diff(&g.matrix()) < 1e-15, "{g:?}");
        }
    }

    #[test]
    fn commutator_reproduces_delta() {
        let mut deltas = random_quats(20, 3);
        // Edge cases: identity, tiny rotations, half turns, Δ with w < 0, and a Δ whose axis is
        // antiparallel to the commutator's.
        deltas.push(Quat::IDENTITY);
        deltas.push(Quat::new(1.0, 1e-17, 0.0, 0.0));
        deltas.push(Quat::new(1.0, 0.0, 3e-9, 0.0));
        deltas.push(Quat::new(0.0, 0.0, 0.0, 1.0));
        deltas.push(Quat::new(0.0, 1.0, 0.0, 0.0));
        deltas.push(Quat::new(-0.5, 0.5, 0.5, 0.5));
        for delta in deltas {
            let n = delta.norm();
            let delta = Quat::new(delta.w / n, delta.x / n, delta.y / n, delta.z / n);
            let (v, w) = balanced_commutator(delta);
            let c = v.mul(w).mul(v.conj()).mul(w.conj());
            assert!(
                close(c, delta, 1e-12) || close(c, delta.neg(), 1e-12),
                "{delta:?} -> {c:?}"
            );
            // Balanced: V and W turn by the same angle.
            assert!((v.w.abs() - w.w.abs()).abs() < 1e-12);
        }
    }

    #[test]
    fn commutator_axis_formula_matches_the_product() {
        for s in [0.01, 0.3, 0.6, 0.84] {
            let c = (1.0f64 - s * s).sqrt();
            let (v0, w0) = (Quat::new(c, -s, 0.0, 0.0), Quat::new(c, 0.0, -s, 0.0));
            let comm = v0.mul(w0).mul(v0.conj()).mul(w0.conj());
            let k = 2.0 * c * s * s;
            let expected = Quat::new(1.0 - 2.0 * s.powi(4), -k * s, k * s, k * c);
            assert!(close(comm, expected, 1e-14), "{comm:?} vs {expected:?}");
        }
    }

    #[test]
    fn smallest_rotation_maps_from_to_to() {
        let vecs: Vec<[f64; 3]> = random_quats(6, 11)
            .into_iter()
            .map(|q| {
                let n = (q.x * q.x + q.y * q.y + q.z * q.z).sqrt();
                [q.x / n, q.y / n, q.z / n]
            })
            .collect();
        let mut pairs: Vec<([f64; 3], [f64; 3])> = vecs.windows(2).map(|p| (p[0], p[1])).collect();
        pairs.push((vecs[0], vecs[0]));
        pairs.push((vecs[0], vecs[0].map(|c| -c)));
        pairs.push(([0.0, 0.0, 1.0], [0.0, 0.0, -1.0]));
        for (from, to) in pairs {
            let r = smallest_rotation(from, to);
            let moved = r
                .mul(Quat::new(0.0, from[0], from[1], from[2]))
                .mul(r.conj());
            assert!(close(moved, Quat::new(0.0, to[0], to[1], to[2]), 1e-12));
        }
    }

    #[test]
    fn kd_tree_agrees_with_brute_force() {
        let sk = SolovayKitaev::new(6).expect("depth within MAX_DEPTH");
        for q in random_quats(200, 5) {
            let got = sk.tree.nearest(&q.as_array());
            let brute = (0..sk.basics.len())
                .map(|i| {
                    let b = sk.basics[i].quat;
                    let d = dist2(&b.as_array(), &q.as_array())
                        .min(dist2(&b.neg().as_array(), &q.as_array()));
                    (d, i as u32)
                })
                .fold((f64::INFINITY, 0u32), |a, b| if b.0 < a.0 { b } else { a });
            assert_eq!(got, brute.1);
        }
    }

    #[test]
    fn basic_approximation_counts_match_qiskit() {
        // len(generate_basic_approximations(["h", "t", "tdg"], depth)) in Qiskit 2.6.1.
        for (depth, count) in [
            (0, 1),
            (1, 4),
            (2, 10),
            (3, 22),
            (4, 45),
            (5, 83),
            (8, 378),
            (15, 4812),
        ] {
            let sk = SolovayKitaev::new(depth).expect("depth within MAX_DEPTH");
            assert_eq!(sk.basic_approximation_count(), count, "depth {depth}");
        }
    }

    #[test]
    fn basic_words_are_distinct_reduced_and_short() {
        let sk = SolovayKitaev::new(6).expect("depth within MAX_DEPTH");
        let words: Vec<&[CliffordT]> = sk.basic_words().collect();
        assert!(words[0].is_empty());
        for (i, w) in words.iter().enumerate() {
            assert!(w.len() <= 6);
            assert!(w.windows(2).all(|p| p[1] != p[0].inverse()));
            // Shortest first.
            if i > 0 {
                assert!(words[i - 1].len() <= w.len());
            }
            let q = word_quat(w);
            for other in &words[..i] {
                let p = word_quat(other);
                assert!(
                    1.0 - q
                        .as_array()
                        .iter()
                        .zip(p.as_array())
                        .map(|(a, b)| a * b)
                        .sum::<f64>()
                        .abs()
                        > 1e-9
                );
            }
        }
    }

    #[test]
    fn leaves_rebuild_the_word_run_gives() {
        for depth in [1, 3, 5] {
            let sk = SolovayKitaev::new(depth).expect("depth within MAX_DEPTH");
            for (k, q) in random_quats(12, 21).into_iter().enumerate() {
                let u = quat_matrix(q).with_phase(0.7);
                let recursion = k % 4;
                let plain = sk.run(&u, recursion).expect("a unitary");
                let with = sk.run_with_leaves(&u, recursion).expect("a unitary");
                assert_eq!(with.word, plain, "depth {depth}, recursion {recursion}");
                assert_eq!(with.leaves.len(), 5usize.pow(recursion as u32));
                let letters: Vec<CliffordT> =
                    with.leaves.iter().flat_map(|&l| sk.leaf_gates(l)).collect();
                assert_eq!(cancel_inverses(letters), plain.gates);
            }
        }
    }

    #[test]
    fn inverse_basic_is_the_inverse_rotation() {
        let sk = SolovayKitaev::new(5).expect("depth within MAX_DEPTH");
        for id in 0..sk.basic_approximation_count() as u32 {
            let inv = sk.inverse_basic(id);
            let a = word_quat(sk.basic_word(id).expect("exists"));
            let b = word_quat(sk.basic_word(inv).expect("exists"));
            let p = a.mul(b);
            assert!(close(p, Quat::IDENTITY, 1e-9) || close(p, Quat::IDENTITY.neg(), 1e-9));
            assert_eq!(
                sk.inverse_basic(inv),
                id,
                "an involution on canonical words"
            );
        }
        assert_eq!(sk.basic_word(u32::MAX), None);
        assert!(
            sk.leaf_gates(SkLeaf {
                basic: u32::MAX,
                adjoint: true
            })
            .is_empty()
        );
    }

    #[test]
    fn cancellation_cascades() {
        use CliffordT::{H, T, Tdg};
        assert_eq!(cancel_inverses(vec![H, T, H, H, Tdg, T]), vec![H, T]);
        assert_eq!(cancel_inverses(vec![T, H, T, Tdg, H, Tdg]), vec![]);
        assert_eq!(cancel_inverses(vec![T, T, H]), vec![T, T, H]);
    }

    #[test]
    fn rejects_bad_input() {
        let sk = SolovayKitaev::new(2).expect("depth within MAX_DEPTH");
        assert_eq!(
            sk.run(&Matrix::identity(2), 1),
            Err(SkError::NotSingleQubit { qubits: 2 })
        );
        let z = C64::new(0.0, 0.0);
        let nan = Matrix::from_vec(1, vec![C64::new(f64::NAN, 0.0), z, z, C64::new(1.0, 0.0)]);
        assert_eq!(sk.run(&nan, 0), Err(SkError::NonFinite));
        let scaled = Matrix::identity(1).with_phase(0.1);
        let scaled = Matrix::from_vec(1, scaled.data().iter().map(|&c| c * 1.001).collect());
        assert!(matches!(
            sk.run(&scaled, 0),
            Err(SkError::NotUnitary { .. })
        ));
        assert_eq!(
            sk.run(&Matrix::identity(1), MAX_RECURSION + 1),
            Err(SkError::RecursionTooDeep {
                recursion: MAX_RECURSION + 1
            })
        );
    }

    /// A depth past the limit is refused before any word is enumerated (depth 1000 once
    /// allocated until the process died).
    #[test]
    fn depth_beyond_the_limit_is_refused() {
        let e = SolovayKitaev::new(1000).expect_err("too deep");
        assert_eq!(e, SkError::DepthTooLarge { depth: 1000 });
        assert!(
            e.to_string().contains("1000") && e.to_string().contains("24"),
            "{e}"
        );
        assert!(SolovayKitaev::new(MAX_DEPTH + 1).is_err());
    }

    #[test]
    fn phase_is_the_best_global_phase() {
        let sk = SolovayKitaev::new(5).expect("depth within MAX_DEPTH");
        for q in random_quats(10, 9) {
            let u = quat_matrix(q).with_phase(1.234);
            let word = sk.run(&u, 1).expect("a unitary");
            let m = word.matrix();
            // With the best phase, tr(M†U) is real and positive.
            let tr: C64 = m
                .data()
                .iter()
                .zip(u.data())
                .map(|(a, b)| a.conj() * b)
                .sum();
            assert!(tr.re > 0.0 && tr.im.abs() < 1e-12, "{tr}");
            // And the tracked product agrees with the letters multiplied out.
            let direct = quat_matrix(word_quat(&word.gates));
            assert!(average_gate_fidelity(&direct, &m) > 1.0 - 1e-12);
        }
    }
}
