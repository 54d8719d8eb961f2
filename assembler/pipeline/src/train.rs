//! Training a codebook: the instruction model's priors from circuit files (and Haar-random
//! unitaries) lowered to each target, the paper's dictionary, and pulse atoms from device
//! calibrations.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use eqisa_assembler::encode::{instr_of, program_info};
use eqisa_baselines::paper::{HaarSampler, PaperDictionary};
use eqisa_dictionary::pulse_atoms::{PulseTrainParams, learn_pulse_atoms};
use eqisa_dictionary::train::{InstrStream, train_priors};
use eqisa_ir::Circuit;
use eqisa_isa::codebook::Codebook;
use eqisa_isa::copies::MAX_WORDS;
use eqisa_lower::lower;
use eqisa_lower::target::TargetKind;
use eqisa_pulse::Device;
use eqisa_synth::euler::zyz;

use crate::config::LowerConfig;
use crate::error::PipelineError;

/// What to train.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// How circuits are lowered (its target is replaced by each of [`TrainOptions::targets`];
    /// its Solovay–Kitaev depth and recursion also select the paper's dictionary).
    pub lowering: LowerConfig,
    /// The targets every circuit is lowered to.
    pub targets: Vec<TargetKind>,
    /// Haar-random single-qubit unitaries added to the corpus.
    pub haar: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Most gates of Clifford+T macro words the codebook keeps (at most [`MAX_WORDS`]).
    pub words: usize,
    /// Haar-random unitaries the paper's dictionary is selected from (0: none).
    pub paper_haar: usize,
    /// The codebook's description.
    pub description: String,
    /// Learn pulse atoms from these device calibrations (an empty list: the embedded device);
    /// `None`: no pulse atoms. The parameters' seed is replaced by [`TrainOptions::seed`].
    pub pulses: Option<(Vec<PathBuf>, PulseTrainParams)>,
}

/// Told of training's progress, so that a front end can show it.
pub trait TrainProgress {
    /// `steps` steps lie ahead (one per file, and one for all Haar-random unitaries).
    fn start(&mut self, steps: u64);
    /// A step begins: what it works on.
    fn step(&mut self, what: &str);
    /// The step is done.
    fn done(&mut self);
    /// The per-file stage is over.
    fn finish(&mut self);
    /// A longer stage begins (training the model, selecting the dictionary, learning atoms).
    fn stage(&mut self, what: &str);
}

/// Progress that goes nowhere.
impl TrainProgress for () {
    fn start(&mut self, _: u64) {}
    fn step(&mut self, _: &str) {}
    fn done(&mut self) {}
    fn finish(&mut self) {}
    fn stage(&mut self, _: &str) {}
}

/// A trained codebook.
pub struct Trained {
    /// Its serialised bytes (what `.eqcb` files hold).
    pub bytes: Vec<u8>,
    /// Its hash (what programs name).
    pub hash: [u8; 32],
    /// What it was trained on, as stored in it.
    pub training: String,
    /// Files that did not lower, with why.
    pub skipped: Vec<(PathBuf, PipelineError)>,
}

/// The circuit files a corpus names, and what the walk passed over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Corpus {
    /// The files, in the order given (each directory's, sorted by path).
    pub files: Vec<PathBuf>,
    /// Entries met while walking a directory that are not read: FIFOs, sockets, devices and
    /// dangling links named `*.qasm` or `*.qasm3`, and directories reached a second time (a
    /// symlink loop, or two links to one directory), each with why.
    pub passed_over: Vec<(PathBuf, String)>,
}

/// The circuit files under `paths`: files as given (whatever their kind or name: a FIFO named on
/// the command line is read as given), directories searched (sorted, recursively) for `.qasm`
/// and `.qasm3` files.
///
/// The walk follows symbolic links, to files and to directories (a corpus may link in another),
/// but enters each directory once, known by device and inode: a symlink loop ends where it
/// closes. Only regular files are taken from a directory; anything else with a circuit's name
/// (a FIFO would block training forever, a device could never end) is passed over and reported
/// in [`Corpus::passed_over`].
///
/// # Errors
/// When a path given, or a directory met, cannot be read.
pub fn collect_corpus(paths: &[PathBuf]) -> Result<Corpus, PipelineError> {
    let mut corpus = Corpus::default();
    let mut seen = HashSet::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| PipelineError::io(p, e))?;
        if meta.is_dir() {
            walk(p, &meta, &mut seen, &mut corpus)?;
        } else {
            corpus.files.push(p.clone());
        }
    }
    Ok(corpus)
}

/// A directory's identity: the same directory reached by two paths has one.
#[cfg(unix)]
type DirId = (u64, u64);

/// A directory's identity: the same directory reached by two paths has one.
#[cfg(not(unix))]
type DirId = PathBuf;

/// The identity of the directory at `path`: its device and inode.
#[cfg(unix)]
fn dir_id(_path: &Path, meta: &std::fs::Metadata) -> std::io::Result<DirId> {
    use std::os::unix::fs::MetadataExt;
    Ok((meta.dev(), meta.ino()))
}

/// The identity of the directory at `path`: its canonical path (no inodes here).
#[cfg(not(unix))]
fn dir_id(path: &Path, _meta: &std::fs::Metadata) -> std::io::Result<DirId> {
    std::fs::canonicalize(path)
}

/// What a file that is neither a regular file nor a directory is, for the note that passes it
/// over.
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO, not a regular file";
        }
        if t.is_socket() {
            return "a socket, not a regular file";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device, not a regular file";
        }
    }
    let _ = meta;
    "not a regular file"
}

/// Walks the directory `root` (whose metadata, links followed, is `meta`), depth first in sorted
/// order, without recursion (a deep tree cannot exhaust the stack), entering each directory once.
fn walk(
    root: &Path,
    meta: &std::fs::Metadata,
    seen: &mut HashSet<DirId>,
    corpus: &mut Corpus,
) -> Result<(), PipelineError> {
    let mut stack: Vec<std::vec::IntoIter<PathBuf>> = Vec::new();
    stack.extend(enter(root, meta, seen, corpus)?);
    while let Some(top) = stack.last_mut() {
        let Some(entry) = top.next() else {
            stack.pop();
            continue;
        };
        let is_qasm = entry
            .extension()
            .is_some_and(|x| x == "qasm" || x == "qasm3");
        // Links followed: a link to a directory is walked, a link to a file read.
        let meta = match std::fs::metadata(&entry) {
            Ok(m) => m,
            Err(e) if is_qasm => {
                corpus
                    .passed_over
                    .push((entry, format!("cannot be read: {e}")));
                continue;
            }
            // Not a circuit's name: not ours to read, whatever it is.
            Err(_) => continue,
        };
        if meta.is_dir() {
            stack.extend(enter(&entry, &meta, seen, corpus)?);
        } else if is_qasm {
            if meta.is_file() {
                corpus.files.push(entry);
            } else {
                corpus.passed_over.push((entry, special_kind(&meta).into()));
            }
        }
    }
    Ok(())
}

/// The sorted entries of directory `dir`, or `None` when it was walked already.
fn enter(
    dir: &Path,
    meta: &std::fs::Metadata,
    seen: &mut HashSet<DirId>,
    corpus: &mut Corpus,
) -> Result<Option<std::vec::IntoIter<PathBuf>>, PipelineError> {
    let id = dir_id(dir, meta).map_err(|e| PipelineError::io(dir, e))?;
    if !seen.insert(id) {
        corpus.passed_over.push((
            dir.to_path_buf(),
            "a directory already walked (a symlink loop, or a second link to it)".into(),
        ));
        return Ok(None);
    }
    let mut entries = std::fs::read_dir(dir)
        .and_then(|rd| {
            rd.map(|e| e.map(|e| e.path()))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| PipelineError::io(dir, e))?;
    entries.sort();
    Ok(Some(entries.into_iter()))
}

/// A two-qubit circuit of `count` Haar-random single-qubit unitaries, entangled every second one.
fn haar_circuit(sampler: &mut HaarSampler, count: usize) -> String {
    let mut text = String::from("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\n");
    for i in 0..count {
        let e = zyz(&sampler.next_unitary());
        text.push_str(&format!(
            "u3({:e},{:e},{:e}) q[{}];\n",
            e.theta,
            e.phi,
            e.lambda,
            i % 2
        ));
        if i % 2 == 1 {
            text.push_str("cx q[0],q[1];\n");
        }
    }
    text
}

/// Lower `c` (named `name`) to every target and append its instruction streams to `out`.
fn streams_of(
    c: &Circuit,
    name: &str,
    opts: &TrainOptions,
    out: &mut Vec<InstrStream>,
) -> Result<u64, PipelineError> {
    let mut ops = 0;
    for &t in &opts.targets {
        let lowering = LowerConfig {
            target: t,
            ..opts.lowering.clone()
        };
        let (target, options) = lowering.resolve()?;
        let assemble = |source| PipelineError::Assemble {
            file: name.to_string(),
            source,
        };
        let lowered = lower(c, &target, &options).map_err(|source| PipelineError::Lower {
            file: name.to_string(),
            source,
        })?;
        let p = &lowered.program;
        let info = program_info(p, &target).map_err(assemble)?;
        let mut s = InstrStream::new(info.params);
        for (i, op) in p.ops.iter().enumerate() {
            let instr = instr_of(p, i, op).map_err(assemble)?;
            s.push(&instr, (op.start_ns, op.duration_ns));
        }
        ops += s.len() as u64;
        out.push(s);
    }
    Ok(ops)
}

/// Most Haar-random unitaries ([`TrainOptions::haar`]): each is lowered like a corpus program
/// (about 4.5 ms), so the limit keeps training within a minute, where a typo (`1000000000`)
/// would run for weeks.
pub const MAX_HAAR: usize = 10_000;

/// Most Haar-random unitaries the paper's dictionary is selected from
/// ([`TrainOptions::paper_haar`]; about 32 µs each with the default SK parameters: 30 s).
pub const MAX_PAPER_HAAR: usize = 1_000_000;

/// Train a codebook on `files` (a file that does not parse or lower is skipped and reported).
///
/// # Errors
/// When options are out of range, nothing lowers, or a training stage fails.
pub fn train_codebook(
    files: &[PathBuf],
    opts: &TrainOptions,
    progress: &mut dyn TrainProgress,
) -> Result<Trained, PipelineError> {
    if opts.words > MAX_WORDS {
        return Err(PipelineError::Options(format!(
            "--words {}: at most {MAX_WORDS} gates",
            opts.words
        )));
    }
    for (what, n, max) in [
        ("--haar", opts.haar, MAX_HAAR),
        ("--paper-haar", opts.paper_haar, MAX_PAPER_HAAR),
    ] {
        if n > max {
            return Err(PipelineError::Options(format!(
                "{what} {n}: at most {max} Haar-random unitaries"
            )));
        }
    }
    progress.start(files.len() as u64 + u64::from(opts.haar > 0));
    let mut streams = Vec::new();
    let mut skipped = Vec::new();
    for f in files {
        progress.step(&f.display().to_string());
        let r = eqisa_qasm::parse_file(f)
            .map_err(PipelineError::from)
            .and_then(|c| streams_of(&c, &f.display().to_string(), opts, &mut streams));
        if let Err(e) = r {
            skipped.push((f.clone(), e));
        }
        progress.done();
    }
    if opts.haar > 0 {
        progress.step(&format!("{} Haar-random unitaries", opts.haar));
        let mut sampler = HaarSampler::new(opts.seed);
        // Circuits of at most 64 unitaries, so per-program context resets are seen too.
        let mut left = opts.haar;
        while left > 0 {
            let n = left.min(64);
            left -= n;
            let c = eqisa_qasm::parse_str(&haar_circuit(&mut sampler, n), "<haar>")?;
            streams_of(&c, "<haar>", opts, &mut streams)?;
        }
        progress.done();
    }
    progress.finish();
    if streams.is_empty() {
        return Err(PipelineError::Options(
            "nothing to train on: no file of the corpus lowered".into(),
        ));
    }
    progress.stage(&format!(
        "training the instruction model on {} programs",
        streams.len()
    ));
    let (priors, stats) = train_priors(&streams, opts.words)?;
    let (depth, recursion) = (opts.lowering.sk_depth, opts.lowering.sk_recursion);
    let paper = if opts.paper_haar > 0 {
        progress.stage(&format!(
            "selecting the paper's dictionary from {} Haar-random unitaries (SK depth {depth}, recursion {recursion})",
            opts.paper_haar
        ));
        let d = PaperDictionary::train_haar(depth, recursion, opts.paper_haar, opts.seed)?;
        Some(d.to_bytes())
    } else {
        None
    };
    let mut training = format!(
        "files: {}; skipped: {}; haar unitaries: {} (seed {}); programs: {}; instructions: {}; \
         model slots used: {}; macro words: {} ({} gates); fidelity budget: {}; paper dictionary: SK depth {depth} recursion {recursion} from {} unitaries",
        files.len(),
        skipped.len(),
        opts.haar,
        opts.seed,
        stats.programs,
        stats.instructions,
        stats.slots_used,
        stats.words,
        stats.word_gates,
        opts.lowering.fidelity,
        opts.paper_haar
    );
    let pulse_atoms = match &opts.pulses {
        Some((paths, params)) => {
            let devices: Vec<Device> = if paths.is_empty() {
                vec![Device::default_device()]
            } else {
                paths
                    .iter()
                    .map(|p| Device::from_file(p))
                    .collect::<Result<_, _>>()?
            };
            let params = PulseTrainParams {
                seed: opts.seed,
                ..*params
            };
            progress.stage(&format!(
                "learning {} pulse atoms of {} samples from {} device calibrations",
                params.atoms,
                params.window,
                devices.len()
            ));
            let learned = learn_pulse_atoms(&devices, &params)?;
            let names: Vec<&str> = devices.iter().map(|d| d.name.as_str()).collect();
            training.push_str(&format!(
                "; pulse atoms: {} of {} samples (K-SVD, sparsity {}, {} iterations) from {} distinct windows of {}; training RMSE {:.2e}",
                params.atoms,
                params.window,
                params.sparsity,
                params.iterations,
                learned.windows,
                names.join(", "),
                learned.rmse
            ));
            Some(learned.set)
        }
        None => None,
    };
    let cb = Codebook {
        description: opts.description.clone(),
        priors,
        paper_dictionary: paper,
        training: training.clone(),
    };
    Ok(Trained {
        bytes: cb.to_bytes_with_pulse_atoms(pulse_atoms.as_ref()),
        hash: cb.hash_with_pulse_atoms(pulse_atoms.as_ref()),
        training,
        skipped,
    })
}
