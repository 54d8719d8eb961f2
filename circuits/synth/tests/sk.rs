//! Solovay–Kitaev over {H, T, T†}: agreement with Qiskit's `SolovayKitaevDecomposition`, error
//! falling with the recursion degree, exact Clifford+T inputs, determinism and input validation.

use eqisa_ir::matrix::{C64, Matrix};
use eqisa_synth::sk::{MAX_RECURSION, SkError, SolovayKitaev};
use eqisa_synth::{CliffordT, Word, average_gate_fidelity};
use eqisa_test_support::Rng;

/// A Haar-random U(2) matrix: a uniform point on S³ is a Haar-random SU(2) element; a uniform
/// global phase makes it Haar on U(2).
fn haar_unitary(rng: &mut Rng) -> Matrix {
    let [w, x, y, z] = rng.unit_quaternion();
    let phase = 2.0 * std::f64::consts::PI * rng.f64();
    Matrix::from_vec(
        1,
        vec![
            C64::new(w, -z),
            C64::new(-y, -x),
            C64::new(y, -x),
            C64::new(w, z),
        ],
    )
    .with_phase(phase)
}

fn haar_unitaries(n: usize, seed: u64) -> Vec<Matrix> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| haar_unitary(&mut rng)).collect()
}

fn infidelity(word: &Word, u: &Matrix) -> f64 {
    1.0 - average_gate_fidelity(&word.matrix(), u)
}

fn word_of(names: &str) -> Vec<CliffordT> {
    names
        .split_whitespace()
        .map(|n| match n {
            "h" => CliffordT::H,
            "t" => CliffordT::T,
            "tdg" => CliffordT::Tdg,
            other => panic!("unexpected gate {other}"),
        })
        .collect()
}

fn gates_matrix(gates: &[CliffordT]) -> Matrix {
    Word {
        gates: gates.to_vec(),
        phase: 0.0,
    }
    .matrix()
}

/// One pinned Qiskit result: (depth, recursion, u row-major as (re, im), Qiskit's gates).
type QiskitCase = (usize, usize, [(f64, f64); 4], &'static str);

/// Qiskit 2.6.1, `SolovayKitaevDecomposition(generate_basic_approximations(["h", "t", "tdg"],
/// depth)).run(u, recursion)`, on unitaries of `random_unitary(2, seed=...)` drawn as in
/// `peer-bench sk` (numpy `default_rng(1)`): (depth, recursion, u row-major, Qiskit's gates).
#[rustfmt::skip]
const QISKIT: &[QiskitCase] = &[
    (5, 0, [(0.7593295612880047, 0.3417932612842238), (-0.27964054789920306, 0.4779091418517688), (-0.12734879001146007, 0.5388675807445438), (0.7854482617490685, 0.2765412161333397)], "h tdg h"),
    (5, 1, [(0.7593295612880047, 0.3417932612842238), (-0.27964054789920306, 0.4779091418517688), (-0.12734879001146007, 0.5388675807445438), (0.7854482617490685, 0.2765412161333397)], "h tdg h tdg h t h t h tdg h"),
    (5, 2, [(0.7593295612880047, 0.3417932612842238), (-0.27964054789920306, 0.4779091418517688), (-0.12734879001146007, 0.5388675807445438), (0.7854482617490685, 0.2765412161333397)], "h tdg h tdg h t h t t h t h tdg h tdg h tdg h t h t h tdg h tdg h tdg h t"),
    (5, 0, [(0.12206389700569065, 0.6904523866977234), (-0.7126067741875117, 0.0238220933855523), (-0.17190749901414357, 0.6919708942823416), (0.6498159674453611, 0.2633691358186223)], "t t h t"),
    (5, 1, [(0.12206389700569065, 0.6904523866977234), (-0.7126067741875117, 0.0238220933855523), (-0.17190749901414357, 0.6919708942823416), (0.6498159674453611, 0.2633691358186223)], "t t h t t h t h tdg h t h t h tdg h tdg h tdg h"),
    (5, 2, [(0.12206389700569065, 0.6904523866977234), (-0.7126067741875117, 0.0238220933855523), (-0.17190749901414357, 0.6919708942823416), (0.6498159674453611, 0.2633691358186223)], "t t h t t h t h tdg h t h t h tdg h tdg h tdg h tdg tdg tdg h t h t h tdg h t t h t h t h tdg h tdg tdg h t h tdg h tdg h t t"),
    (5, 0, [(0.4061828308408415, -0.8698266954333069), (0.1967135325275221, 0.1993008127485604), (-0.2640742736535115, -0.09317620853020113), (-0.6142176252050805, 0.737780238991082)], "t t t t"),
    (5, 1, [(0.4061828308408415, -0.8698266954333069), (0.1967135325275221, 0.1993008127485604), (-0.2640742736535115, -0.09317620853020113), (-0.6142176252050805, 0.737780238991082)], "t t t h t h tdg h tdg h t t"),
    (5, 2, [(0.4061828308408415, -0.8698266954333069), (0.1967135325275221, 0.1993008127485604), (-0.2640742736535115, -0.09317620853020113), (-0.6142176252050805, 0.737780238991082)], "t t t h t h tdg h tdg h t t h t h t h tdg h tdg h t h t t h tdg h tdg tdg h tdg h t h t t h tdg h tdg h t h tdg h tdg h t h t t h t h tdg tdg h tdg h"),
    (5, 0, [(-0.35643445123791956, -0.7534956856619138), (-0.07858734197774885, -0.5468297388954605), (-0.54053306456908, -0.11411721941566878), (0.7286200832476027, 0.40486298994678555)], "h tdg"),
    (5, 1, [(-0.35643445123791956, -0.7534956856619138), (-0.07858734197774885, -0.5468297388954605), (-0.54053306456908, -0.11411721941566878), (0.7286200832476027, 0.40486298994678555)], "h tdg h tdg h t h t t h tdg h tdg h"),
    (5, 2, [(-0.35643445123791956, -0.7534956856619138), (-0.07858734197774885, -0.5468297388954605), (-0.54053306456908, -0.11411721941566878), (0.7286200832476027, 0.40486298994678555)], "h tdg h tdg h t h t t h tdg h tdg h t h tdg h tdg h t h"),
    (10, 1, [(-0.5912422673023651, -0.4894281421952926), (0.37742800182412617, -0.5181127082223235), (-0.5099448976808425, -0.3883926831335754), (-0.4264018880515643, 0.6381917853464099)], "t t h t t h t h tdg h tdg h tdg h tdg h tdg tdg h tdg h t h t h t h t h"),
    (10, 1, [(-0.8059247342904069, 0.037305878108343786), (-0.2118598417893269, 0.5515514495987693), (0.14719787502621093, 0.5722118311475831), (-0.7963266127579338, -0.12950031542808604)], "h t h t h t h tdg h t h t h tdg h tdg tdg h tdg h tdg h tdg h tdg h t h t t h t h t"),
    (10, 1, [(0.41389134200737376, -0.27965569099632104), (0.6503190001096028, 0.5723389289583156), (0.8641108003574094, 0.06163745785139896), (-0.09122985540630522, -0.49111145575911697)], "t h tdg h t h t t h t h t h tdg h tdg tdg h tdg h tdg h t h t t t h t h tdg h tdg h tdg tdg h tdg h t h t h t"),
];

#[test]
fn words_match_qiskit_gate_for_gate() {
    let sk5 = SolovayKitaev::new(5).expect("depth within MAX_DEPTH");
    let sk10 = SolovayKitaev::new(10).expect("depth within MAX_DEPTH");
    assert_eq!(sk5.basic_approximation_count(), 83);
    assert_eq!(sk10.basic_approximation_count(), 812);
    for (i, &(depth, recursion, entries, expected)) in QISKIT.iter().enumerate() {
        let sk = if depth == 5 { &sk5 } else { &sk10 };
        let u = Matrix::from_vec(
            1,
            entries.iter().map(|&(re, im)| C64::new(re, im)).collect(),
        );
        let word = sk.run(&u, recursion).expect("a unitary");
        assert_eq!(word.gates, word_of(expected), "case {i}");
    }
}

#[test]
fn infidelity_falls_with_recursion() {
    let sk = SolovayKitaev::new(6).expect("depth within MAX_DEPTH");
    let us = haar_unitaries(50, 1);
    let mut means = Vec::new();
    for recursion in 0..=3 {
        let total: f64 = us
            .iter()
            .map(|u| infidelity(&sk.run(u, recursion).expect("a unitary"), u))
            .sum();
        means.push(total / us.len() as f64);
    }
    for pair in means.windows(2) {
        assert!(pair[1] < pair[0], "mean infidelities {means:?}");
    }
    // Coarse sanity on the level reached (Qiskit at depth 5 reaches 2.8e-3 at recursion 3).
    assert!(means[3] < 5e-3, "{means:?}");
}

#[test]
fn words_use_the_alphabet_and_the_best_phase() {
    let sk = SolovayKitaev::new(5).expect("depth within MAX_DEPTH");
    for u in haar_unitaries(20, 2) {
        for recursion in 0..=3 {
            let word = sk.run(&u, recursion).expect("a unitary");
            assert!(
                word.gates
                    .iter()
                    .all(|g| matches!(g, CliffordT::H | CliffordT::T | CliffordT::Tdg))
            );
            // No inverse pair survives the final cancellation.
            assert!(word.gates.windows(2).all(|p| p[1] != p[0].inverse()));
            // With the best global phase tr(W†U) is real and positive, and the distance to U is
            // then the smallest any phase can give: ‖W − U‖² = 4 − 2|tr(W†U)|.
            let m = word.matrix();
            let tr: C64 = m
                .data()
                .iter()
                .zip(u.data())
                .map(|(a, b)| a.conj() * b)
                .sum();
            assert!(tr.re >= 0.0 && tr.im.abs() < 1e-10, "{tr}");
            if recursion == 0 {
                assert!(word.gates.len() <= sk.depth());
            }
        }
    }
}

#[test]
fn results_are_deterministic() {
    let (a, b) = (
        SolovayKitaev::new(6).expect("depth within MAX_DEPTH"),
        SolovayKitaev::new(6).expect("depth within MAX_DEPTH"),
    );
    for u in haar_unitaries(10, 3) {
        for recursion in 0..=2 {
            let first = a.run(&u, recursion).expect("a unitary");
            let again = a.run(&u, recursion).expect("a unitary");
            let other = b.run(&u, recursion).expect("a unitary");
            assert_eq!(first.gates, again.gates);
            assert_eq!(first.phase.to_bits(), again.phase.to_bits());
            assert_eq!(first.gates, other.gates);
            assert_eq!(first.phase.to_bits(), other.phase.to_bits());
        }
    }
}

#[test]
fn exact_clifford_t_inputs_are_reproduced() {
    use CliffordT::{H, T, Tdg};
    let sk = SolovayKitaev::new(5).expect("depth within MAX_DEPTH");
    let mut targets: Vec<Vec<CliffordT>> = sk.basic_words().map(<[_]>::to_vec).collect();
    targets.push(vec![H, T, H]);
    // Longer than the depth as spelt, but equal to basic words (t⁵ = t†³, and h·h·t·t†·h·t·h =
    // h·t·h), so still exact at recursion 0.
    targets.push(vec![T, T, T, T, T]);
    targets.push(vec![H, H, T, Tdg, H, T, H]);
    for (i, gates) in targets.iter().enumerate() {
        let u = gates_matrix(gates).with_phase(0.37 * i as f64);
        for recursion in [0, 2] {
            let word = sk.run(&u, recursion).expect("a unitary");
            assert!(infidelity(&word, &u) < 1e-12, "{gates:?} rec {recursion}");
            // The phase is exact too, so the word *is* the input matrix.
            assert!(word.matrix().max_abs_diff(&u) < 1e-12, "{gates:?}");
            if i < sk.basic_approximation_count() {
                assert_eq!(&word.gates, gates, "a basic word comes back as itself");
            }
        }
    }
    let htih = sk.run(&gates_matrix(&[H, T, H]), 0).expect("a unitary");
    assert_eq!(htih.gates, vec![H, T, H]);
}

#[test]
fn awkward_unitaries_do_not_fail() {
    let sk = SolovayKitaev::new(5).expect("depth within MAX_DEPTH");
    let z = C64::new(0.0, 0.0);
    let one = C64::new(1.0, 0.0);
    let i = C64::new(0.0, 1.0);
    let mut inputs = vec![
        Matrix::identity(1),
        Matrix::identity(1).with_phase(std::f64::consts::PI),
        Matrix::from_vec(1, vec![z, one, one, z]),
        Matrix::from_vec(1, vec![z, -i, i, z]),
        Matrix::from_vec(1, vec![one, z, z, -one]),
        Matrix::from_vec(1, vec![z, one, -one, z]),
    ];
    // Rotations by tiny and by π angles, and a matrix unitary only to 1e-10.
    for theta in [1e-300, 1e-12, 1e-6, std::f64::consts::PI] {
        let (s, c) = (theta / 2.0).sin_cos();
        inputs.push(Matrix::from_vec(
            1,
            vec![
                C64::new(c, 0.0),
                C64::new(0.0, -s),
                C64::new(0.0, -s),
                C64::new(c, 0.0),
            ],
        ));
        inputs.push(Matrix::from_diagonal(
            1,
            &[
                C64::from_polar(1.0, -theta / 2.0),
                C64::from_polar(1.0, theta / 2.0),
            ],
        ));
    }
    inputs.push(Matrix::from_vec(
        1,
        vec![C64::new(1.0 + 4e-11, 0.0), z, z, one],
    ));
    for u in &inputs {
        for recursion in 0..=3 {
            let word = sk.run(u, recursion).expect("accepted");
            assert!(word.phase.is_finite());
            assert!(
                word.matrix()
                    .data()
                    .iter()
                    .all(|c| c.re.is_finite() && c.im.is_finite())
            );
        }
    }
    // I, −I and Z = t⁴ are basic words at depth 5 and come back exactly (X = h·t⁴·h and Y need
    // more than five letters).
    for u in [&inputs[0], &inputs[1], &inputs[4]] {
        let word = sk.run(u, 1).expect("accepted");
        assert!(word.matrix().max_abs_diff(u) < 1e-12, "{u:?}");
    }
}

#[test]
fn invalid_inputs_are_errors() {
    let sk = SolovayKitaev::new(3).expect("depth within MAX_DEPTH");
    assert_eq!(
        sk.run(&Matrix::identity(0), 0),
        Err(SkError::NotSingleQubit { qubits: 0 })
    );
    assert_eq!(
        sk.run(&Matrix::identity(2), 0),
        Err(SkError::NotSingleQubit { qubits: 2 })
    );
    let z = C64::new(0.0, 0.0);
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let m = Matrix::from_vec(1, vec![C64::new(0.0, bad), z, z, C64::new(1.0, 0.0)]);
        assert_eq!(sk.run(&m, 1), Err(SkError::NonFinite));
    }
    let zero = Matrix::from_vec(1, vec![z; 4]);
    assert!(matches!(sk.run(&zero, 0), Err(SkError::NotUnitary { .. })));
    let off = Matrix::from_vec(1, vec![C64::new(1.0 + 1e-8, 0.0), z, z, C64::new(1.0, 0.0)]);
    assert!(matches!(sk.run(&off, 0), Err(SkError::NotUnitary { .. })));
    let not_unitary = Matrix::from_vec(1, vec![C64::new(1.0, 0.0); 4]);
    let err = sk.run(&not_unitary, 0).expect_err("not unitary");
    assert!(err.to_string().contains("not unitary"), "{err}");
    assert!(sk.run(&Matrix::identity(1), MAX_RECURSION).is_ok());
    assert_eq!(
        sk.run(&Matrix::identity(1), MAX_RECURSION + 1),
        Err(SkError::RecursionTooDeep {
            recursion: MAX_RECURSION + 1
        })
    );
}
