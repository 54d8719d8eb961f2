//! The Clifford+T alphabet and its words, and the fidelities between unitaries that every synthesiser is judged by.

use eqisa_ir::matrix::{C64, Matrix};

/// A single-qubit gate of the Clifford+T alphabet (`clifford+t` target, single-qubit part).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CliffordT {
    H,
    S,
    Sdg,
    T,
    Tdg,
    X,
    Y,
    Z,
}

impl CliffordT {
    /// Every letter, in a fixed order.
    pub const ALL: [CliffordT; 8] = [
        CliffordT::H,
        CliffordT::S,
        CliffordT::Sdg,
        CliffordT::T,
        CliffordT::Tdg,
        CliffordT::X,
        CliffordT::Y,
        CliffordT::Z,
    ];

    /// The OpenQASM (qelib1) name.
    pub fn name(self) -> &'static str {
        match self {
            CliffordT::H => "h",
            CliffordT::S => "s",
            CliffordT::Sdg => "sdg",
            CliffordT::T => "t",
            CliffordT::Tdg => "tdg",
            CliffordT::X => "x",
            CliffordT::Y => "y",
            CliffordT::Z => "z",
        }
    }

    /// Whether the gate is a T or T† (what T-count counts).
    pub fn is_t(self) -> bool {
        matches!(self, CliffordT::T | CliffordT::Tdg)
    }

    /// The inverse letter.
    pub fn inverse(self) -> CliffordT {
        match self {
            CliffordT::S => CliffordT::Sdg,
            CliffordT::Sdg => CliffordT::S,
            CliffordT::T => CliffordT::Tdg,
            CliffordT::Tdg => CliffordT::T,
            other => other,
        }
    }

    /// The exact 2×2 unitary (Qiskit's matrices).
    pub fn matrix(self) -> Matrix {
        let s = std::f64::consts::FRAC_1_SQRT_2;
        let z = C64::new(0.0, 0.0);
        let one = C64::new(1.0, 0.0);
        let i = C64::new(0.0, 1.0);
        let t = C64::from_polar(1.0, std::f64::consts::FRAC_PI_4);
        let data = match self {
            CliffordT::H => vec![
                C64::new(s, 0.0),
                C64::new(s, 0.0),
                C64::new(s, 0.0),
                C64::new(-s, 0.0),
            ],
            CliffordT::S => vec![one, z, z, i],
            CliffordT::Sdg => vec![one, z, z, -i],
            CliffordT::T => vec![one, z, z, t],
            CliffordT::Tdg => vec![one, z, z, t.conj()],
            CliffordT::X => vec![z, one, one, z],
            CliffordT::Y => vec![z, -i, i, z],
            CliffordT::Z => vec![one, z, z, -one],
        };
        Matrix::from_vec(1, data)
    }
}

/// A Clifford+T word applied left to right (the first letter acts first), with the global phase
/// that makes it equal to its target: `e^{i·phase} · U(word[n-1]) ⋯ U(word[0])`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Word {
    pub gates: Vec<CliffordT>,
    pub phase: f64,
}

impl Word {
    /// The unitary the word stands for, global phase included.
    pub fn matrix(&self) -> Matrix {
        let mut m = Matrix::identity(1);
        for g in &self.gates {
            m = g.matrix().mul(&m);
        }
        m.with_phase(self.phase)
    }

    /// Number of T and T† gates.
    pub fn t_count(&self) -> usize {
        self.gates.iter().filter(|g| g.is_t()).count()
    }
}

/// Average gate fidelity of two single-qubit unitaries, insensitive to global phase:
/// `(|tr(U†V)|² + d) / (d(d + 1))` with d = 2.
pub fn average_gate_fidelity(u: &Matrix, v: &Matrix) -> f64 {
    let tr = process_overlap(u, v);
    (tr + 2.0) / 6.0
}

/// Process fidelity `|tr(U†V)|² / d²` of two single-qubit unitaries.
pub fn process_fidelity(u: &Matrix, v: &Matrix) -> f64 {
    process_overlap(u, v) / 4.0
}

fn process_overlap(u: &Matrix, v: &Matrix) -> f64 {
    let mut tr = C64::new(0.0, 0.0);
    for r in 0..2 {
        for c in 0..2 {
            tr += u.get(r, c).conj() * v.get(r, c);
        }
    }
    tr.norm_sqr()
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_ir::gates::StandardGate;

    #[test]
    fn letters_match_the_library_gates() {
        let pairs = [
            (CliffordT::H, StandardGate::H),
            (CliffordT::S, StandardGate::S),
            (CliffordT::Sdg, StandardGate::Sdg),
            (CliffordT::T, StandardGate::T),
            (CliffordT::Tdg, StandardGate::Tdg),
            (CliffordT::X, StandardGate::X),
            (CliffordT::Y, StandardGate::Y),
            (CliffordT::Z, StandardGate::Z),
        ];
        for (c, g) in pairs {
            let m = g.matrix(&[]).expect("no parameters");
            assert!(c.matrix().max_abs_diff(&m) < 1e-15, "{c:?}");
            let id = c.matrix().mul(&c.inverse().matrix());
            assert!(id.max_abs_diff(&Matrix::identity(1)) < 1e-15, "{c:?}");
        }
    }

    #[test]
    fn word_matrix_applies_left_to_right_with_phase() {
        // H then T: T·H.
        let w = Word {
            gates: vec![CliffordT::H, CliffordT::T],
            phase: 0.3,
        };
        let expected = CliffordT::T
            .matrix()
            .mul(&CliffordT::H.matrix())
            .with_phase(0.3);
        assert!(w.matrix().max_abs_diff(&expected) < 1e-15);
        assert_eq!(w.t_count(), 1);
        assert!((average_gate_fidelity(&w.matrix(), &expected) - 1.0).abs() < 1e-12);
        assert!(
            (process_fidelity(
                &w.matrix(),
                &CliffordT::T.matrix().mul(&CliffordT::H.matrix())
            ) - 1.0)
                .abs()
                < 1e-12
        );
    }
}
