//! What the container's fields name: the codebook (by the first bytes of its content hash) and a
//! section's kind. Below the error type, whose messages name them too.

use core::fmt;

/// Bytes of the codebook's content hash a program names it by.
pub const CODEBOOK_ID_LEN: usize = 8;

/// The id a program names the codebook with content hash `hash` by (its first
/// [`CODEBOOK_ID_LEN`] bytes).
#[must_use]
pub fn codebook_id(hash: &[u8; 32]) -> [u8; CODEBOOK_ID_LEN] {
    let mut id = [0u8; CODEBOOK_ID_LEN];
    id.copy_from_slice(hash.get(..CODEBOOK_ID_LEN).unwrap_or(&[0; CODEBOOK_ID_LEN]));
    id
}

/// What a section's payload holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SectionKind {
    /// The compressed instruction stream.
    Instructions = 1,
    /// The compressed pulse payload.
    Pulses = 2,
    /// Register names and condition expressions: not needed to decode the operations, only to
    /// print them back as OpenQASM.
    Metadata = 3,
    /// Program parameters the decoder needs before the first instruction: angle precision,
    /// durations, the bits each condition reads (the stream's `ProgramInfo`).
    Program = 4,
    /// How the instruction text runs: counted and real-time loops (the stream's `Control`).
    /// Absent in a program that runs straight.
    Control = 5,
    /// The circuits of a job: each one's length and register layout ([`crate::job`]). Absent
    /// in a program of one circuit.
    Job = 6,
    /// A parameter sweep over the job's one circuit: the inputs' values per point and the rules
    /// that give each varying angle ([`crate::sweep`]). Host-side: a decoder passes it through.
    Sweep = 7,
}

impl SectionKind {
    /// Short lowercase name for messages.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Instructions => "instructions",
            Self::Pulses => "pulses",
            Self::Metadata => "metadata",
            Self::Program => "program",
            Self::Control => "control",
            Self::Job => "job",
            Self::Sweep => "sweep",
        }
    }
}

impl TryFrom<u8> for SectionKind {
    /// The unknown raw value.
    type Error = u8;

    fn try_from(value: u8) -> Result<Self, u8> {
        match value {
            1 => Ok(Self::Instructions),
            2 => Ok(Self::Pulses),
            3 => Ok(Self::Metadata),
            4 => Ok(Self::Program),
            5 => Ok(Self::Control),
            6 => Ok(Self::Job),
            7 => Ok(Self::Sweep),
            other => Err(other),
        }
    }
}

impl fmt::Display for SectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
