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
    /// The sample period, fs: set from the program's recorded `dt` once its program section
    /// is read ([`Units::set_dt`]).
    pub(crate) dt_fs: i128,
    /// The sample period, ns, as recorded (0 until known).
    pub(crate) dt_ns: f64,
    pub(crate) instr_fs: i128,
    /// Work of an instruction released from the replay buffer.
    pub(crate) replay_fs: i128,
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

/// A sample period within the modelled range.
fn check_dt(name: &'static str, dt: f64) -> Result<(), FirmwareError> {
    check(
        name,
        dt,
        (1e-5..=1e6).contains(&dt),
        "must be between 1e-5 and 1e6 ns",
    )
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
        if let Some(dt) = p.dt_ns {
            check_dt("dt_ns", dt)?;
        }
        check(
            "startup_ns",
            p.startup_ns,
            p.startup_ns >= 0.0 && p.startup_ns <= 1e13,
            "must be between 0 and 1e13 ns",
        )?;
        for (name, v) in [
            ("cycles_per_instr", p.cycles_per_instr),
            ("cycles_per_pulse_item", p.cycles_per_pulse_item),
            ("cycles_per_replayed_instr", p.cycles_per_replayed_instr),
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
            dt_fs: ns_to_fs(p.dt_ns.unwrap_or(0.0)).max(1),
            dt_ns: p.dt_ns.unwrap_or(0.0),
            instr_fs: (p.cycles_per_instr * period_fs as f64).round() as i128,
            replay_fs: (p.cycles_per_replayed_instr * period_fs as f64).round() as i128,
            item_fs: (p.cycles_per_pulse_item * period_fs as f64).round() as i128,
            samples_per_cycle: p.samples_per_cycle,
        })
    }

    /// Takes the program's recorded sample period `recorded` (ns): it must be in range, and
    /// agree with the one the parameters give, if any.
    pub(crate) fn set_dt(
        &mut self,
        given: Option<f64>,
        recorded: f64,
    ) -> Result<(), FirmwareError> {
        check_dt("the program's recorded dt_ns", recorded)?;
        if let Some(g) = given
            && (g - recorded).abs() > 1e-9 * recorded.abs()
        {
            return Err(FirmwareError::DtMismatch { given: g, recorded });
        }
        self.dt_fs = ns_to_fs(recorded).max(1);
        self.dt_ns = recorded;
        Ok(())
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
