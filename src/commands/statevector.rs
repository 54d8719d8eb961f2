//! `eqisa statevector` (alias `sim`): the final state vector, or the outcome distribution of a dynamic circuit.

use std::io::Write;
use std::path::PathBuf;

use eqisa_ir::Circuit;
use eqisa_statevector::circuit::{outcomes, statevector};

use super::CmdResult;

/// Arguments of `eqisa statevector`.
#[derive(clap::Args)]
pub struct Args {
    /// OpenQASM 2 or 3 file (`-` for standard input).
    pub file: PathBuf,
    /// Print JSON: {"qubits": n, "amplitudes": [[re, im], ...]} (every amplitude), or with
    /// --outcomes {"clbits": n, "outcomes": {"bits": probability, ...}}.
    #[arg(long)]
    pub json: bool,
    /// Give the exact probability of every classical outcome instead of the state vector,
    /// following each measurement branch: works for dynamic circuits (mid-circuit
    /// measurement, reset, feed-forward).
    #[arg(long)]
    pub outcomes: bool,
    /// In text output, list at most this many basis states (largest probability first).
    #[arg(long, default_value_t = 32)]
    pub top: usize,
}

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    let c = eqisa_pipeline::load_circuit(&args.file)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // The buffer's last write happens at the flush: an unchecked drop would lose its error.
    let written = write_result(args, &c, &mut out).and_then(|()| Ok(out.flush()?));
    written.map_err(|e| match e.downcast::<std::io::Error>() {
        Ok(io) => crate::output::failed(&io).into(),
        Err(e) => e,
    })
}

/// Simulate `c` and write what `args` ask for to `out`.
fn write_result(args: &Args, c: &Circuit, out: &mut impl Write) -> CmdResult {
    if args.outcomes {
        let dist = outcomes(c)?;
        if args.json {
            write!(out, "{{\"clbits\": {}, \"outcomes\": {{", c.num_clbits)?;
            for (k, o) in dist.iter().enumerate() {
                let sep = if k == 0 { "" } else { ", " };
                write!(out, "{sep}\"{}\": {}", o.bitstring(), o.probability)?;
            }
            writeln!(out, "}}}}")?;
        } else {
            writeln!(
                out,
                "{} classical bits, {} outcomes (clbit 0 rightmost)",
                c.num_clbits,
                dist.len()
            )?;
            for o in &dist {
                writeln!(out, "  {}  {:.6}", o.bitstring(), o.probability)?;
            }
        }
        return Ok(());
    }
    let state = statevector(c)?;
    let n = state.num_qubits();
    let amps = state.amplitudes();
    if args.json {
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
    writeln!(
        out,
        "{n} qubits, {} nonzero amplitudes (qubit 0 rightmost)",
        idx.len()
    )?;
    for &k in idx.iter().take(args.top) {
        let a = amps[k];
        let label: String = (0..n)
            .rev()
            .map(|q| if k >> q & 1 == 1 { '1' } else { '0' })
            .collect();
        writeln!(
            out,
            "  |{label}>  {:+.6} {:+.6}i   p = {:.6}",
            a.re,
            a.im,
            a.norm_sqr()
        )?;
    }
    if idx.len() > args.top {
        writeln!(
            out,
            "  ... {} more (use --top or --json)",
            idx.len() - args.top
        )?;
    }
    Ok(())
}
