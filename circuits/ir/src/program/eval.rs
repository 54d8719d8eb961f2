//! Evaluation of classical expressions with OpenQASM 3's semantics, the casts that assignment
//! and explicit conversions perform, the zero of each type, and stores into parts of values.
//!
//! Choices where the specification leaves room (each is what `cast` and `eval` do):
//! - Integers are computed in 128 bits with wrapping arithmetic and reduced to their declared
//!   width when stored or cast (two's complement for `int[n]`, modulo 2^n for `uint[n]`); an
//!   unsized `int`/`uint` is 64 bits. Because wrapping is a ring homomorphism, `+ - *` then
//!   agree with exact arithmetic reduced to the width.
//! - `/` and `%` between integers truncate toward zero (`-7 / 2 == -3`, `-7 % 2 == -1`);
//!   `i128::MIN / -1` wraps. `**` between integers with a non-negative exponent is a wrapping
//!   integer power; with a negative one it is the real power (a float), `0 ** -1` an error.
//! - Mixed `int`/`uint` arithmetic is unsigned (C99), but comparisons compare the mathematical
//!   values, so `-1 < 1u` holds. Floats follow IEEE 754 (`1.0 / 0.0` is infinite).
//! - `>>` of a negative `int` is arithmetic; shifting by the width or more gives 0 (or -1).
//! - Values do not carry widths, so operations whose result depends on a width the value does
//!   not know (`~` of a `uint`, `rotl` of a `uint`, bitwise operations on angles) are either
//!   reduced when stored, or refused with a message asking for a cast to `bit[n]`.
//! - Float to integer truncates toward zero; NaN and infinities are errors, as are values
//!   beyond 2^127; in range, the result wraps to the width.
//! - A float cast to `angle[n]` rounds to the nearest point of the 2π/2^n grid, ties to even;
//!   an angle cast to a narrower `angle[n]` (or to `bit[n]`) truncates, which the spec allows
//!   and which makes `angle / uint` stored into its `angle[n]` the quotient of the bit patterns
//!   (values are radians without a width, so `angle / uint` itself divides the radians).
//!   Widths of 53 bits and more keep the double's precision.
//! - `float[n]` for n ≤ 32 rounds to single precision; wider floats are doubles.

use std::cell::Cell;
use std::cmp::Ordering;

use num_complex::Complex64;

pub use super::convert::{
    DEFAULT_INT_WIDTH, MAX_BITS, MAX_ITEMS, array_len, bits_to_u128, cast, norm_angle, to_index,
    truthy, wrap_int, wrap_uint, zero,
};
use super::convert::{bits_low_u128, pattern_bits};
pub use super::eval_error::{EvalError, EvalErrorKind, kind_name};
use super::eval_error::{domain, mismatch, too_large};
use super::expr::{BinaryOp, Builtin, CallArg, ClassicalExpr, Index, UnaryOp};
use super::ids::{Loc, SubId, VarId};
use super::types::Type;
use super::value::Value;

/// The deepest expression nesting evaluated (calls in arguments included), so that hostile
/// input cannot overflow the stack.
pub const MAX_NESTING: u32 = 256;

/// What evaluation needs from its surroundings: variables, subroutine calls and externs.
pub trait Host {
    /// The current value of a variable; `Err(EvalError::unknown(v))` when it is not known here
    /// (e.g. a measured bit at compile time).
    fn var(&self, v: VarId) -> Result<Value, EvalError>;
    /// Run a subroutine for its value (qubit arguments included).
    fn call(&mut self, sub: SubId, args: &[CallArg], loc: Loc) -> Result<Value, EvalError>;
    /// Call an extern function; hosts that cannot, return [`EvalErrorKind::Extern`].
    fn extern_call(&mut self, ext: u32, args: &[Value], loc: Loc) -> Result<Value, EvalError>;
    /// The declared width of an `int`/`uint` variable, so that its bits can be counted from
    /// the top (negative indices, open ranges). Without it an unsized 64 bits is assumed.
    fn int_width(&self, _v: VarId) -> Option<u32> {
        None
    }
}

/// One evaluated index: `[i]`, `[a:s:b]` (missing parts default to the indexed value's
/// ends and step 1) or `[{i, j}]`.
#[derive(Clone, Debug, PartialEq)]
pub enum Selector {
    /// One position: removes a dimension (a bit of a register, an element of an array).
    Single(i128),
    /// An inclusive range: keeps the dimension.
    Range {
        start: Option<i128>,
        step: Option<i128>,
        stop: Option<i128>,
    },
    /// Listed positions: keeps the dimension.
    Set(Vec<i128>),
}

impl Selector {
    /// The positions selected in a dimension of length `len`, in order. Negative indices
    /// count from the end (`-1` is the last).
    pub fn positions(&self, len: u64) -> Result<Vec<usize>, EvalError> {
        match self {
            Selector::Single(i) => Ok(vec![norm_index(*i, len)?]),
            Selector::Set(items) => items.iter().map(|i| norm_index(*i, len)).collect(),
            Selector::Range { start, step, stop } => {
                let step = step.unwrap_or(1);
                if step == 0 {
                    return Err(domain("a range's step is 0"));
                }
                let last = i128::from(len) - 1;
                if len == 0 && start.is_none() && stop.is_none() {
                    return Ok(Vec::new());
                }
                let (d0, d1) = if step > 0 { (0, last) } else { (last, 0) };
                let a = norm_index(start.unwrap_or(d0), len)? as i128;
                let b = norm_index(stop.unwrap_or(d1), len)? as i128;
                // Both ends are inside [0, len), so the walk below visits at most len positions.
                let mut out = Vec::new();
                let mut i = a;
                while (step > 0 && i <= b) || (step < 0 && i >= b) {
                    out.push(i as usize);
                    match i.checked_add(step) {
                        Some(n) => i = n,
                        None => break,
                    }
                }
                Ok(out)
            }
        }
    }
}

/// An index `i` into a dimension of length `len`, negative ones counting from the end.
pub fn norm_index(i: i128, len: u64) -> Result<usize, EvalError> {
    let l = i128::from(len);
    let j = if i < 0 { i + l } else { i };
    if (0..l).contains(&j) {
        usize::try_from(j).map_err(|_| too_large(format!("index {i}")))
    } else {
        Err(EvalError::new(EvalErrorKind::IndexOutOfRange {
            index: i,
            len,
        }))
    }
}

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Counts nesting across re-entrant evaluation (a host evaluating call arguments), released
/// when dropped.
struct DepthGuard;

impl DepthGuard {
    fn enter() -> Result<DepthGuard, EvalError> {
        DEPTH.with(|d| {
            let n = d.get();
            if n >= MAX_NESTING {
                Err(EvalError::new(EvalErrorKind::Nesting(MAX_NESTING)))
            } else {
                d.set(n + 1);
                Ok(DepthGuard)
            }
        })
    }
}

impl Drop for DepthGuard {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Evaluate an expression.
pub fn eval(e: &ClassicalExpr, host: &mut dyn Host) -> Result<Value, EvalError> {
    let _guard = DepthGuard::enter()?;
    match e {
        ClassicalExpr::Const(v) => Ok(v.clone()),
        ClassicalExpr::Var(v) => host.var(*v),
        ClassicalExpr::Index(base, ixs) => {
            let int_len = match base.as_ref() {
                ClassicalExpr::Var(v) => host.int_width(*v),
                _ => None,
            }
            .unwrap_or(DEFAULT_INT_WIDTH);
            let value = eval(base, host)?;
            let sels = ixs
                .iter()
                .map(|ix| eval_index(ix, host))
                .collect::<Result<Vec<_>, _>>()?;
            index_value(&value, &sels, int_len)
        }
        ClassicalExpr::Unary(op, x) => unary(*op, &eval(x, host)?),
        ClassicalExpr::Binary(op @ (BinaryOp::And | BinaryOp::Or), a, b) => {
            // Short-circuit, as C does: the right side may call a subroutine or an extern.
            let a = truthy(&eval(a, host)?)?;
            if (*op == BinaryOp::And) != a {
                return Ok(Value::Bool(a));
            }
            Ok(Value::Bool(truthy(&eval(b, host)?)?))
        }
        ClassicalExpr::Binary(op, a, b) => {
            let a = eval(a, host)?;
            let b = eval(b, host)?;
            binary(*op, &a, &b)
        }
        ClassicalExpr::Cast(ty, x) => cast(&eval(x, host)?, ty),
        ClassicalExpr::Builtin(f, args) => {
            let vals = args
                .iter()
                .map(|a| eval(a, host))
                .collect::<Result<Vec<_>, _>>()?;
            builtin(*f, &vals)
        }
        ClassicalExpr::Call(sub, args, loc) => host.call(*sub, args, *loc).map_err(|e| e.at(*loc)),
        ClassicalExpr::Extern(ext, args, loc) => {
            let vals = args
                .iter()
                .map(|a| eval(a, host))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.at(*loc))?;
            host.extern_call(*ext, &vals, *loc).map_err(|e| e.at(*loc))
        }
    }
}

/// Evaluate the parts of an index.
pub fn eval_index(ix: &Index, host: &mut dyn Host) -> Result<Selector, EvalError> {
    let mut int = |e: &ClassicalExpr| -> Result<i128, EvalError> { to_index(&eval(e, host)?) };
    Ok(match ix {
        Index::Single(e) => Selector::Single(int(e)?),
        Index::Range { start, step, stop } => Selector::Range {
            start: start.as_ref().map(&mut int).transpose()?,
            step: step.as_ref().map(&mut int).transpose()?,
            stop: stop.as_ref().map(&mut int).transpose()?,
        },
        Index::Set(items) => Selector::Set(items.iter().map(int).collect::<Result<_, _>>()?),
    })
}

// ---------------------------------------------------------------------------------------------
// Indexing and stores.

/// The selected part of a value: a bit of an integer or register, a slice of a register, an
/// element or sub-array of an array. Array indices apply one per dimension (`a[i][j]` and
/// `a[i, j]` alike); indices beyond an array's dimensions apply to the element. Integers are
/// `int_len` bits long for negative indices and open ranges.
pub fn index_value(v: &Value, sels: &[Selector], int_len: u32) -> Result<Value, EvalError> {
    let Some((first, rest)) = sels.split_first() else {
        return Ok(v.clone());
    };
    match v {
        Value::Bits(bits) => {
            let pos = first.positions(bits.len() as u64)?;
            let picked = match first {
                Selector::Single(_) => {
                    Value::Bit(pos.first().and_then(|p| bits.get(*p)) == Some(&true))
                }
                _ => Value::Bits(pos.iter().map(|p| bits.get(*p) == Some(&true)).collect()),
            };
            index_value(&picked, rest, int_len)
        }
        Value::Int(_) | Value::Uint(_) => {
            let pattern = int_pattern(v)?;
            let bits = pattern_bits(
                pattern,
                int_len.min(128),
                matches!(v, Value::Int(i) if *i < 0),
            )?;
            index_value(&Value::Bits(bits), sels, int_len)
        }
        Value::Array { dims, items } => {
            let (taken, rest) = sels.split_at(sels.len().min(dims.len()));
            let (flat, shape) = array_selection(dims, taken)?;
            if shape.is_empty() {
                let item = flat
                    .first()
                    .and_then(|i| items.get(*i))
                    .ok_or_else(|| mismatch("an array index outside its data"))?;
                return index_value(item, rest, int_len);
            }
            if !rest.is_empty() {
                return Err(mismatch(
                    "a sub-array cannot be indexed further in one step",
                ));
            }
            let picked = flat
                .iter()
                .map(|i| items.get(*i).cloned())
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| mismatch("an array index outside its data"))?;
            Ok(Value::Array {
                dims: shape,
                items: picked,
            })
        }
        other => Err(mismatch(format!("{} cannot be indexed", kind_name(other)))),
    }
}

fn int_pattern(v: &Value) -> Result<u128, EvalError> {
    match v {
        Value::Int(i) => Ok(*i as u128),
        Value::Uint(u) => Ok(*u),
        other => Err(mismatch(format!("{} is not an integer", kind_name(other)))),
    }
}

/// The flat positions an array selection picks, row-major, and the shape of the result (the
/// dimensions a range or set kept, then the unindexed ones).
fn array_selection(dims: &[u32], sels: &[Selector]) -> Result<(Vec<usize>, Vec<u32>), EvalError> {
    let mut flat = vec![0usize];
    let mut shape = Vec::new();
    array_len(dims)?;
    for (k, d) in dims.iter().enumerate() {
        let pos = match sels.get(k) {
            Some(s) => {
                let p = s.positions(u64::from(*d))?;
                if !matches!(s, Selector::Single(_)) {
                    shape.push(u32::try_from(p.len()).map_err(|_| too_large("a selection"))?);
                }
                p
            }
            None => {
                shape.push(*d);
                (0..*d as usize).collect()
            }
        };
        let count = (flat.len() as u64).saturating_mul(pos.len() as u64);
        if count > MAX_ITEMS {
            return Err(too_large("an array selection with more than 2^24 elements"));
        }
        let mut next = Vec::with_capacity(count as usize);
        for base in &flat {
            for p in &pos {
                next.push(base * (*d as usize) + p);
            }
        }
        flat = next;
    }
    Ok((flat, shape))
}

/// Store `v` into `whole[index...]` (a bit of an integer or register, a slice, an array
/// element or sub-array), returning the new whole value. Integers are 64 bits long for
/// negative indices and open ranges; [`store_in`] takes the width.
pub fn store(whole: &Value, index: &[Selector], v: Value) -> Result<Value, EvalError> {
    store_in(whole, index, v, DEFAULT_INT_WIDTH)
}

/// [`store`] into an integer of `int_len` bits.
pub fn store_in(
    whole: &Value,
    index: &[Selector],
    v: Value,
    int_len: u32,
) -> Result<Value, EvalError> {
    let Some((first, rest)) = index.split_first() else {
        return Ok(v);
    };
    match whole {
        Value::Bits(bits) => {
            let pos = first.positions(bits.len() as u64)?;
            let mut out = bits.clone();
            if let Selector::Single(_) = first {
                let p = pos.first().copied().unwrap_or(0);
                let old = Value::Bit(bits.get(p) == Some(&true));
                let new = store_in(&old, rest, v, int_len)?;
                let b = match cast(&new, &Type::Bit)? {
                    Value::Bit(b) => b,
                    _ => false,
                };
                if let Some(slot) = out.get_mut(p) {
                    *slot = b;
                }
            } else {
                if !rest.is_empty() {
                    return Err(mismatch("a slice of a register cannot be indexed further"));
                }
                let src = match &v {
                    Value::Bits(b) => b.clone(),
                    other => match cast(other, &Type::Bits(pos.len() as u32))? {
                        Value::Bits(b) => b,
                        _ => Vec::new(),
                    },
                };
                if src.len() != pos.len() {
                    return Err(mismatch(format!(
                        "{} bits stored into a slice of {}",
                        src.len(),
                        pos.len()
                    )));
                }
                for (p, b) in pos.iter().zip(src) {
                    if let Some(slot) = out.get_mut(*p) {
                        *slot = b;
                    }
                }
            }
            Ok(Value::Bits(out))
        }
        Value::Int(_) | Value::Uint(_) => {
            let neg = matches!(whole, Value::Int(i) if *i < 0);
            let bits = pattern_bits(int_pattern(whole)?, int_len.min(128), neg)?;
            let Value::Bits(new) = store_in(&Value::Bits(bits), index, v, int_len)? else {
                return Err(mismatch("a store into an integer"));
            };
            let raw = bits_low_u128(&new);
            // Bits above int_len keep the sign extension of the stored pattern.
            Ok(match whole {
                Value::Int(_) => Value::Int(wrap_int(raw as i128, int_len)),
                _ => Value::Uint(wrap_uint(raw, int_len)),
            })
        }
        Value::Array { dims, items } => {
            let (taken, rest) = index.split_at(index.len().min(dims.len()));
            let (flat, shape) = array_selection(dims, taken)?;
            let mut items = items.clone();
            if shape.is_empty() {
                let slot = flat
                    .first()
                    .and_then(|i| items.get_mut(*i))
                    .ok_or_else(|| mismatch("an array index outside its data"))?;
                *slot = store_in(slot, rest, v, int_len)?;
            } else {
                let Value::Array {
                    dims: vd,
                    items: vi,
                } = v
                else {
                    return Err(mismatch(format!(
                        "{} stored into a sub-array of shape {shape:?}",
                        kind_name(&v)
                    )));
                };
                if vd != shape || !rest.is_empty() {
                    return Err(mismatch(format!(
                        "an array of shape {vd:?} stored into a sub-array of shape {shape:?}"
                    )));
                }
                for (i, x) in flat.iter().zip(vi) {
                    if let Some(slot) = items.get_mut(*i) {
                        *slot = x;
                    }
                }
            }
            Ok(Value::Array {
                dims: dims.clone(),
                items,
            })
        }
        Value::Bit(_) | Value::Bool(_) => Err(mismatch("a single bit cannot be indexed")),
        other => Err(mismatch(format!("{} cannot be indexed", kind_name(other)))),
    }
}

// ---------------------------------------------------------------------------------------------
// Operators.

/// A value as a number for arithmetic: booleans and bits promote to `int`, registers to `uint`.
#[derive(Clone, Copy, Debug)]
enum Num {
    I(i128),
    U(u128),
    F(f64),
    C(Complex64),
}

fn num(v: &Value) -> Result<Option<Num>, EvalError> {
    Ok(Some(match v {
        Value::Bool(b) | Value::Bit(b) => Num::I(i128::from(*b)),
        Value::Bits(bits) => Num::U(bits_to_u128(bits)?),
        Value::Int(i) => Num::I(*i),
        Value::Uint(u) => Num::U(*u),
        Value::Float(f) => Num::F(*f),
        Value::Complex { re, im } => Num::C(Complex64::new(*re, *im)),
        _ => return Ok(None),
    }))
}

impl Num {
    fn f(self) -> f64 {
        match self {
            Num::I(i) => i as f64,
            Num::U(u) => u as f64,
            Num::F(f) => f,
            Num::C(c) => c.re,
        }
    }
    fn c(self) -> Complex64 {
        match self {
            Num::C(c) => c,
            other => Complex64::new(other.f(), 0.0),
        }
    }
    fn u(self) -> u128 {
        match self {
            Num::I(i) => i as u128,
            Num::U(u) => u,
            other => other.f() as u128,
        }
    }
    fn value(self) -> Value {
        match self {
            Num::I(i) => Value::Int(i),
            Num::U(u) => Value::Uint(u),
            Num::F(f) => Value::Float(f),
            Num::C(c) => Value::Complex { re: c.re, im: c.im },
        }
    }
}

fn unary(op: UnaryOp, v: &Value) -> Result<Value, EvalError> {
    match (op, v) {
        (UnaryOp::Not, v) => Ok(Value::Bool(!truthy(v)?)),
        (UnaryOp::Neg, Value::Angle(a)) => Ok(Value::Angle(norm_angle(-a))),
        (UnaryOp::Neg, Value::Duration { ns, dt }) => Ok(Value::Duration { ns: -ns, dt: -dt }),
        (UnaryOp::BitNot, Value::Bits(b)) => Ok(Value::Bits(b.iter().map(|x| !x).collect())),
        (UnaryOp::BitNot, Value::Bit(b)) => Ok(Value::Bit(!b)),
        (UnaryOp::BitNot, Value::Bool(b)) => Ok(Value::Bool(!b)),
        (UnaryOp::BitNot, Value::Int(i)) => Ok(Value::Int(!i)),
        (UnaryOp::BitNot, Value::Uint(u)) => Ok(Value::Uint(!u)),
        (UnaryOp::Neg, v) => match num(v)? {
            Some(Num::I(i)) => Ok(Value::Int(i.wrapping_neg())),
            Some(Num::U(u)) => Ok(Value::Uint(u.wrapping_neg())),
            Some(Num::F(f)) => Ok(Value::Float(-f)),
            Some(Num::C(c)) => Ok(Num::C(-c).value()),
            None => Err(mismatch(format!("{} cannot be negated", kind_name(v)))),
        },
        (UnaryOp::BitNot, v) => Err(mismatch(format!(
            "~ is not defined on {} (bitwise operations on angles need their width: cast to bit[n])",
            kind_name(v)
        ))),
    }
}

/// Apply a binary operator to two values (`&&` and `||` without short-circuit).
pub fn binary(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, EvalError> {
    use BinaryOp::*;
    match op {
        And => Ok(Value::Bool(truthy(a)? && truthy(b)?)),
        Or => Ok(Value::Bool(truthy(a)? || truthy(b)?)),
        Eq | Ne | Lt | Le | Gt | Ge => compare(op, a, b),
        BitAnd | BitOr | BitXor => bitwise(op, a, b),
        Shl | Shr => shift(op, a, b),
        Add | Sub | Mul | Div | Mod | Pow => arith(op, a, b),
    }
}

fn compare(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, EvalError> {
    use BinaryOp::*;
    let ord: Option<Ordering> = match (a, b) {
        (Value::Array { .. }, _) | (_, Value::Array { .. }) => {
            if !matches!(op, Eq | Ne) {
                return Err(mismatch("arrays can only be compared for equality"));
            }
            let eq = a == b;
            return Ok(Value::Bool(eq == (op == Eq)));
        }
        (Value::Bits(x), Value::Bits(y)) if x.len() > 128 || y.len() > 128 => {
            if !matches!(op, Eq | Ne) || x.len() != y.len() {
                return Err(mismatch(
                    "registers wider than 128 bits compare only for equality, at equal widths",
                ));
            }
            return Ok(Value::Bool((x == y) == (op == Eq)));
        }
        (Value::Duration { ns: an, dt: ad }, Value::Duration { ns: bn, dt: bd }) => {
            let (dn, dd) = (an - bn, ad - bd);
            if dd == 0.0 {
                dn.partial_cmp(&0.0)
            } else if dn == 0.0 || (dn.signum() == dd.signum()) {
                // Both parts move the same way, whatever a cycle lasts.
                dd.partial_cmp(&0.0)
            } else {
                return Err(EvalError::new(EvalErrorKind::DurationUnits(
                    "durations mixing dt and ns cannot be compared without the device's dt".into(),
                )));
            }
        }
        (Value::Angle(x), Value::Angle(y)) => x.partial_cmp(y),
        (Value::Angle(x), other) | (other, Value::Angle(x)) if num(other)?.is_some() => {
            let y = num(other)?.map_or(0.0, Num::f);
            if matches!(a, Value::Angle(_)) {
                x.partial_cmp(&y)
            } else {
                y.partial_cmp(x)
            }
        }
        _ => {
            let (Some(x), Some(y)) = (num(a)?, num(b)?) else {
                return Err(mismatch(format!(
                    "{} and {} cannot be compared",
                    kind_name(a),
                    kind_name(b)
                )));
            };
            match (x, y) {
                (Num::C(_), _) | (_, Num::C(_)) => {
                    if !matches!(op, Eq | Ne) {
                        return Err(mismatch("complex numbers have no order"));
                    }
                    return Ok(Value::Bool((x.c() == y.c()) == (op == Eq)));
                }
                (Num::F(_), _) | (_, Num::F(_)) => x.f().partial_cmp(&y.f()),
                (Num::I(x), Num::I(y)) => Some(x.cmp(&y)),
                (Num::U(x), Num::U(y)) => Some(x.cmp(&y)),
                // Mathematical comparison across signedness: a negative int is below any uint.
                (Num::I(x), Num::U(y)) => Some(if x < 0 {
                    Ordering::Less
                } else {
                    (x as u128).cmp(&y)
                }),
                (Num::U(x), Num::I(y)) => Some(if y < 0 {
                    Ordering::Greater
                } else {
                    x.cmp(&(y as u128))
                }),
            }
        }
    };
    let r = match ord {
        None => op == Ne, // NaN: unordered, only `!=` holds
        Some(o) => match op {
            Eq => o == Ordering::Equal,
            Ne => o != Ordering::Equal,
            Lt => o == Ordering::Less,
            Le => o != Ordering::Greater,
            Gt => o == Ordering::Greater,
            _ => o != Ordering::Less,
        },
    };
    Ok(Value::Bool(r))
}

fn bitwise(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, EvalError> {
    let f = |x: bool, y: bool| match op {
        BinaryOp::BitAnd => x & y,
        BinaryOp::BitOr => x | y,
        _ => x ^ y,
    };
    let g = |x: u128, y: u128| match op {
        BinaryOp::BitAnd => x & y,
        BinaryOp::BitOr => x | y,
        _ => x ^ y,
    };
    match (a, b) {
        (Value::Bits(x), Value::Bits(y)) => {
            if x.len() != y.len() {
                return Err(mismatch(format!(
                    "bitwise operation between bit[{}] and bit[{}]",
                    x.len(),
                    y.len()
                )));
            }
            Ok(Value::Bits(
                x.iter().zip(y).map(|(p, q)| f(*p, *q)).collect(),
            ))
        }
        (Value::Bool(x), Value::Bool(y)) => Ok(Value::Bool(f(*x, *y))),
        (Value::Bit(x) | Value::Bool(x), Value::Bit(y) | Value::Bool(y)) => {
            Ok(Value::Bit(f(*x, *y)))
        }
        (Value::Angle(_), _) | (_, Value::Angle(_)) => Err(mismatch(
            "bitwise operations on angles need their width: cast to bit[n]",
        )),
        _ => match (num(a)?, num(b)?) {
            (Some(Num::I(x)), Some(Num::I(y))) => Ok(Value::Int(g(x as u128, y as u128) as i128)),
            (Some(x @ (Num::I(_) | Num::U(_))), Some(y @ (Num::I(_) | Num::U(_)))) => {
                Ok(Value::Uint(g(x.u(), y.u())))
            }
            _ => Err(mismatch(format!(
                "bitwise operations are not defined between {} and {}",
                kind_name(a),
                kind_name(b)
            ))),
        },
    }
}

fn shift(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, EvalError> {
    let k = match num(b)? {
        Some(Num::I(k)) if k >= 0 => k as u128,
        Some(Num::U(k)) => k,
        _ => {
            return Err(domain(format!(
                "a shift amount must be a non-negative integer, not {}",
                kind_name(b)
            )));
        }
    };
    let left = op == BinaryOp::Shl;
    match a {
        Value::Bits(bits) => {
            let n = bits.len();
            let k = usize::try_from(k).unwrap_or(usize::MAX).min(n);
            // Bit 0 is least significant: a left shift moves bits toward higher indices.
            let out = (0..n)
                .map(|i| {
                    let src = if left {
                        i.checked_sub(k)
                    } else {
                        i.checked_add(k)
                    };
                    src.and_then(|s| bits.get(s)).copied().unwrap_or(false)
                })
                .collect();
            Ok(Value::Bits(out))
        }
        Value::Int(i) => Ok(Value::Int(if k >= 128 {
            if left || *i >= 0 { 0 } else { -1 }
        } else if left {
            i.wrapping_shl(k as u32)
        } else {
            i >> k
        })),
        Value::Uint(u) => Ok(Value::Uint(if k >= 128 {
            0
        } else if left {
            u.wrapping_shl(k as u32)
        } else {
            u >> k
        })),
        Value::Bool(_) | Value::Bit(_) => shift(op, &Value::Int(i128::from(truthy(a)?)), b),
        other => Err(mismatch(format!(
            "{} cannot be shifted (angles need their width: cast to bit[n])",
            kind_name(other)
        ))),
    }
}

fn ipow(mut base: i128, mut e: u128) -> i128 {
    let mut acc: i128 = 1;
    while e > 0 {
        if e & 1 == 1 {
            acc = acc.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        e >>= 1;
    }
    acc
}

fn upow(mut base: u128, mut e: u128) -> u128 {
    let mut acc: u128 = 1;
    while e > 0 {
        if e & 1 == 1 {
            acc = acc.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        e >>= 1;
    }
    acc
}

fn arith(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, EvalError> {
    use BinaryOp::*;
    // Durations.
    match (a, b) {
        (Value::Duration { ns: an, dt: ad }, Value::Duration { ns: bn, dt: bd }) => {
            return match op {
                Add => Ok(Value::Duration {
                    ns: an + bn,
                    dt: ad + bd,
                }),
                Sub => Ok(Value::Duration {
                    ns: an - bn,
                    dt: ad - bd,
                }),
                Div => duration_ratio((*an, *ad), (*bn, *bd)).map(Value::Float),
                _ => Err(mismatch(format!(
                    "durations cannot be combined with {op:?}"
                ))),
            };
        }
        (Value::Duration { ns, dt }, other) | (other, Value::Duration { ns, dt }) => {
            let k = match num(other)? {
                Some(n @ (Num::I(_) | Num::U(_) | Num::F(_))) => n.f(),
                _ => {
                    return Err(mismatch(format!(
                        "a duration cannot be combined with {}",
                        kind_name(other)
                    )));
                }
            };
            let dur_left = matches!(a, Value::Duration { .. });
            return match op {
                Mul => Ok(Value::Duration {
                    ns: ns * k,
                    dt: dt * k,
                }),
                Div if dur_left => {
                    if k == 0.0 {
                        Err(EvalError::new(EvalErrorKind::DivisionByZero))
                    } else {
                        Ok(Value::Duration {
                            ns: ns / k,
                            dt: dt / k,
                        })
                    }
                }
                _ => Err(mismatch(format!(
                    "{op:?} between a duration and {} is not defined",
                    kind_name(other)
                ))),
            };
        }
        _ => {}
    }
    // Angles.
    match (a, b) {
        (Value::Angle(x), Value::Angle(y)) => {
            return match op {
                Add => Ok(Value::Angle(norm_angle(x + y))),
                Sub => Ok(Value::Angle(norm_angle(x - y))),
                Div => angle_ratio(*x, *y).map(Value::Uint),
                _ => Ok(Value::Float(real_op(op, *x, *y)?)),
            };
        }
        (Value::Angle(x), other) | (other, Value::Angle(x)) => {
            let angle_left = matches!(a, Value::Angle(_));
            match num(other)? {
                Some(n @ (Num::I(_) | Num::U(_))) => match op {
                    Mul => return Ok(Value::Angle(norm_angle(x * n.f()))),
                    Div if angle_left => {
                        if n.f() == 0.0 {
                            return Err(EvalError::new(EvalErrorKind::DivisionByZero));
                        }
                        return Ok(Value::Angle(norm_angle(x / n.f())));
                    }
                    _ => {}
                },
                Some(Num::C(_)) | None => {
                    return Err(mismatch(format!(
                        "an angle cannot be combined with {}",
                        kind_name(other)
                    )));
                }
                Some(Num::F(_)) => {}
            }
            // Anything else is real arithmetic on the angle's radians.
            let y = num(other)?.map_or(0.0, Num::f);
            let (l, r) = if angle_left { (*x, y) } else { (y, *x) };
            return Ok(Value::Float(real_op(op, l, r)?));
        }
        _ => {}
    }
    let (Some(x), Some(y)) = (num(a)?, num(b)?) else {
        return Err(mismatch(format!(
            "{op:?} is not defined between {} and {}",
            kind_name(a),
            kind_name(b)
        )));
    };
    let div0 = || EvalError::new(EvalErrorKind::DivisionByZero);
    Ok(match (x, y) {
        (Num::C(_), _) | (_, Num::C(_)) => {
            let (p, q) = (x.c(), y.c());
            let r = match op {
                Add => p + q,
                Sub => p - q,
                Mul => p * q,
                Div => p / q,
                Pow => p.powc(q),
                _ => return Err(mismatch("% is not defined on complex numbers")),
            };
            Num::C(r).value()
        }
        (Num::F(_), _) | (_, Num::F(_)) => Value::Float(real_op(op, x.f(), y.f())?),
        (Num::I(p), Num::I(q)) => match op {
            Add => Value::Int(p.wrapping_add(q)),
            Sub => Value::Int(p.wrapping_sub(q)),
            Mul => Value::Int(p.wrapping_mul(q)),
            Div if q == 0 => return Err(div0()),
            Div => Value::Int(p.wrapping_div(q)),
            Mod if q == 0 => return Err(div0()),
            Mod => Value::Int(p.wrapping_rem(q)),
            _ if q >= 0 => Value::Int(ipow(p, q as u128)),
            _ if p == 0 => return Err(div0()),
            _ => Value::Float((p as f64).powf(q as f64)),
        },
        (Num::I(p), Num::U(q)) if op == Pow => Value::Int(ipow(p, q)),
        (Num::U(p), Num::I(q)) if op == Pow && q < 0 => {
            if p == 0 {
                return Err(div0());
            }
            Value::Float((p as f64).powf(q as f64))
        }
        _ => {
            // Unsigned arithmetic, C99's choice for mixed signedness.
            let (p, q) = (x.u(), y.u());
            match op {
                Add => Value::Uint(p.wrapping_add(q)),
                Sub => Value::Uint(p.wrapping_sub(q)),
                Mul => Value::Uint(p.wrapping_mul(q)),
                Div if q == 0 => return Err(div0()),
                Div => Value::Uint(p / q),
                Mod if q == 0 => return Err(div0()),
                Mod => Value::Uint(p % q),
                _ => Value::Uint(upow(p, q)),
            }
        }
    })
}

fn real_op(op: BinaryOp, x: f64, y: f64) -> Result<f64, EvalError> {
    use BinaryOp::*;
    Ok(match op {
        Add => x + y,
        Sub => x - y,
        Mul => x * y,
        Div => x / y,
        Mod => x % y,
        Pow => x.powf(y),
        _ => return Err(mismatch(format!("{op:?} is not arithmetic"))),
    })
}

/// `angle / angle`: the unsigned quotient of their bit patterns, computed on radians. A
/// quotient within rounding error of an integer is that integer (10·(π/8) / (π/8) is 10).
fn angle_ratio(x: f64, y: f64) -> Result<u128, EvalError> {
    if y == 0.0 {
        return Err(EvalError::new(EvalErrorKind::DivisionByZero));
    }
    let r = x / y;
    if !r.is_finite() || r < 0.0 {
        return Err(domain(format!("{x} / {y} has no angle quotient")));
    }
    let n = r.round();
    let q = if (r - n).abs() <= 1e-9 * n.max(1.0) {
        n
    } else {
        r.floor()
    };
    if q >= 2f64.powi(128) {
        return Err(too_large("an angle quotient beyond 2^128"));
    }
    Ok(q as u128)
}

/// `duration / duration`, when the `dt` and `ns` parts allow it without a device.
fn duration_ratio((an, ad): (f64, f64), (bn, bd): (f64, f64)) -> Result<f64, EvalError> {
    let div0 = || EvalError::new(EvalErrorKind::DivisionByZero);
    if ad == 0.0 && bd == 0.0 {
        if bn == 0.0 { Err(div0()) } else { Ok(an / bn) }
    } else if an == 0.0 && bn == 0.0 {
        if bd == 0.0 { Err(div0()) } else { Ok(ad / bd) }
    } else if bn != 0.0 && bd != 0.0 && an / bn == ad / bd {
        Ok(an / bn)
    } else {
        Err(EvalError::new(EvalErrorKind::DurationUnits(
            "a ratio of durations mixing dt and ns needs the device's dt".into(),
        )))
    }
}

// ---------------------------------------------------------------------------------------------
// Built-in functions.

fn arity(f: Builtin, args: &[Value], n: usize) -> Result<(), EvalError> {
    if args.len() == n {
        Ok(())
    } else {
        Err(mismatch(format!(
            "{f:?} takes {n} argument(s), not {}",
            args.len()
        )))
    }
}

fn real_arg(f: Builtin, v: &Value) -> Result<f64, EvalError> {
    match v {
        Value::Angle(a) => Ok(*a),
        other => match num(other)? {
            Some(n @ (Num::I(_) | Num::U(_) | Num::F(_))) => Ok(n.f()),
            _ => Err(mismatch(format!(
                "{f:?} is not defined on {}",
                kind_name(other)
            ))),
        },
    }
}

/// Apply a built-in function to evaluated arguments.
pub fn builtin(f: Builtin, args: &[Value]) -> Result<Value, EvalError> {
    use Builtin::*;
    let first = args.first();
    match f {
        Sin | Cos | Tan | Arcsin | Arccos | Arctan | Ceiling | Floor => {
            arity(f, args, 1)?;
            let x = real_arg(f, first.unwrap_or(&Value::Float(0.0)))?;
            Ok(Value::Float(match f {
                Sin => x.sin(),
                Cos => x.cos(),
                Tan => x.tan(),
                Arcsin => x.asin(),
                Arccos => x.acos(),
                Arctan => x.atan(),
                Ceiling => x.ceil(),
                _ => x.floor(),
            }))
        }
        Exp | Log | Sqrt => {
            arity(f, args, 1)?;
            let v = first.cloned().unwrap_or(Value::Float(0.0));
            if let Value::Complex { re, im } = v {
                let c = Complex64::new(re, im);
                let r = match f {
                    Exp => c.exp(),
                    Log => c.ln(),
                    _ => c.sqrt(),
                };
                return Ok(Num::C(r).value());
            }
            let x = real_arg(f, &v)?;
            Ok(Value::Float(match f {
                Exp => x.exp(),
                Log => x.ln(),
                _ => x.sqrt(),
            }))
        }
        Mod => {
            arity(f, args, 2)?;
            match args {
                [a, b] => arith(BinaryOp::Mod, a, b),
                _ => Err(mismatch("mod takes two arguments")),
            }
        }
        Popcount => {
            arity(f, args, 1)?;
            let n = match first {
                Some(Value::Bits(b)) => b.iter().filter(|x| **x).count() as u128,
                Some(Value::Bit(b) | Value::Bool(b)) => u128::from(*b),
                Some(Value::Uint(u)) => u128::from(u.count_ones()),
                Some(Value::Int(i)) if *i >= 0 => u128::from(i.count_ones()),
                _ => {
                    return Err(mismatch(
                        "popcount takes a bit register or a non-negative integer (cast others to bit[n])",
                    ));
                }
            };
            Ok(Value::Uint(n))
        }
        Rotl | Rotr => {
            arity(f, args, 2)?;
            let (Some(Value::Bits(bits)), Some(k)) = (first, args.get(1)) else {
                return Err(mismatch(
                    "rotl/rotr take a bit register and an integer (cast a uint to bit[n] first: its width matters)",
                ));
            };
            let n = bits.len();
            if n == 0 {
                return Ok(Value::Bits(Vec::new()));
            }
            let k = to_index(k)?.rem_euclid(n as i128) as usize;
            // Left rotation moves bit i to i + k (toward the most significant end).
            let shift = if f == Rotl { k } else { (n - k) % n };
            let out = (0..n)
                .map(|i| bits.get((i + n - shift) % n).copied().unwrap_or(false))
                .collect();
            Ok(Value::Bits(out))
        }
        Real | Imag => {
            arity(f, args, 1)?;
            match first.map(num).transpose()?.flatten() {
                Some(Num::C(c)) => Ok(Value::Float(if f == Real { c.re } else { c.im })),
                Some(n) => Ok(Value::Float(if f == Real { n.f() } else { 0.0 })),
                None => Err(mismatch("real/imag take a number")),
            }
        }
        Sizeof => {
            let dim = match args {
                [_] => 0,
                [_, d] => to_index(d)?,
                _ => return Err(mismatch("sizeof takes an array and an optional dimension")),
            };
            let Some(Value::Array { dims, .. }) = first else {
                return Err(mismatch("sizeof takes an array"));
            };
            let d = usize::try_from(dim)
                .ok()
                .and_then(|d| dims.get(d))
                .ok_or(EvalError::new(EvalErrorKind::IndexOutOfRange {
                    index: dim,
                    len: dims.len() as u64,
                }))?;
            Ok(Value::Uint(u128::from(*d)))
        }
    }
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
