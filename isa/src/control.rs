//! The control section: counted loops and real-time loops over the instruction stream.
//!
//! The instruction section carries the program's *text*: every loop body once, in program order.
//! The control section says how that text runs, as a tree of nodes written in preorder:
//!
//! - `Ops(n)`: the next `n` instructions of the text, run once each time the node is reached;
//! - `Repeat { count, stride }`: its children, `count` times (at least once). Iteration `k`
//!   writes and reads classical bits shifted by `k · stride` (nested shifts add up): a Stim
//!   `REPEAT` whose rounds append to the measurement record is one body with a stride;
//! - `While { cond }`: its children, as long as condition `cond` (an index into the program
//!   section's conditions) holds when an iteration is about to start; the decoder asks its
//!   caller, who holds the measurement results.
//!
//! # Payload
//!
//! ```text
//! uvarint replay_ops    instructions the decoder's replay buffer must hold
//! uvarint replay_words  qubit operands those instructions hold in all
//! uvarint node_count
//! node_count times, in preorder:
//!   uvarint tag         0 = Ops, 1 = Repeat, 2 = While
//!   Ops:    uvarint n   (n ≥ 1)
//!   Repeat: uvarint count (≥ 1) | uvarint stride | uvarint descendants
//!   While:  uvarint cond | uvarint descendants
//! ```
//!
//! `descendants` is the number of nodes in the loop's subtree below it, so that the subtree is
//! `nodes[i + 1 ..= i + descendants]`. A loop's body must hold at least one instruction.
//!
//! # Timing
//!
//! Each node's instructions are scheduled as soon as possible from the moment the node starts,
//! and every node and every iteration starts when everything before it has ended (all qubits
//! aligned): an iteration of a loop body lasts the same whatever came before, and iteration `k`
//! of a counted loop starts `k` body durations after the loop did. A node run again (a loop
//! body replayed) therefore has the same schedule relative to its start: its instructions start
//! at the new start plus their offsets in its first run, which is how the decoder times them.
//!
//! # Replay
//!
//! Before the first iteration of an outermost loop, its whole text is decoded into a buffer; its
//! iterations, and those of the loops nested in it, run from there without reading input. The
//! buffer's size is declared (`replay_ops`, `replay_words`) and checked: a decoder knows the
//! memory it needs from this section, before the first instruction.

use alloc::vec::Vec;

use crate::error::IsaError;
use crate::varint::{read_uvarint, write_uvarint};

/// Deepest loop nesting a program may hold (the decoder keeps one frame per level).
pub const MAX_DEPTH: usize = 64;
/// Most nodes a control section may hold.
pub const MAX_NODES: u64 = 1 << 16;
/// Most instructions one outermost loop's text may hold: the largest replay buffer a program
/// may declare (about 24 MiB at 24 bytes per buffered instruction).
pub const MAX_REPLAY_OPS: u64 = 1 << 20;
/// Most qubit operands the replay buffer may hold.
pub const MAX_REPLAY_WORDS: u64 = 1 << 22;

/// What a node does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// The next `n` instructions of the text (`n ≥ 1`).
    Ops(u64),
    /// The children, `count ≥ 1` times; iteration `k` shifts classical bits by `k · stride`.
    Repeat {
        /// Iterations.
        count: u64,
        /// Classical-bit shift per iteration.
        stride: u64,
    },
    /// The children, while condition `cond` holds before an iteration.
    While {
        /// Index of the condition (program section).
        cond: u32,
    },
}

/// One node of the tree, with where it sits in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    /// What it does.
    pub kind: NodeKind,
    /// Index one past the node's subtree (`self + 1` for `Ops`).
    pub end: u32,
    /// Index in the text of its first instruction.
    pub text_start: u64,
    /// Instructions of the text in its subtree (each counted once).
    pub text_len: u64,
}

/// How a program's text runs: the parsed control section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Control {
    /// The nodes in preorder. Invariant (checked by [`Control::parse`] and built by
    /// [`ControlBuilder`]): each loop's `end` lies within its parent's, no loop body is empty,
    /// nesting is at most [`MAX_DEPTH`], and the text ranges tile the text in order.
    nodes: Vec<Node>,
    /// Instructions of the largest outermost loop's text.
    pub replay_ops: u64,
    /// Qubit operands of the instructions of the largest outermost loop's text (declared by
    /// the encoder, checked by the decoder as it buffers).
    pub replay_words: u64,
}

impl Control {
    /// The nodes, in preorder.
    #[must_use]
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Instructions in the text.
    #[must_use]
    pub fn text_len(&self) -> u64 {
        self.nodes
            .iter()
            .map(|n| match n.kind {
                NodeKind::Ops(k) => k,
                _ => 0,
            })
            .sum()
    }

    /// Instructions the program runs when every `While` runs `while_iterations` times (the
    /// count, saturating).
    #[must_use]
    pub fn executed(&self, while_iterations: u64) -> u128 {
        let mut total = 0u128;
        let mut i = 0usize;
        while i < self.nodes.len() {
            let (n, next) = self.executed_from(i, while_iterations);
            total = total.saturating_add(n);
            i = next;
        }
        total
    }

    fn executed_from(&self, i: usize, whiles: u64) -> (u128, usize) {
        let Some(node) = self.nodes.get(i) else {
            return (0, i + 1);
        };
        let times = match node.kind {
            NodeKind::Ops(n) => return (u128::from(n), i + 1),
            NodeKind::Repeat { count, .. } => count,
            NodeKind::While { .. } => whiles,
        };
        let mut body = 0u128;
        let mut j = i + 1;
        while j < node.end as usize {
            let (n, next) = self.executed_from(j, whiles);
            body = body.saturating_add(n);
            j = next;
        }
        (body.saturating_mul(u128::from(times)), node.end as usize)
    }

    /// Serialise into the section's payload.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        write_uvarint(&mut out, self.replay_ops);
        write_uvarint(&mut out, self.replay_words);
        write_uvarint(&mut out, self.nodes.len() as u64);
        for (i, n) in self.nodes.iter().enumerate() {
            let descendants = u64::from(n.end) - i as u64 - 1;
            match n.kind {
                NodeKind::Ops(k) => {
                    write_uvarint(&mut out, 0);
                    write_uvarint(&mut out, k);
                }
                NodeKind::Repeat { count, stride } => {
                    write_uvarint(&mut out, 1);
                    write_uvarint(&mut out, count);
                    write_uvarint(&mut out, stride);
                    write_uvarint(&mut out, descendants);
                }
                NodeKind::While { cond } => {
                    write_uvarint(&mut out, 2);
                    write_uvarint(&mut out, u64::from(cond));
                    write_uvarint(&mut out, descendants);
                }
            }
        }
        out
    }

    /// Parse the section's payload for a program of `total_ops` text instructions and
    /// `num_conditions` conditions.
    ///
    /// # Errors
    /// [`IsaError::Corrupt`] or [`IsaError::Limit`] for anything the invariants of [`Control`]
    /// refuse, or a text that does not add up to `total_ops`.
    pub fn parse(bytes: &[u8], total_ops: u64, num_conditions: u32) -> Result<Control, IsaError> {
        let mut pos = 0usize;
        let mut next = || -> Result<u64, IsaError> {
            let (v, n) = read_uvarint(bytes.get(pos..).unwrap_or(&[]))?;
            pos += n;
            Ok(v)
        };
        let replay_ops = next()?;
        let replay_words = next()?;
        let count = next()?;
        if count > MAX_NODES {
            return Err(IsaError::Limit {
                what: "control nodes",
                found: count,
                max: MAX_NODES,
            });
        }
        let mut b = ControlBuilder::new();
        // Ends of the open loops' subtrees, innermost last.
        let mut ends: Vec<u64> = Vec::new();
        for i in 0..count {
            while ends.last() == Some(&i) {
                ends.pop();
                b.close()?;
            }
            let tag = next()?;
            let kind = match tag {
                0 => {
                    b.ops(next()?)?;
                    continue;
                }
                1 => {
                    let count = next()?;
                    let stride = next()?;
                    NodeKind::Repeat { count, stride }
                }
                2 => {
                    let cond = next()?;
                    if cond >= u64::from(num_conditions) {
                        return Err(IsaError::Corrupt(
                            "a while loop names a condition out of range",
                        ));
                    }
                    NodeKind::While { cond: cond as u32 }
                }
                _ => return Err(IsaError::Corrupt("unknown control node")),
            };
            let descendants = next()?;
            let end = i
                .checked_add(1)
                .and_then(|e| e.checked_add(descendants))
                .filter(|&e| e <= count && ends.last().is_none_or(|&outer| e <= outer))
                .ok_or(IsaError::Corrupt("a loop's nodes run past its parent's"))?;
            b.open(kind)?;
            ends.push(end);
        }
        while ends.pop().is_some() {
            b.close()?;
        }
        if pos != bytes.len() {
            return Err(IsaError::Corrupt("trailing bytes in the control section"));
        }
        let c = b.finish()?;
        if c.text_len() != total_ops {
            return Err(IsaError::Corrupt(
                "the control section's text differs in length from the instruction count",
            ));
        }
        if c.replay_ops != replay_ops {
            return Err(IsaError::Corrupt(
                "the declared replay buffer differs from the largest loop's text",
            ));
        }
        if replay_words > MAX_REPLAY_WORDS {
            return Err(IsaError::Limit {
                what: "replay buffer operands",
                found: replay_words,
                max: MAX_REPLAY_WORDS,
            });
        }
        Ok(Control { replay_words, ..c })
    }
}

/// Builds a [`Control`] node by node, checking its invariants as it goes: `ops`, `open` a loop,
/// its body, `close`.
#[derive(Clone, Debug, Default)]
pub struct ControlBuilder {
    nodes: Vec<Node>,
    /// Open loops, innermost last.
    open: Vec<usize>,
    text: u64,
    replay_ops: u64,
}

impl ControlBuilder {
    /// An empty tree.
    #[must_use]
    pub fn new() -> ControlBuilder {
        ControlBuilder::default()
    }

    fn push(&mut self, kind: NodeKind) -> Result<usize, IsaError> {
        if self.nodes.len() as u64 >= MAX_NODES {
            return Err(IsaError::Limit {
                what: "control nodes",
                found: self.nodes.len() as u64 + 1,
                max: MAX_NODES,
            });
        }
        let i = self.nodes.len();
        self.nodes.push(Node {
            kind,
            end: (i + 1) as u32,
            text_start: self.text,
            text_len: 0,
        });
        Ok(i)
    }

    /// `n ≥ 1` instructions run straight.
    ///
    /// # Errors
    /// [`IsaError::Corrupt`] for `n = 0`, [`IsaError::Limit`] past [`MAX_NODES`].
    pub fn ops(&mut self, n: u64) -> Result<(), IsaError> {
        if n == 0 {
            return Err(IsaError::Corrupt("a run of no instructions"));
        }
        let i = self.push(NodeKind::Ops(n))?;
        self.text = self
            .text
            .checked_add(n)
            .ok_or(IsaError::Corrupt("text length overflows"))?;
        if let Some(node) = self.nodes.get_mut(i) {
            node.text_len = n;
        }
        Ok(())
    }

    /// Open a loop (`Repeat` or `While`); its body follows, then [`ControlBuilder::close`].
    ///
    /// # Errors
    /// For `Ops` (use [`ControlBuilder::ops`]), a count of 0, nesting past [`MAX_DEPTH`].
    pub fn open(&mut self, kind: NodeKind) -> Result<(), IsaError> {
        match kind {
            NodeKind::Ops(_) => return Err(IsaError::Corrupt("Ops is not a loop")),
            NodeKind::Repeat { count: 0, .. } => {
                return Err(IsaError::Corrupt("a counted loop of zero iterations"));
            }
            _ => {}
        }
        if self.open.len() >= MAX_DEPTH {
            return Err(IsaError::Limit {
                what: "loop nesting depth",
                found: self.open.len() as u64 + 1,
                max: MAX_DEPTH as u64,
            });
        }
        let i = self.push(kind)?;
        self.open.push(i);
        Ok(())
    }

    /// Close the innermost open loop.
    ///
    /// # Errors
    /// When no loop is open, or its body holds no instruction.
    pub fn close(&mut self) -> Result<(), IsaError> {
        let i = self
            .open
            .pop()
            .ok_or(IsaError::Corrupt("a loop closed that was not open"))?;
        let end = self.nodes.len() as u32;
        let text = self.text;
        let node = self
            .nodes
            .get_mut(i)
            .ok_or(IsaError::Corrupt("a loop closed that was not open"))?;
        node.end = end;
        node.text_len = text - node.text_start;
        if node.text_len == 0 {
            return Err(IsaError::Corrupt("a loop whose body holds no instruction"));
        }
        if self.open.is_empty() {
            if node.text_len > MAX_REPLAY_OPS {
                return Err(IsaError::Limit {
                    what: "instructions in one loop's body (the decoder's replay buffer)",
                    found: node.text_len,
                    max: MAX_REPLAY_OPS,
                });
            }
            self.replay_ops = self.replay_ops.max(node.text_len);
        }
        Ok(())
    }

    /// Append the subtree of `nodes` (a tree's nodes in preorder) that starts at `at`: the node
    /// and its descendants. Returns the index one past the subtree.
    ///
    /// # Errors
    /// When `at` is past `nodes`, a node's `end` does not nest, or the tree's limits are hit.
    pub fn subtree(&mut self, nodes: &[Node], at: usize) -> Result<usize, IsaError> {
        let end = nodes
            .get(at)
            .map(|n| n.end as usize)
            .filter(|&e| e > at && e <= nodes.len())
            .ok_or(IsaError::Corrupt("a subtree past the tree's nodes"))?;
        // Ends of the loops opened here, innermost last.
        let mut open: Vec<usize> = Vec::new();
        for i in at..end {
            while open.last() == Some(&i) {
                open.pop();
                self.close()?;
            }
            let node = nodes
                .get(i)
                .ok_or(IsaError::Corrupt("a subtree past the tree's nodes"))?;
            match node.kind {
                NodeKind::Ops(n) => self.ops(n)?,
                kind => {
                    if node.end as usize > end || (node.end as usize) <= i {
                        return Err(IsaError::Corrupt("a loop's nodes run past its parent's"));
                    }
                    self.open(kind)?;
                    open.push(node.end as usize);
                }
            }
        }
        while open.pop().is_some() {
            self.close()?;
        }
        Ok(end)
    }

    /// The tree, every loop closed; `replay_words` is left 0 for the encoder to set.
    ///
    /// # Errors
    /// When a loop is still open.
    pub fn finish(self) -> Result<Control, IsaError> {
        if !self.open.is_empty() {
            return Err(IsaError::Corrupt("a loop is not closed"));
        }
        Ok(Control {
            nodes: self.nodes,
            replay_ops: self.replay_ops,
            replay_words: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Control {
        let mut b = ControlBuilder::new();
        b.ops(3).unwrap();
        b.open(NodeKind::Repeat {
            count: 1000,
            stride: 8,
        })
        .unwrap();
        b.ops(5).unwrap();
        b.open(NodeKind::While { cond: 0 }).unwrap();
        b.ops(2).unwrap();
        b.close().unwrap();
        b.close().unwrap();
        b.ops(4).unwrap();
        let mut c = b.finish().unwrap();
        c.replay_words = 11;
        c
    }

    #[test]
    fn round_trips_and_counts() {
        let c = sample();
        assert_eq!(c.text_len(), 14);
        assert_eq!(c.replay_ops, 7);
        assert_eq!(c.executed(3), 3 + 1000 * (5 + 3 * 2) + 4);
        let bytes = c.to_bytes();
        assert_eq!(Control::parse(&bytes, 14, 1).unwrap(), c);
        let n = c.nodes();
        assert_eq!((n[1].end, n[1].text_start, n[1].text_len), (5, 3, 7));
        assert_eq!((n[3].end, n[3].text_start, n[3].text_len), (5, 8, 2));
    }

    #[test]
    fn refuses_what_breaks_the_invariants() {
        let c = sample();
        let bytes = c.to_bytes();
        assert!(Control::parse(&bytes, 15, 1).is_err(), "text length");
        assert!(Control::parse(&bytes, 14, 0).is_err(), "condition range");
        for cut in 0..bytes.len() {
            assert!(
                Control::parse(&bytes[..cut], 14, 1).is_err(),
                "cut at {cut}"
            );
        }
        let mut b = ControlBuilder::new();
        b.open(NodeKind::Repeat {
            count: 2,
            stride: 0,
        })
        .unwrap();
        assert!(b.close().is_err(), "empty body");
        let mut b = ControlBuilder::new();
        for _ in 0..MAX_DEPTH {
            b.open(NodeKind::Repeat {
                count: 2,
                stride: 0,
            })
            .unwrap();
        }
        assert!(
            b.open(NodeKind::Repeat {
                count: 2,
                stride: 0
            })
            .is_err()
        );
    }

    #[test]
    fn every_byte_flip_is_refused_or_parses_to_a_valid_tree() {
        let bytes = sample().to_bytes();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                if let Ok(c) = Control::parse(&b, 14, 1) {
                    assert_eq!(c.text_len(), 14);
                }
            }
        }
    }
}
