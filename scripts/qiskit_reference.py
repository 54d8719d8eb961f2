"""Qiskit's view of circuit files, for the repository's own reference fixtures.

Run with the Python that ../shared/tools/peer-bench installs (it has Qiskit 2.x):
    /root/.cache/eqisa-peers/bin/python scripts/qiskit_reference.py circuits/examples/* \
        > circuits/statevector/tests/data/examples_qiskit.json
Prints, per file: Qiskit's depth() and, for static circuits of at most 10 qubits, the final state
vector with final measurements removed ([[re, im], ...], qubit 0 least significant).
"""
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
from qiskit import qasm2, qasm3  # noqa: E402
from qiskit.quantum_info import Statevector  # noqa: E402


def load(path):
    src = open(path).read()
    if path.endswith(".qasm3") or src.lstrip().startswith("OPENQASM 3"):
        return qasm3.loads(src)
    return qasm2.load(path, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS,
                      include_path=(os.path.dirname(os.path.abspath(path)),))


out = {}
for path in sys.argv[1:]:
    qc = load(path)
    rec = {"depth": qc.depth()}
    try:
        sv = Statevector(qc.remove_final_measurements(inplace=False))
        rec["statevector"] = [[float(a.real), float(a.imag)] for a in sv.data]
    except Exception as e:  # dynamic circuits have no state vector
        rec["statevector_skipped"] = type(e).__name__
    out[os.path.basename(path)] = rec
json.dump(out, sys.stdout, indent=1)
print()
