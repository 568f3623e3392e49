//! Charts drawn on the server as SVG, for pages that must work without JavaScript and under the
//! CSP (no script, no inline style: colours are presentation attributes). See
//! `docs/decisions/0003-server-side-charts.md` for why this is ours and not a crate's.
//!
//! Invariants:
//! - Every chart is well-formed XML with `role="img"`, named by its `<title>` and described by
//!   its `<desc>`; every text in it is escaped and stripped of the characters XML forbids. The page shows
//!   a table of the same figures beside it (the chart is a picture of the table, never the only
//!   place a figure is).
//! - Widths are percentages of the element's width and sizes of text are pixels, so a chart
//!   fills a phone or a desktop without its text shrinking: labels sit above their bars, never
//!   beside them.
//! - Colours come from the Okabe–Ito palette, which readers with any common colour-vision
//!   deficiency can tell apart; each series also has its name in the legend and the table.

use std::fmt::Write;

use crate::text::{html_escape, xml_safe};

/// The Okabe–Ito palette in the order series take it.
pub const PALETTE: [&str; 7] = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999"];

/// How far across the drawing bars may reach (%), leaving room for the value after the last.
const PLOT: f64 = 84.0;
/// Pixels per bar row: its label, the bar, and space.
const ROW: u32 = 46;
const BAR: u32 = 18;
const TOP: u32 = 8;
const AXIS: u32 = 34;
const LEGEND: u32 = 26;
/// Slots the column chart divides its width into, however few columns it has.
const MIN_SLOTS: usize = 12;
/// Pixels for the column chart's plot.
const COLUMNS_HEIGHT: u32 = 180;

/// One series of a chart (a part of each bar).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub colour: &'static str,
}

/// One bar: its label, its parts' values (one per series), and an optional marker (a target,
/// on the same scale) and a note after its value. Bars are not links: an image holds nothing a
/// keyboard can reach, so the table beside it carries the links.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bar {
    pub label: String,
    pub values: Vec<f64>,
    pub marker: Option<f64>,
    pub note: Option<String>,
}

/// Horizontal bars, stacked when there are several series.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Unique in the page: the title's and description's ids derive from it.
    pub id: String,
    pub title: String,
    pub description: String,
    /// What the axis counts ("days", "work items").
    pub unit: String,
    pub series: Vec<Series>,
    pub bars: Vec<Bar>,
    /// Decimals of the values written after the bars.
    pub decimals: usize,
    /// What a bar's marker means ("target"), for its tooltip and the legend.
    pub marker_name: Option<String>,
}

/// Vertical columns of one series: a distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnChart {
    pub id: String,
    pub title: String,
    pub description: String,
    /// What the horizontal axis is ("days") and what columns count ("work items").
    pub x_unit: String,
    pub y_unit: String,
    /// (label, value) from left to right.
    pub columns: Vec<(String, f64)>,
    pub colour: &'static str,
}

/// A value as drawn: negative and non-finite ones (which no figure here should be) as 0.
fn finite(value: f64) -> f64 {
    if value.is_finite() { value.max(0.0) } else { 0.0 }
}

fn text(s: &str) -> String {
    html_escape(&xml_safe(s)).into_owned()
}

/// A number as the chart writes it: `decimals` places, without a trailing ".0" on whole ones.
pub fn figure(value: f64, decimals: usize) -> String {
    let written = format!("{value:.decimals$}");
    match written.split_once('.') {
        Some((whole, part)) if part.chars().all(|c| c == '0') => whole.to_owned(),
        _ => written,
    }
}

/// A round axis maximum at or above `max`, and its tick step: 1, 2 or 5 times a power of ten,
/// for four to six ticks.
pub fn scale(max: f64) -> (f64, f64) {
    if !max.is_finite() || max <= 0.0 {
        return (1.0, 1.0);
    }
    let rough = max / 5.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|s| *s >= rough).unwrap_or(10.0 * power);
    // Whole units at the least: a count never has a tick at 0.5.
    let step = if max >= 1.0 { step.max(1.0) } else { step };
    ((max / step).ceil() * step, step)
}

/// `value` as a percentage of the drawing's width on a scale ending at `top`.
fn across(value: f64, top: f64) -> f64 {
    (finite(value) / top * PLOT).min(PLOT)
}

fn pct(value: f64) -> String {
    format!("{value:.2}%")
}

fn open(out: &mut String, id: &str, title: &str, description: &str, height: u32) {
    let id = text(id);
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="100%" height="{height}" role="img" aria-labelledby="{id}-title" aria-describedby="{id}-desc" font-size="14" fill="#1b1b1b"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"##,
        text(title),
        text(description),
    );
}

impl BarChart {
    /// The chart's largest bar (the sum of its parts) or marker.
    fn largest(&self) -> f64 {
        self.bars
            .iter()
            .flat_map(|b| [b.values.iter().map(|v| finite(*v)).sum::<f64>(), finite(b.marker.unwrap_or(0.0))])
            .fold(0.0, f64::max)
    }

    fn legend_shown(&self) -> bool {
        self.series.len() > 1 || self.marker_name.is_some()
    }

    pub fn svg(&self) -> String {
        let (top, step) = scale(self.largest());
        let legend = if self.legend_shown() { LEGEND } else { 0 };
        let rows = u32::try_from(self.bars.len()).unwrap_or(u32::MAX / ROW).max(1);
        let height = legend + TOP + rows * ROW + AXIS;
        let mut out = String::with_capacity(1024 + self.bars.len() * 400);
        open(&mut out, &self.id, &self.title, &self.description, height);
        if self.legend_shown() {
            self.legend(&mut out);
        }
        let plot_top = legend + TOP;
        let plot_bottom = plot_top + rows * ROW;
        // Grid lines and the axis's figures.
        let mut tick = 0.0;
        while tick <= top + step / 2.0 {
            let x = pct(across(tick, top));
            let _ = write!(
                out,
                r##"<line x1="{x}" x2="{x}" y1="{plot_top}" y2="{plot_bottom}" stroke="#dfe1e2" stroke-width="1"/><text x="{x}" y="{}" text-anchor="{}" fill="#565c65">{}</text>"##,
                plot_bottom + 18,
                if tick == 0.0 { "start" } else { "middle" },
                figure(tick, 1),
            );
            tick += step;
        }
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" text-anchor="end" fill="#565c65">{}</text>"##,
            pct(PLOT),
            plot_bottom + AXIS - 2,
            text(&self.unit),
        );
        for (i, bar) in self.bars.iter().enumerate() {
            let y = plot_top + u32::try_from(i).unwrap_or(0) * ROW;
            self.bar(&mut out, bar, y, top);
        }
        out.push_str("</svg>");
        out
    }

    fn legend(&self, out: &mut String) {
        // Each key takes a fixed share of the width; a phone shows up to five in a row.
        let share = 100.0 / (self.series.len() + usize::from(self.marker_name.is_some())).max(1) as f64;
        for (i, s) in self.series.iter().enumerate() {
            let x = share * i as f64;
            let _ = write!(
                out,
                r#"<rect x="{}" y="4" width="12" height="12" fill="{}"/><text x="{}" dx="16" y="15">{}</text>"#,
                pct(x),
                s.colour,
                pct(x),
                text(&s.name),
            );
        }
        if let Some(name) = &self.marker_name {
            let x = pct(share * self.series.len() as f64);
            let _ = write!(
                out,
                r##"<rect x="{x}" y="2" width="3" height="16" fill="#1b1b1b"/><text x="{x}" dx="8" y="15">{}</text>"##,
                text(name),
            );
        }
    }

    fn bar(&self, out: &mut String, bar: &Bar, y: u32, top: f64) {
        let total: f64 = bar.values.iter().map(|v| finite(*v)).sum();
        let label_y = y + 16;
        let bar_y = y + 22;
        let _ = write!(out, r#"<text x="0" y="{label_y}" font-weight="bold">{}</text>"#, text(&bar.label));
        let mut start = 0.0;
        for (value, series) in bar.values.iter().zip(&self.series) {
            let value = finite(*value);
            if value > 0.0 {
                let (x, w) = (across(start, top), across(start + value, top) - across(start, top));
                let _ = write!(
                    out,
                    r#"<rect x="{}" y="{bar_y}" width="{}" height="{BAR}" fill="{}"><title>{}: {} {}</title></rect>"#,
                    pct(x),
                    pct(w),
                    series.colour,
                    text(&series.name),
                    figure(value, self.decimals),
                    text(&self.unit),
                );
            }
            start += value;
        }
        if let (Some(marker), Some(name)) = (bar.marker, &self.marker_name) {
            let x = pct(across(marker, top));
            let _ = write!(
                out,
                r##"<rect x="{x}" y="{}" width="3" height="{}" fill="#1b1b1b"><title>{}: {} {}</title></rect>"##,
                bar_y - 4,
                BAR + 8,
                text(name),
                figure(marker, self.decimals),
                text(&self.unit),
            );
        }
        // After the marker, with a white halo, so a target line under the value never hides it.
        let mut written = figure(total, self.decimals);
        if let Some(note) = &bar.note {
            written = format!("{written} · {note}");
        }
        let _ = write!(
            out,
            r##"<text x="{}" dx="6" y="{}" stroke="#ffffff" stroke-width="4" paint-order="stroke">{}</text>"##,
            pct(across(total, top)),
            bar_y + BAR - 4,
            text(&written),
        );
    }
}

impl ColumnChart {
    pub fn svg(&self) -> String {
        let largest = self.columns.iter().map(|(_, v)| finite(*v)).fold(0.0, f64::max);
        let (top, step) = scale(largest);
        let plot_top = TOP + 8;
        let plot_bottom = plot_top + COLUMNS_HEIGHT;
        let height = plot_bottom + AXIS + 6;
        let mut out = String::with_capacity(1024 + self.columns.len() * 200);
        open(&mut out, &self.id, &self.title, &self.description, height);
        // Counts up the left, in the first 8 % of the width.
        let left = 8.0;
        let y_of = |v: f64| f64::from(plot_bottom) - finite(v) / top * f64::from(COLUMNS_HEIGHT);
        let mut tick = 0.0;
        while tick <= top + step / 2.0 {
            let y = y_of(tick);
            let _ = write!(
                out,
                r##"<line x1="{}" x2="100%" y1="{y:.1}" y2="{y:.1}" stroke="#dfe1e2" stroke-width="1"/><text x="0" y="{:.1}" fill="#565c65">{}</text>"##,
                pct(left),
                y + 5.0,
                figure(tick, 1),
            );
            tick += step;
        }
        // At least a dozen slots, so a few columns stay columns rather than blocks.
        let n = self.columns.len().max(MIN_SLOTS) as f64;
        let slot = (100.0 - left) / n;
        // Label about eight columns across the width, whatever their number.
        let every = (self.columns.len() / 8).max(1);
        for (i, (label, value)) in self.columns.iter().enumerate() {
            let x = left + slot * i as f64;
            let y = y_of(*value);
            let h = f64::from(plot_bottom) - y;
            if *value > 0.0 {
                let _ = write!(
                    out,
                    r#"<rect x="{}" y="{y:.1}" width="{}" height="{h:.1}" fill="{}"><title>{} {}: {} {}</title></rect>"#,
                    pct(x + slot * 0.1),
                    pct(slot * 0.8),
                    self.colour,
                    text(label),
                    text(&self.x_unit),
                    figure(*value, 1),
                    text(&self.y_unit),
                );
            }
            if i % every == 0 {
                let _ = write!(
                    out,
                    r##"<text x="{}" y="{}" text-anchor="middle" fill="#565c65">{}</text>"##,
                    pct(x + slot / 2.0),
                    plot_bottom + 18,
                    text(label),
                );
            }
        }
        let _ = write!(
            out,
            r##"<text x="100%" y="{}" text-anchor="end" fill="#565c65">{}</text>"##,
            plot_bottom + AXIS,
            text(&self.x_unit),
        );
        out.push_str("</svg>");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_end_on_round_numbers() {
        assert_eq!(scale(0.0), (1.0, 1.0));
        assert_eq!(scale(f64::NAN), (1.0, 1.0));
        assert_eq!(scale(3.0), (3.0, 1.0));
        assert_eq!(scale(7.0), (8.0, 2.0));
        assert_eq!(scale(42.0), (50.0, 10.0));
        assert_eq!(scale(130.0), (150.0, 50.0));
        assert_eq!(scale(0.4), (0.4, 0.1));
    }

    #[test]
    fn figures_drop_a_zero_fraction_only() {
        assert_eq!(figure(1.5, 1), "1.5");
        assert_eq!(figure(2.0, 1), "2");
        assert_eq!(figure(2.04, 1), "2");
        assert_eq!(figure(3.0, 0), "3");
    }

    fn stages() -> BarChart {
        BarChart {
            id: "avg".into(),
            title: "Average days in each stage".into(),
            description: "Average days per stage.".into(),
            unit: "days".into(),
            series: vec![Series { name: "Average days".into(), colour: PALETTE[0] }],
            bars: vec![
                Bar { label: "Review".into(), values: vec![1.5], marker: Some(7.0), note: Some("2 completed".into()) },
                Bar { label: "Award".into(), values: vec![12.25], marker: Some(10.0), ..Bar::default() },
            ],
            decimals: 1,
            marker_name: Some("Target days".into()),
        }
    }

    fn stacked() -> BarChart {
        BarChart {
            id: "wip".into(),
            title: "Work in progress".into(),
            description: "By days in stage.".into(),
            unit: "work items".into(),
            series: vec![
                Series { name: "Under 1 day".into(), colour: PALETTE[4] },
                Series { name: "1 to 7 days".into(), colour: PALETTE[0] },
            ],
            bars: vec![Bar { label: "Review".into(), values: vec![3.0, 4.0], ..Bar::default() }],
            decimals: 0,
            marker_name: None,
        }
    }

    fn columns() -> ColumnChart {
        ColumnChart {
            id: "dist".into(),
            title: "How long Review took".into(),
            description: "By whole days.".into(),
            x_unit: "days".into(),
            y_unit: "work items".into(),
            columns: vec![("0".into(), 2.0), ("1".into(), 0.0), ("2".into(), 5.0)],
            colour: PALETTE[0],
        }
    }

    /// Every element of `svg` (which must be well-formed XML) with its attributes, and the
    /// text of every `<title>`.
    /// An element's name and attributes.
    type Element = (String, Vec<(String, String)>);

    fn parse(svg: &str) -> (Vec<Element>, Vec<String>) {
        let mut reader = quick_xml::Reader::from_str(svg);
        let (mut elements, mut titles, mut in_title) = (Vec::new(), Vec::new(), false);
        loop {
            match reader.read_event().expect("well-formed XML") {
                quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    in_title = name == "title";
                    let attrs = e
                        .attributes()
                        .map(|a| {
                            let a = a.expect("an attribute");
                            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                            (key, String::from_utf8_lossy(&a.value).into_owned())
                        })
                        .collect();
                    elements.push((name, attrs));
                }
                quick_xml::events::Event::Text(t) if in_title => {
                    titles.push(t.decode().expect("text").into_owned());
                }
                quick_xml::events::Event::End(_) => in_title = false,
                quick_xml::events::Event::Eof => break,
                _ => {}
            }
        }
        (elements, titles)
    }

    fn attr<'a>(element: &'a Element, name: &str) -> &'a str {
        element.1.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    #[test]
    fn charts_are_labelled_images_whose_bars_are_their_data() {
        let (elements, titles) = parse(&stages().svg());
        let svg = &elements[0];
        assert_eq!((svg.0.as_str(), attr(svg, "role")), ("svg", "img"));
        assert_eq!((attr(svg, "aria-labelledby"), attr(svg, "aria-describedby")), ("avg-title", "avg-desc"));
        assert_eq!(titles[0], "Average days in each stage");
        assert!(elements.iter().any(|e| e.0 == "desc" && attr(e, "id") == "avg-desc"));
        // The axis ends at 15 (scale(12.25)): a bar's width is its value's share of 84 %.
        let bars: Vec<&str> =
            elements.iter().filter(|e| e.0 == "rect" && attr(e, "height") == "18").map(|e| attr(e, "width")).collect();
        assert_eq!(bars, ["8.40%", "68.60%"]);
        assert!(
            titles.contains(&"Average days: 1.5 days".to_owned()) && titles.contains(&"Target days: 7 days".to_owned())
        );
        assert!(!elements.iter().any(|e| e.0 == "a"), "nothing focusable inside an image");

        let (elements, titles) = parse(&stacked().svg());
        let parts: Vec<(&str, &str)> = elements
            .iter()
            .filter(|e| e.0 == "rect" && attr(e, "height") == "18")
            .map(|e| (attr(e, "x"), attr(e, "width")))
            .collect();
        assert_eq!(parts, [("0.00%", "31.50%"), ("31.50%", "42.00%")], "stacked end to end on an axis to 8");
        assert!(titles.contains(&"1 to 7 days: 4 work items".to_owned()));

        let (elements, titles) = parse(&columns().svg());
        let heights: Vec<&str> = elements.iter().filter(|e| e.0 == "rect").map(|e| attr(e, "height")).collect();
        assert_eq!(heights, ["72.0", "180.0"], "no column for a day nothing took");
        assert!(titles.contains(&"2 days: 5 work items".to_owned()));
    }

    #[test]
    fn each_kind_of_chart_as_drawn() {
        insta::assert_snapshot!("bars_with_targets", stages().svg());
        insta::assert_snapshot!("stacked_bars", stacked().svg());
        insta::assert_snapshot!("columns", columns().svg());
    }

    #[test]
    fn text_is_escaped_and_bars_stay_inside_the_drawing() {
        let chart = BarChart {
            id: "t".into(),
            title: "A <b> & \"c\"".into(),
            description: "d\u{1}".into(),
            unit: "days".into(),
            series: vec![Series { name: "s".into(), colour: PALETTE[0] }],
            bars: vec![Bar { label: "x</text>".into(), values: vec![f64::INFINITY], ..Bar::default() }],
            decimals: 1,
            marker_name: None,
        };
        let svg = chart.svg();
        assert!(svg.contains("A &lt;b&gt; &amp; &quot;c&quot;") && svg.contains("x&lt;/text&gt;"), "{svg}");
        assert!(!svg.contains('\u{1}'));
        assert!(!svg.contains("inf") && !svg.contains("NaN"), "{svg}");
    }
}
