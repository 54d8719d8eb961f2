#!/usr/bin/env python3
"""The Python package's overhead against the CLI, and Qiskit's own serialisation beside eqisa's
bytes. Needs the package installed (`pip install .`, the optimised build), Qiskit, and the
release CLI (`cargo build --release`).

    python3 scripts/python-bench.py [--corpus ../shared/corpus/mqt/indep] [--repeat 5]

Prints three tables (markdown): in-process `eqisa.assemble` against `eqisa assemble` as a
process, per circuit (best of --repeat runs each); decode throughput through Python against the
CLI's `eqisa decode --json` on a generated program of a million operations; and, per circuit,
`qiskit.qpy.dump` of the circuit as loaded and transpiled to the native basis, the same with
xz -9, and eqisa's `.eqb`.
"""

from __future__ import annotations

import argparse
import io
import lzma
import pathlib
import random
import subprocess
import tempfile
import time

import eqisa
import qiskit
from qiskit import qpy

ROOT = pathlib.Path(__file__).resolve().parents[1]
CLI = ROOT / "target" / "release" / "eqisa"
CIRCUITS = [
    "dj_indep_n8.qasm",
    "ghz_indep_n8.qasm",
    "qft_indep_n8.qasm",
    "qaoa_indep_n8.qasm",
    "vqe_real_amp_indep_n8.qasm",
    "wstate_indep_n8.qasm",
    "graphstate_indep_n8.qasm",
    "grover_indep_n8.qasm",
    "qpeexact_indep_n8.qasm",
    "randomcircuit_indep_n8.qasm",
]


def best(f, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def cli(*args: str) -> None:
    subprocess.run([str(CLI), *args], check=True, capture_output=True)


def qpy_bytes(qc) -> int:
    buf = io.BytesIO()
    qpy.dump(qc, buf)
    return len(buf.getvalue())


def cold(f: pathlib.Path, baselines: bool) -> float:
    """One call in a fresh interpreter (the import not counted): what a script pays once."""
    code = (
        "import time, eqisa\n"
        "t = time.perf_counter()\n"
        f"eqisa.assemble({str(f)!r}, baselines={baselines})\n"
        "print(time.perf_counter() - t)\n"
    )
    out = subprocess.run(["python3", "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout)


def overhead(files: list[pathlib.Path], repeat: int, out: pathlib.Path) -> None:
    print("In-process `eqisa.assemble` against the CLI as a process, on the same file and options (ms; warm: best of the")
    print("repeats in one interpreter, whose caches, such as the paper's Solovay–Kitaev dictionaries, are then built;")
    print("cold: one call in a fresh interpreter).\n")
    print("| circuit | native ops | Python warm | Python cold | CLI | Python warm, no baselines | CLI `--no-baselines` | cold / CLI | no baselines: Python / CLI |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for f in files:
        a = eqisa.assemble(f)
        py = best(lambda: eqisa.assemble(f), repeat)
        py_cold = min(cold(f, True) for _ in range(2))
        sh = best(lambda: cli("assemble", str(f), "-o", str(out)), repeat)
        py_nb = best(lambda: eqisa.assemble(f, baselines=False), repeat)
        sh_nb = best(lambda: cli("assemble", str(f), "--no-baselines", "-o", str(out)), repeat)
        print(
            f"| {f.stem} | {a.native_ops} | {py * 1e3:.1f} | {py_cold * 1e3:.1f} | {sh * 1e3:.1f} | "
            f"{py_nb * 1e3:.1f} | {sh_nb * 1e3:.1f} | {py_cold / sh:.2f} | {py_nb / sh_nb:.2f} |"
        )


def generated(ops: int, qubits: int, seed: int) -> str:
    rng = random.Random(seed)
    lines = ["OPENQASM 2.0;", 'include "qelib1.inc";', f"qreg q[{qubits}];"]
    for _ in range(ops):
        k = rng.random()
        q = rng.randrange(qubits)
        if k < 0.45:
            lines.append(f"rz({rng.uniform(-3.1, 3.1):.6f}) q[{q}];")
        elif k < 0.8:
            lines.append(f"sx q[{q}];")
        else:
            lines.append(f"cz q[{q}],q[{(q + 1) % qubits}];")
    return "\n".join(lines) + "\n"


def throughput(repeat: int, tmp: pathlib.Path) -> None:
    src = tmp / "big.qasm"
    src.write_text(generated(1_000_000, 20, 7))
    eqb = tmp / "big.eqb"
    cli("assemble", str(src), "--no-baselines", "-o", str(eqb))
    data = eqb.read_bytes()
    p = eqisa.decode(data)
    n = len(p)
    dec = best(lambda: eqisa.decode(data), repeat)
    walk = best(lambda: sum(1 for _ in eqisa.decode(data)), max(1, repeat // 2))
    cols = best(lambda: eqisa.decode(data).to_arrays(), repeat)
    sh = best(lambda: cli("decode", str(eqb), "--json"), repeat)
    print(f"\nprogram: {n} native ops, {len(data)} bytes\n")
    print("| what | seconds | ops/s |")
    print("|---|---:|---:|")
    print(f"| `eqisa.decode(data)` (ops held in Rust) | {dec:.3f} | {n / dec:,.0f} |")
    print(f"| `eqisa.decode(data).to_arrays()` (numpy columns) | {cols:.3f} | {n / cols:,.0f} |")
    print(f"| `eqisa.decode(data)` and every `Op` built in Python | {walk:.3f} | {n / walk:,.0f} |")
    print(f"| CLI `eqisa decode --json` (process, streaming count) | {sh:.3f} | {n / sh:,.0f} |")


def serialisation(files: list[pathlib.Path]) -> None:
    print("\n| circuit | qpy bytes | qpy+xz | qpy native basis | qpy native+xz | eqisa `.eqb` bytes | eqisa / qpy native+xz |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for f in files:
        qc = qiskit.QuantumCircuit.from_qasm_file(str(f))
        native = qiskit.transpile(qc, basis_gates=["rz", "sx", "x", "cz"], optimization_level=1, seed_transpiler=1)
        raw, nat = qpy_bytes(qc), qpy_bytes(native)
        buf = io.BytesIO()
        qpy.dump(qc, buf)
        raw_xz = len(lzma.compress(buf.getvalue(), preset=9))
        buf = io.BytesIO()
        qpy.dump(native, buf)
        nat_xz = len(lzma.compress(buf.getvalue(), preset=9))
        ours = len(eqisa.assemble(qc, baselines=False).bytes())
        print(f"| {f.stem} | {raw} | {raw_xz} | {nat} | {nat_xz} | {ours} | {ours / nat_xz:.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "mqt" / "indep"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    files = [pathlib.Path(args.corpus) / c for c in CIRCUITS]
    files = [f for f in files if f.exists()] or sorted((ROOT / "circuits" / "examples").glob("*.qasm"))
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        overhead(files, args.repeat, tmp / "o.eqb")
        throughput(args.repeat, tmp)
        serialisation(files)


if __name__ == "__main__":
    main()
