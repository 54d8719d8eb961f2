//! Loading a device from a calibration file, whichever of the formats it is in: our TOML
//! ([`crate::device`]) or IBM's pulse defaults ([`crate::ibm`]). Kept apart from both so that the
//! importer depends on the device model and not the other way round.

use std::path::Path;

use crate::device::{Device, DeviceError};

impl Device {
    /// Load a calibration file: our TOML (`*.toml`), or IBM pulse defaults (`defs_X.json`,
    /// with `conf_X.json` and `props_X.json` beside it; see [`crate::ibm`]).
    pub fn from_file(path: &Path) -> Result<Device, DeviceError> {
        let file = path.display().to_string();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".json") {
            return crate::ibm::import(path).map(|(d, _)| d);
        }
        let text = eqisa_files::read_to_string(path).map_err(|source| DeviceError::Io {
            file: file.clone(),
            source,
        })?;
        Self::from_toml(&text, &file)
    }
}
