//! A malformed or inconsistent calibration is an error naming the file and the field.

use eqisa_pulse::{Device, DeviceError, ibm};
use serde_json::json;

const HEAD: &str =
    "name = \"t\"\ndt_ns = 0.5\n[[qubits]]\nfreq_ghz = 5.0\nanharmonicity_ghz = -0.3\n";

/// A one-qubit device whose `x` gate has this schedule entry.
fn with_item(item: &str) -> String {
    format!("{HEAD}\n[[gates]]\nname = \"x\"\nqubits = [0]\nschedule = [\n  {item},\n]\n")
}

fn err(text: &str) -> (DeviceError, String) {
    let e = Device::from_toml(text, "dev.toml").expect_err("invalid");
    let m = e.to_string();
    assert!(m.starts_with("dev.toml: "), "{m}");
    (e, m)
}

#[test]
fn a_valid_minimal_device_loads() {
    let d = Device::from_toml(
        &with_item("{ t0 = 0, play = \"d0\", shape = \"drag\", duration = 16, amp = [0.5, 0.0], sigma = 4.0, beta = 0.1 }"),
        "dev.toml",
    )
    .expect("valid");
    assert_eq!(d.dac_bits, 16, "default DAC resolution");
    assert!(d.gate("x", &[0]).is_some());
    let e = d.require_gate("sx", &[0]).expect_err("missing");
    assert!(matches!(e, DeviceError::MissingGate { .. }));
    assert_eq!(
        e.to_string(),
        "device 't': no calibration for sx on qubit 0"
    );
}

#[test]
fn negative_duration() {
    let (e, m) = err(&with_item("{ t0 = 0, delay = \"d0\", duration = -4 }"));
    assert!(matches!(e, DeviceError::NegativeDuration { .. }), "{m}");
    assert!(m.contains("gates[0] (x on qubit 0).schedule[0]"), "{m}");
}

#[test]
fn amplitude_above_one() {
    let (e, m) = err(&with_item(
        "{ t0 = 0, play = \"d0\", shape = \"gaussian\", duration = 16, amp = [1.2, 0.0], sigma = 4.0 }",
    ));
    assert!(matches!(e, DeviceError::AmplitudeAboveOne { .. }), "{m}");
    assert!(
        m.ends_with("gates[0] (x on qubit 0).schedule[0]: pulse amplitude 1.2 > 1"),
        "{m}"
    );
}

#[test]
fn unknown_shape() {
    let (e, m) = err(&with_item(
        "{ t0 = 0, play = \"d0\", shape = \"sech\", duration = 16, amp = [0.2, 0.0] }",
    ));
    assert!(matches!(e, DeviceError::UnknownShape { .. }), "{m}");
    assert!(m.contains("unknown pulse shape 'sech'"), "{m}");
}

#[test]
fn qubit_and_channel_out_of_range() {
    let text = format!("{HEAD}\n[[gates]]\nname = \"x\"\nqubits = [3]\n");
    let (e, m) = err(&text);
    assert!(
        matches!(e, DeviceError::QubitOutOfRange { qubit: 3, .. }),
        "{m}"
    );
    assert!(
        m.contains("gates[0] (x).qubits: qubit 3 out of range (the device has 1)"),
        "{m}"
    );
    let (e, m) = err(&with_item("{ t0 = 0, shift_phase = \"u0\", phase = 1.0 }"));
    assert!(matches!(e, DeviceError::ChannelOutOfRange { .. }), "{m}");
    assert!(m.contains("channel 'u0'"), "{m}");
    let (e, m) = err(&with_item("{ t0 = 0, shift_phase = \"q0\", phase = 1.0 }"));
    assert!(matches!(e, DeviceError::ChannelOutOfRange { .. }), "{m}");
}

#[test]
fn bad_dt_and_unknown_waveform_and_bad_phase() {
    let (e, m) = err("name = \"t\"\ndt_ns = 0.0\n");
    assert!(matches!(e, DeviceError::BadDt { .. }), "{m}");
    assert!(m.contains("dt_ns"), "{m}");
    let (e, m) = err(&with_item(
        "{ t0 = 0, play = \"d0\", shape = \"sampled\", waveform = \"w\" }",
    ));
    assert!(matches!(e, DeviceError::UnknownWaveform { .. }), "{m}");
    let (e, m) = err(&with_item(
        "{ t0 = 0, shift_phase = \"d0\", phase = \"-Q0\" }",
    ));
    assert!(matches!(e, DeviceError::Invalid { .. }), "{m}");
    let (e, m) = err(&with_item(
        "{ t0 = 0, play = \"d0\", shape = \"gaussian_square\", duration = 16, amp = [0.2, 0.0], sigma = 4.0, width = 20.0 }",
    ));
    assert!(matches!(e, DeviceError::Invalid { .. }), "{m}");
    assert!(m.contains("width"), "{m}");
    let (e, m) = err("name = 3");
    assert!(matches!(e, DeviceError::Parse { .. }), "{m}");
}

/// A one-qubit IBM calibration whose x pulse has the given parameters.
fn ibm_with(params: serde_json::Value, shape: &str) -> Result<Device, DeviceError> {
    let defs = json!({
        "pulse_library": [],
        "cmd_def": [
            {"name": "sx", "qubits": [0], "sequence": []},
            {"name": "x", "qubits": [0], "sequence": [
                {"name": "fc", "t0": 0, "ch": "d0", "phase": "-(P0)"},
                {"name": "parametric_pulse", "t0": 0, "ch": "d0", "pulse_shape": shape, "parameters": params}
            ]}
        ]
    });
    let conf = json!({"backend_name": "fake", "n_qubits": 1, "dt": 0.5, "u_channel_lo": []});
    let props = json!({"qubits": [[
        {"name": "frequency", "unit": "GHz", "value": 5.0},
        {"name": "anharmonicity", "unit": "GHz", "value": -0.3}
    ]]});
    ibm::from_json(
        &defs,
        &conf,
        &props,
        ["defs_fake.json", "conf_fake.json", "props_fake.json"],
    )
    .map(|(d, _)| d)
}

#[test]
fn ibm_errors_name_the_cmd_def() {
    let good = ibm_with(
        json!({"amp": [0.2, 0.1], "duration": 16, "sigma": 4, "beta": 0.5}),
        "drag",
    )
    .expect("valid");
    assert!((good.dt_ns - 0.5).abs() < 1e-15);
    // Qiskit's newer magnitude-and-angle form.
    let polar = ibm_with(
        json!({"amp": 0.5, "angle": std::f64::consts::FRAC_PI_2, "duration": 16, "sigma": 4}),
        "gaussian",
    )
    .expect("valid");
    let x = polar.gate("x", &[0]).expect("x");
    assert!(format!("{:?}", x.items[1]).contains("Gaussian"));
    let e = ibm_with(
        json!({"amp": [1.2, 0.0], "duration": 16, "sigma": 4, "beta": 0.5}),
        "drag",
    )
    .expect_err("too loud");
    assert_eq!(
        e.to_string(),
        "defs_fake.json: cmd_def[1] (x on qubit 0).sequence[1]: pulse amplitude 1.2 > 1"
    );
    let e = ibm_with(
        json!({"amp": [0.2, 0.0], "duration": -16, "sigma": 4}),
        "gaussian",
    )
    .expect_err("negative");
    assert!(matches!(e, DeviceError::NegativeDuration { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("defs_fake.json: cmd_def[1] (x on qubit 0)"),
        "{e}"
    );
    let e = ibm_with(json!({"amp": [0.2, 0.0], "duration": 16}), "sine").expect_err("unknown");
    assert!(matches!(e, DeviceError::UnknownShape { .. }), "{e}");
}

#[test]
fn sizes_and_times_above_the_limits_are_refused_naming_the_field() {
    // A gate duration of 10^9 samples: refused at load, before any sampling allocates it.
    let (e, m) = err(&with_item(
        "{ t0 = 0, play = \"d0\", shape = \"constant\", duration = 1000000000, amp = [0.1, 0.0] }",
    ));
    assert!(matches!(e, DeviceError::Limit { .. }), "{m}");
    assert!(
        m.contains("gates[0] (x on qubit 0).schedule[0]: pulse duration 1000000000 exceeds the limit of 1048576 (MAX_PULSE_SAMPLES)"),
        "{m}"
    );
    // A start 10^15 samples into a gate.
    let (e, m) = err(&with_item(
        "{ t0 = 1000000000000000, delay = \"d0\", duration = 4 }",
    ));
    assert!(matches!(e, DeviceError::Limit { .. }), "{m}");
    assert!(
        m.contains("start t0 1000000000000000 exceeds the limit of 16777216 (MAX_GATE_DT)"),
        "{m}"
    );
    // A dt outside the documented range.
    let (e, m) = err(&with_item("{ t0 = 0, delay = \"d0\", duration = 4 }")
        .replace("dt_ns = 0.5", "dt_ns = 1e-300"));
    assert!(matches!(e, DeviceError::BadDt { .. }), "{m}");
}

/// IBM documents for a one-qubit device with `conf` changed by `edit`.
fn ibm_conf(edit: impl FnOnce(&mut serde_json::Value)) -> Result<Device, DeviceError> {
    let defs = json!({"pulse_library": [], "cmd_def": []});
    let mut conf = json!({"backend_name": "fake", "n_qubits": 1, "dt": 0.5, "u_channel_lo": []});
    edit(&mut conf);
    let props = json!({"qubits": [[{"name": "frequency", "unit": "GHz", "value": 5.0}]]});
    ibm::from_json(
        &defs,
        &conf,
        &props,
        ["defs_f.json", "conf_f.json", "props_f.json"],
    )
    .map(|(d, _)| d)
}

#[test]
fn ibm_qubit_count_is_checked_before_allocating() {
    // 10^12 qubits would allocate per qubit: the limit refuses it first.
    let e = ibm_conf(|c| c["n_qubits"] = json!(1_000_000_000_000u64)).expect_err("too many");
    assert!(matches!(e, DeviceError::Limit { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "conf_f.json: n_qubits: qubit count 1000000000000 exceeds the limit of 16384 (MAX_QUBITS)"
    );
}

#[test]
fn ibm_wrong_types_say_wrong_type_with_the_key_path() {
    let e = ibm_conf(|c| c["dt"] = json!("abc")).expect_err("string dt");
    assert_eq!(
        e.to_string(),
        "conf_f.json: dt: expected a number, found a string"
    );
    let e = ibm_conf(|c| c["n_qubits"] = json!(-1)).expect_err("negative");
    assert!(matches!(e, DeviceError::WrongType { .. }), "{e}");
    // Missing stays missing.
    let e = ibm_conf(|c| {
        c.as_object_mut().map(|o| o.remove("dt"));
    })
    .expect_err("no dt");
    assert_eq!(e.to_string(), "conf_f.json: no 'dt'");
    // Deeper: a parameter of a pulse.
    let e = ibm_with(
        json!({"amp": [0.2, 0.0], "duration": 16, "sigma": "wide"}),
        "gaussian",
    )
    .expect_err("string sigma");
    assert!(
        e.to_string().ends_with(
            "cmd_def[1] (x on qubit 0).sequence[1].parameters.sigma: expected a number, found a string"
        ),
        "{e}"
    );
}

#[test]
fn a_gate_left_out_on_import_says_why_when_it_is_needed() {
    let defs = json!({
        "pulse_library": [],
        "cmd_def": [{"name": "x", "qubits": [0], "sequence": [
            {"name": "CZ90_u0", "t0": 0, "ch": "d0"}
        ]}]
    });
    let conf = json!({"backend_name": "fake", "n_qubits": 1, "dt": 0.5, "u_channel_lo": []});
    let props = json!({"qubits": [[{"name": "frequency", "unit": "GHz", "value": 5.0}]]});
    let (d, report) =
        ibm::from_json(&defs, &conf, &props, ["defs_f.json", "c", "p"]).expect("imports");
    assert_eq!(report.dropped_gates.len(), 1);
    let e = d.require_gate("x", &[0]).expect_err("left out");
    assert_eq!(
        e.to_string(),
        "device 'fake': no calibration for x on qubit 0: left out on import: cmd_def[0] (x on qubit 0): plays waveform 'CZ90_u0', which pulse_library lacks"
    );
    // Our TOML keeps the reason.
    let back = Device::from_toml(&d.to_toml(), "back.toml").expect("round trip");
    assert_eq!(back, d);
}

/// Two plays of one gate that overlap on a channel are refused at load, naming both, before any
/// sample is rendered (a thousand overlapping 2^20-sample plays once rendered 2.4 GB first);
/// back-to-back plays and plays on other channels are fine.
#[test]
fn overlapping_plays_on_one_channel_are_refused_at_load() {
    let play = |t0: u32, ch: &str| {
        format!(
            "{{ t0 = {t0}, play = \"{ch}\", shape = \"constant\", duration = 16, amp = [0.1, 0.0] }}"
        )
    };
    let items = [play(0, "d0"), play(8, "d0")].join(",\n  ");
    let (_, m) = err(&with_item(&items));
    assert!(
        m.contains("gates[0] (x on qubit 0).schedule[1]")
            && m.contains("schedule[0] plays there until 16"),
        "{m}"
    );
    let items = [play(0, "d0"), play(16, "d0"), play(0, "m0")].join(",\n  ");
    Device::from_toml(&with_item(&items), "dev.toml").expect("back to back, other channel");
}
