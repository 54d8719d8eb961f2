//! [`Setup`]: what every circuit of a report shares, loaded once from [`SetupOptions`].

use std::collections::BTreeMap;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use eqisa_assembler::pulses::{Physics, WaveformCoder};
use eqisa_firmware::FirmwareParams;
use eqisa_firmware::energy::{DEFAULT_ORIGIN, EnergyModel};
use eqisa_pulse::Device;

use crate::error::PipelineError;
use crate::measure::{PaperSetting, paper_dictionary};
use crate::{LoadedCodebook as Loaded, LowerConfig, PulseConfig, load_device};

/// What every circuit of a report shares: the codebook, the device and its pulse coder, the
/// energy model, the link, the lowering and the paper's dictionary.
pub struct Setup<'a> {
    /// The codebook programs are assembled and pulses coded with.
    pub cb: &'a Loaded,
    /// The device (loaded once; `place` reads the same file for each circuit): the file
    /// `--device` names, or the embedded ibmq_lima. Without `--device`, a circuit larger than
    /// lima runs on a grid built from lima's calibrations ([`crate::place::device_for`]),
    /// whose transmon models [`Setup::physics_for`] builds.
    pub device: Device,
    /// Its transmon models, which judge every coded waveform.
    pub physics: Physics,
    /// The transmon models of the other devices circuits ran on (the default's grids), by
    /// device name, each built once.
    grids: Mutex<BTreeMap<String, Arc<Physics>>>,
    /// The waveform coder at the report's per-pulse budget.
    pub coder: WaveformCoder<'a>,
    /// The energy model.
    pub model: EnergyModel,
    /// Where the energy model came from: its file, or the built-in parameters.
    pub model_origin: String,
    /// How circuits are lowered.
    pub lowering: LowerConfig,
    /// How circuits are placed on the device; its `infidelity` is the per-pulse budget.
    pub pulse: PulseConfig,
    /// How the paper's pipeline is set, unless it is skipped.
    pub paper: Option<PaperSetting>,
    /// The modelled controller of the firmware simulation (its `dt_ns` is set per circuit from
    /// the device); its `link_gbps` is the report's link.
    pub sim: FirmwareParams,
}

/// What a report measures with, before anything is loaded.
#[derive(Clone, Debug)]
pub struct SetupOptions {
    /// Energy-model parameters overriding the built-in ones.
    pub energy_model: Option<PathBuf>,
    /// How circuits are lowered.
    pub lowering: LowerConfig,
    /// The device, the placement and the per-pulse budget.
    pub pulse: PulseConfig,
    /// How the paper's pipeline is set (at the lowering's budget, or a fixed Solovay–Kitaev
    /// setting); `None` skips the pipeline.
    pub paper: Option<PaperSetting>,
    /// The modelled controller of the firmware simulation; its link rate is the report's link.
    pub sim: FirmwareParams,
}

impl<'a> Setup<'a> {
    /// Load the energy model and the device, build the device's transmon models and the
    /// waveform coder, and for a fixed paper setting take its dictionary from `cb` (or build it)
    /// now, so that a bad one fails before any circuit (at the budget, the settings a circuit
    /// needs are built as it needs them, once each).
    pub fn load(cb: &'a Loaded, options: SetupOptions) -> Result<Self, PipelineError> {
        // Options out of range are the user's to fix once, not a reason to skip every circuit.
        options.lowering.resolve()?;
        let (model, model_origin) = match &options.energy_model {
            Some(p) => (EnergyModel::from_file(p)?, p.display().to_string()),
            None => (EnergyModel::default_model()?, DEFAULT_ORIGIN.to_string()),
        };
        let device = match &options.pulse.given_device {
            Some(d) => d.as_ref().clone(),
            None => load_device(options.pulse.device.as_deref())?,
        };
        let encode = |source| PipelineError::PulseEncode {
            file: String::new(),
            source: Box::new(source),
        };
        let physics = Physics::new(&device, options.pulse.levels).map_err(encode)?;
        let coder = WaveformCoder::new(cb.pulse_atoms.as_ref(), options.pulse.infidelity)
            .map_err(encode)?;
        if let Some(PaperSetting::OwnFidelity { depth, recursion }) = options.paper {
            paper_dictionary(cb, depth, recursion)?;
        }
        Ok(Setup {
            cb,
            device,
            physics,
            grids: Mutex::new(BTreeMap::new()),
            coder,
            model,
            model_origin,
            lowering: options.lowering,
            pulse: options.pulse,
            paper: options.paper,
            sim: options.sim,
        })
    }

    /// Which devices circuits run on, for the report's header: the `--device` file, or the
    /// embedded default and the grids built from it for larger circuits.
    pub fn device_note(&self) -> String {
        match (&self.pulse.given_device, &self.pulse.device) {
            (Some(d), _) => format!("given: device '{}' held in memory", d.name),
            (None, Some(p)) => format!("--device {}", p.display()),
            (None, None) => format!(
                "default: {0} for circuits of up to {1} qubits; beyond, a square grid of the \
                 circuit's size built from {0}'s calibrations (qubit i ← {0} qubit i mod {1})",
                self.device.name,
                self.device.num_qubits()
            ),
        }
    }

    /// The transmon models that judge the waveforms of a circuit placed on `device`: the
    /// setup's own when it is the setup's device, else built once per device and kept.
    ///
    /// # Errors
    /// When the device's qubits give no valid transmon.
    pub fn physics_for(&self, device: &Device) -> Result<DevicePhysics<'_>, PipelineError> {
        if device.name == self.device.name && device.qubits == self.device.qubits {
            return Ok(DevicePhysics::Shared(&self.physics));
        }
        // A poisoned lock only means another circuit panicked; the map is still whole.
        let cached = self
            .grids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&device.name)
            .cloned();
        if let Some(p) = cached {
            return Ok(DevicePhysics::Built(p));
        }
        // Built outside the lock: two circuits on one new device may both build it, and the
        // models are the same either way.
        let built = Arc::new(Physics::new(device, self.pulse.levels).map_err(|source| {
            PipelineError::PulseEncode {
                file: format!("device {}", device.name),
                source: Box::new(source),
            }
        })?);
        self.grids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(device.name.clone())
            .or_insert_with(|| built.clone());
        Ok(DevicePhysics::Built(built))
    }
}

/// The transmon models of one device: the setup's own, or one built for a circuit's device.
pub enum DevicePhysics<'a> {
    /// The setup's device.
    Shared(&'a Physics),
    /// Another device's (a grid built for a larger circuit).
    Built(Arc<Physics>),
}

impl Deref for DevicePhysics<'_> {
    type Target = Physics;

    fn deref(&self) -> &Physics {
        match self {
            DevicePhysics::Shared(p) => p,
            DevicePhysics::Built(p) => p,
        }
    }
}
