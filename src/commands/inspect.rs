//! `eqisa inspect`: what a circuit holds.

use crate::output::outln;
use std::collections::BTreeMap;
use std::path::PathBuf;

use eqisa_ir::Circuit;
use eqisa_ir::circuit::{Register, Version};
use eqisa_ir::program::Program;
use eqisa_ir::program::flatten::{FlattenLimits, flatten};
use eqisa_ir::program::stats::{LoopKind, structure};
use eqisa_ir::stats::stats;
use eqisa_qasm::Parsed;
use serde::Serialize;

use super::CmdResult;

/// Arguments of `eqisa inspect`.
#[derive(clap::Args)]
pub struct Args {
    /// OpenQASM 2 or 3 file (`-` for standard input).
    pub file: PathBuf,
    /// Print JSON (keys: qubits, clbits, qregs, cregs, ops, conditional, depth; for an
    /// OpenQASM 3 program also structure: loops, while_loops, branches, switches, subroutines,
    /// calls, ops_written and per loop its iterations and per-iteration counts). `ops` are
    /// executed counts (loops multiplied out, null where a count is only known at run time);
    /// `depth` and `conditional` are null when the program has no flat circuit.
    #[arg(long)]
    pub json: bool,
    /// Count the unrolled program instead (loops unrolled, known branches resolved): refused
    /// when it has real-time control flow or unrolls to more operations than the IR budget.
    #[arg(long)]
    pub flat: bool,
    #[command(flatten)]
    pub inputs: super::inputs::InputArgs,
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
    /// Executed counts; `None` where a loop's count is only known at run time.
    ops: BTreeMap<String, Option<u128>>,
    conditional: Option<u64>,
    depth: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    structure: Option<StructureReport>,
    /// For a Stim circuit: annotations and noise channels skipped, by name, with how often
    /// each is written (a line inside `REPEAT` once).
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<BTreeMap<String, u64>>,
}

#[derive(Serialize)]
struct StructureReport {
    loops: u64,
    while_loops: u64,
    branches: u64,
    switches: u64,
    subroutines: u64,
    calls: u64,
    /// Occurrences in the text, each loop body and subroutine once.
    ops_written: BTreeMap<String, u64>,
    per_loop: Vec<LoopReport>,
}

#[derive(Serialize)]
struct LoopReport {
    /// `line:column` of the loop.
    at: String,
    kind: &'static str,
    subroutine: Option<String>,
    iterations: Option<u128>,
    per_iteration: BTreeMap<String, Option<u128>>,
}

fn regs(rs: &[Register]) -> Vec<Reg> {
    rs.iter()
        .map(|r| Reg {
            name: r.name.clone(),
            size: r.size,
        })
        .collect()
}

fn language(v: Version) -> &'static str {
    match v {
        Version::Qasm2 => "OpenQASM 2",
        Version::Qasm3 => "OpenQASM 3",
    }
}

/// The report of a flat circuit.
fn flat_report(file: String, c: &Circuit) -> Report {
    let s = stats(c);
    Report {
        file,
        language: language(c.version),
        qubits: s.qubits,
        clbits: s.clbits,
        qregs: regs(&c.qregs),
        cregs: regs(&c.cregs),
        ops: s
            .ops
            .into_iter()
            .map(|(k, v)| (k, Some(u128::from(v))))
            .collect(),
        conditional: Some(s.conditional),
        depth: Some(s.depth),
        structure: None,
        skipped: None,
    }
}

/// The report of a structured program: counts from its structure, depth from its flat circuit
/// when it has one.
fn structured_report(file: String, p: &Program, flat: Option<&Circuit>) -> Report {
    let s = structure(p);
    let flat_stats = flat.map(stats);
    let c = &p.circuit;
    Report {
        file,
        language: language(c.version),
        qubits: c.num_qubits,
        clbits: c.num_clbits,
        qregs: regs(&c.qregs),
        cregs: regs(&c.cregs),
        ops: s.ops.iter().map(|(k, v)| (k.clone(), v.total)).collect(),
        conditional: flat_stats.as_ref().map(|f| f.conditional),
        depth: flat_stats.as_ref().map(|f| f.depth),
        structure: Some(StructureReport {
            loops: s.loops,
            while_loops: s.while_loops,
            branches: s.branches,
            switches: s.switches,
            subroutines: s.subroutines,
            calls: s.calls,
            ops_written: s.ops.iter().map(|(k, v)| (k.clone(), v.written)).collect(),
            per_loop: s
                .per_iteration
                .into_iter()
                .map(|l| LoopReport {
                    at: format!("{}:{}", l.loc.line, l.loc.col),
                    kind: match l.kind {
                        LoopKind::For => "for",
                        LoopKind::While => "while",
                    },
                    subroutine: l.subroutine,
                    iterations: l.iterations,
                    per_iteration: l.per_iteration,
                })
                .collect(),
        }),
        skipped: None,
    }
}

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    let file = args.file.display().to_string();
    let source = super::program::load_source(&args.file)?;
    let stim = eqisa_pipeline::is_stim(&args.file);
    let skipped = stim.then(|| source.skipped.iter().cloned().collect::<BTreeMap<_, _>>());
    let mut report = match source.parsed {
        Parsed::Structured(p) if !args.flat => {
            let bound = eqisa_qasm::bind(&p, &args.inputs.inputs)?;
            let limits = FlattenLimits {
                max_ops: eqisa_qasm::ir_budget().min(u64::from(u32::MAX)),
                ..FlattenLimits::default()
            };
            // Depth needs the flat circuit; a program without one still has its structure.
            let flat = flatten(&p, &bound, &limits).ok();
            structured_report(file, &p, flat.as_ref())
        }
        parsed => flat_report(
            file,
            &eqisa_pipeline::flatten_named(parsed, &args.file, &args.inputs.inputs)?,
        ),
    };
    if stim {
        report.language = "Stim";
        report.skipped = skipped;
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    print_text(&report)
}

/// A count for text output: `?` when only known at run time.
fn count(n: Option<u128>) -> String {
    n.map_or_else(|| "?".to_string(), |n| n.to_string())
}

fn print_text(report: &Report) -> CmdResult {
    let list = |rs: &[Reg]| {
        rs.iter()
            .map(|r| format!("{}[{}]", r.name, r.size))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let known =
        |n: Option<u64>| n.map_or_else(|| "unknown (no flat circuit)".into(), |n| n.to_string());
    outln!("file         {}", report.file);
    outln!("language     {}", report.language);
    outln!("qubits       {}  {}", report.qubits, list(&report.qregs));
    outln!("clbits       {}  {}", report.clbits, list(&report.cregs));
    outln!("depth        {}", known(report.depth));
    outln!("conditional  {}", known(report.conditional));
    let total = report
        .ops
        .values()
        .try_fold(0u128, |acc, n| n.map(|n| acc.saturating_add(n)));
    outln!("ops          {}", count(total));
    if let Some(skipped) = &report.skipped {
        let total: u64 = skipped.values().sum();
        let list = skipped
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        outln!(
            "skipped      {total} annotations and noise channels (not control operations): {list}"
        );
    }
    let mut by_count: Vec<_> = report.ops.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (name, n) in by_count {
        outln!("  {name:<18} {}", count(*n));
    }
    let Some(s) = &report.structure else {
        return Ok(());
    };
    outln!(
        "structure    {} for, {} while, {} if, {} switch, {} subroutines ({} calls)",
        s.loops,
        s.while_loops,
        s.branches,
        s.switches,
        s.subroutines,
        s.calls
    );
    for l in &s.per_loop {
        let inside = l
            .subroutine
            .as_ref()
            .map_or_else(String::new, |name| format!(" in {name}"));
        let per: Vec<String> = l
            .per_iteration
            .iter()
            .map(|(k, n)| format!("{k} {}", count(*n)))
            .collect();
        outln!(
            "  {} at {}{inside}: {} iterations, each: {}",
            l.kind,
            l.at,
            count(l.iterations),
            per.join(", ")
        );
    }
    Ok(())
}
