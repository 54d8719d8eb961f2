// Checks: angle arithmetic is modulo 2*pi on the angle's grid: angle[8] 3*pi/2 + pi is pi/2,
// the negation of pi is pi, a negative angle is stored in [0, 2*pi), and angle[4] rounds pi/3
// to the nearest multiple of 2*pi/16 (3*pi/8). ry(3*pi/2) differs from ry(-pi/2) by a global
// phase of -1, which the state vector keeps.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[4] q;
angle[8] a = 3 * pi / 2;
angle[8] b = pi;
a = a + b;
angle[8] c = -b;
angle m = -pi / 2;
angle[4] r = pi / 3;
rx(a) q[0];
ry(m) q[1];
ry(r) q[2];
rx(c) q[3];
