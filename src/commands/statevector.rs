//! `eqisa statevector` (alias `sim`): the final state vector, or the outcome distribution of a dynamic circuit.

use std::io::Write;
use std::path::PathBuf;

use eqisa_ir::Circuit;
use eqisa_ir::program::flatten::{FlattenErrorKind, FlattenLimits, flatten};
use eqisa_qasm::Parsed;
use eqisa_statevector::circuit::{
    DEFAULT_MAX_BRANCH_AMPLITUDES, Outcome, OutcomeLimits, outcomes_with, statevector,
};
use eqisa_statevector::program::program_outcomes;

use super::CmdResult;

/// Arguments of `eqisa statevector`.
#[derive(clap::Args)]
pub struct Args {
    /// OpenQASM 2 or 3 file (`-` for standard input).
    pub file: PathBuf,
    /// Print JSON: {"qubits": n, "amplitudes": [[re, im], ...]} (every amplitude), or with
    /// --outcomes {"clbits": n, "outcomes": {"bits": probability, ...}}. With --top, only the
    /// most probable: {"qubits": n, "top": [{"bits": "...", "amplitude": [re, im]}, ...],
    /// "omitted": m}, or {"clbits": n, "outcomes": {...}, "omitted": m}.
    #[arg(long)]
    pub json: bool,
    /// Give the exact probability of every classical outcome instead of the state vector,
    /// following each measurement branch: works for dynamic circuits (mid-circuit
    /// measurement, reset, feed-forward).
    #[arg(long)]
    pub outcomes: bool,
    /// List at most this many basis states or outcomes, the most probable (text: 32 unless
    /// given; JSON: all unless given).
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// With --outcomes: most amplitudes simulated over all measurement branches together
    /// (each branch is a state of 2^qubits amplitudes, 16 bytes each); bounds memory and time.
    /// Default 2^24 (256 MiB); final measurements cost none (they are read off the state).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_BRANCH_AMPLITUDES,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_branch_amplitudes: u64,
    #[command(flatten)]
    pub inputs: super::inputs::InputArgs,
}

/// Text output lists this many basis states or outcomes unless --top says otherwise.
const TEXT_TOP: usize = 32;

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    let file = args.file.display().to_string();
    let sim = simulate(args, &file)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // The buffer's last write happens at the flush: an unchecked drop would lose its error.
    let written = write_result(args, &sim, &mut out).and_then(|()| Ok(out.flush()?));
    written.map_err(|e| match e.downcast::<std::io::Error>() {
        Ok(io) => crate::output::failed(&io).into(),
        Err(e) => e,
    })
}

/// What a simulation gives: a flat circuit to simulate, or the outcomes of a program whose
/// control flow only runs in real time.
enum Simulated {
    Circuit(Circuit),
    Outcomes { clbits: u32, dist: Vec<Outcome> },
}

/// Load the program; a structured one that has no flat circuit because it branches or loops
/// on measured values is run branch by branch with `--outcomes`.
fn simulate(args: &Args, file: &str) -> Result<Simulated, Box<dyn std::error::Error>> {
    let parsed = super::program::load(&args.file)?;
    let Parsed::Structured(p) = parsed else {
        return Ok(Simulated::Circuit(eqisa_pipeline::flatten_named(
            parsed,
            &args.file,
            &args.inputs.inputs,
        )?));
    };
    let bound = eqisa_qasm::bind(&p, &args.inputs.inputs)?;
    let limits = FlattenLimits {
        max_ops: eqisa_qasm::ir_budget().min(u64::from(u32::MAX)),
        ..FlattenLimits::default()
    };
    match flatten(&p, &bound, &limits) {
        Ok(c) => Ok(Simulated::Circuit(c)),
        Err(e)
            if args.outcomes
                && matches!(
                    e.kind,
                    FlattenErrorKind::RealTime { .. }
                        | FlattenErrorKind::Unrepresentable { .. }
                        | FlattenErrorKind::Extern { .. }
                ) =>
        {
            let limits = OutcomeLimits {
                max_amplitudes: args.max_branch_amplitudes,
            };
            let dist = program_outcomes(&p, &bound, &limits).map_err(|e| format!("{file}: {e}"))?;
            Ok(Simulated::Outcomes {
                clbits: p.circuit.num_clbits,
                dist,
            })
        }
        Err(e) => Err(eqisa_qasm::located(&p, e).into()),
    }
}

/// The `top` most probable of `dist` (ties: lower bit string first), kept in bit-string order.
fn most_probable(dist: &[Outcome], top: usize) -> Vec<&Outcome> {
    let mut idx: Vec<usize> = (0..dist.len()).collect();
    idx.sort_by(|&a, &b| {
        dist[b]
            .probability
            .total_cmp(&dist[a].probability)
            .then(a.cmp(&b))
    });
    idx.truncate(top);
    idx.sort_unstable();
    idx.into_iter().map(|k| &dist[k]).collect()
}

/// Simulate what `sim` holds and write what `args` ask for to `out`.
fn write_result(args: &Args, sim: &Simulated, out: &mut impl Write) -> CmdResult {
    // Simulation errors say what is too large or dynamic; the file is what they lack.
    let file = args.file.display();
    let named = |e: eqisa_statevector::StateVectorError| format!("{file}: {e}");
    let (c, outcomes) = match sim {
        Simulated::Outcomes { clbits, dist } => (None, Some((*clbits, dist.clone()))),
        Simulated::Circuit(c) if args.outcomes => {
            let limits = OutcomeLimits {
                max_amplitudes: args.max_branch_amplitudes,
            };
            let dist = outcomes_with(c, &limits).map_err(named)?;
            (Some(c), Some((c.num_clbits, dist)))
        }
        Simulated::Circuit(c) => (Some(c), None),
    };
    if let Some((num_clbits, dist)) = outcomes {
        let top = match (args.top, args.json) {
            (Some(t), _) => t,
            (None, true) => dist.len(),
            (None, false) => TEXT_TOP,
        };
        let shown = most_probable(&dist, top);
        let omitted = dist.len() - shown.len();
        if args.json {
            write!(out, "{{\"clbits\": {num_clbits}, \"outcomes\": {{")?;
            for (k, o) in shown.iter().enumerate() {
                let sep = if k == 0 { "" } else { ", " };
                write!(out, "{sep}\"{}\": {}", o.bitstring(), o.probability)?;
            }
            if args.top.is_some() {
                writeln!(out, "}}, \"omitted\": {omitted}}}")?;
            } else {
                writeln!(out, "}}}}")?;
            }
        } else {
            writeln!(
                out,
                "{num_clbits} classical bits, {} outcomes (clbit 0 rightmost)",
                dist.len()
            )?;
            for o in &shown {
                writeln!(out, "  {}  {:.6}", o.bitstring(), o.probability)?;
            }
            if omitted > 0 {
                writeln!(
                    out,
                    "  ... {omitted} more, less or as probable (use --top or --json)"
                )?;
            }
        }
        return Ok(());
    }
    let Some(c) = c else {
        return Ok(());
    };
    let state = statevector(c).map_err(named)?;
    let n = state.num_qubits();
    let amps = state.amplitudes();
    if args.json && args.top.is_none() {
        write!(out, "{{\"qubits\": {n}, \"amplitudes\": [")?;
        for (k, a) in amps.iter().enumerate() {
            let sep = if k == 0 { "" } else { ", " };
            write!(out, "{sep}[{:?}, {:?}]", a.re, a.im)?;
        }
        writeln!(out, "]}}")?;
        return Ok(());
    }
    let mut idx: Vec<usize> = (0..amps.len())
        .filter(|&k| amps[k].norm_sqr() > 1e-12)
        .collect();
    idx.sort_by(|&a, &b| {
        amps[b]
            .norm_sqr()
            .total_cmp(&amps[a].norm_sqr())
            .then(a.cmp(&b))
    });
    let top = args.top.unwrap_or(TEXT_TOP);
    let label = |k: usize| -> String {
        (0..n)
            .rev()
            .map(|q| if k >> q & 1 == 1 { '1' } else { '0' })
            .collect()
    };
    if args.json {
        write!(out, "{{\"qubits\": {n}, \"top\": [")?;
        for (j, &k) in idx.iter().take(top).enumerate() {
            let sep = if j == 0 { "" } else { ", " };
            let a = amps[k];
            write!(
                out,
                "{sep}{{\"bits\": \"{}\", \"amplitude\": [{:?}, {:?}]}}",
                label(k),
                a.re,
                a.im
            )?;
        }
        writeln!(out, "], \"omitted\": {}}}", idx.len().saturating_sub(top))?;
        return Ok(());
    }
    writeln!(
        out,
        "{n} qubits, {} nonzero amplitudes (qubit 0 rightmost)",
        idx.len()
    )?;
    for &k in idx.iter().take(top) {
        let a = amps[k];
        let label = label(k);
        writeln!(
            out,
            "  |{label}>  {:+.6} {:+.6}i   p = {:.6}",
            a.re,
            a.im,
            a.norm_sqr()
        )?;
    }
    if idx.len() > top {
        writeln!(out, "  ... {} more (use --top or --json)", idx.len() - top)?;
    }
    Ok(())
}
