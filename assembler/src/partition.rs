//! One stream per controller: a program (flat, or with its loops) cut by qubit into
//! per-controller programs, each timed in the global program's time, so that each controller's
//! decoder alone gives its operations' global start times (the file format and its
//! synchronisation tables are [`eqisa_isa::container::streams`]).
//!
//! **Default partition**: contiguous qubit ranges. `--controllers N` cuts the program's `n`
//! qubits into `N` ranges whose sizes differ by at most one (the first `n mod N` ranges hold one
//! more); `--qubits-per-controller K` into ranges of `K` (the last may be shorter).
//!
//! **Per node**: the control tree is kept in every stream (the same `Repeat` counts and strides,
//! the same `While` conditions); each `Ops` node holds the operations touching the controller's
//! qubits, in text order. A controller's copy of an operation starts when the global program
//! starts it: where its own scheduler would start it earlier, one `delay` on one of its qubits
//! comes first (its duration chosen to the last bit so that the sum lands exactly on the global
//! start), and a node whose operations end before the global node's end gets a trailing `delay`
//! so that the next node starts aligned as in the global program. A node that holds none of the
//! controller's operations and lasts no time is dropped (timing stays exact); one that lasts is
//! a single `delay`.
//!
//! **What crosses**: a two-qubit gate across controllers is in both streams, the partner's qubit
//! a *port* (a local qubit past the controller's own); a barrier is cut to each controller's
//! own qubits (the waits align them); a condition reading a bit another controller measures is
//! an import of the reader and an export of the measurer.

use std::ops::Range;

use eqisa_ir::circuit::Register;
use eqisa_isa::container::streams::StreamEntry;
use eqisa_isa::control::{Control, ControlBuilder, NodeKind};
use eqisa_lower::program::{NativeOp, NativeProgram, TimedOp, collect_bits};
use smallvec::SmallVec;

use crate::error::AssembleError;
use crate::structured::Structured;

/// How the qubits are cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// At most this many qubits per controller (`--qubits-per-controller`).
    QubitsPerController(u64),
    /// This many controllers (`--controllers`).
    Controllers(u64),
}

/// Why a program cannot be cut into per-controller streams.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PartitionError {
    /// A count of zero, or one past what a file may hold.
    #[error("{option} must be between 1 and {max}, not {found}")]
    Count {
        /// The command-line option (`--controllers`, `--qubits-per-controller`).
        option: &'static str,
        /// What was asked.
        found: u64,
        /// The largest allowed.
        max: u64,
    },
    /// A controller would drive no qubit.
    #[error(
        "{option} {found}: the program has only {qubits} qubits, so a controller would drive none"
    )]
    NoQubits {
        /// The option.
        option: &'static str,
        /// What was asked.
        found: u64,
        /// The program's qubits.
        qubits: u32,
    },
    /// A controller's qubits run no operation.
    #[error(
        "{option} {found}: controller {controller} (qubits {first}..={last}) runs no operation; use fewer controllers or more qubits each"
    )]
    EmptyController {
        /// The option.
        option: &'static str,
        /// What was asked.
        found: u64,
        /// The empty controller.
        controller: usize,
        /// Its first global qubit.
        first: u32,
        /// Its last global qubit.
        last: u32,
    },
    /// The program itself is inconsistent (its times, tree or operations).
    #[error(transparent)]
    Assemble(#[from] AssembleError),
}

impl Split {
    /// The option's name on the command line.
    #[must_use]
    pub fn option(self) -> &'static str {
        match self {
            Split::QubitsPerController(_) => "--qubits-per-controller",
            Split::Controllers(_) => "--controllers",
        }
    }

    fn value(self) -> u64 {
        match self {
            Split::QubitsPerController(k) | Split::Controllers(k) => k,
        }
    }

    /// The contiguous qubit ranges of each controller for a program of `qubits` qubits.
    ///
    /// # Errors
    /// [`PartitionError::Count`] for 0 or more than
    /// [`eqisa_isa::container::streams::MAX_CONTROLLERS`] controllers (or more qubits per
    /// controller than a program may hold), [`PartitionError::NoQubits`] when a controller
    /// would drive none.
    pub fn ranges(self, qubits: u32) -> Result<Vec<Range<u32>>, PartitionError> {
        let max_controllers = u64::from(eqisa_isa::container::streams::MAX_CONTROLLERS);
        let (option, v) = (self.option(), self.value());
        let max = match self {
            Split::Controllers(_) => max_controllers,
            Split::QubitsPerController(_) => u64::from(eqisa_isa::stream::MAX_QUBITS),
        };
        if v == 0 || v > max {
            return Err(PartitionError::Count {
                option,
                found: v,
                max,
            });
        }
        let n = u64::from(qubits);
        let count = match self {
            Split::Controllers(c) => c,
            Split::QubitsPerController(k) => n.div_ceil(k),
        };
        if n == 0 || count > n {
            return Err(PartitionError::NoQubits {
                option,
                found: v,
                qubits,
            });
        }
        if count > max_controllers {
            return Err(PartitionError::Count {
                option: "--controllers (as --qubits-per-controller implies)",
                found: count,
                max: max_controllers,
            });
        }
        let mut out = Vec::with_capacity(count as usize);
        match self {
            Split::QubitsPerController(k) => {
                let mut s = 0u64;
                while s < n {
                    let e = (s + k).min(n);
                    out.push(s as u32..e as u32);
                    s = e;
                }
            }
            Split::Controllers(c) => {
                let (base, extra) = (n / c, n % c);
                let mut s = 0u64;
                for i in 0..c {
                    let e = s + base + u64::from(i < extra);
                    out.push(s as u32..e as u32);
                    s = e;
                }
            }
        }
        Ok(out)
    }
}

/// One controller's share: its program (timed in global time) and its table entry.
#[derive(Clone, Debug, PartialEq)]
pub struct ControllerProgram {
    /// Its program: its text's qubits are local (own qubits first, then ports).
    pub program: Structured,
    /// Its entry of the multi-stream table.
    pub entry: StreamEntry,
    /// Operations of the global text it holds (without the inserted waits).
    pub own_ops: u64,
    /// `delay`s inserted to keep it in global time.
    pub waits: u64,
}

/// The smallest `d` with `a + d == t` exactly (`a ≤ t`): what a `delay` starting at `a` must
/// last to end at `t`, to the bit.
fn exact_gap(a: f64, t: f64) -> f64 {
    let mut d = (t - a).max(0.0);
    for _ in 0..256 {
        let s = a + d;
        if s.to_bits() == t.to_bits() {
            break;
        }
        d = if s < t { d.next_up() } else { d.next_down() };
    }
    d
}

/// The end (relative to the node's start) of each `Ops` node's operations; 0 for loops.
fn node_ends(s: &Structured) -> Vec<f64> {
    s.control
        .nodes()
        .iter()
        .map(|n| match n.kind {
            NodeKind::Ops(k) => s
                .text
                .ops
                .iter()
                .skip(n.text_start as usize)
                .take(k as usize)
                .map(|o| o.start_ns + o.duration_ns)
                .fold(0.0, f64::max),
            _ => 0.0,
        })
        .collect()
}

/// Per controller, per node: whether the node (its subtree, for a loop) holds one of its
/// operations or lasts some time.
fn keeps(s: &Structured, ends: &[f64], touches: &dyn Fn(&TimedOp) -> bool) -> Vec<bool> {
    let nodes = s.control.nodes();
    let mut keep = vec![false; nodes.len()];
    for i in (0..nodes.len()).rev() {
        let n = nodes[i];
        keep[i] = match n.kind {
            NodeKind::Ops(k) => {
                ends[i] > 0.0
                    || s.text
                        .ops
                        .iter()
                        .skip(n.text_start as usize)
                        .take(k as usize)
                        .any(touches)
            }
            _ => (i + 1..n.end as usize).any(|j| keep[j]),
        };
    }
    keep
}

/// The bits each condition reads.
fn condition_bits(p: &NativeProgram) -> Vec<Vec<u32>> {
    p.conditions
        .iter()
        .map(|c| {
            let mut bits = Vec::new();
            collect_bits(c, &p.cregs, &mut bits);
            bits.sort_unstable();
            bits.dedup();
            bits
        })
        .collect()
}

/// Cut `s` into one program per range of `ranges` (from [`Split::ranges`]).
///
/// # Errors
/// [`PartitionError::EmptyController`] when a controller's qubits run no operation (`split`
/// names the option in the message); [`PartitionError::Assemble`] when the program's text and
/// tree disagree.
pub fn partition(
    s: &Structured,
    ranges: &[Range<u32>],
    split: Split,
) -> Result<Vec<ControllerProgram>, PartitionError> {
    if s.control.text_len() != s.text.ops.len() as u64 {
        return Err(
            AssembleError::Structure("the control tree and the text differ in length").into(),
        );
    }
    let nq = s.text.num_qubits;
    let mut owner = vec![u32::MAX; nq as usize];
    for (c, r) in ranges.iter().enumerate() {
        for q in r.clone() {
            if let Some(o) = owner.get_mut(q as usize) {
                *o = c as u32;
            }
        }
    }
    let owner_of = |q: u32| owner.get(q as usize).copied().unwrap_or(u32::MAX);
    let cond_bits = condition_bits(&s.text);
    let mut watched: Vec<u32> = cond_bits.iter().flatten().copied().collect();
    watched.sort_unstable();
    watched.dedup();
    // Which controllers measure each watched bit.
    let mut producers: Vec<Vec<u32>> = vec![Vec::new(); watched.len()];
    for op in &s.text.ops {
        if let NativeOp::Measure { clbit } = op.op
            && let Ok(i) = watched.binary_search(&clbit)
            && let Some(&q) = op.qubits.first()
        {
            let c = owner_of(q);
            if !producers[i].contains(&c) {
                producers[i].push(c);
            }
        }
    }
    let ends = node_ends(s);
    let mut out = Vec::with_capacity(ranges.len());
    let mut exports: Vec<Vec<(u32, u32)>> = vec![Vec::new(); ranges.len()];
    for (c, range) in ranges.iter().enumerate() {
        let c32 = c as u32;
        let own = range.end - range.start;
        let touches = |op: &TimedOp| op.qubits.iter().any(|&q| owner_of(q) == c32);
        let keep = keeps(s, &ends, &touches);
        let mut entry = StreamEntry {
            qubits: range.clone().collect(),
            ..StreamEntry::default()
        };
        let mut port_of: std::collections::HashMap<u32, u32> = Default::default();
        let mut ops: Vec<TimedOp> = Vec::new();
        let mut b = ControlBuilder::new();
        let mut open: Vec<usize> = Vec::new();
        let mut own_ops = 0u64;
        let mut waits = 0u64;
        let mut free: Vec<f64> = Vec::new();
        let mut bit_free: Vec<f64> = vec![0.0; watched.len()];
        let import = |bits: &[u32], entry: &mut StreamEntry| {
            for &bit in bits {
                if let Ok(i) = watched.binary_search(&bit) {
                    for &p in &producers[i] {
                        if p != c32 && !entry.imports.contains(&(bit, p)) {
                            entry.imports.push((bit, p));
                        }
                    }
                }
            }
        };
        let nodes = s.control.nodes();
        for (i, node) in nodes.iter().enumerate() {
            while open.last().is_some_and(|&end| end <= i) {
                open.pop();
                b.close().map_err(AssembleError::from)?;
            }
            if !keep[i] {
                // A dropped loop's nodes are skipped with it (their `keep` is false too).
                continue;
            }
            let k = match node.kind {
                NodeKind::Ops(k) => k,
                kind => {
                    if let NodeKind::While { cond } = kind {
                        import(
                            cond_bits.get(cond as usize).map_or(&[], Vec::as_slice),
                            &mut entry,
                        );
                    }
                    b.open(kind).map_err(AssembleError::from)?;
                    open.push(node.end as usize);
                    continue;
                }
            };
            // A node starts aligned: every local qubit free at its start.
            free.iter_mut().for_each(|f| *f = 0.0);
            bit_free.iter_mut().for_each(|f| *f = 0.0);
            let first = ops.len();
            let mut end = 0.0f64;
            let from = node.text_start as usize;
            for op in s.text.ops.iter().skip(from).take(k as usize) {
                if !touches(op) {
                    continue;
                }
                let mut lq: SmallVec<[u32; 2]> = SmallVec::new();
                for &q in &op.qubits {
                    if owner_of(q) == c32 {
                        lq.push(q - range.start);
                    } else if op.op != NativeOp::Barrier {
                        let next = own + port_of.len() as u32;
                        let p = *port_of.entry(q).or_insert_with(|| {
                            entry.ports.push(q);
                            next
                        });
                        lq.push(p);
                    }
                }
                let need = lq.iter().map(|&q| q as usize + 1).max().unwrap_or(0);
                if free.len() < need {
                    free.resize(need, 0.0);
                }
                let bits = op.cond.and_then(|c| cond_bits.get(c as usize));
                if let Some(bits) = bits {
                    import(bits, &mut entry);
                }
                let mut start = lq.iter().map(|&q| free[q as usize]).fold(0.0, f64::max);
                for &bit in bits.map_or(&[][..], Vec::as_slice) {
                    if let Ok(j) = watched.binary_search(&bit) {
                        start = start.max(bit_free[j]);
                    }
                }
                let t = op.start_ns;
                if start < t {
                    // Wait on the first of its own qubits.
                    let q = lq.iter().copied().find(|&q| q < own).unwrap_or(lq[0]);
                    let a = free[q as usize];
                    let d = exact_gap(a, t);
                    ops.push(TimedOp {
                        op: NativeOp::Delay { ns: d },
                        qubits: SmallVec::from_slice(&[q]),
                        cond: None,
                        start_ns: a,
                        duration_ns: d,
                    });
                    waits += 1;
                    free[q as usize] = a + d;
                    end = end.max(a + d);
                } else if start > t {
                    return Err(AssembleError::Structure(
                        "an operation starts before its qubits or bits are ready",
                    )
                    .into());
                }
                let stop = t + op.duration_ns;
                for &q in &lq {
                    free[q as usize] = stop;
                }
                if let NativeOp::Measure { clbit } = op.op
                    && let Ok(j) = watched.binary_search(&clbit)
                {
                    bit_free[j] = stop;
                }
                if matches!(op.op, NativeOp::Delay { .. }) {
                    entry.kept_delays.push(ops.len() as u64);
                }
                end = end.max(stop);
                ops.push(TimedOp {
                    op: op.op,
                    qubits: lq,
                    cond: op.cond,
                    start_ns: t,
                    duration_ns: op.duration_ns,
                });
                own_ops += 1;
            }
            let node_end = ends[i];
            if end < node_end {
                if free.is_empty() {
                    free.push(0.0);
                }
                let (q, a) = free.iter().copied().enumerate().take(own as usize).fold(
                    (0usize, f64::NEG_INFINITY),
                    |best, (q, f)| {
                        if f > best.1 { (q, f) } else { best }
                    },
                );
                let a = a.max(0.0);
                let d = exact_gap(a, node_end);
                ops.push(TimedOp {
                    op: NativeOp::Delay { ns: d },
                    qubits: SmallVec::from_slice(&[q as u32]),
                    cond: None,
                    start_ns: a,
                    duration_ns: d,
                });
                waits += 1;
            }
            let n = (ops.len() - first) as u64;
            if n > 0 {
                b.ops(n).map_err(AssembleError::from)?;
            }
        }
        while open.pop().is_some() {
            b.close().map_err(AssembleError::from)?;
        }
        if own_ops == 0 {
            return Err(PartitionError::EmptyController {
                option: split.option(),
                found: split.value(),
                controller: c,
                first: range.start,
                last: range.end.saturating_sub(1),
            });
        }
        let control: Control = b.finish().map_err(AssembleError::from)?;
        for &(bit, p) in &entry.imports {
            if let Some(e) = exports.get_mut(p as usize)
                && !e.contains(&(bit, c32))
            {
                e.push((bit, c32));
            }
        }
        let ports = port_of.len() as u32;
        let mut qregs = vec![Register {
            name: "q".to_string(),
            start: 0,
            size: own,
        }];
        if ports > 0 {
            qregs.push(Register {
                name: "port".to_string(),
                start: own,
                size: ports,
            });
        }
        let duration_ns = ops
            .iter()
            .map(|o| o.start_ns + o.duration_ns)
            .fold(0.0, f64::max);
        let text = NativeProgram {
            target: s.text.target,
            num_qubits: own + ports,
            num_clbits: s.text.num_clbits,
            qregs,
            cregs: s.text.cregs.clone(),
            ops,
            conditions: s.text.conditions.clone(),
            duration_ns,
            angle_bits: s.text.angle_bits,
        };
        entry.imports.sort_unstable();
        out.push(ControllerProgram {
            program: Structured { text, control },
            entry,
            own_ops,
            waits,
        });
    }
    for (cp, mut e) in out.iter_mut().zip(exports) {
        e.sort_unstable();
        cp.entry.exports = e;
    }
    Ok(out)
}

/// A flat program as a [`Structured`] of one node (none for an empty program), so that
/// [`partition`] cuts both alike.
///
/// # Errors
/// For more operations than one node may hold.
pub fn as_structured(p: &NativeProgram) -> Result<Structured, AssembleError> {
    let mut b = ControlBuilder::new();
    if !p.ops.is_empty() {
        b.ops(p.ops.len() as u64)?;
    }
    Ok(Structured {
        text: p.clone(),
        control: b.finish()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_contiguous_and_balanced() {
        let r = Split::Controllers(3).ranges(10).unwrap();
        assert_eq!(r, vec![0..4, 4..7, 7..10]);
        let r = Split::QubitsPerController(4).ranges(10).unwrap();
        assert_eq!(r, vec![0..4, 4..8, 8..10]);
        assert_eq!(Split::Controllers(1).ranges(7).unwrap(), vec![0..7]);
        assert_eq!(
            Split::QubitsPerController(100).ranges(7).unwrap(),
            vec![0..7]
        );
    }

    #[test]
    fn bad_counts_name_the_option() {
        for (split, option) in [
            (Split::Controllers(0), "--controllers"),
            (Split::QubitsPerController(0), "--qubits-per-controller"),
            (Split::Controllers(1 << 40), "--controllers"),
            (
                Split::QubitsPerController(1 << 40),
                "--qubits-per-controller",
            ),
            (Split::Controllers(11), "--controllers"),
        ] {
            let e = split.ranges(10).unwrap_err();
            assert!(e.to_string().starts_with(option), "{e}");
        }
    }

    #[test]
    fn exact_gap_lands_on_the_target() {
        for (a, t) in [
            (0.0, 35.55),
            (0.1, 0.3),
            (1234.5678, 98765.4321),
            (3.0, 3.0),
        ] {
            let d = exact_gap(a, t);
            assert_eq!((a + d).to_bits(), f64::to_bits(t), "{a} {t}");
        }
    }
}
