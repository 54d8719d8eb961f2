//! The job section: many circuits in one program.
//!
//! A job (a randomized-benchmarking run, a parameter sweep, a calibration) is many circuits run
//! one after another. Coded one file each, every circuit pays for a header, its own sections and
//! checksums, and a model that starts cold. In a job they share all of that: one header, one
//! program section, one instruction stream whose model adapts, and whose copies reach, across
//! circuits. What each circuit adds is one entry in this section: how long it is and which of the
//! job's register layouts it uses (host-side metadata, not needed to run it).
//!
//! # Payload
//!
//! ```text
//! uvarint circuits        number of circuits (1 ..= MAX_CIRCUITS)
//! uvarint layouts         distinct register layouts (1 ..= circuits)
//! u8      flags           bit 0: some circuits keep loops (their nodes are in the control
//!                         section); other bits zero
//! uvarint min_ops         the shortest flat circuit's instruction count
//! u8      ops_width       bits of each flat circuit's count above min_ops (0 ..= 64)
//! if flags bit 0:
//!   uvarint min_nodes     the fewest top-level control nodes of a circuit with loops
//!   u8    nodes_width     bits of each such count above min_nodes
//! then, packed MSB-first, per circuit:
//!   [1 bit looped, if flags bit 0]
//!   layout index          ceil(log2(layouts)) bits
//!   flat:   count − min_ops     ops_width bits
//!   looped: nodes − min_nodes   nodes_width bits
//! zero bits up to the next byte
//! ```
//!
//! A job of 200 circuits of 1 to 3,000 instructions in two layouts thus spends 13 bits per
//! circuit here; a sweep of one template, none.
//!
//! # How the job runs
//!
//! Each circuit starts when everything before it has ended, on every qubit: the job is the
//! control tree that holds, circuit after circuit, an `Ops(count)` node for a flat circuit and the
//! next `nodes` top-level subtrees of the control section for a circuit that keeps its loops
//! ([`JobTable::control`]). Since every node of a control tree starts aligned, the decoder times
//! a job with the machinery it already has, and each circuit's operations start where its own
//! schedule puts them, offset by the circuit's start.

use alloc::vec::Vec;

use crate::bits::{BitReader, BitWriter};
use crate::control::{Control, ControlBuilder, MAX_NODES};
use crate::error::IsaError;
use crate::varint::{read_uvarint, write_uvarint};

/// Most circuits a job may hold: each is at least one node of the job's control tree.
pub const MAX_CIRCUITS: u64 = MAX_NODES;

/// How long one circuit of a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CircuitSize {
    /// A circuit that runs straight: this many instructions (≥ 1).
    Flat(u64),
    /// A circuit with loops: this many top-level nodes of the control section (≥ 1).
    Looped(u64),
}

/// One circuit's entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobEntry {
    /// Index of its register layout (host-side metadata), `< JobTable::layouts`.
    pub layout: u32,
    /// Its length.
    pub size: CircuitSize,
}

/// The parsed job section. Invariant (checked by [`JobTable::parse`], kept by
/// [`JobTable::new`]): at least one circuit, at most [`MAX_CIRCUITS`], every layout index below
/// `layouts`, every size at least 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobTable {
    entries: Vec<JobEntry>,
    layouts: u32,
}

/// Bits needed to write every value in `0..=max`.
fn width(max: u64) -> u32 {
    u64::BITS - max.leading_zeros()
}

impl JobTable {
    /// A table of `entries` over `layouts` register layouts.
    ///
    /// # Errors
    /// [`IsaError::Corrupt`] for an empty job, a size of 0 or a layout index out of range;
    /// [`IsaError::Limit`] past [`MAX_CIRCUITS`].
    pub fn new(entries: Vec<JobEntry>, layouts: u32) -> Result<JobTable, IsaError> {
        let t = JobTable { entries, layouts };
        t.check()?;
        Ok(t)
    }

    fn check(&self) -> Result<(), IsaError> {
        if self.entries.is_empty() {
            return Err(IsaError::Corrupt("a job of no circuits"));
        }
        if self.entries.len() as u64 > MAX_CIRCUITS {
            return Err(IsaError::Limit {
                what: "circuits in a job",
                found: self.entries.len() as u64,
                max: MAX_CIRCUITS,
            });
        }
        for e in &self.entries {
            if e.layout >= self.layouts {
                return Err(IsaError::Corrupt(
                    "a job circuit's layout index out of range",
                ));
            }
            if matches!(e.size, CircuitSize::Flat(0) | CircuitSize::Looped(0)) {
                return Err(IsaError::Corrupt("a job circuit of no instructions"));
            }
        }
        Ok(())
    }

    /// The circuits, in the order they run.
    #[must_use]
    pub fn entries(&self) -> &[JobEntry] {
        &self.entries
    }

    /// Distinct register layouts.
    #[must_use]
    pub fn layouts(&self) -> u32 {
        self.layouts
    }

    /// Instructions of the flat circuits, in all (the rest of the text is the looped ones').
    #[must_use]
    pub fn flat_ops(&self) -> u64 {
        self.entries
            .iter()
            .map(|e| match e.size {
                CircuitSize::Flat(n) => n,
                CircuitSize::Looped(_) => 0,
            })
            .fold(0, u64::saturating_add)
    }

    /// Whether some circuit keeps its loops (the control section then holds their nodes).
    #[must_use]
    pub fn has_loops(&self) -> bool {
        self.entries
            .iter()
            .any(|e| matches!(e.size, CircuitSize::Looped(_)))
    }

    /// Serialise into the section's payload.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let sizes = |looped: bool| {
            self.entries
                .iter()
                .filter_map(move |e| match (e.size, looped) {
                    (CircuitSize::Flat(n), false) | (CircuitSize::Looped(n), true) => Some(n),
                    _ => None,
                })
        };
        let range = |looped: bool| {
            let min = sizes(looped).min().unwrap_or(0);
            let max = sizes(looped).max().unwrap_or(0);
            (min, width(max - min))
        };
        let (min_ops, ops_width) = range(false);
        let (min_nodes, nodes_width) = range(true);
        let looped = self.has_loops();
        let mut out = Vec::new();
        write_uvarint(&mut out, self.entries.len() as u64);
        write_uvarint(&mut out, u64::from(self.layouts));
        out.push(u8::from(looped));
        write_uvarint(&mut out, min_ops);
        out.push(ops_width as u8);
        if looped {
            write_uvarint(&mut out, min_nodes);
            out.push(nodes_width as u8);
        }
        let layout_width = width(u64::from(self.layouts) - 1);
        let mut w = BitWriter::with_capacity(self.entries.len() * 2);
        for e in &self.entries {
            let (is_looped, value) = match e.size {
                CircuitSize::Flat(n) => (false, (n - min_ops, ops_width)),
                CircuitSize::Looped(n) => (true, (n - min_nodes, nodes_width)),
            };
            if looped {
                w.write_bit(is_looped);
            }
            w.write_bits(u64::from(e.layout), layout_width);
            w.write_bits(value.0, value.1);
        }
        out.extend_from_slice(&w.finish());
        out
    }

    /// Parse a job section's payload.
    ///
    /// Never allocates more entries than the payload has bits for, whatever its counts claim.
    ///
    /// # Errors
    /// [`IsaError::Corrupt`], [`IsaError::Limit`] or [`IsaError::Truncated`] for anything
    /// [`JobTable::new`] refuses, unknown flags, widths past 64 bits, sums that overflow, or
    /// trailing bytes.
    pub fn parse(bytes: &[u8]) -> Result<JobTable, IsaError> {
        let mut pos = 0usize;
        let next = |pos: &mut usize| -> Result<u64, IsaError> {
            let (v, n) = read_uvarint(bytes.get(*pos..).unwrap_or(&[]))?;
            *pos += n;
            Ok(v)
        };
        let byte = |pos: &mut usize, what: &'static str| -> Result<u8, IsaError> {
            let b = bytes.get(*pos).copied().ok_or(IsaError::Truncated {
                what,
                needed: 1,
                available: 0,
            })?;
            *pos += 1;
            Ok(b)
        };
        let circuits = next(&mut pos)?;
        if circuits == 0 || circuits > MAX_CIRCUITS {
            return Err(IsaError::Limit {
                what: "circuits in a job",
                found: circuits,
                max: MAX_CIRCUITS,
            });
        }
        let layouts = next(&mut pos)?;
        if layouts == 0 || layouts > circuits {
            return Err(IsaError::Corrupt("a job's layout count out of range"));
        }
        let flags = byte(&mut pos, "job flags")?;
        if flags > 1 {
            return Err(IsaError::Corrupt("unknown job flags"));
        }
        let looped = flags == 1;
        let min_ops = next(&mut pos)?;
        let ops_width = u32::from(byte(&mut pos, "job count width")?);
        let (min_nodes, nodes_width) = if looped {
            let m = next(&mut pos)?;
            (m, u32::from(byte(&mut pos, "job node width")?))
        } else {
            (0, 0)
        };
        if ops_width > 64 || nodes_width > 64 {
            return Err(IsaError::Corrupt("a job field wider than 64 bits"));
        }
        let packed = bytes.get(pos..).unwrap_or(&[]);
        let layout_width = width(layouts - 1);
        // Every entry takes at least its layout bits; refuse a count the payload cannot hold
        // before allocating for it (an entry may take no bits: a one-layout sweep).
        let size_width = if looped {
            ops_width.min(nodes_width)
        } else {
            ops_width
        };
        let least = u64::from(layout_width + u32::from(looped) + size_width);
        if least > 0 && circuits.saturating_mul(least) > packed.len() as u64 * 8 {
            return Err(IsaError::Truncated {
                what: "job entries",
                needed: circuits.saturating_mul(least).div_ceil(8),
                available: packed.len() as u64,
            });
        }
        let mut r = BitReader::new(packed);
        let mut entries = Vec::with_capacity(circuits as usize);
        for _ in 0..circuits {
            let is_looped = looped && r.read_bit()?;
            let layout = r.read_bits(layout_width)? as u32;
            let size = if is_looped {
                CircuitSize::Looped(
                    min_nodes
                        .checked_add(r.read_bits(nodes_width)?)
                        .ok_or(IsaError::Corrupt("a job circuit's size overflows"))?,
                )
            } else {
                CircuitSize::Flat(
                    min_ops
                        .checked_add(r.read_bits(ops_width)?)
                        .ok_or(IsaError::Corrupt("a job circuit's size overflows"))?,
                )
            };
            entries.push(JobEntry { layout, size });
        }
        if r.bits_remaining() >= 8
            || (r.bits_remaining() > 0 && r.peek_bits(r.bits_remaining() as u32)? != 0)
        {
            return Err(IsaError::Corrupt("trailing bits in the job section"));
        }
        if looped
            && !entries
                .iter()
                .any(|e| matches!(e.size, CircuitSize::Looped(_)))
        {
            return Err(IsaError::Corrupt("a job flagged with loops has none"));
        }
        JobTable::new(entries, layouts as u32)
    }

    /// The job's whole control tree: per circuit an `Ops` node (flat) or its top-level subtrees
    /// from `looped`, the control section of the circuits with loops (`None` when there are
    /// none).
    ///
    /// # Errors
    /// [`IsaError::MissingSection`] when circuits have loops and there is no control section;
    /// [`IsaError::Corrupt`] when the control section's top-level nodes do not match the table
    /// (too few, left over, or one without circuits with loops); the tree's own limits
    /// ([`MAX_NODES`], depth).
    pub fn control(&self, looped: Option<&Control>) -> Result<Control, IsaError> {
        if looped.is_some() && !self.has_loops() {
            return Err(IsaError::Corrupt(
                "a control section in a job whose circuits have no loops",
            ));
        }
        let nodes = looped.map_or(&[][..], Control::nodes);
        let mut b = ControlBuilder::new();
        let mut at = 0usize;
        for e in &self.entries {
            match e.size {
                CircuitSize::Flat(n) => b.ops(n)?,
                CircuitSize::Looped(k) => {
                    if looped.is_none() {
                        return Err(IsaError::MissingSection("control (the job's loops)"));
                    }
                    for _ in 0..k {
                        if at >= nodes.len() {
                            return Err(IsaError::Corrupt(
                                "a job names more loop nodes than its control section holds",
                            ));
                        }
                        at = b.subtree(nodes, at)?;
                    }
                }
            }
        }
        if at != nodes.len() {
            return Err(IsaError::Corrupt(
                "control nodes left over after the job's circuits",
            ));
        }
        let mut c = b.finish()?;
        c.replay_words = looped.map_or(0, |l| l.replay_words);
        Ok(c)
    }

    /// Where each circuit's text lies in the job's text, as `(start, len)`, given the job's
    /// control tree from [`JobTable::control`].
    ///
    /// # Errors
    /// [`IsaError::Corrupt`] when `control` is not this job's tree.
    pub fn text_ranges(&self, control: &Control) -> Result<Vec<(u64, u64)>, IsaError> {
        let nodes = control.nodes();
        let mut at = 0usize;
        let mut out = Vec::with_capacity(self.entries.len());
        for e in &self.entries {
            let k = match e.size {
                CircuitSize::Flat(_) => 1,
                CircuitSize::Looped(k) => k,
            };
            let first = nodes
                .get(at)
                .ok_or(IsaError::Corrupt("a job's control tree is too short"))?;
            let (start, mut len) = (first.text_start, 0u64);
            for _ in 0..k {
                let node = nodes
                    .get(at)
                    .ok_or(IsaError::Corrupt("a job's control tree is too short"))?;
                len = len.saturating_add(node.text_len);
                at = node.end as usize;
            }
            out.push((start, len));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::NodeKind;
    use alloc::vec;

    fn flat(layout: u32, n: u64) -> JobEntry {
        JobEntry {
            layout,
            size: CircuitSize::Flat(n),
        }
    }

    #[test]
    fn a_table_round_trips_and_costs_its_widths() {
        let entries: Vec<JobEntry> = (0..200u64)
            .map(|i| flat((i % 2) as u32, 5 + i * 13))
            .collect();
        let t = JobTable::new(entries, 2).unwrap();
        let bytes = t.to_bytes();
        assert_eq!(JobTable::parse(&bytes).unwrap(), t);
        // 1 layout bit and 12 count bits (2587 < 4096) per circuit, after a 6-byte head.
        assert_eq!(bytes.len(), 6 + (200 * 13usize).div_ceil(8));
    }

    #[test]
    fn a_sweep_of_one_shape_costs_no_bits_per_circuit() {
        let t = JobTable::new(vec![flat(0, 40); 1000], 1).unwrap();
        assert!(t.to_bytes().len() <= 8);
        assert_eq!(JobTable::parse(&t.to_bytes()).unwrap(), t);
    }

    fn looped_control() -> Control {
        let mut b = ControlBuilder::new();
        b.ops(2).unwrap();
        b.open(NodeKind::Repeat {
            count: 10,
            stride: 1,
        })
        .unwrap();
        b.ops(3).unwrap();
        b.close().unwrap();
        b.ops(1).unwrap();
        b.finish().unwrap()
    }

    #[test]
    fn the_job_tree_interleaves_flat_circuits_with_looped_ones() {
        let t = JobTable::new(
            vec![
                flat(0, 4),
                JobEntry {
                    layout: 1,
                    size: CircuitSize::Looped(2),
                },
                flat(0, 7),
                JobEntry {
                    layout: 1,
                    size: CircuitSize::Looped(1),
                },
            ],
            2,
        )
        .unwrap();
        assert_eq!(JobTable::parse(&t.to_bytes()).unwrap(), t);
        let c = t.control(Some(&looped_control())).unwrap();
        let kinds: Vec<NodeKind> = c.nodes().iter().map(|n| n.kind).collect();
        assert_eq!(
            kinds,
            vec![
                NodeKind::Ops(4),
                NodeKind::Ops(2),
                NodeKind::Repeat {
                    count: 10,
                    stride: 1
                },
                NodeKind::Ops(3),
                NodeKind::Ops(7),
                NodeKind::Ops(1),
            ]
        );
        assert_eq!(c.replay_ops, 3);
        assert_eq!(
            t.text_ranges(&c).unwrap(),
            vec![(0, 4), (4, 5), (9, 7), (16, 1)]
        );
        // Too few or too many loop nodes for the table are refused.
        let short = JobTable::new(
            vec![JobEntry {
                layout: 0,
                size: CircuitSize::Looped(4),
            }],
            1,
        )
        .unwrap();
        assert!(short.control(Some(&looped_control())).is_err());
        assert!(
            JobTable::new(vec![flat(0, 1)], 1)
                .unwrap()
                .control(Some(&looped_control()))
                .is_err()
        );
    }

    #[test]
    fn bad_tables_are_refused() {
        assert!(JobTable::new(Vec::new(), 1).is_err());
        assert!(JobTable::new(vec![flat(1, 3)], 1).is_err());
        assert!(JobTable::new(vec![flat(0, 0)], 1).is_err());
        // A count of circuits the payload has no room for is refused before allocating.
        let mut huge = Vec::new();
        write_uvarint(&mut huge, MAX_CIRCUITS);
        write_uvarint(&mut huge, 3);
        huge.extend_from_slice(&[0, 1, 8]);
        assert!(JobTable::parse(&huge).is_err());
    }

    #[test]
    fn every_truncation_and_bit_flip_parses_or_errs() {
        let entries: Vec<JobEntry> = (0..20u64).map(|i| flat((i % 3) as u32, 1 + i)).collect();
        let bytes = JobTable::new(entries, 3).unwrap().to_bytes();
        for n in 0..bytes.len() {
            let _ = JobTable::parse(&bytes[..n]);
        }
        for i in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[i / 8] ^= 1 << (i % 8);
            if let Ok(t) = JobTable::parse(&b) {
                t.check().unwrap();
            }
        }
    }
}
