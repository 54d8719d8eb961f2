//! From text to a checked, flat list of instructions: each line read by [`crate::lex`], names
//! resolved against [`crate::gates`], targets checked against what the instruction takes,
//! `REPEAT` blocks matched without recursion, and the measurement record, the qubit count and
//! the executed instructions counted in checked arithmetic (loops multiplied out, never
//! unrolled). Annotations and noise channels are counted and dropped here.

use std::collections::BTreeMap;

use crate::error::StimError;
use crate::gates::{Feedback, GateFact, Kind, lookup, measures};
use crate::lex::{Line, Target, TargetKind, line};

/// Deepest `REPEAT` nesting accepted: as deep as the IR's flatten pass and interpreter follow
/// ([`eqisa_ir::program::flatten::MAX_NESTING`], less the levels of the innermost block's
/// statements, of a feedback `if` among them and of its body), so that every program read
/// here can be run.
pub const MAX_DEPTH: usize = eqisa_ir::program::flatten::MAX_NESTING as usize - 3;
/// Largest `REPEAT` count accepted.
pub const MAX_REPEAT: u64 = 1_000_000_000_000;
/// Qubit indices must be below this (Stim's own limit).
pub const MAX_QUBITS: u64 = 1 << 24;
/// Most instructions the program may execute, loops multiplied out (each target of an
/// instruction and each iteration of a loop counts one).
pub const MAX_EXECUTED: u128 = 1 << 42;

/// One instruction kept for the builder, its targets checked.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A quantum operation (or `TICK`, or `MPAD`).
    Op {
        /// The instruction.
        gate: &'static GateFact,
        /// Its targets, checked against what it takes.
        targets: Vec<Target>,
        /// 1-based line.
        line: u32,
        /// 1-based column of its name.
        col: u32,
    },
    /// `REPEAT count {`: the items up to the matching [`Item::End`] are its body.
    Repeat {
        /// Iterations (at least 1).
        count: u64,
        /// Measurements one iteration makes.
        stride: u64,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        col: u32,
    },
    /// The `}` closing the innermost open `REPEAT`.
    End,
}

/// A parsed file.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    /// The instructions that act, in order, blocks marked.
    pub items: Vec<Item>,
    /// Largest qubit index named anywhere, plus one.
    pub num_qubits: u32,
    /// Measurement record entries the whole program makes.
    pub num_measurements: u32,
    /// Skipped instructions by canonical name, with how often each is written.
    pub skipped: BTreeMap<String, u64>,
}

struct Frame {
    item: usize,
    count: u64,
    meas: u64,
    executed: u128,
    line: u32,
    col: u32,
}

struct Parser<'f> {
    file: &'f str,
    line: u32,
    out: Parsed,
    meas: u64,
    executed: u128,
    stack: Vec<Frame>,
}

/// Parse `text`, naming `file` in errors.
pub fn parse(text: &str, file: &str) -> Result<Parsed, StimError> {
    let mut p = Parser {
        file,
        line: 0,
        out: Parsed {
            items: Vec::new(),
            num_qubits: 0,
            num_measurements: 0,
            skipped: BTreeMap::new(),
        },
        meas: 0,
        executed: 0,
        stack: Vec::new(),
    };
    for (n, raw) in text.split('\n').enumerate() {
        p.line =
            u32::try_from(n + 1).map_err(|_| StimError::at(file, u32::MAX, 1, "too many lines"))?;
        match line(raw).map_err(|(col, m)| p.err(col, m))? {
            Line::Empty => {}
            Line::Close(col) => p.close(col)?,
            Line::Instr(i) => {
                let Some(gate) = lookup(i.name) else {
                    return Err(p.err(i.col, format!("unknown instruction '{}'", i.name)));
                };
                if gate.kind == Kind::Repeat {
                    p.repeat(&i.targets, &i.args, i.open, i.col)?;
                } else {
                    if let Some(c) = i.open {
                        return Err(p.err(
                            c,
                            format!("'{{' after {}: only REPEAT opens a block", gate.name),
                        ));
                    }
                    p.instruction(gate, i.targets, &i.args, i.col)?;
                }
            }
        }
    }
    if let Some(f) = p.stack.last() {
        return Err(StimError::at(
            file,
            f.line,
            f.col,
            "unclosed '{' of this REPEAT block",
        ));
    }
    p.out.num_measurements = p.meas as u32;
    Ok(p.out)
}

impl Parser<'_> {
    fn err(&self, col: u32, message: impl Into<String>) -> StimError {
        StimError::at(self.file, self.line, col, message)
    }

    fn add_measurements(&mut self, n: u64, col: u32) -> Result<(), StimError> {
        self.meas = self
            .meas
            .checked_add(n)
            .filter(|&m| m <= u64::from(u32::MAX))
            .ok_or_else(|| {
                self.err(
                    col,
                    format!("the program measures more than {} times", u32::MAX),
                )
            })?;
        Ok(())
    }

    fn add_executed(&mut self, n: u128, col: u32) -> Result<(), StimError> {
        self.executed = self
            .executed
            .checked_add(n)
            .filter(|&e| e <= MAX_EXECUTED)
            .ok_or_else(|| {
                self.err(
                    col,
                    format!("the program executes more than {MAX_EXECUTED} instructions"),
                )
            })?;
        Ok(())
    }

    fn qubit(&mut self, q: u64, col: u32) -> Result<u32, StimError> {
        if q >= MAX_QUBITS {
            return Err(self.err(
                col,
                format!(
                    "qubit index {q} is too large (the limit is {})",
                    MAX_QUBITS - 1
                ),
            ));
        }
        let q = q as u32;
        self.out.num_qubits = self.out.num_qubits.max(q + 1);
        Ok(q)
    }

    fn skip(&mut self, name: String) {
        *self.out.skipped.entry(name).or_insert(0) += 1;
    }

    fn repeat(
        &mut self,
        targets: &[Target],
        args: &[f64],
        open: Option<u32>,
        col: u32,
    ) -> Result<(), StimError> {
        if !args.is_empty() {
            return Err(self.err(col, "REPEAT takes no arguments in parentheses"));
        }
        let count = match targets {
            [
                Target {
                    kind: TargetKind::Number(n),
                    inverted: false,
                    ..
                },
            ] => *n,
            [] => return Err(self.err(col, "REPEAT needs a count")),
            [t, ..] => return Err(self.err(t.col, "REPEAT takes one count and then '{'")),
        };
        let Some(_) = open else {
            return Err(self.err(col, "missing '{' at the end of the REPEAT line"));
        };
        let at = targets[0].col;
        if count == 0 {
            return Err(self.err(at, "REPEAT 0 is not allowed (Stim refuses it too)"));
        }
        if count > MAX_REPEAT {
            return Err(self.err(
                at,
                format!("REPEAT count {count} is above the limit of {MAX_REPEAT}"),
            ));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(
                col,
                format!("REPEAT blocks nested more than {MAX_DEPTH} deep"),
            ));
        }
        self.stack.push(Frame {
            item: self.out.items.len(),
            count,
            meas: self.meas,
            executed: self.executed,
            line: self.line,
            col,
        });
        self.out.items.push(Item::Repeat {
            count,
            stride: 0,
            line: self.line,
            col,
        });
        Ok(())
    }

    fn close(&mut self, col: u32) -> Result<(), StimError> {
        let Some(f) = self.stack.pop() else {
            return Err(self.err(col, "'}' without an open REPEAT block"));
        };
        let stride = self.meas - f.meas;
        let body = self.executed - f.executed + 1;
        let total = stride
            .checked_mul(f.count)
            .and_then(|m| m.checked_add(f.meas))
            .filter(|&m| m <= u64::from(u32::MAX))
            .ok_or_else(|| {
                self.err(
                    col,
                    format!("the program measures more than {} times", u32::MAX),
                )
            })?;
        self.meas = total;
        self.executed = f.executed;
        let all = body.checked_mul(u128::from(f.count)).ok_or_else(|| {
            self.err(
                col,
                format!("the program executes more than {MAX_EXECUTED} instructions"),
            )
        })?;
        self.add_executed(all, col)?;
        if let Some(Item::Repeat { stride: s, .. }) = self.out.items.get_mut(f.item) {
            *s = stride;
        }
        self.out.items.push(Item::End);
        Ok(())
    }

    fn instruction(
        &mut self,
        gate: &'static GateFact,
        targets: Vec<Target>,
        args: &[f64],
        col: u32,
    ) -> Result<(), StimError> {
        self.add_executed(targets.len().max(1) as u128, col)?;
        let noisy = !args.is_empty();
        let max_args = match gate.kind {
            Kind::Unitary { .. } | Kind::Tick | Kind::Repeat => 0,
            Kind::Collapse { body, .. } if !measures(body) => 0,
            Kind::Collapse { .. } | Kind::Mpp | Kind::Mpad => 1,
            Kind::Spp { .. } => 0,
            Kind::Annotation | Kind::Noise | Kind::Heralded => usize::MAX,
        };
        if args.len() > max_args {
            return Err(self.err(
                col,
                format!(
                    "{} takes at most {max_args} arguments in parentheses, given {}",
                    gate.name,
                    args.len()
                ),
            ));
        }
        match gate.kind {
            Kind::Annotation | Kind::Noise => {
                for t in &targets {
                    // Every qubit named counts towards the register, as in Stim; the number
                    // of OBSERVABLE_INCLUDE(k) is its argument, never a target.
                    if let TargetKind::Number(q) | TargetKind::Pauli(_, q) = t.kind {
                        self.qubit(q, t.col)?;
                    }
                }
                self.skip(gate.name.to_string());
                return Ok(());
            }
            Kind::Heralded => {
                return Err(self.err(col, format!("{} appends heralds to the measurement record that no control stream produces; it is not supported", gate.name)));
            }
            // The caller reads REPEAT lines itself.
            Kind::Repeat => return Ok(()),
            Kind::Tick => {
                if let Some(t) = targets.first() {
                    return Err(self.err(t.col, "TICK takes no targets"));
                }
            }
            Kind::Unitary {
                arity, feedback, ..
            } => self.unitary(gate, &targets, arity, feedback, col)?,
            Kind::Collapse { arity, body } => {
                let measuring = measures(body);
                self.plain(gate, &targets, arity, measuring, col)?;
                if measuring {
                    self.add_measurements((targets.len() / arity as usize) as u64, col)?;
                }
                if noisy {
                    self.skip(format!("{}(noise)", gate.name));
                }
            }
            Kind::Mpp | Kind::Spp { .. } => {
                let products = self.products(gate, &targets, col)?;
                if gate.kind == Kind::Mpp {
                    self.add_measurements(products, col)?;
                }
                if noisy {
                    self.skip(format!("{}(noise)", gate.name));
                }
            }
            Kind::Mpad => {
                for t in &targets {
                    match t.kind {
                        TargetKind::Number(0 | 1) if !t.inverted => {}
                        _ => return Err(self.err(t.col, "MPAD takes the bits 0 and 1 as targets")),
                    }
                }
                self.add_measurements(targets.len() as u64, col)?;
                self.skip(gate.name.to_string());
            }
        }
        self.out.items.push(Item::Op {
            gate,
            targets,
            line: self.line,
            col,
        });
        Ok(())
    }

    fn check_rec(&self, k: u64, col: u32) -> Result<(), StimError> {
        if k > self.meas {
            return Err(self.err(
                col,
                format!(
                    "rec[-{k}] reaches before the first measurement (the record holds {} here)",
                    self.meas
                ),
            ));
        }
        Ok(())
    }

    /// A two-qubit instruction's targets come in pairs: an odd last one is named.
    fn check_pairs(
        &self,
        name: &str,
        targets: &[Target],
        arity: u8,
        col: u32,
    ) -> Result<(), StimError> {
        if arity == 2 && targets.len() % 2 == 1 {
            let at = targets.last().map_or(col, |t| t.col);
            return Err(self.err(
                at,
                format!("{name} takes targets in pairs; this one has none"),
            ));
        }
        Ok(())
    }

    fn unitary(
        &mut self,
        gate: &GateFact,
        targets: &[Target],
        arity: u8,
        feedback: Feedback,
        col: u32,
    ) -> Result<(), StimError> {
        let name = gate.name;
        self.check_pairs(name, targets, arity, col)?;
        for pair in targets.chunks(arity as usize) {
            let mut recs = 0;
            for (j, t) in pair.iter().enumerate() {
                if t.inverted {
                    return Err(self.err(t.col, format!("{name} takes no inverted ('!') targets")));
                }
                match t.kind {
                    TargetKind::Number(q) => {
                        self.qubit(q, t.col)?;
                    }
                    TargetKind::Sweep(_) => {
                        return Err(self.err(t.col, "sweep bits are not control operations"));
                    }
                    TargetKind::Rec(k) => {
                        recs += 1;
                        let ok = match feedback {
                            Feedback::None => false,
                            Feedback::First(_) => j == 0,
                            Feedback::Second(_) => j == 1,
                            Feedback::Either(_) => true,
                        };
                        if !ok {
                            let why = match feedback {
                                Feedback::First(_) => format!(
                                    "the record bit of {name} must be its first target (the control)"
                                ),
                                Feedback::Second(_) => {
                                    format!("the record bit of {name} must be its second target")
                                }
                                _ => format!("{name} takes no measurement record targets"),
                            };
                            return Err(self.err(t.col, why));
                        }
                        self.check_rec(k, t.col)?;
                    }
                    TargetKind::Pauli(..) | TargetKind::Combiner => {
                        return Err(self.err(
                            t.col,
                            format!("{name} takes qubit targets, not Pauli targets or '*'"),
                        ));
                    }
                }
            }
            if recs == 2 {
                return Err(self.err(
                    pair[1].col,
                    format!(
                        "{name} on two measurement record bits does nothing a control stream can do"
                    ),
                ));
            }
            if arity == 2 && recs == 0 && pair[0].kind == pair[1].kind {
                return Err(self.err(
                    pair[1].col,
                    format!("{name} applied to the same qubit twice in one pair"),
                ));
            }
        }
        Ok(())
    }

    fn plain(
        &mut self,
        gate: &GateFact,
        targets: &[Target],
        arity: u8,
        measuring: bool,
        col: u32,
    ) -> Result<(), StimError> {
        let name = gate.name;
        self.check_pairs(name, targets, arity, col)?;
        for t in targets {
            if t.inverted && !measuring {
                return Err(self.err(t.col, format!("{name} takes no inverted ('!') targets")));
            }
            match t.kind {
                TargetKind::Number(q) => {
                    self.qubit(q, t.col)?;
                }
                TargetKind::Sweep(_) => {
                    return Err(self.err(t.col, "sweep bits are not control operations"));
                }
                _ => return Err(self.err(t.col, format!("{name} takes qubit targets only"))),
            }
        }
        if arity == 2 {
            for pair in targets.chunks(2) {
                if pair[0].kind == pair[1].kind {
                    return Err(self.err(
                        pair[1].col,
                        format!("{name} applied to the same qubit twice in one pair"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Check the Pauli products of `MPP`/`SPP`; their number.
    fn products(
        &mut self,
        gate: &GateFact,
        targets: &[Target],
        col: u32,
    ) -> Result<u64, StimError> {
        let name = gate.name;
        let mut count = 0u64;
        let mut expect_pauli = true;
        let mut in_product: Vec<u64> = Vec::new();
        for t in targets {
            match t.kind {
                TargetKind::Combiner => {
                    if expect_pauli {
                        return Err(self.err(
                            t.col,
                            format!("'*' in {name} must stand between two Pauli targets"),
                        ));
                    }
                    expect_pauli = true;
                }
                TargetKind::Pauli(_, q) => {
                    if !expect_pauli {
                        count += 1;
                        in_product.clear();
                    }
                    if in_product.contains(&q) {
                        return Err(self.err(t.col, format!("{name} names qubit {q} twice in one product; write the product with each qubit once")));
                    }
                    in_product.push(q);
                    self.qubit(q, t.col)?;
                    expect_pauli = false;
                }
                TargetKind::Sweep(_) => {
                    return Err(self.err(t.col, "sweep bits are not control operations"));
                }
                _ => {
                    return Err(
                        self.err(t.col, format!("{name} takes Pauli targets like X1*Y2*Z3"))
                    );
                }
            }
        }
        if expect_pauli {
            let at = targets.last().map_or(col, |t| t.col);
            if targets.is_empty() {
                return Ok(0);
            }
            return Err(self.err(
                at,
                format!("'*' in {name} must stand between two Pauli targets"),
            ));
        }
        Ok(count + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strides_and_totals_multiply_out() {
        let p = parse(
            "M 0\nREPEAT 3 {\n MR 0 1\n REPEAT 4 {\n  MPP X0*Z1 Y2\n }\n}\nMPAD 1",
            "t",
        )
        .unwrap();
        let strides: Vec<(u64, u64)> = p
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Repeat { count, stride, .. } => Some((*count, *stride)),
                _ => None,
            })
            .collect();
        assert_eq!(strides, [(3, 10), (4, 2)]);
        assert_eq!(p.num_measurements, 1 + 30 + 1);
        assert_eq!(p.num_qubits, 3);
        assert_eq!(p.skipped.get("MPAD"), Some(&1));
    }
}
