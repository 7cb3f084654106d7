//! `rrd_create_r2`: a new file from `DS:`/`RRA:` arguments, a template
//! file and source files, as `rrdtool create` and rrdcached's `CREATE`
//! both make it. The callers parse their own options (the command line's
//! at-style `--start`, the daemon's plain numbers) and come here with the
//! values.

use std::path::Path;

use rrd_clib::strerror;

use crate::{argbytes, CreateOptions, CreateSpec, Error, OpenMode, Rrd};

/// What `rrd_create_r2` takes besides the file name.
#[derive(Debug, Clone, Default)]
pub struct CreateArgs<'a> {
    /// `--start`/`-b`: the time of the last update; `None` for the
    /// template's or sources', else ten seconds ago.
    pub start: Option<i64>,
    /// `--step`/`-s`; `None` for the template's, else 300.
    pub step: Option<u64>,
    /// `--no-overwrite`/`-O`.
    pub no_overwrite: bool,
    /// `--source`/`-r` files, in order.
    pub sources: Vec<&'a str>,
    /// `--template`/`-t` file.
    pub template: Option<&'a str>,
    /// The `DS:` and `RRA:` definitions.
    pub defs: Vec<&'a str>,
    /// The current time (what a missing start counts back from).
    pub now: i64,
}

/// A file ready to be written: its header and, with sources, its rows.
#[derive(Debug)]
pub struct NewRrd {
    spec: CreateSpec,
    image: Option<crate::Image>,
}

/// Builds the file `file` is to hold (the name seeds the Holt-Winters
/// phase); `Err` carries rrdtool's message.
pub fn build(file: &str, a: &CreateArgs<'_>) -> Result<NewRrd, String> {
    let mut ds = Vec::new();
    let mut rra = Vec::new();
    let mut step = a.step;
    let mut template_last_up = 0;
    if let Some(t) = a.template {
        let tpl = Rrd::open(argbytes::to_path(t), OpenMode::ReadOnly)
            .map_err(|_| format!("Cannot open template RRD {t}"))?;
        let h = tpl.header();
        ds.clone_from(&h.ds);
        rra.clone_from(&h.rra);
        if step.is_none() {
            step = Some(h.step);
        }
        template_last_up = h.last_up;
    }
    let step = step.unwrap_or(300);
    let start = match a.start {
        Some(t) => t,
        // the template's last update, unless sources give it
        None if template_last_up > 0 && a.sources.is_empty() => template_last_up,
        None => a.now - 10,
    };
    let mut spec = CreateSpec {
        start,
        step,
        ds,
        rra,
        version: None,
    };
    // rrdtool decides the version while parsing arguments: what a template
    // brings does not count
    let hash = crate::name_hash(file);
    let mut version = 3;
    for arg in &a.defs {
        if arg.starts_with("DS:") {
            let d = crate::parse_ds(arg, &spec.ds).map_err(|e| e.to_string())?;
            if matches!(d.kind, crate::DsKind::DCounter | crate::DsKind::DDerive) {
                version = 5;
            }
            spec.ds.push(d);
        } else if arg.starts_with("RRA:") {
            let (r, v) = crate::parse_rra_named(arg, step, hash).map_err(|e| e.to_string())?;
            version = version.max(v);
            spec.rra.push(r);
            crate::push_contingent_rras(&mut spec.rra, hash).map_err(|e| e.to_string())?;
        } else {
            return Err(format!("can't parse argument '{arg}'"));
        }
    }
    spec.validate().map_err(|e| e.to_string())?;
    spec.version = Some(version);
    if a.sources.is_empty() {
        return Ok(NewRrd { spec, image: None });
    }
    let mut imgs = Vec::with_capacity(a.sources.len());
    for s in &a.sources {
        let rrd = Rrd::open(argbytes::to_path(s), OpenMode::ReadOnly)
            .map_err(|_| format!("Cannot open source RRD {s}"))?;
        imgs.push(rrd.image().map_err(|e| e.to_string())?);
    }
    if a.start.is_none() {
        // the latest of the sources' last updates
        spec.start = imgs.iter().map(|i| i.header.last_up).fold(0, i64::max);
        spec.validate().map_err(|e| e.to_string())?;
    }
    let maps: Vec<crate::DsMapping> = a
        .defs
        .iter()
        .filter(|a| a.starts_with("DS:"))
        .filter_map(|a| crate::ds_mapping(a))
        .collect();
    let header = spec.to_header(crate::random_row);
    let d = header.ds.len();
    let rows = header
        .rra
        .iter()
        .map(|r| vec![crate::DNAN; r.rows as usize * d])
        .collect();
    let mut img = crate::Image { header, rows };
    crate::prefill(&mut img, &imgs, &maps).map_err(|e| e.to_string())?;
    Ok(NewRrd {
        spec,
        image: Some(img),
    })
}

impl NewRrd {
    /// The whole file, as `create` writes it to stdout for `-`.
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        let mut buf = Vec::new();
        match &self.image {
            None => self.spec.write_to(&mut buf).map_err(|e| e.to_string())?,
            Some(img) => {
                let data: Vec<f64> = img.rows.iter().flatten().copied().collect();
                crate::write_rrd(&mut buf, &img.header, Some(&data)).map_err(|e| e.to_string())?
            }
        }
        Ok(buf)
    }

    /// Writes the file at `path` (named `file` in messages) so that it
    /// appears whole or not at all.
    pub fn write(&self, path: &Path, file: &str, no_overwrite: bool) -> Result<(), String> {
        let r = match &self.image {
            None => Rrd::create(path, &self.spec, &CreateOptions { no_overwrite }).map(drop),
            Some(img) => crate::write_image(path, img, no_overwrite),
        };
        r.map_err(|e| match e {
            Error::Io { op, .. } if op.starts_with("creating a temporary") => {
                "Cannot create temporary file".into()
            }
            Error::Io { op: "renaming", .. } => {
                "Cannot rename temporary file to final file!".into()
            }
            Error::Io { op, source, .. } => format!("{op} '{file}': {}", strerror(&source)),
            other => other.to_string(),
        })
    }
}

/// `rrd_create_r2`: builds and writes `file`.
pub fn create_r2(file: &str, a: &CreateArgs<'_>) -> Result<(), String> {
    build(file, a)?.write(&argbytes::to_path(file), file, a.no_overwrite)
}
