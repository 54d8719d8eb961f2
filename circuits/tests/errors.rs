fn show(name: &str, src: &str) {
    let r = std::panic::catch_unwind(|| eqisa_circuits::parse_str(src, "t.qasm"));
    match r {
        Ok(Ok(c)) => println!("{name}: OK {:?} params={:?} dur={:?}", eqisa_circuits::stats::stats(&c).ops.iter().map(|(k,v)| (k.chars().take(30).collect::<String>(), *v)).collect::<Vec<_>>(), &c.params[..c.params.len().min(8)], c.durations),
        Ok(Err(e)) => println!("{name}: {}", &e.to_string()[..e.to_string().len().min(200)]),
        Err(_) => println!("{name}: PANIC"),
    }
}
const H2: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\n";
const H3: &str = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\n";
#[test]
fn explore() {
    show("delay", &format!("{H3}delay[100ns] q[0];"));
    show("delay2", &format!("{H3}delay[1.5us] q;"));
    show("delay3", &format!("{H3}delay[7dt] q;\ndelay[2ms] q[1];\ndelay[1s] q[1];delay[3µs] q[1];delay[1e3ns] q[0];delay[2E+2dt] q[0];"));
    show("delaybad1", &format!("{H3}delay[1.2.3ns] q[0];"));
    show("delaybad2", &format!("{H3}delay[ns] q[0];"));
    show("delaybad3", &format!("{H3}delay[10xs] q[0];"));
    show("delaybad4", &format!("{H3}delay[10] q[0];"));
    show("delaybad5", &format!("{H3}delay[1+2ns] q[0];"));
    show("gbar", &format!("{H2}gate g a {{ x a; barrier a; }}\ng q[0];"));
    show("gbar2", &format!("{H2}gate g a {{ barrier a; x a; }}\ng q[0];"));
    show("gmeas", &format!("{H2}gate g a {{ measure a -> c[0]; }}\ng q[0];"));
    show("qovf", &format!("{H2}qreg r[18446744073709551615];"));
    show("cctrl", &format!("{H3}ctrl @ ctrl(18446744073709551615) @ x q[0], q[1];"));
    show("neg-pow", &format!("{H2}rz(-2^2) q[0];\nrz(2^-2) q[0];\nrz(-2^-2) q[0];\nrz(2*-3) q[0];\nrz(-pi^2) q[0];rz(2**3) q[0];rz(2^3^2) q[0];rz(--2) q[0];"));
    let n = 100000;
    show("sum", &format!("{H2}rz({}1) q[0];", "1+".repeat(n)));
    show("sum999", &format!("{H2}rz({}1) q[0];", "1+".repeat(999)));
    show("or", &format!("{H3}if ({}c[0]) x q[0];", "c[0] || ".repeat(n)));
    show("or999", &format!("{H3}if ({}c[0]) x q[0];", "c[0] || ".repeat(999)));
    show("neg", &format!("{H2}rz({}1) q[0];", "-".repeat(n)));
    show("negx", &format!("{H2}gate g(a) b {{ rz({}a) b; }}", "-".repeat(199)));
}
