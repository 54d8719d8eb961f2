//! Waveform atoms measured on IBM device calibrations, against scikit-learn in the same run.
//!
//! Waveforms: every distinct waveform the calibrated gates of `defs_*.json` play (imported with
//! `conf_*`/`props_*` by `Device::from_file`, sampled by `Shape::samples`, Qiskit's published
//! formulas at the midpoints `t = i + ½`, through `pulse_atoms::device_waveforms`), cut into
//! windows of `W` complex samples; all-zero windows are dropped (they cost nothing to code).
//! Devices in sorted order, every fifth one (index ≡ 4 mod 5) held out, as in
//! `scripts/measure-pulses-heldout.sh`.
//!
//! * `peer` (default): the real embedding (`[I…, Q…]`, 2W reals) of up to `--rows` training
//!   windows (an even, deterministic stride over all of them) is written to `X.npy`;
//!   `peer-bench dictlearn X.npy ATOMS K` gives scikit-learn's seconds and RMSE; our K-SVD trains
//!   on the same rows until its OMP RMSE is at most scikit-learn's, and the ratio of seconds is
//!   printed. Our dictionary goes to `D.npy`; `peer-bench omp X.npy D.npy K` and our
//!   `omp_batch` code the same rows over it (ours: median of 5).
//! * `heldout`: complex (phase-equivariant) K-SVD on the training devices' windows, then, on the
//!   held-out devices' windows, mean atoms per window for a relative error ≤ 1e-3 and ≤ 1e-4, and
//!   relative error against sparsity.
//! * `all`: complex K-SVD on every device's windows (for the memory bound: run it under
//!   `/usr/bin/time -v`).
//! * `init`: the production pulse training (`pulse_atoms::training_windows`: unit-norm,
//!   phase-normalised, distinct windows; `--atoms`, `--k` as the sparsity, K-SVD) from sampled
//!   windows and from k-means centroids, after each of `--sweep` updates, averaged over the
//!   `--seeds`: seconds (k-means included), training RMSE, held-out RMSE (OMP at the training
//!   sparsity over the held-out devices' windows) and its range over seeds, the held-out
//!   windows' median relative error, and the mean atoms per held-out window for a relative
//!   error ≤ 1e-3. `ATOMS_BENCH_HISTORY=1` also prints each run's RMSE history and atoms
//!   replaced per update.
//! * `pca`: the same training windows, atoms learned at each sparsity `s` of `--sweep`; held-out
//!   RMSE of OMP-s over them against the mean plus the top principal components (linfa-reduction
//!   on the real embedding): `s`, `2s` (as many real coefficients as OMP's `s` complex ones)
//!   and `⌊s·(2 + log2 A / q)⌋` (as many bits, at `--coef-bits q` per real coefficient), and
//!   the fewest components that match OMP-s.
//!
//! `cargo run -p eqisa-dictionary --release --example atoms_bench -- [peer|heldout|all|init|pca]
//!  [--window W] [--atoms A] [--k K] [--rows N] [--iterations I] [--sweep a,b,…]
//!  [--seeds a,b,…] [--kmeans-iterations L] [--coef-bits q] [--out DIR]`

use std::error::Error;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use eqisa_dictionary::atoms::{
    Gram, Init, Method, PcaBasis, TrainParams, kmeans_atoms, omp, omp_batch_with_residuals,
    real_embedding, train_init, train_observed, windows,
};
use eqisa_dictionary::pulse_atoms::{PulseTrainParams, device_training_windows, device_waveforms};
use eqisa_pulse::Device;
use ndarray::{Array2, Axis};
use ndarray_npy::write_npy;
use num_complex::Complex64;
use serde_json::Value;

type Res<T> = Result<T, Box<dyn Error>>;

struct Opts {
    mode: String,
    window: usize,
    atoms: usize,
    /// `--k`: 4 for the scikit-learn comparison and the K-SVD runs, the production sparsity
    /// for `init` (see `Opts::k`).
    k: Option<usize>,
    rows: usize,
    /// `--iterations`; each mode has its own default (see `Opts::iterations`).
    iterations: Option<usize>,
    sweep: Vec<usize>,
    seeds: Vec<u64>,
    kmeans_iterations: u64,
    coef_bits: f64,
    out: PathBuf,
    corpus: PathBuf,
    peer: PathBuf,
}

impl Opts {
    /// Atoms per window: 4 for the scikit-learn comparison and the K-SVD runs, the production
    /// sparsity (`PulseTrainParams::default().sparsity`) for `init` and `pca`.
    fn k(&self) -> usize {
        self.k.unwrap_or(match self.mode.as_str() {
            "init" | "pca" => PulseTrainParams::default().sparsity,
            _ => 4,
        })
    }

    /// Updates: 30 for the scikit-learn comparison and the K-SVD runs, the production default
    /// (`PulseTrainParams::default().iterations`) for `init` and `pca`.
    fn iters(&self) -> usize {
        self.iterations.unwrap_or(match self.mode.as_str() {
            "init" | "pca" => PulseTrainParams::default().iterations,
            _ => 30,
        })
    }
}

fn opts() -> Res<Opts> {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let mut o = Opts {
        mode: "peer".into(),
        window: 32,
        atoms: 128,
        k: None,
        rows: 20_000,
        iterations: None,
        sweep: Vec::new(),
        seeds: Vec::new(),
        kmeans_iterations: eqisa_dictionary::atoms::DEFAULT_KMEANS_ITERATIONS,
        coef_bits: 12.0,
        out: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/atoms-bench"),
        corpus: shared.join("corpus/devices/ibm"),
        peer: shared.join("tools/peer-bench/peer-bench"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--window" => o.window = val()?.parse()?,
            "--atoms" => o.atoms = val()?.parse()?,
            "--k" => o.k = Some(val()?.parse()?),
            "--rows" => o.rows = val()?.parse()?,
            "--iterations" => o.iterations = Some(val()?.parse()?),
            "--sweep" => {
                o.sweep = val()?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?
            }
            "--seeds" => {
                o.seeds = val()?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?
            }
            "--kmeans-iterations" => o.kmeans_iterations = val()?.parse()?,
            "--coef-bits" => o.coef_bits = val()?.parse()?,
            "--out" => o.out = val()?.into(),
            "--corpus" => o.corpus = val()?.into(),
            "--peer" => o.peer = val()?.into(),
            "peer" | "heldout" | "all" | "init" | "pca" => o.mode = a,
            _ => return Err(format!("unknown argument {a}").into()),
        }
    }
    Ok(o)
}

/// Every distinct waveform a device's calibrated gates play, sampled by the one implementation
/// of the shape formulas (`eqisa_pulse::Shape::samples`, through
/// `pulse_atoms::device_waveforms`).
fn waveforms_of(device: &Device) -> Res<Vec<Vec<Complex64>>> {
    Ok(device_waveforms(device)?
        .into_iter()
        .map(|(_, s)| s)
        .collect())
}

struct Corpus {
    /// Training devices' names and non-zero raw windows.
    train: Vec<(String, Array2<Complex64>)>,
    /// Held-out devices' names and non-zero raw windows.
    test: Vec<(String, Array2<Complex64>)>,
    train_devices: Vec<Device>,
    test_devices: Vec<Device>,
}

fn load(o: &Opts) -> Res<Corpus> {
    let files = eqisa_test_support::ibm_calibrations_in(&o.corpus)?;
    if files.is_empty() {
        return Err(format!("no defs_*.json in {}", o.corpus.display()).into());
    }
    let mut c = Corpus {
        train: Vec::new(),
        test: Vec::new(),
        train_devices: Vec::new(),
        test_devices: Vec::new(),
    };
    for (idx, f) in files.iter().enumerate() {
        let name = f
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .trim_start_matches("defs_")
            .to_string();
        let device = Device::from_file(f)?;
        let wins: Vec<Array2<Complex64>> = waveforms_of(&device)
            .map_err(|e| format!("{}: {e}", f.display()))?
            .iter()
            .map(|w| windows(w, o.window))
            .collect();
        let mut rows = Vec::new();
        for w in &wins {
            for r in w.rows() {
                if r.iter().any(|v| v.norm_sqr() > 0.0) {
                    rows.extend(r.iter().copied());
                }
            }
        }
        let m = Array2::from_shape_vec((rows.len() / o.window, o.window), rows)?;
        if idx % 5 == 4 {
            c.test.push((name, m));
            c.test_devices.push(device);
        } else {
            c.train.push((name, m));
            c.train_devices.push(device);
        }
    }
    Ok(c)
}

fn stack(parts: &[(String, Array2<Complex64>)]) -> Res<Array2<Complex64>> {
    let views: Vec<_> = parts.iter().map(|(_, m)| m.view()).collect();
    Ok(ndarray::concatenate(Axis(0), &views)?)
}

fn peer(o: &Opts, args: &[&str]) -> Res<Value> {
    let out = Command::new(&o.peer).args(args).output()?;
    if !out.status.success() {
        return Err(format!(
            "peer-bench failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

fn field(v: &Value, key: &str) -> Res<f64> {
    v[key]
        .as_f64()
        .ok_or_else(|| format!("peer output lacks {key}: {v}").into())
}

fn run_peer(o: &Opts, c: &Corpus) -> Res<()> {
    let all = real_embedding(stack(&c.train)?.view());
    // An even stride over all training windows, so every device contributes.
    let stride = all.nrows().div_ceil(o.rows).max(1);
    let x = all.slice(ndarray::s![..;stride, ..]).to_owned();
    std::fs::create_dir_all(&o.out)?;
    let xp = o.out.join("X.npy");
    let dp = o.out.join("D.npy");
    write_npy(&xp, &x)?;
    let (xs, ds) = (xp.to_string_lossy(), dp.to_string_lossy());
    let (atoms, k) = (o.atoms.to_string(), o.k().to_string());
    println!(
        "real rows: {} of {} training windows (stride {stride}), dim {} = 2·W, W = {}, atoms {}, K {}",
        x.nrows(),
        all.nrows(),
        x.ncols(),
        o.window,
        o.atoms,
        o.k()
    );
    let sk = peer(o, &["dictlearn", &xs, &atoms, &k])?;
    let (sk_s, sk_rmse) = (field(&sk, "seconds")?, field(&sk, "rmse")?);
    println!("sklearn MiniBatchDictionaryLearning+OMP: {sk_s:.3} s, RMSE {sk_rmse:.6e}");
    let p = TrainParams {
        atoms: o.atoms,
        sparsity: o.k(),
        iterations: o.iters(),
        seed: 1,
        method: Method::Ksvd,
    };
    let t = Instant::now();
    let trained = train_observed(x.view(), &p, |pr| pr.rmse > sk_rmse)?;
    let ours = t.elapsed().as_secs_f64();
    let reached = trained.rmse <= sk_rmse;
    println!(
        "ours K-SVD+OMP: {ours:.3} s, RMSE {:.6e} after {} updates{} (history {:?})",
        trained.rmse,
        trained.history.len() - 1,
        if reached {
            ""
        } else {
            " — did NOT reach sklearn's RMSE"
        },
        trained
            .history
            .iter()
            .map(|v| format!("{v:.3e}"))
            .collect::<Vec<_>>()
    );
    println!("training speed-up (same RMSE): {:.1}x", sk_s / ours);
    write_npy(&dp, &trained.dict)?;
    let skomp = peer(o, &["omp", &xs, &ds, &k])?;
    let (skomp_s, skomp_rmse) = (field(&skomp, "seconds")?, field(&skomp, "rmse")?);
    let mut times = Vec::new();
    let mut our_rmse = 0.0;
    for _ in 0..5 {
        let t = Instant::now();
        let (_, res) = omp_batch_with_residuals(trained.dict.view(), x.view(), o.k(), 0.0)?;
        times.push(t.elapsed().as_secs_f64());
        our_rmse = (res.iter().sum::<f64>() / x.len() as f64).sqrt();
    }
    times.sort_by(f64::total_cmp);
    let omp_s = times[times.len() / 2];
    println!("sklearn orthogonal_mp: {skomp_s:.4} s, RMSE {skomp_rmse:.6e}");
    println!("ours omp_batch (median of 5): {omp_s:.4} s, RMSE {our_rmse:.6e}");
    println!("OMP speed-up: {:.1}x", skomp_s / omp_s);
    println!(
        "{}",
        serde_json::json!({
            "rows": x.nrows(), "dim": x.ncols(), "window": o.window, "atoms": o.atoms, "k": o.k(),
            "sklearn_dictlearn_seconds": sk_s, "sklearn_dictlearn_rmse": sk_rmse,
            "ours_train_seconds": ours, "ours_train_rmse": trained.rmse, "ours_reached": reached,
            "train_speedup": sk_s / ours,
            "sklearn_omp_seconds": skomp_s, "sklearn_omp_rmse": skomp_rmse,
            "ours_omp_seconds": omp_s, "ours_omp_rmse": our_rmse, "omp_speedup": skomp_s / omp_s,
        })
    );
    Ok(())
}

fn train_complex(o: &Opts, x: &Array2<Complex64>) -> Res<Array2<Complex64>> {
    let p = TrainParams {
        atoms: o.atoms,
        sparsity: o.k(),
        iterations: o.iters(),
        seed: 1,
        method: Method::Ksvd,
    };
    let t = Instant::now();
    let trained = train_observed(x.view(), &p, |_| true)?;
    let rms = (x.iter().map(|v| v.norm_sqr()).sum::<f64>() / x.len() as f64).sqrt();
    println!(
        "complex K-SVD: {} windows × {} samples, {} atoms, sparsity {}, {} updates: {:.2} s, RMSE/RMS {:.3e} → {:.3e}",
        x.nrows(),
        x.ncols(),
        o.atoms,
        o.k(),
        o.iters(),
        t.elapsed().as_secs_f64(),
        trained.history[0] / rms,
        trained.rmse / rms
    );
    Ok(trained.dict)
}

fn run_heldout(o: &Opts, c: &Corpus) -> Res<()> {
    let x = stack(&c.train)?;
    println!(
        "train devices ({}): {}",
        c.train.len(),
        c.train
            .iter()
            .map(|d| d.0.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "held-out devices ({}): {}",
        c.test.len(),
        c.test
            .iter()
            .map(|d| d.0.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let dict = train_complex(o, &x)?;
    let gram = Gram::new(dict.view());
    let cap = o.window.min(o.atoms);
    println!(
        "device        windows  atoms@1e-3  atoms@1e-4  miss@1e-4  relerr@k=1..8 (RMS over windows)"
    );
    let (mut tot_n, mut tot3, mut tot4) = (0usize, 0usize, 0usize);
    let mut curve_tot = [0.0f64; 8];
    for (name, m) in &c.test {
        let (mut a3, mut a4, mut miss) = (0usize, 0usize, 0usize);
        let mut curve = [0.0f64; 8];
        for x in m.rows() {
            let e = x.iter().map(|v| v.norm_sqr()).sum::<f64>();
            a3 += omp(dict.view(), &gram, x, cap, 1e-6 * e)?.atoms.len();
            let c4 = omp(dict.view(), &gram, x, cap, 1e-8 * e)?;
            let r4 = residual2(&dict, &c4, x)?;
            if r4 > 1e-8 * e * (1.0 + 1e-9) {
                miss += 1;
            }
            a4 += c4.atoms.len();
            for (kk, slot) in curve.iter_mut().enumerate() {
                let ck = omp(dict.view(), &gram, x, kk + 1, 0.0)?;
                *slot += residual2(&dict, &ck, x)? / e;
            }
        }
        let n = m.nrows();
        println!(
            "{name:<12} {n:>8}  {:>10.2}  {:>10.2}  {miss:>9}  {}",
            a3 as f64 / n as f64,
            a4 as f64 / n as f64,
            curve
                .iter()
                .map(|v| format!("{:.1e}", (v / n as f64).sqrt()))
                .collect::<Vec<_>>()
                .join(" ")
        );
        tot_n += n;
        tot3 += a3;
        tot4 += a4;
        for (t, v) in curve_tot.iter_mut().zip(curve) {
            *t += v;
        }
    }
    println!(
        "{:<12} {tot_n:>8}  {:>10.2}  {:>10.2}             {}",
        "all held-out",
        tot3 as f64 / tot_n as f64,
        tot4 as f64 / tot_n as f64,
        curve_tot
            .iter()
            .map(|v| format!("{:.1e}", (v / tot_n as f64).sqrt()))
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(())
}

/// Unit-norm, phase-normalised, distinct windows of the training and held-out devices (the
/// production training set, `pulse_atoms::training_windows`).
fn pulse_windows(o: &Opts, c: &Corpus) -> Res<(Array2<Complex64>, Array2<Complex64>)> {
    let t = Instant::now();
    let xs = device_training_windows(&c.train_devices, o.window)?;
    let held = device_training_windows(&c.test_devices, o.window)?;
    println!(
        "pulse windows (unit norm, phase-normalised, distinct): {} training ({} devices), {} held-out ({} devices), W = {}; {:.2} s",
        xs.nrows(),
        c.train_devices.len(),
        held.nrows(),
        c.test_devices.len(),
        o.window,
        t.elapsed().as_secs_f64()
    );
    Ok((xs, held))
}

fn pulse_params(o: &Opts, sparsity: usize, iterations: usize) -> TrainParams {
    TrainParams {
        atoms: o.atoms,
        sparsity,
        iterations,
        seed: PulseTrainParams::default().seed,
        method: Method::Ksvd,
    }
}

/// RMSE per complex entry of OMP with `k` atoms over `dict`, and the median over rows of
/// `‖x − x̂‖ / ‖x‖`: the RMSE of held-out windows is dominated by the few unlike anything in
/// training, the median shows the typical window.
fn omp_errors(dict: &Array2<Complex64>, xs: &Array2<Complex64>, k: usize) -> Res<(f64, f64)> {
    let (_, res) = omp_batch_with_residuals(dict.view(), xs.view(), k, 0.0)?;
    let rmse = (res.iter().sum::<f64>() / xs.len().max(1) as f64).sqrt();
    let mut rel: Vec<f64> = res
        .iter()
        .zip(xs.rows())
        .map(|(&r, x)| (r / x.iter().map(|v| v.norm_sqr()).sum::<f64>().max(1e-300)).sqrt())
        .collect();
    rel.sort_by(f64::total_cmp);
    let med = rel.get(rel.len() / 2).copied().unwrap_or(0.0);
    Ok((rmse, med))
}

fn run_init(o: &Opts, c: &Corpus) -> Res<()> {
    let (xs, held) = pulse_windows(o, c)?;
    let sweep = if o.sweep.is_empty() {
        vec![0, 1, 2, 4, 8, 12, 20]
    } else {
        o.sweep.clone()
    };
    let seeds = if o.seeds.is_empty() {
        vec![PulseTrainParams::default().seed]
    } else {
        o.seeds.clone()
    };
    let mut km = Vec::new();
    for &seed in &seeds {
        let t = Instant::now();
        kmeans_atoms(xs.view(), o.atoms, o.kmeans_iterations, seed)?;
        km.push(t.elapsed().as_secs_f64());
    }
    let kmeans_s = mean(&km);
    println!(
        "k-means initialisation alone ({} Lloyd iterations at most, k-means++ seeds): {kmeans_s:.3} s",
        o.kmeans_iterations
    );
    println!(
        "atoms {}, sparsity {}, K-SVD; RMSE per complex entry of unit-norm windows; means over seeds {seeds:?} \
         (held-out RMSE range in brackets); median: of the held-out windows' relative errors; \
         atoms@1e-3: mean atoms per held-out window for a relative error ≤ 1e-3",
        o.atoms,
        o.k()
    );
    println!(
        "init      updates   seconds   train RMSE   held-out RMSE [min, max]            held-out median  atoms@1e-3"
    );
    let inits = [
        ("sample", Init::Sample),
        (
            "k-means",
            Init::KMeans {
                iterations: o.kmeans_iterations,
            },
        ),
    ];
    let history = std::env::var_os("ATOMS_BENCH_HISTORY").is_some();
    let mut json = Vec::new();
    for (name, init) in inits {
        for &n in &sweep {
            let (mut secs, mut train, mut held_rmse, mut med, mut need) =
                (vec![], vec![], vec![], vec![], vec![]);
            for &seed in &seeds {
                let p = TrainParams {
                    seed,
                    ..pulse_params(o, o.k(), n)
                };
                let mut replaced = Vec::new();
                let t = Instant::now();
                let tr = train_init(xs.view(), &p, init, |pr| {
                    replaced.push(pr.replaced);
                    true
                })?;
                secs.push(t.elapsed().as_secs_f64());
                let (h, m) = omp_errors(&tr.dict, &held, o.k())?;
                need.push(atoms_needed(&tr.dict, &held, o.window)?);
                train.push(tr.rmse);
                held_rmse.push(h);
                med.push(m);
                if history {
                    println!(
                        "  seed {seed}: history {:?}, atoms replaced {replaced:?}",
                        tr.history
                    );
                }
            }
            let (lo, hi) = (
                held_rmse.iter().copied().fold(f64::INFINITY, f64::min),
                held_rmse.iter().copied().fold(0.0, f64::max),
            );
            println!(
                "{name:<8} {n:>8} {:>9.3} {:>12.4e} {:>13.4e} [{lo:.4e}, {hi:.4e}] {:>15.4e} {:>10.3}",
                mean(&secs),
                mean(&train),
                mean(&held_rmse),
                mean(&med),
                mean(&need)
            );
            json.push(serde_json::json!({
                "init": name, "updates": n, "seconds": mean(&secs), "train_rmse": mean(&train),
                "heldout_rmse": mean(&held_rmse), "heldout_rmse_min": lo, "heldout_rmse_max": hi,
                "heldout_median_relerr": mean(&med), "heldout_atoms_at_1e-3": mean(&need),
            }));
        }
    }
    println!(
        "{}",
        serde_json::json!({
            "train_windows": xs.nrows(), "heldout_windows": held.nrows(), "window": o.window,
            "atoms": o.atoms, "sparsity": o.k(), "kmeans_iterations": o.kmeans_iterations,
            "kmeans_seconds": kmeans_s, "seeds": seeds, "runs": json,
        })
    );
    Ok(())
}

/// Mean atoms OMP takes per window of `xs` (unit norm) for a relative error ≤ 1e-3, at most
/// `cap`: what the coded size of a waveform follows.
fn atoms_needed(dict: &Array2<Complex64>, xs: &Array2<Complex64>, cap: usize) -> Res<f64> {
    let codes = eqisa_dictionary::atoms::omp_batch(dict.view(), xs.view(), cap, 1e-6)?;
    Ok(codes.iter().map(|c| c.atoms.len()).sum::<usize>() as f64 / codes.len().max(1) as f64)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn run_pca(o: &Opts, c: &Corpus) -> Res<()> {
    let (xs, held) = pulse_windows(o, c)?;
    let sweep = if o.sweep.is_empty() {
        vec![1, 2, 4]
    } else {
        o.sweep.clone()
    };
    let bits_m = |s: usize| (s as f64 * (2.0 + (o.atoms as f64).log2() / o.coef_bits)) as usize;
    let dim = 2 * o.window;
    // Enough components for the equal-bit comparison, and to look for the match beyond it.
    let most = sweep
        .iter()
        .map(|&s| bits_m(s).max(2 * s))
        .max()
        .unwrap_or(1)
        .saturating_mul(3)
        .clamp(1, dim);
    let t = Instant::now();
    let pca = PcaBasis::fit(xs.view(), most)?;
    println!(
        "PCA (linfa-reduction, real embedding, {} of {} components kept, mean included): {:.3} s",
        pca.len(),
        most,
        t.elapsed().as_secs_f64()
    );
    println!(
        "RMSE per complex entry of unit-norm windows (held-out unless marked train; median: of the held-out \
         windows' relative errors); OMP-s over {} atoms learned at sparsity s ({} K-SVD updates); PCA-m = mean \
         + top m real components; m bits = as many bits at {} bits per real coefficient and log2 {} per atom index",
        o.atoms,
        o.iters(),
        o.coef_bits,
        o.atoms
    );
    println!(
        "   s    OMP-s train   PCA-s train  |  OMP-s        PCA-s        PCA-2s       PCA-m bits (m)  |  OMP-s median PCA-s median PCA-2s median |  PCA m to match OMP-s"
    );
    let median = |res: &[f64]| -> f64 {
        // Windows are unit norm: the relative error is the residual's norm.
        let mut r: Vec<f64> = res.iter().map(|v| v.sqrt()).collect();
        r.sort_by(f64::total_cmp);
        r.get(r.len() / 2).copied().unwrap_or(0.0)
    };
    let mut json = Vec::new();
    for &s in &sweep {
        let tr = train_observed(xs.view(), &pulse_params(o, s, o.iters()), |_| true)?;
        let (omp_h, omp_med) = omp_errors(&tr.dict, &held, s)?;
        let pca_train = pca.rmse(xs.view(), s)?;
        let (p1, p2) = (pca.rmse(held.view(), s)?, pca.rmse(held.view(), 2 * s)?);
        let (m1, m2) = (
            median(&pca.residuals(held.view(), s)?),
            median(&pca.residuals(held.view(), 2 * s)?),
        );
        let mb = bits_m(s);
        let pb = pca.rmse(held.view(), mb)?;
        let mut matched = None;
        for m in 1..=pca.len() {
            if pca.rmse(held.view(), m)? <= omp_h {
                matched = Some(m);
                break;
            }
        }
        let matched_s = matched.map_or(format!("> {}", pca.len()), |m| m.to_string());
        println!(
            "{s:>4} {:>14.4e} {pca_train:>13.4e}  | {omp_h:>11.4e} {p1:>12.4e} {p2:>12.4e} {pb:>12.4e} ({mb:>2})  | {omp_med:>12.4e} {m1:>12.4e} {m2:>13.4e} | {matched_s:>21}",
            tr.rmse
        );
        json.push(serde_json::json!({
            "s": s, "omp_train_rmse": tr.rmse, "pca_s_train_rmse": pca_train,
            "omp_heldout_rmse": omp_h, "pca_s_heldout_rmse": p1, "pca_2s_heldout_rmse": p2,
            "pca_bits_components": mb, "pca_bits_heldout_rmse": pb,
            "omp_heldout_median_relerr": omp_med, "pca_s_heldout_median_relerr": m1,
            "pca_2s_heldout_median_relerr": m2, "pca_components_to_match": matched,
        }));
    }
    println!(
        "{}",
        serde_json::json!({
            "train_windows": xs.nrows(), "heldout_windows": held.nrows(), "window": o.window,
            "atoms": o.atoms, "updates": o.iters(), "coef_bits": o.coef_bits, "rows": json,
        })
    );
    Ok(())
}

fn residual2(
    dict: &Array2<Complex64>,
    code: &eqisa_dictionary::atoms::SparseCode<Complex64>,
    x: ndarray::ArrayView1<Complex64>,
) -> Res<f64> {
    let r = eqisa_dictionary::atoms::reconstruct(dict.view(), code)?;
    Ok(x.iter()
        .zip(r.iter())
        .map(|(a, b)| (a - b).norm_sqr())
        .sum())
}

fn main() -> Res<()> {
    let o = opts()?;
    let t = Instant::now();
    let c = load(&o)?;
    let n = |p: &[(String, Array2<Complex64>)]| p.iter().map(|d| d.1.nrows()).sum::<usize>();
    println!(
        "loaded {} devices in {:.2} s: {} training windows, {} held-out windows (W = {})",
        c.train.len() + c.test.len(),
        t.elapsed().as_secs_f64(),
        n(&c.train),
        n(&c.test),
        o.window
    );
    match o.mode.as_str() {
        "peer" => run_peer(&o, &c),
        "heldout" => run_heldout(&o, &c),
        "init" => run_init(&o, &c),
        "pca" => run_pca(&o, &c),
        _ => {
            let mut every = c.train;
            every.extend(c.test);
            train_complex(&o, &stack(&every)?).map(|_| ())
        }
    }
}
