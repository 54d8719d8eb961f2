// Checks: integer division and modulo truncate toward zero (1/5 == 0, 7/2 == 3, -7/2 == -3,
// -7 % 3 == -1), so an angle built from them differs from one built with real division.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
int a = 1 / 5;
int b = 7 / 2;
int n = -7 / 2;
int m = -7 % 3;
float f = 1.0 / 5;
rx(a * pi + 0.5) q[0];
rx(1 / 5 * pi) q[0];
ry(f * pi) q[1];
rz(b * 0.25 + n * 0.1 + m * 0.05) q[1];
