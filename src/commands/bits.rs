//! The `bits` rows `assemble` prints, for one circuit or a job.

use crate::output::outln;

/// Each baseline's bits and its ratio to EQISA's, with the paper's setting when measured.
pub fn print_baselines(
    b: &eqisa_pipeline::measure::Bits,
    paper: Option<&eqisa_pipeline::measure::PaperRow>,
) -> Result<(), String> {
    let row = |name: &str, v: Option<f64>| -> Result<(), String> {
        match v {
            Some(v) => outln!("  {name:<22} {v:>14.0}  {:>8.2}×", v / b.eqisa as f64),
            None => outln!("  {name:<22} {:>14}", "—"),
        }
        Ok(())
    };
    row("binary (opcodes only)", b.binary_opcodes.map(|v| v as f64))?;
    row("binary", b.binary.map(|v| v as f64))?;
    row("bzip2 -9 of binary", b.bzip2.map(|v| v as f64))?;
    row("xz -9 of binary", b.xz.map(|v| v as f64))?;
    row("zstd -19 of binary", b.zstd.map(|v| v as f64))?;
    row("order-0 entropy", b.entropy_order0)?;
    if let Some(v) = b.stim_text_xz {
        row("xz -9 of Stim text", Some(v as f64))?;
    }
    row("paper Huffman", b.paper_huffman.map(|v| v as f64))?;
    row(
        "paper Huffman+bzip2",
        b.paper_huffman_bzip2.map(|v| v as f64),
    )?;
    if let Some(p) = paper {
        outln!("paper setting     {}", super::report::paper_line(p));
    }
    Ok(())
}
