//! Every kind of bad input: each test names the exact line, column and kind of the error.

use std::path::PathBuf;
use std::sync::Arc;

use eqisa_qasm::MAX_NESTING;
use eqisa_qasm::{ErrorKind, QasmError, parse_reader, parse_str};
use eqisa_test_support::{OneByte, Trickle};

/// OpenQASM 2 header: the program proper starts on line 5.
const H2: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\n";
/// OpenQASM 3 header: the program proper starts on line 5.
const H3: &str = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\n";

/// The error of a program that must fail: (line, column, kind).
fn err(src: &str) -> (u32, u32, ErrorKind) {
    let e = match parse_str(src, "t.qasm") {
        Ok(_) => panic!("accepted:\n{src}"),
        Err(e) => e,
    };
    let pos = e.pos().unwrap_or_else(|| panic!("no position: {e}"));
    assert_eq!(&*pos.file, "t.qasm");
    (pos.line, pos.col, e.kind().cloned().expect("a kind"))
}

/// Assert that `src` fails at `line:col` with an error matching `pat`.
macro_rules! assert_err {
    ($src:expr, $line:expr, $col:expr, $pat:pat $(if $guard:expr)?) => {{
        let src: &str = &$src;
        let (line, col, kind) = err(src);
        assert!(
            matches!(kind, $pat $(if $guard)?),
            "wrong kind {kind:?} at {line}:{col} for:\n{src}"
        );
        assert_eq!((line, col), ($line, $col), "wrong place for {kind:?} in:\n{src}");
    }};
}

fn h2(body: &str) -> String {
    format!("{H2}{body}")
}

fn h3(body: &str) -> String {
    format!("{H3}{body}")
}

/// A temporary directory of its own for one test.
fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "eqisa-errors-{tag}-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---- names -------------------------------------------------------------------------------

#[test]
fn undefined_quantum_register() {
    assert_err!(h2("x r[0];"), 5, 3, ErrorKind::UndefinedQubit(ref n) if n == "r");
    assert_err!(h2("cx q[0],\n   r[1];"), 6, 4, ErrorKind::UndefinedQubit(ref n) if n == "r");
    // A classical register is not a qubit operand.
    assert_err!(h2("h c[0];"), 5, 3, ErrorKind::UndefinedQubit(ref n) if n == "c");
    assert_err!(h3("reset r;"), 5, 7, ErrorKind::UndefinedQubit(ref n) if n == "r");
}

#[test]
fn undefined_classical_register() {
    assert_err!(
        h2("measure q[0] -> d[0];"),
        5,
        17,
        ErrorKind::UndefinedClbit(ref n) if n == "d"
    );
    // A quantum register is not a measurement target.
    assert_err!(
        h2("measure q[0] -> q[1];"),
        5,
        17,
        ErrorKind::UndefinedClbit(ref n) if n == "q"
    );
    assert_err!(h2("if (d == 1) x q[0];"), 5, 5, ErrorKind::UndefinedClbit(ref n) if n == "d");
    assert_err!(h3("d[0] = measure q[0];"), 5, 1, ErrorKind::UndefinedClbit(ref n) if n == "d");
}

#[test]
fn undefined_gate() {
    assert_err!(h2("foo q[0];"), 5, 1, ErrorKind::UndefinedGate(ref n) if n == "foo");
    // Without an include only the built-ins exist.
    assert_err!(
        "OPENQASM 2.0;\nqreg q[1];\nh q[0];",
        3,
        1,
        ErrorKind::UndefinedGate(ref n) if n == "h"
    );
    // A gate used in a gate body before it is defined.
    assert_err!(
        h2("gate g a { later a; }"),
        5,
        12,
        ErrorKind::UndefinedGate(ref n) if n == "later"
    );
    assert_err!(h3("ctrl @ nope q[0], q[1];"), 5, 8, ErrorKind::UndefinedGate(ref n) if n == "nope");
}

#[test]
fn undefined_parameter_in_gate_body() {
    assert_err!(
        h2("gate g(a) b { rz(c) b; }"),
        5,
        18,
        ErrorKind::UndefinedParameter(ref n) if n == "c"
    );
    // At the top level there are no parameters at all.
    assert_err!(
        h2("rz(theta) q[0];"),
        5,
        4,
        ErrorKind::UndefinedParameter(ref n) if n == "theta"
    );
    // A parameter of another gate is not in scope.
    assert_err!(
        h2("gate f(t) a { rz(t) a; }\ngate g(u) a { rz(t) a; }"),
        6,
        18,
        ErrorKind::UndefinedParameter(ref n) if n == "t"
    );
}

#[test]
fn gate_body_using_a_global_register() {
    // Qiskit: "'q' is not defined in this scope".
    assert_err!(h2("gate g b { x q[0]; }"), 5, 14, ErrorKind::UndefinedQubit(ref n) if n == "q");
    assert_err!(h2("gate g b { cx b, q; }"), 5, 18, ErrorKind::UndefinedQubit(ref n) if n == "q");
    // Also in a barrier, which is otherwise dropped from the body (Qiskit rejects it too).
    assert_err!(h2("gate g a { x a; barrier q; }"), 5, 25, ErrorKind::UndefinedQubit(ref n) if n == "q");
    assert_err!(
        h2("gate g a { barrier a[0]; }"),
        5,
        22,
        ErrorKind::Invalid(_)
    );
}

// ---- operands ----------------------------------------------------------------------------

#[test]
fn index_out_of_range() {
    assert_err!(
        h2("x q[2];"),
        5,
        5,
        ErrorKind::IndexOutOfRange { ref register, index: 2, size: 2 } if register == "q"
    );
    assert_err!(
        h2("measure q[0] -> c[7];"),
        5,
        19,
        ErrorKind::IndexOutOfRange { ref register, index: 7, size: 2 } if register == "c"
    );
    assert_err!(
        h2("if (c == 1) x q[18446744073709551615];"),
        5,
        17,
        ErrorKind::IndexOutOfRange {
            index: u64::MAX,
            ..
        }
    );
    assert_err!(
        h3("if (c[2]) x q[0];"),
        5,
        5,
        ErrorKind::Invalid(ref m) if m.contains("index 2 is out of range")
    );
}

#[test]
fn wrong_arity() {
    assert_err!(
        h2("cx q[0];"),
        5,
        1,
        ErrorKind::WrongArity { ref gate, expected: 2, found: 1 } if gate == "cx"
    );
    assert_err!(
        h2("h q[0], q[1];"),
        5,
        1,
        ErrorKind::WrongArity { ref gate, expected: 1, found: 2 } if gate == "h"
    );
    // Inside a gate body, at the call.
    assert_err!(
        h2("gate g a, b {\n  ccx a, b;\n}"),
        6,
        3,
        ErrorKind::WrongArity {
            expected: 3,
            found: 2,
            ..
        }
    );
    // A control modifier adds qubits.
    assert_err!(
        h3("ctrl @ x q[0];"),
        5,
        8,
        ErrorKind::WrongArity {
            expected: 2,
            found: 1,
            ..
        }
    );
}

#[test]
fn wrong_parameter_count() {
    assert_err!(
        h2("rz(1, 2) q[0];"),
        5,
        1,
        ErrorKind::WrongParamCount { ref gate, expected: 1, found: 2 } if gate == "rz"
    );
    assert_err!(
        h2("h(0.5) q[0];"),
        5,
        1,
        ErrorKind::WrongParamCount {
            expected: 0,
            found: 1,
            ..
        }
    );
    assert_err!(
        h2("U(1, 2) q[0];"),
        5,
        1,
        ErrorKind::WrongParamCount {
            expected: 3,
            found: 2,
            ..
        }
    );
    assert_err!(
        h2("gate g(a, b) x { }\ng(1) q[0];"),
        6,
        1,
        ErrorKind::WrongParamCount {
            expected: 2,
            found: 1,
            ..
        }
    );
}

#[test]
fn same_qubit_twice_in_one_application() {
    assert_err!(
        h2("cx q[0],q[0];"),
        5,
        1,
        ErrorKind::DuplicateQubit { ref qubit } if qubit == "q[0]"
    );
    // Via broadcast: the first pair is already (q[0], q[0]).
    assert_err!(
        h2("cx q, q;"),
        5,
        1,
        ErrorKind::DuplicateQubit { ref qubit } if qubit == "q[0]"
    );
    // Via broadcast of one register against one of its own qubits: fails at (q[1], q[1]).
    assert_err!(
        h2("cx q[1], q;"),
        5,
        1,
        ErrorKind::DuplicateQubit { ref qubit } if qubit == "q[1]"
    );
    assert_err!(
        h2("gate g a, b { cx b, b; }"),
        5,
        15,
        ErrorKind::DuplicateQubit { ref qubit } if qubit == "b"
    );
    assert_err!(
        h3("ctrl @ x q[1], q[1];"),
        5,
        1,
        ErrorKind::DuplicateQubit { .. }
    );
}

#[test]
fn broadcast_size_mismatch() {
    assert_err!(
        h2("qreg r[3];\ncx q, r;"),
        6,
        1,
        ErrorKind::BroadcastSizeMismatch {
            first: 2,
            second: 3
        }
    );
    assert_err!(
        h2("creg d[3];\nmeasure q -> d;"),
        6,
        1,
        ErrorKind::BroadcastSizeMismatch {
            first: 2,
            second: 3
        }
    );
}

// ---- unterminated input ------------------------------------------------------------------

#[test]
fn missing_semicolon_at_end_of_file() {
    assert_err!(h2("x q[0]"), 5, 7, ErrorKind::Unterminated { .. });
    // Trailing blanks and comments: the end of the file is where the ';' was expected.
    assert_err!(
        h2("x q[0]\n// done\n"),
        7,
        1,
        ErrorKind::Unterminated { .. }
    );
    assert_err!(h2("qreg r[3]"), 5, 10, ErrorKind::Unterminated { .. });
    assert_err!("OPENQASM 2.0", 1, 13, ErrorKind::Unterminated { .. });
}

#[test]
fn unclosed_gate_body() {
    assert_err!(h2("gate g a { x a;"), 5, 16, ErrorKind::Unterminated { ref expected } if expected.contains('}'));
    assert_err!(
        h2("gate g a {\n  x a;\n"),
        7,
        1,
        ErrorKind::Unterminated { .. }
    );
    assert_err!(
        h3("if (c[0]) {\n  x q[0];\n"),
        7,
        1,
        ErrorKind::Unterminated { .. }
    );
}

#[test]
fn unclosed_block_comment() {
    // At the comment's opening.
    assert_err!(
        h2("x q[0];\n  /* x q[1];\nh q[0];"),
        6,
        3,
        ErrorKind::Unterminated { ref expected } if expected.contains("*/")
    );
}

#[test]
fn unclosed_parenthesis() {
    assert_err!(h2("rz((1 + 2"), 5, 10, ErrorKind::Unterminated { .. });
    assert_err!(h2("rz(pi/2 "), 5, 9, ErrorKind::Unterminated { .. });
    // Not at the end of the file: the next token is where ')' was expected.
    assert_err!(
        h2("rz((1+2) q[0];"),
        5,
        10,
        ErrorKind::Syntax { ref expected, ref found } if expected.contains(')') && found == "'q'"
    );
}

// ---- files -------------------------------------------------------------------------------

#[test]
fn unknown_include() {
    let src = "OPENQASM 2.0;\ninclude \"no_such_file_eqisa.inc\";\n";
    assert_err!(src, 2, 1, ErrorKind::Include { ref path, ref reason }
        if path == "no_such_file_eqisa.inc" && !reason.is_empty());
}

#[test]
fn errors_in_an_included_file_name_that_file_and_its_line() {
    let dir = temp_dir("include");
    std::fs::write(
        dir.join("lib.inc"),
        "// a library\ngate good a { U(0, 0, 0) a; }\ngate bad a { nope a; }\n",
    )
    .unwrap();
    let main = dir.join("main.qasm");
    std::fs::write(&main, "OPENQASM 2.0;\n\ninclude \"lib.inc\";\nqreg q[1];\n").unwrap();
    let e = eqisa_qasm::parse_file(&main).unwrap_err();
    let pos = e.pos().unwrap();
    assert!(pos.file.ends_with("lib.inc"), "{e}");
    assert_eq!((pos.line, pos.col), (3, 14), "{e}");
    assert!(matches!(e.kind(), Some(ErrorKind::UndefinedGate(n)) if n == "nope"));
    assert!(e.to_string().contains("lib.inc:3:14"), "{e}");

    // A missing nested include is reported in the file that includes it.
    std::fs::write(dir.join("outer.inc"), "\n\ninclude \"missing.inc\";\n").unwrap();
    std::fs::write(&main, "OPENQASM 2.0;\ninclude \"outer.inc\";\n").unwrap();
    let e = eqisa_qasm::parse_file(&main).unwrap_err();
    let pos = e.pos().unwrap();
    assert!(pos.file.ends_with("outer.inc"), "{e}");
    assert_eq!((pos.line, pos.col), (3, 1));
    assert!(matches!(e.kind(), Some(ErrorKind::Include { path, .. }) if path == "missing.inc"));

    // An include cycle stops at the depth limit instead of recursing forever.
    std::fs::write(dir.join("cycle.inc"), "include \"cycle.inc\";\n").unwrap();
    std::fs::write(&main, "OPENQASM 2.0;\ninclude \"cycle.inc\";\n").unwrap();
    let e = eqisa_qasm::parse_file(&main).unwrap_err();
    assert!(matches!(e.kind(), Some(ErrorKind::IncludeDepth(_))), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_file_is_an_io_error() {
    let e = eqisa_qasm::parse_file("/nonexistent/eqisa/prog.qasm").unwrap_err();
    assert!(matches!(e, QasmError::Io { .. }));
    assert!(e.pos().is_none() && e.kind().is_none());
}

// ---- literals ----------------------------------------------------------------------------

#[test]
fn malformed_numbers() {
    assert_err!(h2("rz(1.2.3) q[0];"), 5, 4, ErrorKind::MalformedNumber(ref t) if t == "1.2.3");
    assert_err!(h2("rz(1e) q[0];"), 5, 4, ErrorKind::MalformedNumber(ref t) if t == "1e");
    assert_err!(h2("rz(3x) q[0];"), 5, 4, ErrorKind::MalformedNumber(ref t) if t == "3x");
    assert_err!(h2("rz(1 + 2e+) q[0];"), 5, 8, ErrorKind::MalformedNumber(ref t) if t.starts_with("2e"));
    assert_err!(h2("qreg r[3x];"), 5, 8, ErrorKind::MalformedNumber(ref t) if t == "3x");
    assert_err!(h2("x q[1.5];"), 5, 5, ErrorKind::MalformedNumber(ref t) if t == "1.5");
    assert_err!(
        h2("if (c == 1x) x q[0];"),
        5,
        10,
        ErrorKind::MalformedNumber(_)
    );
    assert_err!(h3("delay[1.2.3ns] q[0];"), 5, 7, ErrorKind::MalformedNumber(ref t) if t == "1.2.3ns");
}

#[test]
fn numbers_too_large() {
    assert_err!(
        h2("qreg r[99999999999999999999];"),
        5,
        8,
        ErrorKind::TooLarge { .. }
    );
    assert_err!(
        h2("rz(1e999) q[0];"),
        5,
        4,
        ErrorKind::NonFinite(v) if v.is_infinite()
    );
}

// ---- definitions -------------------------------------------------------------------------

#[test]
fn register_redefinition() {
    assert_err!(h2("qreg q[3];"), 5, 6, ErrorKind::Redefinition { ref name } if name == "q");
    // Quantum and classical registers share one namespace.
    assert_err!(h2("creg q[1];"), 5, 6, ErrorKind::Redefinition { ref name } if name == "q");
    assert_err!(h3("qubit c;"), 5, 7, ErrorKind::Redefinition { ref name } if name == "c");
    assert_err!(h3("bit[4] q;"), 5, 8, ErrorKind::Redefinition { ref name } if name == "q");
}

#[test]
fn gate_redefinition() {
    assert_err!(
        h2("gate g a { x a; }\ngate g a { y a; }"),
        6,
        6,
        ErrorKind::GateRedefinition { ref name, ref previous }
            if name == "g" && previous == "at t.qasm:5:6"
    );
    assert_err!(
        h2("opaque o a;\ngate o a { x a; }"),
        6,
        6,
        ErrorKind::GateRedefinition { ref name, .. } if name == "o"
    );
    assert_err!(
        h2("gate h a, b { cx a, b; }"),
        5,
        6,
        ErrorKind::GateRedefinition { ref name, .. } if name == "h"
    );
    // Duplicate formal names.
    assert_err!(h2("gate g(t, t) a { }"), 5, 11, ErrorKind::Redefinition { ref name } if name == "t");
    assert_err!(h2("gate g a, a { }"), 5, 11, ErrorKind::Redefinition { ref name } if name == "a");
}

// ---- conditions --------------------------------------------------------------------------

#[test]
fn qasm2_if_needs_a_register_compared_with_an_integer() {
    for cond in ["c[0]==1", "c", "c != 1", "1 == c", "c == 1 && c == 2"] {
        let src = h2(&format!("if ({cond}) x q[0];"));
        assert_err!(src, 5, 5, ErrorKind::Invalid(ref m) if m.contains("if (creg == integer)"));
    }
    // Only one operation.
    assert_err!(
        h2("if (c == 1) { x q[0]; y q[0]; }"),
        5,
        5,
        ErrorKind::Invalid(_)
    );
}

// ---- limits ------------------------------------------------------------------------------

#[test]
fn deep_parentheses_are_a_nesting_error_not_a_stack_overflow() {
    let src = h2(&format!("rz({}1) q[0];", "(".repeat(100_000)));
    let (line, col, kind) = err(&src);
    assert_eq!(kind, ErrorKind::NestingDepth(MAX_NESTING));
    assert_eq!(line, 5);
    assert!(
        col > MAX_NESTING as u32 && col < 2 * MAX_NESTING as u32 + 10,
        "{col}"
    );
    // Exactly at the limit still parses.
    let ok = h2(&format!(
        "rz({}1{}) q[0];",
        "(".repeat(150),
        ")".repeat(150)
    ));
    assert_eq!(parse_str(&ok, "t").unwrap().params, [1.0]);
}

#[test]
fn other_deep_nestings_are_nesting_errors() {
    let n = 100_000;
    for src in [
        h2(&format!("rz({}1) q[0];", "-".repeat(n))),
        h2(&format!("rz({}1) q[0];", "sin(".repeat(n))),
        h2(&format!("rz({}1) q[0];", "2^".repeat(n))),
        h3(&format!("if ({}c[0]) x q[0];", "!".repeat(n))),
        h3(&format!("if ({}c[0]) x q[0];", "(".repeat(n))),
        h3(&format!("{} x q[0];", "if (c[0]) ".repeat(n))),
        h3(&format!("{} x q[0];", "if (c[0]) {".repeat(n))),
        h3(&format!("{} x q[0];", "if (c[0]) x q[0]; else ".repeat(n))),
    ] {
        let (line, _, kind) = err(&src);
        assert_eq!(
            kind,
            ErrorKind::NestingDepth(MAX_NESTING),
            "{}",
            &src[..120]
        );
        assert_eq!(line, 5);
    }
}

#[test]
fn long_operator_chains_are_bounded_too() {
    // A condition chain `c[0] || … || c[1]` is a balanced tree (`||` regroups exactly), so any
    // length stays shallow. Parameter chains are flat: see `language.rs`,
    // `flat_sums_and_products_of_any_length_parse_and_evaluate`.
    let n = 100_000;
    let c = parse_str(
        &h3(&format!(
            "c = measure q;\nif ({}c[1]) x q[0];",
            "c[0] || ".repeat(n)
        )),
        "t",
    )
    .unwrap();
    assert!(c.ifs[0].cond.holds(&c, &[false, true]));
    assert!(c.ifs[0].cond.holds(&c, &[true, false]));
    assert!(!c.ifs[0].cond.holds(&c, &[false, false]));
    // Chains up to the limit are fine (and evaluate, clone and drop within a test thread's
    // stack in debug builds).
    let c = parse_str(&h2(&format!("rz({}1) q[0];", "1+".repeat(990))), "t").unwrap();
    assert_eq!(c.params, [991.0]);
    let c = parse_str(
        &h2(&format!("gate g(a) b {{ rz({}a) b; }}", "a*".repeat(990))),
        "t",
    )
    .unwrap();
    let copy = c.clone();
    drop(c);
    assert_eq!(
        copy.gates.len(),
        parse_str(H2, "t").unwrap().gates.len() + 1
    );
    let c = parse_str(
        &h3(&format!(
            "c = measure q;\nif ({}c[1]) x q[0];",
            "c[0] || ".repeat(990)
        )),
        "t",
    )
    .unwrap();
    assert!(c.ifs[0].cond.holds(&c, &[false, true]));
    assert!(!c.ifs[0].cond.holds(&c, &[false, false]));
}

#[test]
fn huge_registers_are_too_large() {
    let limit = eqisa_qasm::MAX_BITS;
    assert_err!(
        h2("qreg r[100000000];"),
        5,
        8,
        ErrorKind::TooLarge { limit: l, .. } if l == limit
    );
    assert_err!(h2("creg r[16777215];"), 5, 8, ErrorKind::TooLarge { .. });
    // Regression: the size check itself overflowed (a panic in debug builds).
    assert_err!(
        h2("qreg r[18446744073709551615];"),
        5,
        8,
        ErrorKind::TooLarge { .. }
    );
    // Regression: so did the count of control qubits.
    assert_err!(
        h3("ctrl @ ctrl(18446744073709551615) @ x q[0], q[1];"),
        5,
        13,
        ErrorKind::Invalid(ref m) if m.contains("control qubits")
    );
}

// ---- encoding ----------------------------------------------------------------------------

#[test]
fn invalid_utf8_through_a_reader() {
    let bytes =
        b"OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nx q[0]; // caf\xe9\nh q[0];\n";
    let e = parse_reader(&bytes[..], Arc::from("bin.qasm"), PathBuf::from(".")).unwrap_err();
    let pos = e.pos().unwrap();
    assert_eq!((&*pos.file, pos.line, pos.col), ("bin.qasm", 4, 15));
    assert!(matches!(e.kind(), Some(ErrorKind::Invalid(m)) if m.contains("UTF-8")));
    // The same, read one byte at a time (the bad line is a chunk of its own).
    let e = parse_reader(OneByte(bytes), Arc::from("bin.qasm"), PathBuf::from(".")).unwrap_err();
    let pos = e.pos().unwrap();
    assert_eq!((pos.line, pos.col), (4, 15));
}

// ---- OpenQASM 3 features we do not implement ---------------------------------------------

#[test]
fn openqasm3_statements_that_cannot_be_flattened() {
    // A loop on a measured bit is real-time control flow: `parse_str` gives a flat circuit.
    assert_err!(
        h3("c[0] = measure q[0];\nwhile (c[0]) { x q[0]; c[0] = measure q[0]; }"),
        6,
        1,
        ErrorKind::Flatten(_)
    );
    // A register bit set to a value its clbit does not hold.
    assert_err!(
        h3("c[0] = measure q[0];\nbit b = c[0];\nc[1] = b;"),
        6,
        5,
        ErrorKind::Flatten(_)
    );
    // durationof of gates needs a device's timing.
    assert_err!(
        h3("duration d = durationof({ x q[0]; });"),
        5,
        14,
        ErrorKind::Unsupported(ref m) if m.contains("durationof")
    );
}

#[test]
fn gate_bodies_hold_only_gate_applications() {
    for (body, col) in [
        ("measure a -> c[0];", 12),
        ("reset a;", 12),
        ("qreg r[1];", 12),
    ] {
        let src = h2(&format!("gate g a {{ {body} }}"));
        assert_err!(src, 5, col, ErrorKind::Invalid(ref m) if m.contains("gate body"));
    }
}

// ---- messages ----------------------------------------------------------------------------

#[test]
fn display_names_file_line_and_column() {
    let e = parse_str(&h2("\n  x r[0];"), "prog.qasm").unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("prog.qasm:6:5: "), "{text}");
    assert!(text.contains("'r'"), "{text}");
}

#[test]
fn columns_count_characters_not_bytes() {
    // 'π' and 'θ' are two bytes each in UTF-8.
    assert_err!(
        h3("// θθ\nrz(π) q[0]; rz(θ) q[0];"),
        6,
        16,
        ErrorKind::UndefinedParameter(ref n) if n == "θ"
    );
}

// ---- chunked reading ---------------------------------------------------------------------

#[test]
fn chunked_reading_reports_the_same_place() {
    // Several statements on one line, a braceless if/else over two lines, comments with ';'.
    let src =
        h3("x q[0]; y q[1]; // a; b\nif (c[0]) x q[0];\nelse y q[0];\n/* ; */ z q[1]; h r[0];\n");
    let whole = parse_str(&src, "t.qasm").unwrap_err();
    assert_eq!(whole.pos().map(|p| (p.line, p.col)), Some((8, 19)));
    let chunked = parse_reader(
        OneByte(src.as_bytes()),
        Arc::from("t.qasm"),
        PathBuf::from("."),
    )
    .unwrap_err();
    assert_eq!(chunked.pos(), whole.pos());
    assert_eq!(chunked.kind(), whole.kind());
}

#[test]
fn chunked_reading_of_a_long_program_reports_the_right_line() {
    // > 2 MB: several read buffers.
    let mut src = String::from(H2);
    let lines = 300_000;
    for k in 0..lines {
        if k == lines - 10 {
            src.push_str("h q[0]; cx q[0], q[5];\n");
        } else {
            src.push_str("h q[0]; // ;\n");
        }
    }
    assert!(src.len() > 2 << 20);
    let want = (4 + lines - 10 + 1) as u32;
    for e in [
        parse_str(&src, "big.qasm").unwrap_err(),
        parse_reader(src.as_bytes(), Arc::from("big.qasm"), PathBuf::from(".")).unwrap_err(),
    ] {
        let pos = e.pos().unwrap();
        assert_eq!((pos.line, pos.col), (want, 20), "{e}");
        assert!(matches!(
            e.kind(),
            Some(ErrorKind::IndexOutOfRange { index: 5, .. })
        ));
    }
}

// ---- regressions found by fuzzing and review ---------------------------------------------

#[test]
fn barrier_at_the_end_of_a_gate_body() {
    let c = parse_str(&h2("gate g a { x a; barrier a; }\ng q[0];"), "t").unwrap();
    assert_eq!(eqisa_ir::stats::stats(&c).ops["g"], 1);
    // Many barriers do not recurse.
    let body = "barrier a; ".repeat(50_000);
    let c = parse_str(&h2(&format!("gate g a {{ {body} x a; }}\ng q[0];")), "t").unwrap();
    assert_eq!(eqisa_ir::stats::stats(&c).ops["g"], 1);
}

#[test]
fn fuzz_chunked_and_whole_parses_agree_on_a_comment_after_a_statement() {
    // Found by the fuzzer: a chunk boundary was put after a line ending in a comment holding
    // ';', splitting the statement that continued on the next line.
    let src = "OPENQASM 3.0;\nqubit[2] q;\nbit[2] c;\nc[0] = measure q[0];\nc //measure q;\nif (c[0]) {x q;\n";
    let whole = parse_str(src, "f.qasm").unwrap_err();
    for step in 1..10 {
        let chunked = parse_reader(
            Trickle::new(src.as_bytes(), step),
            Arc::from("f.qasm"),
            PathBuf::from("."),
        )
        .unwrap_err();
        assert_eq!(
            chunked.pos(),
            whole.pos(),
            "step {step}: {chunked} / {whole}"
        );
    }
}

/// An annotation line ending in `;` belongs to the statement after it, when the file is read in
/// chunks as when it is read whole (the fuzzer found them disagreeing).
#[test]
fn an_annotation_ending_in_a_semicolon_stays_with_its_statement() {
    let text = "OPENQASM 3.0;\nqubit q;\n@a b;\nreset q;\n";
    let whole = parse_str(text, "t.qasm").expect("whole");
    let chunked = parse_reader(
        OneByte(text.as_bytes()),
        Arc::from("t.qasm"),
        PathBuf::from("."),
    )
    .expect("chunked");
    assert_eq!(whole, chunked);
}
