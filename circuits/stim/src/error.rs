//! The one error of the Stim reader: a message at a place in a file.

/// An error reading a Stim circuit: the file, the 1-based line and column of the problem (both 0
/// when the file could not be read at all), and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct StimError {
    /// The file name as the caller gave it.
    pub file: String,
    /// 1-based line (0: the file as a whole).
    pub line: u32,
    /// 1-based column in bytes (0: the line as a whole).
    pub col: u32,
    /// What is wrong.
    pub message: String,
}

impl StimError {
    /// An error at `line`:`col` of `file`.
    pub fn at(file: &str, line: u32, col: u32, message: impl Into<String>) -> Self {
        StimError {
            file: file.to_string(),
            line,
            col,
            message: message.into(),
        }
    }

    fn render(&self) -> String {
        if self.line == 0 {
            format!("{}: {}", self.file, self.message)
        } else {
            format!("{}:{}:{}: {}", self.file, self.line, self.col, self.message)
        }
    }
}
