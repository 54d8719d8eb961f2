//! One module per subcommand.

pub mod assemble;
pub mod compile;
pub mod decode;
pub mod inspect;
pub mod lowering;
pub mod pulses;
pub mod report;
pub mod sim;
pub mod simulate;
pub mod train;

/// An error a command reports: the message is printed after `error: `.
pub type CmdResult = Result<(), Box<dyn std::error::Error>>;

/// Write a lowered program to `out` as OpenQASM 2, or as OpenQASM 3 (with a note on stderr) when
/// its conditions have no OpenQASM 2 form.
pub fn write_qasm(
    program: &eqisa_lower::program::NativeProgram,
    out: &std::path::Path,
) -> Result<(), String> {
    let text = match program.to_qasm2() {
        Some(t) => t,
        None => {
            eprintln!(
                "note: {}: written as OpenQASM 3: its conditions have no OpenQASM 2 form (only 'if (creg == n)' has)",
                out.display()
            );
            program.to_qasm3()
        }
    };
    std::fs::write(out, text).map_err(|e| format!("{}: {e}", out.display()))
}
