// Checks: for over a set (in the order written), over an array's values, and over a bit
// register's bits.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[4] q;
float acc = 0;
for int i in {3, 0, 2} {
  acc = acc * 2 + i;
}
ry(acc * 0.1) q[0];
array[float[64], 3] th = {0.3, 0.5, 0.7};
int j = 0;
for float t in th {
  ry(t) q[1];
  j += 1;
}
if (j == 3) h q[3];
bit[3] pattern = "110";
int where = 0;
for bit b in pattern {
  if (b) rx(pi / 2 + where) q[2];
  where += 1;
}
