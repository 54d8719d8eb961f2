//! End-to-end tests: program text through the OpenQASM 3 parser and the elaborator, and every
//! OpenQASM 3 file of the examples and the shared corpus.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::elaborator::Elaborator;
use crate::builder::Source;
use crate::error::QasmError;
use crate::v3::parse::next_statement;
use eqisa_ir::circuit::GateKind;
use eqisa_ir::program::Program;
use eqisa_ir::program::expr::QubitBase;
use eqisa_ir::program::expr::{ClassicalExpr, Index};
use eqisa_ir::program::stmt::{Iteration, Stmt, VarKind};
use eqisa_ir::program::types::Type;
use eqisa_ir::program::value::Value;

/// Elaborate `text` as the file `name` whose includes resolve against `dir`.
fn elaborate_in(text: &str, name: &str, dir: &Path) -> Result<Program, QasmError> {
    let file: Arc<str> = Arc::from(name);
    let mut el = Elaborator::new(file.clone(), dir.to_path_buf());
    let mut src = Source::new(file, dir.to_path_buf(), text, 1);
    let mut rest = text;
    loop {
        match next_statement(rest) {
            Ok(None) => break,
            Ok(Some((s, r))) => {
                el.statement(&s, &mut src)?;
                rest = r;
            }
            Err(e) => return Err(src.err(e.at, e.kind)),
        }
    }
    el.finish()
}

fn elaborate(text: &str) -> Result<Program, QasmError> {
    elaborate_in(text, "t.qasm3", Path::new("."))
}

fn error(text: &str) -> String {
    match elaborate(text) {
        Ok(_) => "no error".into(),
        Err(e) => e.to_string(),
    }
}

const HEAD: &str = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\n";

#[test]
fn constants_fold_and_size_registers() {
    let p = elaborate(&format!(
        "{HEAD}const int n = 2 ** 3;\nconst int zero = 1 / 5;\nconst float half = 1 / 2.0;\nqubit[n + zero] q;\nbit[n] c;\nrz(half * pi) q[0];\n"
    ))
    .unwrap();
    assert_eq!(p.circuit.num_qubits, 8);
    assert_eq!(p.circuit.num_clbits, 8);
    let zero = p.vars.iter().position(|v| v.name == "zero").unwrap();
    assert_eq!(p.vars[zero].kind, VarKind::Const);
    match p.body.last() {
        Some(Stmt::Gate { params, qubits, .. }) => {
            assert_eq!(
                params[0],
                ClassicalExpr::Const(Value::Float(0.5 * std::f64::consts::PI))
            );
            assert_eq!(qubits[0].base, QubitBase::Global { start: 0, len: 1 });
        }
        s => panic!("{s:?}"),
    }
}

#[test]
fn a_million_iterations_are_one_loop() {
    let p = elaborate(&format!(
        "{HEAD}qubit[2] q;\nbit[2] c;\nfor int i in [0:999999] {{\n  h q[0];\n  cx q[0], q[1];\n  c[0] = measure q[0];\n  if (c[0]) {{ x q[1]; }}\n}}\n"
    ))
    .unwrap();
    let fors: Vec<_> = p
        .body
        .iter()
        .filter(|s| matches!(s, Stmt::For { .. }))
        .collect();
    assert_eq!(fors.len(), 1);
    match fors[0] {
        Stmt::For {
            iter: Iteration::Range { start, stop, .. },
            body,
            ..
        } => {
            assert_eq!(*start, ClassicalExpr::Const(Value::Int(0)));
            assert_eq!(*stop, ClassicalExpr::Const(Value::Int(999_999)));
            assert_eq!(body.len(), 4);
            assert!(matches!(body[3], Stmt::If { .. }));
        }
        s => panic!("{s:?}"),
    }
}

#[test]
fn while_switch_and_loop_variables_keep_their_structure() {
    let p = elaborate(&format!(
        "{HEAD}qubit q;\nbit b;\nint[32] n = 0;\nwhile (n < 10) {{\n  b = measure q;\n  if (b) break;\n  n += 1;\n}}\nswitch (n) {{\n  case 0, 1 {{ x q; }}\n  case 2 {{ h q; }}\n  default {{ }}\n}}\nfor uint k in {{1, 3, 5}} {{ rz(k * 0.5) q; }}\n"
    ))
    .unwrap();
    assert!(
        p.body
            .iter()
            .any(|s| matches!(s, Stmt::While { body, .. } if body.len() == 3))
    );
    assert!(
        p.body
            .iter()
            .any(|s| matches!(s, Stmt::Switch { cases, default: Some(_), .. } if cases.len() == 2))
    );
    assert!(
        p.body
            .iter()
            .any(|s| matches!(s, Stmt::For { iter: Iteration::Set(v), .. } if v.len() == 3))
    );
    let e = error(&format!(
        "{HEAD}int v;\nswitch (v) {{ case 1 {{ }} case 1 {{ }} }}\n"
    ));
    assert!(e.contains("case value appears twice"), "{e}");
}

#[test]
fn branches_known_at_compile_time_are_taken_now() {
    let p = elaborate(&format!(
        "{HEAD}const int n = 3;\nqubit q;\nbit c;\nif (n > 2) {{ x q; }} else {{ h q; }}\nswitch (n) {{ case 1 {{ h q; }} case 3 {{ z q; y q; }} }}\nc = measure q;\nif (c) {{ x q; }}\n"
    ))
    .unwrap();
    let gates: Vec<&str> = p
        .body
        .iter()
        .filter_map(|s| match s {
            Stmt::Gate { gate, .. } => Some(p.circuit.gates[gate.0 as usize].name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(gates, ["x", "z", "y"]);
    assert!(matches!(p.body.last(), Some(Stmt::If { .. })));
}

#[test]
fn scalar_bits_take_measurements_in_every_form() {
    let p = elaborate(&format!(
        "{HEAD}qubit q;\nqubit[2] r;\nbit c;\nbit[2] d;\nc = measure q;\nmeasure q -> c;\nd = measure r;\nbit e = measure r[1];\n"
    ))
    .unwrap();
    let measures = p
        .body
        .iter()
        .filter(|s| {
            matches!(
                s,
                Stmt::Measure {
                    target: Some(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!(measures, 4);
    assert_eq!(
        p.circuit.cregs.iter().map(|r| r.size).collect::<Vec<_>>(),
        [1, 2, 1]
    );
    let e = error(&format!("{HEAD}qubit[2] q;\nbit c;\nc = measure q;\n"));
    assert_eq!(e, "t.qasm3:5:1: measuring 2 qubit(s) into 1 bit(s)");
}

#[test]
fn operands_slices_sets_and_aliases_resolve() {
    let p = elaborate(&format!(
        "{HEAD}qubit[6] q;\nqubit[2] r;\nh q[1:3];\nx q[{{0, 2, 4}}];\nlet a = q[0:1] ++ r;\ncx a[1], a[2];\nh a;\nlet b = q[{{5, 0}}];\nswap b[0], b[1];\nh q[-1];\n"
    ))
    .unwrap();
    let gates: Vec<_> = p
        .body
        .iter()
        .filter_map(|s| match s {
            Stmt::Gate { qubits, .. } => Some(qubits),
            _ => None,
        })
        .collect();
    assert_eq!(gates[0][0].base, QubitBase::Global { start: 1, len: 3 });
    assert!(matches!(gates[1][0].index, Some(Index::Set(ref v)) if v.len() == 3));
    assert_eq!(gates[2][0].base, QubitBase::Global { start: 1, len: 1 });
    assert_eq!(gates[2][1].base, QubitBase::Global { start: 6, len: 1 });
    // `a` is q[0], q[1], r[0], r[1]: consecutive globals 0, 1, 6, 7 are not one range.
    assert!(matches!(gates[3][0].index, Some(Index::Set(ref v)) if v.len() == 4));
    assert_eq!(gates[4][0].base, QubitBase::Global { start: 5, len: 1 });
    assert_eq!(gates[4][1].base, QubitBase::Global { start: 0, len: 1 });
    assert_eq!(gates[5][0].base, QubitBase::Global { start: 5, len: 1 });
    let e = error(&format!("{HEAD}qubit[3] q;\ncx q[0:1], q[{{2, 1}}];\n"));
    assert!(e.contains("qubit q[1] appears more than once"), "{e}");
    let e = error(&format!("{HEAD}qubit[3] q;\nqubit[2] r;\ncx q, r;\n"));
    assert!(e.contains("different sizes"), "{e}");
}

#[test]
fn casts_are_inserted_and_narrowing_needs_one() {
    let p = elaborate(&format!(
        "{HEAD}int[16] i = 3;\nfloat[64] f = i;\nuint[8] u = 200;\nangle[20] a = f;\nint j = int(f * 2);\nbool flag = i;\n"
    ))
    .unwrap();
    let init = |k: usize| match &p.body[k] {
        Stmt::Declare { init: Some(e), .. } => e.clone(),
        s => panic!("{s:?}"),
    };
    assert!(matches!(
        init(1),
        ClassicalExpr::Cast(Type::Float(Some(64)), _)
    ));
    assert!(matches!(
        init(3),
        ClassicalExpr::Cast(Type::Angle(Some(20)), _)
    ));
    assert!(matches!(init(4), ClassicalExpr::Cast(Type::Int(None), _)));
    let e = error(&format!("{HEAD}float f = 1.5;\nint i = f;\n"));
    assert_eq!(
        e,
        "t.qasm3:4:9: a value of type float cannot be assigned to 'i' of type int without an explicit cast (int(…))"
    );
    let e = error(&format!("{HEAD}qubit q;\nint i = q;\n"));
    assert_eq!(
        e,
        "t.qasm3:4:9: 'q' is a qubit, where a classical value is expected"
    );
    let e = error(&format!("{HEAD}int i;\nh i;\n"));
    assert_eq!(
        e,
        "t.qasm3:4:3: 'i' is a classical variable, where a qubit is expected"
    );
}

#[test]
fn scoping_rules_are_those_of_the_spec() {
    // Block scopes shadow; the loop variable cannot be assigned; subroutines see global
    // constants only.
    elaborate(&format!(
        "{HEAD}int ii = 100;\nconst int kk = 3;\n{{ ii *= 2; int ii = 1; ii *= 2; }}\ndef twice() -> int {{ return kk * 2; }}\nint jj = twice();\n"
    ))
    .unwrap();
    let e = error(&format!(
        "{HEAD}int ii = 100;\ndef twice() -> int {{ return ii * 2; }}\n"
    ));
    assert_eq!(
        e,
        "t.qasm3:4:29: the global variable 'ii' is not visible inside a subroutine or gate (only global constants are): pass it as an argument"
    );
    let e = error(&format!(
        "{HEAD}int sum = 0;\nfor int i in [1:10] {{ i *= 2; }}\n"
    ));
    assert_eq!(e, "t.qasm3:4:23: the loop variable 'i' cannot be assigned");
    let e = error(&format!("{HEAD}int g;\ndef f() {{ g = 1; }}\n"));
    assert!(
        e.contains("the global variable 'g' is not visible inside a subroutine"),
        "{e}"
    );
    let e = error(&format!("{HEAD}int v;\nint v;\n"));
    assert_eq!(e, "t.qasm3:4:5: 'v' is already defined");
    let e = error(&format!("{HEAD}gate g a {{ }}\nint g;\n"));
    assert!(e.contains("'g' is already a gate (at t.qasm3:3:6)"), "{e}");
    // Names that only the library gives gates may name values: use tells them apart.
    elaborate(&format!(
        "{HEAD}qubit q;\nfloat t = 0.5;\nfor int s in [0:1] {{ rz(t * s) q; t q; }}\n"
    ))
    .unwrap();
    let e = error(&format!("{HEAD}{{ int w; }}\nw = 2;\n"));
    assert!(e.starts_with("t.qasm3:4:1:"), "{e}");
    let e = error(&format!("{HEAD}if (true) {{ qubit q; }}\n"));
    assert!(
        e.contains("qubits may only be declared at global scope"),
        "{e}"
    );
    let e = error(&format!("{HEAD}continue;\n"));
    assert_eq!(e, "t.qasm3:3:1: 'continue' is only allowed inside a loop");
    let e = error(&format!("{HEAD}const int c = 1;\nc += 1;\n"));
    assert_eq!(e, "t.qasm3:4:1: 'c' is a constant and cannot be assigned");
}

#[test]
fn subroutines_and_externs() {
    let p = elaborate(&format!(
        "{HEAD}extern parity(bit[2]) -> bit;\ndef mr(qubit q0) -> bit {{ bit b; measure q0 -> b; reset q0; return b; }}\ndef flip(qubit[2] r, int n) {{ for int k in [1:n] {{ x r[0]; }} }}\nqubit[3] q;\nbit[2] rec;\nrec[0] = mr(q[1]);\nflip(q[0:1], 3);\nbit par = parity(rec);\n"
    ))
    .unwrap();
    assert_eq!(p.subroutines.len(), 2);
    assert_eq!(p.externs.len(), 1);
    assert!(p.body.iter().any(|s| matches!(s, Stmt::Expr { value: ClassicalExpr::Call(_, args, _), .. } if args.len() == 2)));
    assert!(p.body.iter().any(|s| matches!(
        s,
        Stmt::Declare {
            init: Some(ClassicalExpr::Extern(0, _, _)),
            ..
        }
    )));
    let e = error(&format!("{HEAD}def f(qubit a) {{ }}\nqubit[2] q;\nf(q);\n"));
    assert!(e.contains("argument 1 of 'f' is 1 qubit(s), not 2"), "{e}");
    let e = error(&format!(
        "{HEAD}def f(qubit[2] a, qubit b) {{ }}\nqubit[3] q;\nf(q[0:1], q[1]);\n"
    ));
    assert!(e.contains("qubit q[1] appears more than once"), "{e}");
    let e = error(&format!(
        "{HEAD}def f(int a) -> int {{ return a; }}\nint xv = f(1.5);\n"
    ));
    assert!(e.contains("argument 1 of 'f'"), "{e}");
    let e = error(&format!("{HEAD}def f() {{ return 1; }}\n"));
    assert!(e.contains("'f' returns no value"), "{e}");
    let e = error(&format!("{HEAD}def f() -> int {{ return 1; }}\nh f;\n"));
    assert!(e.contains("'f' is a subroutine"), "{e}");
}

#[test]
fn gates_modifiers_and_signatures() {
    let p = elaborate(&format!(
        "{HEAD}gate rot(theta) a {{ rz(theta) a; ry(theta / 2) a; }}\ngate cc a, b {{ ctrl @ x a, b; gphase(pi); }}\nqubit[3] q;\nctrl(2) @ rot(pi / 3) q[0], q[1], q[2];\nnegctrl @ h q[2], q[1];\ninv @ rot(0.25) q[0];\npow(2) @ s q[1];\nU(0, 0, pi) q[0];\ngphase(pi / 8);\n"
    ))
    .unwrap();
    let names: Vec<&str> = p.circuit.gates.iter().map(|g| g.name.as_str()).collect();
    for n in [
        "ctrl(2) @ rot",
        "negctrl @ h",
        "inv @ rot",
        "pow(2) @ s",
        "ctrl @ x",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    let rot = p.circuit.gates.iter().find(|g| g.name == "rot").unwrap();
    assert!(matches!(&rot.kind, GateKind::Defined(d) if d.body.len() == 2));
    let e = error(&format!("{HEAD}qubit q;\nrx q;\n"));
    assert_eq!(
        e,
        "t.qasm3:4:1: gate 'rx' takes 1 parameter(s) but 0 were given"
    );
    let e = error(&format!("{HEAD}gate h a {{ }}\n"));
    assert!(
        e.contains("gate 'h' is already defined (by \"stdgates.inc\" included at t.qasm3:2:1)"),
        "{e}"
    );
    let e = error(&format!("{HEAD}qubit q;\ngate g a {{ h q; }}\n"));
    assert!(
        e.contains("'q' is not a qubit argument of this gate"),
        "{e}"
    );
    let e = error(&format!(
        "{HEAD}input float e;\nqubit[2] q;\npow(e) @ x q[0];\n"
    ));
    assert!(e.contains("must be a compile-time constant"), "{e}");
}

#[test]
fn arrays_builtins_and_bit_operations() {
    let p = elaborate(&format!(
        "{HEAD}const array[int[8], 2, 3] grid = {{{{1, 2, 3}}, {{4, 5, 6}}}};\nconst int six = grid[1][2];\nconst uint dims = sizeof(grid, 1);\nconst float sq = sqrt(16);\nconst bit[4] pat = \"1010\";\nconst uint ones = popcount(pat);\nconst bit[4] turned = rotl(pat, 1);\nconst int m = mod(7, 3);\nconst float fl = floor(2.5) + ceiling(0.5);\nqubit[six] q;\narray[float[64], 3] arr;\narr[0] = 1.5;\nbit[4] c;\nbool both = c[0] && c[1];\nc = c ^ pat;\nc[0:1] = \"11\";\n"
    ))
    .unwrap();
    assert_eq!(p.circuit.num_qubits, 6);
    let kind = |n: &str| p.vars.iter().find(|v| v.name == n).map(|v| v.kind);
    assert_eq!(kind("six"), Some(VarKind::Const));
    assert_eq!(kind("arr"), Some(VarKind::Mutable));
    let assigns = p
        .body
        .iter()
        .filter(|s| matches!(s, Stmt::Assign { .. }))
        .count();
    assert_eq!(assigns, 3);
    let e = error(&format!("{HEAD}const array[int, 2] a = {{1, 2, 3}};\n"));
    assert!(
        e.contains("this array literal has 3 element(s), the array 2"),
        "{e}"
    );
    let e = error(&format!("{HEAD}array[int, 2] a;\nint v = a[2];\n"));
    assert!(e.contains("index 2 is out of range"), "{e}");
    let e = error(&format!("{HEAD}int v;\nconst int k = v;\n"));
    assert!(
        e.contains("the value of the constant 'k' must be a compile-time constant"),
        "{e}"
    );
    let e = error(&format!("{HEAD}qubit q;\nint v;\nv = measure q;\n"));
    assert!(
        e.contains("a measurement is stored in a bit or bit register, not a value of type int"),
        "{e}"
    );
    let e = error(&format!(
        "{HEAD}bit[2] c;\nduration d = 10ns;\nbool b = c + d;\n"
    ));
    assert!(
        e.contains("'+' does not apply to values of types bit[2] and duration"),
        "{e}"
    );
}

#[test]
fn inputs_outputs_calibrations_and_annotations() {
    let p = elaborate(&format!(
        "{HEAD}input angle[16] theta;\noutput bit[2] c;\nqubit[2] q;\ndefcalgrammar \"openpulse\";\ncal {{ extern port d0; }}\n@reversible\nrz(theta) q[0];\npragma foo bar\nc = measure q;\n"
    ))
    .unwrap();
    assert_eq!(p.vars[0].kind, VarKind::Input);
    assert_eq!(p.vars[1].kind, VarKind::Output);
    assert_eq!(p.vars[1].creg, Some(0));
    let loc = p.skipped_calibration.unwrap();
    assert_eq!((loc.line, loc.col), (6, 1));
    match p.body.iter().find(|s| matches!(s, Stmt::Gate { .. })) {
        Some(Stmt::Gate { params, .. }) => assert!(matches!(params[0], ClassicalExpr::Var(_))),
        s => panic!("{s:?}"),
    }
}

#[test]
fn physical_qubits_and_durations() {
    let p = elaborate(&format!(
        "{HEAD}h $0;\ncx $0, $4;\ndelay[100ns] $0;\nbarrier $0, $4;\nbox [2us] {{ x $1; }}\n"
    ))
    .unwrap();
    assert!(p.physical);
    assert_eq!(p.circuit.num_qubits, 5);
    assert!(p.body.iter().any(|s| matches!(s, Stmt::Delay { duration: ClassicalExpr::Const(Value::Duration { ns, .. }), .. } if *ns == 100.0)));
    let e = error(&format!("{HEAD}qubit q;\ndelay[5] q;\n"));
    assert!(e.contains("a delay takes a duration"), "{e}");
}

#[test]
fn included_files_are_read_and_their_places_recorded() {
    let dir = std::env::temp_dir().join(format!("eqisa-elab-include-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("lib.inc"),
        "gate twice a { x a; x a; }\nconst int width = 3;\n",
    )
    .unwrap();
    std::fs::write(dir.join("bad.inc"), "\n  foo;\n").unwrap();
    let text = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\ninclude \"lib.inc\";\nqubit[width] q;\ntwice q[0];\n";
    let p = elaborate_in(text, "main.qasm3", &dir).unwrap();
    assert_eq!(p.circuit.num_qubits, 3);
    assert_eq!(p.files.len(), 2);
    let e = elaborate_in("OPENQASM 3.0;\ninclude \"bad.inc\";\n", "main.qasm3", &dir).unwrap_err();
    let pos = e.pos().unwrap();
    assert!(
        pos.file.ends_with("bad.inc") && pos.line == 2 && pos.col == 3,
        "{e}"
    );
    std::fs::write(dir.join("loop.inc"), "include \"loop.inc\";\n").unwrap();
    let e = elaborate_in("include \"loop.inc\";\n", "main.qasm3", &dir).unwrap_err();
    assert!(
        e.to_string()
            .contains("includes nested deeper than 16 levels"),
        "{e}"
    );
    let e = elaborate_in("include \"missing.inc\";\n", "main.qasm3", &dir).unwrap_err();
    assert!(
        e.to_string().contains("cannot include 'missing.inc'"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_program_on_one_long_line_is_read_in_linear_time() {
    let mut text = String::from("OPENQASM 3.0; include \"stdgates.inc\"; qubit[2] q; ");
    for _ in 0..200_000 {
        text.push_str("cx q[0], q[1]; ");
    }
    text.push_str("cx q[0], q[0];");
    let started = std::time::Instant::now();
    let e = error(&text);
    let col = text.chars().count() - "cx q[0], q[0];".len() + 1;
    assert_eq!(
        e,
        format!(
            "t.qasm3:1:{col}: duplicate qubits in gate application: qubit q[0] appears more than once"
        )
    );
    // Quadratic place-finding would take minutes here.
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
}

#[test]
fn long_sums_fold_and_overlong_ones_are_refused() {
    let sum = |n: usize, x: &str| vec![x; n].join(" + ");
    let p = elaborate(&format!(
        "{HEAD}const int s = {};\nqubit[s] q;\n",
        sum(190, "1")
    ))
    .unwrap();
    assert_eq!(p.circuit.num_qubits, 190);
    let p = elaborate(&format!("{HEAD}int v;\nint w = {};\n", sum(190, "v"))).unwrap();
    assert_eq!(p.body.len(), 2);
    let e = error(&format!("{HEAD}int v;\nint w = {};\n", sum(600, "v")));
    assert!(e.contains("nested deeper than 200 levels"), "{e}");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let mut text = String::from(HEAD);
    for _ in 0..300 {
        text.push_str("{ ");
    }
    for _ in 0..300 {
        text.push_str("} ");
    }
    let e = error(&text);
    assert!(e.contains("nested deeper than"), "{e}");
}

/// Every `.qasm3` file under `dir`, sorted.
fn qasm3_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.extension().is_some_and(|x| x == "qasm3"));
    v.sort();
    v
}

fn elaborate_file(path: &Path) -> Program {
    let text = std::fs::read_to_string(path).unwrap();
    let dir = path.parent().unwrap_or(Path::new("."));
    elaborate_in(&text, &path.to_string_lossy(), dir).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_example_and_corpus_program_elaborates() {
    let mut files = qasm3_files(&eqisa_test_support::paths::examples_dir());
    assert!(!files.is_empty());
    for rel in ["mqt/indep", "qec"] {
        if let Some(dir) = eqisa_test_support::paths::corpus_path(rel) {
            files.extend(qasm3_files(&dir));
        }
    }
    for f in &files {
        let p = elaborate_file(f);
        assert!(p.circuit.num_qubits > 0, "{}", f.display());
    }
}

#[test]
fn a_large_generated_program_keeps_operands_compact() {
    let Some(path) =
        eqisa_test_support::paths::corpus_path("qec/surface_code_rotated_memory_z_d7_r1000.qasm3")
    else {
        return;
    };
    let p = elaborate_file(&path);
    let gates = p
        .body
        .iter()
        .filter(|s| matches!(s, Stmt::Gate { .. }))
        .count();
    assert!(gates > 100_000, "{gates}");
    for s in &p.body {
        if let Stmt::Gate { params, qubits, .. } = s {
            assert!(params.iter().all(|x| matches!(x, ClassicalExpr::Const(_))));
            assert!(
                qubits.iter().all(
                    |q| q.index.is_none() && matches!(q.base, QubitBase::Global { len: 1, .. })
                )
            );
        }
    }
}

/// Programs that exercise most of the language, for the mutation test.
const SEEDS: [&str; 3] = [
    "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nconst int n = 4;\nqubit[n] q;\nbit[n] c;\nlet a = q[0:1] ++ q[3];\ngate g(t) x, y { ctrl @ rz(t / 2) x, y; }\ndef f(qubit r, int k) -> bit { bit b; for int i in [0:k] { x r; } b = measure r; return b; }\nfor int i in [0:n - 1] { h q[i]; c[i] = measure q[i]; }\nwhile (c[0]) { c[0] = f(q[1], 2); if (c[1]) break; }\nswitch (n) { case 4 { g(pi) q[0], q[2]; } default { } }\ninv @ pow(2) @ s q[{0, 2}];\narray[float, 2] v = {1.5, 2.5};\nrz(v[1] * 2) a[1];\n",
    "OPENQASM 3.0;\ninclude \"stdgates.inc\";\ninput angle[16] th;\noutput bit o;\nqubit q;\nextern e(int, float) -> int;\nint m = e(3, 1.5);\nrz(th) q;\nbox [10ns] { delay[5ns] q; }\no = measure q;\nif (o == true) { reset q; } else { end; }\n",
    "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nh $0;\ncx $0, $1;\nbit[2] c = \"01\";\nc = c << 1;\nuint[8] u = 7;\nu += 2 ** 3;\nbool b = (u > 3) && !c[0];\nduration d = 2 * 100ns;\ndelay[d] $1;\n",
];

#[test]
fn mutated_programs_give_errors_not_panics() {
    for seed in SEEDS {
        elaborate(seed).unwrap_or_else(|e| panic!("{e}\n{seed}"));
    }
    let mut rng = eqisa_test_support::rng::Rng::new(14);
    let mut elaborated = 0;
    for _ in 0..3000 {
        let seed = SEEDS[rng.index(SEEDS.len())];
        let chars: Vec<char> = seed.chars().collect();
        let mut out: Vec<char> = chars.clone();
        for _ in 0..1 + rng.index(3) {
            let k = rng.index(out.len());
            let span = 1 + rng.index(6);
            match rng.index(3) {
                0 => {
                    out.drain(k..(k + span).min(out.len()));
                }
                1 => {
                    let from = rng.index(chars.len());
                    let piece: Vec<char> = chars[from..(from + span).min(chars.len())].to_vec();
                    out.splice(k..k, piece);
                }
                _ => {
                    let alphabet = b"0123456789[]{}();,:+-*/=<>!~@$\"qcabx .\n";
                    let c = alphabet[rng.index(alphabet.len())] as char;
                    out.insert(k, c);
                }
            }
        }
        let text: String = out.into_iter().collect();
        elaborated += usize::from(elaborate(&text).is_ok());
    }
    // Some mutations still make whole programs (72 of these 3000); the others stop at the
    // mutated statement, after the elaborator has taken those before it.
    assert!(elaborated > 20, "{elaborated}");
}

/// Run `p` in the interpreter to its end, measurements alternating 1 and 0, inputs zero.
fn run_to_end(p: &Program) -> Result<u64, eqisa_ir::program::exec::ExecError> {
    use eqisa_ir::program::exec::{Event, Exec, ExecLimits};
    let inputs: Vec<_> = p
        .vars
        .iter()
        .enumerate()
        .filter(|(_, v)| v.kind == VarKind::Input)
        .filter_map(|(k, v)| {
            eqisa_ir::program::eval::zero(&v.ty)
                .ok()
                .map(|z| (eqisa_ir::program::ids::VarId(k as u32), z))
        })
        .collect();
    let limits = ExecLimits {
        max_steps: 50_000_000,
        max_call_depth: 100,
    };
    let mut ex = Exec::new(p, &inputs, limits)?;
    let (mut events, mut outcome) = (0u64, false);
    loop {
        match ex.next_event()? {
            Event::Done => return Ok(events),
            Event::Measure { .. } => {
                outcome = !outcome;
                ex.measured(outcome)?;
            }
            _ => {}
        }
        events += 1;
    }
}

#[test]
fn elaborated_programs_run_in_the_interpreter() {
    // An extern's value cannot be had here: the programs that call one are left out.
    for seed in SEEDS.iter().filter(|s| !s.contains("extern")) {
        let p = elaborate(seed).unwrap();
        let events = run_to_end(&p).unwrap_or_else(|e| panic!("{e}\n{seed}"));
        assert!(events > 0);
    }
    let mut files = qasm3_files(&eqisa_test_support::paths::examples_dir());
    for rel in ["mqt/indep", "qec"] {
        if let Some(dir) = eqisa_test_support::paths::corpus_path(rel) {
            files.extend(qasm3_files(&dir));
        }
    }
    for f in &files {
        let p = elaborate_file(f);
        run_to_end(&p).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
}

#[test]
fn static_examples_apply_the_same_gates_as_the_openqasm_2_builder() {
    use eqisa_ir::circuit::Op;
    use eqisa_ir::program::exec::{Event, Exec, ExecLimits};
    for name in ["ghz4.qasm3", "modifiers.qasm3"] {
        let path = eqisa_test_support::paths::example(name);
        let c = crate::load::parse_file(&path).unwrap();
        let want: Vec<(String, Vec<u32>, Vec<f64>)> = c
            .ops
            .iter()
            .filter_map(|op| match *op {
                Op::Gate { gate, args, params } => {
                    let (q, a) = c.gate_operands(gate, args, params);
                    Some((c.gate(gate).name.clone(), q.to_vec(), a.to_vec()))
                }
                _ => None,
            })
            .collect();
        let p = elaborate_file(&path);
        let mut ex = Exec::new(&p, &[], ExecLimits::default()).unwrap();
        let mut got = Vec::new();
        loop {
            match ex.next_event().unwrap() {
                Event::Done => break,
                Event::Gate {
                    gate,
                    params,
                    qubits,
                } => got.push((p.circuit.gate(gate).name.clone(), qubits, params)),
                Event::Measure { .. } => ex.measured(false).unwrap(),
                _ => {}
            }
        }
        assert_eq!(got, want, "{name}");
    }
}
