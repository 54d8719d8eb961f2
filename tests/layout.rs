//! The workspace's structural rules, checked on its own sources (ARCHITECTURE.md, "Rules"):
//! no source file outside tests is longer than 1,500 lines, and no two files of a crate import
//! each other. A file imports another when it names an item through a path (`crate::a::b`,
//! `super::a`, `self::a`, or a child module declared in it) that resolves to the other file;
//! a `lib.rs` or `mod.rs` that re-exports from its children therefore forbids the children from
//! importing through it, which keeps those files to declarations and re-exports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 1500;

/// Every crate of the workspace: directories holding a `Cargo.toml` and a `src/`.
fn crates(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if dir.join("Cargo.toml").is_file() && dir.join("src").is_dir() {
            out.push(dir.clone());
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            // `fuzz` is a workspace of its own, built with a nightly toolchain.
            if p.is_dir() && !name.starts_with('.') && name != "target" && name != "fuzz" {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file under `src` (`a/b.rs` and `a/b/mod.rs` are `["a", "b"]`).
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("file under src");
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// `text` without `//` comments (doc links are not imports) and without string literals.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut kept = String::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let ch = chars[i];
            if in_str {
                if ch == '"' && prev != '\\' {
                    in_str = false;
                }
            } else if ch == '"' {
                in_str = true;
            } else if ch == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            } else {
                kept.push(ch);
            }
            prev = if prev == '\\' && ch == '\\' { ' ' } else { ch };
            i += 1;
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

/// Paths after `crate::`, `super::` or `self::`, as absolute module paths from `module`.
///
/// Inline modules (`mod tests { ... }`) are followed, so that `super::` inside one names the
/// file's own module rather than its parent.
fn referenced(code: &str, module: &[String], children: &BTreeSet<String>) -> Vec<Vec<String>> {
    let mut refs = Vec::new();
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    // Brace depth, the inline modules open (name and the depth inside their braces), and the
    // state of a `mod name` just read: `after_mod` once `mod` is seen, `pending` once named.
    let mut depth = 0usize;
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut after_mod = false;
    let mut pending: Option<String> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !is_ident(b) || (i > 0 && (is_ident(bytes[i - 1]) || bytes[i - 1] == b':')) {
            if !b.is_ascii_whitespace() && !is_ident(b) {
                match b {
                    b'{' => {
                        depth += 1;
                        if let Some(name) = pending.take() {
                            inline.push((name, depth));
                        }
                    }
                    b'}' => {
                        if inline.last().is_some_and(|&(_, d)| d == depth) {
                            inline.pop();
                        }
                        depth = depth.saturating_sub(1);
                    }
                    _ => {}
                }
                after_mod = false;
                pending = None;
            }
            i += 1;
            continue;
        }
        let mut segs: Vec<&str> = Vec::new();
        loop {
            let s = i;
            while i < bytes.len() && is_ident(bytes[i]) {
                i += 1;
            }
            segs.push(&code[s..i]);
            if code[i..].starts_with("::") && bytes.get(i + 2).is_some_and(|&b| is_ident(b)) {
                i += 2;
            } else {
                break;
            }
        }
        if segs.len() == 1 {
            if after_mod {
                pending = Some(segs[0].to_string());
                after_mod = false;
            } else {
                after_mod = segs[0] == "mod";
                pending = None;
            }
        }
        // `a::{b, c}` imports from `a` as much as `a::b` does.
        let group = code[i..].starts_with("::{");
        if segs.len() < 2 && !group {
            continue;
        }
        let here: Vec<String> = module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(name, _)| name.clone()))
            .collect();
        let mut path: Vec<String> = match segs[0] {
            "crate" => Vec::new(),
            "self" | "super" => here,
            first if inline.is_empty() && children.contains(first) => here,
            _ => continue,
        };
        let rest = if segs[0] == "crate" || segs[0] == "self" {
            &segs[1..]
        } else {
            &segs[..]
        };
        for s in rest {
            if *s == "super" {
                path.pop();
            } else {
                path.push((*s).to_string());
            }
        }
        refs.push(path);
    }
    refs
}

fn shown(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string()
}

#[test]
fn no_source_file_is_too_long_and_no_two_files_import_each_other() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut long = Vec::new();
    let mut cycles = Vec::new();
    for krate in crates(&root) {
        let src = krate.join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let modules: BTreeMap<Vec<String>, PathBuf> = files
            .iter()
            .map(|f| (module_path(&src, f), f.clone()))
            .collect();
        let mut edges: BTreeSet<(PathBuf, PathBuf)> = BTreeSet::new();
        for (module, file) in &modules {
            let text = std::fs::read_to_string(file).expect("readable source");
            let lines = text.lines().count();
            if lines > MAX_LINES {
                long.push(format!("{} ({lines} lines)", shown(&root, file)));
            }
            let code = code_only(&text);
            let children: BTreeSet<String> = code
                .lines()
                .filter_map(|l| {
                    let l = l.trim_start();
                    let l = l.strip_prefix("pub ").unwrap_or(l);
                    let l = l.strip_prefix("pub(crate) ").unwrap_or(l);
                    l.strip_prefix("mod ")?
                        .strip_suffix(';')
                        .map(|n| n.trim().to_string())
                })
                .collect();
            for path in referenced(&code, module, &children) {
                let target = (0..=path.len()).rev().find_map(|k| modules.get(&path[..k]));
                if let Some(t) = target
                    && t != file
                {
                    edges.insert((file.clone(), t.clone()));
                }
            }
        }
        for (a, b) in &edges {
            if a < b && edges.contains(&(b.clone(), a.clone())) {
                cycles.push(format!("{} <-> {}", shown(&root, a), shown(&root, b)));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "files that import each other: {cycles:#?}"
    );
    assert!(
        long.is_empty(),
        "source files over {MAX_LINES} lines: {long:#?}"
    );
}

#[test]
fn the_checker_sees_a_cycle_and_a_child_import() {
    let module = vec!["a".to_string()];
    let children: BTreeSet<String> = ["b".to_string()].into();
    let code = code_only(
        "use super::x::Y; // crate::ignored::Z\nuse b::C; let s = \"crate::in_string\"; crate::d::e(); use crate::{f, g};",
    );
    let refs = referenced(&code, &module, &children);
    assert_eq!(
        refs,
        vec![
            vec!["x".to_string(), "Y".to_string()],
            vec!["a".to_string(), "b".to_string(), "C".to_string()],
            vec!["d".to_string(), "e".to_string()],
            vec![],
        ]
    );
}

#[test]
fn super_inside_an_inline_module_names_the_file_itself() {
    let module = vec!["a".to_string()];
    let code = code_only(
        "fn f() {}\n#[cfg(test)]\nmod tests {\n    use super::{f};\n    fn g() { super::f(); }\n}\nuse super::h;\n",
    );
    let refs = referenced(&code, &module, &BTreeSet::new());
    assert_eq!(
        refs,
        vec![
            vec!["a".to_string()],
            vec!["a".to_string(), "f".to_string()],
            vec!["h".to_string()],
        ]
    );
}

/// The names in a manifest's `[dependencies]` table.
fn dependencies(manifest: &str) -> Vec<String> {
    manifest
        .lines()
        .skip_while(|l| l.trim() != "[dependencies]")
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with('['))
        .filter_map(|l| {
            let l = l.trim();
            (!l.is_empty() && !l.starts_with('#'))
                .then(|| l.split(['.', '=', ' ']).next().unwrap_or(l).to_string())
        })
        .collect()
}

/// Firmware links the decoder core: it stays `no_std` and needs nothing but `eqisa-isa`, which
/// needs nothing but the `no_std` SHA-256. (A build for a bare-metal target, such as
/// `cargo build -p eqisa-decoder --target thumbv7em-none-eabihf`, proves the rest.)
#[test]
fn the_decoder_core_is_no_std_and_depends_on_the_isa_alone() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for (krate, allowed) in [("decoder", &["eqisa-isa"][..]), ("isa", &["sha2"][..])] {
        let manifest =
            std::fs::read_to_string(root.join(krate).join("Cargo.toml")).expect("manifest");
        assert_eq!(dependencies(&manifest), allowed, "{krate}/Cargo.toml");
        let lib = std::fs::read_to_string(root.join(krate).join("src/lib.rs")).expect("lib.rs");
        assert!(
            lib.lines().any(|l| l.trim() == "#![no_std]"),
            "{krate}/src/lib.rs is not #![no_std]"
        );
    }
}
