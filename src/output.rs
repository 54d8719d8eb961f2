//! Standard output that reports its failures. `println!` panics when standard output cannot be
//! written (a full disk, a closed descriptor); [`outln!`] returns the failure as an error the
//! command reports, so the process ends with a message and a non-zero status instead.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether [`outln!`] writes to standard error: a command whose output file is standard output
/// (`-o -`) keeps its summary out of that stream.
static TO_STDERR: AtomicBool = AtomicBool::new(false);

/// Send every later [`outln!`] line to standard error (standard output carries the command's
/// output file).
pub fn summary_to_stderr() {
    TO_STDERR.store(true, Ordering::Relaxed);
}

/// The message of a failed write to standard output.
pub fn failed(e: &std::io::Error) -> String {
    format!("writing to standard output: {e}")
}

/// Write `args` and a newline to standard output.
///
/// # Errors
/// The write's failure, naming standard output.
pub fn line(args: std::fmt::Arguments<'_>) -> Result<(), String> {
    if TO_STDERR.load(Ordering::Relaxed) {
        let mut err = std::io::stderr().lock();
        return err
            .write_fmt(args)
            .and_then(|()| err.write_all(b"\n"))
            .map_err(|e| format!("writing to standard error: {e}"));
    }
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(|e| failed(&e))
}

/// `println!` that returns from the enclosing function with an error when standard output
/// cannot be written.
macro_rules! outln {
    () => {
        $crate::output::line(format_args!(""))?
    };
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))?
    };
}

pub(crate) use outln;

/// `message` safe to print on a terminal: control characters that came from the input (a NUL,
/// an escape sequence that would recolour or retitle the terminal) are shown escaped, as `\0`,
/// `\u{1b}`; newlines and tabs stay.
pub fn printable(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for ch in message.chars() {
        if ch.is_control() && ch != '\n' && ch != '\t' {
            out.extend(ch.escape_default());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_bytes_from_the_input_are_escaped() {
        assert_eq!(
            printable("line 1: unknown gate 'a\u{0}\u{1b}[31mb'\n"),
            "line 1: unknown gate 'a\\u{0}\\u{1b}[31mb'\n"
        );
    }
}
