//! The rrdtool commands, each taking its arguments (after the command name)
//! and writing its normal output to `out`. An `Err` is the message printed
//! after `ERROR: `.

use std::io::{self, Write};

use rrd_core::format_info;
use rrd_core::time::{parse_time, TimeSpec};
use rrd_core::{argbytes, DumpHeader, Error, OpenMode, Rrd};
use rrd_core::{Existing, Follow, NewFile};

use rrd_clib::getopt::{self, opt, Arg, Opt};

use crate::output::{io_message, open_error, strerror, write_out, write_raw, CmdResult};

/// The first line of rrd's usage: rrdtool's, so that tools that read the
/// version off it (Cacti, LibreNMS) find the rrdtool version rrd follows,
/// then rrd's own version.
fn banner() -> String {
    format!(
        "RRDtool 1.7.2  followed by rrd {}\n               a reimplementation in Rust, without librrd\n\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// rrdtool's `PrintUsage`: the usage of `command`, or the command list
/// (with the remote commands in pipe mode).
pub(crate) fn usage_text(command: Option<&str>, remote: bool) -> String {
    let body = crate::help::usage_body(command);
    let list = body.starts_with("Valid commands");
    let mut s = banner();
    s.push_str("Usage: rrd [options] command command_options\n");
    s.push_str(body);
    if list && remote {
        s.push_str("Valid remote commands: quit, ls, cd, mkdir, pwd\n\n");
    }
    s.push_str(
        "rrd is distributed under the terms of the MIT or Apache-2.0 licence.\n\n\
         For more information read the RRD manpages\n\n",
    );
    s
}

/// What `rrdtool version x` prints: rrdtool's line with rrd's version.
fn version_line() -> String {
    format!(
        "RRDtool 1.7.2  followed by rrd {} (1.700200)\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// The commands `rrd` runs.
/// (In the order the `cli_args` fuzz seeds pick them by their first byte.)
pub(crate) const KNOWN_COMMANDS: [&str; 17] = [
    "create",
    "update",
    "updatev",
    "info",
    "dump",
    "restore",
    "first",
    "last",
    "lastupdate",
    "fetch",
    "xport",
    "graph",
    "graphv",
    "tune",
    "resize",
    "flushcached",
    "list",
];

/// Runs one command line (without the program name), as rrdtool's `main`
/// does: a lone word prints its usage, `help CMD` the usage of CMD.
pub fn run(argv: &[String], out: &mut dyn Write) -> CmdResult {
    match argv {
        [] => write_out(out, &usage_text(None, false)),
        [one] => write_out(out, &usage_text(Some(one), false)),
        [help, cmd] if help == "help" => write_out(out, &usage_text(Some(cmd), false)),
        _ => handle(argv, out, false),
    }
}

/// rrdtool's `HandleInputLine` after the remote commands: one command.
pub(crate) fn handle(argv: &[String], out: &mut dyn Write, remote: bool) -> CmdResult {
    let cmd = argv.first().map(String::as_str).unwrap_or_default();
    if argv.len() < 2 || ["help", "--help", "-help", "-?", "-h"].contains(&cmd) {
        return write_out(out, &usage_text(None, remote));
    }
    let rest = &argv[1..];
    if matches!(cmd, "--version" | "version" | "v" | "-v" | "-version") {
        return write_out(out, &version_line());
    }
    let cmd = &argv[0];
    let known = KNOWN_COMMANDS;
    if !known.contains(&cmd.as_str()) {
        return Err(format!("unknown function '{cmd}'"));
    }
    // rrdtool's updatev writes the file directly even when
    // RRDCACHED_ADDRESS names a daemon that may hold newer values; rrd
    // refuses rather than silently go around the daemon
    if cmd == "updatev" && std::env::var_os("RRDCACHED_ADDRESS").is_some_and(|a| !a.is_empty()) {
        return Err(
            "RRDCACHED_ADDRESS is set, and updatev cannot go through rrdcached \
             (rrdtool would write the file behind the daemon's back; unset it or use update)"
                .into(),
        );
    }
    match cmd.as_str() {
        "create" => cmd_create(rest, out),
        "info" => cmd_info(rest, out),
        "dump" => cmd_dump(rest, out),
        "restore" => cmd_restore(rest),
        "first" => cmd_first(rest, out),
        "last" => cmd_last(rest, out),
        "lastupdate" => cmd_lastupdate(rest, out),
        "fetch" => cmd_fetch(rest, out),
        "update" => crate::update_cmd::cmd_update(rest, out, false),
        "updatev" => crate::update_cmd::cmd_update(rest, out, true),
        "xport" => crate::xport_cmd::cmd_xport(rest, out),
        "graph" => crate::graph_cmd::cmd_graph(rest, out, false),
        "graphv" => crate::graph_cmd::cmd_graph(rest, out, true),
        "tune" => cmd_tune(rest),
        "resize" => cmd_resize(rest),
        "flushcached" => cmd_flushcached(rest),
        "list" => cmd_list(rest, out),
        _ => unreachable!("checked against the known commands"),
    }
}

fn open_ro(path: &str) -> Result<Rrd, String> {
    Rrd::open(argbytes::to_path(path), OpenMode::ReadOnly).map_err(|e| open_error(path, &e))
}

fn parse_opts(argv: &[String], spec: &[Opt]) -> Result<getopt::Parsed, String> {
    getopt::parse(argv, spec)
}

fn system_tz() -> jiff::tz::TimeZone {
    rrd_clib::time::system_zone()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn cmd_create(argv: &[String], out: &mut dyn Write) -> CmdResult {
    const SPEC: &[Opt] = &[
        opt("start", Some('b'), Arg::Required),
        opt("step", Some('s'), Arg::Required),
        opt("no-overwrite", Some('O'), Arg::None),
        opt("template", Some('t'), Arg::Required),
        opt("source", Some('r'), Arg::Required),
        opt("daemon", Some('d'), Arg::Required),
    ];
    let p = parse_opts(argv, SPEC)?;
    let mut start = None;
    let mut step = None;
    let mut sources: Vec<&str> = Vec::new();
    let mut template: Option<&str> = None;
    // options are applied in order, as rrdtool does; the last one wins
    for (name, value) in &p.opts {
        let value = value.as_deref().unwrap_or_default();
        match *name {
            "start" => {
                let spec = parse_time(value, now(), &system_tz())
                    .map_err(|e| format!("start time: {}", e.message))?;
                let t =
                    match spec {
                        TimeSpec::Absolute(t) => t,
                        _ => return Err(
                            "specifying time relative to the 'start' or 'end' makes no sense here"
                                .into(),
                        ),
                    };
                if t < rrd_core::MIN_START {
                    return Err("the first entry to the RRD should be after 1980".into());
                }
                start = Some(t);
            }
            "step" => {
                step = Some(
                    rrd_core::scaled_duration(value, 1).map_err(|m| format!("step size: {m}"))?,
                );
            }
            "source" => {
                let meta = std::fs::metadata(argbytes::to_path(value)).map_err(|e| {
                    format!("error checking for source RRD {value}: {}", strerror(&e))
                })?;
                if !meta.is_file() {
                    return Err(format!("Not a regular file: {value}"));
                }
                sources.push(value);
            }
            "template" => {
                if template.is_some() {
                    return Err("template already set".into());
                }
                template = Some(value);
            }
            _ => {}
        }
    }
    let Some(file) = p.args.first() else {
        return Err("need name of an rrd file to create".into());
    };
    if let Some(addr) = rrd_core::rrdcached::address(p.value("daemon")) {
        return create_through_daemon(&addr, file, start, step, &sources, template, &p);
    }
    let args = rrd_core::create_args::CreateArgs {
        start,
        step,
        no_overwrite: p.flag("no-overwrite"),
        sources,
        template,
        defs: p.args[1..].iter().map(String::as_str).collect(),
        now: now(),
    };
    let built = rrd_core::create_args::build(file, &args)?;
    if file == "-" {
        return write_raw(out, &built.to_bytes()?);
    }
    built.write(&argbytes::to_path(file), file, args.no_overwrite)
}

fn single_file<'a>(p: &'a getopt::Parsed, usage: &str) -> Result<&'a str, String> {
    match p.args.as_slice() {
        [f] => Ok(f),
        _ => Err(usage.to_string()),
    }
}

fn cmd_info(argv: &[String], out: &mut dyn Write) -> CmdResult {
    const SPEC: &[Opt] = &[
        opt("daemon", Some('d'), Arg::Required),
        opt("noflush", Some('F'), Arg::None),
    ];
    let p = parse_opts(argv, SPEC)?;
    let file = single_file(
        &p,
        "Usage: rrdtool info [--daemon |-d <addr> [--noflush|-F]] <file>",
    )?;
    let mut late = if p.flag("noflush") {
        None
    } else {
        flush_if_daemon(p.value("daemon"), file)?
    };
    if let Some(addr) = rrd_core::rrdcached::address(p.value("daemon")) {
        // the daemon's INFO, as it reports the file (a connection that
        // fails here leaves its error behind the file's own info)
        match rrd_core::rrdcached::Client::connect(&addr) {
            Ok(mut c) => return then_late(info_from_daemon(&mut c, file, out), late),
            Err(e) => late = Some(e),
        }
    }
    let rrd = open_ro(file)?;
    let items = rrd.info(file);
    // the lock is released before the output is written
    drop(rrd);
    then_late(write_out(out, &format_info(&items)), late)
}

fn cmd_dump(argv: &[String], out: &mut dyn Write) -> CmdResult {
    const SPEC: &[Opt] = &[
        opt("header", Some('h'), Arg::Required),
        opt("no-header", Some('n'), Arg::None),
        opt("daemon", Some('d'), Arg::Required),
    ];
    const USAGE: &str = "usage rrdtool dump [--header|-h {none,xsd,dtd}]\n[--no-header|-n]\n[--daemon|-d address]\nfile.rrd [file.xml]";
    let p = parse_opts(argv, SPEC).map_err(|_| USAGE.to_string())?;
    let mut header = DumpHeader::Dtd;
    for (name, value) in &p.opts {
        match (*name, value.as_deref()) {
            ("no-header", _) => header = DumpHeader::None,
            ("header", Some("none")) => header = DumpHeader::None,
            ("header", Some("xsd")) => header = DumpHeader::Xsd,
            ("header", Some("dtd")) => header = DumpHeader::Dtd,
            _ => {}
        }
    }
    let late = match p.args.first() {
        Some(f) => flush_if_daemon(p.value("daemon"), f)?,
        None => None,
    };
    let (file, output) = match p.args.as_slice() {
        [f] => (f, None),
        [f, o] => (f, Some(o)),
        _ => return Err(USAGE.into()),
    };
    let tz = system_tz();
    let rrd = open_ro(file)?;
    let r = dump_to(&rrd, out, output.map(String::as_str), header, &tz);
    then_late(r, late)
}

fn dump_to(
    rrd: &Rrd,
    out: &mut dyn Write,
    output: Option<&str>,
    header: DumpHeader,
    tz: &jiff::tz::TimeZone,
) -> CmdResult {
    match output {
        None => rrd.dump(out, header, tz).map_err(|e| io_message(&e)),
        Some(o) => {
            // the output appears complete or not at all; a FIFO or a device
            // is written directly, a link at its target
            let open_err = |e: Error| match e {
                Error::Io { source, .. } => {
                    format!("Cannot open output file '{o}': {}", strerror(&source))
                }
                e => e.to_string(),
            };
            let mut f = NewFile::create(&argbytes::to_path(o), Existing::Replace, Follow::Through)
                .map_err(open_err)?;
            let mut w = io::BufWriter::new(f.file());
            rrd.dump(&mut w, header, tz).map_err(|e| match e {
                Error::Storage(e) => format!("writing '{o}': {}", strerror(&e)),
                e => io_message(&e),
            })?;
            w.flush()
                .map_err(|e| format!("writing '{o}': {}", strerror(&e)))?;
            drop(w);
            f.commit().map_err(|e| match e {
                Error::Io { source, .. } => format!("writing '{o}': {}", strerror(&source)),
                e => e.to_string(),
            })
        }
    }
}

fn cmd_restore(argv: &[String]) -> CmdResult {
    const SPEC: &[Opt] = &[
        opt("range-check", Some('r'), Arg::None),
        opt("force-overwrite", Some('f'), Arg::None),
    ];
    let p = parse_opts(argv, SPEC)?;
    let [xml, file] = p.args.as_slice() else {
        return Err(
            "usage rrdtool restore [--range-check|-r] [--force-overwrite|-f] file.xml file.rrd"
                .into(),
        );
    };
    let opts = rrd_core::RestoreOptions {
        range_check: p.flag("range-check"),
        force_overwrite: p.flag("force-overwrite"),
    };
    // the dump is read as a stream: memory stays bounded whatever its size
    let input: Box<dyn io::Read> = if xml == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(argbytes::to_path(xml))
                .map_err(|_| format!("Could not create xml reader for: {xml}"))?,
        )
    };
    Rrd::restore(input, argbytes::to_path(file), &opts).map_err(|e| match e {
        // rrdtool opens the target itself, so it names the target
        Error::Io { op, source, .. } if op.starts_with("creating") => {
            format!("creating '{file}': {}", strerror(&source))
        }
        Error::Io { op, source, .. } => format!("{op} '{file}': {}", strerror(&source)),
        other => other.to_string(),
    })
}

/// `first` and `last` print -1 on stdout when they fail, as rrdtool does.
fn or_minus_one(out: &mut dyn Write, r: CmdResult) -> CmdResult {
    if r.is_err() {
        let _ = out.write_all(b"-1\n");
    }
    r
}

fn cmd_first(argv: &[String], out: &mut dyn Write) -> CmdResult {
    const SPEC: &[Opt] = &[
        opt("rraindex", None, Arg::Required),
        opt("daemon", Some('d'), Arg::Required),
    ];
    // a daemon that cannot be reached leaves its error behind the local answer
    let mut late: Option<String> = None;
    let r = (|| {
        let p = parse_opts(argv, SPEC)?;
        // rrdtool reads the index with strtol(.., 0) into an int
        let idx = p.value("rraindex").map_or(0, |v| {
            i64::from(rrd_clib::strtol::strtol(v.as_bytes(), 0).value as i32)
        });
        // checked as the option is read
        if idx < 0 {
            return Err("invalid rraindex number".into());
        }
        // extra files are ignored, as rrdtool does
        let file = p.args.first().ok_or_else(|| {
            "usage rrdtool first [--rraindex number] [--daemon|-d <addr>] file.rrd".to_string()
        })?;
        if let Some(addr) = rrd_core::rrdcached::address(p.value("daemon")) {
            match rrd_core::rrdcached::Client::connect(&addr) {
                Ok(mut c) => {
                    // rrdtool sends the index as an unsigned long
                    let i = (idx as i32 as i64 as u64).to_string();
                    let path = c.path(file)?;
                    let r = c.request(&["first", &path, &i])?;
                    if r.status < 0 {
                        return Err(c.reply_error(&r));
                    }
                    return write_out(out, &format!("{}\n", rrd_clib::strtol::atol(&r.message)));
                }
                Err(e) => late = Some(e),
            }
        }
        let rrd = open_ro(file)?;
        let h = rrd.header();
        if idx < 0 || idx as usize >= h.rra.len() {
            return Err("invalid rraindex number".into());
        }
        write_out(out, &format!("{}\n", h.rra_first_time(idx as usize)))
    })();
    then_late(or_minus_one(out, r), late)
}
fn cmd_last(argv: &[String], out: &mut dyn Write) -> CmdResult {
    const SPEC: &[Opt] = &[opt("daemon", Some('d'), Arg::Required)];
    let mut late: Option<String> = None;
    let r = (|| {
        let p = parse_opts(argv, SPEC)?;
        let file = single_file(&p, "Usage: rrdtool last [--daemon|-d <addr>] <file>")?;
        if let Some(addr) = rrd_core::rrdcached::address(p.value("daemon")) {
            match rrd_core::rrdcached::Client::connect(&addr) {
                Ok(mut c) => {
                    let path = c.path(file)?;
                    let r = c.request(&["last", &path])?;
                    if r.status < 0 {
                        return Err(c.reply_error(&r));
                    }
                    return write_out(out, &format!("{}\n", rrd_clib::strtol::atol(&r.message)));
                }
                // rrdtool reads the file itself, then reports the failure
                Err(e) => late = Some(e),
            }
        }
        let rrd = open_ro(file)?;
        let line = format!("{}\n", rrd.header().last_up);
        drop(rrd);
        write_out(out, &line)
    })();
    then_late(or_minus_one(out, r), late)
}

fn cmd_lastupdate(argv: &[String], out: &mut dyn Write) -> CmdResult {
    const SPEC: &[Opt] = &[opt("daemon", Some('d'), Arg::Required)];
    let p = parse_opts(argv, SPEC)?;
    let file = single_file(&p, "Usage: rrdtool lastupdate [--daemon|-d <addr>] <file>")?;
    let late = flush_if_daemon(p.value("daemon"), file)?;
    let rrd = open_ro(file)?;
    let h = rrd.header();
    let mut s = String::new();
    for d in &h.ds {
        s.push(' ');
        s.push_str(&d.name);
    }
    s.push_str("\n\n");
    s.push_str(&format!("{:10}:", h.last_up));
    for p in &h.pdp {
        s.push(' ');
        s.push_str(&p.last_ds);
    }
    s.push('\n');
    drop(rrd);
    then_late(write_out(out, &s), late)
}

fn cmd_fetch(argv: &[String], out: &mut dyn Write) -> CmdResult {
    use rrd_core::time::proc_start_end;
    use rrd_core::FetchRequest;

    const SPEC: &[Opt] = &[
        opt("resolution", Some('r'), Arg::Required),
        opt("start", Some('s'), Arg::Required),
        opt("end", Some('e'), Arg::Required),
        opt("align-start", Some('a'), Arg::None),
        opt("daemon", Some('d'), Arg::Required),
    ];
    // rrdtool acts on each option as it reads it: a bad time before a
    // malformed option is the error it reports. The longest prefix that
    // parses holds exactly the options it acted on.
    let (p, bad_option) = getopt::parse_until_error(argv, SPEC);
    let tz = system_tz();
    let now = now();
    // rrdtool's defaults: "end-24h" and "now"
    let (mut start, mut end) = rrd_core::time::default_window(now);
    let mut resolution = 1;
    let mut align_start = false;
    for (name, value) in &p.opts {
        let value = value.as_deref().unwrap_or_default();
        match *name {
            "start" => start = rrd_core::time::parse_window_time("start", value, now, &tz)?,
            "end" => end = rrd_core::time::parse_window_time("end", value, now, &tz)?,
            "resolution" => {
                resolution =
                    rrd_core::scaled_duration(value, 1).map_err(|m| format!("resolution: {m}"))?;
            }
            "align-start" => align_start = true,
            _ => {}
        }
    }
    if let Some(e) = bad_option {
        return Err(e);
    }
    let (start, end) = proc_start_end(&start, &end, &tz).map_err(|e| e.message)?;
    let (start, end) =
        rrd_core::prepare_window(start, end, resolution, align_start).map_err(|e| e.to_string())?;
    // extra arguments are ignored, as rrdtool does
    let [file, cf, ..] = p.args.as_slice() else {
        return Err("Usage: rrdtool fetch <file> <CF> [options]".into());
    };
    let mut late = None;
    if let Some(addr) = rrd_core::rrdcached::address(p.value("daemon")) {
        match rrd_core::rrdcached::Client::connect(&addr) {
            Ok(mut c) => {
                let result = c.fetch(file, cf, start, end)?;
                return result
                    .write_text(out)
                    .map_err(|e| format!("writing output: {e}"));
            }
            Err(e) => late = Some(e),
        }
    }
    let cf = rrd_core::parse_cf(cf).map_err(|e| e.to_string())?;
    let rrd = open_ro(file)?;
    let req = FetchRequest {
        cf,
        start,
        end,
        resolution,
    };
    let result = rrd.fetch(&req).map_err(|e| io_message(&e))?;
    // the lock is released before the output is written
    drop(rrd);
    let r = result
        .write_text(out)
        .map_err(|e| format!("writing output: {e}"));
    then_late(r, late)
}

fn cmd_tune(argv: &[String]) -> CmdResult {
    const SPEC: &[Opt] = &[
        opt("heartbeat", Some('h'), Arg::Required),
        opt("minimum", Some('i'), Arg::Required),
        opt("maximum", Some('a'), Arg::Required),
        opt("data-source-type", Some('d'), Arg::Required),
        opt("data-source-rename", Some('r'), Arg::Required),
        opt("deltapos", Some('p'), Arg::Required),
        opt("deltaneg", Some('n'), Arg::Required),
        opt("window-length", Some('w'), Arg::Required),
        opt("failure-threshold", Some('f'), Arg::Required),
        opt("alpha", Some('x'), Arg::Required),
        opt("beta", Some('y'), Arg::Required),
        opt("gamma", Some('z'), Arg::Required),
        opt("gamma-deviation", Some('v'), Arg::Required),
        opt("smoothing-window", Some('s'), Arg::Required),
        opt("smoothing-window-deviation", Some('S'), Arg::Required),
        opt("aberrant-reset", Some('b'), Arg::Required),
        opt("step", Some('t'), Arg::Required),
        opt("daemon", Some('D'), Arg::Required),
    ];
    let p = parse_opts(argv, SPEC)?;
    // the daemon first writes what it holds for the file, and forgets it
    // afterwards (tune may rewrite the file)
    let mut daemon = match rrd_core::rrdcached::address(p.value("daemon")) {
        Some(addr) => Some(
            rrd_core::rrdcached::Client::connect(&addr)
                .map_err(|_| "Cannot connect to daemon".to_string())?,
        ),
        None => None,
    };
    let Some(file) = p.args.first() else {
        return Err("missing file name".into());
    };
    if let Some(c) = daemon.as_mut() {
        let _ = c.file_command("flush", file);
    }
    let r = tune_file(file, &p);
    if let Some(c) = daemon.as_mut() {
        let _ = c.file_command("forget", file);
    }
    r
}

fn tune_file(file: &str, p: &getopt::Parsed) -> CmdResult {
    let mut rrd = Rrd::open(argbytes::to_path(file), OpenMode::ReadWrite)
        .map_err(|e| open_error(file, &e))?;
    let mut h = rrd.header().clone();
    let mut fx = rrd_core::TuneEffects::default();
    let mut failed = None;
    for (name, value) in &p.opts {
        if *name == "daemon" {
            continue;
        }
        let value = value.as_deref().unwrap_or_default();
        if let Err(e) = rrd_core::tune_option(&mut h, name, value, &mut fx) {
            failed = Some(e.to_string());
            break;
        }
    }
    // rrdtool changes the mapped header option by option: what came
    // before a failing option stays changed
    if !h.same_bits(rrd.header()) || !fx.aberrant_reset.is_empty() {
        rrd.retune(h, &fx.aberrant_reset)
            .map_err(|e| e.to_string())?;
    }
    if let Some(e) = failed {
        return Err(e);
    }
    let rest: Vec<&str> = p.args[1..].iter().map(String::as_str).collect();
    let m = rrd_core::Modification::parse(&rest).map_err(|e| e.to_string())?;
    if m.is_empty() {
        return rrd.close().map_err(|e| e.to_string());
    }
    let img = rrd.image().map_err(|e| e.to_string())?;
    let out = rrd_core::modify(&img, &m, fx.new_step, rrd_core::name_hash(file))
        .map_err(|e| e.to_string())?;
    rrd_core::write_image(&argbytes::to_path(file), &out, false).map_err(|e| e.to_string())?;
    drop(rrd);
    Ok(())
}

/// `rrdtool resize FILE RRA GROW|SHRINK ROWS`: the result goes to
/// `resize.rrd` in the working directory, as rrdtool writes it.
fn cmd_resize(argv: &[String]) -> CmdResult {
    let file = &argv[0];
    if file == "resize.rrd" {
        return Err("resize.rrd is a reserved name".into());
    }
    if argv.len() != 4 {
        return Err("wrong number of parameters".into());
    }
    let strtol0 = |s: &str| rrd_clib::strtol::strtol(s.as_bytes(), 0).value;
    let target = strtol0(&argv[1]) as u64;
    let shrink = match argv[2].as_str() {
        "GROW" => false,
        "SHRINK" => true,
        _ => return Err("I can only GROW or SHRINK".into()),
    };
    let modify = strtol0(&argv[3]);
    if modify < 1 {
        return Err("Please grow or shrink with at least 1 row".into());
    }
    let rrd = Rrd::open(argbytes::to_path(file), OpenMode::ReadWrite)
        .map_err(|e| open_error(file, &e))?;
    let h = rrd.header();
    if target >= h.rra.len() as u64 {
        return Err("no such RRA in this RRD".into());
    }
    let target = target as usize;
    if shrink && h.rra[target].rows as i64 <= modify {
        return Err("This RRA is not that big".into());
    }
    let img = rrd.image().map_err(|e| e.to_string())?;
    let delta = if shrink { -modify } else { modify };
    let out = rrd_core::resize(&img, target, delta).map_err(|e| e.to_string())?;
    rrd_core::write_image(std::path::Path::new("resize.rrd"), &out, false)
        .map_err(|e| format!("Can't create 'resize.rrd': {e}"))?;
    drop(rrd);
    Ok(())
}

/// `create --source`: the new file filled from the sources' data.
/// rrdtool's `rrdc_flush_if_daemon`: with a daemon (`--daemon` or
/// `RRDCACHED_ADDRESS`), it writes what it holds for `file` before the file
/// is read. A daemon that cannot be reached is no error yet: rrdtool reads
/// the file, prints what it read, then reports it (`Ok(Some(message))`).
fn flush_if_daemon(opt: Option<&str>, file: &str) -> Result<Option<String>, String> {
    let Some(addr) = rrd_core::rrdcached::address(opt) else {
        return Ok(None);
    };
    let mut c = match rrd_core::rrdcached::Client::connect(&addr) {
        Ok(c) => c,
        Err(e) => return Ok(Some(e)),
    };
    let r = c.file_command("flush", file)?;
    if r.status < 0 {
        return Err(c.reply_error(&r));
    }
    Ok(None)
}

/// The result of a command whose output is written: a late error (see
/// [`flush_if_daemon`]) follows the output.
fn then_late(r: CmdResult, late: Option<String>) -> CmdResult {
    match late {
        Some(e) if r.is_ok() => Err(e),
        _ => r,
    }
}

/// `rrdtool flushcached [--daemon ADDR] FILE...`: the daemon writes what it
/// holds for each file.
/// `list`: the RRD files of a directory (`rrd_core::list::list_r`), or the
/// daemon's `LIST` (names relative to its base directory). As in rrdtool,
/// a local failure prints only the C library's message on stderr and the
/// command succeeds.
fn cmd_list(argv: &[String], out: &mut dyn Write) -> CmdResult {
    const SPEC: &[Opt] = &[
        opt("daemon", Some('d'), Arg::Required),
        opt("noflush", Some('F'), Arg::None),
        opt("recursive", Some('r'), Arg::None),
    ];
    let p = parse_opts(argv, SPEC)?;
    let [dir] = p.args.as_slice() else {
        return Err(
            "Usage: rrdtool list [--daemon <addr> [--noflush]] [--recursive] <directory>".into(),
        );
    };
    let recursive = p.flag("recursive");
    if let Some(addr) = rrd_core::rrdcached::address(p.value("daemon")) {
        match rrd_core::rrdcached::Client::connect(&addr) {
            Ok(mut c) => {
                if !p.flag("noflush") {
                    let r = c.request(&["flushall"])?;
                    if r.status < 0 {
                        return Err(c.reply_error(&r));
                    }
                }
                let mut words = vec!["list"];
                if recursive {
                    words.push("RECURSIVE");
                }
                words.push(dir);
                let r = c.request(&words)?;
                if r.status < 0 {
                    return Err(c.reply_error(&r));
                }
                let mut text = String::new();
                for l in &r.lines {
                    text.push_str(l);
                    text.push('\n');
                }
                return write_out(out, &text);
            }
            Err(e) if p.value("daemon").is_some() => {
                eprintln!("Error connecting to rrdcached: {e}");
                return Err(e);
            }
            // an unreachable RRDCACHED_ADDRESS: the local listing
            Err(_) => {}
        }
    }
    match rrd_core::list::list_r(recursive, &argbytes::decode(dir)) {
        Ok(bytes) => write_raw(out, &bytes),
        Err(e) => {
            eprint!("{}", strerror(&e));
            Ok(())
        }
    }
}

fn cmd_flushcached(argv: &[String]) -> CmdResult {
    const SPEC: &[Opt] = &[opt("daemon", Some('d'), Arg::Required)];
    let p = parse_opts(argv, SPEC)?;
    if p.args.is_empty() {
        return Err("Usage: rrdtool flushcached [--daemon|-d <addr>] <file> [<file> ...]".into());
    }
    let given = p.value("daemon");
    let Some(addr) = rrd_core::rrdcached::address(given) else {
        return Err(format!(
            "Daemon address \"{}\" unknown. Please use the \"--daemon\" option to set an \
             address on the command line or set the \"RRDCACHED_ADDRESS\" environment variable.",
            given.unwrap_or("(null)")
        ));
    };
    let mut c = rrd_core::rrdcached::Client::connect(&addr)?;
    for (i, f) in p.args.iter().enumerate() {
        let failed = match c.file_command("flush", f) {
            Ok(r) if r.status < 0 => Some(c.reply_error(&r)),
            Ok(r) if r.status > 0 => Some(strerror(&io::Error::from_raw_os_error(r.status as i32))),
            Ok(_) => None,
            Err(e) => Some(e),
        };
        if let Some(e) = failed {
            let _ = i;
            // rrdtool counts every file after the options, and formats the
            // message into the buffer that holds the error it quotes: the
            // quoted text then starts with the message's own beginning
            let remaining = p.args.len() - 1;
            let head = format!("Flushing of file \"{f}\" failed: ");
            let quoted = if e.is_empty() {
                "unknown error".to_string()
            } else if e.len() >= head.len() && e.is_char_boundary(head.len()) {
                format!("{head}{}", &e[head.len()..])
            } else {
                e
            };
            return Err(format!(
                "{head}{quoted}. Skipping remaining {remaining} file{}.",
                if remaining == 1 { "" } else { "s" }
            ));
        }
    }
    Ok(())
}

/// `rrdc_info`: the daemon's `INFO` lines (`key type value`) printed as
/// rrdtool prints info.
fn info_from_daemon(
    c: &mut rrd_core::rrdcached::Client,
    file: &str,
    out: &mut dyn Write,
) -> CmdResult {
    let path = c.path(file)?;
    let r = c.request(&["info", &path])?;
    if r.status < 0 {
        return Err(c.reply_error(&r));
    }
    let mut text = String::new();
    for line in &r.lines {
        let Some((key, rest)) = line.split_once(' ').filter(|(_, r)| !r.is_empty()) else {
            break;
        };
        let itype = rrd_clib::strtol::atoi(rest);
        let Some((_, value)) = rest.split_once(' ').filter(|(_, v)| !v.is_empty()) else {
            break;
        };
        let shown = match itype {
            0 => {
                if value.starts_with('N') {
                    "NaN".to_string()
                } else {
                    rrd_clib::printf::exp10_or_nan(
                        rrd_clib::strtod::strtod_prefix(value).unwrap_or(0.0),
                    )
                }
            }
            1 => (rrd_clib::strtol::atol(value) as u64).to_string(),
            2 => format!("\"{}\"", value.trim_end_matches(['\n', '\r'])),
            3 => rrd_clib::strtol::atoi(value).to_string(),
            4 => return Err("rrdc_info: BLOB objects are not supported".into()),
            t => return Err(format!("rrdc_info: Unsupported info type {t}")),
        };
        text.push_str(key);
        text.push_str(" = ");
        text.push_str(&shown);
        text.push('\n');
    }
    write_out(out, &text)
}

/// `create` with a daemon: rrdcached creates the file from the arguments as
/// given (rrdtool's `rrdc_create_r2`).
fn create_through_daemon(
    addr: &str,
    file: &str,
    start: Option<i64>,
    step: Option<u64>,
    sources: &[&str],
    template: Option<&str>,
    p: &getopt::Parsed,
) -> CmdResult {
    let mut c = rrd_core::rrdcached::Client::connect(addr)?;
    let path = c.path(file)?;
    let mut words: Vec<String> = vec!["create".into(), path];
    if let Some(t) = start {
        words.push("-b".into());
        words.push((t as u64).to_string());
    }
    words.push("-s".into());
    words.push(step.unwrap_or(0).to_string());
    if p.flag("no-overwrite") {
        words.push("-O".into());
    }
    for s in sources {
        words.push("-r".into());
        words.push((*s).to_string());
    }
    if let Some(t) = template {
        words.push("-t".into());
        words.push(t.to_string());
    }
    words.extend(p.args[1..].iter().cloned());
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let r = c.request(&w)?;
    if r.status < 0 {
        return Err(c.reply_error(&r));
    }
    Ok(())
}
