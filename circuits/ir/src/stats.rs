//! Circuit statistics: operation counts by source name, conditionals, and depth.

use std::collections::BTreeMap;

use crate::circuit::{Circuit, Op};

/// What `eqisa inspect` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stats {
    pub qubits: u32,
    pub clbits: u32,
    /// Operations by the name used in the source (`measure`, `reset`, `barrier`, `delay`
    /// included); operations inside conditionals count under their own names too.
    pub ops: BTreeMap<String, u64>,
    /// Operations inside conditionals, by name (a subset of `ops`).
    pub ops_in_conditionals: BTreeMap<String, u64>,
    /// Number of conditional blocks (`if` statements; OpenQASM 2 broadcasts count once per bit).
    pub conditional: u64,
    /// Longest path through qubit and clbit wires, each conditional one step; barriers align
    /// their wires without adding a step (Qiskit's `QuantumCircuit.depth()`).
    pub depth: u64,
}

/// Name an operation is counted under.
pub fn op_name<'c>(c: &'c Circuit, op: &Op) -> &'c str {
    match op {
        Op::Gate { gate, .. } => &c.gate(*gate).name,
        Op::Measure { .. } => "measure",
        Op::Reset { .. } => "reset",
        Op::Barrier { .. } => "barrier",
        Op::Delay { .. } => "delay",
        Op::If { .. } => "if_else",
    }
}

/// Counts by operation kind, keyed cheaply (gate id, or a fixed name) while walking.
#[derive(Default)]
struct Tally {
    gates: Vec<u64>,
    gates_inside: Vec<u64>,
    named: BTreeMap<&'static str, (u64, u64)>,
    conditional: u64,
}

fn count(c: &Circuit, ops: &[Op], inside: bool, t: &mut Tally) {
    for op in ops {
        match op {
            Op::If { block } => {
                t.conditional += 1;
                let b = &c.ifs[*block as usize];
                count(c, &b.then_ops, true, t);
                count(c, &b.else_ops, true, t);
            }
            Op::Gate { gate, .. } => {
                let g = gate.0 as usize;
                if t.gates.len() <= g {
                    t.gates.resize(c.gates.len().max(g + 1), 0);
                    t.gates_inside.resize(c.gates.len().max(g + 1), 0);
                }
                t.gates[g] += 1;
                if inside {
                    t.gates_inside[g] += 1;
                }
            }
            Op::Measure { .. } | Op::Reset { .. } | Op::Barrier { .. } | Op::Delay { .. } => {
                let name = match op {
                    Op::Measure { .. } => "measure",
                    Op::Reset { .. } => "reset",
                    Op::Barrier { .. } => "barrier",
                    _ => "delay",
                };
                let e = t.named.entry(name).or_default();
                e.0 += 1;
                if inside {
                    e.1 += 1;
                }
            }
        }
    }
}

/// Wires (qubits, then clbits offset by the qubit count) an operation touches.
fn wires(c: &Circuit, op: &Op, out: &mut Vec<u32>) {
    let nq = c.num_qubits;
    match *op {
        Op::Gate { gate, args, params } => {
            out.extend_from_slice(c.gate_operands(gate, args, params).0);
        }
        Op::Measure { qubit, clbit } => {
            out.push(qubit);
            out.push(nq + clbit);
        }
        Op::Reset { qubit } | Op::Delay { qubit, .. } => out.push(qubit),
        Op::Barrier { .. } => {}
        Op::If { block } => {
            let b = &c.ifs[block as usize];
            let mut bits = Vec::new();
            b.cond.clbits(c, &mut bits);
            out.extend(bits.iter().map(|b| nq + b));
            for inner in b.then_ops.iter().chain(&b.else_ops) {
                wires(c, inner, out);
            }
        }
    }
}

/// Advance the wires `w` (distinct) by one step; returns the new level.
fn step(level: &mut [u64], w: &[u32]) -> u64 {
    let d = w
        .iter()
        .map(|&x| level.get(x as usize).copied().unwrap_or(0))
        .max()
        .unwrap_or(0)
        + 1;
    for &x in w {
        if let Some(l) = level.get_mut(x as usize) {
            *l = d;
        }
    }
    d
}

/// Depth as Qiskit defines it.
pub fn depth(c: &Circuit) -> u64 {
    let nq = c.num_qubits;
    let mut level = vec![0u64; (c.num_qubits + c.num_clbits) as usize];
    let mut w = Vec::new();
    let mut best = 0;
    for op in &c.ops {
        let d = match *op {
            // Gate operands are distinct (the parser checks), so no de-duplication.
            Op::Gate { gate, args, params } => {
                let q = c.gate_operands(gate, args, params).0;
                if q.is_empty() {
                    continue;
                }
                step(&mut level, q)
            }
            Op::Measure { qubit, clbit } => step(&mut level, &[qubit, nq + clbit]),
            Op::Reset { qubit } | Op::Delay { qubit, .. } => step(&mut level, &[qubit]),
            // A barrier adds no step but lines its wires up (as Qiskit counts it).
            Op::Barrier { args, len } => {
                let q = c.barrier_qubits(args, len);
                let d = q
                    .iter()
                    .map(|&x| level.get(x as usize).copied().unwrap_or(0))
                    .max()
                    .unwrap_or(0);
                for &x in q {
                    if let Some(l) = level.get_mut(x as usize) {
                        *l = d;
                    }
                }
                continue;
            }
            Op::If { .. } => {
                w.clear();
                wires(c, op, &mut w);
                w.sort_unstable();
                w.dedup();
                if w.is_empty() {
                    continue;
                }
                step(&mut level, &w)
            }
        };
        best = best.max(d);
    }
    best
}

/// All statistics of a circuit.
pub fn stats(c: &Circuit) -> Stats {
    let mut s = Stats {
        qubits: c.num_qubits,
        clbits: c.num_clbits,
        ops: BTreeMap::new(),
        ops_in_conditionals: BTreeMap::new(),
        conditional: 0,
        depth: 0,
    };
    let mut t = Tally::default();
    count(c, &c.ops, false, &mut t);
    let mut add = |name: &str, n: u64, inside: u64| {
        if n > 0 {
            *s.ops.entry(name.to_string()).or_insert(0) += n;
        }
        if inside > 0 {
            *s.ops_in_conditionals.entry(name.to_string()).or_insert(0) += inside;
        }
    };
    for (g, (&n, &inside)) in t.gates.iter().zip(&t.gates_inside).enumerate() {
        add(&c.gates[g].name, n, inside);
    }
    for (name, (n, inside)) in &t.named {
        add(name, *n, *inside);
    }
    s.conditional = t.conditional;
    s.depth = depth(c);
    s
}
