//! The OpenQASM 2/3 grammar (nom): statement text → a light syntax tree whose nodes carry byte
//! offsets into the text, so that later checks can name the line and column.
//!
//! Parameter expressions are resolved while parsing (the formal parameters of a gate definition
//! are known before its body), everything else — registers, gates, arities — by the builder.

use nom::IResult;
use nom::bytes::complete::{take_while, take_while1};
use nom::character::complete::{char, digit1};
use nom::combinator::{opt, recognize};
use nom::sequence::pair;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::error::ErrorKind;
use eqisa_ir::circuit::{Duration, TimeUnit};
use eqisa_ir::expr::{BinOp, Expr, Func};

/// Most digits of an integer in a condition (10,000 digits is over 33,000 bits, far beyond any
/// classical register compared in practice).
pub const MAX_CONDITION_DIGITS: usize = 10_000;

/// Deepest nesting of parentheses, unary operators or blocks the parser follows (stack safety).
pub const MAX_NESTING: usize = 200;

/// A parse failure: where (the remaining input at the failure) and what. Recoverable failures
/// of alternatives carry no description (`kind: None`): building one would cost more than the
/// parse itself.
#[derive(Debug, Clone)]
pub struct PErr<'a> {
    pub at: &'a str,
    pub kind: Option<Box<ErrorKind>>,
}

impl PErr<'_> {
    /// The error's description.
    pub fn into_kind(self) -> ErrorKind {
        match self.kind {
            Some(k) => *k,
            None if self.at.starts_with("/*") => ErrorKind::Unterminated {
                expected: "'*/' closing the comment".into(),
            },
            None => syntax("a valid statement", self.at),
        }
    }
}

impl<'a> nom::error::ParseError<&'a str> for PErr<'a> {
    fn from_error_kind(input: &'a str, _kind: nom::error::ErrorKind) -> Self {
        PErr {
            at: input,
            kind: None,
        }
    }
    fn append(_input: &'a str, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

type PResult<'a, T> = IResult<&'a str, T, PErr<'a>>;

/// Describe what is found at `input` (for "expected X, found Y").
pub fn found(input: &str) -> String {
    let t = input.trim_start();
    if t.is_empty() {
        return "end of file".to_string();
    }
    let tok: String = if t.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        t.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
            .take(40)
            .collect()
    } else {
        t.chars().take(1).collect()
    };
    format!("'{tok}'")
}

fn syntax(expected: &str, input: &str) -> ErrorKind {
    // `skip_ws` stops at a block comment that never closes.
    if input.trim_start().starts_with("/*") {
        return ErrorKind::Unterminated {
            expected: "'*/' closing the comment".into(),
        };
    }
    if input.trim_start().is_empty() {
        ErrorKind::Unterminated {
            expected: expected.to_string(),
        }
    } else {
        ErrorKind::Syntax {
            expected: expected.to_string(),
            found: found(input),
        }
    }
}

/// A fatal error at `at`.
fn fail<T>(at: &str, kind: ErrorKind) -> PResult<'_, T> {
    Err(nom::Err::Failure(PErr {
        at,
        kind: Some(Box::new(kind)),
    }))
}

/// A fatal "expected ..." error at `at`.
fn expected<'a, T>(at: &'a str, what: &str) -> PResult<'a, T> {
    fail(at, syntax(what, at))
}

/// Skip whitespace and comments. An unterminated block comment is left in place, so that the
/// next parser fails on it (and [`PErr::into_kind`] names it).
#[inline]
pub fn ws(i: &str) -> PResult<'_, ()> {
    Ok((skip_ws(i), ()))
}

#[inline]
fn skip_ws(i: &str) -> &str {
    let b = i.as_bytes();
    let mut k = 0;
    while k < b.len() && matches!(b[k], b' ' | b'\t' | b'\n' | b'\r' | 0x0c) {
        k += 1;
    }
    if k < b.len() && b[k] == b'/' {
        return skip_ws_and_comments(&i[k..]);
    }
    &i[k..]
}

/// The slow path of [`skip_ws`], out of line so the common case stays cheap.
#[cold]
#[inline(never)]
pub(crate) fn skip_ws_and_comments(i: &str) -> &str {
    let b = i.as_bytes();
    let mut k = 0;
    loop {
        while k < b.len() && matches!(b[k], b' ' | b'\t' | b'\n' | b'\r' | 0x0c) {
            k += 1;
        }
        if k + 1 < b.len() && b[k] == b'/' {
            if b[k + 1] == b'/' {
                k = match memchr_nl(&i[k..]) {
                    Some(n) => k + n + 1,
                    None => b.len(),
                };
                continue;
            }
            if b[k + 1] == b'*'
                && let Some(n) = i[k + 2..].find("*/")
            {
                k += n + 4;
                continue;
            }
        }
        return &i[k..];
    }
}

fn memchr_nl(s: &str) -> Option<usize> {
    s.as_bytes().iter().position(|&c| c == b'\n')
}

/// Expect the punctuation `t` after optional whitespace.
#[inline]
fn punct<'a>(t: &'static str, what: &'static str) -> impl Fn(&'a str) -> PResult<'a, ()> {
    move |i| {
        let i = skip_ws(i);
        match i.strip_prefix(t) {
            Some(r) => Ok((r, ())),
            None => expected(i, what),
        }
    }
}

/// Try the punctuation `t` after optional whitespace; `None` if absent.
#[inline]
fn opt_punct(t: &'static str) -> impl Fn(&str) -> PResult<'_, bool> {
    move |i| match skip_ws(i).strip_prefix(t) {
        Some(r) => Ok((r, true)),
        None => Ok((i, false)),
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// An identifier with its position.
#[derive(Clone, Copy, Debug)]
pub struct Ident<'a> {
    pub name: &'a str,
    pub at: &'a str,
}

fn raw_ident(i: &str) -> PResult<'_, &str> {
    // ASCII fast path; identifiers with other letters (OpenQASM 3 allows `π`, `θ`) take nom's
    // character-wise route.
    let b = i.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
            let n = b
                .iter()
                .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                .unwrap_or(b.len());
            if n < b.len() && !b[n].is_ascii() {
                return recognize(pair(take_while1(is_ident_start), take_while(is_ident_char)))(i);
            }
            Ok((&i[n..], &i[..n]))
        }
        Some(c) if !c.is_ascii() => {
            recognize(pair(take_while1(is_ident_start), take_while(is_ident_char)))(i)
        }
        _ => Err(nom::Err::Error(PErr { at: i, kind: None })),
    }
}

/// An identifier after optional whitespace, or a fatal error naming what was expected.
fn ident<'a>(what: &'static str) -> impl Fn(&'a str) -> PResult<'a, Ident<'a>> {
    move |i| {
        let i = skip_ws(i);
        match raw_ident(i) {
            Ok((r, name)) => Ok((r, Ident { name, at: i })),
            Err(_) => expected(i, what),
        }
    }
}

/// An unsigned integer literal (underscores allowed between digits, as OpenQASM 3 permits).
fn uint<'a>(what: &'static str) -> impl Fn(&'a str) -> PResult<'a, (u64, &'a str)> {
    move |i| {
        let (i, _) = ws(i)?;
        let (r, text) = match digits(i) {
            Ok(x) if x.1.as_bytes()[0].is_ascii_digit() => x,
            _ => return expected(i, what),
        };
        if r.starts_with(|c: char| is_ident_char(c) || c == '.') {
            let end = r
                .find(|c: char| !(is_ident_char(c) || c == '.'))
                .unwrap_or(r.len());
            let bad = &i[..text.len() + end];
            return fail(i, ErrorKind::MalformedNumber(bad.to_string()));
        }
        let mut v: u64 = 0;
        for c in text.bytes().filter(|c| *c != b'_') {
            v = match v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c - b'0')))
            {
                Some(v) => v,
                None => {
                    return fail(
                        i,
                        ErrorKind::TooLarge {
                            what: format!("integer '{text}'"),
                            limit: u64::MAX,
                        },
                    );
                }
            };
        }
        Ok((r, (v, i)))
    }
}

/// A real literal: `1`, `1.`, `.5`, `1.5e-3`, `2E+10` (and `_` separators).
fn digits(i: &str) -> PResult<'_, &str> {
    let n = i
        .bytes()
        .position(|c| !(c.is_ascii_digit() || c == b'_'))
        .unwrap_or(i.len());
    if n == 0 {
        return Err(nom::Err::Error(PErr { at: i, kind: None }));
    }
    Ok((&i[n..], &i[..n]))
}

fn real(i: &str) -> PResult<'_, f64> {
    let b = i.as_bytes();
    let count = |from: usize| {
        b.get(from..).map_or(0, |t| {
            t.iter()
                .position(|c| !(c.is_ascii_digit() || *c == b'_'))
                .unwrap_or(t.len())
        })
    };
    let whole = count(0);
    let mut n = whole;
    let mut frac = 0;
    if b.get(n) == Some(&b'.') {
        frac = count(n + 1);
        n += 1 + frac;
    }
    if whole == 0 && frac == 0 {
        return Err(nom::Err::Error(PErr { at: i, kind: None }));
    }
    if matches!(b.get(n), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(n + 1), Some(b'+' | b'-')));
        let d = count(n + 1 + sign);
        if d > 0 {
            n += 1 + sign + d;
        }
    }
    let (r, text) = (&i[n..], &i[..n]);
    if r.starts_with(|c: char| is_ident_char(c) || c == '.') {
        let end = r
            .find(|c: char| !(is_ident_char(c) || c == '.' || c == '+' || c == '-'))
            .unwrap_or(r.len());
        return fail(
            i,
            ErrorKind::MalformedNumber(i[..text.len() + end].to_string()),
        );
    }
    let v = if text.contains('_') {
        text.replace('_', "").parse::<f64>()
    } else {
        text.parse::<f64>()
    };
    match v {
        Ok(v) if !inexact_integer(text, v) => Ok((r, v)),
        Ok(v) => fail(
            i,
            ErrorKind::Invalid(format!(
                "the integer {text} is beyond 2^53, where a double cannot hold every integer: it \
                 would be read as {v:.0} (an exponent of pow would silently change the gate)"
            )),
        ),
        Err(_) => fail(i, ErrorKind::MalformedNumber(text.to_string())),
    }
}

/// Whether `text`, an integer literal (no point, no exponent), read as `v`, lost digits: beyond
/// 2^53 not every integer is a double, and a rounded exponent of `pow` silently changes the gate.
fn inexact_integer(text: &str, v: f64) -> bool {
    if v < 9_007_199_254_740_992.0 || text.contains(['.', 'e', 'E']) {
        return false;
    }
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    let digits = digits.trim_start_matches('0');
    // A double's integer value prints exactly with `{:.0}`.
    format!("{v:.0}") != digits
}

/// Fast path for the commonest parameter, a lone (possibly negative) literal followed by `,` or
/// `)`; `None` sends anything else to the full expression parser.
#[inline]
fn plain_number(i: &str) -> Option<(&str, Expr)> {
    let (neg, body) = match i.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, i),
    };
    if !body.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let (r, v) = real(body).ok()?;
    let after = skip_ws(r);
    if !(after.starts_with(',') || after.starts_with(')')) {
        return None;
    }
    Some((r, Expr::Num(if neg { -v } else { v })))
}

/// Names declared in a list (a gate's formal parameters or qubits) and their positions, found
/// in constant time: a definition with 200,000 parameters must not cost 200,000 steps per use
/// of one of them.
#[derive(Debug, Default)]
pub struct Names<'a> {
    index: FxHashMap<&'a str, u32>,
}

impl<'a> Names<'a> {
    /// The names of `list`; where a name repeats, its first position (the builder reports the
    /// repetition).
    pub fn new(list: &[Ident<'a>]) -> Self {
        let mut index = FxHashMap::default();
        index.reserve(list.len());
        for (k, id) in list.iter().enumerate() {
            index.entry(id.name).or_insert(k as u32);
        }
        Names { index }
    }

    /// The position of `name` in the list.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }
}

/// Parameter-expression parser: precedence climbing over `+ -`, `* /`, `^`/`**`, unary minus,
/// function calls, `pi` and the formal parameters in `scope`.
pub struct ExprParser<'s> {
    pub scope: &'s Names<'s>,
}

/// Highest expression tree accepted (parameter expressions and conditions): evaluating,
/// cloning or dropping a tree recurses once per level. A parameter chain such as `a+a+…+a` is
/// one level (an [`Expr::Chain`]); a condition chain such as `a||b||…` still nests.
const MAX_TREE_DEPTH: usize = 1000;

/// The height of a node over children of heights `a` and `b`, or the error at `at` when it
/// exceeds [`MAX_TREE_DEPTH`].
fn taller(a: usize, b: usize, at: &str) -> Result<usize, nom::Err<PErr<'_>>> {
    let h = a.max(b) + 1;
    if h > MAX_TREE_DEPTH {
        return fail(at, ErrorKind::NestingDepth(MAX_TREE_DEPTH)).map(|(_, h)| h);
    }
    Ok(h)
}

impl ExprParser<'_> {
    /// Parse one expression.
    pub fn expr<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        self.binary(i, 1, 0).map(|(r, (e, _))| (r, e))
    }

    /// An expression of operators binding at least as tightly as `min_prec`, and the height of
    /// its tree.
    fn binary<'a>(&self, i: &'a str, min_prec: u8, depth: usize) -> PResult<'a, (Expr, usize)> {
        let (mut i, (mut lhs, mut height)) = self.unary(i, depth)?;
        loop {
            let (j, _) = ws(i)?;
            let (op, len) = match j.as_bytes() {
                [b'*', b'*', ..] => (BinOp::Pow, 2),
                [b'+', ..] => (BinOp::Add, 1),
                [b'-', ..] => (BinOp::Sub, 1),
                [b'*', ..] => (BinOp::Mul, 1),
                [b'/', b'/' | b'*', ..] => break,
                [b'/', ..] => (BinOp::Div, 1),
                [b'^', ..] => (BinOp::Pow, 1),
                _ => break,
            };
            let prec = match op {
                BinOp::Add | BinOp::Sub => 1,
                BinOp::Mul | BinOp::Div => 2,
                BinOp::Pow => 3,
            };
            if prec < min_prec {
                break;
            }
            // `^` is right-associative; the others left.
            let next = if op == BinOp::Pow { prec } else { prec + 1 };
            let (r, (rhs, h)) = self.binary(&j[len..], next, depth + 1)?;
            // `+ -` and `* /` extend a chain node (one level, whatever its length): a flat sum
            // of any length is not nesting. `^` nests.
            let extends = matches!(&lhs, Expr::Chain(_, rest)
                if rest.first().is_some_and(|(o, _)| o.precedence() == prec));
            lhs = lhs.then(op, rhs);
            height = match lhs {
                Expr::Num(_) => 1,
                _ if extends => taller(height - 1, h, j)?,
                _ => taller(height, h, j)?,
            };
            i = r;
        }
        Ok((i, (lhs, height)))
    }

    fn unary<'a>(&self, i: &'a str, depth: usize) -> PResult<'a, (Expr, usize)> {
        let (i, _) = ws(i)?;
        if depth > MAX_NESTING {
            return fail(i, ErrorKind::NestingDepth(MAX_NESTING));
        }
        match i.as_bytes().first() {
            // Unary signs bind more loosely than `^`: `-2^2` is -4, as in Qiskit and OpenQASM 3.
            Some(b'-') => {
                let (r, (e, h)) = self.binary(&i[1..], 3, depth + 1)?;
                // Fold negative literals so `-1.5` stays a number.
                Ok((
                    r,
                    match e {
                        Expr::Num(v) => (Expr::Num(-v), h),
                        e => (Expr::negated(e), taller(h, 0, i)?),
                    },
                ))
            }
            Some(b'+') => self.binary(&i[1..], 3, depth + 1),
            Some(b'(') => {
                let (r, e) = self.binary(&i[1..], 1, depth + 1)?;
                let (r, _) = punct(")", "')' closing the parenthesis")(r)?;
                Ok((r, e))
            }
            Some(c) if c.is_ascii_digit() || *c == b'.' => {
                let (r, v) = real(i)?;
                Ok((r, (Expr::Num(v), 1)))
            }
            _ => {
                let Ok((r, name)) = raw_ident(i) else {
                    return expected(i, "an expression");
                };
                if let Some(f) = Func::from_name(name) {
                    let (r2, _) = punct("(", "'(' after a function name")(r)?;
                    let (r2, (e, h)) = self.binary(r2, 1, depth + 1)?;
                    let (r2, _) = punct(")", "')' closing the function call")(r2)?;
                    return Ok((r2, (Expr::call(f, e), taller(h, 0, i)?)));
                }
                if let Some(k) = self.scope.get(name) {
                    return Ok((r, (Expr::Param(k), 1)));
                }
                match name {
                    "pi" | "π" => Ok((r, (Expr::Pi, 1))),
                    "tau" | "τ" => Ok((r, (Expr::Num(std::f64::consts::TAU), 1))),
                    "euler" | "ℇ" => Ok((r, (Expr::Num(std::f64::consts::E), 1))),
                    _ => fail(i, ErrorKind::UndefinedParameter(name.to_string())),
                }
            }
        }
    }
}

/// A qubit or bit operand: `name` or `name[index]`.
#[derive(Clone, Copy, Debug)]
pub struct Arg<'a> {
    pub name: Ident<'a>,
    pub index: Option<(u64, &'a str)>,
}

fn arg<'a>(what: &'static str) -> impl Fn(&'a str) -> PResult<'a, Arg<'a>> {
    move |i| {
        let (i, name) = ident(what)(i)?;
        let (i, has_index) = opt_punct("[")(i)?;
        if !has_index {
            return Ok((i, Arg { name, index: None }));
        }
        let (i, idx) = uint("an integer index")(i)?;
        let (i, _) = punct("]", "']' closing the index")(i)?;
        Ok((
            i,
            Arg {
                name,
                index: Some(idx),
            },
        ))
    }
}

/// Comma-separated operands (at least one).
fn args<'a>(i: &'a str, what: &'static str) -> PResult<'a, SmallVec<[Arg<'a>; 2]>> {
    let mut out = SmallVec::new();
    let (mut i, first) = arg(what)(i)?;
    out.push(first);
    loop {
        let (j, more) = opt_punct(",")(i)?;
        if !more {
            return Ok((i, out));
        }
        let (j, a) = arg(what)(j)?;
        out.push(a);
        i = j;
    }
}

/// A gate modifier as written.
#[derive(Clone, Debug)]
pub enum ModAst<'a> {
    Inv,
    Pow(Expr, &'a str),
    Ctrl(u64, bool),
}

/// A condition of `if`, before names are resolved.
#[derive(Clone, Debug)]
pub enum CondAst<'a> {
    Name(Arg<'a>),
    Int(eqisa_ir::circuit::Wide),
    Bool(bool),
    Not(Box<CondAst<'a>>),
    Binary(
        eqisa_ir::circuit::CondOp,
        Box<CondAst<'a>>,
        Box<CondAst<'a>>,
    ),
}

/// One statement.
#[derive(Clone, Debug)]
pub enum Stmt<'a> {
    Version {
        text: &'a str,
        at: &'a str,
    },
    Include {
        path: &'a str,
        at: &'a str,
    },
    /// `qreg`/`qubit` (`quantum`) or `creg`/`bit`; `size: None` for a single `qubit q;`.
    Register {
        quantum: bool,
        name: Ident<'a>,
        size: Option<(u64, &'a str)>,
    },
    GateDef {
        name: Ident<'a>,
        params: Vec<Ident<'a>>,
        qubits: Vec<Ident<'a>>,
        body: Vec<Stmt<'a>>,
    },
    Opaque {
        name: Ident<'a>,
        params: Vec<Ident<'a>>,
        qubits: Vec<Ident<'a>>,
    },
    Call {
        mods: Vec<ModAst<'a>>,
        name: Ident<'a>,
        params: SmallVec<[(Expr, &'a str); 2]>,
        args: SmallVec<[Arg<'a>; 2]>,
        at: &'a str,
    },
    Measure {
        qubit: Arg<'a>,
        clbit: Option<Arg<'a>>,
        at: &'a str,
    },
    Reset {
        args: SmallVec<[Arg<'a>; 2]>,
        at: &'a str,
    },
    /// `barrier;` (OpenQASM 3) has no operands: all qubits.
    Barrier {
        args: SmallVec<[Arg<'a>; 2]>,
        at: &'a str,
    },
    Delay {
        duration: Duration,
        args: SmallVec<[Arg<'a>; 2]>,
        at: &'a str,
    },
    If {
        cond: CondAst<'a>,
        cond_at: &'a str,
        then_body: Vec<Stmt<'a>>,
        else_body: Vec<Stmt<'a>>,
        at: &'a str,
    },
}

/// Keywords of OpenQASM 3 that this front end does not implement; named in the error.
fn is_unsupported_keyword(w: &str) -> bool {
    matches!(
        w,
        "def"
            | "defcal"
            | "cal"
            | "for"
            | "while"
            | "switch"
            | "box"
            | "let"
            | "const"
            | "input"
            | "output"
            | "int"
            | "uint"
            | "float"
            | "angle"
            | "bool"
            | "complex"
            | "duration"
            | "stretch"
            | "array"
            | "extern"
            | "return"
            | "break"
            | "continue"
            | "end"
            | "pragma"
            | "durationof"
    )
}

/// Parses statements; `scope` holds the formal parameters inside a gate body.
pub struct StmtParser<'s> {
    pub scope: &'s Names<'s>,
    /// Inside a gate body only gate calls (and `barrier`, ignored) are allowed.
    pub in_gate_body: bool,
}

impl StmtParser<'_> {
    /// Parse one statement at `i` (leading whitespace allowed). `Ok(None)` at end of input.
    pub fn statement<'a>(&self, i: &'a str, depth: usize) -> PResult<'a, Option<Stmt<'a>>> {
        let (i, _) = ws(i)?;
        if i.is_empty() {
            return Ok((i, None));
        }
        if depth > MAX_NESTING {
            return fail(i, ErrorKind::NestingDepth(MAX_NESTING));
        }
        let at = i;
        if i.starts_with('@') || i.starts_with('#') {
            return fail(
                i,
                ErrorKind::Unsupported("annotations and pragmas".to_string()),
            );
        }
        let Ok((r, word)) = raw_ident(i) else {
            return expected(i, "a statement");
        };
        if self.in_gate_body {
            return match word {
                "barrier" => {
                    let (r2, _) = ws(r)?;
                    let (r, a) = if r2.starts_with(';') {
                        (r2, SmallVec::new())
                    } else {
                        args(r, "a qubit")?
                    };
                    let (r, _) = punct(";", "';' ending the statement")(r)?;
                    // Checked and dropped by `gate_def`: no effect on the gate's action.
                    Ok((r, Some(Stmt::Barrier { args: a, at })))
                }
                "OPENQASM" | "include" | "qreg" | "creg" | "qubit" | "bit" | "gate" | "opaque"
                | "measure" | "reset" | "delay" | "if" | "else" => fail(
                    at,
                    ErrorKind::Invalid("only gate applications may appear in a gate body".into()),
                ),
                _ => self.call(at, depth).map(|(r, s)| (r, Some(s))),
            };
        }
        let (r, stmt) = match word {
            "OPENQASM" => {
                let (r, _) = ws(r)?;
                let (r2, text) =
                    match recognize(pair(digit1::<_, PErr>, opt(pair(char('.'), digit1))))(r) {
                        Ok(x) => x,
                        Err(_) => return expected(r, "a version number"),
                    };
                let (r2, _) = punct(";", "';' after the version")(r2)?;
                (r2, Stmt::Version { text, at: r })
            }
            "include" => {
                let (r, _) = ws(r)?;
                let Some(rest) = r.strip_prefix('"') else {
                    return expected(r, "a quoted file name");
                };
                let Some(end) = rest.find(['"', '\n']) else {
                    return expected(rest, "'\"' closing the file name");
                };
                if rest.as_bytes()[end] != b'"' {
                    return expected(&rest[end..], "'\"' closing the file name");
                }
                let path = &rest[..end];
                let (r, _) = punct(";", "';' after the include")(&rest[end + 1..])?;
                (r, Stmt::Include { path, at })
            }
            "qreg" | "creg" => {
                let (r, name) = ident("a register name")(r)?;
                let (r, _) = punct("[", "'[' and the register size")(r)?;
                let (r, size) = uint("the register size")(r)?;
                let (r, _) = punct("]", "']' after the register size")(r)?;
                let (r, _) = punct(";", "';' ending the declaration")(r)?;
                (
                    r,
                    Stmt::Register {
                        quantum: word == "qreg",
                        name,
                        size: Some(size),
                    },
                )
            }
            "qubit" | "bit" => {
                let (r, sized) = opt_punct("[")(r)?;
                let (r, size) = if sized {
                    let (r, size) = uint("the register size")(r)?;
                    let (r, _) = punct("]", "']' after the register size")(r)?;
                    (r, Some(size))
                } else {
                    (r, None)
                };
                let (r, name) = ident("a register name")(r)?;
                let (r2, _) = ws(r)?;
                if r2.starts_with('=') {
                    return fail(
                        r2,
                        ErrorKind::Unsupported("initialised declarations".to_string()),
                    );
                }
                let (r, _) = punct(";", "';' ending the declaration")(r)?;
                (
                    r,
                    Stmt::Register {
                        quantum: word == "qubit",
                        name,
                        size,
                    },
                )
            }
            "gate" | "opaque" => self.gate_def(r, word == "opaque", depth)?,
            "measure" => {
                let (r, qubit) = arg("a qubit")(r)?;
                let (r, arrow) = opt_punct("->")(r)?;
                let (r, clbit) = if arrow {
                    let (r, c) = arg("a classical bit or register")(r)?;
                    (r, Some(c))
                } else {
                    (r, None)
                };
                let (r, _) = punct(";", "';' ending the statement")(r)?;
                (r, Stmt::Measure { qubit, clbit, at })
            }
            "reset" => {
                let (r, a) = args(r, "a qubit or register")?;
                let (r, _) = punct(";", "';' ending the statement")(r)?;
                (r, Stmt::Reset { args: a, at })
            }
            "barrier" => {
                let (r2, _) = ws(r)?;
                let (r, a) = if r2.starts_with(';') {
                    (r2, SmallVec::new())
                } else {
                    args(r, "a qubit or register")?
                };
                let (r, _) = punct(";", "';' ending the statement")(r)?;
                (r, Stmt::Barrier { args: a, at })
            }
            "delay" => {
                let (r, _) = punct("[", "'[' and a duration")(r)?;
                let (r, _) = ws(r)?;
                // `100ns`, `1.5e3dt`: a real literal directly followed by its unit.
                let lit = r
                    .find(|c: char| !(is_ident_char(c) || matches!(c, '.' | '+' | '-')))
                    .unwrap_or(r.len());
                let num = r[..lit].trim_end_matches(char::is_alphabetic).len();
                let value = match real(&r[..num]) {
                    Ok(("", v)) => v,
                    Ok(_) => return fail(r, ErrorKind::MalformedNumber(r[..num].to_string())),
                    Err(nom::Err::Error(_)) => return expected(r, "a duration"),
                    Err(e) => return Err(e),
                };
                let (r, r2) = (&r[num..], &r[lit..]);
                let unit = match &r[..lit - num] {
                    "dt" => TimeUnit::Dt,
                    "ns" => TimeUnit::Ns,
                    "us" | "µs" => TimeUnit::Us,
                    "ms" => TimeUnit::Ms,
                    "s" => TimeUnit::S,
                    _ => return expected(r, "a time unit (dt, ns, us, ms, s)"),
                };
                let (r, _) = punct("]", "']' after the duration")(r2)?;
                let (r, a) = args(r, "a qubit or register")?;
                let (r, _) = punct(";", "';' ending the statement")(r)?;
                (
                    r,
                    Stmt::Delay {
                        duration: Duration { value, unit },
                        args: a,
                        at,
                    },
                )
            }
            "if" => self.if_stmt(r, at, depth)?,
            w if is_unsupported_keyword(w) => {
                return fail(at, ErrorKind::Unsupported(format!("'{w}' statements")));
            }
            _ => {
                // `c[0] = measure q[0];` or a gate call.
                let (r2, _) = ws(r)?;
                if r2.starts_with('[') || (r2.starts_with('=') && !r2.starts_with("==")) {
                    self.assignment(at)?
                } else {
                    self.call(at, depth)?
                }
            }
        };
        Ok((r, Some(stmt)))
    }

    fn assignment<'a>(&self, at: &'a str) -> PResult<'a, Stmt<'a>> {
        let (r, clbit) = arg("a classical bit or register")(at)?;
        let (r, _) = punct("=", "'='")(r)?;
        let (r, _) = ws(r)?;
        match raw_ident(r) {
            Ok((r, "measure")) => {
                let (r, qubit) = arg("a qubit")(r)?;
                let (r, _) = punct(";", "';' ending the statement")(r)?;
                Ok((
                    r,
                    Stmt::Measure {
                        qubit,
                        clbit: Some(clbit),
                        at,
                    },
                ))
            }
            _ => fail(
                r,
                ErrorKind::Unsupported("classical assignments other than measure".to_string()),
            ),
        }
    }

    fn call<'a>(&self, at: &'a str, _depth: usize) -> PResult<'a, Stmt<'a>> {
        let mut mods = Vec::new();
        let mut i = at;
        let name = loop {
            let (r, name) = ident("a gate name")(i)?;
            match name.name {
                "inv" | "pow" | "ctrl" | "negctrl" => {
                    let (r, m) = self.modifier(name, r)?;
                    mods.push(m);
                    let (r, _) = punct("@", "'@' after a gate modifier")(r)?;
                    i = r;
                }
                _ => {
                    i = r;
                    break name;
                }
            }
        };
        let mut params = SmallVec::new();
        let (mut r, open) = opt_punct("(")(i)?;
        if open {
            let (r2, close) = opt_punct(")")(r)?;
            r = r2;
            if !close {
                let ep = ExprParser { scope: self.scope };
                loop {
                    let r2 = skip_ws(r);
                    let (r3, e) = match plain_number(r2) {
                        Some(x) => x,
                        None => ep.expr(r2)?,
                    };
                    params.push((e, r2));
                    let (r3, more) = opt_punct(",")(r3)?;
                    if !more {
                        r = punct(")", "')' closing the parameters")(r3)?.0;
                        break;
                    }
                    r = r3;
                }
            }
        }
        // `gphase(θ);` has no operands.
        let (r2, _) = ws(r)?;
        let (r, a) = if r2.starts_with(';') {
            (r2, SmallVec::new())
        } else {
            args(r, "a qubit or register")?
        };
        let (r, _) = punct(";", "';' ending the statement")(r)?;
        Ok((
            r,
            Stmt::Call {
                mods,
                name,
                params,
                args: a,
                at,
            },
        ))
    }

    fn modifier<'a>(&self, name: Ident<'a>, r: &'a str) -> PResult<'a, ModAst<'a>> {
        match name.name {
            "inv" => Ok((r, ModAst::Inv)),
            "pow" => {
                let (r, _) = punct("(", "'(' and an exponent after 'pow'")(r)?;
                let (r, _) = ws(r)?;
                let (r2, e) = ExprParser { scope: self.scope }.expr(r)?;
                let (r2, _) = punct(")", "')' closing the exponent")(r2)?;
                Ok((r2, ModAst::Pow(e, r)))
            }
            _ => {
                let negated = name.name == "negctrl";
                let (r, open) = opt_punct("(")(r)?;
                if !open {
                    return Ok((r, ModAst::Ctrl(1, negated)));
                }
                let (r, (n, n_at)) = uint("the number of controls")(r)?;
                if n == 0 {
                    return fail(
                        n_at,
                        ErrorKind::Invalid("the number of controls must be positive".into()),
                    );
                }
                let (r, _) = punct(")", "')' closing the number of controls")(r)?;
                Ok((r, ModAst::Ctrl(n, negated)))
            }
        }
    }

    fn ident_list<'a>(
        i: &'a str,
        what: &'static str,
        close: Option<&'static str>,
    ) -> PResult<'a, Vec<Ident<'a>>> {
        let mut out = Vec::new();
        if let Some(c) = close {
            let (r, done) = opt_punct(c)(i)?;
            if done {
                return Ok((r, out));
            }
        }
        let mut i = i;
        loop {
            let (r, id) = ident(what)(i)?;
            out.push(id);
            let (r, more) = opt_punct(",")(r)?;
            if !more {
                if let Some(c) = close {
                    let (r, _) = punct(c, "')' closing the parameter list")(r)?;
                    return Ok((r, out));
                }
                return Ok((r, out));
            }
            i = r;
        }
    }

    fn gate_def<'a>(&self, r: &'a str, opaque: bool, depth: usize) -> PResult<'a, Stmt<'a>> {
        let (r, name) = ident("a gate name")(r)?;
        let (r, open) = opt_punct("(")(r)?;
        let (r, params) = if open {
            Self::ident_list(r, "a parameter name", Some(")"))?
        } else {
            (r, Vec::new())
        };
        let (r, qubits) = Self::ident_list(r, "a qubit name", None)?;
        if opaque {
            let (r, _) = punct(";", "';' ending the opaque declaration")(r)?;
            return Ok((
                r,
                Stmt::Opaque {
                    name,
                    params,
                    qubits,
                },
            ));
        }
        let (mut r, _) = punct("{", "'{' opening the gate body")(r)?;
        let scope = Names::new(&params);
        let qubit_names = Names::new(&qubits);
        let body_parser = StmtParser {
            scope: &scope,
            in_gate_body: true,
        };
        let mut body = Vec::new();
        loop {
            let (r2, close) = opt_punct("}")(r)?;
            if close {
                r = r2;
                break;
            }
            let (r2, _) = ws(r)?;
            if r2.is_empty() {
                return expected(r2, "'}' closing the gate body");
            }
            let (r2, s) = body_parser.statement(r2, depth + 1)?;
            match s {
                // A barrier has no effect on the gate's action, but its operands must be the
                // gate's own qubits.
                Some(Stmt::Barrier { args, .. }) => {
                    for a in &args {
                        if qubit_names.get(a.name.name).is_none() {
                            return fail(a.name.at, ErrorKind::UndefinedQubit(a.name.name.into()));
                        }
                        if let Some((_, i_at)) = a.index {
                            return fail(
                                i_at,
                                ErrorKind::Invalid(
                                    "gate bodies cannot index qubit arguments".into(),
                                ),
                            );
                        }
                    }
                }
                Some(s) => body.push(s),
                None => return expected(r2, "'}' closing the gate body"),
            }
            r = r2;
        }
        Ok((
            r,
            Stmt::GateDef {
                name,
                params,
                qubits,
                body,
            },
        ))
    }

    fn if_stmt<'a>(&self, r: &'a str, at: &'a str, depth: usize) -> PResult<'a, Stmt<'a>> {
        let (r, _) = punct("(", "'(' opening the condition")(r)?;
        let (r, _) = ws(r)?;
        let cond_at = r;
        let (r, cond) = cond_expr(r, 0, depth)?;
        let (r, _) = punct(")", "')' closing the condition")(r)?;
        let (r, then_body) = self.branch(r, depth)?;
        let (r2, _) = ws(r)?;
        let (r, else_body) = match raw_ident(r2) {
            Ok((r3, "else")) => self.branch(r3, depth)?,
            _ => (r, Vec::new()),
        };
        Ok((
            r,
            Stmt::If {
                cond,
                cond_at,
                then_body,
                else_body,
                at,
            },
        ))
    }

    /// The body of an `if` or `else`: a braced block or one statement.
    fn branch<'a>(&self, r: &'a str, depth: usize) -> PResult<'a, Vec<Stmt<'a>>> {
        let (r, braced) = opt_punct("{")(r)?;
        if !braced {
            let (r, s) = self.statement(r, depth + 1)?;
            return match s {
                Some(s) => Ok((r, vec![s])),
                None => expected(r, "a statement after the condition"),
            };
        }
        let mut out = Vec::new();
        let mut r = r;
        loop {
            let (r2, close) = opt_punct("}")(r)?;
            if close {
                return Ok((r2, out));
            }
            let (r2, s) = self.statement(r, depth + 1)?;
            match s {
                Some(s) => out.push(s),
                None => return expected(r2, "'}' closing the block"),
            }
            r = r2;
        }
    }
}

/// Precedence of condition operators, loosest first.
fn cond_op(i: &str) -> Option<(eqisa_ir::circuit::CondOp, usize, u8)> {
    use eqisa_ir::circuit::CondOp::*;
    let b = i.as_bytes();
    Some(match b {
        [b'|', b'|', ..] => (Or, 2, 1),
        [b'&', b'&', ..] => (And, 2, 2),
        [b'|', ..] => (BitOr, 1, 3),
        [b'^', ..] => (Xor, 1, 4),
        [b'&', ..] => (BitAnd, 1, 5),
        [b'=', b'=', ..] => (Eq, 2, 6),
        [b'!', b'=', ..] => (Ne, 2, 6),
        [b'<', b'=', ..] => (Le, 2, 7),
        [b'>', b'=', ..] => (Ge, 2, 7),
        [b'<', ..] => (Lt, 1, 7),
        [b'>', ..] => (Gt, 1, 7),
        _ => return None,
    })
}

/// A condition expression (precedence climbing).
pub fn cond_expr(i: &str, min_prec: u8, depth: usize) -> PResult<'_, CondAst<'_>> {
    cond_binary(i, min_prec, depth).map(|(r, (c, _))| (r, c))
}

/// A condition and the height of its tree.
fn cond_binary(i: &str, min_prec: u8, depth: usize) -> PResult<'_, (CondAst<'_>, usize)> {
    let (mut i, (mut lhs, mut height)) = cond_unary(i, depth)?;
    loop {
        let (j, _) = ws(i)?;
        let Some((op, len, prec)) = cond_op(j) else {
            break;
        };
        if prec < min_prec.max(1) {
            break;
        }
        let (r, (rhs, h)) = cond_binary(&j[len..], prec + 1, depth + 1)?;
        height = taller(height, h, j)?;
        lhs = CondAst::Binary(op, Box::new(lhs), Box::new(rhs));
        i = r;
    }
    Ok((i, (lhs, height)))
}

fn cond_unary(i: &str, depth: usize) -> PResult<'_, (CondAst<'_>, usize)> {
    let (i, _) = ws(i)?;
    if depth > MAX_NESTING {
        return fail(i, ErrorKind::NestingDepth(MAX_NESTING));
    }
    match i.as_bytes().first() {
        Some(b'!') | Some(b'~') => {
            let (r, (e, h)) = cond_unary(&i[1..], depth + 1)?;
            Ok((r, (CondAst::Not(Box::new(e)), taller(h, 0, i)?)))
        }
        Some(b'(') => {
            let (r, e) = cond_binary(&i[1..], 0, depth + 1)?;
            let (r, _) = punct(")", "')' closing the parenthesis")(r)?;
            Ok((r, e))
        }
        Some(c) if c.is_ascii_digit() => {
            let (r, text) = digits(i)?;
            if r.starts_with(|c: char| is_ident_char(c) || c == '.') {
                return fail(i, ErrorKind::MalformedNumber(found(i)));
            }
            // Converting decimal text costs its length squared.
            if text.len() > MAX_CONDITION_DIGITS {
                return fail(
                    i,
                    ErrorKind::TooLarge {
                        what: format!("an integer of {} digits in a condition", text.len()),
                        limit: MAX_CONDITION_DIGITS as u64,
                    },
                );
            }
            match eqisa_ir::circuit::Wide::from_decimal(text) {
                Some(v) => Ok((r, (CondAst::Int(v), 1))),
                None => fail(i, ErrorKind::MalformedNumber(text.to_string())),
            }
        }
        _ => match raw_ident(i) {
            Ok((r, "true")) => Ok((r, (CondAst::Bool(true), 1))),
            Ok((r, "false")) => Ok((r, (CondAst::Bool(false), 1))),
            Ok(_) => {
                let (r, a) = arg("a classical bit or register")(i)?;
                Ok((r, (CondAst::Name(a), 1)))
            }
            Err(_) => expected(i, "a condition"),
        },
    }
}

/// A plain gate application, `name(params) operands;`, as [`fast_call`] reads it.
pub struct FastCall<'a> {
    pub name: Ident<'a>,
    pub params: SmallVec<[(Expr, &'a str); 2]>,
    pub args: SmallVec<[Arg<'a>; 2]>,
    pub at: &'a str,
}

/// Words that start statements other than a plain gate application.
fn is_statement_keyword(w: &str) -> bool {
    matches!(
        w,
        "OPENQASM"
            | "include"
            | "qreg"
            | "creg"
            | "qubit"
            | "bit"
            | "gate"
            | "opaque"
            | "measure"
            | "reset"
            | "barrier"
            | "delay"
            | "if"
            | "else"
            | "inv"
            | "pow"
            | "ctrl"
            | "negctrl"
    ) || is_unsupported_keyword(w)
}

/// A fast reader for the statement that makes up nearly all of a large program: a gate applied
/// with literal or simple parameters to indexed or whole registers. It accepts only what the
/// general parser would accept the same way and returns `None` at anything else (comments
/// inside the statement, keywords, syntax errors), leaving that to [`StmtParser::statement`].
pub fn fast_call(i: &str) -> Option<(&str, FastCall<'_>)> {
    let at = skip_ws(i);
    let (r, name) = raw_ident(at).ok()?;
    if is_statement_keyword(name) || r.starts_with('/') {
        return None;
    }
    let mut params = SmallVec::new();
    let mut r = skip_blanks(r);
    if let Some(rest) = r.strip_prefix('(') {
        r = skip_blanks(rest);
        if let Some(rest) = r.strip_prefix(')') {
            r = rest;
        } else {
            loop {
                let (rest, e) = match plain_number(r) {
                    Some(x) => x,
                    None => ExprParser {
                        scope: &Names::default(),
                    }
                    .expr(r)
                    .ok()?,
                };
                params.push((e, r));
                let rest = skip_blanks(rest);
                if let Some(rest) = rest.strip_prefix(',') {
                    r = skip_blanks(rest);
                    continue;
                }
                r = rest.strip_prefix(')')?;
                break;
            }
        }
        r = skip_blanks(r);
    }
    let mut args: SmallVec<[Arg<'_>; 2]> = SmallVec::new();
    loop {
        let (rest, reg) = raw_ident(r).ok()?;
        let reg = Ident { name: reg, at: r };
        let rest = skip_blanks(rest);
        let (rest, index) = match rest.strip_prefix('[') {
            Some(rest) => {
                let idx_at = skip_blanks(rest);
                let n = idx_at.bytes().take_while(u8::is_ascii_digit).count();
                if n == 0 || n > 18 {
                    return None;
                }
                let v: u64 = idx_at[..n].parse().ok()?;
                let rest = skip_blanks(&idx_at[n..]).strip_prefix(']')?;
                (skip_blanks(rest), Some((v, idx_at)))
            }
            None => (rest, None),
        };
        args.push(Arg { name: reg, index });
        if let Some(rest) = rest.strip_prefix(',') {
            r = skip_blanks(rest);
            continue;
        }
        let rest = rest.strip_prefix(';')?;
        return Some((
            rest,
            FastCall {
                name: Ident { name, at },
                params,
                args,
                at,
            },
        ));
    }
}

/// Spaces and tabs only: a comment or line break inside a statement sends [`fast_call`] back to
/// the general parser.
#[inline]
fn skip_blanks(i: &str) -> &str {
    i.trim_start_matches([' ', '\t'])
}
