//! `eqisa firmware` (and its alias `simulate`) on real programs: underruns appear below the `min_link_gbps` it computes and
//! never at or above it, and its energy equals the model's parameters times the counted events.

use std::path::PathBuf;
use std::process::Command;

use eqisa_test_support::example;

fn eqisa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eqisa"))
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eqisa-simulate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

fn json(cmd: &mut Command) -> serde_json::Value {
    let o = cmd.output().expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("JSON")
}

fn simulate(eqb: &PathBuf, link_gbps: f64) -> serde_json::Value {
    json(
        eqisa()
            .arg("simulate")
            .arg(eqb)
            .args(["--json", "--link-gbps", &link_gbps.to_string()]),
    )
}

#[test]
fn underruns_start_below_the_minimum_link_rate() {
    let src = example("qft4.qasm");
    for (pulses, name) in [(false, "instr"), (true, "pulses")] {
        let eqb = tmp(&format!("qft4-{name}.eqb"));
        let mut cmd = eqisa();
        cmd.arg("assemble")
            .arg(&src)
            .args(["--no-paper", "--json", "-o"])
            .arg(&eqb);
        if pulses {
            cmd.arg("--pulses");
        }
        json(&mut cmd);
        let first = simulate(&eqb, 10.0);
        for key in ["underruns", "peak_fifo_bits", "min_link_gbps", "latency_ns"] {
            assert!(first.get(key).is_some(), "missing {key}");
        }
        let min = first["min_link_gbps"]
            .as_f64()
            .expect("a link rate suffices");
        // The exact rate and anything faster play without underruns; half of it does not.
        for rate in [min, min * 1.5, 100.0] {
            let r = simulate(&eqb, rate);
            assert_eq!(
                r["underruns"], 0,
                "{name}: underruns at {rate} Gb/s (min {min})"
            );
        }
        let slow = simulate(&eqb, min * 0.5);
        assert!(
            slow["underruns"].as_u64().expect("count") > 0,
            "{name}: no underruns at half the minimum rate {min}"
        );
        // Energy: each event kind's energy is its count times its parameter (dyadic values,
        // so the products are exact), through the CLI's --energy-model override.
        let model = tmp("model.toml");
        std::fs::write(
            &model,
            "[decoder]\nenergy_j_per_instruction = 0.5\n\
             [reconstruction]\nenergy_j_per_multiply_add = 0.25\n\
             [dac]\nenergy_j_per_sample = 2.0\n\
             [waveform_memory]\nenergy_j_per_bit = 0.125\n",
        )
        .expect("writes");
        let r = json(
            eqisa()
                .arg("firmware")
                .arg(&eqb)
                .arg("--json")
                .arg("--energy-model")
                .arg(&model),
        );
        let count = |k: &str| r["events"][k].as_u64().expect("count") as f64;
        let kind = |k: &str| r["energy"]["by_kind"][k].as_f64().expect("energy");
        assert_eq!(
            kind("decoder_instructions_j"),
            count("instructions_decoded") * 0.5
        );
        assert_eq!(kind("multiply_add_j"), count("multiply_adds") * 0.25);
        assert_eq!(kind("dac_j"), count("dac_samples") * 2.0);
        assert_eq!(
            kind("waveform_memory_j"),
            count("waveform_memory_read_bits") * 0.125
        );
        assert_eq!(r["events"]["link_bits"], r["link_bits"]);
        assert!(count("link_bits") > 0.0);
        if pulses {
            assert!(count("dac_samples") > 0.0 && count("multiply_adds") > 0.0);
        }
    }
}

#[test]
fn the_programs_recorded_dt_times_its_plays() {
    // The embedded device at dt = 0.5 ns instead of 2/9 ns.
    let text = include_str!("../circuits/pulse/devices/default.toml");
    let device: String = text
        .lines()
        .map(|l| {
            if l.starts_with("dt_ns =") {
                "dt_ns = 0.5\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let dev = tmp("dt05.toml");
    std::fs::write(&dev, device).expect("write");
    let eqb = tmp("bell-dt05.eqb");
    let o = eqisa()
        .arg("assemble")
        .arg(example("bell.qasm"))
        .args(["--pulses", "--device"])
        .arg(&dev)
        .arg("-o")
        .arg(&eqb)
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let plain = json(eqisa().arg("simulate").arg(&eqb).arg("--json"));
    assert_eq!(plain["dt_ns"], 0.5, "the recorded dt");
    let last_end_samples = 24_416.0; // 12,208 ns at 0.5 ns per sample
    assert_eq!(plain["schedule_ns"], last_end_samples * 0.5);
    // Asking for the recorded dt is fine; another one is refused, naming both.
    let same = json(
        eqisa()
            .arg("simulate")
            .arg(&eqb)
            .args(["--json", "--dt-ns", "0.5"]),
    );
    assert_eq!(same["schedule_ns"], plain["schedule_ns"]);
    let o = eqisa()
        .arg("simulate")
        .arg(&eqb)
        .args(["--dt-ns", "0.2222"])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("dt_ns = 0.2222 disagrees with the program's recorded dt of 0.5 ns"),
        "{err}"
    );
}

#[test]
fn an_energy_model_that_would_overflow_is_refused_naming_the_key() {
    let eqb = tmp("bell-energy.eqb");
    let o = eqisa()
        .arg("assemble")
        .arg(example("bell.qasm"))
        .arg("-o")
        .arg(&eqb)
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let model = tmp("overflow.toml");
    std::fs::write(&model, "[dac]\nenergy_j_per_sample = 1e300\n").expect("write");
    let o = eqisa()
        .arg("simulate")
        .arg(&eqb)
        .arg("--energy-model")
        .arg(&model)
        .arg("--json")
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(o.stdout.is_empty(), "no inf/null printed");
    assert!(
        err.contains("overflow.toml: field `dac.energy_j_per_sample` = 1e300"),
        "{err}"
    );
    assert!(err.contains("MAX_PARAM"), "{err}");
}
