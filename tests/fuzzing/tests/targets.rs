//! Every fuzz target, run on its seeds and a fixed number of seeded mutations of them, with the
//! ordinary tests (so in CI). The long coverage-guided runs are cargo-fuzz's (`fuzz/README.md`).

use std::path::{Path, PathBuf};

use eqisa_fuzzing::mutation::{Run, run};
use eqisa_fuzzing::targets;

mod seeds;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The files of `dir` (relative to the repository) whose names end in one of `exts`, sorted.
fn files(dir: &str, exts: &[&str]) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(repo().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            name.is_some_and(|n| exts.iter().any(|x| n.ends_with(x)))
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

/// The words of `fuzz/parse.dict` (one `"word"` per line; `\"` unescaped, other escapes kept).
fn parse_dictionary() -> Vec<Vec<u8>> {
    dictionary("fuzz/parse.dict")
}

/// The words of the libFuzzer dictionary `file` (one `"word"` per line, `#` comments; `\"`
/// unescaped, `\x0a` a newline, other escapes kept).
fn dictionary(file: &str) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(repo().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            if l.starts_with('#') {
                return None;
            }
            let start = l.find('"')?;
            let end = l.rfind('"')?;
            (end > start + 1).then(|| {
                l[start + 1..end]
                    .replace("\\\"", "\"")
                    .replace("\\x0a", "\n")
                    .into_bytes()
            })
        })
        .collect()
}

/// The OpenQASM 3 programs that exercise the whole language: the reference suite
/// (`tests/qasm3`) and the parser's tour of its syntax.
fn qasm3_programs() -> Vec<Vec<u8>> {
    let mut programs = files("tests/qasm3", &[".qasm"]);
    assert!(
        programs.len() >= 30,
        "tests/qasm3 has {} programs",
        programs.len()
    );
    programs.extend(files("circuits/qasm/tests/v3", &["tour.qasm"]));
    programs
}

#[test]
fn parse() {
    let mut seeds = files("fuzz/seeds", &[".qasm", ".qasm3"]);
    seeds.extend(files("circuits/examples", &[".qasm", ".qasm3"]));
    seeds.extend(qasm3_programs());
    let words = parse_dictionary();
    let words: Vec<&[u8]> = words.iter().map(Vec::as_slice).collect();
    run(
        targets::parse::run,
        &Run {
            name: "parse",
            seeds: &seeds,
            dictionary: &words,
            inputs: 10_000,
            max_len: 8192,
            seed: 1,
        },
    );
}

#[test]
fn structured() {
    let mut seeds = qasm3_programs();
    seeds.extend(files("fuzz/seeds", &["qasm3.qasm"]));
    seeds.extend(files("circuits/examples", &[".qasm3"]));
    let words = parse_dictionary();
    let words: Vec<&[u8]> = words.iter().map(Vec::as_slice).collect();
    run(
        targets::structured::run,
        &Run {
            name: "structured",
            seeds: &seeds,
            dictionary: &words,
            inputs: 10_000,
            max_len: 8192,
            seed: 6,
        },
    );
}

#[test]
fn decoder() {
    let seeds = files("fuzz/seeds-eqb", &[".eqb"]);
    assert!(!seeds.is_empty(), "fuzz/seeds-eqb has no programs");
    run(
        targets::decoder::run,
        &Run {
            name: "decoder",
            seeds: &seeds,
            dictionary: &[],
            inputs: 10_000,
            max_len: 4096,
            seed: 2,
        },
    );
}

#[test]
fn decoder_mutated() {
    run(
        targets::decoder_mutated::run,
        &Run {
            name: "decoder_mutated",
            seeds: &[],
            dictionary: &[],
            inputs: 10_000,
            max_len: 512,
            seed: 3,
        },
    );
}

#[test]
fn codebook() {
    let seeds = files("fuzz/seeds-codebook", &[".body"]);
    run(
        targets::codebook::run,
        &Run {
            name: "codebook",
            seeds: &seeds,
            dictionary: &[],
            inputs: 10_000,
            max_len: 4096,
            seed: 4,
        },
    );
}

#[test]
fn pulse() {
    run(
        targets::pulse::run,
        &Run {
            name: "pulse",
            seeds: &[],
            dictionary: &[],
            inputs: 10_000,
            max_len: 512,
            seed: 5,
        },
    );
}

#[test]
fn stim() {
    // The repository's Stim programs always; the QEC corpus's small circuits when it is present.
    let mut seeds = files("circuits/programs", &[".stim"]);
    assert!(!seeds.is_empty(), "circuits/programs has no Stim circuits");
    if let Some(dir) = eqisa_test_support::corpus_path("qec") {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("lists the corpus")
            .map(|e| e.expect("directory entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "stim"))
            .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() <= 8192))
            .collect();
        paths.sort();
        seeds.extend(paths.iter().map(|p| std::fs::read(p).expect("reads")));
    }
    let words = dictionary("fuzz/stim.dict");
    let words: Vec<&[u8]> = words.iter().map(Vec::as_slice).collect();
    run(
        targets::stim::run,
        &Run {
            name: "stim",
            seeds: &seeds,
            dictionary: &words,
            inputs: 10_000,
            max_len: 8192,
            seed: 7,
        },
    );
}

#[test]
fn looped() {
    // Built now (always current), and the committed copies libFuzzer starts from.
    let mut seeds: Vec<Vec<u8>> = seeds::looped().into_iter().map(|(_, b)| b).collect();
    seeds.extend(files("fuzz/seeds-eqb", &[".eqb"]));
    run(
        targets::looped::run,
        &Run {
            name: "looped",
            seeds: &seeds,
            dictionary: &[],
            inputs: 10_000,
            max_len: 4096,
            seed: 8,
        },
    );
}

#[test]
fn streams() {
    let seeds = stream_seeds();
    for s in &seeds {
        let parsed = eqisa_isa::container::streams::Streams::parse(s).expect("a seed parses");
        assert!(parsed.controllers.len() >= 2);
    }
    run(
        targets::streams::run,
        &Run {
            name: "streams",
            seeds: &seeds,
            dictionary: &[b"EQMS", b"EQB\0"],
            inputs: 3_000,
            max_len: 8192,
            seed: 9,
        },
    );
}

/// The `streams` target's seeds: multi-stream files of the example programs split over two and
/// three controllers (one with loops and feedback, one flat with cross-controller gates).
fn stream_seeds() -> Vec<Vec<u8>> {
    use eqisa_assembler::partition::Split;
    use eqisa_pipeline::{AssembleOptions, load_codebook};
    use eqisa_test_support::repo_dir;
    let cb = load_codebook(None).expect("the embedded codebook");
    let mut seeds = Vec::new();
    for (file, split) in [
        (
            "circuits/programs/repetition_d3_feedback.stim",
            Split::Controllers(2),
        ),
        (
            "circuits/programs/syndrome_rounds.qasm3",
            Split::Controllers(3),
        ),
        ("circuits/examples/qft4.qasm", Split::QubitsPerController(2)),
    ] {
        let path = repo_dir().join(file);
        let parsed = eqisa_pipeline::load_source(&path).expect("reads").parsed;
        let opts = AssembleOptions::default();
        let (s, target, loops) =
            eqisa_pipeline::controllers::lower_program(parsed, &path, &[], &opts, false)
                .expect("lowers");
        let asm =
            eqisa_pipeline::controllers::assemble_controllers(&s, loops, &target, file, split, &cb)
                .expect("splits");
        seeds.push(asm.bytes);
    }
    seeds
}
