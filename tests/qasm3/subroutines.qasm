// Checks: def subroutines with qubit and qubit-register arguments, classical arguments by
// value, return values used in expressions, and a subroutine calling another.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
def twice(float t) -> float {
  return 2 * t;
}
def turn(float t, qubit a) -> float {
  rx(t) a;
  return twice(t) + 0.1;
}
def spread(qubit[2] r, int k) {
  for int i in [0:k - 1] {
    cx r[0], r[1];
    h r[0];
  }
}
qubit[3] q;
float got = turn(0.2, q[0]);
ry(got) q[1];
spread(q[1:2], 3);
