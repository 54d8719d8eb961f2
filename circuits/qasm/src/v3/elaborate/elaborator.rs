//! The elaborator's state and its public face: statements in, a [`Program`] out. The work is
//! spread over the sibling files, each adding methods: `stmt` (statements and control flow),
//! `expr` (classical expressions, casts, folding), `types`, `quantum` (qubits and operands),
//! `gates` (gate definitions, modifiers, applications), `subs` (subroutines and externs) and
//! `include`.

use std::path::PathBuf;
use std::sync::Arc;

use rustc_hash::FxHashSet;

use super::scope::Scopes;
use crate::builder::{Source, ir_budget};
use crate::error::{ErrorKind, QasmError};
use crate::gate_table::GateTable;
use crate::syntax::MAX_NESTING;
use crate::v3::ast;
use eqisa_ir::circuit::{Circuit, Version};
use eqisa_ir::gates::StandardGate;
use eqisa_ir::program::Program;
use eqisa_ir::program::ids::{Loc, SubId, VarId};
use eqisa_ir::program::value::Value;

/// Turns OpenQASM 3 syntax trees, one top-level statement at a time, into a structured
/// [`Program`]: names resolved by the specification's scoping rules, types checked with the
/// casts its promotion rules imply made explicit, compile-time constants folded, loops and
/// branches kept as structure.
///
/// Physical qubits: a program that names `$n` has [`Program::physical`] set and one quantum
/// register named `$` whose size is one more than the highest `$n` named, so that `$n` is
/// global qubit `n`; it may not also declare qubits.
pub struct Elaborator {
    pub(super) prog: Program,
    pub(super) gates: GateTable,
    pub(super) scopes: Scopes,
    /// The value of each constant, beside [`Program::vars`] (`None` for other variables).
    pub(super) consts: Vec<Option<Value>>,
    /// Parameters declared `readonly array[…]`, which may not be assigned.
    pub(super) readonly: FxHashSet<VarId>,
    /// The index in [`Program::files`] of the file being elaborated.
    pub(super) file: u32,
    /// Directory of the main file (the loader's `dir`), for includes from a source without one.
    pub(super) dir: PathBuf,
    pub(super) include_depth: usize,
    pub(super) seen_statement: bool,
    pub(super) version_given: bool,
    /// Loops enclosing the statement being elaborated, within the current body.
    pub(super) loop_depth: u32,
    /// The subroutine whose body is being elaborated.
    pub(super) sub: Option<SubId>,
    /// Nesting of blocks and expressions, bounded so recursion is.
    pub(super) depth: usize,
    /// Statements, operands and expressions made so far, against [`ir_budget`].
    pub(super) entries: u64,
    /// Whether the program declared qubits (it then may not name physical ones, nor the other
    /// way round).
    pub(super) declared_qubits: bool,
}

impl Elaborator {
    /// An elaborator for the file `file`, whose includes resolve against `dir`; the built-in
    /// gates `U` and `gphase` are defined.
    pub fn new(file: Arc<str>, dir: PathBuf) -> Self {
        let mut e = Elaborator {
            prog: Program {
                circuit: Circuit::new(Version::Qasm3),
                files: vec![file],
                vars: Vec::new(),
                subroutines: Vec::new(),
                externs: Vec::new(),
                body: Vec::new(),
                physical: false,
                skipped_calibration: None,
            },
            gates: GateTable::default(),
            scopes: Scopes::default(),
            consts: Vec::new(),
            readonly: FxHashSet::default(),
            file: 0,
            dir,
            include_depth: 0,
            seen_statement: false,
            version_given: false,
            loop_depth: 0,
            sub: None,
            depth: 0,
            entries: 0,
            declared_qubits: false,
        };
        for (name, g) in [("U", StandardGate::U), ("gphase", StandardGate::GPhase)] {
            e.gates
                .add_standard(&mut e.prog.circuit, name, g, "built into OpenQASM 3");
        }
        e
    }

    /// Elaborate one top-level statement; `src` is the text the statement's `at` slices point
    /// into.
    pub fn statement(&mut self, s: &ast::Stmt<'_>, src: &mut Source<'_>) -> Result<(), QasmError> {
        let first = !self.seen_statement;
        self.seen_statement = true;
        // The body is taken out while the statement appends to it, so that elaborating needs
        // `&mut self` and the block at once.
        let mut body = std::mem::take(&mut self.prog.body);
        let r = self.top_statement(s, first, &mut body, src);
        self.prog.body = body;
        r
    }

    /// The program elaborated so far.
    pub fn finish(mut self) -> Result<Program, QasmError> {
        super::registers::drop_value_registers(&mut self.prog);
        Ok(self.prog)
    }

    /// Where `at` is, as a [`Loc`] of the current file.
    pub(super) fn loc(&self, at: &str, src: &mut Source<'_>) -> Loc {
        let p = src.pos(at);
        Loc {
            file: self.file,
            line: p.line,
            col: p.col,
        }
    }

    /// Count `n` more entries of the program against [`ir_budget`]: a few bytes of text may
    /// not make millions of entries.
    pub(super) fn grow(&mut self, n: u64, at: &str, src: &mut Source<'_>) -> Result<(), QasmError> {
        let limit = ir_budget();
        self.entries = self.entries.saturating_add(n);
        if self.entries > limit {
            return Err(src.err(at, ErrorKind::CircuitTooLarge { limit }));
        }
        Ok(())
    }

    /// One level deeper into blocks or expressions; an error past [`MAX_NESTING`].
    pub(super) fn enter(&mut self, at: &str, src: &mut Source<'_>) -> Result<(), QasmError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            self.depth -= 1;
            return Err(src.err(at, ErrorKind::NestingDepth(MAX_NESTING)));
        }
        Ok(())
    }

    /// Back out of a level entered with [`Elaborator::enter`].
    pub(super) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}

/// An error that says what is wrong, at `at`.
pub(super) fn invalid(src: &mut Source<'_>, at: &str, msg: String) -> QasmError {
    src.err(at, ErrorKind::Invalid(msg))
}

/// An error that says what is not supported, at `at`.
pub(super) fn unsupported(src: &mut Source<'_>, at: &str, msg: String) -> QasmError {
    src.err(at, ErrorKind::Unsupported(msg))
}
