//! Loading a program: text, files and readers through the chunker, the statement parser and the builder.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::builder::{Builder, Source, run_statements};
use crate::chunker::Chunker;
use crate::error::{ErrorKind, QasmError, SourcePos};
use eqisa_ir::circuit::{Circuit, Version};

/// The language assumed for a file without a version header: OpenQASM 3 for `.qasm3` files.
fn default_version(name: &str) -> Version {
    if name.ends_with(".qasm3") {
        Version::Qasm3
    } else {
        Version::Qasm2
    }
}

/// Parse program text. `name` is used in error messages; includes resolve against the current
/// directory.
///
/// ```
/// let c = eqisa_qasm::parse_str(
///     "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\nh q[0];\ncx q[0], q[1];\nc = measure q;\n",
///     "bell.qasm3",
/// )?;
/// assert_eq!((c.num_qubits, c.num_clbits), (2, 2));
/// // Errors name the file, line and column of the problem.
/// let e = eqisa_qasm::parse_str("OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n", "bad.qasm").unwrap_err();
/// assert!(e.to_string().starts_with("bad.qasm:3:"), "{e}");
/// # Ok::<(), eqisa_qasm::QasmError>(())
/// ```
pub fn parse_str(text: &str, name: &str) -> Result<Circuit, QasmError> {
    if text.is_empty() {
        return Err(QasmError::Empty {
            file: Arc::from(name),
        });
    }
    // Text that cannot be OpenQASM goes through the chunker, which parses the statements
    // before the bad byte first, so that text and reader give the same first error.
    if crate::chunker::check_text(text.as_bytes()).is_err() {
        return parse_reader(text.as_bytes(), Arc::from(name), PathBuf::from("."));
    }
    let mut b = Builder::new(default_version(name));
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut src = Source::new(Arc::from(name), PathBuf::from("."), text, 1);
    run_statements(&mut b, &mut src)?;
    Ok(b.finish())
}

/// Parse a program file; includes resolve against the file's directory.
pub fn parse_file(path: impl AsRef<Path>) -> Result<Circuit, QasmError> {
    let path = path.as_ref();
    let name: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
    let file = std::fs::File::open(path).map_err(|source| QasmError::Io {
        file: name.clone(),
        source,
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    parse_reader_sized(file, name, dir, size)
}

/// Parse a program from a reader (a file, stdin). `name` appears in errors, `dir` is where
/// includes are looked for.
pub fn parse_reader(reader: impl Read, name: Arc<str>, dir: PathBuf) -> Result<Circuit, QasmError> {
    parse_reader_sized(reader, name, dir, 0)
}

/// [`parse_reader`] with the expected size of the text, to size the IR up front.
fn parse_reader_sized(
    reader: impl Read,
    name: Arc<str>,
    dir: PathBuf,
    size_hint: u64,
) -> Result<Circuit, QasmError> {
    let mut b = Builder::new(default_version(&name));
    // Cap the hint: a special file may report any size, and beyond 64 MiB growing is cheap
    // next to parsing.
    b.reserve_for(size_hint.min(64 << 20));
    let mut chunks = Chunker::new(reader);
    let mut line = 1u32;
    let mut first = true;
    loop {
        let bytes = match chunks.next_chunk() {
            Ok(Some(bytes)) => bytes,
            Ok(None) => break,
            Err(e) => return Err(e.at(&name, line)),
        };
        // The chunker checked the bytes: they are UTF-8.
        let mut text = std::str::from_utf8(bytes).map_err(|_| QasmError::At {
            pos: SourcePos {
                file: name.clone(),
                line,
                col: 1,
            },
            kind: ErrorKind::Invalid("the file is not valid UTF-8 text".into()),
        })?;
        if first {
            text = text.strip_prefix('\u{feff}').unwrap_or(text);
            first = false;
        }
        let mut src = Source::new(name.clone(), dir.clone(), text, line);
        run_statements(&mut b, &mut src)?;
        line = line.saturating_add(bytes.iter().filter(|&&c| c == b'\n').count() as u32);
    }
    if !chunks.any() {
        return Err(QasmError::Empty { file: name });
    }
    Ok(b.finish())
}
