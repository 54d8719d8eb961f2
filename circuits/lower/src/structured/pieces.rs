//! A structured program lowered piece by piece: straight runs, counted loops kept as loops
//! (their bodies pieces again, their classical bits shifted per iteration), and real-time
//! `while` loops; what it executes, counted without unrolling.

use std::collections::BTreeMap;

use eqisa_ir::circuit::CondExpr;

use crate::lowering::Lowered;
use crate::program::NativeProgram;

/// One piece of a lowered program.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    /// Operations run once (per iteration of the loops around it). Inside a loop, its
    /// classical bits are those of the loops' first iterations.
    Straight(Lowered),
    /// A body run `count` times; `var` is the source's loop variable, kept for the output.
    /// Iteration k (from 0) measures into, and reads conditions from, the body's classical
    /// bits shifted by `k * clbit_stride` (0: every iteration alike); shifts of nested loops
    /// add up.
    Repeat {
        var: String,
        count: u64,
        clbit_stride: u64,
        body: Vec<Piece>,
    },
    /// A body run as long as `cond` (over measured register bits) holds, decided at run
    /// time.
    While { cond: CondExpr, body: Vec<Piece> },
}

/// A structured program lowered piece by piece.
#[derive(Clone, Debug, PartialEq)]
pub struct LoweredStructure {
    pub pieces: Vec<Piece>,
    /// A lower bound on the fidelity of the whole program's state with the source's: the
    /// errors of every executed piece added up. With `realtime_loops`, a `while` body counts
    /// once: the bound then holds per executed iteration of each `while`, and each further
    /// iteration adds its body's error once more.
    pub fidelity_bound: f64,
    /// Whether a piece is a `while` loop, whose iteration count only the run decides: the
    /// counts, depth and duration then count each `while` body once, and there is no
    /// unrolled program.
    pub realtime_loops: bool,
}

impl Piece {
    /// Every lowered straight run inside `pieces`, with how many times it runs (a `while`
    /// body once).
    pub(crate) fn leaves<'a>(pieces: &'a [Piece], times: u128, out: &mut Vec<(&'a Lowered, u128)>) {
        for piece in pieces {
            match piece {
                Piece::Straight(l) => out.push((l, times)),
                Piece::Repeat { count, body, .. } => {
                    Piece::leaves(body, times.saturating_mul(u128::from(*count)), out);
                }
                Piece::While { body, .. } => Piece::leaves(body, times, out),
            }
        }
    }
}

impl LoweredStructure {
    fn all_leaves(&self) -> Vec<(&Lowered, u128)> {
        let mut out = Vec::new();
        Piece::leaves(&self.pieces, 1, &mut out);
        out
    }

    /// Operations executed, by name (loop bodies times their counts, `while` bodies once).
    pub fn counts(&self) -> BTreeMap<String, u128> {
        let mut m = BTreeMap::new();
        for (l, times) in self.all_leaves() {
            for (name, n) in l.program.counts() {
                let e = m.entry(name).or_insert(0u128);
                *e = e.saturating_add(u128::from(n).saturating_mul(times));
            }
        }
        m
    }

    /// T and T† gates executed.
    pub fn t_count(&self) -> u128 {
        self.executed(|p| u128::from(p.t_count()))
    }

    /// Operations executed (a `while` body counted once).
    pub fn executed_ops(&self) -> u128 {
        self.executed(|p| p.ops.len() as u128)
    }

    /// Depth of the pieces run one after another (iterations do not overlap: each starts
    /// aligned at the end of the one before).
    pub fn depth(&self) -> u128 {
        self.executed(|p| u128::from(p.depth()))
    }

    /// Duration of the pieces run one after another, iterations aligned the same way.
    pub fn duration_ns(&self) -> f64 {
        self.all_leaves()
            .iter()
            .map(|(l, times)| l.program.duration_ns * *times as f64)
            .sum()
    }

    /// The finest rz precision of any piece (0: exact f64 angles somewhere).
    pub fn angle_bits(&self) -> u8 {
        let leaves = self.all_leaves();
        let bits = leaves.iter().map(|(l, _)| l.program.angle_bits);
        if bits.clone().any(|b| b == eqisa_isa::angle::RAW) {
            eqisa_isa::angle::RAW
        } else {
            bits.max().unwrap_or(eqisa_isa::angle::RAW)
        }
    }

    fn executed(&self, f: impl Fn(&NativeProgram) -> u128) -> u128 {
        self.all_leaves()
            .iter()
            .map(|(l, times)| f(&l.program).saturating_mul(*times))
            .fold(0u128, u128::saturating_add)
    }

    /// The program whose registers the output declares: the straight run with the most
    /// classical bits (a hidden register of results no register receives comes last).
    pub(crate) fn registers(&self) -> Option<&NativeProgram> {
        let mut best: Option<&NativeProgram> = None;
        for (l, _) in self.all_leaves() {
            if best.is_none_or(|b| l.program.num_clbits > b.num_clbits) {
                best = Some(&l.program);
            }
        }
        best
    }
}
