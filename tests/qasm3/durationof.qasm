// Checks: durationof measures a block without running it: the delays inside it never act
// (100ns twice on q[1] and 50ns on q[0] make 200ns, the busier qubit's); the delay it sizes
// changes no state.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
duration t = durationof({
  delay[100ns] q[1];
  delay[100ns] q[1];
  delay[50ns] q[0];
});
delay[t] q[0];
h q[0];
