//! Unit tests on syntax trees built by hand: positions point into a program text, so errors
//! can be checked for their line and column.

use std::path::PathBuf;
use std::sync::Arc;

use super::elaborator::Elaborator;
use crate::builder::Source;
use crate::error::{ErrorKind, QasmError};
use crate::v3::ast::*;
use eqisa_ir::circuit::{GateKind, Modifier, Wide};
use eqisa_ir::program::Program;
use eqisa_ir::program::expr::{BinaryOp, ClassicalExpr};
use eqisa_ir::program::expr::{Operand, QubitBase};
use eqisa_ir::program::stmt::{Iteration, Stmt as IrStmt, VarKind};
use eqisa_ir::program::types::Type;
use eqisa_ir::program::value::Value;

/// The slice of `text` from the first occurrence of `needle` that starts a word (the test's
/// own text: present).
fn at<'a>(text: &'a str, needle: &str) -> &'a str {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let k = text
        .match_indices(needle)
        .map(|(k, _)| k)
        .find(|&k| {
            let before = text[..k].chars().next_back().is_none_or(|c| !ident(c));
            let word = needle.find(|c: char| !ident(c)).unwrap_or(needle.len());
            let after = text[k + word..].chars().next().is_none_or(|c| !ident(c));
            before && (after || word == 0)
        })
        .expect("the needle is in the test's text");
    &text[k..]
}

/// The identifier at the start of `needle` in `text` (the needle may carry context after it).
fn nm<'a>(text: &'a str, needle: &str) -> Name<'a> {
    let s = at(text, needle);
    let n = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    Name { text: &s[..n] }
}

fn ex<'a>(kind: ExprKind<'a>, at: &'a str) -> Expr<'a> {
    Expr { kind, at }
}

fn int(v: u64) -> Expr<'static> {
    ex(ExprKind::Int(Wide::from_u64(v)), "")
}

fn float(v: f64) -> Expr<'static> {
    ex(ExprKind::Float(v), "")
}

fn var<'a>(text: &'a str, n: &str) -> Expr<'a> {
    let name = nm(text, n);
    ex(ExprKind::Name(name), name.text)
}

fn bin<'a>(op: BinaryOpAst, a: Expr<'a>, b: Expr<'a>) -> Expr<'a> {
    let at = a.at;
    ex(ExprKind::Binary(op, Box::new(a), Box::new(b)), at)
}

fn idx<'a>(base: Expr<'a>, i: Expr<'a>) -> Expr<'a> {
    let at = base.at;
    ex(
        ExprKind::Index(Box::new(base), IndexAst::Items(vec![IndexItem::Single(i)])),
        at,
    )
}

fn st<'a>(kind: StmtKind<'a>, at: &'a str) -> Stmt<'a> {
    Stmt {
        annotations: Vec::new(),
        kind,
        at,
    }
}

fn decl<'a>(
    text: &'a str,
    kind: DeclKind,
    ty: TypeAst<'a>,
    n: &str,
    init: Option<Expr<'a>>,
) -> Stmt<'a> {
    st(
        StmtKind::ClassicalDecl {
            kind,
            ty,
            name: nm(text, n),
            init,
        },
        at(text, n),
    )
}

fn qubits<'a>(text: &'a str, n: &str, size: Option<Expr<'a>>) -> Stmt<'a> {
    st(
        StmtKind::QubitDecl {
            name: nm(text, n),
            size,
        },
        at(text, n),
    )
}

fn call<'a>(text: &'a str, g: &str, params: Vec<Expr<'a>>, operands: Vec<Expr<'a>>) -> Stmt<'a> {
    st(
        StmtKind::GateCall {
            modifiers: Vec::new(),
            name: nm(text, g),
            params,
            duration: None,
            operands,
        },
        at(text, g),
    )
}

fn include(text: &str) -> Stmt<'_> {
    st(StmtKind::Include("stdgates.inc"), text)
}

fn run<'a>(text: &'a str, stmts: &[Stmt<'a>]) -> Result<Program, QasmError> {
    let file: Arc<str> = Arc::from("t.qasm3");
    let mut el = Elaborator::new(file.clone(), PathBuf::from("."));
    let mut src = Source::new(file, PathBuf::from("."), text, 1);
    for s in stmts {
        el.statement(s, &mut src)?;
    }
    el.finish()
}

fn err_text(r: Result<Program, QasmError>) -> String {
    match r {
        Ok(_) => "no error".into(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn integer_division_folds_to_an_integer_and_sizes_come_from_constants() {
    let text = "const int n = 2 ** 3; const int d = 1 / 5; qubit[n] q; bit[n] c;";
    let p = run(
        text,
        &[
            decl(
                text,
                DeclKind::Const,
                TypeAst::Int(None),
                "n",
                Some(bin(BinaryOpAst::Pow, int(2), int(3))),
            ),
            decl(
                text,
                DeclKind::Const,
                TypeAst::Int(None),
                "d",
                Some(bin(BinaryOpAst::Div, int(1), int(5))),
            ),
            qubits(text, "q", Some(var(text, "n"))),
            decl(
                text,
                DeclKind::Plain,
                TypeAst::Bit(Some(Box::new(var(text, "n")))),
                "c",
                None,
            ),
        ],
    )
    .unwrap();
    assert_eq!(p.circuit.num_qubits, 8);
    assert_eq!(p.circuit.cregs.len(), 1);
    assert_eq!(p.circuit.num_clbits, 8);
    let d = p.vars.iter().find(|v| v.name == "d").unwrap();
    assert_eq!(d.kind, VarKind::Const);
    // Constants are folded: no declaration statement for them, one for the register.
    assert_eq!(p.body.len(), 1);
    let c = p.vars.iter().find(|v| v.name == "c").unwrap();
    assert_eq!(c.creg, Some(0));
}

#[test]
fn a_constant_used_in_an_expression_is_its_value() {
    let text = "const int d = 1 / 5; int x = d + 2 ** 10;";
    let p = run(
        text,
        &[
            decl(
                text,
                DeclKind::Const,
                TypeAst::Int(None),
                "d",
                Some(bin(BinaryOpAst::Div, int(1), int(5))),
            ),
            decl(
                text,
                DeclKind::Plain,
                TypeAst::Int(None),
                "x",
                Some(bin(
                    BinaryOpAst::Add,
                    var(text, "d"),
                    bin(BinaryOpAst::Pow, int(2), int(10)),
                )),
            ),
        ],
    )
    .unwrap();
    match &p.body[..] {
        [
            IrStmt::Declare {
                init: Some(ClassicalExpr::Const(Value::Int(1024))),
                ..
            },
        ] => {}
        b => panic!("{b:?}"),
    }
}

#[test]
fn mixed_operands_get_casts_and_floats_need_one_to_become_integers() {
    let text = "int[8] i; float f = i * 2.5; int j = f;";
    let stmts = [
        decl(
            text,
            DeclKind::Plain,
            TypeAst::Int(Some(Box::new(int(8)))),
            "i",
            None,
        ),
        decl(
            text,
            DeclKind::Plain,
            TypeAst::Float(None),
            "f",
            Some(bin(BinaryOpAst::Mul, var(text, "i"), float(2.5))),
        ),
    ];
    let p = run(text, &stmts).unwrap();
    match &p.body[1] {
        IrStmt::Declare {
            init: Some(ClassicalExpr::Binary(BinaryOp::Mul, a, _)),
            ..
        } => assert!(
            matches!(**a, ClassicalExpr::Cast(Type::Float(None), _)),
            "{a:?}"
        ),
        s => panic!("{s:?}"),
    }
    let mut more = stmts.to_vec();
    more.push(decl(
        text,
        DeclKind::Plain,
        TypeAst::Int(None),
        "j",
        Some(var(text, "f = ")),
    ));
    let e = err_text(run(text, &more));
    assert!(
        e.contains("float cannot be assigned to 'j' of type int without an explicit cast"),
        "{e}"
    );
}

#[test]
fn assigning_a_constant_is_an_error_at_its_place() {
    let text = "const int k = 3;\nk = 4;";
    let e = err_text(run(
        text,
        &[
            decl(text, DeclKind::Const, TypeAst::Int(None), "k", Some(int(3))),
            st(
                StmtKind::Assign {
                    target: var(text, "k = 4"),
                    op: None,
                    value: int(4),
                },
                at(text, "k = 4"),
            ),
        ],
    ));
    assert_eq!(e, "t.qasm3:2:1: 'k' is a constant and cannot be assigned");
}

#[test]
fn an_unknown_gate_is_named_with_its_line_and_column() {
    let text = "qubit q;\n  foo q;";
    let e = err_text(run(
        text,
        &[
            qubits(text, "q", None),
            call(text, "foo", vec![], vec![var(text, "q")]),
        ],
    ));
    assert_eq!(e, "t.qasm3:2:3: 'foo' is not a defined gate");
}

#[test]
fn a_scalar_bit_takes_a_measurement() {
    let text = "qubit q; bit c; c = measure q;";
    let q = var(text, "q;");
    let p = run(
        text,
        &[
            qubits(text, "q", None),
            decl(text, DeclKind::Plain, TypeAst::Bit(None), "c", None),
            st(
                StmtKind::Assign {
                    target: var(text, "c = "),
                    op: None,
                    value: ex(ExprKind::Measure(Box::new(q)), at(text, "measure")),
                },
                at(text, "c = "),
            ),
        ],
    )
    .unwrap();
    assert_eq!(p.circuit.cregs[0].size, 1);
    match &p.body[1] {
        IrStmt::Measure {
            qubits,
            target: Some(t),
            ..
        } => {
            assert_eq!(qubits.base, QubitBase::Global { start: 0, len: 1 });
            assert!(t.index.is_empty());
        }
        s => panic!("{s:?}"),
    }
}

#[test]
fn constant_operands_are_global_qubits_and_duplicates_are_refused() {
    let text = "include; qubit[4] q; cx q[1], q[2]; cx q[3], q[3];";
    let ok = [
        include(text),
        qubits(text, "q", Some(int(4))),
        call(
            text,
            "cx q[1]",
            vec![],
            vec![
                idx(var(text, "q[1]"), int(1)),
                idx(var(text, "q[2]"), int(2)),
            ],
        ),
    ];
    let p = run(text, &ok).unwrap();
    match &p.body[..] {
        [IrStmt::Gate { params, qubits, .. }] => {
            assert!(params.is_empty());
            assert_eq!(
                qubits[0],
                Operand {
                    base: QubitBase::Global { start: 1, len: 1 },
                    index: None,
                    loc: qubits[0].loc
                }
            );
            assert_eq!(qubits[1].base, QubitBase::Global { start: 2, len: 1 });
        }
        b => panic!("{b:?}"),
    }
    let mut bad = ok.to_vec();
    bad.push(call(
        text,
        "cx q[3]",
        vec![],
        vec![
            idx(var(text, "q[3]"), int(3)),
            idx(var(text, "q[3]"), int(3)),
        ],
    ));
    let e = err_text(run(text, &bad));
    assert!(e.contains("qubit q[3] appears more than once"), "{e}");
    let mut far = ok.to_vec();
    far.push(call(
        text,
        "cx q[3]",
        vec![],
        vec![
            idx(var(text, "q[3]"), int(4)),
            idx(var(text, "q[2]"), int(0)),
        ],
    ));
    let e = err_text(run(text, &far));
    assert!(
        e.contains("index 4 is out of range for register 'q' of size 4"),
        "{e}"
    );
}

#[test]
fn a_long_loop_stays_one_statement_with_its_body() {
    let text = "include; qubit q; for int i in [0:999999] { x q; }";
    let range = RangeAst {
        start: Some(Box::new(int(0))),
        step: None,
        stop: Some(Box::new(int(999_999))),
        at: at(text, "[0:"),
    };
    let p = run(
        text,
        &[
            include(text),
            qubits(text, "q", None),
            st(
                StmtKind::For {
                    ty: Some(TypeAst::Int(None)),
                    var: nm(text, "i"),
                    iter: ForIter::Range(range),
                    body: vec![call(text, "x q", vec![], vec![var(text, "q;")])],
                },
                at(text, "for"),
            ),
        ],
    )
    .unwrap();
    match &p.body[..] {
        [
            IrStmt::For {
                iter: Iteration::Range { stop, .. },
                body,
                var,
                ..
            },
        ] => {
            assert_eq!(*stop, ClassicalExpr::Const(Value::Int(999_999)));
            assert_eq!(body.len(), 1);
            assert_eq!(p.vars[var.0 as usize].kind, VarKind::Loop);
        }
        b => panic!("{b:?}"),
    }
}

#[test]
fn break_outside_a_loop_and_return_outside_a_subroutine_are_errors() {
    let text = "break; return;";
    let e = err_text(run(text, &[st(StmtKind::Break, text)]));
    assert_eq!(e, "t.qasm3:1:1: 'break' is only allowed inside a loop");
    let e = err_text(run(text, &[st(StmtKind::Return(None), at(text, "return"))]));
    assert_eq!(
        e,
        "t.qasm3:1:8: 'return' is only allowed inside a subroutine"
    );
}

#[test]
fn block_scopes_shadow_but_a_scope_cannot_declare_twice() {
    let text = "int x; { int x; } int x;";
    let inner = decl(text, DeclKind::Plain, TypeAst::Int(None), "x; }", None);
    let ok = [
        decl(text, DeclKind::Plain, TypeAst::Int(None), "x", None),
        st(StmtKind::Block(vec![inner]), at(text, "{")),
    ];
    let p = run(text, &ok).unwrap();
    assert_eq!(p.vars.len(), 2);
    let mut bad = ok.to_vec();
    bad.push(decl(text, DeclKind::Plain, TypeAst::Int(None), "x;", None));
    let e = err_text(run(text, &bad));
    assert!(e.contains("'x' is already defined"), "{e}");
}

#[test]
fn subroutines_see_no_global_qubits_and_calls_are_checked() {
    let text = "qubit[2] q; def f(qubit a) -> bit { h q; } bit b = f(q);";
    let body = vec![call(text, "h q", vec![], vec![var(text, "q; }")])];
    let def = st(
        StmtKind::Def {
            name: nm(text, "f"),
            params: vec![ParamAst::Qubit {
                size: None,
                name: Some(nm(text, "a")),
            }],
            ret: Some(TypeAst::Bit(None)),
            body,
        },
        at(text, "def"),
    );
    let e = err_text(run(
        text,
        &[include(text), qubits(text, "q", Some(int(2))), def],
    ));
    assert!(
        e.contains("'q' is a global qubit register, not visible inside a subroutine"),
        "{e}"
    );
}

#[test]
fn a_subroutine_call_passes_qubits_and_returns_its_value() {
    let text = "include; qubit[2] q; def mr(qubit a) -> bit { return measure a; } bit[2] c; c[0] = mr(q[1]);";
    let def = st(
        StmtKind::Def {
            name: nm(text, "mr"),
            params: vec![ParamAst::Qubit {
                size: None,
                name: Some(nm(text, "a)")),
            }],
            ret: Some(TypeAst::Bit(None)),
            body: vec![st(
                StmtKind::Return(Some(ex(
                    ExprKind::Measure(Box::new(ex(
                        ExprKind::Name(Name {
                            text: &at(text, "a; }")[..1],
                        }),
                        at(text, "a; }"),
                    ))),
                    at(text, "measure a"),
                ))),
                at(text, "return"),
            )],
        },
        at(text, "def"),
    );
    let callx = ex(
        ExprKind::Call(nm(text, "mr(q"), vec![idx(var(text, "q[1]"), int(1))]),
        at(text, "mr(q"),
    );
    let p = run(
        text,
        &[
            include(text),
            qubits(text, "q", Some(int(2))),
            def,
            decl(
                text,
                DeclKind::Plain,
                TypeAst::Bit(Some(Box::new(int(2)))),
                "c",
                None,
            ),
            st(
                StmtKind::Assign {
                    target: idx(var(text, "c[0]"), int(0)),
                    op: None,
                    value: callx,
                },
                at(text, "c[0]"),
            ),
        ],
    )
    .unwrap();
    assert_eq!(p.subroutines.len(), 1);
    assert_eq!(p.subroutines[0].body.len(), 3);
    match p.body.last() {
        Some(IrStmt::Assign {
            value: ClassicalExpr::Call(_, args, _),
            ..
        }) => assert_eq!(args.len(), 1),
        s => panic!("{s:?}"),
    }
}

#[test]
fn gate_definitions_keep_expressions_and_modifiers_are_interned() {
    let text = "include; gate rot(t) a { rz(t / 2) a; } qubit[2] q; ctrl @ rot(0.5) q[0], q[1]; ctrl @ rot(1) q[1], q[0];";
    let def = st(
        StmtKind::GateDef {
            name: nm(text, "rot"),
            params: vec![nm(text, "t")],
            qubits: vec![nm(text, "a {")],
            body: vec![call(
                text,
                "rz",
                vec![bin(BinaryOpAst::Div, var(text, "t /"), int(2))],
                vec![var(text, "a;")],
            )],
        },
        at(text, "gate"),
    );
    let ctrl = |g: &str, a: u64, b: u64, p: Expr<'static>| {
        let mut s = call(
            text,
            g,
            vec![p],
            vec![idx(var(text, "q["), int(a)), idx(var(text, "q["), int(b))],
        );
        if let StmtKind::GateCall {
            modifiers, name, ..
        } = &mut s.kind
        {
            modifiers.push(ModifierAst::Ctrl(None));
            *name = nm(text, "rot(0");
        }
        s
    };
    let p = run(
        text,
        &[
            include(text),
            def,
            qubits(text, "q", Some(int(2))),
            ctrl("ctrl @ rot(0.5)", 0, 1, float(0.5)),
            ctrl("ctrl @ rot(1)", 1, 0, int(1)),
        ],
    )
    .unwrap();
    let modified: Vec<_> = p
        .circuit
        .gates
        .iter()
        .filter(|g| matches!(g.kind, GateKind::Modified { .. }))
        .collect();
    assert_eq!(modified.len(), 1);
    assert_eq!(modified[0].name, "ctrl @ rot");
    assert!(
        matches!(&modified[0].kind, GateKind::Modified { modifiers, .. } if modifiers == &[Modifier::Ctrl { count: 1, negated: false }])
    );
    match &p.body[1] {
        IrStmt::Gate { params, .. } => {
            assert_eq!(params[0], ClassicalExpr::Const(Value::Float(1.0)))
        }
        s => panic!("{s:?}"),
    }
    let rot = p.circuit.gates.iter().find(|g| g.name == "rot").unwrap();
    assert!(
        matches!(&rot.kind, GateKind::Defined(d) if d.body.len() == 1 && !d.body[0].params[0].is_constant())
    );
}

#[test]
fn calibrations_are_skipped_and_recorded() {
    let text = "defcalgrammar \"openpulse\";\ncal { }";
    let p = run(
        text,
        &[
            st(StmtKind::Defcalgrammar("openpulse"), text),
            st(StmtKind::Cal(""), at(text, "cal")),
        ],
    )
    .unwrap();
    let loc = p.skipped_calibration.unwrap();
    assert_eq!((loc.line, loc.col), (1, 1));
}

#[test]
fn inputs_are_not_declared_in_the_body_and_cannot_have_values() {
    let text = "input float theta; input int n = 3;";
    let p = run(
        text,
        &[decl(
            text,
            DeclKind::Input,
            TypeAst::Float(None),
            "theta",
            None,
        )],
    )
    .unwrap();
    assert!(p.body.is_empty());
    assert_eq!(p.vars[0].kind, VarKind::Input);
    let e = err_text(run(
        text,
        &[decl(
            text,
            DeclKind::Input,
            TypeAst::Int(None),
            "n",
            Some(int(3)),
        )],
    ));
    assert!(
        e.contains("an input's value is given when the program is run"),
        "{e}"
    );
}

#[test]
fn physical_qubits_make_one_register_and_exclude_declarations() {
    let text = "include; h $3; qubit q;";
    let h = call(
        text,
        "h",
        vec![],
        vec![ex(ExprKind::Physical(3), at(text, "$3"))],
    );
    let p = run(text, &[include(text), h.clone()]).unwrap();
    assert!(p.physical);
    assert_eq!(p.circuit.num_qubits, 4);
    assert_eq!(p.circuit.qregs[0].name, "$");
    let e = err_text(run(text, &[include(text), h, qubits(text, "q", None)]));
    assert!(e.contains("cannot also declare qubits"), "{e}");
}

#[test]
fn an_error_inside_a_constant_expression_names_it() {
    let text = "const int z = 1 / 0;";
    let e = err_text(run(
        text,
        &[decl(
            text,
            DeclKind::Const,
            TypeAst::Int(None),
            "z",
            Some(bin(BinaryOpAst::Div, int(1), int(0))),
        )],
    ));
    assert!(e.contains("division by zero"), "{e}");
    assert!(matches!(
        run(
            text,
            &[decl(
                text,
                DeclKind::Const,
                TypeAst::Int(None),
                "z",
                Some(var(text, "z"))
            )]
        ),
        Err(QasmError::At {
            kind: ErrorKind::UndefinedParameter(_),
            ..
        })
    ));
}

#[test]
fn places_asked_out_of_order_are_right() {
    let text = "a\nbb\nccc\n";
    let mut src = Source::new(Arc::from("t"), PathBuf::from("."), text, 5);
    let mut at = |k: usize| {
        let p = src.pos(&text[k..]);
        (p.line, p.col)
    };
    assert_eq!(at(6), (7, 2));
    assert_eq!(at(3), (6, 2));
    assert_eq!(at(0), (5, 1));
    assert_eq!(at(7), (7, 3));
    assert_eq!(at(2), (6, 1));
    assert_eq!(at(1), (5, 2));
}
