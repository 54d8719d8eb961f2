//! The codebook artifact (`.eqcb`): what encoder and decoder must share before a program is sent.
//!
//! Layout: magic `EQCB`, `u16` format version, `u16` model version, `u32` entry count, then
//! entries (`u16` kind, `u32` length, payload; all little-endian; the probability table is stored
//! sparsely, as `(u16 slot, u16 prior)` pairs for the slots that differ from one half), then the
//! SHA-256 of every byte
//! before it. That hash is the codebook's identity: a program names it in its header, and
//! decoding with any other codebook is refused. Unknown entry kinds are skipped (they are still
//! covered by the hash), so later codebooks can carry more without breaking this reader.
//!
//! Entry kinds: 1 description, 2 probability table, 3 predictions, 4 the paper's dictionary,
//! 5 training notes, 6 pulse atoms (optional: [`crate::pulse::AtomSet::to_bytes`]), 7 the
//! Clifford+T macro words (optional: [`crate::model::Priors::words`]). The pulse
//! atoms travel beside [`Codebook`] rather than inside it
//! ([`Codebook::to_bytes_with_pulse_atoms`], [`Codebook::parse_with_pulse_atoms`]), so a codebook
//! without them keeps exactly its old bytes and hash.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use crate::coder::PROB_HALF;
use crate::error::IsaError;
use crate::model::{HIST_CTX, MODEL_VERSION, Priors, TABLE_SLOTS};
use crate::pulse::AtomSet;

/// Magic bytes.
pub const MAGIC: [u8; 4] = *b"EQCB";
/// Format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;

const KIND_DESCRIPTION: u16 = 1;
const KIND_PROBS: u16 = 2;
const KIND_PREDICTIONS: u16 = 3;
const KIND_PAPER: u16 = 4;
const KIND_TRAINING: u16 = 5;
const KIND_PULSE_ATOMS: u16 = 6;
const KIND_WORDS: u16 = 7;

/// A loaded codebook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Codebook {
    /// What it is, in words (shown by `eqisa` tools).
    pub description: String,
    /// The instruction model's learned initial state.
    pub priors: Priors,
    /// The paper's Haar-selected word dictionary (opaque here; `eqisa-dictionary` reads it).
    pub paper_dictionary: Option<Vec<u8>>,
    /// How it was trained (free text: corpus, counts).
    pub training: String,
}

fn put(out: &mut Vec<u8>, kind: u16, payload: &[u8]) {
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
}

impl Codebook {
    /// Serialise (the last 32 bytes are the hash).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_bytes_with_pulse_atoms(None)
    }

    /// Serialise with an optional pulse-atom entry (kind 6). Without atoms this is exactly
    /// [`Codebook::to_bytes`].
    #[must_use]
    pub fn to_bytes_with_pulse_atoms(&self, pulse_atoms: Option<&AtomSet>) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&MODEL_VERSION.to_le_bytes());
        let words = !self.priors.words.is_empty();
        let count = 4
            + u32::from(self.paper_dictionary.is_some())
            + u32::from(pulse_atoms.is_some())
            + u32::from(words);
        out.extend_from_slice(&count.to_le_bytes());
        put(&mut out, KIND_DESCRIPTION, self.description.as_bytes());
        // Sparse: only the slots whose prior differs from one half, as (index, value) pairs.
        let probs: Vec<u8> = self
            .priors
            .probs
            .iter()
            .enumerate()
            .filter(|(_, p)| **p != PROB_HALF)
            .flat_map(|(i, p)| {
                let mut pair = [0u8; 4];
                pair[..2].copy_from_slice(&(i as u16).to_le_bytes());
                pair[2..].copy_from_slice(&p.to_le_bytes());
                pair
            })
            .collect();
        put(&mut out, KIND_PROBS, &probs);
        put(&mut out, KIND_PREDICTIONS, &self.priors.predictions);
        if words {
            put(&mut out, KIND_WORDS, &self.priors.words);
        }
        if let Some(d) = &self.paper_dictionary {
            put(&mut out, KIND_PAPER, d);
        }
        if let Some(a) = pulse_atoms {
            put(&mut out, KIND_PULSE_ATOMS, &a.to_bytes());
        }
        put(&mut out, KIND_TRAINING, self.training.as_bytes());
        let hash: [u8; 32] = Sha256::digest(&out).into();
        out.extend_from_slice(&hash);
        out
    }

    /// The content hash (SHA-256 of the serialised codebook without its trailing hash).
    #[must_use]
    pub fn hash(&self) -> [u8; 32] {
        self.hash_with_pulse_atoms(None)
    }

    /// The content hash of the codebook serialised with `pulse_atoms`.
    #[must_use]
    pub fn hash_with_pulse_atoms(&self, pulse_atoms: Option<&AtomSet>) -> [u8; 32] {
        let bytes = self.to_bytes_with_pulse_atoms(pulse_atoms);
        let mut h = [0u8; 32];
        h.copy_from_slice(bytes.get(bytes.len() - 32..).unwrap_or(&[0; 32]));
        h
    }

    /// Parse and verify a codebook; returns it with its hash. A pulse-atom entry is checked and
    /// left out (see [`Codebook::parse_with_pulse_atoms`]).
    pub fn parse(bytes: &[u8]) -> Result<(Codebook, [u8; 32]), IsaError> {
        Self::parse_with_pulse_atoms(bytes).map(|(cb, _, hash)| (cb, hash))
    }

    /// Parse and verify a codebook; returns it, its pulse atoms (if it has the entry) and its
    /// hash.
    ///
    /// # Errors
    /// As [`Codebook::parse`]; a malformed pulse-atom entry is as [`AtomSet::parse`], a second
    /// one is [`IsaError::Corrupt`].
    pub fn parse_with_pulse_atoms(
        bytes: &[u8],
    ) -> Result<(Codebook, Option<AtomSet>, [u8; 32]), IsaError> {
        if bytes.get(..4) != Some(&MAGIC[..]) {
            return Err(IsaError::NotACodebook);
        }
        if bytes.len() < 12 + 32 {
            return Err(IsaError::Truncated {
                what: "codebook",
                needed: 44,
                available: bytes.len() as u64,
            });
        }
        let (body, tail) = bytes.split_at(bytes.len() - 32);
        let u16_at = |i: usize| -> u16 {
            let mut b = [0u8; 2];
            b.copy_from_slice(body.get(i..i + 2).unwrap_or(&[0, 0]));
            u16::from_le_bytes(b)
        };
        let version = u16_at(4);
        if version != FORMAT_VERSION {
            return Err(IsaError::CodebookVersion {
                what: "format",
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let computed: [u8; 32] = Sha256::digest(body).into();
        if computed[..] != tail[..] {
            return Err(IsaError::CodebookHash);
        }
        let model = u16_at(6);
        if model != MODEL_VERSION {
            return Err(IsaError::CodebookVersion {
                what: "model",
                found: model,
                supported: MODEL_VERSION,
            });
        }
        let mut cnt = [0u8; 4];
        cnt.copy_from_slice(body.get(8..12).unwrap_or(&[0; 4]));
        let count = u32::from_le_bytes(cnt);
        let mut pos = 12usize;
        let mut description = None;
        let mut probs = None;
        let mut predictions = None;
        let mut paper_dictionary = None;
        let mut pulse_atoms = None;
        let mut words: Option<Box<[u8]>> = None;
        let mut training = String::new();
        for _ in 0..count {
            let head = body.get(pos..pos + 6).ok_or(IsaError::Truncated {
                what: "codebook entry header",
                needed: 6,
                available: body.len().saturating_sub(pos) as u64,
            })?;
            let kind = u16::from_le_bytes(array(head));
            let len = u32::from_le_bytes(array(head.get(2..).unwrap_or(&[]))) as usize;
            pos += 6;
            let payload = body
                .get(pos..pos.saturating_add(len))
                .ok_or(IsaError::Truncated {
                    what: "codebook entry",
                    needed: len as u64,
                    available: body.len().saturating_sub(pos) as u64,
                })?;
            pos += len;
            match kind {
                KIND_DESCRIPTION => description = Some(text(payload)?),
                KIND_TRAINING => training = text(payload)?,
                KIND_PROBS => {
                    if payload.len() % 4 != 0 || payload.len() > TABLE_SLOTS * 4 {
                        return Err(IsaError::CorruptCodebook(
                            "codebook probability table has the wrong size",
                        ));
                    }
                    let mut v: Box<[u16]> = alloc::vec![PROB_HALF; TABLE_SLOTS].into_boxed_slice();
                    let mut last = None;
                    for c in payload.chunks_exact(4) {
                        let i = usize::from(u16::from_le_bytes(array(c)));
                        if last.is_some_and(|l| l >= i) {
                            return Err(IsaError::CorruptCodebook(
                                "codebook probability slots out of order",
                            ));
                        }
                        last = Some(i);
                        let slot = v.get_mut(i).ok_or(IsaError::CorruptCodebook(
                            "codebook probability slot out of range",
                        ))?;
                        *slot = u16::from_le_bytes(array(c.get(2..).unwrap_or(&[])));
                    }
                    probs = Some(v);
                }
                KIND_PREDICTIONS => {
                    if payload.len() != HIST_CTX {
                        return Err(IsaError::CorruptCodebook(
                            "codebook prediction table has the wrong size",
                        ));
                    }
                    predictions = Some(Box::<[u8]>::from(payload));
                }
                KIND_PAPER => paper_dictionary = Some(payload.to_vec()),
                KIND_WORDS => {
                    if words.is_some() {
                        return Err(IsaError::CorruptCodebook(
                            "two macro-word entries in the codebook",
                        ));
                    }
                    words = Some(Box::from(payload));
                }
                KIND_PULSE_ATOMS => {
                    if pulse_atoms.is_some() {
                        return Err(IsaError::CorruptCodebook(
                            "two pulse-atom entries in the codebook",
                        ));
                    }
                    pulse_atoms = Some(AtomSet::parse(payload)?);
                }
                _ => {}
            }
        }
        if pos != body.len() {
            return Err(IsaError::CorruptCodebook(
                "bytes after the last codebook entry",
            ));
        }
        let (Some(probs), Some(predictions)) = (probs, predictions) else {
            return Err(IsaError::CorruptCodebook(
                "codebook lacks the instruction model",
            ));
        };
        let priors = Priors {
            probs,
            predictions,
            words: words.unwrap_or_default(),
        };
        priors.validate()?;
        let mut hash = [0u8; 32];
        hash.copy_from_slice(tail);
        Ok((
            Codebook {
                description: description.unwrap_or_default(),
                priors,
                paper_dictionary,
                training,
            },
            pulse_atoms,
            hash,
        ))
    }
}

/// The first `N` bytes of `s` (zero-filled if shorter; callers check lengths first).
fn array<const N: usize>(s: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    for (d, v) in a.iter_mut().zip(s) {
        *d = *v;
    }
    a
}

fn text(bytes: &[u8]) -> Result<String, IsaError> {
    core::str::from_utf8(bytes)
        .map(String::from)
        .map_err(|_| IsaError::CorruptCodebook("codebook text is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Codebook {
        let mut priors = Priors::default();
        priors.probs[7] = 100;
        priors.predictions[3] = 5;
        Codebook {
            description: "test".into(),
            priors,
            paper_dictionary: Some(alloc::vec![1, 2, 3]),
            training: "none".into(),
        }
    }

    #[test]
    fn round_trips_with_a_stable_hash() {
        let cb = sample();
        let bytes = cb.to_bytes();
        let (back, hash) = Codebook::parse(&bytes).expect("parses");
        assert_eq!(back, cb);
        assert_eq!(hash, cb.hash());
        let mut other = sample();
        other.description = "other".into();
        assert_ne!(other.hash(), cb.hash());
    }

    #[test]
    fn every_flipped_bit_is_detected() {
        let bytes = sample().to_bytes();
        // Every bit of the header and of the small entries, and a sample of the large table.
        let positions =
            (0..bytes.len()).filter(|i| *i < 64 || i % 97 == 0 || *i + 64 > bytes.len());
        for i in positions {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                assert!(
                    Codebook::parse(&b).is_err(),
                    "flip at byte {i} bit {bit} not detected"
                );
            }
        }
    }

    fn atoms() -> AtomSet {
        AtomSet::new(
            4,
            (0..4 * 2 * 3).map(|i| (i * 1000 - 9000) as i16).collect(),
        )
        .expect("atoms")
    }

    #[test]
    fn pulse_atoms_round_trip_and_are_hashed() {
        let cb = sample();
        let a = atoms();
        let bytes = cb.to_bytes_with_pulse_atoms(Some(&a));
        let (back, got, hash) = Codebook::parse_with_pulse_atoms(&bytes).expect("parses");
        assert_eq!(back, cb);
        assert_eq!(got.as_ref(), Some(&a));
        assert_eq!(hash, cb.hash_with_pulse_atoms(Some(&a)));
        assert_ne!(hash, cb.hash());
        // The plain reader accepts it too (and the hash is the same).
        assert_eq!(Codebook::parse(&bytes).expect("parses"), (cb.clone(), hash));
        // Without atoms: the old bytes exactly, no atoms back.
        assert_eq!(cb.to_bytes_with_pulse_atoms(None), cb.to_bytes());
        let (_, none, h) = Codebook::parse_with_pulse_atoms(&cb.to_bytes()).expect("parses");
        assert_eq!((none, h), (None, cb.hash()));
        // Every flipped bit of the atom-carrying codebook is caught.
        for i in (0..bytes.len()).filter(|i| *i < 64 || *i + 200 > bytes.len()) {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                assert!(
                    Codebook::parse_with_pulse_atoms(&b).is_err(),
                    "byte {i} bit {bit}"
                );
            }
        }
    }

    #[test]
    fn macro_words_round_trip_are_hashed_and_checked() {
        use crate::instr::Opcode;
        let mut cb = sample();
        cb.priors.words = [Opcode::H, Opcode::T, Opcode::S]
            .iter()
            .map(|&o| o as u8)
            .collect();
        let bytes = cb.to_bytes();
        let (back, hash) = Codebook::parse(&bytes).expect("parses");
        assert_eq!(back, cb);
        assert_ne!(hash, sample().hash());
        // A two-qubit gate, a native gate or a byte that is no opcode cannot be in a word.
        for bad in [Opcode::Cx as u8, Opcode::Sx as u8, 200] {
            let mut c = cb.clone();
            c.priors.words = [Opcode::H as u8, bad].into();
            assert_eq!(
                Codebook::parse(&c.to_bytes()).map(|_| ()),
                Err(IsaError::CorruptCodebook(
                    "codebook macro words are too long or hold a gate copies cannot"
                ))
            );
        }
    }

    #[test]
    fn malformed_pulse_atoms_are_rejected() {
        let a = atoms();
        let good = a.to_bytes();
        assert_eq!(AtomSet::parse(&good), Ok(a));
        for n in 0..good.len() {
            assert!(AtomSet::parse(&good[..n]).is_err(), "prefix {n}");
        }
        let mut long = good.clone();
        long.push(0);
        assert!(AtomSet::parse(&long).is_err());
        // Window 0 and an empty set are not atom sets.
        assert!(AtomSet::parse(&[0, 0, 0, 0]).is_err());
        assert!(AtomSet::parse(&[4, 0, 0, 0]).is_err());
    }

    #[test]
    fn truncation_and_versions_are_named() {
        let bytes = sample().to_bytes();
        for n in [0, 3, 10, 43, bytes.len() - 1] {
            assert!(Codebook::parse(&bytes[..n]).is_err());
        }
        let mut b = bytes.clone();
        b[4] = 9;
        assert!(matches!(
            Codebook::parse(&b),
            Err(IsaError::CodebookVersion {
                what: "format",
                found: 9,
                ..
            })
        ));
        assert_eq!(
            Codebook::parse(b"nope, not a codebook at all......................"),
            Err(IsaError::NotACodebook)
        );
    }
}
