// Checks: a measurement-dependent while loop (repeat until success): h then measure until the
// result is 1, so c is 1 with probability 1.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit q;
bit c = 0;
while (c == 0) {
  h q;
  c = measure q;
}
