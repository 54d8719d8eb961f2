//! Jobs end to end: many circuits coded as one program decode back to exactly the programs each
//! circuit lowers to alone (flat ones, and those that keep their loops), cost less than their
//! own files together, and pay a few bits of framing each; a parameter sweep decodes to exactly
//! the program each row of its table lowers to; bad jobs are refused naming the file.

use std::path::PathBuf;

use eqisa_pipeline::assemble::{Lowered, assemble_source};
use eqisa_pipeline::job::{assemble_files, assemble_sweep, decode_job, job_names};
use eqisa_pipeline::{AssembleOptions, LoadedCodebook, load_codebook, load_source};
use eqisa_test_support::{Rng, example_files, repo_dir};

fn options() -> AssembleOptions {
    AssembleOptions {
        paper: None,
        repeat_window: Some(eqisa_assembler::periods::DEFAULT_WINDOW_OPS),
        ..AssembleOptions::default()
    }
}

/// Each file's program as assembled alone.
fn alone(files: &[PathBuf], cb: &LoadedCodebook) -> Vec<Lowered> {
    files
        .iter()
        .map(|f| {
            let s = load_source(f).unwrap();
            assemble_source(s, f, &[], cb, &options(), false)
                .unwrap()
                .lowered
                .unwrap()
        })
        .collect()
}

fn assert_same(decoded: &Lowered, expected: &Lowered, name: &str) {
    match (decoded, expected) {
        (Lowered::Flat(d), Lowered::Flat(e)) => {
            assert_eq!(d.ops, e.ops, "{name}: operations");
            assert_eq!(d.qregs, e.qregs, "{name}: quantum registers");
            assert_eq!(d.cregs, e.cregs, "{name}: classical registers");
            assert_eq!(d.conditions, e.conditions, "{name}: conditions");
            assert_eq!(d.duration_ns.to_bits(), e.duration_ns.to_bits(), "{name}");
        }
        (Lowered::Looped(d), Lowered::Looped(e)) => {
            assert_eq!(d.text.ops, e.text.ops, "{name}: text");
            assert_eq!(d.control.nodes(), e.control.nodes(), "{name}: loops");
            assert_eq!(d.text.cregs, e.text.cregs, "{name}: classical registers");
            assert_eq!(d.text.conditions, e.text.conditions, "{name}: conditions");
        }
        _ => panic!("{name}: decoded with or without loops unlike its own program"),
    }
}

#[test]
fn a_job_of_the_examples_decodes_to_each_circuit_exactly() {
    let cb = load_codebook(None).unwrap();
    let files = example_files();
    let job = assemble_files(&files, &[], &cb, &options(), false, |_| {}).unwrap();
    let decoded = decode_job(&job.bytes, "examples job", &cb).unwrap();
    let expected = alone(&files, &cb);
    assert_eq!(decoded.len(), files.len());
    for ((d, e), name) in decoded
        .iter()
        .zip(&expected)
        .zip(job_names(&files).unwrap())
    {
        assert_eq!(d.name, name);
        assert_same(&d.program, e, &name);
    }
    let r = &job.report;
    assert_eq!(r.bits.eqisa, job.bytes.len() as u64 * 8);
    assert!(
        r.bits.eqisa < r.alone_bits,
        "{} vs {}",
        r.bits.eqisa,
        r.alone_bits
    );
    assert!(r.bits.eqisa < r.bits.xz.unwrap());
}

#[test]
fn circuits_with_loops_keep_them_in_a_job() {
    let cb = load_codebook(None).unwrap();
    let dir = repo_dir().join("circuits/programs");
    let files: Vec<PathBuf> = [
        "pauli_products.stim",
        "repetition_d3_feedback.stim",
        "syndrome_rounds.qasm3",
        "repetition_d3_flat.qasm",
    ]
    .iter()
    .map(|f| dir.join(f))
    .chain([repo_dir().join("circuits/examples/bell.qasm")])
    .collect();
    let job = assemble_files(&files, &[], &cb, &options(), false, |_| {}).unwrap();
    let decoded = decode_job(&job.bytes, "loops job", &cb).unwrap();
    let expected = alone(&files, &cb);
    assert!(expected.iter().any(|l| matches!(l, Lowered::Looped(_))));
    for ((d, e), f) in decoded.iter().zip(&expected).zip(&files) {
        assert_same(&d.program, e, &f.display().to_string());
    }
    assert!(job.report.sections.control > 0);
}

/// A random Clifford-like word on 1 or 2 qubits, `n` gates, then measured.
fn random_sequence(rng: &mut Rng, qubits: usize, n: usize) -> String {
    let mut s =
        format!("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[{qubits}];\ncreg c[{qubits}];\n");
    for _ in 0..n {
        let q = rng.index(qubits);
        match rng.index(if qubits == 2 { 4 } else { 3 }) {
            0 => s += &format!("h q[{q}];\n"),
            1 => s += &format!("s q[{q}];\n"),
            2 => s += &format!("sdg q[{q}];\n"),
            _ => s += "cx q[0],q[1];\n",
        }
    }
    for q in 0..qubits {
        s += &format!("measure q[{q}] -> c[{q}];\n");
    }
    s
}

#[test]
fn a_generated_benchmarking_job_round_trips_with_a_few_bits_of_framing_each() {
    let cb = load_codebook(None).unwrap();
    let dir = std::env::temp_dir().join(format!("eqisa-jobs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng::new(17);
    let files: Vec<PathBuf> = (0..60)
        .map(|i| {
            let f = dir.join(format!("rb_{i:02}.qasm"));
            let n = 1 + rng.index(200);
            std::fs::write(&f, random_sequence(&mut rng, 1 + i % 2, n)).unwrap();
            f
        })
        .collect();
    let job = assemble_files(&files, &[], &cb, &options(), false, |_| {}).unwrap();
    let decoded = decode_job(&job.bytes, "rb job", &cb).unwrap();
    for ((d, e), f) in decoded.iter().zip(alone(&files, &cb)).zip(&files) {
        assert_same(&d.program, &e, &f.display().to_string());
    }
    let r = &job.report;
    // Two layouts (1 and 2 qubits) and counts up to a few hundred: at most 1 + 10 bits each,
    // with the section's head shared; the names are successors, a bit each and the first.
    assert!(
        r.framing_bits_per_circuit <= 16.0,
        "{}",
        r.framing_bits_per_circuit
    );
    assert!(
        r.name_bits_per_circuit <= 3.0,
        "{}",
        r.name_bits_per_circuit
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_sweep_decodes_to_each_point_of_its_table() {
    let cb = load_codebook(None).unwrap();
    let programs = repo_dir().join("circuits/programs");
    let file = programs.join("qaoa20.qasm3");
    let table = programs.join("qaoa20_line.csv");
    let opts = AssembleOptions {
        no_baselines: true,
        ..options()
    };
    let job = assemble_sweep(&file, &table, &cb, &opts).unwrap();
    let sweep = job.report.sweep.as_ref().unwrap();
    assert!(sweep.template);
    assert!(
        sweep.ratio_to_one_point < 5.0,
        "{}",
        sweep.ratio_to_one_point
    );
    let decoded = decode_job(&job.bytes, "sweep", &cb).unwrap();
    let inputs = eqisa_pipeline::sweep::read_sweep(&table).unwrap();
    let eqisa_qasm::Parsed::Structured(p) = load_source(&file).unwrap().parsed else {
        panic!("qaoa20 is OpenQASM 3");
    };
    let lowered =
        eqisa_pipeline::sweep::lower_sweep(&p, "qaoa20", &inputs, &opts.lowering).unwrap();
    assert_eq!(decoded.len(), lowered.points.len());
    for (i, (d, e)) in decoded.iter().zip(&lowered.points).enumerate() {
        assert_eq!(d.name, format!("qaoa20_{i:03}"));
        let Lowered::Flat(d) = &d.program else {
            panic!("a sweep point with loops");
        };
        assert_eq!(d.ops, e.ops, "point {i}");
    }
}

#[test]
fn bad_jobs_are_refused_naming_the_file() {
    let e = job_names(&[]).unwrap_err().to_string();
    assert!(e.contains("at least one circuit"), "{e}");
    let e = job_names(&[PathBuf::from("a/bell.qasm"), PathBuf::from("b/bell.qasm3")])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("b/bell.qasm3") && e.contains("a/bell.qasm") && e.contains("stem"),
        "{e}"
    );
    let cb = load_codebook(None).unwrap();
    let opts = AssembleOptions {
        pulses: Some(eqisa_pipeline::PulseConfig::default()),
        ..options()
    };
    let e = assemble_files(&example_files(), &[], &cb, &opts, false, |_| {})
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("--pulses"), "{e}");
    let e = assemble_files(
        &example_files(),
        &[("theta".into(), "0.1".into())],
        &cb,
        &options(),
        false,
        |_| {},
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("--input theta"), "{e}");
}
