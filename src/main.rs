//! `eqisa`: the command-line front of the EQISA toolchain.

mod commands;
mod input;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// EQISA — compress the classical control stream of quantum computers.
///
/// Reads OpenQASM 2 and 3 circuits. FILE may be `-` for standard input.
#[derive(Parser)]
#[command(name = "eqisa", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Qubits, classical bits, registers, operation counts and depth of a circuit.
    Inspect(commands::inspect::Args),
    /// Final state vector of a static circuit from |0…0⟩ (qubit 0 least significant), or with
    /// --outcomes the exact distribution of classical results of a dynamic circuit.
    Sim(commands::sim::Args),
    /// Lower a circuit to a native target (gates, then an ASAP schedule) and report its ops,
    /// depth, duration and fidelity; -o writes the result as OpenQASM 2.
    Compile(commands::compile::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect(a) => commands::inspect::run(&a),
        Command::Sim(a) => commands::sim::run(&a),
        Command::Compile(a) => commands::compile::run(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
