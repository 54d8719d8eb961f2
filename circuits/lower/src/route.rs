//! Routing a lowered native program onto a device's coupling map: a placement of the program's
//! qubits on physical qubits, then SWAPs (each three native two-qubit gates dressed by exact
//! single-qubit gates) wherever a two-qubit gate acts on qubits the device does not couple.
//!
//! Greedy and deterministic, not optimal: it exists so that any circuit can be played on a real
//! device's pulses; programs already mapped to the device (`mapped_*` circuits) pass through with
//! the identity placement and no SWAP.

use std::collections::{BTreeMap, VecDeque};
use std::f64::consts::PI;

use smallvec::SmallVec;

use super::native::wrap;
use super::program::{NativeOp, NativeProgram, TimedOp};
use super::target::{TargetDesc, TargetKind, TwoQubit};
use eqisa_ir::circuit::Register;

/// Which physical qubit pairs a device can entangle (undirected).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coupling {
    /// Sorted neighbours of each physical qubit.
    adj: Vec<Vec<u32>>,
}

impl Coupling {
    /// A coupling map of `qubits` physical qubits from its pairs (either direction).
    pub fn from_pairs(qubits: u32, pairs: impl IntoIterator<Item = (u32, u32)>) -> Coupling {
        let mut adj = vec![Vec::new(); qubits as usize];
        for (a, b) in pairs {
            if a == b || a >= qubits || b >= qubits {
                continue;
            }
            adj[a as usize].push(b);
            adj[b as usize].push(a);
        }
        for n in &mut adj {
            n.sort_unstable();
            n.dedup();
        }
        Coupling { adj }
    }

    /// Number of physical qubits.
    pub fn qubits(&self) -> u32 {
        self.adj.len() as u32
    }

    /// Whether `a` and `b` are coupled.
    pub fn coupled(&self, a: u32, b: u32) -> bool {
        self.adj
            .get(a as usize)
            .is_some_and(|n| n.binary_search(&b).is_ok())
    }

    /// A shortest path from `a` to `b` (both ends included), if one exists.
    fn path(&self, a: u32, b: u32) -> Option<Vec<u32>> {
        let n = self.adj.len();
        let mut prev = vec![u32::MAX; n];
        let mut queue = VecDeque::from([a]);
        prev[a as usize] = a;
        while let Some(x) = queue.pop_front() {
            if x == b {
                let mut path = vec![b];
                let mut y = b;
                while y != a {
                    y = prev[y as usize];
                    path.push(y);
                }
                path.reverse();
                return Some(path);
            }
            for &m in &self.adj[x as usize] {
                if prev[m as usize] == u32::MAX {
                    prev[m as usize] = x;
                    queue.push_back(m);
                }
            }
        }
        None
    }

    /// Hop distances from `a` to every qubit (`u32::MAX` when unreachable).
    fn distances(&self, a: u32) -> Vec<u32> {
        let mut d = vec![u32::MAX; self.adj.len()];
        let mut queue = VecDeque::from([a]);
        d[a as usize] = 0;
        while let Some(x) = queue.pop_front() {
            for &m in &self.adj[x as usize] {
                if d[m as usize] == u32::MAX {
                    d[m as usize] = d[x as usize] + 1;
                    queue.push_back(m);
                }
            }
        }
        d
    }
}

/// Why a program cannot be routed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RouteError {
    #[error("the program needs {needed} qubits but the device has {available}")]
    TooManyQubits { needed: u32, available: u32 },
    #[error(
        "op {op} ({name} on physical qubits {a} and {b}): the device connects no path between them"
    )]
    Disconnected {
        op: usize,
        name: &'static str,
        a: u32,
        b: u32,
    },
    #[error("routing works on the native target's programs, not on {0}")]
    Target(&'static str),
    #[error(
        "op {op} is a conditional two-qubit gate on uncoupled qubits: SWAPs cannot be made conditional"
    )]
    ConditionalSwap { op: usize },
    #[error(
        "op {op} ({name} on ${a} and ${b}): the program names physical qubits, and the device does \
         not couple these two"
    )]
    NotCoupled {
        op: usize,
        name: &'static str,
        a: u32,
        b: u32,
    },
}

/// Check that a program on physical qubits (program qubit n is device qubit n) runs on
/// `coupling` as it stands: no more qubits than the device, every two-qubit gate on a coupled
/// pair. Nothing is moved: a program that names `$n` chose its qubits.
///
/// # Errors
/// [`RouteError::TooManyQubits`] or [`RouteError::NotCoupled`] for the first gate that is not.
pub fn check_physical(p: &NativeProgram, coupling: &Coupling) -> Result<(), RouteError> {
    if p.num_qubits > coupling.qubits() {
        return Err(RouteError::TooManyQubits {
            needed: p.num_qubits,
            available: coupling.qubits(),
        });
    }
    for (op, t) in p.ops.iter().enumerate() {
        if let [a, b] = t.qubits[..]
            && !coupling.coupled(a, b)
        {
            return Err(RouteError::NotCoupled {
                op,
                name: t.op.name(),
                a,
                b,
            });
        }
    }
    Ok(())
}

/// A routed program and where its qubits went.
#[derive(Clone, Debug, PartialEq)]
pub struct Routed {
    /// The program on the device's physical qubits, rescheduled.
    pub program: NativeProgram,
    /// Physical qubit of each program qubit at the start.
    pub initial_layout: Vec<u32>,
    /// Physical qubit holding each program qubit at the end (after the SWAPs).
    pub final_layout: Vec<u32>,
    /// SWAPs inserted.
    pub swaps: u64,
}

/// The qubits in order of first two-qubit use (then the unused ones), and for each qubit how
/// often it interacts with each other one: one entry per distinct pair, whatever the gate count.
fn interactions(
    num_qubits: u32,
    pairs: impl Iterator<Item = (u32, u32)>,
) -> (Vec<u32>, Vec<BTreeMap<u32, u64>>) {
    let n = num_qubits as usize;
    let mut order: Vec<u32> = Vec::with_capacity(n);
    let mut seen = vec![false; n];
    // Sorted maps, so that the placement is the same on every run.
    let mut partners: Vec<BTreeMap<u32, u64>> = vec![BTreeMap::new(); n];
    for (a, b) in pairs {
        for q in [a, b] {
            if !seen[q as usize] {
                seen[q as usize] = true;
                order.push(q);
            }
        }
        *partners[a as usize].entry(b).or_insert(0) += 1;
        *partners[b as usize].entry(a).or_insert(0) += 1;
    }
    order.extend((0..num_qubits).filter(|&q| !seen[q as usize]));
    (order, partners)
}

/// Place the program's qubits: each next qubit (in order of first two-qubit use) goes to the free
/// physical qubit nearest its already-placed partners (each counted as often as it interacts);
/// the identity when it already fits.
///
/// Work and memory are linear in the program plus its distinct qubit pairs: partners are
/// counted once per pair with a weight, and distances are accumulated into one vector, so a
/// pair repeated a million times costs one breadth-first search, not a million distance
/// vectors.
fn initial_layout(p: &NativeProgram, coupling: &Coupling) -> Vec<u32> {
    let n = p.num_qubits as usize;
    let two_qubit = || {
        p.ops
            .iter()
            .filter(|o| o.qubits.len() == 2 && o.op != NativeOp::Barrier)
            .map(|o| (o.qubits[0], o.qubits[1]))
    };
    if two_qubit().all(|(a, b)| coupling.coupled(a, b)) {
        return (0..p.num_qubits).collect();
    }
    let (order, partners) = interactions(p.num_qubits, two_qubit());
    let phys = coupling.qubits() as usize;
    let mut layout = vec![u32::MAX; n];
    let mut used = vec![false; phys];
    // Start from the best-connected physical qubit.
    let hub = (0..coupling.qubits())
        .max_by_key(|&q| (coupling.adj[q as usize].len(), std::cmp::Reverse(q)))
        .unwrap_or(0);
    let mut total = vec![0u64; phys];
    for &q in &order {
        total.iter_mut().for_each(|t| *t = 0);
        let mut anchored = false;
        for (&o, &weight) in &partners[q as usize] {
            let l = layout[o as usize];
            if l == u32::MAX {
                continue;
            }
            anchored = true;
            for (t, d) in total.iter_mut().zip(coupling.distances(l)) {
                *t = t.saturating_add(weight.saturating_mul(u64::from(d)));
            }
        }
        if !anchored {
            for (t, d) in total.iter_mut().zip(coupling.distances(hub)) {
                *t = u64::from(d);
            }
        }
        let best = (0..coupling.qubits())
            .filter(|&x| !used[x as usize])
            .min_by_key(|&x| (total[x as usize], x));
        if let Some(x) = best {
            layout[q as usize] = x;
            used[x as usize] = true;
        }
    }
    layout
}

/// Native ops of a CX (`c` control, `t` target) on the target's two-qubit gate, exactly (up to
/// global phase) — the same identities the lowering uses.
fn cx_ops(two_qubit: TwoQubit, c: u32, t: u32, out: &mut Vec<(NativeOp, SmallVec<[u32; 2]>)>) {
    let one = |op, q| (op, SmallVec::from_slice(&[q]));
    match two_qubit {
        // cx = (I ⊗ h)·cz·(I ⊗ h), h = rz(π/2)·sx·rz(π/2) up to phase.
        TwoQubit::Cz => {
            let h = [NativeOp::Rz(PI / 2.0), NativeOp::Sx, NativeOp::Rz(PI / 2.0)];
            out.extend(h.iter().map(|&o| one(o, t)));
            out.push((NativeOp::Cz, SmallVec::from_slice(&[c, t])));
            out.extend(h.iter().map(|&o| one(o, t)));
        }
        // cx = x_c · ecr · (rz(−π/2) ⊗ rz(−π)·sx·rz(−π)), Qiskit's equivalence.
        TwoQubit::Ecr => {
            out.push(one(NativeOp::Rz(wrap(-PI / 2.0)), c));
            out.push(one(NativeOp::Rz(wrap(-PI)), t));
            out.push(one(NativeOp::Sx, t));
            out.push(one(NativeOp::Rz(wrap(-PI)), t));
            out.push((NativeOp::Ecr, SmallVec::from_slice(&[c, t])));
            out.push(one(NativeOp::X, c));
        }
    }
}

/// Route `p` (a native-target program) onto `coupling`, rescheduling with `target`.
pub fn route(
    p: &NativeProgram,
    coupling: &Coupling,
    target: &TargetDesc,
) -> Result<Routed, RouteError> {
    if p.target != TargetKind::Native {
        return Err(RouteError::Target(p.target.name()));
    }
    let phys = coupling.qubits();
    if p.num_qubits > phys {
        return Err(RouteError::TooManyQubits {
            needed: p.num_qubits,
            available: phys,
        });
    }
    let initial = initial_layout(p, coupling);
    // where_[l] = physical qubit of program qubit l; holder[x] = program qubit on x (or MAX).
    let mut where_ = initial.clone();
    let mut holder = vec![u32::MAX; phys as usize];
    for (l, &x) in where_.iter().enumerate() {
        holder[x as usize] = l as u32;
    }
    let mut ops: Vec<TimedOp> = Vec::with_capacity(p.ops.len());
    let mut seq = Vec::new();
    let mut swaps = 0u64;
    let timed = |op: NativeOp, qubits: SmallVec<[u32; 2]>, cond| TimedOp {
        op,
        qubits,
        cond,
        start_ns: 0.0,
        duration_ns: 0.0,
    };
    for (i, o) in p.ops.iter().enumerate() {
        let two = o.qubits.len() == 2 && o.op != NativeOp::Barrier;
        if two {
            let (a, b) = (where_[o.qubits[0] as usize], where_[o.qubits[1] as usize]);
            if !coupling.coupled(a, b) {
                if o.cond.is_some() {
                    return Err(RouteError::ConditionalSwap { op: i });
                }
                let path = coupling.path(a, b).ok_or(RouteError::Disconnected {
                    op: i,
                    name: o.op.name(),
                    a,
                    b,
                })?;
                // Walk the first qubit along the path until it neighbours the second.
                for w in path.windows(2).take(path.len().saturating_sub(2)) {
                    let (x, y) = (w[0], w[1]);
                    seq.clear();
                    cx_ops(target.two_qubit, x, y, &mut seq);
                    cx_ops(target.two_qubit, y, x, &mut seq);
                    cx_ops(target.two_qubit, x, y, &mut seq);
                    ops.extend(seq.drain(..).map(|(op, q)| timed(op, q, None)));
                    let (hx, hy) = (holder[x as usize], holder[y as usize]);
                    holder[x as usize] = hy;
                    holder[y as usize] = hx;
                    if hx != u32::MAX {
                        where_[hx as usize] = y;
                    }
                    if hy != u32::MAX {
                        where_[hy as usize] = x;
                    }
                    swaps += 1;
                }
            }
        }
        let qubits: SmallVec<[u32; 2]> = o.qubits.iter().map(|&q| where_[q as usize]).collect();
        ops.push(timed(o.op, qubits, o.cond));
    }
    let mut program = NativeProgram {
        target: p.target,
        num_qubits: phys,
        num_clbits: p.num_clbits,
        qregs: vec![Register {
            name: "q".into(),
            start: 0,
            size: phys,
        }],
        cregs: p.cregs.clone(),
        ops,
        conditions: p.conditions.clone(),
        duration_ns: 0.0,
        angle_bits: p.angle_bits,
    };
    if program.angle_bits != eqisa_isa::angle::RAW && swaps > 0 {
        // SWAP dressing angles are multiples of π/2: exact on every grid of ≥ 2 bits (a coarser
        // grid's angles lie on it too); snap so the program keeps its one-grid invariant bit for
        // bit.
        program.angle_bits = program.angle_bits.max(2);
        for o in &mut program.ops {
            if let NativeOp::Rz(a) = &mut o.op {
                *a = eqisa_isa::angle::snap(*a, program.angle_bits);
            }
        }
    }
    program.schedule(target);
    Ok(Routed {
        program,
        initial_layout: initial,
        final_layout: where_,
        swaps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::program_state;
    use crate::{LowerOptions, lower};
    use eqisa_ir::matrix::C64;
    use eqisa_test_support::example;

    fn lowered(file: &str, two_qubit: TwoQubit) -> (NativeProgram, TargetDesc) {
        let c = eqisa_qasm::parse_file(example(file)).expect("example parses");
        let mut target = TargetDesc::default_for(TargetKind::Native);
        target.two_qubit = two_qubit;
        let l = lower(&c, &target, &LowerOptions::default()).expect("lowers");
        (l.program, target)
    }

    /// The routed program's state equals the source's with its qubits moved to `final_layout`
    /// (the other physical qubits stay |0⟩).
    fn check_equivalent(p: &NativeProgram, r: &Routed) {
        let want = program_state(p).expect("simulates").expect("static");
        let got = program_state(&r.program)
            .expect("simulates")
            .expect("static");
        let mut moved = vec![C64::new(0.0, 0.0); got.amplitudes().len()];
        for (i, a) in want.amplitudes().iter().enumerate() {
            let mut j = 0usize;
            for (l, &x) in r.final_layout.iter().enumerate() {
                if i >> l & 1 == 1 {
                    j |= 1 << x;
                }
            }
            moved[j] = *a;
        }
        let f = got.fidelity(&moved);
        assert!((f - 1.0).abs() < 1e-9, "fidelity {f}");
    }

    #[test]
    fn qft_on_a_line_is_routed_exactly() {
        for two in [TwoQubit::Cz, TwoQubit::Ecr] {
            let (p, target) = lowered("qft4.qasm", two);
            let line = Coupling::from_pairs(5, (0..4).map(|q| (q, q + 1)));
            let r = route(&p, &line, &target).expect("routes");
            assert!(r.swaps > 0, "qft needs swaps on a line");
            for o in &r.program.ops {
                if o.qubits.len() == 2 && o.op != NativeOp::Barrier {
                    assert!(line.coupled(o.qubits[0], o.qubits[1]), "{o:?}");
                }
            }
            check_equivalent(&p, &r);
        }
    }

    #[test]
    fn a_program_that_fits_is_unchanged() {
        let (p, target) = lowered("bell.qasm", TwoQubit::Cz);
        let full = Coupling::from_pairs(3, [(0, 1), (1, 2)]);
        let r = route(&p, &full, &target).expect("routes");
        assert_eq!(r.swaps, 0);
        assert_eq!(r.initial_layout, vec![0, 1]);
        assert_eq!(r.program.ops.len(), p.ops.len());
        check_equivalent(&p, &r);
    }

    /// Routing many random CNOTs on a long line (the worst case for SWAPs) stays linear: every
    /// SWAP costs a fixed number of native ops, and at most `distance − 1` SWAPs per gate, so
    /// the routed program is bounded by ops + swaps × ops-per-swap with swaps ≤ gates ×
    /// (qubits − 2); every two-qubit gate ends up on coupled qubits.
    #[test]
    fn many_random_cnots_route_in_linear_size() {
        let n = 64u32;
        let mut text = format!("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[{n}];\n");
        let mut rng = eqisa_test_support::Rng::new(7);
        let gates = 300u64;
        for _ in 0..gates {
            let a = rng.below(u64::from(n)) as u32;
            let b = (a + 1 + rng.below(u64::from(n) - 1) as u32) % n;
            text.push_str(&format!("cx q[{a}],q[{b}];\n"));
        }
        let c = eqisa_qasm::parse_str(&text, "r.qasm").expect("parses");
        for two in [TwoQubit::Cz, TwoQubit::Ecr] {
            let mut target = TargetDesc::default_for(TargetKind::Native);
            target.two_qubit = two;
            let l = lower(&c, &target, &LowerOptions::default()).expect("lowers");
            let line = Coupling::from_pairs(n, (0..n - 1).map(|q| (q, q + 1)));
            let r = route(&l.program, &line, &target).expect("routes");
            let mut per_swap = Vec::new();
            cx_ops(two, 0, 1, &mut per_swap);
            let per_swap = 3 * per_swap.len() as u64;
            assert!(r.swaps <= gates * u64::from(n - 2), "{} swaps", r.swaps);
            assert_eq!(
                r.program.ops.len() as u64,
                l.program.ops.len() as u64 + r.swaps * per_swap
            );
            for o in &r.program.ops {
                if o.qubits.len() == 2 && o.op != NativeOp::Barrier {
                    assert!(line.coupled(o.qubits[0], o.qubits[1]), "{o:?}");
                }
            }
        }
    }

    /// The placement's bookkeeping is one entry per distinct qubit pair: a pair repeated
    /// 20,000 times once kept 20,000 copies of the partner, and a distance vector per copy (a
    /// product of gates and device size); the routed program is still right.
    #[test]
    fn a_repeated_pair_costs_one_entry_and_routes_right() {
        let repeats = 20_000u64;
        let pairs = (0..repeats).map(|k| if k % 2 == 0 { (0, 3) } else { (1, 2) });
        let (order, partners) = interactions(4, pairs);
        assert_eq!(order, vec![0, 3, 1, 2]);
        assert_eq!(partners.iter().map(BTreeMap::len).sum::<usize>(), 4);
        assert_eq!(partners[0].get(&3), Some(&(repeats / 2)));
        // qft4 repeated: many uncoupled pairs on a line, checked against the source's state.
        let (p, target) = lowered("qft4.qasm", TwoQubit::Cz);
        // Its gates only (measurements would make the repeat dynamic), 50 times over.
        let gates: Vec<TimedOp> = p
            .ops
            .iter()
            .filter(|o| !matches!(o.op, NativeOp::Measure { .. }))
            .cloned()
            .collect();
        let mut many = p.clone();
        many.ops = (0..50).flat_map(|_| gates.iter().cloned()).collect();
        let line = Coupling::from_pairs(5, (0..4).map(|q| (q, q + 1)));
        let r = route(&many, &line, &target).expect("routes");
        check_equivalent(&many, &r);
    }

    #[test]
    fn too_small_or_disconnected_devices_are_errors() {
        let (p, target) = lowered("qft4.qasm", TwoQubit::Cz);
        let small = Coupling::from_pairs(3, [(0, 1), (1, 2)]);
        assert!(matches!(
            route(&p, &small, &target),
            Err(RouteError::TooManyQubits {
                needed: 4,
                available: 3
            })
        ));
        let split = Coupling::from_pairs(4, [(0, 1), (2, 3)]);
        assert!(matches!(
            route(&p, &split, &target),
            Err(RouteError::Disconnected { .. })
        ));
    }
}
