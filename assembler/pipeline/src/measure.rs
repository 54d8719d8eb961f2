//! Bits of one circuit under every encoding, measured in one run on the same stream: EQISA, the
//! fixed-width binary stream and general-purpose compressors over it, its order-0 entropy, and
//! the paper's pipeline on the same circuit.

use eqisa_assembler::Assembled;
use eqisa_baselines::paper::{PaperDictionary, PaperError, paper_baseline};
use eqisa_baselines::{binary, compress};
use eqisa_ir::Circuit;
use eqisa_lower::program::NativeProgram;
use eqisa_lower::target::TargetDesc;
use serde::Serialize;

use crate::codebook::LoadedCodebook;
use crate::error::PipelineError;

/// Haar samples the paper's dictionary is selected from when the codebook has none for the
/// requested depth and recursion.
const PAPER_HAAR: usize = 1000;

/// Bits per encoding (the JSON `bits` object of `assemble`). The baselines over the binary
/// stream need the program unrolled: for a program with loops that runs more than
/// [`crate::assemble::BASELINE_MAX_OPS`] operations they are not measured (null).
#[derive(Clone, Debug, Serialize)]
pub struct Bits {
    /// Every bit of the `.eqb` file (header, sections, checksums; the codebook excluded).
    pub eqisa: u64,
    /// The paper's count: ⌈log2 |gate set|⌉ bits per native operation, opcodes only.
    pub binary_opcodes: Option<u64>,
    /// Fixed-width opcode + operands + quantised angles + timing.
    pub binary: Option<u64>,
    /// bzip2 -9 of the binary stream.
    pub bzip2: Option<u64>,
    /// xz -9 of the binary stream.
    pub xz: Option<u64>,
    /// zstd -19 of the binary stream.
    pub zstd: Option<u64>,
    /// Empirical order-0 entropy of the operation stream, in bits.
    pub entropy_order0: Option<f64>,
    /// xz -9 of the source text, for a Stim circuit: its lines without annotations (detectors,
    /// observables, coordinates) and noise channels, the loop-aware text a user would otherwise
    /// store or send (absent for other inputs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stim_text_xz: Option<u64>,
    /// The paper's Huffman bits for this circuit (SK words, Haar-selected dictionary; null when
    /// skipped or when the circuit has classical control, which the paper's ISA lacks).
    pub paper_huffman: Option<u64>,
    /// The paper's Huffman stream after bzip2 (null when skipped).
    pub paper_huffman_bzip2: Option<u64>,
}

impl Bits {
    /// The bits of `asm` alone, every baseline unmeasured (a program too large to unroll).
    #[must_use]
    pub fn eqisa_only(asm: &Assembled) -> Bits {
        Bits {
            eqisa: asm.bytes.len() as u64 * 8,
            binary_opcodes: None,
            binary: None,
            bzip2: None,
            xz: None,
            zstd: None,
            entropy_order0: None,
            stim_text_xz: None,
            paper_huffman: None,
            paper_huffman_bzip2: None,
        }
    }
}

/// The measurements of one circuit.
pub struct Measured {
    /// Bits per encoding.
    pub bits: Bits,
    /// Fidelity bound of the paper's Solovay–Kitaev lowering.
    pub paper_fidelity_bound: Option<f64>,
}

impl Measured {
    /// The figures of `asm` with every baseline skipped (`None`): only its own bits.
    #[must_use]
    pub fn skipped(asm: &Assembled) -> Measured {
        Measured {
            bits: Bits {
                eqisa: instruction_bits(asm),
                ..Bits::eqisa_only(asm)
            },
            paper_fidelity_bound: None,
        }
    }
}

/// Bits of the instruction stream of `asm`: the whole file without the pulse section (and its
/// framing), which is counted apart.
fn instruction_bits(asm: &Assembled) -> u64 {
    (asm.bytes.len()
        - if asm.pulse_bytes > 0 {
            asm.pulse_bytes + eqisa_isa::container::SECTION_HEADER_LEN
        } else {
            0
        }) as u64
        * 8
}

/// The paper's dictionary at (`depth`, `recursion`): the codebook's if it matches, else one
/// selected now from 1,000 Haar-random unitaries.
///
/// # Errors
/// When the codebook's dictionary is malformed or selecting one fails.
pub fn paper_dictionary(
    cb: &LoadedCodebook,
    depth: usize,
    recursion: usize,
) -> Result<PaperDictionary, PipelineError> {
    if let Some(bytes) = &cb.codebook.paper_dictionary {
        let d = PaperDictionary::from_bytes(bytes).map_err(|source| {
            PipelineError::PaperDictionary {
                origin: cb.origin.clone(),
                source,
            }
        })?;
        if d.depth == depth && d.recursion == recursion {
            return Ok(d);
        }
    }
    Ok(PaperDictionary::train_haar(
        depth, recursion, PAPER_HAAR, 1,
    )?)
}

/// Measure `program` (lowered from `circuit` for `target`, assembled as `asm`); `paper` is the
/// paper pipeline's (Solovay–Kitaev depth, recursion), or `None` to skip it.
///
/// # Errors
/// When a compressor or the paper's pipeline fails.
pub fn measure(
    circuit: &Circuit,
    program: &NativeProgram,
    target: &TargetDesc,
    asm: &Assembled,
    cb: &LoadedCodebook,
    paper: Option<(usize, usize)>,
) -> Result<Measured, PipelineError> {
    let gp = compress::best_general_purpose(program, program.angle_bits, target.dt_ns)?;
    let binary = binary::binary_stream(program, program.angle_bits, target.dt_ns);
    let (paper_huffman, paper_huffman_bzip2, paper_fidelity_bound) = match paper {
        Some((d, r)) => {
            let dict = paper_dictionary(cb, d, r)?;
            match paper_baseline(&dict, circuit) {
                Ok(s) => (
                    Some(s.huffman_bits),
                    Some(s.huffman_bzip2_bits),
                    Some(s.fidelity_bound),
                ),
                // The paper's instruction set has no classical control: nothing to compare.
                Err(PaperError::Conditional { .. }) => (None, None, None),
                Err(e) => return Err(e.into()),
            }
        }
        None => (None, None, None),
    };
    Ok(Measured {
        bits: Bits {
            // The instruction stream: the pulse section (and its framing) is counted apart.
            eqisa: instruction_bits(asm),
            binary_opcodes: Some(binary::binary_opcode_bits(program)),
            binary: Some(binary.bits),
            bzip2: Some(gp.bzip2),
            xz: Some(gp.xz),
            zstd: Some(gp.zstd),
            entropy_order0: Some(binary::entropy_order0(program, program.angle_bits)),
            stim_text_xz: None,
            paper_huffman,
            paper_huffman_bzip2,
        },
        paper_fidelity_bound,
    })
}
