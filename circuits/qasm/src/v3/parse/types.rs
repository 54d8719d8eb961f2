//! Types as written (`int[32]`, `complex[float[64]]`, `array[float[64], 3, n]`, `readonly
//! array[int[8], #dim = 2]`) and the formal parameters of `def` and `extern`.

use crate::v3::ast::{ArrayRefDims, Expr, ParamAst, TypeAst};

use super::expr::taller;
use super::lex::{Parser, Res, eat, expected, ident_raw, is_ident_char, name, punct, ws};

/// A type and the height of the tallest expression in it.
type TallType<'a> = (TypeAst<'a>, usize);

impl Parser {
    /// A scalar or array type at `i` (after blanks).
    pub(super) fn ty<'a>(&mut self, i: &'a str) -> Res<'a, TallType<'a>> {
        let i = ws(i);
        match ident_raw(i) {
            Some((r, "array")) => self.array_type(i, r),
            _ => self.scalar_type(i),
        }
    }

    /// A type in a statement: its expressions' heights are recorded (see
    /// [`Parser::tallest`]).
    pub(super) fn stmt_ty<'a>(&mut self, i: &'a str) -> Res<'a, TypeAst<'a>> {
        let (r, (t, h)) = self.ty(i)?;
        self.note_height(h);
        Ok((r, t))
    }

    /// A scalar type: `bit`, `int`, `uint`, `float`, `angle` (each with an optional width),
    /// `bool`, `duration`, `stretch`, `complex` or `complex[float[n]]`.
    pub(super) fn scalar_type<'a>(&mut self, i: &'a str) -> Res<'a, TallType<'a>> {
        let i = ws(i);
        let Some((r, w)) = ident_raw(i) else {
            return expected(i, "a type");
        };
        let sized = |p: &mut Self, make: fn(Option<Box<Expr<'a>>>) -> TypeAst<'a>| {
            let (r, d) = p.designator(r)?;
            Ok(match d {
                Some((e, h)) => (r, (make(Some(Box::new(e))), h)),
                None => (r, (make(None), 0)),
            })
        };
        match w {
            "bit" => sized(self, TypeAst::Bit),
            "int" => sized(self, TypeAst::Int),
            "uint" => sized(self, TypeAst::Uint),
            "float" => sized(self, TypeAst::Float),
            "angle" => sized(self, TypeAst::Angle),
            "bool" => Ok((r, (TypeAst::Bool, 0))),
            "duration" => Ok((r, (TypeAst::Duration, 0))),
            "stretch" => Ok((r, (TypeAst::Stretch, 0))),
            "complex" => {
                let Some(inner) = eat(r, "[") else {
                    return Ok((r, (TypeAst::Complex(None), 0)));
                };
                let at = ws(inner);
                let (r, (t, h)) = self.nested(at, |p| p.scalar_type(at))?;
                let TypeAst::Float(width) = t else {
                    return expected(at, "'float' inside 'complex[...]'");
                };
                let r = punct(r, "]", "']' closing the complex type")?;
                Ok((r, (TypeAst::Complex(width), h)))
            }
            _ => expected(i, "a type"),
        }
    }

    /// `array[T, d0, d1, …]`: `at` is the keyword, `r` after it.
    fn array_type<'a>(&mut self, at: &'a str, r: &'a str) -> Res<'a, TallType<'a>> {
        let r = punct(r, "[", "'[' after 'array'")?;
        let (r, (elem, eh)) = self.nested(at, |p| p.scalar_type(r))?;
        let r = punct(r, ",", "',' and the array's dimensions")?;
        let (r, (dims, dh)) = self.nested(at, |p| {
            p.expr_list(r, "]", "',' or ']' closing the array type")
        })?;
        if dims.is_empty() {
            return expected(at, "an array type with at least one dimension");
        }
        let h = taller(eh, dh, at)?;
        Ok((
            r,
            (
                TypeAst::Array {
                    elem: Box::new(elem),
                    dims,
                },
                h,
            ),
        ))
    }

    /// `readonly array[T, …]` or `mutable array[T, …]`, with dimension sizes or `#dim = n`:
    /// `at` is the first keyword, `r` after it.
    fn array_ref<'a>(&mut self, at: &'a str, r: &'a str, mutable: bool) -> Res<'a, TypeAst<'a>> {
        let j = ws(r);
        let r = match ident_raw(j) {
            Some((r, "array")) => r,
            _ => return expected(j, "'array' after 'readonly' or 'mutable'"),
        };
        let r = punct(r, "[", "'[' after 'array'")?;
        let (r, (elem, _)) = self.nested(at, |p| p.scalar_type(r))?;
        let r = punct(r, ",", "',' and the array's dimensions")?;
        let j = ws(r);
        let (r, dims) = match j.strip_prefix("#dim") {
            Some(rest) if !rest.starts_with(is_ident_char) => {
                let r = punct(rest, "=", "'=' and the number of dimensions")?;
                let (r, n) = self.nested(at, |p| p.expr(r))?;
                (
                    punct(r, "]", "']' closing the array type")?,
                    ArrayRefDims::Count(Box::new(n)),
                )
            }
            _ => {
                let (r, (dims, h)) = self.nested(at, |p| {
                    p.expr_list(j, "]", "',' or ']' closing the array type")
                })?;
                self.note_height(h);
                if dims.is_empty() {
                    return expected(at, "an array type with at least one dimension");
                }
                (r, ArrayRefDims::Sizes(dims))
            }
        };
        Ok((
            r,
            TypeAst::ArrayRef {
                mutable,
                elem: Box::new(elem),
                dims,
            },
        ))
    }

    /// A formal parameter of `def` (`named`: a name must follow the type) or of `extern`
    /// (the name is optional): `int[32] a`, `qubit[2] r`, `qreg r[2]`, `creg c[2]`,
    /// `readonly array[int[8], #dim = 2] a`.
    pub(super) fn param<'a>(&mut self, i: &'a str, named: bool) -> Res<'a, ParamAst<'a>> {
        let i = ws(i);
        let word = ident_raw(i);
        let param_name = |r: &'a str| -> Res<'a, Option<crate::v3::ast::Name<'a>>> {
            if named {
                let (r, n) = name(r, "the parameter's name")?;
                return Ok((r, Some(n)));
            }
            match name(r, "") {
                Ok((r, n)) => Ok((r, Some(n))),
                Err(_) => Ok((r, None)),
            }
        };
        match word {
            Some((r, "qubit")) => {
                let (r, size) = self.designator(r)?;
                let (r, n) = param_name(r)?;
                Ok((
                    r,
                    ParamAst::Qubit {
                        size: size.map(|(e, _)| e),
                        name: n,
                    },
                ))
            }
            Some((r, kw @ ("qreg" | "creg"))) => {
                let (r, n) = param_name(r)?;
                let (r, size) = self.designator(r)?;
                let size = size.map(|(e, _)| e);
                let p = if kw == "qreg" {
                    ParamAst::Qubit { size, name: n }
                } else {
                    ParamAst::Classical {
                        ty: TypeAst::Bit(size.map(Box::new)),
                        name: n,
                    }
                };
                Ok((r, p))
            }
            Some((r, kw @ ("readonly" | "mutable"))) => {
                let (r, ty) = self.array_ref(i, r, kw == "mutable")?;
                let (r, n) = param_name(r)?;
                Ok((r, ParamAst::Classical { ty, name: n }))
            }
            Some((_, w)) if super::lex::is_type_word(w) => {
                let (r, ty) = self.stmt_ty(i)?;
                let (r, n) = param_name(r)?;
                Ok((r, ParamAst::Classical { ty, name: n }))
            }
            _ => expected(i, "a parameter's type"),
        }
    }

    /// `-> T` after blanks, if there.
    pub(super) fn return_type<'a>(&mut self, i: &'a str) -> Res<'a, Option<TypeAst<'a>>> {
        match eat(i, "->") {
            Some(r) => {
                let (r, t) = self.stmt_ty(r)?;
                Ok((r, Some(t)))
            }
            None => Ok((i, None)),
        }
    }
}
