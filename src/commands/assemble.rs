//! `eqisa assemble`: parse, lower and encode a circuit into an `.eqb` program, and measure it
//! against the baselines on the same stream.

use crate::output::outln;
use std::path::PathBuf;

use eqisa_pipeline::{AssembleOptions, load_codebook};

use super::CmdResult;
use super::lowering::LowerArgs;
use super::pulses::PulseArgs;

/// Arguments of `eqisa assemble`.
#[derive(clap::Args)]
pub struct Args {
    /// OpenQASM 2 or 3 file (`-` for standard input), or Stim circuit (`.stim`).
    ///
    /// Counted loops (OpenQASM 3 `for` over a known range whose iterations differ at most by
    /// where they measure, Stim's `REPEAT`) and real-time `while` loops on measured bits are
    /// kept: each body is coded once and the decoder replays it from a buffer the program
    /// declares. A loop body of more than 1,048,576 instructions (the largest replay buffer) is
    /// refused with an error, not split; --flat assembles the unrolled program instead.
    ///
    /// Several files, or a directory (its `.qasm`, `.qasm3` and `.stim` files, in name order),
    /// make a job: one program whose circuits run one after another, coded in one stream (one
    /// header; a few bits of framing per circuit; the model's adaptation and its copies carried
    /// across circuits). `eqisa decode JOB.eqb --output-dir DIR` writes one file per circuit,
    /// named after its source's stem, so stems must differ.
    #[arg(required = true, num_args = 1.., value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Assemble the program unrolled, without loops in the instruction stream (and without
    /// looking for repeats in it).
    #[arg(long)]
    pub flat: bool,
    /// Window, in operations, within which a flat program's repeats are looked for: a run of
    /// operations repeated back to back between points where every qubit is free (a QEC round
    /// written out a thousand times) is coded once as a counted loop, when that is smaller. A
    /// loop body holds at most half the window; the decoder's replay buffer is declared in the
    /// program. From 64 to 2,097,152.
    #[arg(long, value_name = "OPS", default_value_t = eqisa_assembler::periods::DEFAULT_WINDOW_OPS, value_parser = parse_window)]
    pub repeat_window: usize,
    #[command(flatten)]
    pub lowering: LowerArgs,
    #[command(flatten)]
    pub inputs: super::inputs::InputArgs,
    /// Assemble an OpenQASM 3 program as a parameter sweep: a CSV table whose header row names
    /// the program's `input` variables (every one, in any order) and whose rows are the points.
    /// Each point is lowered; when all have the first one's shape (only rz angles differ), the
    /// first is coded once and the others as a sweep table (each input's values, compactly when
    /// they form a grid, and the rule giving each varying angle from them); otherwise each
    /// point is a circuit of the job. `decode --output-dir` writes one circuit per point,
    /// STEM_0, STEM_1, ...
    #[arg(long = "inputs", value_name = "SWEEP.csv", conflicts_with = "inputs")]
    pub sweep: Option<PathBuf>,
    /// The codebook to encode with (default: the embedded one). Decoding needs the same one.
    #[arg(long, value_name = "CODEBOOK")]
    pub codebook: Option<PathBuf>,
    /// Where to write the program (`-`: standard output, the summary then going to standard
    /// error).
    #[arg(short, long, value_name = "OUT.eqb")]
    pub output: Option<PathBuf>,
    /// Also lower to the device's control pulses and add them as the program's pulse section:
    /// the circuit is routed onto the device's coupling map first, so the instruction stream
    /// holds the routed program the pulses play. `eqisa decode --samples` rebuilds the samples.
    #[arg(long)]
    pub pulses: bool,
    #[command(flatten)]
    pub pulse: PulseArgs,
    #[command(flatten)]
    pub split: super::controllers::SplitArgs,
    /// Skip the paper's pipeline (Solovay–Kitaev, slow on large circuits); its keys are then
    /// null.
    #[arg(long)]
    pub no_paper: bool,
    /// Measure the paper's pipeline at --paper-depth/--paper-recursion, at whatever fidelity that
    /// reaches (its own), instead of at the cheapest Solovay–Kitaev setting of a small grid
    /// (depth 3, 6, 9, 12, 15 × recursion 0..=4) whose fidelity bound meets the budget ours got
    /// (--fidelity; with --eps, the bound ours reached).
    #[arg(long)]
    pub paper_at_own_fidelity: bool,
    /// Skip every baseline: the binary stream, bzip2/xz/zstd over it, its entropy, the paper's
    /// pipeline and, for a Stim circuit, xz of its text. Their JSON keys are null
    /// (`stim_text_xz` is left out). For large programs, where the baselines take most of the
    /// time and memory. The pulse section's baselines (raw, DCT, zstd) are computed by the
    /// waveform coder itself: not with --pulses.
    #[arg(long, conflicts_with = "pulses")]
    pub no_baselines: bool,
    /// The paper pipeline's Solovay–Kitaev depth, with --paper-at-own-fidelity.
    #[arg(long, default_value_t = 3, value_parser = super::lowering::parse_sk_depth)]
    pub paper_depth: usize,
    /// The paper pipeline's Solovay–Kitaev recursion, with --paper-at-own-fidelity.
    #[arg(long, default_value_t = 3, value_parser = super::lowering::parse_sk_recursion)]
    pub paper_recursion: usize,
    /// Print JSON: native_ops (run, loops multiplied out, each `while` once), fidelity_bound,
    /// angle_bits, codebook_bytes, bits {eqisa, binary_opcodes, binary, bzip2, xz, zstd,
    /// entropy_order0, paper_huffman, paper_huffman_bzip2; stim_text_xz for a Stim circuit;
    /// the baselines null when a program with loops runs more than 16,777,216 operations, and
    /// with --no-baselines},
    /// paper_fidelity_bound, paper {chosen, budget, meets_budget, sk_depth, sk_recursion,
    /// fidelity_bound, huffman_bits, huffman_bzip2_bits, words, tried [{sk_depth, sk_recursion,
    /// fidelity_bound, huffman_bits}]} (null when skipped or for classical control; bits null
    /// when no setting meets the budget), sections; with loops kept also loops {text_ops, counted_loops,
    /// while_loops, replay_buffer_ops, baselines_unrolled}; with --pulses also pulses {device,
    /// mode, channels, plays, samples, swaps, pulse_bits {eqisa, raw, dct, zstd},
    /// max_added_infidelity, lossless_fallbacks}. bits.eqisa counts the instruction stream
    /// (the whole file without the pulse section); pulses.pulse_bits.eqisa the pulse section.
    #[arg(long)]
    pub json: bool,
}

/// `--repeat-window`: a count of operations within the replay buffer's reach.
fn parse_window(s: &str) -> Result<usize, String> {
    let n: u64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number of operations"))?;
    let max = 2 * eqisa_isa::control::MAX_REPLAY_OPS;
    if !(64..=max).contains(&n) {
        return Err(format!(
            "{n} operations: the window must be from 64 to {max} (a loop body holds at most half of it, and the decoder's replay buffer at most {} operations)",
            eqisa_isa::control::MAX_REPLAY_OPS
        ));
    }
    usize::try_from(n).map_err(|_| format!("{n} operations do not fit this machine"))
}

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    let files = super::job::expand_files(&args.files)?;
    let job = args.sweep.is_some() || files.len() > 1 || args.files.iter().any(|f| f.is_dir());
    if job && args.split.split().is_some() {
        return Err("--qubits-per-controller and --controllers cut one circuit: assemble a job's circuits one by one to split them".into());
    }
    let out = super::job::JobOutput {
        codebook: args.codebook.as_deref(),
        output: args.output.as_deref(),
        json: args.json,
    };
    if let Some(table) = &args.sweep {
        let [file] = files.as_slice() else {
            return Err("--inputs sweeps one program: give one file".into());
        };
        return super::job::sweep(file, table, &job_options(args), &out);
    }
    if job {
        return super::job::assemble(
            &files,
            &args.inputs.inputs,
            &job_options(args),
            args.flat,
            &out,
        );
    }
    run_one(args, &files[0])
}

/// What a job is assembled with.
fn job_options(args: &Args) -> AssembleOptions {
    AssembleOptions {
        lowering: args.lowering.config(),
        pulses: args.pulses.then(|| args.pulse.config()),
        paper: super::report::paper_setting(
            args.no_paper || args.no_baselines,
            args.paper_at_own_fidelity,
            args.paper_depth,
            args.paper_recursion,
        ),
        no_baselines: args.no_baselines,
        repeat_window: (!args.flat).then_some(args.repeat_window),
    }
}

fn run_one(args: &Args, file: &std::path::Path) -> CmdResult {
    if args.output.as_ref().is_some_and(|o| o.as_os_str() == "-") {
        crate::output::summary_to_stderr();
    }
    let cb = load_codebook(args.codebook.as_deref())?;
    let name = file.display().to_string();
    let streamable = args.no_baselines
        && !args.pulses
        && args.split.split().is_none()
        && !eqisa_pipeline::is_stim(file);
    let mut read_whole = None;
    if streamable {
        match assemble_streamed(args, file, &name, &cb)? {
            Streamed::Assembled(asm) => {
                if let Some(out) = &args.output {
                    super::write_bytes(out, &asm.bytes)?;
                }
                return print_report(args, &cb, &asm);
            }
            Streamed::ReadWhole(parsed) => read_whole = parsed,
        }
    }
    let source = match read_whole {
        Some(parsed) => eqisa_pipeline::Source {
            parsed: *parsed,
            skipped: Vec::new(),
            stim_text: None,
        },
        None => super::program::load_source(file)?,
    };
    let pulses = args.pulses.then(|| args.pulse.config());
    if pulses.is_some() {
        super::pulses::note_without_atoms(&cb);
    }
    let opts = AssembleOptions {
        lowering: args.lowering.config(),
        pulses,
        paper: super::report::paper_setting(
            args.no_paper || args.no_baselines,
            args.paper_at_own_fidelity,
            args.paper_depth,
            args.paper_recursion,
        ),
        no_baselines: args.no_baselines,
        repeat_window: (!args.flat).then_some(args.repeat_window),
    };
    if let Some(split) = args.split.split() {
        if opts.pulses.is_some() {
            return Err("--pulses plays the whole program: it does not combine with --qubits-per-controller or --controllers".into());
        }
        drop(source);
        let (bytes, report) = super::controllers::assemble_file(
            file,
            &args.inputs.inputs,
            &opts,
            args.flat,
            split,
            &cb,
        )?;
        if let Some(out) = &args.output {
            super::write_bytes(out, &bytes)?;
        }
        return super::controllers::print_assembly(&report, args.output.as_ref(), args.json);
    }
    let asm = eqisa_pipeline::assemble::assemble_source(
        source,
        file,
        &args.inputs.inputs,
        &cb,
        &opts,
        args.flat,
    )?;
    if let Some(out) = &args.output {
        super::write_bytes(out, &asm.bytes)?;
    }
    print_report(args, &cb, &asm)
}

/// What the streaming path did.
enum Streamed {
    /// The program, assembled as it was read.
    Assembled(Box<eqisa_pipeline::Assembly>),
    /// The program must be read whole: OpenQASM 3 (from standard input, already parsed here,
    /// since what was read cannot be read again), or Clifford+T rotations to approximate under
    /// a whole-program budget (from a file, read again).
    ReadWhole(Option<Box<eqisa_qasm::Parsed>>),
}

/// Standard input, keeping what it hands out until the program's language is known (the first
/// statement), so that an OpenQASM 3 program can be parsed whole from the start.
struct Recorded<R> {
    inner: R,
    kept: std::rc::Rc<std::cell::RefCell<Vec<u8>>>,
}

/// Bytes kept at most while the language is not yet known.
const RECORD_LIMIT: usize = 16 << 20;

impl<R: std::io::Read> std::io::Read for Recorded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut kept = self.kept.borrow_mut();
        if kept.len() < RECORD_LIMIT {
            kept.extend_from_slice(buf.get(..n).unwrap_or(&[]));
        }
        Ok(n)
    }
}

/// The OpenQASM 2 program of `file` assembled as it is read (`--no-baselines`): memory is
/// bounded by windows, not by the program.
fn assemble_streamed(
    args: &Args,
    file: &std::path::Path,
    name: &str,
    cb: &eqisa_pipeline::LoadedCodebook,
) -> Result<Streamed, Box<dyn std::error::Error>> {
    let opts = AssembleOptions {
        lowering: args.lowering.config(),
        pulses: None,
        paper: None,
        no_baselines: true,
        repeat_window: (!args.flat).then_some(args.repeat_window),
    };
    let stdin = file.as_os_str() == "-";
    let kept = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let reader: Box<dyn std::io::Read> = if stdin {
        Box::new(Recorded {
            inner: std::io::stdin().lock(),
            kept: kept.clone(),
        })
    } else {
        Box::new(std::fs::File::open(file).map_err(|e| format!("{name}: {e}"))?)
    };
    let dir = match file.parent() {
        Some(d) if !stdin && !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = if stdin { "<stdin>" } else { name };
    match eqisa_pipeline::streaming::assemble_stream(reader, name, dir, cb, &opts) {
        Ok(Some(asm)) => Ok(Streamed::Assembled(Box::new(asm))),
        Ok(None) if stdin => {
            let head = std::mem::take(&mut *kept.borrow_mut());
            if head.len() >= RECORD_LIMIT {
                return Err(
                    "<stdin>: the first statement is too long to tell OpenQASM 2 from 3".into(),
                );
            }
            let rest = std::io::Read::chain(std::io::Cursor::new(head), std::io::stdin().lock());
            let parsed = eqisa_qasm::parse_program_reader(rest, "<stdin>".into(), ".".into())?;
            Ok(Streamed::ReadWhole(Some(Box::new(parsed))))
        }
        Ok(None) => Ok(Streamed::ReadWhole(None)),
        Err(eqisa_pipeline::PipelineError::StreamBudget { .. }) if !stdin => {
            Ok(Streamed::ReadWhole(None))
        }
        Err(e) => Err(e.into()),
    }
}

/// Prints what `assemble` measured, as text or JSON.
fn print_report(
    args: &Args,
    cb: &eqisa_pipeline::LoadedCodebook,
    asm: &eqisa_pipeline::Assembly,
) -> CmdResult {
    let report = &asm.report;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    let b = &report.bits;
    outln!("file              {}", report.file);
    outln!("target            {}", report.target);
    outln!("native ops        {}", report.native_ops);
    if let Some(l) = &report.loops {
        outln!(
            "loops             {} counted{}, {} while; {} ops coded once, replay buffer {} ops{}",
            l.counted_loops,
            if l.found_in_flat {
                " (repeats found)"
            } else {
                ""
            },
            l.while_loops,
            l.text_ops,
            l.replay_buffer_ops,
            if l.baselines_unrolled || args.no_baselines {
                ""
            } else {
                "; baselines not measured (too large to unroll, or a while loop)"
            }
        );
    }
    outln!("fidelity bound    {}", report.fidelity_bound);
    match (asm.target.kind, report.angle_bits) {
        (eqisa_lower::target::TargetKind::CliffordT, _) => {
            outln!("angle bits        none (no rz)")
        }
        (_, 0) => outln!("angle bits        exact (f64)"),
        (_, n) => outln!("angle bits        {n}"),
    }
    outln!(
        "codebook          {} ({} bytes)",
        cb.origin,
        report.codebook_bytes
    );
    if let Some(out) = &args.output {
        outln!(
            "wrote             {} ({} bytes)",
            out.display(),
            asm.bytes.len()
        );
    }
    outln!("bits              (whole stream; ratio to eqisa)");
    let row = |name: &str, v: Option<f64>| -> Result<(), String> {
        match v {
            Some(v) => outln!("  {name:<22} {v:>14.0}  {:>8.2}×", v / b.eqisa as f64),
            None => outln!("  {name:<22} {:>14}", "—"),
        }
        Ok(())
    };
    row("eqisa", Some(b.eqisa as f64))?;
    if args.no_baselines {
        outln!("  baselines              skipped (--no-baselines)");
    } else {
        super::bits::print_baselines(b, report.paper.as_ref())?;
    }
    if let Some(pr) = &report.pulses {
        let pb = &pr.pulse_bits;
        outln!(
            "pulses            {} ({}), {} plays on {} channels, {} samples, {} swaps",
            pr.device,
            pr.mode,
            pr.plays,
            pr.channels,
            pr.samples,
            pr.swaps
        );
        outln!(
            "pulse bits        eqisa {}  raw {}  dct {}  zstd {}",
            pb.eqisa,
            pb.raw,
            pb.dct,
            pb.zstd
        );
        outln!(
            "pulse infidelity  {:.2e} at most per pulse (budget {:.0e}); {} lossless fallbacks",
            pr.max_added_infidelity,
            args.pulse.infidelity,
            pr.lossless_fallbacks
        );
    }
    Ok(())
}
