//! End-to-end tests of the paper's row on the example circuits: by default the paper's pipeline
//! runs at the cheapest Solovay–Kitaev setting of its grid that meets the same fidelity budget as
//! ours (or says that none does, with no bits); `--paper-at-own-fidelity` keeps the fixed
//! setting and its old numbers; the report's total leaves out, and names, the circuits an
//! encoding has no bits for; a row below the budget is marked in the table and the plot; the
//! plot's log axes carry short tick labels.

use std::process::{Command, Output};

use serde_json::Value;

fn eqisa() -> Command {
    Command::new(env!("CARGO_BIN_EXE_eqisa"))
}

/// An example circuit's path, as a command-line argument.
fn example(name: &str) -> String {
    eqisa_test_support::example(name)
        .to_str()
        .expect("utf-8 path")
        .to_string()
}

fn run(args: &[&str]) -> Output {
    eqisa().args(args).output().expect("the binary runs")
}

fn run_ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn run_json(args: &[&str]) -> Value {
    serde_json::from_slice(&run_ok(args).stdout).expect("JSON output")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The grid the default chooses from (`eqisa_pipeline::measure::PAPER_GRID`): depths 3 to 15
/// in steps of three, each at recursion 0 to 4.
fn grid() -> Vec<(u64, u64)> {
    (1..=5u64)
        .flat_map(|d| (0..=4u64).map(move |r| (3 * d, r)))
        .collect()
}

/// The properties of a paper object chosen at `budget`: it meets the budget with the fewest
/// Huffman bits of the settings that do, or none meets it and it has no bits.
fn check_at_budget(file: &str, p: &Value, bits: &Value, budget: f64) {
    assert_eq!(p["chosen"], "at_budget", "{file}");
    assert_eq!(f(&p["budget"]), budget, "{file}");
    let tried = p["tried"].as_array().expect("tried");
    let settings: Vec<(u64, u64)> = tried
        .iter()
        .map(|t| {
            (
                t["sk_depth"].as_u64().expect("depth"),
                t["sk_recursion"].as_u64().expect("recursion"),
            )
        })
        .collect();
    // The grid in order, except that a depth stops at the first recursion that meets the budget.
    let mut want = Vec::new();
    let mut met = Vec::new();
    for (d, r) in grid() {
        if met.contains(&d) {
            continue;
        }
        want.push((d, r));
        let i = want.len() - 1;
        if tried
            .get(i)
            .is_some_and(|t| f(&t["fidelity_bound"]) >= budget)
        {
            met.push(d);
        }
    }
    assert_eq!(settings, want, "{file}: the settings lowered, in order");
    // A setting is coded exactly when it meets the budget.
    for t in tried {
        assert_eq!(
            t["huffman_bits"].is_number(),
            f(&t["fidelity_bound"]) >= budget,
            "{file}: {t}"
        );
    }
    let cheapest = tried
        .iter()
        .filter_map(|t| t["huffman_bits"].as_u64())
        .min();
    if p["meets_budget"] == true {
        assert!(f(&p["fidelity_bound"]) >= budget, "{file}: {p}");
        assert_eq!(p["huffman_bits"].as_u64(), cheapest, "{file}");
        assert!(p["huffman_bzip2_bits"].is_number(), "{file}");
        assert_eq!(bits["paper_huffman"], p["huffman_bits"], "{file}");
        assert_eq!(
            bits["paper_huffman_bzip2"], p["huffman_bzip2_bits"],
            "{file}"
        );
    } else {
        assert_eq!(p["meets_budget"], false, "{file}");
        assert_eq!(cheapest, None, "{file}");
        assert!(f(&p["fidelity_bound"]) < budget, "{file}");
        assert!(p["huffman_bits"].is_null() && p["huffman_bzip2_bits"].is_null());
        assert!(bits["paper_huffman"].is_null() && bits["paper_huffman_bzip2"].is_null());
        // The closest setting is the one reported.
        let best = tried
            .iter()
            .map(|t| f(&t["fidelity_bound"]))
            .fold(0.0, f64::max);
        assert_eq!(f(&p["fidelity_bound"]), best, "{file}");
    }
}

#[test]
fn by_default_the_paper_meets_our_budget_or_has_no_bits() {
    for (name, target, budget) in [
        ("qft4.qasm", "native", 0.999),
        ("qft4.qasm", "clifford+t", 0.99),
        ("modifiers.qasm3", "native", 0.999),
        ("bell.qasm", "native", 0.999),
        ("ghz4.qasm3", "clifford+t", 0.999),
    ] {
        let file = example(name);
        let budget_arg = budget.to_string();
        let v = run_json(&[
            "assemble",
            "--json",
            "--target",
            target,
            "--fidelity",
            &budget_arg,
            &file,
        ]);
        let p = &v["paper"];
        check_at_budget(name, p, &v["bits"], budget);
        assert_eq!(v["paper_fidelity_bound"], p["fidelity_bound"], "{name}");
        // Never below the budget with bits: the comparison is at equal or better fidelity.
        assert!(
            p["huffman_bits"].is_null()
                || f(&p["fidelity_bound"]) >= f(&v["fidelity_bound"]).min(budget),
            "{name}: {p}"
        );
    }
    // The qft4 rotations need more than the paper's default depth 3, recursion 3 (0.62).
    let v = run_json(&["assemble", "--json", &example("qft4.qasm")]);
    let p = &v["paper"];
    assert_ne!(
        (p["sk_depth"].as_u64(), p["sk_recursion"].as_u64()),
        (Some(3), Some(3)),
        "{p}"
    );
    // Classical control stays not comparable: no paper object, no bits.
    let v = run_json(&["assemble", "--json", &example("teleport.qasm3")]);
    assert!(v["paper"].is_null() && v["bits"]["paper_huffman"].is_null());
}

#[test]
fn at_its_own_fidelity_the_paper_keeps_the_fixed_setting_and_its_numbers() {
    let qft4 = example("qft4.qasm");
    let v = run_json(&["assemble", "--json", "--paper-at-own-fidelity", &qft4]);
    let p = &v["paper"];
    assert_eq!(p["chosen"], "own_fidelity");
    assert_eq!(
        (p["sk_depth"].as_u64(), p["sk_recursion"].as_u64()),
        (Some(3), Some(3))
    );
    // The numbers the README printed before the default changed (depth 3, recursion 3).
    assert_eq!(v["bits"]["paper_huffman"], 1057);
    assert_eq!(v["bits"]["paper_huffman_bzip2"], 1608);
    assert_eq!(f(&v["paper_fidelity_bound"]), 0.6216557817498246);
    assert_eq!(p["meets_budget"], false);
    assert_eq!(p["tried"].as_array().map(Vec::len), Some(1));
    let text = String::from_utf8_lossy(
        &run_ok(&[
            "assemble",
            "--paper-at-own-fidelity",
            "--paper-depth",
            "3",
            &qft4,
        ])
        .stdout,
    )
    .into_owned();
    assert!(text.contains("BELOW the budget 0.999"), "{text}");
}

#[test]
fn the_report_total_names_what_it_leaves_out() {
    let (bell, teleport) = (example("bell.qasm"), example("teleport.qasm3"));
    let v = run_json(&[
        "report",
        "--json",
        "--no-memory",
        "--no-controllers",
        &bell,
        &teleport,
    ]);
    let circuits = v["circuits"].as_array().expect("circuits");
    let total = &v["total"]["encodings"];
    // The paper has no bits for teleport (classical control): its total is bell's alone.
    assert_eq!(
        total["paper"]["bits"],
        circuits[0]["encodings"]["paper"]["bits"]
    );
    assert!(total["paper"]["bits"].is_number());
    assert_eq!(total["paper"]["excludes"], serde_json::json!([teleport]));
    assert_eq!(total["eqisa"]["excludes"], serde_json::json!([]));
    for c in circuits {
        assert_eq!(f(&c["fidelity_budget"]), 0.999);
        assert!(c["encodings"]["eqisa"].get("excludes").is_none());
        assert_eq!(c["encodings"]["eqisa"]["meets_budget"], true);
    }
    assert_eq!(circuits[0]["encodings"]["paper"]["meets_budget"], true);
    assert!(circuits[1]["paper"].is_null());
    assert_eq!(total["paper"]["meets_budget"], true);
}

/// The text of every `<text>` element of an SVG.
fn svg_texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        rest = &rest[start..];
        let Some(open_end) = rest.find('>') else {
            break;
        };
        let Some(close) = rest.find("</text>") else {
            break;
        };
        out.push(rest[open_end + 1..close].trim().to_string());
        rest = &rest[close + 7..];
    }
    out
}

/// A tick label as `eqisa report --plot` writes them: 1, 10, 1k, 20M, 0.5, 1e-5.
fn is_tick(s: &str) -> bool {
    let body = s.trim_end_matches(['k', 'M', 'G', 'T']);
    let plain = !body.is_empty() && body.chars().all(|c| c.is_ascii_digit() || c == '.');
    let exp = s
        .split_once("e-")
        .is_some_and(|(m, e)| m.parse::<u32>().is_ok() && e.parse::<u32>().is_ok());
    plain || exp
}

#[test]
fn below_budget_rows_are_marked_and_the_plot_has_readable_ticks() {
    let dir = std::env::temp_dir().join(format!("eqisa-paper-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let svg = dir.join("report.svg");
    let (qft4, teleport) = (example("qft4.qasm"), example("teleport.qasm3"));
    let out = run_ok(&[
        "report",
        "--no-memory",
        "--no-controllers",
        "--paper-at-own-fidelity",
        "--rate-budgets",
        "1e-5,1e-4",
        "--plot",
        svg.to_str().expect("utf-8"),
        &qft4,
        &teleport,
    ]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // qft4's paper row at depth 3, recursion 3: 0.62, below 0.999, starred.
    let paper_rows: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("paper "))
        .collect();
    assert!(paper_rows.iter().any(|l| l.contains("0.621656*")), "{text}");
    assert!(text.contains("below the fidelity budget (0.999)"), "{text}");
    assert!(text.contains("excludes: teleport.qasm3"), "{text}");
    // The eqisa rows meet the budget: no star.
    assert!(
        text.lines()
            .filter(|l| l.trim_start().starts_with("eqisa "))
            .all(|l| !l.contains('*')),
        "{text}"
    );

    let drawn = std::fs::read_to_string(&svg).expect("the SVG");
    let texts = svg_texts(&drawn);
    assert!(texts.iter().any(|t| t == "below fidelity"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "paper (excl. 1)"), "{texts:?}");
    let ticks: Vec<&String> = texts.iter().filter(|t| is_tick(t)).collect();
    // Every panel has labelled log axes: bits in the thousands at least, qubits per link, and
    // the budgets of the rate curve.
    for want in ["1k", "10k", "1e-5", "1e-4"] {
        assert!(ticks.iter().any(|t| *t == want), "{want} in {ticks:?}");
    }
    // No raw long floats: every number drawn is short.
    for t in &texts {
        let numeric = t
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == 'e' || c == '-');
        assert!(!numeric || t.len() <= 6, "a long number label: {t}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
