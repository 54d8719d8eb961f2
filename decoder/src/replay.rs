//! Running a program's control tree: which text instruction comes next, whether it is read from
//! the stream or replayed from the buffer, when every qubit aligns, and when a real-time loop
//! needs its condition evaluated (see [`eqisa_isa::control`]).

use alloc::vec::Vec;

use eqisa_isa::IsaError;
use eqisa_isa::control::{Control, NodeKind};
use eqisa_isa::instr::{Instr, Opcode};
use eqisa_isa::stream::Scheduler;

/// What the decoder does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Decode the next text instruction from the stream and release it.
    Stream,
    /// Decode the next text instruction from the stream into the replay buffer (an outermost
    /// loop's text is read whole before its first iteration).
    Fill,
    /// Release buffered instruction `i`.
    Replay(usize),
    /// Condition `cond` (its bits shifted by `bit_offset`) decides whether a `while` iterates.
    Await { cond: u32, bit_offset: u64 },
    /// Every node has run.
    Finished,
}

/// One buffered instruction; its qubits are `pool[at..at + len]`.
#[derive(Clone, Copy, Debug)]
struct Stored {
    opcode: Opcode,
    cond: Option<u32>,
    arg: u64,
    at: u32,
    len: u32,
}

/// An open loop.
#[derive(Clone, Copy, Debug)]
struct Frame {
    node: usize,
    /// Iterations completed.
    done: u64,
    /// The bit offset when the loop was entered.
    entry_offset: u64,
}

/// The state of a run through the tree.
#[derive(Debug)]
pub(crate) struct Replay {
    control: Control,
    /// The next node to enter.
    cursor: usize,
    /// Instructions left in the current `Ops` node.
    ops_left: u64,
    /// The next buffered instruction to release, inside a loop.
    next_buf: usize,
    /// Open loops, innermost last (at most `MAX_DEPTH`, checked when the tree was parsed).
    frames: Vec<Frame>,
    /// Shift of classical bits for what runs now.
    offset: u64,
    /// Instructions still to read into the buffer.
    fill_left: u64,
    /// Text index of `buf[0]`.
    base_text: u64,
    buf: Vec<Stored>,
    pool: Vec<u32>,
    /// Per buffered instruction: its start relative to its node's start and its duration, once
    /// it has run (`NaN` before). Every run of a node starts with all qubits aligned, so its
    /// schedule relative to that start is the same each time: later runs add it to the start.
    times: Vec<(f64, f64)>,
    /// The action decided but not yet carried out (input may be missing for it).
    pending: Option<Action>,
    /// A `while` waits for its condition: the answer, once given.
    answer: Option<bool>,
    /// A `while` was entered: its condition is asked once its text is buffered.
    ask_first: bool,
    /// Run every loop once, asking nothing: the text in program order, as iteration 0 runs it.
    text_only: bool,
}

impl Replay {
    pub(crate) fn new(control: Control) -> Replay {
        Replay {
            control,
            cursor: 0,
            ops_left: 0,
            next_buf: 0,
            frames: Vec::new(),
            offset: 0,
            fill_left: 0,
            base_text: 0,
            buf: Vec::new(),
            pool: Vec::new(),
            times: Vec::new(),
            pending: None,
            answer: None,
            ask_first: false,
            text_only: false,
        }
    }

    /// Reserve the buffers the control section declares (its largest loop's instructions and
    /// operands, and the deepest nesting), so that filling them never allocates.
    pub(crate) fn reserve(&mut self) {
        let ops = usize::try_from(self.control.replay_ops).unwrap_or(0);
        let words = usize::try_from(self.control.replay_words).unwrap_or(0);
        self.buf.reserve_exact(ops);
        self.times.reserve_exact(ops);
        self.pool.reserve_exact(words);
        self.frames.reserve_exact(eqisa_isa::control::MAX_DEPTH);
    }

    /// While a `while` loop's condition is pending: its iterations completed since it was
    /// entered.
    pub(crate) fn iterations_done(&self) -> Option<u64> {
        match self.pending {
            Some(Action::Await { .. }) => self.frames.last().map(|f| f.done),
            _ => None,
        }
    }

    /// Run every loop body once, without asking any condition (see [`Replay::text_only`]).
    pub(crate) fn set_text_only(&mut self) {
        self.text_only = true;
    }

    /// The control tree.
    pub(crate) fn control(&self) -> &Control {
        &self.control
    }

    /// The bit shift of what runs now.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// The action to carry out next (the same until [`Replay::commit`]); aligns `sched` where
    /// a node or an iteration begins or a loop ends.
    pub(crate) fn peek(&mut self, sched: &mut Scheduler) -> Result<Action, IsaError> {
        if let Some(a) = self.pending {
            if let Action::Await { .. } = a
                && let Some(holds) = self.answer.take()
            {
                self.pending = None;
                self.resolve(holds, sched);
            } else {
                return Ok(a);
            }
        }
        let a = self.decide(sched)?;
        self.pending = Some(a);
        Ok(a)
    }

    /// The pending action was carried out.
    pub(crate) fn commit(&mut self) {
        if !matches!(self.pending, Some(Action::Await { .. })) {
            self.pending = None;
        }
    }

    /// After [`Replay::peek`] gave [`Action::Replay`]: the buffered run `from..to` that releases
    /// the rest of the current `Ops` node, committed whole (the caller releases it in one loop;
    /// [`Replay::give_back`] returns what it did not release).
    pub(crate) fn take_run(&mut self) -> Option<(usize, usize)> {
        let Some(Action::Replay(from)) = self.pending else {
            return None;
        };
        let to = usize::try_from(self.ops_left)
            .ok()
            .and_then(|n| self.next_buf.checked_add(n))?;
        self.pending = None;
        self.ops_left = 0;
        self.next_buf = to;
        Some((from, to))
    }

    /// Of a run taken with [`Replay::take_run`], `next..to` was not released: release it next.
    pub(crate) fn give_back(&mut self, next: usize, to: usize) {
        self.next_buf = next;
        self.ops_left = to.saturating_sub(next) as u64;
    }

    /// The answer to a pending [`Action::Await`].
    pub(crate) fn answer(&mut self, holds: bool) {
        if matches!(self.pending, Some(Action::Await { .. })) {
            self.answer = Some(holds);
        }
    }

    fn decide(&mut self, sched: &mut Scheduler) -> Result<Action, IsaError> {
        loop {
            if self.fill_left > 0 {
                self.fill_left -= 1;
                return Ok(Action::Fill);
            }
            if self.ask_first && self.text_only {
                self.ask_first = false;
            } else if self.ask_first {
                self.ask_first = false;
                return Ok(Action::Await {
                    cond: self.innermost_while()?,
                    bit_offset: self.offset,
                });
            }
            if self.ops_left > 0 {
                self.ops_left -= 1;
                if self.frames.is_empty() {
                    return Ok(Action::Stream);
                }
                let i = self.next_buf;
                self.next_buf += 1;
                return Ok(Action::Replay(i));
            }
            let nodes = self.control.nodes();
            let scope_end = match self.frames.last() {
                Some(f) => nodes.get(f.node).map_or(0, |n| n.end as usize),
                None => nodes.len(),
            };
            if self.cursor >= scope_end {
                let Some(frame) = self.frames.last_mut() else {
                    return Ok(Action::Finished);
                };
                frame.done += 1;
                let node = *nodes
                    .get(frame.node)
                    .ok_or(IsaError::Corrupt("a loop outside its tree"))?;
                sched.align();
                match node.kind {
                    _ if self.text_only => {
                        self.leave();
                        continue;
                    }
                    NodeKind::Repeat { count, stride } if frame.done < count => {
                        self.offset = frame
                            .done
                            .checked_mul(stride)
                            .and_then(|s| s.checked_add(frame.entry_offset))
                            .ok_or(IsaError::Corrupt("a loop's classical-bit shift overflows"))?;
                        self.cursor = frame.node + 1;
                        continue;
                    }
                    NodeKind::While { cond } => {
                        return Ok(Action::Await {
                            cond,
                            bit_offset: self.offset,
                        });
                    }
                    _ => {
                        self.leave();
                        continue;
                    }
                }
            }
            let node = *nodes
                .get(self.cursor)
                .ok_or(IsaError::Corrupt("a node outside its tree"))?;
            sched.align();
            match node.kind {
                NodeKind::Ops(n) => {
                    self.ops_left = n;
                    self.next_buf = node.text_start.saturating_sub(self.base_text) as usize;
                    self.cursor += 1;
                }
                NodeKind::Repeat { .. } | NodeKind::While { .. } => {
                    if self.frames.is_empty() {
                        self.base_text = node.text_start;
                        self.fill_left = node.text_len;
                        self.buf.clear();
                        self.pool.clear();
                        self.times.clear();
                    }
                    self.frames.push(Frame {
                        node: self.cursor,
                        done: 0,
                        entry_offset: self.offset,
                    });
                    self.cursor += 1;
                    // The condition is asked before the first iteration, once the text is
                    // buffered.
                    self.ask_first = matches!(node.kind, NodeKind::While { .. });
                }
            }
        }
    }

    /// A `while`'s condition was answered.
    fn resolve(&mut self, holds: bool, sched: &mut Scheduler) {
        if holds {
            if let Some(f) = self.frames.last() {
                self.cursor = f.node + 1;
            }
            sched.align();
        } else {
            self.leave();
            sched.align();
        }
    }

    /// The innermost loop is done.
    fn leave(&mut self) {
        if let Some(f) = self.frames.pop() {
            self.offset = f.entry_offset;
            self.cursor = self
                .control
                .nodes()
                .get(f.node)
                .map_or(self.cursor, |n| n.end as usize);
        }
    }

    /// Keep a text instruction read for the buffer.
    pub(crate) fn store(&mut self, instr: &Instr<'_>) -> Result<(), IsaError> {
        let at = self.pool.len();
        let words = (at + instr.qubits.len()) as u64;
        if words > self.control.replay_words {
            return Err(IsaError::Corrupt(
                "a loop's text holds more qubit operands than the control section declares",
            ));
        }
        self.pool.extend_from_slice(instr.qubits);
        self.times.push((f64::NAN, 0.0));
        self.buf.push(Stored {
            opcode: instr.opcode,
            cond: instr.cond,
            arg: instr.arg,
            at: at as u32,
            len: instr.qubits.len() as u32,
        });
        Ok(())
    }

    /// Buffered instruction `i` and its cached timing (see [`Replay::times`]).
    #[inline]
    pub(crate) fn entry(&mut self, i: usize) -> Result<(Instr<'_>, &mut (f64, f64)), IsaError> {
        let Replay {
            buf, pool, times, ..
        } = self;
        let s = buf
            .get(i)
            .ok_or(IsaError::Corrupt("a replay past the buffered text"))?;
        let t = times
            .get_mut(i)
            .ok_or(IsaError::Corrupt("a replay past the buffered text"))?;
        let qubits = pool
            .get(s.at as usize..(s.at as usize + s.len as usize))
            .ok_or(IsaError::Corrupt("a replay past the buffered operands"))?;
        Ok((
            Instr {
                opcode: s.opcode,
                qubits,
                cond: s.cond,
                arg: s.arg,
            },
            t,
        ))
    }

    /// The condition of the innermost loop, a `while`.
    fn innermost_while(&self) -> Result<u32, IsaError> {
        match self
            .frames
            .last()
            .and_then(|f| self.control.nodes().get(f.node))
            .map(|n| n.kind)
        {
            Some(NodeKind::While { cond }) => Ok(cond),
            _ => Err(IsaError::Corrupt("a condition asked outside a while loop")),
        }
    }
}
