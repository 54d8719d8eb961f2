"""Turning what a user passes as a circuit into what the native module reads.

A circuit is a ``qiskit.QuantumCircuit``, OpenQASM 2/3 or Stim text, or a path (``str`` or
``os.PathLike``) to a ``.qasm``, ``.qasm3`` or ``.stim`` file, or to a directory of them.
"""

from __future__ import annotations

import os
import pathlib
import re
from typing import Any, Iterable

from ._eqisa import LoweringError, OptionsError

#: What the native module takes: ``(name, language, payload)``; language ``path`` (payload
#: unused), ``qasm`` or ``stim`` (payload the program's text).
SourceTuple = tuple[str, str, str]

_CIRCUIT_SUFFIXES = (".qasm", ".qasm3", ".stim")
# Text is a program (not a path) when it has a line break or a statement's semicolon.
_LOOKS_LIKE_TEXT = re.compile(r"[\n;]")
_QASM_MARKERS = re.compile(r"^\s*(OPENQASM|include|qreg|creg|qubit|bit|gate|defcalgrammar)\b", re.M)


def _is_quantum_circuit(obj: Any) -> bool:
    # Checked by name so that Qiskit is imported only by those who pass its circuits.
    return any(
        c.__name__ == "QuantumCircuit" and c.__module__.startswith("qiskit")
        for c in type(obj).__mro__
    )


def expand(circuit: Any) -> tuple[list[SourceTuple], bool]:
    """The sources ``circuit`` names, and whether they make a job even when there is one (a
    directory does, as on the command line)."""
    if isinstance(circuit, (list, tuple)):
        if not circuit:
            raise OptionsError("assemble: an empty list of circuits")
        out: list[SourceTuple] = []
        for c in circuit:
            if isinstance(c, (list, tuple)):
                raise TypeError("assemble: circuits nest one level at most (a list of circuits)")
            out.extend(expand(c)[0])
        return out, True
    if isinstance(circuit, os.PathLike) or (
        isinstance(circuit, str) and not _LOOKS_LIKE_TEXT.search(circuit)
    ):
        path = pathlib.Path(os.fspath(circuit))
        if path.is_dir():
            files = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in _CIRCUIT_SUFFIXES
            )
            if not files:
                raise OptionsError(f"{path}: the directory holds no .qasm, .qasm3 or .stim file")
            return [(str(p), "path", "") for p in files], True
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file (text passed as a circuit must hold a program)")
        return [(str(path), "path", "")], False
    if isinstance(circuit, str):
        return [text_source(circuit, "circuit")], False
    if isinstance(circuit, bytes):
        raise TypeError("assemble: a circuit is text (str), not bytes; decode bytes first")
    if _is_quantum_circuit(circuit):
        return [from_quantum_circuit(circuit)], False
    raise TypeError(
        "assemble: a circuit is a qiskit.QuantumCircuit, OpenQASM or Stim text, or a path; "
        f"got {type(circuit).__name__}"
    )


def text_source(text: str, name: str, language: str | None = None) -> SourceTuple:
    """A program held as text; its language from ``language``, else guessed (OpenQASM when it
    declares itself or its registers, Stim otherwise)."""
    if language is None:
        language = "qasm" if _QASM_MARKERS.search(text) else "stim"
    if language not in ("qasm", "stim"):
        raise OptionsError(f"language={language!r}: expected 'qasm' or 'stim'")
    suffix = ".qasm" if language == "qasm" else ".stim"
    return (name if name.endswith(suffix) else name + suffix, language, text)


def _prepared(circuit: Any, depth: int = 0) -> Any:
    """``circuit`` with every instruction OpenQASM can carry to eqisa: standard gates,
    measurements, resets, barriers, delays, control flow, gates with definitions (written as
    OpenQASM gate definitions), and other instructions replaced by their definitions. Raises
    `LoweringError` naming the first that has none, or an unbound parameter."""
    if circuit.parameters:
        names = ", ".join(sorted(p.name for p in circuit.parameters))
        raise LoweringError(
            f"QuantumCircuit '{circuit.name}': unbound parameters ({names}); "
            "bind them with assign_parameters first"
        )
    from qiskit.circuit import ControlFlowOp, Gate  # noqa: PLC0415  (Qiskit is optional)
    from qiskit.circuit.library import get_standard_gate_name_mapping  # noqa: PLC0415

    standard = get_standard_gate_name_mapping()
    expand = set()
    for i, inst in enumerate(circuit.data):
        op = inst.operation
        if op.name in standard or op.name in ("measure", "reset", "barrier", "delay"):
            continue
        if isinstance(op, ControlFlowOp):
            for block in op.blocks:
                _prepared(block, depth)
            continue
        if isinstance(op, Gate) and op.definition is not None:
            continue
        if op.definition is not None and depth < 16:
            expand.add(op.name)
            continue
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        raise LoweringError(
            f"QuantumCircuit '{circuit.name}': instruction {i} ('{op.name}' on qubits {qubits}) "
            "has no definition eqisa can lower (decompose or transpile it to standard gates first)"
        )
    if not expand:
        return circuit
    return _prepared(circuit.decompose(gates_to_decompose=sorted(expand)), depth + 1)


def qasm_text(circuit: Any) -> str:
    """A ``QuantumCircuit`` as OpenQASM: 2 when Qiskit can write it so, else 3 (control flow)."""
    from qiskit import qasm2, qasm3  # noqa: PLC0415  (Qiskit is optional)

    circuit = _prepared(circuit)
    try:
        return qasm2.dumps(circuit)
    except qasm2.QASM2ExportError:
        return qasm3.dumps(circuit)


def from_quantum_circuit(circuit: Any) -> SourceTuple:
    """A ``QuantumCircuit`` as OpenQASM text named by the circuit."""
    return text_source(qasm_text(circuit), circuit.name or "circuit", "qasm")


def as_files(sources: list[SourceTuple], directory: str) -> list[str]:
    """Paths of ``sources``: files as given, text written to ``directory`` under its name."""
    out = []
    for name, language, payload in sources:
        if language == "path":
            out.append(name)
            continue
        path = pathlib.Path(directory) / pathlib.Path(name).name
        if path.exists():
            raise OptionsError(f"two circuits are named '{path.stem}': name them apart")
        path.write_text(payload)
        out.append(str(path))
    return out


def one(circuit: Any, what: str) -> SourceTuple:
    """The single circuit a step such as ``compile`` takes."""
    sources, job = expand(circuit)
    if job or len(sources) != 1:
        raise OptionsError(f"{what} takes one circuit, not a list or a directory")
    return sources[0]


def paths(corpus: Any) -> list[str]:
    """A corpus: one path or several."""
    items: Iterable[Any] = corpus if isinstance(corpus, (list, tuple)) else [corpus]
    out = []
    for p in items:
        if not isinstance(p, (str, os.PathLike)):
            raise TypeError(f"a corpus is paths to files or directories, got {type(p).__name__}")
        out.append(os.fspath(p))
    if not out:
        raise OptionsError("an empty corpus")
    return out
