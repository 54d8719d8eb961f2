//! Conversions between classical values and types: the casts of assignment and explicit
//! conversion, the zero of each type, integers reduced to their widths, angles on their grids,
//! and the bit patterns behind `bit[n]`, `int`, `uint` and `angle`. The choices the
//! specification leaves open are listed in [`super::eval`]'s documentation.

use std::f64::consts::TAU;

use super::eval_error::{EvalError, EvalErrorKind, domain, kind_name, mismatch, too_large};
use super::types::Type;
use super::value::Value;

/// The most bits a `bit[n]` value may hold (16 Mi), checked before allocating one.
pub const MAX_BITS: u64 = 1 << 24;
/// The most elements an array value may hold (16 Mi), checked before allocating one.
pub const MAX_ITEMS: u64 = 1 << 24;
/// The width of an unsized `int` or `uint`.
pub const DEFAULT_INT_WIDTH: u32 = 64;
/// An integer-valued index or bound.
pub fn to_index(v: &Value) -> Result<i128, EvalError> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Uint(u) => i128::try_from(*u).map_err(|_| too_large(format!("index {u}"))),
        Value::Bool(b) | Value::Bit(b) => Ok(i128::from(*b)),
        Value::Bits(bits) => i128::try_from(bits_to_u128(bits)?)
            .map_err(|_| too_large("a bit-register index above 2^127")),
        other => Err(mismatch(format!(
            "an index must be an integer, not {}",
            kind_name(other)
        ))),
    }
}

/// Whether a value counts as true in a condition.
pub fn truthy(v: &Value) -> Result<bool, EvalError> {
    Ok(match v {
        Value::Bool(b) | Value::Bit(b) => *b,
        Value::Bits(bits) => bits.iter().any(|b| *b),
        Value::Int(i) => *i != 0,
        Value::Uint(u) => *u != 0,
        Value::Float(f) | Value::Angle(f) => *f != 0.0,
        other => {
            return Err(mismatch(format!(
                "{} cannot be used as a condition",
                kind_name(other)
            )));
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Integers, bits and angles as bit patterns.

/// The unsigned value of bits, least significant first; more than 128 significant bits is an
/// error (a `bit[n]` wider than any integer).
pub fn bits_to_u128(bits: &[bool]) -> Result<u128, EvalError> {
    let mut v: u128 = 0;
    for (i, b) in bits.iter().enumerate() {
        if *b {
            if i >= 128 {
                return Err(too_large(format!(
                    "a bit[{}] value above 2^128 used as an integer",
                    bits.len()
                )));
            }
            v |= 1 << i;
        }
    }
    Ok(v)
}

/// The low `n` bits of a two's complement pattern, sign-extended beyond 128 when `fill` is
/// set; `n` is checked against [`MAX_BITS`] before allocating.
pub fn pattern_bits(v: u128, n: u32, fill: bool) -> Result<Vec<bool>, EvalError> {
    if u64::from(n) > MAX_BITS {
        return Err(too_large(format!("bit[{n}] is wider than {MAX_BITS} bits")));
    }
    Ok((0..n)
        .map(|i| if i < 128 { (v >> i) & 1 == 1 } else { fill })
        .collect())
}

/// Reduce to `int[width]` (two's complement).
pub fn wrap_int(v: i128, width: u32) -> i128 {
    if width >= 128 || width == 0 {
        v
    } else {
        let sh = 128 - width;
        (v << sh) >> sh
    }
}

/// Reduce to `uint[width]` (modulo 2^width).
pub fn wrap_uint(v: u128, width: u32) -> u128 {
    if width >= 128 || width == 0 {
        v
    } else {
        v & ((1u128 << width) - 1)
    }
}

fn check_width(name: &str, w: Option<u32>) -> Result<u32, EvalError> {
    match w.unwrap_or(DEFAULT_INT_WIDTH) {
        0 => Err(mismatch(format!("{name}[0] has no bits"))),
        n if n > 128 => Err(too_large(format!(
            "{name}[{n}] is wider than the 128 bits supported"
        ))),
        n => Ok(n),
    }
}

/// An angle reduced to [0, 2π).
pub fn norm_angle(a: f64) -> f64 {
    let r = a.rem_euclid(TAU);
    if r >= TAU { 0.0 } else { r }
}

/// How a value is brought onto an angle's grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Grid {
    /// Round to nearest, ties to even: float to angle, as the spec requires.
    Nearest,
    /// Truncate: angle to a narrower angle (the spec allows truncation or rounding), so that
    /// `angle / uint` stored into its `angle[n]` is the quotient of the bit patterns. A value
    /// within rounding error of a grid point is that point (3·(π/8) is "0011", not "0010").
    Truncate,
}

/// The `n`-bit pattern of the angle `a` on the 2π/2^n grid.
fn angle_pattern(a: f64, n: u32, grid: Grid) -> Result<u128, EvalError> {
    if !a.is_finite() {
        return Err(domain(format!("{a} has no angle")));
    }
    if n == 0 || n > 128 {
        return Err(too_large(format!(
            "angle[{n}] is not supported (1 to 128 bits)"
        )));
    }
    let scale = 2f64.powi(n as i32);
    let x = norm_angle(a) / TAU * scale;
    let k = match grid {
        Grid::Nearest => x.round_ties_even(),
        Grid::Truncate => {
            let r = x.round();
            if (x - r).abs() <= 1e-6 { r } else { x.floor() }
        }
    };
    // Rounding up from just below 2π lands on the full turn, which is 0.
    Ok(if k >= scale { 0 } else { k as u128 })
}

fn angle_from_pattern(k: u128, n: u32) -> f64 {
    k as f64 * TAU / 2f64.powi(n as i32)
}

fn quantise_angle(a: f64, width: Option<u32>, grid: Grid) -> Result<f64, EvalError> {
    match width {
        Some(0) => Err(mismatch("angle[0] has no bits")),
        Some(n) if n < 53 => Ok(angle_from_pattern(angle_pattern(a, n, grid)?, n)),
        _ if !a.is_finite() => Err(domain(format!("{a} has no angle"))),
        _ => Ok(norm_angle(a)),
    }
}

fn round_float(f: f64, width: Option<u32>) -> f64 {
    match width {
        Some(n) if n <= 32 => f as f32 as f64,
        _ => f,
    }
}

fn float_to_i128(f: f64) -> Result<i128, EvalError> {
    if !f.is_finite() {
        return Err(domain(format!("{f} has no integer value")));
    }
    let t = f.trunc();
    // 2^127 is exactly representable; anything at or beyond it does not fit.
    if t >= 2f64.powi(127) || t < -(2f64.powi(127)) {
        return Err(too_large(format!("{f} does not fit in 128 bits")));
    }
    Ok(t as i128)
}

// ---------------------------------------------------------------------------------------------
// Casts.

/// Convert a value to a type as assignment and casts do (wrapping int/uint to their width,
/// angle to its grid modulo 2π, float to f32 precision for `float[32]`, bool↔int,
/// `bit[n]`↔int/uint, int→float, float→int truncation, angle↔`bit[n]` etc.), or a typed error for
/// conversions the spec forbids.
pub fn cast(v: &Value, to: &Type) -> Result<Value, EvalError> {
    let refuse = || {
        EvalError::new(EvalErrorKind::InvalidCast {
            from: kind_name(v),
            to: to.to_string(),
        })
    };
    Ok(match to {
        Type::Bool => match v {
            Value::Complex { .. } | Value::Duration { .. } | Value::Array { .. } => {
                return Err(refuse());
            }
            other => Value::Bool(truthy(other)?),
        },
        Type::Bit => match v {
            Value::Bool(b) | Value::Bit(b) => Value::Bit(*b),
            Value::Bits(bits) if bits.len() == 1 => Value::Bit(bits.first() == Some(&true)),
            // `bit` is `bit[1]`: the low bit of the two's complement pattern.
            Value::Int(i) => Value::Bit(i & 1 == 1),
            Value::Uint(u) => Value::Bit(u & 1 == 1),
            _ => return Err(refuse()),
        },
        Type::Bits(n) => match v {
            Value::Bool(b) | Value::Bit(b) if *n == 1 => Value::Bits(vec![*b]),
            Value::Bits(bits) if bits.len() as u64 == u64::from(*n) => v.clone(),
            Value::Int(i) => Value::Bits(pattern_bits(*i as u128, *n, *i < 0)?),
            Value::Uint(u) => Value::Bits(pattern_bits(*u, *n, false)?),
            Value::Angle(a) => Value::Bits(pattern_bits(
                angle_pattern(*a, *n, Grid::Truncate)?,
                *n,
                false,
            )?),
            _ => return Err(refuse()),
        },
        Type::Int(w) => {
            let w = check_width("int", *w)?;
            let raw = match v {
                Value::Bool(b) | Value::Bit(b) => i128::from(*b),
                Value::Bits(bits) => bits_low_u128(bits) as i128,
                Value::Int(i) => *i,
                Value::Uint(u) => *u as i128,
                Value::Float(f) => float_to_i128(*f)?,
                _ => return Err(refuse()),
            };
            Value::Int(wrap_int(raw, w))
        }
        Type::Uint(w) => {
            let w = check_width("uint", *w)?;
            let raw = match v {
                Value::Bool(b) | Value::Bit(b) => u128::from(*b),
                Value::Bits(bits) => bits_low_u128(bits),
                Value::Int(i) => *i as u128,
                Value::Uint(u) => *u,
                Value::Float(f) => float_to_i128(*f)? as u128,
                _ => return Err(refuse()),
            };
            Value::Uint(wrap_uint(raw, w))
        }
        Type::Float(w) => {
            let f = match v {
                Value::Bool(b) | Value::Bit(b) => f64::from(u8::from(*b)),
                Value::Int(i) => *i as f64,
                Value::Uint(u) => *u as f64,
                // The table forbids angle → float, but the spec's own examples write
                // `float(angle)`: the value in radians.
                Value::Float(f) | Value::Angle(f) => *f,
                _ => return Err(refuse()),
            };
            Value::Float(round_float(f, *w))
        }
        Type::Angle(w) => match v {
            Value::Float(f) => Value::Angle(quantise_angle(*f, *w, Grid::Nearest)?),
            Value::Angle(a) => Value::Angle(quantise_angle(*a, *w, Grid::Truncate)?),
            Value::Bits(bits) => {
                let n = bits.len();
                if w.is_some_and(|w| w as usize != n) || n == 0 || n > 128 {
                    return Err(refuse());
                }
                let a = angle_from_pattern(bits_to_u128(bits)?, n as u32);
                Value::Angle(quantise_angle(a, *w, Grid::Truncate)?)
            }
            _ => return Err(refuse()),
        },
        Type::Complex(w) => {
            let (re, im) = match v {
                Value::Bool(b) | Value::Bit(b) => (f64::from(u8::from(*b)), 0.0),
                Value::Int(i) => (*i as f64, 0.0),
                Value::Uint(u) => (*u as f64, 0.0),
                Value::Float(f) => (*f, 0.0),
                Value::Complex { re, im } => (*re, *im),
                _ => return Err(refuse()),
            };
            Value::Complex {
                re: round_float(re, *w),
                im: round_float(im, *w),
            }
        }
        Type::Duration | Type::Stretch => match v {
            Value::Duration { .. } => v.clone(),
            _ => return Err(refuse()),
        },
        Type::Array { elem, dims } => match v {
            Value::Array { dims: d, items } if d == dims => Value::Array {
                dims: dims.clone(),
                items: items
                    .iter()
                    .map(|x| cast(x, elem))
                    .collect::<Result<_, _>>()?,
            },
            _ => return Err(refuse()),
        },
    })
}

/// The low 128 bits of a register as an unsigned integer (wider registers wrap, as any
/// narrowing conversion does).
pub fn bits_low_u128(bits: &[bool]) -> u128 {
    bits.iter()
        .take(128)
        .enumerate()
        .fold(0, |acc, (i, b)| acc | (u128::from(*b) << i))
}

impl Value {
    /// This value converted to `to` as assignment does: [`cast`].
    pub fn cast(&self, to: &Type) -> Result<Value, EvalError> {
        cast(self, to)
    }
}

/// The zero/default value of a type (declaration without initialiser).
pub fn zero(ty: &Type) -> Result<Value, EvalError> {
    Ok(match ty {
        Type::Bit => Value::Bit(false),
        Type::Bits(n) => Value::Bits(pattern_bits(0, *n, false)?),
        Type::Bool => Value::Bool(false),
        Type::Int(w) => {
            check_width("int", *w)?;
            Value::Int(0)
        }
        Type::Uint(w) => {
            check_width("uint", *w)?;
            Value::Uint(0)
        }
        Type::Float(_) => Value::Float(0.0),
        Type::Angle(_) => Value::Angle(0.0),
        Type::Complex(_) => Value::Complex { re: 0.0, im: 0.0 },
        Type::Duration | Type::Stretch => Value::Duration { ns: 0.0, dt: 0.0 },
        Type::Array { elem, dims } => {
            let count = array_len(dims)?;
            if matches!(elem.as_ref(), Type::Array { .. }) {
                return Err(mismatch("an array's elements cannot be arrays"));
            }
            let z = zero(elem)?;
            // An element that is itself large (a bit register) counts toward the budget too.
            let per = match &z {
                Value::Bits(b) => b.len().max(1) as u64,
                _ => 1,
            };
            if count.saturating_mul(per) > MAX_ITEMS {
                return Err(too_large(format!(
                    "{ty} holds more than {MAX_ITEMS} values"
                )));
            }
            Value::Array {
                dims: dims.clone(),
                items: vec![z; count as usize],
            }
        }
    })
}

/// The number of elements of an array with these dimensions, checked against [`MAX_ITEMS`].
pub fn array_len(dims: &[u32]) -> Result<u64, EvalError> {
    let mut n: u64 = 1;
    // Each dimension is bounded on its own too: a zero elsewhere must not let one huge
    // dimension through to a selection that lists its positions.
    if dims.iter().any(|d| u64::from(*d) > MAX_ITEMS) {
        return Err(too_large(format!("an array of dimensions {dims:?}")));
    }
    for d in dims {
        n = n
            .checked_mul(u64::from(*d))
            .filter(|n| *n <= MAX_ITEMS)
            .ok_or_else(|| too_large(format!("an array of dimensions {dims:?}")))?;
    }
    Ok(n)
}
