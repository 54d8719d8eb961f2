//! The options Python passes, as dictionaries the Python layer fills with every key (its
//! defaults are the CLI's), turned into the pipeline's configuration.

use std::path::PathBuf;

use eqisa_lower::target::{TargetKind, TwoQubit};
use eqisa_pipeline::measure::PaperSetting;
use eqisa_pipeline::{LowerConfig, PulseConfig, SynthMethod};
use pyo3::prelude::*;

use crate::errors::OptionsError;

/// How to lower (the CLI's lowering options).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct LowerArgs {
    target: String,
    fidelity: f64,
    eps: Option<f64>,
    synth: String,
    two_qubit: Option<String>,
    target_file: Option<PathBuf>,
    sk_depth: usize,
    sk_recursion: usize,
}

impl LowerArgs {
    /// The pipeline's lowering configuration.
    ///
    /// # Errors
    /// `OptionsError` naming an unknown target, synthesis or entangling gate.
    pub fn config(&self) -> PyResult<LowerConfig> {
        let target = match self.target.as_str() {
            "native" => TargetKind::Native,
            "clifford+t" => TargetKind::CliffordT,
            other => {
                return Err(OptionsError::new_err(format!(
                    "target={other:?}: expected 'native' or 'clifford+t'"
                )));
            }
        };
        let synth = match self.synth.as_str() {
            "gridsynth" => SynthMethod::Gridsynth,
            "sk" => SynthMethod::SolovayKitaev,
            other => {
                return Err(OptionsError::new_err(format!(
                    "synth={other:?}: expected 'gridsynth' or 'sk'"
                )));
            }
        };
        let two_qubit = match self.two_qubit.as_deref() {
            None => None,
            Some("cz") => Some(TwoQubit::Cz),
            Some("ecr") => Some(TwoQubit::Ecr),
            Some(other) => {
                return Err(OptionsError::new_err(format!(
                    "two_qubit={other:?}: expected 'cz' or 'ecr'"
                )));
            }
        };
        Ok(LowerConfig {
            target,
            target_file: self.target_file.clone(),
            two_qubit,
            synth,
            fidelity: self.fidelity,
            eps: self.eps,
            sk_depth: self.sk_depth,
            sk_recursion: self.sk_recursion,
        })
    }
}

/// How to place a circuit on a device and code its pulses (the CLI's pulse options).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct PulseArgs {
    device: Option<PathBuf>,
    given_device: Option<Py<crate::device::Device>>,
    direct: bool,
    no_route: bool,
    infidelity: f64,
}

impl PulseArgs {
    /// The pipeline's pulse configuration.
    pub fn config(&self) -> PulseConfig {
        PulseConfig {
            device: self.device.clone(),
            given_device: self.given_device.as_ref().map(|d| d.get().device.clone()),
            direct: self.direct,
            no_route: self.no_route,
            infidelity: self.infidelity,
            ..PulseConfig::default()
        }
    }
}

/// How the paper's pipeline is measured: skipped (`paper=False`), at the budget ours got (the
/// default), or at a fixed Solovay–Kitaev setting.
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct PaperArgs {
    paper: bool,
    paper_at_own_fidelity: bool,
    paper_depth: usize,
    paper_recursion: usize,
}

impl PaperArgs {
    /// The pipeline's setting, as the CLI's `paper_setting` makes it.
    pub fn setting(&self) -> Option<PaperSetting> {
        match (self.paper, self.paper_at_own_fidelity) {
            (false, _) => None,
            (true, true) => Some(PaperSetting::OwnFidelity {
                depth: self.paper_depth,
                recursion: self.paper_recursion,
            }),
            (true, false) => Some(PaperSetting::AtBudget),
        }
    }
}
