//! The parameters in integer units (femtoseconds, bits per second), checked.

use crate::error::FirmwareError;
use crate::params::FirmwareParams;
use crate::timeline::FS_PER_NS;

/// The parameters in integer units.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Units {
    pub(crate) rate_bps: i128,
    pub(crate) startup_fs: i128,
    pub(crate) period_fs: i128,
    pub(crate) dt_fs: i128,
    pub(crate) instr_fs: i128,
    pub(crate) item_fs: i128,
    pub(crate) samples_per_cycle: f64,
}

fn check(name: &'static str, value: f64, ok: bool, why: &'static str) -> Result<(), FirmwareError> {
    if value.is_finite() && ok {
        Ok(())
    } else {
        Err(FirmwareError::Param { name, value, why })
    }
}

impl Units {
    pub(crate) fn new(p: &FirmwareParams) -> Result<Self, FirmwareError> {
        check(
            "link_gbps",
            p.link_gbps,
            p.link_gbps >= 1e-9 && p.link_gbps <= 1e6,
            "must be between 1e-9 and 1e6 Gb/s",
        )?;
        check(
            "clock_mhz",
            p.clock_mhz,
            p.clock_mhz >= 1e-3 && p.clock_mhz <= 1e8,
            "must be between 0.001 and 1e8 MHz",
        )?;
        check(
            "dt_ns",
            p.dt_ns,
            p.dt_ns >= 1e-5 && p.dt_ns <= 1e6,
            "must be between 1e-5 and 1e6 ns",
        )?;
        check(
            "startup_ns",
            p.startup_ns,
            p.startup_ns >= 0.0 && p.startup_ns <= 1e13,
            "must be between 0 and 1e13 ns",
        )?;
        for (name, v) in [
            ("cycles_per_instr", p.cycles_per_instr),
            ("cycles_per_pulse_item", p.cycles_per_pulse_item),
        ] {
            check(
                name,
                v,
                (0.0..=1e9).contains(&v),
                "must be between 0 and 1e9",
            )?;
        }
        check(
            "samples_per_cycle",
            p.samples_per_cycle,
            p.samples_per_cycle >= 1e-6 && p.samples_per_cycle <= 1e9,
            "must be between 1e-6 and 1e9",
        )?;
        let period_fs = (1e9 / p.clock_mhz).round() as i128;
        Ok(Units {
            rate_bps: ((p.link_gbps * 1e9).round() as i128).max(1),
            startup_fs: ns_to_fs(p.startup_ns),
            period_fs,
            dt_fs: ns_to_fs(p.dt_ns).max(1),
            instr_fs: (p.cycles_per_instr * period_fs as f64).round() as i128,
            item_fs: (p.cycles_per_pulse_item * period_fs as f64).round() as i128,
            samples_per_cycle: p.samples_per_cycle,
        })
    }

    /// Work to reconstruct `n` samples (fs).
    pub(crate) fn samples_fs(&self, n: u64) -> i128 {
        (n as f64 * self.period_fs as f64 / self.samples_per_cycle).ceil() as i128
    }
}

/// Nanoseconds to femtoseconds, clamped to ±10³⁰ fs (3·10⁷ years) so that no sum of times can
/// overflow, whatever times a file carries.
pub(crate) fn ns_to_fs(ns: f64) -> i128 {
    (ns * FS_PER_NS).round().clamp(-1e30, 1e30) as i128
}

pub(crate) fn fs_to_ns(fs: i128) -> f64 {
    fs as f64 / FS_PER_NS
}
