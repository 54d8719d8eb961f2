//! One line of a `.stim` file, read with `nom`: an instruction (name, optional `[tag]`,
//! optional parenthesised arguments, targets, an optional `{` opening a block), a `}` closing
//! one, or nothing (blank or comment).

use nom::IResult;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_till, take_while, take_while1};
use nom::character::complete::{char, digit1, one_of};
use nom::combinator::{opt, recognize};
use nom::number::complete::double;
use nom::sequence::{delimited, pair, preceded};

/// A Pauli of a Pauli target (`X1`, `Y2`, `Z3`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pauli {
    /// `X`
    X,
    /// `Y`
    Y,
    /// `Z`
    Z,
}

/// What a target is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// A plain number: a qubit, an `MPAD` bit or a `REPEAT` count.
    Number(u64),
    /// `X1`, `Y2`, `Z3`.
    Pauli(Pauli, u64),
    /// `rec[-k]`: the `k`-th most recent measurement (`k` ≥ 1).
    Rec(u64),
    /// `sweep[k]`.
    Sweep(u64),
    /// `*` between the Pauli targets of one product.
    Combiner,
}

/// A target with its `!` and its 1-based column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// What it is.
    pub kind: TargetKind,
    /// Whether it is written with `!` (an inverted measurement result).
    pub inverted: bool,
    /// 1-based column in bytes.
    pub col: u32,
}

/// An instruction as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Instr<'a> {
    /// The name as written.
    pub name: &'a str,
    /// Column of the name.
    pub col: u32,
    /// The arguments in parentheses.
    pub args: Vec<f64>,
    /// The targets, left to right.
    pub targets: Vec<Target>,
    /// The column of a trailing `{`, if any.
    pub open: Option<u32>,
}

/// What a line holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Line<'a> {
    /// Nothing but spacing and comments.
    Empty,
    /// `}` at this column.
    Close(u32),
    /// An instruction.
    Instr(Instr<'a>),
}

/// A problem in a line: its 1-based column and what is wrong.
pub type LexError = (u32, String);

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\r'
}

fn spaces(i: &str) -> IResult<&str, &str> {
    take_while(is_space)(i)
}

fn number(i: &str) -> IResult<&str, &str> {
    digit1(i)
}

fn name(i: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_')(i)
}

fn tag_text(i: &str) -> IResult<&str, &str> {
    delimited(char('['), take_till(|c| c == ']'), char(']'))(i)
}

fn arg(i: &str) -> IResult<&str, f64> {
    delimited(spaces, double, spaces)(i)
}

fn rec_or_sweep(i: &str) -> IResult<&str, (&str, &str)> {
    alt((
        pair(tag("rec"), delimited(tag("[-"), number, char(']'))),
        pair(tag("sweep"), delimited(char('['), number, char(']'))),
    ))(i)
}

fn pauli_target(i: &str) -> IResult<&str, (char, &str)> {
    pair(one_of("XYZxyz"), number)(i)
}

fn comment(i: &str) -> IResult<&str, &str> {
    recognize(preceded(char('#'), take_while(|_| true)))(i)
}

/// Read one line (without its `\n`).
pub fn line(text: &str) -> Result<Line<'_>, LexError> {
    let col = |rest: &str| (text.len() - rest.len() + 1) as u32;
    let (mut i, _) = spaces(text).map_err(|_| (1, "unreadable line".to_string()))?;
    if let Ok(("", _)) = opt(comment)(i) {
        return Ok(Line::Empty);
    }
    if let Ok((rest, _)) = char::<_, nom::error::Error<&str>>('}')(i) {
        let at = col(i);
        let (rest, _) = spaces(rest).unwrap_or((rest, ""));
        let (rest, _) = opt(comment)(rest).unwrap_or((rest, None));
        if !rest.is_empty() {
            return Err((
                col(rest),
                format!("unexpected '{}' after '}}'", first(rest)),
            ));
        }
        return Ok(Line::Close(at));
    }
    let at = col(i);
    let (rest, n) = name(i).map_err(|_| {
        (
            at,
            format!("expected an instruction name, found '{}'", first(i)),
        )
    })?;
    i = rest;
    if i.starts_with('[') {
        let (rest, _) = tag_text(i).map_err(|_| (col(i), "unclosed '[' of a tag".to_string()))?;
        i = rest;
    }
    let mut args = Vec::new();
    if let Some(mut rest) = i.strip_prefix('(') {
        loop {
            let (r, v) = arg(rest).map_err(|_| {
                (
                    col(rest),
                    format!("expected a number, found '{}'", first(rest)),
                )
            })?;
            args.push(v);
            if let Some(r) = r.strip_prefix(',') {
                rest = r;
            } else if let Some(r) = r.strip_prefix(')') {
                i = r;
                break;
            } else {
                return Err((col(r), format!("expected ',' or ')', found '{}'", first(r))));
            }
        }
    }
    let mut targets = Vec::new();
    let mut open = None;
    loop {
        let (rest, sp) = spaces(i).unwrap_or((i, ""));
        i = rest;
        if i.is_empty() || i.starts_with('#') {
            break;
        }
        if let Some(after) = i.strip_prefix('{') {
            open = Some(col(i));
            let (rest, _) = spaces(after).unwrap_or((after, ""));
            let (rest, _) = opt(comment)(rest).unwrap_or((rest, None));
            if !rest.is_empty() {
                return Err((
                    col(rest),
                    format!("unexpected '{}' after '{{'", first(rest)),
                ));
            }
            break;
        }
        let at = col(i);
        if i.starts_with('*') {
            targets.push(Target {
                kind: TargetKind::Combiner,
                inverted: false,
                col: at,
            });
            i = &i[1..];
            continue;
        }
        let after_combiner = matches!(
            targets.last(),
            Some(Target {
                kind: TargetKind::Combiner,
                ..
            })
        );
        if sp.is_empty() && !after_combiner {
            return Err((
                at,
                format!("targets must be separated by spacing, found '{}'", first(i)),
            ));
        }
        let (rest, inverted) = match i.strip_prefix('!') {
            Some(r) => (r, true),
            None => (i, false),
        };
        let big = |digits: &str| {
            digits
                .parse::<u64>()
                .map_err(|_| (at, format!("number too large: '{digits}'")))
        };
        let (rest, kind) = if let Ok((r, d)) = number(rest) {
            (r, TargetKind::Number(big(d)?))
        } else if let Ok((r, (which, d))) = rec_or_sweep(rest) {
            let v = big(d)?;
            if which == "rec" {
                if v == 0 {
                    return Err((
                        at,
                        "rec[-0] names no measurement: lookbacks start at rec[-1]".to_string(),
                    ));
                }
                (r, TargetKind::Rec(v))
            } else {
                (r, TargetKind::Sweep(v))
            }
        } else if let Ok((r, (p, d))) = pauli_target(rest) {
            let p = match p.to_ascii_uppercase() {
                'X' => Pauli::X,
                'Y' => Pauli::Y,
                _ => Pauli::Z,
            };
            (r, TargetKind::Pauli(p, big(d)?))
        } else {
            return Err((at, format!("unrecognised target '{}'", word(rest))));
        };
        if !rest.is_empty()
            && !rest.starts_with(|c: char| is_space(c) || c == '*' || c == '#' || c == '{')
        {
            return Err((
                col(rest),
                format!(
                    "targets must be separated by spacing, found '{}'",
                    first(rest)
                ),
            ));
        }
        targets.push(Target {
            kind,
            inverted,
            col: at,
        });
        i = rest;
    }
    Ok(Line::Instr(Instr {
        name: n,
        col: at,
        args,
        targets,
        open,
    }))
}

fn first(s: &str) -> String {
    s.chars()
        .next()
        .map(String::from)
        .unwrap_or_else(|| "end of line".to_string())
}

fn word(s: &str) -> String {
    let w: String = s.chars().take_while(|c| !is_space(*c)).take(40).collect();
    if w.is_empty() {
        "end of line".to_string()
    } else {
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instr(s: &str) -> Instr<'_> {
        match line(s) {
            Ok(Line::Instr(i)) => i,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_every_target_form() {
        let i = instr("MPP[t](0.5, 1e-3) !X1*Y2 * Z3 rec[-2] sweep[4] 7 # c");
        assert_eq!(i.name, "MPP");
        assert_eq!(i.args, vec![0.5, 1e-3]);
        let kinds: Vec<_> = i.targets.iter().map(|t| (t.kind, t.inverted)).collect();
        assert_eq!(
            kinds,
            vec![
                (TargetKind::Pauli(Pauli::X, 1), true),
                (TargetKind::Combiner, false),
                (TargetKind::Pauli(Pauli::Y, 2), false),
                (TargetKind::Combiner, false),
                (TargetKind::Pauli(Pauli::Z, 3), false),
                (TargetKind::Rec(2), false),
                (TargetKind::Sweep(4), false),
                (TargetKind::Number(7), false),
            ]
        );
        assert_eq!(i.targets[0].col, 19);
    }

    #[test]
    fn blocks_blank_lines_and_errors() {
        assert_eq!(line("   # x"), Ok(Line::Empty));
        assert_eq!(line(""), Ok(Line::Empty));
        assert_eq!(line("  } # x"), Ok(Line::Close(3)));
        assert_eq!(instr("REPEAT 3 {").open, Some(10));
        assert_eq!(line("H 0;").unwrap_err().0, 4);
        assert_eq!(line("H 0x1").unwrap_err().0, 4);
        assert_eq!(line("X_ERROR(0.1 0").unwrap_err().0, 13);
        assert!(
            line("H 99999999999999999999999")
                .unwrap_err()
                .1
                .contains("too large")
        );
    }
}
