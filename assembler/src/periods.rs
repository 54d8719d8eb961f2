//! Loops found again in flattened programs: a QEC round written out a thousand times, Grover
//! iterations, Trotter steps. A run of operations repeated back to back, up to a shift of the
//! classical bits it measures and reads (the measurement record moving along), becomes a counted
//! loop of the control section ([`eqisa_isa::control`]), so that periodic structure costs what a
//! loop costs, and the decoder replays it from the buffer the program declares.
//!
//! # When a repeat becomes a loop
//!
//! The control section starts every node and iteration when everything before it has ended.
//! A repeat is therefore taken only between *aligned* points of the flat schedule: points where
//! every qubit of the program is free at the same instant (after a barrier over all qubits, as
//! Stim's export writes at each `TICK`). Between two such points every operation starts where a
//! scheduler started afresh at the first would put it, so the loop's timing is the flat
//! program's, bit for bit. Times must also be exact binary fractions (multiples of 2^-10 ns below
//! 2^40 ns), so that moving them by a node's start is exact; the default targets' durations are
//! whole nanoseconds.
//!
//! # How repeats are found
//!
//! The flat program is cut at its aligned points into *layers*. A layer is compared with the
//! layers that came before within a window of operations: when the last `2P` layers are two
//! copies of the same `P` layers (equal operations, qubits, times and durations; measured and
//! read bits moved by one stride), a loop starts, and grows for as long as the next layers
//! continue it. A loop is kept once it saves [`MIN_SAVED_OPS`] operations; its body is at most
//! half the window. The finder reads each operation once and holds the window, not the program.

use std::collections::VecDeque;
use std::hash::{Hash, Hasher};

use eqisa_ir::circuit::CondExpr;
use eqisa_isa::control::{ControlBuilder, MAX_NODES, MAX_REPLAY_OPS, NodeKind};
use eqisa_lower::program::{NativeOp, NativeProgram, TimedOp};
use rustc_hash::{FxHashMap, FxHasher};

use crate::error::AssembleError;
use crate::structured::{Structured, shift_condition};

/// Operations a loop must save (beyond its body) to be kept: below, the node costs about what
/// coding the copies does.
pub const MIN_SAVED_OPS: u64 = 32;
/// Default window: operations held while looking for a repeat (a loop body holds at most half).
pub const DEFAULT_WINDOW_OPS: usize = 1 << 18;
/// Earlier layers of the same shape tried as the start of a period.
const CANDIDATES: usize = 8;
/// Times are multiples of this many parts of a nanosecond…
const TIME_GRAIN: f64 = 1024.0;
/// … and below this many nanoseconds, so that sums and differences of them are exact.
const TIME_LIMIT_NS: f64 = (1u64 << 40) as f64;

/// One operation of a layer, its condition resolved.
#[derive(Clone, Debug, PartialEq)]
struct Op {
    op: TimedOp,
    cond: Option<CondExpr>,
}

/// The operations between two aligned points.
#[derive(Clone, Debug)]
struct Layer {
    ops: Vec<Op>,
    /// When the layer starts (every qubit free).
    start_ns: f64,
    /// When the next one may start.
    end_ns: f64,
    /// Hash of everything but the classical bits, times taken from the layer's start.
    shape: u64,
}

/// What the finder hands on, in program order.
#[derive(Clone, Debug)]
pub enum Segment {
    /// Operations that run once (absolute times).
    Straight(Vec<(TimedOp, Option<CondExpr>)>),
    /// A body (absolute times of its first iteration) run `count` times, iteration `k` with its
    /// classical bits shifted by `k · stride`.
    Repeat {
        /// The first iteration.
        body: Vec<(TimedOp, Option<CondExpr>)>,
        /// Iterations (at least 2).
        count: u64,
        /// Classical-bit shift per iteration.
        stride: u64,
    },
}

/// A repeat under way: layers `start..start + period` of the pending queue are its body.
#[derive(Clone, Copy, Debug)]
struct Active {
    /// Global index of the body's first layer.
    start: u64,
    /// Layers per iteration.
    period: usize,
    /// Operations per iteration.
    body_ops: u64,
    stride: u64,
    /// Layers matched after the body.
    matched: u64,
    /// Whether it saves enough to be kept: its completed iterations are then dropped from the
    /// queue as they complete.
    committed: bool,
}

impl Active {
    fn iterations(&self) -> u64 {
        1 + self.matched / self.period as u64
    }
}

/// Finds repeats in a stream of scheduled operations (see the module documentation).
#[derive(Debug)]
pub struct LoopFinder {
    /// Qubits' free times, to tell aligned points.
    free: Vec<f64>,
    max_end: f64,
    /// Qubits whose free time is `max_end`.
    at_max: usize,
    /// The layer being read (not yet closed by an aligned point).
    open: Vec<Op>,
    open_start: f64,
    /// Whether the layer being read lost its first operations to the window (it did not start
    /// at an aligned point as far as loops are concerned, and never joins one).
    open_tainted: bool,
    /// Closed layers not yet handed on; `pending[0]` has global index `base`.
    pending: VecDeque<Layer>,
    base: u64,
    pending_ops: usize,
    /// Global indices of recent layers by shape.
    seen: FxHashMap<u64, VecDeque<u64>>,
    active: Option<Active>,
    window_ops: usize,
    out: Vec<Segment>,
    /// Whether every time so far was exact enough to move; once not, no more loops are made.
    exact_times: bool,
    nodes: u64,
}

impl LoopFinder {
    /// A finder for a program of `num_qubits` qubits holding at most about `window_ops`
    /// operations while it looks (at least 64).
    #[must_use]
    pub fn new(num_qubits: u32, window_ops: usize) -> LoopFinder {
        LoopFinder {
            free: vec![0.0; num_qubits as usize],
            max_end: 0.0,
            at_max: num_qubits as usize,
            open: Vec::new(),
            open_start: 0.0,
            open_tainted: false,
            pending: VecDeque::new(),
            base: 0,
            pending_ops: 0,
            seen: FxHashMap::default(),
            active: None,
            window_ops: window_ops.max(64),
            out: Vec::new(),
            exact_times: true,
            nodes: 0,
        }
    }

    /// The program now has `num_qubits` qubits (a register declared after the first
    /// operations): the new ones have been free since time 0.
    pub fn grow(&mut self, num_qubits: u32) {
        let n = num_qubits as usize;
        if n > self.free.len() {
            if self.max_end == 0.0 {
                self.at_max += n - self.free.len();
            }
            self.free.resize(n, 0.0);
        }
    }

    /// No loop from here on: the repeat under way ends, and times are no longer trusted.
    pub fn stop(&mut self) {
        self.exact_times = false;
    }

    /// The next operation of the flat program, with its ASAP start and duration and its
    /// condition.
    pub fn push(&mut self, op: TimedOp, cond: Option<CondExpr>) {
        let end = op.start_ns + op.duration_ns;
        self.exact_times &= exact(op.start_ns) && exact(op.duration_ns) && exact(end);
        for &q in &op.qubits {
            let Some(f) = self.free.get_mut(q as usize) else {
                continue;
            };
            if f.to_bits() == self.max_end.to_bits() {
                self.at_max = self.at_max.saturating_sub(1);
            }
            *f = end;
            if end > self.max_end {
                self.max_end = end;
                self.at_max = 0;
            }
            if end.to_bits() == self.max_end.to_bits() {
                self.at_max += 1;
            }
        }
        self.open.push(Op { op, cond });
        if self.at_max == self.free.len() {
            self.close_layer();
        } else if self.open.len() > self.window_ops {
            // No aligned point for a whole window: hand everything on as it is.
            self.end_active();
            let rest: Vec<Layer> = self.pending.drain(..).collect();
            self.base += rest.len() as u64;
            self.pending_ops = 0;
            self.emit_straight(rest);
            let open = std::mem::take(&mut self.open);
            self.emit_ops(open);
            self.open_tainted = true;
        }
    }

    /// Segments ready to be handed on (the finder keeps only its window).
    pub fn drain(&mut self) -> std::vec::Drain<'_, Segment> {
        self.out.drain(..)
    }

    /// Everything left, once the last operation has been pushed.
    #[must_use]
    pub fn finish(mut self) -> Vec<Segment> {
        if !self.open.is_empty() {
            // The program's tail: not aligned, never part of a loop.
            self.end_active();
            let end = self.max_end;
            let open = std::mem::take(&mut self.open);
            let layer = self.layer_of(open, end);
            self.pending.push_back(layer);
        } else {
            self.end_active();
        }
        let rest: Vec<Layer> = self.pending.drain(..).collect();
        self.emit_straight(rest);
        self.out
    }

    fn layer_of(&self, ops: Vec<Op>, end_ns: f64) -> Layer {
        let start_ns = self.open_start;
        let mut h = FxHasher::default();
        ops.len().hash(&mut h);
        (end_ns - start_ns).to_bits().hash(&mut h);
        for o in &ops {
            hash_op(o, start_ns, &mut h);
        }
        Layer {
            ops,
            start_ns,
            end_ns,
            shape: h.finish(),
        }
    }

    fn close_layer(&mut self) {
        let ops = std::mem::take(&mut self.open);
        let end = self.max_end;
        let layer = self.layer_of(ops, end);
        self.open_start = end;
        if !self.exact_times || self.open_tainted {
            self.open_tainted = false;
            self.end_active();
            self.push_pending(layer);
            self.trim();
            return;
        }
        let index = self.base + self.pending.len() as u64;
        if let Some(a) = self.active {
            if self.continues(&a, &layer) {
                self.extend_active(layer);
                return;
            }
            self.end_active();
        }
        let shape = layer.shape;
        self.push_pending(layer);
        self.detect(index, shape);
        let seen = self.seen.entry(shape).or_default();
        seen.push_front(index);
        seen.truncate(CANDIDATES);
        self.trim();
        if self.seen.len() > 2 * self.pending.len() + 1024 {
            // Shapes only seen before the window can no longer start a period.
            let base = self.base;
            self.seen.retain(|_, v| v.iter().any(|&j| j >= base));
        }
    }

    fn push_pending(&mut self, layer: Layer) {
        self.pending_ops += layer.ops.len();
        self.pending.push_back(layer);
    }

    fn layer(&self, index: u64) -> Option<&Layer> {
        self.pending
            .get(usize::try_from(index.checked_sub(self.base)?).ok()?)
    }

    /// Whether `layer` is the next layer of the repeat under way.
    fn continues(&self, a: &Active, layer: &Layer) -> bool {
        let phase = a.matched % a.period as u64;
        let iteration = 1 + a.matched / a.period as u64;
        let Some(model) = self.layer(a.start + phase) else {
            return false;
        };
        model.shape == layer.shape
            && a.stride
                .checked_mul(iteration)
                .is_some_and(|shift| same_layer(model, layer, shift))
    }

    fn extend_active(&mut self, layer: Layer) {
        let Some(mut a) = self.active else { return };
        a.matched += 1;
        self.push_pending(layer);
        let complete = a.matched % a.period as u64 == 0;
        if !a.committed && (a.iterations() - 1).saturating_mul(a.body_ops) >= MIN_SAVED_OPS {
            a.committed = true;
            // What came before the body goes on as it is.
            let before = usize::try_from(a.start - self.base).unwrap_or(0);
            let straight: Vec<Layer> = self.pop_front(before);
            self.emit_straight(straight);
        }
        if a.committed && complete {
            // Keep the body, drop the iterations now proven equal to it.
            let body_end = a.period;
            while self.pending.len() > body_end {
                if let Some(l) = self.pending.pop_back() {
                    self.pending_ops -= l.ops.len();
                }
            }
        }
        self.active = Some(a);
    }

    /// Ends the repeat under way: a kept one is handed on with the layers of its unfinished
    /// iteration left in the queue; one that saved too little leaves every layer there.
    fn end_active(&mut self) {
        let Some(a) = self.active.take() else { return };
        if !a.committed {
            return;
        }
        let body: Vec<Layer> = self.pop_front(a.period);
        let mut ops = Vec::with_capacity(a.body_ops as usize);
        for l in body {
            ops.extend(l.ops.into_iter().map(|o| (o.op, o.cond)));
        }
        self.nodes += 1;
        self.out.push(Segment::Repeat {
            body: ops,
            count: a.iterations(),
            stride: a.stride,
        });
    }

    fn pop_front(&mut self, n: usize) -> Vec<Layer> {
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            let Some(l) = self.pending.pop_front() else {
                break;
            };
            self.pending_ops -= l.ops.len();
            self.base += 1;
            v.push(l);
        }
        v
    }

    /// Looks for a period ending at layer `index` (just queued), among earlier layers of the
    /// same shape, shortest first.
    fn detect(&mut self, index: u64, shape: u64) {
        if self.nodes + 2 >= MAX_NODES / 2 {
            return;
        }
        let Some(candidates) = self.seen.get(&shape).cloned() else {
            return;
        };
        for j in candidates {
            if j >= index || j < self.base {
                continue;
            }
            let period = index - j;
            let Some(first) = (index + 1).checked_sub(2 * period) else {
                continue;
            };
            if first < self.base {
                continue;
            }
            if let Some(a) = self.period_at(first, period) {
                // Re-queued through `extend_active`, which keeps a repeat that already saves
                // enough.
                self.active = Some(Active {
                    matched: a.matched - 1,
                    ..a
                });
                if let Some(l) = self.pending.pop_back() {
                    self.pending_ops -= l.ops.len();
                    self.extend_active(l);
                }
                return;
            }
        }
    }

    /// Whether layers `first + period..first + 2·period` repeat layers `first..first + period`,
    /// and with which stride.
    fn period_at(&self, first: u64, period: u64) -> Option<Active> {
        let (mut body_ops, mut stride) = (0u64, None);
        for k in 0..period {
            let (a, b) = (self.layer(first + k)?, self.layer(first + period + k)?);
            if a.shape != b.shape {
                return None;
            }
            body_ops += a.ops.len() as u64;
            if stride.is_none() {
                stride = first_stride(a, b)?;
            }
        }
        let stride = stride.unwrap_or(0);
        if body_ops == 0 || body_ops > MAX_REPLAY_OPS || body_ops as usize > self.window_ops / 2 {
            return None;
        }
        for k in 0..period {
            if !same_layer(
                self.layer(first + k)?,
                self.layer(first + period + k)?,
                stride,
            ) {
                return None;
            }
        }
        Some(Active {
            start: first,
            period: usize::try_from(period).ok()?,
            body_ops,
            stride,
            matched: period,
            committed: false,
        })
    }

    /// Hands on the oldest layers while the queue holds more than the window (never those of a
    /// repeat under way).
    fn trim(&mut self) {
        let keep_from = self.active.map_or(u64::MAX, |a| a.start);
        let mut old = Vec::new();
        while self.pending_ops > self.window_ops && self.base < keep_from {
            let Some(l) = self.pending.pop_front() else {
                break;
            };
            self.pending_ops -= l.ops.len();
            self.base += 1;
            old.push(l);
        }
        self.emit_straight(old);
    }

    fn emit_straight(&mut self, layers: Vec<Layer>) {
        self.emit_ops(layers.into_iter().flat_map(|l| l.ops).collect());
    }

    fn emit_ops(&mut self, ops: Vec<Op>) {
        if ops.is_empty() {
            return;
        }
        let ops = ops.into_iter().map(|o| (o.op, o.cond));
        if let Some(Segment::Straight(v)) = self.out.last_mut() {
            v.extend(ops);
        } else {
            self.nodes += 1;
            self.out.push(Segment::Straight(ops.collect()));
        }
    }
}

fn exact(t: f64) -> bool {
    let scaled = t * TIME_GRAIN;
    (0.0..TIME_LIMIT_NS).contains(&t) && scaled.fract() == 0.0
}

fn hash_op(o: &Op, origin: f64, h: &mut FxHasher) {
    let op = &o.op;
    match op.op {
        NativeOp::Measure { .. } => u8::MAX.hash(h),
        NativeOp::Rz(a) => a.to_bits().hash(h),
        NativeOp::Delay { ns } => ns.to_bits().hash(h),
        _ => {}
    }
    op.op.name().hash(h);
    op.qubits.hash(h);
    (op.start_ns - origin).to_bits().hash(h);
    op.duration_ns.to_bits().hash(h);
    o.cond.is_some().hash(h);
}

/// The shift from `a`'s first classical bit to `b`'s: `Some(None)` when neither has one,
/// `None` when they cannot be one shift apart.
fn first_stride(a: &Layer, b: &Layer) -> Option<Option<u64>> {
    match (first_bit(a), first_bit(b)) {
        (None, None) => Some(None),
        (Some(x), Some(y)) if y >= x => Some(Some(u64::from(y - x))),
        _ => None,
    }
}

fn first_bit(l: &Layer) -> Option<u32> {
    l.ops.iter().find_map(|o| match (o.op.op, &o.cond) {
        (NativeOp::Measure { clbit }, _) => Some(clbit),
        (_, Some(c)) => cond_bit(c),
        _ => None,
    })
}

fn cond_bit(c: &CondExpr) -> Option<u32> {
    match c {
        CondExpr::Bit(b) => Some(*b),
        CondExpr::Not(e) => cond_bit(e),
        CondExpr::Binary(_, a, b) => cond_bit(a).or_else(|| cond_bit(b)),
        _ => None,
    }
}

/// Whether `b` is `a` with every classical bit moved up by `shift`, at the same offsets from
/// the layers' starts.
fn same_layer(a: &Layer, b: &Layer, shift: u64) -> bool {
    a.ops.len() == b.ops.len()
        && (a.end_ns - a.start_ns).to_bits() == (b.end_ns - b.start_ns).to_bits()
        && a.ops.iter().zip(&b.ops).all(|(x, y)| {
            let op = match (x.op.op, y.op.op) {
                (NativeOp::Measure { clbit: p }, NativeOp::Measure { clbit: q }) => {
                    u64::from(p) + shift == u64::from(q)
                }
                (p, q) => p == q,
            };
            let cond = match (&x.cond, &y.cond) {
                (None, None) => true,
                (Some(p), Some(q)) => shift_condition(p, shift).as_ref() == Some(q),
                _ => false,
            };
            op && cond
                && x.op.qubits == y.op.qubits
                && (x.op.start_ns - a.start_ns).to_bits() == (y.op.start_ns - b.start_ns).to_bits()
                && x.op.duration_ns.to_bits() == y.op.duration_ns.to_bits()
        })
}

/// The loops of flat program `p` (scheduled as soon as possible) found with a window of
/// `window_ops` operations, as a structured program; `None` when no repeat saves enough.
///
/// # Errors
/// Only for a control tree the format refuses (it is built within its limits).
pub fn find_loops(
    p: &NativeProgram,
    window_ops: usize,
) -> Result<Option<Structured>, AssembleError> {
    let mut finder = LoopFinder::new(p.num_qubits, window_ops);
    let mut segments = Vec::new();
    for op in &p.ops {
        let cond = op.cond.and_then(|c| p.conditions.get(c as usize).cloned());
        finder.push(op.clone(), cond);
        segments.extend(finder.drain());
    }
    segments.extend(finder.finish());
    if !segments.iter().any(|s| matches!(s, Segment::Repeat { .. })) {
        return Ok(None);
    }
    let mut builder = TextBuilder::new(p);
    for s in segments {
        builder.add(s)?;
    }
    builder.finish().map(Some)
}

/// Builds a structured program's text and control tree from segments, in order.
#[derive(Debug)]
pub struct TextBuilder {
    text: NativeProgram,
    tree: ControlBuilder,
    /// Each distinct condition once, in order of first use (as the lowering numbers them).
    cond_index: FxHashMap<CondExpr, u32>,
}

impl TextBuilder {
    /// An empty program with `model`'s registers, target and angle grid.
    #[must_use]
    pub fn new(model: &NativeProgram) -> TextBuilder {
        TextBuilder {
            text: NativeProgram {
                ops: Vec::new(),
                conditions: Vec::new(),
                duration_ns: 0.0,
                ..model.clone()
            },
            tree: ControlBuilder::new(),
            cond_index: FxHashMap::default(),
        }
    }

    /// Appends a segment: its operations to the text, timed from the segment's start (an
    /// aligned point), and its node to the tree.
    ///
    /// # Errors
    /// When the tree would pass the format's limits.
    pub fn add(&mut self, segment: Segment) -> Result<(), AssembleError> {
        match segment {
            Segment::Straight(ops) => {
                let n = ops.len() as u64;
                if n > 0 {
                    self.append(ops);
                    self.tree.ops(n)?;
                }
            }
            Segment::Repeat {
                body,
                count,
                stride,
            } => {
                let n = body.len() as u64;
                self.tree.open(NodeKind::Repeat { count, stride })?;
                self.append(body);
                self.tree.ops(n)?;
                self.tree.close()?;
            }
        }
        Ok(())
    }

    fn append(&mut self, ops: Vec<(TimedOp, Option<CondExpr>)>) {
        let origin = ops
            .iter()
            .map(|(o, _)| o.start_ns)
            .fold(f64::INFINITY, f64::min);
        for (mut op, cond) in ops {
            op.start_ns -= origin;
            op.cond = cond.map(|c| {
                let next = self.text.conditions.len() as u32;
                *self.cond_index.entry(c.clone()).or_insert_with(|| {
                    self.text.conditions.push(c);
                    next
                })
            });
            self.text.ops.push(op);
        }
    }

    /// The structured program.
    ///
    /// # Errors
    /// When the tree is refused (limits).
    pub fn finish(self) -> Result<Structured, AssembleError> {
        let control = self.tree.finish()?;
        let mut s = Structured {
            text: self.text,
            control,
        };
        s.text.duration_ns = s.duration_ns();
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_lower::target::{TargetDesc, TargetKind};
    use proptest::prelude::*;
    use smallvec::{SmallVec, smallvec};

    /// A program of `prefix` layers, `rounds` copies of a round measuring `per_round` bits
    /// (and, with `feedback`, flipping a qubit on the round's first bit), and a tail; with
    /// `barriers`, a barrier over every qubit ends each layer.
    fn program(rounds: u32, barriers: bool, feedback: bool, dur: f64) -> NativeProgram {
        let nq = 5u32;
        let mut p = NativeProgram {
            target: TargetKind::CliffordT,
            num_qubits: nq,
            num_clbits: 0,
            qregs: Vec::new(),
            cregs: Vec::new(),
            ops: Vec::new(),
            conditions: Vec::new(),
            duration_ns: 0.0,
            angle_bits: 0,
        };
        let op = |op: NativeOp, qubits: &[u32]| TimedOp {
            op,
            qubits: qubits.iter().copied().collect(),
            cond: None,
            start_ns: 0.0,
            duration_ns: 0.0,
        };
        let barrier = |p: &mut NativeProgram| {
            if barriers {
                p.ops.push(op(NativeOp::Barrier, &[0, 1, 2, 3, 4]));
            }
        };
        for q in 0..nq {
            p.ops.push(op(NativeOp::Reset, &[q]));
        }
        barrier(&mut p);
        let mut bit = 0u32;
        for _ in 0..rounds {
            p.ops.push(op(NativeOp::H, &[3]));
            p.ops.push(op(NativeOp::H, &[4]));
            barrier(&mut p);
            p.ops.push(op(NativeOp::Cx, &[3, 0]));
            p.ops.push(op(NativeOp::Cx, &[4, 1]));
            barrier(&mut p);
            p.ops.push(op(NativeOp::Cx, &[3, 1]));
            p.ops.push(op(NativeOp::Cx, &[4, 2]));
            barrier(&mut p);
            for q in [3, 4] {
                p.ops.push(op(NativeOp::Measure { clbit: bit }, &[q]));
                p.ops.push(op(NativeOp::Reset, &[q]));
                bit += 1;
            }
            if feedback {
                p.conditions.push(CondExpr::Bit(bit - 2));
                let mut x = op(NativeOp::X, &[0]);
                x.cond = Some(p.conditions.len() as u32 - 1);
                p.ops.push(x);
            }
            barrier(&mut p);
        }
        for q in 0..3 {
            p.ops.push(op(NativeOp::Measure { clbit: bit }, &[q]));
            bit += 1;
        }
        p.num_clbits = bit;
        let mut target = TargetDesc::default_for(TargetKind::CliffordT);
        for d in target.durations_ns.values_mut() {
            if *d > 0.0 {
                *d = dur;
            }
        }
        p.schedule(&target);
        p
    }

    /// Every operation of `a` and `b` alike, conditions compared as expressions.
    fn same_program(a: &NativeProgram, b: &NativeProgram) -> bool {
        a.ops.len() == b.ops.len()
            && a.duration_ns.to_bits() == b.duration_ns.to_bits()
            && a.ops.iter().zip(&b.ops).all(|(x, y)| {
                let cx = x.cond.map(|c| &a.conditions[c as usize]);
                let cy = y.cond.map(|c| &b.conditions[c as usize]);
                x.op == y.op
                    && x.qubits == y.qubits
                    && x.start_ns.to_bits() == y.start_ns.to_bits()
                    && x.duration_ns.to_bits() == y.duration_ns.to_bits()
                    && cx == cy
            })
    }

    fn counts(s: &Structured) -> Vec<(u64, u64)> {
        s.control
            .nodes()
            .iter()
            .filter_map(|n| match n.kind {
                NodeKind::Repeat { count, stride } => Some((count, stride)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn rounds_between_barriers_become_one_loop_that_unrolls_to_the_program() {
        for feedback in [false, true] {
            let p = program(40, true, feedback, 32.0);
            let s = find_loops(&p, DEFAULT_WINDOW_OPS).unwrap().expect("a loop");
            assert_eq!(counts(&s), vec![(40, 2)]);
            let u = s.unrolled(1 << 20).expect("unrolls");
            assert!(same_program(&p, &u), "feedback {feedback}");
            assert!(s.text.ops.len() < p.ops.len() / 10);
        }
    }

    #[test]
    fn without_aligned_points_or_exact_times_nothing_is_found() {
        // No barrier: the qubits never all free at once.
        assert!(
            find_loops(&program(40, false, false, 32.0), DEFAULT_WINDOW_OPS)
                .unwrap()
                .is_none()
        );
        // Durations that are no binary fraction: moving times by a node's start could round.
        assert!(
            find_loops(&program(40, true, false, 35.55), DEFAULT_WINDOW_OPS)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn too_few_rounds_leave_the_program_flat() {
        // Two rounds of 14 operations save fewer than MIN_SAVED_OPS; four save enough.
        let find = |rounds| find_loops(&program(rounds, true, false, 32.0), DEFAULT_WINDOW_OPS);
        assert!(find(2).unwrap().is_none());
        assert!(find(4).unwrap().is_some());
    }

    #[test]
    fn the_finder_streams_segments_within_its_window() {
        let p = program(2000, true, true, 32.0);
        let mut f = LoopFinder::new(p.num_qubits, 256);
        let mut most = 0usize;
        for op in &p.ops {
            let cond = op.cond.map(|c| p.conditions[c as usize].clone());
            f.push(op.clone(), cond);
            most = most.max(f.pending_ops + f.open.len());
            let _ = f.drain().count();
        }
        assert!(most <= 256 + 16, "held {most} operations");
    }

    proptest! {
        /// Any program made of blocks of random layers repeated a random number of times comes
        /// back exactly from its loops.
        #[test]
        fn random_repeats_unroll_to_the_program(
            blocks in proptest::collection::vec(
                (proptest::collection::vec(proptest::collection::vec((0u8..6, 0u32..4, 0u32..4), 1..4), 1..4), 1u64..12),
                1..6),
            window in 64usize..400,
        ) {
            let nq = 4u32;
            let mut p = program(0, true, false, 32.0);
            p.ops.clear();
            p.conditions.clear();
            let mut bit = 0u32;
            for (layers, reps) in &blocks {
                for _ in 0..*reps {
                    for layer in layers {
                        for &(kind, a, b) in layer {
                            let (op, qubits): (NativeOp, SmallVec<[u32; 2]>) = match kind {
                                0 => (NativeOp::H, smallvec![a]),
                                1 => (NativeOp::T, smallvec![a]),
                                2 if a != b => (NativeOp::Cx, smallvec![a, b]),
                                3 => {
                                    bit += 1;
                                    (NativeOp::Measure { clbit: bit - 1 }, smallvec![a])
                                }
                                4 if bit > 0 => {
                                    p.conditions.push(CondExpr::Bit(bit - 1));
                                    let op = TimedOp { op: NativeOp::X, qubits: smallvec![a], cond: Some(p.conditions.len() as u32 - 1), start_ns: 0.0, duration_ns: 0.0 };
                                    p.ops.push(op);
                                    continue;
                                }
                                _ => (NativeOp::S, smallvec![b]),
                            };
                            p.ops.push(TimedOp { op, qubits, cond: None, start_ns: 0.0, duration_ns: 0.0 });
                        }
                        p.ops.push(TimedOp { op: NativeOp::Barrier, qubits: (0..nq).collect(), cond: None, start_ns: 0.0, duration_ns: 0.0 });
                    }
                }
            }
            p.num_qubits = nq;
            p.num_clbits = bit;
            p.schedule(&TargetDesc::default_for(TargetKind::CliffordT));
            if let Some(s) = find_loops(&p, window).unwrap() {
                let u = s.unrolled(1 << 20).expect("unrolls");
                prop_assert!(same_program(&p, &u));
                // A body fits in half the window.
                prop_assert!(s.control.replay_ops as usize <= window.max(64) / 2);
            }
        }
    }
}
