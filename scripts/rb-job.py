#!/usr/bin/env python3
"""Write a randomized-benchmarking job: OpenQASM 2 files of random Clifford sequences.

Each circuit is a sequence of m uniformly random Cliffords on 1 or 2 qubits (Qiskit's
`random_clifford`, synthesised by `Clifford.to_circuit`), then the Clifford that inverts the
whole sequence, then a measurement of every qubit: the standard RB circuit. Lengths are drawn
uniformly from 1..=MAX_LENGTH. The same seed gives the same files.

    python3 scripts/rb-job.py OUT_DIR [--circuits 200] [--max-length 100] [--seed 7]

Then, for example:

    eqisa assemble OUT_DIR -o rb.eqb --json     # the job, against xz -9 of its binary streams
"""
import argparse
import pathlib
import random

from qiskit import QuantumCircuit, qasm2
from qiskit.quantum_info import Clifford, random_clifford


def rb_circuit(qubits: int, length: int, rng: random.Random) -> QuantumCircuit:
    qc = QuantumCircuit(qubits, qubits)
    total = Clifford(QuantumCircuit(qubits))
    for _ in range(length):
        c = random_clifford(qubits, seed=rng.randrange(2**31))
        qc.compose(c.to_circuit(), inplace=True)
        total = total.compose(c)
    qc.compose(total.adjoint().to_circuit(), inplace=True)
    qc.measure(range(qubits), range(qubits))
    return qc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--circuits", type=int, default=200)
    ap.add_argument("--max-length", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    a.out.mkdir(parents=True, exist_ok=True)
    width = len(str(a.circuits - 1))
    for i in range(a.circuits):
        qubits = 1 + i % 2
        length = rng.randint(1, a.max_length)
        qc = rb_circuit(qubits, length, rng)
        (a.out / f"rb_{i:0{width}d}.qasm").write_text(qasm2.dumps(qc) + "\n")


if __name__ == "__main__":
    main()
