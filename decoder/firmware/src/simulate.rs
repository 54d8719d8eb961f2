//! A run: the file fed unit by unit to the real decoders, every event on the timeline.

use eqisa_decoder::{Decoder, Fed, feed_chunks};
use eqisa_isa::IsaError;
use eqisa_isa::model::Priors;
use eqisa_isa::pulse::AtomSet;

use crate::error::FirmwareError;
use crate::framing::Framer;
use crate::params::FirmwareParams;
use crate::pulse_side::PulseSide;
use crate::report::{FirmwareReport, report};
use crate::state::{Line, State};
use crate::timeline::Timeline;
use crate::units::Units;

/// Feeds `chunk` to the instruction decoder and handles every instruction it releases.
/// Returns whether the decoder reached the end of the file.
fn pump_instructions(
    dec: &mut Decoder<'_>,
    st: &mut State,
    chunk: &[u8],
    at: usize,
) -> Result<bool, FirmwareError> {
    let mut rest = chunk;
    let fed = feed_chunks(dec, &mut rest, usize::MAX, |t| {
        st.instr(t);
        Ok::<(), FirmwareError>(())
    })?;
    match fed {
        Fed::End if !rest.is_empty() => Err(IsaError::TrailingBytes(rest.len()).into()),
        Fed::End => Ok(true),
        Fed::NeedInput => Ok(false),
        Fed::Stalled => Err(FirmwareError::Stalled {
            at: at + chunk.len() - rest.len(),
        }),
    }
}

/// Simulates the program `bytes` (a whole `.eqb`) on the modelled controller.
///
/// `priors` and `codebook_hash` are the codebook's (as for [`Decoder::new`]), `atoms` its pulse
/// atoms (needed when the pulse section has sparse waveforms).
///
/// # Errors
/// [`FirmwareError::Param`] for a parameter out of range; [`FirmwareError::Decode`] for any file
/// the decoders reject (truncated, corrupted, another codebook's, missing atoms), never a panic.
pub fn simulate(
    bytes: &[u8],
    priors: &Priors,
    codebook_hash: [u8; 32],
    atoms: Option<&AtomSet>,
    params: &FirmwareParams,
) -> Result<FirmwareReport, FirmwareError> {
    let u = Units::new(params)?;
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
        ended |= pump_instructions(&mut dec, &mut st, chunk, fed)?;
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
    Ok(report(st, params, bytes.len()))
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
