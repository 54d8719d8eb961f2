//! Standard output that reports its failures. `println!` panics when standard output cannot be
//! written (a full disk, a closed descriptor); [`outln!`] returns the failure as an error the
//! command reports, so the process ends with a message and a non-zero status instead.

use std::io::Write;

/// The message of a failed write to standard output.
pub fn failed(e: &std::io::Error) -> String {
    format!("writing to standard output: {e}")
}

/// Write `args` and a newline to standard output.
///
/// # Errors
/// The write's failure, naming standard output.
pub fn line(args: std::fmt::Arguments<'_>) -> Result<(), String> {
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
