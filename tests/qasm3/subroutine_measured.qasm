// Checks: a subroutine that measures its qubit argument and returns the result; the caller
// branches on the returned bit in real time.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
def coin(qubit a) -> bit {
  h a;
  return measure a;
}
qubit[2] q;
bit flip = coin(q[0]);
bit r;
if (flip) {
  x q[1];
}
r = measure q[1];
