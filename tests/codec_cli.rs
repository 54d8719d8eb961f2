//! End-to-end tests of the codec commands: `assemble` → `decode` gives back what `compile`
//! wrote, the JSON keys scripts rely on, codebook mismatches named clearly, and the embedded
//! default codebook reproducible from its documented training command.

use std::path::{Path, PathBuf};
use std::process::Command;

use eqisa_test_support::{example, examples_dir, repo_dir};

fn eqisa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eqisa"))
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eqisa-codec-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn ok(args: &[&str]) -> std::process::Output {
    let out = eqisa().args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn decode_of_assemble_writes_what_compile_writes() {
    for (file, target) in [
        ("qft4.qasm", "native"),
        ("qft4.qasm", "clifford+t"),
        ("teleport.qasm3", "native"),
        ("adder4.qasm", "clifford+t"),
    ] {
        let src = example(file);
        let compiled = tmp(&format!("{file}.{target}.compiled.qasm"));
        let eqb = tmp(&format!("{file}.{target}.eqb"));
        let decoded = tmp(&format!("{file}.{target}.decoded.qasm"));
        let common = ["--target", target, "--fidelity", "0.99"];
        let mut a = vec!["compile", s(&src), "-o", s(&compiled)];
        a.extend(common);
        ok(&a);
        let mut a = vec!["assemble", s(&src), "-o", s(&eqb), "--no-paper"];
        a.extend(common);
        ok(&a);
        ok(&["decode", s(&eqb), "-o", s(&decoded)]);
        let want = std::fs::read_to_string(&compiled).expect("compiled");
        let got = std::fs::read_to_string(&decoded).expect("decoded");
        assert_eq!(got, want, "{file} on {target}");
    }
}

#[test]
fn assemble_json_has_the_documented_keys() {
    let src = example("qft4.qasm");
    let out = ok(&[
        "assemble",
        s(&src),
        "--target",
        "clifford+t",
        "--fidelity",
        "0.99",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(v["native_ops"].as_u64().expect("native_ops") > 100);
    assert!(v["fidelity_bound"].as_f64().expect("fidelity_bound") >= 0.99);
    assert!(v["codebook_bytes"].as_u64().expect("codebook_bytes") > 0);
    let bits = v["bits"].as_object().expect("bits");
    for key in [
        "eqisa",
        "binary_opcodes",
        "binary",
        "bzip2",
        "xz",
        "zstd",
        "entropy_order0",
        "paper_huffman",
        "paper_huffman_bzip2",
    ] {
        assert!(bits[key].is_number(), "bits.{key}: {}", bits[key]);
    }
    assert!(v["paper_fidelity_bound"].is_number());
    // The file is exactly what `eqisa` counts.
    let eqb = tmp("qft4.json.eqb");
    ok(&[
        "assemble",
        s(&src),
        "--target",
        "clifford+t",
        "--fidelity",
        "0.99",
        "--no-paper",
        "-o",
        s(&eqb),
    ]);
    let len = std::fs::metadata(&eqb).expect("written").len();
    assert_eq!(bits["eqisa"].as_u64(), Some(len * 8));
    // Far below the fixed-width stream and what xz makes of it, for this Clifford+T program.
    assert!(bits["eqisa"].as_f64() < Some(bits["xz"].as_f64().expect("xz") * 0.5));
}

#[test]
fn a_program_needs_its_own_codebook() {
    let src = example("bell.qasm");
    let cb = tmp("other.eqcb");
    ok(&[
        "train",
        s(&example("bell.qasm")),
        "-o",
        s(&cb),
        "--paper-haar",
        "0",
        "--description",
        "other",
    ]);
    let eqb = tmp("bell.other.eqb");
    ok(&[
        "assemble",
        s(&src),
        "--codebook",
        s(&cb),
        "--no-paper",
        "-o",
        s(&eqb),
    ]);
    // Decoding with the embedded default names both codebooks.
    let out = eqisa().args(["decode", s(&eqb)]).output().expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("was assembled with codebook") && err.contains("--codebook"),
        "{err}"
    );
    ok(&["decode", s(&eqb), "--codebook", s(&cb)]);
    // A corrupted codebook is refused, not used.
    let mut bytes = std::fs::read(&cb).expect("codebook");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x10;
    let bad = tmp("corrupt.eqcb");
    std::fs::write(&bad, bytes).expect("write");
    let out = eqisa()
        .args(["decode", s(&eqb), "--codebook", s(&bad)])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("corrupt.eqcb") && err.contains("hash"),
        "{err}"
    );
}

#[test]
fn a_truncated_program_is_an_error_naming_the_file() {
    let src = example("qft4.qasm");
    let eqb = tmp("qft4.trunc.eqb");
    ok(&["assemble", s(&src), "--no-paper", "-o", s(&eqb)]);
    let bytes = std::fs::read(&eqb).expect("eqb");
    let cut = tmp("qft4.cut.eqb");
    std::fs::write(&cut, &bytes[..bytes.len() - 7]).expect("write");
    let out = eqisa().args(["decode", s(&cut)]).output().expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("qft4.cut.eqb") && err.contains("truncated"),
        "{err}"
    );
}

/// `-o` naming a FIFO (or a device) writes into it: renaming a finished temporary file over it,
/// as for a regular file, would replace the FIFO or device (`-o /dev/full` did).
#[cfg(unix)]
#[test]
fn decode_writes_into_a_fifo_in_place_and_leaves_it_a_fifo() {
    use std::os::unix::fs::FileTypeExt;
    let src = example("bell.qasm");
    let eqb = tmp("bell.fifo.eqb");
    ok(&["assemble", s(&src), "--no-paper", "-o", s(&eqb)]);
    let regular = tmp("bell.regular.qasm");
    ok(&["decode", s(&eqb), "-o", s(&regular)]);
    let fifo = tmp("bell.fifo.qasm");
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("reads the FIFO"))
    };
    ok(&["decode", s(&eqb), "-o", s(&fifo)]);
    // Checked before joining the reader, which would wait forever on a replaced FIFO.
    let kind = std::fs::symlink_metadata(&fifo)
        .expect("still there")
        .file_type();
    assert!(kind.is_fifo(), "the FIFO was replaced by {kind:?}");
    let text = reader.join().expect("reader");
    assert_eq!(text, std::fs::read_to_string(&regular).expect("decoded"));
}

/// Training's walk passes over a FIFO named *.qasm and a symlink loop, saying so, instead of
/// blocking on the one and training on the other's files forty times.
#[cfg(unix)]
#[test]
fn train_notes_what_its_walk_passes_over() {
    let dir = tmp("train-walk");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).expect("dir");
    std::fs::copy(example("bell.qasm"), dir.join("bell.qasm")).expect("copy");
    std::os::unix::fs::symlink("..", dir.join("sub/up")).expect("symlink");
    let made = Command::new("mkfifo")
        .arg(dir.join("pipe.qasm"))
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let cb = tmp("train-walk.eqcb");
    let out = ok(&["train", s(&dir), "-o", s(&cb), "--paper-haar", "0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("pipe.qasm: a FIFO, not a regular file")
            && err.contains("up: a directory already walked"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("files: 1;"));
}

/// The command in codebooks/README.md reproduces the embedded codebook byte for byte.
#[test]
fn the_default_codebook_is_reproducible() {
    let out = tmp("default.eqcb");
    ok(&[
        "train",
        s(&examples_dir()),
        "--haar",
        "512",
        "-o",
        s(&out),
        "--pulses",
        "--pulse-atoms",
        "32",
        "--description",
        "EQISA default codebook: Haar-random unitaries and the repository's example circuits",
    ]);
    let fresh = std::fs::read(&out).expect("trained");
    let embedded = std::fs::read(repo_dir().join("codebooks/default.eqcb")).expect("embedded");
    assert!(
        fresh == embedded,
        "codebooks/default.eqcb is stale: retrain it with the command in codebooks/README.md"
    );
}
