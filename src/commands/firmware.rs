//! `eqisa firmware` (alias `simulate`): the firmware simulation. Run an `.eqb` program's real decoders against the modelled controller
//! (link, input FIFO, decoder clock, waveform memory, one DAC per pulse channel) and turn the
//! events it counts into energy, heat per cryostat stage and wall-plug power.

use crate::output::outln;
use std::path::PathBuf;

use eqisa_firmware::energy::Stage;
use eqisa_firmware::{FirmwareParams, Outcomes};
use eqisa_pipeline::firmware::load_energy_model;
use eqisa_pipeline::load_codebook;
use eqisa_pipeline::simulate::{ProgramRun, Simulation, simulate};

use super::CmdResult;

/// Arguments of `eqisa firmware`.
#[derive(clap::Args)]
pub struct Args {
    /// The program (.eqb), as `eqisa assemble` wrote it (with `--pulses` for the DAC channels).
    pub file: PathBuf,
    /// The codebook it was assembled with (default: the embedded one).
    #[arg(long, value_name = "CODEBOOK")]
    pub codebook: Option<PathBuf>,
    /// Link rate, Gb/s.
    #[arg(long, default_value_t = FirmwareParams::default().link_gbps, value_name = "X")]
    pub link_gbps: f64,
    /// Decoder clock, MHz.
    #[arg(long, default_value_t = FirmwareParams::default().clock_mhz, value_name = "Y")]
    pub clock_mhz: f64,
    /// DAC sample period, ns. By default the dt the program records (the device's sample
    /// period it was assembled for); given, it must agree with the recorded one, else the run is
    /// refused (a program's plays are timed in its own device's dt).
    #[arg(long, value_name = "NS")]
    pub dt_ns: Option<f64>,
    /// Head start: time from the first bit on the link to the schedule's time 0, ns.
    #[arg(long, default_value_t = FirmwareParams::default().startup_ns, value_name = "NS")]
    pub startup_ns: f64,
    /// Decoder cycles per instruction.
    #[arg(long, default_value_t = FirmwareParams::default().cycles_per_instr, value_name = "N")]
    pub cycles_per_instr: f64,
    /// Decoder cycles per pulse-section item (memory waveform or play).
    #[arg(long, default_value_t = FirmwareParams::default().cycles_per_pulse_item, value_name = "N")]
    pub cycles_per_pulse_item: f64,
    /// Samples the decoder reconstructs per cycle.
    #[arg(long, default_value_t = FirmwareParams::default().samples_per_cycle, value_name = "N")]
    pub samples_per_cycle: f64,
    /// Energy parameters (TOML; any subset overrides the defaults, see decoder/energy-model.toml).
    #[arg(long, value_name = "FILE")]
    pub energy_model: Option<PathBuf>,
    /// Real-time `while` loops: answer each of their conditions from a generator with this seed
    /// (each holds with probability --p-true; default seed 0).
    #[arg(long, value_name = "N", conflicts_with = "answers")]
    pub seed: Option<u64>,
    /// With --seed: the probability that a `while` condition holds (the loop iterates again).
    #[arg(
        long,
        default_value_t = 0.5,
        value_name = "P",
        conflicts_with = "answers"
    )]
    pub p_true: f64,
    /// Real-time `while` loops: answer their conditions from this file, `0` and `1` in the order
    /// the decoder asks (whitespace and `#` comments ignored); running out is an error.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Most iterations of one `while` loop before the run stops with an error.
    #[arg(long, default_value_t = FirmwareParams::default().max_while_iterations, value_name = "N")]
    pub max_while_iterations: u64,
    /// With a circuit (OpenQASM or Stim) instead of an `.eqb`: assemble it as one stream per
    /// controller of at most K qubits (or N controllers) and simulate every controller, each with
    /// its share of the link. A multi-stream `.eqb` is simulated per controller without these.
    #[command(flatten)]
    pub split: super::controllers::SplitArgs,
    /// Print JSON: underruns, peak_fifo_bits, min_link_gbps, latency_ns, the rest of the
    /// simulation's report (per channel, counted events) and energy (per event kind, per stage,
    /// wall-plug).
    #[arg(long)]
    pub json: bool,
}

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    let name = args.file.display().to_string();
    let cb = load_codebook(args.codebook.as_deref())?;
    let model = load_energy_model(args.energy_model.as_deref())?;
    let bytes = match args.split.split() {
        Some(split) if !bytes_are_program(&args.file) => {
            super::controllers::assemble_file(
                &args.file,
                &[],
                &eqisa_pipeline::AssembleOptions::default(),
                false,
                split,
                &cb,
            )?
            .0
        }
        _ => eqisa_files::read(&args.file).map_err(|e| format!("{name}: {e}"))?,
    };
    let params = FirmwareParams {
        link_gbps: args.link_gbps,
        clock_mhz: args.clock_mhz,
        dt_ns: args.dt_ns,
        startup_ns: args.startup_ns,
        cycles_per_instr: args.cycles_per_instr,
        cycles_per_pulse_item: args.cycles_per_pulse_item,
        samples_per_cycle: args.samples_per_cycle,
        outcomes: match &args.answers {
            Some(file) => Outcomes::Given(eqisa_pipeline::outcomes::read_listed(file)?),
            None => Outcomes::Random {
                seed: args.seed.unwrap_or(0),
                p_true: args.p_true,
            },
        },
        max_while_iterations: args.max_while_iterations,
        ..FirmwareParams::default()
    };
    if eqisa_isa::container::streams::is_streams(&bytes) {
        if let Some(split) = args.split.split() {
            let file = eqisa_pipeline::controllers::parse_streams(&bytes, &name)?;
            let ranges = split
                .ranges(file.qubit_count)
                .map_err(|e| format!("{name}: {e}"))?;
            if ranges.len() != file.controllers.len() {
                return Err(format!(
                    "{}: {name} holds {} controllers, not the {} it asks for",
                    split.option(),
                    file.controllers.len(),
                    ranges.len()
                )
                .into());
            }
        }
    } else if args.split.split().is_some() {
        return Err(format!("--controllers / --qubits-per-controller: {name} is a single-stream program; give the circuit, or assemble it with --controllers").into());
    }
    let run = simulate(&bytes, &name, &cb, &params, &model)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&run)?);
        return Ok(());
    }
    match &run {
        Simulation::Controllers(run) => super::controllers::print_firmware(run, &params),
        Simulation::Program(run) => print_program(run, &params),
    }
}

/// A single-stream program's (or job's) run as text.
fn print_program(report: &ProgramRun, params: &FirmwareParams) -> CmdResult {
    let (sim, events) = (&report.sim, &report.events);
    let opt = |v: Option<f64>, digits: usize, unit: &str| {
        v.map_or("none".to_string(), |v| format!("{v:.digits$} {unit}"))
    };
    outln!("file              {}", report.file);
    outln!(
        "controller        link {} Gb/s, clock {} MHz, dt {} ns (the program's), head start {} ns",
        params.link_gbps,
        params.clock_mhz,
        sim.dt_ns,
        params.startup_ns
    );
    outln!(
        "schedule          {:.1} ns; decoding ends at {:.1} ns (busy {:.1} ns)",
        sim.schedule_ns,
        sim.decode_end_ns,
        sim.decoder_busy_ns
    );
    outln!("underruns         {}", sim.underruns);
    for ch in sim.channels.iter().filter(|c| c.underruns > 0) {
        outln!(
            "  {:<14} {} of {} late (worst {:.1} ns)",
            ch.name,
            ch.underruns,
            ch.outputs,
            ch.worst_lateness_ns
        );
    }
    outln!("peak FIFO         {} bits", sim.peak_fifo_bits);
    outln!(
        "min link          {} (no underrun at or above it)",
        opt(sim.min_link_gbps, 4, "Gb/s")
    );
    outln!("latency           {}", opt(sim.latency_ns, 1, "ns"));
    outln!(
        "events            {} link bits, {} instructions, {} multiply-adds, {} memory bits read, {} DAC samples",
        events.link_bits,
        events.instructions_decoded,
        events.multiply_adds,
        events.waveform_memory_read_bits,
        events.dac_samples
    );
    let e = &report.energy;
    let heat_4k = e.stage(Stage::Stage4K).map_or(0.0, |s| s.heat_j);
    outln!(
        "energy            {:.3e} J; heat at 4 K {heat_4k:.3e} J; wall-plug {:.3e} J ({:.3e} W)",
        e.total_energy_j,
        e.wall_plug_j,
        e.wall_plug_w
    );
    if let Some(circuits) = &report.circuits {
        super::job::print_spans(circuits, sim.schedule_ns)?;
    }
    Ok(())
}

/// Whether `path` holds an `.eqb` (single or multi-stream) rather than a circuit.
fn bytes_are_program(path: &std::path::Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == b"EQB\0" || eqisa_isa::container::streams::is_streams(&head))
}
