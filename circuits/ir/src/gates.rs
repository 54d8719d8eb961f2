//! The standard gate library: every gate of Qiskit's legacy `qelib1.inc`, of OpenQASM 3's
//! `stdgates.inc`, and the language built-ins `U`, `CX` and `gphase`.
//!
//! Which names a program may use depends on what it included; [`StandardGate::from_qelib1`] and
//! [`StandardGate::from_stdgates`] resolve them. Exact unitaries live in [`crate::matrix`].

/// A gate with a fixed, exactly known unitary (given its parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StandardGate {
    /// OpenQASM's built-in `U(θ, φ, λ)` (also qelib1's `u` and `u3`).
    U,
    /// Global phase `gphase(γ)`: acts on no qubit.
    GPhase,
    Id,
    /// qelib1's `u0(γ)`: an identity of a given duration.
    U0,
    U1,
    U2,
    U3,
    P,
    X,
    Y,
    Z,
    H,
    S,
    Sdg,
    T,
    Tdg,
    Sx,
    Sxdg,
    Rx,
    Ry,
    Rz,
    Cx,
    Cy,
    Cz,
    Ch,
    Swap,
    Ccx,
    Cswap,
    Crx,
    Cry,
    Crz,
    Cu1,
    Cp,
    Cu3,
    Csx,
    /// `cu(θ, φ, λ, γ)`: controlled U with a phase γ on the control.
    Cu,
    Rxx,
    Rzz,
    Rccx,
    Rc3x,
    C3x,
    C3sqrtx,
    C4x,
}

use StandardGate::*;

/// Every standard gate, in a fixed order.
pub const ALL_GATES: [StandardGate; 43] = [
    U, GPhase, Id, U0, U1, U2, U3, P, X, Y, Z, H, S, Sdg, T, Tdg, Sx, Sxdg, Rx, Ry, Rz, Cx, Cy, Cz,
    Ch, Swap, Ccx, Cswap, Crx, Cry, Crz, Cu1, Cp, Cu3, Csx, Cu, Rxx, Rzz, Rccx, Rc3x, C3x, C3sqrtx,
    C4x,
];

impl StandardGate {
    /// Number of qubits the gate acts on.
    pub fn num_qubits(self) -> usize {
        match self {
            GPhase => 0,
            U | Id | U0 | U1 | U2 | U3 | P | X | Y | Z | H | S | Sdg | T | Tdg | Sx | Sxdg | Rx
            | Ry | Rz => 1,
            Cx | Cy | Cz | Ch | Swap | Crx | Cry | Crz | Cu1 | Cp | Cu3 | Csx | Cu | Rxx | Rzz => 2,
            Ccx | Cswap | Rccx => 3,
            Rc3x | C3x | C3sqrtx => 4,
            C4x => 5,
        }
    }

    /// The gate's order `n` where it has no parameters that matter and `g^n = I` exactly
    /// (`h² = I`, `t⁸ = I`), so that `g^k = g^(k mod n)` for any integer `k`.
    pub fn order(self) -> Option<u64> {
        Some(match self {
            Id | U0 => 1,
            X | Y | Z | H | Cx | Cy | Cz | Ch | Swap | Ccx | Cswap | C3x | C4x => 2,
            S | Sdg | Sx | Sxdg | Csx | C3sqrtx | Rccx | Rc3x => 4,
            T | Tdg => 8,
            _ => return None,
        })
    }

    /// For a one-parameter gate with `g(θ)^k = g(kθ)` for every integer `k`, its period in
    /// units of `2π` (`rx` repeats after `4π`: 2; `p` after `2π`: 1).
    pub fn rotation_periods(self) -> Option<f64> {
        match self {
            Rx | Ry | Rz | Crx | Cry | Crz | Rxx | Rzz => Some(2.0),
            GPhase | U1 | P | Cu1 | Cp => Some(1.0),
            _ => None,
        }
    }

    /// Number of real parameters the gate takes.
    pub fn num_params(self) -> usize {
        match self {
            U | U3 | Cu3 => 3,
            Cu => 4,
            U2 => 2,
            GPhase | U0 | U1 | P | Rx | Ry | Rz | Crx | Cry | Crz | Cu1 | Cp | Rxx | Rzz => 1,
            _ => 0,
        }
    }

    /// The canonical qelib1 spelling (lower case; `U` for the built-in).
    pub fn name(self) -> &'static str {
        match self {
            U => "U",
            GPhase => "gphase",
            Id => "id",
            U0 => "u0",
            U1 => "u1",
            U2 => "u2",
            U3 => "u3",
            P => "p",
            X => "x",
            Y => "y",
            Z => "z",
            H => "h",
            S => "s",
            Sdg => "sdg",
            T => "t",
            Tdg => "tdg",
            Sx => "sx",
            Sxdg => "sxdg",
            Rx => "rx",
            Ry => "ry",
            Rz => "rz",
            Cx => "cx",
            Cy => "cy",
            Cz => "cz",
            Ch => "ch",
            Swap => "swap",
            Ccx => "ccx",
            Cswap => "cswap",
            Crx => "crx",
            Cry => "cry",
            Crz => "crz",
            Cu1 => "cu1",
            Cp => "cp",
            Cu3 => "cu3",
            Csx => "csx",
            Cu => "cu",
            Rxx => "rxx",
            Rzz => "rzz",
            Rccx => "rccx",
            Rc3x => "rc3x",
            C3x => "c3x",
            C3sqrtx => "c3sqrtx",
            C4x => "c4x",
        }
    }

    /// The gates `include "qelib1.inc";` brings in, as Qiskit's legacy loader knows them.
    pub fn from_qelib1(name: &str) -> Option<Self> {
        Some(match name {
            "u" => U,
            "u3" => U3,
            "id" => Id,
            "u0" => U0,
            "u1" => U1,
            "u2" => U2,
            "p" => P,
            "x" => X,
            "y" => Y,
            "z" => Z,
            "h" => H,
            "s" => S,
            "sdg" => Sdg,
            "t" => T,
            "tdg" => Tdg,
            "sx" => Sx,
            "sxdg" => Sxdg,
            "rx" => Rx,
            "ry" => Ry,
            "rz" => Rz,
            "cx" => Cx,
            "cy" => Cy,
            "cz" => Cz,
            "ch" => Ch,
            "swap" => Swap,
            "ccx" => Ccx,
            "cswap" => Cswap,
            "crx" => Crx,
            "cry" => Cry,
            "crz" => Crz,
            "cu1" => Cu1,
            "cp" => Cp,
            "cu3" => Cu3,
            "csx" => Csx,
            "cu" => Cu,
            "rxx" => Rxx,
            "rzz" => Rzz,
            "rccx" => Rccx,
            "rc3x" => Rc3x,
            "c3x" => C3x,
            "c3sqrtx" => C3sqrtx,
            "c4x" => C4x,
            _ => return None,
        })
    }

    /// The gates `include "stdgates.inc";` brings in (OpenQASM 3).
    pub fn from_stdgates(name: &str) -> Option<Self> {
        Some(match name {
            "p" | "phase" => P,
            "x" => X,
            "y" => Y,
            "z" => Z,
            "h" => H,
            "s" => S,
            "sdg" => Sdg,
            "t" => T,
            "tdg" => Tdg,
            "sx" => Sx,
            "rx" => Rx,
            "ry" => Ry,
            "rz" => Rz,
            "cx" | "CX" => Cx,
            "cy" => Cy,
            "cz" => Cz,
            "cp" | "cphase" => Cp,
            "crx" => Crx,
            "cry" => Cry,
            "crz" => Crz,
            "ch" => Ch,
            "swap" => Swap,
            "ccx" => Ccx,
            "cswap" => Cswap,
            "cu" => Cu,
            "id" => Id,
            "u1" => U1,
            "u2" => U2,
            "u3" => U3,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_qelib1() {
        for g in ALL_GATES {
            if matches!(g, U | GPhase) {
                continue;
            }
            assert_eq!(StandardGate::from_qelib1(g.name()), Some(g), "{g:?}");
        }
    }
}
