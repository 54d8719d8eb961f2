//! Qubits: declarations (registers of the circuit), physical qubits `$n`, `let` aliases, and
//! operands (`q`, `q[i]`, `q[a:b]`, `q[{0, 2}]`, qubit parameters) with the broadcast and
//! duplicate checks that can be made where operands are known at compile time.

use smallvec::SmallVec;

use super::elaborator::{Elaborator, invalid, unsupported};
use super::expr::const_index_len;
use super::scope::{Reach, Symbol};
use crate::builder::{MAX_BITS, Source};
use crate::error::{ErrorKind, QasmError};
use crate::v3::ast::{self, ExprKind};
use eqisa_ir::circuit::Register;
use eqisa_ir::program::expr::{ClassicalExpr, Index};
use eqisa_ir::program::expr::{Operand, QubitBase};
use eqisa_ir::program::value::Value;

/// What is known at compile time of an operand's qubits.
#[derive(Clone, Debug, PartialEq)]
pub enum Known {
    /// `len` consecutive global qubits from `start` (one qubit: `len == 1`).
    Range { start: u32, len: u32 },
    /// These global qubits, in order.
    List(Vec<u32>),
    /// Only how many qubits (a subroutine's parameter, a constant slice of one).
    Len(u32),
    /// Nothing (an index computed at run time over a register of unknown size).
    Unknown,
}

impl Known {
    /// How many qubits the operand stands for, when known.
    pub fn len(&self) -> Option<u32> {
        match self {
            Known::Range { len, .. } | Known::Len(len) => Some(*len),
            Known::List(v) => Some(v.len() as u32),
            Known::Unknown => None,
        }
    }

    /// The `k`-th global qubit, when known.
    fn get(&self, k: u32) -> Option<u32> {
        match self {
            Known::Range { start, len } if k < *len => Some(start + k),
            Known::List(v) => v.get(k as usize).copied(),
            _ => None,
        }
    }
}

/// A resolved operand with what is known of it.
pub struct QOperand {
    /// The operand as the program keeps it.
    pub op: Operand,
    /// Its qubits, as far as known here (for the broadcast and duplicate checks).
    pub known: Known,
}

/// A constant integer index, if it is one.
fn const_int(e: &ClassicalExpr) -> Option<i128> {
    match e {
        ClassicalExpr::Const(Value::Int(i)) => Some(*i),
        ClassicalExpr::Const(Value::Uint(u)) => i128::try_from(*u).ok(),
        _ => None,
    }
}

/// The positions a constant index selects from `len` elements, in order; `None` when it is
/// not constant. The caller has checked the range with [`const_index_len`].
fn const_positions(ix: &Index, len: u32) -> Option<Vec<u32>> {
    let n = i128::from(len);
    let norm = |i: i128| (if i < 0 { i + n } else { i }) as u32;
    match ix {
        Index::Single(e) => Some(vec![norm(const_int(e)?)]),
        Index::Set(items) => items.iter().map(|e| const_int(e).map(norm)).collect(),
        Index::Range { start, step, stop } => {
            let a = start.as_ref().map_or(Some(0), const_int)?;
            let s = step.as_ref().map_or(Some(1), const_int)?;
            let b = stop.as_ref().map_or(Some(n - 1), const_int)?;
            let (a, b) = (i128::from(norm(a)), i128::from(norm(b)));
            let mut out = Vec::new();
            let mut i = a;
            while s != 0 && ((s > 0 && i <= b) || (s < 0 && i >= b)) {
                out.push(i as u32);
                i += s;
            }
            Some(out)
        }
    }
}

impl Elaborator {
    /// `qubit[n] q;` / `qubit q;` / `qreg q[n];`: a register of the circuit.
    pub(super) fn qubit_decl(
        &mut self,
        name: &str,
        size: Option<&ast::Expr<'_>>,
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        if !self.scopes.at_global() {
            return Err(invalid(
                src,
                at,
                "qubits may only be declared at global scope".into(),
            ));
        }
        if self.prog.physical {
            return Err(invalid(
                src,
                at,
                "a program that names physical qubits ($n) cannot also declare qubits".into(),
            ));
        }
        self.check_free(name, name, src)?;
        let room = MAX_BITS - u64::from(self.prog.circuit.num_qubits);
        let n = match size {
            None => 1,
            Some(e) => self.const_size(e, "a qubit register's size", room.max(1), src)?,
        };
        if u64::from(self.prog.circuit.num_qubits) + u64::from(n) > MAX_BITS {
            return Err(src.err(
                at,
                ErrorKind::TooLarge {
                    what: "the number of qubits".into(),
                    limit: MAX_BITS,
                },
            ));
        }
        let c = &mut self.prog.circuit;
        let start = c.num_qubits;
        c.qregs.push(Register {
            name: name.to_string(),
            start,
            size: n,
        });
        c.num_qubits += n;
        self.declared_qubits = true;
        self.scopes.declare(
            name,
            Symbol::Qubits {
                start,
                len: n,
                scalar: size.is_none(),
            },
        );
        Ok(())
    }

    /// The physical qubit `$n`: the circuit's register `$` grows to hold it.
    fn physical(&mut self, n: u32, at: &str, src: &mut Source<'_>) -> Result<u32, QasmError> {
        if self.declared_qubits {
            return Err(invalid(
                src,
                at,
                "a program that declares qubits cannot also name physical qubits ($n)".into(),
            ));
        }
        if u64::from(n) >= MAX_BITS {
            return Err(src.err(
                at,
                ErrorKind::TooLarge {
                    what: "a physical qubit's number".into(),
                    limit: MAX_BITS - 1,
                },
            ));
        }
        self.prog.physical = true;
        let c = &mut self.prog.circuit;
        if c.qregs.is_empty() {
            c.qregs.push(Register {
                name: eqisa_ir::circuit::PHYSICAL_REGISTER.into(),
                start: 0,
                size: 0,
            });
        }
        if let Some(r) = c.qregs.first_mut()
            && r.size <= n
        {
            r.size = n + 1;
            c.num_qubits = n + 1;
        }
        Ok(n)
    }

    /// A list of global qubits as an operand: one range when consecutive, else an index set
    /// over all qubits.
    fn list_operand(
        &mut self,
        list: Vec<u32>,
        loc: eqisa_ir::program::ids::Loc,
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<QOperand, QasmError> {
        let consecutive = list.windows(2).all(|w| w[1] == w[0].wrapping_add(1));
        if !consecutive {
            // Every element becomes an expression of the index set: counted.
            self.grow(list.len() as u64, at, src)?;
        }
        Ok(match (list.first(), consecutive) {
            (Some(&start), true) => QOperand {
                op: Operand {
                    base: QubitBase::Global {
                        start,
                        len: list.len() as u32,
                    },
                    index: None,
                    loc,
                },
                known: Known::Range {
                    start,
                    len: list.len() as u32,
                },
            },
            _ => QOperand {
                op: Operand {
                    base: QubitBase::Global {
                        start: 0,
                        len: self.prog.circuit.num_qubits,
                    },
                    index: Some(Index::Set(
                        list.iter()
                            .map(|&q| ClassicalExpr::Const(Value::Int(i128::from(q))))
                            .collect(),
                    )),
                    loc,
                },
                known: Known::List(list),
            },
        })
    }

    /// A qubit operand.
    pub(super) fn operand(
        &mut self,
        e: &ast::Expr<'_>,
        src: &mut Source<'_>,
    ) -> Result<QOperand, QasmError> {
        let loc = self.loc(e.at, src);
        let (name, ix) = match &e.kind {
            ExprKind::Physical(n) => {
                let q = self.physical(*n, e.at, src)?;
                return Ok(QOperand {
                    op: Operand::qubit(q, loc),
                    known: Known::Range { start: q, len: 1 },
                });
            }
            ExprKind::Name(n) => (n.text, None),
            ExprKind::Index(base, ix) => match &base.kind {
                ExprKind::Name(n) => (n.text, Some(ix)),
                _ => {
                    return Err(unsupported(
                        src,
                        e.at,
                        "only a register, an alias or a qubit parameter can be indexed, once"
                            .into(),
                    ));
                }
            },
            _ => {
                return Err(invalid(
                    src,
                    e.at,
                    "a qubit operand (a register, a qubit, an alias or $n) is expected here".into(),
                ));
            }
        };
        // The base: its qubits when global, its parameter position otherwise.
        let mut scalar = false;
        let (base, known_base): (QubitBase, Option<Vec<u32>>) = match self.scopes.lookup(name) {
            Some((Symbol::Qubits { .. } | Symbol::Alias(_), Reach::GlobalFromBody)) => {
                return Err(invalid(
                    src,
                    e.at,
                    format!(
                        "'{name}' is a global qubit register, not visible inside a subroutine or gate: pass it as a qubit argument"
                    ),
                ));
            }
            Some((
                Symbol::Qubits {
                    start,
                    len,
                    scalar: s,
                },
                _,
            )) => {
                scalar = *s;
                (
                    QubitBase::Global {
                        start: *start,
                        len: *len,
                    },
                    None,
                )
            }
            Some((Symbol::Alias(list), _)) => {
                let list = list.to_vec();
                let (start, len) = (list.first().copied().unwrap_or(0), list.len() as u32);
                let consecutive = list.windows(2).all(|w| w[1] == w[0].wrapping_add(1));
                if ix.is_none() || consecutive {
                    if ix.is_none() {
                        return self.list_operand(list, loc, e.at, src);
                    }
                    (QubitBase::Global { start, len }, None)
                } else {
                    (QubitBase::Global { start, len }, Some(list))
                }
            }
            Some((Symbol::QubitParam { k, size }, _)) => {
                let (k, size) = (*k, *size);
                let Some(ix) = ix else {
                    return Ok(QOperand {
                        op: Operand {
                            base: QubitBase::Param(k),
                            index: None,
                            loc,
                        },
                        known: Known::Len(size.unwrap_or(1)),
                    });
                };
                if size.is_none() {
                    return Err(invalid(
                        src,
                        e.at,
                        format!("'{name}' is a single qubit and cannot be indexed"),
                    ));
                }
                let index = self.one_index(ix, e.at, src)?;
                let n = size.unwrap_or(1);
                let known = match const_index_len(&index, u64::from(n)) {
                    Some(Err(i)) => return Err(qubit_out_of_range(src, e.at, name, i, n)),
                    Some(Ok(len)) => Known::Len(len as u32),
                    None if matches!(index, Index::Single(_)) => Known::Len(1),
                    None => Known::Unknown,
                };
                return Ok(QOperand {
                    op: Operand {
                        base: QubitBase::Param(k),
                        index: Some(index),
                        loc,
                    },
                    known,
                });
            }
            Some((Symbol::Var(_), _)) => {
                return Err(invalid(
                    src,
                    e.at,
                    format!("'{name}' is a classical variable, where a qubit is expected"),
                ));
            }
            Some((Symbol::Sub(_) | Symbol::Extern(_), _)) => {
                return Err(invalid(
                    src,
                    e.at,
                    format!("'{name}' is a subroutine, where a qubit is expected"),
                ));
            }
            None => return Err(src.err(e.at, ErrorKind::UndefinedQubit(name.to_string()))),
        };
        let QubitBase::Global { start, len } = base else {
            return Err(invalid(
                src,
                e.at,
                "a qubit operand is expected here".into(),
            ));
        };
        let Some(ix) = ix else {
            return Ok(QOperand {
                op: Operand {
                    base,
                    index: None,
                    loc,
                },
                known: Known::Range { start, len },
            });
        };
        if scalar {
            return Err(invalid(
                src,
                e.at,
                format!("'{name}' is a single qubit and cannot be indexed"),
            ));
        }
        let index = self.one_index(ix, e.at, src)?;
        if let Some(Err(i)) = const_index_len(&index, u64::from(len)) {
            return Err(qubit_out_of_range(src, e.at, name, i, len));
        }
        // One constant qubit of a register: a global qubit, nothing allocated.
        if let (Index::Single(i), None) = (&index, &known_base)
            && let Some(i) = const_int(i)
        {
            let q = start + (if i < 0 { i + i128::from(len) } else { i }) as u32;
            return Ok(QOperand {
                op: Operand::qubit(q, loc),
                known: Known::Range { start: q, len: 1 },
            });
        }
        match const_positions(&index, len) {
            Some(pos) => {
                let list: Vec<u32> = match &known_base {
                    Some(l) => pos
                        .iter()
                        .filter_map(|&p| l.get(p as usize).copied())
                        .collect(),
                    None => pos.iter().map(|&p| start + p).collect(),
                };
                if list.is_empty() {
                    return Err(invalid(src, e.at, "this slice selects no qubit".into()));
                }
                if known_base.is_some() {
                    return self.list_operand(list, loc, e.at, src);
                }
                // A register's constant slice or set: one range when consecutive, else the
                // index as written (a strided range stays three numbers, not a list).
                let consecutive = list.windows(2).all(|w| w[1] == w[0].wrapping_add(1));
                Ok(match (consecutive, list.first()) {
                    (true, Some(&first)) => QOperand {
                        op: Operand {
                            base: QubitBase::Global {
                                start: first,
                                len: list.len() as u32,
                            },
                            index: None,
                            loc,
                        },
                        known: Known::Range {
                            start: first,
                            len: list.len() as u32,
                        },
                    },
                    _ => QOperand {
                        op: Operand {
                            base,
                            index: Some(index),
                            loc,
                        },
                        known: Known::List(list),
                    },
                })
            }
            None if known_base.is_some() => Err(unsupported(
                src,
                e.at,
                format!("indexing the alias '{name}' of non-consecutive qubits at run time"),
            )),
            None => {
                let known = if matches!(index, Index::Single(_)) {
                    Known::Len(1)
                } else {
                    Known::Unknown
                };
                Ok(QOperand {
                    op: Operand {
                        base,
                        index: Some(index),
                        loc,
                    },
                    known,
                })
            }
        }
    }

    /// The single index of a qubit operand (qubits have one dimension).
    fn one_index(
        &mut self,
        ix: &ast::IndexAst<'_>,
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<Index, QasmError> {
        // The common case, `q[3]`, without building a list of indices.
        if let ast::IndexAst::Items(items) = ix
            && let [ast::IndexItem::Single(e)] = items.as_slice()
        {
            return Ok(Index::Single(self.int_expr(e, src)?));
        }
        let mut items = self.index_items(ix, src)?;
        match (items.pop(), items.is_empty()) {
            (Some(i), true) => Ok(i),
            _ => Err(invalid(
                src,
                at,
                "qubit registers have one dimension: give one index".into(),
            )),
        }
    }

    /// `let name = a ++ b ++ …;`: an alias of global qubits known at compile time.
    pub(super) fn alias(
        &mut self,
        name: &str,
        parts: &[ast::Expr<'_>],
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        if self.scopes.body_kind().is_some() {
            return Err(unsupported(
                src,
                at,
                "aliases (let) inside subroutines or gates".into(),
            ));
        }
        self.check_free(name, name, src)?;
        let mut list = Vec::new();
        for p in parts {
            let o = self.operand(p, src)?;
            let len = o.known.len().unwrap_or(0);
            let mut part = Vec::with_capacity(len as usize);
            for k in 0..len {
                match o.known.get(k) {
                    Some(q) => part.push(q),
                    None => {
                        return Err(unsupported(
                            src,
                            p.at,
                            "an alias of qubits chosen at run time; use constant indices".into(),
                        ));
                    }
                }
            }
            if part.is_empty() {
                return Err(unsupported(
                    src,
                    p.at,
                    "an alias of qubits chosen at run time; use constant indices".into(),
                ));
            }
            if (list.len() + part.len()) as u64 > MAX_BITS {
                return Err(src.err(
                    p.at,
                    ErrorKind::TooLarge {
                        what: "an alias".into(),
                        limit: MAX_BITS,
                    },
                ));
            }
            list.extend(part);
        }
        self.grow(list.len() as u64, at, src)?;
        self.scopes
            .declare(name, Symbol::Alias(list.into_boxed_slice()));
        Ok(())
    }

    /// The common broadcast length of `ops` (1 when all are single qubits) where known, and
    /// an error when two known lengths above 1 differ or a qubit appears twice in one
    /// application.
    pub(super) fn check_operands(
        &self,
        ops: &[Known],
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        let mut n: Option<u32> = None;
        for o in ops {
            match o.len() {
                Some(l) if l != 1 => match n {
                    None => n = Some(l),
                    Some(m) if m != l => {
                        return Err(src.err(
                            at,
                            ErrorKind::BroadcastSizeMismatch {
                                first: m,
                                second: l,
                            },
                        ));
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        if ops.len() < 2 {
            return Ok(());
        }
        let n = n.unwrap_or(1);
        let mut seen: SmallVec<[u32; 8]> = SmallVec::new();
        let mut set = rustc_hash::FxHashSet::default();
        for k in 0..n {
            seen.clear();
            set.clear();
            for o in ops {
                let q = match o.len() {
                    Some(1) => o.get(0),
                    _ => o.get(k),
                };
                let Some(q) = q else { continue };
                let dup = if seen.len() < 16 {
                    seen.contains(&q)
                } else {
                    if set.is_empty() {
                        set.extend(seen.iter().copied());
                    }
                    !set.insert(q)
                };
                if dup {
                    return Err(src.err(
                        at,
                        ErrorKind::DuplicateQubit {
                            qubit: self.qubit_label(q),
                        },
                    ));
                }
                seen.push(q);
            }
        }
        Ok(())
    }

    /// `reg[i]` for a global qubit, `$i` for a physical one.
    pub(super) fn qubit_label(&self, q: u32) -> String {
        let c = &self.prog.circuit;
        if self.prog.physical {
            return format!("${q}");
        }
        c.qregs
            .iter()
            .find(|r| q >= r.start && q < r.start + r.size)
            .map_or_else(|| q.to_string(), |r| format!("{}[{}]", r.name, q - r.start))
    }
}

fn qubit_out_of_range(src: &mut Source<'_>, at: &str, name: &str, i: i128, n: u32) -> QasmError {
    src.err(
        at,
        ErrorKind::IndexOutOfRange {
            register: name.to_string(),
            index: u64::try_from(i).unwrap_or(u64::MAX),
            size: n,
        },
    )
}
