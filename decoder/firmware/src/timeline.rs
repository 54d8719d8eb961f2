//! The controller's timeline: link arrivals, the decoder's busy time, deadlines, FIFO fill, and
//! the lowest link rate that meets every deadline.
//!
//! All times are integer femtoseconds (`i128`, so no product below can overflow), all rates
//! integer bits per second: the same inputs give the same report on every machine, and the
//! lowest link rate is exact rather than the end of a bisection.
//!
//! The lowest rate's closed form is derived in the crate documentation.

/// Femtoseconds per second.
pub(crate) const FS_PER_S: i128 = 1_000_000_000_000_000;

/// Femtoseconds per nanosecond.
pub(crate) const FS_PER_NS: f64 = 1e6;

/// When a link of `rate_bps` has delivered `bytes` bytes (fs).
fn arrival(rate_bps: i128, bytes: i128) -> i128 {
    let bits_fs = 8 * bytes * FS_PER_S;
    (bits_fs + rate_bps - 1) / rate_bps
}

/// Bits a link of `rate_bps` has delivered by time `t` (fs), out of `total_bits`.
fn arrived_bits(rate_bps: i128, t: i128, total_bits: i128) -> i128 {
    (t.max(0) * rate_bps / FS_PER_S).min(total_bits)
}

/// One unit's contribution to the lowest-rate bound.
#[derive(Clone, Copy, Debug)]
struct Unit {
    /// Bytes that must have arrived before the unit starts.
    end: i128,
    /// Work done before the unit (fs).
    work_before: i128,
    /// Work done by the end of the unit (fs).
    work_end: i128,
    /// Smallest `deadline − work up to the item` over the unit's items (`i128::MAX`: none).
    min_slack: i128,
}

/// The decoder's timeline at one link rate.
#[derive(Debug)]
pub(crate) struct Timeline {
    rate_bps: i128,
    total_bits: i128,
    /// When the decoder is free (fs).
    busy_until: i128,
    /// Work so far (fs).
    work: i128,
    units: Vec<Unit>,
    current: Unit,
    released_bytes: i128,
    peak_fifo_bits: i128,
    worst_lateness: Option<i128>,
    underruns: u64,
}

impl Timeline {
    pub(crate) fn new(rate_bps: i128, total_bytes: usize) -> Self {
        Timeline {
            rate_bps,
            total_bits: 8 * total_bytes as i128,
            busy_until: 0,
            work: 0,
            units: Vec::new(),
            current: Unit {
                end: 0,
                work_before: 0,
                work_end: 0,
                min_slack: i128::MAX,
            },
            released_bytes: 0,
            peak_fifo_bits: 0,
            worst_lateness: None,
            underruns: 0,
        }
    }

    /// Starts the unit whose bytes end at `end`: the decoder waits for them.
    pub(crate) fn begin(&mut self, end: usize) {
        let end = end as i128;
        self.busy_until = self.busy_until.max(arrival(self.rate_bps, end));
        self.current = Unit {
            end,
            work_before: self.work,
            work_end: self.work,
            min_slack: i128::MAX,
        };
    }

    /// The decoder works for `fs`.
    pub(crate) fn work(&mut self, fs: i128) {
        self.work += fs;
        self.busy_until += fs;
    }

    /// The item just worked on is due at `deadline`; returns its lateness (positive: late,
    /// an underrun) and when it was done.
    pub(crate) fn due(&mut self, deadline: i128) -> (i128, i128) {
        let slack = deadline - self.work;
        self.current.min_slack = self.current.min_slack.min(slack);
        let late = self.busy_until - deadline;
        self.worst_lateness = Some(self.worst_lateness.map_or(late, |w| w.max(late)));
        if late > 0 {
            self.underruns += 1;
        }
        (late, self.busy_until)
    }

    /// Ends the current unit: its bytes leave the FIFO, which was at its fullest just before.
    pub(crate) fn end(&mut self) {
        let arrived = arrived_bits(self.rate_bps, self.busy_until, self.total_bits);
        self.peak_fifo_bits = self.peak_fifo_bits.max(arrived - 8 * self.released_bytes);
        self.released_bytes = self.released_bytes.max(self.current.end);
        self.current.work_end = self.work;
        self.units.push(self.current);
    }

    /// The peak FIFO fill (bits) the same decoding would reach at another link rate: the
    /// timeline replayed unit by unit, by the same rules as [`Timeline::begin`] and
    /// [`Timeline::end`] (the FIFO does not depend on the items' deadlines).
    pub(crate) fn peak_fifo_bits_at(&self, rate_bps: i128) -> i128 {
        let rate_bps = rate_bps.max(1);
        let (mut busy, mut released, mut peak) = (0i128, 0i128, 0i128);
        for u in &self.units {
            busy = busy.max(arrival(rate_bps, u.end)) + (u.work_end - u.work_before);
            peak = peak.max(arrived_bits(rate_bps, busy, self.total_bits) - 8 * released);
            released = released.max(u.end);
        }
        peak
    }

    pub(crate) fn busy_until(&self) -> i128 {
        self.busy_until
    }

    pub(crate) fn total_work(&self) -> i128 {
        self.work
    }

    pub(crate) fn peak_fifo_bits(&self) -> i128 {
        self.peak_fifo_bits
    }

    pub(crate) fn worst_lateness(&self) -> Option<i128> {
        self.worst_lateness
    }

    pub(crate) fn underruns(&self) -> u64 {
        self.underruns
    }

    /// The lowest link rate (b/s) at which no item is late: `Some(0)` when nothing has a
    /// deadline, `None` when even an infinitely fast link is not enough (the decoder's own work
    /// or the start-up delay is the limit).
    pub(crate) fn min_rate_bps(&self) -> Option<i128> {
        let mut need = 0i128;
        let mut later = i128::MAX;
        for u in self.units.iter().rev() {
            later = later.min(u.min_slack);
            if later == i128::MAX {
                continue;
            }
            let bound = later + u.work_before;
            if u.end == 0 {
                // Nothing to wait for: only the work counts (bound ≥ 0 ⟺ met).
                if bound < 0 {
                    return None;
                }
                continue;
            }
            // A(e) ≥ 1 fs for any finite rate: a bound below that cannot be met.
            if bound < 1 {
                return None;
            }
            let bits_fs = 8 * u.end * FS_PER_S;
            need = need.max((bits_fs + bound - 1) / bound);
        }
        Some(need)
    }
}
