//! The circuit IR: registers, a gate table that keeps user definitions as definitions, and a flat
//! list of operations whose qubit operands and angles live in shared arenas (a 9 MB circuit file
//! must fit in a few times its size).

use crate::expr::Expr;
use crate::gates::StandardGate;

/// Which language a circuit was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Qasm2,
    Qasm3,
}

/// A named, contiguous range of qubits or classical bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Register {
    pub name: String,
    /// Index of the register's first bit in the circuit's global numbering.
    pub start: u32,
    pub size: u32,
}

/// Index of an entry in [`Circuit::gates`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GateId(pub u32);

/// An OpenQASM 3 gate modifier.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Modifier {
    /// `inv @`
    Inv,
    /// `pow(k) @`
    Pow(f64),
    /// `ctrl(n) @` (`negated: false`) or `negctrl(n) @` (`negated: true`): n new control qubits
    /// placed before the gate's own operands.
    Ctrl { count: u32, negated: bool },
}

/// One application inside a gate definition's body. Operands index the definition's formal
/// qubits; parameters are expressions over its formal parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct BodyOp {
    pub gate: GateId,
    pub params: Vec<Expr>,
    pub args: Vec<u32>,
}

/// A user `gate` definition.
#[derive(Clone, Debug, PartialEq)]
pub struct GateDef {
    pub param_names: Vec<String>,
    pub qubit_names: Vec<String>,
    pub body: Vec<BodyOp>,
}

/// What an entry of the gate table is.
#[derive(Clone, Debug, PartialEq)]
pub enum GateKind {
    /// A library gate with a known unitary.
    Standard(StandardGate),
    /// A user definition, kept as written.
    Defined(GateDef),
    /// An `opaque` declaration: arity known, action not.
    Opaque,
    /// A gate with modifiers applied, e.g. `ctrl @ inv @ s`. The modifiers apply right to left
    /// (the last one binds tightest), as they are written.
    Modified {
        base: GateId,
        modifiers: Vec<Modifier>,
    },
}

/// An entry in the gate table.
#[derive(Clone, Debug, PartialEq)]
pub struct GateEntry {
    /// The name used in the source (for modified gates, the modifier text and the base name).
    pub name: String,
    pub num_qubits: u32,
    pub num_params: u32,
    pub kind: GateKind,
    /// Line of the first application in the source (0 if never applied), so that later stages
    /// can name where an unusable gate is used.
    pub first_use: u32,
}

/// A duration of `delay[...]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Duration {
    pub value: f64,
    pub unit: TimeUnit,
}

/// Units of an OpenQASM 3 duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    Dt,
    Ns,
    Us,
    Ms,
    S,
}

impl TimeUnit {
    /// The unit's spelling (`us` for microseconds).
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Dt => "dt",
            TimeUnit::Ns => "ns",
            TimeUnit::Us => "us",
            TimeUnit::Ms => "ms",
            TimeUnit::S => "s",
        }
    }
}

/// An unsigned integer of any width: little-endian 64-bit limbs without trailing zero limbs, so
/// that equal values are equal vectors and the derived order on (length, limbs) is numeric.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Wide(Vec<u64>);

impl Wide {
    /// Zero.
    pub fn zero() -> Self {
        Wide(Vec::new())
    }

    /// A 64-bit value.
    pub fn from_u64(v: u64) -> Self {
        Wide(vec![v]).trimmed()
    }

    /// From bits, least significant first.
    pub fn from_bits(bits: impl Iterator<Item = bool>) -> Self {
        let mut limbs = Vec::new();
        for (i, b) in bits.enumerate() {
            if i % 64 == 0 {
                limbs.push(0);
            }
            if let (true, Some(l)) = (b, limbs.last_mut()) {
                *l |= 1 << (i % 64);
            }
        }
        Wide(limbs).trimmed()
    }

    /// Parse decimal digits (underscores allowed); `None` if there are none or others.
    pub fn from_decimal(text: &str) -> Option<Self> {
        let mut limbs: Vec<u64> = Vec::new();
        let mut any = false;
        for c in text.chars() {
            if c == '_' {
                continue;
            }
            let d = u64::from(c.to_digit(10)?);
            any = true;
            let mut carry = u128::from(d);
            for l in limbs.iter_mut() {
                let v = u128::from(*l) * 10 + carry;
                *l = v as u64;
                carry = v >> 64;
            }
            if carry > 0 {
                limbs.push(carry as u64);
            }
        }
        any.then(|| Wide(limbs).trimmed())
    }

    /// The value as a u64, if it fits.
    pub fn to_u64(&self) -> Option<u64> {
        match self.0.as_slice() {
            [] => Some(0),
            [v] => Some(*v),
            _ => None,
        }
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of significant bits.
    pub fn bits(&self) -> u64 {
        self.0.last().map_or(0, |top| {
            64 * (self.0.len() as u64 - 1) + u64::from(64 - top.leading_zeros())
        })
    }

    fn trimmed(mut self) -> Self {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
        self
    }

    fn zip(&self, other: &Wide, f: impl Fn(u64, u64) -> u64) -> Wide {
        let n = self.0.len().max(other.0.len());
        Wide(
            (0..n)
                .map(|i| {
                    f(
                        self.0.get(i).copied().unwrap_or(0),
                        other.0.get(i).copied().unwrap_or(0),
                    )
                })
                .collect(),
        )
        .trimmed()
    }
}

impl PartialOrd for Wide {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Wide {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

impl std::fmt::Display for Wide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(v) = self.to_u64() {
            return write!(f, "{v}");
        }
        // Repeated division by 10^19 for the decimal digits.
        let mut limbs = self.0.clone();
        let mut parts = Vec::new();
        const BASE: u128 = 10_000_000_000_000_000_000;
        while !limbs.is_empty() {
            let mut rem: u128 = 0;
            for l in limbs.iter_mut().rev() {
                let cur = (rem << 64) | u128::from(*l);
                *l = (cur / BASE) as u64;
                rem = cur % BASE;
            }
            parts.push(rem as u64);
            while limbs.last() == Some(&0) {
                limbs.pop();
            }
        }
        let mut iter = parts.iter().rev();
        if let Some(first) = iter.next() {
            write!(f, "{first}")?;
        }
        for p in iter {
            write!(f, "{p:019}")?;
        }
        Ok(())
    }
}

/// A classical expression in an `if` condition.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CondExpr {
    /// One classical bit (global index).
    Bit(u32),
    /// A whole classical register, read as an unsigned integer (bit 0 least significant).
    Register(u32),
    Int(Wide),
    Bool(bool),
    Not(Box<CondExpr>),
    Binary(CondOp, Box<CondExpr>, Box<CondExpr>),
}

/// Binary operators of conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CondOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    BitAnd,
    BitOr,
    Xor,
}

impl CondExpr {
    /// Evaluate against the classical bits. Values are unsigned integers of any width (a
    /// register may hold hundreds of bits); booleans are 0 or 1.
    pub fn eval(&self, circuit: &Circuit, bits: &[bool]) -> Wide {
        self.eval_with(&circuit.cregs, &|b| {
            bits.get(b as usize).copied().unwrap_or(false)
        })
    }

    /// [`CondExpr::eval`] with the registers `cregs` and the value of each bit from `bit`: for
    /// records too large or too sparse to hold as one slice.
    pub fn eval_with(&self, cregs: &[Register], bit: &dyn Fn(u32) -> bool) -> Wide {
        match self {
            CondExpr::Bit(b) => Wide::from_u64(u64::from(bit(*b))),
            CondExpr::Register(r) => cregs.get(*r as usize).map_or(Wide::zero(), |reg| {
                Wide::from_bits((0..reg.size).map(|i| bit(reg.start + i)))
            }),
            CondExpr::Int(v) => v.clone(),
            CondExpr::Bool(b) => Wide::from_u64(u64::from(*b)),
            CondExpr::Not(e) => Wide::from_u64(u64::from(e.eval_with(cregs, bit).is_zero())),
            CondExpr::Binary(op, a, b) => {
                let (a, b) = (a.eval_with(cregs, bit), b.eval_with(cregs, bit));
                let flag = |x: bool| Wide::from_u64(u64::from(x));
                match op {
                    CondOp::Eq => flag(a == b),
                    CondOp::Ne => flag(a != b),
                    CondOp::Lt => flag(a < b),
                    CondOp::Le => flag(a <= b),
                    CondOp::Gt => flag(a > b),
                    CondOp::Ge => flag(a >= b),
                    CondOp::And => flag(!a.is_zero() && !b.is_zero()),
                    CondOp::Or => flag(!a.is_zero() || !b.is_zero()),
                    CondOp::BitAnd => a.zip(&b, |x, y| x & y),
                    CondOp::BitOr => a.zip(&b, |x, y| x | y),
                    CondOp::Xor => a.zip(&b, |x, y| x ^ y),
                }
            }
        }
    }

    /// True when the condition holds.
    pub fn holds(&self, circuit: &Circuit, bits: &[bool]) -> bool {
        !self.eval(circuit, bits).is_zero()
    }

    /// The classical bits the condition reads.
    pub fn clbits(&self, circuit: &Circuit, out: &mut Vec<u32>) {
        match self {
            CondExpr::Bit(b) => out.push(*b),
            CondExpr::Register(r) => {
                if let Some(reg) = circuit.cregs.get(*r as usize) {
                    out.extend(reg.start..reg.start + reg.size);
                }
            }
            CondExpr::Int(_) | CondExpr::Bool(_) => {}
            CondExpr::Not(e) => e.clbits(circuit, out),
            CondExpr::Binary(_, a, b) => {
                a.clbits(circuit, out);
                b.clbits(circuit, out);
            }
        }
    }
}

/// A conditional block: `if (cond) { then } else { otherwise }`. OpenQASM 2's `if (c == n) op;`
/// is a block of one operation and no `else`.
#[derive(Clone, Debug, PartialEq)]
pub struct IfBlock {
    pub cond: CondExpr,
    pub then_ops: Vec<Op>,
    pub else_ops: Vec<Op>,
    /// 1-based source line of the `if`.
    pub line: u32,
}

/// One operation. Kept to 16 bytes: operands and angles are offsets into the circuit's arenas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// A gate application: `gate.num_qubits` qubits from `qubits[args..]`, `gate.num_params`
    /// angles from `params[params..]`.
    Gate {
        gate: GateId,
        args: u32,
        params: u32,
    },
    Measure {
        qubit: u32,
        clbit: u32,
    },
    Reset {
        qubit: u32,
    },
    /// `len` qubits from `qubits[args..]`.
    Barrier {
        args: u32,
        len: u32,
    },
    /// `delay[durations[duration]] qubit`.
    Delay {
        qubit: u32,
        duration: u32,
    },
    /// `ifs[block]`.
    If {
        block: u32,
    },
}

/// Name of the quantum register that holds a program's physical qubits (`$0`, `$1`, …): not an
/// identifier, so no program can declare it.
pub const PHYSICAL_REGISTER: &str = "$";

/// A parsed circuit.
#[derive(Clone, Debug, PartialEq)]
pub struct Circuit {
    pub version: Version,
    pub qregs: Vec<Register>,
    pub cregs: Vec<Register>,
    pub num_qubits: u32,
    pub num_clbits: u32,
    pub gates: Vec<GateEntry>,
    pub ops: Vec<Op>,
    /// Qubit operands of gates and barriers.
    pub qubits: Vec<u32>,
    /// Evaluated angles of gate applications.
    pub params: Vec<f64>,
    pub durations: Vec<Duration>,
    pub ifs: Vec<IfBlock>,
}

impl Circuit {
    /// An empty circuit of the given language.
    pub fn new(version: Version) -> Self {
        Circuit {
            version,
            qregs: Vec::new(),
            cregs: Vec::new(),
            num_qubits: 0,
            num_clbits: 0,
            gates: Vec::new(),
            ops: Vec::new(),
            qubits: Vec::new(),
            params: Vec::new(),
            durations: Vec::new(),
            ifs: Vec::new(),
        }
    }

    /// The gate-table entry of `id`.
    pub fn gate(&self, id: GateId) -> &GateEntry {
        &self.gates[id.0 as usize]
    }

    /// Operands and angles of a gate application.
    pub fn gate_operands(&self, gate: GateId, args: u32, params: u32) -> (&[u32], &[f64]) {
        let g = self.gate(gate);
        let (a, p) = (args as usize, params as usize);
        (
            &self.qubits[a..a + g.num_qubits as usize],
            &self.params[p..p + g.num_params as usize],
        )
    }

    /// Whether the circuit's qubits are a device's physical qubits (`$n` in OpenQASM 3): its one
    /// quantum register is then [`PHYSICAL_REGISTER`], and qubit n is the device's qubit n.
    pub fn is_physical(&self) -> bool {
        matches!(self.qregs.as_slice(), [r] if r.name == PHYSICAL_REGISTER)
    }

    /// Qubits a barrier spans.
    pub fn barrier_qubits(&self, args: u32, len: u32) -> &[u32] {
        &self.qubits[args as usize..(args + len) as usize]
    }
}
