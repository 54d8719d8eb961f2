//! Loading a program: text, files and readers through the chunker, then the OpenQASM 2
//! statement parser and builder, or the OpenQASM 3 parser and elaborator, chosen by the version
//! header (or, without one, by the file's extension).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::builder::{Builder, Source, run_statements};
use crate::chunker::Chunker;
use crate::error::{ErrorKind, QasmError, SourcePos};
use crate::flatten::{Parsed, flatten};
use crate::v3::elaborate::Elaborator;
use crate::v3::parse::{SyntaxError, next_statement};
use eqisa_ir::circuit::{Circuit, Version};

/// The language assumed for a file without a version header: OpenQASM 3 for `.qasm3` files.
pub(crate) fn default_version(name: &str) -> Version {
    if name.ends_with(".qasm3") {
        Version::Qasm3
    } else {
        Version::Qasm2
    }
}

/// The language of a program whose text starts with `text`: the version header's if there is
/// one (an invalid header is left to the parser to report); without one, OpenQASM 3 when the
/// text reads as OpenQASM 3 (the specification's own examples omit the header), else `default`.
pub(crate) fn declared_version(text: &str, default: Version) -> Version {
    let rest = crate::syntax::skip_ws_and_comments(text);
    let Some(after) = rest.strip_prefix("OPENQASM") else {
        return if default == Version::Qasm2 && reads_as_qasm3(text) {
            Version::Qasm3
        } else {
            default
        };
    };
    match after.trim_start().as_bytes().first() {
        Some(b'2') => Version::Qasm2,
        Some(b'3') => Version::Qasm3,
        _ => default,
    }
}

/// Words that begin a statement in OpenQASM 3 and in no OpenQASM 2 program.
const QASM3_ONLY: &[&str] = &[
    "qubit",
    "bit",
    "def",
    "defcal",
    "defcalgrammar",
    "cal",
    "const",
    "input",
    "output",
    "let",
    "for",
    "while",
    "switch",
    "box",
    "int",
    "uint",
    "float",
    "angle",
    "bool",
    "complex",
    "duration",
    "stretch",
    "array",
    "extern",
    "return",
    "break",
    "continue",
    "end",
    "pragma",
    "delay",
];

/// Whether text without a version header is OpenQASM 3, judged by its first statement (the same
/// whether the file arrives whole or in chunks): an include of `stdgates.inc`, or a word only
/// OpenQASM 3 has.
fn reads_as_qasm3(text: &str) -> bool {
    let start = crate::syntax::skip_ws_and_comments(text);
    let first = start.split(';').next().unwrap_or("");
    if first.starts_with("include") {
        return first.contains("stdgates.inc");
    }
    let word = first
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    QASM3_ONLY.contains(&word)
}

/// The front end a program goes through.
enum Front {
    Qasm2(Box<Builder>),
    Qasm3(Box<Elaborator>),
}

impl Front {
    fn new(version: Version, file: &Arc<str>, dir: &Path) -> Self {
        match version {
            Version::Qasm2 => Front::Qasm2(Box::new(Builder::new(Version::Qasm2))),
            Version::Qasm3 => {
                Front::Qasm3(Box::new(Elaborator::new(file.clone(), dir.to_path_buf())))
            }
        }
    }

    /// Parse and take in every statement of `src`.
    fn run(&mut self, src: &mut Source<'_>) -> Result<(), QasmError> {
        match self {
            Front::Qasm2(b) => run_statements(b, src),
            Front::Qasm3(e) => {
                let mut rest = src.text;
                loop {
                    match next_statement(rest) {
                        Ok(None) => return Ok(()),
                        Ok(Some((stmt, r))) => {
                            e.statement(&stmt, src)?;
                            rest = r;
                        }
                        Err(SyntaxError { at, kind }) => return Err(src.err(at, kind)),
                    }
                }
            }
        }
    }

    fn finish(self) -> Result<Parsed, QasmError> {
        match self {
            Front::Qasm2(b) => Ok(Parsed::Flat((*b).finish())),
            Front::Qasm3(e) => Ok(Parsed::Structured(e.finish()?)),
        }
    }
}

/// Parse program text. `name` is used in error messages; includes resolve against the current
/// directory. OpenQASM 3 programs are flattened ([`flatten`]) without inputs.
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
    flatten(parse_program_str(text, name)?, &[])
}

/// Parse a program file; includes resolve against the file's directory. OpenQASM 3 programs
/// are flattened ([`flatten`]) without inputs.
pub fn parse_file(path: impl AsRef<Path>) -> Result<Circuit, QasmError> {
    flatten(parse_program_file(path)?, &[])
}

/// Parse a program from a reader (a file, stdin). `name` appears in errors, `dir` is where
/// includes are looked for. OpenQASM 3 programs are flattened ([`flatten`]) without inputs.
pub fn parse_reader(reader: impl Read, name: Arc<str>, dir: PathBuf) -> Result<Circuit, QasmError> {
    flatten(parse_program_reader(reader, name, dir)?, &[])
}

/// Parse program text, keeping an OpenQASM 3 program's structure.
///
/// ```
/// use eqisa_qasm::Parsed;
/// let text = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit q;\n\
///             for int i in [0:999999] { x q; }\n";
/// let Parsed::Structured(p) = eqisa_qasm::parse_program_str(text, "loop.qasm3")? else {
///     unreachable!("an OpenQASM 3 program keeps its structure");
/// };
/// // The loop is one statement with its body, not a million operations.
/// assert_eq!(p.body.len(), 1);
/// # Ok::<(), eqisa_qasm::QasmError>(())
/// ```
pub fn parse_program_str(text: &str, name: &str) -> Result<Parsed, QasmError> {
    if text.is_empty() {
        return Err(QasmError::Empty {
            file: Arc::from(name),
        });
    }
    // Text that cannot be OpenQASM goes through the chunker, which parses the statements
    // before the bad byte first, so that text and reader give the same first error.
    if crate::chunker::check_text(text.as_bytes()).is_err() {
        return parse_program_reader(text.as_bytes(), Arc::from(name), PathBuf::from("."));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let file: Arc<str> = Arc::from(name);
    let dir = PathBuf::from(".");
    let mut front = Front::new(declared_version(text, default_version(name)), &file, &dir);
    let mut src = Source::new(file, dir, text, 1);
    front.run(&mut src)?;
    front.finish()
}

/// Parse a program file, keeping an OpenQASM 3 program's structure.
pub fn parse_program_file(path: impl AsRef<Path>) -> Result<Parsed, QasmError> {
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

/// Parse a program from a reader, keeping an OpenQASM 3 program's structure.
pub fn parse_program_reader(
    reader: impl Read,
    name: Arc<str>,
    dir: PathBuf,
) -> Result<Parsed, QasmError> {
    parse_reader_sized(reader, name, dir, 0)
}

/// [`parse_program_reader`] with the expected size of the text, to size the IR up front.
/// A chunk's text (the chunker checked its bytes: they are UTF-8), starting at `line` of `name`.
pub(crate) fn chunk_text<'a>(
    bytes: &'a [u8],
    name: &Arc<str>,
    line: u32,
) -> Result<&'a str, QasmError> {
    std::str::from_utf8(bytes).map_err(|_| QasmError::At {
        pos: SourcePos {
            file: name.clone(),
            line,
            col: 1,
        },
        kind: ErrorKind::Invalid("the file is not valid UTF-8 text".into()),
    })
}

fn parse_reader_sized(
    reader: impl Read,
    name: Arc<str>,
    dir: PathBuf,
    size_hint: u64,
) -> Result<Parsed, QasmError> {
    let mut front: Option<Front> = None;
    let mut chunks = Chunker::new(reader);
    let mut line = 1u32;
    loop {
        let bytes = match chunks.next_chunk() {
            Ok(Some(bytes)) => bytes,
            Ok(None) => break,
            Err(e) => return Err(e.at(&name, line)),
        };
        let mut text = chunk_text(bytes, &name, line)?;
        let front = match &mut front {
            Some(f) => f,
            None => {
                text = text.strip_prefix('\u{feff}').unwrap_or(text);
                let version = declared_version(text, default_version(&name));
                let mut f = Front::new(version, &name, &dir);
                if let Front::Qasm2(b) = &mut f {
                    // Cap the hint: a special file may report any size, and beyond 64 MiB
                    // growing is cheap next to parsing.
                    b.reserve_for(size_hint.min(64 << 20));
                }
                front.insert(f)
            }
        };
        let mut src = Source::new(name.clone(), dir.clone(), text, line);
        front.run(&mut src)?;
        line = line.saturating_add(bytes.iter().filter(|&&c| c == b'\n').count() as u32);
    }
    match front {
        Some(f) if chunks.any() => f.finish(),
        _ => Err(QasmError::Empty { file: name }),
    }
}
