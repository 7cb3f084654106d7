//! `rrd graph` and `rrd graphv` against rrdtool 1.7.2.
//!
//! - `graphv_golden`: graphv command lines recorded from rrdtool 1.7.2
//!   (tests/data/graph, see its README): the layout keys (image and canvas
//!   size and position, value range) and every legend text and box must be
//!   rrdtool's, and errors its messages. Runs everywhere.
//! - `png_is_sane`: a PNG decodes to the reported size with rrdtool's
//!   default colours where nothing is drawn, the canvas where it should be,
//!   and the line's colour in its legend box.
//! - `svg_snapshot`: an SVG compared with a committed one, for readable
//!   diffs (`RRD_BLESS=1` rewrites it).

use std::path::{Path, PathBuf};

const RRD: &str = env!("CARGO_BIN_EXE_rrd");

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/graph")
}

fn run(dir: &Path, args: &[String]) -> Run {
    run_tool(RRD, dir, args)
}

use crate::support::{have_rrdtool, run as run_tool, Output as Run};

/// A case line's words, `~` standing for a blank.
fn words(line: &str) -> Vec<String> {
    line.split_whitespace()
        .map(|w| w.replace('~', " "))
        .collect()
}

#[test]
fn graphv_golden() {
    let dir = data_dir();
    let cases = std::fs::read_to_string(dir.join("cases.txt")).expect("cases.txt");
    let fixtures = dir.join("fixtures");
    let mut failures = Vec::new();
    let mut n = 0;
    for line in cases
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        n += 1;
        let id = format!("{n:03}");
        let read = |ext: &str| {
            std::fs::read_to_string(dir.join("expected").join(format!("{id}.{ext}")))
                .unwrap_or_else(|e| panic!("expected/{id}.{ext}: {e}"))
        };
        let mut w = words(line);
        let file = if w.first().is_some_and(|f| f == "-") {
            w.remove(0)
        } else {
            "/dev/null".to_string()
        };
        let mut args = vec!["graphv".to_string(), file];
        args.extend(w);
        let got = run(&fixtures, &args);
        let (want_out, want_err) = (read("out"), read("err"));
        let want_status: i32 = read("status").trim().parse().expect("status");
        let got_out = String::from_utf8_lossy(&got.stdout);
        let got_err = String::from_utf8_lossy(&got.stderr);
        if got.status != want_status || got_out != want_out || got_err != want_err {
            let first = want_out
                .lines()
                .zip(got_out.lines())
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("rrdtool `{a}`, rrd `{b}`"))
                .unwrap_or_else(|| "(lengths differ)".into());
            failures.push(format!(
                "case {id} `{line}`: status {want_status} vs {}, stderr {want_err:?} vs {got_err:?}, stdout: {first}",
                got.status
            ));
        }
    }
    assert!(n >= 30, "only {n} cases");
    assert!(
        failures.is_empty(),
        "{} of {n} graphv cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rrd-graph-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn png_is_sane() {
    let out = temp("png");
    let png = out.join("g.png");
    let mut args = vec!["graph".to_string(), png.display().to_string()];
    args.extend(words(
        "-s 1600000000 -e 1600086400 DEF:x=a.rrd:x:AVERAGE LINE2:x#ff0000:Line~x",
    ));
    let r = run(&data_dir().join("fixtures"), &args);
    assert_eq!(r.status, 0, "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(String::from_utf8_lossy(&r.stdout), "481x155\n");
    let mut decoder = png::Decoder::new(std::fs::File::open(&png).unwrap());
    // a palette image (as most graphs are) expands to RGB samples
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (481, 155));
    let px = |x: usize, y: usize| {
        let i = (y * info.width as usize + x) * 3;
        (buf[i], buf[i + 1], buf[i + 2])
    };
    // BACK (0.95 as cairo stores it) beside the canvas, SHADEA / SHADEB borders
    assert_eq!(px(8, 60), (243, 243, 243));
    assert_eq!(px(0, 60), (207, 207, 207));
    assert_eq!(px(480, 60), (158, 158, 158));
    // the canvas is white where no line or grid passes (just right of the
    // y axis, above the data)
    assert_eq!(px(52, 16), (255, 255, 255));
    // the legend box (cols 16-22, rows 137-144) in the line's colour
    assert_eq!(px(19, 140), (255, 0, 0));
    // some red line pixels on the canvas
    let red = (51..451)
        .flat_map(|x| (15..115).map(move |y| (x, y)))
        .filter(|&(x, y)| px(x, y) == (255, 0, 0))
        .count();
    assert!(red > 300, "only {red} fully red pixels");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn svg_snapshot() {
    let mut args = vec![
        "graph".to_string(),
        "-".to_string(),
        "-a".into(),
        "SVG".into(),
    ];
    args.extend(words(
        "-s 1600000000 -e 1600086400 -t Snapshot DEF:x=a.rrd:x:AVERAGE DEF:y=a.rrd:y:AVERAGE AREA:y#00cc0080:area LINE1:x#ff0000:line HRULE:70#0000ff:rule",
    ));
    let r = run(&data_dir().join("fixtures"), &args);
    assert_eq!(r.status, 0, "{}", String::from_utf8_lossy(&r.stderr));
    let got = String::from_utf8(r.stdout).expect("SVG is UTF-8");
    // rrdtool's (cairo's) header: points, with a viewBox in pixels; text
    // as glyph outlines, never as <text> that needs the viewer's fonts
    assert!(got.contains("width=\"481pt\" height=\"168pt\" viewBox=\"0 0 481 168\""));
    assert!(got.contains("<symbol overflow=\"visible\" id=\"glyph0-0\">"));
    assert!(!got.contains("<text"));
    let path = data_dir().join("snapshot.svg");
    if std::env::var_os("RRD_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).expect("snapshot.svg (RRD_BLESS=1 writes it)");
    if want != got {
        let (k, (a, b)) = want
            .lines()
            .zip(got.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .unwrap_or((0, ("", "")));
        panic!(
            "SVG differs from snapshot.svg at line {}:\n- {a}\n+ {b}",
            k + 1
        );
    }
}

/// SVG against rrdtool's for the same command lines: the same size (in
/// points), as many glyphs placed (`<use>`) and as many dashed strokes.
#[test]
fn svg_like_rrdtools() {
    if !have_rrdtool() {
        eprintln!("svg_like_rrdtools skipped: rrdtool 1.7.2 is not on PATH");
        return;
    }
    let fixtures = data_dir().join("fixtures");
    let lines = [
        "-s 1600000000 -e 1600086400 -t Snapshot DEF:x=a.rrd:x:AVERAGE DEF:y=a.rrd:y:AVERAGE AREA:y#00cc0080:area LINE1:x#ff0000:line HRULE:70#0000ff:rule",
        "-s 1600000000 -e 1600086400 -v bits~per~second -W Watermark --font DEFAULT:0:DejaVu~Sans DEF:x=a.rrd:x:AVERAGE LINE2:x#00ff00:Load~average~AV GPRINT:x:AVERAGE:avg~%6.2lf",
        "-s 1600000000 -e 1600086400 -P -t <b>Bold</b>~title DEF:x=a.rrd:x:AVERAGE LINE1:x#0000ff:<i>italic</i>~&amp;~<tt>mono</tt> --right-axis 1:0 --right-axis-label right",
        "-s 1600000000 -e 1600086400 -w 800 -h 300 --grid-dash 3:1 -c BACK#EEEEEE00 -c CANVAS#FFFFFF00 DEF:x=a.rrd:x:AVERAGE AREA:x#ff000040:translucent",
    ];
    let count = |svg: &str, what: &str| svg.matches(what).count();
    let mut failures = Vec::new();
    for line in lines {
        let mut args = vec!["graph".to_string(), "-".into(), "-a".into(), "SVG".into()];
        args.extend(words(line));
        let want =
            String::from_utf8_lossy(&run_tool("rrdtool", &fixtures, &args).stdout).into_owned();
        let got = String::from_utf8_lossy(&run(&fixtures, &args).stdout).into_owned();
        let size = |s: &str| {
            s.lines().find(|l| l.starts_with("<svg")).and_then(|l| {
                l.split_once("width=")
                    .map(|(_, r)| r.split(" version").next().unwrap_or("").to_string())
            })
        };
        let checks = [
            (
                "size",
                size(&want).unwrap_or_default(),
                size(&got).unwrap_or_default(),
            ),
            (
                "glyphs placed",
                count(&want, "<use").to_string(),
                count(&got, "<use").to_string(),
            ),
            (
                "dashed strokes",
                count(&want, "stroke-dasharray").to_string(),
                count(&got, "stroke-dasharray").to_string(),
            ),
        ];
        for (what, w, g) in checks {
            if w != g || w.is_empty() {
                failures.push(format!("{line}: {what}: rrdtool {w:?}, rrd {g:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ------------------------------------------------------------ differential

/// A random graphv command over the fixture with VDEFs of every function
/// and PRINT/GPRINT items of random formats.
fn random_prints(rng: &mut crate::support::SplitMix) -> Vec<String> {
    let pick = |rng: &mut crate::support::SplitMix, v: &[&str]| {
        v[rng.range(0, v.len() as u64 - 1) as usize].to_string()
    };
    let start = 1_599_999_000 + rng.range(0, 80_000) as i64;
    let end = start + rng.range(3_600, 90_000) as i64;
    let mut a = vec![
        "graphv".to_string(),
        "/dev/null".to_string(),
        "-s".into(),
        start.to_string(),
        "-e".into(),
        end.to_string(),
        "DEF:x=a.rrd:x:AVERAGE".into(),
        "DEF:y=a.rrd:y:AVERAGE".into(),
    ];
    let scale = pick(rng, &["1", "1000", "1e6", "0.001", "1e-7", "-1", "1e12"]);
    a.push(format!("CDEF:z=x,{scale},*"));
    let series = ["x", "y", "z"];
    let funcs = [
        "MAXIMUM",
        "MINIMUM",
        "AVERAGE",
        "STDEV",
        "LAST",
        "FIRST",
        "TOTAL",
        "LSLSLOPE",
        "LSLINT",
        "LSLCORREL",
        "50,PERCENT",
        "95,PERCENTNAN",
    ];
    let n = rng.range(1, 4);
    for k in 0..n {
        let s = pick(rng, &series);
        let f = pick(rng, &funcs);
        a.push(format!("VDEF:v{k}={s},{f}"));
    }
    if rng.range(0, 3) > 0 {
        a.push(format!("LINE1:{}#ff0000:line", pick(rng, &series)));
    }
    for _ in 0..rng.range(1, 5) {
        let v = format!("v{}", rng.range(0, n - 1));
        let flag = pick(rng, &["", "", "-", "+", " ", "0", "#"]);
        let width = pick(rng, &["", "", "5", "8", "12"]);
        let prec = pick(rng, &["", ".0", ".2", ".3", ".6", ".10"]);
        let conv = pick(rng, &["lf", "lf", "le", "lg", "lE", "lG", "lF"]);
        let si = pick(rng, &["", "", " %s", "%S", " %S"]);
        let fmt = match rng.range(0, 9) {
            0 => "%H:%M~%d.%m.%Y:strftime".to_string(),
            1 => "valstrftime".to_string(),
            2 => "valstrfduration".to_string(),
            3 => "%Y-%m-%d~%H\\:%M:valstrftime".to_string(),
            _ => format!("val~%{flag}{width}{prec}{conv}{si}"),
        };
        let item = if rng.range(0, 1) == 0 {
            "PRINT"
        } else {
            "GPRINT"
        };
        // the deprecated vname:CF:format form now and then
        if rng.range(0, 5) == 0 {
            let cf = pick(rng, &["AVERAGE", "MIN", "MAX", "LAST"]);
            a.push(format!("{item}:{}:{cf}:%{prec}lf", pick(rng, &series)));
        } else {
            a.push(format!("{item}:{v}:{fmt}"));
        }
    }
    a.iter().map(|w| w.replace('~', " ")).collect()
}

/// `RRD_GRAPH_COUNT` (default 200) command lines from `generate`, each run
/// through rrdtool and rrd over the fixtures; `agreed` sees the arguments
/// and rrdtool's stdout of each run whose status, stdout and stderr agree.
/// Returns the count of agreeing runs and a line for each that differs.
fn differential(
    seed: u64,
    generate: fn(&mut crate::support::SplitMix) -> Vec<String>,
    agreed: impl FnMut(&[String], &Run),
) -> (u64, u64, Vec<String>) {
    differential_out(seed, generate, true, agreed)
}

/// [`differential`], with standard error compared or not (rrdtool's pango
/// warnings carry its process id and the time).
fn differential_out(
    seed: u64,
    generate: fn(&mut crate::support::SplitMix) -> Vec<String>,
    stderr: bool,
    mut agreed: impl FnMut(&[String], &Run),
) -> (u64, u64, Vec<String>) {
    let count: u64 = std::env::var("RRD_GRAPH_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let fixtures = data_dir().join("fixtures");
    let mut rng = crate::support::SplitMix(seed);
    let (mut same, mut failures) = (0, Vec::new());
    for _ in 0..count {
        let args = generate(&mut rng);
        let want = run_tool("rrdtool", &fixtures, &args);
        let got = run_tool(RRD, &fixtures, &args);
        if want.status == got.status
            && want.stdout == got.stdout
            && (!stderr || want.stderr == got.stderr)
        {
            same += 1;
            agreed(&args, &want);
        } else {
            let (w, g) = (
                String::from_utf8_lossy(&want.stdout),
                String::from_utf8_lossy(&got.stdout),
            );
            let first = w
                .lines()
                .zip(g.lines())
                .find(|(a, b)| a != b)
                .map(|(a, b)| format!("rrdtool `{a}`, rrd `{b}`"))
                .unwrap_or_else(|| {
                    format!(
                        "stderr {:?} vs {:?}",
                        String::from_utf8_lossy(&want.stderr),
                        String::from_utf8_lossy(&got.stderr)
                    )
                });
            failures.push(format!("{args:?}: {first}"));
        }
    }
    (count, same, failures)
}

/// PRINT and GPRINT values and texts (and the whole graphv output) over
/// random VDEFs and formats, against rrdtool (`RRD_GRAPH_COUNT` cases).
#[test]
fn print_differential() {
    if !have_rrdtool() {
        eprintln!("print_differential skipped: rrdtool 1.7.2 is not on PATH");
        return;
    }
    let (mut prints, mut ok) = (0, 0);
    let (count, same, failures) = differential(0x5eed_9a9f, random_prints, |_, want| {
        ok += u64::from(want.status == 0);
        prints += String::from_utf8_lossy(&want.stdout)
            .lines()
            .filter(|l| l.starts_with("print[") || l.starts_with("legend["))
            .count();
    });
    eprintln!(
        "print_differential: {same} of {count} graphv runs agree ({ok} succeeded, {prints} print/legend lines), {} differ",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {count} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A random `graph`/`graphv` command with `-b 1000` or `-b 1024` and
/// PRINT and GPRINT items whose formats scale with `%s` or `%S`.
fn random_base_prints(rng: &mut crate::support::SplitMix) -> Vec<String> {
    let mut a = random_prints(rng);
    if rng.range(0, 1) == 0 {
        a[0] = "graph".into();
    }
    let base = if rng.range(0, 1) == 0 { "1000" } else { "1024" };
    a.splice(2..2, ["-b".to_string(), base.to_string()]);
    let n = a.iter().filter(|w| w.starts_with("VDEF:")).count() as u64;
    for _ in 0..rng.range(1, 4) {
        let v = rng.range(0, n - 1);
        let prec = ["", ".0", ".2", ".3"][rng.range(0, 3) as usize];
        let si = ["%s", " %s", "%S", " %S", "%S%s"][rng.range(0, 4) as usize];
        let item = ["PRINT", "GPRINT"][rng.range(0, 1) as usize];
        a.push(format!("{item}:v{v}:%6{prec}lf{si}"));
    }
    a
}

/// `-b 1000`/`-b 1024` with `%s`/`%S` in PRINT and GPRINT against rrdtool
/// (`RRD_GRAPH_COUNT` cases): the SI prefix and scaled value follow the
/// base, as rrdtool's `print_calc` does.
#[test]
fn base_si_differential() {
    if !have_rrdtool() {
        eprintln!("base_si_differential skipped: rrdtool 1.7.2 is not on PATH");
        return;
    }
    let (mut k1024, mut scaled) = (0, 0);
    let (count, same, failures) = differential(0xba5e_1024, random_base_prints, |args, want| {
        if args[3] == "1024" {
            k1024 += 1;
            // lines whose value took an SI prefix under base 1024
            scaled += String::from_utf8_lossy(&want.stdout)
                .lines()
                .filter(|l| l.contains(" k") || l.contains(" M") || l.contains(" G"))
                .count();
        }
    });
    eprintln!(
        "base_si_differential: {same} of {count} runs agree ({k1024} with -b 1024, {scaled} scaled lines there), {} differ",
        failures.len()
    );
    assert!(
        k1024 > 0 && scaled > 0,
        "the family never reached base 1024 scaling"
    );
    assert!(
        failures.is_empty(),
        "{} of {count} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A random `graphv` command whose texts are drawn in fonts named as
/// Munin, LibreNMS, Cacti and collection.cgi name them: every text's size
/// and place (image size, canvas origin, legend boxes) must be rrdtool's.
fn random_fonts(rng: &mut crate::support::SplitMix) -> Vec<String> {
    let pick = |rng: &mut crate::support::SplitMix, v: &[&str]| {
        v[rng.range(0, v.len() as u64 - 1) as usize].to_string()
    };
    let names = [
        "DejaVuSans,DejaVu Sans,DejaVu LGC Sans,Bitstream Vera Sans",
        "DejaVuSansMono,DejaVu Sans Mono,DejaVu LGC Sans Mono,Bitstream Vera Sans Mono,monospace",
        "DejaVu Sans",
        "DejaVuSans",
        "DejaVu Sans Bold",
        "DejaVu Sans Mono Bold",
        "DejaVu Sans Mono",
        "Arial",
        "Courier",
        "monospace",
        "NoSuchFace",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ];
    let tags = ["DEFAULT", "TITLE", "AXIS", "UNIT", "LEGEND", "WATERMARK"];
    let sizes = ["0", "6", "7", "7.5", "8", "9", "10", "11", "12", "14"];
    let mut a = vec![
        "graphv".to_string(),
        "/dev/null".to_string(),
        "-s".into(),
        "1600000000".into(),
        "-e".into(),
        "1600086400".into(),
        "DEF:x=a.rrd:x:AVERAGE".into(),
        "LINE1:x#ff0000:load~average~(AV~Wavy)".into(),
    ];
    for _ in 0..rng.range(1, 3) {
        let (t, s, n) = (pick(rng, &tags), pick(rng, &sizes), pick(rng, &names));
        a.push("--font".into());
        a.push(format!("{t}:{s}:{n}"));
    }
    if rng.chance(50) {
        a.push("-t".into());
        a.push("Traffic~on~eth0~-~by~day,~WAVY~Yoke".into());
    }
    if rng.chance(50) {
        a.push("-v".into());
        a.push("bits~per~second".into());
    }
    if rng.chance(30) {
        a.push("-W".into());
        a.push("Toys~&~Widgets~Ltd".into());
    }
    let alphabet: Vec<char> =
        "AVWTYPLFkvwyoe.,:;'0123456789 abcdefghijklmnopqrstuvwxyz%/()-_äöüßé°µ"
            .chars()
            .collect();
    for _ in 0..rng.range(1, 6) {
        let len = rng.range(1, 30);
        let text: String = (0..len)
            .map(|_| alphabet[rng.range(0, alphabet.len() as u64 - 1) as usize])
            .map(|c| if c == ' ' { '~' } else { c })
            .collect::<String>()
            .replace(':', "\\:");
        let end = pick(rng, &["", "\\l", "\\r", "\\c", "\\j", "\\n"]);
        a.push(format!("COMMENT:{text}{end}"));
        if rng.chance(30) {
            a.push("GPRINT:x:AVERAGE:Avg\\:%8.2lf~%s".into());
        }
    }
    a.iter().map(|w| w.replace('~', " ")).collect()
}

/// Layout with named fonts (`RRD_GRAPH_COUNT` cases) against rrdtool.
#[test]
fn font_differential() {
    layout_differential("font_differential", 0xf047_5eed, random_fonts, true);
}

/// Runs `generate`'s command lines through [`differential_out`] (standard
/// error compared or not), reports how many agree and how many legend
/// boxes they held, and fails on any that differ.
fn layout_differential(
    name: &str,
    seed: u64,
    generate: fn(&mut crate::support::SplitMix) -> Vec<String>,
    stderr: bool,
) {
    if !have_rrdtool() {
        eprintln!("{name} skipped: rrdtool 1.7.2 is not on PATH");
        return;
    }
    let mut legends = 0;
    let (count, same, failures) = differential_out(seed, generate, stderr, |_, want| {
        legends += String::from_utf8_lossy(&want.stdout)
            .lines()
            .filter(|l| l.starts_with("coords["))
            .count();
    });
    eprintln!(
        "{name}: {same} of {count} graphv runs agree ({legends} legend boxes), {} differ",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {count} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A random `graphv -P` command: legends and titles in pango markup as
/// Cacti and hand-written scripts send it, malformed markup included.
fn random_markup(rng: &mut crate::support::SplitMix) -> Vec<String> {
    let pick = |rng: &mut crate::support::SplitMix, v: &[&str]| {
        v[rng.range(0, v.len() as u64 - 1) as usize].to_string()
    };
    let pieces = [
        "Inbound",
        "~Traffic~",
        "<b>Max</b>",
        "<i>avg</i>",
        "<u>cur</u>",
        "<s>old</s>",
        "<tt>eth0</tt>",
        "<big>BIG</big>",
        "<small>small</small>",
        "<span~foreground='#ff0000'>red</span>",
        "<span~color=\"blue\">blue</span>",
        "<span~background='#ffff00'>hi</span>",
        "<span~size='x-large'>XL</span>",
        "<span~size='small'>s</span>",
        "<span~size='12288'>12pt</span>",
        "<span~weight='bold'~style='italic'>bi</span>",
        "<span~font_family='DejaVu~Sans'>Sans~AV</span>",
        "<span~face='monospace'>mono</span>",
        "<span~font='DejaVu~Sans~Bold~10'>desc</span>",
        "<span~underline='single'>ul</span>",
        "<span~strikethrough='true'>st</span>",
        "&lt;&amp;&gt;",
        "&#65;&#x42;",
        "95%",
        // malformed: rrdtool draws what its layout held before
        "AT&T",
        "a~<~b",
        "<b>open",
        "<blink>x</blink>",
    ];
    let mut a = vec![
        "graphv".to_string(),
        "/dev/null".to_string(),
        "-P".into(),
        "-s".into(),
        "1600000000".into(),
        "-e".into(),
        "1600086400".into(),
        "DEF:x=a.rrd:x:AVERAGE".into(),
    ];
    if rng.chance(40) {
        a.push("--font".into());
        a.push(pick(
            rng,
            &[
                "DEFAULT:0:DejaVu~Sans",
                "LEGEND:9:DejaVuSans",
                "TITLE:11:DejaVu~Sans~Bold",
            ],
        ));
    }
    if rng.chance(50) {
        a.push("-t".into());
        a.push(format!("{}~{}", pick(rng, &pieces), pick(rng, &pieces)));
    }
    for k in 0..rng.range(1, 6) {
        let text: String = (0..rng.range(1, 3)).map(|_| pick(rng, &pieces)).collect();
        let end = pick(rng, &["", "\\l", "\\r", "\\c", "\\j"]);
        let item = if k == 0 || rng.chance(30) {
            "LINE1:x#ff0000"
        } else {
            "COMMENT"
        };
        a.push(format!("{item}:{}{end}", text.replace(':', "\\:")));
    }
    a.iter().map(|w| w.replace('~', " ")).collect()
}

/// Layout of pango markup (`RRD_GRAPH_COUNT` cases) against rrdtool.
#[test]
fn markup_differential() {
    // standard error is not compared: rrdtool's pango warns there about
    // markup it cannot parse, with its process id and the time
    layout_differential("markup_differential", 0x9a46_0ace, random_markup, false);
}

/// DEF vnames that are DEF keys (`ds`, `cf`, `start`, …): rrdtool reads
/// them as keys first and retries under a mangled name; every use and
/// misuse must end as rrdtool's does.
#[test]
fn keyword_vnames_differential() {
    if !have_rrdtool() {
        eprintln!("keyword_vnames_differential skipped: rrdtool 1.7.2 is not on PATH");
        return;
    }
    let fixtures = data_dir().join("fixtures");
    let (mut n, mut failures) = (0, Vec::new());
    for v in ["ds", "cf", "rrd", "step", "start", "end", "reduce", "vname"] {
        let uses = [
            String::new(),
            format!("LINE:{v}#ff0000"),
            format!("CDEF:c={v},1,+"),
            format!("PRINT:{v}:AVERAGE:%lf"),
            format!("VDEF:q={v},AVERAGE"),
            format!("DEF:{v}=a.rrd:x:MAX"),
            "DEF:y=a.rrd:x:AVERAGE LINE:y#ff0000".to_string(),
            "DEF:start=a.rrd:x:AVERAGE".to_string(),
            format!("XPORT:{v}"),
        ];
        let defs = [
            format!("DEF:{v}=a.rrd:x:AVERAGE"),
            format!("DEF:{v}=a.rrd:x:BAD"),
            format!("DEF:{v}=a.rrd:x:AVERAGE:bogus"),
            format!("DEF:{v}=a.rrd:x"),
            format!("DEF:{v}=a.rrd"),
            format!("DEF:{v}=a.rrd:x:AVERAGE:step=600"),
            // (an absolute start after the end: no clock in the message)
            format!("DEF:{v}=a.rrd:x:AVERAGE:start=1700000000"),
        ];
        for def in &defs {
            for u in &uses {
                n += 1;
                let mut args = vec![
                    "graph".to_string(),
                    "/dev/null".into(),
                    "-s".into(),
                    "1600000000".into(),
                    "-e".into(),
                    "1600086400".into(),
                    def.clone(),
                ];
                args.extend(u.split_whitespace().map(str::to_string));
                let want = run_tool("rrdtool", &fixtures, &args);
                let got = run(&fixtures, &args);
                if (want.status, &want.stdout, &want.stderr)
                    != (got.status, &got.stdout, &got.stderr)
                {
                    failures.push(format!(
                        "{args:?}: rrdtool {:?} {:?}, rrd {:?} {:?}",
                        want.out(),
                        want.err(),
                        got.out(),
                        got.err()
                    ));
                }
            }
        }
    }
    eprintln!(
        "keyword_vnames_differential: {} of {n} agree",
        n - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Lines with `<sup>`, `<sub>` and `rise` (pango 1.50's baseline shifts and
/// font scales) at legend sizes 7 to 14: the legend boxes are rrdtool's.
/// (Known to differ by a pixel: a superscript and a subscript in one line,
/// `x<sup>2</sup>y<sub>3</sub>`, at some sizes.)
#[test]
fn baseline_shifts_differential() {
    if !have_rrdtool() {
        eprintln!("baseline_shifts_differential skipped: rrdtool 1.7.2 is not on PATH");
        return;
    }
    let fixtures = data_dir().join("fixtures");
    let texts = [
        "x<sup>2</sup>",
        "x<sub>2</sub>",
        "<sup>2</sup>",
        "<sub>2</sub>",
        "m<sup>3</sup>/s",
        "H<sub>2</sub>O",
        "a<span~rise='-5000'>r</span>",
        "a<span~rise='7000'>r</span>",
        "a<span~rise='3pt'>r</span>",
        "<big>x<sup>2</sup></big>",
        "a<sup><sup>2</sup></sup>",
    ];
    let (mut n, mut failures) = (0, Vec::new());
    for size in ["7", "8", "9", "10", "11", "12", "14"] {
        for t in texts {
            n += 1;
            let args: Vec<String> = words(&format!(
                "graphv /dev/null -P --font LEGEND:{size} -s 1600000000 -e 1600086400 DEF:x=a.rrd:x:AVERAGE LINE1:x#ff0000 COMMENT:{t}\\l"
            ));
            let want = run_tool("rrdtool", &fixtures, &args);
            let got = run(&fixtures, &args);
            if (want.status, &want.stdout) != (got.status, &got.stdout) {
                failures.push(format!(
                    "{size} pt {t}: rrdtool {:?}, rrd {:?}",
                    want.out(),
                    got.out()
                ));
            }
        }
    }
    eprintln!(
        "baseline_shifts_differential: {} of {n} agree",
        n - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
