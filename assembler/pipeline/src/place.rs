//! Placing a circuit on a device: lowered to the native gates the device calibrates, routed onto
//! its coupling map and played on its calibration; and the waveform coder that codes the pulses.

use std::path::Path;

use eqisa_assembler::pulses::{Physics, WaveformCoder};
use eqisa_ir::Circuit;
use eqisa_lower::program::NativeProgram;
use eqisa_lower::route::{Coupling, check_physical, route};
use eqisa_lower::target::{TargetDesc, TargetKind, TwoQubit};
use eqisa_lower::{LowerOptions, lower};
use eqisa_pulse::{Device, PulseLimits, PulseProgram, lower_to_pulses_with};

use crate::codebook::LoadedCodebook;
use crate::config::{LowerConfig, PulseConfig};
use crate::error::PipelineError;

/// The device `path` names, or the embedded one (IBM's 5-qubit ibmq_lima).
///
/// # Errors
/// When the calibration cannot be read or is invalid.
pub fn load_device(path: Option<&Path>) -> Result<Device, PipelineError> {
    Ok(match path {
        Some(p) => Device::from_file(p)?,
        None => Device::default_device(),
    })
}

/// The device a circuit of `num_qubits` qubits runs on, and a note saying which: the file
/// `path` names, as given (a circuit larger than it then fails to place); or the embedded
/// default for its size ([`Device::default_for`]: ibmq_lima up to five qubits, a grid built
/// from lima's calibrations beyond), so that no circuit is too large for the default.
///
/// # Errors
/// When the calibration cannot be read or is invalid, or the circuit has more qubits than any
/// device may have.
pub fn device_for(path: Option<&Path>, num_qubits: u32) -> Result<(Device, String), PipelineError> {
    Ok(match path {
        Some(p) => (Device::from_file(p)?, format!("--device {}", p.display())),
        None => Device::default_for(num_qubits)?,
    })
}

/// A circuit placed on a device: the routed native program (what the instruction stream
/// carries) and its pulses.
pub struct Placed {
    /// The device.
    pub device: Device,
    /// Which device it is and why (`--device FILE`, `default: ibmq_lima (the embedded
    /// calibration)`, `default: 7 qubits on a 3x3 grid built from ibmq_lima's calibrations …`).
    pub device_note: String,
    /// The target the circuit was lowered to (the device's entangling gate unless told
    /// otherwise).
    pub target: TargetDesc,
    /// The lowering's fidelity bound.
    pub fidelity_bound: f64,
    /// The routed native program.
    pub program: NativeProgram,
    /// Its pulses.
    pub pulses: PulseProgram,
    /// SWAPs routing inserted.
    pub swaps: u64,
}

/// The target and options `lowering` resolves to, on `device`: its sample period, and its
/// entangling gate unless the lowering names one.
///
/// # Errors
/// When the lowering's options or target file are invalid.
pub fn target_for(
    lowering: &LowerConfig,
    device: &Device,
) -> Result<(TargetDesc, LowerOptions), PipelineError> {
    let (mut target, options) = lowering.resolve()?;
    // On a device, `dt` is the device's sample period: a `delay[1000dt]` is 1000 of its
    // samples, whatever the target description says.
    target.dt_ns = device.dt_ns;
    // Lower to the entangling gate the device calibrates, unless told otherwise.
    if lowering.two_qubit.is_none() {
        target.two_qubit = match device.two_qubit_gate() {
            Some("ecr") => TwoQubit::Ecr,
            _ => TwoQubit::Cz,
        };
    }
    Ok((target, options))
}

/// Lower `circuit` (named `name` in errors) to the native gates the device calibrates, route it
/// onto the device's coupling map (unless [`PulseConfig::no_route`]) and play it on the
/// device's calibration. The device is [`PulseConfig::device`], or the embedded default for
/// the circuit's size ([`device_for`]).
///
/// # Errors
/// A target other than native, a device that cannot be loaded, or a circuit that does not
/// lower, route or play.
pub fn place(
    circuit: &Circuit,
    name: &str,
    lowering: &LowerConfig,
    pulse: &PulseConfig,
) -> Result<Placed, PipelineError> {
    if lowering.target != TargetKind::Native {
        return Err(PipelineError::Options(
            "pulses need --target native (pulses play the native gates)".into(),
        ));
    }
    let (device, device_note) = match &pulse.given_device {
        Some(d) => (
            d.as_ref().clone(),
            format!("given: device '{}' held in memory", d.name),
        ),
        None => device_for(pulse.device.as_deref(), circuit.num_qubits)?,
    };
    let (target, options) = target_for(lowering, &device)?;
    let lowered = lower(circuit, &target, &options).map_err(|source| PipelineError::Lower {
        file: name.to_string(),
        source,
    })?;
    debug_assert_eq!(lowered.program.target, TargetKind::Native);
    let (program, swaps) = if pulse.no_route {
        (lowered.program, 0)
    } else if circuit.is_physical() {
        // `$n` is the device's qubit n: nothing moves, and a gate on an uncoupled pair is an
        // error rather than a SWAP the program did not ask for.
        let coupling = Coupling::from_pairs(device.num_qubits(), device.coupled_pairs());
        check_physical(&lowered.program, &coupling).map_err(|source| PipelineError::Route {
            file: name.to_string(),
            device: device.name.clone(),
            source,
        })?;
        (lowered.program, 0)
    } else {
        let coupling = Coupling::from_pairs(device.num_qubits(), device.coupled_pairs());
        let routed =
            route(&lowered.program, &coupling, &target).map_err(|source| PipelineError::Route {
                file: name.to_string(),
                device: device.name.clone(),
                source,
            })?;
        (routed.program, routed.swaps)
    };
    let limits = PulseLimits {
        max_schedule_dt: pulse.max_schedule_dt,
    };
    let pulses =
        lower_to_pulses_with(&program, &device, pulse.mode(), &limits).map_err(|source| {
            PipelineError::PulseLower {
                file: name.to_string(),
                source: Box::new(source),
            }
        })?;
    Ok(Placed {
        device,
        device_note,
        target,
        fidelity_bound: lowered.fidelity_bound,
        program,
        pulses,
        swaps,
    })
}

/// The transmon judge and the waveform coder over the codebook's pulse atoms (without atoms,
/// every waveform is coded losslessly).
///
/// # Errors
/// When the device's qubits give no valid transmon or the budget is out of range.
pub fn coder_for<'a>(
    cb: &'a LoadedCodebook,
    device: &Device,
    pulse: &PulseConfig,
) -> Result<(Physics, WaveformCoder<'a>), PipelineError> {
    let encode = |source| PipelineError::PulseEncode {
        file: String::new(),
        source: Box::new(source),
    };
    let physics = Physics::new(device, pulse.levels).map_err(encode)?;
    let coder = WaveformCoder::new(cb.pulse_atoms.as_ref(), pulse.infidelity).map_err(encode)?;
    Ok((physics, coder))
}
