//! `eqisa decode`: stream an `.eqb` program through the decoder and write it back as OpenQASM.

use std::io::Read;
use std::path::PathBuf;

use eqisa_assembler::rebuild::{Decoded, rebuild};
use eqisa_decoder::{Decoder, Fed, feed_chunks};
use eqisa_isa::IsaError;
use serde::Serialize;

use super::CmdResult;
use eqisa_pipeline::{LoadedCodebook, load_codebook, short_hash};

/// Arguments of `eqisa decode`.
#[derive(clap::Args)]
pub struct Args {
    /// The program (.eqb) to decode (`-` for standard input).
    pub file: PathBuf,
    /// The codebook it was assembled with (default: the embedded one).
    #[arg(long, value_name = "CODEBOOK")]
    pub codebook: Option<PathBuf>,
    /// Write the decoded program as OpenQASM 2 (OpenQASM 3 when its conditions need it).
    #[arg(short, long, value_name = "OUT.qasm")]
    pub output: Option<PathBuf>,
    /// Rebuild the pulse section's samples (bit for bit what the assembler coded) and write them
    /// as an int16 `.npy` array of shape (channels, samples, 2): the DAC's I and Q codes, one
    /// row per channel in the order JSON `pulses.channels` lists them, zero where a channel
    /// idles. Needs a program assembled with `--pulses` and the codebook's pulse atoms.
    #[arg(long, value_name = "OUT.npy")]
    pub samples: Option<PathBuf>,
    /// Print JSON: target, qubits, clbits, ops (by name), native_ops, duration_ns, angle_bits,
    /// bytes, codebook_hash; with --samples also pulses {channels, duration_dt, samples}.
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
    pulses: Option<PulseSummary>,
}

/// What `--samples` rebuilt.
#[derive(Serialize)]
struct PulseSummary {
    channels: Vec<String>,
    duration_dt: u64,
    /// Non-zero samples written (all rows).
    samples: u64,
}

struct Owned {
    opcode: eqisa_isa::instr::Opcode,
    qubits: smallvec::SmallVec<[u32; 2]>,
    cond: Option<u32>,
    arg: u64,
    start_ns: f64,
    duration_ns: f64,
}

/// Run the command.
pub fn run(args: &Args) -> CmdResult {
    let name = args.file.display().to_string();
    let cb = load_codebook(args.codebook.as_deref())?;
    let mut input: Box<dyn Read> = if args.file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(&args.file).map_err(|e| format!("{name}: {e}"))?)
    };
    let describe = |e: IsaError| -> String {
        match e {
            IsaError::CodebookMismatch { found, .. } => format!(
                "{name}: was assembled with codebook {}, but {} is {}; pass --codebook with the codebook it was assembled with",
                short_hash(&found),
                cb.origin,
                short_hash(&cb.hash)
            ),
            other => format!("{name}: {other}"),
        }
    };
    let mut dec = Decoder::new(&cb.codebook.priors, cb.hash);
    let mut chunk = vec![0u8; 1 << 16];
    let mut total = 0u64;
    let mut ops: Vec<Owned> = Vec::new();
    // --samples decodes the pulse section in a second pass over the whole file.
    let mut kept: Vec<u8> = Vec::new();
    loop {
        let filled = input.read(&mut chunk).map_err(|e| format!("{name}: {e}"))?;
        total += filled as u64;
        let mut piece = chunk.get(..filled).unwrap_or(&[]);
        if args.samples.is_some() {
            kept.extend_from_slice(piece);
        }
        if filled == 0 {
            // The decoder's "truncated" error names what is missing.
            dec.finish().map_err(describe)?;
            return Err(format!("{name}: decoder stalled").into());
        }
        let fed = feed_chunks(&mut dec, &mut piece, usize::MAX, |t| {
            ops.push(Owned {
                opcode: t.instr.opcode,
                qubits: smallvec::SmallVec::from_slice(t.instr.qubits),
                cond: t.instr.cond,
                arg: t.instr.arg,
                start_ns: t.start_ns,
                duration_ns: t.duration_ns,
            });
            Ok(())
        })
        .map_err(describe)?;
        match fed {
            Fed::NeedInput => {}
            Fed::Stalled => return Err(format!("{name}: decoder stalled").into()),
            Fed::End => {
                let mut rest = Vec::new();
                input
                    .read_to_end(&mut rest)
                    .map_err(|e| format!("{name}: {e}"))?;
                let extra = piece.len() + rest.len();
                if extra > 0 {
                    return Err(describe(IsaError::TrailingBytes(extra)).into());
                }
                break;
            }
        }
    }
    let header = dec
        .preamble()
        .map(|p| p.header.clone())
        .ok_or_else(|| format!("{name}: no header"))?;
    let info = dec
        .info()
        .cloned()
        .ok_or_else(|| format!("{name}: no program section"))?;
    let metadata = dec.metadata().unwrap_or(&[]);
    let program = rebuild(
        header.target,
        header.qubit_count,
        header.clbit_count,
        &info,
        metadata,
        ops.iter().map(|o| Decoded {
            opcode: o.opcode,
            qubits: &o.qubits,
            cond: o.cond,
            arg: o.arg,
            start_ns: o.start_ns,
            duration_ns: o.duration_ns,
        }),
    )
    .map_err(|e| format!("{name}: {e}"))?;
    if let Some(out) = &args.output {
        super::write_qasm(&program, out)?;
    }
    let pulses = match &args.samples {
        Some(out) => Some(write_samples(&kept, &cb, out).map_err(|e| format!("{name}: {e}"))?),
        None => None,
    };
    let report = Report {
        file: name.clone(),
        target: header.target.name(),
        qubits: header.qubit_count,
        clbits: header.clbit_count,
        native_ops: program.ops.len() as u64,
        ops: program.counts(),
        duration_ns: program.duration_ns,
        angle_bits: program.angle_bits,
        bytes: total,
        codebook_hash: short_hash(&cb.hash),
        pulses,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("file            {}", report.file);
    println!("target          {}", report.target);
    println!("qubits          {}", report.qubits);
    println!("clbits          {}", report.clbits);
    println!("ops             {}", report.native_ops);
    for (n, c) in &report.ops {
        println!("  {n:<14} {c}");
    }
    println!("duration        {:.1} ns", report.duration_ns);
    match (header.target, report.angle_bits) {
        (eqisa_isa::Target::CliffordT, _) => println!("angle bits      none (no rz)"),
        (_, 0) => println!("angle bits      exact (f64)"),
        (_, b) => println!("angle bits      {b}"),
    }
    println!("bytes           {}", report.bytes);
    if let (Some(p), Some(out)) = (&report.pulses, &args.samples) {
        println!(
            "samples         {} x {} dt ({} non-zero) on {}",
            p.channels.len(),
            p.duration_dt,
            p.samples,
            p.channels.join(" ")
        );
        println!("wrote           {}", out.display());
    }
    Ok(())
}

/// Decodes the pulse section of `bytes` (already verified by the streaming pass) and writes
/// its rows as int16 `.npy`.
fn write_samples(
    bytes: &[u8],
    cb: &LoadedCodebook,
    out: &std::path::Path,
) -> Result<PulseSummary, String> {
    let rows = eqisa_decoder::decode_pulse_rows(bytes, cb.pulse_atoms.as_ref(), cb.hash)
        .map_err(|e| match e {
            IsaError::NoPulseAtoms => format!(
                "its pulse section needs pulse atoms, and {} has none",
                cb.origin
            ),
            other => other.to_string(),
        })?
        .ok_or("has no pulse section (assemble it with --pulses)")?;
    let n = rows.duration as usize;
    let mut arr = ndarray::Array3::<i16>::zeros((rows.rows.len(), n, 2));
    let mut played = 0u64;
    for (r, row) in rows.rows.iter().enumerate() {
        for (c, &[i, q]) in row.iter().enumerate() {
            arr[[r, c, 0]] = i;
            arr[[r, c, 1]] = q;
            played += u64::from(i != 0 || q != 0);
        }
    }
    ndarray_npy::write_npy(out, &arr).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(PulseSummary {
        channels: rows.channels.iter().map(ToString::to_string).collect(),
        duration_dt: rows.duration,
        samples: played,
    })
}
