//! `eqisa report`: per circuit and in total, every encoding of the control stream side by side —
//! bits, the link bandwidth needed in real time, energy and heat at 4 K from the energy model,
//! fidelity — and how many qubits one link serves under each; optionally a plot.

use crate::output::outln;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use eqisa_firmware::FirmwareParams;
use eqisa_pipeline::PipelineError;
use eqisa_pipeline::controllers::needed;
use eqisa_pipeline::measure::{PAPER_GRID, PaperRow, PaperSetting};
use eqisa_pipeline::report::analyse::{PulseInfidelity, Row, Rows};
use eqisa_pipeline::report::events::{self, Encoding};
use eqisa_pipeline::report::{
    FullReport, Report, ReportOptions, ReportProgress, ReportScope, SetupOptions, run_report,
};
use indicatif::{ProgressBar, ProgressStyle};

use super::CmdResult;
use super::lowering::LowerArgs;
use super::pulses::PulseArgs;
use crate::plot::{self, PlotData};

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
    /// OpenQASM 2 or 3 files. Without --device each runs on the embedded default for its size
    /// (ibmq_lima up to 5 qubits, else a square grid of its size built from lima's
    /// calibrations). A circuit an explicit --device cannot run (more qubits than it has, no
    /// route) is skipped for pulses, with the reason, and keeps its instruction-level rows; an
    /// unreadable or invalid file is an error.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print JSON: device, device_note, mode, link_gbps, pulse_budget, energy_model, codebook, encodings
    /// [{name, level, event_model}], rules {instruction_level, common}, circuits [{file, device,
    /// device_note, qubits, duration_ns, native_ops, plays, played_samples, lines, swaps, counts, encodings {NAME:
    /// {level, bits, link_gbps, link_lanes, energy_j, heat_4k_j, heat_4k_w, wall_plug_j,
    /// fidelity_bound, pulse_added_infidelity, pulse_infidelity_kind, link_gbps_per_qubit,
    /// meets_budget, qubits_per_link, events, firmware {simulated, file_bits, min_link_gbps,
    /// underruns, peak_fifo_bits, latency_ns} (eqisa rows; else null)}}, fidelity_budget,
    /// paper_huffman_bits, paper {chosen, budget, meets_budget, sk_depth, sk_recursion,
    /// fidelity_bound, huffman_bits, huffman_bzip2_bits, words, tried} (as `assemble`'s)}],
    /// skipped [{file, reason, qubits, native_ops, duration_ns, encodings (instruction-level
    /// rows only)}], total {circuits, duration_ns, qubit_ns, encodings (each with excludes
    /// [file]: the circuits it has no bits for, which its total leaves out)}, firmware_params,
    /// device_memory, rate_curve. NAME is binary, paper, bzip2, xz, zstd, eqisa, raw_samples,
    /// dct, zstd_samples or eqisa_pulses.
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
    /// Run the paper's pipeline at --paper-depth/--paper-recursion, at whatever fidelity that
    /// reaches (its own; its row is marked where that is below the budget), instead of at the
    /// cheapest Solovay–Kitaev setting of a small grid (depth 3, 6, 9, 12, 15 × recursion 0..=4) whose
    /// fidelity bound meets the budget ours got (--fidelity; with --eps, the bound ours reached).
    #[arg(long)]
    pub paper_at_own_fidelity: bool,
    /// The paper pipeline's Solovay–Kitaev depth, with --paper-at-own-fidelity.
    #[arg(long, default_value_t = 3, value_parser = super::lowering::parse_sk_depth)]
    pub paper_depth: usize,
    /// The paper pipeline's Solovay–Kitaev recursion, with --paper-at-own-fidelity.
    #[arg(long, default_value_t = 3, value_parser = super::lowering::parse_sk_recursion)]
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
    /// Report only how many controllers of --clock-mhz each circuit needs (one stream per
    /// controller, zero underruns; no device placement, so circuits larger than the device
    /// are measured too).
    #[arg(long)]
    pub controllers_only: bool,
    /// Skip the controllers-needed figures (each is a search over controller sizes).
    #[arg(long, conflicts_with = "controllers_only")]
    pub no_controllers: bool,
    /// Do not code the device's whole waveform memory (device_memory), which the
    /// instruction-level rows assume is loaded once.
    #[arg(long)]
    pub no_memory: bool,
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

/// A circuit's label in the plot: its file's stem, as a plot of many circuits has room for
/// little more under each group of bars.
fn plot_label(file: &str) -> String {
    Path::new(file)
        .file_stem()
        .map_or_else(|| file.to_string(), |n| n.to_string_lossy().into_owned())
}

/// A progress bar per stage of the report.
struct Bar {
    json: bool,
    bar: std::sync::Mutex<Option<ProgressBar>>,
}

impl Bar {
    fn with<F: FnOnce(&ProgressBar)>(&self, f: F) {
        if let Ok(guard) = self.bar.lock()
            && let Some(bar) = guard.as_ref()
        {
            f(bar);
        }
    }
}

impl ReportProgress for Bar {
    fn stage(&self, name: &'static str, len: u64) {
        // A template that does not parse leaves the stage without a bar, never the report.
        let bar = progress(len, self.json).ok();
        if let Some(bar) = &bar {
            bar.set_prefix(name);
        }
        if let Ok(mut guard) = self.bar.lock() {
            *guard = bar;
        }
    }

    fn step(&self) {
        self.with(|b| b.inc(1));
    }

    fn finish(&self) {
        self.with(ProgressBar::finish_and_clear);
    }

    fn note(&self, message: &str) {
        eprintln!("{message}");
    }
}

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    check_args(args)?;
    let files = super::job::expand_files(&args.files)?;
    let cb = eqisa_pipeline::load_codebook(args.codebook.as_deref())?;
    let bar = Bar {
        json: args.json,
        bar: std::sync::Mutex::new(None),
    };
    if args.controllers_only {
        let model = eqisa_pipeline::firmware::load_energy_model(args.energy_model.as_deref())?;
        let rows = needed(
            &files,
            &eqisa_pipeline::AssembleOptions {
                lowering: args.lowering.config(),
                ..Default::default()
            },
            &cb,
            &FirmwareParams {
                clock_mhz: args.clock_mhz,
                startup_ns: args.startup_ns,
                ..FirmwareParams::default()
            },
            &model,
            &bar,
        )?;
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&rows)?);
        } else {
            super::controllers::print_needed(&rows, args.clock_mhz)?;
        }
        return Ok(());
    }
    let opts = ReportOptions {
        setup: SetupOptions {
            energy_model: args.energy_model.clone(),
            lowering: args.lowering.config(),
            pulse: args.pulse.config(),
            paper: paper_setting(
                args.no_paper,
                args.paper_at_own_fidelity,
                args.paper_depth,
                args.paper_recursion,
            ),
            sim: FirmwareParams {
                link_gbps: args.link_gbps,
                clock_mhz: args.clock_mhz,
                startup_ns: args.startup_ns,
                ..FirmwareParams::default()
            },
        },
        scope: ReportScope {
            memory: !args.no_memory,
            rate_budgets: (args.plot.is_some() && !args.no_rate_curve)
                .then(|| args.rate_budgets.clone()),
        },
        controllers: !args.no_controllers,
        job: true,
    };
    let full = match run_report(&files, &cb, &opts, &bar) {
        Ok(r) => r,
        Err(PipelineError::NothingPlaced { skipped }) => {
            for (file, reason) in &skipped {
                eprintln!("note: skipped {file}: {reason}");
            }
            return Err("no circuit could be placed on the device (see the notes above)".into());
        }
        Err(e) => return Err(e.into()),
    };
    let report = &full.report;
    for (file, reason) in &report.skipped {
        eprintln!("note: skipped {file}: {reason}");
    }
    if let Some(out) = &args.plot {
        let data = PlotData {
            circuits: report
                .circuits
                .iter()
                .map(|(a, r)| (plot_label(&a.file), r))
                .collect(),
            total: &report.total,
            rate: report.rate_curve.as_deref(),
            link_gbps: full.link_gbps(),
        };
        plot::write(out, &data)?;
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&full)?);
        return Ok(());
    }
    print_text(&full, args.plot.as_deref())?;
    if let Some(job) = &full.job {
        super::job::print_job_line(job)?;
    }
    if !full.controllers.is_empty() {
        outln!();
        super::controllers::print_needed(&full.controllers, full.firmware_params.clock_mhz)?;
    }
    Ok(())
}

/// The report as tables on stdout.
fn print_text(full: &FullReport, plot: Option<&Path>) -> Result<(), String> {
    let report = &full.report;
    let link_gbps = full.link_gbps();
    outln!(
        "device        {} ({}), dt {:.4} ns, per-pulse budget {:.0e}",
        full.device,
        full.mode,
        full.dt_ns,
        full.pulse_budget
    );
    outln!("devices       {}", full.device_note);
    outln!("link          {} Gb/s per link", link_gbps);
    outln!(
        "firmware      decoder at {} MHz, {} ns head start (eqisa rows: the real decoders simulated)",
        full.firmware_params.clock_mhz,
        full.firmware_params.startup_ns
    );
    outln!("energy model  {}", full.energy_model);
    outln!("codebook      {}", full.codebook);
    for (a, r) in &report.circuits {
        outln!();
        outln!(
            "{}: {} qubits, {} native ops, {} plays on {} lines, {:.1} ns, {} swaps",
            a.file,
            a.qubits,
            a.counts.native_ops,
            a.placed.pulses.plays.len(),
            a.placed.pulses.channels.len(),
            a.duration_ns(),
            a.placed.swaps
        );
        outln!("  on {} ({})", a.placed.device.name, a.placed.device_note);
        table(r, |enc| r.get(enc.ours()).and_then(|o| o.bits))?;
        if let Some(p) = &a.paper {
            outln!("  paper setting: {}", paper_line(p));
        }
        firmware_lines(r, link_gbps)?;
    }
    for (file, reason) in &report.skipped {
        outln!();
        outln!("{file}: pulses skipped: {reason}");
        if let Some(i) = report.instruction_only.iter().find(|i| &i.file == file) {
            outln!(
                "  instruction level only: {} qubits, {} native ops (lowered, not routed), {:.1} ns",
                i.qubits,
                i.native_ops,
                i.duration_ns
            );
            table(&i.encodings, |enc| {
                i.encodings.get(enc.ours()).and_then(|o| o.bits)
            })?;
        }
    }
    outln!();
    outln!(
        "total: {} circuits, {:.1} ns of schedule, {:.1} qubit-µs",
        report.circuits.len(),
        report.duration_ns(),
        report.qubit_ns() * 1e-3
    );
    table(&report.total, |enc| ours_over_same_circuits(report, enc))?;
    excludes_lines(&report.total)?;
    firmware_lines(&report.total, link_gbps)?;
    outln!();
    outln!(
        "fidelity: gate-level bound (paper: its own lowering's at the setting chosen; total: the \
         worst circuit's); * below the fidelity budget ({}); \
         pulse infid.: largest added infidelity per pulse (<=: only the budget is known)",
        budget_text(report)
    );
    if let Some(m) = &report.memory {
        outln!(
            "device memory (every calibrated waveform of {}, loaded once, not per circuit): \
             eqisa {} bits, raw {}, dct {}, zstd {}; max added infidelity {:.2e}",
            full.device,
            m.bits.eqisa,
            m.bits.raw,
            m.bits.dct,
            m.bits.zstd,
            m.max_added_infidelity
        );
    }
    if let Some(points) = &report.rate_curve {
        outln!("pulse bits at each per-pulse budget (all circuits):");
        for p in points {
            outln!(
                "  {:>7.0e}  eqisa pulses {:>10}  dct {:>10}  (max added {:.2e}, {} lossless fallbacks)",
                p.budget,
                p.eqisa_bits,
                p.dct_bits,
                p.max_added_infidelity,
                p.lossless_fallbacks
            );
        }
    }
    if let Some(out) = plot {
        outln!("wrote {}", out.display());
    }
    Ok(())
}

/// The firmware simulation's findings for the EQISA rows, under a table.
fn firmware_lines(rows: &Rows, link_gbps: f64) -> Result<(), String> {
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
        outln!(
            "  firmware, {} ({}, {} bits): needs {need}; at {link_gbps} Gb/s {} underruns, \
             peak FIFO {} bits, latency {latency}",
            enc.label(),
            f.simulated,
            f.file_bits,
            f.underruns,
            f.peak_fifo_bits
        );
    }
    Ok(())
}

/// Formats a number of joules or watts compactly.
fn sci(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.3e}"))
}

/// Our bits over the circuits the total of `enc` sums (its `excludes` left out), so that a
/// partial total is compared with ours on the same circuits.
fn ours_over_same_circuits(report: &Report, enc: Encoding) -> Option<u64> {
    let excludes = report.total.get(enc).and_then(|r| r.excludes.as_ref());
    report
        .circuits
        .iter()
        .filter(|(a, _)| excludes.is_none_or(|ex| !ex.contains(&a.file)))
        .map(|(_, rows)| rows.get(enc.ours()).and_then(|o| o.bits))
        .sum()
}

/// Prints one table of rows; `ours` gives the bits each row's "× ours" divides by.
fn table(rows: &Rows, ours: impl Fn(Encoding) -> Option<u64>) -> Result<(), String> {
    outln!(
        "  {:<13} {:>11} {:>7} {:>10} {:>5} {:>10} {:>10} {:>10} {:>10} {:>9} {:>12}",
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
        let ours = ours(*enc);
        let ratio = match (r.bits, ours) {
            (Some(b), Some(o)) if o > 0 => format!("{:.2}", b as f64 / o as f64),
            _ => "—".into(),
        };
        outln!(
            "  {:<13} {:>11} {:>7} {:>10} {:>5} {:>10} {:>10} {:>10} {:>10} {:>9} {:>12}",
            enc.label(),
            r.bits.map_or_else(|| "—".into(), |b| b.to_string()),
            ratio,
            r.link_gbps
                .map_or_else(|| "—".into(), |g| format!("{g:.4}")),
            r.link_lanes.map_or_else(|| "—".into(), |l| l.to_string()),
            sci(r.energy_j),
            sci(r.heat_4k_j),
            sci(r.wall_plug_j),
            fidelity(r),
            pulse_infidelity(r),
            r.qubits_per_link
                .map_or_else(|| "—".into(), |q| q.to_string()),
        );
    }
    Ok(())
}

/// A row's fidelity bound, with `*` when it is below the budget.
fn fidelity(r: &Row) -> String {
    match (r.fidelity_bound, r.meets_budget) {
        (None, _) => "—".into(),
        (Some(f), Some(false)) => format!("{f:.6}*"),
        (Some(f), _) => format!("{f:.6}"),
    }
}

/// The budgets of the report's circuits: one value, or their range (`--eps` gives each circuit
/// its own).
fn budget_text(report: &Report) -> String {
    let (lo, hi) = report
        .circuits
        .iter()
        .map(|(a, _)| a.budget)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), b| {
            (lo.min(b), hi.max(b))
        });
    if lo == hi {
        format!("{lo}")
    } else {
        format!("{lo} to {hi}")
    }
}

/// Under the total table, the circuits each partial total leaves out.
fn excludes_lines(rows: &Rows) -> Result<(), String> {
    for (enc, r) in &rows.0 {
        let Some(ex) = r.excludes.as_ref().filter(|e| !e.is_empty()) else {
            continue;
        };
        let names: Vec<String> = ex.iter().map(|f| short(f)).collect();
        let what = if r.bits.is_some() {
            "total over the other circuits (× ours over the same)"
        } else {
            "no total"
        };
        outln!("  {}: {what}; excludes: {}", enc.label(), names.join(", "));
    }
    Ok(())
}

/// The paper's setting for a circuit's run: `None` when skipped (`no_paper`), else at the budget
/// or, with `at_own_fidelity`, at the fixed `depth` and `recursion`.
pub fn paper_setting(
    no_paper: bool,
    at_own_fidelity: bool,
    depth: usize,
    recursion: usize,
) -> Option<PaperSetting> {
    match (no_paper, at_own_fidelity) {
        (true, _) => None,
        (false, true) => Some(PaperSetting::OwnFidelity { depth, recursion }),
        (false, false) => Some(PaperSetting::AtBudget),
    }
}

/// One line on the paper's setting: what was chosen and how its fidelity compares with the
/// budget.
pub fn paper_line(p: &PaperRow) -> String {
    let at = format!(
        "SK depth {}, recursion {}, fidelity bound {:.6}",
        p.sk_depth, p.sk_recursion, p.fidelity_bound
    );
    match (p.chosen, p.meets_budget) {
        ("own_fidelity", true) => format!("{at} (fixed; meets the budget {})", p.budget),
        ("own_fidelity", false) => format!("{at} (fixed; BELOW the budget {})", p.budget),
        (_, true) => format!(
            "{at}: the cheapest that meets the budget {} ({} of the grid's {} settings lowered)",
            p.budget,
            p.tried.len(),
            PAPER_GRID.len()
        ),
        (_, false) => format!(
            "no setting of the grid meets the budget {} (closest: {at}); no bits",
            p.budget
        ),
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
