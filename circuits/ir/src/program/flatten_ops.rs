//! Quantum operations of the flatten pass: qubit operands resolved (slices, sets, a
//! subroutine's qubit parameters) and broadcast over registers as the OpenQASM front end
//! does, gates with their angles evaluated, delays in one unit, measurements into register
//! bits or pending until a register receives them.

use super::expr::{ClassicalExpr, Index};
use super::expr::{Operand, QubitBase};
use super::flatten::{FlattenErrorKind, Flattener, Pending, Qubits, R, err, invalid};
use super::flatten_env::{Bit, Slot, position, to_f64};
use super::ids::{Loc, VarId};
use super::stmt::LValue;
use super::types::Type;
use super::value::Value;
use crate::circuit::{Duration, Op, TimeUnit};

impl Flattener<'_> {
    // ---- qubits ---------------------------------------------------------------------------

    pub fn qubits(&mut self, o: &Operand) -> R<Qubits> {
        let loc = o.loc;
        let base: Vec<u32> = match o.base {
            QubitBase::Global { start, len } => {
                let end = start
                    .checked_add(len)
                    .filter(|e| *e <= self.circuit.num_qubits);
                if end.is_none() {
                    return Err(
                        err(loc, invalid("a qubit operand outside the program's qubits")).into(),
                    );
                }
                match &o.index {
                    // Avoid building the list for the common `q[i]`.
                    Some(Index::Single(e)) => {
                        let i = self.int(e, loc, "a qubit index")?;
                        let p = position(i, u64::from(len)).map_err(|b| {
                            err(
                                loc,
                                FlattenErrorKind::BadIndex {
                                    index: b.index,
                                    len: b.len,
                                },
                            )
                        })?;
                        return Ok(Qubits::One(start + p as u32));
                    }
                    None if len == 1 => return Ok(Qubits::One(start)),
                    _ => {
                        self.room(u64::from(len), loc)?;
                        (start..start + len).collect()
                    }
                }
            }
            QubitBase::Param(k) => self
                .qframes
                .last()
                .and_then(|f| f.get(k as usize))
                .cloned()
                .ok_or_else(|| err(loc, invalid("a qubit parameter outside its subroutine")))?,
        };
        match &o.index {
            None if base.len() == 1 => Ok(Qubits::One(base.first().copied().unwrap_or(0))),
            None => Ok(Qubits::Many(base)),
            Some(idx) => {
                let (pos, single) = self.positions(idx, base.len() as u64, loc)?;
                let qs: Vec<u32> = pos
                    .iter()
                    .filter_map(|&p| base.get(p as usize).copied())
                    .collect();
                match (single, qs.first()) {
                    (true, Some(q)) => Ok(Qubits::One(*q)),
                    _ => Ok(Qubits::Many(qs)),
                }
            }
        }
    }

    /// Common broadcast length of resolved operands.
    pub fn broadcast(ops: &[Qubits], loc: Loc) -> R<u64> {
        let mut n: Option<u64> = None;
        for o in ops {
            if let Qubits::Many(v) = o {
                let len = v.len() as u64;
                match n {
                    Some(m) if m != len => {
                        return Err(err(
                            loc,
                            FlattenErrorKind::BroadcastMismatch {
                                first: m,
                                second: len,
                            },
                        )
                        .into());
                    }
                    _ => n = Some(len),
                }
            }
        }
        Ok(n.unwrap_or(1))
    }

    /// Every qubit, for `barrier;` and `delay[d];` without operands.
    pub fn all_qubits(&self, loc: Loc) -> R<Vec<u32>> {
        self.room(u64::from(self.circuit.num_qubits), loc)?;
        Ok((0..self.circuit.num_qubits).collect())
    }

    pub fn gate(
        &mut self,
        gate: crate::circuit::GateId,
        params: &[ClassicalExpr],
        operands: &[Operand],
        loc: Loc,
    ) -> R<()> {
        let Some(entry) = self.circuit.gates.get(gate.0 as usize) else {
            return Err(err(loc, invalid("a gate id out of range")).into());
        };
        if entry.num_params as usize != params.len() || entry.num_qubits as usize != operands.len()
        {
            return Err(err(
                loc,
                invalid(&format!("`{}` applied with a wrong signature", entry.name)),
            )
            .into());
        }
        let mut angles = Vec::with_capacity(params.len());
        for e in params {
            let v = self.value(e, loc, "a gate parameter")?;
            let x = to_f64(&v)
                .filter(|x| x.is_finite())
                .ok_or_else(|| err(loc, invalid("a gate parameter that is not a finite real")))?;
            angles.push(x);
        }
        let mut qs = Vec::with_capacity(operands.len());
        for o in operands {
            qs.push(self.qubits(o)?);
        }
        let n = Self::broadcast(&qs, loc)?;
        if n == 0 {
            return Ok(());
        }
        let arity = qs.len() as u64;
        self.grow(
            n.saturating_mul(1 + arity)
                .saturating_add(angles.len() as u64),
            loc,
        )?;
        let p0 = self.circuit.params.len() as u32;
        self.circuit.params.extend(angles);
        for k in 0..n as usize {
            let a0 = self.circuit.qubits.len();
            for o in &qs {
                let q = o.get(k).unwrap_or(0);
                let used = self.circuit.qubits.get(a0..).unwrap_or(&[]);
                if used.contains(&q) {
                    self.circuit.qubits.truncate(a0);
                    return Err(err(loc, FlattenErrorKind::DuplicateQubit { qubit: q }).into());
                }
                self.circuit.qubits.push(q);
            }
            self.emit(Op::Gate {
                gate,
                args: a0 as u32,
                params: p0,
            });
        }
        Ok(())
    }

    pub fn delay(&mut self, duration: &ClassicalExpr, operands: &[Operand], loc: Loc) -> R<()> {
        let d = match self.value(duration, loc, "a delay's duration")? {
            Value::Duration { ns, dt } if !ns.is_finite() || !dt.is_finite() => {
                return Err(err(
                    loc,
                    FlattenErrorKind::NotFinite {
                        what: "the delay's duration in ns".into(),
                    },
                )
                .into());
            }
            Value::Duration { ns, dt } if ns != 0.0 && dt != 0.0 => {
                return Err(err(loc, FlattenErrorKind::MixedDuration { ns, dt }).into());
            }
            Value::Duration { dt, .. } if dt != 0.0 => Duration {
                value: dt,
                unit: TimeUnit::Dt,
            },
            Value::Duration { ns, .. } => Duration {
                value: ns,
                unit: TimeUnit::Ns,
            },
            _ => return Err(err(loc, invalid("a delay that is not a duration")).into()),
        };
        if d.value < 0.0 {
            return Err(err(loc, invalid("a negative delay")).into());
        }
        let mut list = Vec::new();
        if operands.is_empty() {
            list = self.all_qubits(loc)?;
        }
        for o in operands {
            match self.qubits(o)? {
                Qubits::One(q) => list.push(q),
                Qubits::Many(v) => list.extend(v),
            }
        }
        self.grow(list.len() as u64 + 1, loc)?;
        let duration = self.circuit.durations.len() as u32;
        self.circuit.durations.push(d);
        for qubit in list {
            self.emit(Op::Delay { qubit, duration });
        }
        Ok(())
    }

    pub fn measure(&mut self, qubits: &Operand, target: Option<&LValue>, loc: Loc) -> R<()> {
        let q = self.qubits(qubits)?;
        let n = q.len();
        let positions: Option<(VarId, Vec<u64>)> = match target {
            None => None,
            Some(lv) => {
                // A `bool` receives a measurement as one bit would.
                if self.var_type(lv.var, loc)? == Type::Bool {
                    self.set_slot(
                        lv.var,
                        Slot::Bits {
                            bits: vec![Bit::Known(false)],
                            single: true,
                        },
                        loc,
                    )?;
                }
                let slot = self.slot(lv.var, loc)?;
                if !matches!(slot, Slot::Bits { .. } | Slot::Reg { .. }) {
                    return Err(err(loc, invalid("a measurement into a non-bit variable")).into());
                }
                let len = slot.bit_len();
                let (pos, single) = match lv.index.as_slice() {
                    [] => ((0..len).collect(), len == 1),
                    [one] => self.positions(one, len, loc)?,
                    _ => {
                        return Err(err(loc, invalid("a measurement into a nested index")).into());
                    }
                };
                let one_qubit = matches!(q, Qubits::One(_));
                if pos.len() as u64 != n || (one_qubit && !single && pos.len() != 1) {
                    return Err(err(
                        loc,
                        FlattenErrorKind::BroadcastMismatch {
                            first: n,
                            second: pos.len() as u64,
                        },
                    )
                    .into());
                }
                Some((lv.var, pos))
            }
        };
        self.grow(n, loc)?;
        let mut new_bits = Vec::with_capacity(n as usize);
        for k in 0..n as usize {
            let Some(qubit) = q.get(k) else { continue };
            let clbit = match &positions {
                Some((v, pos)) => match pos.get(k) {
                    Some(&p) => self.creg_clbit(*v, p, loc)?,
                    None => None,
                },
                None => None,
            };
            match clbit {
                Some(clbit) => {
                    self.emit(Op::Measure { qubit, clbit });
                    let version = self.write_clbit(clbit);
                    new_bits.push(Bit::Clbit { clbit, version });
                }
                None => {
                    let id = u32::try_from(self.pending.len())
                        .map_err(|_| err(loc, invalid("too many measurements")))?;
                    self.pending.push(Pending {
                        at: self.container,
                        index: self.out.len(),
                        seq: self.seq + 1,
                        branch: self.branch,
                        bound: None,
                    });
                    // The clbit is set when the pass ends (see `finish`).
                    self.emit(Op::Measure {
                        qubit,
                        clbit: u32::MAX,
                    });
                    new_bits.push(Bit::Pending(id));
                }
            }
        }
        if let Some((v, pos)) = positions {
            // Register bits were written by the measurements themselves.
            self.journal_slot(v);
            for (p, b) in pos.iter().zip(new_bits) {
                self.put_bit(v, *p, b, loc)?;
            }
        }
        Ok(())
    }
}
