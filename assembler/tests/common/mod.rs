//! Shared by the assembler's integration tests: decode an `.eqb` and rebuild its program.

use eqisa_assembler::rebuild::{Decoded, rebuild};
use eqisa_isa::codebook::Codebook;
use eqisa_lower::program::NativeProgram;

/// Decode `bytes` with `cb` (whose hash is `hash`) and rebuild the NativeProgram, or say why not.
pub fn decode_and_rebuild(
    bytes: &[u8],
    cb: &Codebook,
    hash: [u8; 32],
) -> Result<NativeProgram, String> {
    let dec = eqisa_decoder::decode_all(bytes, &cb.priors, hash).map_err(|e| e.to_string())?;
    rebuild(
        dec.header.target,
        dec.header.qubit_count,
        dec.header.clbit_count,
        &dec.info,
        &dec.metadata,
        dec.instrs.iter().map(|d| Decoded {
            opcode: d.opcode,
            qubits: &d.qubits,
            cond: d.cond,
            arg: d.arg,
            start_ns: d.start_ns,
            duration_ns: d.duration_ns,
        }),
    )
    .map_err(|e| e.to_string())
}
