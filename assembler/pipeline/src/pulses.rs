//! A circuit's pulses on a device: channels, plays and samples, and the bits of its pulse
//! stream and of the device's whole waveform memory under our coder and the baselines.

use eqisa_assembler::pulses::{encode_memory, encode_program};
use eqisa_ir::Circuit;
use serde::Serialize;

use crate::assemble::PulseBitsReport;
use crate::codebook::LoadedCodebook;
use crate::config::{LowerConfig, PulseConfig};
use crate::error::PipelineError;
use crate::place::{Placed, coder_for, place};

/// The figures of a circuit's pulses (what `eqisa pulses --json` prints).
#[derive(Clone, Debug, Serialize)]
pub struct PulsesReport {
    /// The circuit's name.
    pub file: String,
    /// The device's name.
    pub device: String,
    /// Which device it is and why: `--device FILE`, or the embedded default for the circuit's
    /// size (ibmq_lima, or a grid built from its calibrations).
    pub device_note: String,
    /// `calibrated` or `direct-rotation`.
    pub mode: &'static str,
    /// The device's sample period.
    pub dt_ns: f64,
    /// Channels with plays (`d0`, `u3`, `m1`), in row order of the samples.
    pub channels: Vec<String>,
    /// Number of plays.
    pub plays: usize,
    /// Number of distinct base waveforms.
    pub waveforms: usize,
    /// Program length in samples.
    pub duration_dt: u64,
    /// Samples played (sum over plays).
    pub samples: u64,
    /// SWAPs routing inserted.
    pub swaps: u64,
    /// Bits of the program's pulse stream: ours and the baselines on the same plays.
    pub pulse_bits: Option<PulseBitsReport>,
    /// Bits of the device's whole waveform memory.
    pub memory_bits: Option<PulseBitsReport>,
    /// Largest added infidelity of any coded waveform (stream and memory).
    pub max_added_infidelity: Option<f64>,
    /// Waveforms that fell back to lossless samples because the budget could not be met.
    pub lossless_fallbacks: usize,
    /// Where the pulse atoms came from.
    pub codebook: String,
}

/// Place `circuit` on the device, code its pulse stream and, with `memory`, the device's whole
/// waveform memory with `cb`'s pulse atoms.
///
/// # Errors
/// When the circuit cannot be placed or its waveforms cannot be coded.
pub fn pulse_report(
    circuit: &Circuit,
    name: &str,
    cb: &LoadedCodebook,
    lowering: &LowerConfig,
    pulse: &PulseConfig,
    memory: bool,
) -> Result<(Placed, PulsesReport), PipelineError> {
    let placed = place(circuit, name, lowering, pulse)?;
    let prog = &placed.pulses;
    let (physics, coder) = coder_for(cb, &placed.device, pulse)?;
    // The program's plays are the circuit's; the waveform memory is the device's.
    let encode_in = |file: String| {
        move |source| PipelineError::PulseEncode {
            file,
            source: Box::new(source),
        }
    };
    let encode = encode_in(format!("device {}'s waveform memory", placed.device.name));
    let stream = encode_program(prog, &placed.device, &physics, &coder)
        .map_err(encode_in(name.to_string()))?;
    let mut worst = stream.max_added_infidelity;
    let mut lossless_fallbacks = stream.lossless_fallbacks;
    let memory_bits = if memory {
        let m = encode_memory(&placed.device, &physics, &coder).map_err(encode)?;
        worst = worst.max(m.max_added_infidelity);
        lossless_fallbacks += m.lossless_fallbacks;
        Some(m.bits.into())
    } else {
        None
    };
    let report = PulsesReport {
        file: name.to_string(),
        device: placed.device.name.clone(),
        device_note: placed.device_note.clone(),
        mode: pulse.mode().name(),
        dt_ns: prog.dt_ns,
        channels: prog.channels.iter().map(|c| c.to_string()).collect(),
        plays: prog.plays.len(),
        waveforms: prog.waveforms.len(),
        duration_dt: prog.duration,
        samples: prog.played_samples(),
        swaps: placed.swaps,
        pulse_bits: Some(stream.bits.into()),
        memory_bits,
        max_added_infidelity: Some(worst),
        lossless_fallbacks,
        codebook: cb.origin.clone(),
    };
    Ok((placed, report))
}
