//! Tests of the axis module: recorded rrdtool 1.7.2 runs, and the label
//! printf against glibc (strftime and mktime are rrd_clib::time's, tested
//! there).

use super::*;

/// A graph run recorded with rrdtool 1.7.2: `TZ=<tz> LANG=C.UTF-8
/// rrdtool graphv OUT.svg -a SVG --start S --end E <args> <elements>`,
/// with `value_min`/`value_max` from graphv's output and the labels
/// decoded from the SVG's glyph outlines (cairo writes text as glyph
/// paths; a calibration image maps them back to characters).
struct Run {
    num: u32,
    note: &'static str,
    /// rrdtool's TZ.
    tz: &'static str,
    args: &'static [&'static str],
    span: (i64, i64),
    /// xorigin, yorigin, width, height (graph_left, graph_top + height, …).
    area: (i64, i64, i64, i64),
    data: (f64, f64),
    value_range: (&'static str, &'static str),
    /// Left labels, top to bottom.
    left: &'static [&'static str],
    /// Right labels, top to bottom.
    right: &'static [&'static str],
    /// X labels and the x of their centre.
    x: &'static [(&'static str, i64)],
}

/// The axis options of a recorded run's arguments, through the parsers.
fn options(args: &[&str]) -> AxisOptions {
    let mut o = AxisOptions::default();
    let mut it = args.iter();
    while let Some(&a) = it.next() {
        let mut arg = || *it.next().expect("option argument");
        match a {
            "-u" => o.upper_limit = Some(option_float(arg(), 'u').unwrap()),
            "-l" => o.lower_limit = Some(option_float(arg(), 'l').unwrap()),
            "-r" => o.rigid = true,
            "--allow-shrink" => o.allow_shrink = true,
            "-A" => o.alt_autoscale = true,
            "-J" => o.alt_autoscale_min = true,
            "-M" => o.alt_autoscale_max = true,
            "-o" => o.logarithmic = true,
            "-Y" => o.alt_y_grid = true,
            "-I" => o.no_minor = true,
            "-X" => o.units_exponent = Some(rrd_clib::strtol::atoi(arg())),
            "-L" => o.units_length = Some(rrd_clib::strtol::atoi(arg())),
            "-b" => o.base = parse_base(arg()).unwrap(),
            "-y" => o.y_grid = parse_y_grid(arg()).unwrap(),
            "-x" => o.x_grid = parse_x_grid(arg()).unwrap(),
            "--units=si" => o.set_units("si").unwrap(),
            "--week-fmt" => o.week_format = week_format(arg()),
            "--right-axis" => o.right_axis = Some(parse_right_axis(arg()).unwrap()),
            "--right-axis-format" => o.right_axis_format = Some(arg().to_string()),
            "--left-axis-format" => o.left_axis_format = Some(arg().to_string()),
            "--left-axis-formatter" => {
                o.left_axis_formatter = parse_value_formatter(arg(), AxisSide::Left).unwrap();
            }
            "--right-axis-formatter" => {
                o.right_axis_formatter = parse_value_formatter(arg(), AxisSide::Right).unwrap();
            }
            "-w" | "-h" => {
                arg();
            }
            _ => panic!("unexpected argument {a}"),
        }
    }
    o.validate().unwrap();
    o
}

fn check_run(run: &Run) {
    let n = format!("run {} ({})", run.num, run.note);
    let opts = options(run.args);
    let (xorigin, yorigin, width, height) = run.area;
    let area = GraphArea {
        xorigin,
        yorigin,
        width,
        height,
    };
    let range = value_range(run.data.0, run.data.1, &opts);
    let printed = (
        rrd_clib::printf::exp(range.min, 10),
        rrd_clib::printf::exp(range.max, 10),
    );
    assert_eq!(
        (printed.0.as_str(), printed.1.as_str()),
        run.value_range,
        "{n}: value range"
    );
    let tz = match run.tz {
        "UTC" => TimeZone::UTC,
        name => TimeZone::get(name).expect("time zone in the system database"),
    };
    let grid = y_grid(&range, &opts, &area, &tz).unwrap();
    let top_down = |labels: &[(f64, String)]| {
        labels
            .iter()
            .rev()
            .map(|(_, t)| t.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(top_down(&grid.labels), run.left, "{n}: left labels");
    assert_eq!(top_down(&grid.right_labels), run.right, "{n}: right labels");
    let (start, end) = run.span;
    let time = time_grid(start, end, width, &opts, &tz).unwrap();
    let x: Vec<_> = time
        .labels
        .iter()
        .map(|(t, text)| (text.as_str(), time_to_x(*t, start, end, &area)))
        .collect();
    assert_eq!(x, run.x, "{n}: x labels");
}

/// The verification table of the axis specification (graph-axes.md,
/// section 5): 52 runs over RRD files filled with sine waves, TZ=UTC.
/// `data` is what the painted data's extremes were, recovered exactly by
/// graphing `v - c` (c close to the extreme, so the subtraction is exact)
/// and adding c back (run 40's maximum, which that CDEF does not paint, is
/// graphv's 11-digit `value_max` of the same run with `-r`); NaN where
/// nothing was painted; the constant where rrdtool repaired min == max.
/// `value_min`/`value_max` of all 52 were re-checked with rrdtool 1.7.2
/// for this module.
#[test]
fn specification_runs() {
    for run in SPEC_RUNS {
        check_run(run);
    }
}

/// Further runs made for this module (constant LINEs, so the data's
/// extremes are the constants): the specification's other verified
/// facts, formatters, the right axis, SI edge cases and time zones with
/// DST changes (glibc's mktime keeps the DST flag: after the fall-back
/// in Berlin, 2-hourly labels read 00:00, 02:00, 03:00, 05:00).
#[test]
fn further_runs() {
    for run in FURTHER_RUNS {
        check_run(run);
    }
}

/// Option errors as rrdtool 1.7.2 prints them (each checked with
/// `rrdtool graph /dev/null … <option> LINE1:5#ff0000`).
#[test]
fn option_errors() {
    fn check<T: std::fmt::Debug>(result: Result<T>, expected: &str) {
        match result {
            Err(e) => assert_eq!(e.to_string(), expected),
            Ok(v) => assert_eq!(format!("{v:?}"), expected),
        }
    }
    check(parse_y_grid("7"), "invalid y-grid format");
    check(parse_y_grid("x:3"), "invalid y-grid format");
    check(parse_y_grid("0:3"), "grid step must be > 0");
    check(parse_y_grid("7:0"), "label factor must be > 0");
    check(
        parse_y_grid("1..2:2"),
        "option -y - Converted '1..2' to 1.000000, but cannot convert '.2'",
    );
    check(
        parse_y_grid("5:2abc"),
        "Step { step: 5.0, label_factor: 2 }",
    );
    check(parse_y_grid("none"), "None");
    check(parse_x_grid("DAY:1:WEEK:1"), "invalid x-grid format");
    check(
        parse_x_grid("DAX:1:WEEK:1:DAY:3:0:x"),
        "unknown keyword DAX",
    );
    check(
        parse_x_grid("DAY:1:WEEKS:1:DAY:3:0:x"),
        "unknown keyword WEEKS",
    );
    check(
        parse_x_grid("DAY:1:WEEK:1:DAYS:3:0:x"),
        "unknown keyword DAYS",
    );
    check(
        parse_x_grid("day:1:WEEK:1:DAY:3:0:x"),
        "invalid x-grid format",
    );
    check(
        parse_x_grid("ABCDEFGHIJK:1:WEEK:1:DAY:3:0:x"),
        "invalid x-grid format",
    );
    check(
        parse_x_grid("DAY:1:WEEK:1:DAY:3:x:"),
        "invalid x-grid format",
    );
    // rrdtool segfaults here (it reads an uninitialised offset)
    check(
        parse_x_grid("DAY:1:WEEK:1:DAY:3:0"),
        "-x without the ':' before the label format (rrdtool 1.7.2 crashes) is not supported",
    );
    let custom = parse_x_grid("DAY: 1:WEEK:1:DAY:3:-86400:%d:%m").unwrap();
    let XGridOption::Custom(spec) = custom else {
        panic!("{custom:?}")
    };
    assert_eq!(
        (spec.minor.count, spec.precision, spec.format.as_str()),
        (1, -86400, "%d:%m")
    );
    check(
        parse_right_axis("2"),
        "invalid right-axis format expected scale:shift",
    );
    check(
        parse_right_axis("0:5"),
        "the second_axis_scale  must not be 0",
    );
    check(
        parse_right_axis("2:x"),
        "invalid right-axis format expected scale:shift",
    );
    check(
        parse_right_axis("2:10abc"),
        "RightAxis { scale: 2.0, shift: 10.0 }",
    );
    check(
        parse_base("1023"),
        "the only sensible value for base apart from 1000 is 1024",
    );
    check(parse_base("1024x"), "1024");
    check(
        AxisOptions::default().set_units("foo"),
        "invalid argument for --units: foo",
    );
    let mut twice = AxisOptions::default();
    twice.set_units("si").unwrap();
    check(twice.set_units("si"), "--units can only be used once!");
    check(
        parse_value_formatter("foo", AxisSide::Left),
        "Unknown left axis formatter",
    );
    check(
        parse_value_formatter("foo", AxisSide::Right),
        "Unknown right axis formatter",
    );
    let pattern = AXIS_FORMAT_PATTERN;
    for bad in ["%.2f", "%lf%lf", "%d", "%.lf", "%%lf", "x%"] {
        check(
            check_axis_format(bad),
            &format!("invalid format string '{bad}' (should match '{pattern}')"),
        );
    }
    for good in ["%%%lf%%", "%.2lf", "v=%5.2le", "%+08.3lf", "% lG", "%#lg"] {
        check(check_axis_format(good), "()");
    }
    check(
        option_float("abc", 'u'),
        "option -u - Cannot convert 'abc' to float",
    );
    check(
        option_float("5x", 'l'),
        "option -l - Converted '5x' to 5.000000, but cannot convert 'x'",
    );
    let log = |lower: f64| AxisOptions {
        logarithmic: true,
        lower_limit: Some(lower),
        ..AxisOptions::default()
    };
    check(
        log(0.0).validate(),
        "for a logarithmic yaxis you must specify a lower-limit > 0",
    );
    check(
        log(-1.0).validate(),
        "for a logarithmic yaxis you must specify a lower-limit > 0",
    );
    check(log(0.5).validate(), "()");
    let format = |f: &str| AxisOptions {
        right_axis_format: Some(f.to_string()),
        ..AxisOptions::default()
    };
    check(
        format("%d").validate(),
        &format!("invalid format string '%d' (should match '{pattern}')"),
    );
    // only the numeric formatter checks its format
    let duration = AxisOptions {
        right_axis_formatter: ValueFormatter::Duration,
        ..format("%d")
    };
    check(duration.validate(), "()");
    assert_eq!(
        (
            rrd_clib::strtol::atoi(" -4x"),
            rrd_clib::strtol::atoi("x"),
            rrd_clib::strtol::atoi("+12")
        ),
        (-4, 0, 12)
    );
    assert_eq!(week_format(&"é".repeat(100)).len(), 126);
}

fn zone(name: &str) -> TimeZone {
    match name {
        "UTC" => TimeZone::UTC,
        name => TimeZone::get(name).expect("time zone in the system database"),
    }
}

/// Grid times and labels are glibc 2.36's mktime and strftime (values
/// measured with C programs calling them, TZ set).
#[test]
fn grid_times_and_labels_are_glibcs() {
    // Istanbul kept its summer offset as standard time from 2016-09-07 on.
    // Eight years of hours after 2016-07-01 00:00 (summer time) ask for
    // summer time on 2024-07-01, which glibc 2.36 does not find within its
    // probe (457243209/2 s each way), so it takes an hour earlier (the old
    // bound, 536454000/2, reached 2016's and gave 1719781200)
    let opts = options(&["-x", "HOUR:70128:HOUR:70128:HOUR:70128:0:%Y"]);
    let istanbul = zone("Europe/Istanbul");
    let grid = time_grid(1_467_320_400, 1_735_689_600, 400, &opts, &istanbul).unwrap();
    assert_eq!(grid.major, [1_467_320_400, 1_719_777_600]);
    let labels = [
        (1_467_320_400, "2016".to_string()),
        (1_719_777_600, "2024".to_string()),
    ];
    assert_eq!(grid.labels, labels);
    // %b takes the '#' (upper case) flag before it refuses the E modifier,
    // so glibc prints the refused conversion upper-cased (was "%#Eb")
    let opts = options(&["-x", "DAY:1:DAY:1:DAY:1:0:%#Eb|%#b"]);
    let grid = time_grid(1_699_920_000, 1_700_000_000, 400, &opts, &TimeZone::UTC).unwrap();
    assert_eq!(grid.labels, [(1_699_920_000, "%#EB|NOV".to_string())]);
}

/// A timestamp label's numbers are C ints, as glibc's: in the last year
/// gmtime gives (tm_year INT_MAX) the year wraps (was 2147485547).
#[test]
fn timestamp_labels_wrap_like_glibc() {
    let utc = TimeZone::UTC;
    let label = timestamp_label(67_768_036_191_676_792.0, Some("%Y|%G|%F %T"), &utc).unwrap();
    assert_eq!(label, "-2147481749|-2147481748|-2147481749-12-31 23:59:52");
    // a year beyond C's int is refused, as before
    assert!(timestamp_label(67_768_036_191_676_800.0, None, &utc).is_err());
}

/// The label printf against glibc's snprintf (a C program printing each
/// format with each value): rounding half to even on exact ties, `%e`'s
/// two-digit exponents, `%g`, flags, `-0`, `inf`, `nan`.
#[test]
fn printf_like_glibc() {
    const VALUES: [f64; 18] = [
        0.0,
        -0.0,
        2.5,
        3.5,
        0.125,
        1e-5,
        123456.789,
        -98765.4321,
        1e21,
        9.9999e-5,
        0.00009999,
        1e100,
        5e-324,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        999.95,
        0.5,
    ];
    for &(fmt, expected) in PRINTF_GLIBC {
        for (v, want) in VALUES.iter().zip(expected) {
            assert_eq!(
                c_sprintf(fmt, &[CArg::F(*v)]).unwrap(),
                *want,
                "{fmt:?} of {v:e}"
            );
        }
    }
    assert_eq!(
        c_sprintf("%4.0f %c", &[CArg::F(0.0), CArg::C(' ')]).unwrap(),
        "   0  "
    );
    assert_eq!(
        c_sprintf("%5.1f %s", &[CArg::F(-2.25), CArg::S("k")]).unwrap(),
        " -2.2 k"
    );
    // labels are cut to 99 bytes, whatever the width
    assert_eq!(
        c_sprintf("%2000000000.1lf", &[CArg::F(1.0)]).unwrap(),
        " ".repeat(99)
    );
    assert!(c_sprintf("%.1001lf", &[CArg::F(1.0)]).is_err());
}

const PRINTF_GLIBC: &[(&str, &[&str])] = &[
    ("%4.1f", &[" 0.0", "-0.0", " 2.5", " 3.5", " 0.1", " 0.0", "123456.8", "-98765.4", "1000000000000000000000.0", " 0.0", " 0.0", "100000000000000001590289110975991804683608085639452813897813275577478387721703810608134699858568151", " 0.0", " inf", "-inf", " nan", "1000.0", " 0.5"]),
    ("%4.0f", &["   0", "  -0", "   2", "   4", "   0", "   0", "123457", "-98765", "1000000000000000000000", "   0", "   0", "100000000000000001590289110975991804683608085639452813897813275577478387721703810608134699858568151", "   0", " inf", "-inf", " nan", "1000", "   0"]),
    ("%3.0e", &["0e+00", "-0e+00", "2e+00", "4e+00", "1e-01", "1e-05", "1e+05", "-1e+05", "1e+21", "1e-04", "1e-04", "1e+100", "5e-324", "inf", "-inf", "nan", "1e+03", "5e-01"]),
    ("%5.2le", &["0.00e+00", "-0.00e+00", "2.50e+00", "3.50e+00", "1.25e-01", "1.00e-05", "1.23e+05", "-9.88e+04", "1.00e+21", "1.00e-04", "1.00e-04", "1.00e+100", "4.94e-324", "  inf", " -inf", "  nan", "1.00e+03", "5.00e-01"]),
    ("%lg", &["0", "-0", "2.5", "3.5", "0.125", "1e-05", "123457", "-98765.4", "1e+21", "9.9999e-05", "9.999e-05", "1e+100", "4.94066e-324", "inf", "-inf", "nan", "999.95", "0.5"]),
    ("%.10lg", &["0", "-0", "2.5", "3.5", "0.125", "1e-05", "123456.789", "-98765.4321", "1e+21", "9.9999e-05", "9.999e-05", "1e+100", "4.940656458e-324", "inf", "-inf", "nan", "999.95", "0.5"]),
    ("%+08.3lf", &["+000.000", "-000.000", "+002.500", "+003.500", "+000.125", "+000.000", "+123456.789", "-98765.432", "+1000000000000000000000.000", "+000.000", "+000.000", "+10000000000000000159028911097599180468360808563945281389781327557747838772170381060813469985856815", "+000.000", "    +inf", "    -inf", "    +nan", "+999.950", "+000.500"]),
    ("%#.0lf", &["0.", "-0.", "2.", "4.", "0.", "0.", "123457.", "-98765.", "1000000000000000000000.", "0.", "0.", "100000000000000001590289110975991804683608085639452813897813275577478387721703810608134699858568151", "0.", "inf", "-inf", "nan", "1000.", "0."]),
    ("%-9.1lE", &["0.0E+00  ", "-0.0E+00 ", "2.5E+00  ", "3.5E+00  ", "1.2E-01  ", "1.0E-05  ", "1.2E+05  ", "-9.9E+04 ", "1.0E+21  ", "1.0E-04  ", "1.0E-04  ", "1.0E+100 ", "4.9E-324 ", "INF      ", "-INF     ", "NAN      ", "1.0E+03  ", "5.0E-01  "]),
    ("% .3le", &[" 0.000e+00", "-0.000e+00", " 2.500e+00", " 3.500e+00", " 1.250e-01", " 1.000e-05", " 1.235e+05", "-9.877e+04", " 1.000e+21", " 1.000e-04", " 9.999e-05", " 1.000e+100", " 4.941e-324", " inf", "-inf", " nan", " 1.000e+03", " 5.000e-01"]),
    ("%#lg", &["0.00000", "-0.00000", "2.50000", "3.50000", "0.125000", "1.00000e-05", "123457.", "-98765.4", "1.00000e+21", "9.99990e-05", "9.99900e-05", "1.00000e+100", "4.94066e-324", "inf", "-inf", "nan", "999.950", "0.500000"]),
    ("%08.2lE", &["0.00E+00", "-0.00E+00", "2.50E+00", "3.50E+00", "1.25E-01", "1.00E-05", "1.23E+05", "-9.88E+04", "1.00E+21", "1.00E-04", "1.00E-04", "1.00E+100", "4.94E-324", "     INF", "    -INF", "     NAN", "1.00E+03", "5.00E-01"]),
    ("%.0le", &["0e+00", "-0e+00", "2e+00", "4e+00", "1e-01", "1e-05", "1e+05", "-1e+05", "1e+21", "1e-04", "1e-04", "1e+100", "5e-324", "inf", "-inf", "nan", "1e+03", "5e-01"]),
    ("%#.3lG", &["0.00", "-0.00", "2.50", "3.50", "0.125", "1.00E-05", "1.23E+05", "-9.88E+04", "1.00E+21", "0.000100", "0.000100", "1.00E+100", "4.94E-324", "INF", "-INF", "NAN", "1.E+03", "0.500"]),
    ("%12.4lf", &["      0.0000", "     -0.0000", "      2.5000", "      3.5000", "      0.1250", "      0.0000", " 123456.7890", " -98765.4321", "1000000000000000000000.0000", "      0.0001", "      0.0001", "100000000000000001590289110975991804683608085639452813897813275577478387721703810608134699858568151", "      0.0000", "         inf", "        -inf", "         nan", "    999.9500", "      0.5000"]),
    ("%lG", &["0", "-0", "2.5", "3.5", "0.125", "1E-05", "123457", "-98765.4", "1E+21", "9.9999E-05", "9.999E-05", "1E+100", "4.94066E-324", "INF", "-INF", "NAN", "999.95", "0.5"]),
    ("v=%5.2le", &["v=0.00e+00", "v=-0.00e+00", "v=2.50e+00", "v=3.50e+00", "v=1.25e-01", "v=1.00e-05", "v=1.23e+05", "v=-9.88e+04", "v=1.00e+21", "v=1.00e-04", "v=1.00e-04", "v=1.00e+100", "v=4.94e-324", "v=  inf", "v= -inf", "v=  nan", "v=1.00e+03", "v=5.00e-01"]),
    ("%%%.1lf%%", &["%0.0%", "%-0.0%", "%2.5%", "%3.5%", "%0.1%", "%0.0%", "%123456.8%", "%-98765.4%", "%1000000000000000000000.0%", "%0.0%", "%0.0%", "%10000000000000000159028911097599180468360808563945281389781327557747838772170381060813469985856815", "%0.0%", "%inf%", "%-inf%", "%nan%", "%1000.0%", "%0.5%"]),
    ("%-+7.2lf|", &["+0.00  |", "-0.00  |", "+2.50  |", "+3.50  |", "+0.12  |", "+0.00  |", "+123456.79|", "-98765.43|", "+1000000000000000000000.00|", "+0.00  |", "+0.00  |", "+10000000000000000159028911097599180468360808563945281389781327557747838772170381060813469985856815", "+0.00  |", "+inf   |", "-inf   |", "+nan   |", "+999.95|", "+0.50  |"]),
    ("%#.0le", &["0.e+00", "-0.e+00", "2.e+00", "4.e+00", "1.e-01", "1.e-05", "1.e+05", "-1.e+05", "1.e+21", "1.e-04", "1.e-04", "1.e+100", "5.e-324", "inf", "-inf", "nan", "1.e+03", "5.e-01"]),
    ("%.3lg", &["0", "-0", "2.5", "3.5", "0.125", "1e-05", "1.23e+05", "-9.88e+04", "1e+21", "0.0001", "0.0001", "1e+100", "4.94e-324", "inf", "-inf", "nan", "1e+03", "0.5"]),
    ("%#g", &["0.00000", "-0.00000", "2.50000", "3.50000", "0.125000", "1.00000e-05", "123457.", "-98765.4", "1.00000e+21", "9.99990e-05", "9.99900e-05", "1.00000e+100", "4.94066e-324", "inf", "-inf", "nan", "999.950", "0.500000"]),
];

/// rrdtool's strfduration (milliseconds; truncation, not rounding).
#[test]
fn durations() {
    let check = |fmt: &str, ms: f64, expected: Option<&str>| {
        assert_eq!(
            strfduration(fmt, ms).as_deref(),
            expected,
            "{fmt:?} of {ms}"
        );
    };
    // verified: rrdtool's duration labels (runs 32 and 108)
    check("%H:%02m:%02s", 6e6, Some("1:40:00"));
    check("%Dd %02h:%02m %.1S", 6e8, Some("6d 22:40 600000.0"));
    check("%H:%02m:%02s", -5_999_999.0, Some("-1:39:59"));
    check("%W w %d d %f ms", 1_234_567_890.0, Some("2 w 0 d 890 ms"));
    check("%.3M min %%", 61_000.0, Some("1.016 min %"));
    check("%07.2S", 1_999.0, Some("0001.99"));
    check("%q", 1.0, None);
    check("%", 1.0, None);
    check("%.-1S", 1.0, None);
}

/// Row picks of the x-label table at the default width (specification
/// section 3.1, verified with rrdtool 1.7.2).
#[test]
fn x_label_rows() {
    const DAY: i64 = 86_400;
    for (span, width, row) in [
        (60, 400, 3),
        (300, 400, 5),
        (600, 400, 6),
        (3600, 400, 8),
        (6 * 3600, 400, 10),
        (8 * 3600, 400, 11),
        (12 * 3600, 400, 11),
        (DAY, 400, 14),
        (2 * DAY, 400, 15),
        (3 * DAY, 400, 16),
        (7 * DAY, 400, 17),
        (14 * DAY, 400, 19),
        (21 * DAY, 400, 20),
        (30 * DAY, 400, 20),
        (60 * DAY, 400, 21),
        (90 * DAY, 400, 22),
        (120 * DAY, 400, 23),
        (180 * DAY, 400, 24),
        (365 * DAY, 400, 27),
        (547 * DAY, 400, 29),
        (730 * DAY, 400, 32),
        (1095 * DAY, 400, 33),
        (1825 * DAY, 400, 33),
        (3650 * DAY, 400, 34),
        (DAY, 1000, 12),
        (20 * 3600, 1000, 11),
    ] {
        let end = 1_700_000_000;
        assert_eq!(
            select_x_label_row(end - span, end, width),
            row,
            "{span} s at {width} px"
        );
    }
    let week = TimeGridSpec::from_table(20, "KW %V").unwrap();
    assert_eq!(
        (week.label, week.precision, week.format.as_str()),
        (
            TimeStep {
                unit: TimeUnit::Week,
                count: 1
            },
            604_800,
            "KW %V"
        )
    );
    assert_eq!(TimeGridSpec::from_table(37, ""), None);
}

/// expand_range on constant LINEs (rrdtool 1.7.2: `graphv … LINE1:<min>
/// LINE1:<max>`): e.g. 0.0007 is a table value once scaled (0.7 m), so
/// it moves a step down; 61 scales below 0.1 (magnitude k, since
/// ln(1e6)/ln(1000) falls short of 2) and stays.
#[test]
fn sensible_ranges() {
    let check = |data: (f64, f64), opts: AxisOptions, expected: (f64, f64)| {
        let r = value_range(data.0, data.1, &opts);
        assert_eq!((r.min, r.max), expected, "{data:?}");
    };
    let default = AxisOptions::default;
    check((0.0007, 0.99999), default(), (0.0006, 1.0));
    check((10.006, 89.99), default(), (10.0, 90.0));
    check((1000.0, 1010.0), default(), (800.0, 1200.0));
    check((2.2e9, 4.2e9), default(), (2e9, 5e9));
    let base = AxisOptions {
        base: 1024,
        ..default()
    };
    check(
        (2.2e9, 4.2e9),
        base,
        (2.0 * 1024f64.powi(3), 4.0 * 1024f64.powi(3)),
    );
    // a positive minimum equal to a table value moves one step down
    check((40.0, 90.0), default(), (30.0, 90.0));
    check((50.0, 60.0), default(), (40.0, 60.0));
    check((-42.0, -41.58), default(), (-50.0, -40.0));
    check((-60.0, -50.0), default(), (-60.0, -40.0));
    check((61.0, 1e6), default(), (61.0, 1e6));
    let si = value_range(0.0007, 0.9999, &default());
    assert_eq!((si.magfact, si.symbol, si.view_digits), (0.001, 'm', -1));
    for (exponent, view_digits) in [(-4, -1), (2, 0), (4, 1), (9, 3)] {
        let opts = AxisOptions {
            units_exponent: Some(exponent),
            ..default()
        };
        assert_eq!(
            value_range(0.0, 1.0, &opts).view_digits,
            view_digits,
            "-X {exponent}"
        );
    }
    let log = AxisOptions {
        logarithmic: true,
        ..default()
    };
    let r = value_range(f64::NAN, f64::NAN, &log);
    assert_eq!(
        (r.min, r.max, r.magfact, r.symbol),
        (5.1 / 10e8 / 2.0, 10.2, 1.0, ' ')
    );
}

/// What rrdtool cannot do sensibly is refused, not guessed.
#[test]
fn refusals() {
    let area = GraphArea {
        xorigin: 51,
        yorigin: 115,
        width: 400,
        height: 100,
    };
    let unsupported =
        |r: Result<YGrid>| assert!(matches!(r, Err(Error::Unsupported { .. })), "{r:?}");
    let opts = AxisOptions {
        y_grid: YGridOption::Step {
            step: 1e-3,
            label_factor: 1,
        },
        rigid: true,
        ..AxisOptions::default()
    };
    let range = value_range(0.0, 1e6, &opts);
    unsupported(y_grid(&range, &opts, &area, &TimeZone::UTC));
    let inf = AxisOptions {
        upper_limit: Some(f64::INFINITY),
        rigid: true,
        ..AxisOptions::default()
    };
    unsupported(y_grid(
        &value_range(0.0, 1.0, &inf),
        &inf,
        &area,
        &TimeZone::UTC,
    ));
    let timestamp = AxisOptions {
        left_axis_formatter: ValueFormatter::Timestamp,
        upper_limit: Some(4e30),
        lower_limit: Some(1e30),
        rigid: true,
        ..AxisOptions::default()
    };
    let huge = y_grid(
        &value_range(1.0, 2.0, &timestamp),
        &timestamp,
        &area,
        &TimeZone::UTC,
    )
    .unwrap();
    // beyond i64 rrdtool prints the value with %f (the ends of its labels,
    // as far as they are on the canvas, top to bottom)
    let ends = [
        "0079538499354624.000000",
        "0341128851226624.000000",
        "0039769249677312.000000",
        "0019884624838656.000000",
    ];
    assert_eq!(huge.labels.len(), ends.len());
    for ((_, text), end) in huge.labels.iter().rev().zip(ends) {
        assert!(text.ends_with(end) && text.len() == 38, "{text}");
    }
    for step in [0, -1, 100_000_001] {
        let spec = TimeGridSpec {
            minor: TimeStep {
                unit: TimeUnit::Hour,
                count: step,
            },
            major: TimeStep {
                unit: TimeUnit::Day,
                count: 1,
            },
            label: TimeStep {
                unit: TimeUnit::Day,
                count: 1,
            },
            precision: 0,
            format: "%d".to_string(),
        };
        let opts = AxisOptions {
            x_grid: XGridOption::Custom(spec),
            ..AxisOptions::default()
        };
        let grid = time_grid(1_699_000_000, 1_700_000_000, 400, &opts, &TimeZone::UTC);
        assert!(
            matches!(grid, Err(Error::Unsupported { .. })),
            "{step}: {grid:?}"
        );
    }
    let dense = AxisOptions {
        x_grid: parse_x_grid("SECOND:1:MINUTE:1:HOUR:1:0:%H").unwrap(),
        ..AxisOptions::default()
    };
    assert!(matches!(
        time_grid(1_600_000_000, 1_700_000_000, 400, &dense, &TimeZone::UTC),
        Err(Error::Unsupported { .. })
    ));
    let long_label = AxisOptions {
        week_format: "%c".repeat(5),
        ..AxisOptions::default()
    };
    assert!(matches!(
        time_grid(
            1_697_408_000,
            1_700_000_000,
            400,
            &long_label,
            &TimeZone::UTC
        ),
        Err(Error::Unsupported { .. })
    ));
    // -x none and -y none
    let none = AxisOptions {
        x_grid: XGridOption::None,
        y_grid: YGridOption::None,
        ..AxisOptions::default()
    };
    assert_eq!(
        time_grid(1_697_408_000, 1_700_000_000, 400, &none, &TimeZone::UTC).unwrap(),
        TimeGrid::default()
    );
    assert_eq!(
        y_grid(&value_range(1.0, 2.0, &none), &none, &area, &TimeZone::UTC).unwrap(),
        YGrid::default()
    );
    assert_eq!(
        (
            none.y_label_chars(),
            AxisOptions {
                units_length: Some(10),
                ..none
            }
            .y_label_chars()
        ),
        (None, Some(10))
    );
}

/// A bad duration format leaves empty labels and rrdtool's error, which
/// rrdtool reports after drawing (`ERROR: Wrong duration format`, exit 1).
#[test]
fn deferred_duration_error() {
    let area = GraphArea {
        xorigin: 51,
        yorigin: 115,
        width: 400,
        height: 100,
    };
    let opts = AxisOptions {
        left_axis_formatter: ValueFormatter::Duration,
        left_axis_format: Some("%q".to_string()),
        ..AxisOptions::default()
    };
    let grid = y_grid(
        &value_range(0.0, 100.0, &opts),
        &opts,
        &area,
        &TimeZone::UTC,
    )
    .unwrap();
    assert_eq!(grid.error.as_deref(), Some("Wrong duration format"));
    assert!(!grid.labels.is_empty() && grid.labels.iter().all(|(_, t)| t.is_empty()));
    // -Y together with -y: rrdtool never builds the -Y format, labels are empty
    let both = AxisOptions {
        alt_y_grid: true,
        y_grid: parse_y_grid("7:3").unwrap(),
        ..AxisOptions::default()
    };
    let grid = y_grid(
        &value_range(10.0, 90.0, &both),
        &both,
        &area,
        &TimeZone::UTC,
    )
    .unwrap();
    assert_eq!(
        grid.labels
            .iter()
            .map(|(v, t)| (*v, t.as_str()))
            .collect::<Vec<_>>(),
        [
            (0.0, ""),
            (21.0, ""),
            (42.0, ""),
            (63.0, ""),
            (84.0, ""),
            (105.0, "")
        ]
    );
}

/// Formats and option arguments made of awkward pieces never panic.
#[test]
fn odd_inputs_do_not_panic() {
    const PIECES: [&str; 16] = [
        "%", "l", "f", "e", "g", ".", "0", "-", "#", "9", ":", "é", " ", "s", "c", "DAY",
    ];
    let mut seed: u64 = 1;
    for _ in 0..5000 {
        let mut text = String::new();
        for _ in 0..8 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            text.push_str(PIECES[(seed >> 33) as usize % PIECES.len()]);
        }
        let _ = check_axis_format(&text);
        let _ = c_sprintf(&text, &[CArg::F(1.5), CArg::C('k'), CArg::S("x")]);
        let _ = strfduration(&text, -12_345.678);
        let _ = parse_x_grid(&text);
        let _ = parse_y_grid(&text);
        let _ = parse_right_axis(&text);
    }
}

/// Grid lines as rrdtool 1.7.2 draws them: the dashed lines of the SVG
/// (MGRID colour for major lines, GRID for minor ones; the path's y for
/// horizontal lines, which cairo rounds to 1/256 px; x for vertical ones).
struct Lines {
    note: &'static str,
    tz: &'static str,
    args: &'static [&'static str],
    span: (i64, i64),
    area: (i64, i64, i64, i64),
    data: (f64, f64),
    major_y: &'static [f64],
    minor_y: &'static [f64],
    major_x: &'static [i64],
    minor_x: &'static [i64],
}

#[test]
fn grid_lines() {
    for case in GRID_LINES {
        let opts = options(case.args);
        let (xorigin, yorigin, width, height) = case.area;
        let area = GraphArea {
            xorigin,
            yorigin,
            width,
            height,
        };
        let tz = match case.tz {
            "UTC" => TimeZone::UTC,
            name => TimeZone::get(name).expect("time zone in the system database"),
        };
        let range = value_range(case.data.0, case.data.1, &opts);
        let grid = y_grid(&range, &opts, &area, &tz).unwrap();
        let sorted = |major: bool| {
            let mut ys: Vec<f64> = grid
                .lines
                .iter()
                .filter(|l| l.major == major)
                .map(|l| l.y)
                .collect();
            ys.sort_by(f64::total_cmp);
            ys
        };
        for (ours, theirs, kind) in [
            (sorted(true), case.major_y, "major"),
            (sorted(false), case.minor_y, "minor"),
        ] {
            let mut theirs = theirs.to_vec();
            theirs.sort_by(f64::total_cmp);
            assert!(
                ours.len() == theirs.len()
                    && ours
                        .iter()
                        .zip(&theirs)
                        .all(|(a, b)| (a - b).abs() <= 0.5 / 256.0),
                "{}: {kind} y {ours:?} vs {theirs:?}",
                case.note
            );
        }
        let (start, end) = case.span;
        let time = time_grid(start, end, width, &opts, &tz).unwrap();
        let xs = |ts: &[i64]| {
            ts.iter()
                .map(|&t| time_to_x(t, start, end, &area))
                .collect::<Vec<_>>()
        };
        assert_eq!(xs(&time.major), case.major_x, "{}: major x", case.note);
        assert_eq!(xs(&time.minor), case.minor_x, "{}: minor x", case.note);
    }
}

const GRID_LINES: &[Lines] = &[
    Lines {
        note: "30 days of m100 (spec run 4)",
        tz: "UTC",
        args: &[],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        major_y: &[102.5, 77.5, 52.5, 27.5],
        minor_y: &[
            115.0, 108.75, 96.25, 90.0, 83.75, 71.25, 65.0, 58.75, 46.25, 40.0, 33.75, 21.25, 15.0,
        ],
        major_x: &[131, 225, 318, 411],
        minor_x: &[
            51, 65, 78, 91, 105, 118, 145, 158, 171, 185, 198, 211, 238, 251, 265, 278, 291, 305,
            331, 345, 358, 371, 385, 398, 425, 438,
        ],
    },
    Lines {
        note: "-I (no minor lines) on the same",
        tz: "UTC",
        args: &["-I"],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        major_y: &[102.5, 77.5, 52.5, 27.5],
        minor_y: &[],
        major_x: &[131, 225, 318, 411],
        minor_x: &[],
    },
    Lines {
        note: "log, rigid 20..90",
        tz: "UTC",
        args: &["-o", "-l", "20", "-u", "90", "-r"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (30.0, 30.0),
        major_y: &[115.0, 54.078125, 31.707031],
        minor_y: &[88.042969, 68.914062, 41.957031, 22.832031],
        major_x: &[80, 130, 180, 230, 280, 330, 380, 430],
        minor_x: &[
            63, 97, 113, 147, 163, 197, 213, 247, 263, 297, 313, 347, 363, 397, 413, 447,
        ],
    },
    Lines {
        note: "log, 1e-9..1e9 at -h 200, -I does not remove log minor lines",
        tz: "UTC",
        args: &["-o", "-l", "1e-9", "-u", "1e9", "-r", "-h", "200", "-I"],
        span: (1699913600, 1700000000),
        area: (51, 215, 400, 200),
        data: (3.0, 3.0),
        major_y: &[215.0, 181.667969, 148.332031, 115.0, 81.667969, 48.332031],
        minor_y: &[
            203.890625, 192.777344, 170.554688, 159.445312, 137.222656, 126.109375, 103.890625,
            92.777344, 70.554688, 59.445312, 37.222656, 26.109375,
        ],
        major_x: &[80, 130, 180, 230, 280, 330, 380, 430],
        minor_x: &[],
    },
    Lines {
        note: "Europe/Berlin, 12 h around the fall-back",
        tz: "Europe/Berlin",
        args: &[],
        span: (1698508800, 1698552000),
        area: (51, 115, 400, 100),
        data: (0.0, 1.0),
        major_y: &[115.0, 95.0, 75.0, 55.0, 35.0, 15.0],
        minor_y: &[105.0, 85.0, 65.0, 45.0, 25.0],
        major_x: &[51, 84, 117, 151, 184, 217, 251, 284, 317, 351, 384, 417],
        minor_x: &[67, 101, 134, 167, 201, 234, 267, 301, 334, 367, 401, 434],
    },
];

const SPEC_RUNS: &[Run] = &[
    Run {
        num: 1,
        note: "1 hour, data 0..1",
        tz: "UTC",
        args: &[],
        span: (1699996400, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.0007638889320359389, 0.9994043381756914),
        value_range: ("7.0000000000e-04", "1.0000000000e+00"),
        left: &["1000 m", " 800 m", " 600 m", " 400 m", " 200 m", "   0  "],
        right: &[],
        x: &[
            ("21:20", 95),
            ("21:30", 162),
            ("21:40", 228),
            ("21:50", 295),
            ("22:00", 362),
            ("22:10", 428),
        ],
    },
    Run {
        num: 2,
        note: "1 day, data ~0..1e6",
        tz: "UTC",
        args: &[],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (144.44780814329476, 999857.722981257),
        value_range: ("1.0000000000e+02", "1.0000000000e+06"),
        left: &["1000 k", " 800 k", " 600 k", " 400 k", " 200 k", "   0  "],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 3,
        note: "1 week, data -50..20",
        tz: "UTC",
        args: &[],
        span: (1699395200, 1700000000),
        area: (51, 115, 400, 100),
        data: (-49.97965223314519, 19.980796963690203),
        value_range: ("-5.0000000000e+01", "2.0000000000e+01"),
        left: &[
            "  20", "  10", "   0", " -10", " -20", " -30", " -40", " -50",
        ],
        right: &[],
        x: &[
            ("08 Nov", 83),
            ("09 Nov", 140),
            ("10 Nov", 198),
            ("11 Nov", 255),
            ("12 Nov", 312),
            ("13 Nov", 369),
            ("14 Nov", 426),
        ],
    },
    Run {
        num: 4,
        note: "30 days, data 10..90",
        tz: "UTC",
        args: &[],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        value_range: ("1.0000000000e+01", "9.0000000000e+01"),
        left: &["  80", "  60", "  40", "  20"],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 5,
        note: "1 year, log, data 11..97700",
        tz: "UTC",
        args: &["-o"],
        span: (1668464000, 1700000000),
        area: (51, 115, 400, 100),
        data: (11.632550858111445, 97723.56104902868),
        value_range: ("5.8162754291e+00", "1.9544712210e+05"),
        left: &["1e+05", "1e+02"],
        right: &[],
        x: &[
            ("Nov '22", 52),
            ("Jan '23", 119),
            ("Mar '23", 183),
            ("May '23", 250),
            ("Jul '23", 317),
            ("Sep '23", 385),
        ],
    },
    Run {
        num: 6,
        note: "log + --units=si",
        tz: "UTC",
        args: &["-o", "--units=si"],
        span: (1668464000, 1700000000),
        area: (51, 115, 400, 100),
        data: (11.632550858111445, 97723.56104902868),
        value_range: ("5.8162754291e+00", "1.9544712210e+05"),
        left: &["100 k", "100  "],
        right: &[],
        x: &[
            ("Nov '22", 52),
            ("Jan '23", 119),
            ("Mar '23", 183),
            ("May '23", 250),
            ("Jul '23", 317),
            ("Sep '23", 385),
        ],
    },
    Run {
        num: 7,
        note: "log, data 5e-4..7e5",
        tz: "UTC",
        args: &["-o"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.0010767562569374604, 711405.8040597641),
        value_range: ("5.3837812847e-04", "1.4228116081e+06"),
        left: &["1e+06", "1e+03", "1e+00", "1e-03"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 8,
        note: "log rigid 10..100",
        tz: "UTC",
        args: &["-o", "-u", "100", "-l", "10", "-r"],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        value_range: ("1.0000000000e+01", "1.0000000000e+02"),
        left: &["5e+01", "1e+01"],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 9,
        note: "-Y",
        tz: "UTC",
        args: &["-Y"],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        value_range: ("1.0000000000e+01", "9.0000000000e+01"),
        left: &[" 80", " 60", " 40", " 20"],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 10,
        note: "data 1e-4..9e-4, -Y -A",
        tz: "UTC",
        args: &["-Y", "-A"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.00010011555824651463, 0.0008998861783850058),
        value_range: ("-1.0994600106e+00", "1.1004600123e+00"),
        left: &[" 1000000 u", "       0  ", "-1000000 u"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 11,
        note: "const 40, -Y -A",
        tz: "UTC",
        args: &["-Y", "-A"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (40.0, 40.0),
        value_range: ("3.9960000000e+01", "4.0440000000e+01"),
        left: &["40.4", "40.3", "40.2", "40.1", "40.0"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 12,
        note: "data 2.2e9..4.2e9 -Y",
        tz: "UTC",
        args: &["-Y"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (2200288895.6162868, 4199715445.962514),
        value_range: ("2.0000000000e+09", "5.0000000000e+09"),
        left: &[" 5 G", " 4 G", " 3 G", " 2 G"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 13,
        note: "-A",
        tz: "UTC",
        args: &["-A"],
        span: (1699996400, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.0007638889320359389, 0.9994043381756914),
        value_range: ("-5.4998386398e-01", "1.5501520911e+00"),
        left: &["1000 m", "   0  "],
        right: &[],
        x: &[
            ("21:20", 95),
            ("21:30", 162),
            ("21:40", 228),
            ("21:50", 295),
            ("22:00", 362),
            ("22:10", 428),
        ],
    },
    Run {
        num: 14,
        note: "-J",
        tz: "UTC",
        args: &["-J"],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        value_range: ("2.0069154621e+00", "8.9994482629e+01"),
        left: &["  80", "  60", "  40", "  20"],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 15,
        note: "-M",
        tz: "UTC",
        args: &["-M"],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        value_range: ("1.0005785205e+01", "9.7993352371e+01"),
        left: &["  80", "  60", "  40", "  20"],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 16,
        note: "all unknown",
        tz: "UTC",
        args: &[],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (f64::NAN, f64::NAN),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 17,
        note: "all unknown, log",
        tz: "UTC",
        args: &["-o"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (f64::NAN, f64::NAN),
        value_range: ("2.5500000000e-09", "1.0200000000e+01"),
        left: &["1e+00", "1e-03", "1e-06"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 18,
        note: "data -0.35..-0.25",
        tz: "UTC",
        args: &[],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (-0.3499855552191857, -0.25001422770187426),
        value_range: ("-4.0000000000e-01", "-2.5000000000e-01"),
        left: &["-250.0 m", "-300.0 m", "-350.0 m", "-400.0 m"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 19,
        note: "const 0.7",
        tz: "UTC",
        args: &[],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.7, 0.7),
        value_range: ("6.0000000000e-01", "7.5000000000e-01"),
        left: &[" 750 m", " 700 m", " 650 m", " 600 m"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 20,
        note: "base 1024",
        tz: "UTC",
        args: &["-b", "1024"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (2200288895.6162868, 4199715445.962514),
        value_range: ("2.1474836480e+09", "4.2949672960e+09"),
        left: &[" 4.0 G", " 3.5 G", " 3.0 G", " 2.5 G", " 2.0 G"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 21,
        note: "-X 0",
        tz: "UTC",
        args: &["-X", "0"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (144.44780814329476, 999857.722981257),
        value_range: ("1.0000000000e+02", "1.0000000000e+06"),
        left: &["1000000", "800000", "600000", "400000", "200000", "   0"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 22,
        note: "-X 3",
        tz: "UTC",
        args: &["-X", "3"],
        span: (1699996400, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.0007638889320359389, 0.9994043381756914),
        value_range: ("7.0000000000e-04", "1.0000000000e+00"),
        left: &[" 0.0 k", " 0.0 k", " 0.0 k", " 0.0 k", " 0.0 k", " 0.0  "],
        right: &[],
        x: &[
            ("21:20", 95),
            ("21:30", 162),
            ("21:40", 228),
            ("21:50", 295),
            ("22:00", 362),
            ("22:10", 428),
        ],
    },
    Run {
        num: 23,
        note: "limits inside data, not rigid",
        tz: "UTC",
        args: &["-u", "50", "-l", "30"],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        value_range: ("1.0000000000e+01", "9.0000000000e+01"),
        left: &["  80", "  60", "  40", "  20"],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 24,
        note: "rigid",
        tz: "UTC",
        args: &["-u", "50", "-l", "30", "-r"],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        value_range: ("3.0000000000e+01", "5.0000000000e+01"),
        left: &["  50", "  45", "  40", "  35", "  30"],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 25,
        note: "allow-shrink",
        tz: "UTC",
        args: &["-u", "200", "-l", "-5", "-r", "--allow-shrink"],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        value_range: ("1.0000000000e+01", "9.0000000000e+01"),
        left: &["  80", "  60", "  40", "  20"],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 26,
        note: "min>max repair",
        tz: "UTC",
        args: &["-l", "100", "-r"],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        value_range: ("8.9094537803e+01", "8.9994482629e+01"),
        left: &["  90", "  90", "  89", "  89"],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 27,
        note: "-y",
        tz: "UTC",
        args: &["-y", "7:3"],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        value_range: ("0.0000000000e+00", "1.0500000000e+02"),
        left: &[" 105", "  84", "  63", "  42", "  21", "   0"],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 28,
        note: "-x custom",
        tz: "UTC",
        args: &["-x", "DAY:1:WEEK:1:DAY:3:0:%d.%m"],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        value_range: ("1.0000000000e+01", "9.0000000000e+01"),
        left: &["  80", "  60", "  40", "  20"],
        right: &[],
        x: &[
            ("18.10", 78),
            ("21.10", 118),
            ("24.10", 158),
            ("27.10", 198),
            ("30.10", 238),
            ("02.11", 278),
            ("05.11", 318),
            ("08.11", 358),
            ("11.11", 398),
            ("14.11", 438),
        ],
    },
    Run {
        num: 29,
        note: "--week-fmt",
        tz: "UTC",
        args: &["--week-fmt", "KW %V"],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        value_range: ("1.0000000000e+01", "9.0000000000e+01"),
        left: &["  80", "  60", "  40", "  20"],
        right: &[],
        x: &[
            ("KW 42", 85),
            ("KW 43", 178),
            ("KW 44", 271),
            ("KW 45", 365),
        ],
    },
    Run {
        num: 30,
        note: "right axis",
        tz: "UTC",
        args: &["--right-axis", "2:10"],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        value_range: ("1.0000000000e+01", "9.0000000000e+01"),
        left: &["  80", "  60", "  40", "  20"],
        right: &["  170  ", "  130  ", "   90  ", "   50  "],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 31,
        note: "right axis",
        tz: "UTC",
        args: &["--right-axis", "0.001:0"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (144.44780814329476, 999857.722981257),
        value_range: ("1.0000000000e+02", "1.0000000000e+06"),
        left: &["1000 k", " 800 k", " 600 k", " 400 k", " 200 k", "   0  "],
        right: &[
            " 1000  ", "  800  ", "  600  ", "  400  ", "  200  ", "    0  ",
        ],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 32,
        note: "duration formatter, values 6e5..5.4e6 ms",
        tz: "UTC",
        args: &["--left-axis-formatter", "duration"],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (600347.1122727887, 5399668.957728195),
        value_range: ("6.0000000000e+05", "6.0000000000e+06"),
        left: &[
            "1:40:00", "1:23:20", "1:06:40", "0:50:00", "0:33:20", "0:16:40",
        ],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 33,
        note: "left-axis-format",
        tz: "UTC",
        args: &["--left-axis-format", "%.2lf"],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        value_range: ("1.0000000000e+01", "9.0000000000e+01"),
        left: &["80.00", "60.00", "40.00", "20.00"],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 34,
        note: "STACK",
        tz: "UTC",
        args: &[],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 179.9889652576065),
        value_range: ("1.0000000000e+01", "2.0000000000e+02"),
        left: &[" 200", " 150", " 100", "  50"],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 35,
        note: "HRULE ignored for range",
        tz: "UTC",
        args: &[],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 89.99448262880325),
        value_range: ("1.0000000000e+01", "9.0000000000e+01"),
        left: &["  80", "  60", "  40", "  20"],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 36,
        note: "constant LINE counts",
        tz: "UTC",
        args: &[],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.005785204546477, 500.0),
        value_range: ("1.0000000000e+01", "5.0000000000e+02"),
        left: &[" 500", " 400", " 300", " 200", " 100"],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 37,
        note: "10 min",
        tz: "UTC",
        args: &[],
        span: (1699999400, 1700000000),
        area: (51, 115, 400, 100),
        data: (f64::NAN, f64::NAN),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("22:04", 77),
            ("22:06", 157),
            ("22:08", 237),
            ("22:10", 317),
            ("22:12", 397),
        ],
    },
    Run {
        num: 38,
        note: "6 h",
        tz: "UTC",
        args: &[],
        span: (1699978400, 1700000000),
        area: (51, 115, 400, 100),
        data: (f64::NAN, f64::NAN),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("17:00", 102),
            ("18:00", 169),
            ("19:00", 236),
            ("20:00", 302),
            ("21:00", 369),
            ("22:00", 436),
        ],
    },
    Run {
        num: 39,
        note: "8 h",
        tz: "UTC",
        args: &[],
        span: (1699971200, 1700000000),
        area: (51, 115, 400, 100),
        data: (f64::NAN, f64::NAN),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("16:00", 139),
            ("18:00", 239),
            ("20:00", 339),
            ("22:00", 439),
        ],
    },
    Run {
        num: 40,
        note: "2 d",
        tz: "UTC",
        args: &[],
        span: (1699827200, 1700000000),
        area: (51, 115, 400, 100),
        data: (146.96890604588705, 148.43859511),
        value_range: ("1.2500000000e+02", "2.0000000000e+02"),
        left: &[" 200", " 180", " 160", " 140"],
        right: &[],
        x: &[
            ("Mon 00:00", 65),
            ("Mon 12:00", 165),
            ("Tue 00:00", 265),
            ("Tue 12:00", 365),
        ],
    },
    Run {
        num: 41,
        note: "3 d",
        tz: "UTC",
        args: &[],
        span: (1699740800, 1700000000),
        area: (51, 115, 400, 100),
        data: (146.88259917014352, 146.96890604588705),
        value_range: ("1.2500000000e+02", "2.0000000000e+02"),
        left: &[" 200", " 180", " 160", " 140"],
        right: &[],
        x: &[
            ("Sun 12 Nov", 127),
            ("Mon 13 Nov", 260),
            ("Tue 14 Nov", 394),
        ],
    },
    Run {
        num: 42,
        note: "2 w",
        tz: "UTC",
        args: &[],
        span: (1698790400, 1700000000),
        area: (51, 115, 400, 100),
        data: (145.85636297527702, 146.96890604588705),
        value_range: ("1.2500000000e+02", "2.0000000000e+02"),
        left: &[" 200", " 180", " 160", " 140"],
        right: &[],
        x: &[
            ("02 Nov", 95),
            ("04 Nov", 153),
            ("06 Nov", 210),
            ("08 Nov", 267),
            ("10 Nov", 324),
            ("12 Nov", 381),
            ("14 Nov", 438),
        ],
    },
    Run {
        num: 43,
        note: "3 w",
        tz: "UTC",
        args: &[],
        span: (1698185600, 1700000000),
        area: (51, 115, 400, 100),
        data: (145.13088458244619, 146.96890604588705),
        value_range: ("1.2500000000e+02", "2.0000000000e+02"),
        left: &[" 200", " 180", " 160", " 140"],
        right: &[],
        x: &[("Week 43", 61), ("Week 44", 195), ("Week 45", 328)],
    },
    Run {
        num: 44,
        note: "60 d",
        tz: "UTC",
        args: &[],
        span: (1694816000, 1700000000),
        area: (51, 115, 400, 100),
        data: (140.10529458737173, 146.96890604588705),
        value_range: ("1.2500000000e+02", "2.0000000000e+02"),
        left: &[" 200", " 180", " 160", " 140"],
        right: &[],
        x: &[("September 2023", 51), ("October 2023", 251)],
    },
    Run {
        num: 45,
        note: "120 d",
        tz: "UTC",
        args: &[],
        span: (1689632000, 1700000000),
        area: (51, 115, 400, 100),
        data: (129.49010764444822, 146.96890604588705),
        value_range: ("1.2500000000e+02", "2.0000000000e+02"),
        left: &[" 200", " 180", " 160", " 140"],
        right: &[],
        x: &[("Aug 2023", 147), ("Sep 2023", 251), ("Oct 2023", 351)],
    },
    Run {
        num: 46,
        note: "180 d",
        tz: "UTC",
        args: &[],
        span: (1684448000, 1700000000),
        area: (51, 115, 400, 100),
        data: (116.24065721459493, 146.96890604588705),
        value_range: ("1.0000000000e+02", "2.0000000000e+02"),
        left: &[" 200", " 180", " 160", " 140", " 120", " 100"],
        right: &[],
        x: &[
            ("Jun '23", 113),
            ("Jul '23", 180),
            ("Aug '23", 248),
            ("Sep '23", 317),
            ("Oct '23", 384),
        ],
    },
    Run {
        num: 47,
        note: "1.5 y",
        tz: "UTC",
        args: &[],
        span: (1652696000, 1700000000),
        area: (51, 115, 400, 100),
        data: (50.119558600223044, 146.92575260801527),
        value_range: ("5.0000000000e+01", "2.0000000000e+02"),
        left: &[" 200", " 150", " 100", "  50"],
        right: &[],
        x: &[
            ("Jul 2022", 95),
            ("Oct 2022", 162),
            ("Jan 2023", 229),
            ("Apr 2023", 295),
            ("Jul 2023", 361),
            ("Oct 2023", 429),
        ],
    },
    Run {
        num: 48,
        note: "2 y",
        tz: "UTC",
        args: &[],
        span: (1636928000, 1700000000),
        area: (51, 115, 400, 100),
        data: (50.000218884628495, 146.92575260801527),
        value_range: ("5.0000000000e+01", "2.0000000000e+02"),
        left: &[" 200", " 150", " 100", "  50"],
        right: &[],
        x: &[
            ("2022-01-01", 76),
            ("2022-07-01", 175),
            ("2023-01-01", 276),
            ("2023-07-01", 375),
        ],
    },
    Run {
        num: 49,
        note: "5 y",
        tz: "UTC",
        args: &[],
        span: (1542320000, 1700000000),
        area: (51, 115, 400, 100),
        data: (50.00196985708143, 149.99845060113506),
        value_range: ("5.0000000000e+01", "2.0000000000e+02"),
        left: &[" 200", " 150", " 100", "  50"],
        right: &[],
        x: &[
            ("2019-01-01", 61),
            ("2020-01-01", 141),
            ("2021-01-01", 221),
            ("2022-01-01", 301),
            ("2023-01-01", 381),
        ],
    },
    Run {
        num: 50,
        note: "10 y",
        tz: "UTC",
        args: &[],
        span: (1384640000, 1700000000),
        area: (51, 115, 400, 100),
        data: (50.00521872107579, 149.99264062886988),
        value_range: ("5.0000000000e+01", "2.0000000000e+02"),
        left: &[" 200", " 150", " 100", "  50"],
        right: &[],
        x: &[
            ("2014", 75),
            ("2015", 115),
            ("2016", 155),
            ("2017", 196),
            ("2018", 236),
            ("2019", 276),
            ("2020", 316),
            ("2021", 356),
            ("2022", 396),
            ("2023", 436),
        ],
    },
    Run {
        num: 51,
        note: "1 day at width 1000",
        tz: "UTC",
        args: &["-w", "1000"],
        span: (1699913600, 1700000000),
        area: (51, 115, 1000, 100),
        data: (f64::NAN, f64::NAN),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("Tue 00:00", 125),
            ("Tue 03:00", 250),
            ("Tue 06:00", 375),
            ("Tue 09:00", 500),
            ("Tue 12:00", 625),
            ("Tue 15:00", 750),
            ("Tue 18:00", 875),
            ("Tue 21:00", 1000),
        ],
    },
    Run {
        num: 52,
        note: "20 h at width 1000",
        tz: "UTC",
        args: &["-w", "1000"],
        span: (1699928000, 1700000000),
        area: (51, 115, 1000, 100),
        data: (f64::NAN, f64::NAN),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("04:00", 139),
            ("06:00", 239),
            ("08:00", 339),
            ("10:00", 439),
            ("12:00", 539),
            ("14:00", 639),
            ("16:00", 739),
            ("18:00", 839),
            ("20:00", 939),
            ("22:00", 1039),
        ],
    },
];

const FURTHER_RUNS: &[Run] = &[
    Run {
        num: 100,
        note: "log, rigid 10..15: a single label, no minor lines",
        tz: "UTC",
        args: &["-o", "-l", "10", "-u", "15", "-r"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (12.0, 12.0),
        value_range: ("1.0000000000e+01", "1.5000000000e+01"),
        left: &["1e+01"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 101,
        note: "log, rigid 20..90",
        tz: "UTC",
        args: &["-o", "-l", "20", "-u", "90", "-r"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (30.0, 30.0),
        value_range: ("2.0000000000e+01", "9.0000000000e+01"),
        left: &["7e+01", "5e+01", "2e+01"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 102,
        note: "log, rigid 0.5..2000, --units=si",
        tz: "UTC",
        args: &["-o", "-l", "0.5", "-u", "2000", "-r", "--units=si"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (3.0, 3.0),
        value_range: ("5.0000000000e-01", "2.0000000000e+03"),
        left: &["  1 k", "100  ", " 10  ", "  1  "],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 103,
        note: "log, rigid 1e-9..1e9, -h 200: every third decade",
        tz: "UTC",
        args: &["-o", "-l", "1e-9", "-u", "1e9", "-r", "-h", "200"],
        span: (1699913600, 1700000000),
        area: (51, 215, 400, 200),
        data: (3.0, 3.0),
        value_range: ("1.0000000000e-09", "1.0000000000e+09"),
        left: &["1e+06", "1e+03", "1e+00", "1e-03", "1e-06", "1e-09"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 104,
        note: "log with a right axis",
        tz: "UTC",
        args: &["-o", "--right-axis", "2:0"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.003, 700000.0),
        value_range: ("1.5000000000e-03", "1.4000000000e+06"),
        left: &["1e+06", "1e+03", "1e+00"],
        right: &["2e+06", "2e+03", "2e+00"],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 105,
        note: "log, --units=si with a right axis",
        tz: "UTC",
        args: &["-o", "--units=si", "--right-axis", "0.5:0"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.003, 700000.0),
        value_range: ("1.5000000000e-03", "1.4000000000e+06"),
        left: &["  1 M", "  1 k", "  1  "],
        right: &[" 500 k", " 500  ", " 500 m"],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 106,
        note: "timestamp formatter",
        tz: "UTC",
        args: &[
            "--left-axis-formatter",
            "timestamp",
            "-u",
            "1700000000",
            "-l",
            "1600000000",
            "-r",
        ],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (1650000000.0, 1650000000.0),
        value_range: ("1.6000000000e+09", "1.7000000000e+09"),
        left: &["2023-11-14 22:13:20", "2020-09-13 12:26:40"],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 107,
        note: "left axis format v=%5.2le",
        tz: "UTC",
        args: &["--left-axis-format", "v=%5.2le"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.0, 1000000.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+06"),
        left: &[
            "v=1.00e+00",
            "v=8.00e-01",
            "v=6.00e-01",
            "v=4.00e-01",
            "v=2.00e-01",
            "v=0.00e+00",
        ],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 108,
        note: "duration formatter with a format",
        tz: "UTC",
        args: &[
            "--left-axis-formatter",
            "duration",
            "--left-axis-format",
            "%Dd %02h:%02m %.1S",
        ],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (60000000.0, 600000000.0),
        value_range: ("5.0000000000e+07", "6.0000000000e+08"),
        left: &[
            "6d 22:40 600000.0",
            "5d 18:53 500000.0",
            "4d 15:06 400000.0",
            "3d 11:20 300000.0",
            "2d 07:33 200000.0",
            "1d 03:46 100000.0",
        ],
        right: &[],
        x: &[
            ("Week 42", 85),
            ("Week 43", 178),
            ("Week 44", 271),
            ("Week 45", 365),
        ],
    },
    Run {
        num: 109,
        note: "right axis duration and timestamp formatters",
        tz: "UTC",
        args: &[
            "--right-axis",
            "1000:1600000000",
            "--right-axis-formatter",
            "timestamp",
        ],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.0, 1000000.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+06"),
        left: &[" 1.0 M", " 0.8 M", " 0.6 M", " 0.4 M", " 0.2 M", " 0.0  "],
        right: &[
            "2052-05-22 14:13:20",
            "2046-01-19 18:40:00",
            "2039-09-18 23:06:40",
            "2033-05-18 03:33:20",
            "2027-01-15 08:00:00",
            "2020-09-13 12:26:40",
        ],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 110,
        note: "right axis duration formatter",
        tz: "UTC",
        args: &[
            "--right-axis",
            "3600000:0",
            "--right-axis-formatter",
            "duration",
        ],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.0, 50.0),
        value_range: ("0.0000000000e+00", "5.0000000000e+01"),
        left: &["  50", "  40", "  30", "  20", "  10", "   0"],
        right: &[
            "50:00:00", "40:00:00", "30:00:00", "20:00:00", "10:00:00", "0:00:00",
        ],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 111,
        note: "right axis format",
        tz: "UTC",
        args: &["--right-axis", "0.001:0", "--right-axis-format", "%.1lf"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.0, 1000000.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+06"),
        left: &[" 1.0 M", " 0.8 M", " 0.6 M", " 0.4 M", " 0.2 M", " 0.0  "],
        right: &["1000.0", "800.0", "600.0", "400.0", "200.0", "0.0"],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 112,
        note: "1 minute: row 3",
        tz: "UTC",
        args: &[],
        span: (1699999940, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.0, 1.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[("22:12:30", 117), ("22:13:00", 317)],
    },
    Run {
        num: 113,
        note: "100 s at -w 1000: row 2",
        tz: "UTC",
        args: &["-w", "1000"],
        span: (1699999900, 1700000000),
        area: (51, 115, 1000, 100),
        data: (0.0, 1.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("22:11:40", 51),
            ("22:11:50", 151),
            ("22:12:00", 251),
            ("22:12:10", 351),
            ("22:12:20", 451),
            ("22:12:30", 551),
            ("22:12:40", 651),
            ("22:12:50", 751),
            ("22:13:00", 851),
            ("22:13:10", 951),
            ("22:13:20", 1051),
        ],
    },
    Run {
        num: 114,
        note: "-h 35, rigid 40..140: a second label forced",
        tz: "UTC",
        args: &["-h", "35", "-u", "140", "-l", "40", "-r"],
        span: (1699913600, 1700000000),
        area: (51, 50, 400, 35),
        data: (50.0, 50.0),
        value_range: ("4.0000000000e+01", "1.4000000000e+02"),
        left: &[" 140", " 100"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 115,
        note: "-h 20 on 10..90: no label",
        tz: "UTC",
        args: &["-h", "20"],
        span: (1699913600, 1700000000),
        area: (51, 35, 400, 20),
        data: (10.0, 90.0),
        value_range: ("9.0000000000e+00", "9.0000000000e+01"),
        left: &[],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 116,
        note: "-y 100000:2 on 0..1e6",
        tz: "UTC",
        args: &["-y", "100000:2"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.0, 1000000.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+06"),
        left: &[" 1.0 M", " 0.8 M", " 0.6 M", " 0.4 M", " 0.2 M", " 0.0  "],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 117,
        note: "-y 20:2 -r: no snapping",
        tz: "UTC",
        args: &["-y", "20:2", "-r", "-u", "95", "-l", "5"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.0, 90.0),
        value_range: ("5.0000000000e+00", "9.5000000000e+01"),
        left: &["  80", "  40"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 118,
        note: "constant -5",
        tz: "UTC",
        args: &[],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (-5.0, -5.0),
        value_range: ("-5.0000000000e+00", "-4.0000000000e+00"),
        left: &["-4.0", "-4.2", "-4.4", "-4.6", "-4.8", "-5.0"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 119,
        note: "constant 0",
        tz: "UTC",
        args: &[],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.0, 0.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 120,
        note: "constant 42",
        tz: "UTC",
        args: &[],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (42.0, 42.0),
        value_range: ("4.0000000000e+01", "5.0000000000e+01"),
        left: &["  50", "  48", "  46", "  44", "  42", "  40"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 121,
        note: "40..70",
        tz: "UTC",
        args: &[],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (40.0, 70.0),
        value_range: ("3.0000000000e+01", "7.0000000000e+01"),
        left: &["  70", "  60", "  50", "  40", "  30"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 122,
        note: "-70..-40",
        tz: "UTC",
        args: &[],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (-70.0, -40.0),
        value_range: ("-7.0000000000e+01", "-3.0000000000e+01"),
        left: &["-30.0", "-40.0", "-50.0", "-60.0", "-70.0"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 123,
        note: "1000..1010",
        tz: "UTC",
        args: &[],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (1000.0, 1010.0),
        value_range: ("8.0000000000e+02", "1.2000000000e+03"),
        left: &[" 1.2 k", " 1.1 k", " 1.0 k", " 0.9 k", " 0.8 k"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 124,
        note: "base 1024 between 1000 and 1024",
        tz: "UTC",
        args: &["-b", "1024"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (1010.0, 1020.0),
        value_range: ("1.0100000000e+03", "1.0200000000e+03"),
        left: &["1020", "1018", "1016", "1014", "1012", "1010"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 125,
        note: "-X -4",
        tz: "UTC",
        args: &["-X", "-4"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.0, 0.9),
        value_range: ("0.0000000000e+00", "9.0000000000e-01"),
        left: &[" 800 m", " 600 m", " 400 m", " 200 m", "   0  "],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 126,
        note: "-X 2",
        tz: "UTC",
        args: &["-X", "2"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.0, 9000.0),
        value_range: ("0.0000000000e+00", "9.0000000000e+03"),
        left: &["8000", "6000", "4000", "2000", "   0"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 127,
        note: "-Y on -50..20",
        tz: "UTC",
        args: &["-Y"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (-50.0, 20.0),
        value_range: ("-5.0000000000e+01", "2.0000000000e+01"),
        left: &[" 20", "  0", "-20", "-40"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 128,
        note: "-Y -X 0 on 2e9..5e9",
        tz: "UTC",
        args: &["-Y", "-X", "0"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (2200000000.0, 4200000000.0),
        value_range: ("2.0000000000e+09", "5.0000000000e+09"),
        left: &[" 5000000000", " 4000000000", " 3000000000", " 2000000000"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 129,
        note: "-A -J -M: only -A acts",
        tz: "UTC",
        args: &["-A", "-J", "-M"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.0, 90.0),
        value_range: ("2.0000000000e+00", "9.8000000000e+01"),
        left: &["  80", "  60", "  40", "  20"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 130,
        note: "-J -M: only -J acts",
        tz: "UTC",
        args: &["-J", "-M"],
        span: (1699913600, 1700000000),
        area: (51, 115, 400, 100),
        data: (10.0, 90.0),
        value_range: ("2.0000000000e+00", "9.0000000000e+01"),
        left: &["  80", "  60", "  40", "  20"],
        right: &[],
        x: &[
            ("Tue 00:00", 80),
            ("Tue 06:00", 180),
            ("Tue 12:00", 280),
            ("Tue 18:00", 380),
        ],
    },
    Run {
        num: 131,
        note: "Europe/Berlin, 12 h around the fall-back",
        tz: "Europe/Berlin",
        args: &[],
        span: (1698508800, 1698552000),
        area: (51, 115, 400, 100),
        data: (0.0, 1.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("18:00", 51),
            ("20:00", 117),
            ("22:00", 184),
            ("00:00", 251),
            ("02:00", 317),
            ("03:00", 384),
            ("05:00", 451),
        ],
    },
    Run {
        num: 132,
        note: "Europe/Berlin, 2 days around the fall-back",
        tz: "Europe/Berlin",
        args: &[],
        span: (1698444000, 1698616800),
        area: (51, 115, 400, 100),
        data: (0.0, 1.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("Sat 00:00", 51),
            ("Sat 12:00", 151),
            ("Sun 00:00", 251),
            ("Sun 11:00", 351),
            ("Sun 23:00", 451),
        ],
    },
    Run {
        num: 133,
        note: "Europe/Berlin, 12 h around the spring-forward",
        tz: "Europe/Berlin",
        args: &[],
        span: (1679770800, 1679814000),
        area: (51, 115, 400, 100),
        data: (0.0, 1.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("20:00", 51),
            ("22:00", 117),
            ("00:00", 184),
            ("03:00", 251),
            ("05:00", 317),
            ("07:00", 384),
            ("09:00", 451),
        ],
    },
    Run {
        num: 134,
        note: "Europe/Berlin, 3 weeks around the fall-back",
        tz: "Europe/Berlin",
        args: &[],
        span: (1697666400, 1699480800),
        area: (51, 115, 400, 100),
        data: (0.0, 1.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[("Week 43", 174), ("Week 44", 308), ("Week 45", 441)],
    },
    Run {
        num: 135,
        note: "America/New_York, 1 day over the spring-forward",
        tz: "America/New_York",
        args: &[],
        span: (1678568400, 1678654800),
        area: (51, 115, 400, 100),
        data: (0.0, 1.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("Sat 18:00", 84),
            ("Sun 00:00", 184),
            ("Sun 07:00", 284),
            ("Sun 13:00", 384),
        ],
    },
    Run {
        num: 136,
        note: "Australia/Lord_Howe, 30-minute DST change",
        tz: "Australia/Lord_Howe",
        args: &[],
        span: (1680345000, 1680381000),
        area: (51, 115, 400, 100),
        data: (0.0, 1.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("22:00", 71),
            ("00:00", 151),
            ("01:30", 231),
            ("03:30", 311),
            ("05:30", 391),
        ],
    },
    Run {
        num: 137,
        note: "Pacific/Apia skipped 30 Dec 2011",
        tz: "Pacific/Apia",
        args: &[],
        span: (1324980000, 1325498400),
        area: (51, 115, 400, 100),
        data: (0.0, 1.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("27 Dec", 84),
            ("28 Dec", 151),
            ("29 Dec", 217),
            ("31 Dec", 284),
            ("01 Jan", 351),
            ("02 Jan", 417),
        ],
    },
    Run {
        num: 138,
        note: "-x with WEEK and a label format with colons",
        tz: "UTC",
        args: &["-x", "DAY:1:WEEK:1:WEEK:1:0:%d.%m. %H:%M"],
        span: (1694816000, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.0, 1.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("17.09. 00:00", 58),
            ("24.09. 00:00", 104),
            ("01.10. 00:00", 151),
            ("08.10. 00:00", 198),
            ("15.10. 00:00", 244),
            ("22.10. 00:00", 291),
            ("29.10. 00:00", 338),
            ("05.11. 00:00", 384),
            ("12.11. 00:00", 431),
        ],
    },
    Run {
        num: 139,
        note: "-x with HOUR labels and a precision",
        tz: "Europe/Berlin",
        args: &["-x", "HOUR:6:DAY:1:HOUR:12:43200:%a %Hh"],
        span: (1698357600, 1698616800),
        area: (51, 115, 400, 100),
        data: (0.0, 1.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("Fri 06h", 84),
            ("Fri 18h", 151),
            ("Sat 06h", 217),
            ("Sat 18h", 284),
            ("Sun 05h", 351),
            ("Sun 17h", 417),
        ],
    },
    Run {
        num: 140,
        note: "--week-fmt with strftime flags",
        tz: "UTC",
        args: &["--week-fmt", "%^a %#b %_5d %-m %G-W%V"],
        span: (1697408000, 1700000000),
        area: (51, 115, 400, 100),
        data: (0.0, 1.0),
        value_range: ("0.0000000000e+00", "1.0000000000e+00"),
        left: &[" 1.0", " 0.8", " 0.6", " 0.4", " 0.2", " 0.0"],
        right: &[],
        x: &[
            ("WED OCT    18 10 2023-W42", 85),
            ("WED OCT    25 10 2023-W43", 178),
            ("WED NOV     1 11 2023-W44", 271),
            ("WED NOV     8 11 2023-W45", 365),
        ],
    },
];

/// A day of data between 10.006 and 89.99, drawn 400x100 at (51, 115).
#[test]
fn a_days_axes() {
    let opts = AxisOptions::default();
    let range = value_range(10.006, 89.99, &opts);
    assert_eq!((range.min, range.max), (10.0, 90.0));
    let area = GraphArea {
        xorigin: 51,
        yorigin: 115,
        width: 400,
        height: 100,
    };
    let utc = jiff::tz::TimeZone::UTC;
    let grid = y_grid(&range, &opts, &area, &utc).unwrap();
    let labels: Vec<&str> = grid.labels.iter().map(|(_, text)| text.as_str()).collect();
    assert_eq!(labels, ["  20", "  40", "  60", "  80"]);
    let time = time_grid(1_699_913_600, 1_700_000_000, area.width, &opts, &utc).unwrap();
    assert_eq!(time.labels[0], (1_699_920_000, "Tue 00:00".to_string()));
}

/// The axis' `strfduration`: its buffer, limits and NaN sign.
fn strfduration(fmt: &str, ms: f64) -> Option<String> {
    crate::duration::strfduration(fmt, ms, &AXIS_DURATION).ok()
}
