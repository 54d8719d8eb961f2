//! Each semantic rule of `eval`, with hand-computed values.

use std::f64::consts::{PI, TAU};

use super::*;

/// A host with a few variables and no subroutines.
struct Vars(Vec<Option<Value>>);

impl Host for Vars {
    fn var(&self, v: VarId) -> Result<Value, EvalError> {
        self.0
            .get(v.0 as usize)
            .cloned()
            .flatten()
            .ok_or(EvalError::unknown(v))
    }
    fn call(&mut self, _: SubId, _: &[CallArg], _: Loc) -> Result<Value, EvalError> {
        Err(mismatch("no subroutines here"))
    }
    fn extern_call(&mut self, ext: u32, _: &[Value], _: Loc) -> Result<Value, EvalError> {
        Err(EvalError::new(EvalErrorKind::Extern(format!(
            "extern {ext}"
        ))))
    }
}

fn c(v: Value) -> ClassicalExpr {
    ClassicalExpr::Const(v)
}
fn int(i: i128) -> ClassicalExpr {
    c(Value::Int(i))
}
fn uint(u: u128) -> ClassicalExpr {
    c(Value::Uint(u))
}
fn flt(f: f64) -> ClassicalExpr {
    c(Value::Float(f))
}
fn ang(a: f64) -> ClassicalExpr {
    c(Value::Angle(a))
}
fn bits(s: &str) -> Value {
    // Written most significant first, as OpenQASM's bit-string literals are.
    Value::Bits(s.chars().rev().map(|ch| ch == '1').collect())
}
fn bin(op: BinaryOp, a: ClassicalExpr, b: ClassicalExpr) -> ClassicalExpr {
    ClassicalExpr::Binary(op, Box::new(a), Box::new(b))
}
fn ev(e: &ClassicalExpr) -> Result<Value, EvalError> {
    eval(e, &mut Vars(Vec::new()))
}
fn ok(e: &ClassicalExpr) -> Value {
    match ev(e) {
        Ok(v) => v,
        Err(err) => panic!("{e:?} failed: {err}"),
    }
}
fn kind(e: &ClassicalExpr) -> EvalErrorKind {
    match ev(e) {
        Ok(v) => panic!("{e:?} gave {v:?}, expected an error"),
        Err(err) => err.kind,
    }
}
fn close(v: Value, want: f64) {
    match v {
        Value::Float(f) | Value::Angle(f) => {
            assert!((f - want).abs() < 1e-12, "{f} != {want}")
        }
        other => panic!("{other:?} is not real"),
    }
}

#[test]
fn integer_division_truncates_toward_zero() {
    use BinaryOp::*;
    assert_eq!(ok(&bin(Div, int(1), int(5))), Value::Int(0));
    assert_eq!(ok(&bin(Div, int(-7), int(2))), Value::Int(-3));
    assert_eq!(ok(&bin(Div, int(7), int(-2))), Value::Int(-3));
    assert_eq!(ok(&bin(Mod, int(-7), int(2))), Value::Int(-1));
    assert_eq!(ok(&bin(Mod, int(7), int(-2))), Value::Int(1));
    assert_eq!(ok(&bin(Div, int(3), int(2))), Value::Int(1));
    assert_eq!(ok(&bin(Mod, int(3), int(2))), Value::Int(1));
    assert_eq!(
        kind(&bin(Div, int(1), int(0))),
        EvalErrorKind::DivisionByZero
    );
    assert_eq!(
        kind(&bin(Mod, uint(1), uint(0))),
        EvalErrorKind::DivisionByZero
    );
    assert_eq!(
        ok(&bin(Div, int(i128::MIN), int(-1))),
        Value::Int(i128::MIN)
    );
    assert_eq!(ok(&bin(Mod, int(i128::MIN), int(-1))), Value::Int(0));
}

#[test]
fn integer_power() {
    use BinaryOp::*;
    assert_eq!(ok(&bin(Pow, int(2), int(3))), Value::Int(8));
    assert_eq!(ok(&bin(Pow, int(-3), int(3))), Value::Int(-27));
    assert_eq!(ok(&bin(Pow, int(5), int(0))), Value::Int(1));
    // A negative exponent is a real power.
    close(ok(&bin(Pow, int(2), int(-1))), 0.5);
    assert_eq!(
        kind(&bin(Pow, int(0), int(-1))),
        EvalErrorKind::DivisionByZero
    );
    // Wrapping, never overflowing: 3^200 reduced to int[8] is 3^200 mod 256 = 1 (3^64 ≡ 1).
    let big = ClassicalExpr::Cast(Type::Int(Some(8)), Box::new(bin(Pow, int(3), int(200))));
    assert_eq!(ok(&big), Value::Int(wrap_int(ipow_ref(3, 200), 8)));
    assert_eq!(ok(&bin(Pow, uint(2), uint(130))), Value::Uint(0));
}

fn ipow_ref(b: i128, e: u32) -> i128 {
    (0..e).fold(1i128, |a, _| a.wrapping_mul(b))
}

#[test]
fn widths_wrap_on_storage() {
    assert_eq!(
        cast(&Value::Int(128), &Type::Int(Some(8))),
        Ok(Value::Int(-128))
    );
    assert_eq!(
        cast(&Value::Int(255), &Type::Int(Some(8))),
        Ok(Value::Int(-1))
    );
    assert_eq!(
        cast(&Value::Int(-1), &Type::Uint(Some(8))),
        Ok(Value::Uint(255))
    );
    assert_eq!(
        cast(&Value::Uint(300), &Type::Uint(Some(8))),
        Ok(Value::Uint(44))
    );
    // Unsized int is 64 bits.
    assert_eq!(
        cast(&Value::Int(1 << 63), &Type::Int(None)),
        Ok(Value::Int(i128::from(i64::MIN)))
    );
    // x == int[n](uint[n](x)).
    let x = Value::Int(-5);
    let u = cast(&x, &Type::Uint(Some(16))).unwrap_or(Value::Bool(false));
    assert_eq!(u, Value::Uint(65531));
    assert_eq!(cast(&u, &Type::Int(Some(16))), Ok(x));
    assert!(matches!(
        cast(&Value::Int(1), &Type::Int(Some(0))),
        Err(EvalError {
            kind: EvalErrorKind::TypeMismatch(_),
            ..
        })
    ));
    assert!(matches!(
        cast(&Value::Int(1), &Type::Uint(Some(129))),
        Err(EvalError {
            kind: EvalErrorKind::TooLarge(_),
            ..
        })
    ));
}

#[test]
fn float_conversions() {
    assert_eq!(
        cast(&Value::Float(2.9), &Type::Int(None)),
        Ok(Value::Int(2))
    );
    assert_eq!(
        cast(&Value::Float(-2.9), &Type::Int(None)),
        Ok(Value::Int(-2))
    );
    assert_eq!(
        cast(&Value::Float(300.5), &Type::Uint(Some(8))),
        Ok(Value::Uint(44))
    );
    assert!(cast(&Value::Float(f64::NAN), &Type::Int(None)).is_err());
    assert!(cast(&Value::Float(f64::INFINITY), &Type::Uint(None)).is_err());
    assert!(cast(&Value::Float(1e300), &Type::Int(None)).is_err());
    assert_eq!(
        cast(&Value::Int(-3), &Type::Float(None)),
        Ok(Value::Float(-3.0))
    );
    assert_eq!(
        cast(&Value::Float(0.1), &Type::Float(Some(32))),
        Ok(Value::Float(0.1f32 as f64))
    );
    assert_eq!(
        cast(&Value::Bool(true), &Type::Float(None)),
        Ok(Value::Float(1.0))
    );
    assert_eq!(
        cast(&Value::Float(0.0), &Type::Bool),
        Ok(Value::Bool(false))
    );
    assert_eq!(cast(&Value::Int(7), &Type::Bool), Ok(Value::Bool(true)));
    assert_eq!(
        cast(&Value::Bool(true), &Type::Int(Some(4))),
        Ok(Value::Int(1))
    );
    // Forbidden by the spec's table.
    for (v, t) in [
        (Value::Float(1.0), Type::Bits(4)),
        (Value::Int(1), Type::Angle(Some(4))),
        (Value::Bool(true), Type::Angle(None)),
        (Value::Angle(1.0), Type::Int(None)),
        (Value::Duration { ns: 1.0, dt: 0.0 }, Type::Float(None)),
        (Value::Int(1), Type::Duration),
        (bits("0101"), Type::Float(None)),
    ] {
        assert!(
            matches!(
                cast(&v, &t),
                Err(EvalError {
                    kind: EvalErrorKind::InvalidCast { .. },
                    ..
                })
            ),
            "{v:?} to {t}"
        );
    }
}

#[test]
fn bit_strings_and_integers() {
    // Bit 0 is least significant.
    assert_eq!(
        cast(&bits("0101"), &Type::Uint(Some(4))),
        Ok(Value::Uint(5))
    );
    assert_eq!(cast(&bits("1111"), &Type::Int(Some(4))), Ok(Value::Int(-1)));
    assert_eq!(cast(&Value::Uint(6), &Type::Bits(4)), Ok(bits("0110")));
    assert_eq!(cast(&Value::Int(-2), &Type::Bits(4)), Ok(bits("1110")));
    assert_eq!(
        cast(&Value::Int(-1), &Type::Bits(130)).map(|v| match v {
            Value::Bits(b) => b.iter().all(|x| *x) && b.len() == 130,
            _ => false,
        }),
        Ok(true)
    );
    assert_eq!(cast(&Value::Bool(true), &Type::Bits(1)), Ok(bits("1")));
    assert!(cast(&Value::Bool(true), &Type::Bits(2)).is_err());
    assert!(cast(&bits("01"), &Type::Bits(3)).is_err());
    assert_eq!(cast(&bits("1"), &Type::Bit), Ok(Value::Bit(true)));
    assert_eq!(cast(&bits("0100"), &Type::Bool), Ok(Value::Bool(true)));
    assert_eq!(cast(&Value::Int(3), &Type::Bit), Ok(Value::Bit(true)));
    assert!(cast(&Value::Int(1), &Type::Bits(1 << 30)).is_err());
}

#[test]
fn angles_on_their_grid() {
    // angle[4] a = 9 * (pi / 8) is "1001".
    let a = cast(&Value::Float(9.0 * PI / 8.0), &Type::Angle(Some(4)));
    assert_eq!(
        a.clone().and_then(|a| cast(&a, &Type::Bits(4))),
        Ok(bits("1001"))
    );
    // Modulo 2π, and negative angles wrap.
    close(
        cast(&Value::Float(TAU + PI / 2.0), &Type::Angle(Some(8))).unwrap_or(Value::Bool(false)),
        PI / 2.0,
    );
    close(
        cast(&Value::Float(-PI / 2.0), &Type::Angle(None)).unwrap_or(Value::Bool(false)),
        3.0 * PI / 2.0,
    );
    // The spec's tie example: 2π·127/512 on angle[8] rounds to even, "01000000" = π/2.
    let f = TAU * (127.0 / 512.0);
    assert_eq!(
        cast(&Value::Float(f), &Type::Angle(Some(8))).and_then(|a| cast(&a, &Type::Bits(8))),
        Ok(bits("01000000"))
    );
    // Just below 2π rounds to the full turn, 0.
    assert_eq!(
        cast(&Value::Float(TAU - 1e-9), &Type::Angle(Some(4))),
        Ok(Value::Angle(0.0))
    );
    assert_eq!(
        cast(&bits("0100"), &Type::Angle(Some(4))),
        Ok(Value::Angle(PI / 2.0))
    );
    assert!(cast(&bits("0100"), &Type::Angle(Some(5))).is_err());
    assert!(cast(&Value::Float(f64::NAN), &Type::Angle(Some(4))).is_err());
    assert_eq!(
        cast(&Value::Angle(0.0), &Type::Bool),
        Ok(Value::Bool(false))
    );
}

#[test]
fn angle_arithmetic() {
    use BinaryOp::*;
    let e = PI / 8.0;
    // The spec's table on angle[4]: a = 7π/8, b = π/8, c = 5π/4.
    close(ok(&bin(Add, ang(7.0 * e), ang(e))), PI);
    close(ok(&bin(Sub, ang(e), ang(7.0 * e))), 5.0 * PI / 4.0);
    close(ok(&bin(Mul, uint(2), ang(5.0 * PI / 4.0))), PI / 2.0);
    close(ok(&bin(Mul, ang(5.0 * PI / 4.0), uint(2))), PI / 2.0);
    assert_eq!(ok(&bin(Div, ang(5.0 * PI / 4.0), ang(e))), Value::Uint(10));
    assert_eq!(ok(&bin(Div, ang(3.0 * e), ang(2.0 * e))), Value::Uint(1));
    close(ok(&bin(Div, ang(PI), uint(2))), PI / 2.0);
    close(
        ok(&ClassicalExpr::Unary(UnaryOp::Neg, Box::new(ang(PI / 4.0)))),
        7.0 * PI / 4.0,
    );
    close(
        ok(&ClassicalExpr::Unary(UnaryOp::Neg, Box::new(ang(0.0)))),
        0.0,
    );
    assert_eq!(
        kind(&bin(Div, ang(PI), ang(0.0))),
        EvalErrorKind::DivisionByZero
    );
    assert_eq!(
        kind(&bin(Div, ang(PI), uint(0))),
        EvalErrorKind::DivisionByZero
    );
    // Angles mixed with floats are real arithmetic on radians (the spec's a ** b).
    close(ok(&bin(Pow, ang(PI / 2.0), ang(PI))), (PI / 2.0).powf(PI));
    assert_eq!(ok(&bin(Eq, ang(PI), flt(PI))), Value::Bool(true));
    assert!(matches!(
        kind(&bin(Shl, ang(PI), uint(1))),
        EvalErrorKind::TypeMismatch(_)
    ));
    // Stored into angle[4], `a / two` is the quotient of the bit patterns: 7/2 = 3, 3π/8.
    let to4 = |x| ClassicalExpr::Cast(Type::Angle(Some(4)), Box::new(x));
    close(ok(&to4(bin(Div, ang(7.0 * e), uint(2)))), 3.0 * e);
    close(ok(&to4(bin(Mul, uint(3), ang(e)))), 3.0 * e);
    close(ok(&to4(ang(15.0 * e / 2.0))), 7.0 * e);
    // The spec's shifts on angle[4] a = 9π/8 ("1001"), through its bits: << 2 is π/2, >> 2 π/4.
    let a_bits = || ClassicalExpr::Cast(Type::Bits(4), Box::new(to4(ang(9.0 * e))));
    close(ok(&to4(bin(Shl, a_bits(), int(2)))), PI / 2.0);
    close(ok(&to4(bin(Shr, a_bits(), int(2)))), PI / 4.0);
}

#[test]
fn mixed_promotion_and_comparison() {
    use BinaryOp::*;
    close(ok(&bin(Add, int(1), flt(0.5))), 1.5);
    close(ok(&bin(Div, int(1), flt(4.0))), 0.25);
    assert_eq!(ok(&bin(Add, int(-1), uint(5))), Value::Uint(4));
    assert_eq!(ok(&bin(Lt, int(-1), uint(1))), Value::Bool(true));
    assert_eq!(ok(&bin(Gt, uint(1), int(-1))), Value::Bool(true));
    assert_eq!(ok(&bin(Ge, int(3), int(3))), Value::Bool(true));
    assert_eq!(
        ok(&bin(Ne, flt(f64::NAN), flt(f64::NAN))),
        Value::Bool(true)
    );
    assert_eq!(
        ok(&bin(Eq, flt(f64::NAN), flt(f64::NAN))),
        Value::Bool(false)
    );
    // bit[n] with an int compares by value.
    assert_eq!(ok(&bin(Eq, c(bits("0101")), int(5))), Value::Bool(true));
    assert_eq!(ok(&bin(Add, c(bits("0101")), int(1))), Value::Uint(6));
    assert_eq!(
        ok(&bin(Eq, c(Value::Bit(true)), c(Value::Bool(true)))),
        Value::Bool(true)
    );
    assert_eq!(
        ok(&bin(Div, flt(1.0), flt(0.0))),
        Value::Float(f64::INFINITY)
    );
}

#[test]
fn logical_and_bitwise() {
    use BinaryOp::*;
    let t = || c(Value::Bool(true));
    let f = || c(Value::Bool(false));
    assert_eq!(ok(&bin(And, t(), f())), Value::Bool(false));
    assert_eq!(ok(&bin(Or, f(), t())), Value::Bool(true));
    // Short-circuit: the extern on the right is never called.
    let ext = ClassicalExpr::Extern(0, Vec::new(), Loc::default());
    assert_eq!(ok(&bin(And, f(), ext.clone())), Value::Bool(false));
    assert_eq!(ok(&bin(Or, t(), ext.clone())), Value::Bool(true));
    assert!(matches!(kind(&bin(Or, f(), ext)), EvalErrorKind::Extern(_)));
    assert_eq!(
        ok(&ClassicalExpr::Unary(UnaryOp::Not, Box::new(int(0)))),
        Value::Bool(true)
    );
    // The spec's registers: a = "10001111", b = "01110000".
    let a = || c(bits("10001111"));
    let b = || c(bits("01110000"));
    assert_eq!(ok(&bin(BitOr, a(), b())), bits("11111111"));
    assert_eq!(ok(&bin(BitAnd, a(), b())), bits("00000000"));
    assert_eq!(ok(&bin(BitXor, a(), c(bits("00000001")))), bits("10001110"));
    assert_eq!(ok(&bin(Shl, a(), int(1))), bits("00011110"));
    assert_eq!(ok(&bin(Shr, a(), int(1))), bits("01000111"));
    assert_eq!(ok(&bin(Shl, a(), uint(1000))), bits("00000000"));
    assert_eq!(
        ok(&ClassicalExpr::Unary(UnaryOp::BitNot, Box::new(a()))),
        bits("01110000")
    );
    assert!(matches!(
        kind(&bin(BitAnd, a(), c(bits("01")))),
        EvalErrorKind::TypeMismatch(_)
    ));
    assert_eq!(ok(&bin(BitAnd, int(12), int(10))), Value::Int(8));
    assert_eq!(ok(&bin(BitXor, int(-1), int(5))), Value::Int(-6));
    assert_eq!(
        ok(&bin(BitAnd, c(Value::Bit(true)), c(Value::Bit(false)))),
        Value::Bit(false)
    );
}

#[test]
fn shifts_never_overflow() {
    use BinaryOp::*;
    assert_eq!(ok(&bin(Shl, int(1), int(3))), Value::Int(8));
    assert_eq!(ok(&bin(Shr, int(-8), int(1))), Value::Int(-4));
    assert_eq!(ok(&bin(Shr, int(-8), uint(500))), Value::Int(-1));
    assert_eq!(ok(&bin(Shl, int(1), uint(u128::MAX))), Value::Int(0));
    assert_eq!(ok(&bin(Shr, uint(u128::MAX), int(127))), Value::Uint(1));
    assert!(matches!(
        kind(&bin(Shl, int(1), int(-1))),
        EvalErrorKind::Domain(_)
    ));
    let w = ClassicalExpr::Cast(Type::Uint(Some(8)), Box::new(bin(Shl, uint(0xff), int(4))));
    assert_eq!(ok(&w), Value::Uint(0xf0));
}

#[test]
fn builtins() {
    use Builtin::*;
    let call = |f, args: Vec<ClassicalExpr>| ClassicalExpr::Builtin(f, args);
    // uint[6] b = 37 ("100101"): popcount 3, rotl by 3 is 44 ("101100").
    let b = || c(bits("100101"));
    assert_eq!(ok(&call(Popcount, vec![b()])), Value::Uint(3));
    assert_eq!(ok(&call(Rotl, vec![b(), int(3)])), bits("101100"));
    assert_eq!(
        ok(&call(Rotl, vec![c(bits("10001111")), int(2)])),
        bits("00111110")
    );
    assert_eq!(
        ok(&call(Rotr, vec![c(bits("00111110")), int(2)])),
        bits("10001111")
    );
    assert_eq!(ok(&call(Rotr, vec![b(), int(-3)])), bits("101100"));
    assert_eq!(ok(&call(Popcount, vec![uint(37)])), Value::Uint(3));
    assert!(ev(&call(Rotl, vec![uint(37), int(1)])).is_err());
    close(ok(&call(Sin, vec![flt(PI / 2.0)])), 1.0);
    close(ok(&call(Cos, vec![ang(PI)])), -1.0);
    close(ok(&call(Sqrt, vec![int(16)])), 4.0);
    close(ok(&call(Floor, vec![flt(-1.5)])), -2.0);
    close(ok(&call(Ceiling, vec![flt(-1.5)])), -1.0);
    close(ok(&call(Arctan, vec![flt(1.0)])), PI / 4.0);
    close(ok(&call(Log, vec![call(Exp, vec![flt(2.0)])])), 2.0);
    assert_eq!(ok(&call(Mod, vec![int(-7), int(3)])), Value::Int(-1));
    close(ok(&call(Mod, vec![flt(7.5), flt(2.0)])), 1.5);
    let z = c(Value::Complex { re: -4.0, im: 0.0 });
    assert_eq!(
        ok(&call(Sqrt, vec![z])),
        Value::Complex { re: 0.0, im: 2.0 }
    );
    assert!(ev(&call(Sin, vec![int(1), int(2)])).is_err());
    let arr = c(Value::Array {
        dims: vec![2, 3],
        items: vec![Value::Int(0); 6],
    });
    assert_eq!(ok(&call(Sizeof, vec![arr.clone()])), Value::Uint(2));
    assert_eq!(ok(&call(Sizeof, vec![arr.clone(), int(1)])), Value::Uint(3));
    assert!(matches!(
        kind(&call(Sizeof, vec![arr, int(2)])),
        EvalErrorKind::IndexOutOfRange { index: 2, len: 2 }
    ));
}

#[test]
fn complex_arithmetic() {
    use BinaryOp::*;
    let z = |re, im| c(Value::Complex { re, im });
    // The spec's a = 10 + 5i, b = -2 - 7i.
    assert_eq!(
        ok(&bin(Add, z(10.0, 5.0), z(-2.0, -7.0))),
        Value::Complex { re: 8.0, im: -2.0 }
    );
    assert_eq!(
        ok(&bin(Sub, z(10.0, 5.0), z(-2.0, -7.0))),
        Value::Complex { re: 12.0, im: 12.0 }
    );
    assert_eq!(
        ok(&bin(Mul, z(10.0, 5.0), z(-2.0, -7.0))),
        Value::Complex {
            re: 15.0,
            im: -80.0
        }
    );
    let Value::Complex { re, im } = ok(&bin(Div, z(10.0, 5.0), z(-2.0, -7.0))) else {
        panic!("not complex")
    };
    assert!((re + 55.0 / 53.0).abs() < 1e-12 && (im - 60.0 / 53.0).abs() < 1e-12);
    let Value::Complex { re, im } = ok(&bin(Pow, z(10.0, 5.0), z(-2.0, -7.0))) else {
        panic!("not complex")
    };
    assert!((re - 0.10694695640729072).abs() < 1e-12 && (im - 0.17536481119721312).abs() < 1e-12);
    assert_eq!(
        ok(&bin(Add, z(1.0, 1.0), int(2))),
        Value::Complex { re: 3.0, im: 1.0 }
    );
    close(
        ok(&ClassicalExpr::Builtin(Builtin::Imag, vec![z(1.0, -2.0)])),
        -2.0,
    );
    close(
        ok(&ClassicalExpr::Builtin(Builtin::Real, vec![z(1.0, -2.0)])),
        1.0,
    );
    assert!(ev(&bin(Lt, z(1.0, 0.0), z(2.0, 0.0))).is_err());
}

#[test]
fn durations() {
    use BinaryOp::*;
    let d = |ns, dt| c(Value::Duration { ns, dt });
    assert_eq!(
        ok(&bin(Add, d(100.0, 0.0), d(0.0, 4.0))),
        Value::Duration { ns: 100.0, dt: 4.0 }
    );
    assert_eq!(
        ok(&bin(Mul, d(100.0, 2.0), int(3))),
        Value::Duration { ns: 300.0, dt: 6.0 }
    );
    assert_eq!(
        ok(&bin(Mul, flt(0.5), d(100.0, 0.0))),
        Value::Duration { ns: 50.0, dt: 0.0 }
    );
    assert_eq!(
        ok(&bin(Div, d(100.0, 0.0), int(4))),
        Value::Duration { ns: 25.0, dt: 0.0 }
    );
    // 500ns / 1ns and 500ns / 1s (1s is 1e9 ns).
    close(ok(&bin(Div, d(500.0, 0.0), d(1.0, 0.0))), 500.0);
    close(ok(&bin(Div, d(500.0, 0.0), d(1e9, 0.0))), 5e-7);
    close(ok(&bin(Div, d(0.0, 10.0), d(0.0, 4.0))), 2.5);
    assert!(matches!(
        kind(&bin(Div, d(100.0, 0.0), d(0.0, 1.0))),
        EvalErrorKind::DurationUnits(_)
    ));
    assert_eq!(
        kind(&bin(Div, d(1.0, 0.0), d(0.0, 0.0))),
        EvalErrorKind::DivisionByZero
    );
    assert_eq!(
        ok(&bin(Lt, d(100.0, 0.0), d(200.0, 0.0))),
        Value::Bool(true)
    );
    assert_eq!(
        ok(&bin(Lt, d(100.0, 1.0), d(200.0, 2.0))),
        Value::Bool(true)
    );
    assert!(matches!(
        kind(&bin(Lt, d(100.0, 0.0), d(0.0, 1.0))),
        EvalErrorKind::DurationUnits(_)
    ));
    assert!(matches!(
        kind(&bin(Add, d(1.0, 0.0), int(1))),
        EvalErrorKind::TypeMismatch(_)
    ));
}

#[test]
fn indexing_values() {
    let sel = |i| Index::Single(int(i));
    let ix = |b: ClassicalExpr, i: Vec<Index>| ClassicalExpr::Index(Box::new(b), i);
    // bit[8] "10001111": bit 0 is 1, bit 4 is 0, bit 7 is 1, bit -1 is bit 7.
    let r = || c(bits("10001111"));
    assert_eq!(ok(&ix(r(), vec![sel(0)])), Value::Bit(true));
    assert_eq!(ok(&ix(r(), vec![sel(4)])), Value::Bit(false));
    assert_eq!(ok(&ix(r(), vec![sel(-1)])), Value::Bit(true));
    assert!(matches!(
        kind(&ix(r(), vec![sel(8)])),
        EvalErrorKind::IndexOutOfRange { index: 8, len: 8 }
    ));
    // Ranges are inclusive: [2:5] is bits 2,3,4,5 = 1,1,0,0 → "0011".
    let range = |a: Option<i128>, s: Option<i128>, b: Option<i128>| Index::Range {
        start: a.map(int),
        step: s.map(int),
        stop: b.map(int),
    };
    assert_eq!(
        ok(&ix(r(), vec![range(Some(2), None, Some(5))])),
        bits("0011")
    );
    assert_eq!(ok(&ix(r(), vec![range(None, Some(2), None)])), bits("0011"));
    assert_eq!(
        ok(&ix(r(), vec![range(None, Some(-1), None)])),
        bits("11110001")
    );
    assert_eq!(
        ok(&ix(r(), vec![range(Some(5), None, Some(2))])),
        Value::Bits(Vec::new())
    );
    assert!(matches!(
        kind(&ix(r(), vec![range(None, Some(0), None)])),
        EvalErrorKind::Domain(_)
    ));
    assert_eq!(
        ok(&ix(r(), vec![Index::Set(vec![int(7), int(4), int(0)])])),
        bits("101")
    );
    // Bits of integers, two's complement.
    assert_eq!(ok(&ix(int(5), vec![sel(2)])), Value::Bit(true));
    assert_eq!(ok(&ix(int(-2), vec![sel(0)])), Value::Bit(false));
    assert_eq!(ok(&ix(int(-2), vec![sel(63)])), Value::Bit(true));
    assert_eq!(
        ok(&ix(uint(6), vec![range(Some(0), None, Some(2))])),
        bits("110")
    );
    // Arrays: a 2×3 array of 0..6.
    let arr = || {
        c(Value::Array {
            dims: vec![2, 3],
            items: (0..6).map(Value::Int).collect(),
        })
    };
    assert_eq!(ok(&ix(arr(), vec![sel(1), sel(2)])), Value::Int(5));
    assert_eq!(
        ok(&ix(arr(), vec![sel(1)])),
        Value::Array {
            dims: vec![3],
            items: vec![Value::Int(3), Value::Int(4), Value::Int(5)]
        }
    );
    assert_eq!(
        ok(&ix(arr(), vec![range(None, None, None), sel(1)])),
        Value::Array {
            dims: vec![2],
            items: vec![Value::Int(1), Value::Int(4)]
        }
    );
    // An element's bits after the array's dimensions.
    assert_eq!(
        ok(&ix(arr(), vec![sel(1), sel(2), sel(0)])),
        Value::Bit(true)
    );
    assert!(ev(&ix(flt(1.0), vec![sel(0)])).is_err());
}

#[test]
fn stores() {
    let s = Selector::Single;
    assert_eq!(
        store(&bits("0000"), &[s(1)], Value::Bit(true)),
        Ok(bits("0010"))
    );
    assert_eq!(
        store(&bits("0000"), &[s(-1)], Value::Bool(true)),
        Ok(bits("1000"))
    );
    assert_eq!(
        store(
            &bits("0000"),
            &[Selector::Range {
                start: Some(1),
                step: None,
                stop: Some(2)
            }],
            bits("11")
        ),
        Ok(bits("0110"))
    );
    assert_eq!(
        store(&bits("0000"), &[Selector::Set(vec![0, 3])], Value::Uint(3)),
        Ok(bits("1001"))
    );
    assert!(store(&bits("0000"), &[Selector::Set(vec![0, 3])], bits("111")).is_err());
    assert!(store(&bits("0000"), &[s(4)], Value::Bit(true)).is_err());
    assert_eq!(
        store(&Value::Int(0), &[s(3)], Value::Bit(true)),
        Ok(Value::Int(8))
    );
    assert_eq!(
        store(&Value::Int(-1), &[s(0)], Value::Bit(false)),
        Ok(Value::Int(-2))
    );
    assert_eq!(
        store_in(&Value::Int(0), &[s(-1)], Value::Bit(true), 8),
        Ok(Value::Int(-128))
    );
    assert_eq!(
        store(&Value::Uint(0), &[s(63)], Value::Bit(true)),
        Ok(Value::Uint(1 << 63))
    );
    let arr = Value::Array {
        dims: vec![2, 2],
        items: vec![Value::Int(0); 4],
    };
    assert_eq!(
        store(&arr, &[s(1), s(0)], Value::Int(7)),
        Ok(Value::Array {
            dims: vec![2, 2],
            items: vec![Value::Int(0), Value::Int(0), Value::Int(7), Value::Int(0)]
        })
    );
    let row = Value::Array {
        dims: vec![2],
        items: vec![Value::Int(1), Value::Int(2)],
    };
    assert_eq!(
        store(&arr, &[s(0)], row),
        Ok(Value::Array {
            dims: vec![2, 2],
            items: vec![Value::Int(1), Value::Int(2), Value::Int(0), Value::Int(0)]
        })
    );
    assert!(store(&arr, &[s(0)], Value::Int(1)).is_err());
    assert_eq!(store(&Value::Int(3), &[], Value::Int(4)), Ok(Value::Int(4)));
    assert!(store(&Value::Float(1.0), &[s(0)], Value::Int(4)).is_err());
}

#[test]
fn zeros() {
    assert_eq!(zero(&Type::Bits(3)), Ok(bits("000")));
    assert_eq!(zero(&Type::Int(Some(8))), Ok(Value::Int(0)));
    assert_eq!(
        zero(&Type::Stretch),
        Ok(Value::Duration { ns: 0.0, dt: 0.0 })
    );
    assert_eq!(
        zero(&Type::Array {
            elem: Box::new(Type::Bool),
            dims: vec![2, 1]
        }),
        Ok(Value::Array {
            dims: vec![2, 1],
            items: vec![Value::Bool(false); 2]
        })
    );
    assert!(
        zero(&Type::Array {
            elem: Box::new(Type::Bool),
            dims: vec![u32::MAX, u32::MAX]
        })
        .is_err()
    );
    assert!(zero(&Type::Bits(u32::MAX)).is_err());
    assert!(
        zero(&Type::Array {
            elem: Box::new(Type::Bool),
            dims: vec![0, u32::MAX]
        })
        .is_err()
    );
    let empty = Value::Array {
        dims: vec![0, u32::MAX],
        items: Vec::new(),
    };
    assert!(
        index_value(
            &empty,
            &[Selector::Range {
                start: None,
                step: None,
                stop: None
            }],
            64
        )
        .is_err()
    );
    assert!(zero(&Type::Int(Some(0))).is_err());
}

#[test]
fn variables_calls_and_nesting() {
    let mut host = Vars(vec![Some(Value::Int(4)), None]);
    let e = bin(BinaryOp::Mul, ClassicalExpr::Var(VarId(0)), int(3));
    assert_eq!(eval(&e, &mut host), Ok(Value::Int(12)));
    assert_eq!(
        eval(&ClassicalExpr::Var(VarId(1)), &mut host).map_err(|e| e.kind),
        Err(EvalErrorKind::Unknown(VarId(1)))
    );
    let loc = Loc {
        file: 0,
        line: 3,
        col: 7,
    };
    let err = eval(&ClassicalExpr::Extern(2, vec![int(1)], loc), &mut host);
    assert_eq!(err.as_ref().map_err(|e| e.loc), Err(Some(loc)));
    assert!(err.is_err_and(|e| e.to_string().ends_with("at line 3, column 7")));
    // Ten thousand nested negations are refused, not a stack overflow.
    let mut deep = int(1);
    for _ in 0..10_000 {
        deep = ClassicalExpr::Unary(UnaryOp::Neg, Box::new(deep));
    }
    assert_eq!(
        eval(&deep, &mut host).map_err(|e| e.kind),
        Err(EvalErrorKind::Nesting(MAX_NESTING))
    );
    // The guard is released afterwards.
    assert_eq!(eval(&int(2), &mut host), Ok(Value::Int(2)));
    drop_deep(deep);
}

/// Drops a deep expression iteratively (the derived drop recurses).
fn drop_deep(mut e: ClassicalExpr) {
    while let ClassicalExpr::Unary(_, inner) = e {
        e = *inner;
    }
}

mod props {
    use proptest::prelude::*;

    use super::super::*;

    /// A reference integer expression: the tree and its value in i128 wrapping arithmetic,
    /// `None` where evaluation must fail (division by zero, negative exponent or shift).
    #[derive(Clone, Debug)]
    enum R {
        Lit(i128),
        Un(u8, Box<R>),
        Bin(u8, Box<R>, Box<R>),
    }

    fn tree() -> impl Strategy<Value = R> {
        let leaf = prop_oneof![
            any::<i128>().prop_map(R::Lit),
            (-300i128..300).prop_map(R::Lit),
        ];
        leaf.prop_recursive(5, 40, 2, |inner| {
            prop_oneof![
                (0u8..2, inner.clone()).prop_map(|(o, a)| R::Un(o, Box::new(a))),
                (0u8..10, inner.clone(), inner).prop_map(|(o, a, b)| R::Bin(
                    o,
                    Box::new(a),
                    Box::new(b)
                )),
            ]
        })
    }

    fn expr(r: &R) -> ClassicalExpr {
        match r {
            R::Lit(v) => ClassicalExpr::Const(Value::Int(*v)),
            R::Un(o, a) => ClassicalExpr::Unary(
                if *o == 0 {
                    UnaryOp::Neg
                } else {
                    UnaryOp::BitNot
                },
                Box::new(expr(a)),
            ),
            R::Bin(o, a, b) => {
                let op = [
                    BinaryOp::Add,
                    BinaryOp::Sub,
                    BinaryOp::Mul,
                    BinaryOp::Div,
                    BinaryOp::Mod,
                    BinaryOp::BitAnd,
                    BinaryOp::BitOr,
                    BinaryOp::BitXor,
                    BinaryOp::Shl,
                    BinaryOp::Shr,
                ][*o as usize % 10];
                ClassicalExpr::Binary(op, Box::new(expr(a)), Box::new(expr(b)))
            }
        }
    }

    fn reference(r: &R) -> Option<i128> {
        Some(match r {
            R::Lit(v) => *v,
            R::Un(0, a) => reference(a)?.wrapping_neg(),
            R::Un(_, a) => !reference(a)?,
            R::Bin(o, a, b) => {
                let (x, y) = (reference(a)?, reference(b)?);
                match o % 10 {
                    0 => x.wrapping_add(y),
                    1 => x.wrapping_sub(y),
                    2 => x.wrapping_mul(y),
                    3 => x.checked_div(y).or((y != 0).then_some(x))?,
                    4 => x.checked_rem(y).or((y != 0).then_some(0))?,
                    5 => x & y,
                    6 => x | y,
                    7 => x ^ y,
                    8 if y < 0 => return None,
                    8 => u32::try_from(y)
                        .ok()
                        .and_then(|s| x.checked_shl(s))
                        .unwrap_or(0),
                    _ if y < 0 => return None,
                    _ => u32::try_from(y)
                        .ok()
                        .and_then(|s| x.checked_shr(s))
                        .unwrap_or(if x < 0 { -1 } else { 0 }),
                }
            }
        })
    }

    proptest! {
        #[test]
        fn integer_expressions_match_wrapped_reference(r in tree(), width in 1u32..=128) {
            let e = ClassicalExpr::Cast(Type::Int(Some(width)), Box::new(expr(&r)));
            let got = eval(&e, &mut super::Vars(Vec::new()));
            match reference(&r) {
                Some(want) => prop_assert_eq!(got, Ok(Value::Int(wrap_int(want, width)))),
                None => prop_assert!(got.is_err()),
            }
            let u = ClassicalExpr::Cast(Type::Uint(Some(width)), Box::new(expr(&r)));
            if let Some(want) = reference(&r) {
                prop_assert_eq!(eval(&u, &mut super::Vars(Vec::new())), Ok(Value::Uint(wrap_uint(want as u128, width))));
            }
        }

        #[test]
        fn any_operator_on_any_scalars_never_panics(
            a in scalar(), b in scalar(), op in 0usize..19, t in ty()
        ) {
            let ops = [
                BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Mod,
                BinaryOp::Pow, BinaryOp::Shl, BinaryOp::Shr, BinaryOp::BitAnd, BinaryOp::BitOr,
                BinaryOp::BitXor, BinaryOp::And, BinaryOp::Or, BinaryOp::Eq, BinaryOp::Ne,
                BinaryOp::Lt, BinaryOp::Le, BinaryOp::Gt, BinaryOp::Ge,
            ];
            let op = ops[op % ops.len()];
            if let Ok(v) = binary(op, &a, &b) {
                let _ = cast(&v, &t);
            }
            let _ = cast(&a, &t);
            let _ = store(&a, &[Selector::Single(1)], b.clone());
            let _ = index_value(&a, &[Selector::Range { start: None, step: Some(-2), stop: None }], 64);
        }
    }

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<bool>().prop_map(Value::Bool),
            any::<bool>().prop_map(Value::Bit),
            proptest::collection::vec(any::<bool>(), 0..140).prop_map(Value::Bits),
            any::<i128>().prop_map(Value::Int),
            any::<u128>().prop_map(Value::Uint),
            any::<f64>().prop_map(Value::Float),
            any::<f64>().prop_map(Value::Angle),
            (any::<f64>(), any::<f64>()).prop_map(|(re, im)| Value::Complex { re, im }),
            (any::<f64>(), any::<f64>()).prop_map(|(ns, dt)| Value::Duration { ns, dt }),
        ]
    }

    fn ty() -> impl Strategy<Value = Type> {
        prop_oneof![
            Just(Type::Bit),
            (0u32..200).prop_map(Type::Bits),
            Just(Type::Bool),
            proptest::option::of(0u32..200).prop_map(Type::Int),
            proptest::option::of(0u32..200).prop_map(Type::Uint),
            proptest::option::of(0u32..200).prop_map(Type::Float),
            proptest::option::of(0u32..200).prop_map(Type::Angle),
            proptest::option::of(0u32..200).prop_map(Type::Complex),
            Just(Type::Duration),
        ]
    }
}
