//! Reading an included file, for both front ends: a regular file, read whole within the limit on
//! files read whole ([`eqisa_files`]), then checked as the main file's stream is. A device or
//! FIFO (`/dev/zero`) is no library: it is refused before a byte is read, not after the limit's
//! worth.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::builder::Source;
use crate::error::{ErrorKind, QasmError};

/// An included file's text, with its name (for errors) and directory (for its own includes).
pub(crate) struct Included {
    pub name: Arc<str>,
    pub dir: PathBuf,
    pub text: String,
}

/// Read the file `full`, named `path` by the `include` at `at` in `src`.
pub(crate) fn read_included(
    full: &Path,
    path: &str,
    at: &str,
    src: &mut Source<'_>,
) -> Result<Included, QasmError> {
    let mut include_err = |reason: String| {
        src.err(
            at,
            ErrorKind::Include {
                path: path.to_string(),
                reason,
            },
        )
    };
    let bytes = match std::fs::metadata(full).map(|m| m.is_file()) {
        Ok(false) => return Err(include_err("not a regular file".into())),
        _ => eqisa_files::read(full).map_err(|e| include_err(e.to_string()))?,
    };
    let name: Arc<str> = Arc::from(full.to_string_lossy().as_ref());
    crate::chunker::check_text(&bytes).map_err(|e| e.at(&name, 1))?;
    // `check_text` passed: the bytes are UTF-8.
    let text = String::from_utf8(bytes).map_err(|e| include_err(e.to_string()))?;
    let text = match text.strip_prefix('\u{feff}') {
        Some(t) => t.to_string(),
        None => text,
    };
    Ok(Included {
        name,
        dir: full.parent().map(Path::to_path_buf).unwrap_or_default(),
        text,
    })
}
