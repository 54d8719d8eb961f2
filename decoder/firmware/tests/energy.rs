//! The energy model: defaults, exact arithmetic, overrides, and refusals (issue 6's CI check that
//! energy totals equal their event counts times the parameters lives here).

use eqisa_firmware::energy::{
    DEFAULT_MODEL_TOML, EnergyError, EnergyModel, Events, ParamValue, Stage,
};

/// Every count different and odd-ish, so a swapped parameter shows.
const EVENTS: Events = Events {
    link_bits: 1000,
    link_lanes: 3,
    instructions_decoded: 17,
    symbols_decoded: 29,
    waveform_memory_read_bits: 4096,
    multiply_adds: 301,
    dac_samples: 523,
};

/// Non-trivial parameters, all dyadic so every product and sum below is exact in f64 and the
/// comparisons can be `==`. The DAC sits one stage colder than the decoder so that placement is
/// exercised, and the still carries link parameters that must *not* count (the link ends at 4 K).
const DYADIC: &str = r#"
[placement]
decoder_stage = "stage_4k"
dac_stage = "still"

[link]
room_energy_j_per_bit = 0.5

[decoder]
energy_j_per_instruction = 0.25
energy_j_per_symbol = 0.375

[waveform_memory]
energy_j_per_bit = 0.0625

[reconstruction]
energy_j_per_multiply_add = 1.5

[dac]
energy_j_per_sample = 2.25

[stages.room]
wall_plug_w_per_w = 0.5

[stages.stage_50k]
link_heat_j_per_bit = 0.125
link_static_heat_w_per_lane = 3.0
wall_plug_w_per_w = 4.0

[stages.stage_4k]
link_heat_j_per_bit = 0.75
link_static_heat_w_per_lane = 5.0
wall_plug_w_per_w = 64.0
cooling_capacity_w = 8.0

[stages.still]
link_heat_j_per_bit = 7.0
link_static_heat_w_per_lane = 9.0
wall_plug_w_per_w = 1024.0
cooling_capacity_w = 16.0

[stages.cold_plate]
wall_plug_w_per_w = 2048.0

[stages.mixing_chamber]
wall_plug_w_per_w = 4096.0
"#;

fn err(text: &str) -> EnergyError {
    match EnergyModel::from_toml_str(text, "bad.toml") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

#[test]
fn defaults_parse_and_every_parameter_has_a_source() {
    let model = EnergyModel::default_model().expect("default model");
    let params = model.parameters();
    // 2 placements + 6 component energies + 6 stages x 5 stage parameters.
    assert_eq!(params.len(), 2 + 6 + 6 * 5);
    for p in &params {
        assert!(
            p.source.trim().len() > 10,
            "{} has no real source: {:?}",
            p.path,
            p.source
        );
    }
    // The file and the struct agree: nothing falls back, and an empty override is the default.
    assert_eq!(
        EnergyModel::from_complete_toml_str(DEFAULT_MODEL_TOML, "default").expect("complete"),
        model
    );
    assert_eq!(
        EnergyModel::from_toml_str("", "empty.toml").expect("empty"),
        model
    );
    // The placements the design names: a 4 K CMOS decoder and DACs (XQsim, QIsim).
    assert_eq!(model.decoder_stage.value, Stage::Stage4K);
    assert_eq!(model.dac_stage.value, Stage::Stage4K);
    // Cooling gets dearer as the stage gets colder, and 4 K lies in the cited 1e3..1e4 W/W band.
    let overheads: Vec<f64> = Stage::ALL
        .iter()
        .map(|&s| model.stage(s).wall_plug_w_per_w.value)
        .collect();
    assert!(overheads.windows(2).all(|w| w[0] < w[1]), "{overheads:?}");
    let at_4k = model.stage(Stage::Stage4K).wall_plug_w_per_w.value;
    assert!((1e3..=1e4).contains(&at_4k));
    // Every estimate says so in its source.
    let estimates = params
        .iter()
        .filter(|p| p.source.starts_with("ESTIMATE"))
        .count();
    assert!(estimates > 0 && estimates < params.len());
}

#[test]
fn totals_equal_counts_times_parameters() {
    let model = EnergyModel::from_toml_str(DYADIC, "dyadic.toml").expect("dyadic model");
    let duration = 2.0;
    let r = model.evaluate(&EVENTS, duration).expect("evaluate");

    // Per kind: count x parameter.
    let link_room = 1000.0 * 0.5;
    let link_cable = 1000.0 * 0.125 + 1000.0 * 0.75; // 50 K and 4 K; the still is not crossed
    let instr = 17.0 * 0.25;
    let symbols = 29.0 * 0.375;
    let memory = 4096.0 * 0.0625;
    let mac = 301.0 * 1.5;
    let dac = 523.0 * 2.25;
    assert_eq!(r.by_kind.link_room_j, link_room);
    assert_eq!(r.by_kind.link_cable_j, link_cable);
    assert_eq!(r.by_kind.decoder_instructions_j, instr);
    assert_eq!(r.by_kind.decoder_symbols_j, symbols);
    assert_eq!(r.by_kind.waveform_memory_j, memory);
    assert_eq!(r.by_kind.multiply_add_j, mac);
    assert_eq!(r.by_kind.dac_j, dac);
    let total = link_room + link_cable + instr + symbols + memory + mac + dac;
    assert_eq!(total, 3274.375);
    assert_eq!(r.total_energy_j, total);
    assert_eq!(r.by_kind.total(), total);

    // Conduction: lanes x watts x seconds, at the crossed stages only.
    let static_50k = 3.0 * 3.0 * duration;
    let static_4k = 3.0 * 5.0 * duration;
    assert_eq!(r.link_static_heat_j, static_50k + static_4k);
    assert_eq!(r.total_heat_j, total + static_50k + static_4k);

    // Heat per stage.
    let heat = |s: Stage| r.stage(s).expect("every stage is reported").heat_j;
    let h_room = link_room;
    let h_50k = 1000.0 * 0.125 + static_50k;
    let h_4k = 1000.0 * 0.75 + static_4k + instr + symbols + memory + mac;
    let h_still = dac;
    assert_eq!(heat(Stage::Room), h_room);
    assert_eq!(heat(Stage::Stage50K), h_50k);
    assert_eq!(heat(Stage::Stage4K), h_4k);
    assert_eq!(heat(Stage::Still), h_still);
    assert_eq!(heat(Stage::ColdPlate), 0.0);
    assert_eq!(heat(Stage::MixingChamber), 0.0);
    assert_eq!(
        r.stages.iter().map(|s| s.heat_j).sum::<f64>(),
        r.total_heat_j
    );

    // Powers and capacity use, given the duration.
    let s4 = r.stage(Stage::Stage4K).expect("4 K");
    assert_eq!(s4.heat_w, h_4k / duration);
    assert_eq!(s4.capacity_fraction, h_4k / duration / 8.0);
    assert_eq!(r.stage(Stage::Room).expect("room").capacity_fraction, 0.0);

    // Wall plug: electrical energy plus heat x overhead per stage.
    let cooling = h_room * 0.5 + h_50k * 4.0 + h_4k * 64.0 + h_still * 1024.0;
    assert_eq!(s4.cooling_wall_plug_j, h_4k * 64.0);
    assert_eq!(r.cooling_wall_plug_j, cooling);
    assert_eq!(r.wall_plug_j, total + cooling);
    assert_eq!(r.wall_plug_w, (total + cooling) / duration);
    assert_eq!(r.wall_plug_j, 3274.375 + 1_301_982.0);
}

#[test]
fn default_totals_equal_counts_times_default_parameters() {
    let m = EnergyModel::default_model().expect("default model");
    let r = m.evaluate(&EVENTS, 1e-3).expect("evaluate");
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(f64::MIN_POSITIVE);
    let crossed = [Stage::Stage50K, Stage::Stage4K];
    assert_eq!(m.link_stages(), &crossed);
    let cable: f64 = crossed
        .iter()
        .map(|&s| 1000.0 * m.stage(s).link_heat_j_per_bit.value)
        .sum();
    let expected = 1000.0 * m.link_room_energy_j_per_bit.value
        + cable
        + 17.0 * m.decoder_energy_j_per_instruction.value
        + 29.0 * m.decoder_energy_j_per_symbol.value
        + 4096.0 * m.waveform_memory_energy_j_per_bit.value
        + 301.0 * m.reconstruction_energy_j_per_multiply_add.value
        + 523.0 * m.dac_energy_j_per_sample.value;
    assert!(
        close(r.total_energy_j, expected),
        "{} vs {expected}",
        r.total_energy_j
    );
    let conduction: f64 = crossed
        .iter()
        .map(|&s| 3.0 * m.stage(s).link_static_heat_w_per_lane.value * 1e-3)
        .sum();
    assert!(close(r.link_static_heat_j, conduction));
    let cooling: f64 = r
        .stages
        .iter()
        .map(|s| s.heat_j * m.stage(s.stage).wall_plug_w_per_w.value)
        .sum();
    assert!(close(r.wall_plug_j, expected + cooling));
    // With everything at 4 K, 4 K heat is what costs: it dominates the wall-plug bill.
    let s4 = r.stage(Stage::Stage4K).expect("4 K");
    assert!(s4.cooling_wall_plug_j > 0.5 * r.wall_plug_j);
}

#[test]
fn the_link_reaches_exactly_the_decoder_stage() {
    let events = Events {
        link_bits: 8,
        link_lanes: 1,
        ..Events::default()
    };
    let at_room = EnergyModel::from_toml_str("[placement]\ndecoder_stage = \"room\"", "room.toml")
        .expect("room placement");
    assert!(at_room.link_stages().is_empty());
    let r = at_room.evaluate(&events, 1.0).expect("evaluate");
    assert_eq!(r.by_kind.link_cable_j, 0.0);
    assert_eq!(r.link_static_heat_j, 0.0);
    assert_eq!(r.total_heat_j, r.stage(Stage::Room).expect("room").heat_j);

    let at_mxc = EnergyModel::from_toml_str(
        "[placement]\ndecoder_stage = \"mixing_chamber\"",
        "mxc.toml",
    )
    .expect("mixing-chamber placement");
    assert_eq!(at_mxc.link_stages(), &Stage::ALL[1..]);
    let r = at_mxc.evaluate(&events, 1.0).expect("evaluate");
    let expected: f64 = Stage::ALL[1..]
        .iter()
        .map(|&s| 8.0 * at_mxc.stage(s).link_heat_j_per_bit.value)
        .sum();
    assert_eq!(r.by_kind.link_cable_j, expected);
    assert!(r.stage(Stage::MixingChamber).expect("mxc").heat_j > 0.0);
}

#[test]
fn overriding_one_parameter_changes_exactly_that_figure() {
    let base = EnergyModel::default_model().expect("default model");
    let new = EnergyModel::from_toml_str("[dac]\nenergy_j_per_sample = 1.0e-12\n", "user.toml")
        .expect("override");
    let (a, b) = (base.parameters(), new.parameters());
    let changed: Vec<_> = a.iter().zip(&b).filter(|(x, y)| x != y).collect();
    assert_eq!(changed.len(), 1, "{changed:#?}");
    let (_, after) = changed[0];
    assert_eq!(after.path, "dac.energy_j_per_sample");
    assert_eq!(after.value, ParamValue::Number(1.0e-12));
    assert_eq!(after.source, "user override in user.toml");

    let ra = base.evaluate(&EVENTS, 1e-3).expect("evaluate");
    let rb = new.evaluate(&EVENTS, 1e-3).expect("evaluate");
    assert_eq!(rb.by_kind.dac_j, 523.0 * 1.0e-12);
    let mut same = rb.by_kind;
    same.dac_j = ra.by_kind.dac_j;
    assert_eq!(same, ra.by_kind, "only the DAC figure may move");
    assert_eq!(rb.link_static_heat_j, ra.link_static_heat_j);

    // The long form keeps the user's own citation.
    let cited = EnergyModel::from_toml_str(
        "[stages.stage_4k.wall_plug_w_per_w]\nvalue = 500\nsource = \"our helium plant, 2025\"\n",
        "plant.toml",
    )
    .expect("cited override");
    let p = &cited.stage(Stage::Stage4K).wall_plug_w_per_w;
    assert_eq!(
        (p.value, p.source.as_str()),
        (500.0, "our helium plant, 2025")
    );
}

#[test]
fn from_file_reads_and_names_the_file() {
    let dir = std::env::temp_dir().join(format!("eqisa-energy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let good = dir.join("model.toml");
    std::fs::write(&good, "[link]\nroom_energy_j_per_bit = 2e-12\n").expect("write");
    let m = EnergyModel::from_file(&good).expect("user file");
    assert_eq!(m.link_room_energy_j_per_bit.value, 2e-12);
    assert!(m.link_room_energy_j_per_bit.source.contains("model.toml"));

    let bad = dir.join("bad-model.toml");
    std::fs::write(&bad, "[link]\nroom_energy_j_per_bit = -2e-12\n").expect("write");
    let e = EnergyModel::from_file(&bad).expect_err("negative");
    let text = e.to_string();
    assert!(text.contains("bad-model.toml") && text.contains("link.room_energy_j_per_bit"));

    let missing = dir.join("absent.toml");
    match EnergyModel::from_file(&missing) {
        Err(EnergyError::Io { origin, .. }) => assert!(origin.ends_with("absent.toml")),
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn malformed_files_name_the_file_and_the_field() {
    let field_of = |e: &EnergyError| match e {
        EnergyError::UnknownField { origin, field }
        | EnergyError::MissingField { origin, field }
        | EnergyError::WrongType { origin, field, .. }
        | EnergyError::InvalidValue { origin, field, .. }
        | EnergyError::UnknownStage { origin, field, .. }
        | EnergyError::EmptySource { origin, field } => (origin.clone(), field.clone()),
        other => panic!("no field in {other:?}"),
    };
    let cases: &[(&str, &str)] = &[
        // Unknown names, at every level.
        ("[linkk]\nx = 1\n", "linkk"),
        (
            "[link]\nroom_energy_j_per_bitt = 1.0\n",
            "link.room_energy_j_per_bitt",
        ),
        (
            "[link.room_energy_j_per_bit]\nvalue = 1.0\nunit = \"J\"\n",
            "link.room_energy_j_per_bit.unit",
        ),
        (
            "[stages.stage_3k]\ntemperature_k = 3.0\n",
            "stages.stage_3k",
        ),
        // Out-of-range numbers.
        (
            "[dac]\nenergy_j_per_sample = -1.0\n",
            "dac.energy_j_per_sample",
        ),
        (
            "[stages.stage_4k]\nwall_plug_w_per_w = nan\n",
            "stages.stage_4k.wall_plug_w_per_w",
        ),
        (
            "[stages.still]\ntemperature_k = 0\n",
            "stages.still.temperature_k",
        ),
        (
            "[stages.still]\ncooling_capacity_w = 0.0\n",
            "stages.still.cooling_capacity_w",
        ),
        (
            "[decoder]\nenergy_j_per_symbol = inf\n",
            "decoder.energy_j_per_symbol",
        ),
        // Wrong types and names.
        (
            "[dac]\nenergy_j_per_sample = \"small\"\n",
            "dac.energy_j_per_sample.value",
        ),
        (
            "[dac]\nenergy_j_per_sample = [1.0]\n",
            "dac.energy_j_per_sample",
        ),
        ("link = 3\n", "link"),
        (
            "[placement]\ndecoder_stage = \"stage_3k\"\n",
            "placement.decoder_stage",
        ),
        ("[placement]\ndac_stage = 4\n", "placement.dac_stage.value"),
        // A citation cannot be blanked.
        (
            "[link.room_energy_j_per_bit]\nsource = \" \"\n",
            "link.room_energy_j_per_bit",
        ),
    ];
    for (text, field) in cases {
        let e = err(text);
        assert_eq!(
            field_of(&e),
            ("bad.toml".to_string(), field.to_string()),
            "{text}"
        );
        let shown = e.to_string();
        assert!(
            shown.contains("bad.toml") && shown.contains(field),
            "{shown}"
        );
    }

    // Invalid TOML: the file and the line.
    match err("[link]\nroom_energy_j_per_bit = = 1\n") {
        EnergyError::Syntax { origin, line, .. } => {
            assert_eq!(origin, "bad.toml");
            assert_eq!(line, 2);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_complete_file_must_have_every_field() {
    // Cut one parameter's table out of the default file.
    let header = "[stages.still.link_heat_j_per_bit]";
    let start = DEFAULT_MODEL_TOML
        .find(header)
        .expect("header in default file");
    let end = DEFAULT_MODEL_TOML[start + header.len()..]
        .find("\n[")
        .map_or(DEFAULT_MODEL_TOML.len(), |i| start + header.len() + i + 1);
    let cut = format!(
        "{}{}",
        &DEFAULT_MODEL_TOML[..start],
        &DEFAULT_MODEL_TOML[end..]
    );
    match EnergyModel::from_complete_toml_str(&cut, "full.toml") {
        Err(EnergyError::MissingField { origin, field }) => {
            assert_eq!(origin, "full.toml");
            assert_eq!(field, "stages.still.link_heat_j_per_bit");
        }
        other => panic!("{other:?}"),
    }
    // A parameter without its source is incomplete too.
    let unsourced =
        DEFAULT_MODEL_TOML.replacen("source = \"[Krinner2019] Table 1: 19 uW at 20 mK.\"", "", 1);
    assert_ne!(unsourced, DEFAULT_MODEL_TOML);
    match EnergyModel::from_complete_toml_str(&unsourced, "full.toml") {
        Err(EnergyError::MissingField { field, .. }) => {
            assert_eq!(field, "stages.mixing_chamber.cooling_capacity_w.source");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn durations_must_be_positive_and_finite() {
    let m = EnergyModel::default_model().expect("default model");
    for d in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            m.evaluate(&EVENTS, d),
            Err(EnergyError::InvalidDuration(_))
        ));
    }
}

#[test]
fn events_and_reports_serialise() {
    let text = toml::to_string(&EVENTS).expect("events to TOML");
    let back: Events = toml::from_str(&text).expect("events from TOML");
    assert_eq!(back, EVENTS);
    // Missing counts are zero; unknown ones are refused.
    let partial: Events = toml::from_str("dac_samples = 5").expect("partial events");
    assert_eq!(partial.dac_samples, 5);
    assert!(toml::from_str::<Events>("dac_sample = 5").is_err());
    assert_eq!(EVENTS.checked_add(&EVENTS).map(|e| e.link_bits), Some(2000));
    let max = Events {
        dac_samples: u64::MAX,
        ..Events::default()
    };
    assert_eq!(max.checked_add(&EVENTS), None);

    let r = EnergyModel::default_model()
        .expect("default model")
        .evaluate(&EVENTS, 1e-3)
        .expect("evaluate");
    let shown = toml::to_string(&r).expect("report to TOML");
    assert!(shown.contains("stage_4k") && shown.contains("wall_plug_j"));
}

#[test]
fn values_that_would_overflow_are_refused_at_load_and_results_are_finite() {
    // A value inside f64 but whose products overflow: refused, naming the file and the key.
    let e = err("[dac]\nenergy_j_per_sample = 1e300\n");
    assert!(matches!(e, EnergyError::InvalidValue { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "bad.toml: field `dac.energy_j_per_sample` = 1e300: must be at most 1e12 (MAX_PARAM), so that no energy overflows"
    );
    // At the limit, the largest counts still give finite figures.
    let model = EnergyModel::from_toml_str(
        "[dac]\nenergy_j_per_sample = 1e12\n[stages.mixing_chamber]\nwall_plug_w_per_w = 1e12\n",
        "edge.toml",
    )
    .expect("within the limits");
    let all = Events {
        link_bits: u64::MAX,
        link_lanes: u64::MAX,
        instructions_decoded: u64::MAX,
        symbols_decoded: u64::MAX,
        waveform_memory_read_bits: u64::MAX,
        multiply_adds: u64::MAX,
        dac_samples: u64::MAX,
    };
    let r = model.evaluate(&all, 1.0).expect("finite");
    assert!(r.wall_plug_j.is_finite() && r.wall_plug_w.is_finite());
    // Only an absurd duration can still overflow: an error, not `inf`.
    let e = model.evaluate(&all, 1e-300).expect_err("overflows");
    assert!(matches!(e, EnergyError::NotFinite { .. }), "{e}");
}
