//! One stream per controller: every stream decoded alone by its own decoder and merged gives the
//! unpartitioned program op for op (same operations, qubits and start times), on the example
//! circuits and on the shared corpus's QEC Stim files (skipped when `../shared/corpus` is
//! absent); bad splits and corrupt files are refused with errors naming the cause.

use std::path::Path;

use eqisa_assembler::partition::Split;
use eqisa_decoder::{DecodedInstr, decode_all};
use eqisa_pipeline::controllers::{
    assemble_controllers, decode_merged, join_barriers, lower_program, parse_streams,
    simulate_controllers,
};
use eqisa_pipeline::firmware::load_energy_model;
use eqisa_pipeline::{AssembleOptions, LoadedCodebook, PipelineError, load_codebook};

/// The program's instructions in a canonical order: by start time (to the picosecond), then
/// qubits, opcode, argument and condition; barriers at one time joined.
fn canonical(instrs: Vec<DecodedInstr>) -> Vec<DecodedInstr> {
    let mut v = instrs;
    v.sort_by(|a, b| a.start_ns.total_cmp(&b.start_ns));
    let mut v = join_barriers(v);
    let key = |d: &DecodedInstr| {
        (
            (d.start_ns * 1e3).round() as i64,
            d.qubits.clone(),
            d.opcode as u8,
            d.arg,
            d.cond,
        )
    };
    v.sort_by_key(key);
    v
}

/// The global program (one stream) and the merged per-controller streams agree op for op.
fn check(file: &Path, split: Split, cb: &LoadedCodebook) {
    let name = file.display().to_string();
    let source = eqisa_pipeline::load_source(file).unwrap();
    let opts = AssembleOptions::default();
    let (s, target, loops) = lower_program(source.parsed, file, &[], &opts, false).unwrap();
    let global = if loops {
        eqisa_assembler::assemble_structured(&s, &target, &cb.codebook, cb.hash)
    } else {
        eqisa_assembler::assemble(&s.text, &target, &cb.codebook, cb.hash)
    }
    .unwrap();
    let whole = decode_all(&global.bytes, &cb.codebook.priors, cb.hash).unwrap();
    let asm = assemble_controllers(&s, loops, &target, &name, split, cb).unwrap();
    let streams = parse_streams(&asm.bytes, &name).unwrap();
    assert!(streams.controllers.len() > 1, "{name}: one controller only");
    let merged = decode_merged(&streams, &name, cb).unwrap();
    let (a, b) = (canonical(whole.instrs), canonical(merged));
    assert_eq!(a.len(), b.len(), "{name}: op count");
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        let tol = 1e-9 * x.start_ns.abs().max(1.0);
        assert!(
            x.opcode == y.opcode
                && x.qubits == y.qubits
                && x.arg == y.arg
                && x.cond == y.cond
                && (x.start_ns - y.start_ns).abs() <= tol
                && x.duration_ns.to_bits() == y.duration_ns.to_bits(),
            "{name}: op {i}: {x:?} vs {y:?}"
        );
        if !loops {
            assert_eq!(
                x.start_ns.to_bits(),
                y.start_ns.to_bits(),
                "{name}: flat times exact"
            );
        }
    }
    // Every controller plays without underruns on a fast enough link.
    let model = load_energy_model(None).unwrap();
    let run = simulate_controllers(&streams, &name, cb, &Default::default(), &model).unwrap();
    assert_eq!(run.per_controller.len(), streams.controllers.len());
    assert!(run.system.min_link_gbps_each.is_some(), "{name}");
}

#[test]
fn merged_streams_equal_the_program_on_the_examples() {
    let cb = load_codebook(None).unwrap();
    for name in ["qft4.qasm", "teleport.qasm3", "ghz4.qasm3", "bell.qasm"] {
        let f = eqisa_test_support::paths::example(name);
        check(&f, Split::Controllers(2), &cb);
    }
    let sr = eqisa_test_support::paths::examples_dir()
        .parent()
        .unwrap()
        .join("programs/syndrome_rounds.qasm3");
    check(&sr, Split::QubitsPerController(2), &cb);
    check(&sr, Split::Controllers(5), &cb);
}

#[test]
fn merged_streams_equal_the_program_on_corpus_qec() {
    let Some(dir) = eqisa_test_support::paths::corpus_path("qec") else {
        eprintln!("skipped: ../shared/corpus absent");
        return;
    };
    let cb = load_codebook(None).unwrap();
    let mut n = 0;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "stim"))
        .collect();
    files.sort();
    for f in files
        .iter()
        .filter(|f| f.to_string_lossy().contains("_r100."))
    {
        check(f, Split::QubitsPerController(8), &cb);
        n += 1;
    }
    assert!(n > 0, "no QEC Stim file in {}", dir.display());
}

#[test]
fn bad_splits_name_the_option() {
    let cb = load_codebook(None).unwrap();
    let f = eqisa_test_support::paths::example("qft4.qasm");
    let source = eqisa_pipeline::load_source(&f).unwrap();
    let (s, target, loops) =
        lower_program(source.parsed, &f, &[], &AssembleOptions::default(), false).unwrap();
    for (split, option) in [
        (Split::QubitsPerController(0), "--qubits-per-controller"),
        (Split::Controllers(0), "--controllers"),
        (Split::Controllers(1 << 40), "--controllers"),
        (
            Split::QubitsPerController(1 << 40),
            "--qubits-per-controller",
        ),
        (Split::Controllers(5), "--controllers"),
    ] {
        let e = assemble_controllers(&s, loops, &target, "qft4", split, &cb)
            .err()
            .unwrap_or_else(|| panic!("{split:?} accepted"));
        assert!(matches!(e, PipelineError::Controllers { .. }), "{e}");
        assert!(e.to_string().contains(option), "{e}");
    }
    // Qubit 4 of a 5-qubit program that runs nothing on it leaves its controller empty.
    let text = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[5];\nh q[0];\ncx q[0], q[1];\n";
    let dir = std::env::temp_dir().join(format!("eqisa-ctl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let idle = dir.join("idle.qasm");
    std::fs::write(&idle, text).unwrap();
    let source = eqisa_pipeline::load_source(&idle).unwrap();
    let (s, target, loops) = lower_program(
        source.parsed,
        &idle,
        &[],
        &AssembleOptions::default(),
        false,
    )
    .unwrap();
    let e = assemble_controllers(
        &s,
        loops,
        &target,
        "idle",
        Split::QubitsPerController(2),
        &cb,
    )
    .err()
    .unwrap();
    assert!(
        e.to_string()
            .contains("--qubits-per-controller 2: controller 1"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn corrupt_multi_stream_files_are_refused() {
    let cb = load_codebook(None).unwrap();
    let f = eqisa_test_support::paths::example("teleport.qasm3");
    let source = eqisa_pipeline::load_source(&f).unwrap();
    let (s, target, loops) =
        lower_program(source.parsed, &f, &[], &AssembleOptions::default(), false).unwrap();
    let asm = assemble_controllers(&s, loops, &target, "t", Split::Controllers(2), &cb).unwrap();
    for cut in [0, 10, 30, asm.bytes.len() / 2, asm.bytes.len() - 1] {
        assert!(parse_streams(&asm.bytes[..cut], "t").is_err(), "cut {cut}");
    }
    for i in (0..asm.bytes.len()).step_by(7) {
        let mut b = asm.bytes.clone();
        b[i] ^= 0x10;
        assert!(parse_streams(&b, "t").is_err(), "flip {i}");
    }
}
