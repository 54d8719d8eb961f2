//! Circuit statistics: operation counts by source name, conditionals, and depth.

use std::collections::BTreeMap;

use crate::ir::{Circuit, Op};

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
    /// Longest path through qubit and clbit wires, barriers excluded, each conditional one step
    /// (Qiskit's `QuantumCircuit.depth()`).
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

fn count(c: &Circuit, ops: &[Op], inside: bool, s: &mut Stats) {
    for op in ops {
        if let Op::If { block } = op {
            s.conditional += 1;
            let b = &c.ifs[*block as usize];
            count(c, &b.then_ops, true, s);
            count(c, &b.else_ops, true, s);
            continue;
        }
        let name = op_name(c, op);
        *s.ops.entry(name.to_string()).or_insert(0) += 1;
        if inside {
            *s.ops_in_conditionals.entry(name.to_string()).or_insert(0) += 1;
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

/// Depth as Qiskit defines it.
pub fn depth(c: &Circuit) -> u64 {
    let mut level = vec![0u64; (c.num_qubits + c.num_clbits) as usize];
    let mut w = Vec::new();
    let mut best = 0;
    for op in &c.ops {
        w.clear();
        wires(c, op, &mut w);
        w.sort_unstable();
        w.dedup();
        let d = w
            .iter()
            .map(|&x| level.get(x as usize).copied().unwrap_or(0))
            .max();
        let Some(d) = d else { continue };
        for &x in &w {
            if let Some(l) = level.get_mut(x as usize) {
                *l = d + 1;
            }
        }
        best = best.max(d + 1);
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
    count(c, &c.ops, false, &mut s);
    s.depth = depth(c);
    s
}
