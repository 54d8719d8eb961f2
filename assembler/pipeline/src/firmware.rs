//! A program run on the modelled controller: the firmware simulation of its real decoders, and
//! the energy the counted events cost under the energy model.

use std::path::Path;

use eqisa_firmware::energy::{EnergyModel, EnergyReport, Events, ReplayEvents};
use eqisa_firmware::{FirmwareError, FirmwareParams, FirmwareReport, simulate};

use crate::codebook::LoadedCodebook;
use crate::decode::decode_error;
use crate::error::PipelineError;

/// The energy model at `path`, or the documented defaults.
///
/// # Errors
/// When the file cannot be read or a parameter is invalid.
pub fn load_energy_model(path: Option<&Path>) -> Result<EnergyModel, PipelineError> {
    Ok(match path {
        Some(p) => EnergyModel::from_file(p)?,
        None => EnergyModel::default_model()?,
    })
}

/// The energy model's events for a simulated run: one link lane, the decoder's counted work
/// and the DAC samples. Range-coder symbols are not counted by the simulation (0). Only the
/// instructions decoded from the stream count as decoded; a loop's replayed iterations are
/// [`replay_events_of`].
pub fn events_of(sim: &FirmwareReport) -> Events {
    Events {
        link_bits: sim.link_bits,
        link_lanes: 1,
        instructions_decoded: sim.decoded_ops,
        symbols_decoded: 0,
        waveform_memory_read_bits: sim.waveform_memory_read_bits,
        multiply_adds: sim.multiply_adds,
        dac_samples: sim.dac_samples,
    }
}

/// The replay buffer's events of a simulated run (all zero for a program that runs straight).
pub fn replay_events_of(sim: &FirmwareReport) -> ReplayEvents {
    ReplayEvents {
        buffer_writes: sim.replay_buffer_writes,
        buffer_reads: sim.replay_buffer_reads,
        replayed_instructions: sim.replayed_ops,
        buffer_bytes: sim.replay_buffer_bytes,
    }
}

/// A program's run on the modelled controller.
pub struct FirmwareRun {
    /// What the simulation measured.
    pub sim: FirmwareReport,
    /// The events it counted.
    pub events: Events,
    /// Their energy under the model.
    pub energy: EnergyReport,
}

/// Run the program `bytes` (named `name` in errors) on the controller `params` describes, with
/// `cb` (the codebook it was assembled with), and cost its events with `model`.
///
/// # Errors
/// When the program is invalid for the codebook or the parameters are out of range.
pub fn run_firmware(
    bytes: &[u8],
    name: &str,
    cb: &LoadedCodebook,
    params: &FirmwareParams,
    model: &EnergyModel,
) -> Result<FirmwareRun, PipelineError> {
    let fail = |message: String| PipelineError::Decode {
        file: name.to_string(),
        message,
    };
    let sim = simulate(
        bytes,
        &cb.codebook.priors,
        cb.hash,
        cb.pulse_atoms.as_ref(),
        params,
    )
    .map_err(|e| match e {
        // Blamed on the program, the codebook or their pairing, as `decode` does.
        FirmwareError::Decode(e) => decode_error(e, name, cb),
        other => fail(other.to_string()),
    })?;
    let events = events_of(&sim);
    // A program with nothing scheduled still takes its decode time on the link.
    let duration_s = (sim.schedule_ns.max(sim.decode_end_ns) * 1e-9).max(1e-12);
    let energy = model
        .evaluate_with_replay(&events, &replay_events_of(&sim), duration_s)
        .map_err(|e| fail(e.to_string()))?;
    Ok(FirmwareRun {
        sim,
        events,
        energy,
    })
}
