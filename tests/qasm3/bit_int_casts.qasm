// Checks: bit-string literals (least significant bit on the right), bit[n] <-> int[n]/uint[n]
// casts in little-endian two's complement, and bit[n] -> bool.
// Expected: by hand from the OpenQASM 3 specification (Qiskit cannot load this file);
// the derivation is in scripts/qasm3-references.py and tests/qasm3/expected.json.
OPENQASM 3.0;
include "stdgates.inc";
qubit[4] q;
bit[4] b = "1010";
int[4] i = int[4](b);
uint[4] v = uint[4](b);
uint[4] u = 13;
bit[4] c = bit[4](u);
bool nonzero = bool(b);
for int k in [0:3] {
  if (c[k]) x q[k];
}
h q[1];
rz(i * pi / 8) q[1];
p(v * pi / 16) q[1];
if (nonzero) h q[3];
