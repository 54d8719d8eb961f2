//! The C decoder library through its example program (`decoder/ffi/examples/decode.c`): built
//! with `make`, run on programs `eqisa assemble` made from the examples (one with a pulse
//! section, ones with counted and real-time loops), its counts compared with `eqisa decode
//! --json`; and bad input refused with a message and exit code 1, never a crash. Skipped, with
//! a message, where `make` or `cc` is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use eqisa_test_support::{example, repo_dir};

fn eqisa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eqisa"))
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eqisa-ffi-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn has(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

/// The example, built once for the tests of this file (they run in parallel, and linking it
/// twice at once would clash).
fn build_decode() -> Option<PathBuf> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUILT.get_or_init(make_decode).clone()
}

/// Builds the example against a debug build of the library (the release build is the one to
/// measure; this test checks behaviour); `None` when the tools are missing.
fn make_decode() -> Option<PathBuf> {
    if !has("make") || !has("cc") {
        println!("skipped: the C example needs `make` and `cc`, and this machine lacks one");
        return None;
    }
    let dir = repo_dir().join("decoder/ffi/examples");
    let out = Command::new("make")
        .arg("-C")
        .arg(&dir)
        .arg("PROFILE=debug")
        .env("CARGO", env!("CARGO"))
        .output()
        .expect("make runs");
    assert!(
        out.status.success(),
        "make -C decoder/ffi/examples failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(dir.join("decode"))
}

fn assemble(src: &Path, extra: &[&str], out: &Path) {
    let o = eqisa()
        .arg("assemble")
        .arg(src)
        .args(extra)
        // The baselines take time and are not looked at here (--pulses measures its own).
        .args(if extra.contains(&"--pulses") {
            &[][..]
        } else {
            &["--no-baselines"][..]
        })
        .arg("-o")
        .arg(out)
        .output()
        .expect("eqisa runs");
    assert!(
        o.status.success(),
        "assemble {}: {}",
        src.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `ops` and `samples` as the C example prints them, and its memory figures.
fn run_decode(decode: &Path, file: &Path, chunk: usize) -> (Output, Vec<(String, u64)>) {
    let out = Command::new(decode)
        .arg(file)
        .env("EQISA_DECODE_STATS", "1")
        .env("EQISA_DECODE_CHUNK", chunk.to_string())
        .output()
        .expect("decode runs");
    let mut values = Vec::new();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for word in text.split_whitespace().collect::<Vec<_>>().windows(2) {
        if let [k, v] = word
            && let Ok(n) = v.parse::<u64>()
        {
            values.push((k.to_string(), n));
        }
    }
    for pair in text.split_whitespace().filter_map(|w| w.split_once('=')) {
        if let Ok(n) = pair.1.parse::<u64>() {
            values.push((pair.0.to_string(), n));
        }
    }
    (out, values)
}

/// OpenQASM 2 text of `n` gates on 16 qubits drawn by a fixed linear congruential generator.
fn random_circuit(n: usize) -> String {
    let mut text = String::from("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[16];\n");
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..n {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let q = (state >> 33) % 16;
        match (state >> 40) % 3 {
            0 => text.push_str(&format!("h q[{q}];\n")),
            1 => text.push_str(&format!("rz({:.3}) q[{q}];\n", (state >> 44) as f64 / 1e5)),
            _ => text.push_str(&format!("cx q[{q}],q[{}];\n", (q + 1) % 16)),
        }
    }
    text
}

fn value(values: &[(String, u64)], key: &str) -> Option<u64> {
    values.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
}

#[test]
fn c_example_counts_what_eqisa_decode_counts() {
    let Some(decode) = build_decode() else {
        return;
    };
    // Several instruction blocks (the encoder closes one at 32 KiB): a seeded random circuit.
    let random = tmp("random.qasm");
    std::fs::write(&random, random_circuit(120_000)).expect("write circuit");
    let programs: [(&str, PathBuf, &[&str]); 6] = [
        ("random-blocks", random, &[]),
        ("bell", example("bell.qasm"), &[]),
        ("ghz4", example("ghz4.qasm3"), &[]),
        ("qft4-pulses", example("qft4.qasm"), &["--pulses"]),
        (
            "syndrome-rounds",
            repo_dir().join("circuits/programs/syndrome_rounds.qasm3"),
            &[],
        ),
        (
            "rus-while",
            repo_dir().join("tests/qasm3/rus_while.qasm"),
            &[],
        ),
    ];
    for (name, src, extra) in programs {
        let eqb = tmp(&format!("{name}.eqb"));
        assemble(&src, extra, &eqb);
        let npy = tmp(&format!("{name}.npy"));
        let mut cmd = eqisa();
        cmd.arg("decode").arg(&eqb).arg("--json");
        let pulses = extra.contains(&"--pulses");
        if pulses {
            cmd.arg("--samples").arg(&npy);
        }
        let o = cmd.output().expect("eqisa decode runs");
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        for chunk in [64, 1, 1 << 20] {
            let (out, values) = run_decode(&decode, &eqb, chunk);
            assert!(
                out.status.success(),
                "{name}, chunks of {chunk}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(value(&values, "ops"), json["native_ops"].as_u64(), "{name}");
            let samples = json["pulses"]["samples"].as_u64();
            assert_eq!(value(&values, "samples"), samples, "{name}");
            // The memory eqisa_memory_needed asked for was enough, and decoding instructions
            // allocated nothing after the first one.
            let (peak, memory) = (value(&values, "peak"), value(&values, "memory"));
            assert!(
                peak.is_some() && peak <= memory,
                "{name}: {peak:?} of {memory:?}"
            );
            let first = value(&values, "first_op_allocations");
            assert_eq!(first, value(&values, "last_op_allocations"), "{name}");
            if !pulses {
                assert_eq!(first, value(&values, "end_allocations"), "{name}");
            }
        }
    }
}

#[test]
fn c_example_refuses_bad_input_with_a_message() {
    let Some(decode) = build_decode() else {
        return;
    };
    let good = tmp("bad-base.eqb");
    assemble(&example("qft4.qasm"), &[], &good);
    let bytes = std::fs::read(&good).expect("program");
    let mut corrupt = bytes.clone();
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 0x40;
    // A codebook that is valid but not the program's: the default one described otherwise.
    let default = std::fs::read(repo_dir().join("codebooks/default.eqcb")).expect("codebook");
    let (cb, _) = eqisa_isa::codebook::Codebook::parse(&default).expect("default codebook");
    let other = tmp("other.eqcb");
    let renamed = eqisa_isa::codebook::Codebook {
        description: "another".into(),
        ..cb
    };
    std::fs::write(&other, renamed.to_bytes()).expect("write codebook");
    let cases: [(&str, Vec<u8>, Option<&Path>, &str); 5] = [
        (
            "text",
            b"OPENQASM 2.0;\nqreg q[1];\n".to_vec(),
            None,
            "not an EQISA program",
        ),
        (
            "truncated",
            bytes[..bytes.len() - 7].to_vec(),
            None,
            "truncated",
        ),
        ("corrupt", corrupt, None, "checksum"),
        (
            "other-codebook",
            bytes.clone(),
            Some(&other),
            "another codebook",
        ),
        (
            "not-a-codebook",
            bytes.clone(),
            Some(&good),
            "not a valid codebook",
        ),
    ];
    for (name, input, codebook, expect) in cases {
        let path = tmp(&format!("bad-{name}.eqb"));
        std::fs::write(&path, &input).expect("write");
        let mut cmd = Command::new(&decode);
        cmd.arg(&path);
        if let Some(cb) = codebook {
            cmd.arg(cb);
        }
        let out = cmd.output().expect("decode runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains(expect), "{name}: {stderr}");
    }
}
