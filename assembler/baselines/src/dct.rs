//! The COMPAQT-style DCT baseline for waveforms: windowed discrete cosine transform,
//! coefficient thresholding and uniform quantisation, with an honest bit count.
//!
//! COMPAQT (Maurya & Tannu, MICRO 2022) compresses the waveform memory of a qubit controller at
//! compile time with a hardware-friendly DCT and decompresses it on the fly in front of the DACs;
//! small windows keep the inverse transform cheap in hardware and let each window of a pulse keep
//! only the few low-frequency coefficients a smooth envelope needs. We follow that scheme with
//! windows of [`DEFAULT_WINDOW`] = 16 samples, an orthonormal floating-point DCT-II (COMPAQT's
//! integer DCT approximates it) and a concrete variable-length code for what is kept.
//!
//! # Method
//!
//! The complex samples are cut into windows of `window` samples (the last window may be shorter
//! and gets a DCT of its own length). I and Q are transformed separately with the orthonormal
//! DCT-II, `c_k = √(2/m)·a_k·Σ_n x_n·cos(π(2n+1)k/(2m))`, `a_0 = 1/√2`, `a_k = 1` otherwise. A
//! coefficient with `|c| < threshold` is dropped; the rest are quantised to `q = round(c/step)`
//! and those that round to 0 are dropped too. The decoder rebuilds `x̂ = DCT-III(q·step)`.
//! Because the transform is orthonormal, a window's reconstruction error is the coefficient error:
//! at most `step/2` per kept coefficient and `threshold` per dropped one.
//!
//! # Bit string
//!
//! MSB-first ([`eqisa_isa::BitWriter`]); `γ(v)` is the Elias-gamma code of `v ≥ 1`
//! (`⌊log2 v⌋` zeros, then `v` in `⌊log2 v⌋ + 1` bits), `EG_k(v)` the order-`k` exp-Golomb code
//! of `v ≥ 0` (`γ(⌊v/2^k⌋ + 1)` then the low `k` bits of `v`).
//!
//! | field | code |
//! |---|---|
//! | sample count `n` | `γ(n + 1)` |
//! | window length | `γ(window)` |
//! | quantisation step | 32 bits, IEEE-754 single precision (the encoder quantises with exactly this value) |
//! | magnitude order `k` | 5 bits (the encoder picks the `k` that makes the stream shortest) |
//! | per window, I then Q: kept count `c` | `γ(c + 1)` |
//! | per kept coefficient: position gap `g` (from the previous kept position + 1, or 0) | `γ(g + 1)` |
//! | its sign | 1 bit (1 = negative) |
//! | its magnitude | `EG_k(|q| − 1)` |
//!
//! [`DctCoded::bits`] is the length of that string, which [`dct_decode`] turns back into exactly
//! [`DctCoded::reconstructed`].
//!
//! # Searching for a budget
//!
//! [`dct_at_budget`] tries COMPAQT's small windows ([`SEARCH_WINDOWS`]: 16 and 32 samples) and
//! ties the threshold to the step (`threshold = κ·step`, κ in [`THRESHOLD_FACTORS`]). For the
//! first configuration it bisects `log2(step)` to 1/8 between a step 2^-24 of the largest
//! coefficient (finer than any DAC) and one above every coefficient (everything dropped), keeping
//! the coarsest step whose reconstruction the caller's infidelity measure accepts; the other
//! configurations bisect in a bracket of [−3, +1] around that step. The infidelity is not
//! monotone in the step (quantisation errors can cancel), so a few slightly coarser steps above
//! the best configuration's boundary are tried last. About 40 infidelity evaluations in all; the
//! cheapest stream found wins, and plain 16-bit I/Q samples replace it when no step meets the
//! budget or when they are cheaper ([`DctResult::coding`] says which and why).
//!
//! On a 160-sample DRAG π pulse at an added infidelity of 1e-5 this gives ~240 bits (window 32)
//! against 5,120 for the 16-bit samples; a dense scan of steps finds ~5 % fewer.

use eqisa_ir::matrix::C64;
use eqisa_isa::{BitReader, BitWriter};

/// COMPAQT-style window length, in samples.
pub const DEFAULT_WINDOW: usize = 16;

/// The largest window [`dct_encode`] accepts (a DCT window is meant to be small; this also bounds
/// the cosine table).
pub const MAX_WINDOW: usize = 4096;

/// The window lengths [`dct_at_budget`] tries: COMPAQT's small windows. Smooth pulses favour the
/// longer one (fewer windows, each with a handful of coefficients), short or ragged ones the
/// shorter.
pub const SEARCH_WINDOWS: [usize; 2] = [16, 32];

/// The threshold factors κ (`threshold = κ·step`) [`dct_at_budget`] tries. κ = 0.5 is plain
/// quantisation (coefficients below step/2 round to zero anyway); larger κ drop more small
/// coefficients at a given step, which a finer step can then pay back.
pub const THRESHOLD_FACTORS: [f64; 3] = [0.5, 1.0, 2.0];

/// Bits per I or Q sample of the lossless fallback (the DAC word).
pub const LOSSLESS_SAMPLE_BITS: u64 = 16;

/// Bisection resolution of [`dct_at_budget`] on `log2(step)`: steps within 2^(1/8) of each other
/// cost almost the same bits.
const LOG2_STEP_RESOLUTION: f64 = 0.125;

/// How far below the largest coefficient the finest step of the search lies (log2).
const LOG2_FINEST_STEP: f64 = -24.0;

/// Why a waveform cannot be DCT-coded, or a bit string decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DctError {
    /// The window length is 0 or above [`MAX_WINDOW`].
    #[error("the DCT window must be 1..={MAX_WINDOW} samples, not {0}")]
    Window(usize),
    /// The step is not a positive finite number representable as a normal `f32`.
    #[error("the quantisation step must be a positive, finite, normal f32, not {0}")]
    Step(f64),
    /// The step is so fine that quantised values would exceed 2^52 (beyond f64 resolution).
    #[error("the quantisation step {step} is too fine for coefficients up to {peak}")]
    StepTooFine {
        /// The step asked for.
        step: f64,
        /// The largest coefficient magnitude.
        peak: f64,
    },
    /// The threshold is negative or not finite.
    #[error("the threshold must be finite and ≥ 0, not {0}")]
    Threshold(f64),
    /// A sample is NaN or infinite.
    #[error("sample {index} is not finite")]
    NonFinite {
        /// Index of the sample.
        index: usize,
    },
    /// The bit string ends early.
    #[error("DCT bit string truncated: {0}")]
    Truncated(#[from] eqisa_isa::IsaError),
    /// The bit string is not one [`dct_encode`] writes.
    #[error("malformed DCT bit string: {0}")]
    Malformed(&'static str),
}

/// What to code a waveform with: window length in samples, the magnitude below which a
/// coefficient is dropped, and the uniform quantisation step (both in sample-amplitude units;
/// the step is rounded to `f32`, as the stream stores it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DctParams {
    /// Samples per window.
    pub window: usize,
    /// Coefficients with `|c|` below this are dropped.
    pub threshold: f64,
    /// Uniform quantisation step of the kept coefficients.
    pub step: f64,
}

/// A DCT-coded waveform.
#[derive(Clone, Debug, PartialEq)]
pub struct DctCoded {
    /// Length of [`stream`](Self::stream) in bits (without the final byte's padding).
    pub bits: u64,
    /// What the decoder rebuilds: exactly [`dct_decode`]`(&stream)`.
    pub reconstructed: Vec<C64>,
    /// The bit string (see the [module docs](self)), padded to whole bytes.
    pub stream: Vec<u8>,
}

/// How [`dct_at_budget`] coded a waveform.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DctCoding {
    /// Windowed DCT with these parameters.
    Dct(DctParams),
    /// Plain 16-bit I/Q samples.
    Lossless16(LosslessReason),
}

/// Why [`dct_at_budget`] fell back to 16-bit samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LosslessReason {
    /// No DCT parameters reconstruct the waveform within the budget.
    BudgetUnmet,
    /// DCT parameters meet the budget, but cost more bits than the samples themselves.
    Cheaper,
}

/// The outcome of [`dct_at_budget`].
#[derive(Clone, Debug, PartialEq)]
pub struct DctResult {
    /// Bits of the chosen representation.
    pub bits: u64,
    /// The samples it plays.
    pub reconstructed: Vec<C64>,
    /// The caller's infidelity of [`reconstructed`](Self::reconstructed).
    pub infidelity: f64,
    /// DCT parameters, or the lossless fallback and why.
    pub coding: DctCoding,
    /// How many times the infidelity measure was called.
    pub evaluations: usize,
}

impl DctResult {
    /// Whether the lossless fallback was chosen.
    pub fn is_lossless(&self) -> bool {
        matches!(self.coding, DctCoding::Lossless16(_))
    }
}

/// Orthonormal DCT-II basis of one window length: `rows[k·m + n] = √(2/m)·a_k·cos(π(2n+1)k/2m)`.
struct Basis {
    len: usize,
    rows: Vec<f64>,
}

impl Basis {
    fn new(len: usize) -> Self {
        let m = len as f64;
        let mut rows = Vec::with_capacity(len * len);
        for k in 0..len {
            let norm = if k == 0 {
                (1.0 / m).sqrt()
            } else {
                (2.0 / m).sqrt()
            };
            for n in 0..len {
                let angle = std::f64::consts::PI * (2 * n + 1) as f64 * k as f64 / (2.0 * m);
                rows.push(norm * angle.cos());
            }
        }
        Basis { len, rows }
    }

    fn forward(&self, x: &[f64], out: &mut [f64]) {
        for (k, c) in out.iter_mut().enumerate().take(self.len) {
            let row = &self.rows[k * self.len..(k + 1) * self.len];
            *c = row.iter().zip(x).map(|(b, v)| b * v).sum();
        }
    }

    /// `out = Σ_kept q·step·row_k`: the decoder's arithmetic, shared by the encoder so that its
    /// reconstruction is bit-for-bit the decoder's.
    fn inverse(&self, kept: &[(usize, i64)], step: f64, out: &mut [f64]) {
        out.iter_mut().for_each(|v| *v = 0.0);
        for &(k, q) in kept {
            let amp = q as f64 * step;
            let row = &self.rows[k * self.len..(k + 1) * self.len];
            for (v, b) in out.iter_mut().zip(row) {
                *v += amp * b;
            }
        }
    }
}

/// The DCT coefficients of every window of a waveform, I and Q apart.
struct Transformed {
    n: usize,
    window: usize,
    /// Coefficients of window `w`, channel `ch` (0 = I, 1 = Q) at `[2w + ch]`.
    coeffs: Vec<Vec<f64>>,
    peak: f64,
}

impl Transformed {
    fn new(samples: &[C64], window: usize) -> Self {
        let full = Basis::new(window);
        let tail_len = samples.len() % window;
        let tail = (tail_len != 0).then(|| Basis::new(tail_len));
        let mut coeffs = Vec::with_capacity(2 * samples.len().div_ceil(window));
        let mut peak = 0.0f64;
        let mut buf = vec![0.0; window];
        for chunk in samples.chunks(window) {
            let basis = if chunk.len() == window {
                &full
            } else {
                tail.as_ref().unwrap_or(&full)
            };
            for ch in 0..2 {
                let x: Vec<f64> = chunk
                    .iter()
                    .map(|s| if ch == 0 { s.re } else { s.im })
                    .collect();
                basis.forward(&x, &mut buf);
                let c = buf[..chunk.len()].to_vec();
                peak = c.iter().fold(peak, |p, v| p.max(v.abs()));
                coeffs.push(c);
            }
        }
        Transformed {
            n: samples.len(),
            window,
            coeffs,
            peak,
        }
    }
}

fn check_finite(samples: &[C64]) -> Result<(), DctError> {
    match samples
        .iter()
        .position(|s| !(s.re.is_finite() && s.im.is_finite()))
    {
        Some(index) => Err(DctError::NonFinite { index }),
        None => Ok(()),
    }
}

/// Code `samples` with the windowed DCT: see the [module docs](self) for the method and the bit
/// string. Errors on a window outside `1..=MAX_WINDOW`, a step that is not a positive normal
/// `f32` or finer than 2^-52 of the largest coefficient, a negative or non-finite threshold, or a
/// non-finite sample.
pub fn dct_encode(samples: &[C64], p: &DctParams) -> Result<DctCoded, DctError> {
    if p.window == 0 || p.window > MAX_WINDOW {
        return Err(DctError::Window(p.window));
    }
    if !(p.threshold.is_finite() && p.threshold >= 0.0) {
        return Err(DctError::Threshold(p.threshold));
    }
    check_finite(samples)?;
    encode_transformed(&Transformed::new(samples, p.window), p)
}

fn encode_transformed(t: &Transformed, p: &DctParams) -> Result<DctCoded, DctError> {
    let step32 = p.step as f32;
    if !(step32.is_normal() && step32 > 0.0) {
        return Err(DctError::Step(p.step));
    }
    let step = f64::from(step32);
    if t.peak / step > (1u64 << 52) as f64 {
        return Err(DctError::StepTooFine { step, peak: t.peak });
    }

    // Quantise: per window and channel, the kept (position, value) pairs.
    let kept: Vec<Vec<(usize, i64)>> = t
        .coeffs
        .iter()
        .map(|c| {
            c.iter()
                .enumerate()
                .filter(|(_, v)| v.abs() >= p.threshold)
                .map(|(k, v)| (k, (v / step).round() as i64))
                .filter(|&(_, q)| q != 0)
                .collect()
        })
        .collect();

    // The magnitude order that makes the stream shortest.
    let magnitudes: Vec<u64> = kept
        .iter()
        .flatten()
        .map(|&(_, q)| q.unsigned_abs() - 1)
        .collect();
    let order = (0..32u32)
        .min_by_key(|&k| {
            magnitudes
                .iter()
                .map(|&m| exp_golomb_len(m, k))
                .sum::<u64>()
        })
        .unwrap_or(0);

    let mut w = BitWriter::new();
    write_gamma(&mut w, t.n as u64 + 1);
    write_gamma(&mut w, t.window as u64);
    w.write_bits(u64::from(step32.to_bits()), 32);
    w.write_bits(u64::from(order), 5);
    for list in &kept {
        write_gamma(&mut w, list.len() as u64 + 1);
        let mut next = 0usize;
        for &(k, q) in list {
            write_gamma(&mut w, (k - next) as u64 + 1);
            next = k + 1;
            w.write_bit(q < 0);
            write_exp_golomb(&mut w, q.unsigned_abs() - 1, order);
        }
    }
    let bits = w.bit_len();
    let stream = w.finish();
    let reconstructed = rebuild(t.n, t.window, &kept, step);
    Ok(DctCoded {
        bits,
        reconstructed,
        stream,
    })
}

/// Inverse transform of every window's kept coefficients.
fn rebuild(n: usize, window: usize, kept: &[Vec<(usize, i64)>], step: f64) -> Vec<C64> {
    let full = Basis::new(window);
    let tail_len = n % window;
    let tail = (tail_len != 0).then(|| Basis::new(tail_len));
    let mut out = Vec::with_capacity(n);
    let mut re = vec![0.0; window];
    let mut im = vec![0.0; window];
    for (w, pair) in kept.chunks(2).enumerate() {
        let len = window.min(n - w * window);
        let basis = if len == window {
            &full
        } else {
            tail.as_ref().unwrap_or(&full)
        };
        basis.inverse(&pair[0], step, &mut re[..len]);
        basis.inverse(pair.get(1).map_or(&[][..], |v| v), step, &mut im[..len]);
        out.extend((0..len).map(|i| C64::new(re[i], im[i])));
    }
    out
}

/// Rebuild the samples from a bit string [`dct_encode`] wrote.
pub fn dct_decode(stream: &[u8]) -> Result<Vec<C64>, DctError> {
    let mut r = BitReader::new(stream);
    let n = read_gamma(&mut r)? - 1;
    let window = read_gamma(&mut r)?;
    if window == 0 || window > MAX_WINDOW as u64 {
        return Err(DctError::Malformed("window length out of range"));
    }
    let window = window as usize;
    let step32 = f32::from_bits(r.read_bits(32)? as u32);
    if !(step32.is_normal() && step32 > 0.0) {
        return Err(DctError::Malformed(
            "quantisation step not a positive normal f32",
        ));
    }
    let order = r.read_bits(5)? as u32;
    // Every window costs at least two bits (two empty counts): a count beyond that is garbage,
    // and refusing it bounds the allocation below.
    let windows = n.div_ceil(window as u64);
    if windows.saturating_mul(2) > r.bits_remaining() {
        return Err(DctError::Malformed("more windows than the stream can hold"));
    }
    let n = n as usize;
    let mut kept = Vec::with_capacity(2 * windows as usize);
    for w in 0..windows as usize {
        let len = window.min(n - w * window);
        for _ in 0..2 {
            let count = read_gamma(&mut r)? - 1;
            if count > len as u64 {
                return Err(DctError::Malformed(
                    "more kept coefficients than the window has",
                ));
            }
            let mut list = Vec::with_capacity(count as usize);
            let mut next = 0u64;
            for _ in 0..count {
                let k = next + read_gamma(&mut r)? - 1;
                if k >= len as u64 {
                    return Err(DctError::Malformed(
                        "coefficient position beyond the window",
                    ));
                }
                next = k + 1;
                let negative = r.read_bit()?;
                let magnitude = read_exp_golomb(&mut r, order)?;
                if magnitude >= 1 << 62 {
                    return Err(DctError::Malformed("coefficient magnitude out of range"));
                }
                let q = magnitude as i64 + 1;
                list.push((k as usize, if negative { -q } else { q }));
            }
            kept.push(list);
        }
    }
    Ok(rebuild(n, window, &kept, f64::from(step32)))
}

fn write_gamma(w: &mut BitWriter, v: u64) {
    debug_assert!(v >= 1);
    let width = 64 - v.leading_zeros();
    w.write_bits(0, width - 1);
    w.write_bits(v, width);
}

fn read_gamma(r: &mut BitReader<'_>) -> Result<u64, DctError> {
    let mut zeros = 0u32;
    while !r.read_bit()? {
        zeros += 1;
        if zeros > 63 {
            return Err(DctError::Malformed("Elias-gamma code longer than 64 bits"));
        }
    }
    let rest = r.read_bits(zeros)?;
    Ok((1u64 << zeros) | rest)
}

fn exp_golomb_len(v: u64, k: u32) -> u64 {
    let high = (v >> k) + 1;
    u64::from(2 * (63 - high.leading_zeros()) + 1 + k)
}

fn write_exp_golomb(w: &mut BitWriter, v: u64, k: u32) {
    write_gamma(w, (v >> k) + 1);
    w.write_bits(v, k);
}

fn read_exp_golomb(r: &mut BitReader<'_>, k: u32) -> Result<u64, DctError> {
    let high = read_gamma(r)? - 1;
    if high >= 1 << (63 - k.min(63)) {
        return Err(DctError::Malformed("exp-Golomb value out of range"));
    }
    Ok((high << k) | r.read_bits(k)?)
}

/// The lossless fallback: each of I and Q as a 16-bit DAC word (`round(x·32767)`, full scale
/// ±1; values beyond full scale saturate, as the DAC would).
fn lossless16(samples: &[C64]) -> (u64, Vec<C64>) {
    let word = |x: f64| (x * 32767.0).round().clamp(-32768.0, 32767.0) / 32767.0;
    let rebuilt = samples
        .iter()
        .map(|s| C64::new(word(s.re), word(s.im)))
        .collect();
    (2 * LOSSLESS_SAMPLE_BITS * samples.len() as u64, rebuilt)
}

/// What [`dct_at_budget_with`] searches over.
#[derive(Clone, Debug, PartialEq)]
pub struct DctSearch {
    /// Window lengths to try.
    pub windows: Vec<usize>,
    /// Threshold factors κ to try (`threshold = κ·step`).
    pub threshold_factors: Vec<f64>,
    /// Extra steps tried just above the best configuration's bisection boundary, 2^(1/16) apart
    /// (the infidelity is not monotone in the step, so a slightly coarser step can still pass).
    pub refine_points: usize,
}

impl Default for DctSearch {
    /// Windows [`SEARCH_WINDOWS`], factors [`THRESHOLD_FACTORS`], 8 refinement points.
    fn default() -> Self {
        DctSearch {
            windows: SEARCH_WINDOWS.to_vec(),
            threshold_factors: THRESHOLD_FACTORS.to_vec(),
            refine_points: 8,
        }
    }
}

/// A feasible coding found by the search.
struct Candidate {
    coded: DctCoded,
    params: DctParams,
    infidelity: f64,
    log2_step: f64,
}

/// [`dct_at_budget_with`] with the default search ([`DctSearch::default`]).
pub fn dct_at_budget(
    samples: &[C64],
    budget: f64,
    infidelity: impl FnMut(&[C64]) -> f64,
) -> Result<DctResult, DctError> {
    dct_at_budget_with(samples, budget, infidelity, &DctSearch::default())
}

/// The cheapest DCT coding found whose reconstruction keeps `infidelity(reconstructed) ≤
/// budget`, or the lossless 16-bit samples when no DCT coding does or when they are cheaper (the
/// result says which, and why). See the [module docs](self) for the search; `infidelity` is
/// called about 40 times with the default search, and a NaN counts as over budget. Errors on a
/// non-finite sample or a window outside `1..=MAX_WINDOW`.
pub fn dct_at_budget_with(
    samples: &[C64],
    budget: f64,
    mut infidelity: impl FnMut(&[C64]) -> f64,
    search: &DctSearch,
) -> Result<DctResult, DctError> {
    check_finite(samples)?;
    if let Some(&w) = search.windows.iter().find(|&&w| w == 0 || w > MAX_WINDOW) {
        return Err(DctError::Window(w));
    }
    let mut evaluations = 0usize;
    let mut try_code = |t: &Transformed, kappa: f64, log2_step: f64| {
        let step = log2_step.exp2();
        let params = DctParams {
            window: t.window,
            threshold: kappa * step,
            step,
        };
        let coded = encode_transformed(t, &params)?;
        let f = infidelity(&coded.reconstructed);
        evaluations += 1;
        Ok::<_, DctError>((f <= budget).then_some(Candidate {
            coded,
            params,
            infidelity: f,
            log2_step,
        }))
    };
    let mut best: Option<(Candidate, f64)> = None; // and its κ
    let keep = |best: &mut Option<(Candidate, f64)>, c: Candidate, kappa: f64| {
        if best
            .as_ref()
            .is_none_or(|(b, _)| c.coded.bits < b.coded.bits)
        {
            *best = Some((c, kappa));
        }
    };

    // The boundary step of the first configuration brackets the others' (the infidelity
    // depends on the step far more than on the window or κ).
    let mut anchor: Option<f64> = None;
    let mut best_transform: Option<Transformed> = None;
    for &window in &search.windows {
        let t = Transformed::new(samples, window);
        let mut improved = false;
        if t.peak == 0.0 {
            // All zero (or empty): every coefficient drops whatever the step.
            if let Some(c) = try_code(&t, 0.5, 0.0)? {
                keep(&mut best, c, 0.5);
                improved = true;
            }
        } else {
            for &kappa in &search.threshold_factors {
                let (mut lo, mut hi) = match anchor {
                    None => {
                        let top = t.peak.log2();
                        (top + LOG2_FINEST_STEP, top + 1.0)
                    }
                    Some(a) => (a - 3.0, a + 1.0),
                };
                let mut feasible = None;
                while hi - lo > LOG2_STEP_RESOLUTION {
                    let mid = 0.5 * (lo + hi);
                    match try_code(&t, kappa, mid)? {
                        Some(c) => {
                            feasible = Some(c);
                            lo = mid;
                        }
                        None => hi = mid,
                    }
                }
                if feasible.is_none() {
                    feasible = try_code(&t, kappa, lo)?;
                }
                if let Some(c) = feasible {
                    anchor.get_or_insert(c.log2_step);
                    let before = best.as_ref().map(|(b, _)| b.coded.bits);
                    keep(&mut best, c, kappa);
                    improved |= best.as_ref().map(|(b, _)| b.coded.bits) != before;
                }
            }
        }
        if improved {
            best_transform = Some(t);
        }
    }

    // Refine around the best configuration's boundary.
    if let (Some((found, kappa)), Some(t)) = (&best, &best_transform) {
        let (base, kappa) = (found.log2_step, *kappa);
        if t.peak > 0.0 {
            for j in 1..=search.refine_points {
                if let Some(c) = try_code(t, kappa, base + j as f64 / 16.0)? {
                    keep(&mut best, c, kappa);
                }
            }
        }
    }

    let (raw_bits, raw) = lossless16(samples);
    match best {
        Some((c, _)) if c.coded.bits < raw_bits => Ok(DctResult {
            bits: c.coded.bits,
            reconstructed: c.coded.reconstructed,
            infidelity: c.infidelity,
            coding: DctCoding::Dct(c.params),
            evaluations,
        }),
        found => {
            let reason = if found.is_some() {
                LosslessReason::Cheaper
            } else {
                LosslessReason::BudgetUnmet
            };
            let f = infidelity(&raw);
            Ok(DctResult {
                bits: raw_bits,
                reconstructed: raw,
                infidelity: f,
                coding: DctCoding::Lossless16(reason),
                evaluations: evaluations + 1,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_test_support::Rng;

    #[test]
    fn gamma_and_exp_golomb_round_trip() {
        let values = [0u64, 1, 2, 3, 7, 8, 1000, (1 << 40) + 5];
        for k in [0u32, 1, 3, 9] {
            let mut w = BitWriter::new();
            for &v in &values {
                write_gamma(&mut w, v + 1);
                write_exp_golomb(&mut w, v, k);
            }
            let expected: u64 = values
                .iter()
                .map(|&v| exp_golomb_len(v, 0) + exp_golomb_len(v, k))
                .sum();
            assert_eq!(w.bit_len(), expected);
            let bytes = w.finish();
            let mut r = BitReader::new(&bytes);
            for &v in &values {
                assert_eq!(read_gamma(&mut r).ok(), Some(v + 1));
                assert_eq!(read_exp_golomb(&mut r, k).ok(), Some(v));
            }
        }
    }

    /// `amp·(f + i·β·f′)` with `f` Qiskit's lifted Gaussian, on `duration` samples.
    fn drag(duration: usize, amp: f64, sigma: f64, beta: f64) -> Vec<C64> {
        let mu = duration as f64 / 2.0;
        let g = |x: f64| (-(x - mu) * (x - mu) / (2.0 * sigma * sigma)).exp();
        let g0 = g(-1.0);
        (0..duration)
            .map(|x| {
                let x = x as f64;
                let f = (g(x) - g0) / (1.0 - g0);
                let df = -(x - mu) / (sigma * sigma) * g(x) / (1.0 - g0);
                C64::new(amp * f, amp * beta * df)
            })
            .collect()
    }

    /// A rough, non-smooth test signal (every coefficient matters).
    fn ragged(n: usize) -> Vec<C64> {
        (0..n)
            .map(|k| {
                let x = k as f64;
                C64::new(
                    0.4 * (x * 1.7).sin() * (x * 0.05).cos(),
                    0.3 * (x * 2.3).cos(),
                )
            })
            .collect()
    }

    fn max_error(a: &[C64], b: &[C64]) -> f64 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).norm())
            .fold(0.0, f64::max)
    }

    #[test]
    fn forward_then_inverse_is_identity() {
        for len in [1, 7, 16, 32] {
            let b = Basis::new(len);
            let x: Vec<f64> = ragged(len).iter().map(|s| s.re).collect();
            let mut c = vec![0.0; len];
            b.forward(&x, &mut c);
            for (n, &xn) in x.iter().enumerate() {
                let back: f64 = (0..len).map(|k| c[k] * b.rows[k * len + n]).sum();
                assert!((back - xn).abs() < 1e-14);
            }
            // Orthonormal: energy is preserved.
            let ex: f64 = x.iter().map(|v| v * v).sum();
            let ec: f64 = c.iter().map(|v| v * v).sum();
            assert!((ex - ec).abs() < 1e-13);
        }
    }

    /// With a tiny step and no threshold the reconstruction is exact to the quantisation: an
    /// orthonormal transform keeps the error of each window at most `√m·step/2`.
    #[test]
    fn tiny_step_round_trip_is_exact_to_quantisation() {
        let samples = ragged(100); // 6 full windows and a tail of 4
        for step in [1e-3, 1e-6, 1e-9] {
            let p = DctParams {
                window: DEFAULT_WINDOW,
                threshold: 0.0,
                step,
            };
            let coded = dct_encode(&samples, &p).expect("valid parameters");
            let bound = (DEFAULT_WINDOW as f64).sqrt() * step; // √m·step/2 for I and Q each
            assert!(
                max_error(&samples, &coded.reconstructed) <= bound,
                "step {step}"
            );
        }
    }

    /// The bit string is what `bits` counts, and it decodes to exactly `reconstructed`.
    #[test]
    fn bit_string_decodes_to_reconstruction() {
        let cases = [
            (ragged(100), 16, 0.0, 1e-4),
            (ragged(100), 16, 0.05, 0.01),
            (ragged(5), 16, 0.0, 1e-3),
            (drag(160, 0.18, 40.0, 1.05), 32, 1e-4, 1e-4),
            (drag(160, 0.18, 40.0, 1.05), 8, 0.0, 1e-7),
            (Vec::new(), 16, 0.0, 1.0),
        ];
        for (samples, window, threshold, step) in cases {
            let p = DctParams {
                window,
                threshold,
                step,
            };
            let coded = dct_encode(&samples, &p).expect("valid parameters");
            assert_eq!(coded.stream.len() as u64, coded.bits.div_ceil(8));
            let decoded = dct_decode(&coded.stream).expect("decodes");
            assert_eq!(decoded, coded.reconstructed);
            assert_eq!(decoded.len(), samples.len());
        }
    }

    /// Thresholding drops exactly the small coefficients: with a threshold above every
    /// coefficient only the per-window empty counts remain, and the waveform is zero.
    #[test]
    fn threshold_drops_small_coefficients() {
        let samples = drag(160, 0.18, 40.0, 1.05);
        let all = dct_encode(
            &samples,
            &DctParams {
                window: 16,
                threshold: 0.0,
                step: 1e-4,
            },
        )
        .expect("valid");
        let some = dct_encode(
            &samples,
            &DctParams {
                window: 16,
                threshold: 1e-2,
                step: 1e-4,
            },
        )
        .expect("valid");
        let none = dct_encode(
            &samples,
            &DctParams {
                window: 16,
                threshold: 10.0,
                step: 1e-4,
            },
        )
        .expect("valid");
        assert!(all.bits > some.bits && some.bits > none.bits);
        // Header: γ(161) = 15, γ(16) = 9, step 32, order 5; then 10 windows × 2 counts × 1 bit.
        assert_eq!(none.bits, 15 + 9 + 32 + 5 + 20);
        assert!(none.reconstructed.iter().all(|s| *s == C64::new(0.0, 0.0)));
        // A smooth pulse needs few coefficients: well under the 16-bit samples' 5120 bits.
        assert!(some.bits < 1500, "{}", some.bits);
    }

    #[test]
    fn bad_parameters_and_streams_are_errors() {
        let samples = ragged(20);
        let p = |window, threshold, step| DctParams {
            window,
            threshold,
            step,
        };
        assert_eq!(
            dct_encode(&samples, &p(0, 0.0, 1e-3)),
            Err(DctError::Window(0))
        );
        assert_eq!(
            dct_encode(&samples, &p(16, 0.0, 0.0)),
            Err(DctError::Step(0.0))
        );
        assert!(matches!(
            dct_encode(&samples, &p(16, -1.0, 1e-3)),
            Err(DctError::Threshold(_))
        ));
        assert!(matches!(
            dct_encode(&samples, &p(16, 0.0, 1e-30)),
            Err(DctError::StepTooFine { .. })
        ));
        let mut nan = samples.clone();
        nan[3].im = f64::NAN;
        assert_eq!(
            dct_encode(&nan, &p(16, 0.0, 1e-3)),
            Err(DctError::NonFinite { index: 3 })
        );
        assert!(dct_at_budget(&nan, 1e-5, |_| 0.0).is_err());
        let coded = dct_encode(&samples, &p(16, 0.0, 1e-3)).expect("valid");
        let cut = &coded.stream[..coded.stream.len() / 2];
        assert!(matches!(dct_decode(cut), Err(DctError::Truncated(_))));
        assert!(dct_decode(&[]).is_err());
        assert!(dct_decode(&[0, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
    }

    fn transmon_for(pulse: &[C64]) -> eqisa_pulse::transmon::Transmon {
        let mut t =
            eqisa_pulse::transmon::Transmon::new(3, -0.34, 2.0 / 9.0).expect("valid transmon");
        t.calibrate(pulse).expect("calibrates");
        t
    }

    /// A calibrated DRAG π pulse (160 samples, IBM-like) meets a 1e-5 added-infidelity budget on
    /// the simulated transmon, with few simulations and far fewer bits than its 16-bit samples.
    #[test]
    fn budget_is_met_on_a_drag_pulse() {
        let pulse = drag(160, 0.18, 40.0, 1.05);
        let t = transmon_for(&pulse);
        let reference = t.evolve(&pulse, 0.0);
        let budget = 1e-5;
        let result = dct_at_budget(&pulse, budget, |rec| {
            t.added_infidelity_to(&reference, rec, 0.0)
        })
        .expect("finite samples");
        assert!(!result.is_lossless(), "{:?}", result.coding);
        assert!(result.infidelity <= budget);
        assert_eq!(
            t.added_infidelity(&pulse, &result.reconstructed, 0.0),
            result.infidelity
        );
        assert!(result.bits < 2 * 16 * 160 / 4, "{}", result.bits);
        // ~9 bisection steps for the first configuration, ~6 for each of the 5 others, 8 to refine.
        assert!(result.evaluations <= 50, "{}", result.evaluations);
        // The reported parameters reproduce the reported stream.
        let DctCoding::Dct(params) = result.coding else {
            unreachable!("checked above")
        };
        let again = dct_encode(&pulse, &params).expect("valid");
        assert_eq!(again.bits, result.bits);
        assert_eq!(again.reconstructed, result.reconstructed);
        // A tighter budget costs more bits.
        let tight = dct_at_budget(&pulse, 1e-8, |rec| {
            t.added_infidelity_to(&reference, rec, 0.0)
        })
        .expect("finite samples");
        assert!(tight.infidelity <= 1e-8 && tight.bits > result.bits);
    }

    /// An unreachable budget falls back to the 16-bit samples and says so.
    #[test]
    fn unreachable_budget_falls_back_to_lossless() {
        let pulse = drag(160, 0.18, 40.0, 1.05);
        let result = dct_at_budget(&pulse, -1.0, |_| 0.0).expect("finite samples");
        assert_eq!(
            result.coding,
            DctCoding::Lossless16(LosslessReason::BudgetUnmet)
        );
        assert_eq!(result.bits, 2 * 16 * 160);
        assert!(max_error(&pulse, &result.reconstructed) <= 0.5 / 32767.0 * 2f64.sqrt());
        // Noise is incompressible: a budget any step meets still prefers the raw words when the
        // DCT stream would be longer.
        let mut rng = Rng::new(0);
        let noise: Vec<C64> = (0..64)
            .map(|_| C64::new(rng.f64() - 0.5, rng.f64() - 0.5))
            .collect();
        let exact = |rec: &[C64]| max_error(&noise, rec);
        let r = dct_at_budget(&noise, 1e-9, exact).expect("finite samples");
        assert!(r.is_lossless(), "{:?} {}", r.coding, r.bits);
    }

    #[test]
    fn basis_is_orthonormal() {
        for len in [1, 5, 16, 32] {
            let b = Basis::new(len);
            for i in 0..len {
                for j in 0..len {
                    let dot: f64 = (0..len)
                        .map(|n| b.rows[i * len + n] * b.rows[j * len + n])
                        .sum();
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!((dot - want).abs() < 1e-14, "len {len}: {i},{j}");
                }
            }
        }
    }
}
