//! The gate table both front ends fill: names to gate-table entries, where each name was
//! defined (for redefinition errors), the standard libraries (`qelib1.inc`, `stdgates.inc`) and
//! the interning of modified gates (`ctrl @ inv @ s` is one entry, however often it is used).

use rustc_hash::FxHashMap;

use eqisa_ir::circuit::{Circuit, GateEntry, GateId, GateKind, Modifier};
use eqisa_ir::gates::{ALL_GATES, StandardGate};

/// The gate names of OpenQASM 3's `stdgates.inc`.
pub(crate) const STDGATES: [&str; 32] = [
    "p", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "rx", "ry", "rz", "cx", "cy", "cz",
    "cp", "crx", "cry", "crz", "ch", "swap", "ccx", "cswap", "cu", "CX", "phase", "cphase", "id",
    "u1", "u2", "u3",
];

/// Names of the gate table and where each was defined.
#[derive(Default)]
pub(crate) struct GateTable {
    names: FxHashMap<String, GateId>,
    /// Where each named gate was defined, as a redefinition's error names it ("built into
    /// OpenQASM 2", "by \"qelib1.inc\" included at f:2:1", "at f:3:6").
    defined: FxHashMap<String, String>,
}

impl GateTable {
    /// The entry named `name` (a plain name or a modified gate's label).
    pub(crate) fn get(&self, name: &str) -> Option<GateId> {
        self.names.get(name).copied()
    }

    /// Where `name` was defined, if it was.
    pub(crate) fn origin(&self, name: &str) -> Option<&str> {
        self.defined.get(name).map(String::as_str)
    }

    /// Forget every name (the circuit's table is cleared alongside).
    pub(crate) fn clear(&mut self) {
        self.names.clear();
        self.defined.clear();
    }

    /// Define `name` as the library gate `g`, provided by `origin`. A name already provided
    /// (a library included twice) is kept.
    pub(crate) fn add_standard(
        &mut self,
        circuit: &mut Circuit,
        name: &str,
        g: StandardGate,
        origin: &str,
    ) {
        if self.names.contains_key(name) {
            return;
        }
        self.define(
            circuit,
            GateEntry {
                name: name.to_string(),
                num_qubits: g.num_qubits() as u32,
                num_params: g.num_params() as u32,
                kind: GateKind::Standard(g),
                first_use: 0,
            },
            origin.to_string(),
        );
    }

    /// Add `entry` under its name, defined at `origin`; the caller has checked the name is
    /// free.
    pub(crate) fn define(
        &mut self,
        circuit: &mut Circuit,
        entry: GateEntry,
        origin: String,
    ) -> GateId {
        let id = GateId(circuit.gates.len() as u32);
        self.defined.insert(entry.name.clone(), origin);
        self.names.insert(entry.name.clone(), id);
        circuit.gates.push(entry);
        id
    }

    /// The gates a built-in library brings in: `qelib1.inc` (OpenQASM 2) or `stdgates.inc`
    /// (OpenQASM 3); `None` for any other file.
    pub(crate) fn library(path: &str) -> Option<Vec<(&'static str, StandardGate)>> {
        match path {
            "qelib1.inc" => Some(
                ALL_GATES
                    .iter()
                    .filter_map(|&g| match g {
                        StandardGate::GPhase => None,
                        StandardGate::U => Some(("u", g)),
                        _ => Some((g.name(), g)),
                    })
                    .collect(),
            ),
            "stdgates.inc" => Some(
                STDGATES
                    .iter()
                    .filter_map(|&n| StandardGate::from_stdgates(n).map(|g| (n, g)))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// Bring in the library `gates` of `path`, included at `pos`. A gate the program defined
    /// before the include clashes with the library's (as Qiskit reports; the same library
    /// included twice does not): its name is the error.
    pub(crate) fn include_library(
        &mut self,
        circuit: &mut Circuit,
        path: &str,
        gates: Vec<(&'static str, StandardGate)>,
        pos: &str,
    ) -> Result<(), &'static str> {
        let mine = format!("by \"{path}\" included at ");
        for &(name, _) in &gates {
            if self
                .defined
                .get(name)
                .is_some_and(|d| !d.starts_with(&mine))
            {
                return Err(name);
            }
        }
        let origin = format!("{mine}{pos}");
        for (name, g) in gates {
            self.add_standard(circuit, name, g, &origin);
        }
        Ok(())
    }

    /// The entry of `base` with `modifiers` applied, labelled `label` (the modifier text and
    /// the base name), interned: the same modified gate is one entry. `extra_qubits` is the
    /// number of control qubits the modifiers add.
    pub(crate) fn modified(
        &mut self,
        circuit: &mut Circuit,
        base: GateId,
        modifiers: Vec<Modifier>,
        label: String,
        extra_qubits: u32,
    ) -> Option<GateId> {
        if let Some(id) = self.names.get(&label) {
            return Some(*id);
        }
        let b = circuit.gates.get(base.0 as usize)?;
        let entry = GateEntry {
            name: label.clone(),
            num_qubits: b.num_qubits + extra_qubits,
            num_params: b.num_params,
            kind: GateKind::Modified { base, modifiers },
            first_use: 0,
        };
        let id = GateId(circuit.gates.len() as u32);
        circuit.gates.push(entry);
        // Modified names contain '@' and spaces, so they can never clash with a user's gate.
        self.names.insert(label, id);
        Some(id)
    }
}

/// The text a modifier contributes to a modified gate's label (`ctrl @ `, `ctrl(2) @ `,
/// `pow(0.5) @ `, `inv @ `).
pub(crate) fn modifier_label(m: &Modifier, out: &mut String) {
    match m {
        Modifier::Inv => out.push_str("inv @ "),
        Modifier::Pow(k) => out.push_str(&format!("pow({k}) @ ")),
        Modifier::Ctrl { count, negated } => {
            let word = if *negated { "negctrl" } else { "ctrl" };
            if *count == 1 {
                out.push_str(&format!("{word} @ "));
            } else {
                out.push_str(&format!("{word}({count}) @ "));
            }
        }
    }
}

/// Whether an application of `g` with `n_params` angles and `n_args` qubits fits its signature;
/// the error says which count is wrong.
pub(crate) fn check_signature(
    g: &GateEntry,
    n_params: usize,
    n_args: usize,
) -> Result<(), crate::error::ErrorKind> {
    use crate::error::ErrorKind;
    if g.num_params as usize != n_params {
        return Err(ErrorKind::WrongParamCount {
            gate: g.name.clone(),
            expected: g.num_params as usize,
            found: n_params,
        });
    }
    if g.num_qubits as usize != n_args {
        return Err(ErrorKind::WrongArity {
            gate: g.name.clone(),
            expected: g.num_qubits as usize,
            found: n_args,
        });
    }
    Ok(())
}
