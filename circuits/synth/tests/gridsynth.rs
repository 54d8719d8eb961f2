//! Gridsynth: accuracy, T-count, determinism and input validation of `synthesize_rz`.

use std::f64::consts::{FRAC_PI_4, TAU};

use eqisa_ir::gates::StandardGate;
use eqisa_synth::average_gate_fidelity;
use eqisa_synth::gridsynth::{GridsynthError, rz_error, synthesize_rz};
use eqisa_test_support::Rng;

/// Fixed pseudo-random angles in [0, 2π) (SplitMix64), plus a few negative and large ones.
fn angles(n: usize) -> Vec<f64> {
    let mut rng = Rng::new(0x5EED);
    let mut out: Vec<f64> = (0..n).map(|_| rng.f64() * TAU).collect();
    out.extend([-0.3, -2.9, 13.7, 1e-3]);
    out
}

fn three_log2(epsilon: f64) -> f64 {
    3.0 * (1.0 / epsilon).log2()
}

#[test]
fn random_angles_meet_epsilon_with_near_optimal_t_count() {
    for epsilon in [1e-2, 1e-4, 1e-6] {
        let mut t_total = 0usize;
        let thetas = angles(20);
        for &theta in &thetas {
            let w = synthesize_rz(theta, epsilon).unwrap_or_else(|e| panic!("{theta}: {e}"));
            let err = rz_error(&w, theta);
            assert!(err <= epsilon, "rz({theta}) at {epsilon}: error {err:e}");
            // The same bound through the fidelity: 1 − F_avg ≤ (2/3)·ε² for error ε.
            let target = StandardGate::Rz.matrix(&[theta]).expect("one parameter");
            let infidelity = 1.0 - average_gate_fidelity(&w.matrix(), &target);
            assert!(infidelity <= epsilon * epsilon, "{theta}: {infidelity:e}");
            let t = w.t_count();
            assert!(
                (t as f64) <= three_log2(epsilon) + 15.0,
                "rz({theta}) at {epsilon}: T-count {t}"
            );
            t_total += t;
        }
        let mean = t_total as f64 / thetas.len() as f64;
        // Ross–Selinger: 3·log2(1/ε) + O(1) on average (about +2 to +5 in practice).
        assert!(
            mean >= three_log2(epsilon) - 5.0 && mean <= three_log2(epsilon) + 8.0,
            "eps {epsilon}: mean T-count {mean}"
        );
    }
}

#[test]
fn tight_epsilon_on_a_few_angles() {
    for &theta in &angles(3) {
        let epsilon = 1e-10;
        let w = synthesize_rz(theta, epsilon).unwrap_or_else(|e| panic!("{theta}: {e}"));
        let err = rz_error(&w, theta);
        assert!(err <= epsilon, "rz({theta}): error {err:e}");
        let t = w.t_count() as f64;
        assert!(
            t <= three_log2(epsilon) + 15.0 && t >= three_log2(epsilon) - 10.0,
            "rz({theta}): T-count {t}"
        );
    }
}

#[test]
fn results_are_deterministic_and_history_independent() {
    let first: Vec<_> = angles(6)
        .into_iter()
        .map(|theta| synthesize_rz(theta, 1e-6).expect("synthesises"))
        .collect();
    // A coarse call in between changes rsgridsynth's global precision; it must not matter.
    synthesize_rz(0.123, 1e-2).expect("synthesises");
    let again: Vec<_> = angles(6)
        .into_iter()
        .map(|theta| synthesize_rz(theta, 1e-6).expect("synthesises"))
        .collect();
    assert_eq!(first, again);
}

#[test]
fn concurrent_callers_get_the_sequential_results() {
    let inputs: Vec<(f64, f64)> = angles(8)
        .into_iter()
        .zip([1e-2, 1e-6, 1e-4, 1e-8].into_iter().cycle())
        .collect();
    let sequential: Vec<_> = inputs
        .iter()
        .map(|&(t, e)| synthesize_rz(t, e).expect("synthesises"))
        .collect();
    let parallel: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = inputs
            .iter()
            .map(|&(t, e)| s.spawn(move || synthesize_rz(t, e).expect("synthesises")))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    assert_eq!(sequential, parallel);
}

#[test]
fn exact_angles_need_no_approximation() {
    for n in -16i32..=16 {
        let theta = f64::from(n) * FRAC_PI_4;
        for epsilon in [1e-2, 1e-10] {
            let w = synthesize_rz(theta, epsilon).expect("exact");
            assert!(rz_error(&w, theta) < 1e-14, "{n}π/4");
            assert_eq!(w.t_count(), usize::from(n.rem_euclid(2) == 1), "{n}π/4");
            assert!(w.gates.len() <= 2, "{n}π/4: {w:?}");
        }
    }
    // Just off a multiple of π/4 is an ordinary (approximated) angle.
    let theta = FRAC_PI_4 + 1e-3;
    let w = synthesize_rz(theta, 1e-4).expect("synthesises");
    assert!(rz_error(&w, theta) <= 1e-4);
}

#[test]
fn coarse_epsilon_allows_short_words() {
    // Within 0.3 of rz(0.2) the identity-like words with no T are enough, or at most a few T.
    let w = synthesize_rz(0.2, 0.3).expect("synthesises");
    assert!(rz_error(&w, 0.2) <= 0.3);
    assert!(w.t_count() <= 3, "{w:?}");
}

#[test]
fn invalid_inputs_are_typed_errors() {
    for epsilon in [0.0, -1e-3, 0.5, 1.0, 1e-13, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(
                synthesize_rz(0.3, epsilon),
                Err(GridsynthError::InvalidEpsilon { .. })
            ),
            "{epsilon}"
        );
    }
    for theta in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e16] {
        assert!(
            matches!(
                synthesize_rz(theta, 1e-3),
                Err(GridsynthError::InvalidAngle { .. })
            ),
            "{theta}"
        );
    }
}
