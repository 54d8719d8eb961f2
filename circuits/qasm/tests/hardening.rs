//! Regressions of the hardening issue: long lists stay linear, flat chains are not nesting, a
//! gate is defined once, integer powers are exact, bytes that cannot be OpenQASM are refused at
//! once, and an empty input is an error.

use std::io::{self, Read};
use std::sync::Arc;

use eqisa_ir::circuit::Modifier;
use eqisa_ir::expr::Expr;
use eqisa_ir::matrix::Matrix;
use eqisa_ir::unroll::{Application, expand_gate, unroll};
use eqisa_qasm::{ErrorKind, QasmError, parse_reader, parse_str};

/// Parse `text` from a reader, as standard input is.
fn from_reader(r: impl Read) -> Result<eqisa_ir::Circuit, QasmError> {
    parse_reader(r, Arc::from("<stdin>"), ".".into())
}

#[test]
fn lists_of_200k_parameters_and_operands_are_built_right() {
    // A definition with 200,000 formal parameters and qubits, applied once: every lookup of a
    // name and every duplicate check used to scan the whole list (2·10^10 steps).
    let n = 200_000;
    let params: Vec<String> = (0..n).map(|k| format!("p{k}")).collect();
    let qubits: Vec<String> = (0..n).map(|k| format!("a{k}")).collect();
    let src = format!(
        "OPENQASM 2.0;\ngate g({}) {} {{ U(p{},0,0) a{}; U(p0,0,0) a0; }}\nqreg q[{n}];\ng({}) {};\n",
        params.join(","),
        qubits.join(","),
        n - 1,
        n - 1,
        (0..n).map(|k| k.to_string()).collect::<Vec<_>>().join(","),
        (0..n)
            .map(|k| format!("q[{k}]"))
            .collect::<Vec<_>>()
            .join(","),
    );
    let c = parse_str(&src, "t.qasm").expect("parses");
    assert_eq!(c.ops.len(), 1);
    assert_eq!(c.params.len(), n);
    assert_eq!(c.params[n - 1], (n - 1) as f64);
    assert_eq!(c.qubits.len(), n);
    assert_eq!(c.qubits[n - 1], (n - 1) as u32);
    // The body refers to the last parameter and qubit: found by name, not by position 0.
    let u = unroll(&c).expect("unrolls");
    assert_eq!(u.params[0], (n - 1) as f64);
    assert_eq!(u.qubits[0], (n - 1) as u32);

    // A repeated operand at the very end of a long list is still found.
    let dup = src.replacen(&format!("q[{}];", n - 1), "q[0];", 1);
    let e = parse_str(&dup, "t.qasm").unwrap_err();
    assert!(
        matches!(e.kind(), Some(ErrorKind::DuplicateQubit { qubit }) if qubit == "q[0]"),
        "{e}"
    );
    // And a repeated formal parameter at the end of a long list.
    let dup = src.replacen(&format!("p{},", n - 2), "p0,", 1);
    let e = parse_str(&dup, "t.qasm").unwrap_err();
    assert!(
        matches!(e.kind(), Some(ErrorKind::Redefinition { name }) if name == "p0"),
        "{e}"
    );
}

#[test]
fn flat_sums_and_products_of_any_length_parse_and_evaluate() {
    let n = 50_000;
    // A constant sum: folded while parsing.
    let src = format!(
        "OPENQASM 2.0;\nqreg q[1];\nU({}, 0, 0) q[0];\n",
        vec!["0.5"; n].join("+")
    );
    let c = parse_str(&src, "t.qasm").expect("a flat sum is not nesting");
    assert_eq!(c.params[0], 0.5 * n as f64);
    // Sums and products of a formal parameter: kept as expressions, evaluated when applied.
    let src = format!(
        "OPENQASM 2.0;\nqreg q[1];\ngate g(a) b {{ U({} - {}, 0, a/2/2) b; }}\ng(1) q[0];\n",
        vec!["a"; n].join("+"),
        vec!["a"; n].join("*"),
    );
    let c = parse_str(&src, "t.qasm").expect("flat chains of a parameter");
    let u = unroll(&c).expect("unrolls");
    assert_eq!(&u.params[..3], [(n - 1) as f64, 0.0, 0.25]);
    // Every walk over the tree copes: clone, compare, print, drop.
    let def = c
        .gates
        .iter()
        .find_map(|g| match &g.kind {
            eqisa_ir::circuit::GateKind::Defined(d) => Some(d),
            _ => None,
        })
        .expect("g");
    let e = def.body[0].params[0].clone();
    assert_eq!(e, def.body[0].params[0]);
    let mut text = String::new();
    e.write(&mut text, &["a".to_string()]).expect("writes");
    assert!(
        text.starts_with("a+a+a") && text.contains("-a*a*a"),
        "{}",
        &text[..40]
    );
    assert_eq!(e.eval(&[2.0]), 2.0 * n as f64 - 2f64.powi(n as i32));
    assert!(matches!(e, Expr::Chain(..)));
    drop(e);
    // True nesting keeps its error, and says nesting.
    let deep = format!(
        "OPENQASM 2.0;\nqreg q[1];\nU({}1{}, 0, 0) q[0];\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let e = parse_str(&deep, "t.qasm").unwrap_err();
    assert!(matches!(e.kind(), Some(ErrorKind::NestingDepth(_))), "{e}");
    assert!(e.to_string().contains("nested deeper"), "{e}");
}

#[test]
fn a_gate_is_defined_once_in_both_versions() {
    let cases = [
        (
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\ngate h a { x a; }\n",
            "t.qasm:3:6: gate 'h' is already defined (by \"qelib1.inc\" included at t.qasm:2:1)",
        ),
        (
            "OPENQASM 3.0;\ninclude \"stdgates.inc\";\ngate h a { x a; }\n",
            "t.qasm:3:6: gate 'h' is already defined (by \"stdgates.inc\" included at t.qasm:2:1)",
        ),
        (
            "OPENQASM 2.0;\ngate g a { U(0,0,0) a; }\ngate g a { U(0,0,0) a; }\n",
            "t.qasm:3:6: gate 'g' is already defined (at t.qasm:2:6)",
        ),
        (
            "OPENQASM 3.0;\ngate g a { U(0,0,0) a; }\ngate g a { U(0,0,0) a; }\n",
            "t.qasm:3:6: gate 'g' is already defined (at t.qasm:2:6)",
        ),
        // A definition the library's include would shadow.
        (
            "OPENQASM 2.0;\ngate h a { U(0,0,0) a; }\ninclude \"qelib1.inc\";\n",
            "t.qasm:3:1: gate 'h' is already defined (at t.qasm:2:6)",
        ),
        (
            "OPENQASM 2.0;\ngate CX a, b { }\n",
            "t.qasm:2:6: gate 'CX' is already defined (built into OpenQASM 2)",
        ),
        (
            "OPENQASM 3.0;\ngate U(a, b, c) q { }\n",
            "t.qasm:2:6: gate 'U' is already defined (built into OpenQASM 3)",
        ),
    ];
    for (src, want) in cases {
        let e = parse_str(src, "t.qasm").unwrap_err();
        assert_eq!(e.to_string(), want);
    }
    // Including a library twice defines nothing twice.
    let twice =
        "OPENQASM 2.0;\ninclude \"qelib1.inc\";\ninclude \"qelib1.inc\";\nqreg q[1];\nh q[0];\n";
    assert!(parse_str(twice, "t.qasm").is_ok());
}

/// The matrix of one application (modifiers outermost first), as the simulator builds it.
fn application_matrix(a: &Application<'_>) -> Matrix {
    let mut m = a.gate.matrix(a.params).expect("matrix");
    for md in a.modifiers.iter().rev() {
        m = match *md {
            Modifier::Inv => m.adjoint(),
            Modifier::Pow(k) => m.power(k).expect("power"),
            Modifier::Ctrl { count, negated } => m.controlled(&vec![!negated; count as usize]),
        };
    }
    m
}

/// The matrix of the program's only operation.
fn only_op_matrix(src: &str) -> Result<Matrix, eqisa_ir::unroll::UnrollError> {
    let c = parse_str(src, "t.qasm3").expect("parses");
    let eqisa_ir::circuit::Op::Gate { gate, args, params } = c.ops[0] else {
        panic!("not a gate");
    };
    let (q, p) = c.gate_operands(gate, args, params);
    let mut out = Vec::new();
    expand_gate(&c, gate, p, q, &mut |a| {
        out.push(application_matrix(&a));
        Ok(())
    })?;
    assert_eq!(out.len(), 1);
    Ok(out.remove(0))
}

fn unitary_and_close(m: &Matrix, want: &Matrix) {
    let id = Matrix::identity(m.num_qubits());
    assert!(m.mul(&m.adjoint()).max_abs_diff(&id) < 1e-12, "{m:?}");
    assert!(m.max_abs_diff(want) < 1e-12, "{m:?} vs {want:?}");
}

#[test]
fn huge_integer_powers_are_exact_and_unitary() {
    let h3 =
        |body: &str| format!("OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\n{body}\n");
    let id1 = Matrix::identity(1);
    // 10^17 is even: h^(10^17) = I (it came out with norm 10^9).
    unitary_and_close(&only_op_matrix(&h3("pow(1e17) @ h q[0];")).unwrap(), &id1);
    // t^(8m+3) = t^3; through inv and ctrl, which integer powers commute with.
    let t = eqisa_ir::gates::StandardGate::T.matrix(&[]).unwrap();
    let t3 = t.mul(&t).mul(&t);
    unitary_and_close(
        &only_op_matrix(&h3("pow(4503599627370499) @ t q[0];")).unwrap(),
        &t3,
    );
    unitary_and_close(
        &only_op_matrix(&h3("inv @ pow(5) @ t q[0];")).unwrap(),
        &t.power(5.0).unwrap().adjoint(),
    );
    unitary_and_close(
        &only_op_matrix(&h3("pow(1e17) @ ctrl @ s q[0], q[1];")).unwrap(),
        &Matrix::identity(2),
    );
    // rx(0.3)^(10^16) = rx(10^16 · 0.3 mod 4π), with 0.3 the double the text denotes: the
    // reduced angle from 80-digit arithmetic.
    let rx = |th: f64| eqisa_ir::gates::StandardGate::Rx.matrix(&[th]).unwrap();
    unitary_and_close(
        &only_op_matrix(&h3("pow(1e16) @ rx(0.3) q[0];")).unwrap(),
        &rx(-0.065_113_258_431_764_34),
    );
    let p = |th: f64| eqisa_ir::gates::StandardGate::P.matrix(&[th]).unwrap();
    unitary_and_close(
        &only_op_matrix(&h3("pow(3e15) @ p(0.7) q[0];")).unwrap(),
        &p(1.155_546_629_302_424_4),
    );
    // Beyond 2^52 periods the angle cannot be reduced: an error, not a wrong state.
    let e = only_op_matrix(&h3("pow(1e300) @ rx(0.3) q[0];")).unwrap_err();
    assert!(e.to_string().contains("2^52 periods"), "{e}");
    // A gate of neither kind: a matrix power beyond 2^20 is refused.
    let u = eqisa_ir::gates::StandardGate::U3
        .matrix(&[0.1, 0.2, 0.3])
        .unwrap();
    assert!(u.power(1e17).is_err());
}

/// A reader that fails if read again after its text: proves the parser stopped at once.
struct ThenFail<'a>(&'a [u8]);

impl Read for ThenFail<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::Error::other("read past the bad byte"));
        }
        let n = self.0.len().min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn bytes_that_cannot_be_openqasm_are_refused_at_once() {
    // No `;` after the NUL: the chunker would read on for a statement boundary.
    let e = from_reader(ThenFail(b"OPENQASM 2.0;\nqreg q[1];\nh q\0\0\0")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "<stdin>:3:4: a NUL byte cannot appear in OpenQASM text (is this a binary file?)"
    );
    let e = from_reader(ThenFail(b"OPENQASM 2.0;\n// \x01\n")).unwrap_err();
    assert_eq!(e.pos().map(|p| (p.line, p.col)), Some((2, 4)), "{e}");
    let e = from_reader(ThenFail("OPENQASM 2.0;\n// é\u{0}".as_bytes())).unwrap_err();
    assert_eq!(e.pos().map(|p| (p.line, p.col)), Some((2, 5)), "{e}");
    let e = from_reader(ThenFail(b"OPENQASM 2.0;\nqreg \xff")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("<stdin>:2:6: the file is not valid UTF-8"),
        "{e}"
    );
    // `/dev/zero` as the program.
    if std::path::Path::new("/dev/zero").exists() {
        let e = eqisa_qasm::parse_file("/dev/zero").unwrap_err();
        assert!(
            e.to_string().starts_with("/dev/zero:1:1: a NUL byte"),
            "{e}"
        );
    }
    // Tabs, form feeds and CRLF line ends are text.
    assert!(from_reader(&b"OPENQASM 2.0;\r\n\tqreg q[1];\x0c\r\n"[..]).is_ok());
}

#[test]
fn empty_input_is_an_error_but_a_program_without_qubits_is_not() {
    let e = from_reader(io::empty()).unwrap_err();
    assert!(matches!(e, QasmError::Empty { .. }));
    assert_eq!(e.to_string(), "<stdin>: empty input: no OpenQASM program");
    assert_eq!(
        parse_str("", "x.qasm").unwrap_err().to_string(),
        "x.qasm: empty input: no OpenQASM program"
    );
    let c = from_reader(&b"OPENQASM 2.0;\n"[..]).expect("a header is a program");
    assert_eq!((c.num_qubits, c.ops.len()), (0, 0));
    let dir = std::env::temp_dir().join(format!("eqisa-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("empty.qasm");
    std::fs::write(&path, "").unwrap();
    let e = eqisa_qasm::parse_file(&path).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("empty.qasm: empty input: no OpenQASM program"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_condition_integer_is_bounded_before_its_quadratic_conversion() {
    let digits = eqisa_qasm::MAX_CONDITION_DIGITS;
    let ok = format!(
        "OPENQASM 2.0;\nqreg q[1];\ncreg c[2];\nif (c == {}) U(0,0,0) q[0];\n",
        "9".repeat(digits)
    );
    assert!(parse_str(&ok, "t.qasm").is_ok());
    let e = parse_str(&ok.replace("== 9", "== 99"), "t.qasm").unwrap_err();
    assert!(
        matches!(e.kind(), Some(ErrorKind::TooLarge { limit, .. }) if *limit == digits as u64),
        "{e}"
    );
    assert!(e.to_string().starts_with("t.qasm:4:10:"), "{e}");
    // OpenQASM 3 integers are 128-bit values at most: a wider literal says so.
    let wide = "OPENQASM 3.0;\nqubit q;\nbit[2] c;\nif (c == 99999999999999999999999999999999999999999) U(0,0,0) q;\n";
    let e = parse_str(wide, "t.qasm").unwrap_err();
    assert!(e.to_string().starts_with("t.qasm:4:10:"), "{e}");
}

/// An integer literal beyond 2^53 that a double cannot hold is refused, naming what it would
/// have been read as: `pow(9007199254740993) @ x` would otherwise act as an even power (the
/// identity) without a word. Integers a double holds exactly, and float literals, stay valid.
#[test]
fn an_integer_a_double_cannot_hold_is_refused() {
    let text =
        "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[1] q;\npow(9007199254740993) @ x q[0];\n";
    let e = parse_str(text, "p.qasm3").unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with("p.qasm3:4:5: the integer 9007199254740993"),
        "{msg}"
    );
    assert!(msg.contains("read as 9007199254740992"), "{msg}");
    for ok in [
        "pow(9007199254740992) @ x q[0];",
        "pow(1_000_000_000_000_000_000) @ x q[0];",
        "pow(1e17) @ x q[0];",
        "rz(0.5) q[0];",
    ] {
        let text = format!("OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[1] q;\n{ok}\n");
        parse_str(&text, "p.qasm3").unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}
