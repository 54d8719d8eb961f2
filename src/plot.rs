//! The report's plot: bits per encoding per circuit (log scale), qubits one link serves under
//! each encoding, and pulse bits against the per-pulse infidelity budget. SVG or PNG by the
//! file's extension; text is laid out with a font embedded in the binary (no system fonts).

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

/// A log axis range covering `values` with a little room.
fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| *v > 0.0 && v.is_finite())
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if hi <= 0.0 {
        (1.0, 10.0)
    } else {
        (lo / 2.0, hi * 2.0)
    }
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
        .caption("Control bits per circuit and encoding", (FAMILY, 22))
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
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .y_desc("bits (log scale)")
        .label_style((FAMILY, 14))
        .draw()
        .map_err(err)?;
    let k = Encoding::ALL.len() as f64;
    let width = 0.84 / k;
    for (j, enc) in Encoding::ALL.iter().enumerate() {
        let c = colour(*enc);
        let bars = data
            .circuits
            .iter()
            .enumerate()
            .filter_map(|(i, (_, rows))| {
                let bits = rows.get(*enc)?.bits? as f64;
                let x0 = i as f64 + 0.08 + j as f64 * width;
                Some(Rectangle::new(
                    [(x0, lo), (x0 + width * 0.9, bits)],
                    c.filled(),
                ))
            });
        chart.draw_series(bars).map_err(err)?;
    }
    let base = area.get_base_pixel();
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
        .y_label_area_size(110)
        .build_cartesian_2d((lo..hi).log_scale(), 0f64..n as f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .x_desc("qubits per link (log scale)")
        .label_style((FAMILY, 14))
        .draw()
        .map_err(err)?;
    // Row 0 at the top: the first encoding is drawn highest.
    let row_y = |i: usize| n.saturating_sub(1 + i) as f64;
    let bars = values.iter().enumerate().filter_map(|(i, (e, v))| {
        let v = (*v)? as f64;
        let y = row_y(i);
        Some(Rectangle::new(
            [(lo, y + 0.15), (v.max(lo), y + 0.85)],
            colour(*e).filled(),
        ))
    });
    chart.draw_series(bars).map_err(err)?;
    let base = area.get_base_pixel();
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
        let text = match v {
            Some(_) => e.label().to_string(),
            None => format!("{} (n/a)", e.label()),
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
        .x_label_formatter(&|x| format!("{x:.0e}"))
        .y_label_formatter(&|v| format!("{v:.1e}"))
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
