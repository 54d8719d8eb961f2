//! Control flow: `if`/`else`, `for`, `while` and `switch`.

use crate::v3::ast::{CaseAst, ForIter, StmtKind};

use super::lex::{
    Parser, Res, eat, expected, first, ident_raw, is_type_word, keyword, name, punct, ws,
};

impl Parser {
    /// `(condition)` after blanks.
    fn condition<'a>(&mut self, r: &'a str, what: &str) -> Res<'a, crate::v3::ast::Expr<'a>> {
        let r = punct(r, "(", what)?;
        let (r, cond) = self.expr(r)?;
        Ok((punct(r, ")", "')' closing the condition")?, cond))
    }

    /// `if (c) body [else body]`, `r` after the keyword.
    pub(super) fn if_stmt<'a>(&mut self, r: &'a str) -> Res<'a, StmtKind<'a>> {
        let (r, cond) = self.condition(r, "'(' opening the condition")?;
        let (r, then_body) = self.body(r)?;
        let (r, else_body) = match keyword(r, "else") {
            Some(r2) => {
                let (r2, b) = self.body(r2)?;
                (r2, Some(b))
            }
            None => (r, None),
        };
        Ok((
            r,
            StmtKind::If {
                cond,
                then_body,
                else_body,
            },
        ))
    }

    /// `for [type] name in iterable body`, `r` after the keyword.
    pub(super) fn for_stmt<'a>(&mut self, r: &'a str) -> Res<'a, StmtKind<'a>> {
        let j = ws(r);
        let (r, ty) = match ident_raw(j) {
            Some((_, w)) if is_type_word(w) => {
                let (r, t) = self.stmt_ty(j)?;
                (r, Some(t))
            }
            _ => (j, None),
        };
        let (r, var) = name(r, "the loop variable's name")?;
        let Some(r) = keyword(r, "in") else {
            return expected(ws(r), "'in' after the loop variable");
        };
        let j = ws(r);
        let (r, iter) = match first(j) {
            Some(b'[') => {
                let (r, range) = self.nested(j, |p| p.bracket_range(super::lex::cut(j, 1).1))?;
                (r, ForIter::Range(range))
            }
            Some(b'{') => {
                let (r, (set, h)) = self.nested(j, |p| {
                    p.expr_list(super::lex::cut(j, 1).1, "}", "',' or '}' closing the set")
                })?;
                self.note_height(h);
                if set.is_empty() {
                    return expected(j, "a set with at least one value");
                }
                (r, ForIter::Set(set))
            }
            _ => {
                let (r, e) = self.expr(j)?;
                (r, ForIter::Value(e))
            }
        };
        let (r, body) = self.body(r)?;
        Ok((
            r,
            StmtKind::For {
                ty,
                var,
                iter,
                body,
            },
        ))
    }

    /// `while (c) body`, `r` after the keyword.
    pub(super) fn while_stmt<'a>(&mut self, r: &'a str) -> Res<'a, StmtKind<'a>> {
        let (r, cond) = self.condition(r, "'(' opening the condition")?;
        let (r, body) = self.body(r)?;
        Ok((r, StmtKind::While { cond, body }))
    }

    /// `switch (x) { case a, b { … } default { … } }`, `r` after the keyword.
    pub(super) fn switch<'a>(&mut self, r: &'a str) -> Res<'a, StmtKind<'a>> {
        let (r, target) = self.condition(r, "'(' and the value switched on")?;
        let mut r = punct(r, "{", "'{' opening the cases")?;
        let mut cases = Vec::new();
        let mut default = None;
        loop {
            let j = ws(r);
            if let Some(rest) = j.strip_prefix('}') {
                return Ok((
                    rest,
                    StmtKind::Switch {
                        target,
                        cases,
                        default,
                    },
                ));
            }
            match ident_raw(j) {
                Some((rest, "case")) => {
                    let (rest, values) = self.case_values(rest)?;
                    let (rest, body) = self.case_body(rest)?;
                    cases.push(CaseAst { values, body });
                    r = rest;
                }
                Some((rest, "default")) if default.is_none() => {
                    let (rest, body) = self.case_body(rest)?;
                    default = Some(body);
                    r = rest;
                }
                Some((_, "default")) => {
                    return expected(j, "'case' or '}' (a switch has one default)");
                }
                _ => return expected(j, "'case', 'default' or '}'"),
            }
        }
    }

    /// The values of a `case`, comma-separated (a trailing comma allowed), up to its `{`.
    fn case_values<'a>(&mut self, r: &'a str) -> Res<'a, Vec<crate::v3::ast::Expr<'a>>> {
        let mut values = Vec::new();
        let mut r = r;
        loop {
            let (r2, e) = self.expr(r)?;
            values.push(e);
            match eat(r2, ",") {
                Some(r3) if ws(r3).starts_with('{') => return Ok((r3, values)),
                Some(r3) => r = r3,
                None => return Ok((r2, values)),
            }
        }
    }

    /// The braced body of a `case` or `default`.
    fn case_body<'a>(&mut self, r: &'a str) -> Res<'a, Vec<crate::v3::ast::Stmt<'a>>> {
        let j = ws(r);
        if first(j) != Some(b'{') {
            return expected(j, "',' or '{' opening the case's body");
        }
        self.scope(j)
    }
}
