//! `eqisa train`: learn a codebook from circuit files and Haar-random unitaries.

use std::path::{Path, PathBuf};

use eqisa_assembler::encode::{instr_of, program_info};
use eqisa_baselines::paper::{HaarSampler, PaperDictionary};
use eqisa_dictionary::pulse_atoms::{PulseTrainParams, learn_pulse_atoms};
use eqisa_dictionary::train::{InstrStream, train_priors};
use eqisa_ir::Circuit;
use eqisa_isa::codebook::Codebook;
use eqisa_isa::copies::MAX_WORDS;
use eqisa_lower::lower;
use eqisa_pulse::Device;
use eqisa_synth::euler::zyz;
use indicatif::{ProgressBar, ProgressStyle};

use super::CmdResult;
use super::lowering::{LowerArgs, TargetArg};

/// Arguments of `eqisa train`.
#[derive(clap::Args)]
pub struct Args {
    /// Circuit files (OpenQASM 2 or 3) or directories searched recursively for *.qasm and
    /// *.qasm3. Files that do not parse or lower are skipped and counted.
    #[arg(required = true)]
    pub corpus: Vec<PathBuf>,
    /// Where to write the codebook (.eqcb).
    #[arg(short, long, value_name = "CODEBOOK")]
    pub output: PathBuf,
    /// Also train on this many Haar-random single-qubit unitaries (in two-qubit circuits with a
    /// cx after every pair), lowered like the corpus.
    #[arg(long, default_value_t = 0, value_name = "N")]
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
    /// Haar-random unitaries the paper's Solovay–Kitaev dictionary is selected from (0: none).
    #[arg(long, default_value_t = 1000)]
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
    /// Samples per pulse atom (window length).
    #[arg(long, default_value_t = PulseTrainParams::default().window, value_name = "W")]
    pub pulse_window: usize,
    /// K-SVD iterations for the pulse atoms.
    #[arg(long, default_value_t = PulseTrainParams::default().iterations, value_name = "N")]
    pub pulse_iterations: usize,
    /// How to lower (the --target given here is ignored: see --targets).
    #[command(flatten)]
    pub lowering: LowerArgs,
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            let is_qasm = e.extension().is_some_and(|x| x == "qasm" || x == "qasm3");
            if e.is_dir() || is_qasm {
                collect(&e, out)?;
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// OpenQASM text for `count` Haar-random unitaries on two qubits, a cx after every pair.
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

/// Lower `c` for every target and append the instruction streams.
fn streams_of(c: &Circuit, args: &Args, out: &mut Vec<InstrStream>) -> Result<u64, String> {
    let mut ops = 0;
    for &t in &args.targets {
        let mut la = args.lowering.clone();
        la.target = t;
        let (target, options) = la.resolve()?;
        let lowered = lower(c, &target, &options).map_err(|e| e.to_string())?;
        let p = &lowered.program;
        let info = program_info(p, &target).map_err(|e| e.to_string())?;
        let mut s = InstrStream::new(info.params);
        for (i, op) in p.ops.iter().enumerate() {
            let instr = instr_of(p, i, op).map_err(|e| e.to_string())?;
            s.push(&instr, (op.start_ns, op.duration_ns));
        }
        ops += s.len() as u64;
        out.push(s);
    }
    Ok(ops)
}

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    let mut files = Vec::new();
    for p in &args.corpus {
        collect(p, &mut files)?;
    }
    let bar = ProgressBar::new(files.len() as u64 + u64::from(args.haar > 0));
    bar.set_style(
        ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos}/{len} {wide_msg}")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    bar.set_prefix("lowering");
    let mut streams = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    for f in &files {
        bar.set_message(f.display().to_string());
        let r = eqisa_qasm::parse_file(f)
            .map_err(|e| e.to_string())
            .and_then(|c| streams_of(&c, args, &mut streams));
        if let Err(e) = r {
            skipped.push(format!("{}: {e}", f.display()));
        }
        bar.inc(1);
    }
    if args.haar > 0 {
        bar.set_message(format!("{} Haar-random unitaries", args.haar));
        let mut sampler = HaarSampler::new(args.seed);
        // Circuits of at most 64 unitaries, so per-program context resets are seen too.
        let mut left = args.haar;
        while left > 0 {
            let n = left.min(64);
            left -= n;
            let c = eqisa_qasm::parse_str(&haar_circuit(&mut sampler, n), "<haar>")
                .map_err(|e| e.to_string())?;
            streams_of(&c, args, &mut streams)?;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if streams.is_empty() {
        return Err("nothing to train on: no file of the corpus lowered".into());
    }
    eprintln!(
        "training the instruction model on {} programs",
        streams.len()
    );
    if args.words > MAX_WORDS {
        return Err(format!("--words {}: at most {MAX_WORDS} gates", args.words).into());
    }
    let (priors, stats) = train_priors(&streams, args.words)?;
    let paper = if args.paper_haar > 0 {
        eprintln!(
            "selecting the paper's dictionary from {} Haar-random unitaries (SK depth {}, recursion {})",
            args.paper_haar, args.lowering.sk_depth, args.lowering.sk_recursion
        );
        let d = PaperDictionary::train_haar(
            args.lowering.sk_depth,
            args.lowering.sk_recursion,
            args.paper_haar,
            args.seed,
        )?;
        Some(d.to_bytes())
    } else {
        None
    };
    let training = format!(
        "files: {}; skipped: {}; haar unitaries: {} (seed {}); programs: {}; instructions: {}; \
         model slots used: {}; macro words: {} ({} gates); fidelity budget: {}; paper dictionary: SK depth {} recursion {} from {} unitaries",
        files.len(),
        skipped.len(),
        args.haar,
        args.seed,
        stats.programs,
        stats.instructions,
        stats.slots_used,
        stats.words,
        stats.word_gates,
        args.lowering.fidelity,
        args.lowering.sk_depth,
        args.lowering.sk_recursion,
        args.paper_haar
    );
    let (pulse_atoms, pulse_note) = if args.pulses {
        let devices: Vec<Device> = if args.devices.is_empty() {
            vec![Device::default_device()]
        } else {
            args.devices
                .iter()
                .map(|p| Device::from_file(p).map_err(|e| e.to_string()))
                .collect::<Result<_, _>>()?
        };
        let params = PulseTrainParams {
            window: args.pulse_window,
            atoms: args.pulse_atoms,
            iterations: args.pulse_iterations,
            seed: args.seed,
            ..PulseTrainParams::default()
        };
        eprintln!(
            "learning {} pulse atoms of {} samples from {} device calibrations",
            params.atoms,
            params.window,
            devices.len()
        );
        let learned = learn_pulse_atoms(&devices, &params).map_err(|e| e.to_string())?;
        let names: Vec<&str> = devices.iter().map(|d| d.name.as_str()).collect();
        let note = format!(
            "; pulse atoms: {} of {} samples (K-SVD, sparsity {}, {} iterations) from {} distinct windows of {}; training RMSE {:.2e}",
            params.atoms,
            params.window,
            params.sparsity,
            params.iterations,
            learned.windows,
            names.join(", "),
            learned.rmse
        );
        (Some(learned.set), note)
    } else {
        (None, String::new())
    };
    let training = training + &pulse_note;
    let cb = Codebook {
        description: args.description.clone(),
        priors,
        paper_dictionary: paper,
        training: training.clone(),
    };
    let bytes = cb.to_bytes_with_pulse_atoms(pulse_atoms.as_ref());
    std::fs::write(&args.output, &bytes).map_err(|e| format!("{}: {e}", args.output.display()))?;
    for s in skipped.iter().take(5) {
        eprintln!("skipped {s}");
    }
    if skipped.len() > 5 {
        eprintln!("… and {} more skipped", skipped.len() - 5);
    }
    println!("{training}");
    println!(
        "wrote {} ({} bytes, hash {})",
        args.output.display(),
        bytes.len(),
        crate::codebook::short_hash(&cb.hash_with_pulse_atoms(pulse_atoms.as_ref()))
    );
    Ok(())
}
