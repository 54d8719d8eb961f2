//! Unrolling user-defined gates to standard gates.
//!
//! [`expand_gate`] streams the standard-gate applications a gate application stands for, so the
//! simulator never materialises an expansion; [`unroll`] builds a new circuit of standard gates
//! (possibly with modifiers) only. Modifiers on a user gate distribute over its body exactly:
//! controls go onto every operation, `inv` reverses the body and inverts each operation, and an
//! integer power repeats it.

use smallvec::SmallVec;

use crate::circuit::{Circuit, GateEntry, GateId, GateKind, IfBlock, Modifier, Op};
use crate::gates::StandardGate;
use crate::power::{PowerError, fold_integer_powers};

/// Most standard-gate applications one expansion may produce (guards against definitions that
/// double at every level).
pub const MAX_EXPANSION: u64 = 10_000_000;
/// Deepest chain of definitions followed.
pub const MAX_DEPTH: usize = 256;

/// Why a circuit cannot be unrolled.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum UnrollError {
    #[error("gate '{0}' is opaque: it has no definition to unroll")]
    Opaque(String),
    #[error("'{0}': a non-integer power of a user-defined gate is not supported")]
    FractionalPower(String),
    #[error("gate '{gate}' expands to more than {limit} standard gates")]
    TooLarge { gate: String, limit: u64 },
    #[error("gate '{0}' has definitions nested deeper than {MAX_DEPTH} levels")]
    TooDeep(String),
    #[error("gate '{gate}': parameter evaluates to {value}, which is not finite")]
    NonFinite { gate: String, value: f64 },
    #[error(
        "'{gate}': pow({power}) of a user-defined gate repeats its body more than {limit} times"
    )]
    PowerTooLarge {
        gate: String,
        power: f64,
        limit: u64,
    },
    #[error("'{gate}': {source}")]
    Power {
        gate: String,
        #[source]
        source: PowerError,
    },
}

/// Largest integer power of a user-defined gate expanded (its body repeated that many times).
pub const MAX_DEFINED_POWER: u64 = 1_000_000;

/// One standard gate applied with modifiers (outermost first; empty for a plain gate).
#[derive(Clone, Copy, Debug)]
pub struct Application<'a> {
    pub gate: StandardGate,
    pub modifiers: &'a [Modifier],
    pub params: &'a [f64],
    pub qubits: &'a [u32],
}

struct Expander<'c, 'f> {
    circuit: &'c Circuit,
    emitted: u64,
    root: GateId,
    sink: &'f mut dyn FnMut(Application<'_>) -> Result<(), UnrollError>,
}

impl Expander<'_, '_> {
    fn root_name(&self) -> String {
        self.circuit.gate(self.root).name.clone()
    }

    fn expand(
        &mut self,
        gate: GateId,
        params: &[f64],
        qubits: &[u32],
        mods: &mut SmallVec<[Modifier; 4]>,
        depth: usize,
    ) -> Result<(), UnrollError> {
        if depth > MAX_DEPTH {
            return Err(UnrollError::TooDeep(self.root_name()));
        }
        let entry = self.circuit.gate(gate);
        match &entry.kind {
            GateKind::Standard(g) => {
                self.emitted += 1;
                if self.emitted > MAX_EXPANSION {
                    return Err(UnrollError::TooLarge {
                        gate: self.root_name(),
                        limit: MAX_EXPANSION,
                    });
                }
                // Integer powers are folded exactly here, where simulation and lowering both
                // take their gates: a matrix raised to 10^17 is rounding error.
                let folded =
                    fold_integer_powers(*g, params, mods).map_err(|source| UnrollError::Power {
                        gate: self.root_name(),
                        source,
                    })?;
                if let Some((params, modifiers)) = folded {
                    return (self.sink)(Application {
                        gate: *g,
                        modifiers: &modifiers,
                        params: &params,
                        qubits,
                    });
                }
                (self.sink)(Application {
                    gate: *g,
                    modifiers: mods,
                    params,
                    qubits,
                })
            }
            GateKind::Opaque => Err(UnrollError::Opaque(entry.name.clone())),
            GateKind::Modified { base, modifiers } => {
                let n = mods.len();
                mods.extend_from_slice(modifiers);
                let r = self.expand(*base, params, qubits, mods, depth + 1);
                mods.truncate(n);
                r
            }
            GateKind::Defined(def) => {
                // Collapse the modifiers on a definition into controls and an integer power.
                let mut power: i64 = 1;
                let mut controls: SmallVec<[Modifier; 4]> = SmallVec::new();
                for m in mods.iter() {
                    match *m {
                        Modifier::Ctrl { .. } => controls.push(*m),
                        Modifier::Inv => power = -power,
                        Modifier::Pow(k) => {
                            if k.fract() != 0.0 || !k.is_finite() {
                                return Err(UnrollError::FractionalPower(entry.name.clone()));
                            }
                            power = power.saturating_mul(k.clamp(-1e18, 1e18) as i64);
                            if power.unsigned_abs() > MAX_DEFINED_POWER {
                                return Err(UnrollError::PowerTooLarge {
                                    gate: entry.name.clone(),
                                    power: k,
                                    limit: MAX_DEFINED_POWER,
                                });
                            }
                        }
                    }
                }
                let n_ctrl: usize = controls
                    .iter()
                    .map(|m| match m {
                        Modifier::Ctrl { count, .. } => *count as usize,
                        _ => 0,
                    })
                    .sum();
                let (ctrl_qubits, own) = qubits.split_at(n_ctrl.min(qubits.len()));
                let body_mods_base: SmallVec<[Modifier; 4]> = if power < 0 {
                    controls.iter().copied().chain([Modifier::Inv]).collect()
                } else {
                    controls.clone()
                };
                let mut vals: SmallVec<[f64; 4]> = SmallVec::new();
                let mut args: SmallVec<[u32; 8]> = SmallVec::new();
                for _ in 0..power.unsigned_abs() {
                    let ops: Box<dyn Iterator<Item = _>> = if power < 0 {
                        Box::new(def.body.iter().rev())
                    } else {
                        Box::new(def.body.iter())
                    };
                    for op in ops {
                        vals.clear();
                        for e in &op.params {
                            let v = e.eval(params);
                            if !v.is_finite() {
                                return Err(UnrollError::NonFinite {
                                    gate: entry.name.clone(),
                                    value: v,
                                });
                            }
                            vals.push(v);
                        }
                        args.clear();
                        args.extend_from_slice(ctrl_qubits);
                        args.extend(op.args.iter().map(|&k| own[k as usize]));
                        let mut inner = body_mods_base.clone();
                        let vals2 = vals.clone();
                        let args2 = args.clone();
                        self.expand(op.gate, &vals2, &args2, &mut inner, depth + 1)?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// Stream the standard-gate applications that applying `gate` to `qubits` with `params` stands
/// for.
pub fn expand_gate(
    circuit: &Circuit,
    gate: GateId,
    params: &[f64],
    qubits: &[u32],
    sink: &mut dyn FnMut(Application<'_>) -> Result<(), UnrollError>,
) -> Result<(), UnrollError> {
    let mut e = Expander {
        circuit,
        emitted: 0,
        root: gate,
        sink,
    };
    e.expand(gate, params, qubits, &mut SmallVec::new(), 0)
}

/// The name of a modified standard gate, e.g. `ctrl @ inv @ s`.
pub fn modified_name(gate: StandardGate, modifiers: &[Modifier]) -> String {
    let mut s = String::new();
    for m in modifiers {
        match m {
            Modifier::Inv => s.push_str("inv @ "),
            Modifier::Pow(k) => s.push_str(&format!("pow({k}) @ ")),
            Modifier::Ctrl { count, negated } => {
                let w = if *negated { "negctrl" } else { "ctrl" };
                if *count == 1 {
                    s.push_str(&format!("{w} @ "));
                } else {
                    s.push_str(&format!("{w}({count}) @ "));
                }
            }
        }
    }
    s.push_str(gate.name());
    s
}

struct Unroller<'c> {
    src: &'c Circuit,
    out: Circuit,
    table: rustc_hash::FxHashMap<String, GateId>,
}

impl Unroller<'_> {
    fn gate_id(&mut self, a: &Application<'_>) -> GateId {
        let name = modified_name(a.gate, a.modifiers);
        if let Some(id) = self.table.get(&name) {
            return *id;
        }
        let id = GateId(self.out.gates.len() as u32);
        let base = if a.modifiers.is_empty() {
            id
        } else {
            let plain = Application {
                modifiers: &[],
                ..*a
            };
            self.gate_id(&plain)
        };
        let id = GateId(self.out.gates.len() as u32);
        let kind = if a.modifiers.is_empty() {
            GateKind::Standard(a.gate)
        } else {
            GateKind::Modified {
                base,
                modifiers: a.modifiers.to_vec(),
            }
        };
        // A modified gate takes the application's operands (controls included); the plain
        // library gate its own.
        let num_qubits = if a.modifiers.is_empty() {
            a.gate.num_qubits()
        } else {
            a.qubits.len()
        };
        self.out.gates.push(GateEntry {
            name: name.clone(),
            num_qubits: num_qubits as u32,
            num_params: a.gate.num_params() as u32,
            kind,
            first_use: 0,
        });
        self.table.insert(name, id);
        id
    }

    fn ops(&mut self, ops: &[Op]) -> Result<Vec<Op>, UnrollError> {
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            match *op {
                Op::Gate { gate, args, params } => {
                    let (q, p) = self.src.gate_operands(gate, args, params);
                    let mut pending: Vec<Op> = Vec::new();
                    let src = self.src;
                    expand_gate(src, gate, p, q, &mut |a| {
                        let id = self.gate_id(&a);
                        let args = self.out.qubits.len() as u32;
                        self.out.qubits.extend_from_slice(a.qubits);
                        let params = self.out.params.len() as u32;
                        self.out.params.extend_from_slice(a.params);
                        pending.push(Op::Gate {
                            gate: id,
                            args,
                            params,
                        });
                        Ok(())
                    })?;
                    out.extend(pending);
                }
                Op::Barrier { args, len } => {
                    let start = self.out.qubits.len() as u32;
                    self.out
                        .qubits
                        .extend_from_slice(self.src.barrier_qubits(args, len));
                    out.push(Op::Barrier { args: start, len });
                }
                Op::If { block } => {
                    let b = &self.src.ifs[block as usize];
                    let then_ops = self.ops(&b.then_ops)?;
                    let else_ops = self.ops(&b.else_ops)?;
                    let id = self.out.ifs.len() as u32;
                    self.out.ifs.push(IfBlock {
                        cond: b.cond.clone(),
                        then_ops,
                        else_ops,
                        line: b.line,
                    });
                    out.push(Op::If { block: id });
                }
                Op::Measure { .. } | Op::Reset { .. } | Op::Delay { .. } => out.push(*op),
            }
        }
        Ok(out)
    }
}

/// A copy of `circuit` in which every gate is a standard gate, possibly with modifiers.
pub fn unroll(circuit: &Circuit) -> Result<Circuit, UnrollError> {
    let mut out = Circuit::new(circuit.version);
    out.qregs = circuit.qregs.clone();
    out.cregs = circuit.cregs.clone();
    out.num_qubits = circuit.num_qubits;
    out.num_clbits = circuit.num_clbits;
    out.durations = circuit.durations.clone();
    let mut u = Unroller {
        src: circuit,
        out,
        table: Default::default(),
    };
    let ops = u.ops(&circuit.ops)?;
    u.out.ops = ops;
    Ok(u.out)
}
