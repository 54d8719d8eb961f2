//! Where the repository's example circuits and the shared corpus are, whichever crate asks.

use std::path::{Path, PathBuf};

/// The repository's root directory (this crate is `tests/support` in it).
pub fn repo_dir() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .nth(2)
        .map_or_else(|| here.join("../.."), Path::to_path_buf)
}

/// The repository's example circuits (`circuits/examples`).
pub fn examples_dir() -> PathBuf {
    repo_dir().join("circuits/examples")
}

/// One example circuit's path (`circuits/examples/NAME`).
pub fn example(name: &str) -> PathBuf {
    examples_dir().join(name)
}

/// Every example circuit (the files of `circuits/examples`), sorted.
pub fn example_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples_dir())
        .expect("listing circuits/examples")
        .map(|e| e.expect("an entry of circuits/examples").path())
        .collect();
    files.sort();
    files
}

/// Where the shared corpus is when it is there (`../shared/corpus` beside the repository), for
/// callers that fall back to something else without a note; tests use [`corpus_dir`] or
/// [`corpus_path`].
pub fn corpus_root() -> PathBuf {
    let repo = repo_dir();
    repo.parent()
        .map_or_else(|| repo.join(".."), Path::to_path_buf)
        .join("shared/corpus")
}

/// The shared corpus (`../shared/corpus` beside the repository), or `None` (and a note on
/// stderr) when it is absent: tests that need it skip.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = corpus_root();
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
    let path = corpus_root().join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipping: ../shared/corpus/{rel} is not present");
        None
    }
}

/// The corpus's IBM device calibrations (`devices/ibm/defs_*.json`), sorted, or `None` (and a
/// note on stderr) when there are none.
pub fn ibm_calibrations() -> Option<Vec<PathBuf>> {
    let dir = corpus_path("devices/ibm")?;
    let files = ibm_calibrations_in(&dir).expect("listing devices/ibm");
    if files.is_empty() {
        eprintln!("skipping: ../shared/corpus/devices/ibm holds no defs_*.json");
        return None;
    }
    Some(files)
}

/// The IBM device calibrations (`defs_*.json`) in `dir`, sorted.
///
/// # Errors
/// When `dir` cannot be listed.
pub fn ibm_calibrations_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("defs_") && n.ends_with(".json"))
        })
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::{example, example_files, repo_dir};

    #[test]
    fn the_repository_and_its_examples_are_found() {
        assert!(repo_dir().join("ARCHITECTURE.md").is_file());
        assert!(example("qft4.qasm").is_file());
        let files = example_files();
        assert!(files.contains(&example("bell.qasm")), "{files:?}");
        assert!(files.is_sorted());
    }
}
