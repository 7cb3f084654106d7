//! Golden outputs recorded once from C rrdtool 1.7.2 (`tests/data/golden`,
//! made by its `make.sh`; see its README): `rrd` replays the transcript on
//! copies of the fixtures and must print exactly what rrdtool printed.
//! Needs no rrdtool.

use crate::support::{golden_dir, read_transcript, replay_transcript, Case, Step};

#[test]
fn transcript_replays_byte_for_byte() {
    let r = replay_transcript(&golden_dir(), "golden", "golden");
    let ran = r.ran;
    assert!(ran > 150, "the transcript holds only {ran} cases");
    r.assert_agreed("golden cases");
}

#[test]
fn transcript_covers_every_fixture_and_command() {
    let steps = read_transcript(&golden_dir());
    let cases: Vec<&Case> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Run(c) => Some(c),
            Step::Mkdir(_) => None,
        })
        .collect();
    for e in std::fs::read_dir(golden_dir().join("fixtures")).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(
            cases.iter().any(|c| c.args.contains(&name)),
            "no case reads fixture {name}"
        );
    }
    for cmd in [
        "create",
        "info",
        "dump",
        "restore",
        "first",
        "last",
        "lastupdate",
    ] {
        let ok = cases.iter().any(|c| c.args[0] == cmd && c.want.status == 0);
        let err = cases.iter().any(|c| c.args[0] == cmd && c.want.status == 1);
        assert!(ok && err, "{cmd}: want both a success and an error case");
    }
}
