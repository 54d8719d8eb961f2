//! `eqisa`: the command-line front of the EQISA toolchain.

// The arguments' doc comments are clap's help text, written for a terminal (`[durations_ns]` is a
// TOML table there, not a rustdoc link).
#![allow(rustdoc::broken_intra_doc_links)]

mod commands;
mod output;
mod plot;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// EQISA — compress the classical control stream of quantum computers.
///
/// Reads OpenQASM 2 and 3 circuits. FILE may be `-` for standard input.
#[derive(Parser)]
#[command(name = "eqisa", version, about, long_about = None)]
struct Cli {
    /// Largest file read whole (codebooks, device, target and energy-model files, includes,
    /// programs given to `firmware`), in MiB; circuit files are streamed and bounded per
    /// statement instead.
    #[arg(long, global = true, value_name = "MIB", env = "EQISA_MAX_FILE_MB",
          default_value_t = eqisa_files::DEFAULT_LIMIT >> 20,
          value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
    max_file_mb: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Qubits, classical bits, registers, operation counts and depth of a circuit.
    Inspect(commands::inspect::Args),
    /// State-vector simulation: the final state of a static circuit from |0…0⟩ (qubit 0 least
    /// significant), or with --outcomes the exact distribution of classical results of a dynamic
    /// circuit.
    #[command(visible_alias = "sim")]
    Statevector(commands::statevector::Args),
    /// Lower a circuit to a native target (gates, then an ASAP schedule) and report its ops,
    /// depth, duration and fidelity; -o writes the result as OpenQASM 2.
    Compile(commands::compile::Args),
    /// Learn a codebook (instruction-model priors and the paper's word dictionary) from circuit
    /// files and Haar-random unitaries.
    Train(commands::train::Args),
    /// Parse, lower and encode a circuit into an .eqb program; report its bits against the
    /// fixed-width binary stream, bzip2/xz/zstd of it, its entropy and the paper's pipeline.
    Assemble(commands::assemble::Args),
    /// Stream an .eqb program through the decoder; -o writes it back as OpenQASM.
    Decode(commands::decode::Args),
    /// Play a circuit on a device's pulse calibration (calibrated gates, or --direct rotations);
    /// report channels, plays and samples; -o writes the samples as .npy.
    Pulses(commands::pulses::Args),
    /// Per circuit and in total, every encoding of the control stream side by side (binary,
    /// the paper's pipeline, bzip2/xz/zstd, ours; raw samples, DCT, zstd of samples, our pulse
    /// section): bits, real-time link bandwidth, energy, heat at 4 K, fidelity, and how many
    /// qubits one link serves; --plot draws it as SVG or PNG.
    Report(commands::report::Args),
    /// Run an .eqb program's real decoders against a modelled controller (link, FIFO, decoder
    /// clock, waveform memory, DACs): underruns, peak FIFO, the lowest link rate without
    /// underruns, latency, and the energy of the counted events.
    #[command(visible_alias = "simulate")]
    Firmware(commands::firmware::Args),
}

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    eqisa_files::set_limit(cli.max_file_mb << 20);
    let result = match cli.command {
        Command::Inspect(a) => commands::inspect::run(&a),
        Command::Statevector(a) => commands::statevector::run(&a),
        Command::Compile(a) => commands::compile::run(&a),
        Command::Train(a) => commands::train::run(&a),
        Command::Assemble(a) => commands::assemble::run(&a),
        Command::Decode(a) => commands::decode::run(&a),
        Command::Pulses(a) => commands::pulses::run(&a),
        Command::Report(a) => commands::report::run(&a),
        Command::Firmware(a) => commands::firmware::run(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", output::printable(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

/// Rust ignores SIGPIPE, so printing into a closed pipe (`eqisa … | head`) would panic; restore
/// the default so the process ends quietly, as command-line tools do.
#[cfg(unix)]
fn restore_sigpipe() {
    // SAFETY: called first thing in `main`, before any other thread exists; resetting a signal's
    // disposition to the default has no other effect on this process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_sigpipe() {}
