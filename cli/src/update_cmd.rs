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
        if p.flag("daemon") {
            return Err("--daemon (rrdcached) is not supported yet".to_string());
        }
        if p.args.len() < 2 {
            return Err("Not enough arguments".to_string());
        }
        let file = &p.args[0];
        let tz = jiff::tz::TimeZone::system();
        let parsed: Vec<ParsedArg<'_>> = p.args[1..].iter().map(|a| ParsedArg::parse(a)).collect();
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
