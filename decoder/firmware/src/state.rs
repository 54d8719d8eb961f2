//! Everything the decoders' events update: the timeline, per-line tallies and the counted events.

use eqisa_isa::instr::TimedInstr;
use eqisa_isa::pulse::{CodedWaveform, IDENTITY_ROTATION, PlayBody, reconstruction_work};

use crate::timeline::Timeline;
use crate::units::{Units, ns_to_fs};

/// Per-line tallies.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Line {
    pub(crate) outputs: u64,
    pub(crate) underruns: u64,
    pub(crate) worst: Option<i128>,
}

impl Line {
    pub(crate) fn record(&mut self, late: i128) {
        self.outputs += 1;
        self.underruns += u64::from(late > 0);
        self.worst = Some(self.worst.map_or(late, |w| w.max(late)));
    }
}

/// Everything the decoders' events update.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) u: Units,
    pub(crate) tl: Timeline,
    pub(crate) qubits: Vec<Line>,
    pub(crate) channels: Vec<(String, Line)>,
    pub(crate) first_instr_done: Option<i128>,
    pub(crate) first_play_done: Option<i128>,
    /// End of the schedule's instructions (fs after time 0).
    pub(crate) instr_end_fs: i128,
    /// End of the last play (samples).
    pub(crate) play_end: u64,
    pub(crate) instructions: u64,
    /// Instructions decoded into the replay buffer (outermost loops' text).
    pub(crate) buffer_writes: u64,
    /// Instructions released from the replay buffer.
    pub(crate) buffer_reads: u64,
    /// Instructions decoded from the stream and released at once.
    pub(crate) streamed: u64,
    /// Qubits of the instruction being released by the event loop.
    pub(crate) scratch: Vec<u32>,
    pub(crate) pulse_items: u64,
    pub(crate) plays: u64,
    pub(crate) memory_plays: u64,
    pub(crate) memory_waveforms: u64,
    pub(crate) memory_samples: u64,
    pub(crate) reconstructed: u64,
    pub(crate) memory_reads: u64,
    pub(crate) atom_reads: u64,
    pub(crate) macs: u64,
    pub(crate) played: u64,
}

impl State {
    /// Nothing counted yet, on a controller of units `u` whose link feeds timeline `tl`.
    pub(crate) fn new(u: Units, tl: Timeline) -> Self {
        State {
            u,
            tl,
            qubits: Vec::new(),
            channels: Vec::new(),
            first_instr_done: None,
            first_play_done: None,
            instr_end_fs: 0,
            play_end: 0,
            instructions: 0,
            buffer_writes: 0,
            buffer_reads: 0,
            streamed: 0,
            scratch: Vec::new(),
            pulse_items: 0,
            plays: 0,
            memory_plays: 0,
            memory_waveforms: 0,
            memory_samples: 0,
            reconstructed: 0,
            memory_reads: 0,
            atom_reads: 0,
            macs: 0,
            played: 0,
        }
    }

    /// An instruction decoded from the stream and released at once.
    pub(crate) fn instr(&mut self, t: &TimedInstr<'_>) {
        self.streamed += 1;
        self.release(self.u.instr_fs, t.start_ns, t.duration_ns, t.instr.qubits);
    }

    /// `n` instructions decoded into the replay buffer: work without a deadline.
    pub(crate) fn fill(&mut self, n: u64) {
        if n > 0 {
            self.tl.work(i128::from(n) * self.u.instr_fs);
            self.buffer_writes += n;
        }
    }

    /// The instruction in [`State::scratch`], released from the replay buffer (`replayed`) or
    /// decoded from the stream.
    pub(crate) fn scratch_instr(&mut self, start_ns: f64, duration_ns: f64, replayed: bool) {
        let qubits = std::mem::take(&mut self.scratch);
        if replayed {
            self.buffer_reads += 1;
            self.release(self.u.replay_fs, start_ns, duration_ns, &qubits);
        } else {
            self.streamed += 1;
            self.release(self.u.instr_fs, start_ns, duration_ns, &qubits);
        }
        self.scratch = qubits;
    }

    fn release(&mut self, work: i128, start_ns: f64, duration_ns: f64, qubits: &[u32]) {
        self.tl.work(work);
        let (late, done) = self.tl.due(self.u.startup_fs + ns_to_fs(start_ns));
        self.first_instr_done.get_or_insert(done);
        for &q in qubits {
            if let Some(line) = self.qubits.get_mut(q as usize) {
                line.record(late);
            }
        }
        self.instr_end_fs = self.instr_end_fs.max(ns_to_fs(start_ns + duration_ns));
        self.instructions += 1;
    }

    /// Counts the reconstruction of a coded waveform of `len` samples and returns its work.
    fn reconstruct(&mut self, wf: &CodedWaveform, window: usize, len: u64) -> i128 {
        self.reconstructed += len;
        let work = reconstruction_work(wf, window);
        self.atom_reads += work.atom_samples_read;
        self.macs += work.multiply_adds;
        self.u.samples_fs(len)
    }

    pub(crate) fn memory_waveform(&mut self, wf: &CodedWaveform, window: usize, len: u64) {
        let work = self.u.item_fs + self.reconstruct(wf, window, len);
        self.tl.work(work);
        self.pulse_items += 1;
        self.memory_waveforms += 1;
        self.memory_samples += len;
    }

    pub(crate) fn play(
        &mut self,
        channel: u32,
        start: u64,
        len: u64,
        body: &PlayBody,
        window: usize,
    ) {
        let mut work = self.u.item_fs;
        match body {
            PlayBody::Memory { rotation, .. } => {
                self.memory_plays += 1;
                self.memory_reads += len;
                if *rotation != IDENTITY_ROTATION {
                    self.macs += 4 * len;
                }
            }
            PlayBody::Inline(wf) => work += self.reconstruct(wf, window, len),
        }
        self.tl.work(work);
        let deadline = self.u.startup_fs + i128::from(start) * self.u.dt_fs;
        let (late, done) = self.tl.due(deadline);
        self.first_play_done.get_or_insert(done);
        if let Some((_, line)) = self.channels.get_mut(channel as usize) {
            line.record(late);
        }
        self.play_end = self.play_end.max(start.saturating_add(len));
        self.pulse_items += 1;
        self.plays += 1;
        self.played += len;
    }
}
