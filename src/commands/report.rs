//! `eqisa report`: per circuit and in total, every encoding of the control stream side by side —
//! bits, the link bandwidth needed in real time, energy and heat at 4 K from the energy model,
//! fidelity — and how many qubits one link serves under each; optionally a plot.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use eqisa_assembler::pulses::{Physics, WaveformCoder, encode_memory};
use eqisa_firmware::FirmwareParams;
use eqisa_firmware::energy::EnergyModel;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

use super::CmdResult;
use super::lowering::LowerArgs;
use eqisa_pipeline::assemble::PulseBitsReport as BitsJson;
use eqisa_pipeline::load_device;

use super::pulses::PulseArgs;
use crate::plot::{self, PlotData};
use eqisa_pipeline::report::analyse::{
    Analysed, Outcome, PulseInfidelity, RatePoint, Row, Rows, Setup, analyse, rate_at, rows,
    sum_rate, totals,
};
use eqisa_pipeline::report::events::{self, Encoding, Level};

/// The help text after the options: what every row counts.
fn event_models_help() -> String {
    let mut s = String::from(
        "Encodings (rows) and their event models (the same text is in the JSON `encodings`):\n\n",
    );
    for e in Encoding::ALL {
        s.push_str(&format!("  {}: {}\n\n", e.key(), e.event_model()));
    }
    s.push_str(&format!(
        "  {}\n\n  {}\n",
        events::INSTRUCTION_LEVEL_RULE,
        events::COMMON_RULE
    ));
    s
}

/// Arguments of `eqisa report`.
#[derive(clap::Args)]
#[command(after_long_help = event_models_help())]
pub struct Args {
    /// OpenQASM 2 or 3 files. A circuit the device cannot run (more qubits than it has, no
    /// route) is reported as skipped; an unreadable or invalid file is an error.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print JSON: device, mode, link_gbps, pulse_budget, energy_model, codebook, encodings
    /// [{name, level, event_model}], rules {instruction_level, common}, circuits [{file, qubits,
    /// duration_ns, native_ops, plays, played_samples, lines, swaps, counts, encodings {NAME:
    /// {level, bits, link_gbps, link_lanes, energy_j, heat_4k_j, heat_4k_w, wall_plug_j,
    /// fidelity_bound, pulse_added_infidelity, pulse_infidelity_kind, link_gbps_per_qubit,
    /// qubits_per_link, events, firmware {simulated, file_bits, min_link_gbps, underruns,
    /// peak_fifo_bits, latency_ns} (eqisa rows; else null)}},
    /// paper_huffman_bits}], skipped [{file, reason}], total {circuits, duration_ns, qubit_ns,
    /// encodings}, firmware_params, device_memory, rate_curve. NAME is binary, paper, bzip2, xz, zstd, eqisa,
    /// raw_samples, dct, zstd_samples or eqisa_pulses.
    #[arg(long)]
    pub json: bool,
    /// Draw the report (bits per encoding per circuit, qubits per link, pulse bits against the
    /// infidelity budget) as SVG or PNG, by the file's extension.
    #[arg(long, value_name = "OUT.svg|OUT.png")]
    pub plot: Option<PathBuf>,
    #[command(flatten)]
    pub pulse: PulseArgs,
    /// Codebook to assemble and code pulses with (default: the embedded one).
    #[arg(long, value_name = "CB")]
    pub codebook: Option<PathBuf>,
    /// Energy-model parameters overriding the built-in ones (decoder/energy-model.toml).
    #[arg(long, value_name = "FILE")]
    pub energy_model: Option<PathBuf>,
    /// One link's rate, Gb/s: sets the lanes each encoding needs, the qubits one link serves,
    /// and the link of the firmware simulation.
    #[arg(long, default_value_t = FirmwareParams::default().link_gbps, value_name = "GBPS")]
    pub link_gbps: f64,
    /// Firmware simulation: the decoder clock, MHz.
    #[arg(long, default_value_t = FirmwareParams::default().clock_mhz, value_name = "MHZ")]
    pub clock_mhz: f64,
    /// Firmware simulation: the decoder's head start from the first bit on the link to the
    /// schedule's time 0, ns.
    #[arg(long, default_value_t = FirmwareParams::default().startup_ns, value_name = "NS")]
    pub startup_ns: f64,
    #[command(flatten)]
    pub lowering: LowerArgs,
    /// Skip the paper's pipeline (Solovay–Kitaev, slow on large circuits); its row is then null.
    #[arg(long)]
    pub no_paper: bool,
    /// The paper pipeline's Solovay–Kitaev depth.
    #[arg(long, default_value_t = 3)]
    pub paper_depth: usize,
    /// The paper pipeline's Solovay–Kitaev recursion.
    #[arg(long, default_value_t = 3)]
    pub paper_recursion: usize,
    /// Per-pulse budgets of the rate–infidelity curve (computed with --plot): every circuit's
    /// pulses are coded again at each, ours and the DCT baseline.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1e-6,1e-5,1e-4",
        value_name = "EPS,..."
    )]
    pub rate_budgets: Vec<f64>,
    /// Do not compute the rate–infidelity curve (its plot panel is then empty).
    #[arg(long)]
    pub no_rate_curve: bool,
    /// Do not code the device's whole waveform memory (device_memory), which the
    /// instruction-level rows assume is loaded once.
    #[arg(long)]
    pub no_memory: bool,
}

/// The per-circuit JSON object.
#[derive(Serialize)]
struct CircuitJson<'a> {
    file: &'a str,
    qubits: u32,
    duration_ns: f64,
    native_ops: u64,
    plays: usize,
    played_samples: u64,
    lines: usize,
    swaps: u64,
    counts: &'a events::Counts,
    encodings: &'a Rows,
    /// The paper's Huffman stage alone (before bzip2), for reference.
    paper_huffman_bits: Option<u64>,
}

#[derive(Serialize)]
struct SkippedJson<'a> {
    file: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct EncodingDoc {
    name: &'static str,
    level: Level,
    event_model: &'static str,
}

#[derive(Serialize)]
struct Rules {
    instruction_level: &'static str,
    common: &'static str,
}

#[derive(Serialize)]
struct TotalJson<'a> {
    circuits: usize,
    duration_ns: f64,
    qubit_ns: f64,
    encodings: &'a Rows,
}

/// The device's whole waveform memory coded once: what the instruction-level rows assume the
/// controller holds (`eqisa pulses` reports the same as memory_bits).
#[derive(Serialize)]
struct DeviceMemory {
    bits: BitsJson,
    max_added_infidelity: f64,
    lossless_fallbacks: usize,
}

#[derive(Serialize)]
struct ReportJson<'a> {
    device: &'a str,
    mode: &'static str,
    link_gbps: f64,
    pulse_budget: f64,
    energy_model: &'a str,
    codebook: &'a str,
    encodings: Vec<EncodingDoc>,
    rules: Rules,
    circuits: Vec<CircuitJson<'a>>,
    skipped: Vec<SkippedJson<'a>>,
    total: TotalJson<'a>,
    firmware_params: &'a FirmwareParams,
    device_memory: Option<DeviceMemory>,
    rate_curve: Option<Vec<RatePoint>>,
}

/// A progress bar on stderr, hidden when stderr is not a terminal or the output is JSON.
fn progress(len: u64, json: bool) -> Result<ProgressBar, String> {
    if json || !std::io::stderr().is_terminal() {
        return Ok(ProgressBar::hidden());
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {wide_msg}")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    Ok(bar)
}

fn check_args(args: &Args) -> Result<(), String> {
    if !(args.link_gbps.is_finite() && args.link_gbps > 0.0) {
        return Err(format!(
            "--link-gbps must be a positive number, not {}",
            args.link_gbps
        ));
    }
    if let Some(b) = args.rate_budgets.iter().find(|b| !(**b > 0.0 && **b < 1.0)) {
        return Err(format!(
            "--rate-budgets: {b} is not an infidelity in (0, 1)"
        ));
    }
    if let Some(p) = &args.plot {
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if !matches!(ext.as_deref(), Some("svg") | Some("png")) {
            return Err(format!(
                "{}: --plot writes SVG or PNG: name the file .svg or .png",
                p.display()
            ));
        }
    }
    Ok(())
}

/// A short name for a file in tables and plots.
fn short(file: &str) -> String {
    Path::new(file)
        .file_name()
        .map_or_else(|| file.to_string(), |n| n.to_string_lossy().into_owned())
}

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    check_args(args)?;
    let cb = eqisa_pipeline::load_codebook(args.codebook.as_deref())?;
    let (model, model_origin) = match &args.energy_model {
        Some(p) => (EnergyModel::from_file(p)?, p.display().to_string()),
        None => (
            EnergyModel::default_model()?,
            eqisa_firmware::energy::DEFAULT_ORIGIN.to_string(),
        ),
    };
    let device = load_device(args.pulse.device.as_deref())?;
    let physics = Physics::new(&device, args.pulse.levels)?;
    if cb.pulse_atoms.is_none() {
        eprintln!(
            "note: {} has no pulse atoms (train one with --pulses): every waveform is coded losslessly",
            cb.origin
        );
    }
    let coder = WaveformCoder::new(cb.pulse_atoms.as_ref(), args.pulse.infidelity)?;
    let paper = if args.no_paper {
        None
    } else {
        Some(eqisa_pipeline::measure::paper_dictionary(
            &cb,
            args.paper_depth,
            args.paper_recursion,
        )?)
    };
    let setup = Setup {
        cb: &cb,
        device,
        physics,
        coder,
        budget: args.pulse.infidelity,
        model,
        link_gbps: args.link_gbps,
        lowering: args.lowering.config(),
        pulse: args.pulse.config(),
        paper,
        sim: FirmwareParams {
            link_gbps: args.link_gbps,
            clock_mhz: args.clock_mhz,
            startup_ns: args.startup_ns,
            ..FirmwareParams::default()
        },
    };
    let bar = progress(args.files.len() as u64, args.json)?;
    bar.set_prefix("circuits");
    // The files and the device memory are independent: code them side by side.
    let (outcomes, memory) = rayon::join(
        || {
            args.files
                .par_iter()
                .map(|f| {
                    let r = analyse(f, &setup);
                    bar.inc(1);
                    r
                })
                .collect::<Vec<_>>()
        },
        || {
            (!args.no_memory).then(|| {
                encode_memory(&setup.device, &setup.physics, &setup.coder).map(|m| DeviceMemory {
                    max_added_infidelity: m.max_added_infidelity,
                    lossless_fallbacks: m.lossless_fallbacks,
                    bits: m.bits.into(),
                })
            })
        },
    );
    let memory = memory
        .transpose()
        .map_err(|e| format!("device {}: waveform memory: {e}", setup.device.name))?;
    let mut done: Vec<Analysed> = Vec::new();
    let mut skipped: Vec<(String, String)> = Vec::new();
    for o in outcomes {
        match o? {
            Outcome::Done(a) => done.push(*a),
            Outcome::Skipped { file, reason } => skipped.push((file, reason)),
        }
    }
    bar.finish_and_clear();
    for (file, reason) in &skipped {
        eprintln!("note: skipped {file}: {reason}");
    }
    if done.is_empty() {
        return Err("no circuit could be placed on the device (see the notes above)".into());
    }
    let per_circuit: Vec<Rows> = done
        .iter()
        .map(|a| rows(a, &setup))
        .collect::<Result<_, _>>()?;
    let pairs: Vec<(&Analysed, &Rows)> = done.iter().zip(&per_circuit).collect();
    let total = totals(&pairs, args.link_gbps)?;
    let rate_curve = if args.plot.is_some() && !args.no_rate_curve {
        Some(rate_curve(&done, &setup, &args.rate_budgets, args.json)?)
    } else {
        None
    };
    if let Some(out) = &args.plot {
        let data = PlotData {
            circuits: done
                .iter()
                .zip(&per_circuit)
                .map(|(a, r)| (short(&a.file), r))
                .collect(),
            total: &total,
            rate: rate_curve.as_deref(),
            link_gbps: args.link_gbps,
        };
        plot::write(out, &data)?;
    }
    let qubit_ns: f64 = done
        .iter()
        .map(|a| f64::from(a.qubits) * a.duration_ns())
        .sum();
    let duration_ns: f64 = done.iter().map(Analysed::duration_ns).sum();
    if args.json {
        let report = ReportJson {
            device: &setup.device.name,
            mode: args.pulse.mode().name(),
            link_gbps: args.link_gbps,
            pulse_budget: args.pulse.infidelity,
            energy_model: &model_origin,
            codebook: &cb.origin,
            encodings: Encoding::ALL
                .iter()
                .map(|e| EncodingDoc {
                    name: e.key(),
                    level: e.level(),
                    event_model: e.event_model(),
                })
                .collect(),
            rules: Rules {
                instruction_level: events::INSTRUCTION_LEVEL_RULE,
                common: events::COMMON_RULE,
            },
            circuits: pairs
                .iter()
                .map(|(a, r)| CircuitJson {
                    file: &a.file,
                    qubits: a.qubits,
                    duration_ns: a.duration_ns(),
                    native_ops: a.counts.native_ops,
                    plays: a.placed.pulses.plays.len(),
                    played_samples: a.counts.played_samples,
                    lines: a.placed.pulses.channels.len(),
                    swaps: a.placed.swaps,
                    counts: &a.counts,
                    encodings: r,
                    paper_huffman_bits: a.paper.as_ref().map(|s| s.huffman_bits),
                })
                .collect(),
            skipped: skipped
                .iter()
                .map(|(file, reason)| SkippedJson { file, reason })
                .collect(),
            total: TotalJson {
                circuits: done.len(),
                duration_ns,
                qubit_ns,
                encodings: &total,
            },
            firmware_params: &setup.sim,
            device_memory: memory,
            rate_curve,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "device        {} ({}), dt {:.4} ns, per-pulse budget {:.0e}",
        setup.device.name,
        args.pulse.mode().name(),
        setup.device.dt_ns,
        args.pulse.infidelity
    );
    println!("link          {} Gb/s per link", args.link_gbps);
    println!(
        "firmware      decoder at {} MHz, {} ns head start (eqisa rows: the real decoders simulated)",
        args.clock_mhz, args.startup_ns
    );
    println!("energy model  {model_origin}");
    println!("codebook      {}", cb.origin);
    for (a, r) in &pairs {
        println!();
        println!(
            "{}: {} qubits, {} native ops, {} plays on {} lines, {:.1} ns, {} swaps",
            a.file,
            a.qubits,
            a.counts.native_ops,
            a.placed.pulses.plays.len(),
            a.placed.pulses.channels.len(),
            a.duration_ns(),
            a.placed.swaps
        );
        table(r);
        firmware_lines(r, args.link_gbps);
    }
    for (file, reason) in &skipped {
        println!();
        println!("{file}: skipped: {reason}");
    }
    println!();
    println!(
        "total: {} circuits, {:.1} ns of schedule, {:.1} qubit-µs",
        done.len(),
        duration_ns,
        qubit_ns * 1e-3
    );
    table(&total);
    firmware_lines(&total, args.link_gbps);
    println!();
    println!(
        "fidelity: gate-level bound (paper: its own lowering's; total: the worst circuit's); \
         pulse infid.: largest added infidelity per pulse (<=: only the budget is known)"
    );
    if let Some(m) = &memory {
        println!(
            "device memory (every calibrated waveform of {}, loaded once, not per circuit): \
             eqisa {} bits, raw {}, dct {}, zstd {}; max added infidelity {:.2e}",
            setup.device.name,
            m.bits.eqisa,
            m.bits.raw,
            m.bits.dct,
            m.bits.zstd,
            m.max_added_infidelity
        );
    }
    if let Some(points) = &rate_curve {
        println!("pulse bits at each per-pulse budget (all circuits):");
        for p in points {
            println!(
                "  {:>7.0e}  eqisa pulses {:>10}  dct {:>10}  (max added {:.2e}, {} lossless fallbacks)",
                p.budget, p.eqisa_bits, p.dct_bits, p.max_added_infidelity, p.lossless_fallbacks
            );
        }
    }
    if let Some(out) = &args.plot {
        println!("wrote {}", out.display());
    }
    Ok(())
}

/// The rate–infidelity curve: every circuit coded at every budget, summed per budget.
fn rate_curve(
    done: &[Analysed],
    setup: &Setup<'_>,
    budgets: &[f64],
    json: bool,
) -> Result<Vec<RatePoint>, String> {
    let mut budgets = budgets.to_vec();
    budgets.sort_by(f64::total_cmp);
    budgets.dedup();
    let jobs: Vec<(usize, &Analysed)> = (0..budgets.len())
        .flat_map(|b| done.iter().map(move |a| (b, a)))
        .collect();
    let bar = progress(jobs.len() as u64, json)?;
    bar.set_prefix("budgets");
    let points = jobs
        .par_iter()
        .map(|&(b, a)| {
            let budget = budgets.get(b).copied().unwrap_or(setup.budget);
            let r = rate_at(a, setup, budget).map(|p| (b, p));
            bar.inc(1);
            r
        })
        .collect::<Result<Vec<_>, eqisa_pipeline::PipelineError>>()
        .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    Ok((0..budgets.len())
        .filter_map(|b| {
            let of: Vec<RatePoint> = points
                .iter()
                .filter(|(i, _)| *i == b)
                .map(|(_, p)| *p)
                .collect();
            sum_rate(&of)
        })
        .collect())
}

/// The firmware simulation's findings for the EQISA rows, under a table.
fn firmware_lines(rows: &Rows, link_gbps: f64) {
    for enc in [Encoding::Eqisa, Encoding::EqisaPulses] {
        let Some(f) = rows.get(enc).and_then(|r| r.firmware.as_ref()) else {
            continue;
        };
        let need = f.min_link_gbps.map_or_else(
            || "no link rate is enough".into(),
            |g| format!(">= {g:.4} Gb/s"),
        );
        let latency = f
            .latency_ns
            .map_or_else(|| "—".into(), |l| format!("{l:.1} ns"));
        println!(
            "  firmware, {} ({}, {} bits): needs {need}; at {link_gbps} Gb/s {} underruns, \
             peak FIFO {} bits, latency {latency}",
            enc.label(),
            f.simulated,
            f.file_bits,
            f.underruns,
            f.peak_fifo_bits
        );
    }
}

/// Formats a number of joules or watts compactly.
fn sci(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.3e}"))
}

/// Prints one table of rows.
fn table(rows: &Rows) {
    println!(
        "  {:<13} {:>11} {:>7} {:>10} {:>5} {:>10} {:>10} {:>10} {:>9} {:>9} {:>12}",
        "encoding",
        "bits",
        "× ours",
        "Gb/s",
        "lanes",
        "energy J",
        "4 K heat J",
        "wall J",
        "fidelity",
        "pulse inf",
        "qubits/link"
    );
    for (enc, r) in &rows.0 {
        let ours = rows.get(enc.ours()).and_then(|o| o.bits);
        let ratio = match (r.bits, ours) {
            (Some(b), Some(o)) if o > 0 => format!("{:.2}", b as f64 / o as f64),
            _ => "—".into(),
        };
        println!(
            "  {:<13} {:>11} {:>7} {:>10} {:>5} {:>10} {:>10} {:>10} {:>9} {:>9} {:>12}",
            enc.label(),
            r.bits.map_or_else(|| "—".into(), |b| b.to_string()),
            ratio,
            r.link_gbps
                .map_or_else(|| "—".into(), |g| format!("{g:.4}")),
            r.link_lanes.map_or_else(|| "—".into(), |l| l.to_string()),
            sci(r.energy_j),
            sci(r.heat_4k_j),
            sci(r.wall_plug_j),
            r.fidelity_bound
                .map_or_else(|| "—".into(), |f| format!("{f:.6}")),
            pulse_infidelity(r),
            r.qubits_per_link
                .map_or_else(|| "—".into(), |q| q.to_string()),
        );
    }
}

fn pulse_infidelity(r: &Row) -> String {
    match (r.pulse_added_infidelity, r.pulse_infidelity_kind) {
        (None, _) => "—".into(),
        (Some(_), PulseInfidelity::None) => "0".into(),
        (Some(v), PulseInfidelity::Measured) => format!("{v:.2e}"),
        (Some(v), PulseInfidelity::Budget) => format!("<={v:.0e}"),
    }
}
