//! Programs with loops, end to end: assembled with their loops kept, decoded unrolled they are
//! exactly the flattened program compiled (same operations, qubits, bits and conditions, in
//! order); decoded with their loops, the OpenQASM 3 written reads back to the same program; and
//! a hundred times the rounds costs only a few bits more. On the Stim circuits of
//! `../shared/corpus/qec` (skipped without the corpus; the largest, run in the benchmarks, are
//! left out) and the programs of `circuits/programs`.

use std::path::{Path, PathBuf};

use eqisa_assembler::Structured;
use eqisa_assembler::rebuild::{Decoded, rebuild};
use eqisa_decoder::{Decoder, StreamDecoder};
use eqisa_isa::IsaError;
use eqisa_isa::instr::{Opcode, TimedInstr};

use eqisa_lower::lower;
use eqisa_lower::target::TargetKind;
use eqisa_pipeline::decode::{DecodeOptions, QasmSink, decode_program_with};
use eqisa_pipeline::outcomes::Outcomes;
use eqisa_pipeline::{
    AssembleOptions, LoadedCodebook, LowerConfig, assemble_structured_program, flatten_named,
    load_codebook, load_source,
};
use eqisa_qasm::Parsed;
use eqisa_test_support::{corpus_path, repo_dir};

fn options(target: TargetKind) -> AssembleOptions {
    AssembleOptions {
        lowering: LowerConfig {
            target,
            ..LowerConfig::default()
        },
        pulses: None,
        paper: None,
        repeat_window: None,
        no_baselines: false,
    }
}

/// The OpenQASM lines, comments dropped.
fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//") && !l.trim().is_empty())
        .collect()
}

fn decode(bytes: &[u8], cb: &LoadedCodebook, flatten: bool) -> String {
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
            flatten,
            outcomes: Outcomes::Seeded(1),
        },
    )
    .expect("decodes");
    String::from_utf8(out).expect("utf-8")
}

/// The program with its loops as `decode` wrote it before it streamed: the text decoded whole,
/// rebuilt into a program and written by [`Structured::to_qasm3`]; with what it runs (each
/// operation times its loops) and its duration.
fn looped_whole(bytes: &[u8], cb: &LoadedCodebook) -> (String, u64, f64) {
    type Op = (Opcode, Vec<u32>, Option<u32>, u64, f64, f64);
    let mut dec = Decoder::new(&cb.codebook.priors, cb.hash).text_only();
    let mut ops: Vec<Op> = Vec::new();
    let mut rest = bytes;
    loop {
        let n = dec.feed(rest);
        rest = &rest[n..];
        let done = StreamDecoder::drain(
            &mut dec,
            &mut |t: &TimedInstr<'_>| -> Result<(), IsaError> {
                let i = &t.instr;
                ops.push((
                    i.opcode,
                    i.qubits.to_vec(),
                    i.cond,
                    i.arg,
                    t.start_ns,
                    t.duration_ns,
                ));
                Ok(())
            },
        )
        .expect("decodes");
        if done {
            break;
        }
        assert!(!rest.is_empty(), "the program ended early");
    }
    let header = &dec.preamble().expect("header").header;
    let text = rebuild(
        header.target,
        header.qubit_count,
        header.clbit_count,
        dec.info().expect("program section"),
        dec.metadata().unwrap_or(&[]),
        ops.iter().map(
            |(opcode, qubits, cond, arg, start_ns, duration_ns)| Decoded {
                opcode: *opcode,
                qubits,
                cond: *cond,
                arg: *arg,
                start_ns: *start_ns,
                duration_ns: *duration_ns,
            },
        ),
    )
    .expect("rebuilds");
    let s = Structured {
        text,
        control: dec.control().expect("loops").clone(),
    };
    let runs = s.executed_ops().iter().map(|(_, times)| times).sum();
    (s.to_qasm3().expect("writes"), runs, s.duration_ns())
}

/// The program at `file` compiled flat for `target`, as OpenQASM.
fn compiled(file: &Path, parsed: Parsed, target: TargetKind) -> String {
    let c = flatten_named(parsed, file, &[]).expect("flattens");
    let (t, o) = options(target).lowering.resolve().expect("target");
    let p = lower(&c, &t, &o).expect("lowers").program;
    p.to_qasm2().unwrap_or_else(|| p.to_qasm3())
}

/// The program at `file` lowered with its loops kept (as `compile` does), then unrolled.
fn compiled_structured(p: &eqisa_ir::program::stmt::Program, target: TargetKind) -> String {
    let (t, o) = options(target).lowering.resolve().expect("target");
    let limits = eqisa_ir::program::flatten::FlattenLimits::default();
    let ls = eqisa_lower::structured::lower_structured(p, &[], &t, &o, &limits)
        .expect("lowers")
        .expect("loops kept");
    let u = ls.unrolled(1 << 24).expect("unrolls");
    u.to_qasm2().unwrap_or_else(|| u.to_qasm3())
}

/// Checks one file on both targets; returns whether it had loops to keep. Programs whose
/// every operation lowers exactly (Clifford circuits: Stim's) are also compared with the whole
/// program flattened and compiled, and their loops read back.
fn check(file: &Path, cb: &LoadedCodebook, exact: bool) -> bool {
    let mut kept = false;
    for target in [TargetKind::Native, TargetKind::CliffordT] {
        let source = load_source(file).expect("reads");
        let Parsed::Structured(p) = &source.parsed else {
            return false;
        };
        let name = file.display().to_string();
        let Some(asm) =
            assemble_structured_program(p, &[], &name, cb, &options(target)).expect("assembles")
        else {
            return false;
        };
        kept = true;
        // Written with its loops as the text is decoded: byte for byte what writing the whole
        // decoded text gave, with the same counts.
        let mut streamed = Vec::new();
        let summary = decode_program_with(
            &asm.bytes[..],
            "prog.eqb",
            cb,
            Some(QasmSink {
                writer: &mut streamed,
                name: "out.qasm",
            }),
            &DecodeOptions::default(),
        )
        .expect("decodes");
        let (whole, runs, duration_ns) = looped_whole(&asm.bytes, cb);
        assert_eq!(
            String::from_utf8(streamed).expect("utf-8"),
            whole,
            "{name} ({target:?}) with loops"
        );
        assert_eq!(summary.native_ops, runs, "{name} ({target:?})");
        assert_eq!(
            summary.duration_ns.to_bits(),
            duration_ns.to_bits(),
            "{name} ({target:?})"
        );
        let flat = decode(&asm.bytes, cb, true);
        assert_eq!(
            lines(&flat),
            lines(&compiled_structured(p, target)),
            "{name} ({target:?}) unrolled"
        );
        if !exact {
            continue;
        }
        let want = compiled(file, source.parsed.clone(), target);
        assert_eq!(lines(&flat), lines(&want), "{name} ({target:?}) flat");
        // Written with its loops, read back and compiled: the same program.
        let looped = decode(&asm.bytes, cb, false);
        assert!(looped.contains("for uint _r0 in"), "{name}: {looped}");
        let dir = std::env::temp_dir().join(format!("eqisa-loops-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let back = dir.join("looped.qasm");
        std::fs::write(&back, &looped).expect("writes");
        let reread = load_source(&back).expect("reads back").parsed;
        assert_eq!(
            lines(&compiled(&back, reread, target)),
            lines(&want),
            "{name} ({target:?}) read back"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
    kept
}

fn stim_corpus() -> Vec<PathBuf> {
    let Some(dir) = corpus_path("qec") else {
        eprintln!("skipped: ../shared/corpus/qec is absent");
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("lists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "stim"))
        .collect();
    files.sort();
    files
}

#[test]
fn decoding_the_assembled_loops_gives_the_compiled_program() {
    let cb = load_codebook(None).expect("embedded codebook");
    let mut checked = 0;
    for file in stim_corpus() {
        let stem = file.file_stem().unwrap_or_default().to_string_lossy();
        // A thousand rounds and more are the benchmarks' (the unrolled comparison is slow).
        if ["_r1000", "_r100000", "_r1000000"]
            .iter()
            .any(|r| stem.ends_with(r))
        {
            continue;
        }
        assert!(check(&file, &cb, true), "{}: no loop kept", file.display());
        checked += 1;
    }
    for (name, exact) in [
        ("repetition_d3_feedback.stim", true),
        ("syndrome_rounds.qasm3", false),
    ] {
        let file = repo_dir().join("circuits/programs").join(name);
        assert!(check(&file, &cb, exact), "{name}: no loop kept");
        checked += 1;
    }
    assert!(checked >= 2);
}

#[test]
fn a_hundred_times_the_rounds_costs_a_few_bits() {
    let cb = load_codebook(None).expect("embedded codebook");
    let (Some(short), Some(long)) = (
        corpus_path("qec/surface_code_rotated_memory_z_d7_r1000.stim"),
        corpus_path("qec/surface_code_rotated_memory_z_d7_r100000.stim"),
    ) else {
        eprintln!("skipped: ../shared/corpus/qec is absent");
        return;
    };
    for target in [TargetKind::Native, TargetKind::CliffordT] {
        let bits = |file: &Path| {
            let source = load_source(file).expect("reads");
            let Parsed::Structured(p) = &source.parsed else {
                panic!("structured");
            };
            let mut opts = options(target);
            opts.paper = None;
            let asm = assemble_structured_program(p, &[], "x", &cb, &opts)
                .expect("assembles")
                .expect("loops kept");
            // The longer one's baselines are not measured (too large to unroll).
            asm.bytes.len() as u64 * 8
        };
        let (a, b) = (bits(&short), bits(&long));
        assert!(
            b <= a + 64,
            "{target:?}: {a} bits for 1,000 rounds, {b} for 100,000"
        );
    }
}
