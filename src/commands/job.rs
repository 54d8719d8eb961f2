//! Jobs at the command line: `assemble A B ... -o JOB.eqb` (files, quoted globs or a
//! directory) and `decode JOB.eqb --output-dir DIR`.

use std::path::{Path, PathBuf};

use crate::output::outln;
use eqisa_pipeline::job::{
    DecodedCircuit, JobLine, JobReport, assemble_files, circuit_qasm, decode_job,
};
use eqisa_pipeline::simulate::{CircuitSpan, circuit_size};
use eqisa_pipeline::{AssembleOptions, LoadedCodebook, load_codebook};
use indicatif::{ProgressBar, ProgressStyle};

use super::CmdResult;

/// Extensions of the circuit files a directory contributes to a job.
const CIRCUIT_EXTENSIONS: [&str; 3] = ["qasm", "qasm3", "stim"];

/// Whether `name` matches `pattern`, whose `*` matches any run of characters and `?` one.
fn matches(pattern: &[char], name: &[char]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some('*'), _) => {
            matches(&pattern[1..], name) || (!name.is_empty() && matches(pattern, &name[1..]))
        }
        (Some('?'), Some(_)) => matches(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => matches(&pattern[1..], &name[1..]),
        _ => false,
    }
}

/// Sorted entries of `dir` whose names pass `keep`.
fn listed(dir: &Path, keep: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    })
    .map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut out = Vec::new();
    for e in entries {
        let path = e.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.is_file() && keep(&path) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// The circuit files `args` name: each file as given, each directory's circuit files in name
/// order, and each pattern with `*` or `?` in its file name (quoted, so the shell left it) as
/// the files it matches.
///
/// # Errors
/// For a directory without circuit files, a pattern that matches nothing, or an unreadable
/// directory.
pub fn expand_files(args: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for a in args {
        if a.is_dir() {
            let found = listed(a, |p| {
                p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| CIRCUIT_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
            })?;
            if found.is_empty() {
                return Err(format!(
                    "{}: a directory without circuit files (.qasm, .qasm3 or .stim)",
                    a.display()
                ));
            }
            out.extend(found);
            continue;
        }
        let pattern = a
            .file_name()
            .map(|n| n.to_string_lossy().chars().collect::<Vec<char>>())
            .unwrap_or_default();
        if !a.exists() && pattern.iter().any(|c| matches!(c, '*' | '?')) {
            let dir = a.parent().unwrap_or(Path::new(""));
            let found = listed(dir, |p| {
                p.file_name().is_some_and(|n| {
                    matches(
                        &pattern,
                        &n.to_string_lossy().chars().collect::<Vec<char>>(),
                    )
                })
            })?;
            if found.is_empty() {
                return Err(format!("{}: no file matches the pattern", a.display()));
            }
            out.extend(found);
            continue;
        }
        out.push(a.clone());
    }
    Ok(out)
}

/// Where a job command writes, and with which codebook.
pub struct JobOutput<'a> {
    /// The codebook (default: the embedded one).
    pub codebook: Option<&'a Path>,
    /// The `.eqb` to write (`-`: standard output).
    pub output: Option<&'a Path>,
    /// Print JSON.
    pub json: bool,
}

/// `eqisa assemble` of several circuits: one job.
pub fn assemble(
    files: &[PathBuf],
    inputs: &[(String, String)],
    opts: &AssembleOptions,
    flat: bool,
    out: &JobOutput<'_>,
) -> CmdResult {
    if out.output.is_some_and(|o| o.as_os_str() == "-") {
        crate::output::summary_to_stderr();
    }
    let cb = load_codebook(out.codebook)?;
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos}/{len} circuits")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    bar.set_prefix("assemble");
    let job = assemble_files(files, inputs, &cb, opts, flat, |n| {
        bar.set_position(n as u64);
    });
    bar.finish_and_clear();
    let job = job?;
    if let Some(o) = out.output {
        super::write_bytes(o, &job.bytes)?;
    }
    if out.json {
        outln!("{}", serde_json::to_string_pretty(&job.report)?);
        return Ok(());
    }
    print_job(&job.report, &cb, out.output, job.bytes.len())
}

/// `eqisa assemble PROGRAM --inputs SWEEP.csv`: a parameter sweep.
pub fn sweep(file: &Path, table: &Path, opts: &AssembleOptions, out: &JobOutput<'_>) -> CmdResult {
    if out.output.is_some_and(|o| o.as_os_str() == "-") {
        crate::output::summary_to_stderr();
    }
    let cb = load_codebook(out.codebook)?;
    let job = eqisa_pipeline::job::assemble_sweep(file, table, &cb, opts)?;
    if let Some(o) = out.output {
        super::write_bytes(o, &job.bytes)?;
    }
    if out.json {
        outln!("{}", serde_json::to_string_pretty(&job.report)?);
        return Ok(());
    }
    print_job(&job.report, &cb, out.output, job.bytes.len())?;
    if let Some(s) = &job.report.sweep {
        outln!(
            "sweep             {} points over {} from {}; {}",
            s.points,
            s.inputs.join(", "),
            s.inputs_file,
            if s.template {
                format!(
                    "one template and a {}-byte table ({} varying angles)",
                    s.table_bytes, s.varying_angles
                )
            } else {
                "the points differ in shape: each is a circuit".to_string()
            }
        );
        outln!(
            "one point         {} bits alone; the sweep costs {:.2}× that",
            s.one_point_bits,
            s.ratio_to_one_point
        );
    }
    Ok(())
}

fn print_job(r: &JobReport, cb: &LoadedCodebook, output: Option<&Path>, bytes: usize) -> CmdResult {
    outln!(
        "job               {} circuits ({} register layouts)",
        r.circuits,
        r.sections.layouts
    );
    outln!("target            {}", r.target);
    outln!("native ops        {}", r.native_ops);
    outln!(
        "fidelity bound    {} (the worst circuit's)",
        r.fidelity_bound
    );
    outln!(
        "codebook          {} ({} bytes)",
        cb.origin,
        r.codebook_bytes
    );
    if let Some(out) = output {
        outln!("wrote             {} ({bytes} bytes)", out.display());
    }
    outln!(
        "per circuit       {:.1} bits of framing, {:.1} bits of name",
        r.framing_bits_per_circuit,
        r.name_bits_per_circuit
    );
    outln!(
        "alone             {} bits, each circuit its own .eqb ({:.2}× the job)",
        r.alone_bits,
        r.alone_bits as f64 / r.bits.eqisa as f64
    );
    outln!("bits              (whole job; ratio to eqisa)");
    outln!(
        "  {:<22} {:>14.0}  {:>8.2}×",
        "eqisa",
        r.bits.eqisa as f64,
        1.0
    );
    super::bits::print_baselines(&r.bits, None)?;
    Ok(())
}

/// The job line of `report`.
pub fn print_job_line(j: &JobLine) -> Result<(), String> {
    let ratio = |v: Option<u64>| {
        v.map_or("—".to_string(), |v| {
            format!("{v} ({:.2}×)", v as f64 / j.eqisa_bits as f64)
        })
    };
    outln!();
    outln!(
        "as one job: {} circuits back to back in one program: eqisa {} bits ({:.1} bits of framing per circuit); each circuit its own file {}; over the concatenated binary streams xz -9 {}, zstd -19 {}, bzip2 -9 {}",
        j.circuits,
        j.eqisa_bits,
        j.framing_bits_per_circuit,
        ratio(Some(j.alone_bits)),
        ratio(j.xz_bits),
        ratio(j.zstd_bits),
        ratio(j.bzip2_bits)
    );
    Ok(())
}

/// `eqisa decode JOB.eqb --output-dir DIR`: one OpenQASM file per circuit. Every circuit is
/// decoded before any file is written, and a failed write removes the files written before it.
pub fn decode(file: &Path, codebook: Option<&Path>, dir: &Path, json: bool) -> CmdResult {
    let name = file.display().to_string();
    let cb = load_codebook(codebook)?;
    let bytes = if file.as_os_str() == "-" {
        eqisa_files::read_from(std::io::stdin().lock())
    } else {
        eqisa_files::read(file)
    }
    .map_err(|e| format!("{name}: {e}"))?;
    let circuits = if eqisa_pipeline::job::is_job(&bytes) {
        decode_job(&bytes, &name, &cb)?
    } else {
        let stem = file
            .file_stem()
            .filter(|_| file.as_os_str() != "-")
            .map_or_else(|| "stdin".to_string(), |s| s.to_string_lossy().into_owned());
        vec![eqisa_pipeline::job::decode_single(
            &bytes, &name, &stem, &cb,
        )?]
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut written: Vec<PathBuf> = Vec::new();
    let mut rows = Vec::new();
    for c in &circuits {
        let text = circuit_qasm(c)?;
        let ext = if text.starts_with("OPENQASM 3") {
            "qasm3"
        } else {
            "qasm"
        };
        let path = dir.join(format!("{}.{ext}", c.name));
        if let Err(e) = super::write_output(&path, text.as_bytes()) {
            for w in &written {
                let _ = std::fs::remove_file(w);
            }
            return Err(e.into());
        }
        rows.push(row(c, &path));
        written.push(path);
    }
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "file": name,
                "circuits": circuits.len(),
                "native_ops": rows.iter().map(|r| r.native_ops).sum::<u64>(),
                "bytes": bytes.len(),
                "per_circuit": rows,
            }))?
        );
        return Ok(());
    }
    outln!("file            {name}");
    outln!("circuits        {}", circuits.len());
    for r in &rows {
        outln!(
            "  {:<24} {:>8} ops {:>12.1} ns  {}",
            r.name,
            r.native_ops,
            r.duration_ns,
            r.written
        );
    }
    Ok(())
}

/// `eqisa decode JOB.eqb -o OUT` of a job of one circuit: that circuit.
pub fn decode_one(file: &Path, name: &str, out: &JobOutput<'_>) -> CmdResult {
    let cb = load_codebook(out.codebook)?;
    let bytes = eqisa_files::read(file).map_err(|e| format!("{name}: {e}"))?;
    let circuits = decode_job(&bytes, name, &cb)?;
    let c = circuits
        .first()
        .ok_or_else(|| format!("{name}: a job without circuits"))?;
    if let Some(o) = out.output {
        super::write_bytes(o, circuit_qasm(c)?.as_bytes())?;
    }
    let r = row(c, out.output.unwrap_or(Path::new("")));
    if out.json {
        outln!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        outln!("file            {name}");
        outln!("circuit         {}", r.name);
        outln!("ops             {}", r.native_ops);
        outln!("duration        {:.1} ns", r.duration_ns);
    }
    Ok(())
}

/// Print a job's circuits on the controller; an empty list is a sweep's.
pub fn print_spans(spans: &[CircuitSpan], schedule_ns: f64) -> Result<(), String> {
    if spans.is_empty() {
        outln!(
            "sweep             the decoder plays the sweep's template once: expanding its points in the decoder is not built, so these figures are one point's"
        );
        return Ok(());
    }
    outln!("circuits          {} back to back", spans.len());
    for s in spans {
        outln!(
            "  {:<24} {:>8} ops  {:>12.1} ns from {:>12.1} ns ({:.1} % of the schedule)",
            s.name,
            s.native_ops,
            s.duration_ns,
            s.start_ns,
            100.0 * s.duration_ns / schedule_ns.max(f64::MIN_POSITIVE)
        );
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct Row {
    name: String,
    written: String,
    native_ops: u64,
    text_ops: u64,
    duration_ns: f64,
}

fn row(c: &DecodedCircuit, path: &Path) -> Row {
    let size = circuit_size(c);
    Row {
        name: c.name.clone(),
        written: path.display().to_string(),
        native_ops: size.native_ops,
        text_ops: size.text_ops,
        duration_ns: size.duration_ns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_like_a_shell() {
        let m = |p: &str, n: &str| {
            matches(
                &p.chars().collect::<Vec<_>>(),
                &n.chars().collect::<Vec<_>>(),
            )
        };
        assert!(m("*.qasm", "bell.qasm"));
        assert!(!m("*.qasm", "bell.qasm3"));
        assert!(m("rb_??.qasm", "rb_07.qasm"));
        assert!(!m("rb_??.qasm", "rb_7.qasm"));
        assert!(m("*", ""));
    }
}
