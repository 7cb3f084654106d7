//! `rrdtool dump`: the XML rendering of a whole RRD.

use std::io::Write;

use jiff::tz::TimeZone;

use crate::error::Result;
use crate::info::{cdef_to_string, history_string};
use crate::model::{cdp_slot, ConsolidationFn, DsParams, RraParams};
use crate::rrd::Rrd;
use crate::storage::Storage;
use rrd_clib::rrd_snprintf::rrd_exp;

/// A double as dump prints it: `NaN`, or `%0.10e` through rrdtool's own
/// `rrd_snprintf` (which rounds differently from the C library's printf).
fn exp10_or_nan(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else {
        rrd_exp(v, 10)
    }
}

/// Which document header `dump` writes (`--header`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DumpHeader {
    /// XML declaration and DOCTYPE (the default).
    #[default]
    Dtd,
    /// XML declaration and a schema reference.
    Xsd,
    /// Neither (`--no-header` or `--header none`).
    None,
}

/// `strftime("%Y-%m-%d %H:%M:%S %Z", localtime(t))` in `tz` into rrdtool's
/// 255-byte buffer, as dump's comments show it (glibc's, through
/// [`rrd_clib::time`]); empty where `localtime` fails.
pub fn local_time_comment(t: i64, tz: &TimeZone) -> String {
    let Some(tm) = rrd_clib::time::localtime(t, tz) else {
        return String::new();
    };
    let mut epoch = |_: &rrd_clib::time::Tm| Ok::<i64, std::convert::Infallible>(t);
    match rrd_clib::time::strftime(b"%Y-%m-%d %H:%M:%S %Z", &tm, 255, &mut epoch) {
        Ok(Some(text)) => String::from_utf8_lossy(&text).into_owned(),
        _ => String::new(),
    }
}

/// Writes the XML dump of `rrd` to `w`, times in `tz`.
pub fn dump<S: Storage, W: Write + ?Sized>(
    rrd: &Rrd<S>,
    w: &mut W,
    header: DumpHeader,
    tz: &TimeZone,
) -> Result<()> {
    let h = rrd.header();
    match header {
        DumpHeader::Dtd => {
            w.write_all(b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n")?;
            w.write_all(b"<!DOCTYPE rrd SYSTEM \"https://oss.oetiker.ch/rrdtool/rrdtool.dtd\">\n")?;
            w.write_all(b"<!-- Round Robin Database Dump -->\n<rrd>\n")?;
        }
        DumpHeader::Xsd => {
            w.write_all(b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n")?;
            w.write_all(b"<!-- Round Robin Database Dump -->\n")?;
            w.write_all(b"<rrd xmlns=\"https://oss.oetiker.ch/rrdtool/rrdtool-dump.xml\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n")?;
            w.write_all(b"\txsi:schemaLocation=\"https://oss.oetiker.ch/rrdtool/rrdtool-dump.xml https://oss.oetiker.ch/rrdtool/rrdtool-dump.xsd\">\n")?;
        }
        DumpHeader::None => w.write_all(b"<!-- Round Robin Database Dump -->\n<rrd>\n")?,
    }
    let version = if h.version <= 3 { 3 } else { h.version };
    writeln!(w, "\t<version>{version:04}</version>")?;
    writeln!(w, "\t<step>{}</step> <!-- Seconds -->", h.step)?;
    writeln!(
        w,
        "\t<lastupdate>{}</lastupdate> <!-- {} -->\n",
        h.last_up,
        local_time_comment(h.last_up, tz)
    )?;
    let names: Vec<&str> = h.ds.iter().map(|d| d.name.as_str()).collect();
    for (i, ds) in h.ds.iter().enumerate() {
        writeln!(w, "\t<ds>")?;
        writeln!(w, "\t\t<name> {} </name>", ds.name)?;
        writeln!(w, "\t\t<type> {} </type>", ds.kind)?;
        match &ds.params {
            DsParams::Standard {
                heartbeat,
                min,
                max,
            } => {
                writeln!(w, "\t\t<minimal_heartbeat>{heartbeat}</minimal_heartbeat>")?;
                writeln!(w, "\t\t<min>{}</min>", exp10_or_nan(*min))?;
                writeln!(w, "\t\t<max>{}</max>", exp10_or_nan(*max))?;
            }
            DsParams::Compute { rpn } => {
                writeln!(w, "\t\t<cdef> {} </cdef>", cdef_to_string(rpn, &names))?;
            }
        }
        let p = &h.pdp[i];
        writeln!(w, "\n\t\t<!-- PDP Status -->")?;
        writeln!(w, "\t\t<last_ds>{}</last_ds>", p.last_ds)?;
        writeln!(w, "\t\t<value>{}</value>", exp10_or_nan(p.value))?;
        writeln!(w, "\t\t<unknown_sec> {} </unknown_sec>", p.unknown_sec)?;
        writeln!(w, "\t</ds>\n")?;
    }
    writeln!(w, "\t<!-- Round Robin Archives -->")?;
    for (i, rra) in h.rra.iter().enumerate() {
        writeln!(w, "\t<rra>")?;
        writeln!(w, "\t\t<cf>{}</cf>", rra.cf)?;
        writeln!(
            w,
            "\t\t<pdp_per_row>{}</pdp_per_row> <!-- {} seconds -->\n",
            rra.pdp_cnt,
            rra.pdp_cnt.saturating_mul(h.step)
        )?;
        writeln!(w, "\t\t<params>")?;
        match rra.params {
            RraParams::Plain { xff } => writeln!(w, "\t\t<xff>{}</xff>", exp10_or_nan(xff))?,
            RraParams::HoltWinters {
                alpha,
                beta,
                dependent_rra,
                ..
            } => {
                writeln!(w, "\t\t<hw_alpha>{}</hw_alpha>", exp10_or_nan(alpha))?;
                writeln!(w, "\t\t<hw_beta>{}</hw_beta>", exp10_or_nan(beta))?;
                writeln!(
                    w,
                    "\t\t<dependent_rra_idx>{dependent_rra}</dependent_rra_idx>"
                )?;
            }
            RraParams::Seasonal {
                gamma,
                smoothing_window,
                dependent_rra,
                smooth_idx,
            } => {
                writeln!(
                    w,
                    "\t\t<seasonal_gamma>{}</seasonal_gamma>",
                    exp10_or_nan(gamma)
                )?;
                writeln!(
                    w,
                    "\t\t<seasonal_smooth_idx>{smooth_idx}</seasonal_smooth_idx>"
                )?;
                if h.version >= 4 {
                    writeln!(
                        w,
                        "\t\t<smoothing_window>{}</smoothing_window>",
                        exp10_or_nan(smoothing_window)
                    )?;
                }
                writeln!(
                    w,
                    "\t\t<dependent_rra_idx>{dependent_rra}</dependent_rra_idx>"
                )?;
            }
            RraParams::DevPredict { dependent_rra } => {
                writeln!(
                    w,
                    "\t\t<dependent_rra_idx>{dependent_rra}</dependent_rra_idx>"
                )?;
            }
            RraParams::Failures {
                delta_pos,
                delta_neg,
                dependent_rra,
                window_len,
                threshold,
            } => {
                writeln!(w, "\t\t<delta_pos>{}</delta_pos>", exp10_or_nan(delta_pos))?;
                writeln!(w, "\t\t<delta_neg>{}</delta_neg>", exp10_or_nan(delta_neg))?;
                writeln!(w, "\t\t<window_len>{window_len}</window_len>")?;
                writeln!(w, "\t\t<failure_threshold>{threshold}</failure_threshold>")?;
                writeln!(
                    w,
                    "\t\t<dependent_rra_idx>{dependent_rra}</dependent_rra_idx>"
                )?;
            }
        }
        writeln!(w, "\t\t</params>")?;
        writeln!(w, "\t\t<cdp_prep>")?;
        for j in 0..h.ds.len() {
            let c = h.cdp(i, j);
            let v = |s: usize| exp10_or_nan(c.val(s));
            writeln!(w, "\t\t\t<ds>")?;
            writeln!(
                w,
                "\t\t\t<primary_value>{}</primary_value>",
                v(cdp_slot::PRIMARY_VAL)
            )?;
            writeln!(
                w,
                "\t\t\t<secondary_value>{}</secondary_value>",
                v(cdp_slot::SECONDARY_VAL)
            )?;
            match rra.cf {
                ConsolidationFn::HwPredict | ConsolidationFn::MhwPredict => {
                    writeln!(
                        w,
                        "\t\t\t<intercept>{}</intercept>",
                        v(cdp_slot::HW_INTERCEPT)
                    )?;
                    writeln!(
                        w,
                        "\t\t\t<last_intercept>{}</last_intercept>",
                        v(cdp_slot::HW_LAST_INTERCEPT)
                    )?;
                    writeln!(w, "\t\t\t<slope>{}</slope>", v(cdp_slot::HW_SLOPE))?;
                    writeln!(
                        w,
                        "\t\t\t<last_slope>{}</last_slope>",
                        v(cdp_slot::HW_LAST_SLOPE)
                    )?;
                    writeln!(
                        w,
                        "\t\t\t<nan_count>{}</nan_count>",
                        c.cnt(cdp_slot::NULL_COUNT)
                    )?;
                    writeln!(
                        w,
                        "\t\t\t<last_nan_count>{}</last_nan_count>",
                        c.cnt(cdp_slot::LAST_NULL_COUNT)
                    )?;
                }
                ConsolidationFn::Seasonal | ConsolidationFn::DevSeasonal => {
                    writeln!(
                        w,
                        "\t\t\t<seasonal>{}</seasonal>",
                        v(cdp_slot::HW_INTERCEPT)
                    )?;
                    writeln!(
                        w,
                        "\t\t\t<last_seasonal>{}</last_seasonal>",
                        v(cdp_slot::HW_LAST_INTERCEPT)
                    )?;
                    writeln!(
                        w,
                        "\t\t\t<init_flag>{}</init_flag>",
                        c.cnt(cdp_slot::NULL_COUNT)
                    )?;
                }
                ConsolidationFn::DevPredict => {}
                ConsolidationFn::Failures => {
                    let len = match rra.params {
                        RraParams::Failures { window_len, .. } => window_len as usize,
                        _ => 0,
                    };
                    writeln!(
                        w,
                        "\t\t\t<history>{}</history>",
                        history_string(&c.history(len))
                    )?;
                }
                _ => {
                    writeln!(w, "\t\t\t<value>{}</value>", v(cdp_slot::VAL))?;
                    writeln!(
                        w,
                        "\t\t\t<unknown_datapoints>{}</unknown_datapoints>",
                        c.cnt(cdp_slot::UNKN_PDP_CNT)
                    )?;
                }
            }
            writeln!(w, "\t\t\t</ds>")?;
        }
        writeln!(w, "\t\t</cdp_prep>")?;
        writeln!(w, "\t\t<database>")?;
        let mut line = String::new();
        for row in rrd.rows(i)? {
            let (t, vals) = row?;
            line.clear();
            line.push_str("\t\t\t<!-- ");
            line.push_str(&local_time_comment(t, tz));
            line.push_str(&format!(" / {t} --> <row>"));
            for v in vals {
                line.push_str("<v>");
                line.push_str(&exp10_or_nan(v));
                line.push_str("</v>");
            }
            line.push_str("</row>\n");
            w.write_all(line.as_bytes())?;
        }
        writeln!(w, "\t\t</database>")?;
        writeln!(w, "\t</rra>")?;
    }
    writeln!(w, "</rrd>")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each line is glibc 2.36's `strftime("%Y-%m-%d %H:%M:%S %Z",
    /// localtime(t))`, years beyond 9999 and before 1 included.
    #[test]
    fn comments_are_glibcs() {
        let zurich = TimeZone::get("Europe/Zurich").unwrap();
        for (t, tz, want) in [
            (253_402_300_800, TimeZone::UTC, "10000-01-01 00:00:00 UTC"),
            (-62_198_841_600, TimeZone::UTC, "-2-12-31 00:00:00 UTC"),
            (1_000_000_000, zurich.clone(), "2001-09-09 03:46:40 CEST"),
            (253_402_300_800, zurich.clone(), "10000-01-01 01:00:00 CET"),
            (-62_198_841_600, zurich, "-2-12-31 00:34:08 LMT"),
        ] {
            assert_eq!(local_time_comment(t, &tz), want, "{t}");
        }
    }
}
