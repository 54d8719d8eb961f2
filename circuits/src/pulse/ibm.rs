//! Importer for the pulse defaults IBM backends publish: `defs_*.json` (`cmd_def`,
//! `pulse_library`), with `conf_*.json` beside it for `dt` and control channels and
//! `props_*.json` for qubit frequencies and anharmonicities.
