"""`eqisa.assemble`: the bytes are the CLI's, whatever form the circuit comes in."""

from __future__ import annotations


import pytest

import eqisa
from conftest import EXAMPLES, PROGRAMS

qiskit = pytest.importorskip("qiskit")


def cli_bytes(run_cli, tmp_path, *args) -> bytes:
    out = tmp_path / "cli.eqb"
    run_cli("assemble", *args, "-o", out)
    return out.read_bytes()


@pytest.mark.parametrize("name", ["bell.qasm", "qft4.qasm", "adder4.qasm", "teleport.qasm3", "ghz4.qasm3", "modifiers.qasm3"])
def test_path_and_text_give_the_cli_bytes_and_bits(name, run_cli, tmp_path):
    path = EXAMPLES / name
    a = eqisa.assemble(path)
    assert a.bytes() == cli_bytes(run_cli, tmp_path, path)
    report = run_cli("assemble", path, "--json")
    assert a.bits == report["bits"]
    assert a.native_ops == report["native_ops"]
    assert a.fidelity_bound == report["fidelity_bound"]
    assert a.circuits == 1
    # The same program as text (includes resolve against the working directory, and the
    # examples include only the standard libraries).
    assert eqisa.assemble(path.read_text()).bytes() == a.bytes()


def test_stim_text_and_path(run_cli, tmp_path):
    path = PROGRAMS / "pauli_products.stim"
    a = eqisa.assemble(str(path))
    assert a.bytes() == cli_bytes(run_cli, tmp_path, path)
    assert eqisa.assemble(path.read_text()).bytes() == a.bytes()
    assert a.bits["stim_text_xz"] == run_cli("assemble", path, "--json")["bits"]["stim_text_xz"]


def test_options_reach_the_pipeline(run_cli, tmp_path):
    path = EXAMPLES / "qft4.qasm"
    a = eqisa.assemble(path, target="clifford+t", fidelity=0.99, paper=False)
    assert a.bytes() == cli_bytes(run_cli, tmp_path, path, "--target", "clifford+t", "--fidelity", "0.99", "--no-paper")
    assert a.bits["paper_huffman"] is None
    assert a.fidelity_bound >= 0.99
    ecr = eqisa.assemble(path, two_qubit="ecr", baselines=False)
    assert ecr.bytes() == cli_bytes(run_cli, tmp_path, path, "--two-qubit", "ecr", "--no-baselines")
    assert ecr.bits["xz"] is None


def test_pulses(run_cli, tmp_path):
    path = EXAMPLES / "bell.qasm"
    a = eqisa.assemble(path, pulses=True)
    assert a.bytes() == cli_bytes(run_cli, tmp_path, path, "--pulses")
    assert a.report["pulses"]["pulse_bits"]["eqisa"] > 0


def test_jobs(run_cli, tmp_path):
    files = [EXAMPLES / "bell.qasm", EXAMPLES / "qft4.qasm", EXAMPLES / "teleport.qasm3"]
    a = eqisa.assemble(files)
    assert a.circuits == 3
    assert a.bytes() == cli_bytes(run_cli, tmp_path, *files)
    assert a.report["alone_bits"] > a.bits["eqisa"]
    # A directory is a job of its circuits in name order, as on the command line.
    assert eqisa.assemble(EXAMPLES).bytes() == cli_bytes(run_cli, tmp_path, EXAMPLES)
    # Circuits held in memory are named by their circuits' names.
    qcs = [qiskit.QuantumCircuit.from_qasm_file(str(f)) for f in files[:2]]
    qcs[0].name, qcs[1].name = "bell", "qft4"
    assert eqisa.assemble(qcs).bytes() == cli_bytes(run_cli, tmp_path, *files[:2])


def test_sweep(run_cli, tmp_path):
    program, table = PROGRAMS / "qaoa20.qasm3", PROGRAMS / "qaoa20_line.csv"
    a = eqisa.assemble(program, inputs_table=table)
    assert a.bytes() == cli_bytes(run_cli, tmp_path, program, "--inputs", table)
    assert a.report["sweep"]["points"] == a.circuits


def load_with_qiskit(path):
    """The circuit at ``path`` as Qiskit loads it, or ``None`` when Qiskit cannot read it."""
    if path.suffix == ".qasm":
        return qiskit.QuantumCircuit.from_qasm_file(str(path))
    from qiskit import qasm3

    try:
        return qasm3.load(str(path))
    except Exception:  # Qiskit's OpenQASM 3 importer does not read `^` on bits, for one
        return None


def test_every_mqt_circuit_from_qiskit_gives_the_cli_bytes(corpus, cli, tmp_path):
    import subprocess

    pytest.importorskip("qiskit_qasm3_import")
    files = sorted((corpus / "mqt" / "indep").glob("*.qasm*"))
    assert files, "the corpus has no MQT Bench circuits"
    out = tmp_path / "m.eqb"
    compared, unreadable = 0, []
    for f in files:
        qc = load_with_qiskit(f)
        if qc is None:
            unreadable.append(f.name)
            continue
        ours = eqisa.assemble(qc, baselines=False).bytes()
        subprocess.run([str(cli), "assemble", str(f), "--no-baselines", "-o", str(out)], check=True, capture_output=True)
        assert ours == out.read_bytes(), f"{f.name}: QuantumCircuit and file give different programs"
        compared += 1
    # Qiskit reads every OpenQASM 2 file; of the OpenQASM 3 ones, only those using `^` on bits
    # are beyond it.
    assert all(n.startswith("ghz_dynamic") for n in unreadable), unreadable
    assert compared >= len(files) - 3


def test_quantum_circuit_built_in_python():
    qc = qiskit.QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.rzz(0.3, 1, 2)
    qc.append(qiskit.circuit.library.QFTGate(3), [0, 1, 2])
    sub = qiskit.QuantumCircuit(2, name="sub")
    sub.cx(0, 1)
    sub.ry(0.4, 1)
    qc.append(sub.to_instruction(), [1, 2])
    qc.measure(range(3), range(3))
    a = eqisa.assemble(qc)
    p = eqisa.decode(a.bytes())
    assert len(p) == a.native_ops
    assert {op.name for op in p} <= {"rz", "sx", "x", "cz", "measure", "barrier"}


def test_save_writes_the_bytes(tmp_path):
    a = eqisa.assemble(EXAMPLES / "bell.qasm", baselines=False)
    a.save(tmp_path / "bell.eqb")
    assert (tmp_path / "bell.eqb").read_bytes() == a.bytes()
    assert len(a) == len(a.bytes())
