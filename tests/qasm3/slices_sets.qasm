// Checks: register slices q[a:b] (inclusive) and q[a:s:b], negative indices, and index sets
// q[{...}] as gate operands, broadcasting over each.
// Expected: Qiskit's qasm3 importer, its circuit simulated exactly (and checked
// against Qiskit's Statevector or Aer) by scripts/qasm3-references.py.
OPENQASM 3.0;
include "stdgates.inc";
qubit[6] q;
x q[1:3];
h q[{0, 5}];
cx q[{0, 5}], q[{4, 2}];
z q[0:2:4];
s q[-1];
