//! Semantic analysis: syntax tree → [`Circuit`]. Resolves registers and gates, checks arities,
//! indices and duplicate operands, broadcasts register operands, evaluates angles.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::error::{ErrorKind, QasmError, SourcePos};
use crate::gate_table::{GateTable, modifier_label};
use crate::syntax::{Arg, CondAst, Ident, ModAst, Names, Stmt, StmtParser, fast_call};
use eqisa_ir::circuit::{
    BodyOp, Circuit, CondExpr, GateDef, GateEntry, GateId, GateKind, IfBlock, Modifier, Op,
    Register, Version,
};
use eqisa_ir::expr::Expr;
use eqisa_ir::gates::StandardGate;

/// Most qubits (and, separately, classical bits) a circuit may declare.
pub const MAX_BITS: u64 = 1 << 24;
/// Most operations, operands and angles a circuit may hold together: one per 4 bytes of the
/// limit on text read at once ([`eqisa_files::limit`]; 64 million at its default of 256 MiB),
/// so that `--max-file-mb` raises both. Text holds at most about one entry per 3 bytes
/// (`U(0,0,0) q[0];` is 5 in 15 bytes), so a program near the limit fits, while a statement of a
/// few bytes that broadcasts over millions of qubits cannot multiply memory without end.
pub fn ir_budget() -> u64 {
    (eqisa_files::limit() / 4).max(1 << 16)
}

/// Deepest include nesting followed.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// The text being analysed: where it came from and how to turn a position into line:column.
pub struct Source<'t> {
    pub file: Arc<str>,
    /// Directory includes are resolved against.
    pub dir: PathBuf,
    pub text: &'t str,
    /// Line number of the first line of `text` (chunks of a long file start further down).
    pub base_line: u32,
    /// Cursor: a byte offset, its line, and the characters from the line's start to it, so
    /// that successive lookups scan the text once (a program may be one long line).
    cursor: (usize, u32, usize),
}

impl<'t> Source<'t> {
    /// A source of `text` whose first line is `base_line`.
    pub fn new(file: Arc<str>, dir: PathBuf, text: &'t str, base_line: u32) -> Self {
        Source {
            file,
            dir,
            text,
            base_line,
            cursor: (0, base_line, 0),
        }
    }

    /// The position of `at`, a suffix of `text`.
    pub fn pos(&mut self, at: &str) -> SourcePos {
        let offset = (at.as_ptr() as usize)
            .saturating_sub(self.text.as_ptr() as usize)
            .min(self.text.len());
        let (mut off, mut line, mut col) = self.cursor;
        let bytes = self.text.as_bytes();
        // Characters are the bytes that do not continue a UTF-8 sequence.
        let chars = |b: &[u8]| b.iter().filter(|&&c| c & 0xC0 != 0x80).count();
        if offset < off {
            // Step back from the cursor rather than rescanning from the start: places are
            // often asked for out of order within a statement.
            let back = &bytes[offset..off];
            let newlines = back.iter().filter(|&&b| b == b'\n').count() as u32;
            if newlines == 0 {
                col = col.saturating_sub(chars(back));
            } else {
                line = line.saturating_sub(newlines).max(self.base_line);
                let line_start = bytes[..offset]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |k| k + 1);
                col = chars(&bytes[line_start..offset]);
            }
            off = offset;
        }
        for &b in &bytes[off..offset] {
            if b == b'\n' {
                line += 1;
                col = 0;
            } else if b & 0xC0 != 0x80 {
                col += 1;
            }
        }
        self.cursor = (offset, line, col);
        SourcePos {
            file: self.file.clone(),
            line,
            col: col as u32 + 1,
        }
    }

    /// An error at `at`.
    pub fn err(&mut self, at: &str, kind: ErrorKind) -> QasmError {
        QasmError::At {
            pos: self.pos(at),
            kind,
        }
    }
}

/// A resolved operand: one bit, or a whole register (start, size) to broadcast over.
#[derive(Clone, Copy)]
enum Operand {
    One(u32),
    All(u32, u32),
}

impl Operand {
    /// How many bits it stands for.
    fn len(self) -> u64 {
        match self {
            Operand::One(_) => 1,
            Operand::All(_, n) => u64::from(n),
        }
    }

    fn get(self, k: u32) -> u32 {
        match self {
            Operand::One(q) => q,
            Operand::All(start, _) => start + k,
        }
    }
}

#[derive(Clone, Copy)]
enum RegRef {
    Quantum(u32),
    Classical(u32),
}

/// Builds a circuit statement by statement.
pub struct Builder {
    pub circuit: Circuit,
    regs: FxHashMap<String, RegRef>,
    /// Gate names, where each was defined, and the interned modified gates.
    table: GateTable,
    seen_statement: bool,
    version_given: bool,
    include_depth: usize,
}

impl Builder {
    /// A builder for a program whose language is `version` unless its header says otherwise.
    pub fn new(version: Version) -> Self {
        let mut b = Builder {
            circuit: Circuit::new(version),
            regs: FxHashMap::default(),
            table: GateTable::default(),
            seen_statement: false,
            version_given: false,
            include_depth: 0,
        };
        b.set_builtins();
        b
    }

    fn set_builtins(&mut self) {
        let origin = match self.circuit.version {
            Version::Qasm2 => "built into OpenQASM 2",
            Version::Qasm3 => "built into OpenQASM 3",
        };
        self.add_standard("U", StandardGate::U, origin);
        match self.circuit.version {
            Version::Qasm2 => self.add_standard("CX", StandardGate::Cx, origin),
            Version::Qasm3 => self.add_standard("gphase", StandardGate::GPhase, origin),
        }
    }

    /// Define `name` as the library gate `g`, provided by `origin`. A name already provided by
    /// the same origin (a library included twice) is kept.
    fn add_standard(&mut self, name: &str, g: StandardGate, origin: &str) {
        self.table.add_standard(&mut self.circuit, name, g, origin);
    }

    /// The error for a gate definition of `name` at `at` when `name` is already defined.
    fn gate_redefinition(&self, name: &str, at: &str, src: &mut Source<'_>) -> Option<QasmError> {
        let previous = self.table.origin(name)?;
        Some(src.err(
            at,
            ErrorKind::GateRedefinition {
                name: name.to_string(),
                previous: previous.to_string(),
            },
        ))
    }

    /// Check that `entries` more operations, operands and angles fit the circuit's budget
    /// ([`ir_budget`]) before they are pushed: `h q;` on a register of 16 million qubits, or
    /// `barrier;`, is millions of entries from a few bytes of text.
    fn grow(&self, entries: u64, at: &str, src: &mut Source<'_>) -> Result<(), QasmError> {
        let c = &self.circuit;
        let used = (c.ops.len() + c.qubits.len() + c.params.len()) as u64;
        let budget = ir_budget();
        if used.saturating_add(entries) > budget {
            return Err(src.err(at, ErrorKind::CircuitTooLarge { limit: budget }));
        }
        Ok(())
    }

    /// Reserve room for a program of `bytes` bytes, so the operation arrays never grow by
    /// copying (which would briefly hold two copies). Untouched capacity costs no memory.
    pub fn reserve_for(&mut self, bytes: u64) {
        // Typical densities: a statement per ~14 bytes, 1.3 operands and 0.5 angles each.
        let ops = (bytes / 12) as usize;
        self.circuit.ops.reserve(ops);
        self.circuit.qubits.reserve(ops * 3 / 2);
        self.circuit.params.reserve(ops / 2);
    }

    /// Finish: the circuit.
    pub fn finish(self) -> Circuit {
        self.circuit
    }

    /// Analyse one statement.
    pub fn statement(&mut self, s: &Stmt<'_>, src: &mut Source<'_>) -> Result<(), QasmError> {
        let first = !self.seen_statement;
        self.seen_statement = true;
        match s {
            Stmt::Version { text, at } => self.version(text, at, first, src),
            Stmt::Include { path, at } => self.include(path, at, src),
            Stmt::Register {
                quantum,
                name,
                size,
            } => self.register(*quantum, name, *size, src),
            Stmt::GateDef {
                name,
                params,
                qubits,
                body,
            } => self.gate_def(name, params, qubits, Some(body), src),
            Stmt::Opaque {
                name,
                params,
                qubits,
            } => self.gate_def(name, params, qubits, None, src),
            Stmt::Call {
                mods,
                name,
                params,
                args,
                at,
            } => self.call(mods, name, params, args, at, src),
            Stmt::Measure { qubit, clbit, at } => self.measure(qubit, clbit.as_ref(), at, src),
            Stmt::Reset { args, at } => {
                for a in args {
                    let o = self.qubit_operand(a, src)?;
                    self.grow(o.len(), at, src)?;
                    match o {
                        Operand::One(q) => self.circuit.ops.push(Op::Reset { qubit: q }),
                        Operand::All(s0, n) => {
                            for q in s0..s0 + n {
                                self.circuit.ops.push(Op::Reset { qubit: q });
                            }
                        }
                    }
                }
                Ok(())
            }
            Stmt::Barrier { args, at } => {
                let start = self.circuit.qubits.len() as u32;
                if args.is_empty() {
                    self.grow(u64::from(self.circuit.num_qubits) + 1, at, src)?;
                    self.circuit.qubits.extend(0..self.circuit.num_qubits);
                }
                for a in args {
                    let o = self.qubit_operand(a, src)?;
                    self.grow(o.len() + 1, at, src)?;
                    match o {
                        Operand::One(q) => self.circuit.qubits.push(q),
                        Operand::All(s0, n) => self.circuit.qubits.extend(s0..s0 + n),
                    }
                }
                let len = self.circuit.qubits.len() as u32 - start;
                self.circuit.ops.push(Op::Barrier { args: start, len });
                Ok(())
            }
            Stmt::Delay { duration, args, at } => {
                if !duration.value.is_finite() {
                    let at = args.first().map_or("", |a| a.name.at);
                    return Err(src.err(at, ErrorKind::NonFinite(duration.value)));
                }
                let d = self.circuit.durations.len() as u32;
                self.circuit.durations.push(*duration);
                for a in args {
                    let o = self.qubit_operand(a, src)?;
                    self.grow(o.len(), at, src)?;
                    match o {
                        Operand::One(q) => self.circuit.ops.push(Op::Delay {
                            qubit: q,
                            duration: d,
                        }),
                        Operand::All(s0, n) => {
                            for q in s0..s0 + n {
                                self.circuit.ops.push(Op::Delay {
                                    qubit: q,
                                    duration: d,
                                });
                            }
                        }
                    }
                }
                Ok(())
            }
            Stmt::If {
                cond,
                cond_at,
                then_body,
                else_body,
                at,
            } => self.if_stmt(cond, cond_at, then_body, else_body, at, src),
        }
    }

    /// A plain gate application read by [`super::syntax::fast_call`].
    pub fn fast_call(
        &mut self,
        c: &super::syntax::FastCall<'_>,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        self.seen_statement = true;
        self.call(&[], &c.name, &c.params, &c.args, c.at, src)
    }

    fn version(
        &mut self,
        text: &str,
        at: &str,
        first: bool,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        if !first || self.version_given {
            return Err(src.err(
                at,
                ErrorKind::Invalid("the version header must be the first statement".into()),
            ));
        }
        self.version_given = true;
        let version = match text {
            "2" | "2.0" => Version::Qasm2,
            t if t == "3" || t.starts_with("3.") => Version::Qasm3,
            t => return Err(src.err(at, ErrorKind::Version(t.to_string()))),
        };
        if version != self.circuit.version {
            // Only built-ins exist yet; rebuild them for the declared language.
            self.circuit.version = version;
            self.circuit.gates.clear();
            self.table.clear();
            self.set_builtins();
        }
        Ok(())
    }

    fn include(&mut self, path: &str, at: &str, src: &mut Source<'_>) -> Result<(), QasmError> {
        match path {
            "qelib1.inc" | "stdgates.inc" => {
                let gates = GateTable::library(path).unwrap_or_default();
                let pos = src.pos(at).to_string();
                match self
                    .table
                    .include_library(&mut self.circuit, path, gates, &pos)
                {
                    Ok(()) => Ok(()),
                    Err(name) => Err(self.gate_redefinition(name, at, src).unwrap_or_else(|| {
                        src.err(at, ErrorKind::Redefinition { name: name.into() })
                    })),
                }
            }
            _ => {
                if self.include_depth >= MAX_INCLUDE_DEPTH {
                    return Err(src.err(at, ErrorKind::IncludeDepth(MAX_INCLUDE_DEPTH)));
                }
                let full: PathBuf = src.dir.join(Path::new(path));
                let file = match crate::included::read_included(&full) {
                    Ok(file) => file,
                    Err(crate::included::IncludeFailure::Text(e)) => return Err(e),
                    Err(crate::included::IncludeFailure::Unreadable(reason)) => {
                        return Err(src.err(
                            at,
                            ErrorKind::Include {
                                path: path.to_string(),
                                reason,
                            },
                        ));
                    }
                };
                let mut inner = Source::new(file.name, file.dir, &file.text, 1);
                self.include_depth += 1;
                // The included file's statements count as the includer's: no header check.
                let seen = self.seen_statement;
                let r = run_statements(self, &mut inner);
                self.seen_statement = seen;
                self.include_depth -= 1;
                r
            }
        }
    }

    fn register(
        &mut self,
        quantum: bool,
        name: &Ident<'_>,
        size: Option<(u64, &str)>,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        if self.regs.contains_key(name.name) {
            return Err(src.err(
                name.at,
                ErrorKind::Redefinition {
                    name: name.name.to_string(),
                },
            ));
        }
        let (n, n_at) = size.unwrap_or((1, name.at));
        let total = if quantum {
            self.circuit.num_qubits
        } else {
            self.circuit.num_clbits
        };
        if u64::from(total).saturating_add(n) > MAX_BITS {
            return Err(src.err(
                n_at,
                ErrorKind::TooLarge {
                    what: if quantum {
                        "the number of qubits".into()
                    } else {
                        "the number of classical bits".into()
                    },
                    limit: MAX_BITS,
                },
            ));
        }
        let reg = Register {
            name: name.name.to_string(),
            start: total,
            size: n as u32,
        };
        if quantum {
            self.regs.insert(
                reg.name.clone(),
                RegRef::Quantum(self.circuit.qregs.len() as u32),
            );
            self.circuit.qregs.push(reg);
            self.circuit.num_qubits += n as u32;
        } else {
            self.regs.insert(
                reg.name.clone(),
                RegRef::Classical(self.circuit.cregs.len() as u32),
            );
            self.circuit.cregs.push(reg);
            self.circuit.num_clbits += n as u32;
        }
        Ok(())
    }

    fn operand(
        &self,
        a: &Arg<'_>,
        quantum: bool,
        src: &mut Source<'_>,
    ) -> Result<Operand, QasmError> {
        let undefined = || {
            if quantum {
                ErrorKind::UndefinedQubit(a.name.name.to_string())
            } else {
                ErrorKind::UndefinedClbit(a.name.name.to_string())
            }
        };
        let reg = match (self.regs.get(a.name.name), quantum) {
            (Some(RegRef::Quantum(r)), true) => &self.circuit.qregs[*r as usize],
            (Some(RegRef::Classical(r)), false) => &self.circuit.cregs[*r as usize],
            _ => return Err(src.err(a.name.at, undefined())),
        };
        match a.index {
            None => Ok(Operand::All(reg.start, reg.size)),
            Some((i, i_at)) => {
                if i >= u64::from(reg.size) {
                    return Err(src.err(
                        i_at,
                        ErrorKind::IndexOutOfRange {
                            register: reg.name.clone(),
                            index: i,
                            size: reg.size,
                        },
                    ));
                }
                Ok(Operand::One(reg.start + i as u32))
            }
        }
    }

    fn qubit_operand(&self, a: &Arg<'_>, src: &mut Source<'_>) -> Result<Operand, QasmError> {
        self.operand(a, true, src)
    }

    /// Common broadcast length of operands (1 when none is a whole register).
    fn broadcast_len(ops: &[Operand], at: &str, src: &mut Source<'_>) -> Result<u32, QasmError> {
        let mut n: Option<u32> = None;
        for o in ops {
            if let Operand::All(_, size) = o {
                match n {
                    None => n = Some(*size),
                    Some(m) if m != *size => {
                        return Err(src.err(
                            at,
                            ErrorKind::BroadcastSizeMismatch {
                                first: m,
                                second: *size,
                            },
                        ));
                    }
                    _ => {}
                }
            }
        }
        Ok(n.unwrap_or(1))
    }

    fn lookup_gate(&self, name: &Ident<'_>, src: &mut Source<'_>) -> Result<GateId, QasmError> {
        self.table
            .get(name.name)
            .ok_or_else(|| src.err(name.at, ErrorKind::UndefinedGate(name.name.to_string())))
    }

    /// The gate a call names, with its modifiers applied (interned in the gate table).
    fn resolve_call_gate(
        &mut self,
        mods: &[ModAst<'_>],
        name: &Ident<'_>,
        src: &mut Source<'_>,
    ) -> Result<GateId, QasmError> {
        let base = self.lookup_gate(name, src)?;
        if mods.is_empty() {
            return Ok(base);
        }
        let mut modifiers = Vec::with_capacity(mods.len());
        let mut label = String::new();
        let mut extra_qubits: u64 = 0;
        for m in mods {
            match m {
                ModAst::Inv => {
                    modifiers.push(Modifier::Inv);
                }
                ModAst::Pow(e, at) => {
                    if !e.is_constant() {
                        return Err(src.err(
                            at,
                            ErrorKind::Unsupported(
                                "a pow exponent that depends on gate parameters".into(),
                            ),
                        ));
                    }
                    let k = e.eval(&[]);
                    if !k.is_finite() {
                        return Err(src.err(at, ErrorKind::NonFinite(k)));
                    }
                    modifiers.push(Modifier::Pow(k));
                }
                ModAst::Ctrl(n, negated) => {
                    extra_qubits = extra_qubits.saturating_add(*n);
                    if extra_qubits > 64 {
                        return Err(src.err(
                            name.at,
                            ErrorKind::TooLarge {
                                what: "the number of control qubits".into(),
                                limit: 64,
                            },
                        ));
                    }
                    modifiers.push(Modifier::Ctrl {
                        count: *n as u32,
                        negated: *negated,
                    });
                }
            }
        }
        for m in &modifiers {
            modifier_label(m, &mut label);
        }
        label.push_str(name.name);
        self.table
            .modified(
                &mut self.circuit,
                base,
                modifiers,
                label,
                extra_qubits as u32,
            )
            .ok_or_else(|| src.err(name.at, ErrorKind::UndefinedGate(name.name.to_string())))
    }

    fn check_signature(
        &self,
        id: GateId,
        name: &Ident<'_>,
        n_params: usize,
        n_args: usize,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        let g = &self.circuit.gates[id.0 as usize];
        crate::gate_table::check_signature(g, n_params, n_args).map_err(|k| src.err(name.at, k))
    }

    fn call(
        &mut self,
        mods: &[ModAst<'_>],
        name: &Ident<'_>,
        params: &[(Expr, &str)],
        args: &[Arg<'_>],
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        let gate = self.resolve_call_gate(mods, name, src)?;
        self.check_signature(gate, name, params.len(), args.len(), src)?;
        if self.circuit.gates[gate.0 as usize].first_use == 0 {
            let line = src.pos(at).line;
            self.circuit.gates[gate.0 as usize].first_use = line;
        }
        let p0 = self.circuit.params.len() as u32;
        for (e, e_at) in params {
            let v = e.eval(&[]);
            if !v.is_finite() {
                return Err(src.err(e_at, ErrorKind::NonFinite(v)));
            }
            self.circuit.params.push(v);
        }
        let mut operands: SmallVec<[Operand; 4]> = SmallVec::new();
        for a in args {
            operands.push(self.qubit_operand(a, src)?);
        }
        let n = Self::broadcast_len(&operands, at, src)?;
        self.grow(
            u64::from(n) * (1 + operands.len() as u64) + params.len() as u64,
            at,
            src,
        )?;
        let mut used = DupCheck::default();
        for k in 0..n {
            let a0 = self.circuit.qubits.len();
            used.clear();
            for o in &operands {
                let q = o.get(k);
                if !used.insert(&self.circuit.qubits[a0..], q) {
                    self.circuit.qubits.truncate(a0);
                    return Err(src.err(
                        at,
                        ErrorKind::DuplicateQubit {
                            qubit: self.qubit_label(q),
                        },
                    ));
                }
                self.circuit.qubits.push(q);
            }
            self.circuit.ops.push(Op::Gate {
                gate,
                args: a0 as u32,
                params: p0,
            });
        }
        Ok(())
    }

    /// `reg[i]` for a global qubit index.
    fn qubit_label(&self, q: u32) -> String {
        self.circuit
            .qregs
            .iter()
            .find(|r| q >= r.start && q < r.start + r.size)
            .map_or_else(|| q.to_string(), |r| format!("{}[{}]", r.name, q - r.start))
    }

    fn measure(
        &mut self,
        qubit: &Arg<'_>,
        clbit: Option<&Arg<'_>>,
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        let q = self.qubit_operand(qubit, src)?;
        let Some(clbit) = clbit else {
            return Err(src.err(
                at,
                ErrorKind::Unsupported("a measurement without a target bit".into()),
            ));
        };
        let c = self.operand(clbit, false, src)?;
        match (q, c) {
            (Operand::One(q), Operand::One(c)) => {
                self.circuit.ops.push(Op::Measure { qubit: q, clbit: c })
            }
            (Operand::All(qs, qn), Operand::All(cs, cn)) if qn == cn => {
                self.grow(u64::from(qn), at, src)?;
                for k in 0..qn {
                    self.circuit.ops.push(Op::Measure {
                        qubit: qs + k,
                        clbit: cs + k,
                    });
                }
            }
            (Operand::All(_, qn), Operand::All(_, cn)) => {
                return Err(src.err(
                    at,
                    ErrorKind::BroadcastSizeMismatch {
                        first: qn,
                        second: cn,
                    },
                ));
            }
            _ => {
                return Err(src.err(
                    at,
                    ErrorKind::Invalid(
                        "measure needs a qubit and a bit, or two registers of the same size".into(),
                    ),
                ));
            }
        }
        Ok(())
    }

    fn condition(&self, c: &CondAst<'_>, src: &mut Source<'_>) -> Result<CondExpr, QasmError> {
        Ok(match c {
            CondAst::Int(v) => CondExpr::Int(v.clone()),
            CondAst::Bool(b) => CondExpr::Bool(*b),
            CondAst::Not(e) => CondExpr::Not(Box::new(self.condition(e, src)?)),
            CondAst::Binary(op, a, b) => CondExpr::Binary(
                *op,
                Box::new(self.condition(a, src)?),
                Box::new(self.condition(b, src)?),
            ),
            CondAst::Name(a) => {
                let reg = match self.regs.get(a.name.name) {
                    Some(RegRef::Classical(r)) => *r,
                    _ => {
                        return Err(src.err(
                            a.name.at,
                            ErrorKind::UndefinedClbit(a.name.name.to_string()),
                        ));
                    }
                };
                match self.operand(a, false, src)? {
                    Operand::One(b) => CondExpr::Bit(b),
                    Operand::All(..) => CondExpr::Register(reg),
                }
            }
        })
    }

    fn if_stmt(
        &mut self,
        cond: &CondAst<'_>,
        cond_at: &str,
        then_body: &[Stmt<'_>],
        else_body: &[Stmt<'_>],
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        let cond = self.condition(cond, src)?;
        if self.circuit.version == Version::Qasm2 {
            let ok = matches!(&cond, CondExpr::Binary(eqisa_ir::circuit::CondOp::Eq, a, b)
                if matches!(**a, CondExpr::Register(_)) && matches!(**b, CondExpr::Int(_)));
            if !ok || then_body.len() != 1 || !else_body.is_empty() {
                return Err(src.err(
                    cond_at,
                    ErrorKind::Invalid(
                        "OpenQASM 2 conditions have the form 'if (creg == integer) operation;'"
                            .into(),
                    ),
                ));
            }
        }
        let line = src.pos(at).line;
        let start = self.circuit.ops.len();
        for s in then_body {
            self.body_statement(s, src)?;
        }
        let then_ops: Vec<Op> = self.circuit.ops.drain(start..).collect();
        for s in else_body {
            self.body_statement(s, src)?;
        }
        let else_ops: Vec<Op> = self.circuit.ops.drain(start..).collect();
        if self.circuit.version == Version::Qasm2 {
            // OpenQASM 2 conditions each broadcast operation separately, as Qiskit does.
            for op in then_ops {
                self.push_if(IfBlock {
                    cond: cond.clone(),
                    then_ops: vec![op],
                    else_ops: Vec::new(),
                    line,
                });
            }
        } else {
            self.push_if(IfBlock {
                cond,
                then_ops,
                else_ops,
                line,
            });
        }
        Ok(())
    }

    fn push_if(&mut self, block: IfBlock) {
        let id = self.circuit.ifs.len() as u32;
        self.circuit.ifs.push(block);
        self.circuit.ops.push(Op::If { block: id });
    }

    /// A statement inside an `if` block: operations only.
    fn body_statement(&mut self, s: &Stmt<'_>, src: &mut Source<'_>) -> Result<(), QasmError> {
        match s {
            Stmt::Call { .. }
            | Stmt::Measure { .. }
            | Stmt::Reset { .. }
            | Stmt::Barrier { .. }
            | Stmt::Delay { .. }
            | Stmt::If { .. } => self.statement(s, src),
            Stmt::Version { at, .. } | Stmt::Include { at, .. } => Err(src.err(
                at,
                ErrorKind::Invalid("only operations may appear inside an 'if'".into()),
            )),
            Stmt::Register { name, .. }
            | Stmt::GateDef { name, .. }
            | Stmt::Opaque { name, .. } => Err(src.err(
                name.at,
                ErrorKind::Invalid("only operations may appear inside an 'if'".into()),
            )),
        }
    }

    fn gate_def(
        &mut self,
        name: &Ident<'_>,
        params: &[Ident<'_>],
        qubits: &[Ident<'_>],
        body: Option<&[Stmt<'_>]>,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        // Hash sets, not pairwise comparisons: lists may be hundreds of thousands long.
        let mut seen: rustc_hash::FxHashSet<&str> = Default::default();
        for p in params.iter().chain(qubits) {
            if !seen.insert(p.name) {
                return Err(src.err(
                    p.at,
                    ErrorKind::Redefinition {
                        name: p.name.to_string(),
                    },
                ));
            }
        }
        let kind = match body {
            None => GateKind::Opaque,
            Some(body) => {
                let names = Names::new(qubits);
                let mut ops = Vec::with_capacity(body.len());
                for s in body {
                    ops.push(self.body_op(s, qubits, &names, src)?);
                }
                GateKind::Defined(GateDef {
                    param_names: params.iter().map(|p| p.name.to_string()).collect(),
                    qubit_names: qubits.iter().map(|p| p.name.to_string()).collect(),
                    body: ops,
                })
            }
        };
        // A gate is defined once: a program that restates a library gate (`gate h a { x a; }`
        // after `include "qelib1.inc"`) would otherwise get the library's, whatever its body
        // says. Qiskit refuses it too, in both versions.
        if let Some(e) = self.gate_redefinition(name.name, name.at, src) {
            return Err(e);
        }
        let here = format!("at {}", src.pos(name.at));
        self.table.define(
            &mut self.circuit,
            GateEntry {
                name: name.name.to_string(),
                num_qubits: qubits.len() as u32,
                num_params: params.len() as u32,
                kind,
                first_use: 0,
            },
            here,
        );
        Ok(())
    }

    fn body_op(
        &mut self,
        s: &Stmt<'_>,
        qubits: &[Ident<'_>],
        names: &Names<'_>,
        src: &mut Source<'_>,
    ) -> Result<BodyOp, QasmError> {
        let Stmt::Call {
            mods,
            name,
            params,
            args,
            at,
        } = s
        else {
            return Err(src.err(
                qubits.first().map_or("", |q| q.at),
                ErrorKind::Invalid("only gate applications may appear in a gate body".into()),
            ));
        };
        let gate = self.resolve_call_gate(mods, name, src)?;
        self.check_signature(gate, name, params.len(), args.len(), src)?;
        let mut idx = Vec::with_capacity(args.len());
        let mut used = DupCheck::default();
        for a in args.iter() {
            let Some(k) = names.get(a.name.name) else {
                return Err(src.err(
                    a.name.at,
                    ErrorKind::UndefinedQubit(a.name.name.to_string()),
                ));
            };
            if let Some((_, i_at)) = a.index {
                return Err(src.err(
                    i_at,
                    ErrorKind::Invalid("gate bodies cannot index qubit arguments".into()),
                ));
            }
            if !used.insert(&idx, k) {
                return Err(src.err(
                    at,
                    ErrorKind::DuplicateQubit {
                        qubit: a.name.name.to_string(),
                    },
                ));
            }
            idx.push(k);
        }
        Ok(BodyOp {
            gate,
            params: params.iter().map(|(e, _)| e.clone()).collect(),
            args: idx,
        })
    }
}

/// Finds a repeated operand in linear time: a short list (nearly every one) is scanned, a long
/// one goes through a hash set, so that an application with 200,000 operands is not 2·10^10
/// comparisons.
#[derive(Default)]
struct DupCheck {
    set: rustc_hash::FxHashSet<u32>,
}

impl DupCheck {
    /// Operands up to this many are compared pairwise.
    const SCAN: usize = 16;

    fn clear(&mut self) {
        self.set.clear();
    }

    /// Whether `q` is new, given the operands `before` it (the same list at every call, one
    /// longer each time); records it.
    fn insert(&mut self, before: &[u32], q: u32) -> bool {
        if before.len() < Self::SCAN {
            return !before.contains(&q);
        }
        if self.set.is_empty() {
            self.set.extend(before.iter().copied());
        }
        self.set.insert(q)
    }
}

/// Parse every statement of `src` into `b`.
pub(crate) fn run_statements(b: &mut Builder, src: &mut Source<'_>) -> Result<(), QasmError> {
    let no_names = Names::default();
    let parser = StmtParser {
        scope: &no_names,
        in_gate_body: false,
    };
    let mut rest = src.text;
    loop {
        if let Some((r, call)) = fast_call(rest) {
            b.fast_call(&call, src)?;
            rest = r;
            continue;
        }
        match parser.statement(rest, 0) {
            Ok((_, None)) => return Ok(()),
            Ok((r, Some(stmt))) => {
                b.statement(&stmt, src)?;
                rest = r;
            }
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
                let at = e.at;
                return Err(src.err(at, e.into_kind()));
            }
            Err(nom::Err::Incomplete(_)) => {
                return Err(src.err(
                    rest,
                    ErrorKind::Unterminated {
                        expected: "the rest of the statement".into(),
                    },
                ));
            }
        }
    }
}
