//! Files written by C rrdtool on other architectures (tests/data/foreign,
//! see its README): every layout opens, and the native ones dump exactly as
//! rrdtool 1.7.2 dumps them.

use std::path::PathBuf;

use rrd_core::cdp_slot;
use rrd_core::DumpHeader;
use rrd_core::{DsKind, OpenMode, Rrd};
use rrd_core::{Endian, Layout};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/foreign")
        .join(name)
}

const FILES: [&str; 8] = [
    "0001b328.rrd",
    "0001b648.rrd",
    "0001l324.rrd",
    "0001l648.rrd",
    "0003b328.rrd",
    "0003l324.rrd",
    "0003l328.rrd",
    "0003l648.rrd",
];

/// The layout the file name announces: `VVVV` + `b|l` + `32|64` + `4|8`.
fn expected_layout(name: &str) -> (u8, Layout) {
    let version = name[..4].parse().unwrap();
    let endian = if &name[4..5] == "b" {
        Endian::Big
    } else {
        Endian::Little
    };
    let long_size = if &name[5..7] == "64" { 8 } else { 4 };
    let double_align = name[7..8].parse().unwrap();
    (
        version,
        Layout {
            endian,
            long_size,
            double_align,
        },
    )
}

fn close(a: f64, b: f64) -> bool {
    ((a - b) / b).abs() < 1e-6
}

#[test]
fn every_layout_opens_with_the_documented_facts() {
    for name in FILES {
        let rrd =
            Rrd::open(data(name), OpenMode::ReadOnly).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (version, layout) = expected_layout(name);
        assert_eq!(rrd.layout(), layout, "{name}");
        let h = rrd.header();
        assert_eq!(h.version, version, "{name}");
        assert_eq!(h.step, 300, "{name}");
        assert_eq!(h.last_up, 920808900, "{name}");
        let names: Vec<_> = h.ds.iter().map(|d| (d.name.as_str(), d.kind)).collect();
        assert_eq!(
            names,
            [("speed", DsKind::Counter), ("weight", DsKind::Gauge)],
            "{name}"
        );
        let rows: Vec<_> = h.rra.iter().map(|r| (r.rows, r.pdp_cnt)).collect();
        assert_eq!(rows, [(24, 1), (10, 6)], "{name}");
        assert_eq!(h.pdp[0].last_ds, "12405", "{name}");
        assert!(["3", "UNKN"].contains(&h.pdp[1].last_ds.as_str()), "{name}");
        assert!(
            close(h.cdp(1, 0).val(cdp_slot::VAL), 1.43165576e7),
            "{name}: {}",
            h.cdp(1, 0).val(cdp_slot::VAL)
        );
        if version == 3 {
            assert!(close(h.cdp(0, 0).val(cdp_slot::PRIMARY_VAL), 1.43161853e7));
        }
        // the row at cur_row is the newest: the last one in time order
        let rows: Vec<_> = rrd.rows(0).unwrap().map(Result::unwrap).collect();
        let (t, newest) = rows.last().unwrap();
        assert_eq!(*t, 920808900, "{name}");
        assert!(close(newest[0], 1.43161853e7), "{name}: {newest:?}");
        assert_eq!(newest[1], 3.0, "{name}");
        let at = rows.iter().find(|(t, _)| *t == 920802300).unwrap();
        assert!(close(at.1[0], 0.02) && at.1[1] == 1.0, "{name}: {at:?}");
    }
}

#[test]
fn native_files_dump_like_rrdtool() {
    for name in ["0001l648", "0003l648"] {
        let rrd = Rrd::open(data(&format!("{name}.rrd")), OpenMode::ReadOnly).unwrap();
        let mut out = Vec::new();
        rrd.dump(&mut out, DumpHeader::Dtd, &jiff::tz::TimeZone::UTC)
            .unwrap();
        let expected = std::fs::read_to_string(data(&format!("{name}.rrdtool-dump.xml"))).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), expected, "{name}");
    }
}

#[test]
fn foreign_files_dump_the_same_as_their_native_twin() {
    // Same version, same content apart from rows: the dumps agree on every
    // line outside <database>, whatever the architecture.
    fn non_row_lines(name: &str) -> Vec<String> {
        let rrd = Rrd::open(data(name), OpenMode::ReadOnly).unwrap();
        let mut out = Vec::new();
        rrd.dump(&mut out, DumpHeader::Dtd, &jiff::tz::TimeZone::UTC)
            .unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .filter(|l| !l.contains("<row>") && !l.contains("value>"))
            .map(str::to_string)
            .collect()
    }
    for v in ["0001", "0003"] {
        let native = non_row_lines(&format!("{v}l648.rrd"));
        for name in FILES.iter().filter(|f| f.starts_with(v)) {
            let lines = non_row_lines(name);
            // last_ds of weight is "3" in some files, "UNKN" in others
            let differ: Vec<_> = lines
                .iter()
                .zip(&native)
                .filter(|(a, b)| a != b && !a.contains("<last_ds>"))
                .collect();
            assert!(differ.is_empty(), "{name}: {differ:?}");
            assert_eq!(lines.len(), native.len(), "{name}");
        }
    }
}
