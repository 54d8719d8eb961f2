//! Pulse lowering: the rotation decomposition, the two-qubit identities, frame bookkeeping on
//! hand-built programs, and whole example circuits on the default device and on IBM devices.

use std::f64::consts::{FRAC_PI_2, PI};
use std::path::PathBuf;

use eqisa_ir::gates::StandardGate;
use eqisa_ir::matrix::Matrix;
use eqisa_lower::program::{NativeOp, NativeProgram, TimedOp};
use eqisa_lower::route::{Coupling, route};
use eqisa_lower::target::{TargetDesc, TargetKind, TwoQubit};
use eqisa_lower::{LowerOptions, lower};
use eqisa_pulse::lower::{
    Mat2, OneQ, Step, axis_rotation, occupancy, rotation_decompose, rz_matrix, two_qubit_steps,
};
use eqisa_pulse::{
    Channel, Device, PlayOrigin, PulseLimits, PulseLowerError, PulseMode, PulseProgram,
    lower_to_pulses, lower_to_pulses_with,
};
use eqisa_test_support::{Rng, corpus_path, example};
use num_complex::Complex64;
use smallvec::SmallVec;

type C = Complex64;

fn mul(a: &Mat2, b: &Mat2) -> Mat2 {
    let mut m = [[C::new(0.0, 0.0); 2]; 2];
    for r in 0..2 {
        for c in 0..2 {
            m[r][c] = a[r][0] * b[0][c] + a[r][1] * b[1][c];
        }
    }
    m
}

/// Whether `a = e^{iγ} b` for some γ.
fn equal_up_to_phase(a: &Mat2, b: &Mat2) -> bool {
    let mut inner = C::new(0.0, 0.0);
    for r in 0..2 {
        for c in 0..2 {
            inner += b[r][c].conj() * a[r][c];
        }
    }
    let phase = inner / inner.norm();
    (0..2).all(|r| (0..2).all(|c| (a[r][c] - phase * b[r][c]).norm() < 1e-9))
}

#[test]
fn rotation_decomposition_reproduces_random_unitaries() {
    let mut rng = Rng::new(0x9E3779B97F4A7C15);
    for _ in 0..500 {
        // A Haar-ish random unitary: Rz(a)·Ry(b)·Rz(c) with a global phase.
        let (a, b, c, g) = (
            rng.f64() * 2.0 * PI,
            rng.f64() * PI,
            rng.f64() * 2.0 * PI,
            rng.f64() * 2.0 * PI,
        );
        let u = mul(
            &rz_matrix(a),
            &mul(&axis_rotation(b, FRAC_PI_2), &rz_matrix(c)),
        );
        let u = u.map(|row| row.map(|z| z * C::from_polar(1.0, g)));
        let (alpha, theta, phi) = rotation_decompose(&u);
        assert!((0.0..=PI + 1e-12).contains(&theta), "θ = {theta}");
        let back = mul(&rz_matrix(alpha), &axis_rotation(theta, phi));
        assert!(equal_up_to_phase(&back, &u), "{u:?} vs {back:?}");
    }
    // The edge cases: identity (θ = 0), X (θ = π, φ = 0), a pure Rz.
    let (_, theta, _) = rotation_decompose(&rz_matrix(0.0));
    assert!(theta.abs() < 1e-12);
    let x = axis_rotation(PI, 0.0);
    let (alpha, theta, phi) = rotation_decompose(&x);
    assert!((theta - PI).abs() < 1e-12 && alpha.abs() < 1e-12 && phi.abs() < 1e-12);
    let (alpha, theta, _) = rotation_decompose(&rz_matrix(0.7));
    assert!(theta.abs() < 1e-12 && (alpha - 0.7).abs() < 1e-12);
}

/// Qiskit's ECR on (q0, q1), little-endian: `(IX - XY)/√2` = `[[0,1,0,i],[1,0,-i,0],[0,i,0,1],[-i,0,1,0]]/√2`.
fn ecr() -> Matrix {
    let s = 1.0 / 2f64.sqrt();
    let (o, z, i) = (C::new(s, 0.0), C::new(0.0, 0.0), C::new(0.0, s));
    Matrix::from_vec(2, vec![z, o, z, i, o, z, -i, z, z, i, z, o, -i, z, o, z])
}

fn std_gate(g: StandardGate, params: &[f64]) -> Matrix {
    g.matrix(params).expect("gate matrix")
}

/// The unitary of a step list on qubits 0 and 1.
fn steps_unitary(steps: &[Step]) -> Matrix {
    let mut u = Matrix::identity(2);
    for s in steps {
        let m = match *s {
            Step::One(q, OneQ::Rz(l)) => std_gate(StandardGate::Rz, &[l]).embed(&[q as usize], 2),
            Step::One(q, OneQ::Sx) => std_gate(StandardGate::Sx, &[]).embed(&[q as usize], 2),
            Step::One(q, OneQ::X) => std_gate(StandardGate::X, &[]).embed(&[q as usize], 2),
            Step::Two(name, [a, b]) => {
                let g = match name {
                    "cx" => std_gate(StandardGate::Cx, &[]),
                    "cz" => std_gate(StandardGate::Cz, &[]),
                    "ecr" => ecr(),
                    other => panic!("unexpected {other}"),
                };
                g.embed(&[a as usize, b as usize], 2)
            }
        };
        u = m.mul(&u);
    }
    u
}

#[test]
fn ecr_matrix_is_qiskits_definition() {
    // program.rs spells ecr out as Qiskit defines it: rzx(π/4) a,b; x a; rzx(-π/4) a,b, with
    // rzx(θ) = h b; cx a,b; rz(θ) b; cx a,b; h b.
    let e = |g: StandardGate, p: &[f64], q: &[usize]| std_gate(g, p).embed(q, 2);
    let rzx = |t: f64| {
        let mut u = e(StandardGate::H, &[], &[1]);
        for m in [
            e(StandardGate::Cx, &[], &[0, 1]),
            e(StandardGate::Rz, &[t], &[1]),
            e(StandardGate::Cx, &[], &[0, 1]),
            e(StandardGate::H, &[], &[1]),
        ] {
            u = m.mul(&u);
        }
        u
    };
    let u = rzx(-PI / 4.0)
        .mul(&e(StandardGate::X, &[], &[0]))
        .mul(&rzx(PI / 4.0));
    assert!(u.equal_up_to_phase(&ecr(), 1e-12));
}

#[test]
fn two_qubit_identities_are_exact_for_every_device_gate_and_direction() {
    let offers: [(&str, [u32; 2]); 6] = [
        ("cx", [0, 1]),
        ("cx", [1, 0]),
        ("ecr", [0, 1]),
        ("ecr", [1, 0]),
        ("cz", [0, 1]),
        ("cz", [1, 0]),
    ];
    for program_gate in ["cz", "ecr"] {
        let want = match program_gate {
            "cz" => std_gate(StandardGate::Cz, &[]),
            _ => ecr(),
        };
        for (dev, pair) in offers {
            let has = |n: &str, q: [u32; 2]| n == dev && q == pair;
            let steps = two_qubit_steps(program_gate, 0, 1, &has).expect("coupled");
            assert!(
                steps_unitary(&steps).equal_up_to_phase(&want, 1e-9),
                "{program_gate} from {dev}{pair:?}: {steps:?}"
            );
            assert!(
                steps
                    .iter()
                    .any(|s| matches!(s, Step::Two(n, p) if *n == dev && *p == pair)),
                "uses the device's gate"
            );
        }
        assert!(two_qubit_steps(program_gate, 0, 1, &|_: &str, _: [u32; 2]| false).is_none());
    }
}

fn op(op: NativeOp, qubits: &[u32]) -> TimedOp {
    TimedOp {
        op,
        qubits: SmallVec::from_slice(qubits),
        cond: None,
        start_ns: 0.0,
        duration_ns: 0.0,
    }
}

fn program(n: u32, ops: Vec<TimedOp>) -> NativeProgram {
    NativeProgram {
        target: TargetKind::Native,
        num_qubits: n,
        num_clbits: n,
        qregs: Vec::new(),
        cregs: Vec::new(),
        ops,
        conditions: Vec::new(),
        duration_ns: 0.0,
        angle_bits: 0,
    }
}

/// No two plays on a channel overlap; every sample has |s| ≤ 1; plays end by `duration`.
fn check_sane(p: &PulseProgram) {
    for (ch, spans) in occupancy(p) {
        for w in spans.windows(2) {
            assert!(w[0].1 <= w[1].0, "{ch}: {:?} overlaps {:?}", w[0], w[1]);
        }
        if let Some(last) = spans.last() {
            assert!(last.1 <= p.duration, "{ch} ends after the program");
        }
    }
    for play in &p.plays {
        for s in play.samples(p) {
            assert!(s.norm() <= 1.0 + 1e-9, "|s| = {}", s.norm());
        }
    }
    let rows = p.channel_samples();
    assert_eq!(rows.len(), p.channels.len());
    assert!(rows.iter().all(|r| r.len() as u64 == p.duration));
    let mut sorted = p.plays.clone();
    sorted.sort_by_key(|x| (x.start, x.channel));
    assert_eq!(sorted, p.plays);
}

#[test]
fn frame_changes_accumulate_on_later_plays() {
    let d = Device::default_device();
    // rz(0.3); sx; rz(0.4); x on qubit 0: the sx sees frame -0.3 (IBM: rz(λ) = fc(-λ)), the x
    // sees -0.7.
    let p = program(
        1,
        vec![
            op(NativeOp::Rz(0.3), &[0]),
            op(NativeOp::Sx, &[0]),
            op(NativeOp::Rz(0.4), &[0]),
            op(NativeOp::X, &[0]),
        ],
    );
    let out = lower_to_pulses(&p, &d, PulseMode::Calibrated).expect("lowers");
    check_sane(&out);
    assert_eq!(out.plays.len(), 2);
    assert_eq!(out.channels, vec![Channel::Drive(0)]);
    let (sx, x) = (&out.plays[0], &out.plays[1]);
    assert!((sx.scale - C::from_polar(1.0, -0.3)).norm() < 1e-12);
    assert!((x.scale - C::from_polar(1.0, -0.7)).norm() < 1e-12);
    // Back to back on the device's own durations (160 samples each on lima).
    assert_eq!(sx.start, 0);
    assert_eq!(x.start, 160);
    assert_eq!(out.duration, 320);
    assert!(matches!(x.origin, PlayOrigin::Gate { calibration }
            if d.gates[calibration].name == "x" && d.gates[calibration].qubits == [0]));
    // The played samples are the calibrated pulse rotated by the frame.
    let base = &out.waveforms[x.waveform].samples;
    let played = x.samples(&out);
    assert!((played[80] - base[80] * C::from_polar(1.0, -0.7)).norm() < 1e-15);
}

#[test]
fn direct_rotation_plays_a_scaled_rotated_x_pulse() {
    let d = Device::default_device();
    // sx = Rx(π/2): one play at half the x amplitude, no rotation.
    let p = program(1, vec![op(NativeOp::Sx, &[0])]);
    let out = lower_to_pulses(&p, &d, PulseMode::DirectRotation).expect("lowers");
    check_sane(&out);
    assert_eq!(out.plays.len(), 1);
    assert!((out.plays[0].scale - C::new(0.5, 0.0)).norm() < 1e-12);
    let x_cal = d.gate("x", &[0]).expect("x");
    assert!(matches!(
        out.plays[0].origin,
        PlayOrigin::Direct { qubit: 0, .. }
    ));
    assert_eq!(out.duration, x_cal.duration(&d.library));
    // rz(0.5); sx; rz(-0.5); x; x: U = Rz(-0.5)·Rx(π/2)·Rz(0.5) = R_{-0.5}(π/2), since
    // Rz(β)·R_φ(θ)·Rz(-β) = R_{φ+β}(θ). One play of scale 0.5·e^{-0.5i} (the phase calibrated
    // mode gives the sx after the frame change -(P0) = -0.5), no frame change left.
    let p = program(
        1,
        vec![
            op(NativeOp::Rz(0.5), &[0]),
            op(NativeOp::Sx, &[0]),
            op(NativeOp::Rz(-0.5), &[0]),
            op(NativeOp::X, &[0]),
            op(NativeOp::X, &[0]),
        ],
    );
    let out = lower_to_pulses(&p, &d, PulseMode::DirectRotation).expect("lowers");
    assert_eq!(out.plays.len(), 1);
    assert!(
        (out.plays[0].scale - C::from_polar(0.5, -0.5)).norm() < 1e-9,
        "{:?}",
        out.plays[0].scale
    );
    // A run that is the identity plays nothing.
    let p = program(1, vec![op(NativeOp::X, &[0]), op(NativeOp::X, &[0])]);
    let out = lower_to_pulses(&p, &d, PulseMode::DirectRotation).expect("lowers");
    assert!(out.plays.is_empty());
    // A run split by a measurement: the rotation before it and the frame after.
    let p = program(
        1,
        vec![
            op(NativeOp::Sx, &[0]),
            op(NativeOp::Rz(1.0), &[0]),
            op(NativeOp::Measure { clbit: 0 }, &[0]),
            op(NativeOp::Sx, &[0]),
        ],
    );
    let out = lower_to_pulses(&p, &d, PulseMode::DirectRotation).expect("lowers");
    check_sane(&out);
    let drives: Vec<_> = out
        .plays
        .iter()
        .filter(|p| p.channel == Channel::Drive(0))
        .collect();
    assert_eq!(drives.len(), 2);
    assert!((drives[1].scale - C::from_polar(0.5, -1.0)).norm() < 1e-9);
    assert!(out.plays.iter().any(|p| p.channel == Channel::Measure(0)));
}

#[test]
fn uncoupled_pairs_and_missing_qubits_are_clear_errors() {
    let d = Device::default_device();
    // lima couples 0-1, 1-2, 1-3, 3-4: not 0-2.
    let p = program(3, vec![op(NativeOp::Sx, &[2]), op(NativeOp::Cz, &[0, 2])]);
    let e = lower_to_pulses(&p, &d, PulseMode::Calibrated).expect_err("uncoupled");
    assert!(
        matches!(e, PulseLowerError::Uncoupled { index: 1, .. }),
        "{e}"
    );
    let m = e.to_string();
    assert!(
        m.starts_with("op 1 (cz on qubits 0, 2): device 'ibmq_lima'"),
        "{m}"
    );
    let p = program(6, vec![op(NativeOp::X, &[5])]);
    let e = lower_to_pulses(&p, &d, PulseMode::Calibrated).expect_err("no qubit 5");
    assert!(
        matches!(e, PulseLowerError::QubitOutOfRange { qubit: 5, .. }),
        "{e}"
    );
    // cz on a coupled pair is rebuilt from lima's cx.
    let p = program(2, vec![op(NativeOp::Cz, &[0, 1])]);
    let out = lower_to_pulses(&p, &d, PulseMode::Calibrated).expect("coupled");
    check_sane(&out);
    assert!(out.plays.iter().any(|p| p.channel == Channel::Control(0)));
}

fn native_target(two: TwoQubit) -> TargetDesc {
    let mut t = TargetDesc::default_for(TargetKind::Native);
    t.two_qubit = two;
    t
}

/// Compile `path`, route it onto `device`, lower in both modes and check the result.
fn lower_file(path: &std::path::Path, device: &Device) -> Vec<PulseProgram> {
    let c = eqisa_qasm::parse_file(path).expect("parses");
    let two = match device.two_qubit_gate() {
        Some("ecr") => TwoQubit::Ecr,
        _ => TwoQubit::Cz,
    };
    let target = native_target(two);
    let lowered = lower(&c, &target, &LowerOptions::default()).expect("lowers");
    let coupling = Coupling::from_pairs(device.num_qubits(), device.coupled_pairs());
    let routed = route(&lowered.program, &coupling, &target).expect("routes");
    [PulseMode::Calibrated, PulseMode::DirectRotation]
        .into_iter()
        .map(|mode| {
            let out = lower_to_pulses(&routed.program, device, mode)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            check_sane(&out);
            assert!(!out.plays.is_empty());
            out
        })
        .collect()
}

#[test]
fn example_circuits_lower_on_the_default_device() {
    let d = Device::default_device();
    let mut done = 0;
    for name in [
        "bell.qasm",
        "ghz4.qasm3",
        "qft4.qasm",
        "teleport.qasm3",
        "modifiers.qasm3",
    ] {
        let [cal, direct] = &lower_file(&example(name), &d)[..] else {
            panic!("two modes")
        };
        // Direct mode never plays more drive pulses than calibrated mode does.
        let drives = |p: &PulseProgram| {
            p.plays
                .iter()
                .filter(|x| matches!(x.channel, Channel::Drive(_)))
                .count()
        };
        assert!(drives(direct) <= drives(cal), "{name}");
        done += 1;
    }
    assert_eq!(done, 5);
}

#[test]
fn corpus_circuits_lower_on_ibm_devices() {
    let Some(nairobi) = corpus_path("devices/ibm/defs_nairobi.json") else {
        return;
    };
    let ibm = nairobi.parent().expect("a directory");
    // cx devices (7-qubit nairobi), ecr (27-qubit peekskill), u1/u2/u3-only (boeblingen).
    for dev in [
        "defs_nairobi.json",
        "defs_peekskill.json",
        "defs_boeblingen.json",
    ] {
        let d = Device::from_file(&ibm.join(dev)).expect("imports");
        lower_file(&example("adder4.qasm"), &d);
    }
    let mqt = ibm.join("../../mqt");
    if let Some(f) = std::fs::read_dir(mqt.join("indep")).ok().and_then(|rd| {
        let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        v.sort();
        v.into_iter()
            .find(|p| p.to_string_lossy().ends_with("_n5.qasm"))
    }) {
        let d = Device::from_file(&ibm.join("defs_kawasaki.json")).expect("imports");
        lower_file(&f, &d);
    }
}

/// `delay[…]` on qubit 0 between two `x`, lowered for a target whose `dt` is the device's.
fn delayed(delay: &str, device: &Device) -> NativeProgram {
    let src = format!(
        "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[1] q;\nx q[0];\ndelay[{delay}] q[0];\nx q[0];\n"
    );
    let c = eqisa_qasm::parse_str(&src, "delay.qasm").expect("parses");
    let mut target = native_target(TwoQubit::Cz);
    target.dt_ns = device.dt_ns;
    lower(&c, &target, &LowerOptions::default())
        .expect("lowers")
        .program
}

#[test]
fn a_schedule_past_its_limit_is_refused_naming_the_op() {
    let device = Device::default_device();
    for mode in [PulseMode::Calibrated, PulseMode::DirectRotation] {
        // 10^18 samples: refused by the limit (compared before any conversion or allocation).
        let e = lower_to_pulses(&delayed("1e18dt", &device), &device, mode).expect_err("too long");
        assert!(
            matches!(
                e,
                PulseLowerError::ScheduleTooLong {
                    index: 1,
                    op: "delay",
                    ..
                }
            ),
            "{e}"
        );
        let m = e.to_string();
        assert!(m.starts_with("op 1 (delay): the delay would take the pulse schedule to 1000000000000000000 samples, above the limit of 16777216"), "{m}");
        // An overridden limit applies to the whole schedule.
        let limits = PulseLimits {
            max_schedule_dt: 1000,
        };
        let e = lower_to_pulses_with(&delayed("900dt", &device), &device, mode, &limits)
            .expect_err("past 1000");
        assert!(
            matches!(
                e,
                PulseLowerError::ScheduleTooLong {
                    index: 2,
                    op: "x",
                    ..
                }
            ),
            "{e}"
        );
        let ok =
            lower_to_pulses_with(&delayed("100dt", &device), &device, mode, &limits).expect("fits");
        assert!(ok.duration <= 1000);
    }
}

#[test]
fn a_delay_in_dt_is_that_many_device_samples() {
    let device = Device::default_device();
    let p = lower_to_pulses(&delayed("1000dt", &device), &device, PulseMode::Calibrated)
        .expect("lowers");
    let x = p.plays[0].len(&p);
    assert_eq!(
        p.plays[1].start,
        x + 1000,
        "1000 samples between the two x pulses"
    );
}
