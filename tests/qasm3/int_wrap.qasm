// Checks: int[n] and uint[n] wrap when a value is stored (two's complement for int, modulo 2^n
// for uint): int[4] 7 + 2 stores -7, uint[3] 6 + 5 stores 3, uint[3] 0 - 1 stores 7.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
int[4] x = 7;
x = x + 2;
uint[3] u = 6;
u = u + 5;
uint[3] v = 0;
v -= 1;
ry(x * 0.1) q[0];
ry(u * 0.2 + v * 0.05) q[1];
