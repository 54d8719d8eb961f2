//! Classical expressions: names resolved, operand types promoted with the casts made explicit,
//! anything whose inputs are all known folded into a constant (between integers `1/5` is 0).

use super::elaborator::{Elaborator, invalid, unsupported};
use super::scope::{Reach, Symbol};
use super::types::{arith_view, explicit, implicit, numeric, promote};
use crate::builder::Source;
use crate::error::{ErrorKind, QasmError};
use crate::v3::ast::{self, BinaryOpAst, ExprKind, IndexAst, IndexItem, UnaryOpAst};
use eqisa_ir::circuit::TimeUnit;
use eqisa_ir::program::eval::{self, Host};
use eqisa_ir::program::eval_error::{EvalError, EvalErrorKind};
use eqisa_ir::program::expr::{BinaryOp, Builtin, CallArg, ClassicalExpr, Index, UnaryOp};
use eqisa_ir::program::ids::{Loc, SubId, VarId};
use eqisa_ir::program::types::Type;
use eqisa_ir::program::value::Value;

/// A host for folding: every variable and call is unknown at compile time.
struct Folding;

impl Host for Folding {
    fn var(&self, v: VarId) -> Result<Value, EvalError> {
        Err(EvalError {
            loc: None,
            kind: EvalErrorKind::Unknown(v),
        })
    }

    fn call(&mut self, _: SubId, _: &[CallArg], loc: Loc) -> Result<Value, EvalError> {
        Err(EvalError {
            loc: Some(loc),
            kind: EvalErrorKind::Unknown(VarId(u32::MAX)),
        })
    }

    fn extern_call(&mut self, _: u32, _: &[Value], loc: Loc) -> Result<Value, EvalError> {
        Err(EvalError {
            loc: Some(loc),
            kind: EvalErrorKind::Unknown(VarId(u32::MAX)),
        })
    }
}

/// The built-in constants: `pi`/`π`, `tau`/`τ`, `euler`/`ℇ`.
pub fn builtin_constant(name: &str) -> Option<f64> {
    match name {
        "pi" | "π" => Some(std::f64::consts::PI),
        "tau" | "τ" => Some(std::f64::consts::TAU),
        "euler" | "ℇ" => Some(std::f64::consts::E),
        _ => None,
    }
}

/// The built-in function of that name.
fn builtin(name: &str) -> Option<Builtin> {
    Some(match name {
        "sin" => Builtin::Sin,
        "cos" => Builtin::Cos,
        "tan" => Builtin::Tan,
        "arcsin" => Builtin::Arcsin,
        "arccos" => Builtin::Arccos,
        "arctan" => Builtin::Arctan,
        "exp" => Builtin::Exp,
        "log" => Builtin::Log,
        "sqrt" => Builtin::Sqrt,
        "ceiling" => Builtin::Ceiling,
        "floor" => Builtin::Floor,
        "mod" => Builtin::Mod,
        "popcount" => Builtin::Popcount,
        "rotl" => Builtin::Rotl,
        "rotr" => Builtin::Rotr,
        "real" => Builtin::Real,
        "imag" => Builtin::Imag,
        "sizeof" => Builtin::Sizeof,
        _ => return None,
    })
}

fn is_const(e: &ClassicalExpr) -> bool {
    matches!(e, ClassicalExpr::Const(_))
}

/// The value of an integer literal.
fn int_literal(w: &eqisa_ir::circuit::Wide) -> Option<Value> {
    w.to_u64().map(|v| Value::Int(i128::from(v)))
}

/// A bit-string literal (`"0101"`, most significant first) as a value.
fn bit_string(s: &str) -> Option<Value> {
    let mut bits = Vec::with_capacity(s.len());
    for c in s.chars().rev() {
        match c {
            '0' => bits.push(false),
            '1' => bits.push(true),
            '_' => {}
            _ => return None,
        }
    }
    Some(Value::Bits(bits))
}

/// A duration literal as nanoseconds and device cycles.
pub fn duration_value(v: f64, unit: TimeUnit) -> Value {
    let ns = match unit {
        TimeUnit::Dt => return Value::Duration { ns: 0.0, dt: v },
        TimeUnit::Ns => v,
        TimeUnit::Us => v * 1e3,
        TimeUnit::Ms => v * 1e6,
        TimeUnit::S => v * 1e9,
    };
    Value::Duration { ns, dt: 0.0 }
}

/// The IR operator of a binary operator as written.
pub fn binary_op(op: BinaryOpAst) -> BinaryOp {
    match op {
        BinaryOpAst::Pow => BinaryOp::Pow,
        BinaryOpAst::Mul => BinaryOp::Mul,
        BinaryOpAst::Div => BinaryOp::Div,
        BinaryOpAst::Mod => BinaryOp::Mod,
        BinaryOpAst::Add => BinaryOp::Add,
        BinaryOpAst::Sub => BinaryOp::Sub,
        BinaryOpAst::Shl => BinaryOp::Shl,
        BinaryOpAst::Shr => BinaryOp::Shr,
        BinaryOpAst::Lt => BinaryOp::Lt,
        BinaryOpAst::Le => BinaryOp::Le,
        BinaryOpAst::Gt => BinaryOp::Gt,
        BinaryOpAst::Ge => BinaryOp::Ge,
        BinaryOpAst::Eq => BinaryOp::Eq,
        BinaryOpAst::Ne => BinaryOp::Ne,
        BinaryOpAst::BitAnd => BinaryOp::BitAnd,
        BinaryOpAst::BitXor => BinaryOp::BitXor,
        BinaryOpAst::BitOr => BinaryOp::BitOr,
        BinaryOpAst::And => BinaryOp::And,
        BinaryOpAst::Or => BinaryOp::Or,
    }
}

/// How an operator is written, for messages.
fn symbol(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Mod => "%",
        BinaryOp::Pow => "**",
        BinaryOp::Shl => "<<",
        BinaryOp::Shr => ">>",
        BinaryOp::BitAnd => "&",
        BinaryOp::BitOr => "|",
        BinaryOp::BitXor => "^",
        BinaryOp::And => "&&",
        BinaryOp::Or => "||",
        BinaryOp::Eq => "==",
        BinaryOp::Ne => "!=",
        BinaryOp::Lt => "<",
        BinaryOp::Le => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::Ge => ">=",
    }
}

/// The number of elements a constant index selects from `len`, and whether each is in range;
/// `None` when the index is not constant.
pub fn const_index_len(ix: &Index, len: u64) -> Option<Result<u64, i128>> {
    let get = |e: &ClassicalExpr| match e {
        ClassicalExpr::Const(Value::Int(i)) => Some(*i),
        ClassicalExpr::Const(Value::Uint(u)) => i128::try_from(*u).ok(),
        _ => None,
    };
    let n = len as i128;
    let check = |i: i128| if i < -n || i >= n { Err(i) } else { Ok(()) };
    match ix {
        Index::Single(e) => Some(check(get(e)?).map(|()| 1)),
        Index::Set(items) => {
            for e in items {
                if let Err(i) = check(get(e)?) {
                    return Some(Err(i));
                }
            }
            Some(Ok(items.len() as u64))
        }
        Index::Range { start, step, stop } => {
            let a = match start {
                Some(e) => get(e)?,
                None => 0,
            };
            let s = match step {
                Some(e) => get(e)?,
                None => 1,
            };
            let b = match stop {
                Some(e) => get(e)?,
                None => n - 1,
            };
            let norm = |i: i128| if i < 0 { i + n } else { i };
            if let Err(i) = check(a).and(check(b)) {
                return Some(Err(i));
            }
            let (a, b) = (norm(a), norm(b));
            if s == 0 {
                return Some(Err(0));
            }
            let count = if (s > 0 && b < a) || (s < 0 && b > a) {
                0
            } else {
                (b - a) / s + 1
            };
            Some(Ok(count as u64))
        }
    }
}

impl Elaborator {
    /// Fold `e` to a constant when its operands all are; an error in a constant expression
    /// (a division by zero) is reported at `at`.
    pub(super) fn fold(
        &self,
        e: ClassicalExpr,
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<ClassicalExpr, QasmError> {
        let foldable = match &e {
            ClassicalExpr::Unary(_, a) | ClassicalExpr::Cast(_, a) => is_const(a),
            ClassicalExpr::Binary(_, a, b) => is_const(a) && is_const(b),
            ClassicalExpr::Builtin(_, args) => args.iter().all(is_const),
            ClassicalExpr::Index(b, ix) => {
                is_const(b)
                    && ix.iter().all(|i| match i {
                        Index::Single(e) => is_const(e),
                        Index::Set(v) => v.iter().all(is_const),
                        Index::Range { start, step, stop } => [start, step, stop]
                            .iter()
                            .all(|p| p.as_ref().is_none_or(is_const)),
                    })
            }
            _ => false,
        };
        if !foldable {
            return Ok(e);
        }
        match eval::eval(&e, &mut Folding) {
            Ok(v) => Ok(ClassicalExpr::Const(v)),
            Err(EvalError {
                kind: EvalErrorKind::Unknown(_),
                ..
            }) => Ok(e),
            Err(err) => Err(invalid(
                src,
                at,
                format!("this constant expression cannot be evaluated: {}", err.kind),
            )),
        }
    }

    /// `e` converted to `to`, folded.
    pub(super) fn cast(
        &self,
        e: ClassicalExpr,
        from: &Type,
        to: &Type,
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<ClassicalExpr, QasmError> {
        if from == to {
            return Ok(e);
        }
        self.fold(ClassicalExpr::Cast(to.clone(), Box::new(e)), at, src)
    }

    /// `e` of type `from` where a `to` is expected (`what`: "assigned to 'x'", "the argument
    /// 'a' of 'f'"): converted when the specification converts implicitly, an error naming
    /// both types otherwise.
    pub(super) fn coerce(
        &self,
        e: ClassicalExpr,
        from: &Type,
        to: &Type,
        what: &str,
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<ClassicalExpr, QasmError> {
        if implicit(from, to) {
            return self.cast(e, from, to, at, src);
        }
        let hint = if explicit(from, to) {
            format!(" without an explicit cast ({to}(…))")
        } else {
            String::new()
        };
        Err(invalid(
            src,
            at,
            format!("a value of type {from} cannot be {what} of type {to}{hint}"),
        ))
    }

    /// The value of an expression that must be known at compile time (`what` says where it
    /// is needed).
    pub(super) fn const_value(
        &mut self,
        e: &ast::Expr<'_>,
        what: &str,
        src: &mut Source<'_>,
    ) -> Result<Value, QasmError> {
        let (v, _) = self.expr(e, src)?;
        match v {
            ClassicalExpr::Const(v) => Ok(v),
            _ => Err(invalid(
                src,
                e.at,
                format!("{what} must be a compile-time constant"),
            )),
        }
    }

    /// A classical expression with its type.
    pub(super) fn expr(
        &mut self,
        e: &ast::Expr<'_>,
        src: &mut Source<'_>,
    ) -> Result<(ClassicalExpr, Type), QasmError> {
        match self.expr_any(e, src)? {
            (x, Some(t)) => Ok((x, t)),
            (_, None) => Err(invalid(
                src,
                e.at,
                "this call returns no value, but a value is needed here".into(),
            )),
        }
    }

    /// A classical expression with its type, `None` for a call of a subroutine that returns
    /// nothing (allowed only as a statement).
    pub(super) fn expr_any(
        &mut self,
        e: &ast::Expr<'_>,
        src: &mut Source<'_>,
    ) -> Result<(ClassicalExpr, Option<Type>), QasmError> {
        self.enter(e.at, src)?;
        let r = self.expr_inner(e, src);
        self.leave();
        r
    }

    fn expr_inner(
        &mut self,
        e: &ast::Expr<'_>,
        src: &mut Source<'_>,
    ) -> Result<(ClassicalExpr, Option<Type>), QasmError> {
        let konst = |v: Value, t: Type| Ok((ClassicalExpr::Const(v), Some(t)));
        match &e.kind {
            ExprKind::Int(w) => match int_literal(w) {
                Some(v) => konst(v, Type::Int(None)),
                None => Err(unsupported(
                    src,
                    e.at,
                    "integer literals of more than 64 bits".into(),
                )),
            },
            ExprKind::Float(f) => konst(Value::Float(*f), Type::Float(None)),
            ExprKind::Imaginary(f) => {
                konst(Value::Complex { re: 0.0, im: *f }, Type::Complex(None))
            }
            ExprKind::Bool(b) => konst(Value::Bool(*b), Type::Bool),
            ExprKind::BitString(s) => match bit_string(s) {
                Some(Value::Bits(b)) if !b.is_empty() => {
                    let n = b.len() as u32;
                    konst(Value::Bits(b), Type::Bits(n))
                }
                _ => Err(invalid(
                    src,
                    e.at,
                    "a bit string holds only 0, 1 and underscores".into(),
                )),
            },
            ExprKind::Duration(v, unit) => konst(duration_value(*v, *unit), Type::Duration),
            ExprKind::Name(n) => self
                .name_value(n.text, e.at, src)
                .map(|(x, t)| (x, Some(t))),
            ExprKind::Physical(n) => Err(invalid(
                src,
                e.at,
                format!("the physical qubit ${n} is not a classical value"),
            )),
            ExprKind::Index(base, ix) => self
                .index_value(base, ix, e.at, src)
                .map(|(x, t)| (x, Some(t))),
            ExprKind::Unary(op, a) => self.unary(*op, a, e.at, src).map(|(x, t)| (x, Some(t))),
            ExprKind::Binary(op, a, b) => {
                let (x, tx) = self.expr(a, src)?;
                let (y, ty) = self.expr(b, src)?;
                self.binary(binary_op(*op), (x, tx), (y, ty), e.at, src)
                    .map(|(x, t)| (x, Some(t)))
            }
            ExprKind::Cast(t, a) => {
                let to = self.ty(t, e.at, src)?;
                let (x, from) = self.expr(a, src)?;
                if !explicit(&from, &to) {
                    return Err(invalid(
                        src,
                        e.at,
                        format!("a value of type {from} cannot be cast to {to}"),
                    ));
                }
                let x = self.fold(ClassicalExpr::Cast(to.clone(), Box::new(x)), e.at, src)?;
                Ok((x, Some(to)))
            }
            ExprKind::Call(name, args) => self.call_expr(name.text, args, e.at, src),
            ExprKind::Durationof(stmts) => {
                // The block is checked like any other but never runs: only its length counts.
                let mut block = Vec::new();
                self.block(stmts, e.at, &mut block, src)?;
                match super::timing::block_duration(&block, self.prog.circuit.num_qubits) {
                    Ok(d) => Ok((ClassicalExpr::Const(d), Some(Type::Duration))),
                    Err(what) => Err(unsupported(
                        src,
                        e.at,
                        format!(
                            "durationof(…) of a block with {what}: its duration needs the \
                             device's gate durations, which a program read without a device does \
                             not have (blocks of delays and barriers are measured)"
                        ),
                    )),
                }
            }
            ExprKind::ArrayLiteral(_) => Err(invalid(
                src,
                e.at,
                "an array literal {…} may only initialise an array declaration".into(),
            )),
            ExprKind::Measure(_) => Err(invalid(
                src,
                e.at,
                "measure may only be a statement, or the value assigned to a bit or bit register"
                    .into(),
            )),
        }
    }

    /// A call in an expression: a built-in function unless a subroutine or extern of that
    /// name exists.
    pub(super) fn call_expr(
        &mut self,
        name: &str,
        args: &[ast::Expr<'_>],
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(ClassicalExpr, Option<Type>), QasmError> {
        match self.scopes.lookup(name) {
            Some((Symbol::Sub(id), _)) => {
                let id = *id;
                return self.call_sub(id, args, at, src);
            }
            Some((Symbol::Extern(k), _)) => {
                let k = *k;
                return self.call_extern(k, args, at, src);
            }
            _ => {}
        }
        match builtin(name) {
            Some(b) => self
                .builtin_call(b, name, args, at, src)
                .map(|(x, t)| (x, Some(t))),
            None if self.gates.get(name).is_some() => Err(invalid(
                src,
                at,
                format!("'{name}' is a gate: it is applied to qubits, not called for a value"),
            )),
            None => Err(invalid(
                src,
                at,
                format!("'{name}' is not a subroutine, extern or built-in function"),
            )),
        }
    }

    /// The value of a name.
    pub(super) fn name_value(
        &mut self,
        name: &str,
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(ClassicalExpr, Type), QasmError> {
        if let Some(v) = builtin_constant(name) {
            return Ok((ClassicalExpr::Const(Value::Float(v)), Type::Float(None)));
        }
        match self.scopes.lookup(name) {
            Some((Symbol::Var(v), reach)) => {
                let v = *v;
                // A subroutine or gate body sees the global constants, not the global
                // variables, whose values it could not know when called.
                if reach == Reach::GlobalFromBody
                    && self.consts.get(v.0 as usize).is_none_or(Option::is_none)
                {
                    return Err(invalid(
                        src,
                        at,
                        format!(
                            "the global variable '{name}' is not visible inside a subroutine or gate (only global constants are): pass it as an argument"
                        ),
                    ));
                }
                let ty = self
                    .prog
                    .vars
                    .get(v.0 as usize)
                    .map(|var| var.ty.clone())
                    .unwrap_or(Type::Bool);
                match self.consts.get(v.0 as usize) {
                    Some(Some(value)) => Ok((ClassicalExpr::Const(value.clone()), ty)),
                    _ => Ok((ClassicalExpr::Var(v), ty)),
                }
            }
            Some((Symbol::Qubits { .. } | Symbol::Alias(_), Reach::GlobalFromBody)) => {
                Err(invalid(
                    src,
                    at,
                    format!(
                        "'{name}' is a global qubit register: qubits are not visible inside a subroutine or gate, and are not classical values"
                    ),
                ))
            }
            Some((Symbol::Qubits { .. } | Symbol::Alias(_) | Symbol::QubitParam { .. }, _)) => {
                Err(invalid(
                    src,
                    at,
                    format!("'{name}' is a qubit, where a classical value is expected"),
                ))
            }
            Some((Symbol::Sub(_) | Symbol::Extern(_), _)) => Err(invalid(
                src,
                at,
                format!("'{name}' is a subroutine: call it with its arguments, {name}(…)"),
            )),
            None if self.gates.get(name).is_some() => Err(invalid(
                src,
                at,
                format!("'{name}' is a gate, where a classical value is expected"),
            )),
            None => Err(src.err(at, ErrorKind::UndefinedParameter(name.to_string()))),
        }
    }

    /// One index as written, its parts elaborated (integers expected).
    pub(super) fn index_items(
        &mut self,
        ix: &IndexAst<'_>,
        src: &mut Source<'_>,
    ) -> Result<Vec<Index>, QasmError> {
        let mut out = Vec::new();
        match ix {
            IndexAst::Set(items) => {
                let mut v = Vec::with_capacity(items.len());
                for e in items {
                    v.push(self.int_expr(e, src)?);
                }
                out.push(Index::Set(v));
            }
            IndexAst::Items(items) => {
                for it in items {
                    out.push(match it {
                        IndexItem::Single(e) => Index::Single(self.int_expr(e, src)?),
                        IndexItem::Range(r) => {
                            let mut part = |p: &Option<Box<ast::Expr<'_>>>| {
                                p.as_deref().map(|e| self.int_expr(e, src)).transpose()
                            };
                            Index::Range {
                                start: part(&r.start)?,
                                step: part(&r.step)?,
                                stop: part(&r.stop)?,
                            }
                        }
                    });
                }
            }
        }
        Ok(out)
    }

    /// An expression that must be an integer (an index, a loop bound).
    pub(super) fn int_expr(
        &mut self,
        e: &ast::Expr<'_>,
        src: &mut Source<'_>,
    ) -> Result<ClassicalExpr, QasmError> {
        let (x, t) = self.expr(e, src)?;
        match t {
            Type::Int(_) | Type::Uint(_) => Ok(x),
            Type::Bit | Type::Bool | Type::Bits(_) => self.cast(x, &t, &Type::Int(None), e.at, src),
            t => Err(invalid(
                src,
                e.at,
                format!("an integer is expected here, not a value of type {t}"),
            )),
        }
    }

    /// `base[…]` as a value: bits of a register or integer, elements of an array.
    fn index_value(
        &mut self,
        base: &ast::Expr<'_>,
        ix: &IndexAst<'_>,
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(ClassicalExpr, Type), QasmError> {
        let (b, ty) = self.expr(base, src)?;
        let items = self.index_items(ix, src)?;
        let ty = indexed_type(&ty, &items, at, src)?;
        // `a[i][j]` is one index list on `a`.
        let x = match b {
            ClassicalExpr::Index(inner, mut first) => {
                first.extend(items);
                ClassicalExpr::Index(inner, first)
            }
            b => ClassicalExpr::Index(Box::new(b), items),
        };
        Ok((self.fold(x, at, src)?, ty))
    }

    fn unary(
        &mut self,
        op: UnaryOpAst,
        a: &ast::Expr<'_>,
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(ClassicalExpr, Type), QasmError> {
        let (x, t) = self.expr(a, src)?;
        let (x, t, op) = match op {
            UnaryOpAst::Neg => match &t {
                Type::Int(_)
                | Type::Uint(_)
                | Type::Float(_)
                | Type::Complex(_)
                | Type::Angle(_)
                | Type::Duration
                | Type::Stretch => (x, t, UnaryOp::Neg),
                Type::Bit | Type::Bool | Type::Bits(_) => {
                    let to = arith_view(&t);
                    (self.cast(x, &t, &to, at, src)?, to, UnaryOp::Neg)
                }
                _ => return Err(bad_operand(src, at, "-", &t)),
            },
            UnaryOpAst::Not => {
                if !explicit(&t, &Type::Bool) {
                    return Err(bad_operand(src, at, "!", &t));
                }
                (
                    self.cast(x, &t, &Type::Bool, at, src)?,
                    Type::Bool,
                    UnaryOp::Not,
                )
            }
            UnaryOpAst::BitNot => match &t {
                Type::Int(_) | Type::Uint(_) | Type::Bits(_) | Type::Bit | Type::Angle(_) => {
                    (x, t, UnaryOp::BitNot)
                }
                _ => return Err(bad_operand(src, at, "~", &t)),
            },
        };
        let e = self.fold(ClassicalExpr::Unary(op, Box::new(x)), at, src)?;
        Ok((e, t))
    }

    /// `a op b` with its operands converted to their common type.
    pub(super) fn binary(
        &self,
        op: BinaryOp,
        (a, ta): (ClassicalExpr, Type),
        (b, tb): (ClassicalExpr, Type),
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(ClassicalExpr, Type), QasmError> {
        use BinaryOp::*;
        let dur = |t: &Type| matches!(t, Type::Duration | Type::Stretch);
        let int = |t: &Type| matches!(t, Type::Int(_) | Type::Uint(_));
        let angle = |t: &Type| matches!(t, Type::Angle(_));
        let mismatch = |src: &mut Source<'_>| {
            invalid(
                src,
                at,
                format!(
                    "'{}' does not apply to values of types {ta} and {tb}",
                    symbol(op)
                ),
            )
        };
        // Operands cast to one type `common`; the result is `out`.
        let (common_a, common_b, out): (Type, Type, Type) = match op {
            And | Or => {
                if !explicit(&ta, &Type::Bool) || !explicit(&tb, &Type::Bool) {
                    return Err(mismatch(src));
                }
                (Type::Bool, Type::Bool, Type::Bool)
            }
            Shl | Shr => {
                let shiftable = |t: &Type| int(t) || matches!(t, Type::Bits(_) | Type::Angle(_));
                if !shiftable(&ta) || !tb.is_integral() || matches!(tb, Type::Bits(_)) {
                    return Err(mismatch(src));
                }
                (ta.clone(), tb.clone(), ta.clone())
            }
            BitAnd | BitOr | BitXor => match (&ta, &tb) {
                (Type::Bits(n), Type::Bits(m)) if n == m => (ta.clone(), tb.clone(), ta.clone()),
                (Type::Bits(n), t) | (t, Type::Bits(n)) if int(t) => {
                    (Type::Bits(*n), Type::Bits(*n), Type::Bits(*n))
                }
                (Type::Bit, Type::Bit) => (Type::Bit, Type::Bit, Type::Bit),
                (Type::Bit | Type::Bool, Type::Bit | Type::Bool) => {
                    (Type::Bool, Type::Bool, Type::Bool)
                }
                (Type::Angle(x), Type::Angle(y)) if x == y => (ta.clone(), tb.clone(), ta.clone()),
                _ => match promote(&ta, &tb, is_const(&a), is_const(&b)) {
                    Some(t @ (Type::Int(_) | Type::Uint(_))) => (t.clone(), t.clone(), t),
                    _ => return Err(mismatch(src)),
                },
            },
            Eq | Ne | Lt | Le | Gt | Ge => {
                let common = if ta == tb {
                    ta.clone()
                } else if dur(&ta) && dur(&tb) {
                    Type::Duration
                } else if let (Type::Angle(x), Type::Angle(y)) = (&ta, &tb) {
                    Type::Angle(if x == y { *x } else { None })
                } else if matches!((&ta, &tb), (Type::Bit | Type::Bool, Type::Bit | Type::Bool)) {
                    Type::Bool
                } else if let Some(t) = promote(&ta, &tb, is_const(&a), is_const(&b)) {
                    t
                } else {
                    return Err(mismatch(src));
                };
                if matches!(common, Type::Array { .. } | Type::Complex(_)) && !matches!(op, Eq | Ne)
                {
                    return Err(mismatch(src));
                }
                (common.clone(), common, Type::Bool)
            }
            Add | Sub | Mul | Div | Mod | Pow => {
                if dur(&ta) || dur(&tb) {
                    match (op, dur(&ta), dur(&tb)) {
                        (Add | Sub, true, true) => (ta.clone(), tb.clone(), Type::Duration),
                        (Div, true, true) => (ta.clone(), tb.clone(), Type::Float(None)),
                        (Mul | Div, true, false) if numeric(&tb) => {
                            (ta.clone(), tb.clone(), Type::Duration)
                        }
                        (Mul, false, true) if numeric(&ta) => {
                            (ta.clone(), tb.clone(), Type::Duration)
                        }
                        _ => return Err(mismatch(src)),
                    }
                } else if angle(&ta) || angle(&tb) {
                    match (op, &ta, &tb) {
                        (Add | Sub, Type::Angle(x), Type::Angle(y)) => {
                            let t = Type::Angle(if x == y { *x } else { None });
                            (t.clone(), t.clone(), t)
                        }
                        (Div, Type::Angle(_), Type::Angle(_)) => {
                            (ta.clone(), tb.clone(), Type::Uint(None))
                        }
                        (Mul | Div, Type::Angle(_), t) if int(t) => {
                            (ta.clone(), tb.clone(), ta.clone())
                        }
                        (Mul, t, Type::Angle(_)) if int(t) => (ta.clone(), tb.clone(), tb.clone()),
                        _ => return Err(mismatch(src)),
                    }
                } else {
                    match promote(&ta, &tb, is_const(&a), is_const(&b)) {
                        Some(t) if numeric(&ta) && numeric(&tb) => (t.clone(), t.clone(), t),
                        _ => return Err(mismatch(src)),
                    }
                }
            }
        };
        let a = self.cast(a, &ta, &common_a, at, src)?;
        let b = self.cast(b, &tb, &common_b, at, src)?;
        let e = self.fold(ClassicalExpr::Binary(op, Box::new(a), Box::new(b)), at, src)?;
        Ok((e, out))
    }

    /// A built-in function applied to its arguments, which are converted to the overload the
    /// specification picks (the first whose inputs they convert to).
    fn builtin_call(
        &mut self,
        b: Builtin,
        name: &str,
        args: &[ast::Expr<'_>],
        at: &str,
        src: &mut Source<'_>,
    ) -> Result<(ClassicalExpr, Type), QasmError> {
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            vals.push(self.expr(a, src)?);
        }
        let arity = match b {
            Builtin::Mod | Builtin::Rotl | Builtin::Rotr => 2..=2,
            Builtin::Sizeof => 1..=2,
            _ => 1..=1,
        };
        if !arity.contains(&vals.len()) {
            return Err(invalid(
                src,
                at,
                format!(
                    "{name} takes {} argument(s), not {}",
                    arity.start(),
                    vals.len()
                ),
            ));
        }
        let wrong = |src: &mut Source<'_>, t: &Type| {
            invalid(src, at, format!("{name} does not take a value of type {t}"))
        };
        let mut out_args = Vec::with_capacity(vals.len());
        let out = match b {
            // Array sizes are part of the type: sizeof is always known here.
            Builtin::Sizeof => {
                let (_, t) = vals.remove(0);
                let Type::Array { dims, .. } = &t else {
                    return Err(wrong(src, &t));
                };
                let dim = match vals.first() {
                    None => 0,
                    Some((ClassicalExpr::Const(Value::Int(d)), _)) => *d,
                    Some((ClassicalExpr::Const(Value::Uint(d)), _)) => {
                        i128::try_from(*d).unwrap_or(-1)
                    }
                    Some(_) => {
                        return Err(invalid(
                            src,
                            at,
                            "sizeof's dimension must be a compile-time constant".into(),
                        ));
                    }
                };
                return match usize::try_from(dim).ok().and_then(|d| dims.get(d)) {
                    Some(n) => Ok((
                        ClassicalExpr::Const(Value::Uint(u128::from(*n))),
                        Type::Uint(None),
                    )),
                    None => Err(invalid(
                        src,
                        at,
                        format!("the array has {} dimension(s)", dims.len()),
                    )),
                };
            }
            Builtin::Popcount => {
                let (x, t) = vals.remove(0);
                let Type::Bits(_) = t else {
                    return Err(wrong(src, &t));
                };
                out_args.push(x);
                Type::Uint(None)
            }
            Builtin::Rotl | Builtin::Rotr => {
                let (x, t) = vals.remove(0);
                let (n, tn) = vals.remove(0);
                if !matches!(
                    t,
                    Type::Bits(_) | Type::Int(_) | Type::Uint(_) | Type::Angle(_)
                ) || !matches!(tn, Type::Int(_) | Type::Uint(_))
                {
                    return Err(wrong(src, &t));
                }
                out_args.push(x);
                out_args.push(n);
                t
            }
            Builtin::Real | Builtin::Imag => {
                let (x, t) = vals.remove(0);
                let x = self.coerce(
                    x,
                    &t,
                    &Type::Complex(None),
                    "passed to this function",
                    at,
                    src,
                )?;
                out_args.push(x);
                Type::Float(None)
            }
            Builtin::Mod => {
                let (x, tx) = vals.remove(0);
                let (y, ty) = vals.remove(0);
                let t = match promote(&tx, &ty, is_const(&x), is_const(&y)) {
                    Some(t @ (Type::Int(_) | Type::Uint(_) | Type::Float(_))) => t,
                    _ => return Err(wrong(src, &tx)),
                };
                out_args.push(self.cast(x, &tx, &t, at, src)?);
                out_args.push(self.cast(y, &ty, &t, at, src)?);
                t
            }
            _ => {
                let (x, t) = vals.remove(0);
                let complex_ok = matches!(
                    b,
                    Builtin::Exp
                        | Builtin::Log
                        | Builtin::Sqrt
                        | Builtin::Sin
                        | Builtin::Cos
                        | Builtin::Tan
                );
                let to = match &t {
                    Type::Complex(_) if complex_ok => t.clone(),
                    Type::Float(_) => t.clone(),
                    t if implicit(t, &Type::Float(None)) => Type::Float(None),
                    t => return Err(wrong(src, t)),
                };
                out_args.push(self.cast(x, &t, &to, at, src)?);
                to
            }
        };
        let e = self.fold(ClassicalExpr::Builtin(b, out_args), at, src)?;
        Ok((e, out))
    }
}

/// The type of a value of type `ty` indexed by `items` in turn; constant indices are checked
/// against the sizes the type gives.
pub fn indexed_type(
    ty: &Type,
    items: &[Index],
    at: &str,
    src: &mut Source<'_>,
) -> Result<Type, QasmError> {
    let mut ty = ty.clone();
    for (k, it) in items.iter().enumerate() {
        let last = k + 1 == items.len();
        ty = match &ty {
            Type::Bits(n) | Type::Int(Some(n)) | Type::Uint(Some(n)) | Type::Angle(Some(n)) => {
                let n = *n;
                match const_index_len(it, u64::from(n)) {
                    Some(Err(i)) => return Err(out_of_range(src, at, i, n)),
                    _ if matches!(it, Index::Single(_)) && last => Type::Bit,
                    Some(Ok(len)) if len > 0 && last => Type::Bits(len as u32),
                    _ => {
                        return Err(unsupported(
                            src,
                            at,
                            "a slice of bits whose bounds are not compile-time constants (or that is empty or indexed further)".into(),
                        ));
                    }
                }
            }
            Type::Array { elem, dims } => {
                let Some((&d0, rest)) = dims.split_first() else {
                    return Err(invalid(src, at, "too many indices for this array".into()));
                };
                match (it, const_index_len(it, u64::from(d0))) {
                    (_, Some(Err(i))) => return Err(out_of_range(src, at, i, d0)),
                    (Index::Single(_), _) if rest.is_empty() => (**elem).clone(),
                    (Index::Single(_), _) => Type::Array {
                        elem: elem.clone(),
                        dims: rest.to_vec(),
                    },
                    (_, Some(Ok(len))) if len > 0 && last => {
                        let mut d = vec![len as u32];
                        d.extend_from_slice(rest);
                        Type::Array {
                            elem: elem.clone(),
                            dims: d,
                        }
                    }
                    _ => {
                        return Err(unsupported(
                            src,
                            at,
                            "a slice of an array whose bounds are not compile-time constants (or that is indexed further)".into(),
                        ));
                    }
                }
            }
            t => {
                return Err(invalid(
                    src,
                    at,
                    format!("a value of type {t} cannot be indexed"),
                ));
            }
        };
    }
    Ok(ty)
}

fn out_of_range(src: &mut Source<'_>, at: &str, i: i128, n: u32) -> QasmError {
    invalid(
        src,
        at,
        format!("index {i} is out of range for a value of {n} element(s)"),
    )
}

fn bad_operand(src: &mut Source<'_>, at: &str, op: &str, t: &Type) -> QasmError {
    invalid(
        src,
        at,
        format!("'{op}' does not apply to a value of type {t}"),
    )
}
