//! Training's directory walk ends on a symlink loop and passes over what is not a regular file
//! (a FIFO named `*.qasm` would block it forever), saying so; a file named explicitly is taken
//! as given.
#![cfg(unix)]

use std::path::PathBuf;

use eqisa_pipeline::train::collect_corpus;

#[test]
fn a_symlink_loop_ends_and_a_fifo_is_passed_over_with_a_note() {
    let dir = std::env::temp_dir().join(format!("eqisa-train-walk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sub = dir.join("sub");
    std::fs::create_dir_all(&sub).expect("temp dir");
    let circuit = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nh q[0];\n";
    std::fs::write(dir.join("a.qasm"), circuit).expect("writes");
    std::fs::write(sub.join("b.qasm3"), circuit).expect("writes");
    std::fs::write(sub.join("notes.txt"), "not a circuit").expect("writes");
    // sub/up -> .. : walking it would come back to `dir` forever.
    std::os::unix::fs::symlink("..", sub.join("up")).expect("symlink");
    let fifo = dir.join("pipe.qasm");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());

    let corpus = collect_corpus(std::slice::from_ref(&dir)).expect("walks");
    assert_eq!(corpus.files, [dir.join("a.qasm"), sub.join("b.qasm3")]);
    let passed: Vec<(PathBuf, &str)> = corpus
        .passed_over
        .iter()
        .map(|(p, why)| (p.clone(), why.as_str()))
        .collect();
    assert_eq!(
        passed,
        [
            (fifo.clone(), "a FIFO, not a regular file"),
            (
                sub.join("up"),
                "a directory already walked (a symlink loop, or a second link to it)"
            ),
        ]
    );

    // Named on the command line, a file is taken as given, whatever it is.
    let named = collect_corpus(std::slice::from_ref(&fifo)).expect("taken");
    assert_eq!(named.files, [fifo]);
    assert!(named.passed_over.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
