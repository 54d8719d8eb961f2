// Checks: durationof measures a block without running it: the two x gates inside it never act;
// the delay it sizes changes no state.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
duration t = durationof({
  x q[1];
  x q[1];
});
delay[t] q[0];
h q[0];
