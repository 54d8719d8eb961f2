//! Property tests of the front end: no input makes it panic or misplace an error, chunked and
//! whole-text parsing agree, and generated programs parse to exactly what was generated.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use eqisa_ir::Circuit;
use eqisa_ir::circuit::Op;
use eqisa_ir::gates::{ALL_GATES, StandardGate};
use eqisa_qasm::{QasmError, parse_reader, parse_str};
use eqisa_test_support::OneByte;
use proptest::prelude::*;
use proptest::sample::Index;

/// A valid program touching most of the grammar; mutated by the tests below.
const SEED: &str = "OPENQASM 2.0;\n\
include \"qelib1.inc\";\n\
qreg q[3];\n\
creg c[3];\n\
// comment; with a semicolon\n\
gate g(a, b) x, y { rz(a*pi/2 + b) x; cx x, y; }\n\
opaque o(t) z;\n\
h q; cx q[0], q[1];\n\
u3(1.5e-3, -.5, 2^3^2) q[2];\n\
g(sin(0.1), -ln(2)) q[0], q[1];\n\
/* block ; { */ measure q -> c;\n\
if (c == 5) x q[1];\n\
reset q[0];\n\
barrier q;\n";

const SEED3: &str = "OPENQASM 3.0;\n\
include \"stdgates.inc\";\n\
qubit[2] q;\n\
qubit r;\n\
bit[2] c;\n\
c[0] = measure q[0];\n\
c = measure q;\n\
if (c[0] && !c[1] || c == 2) { x q[0]; } else { ctrl @ x q[0], r; }\n\
if (c != 3) y q[1];\n\
else z q[1];\n\
negctrl(2) @ inv @ pow(2) @ s q[0], q[1], r;\n\
U(1, 2, 3) r;\n\
gphase(pi);\n\
delay[100ns] q;\n\
barrier;\n";

/// Check an outcome on `text`: an error's place lies within the text.
fn check_place(text: &[u8], result: &Result<Circuit, QasmError>, columns: bool) {
    let Err(e) = result else {
        return;
    };
    if matches!(e, QasmError::Empty { .. }) {
        assert!(text.is_empty(), "{e}");
        return;
    }
    let Some(pos) = e.pos() else {
        panic!("an error without a place: {e}");
    };
    let newlines = text.iter().filter(|&&b| b == b'\n').count() as u32;
    assert!(
        pos.line >= 1 && pos.line <= newlines + 1,
        "line {} of {}: {e}",
        pos.line,
        newlines + 1
    );
    assert!(pos.col >= 1, "{e}");
    if columns {
        let line = String::from_utf8_lossy(text)
            .split('\n')
            .nth(pos.line as usize - 1)
            .map_or(0, |l| l.chars().count()) as u32;
        assert!(
            pos.col <= line + 1,
            "column {} of a line of {line}: {e}",
            pos.col
        );
    }
}

/// Parse `bytes` every way there is and check the outcomes agree and are well placed.
fn parse_every_way(bytes: &[u8], name: &str) {
    let chunked = parse_reader(OneByte(bytes), Arc::from(name), PathBuf::from("."));
    check_place(bytes, &chunked, false);
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let whole = parse_str(text, name);
            check_place(bytes, &whole, true);
            let blocks = parse_reader(bytes, Arc::from(name), PathBuf::from("."));
            for other in [&chunked, &blocks] {
                match (&whole, other) {
                    (Ok(a), Ok(b)) => assert!(a == b, "chunked parse differs"),
                    (Err(a), Err(b)) => {
                        assert_eq!(a.pos(), b.pos(), "{a} / {b}");
                        assert_eq!(a.kind(), b.kind(), "{a} / {b}");
                    }
                    (a, b) => panic!(
                        "whole {:?} / chunked {:?}",
                        a.as_ref().err(),
                        b.as_ref().err()
                    ),
                }
            }
            if let Ok(c) = &whole {
                let _ = eqisa_ir::stats::stats(c);
            }
        }
        Err(_) => {
            let text = String::from_utf8_lossy(bytes);
            let whole = parse_str(&text, name);
            check_place(text.as_bytes(), &whole, true);
        }
    }
}

/// One edit of a byte string.
#[derive(Clone, Debug)]
enum Edit {
    Insert(Index, u8),
    Delete(Index),
    Replace(Index, u8),
}

fn apply(seed: &str, edits: &[Edit]) -> Vec<u8> {
    let mut b = seed.as_bytes().to_vec();
    for e in edits {
        match *e {
            Edit::Insert(ref at, v) => {
                let k = at.index(b.len() + 1);
                b.insert(k, v);
            }
            Edit::Delete(ref at) if !b.is_empty() => {
                let k = at.index(b.len());
                b.remove(k);
            }
            Edit::Replace(ref at, v) if !b.is_empty() => {
                let k = at.index(b.len());
                b[k] = v;
            }
            _ => {}
        }
    }
    b
}

/// Bytes that matter to the grammar, and a few that do not.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        prop::sample::select(b";{}()[],/*\"\n -+^.eE0123456789@!=&|<>qcx_".to_vec()),
        any::<u8>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), interesting_byte()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<Index>().prop_map(Edit::Delete),
        (any::<Index>(), interesting_byte()).prop_map(|(i, b)| Edit::Replace(i, b)),
    ]
}

/// Programs made of grammar tokens in random order.
fn token_soup() -> impl Strategy<Value = String> {
    let tokens = [
        "OPENQASM 2.0;",
        "OPENQASM 3;",
        "include \"qelib1.inc\";",
        "include \"stdgates.inc\";",
        "qreg",
        "creg",
        "qubit",
        "bit",
        "gate",
        "opaque",
        "measure",
        "reset",
        "barrier",
        "if",
        "else",
        "delay",
        "ctrl",
        "negctrl",
        "inv",
        "pow",
        "@",
        "->",
        "=",
        "==",
        "!=",
        "&&",
        "||",
        "!",
        "^",
        "+",
        "-",
        "*",
        "/",
        "**",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ";",
        "\n",
        "q",
        "c",
        "r",
        "a",
        "x",
        "h",
        "cx",
        "rz",
        "U",
        "CX",
        "gphase",
        "pi",
        "sin",
        "1",
        "0",
        "2.5",
        "1e3",
        "100ns",
        "// c;",
        "/* ; */",
        "\"",
        "π",
        "_",
    ];
    prop::collection::vec(prop::sample::select(tokens.to_vec()), 0..60).prop_map(|t| t.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        parse_every_way(text.as_bytes(), "t.qasm");
        parse_every_way(text.as_bytes(), "t.qasm3");
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        parse_every_way(&bytes, "t.qasm");
    }

    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        parse_every_way(text.as_bytes(), "t.qasm");
        parse_every_way(text.as_bytes(), "t.qasm3");
    }

    #[test]
    fn mutations_of_valid_programs_never_panic(
        edits in prop::collection::vec(edit(), 1..8),
        qasm3 in any::<bool>(),
    ) {
        let seed = if qasm3 { SEED3 } else { SEED };
        let bytes = apply(seed, &edits);
        parse_every_way(&bytes, "t.qasm");
    }
}

// ---- generated valid programs --------------------------------------------------------------

/// The qelib1 gates a program may apply, with the name it applies them by.
fn qelib1_gates() -> Vec<(String, usize, usize)> {
    let mut out: Vec<(String, usize, usize)> = ALL_GATES
        .iter()
        .filter(|g| !matches!(g, StandardGate::GPhase | StandardGate::U))
        .map(|g| (g.name().to_string(), g.num_qubits(), g.num_params()))
        .collect();
    out.push(("u".into(), 1, 3));
    out.push(("U".into(), 1, 3));
    out.push(("CX".into(), 2, 0));
    out
}

/// A finite angle: mostly ordinary, sometimes extreme.
fn angle() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -10.0f64..10.0,
        1 => any::<f64>().prop_filter("finite", |v| v.is_finite()),
        1 => prop::sample::select(vec![0.0, -0.0, 1e-310, -1e308, f64::MAX, f64::MIN_POSITIVE]),
    ]
}

#[derive(Clone, Debug)]
struct Application {
    gate: Index,
    /// A random order of all qubits; the first `arity` are the operands.
    order: Vec<u32>,
    params: Vec<f64>,
}

fn program() -> impl Strategy<Value = (Vec<u32>, Vec<Application>)> {
    prop::collection::vec(1u32..5, 1..4).prop_flat_map(|sizes| {
        let total: u32 = sizes.iter().sum();
        let app = (
            any::<Index>(),
            Just((0..total).collect::<Vec<u32>>()).prop_shuffle(),
            prop::collection::vec(angle(), 4),
        )
            .prop_map(|(gate, order, params)| Application {
                gate,
                order,
                params,
            });
        (Just(sizes), prop::collection::vec(app, 0..40))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn generated_programs_parse_exactly((sizes, apps) in program()) {
        let total: u32 = sizes.iter().sum();
        let gates: Vec<(String, usize, usize)> =
            qelib1_gates().into_iter().filter(|g| g.1 <= total as usize).collect();
        // Global qubit index → `q<r>[<i>]`.
        let mut names = Vec::new();
        for (r, &n) in sizes.iter().enumerate() {
            for i in 0..n {
                names.push(format!("q{r}[{i}]"));
            }
        }
        let mut src = String::from("OPENQASM 2.0;\ninclude \"qelib1.inc\";\n");
        for (r, n) in sizes.iter().enumerate() {
            src.push_str(&format!("qreg q{r}[{n}];\n"));
        }
        src.push_str(&format!("creg c[{}];\n", sizes[0]));
        let mut want_counts: BTreeMap<String, u64> = BTreeMap::new();
        let mut want_qubits = Vec::new();
        let mut want_params = Vec::new();
        for a in &apps {
            let (name, arity, nparams) = &gates[a.gate.index(gates.len())];
            let params = &a.params[..*nparams];
            let operands = &a.order[..*arity];
            src.push_str(name);
            if !params.is_empty() {
                let p: Vec<String> = params.iter().map(|v| format!("{v:?}")).collect();
                src.push_str(&format!("({})", p.join(", ")));
            }
            let o: Vec<&str> = operands.iter().map(|&q| names[q as usize].as_str()).collect();
            src.push_str(&format!(" {};\n", o.join(", ")));
            *want_counts.entry(name.clone()).or_insert(0) += 1;
            want_qubits.extend_from_slice(operands);
            want_params.extend_from_slice(params);
        }
        src.push_str("measure q0 -> c;\n");
        want_counts.insert("measure".into(), u64::from(sizes[0]));

        let c = parse_str(&src, "gen.qasm").map_err(|e| TestCaseError::fail(format!("{e}\n{src}")))?;
        prop_assert_eq!(&eqisa_ir::stats::stats(&c).ops, &want_counts);
        prop_assert_eq!(c.num_qubits, total);
        prop_assert_eq!(&c.qubits, &want_qubits);
        let got: Vec<u64> = c.params.iter().map(|v| v.to_bits()).collect();
        let want: Vec<u64> = want_params.iter().map(|v| v.to_bits()).collect();
        prop_assert_eq!(got, want, "{}", src);
        let measures = c.ops.iter().filter(|op| matches!(op, Op::Measure { .. })).count();
        prop_assert_eq!(measures as u32, sizes[0]);
        // Chunked reading gives the same circuit.
        let chunked = parse_reader(OneByte(src.as_bytes()), Arc::from("gen.qasm"), PathBuf::from("."))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(chunked == c);
    }
}
