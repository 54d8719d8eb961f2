//! Structured programs → `.eqb`: the text (every loop body once, in program order) in the
//! instruction section and how it runs in the control section (see [`eqisa_isa::control`]); and
//! the way back to OpenQASM 3 with the loops written as loops.

use std::fmt::Write as _;

use eqisa_ir::circuit::{CondExpr, Register};
use eqisa_isa::angle;
use eqisa_isa::codebook::Codebook;
use eqisa_isa::control::{Control, ControlBuilder, NodeKind};
use eqisa_isa::stream::Scheduler;
use eqisa_lower::program::{
    NativeOp, NativeProgram, QasmWriter, TimedOp, bit_name, collect_bits, qasm3_condition,
};
use eqisa_lower::structured::{LoweredStructure, Piece};
use eqisa_lower::target::TargetDesc;

use crate::encode::{Assembled, instr_of, program_info, write_program};
use crate::error::AssembleError;

/// A program whose operations run under a control tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Structured {
    /// The text: each node's operations in program order, scheduled as soon as possible from
    /// the node's own start (times relative to it); its conditions include the `while` loops'.
    pub text: NativeProgram,
    /// How the text runs.
    pub control: Control,
}

/// Assemble a structured program: its text is coded once, its loops in the control section,
/// which declares the replay buffer the largest outermost loop needs.
///
/// # Errors
/// When the control tree and the text disagree in length, an operation cannot be encoded, or a
/// node's schedule is not the as-soon-as-possible one the decoder rebuilds (a structured program
/// carries no explicit timing).
pub fn assemble_structured(
    s: &Structured,
    target: &TargetDesc,
    codebook: &Codebook,
    codebook_hash: [u8; 32],
) -> Result<Assembled, AssembleError> {
    let text = &s.text;
    if s.control.text_len() != text.ops.len() as u64 {
        return Err(AssembleError::Structure(
            "the control tree and the text differ in length",
        ));
    }
    let mut info = program_info(text, target)?;
    info.params.explicit_timing = false;
    check_schedule(s, &info)?;
    let mut control = s.control.clone();
    control.replay_words = replay_words(s);
    if control.nodes().iter().any(
        |n| matches!(n.kind, NodeKind::While { cond } if cond as usize >= text.conditions.len()),
    ) {
        return Err(AssembleError::Structure(
            "a while loop names a condition the program does not have",
        ));
    }
    write_program(text, &info, Some(&control), codebook, codebook_hash, None)
}

/// Every node's operations must be where a scheduler started afresh at the node would place
/// them, bit for bit: that is what the decoder rebuilds (offset by the node's start).
pub(crate) fn check_schedule(
    s: &Structured,
    info: &eqisa_isa::stream::ProgramInfo,
) -> Result<(), AssembleError> {
    let text = &s.text;
    for node in s.control.nodes() {
        let NodeKind::Ops(n) = node.kind else {
            continue;
        };
        let mut sched = Scheduler::new(text.num_qubits, &info.condition_bits);
        let from = node.text_start as usize;
        for i in from..from + n as usize {
            let op = text
                .ops
                .get(i)
                .ok_or(AssembleError::Structure("a node past the text"))?;
            let instr = instr_of(text, i, op)?;
            let (start, dur) = sched.place(&instr, info)?;
            if start.to_bits() != op.start_ns.to_bits() || dur.to_bits() != op.duration_ns.to_bits()
            {
                return Err(AssembleError::Unencodable {
                    index: i,
                    what: "in a loop, an operation not scheduled as soon as possible from the start of its piece (programs with loops carry no explicit timing)",
                });
            }
        }
    }
    Ok(())
}

/// Qubit operands of the largest outermost loop's text.
pub(crate) fn replay_words(s: &Structured) -> u64 {
    let nodes = s.control.nodes();
    let mut most = 0u64;
    let mut i = 0usize;
    while let Some(node) = nodes.get(i) {
        if matches!(node.kind, NodeKind::Ops(_)) {
            i += 1;
            continue;
        }
        let from = node.text_start as usize;
        let to = from + node.text_len as usize;
        let words: u64 = s
            .text
            .ops
            .get(from..to)
            .unwrap_or(&[])
            .iter()
            .map(|op| op.qubits.len() as u64)
            .sum();
        most = most.max(words);
        i = node.end as usize;
    }
    most
}

/// A loop open while the text is walked: its variable (for counted loops) and shift.
struct Open {
    end: usize,
    /// `(name, stride, count)` of a counted loop.
    var: Option<(String, u64, u64)>,
}

impl Structured {
    /// Each text operation with how many times it runs (a `while` loop counted once).
    pub fn executed_ops(&self) -> Vec<(&eqisa_lower::program::TimedOp, u64)> {
        let mut out = Vec::with_capacity(self.text.ops.len());
        // Multiplicities of the open loops, innermost last, with their ends.
        let mut open: Vec<(usize, u64)> = Vec::new();
        for (i, node) in self.control.nodes().iter().enumerate() {
            while open.last().is_some_and(|&(end, _)| end <= i) {
                open.pop();
            }
            let outer = open.last().map_or(1, |&(_, m)| m);
            match node.kind {
                NodeKind::Ops(n) => {
                    let from = node.text_start as usize;
                    for op in self.text.ops.iter().skip(from).take(n as usize) {
                        out.push((op, outer));
                    }
                }
                NodeKind::Repeat { count, .. } => {
                    open.push((node.end as usize, outer.saturating_mul(count)));
                }
                NodeKind::While { .. } => open.push((node.end as usize, outer)),
            }
        }
        out
    }

    /// How long the program runs (each `while` loop once): every node and iteration starts when
    /// everything before it has ended.
    #[must_use]
    pub fn duration_ns(&self) -> f64 {
        self.span_ns(0, self.control.nodes().len())
    }

    /// Duration of the nodes `from..to` (siblings, run one after another).
    fn span_ns(&self, from: usize, to: usize) -> f64 {
        let nodes = self.control.nodes();
        let mut total = 0.0;
        let mut i = from;
        while i < to {
            let Some(node) = nodes.get(i) else { break };
            match node.kind {
                NodeKind::Ops(n) => {
                    let from = node.text_start as usize;
                    let ops = self.text.ops.iter().skip(from).take(n as usize);
                    let start = ops
                        .clone()
                        .map(|o| o.start_ns)
                        .fold(f64::INFINITY, f64::min);
                    let end = ops.map(|o| o.start_ns + o.duration_ns).fold(0.0, f64::max);
                    total += (end - start).max(0.0);
                    i += 1;
                }
                NodeKind::Repeat { count, .. } => {
                    total += self.span_ns(i + 1, node.end as usize) * count as f64;
                    i = node.end as usize;
                }
                NodeKind::While { .. } => {
                    total += self.span_ns(i + 1, node.end as usize);
                    i = node.end as usize;
                }
            }
        }
        total
    }

    /// The program as OpenQASM 3 with its loops: `for uint _r0 in [0:N-1] { ... }` for a counted
    /// loop (a measurement in a loop that moves along the record written `rec[3 + 8*_r0]`),
    /// `while (cond) { ... }` for a real-time loop.
    ///
    /// # Errors
    /// When a loop that moves along the record would leave the register a bit is in, or one of
    /// its conditions reads a whole register (which a shift cannot name).
    pub fn to_qasm3(&self) -> Result<String, AssembleError> {
        let p = &self.text;
        let writer = QasmWriter::qasm3(&p.qregs, &p.cregs, &p.conditions);
        let mut s = String::new();
        let ecr = p.ops.iter().any(|o| o.op == NativeOp::Ecr);
        writer.header(&mut s, ecr);
        let mut open: Vec<Open> = Vec::new();
        for (i, node) in self.control.nodes().iter().enumerate() {
            while open.last().is_some_and(|o| o.end <= i) {
                open.pop();
                let _ = writeln!(s, "{}}}", "  ".repeat(open.len()));
            }
            let indent = "  ".repeat(open.len());
            match node.kind {
                NodeKind::Ops(n) => {
                    let from = node.text_start as usize;
                    let shifts: Vec<&(String, u64, u64)> = open
                        .iter()
                        .filter_map(|o| o.var.as_ref())
                        .filter(|(_, stride, _)| *stride > 0)
                        .collect();
                    for op in p.ops.iter().skip(from).take(n as usize) {
                        let mut line = String::new();
                        if shifts.is_empty() {
                            writer.op(&mut line, op);
                        } else {
                            check_shiftable(op, p, &shifts)?;
                            writer.op_with_bits(&mut line, op, &|b| {
                                strided_bit(&p.cregs, b, &shifts)
                            });
                        }
                        let _ = write!(s, "{indent}{line}");
                    }
                }
                NodeKind::Repeat { count, stride } => {
                    let name = format!("_r{}", open.len());
                    let _ = writeln!(s, "{indent}for uint {name} in [0:{}] {{", count - 1);
                    open.push(Open {
                        end: node.end as usize,
                        var: Some((name, stride, count)),
                    });
                }
                NodeKind::While { cond } => {
                    let c = p
                        .conditions
                        .get(cond as usize)
                        .ok_or(AssembleError::Structure(
                            "a while loop's condition out of range",
                        ))?;
                    let shifts: Vec<&(String, u64, u64)> = open
                        .iter()
                        .filter_map(|o| o.var.as_ref())
                        .filter(|(_, stride, _)| *stride > 0)
                        .collect();
                    let text = qasm3_condition(c, &p.cregs, &|b| strided_bit(&p.cregs, b, &shifts));
                    let _ = writeln!(s, "{indent}while ({text}) {{");
                    open.push(Open {
                        end: node.end as usize,
                        var: None,
                    });
                }
            }
        }
        while open.pop().is_some() {
            let _ = writeln!(s, "{}}}", "  ".repeat(open.len()));
        }
        Ok(s)
    }
}

/// Bit `b` of iteration 0, written with the loop variables that shift it.
pub(crate) fn strided_bit(cregs: &[Register], b: u32, shifts: &[&(String, u64, u64)]) -> String {
    let base = bit_name(cregs, b);
    if !base.ends_with(']') {
        return base;
    }
    let mut s = base[..base.len() - 1].to_string();
    for (name, stride, _) in shifts {
        if *stride == 1 {
            let _ = write!(s, " + {name}");
        } else {
            let _ = write!(s, " + {stride}*{name}");
        }
    }
    s.push(']');
    s
}

/// In a loop that moves along the record, every bit an operation writes or reads must stay in
/// its register through the last iteration, and its condition must name bits, not registers.
pub(crate) fn check_shiftable(
    op: &eqisa_lower::program::TimedOp,
    p: &NativeProgram,
    shifts: &[&(String, u64, u64)],
) -> Result<(), AssembleError> {
    let reach: u64 = shifts
        .iter()
        .map(|(_, stride, count)| stride.saturating_mul(count.saturating_sub(1)))
        .fold(0u64, u64::saturating_add);
    let fits = |b: u32| {
        p.cregs
            .iter()
            .any(|r| b >= r.start && u64::from(b) + reach < u64::from(r.start) + u64::from(r.size))
    };
    if let NativeOp::Measure { clbit } = op.op
        && !fits(clbit)
    {
        return Err(AssembleError::Structure(
            "a loop moves a measured bit past the end of its register",
        ));
    }
    if let Some(c) = op.cond.and_then(|c| p.conditions.get(c as usize)) {
        let mut bits = Vec::new();
        if reads_register(c) {
            return Err(AssembleError::Structure(
                "a condition on a whole register in a loop that moves along the record",
            ));
        }
        collect_bits(c, &p.cregs, &mut bits);
        if !bits.iter().all(|&b| fits(b)) {
            return Err(AssembleError::Structure(
                "a loop moves a bit a condition reads past the end of its register",
            ));
        }
    }
    Ok(())
}

fn reads_register(c: &CondExpr) -> bool {
    match c {
        CondExpr::Register(_) => true,
        CondExpr::Not(e) => reads_register(e),
        CondExpr::Binary(_, a, b) => reads_register(a) || reads_register(b),
        _ => false,
    }
}

impl Structured {
    /// The program unrolled, when it runs at most `max_ops` operations and has no `while` loop
    /// (whose iterations depend on measurement results): every iteration's operations, their
    /// classical bits shifted, each node starting when everything before it has ended.
    #[must_use]
    pub fn unrolled(&self, max_ops: u64) -> Option<NativeProgram> {
        if self
            .control
            .nodes()
            .iter()
            .any(|n| matches!(n.kind, NodeKind::While { .. }))
            || self.control.executed(1) > u128::from(max_ops)
        {
            return None;
        }
        let mut out = NativeProgram {
            ops: Vec::new(),
            conditions: self.text.conditions.clone(),
            duration_ns: 0.0,
            ..self.text.clone()
        };
        let mut shifted = std::collections::HashMap::new();
        self.unroll_into(0, self.control.nodes().len(), 0, &mut out, &mut shifted)?;
        Some(out)
    }

    fn unroll_into(
        &self,
        from: usize,
        to: usize,
        offset: u64,
        out: &mut NativeProgram,
        shifted: &mut std::collections::HashMap<(u32, u64), u32>,
    ) -> Option<()> {
        let nodes = self.control.nodes();
        let mut i = from;
        while i < to {
            let node = nodes.get(i)?;
            match node.kind {
                NodeKind::Ops(n) => {
                    let from = node.text_start as usize;
                    let ops = self.text.ops.get(from..from + n as usize)?;
                    let start = ops.iter().map(|o| o.start_ns).fold(f64::INFINITY, f64::min);
                    let t0 = out.duration_ns;
                    let mut end = t0;
                    for op in ops {
                        let mut op = op.clone();
                        op.start_ns = t0 + (op.start_ns - start);
                        end = end.max(op.start_ns + op.duration_ns);
                        if offset > 0 {
                            if let NativeOp::Measure { clbit } = &mut op.op {
                                *clbit = u32::try_from(u64::from(*clbit) + offset).ok()?;
                            }
                            if let Some(c) = op.cond {
                                op.cond = Some(match shifted.get(&(c, offset)) {
                                    Some(&k) => k,
                                    None => {
                                        let expr = shift_condition(
                                            self.text.conditions.get(c as usize)?,
                                            offset,
                                        )?;
                                        let k = out.conditions.len() as u32;
                                        out.conditions.push(expr);
                                        shifted.insert((c, offset), k);
                                        k
                                    }
                                });
                            }
                        }
                        out.ops.push(op);
                    }
                    out.duration_ns = end;
                    i += 1;
                }
                NodeKind::Repeat { count, stride } => {
                    for k in 0..count {
                        let off = offset.checked_add(k.checked_mul(stride)?)?;
                        self.unroll_into(i + 1, node.end as usize, off, out, shifted)?;
                    }
                    i = node.end as usize;
                }
                NodeKind::While { .. } => return None,
            }
        }
        Some(())
    }
}

/// `c` reading bits shifted by `offset` (`None` when it reads a whole register).
#[must_use]
pub fn shift_condition(c: &CondExpr, offset: u64) -> Option<CondExpr> {
    Some(match c {
        CondExpr::Bit(b) => CondExpr::Bit(u32::try_from(u64::from(*b) + offset).ok()?),
        CondExpr::Register(_) => return None,
        CondExpr::Int(_) | CondExpr::Bool(_) => c.clone(),
        CondExpr::Not(e) => CondExpr::Not(Box::new(shift_condition(e, offset)?)),
        CondExpr::Binary(op, a, b) => CondExpr::Binary(
            *op,
            Box::new(shift_condition(a, offset)?),
            Box::new(shift_condition(b, offset)?),
        ),
    })
}

impl Structured {
    /// The text and control tree of a program lowered with its loops kept: each straight
    /// piece's operations once (scheduled from the piece's start, as the lowering did), each
    /// piece's conditions appended to one table, each `while` loop's condition after them.
    /// Loops whose bodies hold no operation are left out (they do nothing), except a `while`,
    /// which is refused: whether it ends cannot be decided.
    ///
    /// # Errors
    /// [`AssembleError::Structure`] for an empty `while` body or a program without operations
    /// in any piece; [`AssembleError::Isa`] for loops nested deeper than
    /// [`eqisa_isa::control::MAX_DEPTH`] or a loop body past the replay buffer
    /// ([`eqisa_isa::control::MAX_REPLAY_OPS`]).
    pub fn from_lowered(l: &LoweredStructure) -> Result<Structured, AssembleError> {
        let first = first_program(&l.pieces).ok_or(AssembleError::Structure(
            "a program without a lowered piece",
        ))?;
        let mut text = NativeProgram {
            ops: Vec::new(),
            conditions: Vec::new(),
            duration_ns: 0.0,
            angle_bits: l.angle_bits(),
            ..first.clone()
        };
        let mut tree = ControlBuilder::new();
        add_pieces(&l.pieces, &mut text, &mut tree)?;
        text.angle_bits = finest_grid(&text);
        let control = tree.finish()?;
        let mut s = Structured { text, control };
        s.text.duration_ns = s.duration_ns();
        Ok(s)
    }
}

/// The coarsest angle grid every `rz` of `p` lies on exactly (pieces lowered with different
/// budgets may say `RAW` for angles, such as multiples of π/2, that a small grid holds).
pub(crate) fn finest_grid(p: &NativeProgram) -> u8 {
    let mut bits = 1u8;
    for op in &p.ops {
        if let NativeOp::Rz(a) = op.op {
            let on = |b: u8| angle::dequantize(angle::quantize(a, b), b).to_bits() == a.to_bits();
            if on(bits) {
                continue;
            }
            match (bits + 1..=angle::MAX_BITS).find(|&b| on(b)) {
                Some(b) => bits = b,
                None => return angle::RAW,
            }
        }
    }
    bits
}

fn first_program(pieces: &[Piece]) -> Option<&NativeProgram> {
    pieces.iter().find_map(|p| match p {
        Piece::Straight(l) => Some(&l.program),
        Piece::Repeat { body, .. } | Piece::While { body, .. } => first_program(body),
    })
}

/// Whether any straight piece under `pieces` has an operation.
fn has_ops(pieces: &[Piece]) -> bool {
    pieces.iter().any(|p| match p {
        Piece::Straight(l) => !l.program.ops.is_empty(),
        Piece::Repeat { body, .. } | Piece::While { body, .. } => has_ops(body),
    })
}

fn add_pieces(
    pieces: &[Piece],
    text: &mut NativeProgram,
    tree: &mut ControlBuilder,
) -> Result<(), AssembleError> {
    // Operations of the last straight piece, appended to the text but not yet to the tree: a
    // loop right after it may take their tail as its first iteration.
    let mut pending = 0u64;
    for piece in pieces {
        match piece {
            Piece::Straight(l) => {
                let p = &l.program;
                if p.ops.is_empty() {
                    continue;
                }
                flush(tree, &mut pending)?;
                let offset = text.conditions.len() as u32;
                text.conditions.extend(p.conditions.iter().cloned());
                text.ops.extend(p.ops.iter().map(|op| {
                    let mut op = op.clone();
                    op.cond = op.cond.map(|c| c + offset);
                    op
                }));
                pending = p.ops.len() as u64;
            }
            Piece::Repeat {
                count,
                clbit_stride,
                body,
                ..
            } => {
                if *count == 0 || !has_ops(body) {
                    continue;
                }
                let folded = fold_preceding(text, &mut pending, body, *clbit_stride);
                flush(tree, &mut pending)?;
                tree.open(NodeKind::Repeat {
                    count: count.saturating_add(folded.copies),
                    stride: *clbit_stride,
                })?;
                if folded.copies > 0 {
                    tree.ops(folded.ops)?;
                } else {
                    add_pieces(body, text, tree)?;
                }
                tree.close()?;
            }
            Piece::While { cond, body } => {
                if !has_ops(body) {
                    return Err(AssembleError::Structure(
                        "a while loop whose body holds no operation",
                    ));
                }
                flush(tree, &mut pending)?;
                let index = text.conditions.len() as u32;
                text.conditions.push(cond.clone());
                tree.open(NodeKind::While { cond: index })?;
                add_pieces(body, text, tree)?;
                tree.close()?;
            }
        }
    }
    flush(tree, &mut pending)
}

fn flush(tree: &mut ControlBuilder, pending: &mut u64) -> Result<(), AssembleError> {
    if *pending > 0 {
        tree.ops(*pending)?;
        *pending = 0;
    }
    Ok(())
}

/// Iterations of a loop found written out just before it.
struct Folded {
    /// How many.
    copies: u64,
    /// Operations of one (the loop's text: the earliest copy, left in place).
    ops: u64,
}

/// Take the copies of a counted loop's body that the source wrote out right before the loop
/// (Stim circuits write a QEC round once before `REPEAT` for its detectors, which are not
/// control operations) as iterations of the loop: the earliest copy stays in the text as the
/// loop's body, retimed as the body is; the body itself is then not added. Only a body that is
/// one straight piece is compared.
fn fold_preceding(
    text: &mut NativeProgram,
    pending: &mut u64,
    body: &[Piece],
    stride: u64,
) -> Folded {
    let none = Folded { copies: 0, ops: 0 };
    let [Piece::Straight(b)] = body else {
        return none;
    };
    let b = &b.program;
    let k = b.ops.len();
    let mut copies = 0u64;
    // Each earlier copy reads and writes bits one stride lower.
    while (*pending as usize) >= k * (copies as usize + 1) && k > 0 {
        let shift = stride.saturating_mul(copies + 1);
        let end = text.ops.len() - k * copies as usize;
        let tail = &text.ops[end - k..end];
        if !is_iteration(tail, &text.conditions, b, shift) {
            break;
        }
        copies += 1;
    }
    if copies == 0 {
        return none;
    }
    // The earliest copy is the loop's text; the later ones go.
    let keep = text.ops.len() - k * copies as usize;
    text.ops.truncate(keep + k);
    for (op, model) in text.ops[keep..].iter_mut().zip(&b.ops) {
        op.start_ns = model.start_ns;
        op.duration_ns = model.duration_ns;
    }
    *pending -= k as u64 * copies;
    Folded {
        copies,
        ops: k as u64,
    }
}

/// Whether `ops` (conditions in `conditions`) are the body `b` with every classical bit lower
/// by `shift`.
fn is_iteration(ops: &[TimedOp], conditions: &[CondExpr], b: &NativeProgram, shift: u64) -> bool {
    ops.iter().zip(&b.ops).all(|(t, m)| {
        let op_matches = match (t.op, m.op) {
            (NativeOp::Measure { clbit: x }, NativeOp::Measure { clbit: y }) => {
                u64::from(x) + shift == u64::from(y)
            }
            (x, y) => x == y,
        };
        let cond_matches = match (t.cond, m.cond) {
            (None, None) => true,
            (Some(x), Some(y)) => {
                match (conditions.get(x as usize), b.conditions.get(y as usize)) {
                    (Some(x), Some(y)) => shift_condition(x, shift).as_ref() == Some(y),
                    _ => false,
                }
            }
            _ => false,
        };
        op_matches
            && cond_matches
            && t.qubits == m.qubits
            && t.duration_ns.to_bits() == m.duration_ns.to_bits()
    })
}
