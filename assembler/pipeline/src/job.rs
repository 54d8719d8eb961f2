//! Jobs: many circuits coded as one program ([`eqisa_assembler::job`]), measured against the
//! baselines over the concatenation of the circuits' binary streams, and decoded back into one
//! program per circuit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use eqisa_assembler::Structured;
use eqisa_assembler::job::{AssembledJob, JobLayouts, JobPart, JobProgram, assemble_job};
use eqisa_assembler::layout::Layout;
use eqisa_assembler::rebuild::native_op;
use eqisa_baselines::{binary, compress};
use eqisa_decoder::{DecodedInstr, Decoder, Fed, feed_chunks};
use eqisa_isa::control::ControlBuilder;
use eqisa_isa::job::{CircuitSize, JobEntry, JobTable};
use eqisa_lower::program::{NativeProgram, QasmWriter, TimedOp};
use eqisa_lower::target::{TargetDesc, TargetKind};
use serde::Serialize;
use smallvec::SmallVec;

use crate::assemble::{
    AssembleOptions, AssemblyReport, BASELINE_MAX_OPS, Lowered, assemble_source,
};
use crate::codebook::{LoadedCodebook, short_hash};
use crate::decode::decode_error;
use crate::error::PipelineError;
use crate::measure::Bits;

/// A job as assembled: its file and figures.
pub struct JobAssembly {
    /// The `.eqb` file's bytes.
    pub bytes: Vec<u8>,
    /// The target its circuits were lowered to.
    pub target: TargetDesc,
    /// The figures (what `eqisa assemble --json` prints for a job).
    pub report: JobReport,
}

/// The figures of a job.
#[derive(Clone, Debug, Serialize)]
pub struct JobReport {
    /// Circuits in the job.
    pub circuits: usize,
    /// `native` or `clifford+t`.
    pub target: &'static str,
    /// Native operations the job runs, in all.
    pub native_ops: u64,
    /// The worst circuit's fidelity bound.
    pub fidelity_bound: f64,
    /// The job's angle grid (the finest any circuit needs).
    pub angle_bits: u8,
    /// The codebook's serialised size.
    pub codebook_bytes: usize,
    /// The codebook's id (hex).
    pub codebook_hash: String,
    /// Bits of the whole job per encoding: `eqisa` is the job's file; the compressors run over
    /// the concatenation of the circuits' binary streams, `binary` and the paper's pipeline
    /// add up over circuits (null when a circuit has none).
    pub bits: Bits,
    /// The circuits' own `.eqb` files, each assembled alone, in all.
    pub alone_bits: u64,
    /// Bytes per part of the job's file.
    pub sections: JobSections,
    /// The job section's bits per circuit: what a circuit costs beyond its operations.
    pub framing_bits_per_circuit: f64,
    /// The names' bits per circuit (metadata, for `decode --output-dir`).
    pub name_bits_per_circuit: f64,
    /// Each circuit, as assembled alone (empty for a sweep, whose points are all alike).
    pub per_circuit: Vec<JobCircuitReport>,
    /// For a parameter sweep (`--inputs`): how its points were coded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepReport>,
}

/// How a parameter sweep was coded.
#[derive(Clone, Debug, Serialize)]
pub struct SweepReport {
    /// The table of values.
    pub inputs_file: String,
    /// The inputs swept, in the program's declaration order.
    pub inputs: Vec<String>,
    /// Points (rows of the table).
    pub points: usize,
    /// Whether the points were coded as one template and a sweep table (else each point is a
    /// circuit of the job: their shapes differ, or their angles are exact).
    pub template: bool,
    /// Bytes of the sweep section's payload (0 without a template).
    pub table_bytes: usize,
    /// Rz angles that vary across points.
    pub varying_angles: usize,
    /// Bits of the first point assembled alone.
    pub one_point_bits: u64,
    /// The job's bits over one point's.
    pub ratio_to_one_point: f64,
}

/// Bytes per part of a job's file.
#[derive(Clone, Debug, Serialize)]
pub struct JobSections {
    /// Header, section headers and checksums.
    pub header_and_framing: usize,
    /// The program section.
    pub program: usize,
    /// The job section.
    pub job: usize,
    /// The metadata section (layouts and names).
    pub metadata: usize,
    /// The names within the metadata.
    pub names: usize,
    /// Distinct register layouts.
    pub layouts: usize,
    /// The control section (the loops of circuits that keep them; 0 without).
    pub control: usize,
    /// The instruction section.
    pub instructions: usize,
    /// Instruction blocks.
    pub blocks: u64,
}

impl JobSections {
    /// The parts of a job's file of `file_len` bytes, assembled as `job`, with a sweep section
    /// of `sweep_bytes` added (0 without one).
    fn of(job: &AssembledJob, file_len: usize, sweep_bytes: usize) -> JobSections {
        JobSections {
            header_and_framing: file_len
                - job.program_bytes
                - job.job_bytes
                - job.metadata_bytes
                - job.control_bytes
                - job.instruction_bytes
                - sweep_bytes,
            program: job.program_bytes,
            job: job.job_bytes,
            metadata: job.metadata_bytes,
            names: job.names_bytes,
            layouts: job.layouts,
            control: job.control_bytes,
            instructions: job.instruction_bytes,
            blocks: job.blocks,
        }
    }
}

/// One circuit of a job.
#[derive(Clone, Debug, Serialize)]
pub struct JobCircuitReport {
    /// Its name in the job (its file's stem).
    pub name: String,
    /// Its figures when assembled alone.
    #[serde(flatten)]
    pub alone: AssemblyReport,
}

/// The names of a job's circuits: each file's stem.
///
/// # Errors
/// [`PipelineError::Job`] for an empty job, a file without a stem, or two files with the same
/// stem (their decoded outputs would overwrite each other).
pub fn job_names(files: &[PathBuf]) -> Result<Vec<String>, PipelineError> {
    if files.is_empty() {
        return Err(PipelineError::Job {
            file: String::new(),
            message: "a job needs at least one circuit".into(),
        });
    }
    let mut seen: BTreeMap<String, &Path> = BTreeMap::new();
    let mut names = Vec::with_capacity(files.len());
    for f in files {
        let stem = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty() && f.as_os_str() != "-")
            .ok_or_else(|| PipelineError::Job {
                file: f.display().to_string(),
                message: "a job's circuits are files (standard input has no name)".into(),
            })?;
        if let Some(first) = seen.insert(stem.clone(), f) {
            return Err(PipelineError::Job {
                file: f.display().to_string(),
                message: format!(
                    "has the stem '{stem}' of {}: a job's circuits decode to files named by stem, so stems must differ",
                    first.display()
                ),
            });
        }
        names.push(stem);
    }
    Ok(names)
}

/// Assemble `files` as one job with `cb`: each circuit lowered (keeping its loops unless `flat`)
/// and measured alone, then all coded together. `progress` is called after each circuit.
///
/// # Errors
/// As [`job_names`]; when a circuit does not load, lower or assemble (naming its file); for
/// `--pulses` (a job carries no pulse section); when the circuits do not go together (mixed
/// targets, different durations: [`PipelineError::Assemble`] naming the circuit).
pub fn assemble_files(
    files: &[PathBuf],
    inputs: &[(String, String)],
    cb: &LoadedCodebook,
    opts: &AssembleOptions,
    flat: bool,
    progress: impl FnMut(usize),
) -> Result<JobAssembly, PipelineError> {
    assemble_sources(
        files,
        crate::input::load_source,
        inputs,
        cb,
        opts,
        flat,
        progress,
    )
}

/// [`assemble_files`] of circuits whose sources `load` gives, each named by its entry of
/// `files` (a file's name, or any name whose stem names the circuit): how a front end codes
/// circuits it holds in memory as a job.
///
/// # Errors
/// As [`assemble_files`], and as `load`.
pub fn assemble_sources(
    files: &[PathBuf],
    mut load: impl FnMut(&Path) -> Result<crate::input::Source, PipelineError>,
    inputs: &[(String, String)],
    cb: &LoadedCodebook,
    opts: &AssembleOptions,
    flat: bool,
    mut progress: impl FnMut(usize),
) -> Result<JobAssembly, PipelineError> {
    let names = job_names(files)?;
    if opts.pulses.is_some() {
        return Err(PipelineError::Job {
            file: files[0].display().to_string(),
            message: "--pulses is not built for jobs: a job carries no pulse section; assemble each circuit with --pulses on its own".into(),
        });
    }
    let mut alone = Vec::with_capacity(files.len());
    let mut used = vec![false; inputs.len()];
    for (i, f) in files.iter().enumerate() {
        let source = load(f)?;
        // Each circuit takes the inputs it declares; every input must be someone's.
        let declared = declared_inputs(&source.parsed);
        let mine: Vec<(String, String)> = inputs
            .iter()
            .zip(&mut used)
            .filter(|((n, _), _)| declared.contains(n))
            .map(|(given, used)| {
                *used = true;
                given.clone()
            })
            .collect();
        alone.push(assemble_source(source, f, &mine, cb, opts, flat)?);
        progress(i + 1);
    }
    if let Some(((n, _), _)) = inputs.iter().zip(&used).find(|(_, u)| !**u) {
        return Err(PipelineError::Job {
            file: String::new(),
            message: format!("--input {n}: no circuit of the job declares an input '{n}'"),
        });
    }
    let target = alone[0].target.clone();
    for (a, f) in alone.iter().zip(files) {
        if a.target.kind != target.kind {
            return Err(PipelineError::Job {
                file: f.display().to_string(),
                message: format!(
                    "is lowered for {}, {} for {}: a job holds one target",
                    a.target.kind.name(),
                    files[0].display(),
                    target.kind.name()
                ),
            });
        }
    }
    let lowered: Vec<&Lowered> = alone
        .iter()
        .zip(files)
        .map(|(a, f)| {
            a.lowered.as_ref().ok_or_else(|| PipelineError::Job {
                file: f.display().to_string(),
                message: "was assembled without its lowered program".into(),
            })
        })
        .collect::<Result<_, _>>()?;
    let parts: Vec<JobPart<'_>> = lowered
        .iter()
        .zip(&names)
        .map(|(l, name)| JobPart {
            name: name.clone(),
            program: match l {
                Lowered::Flat(p) => JobProgram::Flat(p),
                Lowered::Looped(s) => JobProgram::Looped(s),
            },
        })
        .collect();
    let job = assemble_job(&parts, &target, &cb.codebook, cb.hash).map_err(|source| {
        PipelineError::Assemble {
            file: "the job".into(),
            source,
        }
    })?;
    crate::assemble::check_decodable("the job", header_qubits(&parts), &job.bytes)?;
    let bits = if opts.no_baselines {
        eqisa_only(job.bytes.len())
    } else {
        job_baselines(&lowered, &target, job.angle_bits, job.bytes.len(), &alone)?
    };
    let n = files.len();
    let reports: Vec<AssemblyReport> = alone.into_iter().map(|a| a.report).collect();
    let report = JobReport {
        circuits: n,
        target: target.kind.name(),
        native_ops: reports.iter().map(|r| r.native_ops).sum(),
        fidelity_bound: reports.iter().map(|r| r.fidelity_bound).fold(1.0, f64::min),
        angle_bits: job.angle_bits,
        codebook_bytes: cb.bytes,
        codebook_hash: short_hash(&cb.hash),
        bits,
        alone_bits: reports.iter().map(|r| r.bits.eqisa).sum(),
        sections: JobSections::of(&job, job.bytes.len(), 0),
        framing_bits_per_circuit: job.job_bytes as f64 * 8.0 / n as f64,
        name_bits_per_circuit: job.names_bytes as f64 * 8.0 / n as f64,
        per_circuit: names
            .into_iter()
            .zip(reports)
            .map(|(name, alone)| JobCircuitReport { name, alone })
            .collect(),
        sweep: None,
    };
    Ok(JobAssembly {
        bytes: job.bytes,
        target,
        report,
    })
}

/// A job's bits with no baseline measured.
fn eqisa_only(bytes: usize) -> Bits {
    Bits::eqisa_bits(bytes as u64 * 8)
}

/// Names of the `input` variables `parsed` declares (none for OpenQASM 2).
fn declared_inputs(parsed: &eqisa_qasm::Parsed) -> Vec<String> {
    match parsed {
        eqisa_qasm::Parsed::Structured(p) => p
            .vars
            .iter()
            .filter(|v| v.kind == eqisa_ir::program::stmt::VarKind::Input)
            .map(|v| v.name.clone())
            .collect(),
        eqisa_qasm::Parsed::Flat(_) => Vec::new(),
    }
}

fn header_qubits(parts: &[JobPart<'_>]) -> u32 {
    parts
        .iter()
        .map(|p| p.program.text().num_qubits)
        .max()
        .unwrap_or(0)
}

/// The job's baselines: the compressors over the concatenation of the circuits' binary streams
/// (packed and byte-aligned, the smaller kept, as for one circuit), the rest added up.
fn job_baselines(
    lowered: &[&Lowered],
    target: &TargetDesc,
    angle_bits: u8,
    job_bytes: usize,
    alone: &[crate::assemble::Assembly],
) -> Result<Bits, PipelineError> {
    let mut programs = Vec::with_capacity(lowered.len());
    for l in lowered {
        match l {
            Lowered::Flat(p) => programs.push(std::borrow::Cow::Borrowed(p)),
            Lowered::Looped(s) => match s.unrolled(BASELINE_MAX_OPS) {
                Some(p) => programs.push(std::borrow::Cow::Owned(p)),
                None => return Ok(eqisa_only(job_bytes)),
            },
        }
    }
    let sum = |f: fn(&Bits) -> Option<u64>| -> Option<u64> {
        alone.iter().map(|a| f(&a.report.bits)).sum()
    };
    Ok(Bits {
        paper_huffman: sum(|b| b.paper_huffman),
        paper_huffman_bzip2: sum(|b| b.paper_huffman_bzip2),
        ..concatenated_baselines(&programs, target, angle_bits, job_bytes)?
    })
}

/// The baselines over the concatenation of `programs`' binary streams; the paper's pipeline
/// unmeasured.
fn concatenated_baselines(
    programs: &[std::borrow::Cow<'_, NativeProgram>],
    target: &TargetDesc,
    angle_bits: u8,
    job_bytes: usize,
) -> Result<Bits, PipelineError> {
    let mut packed = Vec::new();
    let mut aligned = Vec::new();
    let (mut bits, mut opcodes) = (0u64, 0u64);
    for p in programs {
        let b = binary::binary_stream(p, p.angle_bits, target.dt_ns);
        bits += b.bits;
        packed.extend(b.bytes);
        aligned.extend(binary::binary_stream_aligned(p, p.angle_bits, target.dt_ns).bytes);
        opcodes += binary::binary_opcode_bits(p);
    }
    let a = compress::general_purpose(&packed)?;
    let b = compress::general_purpose(&aligned)?;
    let mut all = programs
        .first()
        .map(|p| p.clone().into_owned())
        .ok_or_else(|| PipelineError::Job {
            file: String::new(),
            message: "a job needs at least one circuit".into(),
        })?;
    all.ops = programs
        .iter()
        .flat_map(|p| p.ops.iter().cloned())
        .collect();
    all.angle_bits = angle_bits;
    Ok(Bits {
        eqisa: job_bytes as u64 * 8,
        binary_opcodes: Some(opcodes),
        binary: Some(bits),
        bzip2: Some(a.bzip2.min(b.bzip2)),
        xz: Some(a.xz.min(b.xz)),
        zstd: Some(a.zstd.min(b.zstd)),
        entropy_order0: Some(binary::entropy_order0(&all, angle_bits)),
        stim_text_xz: None,
        paper_huffman: None,
        paper_huffman_bzip2: None,
    })
}

/// Assemble OpenQASM 3 program `file` swept over the rows of `inputs_file` (one point per row,
/// a column per `input`): when every point has the first one's shape, the first point is coded
/// as the job's one circuit and the others as the values of a sweep table
/// ([`eqisa_assembler::sweep`]); otherwise each point is a circuit. Points are named
/// `STEM_0`, `STEM_1`, ... (zero-padded to the widest index).
///
/// # Errors
/// When the program is not OpenQASM 3 with inputs, the table does not fit it (naming the row
/// and column), a point does not lower, or `--pulses` is asked for.
pub fn assemble_sweep(
    file: &Path,
    inputs_file: &Path,
    cb: &LoadedCodebook,
    opts: &AssembleOptions,
) -> Result<JobAssembly, PipelineError> {
    let name = file.display().to_string();
    if opts.pulses.is_some() {
        return Err(PipelineError::Job {
            file: name,
            message: "--pulses is not built for sweeps: a job carries no pulse section".into(),
        });
    }
    let stem = job_names(&[file.to_path_buf()])?.remove(0);
    let source = crate::input::load_source(file)?;
    let eqisa_qasm::Parsed::Structured(program) = &source.parsed else {
        return Err(PipelineError::Job {
            file: name,
            message: "--inputs sweeps an OpenQASM 3 program's `input` variables; this program declares none".into(),
        });
    };
    let table = crate::sweep::read_sweep(inputs_file)?;
    let lowered = crate::sweep::lower_sweep(program, &name, &table, &opts.lowering)?;
    let target = lowered.target.clone();
    let width = (lowered.points.len() - 1).to_string().len();
    let point_name = |i: usize| format!("{stem}_{i:0width$}");
    let fail = |source| PipelineError::Assemble {
        file: name.clone(),
        source,
    };
    let plan =
        eqisa_assembler::sweep::plan_sweep(&lowered.points, &lowered.values).map_err(fail)?;
    let one = eqisa_assembler::assemble(&lowered.points[0], &target, &cb.codebook, cb.hash)
        .map_err(fail)?;
    let (bytes, job, table_bytes, varying) = match &plan {
        Some(plan) => {
            let parts = [JobPart {
                name: stem.clone(),
                program: JobProgram::Flat(&plan.template),
            }];
            let job = assemble_job(&parts, &target, &cb.codebook, cb.hash).map_err(fail)?;
            let payload = plan.table.to_bytes();
            let n = payload.len();
            let mut container = eqisa_isa::Container::parse(&job.bytes)
                .map_err(|e| fail(eqisa_assembler::AssembleError::Isa(e)))?;
            container.sections.push(eqisa_isa::container::Section {
                kind: eqisa_isa::SectionKind::Sweep,
                payload,
            });
            let bytes = container
                .to_bytes()
                .map_err(|e| fail(eqisa_assembler::AssembleError::Isa(e)))?;
            (bytes, job, n, plan.table.slots.len())
        }
        None => {
            let parts: Vec<JobPart<'_>> = lowered
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| JobPart {
                    name: point_name(i),
                    program: JobProgram::Flat(p),
                })
                .collect();
            let job = assemble_job(&parts, &target, &cb.codebook, cb.hash).map_err(fail)?;
            (job.bytes.clone(), job, 0, 0)
        }
    };
    crate::assemble::check_decodable(&name, lowered.points[0].num_qubits, &bytes)?;
    let programs: Vec<std::borrow::Cow<'_, NativeProgram>> = lowered
        .points
        .iter()
        .map(std::borrow::Cow::Borrowed)
        .collect();
    let bits = if opts.no_baselines {
        eqisa_only(bytes.len())
    } else {
        concatenated_baselines(&programs, &target, job.angle_bits, bytes.len())?
    };
    let mut alone_bits = 0u64;
    for p in &lowered.points {
        alone_bits += eqisa_assembler::assemble(p, &target, &cb.codebook, cb.hash)
            .map_err(fail)?
            .bytes
            .len() as u64
            * 8;
    }
    let n = lowered.points.len();
    let report = JobReport {
        circuits: n,
        target: target.kind.name(),
        native_ops: lowered.points.iter().map(|p| p.ops.len() as u64).sum(),
        fidelity_bound: lowered.fidelity_bounds.iter().copied().fold(1.0, f64::min),
        angle_bits: job.angle_bits,
        codebook_bytes: cb.bytes,
        codebook_hash: short_hash(&cb.hash),
        alone_bits,
        sections: JobSections::of(&job, bytes.len(), table_bytes),
        framing_bits_per_circuit: (job.job_bytes + table_bytes) as f64 * 8.0 / n as f64,
        name_bits_per_circuit: job.names_bytes as f64 * 8.0 / n as f64,
        per_circuit: Vec::new(),
        sweep: Some(SweepReport {
            inputs_file: inputs_file.display().to_string(),
            inputs: lowered.names.clone(),
            points: n,
            template: plan.is_some(),
            table_bytes,
            varying_angles: varying,
            one_point_bits: one.bytes.len() as u64 * 8,
            ratio_to_one_point: bits.eqisa as f64 / (one.bytes.len() as f64 * 8.0),
        }),
        bits,
    };
    Ok(JobAssembly {
        bytes,
        target,
        report,
    })
}

/// One circuit of a decoded job.
#[derive(Clone, Debug)]
pub struct DecodedCircuit {
    /// Its name in the job.
    pub name: String,
    /// Its program: flat, or with its loops.
    pub program: Lowered,
}

/// Whether `bytes` (a whole `.eqb`, or its first bytes) hold a job: a program with a job
/// section. Reads the section headers only.
#[must_use]
pub fn is_job(bytes: &[u8]) -> bool {
    eqisa_isa::Container::parse(bytes)
        .is_ok_and(|c| c.section(eqisa_isa::SectionKind::Job).is_some())
}

/// Whether `bytes` hold a parameter sweep (a job with a sweep section).
#[must_use]
pub fn is_sweep(bytes: &[u8]) -> bool {
    eqisa_isa::Container::parse(bytes)
        .is_ok_and(|c| c.section(eqisa_isa::SectionKind::Sweep).is_some())
}

/// Decode the job in `bytes` (named `name` in errors) with `cb` into its circuits, each timed
/// from its own start as when it was assembled alone.
///
/// # Errors
/// When the bytes are not a valid job for this codebook, or its metadata does not match its
/// job section.
pub fn decode_job(
    bytes: &[u8],
    name: &str,
    cb: &LoadedCodebook,
) -> Result<Vec<DecodedCircuit>, PipelineError> {
    decode_circuits(bytes, name, cb, None)
}

/// Decode the program of one circuit in `bytes` (not a job) as [`decode_job`] would, named
/// `stem`.
///
/// # Errors
/// As [`decode_job`].
pub fn decode_single(
    bytes: &[u8],
    name: &str,
    stem: &str,
    cb: &LoadedCodebook,
) -> Result<DecodedCircuit, PipelineError> {
    let mut v = decode_circuits(bytes, name, cb, Some(stem))?;
    v.pop().ok_or_else(|| PipelineError::Decode {
        file: name.to_string(),
        message: "no circuit".into(),
    })
}

/// The circuits of `bytes`: a job's, or (`single` naming it) one program's.
fn decode_circuits(
    bytes: &[u8],
    name: &str,
    cb: &LoadedCodebook,
    single: Option<&str>,
) -> Result<Vec<DecodedCircuit>, PipelineError> {
    let fail = |message: String| PipelineError::Decode {
        file: name.to_string(),
        message,
    };
    let mut dec = Decoder::new(&cb.codebook.priors, cb.hash).text_only();
    let mut rest = bytes;
    let mut decoded: Vec<DecodedInstr> = Vec::new();
    let fed = feed_chunks(&mut dec, &mut rest, usize::MAX, |t| {
        decoded.push(DecodedInstr::from(t));
        Ok::<(), eqisa_isa::IsaError>(())
    })
    .map_err(|e| decode_error(e, name, cb))?;
    if !matches!(fed, Fed::End) {
        dec.finish().map_err(|e| decode_error(e, name, cb))?;
        return Err(fail("decoder stalled".into()));
    }
    if !rest.is_empty() {
        return Err(decode_error(
            eqisa_isa::IsaError::TrailingBytes(rest.len()),
            name,
            cb,
        ));
    }
    let info = dec
        .info()
        .cloned()
        .ok_or_else(|| fail("no program section".into()))?;
    let header = dec
        .preamble()
        .map(|p| p.header.clone())
        .ok_or_else(|| fail("no header".into()))?;
    let (job, control, meta) = match (dec.job(), single) {
        (Some(job), None) => (
            job.clone(),
            dec.control()
                .cloned()
                .ok_or_else(|| fail("a job without its control tree".into()))?,
            JobLayouts::parse(dec.metadata().unwrap_or(&[])).map_err(|e| fail(e.to_string()))?,
        ),
        (None, Some(stem)) => {
            let layout =
                Layout::parse(dec.metadata().unwrap_or(&[])).map_err(|e| fail(e.to_string()))?;
            let (size, control) = match dec.control() {
                Some(c) => {
                    let mut top = 0u64;
                    let mut i = 0usize;
                    while let Some(n) = c.nodes().get(i) {
                        i = n.end as usize;
                        top += 1;
                    }
                    (CircuitSize::Looped(top), c.clone())
                }
                None => {
                    let mut b = ControlBuilder::new();
                    b.ops(info.total_ops)
                        .map_err(|e| decode_error(e, name, cb))?;
                    (
                        CircuitSize::Flat(info.total_ops),
                        b.finish().map_err(|e| decode_error(e, name, cb))?,
                    )
                }
            };
            let table = JobTable::new(vec![JobEntry { layout: 0, size }], 1)
                .map_err(|e| decode_error(e, name, cb))?;
            (
                table,
                control,
                JobLayouts {
                    layouts: vec![layout],
                    names: vec![stem.to_string()],
                },
            )
        }
        (Some(_), Some(_)) => return Err(fail("is a job, not one circuit".into())),
        (None, None) => {
            return Err(fail(
                "is not a job (it has no job section): decode it with -o".into(),
            ));
        }
    };
    if meta.layouts.len() != job.layouts() as usize || meta.names.len() != job.entries().len() {
        return Err(fail(
            "the metadata and job sections disagree on the circuits or their layouts".into(),
        ));
    }
    let text: Vec<TimedOp> = decoded
        .into_iter()
        .map(|d| TimedOp {
            op: native_op(d.opcode, d.arg, info.params.angle_bits),
            qubits: SmallVec::from_slice(&d.qubits),
            cond: d.cond,
            start_ns: d.start_ns,
            duration_ns: d.duration_ns,
        })
        .collect();
    let kind = match header.target {
        eqisa_isa::Target::Native => TargetKind::Native,
        eqisa_isa::Target::CliffordT => TargetKind::CliffordT,
    };
    // Conditions are numbered across the job: each layout's start in the list.
    let mut offsets = Vec::with_capacity(meta.layouts.len());
    let mut at = 0u32;
    for l in &meta.layouts {
        offsets.push(at);
        at += l.conditions.len() as u32;
    }
    let ranges = job
        .text_ranges(&control)
        .map_err(|e| decode_error(e, name, cb))?;
    let nodes = control.nodes();
    let mut node_at = 0usize;
    let mut out = Vec::with_capacity(ranges.len());
    for ((entry, (start, len)), circuit_name) in job.entries().iter().zip(&ranges).zip(&meta.names)
    {
        let layout = &meta.layouts[entry.layout as usize];
        let offset = offsets[entry.layout as usize];
        let slice = text
            .get(*start as usize..(*start + *len) as usize)
            .ok_or_else(|| fail("a circuit past the job's text".into()))?;
        let mut ops = Vec::with_capacity(slice.len());
        let num_qubits = layout
            .qregs
            .iter()
            .map(|r| r.start + r.size)
            .max()
            .unwrap_or(0);
        let num_clbits = layout
            .cregs
            .iter()
            .map(|r| r.start + r.size)
            .max()
            .unwrap_or(0);
        // Each node starts when everything before it has ended: its times are relative to that.
        let top = match entry.size {
            CircuitSize::Flat(_) => 1,
            CircuitSize::Looped(k) => k,
        };
        let mut builder = ControlBuilder::new();
        let first_node = node_at;
        for _ in 0..top {
            node_at = builder
                .subtree(nodes, node_at)
                .map_err(|e| decode_error(e, name, cb))?;
        }
        let mut origin = 0.0f64;
        let mut end = 0.0f64;
        for node in nodes.get(first_node..node_at).unwrap_or(&[]) {
            if let eqisa_isa::control::NodeKind::Ops(n) = node.kind {
                let from = node.text_start as usize;
                let node_ops = text.get(from..from + n as usize).unwrap_or(&[]);
                let node_start = node_ops
                    .iter()
                    .map(|o| o.start_ns)
                    .fold(f64::INFINITY, f64::min);
                if matches!(entry.size, CircuitSize::Flat(_)) {
                    origin = node_start;
                }
                for o in node_ops {
                    let mut o = o.clone();
                    if matches!(entry.size, CircuitSize::Looped(_)) {
                        o.start_ns -= node_start;
                    } else {
                        o.start_ns -= origin;
                    }
                    o.cond = o.cond.map(|c| c - offset);
                    end = end.max(o.start_ns + o.duration_ns);
                    ops.push(o);
                }
            }
        }
        let program = NativeProgram {
            target: kind,
            num_qubits,
            num_clbits,
            qregs: layout.qregs.clone(),
            cregs: layout.cregs.clone(),
            ops,
            conditions: layout.conditions.clone(),
            duration_ns: end,
            angle_bits: info.params.angle_bits,
        };
        let program = match entry.size {
            CircuitSize::Flat(_) => Lowered::Flat(program),
            CircuitSize::Looped(_) => Lowered::Looped(Structured {
                text: program,
                control: builder.finish().map_err(|e| decode_error(e, name, cb))?,
            }),
        };
        out.push(DecodedCircuit {
            name: circuit_name.clone(),
            program,
        });
    }
    let container = eqisa_isa::Container::parse(bytes).map_err(|e| decode_error(e, name, cb))?;
    match container.section(eqisa_isa::SectionKind::Sweep) {
        Some(section) => expand_sweep(out, &section.payload, name, cb),
        None => Ok(out),
    }
}

/// The points of a sweep: its job's one circuit, the template, with each point's angles.
fn expand_sweep(
    circuits: Vec<DecodedCircuit>,
    payload: &[u8],
    name: &str,
    cb: &LoadedCodebook,
) -> Result<Vec<DecodedCircuit>, PipelineError> {
    let fail = |message: String| PipelineError::Decode {
        file: name.to_string(),
        message,
    };
    let table =
        eqisa_isa::sweep::SweepTable::parse(payload).map_err(|e| decode_error(e, name, cb))?;
    let [template] = <[DecodedCircuit; 1]>::try_from(circuits)
        .map_err(|_| fail("a sweep over a job of more than one circuit".into()))?;
    let Lowered::Flat(mut program) = template.program else {
        return Err(fail("a sweep over a circuit with loops".into()));
    };
    // The template's angles lie on the table's grid, the finest of the points'.
    program.angle_bits = table.angle_bits;
    let points = eqisa_assembler::sweep::expand(&program, &table)
        .map_err(|e| fail(format!("sweep section: {e}")))?;
    let width = (points.len().max(1) - 1).to_string().len();
    Ok(points
        .into_iter()
        .enumerate()
        .map(|(i, p)| DecodedCircuit {
            name: format!("{}_{i:0width$}", template.name),
            program: Lowered::Flat(p),
        })
        .collect())
}

/// A decoded circuit as OpenQASM: flat ones as OpenQASM 2 (3 when their conditions need it),
/// those with loops as OpenQASM 3.
///
/// # Errors
/// When a program with loops has no OpenQASM 3 form (see [`Structured::to_qasm3`]).
pub fn circuit_qasm(c: &DecodedCircuit) -> Result<String, PipelineError> {
    match &c.program {
        Lowered::Flat(p) => {
            let writer = QasmWriter::qasm2(&p.qregs, &p.cregs, &p.conditions)
                .unwrap_or_else(|| QasmWriter::qasm3(&p.qregs, &p.cregs, &p.conditions));
            let ecr = p
                .ops
                .iter()
                .any(|o| o.op == eqisa_lower::program::NativeOp::Ecr);
            let mut s = String::new();
            writer.header(&mut s, ecr);
            for op in &p.ops {
                writer.op(&mut s, op);
            }
            Ok(s)
        }
        Lowered::Looped(s) => s.to_qasm3().map_err(|source| PipelineError::Assemble {
            file: c.name.clone(),
            source,
        }),
    }
}

/// The number of circuits of the job in `file`, read from its section headers and the start of
/// its job section (the rest of the file is skipped); `None` for a program that is not a job,
/// or a file too short or malformed to say (the decoder then says why).
///
/// # Errors
/// When the file cannot be opened or read.
pub fn job_circuits_in_file(file: &Path) -> std::io::Result<Option<u64>> {
    use eqisa_isa::container::{
        HEADER_LEN, SECTION_HEADER_LEN, parse_header, parse_section_header,
    };
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(file)?;
    let mut head = [0u8; HEADER_LEN];
    if f.read_exact(&mut head).is_err() {
        return Ok(None);
    }
    let Ok((pre, _)) = parse_header(&head) else {
        return Ok(None);
    };
    for _ in 0..pre.section_count {
        let mut sh = [0u8; SECTION_HEADER_LEN];
        if f.read_exact(&mut sh).is_err() {
            return Ok(None);
        }
        let Ok((h, _)) = parse_section_header(&sh) else {
            return Ok(None);
        };
        if h.kind == eqisa_isa::SectionKind::Job as u8 {
            let mut start = [0u8; 10];
            let n = f.read(&mut start)?;
            return Ok(eqisa_isa::varint::read_uvarint(&start[..n])
                .ok()
                .map(|(v, _)| v));
        }
        f.seek(SeekFrom::Current(i64::from(h.payload_len)))?;
    }
    Ok(None)
}

/// A report's circuits coded as one job: its instruction stream against the circuits' own files
/// and the compressors over their concatenated binary streams (`eqisa report`'s `job`).
#[derive(Clone, Debug, Serialize)]
pub struct JobLine {
    /// Circuits in the job.
    pub circuits: usize,
    /// The job's bits.
    pub eqisa_bits: u64,
    /// The bits of every circuit assembled alone, each its own `.eqb`.
    pub alone_bits: u64,
    /// xz over the concatenated binary streams.
    pub xz_bits: Option<u64>,
    /// zstd over the concatenated binary streams.
    pub zstd_bits: Option<u64>,
    /// bzip2 over the concatenated binary streams.
    pub bzip2_bits: Option<u64>,
    /// What the job section and the circuits' names cost per circuit, bits.
    pub framing_bits_per_circuit: f64,
}

/// `files` as one job lowered with `lowering`, without pulses (a job carries no pulse section)
/// and with repeats found again as loops, as `eqisa assemble` codes a job.
///
/// # Errors
/// As [`assemble_files`].
pub fn job_line(
    files: &[PathBuf],
    cb: &LoadedCodebook,
    lowering: crate::LowerConfig,
) -> Result<JobLine, PipelineError> {
    let opts = AssembleOptions {
        lowering,
        pulses: None,
        paper: None,
        no_baselines: false,
        repeat_window: Some(eqisa_assembler::periods::DEFAULT_WINDOW_OPS),
    };
    let job = assemble_files(files, &[], cb, &opts, false, |_| {})?.report;
    Ok(JobLine {
        circuits: job.circuits,
        eqisa_bits: job.bits.eqisa,
        alone_bits: job.alone_bits,
        xz_bits: job.bits.xz,
        zstd_bits: job.bits.zstd,
        bzip2_bits: job.bits.bzip2,
        framing_bits_per_circuit: job.framing_bits_per_circuit,
    })
}
