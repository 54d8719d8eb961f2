fn show(name: &str, src: &str) {
    if std::env::var("ONLY").map_or(false, |o| o != name) {
        return;
    }
    eprintln!("start {name}");
    let r = eqisa_circuits::parse_str(src, "t.qasm");
    match r {
        Ok(c) => println!("{name}: OK {:?}", eqisa_circuits::stats::stats(&c).ops),
        Err(e) => println!("{name}: {e}"),
    }
}
const H2: &str = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\n";
const H3: &str = "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nbit[2] c;\n";
#[test]
fn explore() {
    let n = 100000;
    show("sum", &format!("{H2}rz({}1) q[0];", "1+".repeat(n)));
    show("neg", &format!("{H2}rz({}1) q[0];", "-".repeat(n)));
    show("pow", &format!("{H2}rz({}1) q[0];", "1^".repeat(n)));
    show("ifs", &format!("{H3}{} x q[0];", "if (c[0]) ".repeat(n)));
    show(
        "blocks",
        &format!("{H3}{} x q[0];", "if (c[0]) {".repeat(n)),
    );
    show("not", &format!("{H3}if ({}c[0]) x q[0];", "!".repeat(n)));
    show("cparen", &format!("{H3}if ({}c[0]) x q[0];", "(".repeat(n)));
    show(
        "or",
        &format!("{H3}if ({}c[0]) x q[0];", "c[0] || ".repeat(n)),
    );
    show("mods", &format!("{H3}{}x q[0];", "inv @ ".repeat(n)));
    show(
        "ctrl",
        &format!("{H3}qubit[100] r;\n{}x r[0];", "ctrl @ ".repeat(n)),
    );
    show("gates", &format!("{H2}{}", "gate g a { x a; }\n".repeat(3)));
    show(
        "manyargs",
        &format!("{H2}barrier {}q[0];", "q[0], ".repeat(n)),
    );
}
