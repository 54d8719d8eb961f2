//! Expressions: precedence climbing over the grammar's table (loosest `||`, tightest `**`,
//! then indexing), primaries (literals, names, calls, casts, `durationof`), indices and ranges,
//! gate operands, array literals and the values that may be a measurement.
//!
//! Every parse returns the height of the tree it built next to it: a long chain `a+a+…+a`
//! nests no parenthesis yet builds a tree as tall as it is long, and dropping, cloning or
//! elaborating a tree recurses once per level.

use crate::error::ErrorKind;
use crate::v3::ast::{
    BinaryOpAst, Expr, ExprKind, IndexAst, IndexItem, Name, RangeAst, UnaryOpAst,
};

use super::lex::{
    Parser, Res, SyntaxError, bit_string, cut, eat, err, expected, first, ident_raw,
    is_ident_start, is_keyword, is_type_word, keyword, number, physical, punct, ws,
};

/// Tallest expression tree accepted (see the module's introduction).
pub(super) const MAX_TREE_HEIGHT: usize = 1000;

/// An expression and the height of its tree.
pub(super) type Tall<'a> = (Expr<'a>, usize);

/// The height of a node over children as tall as `a` and `b`, or the error at `at` when it
/// exceeds [`MAX_TREE_HEIGHT`].
#[inline]
pub(super) fn taller(a: usize, b: usize, at: &str) -> Result<usize, SyntaxError<'_>> {
    let h = a.max(b) + 1;
    if h > MAX_TREE_HEIGHT {
        return Err(err(at, ErrorKind::NestingDepth(MAX_TREE_HEIGHT)));
    }
    Ok(h)
}

/// The binary operator at `j` (blanks skipped): operator, length, precedence (higher binds
/// tighter). Compound assignments (`+=`, `<<=`), `++`, `->` and comments are not operators.
#[inline]
fn binary_op(j: &str) -> Option<(BinaryOpAst, usize, u8)> {
    use BinaryOpAst::*;
    let b = j.as_bytes();
    let next = b.get(1).copied();
    let third = b.get(2).copied();
    Some(match (*b.first()?, next) {
        (b'|', Some(b'|')) => (Or, 2, 1),
        (b'&', Some(b'&')) => (And, 2, 2),
        (b'|', Some(b'=')) | (b'&', Some(b'=')) | (b'^', Some(b'=')) => return None,
        (b'|', _) => (BitOr, 1, 3),
        (b'^', _) => (BitXor, 1, 4),
        (b'&', _) => (BitAnd, 1, 5),
        (b'=', Some(b'=')) => (Eq, 2, 6),
        (b'!', Some(b'=')) => (Ne, 2, 6),
        (b'<', Some(b'<')) | (b'>', Some(b'>')) if third == Some(b'=') => return None,
        (b'<', Some(b'<')) => (Shl, 2, 8),
        (b'>', Some(b'>')) => (Shr, 2, 8),
        (b'<', Some(b'=')) => (Le, 2, 7),
        (b'>', Some(b'=')) => (Ge, 2, 7),
        (b'<', _) => (Lt, 1, 7),
        (b'>', _) => (Gt, 1, 7),
        (b'+', Some(b'+' | b'=')) => return None,
        (b'+', _) => (Add, 1, 9),
        (b'-', Some(b'>' | b'=')) => return None,
        (b'-', _) => (Sub, 1, 9),
        (b'*', Some(b'*' | b'=')) => return None,
        (b'*', _) => (Mul, 1, 10),
        (b'/', Some(b'=' | b'/' | b'*')) => return None,
        (b'/', _) => (Div, 1, 10),
        (b'%', Some(b'=')) => return None,
        (b'%', _) => (Mod, 1, 10),
        _ => return None,
    })
}

/// Operators whose chains may be regrouped without changing any value: logical and bitwise
/// (not `+` or `*`, whose floating-point results depend on the grouping).
fn exactly_associative(op: BinaryOpAst) -> bool {
    matches!(
        op,
        BinaryOpAst::Or
            | BinaryOpAst::And
            | BinaryOpAst::BitOr
            | BinaryOpAst::BitAnd
            | BinaryOpAst::BitXor
    )
}

/// `run[0] op run[1] op …` as a balanced tree (operands stay in order).
fn balanced<'a>(
    op: BinaryOpAst,
    mut run: Vec<Tall<'a>>,
    at: &'a str,
) -> Result<Tall<'a>, SyntaxError<'a>> {
    while run.len() > 1 {
        let mut next = Vec::with_capacity(run.len().div_ceil(2));
        let mut items = run.into_iter();
        while let Some((a, ha)) = items.next() {
            match items.next() {
                Some((b, hb)) => {
                    let h = taller(ha, hb, at)?;
                    let start = a.at;
                    next.push((
                        node(ExprKind::Binary(op, Box::new(a), Box::new(b)), start),
                        h,
                    ));
                }
                None => next.push((a, ha)),
            }
        }
        run = next;
    }
    run.pop().ok_or_else(|| {
        err(
            at,
            ErrorKind::Syntax {
                expected: "an operand".into(),
                found: String::new(),
            },
        )
    })
}

/// Whether `e` names something that can be assigned or measured into: a name, or a name with
/// indices.
pub(super) fn is_place(e: &Expr<'_>) -> bool {
    let mut e = e;
    loop {
        match &e.kind {
            ExprKind::Name(_) => return true,
            ExprKind::Index(base, _) => e = base,
            _ => return false,
        }
    }
}

/// A node of `kind` whose text starts at `at`.
#[inline]
fn node<'a>(kind: ExprKind<'a>, at: &'a str) -> Expr<'a> {
    Expr { kind, at }
}

impl Parser {
    /// One expression.
    pub(super) fn expr<'a>(&mut self, i: &'a str) -> Res<'a, Expr<'a>> {
        let (r, (e, h)) = self.binary(i, 1)?;
        self.note_height(h);
        Ok((r, e))
    }

    /// Operators binding at least as tightly as `min_prec`, left-associative.
    fn binary<'a>(&mut self, i: &'a str, min_prec: u8) -> Res<'a, Tall<'a>> {
        let (mut i, (mut lhs, mut h)) = self.unary(i)?;
        loop {
            let j = ws(i);
            let Some((op, len, prec)) = binary_op(j) else {
                break;
            };
            if prec < min_prec {
                break;
            }
            // The right operand binds tighter: each recursion raises the precedence, so the
            // recursion is as deep as the table, not as long as the chain.
            let (r, (rhs, rh)) = self.binary(cut(j, len).1, prec + 1)?;
            if exactly_associative(op) {
                // A run of one such operator is a balanced tree: as deep as the logarithm of
                // its length, so that `c[0] || c[1] || …` of any length stays shallow for
                // every pass that walks it.
                let mut run = vec![(lhs, h), (rhs, rh)];
                let mut rest = r;
                loop {
                    let k = ws(rest);
                    match binary_op(k) {
                        Some((next, len, _)) if next == op => {
                            let (r2, operand) = self.binary(cut(k, len).1, prec + 1)?;
                            run.push(operand);
                            rest = r2;
                        }
                        _ => break,
                    }
                }
                (lhs, h) = balanced(op, run, j)?;
                i = rest;
                continue;
            }
            h = taller(h, rh, j)?;
            let at = lhs.at;
            lhs = node(ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), at);
            i = r;
        }
        Ok((i, (lhs, h)))
    }

    /// Prefix `-`, `!`, `~` (binding more loosely than `**` on their right).
    fn unary<'a>(&mut self, i: &'a str) -> Res<'a, Tall<'a>> {
        let i = ws(i);
        let op = match first(i) {
            Some(b'-') => UnaryOpAst::Neg,
            Some(b'!') => UnaryOpAst::Not,
            Some(b'~') => UnaryOpAst::BitNot,
            _ => return self.power(i),
        };
        let (r, (e, h)) = self.nested(i, |p| p.unary(cut(i, 1).1))?;
        let h = taller(h, 0, i)?;
        Ok((r, (node(ExprKind::Unary(op, Box::new(e)), i), h)))
    }

    /// `base ** exponent`, right-associative; the exponent may carry a sign (`2 ** -1`).
    fn power<'a>(&mut self, i: &'a str) -> Res<'a, Tall<'a>> {
        let (r, (base, h)) = self.postfix(i)?;
        let j = ws(r);
        match j.strip_prefix("**") {
            Some(rest) if !rest.starts_with('=') => {
                let (r, (exp, eh)) = self.nested(j, |p| p.unary(rest))?;
                let h = taller(h, eh, j)?;
                let at = base.at;
                Ok((
                    r,
                    (
                        node(
                            ExprKind::Binary(BinaryOpAst::Pow, Box::new(base), Box::new(exp)),
                            at,
                        ),
                        h,
                    ),
                ))
            }
            _ => Ok((r, (base, h))),
        }
    }

    /// A primary followed by any number of index operators `[...]`.
    fn postfix<'a>(&mut self, i: &'a str) -> Res<'a, Tall<'a>> {
        let (mut r, (mut e, mut h)) = self.primary(i)?;
        while let Some(rest) = eat(r, "[") {
            let (r2, (idx, ih)) = self.nested(rest, |p| p.index(rest))?;
            h = taller(h, ih, rest)?;
            let at = e.at;
            e = node(ExprKind::Index(Box::new(e), idx), at);
            r = r2;
        }
        Ok((r, (e, h)))
    }

    /// A literal, name, call, cast, parenthesised expression or `durationof`.
    fn primary<'a>(&mut self, i: &'a str) -> Res<'a, Tall<'a>> {
        let i = ws(i);
        match first(i) {
            Some(b'(') => {
                let (r, e) = self.nested(i, |p| p.binary(cut(i, 1).1, 1))?;
                let r = punct(r, ")", "')' closing the parenthesis")?;
                return Ok((r, e));
            }
            Some(c) if c.is_ascii_digit() => {
                let (r, k) = number(i)?;
                return Ok((r, (node(k, i), 1)));
            }
            Some(b'.') if i.as_bytes().get(1).is_some_and(u8::is_ascii_digit) => {
                let (r, k) = number(i)?;
                return Ok((r, (node(k, i), 1)));
            }
            Some(b'"') => {
                let (r, s) = bit_string(i)?;
                return Ok((r, (node(ExprKind::BitString(s), i), 1)));
            }
            Some(b'$') => {
                let (r, n) = physical(i)?;
                return Ok((r, (node(ExprKind::Physical(n), i), 1)));
            }
            _ => {}
        }
        let Some((r, w)) = ident_raw(i) else {
            return expected(i, "an expression");
        };
        if !is_keyword(w) {
            let name = Name { text: w };
            let Some(args) = eat(r, "(") else {
                return Ok((r, (node(ExprKind::Name(name), i), 1)));
            };
            let (r, (list, h)) = self.nested(i, |p| {
                p.expr_list(args, ")", "',' or ')' closing the arguments")
            })?;
            let h = taller(h, 0, i)?;
            return Ok((r, (node(ExprKind::Call(name, list), i), h)));
        }
        match w {
            "true" | "false" => Ok((r, (node(ExprKind::Bool(w == "true"), i), 1))),
            "durationof" => self.durationof(i, r),
            w if is_type_word(w) => {
                let (r, (ty, th)) = self.ty(i)?;
                let r = punct(r, "(", "'(' and the value to convert to the type")?;
                let (r, (e, h)) = self.nested(i, |p| p.binary(r, 1))?;
                let r = punct(r, ")", "')' closing the conversion")?;
                let h = taller(h, th, i)?;
                Ok((r, (node(ExprKind::Cast(ty, Box::new(e)), i), h)))
            }
            _ => expected(i, "an expression"),
        }
    }

    /// `durationof({ ... })` at `at`, `r` after the keyword.
    fn durationof<'a>(&mut self, at: &'a str, r: &'a str) -> Res<'a, Tall<'a>> {
        let r = punct(r, "(", "'(' after 'durationof'")?;
        let j = ws(r);
        if first(j) != Some(b'{') {
            return expected(j, "'{' opening the block whose duration is taken");
        }
        let (r, (body, h)) = self.nested(at, |p| p.tallest(|p| p.scope(j)))?;
        let r = punct(r, ")", "')' closing 'durationof'")?;
        let h = taller(h, 0, at)?;
        Ok((r, (node(ExprKind::Durationof(body), at), h)))
    }

    /// Comma-separated expressions up to `close` (consumed); a trailing comma is allowed, and
    /// the list may be empty. `what` names the expected closing in errors.
    pub(super) fn expr_list<'a>(
        &mut self,
        i: &'a str,
        close: &str,
        what: &str,
    ) -> Res<'a, (Vec<Expr<'a>>, usize)> {
        let mut out = Vec::new();
        let mut h = 0;
        if let Some(r) = eat(i, close) {
            return Ok((r, (out, h)));
        }
        let mut i = i;
        loop {
            let (r, (e, eh)) = self.binary(i, 1)?;
            h = h.max(eh);
            out.push(e);
            match eat(r, ",") {
                Some(r2) => {
                    if let Some(r3) = eat(r2, close) {
                        return Ok((r3, (out, h)));
                    }
                    i = r2;
                }
                None => return Ok((punct(r, close, what)?, (out, h))),
            }
        }
    }

    /// The inside of `[...]` after the `[`, through the `]`: a set `{a, b}` or comma-separated
    /// indices and ranges.
    fn index<'a>(&mut self, i: &'a str) -> Res<'a, (IndexAst<'a>, usize)> {
        if let Some(set) = eat(i, "{") {
            let (r, (items, h)) = self.expr_list(set, "}", "',' or '}' closing the index set")?;
            let r = punct(r, "]", "']' closing the index")?;
            return Ok((r, (IndexAst::Set(items), h)));
        }
        let mut items = Vec::new();
        let mut h = 0;
        let mut i = i;
        loop {
            let (r, (item, ih)) = self.index_item(i)?;
            h = h.max(ih);
            items.push(item);
            match eat(r, ",") {
                Some(r2) => {
                    if let Some(r3) = eat(r2, "]") {
                        return Ok((r3, (IndexAst::Items(items), h)));
                    }
                    i = r2;
                }
                None => {
                    let r = punct(r, "]", "',' or ']' closing the index")?;
                    return Ok((r, (IndexAst::Items(items), h)));
                }
            }
        }
    }

    /// One index: a value, or a range with optional parts.
    fn index_item<'a>(&mut self, i: &'a str) -> Res<'a, (IndexItem<'a>, usize)> {
        let j = ws(i);
        if let Some(rest) = j.strip_prefix(':') {
            let (r, (range, h)) = self.range_rest(rest, None, j)?;
            return Ok((r, (IndexItem::Range(range), h)));
        }
        let (r, (e, h)) = self.binary(j, 1)?;
        match eat(r, ":") {
            Some(rest) => {
                let (r, (range, rh)) = self.range_rest(rest, Some(e), j)?;
                Ok((r, (IndexItem::Range(range), h.max(rh))))
            }
            None => Ok((r, (IndexItem::Single(e), h))),
        }
    }

    /// A range inside brackets (`[a:b]`, `[a:s:b]`, `[:]`) after the `[`, through the `]`.
    pub(super) fn bracket_range<'a>(&mut self, i: &'a str) -> Res<'a, RangeAst<'a>> {
        let (r, (item, h)) = self.index_item(i)?;
        self.note_height(h);
        match item {
            IndexItem::Range(range) => Ok((punct(r, "]", "']' closing the range")?, range)),
            IndexItem::Single(_) => expected(ws(r), "':' making a range"),
        }
    }

    /// The rest of a range after its first `:`; `start` is what came before it.
    fn range_rest<'a>(
        &mut self,
        r: &'a str,
        start: Option<Expr<'a>>,
        at: &'a str,
    ) -> Res<'a, (RangeAst<'a>, usize)> {
        let k = ws(r);
        let mut h = 0;
        let (r, mid) = if matches!(first(k), Some(b']' | b',' | b':')) || k.is_empty() {
            (k, None)
        } else {
            let (r, (e, eh)) = self.binary(k, 1)?;
            h = eh;
            (r, Some(e))
        };
        let (r, step, stop) = match eat(r, ":") {
            Some(rest) => {
                let (r, (e, eh)) = self.binary(rest, 1)?;
                h = h.max(eh);
                (r, mid, Some(e))
            }
            None => (r, None, mid),
        };
        let range = RangeAst {
            start: start.map(Box::new),
            step: step.map(Box::new),
            stop: stop.map(Box::new),
            at,
        };
        Ok((r, (range, h + 1)))
    }

    /// A gate operand or measurement target: a physical qubit `$n`, or a name with any
    /// indices.
    pub(super) fn operand<'a>(&mut self, i: &'a str) -> Res<'a, Expr<'a>> {
        let i = ws(i);
        if first(i) == Some(b'$') {
            let (r, n) = physical(i)?;
            return Ok((r, node(ExprKind::Physical(n), i)));
        }
        let (mut r, n) = super::lex::name(i, "a qubit or register")?;
        let mut e = node(ExprKind::Name(n), i);
        let mut h = 1;
        while let Some(rest) = eat(r, "[") {
            let (r2, (idx, ih)) = self.nested(rest, |p| p.index(rest))?;
            h = taller(h, ih, rest)?;
            e = node(ExprKind::Index(Box::new(e), idx), i);
            r = r2;
        }
        self.note_height(h);
        Ok((r, e))
    }

    /// Comma-separated gate operands (a trailing comma allowed) up to a `;`, not consumed.
    /// `required`: at least one.
    pub(super) fn operands<'a>(&mut self, i: &'a str, required: bool) -> Res<'a, Vec<Expr<'a>>> {
        let mut out = Vec::new();
        let mut i = i;
        if !required && ws(i).starts_with(';') {
            return Ok((i, out));
        }
        loop {
            let (r, e) = self.operand(i)?;
            out.push(e);
            match eat(r, ",") {
                Some(r2) if ws(r2).starts_with(';') => return Ok((r2, out)),
                Some(r2) => i = r2,
                None => return Ok((r, out)),
            }
        }
    }

    /// `[expr]` after blanks (a width, size or duration), if there.
    pub(super) fn designator<'a>(&mut self, i: &'a str) -> Res<'a, Option<(Expr<'a>, usize)>> {
        let Some(rest) = eat(i, "[") else {
            return Ok((i, None));
        };
        let (r, e) = self.nested(rest, |p| p.binary(rest, 1))?;
        let r = punct(r, "]", "']' closing the brackets")?;
        Ok((r, Some(e)))
    }

    /// A value that may also be a measurement: the right side of an assignment, a `return`.
    pub(super) fn value<'a>(&mut self, i: &'a str) -> Res<'a, Expr<'a>> {
        let j = ws(i);
        if let Some(rest) = keyword(j, "measure") {
            let (r, q) = self.operand(rest)?;
            return Ok((r, node(ExprKind::Measure(Box::new(q)), j)));
        }
        let (r, e) = self.expr(j)?;
        // A value ends the statement; a name or call followed by operands is the grammar's
        // quantum call expression, which has no meaning yet.
        let k = ws(r);
        if (first(k) == Some(b'$') || k.starts_with(is_ident_start))
            && matches!(e.kind, ExprKind::Name(_) | ExprKind::Call(..))
        {
            return Err(err(
                k,
                ErrorKind::Unsupported("a gate applied to qubits used as a value".into()),
            ));
        }
        Ok((r, e))
    }

    /// The initial value of a declaration: a value, or an array literal `{…}`.
    pub(super) fn init_value<'a>(&mut self, i: &'a str) -> Res<'a, Expr<'a>> {
        let j = ws(i);
        if first(j) == Some(b'{') {
            let (r, (e, h)) = self.array_literal(j)?;
            self.note_height(h);
            return Ok((r, e));
        }
        self.value(j)
    }

    /// `{a, {b, c}, …}` at `i` (which starts with `{`), nested arrays allowed, a trailing
    /// comma allowed.
    fn array_literal<'a>(&mut self, i: &'a str) -> Res<'a, Tall<'a>> {
        self.nested(i, |p| {
            let mut out = Vec::new();
            let mut h = 0;
            let mut r = cut(i, 1).1;
            if let Some(r2) = eat(r, "}") {
                return Ok((r2, (node(ExprKind::ArrayLiteral(out), i), 1)));
            }
            loop {
                let j = ws(r);
                let (r2, (e, eh)) = if first(j) == Some(b'{') {
                    p.array_literal(j)?
                } else {
                    p.binary(j, 1)?
                };
                h = h.max(eh);
                out.push(e);
                match eat(r2, ",") {
                    Some(r3) => {
                        if let Some(r4) = eat(r3, "}") {
                            r = r4;
                            break;
                        }
                        r = r3;
                    }
                    None => {
                        r = punct(r2, "}", "',' or '}' closing the array")?;
                        break;
                    }
                }
            }
            let h = taller(h, 0, i)?;
            Ok((r, (node(ExprKind::ArrayLiteral(out), i), h)))
        })
    }
}
