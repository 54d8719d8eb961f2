//! Splits a byte stream into chunks that each end at a top-level statement boundary, so that
//! each chunk parses on its own. A boundary is the end of a line whose last code (comments
//! aside) is a `;` outside braces, comments and strings, and which is not followed by an `else`
//! continuing an `if`. Chunks therefore start at the beginning of a line, so columns computed
//! within a chunk are the file's columns. (A file that never ends a line after a statement, e.g.
//! one long line, is read as one chunk.)
//!
//! Every byte is checked as it arrives: text that cannot be OpenQASM (invalid UTF-8, a NUL or
//! another control character) ends the input there: the statements before it are handed out,
//! then the error (nothing after it is read, and errors come in the order of the text whatever
//! the sizes of the reads); and a chunk (a statement, or a line of
//! statements) longer than the limit on files read whole ([`eqisa_files::limit`]) is an error
//! rather than a buffer that grows with the input (`/dev/zero`, a file without `;`).

use std::io::{self, Read};
use std::sync::Arc;

use crate::error::{ErrorKind, QasmError, SourcePos};

/// Bytes read from the source at a time.
const READ_SIZE: usize = 1 << 20;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lex {
    Code,
    LineComment,
    BlockComment,
    Str,
}

/// Why the chunker stopped.
#[derive(Debug)]
pub enum ChunkError {
    /// The reader failed.
    Io(io::Error),
    /// Bytes that cannot be OpenQASM text at `line` (0-based, counted from the start of the
    /// chunk under way, which starts a line) and `col` (1-based, in characters).
    Bad { line: u32, col: u32, what: String },
    /// The chunk under way grew past `limit` bytes without a statement boundary.
    TooLong { limit: u64 },
}

impl ChunkError {
    /// The front end's error for this failure in the input `name`, whose chunk under way
    /// starts at `line`.
    pub fn at(self, name: &Arc<str>, line: u32) -> QasmError {
        match self {
            ChunkError::Io(source) => QasmError::Io {
                file: name.clone(),
                source,
            },
            ChunkError::Bad { line: l, col, what } => QasmError::At {
                pos: SourcePos {
                    file: name.clone(),
                    line: line.saturating_add(l),
                    col,
                },
                kind: ErrorKind::Invalid(what),
            },
            ChunkError::TooLong { limit } => QasmError::At {
                pos: SourcePos {
                    file: name.clone(),
                    line,
                    col: 1,
                },
                kind: ErrorKind::StatementTooLong { limit },
            },
        }
    }
}

/// Whether a byte may appear in OpenQASM text: control characters other than tab, line feed,
/// form feed and carriage return may not (a NUL means a binary file or `/dev/zero`).
fn is_forbidden(c: u8) -> bool {
    (c < 0x20 && !matches!(c, b'\t' | b'\n' | 0x0c | b'\r')) || c == 0x7f
}

/// How many leading bytes of `bytes` are checked text, and the offset of the first byte that
/// cannot be OpenQASM text, if any. Unless `complete`, a multi-byte character cut at the end
/// is not an error (the rest may still arrive) but is left unchecked.
fn first_bad(bytes: &[u8], complete: bool) -> (usize, Option<usize>) {
    let ctrl = bytes.iter().position(|&c| is_forbidden(c));
    let (valid, utf8_bad) = match std::str::from_utf8(bytes) {
        Ok(_) => (bytes.len(), None),
        Err(e) if e.error_len().is_some() || complete => (e.valid_up_to(), Some(e.valid_up_to())),
        Err(e) => (e.valid_up_to(), None),
    };
    let bad = match (ctrl, utf8_bad) {
        (Some(c), Some(u)) => Some(c.min(u)),
        (c, u) => c.or(u),
    };
    (bad.map_or(valid, |b| b.min(valid)), bad)
}

/// The error for the bad byte at `at` of `buf`, which starts a line and is checked before `at`.
fn bad_at(buf: &[u8], at: usize) -> ChunkError {
    let what = match buf[at] {
        0 => "a NUL byte cannot appear in OpenQASM text (is this a binary file?)".to_string(),
        c if c < 0x80 => format!("the control character 0x{c:02x} cannot appear in OpenQASM text"),
        _ => "the file is not valid UTF-8 text".to_string(),
    };
    let before = &buf[..at];
    let line = before.iter().filter(|&&c| c == b'\n').count() as u32;
    let line_start = before
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    // Everything before `at` was checked: it is UTF-8.
    let col = std::str::from_utf8(&before[line_start..])
        .map_or(at - line_start, |t| t.chars().count()) as u32
        + 1;
    ChunkError::Bad { line, col, what }
}

/// Checks a whole text (an included file) as the chunker checks a stream: `Err(Bad)` names
/// the first byte that cannot be OpenQASM text.
pub fn check_text(bytes: &[u8]) -> Result<(), ChunkError> {
    match first_bad(bytes, true).1 {
        None => Ok(()),
        Some(at) => Err(bad_at(bytes, at)),
    }
}

/// Chunked reader over a source of program text.
pub struct Chunker<R> {
    reader: R,
    buf: Vec<u8>,
    /// Bytes of `buf` already checked (complete UTF-8 without forbidden bytes).
    checked: usize,
    /// Offset in `buf` of the first byte that cannot be OpenQASM text, once read. The input is
    /// treated as ending there: the chunks before it are handed out first, then the error, so
    /// that errors come in the order of the text whatever the sizes of the reads.
    bad: Option<usize>,
    /// Longest chunk accepted, in bytes.
    limit: u64,
    /// Whether any byte was read at all.
    any: bool,
    /// Bytes of `buf` already scanned, the lexical state after them, and the brace depth.
    scanned: usize,
    lex: Lex,
    depth: u32,
    /// Whether the last code scanned (blanks and comments aside) is a top-level `;`.
    after_semi: bool,
    /// Start of the line after a line that ends a top-level statement: a boundary unless the
    /// next code is `else`.
    pending: Option<usize>,
    /// End (exclusive) of the last statement boundary found in `buf`.
    boundary: Option<usize>,
    /// Bytes at the front of `buf` handed out by the last `next_chunk`, dropped on the next call.
    consumed: usize,
    eof: bool,
}

/// Whether the line that ends at `end` (a newline) is an OpenQASM 3 annotation: its first code
/// is `@` (a gate modifier's `@` never starts a line's code, a name comes before it).
fn annotation_line(bytes: &[u8], end: usize) -> bool {
    let start = bytes[..end]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |k| k + 1);
    bytes[start..end]
        .iter()
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|&c| c == b'@')
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || !c.is_ascii()
}

impl<R: Read> Chunker<R> {
    /// A chunker reading from `reader`, with chunks bounded by [`eqisa_files::limit`].
    pub fn new(reader: R) -> Self {
        Self::with_limit(reader, eqisa_files::limit())
    }

    /// A chunker whose chunks may be at most `limit` bytes long.
    pub fn with_limit(reader: R, limit: u64) -> Self {
        Chunker {
            reader,
            buf: Vec::new(),
            checked: 0,
            bad: None,
            limit,
            any: false,
            scanned: 0,
            lex: Lex::Code,
            depth: 0,
            after_semi: false,
            pending: None,
            boundary: None,
            consumed: 0,
            eof: false,
        }
    }

    fn scan(&mut self) {
        // Nothing at or after a bad byte is text.
        let bytes = &self.buf[..self.bad.unwrap_or(self.buf.len())];
        let mut k = self.scanned;
        while k < bytes.len() {
            if self.lex == Lex::Code && !self.after_semi && self.pending.is_none() {
                // Skip ordinary bytes quickly: only five bytes matter outside comments (and
                // outside the end of a line that ends a statement, where blanks and the next
                // word matter too).
                k += bytes[k..]
                    .iter()
                    .position(|c| matches!(c, b';' | b'{' | b'}' | b'"' | b'/'))
                    .unwrap_or(bytes.len() - k);
                if k >= bytes.len() {
                    break;
                }
            }
            let c = bytes[k];
            match self.lex {
                Lex::Code => {
                    if c == b'/' {
                        // A '/' at the very end: rescan it once more bytes arrive.
                        let Some(&next) = bytes.get(k + 1) else {
                            break;
                        };
                        if next == b'/' || next == b'*' {
                            self.lex = if next == b'/' {
                                Lex::LineComment
                            } else {
                                Lex::BlockComment
                            };
                            k += 2;
                            continue;
                        }
                    }
                    if c == b'\n' {
                        if self.after_semi {
                            // An annotation (`@name text;`) belongs to the statement after it.
                            if !annotation_line(bytes, k) {
                                self.pending = Some(k + 1);
                            }
                            self.after_semi = false;
                        }
                    } else if !c.is_ascii_whitespace() {
                        if let Some(p) = self.pending {
                            // `if (c) x q;` + newline + `else y q;` is one statement.
                            let is_else = if c == b'e' {
                                // Decide once the byte after `else` has arrived.
                                let Some(word) = bytes.get(k..k + 5) else {
                                    break;
                                };
                                word.starts_with(b"else") && !is_word_byte(word[4])
                            } else {
                                false
                            };
                            if !is_else {
                                self.boundary = Some(p);
                            }
                            self.pending = None;
                        }
                        match c {
                            b'{' => self.depth += 1,
                            b'}' => self.depth = self.depth.saturating_sub(1),
                            b'"' => self.lex = Lex::Str,
                            _ => {}
                        }
                        self.after_semi = c == b';' && self.depth == 0;
                    }
                }
                Lex::LineComment => {
                    if c == b'\n' {
                        self.lex = Lex::Code;
                        if self.after_semi {
                            if !annotation_line(bytes, k) {
                                self.pending = Some(k + 1);
                            }
                            self.after_semi = false;
                        }
                    }
                }
                Lex::BlockComment => {
                    if c == b'*' {
                        let Some(&next) = bytes.get(k + 1) else {
                            break;
                        };
                        if next == b'/' {
                            self.lex = Lex::Code;
                            k += 1;
                        }
                    }
                }
                Lex::Str => {
                    if c == b'"' || c == b'\n' {
                        self.lex = Lex::Code;
                    }
                }
            }
            k += 1;
        }
        self.scanned = k;
        if self.bad.is_some() {
            // The bad byte is not `else`: a statement ended before it ends there.
            if let Some(p) = self.pending.take() {
                self.boundary = Some(p);
            }
        }
    }

    /// Whether the input had any byte at all.
    pub fn any(&self) -> bool {
        self.any
    }

    /// Check the bytes that arrived since the last check, noting the first that cannot be
    /// text; at the end of the input a multi-byte character cut short is one too.
    fn check(&mut self) {
        let (valid, bad) = first_bad(&self.buf[self.checked..], self.eof);
        self.bad = bad.map(|k| self.checked + k);
        self.checked += valid;
    }

    /// The next chunk of whole statements, or `None` at the end of the input.
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>, ChunkError> {
        if self.consumed > 0 {
            self.buf.drain(..self.consumed);
            self.checked -= self.consumed;
            self.bad = self.bad.map(|b| b - self.consumed);
            self.scanned -= self.consumed;
            self.pending = self.pending.and_then(|p| p.checked_sub(self.consumed));
            self.consumed = 0;
        }
        loop {
            if let Some(end) = self.boundary.take() {
                self.consumed = end;
                return Ok(Some(&self.buf[..end]));
            }
            if let Some(at) = self.bad {
                return Err(bad_at(&self.buf, at));
            }
            if self.eof {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                self.consumed = self.buf.len();
                self.scanned = self.buf.len();
                return Ok(Some(&self.buf[..]));
            }
            let old = self.buf.len();
            // No boundary in `buf`: all of it is one chunk under way. Refuse it before it
            // outgrows the limit, not after memory runs out.
            if old as u64 > self.limit {
                return Err(ChunkError::TooLong { limit: self.limit });
            }
            let room = usize::try_from(self.limit.saturating_add(1)).unwrap_or(usize::MAX) - old;
            let want = READ_SIZE.min(room);
            self.buf.resize(old + want, 0);
            let n = loop {
                match self.reader.read(&mut self.buf[old..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.buf.truncate(old);
                        return Err(ChunkError::Io(e));
                    }
                }
            };
            self.buf.truncate(old + n);
            if n == 0 {
                self.eof = true;
            } else {
                self.any = true;
            }
            self.check();
            if n > 0 || self.bad.is_some() {
                self.scan();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_test_support::Trickle;

    fn chunks(text: &str, read: usize) -> Vec<String> {
        let mut c = Chunker::with_limit(Trickle::new(text.as_bytes(), read), 1 << 20);
        let mut out = Vec::new();
        while let Some(b) = c.next_chunk().unwrap() {
            out.push(String::from_utf8(b.to_vec()).unwrap());
        }
        out
    }

    #[test]
    fn chunks_end_at_top_level_semicolons_and_rejoin_exactly() {
        let text = "OPENQASM 3;\n// a; comment\ngate g a { h a; x a; }\n/* ; */ include \"x;y\";\nif (c) { x q; } else { y q; }\nh q";
        for read in [1, 2, 3, 7, 1000] {
            let cs = chunks(text, read);
            assert_eq!(cs.concat(), text, "read size {read}");
            for c in &cs[..cs.len() - 1] {
                assert!(c.ends_with(";\n"), "{c:?}");
            }
            // No chunk splits the gate body or the if/else.
            assert!(cs.iter().any(|c| c.contains("gate g a { h a; x a; }")));
            assert!(
                cs.iter()
                    .any(|c| c.contains("if (c) { x q; } else { y q; }"))
            );
        }
    }

    #[test]
    fn chunks_start_at_line_starts_and_keep_else_with_its_if() {
        let text = "x q; y q; // a comment;\nif (c) x q;\n  else y q;\ncx q, // a; comment\n r;\nif (c) x q; /* ; */\nelsewhere q;\nelse\n";
        for read in [1, 2, 3, 5, 1000] {
            let cs = chunks(text, read);
            assert_eq!(cs.concat(), text, "read size {read}");
            // Every cut is at one of these line starts; one byte at a time, at all of them.
            let allowed = [
                "x q; y q; // a comment;\n",
                "  else y q;\n",
                " r;\n",
                "/* ; */\n",
            ];
            let mut at = 0;
            for c in &cs[..cs.len() - 1] {
                at += c.len();
                assert!(
                    allowed.iter().any(|a| text[..at].ends_with(a)),
                    "read size {read}: {cs:?}"
                );
            }
            if read == 1 {
                assert_eq!(cs.len(), 5, "{cs:?}");
            }
        }
    }
}
