// Checks: pragmas and annotations are accepted and change nothing.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
pragma eqisa.check keep
include "stdgates.inc";
qubit[2] q;
@eqisa.note first
h q[0];
@eqisa.note second with words
cx q[0], q[1];
