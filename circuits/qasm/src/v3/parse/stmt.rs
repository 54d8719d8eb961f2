//! Statements: the entry point [`next_statement`], annotations and pragmas, the dispatch on a
//! statement's first word, blocks, gate calls, assignments and expression statements, and the
//! quantum instructions (`measure`, `reset`, `barrier`, `delay`, `nop`, `box`). Declarations
//! are in `decl.rs`, control flow in `flow.rs`.

use crate::v3::ast::{
    Annotation, BinaryOpAst, Expr, ExprKind, IndexAst, IndexItem, ModifierAst, Name, Stmt, StmtKind,
};

use super::expr::is_place;
use super::lex::{
    Parser, Res, SyntaxError, cut, eat, expected, first, ident_raw, is_ident_start, is_keyword,
    keyword, punct, rest_of_line, ws,
};

/// Parse the next statement of `text` (blanks and comments before it skipped): `Ok(None)` at
/// the end of the text, else the statement and the rest of the text after it.
pub fn next_statement<'a>(text: &'a str) -> Result<Option<(Stmt<'a>, &'a str)>, SyntaxError<'a>> {
    let i = ws(text);
    if i.is_empty() {
        return Ok(None);
    }
    let (r, s) = Parser::default().statement(i)?;
    Ok(Some((s, r)))
}

/// The compound assignment operator at `j` (blanks skipped): `Some(None)` for `=`, the
/// operator of `+=` and the others, and the length.
fn assign_op(j: &str) -> Option<(Option<BinaryOpAst>, usize)> {
    use BinaryOpAst::*;
    const OPS: [(&str, BinaryOpAst); 11] = [
        ("**=", Pow),
        ("<<=", Shl),
        (">>=", Shr),
        ("+=", Add),
        ("-=", Sub),
        ("*=", Mul),
        ("/=", Div),
        ("%=", Mod),
        ("&=", BitAnd),
        ("|=", BitOr),
        ("^=", BitXor),
    ];
    if j.starts_with('=') && !j.starts_with("==") {
        return Some((None, 1));
    }
    OPS.iter()
        .find(|(t, _)| j.starts_with(t))
        .map(|&(t, op)| (Some(op), t.len()))
}

impl Parser {
    /// One statement with the annotations before it, at `i`.
    pub(super) fn statement<'a>(&mut self, i: &'a str) -> Res<'a, Stmt<'a>> {
        let mut i = ws(i);
        let mut annotations = Vec::new();
        while let Some(rest) = i.strip_prefix('@') {
            let Some((mut r, _)) = ident_raw(rest) else {
                return expected(rest, "an annotation's name after '@'");
            };
            // `@a.b.c`: dotted names.
            while let Some((r2, _)) = r.strip_prefix('.').and_then(ident_raw) {
                r = r2;
            }
            let keyword = cut(rest, rest.len() - r.len()).0;
            let (content, after) = rest_of_line(r);
            annotations.push(Annotation { keyword, content });
            i = ws(after);
        }
        if !annotations.is_empty() && i.is_empty() {
            return expected(i, "a statement after the annotation");
        }
        let (r, kind) = self.statement_kind(i)?;
        Ok((
            r,
            Stmt {
                annotations,
                kind,
                at: i,
            },
        ))
    }

    /// What the statement at `at` (blanks skipped) is.
    fn statement_kind<'a>(&mut self, at: &'a str) -> Res<'a, StmtKind<'a>> {
        match first(at) {
            Some(b';') => return Ok((cut(at, 1).1, StmtKind::Empty)),
            Some(b'{') => {
                let (r, body) = self.scope(at)?;
                return Ok((r, StmtKind::Block(body)));
            }
            Some(b'#') => {
                return match cut(at, 1).1.strip_prefix("pragma") {
                    Some(r) if !r.starts_with(super::lex::is_ident_char) => {
                        let (content, r) = rest_of_line(r);
                        Ok((r, StmtKind::Pragma(content)))
                    }
                    _ => expected(at, "a statement"),
                };
            }
            _ => {}
        }
        let Some((r, w)) = ident_raw(at) else {
            return match first(at) {
                Some(b'(' | b'.' | b'"' | b'$' | b'-' | b'!' | b'~' | b'0'..=b'9') => {
                    self.expr_statement(at)
                }
                _ => expected(at, "a statement"),
            };
        };
        if !is_keyword(w) {
            // OpenQASM 2's `opaque` is no keyword of OpenQASM 3: a declaration only when a
            // name follows.
            if w == "opaque" && ws(r).starts_with(is_ident_start) {
                return self.gate_def(r, true);
            }
            return self.expr_statement(at);
        }
        match w {
            "OPENQASM" => self.version(r),
            "include" => {
                let (r, path) = super::lex::quoted(r, "a quoted file name")?;
                Ok((
                    punct(r, ";", "';' after the include")?,
                    StmtKind::Include(path),
                ))
            }
            "defcalgrammar" => {
                let (r, g) = super::lex::quoted(r, "a quoted calibration grammar name")?;
                Ok((
                    punct(r, ";", "';' after the calibration grammar")?,
                    StmtKind::Defcalgrammar(g),
                ))
            }
            "pragma" => {
                let (content, r) = rest_of_line(r);
                Ok((r, StmtKind::Pragma(content)))
            }
            "cal" => self.cal(r),
            "defcal" => self.defcal(r),
            "qubit" | "qreg" | "creg" => self.register(w, r),
            "const" | "input" | "output" => self.declaration(at, r, w),
            w if super::lex::is_type_word(w) => self.declaration(at, at, w),
            "let" => self.alias(r),
            "gate" => self.gate_def(r, false),
            "def" => self.def(r),
            "extern" => self.extern_decl(r),
            "inv" | "pow" | "ctrl" | "negctrl" | "gphase" => self.gate_call(at),
            "measure" => self.measure(r),
            "reset" => {
                let (r, q) = self.operand(r)?;
                Ok((end(r)?, StmtKind::Reset(q)))
            }
            "barrier" => {
                let (r, qs) = self.operands(r, false)?;
                Ok((end(r)?, StmtKind::Barrier(qs)))
            }
            "nop" => {
                // The operands only mark qubits as used; nothing happens to them.
                let (r, _) = self.operands(r, false)?;
                Ok((end(r)?, StmtKind::Empty))
            }
            "delay" => {
                let j = ws(r);
                let (r, d) = self.designator(j)?;
                let Some((duration, h)) = d else {
                    return expected(j, "'[' and the delay's duration");
                };
                self.note_height(h);
                let (r, operands) = self.operands(r, false)?;
                Ok((end(r)?, StmtKind::Delay { duration, operands }))
            }
            "box" => {
                let j = ws(r);
                let (r, d) = self.designator(j)?;
                let duration = d.map(|(e, h)| {
                    self.note_height(h);
                    e
                });
                let j = ws(r);
                if first(j) != Some(b'{') {
                    return expected(j, "'{' opening the box");
                }
                let (r, body) = self.scope(j)?;
                Ok((r, StmtKind::Box { duration, body }))
            }
            "if" => self.if_stmt(r),
            "for" => self.for_stmt(r),
            "while" => self.while_stmt(r),
            "switch" => self.switch(r),
            "break" => Ok((end(r)?, StmtKind::Break)),
            "continue" => Ok((end(r)?, StmtKind::Continue)),
            "end" => Ok((end(r)?, StmtKind::End)),
            "return" => {
                if let Some(r) = eat(r, ";") {
                    return Ok((r, StmtKind::Return(None)));
                }
                let (r, v) = self.value(r)?;
                Ok((end(r)?, StmtKind::Return(Some(v))))
            }
            "durationof" | "true" | "false" => self.expr_statement(at),
            _ => expected(at, "a statement"),
        }
    }

    /// `{ statements }` at `i` (which starts with `{`): the statements.
    pub(super) fn scope<'a>(&mut self, i: &'a str) -> Res<'a, Vec<Stmt<'a>>> {
        self.nested(i, |p| {
            let mut out = Vec::new();
            let mut r = cut(i, 1).1;
            loop {
                let j = ws(r);
                if let Some(rest) = j.strip_prefix('}') {
                    return Ok((rest, out));
                }
                if j.is_empty() {
                    return expected(j, "'}' closing the block");
                }
                let (r2, s) = p.statement(j)?;
                out.push(s);
                r = r2;
            }
        })
    }

    /// The body of `if`, `else`, `for` or `while`: a block's statements, or one statement.
    pub(super) fn body<'a>(&mut self, i: &'a str) -> Res<'a, Vec<Stmt<'a>>> {
        let j = ws(i);
        if first(j) == Some(b'{') {
            return self.scope(j);
        }
        if j.is_empty() {
            return expected(j, "a statement or a block");
        }
        let (r, s) = self.nested(j, |p| p.statement(j))?;
        Ok((r, vec![s]))
    }

    /// A statement that starts with an expression: a gate call without modifiers (`h q;`,
    /// `rz(θ) q;`, `x[100ns] q;`), an assignment, or an expression statement.
    pub(super) fn expr_statement<'a>(&mut self, at: &'a str) -> Res<'a, StmtKind<'a>> {
        let (r, e) = self.expr(at)?;
        let j = ws(r);
        let starts_operand = first(j) == Some(b'$') || j.starts_with(is_ident_start);
        if starts_operand {
            return match gate_head(e) {
                Some((name, params, duration)) => {
                    self.gate_rest(j, Vec::new(), name, params, duration, true)
                }
                None => expected(j, "';' ending the statement"),
            };
        }
        if let Some((op, len)) = assign_op(j) {
            // A variable starts the statement: `(a) = 1` is no assignment in the grammar.
            if !is_place(&e) || e.at.len() != at.len() {
                return expected(at, "a variable before the assignment");
            }
            let v = ws(cut(j, len).1);
            if op.is_none()
                && let Some(rest) = keyword(v, "measure")
            {
                let (r, qubits) = self.operand(rest)?;
                return Ok((
                    end(r)?,
                    StmtKind::Measure {
                        qubits,
                        target: Some(e),
                    },
                ));
            }
            let (r, value) = self.value(v)?;
            return Ok((
                end(r)?,
                StmtKind::Assign {
                    target: e,
                    op,
                    value,
                },
            ));
        }
        match j.strip_prefix(';') {
            Some(r) => Ok((r, StmtKind::Expr(e))),
            None => expected(j, "';' ending the statement"),
        }
    }

    /// A gate call that starts with a modifier or `gphase`, at `at`.
    fn gate_call<'a>(&mut self, at: &'a str) -> Res<'a, StmtKind<'a>> {
        let mut modifiers = Vec::new();
        let mut i = at;
        let (name, r) = loop {
            let j = ws(i);
            let Some((r, w)) = ident_raw(j) else {
                return expected(j, "a gate name or modifier");
            };
            let (r, m) = match w {
                "inv" => (r, ModifierAst::Inv),
                "pow" => {
                    let r = punct(r, "(", "'(' and the power after 'pow'")?;
                    let (r, e) = self.nested(j, |p| p.expr(r))?;
                    (punct(r, ")", "')' closing the power")?, ModifierAst::Pow(e))
                }
                "ctrl" | "negctrl" => {
                    let (r, n) = match eat(r, "(") {
                        Some(r) => {
                            let (r, e) = self.nested(j, |p| p.expr(r))?;
                            (
                                punct(r, ")", "')' closing the number of controls")?,
                                Some(e),
                            )
                        }
                        None => (r, None),
                    };
                    let m = if w == "ctrl" {
                        ModifierAst::Ctrl(n)
                    } else {
                        ModifierAst::Negctrl(n)
                    };
                    (r, m)
                }
                "gphase" => break (Name { text: w }, r),
                w if !is_keyword(w) => break (Name { text: w }, r),
                _ => return expected(j, "a gate name or modifier"),
            };
            modifiers.push(m);
            i = punct(r, "@", "'@' after the modifier")?;
        };
        let (r, params) = match eat(r, "(") {
            Some(r) => {
                let (r, (list, h)) = self.nested(at, |p| {
                    p.expr_list(r, ")", "',' or ')' closing the parameters")
                })?;
                self.note_height(h);
                (r, list)
            }
            None => (r, Vec::new()),
        };
        let (r, d) = self.designator(r)?;
        let duration = d.map(|(e, h)| {
            self.note_height(h);
            e
        });
        let required = name.text != "gphase";
        self.gate_rest(r, modifiers, name, params, duration, required)
    }

    /// The operands and `;` of a gate call whose head is read.
    fn gate_rest<'a>(
        &mut self,
        r: &'a str,
        modifiers: Vec<ModifierAst<'a>>,
        name: Name<'a>,
        params: Vec<Expr<'a>>,
        duration: Option<Expr<'a>>,
        required: bool,
    ) -> Res<'a, StmtKind<'a>> {
        let (r, operands) = self.operands(r, required)?;
        let r = match eat(r, ";") {
            Some(r) => r,
            None if ws(r).starts_with("->") => {
                return Err(super::lex::err(
                    ws(r),
                    crate::error::ErrorKind::Unsupported(
                        "assigning the result of a gate call with '->'".into(),
                    ),
                ));
            }
            None => return expected(ws(r), "',' or ';' after the gate's operands"),
        };
        Ok((
            r,
            StmtKind::GateCall {
                modifiers,
                name,
                params,
                duration,
                operands,
            },
        ))
    }

    /// `measure q;` or `measure q -> c;`, `r` after the keyword.
    fn measure<'a>(&mut self, r: &'a str) -> Res<'a, StmtKind<'a>> {
        let (r, qubits) = self.operand(r)?;
        let (r, target) = match eat(r, "->") {
            Some(r) => {
                let (r, t) = self.operand(r)?;
                (r, Some(t))
            }
            None => (r, None),
        };
        let r = match eat(r, ";") {
            Some(r) => r,
            None => return expected(ws(r), "'->' or ';' after the measured qubits"),
        };
        Ok((r, StmtKind::Measure { qubits, target }))
    }
}

/// The `;` ending a statement, after blanks.
pub(super) fn end(r: &str) -> Result<&str, SyntaxError<'_>> {
    punct(r, ";", "';' ending the statement")
}

/// The gate name, parameters and duration of a gate call read as an expression: `g`,
/// `g(a, b)`, `g[d]`, `g(a)[d]`; `None` for an expression that cannot start a gate call.
type GateHead<'a> = (Name<'a>, Vec<Expr<'a>>, Option<Expr<'a>>);

/// See [`GateHead`].
fn gate_head(e: Expr<'_>) -> Option<GateHead<'_>> {
    fn plain(e: Expr<'_>) -> Option<(Name<'_>, Vec<Expr<'_>>)> {
        match e.kind {
            ExprKind::Name(n) => Some((n, Vec::new())),
            ExprKind::Call(n, args) => Some((n, args)),
            _ => None,
        }
    }
    match e.kind {
        ExprKind::Index(base, IndexAst::Items(mut items)) if items.len() == 1 => {
            let Some(IndexItem::Single(d)) = items.pop() else {
                return None;
            };
            let (n, params) = plain(*base)?;
            Some((n, params, Some(d)))
        }
        kind => {
            let (n, params) = plain(Expr { kind, at: e.at })?;
            Some((n, params, None))
        }
    }
}
