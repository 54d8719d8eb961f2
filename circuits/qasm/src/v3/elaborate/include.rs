//! `include` of a file other than the built-in libraries: read whole within the limit on files
//! read whole (as the OpenQASM 2 builder's includes are), parsed with the OpenQASM 3 parser,
//! its statements elaborated in place with their places in [`Program::files`].
//!
//! [`Program::files`]: eqisa_ir::program::Program::files

use std::path::{Path, PathBuf};

use super::elaborator::Elaborator;
use crate::builder::{MAX_INCLUDE_DEPTH, Source};
use crate::error::{ErrorKind, QasmError};
use crate::v3::parse::next_statement;
use eqisa_ir::program::stmt::Block;

impl Elaborator {
    /// Elaborate the statements of the file `path` (relative to the including file's
    /// directory) in place of its `include`.
    pub(super) fn include_file(
        &mut self,
        path: &str,
        at: &str,
        out: &mut Block,
        src: &mut Source<'_>,
    ) -> Result<(), QasmError> {
        if self.include_depth >= MAX_INCLUDE_DEPTH {
            return Err(src.err(at, ErrorKind::IncludeDepth(MAX_INCLUDE_DEPTH)));
        }
        let dir = if src.dir.as_os_str().is_empty() {
            self.dir.clone()
        } else {
            src.dir.clone()
        };
        let full: PathBuf = dir.join(Path::new(path));
        let file = match crate::included::read_included(&full) {
            Ok(file) => file,
            Err(crate::included::IncludeFailure::Text(e)) => return Err(e),
            Err(crate::included::IncludeFailure::Unreadable(reason)) => {
                return Err(src.err(
                    at,
                    ErrorKind::Include {
                        path: path.to_string(),
                        reason,
                    },
                ));
            }
        };
        let inner_name = file.name.clone();
        let mut inner = Source::new(file.name, file.dir, &file.text, 1);
        let outer_file = self.file;
        self.file = self.prog.files.len() as u32;
        self.prog.files.push(inner_name);
        self.include_depth += 1;
        let r = self.include_statements(&mut inner, out);
        self.include_depth -= 1;
        self.file = outer_file;
        r
    }

    fn include_statements(
        &mut self,
        src: &mut Source<'_>,
        out: &mut Block,
    ) -> Result<(), QasmError> {
        let mut rest = src.text;
        let mut first = true;
        loop {
            match next_statement(rest) {
                Ok(None) => return Ok(()),
                Ok(Some((s, r))) => {
                    self.top_statement(&s, first, out, src)?;
                    first = false;
                    rest = r;
                }
                Err(e) => return Err(src.err(e.at, e.kind)),
            }
        }
    }
}
