//! A run: the file fed unit by unit to the real decoders, every event on the timeline.

use eqisa_decoder::{Decoder, Event};
use eqisa_isa::IsaError;
use eqisa_isa::model::Priors;
use eqisa_isa::pulse::AtomSet;

use crate::error::FirmwareError;
use crate::framing::Framer;
use crate::outcomes::Answers;
use crate::params::FirmwareParams;
use crate::pulse_side::PulseSide;
use crate::report::{FirmwareReport, report};
use crate::state::{Line, State};
use crate::timeline::Timeline;
use crate::units::Units;

/// What one [`Decoder::next_event`] call gave, with nothing borrowed from the decoder.
enum Step {
    /// An instruction (its qubits in [`State::scratch`]): start and duration, ns.
    Instr(f64, f64),
    NeedInput,
    Await(u32, u64),
    End,
}

/// Feeds `chunk` to the instruction decoder and handles every instruction it releases, answering
/// real-time conditions from `answers`. Returns whether the decoder reached the end of the file.
///
/// A program that runs straight is drained block by block (the decoder's fast path); one with a
/// control section event by event, so that each released instruction is known to come from the
/// stream or from the replay buffer, and the text decoded into the buffer is charged as it is.
fn pump_instructions(
    dec: &mut Decoder<'_>,
    st: &mut State,
    answers: &mut Answers,
    chunk: &[u8],
    at: usize,
) -> Result<bool, FirmwareError> {
    let mut rest = chunk;
    loop {
        if dec.control().is_none() {
            dec.try_drain_block(|t| {
                st.instr(t);
                Ok::<(), FirmwareError>(())
            })?;
        }
        let (decoded, replayed) = (dec.ops_done(), dec.replayed_ops());
        let step = match dec.next_event()? {
            Event::Instr(t) => {
                st.scratch.clear();
                st.scratch.extend_from_slice(t.instr.qubits);
                Step::Instr(t.start_ns, t.duration_ns)
            }
            Event::NeedInput => Step::NeedInput,
            Event::Await { cond, bit_offset } => Step::Await(cond, bit_offset),
            Event::End => Step::End,
        };
        let from_buffer = dec.replayed_ops() > replayed;
        let streamed = matches!(step, Step::Instr(..)) && !from_buffer;
        // What the call decoded beyond a streamed instruction went into the replay buffer.
        st.fill((dec.ops_done() - decoded).saturating_sub(u64::from(streamed)));
        match step {
            Step::Instr(start, duration) => st.scratch_instr(start, duration, from_buffer),
            Step::Await(cond, bit_offset) => dec.answer(answers.answer(cond, bit_offset)?),
            Step::End if !rest.is_empty() => {
                return Err(IsaError::TrailingBytes(rest.len()).into());
            }
            Step::End => return Ok(true),
            Step::NeedInput => {
                if rest.is_empty() {
                    return Ok(false);
                }
                let n = dec.feed(rest);
                if n == 0 {
                    return Err(FirmwareError::Stalled {
                        at: at + chunk.len() - rest.len(),
                    });
                }
                rest = rest.get(n..).unwrap_or(&[]);
            }
        }
    }
}

/// Bytes of one replay-buffer entry: opcode, condition, argument and operand index.
pub const REPLAY_ENTRY_BYTES: u64 = 16;
/// Bytes of one qubit operand in the replay buffer.
pub const REPLAY_WORD_BYTES: u64 = 4;

/// Simulates the program `bytes` (a whole `.eqb`) on the modelled controller.
///
/// `priors` and `codebook_hash` are the codebook's (as for [`Decoder::new`]), `atoms` its pulse
/// atoms (needed when the pulse section has sparse waveforms).
///
/// # Errors
/// [`FirmwareError::Param`] for a parameter out of range; [`FirmwareError::Decode`] for any file
/// the decoders reject (truncated, corrupted, another codebook's, missing atoms), never a panic;
/// [`FirmwareError::WhileCap`] when a real-time `while` loop runs past
/// [`FirmwareParams::max_while_iterations`], [`FirmwareError::OutOfOutcomes`] when the given
/// outcomes run out.
pub fn simulate(
    bytes: &[u8],
    priors: &Priors,
    codebook_hash: [u8; 32],
    atoms: Option<&AtomSet>,
    params: &FirmwareParams,
) -> Result<FirmwareReport, FirmwareError> {
    let u = Units::new(params)?;
    let mut answers = Answers::new(params)?;
    let mut st = State::new(u, Timeline::new(u.rate_bps, bytes.len()));
    let mut dec = Decoder::new(priors, codebook_hash);
    let mut pulse: Option<PulseSide<'_>> = None;
    let mut framer = Framer::new(bytes);
    let mut fed = 0usize;
    let mut ended = false;
    let mut dt_known = false;
    loop {
        // A framing the framer cannot read is handed to the decoders whole: their error names
        // the problem as `eqisa decode` would.
        let (end, framing_error) = match framer.next_end() {
            Ok(Some(end)) => (end.min(bytes.len()).max(fed), None),
            Ok(None) => break,
            Err(e) => (bytes.len(), Some(e)),
        };
        if let Some(span) = framer.take_pulse() {
            pulse = Some(PulseSide::new(bytes, span, atoms)?);
        }
        if st.qubits.is_empty()
            && let Some(pre) = dec.preamble()
        {
            st.qubits = vec![Line::default(); pre.header.qubit_count as usize];
        }
        if let Some(p) = &pulse
            && st.channels.is_empty()
            && let Some(h) = p.header()
        {
            st.channels = h
                .channels
                .iter()
                .map(|c| (c.to_string(), Line::default()))
                .collect();
        }
        st.tl.begin(end);
        let chunk = bytes.get(fed..end).unwrap_or(&[]);
        ended |= pump_instructions(&mut dec, &mut st, &mut answers, chunk, fed)?;
        // The program section precedes the pulse section: its `dt` times every play.
        if !dt_known && let Some(info) = dec.info() {
            st.u.set_dt(params.dt_ns, f64::from_bits(info.params.dt_ns_bits))?;
            dt_known = true;
        }
        if let Some(p) = pulse.as_mut() {
            p.pump(&mut st, bytes, fed, end)?;
        }
        fed = end;
        st.tl.end();
        if let Some(e) = framing_error {
            dec.finish()?;
            return Err(e.into());
        }
    }
    if fed < bytes.len() {
        return Err(IsaError::TrailingBytes(bytes.len() - fed).into());
    }
    // Without the end, this is the decoder's "truncated" error.
    dec.finish()?;
    if !ended {
        return Err(FirmwareError::Inconsistent(
            "the decoder did not reach the end of the file",
        ));
    }
    if let Some(p) = &pulse
        && !p.ended()
    {
        return Err(FirmwareError::Inconsistent(
            "the pulse section did not end with the file",
        ));
    }
    let buffer_bytes = dec.control().map_or(0, |c| {
        c.replay_ops
            .saturating_mul(REPLAY_ENTRY_BYTES)
            .saturating_add(c.replay_words.saturating_mul(REPLAY_WORD_BYTES))
    });
    Ok(report(st, params, bytes.len(), buffer_bytes))
}

/// The lowest link rate (Gb/s) at which `bytes` runs without underruns on the controller of
/// `params` (whose `link_gbps` is ignored): [`FirmwareReport::min_link_gbps`].
///
/// # Errors
/// As [`simulate`].
pub fn min_link_gbps(
    bytes: &[u8],
    priors: &Priors,
    codebook_hash: [u8; 32],
    atoms: Option<&AtomSet>,
    params: &FirmwareParams,
) -> Result<Option<f64>, FirmwareError> {
    simulate(bytes, priors, codebook_hash, atoms, params).map(|r| r.min_link_gbps)
}
