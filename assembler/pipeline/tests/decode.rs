//! `decode`: the streamed OpenQASM is byte for byte the whole-program text; a duplicated or
//! misplaced section is refused naming it and its offset; a codebook's fault names the codebook,
//! not the program; a codebook read whole is bounded.

use eqisa_assembler::rebuild::{Decoded, rebuild};
use eqisa_isa::codebook::Codebook;
use eqisa_isa::model::Priors;
use eqisa_isa::{Container, SectionKind};
use eqisa_lower::target::{TargetKind, TwoQubit};
use eqisa_pipeline::decode::{QasmSink, decode_program};
use eqisa_pipeline::{
    AssembleOptions, LowerConfig, PipelineError, assemble_circuit, load_codebook,
};
use eqisa_test_support::example_files;

/// The text the decoder wrote before decoding streamed: every instruction collected, the
/// program rebuilt, then printed whole.
fn whole_program_text(bytes: &[u8], cb: &eqisa_pipeline::LoadedCodebook) -> String {
    let d = eqisa_decoder::decode_all(bytes, &cb.codebook.priors, cb.hash).expect("decodes");
    let program = rebuild(
        d.header.target,
        d.header.qubit_count,
        d.header.clbit_count,
        &d.info,
        &d.metadata,
        d.instrs.iter().map(|i| Decoded {
            opcode: i.opcode,
            qubits: &i.qubits,
            cond: i.cond,
            arg: i.arg,
            start_ns: i.start_ns,
            duration_ns: i.duration_ns,
        }),
    )
    .expect("rebuilds");
    program.to_qasm2().unwrap_or_else(|| program.to_qasm3())
}

fn assemble(file: &std::path::Path, lowering: LowerConfig) -> Vec<u8> {
    let cb = load_codebook(None).expect("embedded codebook");
    let name = file.display().to_string();
    let c = eqisa_qasm::parse_file(file).expect("parses");
    let opts = AssembleOptions {
        lowering,
        ..AssembleOptions::default()
    };
    assemble_circuit(&c, &name, &cb, &opts)
        .expect("assembles")
        .bytes
}

fn streamed(bytes: &[u8], cb: &eqisa_pipeline::LoadedCodebook) -> (String, u64) {
    let mut out = Vec::new();
    let sink = QasmSink {
        writer: &mut out,
        name: "out.qasm",
    };
    let s = decode_program(bytes, "prog.eqb", cb, Some(sink)).expect("decodes");
    (String::from_utf8(out).expect("UTF-8"), s.native_ops)
}

#[test]
fn streamed_text_is_byte_identical_to_the_whole_program_text_on_every_example() {
    let cb = load_codebook(None).expect("embedded codebook");
    let lowerings = [
        LowerConfig::default(),
        LowerConfig {
            two_qubit: Some(TwoQubit::Ecr),
            ..LowerConfig::default()
        },
        LowerConfig {
            target: TargetKind::CliffordT,
            ..LowerConfig::default()
        },
    ];
    let mut qasm3 = 0;
    for file in example_files() {
        for lowering in lowerings.clone() {
            let bytes = assemble(&file, lowering);
            let (text, ops) = streamed(&bytes, &cb);
            assert_eq!(text, whole_program_text(&bytes, &cb), "{}", file.display());
            let summary = decode_program(&bytes[..], "prog.eqb", &cb, None).expect("decodes");
            assert_eq!(summary.native_ops, ops);
            qasm3 += usize::from(text.starts_with("OPENQASM 3"));
        }
    }
    // Both writers were exercised (teleport's conditions need OpenQASM 3).
    assert!(qasm3 > 0);
}

/// A program of the embedded codebook with its sections replaced by `sections` (kind and payload
/// taken from the real program's sections by kind).
fn with_sections(bytes: &[u8], kinds: &[SectionKind]) -> Vec<u8> {
    let mut c = Container::parse(bytes).expect("parses");
    let original = c.sections.clone();
    c.sections = kinds
        .iter()
        .map(|&k| {
            original
                .iter()
                .find(|s| s.kind == k)
                .expect("the program has this section")
                .clone()
        })
        .collect();
    c.to_bytes().expect("encodes")
}

#[test]
fn a_duplicated_or_misplaced_section_is_refused_naming_it_and_its_offset() {
    let cb = load_codebook(None).expect("embedded codebook");
    let bell = example_files()
        .into_iter()
        .find(|f| f.ends_with("bell.qasm"))
        .expect("bell.qasm");
    let bytes = assemble(&bell, LowerConfig::default());
    use SectionKind::{Instructions, Metadata, Program};
    let c = Container::parse(&bytes).expect("parses");
    let len = |k: SectionKind| c.section(k).map_or(0, |s| s.payload.len() as u64);
    // 29-byte header, then 9 bytes of header per section before its payload.
    let cases = [
        (vec![Program, Metadata, Metadata, Instructions], 2, Metadata),
        (
            vec![Program, Metadata, Instructions, Instructions],
            3,
            Instructions,
        ),
        (vec![Program, Program, Metadata, Instructions], 1, Program),
    ];
    for (kinds, index, kind) in cases {
        let forged = with_sections(&bytes, &kinds);
        let offset: u64 = 29 + kinds[..index].iter().map(|&k| 9 + len(k)).sum::<u64>();
        let err = decode_program(&forged[..], "forged.eqb", &cb, None)
            .expect_err("refused")
            .to_string();
        let want = format!("section {index} (at byte {offset}) is a second {kind} section");
        assert!(
            err.starts_with("forged.eqb: ") && err.contains(&want),
            "{err}"
        );
    }
    let forged = with_sections(&bytes, &[Program, Instructions, Metadata]);
    let err = decode_program(&forged[..], "forged.eqb", &cb, None)
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("section 2 (at byte") && err.contains("before the instruction section"),
        "{err}"
    );
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("eqisa-decode-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn a_codebook_fault_names_the_codebook_not_the_program() {
    let dir = temp_dir("codebook");
    // A codebook whose bytes hash right but hold a probability outside the coder's range.
    let mut priors = Priors::default();
    priors.probs[0] = 0;
    let bad = Codebook {
        description: "bad".into(),
        priors,
        paper_dictionary: None,
        training: String::new(),
    };
    let path = dir.join("bad.eqcb");
    std::fs::write(&path, bad.to_bytes()).expect("writes");
    let err = load_codebook(Some(&path)).err().expect("refused");
    assert!(matches!(err, PipelineError::Codebook { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("{}: corrupt codebook: ", path.display())),
        "{msg}"
    );
    assert!(!msg.contains("program"), "{msg}");

    // A program decoded with another (valid) codebook names both files.
    let other = Codebook {
        description: "other".into(),
        priors: Priors::default(),
        paper_dictionary: None,
        training: String::new(),
    };
    let other_path = dir.join("other.eqcb");
    std::fs::write(&other_path, other.to_bytes()).expect("writes");
    let other_cb = load_codebook(Some(&other_path)).expect("loads");
    let bell = example_files()
        .into_iter()
        .find(|f| f.ends_with("bell.qasm"))
        .expect("bell.qasm");
    let bytes = assemble(&bell, LowerConfig::default());
    let msg = decode_program(&bytes[..], "bell.eqb", &other_cb, None)
        .expect_err("refused")
        .to_string();
    assert!(
        msg.starts_with("bell.eqb: was assembled with codebook")
            && msg.contains(&other_path.display().to_string()),
        "{msg}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_codebook_longer_than_the_file_limit_is_refused_before_it_is_read_whole() {
    let path = std::path::Path::new("/dev/zero");
    if !path.exists() {
        return;
    }
    // A small limit, so that the refusal costs a megabyte, not the default 256 MiB.
    eqisa_files::set_limit(1 << 20);
    let err = load_codebook(Some(path)).err().expect("refused");
    eqisa_files::set_limit(eqisa_files::DEFAULT_LIMIT);
    let msg = err.to_string();
    assert!(
        msg.starts_with("/dev/zero: ") && msg.contains("--max-file-mb"),
        "{msg}"
    );
}
