//! Reading input files whole, within a size limit.
//!
//! Every file the toolchain reads whole (codebooks, device and target files, energy models,
//! `.eqb` programs that are simulated, OpenQASM includes) goes through [`read`] or
//! [`read_to_string`], so that `/dev/zero`, a FIFO that never ends, or a runaway file is an
//! error naming the limit, not an allocation without end. The limit is one for the process
//! ([`DEFAULT_LIMIT`], 256 MiB; [`set_limit`] raises or lowers it: the CLI's `--max-file-mb`).
//! Errors are [`std::io::Error`]s, so each loader keeps reporting them with its file's name.
//!
//! ```
//! let dir = std::env::temp_dir().join(format!("eqisa-files-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("device.toml");
//! std::fs::write(&path, "dt_ns = 0.5\n").unwrap();
//! assert_eq!(eqisa_files::read_to_string(&path).unwrap(), "dt_ns = 0.5\n");
//! let err = eqisa_files::read(&dir).unwrap_err();
//! assert_eq!(err.kind(), std::io::ErrorKind::IsADirectory);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The default limit on a file read whole: 256 MiB, far above any codebook, device or energy
/// model, and above the largest `.eqb` program of the corpus by three orders of magnitude.
pub const DEFAULT_LIMIT: u64 = 256 << 20;

static LIMIT: AtomicU64 = AtomicU64::new(DEFAULT_LIMIT);

/// Sets the process-wide limit, in bytes, on a file read whole (at least 1).
pub fn set_limit(bytes: u64) {
    LIMIT.store(bytes.max(1), Ordering::Relaxed);
}

/// The process-wide limit, in bytes, on a file read whole.
pub fn limit() -> u64 {
    LIMIT.load(Ordering::Relaxed)
}

/// Reads the file at `path` whole, refusing directories and anything longer than [`limit`]
/// (with [`io::ErrorKind::FileTooLarge`] and a message that names the limit and how to raise it).
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory, not a file",
        ));
    }
    read_from(file)
}

/// Reads `source` to its end, refusing more than [`limit`] bytes (standard input, say).
pub fn read_from(source: impl Read) -> io::Result<Vec<u8>> {
    let max = limit();
    let mut out = Vec::new();
    source.take(max.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > max {
        return Err(too_large(max));
    }
    Ok(out)
}

/// Reads the file at `path` whole as UTF-8 text, within [`limit`]; text that is not UTF-8 is an
/// [`io::ErrorKind::InvalidData`] error naming the byte offset.
pub fn read_to_string(path: &Path) -> io::Result<String> {
    String::from_utf8(read(path)?).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}

fn too_large(max: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!(
            "longer than the {} limit on files read whole (raise it with --max-file-mb)",
            show_size(max)
        ),
    )
}

/// `max` in the largest binary unit that divides it, or in bytes.
fn show_size(max: u64) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if max >= 1 << shift && max.is_multiple_of(1 << shift) {
            return format!("{} {unit}", max >> shift);
        }
    }
    format!("{max}-byte")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_longer_than_the_limit_is_refused_and_one_at_it_is_read() {
        // The limit is process-wide; this test alone changes it in this crate's test binary.
        set_limit(16);
        let at = read_from(&[7u8; 16][..]).unwrap();
        assert_eq!(at.len(), 16);
        let err = read_from(io::repeat(0)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert!(err.to_string().contains("16-byte limit"), "{err}");
        set_limit(DEFAULT_LIMIT);
        assert!(too_large(DEFAULT_LIMIT).to_string().contains("256 MiB"));
    }

    #[test]
    fn dev_zero_ends_in_an_error() {
        let path = Path::new("/dev/zero");
        if path.exists() {
            let err = read(path).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        }
    }
}
