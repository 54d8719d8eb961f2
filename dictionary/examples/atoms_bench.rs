//! Waveform atoms measured on IBM device calibrations, against scikit-learn in the same run.
//!
//! Waveforms: every distinct calibrated pulse of `defs_*.json` (parametric `drag`,
//! `gaussian_square`, `gaussian_square_drag` sampled by Qiskit's published formulas at the
//! midpoints `t = i + ½`, and `pulse_library` samples), cut into windows of `W` complex samples;
//! all-zero windows are dropped (they cost nothing to code). Devices in sorted order, every fifth
//! one (index ≡ 4 mod 5) held out.
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
//!
//! `cargo run -p eqisa-dictionary --release --example atoms_bench -- [peer|heldout|all]
//!  [--window W] [--atoms A] [--k K] [--rows N] [--iterations I] [--out DIR]`

use std::collections::BTreeSet;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use eqisa_dictionary::atoms::{
    Gram, Method, TrainParams, omp, omp_batch_with_residuals, real_embedding, train_observed,
    windows,
};
use ndarray::{Array2, Axis};
use ndarray_npy::write_npy;
use num_complex::Complex64;
use serde_json::Value;

type Res<T> = Result<T, Box<dyn Error>>;

struct Opts {
    mode: String,
    window: usize,
    atoms: usize,
    k: usize,
    rows: usize,
    iterations: usize,
    out: PathBuf,
    corpus: PathBuf,
    peer: PathBuf,
}

fn opts() -> Res<Opts> {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let mut o = Opts {
        mode: "peer".into(),
        window: 32,
        atoms: 128,
        k: 4,
        rows: 20_000,
        iterations: 30,
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
            "--k" => o.k = val()?.parse()?,
            "--rows" => o.rows = val()?.parse()?,
            "--iterations" => o.iterations = val()?.parse()?,
            "--out" => o.out = val()?.into(),
            "--corpus" => o.corpus = val()?.into(),
            "--peer" => o.peer = val()?.into(),
            "peer" | "heldout" | "all" => o.mode = a,
            _ => return Err(format!("unknown argument {a}").into()),
        }
    }
    Ok(o)
}

/// Qiskit's lifted Gaussian: zero at `t_zero`, one at `center`.
fn lifted_gaussian(t: f64, center: f64, t_zero: f64, sigma: f64) -> f64 {
    let g = (-(t - center).powi(2) / (2.0 * sigma * sigma)).exp();
    let off = (-(t_zero - center).powi(2) / (2.0 * sigma * sigma)).exp();
    (g - off) / (1.0 - off)
}

fn num(p: &Value, key: &str) -> Res<f64> {
    p.get(key)
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("parameter {key} missing or not a number").into())
}

fn complex(v: &Value) -> Res<Complex64> {
    match v.as_array().map(Vec::as_slice) {
        Some([re, im]) => Ok(Complex64::new(
            re.as_f64().ok_or("bad re")?,
            im.as_f64().ok_or("bad im")?,
        )),
        _ => Err(format!("not a complex [re, im]: {v}").into()),
    }
}

/// Samples a parametric pulse by Qiskit's symbolic definitions.
fn sample(shape: &str, p: &Value) -> Res<Vec<Complex64>> {
    let amp = complex(p.get("amp").ok_or("amp missing")?)?;
    let dur = num(p, "duration")?;
    let sigma = num(p, "sigma")?;
    let n = dur as usize;
    let c = dur / 2.0;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let t = i as f64 + 0.5;
        let v = match shape {
            "gaussian" => Complex64::new(lifted_gaussian(t, c, dur + 1.0, sigma), 0.0),
            "drag" => {
                let g = lifted_gaussian(t, c, dur + 1.0, sigma);
                let beta = num(p, "beta")?;
                Complex64::new(g, -beta * (t - c) / (sigma * sigma) * g)
            }
            "gaussian_square" | "gaussian_square_drag" => {
                let width = num(p, "width")?;
                let beta = if shape == "gaussian_square_drag" {
                    num(p, "beta")?
                } else {
                    0.0
                };
                let (t0, t1) = (c - width / 2.0, c + width / 2.0);
                let (edge, g) = if t <= t0 {
                    (t0, lifted_gaussian(t, t0, -1.0, sigma))
                } else if t >= t1 {
                    (t1, lifted_gaussian(t, t1, dur + 1.0, sigma))
                } else {
                    (t, 1.0)
                };
                Complex64::new(g, -beta * (t - edge) / (sigma * sigma) * g)
            }
            "constant" => Complex64::new(1.0, 0.0),
            _ => return Err(format!("unknown pulse shape {shape}").into()),
        };
        out.push(amp * v);
    }
    Ok(out)
}

/// Every distinct waveform a device's calibrations play.
fn device_waveforms(path: &Path) -> Res<Vec<Vec<Complex64>>> {
    let defs: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for p in defs["pulse_library"]
        .as_array()
        .ok_or("pulse_library missing")?
    {
        let samples = p["samples"].as_array().ok_or("samples missing")?;
        out.push(samples.iter().map(complex).collect::<Res<Vec<_>>>()?);
    }
    for cmd in defs["cmd_def"].as_array().ok_or("cmd_def missing")? {
        for ins in cmd["sequence"].as_array().ok_or("sequence missing")? {
            if ins["name"] != "parametric_pulse" {
                continue;
            }
            let shape = ins["pulse_shape"].as_str().ok_or("pulse_shape missing")?;
            let key = format!("{shape}{}", ins["parameters"]);
            if seen.insert(key) {
                out.push(sample(shape, &ins["parameters"])?);
            }
        }
    }
    Ok(out)
}

struct Corpus {
    train: Vec<(String, Array2<Complex64>)>,
    test: Vec<(String, Array2<Complex64>)>,
}

fn load(o: &Opts) -> Res<Corpus> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(&o.corpus)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("defs_") && n.ends_with(".json"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no defs_*.json in {}", o.corpus.display()).into());
    }
    let mut c = Corpus {
        train: Vec::new(),
        test: Vec::new(),
    };
    for (idx, f) in files.iter().enumerate() {
        let name = f
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .trim_start_matches("defs_")
            .to_string();
        let wins: Vec<Array2<Complex64>> = device_waveforms(f)
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
        } else {
            c.train.push((name, m));
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
    let (atoms, k) = (o.atoms.to_string(), o.k.to_string());
    println!(
        "real rows: {} of {} training windows (stride {stride}), dim {} = 2·W, W = {}, atoms {}, K {}",
        x.nrows(),
        all.nrows(),
        x.ncols(),
        o.window,
        o.atoms,
        o.k
    );
    let sk = peer(o, &["dictlearn", &xs, &atoms, &k])?;
    let (sk_s, sk_rmse) = (field(&sk, "seconds")?, field(&sk, "rmse")?);
    println!("sklearn MiniBatchDictionaryLearning+OMP: {sk_s:.3} s, RMSE {sk_rmse:.6e}");
    let p = TrainParams {
        atoms: o.atoms,
        sparsity: o.k,
        iterations: o.iterations,
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
        let (_, res) = omp_batch_with_residuals(trained.dict.view(), x.view(), o.k, 0.0)?;
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
            "rows": x.nrows(), "dim": x.ncols(), "window": o.window, "atoms": o.atoms, "k": o.k,
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
        sparsity: o.k,
        iterations: o.iterations,
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
        o.k,
        o.iterations,
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
        _ => {
            let mut every = c.train;
            every.extend(c.test);
            train_complex(&o, &stack(&every)?).map(|_| ())
        }
    }
}
