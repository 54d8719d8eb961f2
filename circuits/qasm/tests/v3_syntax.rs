//! The OpenQASM 3 parser from outside: a tour of the language parses statement by statement,
//! no input makes it panic or place an error outside the text, and random expressions printed
//! with the fewest parentheses parse back to the same tree.

use eqisa_qasm::v3::ast::{BinaryOpAst, Expr, ExprKind, StmtKind, UnaryOpAst};
use eqisa_qasm::v3::parse::{SyntaxError, next_statement};
use proptest::prelude::*;
use proptest::sample::Index;

const TOUR: &str = include_str!("v3/tour.qasm");

/// Whether `inner` is a suffix of `outer` (by address, the way errors compute positions).
fn is_suffix(outer: &str, inner: &str) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    i >= o && i + inner.len() == o + outer.len()
}

/// Parse every statement of `text`, checking that each rest and the error's place are
/// suffixes of the text; the statements' kinds, or the error.
fn parse_checked(text: &str) -> Result<Vec<StmtKind<'_>>, SyntaxError<'_>> {
    let mut rest = text;
    let mut out = Vec::new();
    loop {
        match next_statement(rest) {
            Ok(None) => return Ok(out),
            Ok(Some((s, r))) => {
                assert!(is_suffix(text, r), "rest outside the text");
                assert!(r.len() < rest.len(), "no progress at {rest:?}");
                assert!(is_suffix(text, s.at), "statement outside the text");
                out.push(s.kind);
                rest = r;
            }
            Err(e) => {
                assert!(is_suffix(text, e.at), "error outside the text: {e:?}");
                assert!(!e.kind.to_string().is_empty());
                return Err(e);
            }
        }
    }
}

/// A statement kind's name, for comparing sequences.
fn kind_name(k: &StmtKind<'_>) -> &'static str {
    match k {
        StmtKind::Version(_) => "version",
        StmtKind::Include(_) => "include",
        StmtKind::Pragma(_) => "pragma",
        StmtKind::Defcalgrammar(_) => "defcalgrammar",
        StmtKind::Cal(_) => "cal",
        StmtKind::Defcal { .. } => "defcal",
        StmtKind::QubitDecl { .. } => "qubit",
        StmtKind::ClassicalDecl { .. } => "decl",
        StmtKind::Alias { .. } => "let",
        StmtKind::GateDef { .. } => "gate",
        StmtKind::Opaque { .. } => "opaque",
        StmtKind::Def { .. } => "def",
        StmtKind::Extern { .. } => "extern",
        StmtKind::GateCall { .. } => "call",
        StmtKind::Measure { .. } => "measure",
        StmtKind::Reset(_) => "reset",
        StmtKind::Barrier(_) => "barrier",
        StmtKind::Delay { .. } => "delay",
        StmtKind::Assign { .. } => "assign",
        StmtKind::Expr(_) => "expr",
        StmtKind::If { .. } => "if",
        StmtKind::For { .. } => "for",
        StmtKind::While { .. } => "while",
        StmtKind::Switch { .. } => "switch",
        StmtKind::Break => "break",
        StmtKind::Continue => "continue",
        StmtKind::End => "end",
        StmtKind::Return(_) => "return",
        StmtKind::Box { .. } => "box",
        StmtKind::Block(_) => "block",
        StmtKind::Empty => "empty",
    }
}

#[test]
fn the_tour_parses_statement_by_statement() {
    let kinds = parse_checked(TOUR).unwrap_or_else(|e| panic!("{e:?}"));
    let names: Vec<&str> = kinds.iter().map(kind_name).collect();
    let expected = "version include defcalgrammar pragma \
        decl decl decl decl decl qubit qubit qubit decl decl decl decl decl decl decl decl decl \
        decl decl decl decl decl decl let let \
        extern def def def gate gate opaque cal defcal defcal \
        call call call call call call call call barrier barrier delay delay box box empty \
        measure measure measure measure assign \
        assign assign assign assign assign if if while for for for switch block assign end";
    assert_eq!(names, expected.split_whitespace().collect::<Vec<_>>());
}

/// `text` without the `at: "…"` fields of a syntax tree's debug form (the places differ
/// between texts that parse alike).
fn without_places(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(k) = rest.find("at: \"") {
        out.push_str(&rest[..k]);
        let mut chars = rest[k + 5..].char_indices();
        let mut end = rest.len() - k - 5;
        while let Some((j, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    end = j + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &rest[k + 5 + end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn comments_and_line_breaks_may_stand_between_any_tokens() {
    // Every blank between tokens becomes comments and line breaks, except on the lines whose
    // content runs to the end of the line (pragmas, annotations) and in calibration blocks.
    let mut spread = String::new();
    let mut in_cal = false;
    for line in TOUR.lines() {
        let t = line.trim_start();
        if t.starts_with("cal") || t.starts_with("defcal") {
            in_cal = !t.ends_with('}');
        }
        let raw = in_cal || t.starts_with('#') || t.starts_with('@') || t.starts_with("defcal");
        if in_cal && t == "}" {
            in_cal = false;
        }
        let (code, comment) = line.split_at(line.find("//").unwrap_or(line.len()));
        if raw {
            spread.push_str(line);
        } else {
            let mut quoted = false;
            for c in code.chars() {
                match c {
                    '"' => {
                        quoted = !quoted;
                        spread.push(c);
                    }
                    ' ' if !quoted => spread.push_str(" /* c */\r\n\t// line\n "),
                    c => spread.push(c),
                }
            }
            spread.push_str(comment);
        }
        spread.push('\n');
    }
    let all = |text| {
        let mut rest = text;
        let mut out = Vec::new();
        while let Some((s, r)) = next_statement(rest).unwrap_or_else(|e| panic!("{e:?}")) {
            out.push(without_places(&format!("{s:?}")));
            rest = r;
        }
        out
    };
    let tour = all(TOUR);
    assert!(
        tour.iter()
            .any(|s| s.contains("Name { text: \"rzz\" }") && !s.contains("at:"))
    );
    assert_eq!(all(&spread), tour);
}

/// One edit of a text, at a character boundary.
#[derive(Clone, Debug)]
enum Edit {
    Insert(Index, char),
    Delete(Index, usize),
    Replace(Index, char),
}

fn apply(seed: &str, edits: &[Edit]) -> String {
    let mut s: Vec<char> = seed.chars().collect();
    for e in edits {
        match e {
            Edit::Insert(at, c) => {
                let k = at.index(s.len() + 1);
                s.insert(k, *c);
            }
            Edit::Delete(at, n) if !s.is_empty() => {
                let k = at.index(s.len());
                let end = (k + n).min(s.len());
                s.drain(k..end);
            }
            Edit::Replace(at, c) if !s.is_empty() => {
                let k = at.index(s.len());
                s[k] = *c;
            }
            _ => {}
        }
    }
    s.into_iter().collect()
}

/// Characters that matter to the grammar, and a few that do not.
fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(
            ";{}()[],:/*\"'\n -+^.eE0123456789@!=&|<>~%#$_qcxπµ"
                .chars()
                .collect::<Vec<_>>()
        ),
        any::<char>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), interesting_char()).prop_map(|(i, c)| Edit::Insert(i, c)),
        (any::<Index>(), 1usize..12).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<Index>(), interesting_char()).prop_map(|(i, c)| Edit::Replace(i, c)),
    ]
}

/// Programs made of OpenQASM 3 tokens in random order.
fn token_soup() -> impl Strategy<Value = String> {
    let tokens = [
        "OPENQASM",
        "3.0",
        "include",
        "\"f\"",
        "'g'",
        "defcalgrammar",
        "def",
        "cal",
        "defcal",
        "gate",
        "opaque",
        "extern",
        "box",
        "let",
        "break",
        "continue",
        "if",
        "else",
        "end",
        "return",
        "for",
        "while",
        "in",
        "switch",
        "case",
        "default",
        "nop",
        "pragma",
        "#pragma",
        "input",
        "output",
        "const",
        "readonly",
        "mutable",
        "qreg",
        "qubit",
        "creg",
        "bool",
        "bit",
        "int",
        "uint",
        "float",
        "angle",
        "complex",
        "array",
        "duration",
        "stretch",
        "gphase",
        "inv",
        "pow",
        "ctrl",
        "negctrl",
        "#dim",
        "durationof",
        "delay",
        "reset",
        "measure",
        "barrier",
        "true",
        "false",
        "[",
        "]",
        "{",
        "}",
        "(",
        ")",
        ":",
        ";",
        ".",
        ",",
        "=",
        "->",
        "+",
        "++",
        "-",
        "*",
        "**",
        "/",
        "%",
        "|",
        "||",
        "&",
        "&&",
        "^",
        "@",
        "~",
        "!",
        "==",
        "!=",
        "+=",
        "<<=",
        "**=",
        ">",
        "<",
        ">=",
        "<=",
        ">>",
        "<<",
        "im",
        "1",
        "0x1F",
        "0b2",
        "1.5e3",
        ".5",
        "2im",
        "100ns",
        "4 dt",
        "\"0101\"",
        "$3",
        "q",
        "c",
        "π",
        "@ann x\n",
        "//c\n",
        "/*c*/",
        "/*",
        "\n",
    ];
    prop::collection::vec(prop::sample::select(tokens.to_vec()), 0..60).prop_map(|v| v.join(" "))
}

/// An expression tree to print and parse back.
#[derive(Clone, Debug)]
enum T {
    Leaf(&'static str),
    Unary(UnaryOpAst, Box<T>),
    Binary(BinaryOpAst, Box<T>, Box<T>),
}

/// Precedence, tightest highest; unary operators sit between `**` and `*`.
fn prec(op: BinaryOpAst) -> u8 {
    use BinaryOpAst::*;
    match op {
        Or => 1,
        And => 2,
        BitOr => 3,
        BitXor => 4,
        BitAnd => 5,
        Eq | Ne => 6,
        Lt | Le | Gt | Ge => 7,
        Shl | Shr => 8,
        Add | Sub => 9,
        Mul | Div | Mod => 10,
        Pow => 12,
    }
}

const UNARY: u8 = 11;

fn symbol(op: BinaryOpAst) -> &'static str {
    use BinaryOpAst::*;
    match op {
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

fn unary_symbol(op: UnaryOpAst) -> &'static str {
    match op {
        UnaryOpAst::Neg => "-",
        UnaryOpAst::Not => "!",
        UnaryOpAst::BitNot => "~",
    }
}

/// How tightly the top of `t` binds.
fn top(t: &T) -> u8 {
    match t {
        T::Leaf(_) => 13,
        T::Unary(..) => UNARY,
        T::Binary(op, ..) => prec(*op),
    }
}

/// `t` printed with the fewest parentheses the grammar needs.
fn print(t: &T) -> String {
    let wrap = |t: &T, need: bool| {
        if need {
            format!("({})", print(t))
        } else {
            print(t)
        }
    };
    match t {
        T::Leaf(s) => s.to_string(),
        // The operand of a prefix operator is a unary expression or a power.
        T::Unary(op, x) => format!("{} {}", unary_symbol(*op), wrap(x, top(x) < UNARY)),
        T::Binary(BinaryOpAst::Pow, a, b) => {
            // Left: an indexed primary; right: a unary expression (so `**` nests rightwards).
            format!("{} ** {}", wrap(a, top(a) <= 12), wrap(b, top(b) < UNARY))
        }
        T::Binary(op, a, b) => {
            let p = prec(*op);
            format!(
                "{} {} {}",
                wrap(a, top(a) < p),
                symbol(*op),
                wrap(b, top(b) <= p)
            )
        }
    }
}

/// The operators whose runs the parser builds as balanced trees (`a | b | c | d` as
/// `(a | b) | (c | d)`): associative, so any grouping of a run means the same.
fn associative(op: BinaryOpAst) -> bool {
    use BinaryOpAst::*;
    matches!(op, BitOr | BitAnd | BitXor | And | Or)
}

/// `t` as an S-expression, a run of one associative operator as one node of all its operands.
fn shape(t: &T) -> String {
    match t {
        T::Leaf(s) => s.to_string(),
        T::Unary(op, x) => format!("({} {})", unary_symbol(*op), shape(x)),
        T::Binary(op, _, _) if associative(*op) => {
            let mut parts = Vec::new();
            run_of(t, *op, &mut parts);
            format!("({} {})", symbol(*op), parts.join(" "))
        }
        T::Binary(op, a, b) => format!("({} {} {})", symbol(*op), shape(a), shape(b)),
    }
}

fn run_of(t: &T, op: BinaryOpAst, out: &mut Vec<String>) {
    match t {
        T::Binary(o, a, b) if *o == op => {
            run_of(a, op, out);
            run_of(b, op, out);
        }
        other => out.push(shape(other)),
    }
}

/// A parsed expression as [`shape`] writes it (only the node kinds [`T`] produces).
fn parsed_shape(e: &Expr<'_>) -> String {
    match &e.kind {
        ExprKind::Name(n) => n.text.to_string(),
        ExprKind::Int(w) => w.to_u64().map_or("big".into(), |v| v.to_string()),
        ExprKind::Unary(op, x) => format!("({} {})", unary_symbol(*op), parsed_shape(x)),
        ExprKind::Binary(op, _, _) if associative(*op) => {
            let mut parts = Vec::new();
            parsed_run_of(e, *op, &mut parts);
            format!("({} {})", symbol(*op), parts.join(" "))
        }
        ExprKind::Binary(op, a, b) => {
            format!("({} {} {})", symbol(*op), parsed_shape(a), parsed_shape(b))
        }
        other => format!("{other:?}"),
    }
}

fn parsed_run_of(e: &Expr<'_>, op: BinaryOpAst, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Binary(o, a, b) if *o == op => {
            parsed_run_of(a, op, out);
            parsed_run_of(b, op, out);
        }
        _ => out.push(parsed_shape(e)),
    }
}

fn tree() -> impl Strategy<Value = T> {
    use BinaryOpAst::*;
    let leaf = prop::sample::select(vec!["a", "b", "c", "0", "7", "42"]).prop_map(T::Leaf);
    let binary = prop::sample::select(vec![
        Pow, Mul, Div, Mod, Add, Sub, Shl, Shr, Lt, Le, Gt, Ge, Eq, Ne, BitAnd, BitXor, BitOr, And,
        Or,
    ]);
    let unary = prop::sample::select(vec![UnaryOpAst::Neg, UnaryOpAst::Not, UnaryOpAst::BitNot]);
    leaf.prop_recursive(6, 48, 2, move |inner| {
        prop_oneof![
            (unary.clone(), inner.clone()).prop_map(|(o, x)| T::Unary(o, Box::new(x))),
            (binary.clone(), inner.clone(), inner).prop_map(|(o, a, b)| T::Binary(
                o,
                Box::new(a),
                Box::new(b)
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn mutated_programs_never_panic(edits in prop::collection::vec(edit(), 1..8)) {
        let text = apply(TOUR, &edits);
        let _ = parse_checked(&text);
    }

    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        let _ = parse_checked(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,80}") {
        let _ = parse_checked(&text);
    }

    #[test]
    fn printed_expressions_parse_back(t in tree()) {
        let text = format!("x = {};", print(&t));
        let kinds = parse_checked(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        let [StmtKind::Assign { value, .. }] = kinds.as_slice() else {
            panic!("{text}: {kinds:?}");
        };
        prop_assert_eq!(parsed_shape(value), shape(&t), "{}", text);
    }
}
