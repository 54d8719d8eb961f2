// Checks: physical qubits $n are global qubits n, used without declaration.
// Expected: Qiskit's qasm3 importer, its circuit simulated exactly (and checked
// against Qiskit's Statevector or Aer) by scripts/qasm3-references.py.
OPENQASM 3.0;
include "stdgates.inc";
h $0;
cx $0, $2;
x $1;
