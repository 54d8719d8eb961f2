//! `eqisa pulses`: lower a circuit to the native target, route it onto a device's coupling map,
//! and play it on the device's pulse calibration; report the channels, plays and samples, and
//! optionally write every channel's samples as a `.npy` array.

use crate::output::outln;
use std::path::PathBuf;

use eqisa_assembler::pulses::DEFAULT_MAX_INFIDELITY;
use eqisa_pipeline::{LoadedCodebook, PulseConfig, load_codebook, pulse_report};
use eqisa_pulse::PulseProgram;
use ndarray::Array2;
use num_complex::Complex64;

use super::CmdResult;
use super::lowering::LowerArgs;

/// How a circuit is placed on a device and its pulses coded: shared by `eqisa pulses` and
/// `eqisa assemble --pulses`.
#[derive(clap::Args, Clone, Debug)]
pub struct PulseArgs {
    /// Device calibration: our TOML format, or IBM pulse defaults `defs_X.json` (with
    /// `conf_X.json` and `props_X.json` beside it). Default: the embedded device for the
    /// circuit's size: IBM's 5-qubit ibmq_lima up to 5 qubits; beyond, a square grid of exactly
    /// the circuit's qubits built from lima's calibrations (qubit i takes lima qubit i mod 5's,
    /// each grid pair a coupled lima pair's cx).
    #[arg(long, value_name = "DEVICE")]
    pub device: Option<PathBuf>,
    /// Direct-rotation mode: each run of single-qubit gates becomes one scaled, rotated x pulse
    /// and a frame change (instead of the calibrated sx/x pulses).
    #[arg(long)]
    pub direct: bool,
    /// Do not route onto the device's coupling map (two-qubit gates on uncoupled qubits are then
    /// an error).
    #[arg(long)]
    pub no_route: bool,
    /// Added gate infidelity allowed per pulse (transmon simulation) when coding waveforms.
    #[arg(long, default_value_t = DEFAULT_MAX_INFIDELITY, value_name = "EPS")]
    pub infidelity: f64,
    /// Transmon levels in the simulation that judges every coded waveform.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub levels: usize,
    /// Longest pulse schedule allowed, in samples (dt of the device): a program whose delays or
    /// gates run past it is refused, naming the op. The default, 2^24, is 3.7 ms at dt = 0.222 ns.
    #[arg(long, default_value_t = eqisa_pulse::DEFAULT_MAX_SCHEDULE_DT, value_name = "SAMPLES",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_schedule_dt: u64,
}

/// Arguments of `eqisa pulses`.
#[derive(clap::Args)]
pub struct Args {
    /// OpenQASM 2 or 3 file (`-` for standard input).
    pub file: PathBuf,
    #[command(flatten)]
    pub pulse: PulseArgs,
    #[command(flatten)]
    pub inputs: super::inputs::InputArgs,
    /// Codebook whose pulse atoms code the waveforms (default: the embedded one).
    #[arg(long, value_name = "CB")]
    pub codebook: Option<PathBuf>,
    /// Skip coding the device's whole waveform memory (memory_bits), which is slow on large
    /// devices.
    #[arg(long)]
    pub no_memory: bool,
    #[command(flatten)]
    pub lowering: LowerArgs,
    /// Write the samples as a complex128 `.npy` array of shape (channels, samples): one row per
    /// channel in the order `channels` lists them, zero where a channel idles.
    #[arg(short, long, value_name = "OUT.npy")]
    pub output: Option<PathBuf>,
    /// Print JSON: device, device_note, mode, dt_ns, channels, plays, waveforms, duration_dt,
    /// samples, swaps, pulse_bits and memory_bits ({eqisa, raw, dct, zstd}),
    /// max_added_infidelity, lossless_fallbacks.
    #[arg(long)]
    pub json: bool,
}

impl PulseArgs {
    /// The pipeline's pulse configuration these arguments ask for.
    pub fn config(&self) -> PulseConfig {
        PulseConfig {
            device: self.device.clone(),
            given_device: None,
            direct: self.direct,
            no_route: self.no_route,
            infidelity: self.infidelity,
            levels: self.levels,
            max_schedule_dt: self.max_schedule_dt,
        }
    }
}

/// Say on stderr that `cb` has no pulse atoms, so every waveform will be coded losslessly.
pub fn note_without_atoms(cb: &LoadedCodebook) {
    if let Some(note) = eqisa_pipeline::notes::without_atoms_note(cb) {
        eprintln!("{note}");
    }
}

/// Write `(channels, duration)` complex128 samples as `.npy`. The array is checked against the
/// file-size limit (`--max-file-mb`) before it is allocated, and filled in place.
pub fn write_npy(prog: &PulseProgram, out: &std::path::Path) -> Result<(), String> {
    let rows = prog.channels.len() as u64;
    let bytes = rows
        .saturating_mul(prog.duration)
        .saturating_mul(std::mem::size_of::<Complex64>() as u64);
    let limit = eqisa_files::limit();
    if bytes > limit {
        return Err(format!(
            "{}: {rows} channels x {} samples of complex128 is {} MiB, above the file-size limit of {} MiB (raise it with --max-file-mb)",
            out.display(),
            prog.duration,
            bytes >> 20,
            limit >> 20
        ));
    }
    let mut arr = Array2::<Complex64>::zeros((rows as usize, prog.duration as usize));
    for p in &prog.plays {
        let Ok(row) = prog.channels.binary_search(&p.channel) else {
            continue;
        };
        let start = p.start as usize;
        for (k, s) in p.samples(prog).into_iter().enumerate() {
            if let Some(slot) = arr.get_mut([row, start + k]) {
                *slot += s;
            }
        }
    }
    ndarray_npy::write_npy(out, &arr).map_err(|e| format!("{}: {e}", out.display()))
}

fn ratio(a: u64, b: u64) -> String {
    if b == 0 {
        "-".into()
    } else {
        format!("{:.4}", a as f64 / b as f64)
    }
}

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    let cb = load_codebook(args.codebook.as_deref())?;
    let c = super::program::load_flat(&args.file, &args.inputs.inputs)?;
    let name = args.file.display().to_string();
    note_without_atoms(&cb);
    let (placed, report) = pulse_report(
        &c,
        &name,
        &cb,
        &args.lowering.config(),
        &args.pulse.config(),
        !args.no_memory,
    )?;
    if let Some(out) = &args.output {
        write_npy(&placed.pulses, out)?;
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    outln!("file            {}", report.file);
    outln!("device          {} (dt {} ns)", report.device, report.dt_ns);
    outln!("                {}", report.device_note);
    outln!("mode            {}", report.mode);
    outln!("swaps           {}", report.swaps);
    outln!(
        "channels        {} ({})",
        report.channels.len(),
        report.channels.join(" ")
    );
    outln!("plays           {}", report.plays);
    outln!("waveforms       {} distinct", report.waveforms);
    outln!(
        "duration        {} dt ({:.1} ns)",
        report.duration_dt,
        report.duration_dt as f64 * report.dt_ns
    );
    outln!("samples         {} played", report.samples);
    for (what, bits) in [
        ("stream bits", &report.pulse_bits),
        ("memory bits", &report.memory_bits),
    ] {
        if let Some(b) = bits {
            outln!(
                "{what:<15} eqisa {}  raw {}  dct {}  zstd {}  (eqisa/raw {}, eqisa/dct {})",
                b.eqisa,
                b.raw,
                b.dct,
                b.zstd,
                ratio(b.eqisa, b.raw),
                ratio(b.eqisa, b.dct)
            );
        }
    }
    if let Some(f) = report.max_added_infidelity {
        outln!(
            "infidelity      {f:.2e} at most per pulse (budget {:.0e}); {} lossless fallbacks",
            args.pulse.infidelity,
            report.lossless_fallbacks
        );
    }
    if let Some(out) = &args.output {
        outln!(
            "wrote           {} ({} x {} complex128)",
            out.display(),
            report.channels.len(),
            report.duration_dt
        );
    }
    Ok(())
}
