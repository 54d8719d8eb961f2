//! Reading an OpenQASM 2 program as it arrives: each chunk of statements (see
//! [`crate::chunker`]) is built into a [`Circuit`] that holds that chunk's operations only, handed
//! to the caller, then emptied; registers and gate definitions carry over. Memory is bounded by
//! the largest chunk, not by the program, so that a program of any length can go through a
//! pipe.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use eqisa_ir::circuit::{Circuit, Version};

use crate::builder::{Builder, Source, run_statements};
use crate::chunker::Chunker;
use crate::error::QasmError;
use crate::load::{chunk_text, declared_version};

/// How a stream ended.
#[derive(Debug)]
pub enum Streamed {
    /// The whole program went through the callback; the circuit holds its registers and gates,
    /// and no operation.
    Done(Box<Circuit>),
    /// The program is OpenQASM 3, which is not read this way (nothing was handed on).
    Qasm3,
}

/// Reads the OpenQASM 2 program from `reader` (`name` in errors, includes resolved in `dir`),
/// calling `each` with the circuit after every chunk of statements: its registers and gates so
/// far, and the operations of that chunk alone.
///
/// ```
/// use std::sync::Arc;
/// let text = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nh q[0];\ncx q[0], q[1];\n";
/// let mut ops = 0;
/// let end = eqisa_qasm::stream_qasm2(text.as_bytes(), Arc::from("bell.qasm"), ".".into(), |c| {
///     ops += c.ops.len();
///     Ok::<(), eqisa_qasm::QasmError>(())
/// })?;
/// assert!(matches!(end, eqisa_qasm::Streamed::Done(c) if c.num_qubits == 2));
/// assert_eq!(ops, 2);
/// # Ok::<(), eqisa_qasm::QasmError>(())
/// ```
///
/// # Errors
/// The first error of the text (with its line and column), of the reader, or of `each`.
pub fn stream_qasm2<E: From<QasmError>>(
    reader: impl Read,
    name: Arc<str>,
    dir: PathBuf,
    mut each: impl FnMut(&Circuit) -> Result<(), E>,
) -> Result<Streamed, E> {
    let mut builder: Option<Box<Builder>> = None;
    let mut chunks = Chunker::new(reader);
    let mut line = 1u32;
    loop {
        let bytes = match chunks.next_chunk() {
            Ok(Some(bytes)) => bytes,
            Ok(None) => break,
            Err(e) => return Err(e.at(&name, line).into()),
        };
        let mut text = chunk_text(bytes, &name, line)?;
        let b = match &mut builder {
            Some(b) => b,
            None => {
                text = text.strip_prefix('\u{feff}').unwrap_or(text);
                let default = crate::load::default_version(&name);
                if declared_version(text, default) == Version::Qasm3 {
                    return Ok(Streamed::Qasm3);
                }
                builder.insert(Box::new(Builder::new(Version::Qasm2)))
            }
        };
        let mut src = Source::new(name.clone(), dir.clone(), text, line);
        run_statements(b, &mut src)?;
        line = line.saturating_add(bytes.iter().filter(|&&c| c == b'\n').count() as u32);
        each(&b.circuit)?;
        let c = &mut b.circuit;
        c.ops.clear();
        c.qubits.clear();
        c.params.clear();
        c.durations.clear();
        c.ifs.clear();
    }
    match builder {
        Some(b) if chunks.any() => Ok(Streamed::Done(Box::new(b.finish()))),
        _ => Err(QasmError::Empty { file: name }.into()),
    }
}
