//! A device of any size built from a real calibration: `n` qubits on a square grid whose
//! qubits and coupled pairs copy the calibrations of a source device's qubits and pairs.
//!
//! The embedded default (IBM's 5-qubit ibmq_lima) runs only circuits of up to five qubits. A
//! larger circuit still needs pulses drawn from a real device, so [`ScaledDevice::grid`] lays
//! `n` qubits out row by row on a grid of `⌈√n⌉` columns and gives them real calibrations:
//!
//! - grid qubit `i` takes everything the source calibrates on qubit `i mod m` alone (`m` source
//!   qubits): its frequency and anharmonicity, its `x`, `sx`, `rz` and `measure` schedules;
//! - a grid pair `(a, b)` (`a < b`) takes both directions of a coupled source pair `{p, q}`'s
//!   entangling gates: the pair `{a mod m, b mod m}` itself when the source couples it (then
//!   the pair's single-qubit pulses are the grid qubits' own), otherwise the source's `k mod E`th
//!   coupled pair for the grid's `k`th pair (`E` source pairs, in order), `p < q` mapped to `a < b`.
//!
//! Channels are renamed, never invented: the drive `dS` of source qubit `S` becomes `dσ(S)`, the
//! control channel of the source pair becomes the grid pair's own control channel (one per
//! direction, at the target's frequency, as IBM numbers them), and a frame change on every
//! control channel at a source qubit's frequency (what IBM's `rz` and `cx` do to keep those
//! frames in step) becomes the same change on every grid control channel at the mapped qubit's
//! frequency. Samples, shapes, durations and phases are the source's, bit for bit.

use std::collections::BTreeMap;

use crate::calibration::{Channel, ControlChannel, GateCal, Phase, ScheduleItem};
use crate::device::{Device, DeviceError, MAX_QUBITS, check_limit};

/// A grid device and where each of its calibrations came from.
#[derive(Clone, Debug, PartialEq)]
pub struct ScaledDevice {
    /// The device built.
    pub device: Device,
    /// The source device's name.
    pub source: String,
    /// Rows of the grid (the last may be partly filled).
    pub rows: u32,
    /// Columns of the grid.
    pub cols: u32,
    /// For grid qubit `i`, the source qubit whose calibrations it took (`i mod m`).
    pub qubit_source: Vec<u32>,
    /// For each coupled grid pair `(a, b)` with `a < b`, in order, the source pair `(p, q)` its
    /// entangling gates came from, `p` mapped to `a` and `q` to `b`.
    pub pair_source: Vec<((u32, u32), (u32, u32))>,
}

impl ScaledDevice {
    /// `n` qubits on a grid of `⌈√n⌉` columns, every calibration taken from `source` as the
    /// module documentation says. The device is named `<source>-grid-<rows>x<cols>`.
    ///
    /// # Errors
    /// `n` is zero or above [`MAX_QUBITS`]; the source has no qubits, or no coupled pair while
    /// `n > 1`; or a source gate acts on a channel that does not belong to its qubits (then it
    /// cannot be moved to other qubits).
    pub fn grid(source: &Device, n: u32) -> Result<ScaledDevice, DeviceError> {
        let file = format!("grid device from {}", source.name);
        check_limit(
            &file,
            "qubits",
            "qubit count",
            u64::from(n),
            MAX_QUBITS as u64,
            "MAX_QUBITS",
        )?;
        let invalid = |field: &str, message: String| DeviceError::Invalid {
            file: file.clone(),
            field: field.to_string(),
            message,
        };
        let m = source.num_qubits();
        if n == 0 || m == 0 {
            return Err(invalid(
                "qubits",
                format!("a grid needs qubits: {n} asked for, the source has {m}"),
            ));
        }
        let mut source_pairs: Vec<(u32, u32)> = source
            .coupled_pairs()
            .into_iter()
            .map(|(a, b)| (a.min(b), a.max(b)))
            .filter(|(a, b)| a != b)
            .collect();
        source_pairs.sort_unstable();
        source_pairs.dedup();
        let cols = (1..=n).find(|c| u64::from(*c) * u64::from(*c) >= u64::from(n));
        let cols = cols.unwrap_or(n);
        let rows = n.div_ceil(cols);
        // Row-major pairs: each qubit's right neighbour, then the one below.
        let mut pairs = Vec::new();
        for i in 0..n {
            if (i + 1) % cols != 0 && i + 1 < n {
                pairs.push((i, i + 1));
            }
            if i + cols < n {
                pairs.push((i, i + cols));
            }
        }
        if !pairs.is_empty() && source_pairs.is_empty() {
            return Err(invalid(
                "gates",
                format!("{} calibrates no two-qubit gate to copy", source.name),
            ));
        }
        let qubit_source: Vec<u32> = (0..n).map(|i| i % m).collect();
        let pair_source: Vec<((u32, u32), (u32, u32))> = pairs
            .iter()
            .enumerate()
            .map(|(k, &(a, b))| {
                let (sa, sb) = (a % m, b % m);
                if source_pairs.contains(&(sa.min(sb), sa.max(sb))) {
                    ((a, b), (sa, sb))
                } else {
                    ((a, b), source_pairs[k % source_pairs.len()])
                }
            })
            .collect();
        // Two control channels per pair, as IBM numbers them: `line → freq_qubit`, then back.
        let mut control_channels = Vec::with_capacity(2 * pairs.len());
        for &(a, b) in &pairs {
            for (line, freq_qubit) in [(a, b), (b, a)] {
                control_channels.push(ControlChannel {
                    index: control_channels.len() as u32,
                    line,
                    freq_qubit,
                });
            }
        }
        let grid = Grid::new(&control_channels);
        let mut gates = Vec::new();
        for (i, &s) in qubit_source.iter().enumerate() {
            let sigma = BTreeMap::from([(s, i as u32)]);
            for g in source.gates.iter().filter(|g| g.qubits == [s]) {
                gates.push(grid.copy(source, g, &sigma, &file)?);
            }
        }
        for &((a, b), (p, q)) in &pair_source {
            let sigma = BTreeMap::from([(p, a), (q, b)]);
            for g in source.gates.iter().filter(
                |g| matches!(g.qubits.as_slice(), &[x, y] if (x, y) == (p, q) || (x, y) == (q, p)),
            ) {
                gates.push(grid.copy(source, g, &sigma, &file)?);
            }
        }
        let device = Device {
            name: format!("{}-grid-{rows}x{cols}", source.name),
            dt_ns: source.dt_ns,
            dac_bits: source.dac_bits,
            qubits: qubit_source
                .iter()
                .map(|&s| source.qubits[s as usize])
                .collect(),
            control_channels,
            gates,
            library: source.library.clone(),
            dropped_gates: Vec::new(),
        };
        device.validate(&file)?;
        Ok(ScaledDevice {
            device,
            source: source.name.clone(),
            rows,
            cols,
            qubit_source,
            pair_source,
        })
    }

    /// What was built, for reports: `7 qubits on a 3x3 grid built from ibmq_lima's
    /// calibrations (qubit i ← ibmq_lima qubit i mod 5; each pair ← a coupled ibmq_lima pair)`.
    pub fn describe(&self) -> String {
        let n = self.qubit_source.len();
        let m = self.qubit_source.iter().max().map_or(0, |s| s + 1);
        let src = &self.source;
        format!(
            "{n} qubits on a {}x{} grid built from {src}'s calibrations (qubit i ← {src} qubit \
             i mod {m}; each pair ← a coupled {src} pair)",
            self.rows, self.cols
        )
    }
}

/// The grid's control channels, looked up by direction and by frequency.
struct Grid {
    /// `(line, freq_qubit)` → channel index.
    by_pair: BTreeMap<(u32, u32), u32>,
    /// `freq_qubit` → every channel at that qubit's frequency, in index order.
    by_freq: BTreeMap<u32, Vec<u32>>,
}

impl Grid {
    fn new(channels: &[ControlChannel]) -> Grid {
        let mut by_pair = BTreeMap::new();
        let mut by_freq: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for c in channels {
            by_pair.insert((c.line, c.freq_qubit), c.index);
            by_freq.entry(c.freq_qubit).or_default().push(c.index);
        }
        Grid { by_pair, by_freq }
    }

    /// Source gate `g` moved to the grid's qubits by `sigma` (source qubit → grid qubit).
    fn copy(
        &self,
        source: &Device,
        g: &GateCal,
        sigma: &BTreeMap<u32, u32>,
        file: &str,
    ) -> Result<GateCal, DeviceError> {
        let field = format!(
            "{} on source qubits {:?} of {}",
            g.name, g.qubits, source.name
        );
        let foreign = |what: String| DeviceError::Invalid {
            file: file.to_string(),
            field: field.clone(),
            message: format!("{what}: it belongs to no qubit of the gate, so it cannot be moved"),
        };
        let qubit = |s: u32| sigma.get(&s).copied();
        let control = |u: u32| {
            source
                .control_channels
                .iter()
                .find(|c| c.index == u)
                .copied()
                .ok_or_else(|| foreign(format!("control channel u{u} is not declared")))
        };
        let mut items = Vec::with_capacity(g.items.len());
        // A frame change on all control channels at one frequency is emitted once, at the
        // first of the source's channels that carries it.
        let mut shifted: Vec<(u64, u32, Phase)> = Vec::new();
        for it in &g.items {
            let moved = |ch: Channel| -> Result<Channel, DeviceError> {
                match ch {
                    Channel::Drive(s) => qubit(s)
                        .map(Channel::Drive)
                        .ok_or_else(|| foreign(format!("it plays on d{s}"))),
                    Channel::Measure(s) => qubit(s)
                        .map(Channel::Measure)
                        .ok_or_else(|| foreign(format!("it plays on m{s}"))),
                    Channel::Control(u) => {
                        let c = control(u)?;
                        qubit(c.line)
                            .zip(qubit(c.freq_qubit))
                            .and_then(|pair| self.by_pair.get(&pair).copied())
                            .map(Channel::Control)
                            .ok_or_else(|| foreign(format!("it plays on u{u}")))
                    }
                }
            };
            match it {
                ScheduleItem::ShiftPhase {
                    t0,
                    channel: Channel::Control(u),
                    phase,
                } => {
                    let c = control(*u)?;
                    let f = qubit(c.freq_qubit).ok_or_else(|| {
                        foreign(format!(
                            "it shifts u{u}, at qubit {}'s frequency",
                            c.freq_qubit
                        ))
                    })?;
                    if shifted.contains(&(*t0, f, *phase)) {
                        continue;
                    }
                    shifted.push((*t0, f, *phase));
                    for &v in self.by_freq.get(&f).into_iter().flatten() {
                        items.push(ScheduleItem::ShiftPhase {
                            t0: *t0,
                            channel: Channel::Control(v),
                            phase: *phase,
                        });
                    }
                }
                ScheduleItem::ShiftPhase { t0, channel, phase } => {
                    items.push(ScheduleItem::ShiftPhase {
                        t0: *t0,
                        channel: moved(*channel)?,
                        phase: *phase,
                    });
                }
                ScheduleItem::Play { t0, channel, shape } => items.push(ScheduleItem::Play {
                    t0: *t0,
                    channel: moved(*channel)?,
                    shape: shape.clone(),
                }),
                ScheduleItem::Delay {
                    t0,
                    channel,
                    duration,
                } => items.push(ScheduleItem::Delay {
                    t0: *t0,
                    channel: moved(*channel)?,
                    duration: *duration,
                }),
                // A group acquisition keeps the gate's own qubits (the lowering acquires only
                // the measured qubit anyway).
                ScheduleItem::Acquire {
                    t0,
                    duration,
                    qubits,
                } => items.push(ScheduleItem::Acquire {
                    t0: *t0,
                    duration: *duration,
                    qubits: qubits.iter().filter_map(|&s| qubit(s)).collect(),
                }),
            }
        }
        Ok(GateCal {
            name: g.name.clone(),
            qubits: g
                .qubits
                .iter()
                .map(|&s| qubit(s).ok_or_else(|| foreign(format!("qubit {s}"))))
                .collect::<Result<_, _>>()?,
            items,
        })
    }
}

impl Device {
    /// The embedded default device for a circuit of `num_qubits` qubits: IBM's ibmq_lima
    /// ([`Device::default_device`]) when the circuit fits its five qubits, so that every figure
    /// of a small circuit is the real device's; otherwise a grid of exactly `num_qubits` qubits
    /// built from lima's calibrations ([`ScaledDevice::grid`]). The second value says which,
    /// for reports.
    ///
    /// # Errors
    /// `num_qubits` above [`MAX_QUBITS`].
    pub fn default_for(num_qubits: u32) -> Result<(Device, String), DeviceError> {
        let lima = Device::default_device();
        if num_qubits <= lima.num_qubits() {
            let note = format!(
                "default: the embedded calibration; the circuit fits its {} qubits",
                lima.num_qubits()
            );
            return Ok((lima, note));
        }
        let scaled = ScaledDevice::grid(&lima, num_qubits)?;
        let note = format!("default: {}", scaled.describe());
        Ok((scaled.device, note))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The channels a gate's items act on, as text, in order.
    fn channels(g: &GateCal) -> Vec<String> {
        g.items
            .iter()
            .filter_map(|it| it.channel().map(|c| c.to_string()))
            .collect()
    }

    /// Items with channels and acquired qubits blanked: what must equal the source bit for bit.
    fn unchanneled(g: &GateCal) -> Vec<ScheduleItem> {
        let blank = Channel::Drive(u32::MAX);
        let mut seen = Vec::new();
        g.items
            .iter()
            .filter_map(|it| match it {
                ScheduleItem::Play { t0, shape, .. } => Some(ScheduleItem::Play {
                    t0: *t0,
                    channel: blank,
                    shape: shape.clone(),
                }),
                ScheduleItem::Delay { t0, duration, .. } => Some(ScheduleItem::Delay {
                    t0: *t0,
                    channel: blank,
                    duration: *duration,
                }),
                // Frame changes on control channels are re-spread over the grid's channels at
                // the same frequency: compare each (time, phase) once.
                ScheduleItem::ShiftPhase { t0, phase, .. } => {
                    let key = (
                        *t0,
                        format!("{phase:?}"),
                        matches!(it.channel(), Some(Channel::Control(_))),
                    );
                    (!(key.2 && seen.contains(&key))).then(|| {
                        seen.push(key);
                        ScheduleItem::ShiftPhase {
                            t0: *t0,
                            channel: blank,
                            phase: *phase,
                        }
                    })
                }
                ScheduleItem::Acquire { t0, duration, .. } => Some(ScheduleItem::Acquire {
                    t0: *t0,
                    duration: *duration,
                    qubits: Vec::new(),
                }),
            })
            .collect()
    }

    #[test]
    fn grid_calibrations_equal_the_source_calibrations_they_are_drawn_from() {
        let lima = Device::default_device();
        for n in [6u32, 7, 9, 16, 127] {
            let s = ScaledDevice::grid(&lima, n).expect("grid");
            let d = &s.device;
            assert_eq!(d.num_qubits(), n);
            assert_eq!((s.rows, s.cols), {
                let c = (n as f64).sqrt().ceil() as u32;
                (n.div_ceil(c), c)
            });
            for i in 0..n {
                let src = i % 5;
                assert_eq!(d.qubits[i as usize], lima.qubits[src as usize], "qubit {i}");
                for name in ["x", "sx", "rz", "measure"] {
                    let g = d.gate(name, &[i]).expect("single-qubit gate");
                    let o = lima.gate(name, &[src]).expect("source gate");
                    assert_eq!(unchanneled(g), unchanneled(o), "{name} on {i}");
                    for c in channels(g) {
                        let ok = c == format!("d{i}")
                            || c == format!("m{i}")
                            || d.control_channels
                                .iter()
                                .any(|u| format!("u{}", u.index) == c && u.freq_qubit == i);
                        assert!(ok, "{name} on {i} acts on {c}");
                    }
                }
            }
            for &((a, b), (p, q)) in &s.pair_source {
                assert!(lima.coupled_pairs().contains(&(p, q)));
                for (x, y, sx, sy) in [(a, b, p, q), (b, a, q, p)] {
                    let g = d.gate("cx", &[x, y]).expect("grid pair");
                    let o = lima.gate("cx", &[sx, sy]).expect("source pair");
                    assert_eq!(unchanneled(g), unchanneled(o), "cx {x},{y} ← {sx},{sy}");
                }
                // The source's own pair is used wherever the source couples the same qubits.
                let (sa, sb) = (a % 5, b % 5);
                if lima.gate("cx", &[sa, sb]).is_some() {
                    assert_eq!((p, q), (sa, sb));
                }
            }
            // Every grid neighbour is coupled both ways, nothing else is.
            let pairs = d.coupled_pairs();
            assert_eq!(pairs.len(), 2 * s.pair_source.len());
            for (a, b) in pairs {
                let (ra, ca) = (a / s.cols, a % s.cols);
                let (rb, cb) = (b / s.cols, b % s.cols);
                assert_eq!(ra.abs_diff(rb) + ca.abs_diff(cb), 1, "{a}-{b}");
            }
        }
    }

    #[test]
    fn a_cross_resonance_tone_moves_to_the_grid_pairs_own_control_channel() {
        let lima = Device::default_device();
        // On a 4x4 grid, qubits 5 and 6 are neighbours and take lima's 0 and 1, which lima
        // couples: cx(5, 6) is lima's cx(0, 1) with its tone u0 (line 0 at qubit 1's
        // frequency) on the channel 5 → 6.
        let s = ScaledDevice::grid(&lima, 16).expect("grid");
        let d = &s.device;
        let g = d.gate("cx", &[5, 6]).expect("cx 5,6");
        let tone = d
            .control_channels
            .iter()
            .find(|c| (c.line, c.freq_qubit) == (5, 6))
            .expect("control channel 5 → 6");
        let plays: Vec<String> = g
            .items
            .iter()
            .filter_map(|it| match it {
                ScheduleItem::Play { channel, .. } => Some(channel.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(
            plays,
            [
                "d5",
                "d5",
                "d6",
                "d6",
                "d6",
                &format!("u{}", tone.index),
                &format!("u{}", tone.index)
            ]
        );
    }

    #[test]
    fn the_default_is_lima_up_to_five_qubits_and_a_grid_beyond() {
        let (d, note) = Device::default_for(5).expect("lima");
        assert_eq!(d, Device::default_device());
        assert!(note.contains("embedded calibration"), "{note}");
        let (d, note) = Device::default_for(7).expect("grid");
        assert_eq!(d.name, "ibmq_lima-grid-3x3");
        assert_eq!(d.num_qubits(), 7);
        assert!(
            note.starts_with("default: 7 qubits on a 3x3 grid built from ibmq_lima"),
            "{note}"
        );
        // Deterministic: built twice, the same device.
        assert_eq!(Device::default_for(7).expect("grid").0, d);
        assert!(matches!(
            Device::default_for(MAX_QUBITS as u32 + 1),
            Err(DeviceError::Limit { .. })
        ));
    }
}
