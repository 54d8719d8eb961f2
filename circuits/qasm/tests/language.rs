//! The language features of the front end, each parsed and checked by its counts, operands,
//! parameters and structure.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use eqisa_ir::Circuit;
use eqisa_ir::circuit::{CondExpr, CondOp, GateKind, Modifier, Op, TimeUnit, Version, Wide};
use eqisa_ir::expr::Expr;
use eqisa_ir::stats::stats;
use eqisa_qasm::{parse_reader, parse_str};
use eqisa_test_support::OneByte;

const H2: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n";
const H3: &str = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\n";

fn parse(src: &str) -> Circuit {
    parse_str(src, "t.qasm").unwrap_or_else(|e| panic!("{e}\n{src}"))
}

/// Operation counts by name, as `(name, count)` pairs.
fn counts(c: &Circuit) -> BTreeMap<String, u64> {
    stats(c).ops
}

fn count_map(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// Qubit operands of every top-level gate application, in order.
fn gate_operands(c: &Circuit) -> Vec<(String, Vec<u32>, Vec<f64>)> {
    c.ops
        .iter()
        .filter_map(|op| match *op {
            Op::Gate { gate, args, params } => {
                let (q, p) = c.gate_operands(gate, args, params);
                Some((c.gate(gate).name.clone(), q.to_vec(), p.to_vec()))
            }
            _ => None,
        })
        .collect()
}

/// The single parameter of each of `exprs` applied as `rz(e) q[0];`.
fn eval_all(exprs: &[&str]) -> Vec<f64> {
    let mut src = format!("{H2}qreg q[1];\n");
    for e in exprs {
        src.push_str(&format!("rz({e}) q[0];\n"));
    }
    parse(&src).params
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

// ---- headers and comments ----------------------------------------------------------------

#[test]
fn qasm2_header_missing_is_tolerated() {
    let c = parse("include \"qelib1.inc\";\nqreg q[2];\nh q[0];\ncx q[0], q[1];\n");
    assert_eq!(c.version, Version::Qasm2);
    assert_eq!(counts(&c), count_map(&[("cx", 1), ("h", 1)]));
    // A `.qasm3` file without a header is OpenQASM 3.
    let c = parse_str("qubit[1] q;\nU(0, 0, 0) q[0];\ngphase(1);\n", "x.qasm3").unwrap();
    assert_eq!(c.version, Version::Qasm3);
    assert_eq!(counts(&c), count_map(&[("U", 1), ("gphase", 1)]));
    // Headers: `OPENQASM 3;` and `OPENQASM 3.0;` both name version 3.
    assert_eq!(parse("OPENQASM 3;\nqubit q;").version, Version::Qasm3);
    // A byte-order mark is skipped.
    assert_eq!(parse("\u{feff}OPENQASM 2.0;\nqreg q[1];").num_qubits, 1);
}

#[test]
fn comments_anywhere() {
    let src = "// leading; comment\n/* block ; { */ OPENQASM /* */ 2.0 // x\n;\ninclude /* ; */ \"qelib1.inc\" ;\n\
               qreg /* c */ q /* ; */ [ /* */ 2 /* */ ] // ;\n ;\n\
               creg c[2]; // trailing ;\n\
               cx q[0], // ;\n q[1];\n\
               rz(/* a */ pi /* b */ / 2) // c\n q[0] /* d */ ;\n\
               gate g /* */ a /* */ { /* ; } */ x a; // }\n }\n\
               g q[1]; measure q /* -> */ -> c /* */;\n\
               if (c /* */ == // \n 1) x q[0];\n\
               /* multi\nline ; comment */ /**/ h q[0]; /* at the end */";
    let c = parse(src);
    assert_eq!(
        counts(&c),
        count_map(&[
            ("cx", 1),
            ("g", 1),
            ("h", 1),
            ("measure", 2),
            ("rz", 1),
            ("x", 1)
        ])
    );
    assert_eq!(c.params, [std::f64::consts::FRAC_PI_2]);
    assert_eq!(stats(&c).conditional, 1);
}

// ---- parameter expressions ---------------------------------------------------------------

#[test]
fn every_numeric_literal_form() {
    let got = eval_all(&[
        "1", "1.", ".5", "1e3", "1.5E-3", "2e+2", "0.0", "1_000.5", "6.02e23", "1.e2",
    ]);
    assert_eq!(
        got,
        [
            1.0, 1.0, 0.5, 1000.0, 1.5e-3, 200.0, 0.0, 1000.5, 6.02e23, 100.0
        ]
    );
    // Exactly the value Rust's parser gives the same text (no accumulated rounding).
    for t in [
        "0.1",
        "3.141592653589793",
        "1e-300",
        "2.2250738585072014e-308",
        "123456789.987654321",
    ] {
        assert_eq!(
            eval_all(&[t])[0].to_bits(),
            t.parse::<f64>().unwrap().to_bits(),
            "{t}"
        );
    }
}

#[test]
fn operators_precedence_and_associativity() {
    // Values from Qiskit 2.6's `qiskit.qasm2.loads` on the same expressions.
    let table: &[(&str, f64)] = &[
        ("2^3^2", 512.0),
        ("-2^2", -4.0),
        ("2^-2", 0.25),
        ("-2^-2", -0.25),
        ("2*-3", -6.0),
        ("1-2-3", -4.0),
        ("8/2/2", 2.0),
        ("2^2*3", 12.0),
        ("2*3^2", 18.0),
        ("1+2*3", 7.0),
        ("(1+2)*3", 9.0),
        ("-(2)^2", -4.0),
        ("--2", 2.0),
        ("+2", 2.0),
        ("-pi^2", -9.869604401089358),
        ("2^-2^2", 0.0625),
        ("-2^2^-1", -std::f64::consts::SQRT_2),
        ("2*-2^2", -8.0),
        ("-(1+1)^2", -4.0),
        ("-sin(1)^2", -0.7080734182735712),
        ("1/-2^2", -0.25),
        ("2-2^2", -2.0),
        ("-2*-2", 4.0),
        ("+-2^2", -4.0),
        ("2^+2", 4.0),
        ("1+-1", 0.0),
        ("pi/2", std::f64::consts::FRAC_PI_2),
        ("10 - 4 / 2 * 3", 4.0),
    ];
    let exprs: Vec<&str> = table.iter().map(|(e, _)| *e).collect();
    let got = eval_all(&exprs);
    for ((e, want), got) in table.iter().zip(got) {
        assert!(close(got, *want), "{e} = {got}, Qiskit gives {want}");
    }
    // OpenQASM 3 spells power `**`, with the same precedence.
    let c = parse(&format!(
        "{H3}qubit q;\nrz(-2**2) q;\nrz(2**3**2) q;\nrz(2*3**2) q;\n"
    ));
    assert_eq!(c.params, [-4.0, 512.0, 18.0]);
}

#[test]
fn functions() {
    let got = eval_all(&[
        "sin(0.5)",
        "cos(0.5)",
        "tan(0.5)",
        "exp(0.5)",
        "ln(0.5)",
        "sqrt(0.5)",
        "sin(pi/6)*2",
        "sqrt(2)^2",
        "exp(ln(3))",
        "cos(-pi)",
    ]);
    let want = [
        0.5f64.sin(),
        0.5f64.cos(),
        0.5f64.tan(),
        0.5f64.exp(),
        0.5f64.ln(),
        0.5f64.sqrt(),
        1.0,
        2.0,
        3.0,
        -1.0,
    ];
    for (g, w) in got.iter().zip(want) {
        assert!(close(*g, w), "{g} vs {w}");
    }
    // Exactly the library functions for plain arguments.
    assert_eq!(got[..6], want[..6]);
}

// ---- broadcasting ------------------------------------------------------------------------

#[test]
fn register_broadcasting() {
    let c = parse(&format!(
        "{H2}qreg q[3];\nqreg r[3];\ncreg c[3];\n\
         h q;\ncx q, r;\ncx q[1], r;\nu1(0.5) r;\nccx q[0], q[1], r;\n\
         measure q -> c;\nmeasure r[2] -> c[0];\nreset r;\nbarrier q, r[0];\n"
    ));
    assert_eq!(
        counts(&c),
        count_map(&[
            ("barrier", 1),
            ("ccx", 3),
            ("cx", 6),
            ("h", 3),
            ("measure", 4),
            ("reset", 3),
            ("u1", 3)
        ])
    );
    let ops = gate_operands(&c);
    let qubits: Vec<Vec<u32>> = ops.iter().map(|(_, q, _)| q.clone()).collect();
    assert_eq!(
        qubits,
        [
            vec![0],
            vec![1],
            vec![2],
            vec![0, 3],
            vec![1, 4],
            vec![2, 5],
            vec![1, 3],
            vec![1, 4],
            vec![1, 5],
            vec![3],
            vec![4],
            vec![5],
            vec![0, 1, 3],
            vec![0, 1, 4],
            vec![0, 1, 5],
        ]
    );
    // Every broadcast u1 has the same angle.
    assert!(ops.iter().filter(|o| o.0 == "u1").all(|o| o.2 == [0.5]));
    let measures: Vec<(u32, u32)> = c
        .ops
        .iter()
        .filter_map(|op| match *op {
            Op::Measure { qubit, clbit } => Some((qubit, clbit)),
            _ => None,
        })
        .collect();
    assert_eq!(measures, [(0, 0), (1, 1), (2, 2), (5, 0)]);
    let resets: Vec<u32> = c
        .ops
        .iter()
        .filter_map(|op| match *op {
            Op::Reset { qubit } => Some(qubit),
            _ => None,
        })
        .collect();
    assert_eq!(resets, [3, 4, 5]);
    let barrier = c.ops.iter().find_map(|op| match *op {
        Op::Barrier { args, len } => Some(c.barrier_qubits(args, len).to_vec()),
        _ => None,
    });
    assert_eq!(barrier, Some(vec![0, 1, 2, 3]));
}

// ---- conditions --------------------------------------------------------------------------

#[test]
fn qasm2_if_register_equals_integer() {
    let c = parse(&format!(
        "{H2}qreg q[2];\ncreg c[2];\nif (c == 2) x q[0];\nif(c==1) h q;\n"
    ));
    let s = stats(&c);
    // The broadcast `h q` is one conditional per qubit, as in Qiskit.
    assert_eq!(s.conditional, 3);
    assert_eq!(s.ops_in_conditionals, count_map(&[("h", 2), ("x", 1)]));
    assert_eq!(c.ifs[0].line, 5);
    assert_eq!(c.ifs[2].line, 6);
    for v in 0..4u32 {
        let bits = [v & 1 == 1, v & 2 == 2];
        assert_eq!(c.ifs[0].cond.holds(&c, &bits), v == 2, "c = {v}");
        assert_eq!(c.ifs[1].cond.holds(&c, &bits), v == 1, "c = {v}");
    }
    assert!(matches!(
        &c.ifs[0].cond,
        CondExpr::Binary(CondOp::Eq, a, b)
            if matches!(**a, CondExpr::Register(0)) && **b == CondExpr::Int(Wide::from_u64(2))
    ));
}

#[test]
fn big_integer_condition_on_a_wide_register() {
    let c = parse(&format!(
        "{H2}qreg q[1];\ncreg c[100];\nif(c==123456789012345678901234567890) x q[0];\n"
    ));
    let value: u128 = 123456789012345678901234567890;
    let mut bits: Vec<bool> = (0..100).map(|i| (value >> i) & 1 == 1).collect();
    let cond = &c.ifs[0].cond;
    assert!(cond.holds(&c, &bits));
    bits[99] = true;
    assert!(!cond.holds(&c, &bits));
    bits[99] = false;
    bits[0] = !bits[0];
    assert!(!cond.holds(&c, &bits));
    assert!(!cond.holds(&c, &[false; 100]));
    assert_eq!(stats(&c).conditional, 1);
}

#[test]
fn qasm3_conditions_evaluate_correctly() {
    // Registers: c (2 bits, clbits 0-1), d (1 bit, clbit 2).
    type Truth = fn(u32, bool) -> bool;
    let cases: &[(&str, Truth)] = &[
        ("c == 2", |c, _| c == 2),
        ("c != 3", |c, _| c != 3),
        ("!d", |_, d| !d),
        ("d", |_, d| d),
        ("c[0] && d", |c, d| c & 1 == 1 && d),
        ("c[0] || d", |c, d| c & 1 == 1 || d),
        ("c[0] ^ c[1]", |c, _| (c & 1) ^ (c >> 1) == 1),
        ("c[1] ^ d", |c, d| (c >> 1 == 1) ^ d),
        ("!(c == 1) && (d || c[1])", |c, d| {
            c != 1 && (d || c >> 1 == 1)
        }),
        ("c[0] || c[1] && d", |c, d| c & 1 == 1 || (c >> 1 == 1 && d)),
        ("!c[0] || !d", |c, d| c & 1 == 0 || !d),
        ("c == 1 || c == 2", |c, _| c == 1 || c == 2),
        ("(c ^ 3) == 1", |c, _| c ^ 3 == 1),
        ("c == 3 && !!d", |c, d| c == 3 && d),
        ("c > 1", |c, _| c > 1),
        ("c <= 1 || d == 1", |c, d| c <= 1 || d),
        ("true && d", |_, d| d),
        ("false || c[0]", |c, _| c & 1 == 1),
    ];
    for (cond, truth) in cases {
        let src = format!(
            "{H3}qubit[2] q;\nbit[2] c;\nbit d;\nif ({cond}) {{ x q[0]; }} else {{ y q[0]; z q[1]; }}\n"
        );
        let c = parse(&src);
        assert_eq!(c.ifs.len(), 1);
        let block = &c.ifs[0];
        assert_eq!((block.then_ops.len(), block.else_ops.len()), (1, 2));
        for v in 0..8u32 {
            let bits = [v & 1 == 1, v & 2 == 2, v & 4 == 4];
            let (cv, dv) = (v & 3, v & 4 == 4);
            assert_eq!(
                block.cond.holds(&c, &bits),
                truth(cv, dv),
                "({cond}) with c = {cv}, d = {dv}"
            );
        }
    }
}

#[test]
fn qasm3_if_else_forms() {
    let c = parse(&format!(
        "{H3}qubit[2] q;\nbit[2] c;\n\
         if (c[0]) x q[0];\n\
         if (c[1]) x q[0]; else y q[0];\n\
         if (c == 1) {{ x q[0]; h q[1]; }}\n\
         else {{ }}\n\
         if (c[0]) {{ if (c[1]) {{ z q[0]; }} else {{ s q[0]; }} }}\n"
    ));
    let s = stats(&c);
    assert_eq!(s.conditional, 5);
    assert_eq!(
        s.ops_in_conditionals,
        count_map(&[("h", 1), ("s", 1), ("x", 3), ("y", 1), ("z", 1)])
    );
    let lens: Vec<(usize, usize)> = c
        .ifs
        .iter()
        .map(|b| (b.then_ops.len(), b.else_ops.len()))
        .collect();
    // Nested blocks are registered before the block holding them.
    assert_eq!(lens.len(), 5);
    assert!(lens.contains(&(2, 0)));
    assert!(lens.contains(&(1, 1)));
    let lines: Vec<u32> = c.ifs.iter().map(|b| b.line).collect();
    assert!(lines.contains(&5) && lines.contains(&9), "{lines:?}");
}

// ---- definitions -------------------------------------------------------------------------

#[test]
fn gate_definitions_with_parameters_and_opaque_gates() {
    let c = parse(&format!(
        "{H2}qreg q[2];\n\
         gate g(a, b) x, y {{ rz(a + b) x; cx x, y; u3(a, -b, pi/2) y; }}\n\
         gate empty a {{ }}\n\
         gate noparams() a {{ x a; }}\n\
         opaque o(t) a, b;\n\
         g(0.5, 0.25) q[0], q[1];\n\
         g(1, 2) q[1], q[0];\n\
         empty q[0];\n\
         noparams q[1];\n\
         o(3) q[1], q[0];\n"
    ));
    assert_eq!(
        counts(&c),
        count_map(&[("empty", 1), ("g", 2), ("noparams", 1), ("o", 1)])
    );
    let g = c.gates.iter().find(|g| g.name == "g").unwrap();
    assert_eq!((g.num_qubits, g.num_params), (2, 2));
    let GateKind::Defined(def) = &g.kind else {
        panic!("{:?}", g.kind)
    };
    assert_eq!(def.param_names, ["a", "b"]);
    assert_eq!(def.qubit_names, ["x", "y"]);
    assert_eq!(def.body.len(), 3);
    assert_eq!(def.body[0].args, [0]);
    assert_eq!(def.body[1].args, [0, 1]);
    assert_eq!(def.body[2].args, [1]);
    assert_eq!(def.body[0].params[0].eval(&[0.5, 0.25]), 0.75);
    let u3: Vec<f64> = def.body[2]
        .params
        .iter()
        .map(|e| e.eval(&[0.5, 0.25]))
        .collect();
    assert_eq!(u3, [0.5, -0.25, std::f64::consts::FRAC_PI_2]);
    assert!(matches!(def.body[0].params[0], Expr::Chain(..)));
    let o = c.gates.iter().find(|g| g.name == "o").unwrap();
    assert_eq!(
        (o.num_qubits, o.num_params, &o.kind),
        (2, 1, &GateKind::Opaque)
    );
    let empty = c.gates.iter().find(|g| g.name == "empty").unwrap();
    assert!(matches!(&empty.kind, GateKind::Defined(d) if d.body.is_empty()));
    let ops = gate_operands(&c);
    assert_eq!(ops[0], ("g".to_string(), vec![0, 1], vec![0.5, 0.25]));
    assert_eq!(ops[1], ("g".to_string(), vec![1, 0], vec![1.0, 2.0]));
    assert_eq!(ops[4], ("o".to_string(), vec![1, 0], vec![3.0]));
    // A barrier inside a definition is allowed and has no effect on the body.
    let c = parse(&format!(
        "{H2}qreg q[1];\ngate b a {{ x a; barrier a; h a; }}\nb q[0];\n"
    ));
    let b = c.gates.iter().find(|g| g.name == "b").unwrap();
    assert!(matches!(&b.kind, GateKind::Defined(d) if d.body.len() == 2));
}

#[test]
fn includes_resolve_relative_to_the_including_file() {
    let dir = std::env::temp_dir().join(format!(
        "eqisa-language-include-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(dir.join("lib/deeper")).unwrap();
    std::fs::write(
        dir.join("lib/defs.inc"),
        "include \"deeper/more.inc\";\ngate mygate(t) a, b { rz(t) a; other b; }\n",
    )
    .unwrap();
    std::fs::write(dir.join("lib/deeper/more.inc"), "gate other a { h a; }\n").unwrap();
    let main = dir.join("main.qasm");
    let program = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\ninclude \"lib/defs.inc\";\nqreg q[2];\nmygate(0.5) q[0], q[1];\nother q[0];\n";
    std::fs::write(&main, program).unwrap();
    let c = eqisa_qasm::parse_file(&main).unwrap();
    assert_eq!(counts(&c), count_map(&[("mygate", 1), ("other", 1)]));
    assert_eq!(c.params, [0.5]);
    // From a reader, includes resolve against the directory given.
    let c2 = parse_reader(program.as_bytes(), Arc::from("stdin"), dir.clone()).unwrap();
    assert_eq!(c, c2);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- OpenQASM 3 ----------------------------------------------------------------------------

#[test]
fn qasm3_declarations_and_measurements() {
    let c = parse(&format!(
        "{H3}qubit[3] q;\nqubit r;\nbit[3] c;\nbit b;\n\
         c[0] = measure q[0];\nc = measure q;\nb = measure r;\nmeasure q[1] -> c[2];\n"
    ));
    assert_eq!((c.num_qubits, c.num_clbits), (4, 4));
    assert_eq!(c.qregs.len(), 2);
    assert_eq!(
        (c.qregs[1].name.as_str(), c.qregs[1].start, c.qregs[1].size),
        ("r", 3, 1)
    );
    let measures: Vec<(u32, u32)> = c
        .ops
        .iter()
        .filter_map(|op| match *op {
            Op::Measure { qubit, clbit } => Some((qubit, clbit)),
            _ => None,
        })
        .collect();
    assert_eq!(measures, [(0, 0), (0, 0), (1, 1), (2, 2), (3, 3), (1, 2)]);
}

#[test]
fn qasm3_modifiers() {
    let c = parse(&format!(
        "{H3}qubit[4] q;\n\
         ctrl @ x q[0], q[1];\n\
         negctrl @ x q[0], q[1];\n\
         inv @ s q[0];\n\
         pow(2) @ t q[0];\n\
         ctrl(2) @ x q[0], q[1], q[2];\n\
         ctrl @ inv @ rz(0.5) q[3], q[0];\n\
         negctrl(2) @ ctrl @ h q[0], q[1], q[2], q[3];\n\
         ctrl @ x q[2], q[3];\n"
    ));
    let names: Vec<String> = gate_operands(&c).into_iter().map(|o| o.0).collect();
    assert_eq!(
        names,
        [
            "ctrl @ x",
            "negctrl @ x",
            "inv @ s",
            "pow(2) @ t",
            "ctrl(2) @ x",
            "ctrl @ inv @ rz",
            "negctrl(2) @ ctrl @ h",
            "ctrl @ x"
        ]
    );
    let entry = |name: &str| c.gates.iter().find(|g| g.name == name).unwrap();
    let base = |name: &str| c.gates.iter().position(|g| g.name == name).unwrap() as u32;
    let check = |name: &str, qubits: u32, params: u32, b: &str, mods: &[Modifier]| {
        let g = entry(name);
        assert_eq!((g.num_qubits, g.num_params), (qubits, params), "{name}");
        match &g.kind {
            GateKind::Modified {
                base: id,
                modifiers,
            } => {
                assert_eq!(id.0, base(b), "{name}");
                assert_eq!(modifiers, mods, "{name}");
            }
            k => panic!("{name}: {k:?}"),
        }
    };
    let ctrl = |count, negated| Modifier::Ctrl { count, negated };
    check("ctrl @ x", 2, 0, "x", &[ctrl(1, false)]);
    check("negctrl @ x", 2, 0, "x", &[ctrl(1, true)]);
    check("inv @ s", 1, 0, "s", &[Modifier::Inv]);
    check("pow(2) @ t", 1, 0, "t", &[Modifier::Pow(2.0)]);
    check("ctrl(2) @ x", 3, 0, "x", &[ctrl(2, false)]);
    check(
        "ctrl @ inv @ rz",
        2,
        1,
        "rz",
        &[ctrl(1, false), Modifier::Inv],
    );
    check(
        "negctrl(2) @ ctrl @ h",
        4,
        0,
        "h",
        &[ctrl(2, true), ctrl(1, false)],
    );
    // The same modified gate is one table entry.
    assert_eq!(c.gates.iter().filter(|g| g.name == "ctrl @ x").count(), 1);
    assert_eq!(gate_operands(&c)[5].1, [3, 0]);
    assert_eq!(c.params, [0.5]);
}

#[test]
fn qasm3_builtins_reset_barrier_delay() {
    let c = parse(&format!(
        "{H3}qubit[2] q;\nqubit r;\n\
         U(0.1, 0.2, 0.3) q[0];\n\
         gphase(0.5);\n\
         reset q;\nreset r;\n\
         barrier;\nbarrier q[1], r;\n\
         delay[100ns] q[0];\n\
         delay[7dt] q;\n\
         delay[1.5us] r;\n\
         delay[2ms] q[1];\n\
         delay[3s] q[0];\n\
         delay[1e3ns] r;\n\
         delay[4µs] r;\n"
    ));
    assert_eq!(
        counts(&c),
        count_map(&[
            ("U", 1),
            ("barrier", 2),
            ("delay", 8),
            ("gphase", 1),
            ("reset", 3)
        ])
    );
    let ops = gate_operands(&c);
    assert_eq!(ops[0], ("U".to_string(), vec![0], vec![0.1, 0.2, 0.3]));
    assert_eq!(ops[1], ("gphase".to_string(), vec![], vec![0.5]));
    let barriers: Vec<Vec<u32>> = c
        .ops
        .iter()
        .filter_map(|op| match *op {
            Op::Barrier { args, len } => Some(c.barrier_qubits(args, len).to_vec()),
            _ => None,
        })
        .collect();
    assert_eq!(barriers, [vec![0, 1, 2], vec![1, 2]]);
    let delays: Vec<(u32, f64, TimeUnit)> = c
        .ops
        .iter()
        .filter_map(|op| match *op {
            Op::Delay { qubit, duration } => {
                let d = c.durations[duration as usize];
                Some((qubit, d.value, d.unit))
            }
            _ => None,
        })
        .collect();
    // Durations are held in ns (or in dt, which only a device converts).
    assert_eq!(
        delays,
        [
            (0, 100.0, TimeUnit::Ns),
            (0, 7.0, TimeUnit::Dt),
            (1, 7.0, TimeUnit::Dt),
            (2, 1500.0, TimeUnit::Ns),
            (1, 2_000_000.0, TimeUnit::Ns),
            (0, 3e9, TimeUnit::Ns),
            (2, 1000.0, TimeUnit::Ns),
            (2, 4000.0, TimeUnit::Ns),
        ]
    );
}

// ---- chunked reading -----------------------------------------------------------------------

#[test]
fn one_byte_reads_give_the_same_circuit() {
    let programs = [
        format!(
            "{H2}qreg q[3]; creg c[3]; // two; statements\n\
             gate g(a) x, y {{ rz(a/2) x; // ; inside\n cx x, y; }}\n\
             /* a ; block {{ comment */ g(pi) q[0], q[1]; h q;\n\
             measure q -> c;\nif (c == 3) x q[2]; if (c == 1) g(1) q[2], q[0];\n"
        ),
        format!(
            "{H3}qubit[2] q;\nbit[2] c;\n\
             gate g a {{ h a; }}\n\
             c = measure q;\n\
             if (c[0] || c[1]) {{ x q[0]; // ;\n y q[1]; }} else {{ g q[0]; }}\n\
             if (c == 2) x q[0];\nelse y q[1];\n\
             if (c == 1) x q[0]; else\n  y q[1];\n\
             delay[10ns] q; barrier;\n"
        ),
    ];
    for src in &programs {
        let whole = parse(src);
        let chunked = parse_reader(
            OneByte(src.as_bytes()),
            Arc::from("t.qasm"),
            PathBuf::from("."),
        )
        .unwrap();
        assert_eq!(whole, chunked, "{src}");
        assert!(!whole.ops.is_empty());
    }
    let s = stats(&parse(&programs[1]));
    assert_eq!(s.conditional, 3);
}

#[test]
fn long_program_through_a_reader() {
    // > 2 MB, so several read buffers, with the error on the last line.
    let mut src = String::from(H2);
    src.push_str("qreg q[4];\ncreg c[4];\n");
    let lines = 200_000;
    for k in 0..lines {
        src.push_str(&format!("cx q[{}], q[{}]; // ;{{\n", k % 4, (k + 1) % 4));
    }
    assert!(src.len() > 2 << 20);
    let c = parse_reader(src.as_bytes(), Arc::from("big.qasm"), PathBuf::from(".")).unwrap();
    assert_eq!(counts(&c), count_map(&[("cx", lines as u64)]));
    assert_eq!(c, parse(&src));
    src.push_str("\n\n   cx q[0], q[0];\n");
    let e = parse_reader(src.as_bytes(), Arc::from("big.qasm"), PathBuf::from(".")).unwrap_err();
    let pos = e.pos().unwrap();
    assert_eq!((pos.line, pos.col), (4 + lines as u32 + 3, 4), "{e}");
}

/// A program without a version header is read as OpenQASM 3 when it reads as one (the
/// specification's own examples omit the header), and as OpenQASM 2 otherwise.
#[test]
fn a_program_without_a_header_is_read_in_the_language_it_is_written_in() {
    use eqisa_ir::circuit::Version;
    let v3 = [
        "include \"stdgates.inc\";\nqubit[2] q;\ncx q[0], q[1];\n",
        "/* no include */\nqubit q;\nU(0, 0, 0) q;\n",
        "// a constant first\nconst int n = 2;\nqreg q[n];\nfor int i in [0:1] { U(0, 0, 0) q[0]; }\n",
    ];
    for text in v3 {
        let c = parse_str(text, "t.qasm").unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(c.version, Version::Qasm3, "{text}");
    }
    let v2 = "include \"qelib1.inc\";\nqreg q[2];\ncx q[0], q[1];\n";
    assert_eq!(parse_str(v2, "t.qasm").unwrap().version, Version::Qasm2);
    // A header always decides.
    let text = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nx q[0];\n";
    assert_eq!(parse_str(text, "t.qasm3").unwrap().version, Version::Qasm2);
}
