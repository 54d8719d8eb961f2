//! `eqisa inspect`: what a circuit holds.

use crate::output::outln;
use std::collections::BTreeMap;
use std::path::PathBuf;

use eqisa_ir::circuit::Version;
use eqisa_ir::stats::stats;
use serde::Serialize;

use super::CmdResult;

/// Arguments of `eqisa inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// OpenQASM 2 or 3 file (`-` for standard input).
    pub file: PathBuf,
    /// Print JSON (keys: qubits, clbits, qregs, cregs, ops, conditional, depth).
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Reg {
    name: String,
    size: u32,
}

#[derive(Serialize)]
struct Report {
    file: String,
    language: &'static str,
    qubits: u32,
    clbits: u32,
    qregs: Vec<Reg>,
    cregs: Vec<Reg>,
    ops: BTreeMap<String, u64>,
    conditional: u64,
    depth: u64,
}

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    let c = eqisa_pipeline::load_circuit(&args.file)?;
    let s = stats(&c);
    let regs = |rs: &[eqisa_ir::circuit::Register]| {
        rs.iter()
            .map(|r| Reg {
                name: r.name.clone(),
                size: r.size,
            })
            .collect::<Vec<_>>()
    };
    let report = Report {
        file: args.file.display().to_string(),
        language: match c.version {
            Version::Qasm2 => "OpenQASM 2",
            Version::Qasm3 => "OpenQASM 3",
        },
        qubits: s.qubits,
        clbits: s.clbits,
        qregs: regs(&c.qregs),
        cregs: regs(&c.cregs),
        ops: s.ops,
        conditional: s.conditional,
        depth: s.depth,
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let list = |rs: &[Reg]| {
        rs.iter()
            .map(|r| format!("{}[{}]", r.name, r.size))
            .collect::<Vec<_>>()
            .join(" ")
    };
    outln!("file         {}", report.file);
    outln!("language     {}", report.language);
    outln!("qubits       {}  {}", report.qubits, list(&report.qregs));
    outln!("clbits       {}  {}", report.clbits, list(&report.cregs));
    outln!("depth        {}", report.depth);
    outln!("conditional  {}", report.conditional);
    let total: u64 = report.ops.values().sum();
    outln!("ops          {total}");
    let mut by_count: Vec<_> = report.ops.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (name, n) in by_count {
        outln!("  {name:<18} {n}");
    }
    Ok(())
}
