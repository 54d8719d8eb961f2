//! A program with loops written as OpenQASM 3 while its text arrives, one operation at a time:
//! the same text as [`crate::structured::Structured::to_qasm3`] without holding the program.
//! The control tree (known before the first instruction) says where each loop opens and
//! closes; each operation is written as soon as it is handed over. It also counts what the
//! program runs: each operation's multiplicity and the duration of
//! [`crate::structured::Structured::duration_ns`], with the same arithmetic in the same order.

use std::fmt::Write as _;

use eqisa_isa::control::{Control, NodeKind};
use eqisa_lower::program::{NativeProgram, QasmWriter, TimedOp, qasm3_condition};

use crate::error::AssembleError;
use crate::structured::{check_shiftable, strided_bit};

/// A loop open while the text is walked.
struct Frame {
    /// Index one past the loop's subtree.
    end: usize,
    /// `(name, stride, count)` of a counted loop.
    var: Option<(String, u64, u64)>,
    /// Iterations (for the duration); `None` for a `while` (counted once).
    count: Option<u64>,
    /// How many times its body runs (each `while` once), saturating.
    times: u64,
    /// Duration of one iteration so far (ns).
    span_ns: f64,
}

/// The `Ops` node the next operations belong to.
struct Current {
    /// Index in the text one past its last operation.
    text_end: u64,
    /// The counted loops around it that move along the record.
    shifts: Vec<(String, u64, u64)>,
    /// Its indentation.
    indent: String,
    /// How many times it runs.
    times: u64,
    /// Earliest start and latest end of its operations so far (ns).
    start_ns: f64,
    end_ns: f64,
}

/// Writes a program with loops as OpenQASM 3 operation by operation: [`LoopTextWriter::header`]
/// once, [`LoopTextWriter::op`] for each operation of the text in order, then
/// [`LoopTextWriter::finish`]. Memory: the loops open around the current operation.
pub struct LoopTextWriter<'a> {
    /// Registers and conditions (its operations are not used).
    shell: &'a NativeProgram,
    control: &'a Control,
    writer: QasmWriter<'a>,
    /// The next node to enter.
    next: usize,
    open: Vec<Frame>,
    current: Option<Current>,
    /// Index in the text of the next operation.
    text_index: u64,
    /// Duration of the top level so far (ns).
    span_ns: f64,
}

impl<'a> LoopTextWriter<'a> {
    /// A writer for the program whose registers and conditions `shell` holds (its operations
    /// are ignored) and whose text runs under `control`.
    #[must_use]
    pub fn new(shell: &'a NativeProgram, control: &'a Control) -> Self {
        LoopTextWriter {
            shell,
            control,
            writer: QasmWriter::qasm3(&shell.qregs, &shell.cregs, &shell.conditions),
            next: 0,
            open: Vec::new(),
            current: None,
            text_index: 0,
            span_ns: 0.0,
        }
    }

    /// Appends the version line, include, `ecr` definition when `ecr` (the program uses it) and
    /// register declarations.
    pub fn header(&self, s: &mut String, ecr: bool) {
        self.writer.header(s, ecr);
    }

    /// Hands over the next operation of the text, appending its line (and the loops that open
    /// or close before it) to `s` when given; returns how many times it runs (each `while`
    /// loop once, saturating).
    ///
    /// # Errors
    /// When the text is longer than the control tree says, a `while` loop's condition is out of
    /// range, or (when writing) a loop that moves along the record would move a bit out of its
    /// register or shift a condition on a whole register.
    pub fn op(&mut self, op: &TimedOp, mut s: Option<&mut String>) -> Result<u64, AssembleError> {
        while self
            .current
            .as_ref()
            .is_none_or(|c| self.text_index >= c.text_end)
        {
            self.end_current();
            if !self.enter_next(s.as_deref_mut())? {
                return Err(AssembleError::Structure(
                    "the control tree and the text differ in length",
                ));
            }
        }
        self.text_index += 1;
        let Some(cur) = self.current.as_mut() else {
            return Err(AssembleError::Structure("a node past the text"));
        };
        cur.start_ns = cur.start_ns.min(op.start_ns);
        cur.end_ns = cur.end_ns.max(op.start_ns + op.duration_ns);
        if let Some(s) = s {
            let p = self.shell;
            let mut line = String::new();
            if cur.shifts.is_empty() {
                self.writer.op(&mut line, op);
            } else {
                let shifts: Vec<&(String, u64, u64)> = cur.shifts.iter().collect();
                check_shiftable(op, p, &shifts)?;
                self.writer
                    .op_with_bits(&mut line, op, &|b| strided_bit(&p.cregs, b, &shifts));
            }
            let _ = write!(s, "{}{line}", cur.indent);
        }
        Ok(cur.times)
    }

    /// Closes what is still open, appending to `s` when given; returns the program's duration
    /// (each `while` loop once).
    ///
    /// # Errors
    /// When the control tree holds operations the text did not, or a `while` loop's condition
    /// is out of range.
    pub fn finish(mut self, mut s: Option<&mut String>) -> Result<f64, AssembleError> {
        self.end_current();
        if self.current.is_some() {
            return Err(AssembleError::Structure(
                "the control tree and the text differ in length",
            ));
        }
        while self.enter_next(s.as_deref_mut())? {
            if self.current.is_some() {
                return Err(AssembleError::Structure(
                    "the control tree and the text differ in length",
                ));
            }
        }
        self.close_until(usize::MAX, s);
        Ok(self.span_ns)
    }

    /// Adds the finished `Ops` node's duration to the loop around it (or the top level).
    fn end_current(&mut self) {
        let Some(cur) = &self.current else { return };
        if self.text_index < cur.text_end {
            return;
        }
        let span = (cur.end_ns - cur.start_ns).max(0.0);
        match self.open.last_mut() {
            Some(f) => f.span_ns += span,
            None => self.span_ns += span,
        }
        self.current = None;
    }

    /// Closes the loops that end at or before node `i`.
    fn close_until(&mut self, i: usize, mut s: Option<&mut String>) {
        while self.open.last().is_some_and(|o| o.end <= i) {
            let Some(f) = self.open.pop() else { break };
            let span = match f.count {
                Some(count) => f.span_ns * count as f64,
                None => f.span_ns,
            };
            match self.open.last_mut() {
                Some(parent) => parent.span_ns += span,
                None => self.span_ns += span,
            }
            if let Some(s) = s.as_deref_mut() {
                let _ = writeln!(s, "{}}}", "  ".repeat(self.open.len()));
            }
        }
    }

    /// Enters the next node (closing the loops that end before it); `false` when none is left.
    fn enter_next(&mut self, mut s: Option<&mut String>) -> Result<bool, AssembleError> {
        let i = self.next;
        let Some(node) = self.control.nodes().get(i) else {
            return Ok(false);
        };
        self.next += 1;
        self.close_until(i, s.as_deref_mut());
        let indent = "  ".repeat(self.open.len());
        let outer = self.open.last().map_or(1, |f| f.times);
        match node.kind {
            NodeKind::Ops(n) => {
                if node.text_start != self.text_index {
                    return Err(AssembleError::Structure(
                        "the control tree and the text differ in length",
                    ));
                }
                self.current = Some(Current {
                    text_end: node.text_start.saturating_add(n),
                    shifts: self
                        .open
                        .iter()
                        .filter_map(|o| o.var.clone())
                        .filter(|(_, stride, _)| *stride > 0)
                        .collect(),
                    indent,
                    times: outer,
                    start_ns: f64::INFINITY,
                    end_ns: 0.0,
                });
            }
            NodeKind::Repeat { count, stride } => {
                let name = format!("_r{}", self.open.len());
                if let Some(s) = s {
                    let _ = writeln!(
                        s,
                        "{indent}for uint {name} in [0:{}] {{",
                        count.saturating_sub(1)
                    );
                }
                self.open.push(Frame {
                    end: node.end as usize,
                    var: Some((name, stride, count)),
                    count: Some(count),
                    times: outer.saturating_mul(count),
                    span_ns: 0.0,
                });
            }
            NodeKind::While { cond } => {
                let p = self.shell;
                let c = p
                    .conditions
                    .get(cond as usize)
                    .ok_or(AssembleError::Structure(
                        "a while loop's condition out of range",
                    ))?;
                if let Some(s) = s {
                    let shifts: Vec<&(String, u64, u64)> = self
                        .open
                        .iter()
                        .filter_map(|o| o.var.as_ref())
                        .filter(|(_, stride, _)| *stride > 0)
                        .collect();
                    let text = qasm3_condition(c, &p.cregs, &|b| strided_bit(&p.cregs, b, &shifts));
                    let _ = writeln!(s, "{indent}while ({text}) {{");
                }
                self.open.push(Frame {
                    end: node.end as usize,
                    var: None,
                    count: None,
                    times: outer,
                    span_ns: 0.0,
                });
            }
        }
        Ok(true)
    }
}
