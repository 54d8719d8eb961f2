//! End-to-end tests of `eqisa report`: its numbers are the ones `assemble --pulses` and `pulses`
//! report for the same file, its energy figures are the energy model's evaluation of the events
//! it lists, circuits the device cannot run are skipped, bad files are errors, and `--plot`
//! writes a valid SVG or PNG.

use std::process::{Command, Output};

use eqisa_firmware::energy::{EnergyModel, Events, Stage};
use serde_json::Value;

fn eqisa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eqisa"))
}

/// An example circuit's path, as a command-line argument.
fn example(name: &str) -> String {
    eqisa_test_support::example(name)
        .to_str()
        .expect("utf-8 path")
        .to_string()
}

fn run(args: &[&str]) -> Output {
    eqisa().args(args).output().expect("the binary runs")
}

fn run_json(args: &[&str]) -> Value {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

fn u(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("not an unsigned integer: {v}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Equal up to the last bits: serde_json's default float parser may be one unit in the last
/// place off the shortest representation it printed.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

const INSTRUCTION_ROWS: [&str; 6] = ["binary", "paper", "bzip2", "xz", "zstd", "eqisa"];
const PULSE_ROWS: [&str; 4] = ["raw_samples", "dct", "zstd_samples", "eqisa_pulses"];

#[test]
fn report_numbers_equal_assemble_and_pulses() {
    let file = example("qft4.qasm");
    let report = run_json(&["report", "--json", &file]);
    let asm = run_json(&["assemble", "--pulses", "--json", &file]);
    let pulses = run_json(&["pulses", "--json", &file]);

    let c = &report["circuits"][0];
    assert_eq!(c["file"], file.as_str());
    assert_eq!(c["native_ops"], asm["native_ops"]);
    assert_eq!(c["plays"], pulses["plays"]);
    assert_eq!(c["played_samples"], pulses["samples"]);
    assert_eq!(c["swaps"], pulses["swaps"]);
    assert_eq!(
        u(&c["lines"]),
        pulses["channels"].as_array().expect("channels").len() as u64
    );
    assert!(close(
        f(&c["duration_ns"]),
        u(&pulses["duration_dt"]) as f64 * f(&pulses["dt_ns"])
    ));
    assert_eq!(c["qubits"], 4);

    let e = &c["encodings"];
    let ab = &asm["bits"];
    for (row, key) in [
        ("binary", "binary"),
        ("bzip2", "bzip2"),
        ("xz", "xz"),
        ("zstd", "zstd"),
        ("eqisa", "eqisa"),
        ("paper", "paper_huffman_bzip2"),
    ] {
        assert_eq!(e[row]["bits"], ab[key], "{row}");
        assert_eq!(e[row]["level"], "instruction", "{row}");
    }
    assert_eq!(c["paper_huffman_bits"], ab["paper_huffman"]);
    let pb = &asm["pulses"]["pulse_bits"];
    assert_eq!(pb, &pulses["pulse_bits"]);
    for (row, key) in [
        ("raw_samples", "raw"),
        ("dct", "dct"),
        ("zstd_samples", "zstd"),
        ("eqisa_pulses", "eqisa"),
    ] {
        assert_eq!(e[row]["bits"], pb[key], "{row}");
        assert_eq!(e[row]["level"], "pulse", "{row}");
    }

    // Fidelity: the lowering's bound, the paper's own, and the pulse coder's measured worst.
    for row in INSTRUCTION_ROWS.iter().chain(&PULSE_ROWS) {
        let want = if *row == "paper" {
            &asm["paper_fidelity_bound"]
        } else {
            &asm["fidelity_bound"]
        };
        assert_eq!(&e[row]["fidelity_bound"], want, "{row}");
    }
    assert_eq!(
        e["eqisa_pulses"]["pulse_added_infidelity"],
        asm["pulses"]["max_added_infidelity"]
    );
    assert_eq!(e["eqisa_pulses"]["pulse_infidelity_kind"], "measured");
    assert_eq!(e["dct"]["pulse_infidelity_kind"], "budget");
    assert_eq!(e["binary"]["pulse_infidelity_kind"], "none");

    // The device's waveform memory, coded once, is what `pulses` reports as memory_bits.
    assert_eq!(report["device_memory"]["bits"], pulses["memory_bits"]);

    // The firmware simulation ran the instruction stream alone (the eqisa row's bits) and the
    // whole file (both sections plus the pulse section's framing).
    let fw = &e["eqisa"]["firmware"];
    assert_eq!(fw["file_bits"], e["eqisa"]["bits"]);
    assert_eq!(fw["underruns"], 0);
    assert!(f(&fw["min_link_gbps"]) > 0.0);
    let whole = u(&e["eqisa_pulses"]["firmware"]["file_bits"]);
    assert!(whole > u(&e["eqisa"]["bits"]) + u(&e["eqisa_pulses"]["bits"]));
    assert!(e["binary"]["firmware"].is_null());
}

/// The energy figures are the model's evaluation of the events the report lists, the link rate
/// is bits over the schedule, and the events follow the documented model.
#[test]
fn energy_is_the_model_evaluated_on_the_listed_events() {
    let files = [example("bell.qasm"), example("teleport.qasm3")];
    let mut args = vec!["report", "--json", "--no-memory"];
    args.extend(files.iter().map(String::as_str));
    let report = run_json(&args);
    let model = EnergyModel::default_model().expect("the built-in model");
    let link = f(&report["link_gbps"]);
    assert_eq!(link, 10.0);
    let circuits = report["circuits"].as_array().expect("circuits");
    assert_eq!(circuits.len(), 2);
    for c in circuits {
        let duration_ns = f(&c["duration_ns"]);
        let counts = &c["counts"];
        for row in INSTRUCTION_ROWS.iter().chain(&PULSE_ROWS) {
            let r = &c["encodings"][row];
            if r["bits"].is_null() {
                // The paper's ISA has no classical control: teleport has no paper row.
                assert_eq!(*row, "paper");
                assert!(
                    c["file"]
                        .as_str()
                        .is_some_and(|s| s.ends_with("teleport.qasm3"))
                );
                assert!(r["events"].is_null() && r["energy_j"].is_null());
                continue;
            }
            let events: Events =
                serde_json::from_value(r["events"].clone()).expect("events parse as Events");
            let bits = u(&r["bits"]);
            assert_eq!(events.link_bits, bits, "{row}");
            let gbps = bits as f64 / duration_ns;
            assert!(close(f(&r["link_gbps"]), gbps), "{row}");
            assert_eq!(
                events.link_lanes,
                ((gbps / link).ceil() as u64).max(1),
                "{row}"
            );
            assert_eq!(events.dac_samples, u(&counts["dac_samples"]), "{row}");
            let e = model
                .evaluate(&events, duration_ns * 1e-9)
                .expect("evaluates");
            assert!(close(f(&r["energy_j"]), e.total_energy_j), "{row}");
            assert!(close(f(&r["wall_plug_j"]), e.wall_plug_j), "{row}");
            let at_4k = e.stage(Stage::Stage4K).expect("a 4 K stage");
            assert!(close(f(&r["heat_4k_j"]), at_4k.heat_j), "{row}");
            let qubits = u(&c["qubits"]) as f64;
            assert_eq!(
                u(&r["qubits_per_link"]),
                (link * qubits * duration_ns / bits as f64).floor() as u64,
                "{row}"
            );
            // Instruction-level rows read every played sample from waveform memory.
            if INSTRUCTION_ROWS.contains(row) {
                assert_eq!(
                    events.waveform_memory_read_bits,
                    32 * u(&c["played_samples"]),
                    "{row}"
                );
                assert_eq!(
                    events.multiply_adds,
                    4 * u(&counts["rotated_play_samples"]),
                    "{row}"
                );
            }
        }
        let s = &counts["section"];
        let ours = &c["encodings"]["eqisa_pulses"]["events"];
        assert_eq!(
            u(&ours["multiply_adds"]),
            u(&s["sparse_multiply_adds"]) + 4 * u(&s["rotated_memory_play_samples"])
        );
        assert_eq!(
            u(&c["encodings"]["eqisa"]["events"]["symbols_decoded"]),
            u(&counts["eqisa_decisions"])
        );
        assert_eq!(
            u(&c["encodings"]["raw_samples"]["events"]["multiply_adds"]),
            0
        );
    }
    // Totals: sums of the circuits' figures; the paper's leaves out the circuit it lacks.
    let total = &report["total"]["encodings"];
    for row in ["binary", "eqisa", "eqisa_pulses", "raw_samples"] {
        let bits: u64 = circuits
            .iter()
            .map(|c| u(&c["encodings"][row]["bits"]))
            .sum();
        assert_eq!(u(&total[row]["bits"]), bits, "{row}");
        let energy: f64 = circuits
            .iter()
            .map(|c| f(&c["encodings"][row]["energy_j"]))
            .sum();
        assert!(close(f(&total[row]["energy_j"]), energy), "{row}");
    }
    assert_eq!(
        total["paper"]["bits"],
        circuits[0]["encodings"]["paper"]["bits"]
    );
    assert_eq!(total["paper"]["excludes"], serde_json::json!([files[1]]));
    // The documentation of every row travels with the numbers.
    let docs = report["encodings"].as_array().expect("encodings");
    assert_eq!(docs.len(), 10);
    assert!(
        docs.iter()
            .all(|d| d["event_model"].as_str().is_some_and(|s| !s.is_empty()))
    );
}

#[test]
fn a_circuit_the_device_cannot_run_is_skipped() {
    // lima's own file: an explicit 5-qubit device, which does not grow for adder4's 6 qubits.
    let lima = eqisa_test_support::repo_dir().join("circuits/pulse/devices/default.toml");
    let report = run_json(&[
        "report",
        "--json",
        "--no-memory",
        "--no-paper",
        "--device",
        lima.to_str().expect("utf-8 path"),
        &example("adder4.qasm"),
        &example("bell.qasm"),
    ]);
    let skipped = report["skipped"].as_array().expect("skipped");
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0]["file"]
            .as_str()
            .is_some_and(|s| s.ends_with("adder4.qasm"))
    );
    assert!(
        skipped[0]["reason"]
            .as_str()
            .is_some_and(|s| s.contains("6 qubits")),
        "{}",
        skipped[0]["reason"]
    );
    assert_eq!(report["circuits"].as_array().map(Vec::len), Some(1));
    assert!(report["circuits"][0]["encodings"]["paper"]["bits"].is_null());
}

#[test]
fn bad_files_and_options_are_errors_that_name_them() {
    let out = run(&["report", "no/such/file.qasm", &example("bell.qasm")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no/such/file.qasm"), "{err}");

    let out = run(&["report", "--plot", "out.pdf", &example("bell.qasm")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("out.pdf"));

    let out = run(&["report", "--link-gbps", "0", &example("bell.qasm")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--link-gbps"));

    let dir = std::env::temp_dir().join(format!("eqisa-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let model = dir.join("bad-model.toml");
    std::fs::write(
        &model,
        "[link.room_energy_j_per_bit]\nvalue = -1.0\nsource = \"x\"\n",
    )
    .expect("write model");
    let out = run(&[
        "report",
        "--energy-model",
        model.to_str().expect("utf-8"),
        &example("bell.qasm"),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad-model.toml"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn plot_writes_svg_and_png_and_text_lists_every_row() {
    let dir = std::env::temp_dir().join(format!("eqisa-report-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let svg = dir.join("report.svg");
    let out = run(&[
        "report",
        "--no-memory",
        "--rate-budgets",
        "1e-5,1e-4",
        "--plot",
        svg.to_str().expect("utf-8"),
        &example("bell.qasm"),
        &example("ghz4.qasm3"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for label in [
        "binary",
        "paper",
        "bzip2",
        "xz",
        "zstd",
        "eqisa",
        "raw samples",
        "dct",
        "zstd samples",
        "eqisa pulses",
        "total: 2 circuits",
        "firmware, eqisa",
    ] {
        assert!(text.contains(label), "{label} missing from:\n{text}");
    }
    let body = std::fs::read_to_string(&svg).expect("the SVG was written");
    assert!(body.starts_with("<svg"), "{}", &body[..body.len().min(80)]);
    assert!(body.trim_end().ends_with("</svg>"));
    // Circuits are labelled by their files' stems.
    let label = |l: &str| body.lines().any(|line| line.trim() == l);
    assert!(label("bell") && label("ghz4"));
    assert!(body.contains("eqisa pulses") && body.contains("<rect"));
    // Every element opened is closed.
    assert_eq!(body.matches("<svg").count(), body.matches("</svg>").count());

    let png = dir.join("report.png");
    let out = run(&[
        "report",
        "--no-memory",
        "--no-rate-curve",
        "--plot",
        png.to_str().expect("utf-8"),
        &example("bell.qasm"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&png).expect("the PNG was written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    std::fs::remove_dir_all(&dir).ok();
}
