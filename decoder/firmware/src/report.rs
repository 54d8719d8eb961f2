//! What a firmware simulation found, per run and per output line.

use serde::Serialize;

use crate::params::FirmwareParams;
use crate::state::{Line, State};
use crate::timeline::FS_PER_S;
use crate::units::fs_to_ns;

/// Bits per stored I/Q sample (two `i16`), for [`FirmwareReport::waveform_memory_read_bits`].
const SAMPLE_BITS: u64 = 32;

/// One output line: a qubit (`q<n>`, its instructions) or a pulse channel (`d<n>`, `u<n>`,
/// `m<n>`, its plays).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChannelReport {
    /// `q3`, `d0`, `u1`, `m2`, ...
    pub name: String,
    /// Instructions (qubits) or plays (pulse channels) it carries.
    pub outputs: u64,
    /// Of those, how many were not ready by their deadline.
    pub underruns: u64,
    /// Latest readiness relative to the deadline, ns (negative: the smallest margin).
    pub worst_lateness_ns: f64,
}

/// What a firmware simulation found. The keys `underruns`, `peak_fifo_bits`, `min_link_gbps` and
/// `latency_ns` are what scripts rely on; the counted events at the end feed the energy model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FirmwareReport {
    /// Instructions and plays not ready by their deadline, each counted once.
    pub underruns: u64,
    /// Most bits held in the input FIFO at once (arrived, not yet decoded).
    pub peak_fifo_bits: u64,
    /// The lowest link rate (Gb/s) at which nothing underruns, with the same other parameters:
    /// exact to the bit per second. 0 when nothing has a deadline; `null` when no link rate is
    /// enough (the decoder's own work or the start-up delay is the limit).
    pub min_link_gbps: Option<f64>,
    /// [`FirmwareReport::peak_fifo_bits`] with the link at [`FirmwareReport::min_link_gbps`]: the
    /// FIFO the program needs when the link is just fast enough (at a faster link the FIFO fills
    /// with whatever the decoder has not reached yet: the link is not flow-controlled).
    pub peak_fifo_bits_at_min_link: Option<u64>,
    /// First bit into the link to the first output out of the decoder, ns: the first play's
    /// samples ready (the first instruction in programs without plays). `null` with no output.
    pub latency_ns: Option<f64>,
    /// Latest readiness of any output relative to its deadline, ns (positive: the worst
    /// underrun; negative: the smallest margin).
    pub worst_lateness_ns: Option<f64>,
    /// The shortest start-up delay with no underrun at this link rate, ns.
    pub min_startup_ns: Option<f64>,
    /// The parameters simulated.
    pub params: FirmwareParams,
    /// The sample period the plays were timed with, ns: the program's recorded `dt` (0 when the
    /// file has no program section to record one).
    pub dt_ns: f64,
    /// End of the schedule (last instruction or play), ns after its time 0.
    pub schedule_ns: f64,
    /// When the decoder finished the file (trailer checked), ns after the first bit.
    pub decode_end_ns: f64,
    /// Time the decoder was busy, ns.
    pub decoder_busy_ns: f64,
    /// The file's bits over the schedule's length, Gb/s: the link rate real-time streaming
    /// needs on average (`null` for an empty schedule).
    pub average_gbps: Option<f64>,
    /// Per qubit line and pulse channel.
    pub channels: Vec<ChannelReport>,
    /// Counted: bits over the link (the whole file).
    pub link_bits: u64,
    /// Counted: instructions released (and scheduled): `decoded_ops + replayed_ops`. In a
    /// program that runs straight, every one was decoded from the stream.
    pub instructions_decoded: u64,
    /// Counted: instructions the range decoder decoded from the stream: the program's text,
    /// each once (released at once, or written into the replay buffer).
    pub decoded_ops: u64,
    /// Counted: instructions released beyond the decoded ones, the iterations a loop replays from
    /// the buffer without input: `(count − 1) × body` for a counted loop.
    pub replayed_ops: u64,
    /// Counted: instructions written into the replay buffer (outermost loops' text).
    pub replay_buffer_writes: u64,
    /// Counted: instructions read from the replay buffer (every iteration of an outermost loop,
    /// the first included).
    pub replay_buffer_reads: u64,
    /// The replay buffer the control section declares, bytes: `replay_ops` entries of
    /// [`REPLAY_ENTRY_BYTES`](crate::REPLAY_ENTRY_BYTES) and `replay_words` qubit operands of
    /// [`REPLAY_WORD_BYTES`](crate::REPLAY_WORD_BYTES) (0 for a program that runs straight).
    pub replay_buffer_bytes: u64,
    /// Counted: pulse-section items decoded (memory waveforms and plays).
    pub pulse_items_decoded: u64,
    /// Counted: plays.
    pub plays: u64,
    /// Counted: memory plays (read from waveform memory).
    pub memory_plays: u64,
    /// Waveforms in the waveform memory.
    pub memory_waveforms: u64,
    /// Samples in the waveform memory (its size).
    pub waveform_memory_samples: u64,
    /// Counted: samples the decoder reconstructed (memory waveforms once, inline plays).
    pub reconstructed_samples: u64,
    /// Counted: samples read from waveform memory by memory plays.
    pub memory_read_samples: u64,
    /// Counted: atom samples read by the reconstruction (one per term per sample).
    pub atom_read_samples: u64,
    /// Counted: bits read from waveform and atom memory, 32 per sample.
    pub waveform_memory_read_bits: u64,
    /// Counted: fixed-point multiply-adds: 4 per atom term per sample (a complex product), and
    /// 4 per sample of a rotated memory play.
    pub multiply_adds: u64,
    /// Counted: samples in plays.
    pub played_samples: u64,
    /// Counted: samples converted by the DACs, summed over channels: every channel's DAC runs
    /// at the sample clock from time 0 to the end of the last play (zeros between plays).
    pub dac_samples: u64,
    /// Counted: decoder cycles.
    pub decoder_cycles: u64,
}

/// The report of a finished run.
pub(crate) fn report(
    st: State,
    params: &FirmwareParams,
    file_bytes: usize,
    replay_buffer_bytes: u64,
) -> FirmwareReport {
    let decoded_ops = st.streamed + st.buffer_writes;
    let u = st.u;
    let line = |name: String, l: &Line| ChannelReport {
        name,
        outputs: l.outputs,
        underruns: l.underruns,
        worst_lateness_ns: fs_to_ns(l.worst.unwrap_or(0)),
    };
    let mut channels: Vec<ChannelReport> = st
        .qubits
        .iter()
        .enumerate()
        .filter(|(_, l)| l.outputs > 0)
        .map(|(q, l)| line(format!("q{q}"), l))
        .collect();
    channels.extend(
        st.channels
            .iter()
            .filter(|(_, l)| l.outputs > 0)
            .map(|(name, l)| line(name.clone(), l)),
    );
    let schedule_fs = st.instr_end_fs.max(i128::from(st.play_end) * u.dt_fs);
    let link_bits = 8 * file_bytes as u64;
    let first = st.first_play_done.or(st.first_instr_done);
    let worst = st.tl.worst_lateness();
    let min_rate = st.tl.min_rate_bps();
    FirmwareReport {
        underruns: st.tl.underruns(),
        peak_fifo_bits: u64::try_from(st.tl.peak_fifo_bits()).unwrap_or(u64::MAX),
        min_link_gbps: min_rate.map(|r| r as f64 / 1e9),
        peak_fifo_bits_at_min_link: min_rate
            .filter(|&r| r > 0)
            .map(|r| u64::try_from(st.tl.peak_fifo_bits_at(r)).unwrap_or(u64::MAX)),
        latency_ns: first.map(fs_to_ns),
        worst_lateness_ns: worst.map(fs_to_ns),
        min_startup_ns: worst.map(|w| fs_to_ns((u.startup_fs + w).max(0))),
        params: params.clone(),
        dt_ns: u.dt_ns,
        schedule_ns: fs_to_ns(schedule_fs),
        decode_end_ns: fs_to_ns(st.tl.busy_until()),
        decoder_busy_ns: fs_to_ns(st.tl.total_work()),
        average_gbps: (schedule_fs > 0)
            .then(|| link_bits as f64 * FS_PER_S as f64 / schedule_fs as f64 / 1e9),
        channels,
        link_bits,
        instructions_decoded: st.instructions,
        decoded_ops,
        replayed_ops: st.instructions.saturating_sub(decoded_ops),
        replay_buffer_writes: st.buffer_writes,
        replay_buffer_reads: st.buffer_reads,
        replay_buffer_bytes,
        pulse_items_decoded: st.pulse_items,
        plays: st.plays,
        memory_plays: st.memory_plays,
        memory_waveforms: st.memory_waveforms,
        waveform_memory_samples: st.memory_samples,
        reconstructed_samples: st.reconstructed,
        memory_read_samples: st.memory_reads,
        atom_read_samples: st.atom_reads,
        waveform_memory_read_bits: (st.memory_reads + st.atom_reads) * SAMPLE_BITS,
        multiply_adds: st.macs,
        played_samples: st.played,
        dac_samples: st.channels.len() as u64 * st.play_end,
        decoder_cycles: u64::try_from((st.tl.total_work() + u.period_fs / 2) / u.period_fs.max(1))
            .unwrap_or(u64::MAX),
    }
}
