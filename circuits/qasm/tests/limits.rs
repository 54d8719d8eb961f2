//! The process-wide limit on text read at once ([`eqisa_files::limit`]) bounds an include and
//! one statement of a streamed program. This binary alone lowers the limit.

use std::io::{self, Read};
use std::sync::Arc;

use eqisa_qasm::{ErrorKind, parse_file, parse_reader};

const LIMIT: u64 = 64 << 10;

#[test]
fn a_statement_or_include_beyond_the_limit_is_refused_naming_it() {
    eqisa_files::set_limit(LIMIT);
    // A statement that never ends: refused once it passes the limit, which the message names
    // with the way to raise it (not read until memory runs out).
    let endless = io::repeat(b'x');
    let e = parse_reader(endless, Arc::from("<stdin>"), ".".into()).unwrap_err();
    assert!(
        matches!(e.kind(), Some(ErrorKind::StatementTooLong { limit }) if *limit == LIMIT),
        "{e}"
    );
    let text = e.to_string();
    assert!(text.starts_with("<stdin>:1:1: a statement"), "{text}");
    assert!(
        text.contains("65536 bytes") && text.contains("--max-file-mb"),
        "{text}"
    );

    // The limit is per statement, not per program: many short lines stream through.
    let mut long = String::from("OPENQASM 2.0;\nqreg q[1];\n");
    while (long.len() as u64) < 2 * LIMIT {
        long.push_str("U(0,0,0) q[0];\n");
    }
    let c = parse_reader(long.as_bytes().take(u64::MAX), Arc::from("p"), ".".into()).unwrap();
    assert!(c.ops.len() as u64 > LIMIT / 8);

    // An include is read whole within the limit; the error names the include and its place.
    let dir = std::env::temp_dir().join(format!("eqisa-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("big.inc"), " ".repeat(LIMIT as usize + 1)).unwrap();
    std::fs::write(dir.join("nul.inc"), "// ok\n\0").unwrap();
    let main = dir.join("main.qasm");
    std::fs::write(&main, "OPENQASM 2.0;\ninclude \"big.inc\";\n").unwrap();
    let e = parse_file(&main).unwrap_err().to_string();
    assert!(e.contains("main.qasm:2:1: cannot include 'big.inc'"), "{e}");
    assert!(
        e.contains("64 KiB limit") && e.contains("--max-file-mb"),
        "{e}"
    );
    std::fs::write(&main, "OPENQASM 2.0;\ninclude \"nul.inc\";\n").unwrap();
    let e = parse_file(&main).unwrap_err().to_string();
    assert!(e.contains("nul.inc:2:1: a NUL byte"), "{e}");
    if std::path::Path::new("/dev/zero").exists() {
        std::fs::write(&main, "OPENQASM 2.0;\ninclude \"/dev/zero\";\n").unwrap();
        let e = parse_file(&main).unwrap_err().to_string();
        assert!(
            e.contains("main.qasm:2:1: cannot include '/dev/zero': not a regular file"),
            "{e}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);

    // A few bytes that broadcast to millions of operations: refused before they are pushed.
    assert_eq!(eqisa_qasm::ir_budget(), 1 << 16);
    for stmt in ["h q;", "barrier;", "reset q;", "measure q -> c;"] {
        let src = format!(
            "OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[100000] q;\nbit[100000] c;\n{stmt}\n"
        );
        let e = eqisa_qasm::parse_str(&src, "t.qasm").unwrap_err();
        assert!(
            matches!(e.kind(), Some(ErrorKind::CircuitTooLarge { limit: 65536 })),
            "{stmt}: {e}"
        );
        let text = e.to_string();
        // Line 5: at the statement, or (OpenQASM 3, refused while unrolling) its operand.
        assert!(
            text.starts_with("t.qasm:5:") && text.contains("--max-file-mb"),
            "{text}"
        );
    }
}
