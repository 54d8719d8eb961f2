//! Real-valued parameter expressions: the angles of gate applications and of gate-definition
//! bodies, where they may refer to the definition's formal parameters.

use std::fmt;

/// A unary function of the OpenQASM expression language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Sin,
    Cos,
    Tan,
    Exp,
    Ln,
    Sqrt,
    Asin,
    Acos,
    Atan,
}

impl Func {
    /// The function of that name in OpenQASM 2 (`sin cos tan exp ln sqrt`) or 3 (also `arcsin
    /// arccos arctan`).
    pub fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "sin" => Func::Sin,
            "cos" => Func::Cos,
            "tan" => Func::Tan,
            "exp" => Func::Exp,
            "ln" => Func::Ln,
            "sqrt" => Func::Sqrt,
            "arcsin" => Func::Asin,
            "arccos" => Func::Acos,
            "arctan" => Func::Atan,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Tan => "tan",
            Func::Exp => "exp",
            Func::Ln => "ln",
            Func::Sqrt => "sqrt",
            Func::Asin => "arcsin",
            Func::Acos => "arccos",
            Func::Atan => "arctan",
        }
    }

    fn apply(self, x: f64) -> f64 {
        match self {
            Func::Sin => x.sin(),
            Func::Cos => x.cos(),
            Func::Tan => x.tan(),
            Func::Exp => x.exp(),
            Func::Ln => x.ln(),
            Func::Sqrt => x.sqrt(),
            Func::Asin => x.asin(),
            Func::Acos => x.acos(),
            Func::Atan => x.atan(),
        }
    }
}

/// A binary arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

impl BinOp {
    fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
        }
    }

    /// Binding strength: 1 for `+ -`, 2 for `* /`, 3 for `^`.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Add | BinOp::Sub => 1,
            BinOp::Mul | BinOp::Div => 2,
            BinOp::Pow => 3,
        }
    }

    fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mul => a * b,
            BinOp::Div => a / b,
            BinOp::Pow => a.powf(b),
        }
    }
}

/// A parameter expression. `Param(i)` is the i-th formal parameter of the enclosing gate
/// definition; at the top level of a program there are none.
///
/// Left-associative operators of one precedence level (`a+b-c+…`, `a*b/c*…`) form one
/// [`Expr::Chain`] node, so the depth of a tree is the nesting of the text (parentheses, calls,
/// signs, `^`), which the parser bounds, never the length of a flat sum: every walk over an
/// expression (evaluation, printing, cloning, comparing, dropping) may recurse.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Num(f64),
    Pi,
    Param(u32),
    Neg(Box<Expr>),
    /// `a op b`; the parser builds it for `^` only (right-associative, so a tower nests).
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// `first op1 e1 op2 e2 …`, evaluated left to right, with every `op` of one precedence
    /// level (`+`/`-` or `*`/`/`).
    Chain(Box<Expr>, Vec<(BinOp, Expr)>),
    Call(Func, Box<Expr>),
}

impl Expr {
    /// Evaluate with the given values of the formal parameters. A `Param` outside `params`
    /// cannot be built by the parser; it evaluates to NaN so that callers' finiteness checks
    /// catch it rather than a panic.
    pub fn eval(&self, params: &[f64]) -> f64 {
        match self {
            Expr::Num(v) => *v,
            Expr::Pi => std::f64::consts::PI,
            Expr::Param(i) => params.get(*i as usize).copied().unwrap_or(f64::NAN),
            Expr::Neg(e) => -e.eval(params),
            Expr::Bin(op, a, b) => op.apply(a.eval(params), b.eval(params)),
            Expr::Chain(first, rest) => rest.iter().fold(first.eval(params), |acc, (op, e)| {
                op.apply(acc, e.eval(params))
            }),
            Expr::Call(f, e) => f.apply(e.eval(params)),
        }
    }

    /// `self op e` for a left-associative `op` (`+ - * /`): appended to `self` when it is a
    /// chain of the same precedence level (so a flat sum stays one node, whatever its length),
    /// folded to a number when both sides are constant (as [`Expr::bin`] does). `^` makes a
    /// binary node.
    pub fn then(self, op: BinOp, e: Expr) -> Expr {
        if op == BinOp::Pow || (self.is_constant() && e.is_constant()) {
            return Expr::bin(op, self, e);
        }
        match self {
            Expr::Chain(first, mut rest)
                if rest
                    .first()
                    .is_some_and(|(o, _)| o.precedence() == op.precedence()) =>
            {
                rest.push((op, e));
                Expr::Chain(first, rest)
            }
            lhs => Expr::Chain(Box::new(lhs), vec![(op, e)]),
        }
    }

    /// `a op b`, folded to a number when neither side refers to a formal parameter (the value
    /// is what evaluating the tree would give, so folding never changes a result).
    pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
        let e = Expr::Bin(op, Box::new(a), Box::new(b));
        e.folded()
    }

    /// `-e`, folded when constant.
    pub fn negated(e: Expr) -> Expr {
        Expr::Neg(Box::new(e)).folded()
    }

    /// `f(e)`, folded when constant.
    pub fn call(f: Func, e: Expr) -> Expr {
        Expr::Call(f, Box::new(e)).folded()
    }

    fn folded(self) -> Expr {
        if self.is_constant() {
            Expr::Num(self.eval(&[]))
        } else {
            self
        }
    }

    /// True when the expression does not refer to any formal parameter.
    pub fn is_constant(&self) -> bool {
        match self {
            Expr::Num(_) | Expr::Pi => true,
            Expr::Param(_) => false,
            Expr::Neg(e) | Expr::Call(_, e) => e.is_constant(),
            Expr::Bin(_, a, b) => a.is_constant() && b.is_constant(),
            Expr::Chain(first, rest) => {
                first.is_constant() && rest.iter().all(|(_, e)| e.is_constant())
            }
        }
    }

    /// Write the expression in OpenQASM syntax, naming formal parameters with `names`.
    pub fn write(&self, out: &mut impl fmt::Write, names: &[String]) -> fmt::Result {
        self.write_prec(out, names, 0)
    }

    fn write_prec(&self, out: &mut impl fmt::Write, names: &[String], outer: u8) -> fmt::Result {
        match self {
            Expr::Num(v) => write_number(out, *v),
            Expr::Pi => out.write_str("pi"),
            Expr::Param(i) => match names.get(*i as usize) {
                Some(n) => out.write_str(n),
                None => write!(out, "_p{i}"),
            },
            Expr::Neg(e) => {
                out.write_str("-")?;
                e.write_prec(out, names, 4)
            }
            Expr::Bin(op, a, b) => {
                let p = op.precedence();
                if p < outer {
                    out.write_str("(")?;
                }
                // Left-associative except `^`; parenthesise the side that would re-associate.
                let (lp, rp) = if *op == BinOp::Pow {
                    (p + 1, p)
                } else {
                    (p, p + 1)
                };
                a.write_prec(out, names, lp)?;
                out.write_str(op.symbol())?;
                b.write_prec(out, names, rp)?;
                if p < outer {
                    out.write_str(")")?;
                }
                Ok(())
            }
            Expr::Chain(first, rest) => {
                let p = rest.first().map_or(0, |(op, _)| op.precedence());
                if p < outer {
                    out.write_str("(")?;
                }
                // Left-associative: a right operand of the same level needs parentheses.
                first.write_prec(out, names, p)?;
                for (op, e) in rest {
                    out.write_str(op.symbol())?;
                    e.write_prec(out, names, p + 1)?;
                }
                if p < outer {
                    out.write_str(")")?;
                }
                Ok(())
            }
            Expr::Call(f, e) => {
                write!(out, "{}(", f.name())?;
                e.write_prec(out, names, 0)?;
                out.write_str(")")
            }
        }
    }
}

/// Write a float so that it reads back bit-exactly (Rust's shortest round-trip form), with an
/// explicit exponent form OpenQASM 2 accepts.
pub fn write_number(out: &mut impl fmt::Write, v: f64) -> fmt::Result {
    if v.is_finite() && v == v.trunc() && v.abs() < 1e15 {
        if v < 0.0 {
            // Unary minus binds looser than `^`: parenthesise so `(-2)^2` reads back as 4.
            write!(out, "({v:.1})")
        } else {
            write!(out, "{v:.1}")
        }
    } else if v.is_finite() && (1e-5..1e15).contains(&v.abs()) {
        // Plain decimals where they are short; Rust prints the shortest round-trip form.
        if v < 0.0 {
            write!(out, "({v})")
        } else {
            write!(out, "{v}")
        }
    } else if v < 0.0 {
        // A leading minus is unary negation in the grammar; parenthesise so it binds tightly.
        write!(out, "({v:e})")
    } else {
        write!(out, "{v:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_with_parameters() {
        // theta/2 + pi*cos(0)
        let e = Expr::Bin(
            BinOp::Add,
            Box::new(Expr::Bin(
                BinOp::Div,
                Box::new(Expr::Param(0)),
                Box::new(Expr::Num(2.0)),
            )),
            Box::new(Expr::Bin(
                BinOp::Mul,
                Box::new(Expr::Pi),
                Box::new(Expr::Call(Func::Cos, Box::new(Expr::Num(0.0)))),
            )),
        );
        let v = e.eval(&[1.0]);
        assert!((v - (0.5 + std::f64::consts::PI)).abs() < 1e-15);
        assert!(!e.is_constant());
        let mut s = String::new();
        e.write(&mut s, &["theta".to_string()]).unwrap();
        assert_eq!(s, "theta/2.0+pi*cos(0.0)");
    }

    #[test]
    fn numbers_print_round_trip() {
        for v in [0.1, -1.5707004529956539, 1e-300, 3.0, -2.0, 6.02e23] {
            let mut s = String::new();
            write_number(&mut s, v).unwrap();
            let t = s.trim_start_matches('(').trim_end_matches(')');
            assert_eq!(t.parse::<f64>().unwrap(), v, "{s}");
        }
    }
}
