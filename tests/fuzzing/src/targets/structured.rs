//! Feeds arbitrary bytes to the OpenQASM 3 loader (`parse_program_str`, as a `.qasm3` file) and,
//! when they make a structured program, to every walker of it, each within small limits: the
//! structure statistics, input binding (with values drawn from the input), the flatten pass,
//! the interpreter (`Exec`, its measurements answered with bits drawn from the input) and the
//! branch-exploring simulator (`program_outcomes`, on programs of at most 6 qubits whose every
//! measurement history ends within a small budget). None may panic or run without bound; a flat
//! circuit must be consistent (operands inside its registers and arenas, finite angles), and so
//! must the interpreter's events; where the flatten pass succeeds on a program that measures
//! nothing, the interpreter must apply the same gates, resets and barriers in the same order,
//! angles equal bit for bit: the two walkers of one program agree.

use std::collections::HashMap;

use eqisa_ir::circuit::{Circuit, Op};

use crate::circuit::check_circuit;
use eqisa_ir::program::exec::{Event, Exec, ExecError, ExecErrorKind, ExecLimits};
use eqisa_ir::program::flatten::{FlattenLimits, flatten};
use eqisa_ir::program::ids::VarId;
use eqisa_ir::program::stmt::{Program, VarKind};
use eqisa_ir::program::value::Value;
use eqisa_ir::unroll::{UnrollError, expand_gate};
use eqisa_qasm::Parsed;
use eqisa_statevector::circuit::OutcomeLimits;
use eqisa_statevector::program::program_outcomes;

use super::parse::includes_files;

/// Bounds of the flatten pass: far below the defaults, so that each input takes milliseconds.
const FLATTEN: FlattenLimits = FlattenLimits {
    max_ops: 1 << 16,
    max_steps: 1 << 16,
    max_call_depth: 16,
};

/// Bounds of the interpreter. Its steps count block exits too, so it gets more than the flatten
/// pass: a program that flattens runs to its end here.
const EXEC: ExecLimits = ExecLimits {
    max_steps: 1 << 18,
    max_call_depth: 16,
};

/// Most events taken from the interpreter: every op of a flat circuit within [`FLATTEN`] is at
/// most one event, plus the final `Done`.
const MAX_EVENTS: usize = (1 << 16) + 1;

/// Largest program simulated.
const SIM_QUBITS: u32 = 6;

/// Amplitudes the simulator may allocate over all its branches: 64 states of 6 qubits.
const SIM_AMPLITUDES: u64 = 1 << 12;

/// Most measurement histories, interpreter steps (over all histories) and standard-gate
/// applications (over all histories) of a program that is simulated. The simulator runs its
/// interpreter with the default limits (10^8 steps a branch), so a program is simulated only
/// when exploring every history with these bounds shows that it stays small.
const SIM_HISTORIES: usize = 64;
const SIM_STEPS: u64 = 1 << 16;
const SIM_APPLICATIONS: u64 = 1 << 16;

/// Texts given to `input` variables, one chosen per variable from the input's hash.
const INPUT_TEXTS: [&str; 12] = [
    "0", "1", "-1", "3", "0.5", "-2.25", "true", "false", "1e300", "255", "7ns", "[1, 2]",
];

/// Runs the target on `data`; panics when a property fails.
pub fn run(data: &[u8]) {
    if includes_files(data) {
        return;
    }
    let text = String::from_utf8_lossy(data);
    let Ok(Parsed::Structured(p)) = eqisa_qasm::parse_program_str(&text, "f.qasm3") else {
        return;
    };
    let mut bits = Bits::new(data);

    let s = eqisa_ir::program::stats::structure(&p);
    assert_eq!(s.subroutines, p.subroutines.len() as u64);

    // Inputs: none given (an error when the program declares any), then one value each.
    let _ = eqisa_qasm::bind(&p, &[]);
    let given: Vec<(String, String)> = p
        .vars
        .iter()
        .filter(|v| v.kind == VarKind::Input)
        .map(|v| (v.name.clone(), INPUT_TEXTS[bits.below(12)].to_string()))
        .collect();
    let inputs = eqisa_qasm::bind(&p, &given).unwrap_or_default();

    let flat = flatten(&p, &inputs, &FLATTEN);
    if let Ok(c) = &flat {
        check_circuit(c);
        let st = eqisa_ir::stats::stats(c);
        assert_eq!((st.qubits, st.clbits), (c.num_qubits, c.num_clbits));
    }

    let walk = interpret(&p, &inputs, &mut bits);
    if let Ok(c) = &flat
        && !measures(c, &c.ops)
    {
        agree(c, &walk);
    }

    if p.circuit.num_qubits <= SIM_QUBITS && small_histories(&p, &inputs) {
        let limits = OutcomeLimits {
            max_amplitudes: SIM_AMPLITUDES,
        };
        if let Ok(dist) = program_outcomes(&p, &inputs, &limits) {
            let total: f64 = dist.iter().map(|o| o.probability).sum();
            assert!(total <= 1.0 + 1e-9, "probabilities sum to {total}");
            for o in &dist {
                assert_eq!(o.bits.len(), p.circuit.num_clbits as usize);
                assert!(o.probability > 0.0 && o.probability.is_finite(), "{o:?}");
            }
        }
    }
}

/// Pseudo-random bits drawn from the input (xorshift64* seeded with its FNV-1a hash): the same
/// input gets the same measurement outcomes and input values every time.
struct Bits(u64);

impl Bits {
    fn new(data: &[u8]) -> Self {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for &b in data {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Bits(h | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }

    fn bit(&mut self) -> bool {
        self.next() >> 63 == 1
    }
}

/// Whether `ops` measure anything (in any branch).
fn measures(c: &Circuit, ops: &[Op]) -> bool {
    ops.iter().any(|op| match *op {
        Op::Measure { .. } => true,
        Op::If { block } => c
            .ifs
            .get(block as usize)
            .is_some_and(|b| measures(c, &b.then_ops) || measures(c, &b.else_ops)),
        _ => false,
    })
}

/// What the interpreter did: its events (without the final `Done`), and how it stopped.
struct Walk {
    events: Vec<Event>,
    /// `Ok(true)`: the program finished; `Ok(false)`: [`MAX_EVENTS`] were taken first.
    end: Result<bool, ExecError>,
}

/// Runs the interpreter within [`EXEC`] for at most [`MAX_EVENTS`] events, answering each
/// measurement with the next of `bits`, and checks every event against the program.
fn interpret(p: &Program, inputs: &[(VarId, Value)], bits: &mut Bits) -> Walk {
    let mut events = Vec::new();
    let mut exec = match Exec::new(p, inputs, EXEC) {
        Ok(e) => e,
        Err(e) => {
            return Walk {
                events,
                end: Err(e),
            };
        }
    };
    for _ in 0..MAX_EVENTS {
        let event = match exec.next_event() {
            Ok(Event::Done) => {
                // Reading the final state must not panic either.
                assert_eq!(exec.clbits().len(), p.circuit.num_clbits as usize);
                let _ = exec.outputs();
                return Walk {
                    events,
                    end: Ok(true),
                };
            }
            Ok(e) => e,
            Err(e) => {
                return Walk {
                    events,
                    end: Err(e),
                };
            }
        };
        check_event(p, &event);
        if matches!(event, Event::Measure { .. })
            && let Err(e) = exec.measured(bits.bit())
        {
            events.push(event);
            return Walk {
                events,
                end: Err(e),
            };
        }
        events.push(event);
    }
    Walk {
        events,
        end: Ok(false),
    }
}

/// An event the interpreter hands out must fit the program: a gate in its table applied with
/// its number of angles to its number of distinct qubits, every qubit one of the program's.
fn check_event(p: &Program, event: &Event) {
    let n = p.circuit.num_qubits;
    let qubit = |q: u32| assert!(q < n, "{event:?}: qubit {q} of {n}");
    match event {
        Event::Gate {
            gate,
            params,
            qubits,
        } => {
            let entry = p
                .circuit
                .gates
                .get(gate.0 as usize)
                .expect("gate id in the table");
            assert_eq!(params.len(), entry.num_params as usize, "{event:?}");
            assert_eq!(qubits.len(), entry.num_qubits as usize, "{event:?}");
            for (k, &q) in qubits.iter().enumerate() {
                qubit(q);
                assert!(!qubits[..k].contains(&q), "{event:?}: qubit {q} twice");
            }
        }
        Event::Measure { qubit: q } | Event::Reset { qubit: q } => qubit(*q),
        Event::Barrier { qubits } | Event::Delay { qubits, .. } => {
            qubits.iter().copied().for_each(qubit);
        }
        Event::Done => {}
    }
}

/// What both walkers say about one operation: gates (angles as bits), resets and barriers.
#[derive(Debug, PartialEq)]
enum Step {
    Gate(u32, Vec<u32>, Vec<u64>),
    Reset(u32),
    Barrier(Vec<u32>),
}

/// The steps of a flat circuit that measures nothing: its clbits stay 0, so each `if` takes the
/// branch its condition gives on zeros.
fn flat_steps(c: &Circuit, ops: &[Op], zeros: &[bool], out: &mut Vec<Step>) {
    for op in ops {
        match *op {
            Op::Gate { gate, args, params } => {
                let (qs, ps) = c.gate_operands(gate, args, params);
                out.push(Step::Gate(
                    gate.0,
                    qs.to_vec(),
                    ps.iter().map(|x| x.to_bits()).collect(),
                ));
            }
            Op::Reset { qubit } => out.push(Step::Reset(qubit)),
            Op::Barrier { args, len } => {
                out.push(Step::Barrier(c.barrier_qubits(args, len).to_vec()))
            }
            Op::If { block } => {
                let b = &c.ifs[block as usize];
                let taken = if b.cond.holds(c, zeros) {
                    &b.then_ops
                } else {
                    &b.else_ops
                };
                flat_steps(c, taken, zeros, out);
            }
            Op::Measure { .. } | Op::Delay { .. } => {}
        }
    }
}

/// The interpreter's steps, in the terms of [`flat_steps`].
fn exec_steps(events: &[Event]) -> Vec<Step> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Gate {
                gate,
                params,
                qubits,
            } => Some(Step::Gate(
                gate.0,
                qubits.clone(),
                params.iter().map(|x| x.to_bits()).collect(),
            )),
            Event::Reset { qubit } => Some(Step::Reset(*qubit)),
            Event::Barrier { qubits } => Some(Step::Barrier(qubits.clone())),
            _ => None,
        })
        .collect()
}

/// A program whose flat circuit (checked by [`check_circuit`]) measures nothing: the interpreter
/// must run it to its end, measuring nothing, with the same steps.
fn agree(c: &Circuit, walk: &Walk) {
    match &walk.end {
        Ok(true) => {}
        // The two walkers count steps and calls differently; at the edge of the limits only
        // one may finish.
        Err(ExecError {
            kind: ExecErrorKind::StepLimit { .. } | ExecErrorKind::CallDepth(_),
            ..
        }) => return,
        Ok(false) => panic!(
            "the flat circuit has {} ops; the interpreter did not finish",
            c.ops.len()
        ),
        Err(e) => panic!("the program flattens, but the interpreter fails: {e}"),
    }
    assert!(
        !walk
            .events
            .iter()
            .any(|e| matches!(e, Event::Measure { .. })),
        "the interpreter measures; the flat circuit does not"
    );
    let mut flat = Vec::new();
    flat_steps(c, &c.ops, &vec![false; c.num_clbits as usize], &mut flat);
    let exec = exec_steps(&walk.events);
    if let Some(k) = (0..flat.len().max(exec.len())).find(|&k| flat.get(k) != exec.get(k)) {
        panic!(
            "flatten and the interpreter differ at step {k} (of {} and {}): flat {:?}, interpreter {:?}",
            flat.len(),
            exec.len(),
            flat.get(k),
            exec.get(k)
        );
    }
}

/// Whether following every measurement (and reset) outcome of `p`, as the simulator does, ends
/// within [`SIM_HISTORIES`] histories, [`SIM_STEPS`] interpreter steps and
/// [`SIM_APPLICATIONS`] standard-gate applications over all of them. The simulator follows
/// only outcomes of non-zero probability, so it does no more than this.
fn small_histories(p: &Program, inputs: &[(VarId, Value)]) -> bool {
    let limits = ExecLimits {
        max_steps: SIM_STEPS,
        max_call_depth: EXEC.max_call_depth,
    };
    let Ok(exec) = Exec::new(p, inputs, limits) else {
        // The simulator stops at once too.
        return true;
    };
    let mut stack = vec![(exec, 0u64)];
    let (mut histories, mut steps, mut applications) = (1usize, 0u64, 0u64);
    let mut sizes: HashMap<u32, u64> = HashMap::new();
    while let Some((mut exec, mut counted)) = stack.pop() {
        loop {
            let event = match exec.next_event() {
                Ok(e) => e,
                Err(ExecError {
                    kind: ExecErrorKind::StepLimit { .. } | ExecErrorKind::CallDepth(_),
                    ..
                }) => return false,
                // The simulator stops here with the same error.
                Err(_) => break,
            };
            steps += exec.steps().saturating_sub(counted);
            counted = exec.steps();
            if steps > SIM_STEPS {
                return false;
            }
            match event {
                Event::Gate {
                    gate,
                    ref params,
                    ref qubits,
                } => {
                    let size = match sizes.get(&gate.0) {
                        Some(&n) => n,
                        None => match expansion(p, gate, params, qubits) {
                            Some((n, true)) => *sizes.entry(gate.0).or_insert(n),
                            Some((n, false)) => n,
                            None => return false,
                        },
                    };
                    applications += size;
                    if applications > SIM_APPLICATIONS {
                        return false;
                    }
                }
                Event::Measure { .. } | Event::Reset { .. } => {
                    histories += 1;
                    if histories > SIM_HISTORIES {
                        return false;
                    }
                    let mut other = exec.clone();
                    let measure = matches!(event, Event::Measure { .. });
                    if !measure || other.measured(true).is_ok() {
                        stack.push((other, counted));
                    }
                    if measure && exec.measured(false).is_err() {
                        break;
                    }
                }
                Event::Barrier { .. } | Event::Delay { .. } => {}
                Event::Done => break,
            }
        }
    }
    true
}

/// How many standard-gate applications one application of `gate` expands to, at most
/// [`SIM_APPLICATIONS`] (`None` beyond), and whether that count holds for every application
/// (an expansion that stopped on an error, a non-finite angle, may go further with other angles).
fn expansion(
    p: &Program,
    gate: eqisa_ir::circuit::GateId,
    params: &[f64],
    qubits: &[u32],
) -> Option<(u64, bool)> {
    let mut n = 0u64;
    let r = expand_gate(&p.circuit, gate, params, qubits, &mut |_| {
        n += 1;
        if n > SIM_APPLICATIONS {
            return Err(UnrollError::TooLarge {
                gate: String::new(),
                limit: SIM_APPLICATIONS,
            });
        }
        Ok(())
    });
    match r {
        Ok(()) => Some((n, true)),
        Err(_) if n > SIM_APPLICATIONS => None,
        // The simulator stops at this gate with the error.
        Err(_) => Some((n + 1, false)),
    }
}
