//! Unit tests of the OpenQASM 3 parser: every construct into its tree, errors with their place
//! and message, and the limits on nesting.

use eqisa_ir::circuit::{TimeUnit, Wide};

use super::lex::SyntaxError;
use super::stmt::next_statement;
use crate::error::ErrorKind;
use crate::v3::ast::{
    ArrayRefDims, BinaryOpAst, Expr, ExprKind, ForIter, IndexAst, IndexItem, ModifierAst, ParamAst,
    RangeAst, Stmt, StmtKind, TypeAst, UnaryOpAst,
};

/// Every statement of `text`, or the first error.
fn parse(text: &str) -> Result<Vec<Stmt<'_>>, SyntaxError<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some((s, r)) = next_statement(rest)? {
        out.push(s);
        rest = r;
    }
    Ok(out)
}

/// The one statement of `text`.
fn one(text: &str) -> StmtKind<'_> {
    let mut all = parse(text).unwrap_or_else(|e| panic!("{text}: {:?} at {:?}", e.kind, e.at));
    assert_eq!(all.len(), 1, "{text}: {all:?}");
    all.remove(0).kind
}

/// The 1-based line and column of the first error in `text`, and its message.
fn error(text: &str) -> (usize, usize, String) {
    let e = match parse(text) {
        Ok(s) => panic!("{text} parsed: {s:?}"),
        Err(e) => e,
    };
    let off = text.len() - e.at.len();
    assert!(std::ptr::eq(e.at.as_ptr(), text.as_bytes()[off..].as_ptr()));
    let before = &text[..off];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |k| k + 1)..]
        .chars()
        .count()
        + 1;
    (line, col, e.kind.to_string())
}

fn op(o: BinaryOpAst) -> &'static str {
    use BinaryOpAst::*;
    match o {
        Pow => "**",
        Mul => "*",
        Div => "/",
        Mod => "%",
        Add => "+",
        Sub => "-",
        Shl => "<<",
        Shr => ">>",
        Lt => "<",
        Le => "<=",
        Gt => ">",
        Ge => ">=",
        Eq => "==",
        Ne => "!=",
        BitAnd => "&",
        BitXor => "^",
        BitOr => "|",
        And => "&&",
        Or => "||",
    }
}

fn opt(e: &Option<Box<Expr<'_>>>) -> String {
    e.as_ref().map_or(String::new(), |e| sx(e))
}

fn range(r: &RangeAst<'_>) -> String {
    match &r.step {
        Some(s) => format!("{}:{}:{}", opt(&r.start), sx(s), opt(&r.stop)),
        None => format!("{}:{}", opt(&r.start), opt(&r.stop)),
    }
}

fn list(v: &[Expr<'_>]) -> String {
    v.iter().map(sx).collect::<Vec<_>>().join(" ")
}

/// A type, written compactly.
fn ty(t: &TypeAst<'_>) -> String {
    let w = |name: &str, e: &Option<Box<Expr<'_>>>| match e {
        Some(e) => format!("{name}[{}]", sx(e)),
        None => name.to_string(),
    };
    match t {
        TypeAst::Bit(e) => w("bit", e),
        TypeAst::Bool => "bool".into(),
        TypeAst::Int(e) => w("int", e),
        TypeAst::Uint(e) => w("uint", e),
        TypeAst::Float(e) => w("float", e),
        TypeAst::Angle(e) => w("angle", e),
        TypeAst::Complex(e) => match e {
            Some(e) => format!("complex[float[{}]]", sx(e)),
            None => "complex".into(),
        },
        TypeAst::Duration => "duration".into(),
        TypeAst::Stretch => "stretch".into(),
        TypeAst::Array { elem, dims } => format!("array[{}, {}]", ty(elem), list(dims)),
        TypeAst::ArrayRef {
            mutable,
            elem,
            dims,
        } => {
            let d = match dims {
                ArrayRefDims::Sizes(v) => list(v),
                ArrayRefDims::Count(n) => format!("#dim={}", sx(n)),
            };
            let m = if *mutable { "mutable" } else { "readonly" };
            format!("{m} array[{}, {d}]", ty(elem))
        }
    }
}

/// An expression as an S-expression: the tree's shape at a glance.
fn sx(e: &Expr<'_>) -> String {
    match &e.kind {
        ExprKind::Int(w) => w.to_u64().map_or("big".into(), |v| v.to_string()),
        ExprKind::Float(f) => format!("{f:?}"),
        ExprKind::Imaginary(f) => format!("{f:?}im"),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::BitString(s) => format!("\"{s}\""),
        ExprKind::Duration(v, u) => format!("{v:?}{}", u.name()),
        ExprKind::Name(n) => n.text.to_string(),
        ExprKind::Physical(n) => format!("${n}"),
        ExprKind::Index(b, IndexAst::Items(items)) => {
            let items: Vec<String> = items
                .iter()
                .map(|i| match i {
                    IndexItem::Single(e) => sx(e),
                    IndexItem::Range(r) => range(r),
                })
                .collect();
            format!("(idx {} {})", sx(b), items.join(" "))
        }
        ExprKind::Index(b, IndexAst::Set(v)) => format!("(idx {} {{{}}})", sx(b), list(v)),
        ExprKind::Unary(o, x) => {
            let o = match o {
                UnaryOpAst::Neg => "neg",
                UnaryOpAst::Not => "!",
                UnaryOpAst::BitNot => "~",
            };
            format!("({o} {})", sx(x))
        }
        ExprKind::Binary(o, a, b) => format!("({} {} {})", op(*o), sx(a), sx(b)),
        ExprKind::Cast(t, x) => format!("(cast {} {})", ty(t), sx(x)),
        ExprKind::Call(n, args) if args.is_empty() => format!("(call {})", n.text),
        ExprKind::Call(n, args) => format!("(call {} {})", n.text, list(args)),
        ExprKind::Durationof(body) => format!("(durationof {})", body.len()),
        ExprKind::ArrayLiteral(v) => format!("{{{}}}", list(v)),
        ExprKind::Measure(q) => format!("(measure {})", sx(q)),
    }
}

/// The expression of the statement `x = <text>;`.
fn value(text: &str) -> String {
    let src = format!("x = {text};");
    let src: &'static str = Box::leak(src.into_boxed_str());
    match one(src) {
        StmtKind::Assign {
            op: None, value, ..
        } => sx(&value),
        other => panic!("{text}: {other:?}"),
    }
}

#[test]
fn precedence_and_associativity() {
    for (text, tree) in [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("1 * 2 + 3", "(+ (* 1 2) 3)"),
        ("a - b - c", "(- (- a b) c)"),
        ("a / b * c % d", "(% (* (/ a b) c) d)"),
        ("a ** b ** c", "(** a (** b c))"),
        ("-a ** b", "(neg (** a b))"),
        ("a ** -b", "(** a (neg b))"),
        ("2 ** -3 ** 2", "(** 2 (neg (** 3 2)))"),
        ("-a * b", "(* (neg a) b)"),
        ("!a && ~b", "(&& (! a) (~ b))"),
        ("a << 1 + 2", "(<< a (+ 1 2))"),
        ("a < b << 1", "(< a (<< b 1))"),
        ("a == b < c", "(== a (< b c))"),
        ("a & b == c", "(& a (== b c))"),
        ("a ^ b & c", "(^ a (& b c))"),
        ("a | b ^ c", "(| a (^ b c))"),
        ("a && b | c", "(&& a (| b c))"),
        ("a || b && c", "(|| a (&& b c))"),
        ("a || b || c", "(|| (|| a b) c)"),
        ("a != b >= c <= d > e", "(!= a (> (<= (>= b c) d) e))"),
        ("a >> 2 << 1", "(<< (>> a 2) 1)"),
        ("(a + b) * c", "(* (+ a b) c)"),
        ("a+-b", "(+ a (neg b))"),
        ("a--b", "(- a (neg b))"),
        ("a/*c*/+ // line\n b", "(+ a b)"),
        ("f(a, b + 1)[0] ** 2", "(** (idx (call f a (+ b 1)) 0) 2)"),
        ("sizeof(a, 1)", "(call sizeof a 1)"),
        ("g()", "(call g)"),
        ("f(a,)", "(call f a)"),
    ] {
        assert_eq!(value(text), tree, "{text}");
    }
}

#[test]
fn casts_and_special_expressions() {
    for (text, tree) in [
        ("int[8](x)", "(cast int[8] x)"),
        ("float(x + 1)", "(cast float (+ x 1))"),
        ("bit[4](n)", "(cast bit[4] n)"),
        ("uint[2 * n](x)", "(cast uint[(* 2 n)] x)"),
        ("angle[16](t)", "(cast angle[16] t)"),
        ("bool(c)", "(cast bool c)"),
        ("duration(d)", "(cast duration d)"),
        ("complex[float[64]](z)", "(cast complex[float[64]] z)"),
        ("array[int[8], 2](a)", "(cast array[int[8], 2] a)"),
        ("durationof({ x q; y q; })", "(durationof 2)"),
        ("2 * durationof({})", "(* 2 (durationof 0))"),
    ] {
        assert_eq!(value(text), tree, "{text}");
    }
}

#[test]
fn indices_ranges_and_sets() {
    for (text, tree) in [
        ("a[1]", "(idx a 1)"),
        ("a[1, 2]", "(idx a 1 2)"),
        ("a[1][2]", "(idx (idx a 1) 2)"),
        ("a[0:2]", "(idx a 0:2)"),
        ("a[0:2:10]", "(idx a 0:2:10)"),
        ("a[:]", "(idx a :)"),
        ("a[1:]", "(idx a 1:)"),
        ("a[:3]", "(idx a :3)"),
        ("a[::3]", "(idx a :3)"),
        ("a[-1]", "(idx a (neg 1))"),
        ("a[{0, 2, 4}]", "(idx a {0 2 4})"),
        ("a[1:2, 0]", "(idx a 1:2 0)"),
        ("a[n - 1 : 0, ]", "(idx a (- n 1):0)"),
        ("$3", "$3"),
    ] {
        assert_eq!(value(text), tree, "{text}");
    }
}

#[test]
fn literals() {
    for (text, tree) in [
        ("42", "42"),
        ("1_000_000", "1000000"),
        ("0x1F", "31"),
        ("0XfF_fF", "65535"),
        ("0o17", "15"),
        ("0b1010", "10"),
        ("0B1_1", "3"),
        ("1.", "1.0"),
        (".5", "0.5"),
        ("1e-3", "0.001"),
        ("1E3", "1000.0"),
        ("1_000.5", "1000.5"),
        ("1.5e+1_0", "15000000000.0"),
        ("2im", "2.0im"),
        ("1.5 im", "1.5im"),
        ("true", "true"),
        ("false", "false"),
        ("\"0101\"", "\"0101\""),
        ("100ns", "100.0ns"),
        ("2.5us", "2.5us"),
        ("3µs", "3.0us"),
        ("4 dt", "4.0dt"),
        ("1ms", "1.0ms"),
        ("0.5s", "0.5s"),
        ("1e3ns", "1000.0ns"),
        ("pi", "pi"),
        ("π", "π"),
        ("tau + τ + euler + ℇ", "(+ (+ (+ tau τ) euler) ℇ)"),
        ("θ_1", "θ_1"),
        ("_x9", "_x9"),
    ] {
        assert_eq!(value(text), tree, "{text}");
    }
    let StmtKind::Assign { value: v, .. } = one("x = 0x1_0000_0000_0000_0000;") else {
        panic!()
    };
    let wide = Wide::from_bits((0..=64).map(|k| k == 64));
    assert_eq!(v.kind, ExprKind::Int(wide.clone()));
    let StmtKind::Assign { value: v, .. } = one("x = 18446744073709551616;") else {
        panic!()
    };
    assert_eq!(v.kind, ExprKind::Int(wide));
    let StmtKind::Assign { value: v, .. } = one("x = 100 ns;") else {
        panic!()
    };
    assert_eq!(v.kind, ExprKind::Duration(100.0, TimeUnit::Ns));
}

#[test]
fn every_node_starts_where_its_text_does() {
    let text = "x = a + f(b)[c];";
    let StmtKind::Assign { target, value, .. } = one(text) else {
        panic!()
    };
    assert!(target.at.starts_with("x = "));
    assert!(value.at.starts_with("a + f"));
    let ExprKind::Binary(_, _, rhs) = &value.kind else {
        panic!()
    };
    assert!(rhs.at.starts_with("f(b)[c]"));
    let ExprKind::Index(call, _) = &rhs.kind else {
        panic!()
    };
    let ExprKind::Call(name, args) = &call.kind else {
        panic!()
    };
    assert_eq!(name.text, "f");
    assert!(std::ptr::eq(name.text.as_ptr(), &text.as_bytes()[8]));
    assert!(args[0].at.starts_with("b)"));
    let stmts = parse("  // c\n  @a x\n  h q;").expect("parses");
    assert!(stmts[0].at.starts_with("h q;"));
}

#[test]
fn directives() {
    assert_eq!(one("OPENQASM 3.0;"), StmtKind::Version("3.0"));
    assert_eq!(one("OPENQASM 3;"), StmtKind::Version("3"));
    assert_eq!(
        one("include \"stdgates.inc\";"),
        StmtKind::Include("stdgates.inc")
    );
    assert_eq!(
        one("include 'my file.inc' ;"),
        StmtKind::Include("my file.inc")
    );
    assert_eq!(
        one("defcalgrammar \"openpulse\";"),
        StmtKind::Defcalgrammar("openpulse")
    );
    assert_eq!(
        one("pragma   braket verbatim  \r\n"),
        StmtKind::Pragma("braket verbatim")
    );
    assert_eq!(one("#pragma x y"), StmtKind::Pragma("x y"));
    let s = parse("@bind $0 q\n@reversible\n@a.b.c   some text \nh q;").expect("parses");
    assert_eq!(s.len(), 1);
    let a: Vec<(&str, &str)> = s[0]
        .annotations
        .iter()
        .map(|a| (a.keyword, a.content))
        .collect();
    assert_eq!(
        a,
        [("bind", "$0 q"), ("reversible", ""), ("a.b.c", "some text")]
    );
    assert!(matches!(s[0].kind, StmtKind::GateCall { .. }));
    assert_eq!(one(";"), StmtKind::Empty);
    assert_eq!(one("nop q[0], q[1];"), StmtKind::Empty);
    assert_eq!(one("nop;"), StmtKind::Empty);
}

#[test]
fn calibration_blocks_are_raw_text() {
    assert_eq!(
        one("cal { extern port d0; /* } */ x = \"}\"; { nested } // }\n }"),
        StmtKind::Cal(" extern port d0; /* } */ x = \"}\"; { nested } // }\n ")
    );
    assert_eq!(
        one("defcal rz(angle[20] theta) q { shift_phase drive(q), -theta; }"),
        StmtKind::Defcal {
            name: "rz",
            body: " shift_phase drive(q), -theta; "
        }
    );
    assert_eq!(
        one("defcal measure $0 -> bit { return 1; }"),
        StmtKind::Defcal {
            name: "measure",
            body: " return 1; "
        }
    );
    assert_eq!(
        one("defcal cx $0, $1 {}"),
        StmtKind::Defcal {
            name: "cx",
            body: ""
        }
    );
    assert_eq!(
        one("defcal rx(pi / 2) $2 { play d; }"),
        StmtKind::Defcal {
            name: "rx",
            body: " play d; "
        }
    );
}

#[test]
fn quantum_declarations() {
    let StmtKind::QubitDecl { name, size: None } = one("qubit q;") else {
        panic!()
    };
    assert_eq!(name.text, "q");
    let StmtKind::QubitDecl {
        name,
        size: Some(n),
    } = one("qubit[4] q;")
    else {
        panic!()
    };
    assert_eq!((name.text, sx(&n).as_str()), ("q", "4"));
    let StmtKind::QubitDecl {
        name,
        size: Some(n),
    } = one("qreg r[n + 1];")
    else {
        panic!()
    };
    assert_eq!((name.text, sx(&n).as_str()), ("r", "(+ n 1)"));
    let StmtKind::ClassicalDecl { ty: t, name, .. } = one("creg c[3];") else {
        panic!()
    };
    assert_eq!((ty(&t).as_str(), name.text), ("bit[3]", "c"));
}

/// The kind, type, name and initial value of a classical declaration.
fn decl(text: &str) -> (crate::v3::ast::DeclKind, String, &str, Option<String>) {
    let StmtKind::ClassicalDecl {
        kind,
        ty: t,
        name,
        init,
    } = one(text)
    else {
        panic!("{text}")
    };
    (kind, ty(&t), name.text, init.as_ref().map(sx))
}

#[test]
fn classical_declarations() {
    use crate::v3::ast::DeclKind::*;
    for (text, kind, t, n, init) in [
        ("bit b;", Plain, "bit", "b", None),
        ("bit[2] c = \"01\";", Plain, "bit[2]", "c", Some("\"01\"")),
        ("bool f = true;", Plain, "bool", "f", Some("true")),
        ("int i;", Plain, "int", "i", None),
        ("int[32] i = -5;", Plain, "int[32]", "i", Some("(neg 5)")),
        ("uint[8] u = 0xff;", Plain, "uint[8]", "u", Some("255")),
        ("float[64] x = 1.5;", Plain, "float[64]", "x", Some("1.5")),
        (
            "angle[16] a = pi / 2;",
            Plain,
            "angle[16]",
            "a",
            Some("(/ pi 2)"),
        ),
        (
            "complex z = 1 + 2im;",
            Plain,
            "complex",
            "z",
            Some("(+ 1 2.0im)"),
        ),
        (
            "complex[float[32]] z;",
            Plain,
            "complex[float[32]]",
            "z",
            None,
        ),
        (
            "duration d = 100ns;",
            Plain,
            "duration",
            "d",
            Some("100.0ns"),
        ),
        ("stretch s;", Plain, "stretch", "s", None),
        ("const int n = 3;", Const, "int", "n", Some("3")),
        ("input angle[16] theta;", Input, "angle[16]", "theta", None),
        ("output bit[2] out;", Output, "bit[2]", "out", None),
        (
            "input array[float[64], 4] xs;",
            Input,
            "array[float[64], 4]",
            "xs",
            None,
        ),
        ("bit c = measure q;", Plain, "bit", "c", Some("(measure q)")),
        (
            "bit[2] c = measure q[0:1];",
            Plain,
            "bit[2]",
            "c",
            Some("(measure (idx q 0:1))"),
        ),
        (
            "array[int[8], 2, 2] a = { {1, 2}, {3, 4} };",
            Plain,
            "array[int[8], 2 2]",
            "a",
            Some("{{1 2} {3 4}}"),
        ),
        (
            "array[uint[32], 3] a = {5, 6, 7,};",
            Plain,
            "array[uint[32], 3]",
            "a",
            Some("{5 6 7}"),
        ),
        (
            "array[bool, 0] e = {};",
            Plain,
            "array[bool, 0]",
            "e",
            Some("{}"),
        ),
    ] {
        assert_eq!(
            decl(text),
            (kind, t.to_string(), n, init.map(String::from)),
            "{text}"
        );
    }
}

#[test]
fn aliases() {
    let StmtKind::Alias { name, parts } = one("let a = q[0:2] ++ r[1] ++ s;") else {
        panic!()
    };
    assert_eq!(name.text, "a");
    assert_eq!(list(&parts), "(idx q 0:2) (idx r 1) s");
    let StmtKind::Alias { parts, .. } = one("let b = q[{0, 3}];") else {
        panic!()
    };
    assert_eq!(list(&parts), "(idx q {0 3})");
}

#[test]
fn gate_definitions() {
    let StmtKind::GateDef {
        name,
        params,
        qubits,
        body,
    } = one("gate g(a, b) x, y { rz(a) x; ctrl @ rx(b) x, y; gphase(a); barrier x; }")
    else {
        panic!()
    };
    assert_eq!(name.text, "g");
    assert_eq!(
        params.iter().map(|n| n.text).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(
        qubits.iter().map(|n| n.text).collect::<Vec<_>>(),
        ["x", "y"]
    );
    assert_eq!(body.len(), 4);
    let StmtKind::GateDef { params, qubits, .. } = one("gate h2 q, { }") else {
        panic!()
    };
    assert!(params.is_empty());
    assert_eq!(qubits.len(), 1);
    let StmtKind::GateDef { params, .. } = one("gate e() q {}") else {
        panic!()
    };
    assert!(params.is_empty());
    let StmtKind::Opaque {
        name,
        params,
        qubits,
    } = one("opaque o(t) a, b;")
    else {
        panic!()
    };
    assert_eq!((name.text, params.len(), qubits.len()), ("o", 1, 2));
}

/// The formal parameters of a `def` as written compactly.
fn show_params(params: &[ParamAst<'_>]) -> Vec<String> {
    params
        .iter()
        .map(|p| match p {
            ParamAst::Classical { ty: t, name } => {
                format!("{} {}", ty(t), name.map_or("_", |n| n.text))
            }
            ParamAst::Qubit { size, name } => format!(
                "qubit[{}] {}",
                size.as_ref().map_or(String::new(), sx),
                name.map_or("_", |n| n.text)
            ),
        })
        .collect()
}

#[test]
fn subroutines_and_externs() {
    let StmtKind::Def {
        name,
        params,
        ret,
        body,
    } = one(
        "def f(int[32] a, qubit q, qubit[2] r, qreg s[3], creg c[2], \
         readonly array[int[8], #dim = 2] m, mutable array[float[64], 3, n] b,) -> bit { \
         return measure q; }",
    )
    else {
        panic!()
    };
    assert_eq!(name.text, "f");
    assert_eq!(
        show_params(&params),
        [
            "int[32] a",
            "qubit[] q",
            "qubit[2] r",
            "qubit[3] s",
            "bit[2] c",
            "readonly array[int[8], #dim=2] m",
            "mutable array[float[64], 3 n] b"
        ]
    );
    assert_eq!(ret.as_ref().map(ty).as_deref(), Some("bit"));
    let [
        Stmt {
            kind: StmtKind::Return(Some(v)),
            ..
        },
    ] = body.as_slice()
    else {
        panic!("{body:?}")
    };
    assert_eq!(sx(v), "(measure q)");
    let StmtKind::Def { params, ret, .. } = one("def g() { return; }") else {
        panic!()
    };
    assert!(params.is_empty() && ret.is_none());
    let StmtKind::Extern { name, params, ret } =
        one("extern ext(int[32], readonly array[float[64], 2], creg[4]) -> float[64];")
    else {
        panic!()
    };
    assert_eq!(name.text, "ext");
    assert_eq!(
        show_params(&params),
        ["int[32] _", "readonly array[float[64], 2] _", "bit[4] _"]
    );
    assert_eq!(ret.as_ref().map(ty).as_deref(), Some("float[64]"));
}

/// A gate call written compactly: modifiers, name, parameters, duration, operands.
fn call(text: &str) -> String {
    let StmtKind::GateCall {
        modifiers,
        name,
        params,
        duration,
        operands,
    } = one(text)
    else {
        panic!("{text}")
    };
    let mods: Vec<String> = modifiers
        .iter()
        .map(|m| match m {
            ModifierAst::Inv => "inv".into(),
            ModifierAst::Pow(e) => format!("pow({})", sx(e)),
            ModifierAst::Ctrl(n) => format!("ctrl({})", n.as_ref().map_or(String::new(), sx)),
            ModifierAst::Negctrl(n) => {
                format!("negctrl({})", n.as_ref().map_or(String::new(), sx))
            }
        })
        .collect();
    format!(
        "{}|{}({})[{}] {}",
        mods.join(" @ "),
        name.text,
        list(&params),
        duration.as_ref().map_or(String::new(), sx),
        list(&operands)
    )
}

#[test]
fn gate_calls() {
    for (text, shown) in [
        ("h q;", "|h()[] q"),
        ("cx q[0], q[1];", "|cx()[] (idx q 0) (idx q 1)"),
        ("rz(pi / 2) q[0];", "|rz((/ pi 2))[] (idx q 0)"),
        ("U(1, 2, 3) $0;", "|U(1 2 3)[] $0"),
        ("CX a, b,;", "|CX()[] a b"),
        ("x[100ns] q;", "|x()[100.0ns] q"),
        ("rx(θ)[d] q;", "|rx(θ)[d] q"),
        ("g() q;", "|g()[] q"),
        ("gphase(pi);", "|gphase(pi)[] "),
        ("gphase(pi) q;", "|gphase(pi)[] q"),
        ("ctrl @ gphase(a) q;", "ctrl()|gphase(a)[] q"),
        (
            "inv @ pow(2) @ ctrl(2) @ negctrl @ rz(t)[10dt] a, b, c;",
            "inv @ pow(2) @ ctrl(2) @ negctrl()|rz(t)[10.0dt] a b c",
        ),
        (
            "negctrl(1) @ x q[0], q[1];",
            "negctrl(1)|x()[] (idx q 0) (idx q 1)",
        ),
        ("h q[0:2];", "|h()[] (idx q 0:2)"),
    ] {
        assert_eq!(call(text), shown, "{text}");
    }
}

#[test]
fn measure_reset_barrier_delay_box() {
    let m = |text| match one(text) {
        StmtKind::Measure { qubits, target } => (sx(&qubits), target.as_ref().map(sx)),
        other => panic!("{other:?}"),
    };
    assert_eq!(m("measure q;"), ("q".into(), None));
    assert_eq!(
        m("measure q[0] -> c[1];"),
        ("(idx q 0)".into(), Some("(idx c 1)".into()))
    );
    assert_eq!(m("c = measure q;"), ("q".into(), Some("c".into())));
    assert_eq!(
        m("c[0] = measure $1;"),
        ("$1".into(), Some("(idx c 0)".into()))
    );
    let StmtKind::Reset(q) = one("reset q[1];") else {
        panic!()
    };
    assert_eq!(sx(&q), "(idx q 1)");
    assert_eq!(one("barrier;"), StmtKind::Barrier(Vec::new()));
    let StmtKind::Barrier(v) = one("barrier q, r[0];") else {
        panic!()
    };
    assert_eq!(list(&v), "q (idx r 0)");
    let StmtKind::Delay { duration, operands } = one("delay[100ns] q[0], q[1];") else {
        panic!()
    };
    assert_eq!(
        (sx(&duration), list(&operands)),
        ("100.0ns".into(), "(idx q 0) (idx q 1)".into())
    );
    let StmtKind::Delay { operands, .. } = one("delay[2 * d];") else {
        panic!()
    };
    assert!(operands.is_empty());
    let StmtKind::Box { duration, body } = one("box [1us] { x q; delay[s] q; }") else {
        panic!()
    };
    assert_eq!(
        (duration.as_ref().map(sx), body.len()),
        (Some("1.0us".into()), 2)
    );
    let StmtKind::Box {
        duration: None,
        body,
    } = one("box { }")
    else {
        panic!()
    };
    assert!(body.is_empty());
}

#[test]
fn assignments() {
    use BinaryOpAst::*;
    for (text, o) in [
        ("a = 1;", None),
        ("a += 1;", Some(Add)),
        ("a -= 1;", Some(Sub)),
        ("a *= 1;", Some(Mul)),
        ("a /= 1;", Some(Div)),
        ("a %= 1;", Some(Mod)),
        ("a **= 1;", Some(Pow)),
        ("a &= 1;", Some(BitAnd)),
        ("a |= 1;", Some(BitOr)),
        ("a ^= 1;", Some(BitXor)),
        ("a <<= 1;", Some(Shl)),
        ("a >>= 1;", Some(Shr)),
    ] {
        let StmtKind::Assign { target, op, value } = one(text) else {
            panic!("{text}")
        };
        assert_eq!(
            (sx(&target), op, sx(&value)),
            ("a".into(), o, "1".into()),
            "{text}"
        );
    }
    let StmtKind::Assign { target, value, .. } = one("m[1, 2][0] = f(a) + 1;") else {
        panic!()
    };
    assert_eq!(
        (sx(&target), sx(&value)),
        ("(idx (idx m 1 2) 0)".into(), "(+ (call f a) 1)".into())
    );
    let StmtKind::Assign { op, value, .. } = one("c |= measure q;") else {
        panic!()
    };
    assert_eq!((op, sx(&value)), (Some(BitOr), "(measure q)".into()));
    let StmtKind::Expr(e) = one("f(a, 2);") else {
        panic!()
    };
    assert_eq!(sx(&e), "(call f a 2)");
    let StmtKind::Expr(e) = one("int[8](x) + 1;") else {
        panic!()
    };
    assert_eq!(sx(&e), "(+ (cast int[8] x) 1)");
}

#[test]
fn if_else() {
    let StmtKind::If {
        cond,
        then_body,
        else_body,
    } = one("if (c == 1) { x q; y q; } else if (!b) z q; else { }")
    else {
        panic!()
    };
    assert_eq!(sx(&cond), "(== c 1)");
    assert_eq!(then_body.len(), 2);
    let Some(
        [
            Stmt {
                kind: StmtKind::If {
                    cond, else_body, ..
                },
                ..
            },
        ],
    ) = else_body.as_deref()
    else {
        panic!()
    };
    assert_eq!(sx(cond), "(! b)");
    assert_eq!(else_body.as_ref().map(Vec::len), Some(0));
    let s = parse("if (c) x q;\ny q;").expect("parses");
    assert_eq!(s.len(), 2);
    assert!(matches!(
        s[0].kind,
        StmtKind::If {
            else_body: None,
            ..
        }
    ));
}

#[test]
fn loops() {
    let f = |text| match one(text) {
        StmtKind::For {
            ty: t,
            var,
            iter,
            body,
        } => {
            let it = match &iter {
                ForIter::Range(r) => format!("[{}]", range(r)),
                ForIter::Set(v) => format!("{{{}}}", list(v)),
                ForIter::Value(e) => sx(e),
            };
            (t.as_ref().map(ty), var.text, it, body.len())
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(
        f("for int i in [0:9] { x q[i]; }"),
        (Some("int".into()), "i", "[0:9]".into(), 1)
    );
    assert_eq!(f("for i in {1, 5,} h q;"), (None, "i", "{1 5}".into(), 1));
    assert_eq!(
        f("for uint[8] i in [0:2:10] {}"),
        (Some("uint[8]".into()), "i", "[0:2:10]".into(), 0)
    );
    assert_eq!(
        f("for x in my_array { }"),
        (None, "x", "my_array".into(), 0)
    );
    assert_eq!(f("for x in a[1:] { }"), (None, "x", "(idx a 1:)".into(), 0));
    let StmtKind::While { cond, body } =
        one("while (i < 10) { i += 1; if (i == 5) break; continue; }")
    else {
        panic!()
    };
    assert_eq!((sx(&cond), body.len()), ("(< i 10)".into(), 3));
    assert_eq!(one("break;"), StmtKind::Break);
    assert_eq!(one("continue;"), StmtKind::Continue);
    assert_eq!(one("end;"), StmtKind::End);
    assert_eq!(one("return;"), StmtKind::Return(None));
    let StmtKind::Return(Some(v)) = one("return a + 1;") else {
        panic!()
    };
    assert_eq!(sx(&v), "(+ a 1)");
}

#[test]
fn switch() {
    let StmtKind::Switch {
        target,
        cases,
        default,
    } = one("switch (i + 1) { case 0 { x q; } case 1, 2, { } default { y q; z q; } }")
    else {
        panic!()
    };
    assert_eq!(sx(&target), "(+ i 1)");
    let shown: Vec<(String, usize)> = cases
        .iter()
        .map(|c| (list(&c.values), c.body.len()))
        .collect();
    assert_eq!(shown, [("0".into(), 1), ("1 2".into(), 0)]);
    assert_eq!(default.map(|d| d.len()), Some(2));
    let StmtKind::Switch {
        cases,
        default: None,
        ..
    } = one("switch (x) {}")
    else {
        panic!()
    };
    assert!(cases.is_empty());
}

#[test]
fn blocks() {
    let StmtKind::Block(body) = one("{ x q; { } ; }") else {
        panic!()
    };
    assert_eq!(body.len(), 3);
    assert_eq!(body[1].kind, StmtKind::Block(Vec::new()));
    assert_eq!(body[2].kind, StmtKind::Empty);
}

#[test]
fn statements_follow_each_other() {
    let text = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q; bit[2] c;\nh q[0];\n\
                cx q[0], q[1];\nc = measure q;\n// trailing comment\n";
    let s = parse(text).expect("parses");
    assert_eq!(s.len(), 7);
    assert!(
        next_statement("  /* only a comment */ \n")
            .expect("parses")
            .is_none()
    );
    assert!(next_statement("").expect("parses").is_none());
}

#[test]
fn syntax_errors_name_what_was_expected_and_found() {
    for (text, line, col, msg) in [
        (
            "h q",
            1,
            4,
            "unterminated statement: expected ',' or ';' after the gate's operands before the end of the file",
        ),
        (
            "qubit for;",
            1,
            7,
            "syntax error: expected the qubit's name, found the keyword 'for'",
        ),
        (
            "int[32] if = 1;",
            1,
            9,
            "syntax error: expected the variable's name, found the keyword 'if'",
        ),
        (
            "x = for;",
            1,
            5,
            "syntax error: expected an expression, found the keyword 'for'",
        ),
        (
            "h q r;",
            1,
            5,
            "syntax error: expected ',' or ';' after the gate's operands, found 'r'",
        ),
        (
            "OPENQASM 3.0;\nx = (1 + 2;",
            2,
            11,
            "syntax error: expected ')' closing the parenthesis, found ';'",
        ),
        (
            "defcalgrammar openpulse;",
            1,
            15,
            "syntax error: expected a quoted calibration grammar name, found 'openpulse'",
        ),
        (
            "include \"a.inc;\n",
            1,
            16,
            "syntax error: expected \" closing the string on its line, found a line break or tab",
        ),
        (
            "/* never closed",
            1,
            1,
            "unterminated statement: expected '*/' closing the comment before the end of the file",
        ),
        (
            "x q; /* open",
            1,
            6,
            "unterminated statement: expected '*/' closing the comment",
        ),
        (
            "if (c) { x q;",
            1,
            14,
            "unterminated statement: expected '}' closing the block",
        ),
        (
            "cal { {",
            1,
            5,
            "unterminated statement: expected '}' closing the calibration block",
        ),
        ("x = 12abc;", 1, 5, "malformed number '12abc'"),
        ("x = 1__0;", 1, 5, "malformed number '1__0'"),
        ("x = 0x;", 1, 5, "malformed number '0x'"),
        ("x = 0b102;", 1, 5, "malformed number '0b102'"),
        ("x = 1.2.3;", 1, 5, "malformed number '1.2.3'"),
        ("x = 2e;", 1, 5, "malformed number '2e'"),
        (
            "x = \"012\";",
            1,
            5,
            "syntax error: expected a bit string of 0s and 1s in double quotes, found '\"'",
        ),
        (
            "else x q;",
            1,
            1,
            "syntax error: expected a statement, found the keyword 'else'",
        ),
        (
            ") x;",
            1,
            1,
            "syntax error: expected a statement, found ')'",
        ),
        (
            "{ @a b\n }",
            2,
            2,
            "syntax error: expected a statement, found '}'",
        ),
        (
            "(a) = 1;",
            1,
            1,
            "syntax error: expected a variable before the assignment, found '('",
        ),
        (
            "a + 1 = 2;",
            1,
            1,
            "syntax error: expected a variable before the assignment, found 'a'",
        ),
        (
            "for i [0:2] {}",
            1,
            7,
            "syntax error: expected 'in' after the loop variable, found '['",
        ),
        (
            "for i in [0] {}",
            1,
            12,
            "syntax error: expected ':' making a range, found ']'",
        ),
        (
            "switch (x) { case 1 { } default { } default { } }",
            1,
            37,
            "syntax error: expected 'case' or '}' (a switch has one default), found the keyword 'default'",
        ),
        (
            "switch (x) { x q; }",
            1,
            14,
            "syntax error: expected 'case', 'default' or '}', found 'x'",
        ),
        (
            "input int x = 3;",
            1,
            13,
            "syntax error: expected ';' (an input or output takes no initial value), found '='",
        ),
        (
            "const int x;",
            1,
            12,
            "syntax error: expected '=' and the constant's value, found ';'",
        ),
        (
            "gate g q x q; }",
            1,
            10,
            "syntax error: expected ',' or '{' opening the gate's body, found 'x'",
        ),
        (
            "ctrl @ 3 q;",
            1,
            8,
            "syntax error: expected a gate name or modifier, found '3'",
        ),
        (
            "inv x q;",
            1,
            5,
            "syntax error: expected '@' after the modifier, found 'x'",
        ),
        (
            "x = $;",
            1,
            6,
            "syntax error: expected the number of a physical qubit after '$', found ';'",
        ),
        (
            "x = $99999999999;",
            1,
            5,
            "physical qubit $99999999999 is too large (limit 4294967295)",
        ),
        (
            "@",
            1,
            2,
            "unterminated statement: expected an annotation's name after '@'",
        ),
        (
            "@foo bar",
            1,
            9,
            "unterminated statement: expected a statement after the annotation",
        ),
        (
            "#include",
            1,
            1,
            "syntax error: expected a statement, found '#'",
        ),
        (
            "measure q c;",
            1,
            11,
            "syntax error: expected '->' or ';' after the measured qubits, found 'c'",
        ),
        (
            "x = 1e999;",
            1,
            5,
            "the number 1e999 is beyond the range of a double",
        ),
        (
            "complex[int[8]] z;",
            1,
            9,
            "syntax error: expected 'float' inside 'complex[...]', found the keyword 'int'",
        ),
    ] {
        let (l, c, m) = error(text);
        assert_eq!((l, c), (line, col), "{text}: {m}");
        assert!(m.starts_with(msg), "{text}: {m}");
    }
}

#[test]
fn literals_are_bounded() {
    let max = crate::syntax::MAX_CONDITION_DIGITS;
    assert!(parse(&format!("x = {};", "9".repeat(max))).is_ok());
    let (_, col, m) = error(&format!("x = {};", "9".repeat(max + 1)));
    assert_eq!(col, 5);
    assert!(m.contains("is too large"), "{m}");
    let StmtKind::Assign { value, .. } =
        one("x = 0b1000000000000000000000000000000000000000000000000000000000000000000;")
    else {
        panic!()
    };
    assert_eq!(
        value.kind,
        ExprKind::Int(Wide::from_bits((0..=66).map(|k| k == 66)))
    );
}

#[test]
fn messages_quote_at_most_forty_characters_of_a_literal() {
    let (_, _, m) = error(&format!("x = 1{};", "a".repeat(10_000)));
    assert_eq!(m, format!("malformed number '1{}…'", "a".repeat(39)));
}

#[test]
fn keywords_are_not_names() {
    for text in [
        "qubit measure;",
        "gate if q {}",
        "def while() {}",
        "let in = q;",
        "h true;",
        "bit[2] OPENQASM;",
        "x = qubit;",
    ] {
        let (_, _, m) = error(text);
        assert!(m.contains("keyword"), "{text}: {m}");
    }
    // `defcalgrammar` is a directive, not a gate applied to a string.
    assert_eq!(
        one("defcalgrammar 'openpulse';"),
        StmtKind::Defcalgrammar("openpulse")
    );
}

#[test]
fn nesting_is_bounded() {
    let max = crate::syntax::MAX_NESTING;
    let deep =
        |open: &str, close: &str, n: usize| format!("x = {}1{};", open.repeat(n), close.repeat(n));
    assert!(parse(&deep("(", ")", max - 2)).is_ok());
    for (open, close) in [("(", ")"), ("-", ""), ("f(", ")"), ("a[", "]"), ("2**", "")] {
        let text = deep(open, close, max + 10);
        let e = parse(&text).expect_err("too deep");
        assert_eq!(e.kind, ErrorKind::NestingDepth(max), "{open}");
    }
    let blocks = format!("{}{}", "{".repeat(max + 1), "}".repeat(max + 1));
    assert_eq!(
        parse(&blocks).expect_err("too deep").kind,
        ErrorKind::NestingDepth(max)
    );
    let ifs = format!("{}x q;", "if (c) ".repeat(max + 1));
    assert_eq!(
        parse(&ifs).expect_err("too deep").kind,
        ErrorKind::NestingDepth(max)
    );
    let arrays = format!(
        "array[int, 1] a = {}1{};",
        "{".repeat(max + 1),
        "}".repeat(max + 1)
    );
    assert_eq!(
        parse(&arrays).expect_err("too deep").kind,
        ErrorKind::NestingDepth(max)
    );
}

#[test]
fn long_chains_are_bounded_by_the_height_of_their_tree() {
    let limit = super::expr::MAX_TREE_HEIGHT;
    let ok = format!("x = {}1;", "1 + ".repeat(limit - 2));
    assert!(parse(&ok).is_ok());
    let long = format!("x = {}1;", "1 + ".repeat(limit + 5));
    assert_eq!(
        parse(&long).expect_err("too tall").kind,
        ErrorKind::NestingDepth(limit)
    );
    let indexed = format!("x = a{};", "[0]".repeat(limit + 5));
    assert_eq!(
        parse(&indexed).expect_err("too tall").kind,
        ErrorKind::NestingDepth(limit)
    );
    // Statements inside an expression count towards its height.
    let chain = "1 + ".repeat(limit / 2);
    let nested = format!("x = durationof({{ y = durationof({{ z = {chain}{chain}1; }}); }});");
    assert_eq!(
        parse(&nested).expect_err("too tall").kind,
        ErrorKind::NestingDepth(limit)
    );
}
