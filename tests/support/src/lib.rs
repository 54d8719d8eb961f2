//! `eqisa-test-support` (not published) owns what the workspace's tests, benchmarks and fuzz
//! targets share: where the repository's example circuits and the shared corpus are, the
//! corpus's Qiskit reference, and readers that exercise chunked input.

#![allow(dead_code)]

use std::path::PathBuf;

/// The repository's root directory.
pub fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The repository's example circuits (`circuits/examples`).
pub fn examples_dir() -> PathBuf {
    repo_dir().join("circuits/examples")
}

/// One example circuit's path.
pub fn example(name: &str) -> PathBuf {
    examples_dir().join(name)
}

/// The shared corpus (`../shared/corpus` beside the repository), or `None` (and a note on
/// stderr) when it is absent: tests that need it skip.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = repo_dir().join("../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: ../shared/corpus is not present");
        None
    }
}

/// Every record of `reference/qiskit.jsonl`.
pub fn reference(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let text =
        std::fs::read_to_string(dir.join("reference/qiskit.jsonl")).expect("reading qiskit.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The name Qiskit gives the instruction a qelib1 / stdgates name creates.
pub fn qiskit_name(source_name: &str) -> &str {
    match source_name {
        "c3x" | "c4x" => "mcx",
        "c3sqrtx" => "c3sx",
        "rc3x" => "rcccx",
        "CX" => "cx",
        "U" => "u",
        "phase" => "p",
        "cphase" => "cp",
        other => other,
    }
}

/// A reader that hands out one byte at a time, to exercise chunked parsing at every boundary.
pub struct OneByte<'a>(pub &'a [u8]);

impl std::io::Read for OneByte<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), out.first_mut()) {
            (Some((b, rest)), Some(o)) => {
                *o = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}
