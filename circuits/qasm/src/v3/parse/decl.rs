//! Declarations and definitions: the version, calibration blocks (kept as raw text), qubits
//! and classical variables, aliases, gates, subroutines and externs.

use crate::v3::ast::{DeclKind, Name, ParamAst, StmtKind, TypeAst};

use super::lex::{
    Parser, Res, cut, eat, expected, expected_err, first, ident_raw, is_keyword, is_type_word,
    name, physical, punct, raw_braced, ws,
};
use super::stmt::end;

/// Whether the word `w` starts a formal parameter's type.
fn starts_param(w: &str) -> bool {
    is_type_word(w) || matches!(w, "qubit" | "qreg" | "creg" | "readonly" | "mutable")
}

/// Whether a size in brackets comes next where the grammar has none.
fn size_first(r: &str) -> bool {
    ws(r).starts_with('[')
}

impl Parser {
    /// `OPENQASM 3.0;`, `r` after the keyword.
    pub(super) fn version<'a>(&mut self, r: &'a str) -> Res<'a, StmtKind<'a>> {
        let j = ws(r);
        let b = j.as_bytes();
        let major = b.iter().take_while(|c| c.is_ascii_digit()).count();
        if major == 0 {
            return expected(j, "a version number");
        }
        let mut n = major;
        if b.get(n) == Some(&b'.') {
            let minor = b
                .get(n + 1..)
                .map_or(0, |t| t.iter().take_while(|c| c.is_ascii_digit()).count());
            if minor == 0 {
                return expected(cut(j, n + 1).1, "the minor version number");
            }
            n += 1 + minor;
        }
        let (text, r) = cut(j, n);
        Ok((
            punct(r, ";", "';' after the version")?,
            StmtKind::Version(text),
        ))
    }

    /// `cal { … }`, `r` after the keyword.
    pub(super) fn cal<'a>(&mut self, r: &'a str) -> Res<'a, StmtKind<'a>> {
        let j = ws(r);
        if first(j) != Some(b'{') {
            return expected(j, "'{' opening the calibration block");
        }
        let (r, body) = raw_braced(j)?;
        Ok((r, StmtKind::Cal(body)))
    }

    /// `defcal name(args) operands -> type { … }`, `r` after the keyword: the signature is
    /// checked, the body kept as text.
    pub(super) fn defcal<'a>(&mut self, r: &'a str) -> Res<'a, StmtKind<'a>> {
        let j = ws(r);
        let (mut r, target) = match ident_raw(j) {
            Some((r, w)) if !is_keyword(w) || matches!(w, "measure" | "reset" | "delay") => (r, w),
            _ => return expected(j, "the name of the calibrated gate or instruction"),
        };
        if let Some(args) = eat(r, "(") {
            r = self.nested(j, |p| p.defcal_args(args))?.0;
        }
        // Operands: physical qubits or names, at least one.
        loop {
            let k = ws(r);
            r = if first(k) == Some(b'$') {
                physical(k)?.0
            } else {
                name(k, "a physical qubit or a qubit name")?.0
            };
            match eat(r, ",") {
                Some(r2) if matches!(first(ws(r2)), Some(b'{' | b'-')) => {
                    r = r2;
                    break;
                }
                Some(r2) => r = r2,
                None => break,
            }
        }
        let (r, _) = self.return_type(r)?;
        let k = ws(r);
        if first(k) != Some(b'{') {
            return expected(k, "'{' opening the calibration body");
        }
        let (r, body) = raw_braced(k)?;
        Ok((r, StmtKind::Defcal { name: target, body }))
    }

    /// The arguments of a `defcal` after the `(`, through the `)`: typed parameters or
    /// constant expressions (`rz(pi/2)`).
    fn defcal_args<'a>(&mut self, i: &'a str) -> Res<'a, ()> {
        if let Some(r) = eat(i, ")") {
            return Ok((r, ()));
        }
        let mut i = i;
        loop {
            let j = ws(i);
            let r = match ident_raw(j) {
                Some((_, w)) if starts_param(w) => self.param(j, true)?.0,
                _ => self.expr(j)?.0,
            };
            match eat(r, ",") {
                Some(r2) => match eat(r2, ")") {
                    Some(r3) => return Ok((r3, ())),
                    None => i = r2,
                },
                None => return Ok((punct(r, ")", "',' or ')' closing the arguments")?, ())),
            }
        }
    }

    /// `qubit[n] q;`, `qreg q[n];` or `creg c[n];`: `w` is the keyword, `r` after it.
    pub(super) fn register<'a>(&mut self, w: &str, r: &'a str) -> Res<'a, StmtKind<'a>> {
        let (r, name, size) = if w == "qubit" {
            let (r, size) = self.designator(r)?;
            let (r, n) = name(r, "the qubit's name")?;
            if size_first(r) {
                return expected(r, "';' (a size follows the type: 'qubit[n] name')");
            }
            (r, n, size)
        } else {
            let (r, n) = name(r, "the register's name")?;
            let (r, size) = self.designator(r)?;
            (r, n, size)
        };
        let size = size.map(|(e, h)| {
            self.note_height(h);
            e
        });
        let r = end(r)?;
        if w == "creg" {
            return Ok((
                r,
                StmtKind::ClassicalDecl {
                    kind: DeclKind::Plain,
                    ty: TypeAst::Bit(size.map(Box::new)),
                    name,
                    init: None,
                },
            ));
        }
        Ok((r, StmtKind::QubitDecl { name, size }))
    }

    /// A classical declaration at `at`, whose type starts at `ty_at`; `w` is the first word
    /// (`const`, `input`, `output` or the type's).
    pub(super) fn declaration<'a>(
        &mut self,
        at: &'a str,
        ty_at: &'a str,
        w: &str,
    ) -> Res<'a, StmtKind<'a>> {
        let kind = match w {
            "const" => DeclKind::Const,
            "input" => DeclKind::Input,
            "output" => DeclKind::Output,
            _ => DeclKind::Plain,
        };
        let (r, ty) = self.stmt_ty(ty_at)?;
        if kind == DeclKind::Plain && ws(r).starts_with('(') {
            // `int[8](x);`: a cast starting an expression statement.
            return self.expr_statement(at);
        }
        let (r, name) = name(r, "the variable's name")?;
        let (r, init) = match kind {
            DeclKind::Input | DeclKind::Output => {
                let j = ws(r);
                if j.starts_with('=') {
                    return expected(j, "';' (an input or output takes no initial value)");
                }
                (r, None)
            }
            DeclKind::Const => {
                let r = punct(r, "=", "'=' and the constant's value")?;
                let (r, v) = self.init_value(r)?;
                (r, Some(v))
            }
            DeclKind::Plain => match eat(r, "=") {
                Some(r) => {
                    let (r, v) = self.init_value(r)?;
                    (r, Some(v))
                }
                None => (r, None),
            },
        };
        let r = match eat(r, ";") {
            Some(r) => r,
            None if ws(r).starts_with('[') => {
                return expected(r, "';' (a size follows the type: 'bit[n] name')");
            }
            None if init.is_none() && kind != DeclKind::Const => {
                return expected(ws(r), "'=' or ';' after the variable's name");
            }
            None => return Err(expected_err(ws(r), "';' ending the statement")),
        };
        Ok((
            r,
            StmtKind::ClassicalDecl {
                kind,
                ty,
                name,
                init,
            },
        ))
    }

    /// `let a = q[0:2] ++ r;`, `r` after the keyword.
    pub(super) fn alias<'a>(&mut self, r: &'a str) -> Res<'a, StmtKind<'a>> {
        let (r, name) = name(r, "the alias's name")?;
        let mut r = punct(r, "=", "'=' and what the alias names")?;
        let mut parts = Vec::new();
        loop {
            let (r2, e) = self.expr(r)?;
            parts.push(e);
            match eat(r2, "++") {
                Some(r3) => r = r3,
                None => {
                    r = r2;
                    break;
                }
            }
        }
        let r = match eat(r, ";") {
            Some(r) => r,
            None => return expected(ws(r), "'++' or ';' after the aliased qubits"),
        };
        Ok((r, StmtKind::Alias { name, parts }))
    }

    /// `gate name(params) qubits { … }` or `opaque name(params) qubits;`, `r` after the
    /// keyword.
    pub(super) fn gate_def<'a>(&mut self, r: &'a str, opaque: bool) -> Res<'a, StmtKind<'a>> {
        let (r, name) = name(r, "the gate's name")?;
        let (r, params) = match eat(r, "(") {
            Some(r) => names(r, Some(")"), "a parameter's name")?,
            None => (r, Vec::new()),
        };
        let (r, qubits) = names(r, None, "a qubit's name")?;
        if opaque {
            return Ok((
                end(r)?,
                StmtKind::Opaque {
                    name,
                    params,
                    qubits,
                },
            ));
        }
        let j = ws(r);
        if first(j) != Some(b'{') {
            return expected(j, "',' or '{' opening the gate's body");
        }
        let (r, body) = self.scope(j)?;
        Ok((
            r,
            StmtKind::GateDef {
                name,
                params,
                qubits,
                body,
            },
        ))
    }

    /// `def name(params) -> type { … }`, `r` after the keyword.
    pub(super) fn def<'a>(&mut self, r: &'a str) -> Res<'a, StmtKind<'a>> {
        let (r, name) = name(r, "the subroutine's name")?;
        let r = punct(r, "(", "'(' opening the parameters")?;
        let (r, params) = self.params(r, true)?;
        let (r, ret) = self.return_type(r)?;
        let j = ws(r);
        if first(j) != Some(b'{') {
            return expected(j, "'->' or '{' opening the subroutine's body");
        }
        let (r, body) = self.scope(j)?;
        Ok((
            r,
            StmtKind::Def {
                name,
                params,
                ret,
                body,
            },
        ))
    }

    /// `extern name(types) -> type;`, `r` after the keyword.
    pub(super) fn extern_decl<'a>(&mut self, r: &'a str) -> Res<'a, StmtKind<'a>> {
        let (r, name) = name(r, "the extern function's name")?;
        let r = punct(r, "(", "'(' opening the parameter types")?;
        let (r, params) = self.params(r, false)?;
        let (r, ret) = self.return_type(r)?;
        let r = match eat(r, ";") {
            Some(r) => r,
            None => return expected(ws(r), "'->' or ';' after the extern's parameters"),
        };
        Ok((r, StmtKind::Extern { name, params, ret }))
    }

    /// Formal parameters after the `(`, through the `)`; `named` as in [`Parser::param`].
    fn params<'a>(&mut self, i: &'a str, named: bool) -> Res<'a, Vec<ParamAst<'a>>> {
        let mut out = Vec::new();
        if let Some(r) = eat(i, ")") {
            return Ok((r, out));
        }
        let mut i = i;
        loop {
            let (r, p) = self.param(i, named)?;
            out.push(p);
            match eat(r, ",") {
                Some(r2) => match eat(r2, ")") {
                    Some(r3) => return Ok((r3, out)),
                    None => i = r2,
                },
                None => return Ok((punct(r, ")", "',' or ')' closing the parameters")?, out)),
            }
        }
    }
}

/// Comma-separated names (a trailing comma allowed). With `close`, the list may be empty and
/// ends at `close` (consumed); without, it holds at least one name and ends before `{` or `;`.
fn names<'a>(i: &'a str, close: Option<&str>, what: &str) -> Res<'a, Vec<Name<'a>>> {
    let mut out = Vec::new();
    if let Some(c) = close
        && let Some(r) = eat(i, c)
    {
        return Ok((r, out));
    }
    let mut i = i;
    loop {
        let (r, n) = name(i, what)?;
        out.push(n);
        let Some(r2) = eat(r, ",") else {
            return match close {
                Some(c) => Ok((punct(r, c, "',' or ')' closing the parameters")?, out)),
                None => Ok((r, out)),
            };
        };
        match close {
            Some(c) => {
                if let Some(r3) = eat(r2, c) {
                    return Ok((r3, out));
                }
            }
            None if matches!(first(ws(r2)), Some(b'{' | b';')) => return Ok((r2, out)),
            None => {}
        }
        i = r2;
    }
}
