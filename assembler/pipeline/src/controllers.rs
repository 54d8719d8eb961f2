//! One stream per controller: a circuit lowered (with its loops when it has any), cut by qubit
//! into per-controller programs ([`eqisa_assembler::partition`]), each assembled into its own
//! `.eqb` and gathered in one multi-stream file ([`eqisa_isa::container::streams`]); the way
//! back (each stream decoded by its own decoder, merged into the global program); and the
//! firmware simulation of N controllers, each with its share of the link; and how many
//! controllers each circuit of a report needs ([`needed`]).

use std::path::PathBuf;

use eqisa_assembler::partition::{
    ControllerProgram, PartitionError, Split, as_structured, partition,
};
use eqisa_assembler::rebuild::{Decoded, rebuild};
use eqisa_assembler::{Structured, assemble, assemble_structured};
use eqisa_decoder::{DecodedInstr, decode_all};
use eqisa_firmware::energy::EnergyModel;
use eqisa_firmware::{FirmwareParams, FirmwareReport};
use eqisa_ir::circuit::Register;
use eqisa_ir::program::flatten::FlattenLimits;
use eqisa_isa::IsaError;
use eqisa_isa::container::streams::Streams;
use eqisa_isa::control::{Control, NodeKind};
use eqisa_isa::instr::Opcode;
use eqisa_lower::lower;
use eqisa_lower::program::NativeProgram;
use eqisa_lower::structured::{StructuredError, lower_structured};
use eqisa_lower::target::TargetDesc;
use eqisa_qasm::Parsed;
use rayon::prelude::*;
use serde::Serialize;

use crate::assemble::AssembleOptions;
use crate::codebook::LoadedCodebook;
use crate::decode::decode_error;
use crate::error::PipelineError;
use crate::firmware::run_firmware;
use crate::input::load_source;
use crate::notes::calibration_note;
use crate::report::batch::ReportProgress;

/// One controller's stream, as assembled.
#[derive(Clone, Debug, Serialize)]
pub struct StreamReport {
    /// Its index.
    pub controller: usize,
    /// First and last global qubit it drives.
    pub qubits: (u32, u32),
    /// Partner qubits of its cross-controller gates (ports).
    pub ports: usize,
    /// Bits it reads that others measure.
    pub imports: usize,
    /// Bits it measures that others read.
    pub exports: usize,
    /// Operations of the global text it holds.
    pub text_ops: u64,
    /// Synchronisation waits inserted.
    pub waits: u64,
    /// Its `.eqb`'s bytes.
    pub bytes: usize,
}

/// A program assembled as one stream per controller.
#[derive(Clone, Debug, Serialize)]
pub struct ControllersReport {
    /// The circuit's name.
    pub file: String,
    /// `native` or `clifford+t`.
    pub target: &'static str,
    /// Qubits of the whole program.
    pub qubits: u32,
    /// Whether the loops were kept (else the program was flat).
    pub loops: bool,
    /// The option used and its value.
    pub split: String,
    /// Per controller.
    pub streams: Vec<StreamReport>,
    /// The multi-stream file's bytes.
    pub file_bytes: usize,
}

/// The multi-stream file and its figures.
pub struct ControllersAssembly {
    /// The file.
    pub bytes: Vec<u8>,
    /// Its figures.
    pub report: ControllersReport,
}

fn partition_error(name: &str, e: PartitionError) -> PipelineError {
    match e {
        PartitionError::Assemble(source) => PipelineError::Assemble {
            file: name.to_string(),
            source,
        },
        other => PipelineError::Controllers {
            file: name.to_string(),
            message: other.to_string(),
        },
    }
}

/// Lower `parsed` (named `name`) keeping its loops when it has any the lowering keeps (unless
/// `flat`), else unrolled: the program to partition, and whether it has loops.
///
/// # Errors
/// As `eqisa assemble` (a program that does not bind, flatten or lower).
pub fn lower_program(
    parsed: Parsed,
    file: &std::path::Path,
    inputs: &[(String, String)],
    opts: &AssembleOptions,
    flat: bool,
) -> Result<(Structured, TargetDesc, bool), PipelineError> {
    let name = file.display().to_string();
    let (target, options) = opts.lowering.resolve()?;
    if let Parsed::Structured(p) = &parsed
        && !flat
    {
        let bound = eqisa_qasm::bind(p, inputs)?;
        match lower_structured(p, &bound, &target, &options, &FlattenLimits::default()) {
            Ok(Some(l)) => {
                let s = Structured::from_lowered(&l).map_err(|source| PipelineError::Assemble {
                    file: name.clone(),
                    source,
                })?;
                return Ok((s, target, true));
            }
            Ok(None) => {}
            Err(StructuredError::Flatten(e)) => return Err(eqisa_qasm::located(p, e).into()),
            Err(StructuredError::Lower(source)) => {
                return Err(PipelineError::Lower { file: name, source });
            }
        }
    }
    let c = crate::input::flatten_named(parsed, file, inputs)?;
    let l = lower(&c, &target, &options).map_err(|source| PipelineError::Lower {
        file: name.clone(),
        source,
    })?;
    let s = as_structured(&l.program)
        .map_err(|source| PipelineError::Assemble { file: name, source })?;
    Ok((s, target, false))
}

/// Cut `s` (named `name`) by `split` and assemble every controller's stream with `cb` into one
/// multi-stream file.
///
/// # Errors
/// A split the program cannot take ([`PipelineError::Controllers`], naming the option), or a
/// stream that cannot be assembled.
pub fn assemble_controllers(
    s: &Structured,
    loops: bool,
    target: &TargetDesc,
    name: &str,
    split: Split,
    cb: &LoadedCodebook,
) -> Result<ControllersAssembly, PipelineError> {
    let ranges = split
        .ranges(s.text.num_qubits)
        .map_err(|e| partition_error(name, e))?;
    let parts = partition(s, &ranges, split).map_err(|e| partition_error(name, e))?;
    let streams: Vec<Vec<u8>> = parts
        .par_iter()
        .map(|cp: &ControllerProgram| {
            let asm = if loops {
                assemble_structured(&cp.program, target, &cb.codebook, cb.hash)
            } else {
                assemble(&cp.program.text, target, &cb.codebook, cb.hash)
            };
            asm.map(|a| a.bytes)
                .map_err(|source| PipelineError::Assemble {
                    file: name.to_string(),
                    source,
                })
        })
        .collect::<Result<_, _>>()?;
    let reports = parts
        .iter()
        .zip(&streams)
        .enumerate()
        .map(|(i, (cp, b))| StreamReport {
            controller: i,
            qubits: (
                cp.entry.qubits.first().copied().unwrap_or(0),
                cp.entry.qubits.last().copied().unwrap_or(0),
            ),
            ports: cp.entry.ports.len(),
            imports: cp.entry.imports.len(),
            exports: cp.entry.exports.len(),
            text_ops: cp.own_ops,
            waits: cp.waits,
            bytes: b.len(),
        })
        .collect();
    let file = Streams {
        qubit_count: s.text.num_qubits,
        clbit_count: s.text.num_clbits,
        controllers: parts.into_iter().map(|cp| cp.entry).zip(streams).collect(),
    };
    let bytes = file.to_bytes().map_err(|e| PipelineError::Controllers {
        file: name.to_string(),
        message: e.to_string(),
    })?;
    let value = match split {
        Split::QubitsPerController(k) | Split::Controllers(k) => k,
    };
    Ok(ControllersAssembly {
        report: ControllersReport {
            file: name.to_string(),
            target: target.kind.name(),
            qubits: s.text.num_qubits,
            loops,
            split: format!("{} {value}", split.option()),
            streams: reports,
            file_bytes: bytes.len(),
        },
        bytes,
    })
}

/// Parse a multi-stream file (named `name`).
///
/// # Errors
/// [`PipelineError::Decode`] with the container's typed error.
pub fn parse_streams(bytes: &[u8], name: &str) -> Result<Streams, PipelineError> {
    Streams::parse(bytes).map_err(|e| PipelineError::Decode {
        file: name.to_string(),
        message: format!("multi-stream file: {e}"),
    })
}

/// Calls `f` with the text index of every instruction in the order a decoder releases them
/// (loops unrolled; each `while` once).
fn text_order(c: &Control, from: usize, to: usize, f: &mut dyn FnMut(u64)) {
    let nodes = c.nodes();
    let mut i = from;
    while i < to {
        let Some(n) = nodes.get(i) else { break };
        match n.kind {
            NodeKind::Ops(k) => {
                for t in n.text_start..n.text_start + k {
                    f(t);
                }
                i += 1;
            }
            NodeKind::Repeat { count, .. } => {
                for _ in 0..count {
                    text_order(c, i + 1, n.end as usize, f);
                }
                i = n.end as usize;
            }
            NodeKind::While { .. } => {
                text_order(c, i + 1, n.end as usize, f);
                i = n.end as usize;
            }
        }
    }
}

/// Decode every stream of `file` with its own decoder and merge them into the global program's
/// instructions, ordered by start time (ties: controller, then stream order): each operation
/// once, on global qubits, with its global start. Dropped: the waits the partition inserted, and
/// the partner's half of a cross-controller gate (the one whose first qubit is a port); a
/// barrier cut across controllers is joined again (the parts that start at the same time).
///
/// # Errors
/// A stream its decoder refuses (named `name` and `controller I`), or a program that runs more
/// than [`MAX_MERGED_OPS`] instructions in all (the merge holds them: decode such a program
/// per controller).
pub fn decode_merged(
    file: &Streams,
    name: &str,
    cb: &LoadedCodebook,
) -> Result<Vec<DecodedInstr>, PipelineError> {
    let mut runs = 0u128;
    for (c, (_, bytes)) in file.controllers.iter().enumerate() {
        let ops = match control_of(bytes) {
            Ok(Some(ctl)) => ctl.executed(1),
            Ok(None) => 0,
            Err(e) => return Err(decode_error(e, &format!("{name} (controller {c})"), cb)),
        };
        runs = runs.saturating_add(ops);
    }
    if runs > u128::from(MAX_MERGED_OPS) {
        return Err(PipelineError::Controllers {
            file: name.to_string(),
            message: format!(
                "its streams run {runs} instructions in all, more than the {MAX_MERGED_OPS} a merge holds in memory: decode one controller at a time with --controller I -o OUT.eqb"
            ),
        });
    }
    let decoded: Vec<Vec<(DecodedInstr, usize)>> = file
        .controllers
        .par_iter()
        .enumerate()
        .map(|(c, (entry, bytes))| {
            let sname = format!("{name} (controller {c})");
            let d = decode_all(bytes, &cb.codebook.priors, cb.hash)
                .map_err(|e| decode_error(e, &sname, cb))?;
            let control = control_of(bytes).map_err(|e| decode_error(e, &sname, cb))?;
            let own = entry.qubits.len() as u32;
            let global = |q: u32| {
                if q < own {
                    entry.qubits.get(q as usize).copied()
                } else {
                    entry.ports.get((q - own) as usize).copied()
                }
            };
            // The text index of each released instruction.
            let mut texts = Vec::with_capacity(d.instrs.len());
            match &control {
                Some(ctl) => text_order(ctl, 0, ctl.nodes().len(), &mut |t| texts.push(t)),
                None => texts.extend(0..d.instrs.len() as u64),
            }
            let mut out = Vec::new();
            for (k, (mut ins, t)) in d.instrs.into_iter().zip(texts).enumerate() {
                if ins.opcode == Opcode::Delay && entry.kept_delays.binary_search(&t).is_err() {
                    continue;
                }
                if ins.qubits.first().is_some_and(|&q| q >= own) {
                    continue;
                }
                let mut qs = Vec::with_capacity(ins.qubits.len());
                for &q in &ins.qubits {
                    qs.push(global(q).ok_or_else(|| PipelineError::Decode {
                        file: sname.clone(),
                        message: "an instruction on a qubit the table does not map".into(),
                    })?);
                }
                ins.qubits = qs;
                out.push((ins, c * (1 << 40) + k));
            }
            Ok(out)
        })
        .collect::<Result<_, PipelineError>>()?;
    let mut all: Vec<(DecodedInstr, usize)> = decoded.into_iter().flatten().collect();
    all.sort_by(|a, b| a.0.start_ns.total_cmp(&b.0.start_ns).then(a.1.cmp(&b.1)));
    Ok(join_barriers(all.into_iter().map(|(d, _)| d).collect()))
}

/// Most instructions (waits included, loops unrolled) [`decode_merged`] holds in memory.
pub const MAX_MERGED_OPS: u64 = 1 << 25;

/// Barriers that start at the same time are one barrier on the union of their qubits (sorted).
#[must_use]
pub fn join_barriers(instrs: Vec<DecodedInstr>) -> Vec<DecodedInstr> {
    let mut out: Vec<DecodedInstr> = Vec::with_capacity(instrs.len());
    let mut open: Option<usize> = None;
    for ins in instrs {
        if ins.opcode == Opcode::Barrier {
            if let Some(i) = open
                && let Some(prev) = out.get_mut(i)
                && prev.start_ns.to_bits() == ins.start_ns.to_bits()
            {
                prev.qubits.extend_from_slice(&ins.qubits);
                prev.qubits.sort_unstable();
                continue;
            }
            let mut ins = ins;
            ins.qubits.sort_unstable();
            open = Some(out.len());
            out.push(ins);
        } else {
            if open.is_some_and(|i| out.get(i).is_some_and(|p| p.start_ns < ins.start_ns)) {
                open = None;
            }
            out.push(ins);
        }
    }
    out
}

fn control_of(bytes: &[u8]) -> Result<Option<Control>, IsaError> {
    let c = eqisa_isa::Container::parse(bytes)?;
    let total = c
        .section(eqisa_isa::SectionKind::Program)
        .map(|s| {
            eqisa_isa::stream::ProgramInfo::parse(
                &s.payload,
                c.header.target,
                c.header.qubit_count,
                c.header.clbit_count,
            )
        })
        .transpose()?;
    match (c.section(eqisa_isa::SectionKind::Control), total) {
        (Some(s), Some(info)) => Ok(Some(Control::parse(
            &s.payload,
            info.total_ops,
            info.params.num_conditions,
        )?)),
        _ => Ok(None),
    }
}

/// The merged program as a [`NativeProgram`] on one register `q` of the whole program's qubits
/// (classical registers and conditions as the streams declare them).
///
/// # Errors
/// When a stream's sections do not rebuild.
pub fn merged_program(
    file: &Streams,
    instrs: &[DecodedInstr],
    name: &str,
    cb: &LoadedCodebook,
) -> Result<NativeProgram, PipelineError> {
    let first = file
        .controllers
        .first()
        .map(|(_, b)| b.as_slice())
        .unwrap_or(&[]);
    let d =
        decode_all(first, &cb.codebook.priors, cb.hash).map_err(|e| decode_error(e, name, cb))?;
    let mut p = rebuild(
        d.header.target,
        file.qubit_count,
        file.clbit_count,
        &d.info,
        &d.metadata,
        instrs.iter().map(|i| Decoded {
            opcode: i.opcode,
            qubits: &i.qubits,
            cond: i.cond,
            arg: i.arg,
            start_ns: i.start_ns,
            duration_ns: i.duration_ns,
        }),
    )
    .map_err(|source| PipelineError::Assemble {
        file: name.to_string(),
        source,
    })?;
    p.qregs = vec![Register {
        name: "q".to_string(),
        start: 0,
        size: file.qubit_count,
    }];
    Ok(p)
}

/// One controller's run.
#[derive(Clone, Debug, Serialize)]
pub struct ControllerRun {
    /// Its index.
    pub controller: usize,
    /// Its stream's bytes.
    pub bytes: usize,
    /// What its simulation found.
    #[serde(flatten)]
    pub sim: FirmwareReport,
    /// Its energy, J.
    pub energy_j: f64,
    /// Its wall-plug energy, J.
    pub wall_plug_j: f64,
}

/// The whole system's figures.
#[derive(Clone, Debug, Serialize)]
pub struct SystemRun {
    /// Controllers.
    pub controllers: usize,
    /// Link rate each controller was given, Gb/s (the total over N).
    pub link_gbps_each: f64,
    /// Underruns over all controllers.
    pub underruns: u64,
    /// Largest peak FIFO of any controller, bits.
    pub peak_fifo_bits_max: u64,
    /// The lowest link rate any one controller needs (the largest of their minima), Gb/s;
    /// `null` when some controller underruns at any rate.
    pub min_link_gbps_each: Option<f64>,
    /// The total link rate when every controller gets that same share: N × the above.
    pub min_link_gbps_total: Option<f64>,
    /// The total when each controller's link is sized to its own need (the sum of minima).
    pub min_link_gbps_sum: Option<f64>,
    /// The latest first output of any controller, ns.
    pub latency_ns: Option<f64>,
    /// End of the latest schedule, ns.
    pub schedule_ns: f64,
    /// Energy over all controllers, J.
    pub energy_j: f64,
    /// Wall-plug energy over all controllers, J.
    pub wall_plug_j: f64,
}

/// N controllers' runs and the whole.
#[derive(Clone, Debug, Serialize)]
pub struct ControllersRun {
    /// The file's name.
    pub file: String,
    /// The whole system.
    pub system: SystemRun,
    /// Per controller.
    pub per_controller: Vec<ControllerRun>,
}

/// Simulate each controller of `file` on its own modelled controller: the link of `params`
/// split evenly (each gets `link_gbps / N`), its own FIFO, decoder core (the real decoder on
/// its stream) and DACs; costed with `model`.
///
/// # Errors
/// As [`run_firmware`] for any stream.
pub fn simulate_controllers(
    file: &Streams,
    name: &str,
    cb: &LoadedCodebook,
    params: &FirmwareParams,
    model: &EnergyModel,
) -> Result<ControllersRun, PipelineError> {
    let n = file.controllers.len();
    let each = FirmwareParams {
        link_gbps: params.link_gbps / n as f64,
        ..params.clone()
    };
    let per: Vec<ControllerRun> = file
        .controllers
        .par_iter()
        .enumerate()
        .map(|(c, (_, bytes))| {
            let run = run_firmware(bytes, &format!("{name} (controller {c})"), cb, &each, model)?;
            Ok(ControllerRun {
                controller: c,
                bytes: bytes.len(),
                energy_j: run.energy.total_energy_j,
                wall_plug_j: run.energy.wall_plug_j,
                sim: run.sim,
            })
        })
        .collect::<Result<_, PipelineError>>()?;
    let mins: Option<Vec<f64>> = per.iter().map(|r| r.sim.min_link_gbps).collect();
    let max_min = mins.as_ref().map(|m| m.iter().copied().fold(0.0, f64::max));
    let system = SystemRun {
        controllers: n,
        link_gbps_each: each.link_gbps,
        underruns: per.iter().map(|r| r.sim.underruns).sum(),
        peak_fifo_bits_max: per.iter().map(|r| r.sim.peak_fifo_bits).max().unwrap_or(0),
        min_link_gbps_each: max_min,
        min_link_gbps_total: max_min.map(|m| m * n as f64),
        min_link_gbps_sum: mins.map(|m| m.iter().sum()),
        latency_ns: per.iter().filter_map(|r| r.sim.latency_ns).reduce(f64::max),
        schedule_ns: per.iter().map(|r| r.sim.schedule_ns).fold(0.0, f64::max),
        energy_j: per.iter().map(|r| r.energy_j).sum(),
        wall_plug_j: per.iter().map(|r| r.wall_plug_j).sum(),
    };
    Ok(ControllersRun {
        file: name.to_string(),
        system,
        per_controller: per,
    })
}

/// The fewest controllers (and so the largest K = ⌈qubits / N⌉ qubits each, in balanced
/// contiguous ranges) at which `s` plays with zero underruns on controllers of `params` (their
/// clock; each controller's link taken as fast as it needs, so only the decoder core can fall
/// behind): N doubles from 1 until none underruns, then a bisection finds the smallest N (taking
/// underruns to grow with K). Returns `(K, N, run)`; `None` when even one qubit per controller
/// underruns.
///
/// # Errors
/// As [`assemble_controllers`] and [`simulate_controllers`].
pub fn controllers_needed(
    s: &Structured,
    loops: bool,
    target: &TargetDesc,
    name: &str,
    cb: &LoadedCodebook,
    params: &FirmwareParams,
    model: &EnergyModel,
) -> Result<Option<(u64, usize, ControllersRun)>, PipelineError> {
    let qubits = u64::from(s.text.num_qubits.max(1));
    // Zero underruns at N controllers: `Some(run)`; underruns, or a controller left idle: `None`.
    let try_n = |n: u64| -> Result<Option<ControllersRun>, PipelineError> {
        let asm = match assemble_controllers(s, loops, target, name, Split::Controllers(n), cb) {
            Ok(a) => a,
            Err(PipelineError::Controllers { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let file = parse_streams(&asm.bytes, name)?;
        let fast = FirmwareParams {
            link_gbps: 1000.0 * file.controllers.len() as f64,
            ..params.clone()
        };
        let run = simulate_controllers(&file, name, cb, &fast, model)?;
        Ok((run.system.underruns == 0).then_some(run))
    };
    let mut bad = 0u64;
    let mut n = 1u64;
    let mut best = loop {
        if let Some(run) = try_n(n)? {
            break (n, run);
        }
        if n >= qubits {
            return Ok(None);
        }
        bad = n;
        n = (n * 2).min(qubits);
    };
    while best.0 - bad > 1 {
        let mid = bad + (best.0 - bad) / 2;
        match try_n(mid)? {
            Some(run) => best = (mid, run),
            None => bad = mid,
        }
    }
    let (n, run) = best;
    Ok(Some((qubits.div_ceil(n), n as usize, run)))
}

/// How many controllers of a clock one circuit needs (`eqisa report`'s `controllers`).
#[derive(Clone, Debug, Serialize)]
pub struct NeededRow {
    /// The circuit.
    pub file: String,
    /// Its qubits.
    pub qubits: u32,
    /// Whether its loops were kept.
    pub loops: bool,
    /// The largest K (qubits per controller) with zero underruns: ⌈qubits / N⌉.
    pub qubits_per_controller: Option<u64>,
    /// The controllers that K takes.
    pub controllers: Option<usize>,
    /// The link rate each of them needs then, Gb/s (the largest of their minima).
    pub min_link_gbps_each: Option<f64>,
}

/// For each of `files`: the fewest controllers of `params`' clock (balanced contiguous qubit
/// ranges) that play it with zero underruns, each link as fast as it needs
/// ([`controllers_needed`]). A file's skipped calibrations are said through `progress`.
///
/// # Errors
/// When a file cannot be read or lowered, or as [`controllers_needed`].
pub fn needed(
    files: &[PathBuf],
    opts: &AssembleOptions,
    cb: &LoadedCodebook,
    params: &FirmwareParams,
    model: &EnergyModel,
    progress: &dyn ReportProgress,
) -> Result<Vec<NeededRow>, PipelineError> {
    let mut rows = Vec::new();
    for file in files {
        let source = load_source(file)?;
        if let Some(note) = calibration_note(file, &source) {
            progress.note(&note);
        }
        let name = file.display().to_string();
        let (s, target, loops) = lower_program(source.parsed, file, &[], opts, false)?;
        let found = controllers_needed(&s, loops, &target, &name, cb, params, model)?;
        rows.push(NeededRow {
            file: name,
            qubits: s.text.num_qubits,
            loops,
            qubits_per_controller: found.as_ref().map(|f| f.0),
            controllers: found.as_ref().map(|f| f.1),
            min_link_gbps_each: found.and_then(|f| f.2.system.min_link_gbps_each),
        });
    }
    Ok(rows)
}

/// [`PartitionError`] as the pipeline reports it.
#[must_use]
pub fn split_error(name: &str, e: PartitionError) -> PipelineError {
    partition_error(name, e)
}
