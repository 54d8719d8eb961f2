"""Bad input gives exceptions that name the place, never a crash of the interpreter."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import eqisa
from conftest import EXAMPLES


def test_wrong_types():
    with pytest.raises(TypeError, match="QuantumCircuit"):
        eqisa.assemble(42)
    with pytest.raises(TypeError, match="not bytes"):
        eqisa.assemble(b"OPENQASM 2.0;")
    with pytest.raises(TypeError, match="decode takes"):
        eqisa.decode(3.5)
    with pytest.raises(TypeError, match="codebook"):
        eqisa.assemble(EXAMPLES / "bell.qasm", codebook=7)
    with pytest.raises(eqisa.OptionsError, match="target"):
        eqisa.assemble(EXAMPLES / "bell.qasm", target="ibm")
    with pytest.raises(eqisa.OptionsError, match="fidelity"):
        eqisa.assemble(EXAMPLES / "bell.qasm", fidelity=1.5)
    with pytest.raises(eqisa.OptionsError, match="empty"):
        eqisa.assemble([])
    with pytest.raises(eqisa.OptionsError, match="repeat_window"):
        eqisa.assemble(EXAMPLES / "bell.qasm", repeat_window=3)
    with pytest.raises(eqisa.OptionsError, match="haar"):
        eqisa.train(EXAMPLES / "bell.qasm", haar=10**9)


def test_missing_and_closed_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.qasm"):
        eqisa.assemble(tmp_path / "nothere.qasm")
    path = tmp_path / "b.eqb"
    eqisa.assemble(EXAMPLES / "bell.qasm", baselines=False).save(path)
    f = open(path, "rb")
    f.close()
    with pytest.raises(ValueError, match="closed"):
        eqisa.decode(f)
    with open(path) as text:
        with pytest.raises((TypeError, UnicodeDecodeError)):
            eqisa.decode(text)


def test_parse_errors_name_file_line_and_column(tmp_path):
    bad = tmp_path / "bad.qasm"
    bad.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncx q[0], q[5];\n')
    with pytest.raises(eqisa.ParseError, match=r"bad\.qasm:4:"):
        eqisa.assemble(bad)
    with pytest.raises(eqisa.ParseError, match=r"circuit\.qasm:3:1"):
        eqisa.assemble("OPENQASM 2.0;\nqreg q[1];\nfoo q[0];\n")
    assert issubclass(eqisa.ParseError, eqisa.EqisaError)


def test_bytes_that_are_not_a_program():
    with pytest.raises(eqisa.DecodeError, match="not an .eqb program"):
        eqisa.decode(b"hello, world")
    good = eqisa.assemble(EXAMPLES / "qft4.qasm", baselines=False).bytes()
    with pytest.raises(eqisa.DecodeError):
        eqisa.decode(good[: len(good) // 2])
    for i in range(0, len(good), 7):
        corrupt = bytearray(good)
        corrupt[i] ^= 0x10
        with pytest.raises(eqisa.DecodeError):
            eqisa.decode(bytes(corrupt))


def test_wrong_codebook(tmp_path):
    cb = eqisa.train(EXAMPLES / "bell.qasm", paper_haar=0, seed=3)
    program = eqisa.assemble(EXAMPLES / "qft4.qasm", baselines=False).bytes()
    with pytest.raises(eqisa.DecodeError, match="codebook"):
        eqisa.decode(program, codebook=cb)
    with pytest.raises(eqisa.CodebookError):
        eqisa.Codebook.from_bytes(b"not a codebook")


def test_quantum_circuits_eqisa_cannot_express():
    qiskit = pytest.importorskip("qiskit")
    from qiskit.circuit import Parameter

    qc = qiskit.QuantumCircuit(1)
    qc.rx(Parameter("theta"), 0)
    with pytest.raises(eqisa.LoweringError, match="unbound parameters \\(theta\\)"):
        eqisa.assemble(qc)
    qc = qiskit.QuantumCircuit(2, name="prep")
    qc.h(0)
    qc.append(qiskit.circuit.Instruction("blackbox", 2, 0, []), [0, 1])
    with pytest.raises(eqisa.LoweringError, match="'prep': instruction 1 \\('blackbox' on qubits \\[0, 1\\]\\)"):
        eqisa.assemble(qc)
    with pytest.raises(eqisa.OptionsError, match="pulses"):
        eqisa.assemble(EXAMPLES / "bell.qasm", pulses=True, baselines=False)


def test_ctrl_c_interrupts_a_long_call():
    # A Clifford+T lowering of a few thousand arbitrary rotations: seconds of work.
    lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', "qreg q[8];"]
    for i in range(800):
        lines += [f"ry({0.37 * (i + 1) % 3.1}) q[{i % 8}];", f"cx q[{i % 8}],q[{(i + 1) % 8}];"]
    text = "\n".join(lines) + "\n"
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        eqisa.assemble(text, target="clifford+t", paper=False)
    assert time.monotonic() - start < 5.0
    timer.cancel()


def test_the_gil_is_released_during_a_call():
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.005)

    t = threading.Thread(target=tick)
    t.start()
    try:
        eqisa.assemble(EXAMPLES / "adder4.qasm")
    finally:
        stop.set()
        t.join()
    assert len(ticks) >= 2
