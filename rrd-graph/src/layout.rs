//! rrdtool's image layout (`graph_size_location`) and legend placement
//! (`leg_place`), with text widths from the embedded font, whose hinted
//! metrics are those rrdtool's pango gives for the same face.

use crate::canvas::Metrics;
use crate::element::Align;
use crate::error::{Error, Result};
use crate::font::{Face, Font};

/// Font sizes in points per rrdtool font tag.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FontSizes {
    /// TITLE (9).
    pub title: f64,
    /// AXIS (7).
    pub axis: f64,
    /// UNIT (8).
    pub unit: f64,
    /// LEGEND (8).
    pub legend: f64,
    /// WATERMARK (5.5).
    pub watermark: f64,
    /// The faces, in [`TextProp`] order (DejaVu Sans Mono by default).
    pub faces: [&'static Face; 5],
    /// Texts are pango markup (`-P`).
    pub markup: bool,
}

/// rrdtool's text properties (font tags) but DEFAULT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProp {
    /// TITLE.
    Title,
    /// AXIS.
    Axis,
    /// UNIT.
    Unit,
    /// LEGEND.
    Legend,
    /// WATERMARK.
    Watermark,
}

impl FontSizes {
    /// The face and size of a text property.
    pub fn font(&self, p: TextProp) -> Font {
        let size = match p {
            TextProp::Title => self.title,
            TextProp::Axis => self.axis,
            TextProp::Unit => self.unit,
            TextProp::Legend => self.legend,
            TextProp::Watermark => self.watermark,
        };
        Font {
            size,
            face: self.faces[p as usize],
            markup: self.markup,
        }
    }
}

impl Default for FontSizes {
    fn default() -> Self {
        FontSizes {
            title: 9.0,
            axis: 7.0,
            unit: 8.0,
            legend: 8.0,
            watermark: 5.5,
            faces: [crate::font::embedded(crate::font::Embedded::Mono); 5],
            markup: false,
        }
    }
}

/// `--legend-position`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LegendPosition {
    /// Below the graph (default).
    #[default]
    South,
    /// Above.
    North,
    /// Left.
    West,
    /// Right.
    East,
}

/// `--legend-direction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LegendDirection {
    /// In argument order, top to bottom (default).
    #[default]
    TopDown,
    /// Mirrored.
    BottomUp,
    /// Mirrored between the first and last non-COMMENT entries.
    BottomUp2,
}

/// What the layout needs to know about the options.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutOptions {
    /// `-w`.
    pub width: u32,
    /// `-h`.
    pub height: u32,
    /// `-D`.
    pub full_size: bool,
    /// `-j`.
    pub only_graph: bool,
    /// `-g`.
    pub no_legend: bool,
    /// `--disable-rrdtool-tag`.
    pub no_tag: bool,
    /// Title lines (already split).
    pub title_lines: Vec<String>,
    /// Whether a title was given at all.
    pub has_title: bool,
    /// `-v` given (non-empty).
    pub vertical_label: bool,
    /// `--right-axis-label` given (non-empty).
    pub right_axis_label: bool,
    /// `--right-axis` given.
    pub right_axis: bool,
    /// `-W` given (non-empty).
    pub watermark: bool,
    /// The x grid is drawn (not `-x none`).
    pub x_grid: bool,
    /// The y grid is drawn (not `-y none`).
    pub y_grid: bool,
    /// `-L` value and whether it was given.
    pub units_length: u32,
    /// `-L` was given.
    pub units_length_set: bool,
    /// `-T` tab width.
    pub tabwidth: f64,
    /// Legend position and direction.
    pub legend_position: LegendPosition,
    /// Legend direction.
    pub legend_direction: LegendDirection,
    /// Font sizes.
    pub fonts: FontSizes,
}

impl Default for LayoutOptions {
    fn default() -> Self {
        LayoutOptions {
            width: 400,
            height: 100,
            full_size: false,
            only_graph: false,
            no_legend: false,
            no_tag: false,
            title_lines: Vec::new(),
            has_title: false,
            vertical_label: false,
            right_axis_label: false,
            right_axis: false,
            watermark: false,
            x_grid: true,
            y_grid: true,
            units_length: 6,
            units_length_set: false,
            tabwidth: 40.0,
            legend_position: LegendPosition::South,
            legend_direction: LegendDirection::TopDown,
            fonts: FontSizes::default(),
        }
    }
}

/// One legend entry as the layout sees it: its text and whether it is a
/// TEXTALIGN (which only changes the alignment) or a COMMENT.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendItem {
    /// The text, with rrdtool's escapes (`\l`, `\g`, …) still at the end.
    pub text: String,
    /// A TEXTALIGN element.
    pub align: Option<Align>,
    /// A COMMENT (for `--legend-direction bottomup2`).
    pub comment: bool,
}

/// A placed legend entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedLegend {
    /// Index in the items handed to [`layout`].
    pub item: usize,
    /// The text as drawn (escape removed, tabs expanded into TAB).
    pub text: String,
    /// Bottom-left corner of the text.
    pub x: f64,
    /// Bottom-left corner of the text.
    pub y: f64,
    /// Width in pixels.
    pub width: f64,
}

/// The computed layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Canvas left edge.
    pub xorigin: i64,
    /// Canvas bottom edge.
    pub yorigin: i64,
    /// Canvas width.
    pub xsize: i64,
    /// Canvas height.
    pub ysize: i64,
    /// Image width.
    pub ximg: i64,
    /// Image height.
    pub yimg: i64,
    /// Vertical label anchor.
    pub vlabel: (f64, f64),
    /// Right-axis label anchor x.
    pub rlabel_x: f64,
    /// Placed legend entries.
    pub legends: Vec<PlacedLegend>,
}

/// A legend text split into text and control code.
fn control(text: &str) -> Result<(String, Option<char>)> {
    let mut t = text.replace("\\t", "\t");
    let mut code = None;
    let b = t.as_bytes();
    if b.len() >= 2 && b[b.len() - 2] == b'\\' {
        let c = b[b.len() - 1] as char;
        t.truncate(t.len() - 2);
        match c {
            'l' | 'n' | 'r' | 'j' | 'c' | 'u' | 's' | 'g' => code = Some(c),
            '.' => {}
            _ => {
                return Err(Error::refused(format!(
                    "Unknown control code at the end of '{t}\\{c}'"
                )))
            }
        }
    }
    if code == Some('n') {
        code = Some('l');
    }
    if code == Some('g') {
        let n = t.trim_end_matches(' ').len();
        t.truncate(n);
    }
    Ok((t, code))
}

/// Width of a legend text, tabs going to rrdtool's tab stops.
fn legend_width(m: &Metrics, font: Font, text: &str, tab: f64) -> f64 {
    if font.markup && (!text.contains('\t') || crate::font::markup_error(font, text).is_some()) {
        // one pango layout: what does not parse measures what it held
        return m.width(font, text);
    }
    let mut x = 0.0;
    for (i, piece) in text.split('\t').enumerate() {
        if i > 0 {
            x = ((x / tab).floor() + 1.0) * tab;
        }
        x += m.width(font, piece);
    }
    if font.markup {
        // the layout now holds the whole text
        m.width(font, text);
    }
    x
}

/// `leg_place`: positions relative to the legend origin. Returns the
/// placed items and the final `leg_y` (or, with `calc_width`, the widest
/// line).
fn leg_place(
    m: &Metrics,
    o: &LayoutOptions,
    items: &[LegendItem],
    lw_in: f64,
    calc_width: bool,
    tab: f64,
) -> Result<(Vec<PlacedLegend>, f64, f64)> {
    let font = o.fonts.font(TextProp::Legend);
    let pt = font.size;
    let border = (pt * 2.0).trunc();
    let interleg = border;
    let mut lw = if calc_width {
        0.0
    } else {
        lw_in - 2.0 * border
    };
    let mut default_align = Align::Justified;
    let mut placed = Vec::new();
    let mut texts: Vec<Option<(String, f64, f64)>> = vec![None; items.len()]; // text, width, space
    let (mut fill, mut leg_c, mut leg_y, mut mark) = (0.0f64, 0usize, 0.0f64, 0usize);
    let mut i = 0usize;
    while i < items.len() {
        let item = &items[i];
        if let Some(a) = item.align {
            default_align = a;
        }
        let fill_last = fill;
        let (text, mut code) = control(&item.text)?;
        let space;
        if !text.is_empty() {
            space = if code == Some('g') { 0.0 } else { interleg };
            if fill > 0.0 {
                fill += space;
            }
            let w = legend_width(m, font, &text, tab);
            fill += w;
            leg_c += 1;
            texts[i] = Some((text, w, space));
        } else {
            texts[i] = None;
        }
        if code == Some('g') {
            code = None;
        }
        let mut step_back = false;
        if code.is_none() {
            if calc_width && fill > lw {
                lw = fill;
            }
            if i + 1 == items.len() || fill > lw {
                code = Some(match default_align {
                    Align::Right => 'r',
                    Align::Center => 'c',
                    Align::Justified => 'j',
                    Align::Left => 'l',
                });
            }
            if fill > lw && leg_c > 1 {
                step_back = true;
                texts[i] = None;
                fill = fill_last;
                leg_c -= 1;
            }
            if leg_c == 1 && code == Some('j') {
                code = Some('l');
            }
        }
        let last = if step_back { i.wrapping_sub(1) } else { i };
        if let Some(c) = code {
            let mut x = border;
            let glue = if c == 'j' && leg_c >= 2 {
                (lw - fill) / (leg_c - 1) as f64
            } else {
                0.0
            };
            if c == 'c' {
                x = border + (lw - fill) / 2.0;
            }
            if c == 'r' {
                x = lw - fill + border;
            }
            for (k, t) in texts
                .iter()
                .enumerate()
                .take(last.wrapping_add(1))
                .skip(mark)
            {
                if let Some((text, w, space)) = t {
                    placed.push(PlacedLegend {
                        item: k,
                        text: text.clone(),
                        x,
                        y: leg_y + border,
                        width: *w,
                    });
                    // rrdtool measures each text again as it places it
                    // (with markup that does not parse, the measure differs)
                    let w = if font.markup {
                        legend_width(m, font, text, tab)
                    } else {
                        *w
                    };
                    x += w + space + glue;
                }
            }
            if x > border || c == 's' {
                leg_y = (leg_y + pt * 1.8).trunc();
            }
            if c == 's' {
                leg_y = (leg_y - pt).trunc();
            }
            if c == 'u' {
                leg_y = (leg_y - pt * 1.8).trunc();
            }
            if calc_width && fill > lw {
                lw = fill;
            }
            fill = 0.0;
            leg_c = 0;
            mark = last.wrapping_add(1);
        }
        // after an overflow the item is looked at again, on the next line
        if !step_back {
            i += 1;
        }
    }
    Ok((placed, leg_y, lw))
}

/// Computes the layout.
pub fn layout(m: &Metrics, o: &LayoutOptions, items: &[LegendItem]) -> Result<Layout> {
    let f = &o.fonts;
    if o.only_graph {
        let (w, h) = (i64::from(o.width), i64::from(o.height));
        return Ok(Layout {
            xorigin: 0,
            yorigin: h,
            xsize: w,
            ysize: h,
            ximg: w,
            yimg: h,
            vlabel: (0.0, 0.0),
            rlabel_x: 0.0,
            legends: Vec::new(),
        });
    }
    let spacing = 15i64;
    let tag = if o.no_tag { 0 } else { 15 };
    let border = (f.legend * 2.0).trunc();
    let yw = if o.watermark {
        (f.watermark * 2.0) as i64
    } else {
        0
    };
    let xv = if o.vertical_label {
        (f.unit * 2.0) as i64
    } else {
        0
    };
    let xv2 = if o.right_axis_label {
        (f.unit * 2.0) as i64
    } else {
        spacing
    };
    let yt = if o.has_title {
        (f.title * (o.title_lines.len() as f64 + 1.0) * 1.6) as i64
    } else {
        spacing
    };
    let yx = if o.x_grid { (f.axis * 2.5) as i64 } else { 0 };
    let xyl = if o.y_grid || o.units_length_set {
        (m.advance(f.font(TextProp::Axis), '0') * f64::from(o.units_length)) as i64
    } else {
        0
    } + spacing;
    let legends_on = !o.no_legend;
    let ew = matches!(
        o.legend_position,
        LegendPosition::East | LegendPosition::West
    );
    // rrdtool's tab stops: multiples of tabwidth + legend border when the
    // first text measured was the y grid's "0"
    let tab = if o.y_grid || o.units_length_set {
        o.tabwidth + border
    } else {
        o.tabwidth
    };
    let mut lwidth = 0.0;
    if legends_on && ew {
        let (_, _, widest) = leg_place(m, o, items, 0.0, true, tab)?;
        lwidth = (widest + 2.0 * border).trunc();
    }
    let lw_i = lwidth as i64;
    let r2 = if o.right_axis { xyl } else { 0 };
    let (ximg, yimg, xmain, ymain, lheight, placed);
    if o.full_size {
        ximg = i64::from(o.width);
        yimg = i64::from(o.height);
        xmain = (ximg - xyl - if legends_on && ew { lw_i } else { 0 } - r2 - tag - xv - xv2).max(1);
        let (p, lh) = if legends_on && !ew {
            let (p, y, _) = leg_place(m, o, items, ximg as f64, false, tab)?;
            (p, (y + border * 0.6).trunc() as i64)
        } else {
            (Vec::new(), 0)
        };
        let mut ym = (yimg - yx - lh - yt) as f64;
        if !legends_on {
            ym = (ym - 7.5).trunc();
        }
        ymain = (ym as i64 - yw).max(1);
        lheight = lh;
        placed = p;
    } else {
        xmain = i64::from(o.width);
        ymain = i64::from(o.height);
        ximg = xmain + xyl + tag + if legends_on && ew { lw_i } else { 0 } + r2 + xv + xv2;
        let (p, lh) = if legends_on && !ew {
            let (p, y, _) = leg_place(m, o, items, ximg as f64, false, tab)?;
            (p, (y + border * 0.6).trunc() as i64)
        } else {
            (Vec::new(), 0)
        };
        let mut yi = (ymain + yx + lh + yt) as f64;
        if !legends_on {
            yi = (yi + 7.5).trunc();
        }
        yimg = yi as i64 + yw;
        lheight = lh;
        placed = p;
    }
    let placed = if legends_on && ew {
        leg_place(m, o, items, lwidth, false, tab)?.0
    } else {
        placed
    };
    let (xorigin, yorigin, legend_origin, vlabel, rlabel_x) = match o.legend_position {
        LegendPosition::South => (
            xv + xyl,
            yt + ymain,
            (0, yt + ymain + yx),
            (0.0, (yt + ymain / 2) as f64),
            (xv + xyl + xmain + r2) as f64,
        ),
        LegendPosition::North => (
            xv + xyl,
            yt + lheight + ymain,
            (0, yt),
            (0.0, (yt + lheight + ymain / 2 + yx) as f64),
            (xv + xyl + xmain + r2) as f64,
        ),
        LegendPosition::West => (
            lw_i + xv + xyl,
            yt + ymain,
            (0, yt),
            (lwidth, (yt + ymain / 2) as f64),
            (lw_i + xv + xyl + xmain + r2) as f64,
        ),
        LegendPosition::East => (
            xv + xyl + tag,
            yt + ymain,
            (xv + xyl + xmain + xv2 + r2 + tag, yt),
            (tag as f64, (yt + ymain / 2) as f64),
            (xv + xyl + xmain + r2 + tag) as f64,
        ),
    };
    let mut legends: Vec<PlacedLegend> = placed
        .into_iter()
        .map(|p| PlacedLegend {
            x: legend_origin.0 as f64 + p.x,
            y: legend_origin.1 as f64 + p.y,
            ..p
        })
        .collect();
    mirror(o.legend_direction, items, &mut legends);
    Ok(Layout {
        xorigin,
        yorigin,
        xsize: xmain,
        ysize: ymain,
        ximg,
        yimg,
        vlabel,
        rlabel_x,
        legends,
    })
}

/// `--legend-direction bottomup` and `bottomup2`.
fn mirror(dir: LegendDirection, items: &[LegendItem], legends: &mut [PlacedLegend]) {
    let pick = |l: &&PlacedLegend| dir == LegendDirection::BottomUp || !items[l.item].comment;
    if dir == LegendDirection::TopDown {
        return;
    }
    let (Some(first), Some(last)) = (
        legends.iter().find(pick).map(|l| (l.item, l.y)),
        legends.iter().rev().find(pick).map(|l| (l.item, l.y)),
    ) else {
        return;
    };
    for l in legends.iter_mut() {
        if l.item >= first.0 && l.item <= last.0 {
            l.y = last.1 + first.1 - l.y;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(t: &str) -> LegendItem {
        LegendItem {
            text: t.into(),
            align: None,
            comment: false,
        }
    }

    /// Cases C1 and C2 of rrdtool 1.7.2's graphv (see the layout notes).
    #[test]
    fn default_layout_matches_rrdtool() {
        let m = Metrics::new();
        let o = LayoutOptions::default();
        let l = layout(&m, &o, &[item("  Line x")]).unwrap();
        assert_eq!((l.xorigin, l.yorigin - l.ysize), (51, 15));
        assert_eq!((l.ximg, l.yimg), (481, 155));
        let p = &l.legends[0];
        assert_eq!(
            (p.x, p.y - 14.0, p.x + p.width, p.y),
            (16.0, 134.0, 72.0, 148.0)
        );

        let o = LayoutOptions {
            width: 300,
            height: 150,
            has_title: true,
            title_lines: vec!["Traffic".into()],
            ..LayoutOptions::default()
        };
        let l = layout(&m, &o, &[item("  In"), item("  Out")]).unwrap();
        assert_eq!(
            (l.xorigin, l.yorigin - l.ysize, l.ximg, l.yimg),
            (51, 28, 381, 218)
        );
        assert_eq!(l.legends[0].x, 16.0);
        assert_eq!(l.legends[1].x, 330.0);
        assert_eq!(l.legends[1].y, 211.0);
    }

    #[test]
    fn control_codes() {
        assert_eq!(control("A\\l").unwrap(), ("A".into(), Some('l')));
        assert_eq!(control("A   \\g").unwrap(), ("A".into(), Some('g')));
        assert!(control("A\\x")
            .unwrap_err()
            .to_string()
            .contains("Unknown control code at the end of 'A\\x'"));
    }
}
