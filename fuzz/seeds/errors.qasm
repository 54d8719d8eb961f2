OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
cx q[0], q[0];
rz(1.2.3) q[0];
x q[5];
foo q;
