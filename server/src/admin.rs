//! Moving an installation from one machine to several (docs/deploy.md):
//! `rrd-server copy-pages` (saved pages and users from one page store
//! into another, SQLite into PostgreSQL) and `rrd-server storage-plan`
//! (which storage node each metric file belongs on).

use std::path::PathBuf;

use anyhow::{bail, Context};

use crate::storage::Ring;
use crate::store::{Claim, PageStore};

/// The apps whose pages a store keeps (`pages::App::store_name`).
const APPS: [&str; 2] = ["metrics", "definitions"];

/// What [`copy_pages`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Copied {
    /// Users claimed in the target.
    pub users: usize,
    /// Users whose name the target had given another email (kept there).
    pub user_conflicts: Vec<String>,
    /// Pages copied.
    pub pages: usize,
    /// Charts copied (with `merge`: written under the generation rule).
    pub charts: usize,
}

/// Copies every user, page and chart of `from` into `to`. Without
/// `merge`, `to` must hold no page; with it, each chart is saved under
/// the original's generation rule (the newer generation wins).
pub fn copy_pages(from: &dyn PageStore, to: &dyn PageStore, merge: bool) -> anyhow::Result<Copied> {
    if !merge {
        for app in APPS {
            let owners = to.owners(app)?;
            if !owners.is_empty() {
                bail!(
                    "the target already holds pages ({app} of {}); give --merge to combine them under the generation rule",
                    owners.join(", ")
                );
            }
        }
    }
    let mut done = Copied::default();
    for (name, email) in from.users()? {
        match to.claim_user(&name, &email)? {
            Claim::Ok => done.users += 1,
            Claim::TakenBy(other) => done
                .user_conflicts
                .push(format!("{name}: {email} here, {other} there")),
        }
    }
    for app in APPS {
        for owner in from.owners(app)? {
            for page in from.pages(app, &owner)? {
                let charts = from.load(app, &owner, &page)?;
                done.charts += charts.len();
                done.pages += 1;
                if merge {
                    for (id, params) in &charts {
                        let g = crate::pages::generation(params);
                        to.save_chart(app, &owner, &page, id, g, params)?;
                    }
                } else {
                    let rows: Vec<_> = charts
                        .into_iter()
                        .map(|(id, p)| (id, crate::pages::generation(&p), p))
                        .collect();
                    to.replace_page(app, &owner, &page, &rows, true)?;
                }
            }
        }
    }
    Ok(done)
}

/// A page store named as `--from`/`--to` take it: a `postgres://` URL or
/// an SQLite file.
fn open_store(s: &str) -> anyhow::Result<Box<dyn PageStore>> {
    if s.starts_with("postgres://") || s.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        return Ok(Box::new(crate::store::postgres::PgStore::open(s)?));
        #[cfg(not(feature = "postgres"))]
        bail!("{s}: this rrd-server was built without the postgres feature");
    }
    let path = PathBuf::from(s);
    Ok(Box::new(
        crate::store::SqliteStore::open(&path)
            .with_context(|| format!("opening {}", path.display()))?,
    ))
}

const COPY_USAGE: &str = "usage: rrd-server copy-pages --from STORE --to STORE [--merge]
  Copies every user, saved page and chart from one page store into another;
  a STORE is an SQLite file (DATA_DIR/pages.sqlite) or a postgres:// URL.
  Refuses a target that holds pages, unless --merge (then the newer
  generation of each chart wins).
";

/// `rrd-server copy-pages ...`.
pub fn copy_pages_cli(args: &[String]) -> anyhow::Result<()> {
    let (mut from, mut to, mut merge) = (None, None, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--from" => from = it.next().cloned(),
            "--to" => to = it.next().cloned(),
            "--merge" => merge = true,
            "--help" | "-h" => {
                print!("{COPY_USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument {other:?}\n{COPY_USAGE}"),
        }
    }
    let (Some(from), Some(to)) = (from, to) else {
        bail!("--from and --to are required\n{COPY_USAGE}");
    };
    if from == to {
        bail!("--from and --to name the same store");
    }
    let (a, b) = (open_store(&from)?, open_store(&to)?);
    let done = copy_pages(&*a, &*b, merge)?;
    for c in &done.user_conflicts {
        eprintln!("rrd-server: copy-pages: user name kept as the target had it: {c}");
    }
    eprintln!(
        "rrd-server: copy-pages: {} user(s), {} page(s), {} chart(s) copied",
        done.users, done.pages, done.charts
    );
    Ok(())
}

/// Files on storage nodes that placement puts on another node:
/// `(holder, placed, file)`, by asking every node for its files.
pub fn misplaced(ring: &Ring) -> anyhow::Result<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    for node in ring.nodes() {
        for file in node.list()? {
            let placed = ring.node_of(&file);
            if placed.name != node.name {
                out.push((node.name.clone(), placed.name.clone(), file));
            }
        }
    }
    Ok(out)
}

const PLAN_USAGE: &str =
    "usage: rrd-server storage-plan --config FILE [--root DIR] [--tracelog DIR]
  With --root: prints, for every .rrd file beneath DIR (the metrics root),
  the storage node of FILE's [storage] it belongs on and its relative name
  (NODE<TAB>FILE): copy each there under the same name. With --tracelog:
  the same for the trace-log files in DIR, named tracelog/NAME.rrd as they
  are to be on the nodes.
  Without: asks every storage node for its files and prints those that
  belong on another (FROM<TAB>TO<TAB>FILE), after nodes were added.
";

/// `rrd-server storage-plan ...`.
pub fn storage_plan_cli(args: &[String]) -> anyhow::Result<()> {
    let (mut config, mut root, mut tracelog) = (None, None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--config" | "-c" => config = it.next().map(PathBuf::from),
            "--root" => root = it.next().map(PathBuf::from),
            "--tracelog" => tracelog = it.next().map(PathBuf::from),
            "--help" | "-h" => {
                print!("{PLAN_USAGE}");
                return Ok(());
            }
            other => bail!("unknown argument {other:?}\n{PLAN_USAGE}"),
        }
    }
    let Some(config) = config else {
        bail!("--config is required\n{PLAN_USAGE}");
    };
    let config = crate::Config::from_file(&config)?;
    let Some(ring) = config.storage.ring()? else {
        bail!("the configuration names no [storage] nodes");
    };
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if root.is_some() || tracelog.is_some() {
        let mut files = Vec::new();
        for (dir, prefix) in [(root, ""), (tracelog, crate::tracelog::STORAGE_DIR)] {
            let Some(dir) = dir else { continue };
            anyhow::ensure!(dir.is_dir(), "{} is not a directory", dir.display());
            let mut found = Vec::new();
            crate::catalogue::walk(&dir, &mut found);
            files.extend(found.into_iter().map(|f| match prefix {
                "" => f,
                p => format!("{p}/{f}"),
            }));
        }
        files.sort();
        for f in &files {
            writeln!(out, "{}\t{f}", ring.node_of(f).name)?;
        }
        eprintln!("rrd-server: storage-plan: {} file(s)", files.len());
    } else {
        let moves = misplaced(&ring)?;
        for (from, to, file) in &moves {
            writeln!(out, "{from}\t{to}\t{file}")?;
        }
        eprintln!("rrd-server: storage-plan: {} file(s) to move", moves.len());
    }
    out.flush()?;
    Ok(())
}
