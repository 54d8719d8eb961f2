//! What a user chooses: how to lower a circuit ([`LowerConfig`]) and how to place it on a device
//! and code its pulses ([`PulseConfig`]), with their defaults, checked and turned into the
//! lowering crate's target description and options.

use std::path::PathBuf;

use eqisa_assembler::pulses::DEFAULT_MAX_INFIDELITY;
use eqisa_lower::LowerOptions;
use eqisa_lower::clifford_t::{Budget, Synth};
use eqisa_lower::target::{TargetDesc, TargetKind, TwoQubit};
use eqisa_pulse::PulseMode;

use crate::error::PipelineError;

/// How the Clifford+T target synthesises single-qubit rotations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynthMethod {
    /// Ross–Selinger gridsynth on Z rotations.
    Gridsynth,
    /// Solovay–Kitaev over {h, t, tdg} at [`LowerConfig::sk_depth`] and
    /// [`LowerConfig::sk_recursion`], as the EQISA paper does.
    SolovayKitaev,
}

/// How to lower a circuit.
#[derive(Clone, Debug)]
pub struct LowerConfig {
    /// The native gate set.
    pub target: TargetKind,
    /// A target description replacing the embedded default's gate durations; its kind must be
    /// [`LowerConfig::target`].
    pub target_file: Option<PathBuf>,
    /// The native target's entangling gate (overrides the target description).
    pub two_qubit: Option<TwoQubit>,
    /// Clifford+T synthesis.
    pub synth: SynthMethod,
    /// Whole-circuit fidelity budget, in (0, 1]; ignored when [`LowerConfig::eps`] is set.
    pub fidelity: f64,
    /// Per-rotation error instead of a whole-circuit budget, in (0, 1).
    pub eps: Option<f64>,
    /// Solovay–Kitaev: length of the basic approximations.
    pub sk_depth: usize,
    /// Solovay–Kitaev: recursion degree.
    pub sk_recursion: usize,
}

impl Default for LowerConfig {
    fn default() -> Self {
        LowerConfig {
            target: TargetKind::Native,
            target_file: None,
            two_qubit: None,
            synth: SynthMethod::Gridsynth,
            fidelity: 0.999,
            eps: None,
            sk_depth: 3,
            sk_recursion: 3,
        }
    }
}

impl LowerConfig {
    /// The target description and lowering options asked for.
    ///
    /// # Errors
    /// A target file that cannot be read or describes another kind, an entangling gate it
    /// gives no duration for, or a budget out of range.
    pub fn resolve(&self) -> Result<(TargetDesc, LowerOptions), PipelineError> {
        let kind = self.target;
        let mut target = match &self.target_file {
            Some(path) => {
                let d = TargetDesc::from_file(path)?;
                if d.kind != kind {
                    return Err(PipelineError::Options(format!(
                        "{}: describes a {} target, but --target is {}",
                        path.display(),
                        d.kind.name(),
                        kind.name()
                    )));
                }
                d
            }
            None => TargetDesc::default_for(kind),
        };
        if let Some(tq) = self.two_qubit {
            target.two_qubit = tq;
            if !target.durations_ns.contains_key(target.two_qubit.name()) {
                return Err(PipelineError::Options(format!(
                    "the target description gives no duration for '{}'",
                    target.two_qubit.name()
                )));
            }
        }
        if !(self.fidelity > 0.0 && self.fidelity <= 1.0) {
            return Err(PipelineError::Options(format!(
                "--fidelity must be in (0, 1] (1: exact), not {}",
                self.fidelity
            )));
        }
        if self.sk_depth > eqisa_synth::sk::MAX_DEPTH {
            return Err(PipelineError::Options(format!(
                "--sk-depth must be at most {}, not {}",
                eqisa_synth::sk::MAX_DEPTH,
                self.sk_depth
            )));
        }
        if self.sk_recursion > eqisa_synth::sk::MAX_RECURSION {
            return Err(PipelineError::Options(format!(
                "--sk-recursion must be at most {}, not {}",
                eqisa_synth::sk::MAX_RECURSION,
                self.sk_recursion
            )));
        }
        let budget = match self.eps {
            Some(e) if e > 0.0 && e < 1.0 => Budget::Eps(e),
            Some(e) => {
                return Err(PipelineError::Options(format!(
                    "--eps must be in (0, 1), not {e}"
                )));
            }
            None => Budget::Fidelity(self.fidelity),
        };
        let synth = match self.synth {
            SynthMethod::Gridsynth => Synth::Gridsynth,
            SynthMethod::SolovayKitaev => Synth::Sk {
                depth: self.sk_depth,
                recursion: self.sk_recursion,
            },
        };
        Ok((target, LowerOptions { synth, budget }))
    }
}

/// How a circuit is placed on a device and its pulses coded.
#[derive(Clone, Debug)]
pub struct PulseConfig {
    /// The device calibration file (our TOML, or IBM pulse defaults); `None`: the embedded
    /// device.
    pub device: Option<PathBuf>,
    /// A calibration held in memory (built by a front end, such as Python's
    /// `Device.from_arrays`), used instead of [`PulseConfig::device`].
    pub given_device: Option<std::sync::Arc<eqisa_pulse::Device>>,
    /// Direct-rotation mode instead of the calibrated sx/x pulses.
    pub direct: bool,
    /// Do not route onto the device's coupling map.
    pub no_route: bool,
    /// Added gate infidelity allowed per pulse when coding waveforms.
    pub infidelity: f64,
    /// Transmon levels in the simulation that judges every coded waveform.
    pub levels: usize,
    /// Longest pulse schedule, in samples (`dt`): a longer one is refused while lowering.
    pub max_schedule_dt: u64,
}

impl Default for PulseConfig {
    fn default() -> Self {
        PulseConfig {
            device: None,
            given_device: None,
            direct: false,
            no_route: false,
            infidelity: DEFAULT_MAX_INFIDELITY,
            levels: 3,
            max_schedule_dt: eqisa_pulse::DEFAULT_MAX_SCHEDULE_DT,
        }
    }
}

impl PulseConfig {
    /// The pulse lowering mode asked for.
    pub fn mode(&self) -> PulseMode {
        if self.direct {
            PulseMode::DirectRotation
        } else {
            PulseMode::Calibrated
        }
    }
}
