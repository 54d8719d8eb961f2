//! Where the repository's example circuits and the shared corpus are, whichever crate asks.

use std::path::PathBuf;

/// The repository's root directory.
pub fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The repository's example circuits (`circuits/examples`).
pub fn examples_dir() -> PathBuf {
    repo_dir().join("circuits/examples")
}

/// One example circuit's path (`circuits/examples/NAME`).
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

/// `rel` (a file or a directory) under the shared corpus, or `None` (and a note on stderr
/// naming it) when it is absent: tests that need that part of the corpus skip.
pub fn corpus_path(rel: &str) -> Option<PathBuf> {
    let path = repo_dir().join("../shared/corpus").join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipping: ../shared/corpus/{rel} is not present");
        None
    }
}
