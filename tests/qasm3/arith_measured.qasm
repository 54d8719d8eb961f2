// Checks: classical arithmetic on measured bits: the number of ones among three measured bits
// decides a rotation and a flip; the results are measured.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[4] q;
bit[3] m;
bit[2] out = "00";
h q[0];
h q[1];
h q[2];
m = measure q[0:2];
int ones = int(m[0]) + int(m[1]) + int(m[2]);
if (ones >= 2) {
  x q[3];
}
if (ones % 2 == 1) {
  out[1] = 1;
}
out[0] = measure q[3];
