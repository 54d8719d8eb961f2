//! Splits a byte stream into chunks that each end at a top-level statement boundary, so that
//! each chunk parses on its own. A boundary is the end of a line whose last code (comments
//! aside) is a `;` outside braces, comments and strings, and which is not followed by an `else`
//! continuing an `if`. Chunks therefore start at the beginning of a line, so columns computed
//! within a chunk are the file's columns. (A file that never ends a line after a statement, e.g.
//! one long line, is read as one chunk.)

use std::io::{self, Read};

/// Bytes read from the source at a time.
const READ_SIZE: usize = 1 << 20;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lex {
    Code,
    LineComment,
    BlockComment,
    Str,
}

/// Chunked reader over a source of program text.
pub struct Chunker<R> {
    reader: R,
    buf: Vec<u8>,
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

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || !c.is_ascii()
}

impl<R: Read> Chunker<R> {
    /// A chunker reading from `reader`.
    pub fn new(reader: R) -> Self {
        Chunker {
            reader,
            buf: Vec::new(),
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
        let bytes = &self.buf;
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
                            self.pending = Some(k + 1);
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
                            self.pending = Some(k + 1);
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
    }

    /// The next chunk of whole statements, or `None` at the end of the input.
    pub fn next_chunk(&mut self) -> io::Result<Option<&[u8]>> {
        if self.consumed > 0 {
            self.buf.drain(..self.consumed);
            self.scanned -= self.consumed;
            self.pending = self.pending.and_then(|p| p.checked_sub(self.consumed));
            self.consumed = 0;
        }
        loop {
            if let Some(end) = self.boundary.take() {
                self.consumed = end;
                return Ok(Some(&self.buf[..end]));
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
            self.buf.resize(old + READ_SIZE, 0);
            let n = loop {
                match self.reader.read(&mut self.buf[old..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.buf.truncate(old);
                        return Err(e);
                    }
                }
            };
            self.buf.truncate(old + n);
            if n == 0 {
                self.eof = true;
            } else {
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
        let mut c = Chunker::new(Trickle::new(text.as_bytes(), read));
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
