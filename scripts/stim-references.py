#!/usr/bin/env python3
"""Write the reference unitaries of Stim's gates that eqisa-stim's tests compare against.

Run once with a Python that has `stim` (1.16):
    /work/venv14/bin/python scripts/stim-references.py
It writes circuits/stim/tests/fixtures/unitaries.json: for every unitary gate of Stim, under
every one of its names, and for a few SPP products, the Stim text, the qubit count and the
unitary (little endian: qubit 0 is the least significant index bit), rows of [re, im] pairs.
"""
import json
import os

import stim

CASES_SPP = ["SPP X0*Y1*Z2", "SPP_DAG X0*Z1", "SPP !Y0", "SPP_DAG Z1 X0*X1", "SPP Y0*Y1"]


def matrix(u):
    return [[[round(float(z.real), 7), round(float(z.imag), 7)] for z in row] for row in u]


def main():
    out = {"stim_version": stim.__version__, "cases": []}
    for name, g in sorted(stim.gate_data().items()):
        if not g.is_unitary or name in ("SPP", "SPP_DAG"):
            continue
        n = 2 if g.is_two_qubit_gate else 1
        u = stim.Tableau.from_named_gate(name).to_unitary_matrix(endian="little")
        for alias in sorted(g.aliases):
            text = f"{alias} 0" + (" 1" if n == 2 else "")
            out["cases"].append({"text": text, "qubits": n, "unitary": matrix(u)})
    for text in CASES_SPP:
        c = stim.Circuit(text)
        u = c.to_tableau().to_unitary_matrix(endian="little")
        out["cases"].append({"text": text, "qubits": c.num_qubits, "unitary": matrix(u)})
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "circuits", "stim", "tests", "fixtures", "unitaries.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
