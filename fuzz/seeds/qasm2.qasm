OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg c[3];
gate g(a,b) x, y { rz(a*pi/2+b) x; cx x, y; barrier x; }
opaque o(t) z;
h q; cx q[0], q[1]; u3(1.5e-3, -.5, 2^3^2) q[2];
g(sin(0.1), -ln(2)) q[0], q[1];
/* block ; { */ measure q -> c; // comment ;
if (c == 5) x q[1];
reset q[0];
barrier q;
