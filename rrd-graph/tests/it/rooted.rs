//! `Rooted` confines DEF files to one directory.

use std::path::PathBuf;

use rrd_core::ConsolidationFn;
use rrd_core::FetchRequest;
use rrd_graph::{Error, Rooted, Source};

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rrd-graph-rooted-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn make(path: &std::path::Path) {
    let spec = rrd_core::CreateSpec::parse(
        1_000_000_000,
        300,
        &["DS:a:GAUGE:600:U:U", "RRA:AVERAGE:0.5:1:10"],
    )
    .unwrap();
    rrd_core::Rrd::create(path, &spec, &Default::default()).unwrap();
}

fn request() -> FetchRequest {
    FetchRequest {
        cf: ConsolidationFn::Average,
        start: 1_000_000_000,
        end: 1_000_003_000,
        resolution: 300,
    }
}

/// `Ok` when `name` opens, else the error's message.
fn fetch(source: &mut Rooted, name: &str) -> Result<(), String> {
    match source.fetch(name, &request()) {
        Ok(_) => Ok(()),
        Err(Error::Open { path, source }) => {
            assert_eq!(path, name);
            Err(source.to_string())
        }
        Err(e) => panic!("{name}: {e:?}"),
    }
}

#[test]
fn names_that_leave_the_root_are_refused() {
    let top = temp("leave");
    let root = top.join("root");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    make(&top.join("secret.rrd"));
    make(&root.join("in.rrd"));
    make(&root.join("sub/deep.rrd"));
    std::os::unix::fs::symlink(top.join("secret.rrd"), root.join("out-abs.rrd")).unwrap();
    std::os::unix::fs::symlink("../secret.rrd", root.join("out-rel.rrd")).unwrap();
    std::os::unix::fs::symlink("sub/deep.rrd", root.join("inside.rrd")).unwrap();
    std::os::unix::fs::symlink(&top, root.join("up")).unwrap();
    let mut s = Rooted::new(&root).unwrap();

    // inside: plain names, subdirectories, `./`, links that stay inside
    for ok in [
        "in.rrd",
        "sub/deep.rrd",
        "./in.rrd",
        "sub/./deep.rrd",
        "inside.rrd",
    ] {
        assert_eq!(fetch(&mut s, ok), Ok(()), "{ok}");
    }
    // outside: absolute names, `..`, links out, links to directories out;
    // all refused as permission problems, none opened
    let secret = top.join("secret.rrd").display().to_string();
    for bad in [
        secret.as_str(),
        "../secret.rrd",
        "sub/../../secret.rrd",
        "sub/../in.rrd",
        "out-abs.rrd",
        "out-rel.rrd",
        "up/secret.rrd",
        "",
    ] {
        let e = fetch(&mut s, bad).unwrap_err();
        assert!(e.contains("ermission denied"), "{bad}: {e}");
    }
    // a missing file is just missing
    let e = fetch(&mut s, "nope.rrd").unwrap_err();
    assert!(e.contains("No such file"), "{e}");
    std::fs::remove_dir_all(&top).unwrap();
}

#[test]
fn the_root_must_be_a_directory() {
    let top = temp("notdir");
    make(&top.join("f.rrd"));
    assert!(Rooted::new(top.join("f.rrd")).is_err());
    assert!(Rooted::new(top.join("missing")).is_err());
    std::fs::remove_dir_all(&top).unwrap();
}
