//! The vectorised reconstruction kernels against a plain scalar transcription of the module's
//! definition ("The fixed-point reconstruction (THE definition)" in `eqisa_isa::pulse`): random
//! atom sets with extreme values, windows of 16, 32 and 64 samples (the kernels' constant-size
//! paths) and of odd sizes (24, 40, and any size up to 256, computed a block at a time), 0 to 15
//! terms, shifts 0 to 15, coefficients up to and exactly on the L1 budget, saturating sums,
//! partial last windows and repeated windows; every entry point, with scratch space reused
//! across calls. Also the play rotation, and the unchecked path on invalid input (never a panic).

use eqisa_isa::pulse::{
    AtomSet, COEF_L1_MAX, CodedWaveform, IDENTITY_ROTATION, MAX_SHIFT, MAX_TERMS, Term, WindowCode,
    WindowScratch, reconstruct_into, reconstruct_unchecked_with, reconstruct_waveform,
    reconstruct_window, reconstruct_window_with, rotate_into, rotate_samples,
};
use eqisa_test_support::Rng;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// The reference: the definition, transcribed literally

fn sat16(v: i32) -> i16 {
    v.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

/// One window, in the definition's words: every product and sum in `i32` (checked, so a sum
/// outside `i32` would fail the test rather than wrap), terms in their order.
fn reference_window(atoms: &AtomSet, code: &WindowCode) -> Vec<[i16; 2]> {
    let s = u32::from(code.shift);
    let r = (1i32 << s) >> 1;
    (0..atoms.window)
        .map(|i| {
            let mut re = r;
            let mut im = r;
            for t in &code.terms {
                let a = atoms.atom(usize::from(t.atom)).expect("atom in range");
                let (ar, ai) = (i32::from(a[2 * i]), i32::from(a[2 * i + 1]));
                let (cr, ci) = (i32::from(t.coef[0]), i32::from(t.coef[1]));
                re = re
                    .checked_add(cr * ar)
                    .and_then(|v| v.checked_sub(ci * ai))
                    .expect("re inside i32");
                im = im
                    .checked_add(cr * ai)
                    .and_then(|v| v.checked_add(ci * ar))
                    .expect("im inside i32");
            }
            [sat16(re >> s), sat16(im >> s)]
        })
        .collect()
}

/// A whole waveform: `ceil(len / W)` windows, the last one truncated.
fn reference_waveform(atoms: &AtomSet, wf: &CodedWaveform) -> Vec<[i16; 2]> {
    match wf {
        CodedWaveform::Lossless(s) => s.clone(),
        CodedWaveform::Sparse { len, windows, .. } => {
            let mut out: Vec<[i16; 2]> = windows
                .iter()
                .flat_map(|w| reference_window(atoms, w))
                .collect();
            out.truncate(*len as usize);
            out
        }
    }
}

fn reference_rotation(samples: &[[i16; 2]], r: [i16; 2]) -> Vec<[i16; 2]> {
    let (rr, ri) = (i32::from(r[0]), i32::from(r[1]));
    samples
        .iter()
        .map(|&[x, y]| {
            let (x, y) = (i32::from(x), i32::from(y));
            [
                sat16((x * rr - y * ri + 8192) >> 14),
                sat16((x * ri + y * rr + 8192) >> 14),
            ]
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Inputs

fn random_atoms(rng: &mut Rng, window: usize, count: usize) -> AtomSet {
    let atoms = (0..2 * window * count).map(|_| rng.i16()).collect();
    AtomSet::new(window, atoms).expect("valid atoms")
}

/// A window within the L1 budget: `0..=max_terms` terms with random (often extreme)
/// coefficients, scaled down to a random limit or exactly onto the budget, and a random shift
/// (often small, so that the sums saturate).
fn random_window(rng: &mut Rng, k: usize, max_terms: usize) -> WindowCode {
    let n = rng.below(max_terms as u64 + 1) as usize;
    let mut terms: Vec<Term> = (0..n)
        .map(|_| Term {
            atom: rng.below(k as u64) as u16,
            coef: [rng.i16().max(-32767), rng.i16().max(-32767)],
        })
        .collect();
    let l1 = |terms: &[Term]| -> u64 {
        terms
            .iter()
            .map(|t| u64::from(t.coef[0].unsigned_abs()) + u64::from(t.coef[1].unsigned_abs()))
            .sum()
    };
    let limit = match rng.below(3) {
        0 => u64::from(COEF_L1_MAX),
        _ => rng.below(u64::from(COEF_L1_MAX)) + 1,
    };
    let total = l1(&terms);
    if total > limit {
        for t in &mut terms {
            for c in &mut t.coef {
                *c = (i64::from(*c) * limit as i64 / total as i64) as i16;
            }
        }
    }
    // Push onto the budget exactly, now and then.
    if rng.below(4) == 0 {
        let spare = u64::from(COEF_L1_MAX) - l1(&terms);
        if let Some(t) = terms.first_mut() {
            let grow = spare.min(32767 - u64::from(t.coef[0].unsigned_abs())) as i16;
            t.coef[0] = if t.coef[0] < 0 {
                t.coef[0] - grow
            } else {
                t.coef[0] + grow
            };
        }
    }
    assert!(l1(&terms) <= u64::from(COEF_L1_MAX));
    let shift = match rng.below(4) {
        0 => 0,
        1 => MAX_SHIFT,
        _ => rng.below(u64::from(MAX_SHIFT) + 1) as u8,
    };
    WindowCode { shift, terms }
}

/// A sparse waveform of `len` samples, repeating its previous window now and then (flat tops).
fn random_sparse(rng: &mut Rng, atoms: &AtomSet, len: usize, max_terms: usize) -> CodedWaveform {
    let mut windows: Vec<WindowCode> = Vec::new();
    for _ in 0..len.div_ceil(atoms.window) {
        let w = match windows.last() {
            Some(last) if rng.below(4) == 0 => last.clone(),
            _ => random_window(rng, atoms.count(), max_terms),
        };
        windows.push(w);
    }
    CodedWaveform::Sparse {
        len: len as u32,
        windows,
        modulation: None,
    }
}

/// The windows the kernels treat differently: 16, 32, 64 (constant-size paths), 24 and 40
/// (blocks of 32 and 64 computed and cut), and now and then any size up to 256 (several blocks).
fn random_window_size(rng: &mut Rng) -> usize {
    match rng.below(8) {
        0 => 16,
        1 | 2 => 32,
        3 => 64,
        4 => 24,
        5 => 40,
        _ => 1 + rng.below(256) as usize,
    }
}

// ---------------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn waveforms_match_the_scalar_definition(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let window = random_window_size(&mut rng);
        let count = 1 + rng.below(12) as usize;
        let atoms = random_atoms(&mut rng, window, count);
        // One scratch and one output buffer for all waveforms, as the decoder keeps them: stale
        // contents must not leak into the next waveform.
        let mut scratch = WindowScratch::new();
        let mut reused = Vec::new();
        for _ in 0..4 {
            let max_terms = if rng.below(2) == 0 { 4 } else { MAX_TERMS };
            let len = rng.below(6 * window as u64 + 1) as usize;
            let wf = random_sparse(&mut rng, &atoms, len, max_terms);
            let want = reference_waveform(&atoms, &wf);
            prop_assert_eq!(want.len(), len);
            prop_assert_eq!(&reconstruct_waveform(Some(&atoms), &wf).unwrap(), &want);
            reconstruct_into(Some(&atoms), &wf, &mut reused).unwrap();
            prop_assert_eq!(&reused, &want);
            reconstruct_unchecked_with(Some(&atoms), &wf, &mut scratch, &mut reused).unwrap();
            prop_assert_eq!(&reused, &want);
        }
    }

    #[test]
    fn windows_match_the_scalar_definition(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let window = random_window_size(&mut rng);
        let count = 1 + rng.below(20) as usize;
        let atoms = random_atoms(&mut rng, window, count);
        let mut scratch = WindowScratch::new();
        for _ in 0..8 {
            let code = random_window(&mut rng, atoms.count(), MAX_TERMS);
            let want = reference_window(&atoms, &code);
            let n = rng.below(window as u64 + 1) as usize;
            let mut out = vec![[0x5555i16; 2]; n];
            reconstruct_window(&atoms, &code, &mut out).unwrap();
            prop_assert_eq!(&out[..], &want[..n]);
            let mut out = vec![[0x5555i16; 2]; n];
            reconstruct_window_with(&atoms, &code, &mut scratch, &mut out).unwrap();
            prop_assert_eq!(&out[..], &want[..n]);
        }
    }

    #[test]
    fn rotations_match_the_scalar_definition(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let len = rng.below(300) as usize;
        let samples: Vec<[i16; 2]> = (0..len).map(|_| [rng.i16(), rng.i16()]).collect();
        let r = match rng.below(4) {
            0 => IDENTITY_ROTATION,
            _ => [rng.i16().max(-32767), rng.i16().max(-32767)],
        };
        let want = reference_rotation(&samples, r);
        let mut got = samples.clone();
        rotate_samples(&mut got, r).unwrap();
        prop_assert_eq!(&got, &want);
        let mut out = vec![[7i16; 2]; rng.below(400) as usize];
        rotate_into(&samples, r, &mut out).unwrap();
        prop_assert_eq!(&out, &want);
    }

    /// Outside the validated ranges the unchecked path must not panic, and keeps the length.
    #[test]
    fn the_unchecked_path_never_panics(seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let window = random_window_size(&mut rng);
        let count = 1 + rng.below(4) as usize;
        let atoms = random_atoms(&mut rng, window, count);
        let len = rng.below(4 * window as u64 + 1) as usize;
        let windows = (0..rng.below(6))
            .map(|_| WindowCode {
                shift: rng.next_u64() as u8,
                terms: (0..rng.below(20))
                    .map(|_| Term { atom: rng.next_u64() as u16, coef: [rng.i16(), rng.i16()] })
                    .collect(),
            })
            .collect();
        let wf = CodedWaveform::Sparse { len: len as u32, windows, modulation: None };
        let mut out = vec![[1i16; 2]; rng.below(100) as usize];
        reconstruct_unchecked_with(Some(&atoms), &wf, &mut WindowScratch::new(), &mut out)
            .unwrap();
        prop_assert_eq!(out.len(), len);
    }
}

/// Sums that saturate on both sides, at every shift, on every kernel path: atoms at the `i16`
/// extremes and coefficients on the L1 budget.
#[test]
fn saturation_at_the_extremes_matches_the_definition() {
    let mut saturated = 0;
    for window in [16, 24, 32, 40, 64, 100] {
        let extremes = [i16::MIN, i16::MAX, -1, 1, 0];
        let atoms: Vec<i16> = (0..2 * window * 5)
            .map(|i| extremes[(i / 3 + i / (2 * window)) % 5])
            .collect();
        let atoms = AtomSet::new(window, atoms).unwrap();
        for shift in 0..=MAX_SHIFT {
            for n in 1..=MAX_TERMS {
                let each = (COEF_L1_MAX as usize / (2 * n)) as i16;
                let terms = (0..n)
                    .map(|t| Term {
                        atom: (t % 5) as u16,
                        coef: [if t % 2 == 0 { each } else { -each }, each],
                    })
                    .collect();
                let wf = CodedWaveform::Sparse {
                    len: (2 * window - 3) as u32,
                    windows: vec![WindowCode { shift, terms }; 2],
                    modulation: None,
                };
                let want = reference_waveform(&atoms, &wf);
                saturated += want
                    .iter()
                    .flatten()
                    .filter(|v| **v == i16::MIN || **v == i16::MAX)
                    .count();
                assert_eq!(
                    reconstruct_waveform(Some(&atoms), &wf).unwrap(),
                    want,
                    "W {window}, shift {shift}, {n} terms"
                );
            }
        }
    }
    assert!(saturated > 1000, "the inputs must saturate ({saturated})");
}
