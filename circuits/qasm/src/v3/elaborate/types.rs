//! Types: written types to [`Type`] (designators are compile-time constants), and which
//! conversions the specification allows implicitly (in assignments, initialisations, arguments
//! and mixed operands) or only as an explicit cast.

use super::elaborator::{Elaborator, invalid, unsupported};
use crate::builder::{MAX_BITS, Source, ir_budget};
use crate::error::QasmError;
use crate::v3::ast::{self, ArrayRefDims, TypeAst};
use eqisa_ir::program::types::Type;
use eqisa_ir::program::value::Value;

/// Widest `int`, `uint` and `angle` accepted: values are held in 128 bits.
pub const MAX_INT_WIDTH: u32 = 128;
/// Widest `float` (and `complex` component) accepted: values are held as `f64`.
pub const MAX_FLOAT_WIDTH: u32 = 64;
/// Most dimensions of an array, as the specification allows.
pub const MAX_ARRAY_DIMS: usize = 7;

/// Whether a value of type `from` converts to `to` without a cast, as the specification's
/// promotion rules (C99-like among `bool`, `int`, `uint`, `float`, `complex`; `bit` and `bool`
/// interchangeable; `float` to `angle` in assignments; registers only to integers of their
/// width) allow. `float` to an integer type needs an explicit cast.
pub fn implicit(from: &Type, to: &Type) -> bool {
    use Type::*;
    if from == to {
        return true;
    }
    match (from, to) {
        (Bit | Bool, Bit | Bool | Int(_) | Uint(_) | Float(_) | Complex(_)) => true,
        (Int(_) | Uint(_), Int(_) | Uint(_) | Float(_) | Complex(_) | Bool | Bit) => true,
        (Int(w) | Uint(w), Bits(n)) => w.is_none_or(|w| w == *n),
        (Bits(n), Int(w) | Uint(w)) => w.is_none_or(|w| w == *n),
        (Bits(_), Bool) => true,
        (Bits(n), Angle(Some(m))) | (Angle(Some(m)), Bits(n)) => n == m,
        (Float(_), Float(_) | Complex(_) | Angle(_)) => true,
        (Angle(_), Angle(_) | Bool) => true,
        (Complex(_), Complex(_)) => true,
        (Duration | Stretch, Duration | Stretch) => true,
        (Array { elem: a, dims: d }, Array { elem: b, dims: e }) => d == e && implicit(a, b),
        _ => false,
    }
}

/// Whether `to(value of from)` is an allowed cast (the specification's table of casts).
pub fn explicit(from: &Type, to: &Type) -> bool {
    use Type::*;
    if implicit(from, to) {
        return true;
    }
    matches!(
        (from, to),
        (Float(_), Int(_) | Uint(_) | Bool | Bit)
            | (Int(_) | Uint(_) | Bool | Bit, Bits(_))
            | (Bits(_), Int(_) | Uint(_) | Angle(_) | Bit)
            | (Angle(_), Bits(_) | Bit)
            | (Bit, Angle(_))
    )
}

/// Whether values of the type are numbers arithmetic applies to (integers, reals, complex;
/// `bool` and `bit` count as integers, a register as an unsigned integer of its width).
pub fn numeric(t: &Type) -> bool {
    t.is_integral() || matches!(t, Type::Float(_) | Type::Complex(_))
}

/// The type an integral operand takes in arithmetic: `bool`/`bit` as `int`, a register as
/// `uint` of its width.
pub fn arith_view(t: &Type) -> Type {
    match t {
        Type::Bit | Type::Bool => Type::Int(None),
        Type::Bits(n) => Type::Uint(Some(*n)),
        t => t.clone(),
    }
}

/// The larger of two optional widths, "no width" (the machine's) being the largest.
fn wider(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        _ => None,
    }
}

/// The common type of two numeric operands (C99's usual arithmetic conversions): complex over
/// float over integers, the wider width within a kind; between `int` and `uint` the unsigned
/// one when its width is at least the signed one's. A literal operand (`a_const`/`b_const`)
/// takes the other operand's integer type, so that `u + 1` stays unsigned.
pub fn promote(a: &Type, b: &Type, a_const: bool, b_const: bool) -> Option<Type> {
    use Type::*;
    let (a, b) = (arith_view(a), arith_view(b));
    Some(match (&a, &b) {
        (Complex(x), Complex(y)) => Complex(wider(*x, *y)),
        (Complex(x), Float(_) | Int(_) | Uint(_)) | (Float(_) | Int(_) | Uint(_), Complex(x)) => {
            Complex(*x)
        }
        (Float(x), Float(y)) => Float(wider(*x, *y)),
        (Float(x), Int(_) | Uint(_)) | (Int(_) | Uint(_), Float(x)) => Float(*x),
        (Int(x), Int(y)) => Int(wider(*x, *y)),
        (Uint(x), Uint(y)) => Uint(wider(*x, *y)),
        (Int(_), Uint(_)) | (Uint(_), Int(_)) if a_const != b_const => {
            if a_const {
                b.clone()
            } else {
                a.clone()
            }
        }
        (Int(s), Uint(u)) | (Uint(u), Int(s)) => {
            let unsigned_wins = match (u, s) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(u), Some(s)) => u >= s,
            };
            if unsigned_wins { Uint(*u) } else { Int(*s) }
        }
        _ => return None,
    })
}

impl Elaborator {
    /// The type `t` as written; designators must be compile-time constants in range.
    pub(super) fn ty(
        &mut self,
        t: &TypeAst<'_>,
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<Type, QasmError> {
        Ok(match t {
            TypeAst::Bit(None) => Type::Bit,
            TypeAst::Bit(Some(n)) => {
                Type::Bits(self.const_size(n, "a bit register's size", MAX_BITS, src)?)
            }
            TypeAst::Bool => Type::Bool,
            TypeAst::Int(w) => Type::Int(self.width(w.as_deref(), "int", MAX_INT_WIDTH, src)?),
            TypeAst::Uint(w) => Type::Uint(self.width(w.as_deref(), "uint", MAX_INT_WIDTH, src)?),
            TypeAst::Float(w) => {
                Type::Float(self.width(w.as_deref(), "float", MAX_FLOAT_WIDTH, src)?)
            }
            TypeAst::Angle(w) => {
                Type::Angle(self.width(w.as_deref(), "angle", MAX_INT_WIDTH, src)?)
            }
            TypeAst::Complex(w) => {
                Type::Complex(self.width(w.as_deref(), "complex", MAX_FLOAT_WIDTH, src)?)
            }
            TypeAst::Duration => Type::Duration,
            TypeAst::Stretch => Type::Stretch,
            TypeAst::Array { elem, dims } => self.array_type(elem, dims, at, src)?,
            TypeAst::ArrayRef { elem, dims, .. } => match dims {
                ArrayRefDims::Sizes(d) => self.array_type(elem, d, at, src)?,
                ArrayRefDims::Count(_) => {
                    return Err(unsupported(
                        src,
                        at,
                        "array parameters declared by their number of dimensions (#dim = n); give the sizes".into(),
                    ));
                }
            },
        })
    }

    fn array_type(
        &mut self,
        elem: &TypeAst<'_>,
        dims: &[ast::Expr<'_>],
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<Type, QasmError> {
        if dims.is_empty() || dims.len() > MAX_ARRAY_DIMS {
            return Err(invalid(
                src,
                at,
                format!("an array has 1 to {MAX_ARRAY_DIMS} dimensions"),
            ));
        }
        // Checked before the element's type is read, so that nested array types do not
        // recurse.
        if matches!(elem, TypeAst::Array { .. } | TypeAst::ArrayRef { .. }) {
            return Err(invalid(
                src,
                at,
                "arrays of arrays are not allowed: give the dimensions in one array type".into(),
            ));
        }
        let elem = self.ty(elem, at, src)?;
        if matches!(elem, Type::Stretch | Type::Bit | Type::Bits(_)) {
            return Err(invalid(
                src,
                at,
                format!("arrays of {elem} are not allowed"),
            ));
        }
        // As many elements as a register may have bits: an array's values are held whole.
        let budget = MAX_BITS.min(ir_budget());
        let mut total: u64 = 1;
        let mut out = Vec::with_capacity(dims.len());
        for d in dims {
            let n = self.const_size(d, "an array dimension", budget, src)?;
            total = total.saturating_mul(u64::from(n));
            if total > budget {
                return Err(src.err(
                    d.at,
                    crate::error::ErrorKind::TooLarge {
                        what: "the number of array elements".into(),
                        limit: budget,
                    },
                ));
            }
            out.push(n);
        }
        Ok(Type::Array {
            elem: Box::new(elem),
            dims: out,
        })
    }

    fn width(
        &mut self,
        w: Option<&ast::Expr<'_>>,
        name: &str,
        max: u32,
        src: &mut Source<'_>,
    ) -> Result<Option<u32>, QasmError> {
        let Some(w) = w else { return Ok(None) };
        let what = format!("the width of {name}");
        self.const_size(w, &what, u64::from(max), src).map(Some)
    }

    /// A size or width: a compile-time constant integer from 1 to `max`.
    pub(super) fn const_size(
        &mut self,
        e: &ast::Expr<'_>,
        what: &str,
        max: u64,
        src: &mut Source<'_>,
    ) -> Result<u32, QasmError> {
        let v = self.const_value(e, what, src)?;
        let n = match v {
            Value::Int(i) => u64::try_from(i).ok(),
            Value::Uint(u) => u64::try_from(u).ok(),
            _ => {
                return Err(invalid(src, e.at, format!("{what} must be an integer")));
            }
        };
        match n {
            Some(n) if n >= 1 && n <= max && n <= u64::from(u32::MAX) => Ok(n as u32),
            _ => Err(invalid(
                src,
                e.at,
                format!("{what} must be from 1 to {max}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promotion_follows_c99_and_keeps_literals_out_of_the_way() {
        use Type::*;
        assert_eq!(promote(&Int(None), &Int(None), true, true), Some(Int(None)));
        assert_eq!(
            promote(&Int(Some(8)), &Float(None), false, false),
            Some(Float(None))
        );
        assert_eq!(
            promote(&Uint(Some(8)), &Int(None), false, true),
            Some(Uint(Some(8)))
        );
        assert_eq!(
            promote(&Uint(Some(32)), &Int(Some(32)), false, false),
            Some(Uint(Some(32)))
        );
        assert_eq!(
            promote(&Uint(Some(8)), &Int(Some(32)), false, false),
            Some(Int(Some(32)))
        );
        assert_eq!(
            promote(&Bits(4), &Int(None), false, true),
            Some(Uint(Some(4)))
        );
        assert_eq!(
            promote(&Complex(None), &Int(None), false, false),
            Some(Complex(None))
        );
        assert_eq!(promote(&Duration, &Int(None), false, false), None);
    }

    #[test]
    fn floats_need_a_cast_to_become_integers() {
        use Type::*;
        assert!(!implicit(&Float(None), &Int(None)));
        assert!(explicit(&Float(None), &Int(None)));
        assert!(implicit(&Int(Some(8)), &Float(None)));
        assert!(implicit(&Float(None), &Angle(None)));
        assert!(!implicit(&Angle(None), &Float(None)));
        assert!(!explicit(&Duration, &Float(None)));
        assert!(implicit(&Bits(4), &Uint(Some(4))));
        assert!(!implicit(&Bits(4), &Uint(Some(8))));
        assert!(implicit(&Bool, &Bit) && implicit(&Bit, &Bool));
    }
}
