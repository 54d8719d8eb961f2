//! The committed C header is what cbindgen generates from the crate now.

use std::path::Path;

#[test]
fn header_is_current() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let path = crate_dir.join("include/eqisa_decoder.h");
    if std::env::var_os("EQISA_WRITE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("header written");
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is not what cbindgen generates from the crate: regenerate it with \
         `EQISA_WRITE_HEADER=1 cargo test -p eqisa-decoder-ffi --test header` and commit it",
        path.display()
    );
}
