//! The `looped` target's seeds: programs with loops, assembled with their loops kept and the
//! embedded default codebook, on both targets, and a job holding one of them between two flat
//! circuits. Shared by the mutation run (`targets.rs`) and the
//! deterministic checks of the seeds (`looped.rs`).

use eqisa_lower::target::TargetKind;
use eqisa_pipeline::{AssembleOptions, LowerConfig, assemble_structured_program, load_codebook};
use eqisa_qasm::Parsed;
use eqisa_test_support::repo_dir;

/// A real-time `while` loop: repeat until the measurement reads 1.
pub const WHILE: &str = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit q;\nbit c;\nreset q;\nh q;\nc = measure q;\nwhile (c == 0) {\n  reset q;\n  h q;\n  c = measure q;\n}\nx q;\n";

/// The seeds, each with the name its file has in `fuzz/seeds-eqb/`.
pub fn looped() -> Vec<(String, Vec<u8>)> {
    let cb = load_codebook(None).expect("the embedded codebook");
    let programs: Vec<(&str, eqisa_ir::program::stmt::Program)> = vec![
        (
            "repetition_d3_feedback",
            eqisa_stim::parse_stim(
                &std::fs::read_to_string(
                    repo_dir().join("circuits/programs/repetition_d3_feedback.stim"),
                )
                .expect("reads"),
                "repetition_d3_feedback.stim",
            )
            .expect("parses")
            .program,
        ),
        (
            "syndrome_rounds",
            structured(
                &std::fs::read_to_string(
                    repo_dir().join("circuits/programs/syndrome_rounds.qasm3"),
                )
                .expect("reads"),
                "syndrome_rounds.qasm3",
            ),
        ),
        ("while", structured(WHILE, "while.qasm3")),
    ];
    let mut seeds = Vec::new();
    for (name, p) in &programs {
        for (target, t) in [
            (TargetKind::Native, "native"),
            (TargetKind::CliffordT, "clifford_t"),
        ] {
            let opts = AssembleOptions {
                lowering: LowerConfig {
                    target,
                    ..LowerConfig::default()
                },
                pulses: None,
                paper: None,
                repeat_window: None,
                no_baselines: false,
            };
            let asm = assemble_structured_program(p, &[], name, &cb, &opts)
                .expect("assembles")
                .unwrap_or_else(|| panic!("{name} keeps its loops"));
            seeds.push((format!("looped_{name}_{t}.eqb"), asm.bytes));
        }
    }
    // A job: a circuit that keeps its loops between two flat ones, so that the job section, and
    // the control tree the decoder makes from it and the control section, are mutated too.
    let files = [
        repo_dir().join("circuits/examples/bell.qasm"),
        repo_dir().join("circuits/programs/repetition_d3_feedback.stim"),
        repo_dir().join("circuits/examples/ghz4.qasm3"),
    ];
    let opts = AssembleOptions {
        paper: None,
        ..AssembleOptions::default()
    };
    let job = eqisa_pipeline::job::assemble_files(&files, &[], &cb, &opts, false, |_| {})
        .expect("the job assembles");
    seeds.push(("looped_job_native.eqb".to_string(), job.bytes));
    seeds
}

fn structured(text: &str, name: &str) -> eqisa_ir::program::stmt::Program {
    match eqisa_qasm::parse_program_str(text, name).expect("parses") {
        Parsed::Structured(p) => p,
        Parsed::Flat(_) => panic!("{name} is a structured program"),
    }
}
