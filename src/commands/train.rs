//! `eqisa train`: learn a codebook from circuit files and Haar-random unitaries.

use crate::output::outln;
use std::path::PathBuf;

use eqisa_dictionary::pulse_atoms::PulseTrainParams;
use eqisa_isa::copies::MAX_WORDS;
use eqisa_pipeline::short_hash;
use eqisa_pipeline::train::{
    MAX_HAAR, MAX_PAPER_HAAR, TrainOptions, TrainProgress, collect_corpus, train_codebook,
};
use indicatif::{ProgressBar, ProgressStyle};

use super::lowering::{LowerArgs, TargetArg};
use super::{CmdResult, write_output};

/// Arguments of `eqisa train`.
#[derive(clap::Args)]
pub struct Args {
    /// Circuit files (OpenQASM 2 or 3) or directories searched recursively for *.qasm and
    /// *.qasm3. Files that do not parse or lower are skipped and counted. The search follows
    /// symbolic links but enters each directory once (a link loop ends), and passes over, with
    /// a note, anything found that is not a regular file (FIFOs, sockets, devices); files named
    /// here are read as given.
    #[arg(required = true)]
    pub corpus: Vec<PathBuf>,
    /// Where to write the codebook (.eqcb).
    #[arg(short, long, value_name = "CODEBOOK")]
    pub output: PathBuf,
    /// Also train on this many Haar-random single-qubit unitaries (in two-qubit circuits with a
    /// cx after every pair), lowered like the corpus; at most 10,000 (about 45 s).
    #[arg(long, default_value_t = 0, value_name = "N", value_parser = haar_count)]
    pub haar: usize,
    /// Seed of the Haar sampler (training is deterministic for a given seed and corpus).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Targets to lower the corpus to (each file is lowered once per target).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "native,clifford+t"
    )]
    pub targets: Vec<TargetArg>,
    /// Gates of Clifford+T macro words to keep: runs of one-qubit gates that recur across the
    /// corpus's programs, which copies can then start in (0: none; at most 16384).
    #[arg(long, default_value_t = MAX_WORDS, value_name = "GATES")]
    pub words: usize,
    /// Haar-random unitaries the paper's Solovay–Kitaev dictionary is selected from (0: none);
    /// at most 1,000,000 (about 30 s).
    #[arg(long, default_value_t = 1000, value_parser = paper_haar_count)]
    pub paper_haar: usize,
    /// A description stored in the codebook.
    #[arg(long, default_value = "EQISA codebook")]
    pub description: String,
    /// Also learn pulse atoms from the calibrated waveforms of the --device calibrations.
    #[arg(long)]
    pub pulses: bool,
    /// Device calibrations to learn pulse atoms from (our .toml or IBM defs_*.json; repeat the
    /// option or give several after it). Without any, the embedded default device.
    #[arg(long = "device", value_name = "DEVICE", num_args = 1.., requires = "pulses")]
    pub devices: Vec<PathBuf>,
    /// Pulse atoms to learn.
    #[arg(long, default_value_t = PulseTrainParams::default().atoms, value_name = "K")]
    pub pulse_atoms: usize,
    /// Samples per pulse atom (window length), 1 to 256 (the pulse section's MAX_WINDOW).
    #[arg(long, default_value_t = PulseTrainParams::default().window, value_name = "W",
          value_parser = pulse_window)]
    pub pulse_window: usize,
    /// K-SVD iterations for the pulse atoms.
    #[arg(long, default_value_t = PulseTrainParams::default().iterations, value_name = "N")]
    pub pulse_iterations: usize,
    /// How to lower (the --target given here is ignored: see --targets).
    #[command(flatten)]
    pub lowering: LowerArgs,
}

/// `--pulse-window`: a whole number of samples within the pulse section's window limit (0
/// would be windows of nothing; above the limit no program could use the atoms).
fn pulse_window(text: &str) -> Result<usize, String> {
    let max = eqisa_isa::pulse::MAX_WINDOW;
    match text.parse::<usize>() {
        Ok(w) if (1..=max).contains(&w) => Ok(w),
        Ok(w) => Err(format!(
            "{w} samples is not a pulse atom window: it must lie in 1..={max}"
        )),
        Err(e) => Err(format!("not a whole number of samples: {e}")),
    }
}

/// A count in `0..=max`, or a message naming the flag's range.
fn count_at_most(text: &str, max: usize, what: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n <= max => Ok(n),
        Ok(n) => Err(format!("{n} {what} is more than the {max} allowed")),
        Err(e) => Err(format!("not a whole number: {e}")),
    }
}

fn haar_count(text: &str) -> Result<usize, String> {
    count_at_most(text, MAX_HAAR, "Haar-random unitaries")
}

fn paper_haar_count(text: &str) -> Result<usize, String> {
    count_at_most(text, MAX_PAPER_HAAR, "Haar-random unitaries")
}

/// The progress bar of the per-file stage, and the later stages' notes on stderr.
struct Bar(ProgressBar);

impl TrainProgress for Bar {
    fn start(&mut self, steps: u64) {
        self.0.set_length(steps);
        self.0.set_prefix("lowering");
    }
    fn step(&mut self, what: &str) {
        self.0.set_message(what.to_string());
    }
    fn done(&mut self) {
        self.0.inc(1);
    }
    fn finish(&mut self) {
        self.0.finish_and_clear();
    }
    fn stage(&mut self, what: &str) {
        eprintln!("{what}");
    }
}

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    let corpus = collect_corpus(&args.corpus)?;
    // Said before training starts, so that a user sees at once what the walk left out.
    for (path, why) in corpus.passed_over.iter().take(5) {
        eprintln!("note: passed over {}: {why}", path.display());
    }
    if corpus.passed_over.len() > 5 {
        eprintln!(
            "note: … and {} more passed over",
            corpus.passed_over.len() - 5
        );
    }
    let files = corpus.files;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos}/{len} {wide_msg}")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    let opts = TrainOptions {
        lowering: args.lowering.config(),
        targets: args.targets.iter().map(|t| t.kind()).collect(),
        haar: args.haar,
        seed: args.seed,
        words: args.words,
        paper_haar: args.paper_haar,
        description: args.description.clone(),
        pulses: args.pulses.then(|| {
            (
                args.devices.clone(),
                PulseTrainParams {
                    window: args.pulse_window,
                    atoms: args.pulse_atoms,
                    iterations: args.pulse_iterations,
                    ..PulseTrainParams::default()
                },
            )
        }),
    };
    let trained = train_codebook(&files, &opts, &mut Bar(bar))?;
    write_output(&args.output, &trained.bytes)?;
    for (file, why) in trained.skipped.iter().take(5) {
        eprintln!("skipped {}: {why}", file.display());
    }
    if trained.skipped.len() > 5 {
        eprintln!("… and {} more skipped", trained.skipped.len() - 5);
    }
    outln!("{}", trained.training);
    outln!(
        "wrote {} ({} bytes, hash {})",
        args.output.display(),
        trained.bytes.len(),
        short_hash(&trained.hash)
    );
    Ok(())
}
