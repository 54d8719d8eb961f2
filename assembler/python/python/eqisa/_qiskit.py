"""Decoded programs as ``qiskit.QuantumCircuit``s (imported only when Qiskit is wanted)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qiskit.circuit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit.library import get_standard_gate_name_mapping

from ._eqisa import DecodeError

if TYPE_CHECKING:
    from ._program import Program

_CHUNK = 4096


def build_circuit(program: Program) -> Any:
    """One Qiskit instruction per operation of ``program``."""
    decoded, index = program._decoded, program._index
    qregs = [QuantumRegister(size, name) for name, _, size in decoded.qregs(index)]
    cregs = [ClassicalRegister(size, name) for name, _, size in decoded.cregs(index)]
    qc = QuantumCircuit(*qregs, *cregs, name=program.name)
    if qc.num_qubits < program.num_qubits:
        qc.add_register(QuantumRegister(program.num_qubits - qc.num_qubits, "q_extra"))
    if qc.num_clbits < program.num_clbits:
        qc.add_register(ClassicalRegister(program.num_clbits - qc.num_clbits, "c_extra"))
    gates = get_standard_gate_name_mapping()
    by_name = {r.name: r for r in cregs}
    for start in range(0, len(program), _CHUNK):
        for name, qubits, params, clbits, _, duration, cond in decoded.ops(index, start, start + _CHUNK):
            if cond is None:
                _append(qc, gates, name, qubits, params, clbits, duration)
                continue
            text, kind, target, value = cond
            if kind is None:
                raise DecodeError(
                    f"{program.name}: the condition '{text}' has no Qiskit if_test form "
                    "(only one bit or one register compared with a value); to_qasm() writes it"
                )
            test = (qc.clbits[int(target)] if kind == "bit" else by_name[target], int(value))
            with qc.if_test(test):
                _append(qc, gates, name, qubits, params, clbits, duration)
    return qc


def _append(qc: Any, gates: dict, name: str, qubits: tuple, params: tuple, clbits: tuple, duration: float) -> None:
    if name == "measure":
        qc.measure(qubits[0], clbits[0])
    elif name == "barrier":
        qc.barrier(*qubits)
    elif name == "reset":
        qc.reset(qubits[0])
    elif name == "delay":
        qc.delay(params[0], qubits[0], unit="ns")
    else:
        gate = gates[name]
        if params:
            gate = type(gate)(*params)
        qc.append(gate, list(qubits))
