//! The page's charts as inline SVG, drawn here so they show without JavaScript: adoption of one
//! bundle by version (bars), and adoption over time from `--history` (one line per version).
//! Colours come from the page's CSS classes, so light, dark and print themes apply.

use super::escape::html;
use crate::fleet::status_history::Adoption;
use std::fmt::Write;

/// Height of the tallest bar, in SVG units.
const BAR_AREA: f64 = 160.0;
const BAR_WIDTH: f64 = 44.0;
const BAR_GAP: f64 = 20.0;
/// Room above the bars for the counts and below for the version labels.
const TOP: f64 = 22.0;
const BOTTOM: f64 = 28.0;

/// A bar per version (`versions`: each with its count of projects, oldest first); the newest
/// release, `latest`, is marked.
pub fn bars(name: &str, latest: Option<&str>, versions: &[(String, usize)]) -> String {
    let max = versions.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let n = versions.len().max(1) as f64;
    let width = BAR_GAP + n * (BAR_WIDTH + BAR_GAP);
    let height = TOP + BAR_AREA + BOTTOM;
    let baseline = TOP + BAR_AREA;
    let described: Vec<String> = versions
        .iter()
        .map(|(v, c)| format!("{c} on {v}"))
        .collect();
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"bars\" viewBox=\"0 0 {width} {height}\" \
         width=\"{width}\" height=\"{height}\" role=\"img\"><title>{}: {}</title>\
         <line class=\"axis\" x1=\"0\" y1=\"{baseline}\" x2=\"{width}\" y2=\"{baseline}\"/>",
        html(name),
        html(&described.join(", "))
    );
    for (i, (version, count)) in versions.iter().enumerate() {
        let h = round2(*count as f64 / max as f64 * BAR_AREA);
        let x = BAR_GAP + i as f64 * (BAR_WIDTH + BAR_GAP);
        let latest = latest == Some(version.as_str());
        let mid = x + BAR_WIDTH / 2.0;
        let _ = write!(
            svg,
            "<g class=\"bar{}\" data-version=\"{}\" data-count=\"{count}\">\
             <rect x=\"{x}\" y=\"{}\" width=\"{BAR_WIDTH}\" height=\"{h}\"><title>{}: {count} project(s)</title></rect>\
             <text class=\"count\" x=\"{mid}\" y=\"{}\">{count}</text>\
             <text class=\"version\" x=\"{mid}\" y=\"{}\">{}</text></g>",
            if latest { " latest" } else { "" },
            html(version),
            round2(baseline - h),
            html(version),
            round2(baseline - h - 6.0),
            baseline + 18.0,
            html(version),
        );
    }
    svg.push_str("</svg>");
    svg
}

const LINE_WIDTH: f64 = 640.0;
const LINE_HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 16.0;
const LINE_TOP: f64 = 12.0;
const LINE_BOTTOM: f64 = 36.0;

/// A line per version: the share of `a.bundle`'s projects on it at each snapshot, x by time
/// (evenly spaced when every snapshot has the same time). The newest version's line is marked.
pub fn lines(a: &Adoption) -> String {
    let plot_w = LINE_WIDTH - LEFT - RIGHT;
    let plot_h = LINE_HEIGHT - LINE_TOP - LINE_BOTTOM;
    let first = a.points.first().map_or(0, |p| p.unix_seconds);
    let last = a.points.last().map_or(0, |p| p.unix_seconds);
    let span = (last - first) as f64;
    let x_of = |i: usize, t: i64| -> f64 {
        let f = if span > 0.0 {
            (t - first) as f64 / span
        } else if a.points.len() > 1 {
            i as f64 / (a.points.len() - 1) as f64
        } else {
            0.5
        };
        round2(LEFT + f * plot_w)
    };
    let y_of = |share: f64| round2(LINE_TOP + (1.0 - share) * plot_h);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"lines\" viewBox=\"0 0 {LINE_WIDTH} {LINE_HEIGHT}\" \
         width=\"{LINE_WIDTH}\" height=\"{LINE_HEIGHT}\" role=\"img\" aria-describedby=\"history-{}\">\
         <title>{}: share of projects on each version per snapshot</title>",
        html(&slug(&a.bundle)),
        html(&a.bundle)
    );
    for pct in [0, 25, 50, 75, 100] {
        let y = y_of(f64::from(pct) / 100.0);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>\
             <text class=\"tick\" x=\"{}\" y=\"{}\">{pct}%</text>",
            LEFT + plot_w,
            LEFT - 6.0,
            y + 4.0
        );
    }
    for (i, p) in a.points.iter().enumerate() {
        let _ = write!(
            svg,
            "<text class=\"when\" x=\"{}\" y=\"{}\">{}</text>",
            x_of(i, p.unix_seconds),
            LINE_HEIGHT - 12.0,
            html(p.generated_at.get(..10).unwrap_or(&p.generated_at))
        );
    }
    for (v, version) in a.versions.iter().enumerate() {
        let points: Vec<String> = a
            .points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{},{}", x_of(i, p.unix_seconds), y_of(p.share(v))))
            .collect();
        let newest = *version == a.newest;
        let _ = write!(
            svg,
            "<g class=\"series s{}{}\" data-version=\"{}\"><polyline points=\"{}\"/>",
            v % 6,
            if newest { " newest" } else { "" },
            html(version),
            points.join(" ")
        );
        for (i, p) in a.points.iter().enumerate() {
            let _ = write!(
                svg,
                "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\"><title>{} {}: {}%</title></circle>",
                x_of(i, p.unix_seconds),
                y_of(p.share(v)),
                html(version),
                html(&p.generated_at),
                percent(p.share(v))
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

/// A share as a whole percentage, as the table shows it.
pub fn percent(share: f64) -> String {
    format!("{:.0}", share * 100.0)
}

/// An id-safe form of a bundle name (letters, digits, `-`).
pub fn slug(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_heights_are_proportional_and_names_are_escaped() {
        let versions = [("1.0.0".into(), 3), ("<b>".into(), 1), ("2.0.0".into(), 0)];
        let svg = bars("svc\"><script>", Some("2.0.0"), &versions);
        assert!(svg.contains("height=\"160\""), "{svg}");
        assert!(svg.contains("height=\"53.33\""), "{svg}");
        assert!(svg.contains("height=\"0\""), "{svg}");
        assert!(
            svg.contains("class=\"bar latest\" data-version=\"2.0.0\""),
            "{svg}"
        );
        assert!(!svg.contains("<script>") && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains("svc&quot;&gt;&lt;script&gt;"), "{svg}");
    }
}
