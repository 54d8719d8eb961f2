//! One module per subcommand.

pub mod assemble;
pub mod bits;
pub mod compile;
pub mod controllers;
pub mod decode;
pub mod firmware;
pub mod inputs;
pub mod inspect;
pub mod job;
pub mod lowering;
pub mod program;
pub mod pulses;
pub mod report;
pub mod statevector;
pub mod train;

/// Write `bytes` to `out` (`-`: standard output) whole or not at all.
pub fn write_bytes(out: &std::path::Path, bytes: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    write_stream_with(out, |w| {
        w.write_all(bytes)
            .map_err(|e| format!("{}: {e}", out.display()).into())
    })
}

/// An error a command reports: the message is printed after `error: `.
pub type CmdResult = Result<(), Box<dyn std::error::Error>>;

/// Write `bytes` to `out` whole or not at all: into a temporary file beside it, renamed over
/// `out` once complete, so that a failed write leaves no half-written output behind. An `out`
/// that is not a regular file (`/dev/stdout`, `/dev/null`, a FIFO) is written in place.
pub fn write_output(out: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    write_output_with(out, |w| {
        w.write_all(bytes)
            .map_err(|e| format!("{}: {e}", out.display()).into())
    })
    .map_err(|e| e.to_string())
}

/// As [`write_output`], for output written as it is produced: `write` gets a buffered writer on a
/// temporary file beside `out`, which is renamed over `out` once `write` succeeded and the file
/// is flushed, and removed otherwise. An `out` that exists and is not a regular file (a device
/// or a FIFO) is written in place: renaming a file over it would replace the device.
pub fn write_output_with<T>(
    out: &std::path::Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<T, Box<dyn std::error::Error>>,
) -> Result<T, Box<dyn std::error::Error>> {
    use std::io::Write as _;
    let named = |e: std::io::Error| format!("{}: {e}", out.display());
    if std::fs::metadata(out).is_ok_and(|m| m.is_dir()) {
        return Err(format!("{}: is a directory; name the file to write", out.display()).into());
    }
    // Through a symlink (`-o /dev/stdout` with standard output redirected to a file, or a link
    // to a file): write its target, never rename a file over the link itself.
    let resolved;
    let out = if std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink()) {
        match std::fs::canonicalize(out) {
            Ok(target) => {
                resolved = target;
                resolved.as_path()
            }
            Err(_) => out,
        }
    } else {
        out
    };
    let special = std::fs::metadata(out).is_ok_and(|m| !m.is_file() && !m.is_dir());
    if special {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(out)
            .map_err(named)?;
        let mut w = std::io::BufWriter::new(file);
        let value = write(&mut w)?;
        w.flush().map_err(named)?;
        return Ok(value);
    }
    let mut tmp = out.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = std::path::PathBuf::from(tmp);
    let file = std::fs::File::create(&tmp).map_err(named)?;
    let mut w = std::io::BufWriter::new(file);
    let done = write(&mut w).and_then(|value| {
        w.flush()
            .and_then(|()| std::fs::rename(&tmp, out))
            .map_err(named)?;
        Ok(value)
    });
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

/// As [`write_output_with`], with `-` for standard output, written as produced (a failure is
/// reported, but what was written stays written). For commands whose summary then goes to
/// standard error ([`crate::output::summary_to_stderr`]).
pub fn write_stream_with<T>(
    out: &std::path::Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<T, Box<dyn std::error::Error>>,
) -> Result<T, Box<dyn std::error::Error>> {
    use std::io::Write as _;
    if out.as_os_str() != "-" {
        return write_output_with(out, write);
    }
    let mut w = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let value = write(&mut w)?;
    w.flush().map_err(|e| crate::output::failed(&e))?;
    Ok(value)
}
