//! The OpenQASM 2/3 grammar (nom): statement text → a light syntax tree whose nodes carry byte
//! offsets into the text, so that later checks can name the line and column.
//!
//! Parameter expressions are resolved while parsing (the formal parameters of a gate definition
//! are known before its body), everything else — registers, gates, arities — by the builder.

use nom::IResult;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit1};
use nom::combinator::{opt, recognize};
use nom::sequence::{pair, tuple};
use smallvec::SmallVec;

use crate::error::ErrorKind;
use crate::expr::{BinOp, Expr, Func};
use crate::ir::{Duration, TimeUnit};

/// Deepest nesting of parentheses, unary operators or blocks the parser follows (stack safety).
pub const MAX_NESTING: usize = 200;

/// A parse failure: where (the remaining input at the failure) and what.
#[derive(Debug, Clone)]
pub struct PErr<'a> {
    pub at: &'a str,
    pub kind: ErrorKind,
}

impl<'a> nom::error::ParseError<&'a str> for PErr<'a> {
    fn from_error_kind(input: &'a str, _kind: nom::error::ErrorKind) -> Self {
        PErr {
            at: input,
            kind: syntax("a valid statement", input),
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
    Err(nom::Err::Failure(PErr { at, kind }))
}

/// A fatal "expected ..." error at `at`.
fn expected<'a, T>(at: &'a str, what: &str) -> PResult<'a, T> {
    fail(at, syntax(what, at))
}

/// Skip whitespace and comments. An unterminated block comment is an error.
pub fn ws(mut i: &str) -> PResult<'_, ()> {
    loop {
        let b = i.as_bytes();
        match b.first() {
            Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0c) => i = &i[1..],
            Some(b'/') if b.get(1) == Some(&b'/') => match memchr_nl(i) {
                Some(n) => i = &i[n + 1..],
                None => i = &i[i.len()..],
            },
            Some(b'/') if b.get(1) == Some(&b'*') => match i[2..].find("*/") {
                Some(n) => i = &i[n + 4..],
                None => {
                    return fail(
                        i,
                        ErrorKind::Unterminated {
                            expected: "'*/' closing the comment".into(),
                        },
                    );
                }
            },
            _ => return Ok((i, ())),
        }
    }
}

fn memchr_nl(s: &str) -> Option<usize> {
    s.as_bytes().iter().position(|&c| c == b'\n')
}

/// Expect the punctuation `t` after optional whitespace.
fn punct<'a>(t: &'static str, what: &'static str) -> impl Fn(&'a str) -> PResult<'a, ()> {
    move |i| {
        let (i, _) = ws(i)?;
        match tag::<_, _, PErr>(t)(i) {
            Ok((r, _)) => Ok((r, ())),
            Err(_) => expected(i, what),
        }
    }
}

/// Try the punctuation `t` after optional whitespace; `None` if absent.
fn opt_punct(t: &'static str) -> impl Fn(&str) -> PResult<'_, bool> {
    move |i| {
        let (j, _) = ws(i)?;
        match tag::<_, _, PErr>(t)(j) {
            Ok((r, _)) => Ok((r, true)),
            Err(_) => Ok((i, false)),
        }
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
    recognize(pair(take_while1(is_ident_start), take_while(is_ident_char)))(i)
}

/// An identifier after optional whitespace, or a fatal error naming what was expected.
fn ident<'a>(what: &'static str) -> impl Fn(&'a str) -> PResult<'a, Ident<'a>> {
    move |i| {
        let (i, _) = ws(i)?;
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
        let (r, text) = match recognize(pair(
            digit1::<_, PErr>,
            take_while(|c: char| c.is_ascii_digit() || c == '_'),
        ))(i)
        {
            Ok(x) => x,
            Err(_) => return expected(i, what),
        };
        if r.starts_with(|c: char| is_ident_char(c) || c == '.') {
            let end = r
                .find(|c: char| !(is_ident_char(c) || c == '.'))
                .unwrap_or(r.len());
            let bad = &i[..text.len() + end];
            return fail(i, ErrorKind::MalformedNumber(bad.to_string()));
        }
        let digits: String = text.chars().filter(|c| *c != '_').collect();
        match digits.parse::<u64>() {
            Ok(v) => Ok((r, (v, i))),
            Err(_) => fail(
                i,
                ErrorKind::TooLarge {
                    what: format!("integer '{text}'"),
                    limit: u64::MAX,
                },
            ),
        }
    }
}

/// A real literal: `1`, `1.`, `.5`, `1.5e-3`, `2E+10` (and `_` separators).
fn digits(i: &str) -> PResult<'_, &str> {
    take_while1(|c: char| c.is_ascii_digit() || c == '_')(i)
}

fn real(i: &str) -> PResult<'_, f64> {
    let exponent = tuple((
        alt((char('e'), char('E'))),
        opt(alt((char('+'), char('-')))),
        digits,
    ));
    let (r, text) = recognize(tuple((
        alt((
            recognize(tuple((digits, opt(pair(char('.'), opt(digits)))))),
            recognize(pair(char('.'), digits)),
        )),
        opt(exponent),
    )))(i)?;
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
        Ok(v) => Ok((r, v)),
        Err(_) => fail(i, ErrorKind::MalformedNumber(text.to_string())),
    }
}

/// Parameter-expression parser: precedence climbing over `+ -`, `* /`, `^`/`**`, unary minus,
/// function calls, `pi` and the formal parameters in `scope`.
pub struct ExprParser<'s> {
    pub scope: &'s [&'s str],
}

impl ExprParser<'_> {
    /// Parse one expression.
    pub fn expr<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        self.binary(i, 1, 0)
    }

    fn binary<'a>(&self, i: &'a str, min_prec: u8, depth: usize) -> PResult<'a, Expr> {
        let (mut i, mut lhs) = self.unary(i, depth)?;
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
            let (r, rhs) = self.binary(&j[len..], next, depth + 1)?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
            i = r;
        }
        Ok((i, lhs))
    }

    fn unary<'a>(&self, i: &'a str, depth: usize) -> PResult<'a, Expr> {
        let (i, _) = ws(i)?;
        if depth > MAX_NESTING {
            return fail(i, ErrorKind::NestingDepth(MAX_NESTING));
        }
        match i.as_bytes().first() {
            Some(b'-') => {
                let (r, e) = self.unary(&i[1..], depth + 1)?;
                // Fold negative literals so `-1.5` stays a number.
                Ok((
                    r,
                    match e {
                        Expr::Num(v) => Expr::Num(-v),
                        e => Expr::Neg(Box::new(e)),
                    },
                ))
            }
            Some(b'+') => self.unary(&i[1..], depth + 1),
            Some(b'(') => {
                let (r, e) = self.binary(&i[1..], 1, depth + 1)?;
                let (r, _) = punct(")", "')' closing the parenthesis")(r)?;
                Ok((r, e))
            }
            Some(c) if c.is_ascii_digit() || *c == b'.' => {
                let (r, v) = real(i)?;
                Ok((r, Expr::Num(v)))
            }
            _ => {
                let Ok((r, name)) = raw_ident(i) else {
                    return expected(i, "an expression");
                };
                if let Some(f) = Func::from_name(name) {
                    let (r2, _) = punct("(", "'(' after a function name")(r)?;
                    let (r2, e) = self.binary(r2, 1, depth + 1)?;
                    let (r2, _) = punct(")", "')' closing the function call")(r2)?;
                    return Ok((r2, Expr::Call(f, Box::new(e))));
                }
                if let Some(k) = self.scope.iter().position(|p| *p == name) {
                    return Ok((r, Expr::Param(k as u32)));
                }
                match name {
                    "pi" | "π" => Ok((r, Expr::Pi)),
                    "tau" | "τ" => Ok((r, Expr::Num(std::f64::consts::TAU))),
                    "euler" | "ℇ" => Ok((r, Expr::Num(std::f64::consts::E))),
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
fn args<'a>(i: &'a str, what: &'static str) -> PResult<'a, SmallVec<[Arg<'a>; 4]>> {
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
    Int(crate::ir::Wide),
    Bool(bool),
    Not(Box<CondAst<'a>>),
    Binary(crate::ir::CondOp, Box<CondAst<'a>>, Box<CondAst<'a>>),
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
        params: SmallVec<[(Expr, &'a str); 3]>,
        args: SmallVec<[Arg<'a>; 4]>,
        at: &'a str,
    },
    Measure {
        qubit: Arg<'a>,
        clbit: Option<Arg<'a>>,
        at: &'a str,
    },
    Reset {
        args: SmallVec<[Arg<'a>; 4]>,
        at: &'a str,
    },
    /// `barrier;` (OpenQASM 3) has no operands: all qubits.
    Barrier {
        args: SmallVec<[Arg<'a>; 4]>,
        at: &'a str,
    },
    Delay {
        duration: Duration,
        args: SmallVec<[Arg<'a>; 4]>,
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
const UNSUPPORTED: &[&str] = &[
    "def",
    "defcal",
    "cal",
    "for",
    "while",
    "switch",
    "box",
    "let",
    "const",
    "input",
    "output",
    "int",
    "uint",
    "float",
    "angle",
    "bool",
    "complex",
    "duration",
    "stretch",
    "array",
    "extern",
    "return",
    "break",
    "continue",
    "end",
    "pragma",
    "durationof",
];

/// Parses statements; `scope` holds the formal parameters inside a gate body.
pub struct StmtParser<'s> {
    pub scope: &'s [&'s str],
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
                    let (r, _) = args(r, "a qubit")?;
                    let (r, _) = punct(";", "';' ending the statement")(r)?;
                    // A barrier inside a definition has no effect on the gate's action.
                    self.statement(r, depth)
                }
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
                let (r, value) = match real(r) {
                    Ok(x) => x,
                    Err(nom::Err::Error(_)) => return expected(r, "a duration"),
                    Err(e) => return Err(e),
                };
                let (r2, unit) = match raw_ident(r) {
                    Ok(x) => x,
                    Err(_) => return expected(r, "a time unit (dt, ns, us, ms, s)"),
                };
                let unit = match unit {
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
            w if UNSUPPORTED.contains(&w) => {
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
                    let (r2, _) = ws(r)?;
                    let (r3, e) = ep.expr(r2)?;
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
        let scope: Vec<&str> = params.iter().map(|p| p.name).collect();
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
fn cond_op(i: &str) -> Option<(crate::ir::CondOp, usize, u8)> {
    use crate::ir::CondOp::*;
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
    let (mut i, mut lhs) = cond_unary(i, depth)?;
    loop {
        let (j, _) = ws(i)?;
        let Some((op, len, prec)) = cond_op(j) else {
            break;
        };
        if prec < min_prec.max(1) {
            break;
        }
        let (r, rhs) = cond_expr(&j[len..], prec + 1, depth + 1)?;
        lhs = CondAst::Binary(op, Box::new(lhs), Box::new(rhs));
        i = r;
    }
    Ok((i, lhs))
}

fn cond_unary(i: &str, depth: usize) -> PResult<'_, CondAst<'_>> {
    let (i, _) = ws(i)?;
    if depth > MAX_NESTING {
        return fail(i, ErrorKind::NestingDepth(MAX_NESTING));
    }
    match i.as_bytes().first() {
        Some(b'!') | Some(b'~') => {
            let (r, e) = cond_unary(&i[1..], depth + 1)?;
            Ok((r, CondAst::Not(Box::new(e))))
        }
        Some(b'(') => {
            let (r, e) = cond_expr(&i[1..], 0, depth + 1)?;
            let (r, _) = punct(")", "')' closing the parenthesis")(r)?;
            Ok((r, e))
        }
        Some(c) if c.is_ascii_digit() => {
            let (r, text) = digits(i)?;
            if r.starts_with(|c: char| is_ident_char(c) || c == '.') {
                return fail(i, ErrorKind::MalformedNumber(found(i)));
            }
            match crate::ir::Wide::from_decimal(text) {
                Some(v) => Ok((r, CondAst::Int(v))),
                None => fail(i, ErrorKind::MalformedNumber(text.to_string())),
            }
        }
        _ => match raw_ident(i) {
            Ok((r, "true")) => Ok((r, CondAst::Bool(true))),
            Ok((r, "false")) => Ok((r, CondAst::Bool(false))),
            Ok(_) => {
                let (r, a) = arg("a classical bit or register")(i)?;
                Ok((r, CondAst::Name(a)))
            }
            Err(_) => expected(i, "a condition"),
        },
    }
}
