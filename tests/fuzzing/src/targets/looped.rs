//! Mutated `.eqb` programs with a control section (counted loops with strides, real-time
//! `while` loops) into the streaming decoder, built for the embedded default codebook: as they
//! are, and with every checksum recomputed (`fix_crcs`) so that edits reach the control-section
//! parser and the replay buffer. Each decode goes through `feed_chunks`, in chunk sizes drawn
//! from the input's hash, with a condition source that answers the `while` loops from that hash
//! too (true at most [`MAX_TRUE`] times, so a loop cannot iterate for ever), and stops after
//! [`MAX_RELEASED`] instructions (a valid program may run 10^6 iterations).
//!
//! Fails on a panic, a hang, a decoder that asks for input but takes none or whose `finish()`
//! accepts an unfinished program; on a released instruction whose qubit is outside the header's
//! count, a measurement (its bit shifted by the loop's stride) outside the header's classical
//! bits, a condition that is not the program's or that reads (shifted) bits outside them; on a
//! `while` condition asked that is not the program's; and on a decoder that releases anything
//! from a file whose header does not read.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use eqisa_decoder::{Decoder, Fed, feed_chunks};
use eqisa_isa::codebook::Codebook;
use eqisa_isa::control::Control;
use eqisa_isa::instr::Opcode;
use eqisa_isa::{IsaError, parse_header};

use crate::chunks::Chunks;
use crate::eqb::fix_crcs;

/// The embedded default codebook (`codebooks/default.eqcb`, what `eqisa assemble` uses without
/// `--codebook`) and its hash: the looped seeds are assembled with it.
pub static DEFAULT: LazyLock<(Codebook, [u8; 32])> = LazyLock::new(|| {
    Codebook::parse(include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../codebooks/default.eqcb"
    )))
    .expect("the default codebook parses")
});

/// Most instructions taken from one decode.
pub const MAX_RELEASED: u64 = 1 << 20;

/// Most `true` answers the condition source gives in one decode.
pub const MAX_TRUE: u64 = 1 << 10;

/// How a decode stopped.
#[derive(Debug, PartialEq)]
pub enum Stop {
    /// `Fed::End`, no trailing bytes, and `finish()` accepted the program.
    End,
    /// [`MAX_RELEASED`] (or the cap given) instructions were taken first.
    Cap,
    /// The decoder refused the input (or it was cut short).
    Refused(IsaError),
}

impl From<IsaError> for Stop {
    fn from(e: IsaError) -> Self {
        Stop::Refused(e)
    }
}

/// What one decode did.
#[derive(Debug)]
pub struct Decoded {
    /// Instructions released.
    pub released: u64,
    /// How it stopped.
    pub stop: Stop,
    /// The program's control tree, when its control section was read.
    pub control: Option<Control>,
    /// Conditions the source was asked.
    pub asked: u64,
}

/// Decodes `bytes` with the default codebook through `feed_chunks` in chunks from `chunks`,
/// answering `while` conditions with `answer(cond, bit_offset)` (or releasing the text only),
/// taking at most `cap` instructions; checks every instruction released against the header.
pub fn decode(
    bytes: &[u8],
    chunks: &mut Chunks,
    text_only: bool,
    answer: &mut dyn FnMut(u32, u64) -> bool,
    cap: u64,
) -> Decoded {
    let (cb, hash) = &*DEFAULT;
    let header = parse_header(bytes).ok().map(|(p, _)| p.header);
    let (qubits, clbits) = header
        .as_ref()
        .map_or((0, 0), |h| (h.qubit_count, u64::from(h.clbit_count)));

    // The conditions asked and read, with the largest bit shift each was used with: checked
    // against the program section once the decode has stopped.
    let mut asked: BTreeMap<u32, u64> = BTreeMap::new();
    let mut asked_count = 0u64;
    let mut read: BTreeMap<u32, u64> = BTreeMap::new();

    let mut dec = Decoder::new(&cb.priors, *hash);
    if text_only {
        dec = dec.text_only();
    }
    {
        let asked = &mut asked;
        let asked_count = &mut asked_count;
        dec.set_condition_source(Box::new(move |cond, offset| {
            *asked_count += 1;
            let e = asked.entry(cond).or_insert(0);
            *e = (*e).max(offset);
            answer(cond, offset)
        }));
    }
    let mut rest = bytes;
    let mut released = 0u64;
    let fed = feed_chunks(
        &mut dec,
        &mut rest,
        || chunks.next_size(),
        |t| {
            if released >= cap {
                return Err(Stop::Cap);
            }
            released += 1;
            let i = &t.instr;
            for &q in i.qubits {
                assert!(q < qubits, "{t:?}: qubit {q} of {qubits}");
            }
            if i.opcode == Opcode::Measure {
                assert!(i.arg < clbits, "{t:?}: bit {} of {clbits}", i.arg);
            }
            if let Some(c) = i.cond {
                let e = read.entry(c).or_insert(0);
                *e = (*e).max(t.bit_offset);
            }
            Ok(())
        },
    );
    let stop = match fed {
        Ok(Fed::End) if !rest.is_empty() => Stop::Refused(IsaError::TrailingBytes(rest.len())),
        Ok(Fed::End) => match dec.finish() {
            Ok(()) => Stop::End,
            Err(e) => Stop::Refused(e),
        },
        Ok(Fed::NeedInput) => {
            let end = dec.finish();
            assert!(
                end.is_err(),
                "decoder wants input, yet finish() accepts the program"
            );
            Stop::Refused(end.unwrap_err())
        }
        Ok(Fed::Stalled) => panic!("decoder asked for input but took none"),
        Err(Stop::Refused(e)) => {
            let _ = e.to_string();
            Stop::Refused(e)
        }
        Err(s) => s,
    };
    if header.is_none() {
        assert_eq!(
            released, 0,
            "instructions released from a file without a header"
        );
        assert!(
            !matches!(stop, Stop::End),
            "a file without a header decodes"
        );
    }
    if let Some(h) = dec.preamble() {
        assert_eq!(
            Some(&h.header),
            header.as_ref(),
            "two readings of the header"
        );
    }
    let info = dec.info().cloned();
    let control = dec.control().cloned();
    // The condition source borrows what it records.
    drop(dec);
    if released > 0 || asked_count > 0 {
        let info = info.expect("instructions before the program section");
        let n = info.params.num_conditions;
        let bits = |c: u32| info.condition_bits.get(c as usize).expect("a condition");
        for (&c, &offset) in &read {
            assert!(c < n, "an instruction waits on condition {c} of {n}");
            if let Some(&b) = bits(c).last() {
                assert!(
                    u64::from(b) + offset < clbits,
                    "condition {c} reads bit {b} + {offset} of {clbits}"
                );
            }
        }
        for &c in asked.keys() {
            assert!(c < n, "a while loop asks condition {c} of {n}");
        }
    }
    Decoded {
        released,
        stop,
        control,
        asked: asked_count,
    }
}

/// Pseudo-random answers drawn from a seed: true three times in four, at most [`MAX_TRUE`]
/// times in all.
pub fn answers(seed: u64) -> impl FnMut(u32, u64) -> bool {
    let mut state = seed | 1;
    let mut trues = 0u64;
    move |_, _| {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let holds = state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 62 != 0 && trues < MAX_TRUE;
        trues += u64::from(holds);
        holds
    }
}

fn fnv(data: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in data {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Runs the target on `data`; panics when a property fails.
pub fn run(data: &[u8]) {
    let h = fnv(data);
    decode(
        data,
        &mut Chunks::new(h),
        false,
        &mut answers(h >> 7),
        MAX_RELEASED,
    );
    let mut fixed = data.to_vec();
    fix_crcs(&mut fixed);
    if fixed != data {
        let h = h.rotate_left(29);
        decode(
            &fixed,
            &mut Chunks::new(h),
            h & 1 == 0,
            &mut answers(h >> 7),
            MAX_RELEASED,
        );
    }
}
