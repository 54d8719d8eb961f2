//! Device calibrations: every IBM calibration of `../shared/corpus/devices/ibm` imports (skipped
//! when the corpus is absent), survives our TOML format unchanged, and the embedded default
//! device is what its header says it is.

use std::path::PathBuf;

use eqisa_pulse::{Device, ScheduleItem, ibm};
use eqisa_test_support::{corpus_path, ibm_calibrations};

/// `../shared/corpus/devices/ibm`, or `None` (with a note) when absent.
fn ibm_dir() -> Option<PathBuf> {
    let lima = corpus_path("devices/ibm/defs_lima.json")?;
    lima.parent().map(PathBuf::from)
}

#[test]
fn every_ibm_calibration_imports_and_round_trips_through_toml() {
    let Some(files) = ibm_calibrations() else {
        return;
    };
    assert_eq!(files.len(), 36, "the corpus has 36 IBM devices");
    for path in &files {
        let (d, report) = ibm::import(path).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            d.dt_ns > 0.05 && d.dt_ns < 10.0,
            "{}: dt {}",
            d.name,
            d.dt_ns
        );
        assert!(!d.qubits.is_empty());
        assert!(d.gate("x", &[0]).is_some(), "{}: x on qubit 0", d.name);
        for q in &d.qubits {
            assert!(q.freq_ghz > 3.0 && q.freq_ghz < 8.0, "{}: {q:?}", d.name);
            assert!(q.anharmonicity_ghz < 0.0, "{}: {q:?}", d.name);
        }
        // Every pulse samples within |s| <= 1.
        for g in &d.gates {
            for it in &g.items {
                if let ScheduleItem::Play { shape, .. } = it {
                    shape.samples(&d.library).unwrap_or_else(|e| {
                        panic!("{}: {} on {:?}: {e}", d.name, g.name, g.qubits)
                    });
                }
            }
        }
        let text = d.to_toml();
        let back = Device::from_toml(&text, "round trip").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, d, "{}: TOML round trip", d.name);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        match name {
            "defs_poughkeepsie.json" => {
                assert!(report.dt_in_seconds);
                assert!((d.dt_ns - 3.5555555555555554).abs() < 1e-9);
                assert_eq!(report.assumed_anharmonicity.len(), 20);
            }
            // cz (300 pairs) and id (133 qubits) play CZ90_uN / QId waveforms it does not publish.
            "defs_torino.json" => assert_eq!(report.dropped_gates.len(), 433),
            _ => {
                assert!(report.dropped_gates.is_empty(), "{name}: {report:?}");
                assert!(!report.dt_in_seconds);
            }
        }
    }
}

#[test]
fn control_channels_follow_the_cross_resonance_gates() {
    let Some(dir) = ibm_dir() else { return };
    let d = Device::from_file(&dir.join("defs_lima.json")).expect("lima");
    // conf_lima: u0 operates [0, 1] at qubit 1's frequency, and cx(0,1) plays on u0.
    assert_eq!(d.control_channels.len(), 8);
    let u0 = d.control_channels[0];
    assert_eq!((u0.line, u0.freq_qubit), (0, 1));
    let u1 = d.control_channels[1];
    assert_eq!((u1.line, u1.freq_qubit), (1, 0));
    assert!((d.dt_ns - 0.2222222222222222).abs() < 1e-15);
    assert!((d.qubits[0].freq_ghz - 5.02968554992376).abs() < 1e-12);
    assert!((d.qubits[0].anharmonicity_ghz + 0.33574155258829724).abs() < 1e-12);
}

#[test]
fn the_embedded_default_is_lima_without_redundant_gates() {
    let d = Device::default_device();
    assert_eq!(d.name, "ibmq_lima");
    assert_eq!(d.qubits.len(), 5);
    for name in ["u1", "u2", "u3", "id"] {
        assert!(d.gates.iter().all(|g| g.name != name), "{name} dropped");
    }
    for q in 0..5 {
        for name in ["x", "sx", "rz", "measure"] {
            assert!(d.gate(name, &[q]).is_some(), "{name} on {q}");
        }
    }
    assert!(d.gate("cx", &[0, 1]).is_some());
    let Some(dir) = ibm_dir() else { return };
    let (mut lima, _) = ibm::import(&dir.join("defs_lima.json")).expect("lima");
    lima.gates
        .retain(|g| !["u1", "u2", "u3", "id"].contains(&g.name.as_str()));
    lima.library.clear();
    assert_eq!(d, lima, "default.toml is defs_lima.json converted");
}
