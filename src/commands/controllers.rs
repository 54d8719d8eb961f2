//! One stream per controller on the command line: `--qubits-per-controller` / `--controllers`
//! for `assemble` and `firmware`, and the multi-stream side of `decode` and `firmware`.

use crate::output::outln;
use std::path::{Path, PathBuf};

use eqisa_assembler::partition::Split;
use eqisa_firmware::FirmwareParams;
use eqisa_pipeline::controllers::{
    ControllersReport, ControllersRun, NeededRow, assemble_controllers, decode_merged,
    lower_program, merged_program, parse_streams,
};
use eqisa_pipeline::{AssembleOptions, LoadedCodebook};

use super::CmdResult;

/// How to cut a program into one stream per controller.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct SplitArgs {
    /// One stream per controller of at most K qubits (contiguous qubit ranges), all in one
    /// multi-stream file; each stream decodes alone, timed in the global program's time.
    #[arg(long, value_name = "K", conflicts_with = "controllers")]
    pub qubits_per_controller: Option<u64>,
    /// As --qubits-per-controller, with N controllers of ceil(qubits/N) qubits at most (the
    /// ranges' sizes differ by at most one).
    #[arg(long, value_name = "N")]
    pub controllers: Option<u64>,
}

impl SplitArgs {
    /// The split asked for, if any.
    pub fn split(&self) -> Option<Split> {
        match (self.qubits_per_controller, self.controllers) {
            (Some(k), _) => Some(Split::QubitsPerController(k)),
            (None, Some(n)) => Some(Split::Controllers(n)),
            (None, None) => None,
        }
    }
}

/// Lower `file` and assemble it as one stream per controller.
pub fn assemble_file(
    file: &Path,
    inputs: &[(String, String)],
    opts: &AssembleOptions,
    flat: bool,
    split: Split,
    cb: &LoadedCodebook,
) -> Result<(Vec<u8>, ControllersReport), Box<dyn std::error::Error>> {
    let source = super::program::load_source(file)?;
    let name = file.display().to_string();
    let (s, target, loops) = lower_program(source.parsed, file, inputs, opts, flat)?;
    let asm = assemble_controllers(&s, loops, &target, &name, split, cb)?;
    Ok((asm.bytes, asm.report))
}

/// Print what [`assemble_file`] made.
pub fn print_assembly(report: &ControllersReport, out: Option<&PathBuf>, json: bool) -> CmdResult {
    if json {
        outln!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    outln!("file              {}", report.file);
    outln!("target            {}", report.target);
    outln!(
        "controllers       {} ({}), {} qubits, {}",
        report.streams.len(),
        report.split,
        report.qubits,
        if report.loops { "loops kept" } else { "flat" }
    );
    outln!("  ctrl  qubits          ports imports exports   text ops    waits      bytes");
    for s in &report.streams {
        outln!(
            "  {:>4}  {:>6}..={:<6} {:>5} {:>7} {:>7} {:>10} {:>8} {:>10}",
            s.controller,
            s.qubits.0,
            s.qubits.1,
            s.ports,
            s.imports,
            s.exports,
            s.text_ops,
            s.waits,
            s.bytes
        );
    }
    if let Some(out) = out {
        outln!(
            "wrote             {} ({} bytes)",
            out.display(),
            report.file_bytes
        );
    }
    Ok(())
}

/// Whether the file at `path` is a multi-stream file (reads its first bytes).
pub fn is_streams_file(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| eqisa_isa::container::streams::is_streams(&head))
}

/// `eqisa decode` of a multi-stream file: every stream decoded and merged into the global
/// program (OpenQASM to `output`), or with `controller` that controller's stream (an `.eqb`).
pub fn decode(
    bytes: &[u8],
    name: &str,
    cb: &LoadedCodebook,
    controller: Option<usize>,
    output: Option<&PathBuf>,
    json: bool,
) -> CmdResult {
    let file = parse_streams(bytes, name)?;
    if let Some(i) = controller {
        let (entry, stream) = file.controllers.get(i).ok_or_else(|| {
            format!(
                "--controller {i}: {name} holds {} controllers (0..={})",
                file.controllers.len(),
                file.controllers.len() - 1
            )
        })?;
        let out =
            output.ok_or("--controller writes that controller's stream (.eqb): name it with -o")?;
        super::write_output(out, stream)?;
        outln!(
            "controller {i}: qubits {}..={}, {} ports; wrote {} ({} bytes)",
            entry.qubits.first().copied().unwrap_or(0),
            entry.qubits.last().copied().unwrap_or(0),
            entry.ports.len(),
            out.display(),
            stream.len()
        );
        return Ok(());
    }
    let merged = decode_merged(&file, name, cb)?;
    let program = merged_program(&file, &merged, name, cb)?;
    if let Some(out) = output {
        let text = program.to_qasm2().unwrap_or_else(|| program.to_qasm3());
        super::write_output(out, text.as_bytes())?;
    }
    if json {
        let v = serde_json::json!({
            "file": name,
            "controllers": file.controllers.len(),
            "qubits": file.qubit_count,
            "ops": merged.len(),
            "duration_ns": program.duration_ns,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    outln!("file            {name}");
    outln!(
        "controllers     {} (each stream decoded alone, merged)",
        file.controllers.len()
    );
    outln!("qubits          {}", file.qubit_count);
    outln!("ops             {}", merged.len());
    outln!("duration        {:.1} ns", program.duration_ns);
    Ok(())
}

/// `eqisa firmware` of a multi-stream file, as text: what [`eqisa_pipeline::simulate()`] found.
pub fn print_firmware(run: &ControllersRun, params: &FirmwareParams) -> CmdResult {
    let name = &run.file;
    let s = &run.system;
    let opt = |v: Option<f64>, digits: usize, unit: &str| {
        v.map_or("none".to_string(), |v| format!("{v:.digits$} {unit}"))
    };
    outln!("file              {name}");
    outln!(
        "controllers       {}, each link {} Gb/s (of {}), clock {} MHz, head start {} ns",
        s.controllers,
        s.link_gbps_each,
        params.link_gbps,
        params.clock_mhz,
        params.startup_ns
    );
    outln!("schedule          {:.1} ns", s.schedule_ns);
    outln!("underruns         {}", s.underruns);
    outln!(
        "peak FIFO         {} bits (largest controller)",
        s.peak_fifo_bits_max
    );
    outln!(
        "min link          {} per controller; {} in all at equal shares, {} sized per controller",
        opt(s.min_link_gbps_each, 4, "Gb/s"),
        opt(s.min_link_gbps_total, 4, "Gb/s"),
        opt(s.min_link_gbps_sum, 4, "Gb/s")
    );
    outln!("latency           {}", opt(s.latency_ns, 1, "ns"));
    outln!(
        "energy            {:.3e} J; wall-plug {:.3e} J",
        s.energy_j,
        s.wall_plug_j
    );
    outln!("  ctrl      bytes  underruns  peak FIFO   min link Gb/s   latency ns   energy J");
    for r in &run.per_controller {
        outln!(
            "  {:>4} {:>10} {:>10} {:>10} {:>15} {:>12} {:>10.3e}",
            r.controller,
            r.bytes,
            r.sim.underruns,
            r.sim.peak_fifo_bits,
            r.sim
                .min_link_gbps
                .map_or("none".to_string(), |v| format!("{v:.4}")),
            r.sim
                .latency_ns
                .map_or("none".to_string(), |v| format!("{v:.1}")),
            r.energy_j
        );
    }
    Ok(())
}

/// Print the rows of [`eqisa_pipeline::controllers::needed`].
pub fn print_needed(rows: &[NeededRow], clock_mhz: f64) -> Result<(), String> {
    outln!("controllers at {clock_mhz} MHz (fewest with zero underruns; contiguous qubit ranges):");
    for r in rows {
        match (r.qubits_per_controller, r.controllers) {
            (Some(k), Some(n)) => outln!(
                "  {}: {} qubits: {n} controller{} of <= {k} qubits, each link >= {}",
                r.file,
                r.qubits,
                if n == 1 { "" } else { "s" },
                r.min_link_gbps_each
                    .map_or("any".to_string(), |v| format!("{v:.4} Gb/s"))
            ),
            _ => outln!(
                "  {}: {} qubits: underruns even at one qubit per controller",
                r.file,
                r.qubits
            ),
        }
    }
    Ok(())
}
