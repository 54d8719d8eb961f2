"""Expected results of the OpenQASM 3 reference programs in tests/qasm3/, written to
tests/qasm3/expected.json.

Run (from the repository root) with a Python that has Qiskit, its OpenQASM 3 importer and Aer;
the versions are the ones ../shared/tools/peer-bench pins, plus qiskit-aer:
    python3 -m venv /work/venv14
    /work/venv14/bin/pip install 'qiskit==2.6.1' 'qiskit-qasm3-import==0.6.0' 'qiskit-aer==0.18.2'
    /work/venv14/bin/python scripts/qasm3-references.py > tests/qasm3/expected.json

How each expectation is made:
  * Every program is given to `qiskit.qasm3.loads`. Where Qiskit loads it ("source": "qiskit"),
    the circuit (its float inputs bound to "inputs") is simulated exactly by `walk` below: gates
    through `qiskit.quantum_info.Operator`, every measurement and reset branched on with both
    outcomes (branches below 1e-12 dropped), Qiskit's control flow (if/else, for, while,
    break, continue, box) followed per branch. The walk is checked against Qiskit itself:
    `Statevector` for static circuits without control flow, and a seeded Aer run of 40,000
    shots for dynamic ones (every probability within 0.015 of the exact one).
  * Where Qiskit cannot load a program ("source": "hand"), the expectation is worked out from the
    OpenQASM 3 specification: HAND below gives, per program, a one-line derivation and either an
    equivalent circuit built by hand with the classical part already evaluated (simulated the
    same way) or the distribution written out.

Schema of expected.json (one object):
  "schema": 1, "tools": {package: version}, "programs": {file name: entry}, where an entry has
    "checks":        the program's leading comment (what it checks)
    "qiskit_loads":  whether qiskit.qasm3.loads accepts the file
    "qiskit_error":  Qiskit's error, first line (only when it does not load)
    "source":        "qiskit" or "hand" (see above)
    "derivation":    one line (hand only)
    "inputs":        {name: value} given to the program's input parameters (when it has any)
    "num_qubits", "num_clbits": of the program (clbits in declaration order of the global bit
                     registers, each register's bit 0 first)
    "count_ops":     Qiskit's count_ops() of the top-level circuit (qiskit only)
    "kind":          "static" (no measurement or reset before the final measurements, no
                     real-time control flow) or "dynamic"
    "statevector":   static only: the final state with final measurements removed, as
                     [[re, im], ...] with qubit 0 least significant, global phase included
    "distribution":  when the program has clbits: {bit string: probability}, highest clbit
                     first (Qiskit's counts order), probabilities above 1e-12 only; exact but
                     for the branches dropped below 1e-12 (an unbounded while loses ~2e-12):
                     compare with a tolerance of 1e-9
    "outputs":       hand only, for programs with `output` variables: their final values
                     (integers as numbers, bit registers as bit strings, highest bit first)
    "aer_max_deviation": qiskit dynamic only: largest |Aer frequency - exact probability|
"""
import json
import math
import os
import sys
import warnings

warnings.filterwarnings("ignore")
import numpy as np  # noqa: E402
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, qasm3  # noqa: E402
from qiskit import transpile  # noqa: E402
from qiskit.circuit import CASE_DEFAULT, Clbit  # noqa: E402
from qiskit.circuit.classical import expr  # noqa: E402
from qiskit.quantum_info import Operator, Statevector  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(HERE, "..", "tests", "qasm3")
FLOOR = 1e-12
PI = math.pi

# ---------------------------------------------------------------------------------------------
# Exact branching simulation of a Qiskit circuit.


class Branch:
    """One measurement history: its normalised state, classical bits, probability, and a
    pending break or continue."""

    def __init__(self, state, bits, p):
        self.state, self.bits, self.p, self.signal = state, bits, p, None

    def clone(self):
        return Branch(self.state.copy(), list(self.bits), self.p)


class Walk:
    def __init__(self, n):
        self.n = n
        self.events = 0  # measurements and resets met

    def collapse(self, b, q):
        """The branches of `b` after measuring qubit q, each with its outcome."""
        mask = 1 << q
        idx = np.arange(len(b.state))
        ones = (idx & mask) != 0
        p1 = float(np.sum(np.abs(b.state[ones]) ** 2))
        out = []
        for o, p in ((False, 1.0 - p1), (True, p1)):
            if p <= FLOOR or b.p * p <= FLOOR:
                continue
            nb = b.clone()
            nb.state[ones != o] = 0
            nb.state /= math.sqrt(p)
            nb.p *= p
            out.append((o, nb))
        return out

    def value(self, target, cmap, bits):
        if isinstance(target, Clbit):
            return bool(bits[cmap[target]])
        if isinstance(target, ClassicalRegister):
            return sum(int(bits[cmap[c]]) << i for i, c in enumerate(target))
        if isinstance(target, expr.Expr):
            return self.expr(target, cmap, bits)
        raise TypeError(f"unknown classical target {target!r}")

    def expr(self, e, cmap, bits):
        if isinstance(e, expr.Var):
            return self.value(e.var, cmap, bits)
        if isinstance(e, expr.Value):
            return e.value
        if isinstance(e, expr.Cast):
            v = self.expr(e.operand, cmap, bits)
            return bool(v) if e.type.kind is expr.types.Bool else int(v)
        if isinstance(e, expr.Unary):
            v = self.expr(e.operand, cmap, bits)
            if e.op is expr.Unary.Op.LOGIC_NOT:
                return not v
            if e.op is expr.Unary.Op.BIT_NOT:
                return (not v) if isinstance(v, bool) else (~v) & ((1 << e.type.width) - 1)
        if isinstance(e, expr.Binary):
            a, b = self.expr(e.left, cmap, bits), self.expr(e.right, cmap, bits)
            ops = {
                "EQUAL": lambda: a == b, "NOT_EQUAL": lambda: a != b, "LESS": lambda: a < b,
                "LESS_EQUAL": lambda: a <= b, "GREATER": lambda: a > b,
                "GREATER_EQUAL": lambda: a >= b, "LOGIC_AND": lambda: bool(a) and bool(b),
                "LOGIC_OR": lambda: bool(a) or bool(b), "BIT_AND": lambda: a & b,
                "BIT_OR": lambda: a | b, "BIT_XOR": lambda: a ^ b,
            }
            return ops[e.op.name]()
        raise TypeError(f"unsupported classical expression {e!r}")

    def cond(self, c, cmap, bits):
        if isinstance(c, tuple):
            return self.value(c[0], cmap, bits) == c[1]
        return bool(self.expr(c, cmap, bits))

    def block(self, circ, qmap, cmap, branches):
        """Run `circ` (its bits mapped to global indices by qmap/cmap) on every branch."""
        if circ.global_phase:
            for b in branches:
                b.state *= np.exp(1j * float(circ.global_phase))
        for inst in circ.data:
            out = []
            for b in branches:
                if b.signal is not None:
                    out.append(b)
                else:
                    out.extend(self.step(inst, qmap, cmap, b))
            branches = out
        return branches

    def inner(self, inst, body, qmap, cmap):
        """The bit maps of a control-flow body: its bits stand for the instruction's bits."""
        return ({bq: qmap[q] for bq, q in zip(body.qubits, inst.qubits)},
                {bc: cmap[c] for bc, c in zip(body.clbits, inst.clbits)})

    def loop_round(self, out, running, finished):
        for x in out:
            if x.signal == "break":
                x.signal = None
                finished.append(x)
            else:
                x.signal = None
                running.append(x)

    def step(self, inst, qmap, cmap, b):
        op = inst.operation
        name = op.name
        qs = [qmap[q] for q in inst.qubits]
        if name in ("barrier", "delay"):
            return [b]
        if name == "measure":
            self.events += 1
            out = []
            for o, nb in self.collapse(b, qs[0]):
                nb.bits[cmap[inst.clbits[0]]] = o
                out.append(nb)
            return out
        if name == "reset":
            self.events += 1
            out = []
            for o, nb in self.collapse(b, qs[0]):
                if o:
                    nb.state = Statevector(nb.state).evolve(Operator.from_label("X"), [qs[0]]).data
                out.append(nb)
            return out
        if name == "break_loop":
            b.signal = "break"
            return [b]
        if name == "continue_loop":
            b.signal = "continue"
            return [b]
        if name == "if_else":
            true_body, false_body = op.blocks[0], (op.blocks[1] if len(op.blocks) > 1 else None)
            body = true_body if self.cond(op.condition, cmap, b.bits) else false_body
            if body is None:
                return [b]
            return self.block(body, *self.inner(inst, body, qmap, cmap), [b])
        if name == "box":
            body = op.blocks[0]
            return self.block(body, *self.inner(inst, body, qmap, cmap), [b])
        if name == "switch_case":
            v = self.value(op.target, cmap, b.bits)
            for values, body in op.cases_specifier():
                if v in values or CASE_DEFAULT in values:
                    return self.block(body, *self.inner(inst, body, qmap, cmap), [b])
            return [b]
        if name == "for_loop":
            indexset, param, body = op.params
            running, finished = [b], []
            for v in indexset:
                if not running:
                    break
                bound = body.assign_parameters({param: v}) if param is not None else body
                out = self.block(bound, *self.inner(inst, bound, qmap, cmap), running)
                running = []
                self.loop_round(out, running, finished)
            return finished + running
        if name == "while_loop":
            body = op.blocks[0]
            running, finished = [b], []
            for _ in range(10_000):
                if not running:
                    break
                go = []
                for x in running:
                    (go if self.cond(op.condition, cmap, x.bits) else finished).append(x)
                out = self.block(body, *self.inner(inst, body, qmap, cmap), go)
                running = []
                self.loop_round(out, running, finished)
            else:
                raise RuntimeError("while loop did not settle")
            return finished
        # A gate: its matrix as Qiskit defines it.
        b.state = Statevector(b.state).evolve(Operator(op), qs).data
        return [b]


def simulate(qc):
    """(leaves, whether a measurement or reset was met) of `qc` from |0...0>."""
    w = Walk(qc.num_qubits)
    state = np.zeros(2 ** qc.num_qubits, dtype=complex)
    state[0] = 1
    qmap = {q: i for i, q in enumerate(qc.qubits)}
    cmap = {c: i for i, c in enumerate(qc.clbits)}
    leaves = w.block(qc, qmap, cmap, [Branch(state, [False] * qc.num_clbits, 1.0)])
    return leaves, w.events


def distribution(leaves):
    d = {}
    for b in leaves:
        key = "".join("1" if x else "0" for x in reversed(b.bits))
        d[key] = d.get(key, 0.0) + b.p
    return {k: clean(v) for k, v in sorted(d.items()) if v > FLOOR}


def clean(x):
    x = round(float(x), 15)
    return 0.0 if x == 0 else x


def has_control_flow(qc):
    return any(i.operation.name in ("if_else", "for_loop", "while_loop", "switch_case", "box")
               for i in qc.data)


def is_dynamic(qc, nested=False):
    """Whether `qc` reads measured bits or measures or resets before its end: real-time
    branches, a reset, a measurement inside a block, or one followed by an operation on its
    qubit. (Qiskit's remove_final_measurements removes a measurement whose qubit is idle
    afterwards even when a later condition reads its bit, so it cannot decide this.)"""
    done = set()
    for inst in qc.data:
        name = inst.operation.name
        if name in ("if_else", "while_loop", "switch_case", "reset"):
            return True
        if name == "measure":
            if nested:
                return True
            done.add(inst.qubits[0])
        elif name not in ("barrier", "delay"):
            if any(q in done for q in inst.qubits):
                return True
            if any(is_dynamic(b, nested=True) for b in getattr(inst.operation, "blocks", ())):
                return True
    return False


def describe(qc):
    """kind, statevector (static), distribution (with clbits) of `qc`, checked against Qiskit's
    own simulators: Statevector where there is no control flow, Aer where it is dynamic."""
    rec = {"num_qubits": qc.num_qubits, "num_clbits": qc.num_clbits}
    if not is_dynamic(qc):
        bare = qc.remove_final_measurements(inplace=False)
        leaves, events = simulate(bare)
        assert events == 0 and len(leaves) == 1
        rec["kind"] = "static"
        sv = leaves[0].state
        if not has_control_flow(bare):
            ref = Statevector(bare).data
            assert np.allclose(sv, ref, atol=1e-12), "walk disagrees with Statevector"
        rec["statevector"] = [[clean(a.real), clean(a.imag)] for a in sv]
    else:
        rec["kind"] = "dynamic"
    if qc.num_clbits:
        full, _ = simulate(qc)
        rec["distribution"] = distribution(full)
        if rec["kind"] == "dynamic":
            rec["aer_max_deviation"] = aer_check(qc, rec["distribution"])
    return rec


def aer_check(qc, exact, shots=40_000):
    from qiskit_aer import AerSimulator
    sim = AerSimulator(method="statevector")
    # Counts leave out bits outside registers (`bit r;`): one more register over every clbit,
    # added last, comes first in each key.
    qc = qc.copy()
    qc.add_register(ClassicalRegister(name="every_clbit", bits=qc.clbits))
    raw = sim.run(transpile(qc, sim), shots=shots, seed_simulator=20261207).result().get_counts()
    counts = {}
    for k, v in raw.items():
        key = k.split(" ")[0]
        counts[key] = counts.get(key, 0) + v
    keys = set(counts) | set(exact)
    dev = max(abs(counts.get(k, 0) / shots - exact.get(k, 0.0)) for k in keys)
    assert dev < 0.015, f"Aer disagrees with the exact walk by {dev}"
    return round(dev, 6)


# ---------------------------------------------------------------------------------------------
# Expectations worked out by hand, for the programs Qiskit cannot load.


def circ(n, c=0):
    return QuantumCircuit(QuantumRegister(n, "q"), *([ClassicalRegister(c, "c")] if c else []))


def int_division():
    q = circ(2)
    q.rx(0 * PI + 0.5, 0)
    q.rx(0 * PI, 0)
    q.ry(0.2 * PI, 1)
    q.rz(3 * 0.25 + (-3) * 0.1 + (-1) * 0.05, 1)
    return q


def int_wrap():
    q = circ(2)
    q.ry(-7 * 0.1, 0)
    q.ry(3 * 0.2 + 7 * 0.05, 1)
    return q


def bit_int_casts():
    q = circ(4)
    for k in (0, 2, 3):
        q.x(k)
    q.h(1)
    q.rz(-6 * PI / 8, 1)
    q.p(10 * PI / 16, 1)
    q.h(3)
    return q


def angle_arith():
    q = circ(4)
    q.rx(PI / 2, 0)
    q.ry(2 * PI - PI / 2, 1)
    q.ry(3 * PI / 8, 2)
    q.rx(PI, 3)
    return q


def const_eval():
    q = circ(3)
    step = PI / 8
    for k in range(3):
        q.ry((k + 1) * step, k)
    q.rz(8 * step, 0)
    return q


def arrays_sizeof():
    q = circ(3)
    for i, k in enumerate((1, 4, 3)):
        q.rx(k * PI / 8, i)
    for j, t in enumerate((0.4, 0.5, 0.6)):
        q.rz(t, j)
    q.ry(2 * 0.25, 0)
    return q


def if_else_static():
    q = circ(2)
    q.x(0)
    q.h(1)
    return q


def for_ranges():
    q = circ(3)
    for i in range(3):
        q.ry(PI / 8, i)
    for i in (4, 2, 0):
        q.rz(i * 0.1, 0)
    for i in (2, 1):
        q.x(i)
    for i in (0, 2):
        q.h(i)
    return q


def for_sets_arrays():
    q = circ(4)
    q.ry(14 * 0.1, 0)
    for t in (0.3, 0.5, 0.7):
        q.ry(t, 1)
    q.h(3)
    q.rx(PI / 2 + 1, 2)
    q.rx(PI / 2 + 2, 2)
    return q


def while_static():
    q = circ(2)
    for _ in range(3):
        q.rx(PI / 4, 0)
    q.ry(3 * 0.2, 1)
    return q


def switch_static():
    q = circ(3)
    q.x(1)
    q.h(2)
    return q


def break_continue():
    q = circ(3)
    for i in (0, 2, 3):
        q.rx(0.1 * (i + 1), 0)
    for _ in range(6):
        q.ry(0.2, 1)
    q.rz(3 * 0.5, 1)
    q.h(2)
    return q


def end_statement():
    q = circ(3)
    q.x(0)
    q.h(1)
    q.h(1)
    return q


def box_timing():
    q = circ(2)
    q.h(0)
    q.cx(0, 1)
    q.rz(PI / 4, 1)
    return q


def durationof():
    q = circ(2)
    q.h(0)
    return q


def subroutines():
    q = circ(3)
    q.rx(0.2, 0)
    q.ry(2 * 0.2 + 0.1, 1)
    for _ in range(3):
        q.cx(1, 2)
        q.h(1)
    return q


def inputs():
    q = circ(2)
    q.rx(0.3, 0)
    q.rz(0.6, 0)
    q.ry(0.3, 1)
    q.ry(0.3, 1)
    return q


def outputs():
    q = QuantumCircuit(QuantumRegister(2, "q"), ClassicalRegister(2, "res"))
    q.x(1)
    q.measure([0, 1], [0, 1])
    return q


def pragmas_annotations():
    q = circ(2)
    q.h(0)
    q.cx(0, 1)
    return q


def switch_measured():
    # c = clbits 0..1, r = clbit 2; the switch on uint[2](c) as one if per value of c.
    q = QuantumCircuit(QuantumRegister(3, "q"), c := ClassicalRegister(2, "c"),
                       r := ClassicalRegister(1, "r"))
    q.h(0)
    q.ry(2 * PI / 3, 1)
    q.measure([0, 1], c)
    with q.if_test((c, 1)):
        q.x(2)
    with q.if_test((c, 2)):
        q.h(2)
    with q.if_test((c, 3)):
        q.h(2)
    q.measure(2, r[0])
    return q


HAND = {
    "int_division.qasm": (
        "a = 1/5 = 0, b = 7/2 = 3, n = -7/2 = -3, m = -7 % 3 = -1 (C99 truncation), f = 0.2: "
        "rx(0.5) rx(0) q0; ry(0.2*pi) rz(0.75 - 0.3 - 0.05) q1", int_division, None),
    "int_wrap.qasm": (
        "int[4] 9 wraps to -7; uint[3] 11 mod 8 = 3; uint[3] 0 - 1 = 7: ry(-0.7) q0; "
        "ry(3*0.2 + 7*0.05) q1", int_wrap, None),
    "bit_int_casts.qasm": (
        "b = \"1010\" is 10 (b[1], b[3] set): int[4] -6, uint[4] 10; c = bit[4](13) sets c[0], "
        "c[2], c[3]: x q0 q2 q3; h rz(-6pi/8) p(10pi/16) q1; bool(b) true: h q3", bit_int_casts,
        None),
    "angle_arith.qasm": (
        "angle[8]: 192 + 128 = 320 = 64 mod 256 -> pi/2; -pi -> pi; angle -pi/2 -> 3pi/2; "
        "angle[4] pi/3 = 2.67 steps of pi/8 -> 3pi/8: rx(pi/2) q0; ry(3pi/2) q1; ry(3pi/8) q2; "
        "rx(pi) q3", angle_arith, None),
    "const_eval.qasm": (
        "n = 3, m = 8, step = pi/8, w = 8: ry((k+1)pi/8) q[k] for k = 0..2; rz(pi) q0",
        const_eval, None),
    "arrays_sizeof.qasm": (
        "k = {1, 4, 3} after k[1] = k[0] + k[2]; rx(k[i]pi/8) q[i]; rz(t[1][j]) = rz(0.4, 0.5, "
        "0.6) q[j]; sizeof(t) = 2: ry(0.5) q0", arrays_sizeof, None),
    "if_else_static.qasm": ("k = 3: flag true -> x q0; k odd and k == 3 -> h q1", if_else_static,
                            None),
    "for_ranges.qasm": (
        "[0:2] = 0,1,2; [4:-2:0] = 4,2,0; [2:-1:1] = 2,1; [0:2:3] = 0,2; [1:0] empty",
        for_ranges, None),
    "for_sets_arrays.qasm": (
        "acc = ((0*2+3)*2+0)*2+2 = 14: ry(1.4) q0; ry(0.3) ry(0.5) ry(0.7) q1, j = 3: h q3; "
        "pattern \"110\" in index order 0,1,1: rx(pi/2+1) rx(pi/2+2) q2", for_sets_arrays, None),
    "while_static.qasm": ("three rx(pi/4) q0, i = 3; second loop never runs; ry(0.6) q1",
                          while_static, None),
    "switch_static.qasm": ("k = 2 matches case 1, 2: x q1; k + 5 = 7 falls to default: h q2",
                           switch_static, None),
    "break_continue.qasm": (
        "i = 0, 2, 3 run (1 continues, 4 breaks): rx(0.1) rx(0.3) rx(0.4) q0; inner loop runs "
        "j = 0, 1 in each of n = 1..3: six ry(0.2) q1, then rz(1.5) q1; h q2", break_continue,
        None),
    "end_statement.qasm": ("x q0; h q1 for i = 0 and i = 1, then end: q1 back to |0>; x q2 never "
                           "runs", end_statement, None),
    "box_timing.qasm": ("boxes and delays are identities: h q0; cx q0, q1; rz(pi/4) q1",
                        box_timing, None),
    "durationof.qasm": ("durationof does not run its block (200ns, timing only): only h q0",
                        durationof, None),
    "subroutines.qasm": (
        "turn: rx(0.2) q0, returns 2*0.2 + 0.1 = 0.5: ry(0.5) q1; spread on q1, q2 with k = 3: "
        "three rounds of cx q1, q2; h q1", subroutines, None),
    "inputs.qasm": ("theta = 0.3, k = 2: rx(0.3) rz(0.6) q0; two ry(0.3) q1", inputs, None),
    "outputs.qasm": ("total = 1+2+3+4 = 10; x q1; res = measure q = \"10\"", outputs, None),
    "pragmas_annotations.qasm": ("pragma and annotations ignored: h q0; cx q0, q1",
                                 pragmas_annotations, None),
    "rus_while.qasm": (
        "each round ends the loop with probability 1/2 and the loop only ends with c = 1; "
        "the rounds past 40 weigh under 1e-12", None,
        {"num_qubits": 1, "num_clbits": 1, "distribution": {"1": 1.0}}),
    "rus_count.qasm": (
        "clbits ok, tries[0], tries[1]: n = 1 ok (1/2) -> 011; n = 2 ok (1/4) -> 101; n = 3 ok "
        "(1/8) -> 111; n = 3 failed (1/8) -> 110", None,
        {"num_qubits": 1, "num_clbits": 3,
         "distribution": {"011": 0.5, "101": 0.25, "110": 0.125, "111": 0.125}}),
    "switch_measured.qasm": (
        "c[0] = 1 w.p. 1/2, c[1] = 1 w.p. sin^2(pi/3) = 3/4; case 0: r = 0; case 1: x -> r = 1; "
        "cases 2, 3: h -> r uniform", switch_measured, None),
    "subroutine_measured.qasm": (
        "coin measures |+>: flip uniform; r copies flip through x on q1; clbits flip, r", None,
        {"num_qubits": 2, "num_clbits": 2, "distribution": {"00": 0.5, "11": 0.5}}),
    "arith_measured.qasm": (
        "m uniform over 8 patterns; out[0] = (ones >= 2) via x q3 and its measurement, "
        "out[1] = ones odd; clbits m[0..2], out[0..1]", None,
        {"num_qubits": 4, "num_clbits": 5,
         "distribution": {"00000": 0.125, "10001": 0.125, "10010": 0.125, "10100": 0.125,
                          "01011": 0.125, "01101": 0.125, "01110": 0.125, "11111": 0.125}}),
}

INPUTS = {
    "inputs.qasm": {"theta": 0.3, "k": 2},
    "inputs_float_only.qasm": {"theta": 0.3},
}

OUTPUTS = {
    "outputs.qasm": {"total": 10, "res": "10"},
}


def checks(src):
    lines = []
    for line in src.splitlines():
        if not line.startswith("//") or line.startswith("// Expected:"):
            break
        lines.append(line[2:].strip())
    return " ".join(lines).removeprefix("Checks: ")


def main():
    import importlib.metadata as md
    tools = {p: md.version(p) for p in ("qiskit", "qiskit-qasm3-import", "qiskit-aer", "numpy")}
    programs = {}
    names = sorted(f for f in os.listdir(PROGRAMS) if f.endswith(".qasm"))
    for name in names:
        src = open(os.path.join(PROGRAMS, name)).read()
        rec = {"checks": checks(src)}
        if name in INPUTS:
            rec["inputs"] = INPUTS[name]
        try:
            qc = qasm3.loads(src)
            rec["qiskit_loads"] = True
        except Exception as e:  # Qiskit's importer refuses most of the classical language
            qc = None
            rec["qiskit_loads"] = False
            rec["qiskit_error"] = (str(e).splitlines() or [type(e).__name__])[0]
        if qc is not None:
            if qc.parameters:
                values = INPUTS[name]
                qc = qc.assign_parameters({p: values[p.name] for p in qc.parameters})
            rec["source"] = "qiskit"
            rec["count_ops"] = dict(sorted(qc.count_ops().items()))
            rec.update(describe(qc))
            if name in HAND:
                raise SystemExit(f"{name}: Qiskit loads it now; drop its hand expectation")
        else:
            if name not in HAND:
                raise SystemExit(f"{name}: Qiskit cannot load it and it has no hand expectation")
            derivation, build, given = HAND[name]
            rec["source"] = "hand"
            rec["derivation"] = derivation
            if build is not None:
                rec.update(describe(build()))
            else:
                rec["kind"] = "dynamic"
                rec.update(given)
                assert abs(sum(given["distribution"].values()) - 1) < 1e-12, name
        if name in OUTPUTS:
            rec["outputs"] = OUTPUTS[name]
        programs[name] = rec
    for name in HAND:
        if name not in programs:
            raise SystemExit(f"{name}: hand expectation without a program")
    json.dump({"schema": 1, "tools": tools, "programs": programs}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
