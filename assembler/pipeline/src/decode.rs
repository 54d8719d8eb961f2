//! Decoding a program: its bytes streamed through the decoder as they are read, every
//! instruction rebuilt into a native program; and its pulse section rebuilt into samples.

use std::io::Read;

use eqisa_assembler::rebuild::{Decoded, rebuild};
use eqisa_decoder::{Decoder, Fed, PulseRows, feed_chunks};
use eqisa_isa::{Header, IsaError};
use eqisa_lower::program::NativeProgram;
use smallvec::SmallVec;

use crate::codebook::{LoadedCodebook, short_hash};
use crate::error::PipelineError;

/// Bytes read from the input at a time.
const CHUNK: usize = 1 << 16;

/// A decoded program.
pub struct DecodedFile {
    /// Its header.
    pub header: Header,
    /// The native program it carries.
    pub program: NativeProgram,
    /// Bytes read.
    pub bytes: u64,
    /// The whole file, when asked to keep it (to decode its pulse section after).
    pub kept: Option<Vec<u8>>,
}

/// One decoded instruction, owned.
struct Owned {
    opcode: eqisa_isa::instr::Opcode,
    qubits: SmallVec<[u32; 2]>,
    cond: Option<u32>,
    arg: u64,
    start_ns: f64,
    duration_ns: f64,
}

/// Stream `input` (named `name` in errors) through the decoder with `cb` and rebuild the
/// program; with `keep`, also return the file's bytes.
///
/// # Errors
/// When the input cannot be read, is not a valid program for this codebook (the message says
/// which codebook it was assembled with), or has bytes after its end.
pub fn decode_program(
    mut input: impl Read,
    name: &str,
    cb: &LoadedCodebook,
    keep: bool,
) -> Result<DecodedFile, PipelineError> {
    let fail = |message: String| PipelineError::Decode {
        file: name.to_string(),
        message,
    };
    let describe = |e: IsaError| match e {
        IsaError::CodebookMismatch { found, .. } => fail(format!(
            "was assembled with codebook {}, but {} is {}; pass --codebook with the codebook it was assembled with",
            short_hash(&found),
            cb.origin,
            short_hash(&cb.hash)
        )),
        other => fail(other.to_string()),
    };
    let mut dec = Decoder::new(&cb.codebook.priors, cb.hash);
    let mut chunk = vec![0u8; CHUNK];
    let mut total = 0u64;
    let mut ops: Vec<Owned> = Vec::new();
    let mut kept: Vec<u8> = Vec::new();
    loop {
        let filled = input.read(&mut chunk).map_err(|e| fail(e.to_string()))?;
        total += filled as u64;
        let mut piece = chunk.get(..filled).unwrap_or(&[]);
        if keep {
            kept.extend_from_slice(piece);
        }
        if filled == 0 {
            // The decoder's "truncated" error names what is missing.
            dec.finish().map_err(describe)?;
            return Err(fail("decoder stalled".into()));
        }
        let fed = feed_chunks(&mut dec, &mut piece, usize::MAX, |t| {
            ops.push(Owned {
                opcode: t.instr.opcode,
                qubits: SmallVec::from_slice(t.instr.qubits),
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
            Fed::Stalled => return Err(fail("decoder stalled".into())),
            Fed::End => {
                let mut rest = Vec::new();
                input
                    .read_to_end(&mut rest)
                    .map_err(|e| fail(e.to_string()))?;
                let extra = piece.len() + rest.len();
                if extra > 0 {
                    return Err(describe(IsaError::TrailingBytes(extra)));
                }
                break;
            }
        }
    }
    let header = dec
        .preamble()
        .map(|p| p.header.clone())
        .ok_or_else(|| fail("no header".into()))?;
    let info = dec
        .info()
        .cloned()
        .ok_or_else(|| fail("no program section".into()))?;
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
    .map_err(|e| fail(e.to_string()))?;
    Ok(DecodedFile {
        header,
        program,
        bytes: total,
        kept: keep.then_some(kept),
    })
}

/// The pulse section of `bytes` (a whole program) rebuilt into per-channel samples with `cb`'s
/// pulse atoms.
///
/// # Errors
/// When the program has no pulse section, the codebook no pulse atoms, or the section is
/// invalid.
pub fn decode_samples(
    bytes: &[u8],
    name: &str,
    cb: &LoadedCodebook,
) -> Result<PulseRows, PipelineError> {
    let fail = |message: String| PipelineError::Decode {
        file: name.to_string(),
        message,
    };
    eqisa_decoder::decode_pulse_rows(bytes, cb.pulse_atoms.as_ref(), cb.hash)
        .map_err(|e| match e {
            IsaError::NoPulseAtoms => fail(format!(
                "its pulse section needs pulse atoms, and {} has none",
                cb.origin
            )),
            other => fail(other.to_string()),
        })?
        .ok_or_else(|| fail("has no pulse section (assemble it with --pulses)".into()))
}
