//! What every page store must do, run over SQLite and over PostgreSQL
//! (feature `postgres`, a real server started by the test).

use rrd_server::store::{Claim, Copied, Destroyed, PageStore, Params, SqliteStore};

fn p(pairs: &[(&str, &str)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Every case, each on a fresh store from `fresh`; `tag` names the case so
/// that a store may be made per case.
fn conformance(fresh: impl Fn(&str) -> Box<dyn PageStore>) {
    type Case = fn(&dyn PageStore);
    let cases: &[(&str, Case)] = &[
        ("the_generation_rule", the_generation_rule),
        (
            "pages_owners_destroy_and_order",
            pages_owners_destroy_and_order,
        ),
        ("replacing_pages", replacing_pages),
        ("users_are_claimed_once", users_are_claimed_once),
        ("names_sort_byte_by_byte", names_sort_byte_by_byte),
    ];
    for (name, case) in cases {
        let s = fresh(name);
        case(&*s);
    }
}

fn the_generation_rule(s: &dyn PageStore) {
    assert!(s
        .save_chart("metrics", "jim", "default", "1", 1, &p(&[("data0", "a")]))
        .unwrap());
    // same generation, different params: kept
    assert!(!s
        .save_chart("metrics", "jim", "default", "1", 1, &p(&[("data0", "b")]))
        .unwrap());
    // higher generation, same params: nothing to write
    assert!(!s
        .save_chart("metrics", "jim", "default", "1", 2, &p(&[("data0", "a")]))
        .unwrap());
    // higher generation, new params: written
    assert!(s
        .save_chart("metrics", "jim", "default", "1", 3, &p(&[("data0", "c")]))
        .unwrap());
    // lower generation: refused
    assert!(!s
        .save_chart("metrics", "jim", "default", "1", 2, &p(&[("data0", "d")]))
        .unwrap());
    let charts = s.load("metrics", "jim", "default").unwrap();
    assert_eq!(charts, vec![("1".to_string(), p(&[("data0", "c")]))]);
}

fn pages_owners_destroy_and_order(s: &dyn PageStore) {
    for id in ["10", "9", "2"] {
        s.save_chart("metrics", "jim", "p", id, 1, &p(&[])).unwrap();
    }
    s.save_chart("metrics", "ann", "q", "1", 1, &p(&[]))
        .unwrap();
    s.save_chart("tracelog", "bob", "q", "1", 1, &p(&[]))
        .unwrap();
    let ids: Vec<_> = s
        .load("metrics", "jim", "p")
        .unwrap()
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(
        ids,
        ["10", "2", "9"],
        "sorted as strings, as the original did"
    );
    assert_eq!(s.owners("metrics").unwrap(), ["ann", "jim"]);
    assert_eq!(s.pages("metrics", "jim").unwrap(), ["p"]);
    assert_eq!(
        s.destroy("metrics", "jim", "p", "10").unwrap(),
        Destroyed::Chart
    );
    assert_eq!(
        s.destroy("metrics", "jim", "p", "10").unwrap(),
        Destroyed::Nothing
    );
    assert_eq!(
        s.destroy("metrics", "jim", "p", "2").unwrap(),
        Destroyed::Chart
    );
    assert_eq!(
        s.destroy("metrics", "jim", "p", "9").unwrap(),
        Destroyed::PageEmpty
    );
    assert!(s.pages("metrics", "jim").unwrap().is_empty());
}

fn replacing_pages(s: &dyn PageStore) {
    let one = vec![("1".to_string(), 1, p(&[("data0", "x")]))];
    assert_eq!(
        s.replace_page("metrics", "jim", "a", &one, false).unwrap(),
        Copied::Done
    );
    assert_eq!(
        s.replace_page("metrics", "jim", "a", &one, false).unwrap(),
        Copied::Exists
    );
    let two = vec![("5".to_string(), 1, p(&[])), ("6".to_string(), 1, p(&[]))];
    assert_eq!(
        s.replace_page("metrics", "jim", "a", &two, true).unwrap(),
        Copied::Done
    );
    assert_eq!(s.load("metrics", "jim", "a").unwrap().len(), 2);
    // saving an empty page deletes the target
    assert_eq!(
        s.replace_page("metrics", "jim", "a", &[], false).unwrap(),
        Copied::Done
    );
    assert!(s.load("metrics", "jim", "a").unwrap().is_empty());
}

fn users_are_claimed_once(s: &dyn PageStore) {
    assert_eq!(s.claim_user("jim", "jim@a.com").unwrap(), Claim::Ok);
    assert_eq!(s.claim_user("jim", "jim@a.com").unwrap(), Claim::Ok);
    assert_eq!(
        s.claim_user("jim", "jim@b.com").unwrap(),
        Claim::TakenBy("jim@a.com".into())
    );
}

/// Byte order, not the database's locale: `B` before `a`, `é` after `z`.
fn names_sort_byte_by_byte(s: &dyn PageStore) {
    for owner in ["ann", "Bob", "zoe", "émile"] {
        s.save_chart("metrics", owner, "p", "1", 1, &p(&[]))
            .unwrap();
    }
    for page in ["a", "B", "_x", "Z"] {
        s.save_chart("metrics", "ann", page, "1", 1, &p(&[]))
            .unwrap();
    }
    for id in ["a", "B", "1", "10", "9"] {
        s.save_chart("metrics", "ann", "q", id, 1, &p(&[])).unwrap();
    }
    assert_eq!(s.owners("metrics").unwrap(), ["Bob", "ann", "zoe", "émile"]);
    assert_eq!(
        s.pages("metrics", "ann").unwrap(),
        ["B", "Z", "_x", "a", "p", "q"]
    );
    let ids: Vec<_> = s
        .load("metrics", "ann", "q")
        .unwrap()
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(ids, ["1", "10", "9", "B", "a"]);
}

/// Two handles on one database (two web nodes): what one saves the other
/// loads, a user claimed through one is claimed for both.
fn two_handles(a: &dyn PageStore, b: &dyn PageStore) {
    assert!(a
        .save_chart("metrics", "jim", "shared", "1", 1, &p(&[("data0", "x")]))
        .unwrap());
    assert_eq!(
        b.load("metrics", "jim", "shared").unwrap(),
        vec![("1".to_string(), p(&[("data0", "x")]))]
    );
    // b's newer generation wins for a too; a's stale one is refused
    assert!(b
        .save_chart("metrics", "jim", "shared", "1", 5, &p(&[("data0", "y")]))
        .unwrap());
    assert!(!a
        .save_chart("metrics", "jim", "shared", "1", 4, &p(&[("data0", "z")]))
        .unwrap());
    assert_eq!(
        a.load("metrics", "jim", "shared").unwrap()[0].1,
        p(&[("data0", "y")])
    );
    assert_eq!(a.claim_user("ann", "ann@a.com").unwrap(), Claim::Ok);
    assert_eq!(
        b.claim_user("ann", "ann@b.com").unwrap(),
        Claim::TakenBy("ann@a.com".into())
    );
    assert_eq!(
        b.destroy("metrics", "jim", "shared", "1").unwrap(),
        Destroyed::PageEmpty
    );
    assert!(a.pages("metrics", "jim").unwrap().is_empty());
}

/// Saves racing from several threads and two handles: every chart of
/// every page lands once, the highest generation of each wins.
fn racing_saves(a: &dyn PageStore, b: &dyn PageStore) {
    std::thread::scope(|sc| {
        for t in 0..4 {
            let s = if t % 2 == 0 { a } else { b };
            sc.spawn(move || {
                for g in 1..=25i64 {
                    for id in 0..4 {
                        let v = format!("t{t}g{g}");
                        s.save_chart(
                            "metrics",
                            "race",
                            "p",
                            &id.to_string(),
                            g * 4 + t,
                            &p(&[("data0", &v)]),
                        )
                        .unwrap();
                    }
                }
            });
        }
    });
    let charts = a.load("metrics", "race", "p").unwrap();
    assert_eq!(charts.len(), 4);
    for (_, params) in charts {
        // generation 25*4+3 = 103 is thread 3's last
        assert_eq!(params, p(&[("data0", "t3g25")]));
    }
}

#[test]
fn sqlite_stores_conform() {
    conformance(|_| Box::new(SqliteStore::in_memory().unwrap()));
    let dir = crate::tempdir("store-handles");
    let a = SqliteStore::open(&dir.join("pages.sqlite")).unwrap();
    let b = SqliteStore::open(&dir.join("pages.sqlite")).unwrap();
    two_handles(&a, &b);
    racing_saves(&a, &b);
    // one node's key lives in its data directory
    assert_eq!(a.shared_session_key("k").unwrap(), None);
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use crate::postgres::Postgres;
    use rrd_server::store::postgres::PgStore;
    use rrd_server::store::StoreError;

    #[test]
    fn postgres_stores_conform() {
        let Some(pg) = Postgres::start("conform") else {
            return;
        };
        conformance(|name| Box::new(PgStore::open(&pg.database(name)).unwrap()));
        let url = pg.database("handles");
        let a = PgStore::open(&url).unwrap();
        let b = PgStore::open(&url).unwrap();
        two_handles(&a, &b);
        racing_saves(&a, &b);
        // the nodes share one session key: the first one kept
        let k = a.shared_session_key("first").unwrap();
        assert_eq!(k.as_deref(), Some("first"));
        assert_eq!(b.shared_session_key("second").unwrap(), k);
    }

    /// `rrd-server copy-pages` from a one-machine SQLite file into
    /// PostgreSQL: everything arrives once; a second copy is refused
    /// unless merged, and merging keeps the newer generation.
    #[test]
    fn pages_move_from_sqlite_to_postgres() {
        let Some(pg) = Postgres::start("copy") else {
            return;
        };
        let dir = crate::tempdir("copy-pages");
        let file = dir.join("pages.sqlite");
        {
            let s = SqliteStore::open(&file).unwrap();
            s.claim_user("jim", "jim@a.com").unwrap();
            s.claim_user("ann", "ann@a.com").unwrap();
            for (app, owner, page, id, g) in [
                ("metrics", "jim", "default", "1", 3),
                ("metrics", "jim", "default", "2", 1),
                ("metrics", "ann", "cpu", "7", 2),
                ("definitions", "jim", "lb", "1", 1),
            ] {
                let params = p(&[
                    ("data0", &format!("{owner}/{page}/{id}")),
                    ("generation", &g.to_string()),
                ]);
                s.save_chart(app, owner, page, id, g, &params).unwrap();
            }
        }
        let url = pg.database("copied");
        let run = |extra: &[&str]| {
            std::process::Command::new(env!("CARGO_BIN_EXE_rrd-server"))
                .args(["copy-pages", "--from"])
                .arg(&file)
                .args(["--to", &url])
                .args(extra)
                .output()
                .unwrap()
        };
        let o = run(&[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{err}");
        assert!(
            err.contains("2 user(s), 3 page(s), 4 chart(s) copied"),
            "{err}"
        );
        let (a, b) = (
            SqliteStore::open(&file).unwrap(),
            PgStore::open(&url).unwrap(),
        );
        assert_eq!(a.users().unwrap(), b.users().unwrap());
        for app in ["metrics", "definitions"] {
            assert_eq!(a.owners(app).unwrap(), b.owners(app).unwrap());
            for owner in a.owners(app).unwrap() {
                for page in a.pages(app, &owner).unwrap() {
                    assert_eq!(
                        a.load(app, &owner, &page).unwrap(),
                        b.load(app, &owner, &page).unwrap()
                    );
                }
            }
        }
        // again: refused, nothing changed
        let o = run(&[]);
        assert!(!o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains("--merge"));
        // a newer chart in PostgreSQL survives a merge; an older one is replaced
        let newer = p(&[("data0", "newer"), ("generation", "9")]);
        b.save_chart("metrics", "jim", "default", "1", 9, &newer)
            .unwrap();
        pg.sql(
            "copied",
            "UPDATE charts SET generation = 0, params = '{}' WHERE imgid = '7'",
        );
        let o = run(&["--merge"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(b.load("metrics", "jim", "default").unwrap()[0].1, newer);
        assert_eq!(
            b.load("metrics", "ann", "cpu").unwrap()[0].1,
            a.load("metrics", "ann", "cpu").unwrap()[0].1
        );
    }

    #[test]
    fn postgres_migrations_and_failures() {
        let Some(pg) = Postgres::start("migrate") else {
            return;
        };
        let url = pg.database("m");
        // nodes starting together migrate once
        std::thread::scope(|sc| {
            for _ in 0..4 {
                sc.spawn(|| PgStore::open(&url).unwrap());
            }
        });
        let known = rrd_server::store::postgres::MIGRATIONS.len();
        assert_eq!(
            pg.sql("m", "SELECT version FROM rrd_server_schema").trim(),
            known.to_string()
        );
        {
            let s = PgStore::open(&url).unwrap();
            s.save_chart("metrics", "jim", "p", "1", 1, &p(&[("a", "b")]))
                .unwrap();
        }
        // reopened: the pages are there
        let s = PgStore::open(&url).unwrap();
        assert_eq!(s.load("metrics", "jim", "p").unwrap().len(), 1);
        drop(s);
        pg.sql("m", "UPDATE rrd_server_schema SET version = 99");
        match PgStore::open(&url) {
            Err(StoreError::TooNew { found: 99, .. }) => {}
            other => panic!("a newer schema must be refused: {other:?}"),
        }
        // no database there: an error naming it, not a hang
        let e = PgStore::open(&pg.url("missing")).unwrap_err().to_string();
        assert!(e.contains("missing"), "{e}");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = PgStore::open(&format!("postgres://postgres@127.0.0.1:{port}/x"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("connecting to postgres://postgres@127.0.0.1"),
            "{e}"
        );
        // a database restarted under a running store: the next call reconnects
        let s = PgStore::open(&pg.database("restart")).unwrap();
        s.save_chart("metrics", "jim", "p", "1", 1, &p(&[]))
            .unwrap();
        pg.sql("restart", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'restart' AND pid <> pg_backend_pid()");
        let mut ok = false;
        for _ in 0..3 {
            // the first call may meet the dead connection
            if s.pages("metrics", "jim").is_ok_and(|v| v == ["p"]) {
                ok = true;
                break;
            }
        }
        assert!(ok, "the store did not reconnect");
    }
}
