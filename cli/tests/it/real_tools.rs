//! `rrd graph` against rrdtool 1.7.2 on the command lines that real tools
//! generate, taken from their public code (sources noted per line): the
//! same status and text output (the size line and PRINTs), the same image
//! size, PNGs no larger than rrdtool's, and pixels that agree (at most
//! 0.5% differ by more than 32 levels in any channel, alpha included).
//!
//! Changes to the tools' lines, so that both programs see the same thing:
//! a fixed data file (`data.rrd`, whose data-source names stand for the
//! tools' own), absolute times instead of `now`-relative ones, and a file
//! name where a tool writes to standard output.

use std::path::Path;

use crate::support::{have_rrdtool, run, TempDir, RRD};

/// The end of every graph's window.
const END: i64 = 1_700_006_400;

/// A file with every data source the command lines name: 3 days of
/// 5-minute samples of smooth daily curves with noise and a gap.
fn data_file(dir: &Path) {
    let mut ds: Vec<String> = [
        "in",
        "out",
        "load",
        "shortterm",
        "midterm",
        "longterm",
        "load1",
        "load5",
        "load15",
        "median",
        "loss",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ds.extend((1..=20).map(|i| format!("ping{i}")));
    let start = END - 3 * 86_400;
    let mut create = vec![
        "create".to_string(),
        "data.rrd".into(),
        "--start".into(),
        start.to_string(),
        "--step".into(),
        "300".into(),
    ];
    create.extend(ds.iter().map(|d| format!("DS:{d}:GAUGE:600:U:U")));
    for cf in ["AVERAGE", "MIN", "MAX"] {
        create.push(format!("RRA:{cf}:0.5:1:1000"));
    }
    let o = run("rrdtool", dir, &create);
    assert_eq!(o.status, 0, "{}", o.err());
    let mut rng = crate::support::SplitMix(0x7001_5eed);
    let mut update = vec!["update".to_string(), "data.rrd".into()];
    let mut t = start + 300;
    while t <= END {
        let day = ((t % 86_400) as f64 / 86_400.0 * std::f64::consts::TAU).sin();
        let noise = |rng: &mut crate::support::SplitMix| (rng.next() % 1000) as f64 / 1000.0;
        let gap = (END - 2 * 86_400..END - 2 * 86_400 + 7_200).contains(&t);
        let mut vals: Vec<String> = Vec::new();
        for d in &ds {
            let v = match d.as_str() {
                "in" => 2e6 * (1.2 + day) * (0.8 + 0.4 * noise(&mut rng)),
                "out" => 7e5 * (1.2 + day) * (0.8 + 0.4 * noise(&mut rng)),
                "loss" => (noise(&mut rng) * 3.0).floor(),
                "median" => 0.02 + 0.01 * day + 0.005 * noise(&mut rng),
                p if p.starts_with("ping") => {
                    let k: f64 = p[4..].parse().unwrap_or(1.0);
                    0.015 + 0.01 * day + 0.0008 * k + 0.004 * noise(&mut rng)
                }
                _ => (1.5 + day) * (0.7 + 0.6 * noise(&mut rng)),
            };
            vals.push(if gap { "U".into() } else { format!("{v:.6}") });
        }
        update.push(format!("{t}:{}", vals.join(":")));
        t += 300;
    }
    let o = run("rrdtool", dir, &update);
    assert_eq!(o.status, 0, "{}", o.err());
}

/// The command lines: (tool and source, arguments after `graph`).
fn command_lines() -> Vec<(&'static str, Vec<String>)> {
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let end = END.to_string();
    let day = (END - 86_400).to_string();
    let mut out = Vec::new();
    // munin-monitoring/munin stable-2.0 (0f0f83b2),
    // master/lib/Munin/Master/GraphOld.pm: get_header, get_fonts, the
    // per-field DEF/CDEF/GPRINT, handle_trends; the load plugin
    let mut munin = s(&[
        "load-day.png", "--title", "Load average - by day", "--start", "end-2000m",
        "--base", "1000", "-l", "0", "--vertical-label", "load", "--slope-mode", "--height",
        "175", "--width", "400", "--imgformat", "PNG", "--units-exponent", "0", "--font",
        "DEFAULT:0:DejaVuSans,DejaVu Sans,DejaVu LGC Sans,Bitstream Vera Sans", "--font",
        "LEGEND:7:DejaVuSansMono,DejaVu Sans Mono,DejaVu LGC Sans Mono,Bitstream Vera Sans Mono,monospace",
        "--color", "BACK#F0F0F0", "--color", "FRAME#F0F0F0", "--color", "CANVAS#FFFFFF",
        "--color", "FONT#666666", "--color", "AXIS#CFD6F8", "--color", "ARROW#CFD6F8",
        "--border", "0", "-W", "Munin 2.0.76", "DEF:aload=data.rrd:load:MAX",
        "DEF:iload=data.rrd:load:MIN", "DEF:gload=data.rrd:load:AVERAGE", "CDEF:cload=gload",
        "COMMENT:    ", "COMMENT: Cur\\:", "COMMENT:Min\\:", "COMMENT:Avg\\:",
        "COMMENT:Max\\:  \\j", "LINE1:gload#00CC00:load ", "GPRINT:cload:LAST:%6.2lf",
        "GPRINT:iload:MIN:%6.2lf", "GPRINT:gload:AVERAGE:%6.2lf", "GPRINT:aload:MAX:%6.2lf\\j",
    ]);
    munin.extend([
        format!("VRULE:{end}#999999"),
        "COMMENT:Last update\\: Tue Nov 14 23\\:00\\:00 2023\\r".into(),
        "--end".into(),
        end.clone(),
    ]);
    out.push(("Munin 2.0 GraphOld.pm, load", munin));
    // librenms/librenms includes/html/graphs/common.inc.php (1791a8a),
    // generic_data.inc.php (5f88851), port/bits.inc.php, the defaults of
    // misc/config_definitions.json: a port's traffic
    let mut librenms = s(&[
        "graph.png",
        "--alt-autoscale-max",
        "--rigid",
        "-E",
        "--start",
    ]);
    librenms.extend([day.clone(), "--end".into(), end.clone()]);
    librenms.extend(s(&[
        "--width",
        "500",
        "--height",
        "150",
        "-c",
        "BACK#EEEEEE00",
        "-c",
        "SHADEA#EEEEEE00",
        "-c",
        "SHADEB#EEEEEE00",
        "-c",
        "CANVAS#FFFFFF00",
        "-c",
        "GRID#a5a5a5",
        "-c",
        "MGRID#FF9999",
        "-c",
        "FRAME#5e5e5e",
        "-c",
        "ARROW#5e5e5e",
        "-c",
        "FONT#000000",
        "--font",
        "LEGEND:8:DejaVuSansMono",
        "--font",
        "AXIS:7:DejaVuSansMono",
        "--font-render-mode",
        "normal",
        "DEF:outoctets=data.rrd:out:AVERAGE",
        "DEF:inoctets=data.rrd:in:AVERAGE",
        "DEF:outoctets_max=data.rrd:out:MAX",
        "DEF:inoctets_max=data.rrd:in:MAX",
        "CDEF:octets=inoctets,outoctets,+",
        "CDEF:doutoctets=outoctets,-1,*",
        "CDEF:outbits=outoctets,8,*",
        "CDEF:outbits_max=outoctets_max,8,*",
        "CDEF:doutoctets_max=outoctets_max,-1,*",
        "CDEF:doutbits=doutoctets,8,*",
        "CDEF:doutbits_max=doutoctets_max,8,*",
        "CDEF:inbits=inoctets,8,*",
        "CDEF:inbits_max=inoctets_max,8,*",
        "VDEF:totin=inoctets,TOTAL",
        "VDEF:totout=outoctets,TOTAL",
        "VDEF:tot=octets,TOTAL",
        "CDEF:dpercentile_outn=doutbits,-1,*",
        "VDEF:dpercentile_outnp=dpercentile_outn,95,PERCENT",
        "CDEF:dpercentile_outnpn=doutbits,doutbits,-,dpercentile_outnp,-1,*,+",
        "VDEF:dpercentile_out=dpercentile_outnpn,FIRST",
        "VDEF:percentile_in=inbits,95,PERCENT",
        "VDEF:percentile_out=outbits,95,PERCENT",
        "COMMENT:bps      Now       Ave      Max      95th %\\n",
        "AREA:inbits_max#D7FFC7:",
        "AREA:inbits#90B040:",
        "LINE:inbits#608720:In ",
        "GPRINT:inbits:LAST:%6.2lf%s",
        "GPRINT:inbits:AVERAGE:%6.2lf%s",
        "GPRINT:inbits_max:MAX:%6.2lf%s",
        "GPRINT:percentile_in:%6.2lf%s\\n",
        "AREA:doutbits_max#E0E0FF:",
        "AREA:doutbits#8080C0:",
        "LINE:doutbits#606090:Out",
        "GPRINT:outbits:LAST:%6.2lf%s",
        "GPRINT:outbits:AVERAGE:%6.2lf%s",
        "GPRINT:outbits_max:MAX:%6.2lf%s",
        "GPRINT:percentile_out:%6.2lf%s\\n",
        "GPRINT:tot:Total %6.2lf%sB",
        "GPRINT:totin:(In %6.2lf%sB",
        "GPRINT:totout:Out %6.2lf%sB)\\l",
        "LINE1:percentile_in#aa0000",
        "LINE1:dpercentile_out#aa0000",
    ]));
    out.push(("LibreNMS graphs/port/bits via generic_data", librenms));
    // Cacti/cacti 1.2.x (5af8cb23) lib/rrd.php rrdtool_function_graph and
    // the modern theme; "Interface - Traffic (bits/sec)"
    let mut cacti = s(&["traffic.png", "--imgformat=PNG"]);
    cacti.extend([format!("--start={day}"), format!("--end={end}")]);
    cacti.extend(s(&[
        "--pango-markup",
        "--title=router - Traffic",
        "--vertical-label=bits per second",
        "--slope-mode",
        "--base=1000",
        "--height=200",
        "--width=700",
        "--rigid",
        "--alt-autoscale-max",
        "--lower-limit=0",
        "COMMENT:From 2023-11-13 23\\:00\\:00 To 2023-11-14 23\\:00\\:00\\c",
        "COMMENT:  \\n",
        "--color",
        "BACK#F3F3F3",
        "--color",
        "CANVAS#FDFDFD",
        "--color",
        "SHADEA#CBCBCB",
        "--color",
        "SHADEB#999999",
        "--color",
        "FONT#000000",
        "--color",
        "AXIS#2C4D43",
        "--color",
        "ARROW#2C4D43",
        "--color",
        "FRAME#2C4D43",
        "--border",
        "1",
        "--font",
        "TITLE:11:Arial",
        "--font",
        "AXIS:8:Arial",
        "--font",
        "LEGEND:8:Courier",
        "--font",
        "UNIT:8:Arial",
        "--font",
        "WATERMARK:6:Arial",
        "--slope-mode",
        "--watermark",
        "Generated by Cacti®",
        "DEF:a=data.rrd:in:MAX",
        "DEF:b=data.rrd:in:AVERAGE",
        "DEF:c=data.rrd:out:MAX",
        "DEF:d=data.rrd:out:AVERAGE",
        "CDEF:cdefa=a,8,*",
        "CDEF:cdefb=b,8,*",
        "CDEF:cdeff=c,8,*",
        "CDEF:cdefg=d,8,*",
        "LINE1:cdefa#00CF00FF:",
        "AREA:cdefb#00CF007F:Inbound ",
        "GPRINT:cdefb:LAST:Current\\:%8.2lf %s",
        "GPRINT:cdefb:AVERAGE:Average\\:%8.2lf %s",
        "GPRINT:cdefb:MAX:Maximum\\:%8.2lf %s\\n",
        "LINE1:cdeff#002A97FF:",
        "AREA:cdefg#002A977F:Outbound",
        "GPRINT:cdefg:LAST:Current\\:%8.2lf %s",
        "GPRINT:cdefg:AVERAGE:Average\\:%8.2lf %s",
        "GPRINT:cdefg:MAX:Maximum\\:%8.2lf %s\\n",
    ]));
    out.push(("Cacti 1.2 lib/rrd.php, Interface - Traffic", cacti));
    // oetiker/SmokePing v2.9.0 (92db127) lib/Smokeping.pm get_detail and
    // smokecol, lib/Smokeping/Graphs.pm, etc/config.dist.in: "Last 3 Hours"
    let mut sp = s(&["target_last_10800.png", "--start", "end-10800", "--end"]);
    sp.push(end.clone());
    sp.extend(s(&[
        "--height",
        "200",
        "--width",
        "600",
        "--title",
        "",
        "--rigid",
        "--upper-limit",
        "0.1",
        "--lower-limit",
        "0",
        "--vertical-label",
        "Seconds",
        "--imgformat",
        "PNG",
        "--border",
        "0",
        "--color",
        "BACK#ffffff00",
        "--color",
        "CANVAS#ffffff00",
    ]));
    sp.extend((1..=20).map(|i| format!("DEF:ping{i}=data.rrd:ping{i}:AVERAGE")));
    sp.extend((1..=20).map(|i| format!("CDEF:cp{i}=ping{i},0.1,LT,ping{i},INF,IF")));
    sp.push("DEF:loss=data.rrd:loss:AVERAGE".into());
    let grey = ["dd", "ca", "b7", "a4", "91", "7e", "6b", "58", "45", "32"];
    for b in 1..=10 {
        let t = 21 - b;
        let g = grey[b - 1];
        sp.extend([
            format!("CDEF:smoke{b}=cp{b},UN,UNKN,cp{t},cp{b},-,IF"),
            format!("AREA:cp{b}"),
            format!("STACK:smoke{b}#{g}{g}{g}"),
        ]);
    }
    sp.extend(s(&[
        "DEF:median=data.rrd:median:AVERAGE",
        "CDEF:ploss=loss,20,/,100,*",
        "VDEF:avmed=median,AVERAGE",
        "CDEF:mesd=median,POP,avmed,0.0012,/",
        "GPRINT:avmed:median rtt\\:  %.1lf %ss avg",
        "GPRINT:median:MAX:%.1lf %ss max",
        "GPRINT:median:MIN:%.1lf %ss min",
        "GPRINT:median:LAST:%.1lf %ss now",
        "COMMENT:1.2 ms sd",
        "GPRINT:mesd:AVERAGE:%.1lf %s am/s\\l",
        "LINE1:median#202020",
        "GPRINT:ploss:AVERAGE:packet loss\\: %.2lf %% avg",
        "GPRINT:ploss:MAX:%.2lf %% max",
        "GPRINT:ploss:MIN:%.2lf %% min",
        "GPRINT:ploss:LAST:%.2lf %% now\\l",
        "COMMENT:loss color\\:",
    ]));
    let mut last = "-1".to_string();
    for (l, lab, col) in [
        ("0", "0", "26ff00"),
        ("1", "1", "00b8ff"),
        ("2", "2", "0059ff"),
        ("3", "3", "7e00ff"),
        ("5", "4-5", "ff00ff"),
        ("10", "6-10", "ff5500"),
        ("19", "11-19", "ff0000"),
        ("20", "20/20", "a00000"),
    ] {
        sp.extend([
            format!("CDEF:me{l}=loss,{last},GT,loss,{l},LE,*,1,UNKN,IF,median,*"),
            format!("CDEF:meL{l}=me{l},0.0005,-"),
            format!("CDEF:meH{l}=me{l},0,*,0.0005,2,*,+"),
            format!("AREA:meL{l}"),
            format!("STACK:meH{l}#{col}:{lab}"),
        ]);
        last = l.to_string();
    }
    sp.extend(s(&[
        "COMMENT: \\l",
        "HRULE:0#000000",
        "COMMENT:probe\\:       20 ICMP Echo Pings (56 Bytes) every 300s",
        "COMMENT:Tue Nov 14 23\\:00\\:00 2023\\j",
    ]));
    out.push(("SmokePing 2.9.0 Smokeping.pm get_detail, last 3 hours", sp));
    // collectd/collectd (10d8891) contrib/collection.cgi: @RRDDefaultArgs
    // and the load graph
    let mut cd = s(&["load.png", "-a", "PNG", "-s"]);
    cd.extend([day.clone(), "-e".into(), end.clone()]);
    cd.extend(s(&[
        "-t",
        "myhost/load/load",
        "-w",
        "400",
        "-v",
        "System load",
        "DEF:s_avg=data.rrd:shortterm:AVERAGE",
        "DEF:s_min=data.rrd:shortterm:MIN",
        "DEF:s_max=data.rrd:shortterm:MAX",
        "DEF:m_avg=data.rrd:midterm:AVERAGE",
        "DEF:m_min=data.rrd:midterm:MIN",
        "DEF:m_max=data.rrd:midterm:MAX",
        "DEF:l_avg=data.rrd:longterm:AVERAGE",
        "DEF:l_min=data.rrd:longterm:MIN",
        "DEF:l_max=data.rrd:longterm:MAX",
        "AREA:s_max#B7EFB7",
        "AREA:s_min#FFFFFF",
        "LINE1:s_avg#00E000: 1m average",
        "GPRINT:s_min:MIN:%4.2lf Min,",
        "GPRINT:s_avg:AVERAGE:%4.2lf Avg,",
        "GPRINT:s_max:MAX:%4.2lf Max,",
        "GPRINT:s_avg:LAST:%4.2lf Last\\n",
        "LINE1:m_avg#0000FF: 5m average",
        "GPRINT:m_min:MIN:%4.2lf Min,",
        "GPRINT:m_avg:AVERAGE:%4.2lf Avg,",
        "GPRINT:m_max:MAX:%4.2lf Max,",
        "GPRINT:m_avg:LAST:%4.2lf Last\\n",
        "LINE1:l_avg#FF0000:15m average",
        "GPRINT:l_min:MIN:%4.2lf Min,",
        "GPRINT:l_avg:AVERAGE:%4.2lf Avg,",
        "GPRINT:l_max:MAX:%4.2lf Max,",
        "GPRINT:l_avg:LAST:%4.2lf Last",
    ]));
    out.push(("collectd contrib/collection.cgi, load", cd));
    // lingej/pnp4nagios (5e09f53) share/pnp/templates.dist/check_load.php,
    // application/models/rrdtool.php doImage, data.php
    let mut pnp = s(&["load.png", "--width=500", "--height=100", "--start"]);
    pnp.extend([(END - 90_000).to_string(), "--end".into(), end.clone()]);
    pnp.extend(s(&[
        "--vertical-label",
        "Load",
        "-l0",
        "--title",
        "CPU Load for myhost / Load",
        "DEF:var1=data.rrd:load1:AVERAGE",
        "DEF:var2=data.rrd:load5:AVERAGE",
        "DEF:var3=data.rrd:load15:AVERAGE",
        "HRULE:15.000#FFFF00",
        "HRULE:30.000#FF0000",
        "AREA:var3#ff0000:load 15",
        "GPRINT:var3:LAST:%6.2lf Last",
        "GPRINT:var3:AVERAGE:%6.2lf Average",
        "GPRINT:var3:MAX:%6.2lf Max\\l",
        "AREA:var2#EA8F00:Load 5 ",
        "GPRINT:var2:LAST:%6.2lf Last",
        "GPRINT:var2:AVERAGE:%6.2lf Average",
        "GPRINT:var2:MAX:%6.2lf Max\\l",
        "AREA:var1#EACC00:load 1 ",
        "GPRINT:var1:LAST:%6.2lf Last",
        "GPRINT:var1:AVERAGE:%6.2lf Average",
        "GPRINT:var1:MAX:%6.2lf Max\\l",
    ]));
    out.push(("pnp4nagios templates.dist/check_load.php", pnp));
    out
}

/// A PNG's size and RGBA pixels.
fn rgba(path: &Path) -> (u32, u32, Vec<u8>) {
    let mut d = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    ));
    d.set_transformations(png::Transformations::EXPAND);
    let mut r = d.read_info().expect("a PNG");
    let mut buf = vec![0; r.output_buffer_size()];
    let info = r.next_frame(&mut buf).expect("a frame");
    buf.truncate(info.buffer_size());
    let px = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks(3)
            .flat_map(|c| [c[0], c[1], c[2], 255])
            .collect(),
        other => panic!("{}: colour type {other:?}", path.display()),
    };
    (info.width, info.height, px)
}

#[test]
fn real_tools_command_lines_draw_as_rrdtool_draws_them() {
    if !have_rrdtool() {
        eprintln!("real_tools skipped: rrdtool 1.7.2 is not on PATH");
        return;
    }
    let dir = TempDir::new("real-tools");
    data_file(dir.path());
    let mut failures = Vec::new();
    let mut report = Vec::new();
    for (tool, args) in command_lines() {
        let file = args[0].clone();
        let mut want_args = vec!["graph".to_string(), format!("c-{file}")];
        want_args.extend(args[1..].iter().cloned());
        let mut got_args = vec!["graph".to_string(), format!("r-{file}")];
        got_args.extend(args[1..].iter().cloned());
        let want = run("rrdtool", dir.path(), &want_args);
        let got = run(RRD, dir.path(), &got_args);
        if want.status != 0 {
            failures.push(format!("{tool}: rrdtool failed: {}", want.err()));
            continue;
        }
        if (want.status, want.out()) != (got.status, got.out()) {
            failures.push(format!(
                "{tool}: text output: rrdtool {:?}, rrd {:?} {:?}",
                want.out(),
                got.out(),
                got.err()
            ));
            continue;
        }
        let (cw, ch, cpx) = rgba(&dir.path().join(format!("c-{file}")));
        let (rw, rh, rpx) = rgba(&dir.path().join(format!("r-{file}")));
        if (cw, ch) != (rw, rh) {
            failures.push(format!("{tool}: image {rw}x{rh}, rrdtool's {cw}x{ch}"));
            continue;
        }
        // the alpha channel: a transparent background (LibreNMS's, SmokePing's
        // BACK#…00) stays transparent, an opaque one opaque, as rrdtool's
        if cpx[3] != rpx[3] {
            failures.push(format!(
                "{tool}: corner alpha {}, rrdtool's {}",
                rpx[3], cpx[3]
            ));
        }
        let (mut differ, mut over) = (0usize, 0usize);
        for (p, q) in cpx.chunks(4).zip(rpx.chunks(4)) {
            if p != q {
                differ += 1;
                over += usize::from(p.iter().zip(q).any(|(a, b)| a.abs_diff(*b) > 32));
            }
        }
        let n = (cw * ch) as f64;
        let bytes = |p: &str| std::fs::metadata(dir.path().join(p)).map_or(0, |m| m.len());
        let (rb, cb) = (bytes(&format!("r-{file}")), bytes(&format!("c-{file}")));
        report.push(format!(
            "{tool}: {rw}x{rh}, corner alpha {}, {rb} bytes ({:.2} of rrdtool's {cb}), {:.2}% of pixels differ, {:.3}% by > 32",
            rpx[3],
            rb as f64 / cb as f64,
            100.0 * differ as f64 / n,
            100.0 * over as f64 / n
        ));
        if over as f64 / n > 0.005 {
            failures.push(format!(
                "{tool}: {:.3}% of pixels differ by more than 32 levels",
                100.0 * over as f64 / n
            ));
        }
        if rb > cb {
            failures.push(format!("{tool}: PNG of {rb} bytes, rrdtool's {cb}"));
        }
    }
    for r in &report {
        eprintln!("real_tools: {r}");
    }
    if !failures.is_empty() {
        let kept = dir.keep();
        panic!("{} (files in {})", failures.join("\n"), kept.display());
    }
}

/// A file with Holt-Winters archives, made and filled by rrdtool: four days
/// of 5-minute samples of a daily curve, with a burst in the last day that
/// the model flags as failures.
fn aberrant_file(dir: &Path) {
    let start = END - 4 * 86_400;
    let create = [
        "create".to_string(),
        "hw.rrd".to_string(),
        "--start".to_string(),
        start.to_string(),
        "--step".to_string(),
        "300".to_string(),
        "DS:v:GAUGE:600:U:U".to_string(),
        "RRA:AVERAGE:0.5:1:1200".to_string(),
        "RRA:HWPREDICT:1200:0.1:0.0035:288".to_string(),
    ];
    let made = run("rrdtool", dir, &create);
    assert_eq!(made.status, 0, "rrdtool create: {}", made.err());
    let mut args = vec!["update".to_string(), "hw.rrd".to_string()];
    let mut t = start;
    let mut k = 0u64;
    while t < END {
        t += 300;
        k += 1;
        let day = (t % 86_400) as f64 / 86_400.0;
        let mut v = 100.0 + 60.0 * (day * std::f64::consts::TAU).sin() + (k * 37 % 11) as f64;
        if t > END - 6 * 3600 && t < END - 4 * 3600 {
            v += 150.0;
        }
        args.push(format!("{t}:{v:.3}"));
    }
    let done = run("rrdtool", dir, &args);
    assert_eq!(done.status, 0, "rrdtool update: {}", done.err());
}

/// Graphs of aberrant behaviour (rrdgraph_examples' "Holt-Winters" and a
/// prediction band) drawn by both from rrdtool's file: the same text and
/// image size, pixels that agree.
#[test]
fn aberrant_behaviour_graphs_draw_as_rrdtool_draws_them() {
    if !have_rrdtool() {
        return;
    }
    let dir = TempDir::new("aberrant");
    aberrant_file(dir.path());
    let window = [
        "--start".to_string(),
        (END - 86_400).to_string(),
        "--end".to_string(),
        END.to_string(),
    ];
    let lines: Vec<Vec<&str>> = vec![
        vec![
            "DEF:obs=hw.rrd:v:AVERAGE",
            "DEF:pred=hw.rrd:v:HWPREDICT",
            "DEF:dev=hw.rrd:v:DEVPREDICT",
            "DEF:fail=hw.rrd:v:FAILURES",
            "TICK:fail#ffffa0:1.0:Failures",
            "CDEF:upper=pred,dev,2,*,+",
            "CDEF:lower=pred,dev,2,*,-",
            "LINE2:obs#0000ff:Observed",
            "LINE1:upper#ff0000:Upper bound",
            "LINE1:lower#ff0000:Lower bound",
            "VDEF:fmax=fail,MAXIMUM",
            "PRINT:fmax:%.0lf",
            "GPRINT:pred:AVERAGE:predicted %6.2lf",
        ],
        vec![
            "DEF:obs=hw.rrd:v:AVERAGE",
            "DEF:pred=hw.rrd:v:HWPREDICT",
            "DEF:dev=hw.rrd:v:DEVPREDICT",
            "DEF:seas=hw.rrd:v:SEASONAL",
            "DEF:dseas=hw.rrd:v:DEVSEASONAL",
            "CDEF:lo=pred,dev,3,*,-",
            "CDEF:band=dev,6,*",
            "AREA:lo",
            "AREA:band#c0ffc0:prediction band:STACK",
            "LINE1:obs#000000:observed",
            "LINE1:seas#8080ff:seasonal",
            "VDEF:dmax=dseas,MAXIMUM",
            "PRINT:dmax:%.6le",
            "PRINT:pred:LAST:%.6le",
        ],
    ];
    let mut failures = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let mut want_args = vec!["graph".to_string(), format!("c-{i}.png")];
        let mut got_args = vec!["graph".to_string(), format!("r-{i}.png")];
        for a in window
            .iter()
            .cloned()
            .chain(l.iter().map(|s| s.to_string()))
        {
            want_args.push(a.clone());
            got_args.push(a);
        }
        let want = run("rrdtool", dir.path(), &want_args);
        let got = run(RRD, dir.path(), &got_args);
        assert_eq!(want.status, 0, "rrdtool graph {i}: {}", want.err());
        if (want.status, want.out()) != (got.status, got.out()) {
            failures.push(format!(
                "graph {i}: text {:?} vs rrdtool's {:?}",
                got.out(),
                want.out()
            ));
            continue;
        }
        let (cw, ch, cpx) = rgba(&dir.path().join(format!("c-{i}.png")));
        let (rw, rh, rpx) = rgba(&dir.path().join(format!("r-{i}.png")));
        if (cw, ch) != (rw, rh) {
            failures.push(format!("graph {i}: {rw}x{rh}, rrdtool's {cw}x{ch}"));
            continue;
        }
        let over = cpx
            .chunks(4)
            .zip(rpx.chunks(4))
            .filter(|(p, q)| p.iter().zip(q.iter()).any(|(a, b)| a.abs_diff(*b) > 32))
            .count();
        let share = over as f64 / f64::from(cw * ch);
        eprintln!(
            "aberrant graph {i}: {:.3}% of pixels differ by > 32",
            100.0 * share
        );
        if share > 0.005 {
            failures.push(format!(
                "graph {i}: {:.3}% of pixels differ by > 32",
                100.0 * share
            ));
        }
    }
    // the burst shows as failures
    let fails = run(RRD, dir.path(), &{
        let mut v = vec!["graph".to_string(), "f.png".to_string()];
        v.extend(window.iter().cloned());
        v.extend(
            [
                "DEF:fail=hw.rrd:v:FAILURES",
                "VDEF:m=fail,MAXIMUM",
                "PRINT:m:%.0lf",
            ]
            .map(String::from),
        );
        v
    });
    assert!(
        fails.out().ends_with("\n1\n"),
        "no failure flagged: {:?}",
        fails.out()
    );
    if !failures.is_empty() {
        let kept = dir.keep();
        panic!("{} (files in {})", failures.join("\n"), kept.display());
    }
}
