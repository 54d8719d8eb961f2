//! `eqisa pulses`: the `.npy` it writes (header, dtype, shape) agrees with its JSON report, and
//! a bad device file is named in the error.

use std::path::PathBuf;
use std::process::Command;

use eqisa_test_support::example;

fn eqisa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eqisa"))
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eqisa-pulses-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// The `.npy` header dictionary (format 1.0/2.0) and the data offset.
fn npy_header(bytes: &[u8]) -> (String, usize) {
    assert_eq!(&bytes[..6], b"\x93NUMPY", "magic");
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
    };
    let header = String::from_utf8(bytes[start..start + len].to_vec()).expect("ascii header");
    (header, start + len)
}

#[test]
fn npy_has_one_complex128_row_per_channel() {
    for (direct, name) in [(false, "cal"), (true, "direct")] {
        let out = tmp(&format!("qft4-{name}.npy"));
        let src = example("qft4.qasm");
        let mut cmd = eqisa();
        cmd.args(["pulses", src.to_str().expect("utf-8"), "--json", "-o"])
            .arg(&out);
        if direct {
            cmd.arg("--direct");
        }
        let o = cmd.output().expect("runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        for key in [
            "device",
            "mode",
            "dt_ns",
            "channels",
            "plays",
            "waveforms",
            "duration_dt",
            "samples",
        ] {
            assert!(report.get(key).is_some(), "missing key {key}");
        }
        assert_eq!(report["device"], "ibmq_lima");
        assert_eq!(
            report["mode"],
            if direct {
                "direct-rotation"
            } else {
                "calibrated"
            }
        );
        let channels = report["channels"].as_array().expect("list").len();
        let duration = report["duration_dt"].as_u64().expect("number") as usize;
        assert!(channels > 0 && duration > 0);
        let bytes = std::fs::read(&out).expect("npy written");
        let (header, data) = npy_header(&bytes);
        assert!(header.contains("'descr': '<c16'"), "{header}");
        assert!(header.contains("'fortran_order': False"), "{header}");
        assert!(
            header.contains(&format!("'shape': ({channels}, {duration})")),
            "{header}"
        );
        assert_eq!(bytes.len() - data, channels * duration * 16);
        // Samples within the DAC range, and not all zero.
        let mut nonzero = 0;
        for c in bytes[data..].chunks_exact(16) {
            let re = f64::from_le_bytes(c[..8].try_into().expect("8 bytes"));
            let im = f64::from_le_bytes(c[8..].try_into().expect("8 bytes"));
            assert!((re * re + im * im).sqrt() <= 1.0 + 1e-9);
            nonzero += usize::from(re != 0.0 || im != 0.0);
        }
        assert!(nonzero > 0);
    }
}

#[test]
fn text_report_and_bad_device_errors() {
    let src = example("bell.qasm");
    let o = eqisa()
        .args(["pulses", src.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for label in [
        "device",
        "mode",
        "channels",
        "plays",
        "waveforms",
        "duration",
        "samples",
    ] {
        assert!(text.contains(label), "{label} in {text}");
    }
    let bad = tmp("bad.toml");
    std::fs::write(
        &bad,
        "name = \"b\"\ndt_ns = 0.5\n[[qubits]]\nfreq_ghz = 5.0\nanharmonicity_ghz = -0.3\n[[gates]]\nname = \"x\"\nqubits = [0]\nschedule = [{ t0 = 0, play = \"d0\", shape = \"gaussian\", duration = 8, amp = [1.5, 0.0], sigma = 2.0 }]\n",
    )
    .expect("write");
    let o = eqisa()
        .args(["pulses", src.to_str().expect("utf-8"), "--device"])
        .arg(&bad)
        .output()
        .expect("runs");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.toml: gates[0] (x on qubit 0).schedule[0]: pulse amplitude 1.5 > 1"),
        "{err}"
    );
}

/// `assemble --pulses` then `decode --samples`: the decoded DAC codes, channel by channel, are
/// the played waveforms within the coding error (and exactly idle where nothing plays), and the
/// instruction stream still decodes.
#[test]
fn assembled_pulses_decode_to_the_played_samples() {
    let src = example("qft4.qasm");
    let (eqb, got, want) = (tmp("qft4.eqb"), tmp("qft4-dec.npy"), tmp("qft4-ref.npy"));
    let run = |args: &[&std::ffi::OsStr]| {
        let o = eqisa().args(args).output().expect("runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("JSON")
    };
    let s = |v: &str| std::ffi::OsString::from(v);
    let asm = run(&[
        s("assemble").as_os_str(),
        src.as_os_str(),
        s("--pulses").as_os_str(),
        s("--direct").as_os_str(),
        s("--no-paper").as_os_str(),
        s("--json").as_os_str(),
        s("-o").as_os_str(),
        eqb.as_os_str(),
    ]);
    let pulses = &asm["pulses"];
    assert!(pulses["pulse_bits"]["eqisa"].as_u64().expect("bits") > 0);
    assert!(pulses["max_added_infidelity"].as_f64().expect("infid") <= 1e-5);
    let dec = run(&[
        s("decode").as_os_str(),
        eqb.as_os_str(),
        s("--json").as_os_str(),
        s("--samples").as_os_str(),
        got.as_os_str(),
    ]);
    let reference = run(&[
        s("pulses").as_os_str(),
        src.as_os_str(),
        s("--direct").as_os_str(),
        s("--no-memory").as_os_str(),
        s("--json").as_os_str(),
        s("-o").as_os_str(),
        want.as_os_str(),
    ]);
    assert_eq!(dec["pulses"]["channels"], reference["channels"]);
    assert_eq!(dec["native_ops"], asm["native_ops"]);
    let got: ndarray::Array3<i16> = ndarray_npy::read_npy(&got).expect("decoded npy");
    let want: ndarray::Array2<num_complex::Complex64> =
        ndarray_npy::read_npy(&want).expect("reference npy");
    // The decoded rows end with the last play; the schedule may idle after it.
    assert_eq!(got.shape()[0], want.shape()[0]);
    let played = got.shape()[1];
    assert!(played <= want.shape()[1]);
    for row in want.outer_iter() {
        assert!(row.iter().skip(played).all(|v| v.norm_sqr() == 0.0));
    }
    for (ch, (g, w)) in got.outer_iter().zip(want.outer_iter()).enumerate() {
        let (mut err, mut energy) = (0.0, 0.0);
        for (gs, ws) in g.outer_iter().zip(w.iter()) {
            let d = num_complex::Complex64::new(f64::from(gs[0]), f64::from(gs[1])) / 32767.0;
            if *ws == num_complex::Complex64::new(0.0, 0.0) {
                // Idle stays idle, bit for bit.
                assert_eq!((gs[0], gs[1]), (0, 0), "channel {ch} plays while idle");
            }
            err += (d - ws).norm_sqr();
            energy += ws.norm_sqr();
        }
        assert!(energy > 0.0, "channel {ch} never plays");
        assert!(
            err / energy < 1e-4,
            "channel {ch}: relative squared error {}",
            err / energy
        );
    }
}

/// Writes `text` to a temporary file named `name` and returns its path.
fn write(name: &str, text: &str) -> PathBuf {
    let p = tmp(name);
    std::fs::write(&p, text).expect("write");
    p
}

/// The embedded default device with its `dt_ns` (and optionally `dac_bits`) replaced.
fn device_with(name: &str, dt_ns: f64, dac_bits: u8) -> PathBuf {
    let text = include_str!("../circuits/pulse/devices/default.toml");
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("dt_ns =") {
            out.push_str(&format!("dt_ns = {dt_ns}\n"));
        } else if line.starts_with("dac_bits =") {
            out.push_str(&format!("dac_bits = {dac_bits}\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    write(name, &out)
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let o = cmd.output().expect("runs");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_runaway_delay_is_refused_naming_the_op_and_the_limit() {
    let src = write(
        "runaway.qasm",
        "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[1] q;\nx q[0];\ndelay[1e18dt] q[0];\nx q[0];\n",
    );
    let (ok, _, err) = run(eqisa().arg("pulses").arg(&src).arg("--no-memory"));
    assert!(!ok);
    assert!(err.contains("runaway.qasm: op 1 (delay)"), "{err}");
    assert!(err.contains("limit of 16777216 samples"), "{err}");
    assert!(err.contains("--max-schedule-dt"), "{err}");
    // The limit is the flag's: a lower one refuses a delay the default allows.
    let src = write(
        "delay1000.qasm",
        "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[1] q;\ndelay[1000dt] q[0];\nx q[0];\n",
    );
    let (ok, _, err) =
        run(eqisa()
            .arg("pulses")
            .arg(&src)
            .args(["--no-memory", "--max-schedule-dt", "500"]));
    assert!(!ok && err.contains("op 0 (delay)"), "{err}");
}

#[test]
fn npy_output_is_checked_against_the_file_limit_before_allocating() {
    let src = write(
        "longdelay.qasm",
        "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[1] q;\nx q[0];\ndelay[1000000dt] q[0];\nx q[0];\n",
    );
    let out = tmp("longdelay.npy");
    let (ok, _, err) = run(eqisa()
        .args(["--max-file-mb", "1", "pulses"])
        .arg(&src)
        .arg("--no-memory")
        .arg("-o")
        .arg(&out));
    assert!(!ok);
    assert!(err.contains("above the file-size limit of 1 MiB"), "{err}");
    assert!(err.contains("--max-file-mb"), "{err}");
    assert!(!out.exists());
}

#[test]
fn delays_in_dt_count_the_devices_samples() {
    let src = write(
        "dt1000.qasm",
        "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[1] q;\ndelay[1000dt] q[0];\nx q[0];\n",
    );
    // The embedded device (dt 2/9 ns) and one at 0.5 ns: 1000 of the device's samples either
    // way, then the x pulse (160 samples).
    for device in [None, Some(device_with("dt05.toml", 0.5, 16))] {
        let mut cmd = eqisa();
        cmd.arg("pulses").arg(&src).args(["--no-memory", "--json"]);
        if let Some(d) = &device {
            cmd.arg("--device").arg(d);
        }
        let (ok, out, err) = run(&mut cmd);
        assert!(ok, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        assert_eq!(v["duration_dt"], 1160, "{device:?}: {out}");
    }
}

#[test]
fn a_narrower_dac_plays_its_own_codes() {
    let src = example("bell.qasm");
    let mut samples = Vec::new();
    for bits in [1u8, 4, 16] {
        let dev = device_with(&format!("dac{bits}.toml"), 2.0 / 9.0, bits);
        let eqb = tmp(&format!("bell-dac{bits}.eqb"));
        let npy = tmp(&format!("bell-dac{bits}.npy"));
        let (ok, _, err) = run(eqisa()
            .arg("assemble")
            .arg(&src)
            .args(["--pulses", "--device"])
            .arg(&dev)
            .arg("-o")
            .arg(&eqb));
        assert!(ok, "{err}");
        let (ok, _, err) = run(eqisa().arg("decode").arg(&eqb).arg("--samples").arg(&npy));
        assert!(ok, "{err}");
        let bytes = std::fs::read(&npy).expect("npy");
        let (_, at) = npy_header(&bytes);
        let codes: Vec<i16> = bytes[at..]
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        // Every code a b-bit DAC plays is a multiple of 2^(16 - b) in its b-bit range.
        let step = 1i32 << (16 - bits);
        let (lo, hi) = (-(1i32 << 15), (1i32 << 15) - step);
        for &c in &codes {
            let c = i32::from(c);
            assert!(
                c % step == 0 && (lo..=hi).contains(&c),
                "{bits}-bit code {c}"
            );
        }
        samples.push(codes);
    }
    assert_ne!(samples[0], samples[2], "1-bit and 16-bit codes differ");
    assert_ne!(samples[1], samples[2], "4-bit and 16-bit codes differ");
    assert!(
        samples[2].iter().any(|c| c % 16 != 0),
        "16-bit codes use the low bits"
    );
}
