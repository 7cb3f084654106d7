//! Fonts by name, as rrdtool's pango and fontconfig find them, and text
//! shaped and measured as pango measures it at rrdtool's 100 dpi.
//!
//! A font is named by a pango font description (`-n TAG:size:desc`,
//! `RRD_DEFAULT_FONT`): a comma-separated family list, style words
//! (`Bold`, `Italic`, …) and a size that rrdtool's own size overrides.
//! Each family is tried in order as a font file given by path, one of the
//! faces we embed (DejaVu Sans, DejaVu Sans Mono, each regular and bold:
//! the faces Debian's rrdtool finds for these names), and a face installed
//! on the system (found by `fontdb`, names compared as fontconfig compares
//! them: case and blanks ignored, family or PostScript name). When nothing
//! in the list is found, generic names and the usual aliases (`monospace`,
//! `Courier`, `sans-serif`, `Arial`, …) pick DejaVu Sans Mono or DejaVu
//! Sans, and anything else gets DejaVu Sans, as fontconfig's default does.
//!
//! Faces live for the process: the embedded ones are static, and a system
//! face or file is read once and kept (one copy per distinct face, so the
//! memory is bounded by the fonts a process names).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::canvas::Rgba;
use crate::error::{Error, Result};

/// One font face, parsed for metrics and shaping (`rustybuzz`)
/// and hinted outlines (`skrifa`).
pub struct Face {
    /// The family name.
    pub family: String,
    /// The face's weight (400 regular, 700 bold).
    pub weight: u16,
    shaper: rustybuzz::Face<'static>,
    glyphs: skrifa::outline::OutlineGlyphCollection<'static>,
    units: f64,
    ascent: f64,
    descent: f64,
}

impl std::fmt::Debug for Face {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Face({} {})", self.family, self.weight)
    }
}

impl Face {
    fn parse(data: &'static [u8], index: u32, family: String, weight: u16) -> Option<Face> {
        let shaper = rustybuzz::Face::from_slice(data, index)?;
        let glyphs = {
            use skrifa::MetadataProvider as _;
            skrifa::FontRef::from_index(data, index)
                .ok()?
                .outline_glyphs()
        };
        let units = f64::from(shaper.units_per_em());
        Some(Face {
            family,
            weight,
            ascent: f64::from(shaper.ascender()),
            descent: -f64::from(shaper.descender()),
            shaper,
            glyphs,
            units,
        })
    }

    /// Whether the face has a glyph for `c`.
    fn covers(&self, c: char) -> bool {
        self.shaper.glyph_index(c).is_some()
    }

    /// A glyph's outline at `points`, hinted as FreeType hints it for
    /// rrdtool (cairo's full hinting: the TrueType interpreter, which since
    /// FreeType 2.7 moves points only vertically; the autohinter for faces
    /// without instructions), in pixels with y up from the baseline.
    pub(crate) fn outline(&'static self, points: f64, id: u16) -> std::rc::Rc<Vec<Seg>> {
        type Key = (usize, u64, u16);
        thread_local! {
            static OUTLINES: std::cell::RefCell<HashMap<Key, std::rc::Rc<Vec<Seg>>>> =
                std::cell::RefCell::new(HashMap::new());
            static HINTERS: std::cell::RefCell<HashMap<(usize, u64), Option<skrifa::outline::HintingInstance>>> =
                std::cell::RefCell::new(HashMap::new());
        }
        let key = (std::ptr::from_ref(self) as usize, points.to_bits(), id);
        if let Some(o) = OUTLINES.with(|c| c.borrow().get(&key).cloned()) {
            return o;
        }
        let size = skrifa::instance::Size::new(px(points) as f32);
        let mut pen = Segs(Vec::new());
        if let Some(glyph) = self.glyphs.get(skrifa::GlyphId::new(u32::from(id))) {
            let drawn = HINTERS.with(|h| {
                let mut h = h.borrow_mut();
                if h.len() > 256 {
                    h.clear();
                }
                let hinter = h.entry((key.0, key.1)).or_insert_with(|| {
                    use skrifa::outline::{HintingOptions, SmoothMode, Target};
                    let target = Target::Smooth {
                        mode: SmoothMode::Normal,
                        symmetric_rendering: true,
                        preserve_linear_metrics: false,
                    };
                    let options = HintingOptions {
                        engine: skrifa::outline::Engine::AutoFallback,
                        target,
                    };
                    skrifa::outline::HintingInstance::new(
                        &self.glyphs,
                        size,
                        skrifa::instance::LocationRef::default(),
                        options,
                    )
                    .ok()
                });
                match hinter {
                    Some(h) => glyph
                        .draw(skrifa::outline::DrawSettings::hinted(h, false), &mut pen)
                        .is_ok(),
                    None => false,
                }
            });
            if !drawn {
                pen.0.clear();
                let unhinted = skrifa::outline::DrawSettings::unhinted(
                    size,
                    skrifa::instance::LocationRef::default(),
                );
                if glyph.draw(unhinted, &mut pen).is_err() {
                    pen.0.clear();
                }
            }
        }
        let o = std::rc::Rc::new(pen.0);
        OUTLINES.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= 16_384 {
                c.clear();
            }
            c.insert(key, o.clone());
        });
        o
    }

    /// Font units per pixel at `points`.
    pub(crate) fn scale(&self, points: f64) -> f64 {
        px(points) / self.units
    }

    /// Ascent above the baseline, whole pixels (pango's hinted metrics).
    pub fn ascent(&self, points: f64) -> f64 {
        (self.ascent * self.scale(points)).ceil()
    }

    /// Height of a line (ascent plus descent), whole pixels.
    pub fn height(&self, points: f64) -> f64 {
        let s = self.scale(points);
        (self.ascent * s).ceil() + (self.descent * s).ceil()
    }

    /// Descent below the baseline, whole pixels.
    pub fn descent(&self, points: f64) -> f64 {
        (self.descent * self.scale(points)).ceil()
    }

    /// Superscript (`up`) or subscript size and baseline offset, in ems
    /// (the OS/2 table's), when the face has them.
    pub(crate) fn script_metrics(&self, up: bool) -> Option<(f64, f64)> {
        let f = &*self.shaper;
        let m = if up {
            f.superscript_metrics()
        } else {
            f.subscript_metrics()
        }?;
        (m.y_size > 0).then(|| {
            (
                f64::from(m.y_size) / self.units,
                f64::from(m.y_offset) / self.units,
            )
        })
    }

    /// Underline (or, with `strike`, strikethrough) position above the
    /// baseline and thickness, pixels at `points`.
    pub(crate) fn line_metrics(&self, points: f64, strike: bool) -> (f64, f64) {
        let f = &*self.shaper;
        let m = if strike {
            f.strikeout_metrics()
        } else {
            f.underline_metrics()
        };
        let s = self.scale(points);
        match m {
            Some(m) => (
                f64::from(m.position) * s,
                (f64::from(m.thickness) * s).max(1.0),
            ),
            None if strike => (self.ascent * s / 3.0, 1.0),
            None => (-1.0, 1.0),
        }
    }
}

/// One piece of a glyph outline, in pixels, y up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Seg {
    /// Starts a contour.
    Move(f64, f64),
    /// A straight line.
    Line(f64, f64),
    /// A quadratic curve: control point, end.
    Quad(f64, f64, f64, f64),
    /// A cubic curve: two control points, end.
    Cubic(f64, f64, f64, f64, f64, f64),
    /// Closes the contour.
    Close,
}

struct Segs(Vec<Seg>);

impl skrifa::outline::OutlinePen for Segs {
    fn move_to(&mut self, x: f32, y: f32) {
        self.0.push(Seg::Move(f64::from(x), f64::from(y)));
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.0.push(Seg::Line(f64::from(x), f64::from(y)));
    }
    fn quad_to(&mut self, cx: f32, cy: f32, x: f32, y: f32) {
        let f = f64::from;
        self.0.push(Seg::Quad(f(cx), f(cy), f(x), f(y)));
    }
    fn curve_to(&mut self, a: f32, b: f32, c: f32, d: f32, x: f32, y: f32) {
        let f = f64::from;
        self.0.push(Seg::Cubic(f(a), f(b), f(c), f(d), f(x), f(y)));
    }
    fn close(&mut self) {
        self.0.push(Seg::Close);
    }
}

/// Pixels per em for a size in points at rrdtool's 100 dpi.
pub fn px(points: f64) -> f64 {
    points * 100.0 / 72.0
}

/// A face at a size: what each of rrdtool's text properties holds.
#[derive(Debug, Clone, Copy)]
pub struct Font {
    /// Size in points.
    pub size: f64,
    /// The face.
    pub face: &'static Face,
    /// Texts are pango markup (`--pango-markup`).
    pub markup: bool,
}

impl PartialEq for Face {
    fn eq(&self, other: &Face) -> bool {
        std::ptr::eq(self, other)
    }
}

impl PartialEq for Font {
    fn eq(&self, other: &Font) -> bool {
        self.size == other.size
            && std::ptr::eq(self.face, other.face)
            && self.markup == other.markup
    }
}

impl Font {
    /// rrdtool's default face (DejaVu Sans Mono) at `size`.
    pub fn default_at(size: f64) -> Font {
        Font {
            size,
            face: embedded(Embedded::Mono),
            markup: false,
        }
    }

    /// The same face at another size.
    pub fn at(self, size: f64) -> Font {
        Font { size, ..self }
    }
}

/// The embedded faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embedded {
    /// DejaVu Sans.
    Sans,
    /// DejaVu Sans Bold.
    SansBold,
    /// DejaVu Sans Mono (rrdtool's default).
    Mono,
    /// DejaVu Sans Mono Bold.
    MonoBold,
}

static SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static SANS_BOLD: &[u8] = include_bytes!("../assets/DejaVuSans-Bold.ttf");
static MONO: &[u8] = include_bytes!("../assets/DejaVuSansMono.ttf");
static MONO_BOLD: &[u8] = include_bytes!("../assets/DejaVuSansMono-Bold.ttf");

/// One of the embedded faces (see `assets/DejaVu-LICENSE.txt`).
pub fn embedded(which: Embedded) -> &'static Face {
    static FACES: OnceLock<[Face; 4]> = OnceLock::new();
    let faces = FACES.get_or_init(|| {
        let f = |data, family: &str, weight| {
            Face::parse(data, 0, family.to_string(), weight).expect("an embedded font parses")
        };
        [
            f(SANS, "DejaVu Sans", 400),
            f(SANS_BOLD, "DejaVu Sans", 700),
            f(MONO, "DejaVu Sans Mono", 400),
            f(MONO_BOLD, "DejaVu Sans Mono", 700),
        ]
    });
    &faces[which as usize]
}

/// What a pango font description asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Description {
    /// Families in order.
    pub families: Vec<String>,
    /// Weight, 100..=1000 (400 normal).
    pub weight: u16,
    /// Italic or oblique.
    pub italic: bool,
}

/// `pango_font_description_from_string`: trailing words that are a size,
/// a style, a weight, a stretch, a variant or a gravity are options; what
/// comes before is the comma-separated family list.
pub fn parse_description(s: &str) -> Description {
    let mut d = Description {
        families: Vec::new(),
        weight: 400,
        italic: false,
    };
    let mut rest = s.trim_end_matches([' ', ',']);
    // a size, as pango reads one: the last word, a number with an
    // optional "px"
    if let Some((head, last)) = rest.rsplit_once([' ', ',']) {
        let num = last.strip_suffix("px").unwrap_or(last);
        if !num.is_empty() && num.parse::<f64>().is_ok() && !head.ends_with(',') {
            rest = head.trim_end_matches(' ');
        }
    } else {
        let num = rest.strip_suffix("px").unwrap_or(rest);
        if !num.is_empty() && num.parse::<f64>().is_ok() {
            rest = "";
        }
    }
    loop {
        let Some((head, last)) = rest.rsplit_once(' ') else {
            if style_word(&mut d, rest) {
                rest = "";
            }
            break;
        };
        if head.ends_with(',') || !style_word(&mut d, last) {
            break;
        }
        rest = head.trim_end_matches(' ');
    }
    d.families = rest
        .split(',')
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty())
        .collect();
    d
}

/// Applies one of pango's style words to `d`; false if `w` is none.
fn style_word(d: &mut Description, w: &str) -> bool {
    let weight = match w.to_ascii_lowercase().as_str() {
        "thin" => Some(100),
        "ultra-light" | "extra-light" | "ultralight" | "extralight" => Some(200),
        "light" => Some(300),
        "semi-light" | "demi-light" | "semilight" | "demilight" => Some(350),
        "book" => Some(380),
        "regular" | "normal" | "roman" => Some(400),
        "medium" => Some(500),
        "semi-bold" | "demi-bold" | "semibold" | "demibold" => Some(600),
        "bold" => Some(700),
        "ultra-bold" | "extra-bold" | "ultrabold" | "extrabold" => Some(800),
        "heavy" | "black" => Some(900),
        "ultra-heavy" | "ultra-black" | "extra-black" | "ultraheavy" => Some(1000),
        "italic" | "oblique" => {
            d.italic = true;
            return true;
        }
        "small-caps" | "all-small-caps" | "petite-caps" | "all-petite-caps" | "unicase"
        | "title-caps" | "ultra-condensed" | "extra-condensed" | "condensed" | "semi-condensed"
        | "semi-expanded" | "expanded" | "extra-expanded" | "ultra-expanded" | "not-rotated"
        | "south" | "upside-down" | "north" | "rotated-left" | "east" | "rotated-right"
        | "west" => return true,
        _ => None,
    };
    if let Some(wt) = weight {
        // "normal" resets only when it is the whole word
        d.weight = wt;
        return true;
    }
    // numeric weights: "Bold" and friends or "@wght=…" are pango's; a plain
    // number here is a size and was taken above
    false
}

/// The face rrdtool would draw a description with (see the module
/// comment). Fails only for a font file that exists but cannot be read
/// as a font.
pub fn resolve(desc: &str) -> Result<&'static Face> {
    resolve_description(&parse_description(desc))
}

/// [`resolve`] for a parsed description.
pub fn resolve_description(d: &Description) -> Result<&'static Face> {
    let bold = d.weight >= 600;
    // the embedded faces are the system's DejaVu faces: take them first
    // unless a style they lack (italic, light, …) is asked for
    let plain = !d.italic && (d.weight == 400 || d.weight == 380 || d.weight == 700);
    for fam in &d.families {
        if fam.contains('/') {
            let path = std::path::Path::new(fam);
            if path.is_file() {
                return from_file(path, d.weight);
            }
            continue;
        }
        if plain {
            if let Some(f) = embedded_by_name(fam, bold) {
                return Ok(f);
            }
        }
        if let Some(f) = system(fam, d) {
            return Ok(f);
        }
        if let Some(f) = embedded_by_name(fam, bold) {
            return Ok(f);
        }
        // fontconfig's metric aliases: the installed face made to the
        // measure of a proprietary one (Arial: Liberation Sans, …)
        for alt in metric_aliases(fam) {
            if let Some(f) = system(alt, d) {
                return Ok(f);
            }
        }
        if let Some(f) = generic(fam, d, bold) {
            return Ok(f);
        }
    }
    // families fontconfig knows as monospace get the monospace default
    for fam in &d.families {
        if monospace_family(fam) {
            return Ok(embedded(if bold {
                Embedded::MonoBold
            } else {
                Embedded::Mono
            }));
        }
    }
    Ok(embedded(if bold {
        Embedded::SansBold
    } else {
        Embedded::Sans
    }))
}

/// `monospace`, `sans-serif` and `serif` (and their short forms), as
/// Debian's fontconfig resolves them: DejaVu Sans Mono, DejaVu Sans,
/// DejaVu Serif (when installed; else DejaVu Sans).
fn generic(fam: &str, d: &Description, bold: bool) -> Option<&'static Face> {
    let pick = |mono: bool| {
        embedded(match (mono, bold) {
            (true, false) => Embedded::Mono,
            (true, true) => Embedded::MonoBold,
            (false, false) => Embedded::Sans,
            (false, true) => Embedded::SansBold,
        })
    };
    match norm(fam).as_str() {
        "monospace" | "mono" => Some(pick(true)),
        "sans-serif" | "sans" => Some(pick(false)),
        "serif" => Some(system("DejaVu Serif", d).unwrap_or_else(|| pick(false))),
        _ => None,
    }
}

/// fontconfig's metric-compatible substitutes (30-metric-aliases.conf).
fn metric_aliases(fam: &str) -> &'static [&'static str] {
    match norm(fam).as_str() {
        "arial" | "helvetica" | "arimo" => &["Liberation Sans", "Arimo", "Nimbus Sans", "Albany"],
        "timesnewroman" | "times" | "tinos" => &["Liberation Serif", "Tinos", "Nimbus Roman"],
        "couriernew" | "courier" | "cousine" => &["Liberation Mono", "Cousine", "Nimbus Mono PS"],
        "arialnarrow" | "helveticanarrow" => &["Liberation Sans Narrow", "Nimbus Sans Narrow"],
        _ => &[],
    }
}

/// Families fontconfig's 45-latin.conf classifies as monospace.
fn monospace_family(fam: &str) -> bool {
    matches!(
        norm(fam).as_str(),
        "courier"
            | "couriernew"
            | "bitstreamverasansmono"
            | "dejavulgcsansmono"
            | "liberationmono"
            | "nimbusmono"
            | "nimbusmonops"
            | "cousine"
            | "andalemono"
            | "luximono"
            | "inconsolata"
            | "consolas"
            | "lucidatypewriter"
    )
}

/// Lower case without blanks, as fontconfig compares family names.
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

fn embedded_by_name(fam: &str, bold: bool) -> Option<&'static Face> {
    let n = norm(fam);
    let which = match n.as_str() {
        "dejavusans" | "dejavusans-book" => Some(false),
        "dejavusans-bold" => return Some(embedded(Embedded::SansBold)),
        "dejavusansmono" | "dejavusansmono-book" => Some(true),
        "dejavusansmono-bold" => return Some(embedded(Embedded::MonoBold)),
        _ => None,
    }?;
    Some(embedded(match (which, bold) {
        (true, false) => Embedded::Mono,
        (true, true) => Embedded::MonoBold,
        (false, false) => Embedded::Sans,
        (false, true) => Embedded::SansBold,
    }))
}

/// Faces read from files or the system, kept for the process.
fn loaded() -> &'static Mutex<HashMap<(std::path::PathBuf, u32), &'static Face>> {
    static LOADED: OnceLock<Mutex<HashMap<(std::path::PathBuf, u32), &'static Face>>> =
        OnceLock::new();
    LOADED.get_or_init(Default::default)
}

/// Reads face `index` of a font file once per process.
fn load(path: &std::path::Path, index: u32, family: &str, weight: u16) -> Option<&'static Face> {
    let key = (path.to_path_buf(), index);
    let mut map = loaded().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(f) = map.get(&key) {
        return Some(f);
    }
    let data: &'static [u8] = Box::leak(read_font(path).ok()?.into_boxed_slice());
    let face: &'static Face = Box::leak(Box::new(Face::parse(
        data,
        index,
        family.to_string(),
        weight,
    )?));
    map.insert(key, face);
    Some(face)
}

/// The largest font file read (the biggest CJK collections are about
/// 30 MiB): a path to anything larger is refused, not read into memory.
const MAX_FONT_BYTES: u64 = 64 << 20;

/// A font file's bytes, at most [`MAX_FONT_BYTES`] of them.
fn read_font(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let too_big = || std::io::Error::other(format!("larger than {} MiB", MAX_FONT_BYTES >> 20));
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() > MAX_FONT_BYTES {
        return Err(too_big());
    }
    let mut data = Vec::new();
    file.take(MAX_FONT_BYTES + 1).read_to_end(&mut data)?;
    if data.len() as u64 > MAX_FONT_BYTES {
        return Err(too_big());
    }
    Ok(data)
}

/// A font file given by path: its first face (a collection's face closest
/// to `weight`).
fn from_file(path: &std::path::Path, weight: u16) -> Result<&'static Face> {
    let bad = |why: &str| Error::refused(format!("font file '{}': {why}", path.display()));
    let data = read_font(path).map_err(|e| bad(&e.to_string()))?;
    let count = ttf_faces(&data);
    if count == 0 {
        return Err(bad("not a TrueType or OpenType font"));
    }
    let index = (0..count)
        .min_by_key(|&i| face_weight(&data, i).map_or(u16::MAX, |w| w.abs_diff(weight)))
        .unwrap_or(0);
    let w = face_weight(&data, index).unwrap_or(400);
    let family = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    load(path, index, &family, w).ok_or_else(|| bad("not a TrueType or OpenType font"))
}

fn ttf_faces(data: &[u8]) -> u32 {
    match data.get(..4) {
        Some(b"ttcf") => data
            .get(8..12)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .unwrap_or(0)
            .min(256),
        Some(_) if rustybuzz::ttf_parser::Face::parse(data, 0).is_ok() => 1,
        _ => 0,
    }
}

fn face_weight(data: &[u8], index: u32) -> Option<u16> {
    rustybuzz::ttf_parser::Face::parse(data, index)
        .ok()
        .map(|f| f.weight().to_number())
}

/// The system's fonts, scanned once per process on first need.
fn database() -> &'static fontdb::Database {
    static DB: OnceLock<fontdb::Database> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        db
    })
}

/// A system face of family (or PostScript name) `fam`, the one closest to
/// the weight and style asked for.
fn system(fam: &str, d: &Description) -> Option<&'static Face> {
    let want = norm(fam);
    let db = database();
    let best = db
        .faces()
        .filter(|f| {
            f.families.iter().any(|(n, _)| norm(n) == want) || norm(&f.post_script_name) == want
        })
        .min_by_key(|f| {
            let italic = f.style != fontdb::Style::Normal;
            let stretch = f.stretch != fontdb::Stretch::Normal;
            (
                u32::from(italic != d.italic) * 10_000
                    + u32::from(stretch) * 5_000
                    + u32::from(f.weight.0.abs_diff(d.weight)),
                f.post_script_name.clone(),
            )
        })?;
    let path = match &best.source {
        fontdb::Source::File(p) => p.clone(),
        _ => return None,
    };
    let family = best
        .families
        .first()
        .map(|(n, _)| n.clone())
        .unwrap_or_default();
    load(&path, best.index, &family, best.weight.0)
}

/// One glyph of a laid-out text.
#[derive(Debug, Clone, Copy)]
pub struct Glyph {
    /// The face it comes from (the text's, or a fallback).
    pub face: &'static Face,
    /// Its size in points.
    pub size: f64,
    /// Glyph id in that face.
    pub id: u16,
    /// Pen position of the glyph's origin, pixels from the text's start.
    pub x: f64,
    /// Baseline offset, pixels (down positive).
    pub y: f64,
    /// Index of its run's style in [`Shaped::styles`].
    pub style: usize,
}

/// Colours of a run of marked-up text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunStyle {
    /// Text colour, None for the text's own.
    pub color: Option<Rgba>,
    /// Opacity applied to the text colour.
    pub alpha: f64,
}

/// A rectangle drawn with a text: a span's background (before the glyphs)
/// or an underline or strikethrough (after).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deco {
    /// Left, top, right, bottom: pixels, y from the baseline (down).
    pub rect: (f64, f64, f64, f64),
    /// A background (else a line in the run's text colour).
    pub background: Option<Rgba>,
    /// The run's style.
    pub style: usize,
}

/// A text laid out on one line, as pango lays it out.
#[derive(Debug, Clone)]
pub struct Shaped {
    /// The glyphs in visual order.
    pub glyphs: Vec<Glyph>,
    /// The advance of the whole text, whole pixels.
    pub width: f64,
    /// The baseline's distance below the top of the line box.
    pub ascent: f64,
    /// The line box's height.
    pub height: f64,
    /// Run styles (one, the text's own, without markup).
    pub styles: Vec<RunStyle>,
    /// Backgrounds, underlines and strikethroughs.
    pub decos: Vec<Deco>,
}

/// Faces tried for a character the text's face lacks, as pango's fontset
/// falls back.
fn fallbacks(face: &'static Face) -> [&'static Face; 2] {
    let mono = face.family.to_ascii_lowercase().contains("mono");
    if mono {
        [embedded(Embedded::Mono), embedded(Embedded::Sans)]
    } else {
        [embedded(Embedded::Sans), embedded(Embedded::Mono)]
    }
}

thread_local! {
    /// The last marked-up text laid out without error in this graph:
    /// rrdtool lays every text out in one pango layout, and markup that
    /// does not parse leaves the layout's previous text in place.
    static LAST_MARKUP: std::cell::RefCell<Option<String>> =
        const { std::cell::RefCell::new(None) };
}

thread_local! {
    static LEGEND_START: std::cell::RefCell<Option<String>> =
        const { std::cell::RefCell::new(None) };
}

thread_local! {
    /// Texts of this graph that were not valid markup, with pango's error.
    static WARNINGS: std::cell::RefCell<Vec<(String, String)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Starts a graph: no text has been laid out yet (see [`shape`]).
pub fn begin_graph() {
    LAST_MARKUP.with(|l| *l.borrow_mut() = None);
    LEGEND_START.with(|l| *l.borrow_mut() = None);
    WARNINGS.with(|w| w.borrow_mut().clear());
}

/// The warnings of the graph being drawn about markup that does not parse,
/// one per text (at most 64), and no more of them.
pub fn take_warnings() -> Vec<String> {
    WARNINGS.with(|w| {
        w.borrow_mut()
            .drain(..)
            .map(|(text, e)| format!("pango markup: {e} (in '{text}')"))
            .collect()
    })
}

/// Notes the layout's text as the legends start being drawn, for
/// [`replay_legends`].
pub fn legends_start() {
    let last = LAST_MARKUP.with(|l| l.borrow().clone());
    LEGEND_START.with(|l| *l.borrow_mut() = last);
}

/// Puts the layout's text back to what it was when the legends started
/// being drawn, so that their measuring can be replayed in rrdtool's order.
pub fn replay_legends() {
    let start = LEGEND_START.with(|l| l.borrow().clone());
    LAST_MARKUP.with(|l| *l.borrow_mut() = start);
}

/// Lays out `text` in `font` (kerning, ligatures, marks; with markup, its
/// runs) with pango's hinted metrics: every glyph's advance and offset
/// rounded to whole pixels. Characters the face lacks come from a
/// fallback face. Markup that does not parse is laid out as rrdtool's
/// shared pango layout does it: the graph's previous good markup text in
/// this font (nothing before the first).
pub fn shape(font: Font, text: &str) -> std::rc::Rc<Shaped> {
    type Key = (usize, u64, bool, String);
    const ENTRIES: usize = 4096;
    thread_local! {
        static CACHE: std::cell::RefCell<HashMap<Key, Option<std::rc::Rc<Shaped>>>> =
            std::cell::RefCell::new(HashMap::new());
    }
    let key = (
        std::ptr::from_ref(font.face) as usize,
        font.size.to_bits(),
        font.markup,
        text.to_string(),
    );
    let cached = CACHE.with(|c| c.borrow().get(&key).cloned());
    let made = match cached {
        Some(s) => s,
        None => {
            let made = if font.markup {
                crate::markup::parse(text, font)
                    .ok()
                    .map(|runs| lay_out(font, &runs))
            } else {
                Some(lay_out(font, &[plain_run(font, text)]))
            }
            .map(std::rc::Rc::new);
            CACHE.with(|c| {
                let mut c = c.borrow_mut();
                if c.len() >= ENTRIES {
                    c.clear();
                }
                c.insert(key, made.clone());
            });
            made
        }
    };
    match made {
        Some(s) => {
            if font.markup {
                LAST_MARKUP.with(|l| *l.borrow_mut() = Some(text.to_string()));
            }
            s
        }
        None => {
            WARNINGS.with(|w| {
                let mut w = w.borrow_mut();
                if w.len() < 64 && !w.iter().any(|(t, _)| t == text) {
                    let e = markup_error(font, text).unwrap_or_default();
                    w.push((text.to_string(), e));
                }
            });
            let prev = LAST_MARKUP.with(|l| l.borrow().clone()).unwrap_or_default();
            shape(font, &prev)
        }
    }
}

/// Why `text` is not valid markup, if it is not (for a warning).
pub fn markup_error(font: Font, text: &str) -> Option<String> {
    crate::markup::parse(text, font).err()
}

fn plain_run(font: Font, text: &str) -> crate::markup::Run {
    crate::markup::Run {
        text: text.to_string(),
        font,
        color: None,
        alpha: 1.0,
        background: None,
        underline: false,
        strike: false,
        rise: 0.0,
    }
}

fn lay_out(base: Font, runs: &[crate::markup::Run]) -> Shaped {
    let mut out = Shaped {
        glyphs: Vec::new(),
        width: 0.0,
        ascent: 0.0,
        height: 0.0,
        styles: Vec::new(),
        decos: Vec::new(),
    };
    // the line box holds every run's box, shifted by its rise, and the
    // baseline itself (pango's line extents, in whole pixels outward)
    let (mut top, mut bottom) = (0.0f64, 0.0f64);
    let mut pen = 0.0f64;
    for run in runs {
        let style = out.styles.len();
        out.styles.push(RunStyle {
            color: run.color,
            alpha: run.alpha,
        });
        // hinted, pango places runs on whole pixels, away from the
        // baseline (measured against rrdtool at 7-14 pt)
        let rise = run.rise.signum() * (run.rise.abs() - 1e-9).ceil().max(0.0);
        let size = run.font.size;
        let (asc, desc) = (run.font.face.ascent(size), run.font.face.descent(size));
        top = top.max(asc + rise);
        bottom = bottom.max(desc - rise);
        let start = pen;
        shape_run(run.font, &run.text, &mut pen, -rise, style, &mut out.glyphs);
        if let Some(bg) = run.background {
            out.decos.push(Deco {
                rect: (start, -asc - rise, pen, desc - rise),
                background: Some(bg),
                style,
            });
        }
        for (on, strike) in [(run.underline, false), (run.strike, true)] {
            if on {
                let (pos, thick) = run.font.face.line_metrics(size, strike);
                let y = (-pos - rise).round();
                out.decos.push(Deco {
                    rect: (start, y, pen, y + thick.round().max(1.0)),
                    background: None,
                    style,
                });
            }
        }
    }
    if runs.is_empty() {
        top = base.face.ascent(base.size);
        bottom = base.face.descent(base.size);
    }
    out.width = pen;
    out.ascent = top;
    out.height = top + bottom;
    out
}

/// Shapes one run, its characters split among faces.
fn shape_run(
    font: Font,
    text: &str,
    pen: &mut f64,
    dy: f64,
    style: usize,
    glyphs: &mut Vec<Glyph>,
) {
    let text: String = text.chars().map(rrd_core::argbytes::glyph).collect();
    // runs of characters drawn from one face
    let mut runs: Vec<(&'static Face, std::ops::Range<usize>)> = Vec::new();
    for (i, c) in text.char_indices() {
        let face = if font.face.covers(c) || c.is_control() {
            font.face
        } else {
            fallbacks(font.face)
                .into_iter()
                .find(|f| f.covers(c))
                .unwrap_or(font.face)
        };
        let end = i + c.len_utf8();
        match runs.last_mut() {
            // marks and joiners stay with the run they follow
            Some((f, r))
                if std::ptr::eq(*f, face)
                    || (c.is_whitespace() && std::ptr::eq(face, font.face))
                    || matches!(c, '\u{300}'..='\u{36f}' | '\u{200c}' | '\u{200d}') =>
            {
                r.end = end;
            }
            _ => runs.push((face, i..end)),
        }
    }
    for (face, range) in runs {
        let mut buf = rustybuzz::UnicodeBuffer::new();
        buf.push_str(&text[range]);
        buf.guess_segment_properties();
        let out = rustybuzz::shape(&face.shaper, &[], buf);
        let s = face.scale(font.size);
        for (info, pos) in out.glyph_infos().iter().zip(out.glyph_positions()) {
            glyphs.push(Glyph {
                face,
                size: font.size,
                id: info.glyph_id as u16,
                x: *pen + (f64::from(pos.x_offset) * s).round(),
                y: dy - (f64::from(pos.y_offset) * s).round(),
                style,
            });
            *pen += (f64::from(pos.x_advance) * s).round();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_read_as_pango_reads_them() {
        let d = parse_description("DejaVu Sans Mono Bold 10");
        assert_eq!(d.families, ["DejaVu Sans Mono"]);
        assert_eq!(d.weight, 700);
        let d = parse_description("DejaVuSans,DejaVu Sans,Bitstream Vera Sans");
        assert_eq!(
            d.families,
            ["DejaVuSans", "DejaVu Sans", "Bitstream Vera Sans"]
        );
        assert_eq!(d.weight, 400);
        let d = parse_description("Sans Italic 12px");
        assert_eq!(
            (d.families.as_slice(), d.italic),
            (&["Sans".to_string()][..], true)
        );
        // a style word before a comma is part of a family name
        let d = parse_description("Foo Bold,Bar");
        assert_eq!(d.families, ["Foo Bold", "Bar"]);
        assert_eq!(parse_description("Bold").families, Vec::<String>::new());
    }

    #[test]
    fn names_resolve_as_fontconfig_matches_them() {
        let r = |s: &str| resolve(s).map(|f| (f.family.clone(), f.weight)).ok();
        let sans = Some(("DejaVu Sans".to_string(), 400));
        let mono = Some(("DejaVu Sans Mono".to_string(), 400));
        assert_eq!(r("DejaVuSans"), sans);
        assert_eq!(r("DejaVuSansMono"), mono);
        assert_eq!(r("dejavu sans mono"), mono);
        // Courier is Liberation Mono where that is installed (fontconfig's
        // metric alias), else monospace
        let courier = if system("Liberation Mono", &parse_description("x")).is_some() {
            Some(("Liberation Mono".to_string(), 400))
        } else {
            mono.clone()
        };
        assert_eq!(r("NoSuchFont,Courier"), courier);
        assert_eq!(r("NoSuchFont"), sans);
        assert_eq!(
            r("DejaVu Sans Bold"),
            Some(("DejaVu Sans".to_string(), 700))
        );
        assert_eq!(r("/no/such/file.ttf,monospace"), mono);
        let dir = std::env::temp_dir().join(format!("rrd-font-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bad = dir.join("bad.ttf");
        std::fs::write(&bad, b"not a font").unwrap();
        let e = resolve(bad.to_str().unwrap()).unwrap_err().to_string();
        assert!(e.contains("not a TrueType"), "{e}");
        // a huge file is refused before it is read (sparse: no disk used)
        let huge = dir.join("huge.ttf");
        std::fs::File::create(&huge)
            .unwrap()
            .set_len(MAX_FONT_BYTES + 1)
            .unwrap();
        let e = resolve(huge.to_str().unwrap()).unwrap_err().to_string();
        assert!(e.contains("larger than 64 MiB"), "{e}");
        let good = dir.join("mono.ttf");
        std::fs::write(&good, MONO_BOLD).unwrap();
        assert_eq!(resolve(good.to_str().unwrap()).unwrap().weight, 700);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_markup_lays_out_the_previous_text() {
        begin_graph();
        let f = Font {
            markup: true,
            ..Font::default_at(8.0)
        };
        // nothing laid out yet: an empty line
        assert_eq!(shape(f, "AT&T").width, 0.0);
        let ok = shape(f, "<b>bold</b>").width;
        assert!(ok > 0.0);
        assert_eq!(shape(f, "a < b").width, ok);
        assert_eq!(shape(f, "x").width, shape(Font::default_at(8.0), "x").width);
        assert_eq!(shape(f, "<b>").width, shape(f, "x").width);
        // a size or colour change makes the line box taller or draws runs
        let big = shape(f, "<span size='x-large'>X</span>");
        assert!(big.height > shape(f, "X").height);
        let red = shape(f, "<span foreground='red'>r</span><u>u</u>");
        assert_eq!(red.styles.len(), 2);
        assert_eq!(red.decos.len(), 1);
    }

    #[test]
    fn outlines_are_hinted_as_freetype_hints_them_for_rrdtool() {
        // the on-curve points of "e" in DejaVu Sans Mono at 7 pt, from the
        // glyph rrdtool 1.7.2 (cairo, FreeType) wrote into an SVG graph
        let want = [
            (5.4375, 2.625),
            (5.4375, 2.0),
            (1.53125, 2.0),
            (1.53125, 1.984375),
            (2.0, 1.25),
            (3.3125, 1.0),
            (4.21875, 1.0),
            (5.21875, 1.0),
            (5.21875, 0.0),
            (4.21875, 0.0),
            (3.3125, 0.0),
            (1.3125, 0.65625),
            (0.59375, 2.5),
            (1.296875, 4.3125),
            (3.171875, 5.0),
            (4.828125, 4.359375),
            (5.4375, 2.625),
            (4.53125, 3.0),
            (4.15625, 3.734375),
            (3.140625, 4.0),
            (2.078125, 3.734375),
            (1.578125, 3.0),
        ];
        let mono = embedded(Embedded::Mono);
        let id = mono.shaper.glyph_index('e').expect("e").0;
        let got: Vec<(f64, f64)> = mono
            .outline(7.0, id)
            .iter()
            .filter_map(|s| match *s {
                Seg::Move(x, y) | Seg::Line(x, y) | Seg::Quad(_, _, x, y) => Some((x, y)),
                Seg::Cubic(_, _, _, _, x, y) => Some((x, y)),
                Seg::Close => None,
            })
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn shaping_kerns_and_falls_back() {
        let sans = Font {
            size: 8.0,
            face: embedded(Embedded::Sans),
            markup: false,
        };
        // DejaVu Sans kerns "AV": narrower than A and V apart
        let av = shape(sans, "AV").width;
        let apart = shape(sans, "A").width + shape(sans, "V").width;
        assert!(av < apart, "{av} {apart}");
        // a character DejaVu Sans Mono lacks comes from DejaVu Sans
        let (sans_f, mono_f) = (embedded(Embedded::Sans), embedded(Embedded::Mono));
        let c = ('\u{100}'..'\u{3000}')
            .find(|&c| sans_f.covers(c) && !mono_f.covers(c) && !c.is_control())
            .expect("DejaVu Sans covers more than DejaVu Sans Mono");
        let s = shape(Font::default_at(8.0), &format!("a{c}"));
        assert!(std::ptr::eq(s.glyphs[0].face, mono_f));
        assert!(std::ptr::eq(s.glyphs[1].face, sans_f), "{c:?}");
        assert!(s.glyphs.iter().all(|g| g.id != 0));
    }
}
