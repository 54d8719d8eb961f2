//! Reading an included file, for both front ends: a regular file, read whole within the limit on
//! files read whole ([`eqisa_files`]), then checked as the main file's stream is. A device or
//! FIFO (`/dev/zero`) is no library: it is refused before a byte is read, not after the limit's
//! worth.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::QasmError;

/// An included file's text, with its name (for errors) and directory (for its own includes).
pub(crate) struct Included {
    pub name: Arc<str>,
    pub dir: PathBuf,
    pub text: String,
}

/// Why an included file could not be read.
pub(crate) enum IncludeFailure {
    /// Said at the `include` (the caller names the path and the place).
    Unreadable(String),
    /// Bytes in the file that cannot be OpenQASM, at their place in it.
    Text(QasmError),
}

/// Read the file `full`.
pub(crate) fn read_included(full: &Path) -> Result<Included, IncludeFailure> {
    let unreadable = |e: String| IncludeFailure::Unreadable(e);
    let bytes = match std::fs::metadata(full).map(|m| m.is_file()) {
        Ok(false) => return Err(unreadable("not a regular file".into())),
        _ => eqisa_files::read(full).map_err(|e| unreadable(e.to_string()))?,
    };
    let name: Arc<str> = Arc::from(full.to_string_lossy().as_ref());
    crate::chunker::check_text(&bytes).map_err(|e| IncludeFailure::Text(e.at(&name, 1)))?;
    // `check_text` passed: the bytes are UTF-8.
    let text = String::from_utf8(bytes).map_err(|e| unreadable(e.to_string()))?;
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
