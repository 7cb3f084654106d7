//! The options of `rrdtool tune` (rrdtool 1.7.2's `rrd_tune.c`), each
//! applied to a header in memory with rrdtool's parsing and messages. The
//! structural changes (`DEL:`, `DS:`, `RRA#`, `DELRRA:`, `RRA:`, `--step`)
//! are in [`crate::modify`].

use crate::error::{Error, Result};
use crate::model::{ConsolidationFn as Cf, DsKind, DsParams, Header, RraParams, DNAN};

/// What an option changed beyond the definitions.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TuneEffects {
    /// Data sources whose Holt-Winters model was reset (`--aberrant-reset`):
    /// their SEASONAL and DEVSEASONAL rows become unknown.
    pub aberrant_reset: Vec<usize>,
    /// `--step`, as given (`atoi`).
    pub new_step: Option<i64>,
}

use rrd_clib::strtod::strtodbl_code;

/// `sscanf("%19[a-zA-Z0-9_-]")`: the name and the rest, if the name is
/// not empty.
fn scan_name(s: &str) -> Option<(&str, &str)> {
    let n = s
        .bytes()
        .take(19)
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
        .count();
    (n > 0).then(|| s.split_at(n))
}

/// `sscanf` of `NAME:%ld`.
fn scan_name_long(s: &str) -> Option<(&str, i64)> {
    let (name, rest) = scan_name(s)?;
    let rest = rest.strip_prefix(':')?;
    let (v, _) = rrd_clib::strtol::sscanf_ld(rest.as_bytes())?;
    Some((name, v))
}

/// `sscanf` of `NAME:%40[U0-9.e+-]`.
fn scan_name_number(s: &str) -> Option<(&str, &str)> {
    let (name, rest) = scan_name(s)?;
    let rest = rest.strip_prefix(':')?;
    let n = rest
        .bytes()
        .take(40)
        .take_while(|c| matches!(c, b'U' | b'0'..=b'9' | b'.' | b'e' | b'+' | b'-'))
        .count();
    (n > 0).then(|| (name, &rest[..n]))
}

fn ds_match(h: &Header, name: &str) -> Result<usize> {
    h.ds.iter()
        .position(|d| d.name == name)
        .ok_or_else(|| Error::Definition(format!("unknown data source name '{name}'")))
}

fn first_rra(h: &Header, cf: Cf) -> Option<usize> {
    h.rra.iter().position(|r| r.cf == cf)
}

/// Sets parameter `which` (1 or 2: alpha/gamma or beta/smoothing window)
/// of the first archive of function `cf`: `set_hwarg` (`open` false, the
/// value in (0, 1)) or `set_hwsmootharg` (`open` true, in [0, 1]).
fn set_hw(h: &mut Header, cf: Cf, which: u8, arg: &str, closed: bool) -> Result<()> {
    let (code, v) = strtodbl_code(arg);
    let out_of_range = if closed {
        !(0.0..=1.0).contains(&v)
    } else {
        v <= 0.0 || v >= 1.0
    };
    if (code == 1 || code == 2) && out_of_range {
        return Err(Error::Definition(
            "Holt-Winters parameter must be between 0 and 1".into(),
        ));
    }
    if code == 0 {
        return Err(Error::Definition(
            "Unable to parse Holt-Winters parameter".into(),
        ));
    }
    let r = first_rra(h, cf)
        .ok_or_else(|| Error::Definition("Holt-Winters RRA does not exist in this RRD".into()))?;
    match &mut h.rra[r].params {
        RraParams::HoltWinters { alpha, beta, .. } => {
            *if which == 1 { alpha } else { beta } = v;
        }
        RraParams::Seasonal {
            gamma,
            smoothing_window,
            ..
        } => {
            *if which == 1 { gamma } else { smoothing_window } = v;
        }
        _ => {}
    }
    Ok(())
}

fn failures_rra(h: &Header) -> Result<usize> {
    first_rra(h, Cf::Failures)
        .ok_or_else(|| Error::Definition("Failures RRA does not exist in this RRD".into()))
}

/// Applies one `tune` option (its long name, as getopt reports it, and
/// its argument) to `h`, as rrdtool 1.7.2 does.
pub fn tune_option(h: &mut Header, name: &str, arg: &str, fx: &mut TuneEffects) -> Result<()> {
    let def = |m: &str| Error::Definition(m.to_string());
    match name {
        "heartbeat" => {
            let (n, hb) =
                scan_name_long(arg).ok_or_else(|| def("invalid arguments for heartbeat"))?;
            let i = ds_match(h, n)?;
            if let DsParams::Standard { heartbeat, .. } = &mut h.ds[i].params {
                *heartbeat = hb as u64;
            }
        }
        "minimum" | "maximum" => {
            let what = if name == "minimum" {
                "invalid arguments for minimum ds value"
            } else {
                "invalid arguments for maximum ds value"
            };
            let (n, num) = scan_name_number(arg).ok_or_else(|| def(what))?;
            let v = if num == "U" {
                DNAN
            } else {
                match strtodbl_code(num) {
                    (2, v) => v,
                    _ => return Err(def(what)),
                }
            };
            let i = ds_match(h, n)?;
            if let DsParams::Standard { min, max, .. } = &mut h.ds[i].params {
                *if name == "minimum" { min } else { max } = v;
            }
        }
        "data-source-type" => {
            let bad = || def("invalid arguments for data source type");
            let (n, rest) = scan_name(arg).ok_or_else(bad)?;
            let rest = rest.strip_prefix(':').ok_or_else(bad)?;
            let t: String = rest
                .chars()
                .take(19)
                .take_while(char::is_ascii_uppercase)
                .collect();
            if t.is_empty() {
                return Err(bad());
            }
            let i = ds_match(h, n)?;
            let kind = DsKind::parse(&t).ok_or_else(|| {
                Error::Definition(format!("unknown data acquisition function '{t}'"))
            })?;
            if kind == DsKind::Compute || h.ds[i].kind == DsKind::Compute {
                if kind != h.ds[i].kind {
                    return Err(Error::Unsupported(format!(
                        "changing data source '{n}' to or from COMPUTE with tune \
                         (rrdtool reinterprets its parameters)"
                    )));
                }
                return Ok(());
            }
            if h.ds[i].kind != kind {
                h.ds[i].kind = kind;
                h.pdp[i].last_ds = "UNKN".into();
            }
        }
        "data-source-rename" => {
            let bad = || def("invalid arguments for data source type");
            let (old, rest) = scan_name(arg).ok_or_else(bad)?;
            let rest = rest.strip_prefix(':').ok_or_else(bad)?;
            let (new, _) = scan_name(rest).ok_or_else(bad)?;
            let i = ds_match(h, old)?;
            h.ds[i].name = new.to_string();
        }
        "deltapos" | "deltaneg" => {
            let (code, v) = strtodbl_code(arg);
            if (code == 1 || code == 2) && v < 0.1 {
                return Err(def("Parameter specified is too small"));
            }
            if code == 1 {
                return Err(def("Unable to parse parameter in set_deltaarg"));
            }
            let r = failures_rra(h)?;
            if let RraParams::Failures {
                delta_pos,
                delta_neg,
                ..
            } = &mut h.rra[r].params
            {
                *if name == "deltapos" {
                    delta_pos
                } else {
                    delta_neg
                } = v;
            }
        }
        "failure-threshold" | "window-length" => {
            let v = rrd_clib::strtol::atoi(arg);
            if !(1..=28).contains(&v) {
                return Err(def("Parameter must be between 1 and 28"));
            }
            let r = failures_rra(h)?;
            if let RraParams::Failures {
                window_len,
                threshold,
                ..
            } = &mut h.rra[r].params
            {
                *if name == "window-length" {
                    window_len
                } else {
                    threshold
                } = v as u64;
            }
            // existing violations are forgotten
            let d = h.ds.len();
            let w = match h.rra[r].params {
                RraParams::Failures { window_len, .. } => window_len.min(80) as usize,
                _ => 0,
            };
            for i in 0..d {
                let s = &mut h.cdp[r * d + i].scratch;
                for k in 0..w {
                    let mut b = s[k / 8].0.to_le_bytes();
                    b[k % 8] = 0;
                    s[k / 8].0 = u64::from_le_bytes(b);
                }
            }
        }
        "alpha" | "beta" => {
            let which = if name == "alpha" { 1 } else { 2 };
            if set_hw(h, Cf::HwPredict, which, arg, false).is_err() {
                set_hw(h, Cf::MhwPredict, which, arg, false)?;
            }
        }
        "gamma" => set_hw(h, Cf::Seasonal, 1, arg, false)?,
        "gamma-deviation" => set_hw(h, Cf::DevSeasonal, 1, arg, false)?,
        "smoothing-window" | "smoothing-window-deviation" => {
            // the version changes first, whatever follows
            if h.version < 4 {
                if h.version < 3 {
                    return Err(Error::Unsupported(
                        "setting a smoothing window in a file of version 1 or 2 \
                         (dump and restore it first)"
                            .into(),
                    ));
                }
                h.version = 4;
            }
            let cf = if name == "smoothing-window" {
                Cf::Seasonal
            } else {
                Cf::DevSeasonal
            };
            set_hw(h, cf, 2, arg, true)?;
        }
        "aberrant-reset" => {
            let (n, _) =
                scan_name(arg).ok_or_else(|| def("invalid argument for aberrant-reset"))?;
            let i = ds_match(h, n)?;
            crate::hw::reset_coefficients(h, i);
            fx.aberrant_reset.push(i);
        }
        "step" => fx.new_step = Some(i64::from(rrd_clib::strtol::atoi(arg))),
        other => {
            return Err(Error::Definition(format!("unknown tune option '{other}'")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_as_rrd_strtodbl_reads_them() {
        assert_eq!(strtodbl_code("0.5").0, 2);
        assert_eq!(strtodbl_code("0.5x").0, 1);
        assert_eq!(strtodbl_code("x").0, 0);
        assert_eq!(strtodbl_code("nan").0, 2);
        assert_eq!(scan_name_long("a:90"), Some(("a", 90)));
        assert_eq!(scan_name_long("a90"), None);
        assert_eq!(scan_name_number("b:U"), Some(("b", "U")));
        assert_eq!(scan_name_number("b:-1e3x"), Some(("b", "-1e3")));
    }
}
