//! `update` and `updatev`.

use std::io::Write;

use rrd_clib::printf::exp10_or_nan;
use rrd_core::{argbytes, Error, Header, OpenMode, Rrd};
use rrd_core::{ParsedArg, RowWrite, UpdateOptions, UpdateTime};

use crate::output::{open_error, write_out};
use rrd_clib::getopt::{self, opt, Arg, Opt};

fn now_precise() -> UpdateTime {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    UpdateTime {
        sec: d.as_secs() as i64,
        usec: i64::from(d.subsec_micros()),
    }
}

/// File indexes of the data sources a `--template a:b:c` names.
fn parse_template(h: &Header, t: &str) -> Result<Vec<usize>, String> {
    let names: Vec<&str> = t.split(':').collect();
    if names.len() > h.ds.len() {
        return Err("tmplt contains more DS definitions than RRD".into());
    }
    names
        .iter()
        .map(|n| {
            h.ds.iter()
                .position(|d| d.name == *n)
                .ok_or_else(|| format!("unknown DS name '{n}'"))
        })
        .collect()
}

/// The label rrdtool 1.7.2's updatev gives the `index`-th of `count` rows
/// written to an archive in one pass (off by one for the later rows, as
/// rrdtool is).
fn updatev_label(h: &Header, w: &RowWrite<'_>) -> i64 {
    let s = h.rra_step(w.rra).max(1) as i64;
    let base = w.pass_time - w.pass_time.rem_euclid(s);
    let (n, j) = (w.count as i64, w.index as i64);
    if j == 0 {
        base - (n - 1) * s
    } else {
        base - (n - j - 2) * s
    }
}

/// `rrd update` (`verbose` = `updatev`).
///
/// Everything that does not need the file (the time zone, splitting the
/// arguments, parsing their times, formatting updatev's report) happens
/// before the file is opened or after it is closed, so that its lock is
/// held as briefly as possible.
pub fn cmd_update(argv: &[String], out: &mut dyn Write, verbose: bool) -> Result<(), String> {
    const SPEC: &[Opt] = &[
        opt("template", Some('t'), Arg::Required),
        opt("skip-past-updates", Some('s'), Arg::None),
        opt("daemon", Some('d'), Arg::Required),
    ];
    // rows written, as updatev reports them: label, archive, values
    let mut written: Vec<(i64, usize, Vec<f64>)> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut archives: Vec<String> = Vec::new();
    let r = (|| {
        let p = getopt::parse(argv, SPEC)?;
        if verbose && p.flag("daemon") {
            // updatev has no --daemon option in rrdtool 1.7.2
            return Err("unrecognized option '--daemon'".to_string());
        }
        if p.args.len() < 2 {
            return Err("Not enough arguments".to_string());
        }
        let file = &p.args[0];
        if !verbose {
            if let Some(addr) = rrd_core::rrdcached::address(p.value("daemon")) {
                return update_through_daemon(&addr, file, &p);
            }
        }
        let parsed: Vec<ParsedArg<'_>> = p.args[1..].iter().map(|a| ParsedArg::parse(a)).collect();
        // only at-style times are read in a zone; finding the system's
        // walks the zone database (most of a process's start-up)
        let tz = if parsed.iter().any(ParsedArg::needs_zone) {
            rrd_clib::time::system_zone()
        } else {
            jiff::tz::TimeZone::UTC
        };
        let mut rrd = Rrd::open(argbytes::to_path(file), OpenMode::ReadWrite)
            .map_err(|e| open_error(file, &e))?;
        let template = match p.value("template") {
            Some(t) => Some(parse_template(rrd.header(), t)?),
            None => None,
        };
        let mut on_row = |h: &Header, w: &RowWrite<'_>| {
            written.push((updatev_label(h, w), w.rra, w.values.to_vec()));
        };
        let result = rrd.update_parsed(
            &parsed,
            &UpdateOptions {
                template: template.as_deref(),
                skip_past_updates: p.flag("skip-past-updates"),
            },
            &mut now_precise,
            &tz,
            if verbose { Some(&mut on_row) } else { None },
        );
        if verbose {
            let h = rrd.header();
            names = h.ds.iter().map(|d| d.name.clone()).collect();
            archives = h
                .rra
                .iter()
                .map(|a| format!("{}][{}", a.cf, a.pdp_cnt))
                .collect();
        }
        // what was applied before a failure stays applied, as in rrdtool
        let flushed = rrd.close();
        result.map_err(|e| match e {
            Error::Unsupported(m) => m,
            e => format!("{file}: {e}"),
        })?;
        flushed.map_err(|e| format!("{file}: {e}"))
    })();
    if verbose {
        let code = if r.is_ok() { 0 } else { -1 };
        let mut report = format!("return_value = {code}\n");
        for (label, rra, values) in &written {
            for (name, v) in names.iter().zip(values) {
                report.push_str(&format!(
                    "[{label}]RRA[{}]DS[{name}] = {}\n",
                    archives[*rra],
                    exp10_or_nan(*v)
                ));
            }
        }
        write_out(out, &report)?;
    }
    r
}

/// `update` with a daemon: the values go to rrdcached, which writes them
/// later (rrdtool's `rrdc_update`).
fn update_through_daemon(addr: &str, file: &str, p: &getopt::Parsed) -> Result<(), String> {
    let mut c = rrd_core::rrdcached::Client::connect(addr)?;
    let mut values: Vec<String> = p.args[1..].to_vec();
    if let Some(tpl) = p.value("template") {
        if p.flag("skip-past-updates") {
            return Err(
                "The caching daemon cannot be used together with templates and \
                        skip-past-updates yet."
                    .into(),
            );
        }
        // the values are put in the file's order here (the daemon takes
        // no template): the file's data source names, read locally
        let rrd = Rrd::open(argbytes::to_path(file), OpenMode::ReadOnly)
            .map_err(|e| open_error(file, &e))?;
        let names: Vec<String> = rrd.header().ds.iter().map(|d| d.name.clone()).collect();
        drop(rrd);
        let file_tpl = names.join(":");
        values = values
            .iter()
            .map(|v| map_template(tpl, &file_tpl, v))
            .collect::<Result<_, _>>()?;
    }
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    match c.update(file, &values, now_precise().sec) {
        Ok(r) if r.status < 0 => Err(c.reply_error(&r)),
        Ok(r) if r.status > 0 => Err(format!(
            "Failed sending the values to rrdcached: {}",
            crate::output::strerror(&std::io::Error::from_raw_os_error(r.status as i32))
        )),
        Ok(_) => Ok(()),
        Err(e) if e == "No buffer space available" => {
            Err(format!("Failed sending the values to rrdcached: {e}"))
        }
        Err(e) => Err(e),
    }
}

/// Fields of a `:`-separated text (none when it is empty).
fn count_fields(s: &str) -> usize {
    if s.is_empty() {
        0
    } else {
        1 + s.matches(':').count()
    }
}

/// rrdtool's `rrd_map_template_to_values`: `value` (`time:v1:v2...` in
/// the order of `tpl`) in the file's order (`file_tpl`), `U` for the data
/// sources the template leaves out.
fn map_template(tpl: &str, file_tpl: &str, value: &str) -> Result<String, String> {
    let (nt, nf, nv) = (
        count_fields(tpl),
        count_fields(file_tpl),
        count_fields(value),
    );
    if nt != nv.wrapping_sub(1) {
        return Err(format!(
            "rrd_map_template_to_values: mismatch of number of fields in template ({nt}) \
             with number of fields in values ({})",
            nv.wrapping_sub(1)
        ));
    }
    if nt > nf {
        return Err(format!(
            "rrd_map_template_to_values: number of fields in template ({nt}) \
             bigger than number of fields in rrdfile ({nf})"
        ));
    }
    let fields: Vec<&str> = value.split(':').collect();
    let tpl_names: Vec<&str> = tpl.split(':').collect();
    let mut mapped = fields[0].to_string();
    let mut found = 0;
    for name in file_tpl.split(':') {
        mapped.push(':');
        // rrdtool compares the template's names with the file's, name by name
        match tpl_names.iter().position(|t| *t == name) {
            Some(k) => {
                mapped.push_str(fields.get(k + 1).copied().unwrap_or(""));
                found += 1;
            }
            None => mapped.push('U'),
        }
    }
    if found != nt {
        return Err(format!(
            "rrd_map_template_to_values: there are fields in template ({tpl}) \
             that are not in the rrdfile ({file_tpl})"
        ));
    }
    Ok(mapped)
}
