//! Repeats found in flat programs, end to end: a flattened QEC memory experiment (Stim's
//! OpenQASM 2 export in `../shared/corpus/qec`, skipped without the corpus, and the repository's
//! own `circuits/programs/repetition_d3_flat.qasm`) is assembled with its rounds as a counted
//! loop; decoded and unrolled it is exactly the program compiled flat; and it costs a small
//! fraction of xz -9 of its binary stream.

use std::path::{Path, PathBuf};

use eqisa_assembler::periods::DEFAULT_WINDOW_OPS;
use eqisa_lower::lower;
use eqisa_lower::target::TargetKind;
use eqisa_pipeline::decode::{DecodeOptions, QasmSink, decode_program_with};
use eqisa_pipeline::outcomes::Outcomes;
use eqisa_pipeline::{
    AssembleOptions, LoadedCodebook, LowerConfig, assemble_circuit, flatten_named, load_codebook,
    load_source,
};
use eqisa_test_support::{corpus_path, repo_dir};

fn options(target: TargetKind, window: Option<usize>) -> AssembleOptions {
    AssembleOptions {
        lowering: LowerConfig {
            target,
            ..LowerConfig::default()
        },
        pulses: None,
        paper: None,
        no_baselines: false,
        repeat_window: window,
    }
}

fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//") && !l.trim().is_empty())
        .collect()
}

fn decode_flat(bytes: &[u8], cb: &LoadedCodebook) -> String {
    let mut out = Vec::new();
    decode_program_with(
        bytes,
        "prog.eqb",
        cb,
        Some(QasmSink {
            writer: &mut out,
            name: "out.qasm",
        }),
        &DecodeOptions {
            flatten: true,
            outcomes: Outcomes::Seeded(1),
        },
    )
    .expect("decodes");
    String::from_utf8(out).expect("utf-8")
}

/// Assembles `file` with repeats looked for, checks the round trip, and returns the bits of
/// eqisa and of xz -9 of the binary stream.
fn check(file: &Path, target: TargetKind, cb: &LoadedCodebook) -> (u64, u64) {
    let name = file.display().to_string();
    let source = load_source(file).expect("reads");
    let c = flatten_named(source.parsed, file, &[]).expect("flattens");
    let asm = assemble_circuit(&c, &name, cb, &options(target, Some(DEFAULT_WINDOW_OPS)))
        .expect("assembles");
    let loops = asm.report.loops.as_ref().expect("repeats found");
    assert!(loops.found_in_flat && loops.counted_loops >= 1, "{name}");
    let (t, o) = options(target, None).lowering.resolve().expect("target");
    let p = lower(&c, &t, &o).expect("lowers").program;
    let want = p.to_qasm2().unwrap_or_else(|| p.to_qasm3());
    assert_eq!(
        lines(&decode_flat(&asm.bytes, cb)),
        lines(&want),
        "{name} ({target:?})"
    );
    // Never larger than the same program coded flat.
    let flat = assemble_circuit(&c, &name, cb, &options(target, None)).expect("assembles");
    assert!(asm.bytes.len() <= flat.bytes.len(), "{name}");
    let xz = asm.report.bits.xz.expect("xz measured");
    (asm.report.bits.eqisa, xz)
}

fn flat_qec_corpus() -> Vec<PathBuf> {
    let Some(dir) = corpus_path("qec") else {
        eprintln!("skipped: ../shared/corpus/qec is absent");
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("lists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "qasm"))
        // The 6 MB one is the benchmarks'.
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() < 1 << 20))
        .collect();
    files.sort();
    files
}

#[test]
fn flattened_qec_rounds_come_back_as_a_loop_and_cost_a_fraction_of_xz() {
    let cb = load_codebook(None).expect("embedded codebook");
    for file in flat_qec_corpus() {
        let stem = file.file_stem().unwrap_or_default().to_string_lossy();
        for target in [TargetKind::Native, TargetKind::CliffordT] {
            let (eqisa, xz) = check(&file, target, &cb);
            // A hundred rounds and more: far below the 0.3× (native) and 0.25×.
            if !stem.ends_with("_r10") {
                assert!(
                    eqisa * 10 <= xz,
                    "{stem} ({target:?}): {eqisa} bits, xz -9 {xz}"
                );
            }
        }
    }
    let own = repo_dir().join("circuits/programs/repetition_d3_flat.qasm");
    for target in [TargetKind::Native, TargetKind::CliffordT] {
        let (eqisa, xz) = check(&own, target, &cb);
        assert!(eqisa * 4 <= xz, "{target:?}: {eqisa} bits, xz -9 {xz}");
    }
}

/// Streams `file` through the bounded-memory path; checks that it decodes to the program
/// compiled flat, and returns its bits and the whole path's.
fn check_streamed(file: &Path, target: TargetKind, cb: &LoadedCodebook) -> (u64, u64) {
    let name = file.display().to_string();
    let opts = options(target, Some(DEFAULT_WINDOW_OPS));
    let reader = std::fs::File::open(file).expect("opens");
    let dir = file.parent().expect("dir").to_path_buf();
    let streamed = eqisa_pipeline::streaming::assemble_stream(reader, &name, dir, cb, &opts)
        .expect("assembles")
        .expect("OpenQASM 2");
    let source = load_source(file).expect("reads");
    let c = flatten_named(source.parsed, file, &[]).expect("flattens");
    let (t, o) = opts.lowering.resolve().expect("target");
    let lowered = lower(&c, &t, &o).expect("lowers");
    let p = lowered.program;
    let want = p.to_qasm2().unwrap_or_else(|| p.to_qasm3());
    assert_eq!(
        lines(&decode_flat(&streamed.bytes, cb)),
        lines(&want),
        "{name} ({target:?}) streamed"
    );
    assert_eq!(streamed.report.native_ops, p.ops.len() as u64, "{name}");
    assert_eq!(streamed.report.angle_bits, p.angle_bits, "{name}");
    assert!(streamed.report.fidelity_bound >= lowered.fidelity_bound.min(0.999));
    let whole = assemble_circuit(&c, &name, cb, &opts).expect("assembles");
    (streamed.report.bits.eqisa, whole.report.bits.eqisa)
}

#[test]
fn a_streamed_program_decodes_to_the_program_compiled_whole() {
    let cb = load_codebook(None).expect("embedded codebook");
    let mut files = flat_qec_corpus();
    files.push(repo_dir().join("circuits/programs/repetition_d3_flat.qasm"));
    for name in ["bell.qasm", "adder4.qasm", "qft4.qasm"] {
        files.push(repo_dir().join("circuits/examples").join(name));
    }
    for file in &files {
        for target in [TargetKind::Native, TargetKind::CliffordT] {
            if target == TargetKind::CliffordT && file.ends_with("qft4.qasm") {
                // Its π/8 rotations need approximations: a whole-program budget cannot be
                // shared before the program is read, and the error says what to do.
                let reader = std::fs::File::open(file).expect("opens");
                let opts = options(target, Some(DEFAULT_WINDOW_OPS));
                let e = eqisa_pipeline::streaming::assemble_stream(
                    reader,
                    "qft4.qasm",
                    ".".into(),
                    &cb,
                    &opts,
                )
                .err()
                .expect("refused");
                assert!(
                    matches!(
                        e,
                        eqisa_pipeline::PipelineError::StreamBudget { line: 14, .. }
                    ),
                    "{e}"
                );
                continue;
            }
            let (streamed, whole) = check_streamed(file, target, &cb);
            // The same program; its bits within a few per cent of the whole path's (which may
            // find a repeat on snapped angles, and keeps the smaller of flat and looped).
            assert!(
                streamed <= whole + whole / 16 + 64,
                "{} ({target:?}): streamed {streamed} bits, whole {whole}",
                file.display()
            );
        }
    }
}

/// A program with nothing to repeat and more text than the spill keeps in memory (65,536
/// operations), read in several chunks (more than 2 MiB) with a gate defined in the first and
/// used in all: the text goes through the temporary file and comes back in order.
#[test]
fn a_streamed_program_larger_than_memory_comes_back_from_its_spill() {
    let cb = load_codebook(None).expect("embedded codebook");
    let mut rng = eqisa_test_support::Rng::new(16);
    let mut text = String::from(
        "OPENQASM 2.0;\ninclude \"qelib1.inc\";\ngate mine(a) x, y { cx x, y; rz(a) y; h x; }\nqreg q[6];\ncreg c[6];\n",
    );
    while text.len() < 5 << 19 {
        let (a, b) = (rng.below(6), rng.below(6));
        match rng.below(6) {
            0 => text.push_str(&format!("h q[{a}];\n")),
            1 if a != b => text.push_str(&format!("cx q[{a}], q[{b}];\n")),
            2 => text.push_str(&format!("rz({:.6}) q[{a}];\nsx q[{a}];\n", rng.f64() * 6.0)),
            3 => text.push_str(&format!(
                "measure q[{a}] -> c[{a}];\nif (c == {b}) x q[{b}];\n"
            )),
            4 if a != b => text.push_str(&format!("mine({:.3}) q[{a}], q[{b}];\n", rng.f64())),
            _ => text.push_str(&format!("t q[{a}];\n")),
        }
    }
    let dir = std::env::temp_dir().join(format!("eqisa-spill-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("random.qasm");
    std::fs::write(&file, &text).expect("writes");
    let (streamed, whole) = check_streamed(&file, TargetKind::Native, &cb);
    assert!(streamed <= whole + whole / 16 + 64, "{streamed} vs {whole}");
    std::fs::remove_dir_all(&dir).ok();
}
