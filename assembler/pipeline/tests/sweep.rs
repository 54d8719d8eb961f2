//! Parameter sweeps end to end on the repository's QAOA layer (`circuits/programs/qaoa20.qasm3`):
//! tables read and checked against the program with errors that name file, line and column; the
//! points lowered, planned as one template and a table, and rebuilt bit for bit; and the table's
//! size against one point's `.eqb`.

use std::path::{Path, PathBuf};

use eqisa_assembler::sweep::{expand, plan_sweep};
use eqisa_ir::program::stmt::Program;
use eqisa_isa::sweep::{Rule, SweepTable};
use eqisa_pipeline::sweep::{LoweredSweep, SweepInputs, lower_sweep, parse_sweep, read_sweep};
use eqisa_pipeline::{
    AssembleOptions, LowerConfig, PipelineError, assemble_circuit, flatten_named, load_codebook,
    load_program,
};
use eqisa_qasm::Parsed;
use eqisa_test_support::{Rng, repo_dir};

fn programs() -> PathBuf {
    repo_dir().join("circuits/programs")
}

fn qaoa() -> Program {
    match load_program(&programs().join("qaoa20.qasm3")).expect("qaoa20.qasm3 parses") {
        Parsed::Structured(p) => p,
        Parsed::Flat(_) => panic!("an OpenQASM 3 program"),
    }
}

fn lowered(sweep: &SweepInputs) -> LoweredSweep {
    lower_sweep(&qaoa(), "qaoa20.qasm3", sweep, &LowerConfig::default()).expect("lowers")
}

fn bits_of(program: &Path, inputs: &[(String, String)]) -> u64 {
    let cb = load_codebook(None).expect("default codebook");
    let parsed = load_program(program).expect("parses");
    let circuit = flatten_named(parsed, program, inputs).expect("flattens");
    let opts = AssembleOptions {
        no_baselines: true,
        ..AssembleOptions::default()
    };
    let a = assemble_circuit(&circuit, "qaoa20.qasm3", &cb, &opts).expect("assembles");
    a.report.bits.eqisa
}

fn describe(t: &SweepTable) -> String {
    let mut kinds = [0usize; 4];
    for s in &t.slots {
        let k = match s.rule {
            Rule::Linear { .. } => 0,
            Rule::Offset { .. } => 1,
            Rule::Stepped { .. } => 2,
            Rule::Listed(_) => 3,
        };
        kinds[k] += 1;
    }
    format!(
        "{} points, {} bits, {} slots (linear {}, offset {}, stepped {}, listed {}), columns {:?}",
        t.points,
        t.angle_bits,
        t.slots.len(),
        kinds[0],
        kinds[1],
        kinds[2],
        kinds[3],
        t.columns
            .iter()
            .map(|c| match c {
                eqisa_isa::sweep::Column::Raw(_) => "raw",
                eqisa_isa::sweep::Column::Float { .. } => "float",
                eqisa_isa::sweep::Column::Decimal { .. } => "decimal",
            })
            .collect::<Vec<_>>()
    )
}

#[test]
fn a_product_grid_of_qaoa_points_is_a_template_and_a_small_table() {
    let sweep = read_sweep(&programs().join("qaoa20_sweep.csv")).expect("reads");
    assert_eq!(sweep.rows.len(), 1000);
    let l = lowered(&sweep);
    let plan = plan_sweep(&l.points, &l.values)
        .expect("plans")
        .expect("one shape");
    let rebuilt = expand(&plan.template, &plan.table).expect("expands");
    assert!(rebuilt == l.points, "bit-exact round trip");
    let bytes = plan.table.to_bytes();
    assert_eq!(SweepTable::parse(&bytes).expect("parses"), plan.table);
    // Determinism: the same points plan to the same bytes.
    let again = plan_sweep(&l.points, &l.values)
        .expect("plans")
        .expect("one shape");
    assert_eq!(again.table.to_bytes(), bytes);

    let first = &sweep.rows[0];
    let point = bits_of(
        &programs().join("qaoa20.qasm3"),
        &[
            ("gamma".into(), format!("{:?}", first[0])),
            ("beta".into(), format!("{:?}", first[1])),
        ],
    );
    let mut hist = std::collections::BTreeMap::new();
    for p in &l.points {
        *hist.entry(p.angle_bits).or_insert(0) += 1;
    }
    eprintln!("angle bits per point: {hist:?}");
    // The template as its own program: point 0 with its angles on the sweep's finest grid.
    let cb = load_codebook(None).expect("default codebook");
    let template = eqisa_assembler::assemble(&plan.template, &l.target, &cb.codebook, cb.hash)
        .expect("the template assembles");
    let template_bits = template.bytes.len() as u64 * 8;
    eprintln!(
        "qaoa20 grid sweep: one point {point} bits; template {template_bits} bits; table {} bytes \
         ({} bits): {}",
        bytes.len(),
        bytes.len() * 8,
        describe(&plan.table)
    );
    // Template plus the table: under 5 points' worth for 1,000 points.
    assert!(
        template_bits + bytes.len() as u64 * 8 < 5 * point,
        "template of {template_bits} bits and table of {} bytes against a point of {point} bits",
        bytes.len()
    );
}

#[test]
fn a_line_through_parameter_space_round_trips_in_declaration_order() {
    let sweep = read_sweep(&programs().join("qaoa20_line.csv")).expect("reads");
    assert_eq!(sweep.names, ["beta", "gamma"]);
    let l = lowered(&sweep);
    assert_eq!(l.names, ["gamma", "beta"]);
    assert_eq!(l.values[1], [sweep.rows[1][1], sweep.rows[1][0]]);
    // Point 1 is the circuit `--input` gives with the table's text: its values bound exactly.
    let text = |v: f64| format!("{v:?}");
    let path = programs().join("qaoa20.qasm3");
    let inputs = [
        ("gamma".to_string(), text(l.values[1][0])),
        ("beta".to_string(), text(l.values[1][1])),
    ];
    assert_eq!(inputs[0].1, "0.052500000000000005");
    let circuit = flatten_named(load_program(&path).unwrap(), &path, &inputs).unwrap();
    let (target, options) = LowerConfig::default().resolve().unwrap();
    let single = eqisa_lower::lower(&circuit, &target, &options).unwrap();
    assert_eq!(single.program, l.points[1]);
    let plan = plan_sweep(&l.points, &l.values)
        .expect("plans")
        .expect("one shape");
    let rebuilt = expand(&plan.template, &plan.table).expect("expands");
    assert!(rebuilt == l.points);
    eprintln!(
        "qaoa20 line sweep: table {} bytes: {}",
        plan.table.to_bytes().len(),
        describe(&plan.table)
    );
}

#[test]
fn random_values_at_full_precision_still_round_trip() {
    // The honest worst case: 1,000 points of independent random values, every digit significant.
    let mut rng = Rng::new(17);
    let mut text = String::from("gamma,beta\n");
    for _ in 0..1000 {
        let g = rng.f64() * 0.8 + 0.01;
        let b = rng.f64() * 0.8 + 0.01;
        text.push_str(&format!("{g:?},{b:?}\n"));
    }
    let sweep = parse_sweep(&text, "random.csv").expect("reads");
    let l = lowered(&sweep);
    let plan = plan_sweep(&l.points, &l.values)
        .expect("plans")
        .expect("one shape");
    let rebuilt = expand(&plan.template, &plan.table).expect("expands");
    assert!(rebuilt == l.points);
    eprintln!(
        "qaoa20 random sweep: table {} bytes: {}",
        plan.table.to_bytes().len(),
        describe(&plan.table)
    );
}

#[test]
fn a_point_where_an_rz_vanishes_has_another_shape() {
    // gamma = 0 makes the cost layer's rotations the identity: the lowering drops them.
    let text = "gamma,beta\n0.1,0.2\n0.2,0.2\n0,0.2\n";
    let sweep = parse_sweep(text, "zero.csv").expect("reads");
    let l = lowered(&sweep);
    assert_ne!(l.points[0].ops.len(), l.points[2].ops.len());
    assert_eq!(plan_sweep(&l.points, &l.values).expect("plans"), None);
    // Without that point the sweep plans.
    let plan = plan_sweep(&l.points[..2], &l.values[..2]).expect("plans");
    assert!(plan.is_some());
}

fn table_error(text: &str) -> (usize, usize, String) {
    match parse_sweep(text, "s.csv") {
        Err(PipelineError::SweepTable {
            file,
            line,
            column,
            message,
        }) => {
            assert_eq!(file, "s.csv");
            (line, column, message)
        }
        other => panic!("expected a table error, got {other:?}"),
    }
}

#[test]
fn table_errors_name_the_line_and_column() {
    let (line, column, m) = table_error("gamma,beta\n0.1,0.2\n0.3,abc\n");
    assert_eq!((line, column), (3, 2));
    assert!(m.contains("'abc'") && m.contains("beta"), "{m}");
    let (line, column, m) = table_error("# comment\ngamma,beta\n0.1,0.2,0.3\n");
    assert_eq!((line, column), (3, 3));
    assert!(m.contains("3 values"), "{m}");
    let (line, _, m) = table_error("gamma,beta\n0.1\n");
    assert_eq!(line, 2);
    assert!(m.contains("1 values"), "{m}");
    let (line, _, m) = table_error("\n# nothing\n");
    assert_eq!(line, 1);
    assert!(m.contains("empty"), "{m}");
    let (_, _, m) = table_error("gamma,beta\n");
    assert!(m.contains("no points"), "{m}");
    let (line, column, m) = table_error("gamma,beta,gamma\n1,2,3\n");
    assert_eq!((line, column), (1, 3));
    assert!(m.contains("twice"), "{m}");
    let (_, column, _) = table_error("gamma,beta\n1,inf\n");
    assert_eq!(column, 2);
    // Through the file: the message starts with the path.
    let missing = read_sweep(Path::new("/nonexistent/sweep.csv")).unwrap_err();
    assert!(missing.to_string().contains("/nonexistent/sweep.csv"));
}

#[test]
fn columns_must_be_the_programs_inputs() {
    let p = qaoa();
    let cfg = LowerConfig::default();
    let sweep = parse_sweep("gamma,betta\n0.1,0.2\n", "s.csv").expect("reads");
    let e = lower_sweep(&p, "qaoa20.qasm3", &sweep, &cfg).unwrap_err();
    assert!(matches!(e, PipelineError::SweepUnknownColumn { ref column, .. } if column == "betta"));
    let m = e.to_string();
    assert!(m.contains("s.csv") && m.contains("betta") && m.contains("qaoa20.qasm3"));
    assert!(m.contains("gamma, beta"), "{m}");
    let sweep = parse_sweep("gamma\n0.1\n", "s.csv").expect("reads");
    let e = lower_sweep(&p, "qaoa20.qasm3", &sweep, &cfg).unwrap_err();
    let m = e.to_string();
    assert!(matches!(e, PipelineError::SweepMissingInput { ref input, .. } if input == "beta"));
    assert!(m.contains("'beta'") && m.contains("gamma"), "{m}");
}

#[test]
fn integer_inputs_bind_exactly_and_name_the_failing_row() {
    let text = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\ninput int[8] n;\ninput angle[20] a;\n\
                qubit[2] q;\nfor int i in [1:n] { rx(a) q[0]; cz q[0], q[1]; }\n";
    let p = match eqisa_qasm::parse_program_str(text, "ints.qasm3").expect("parses") {
        Parsed::Structured(p) => p,
        Parsed::Flat(_) => panic!("OpenQASM 3"),
    };
    let sweep = parse_sweep("n,a\n2,0.5\n2,0.75\n3,0.5\n", "ints.csv").expect("reads");
    let l = lower_sweep(&p, "ints.qasm3", &sweep, &LowerConfig::default()).expect("lowers");
    assert_eq!(l.points.len(), 3);
    // n = 3 has another shape.
    assert_eq!(plan_sweep(&l.points, &l.values).expect("plans"), None);
    let sweep = parse_sweep("n,a\n2,0.5\n2.5,0.75\n", "ints.csv").expect("reads");
    let e = lower_sweep(&p, "ints.qasm3", &sweep, &LowerConfig::default()).unwrap_err();
    assert!(
        matches!(e, PipelineError::SweepPoint { line: 3, .. }),
        "{e}"
    );
    assert!(e.to_string().starts_with("ints.csv:3:"), "{e}");
}
