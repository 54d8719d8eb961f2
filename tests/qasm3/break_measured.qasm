// Checks: a for loop left by break when a measured bit is 1: each iteration rotates q[1] and
// measures a fresh |+> on q[0], so the loop runs k of 3 iterations with probability 2^-k (k < 3)
// or 1/4 (k = 3).
// Expected: Qiskit's qasm3 importer, its circuit simulated exactly (and checked
// against Qiskit's Statevector or Aer) by scripts/qasm3-references.py.
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
for int i in [0:2] {
  rx(pi / 3) q[1];
  reset q[0];
  h q[0];
  c[0] = measure q[0];
  if (c[0]) break;
}
c[1] = measure q[1];
