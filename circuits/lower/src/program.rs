//! The lowered program: timed native operations per qubit, its
//! ASAP schedule, and its OpenQASM 2 text.

use std::fmt::Write as _;

use smallvec::SmallVec;

use super::target::{TargetDesc, TargetKind};
use eqisa_ir::circuit::{CondExpr, CondOp, Register};
use eqisa_ir::expr::write_number;

/// One native operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NativeOp {
    /// A virtual Z rotation (native target).
    Rz(f64),
    Sx,
    X,
    Cz,
    /// Echoed cross-resonance (Qiskit's `ecr`; native target with `two_qubit = "ecr"`).
    Ecr,
    H,
    S,
    Sdg,
    T,
    Tdg,
    Y,
    Z,
    Cx,
    Measure {
        clbit: u32,
    },
    Reset,
    /// Idle for a time.
    Delay {
        ns: f64,
    },
    Barrier,
}

impl NativeOp {
    /// The operation's OpenQASM name (also its key in a target's durations).
    pub fn name(&self) -> &'static str {
        match self {
            NativeOp::Rz(_) => "rz",
            NativeOp::Sx => "sx",
            NativeOp::X => "x",
            NativeOp::Cz => "cz",
            NativeOp::Ecr => "ecr",
            NativeOp::H => "h",
            NativeOp::S => "s",
            NativeOp::Sdg => "sdg",
            NativeOp::T => "t",
            NativeOp::Tdg => "tdg",
            NativeOp::Y => "y",
            NativeOp::Z => "z",
            NativeOp::Cx => "cx",
            NativeOp::Measure { .. } => "measure",
            NativeOp::Reset => "reset",
            NativeOp::Delay { .. } => "delay",
            NativeOp::Barrier => "barrier",
        }
    }

    /// Whether this is a T or T† gate.
    pub fn is_t(&self) -> bool {
        matches!(self, NativeOp::T | NativeOp::Tdg)
    }
}

/// A scheduled operation.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedOp {
    pub op: NativeOp,
    pub qubits: SmallVec<[u32; 2]>,
    /// Index into [`NativeProgram::conditions`]: the operation runs only when it holds.
    pub cond: Option<u32>,
    pub start_ns: f64,
    pub duration_ns: f64,
}

/// A circuit lowered to a native target and scheduled.
#[derive(Clone, Debug, PartialEq)]
pub struct NativeProgram {
    pub target: TargetKind,
    pub num_qubits: u32,
    pub num_clbits: u32,
    pub qregs: Vec<Register>,
    pub cregs: Vec<Register>,
    pub ops: Vec<TimedOp>,
    /// Conditions of conditional operations (an `else` branch has the negated condition).
    pub conditions: Vec<CondExpr>,
    /// End of the last operation.
    pub duration_ns: f64,
    /// Precision of every `Rz` angle: each lies on the `eqisa_isa::angle` grid of this many bits
    /// (`a == eqisa_isa::angle::snap(a, angle_bits)` bit for bit, so a decoder rebuilds it with
    /// `dequantize`); `eqisa_isa::angle::RAW` (0) means exact f64 angles. 0 on Clifford+T
    /// programs, which have no rz.
    pub angle_bits: u8,
}

impl NativeProgram {
    /// Assign start times as soon as possible: an operation starts when all its qubits (and,
    /// for a conditional one, the bits its condition reads) are free; a barrier aligns its
    /// qubits.
    pub fn schedule(&mut self, target: &TargetDesc) {
        let mut qubit_free = vec![0.0f64; self.num_qubits as usize];
        // Only bits some condition reads need a time (a register may have millions of bits):
        // `read` sorted, `bit_free` beside it.
        let read = self.read_bits();
        let mut bit_free = vec![0.0f64; read.len()];
        let mut bits = Vec::new();
        let mut end = 0.0f64;
        for op in &mut self.ops {
            let mut start = op
                .qubits
                .iter()
                .map(|&q| qubit_free.get(q as usize).copied().unwrap_or(0.0))
                .fold(0.0, f64::max);
            if let Some(c) = op.cond.and_then(|c| self.conditions.get(c as usize)) {
                bits.clear();
                collect_bits(c, &self.cregs, &mut bits);
                for &b in &bits {
                    if let Ok(k) = read.binary_search(&b) {
                        start = start.max(bit_free.get(k).copied().unwrap_or(0.0));
                    }
                }
            }
            let dur = match op.op {
                NativeOp::Delay { ns } => ns,
                other => target.duration(other.name()),
            };
            op.start_ns = start;
            op.duration_ns = dur;
            for &q in &op.qubits {
                if let Some(f) = qubit_free.get_mut(q as usize) {
                    *f = start + dur;
                }
            }
            if let NativeOp::Measure { clbit } = op.op
                && let Ok(k) = read.binary_search(&clbit)
                && let Some(f) = bit_free.get_mut(k)
            {
                *f = start + dur;
            }
            end = end.max(start + dur);
        }
        self.duration_ns = end;
    }

    /// The classical bits some condition reads, sorted, without repeats.
    fn read_bits(&self) -> Vec<u32> {
        let mut read = Vec::new();
        for c in &self.conditions {
            collect_bits(c, &self.cregs, &mut read);
        }
        read.sort_unstable();
        read.dedup();
        read
    }

    /// Operation counts by name.
    pub fn counts(&self) -> std::collections::BTreeMap<String, u64> {
        let mut m = std::collections::BTreeMap::new();
        for op in &self.ops {
            *m.entry(op.op.name().to_string()).or_insert(0) += 1;
        }
        m
    }

    /// Depth as Qiskit counts it: longest path through qubit and bit wires; a barrier aligns
    /// its qubits without adding a step.
    pub fn depth(&self) -> u64 {
        let nq = self.num_qubits as usize;
        // Wires of classical bits only for the bits some operation touches (a register may
        // have millions of bits).
        let mut touched = self.read_bits();
        touched.extend(self.ops.iter().filter_map(|op| match op.op {
            NativeOp::Measure { clbit } => Some(clbit),
            _ => None,
        }));
        touched.sort_unstable();
        touched.dedup();
        let wire = |b: u32| touched.binary_search(&b).ok().map(|k| nq + k);
        let mut level = vec![0u64; nq + touched.len()];
        let mut wires: Vec<usize> = Vec::new();
        let mut bits = Vec::new();
        let mut best = 0;
        for op in &self.ops {
            wires.clear();
            wires.extend(op.qubits.iter().map(|&q| q as usize));
            if let NativeOp::Measure { clbit } = op.op {
                wires.extend(wire(clbit));
            }
            if let Some(c) = op.cond.and_then(|c| self.conditions.get(c as usize)) {
                bits.clear();
                collect_bits(c, &self.cregs, &mut bits);
                wires.extend(bits.iter().filter_map(|&b| wire(b)));
            }
            wires.sort_unstable();
            wires.dedup();
            let d = wires
                .iter()
                .filter_map(|&w| level.get(w))
                .copied()
                .max()
                .unwrap_or(0);
            let next = if op.op == NativeOp::Barrier { d } else { d + 1 };
            for &w in &wires {
                if let Some(l) = level.get_mut(w) {
                    *l = next;
                }
            }
            best = best.max(next);
        }
        best
    }

    /// Number of T and T† gates.
    pub fn t_count(&self) -> u64 {
        self.ops.iter().filter(|o| o.op.is_t()).count() as u64
    }

    /// The program as OpenQASM 2 text (qelib1 gates), or `None` when a condition has no
    /// OpenQASM 2 form (only `creg == value` does).
    pub fn to_qasm2(&self) -> Option<String> {
        let w = QasmWriter::qasm2(&self.qregs, &self.cregs, &self.conditions)?;
        Some(self.text_with(&w))
    }
}

impl NativeProgram {
    /// The program as OpenQASM 3 text (`stdgates.inc` names), for programs whose conditions
    /// OpenQASM 2 cannot express (a single bit of a wider register, `!`, `&&`, `^`, ...).
    pub fn to_qasm3(&self) -> String {
        let w = QasmWriter::qasm3(&self.qregs, &self.cregs, &self.conditions);
        self.text_with(&w)
    }

    fn text_with(&self, w: &QasmWriter<'_>) -> String {
        let mut s = String::with_capacity(self.ops.len() * 16 + 256);
        w.header(&mut s, self.ops.iter().any(|o| o.op == NativeOp::Ecr));
        for op in &self.ops {
            w.op(&mut s, op);
        }
        s
    }
}

/// Writes a program as OpenQASM text one operation at a time, so that a program too long to
/// hold (a decoded stream) can be written as it arrives: [`QasmWriter::header`] once, then
/// [`QasmWriter::op`] per operation. [`NativeProgram::to_qasm2`] and
/// [`NativeProgram::to_qasm3`] are this writer over a whole program.
pub struct QasmWriter<'a> {
    qregs: &'a [Register],
    cregs: &'a [Register],
    conditions: &'a [CondExpr],
    /// The OpenQASM 2 text of every condition; `None` writes OpenQASM 3.
    qasm2: Option<Vec<String>>,
}

impl<'a> QasmWriter<'a> {
    /// An OpenQASM 2 writer (qelib1 gates), or `None` when a condition has no OpenQASM 2 form
    /// (only `creg == value` does).
    pub fn qasm2(
        qregs: &'a [Register],
        cregs: &'a [Register],
        conditions: &'a [CondExpr],
    ) -> Option<Self> {
        let conds = conditions
            .iter()
            .map(|c| qasm2_condition(c, cregs))
            .collect::<Option<Vec<_>>>()?;
        Some(QasmWriter {
            qregs,
            cregs,
            conditions,
            qasm2: Some(conds),
        })
    }

    /// An OpenQASM 3 writer (`stdgates.inc` names).
    pub fn qasm3(qregs: &'a [Register], cregs: &'a [Register], conditions: &'a [CondExpr]) -> Self {
        QasmWriter {
            qregs,
            cregs,
            conditions,
            qasm2: None,
        }
    }

    /// Whether this writer writes OpenQASM 3.
    pub fn is_qasm3(&self) -> bool {
        self.qasm2.is_none()
    }

    /// Appends the version line, the include, the `ecr` definition when `ecr` (the program
    /// uses it) and the register declarations.
    pub fn header(&self, s: &mut String, ecr: bool) {
        if self.qasm2.is_some() {
            s.push_str("OPENQASM 2.0;\ninclude \"qelib1.inc\";\n");
        } else {
            s.push_str("OPENQASM 3.0;\ninclude \"stdgates.inc\";\n");
        }
        if ecr {
            s.push_str(ECR_DEFINITION);
        }
        if self.qasm2.is_some() {
            for r in self.qregs {
                let _ = writeln!(s, "qreg {}[{}];", r.name, r.size);
            }
            for r in self.cregs {
                let _ = writeln!(s, "creg {}[{}];", r.name, r.size);
            }
        } else {
            for r in self.cregs {
                let _ = writeln!(s, "bit[{}] {};", r.size, r.name);
            }
            for r in self.qregs {
                let _ = writeln!(s, "qubit[{}] {};", r.size, r.name);
            }
        }
    }

    /// Appends the line of one operation.
    pub fn op(&self, s: &mut String, op: &TimedOp) {
        self.op_with_bits(s, op, &|b| bit_name(self.cregs, b));
    }

    /// [`QasmWriter::op`] with each classical bit (measured, or read by the condition) written
    /// as `clbit` says: in a loop that moves along a register, `rec[3 + 8*_r0]`.
    pub fn op_with_bits(&self, s: &mut String, op: &TimedOp, clbit: &dyn Fn(u32) -> String) {
        let qs: Vec<String> = op.qubits.iter().map(|&q| bit_name(self.qregs, q)).collect();
        match &self.qasm2 {
            Some(conds) => {
                if let NativeOp::Delay { ns } = op.op {
                    // OpenQASM 2 has no delay: keep it visible, as a comment.
                    let _ = writeln!(s, "// delay[{ns}ns] {};", qs.join(", "));
                    return;
                }
                if let Some(c) = op.cond.and_then(|c| conds.get(c as usize)) {
                    let _ = write!(s, "if ({c}) ");
                }
                match op.op {
                    NativeOp::Rz(a) => {
                        s.push_str("rz(");
                        let _ = write_number(s, a);
                        s.push(')');
                    }
                    other => s.push_str(other.name()),
                }
                s.push(' ');
                s.push_str(&qs.join(", "));
                if let NativeOp::Measure { clbit: c } = op.op {
                    let _ = write!(s, " -> {}", clbit(c));
                }
                s.push_str(";\n");
            }
            None => {
                let mut line = String::new();
                match op.op {
                    NativeOp::Rz(a) => {
                        line.push_str("rz(");
                        let _ = write_number(&mut line, a);
                        let _ = write!(line, ") {};", qs.join(", "));
                    }
                    NativeOp::Measure { clbit: c } => {
                        let _ = write!(line, "{} = measure {};", clbit(c), qs.join(", "));
                    }
                    NativeOp::Delay { ns } => {
                        let _ = write!(line, "delay[{ns}ns] {};", qs.join(", "));
                    }
                    other => {
                        let _ = write!(line, "{} {};", other.name(), qs.join(", "));
                    }
                }
                match op.cond.and_then(|c| self.conditions.get(c as usize)) {
                    Some(c) => {
                        let _ = writeln!(
                            s,
                            "if ({}) {{ {line} }}",
                            qasm3_condition(c, self.cregs, clbit)
                        );
                    }
                    None => {
                        let _ = writeln!(s, "{line}");
                    }
                }
            }
        }
    }
}

/// A condition in OpenQASM 3 syntax, fully parenthesised, its bits written by `clbit`.
pub fn qasm3_condition(c: &CondExpr, cregs: &[Register], clbit: &dyn Fn(u32) -> String) -> String {
    match c {
        CondExpr::Bit(b) => clbit(*b),
        CondExpr::Register(r) => cregs
            .get(*r as usize)
            .map_or_else(|| "0".into(), |r| r.name.clone()),
        CondExpr::Int(v) => v.to_string(),
        CondExpr::Bool(b) => b.to_string(),
        CondExpr::Not(e) => format!("!({})", qasm3_condition(e, cregs, clbit)),
        CondExpr::Binary(op, a, b) => {
            let sym = match op {
                CondOp::Eq => "==",
                CondOp::Ne => "!=",
                CondOp::Lt => "<",
                CondOp::Le => "<=",
                CondOp::Gt => ">",
                CondOp::Ge => ">=",
                CondOp::And => "&&",
                CondOp::Or => "||",
                CondOp::BitAnd => "&",
                CondOp::BitOr => "|",
                CondOp::Xor => "^",
            };
            format!(
                "({}) {sym} ({})",
                qasm3_condition(a, cregs, clbit),
                qasm3_condition(b, cregs, clbit)
            )
        }
    }
}

/// `ecr` for files whose include does not define it (qelib1, stdgates): Qiskit's definition,
/// rzx(±π/4) around an x.
const ECR_DEFINITION: &str = "gate ecr a, b { h b; cx a, b; rz(pi/4) b; cx a, b; h b; x a; \
     h b; cx a, b; rz(-pi/4) b; cx a, b; h b; }\n";

/// `reg[i]` for a global bit index.
pub fn bit_name(regs: &[Register], b: u32) -> String {
    regs.iter()
        .find(|r| b >= r.start && b < r.start + r.size)
        .map_or_else(
            || format!("q[{b}]"),
            |r| format!("{}[{}]", r.name, b - r.start),
        )
}

/// The bits a condition reads.
/// The classical bits a condition reads (with repeats), in expression order.
pub fn collect_bits(c: &CondExpr, cregs: &[Register], out: &mut Vec<u32>) {
    match c {
        CondExpr::Bit(b) => out.push(*b),
        CondExpr::Register(r) => {
            if let Some(reg) = cregs.get(*r as usize) {
                out.extend(reg.start..reg.start + reg.size);
            }
        }
        CondExpr::Int(_) | CondExpr::Bool(_) => {}
        CondExpr::Not(e) => collect_bits(e, cregs, out),
        CondExpr::Binary(_, a, b) => {
            collect_bits(a, cregs, out);
            collect_bits(b, cregs, out);
        }
    }
}

/// `creg==value`, the only condition OpenQASM 2 has.
fn qasm2_condition(c: &CondExpr, cregs: &[Register]) -> Option<String> {
    match c {
        CondExpr::Binary(CondOp::Eq, a, b) => match (&**a, &**b) {
            (CondExpr::Register(r), CondExpr::Int(v)) => {
                Some(format!("{}=={}", cregs.get(*r as usize)?.name, v))
            }
            _ => None,
        },
        _ => None,
    }
}
