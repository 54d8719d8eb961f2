//! Exact recognition of Clifford+T unitaries: rotations by multiples of π/4 and the short
//! Clifford·T^{±1}·Clifford products, which need no approximation at all.
//!
//! Synthesisers call these first, so that an angle such as π/4 becomes the single letter `T`
//! (zero error, one T) instead of a long approximating word.

use std::f64::consts::{FRAC_PI_4, PI, TAU};
use std::sync::OnceLock;

use super::{CliffordT, Word};
use eqisa_ir::matrix::{C64, Matrix};

/// How far (in radians, after reduction mod 2π) an angle may be from a multiple of π/4 and
/// still count as that multiple.
pub const ANGLE_TOLERANCE: f64 = 1e-12;

/// Entry-wise tolerance (after removing the global phase) for [`exact_unitary`] matches, in line
/// with [`ANGLE_TOLERANCE`] (an angle error δ moves entries by about δ/2). Every pair of distinct
/// Clifford·T^{±1}·Clifford unitaries differs by far more than this.
const MATCH_TOLERANCE: f64 = 1e-12;

/// How far from unitary an input to [`exact_unitary`] may be.
const UNITARY_TOLERANCE: f64 = 1e-9;

/// The exact Clifford+T word for Qiskit's `rz(θ) = diag(e^{-iθ/2}, e^{iθ/2})` when θ is a
/// multiple of π/4 (within [`ANGLE_TOLERANCE`] after reducing mod 2π), `None` otherwise.
///
/// The letters are the shortest diagonal word for `diag(1, e^{inπ/4})` (`[]`, `[T]`, `[S]`,
/// `[S, T]`, `[Z]`, `[Z, T]`, `[Sdg]`, `[Tdg]`), and `phase = -θ/2` (wrapped into (-π, π]), so
/// that `word.matrix()` equals `rz(θ)` entry by entry to within the tolerance, global phase
/// included.
pub fn exact_rz(theta: f64) -> Option<Word> {
    if !theta.is_finite() {
        return None;
    }
    let reduced = theta.rem_euclid(TAU);
    let n = (reduced / FRAC_PI_4).round();
    if (reduced - n * FRAC_PI_4).abs() > ANGLE_TOLERANCE {
        return None;
    }
    // `n` is in 0..=8 here (8 when `reduced` rounds up to 2π), so the cast is exact.
    let gates = match (n as i64).rem_euclid(8) {
        0 => vec![],
        1 => vec![CliffordT::T],
        2 => vec![CliffordT::S],
        3 => vec![CliffordT::S, CliffordT::T],
        4 => vec![CliffordT::Z],
        5 => vec![CliffordT::Z, CliffordT::T],
        6 => vec![CliffordT::Sdg],
        _ => vec![CliffordT::Tdg],
    };
    // rz(θ) = e^{-iθ/2} diag(1, e^{iθ}): the first entry fixes the phase exactly, the second is
    // then e^{-iθ/2} e^{inπ/4}, off by at most the tolerance.
    Some(Word {
        gates,
        phase: wrap_phase(-theta / 2.0),
    })
}

/// Recognises a single-qubit unitary that is, up to global phase, one of the 24 Cliffords or a
/// product `C1 · T^{±1} · C2` of Cliffords around a single T or T†, and returns its shortest word
/// (over H, S, S†, X, Y, Z, T, T†; Cliffords use no T) with the phase that makes
/// `word.matrix()` equal `u`. `None` for anything else, including non-unitary or multi-qubit
/// matrices.
pub fn exact_unitary(u: &Matrix) -> Option<Word> {
    if u.num_qubits() != 1 || !u.is_unitary(UNITARY_TOLERANCE) {
        return None;
    }
    let (gates, m) = table()
        .iter()
        .find(|(_, m)| u.equal_up_to_phase(m, MATCH_TOLERANCE))?;
    Some(Word {
        gates: gates.clone(),
        phase: trace_phase(m, u),
    })
}

/// `arg tr(A† B)`: the global phase φ with `B ≈ e^{iφ} A`.
fn trace_phase(a: &Matrix, b: &Matrix) -> f64 {
    let mut tr = C64::new(0.0, 0.0);
    for r in 0..2 {
        for c in 0..2 {
            tr += a.get(r, c).conj() * b.get(r, c);
        }
    }
    tr.arg()
}

/// Wraps an angle into (-π, π].
pub(crate) fn wrap_phase(phi: f64) -> f64 {
    let w = phi.rem_euclid(TAU);
    if w > PI { w - TAU } else { w }
}

/// Every unitary with a word of T-count at most 1, each with its shortest word, in
/// breadth-first order (so the 24 Cliffords come with T-free words).
fn table() -> &'static [(Vec<CliffordT>, Matrix)] {
    static TABLE: OnceLock<Vec<(Vec<CliffordT>, Matrix)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Clifford letters first so that ties in length prefer them; T letters last.
        const ALPHABET: [CliffordT; 8] = [
            CliffordT::H,
            CliffordT::S,
            CliffordT::Sdg,
            CliffordT::X,
            CliffordT::Y,
            CliffordT::Z,
            CliffordT::T,
            CliffordT::Tdg,
        ];
        let mut found: Vec<(Vec<CliffordT>, Matrix)> = vec![(Vec::new(), Matrix::identity(1))];
        let mut next = 0;
        // Breadth-first search over group elements: a word is kept only if it reaches an element
        // not seen before, so the first word kept for each element is a shortest one. The search
        // is finite because the elements with T-count ≤ 1 are finitely many up to phase.
        while next < found.len() {
            let (word, m) = found[next].clone();
            next += 1;
            let t_used = word.iter().filter(|g| g.is_t()).count();
            for letter in ALPHABET {
                if letter.is_t() && t_used >= 1 {
                    continue;
                }
                let candidate = letter.matrix().mul(&m);
                if found
                    .iter()
                    .any(|(_, seen)| candidate.equal_up_to_phase(seen, MATCH_TOLERANCE))
                {
                    continue;
                }
                let mut longer = word.clone();
                longer.push(letter);
                found.push((longer, candidate));
            }
        }
        found
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_ir::gates::StandardGate;

    fn rz(theta: f64) -> Matrix {
        StandardGate::Rz.matrix(&[theta]).expect("one parameter")
    }

    #[test]
    fn every_multiple_of_pi_over_4_is_exact() {
        for n in -16i32..=16 {
            let theta = f64::from(n) * FRAC_PI_4;
            let w = exact_rz(theta).unwrap_or_else(|| panic!("{n}π/4 not recognised"));
            assert!(
                w.matrix().max_abs_diff(&rz(theta)) < 1e-12,
                "{n}π/4: {w:?} vs rz"
            );
            let expected_t = usize::from(n.rem_euclid(2) == 1);
            assert_eq!(w.t_count(), expected_t, "{n}π/4");
            assert!(w.gates.len() <= 2, "{n}π/4: {w:?}");
            // Tiny float noise on the angle is tolerated.
            assert!(exact_rz(theta + 5e-13).is_some());
        }
        assert_eq!(
            exact_rz(FRAC_PI_4).map(|w| w.gates),
            Some(vec![CliffordT::T])
        );
        assert_eq!(
            exact_rz(PI / 2.0).map(|w| w.gates),
            Some(vec![CliffordT::S])
        );
        assert_eq!(
            exact_rz(3.0 * FRAC_PI_4).map(|w| w.gates),
            Some(vec![CliffordT::S, CliffordT::T])
        );
        assert_eq!(exact_rz(PI).map(|w| w.gates), Some(vec![CliffordT::Z]));
        assert_eq!(
            exact_rz(-FRAC_PI_4).map(|w| w.gates),
            Some(vec![CliffordT::Tdg])
        );
    }

    #[test]
    fn generic_angles_are_not_exact() {
        for theta in [0.1, 1.0, FRAC_PI_4 + 1e-9, -2.5, 1e-6] {
            assert!(exact_rz(theta).is_none(), "{theta}");
            assert!(exact_unitary(&rz(theta)).is_none(), "{theta}");
        }
        assert!(exact_rz(f64::NAN).is_none());
        assert!(exact_rz(f64::INFINITY).is_none());
    }

    /// The 24 Cliffords, generated independently of the table: products of H and S, deduplicated
    /// up to phase.
    fn cliffords() -> Vec<Matrix> {
        let mut group = vec![Matrix::identity(1)];
        let mut i = 0;
        while i < group.len() {
            for g in [CliffordT::H, CliffordT::S] {
                let m = g.matrix().mul(&group[i]);
                if !group.iter().any(|x| x.equal_up_to_phase(&m, 1e-9)) {
                    group.push(m);
                }
            }
            i += 1;
        }
        group
    }

    #[test]
    fn all_24_cliffords_are_found_with_t_free_words() {
        let group = cliffords();
        assert_eq!(group.len(), 24);
        for (i, c) in group.iter().enumerate() {
            for phase in [0.0, 0.7, -2.9] {
                let u = c.with_phase(phase);
                let w = exact_unitary(&u).unwrap_or_else(|| panic!("clifford {i} missed"));
                assert_eq!(w.t_count(), 0, "clifford {i}: {w:?}");
                assert!(w.gates.len() <= 3, "clifford {i}: {w:?} is not shortest");
                assert!(w.matrix().max_abs_diff(&u) < 1e-12, "clifford {i}: {w:?}");
            }
        }
        assert_eq!(
            exact_unitary(&Matrix::identity(1)).map(|w| w.gates),
            Some(vec![])
        );
    }

    #[test]
    fn clifford_t_clifford_products_are_found() {
        let group = cliffords();
        for (i, a) in group.iter().enumerate() {
            for t in [CliffordT::T, CliffordT::Tdg] {
                for b in [&group[0], &group[(i * 7 + 3) % 24]] {
                    let u = a.mul(&t.matrix()).mul(b).with_phase(0.3);
                    let w = exact_unitary(&u).unwrap_or_else(|| panic!("{i} {t:?} missed"));
                    assert_eq!(w.t_count(), 1, "{w:?}");
                    assert!(w.matrix().max_abs_diff(&u) < 1e-12, "{w:?}");
                }
            }
        }
        // Two T's in a row that do not collapse (T·H·T) are out of scope.
        let tht = CliffordT::T
            .matrix()
            .mul(&CliffordT::H.matrix())
            .mul(&CliffordT::T.matrix());
        assert!(exact_unitary(&tht).is_none());
        assert!(exact_unitary(&Matrix::identity(2)).is_none());
    }
}
