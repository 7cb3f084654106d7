//! Pango markup (`-P`/`--pango-markup`): the tags and `<span>` attributes
//! that rrdtool users send, parsed as GMarkup and pango parse them, into
//! runs of text that share a face, size, colours and decorations.
//!
//! Tags: `<b> <i> <u> <s> <tt> <big> <small> <sup> <sub>`, `<span>` (and
//! pango's implicit `<markup>`). `<span>` attributes: `font`/`font_desc`,
//! `font_family`/`face`, `size`/`font_size`, `style`/`font_style`,
//! `weight`/`font_weight`, `foreground`/`fgcolor`/`color`,
//! `background`/`bgcolor`, `alpha`/`fgalpha`, `bgalpha`, `underline`,
//! `strikethrough`, `rise`. Entities: `&lt; &gt; &amp; &quot; &apos;` and
//! character references. Anything else pango rejects is an error with
//! pango's wording; a pango attribute we do not draw (`letter_spacing`,
//! `variant`, …) is an error that names it.

use crate::canvas::Rgba;
use crate::font::{Description, Face, Font};

/// One run of text in one style.
#[derive(Debug, Clone)]
pub struct Run {
    /// The text.
    pub text: String,
    /// Face and size.
    pub font: Font,
    /// Text colour (None: the caller's).
    pub color: Option<Rgba>,
    /// Opacity applied to the text colour.
    pub alpha: f64,
    /// Background colour.
    pub background: Option<Rgba>,
    /// Underlined.
    pub underline: bool,
    /// Struck through.
    pub strike: bool,
    /// Baseline shift upwards, in pixels (pango units of the layout).
    pub rise: f64,
}

/// The style an open tag leaves for the text inside it.
#[derive(Debug, Clone)]
struct Style {
    families: Option<Vec<String>>,
    weight: u16,
    italic: bool,
    /// An absolute size in points (a `size` or `font` with a size).
    size: Option<f64>,
    /// Scale applied to the size.
    scale: f64,
    color: Option<Rgba>,
    alpha: Option<f64>,
    background: Option<Rgba>,
    bg_alpha: Option<f64>,
    underline: bool,
    strike: bool,
    /// Rise in pixels.
    rise: f64,
    /// `<sup>`/`<sub>` nesting (scale and shift from the face's metrics).
    script: Vec<bool>,
}

/// A markup error, worded as pango words it (without the line and
/// character, which rrdtool only prints in a warning).
pub type MarkupError = String;

/// Parses `markup` in `base` (the text property's face and size).
pub fn parse(markup: &str, base: Font) -> Result<Vec<Run>, MarkupError> {
    let mut stack: Vec<(String, Style)> = Vec::new();
    let root = Style {
        families: None,
        weight: base.face.weight,
        italic: false,
        size: None,
        scale: 1.0,
        color: None,
        alpha: None,
        background: None,
        bg_alpha: None,
        underline: false,
        strike: false,
        rise: 0.0,
        script: Vec::new(),
    };
    let mut runs: Vec<Run> = Vec::new();
    let mut text = String::new();
    let b = markup.as_bytes();
    let mut i = 0;
    let mut fonts = FontCache::default();
    let flush = |text: &mut String,
                 runs: &mut Vec<Run>,
                 st: &Style,
                 fonts: &mut FontCache|
     -> Result<(), MarkupError> {
        if !text.is_empty() {
            let run = fonts.run(std::mem::take(text), st, base, runs.last())?;
            runs.push(run);
        }
        Ok(())
    };
    while i < b.len() {
        match b[i] {
            b'&' => {
                let (c, n) = entity(&markup[i..])?;
                text.push(c);
                i += n;
            }
            b'<' => {
                let cur = stack.last().map_or(&root, |s| &s.1).clone();
                if markup[i..].starts_with("<!--") {
                    let end = markup[i + 4..]
                        .find("-->")
                        .ok_or("Document ended unexpectedly inside a comment")?;
                    i += 4 + end + 3;
                    continue;
                }
                if b.get(i + 1) == Some(&b'/') {
                    let rest = &markup[i + 2..];
                    let n = name_len(rest);
                    let name = &rest[..n];
                    let after = rest[n..].trim_start();
                    if n == 0 || !after.starts_with('>') {
                        return Err(format!(
                            "“{}” is not a valid character following the characters “</”; “{}” may not begin an element name",
                            rest.chars().next().unwrap_or(' '),
                            rest.chars().next().unwrap_or(' ')
                        ));
                    }
                    match stack.last() {
                        Some((open, _)) if open == name => {}
                        Some((open, _)) => {
                            return Err(format!(
                                "Element “{name}” was closed, but the currently open element is “{open}”"
                            ))
                        }
                        None => {
                            return Err(format!(
                                "Element “{name}” was closed, no element is currently open"
                            ))
                        }
                    }
                    flush(&mut text, &mut runs, &cur, &mut fonts)?;
                    stack.pop();
                    i = markup.len() - after.len() + 1;
                    continue;
                }
                let rest = &markup[i + 1..];
                let n = name_len(rest);
                if n == 0 {
                    let c = rest.chars().next();
                    return Err(match c {
                        None => "Document ended unexpectedly just after an open angle bracket “<”"
                            .to_string(),
                        Some(c) => format!(
                            "“{c}” is not a valid character following a “<” character; it may not begin an element name"
                        ),
                    });
                }
                let name = rest[..n].to_string();
                let (attrs, used, empty) = attributes(&name, &rest[n..])?;
                flush(&mut text, &mut runs, &cur, &mut fonts)?;
                let style = apply(&name, &attrs, cur)?;
                i += 1 + n + used;
                if !empty {
                    stack.push((name, style));
                }
            }
            _ => {
                let c = markup[i..].chars().next().unwrap_or('\u{fffd}');
                text.push(c);
                i += c.len_utf8();
            }
        }
    }
    if let Some((open, _)) = stack.last() {
        return Err(format!(
            "Document ended unexpectedly with elements still open — “{open}” was the last element opened"
        ));
    }
    flush(&mut text, &mut runs, &root, &mut fonts)?;
    Ok(runs)
}

/// Length of an element or attribute name at the start of `s`.
fn name_len(s: &str) -> usize {
    let mut n = 0;
    for (k, c) in s.char_indices() {
        let ok = if k == 0 {
            c.is_alphabetic() || c == '_' || c == ':'
        } else {
            c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.')
        };
        if !ok {
            break;
        }
        n = k + c.len_utf8();
    }
    n
}

/// An entity or character reference at the start of `s`: the character
/// and the bytes it takes.
fn entity(s: &str) -> Result<(char, usize), MarkupError> {
    let end = s.find(';').filter(|&e| e <= 12);
    let Some(end) = end else {
        return Err(
            "Entity did not end with a semicolon; most likely you used an ampersand character without intending to start an entity — escape ampersand as &amp;"
                .to_string(),
        );
    };
    let name = &s[1..end];
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let num = if let Some(h) = name.strip_prefix("#x") {
                u32::from_str_radix(h, 16).ok()
            } else if let Some(d) = name.strip_prefix('#') {
                d.parse::<u32>().ok()
            } else {
                return Err(format!("Entity name “{name}” is not known"));
            };
            num.and_then(char::from_u32)
                .filter(|&c| c != '\0')
                .ok_or_else(|| format!("Failed to parse “{name}”, which should have been a digit inside a character reference"))?
        }
    };
    Ok((c, end + 1))
}

/// The attributes of a start tag (after its name) up to `>` or `/>`:
/// the pairs, the bytes used and whether the element is empty.
#[allow(clippy::type_complexity)]
fn attributes(tag: &str, s: &str) -> Result<(Vec<(String, String)>, usize, bool), MarkupError> {
    let mut out = Vec::new();
    let mut i = 0;
    let b = s.as_bytes();
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        match b.get(i) {
            None => {
                return Err(format!(
                    "Document ended unexpectedly inside an element’s opening tag “{tag}”"
                ))
            }
            Some(b'>') => return Ok((out, i + 1, false)),
            Some(b'/') if b.get(i + 1) == Some(&b'>') => return Ok((out, i + 2, true)),
            _ => {}
        }
        let n = name_len(&s[i..]);
        if n == 0 {
            return Err(format!(
                "Odd character “{}”, expected a “>” or “/” character to end the start tag of element “{tag}”, or optionally an attribute",
                s[i..].chars().next().unwrap_or(' ')
            ));
        }
        let name = s[i..i + n].to_string();
        i += n;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            return Err(format!(
                "Odd character “{}”, expected a “=” after attribute name “{name}” of element “{tag}”",
                s[i..].chars().next().unwrap_or(' ')
            ));
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let q = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => {
                return Err(format!(
                    "Odd character “{}”, expected an open quote mark after the equals sign when giving value for attribute “{name}” of element “{tag}”",
                    s[i..].chars().next().unwrap_or(' ')
                ))
            }
        };
        i += 1;
        let start = i;
        while i < b.len() && b[i] != q {
            if b[i] == b'<' {
                return Err(format!(
                    "Odd character “<”, expected a closing quote for the value of attribute “{name}”"
                ));
            }
            i += 1;
        }
        if i >= b.len() {
            return Err(format!(
                "Document ended unexpectedly inside an element’s opening tag “{tag}”"
            ));
        }
        let raw = &s[start..i];
        let mut value = String::new();
        let mut k = 0;
        while k < raw.len() {
            if raw.as_bytes()[k] == b'&' {
                let (c, n) = entity(&raw[k..])?;
                value.push(c);
                k += n;
            } else {
                let c = raw[k..].chars().next().unwrap_or(' ');
                value.push(c);
                k += c.len_utf8();
            }
        }
        out.push((name, value));
        i += 1;
    }
}

/// The style inside element `tag` with `attrs`, opened in `cur`.
fn apply(tag: &str, attrs: &[(String, String)], mut st: Style) -> Result<Style, MarkupError> {
    if tag != "span" {
        if let Some((a, _)) = attrs.first() {
            return Err(format!("Tag “{tag}” does not support attribute “{a}”"));
        }
    }
    match tag {
        "markup" => {}
        "b" => st.weight = 700,
        "i" => st.italic = true,
        "u" => st.underline = true,
        "s" => st.strike = true,
        "tt" => st.families = Some(vec!["Monospace".to_string()]),
        "big" => st.scale *= 1.2,
        "small" => st.scale /= 1.2,
        "sup" => st.script.push(true),
        "sub" => st.script.push(false),
        "span" => {
            for (name, v) in attrs {
                span_attribute(&mut st, name.replace('-', "_").as_str(), v)?;
            }
        }
        _ => return Err(format!("Unknown tag '{tag}'")),
    }
    Ok(st)
}

fn span_attribute(st: &mut Style, name: &str, v: &str) -> Result<(), MarkupError> {
    match name {
        "font" | "font_desc" => {
            let d = crate::font::parse_description(v);
            if !d.families.is_empty() {
                st.families = Some(d.families);
            }
            st.weight = d.weight;
            st.italic = d.italic;
            if let Some(size) = description_size(v) {
                st.size = Some(size);
                st.scale = 1.0;
            }
        }
        "font_family" | "face" => st.families = Some(vec![v.to_string()]),
        "size" | "font_size" => {
            let level = match v {
                "xx-small" => Some(-3),
                "x-small" => Some(-2),
                "small" => Some(-1),
                "medium" => Some(0),
                "large" => Some(1),
                "x-large" => Some(2),
                "xx-large" => Some(3),
                _ => None,
            };
            if let Some(l) = level {
                st.scale = 1.2f64.powi(l);
            } else if v == "larger" {
                st.scale *= 1.2;
            } else if v == "smaller" {
                st.scale /= 1.2;
            } else if let Some(p) = v.strip_suffix('%').and_then(|p| p.parse::<f64>().ok()) {
                st.scale = p / 100.0;
            } else if let Some(pt) = v.strip_suffix("pt").and_then(|p| p.parse::<f64>().ok()) {
                st.size = Some(pt);
                st.scale = 1.0;
            } else if let Ok(n) = v.parse::<u32>() {
                st.size = Some(f64::from(n) / 1024.0);
                st.scale = 1.0;
            } else {
                return Err(format!(
                    "Value of 'size' attribute on <span> tag on line 1 could not be parsed; should be an integer, or a string such as 'small', not '{v}'"
                ));
            }
        }
        "style" | "font_style" => {
            st.italic = match v {
                "normal" => false,
                "italic" | "oblique" => true,
                _ => {
                    return Err(format!(
                        "'{v}' is not a valid value for the 'style' attribute on <span> tag, line 1; valid values are 'normal', 'oblique', 'italic'"
                    ))
                }
            }
        }
        "weight" | "font_weight" => {
            st.weight = match v {
                "thin" => 100,
                "ultralight" => 200,
                "light" => 300,
                "semilight" => 350,
                "book" => 380,
                "normal" => 400,
                "medium" => 500,
                "semibold" => 600,
                "bold" => 700,
                "ultrabold" => 800,
                "heavy" => 900,
                "ultraheavy" => 1000,
                _ => match v.parse::<u16>() {
                    Ok(n) if (100..=1000).contains(&n) => n,
                    _ => {
                        return Err(format!(
                            "'{v}' is not a valid value for the 'weight' attribute on <span> tag, line 1; valid values are for example 'light', 'ultrabold' or a number"
                        ))
                    }
                },
            }
        }
        "foreground" | "fgcolor" | "color" => {
            let (c, a) = color(v).ok_or_else(|| {
                format!("Could not parse foreground color specification '{v}' on line 1")
            })?;
            st.color = Some(c);
            if a.is_some() {
                st.alpha = a;
            }
        }
        "background" | "bgcolor" => {
            let (c, a) = color(v).ok_or_else(|| {
                format!("Could not parse background color specification '{v}' on line 1")
            })?;
            st.background = Some(c);
            if a.is_some() {
                st.bg_alpha = a;
            }
        }
        "alpha" | "fgalpha" => st.alpha = Some(alpha(v, name)?),
        "bgalpha" => st.bg_alpha = Some(alpha(v, name)?),
        "underline" => {
            st.underline = match v {
                "none" | "false" => false,
                "single" | "double" | "low" | "error" | "true" => true,
                _ => {
                    return Err(format!(
                        "'{v}' is not a valid value for the 'underline' attribute on <span> tag, line 1; valid values are for example 'none', 'single', 'double', 'low', 'error'"
                    ))
                }
            }
        }
        "strikethrough" => {
            st.strike = match v {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(format!(
                        "'strikethrough' attribute on <span> tag, line 1 should have one of 'true/yes/t/y' or 'false/no/f/n': '{v}' is not valid"
                    ))
                }
            }
        }
        "rise" => {
            // pango units are 1/1024 of the layout's unit, a pixel here;
            // pango reads "Npt" as N * 1024 units, so as N pixels
            st.rise += if let Some(pt) = v.strip_suffix("pt").and_then(|p| p.parse::<f64>().ok()) {
                pt
            } else if let Ok(n) = v.parse::<i32>() {
                f64::from(n) / 1024.0
            } else {
                return Err(format!(
                    "Value of 'rise' attribute on <span> tag on line 1 could not be parsed; should be an integer, not '{v}'"
                ));
            }
        }
        // attributes pango knows and rrd does not draw
        "variant" | "stretch" | "font_stretch" | "letter_spacing" | "underline_color"
        | "strikethrough_color" | "overline" | "overline_color" | "gravity" | "gravity_hint"
        | "font_features" | "fallback" | "lang" | "allow_breaks" | "insert_hyphens"
        | "show" | "line_height" | "text_transform" | "segment" | "baseline_shift"
        | "font_scale" => {
            return Err(format!(
                "pango markup: the <span> attribute '{name}' is not supported by rrd"
            ));
        }
        _ => return Err(format!("Attribute '{name}' is not allowed on the <span> tag on line 1 char 1")),
    }
    Ok(())
}

/// The size a font description gives, in points (pango: the last word,
/// a number, optionally "px").
fn description_size(s: &str) -> Option<f64> {
    let last = s.trim_end().rsplit([' ', ',']).next()?;
    if let Some(px) = last.strip_suffix("px") {
        return px.parse::<f64>().ok().map(|p| p * 72.0 / 100.0);
    }
    last.parse::<f64>().ok().filter(|v| *v > 0.0)
}

fn alpha(v: &str, name: &str) -> Result<f64, MarkupError> {
    if let Some(p) = v.strip_suffix('%').and_then(|p| p.parse::<f64>().ok()) {
        return Ok((p / 100.0).clamp(0.0, 1.0));
    }
    match v.parse::<u32>() {
        Ok(n) if (1..=65536).contains(&n) => Ok(f64::from(n.min(65535)) / 65535.0),
        _ => Err(format!(
            "Could not parse {name} specification '{v}' on line 1"
        )),
    }
}

/// `pango_color_parse`: `#rgb`, `#rrggbb`, `#rrrgggbbb`, `#rrrrggggbbbb`
/// (and the same with alpha, as pango 1.50 reads them) or a colour name.
fn color(v: &str) -> Option<(Rgba, Option<f64>)> {
    if let Some(hex) = v.strip_prefix('#') {
        if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let (n, alpha) = match hex.len() {
            3 | 6 | 9 | 12 => (hex.len() / 3, false),
            4 | 8 | 16 => (hex.len() / 4, true),
            _ => return None,
        };
        let comp = |k: usize| {
            let s = &hex[k * n..(k + 1) * n];
            let x = u32::from_str_radix(s, 16).ok()?;
            let max = (1u32 << (4 * n)) - 1;
            Some(f64::from(x) / f64::from(max))
        };
        let c = Rgba {
            r: comp(0)?,
            g: comp(1)?,
            b: comp(2)?,
            a: 1.0,
        };
        return Some((c, if alpha { Some(comp(3)?) } else { None }));
    }
    let n: String = v
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    // X11's colour names, as pango knows them (the common ones)
    let rgb: u32 = match n.as_str() {
        "black" => 0x000000,
        "white" => 0xffffff,
        "red" => 0xff0000,
        "green" => 0x00ff00,
        "blue" => 0x0000ff,
        "yellow" => 0xffff00,
        "cyan" | "aqua" => 0x00ffff,
        "magenta" | "fuchsia" => 0xff00ff,
        "gray" | "grey" => 0xbebebe,
        "darkgray" | "darkgrey" => 0xa9a9a9,
        "lightgray" | "lightgrey" => 0xd3d3d3,
        "dimgray" | "dimgrey" => 0x696969,
        "silver" => 0xc0c0c0,
        "orange" => 0xffa500,
        "darkorange" => 0xff8c00,
        "purple" => 0xa020f0,
        "brown" => 0xa52a2a,
        "pink" => 0xffc0cb,
        "navy" | "navyblue" => 0x000080,
        "darkblue" => 0x00008b,
        "darkgreen" => 0x006400,
        "darkred" => 0x8b0000,
        "maroon" => 0xb03060,
        "olive" => 0x808000,
        "teal" => 0x008080,
        "lime" | "limegreen" => 0x32cd32,
        "gold" => 0xffd700,
        "violet" => 0xee82ee,
        "indigo" => 0x4b0082,
        "skyblue" => 0x87ceeb,
        "steelblue" => 0x4682b4,
        "royalblue" => 0x4169e1,
        "forestgreen" => 0x228b22,
        "crimson" => 0xdc143c,
        "tomato" => 0xff6347,
        "salmon" => 0xfa8072,
        "khaki" => 0xf0e68c,
        "beige" => 0xf5f5dc,
        "ivory" => 0xfffff0,
        "tan" => 0xd2b48c,
        "chocolate" => 0xd2691e,
        "coral" => 0xff7f50,
        "turquoise" => 0x40e0d0,
        "orchid" => 0xda70d6,
        "plum" => 0xdda0dd,
        "slategray" | "slategrey" => 0x708090,
        "transparent" => {
            return Some((
                Rgba {
                    r: 0.0,
                    g: 0.0,
                    b: 0.0,
                    a: 1.0,
                },
                Some(0.0),
            ))
        }
        _ => return None,
    };
    let f = |s: u32| f64::from((rgb >> s) & 0xff) / 255.0;
    Some((
        Rgba {
            r: f(16),
            g: f(8),
            b: f(0),
            a: 1.0,
        },
        None,
    ))
}

/// Faces resolved while parsing one text.
#[derive(Default)]
struct FontCache {
    faces: Vec<(Vec<String>, u16, bool, &'static Face)>,
}

impl FontCache {
    fn face(
        &mut self,
        families: &[String],
        weight: u16,
        italic: bool,
    ) -> Result<&'static Face, MarkupError> {
        if let Some(f) = self
            .faces
            .iter()
            .find(|(f, w, i, _)| f == families && *w == weight && *i == italic)
        {
            return Ok(f.3);
        }
        let d = Description {
            families: families.to_vec(),
            weight,
            italic,
        };
        let face = crate::font::resolve_description(&d).map_err(|e| e.to_string())?;
        self.faces.push((families.to_vec(), weight, italic, face));
        Ok(face)
    }

    fn run(
        &mut self,
        text: String,
        st: &Style,
        base: Font,
        prev: Option<&Run>,
    ) -> Result<Run, MarkupError> {
        let face = match (&st.families, st.weight == base.face.weight && !st.italic) {
            (None, true) => base.face,
            (None, false) => {
                let fam = vec![base.face.family.clone()];
                self.face(&fam, st.weight, st.italic)?
            }
            (Some(f), _) => self.face(f, st.weight, st.italic)?,
        };
        let mut size = st.size.unwrap_or(base.size) * st.scale;
        let mut rise = st.rise;
        // <sup>/<sub>: scaled and shifted by the metrics of the text before
        // (pango 1.50: OS/2 sub/superscript sizes and offsets, else 1/1.2
        // and 5000 pango units)
        for &up in &st.script {
            let before = prev.map(|r| (r.font.face, r.font.size));
            let (scale, shift) =
                match before.and_then(|(f, s)| f.script_metrics(up).map(|m| (m, s))) {
                    Some(((k, off), s)) => (k, off * crate::font::px(s)),
                    None => (1.0 / 1.2, 5000.0 / 1024.0),
                };
            size *= scale;
            rise += if up { shift } else { -shift };
        }
        let fg_alpha = st.alpha.unwrap_or(1.0);
        Ok(Run {
            text,
            font: Font {
                size,
                face,
                markup: false,
            },
            color: st.color,
            alpha: fg_alpha,
            background: st.background.map(|c| c.fade(st.bg_alpha.unwrap_or(1.0))),
            underline: st.underline,
            strike: st.strike,
            rise,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Seen = (String, f64, u16, Option<Rgba>);

    fn runs(m: &str) -> Result<Vec<Seen>, MarkupError> {
        Ok(parse(m, Font::default_at(8.0))?
            .into_iter()
            .map(|r| (r.text, r.font.size, r.font.face.weight, r.color))
            .collect())
    }

    #[test]
    fn tags_and_spans() {
        let r = runs("a<b>b</b><big>c</big>&amp;&#65;&#x42;").unwrap();
        assert_eq!(r[0].0, "a");
        assert_eq!((r[1].0.as_str(), r[1].2), ("b", 700));
        assert!((r[2].1 - 9.6).abs() < 1e-9);
        assert_eq!(r[3].0, "&AB");
        let r = runs("<span foreground='#ff0000' size='x-large' weight=\"bold\">x</span>").unwrap();
        assert_eq!(r[0].2, 700);
        assert!((r[0].1 - 8.0 * 1.44).abs() < 1e-9);
        assert_eq!(r[0].3, Some(Rgba::from_u8(255, 0, 0, 255)));
        let r = runs("<span size='10240'>x</span><span font='Sans Bold 12'>y</span>").unwrap();
        assert_eq!(r[0].1, 10.0);
        assert_eq!((r[1].1, r[1].2), (12.0, 700));
    }

    #[test]
    fn malformed_markup_is_an_error() {
        for bad in [
            "a < b",
            "AT&T",
            "<b>open",
            "</b>",
            "<b>x</i>",
            "<blink>x</blink>",
            "<span colour='red'>x</span>",
            "<span foreground='nocolour'>x</span>",
            "<span size='huge'>x</span>",
            "<b x='1'>y</b>",
            "<span letter_spacing='1024'>x</span>",
        ] {
            assert!(runs(bad).is_err(), "{bad}");
        }
    }
}
