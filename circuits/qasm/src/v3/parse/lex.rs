//! The lexical layer of the OpenQASM 3 parser: blanks and comments, identifiers and keywords,
//! punctuation, numeric and string literals, raw text to the end of a line or a balanced brace.
//! Nothing here allocates except to describe an error or to hold a literal's value.

use eqisa_ir::circuit::{TimeUnit, Wide};

use crate::error::ErrorKind;
use crate::syntax::{MAX_CONDITION_DIGITS, MAX_NESTING, found};
use crate::v3::ast::{ExprKind, Name};

/// A syntax error at `at` (a suffix of the text passed in), with its kind.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError<'a> {
    /// Where the problem starts: a suffix of the text given to the parser.
    pub at: &'a str,
    /// What the problem is.
    pub kind: ErrorKind,
}

/// A parse step's outcome: the rest of the text and what was read, or the error.
pub(super) type Res<'a, T> = Result<(&'a str, T), SyntaxError<'a>>;

/// The parser's state: how deeply blocks and expressions nest at the current point, and what
/// [`Parser::tallest`] needs to bound the height of statements inside an expression.
#[derive(Debug, Default)]
pub(super) struct Parser {
    /// How many nested constructs enclose the current point.
    depth: usize,
    /// The deepest nesting reached since [`Parser::tallest`] started measuring.
    max_depth: usize,
    /// The tallest expression completed since [`Parser::tallest`] started measuring.
    max_height: usize,
}

impl Parser {
    /// Run `f` one nesting level deeper, or fail at `at` beyond [`MAX_NESTING`] (the parser
    /// recurses once per level, and the stack is finite).
    #[inline]
    pub(super) fn nested<'a, T>(
        &mut self,
        at: &'a str,
        f: impl FnOnce(&mut Self) -> Res<'a, T>,
    ) -> Res<'a, T> {
        if self.depth >= MAX_NESTING {
            return Err(err(at, ErrorKind::NestingDepth(MAX_NESTING)));
        }
        self.depth += 1;
        self.max_depth = self.max_depth.max(self.depth);
        let out = f(self);
        self.depth -= 1;
        out
    }

    /// Record a completed expression of height `h`.
    #[inline]
    pub(super) fn note_height(&mut self, h: usize) {
        self.max_height = self.max_height.max(h);
    }

    /// Run `f`, which parses statements, and bound the height of what it built: its tallest
    /// expression plus two levels per block nested in it (a statement inside an expression,
    /// as in `durationof`, makes the tree taller by all of it).
    pub(super) fn tallest<'a, T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Res<'a, T>,
    ) -> Res<'a, (T, usize)> {
        let (saved_height, saved_depth) = (self.max_height, self.max_depth);
        let start = self.depth;
        self.max_height = 0;
        self.max_depth = start;
        let out = f(self);
        let h = self.max_height + 2 * self.max_depth.saturating_sub(start) + 1;
        self.max_height = saved_height;
        self.max_depth = saved_depth.max(self.max_depth);
        out.map(|(r, t)| (r, (t, h)))
    }
}

/// An error of kind `kind` at `at`.
#[inline]
pub(super) fn err(at: &str, kind: ErrorKind) -> SyntaxError<'_> {
    SyntaxError { at, kind }
}

/// What is found at `at`, for "expected X, found Y": keywords are named as such.
pub(super) fn describe(at: &str) -> String {
    match ident_raw(at) {
        Some((_, w)) if is_keyword(w) => format!("the keyword '{w}'"),
        _ => found(at),
    }
}

/// The error for "expected `what`" at the first token at or after `at`: the end of the text
/// and a block comment that never closes are reported as unterminated.
#[cold]
pub(super) fn expected_err<'a>(at: &'a str, what: &str) -> SyntaxError<'a> {
    let at = ws(at);
    if at.starts_with("/*") {
        return err(
            at,
            ErrorKind::Unterminated {
                expected: "'*/' closing the comment".into(),
            },
        );
    }
    if at.is_empty() {
        return err(
            at,
            ErrorKind::Unterminated {
                expected: what.to_string(),
            },
        );
    }
    err(
        at,
        ErrorKind::Syntax {
            expected: what.to_string(),
            found: describe(at),
        },
    )
}

/// [`expected_err`] as a result.
#[cold]
pub(super) fn expected<'a, T>(at: &'a str, what: &str) -> Result<T, SyntaxError<'a>> {
    Err(expected_err(at, what))
}

/// `i` split after `n` bytes. Callers pass a char boundary they computed; if they did not,
/// the split is refused (everything stays on the left) rather than a panic. The right part is
/// always a suffix of `i`, even when empty, so that positions computed from it hold.
#[inline]
pub(super) fn cut(i: &str, n: usize) -> (&str, &str) {
    i.split_at_checked(n).unwrap_or_else(|| i.split_at(i.len()))
}

/// The first byte of `i`.
#[inline]
pub(super) fn first(i: &str) -> Option<u8> {
    i.as_bytes().first().copied()
}

/// Skip blanks and comments. A block comment that never closes is left in place, so that the
/// next token fails on it and [`expected_err`] names it.
#[inline]
pub(super) fn ws(i: &str) -> &str {
    let t = i.trim_start_matches([' ', '\t', '\n', '\r', '\x0c']);
    if t.starts_with('/') {
        return ws_comments(t);
    }
    t
}

/// The slow path of [`ws`]: comments.
#[cold]
fn ws_comments(mut i: &str) -> &str {
    loop {
        i = i.trim_start_matches([' ', '\t', '\n', '\r', '\x0c']);
        if let Some(rest) = i.strip_prefix("//") {
            i = cut(rest, rest.find('\n').unwrap_or(rest.len())).1;
        } else if let Some(rest) = i.strip_prefix("/*")
            && let Some(n) = rest.find("*/")
        {
            i = cut(rest, n + 2).1;
        } else {
            return i;
        }
    }
}

/// Skip spaces and tabs only (within a line).
#[inline]
pub(super) fn blanks(i: &str) -> &str {
    i.trim_start_matches([' ', '\t'])
}

/// Whether `c` may start an identifier: a letter (ASCII or Unicode), or `_`.
#[inline]
pub(super) fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && c.is_alphabetic())
}

/// Whether `c` may continue an identifier.
#[inline]
pub(super) fn is_ident_char(c: char) -> bool {
    is_ident_start(c) || c.is_ascii_digit()
}

/// An identifier (keywords included) at `i`, without skipping blanks: the rest and the word.
#[inline]
pub(super) fn ident_raw(i: &str) -> Option<(&str, &str)> {
    let b = i.as_bytes();
    let c0 = *b.first()?;
    if c0.is_ascii() && !(c0.is_ascii_alphabetic() || c0 == b'_') {
        return None;
    }
    // ASCII fast path; other letters (`π`, `θ`) take the character-wise route.
    let n = b
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
        .unwrap_or(b.len());
    if n == b.len() || b.get(n).is_some_and(u8::is_ascii) {
        if n == 0 {
            return None;
        }
        let (w, r) = cut(i, n);
        return Some((r, w));
    }
    let mut chars = i.char_indices();
    match chars.next() {
        Some((_, c)) if is_ident_start(c) => {}
        _ => return None,
    }
    let end = chars
        .find(|&(_, c)| !is_ident_char(c))
        .map_or(i.len(), |(k, _)| k);
    let (w, r) = cut(i, end);
    Some((r, w))
}

/// The reserved words of OpenQASM 3, which are never names.
pub(super) fn is_keyword(w: &str) -> bool {
    matches!(
        w,
        "OPENQASM"
            | "include"
            | "defcalgrammar"
            | "def"
            | "cal"
            | "defcal"
            | "gate"
            | "extern"
            | "box"
            | "let"
            | "break"
            | "continue"
            | "if"
            | "else"
            | "end"
            | "return"
            | "for"
            | "while"
            | "in"
            | "switch"
            | "case"
            | "default"
            | "nop"
            | "pragma"
            | "input"
            | "output"
            | "const"
            | "readonly"
            | "mutable"
            | "qreg"
            | "qubit"
            | "creg"
            | "bool"
            | "bit"
            | "int"
            | "uint"
            | "float"
            | "angle"
            | "complex"
            | "array"
            | "void"
            | "duration"
            | "stretch"
            | "gphase"
            | "inv"
            | "pow"
            | "ctrl"
            | "negctrl"
            | "durationof"
            | "delay"
            | "reset"
            | "measure"
            | "barrier"
            | "true"
            | "false"
            | "im"
    )
}

/// Whether `w` starts a classical type (and so a declaration or a cast).
pub(super) fn is_type_word(w: &str) -> bool {
    matches!(
        w,
        "bit"
            | "int"
            | "uint"
            | "float"
            | "angle"
            | "bool"
            | "duration"
            | "stretch"
            | "complex"
            | "array"
    )
}

/// A name (an identifier that is not a keyword) after blanks, or the error naming `what`.
#[inline]
pub(super) fn name<'a>(i: &'a str, what: &str) -> Res<'a, Name<'a>> {
    let i = ws(i);
    match ident_raw(i) {
        Some((r, w)) if !is_keyword(w) => Ok((r, Name { text: w })),
        _ => expected(i, what),
    }
}

/// The keyword `kw` after blanks: the rest after it, if present.
#[inline]
pub(super) fn keyword<'a>(i: &'a str, kw: &str) -> Option<&'a str> {
    match ident_raw(ws(i)) {
        Some((r, w)) if w == kw => Some(r),
        _ => None,
    }
}

/// The punctuation `p` after blanks: the rest after it, if present.
#[inline]
pub(super) fn eat<'a>(i: &'a str, p: &str) -> Option<&'a str> {
    ws(i).strip_prefix(p)
}

/// The punctuation `p` after blanks, or the error naming `what`.
#[inline]
pub(super) fn punct<'a>(i: &'a str, p: &str, what: &str) -> Result<&'a str, SyntaxError<'a>> {
    let i = ws(i);
    match i.strip_prefix(p) {
        Some(r) => Ok(r),
        None => expected(i, what),
    }
}

/// Whether `digits` (of the given radix, underscores allowed) follows the grammar: digits
/// with single underscores between them.
fn digits_ok(digits: &str, radix: u32) -> bool {
    let mut prev_digit = false;
    for c in digits.chars() {
        if c == '_' {
            if !prev_digit {
                return false;
            }
            prev_digit = false;
        } else if c.is_digit(radix) {
            prev_digit = true;
        } else {
            return false;
        }
    }
    prev_digit
}

/// The length of the run of ASCII digits and underscores at the start of `b`.
fn digit_run(b: &[u8]) -> usize {
    b.iter()
        .position(|c| !(c.is_ascii_digit() || *c == b'_'))
        .unwrap_or(b.len())
}

/// Literal text for a message: at most 40 characters of it (a literal can be megabytes long).
fn clip(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((k, _)) => format!("{}…", cut(text, k).0),
        None => text.to_string(),
    }
}

/// The malformed-number error for the token starting at `at` whose valid part ends at `n`.
#[cold]
fn malformed(at: &str, n: usize) -> SyntaxError<'_> {
    let (_, rest) = cut(at, n);
    let extra = rest
        .char_indices()
        .find(|&(_, c)| !(is_ident_char(c) || c == '.'))
        .map_or(rest.len(), |(k, _)| k);
    err(at, ErrorKind::MalformedNumber(clip(cut(at, n + extra).0)))
}

/// The integer of `digits` (radix 2, 8, 10 or 16; underscores allowed), exactly.
fn integer<'a>(at: &'a str, digits: &str, radix: u32) -> Result<Wide, SyntaxError<'a>> {
    if digits.len() > MAX_CONDITION_DIGITS {
        // Converting decimal text costs its length squared; no program needs such literals.
        return Err(err(
            at,
            ErrorKind::TooLarge {
                what: format!("an integer literal of {} digits", digits.len()),
                limit: MAX_CONDITION_DIGITS as u64,
            },
        ));
    }
    if radix == 10 {
        let mut v: u64 = 0;
        for c in digits.bytes().filter(|c| *c != b'_') {
            match v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c - b'0')))
            {
                Some(x) => v = x,
                None => {
                    return Wide::from_decimal(digits)
                        .ok_or_else(|| err(at, ErrorKind::MalformedNumber(clip(digits))));
                }
            }
        }
        return Ok(Wide::from_u64(v));
    }
    let per_digit = radix.trailing_zeros();
    Ok(Wide::from_bits(
        digits
            .chars()
            .rev()
            .filter_map(|c| c.to_digit(radix))
            .flat_map(|d| (0..per_digit).map(move |k| (d >> k) & 1 == 1)),
    ))
}

/// The time unit spelled `w`.
pub(super) fn time_unit(w: &str) -> Option<TimeUnit> {
    Some(match w {
        "dt" => TimeUnit::Dt,
        "ns" => TimeUnit::Ns,
        "us" | "µs" => TimeUnit::Us,
        "ms" => TimeUnit::Ms,
        "s" => TimeUnit::S,
        _ => return None,
    })
}

/// A numeric literal at `i` (which starts with a digit, or `.` and a digit): an integer in
/// any base, a float, an imaginary number (`2im`, `1.5 im`) or a duration (`100ns`, `4 dt`).
pub(super) fn number(i: &str) -> Res<'_, ExprKind<'_>> {
    let b = i.as_bytes();
    if let (Some(b'0'), Some(&p)) = (b.first(), b.get(1)) {
        let radix = match p {
            b'x' | b'X' => 16,
            b'o' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if radix != 0 {
            let body = b.get(2..).unwrap_or_default();
            let n = body
                .iter()
                .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                .unwrap_or(body.len());
            let (digits, rest) = cut(cut(i, 2).1, n);
            if !digits_ok(digits, radix) || rest.starts_with(|c: char| is_ident_char(c) || c == '.')
            {
                return Err(malformed(i, 2 + n));
            }
            return Ok((rest, ExprKind::Int(integer(i, digits, radix)?)));
        }
    }
    let whole = digit_run(b);
    let mut n = whole;
    let mut is_float = false;
    let mut frac = 0;
    if b.get(n) == Some(&b'.') {
        is_float = true;
        frac = digit_run(b.get(n + 1..).unwrap_or_default());
        n += 1 + frac;
    }
    if whole == 0 && frac == 0 {
        return expected(i, "a number");
    }
    let mut exp = None;
    if matches!(b.get(n), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(n + 1), Some(b'+' | b'-')));
        let d = digit_run(b.get(n + 1 + sign..).unwrap_or_default());
        if d == 0 {
            return Err(malformed(i, n));
        }
        exp = Some((n + 1 + sign, d));
        is_float = true;
        n += 1 + sign + d;
    }
    let parts_ok = (whole == 0 || digits_ok(cut(i, whole).0, 10))
        && (frac == 0 || digits_ok(cut(cut(i, whole + 1).1, frac).0, 10))
        && exp.is_none_or(|(s, d)| digits_ok(cut(cut(i, s).1, d).0, 10));
    let (text, rest) = cut(i, n);
    if !parts_ok {
        return Err(malformed(i, n));
    }
    // A suffix: `im` or a time unit, directly or after spaces and tabs.
    let after = blanks(rest);
    if let Some((r, w)) = ident_raw(after) {
        let unit = time_unit(w);
        if w == "im" || unit.is_some() {
            let v = float_value(i, text)?;
            let kind = match unit {
                Some(u) => ExprKind::Duration(v, u),
                None => ExprKind::Imaginary(v),
            };
            return Ok((r, kind));
        }
        if after.len() == rest.len() {
            return Err(malformed(i, n));
        }
    }
    if rest.starts_with(['.', '_']) || rest.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(malformed(i, n));
    }
    if is_float {
        Ok((rest, ExprKind::Float(float_value(i, text)?)))
    } else {
        Ok((rest, ExprKind::Int(integer(i, text, 10)?)))
    }
}

/// The value of a decimal or float literal `text` (underscores allowed) starting at `at`.
fn float_value<'a>(at: &'a str, text: &str) -> Result<f64, SyntaxError<'a>> {
    let v = if text.contains('_') {
        text.replace('_', "").parse::<f64>()
    } else {
        text.parse::<f64>()
    };
    match v {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(err(
            at,
            ErrorKind::Invalid(format!(
                "the number {} is beyond the range of a double",
                clip(text)
            )),
        )),
        Err(_) => Err(err(at, ErrorKind::MalformedNumber(clip(text)))),
    }
}

/// A physical qubit `$n` at `i` (which starts with `$`).
pub(super) fn physical(i: &str) -> Res<'_, u32> {
    let body = cut(i, 1).1;
    let n = body.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return expected(body, "the number of a physical qubit after '$'");
    }
    let (digits, rest) = cut(body, n);
    if rest.starts_with(|c: char| is_ident_char(c) || c == '.') {
        return Err(malformed(i, n + 1));
    }
    match digits.parse::<u32>() {
        Ok(v) => Ok((rest, v)),
        Err(_) => Err(err(
            i,
            ErrorKind::TooLarge {
                what: format!("physical qubit ${}", clip(digits)),
                limit: u64::from(u32::MAX),
            },
        )),
    }
}

/// A quoted string at `i` (after blanks), in double or single quotes, on one line and not
/// empty: its contents. `what` names it in errors.
pub(super) fn quoted<'a>(i: &'a str, what: &str) -> Res<'a, &'a str> {
    let i = ws(i);
    let q = match first(i) {
        Some(q @ (b'"' | b'\'')) => q as char,
        _ => return expected(i, what),
    };
    let body = cut(i, 1).1;
    let Some(n) = body.find([q, '\n', '\r', '\t']) else {
        return Err(err(
            i,
            ErrorKind::Unterminated {
                expected: format!("{q} closing the string"),
            },
        ));
    };
    let (text, rest) = cut(body, n);
    match rest.strip_prefix(q) {
        Some(r) if !text.is_empty() => Ok((r, text)),
        Some(_) => expected(i, what),
        None => Err(err(
            rest,
            ErrorKind::Syntax {
                expected: format!("{q} closing the string on its line"),
                found: "a line break or tab".into(),
            },
        )),
    }
}

/// A bit string `"0101"` at `i` (which starts with `"`): the digits as written.
pub(super) fn bit_string(i: &str) -> Res<'_, &str> {
    let body = cut(i, 1).1;
    let Some(n) = body.find(['"', '\n']) else {
        return Err(err(
            i,
            ErrorKind::Unterminated {
                expected: "'\"' closing the bit string".into(),
            },
        ));
    };
    let (text, rest) = cut(body, n);
    match rest.strip_prefix('"') {
        Some(r) if digits_ok(text, 2) => Ok((r, text)),
        _ => expected(i, "a bit string of 0s and 1s in double quotes"),
    }
}

/// The rest of the line at `i` after spaces and tabs, without its line break or trailing
/// blanks; and the text after the line.
pub(super) fn rest_of_line(i: &str) -> (&str, &str) {
    let i = blanks(i);
    let (line, rest) = cut(i, i.find('\n').unwrap_or(i.len()));
    (line.trim_end_matches([' ', '\t', '\r']), rest)
}

/// A brace-enclosed body at `i` (which starts with `{`) taken as raw text: braces balance,
/// and braces inside comments and strings do not count. The text between the outer braces.
pub(super) fn raw_braced(i: &str) -> Res<'_, &str> {
    let b = i.as_bytes();
    let mut depth = 0usize;
    let mut k = 0;
    let unterminated = |at| {
        Err(err(
            at,
            ErrorKind::Unterminated {
                expected: "'}' closing the calibration block".into(),
            },
        ))
    };
    while let Some(&c) = b.get(k) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let body = cut(cut(i, k).0, 1).1;
                    return Ok((cut(i, k + 1).1, body));
                }
            }
            b'/' if b.get(k + 1) == Some(&b'/') => {
                k += b
                    .get(k..)
                    .and_then(|t| t.iter().position(|&c| c == b'\n'))
                    .unwrap_or(b.len() - k);
                continue;
            }
            b'/' if b.get(k + 1) == Some(&b'*') => {
                match cut(i, k + 2).1.find("*/") {
                    Some(n) => k += n + 4,
                    None => return unterminated(cut(i, k).1),
                }
                continue;
            }
            b'"' | b'\'' => match b.get(k + 1..).and_then(|t| t.iter().position(|&x| x == c)) {
                Some(n) => k += n + 1,
                None => return unterminated(cut(i, k).1),
            },
            _ => {}
        }
        k += 1;
    }
    unterminated(i)
}
