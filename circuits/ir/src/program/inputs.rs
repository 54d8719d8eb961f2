//! Binding a program's `input` variables from text (the command line's `name=value` pairs),
//! each parsed according to its declared type.
//!
//! Accepted spellings: integers in decimal or with `0x`/`0o`/`0b` (underscores allowed) and
//! within the declared width; reals as numbers or products and quotients of numbers and the
//! constants `pi`/`π`, `tau`/`τ`, `euler`/`ℇ` (`pi/2`, `-3*pi/4`, `1.5e-3`); angles as reals;
//! `true`/`false` (or 1/0) for `bool` and `bit`; bit strings most significant bit first
//! (`0101`, quotes optional) or integers that fit for `bit[n]`; complex numbers as `a`, `bim`,
//! `a+bim`; durations as a number with a unit (`dt`, `ns`, `us`/`µs`, `ms`, `s`); arrays as
//! `{a, b, …}` in row-major order (inner braces ignored).

use super::convert::cast;
use super::ids::VarId;
use super::stmt::{Program, VarKind};
use super::types::Type;
use super::value::Value;

/// Why the given inputs do not fit the program.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    /// A name that is not an `input` of the program.
    #[error("'{name}' is not an input of the program (its inputs: {})", names(.declared))]
    Unknown { name: String, declared: Vec<String> },
    /// An `input` without a value.
    #[error("input '{name}' of type {ty} is not given")]
    Missing { name: String, ty: String },
    /// A value that does not parse as the input's type.
    #[error("input '{name}' of type {ty}: cannot read '{text}': {reason}")]
    Malformed {
        name: String,
        ty: String,
        text: String,
        reason: String,
    },
    /// The same input given twice.
    #[error("input '{name}' is given twice")]
    Twice { name: String },
}

fn names(declared: &[String]) -> String {
    if declared.is_empty() {
        "none".into()
    } else {
        declared.join(", ")
    }
}

/// Bind every `input` variable of `p` from `(name, text)` pairs, in declaration order.
pub fn bind_inputs(
    p: &Program,
    given: &[(String, String)],
) -> Result<Vec<(VarId, Value)>, InputError> {
    let inputs: Vec<(VarId, &super::stmt::Var)> = p
        .vars
        .iter()
        .enumerate()
        .filter(|(_, v)| v.kind == VarKind::Input)
        .map(|(i, v)| (VarId(i as u32), v))
        .collect();
    let mut values: Vec<Option<Value>> = vec![None; inputs.len()];
    for (name, text) in given {
        let Some(k) = inputs.iter().position(|(_, v)| &v.name == name) else {
            return Err(InputError::Unknown {
                name: name.clone(),
                declared: inputs.iter().map(|(_, v)| v.name.clone()).collect(),
            });
        };
        let (Some(slot), Some((_, var))) = (values.get_mut(k), inputs.get(k)) else {
            continue;
        };
        if slot.is_some() {
            return Err(InputError::Twice { name: name.clone() });
        }
        let value = parse_value(text.trim(), &var.ty).map_err(|reason| InputError::Malformed {
            name: name.clone(),
            ty: var.ty.to_string(),
            text: text.clone(),
            reason,
        })?;
        *slot = Some(value);
    }
    inputs
        .iter()
        .zip(values)
        .map(|((id, var), value)| {
            value.map(|v| (*id, v)).ok_or_else(|| InputError::Missing {
                name: var.name.clone(),
                ty: var.ty.to_string(),
            })
        })
        .collect()
}

/// Parse `text` as a value of type `ty`.
pub fn parse_value(text: &str, ty: &Type) -> Result<Value, String> {
    let fit = |v: Value| cast(&v, ty).map_err(|e| e.to_string());
    match ty {
        Type::Bool | Type::Bit => {
            let b = match text {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err("expected true or false (or 1 or 0)".into()),
            };
            fit(Value::Bool(b))
        }
        Type::Bits(n) => {
            let s = text.trim_matches('"');
            let is_bits = !s.is_empty() && s.chars().all(|c| matches!(c, '0' | '1' | '_'));
            if is_bits && !s.starts_with("0b") {
                let bits: Vec<bool> = s
                    .chars()
                    .rev()
                    .filter(|c| *c != '_')
                    .map(|c| c == '1')
                    .collect();
                if bits.len() != *n as usize {
                    return Err(format!("{} bits given for bit[{n}]", bits.len()));
                }
                return Ok(Value::Bits(bits));
            }
            let v = parse_int(text)?;
            if v < 0 || (*n < 128 && v >= 1i128 << n) {
                return Err(format!("{v} does not fit in {n} bits"));
            }
            fit(Value::Uint(v as u128))
        }
        Type::Int(w) => {
            let v = parse_int(text)?;
            let w = w.unwrap_or(64);
            if w < 128 && w > 0 && (v < -(1i128 << (w - 1)) || v >= 1i128 << (w - 1)) {
                return Err(format!("{v} does not fit in int[{w}]"));
            }
            fit(Value::Int(v))
        }
        Type::Uint(w) => {
            let v = parse_uint(text)?;
            let w = w.unwrap_or(64);
            if w < 128 && v >= 1u128 << w {
                return Err(format!("{v} does not fit in uint[{w}]"));
            }
            fit(Value::Uint(v))
        }
        Type::Float(_) | Type::Angle(_) => fit(Value::Float(parse_real(text)?)),
        Type::Complex(_) => {
            let (re, im) = parse_complex(text)?;
            fit(Value::Complex { re, im })
        }
        Type::Duration | Type::Stretch => parse_duration(text),
        Type::Array { elem, dims } => {
            let count = super::convert::array_len(dims).map_err(|e| e.to_string())?;
            let inner: String = text.chars().filter(|c| !matches!(c, '{' | '}')).collect();
            let parts: Vec<&str> = inner
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            if parts.len() as u64 != count {
                return Err(format!("{} values given for {count} elements", parts.len()));
            }
            let items = parts
                .iter()
                .map(|s| parse_value(s, elem))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Array {
                dims: dims.clone(),
                items,
            })
        }
    }
}

/// An unsigned integer: decimal, or `0x`/`0o`/`0b` with their digits; underscores allowed.
fn parse_uint(text: &str) -> Result<u128, String> {
    let t = text.trim().replace('_', "");
    let lower = t.to_ascii_lowercase();
    let (digits, radix) = match lower.get(..2) {
        Some("0x") => (lower.get(2..).unwrap_or(""), 16),
        Some("0o") => (lower.get(2..).unwrap_or(""), 8),
        Some("0b") => (lower.get(2..).unwrap_or(""), 2),
        _ => (lower.as_str(), 10),
    };
    if digits.is_empty() || digits.starts_with('+') || digits.starts_with('-') {
        return Err("expected an integer".into());
    }
    u128::from_str_radix(digits, radix).map_err(|e| format!("expected an integer ({e})"))
}

/// A signed integer: an optional sign, then [`parse_uint`]'s forms.
fn parse_int(text: &str) -> Result<i128, String> {
    let t = text.trim();
    let (neg, rest) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let m = parse_uint(rest)?;
    if neg {
        // -2^127 is representable, +2^127 is not.
        0i128
            .checked_sub_unsigned(m)
            .ok_or_else(|| format!("{t} is below -2^127"))
    } else {
        i128::try_from(m).map_err(|_| format!("{t} is above 2^127 - 1"))
    }
}

fn real_factor(s: &str) -> Result<f64, String> {
    match s.trim() {
        "pi" | "π" => Ok(std::f64::consts::PI),
        "tau" | "τ" => Ok(std::f64::consts::TAU),
        "euler" | "ℇ" => Ok(std::f64::consts::E),
        other => other
            .replace('_', "")
            .parse::<f64>()
            .map_err(|_| format!("'{other}' is not a number")),
    }
}

/// A real number: a product and quotient of numbers and constants, with an optional sign.
pub fn parse_real(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (sign, rest) = match t.strip_prefix('-') {
        Some(r) => (-1.0, r),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    if rest.is_empty() {
        return Err("expected a number".into());
    }
    let mut value = 1.0;
    let mut op = '*';
    let mut start = 0;
    // Split on * and / (neither occurs inside a number).
    for (i, c) in rest
        .char_indices()
        .chain(std::iter::once((rest.len(), '*')))
    {
        if c == '*' || c == '/' {
            let f = real_factor(rest.get(start..i).unwrap_or(""))?;
            value = if op == '*' { value * f } else { value / f };
            op = c;
            start = i + 1;
        }
    }
    if !value.is_finite() {
        return Err("the value is not finite".into());
    }
    Ok(sign * value)
}

/// `a`, `bim`, `a+bim` or `a-bim`.
fn parse_complex(text: &str) -> Result<(f64, f64), String> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(body) = t.strip_suffix("im") else {
        return Ok((parse_real(&t)?, 0.0));
    };
    // The imaginary part starts at the last sign that is not the first character and does not
    // follow an exponent's `e`.
    let bytes = body.as_bytes();
    let split = (1..bytes.len()).rev().find(|&i| {
        matches!(bytes.get(i), Some(b'+' | b'-'))
            && !matches!(bytes.get(i - 1), Some(b'e' | b'E' | b'*' | b'/'))
    });
    match split {
        Some(i) => {
            let re = parse_real(body.get(..i).unwrap_or(""))?;
            let im_text = body.get(i..).unwrap_or("");
            let im = match im_text {
                "+" => 1.0,
                "-" => -1.0,
                s => parse_real(s)?,
            };
            Ok((re, im))
        }
        None => {
            let im = match body {
                "" | "+" => 1.0,
                "-" => -1.0,
                s => parse_real(s)?,
            };
            Ok((0.0, im))
        }
    }
}

/// A number with a time unit.
fn parse_duration(text: &str) -> Result<Value, String> {
    let t = text.trim();
    const UNITS: [(&str, f64, bool); 6] = [
        ("dt", 1.0, true),
        ("ns", 1.0, false),
        ("us", 1e3, false),
        ("µs", 1e3, false),
        ("ms", 1e6, false),
        ("s", 1e9, false),
    ];
    for (unit, scale, cycles) in UNITS {
        if let Some(num) = t.strip_suffix(unit) {
            let x = parse_real(num)? * scale;
            return Ok(if cycles {
                Value::Duration { ns: 0.0, dt: x }
            } else {
                Value::Duration { ns: x, dt: 0.0 }
            });
        }
    }
    Err("expected a number and a unit (dt, ns, us, ms, s)".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::{Circuit, Version};
    use crate::program::ids::Loc;
    use crate::program::stmt::Var;
    use std::f64::consts::PI;

    fn program(inputs: &[(&str, Type)]) -> Program {
        Program {
            circuit: Circuit::new(Version::Qasm3),
            files: Vec::new(),
            vars: inputs
                .iter()
                .map(|(n, t)| Var {
                    name: (*n).into(),
                    ty: t.clone(),
                    kind: VarKind::Input,
                    creg: None,
                    loc: Loc::default(),
                })
                .chain(std::iter::once(Var {
                    name: "other".into(),
                    ty: Type::Bool,
                    kind: VarKind::Mutable,
                    creg: None,
                    loc: Loc::default(),
                }))
                .collect(),
            subroutines: Vec::new(),
            externs: Vec::new(),
            body: Vec::new(),
            physical: false,
            skipped_calibration: None,
        }
    }

    fn given(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).into(), (*b).into()))
            .collect()
    }

    fn parse(text: &str, ty: Type) -> Result<Value, String> {
        parse_value(text, &ty)
    }

    #[test]
    fn binds_each_input_in_declaration_order() {
        let p = program(&[("n", Type::Int(Some(8))), ("theta", Type::Angle(None))]);
        assert_eq!(
            bind_inputs(&p, &given(&[("theta", "pi/2"), ("n", "-0x10")])),
            Ok(vec![
                (VarId(0), Value::Int(-16)),
                (VarId(1), Value::Angle(PI / 2.0))
            ])
        );
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let p = program(&[("n", Type::Int(Some(8))), ("b", Type::Bool)]);
        assert_eq!(
            bind_inputs(&p, &given(&[("m", "1")])).map_err(|e| e.to_string()),
            Err("'m' is not an input of the program (its inputs: n, b)".into())
        );
        assert_eq!(
            bind_inputs(&p, &given(&[("n", "1")])).map_err(|e| e.to_string()),
            Err("input 'b' of type bool is not given".into())
        );
        assert_eq!(
            bind_inputs(&p, &given(&[("n", "1"), ("n", "2")])),
            Err(InputError::Twice { name: "n".into() })
        );
        assert!(matches!(
            bind_inputs(&p, &given(&[("n", "300"), ("b", "true")])),
            Err(InputError::Malformed { .. })
        ));
        assert_eq!(
            bind_inputs(&program(&[]), &given(&[("x", "1")])).map_err(|e| e.to_string()),
            Err("'x' is not an input of the program (its inputs: none)".into())
        );
    }

    #[test]
    fn integers() {
        assert_eq!(parse("127", Type::Int(Some(8))), Ok(Value::Int(127)));
        assert_eq!(parse("-128", Type::Int(Some(8))), Ok(Value::Int(-128)));
        assert!(parse("128", Type::Int(Some(8))).is_err());
        assert_eq!(parse("0b1010", Type::Uint(Some(4))), Ok(Value::Uint(10)));
        assert_eq!(parse("0o17", Type::Uint(None)), Ok(Value::Uint(15)));
        assert_eq!(parse("1_000", Type::Int(None)), Ok(Value::Int(1000)));
        assert!(parse("16", Type::Uint(Some(4))).is_err());
        assert!(parse("-1", Type::Uint(None)).is_err());
        assert!(parse("", Type::Int(None)).is_err());
        assert!(parse("0x", Type::Int(None)).is_err());
        assert!(parse("1.5", Type::Int(None)).is_err());
        assert_eq!(
            parse(
                "-170141183460469231731687303715884105728",
                Type::Int(Some(128))
            ),
            Ok(Value::Int(i128::MIN))
        );
        assert!(
            parse(
                "170141183460469231731687303715884105728",
                Type::Int(Some(128))
            )
            .is_err()
        );
    }

    #[test]
    fn reals_angles_and_complex() {
        assert_eq!(parse("1.5e-3", Type::Float(None)), Ok(Value::Float(1.5e-3)));
        assert_eq!(
            parse("-3*pi/4", Type::Float(None)),
            Ok(Value::Float(-3.0 * PI / 4.0))
        );
        assert_eq!(parse("τ/4", Type::Float(None)), Ok(Value::Float(PI / 2.0)));
        assert_eq!(
            parse("0.1", Type::Float(Some(32))),
            Ok(Value::Float(0.1f32 as f64))
        );
        // Angles wrap and sit on their grid: -π/2 on angle[2] is 3π/2.
        assert_eq!(
            parse("-pi/2", Type::Angle(Some(2))),
            Ok(Value::Angle(3.0 * PI / 2.0))
        );
        assert!(parse("1/0", Type::Float(None)).is_err());
        assert!(parse("pie", Type::Float(None)).is_err());
        assert_eq!(
            parse("1.5-2im", Type::Complex(None)),
            Ok(Value::Complex { re: 1.5, im: -2.0 })
        );
        assert_eq!(
            parse("2im", Type::Complex(None)),
            Ok(Value::Complex { re: 0.0, im: 2.0 })
        );
        assert_eq!(
            parse("1e-3+im", Type::Complex(None)),
            Ok(Value::Complex { re: 1e-3, im: 1.0 })
        );
        assert_eq!(
            parse("3", Type::Complex(None)),
            Ok(Value::Complex { re: 3.0, im: 0.0 })
        );
    }

    #[test]
    fn bits_bools_durations_arrays() {
        assert_eq!(parse("true", Type::Bool), Ok(Value::Bool(true)));
        assert_eq!(parse("0", Type::Bit), Ok(Value::Bit(false)));
        assert!(parse("yes", Type::Bool).is_err());
        // Most significant first: "0110" has bit 1 and bit 2 set.
        assert_eq!(
            parse("\"0110\"", Type::Bits(4)),
            Ok(Value::Bits(vec![false, true, true, false]))
        );
        assert!(parse("011", Type::Bits(4)).is_err());
        assert_eq!(
            parse("0x6", Type::Bits(4)),
            Ok(Value::Bits(vec![false, true, true, false]))
        );
        assert!(parse("0x16", Type::Bits(4)).is_err());
        assert_eq!(
            parse("100ns", Type::Duration),
            Ok(Value::Duration { ns: 100.0, dt: 0.0 })
        );
        assert_eq!(
            parse("2 us", Type::Duration),
            Ok(Value::Duration {
                ns: 2000.0,
                dt: 0.0
            })
        );
        assert_eq!(
            parse("1.5ms", Type::Duration),
            Ok(Value::Duration { ns: 1.5e6, dt: 0.0 })
        );
        assert_eq!(
            parse("1s", Type::Duration),
            Ok(Value::Duration { ns: 1e9, dt: 0.0 })
        );
        assert_eq!(
            parse("40dt", Type::Stretch),
            Ok(Value::Duration { ns: 0.0, dt: 40.0 })
        );
        assert!(parse("40", Type::Duration).is_err());
        let arr = Type::Array {
            elem: Box::new(Type::Int(Some(8))),
            dims: vec![2, 2],
        };
        assert_eq!(
            parse("{{1, 2}, {3, -4}}", arr.clone()),
            Ok(Value::Array {
                dims: vec![2, 2],
                items: vec![Value::Int(1), Value::Int(2), Value::Int(3), Value::Int(-4)]
            })
        );
        assert!(parse("{1, 2, 3}", arr.clone()).is_err());
        assert!(parse("{1, 2, 3, 300}", arr).is_err());
    }
}
