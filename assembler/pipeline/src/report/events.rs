//! The encodings `eqisa report` compares, and the event model of each: which control events
//! (link bits, decoded instructions and symbols, waveform-memory reads, multiply-adds, DAC
//! samples) a controller spends to play one circuit under that encoding. The energy model
//! (`eqisa_firmware::energy`) turns the counts into joules; this module only counts.
//!
//! Every count comes from the real encoders' output on the file ([`Counts`]); where a count is
//! not exposed by the encoder, the model says so and what it counts instead
//! ([`Encoding::event_model`]).

use eqisa_firmware::energy::Events;
use eqisa_isa::pulse::{
    CodedWaveform, IDENTITY_ROTATION, PlayBody, PulseSection, ROTATION_FRAC_BITS,
    reconstruction_work,
};
use eqisa_pulse::PulseProgram;
use serde::Serialize;

/// Bits of one complex DAC sample (16-bit I and Q), as waveform memory stores it.
pub const SAMPLE_BITS: u64 = 32;

/// Multiply-adds of one complex multiply (a play rotation, or one atom term on one sample):
/// two products for the real part and two for the imaginary part.
pub const COMPLEX_MULTIPLY_ADDS: u64 = 4;

/// Points of the inverse DCT the DCT row charges per window: the smallest window the COMPAQT
/// baseline searches (`eqisa_baselines::dct::SEARCH_WINDOWS`).
pub const DCT_POINTS: u64 = 16;

/// Bits of one stored DCT basis value (a 16-bit cosine).
pub const DCT_BASIS_BITS: u64 = 16;

/// Bits the range decoder takes in one step of a direct (unmodelled) field: `eqisa-isa`'s
/// range coders (`eqisa_isa::coder`) decode direct bits in chunks of this many.
pub const DIRECT_CHUNK_BITS: u32 = 16;

/// Whether an encoding carries instructions (the controller holds the calibrated waveforms) or
/// the pulse samples themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// An instruction stream; the controller plays the device's calibrated waveforms.
    Instruction,
    /// The pulse samples (or a code of them) are streamed.
    Pulse,
}

/// One row of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Fixed-width native instructions.
    Binary,
    /// The EQISA paper's pipeline.
    Paper,
    /// bzip2 -9 of the binary stream.
    Bzip2,
    /// xz -9 of the binary stream.
    Xz,
    /// zstd -19 of the binary stream.
    Zstd,
    /// Our instruction stream.
    Eqisa,
    /// Every pulse sample streamed.
    RawSamples,
    /// COMPAQT-style windowed DCT of the waveforms.
    Dct,
    /// zstd -19 of the raw samples.
    ZstdSamples,
    /// Our pulse section.
    EqisaPulses,
}

impl Encoding {
    /// Every encoding, in report order: instruction level, then pulse level.
    pub const ALL: [Encoding; 10] = [
        Encoding::Binary,
        Encoding::Paper,
        Encoding::Bzip2,
        Encoding::Xz,
        Encoding::Zstd,
        Encoding::Eqisa,
        Encoding::RawSamples,
        Encoding::Dct,
        Encoding::ZstdSamples,
        Encoding::EqisaPulses,
    ];

    /// The stable JSON key.
    pub fn key(self) -> &'static str {
        match self {
            Encoding::Binary => "binary",
            Encoding::Paper => "paper",
            Encoding::Bzip2 => "bzip2",
            Encoding::Xz => "xz",
            Encoding::Zstd => "zstd",
            Encoding::Eqisa => "eqisa",
            Encoding::RawSamples => "raw_samples",
            Encoding::Dct => "dct",
            Encoding::ZstdSamples => "zstd_samples",
            Encoding::EqisaPulses => "eqisa_pulses",
        }
    }

    /// The name in text tables and plots.
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Binary => "binary",
            Encoding::Paper => "paper",
            Encoding::Bzip2 => "bzip2",
            Encoding::Xz => "xz",
            Encoding::Zstd => "zstd",
            Encoding::Eqisa => "eqisa",
            Encoding::RawSamples => "raw samples",
            Encoding::Dct => "dct",
            Encoding::ZstdSamples => "zstd samples",
            Encoding::EqisaPulses => "eqisa pulses",
        }
    }

    /// Instruction or pulse level.
    pub fn level(self) -> Level {
        match self {
            Encoding::Binary
            | Encoding::Paper
            | Encoding::Bzip2
            | Encoding::Xz
            | Encoding::Zstd
            | Encoding::Eqisa => Level::Instruction,
            Encoding::RawSamples
            | Encoding::Dct
            | Encoding::ZstdSamples
            | Encoding::EqisaPulses => Level::Pulse,
        }
    }

    /// The row ours is compared with in the "× ours" column: `eqisa` for instruction-level
    /// rows, `eqisa_pulses` for pulse-level ones.
    pub fn ours(self) -> Encoding {
        match self.level() {
            Level::Instruction => Encoding::Eqisa,
            Level::Pulse => Encoding::EqisaPulses,
        }
    }

    /// What the row's bits are and how its events are counted (the same text is in the JSON
    /// `encodings` list and in `eqisa report --help`).
    pub fn event_model(self) -> &'static str {
        match self {
            Encoding::Binary => {
                "bits: the fixed-width binary stream (opcode + operands + quantised angles + timing), as `assemble` reports bits.binary. \
                 Events: instruction-level (see the common rule); no entropy decoding (0 symbols)."
            }
            Encoding::Paper => {
                "bits: the paper's whole pipeline, Solovay-Kitaev words Huffman-coded then bzip2 -9 (assemble's bits.paper_huffman_bzip2; bits.paper_huffman is given beside it). \
                 It codes a Clifford+T program without operands or timing, at the cheapest Solovay-Kitaev setting (fewest Huffman bits) of a small grid (depth 3, 6, 9, 12, 15 x recursion 0..=4; at each depth the lowest recursion that meets it) whose fidelity bound meets the budget ours got, so that it is compared at equal or better fidelity; null where no setting of the grid meets it, and for circuits with classical control (not comparable). \
                 With --paper-at-own-fidelity it runs at --paper-depth/--paper-recursion whatever fidelity that reaches, and the row is marked where that is below the budget. \
                 Events: instructions = its words; symbols = its words (one Huffman codeword each) + the bytes its bzip2 stage decompresses (one entropy-decoder step per byte, a lower bound for bzip2); \
                 memory reads, multiply-adds and DAC samples as the native schedule (its own longer program is not played here, which flatters it)."
            }
            Encoding::Bzip2 | Encoding::Xz | Encoding::Zstd => {
                "bits: the general-purpose compressor (bzip2 -9, xz -9, zstd -19) over the binary stream, as `assemble` reports them. \
                 Events: instruction-level; symbols = bytes of the binary stream decompressed (one entropy-decoder step per output byte: a lower bound, bzip2 also inverts a BWT)."
            }
            Encoding::Eqisa => {
                "bits: the .eqb file without its pulse section (header, program, metadata and instruction sections, CRCs), as `assemble --pulses` reports bits.eqisa. \
                 Events: instruction-level; symbols = the exact number of range-decoder steps (adaptive binary decisions, plus one per direct chunk of up to 16 bits), counted by running the instruction model over the program."
            }
            Encoding::RawSamples => {
                "bits: every played sample streamed, 2 x DAC bits each (pulse_bits.raw). \
                 Events: the link bits and the DAC samples only: samples go straight to the DACs."
            }
            Encoding::Dct => {
                "bits: the pulse section with every waveform DCT-coded (COMPAQT-style, at the same per-pulse budget) instead of sparse-coded (pulse_bits.dct). \
                 Events: instructions = section items (memory waveforms + plays); symbols = one per coded bit (a bit-serial prefix-code decoder); \
                 multiply-adds = 2 x 16 per reconstructed sample (a direct 16-point inverse DCT of I and Q, the smallest window the baseline searches: the encoder does not report the window or the kept coefficients) + 4 per sample of a rotated memory play; \
                 memory reads = 16 cosines of 16 bits per reconstructed sample + 32 bits per sample of a memory play (the decoded waveform memory)."
            }
            Encoding::ZstdSamples => {
                "bits: zstd -19 of the raw int16 I/Q samples (pulse_bits.zstd). \
                 Events: symbols = 4 bytes per played sample decompressed (one entropy-decoder step per output byte); no memory reads or multiply-adds counted."
            }
            Encoding::EqisaPulses => {
                "bits: our pulse section (pulse_bits.eqisa): the waveform memory sparse-coded over the codebook's atoms, then the timed plays. \
                 Events: instructions = section items (memory waveforms + plays); symbols = one per coded bit (an estimate: the section's range-decoder steps are not exposed by eqisa-isa); \
                 multiply-adds, exact from the coded section as the decoder runs it: each memory waveform and inline play is rebuilt once, Σ over its windows of terms x samples in the window x 4 \
                 (a window equal to the previous one is copied, as the decoder's kernel does for 16-, 32- and 64-sample atoms; `eqisa simulate` charges those windows too), + 4 per sample of a rotated memory play; \
                 memory reads = 32 bits per atom sample per term (the atom table) + 32 bits per sample of a memory play (the decoded waveform memory)."
            }
        }
    }
}

/// The rule every instruction-level row shares, for the JSON and `--help`.
pub const INSTRUCTION_LEVEL_RULE: &str = "Instruction-level rows assume the controller holds the device's calibrated waveforms in memory: \
     link bits = the row's bits; instructions decoded = the routed native program's operations; \
     waveform-memory reads = 32 bits per played sample; multiply-adds = 4 per sample of every play whose frame phase or amplitude scale is not the identity (the controller rotates the stored waveform, at the pulse section's Q14 rotation precision).";

/// The rule every row shares.
pub const COMMON_RULE: &str = "Every row: DAC samples = lines with plays x the end of the last play in samples (every line's DAC runs at the sample clock from time 0 to the last play's end, idle lines output zeros; as the firmware simulation counts them); \
     link lanes = the link rate needed in real time (bits / schedule duration) over --link-gbps, rounded up, at least 1 (each lane conducts heat for the whole schedule). \
     Energy, heat at 4 K and wall-plug energy are the energy model's evaluation of these events over the schedule's duration.";

/// Structural counts of a coded pulse section, as the decoder rebuilds it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SectionCounts {
    /// Memory waveforms plus plays: the items the decoder takes one by one.
    pub items: u64,
    /// Samples rebuilt from codes: every memory waveform once, and every inline play.
    pub reconstructed_samples: u64,
    /// Multiply-adds of the sparse windows rebuilt (copies of a repeated window excluded).
    pub sparse_multiply_adds: u64,
    /// Atom-table bits read by those windows.
    pub atom_read_bits: u64,
    /// Samples of plays of memory waveforms (each read from the decoded memory).
    pub memory_play_samples: u64,
    /// Of those, samples of plays with a rotation other than the identity.
    pub rotated_memory_play_samples: u64,
}

/// Counts the decoder's work on `section` with atoms of `window` samples.
pub fn section_counts(section: &PulseSection, window: usize) -> SectionCounts {
    let mut c = SectionCounts {
        items: (section.memory.len() + section.plays.len()) as u64,
        ..SectionCounts::default()
    };
    let rebuild = |wf: &CodedWaveform, c: &mut SectionCounts| {
        c.reconstructed_samples += wf.len() as u64;
        // As the decoder's kernels run (repeated windows copied; lossless samples are free).
        let work = reconstruction_work(wf, window);
        c.sparse_multiply_adds += work.multiply_adds;
        c.atom_read_bits += work.atom_samples_read * SAMPLE_BITS;
    };
    for wf in &section.memory {
        rebuild(wf, &mut c);
    }
    for p in &section.plays {
        match &p.body {
            PlayBody::Inline(wf) => rebuild(wf, &mut c),
            PlayBody::Memory { slot, rotation } => {
                let n = section
                    .memory
                    .get(*slot as usize)
                    .map_or(0, |m| m.len() as u64);
                c.memory_play_samples += n;
                if *rotation != IDENTITY_ROTATION {
                    c.rotated_memory_play_samples += n;
                }
            }
        }
    }
    c
}

/// A complex play scale in the pulse section's Q14 rotation format (as the pulse encoder
/// quantises it), so that "not the identity" means the same at both levels.
fn rotation_q14(re: f64, im: f64) -> [i16; 2] {
    let one = f64::from(1u32 << ROTATION_FRAC_BITS);
    let q = |v: f64| (v * one).round().clamp(-32767.0, 32767.0) as i16;
    [q(re), q(im)]
}

/// Samples of the plays whose scale (frame phase, and the amplitude of a direct rotation) is not
/// the identity: what an instruction-level controller rotates.
pub fn rotated_play_samples(prog: &PulseProgram) -> u64 {
    prog.plays
        .iter()
        .filter(|p| rotation_q14(p.scale.re, p.scale.im) != IDENTITY_ROTATION)
        .map(|p| p.len(prog))
        .sum()
}

/// End of the last play, in samples: the DACs run from time 0 to here (as the firmware
/// simulation counts them).
pub fn last_play_end(prog: &PulseProgram) -> u64 {
    prog.plays
        .iter()
        .map(|p| p.start + p.len(prog))
        .max()
        .unwrap_or(0)
}

/// Everything the event models need about one circuit, from the encoders' output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Operations of the routed native program.
    pub native_ops: u64,
    /// Samples played (sum over plays).
    pub played_samples: u64,
    /// Of those, samples of plays whose scale is not the identity.
    pub rotated_play_samples: u64,
    /// Lines with plays × the end of the last play, in samples.
    pub dac_samples: u64,
    /// Range-decoder steps of our instruction stream.
    pub eqisa_decisions: u64,
    /// Bits of the fixed-width binary stream.
    pub binary_bits: u64,
    /// The paper's words, when its pipeline ran.
    pub paper_words: Option<u64>,
    /// The paper's Huffman bits, when its pipeline ran.
    pub paper_huffman_bits: Option<u64>,
    /// Bits of our pulse section.
    pub pulse_section_bits: u64,
    /// Bits of the DCT-coded pulse section.
    pub dct_bits: u64,
    /// The pulse section's structure.
    pub section: SectionCounts,
}

/// `ceil(bits / 8)`.
fn bytes_of(bits: u64) -> u64 {
    bits.div_ceil(8)
}

/// The events of `enc` for a circuit with `counts`, its row carrying `bits` over `lanes` link
/// lanes; `None` when the encoding has nothing for this circuit (the paper on classical
/// control).
pub fn events(enc: Encoding, counts: &Counts, bits: u64, lanes: u64) -> Option<Events> {
    let base = Events {
        link_bits: bits,
        link_lanes: lanes,
        dac_samples: counts.dac_samples,
        ..Events::default()
    };
    let instruction = Events {
        instructions_decoded: counts.native_ops,
        waveform_memory_read_bits: counts.played_samples * SAMPLE_BITS,
        multiply_adds: counts.rotated_play_samples * COMPLEX_MULTIPLY_ADDS,
        ..base
    };
    let s = &counts.section;
    Some(match enc {
        Encoding::Binary => instruction,
        Encoding::Paper => {
            let words = counts.paper_words?;
            Events {
                instructions_decoded: words,
                symbols_decoded: words + bytes_of(counts.paper_huffman_bits?),
                ..instruction
            }
        }
        Encoding::Bzip2 | Encoding::Xz | Encoding::Zstd => Events {
            symbols_decoded: bytes_of(counts.binary_bits),
            ..instruction
        },
        Encoding::Eqisa => Events {
            symbols_decoded: counts.eqisa_decisions,
            ..instruction
        },
        Encoding::RawSamples => base,
        Encoding::ZstdSamples => Events {
            symbols_decoded: counts.played_samples * 4,
            ..base
        },
        Encoding::Dct => Events {
            instructions_decoded: s.items,
            symbols_decoded: counts.dct_bits,
            multiply_adds: s.reconstructed_samples * 2 * DCT_POINTS
                + s.rotated_memory_play_samples * COMPLEX_MULTIPLY_ADDS,
            waveform_memory_read_bits: s.reconstructed_samples * DCT_POINTS * DCT_BASIS_BITS
                + s.memory_play_samples * SAMPLE_BITS,
            ..base
        },
        Encoding::EqisaPulses => Events {
            instructions_decoded: s.items,
            symbols_decoded: counts.pulse_section_bits,
            multiply_adds: s.sparse_multiply_adds
                + s.rotated_memory_play_samples * COMPLEX_MULTIPLY_ADDS,
            waveform_memory_read_bits: s.atom_read_bits + s.memory_play_samples * SAMPLE_BITS,
            ..base
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqisa_isa::pulse::{PlayCode, Term, WindowCode};

    fn window(terms: usize) -> WindowCode {
        WindowCode {
            shift: 3,
            terms: (0..terms)
                .map(|k| Term {
                    atom: k as u16,
                    coef: [1, 2],
                })
                .collect(),
        }
    }

    #[test]
    fn section_counts_follow_the_decoder() {
        // 40 samples in 16-sample windows: 16 (2 terms), 16 (a repeat: copied), 8 (1 term).
        let wf = CodedWaveform::Sparse {
            len: 40,
            windows: vec![window(2), window(2), window(1)],
            modulation: None,
        };
        let section = PulseSection {
            dac_bits: 16,
            channels: Vec::new(),
            memory: vec![wf, CodedWaveform::Lossless(vec![[0, 0]; 10])],
            plays: vec![
                PlayCode {
                    channel: 0,
                    start: 0,
                    body: PlayBody::Memory {
                        slot: 0,
                        rotation: IDENTITY_ROTATION,
                    },
                },
                PlayCode {
                    channel: 0,
                    start: 40,
                    body: PlayBody::Memory {
                        slot: 1,
                        rotation: [0, 16384],
                    },
                },
            ],
        };
        let c = section_counts(&section, 16);
        assert_eq!(c.items, 4);
        assert_eq!(c.reconstructed_samples, 50);
        // The repeated full window is copied; the 16-sample kernel computes the partial last
        // window (8 samples, one term) at full width.
        assert_eq!(c.sparse_multiply_adds, (2 * 16 + 16) * 4);
        assert_eq!(c.atom_read_bits, (2 * 16 + 16) * 32);
        assert_eq!(c.memory_play_samples, 50);
        assert_eq!(c.rotated_memory_play_samples, 10);
        // The generic kernel copies a repeat too, and computes only the samples a window covers:
        // with 20-sample windows the 40 samples are the first window and its repeat.
        let c = section_counts(&section, 20);
        assert_eq!(c.sparse_multiply_adds, 2 * 20 * 4);
    }

    #[test]
    fn the_paper_has_no_events_without_its_stream() {
        let counts = Counts::default();
        assert!(events(Encoding::Paper, &counts, 0, 1).is_none());
        assert!(events(Encoding::Binary, &counts, 0, 1).is_some());
    }
}
