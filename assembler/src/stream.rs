//! Assembling a program as it is lowered, in memory bounded by windows: operations come in
//! order (scheduled as soon as possible, rz angles exact), repeats are found in a window
//! ([`crate::periods`]), the text (every loop body once, and what does not repeat) goes to a
//! [`Spill`] that moves to a temporary file once it outgrows memory, and once the stream has
//! ended the angle grid is chosen over every rotation as it runs (loop bodies counted as many
//! times as they run, so the choice is the one [`eqisa_lower::native::quantise`] makes on the
//! flat program) and the text is coded.

use eqisa_encode::StreamEncoder;
use eqisa_ir::circuit::CondExpr;
use eqisa_isa::angle::{self, MAX_BITS, RAW};
use eqisa_isa::codebook::Codebook;
use eqisa_isa::control::{ControlBuilder, NodeKind};
use eqisa_isa::instr::OPCODE_COUNT;
use eqisa_isa::model::ProgramParams;
use eqisa_isa::stream::ProgramInfo;
use eqisa_lower::clifford_t::Budget;
use eqisa_lower::native::{Quantised, SnapCost, choose_grid};
use eqisa_lower::program::{NativeOp, NativeProgram, TimedOp};
use eqisa_lower::target::TargetDesc;
use rustc_hash::FxHashMap;

use crate::encode::{Assembled, condition_bits, instr_of, opcode_of, target_of, write_container};
use crate::error::AssembleError;
use crate::periods::{LoopFinder, Segment};
use crate::spill::Spill;

/// Distinct rz angles counted before their snapping costs are summed per grid.
const ANGLES_HELD: usize = 1 << 16;

/// A node of the program being built: how many text operations it holds.
#[derive(Clone, Copy, Debug)]
enum Node {
    Straight(u64),
    Repeat { count: u64, stride: u64, ops: u64 },
}

/// What a streamed assembly found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamReport {
    /// Operations the program runs (loops multiplied out).
    pub executed_ops: u64,
    /// Operations coded (the text).
    pub text_ops: u64,
    /// Counted loops found.
    pub counted_loops: usize,
    /// The replay buffer the program declares (0 without loops).
    pub replay_ops: u64,
    /// The angle grid chosen and what snapping to it cost.
    pub quantised: Quantised,
    /// End of the last operation, ns.
    pub duration_ns: f64,
}

/// Assembles a stream of operations (see the module documentation).
#[derive(Debug)]
pub struct StreamAssembler {
    finder: Option<LoopFinder>,
    spill: Spill,
    nodes: Vec<Node>,
    /// Start of the straight node under way (its operations are timed from it).
    origin: f64,
    conditions: Vec<CondExpr>,
    cond_index: FxHashMap<CondExpr, u32>,
    /// Rotations by angle (bits), each counted as many times as it runs.
    angles: FxHashMap<u64, u64>,
    /// Snapping costs per grid of the angles no longer held.
    costs: Vec<SnapCost>,
    rotations: u64,
    executed: u64,
    end_ns: f64,
    io: Option<std::io::Error>,
}

impl StreamAssembler {
    /// An assembler that looks for repeats within `window` operations (`None`: it codes the
    /// operations as they come).
    #[must_use]
    pub fn new(window: Option<usize>) -> StreamAssembler {
        StreamAssembler {
            finder: window.map(|w| LoopFinder::new(0, w)),
            spill: Spill::default(),
            nodes: Vec::new(),
            origin: 0.0,
            conditions: Vec::new(),
            cond_index: FxHashMap::default(),
            angles: FxHashMap::default(),
            costs: vec![SnapCost::default(); usize::from(MAX_BITS) + 1],
            rotations: 0,
            executed: 0,
            end_ns: 0.0,
            io: None,
        }
    }

    /// The program now has `num_qubits` qubits (registers may be declared as it goes).
    pub fn grow(&mut self, num_qubits: u32) {
        if let Some(f) = &mut self.finder {
            f.grow(num_qubits);
        }
    }

    /// No more loops from here on (times ahead are not certain: see
    /// [`eqisa_lower::stream::StreamLowering::times_exact`]).
    pub fn stop_finding(&mut self) {
        if let Some(f) = &mut self.finder {
            f.stop();
        }
    }

    /// The next operation (absolute ASAP times), with its condition.
    pub fn push(&mut self, op: TimedOp, cond: Option<CondExpr>) {
        self.end_ns = self.end_ns.max(op.start_ns + op.duration_ns);
        let Some(f) = &mut self.finder else {
            self.straight(op, cond);
            return;
        };
        f.push(op, cond);
        let segments: Vec<Segment> = f.drain().collect();
        for s in segments {
            self.segment(s);
        }
    }

    fn segment(&mut self, s: Segment) {
        match s {
            Segment::Straight(ops) => {
                for (op, cond) in ops {
                    self.straight(op, cond);
                }
            }
            Segment::Repeat {
                body,
                count,
                stride,
            } => {
                let origin = body
                    .iter()
                    .map(|(o, _)| o.start_ns)
                    .fold(f64::INFINITY, f64::min);
                self.nodes.push(Node::Repeat {
                    count,
                    stride,
                    ops: body.len() as u64,
                });
                for (op, cond) in body {
                    self.text(op, cond, origin, count);
                }
            }
        }
    }

    fn straight(&mut self, op: TimedOp, cond: Option<CondExpr>) {
        match self.nodes.last_mut() {
            Some(Node::Straight(n)) => *n += 1,
            _ => {
                self.origin = op.start_ns;
                self.nodes.push(Node::Straight(1));
            }
        }
        let origin = self.origin;
        self.text(op, cond, origin, 1);
    }

    fn text(&mut self, mut op: TimedOp, cond: Option<CondExpr>, origin: f64, runs: u64) {
        op.start_ns -= origin;
        op.cond = cond.map(|c| {
            let next = self.conditions.len() as u32;
            *self.cond_index.entry(c.clone()).or_insert_with(|| {
                self.conditions.push(c);
                next
            })
        });
        if let NativeOp::Rz(a) = op.op {
            *self.angles.entry(a.to_bits()).or_insert(0) += runs;
            self.rotations += runs;
            if self.angles.len() > ANGLES_HELD {
                self.sum_costs();
            }
        }
        self.executed = self.executed.saturating_add(runs);
        if self.io.is_none()
            && let Err(e) = self.spill.push(op)
        {
            self.io = Some(e);
        }
    }

    fn sum_costs(&mut self) {
        for (&a, &n) in &self.angles {
            for bits in 1..=MAX_BITS {
                if let Some(c) = self.costs.get_mut(usize::from(bits)) {
                    c.add(f64::from_bits(a), bits, n);
                }
            }
        }
        self.angles.clear();
    }

    /// Codes what was pushed as the program `shell` describes (target, qubits, bits, registers;
    /// its operations are ignored), its rz angles snapped to the coarsest grid that meets
    /// `budget`.
    ///
    /// # Errors
    /// When the spill file fails, an operation cannot be encoded, or the control tree passes
    /// the format's limits.
    pub fn finish(
        mut self,
        shell: &NativeProgram,
        target: &TargetDesc,
        budget: Budget,
        codebook: &Codebook,
        codebook_hash: [u8; 32],
    ) -> Result<(Assembled, StreamReport), AssembleError> {
        if let Some(f) = self.finder.take() {
            for s in f.finish() {
                self.segment(s);
            }
        }
        if let Some(e) = self.io.take() {
            return Err(AssembleError::Io(e.to_string()));
        }
        let q = self.grid(budget);
        let mut program = NativeProgram {
            ops: Vec::new(),
            conditions: std::mem::take(&mut self.conditions),
            angle_bits: q.bits,
            duration_ns: self.end_ns,
            ..shell.clone()
        };
        let params = ProgramParams {
            target: target_of(program.target),
            num_qubits: program.num_qubits,
            num_clbits: program.num_clbits,
            angle_bits: q.bits,
            num_conditions: program.conditions.len() as u32,
            dt_ns_bits: target.dt_ns.to_bits(),
            explicit_timing: false,
        };
        let mut enc = StreamEncoder::new(&codebook.priors, params)?;
        let mut durations: [Option<f64>; OPCODE_COUNT] = [None; OPCODE_COUNT];
        // Operations per node once rz snapped to 0 are dropped, and qubit operands per node.
        let mut kept = vec![0u64; self.nodes.len()];
        let mut words = vec![0u64; self.nodes.len()];
        let mut node = 0usize;
        let mut left = self.nodes.first().map_or(0, node_ops);
        let mut index = 0usize;
        let nodes = self.nodes.clone();
        self.spill.for_each(|mut op| -> Result<(), AssembleError> {
            while left == 0 {
                node += 1;
                left = nodes.get(node).map_or(u64::MAX, node_ops);
            }
            left -= 1;
            if let NativeOp::Rz(a) = &mut op.op
                && q.bits != RAW
            {
                *a = angle::snap(*a, q.bits);
                if *a == 0.0 {
                    return Ok(());
                }
            }
            let code = opcode_of(&op.op);
            if !matches!(op.op, NativeOp::Delay { .. }) {
                let slot = &mut durations[code as usize];
                match slot {
                    None => *slot = Some(op.duration_ns),
                    Some(d) if d.to_bits() != op.duration_ns.to_bits() => {
                        return Err(AssembleError::Unencodable {
                            index,
                            what: "an operation whose duration differs from others of its kind (a streamed program carries no explicit timing)",
                        });
                    }
                    Some(_) => {}
                }
            }
            let instr = instr_of(&program, index, &op)?;
            enc.push(&instr, (op.start_ns, op.duration_ns))?;
            if let (Some(k), Some(w)) = (kept.get_mut(node), words.get_mut(node)) {
                *k += 1;
                *w += op.qubits.len() as u64;
            }
            index += 1;
            Ok(())
        })?;
        let coded = enc.finish()?;
        let (control, report) = self.control(&kept, &words, q)?;
        let condition_bits = condition_bits(&program);
        let info = ProgramInfo {
            params,
            durations,
            condition_bits,
            total_ops: index as u64,
        };
        program.duration_ns = self.end_ns;
        let asm = write_container(
            &program,
            &info,
            control.as_ref(),
            coded,
            codebook_hash,
            None,
        )?;
        Ok((asm, report))
    }

    /// The grid every rotation is snapped to.
    fn grid(&mut self, budget: Budget) -> Quantised {
        let (angles, costs) = (&self.angles, &self.costs);
        choose_grid(budget, self.rotations, |bits| {
            let mut c = costs.get(usize::from(bits)).copied().unwrap_or_default();
            for (&a, &n) in angles {
                c.add(f64::from_bits(a), bits, n);
            }
            c
        })
    }

    /// The control tree (`None` for a program without loops) and the report.
    fn control(
        &self,
        kept: &[u64],
        words: &[u64],
        quantised: Quantised,
    ) -> Result<(Option<eqisa_isa::control::Control>, StreamReport), AssembleError> {
        let mut report = StreamReport {
            executed_ops: 0,
            text_ops: kept.iter().sum(),
            counted_loops: 0,
            replay_ops: 0,
            quantised,
            duration_ns: self.end_ns,
        };
        let mut tree = ControlBuilder::new();
        let mut replay_words = 0u64;
        for (i, node) in self.nodes.iter().enumerate() {
            let n = kept.get(i).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            match *node {
                Node::Straight(_) => {
                    tree.ops(n)?;
                    report.executed_ops = report.executed_ops.saturating_add(n);
                }
                Node::Repeat { count, stride, .. } => {
                    tree.open(NodeKind::Repeat { count, stride })?;
                    tree.ops(n)?;
                    tree.close()?;
                    report.counted_loops += 1;
                    report.executed_ops =
                        report.executed_ops.saturating_add(n.saturating_mul(count));
                    replay_words = replay_words.max(words.get(i).copied().unwrap_or(0));
                }
            }
        }
        if report.counted_loops == 0 {
            return Ok((None, report));
        }
        let mut control = tree.finish()?;
        control.replay_words = replay_words;
        report.replay_ops = control.replay_ops;
        Ok((Some(control), report))
    }
}

fn node_ops(n: &Node) -> u64 {
    match *n {
        Node::Straight(k) => k,
        Node::Repeat { ops, .. } => ops,
    }
}
