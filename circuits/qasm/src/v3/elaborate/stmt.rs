//! Statements: declarations, assignments, measurements, the quantum statements, and control
//! flow kept as structure (`if`, `for`, `while`, `switch`, `box`), with `break`/`continue`
//! only inside loops and `return` only inside subroutines.

use super::elaborator::{Elaborator, invalid, unsupported};
use super::expr::{binary_op, builtin_constant, indexed_type};
use super::scope::{FrameKind, Reach, Symbol};
use super::types::{explicit, implicit, numeric};
use crate::builder::{MAX_BITS, Source};
use crate::error::{ErrorKind, QasmError};
use crate::v3::ast::{self, DeclKind, ExprKind, ForIter, StmtKind, TypeAst};
use eqisa_ir::circuit::Register;
use eqisa_ir::program::expr::{BinaryOp, ClassicalExpr};
use eqisa_ir::program::ids::{Loc, VarId};
use eqisa_ir::program::stmt::{Block, Case, Iteration, LValue, Stmt, Var, VarKind};
use eqisa_ir::program::types::Type;
use eqisa_ir::program::value::Value;

impl Elaborator {
    /// A statement at the top level of a file: the version header and includes are allowed
    /// here only.
    pub(super) fn top_statement(
        &mut self,
        s: &ast::Stmt<'_>,
        first: bool,
        out: &mut Block,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        match &s.kind {
            StmtKind::Version(text) => {
                // An included file may start with its own header.
                if !first || (self.include_depth == 0 && self.version_given) {
                    return Err(invalid(
                        src,
                        s.at,
                        "the version header must be the first statement".into(),
                    ));
                }
                if self.include_depth == 0 {
                    self.version_given = true;
                }
                if *text == "3" || text.starts_with("3.") {
                    Ok(())
                } else if *text == "2" || text.starts_with("2.") {
                    Err(invalid(
                        src,
                        s.at,
                        "this is an OpenQASM 2 program; the OpenQASM 3 front end reads version 3 only".into(),
                    ))
                } else {
                    Err(src.err(s.at, ErrorKind::Version(text.to_string())))
                }
            }
            StmtKind::Include(path) => self.include(path, s.at, out, src),
            _ => self.stmt(s, out, src),
        }
    }

    /// Check that `name` may be declared in the current scope: not a gate the program
    /// defined, a subroutine or a built-in constant (which may not be shadowed), not already
    /// declared in this scope.
    ///
    /// A gate that only a built-in library (`stdgates.inc`) defines does not count: programs
    /// name variables `t`, `s` or `x`, and generated ones (Stim's export) define a subroutine
    /// `rx` beside the library's gate. Gates and values are told apart by where they are used
    /// (`x q;` applies the gate, `x + 1` reads the variable), so nothing is ambiguous.
    pub(super) fn check_free(
        &self,
        name: &str,
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        if let Some(origin) = self.gates.origin(name)
            && !origin.starts_with("by \"")
        {
            return Err(invalid(
                src,
                at,
                format!("'{name}' is already a gate ({origin}); gates may not be shadowed"),
            ));
        }
        if builtin_constant(name).is_some() {
            return Err(invalid(
                src,
                at,
                format!("'{name}' is a built-in constant and cannot be declared"),
            ));
        }
        if let Some(Symbol::Sub(_) | Symbol::Extern(_)) = self.scopes.global(name) {
            return Err(invalid(
                src,
                at,
                format!("'{name}' is already a subroutine; subroutines may not be shadowed"),
            ));
        }
        if self.scopes.in_current(name).is_some() {
            return Err(src.err(at, ErrorKind::Redefinition { name: name.into() }));
        }
        Ok(())
    }

    /// A new variable (its constant value, if any, is set by the caller).
    pub(super) fn new_var(&mut self, name: &str, ty: Type, kind: VarKind, loc: Loc) -> VarId {
        let id = VarId(self.prog.vars.len() as u32);
        self.prog.vars.push(Var {
            name: name.to_string(),
            ty,
            kind,
            creg: None,
            loc,
        });
        self.consts.push(None);
        id
    }

    /// The statements of a block, in a scope of their own.
    pub(super) fn block(
        &mut self,
        stmts: &[ast::Stmt<'_>],
        at: &str,
        out: &mut Block,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        self.enter(at, src)?;
        self.scopes.push(FrameKind::Block);
        let mut r = Ok(());
        for s in stmts {
            r = self.stmt(s, out, src);
            if r.is_err() {
                break;
            }
        }
        self.scopes.pop();
        self.leave();
        r
    }

    /// A loop body: a block inside one more loop.
    fn loop_body(
        &mut self,
        stmts: &[ast::Stmt<'_>],
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<Block, QasmError> {
        self.loop_depth += 1;
        let mut body = Vec::new();
        let r = self.block(stmts, at, &mut body, src);
        self.loop_depth -= 1;
        r.map(|()| body)
    }

    /// A condition: a value converted to `bool`.
    fn condition(
        &mut self,
        e: &ast::Expr<'_>,
        src: &mut Source<'_>,
    ) -> Result<ClassicalExpr, QasmError> {
        let (x, t) = self.expr(e, src)?;
        // Truth values as C99 has them: anything that casts to bool (a register is true when
        // not zero), not only what converts to it implicitly.
        if !explicit(&t, &Type::Bool) {
            return Err(invalid(
                src,
                e.at,
                format!("a condition must be a bool (or bit, or integer), not a value of type {t}"),
            ));
        }
        self.cast(x, &t, &Type::Bool, e.at, src)
    }

    /// One statement, appended to `out`.
    pub(super) fn stmt(
        &mut self,
        s: &ast::Stmt<'_>,
        out: &mut Block,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        self.grow(1, s.at, src)?;
        let at = s.at;
        match &s.kind {
            StmtKind::Version(_) => Err(invalid(
                src,
                at,
                "the version header must be the first statement".into(),
            )),
            StmtKind::Include(_) => Err(invalid(
                src,
                at,
                "include is only allowed at the top level of a file".into(),
            )),
            StmtKind::Pragma(_) | StmtKind::Empty => Ok(()),
            StmtKind::Defcalgrammar(_) | StmtKind::Cal(_) | StmtKind::Defcal { .. } => {
                // Pulse-level calibrations (OpenPulse) are not read yet: skipped, and recorded
                // so that tools can say so.
                if self.prog.skipped_calibration.is_none() {
                    self.prog.skipped_calibration = Some(self.loc(at, src));
                }
                Ok(())
            }
            StmtKind::QubitDecl { name, size } => {
                self.qubit_decl(name.text, size.as_ref(), at, src)
            }
            StmtKind::ClassicalDecl {
                kind,
                ty,
                name,
                init,
            } => self.decl(*kind, ty, name.text, init.as_ref(), at, out, src),
            StmtKind::Alias { name, parts } => self.alias(name.text, parts, at, src),
            StmtKind::GateDef {
                name,
                params,
                qubits,
                body,
            } => self.gate_def(name, params, qubits, Some(body), at, src),
            StmtKind::Opaque {
                name,
                params,
                qubits,
            } => self.gate_def(name, params, qubits, None, at, src),
            StmtKind::Def {
                name,
                params,
                ret,
                body,
            } => self.def(name, params, ret.as_ref(), body, at, src),
            StmtKind::Extern { name, params, ret } => {
                self.extern_decl(name, params, ret.as_ref(), at, src)
            }
            // `f(a, b);` of a subroutine reads like a gate application without operands.
            StmtKind::GateCall {
                modifiers,
                name,
                params,
                duration: None,
                operands,
            } if modifiers.is_empty()
                && operands.is_empty()
                && matches!(
                    self.scopes.lookup(name.text),
                    Some((Symbol::Sub(_) | Symbol::Extern(_), _))
                ) =>
            {
                let loc = self.loc(at, src);
                let (value, _) = self.call_expr(name.text, params, name.text, src)?;
                out.push(Stmt::Expr { value, loc });
                Ok(())
            }
            StmtKind::GateCall {
                modifiers,
                name,
                params,
                duration,
                operands,
            } => self.gate_call(
                modifiers,
                name,
                params,
                duration.as_ref(),
                operands,
                at,
                out,
                src,
            ),
            StmtKind::Measure { qubits, target } => {
                self.measure(qubits, target.as_ref(), at, out, src)
            }
            StmtKind::Reset(q) => {
                let o = self.operand(q, src)?;
                let loc = self.loc(at, src);
                out.push(Stmt::Reset { qubits: o.op, loc });
                Ok(())
            }
            StmtKind::Barrier(qs) => {
                let mut ops = Vec::with_capacity(qs.len());
                for q in qs {
                    ops.push(self.operand(q, src)?.op);
                }
                self.grow(ops.len() as u64, at, src)?;
                let loc = self.loc(at, src);
                out.push(Stmt::Barrier { qubits: ops, loc });
                Ok(())
            }
            StmtKind::Delay { duration, operands } => {
                let (d, t) = self.expr(duration, src)?;
                if !matches!(t, Type::Duration | Type::Stretch) {
                    return Err(invalid(
                        src,
                        duration.at,
                        format!("a delay takes a duration, not a value of type {t}"),
                    ));
                }
                let mut ops = Vec::with_capacity(operands.len());
                for q in operands {
                    ops.push(self.operand(q, src)?.op);
                }
                self.grow(ops.len() as u64, at, src)?;
                let loc = self.loc(at, src);
                out.push(Stmt::Delay {
                    duration: d,
                    qubits: ops,
                    loc,
                });
                Ok(())
            }
            StmtKind::Assign { target, op, value } => match (&value.kind, op) {
                (ExprKind::Measure(q), None) => self.measure(q, Some(target), at, out, src),
                _ => self.assign(target, *op, value, at, out, src),
            },
            StmtKind::Expr(e) => match &e.kind {
                ExprKind::Measure(q) => self.measure(q, None, at, out, src),
                _ => {
                    let (value, _) = self.expr_any(e, src)?;
                    let loc = self.loc(at, src);
                    out.push(Stmt::Expr { value, loc });
                    Ok(())
                }
            },
            StmtKind::If {
                cond,
                then_body,
                else_body,
            } => {
                let cond = self.condition(cond, src)?;
                let mut then_b = Vec::new();
                self.block(then_body, at, &mut then_b, src)?;
                let mut else_b = Vec::new();
                if let Some(e) = else_body {
                    self.block(e, at, &mut else_b, src)?;
                }
                // A condition known here picks its branch now (both were checked); only what
                // depends on run-time values stays a branch.
                if let ClassicalExpr::Const(Value::Bool(b)) = cond {
                    out.extend(if b { then_b } else { else_b });
                    return Ok(());
                }
                let loc = self.loc(at, src);
                out.push(Stmt::If {
                    cond,
                    then_body: then_b,
                    else_body: else_b,
                    loc,
                });
                Ok(())
            }
            StmtKind::For {
                ty,
                var,
                iter,
                body,
            } => self.for_loop(ty.as_ref(), var.text, iter, body, at, out, src),
            StmtKind::While { cond, body } => {
                let cond = self.condition(cond, src)?;
                let body = self.loop_body(body, at, src)?;
                let loc = self.loc(at, src);
                out.push(Stmt::While { cond, body, loc });
                Ok(())
            }
            StmtKind::Switch {
                target,
                cases,
                default,
            } => self.switch(target, cases, default.as_deref(), at, out, src),
            StmtKind::Break | StmtKind::Continue => {
                let word = if matches!(s.kind, StmtKind::Break) {
                    "break"
                } else {
                    "continue"
                };
                if self.loop_depth == 0 {
                    return Err(invalid(
                        src,
                        at,
                        format!("'{word}' is only allowed inside a loop"),
                    ));
                }
                let loc = self.loc(at, src);
                out.push(if word == "break" {
                    Stmt::Break { loc }
                } else {
                    Stmt::Continue { loc }
                });
                Ok(())
            }
            StmtKind::End => {
                let loc = self.loc(at, src);
                out.push(Stmt::End { loc });
                Ok(())
            }
            StmtKind::Return(value) => self.return_stmt(value.as_ref(), at, out, src),
            StmtKind::Box { duration, body } => {
                let duration = match duration {
                    None => None,
                    Some(d) => {
                        let (x, t) = self.expr(d, src)?;
                        if !matches!(t, Type::Duration | Type::Stretch) {
                            return Err(invalid(
                                src,
                                d.at,
                                format!("a box takes a duration, not a value of type {t}"),
                            ));
                        }
                        Some(x)
                    }
                };
                let mut b = Vec::new();
                self.block(body, at, &mut b, src)?;
                let loc = self.loc(at, src);
                out.push(Stmt::Box {
                    duration,
                    body: b,
                    loc,
                });
                Ok(())
            }
            StmtKind::Block(body) => {
                let mut b = Vec::new();
                self.block(body, at, &mut b, src)?;
                // A bare block is a scope only: its statements run in place.
                out.extend(b);
                Ok(())
            }
        }
    }

    /// A classical declaration.
    #[allow(clippy::too_many_arguments)]
    fn decl(
        &mut self,
        kind: DeclKind,
        ty: &TypeAst<'_>,
        name: &str,
        init: Option<&ast::Expr<'_>>,
        at: &str,
        out: &mut Block,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        self.check_free(name, name, src)?;
        let global = self.scopes.at_global();
        if matches!(kind, DeclKind::Input | DeclKind::Output) && !global {
            return Err(invalid(
                src,
                at,
                "input and output variables may only be declared at global scope".into(),
            ));
        }
        let t = self.ty(ty, at, src)?;
        let loc = self.loc(name, src);
        let what = format!("assigned to '{name}'");
        match kind {
            DeclKind::Const => {
                let Some(init) = init else {
                    return Err(invalid(
                        src,
                        at,
                        format!("the constant '{name}' needs a value"),
                    ));
                };
                let v = match &init.kind {
                    ExprKind::ArrayLiteral(_) => self.array_value(init, &t, src)?,
                    _ => {
                        let (x, tx) = self.expr(init, src)?;
                        match self.coerce(x, &tx, &t, &what, init.at, src)? {
                            ClassicalExpr::Const(v) => v,
                            _ => {
                                return Err(invalid(
                                    src,
                                    init.at,
                                    format!(
                                        "the value of the constant '{name}' must be a compile-time constant"
                                    ),
                                ));
                            }
                        }
                    }
                };
                let id = self.new_var(name, t, VarKind::Const, loc);
                if let Some(c) = self.consts.get_mut(id.0 as usize) {
                    *c = Some(v);
                }
                self.scopes.declare(name, Symbol::Var(id));
                Ok(())
            }
            DeclKind::Input => {
                if let Some(init) = init {
                    return Err(invalid(
                        src,
                        init.at,
                        "an input's value is given when the program is run, not here".into(),
                    ));
                }
                // No declaration statement: it would reset the value given from outside.
                let id = self.new_var(name, t, VarKind::Input, loc);
                self.scopes.declare(name, Symbol::Var(id));
                Ok(())
            }
            DeclKind::Plain | DeclKind::Output => {
                let var_kind = if kind == DeclKind::Output {
                    VarKind::Output
                } else {
                    VarKind::Mutable
                };
                let init_expr = match init.map(|e| &e.kind) {
                    None | Some(ExprKind::Measure(_)) => None,
                    Some(ExprKind::ArrayLiteral(_)) => init
                        .map(|e| self.array_value(e, &t, src))
                        .transpose()?
                        .map(ClassicalExpr::Const),
                    Some(_) => match init {
                        Some(e) => {
                            let (x, tx) = self.expr(e, src)?;
                            Some(self.coerce(x, &tx, &t, &what, e.at, src)?)
                        }
                        None => None,
                    },
                };
                let creg = if global {
                    match t {
                        Type::Bit => Some(1),
                        Type::Bits(n) => Some(n),
                        _ => None,
                    }
                } else {
                    None
                };
                let id = self.new_var(name, t, var_kind, loc);
                if let Some(size) = creg {
                    let c = &mut self.prog.circuit;
                    if u64::from(c.num_clbits) + u64::from(size) > MAX_BITS {
                        return Err(src.err(
                            at,
                            ErrorKind::TooLarge {
                                what: "the number of classical bits".into(),
                                limit: MAX_BITS,
                            },
                        ));
                    }
                    let r = c.cregs.len() as u32;
                    c.cregs.push(Register {
                        name: name.to_string(),
                        start: c.num_clbits,
                        size,
                    });
                    c.num_clbits += size;
                    if let Some(v) = self.prog.vars.get_mut(id.0 as usize) {
                        v.creg = Some(r);
                    }
                }
                self.scopes.declare(name, Symbol::Var(id));
                out.push(Stmt::Declare {
                    var: id,
                    init: init_expr,
                    loc,
                });
                if let Some(ast::Expr {
                    kind: ExprKind::Measure(q),
                    at: m_at,
                }) = init
                {
                    let target = ast::Expr {
                        kind: ExprKind::Name(ast::Name { text: name }),
                        at: name,
                    };
                    self.measure(q, Some(&target), m_at, out, src)?;
                }
                Ok(())
            }
        }
    }

    /// An array literal `{…}` (nested for more dimensions) as a constant of type `t`.
    fn array_value(
        &mut self,
        e: &ast::Expr<'_>,
        t: &Type,
        src: &mut Source<'_>,
    ) -> Result<Value, QasmError> {
        let Type::Array { elem, dims } = t else {
            return Err(invalid(
                src,
                e.at,
                format!("an array literal cannot initialise a value of type {t}"),
            ));
        };
        let mut items = Vec::new();
        self.array_items(e, elem, dims, &mut items, src)?;
        Ok(Value::Array {
            dims: dims.clone(),
            items,
        })
    }

    fn array_items(
        &mut self,
        e: &ast::Expr<'_>,
        elem: &Type,
        dims: &[u32],
        items: &mut Vec<Value>,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        let Some((&d0, rest)) = dims.split_first() else {
            let (x, tx) = self.expr(e, src)?;
            return match self.coerce(x, &tx, elem, "an element of this array", e.at, src)? {
                ClassicalExpr::Const(v) => {
                    items.push(v);
                    Ok(())
                }
                _ => Err(unsupported(
                    src,
                    e.at,
                    "array literals whose elements are not compile-time constants".into(),
                )),
            };
        };
        let ExprKind::ArrayLiteral(list) = &e.kind else {
            return Err(invalid(
                src,
                e.at,
                format!("an array literal of {d0} element(s) is expected here"),
            ));
        };
        if list.len() != d0 as usize {
            return Err(invalid(
                src,
                e.at,
                format!(
                    "this array literal has {} element(s), the array {d0}",
                    list.len()
                ),
            ));
        }
        self.enter(e.at, src)?;
        let mut r = Ok(());
        for x in list {
            r = self.array_items(x, elem, rest, items, src);
            if r.is_err() {
                break;
            }
        }
        self.leave();
        r
    }

    /// Where an assignment or measurement stores, with the type stored there.
    fn lvalue(
        &mut self,
        e: &ast::Expr<'_>,
        src: &mut Source<'_>,
    ) -> Result<(LValue, Type), QasmError> {
        // `a[i][j]`: the name, then the indices outermost last.
        let mut levels = Vec::new();
        let mut cur = e;
        let name = loop {
            match &cur.kind {
                ExprKind::Name(n) => break n.text,
                ExprKind::Index(base, ix) if levels.len() < 8 => {
                    levels.push(ix);
                    cur = base;
                }
                _ => {
                    return Err(invalid(
                        src,
                        e.at,
                        "only a variable, or an element or slice of one, can be assigned".into(),
                    ));
                }
            }
        };
        let var = match self.scopes.lookup(name) {
            Some((Symbol::Var(v), reach)) => {
                let v = *v;
                let kind = self.prog.vars.get(v.0 as usize).map(|x| x.kind);
                if kind == Some(VarKind::Const) {
                    return Err(invalid(
                        src,
                        e.at,
                        format!("'{name}' is a constant and cannot be assigned"),
                    ));
                }
                if kind == Some(VarKind::Loop) {
                    return Err(invalid(
                        src,
                        e.at,
                        format!("the loop variable '{name}' cannot be assigned"),
                    ));
                }
                if reach == Reach::GlobalFromBody {
                    return Err(invalid(
                        src,
                        e.at,
                        format!(
                            "the global variable '{name}' is not visible inside a subroutine or gate (only global constants are, and they cannot be assigned)"
                        ),
                    ));
                }
                if self.readonly.contains(&v) {
                    return Err(invalid(
                        src,
                        e.at,
                        format!("the readonly array '{name}' cannot be assigned"),
                    ));
                }
                v
            }
            Some((Symbol::Qubits { .. } | Symbol::Alias(_) | Symbol::QubitParam { .. }, _)) => {
                return Err(invalid(
                    src,
                    e.at,
                    format!("'{name}' is a qubit, where a classical variable is expected"),
                ));
            }
            Some((Symbol::Sub(_) | Symbol::Extern(_), _)) => {
                return Err(invalid(
                    src,
                    e.at,
                    format!("'{name}' is a subroutine, not a variable"),
                ));
            }
            None => return Err(src.err(e.at, ErrorKind::UndefinedClbit(name.to_string()))),
        };
        let mut index = Vec::new();
        for ix in levels.iter().rev() {
            index.extend(self.index_items(ix, src)?);
        }
        let base_ty = self
            .prog
            .vars
            .get(var.0 as usize)
            .map_or(Type::Bool, |v| v.ty.clone());
        let ty = indexed_type(&base_ty, &index, e.at, src)?;
        Ok((LValue { var, index }, ty))
    }

    /// `measure q;`, `measure q -> c;`, `c = measure q;`: the target holds as many bits as
    /// are measured.
    pub(super) fn measure(
        &mut self,
        qubits: &ast::Expr<'_>,
        target: Option<&ast::Expr<'_>>,
        at: &str,
        out: &mut Block,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        let q = self.operand(qubits, src)?;
        let target = match target {
            None => None,
            Some(t) => {
                let (lv, ty) = self.lvalue(t, src)?;
                let n = match ty {
                    Type::Bit | Type::Bool => 1,
                    Type::Bits(n) => n,
                    ty => {
                        return Err(invalid(
                            src,
                            t.at,
                            format!(
                                "a measurement is stored in a bit or bit register, not a value of type {ty}"
                            ),
                        ));
                    }
                };
                if let Some(m) = q.known.len()
                    && m != n
                {
                    return Err(invalid(
                        src,
                        at,
                        format!("measuring {m} qubit(s) into {n} bit(s)"),
                    ));
                }
                Some(lv)
            }
        };
        self.grow(1, at, src)?;
        let loc = self.loc(at, src);
        out.push(Stmt::Measure {
            qubits: q.op,
            target,
            loc,
        });
        Ok(())
    }

    fn assign(
        &mut self,
        target: &ast::Expr<'_>,
        op: Option<ast::BinaryOpAst>,
        value: &ast::Expr<'_>,
        at: &str,
        out: &mut Block,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        let (lv, tt) = self.lvalue(target, src)?;
        let (x, tx) = self.expr(value, src)?;
        let what = "assigned to a variable";
        let op = op.map(binary_op);
        let value = match op {
            None => self.coerce(x, &tx, &tt, what, value.at, src)?,
            Some(op) => {
                // The operation must apply and its result fit the target's type.
                let probe = ClassicalExpr::Var(lv.var);
                let (_, result) =
                    self.binary(op, (probe, tt.clone()), (x.clone(), tx.clone()), at, src)?;
                if !implicit(&result, &tt) {
                    return Err(invalid(
                        src,
                        at,
                        format!(
                            "the result of this operation ({result}) cannot be stored in a value of type {tt}"
                        ),
                    ));
                }
                let keep = matches!(op, BinaryOp::Shl | BinaryOp::Shr)
                    || (matches!(op, BinaryOp::Mul | BinaryOp::Div)
                        && matches!(tt, Type::Angle(_) | Type::Duration | Type::Stretch)
                        && numeric(&tx));
                if keep {
                    x
                } else {
                    self.coerce(x, &tx, &tt, what, value.at, src)?
                }
            }
        };
        let loc = self.loc(at, src);
        out.push(Stmt::Assign {
            target: lv,
            op,
            value,
            loc,
        });
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn for_loop(
        &mut self,
        ty: Option<&TypeAst<'_>>,
        var: &str,
        iter: &ForIter<'_>,
        body: &[ast::Stmt<'_>],
        at: &str,
        out: &mut Block,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        let vt = match ty {
            Some(t) => self.ty(t, at, src)?,
            None => Type::Int(None),
        };
        let what = format!("taken by the loop variable '{var}'");
        let iteration = match iter {
            ForIter::Range(r) => {
                let (Some(a), Some(b)) = (&r.start, &r.stop) else {
                    return Err(invalid(
                        src,
                        r.at,
                        "a loop range needs its start and end: [start:end] or [start:step:end]"
                            .into(),
                    ));
                };
                let (sa, ta) = self.expr(a, src)?;
                let start = self.coerce(sa, &ta, &vt, &what, a.at, src)?;
                let (sb, tb) = self.expr(b, src)?;
                let stop = self.coerce(sb, &tb, &vt, &what, b.at, src)?;
                let step = match &r.step {
                    None => ClassicalExpr::Const(Value::Int(1)),
                    Some(s) => self.int_expr(s, src)?,
                };
                if matches!(step, ClassicalExpr::Const(Value::Int(0))) {
                    return Err(invalid(src, r.at, "a loop range's step cannot be 0".into()));
                }
                Iteration::Range { start, step, stop }
            }
            ForIter::Set(items) => {
                let mut v = Vec::with_capacity(items.len());
                for e in items {
                    let (x, tx) = self.expr(e, src)?;
                    v.push(self.coerce(x, &tx, &vt, &what, e.at, src)?);
                }
                Iteration::Set(v)
            }
            ForIter::Value(e) => {
                let (x, tx) = self.expr(e, src)?;
                let elem = match &tx {
                    Type::Bits(_) => Type::Bit,
                    Type::Array { elem, dims } if dims.len() == 1 => (**elem).clone(),
                    t => {
                        return Err(invalid(
                            src,
                            e.at,
                            format!(
                                "a loop runs over a range, a set, a bit register or a one-dimensional array, not a value of type {t}"
                            ),
                        ));
                    }
                };
                if !implicit(&elem, &vt) {
                    return Err(invalid(
                        src,
                        e.at,
                        format!(
                            "the elements ({elem}) cannot be values of the loop variable '{var}' of type {vt}"
                        ),
                    ));
                }
                Iteration::Values(x)
            }
        };
        let loc = self.loc(var, src);
        self.check_free(var, var, src)?;
        self.enter(at, src)?;
        self.scopes.push(FrameKind::Block);
        let id = self.new_var(var, vt, VarKind::Loop, loc);
        self.scopes.declare(var, Symbol::Var(id));
        let r = self.loop_body(body, at, src);
        self.scopes.pop();
        self.leave();
        let body = r?;
        let loc = self.loc(at, src);
        out.push(Stmt::For {
            var: id,
            iter: iteration,
            body,
            loc,
        });
        Ok(())
    }

    fn switch(
        &mut self,
        target: &ast::Expr<'_>,
        cases: &[ast::CaseAst<'_>],
        default: Option<&[ast::Stmt<'_>]>,
        at: &str,
        out: &mut Block,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        let (x, t) = self.expr(target, src)?;
        let (x, t) = match t {
            Type::Int(_) | Type::Uint(_) => (x, t),
            Type::Bits(n) => {
                let u = Type::Uint(Some(n));
                (self.cast(x, &t, &u, target.at, src)?, u)
            }
            t => {
                return Err(invalid(
                    src,
                    target.at,
                    format!("a switch is over an integer, not a value of type {t}"),
                ));
            }
        };
        // Case values are integers of the target's type: a set of their bits finds repeats
        // among any number of them.
        let mut seen = rustc_hash::FxHashSet::default();
        let mut out_cases = Vec::with_capacity(cases.len());
        for c in cases {
            let mut values = Vec::with_capacity(c.values.len());
            for v in &c.values {
                let (cx, ct) = self.expr(v, src)?;
                let cv = self.coerce(cx, &ct, &t, "used as a case value", v.at, src)?;
                let ClassicalExpr::Const(value) = cv else {
                    return Err(invalid(
                        src,
                        v.at,
                        "a case value must be a compile-time constant".into(),
                    ));
                };
                let key = match &value {
                    Value::Int(i) => *i as u128,
                    Value::Uint(u) => *u,
                    _ => {
                        return Err(invalid(src, v.at, "a case value must be an integer".into()));
                    }
                };
                if !seen.insert(key) {
                    return Err(invalid(src, v.at, "this case value appears twice".into()));
                }
                values.push(ClassicalExpr::Const(value));
            }
            let mut body = Vec::new();
            self.block(&c.body, at, &mut body, src)?;
            out_cases.push(Case { values, body });
        }
        let default = match default {
            None => None,
            Some(d) => {
                let mut body = Vec::new();
                self.block(d, at, &mut body, src)?;
                Some(body)
            }
        };
        // A target known here picks its case now.
        if let ClassicalExpr::Const(v) = &x {
            let hit = out_cases.iter().position(|c| {
                c.values
                    .iter()
                    .any(|cv| matches!(cv, ClassicalExpr::Const(w) if w == v))
            });
            match hit {
                Some(k) => out.extend(out_cases.swap_remove(k).body),
                None => out.extend(default.unwrap_or_default()),
            }
            return Ok(());
        }
        let loc = self.loc(at, src);
        out.push(Stmt::Switch {
            target: x,
            cases: out_cases,
            default,
            loc,
        });
        Ok(())
    }

    fn return_stmt(
        &mut self,
        value: Option<&ast::Expr<'_>>,
        at: &str,
        out: &mut Block,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        let Some(sub) = self.sub else {
            return Err(invalid(
                src,
                at,
                "'return' is only allowed inside a subroutine".into(),
            ));
        };
        let (name, ret) = match self.prog.subroutines.get(sub.0 as usize) {
            Some(s) => (s.name.clone(), s.ret.clone()),
            None => return Err(invalid(src, at, "'return' outside a subroutine".into())),
        };
        let value = match (value, ret) {
            (None, None) => None,
            (None, Some(t)) => {
                return Err(invalid(
                    src,
                    at,
                    format!("'{name}' returns a value of type {t}: return one"),
                ));
            }
            (Some(v), None) => {
                return Err(invalid(src, v.at, format!("'{name}' returns no value")));
            }
            (Some(v), Some(t)) => {
                if let ExprKind::Measure(q) = &v.kind {
                    // `return measure q;`: measured into a fresh bit, which is returned.
                    let loc = self.loc(v.at, src);
                    let tmp = self.new_var("measure", t.clone(), VarKind::Mutable, loc);
                    out.push(Stmt::Declare {
                        var: tmp,
                        init: None,
                        loc,
                    });
                    let o = self.operand(q, src)?;
                    let n = match t {
                        Type::Bit | Type::Bool => 1,
                        Type::Bits(n) => n,
                        _ => {
                            return Err(invalid(
                                src,
                                v.at,
                                format!("'{name}' returns {t}, not the bits of a measurement"),
                            ));
                        }
                    };
                    if o.known.len().is_some_and(|m| m != n) {
                        return Err(invalid(
                            src,
                            v.at,
                            format!("measuring qubits into {n} bit(s)"),
                        ));
                    }
                    out.push(Stmt::Measure {
                        qubits: o.op,
                        target: Some(LValue {
                            var: tmp,
                            index: Vec::new(),
                        }),
                        loc,
                    });
                    Some(ClassicalExpr::Var(tmp))
                } else {
                    let (x, tx) = self.expr(v, src)?;
                    let what = format!("returned by '{name}'");
                    Some(self.coerce(x, &tx, &t, &what, v.at, src)?)
                }
            }
        };
        let loc = self.loc(at, src);
        out.push(Stmt::Return { value, loc });
        Ok(())
    }

    /// `include "file";`: a built-in library, or a file read and elaborated in place.
    fn include(
        &mut self,
        path: &str,
        at: &str,
        out: &mut Block,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        if !self.scopes.at_global() {
            return Err(invalid(
                src,
                at,
                "include is only allowed at global scope".into(),
            ));
        }
        if self.include_library(path, at, src)? {
            return Ok(());
        }
        self.include_file(path, at, out, src)
    }
}
