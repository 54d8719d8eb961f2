//! The report's plot: bits per encoding per circuit (log scale), qubits one link serves under
//! each encoding, and pulse bits against the per-pulse infidelity budget. SVG or PNG by the
//! file's extension; text is laid out with a font embedded in the binary (no system fonts).
//! A bar whose fidelity bound is below the budget is hatched (legend: "below fidelity budget"),
//! a total that leaves circuits out says how many, and log axes span at least two powers of ten,
//! labelled 10, 100, 1k, 10k, ... so that every axis reads without counting digits.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use eqisa_pipeline::report::analyse::{RatePoint, Rows};
use eqisa_pipeline::report::events::Encoding;

/// Image size in pixels.
const SIZE: (u32, u32) = (1400, 1150);
/// Height of the top panel (bits per circuit).
const TOP: u32 = 620;
/// Width of the legend column.
const LEGEND: u32 = 170;
/// The family every text uses; registered with the embedded font.
const FAMILY: &str = "sans-serif";

/// What the plot shows.
pub struct PlotData<'a> {
    /// Per circuit: a short name and its rows.
    pub circuits: Vec<(String, &'a Rows)>,
    /// The totals (for qubits per link).
    pub total: &'a Rows,
    /// The rate–infidelity points (summed over circuits), if computed.
    pub rate: Option<&'a [RatePoint]>,
    /// The link rate the scaling assumes, Gb/s.
    pub link_gbps: f64,
}

/// Registers the embedded font once: plotters' ab_glyph backend only knows registered fonts.
fn font_ready() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font(
            FAMILY,
            FontStyle::Normal,
            epaint_default_fonts::HACK_REGULAR,
        )
        .map_err(|_| "the embedded plot font could not be loaded".to_string())
    })
    .clone()
}

/// The colour of an encoding, the same in every panel.
fn colour(enc: Encoding) -> RGBColor {
    // Baselines in muted tones, ours in strong ones, so that the eye finds them.
    match enc {
        Encoding::Binary => RGBColor(120, 120, 120),
        Encoding::Paper => RGBColor(44, 160, 44),
        Encoding::Bzip2 => RGBColor(188, 189, 34),
        Encoding::Xz => RGBColor(140, 86, 75),
        Encoding::Zstd => RGBColor(255, 127, 14),
        Encoding::Eqisa => RGBColor(31, 80, 200),
        Encoding::RawSamples => RGBColor(190, 190, 190),
        Encoding::Dct => RGBColor(227, 60, 180),
        Encoding::ZstdSamples => RGBColor(240, 200, 60),
        Encoding::EqisaPulses => RGBColor(200, 20, 40),
    }
}

/// Write the plot to `path` (`.svg` or `.png`).
pub fn write(path: &Path, data: &PlotData<'_>) -> Result<(), String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let name = path.display().to_string();
    let fail = |e: String| format!("{name}: {e}");
    font_ready().map_err(fail)?;
    match ext.as_deref() {
        Some("svg") => {
            let root = SVGBackend::new(path, SIZE).into_drawing_area();
            draw(&root, data).map_err(fail)?;
            root.present().map_err(|e| fail(e.to_string()))
        }
        Some("png") => {
            let root = BitMapBackend::new(path, SIZE).into_drawing_area();
            draw(&root, data).map_err(fail)?;
            root.present().map_err(|e| fail(e.to_string()))
        }
        _ => Err(format!(
            "{name}: --plot writes SVG or PNG: name the file .svg or .png"
        )),
    }
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws the three panels and the legend on `root`.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &PlotData<'_>,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let (top, bottom) = root.split_vertically(TOP);
    let (chart_area, legend_area) = top.split_horizontally(SIZE.0 - LEGEND);
    let (left, right) = bottom.split_horizontally(SIZE.0 / 2);
    bits_panel(&chart_area, data)?;
    legend(&legend_area)?;
    qubits_panel(&left, data)?;
    rate_panel(&right, data)?;
    Ok(())
}

/// A log axis range covering `values` with a little room, its low end on a power of ten (so the
/// axis's baseline is labelled) and at least two decades wide: plotters labels only powers of ten
/// on a log axis that spans two decades or more, but crowds a narrower one with overlapping labels
/// between them (or, below one decade, labels one power of ten or none).
fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| *v > 0.0 && v.is_finite())
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if hi <= 0.0 {
        return (1.0, 100.0);
    }
    let lo = 10f64.powf((lo / 2.0).log10().floor());
    (lo, (hi * 2.0).max(lo * 100.0))
}

/// A log axis's tick label: 1, 10, 100, 1k, 10k, 100k, 1M, ... (two significant digits at most,
/// so a light tick between decades reads 20k or 1.5M); below 1, 0.5, 0.01, and 1e-4 style from
/// a thousandth down.
pub fn tick_label(v: f64) -> String {
    if !(v.is_finite() && v > 0.0) {
        return format!("{v}");
    }
    if v < 1e-3 {
        return format!("{v:.0e}");
    }
    const UNITS: [(f64, &str); 5] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, "")];
    let (scale, unit) = UNITS
        .iter()
        .find(|(scale, _)| v >= *scale * 0.9995)
        .copied()
        .unwrap_or((1.0, ""));
    // Two significant digits, without trailing zeros: 1.5k, 20k, 0.25.
    let x = v / scale;
    let digits = if x >= 10.0 {
        0
    } else if x >= 1.0 {
        1
    } else {
        2 - x.log10().floor() as i32 - 1
    };
    let text = format!("{:.*}", digits.max(0) as usize, x);
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{unit}")
}

/// Hatches the pixel rectangle `(x0, y0)`–`(x1, y1)` of `area` with 45° lines: the mark of a
/// fidelity below the budget, legible in colour and in grey print alike.
fn hatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
) -> Result<(), String> {
    let (x0, x1) = (x0.min(x1), x0.max(x1));
    let (y0, y1) = (y0.min(y1), y0.max(y1));
    let (w, h) = (x1 - x0, y1 - y0);
    let style = BLACK.mix(0.7).stroke_width(1);
    // Each line runs up and right from the bottom edge at x0 + t; clip it to the rectangle.
    let mut t = -h;
    while t < w {
        let s0 = (-t).max(0);
        let s1 = h.min(w - t);
        if s0 < s1 {
            area.draw(&PathElement::new(
                vec![(x0 + t + s0, y1 - s0), (x0 + t + s1, y1 - s1)],
                style,
            ))
            .map_err(err)?;
        }
        t += 6;
    }
    Ok(())
}

/// Bits per encoding per circuit: groups of bars, one group per circuit.
fn bits_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &PlotData<'_>,
) -> Result<(), String> {
    let n = data.circuits.len().max(1);
    let (lo, hi) = log_range(
        data.circuits
            .iter()
            .flat_map(|(_, r)| r.0.iter().filter_map(|(_, row)| row.bits))
            .map(|b| b as f64),
    );
    let mut chart = ChartBuilder::on(area)
        .caption(
            "Control bits per circuit and encoding (hatched: fidelity below the budget)",
            (FAMILY, 22),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..n as f64, (lo..hi).log_scale())
        .map_err(err)?;
    // Category axes: plotters places numeric ticks only, so the names are drawn by hand.
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(12)
        .y_label_formatter(&|v| tick_label(*v))
        .y_desc("bits (log scale)")
        .label_style((FAMILY, 14))
        .draw()
        .map_err(err)?;
    let k = Encoding::ALL.len() as f64;
    let width = 0.84 / k;
    let base = area.get_base_pixel();
    let mut below = Vec::new();
    // Slots of encodings with nothing for a circuit: marked, so that a gap is not misread.
    let mut missing: Vec<(f64, Encoding)> = Vec::new();
    for (j, enc) in Encoding::ALL.iter().enumerate() {
        let c = colour(*enc);
        let mut bars = Vec::new();
        for (i, (_, rows)) in data.circuits.iter().enumerate() {
            let x0 = i as f64 + 0.08 + j as f64 * width;
            let Some(bits) = rows.get(*enc).and_then(|r| r.bits) else {
                missing.push((x0 + width * 0.45, *enc));
                continue;
            };
            let Some(row) = rows.get(*enc) else { continue };
            let corners = [(x0, lo), (x0 + width * 0.9, bits as f64)];
            if row.meets_budget == Some(false) {
                // Paler, and hatched below: the eye should not weigh it like a comparable bar.
                bars.push(Rectangle::new(corners, c.mix(0.35).filled()));
                below.push(corners);
            } else {
                bars.push(Rectangle::new(corners, c.filled()));
            }
        }
        chart.draw_series(bars).map_err(err)?;
    }
    for [a, b] in below {
        let (pa, pb) = (chart.backend_coord(&a), chart.backend_coord(&b));
        hatch(
            area,
            (pa.0 - base.0, pa.1 - base.1),
            (pb.0 - base.0, pb.1 - base.1),
        )?;
    }
    let na = (FAMILY, 12)
        .into_font()
        .transform(FontTransform::Rotate270)
        .color(&RGBColor(90, 90, 90))
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (x, enc) in missing {
        let (px, py) = chart.backend_coord(&(x, lo));
        area.draw(&Text::new(
            format!("{} n/a", enc.label()),
            (px - base.0, py - base.1 - 4),
            na.clone(),
        ))
        .map_err(err)?;
    }
    let style = (FAMILY, 14)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    for (i, (name, _)) in data.circuits.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64 + 0.5, lo));
        area.draw(&Text::new(
            name.clone(),
            (x - base.0, y - base.1 + 8),
            style.clone(),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// The encodings' colours, shared by the two bar panels.
fn legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> Result<(), String> {
    let style = (FAMILY, 15).into_font().color(&BLACK);
    area.draw(&Text::new("encodings", (10, 40), style.clone()))
        .map_err(err)?;
    for (i, enc) in Encoding::ALL.iter().enumerate() {
        let y = 70 + 26 * i as i32;
        area.draw(&Rectangle::new(
            [(10, y), (28, y + 16)],
            colour(*enc).filled(),
        ))
        .map_err(err)?;
        area.draw(&Text::new(enc.label(), (36, y + 1), style.clone()))
            .map_err(err)?;
    }
    // The mark of a fidelity below the budget, as the bars carry it.
    let y = 70 + 26 * Encoding::ALL.len() as i32 + 14;
    area.draw(&Rectangle::new(
        [(10, y), (28, y + 16)],
        RGBColor(120, 120, 120).mix(0.35).filled(),
    ))
    .map_err(err)?;
    hatch(area, (10, y), (28, y + 16))?;
    area.draw(&Text::new("below fidelity", (36, y + 1), style.clone()))
        .map_err(err)?;
    area.draw(&Text::new("budget", (36, y + 18), style))
        .map_err(err)?;
    Ok(())
}

/// Qubits one link serves under each encoding (totals), horizontal bars on a log axis.
fn qubits_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &PlotData<'_>,
) -> Result<(), String> {
    let values: Vec<(Encoding, Option<u64>)> = Encoding::ALL
        .iter()
        .map(|&e| (e, data.total.get(e).and_then(|r| r.qubits_per_link)))
        .collect();
    // Per encoding: circuits its total leaves out, and whether it is below the budget.
    let left_out = |e: Encoding| {
        data.total
            .get(e)
            .and_then(|r| r.excludes.as_ref())
            .map_or(0, Vec::len)
    };
    let below = |e: Encoding| data.total.get(e).and_then(|r| r.meets_budget) == Some(false);
    let (lo, hi) = log_range(values.iter().filter_map(|(_, v)| v.map(|v| v as f64)));
    let lo = lo.max(0.5);
    // Room at the right for the counts.
    let hi = hi.max(lo * 10.0) * 4.0;
    let n = values.len();
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "Qubits one {} Gb/s link serves (all circuits)",
                data.link_gbps
            ),
            (FAMILY, 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(170)
        .build_cartesian_2d((lo..hi).log_scale(), 0f64..n as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_label_formatter(&|v| tick_label(*v))
        .x_desc("qubits per link (log scale)")
        .label_style((FAMILY, 14))
        .draw()
        .map_err(err)?;
    // Row 0 at the top: the first encoding is drawn highest.
    let row_y = |i: usize| n.saturating_sub(1 + i) as f64;
    let base = area.get_base_pixel();
    let mut hatched = Vec::new();
    let bars: Vec<_> = values
        .iter()
        .enumerate()
        .filter_map(|(i, (e, v))| {
            let v = (*v)? as f64;
            let y = row_y(i);
            let corners = [(lo, y + 0.15), (v.max(lo), y + 0.85)];
            let fill = if below(*e) {
                hatched.push(corners);
                colour(*e).mix(0.35).filled()
            } else {
                colour(*e).filled()
            };
            Some(Rectangle::new(corners, fill))
        })
        .collect();
    chart.draw_series(bars).map_err(err)?;
    for [a, b] in hatched {
        let (pa, pb) = (chart.backend_coord(&a), chart.backend_coord(&b));
        hatch(
            area,
            (pa.0 - base.0, pa.1 - base.1),
            (pb.0 - base.0, pb.1 - base.1),
        )?;
    }
    let style = (FAMILY, 14)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Right, VPos::Center));
    let value_style = (FAMILY, 13)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (i, (e, v)) in values.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(lo, row_y(i) + 0.5));
        let text = match (v, left_out(*e)) {
            (None, _) => format!("{} (n/a)", e.label()),
            (Some(_), 0) => e.label().to_string(),
            (Some(_), n) => format!("{} (excl. {n})", e.label()),
        };
        area.draw(&Text::new(
            text,
            (x - base.0 - 8, y - base.1),
            style.clone(),
        ))
        .map_err(err)?;
        // The count at the bar's end (a bar of 0 qubits has no length on a log axis).
        if let Some(q) = v {
            let (x, y) = chart.backend_coord(&((*q as f64).max(lo), row_y(i) + 0.5));
            area.draw(&Text::new(
                q.to_string(),
                (x - base.0 + 6, y - base.1),
                value_style.clone(),
            ))
            .map_err(err)?;
        }
    }
    Ok(())
}

/// Pulse bits against the per-pulse infidelity budget: ours and the DCT baseline.
fn rate_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &PlotData<'_>,
) -> Result<(), String> {
    let Some(points) = data.rate.filter(|p| !p.is_empty()) else {
        let style = (FAMILY, 16).into_font().color(&BLACK);
        area.draw(&Text::new(
            "rate-infidelity curve not computed (--no-rate-curve)",
            (40, 60),
            style,
        ))
        .map_err(err)?;
        return Ok(());
    };
    let (xlo, xhi) = log_range(points.iter().map(|p| p.budget));
    let (ylo, yhi) = log_range(
        points
            .iter()
            .flat_map(|p| [p.eqisa_bits as f64, p.dct_bits as f64]),
    );
    let mut chart = ChartBuilder::on(area)
        .caption(
            "Pulse bits vs per-pulse infidelity budget (all circuits)",
            (FAMILY, 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d((xlo..xhi).log_scale(), (ylo..yhi).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("added infidelity budget per pulse")
        .y_desc("bits")
        .x_label_formatter(&|x| tick_label(*x))
        .y_label_formatter(&|v| tick_label(*v))
        .label_style((FAMILY, 14))
        .draw()
        .map_err(err)?;
    for enc in [Encoding::EqisaPulses, Encoding::Dct] {
        let bits = |p: &RatePoint| match enc {
            Encoding::Dct => p.dct_bits,
            _ => p.eqisa_bits,
        };
        let c = colour(enc);
        let xy: Vec<(f64, f64)> = points.iter().map(|p| (p.budget, bits(p) as f64)).collect();
        chart
            .draw_series(LineSeries::new(xy.clone(), c.stroke_width(2)))
            .map_err(err)?
            .label(enc.label())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
        chart
            .draw_series(xy.into_iter().map(|p| Circle::new(p, 4, c.filled())))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FAMILY, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_short() {
        let got: Vec<String> = [
            1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6, 2e7, 1.5e9, 0.5, 0.01, 1e-5,
        ]
        .iter()
        .map(|&v| tick_label(v))
        .collect();
        assert_eq!(
            got,
            [
                "1", "10", "100", "1k", "10k", "100k", "1M", "20M", "1.5G", "0.5", "0.01", "1e-5"
            ]
        );
        // Powers of ten as plotters computes them (repeated products) still read cleanly.
        let mut v = 1.0f64;
        for _ in 0..9 {
            v *= 10.0;
            assert!(tick_label(v).len() <= 4, "{v}: {}", tick_label(v));
        }
        assert_eq!(tick_label(999.9999999), "1k");
    }

    #[test]
    fn log_ranges_hold_two_powers_of_ten() {
        for values in [
            vec![300.0, 310.0],
            vec![1200.0],
            vec![5.0, 9.0],
            vec![2e3, 9e7],
        ] {
            let (lo, hi) = log_range(values.iter().copied());
            assert!(values.iter().all(|v| lo <= *v && *v <= hi));
            let inside = (hi.log10().floor() - lo.log10().ceil()) as i32 + 1;
            assert!(inside >= 3, "{values:?}: {lo}..{hi}");
            assert_eq!(lo, 10f64.powf(lo.log10().round()), "{values:?}: {lo}");
        }
        assert_eq!(log_range(std::iter::empty()), (1.0, 100.0));
    }
}
