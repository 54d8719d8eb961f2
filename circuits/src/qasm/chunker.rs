//! Splits a byte stream into chunks that each end at a top-level statement boundary (a `;`
//! outside braces, comments and strings), so that each chunk parses on its own.

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
    /// End (exclusive) of the last statement boundary found in `buf`.
    boundary: Option<usize>,
    /// Bytes at the front of `buf` handed out by the last `next_chunk`, dropped on the next call.
    consumed: usize,
    eof: bool,
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
            boundary: None,
            consumed: 0,
            eof: false,
        }
    }

    fn scan(&mut self) {
        let bytes = &self.buf;
        let mut k = self.scanned;
        while k < bytes.len() {
            let c = bytes[k];
            match self.lex {
                Lex::Code => match c {
                    b';' if self.depth == 0 => self.boundary = Some(k + 1),
                    b'{' => self.depth += 1,
                    b'}' => self.depth = self.depth.saturating_sub(1),
                    b'"' => self.lex = Lex::Str,
                    b'/' if k + 1 < bytes.len() => match bytes[k + 1] {
                        b'/' => {
                            self.lex = Lex::LineComment;
                            k += 1;
                        }
                        b'*' => {
                            self.lex = Lex::BlockComment;
                            k += 1;
                        }
                        _ => {}
                    },
                    // A '/' at the very end: rescan it once more bytes arrive.
                    b'/' => break,
                    _ => {}
                },
                Lex::LineComment => {
                    if c == b'\n' {
                        self.lex = Lex::Code;
                    }
                }
                Lex::BlockComment => {
                    if c == b'*' {
                        if k + 1 >= bytes.len() {
                            break;
                        }
                        if bytes[k + 1] == b'/' {
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

    fn chunks(text: &str, read: usize) -> Vec<String> {
        struct Slow<'a>(&'a [u8], usize);
        impl Read for Slow<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut c = Chunker::new(Slow(text.as_bytes(), read));
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
                assert!(c.ends_with(';'), "{c:?}");
            }
            // No chunk splits the gate body or the if/else.
            assert!(cs.iter().any(|c| c.contains("gate g a { h a; x a; }")));
            assert!(
                cs.iter()
                    .any(|c| c.contains("if (c) { x q; } else { y q; }"))
            );
        }
    }
}
