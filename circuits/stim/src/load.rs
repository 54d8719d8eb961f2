//! The entry points: text or a file to a [`StimProgram`].

use std::path::Path;

use eqisa_ir::program::stmt::Program;

use crate::build::build;
use crate::error::StimError;
use crate::parse::parse;

/// A Stim circuit read into the structured program.
#[derive(Clone, Debug, PartialEq)]
pub struct StimProgram {
    /// The structured program: register `q` of every qubit named, register `rec` of the whole
    /// measurement record, `REPEAT` blocks as `for` loops.
    pub program: Program,
    /// Annotations and noise channels skipped, by canonical name, with how often each is
    /// written in the text (a line inside `REPEAT` counts once, not once per iteration),
    /// sorted by name. A measurement's flip probability counts as `NAME(noise)` (`M(noise)`),
    /// and `MPAD`, which the program does hold as known record bits, is counted here too.
    pub skipped: Vec<(String, u64)>,
}

/// Read Stim circuit `text`, naming `file` in errors.
pub fn parse_stim(text: &str, file: &str) -> Result<StimProgram, StimError> {
    let parsed = parse(text, file)?;
    let program = build(&parsed, file)?;
    Ok(StimProgram {
        program,
        skipped: parsed.skipped.into_iter().collect(),
    })
}

/// Read the Stim circuit in the file at `path`.
pub fn parse_stim_file(path: impl AsRef<Path>) -> Result<StimProgram, StimError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| StimError::at(&name, 0, 0, format!("cannot read: {e}")))?;
    parse_stim(&text, &name)
}

/// The control operations of Stim circuit `text`, as Stim text: every line but annotations
/// (detectors, observables, coordinates), noise channels, comments and blank lines, each trimmed.
/// What a user who kept the circuit's loops would store or send: the loop-aware source
/// baseline a compressed control stream is measured against. Lines that do not read are kept.
#[must_use]
pub fn control_text(text: &str) -> String {
    let mut out = String::new();
    for raw in text.lines() {
        let keep = match crate::lex::line(raw) {
            Ok(crate::lex::Line::Empty) => false,
            Ok(crate::lex::Line::Instr(i)) => !matches!(
                crate::gates::lookup(i.name).map(|g| g.kind),
                Some(crate::gates::Kind::Annotation | crate::gates::Kind::Noise)
            ),
            Ok(crate::lex::Line::Close(_)) | Err(_) => true,
        };
        if keep {
            let line = raw.split('#').next().unwrap_or("").trim();
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_text_drops_annotations_noise_and_comments() {
        let text = "QUBIT_COORDS(0, 0) 0\nH 0  # a comment\nDEPOLARIZE1(0.01) 0\nREPEAT 3 {\n  CX 0 1\n  M 1\n  DETECTOR rec[-1]\n}\n\n";
        assert_eq!(control_text(text), "H 0\nREPEAT 3 {\nCX 0 1\nM 1\n}\n");
    }
}
