//! `eqisa pulses`: lower a circuit to the native target, route it onto a device's coupling map,
//! and play it on the device's pulse calibration; report the channels, plays and samples, and
//! optionally write every channel's samples as a `.npy` array.

use std::path::{Path, PathBuf};

use eqisa_assembler::pulses::{
    DEFAULT_MAX_INFIDELITY, Physics, PulseBits, WaveformCoder, encode_memory, encode_program,
};
use eqisa_lower::lower;
use eqisa_lower::program::NativeProgram;
use eqisa_lower::route::{Coupling, route};
use eqisa_lower::target::{TargetDesc, TargetKind, TwoQubit};
use eqisa_pulse::{Device, PulseMode, PulseProgram, lower_to_pulses};
use ndarray::Array2;
use num_complex::Complex64;
use serde::Serialize;

use super::CmdResult;
use super::lowering::{LowerArgs, TargetArg};

/// How a circuit is placed on a device and its pulses coded: shared by `eqisa pulses` and
/// `eqisa assemble --pulses`.
#[derive(clap::Args, Clone, Debug)]
pub struct PulseArgs {
    /// Device calibration: our TOML format, or IBM pulse defaults `defs_X.json` (with
    /// `conf_X.json` and `props_X.json` beside it). Default: the embedded device (ibmq_lima).
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
}

/// Arguments of `eqisa pulses`.
#[derive(clap::Args)]
pub struct Args {
    /// OpenQASM 2 or 3 file (`-` for standard input).
    pub file: PathBuf,
    #[command(flatten)]
    pub pulse: PulseArgs,
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
    /// Print JSON: device, mode, dt_ns, channels, plays, waveforms, duration_dt, samples, swaps,
    /// pulse_bits and memory_bits ({eqisa, raw, dct, zstd}), max_added_infidelity,
    /// lossless_fallbacks.
    #[arg(long)]
    pub json: bool,
}

/// What `eqisa pulses` reports (`--json` prints it as is). The pulse codec's figures
/// (`pulse_bits`, `memory_bits`, ...) belong here as further fields.
#[derive(Serialize)]
pub struct Report {
    pub file: String,
    pub device: String,
    /// `calibrated` or `direct-rotation`.
    pub mode: &'static str,
    pub dt_ns: f64,
    /// Channels with plays (`d0`, `u3`, `m1`), in row order of the `.npy` output.
    pub channels: Vec<String>,
    /// Number of plays.
    pub plays: usize,
    /// Number of distinct base waveforms.
    pub waveforms: usize,
    /// Program length in samples.
    pub duration_dt: u64,
    /// Samples played (sum over plays).
    pub samples: u64,
    /// SWAPs routing inserted.
    pub swaps: u64,
    /// Bits of the program's pulse stream: ours and the baselines on the same plays.
    pub pulse_bits: Option<BitsJson>,
    /// Bits of the device's whole waveform memory.
    pub memory_bits: Option<BitsJson>,
    /// Largest added infidelity of any coded waveform (stream and memory).
    pub max_added_infidelity: Option<f64>,
    /// Waveforms that fell back to lossless samples because the budget could not be met.
    pub lossless_fallbacks: usize,
    /// Where the pulse atoms came from.
    pub codebook: String,
}

/// Bits of one encoding and its baselines.
#[derive(Serialize)]
pub struct BitsJson {
    pub eqisa: u64,
    pub raw: u64,
    pub dct: u64,
    pub zstd: u64,
}

impl From<PulseBits> for BitsJson {
    fn from(b: PulseBits) -> Self {
        BitsJson {
            eqisa: b.eqisa,
            raw: b.raw,
            dct: b.dct,
            zstd: b.zstd,
        }
    }
}

/// Load the device `--device` names, or the embedded one.
pub fn load_device(path: Option<&PathBuf>) -> Result<Device, Box<dyn std::error::Error>> {
    Ok(match path {
        Some(p) => Device::from_file(p)?,
        None => Device::default_device(),
    })
}

/// A circuit placed on a device: the routed native program (what the instruction stream
/// carries) and its pulses.
pub struct Placed {
    pub device: Device,
    pub target: TargetDesc,
    pub fidelity_bound: f64,
    pub program: NativeProgram,
    pub pulses: PulseProgram,
    pub swaps: u64,
}

/// Lower `file` to the native gates the device calibrates, route it onto the device's coupling
/// map and play it on the device's calibration.
pub fn place(
    file: &Path,
    lowering: &LowerArgs,
    pa: &PulseArgs,
) -> Result<Placed, Box<dyn std::error::Error>> {
    if lowering.target != TargetArg::Native {
        return Err("pulses need --target native (pulses play the native gates)".into());
    }
    let device = load_device(pa.device.as_ref())?;
    let (mut target, options) = lowering.resolve()?;
    // Lower to the entangling gate the device calibrates, unless told otherwise.
    if lowering.two_qubit.is_none() {
        target.two_qubit = match device.two_qubit_gate() {
            Some("ecr") => TwoQubit::Ecr,
            _ => TwoQubit::Cz,
        };
    }
    let name = file.display().to_string();
    let c = crate::input::load(file)?;
    let lowered = lower(&c, &target, &options).map_err(|e| format!("{name}: {e}"))?;
    debug_assert_eq!(lowered.program.target, TargetKind::Native);
    let (program, swaps) = if pa.no_route {
        (lowered.program, 0)
    } else {
        let coupling = Coupling::from_pairs(device.num_qubits(), device.coupled_pairs());
        let routed = route(&lowered.program, &coupling, &target)
            .map_err(|e| format!("{name}: on device '{}': {e}", device.name))?;
        (routed.program, routed.swaps)
    };
    let pulses =
        lower_to_pulses(&program, &device, pa.mode()).map_err(|e| format!("{name}: {e}"))?;
    Ok(Placed {
        device,
        target,
        fidelity_bound: lowered.fidelity_bound,
        program,
        pulses,
        swaps,
    })
}

impl PulseArgs {
    /// The pulse lowering mode the flags ask for.
    pub fn mode(&self) -> PulseMode {
        if self.direct {
            PulseMode::DirectRotation
        } else {
            PulseMode::Calibrated
        }
    }
}

/// Lower, route and play `args.file` on the device; returns the pulse program and the report.
pub fn build(args: &Args) -> Result<(Placed, Report), Box<dyn std::error::Error>> {
    let placed = place(&args.file, &args.lowering, &args.pulse)?;
    let prog = &placed.pulses;
    let report = Report {
        file: args.file.display().to_string(),
        device: placed.device.name.clone(),
        mode: args.pulse.mode().name(),
        dt_ns: prog.dt_ns,
        channels: prog.channels.iter().map(|c| c.to_string()).collect(),
        plays: prog.plays.len(),
        waveforms: prog.waveforms.len(),
        duration_dt: prog.duration,
        samples: prog.played_samples(),
        swaps: placed.swaps,
        pulse_bits: None,
        memory_bits: None,
        max_added_infidelity: None,
        lossless_fallbacks: 0,
        codebook: String::new(),
    };
    Ok((placed, report))
}

/// Write `(channels, duration)` complex128 samples as `.npy`.
pub fn write_npy(prog: &PulseProgram, out: &std::path::Path) -> Result<(), String> {
    let rows = prog.channel_samples();
    let cols = prog.duration as usize;
    let mut arr = Array2::<Complex64>::zeros((rows.len(), cols));
    for (r, row) in rows.iter().enumerate() {
        for (c, &s) in row.iter().enumerate() {
            arr[[r, c]] = s;
        }
    }
    ndarray_npy::write_npy(out, &arr).map_err(|e| format!("{}: {e}", out.display()))
}

/// Code the program's plays and (unless `--no-memory`) the device's waveform memory.
pub fn code(args: &Args, placed: &Placed, report: &mut Report) -> CmdResult {
    let cb = crate::codebook::load(args.codebook.as_deref())?;
    report.codebook = cb.origin.clone();
    let (physics, coder) = coder_for(&cb, &placed.device, &args.pulse)?;
    let stream = encode_program(&placed.pulses, &placed.device, &physics, &coder)?;
    let mut worst = stream.max_added_infidelity;
    report.lossless_fallbacks = stream.lossless_fallbacks;
    report.pulse_bits = Some(stream.bits.into());
    if !args.no_memory {
        let memory = encode_memory(&placed.device, &physics, &coder)?;
        worst = worst.max(memory.max_added_infidelity);
        report.lossless_fallbacks += memory.lossless_fallbacks;
        report.memory_bits = Some(memory.bits.into());
    }
    report.max_added_infidelity = Some(worst);
    Ok(())
}

/// The transmon judge and the waveform coder over the codebook's atoms (with a note when the
/// codebook has none).
pub fn coder_for<'a>(
    cb: &'a crate::codebook::Loaded,
    device: &Device,
    pa: &PulseArgs,
) -> Result<(Physics, WaveformCoder<'a>), Box<dyn std::error::Error>> {
    let atoms = cb.pulse_atoms.as_ref();
    if atoms.is_none() {
        eprintln!(
            "note: {} has no pulse atoms (train one with --pulses): every waveform is coded losslessly",
            cb.origin
        );
    }
    let physics = Physics::new(device, pa.levels)?;
    let coder = WaveformCoder::new(atoms, pa.infidelity)?;
    Ok((physics, coder))
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
    let (placed, mut report) = build(args)?;
    code(args, &placed, &mut report)?;
    if let Some(out) = &args.output {
        write_npy(&placed.pulses, out)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("file            {}", report.file);
    println!("device          {} (dt {} ns)", report.device, report.dt_ns);
    println!("mode            {}", report.mode);
    println!("swaps           {}", report.swaps);
    println!(
        "channels        {} ({})",
        report.channels.len(),
        report.channels.join(" ")
    );
    println!("plays           {}", report.plays);
    println!("waveforms       {} distinct", report.waveforms);
    println!(
        "duration        {} dt ({:.1} ns)",
        report.duration_dt,
        report.duration_dt as f64 * report.dt_ns
    );
    println!("samples         {} played", report.samples);
    for (what, bits) in [
        ("stream bits", &report.pulse_bits),
        ("memory bits", &report.memory_bits),
    ] {
        if let Some(b) = bits {
            println!(
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
        println!(
            "infidelity      {f:.2e} at most per pulse (budget {:.0e}); {} lossless fallbacks",
            args.pulse.infidelity, report.lossless_fallbacks
        );
    }
    if let Some(out) = &args.output {
        println!(
            "wrote           {} ({} x {} complex128)",
            out.display(),
            report.channels.len(),
            report.duration_dt
        );
    }
    Ok(())
}
