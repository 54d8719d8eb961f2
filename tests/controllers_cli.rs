//! `eqisa assemble --controllers/--qubits-per-controller`, `decode` of a multi-stream file and
//! `firmware` per controller, run as a user would; bad options name themselves and write nothing.

use std::process::Command;

fn eqisa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eqisa"))
}

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("eqisa-ctl-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn assemble_decode_and_simulate_per_controller() {
    let qft = eqisa_test_support::paths::example("qft4.qasm");
    let out = tmp("qft4.eqb");
    let o = eqisa()
        .args([
            "assemble",
            qft.to_str().unwrap(),
            "--controllers",
            "2",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The merged program has the single stream's operation count and duration.
    let single = eqisa()
        .args(["compile", qft.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let single: serde_json::Value = serde_json::from_slice(&single.stdout).unwrap();
    let o = eqisa()
        .arg("decode")
        .arg(&out)
        .arg("--json")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let merged: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(merged["controllers"], 2);
    let total: u64 = single["ops"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(merged["ops"], total);
    assert_eq!(merged["duration_ns"], single["duration_ns"]);
    // One controller's stream decodes alone with the ordinary decoder.
    let one = tmp("qft4.c1.eqb");
    let o = eqisa()
        .arg("decode")
        .arg(&out)
        .args(["--controller", "1", "-o"])
        .arg(&one)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = eqisa().arg("decode").arg(&one).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = eqisa()
        .arg("firmware")
        .arg(&out)
        .arg("--json")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let run: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(run["system"]["controllers"], 2);
    assert_eq!(run["system"]["underruns"], 0);
    assert_eq!(run["per_controller"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_splits_name_the_option_and_write_nothing() {
    let qft = eqisa_test_support::paths::example("qft4.qasm");
    for (args, option) in [
        (
            &["--qubits-per-controller", "0"][..],
            "--qubits-per-controller",
        ),
        (&["--controllers", "0"][..], "--controllers"),
        (&["--controllers", "1099511627776"][..], "--controllers"),
        (&["--controllers", "9"][..], "--controllers"),
    ] {
        let out = tmp("bad.eqb");
        let o = eqisa()
            .args(["assemble", qft.to_str().unwrap()])
            .args(args)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert!(!o.status.success(), "{args:?} accepted");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(option), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?}: output written");
    }
    // A corrupt multi-stream file: a typed error, no output.
    let good = tmp("good.eqb");
    let o = eqisa()
        .args([
            "assemble",
            qft.to_str().unwrap(),
            "--controllers",
            "2",
            "-o",
        ])
        .arg(&good)
        .output()
        .unwrap();
    assert!(o.status.success());
    let mut bytes = std::fs::read(&good).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    let bad = tmp("corrupt.eqb");
    std::fs::write(&bad, &bytes).unwrap();
    let out = tmp("corrupt.qasm");
    let o = eqisa()
        .arg("decode")
        .arg(&bad)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("multi-stream"));
    assert!(!out.exists());
}
