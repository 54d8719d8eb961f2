"""`eqisa.decode`: programs come back as the CLI decodes them."""

from __future__ import annotations

import numpy as np
import pytest

import eqisa
from conftest import EXAMPLES, PROGRAMS


@pytest.mark.parametrize("name", ["bell.qasm", "qft4.qasm", "adder4.qasm", "teleport.qasm3", "ghz4.qasm3"])
def test_round_trip_matches_the_cli(name, run_cli, tmp_path):
    a = eqisa.assemble(EXAMPLES / name, baselines=False)
    eqb = tmp_path / "p.eqb"
    a.save(eqb)
    p = eqisa.decode(a.bytes())
    summary = run_cli("decode", eqb, "--json")
    assert len(p) == summary["native_ops"] == a.native_ops
    assert (p.num_qubits, p.num_clbits) == (summary["qubits"], summary["clbits"])
    assert p.duration_ns == summary["duration_ns"]
    counts: dict[str, int] = {}
    for op in p:
        counts[op.name] = counts.get(op.name, 0) + 1
    assert counts == summary["ops"]
    qasm = tmp_path / "p.qasm"
    run_cli("decode", eqb, "-o", qasm)
    assert p.to_qasm() == qasm.read_text()
    # Operations are timed, in order of their start on each qubit.
    last: dict[int, float] = {}
    for op in p:
        for q in op.qubits:
            assert op.start_ns >= last.get(q, 0.0) - 1e-9
            last[q] = op.start_ns + op.duration_ns
    # Decoding from a path or a file gives the same program, named by the file's stem.
    assert list(eqisa.decode(eqb)) == list(p)
    assert eqisa.decode(eqb).name == "p" and p.name == "program"
    with open(eqb, "rb") as f:
        assert len(eqisa.decode(f)) == len(p)


def test_arrays_hold_the_ops():
    p = eqisa.decode(eqisa.assemble(EXAMPLES / "teleport.qasm3", baselines=False))
    a = p.to_arrays()
    assert len(a["name"]) == len(p)
    for i, op in enumerate(p):
        assert a["names"][a["name"][i]] == op.name
        assert (a["start_ns"][i], a["duration_ns"][i]) == (op.start_ns, op.duration_ns)
        assert a["num_qubits"][i] == len(op.qubits)
        assert a["qubit0"][i] == (op.qubits[0] if op.qubits else -1)
        assert a["qubit1"][i] == (op.qubits[1] if len(op.qubits) > 1 else -1)
        assert a["clbit"][i] == (op.clbits[0] if op.clbits else -1)
        assert (a["condition"][i] >= 0) == (op.condition is not None)
        if op.params:
            assert a["param"][i] == op.params[0]
        else:
            assert np.isnan(a["param"][i])


def test_indexing_and_slices():
    p = eqisa.decode(eqisa.assemble(EXAMPLES / "qft4.qasm", baselines=False))
    ops = list(p)
    assert p[0] == ops[0] and p[-1] == ops[-1]
    assert p[3:9] == ops[3:9] and p[::7] == ops[::7]
    with pytest.raises(IndexError):
        p[len(p)]
    with pytest.raises(TypeError):
        p["x"]


def test_loops_are_run_out(run_cli, tmp_path):
    path = PROGRAMS / "syndrome_rounds.qasm3"
    a = eqisa.assemble(path, baselines=False)
    a.save(tmp_path / "s.eqb")
    p = eqisa.decode(a.bytes())
    assert p.has_loops
    assert len(p) == run_cli("decode", tmp_path / "s.eqb", "--json")["native_ops"]
    assert len(list(p)) == len(p)
    assert "for " in p.to_qasm()


def test_jobs_decode_to_their_circuits(run_cli, tmp_path):
    files = [EXAMPLES / "bell.qasm", EXAMPLES / "qft4.qasm"]
    job = eqisa.decode(eqisa.assemble(files, baselines=False).bytes())
    assert isinstance(job, eqisa.Job)
    assert job.names == ["bell", "qft4"]
    for f, p in zip(files, job):
        alone = eqisa.decode(eqisa.assemble(f, baselines=False).bytes())
        assert list(p) == list(alone)
        assert p.to_qasm() == alone.to_qasm()


def test_samples_equal_the_cli(run_cli, tmp_path):
    a = eqisa.assemble(EXAMPLES / "bell.qasm", pulses=True, paper=False)
    eqb = tmp_path / "b.eqb"
    a.save(eqb)
    npy = tmp_path / "b.npy"
    summary = run_cli("decode", eqb, "--samples", npy, "--json")
    samples, channels = eqisa.decode(eqb).samples(with_channels=True)
    expected = np.load(npy)
    assert samples.dtype == np.int16 and samples.shape == expected.shape
    assert np.array_equal(samples, expected)
    assert channels == summary["pulses"]["channels"]
    assert int(np.count_nonzero(samples.any(axis=2))) == summary["pulses"]["samples"]


def test_samples_without_pulse_section():
    p = eqisa.decode(eqisa.assemble(EXAMPLES / "bell.qasm", baselines=False))
    with pytest.raises(eqisa.DecodeError, match="no pulse section"):
        p.samples()


def test_to_circuit_is_the_same_unitary():
    qiskit = pytest.importorskip("qiskit")
    from qiskit.quantum_info import Operator

    text = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\nh q[0];\ncx q[0],q[1];\nt q[1];\nccx q[0],q[1],q[2];\nry(0.25) q[2];\n'
    source = qiskit.QuantumCircuit.from_qasm_str(text)
    a = eqisa.assemble(text, fidelity=1.0)
    back = eqisa.decode(a.bytes()).to_circuit()
    assert isinstance(back, qiskit.QuantumCircuit)
    assert Operator(back).equiv(Operator(source))


def test_to_circuit_keeps_conditions():
    pytest.importorskip("qiskit")
    p = eqisa.decode(eqisa.assemble(EXAMPLES / "teleport.qasm3", baselines=False))
    qc = p.to_circuit()
    assert "if_else" in qc.count_ops()
    assert qc.count_ops().get("measure", 0) == sum(op.name == "measure" for op in p)
