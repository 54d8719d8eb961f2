//! Assembles an OpenQASM 2 program from a file (or standard input, `-`) as it is read, in
//! bounded memory, and prints what was found: `cargo run --release -p eqisa-pipeline --example
//! stream_assemble -- FILE.qasm [OUT.eqb]`.

use std::io::Read;

use eqisa_assembler::periods::DEFAULT_WINDOW_OPS;
use eqisa_pipeline::streaming::assemble_stream;
use eqisa_pipeline::{AssembleOptions, load_codebook};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let file = args.first().ok_or("usage: stream_assemble FILE.qasm|- [OUT.eqb]")?;
    let reader: Box<dyn Read> = if file == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(file).map_err(|e| format!("{file}: {e}"))?)
    };
    let cb = load_codebook(None)?;
    let opts = AssembleOptions {
        repeat_window: Some(DEFAULT_WINDOW_OPS),
        ..AssembleOptions::default()
    };
    let asm = assemble_stream(reader, file, ".".into(), &cb, &opts)?
        .ok_or("an OpenQASM 3 program: this example streams OpenQASM 2")?;
    if let Some(out) = args.get(1) {
        std::fs::write(out, &asm.bytes)?;
    }
    let r = &asm.report;
    println!(
        "{} native ops, {} bits, loops {:?}",
        r.native_ops, r.bits.eqisa, r.loops
    );
    Ok(())
}
