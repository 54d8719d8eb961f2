//! `eqisa decode`: stream an `.eqb` program through the decoder and write it back as OpenQASM.

use crate::output::outln;
use std::io::Read;
use std::path::PathBuf;

use eqisa_decoder::PulseRows;
use eqisa_pipeline::decode::{DecodeOptions, QasmSink, decode_program_with, decode_samples};
use eqisa_pipeline::outcomes::Outcomes;
use eqisa_pipeline::{load_codebook, short_hash};
use serde::Serialize;

use super::CmdResult;

/// Arguments of `eqisa decode`.
#[derive(clap::Args)]
pub struct Args {
    /// The program (.eqb) to decode (`-` for standard input).
    pub file: PathBuf,
    /// The codebook it was assembled with (default: the embedded one).
    #[arg(long, value_name = "CODEBOOK")]
    pub codebook: Option<PathBuf>,
    /// Write the decoded program as OpenQASM 2 (OpenQASM 3 when its conditions need it),
    /// line by line as it is decoded: memory does not grow with the program's length. A program
    /// with loops is written as OpenQASM 3 with them (`for`, `while`; a measurement of a loop
    /// that moves along the record as `rec[3 + 8*_r0]`), unless --flatten (which streams too).
    /// The file appears complete or not at all (a device or FIFO is written in place). `-`
    /// writes it to standard output as it is decoded (a failure midway leaves what was
    /// written, and the exit status says so), and the summary to standard error.
    #[arg(short, long, value_name = "OUT.qasm")]
    pub output: Option<PathBuf>,
    /// For a job (`assemble A B ...`): write each circuit to DIR (created if missing) as
    /// NAME.qasm (NAME.qasm3 when it needs OpenQASM 3), named after its source's stem, each
    /// timed from its own start. A program of one circuit is written as DIR/STEM.qasm, its stem
    /// the input's. The job is decoded whole before any file is written.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["output", "samples", "flatten", "controller"])]
    pub output_dir: Option<PathBuf>,
    /// For a multi-stream file (`assemble --controllers`): write controller I's stream (an
    /// `.eqb` its own decoder reads) to -o instead of merging every stream into the program.
    #[arg(long, value_name = "I")]
    pub controller: Option<usize>,
    /// Run the program's loops and write (and count) every operation of every iteration:
    /// counted loops replayed by the decoder, real-time `while` loops iterated as the
    /// measurement results of --seed or --outcomes decide.
    #[arg(long)]
    pub flatten: bool,
    /// With --flatten: draw measurement results from a generator with this seed (the default,
    /// seed 0; the same seed gives the same run on every machine).
    #[arg(long, value_name = "N", conflicts_with = "outcomes")]
    pub seed: Option<u64>,
    /// With --flatten: read measurement results from this file, `0` and `1` in the order the
    /// measurements run (whitespace and `#` comments ignored).
    #[arg(long, value_name = "FILE")]
    pub outcomes: Option<PathBuf>,
    /// Rebuild the pulse section's samples (bit for bit what the assembler coded) and write them
    /// as an int16 `.npy` array of shape (channels, samples, 2): the DAC's I and Q codes, one
    /// row per channel in the order JSON `pulses.channels` lists them, zero where a channel
    /// idles. Needs a program assembled with `--pulses` and the codebook's pulse atoms. The
    /// program is then read whole, within --max-file-mb.
    #[arg(long, value_name = "OUT.npy")]
    pub samples: Option<PathBuf>,
    /// Print JSON: target, qubits, clbits, ops (by name), native_ops, duration_ns, angle_bits,
    /// bytes, codebook_hash; for a program with loops also loops {text_ops, flattened} (without
    /// --flatten, ops and native_ops count each `while` loop's body once); with --samples also
    /// pulses {channels, duration_dt, samples}. The counts come from the same streaming pass:
    /// the program is never held whole (except with --samples).
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Report {
    file: String,
    target: &'static str,
    qubits: u32,
    clbits: u32,
    native_ops: u64,
    ops: std::collections::BTreeMap<String, u64>,
    duration_ns: f64,
    angle_bits: u8,
    bytes: u64,
    codebook_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    loops: Option<LoopsJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pulses: Option<PulseSummary>,
}

/// A program with loops.
#[derive(Serialize)]
struct LoopsJson {
    /// Operations of its text (each loop body once).
    text_ops: u64,
    /// Whether every iteration was released.
    flattened: bool,
}

/// What `--samples` rebuilt.
#[derive(Serialize)]
struct PulseSummary {
    channels: Vec<String>,
    duration_dt: u64,
    /// Non-zero samples written (all rows).
    samples: u64,
}

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    let name = args.file.display().to_string();
    if args.output.as_ref().is_some_and(|o| o.as_os_str() == "-") {
        crate::output::summary_to_stderr();
    }
    let stdin = args.file.as_os_str() == "-";
    let job_circuits = if stdin {
        None
    } else {
        eqisa_pipeline::job::job_circuits_in_file(&args.file).map_err(|e| format!("{name}: {e}"))?
    };
    match (&args.output_dir, job_circuits) {
        (Some(dir), Some(_)) => {
            return super::job::decode(&args.file, args.codebook.as_deref(), dir, args.json);
        }
        (Some(dir), None) if stdin => {
            return super::job::decode(&args.file, args.codebook.as_deref(), dir, args.json);
        }
        (None, Some(n)) if n != 1 => {
            return Err(format!(
                "{name}: a job of {n} circuits: decode it with --output-dir DIR (one file per circuit)"
            )
            .into());
        }
        (None, Some(_)) if args.flatten || args.samples.is_some() => {
            return Err(format!("{name}: --flatten and --samples are not built for jobs").into());
        }
        (None, Some(_)) => {
            let out = super::job::JobOutput {
                codebook: args.codebook.as_deref(),
                output: args.output.as_deref(),
                json: args.json,
            };
            return super::job::decode_one(&args.file, &name, &out);
        }
        _ => {}
    }
    let cb = load_codebook(args.codebook.as_deref())?;
    if !stdin && super::controllers::is_streams_file(&args.file) {
        let bytes = eqisa_files::read(&args.file).map_err(|e| format!("{name}: {e}"))?;
        return super::controllers::decode(
            &bytes,
            &name,
            &cb,
            args.controller,
            args.output.as_ref(),
            args.json,
        );
    }
    if args.controller.is_some() {
        return Err(format!("--controller: {name} is not a multi-stream file (assemble with --controllers or --qubits-per-controller)").into());
    }
    // The pulse section is rebuilt from the whole file after the instructions are streamed, so
    // with --samples the file is read whole (within --max-file-mb); otherwise it is streamed and
    // never held.
    let whole = match &args.samples {
        Some(_) if stdin => Some(
            eqisa_files::read_from(std::io::stdin().lock()).map_err(|e| format!("{name}: {e}"))?,
        ),
        Some(_) => Some(eqisa_files::read(&args.file).map_err(|e| format!("{name}: {e}"))?),
        None => None,
    };
    let input: Box<dyn Read> = match &whole {
        Some(bytes) => Box::new(&bytes[..]),
        None if stdin => Box::new(std::io::stdin().lock()),
        None => Box::new(std::fs::File::open(&args.file).map_err(|e| format!("{name}: {e}"))?),
    };
    if !args.flatten && (args.seed.is_some() || args.outcomes.is_some()) {
        return Err(
            "--seed and --outcomes choose the measurement results of --flatten: add --flatten"
                .into(),
        );
    }
    let opts = DecodeOptions {
        flatten: args.flatten,
        outcomes: match (&args.outcomes, args.seed) {
            (Some(file), _) => Outcomes::File(file.clone()),
            (None, seed) => Outcomes::Seeded(seed.unwrap_or(0)),
        },
    };
    let decoded = match &args.output {
        Some(out) => {
            let out_name = if out.as_os_str() == "-" {
                "standard output".to_string()
            } else {
                out.display().to_string()
            };
            let decoded = super::write_stream_with(out, |w| {
                let sink = QasmSink {
                    writer: w,
                    name: &out_name,
                };
                Ok(decode_program_with(input, &name, &cb, Some(sink), &opts)?)
            })?;
            if decoded.qasm3 {
                eprintln!(
                    "note: {out_name}: written as OpenQASM 3: its conditions or loops have no OpenQASM 2 form (only 'if (creg == n)' has)"
                );
            }
            decoded
        }
        None => decode_program_with(input, &name, &cb, None, &opts)?,
    };
    let header = &decoded.header;
    let pulses = match (&args.samples, &whole) {
        (Some(out), Some(bytes)) => {
            let rows = decode_samples(bytes, &name, &cb)?;
            Some(write_samples(rows, out).map_err(|e| format!("{name}: {e}"))?)
        }
        _ => None,
    };
    let report = Report {
        file: name.clone(),
        target: header.target.name(),
        qubits: header.qubit_count,
        clbits: header.clbit_count,
        native_ops: decoded.native_ops,
        ops: decoded.counts.clone(),
        duration_ns: decoded.duration_ns,
        angle_bits: decoded.angle_bits,
        loops: decoded.loops.map(|l| LoopsJson {
            text_ops: l.text_ops,
            flattened: l.flattened,
        }),
        bytes: decoded.bytes,
        codebook_hash: short_hash(&cb.hash),
        pulses,
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    outln!("file            {}", report.file);
    outln!("target          {}", report.target);
    outln!("qubits          {}", report.qubits);
    outln!("clbits          {}", report.clbits);
    outln!("ops             {}", report.native_ops);
    if let Some(l) = &report.loops {
        outln!(
            "loops           {} ops coded once; {}",
            l.text_ops,
            if l.flattened {
                "every iteration released"
            } else {
                "counted as they run, each while loop once"
            }
        );
    }
    for (n, c) in &report.ops {
        outln!("  {n:<14} {c}");
    }
    outln!("duration        {:.1} ns", report.duration_ns);
    match (header.target, report.angle_bits) {
        (eqisa_isa::Target::CliffordT, _) => outln!("angle bits      none (no rz)"),
        (_, 0) => outln!("angle bits      exact (f64)"),
        (_, b) => outln!("angle bits      {b}"),
    }
    outln!("bytes           {}", report.bytes);
    if let (Some(p), Some(out)) = (&report.pulses, &args.samples) {
        outln!(
            "samples         {} x {} dt ({} non-zero) on {}",
            p.channels.len(),
            p.duration_dt,
            p.samples,
            p.channels.join(" ")
        );
        outln!("wrote           {}", out.display());
    }
    Ok(())
}

/// Writes decoded pulse rows as int16 `.npy`.
fn write_samples(rows: PulseRows, out: &std::path::Path) -> Result<PulseSummary, String> {
    let n = rows.duration as usize;
    let channels: Vec<String> = rows.channels.iter().map(ToString::to_string).collect();
    // Each row is moved into the array's buffer and dropped: the samples are held about once,
    // and the `.npy` is written straight to the output.
    let count = rows.rows.len();
    // The decoder bounded channels × duration by the file limit.
    let mut flat: Vec<i16> = Vec::with_capacity(2 * n * count);
    let mut played = 0u64;
    for row in rows.rows {
        for [i, q] in row {
            flat.push(i);
            flat.push(q);
            played += u64::from(i != 0 || q != 0);
        }
    }
    let arr = ndarray::Array3::<i16>::from_shape_vec((count, n, 2), flat)
        .map_err(|e| format!("{}: {e}", out.display()))?;
    super::write_output_with(out, |w| {
        ndarray_npy::WriteNpyExt::write_npy(&arr, w)
            .map_err(|e| format!("{}: {e}", out.display()).into())
    })
    .map_err(|e| e.to_string())?;
    Ok(PulseSummary {
        channels,
        duration_dt: rows.duration,
        samples: played,
    })
}
