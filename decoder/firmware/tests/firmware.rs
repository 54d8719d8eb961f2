//! The firmware simulation: the link rate it computes is exactly the threshold of its own
//! underruns (on the example circuits with the default codebook, on a program with a pulse
//! section lowered on the default device, and on multi-block synthetic programs), the same
//! inputs give the same report, and bad input is an error, never a panic.

use eqisa_assembler::assemble_with_pulses;
use eqisa_assembler::pulses::{DEFAULT_MAX_INFIDELITY, Physics, WaveformCoder, encode_program};
use eqisa_firmware::synthetic::{SyntheticSpec, synthetic_program};
use eqisa_firmware::{FirmwareError, FirmwareParams, FirmwareReport, simulate};
use eqisa_isa::codebook::Codebook;
use eqisa_isa::pulse::AtomSet;
use eqisa_lower::clifford_t::{Budget, Synth};
use eqisa_lower::route::{Coupling, route};
use eqisa_lower::target::{TargetDesc, TargetKind, TwoQubit};
use eqisa_lower::{LowerOptions, lower};
use eqisa_pulse::{Device, PulseMode, lower_to_pulses};
use eqisa_test_support::{example, example_files};

/// The embedded default codebook, as the CLI loads it.
const DEFAULT_CODEBOOK: &[u8] = include_bytes!("../../../codebooks/default.eqcb");

struct Cb {
    codebook: Codebook,
    atoms: Option<AtomSet>,
    hash: [u8; 32],
}

fn default_codebook() -> Cb {
    let (codebook, atoms, hash) =
        Codebook::parse_with_pulse_atoms(DEFAULT_CODEBOOK).expect("the default codebook parses");
    Cb {
        codebook,
        atoms,
        hash,
    }
}

fn options() -> LowerOptions {
    LowerOptions {
        synth: Synth::Gridsynth,
        budget: Budget::Fidelity(0.99),
    }
}

fn sim(bytes: &[u8], cb: &Cb, params: &FirmwareParams) -> FirmwareReport {
    simulate(
        bytes,
        &cb.codebook.priors,
        cb.hash,
        cb.atoms.as_ref(),
        params,
    )
    .expect("simulates")
}

fn at_bps(params: &FirmwareParams, bps: u64) -> FirmwareParams {
    FirmwareParams {
        link_gbps: bps as f64 / 1e9,
        ..params.clone()
    }
}

/// The CI check: no underrun at the computed rate (nor above it), at least one a bit per second
/// below it; or, when the report says no rate is enough, underruns even on the fastest link.
/// Returns the rate in bits per second.
fn check_threshold(bytes: &[u8], cb: &Cb, params: &FirmwareParams, what: &str) -> Option<u64> {
    let r = sim(bytes, cb, params);
    let Some(gbps) = r.min_link_gbps else {
        let fastest = sim(bytes, cb, &at_bps(params, 1_000_000_000_000_000));
        assert!(
            fastest.underruns > 0,
            "{what}: no rate, yet none underruns at 1 Pb/s"
        );
        eprintln!("{what}: no link rate is enough");
        return None;
    };
    let bps = (gbps * 1e9).round() as u64;
    assert!(bps > 0, "{what}: a program with deadlines needs some link");
    let at = sim(bytes, cb, &at_bps(params, bps));
    assert_eq!(at.underruns, 0, "{what}: underruns at {gbps} Gb/s");
    assert_eq!(
        at.min_link_gbps, r.min_link_gbps,
        "{what}: the rate does not depend on the rate"
    );
    assert_eq!(
        Some(at.peak_fifo_bits),
        r.peak_fifo_bits_at_min_link,
        "{what}: the FIFO replayed at the lowest rate"
    );
    let faster = sim(bytes, cb, &at_bps(params, bps * 2));
    assert_eq!(faster.underruns, 0, "{what}: underruns at twice the rate");
    let slower = sim(bytes, cb, &at_bps(params, bps - 1));
    assert!(
        slower.underruns > 0,
        "{what}: no underrun at {} b/s, below the minimum {bps}",
        bps - 1
    );
    assert!(slower.worst_lateness_ns.is_some_and(|w| w > 0.0), "{what}");
    let well_below = sim(bytes, cb, &at_bps(params, (bps / 2).max(1)));
    assert!(well_below.underruns >= slower.underruns, "{what}: monotone");
    eprintln!(
        "{what}: {} bytes, min link {gbps} Gb/s, latency {:?} ns, peak FIFO {} bits",
        bytes.len(),
        at.latency_ns,
        at.peak_fifo_bits
    );
    Some(bps)
}

/// Bisection over the simulation itself: the smallest rate (b/s) without underruns.
fn bisect_bps(bytes: &[u8], cb: &Cb, params: &FirmwareParams) -> u64 {
    let (mut lo, mut hi) = (1u64, 1_000_000_000_000_000u64);
    assert!(sim(bytes, cb, &at_bps(params, hi)).underruns == 0);
    if sim(bytes, cb, &at_bps(params, lo)).underruns == 0 {
        return lo;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if sim(bytes, cb, &at_bps(params, mid)).underruns == 0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

#[test]
fn example_circuits_underrun_exactly_below_their_min_link_rate() {
    let cb = default_codebook();
    let params = FirmwareParams::default();
    let mut simulated = 0;
    for path in example_files() {
        let circuit = eqisa_qasm::parse_file(&path).expect("parses");
        for kind in [TargetKind::Native, TargetKind::CliffordT] {
            let target = TargetDesc::default_for(kind);
            let Ok(lowered) = lower(&circuit, &target, &options()) else {
                continue;
            };
            let asm = eqisa_assembler::assemble(&lowered.program, &target, &cb.codebook, cb.hash)
                .expect("assembles");
            let what = format!("{} ({kind:?})", path.display());
            let r = sim(&asm.bytes, &cb, &params);
            assert_eq!(r.instructions_decoded, lowered.program.ops.len() as u64);
            assert_eq!(r.plays, 0);
            assert_eq!(r.link_bits, 8 * asm.bytes.len() as u64);
            // The default 100 µs head start is enough for every example.
            let bps = check_threshold(&asm.bytes, &cb, &params, &what).expect("a rate");
            // A shorter head start needs a faster link, or no link is fast enough (the
            // stream's order is not the schedule's: an instruction due early can come after
            // more decoding work than the head start covers).
            for startup_ns in [1_000.0, 20_000.0] {
                let tight = FirmwareParams {
                    startup_ns,
                    ..params.clone()
                };
                if let Some(tight_bps) = check_threshold(&asm.bytes, &cb, &tight, &what) {
                    assert!(tight_bps >= bps);
                }
            }
            simulated += 1;
        }
    }
    assert!(
        simulated >= 6,
        "only {simulated} example programs simulated"
    );
}

#[test]
fn the_closed_form_rate_is_what_bisection_over_the_simulation_finds() {
    let cb = default_codebook();
    let circuit = eqisa_qasm::parse_file(example("qft4.qasm")).expect("parses");
    let target = TargetDesc::default_for(TargetKind::CliffordT);
    let lowered = lower(&circuit, &target, &options()).expect("lowers");
    let asm = eqisa_assembler::assemble(&lowered.program, &target, &cb.codebook, cb.hash)
        .expect("assembles");
    for startup_ns in [20_000.0, 100_000.0] {
        let params = FirmwareParams {
            startup_ns,
            ..FirmwareParams::default()
        };
        let closed = sim(&asm.bytes, &cb, &params).min_link_gbps.expect("a rate");
        assert_eq!(
            (closed * 1e9).round() as u64,
            bisect_bps(&asm.bytes, &cb, &params)
        );
    }
    // A multi-block program, whose blocks arrive and decode one after another.
    let spec = SyntheticSpec {
        qubits: 32,
        duration_ns: 2e6,
        shot_ns: 20_000.0,
        layers: 4,
        pulses: false,
        dt_ns: 0.2222,
    };
    let bytes = synthetic_program(&spec, &cb.codebook.priors, cb.hash).expect("builds");
    let params = FirmwareParams {
        startup_ns: 20_000.0,
        ..FirmwareParams::default()
    };
    let closed = sim(&bytes, &cb, &params).min_link_gbps.expect("a rate");
    assert_eq!(
        (closed * 1e9).round() as u64,
        bisect_bps(&bytes, &cb, &params)
    );
}

#[test]
fn no_head_start_means_no_link_is_fast_enough() {
    let cb = default_codebook();
    let circuit = eqisa_qasm::parse_file(example("bell.qasm")).expect("parses");
    let target = TargetDesc::default_for(TargetKind::Native);
    let lowered = lower(&circuit, &target, &options()).expect("lowers");
    let asm = eqisa_assembler::assemble(&lowered.program, &target, &cb.codebook, cb.hash)
        .expect("assembles");
    let params = FirmwareParams {
        startup_ns: 0.0,
        link_gbps: 1e5,
        ..FirmwareParams::default()
    };
    let r = sim(&asm.bytes, &cb, &params);
    assert_eq!(r.min_link_gbps, None);
    assert!(r.underruns > 0);
    // The shortest head start the report names is enough, and 1 fs less is not.
    let min_startup = r.min_startup_ns.expect("a start-up delay");
    let ok = sim(
        &asm.bytes,
        &cb,
        &FirmwareParams {
            startup_ns: min_startup,
            ..params.clone()
        },
    );
    assert_eq!(ok.underruns, 0);
    let short = sim(
        &asm.bytes,
        &cb,
        &FirmwareParams {
            startup_ns: min_startup - 1e-6,
            ..params
        },
    );
    assert!(short.underruns > 0);
}

/// bell.qasm lowered, routed and played on the default device, with its pulse section coded
/// with the default codebook's atoms (what `eqisa assemble --pulses` writes).
fn pulse_program(cb: &Cb, name: &str) -> (Vec<u8>, f64, usize, u64) {
    let device = Device::default_device();
    let circuit = eqisa_qasm::parse_file(example(name)).expect("parses");
    let mut target = TargetDesc::default_for(TargetKind::Native);
    // As `eqisa assemble --pulses` does: the program records the device's dt.
    target.dt_ns = device.dt_ns;
    target.two_qubit = match device.two_qubit_gate() {
        Some("ecr") => TwoQubit::Ecr,
        _ => TwoQubit::Cz,
    };
    let lowered = lower(&circuit, &target, &options()).expect("lowers");
    let coupling = Coupling::from_pairs(device.num_qubits(), device.coupled_pairs());
    let routed = route(&lowered.program, &coupling, &target).expect("routes");
    let pulses = lower_to_pulses(&routed.program, &device, PulseMode::Calibrated).expect("pulses");
    let physics = Physics::new(&device, 3).expect("physics");
    let coder = WaveformCoder::new(cb.atoms.as_ref(), DEFAULT_MAX_INFIDELITY).expect("coder");
    let enc = encode_program(&pulses, &device, &physics, &coder).expect("encodes");
    let asm = assemble_with_pulses(
        &routed.program,
        &target,
        &cb.codebook,
        cb.hash,
        Some(enc.payload),
    )
    .expect("assembles");
    (
        asm.bytes,
        pulses.dt_ns,
        pulses.plays.len(),
        pulses.played_samples(),
    )
}

#[test]
fn a_program_with_pulses_underruns_exactly_below_its_min_link_rate() {
    let cb = default_codebook();
    assert!(
        cb.atoms.is_some(),
        "the default codebook carries pulse atoms"
    );
    let (bytes, dt_ns, plays, samples) = pulse_program(&cb, "bell.qasm");
    let params = FirmwareParams {
        dt_ns: Some(dt_ns),
        ..FirmwareParams::default()
    };
    let r = sim(&bytes, &cb, &params);
    assert_eq!(r.plays, plays as u64);
    assert_eq!(r.played_samples, samples);
    assert!(r.memory_waveforms > 0 && r.reconstructed_samples > 0);
    assert!(r.multiply_adds > 0 && r.memory_read_samples > 0);
    assert!(r.dac_samples >= r.played_samples);
    assert!(r.channels.iter().any(|c| c.name.starts_with('d')));
    assert!(r.channels.iter().any(|c| c.name.starts_with('q')));
    // The first play's samples come out after the first instruction's decoding.
    assert!(r.latency_ns.is_some_and(|l| l > 0.0));
    check_threshold(&bytes, &cb, &params, "bell.qasm with pulses").expect("a rate");
    // 2 µs is less than rebuilding the waveform memory takes: no link is enough.
    for (startup_ns, some) in [(2_000.0, false), (20_000.0, true)] {
        let tight = FirmwareParams {
            startup_ns,
            ..params.clone()
        };
        let what = format!("bell.qasm with pulses, {startup_ns} ns head start");
        assert_eq!(check_threshold(&bytes, &cb, &tight, &what).is_some(), some);
    }
}

#[test]
fn a_synthetic_program_with_pulses_counts_its_events_and_meets_its_threshold() {
    let cb = default_codebook();
    let spec = SyntheticSpec {
        qubits: 16,
        duration_ns: 500_000.0,
        shot_ns: 25_000.0,
        layers: 3,
        pulses: true,
        dt_ns: 0.2222,
    };
    let bytes = synthetic_program(&spec, &cb.codebook.priors, cb.hash).expect("builds");
    // The whole instruction section comes before the pulse section: the head start must cover
    // its decoding (20 shots × 136 instructions × 32 ns) before the first play.
    let params = FirmwareParams {
        startup_ns: 200_000.0,
        ..FirmwareParams::default()
    };
    let r = sim(&bytes, &cb, &params);
    let shots = 20;
    let (n, pairs, layers) = (16, 8, 3);
    assert_eq!(
        r.instructions_decoded,
        shots * (n * (2 * layers + 2) + pairs)
    );
    assert_eq!(r.plays, shots * (n * (layers + 1) + pairs));
    assert_eq!(r.memory_plays, r.plays);
    assert_eq!(r.memory_waveforms, 3);
    assert_eq!(r.pulse_items_decoded, r.plays + 3);
    let per_shot_samples = n * layers * 160 + pairs * 512 + n * 4480;
    assert_eq!(r.played_samples, shots * per_shot_samples);
    assert_eq!(r.memory_read_samples, r.played_samples);
    assert_eq!(r.waveform_memory_samples, 160 + 512 + 4480);
    assert_eq!(r.reconstructed_samples, r.waveform_memory_samples);
    // 2.5 channels per qubit, every DAC clocked to the end of the last readout.
    let end = (shots - 1) * (25_000.0f64 / 0.2222).floor() as u64 + layers * 160 + 512 + 4480;
    assert_eq!(r.dac_samples, (n * 5 / 2) * end);
    assert_eq!(r.channels.len() as u64, n + n * 5 / 2);
    check_threshold(&bytes, &cb, &params, "synthetic with pulses").expect("a rate");
    let short = FirmwareParams {
        startup_ns: 50_000.0,
        ..params
    };
    assert_eq!(
        check_threshold(&bytes, &cb, &short, "synthetic, 50 µs"),
        None
    );
}

#[test]
fn the_same_inputs_give_the_same_report() {
    let cb = default_codebook();
    let spec = SyntheticSpec {
        qubits: 8,
        duration_ns: 200_000.0,
        shot_ns: 20_000.0,
        layers: 2,
        pulses: true,
        dt_ns: 0.2222,
    };
    let bytes = synthetic_program(&spec, &cb.codebook.priors, cb.hash).expect("builds");
    let again = synthetic_program(&spec, &cb.codebook.priors, cb.hash).expect("builds");
    assert_eq!(bytes, again, "the synthetic program is deterministic");
    let params = FirmwareParams {
        link_gbps: 0.37,
        ..FirmwareParams::default()
    };
    let a = sim(&bytes, &cb, &params);
    let b = sim(&bytes, &cb, &params);
    assert_eq!(a, b);
    let ja = serde_json::to_string(&a).expect("serialises");
    assert_eq!(ja, serde_json::to_string(&b).expect("serialises"));
    let v: serde_json::Value = serde_json::from_str(&ja).expect("json");
    for key in [
        "underruns",
        "peak_fifo_bits",
        "min_link_gbps",
        "latency_ns",
        "link_bits",
        "instructions_decoded",
        "memory_read_samples",
        "multiply_adds",
        "dac_samples",
    ] {
        assert!(v.get(key).is_some(), "key {key} missing from {ja}");
    }
    assert!(v["underruns"].is_u64() && v["peak_fifo_bits"].is_u64());
    assert!(v["min_link_gbps"].is_f64() && v["latency_ns"].is_f64());
    // The parameters round-trip through JSON, defaults filling what is left out.
    let p: FirmwareParams = serde_json::from_str(r#"{"link_gbps": 0.37}"#).expect("params");
    assert_eq!(p, params);
}

#[test]
fn bad_or_truncated_files_are_errors_not_panics() {
    let cb = default_codebook();
    let (bytes, dt_ns, _, _) = pulse_program(&cb, "bell.qasm");
    let params = FirmwareParams {
        dt_ns: Some(dt_ns),
        ..FirmwareParams::default()
    };
    let run = |b: &[u8]| simulate(b, &cb.codebook.priors, cb.hash, cb.atoms.as_ref(), &params);
    assert!(run(&bytes).is_ok());
    for len in 0..bytes.len() {
        assert!(run(&bytes[..len]).is_err(), "a {len}-byte prefix simulated");
    }
    for i in 0..bytes.len() {
        for bit in [0, 3, 7] {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            assert!(
                run(&b).is_err(),
                "a flip of bit {bit} of byte {i} simulated"
            );
        }
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(run(&longer), Err(FirmwareError::Decode(_))));
    assert!(matches!(
        simulate(
            &bytes,
            &cb.codebook.priors,
            [0; 32],
            cb.atoms.as_ref(),
            &params
        ),
        Err(FirmwareError::Decode(_))
    ));
    // Sparse pulse waveforms need the atoms.
    assert!(simulate(&bytes, &cb.codebook.priors, cb.hash, None, &params).is_err());
    for bad in [
        FirmwareParams {
            link_gbps: 0.0,
            ..params.clone()
        },
        FirmwareParams {
            clock_mhz: f64::NAN,
            ..params.clone()
        },
        FirmwareParams {
            startup_ns: -1.0,
            ..params.clone()
        },
        FirmwareParams {
            samples_per_cycle: 0.0,
            ..params.clone()
        },
    ] {
        assert!(matches!(
            simulate(
                &bytes,
                &cb.codebook.priors,
                cb.hash,
                cb.atoms.as_ref(),
                &bad
            ),
            Err(FirmwareError::Param { .. })
        ));
    }
}
