//! The instruction set: the native operations of both targets and what each carries.

use crate::error::IsaError;

/// An operation code. The numbering is part of the format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Opcode {
    /// Virtual Z rotation by a (quantised) angle (native target).
    Rz = 0,
    /// √X (native target).
    Sx = 1,
    /// Pauli X.
    X = 2,
    /// Controlled-Z (native target).
    Cz = 3,
    /// Echoed cross-resonance (native target).
    Ecr = 4,
    /// Hadamard (Clifford+T).
    H = 5,
    /// Phase S (Clifford+T).
    S = 6,
    /// S† (Clifford+T).
    Sdg = 7,
    /// T (Clifford+T).
    T = 8,
    /// T† (Clifford+T).
    Tdg = 9,
    /// Pauli Y (Clifford+T).
    Y = 10,
    /// Pauli Z (Clifford+T).
    Z = 11,
    /// CNOT (Clifford+T).
    Cx = 12,
    /// Measure one qubit into a classical bit.
    Measure = 13,
    /// Reset a qubit to |0⟩.
    Reset = 14,
    /// Idle for a time.
    Delay = 15,
    /// Scheduling barrier over a list of qubits.
    Barrier = 16,
}

/// Number of opcodes.
pub const OPCODE_COUNT: usize = 17;

/// How many qubits an operation takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    /// Exactly one.
    One,
    /// Exactly two (distinct).
    Two,
    /// A list (barrier).
    List,
}

impl Opcode {
    /// Every opcode, by number.
    pub const ALL: [Opcode; OPCODE_COUNT] = [
        Opcode::Rz,
        Opcode::Sx,
        Opcode::X,
        Opcode::Cz,
        Opcode::Ecr,
        Opcode::H,
        Opcode::S,
        Opcode::Sdg,
        Opcode::T,
        Opcode::Tdg,
        Opcode::Y,
        Opcode::Z,
        Opcode::Cx,
        Opcode::Measure,
        Opcode::Reset,
        Opcode::Delay,
        Opcode::Barrier,
    ];

    /// The opcode with number `n`.
    pub fn from_u8(n: u8) -> Result<Opcode, IsaError> {
        Opcode::ALL
            .get(usize::from(n))
            .copied()
            .ok_or(IsaError::Corrupt("opcode number out of range"))
    }

    /// The OpenQASM name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Opcode::Rz => "rz",
            Opcode::Sx => "sx",
            Opcode::X => "x",
            Opcode::Cz => "cz",
            Opcode::Ecr => "ecr",
            Opcode::H => "h",
            Opcode::S => "s",
            Opcode::Sdg => "sdg",
            Opcode::T => "t",
            Opcode::Tdg => "tdg",
            Opcode::Y => "y",
            Opcode::Z => "z",
            Opcode::Cx => "cx",
            Opcode::Measure => "measure",
            Opcode::Reset => "reset",
            Opcode::Delay => "delay",
            Opcode::Barrier => "barrier",
        }
    }

    /// The opcode called `name` in OpenQASM.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Opcode> {
        Opcode::ALL.iter().copied().find(|o| o.name() == name)
    }

    /// How many qubits it takes.
    #[must_use]
    pub const fn arity(self) -> Arity {
        match self {
            Opcode::Cz | Opcode::Ecr | Opcode::Cx => Arity::Two,
            Opcode::Barrier => Arity::List,
            _ => Arity::One,
        }
    }
}

/// One decoded (or to-be-encoded) instruction. `qubits` borrows the coder's operand buffer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Instr<'a> {
    /// What it does.
    pub opcode: Opcode,
    /// Its qubits (one, two, or a barrier's list).
    pub qubits: &'a [u32],
    /// Index of the condition it waits on, if any.
    pub cond: Option<u32>,
    /// The operand that is not a qubit: the angle's grid index (or raw bits) for `Rz`, the
    /// classical bit for `Measure`, the duration's IEEE-754 bits in ns for `Delay`; 0 otherwise.
    pub arg: u64,
}

/// An instruction with its schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimedInstr<'a> {
    /// The instruction.
    pub instr: Instr<'a>,
    /// Start time (ns).
    pub start_ns: f64,
    /// Duration (ns).
    pub duration_ns: f64,
    /// Shift of the classical bits this run of the instruction writes and reads: `instr.arg` of
    /// a `Measure` is already shifted, the bits of its condition must be shifted by this much
    /// (0 outside loops that move along a measurement record, see [`crate::control`]).
    pub bit_offset: u64,
}
