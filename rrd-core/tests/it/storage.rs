//! One suite run against every storage backend: pread/pwrite files,
//! memory-mapped files, and memory.

use std::path::{Path, PathBuf};

#[cfg(feature = "mmap")]
use rrd_core::MmapStorage;
use rrd_core::{CreateSpec, Error, Rrd};
use rrd_core::{FileStorage, MemStorage, OpenMode, Storage};

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rrd-core-it-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn make_file(dir: &Path) -> PathBuf {
    let spec = CreateSpec::parse(
        1_000_000_000,
        300,
        &[
            "DS:a:GAUGE:600:U:U",
            "DS:b:COUNTER:600:0:U",
            "RRA:AVERAGE:0.5:1:10",
            "RRA:MAX:0.5:3:5",
        ],
    )
    .unwrap();
    let path = dir.join("s.rrd");
    Rrd::create(&path, &spec, &Default::default()).unwrap();
    path
}

/// The checks every backend must pass, given storage over a fresh file.
fn suite<S: Storage>(mut s: S, writable: bool) {
    let len = s.len();
    // header 144 + 232 D + 128 R + 80 D R = 1184, data 8 * 2 * 15 = 240
    assert_eq!(len, 1424);
    let mut magic = [0u8; 4];
    s.read_at(0, &mut magic).unwrap();
    assert_eq!(&magic, b"RRD\0");
    // reads past the end fail without panicking
    let mut buf = [0u8; 16];
    assert!(s.read_at(len - 8, &mut buf).is_err());
    assert!(s.read_at(u64::MAX - 4, &mut buf).is_err());
    // writes land, or fail on read-only storage
    let last = len - 8;
    let r = s.write_at(last, &1.5f64.to_le_bytes());
    assert_eq!(r.is_ok(), writable);
    if writable {
        let mut b = [0u8; 8];
        s.read_at(last, &mut b).unwrap();
        assert_eq!(f64::from_le_bytes(b), 1.5);
        s.sync().unwrap();
        assert!(s.write_at(len, &[0]).is_err());
    }
    // the header decodes through the storage
    let rrd = Rrd::from_storage(s).unwrap();
    assert_eq!(rrd.header().ds.len(), 2);
    assert_eq!(rrd.rows(1).unwrap().count(), 5);
}

#[test]
fn pread_backend() {
    let dir = temp_dir("pread");
    let path = make_file(&dir);
    suite(FileStorage::open(&path, OpenMode::ReadOnly).unwrap(), false);
    suite(FileStorage::open(&path, OpenMode::ReadWrite).unwrap(), true);
    std::fs::remove_dir_all(dir).unwrap();
}

#[cfg(feature = "mmap")]
#[test]
fn mmap_backend() {
    let dir = temp_dir("mmap");
    let path = make_file(&dir);
    // SAFETY: the file is this test's own; nothing else truncates it
    suite(
        unsafe { MmapStorage::open(&path, OpenMode::ReadOnly) }.unwrap(),
        false,
    );
    // SAFETY: as above
    suite(
        unsafe { MmapStorage::open(&path, OpenMode::ReadWrite) }.unwrap(),
        true,
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn memory_backend() {
    let dir = temp_dir("mem");
    let path = make_file(&dir);
    let bytes = std::fs::read(&path).unwrap();
    suite(MemStorage::new(bytes), true);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn missing_file_and_directory_fail_cleanly() {
    let dir = temp_dir("missing");
    let e = Rrd::open(dir.join("nope.rrd"), OpenMode::ReadOnly).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    let e = Rrd::open(&dir, OpenMode::ReadOnly).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e:?}");
    #[cfg(feature = "mmap")]
    {
        // SAFETY: a directory, refused before anything is mapped
        let e = unsafe { Rrd::open_mmap(&dir, OpenMode::ReadOnly) }.unwrap_err();
        assert!(matches!(e, Error::Io { .. }), "{e:?}");
    }
    // a directory and a device are refused as what they are, by both backends
    for p in [dir.as_path(), Path::new("/dev/null")] {
        let e = FileStorage::open(p, OpenMode::ReadOnly).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{p:?}: {e}");
        #[cfg(feature = "mmap")]
        {
            // SAFETY: refused before anything is mapped
            let e = unsafe { MmapStorage::open(p, OpenMode::ReadOnly) }.unwrap_err();
            assert!(e.to_string().contains("not a regular file"), "{p:?}: {e}");
        }
    }
    std::fs::write(dir.join("empty.rrd"), b"").unwrap();
    let e = Rrd::open(dir.join("empty.rrd"), OpenMode::ReadOnly).unwrap_err();
    assert!(
        matches!(e, Error::HeaderTruncated { actual: 0, .. }),
        "{e:?}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn handles_can_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Rrd<FileStorage>>();
    #[cfg(feature = "mmap")]
    send_sync::<Rrd<MmapStorage>>();
    send_sync::<Rrd<MemStorage>>();
    // a reader shared by threads, a writer moved to one
    let dir = temp_dir("threads");
    let path = make_file(&dir);
    let reader = Rrd::open(&path, OpenMode::ReadOnly).unwrap();
    let shared = &reader;
    let counts: Vec<usize> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|rra| s.spawn(move || shared.rows(rra).unwrap().count()))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(counts, [10, 5]);
    drop(reader);
    let mut writer = Rrd::open(&path, OpenMode::ReadWrite).unwrap();
    let t = std::thread::spawn(move || {
        use rrd_core::{UpdateTime, Value};
        let v = [Value::Num(1.0), Value::Unknown];
        let batch = [
            (UpdateTime::from_secs(1_000_000_300), &v[..]),
            (UpdateTime::from_secs(1_000_000_600), &v[..]),
        ];
        writer.update_batch(&batch).unwrap();
        writer.close().unwrap();
    });
    t.join().unwrap();
    let r = Rrd::open(&path, OpenMode::ReadOnly).unwrap();
    assert_eq!(r.header().last_up, 1_000_000_600);
    std::fs::remove_dir_all(dir).unwrap();
}

/// A fetch longer than one read buffer (64 KiB), across the ring's wrap,
/// with rows still waiting in the handle, then committed and read again
/// by another handle: every row is the value its update stored. And the
/// same over a small ring, which fetch reads whole and turns round.
#[test]
fn long_fetches_read_every_row_once() {
    // two sources: 320,000 bytes, five buffers
    whole_archive_fetch("longfetch", 20_000, 30_000);
    // 6,000 values: one read of the whole ring
    whole_archive_fetch("ringfetch", 3_000, 4_500);
}

/// `n` updates of an archive of `rows` one-second rows, and fetches of
/// the whole archive with 50 rows before it.
fn whole_archive_fetch(tag: &str, rows: u64, n: u64) {
    use rrd_core::{ConsolidationFn, FetchRequest, UpdateTime, Value};
    let dir = temp_dir(tag);
    let path = dir.join("long.rrd");
    let arg = format!("RRA:AVERAGE:0.5:1:{rows}");
    let spec = CreateSpec::parse(
        1_000_000_000,
        1,
        &["DS:a:GAUGE:10:U:U", "DS:b:GAUGE:10:U:U", &arg],
    )
    .unwrap();
    Rrd::create(&path, &spec, &Default::default()).unwrap();
    let value = |i: u64, k: u64| (i * 7 + k * 1_000_003) as f64;
    let mut rrd = Rrd::open(&path, OpenMode::ReadWrite).unwrap();
    for i in 1..=n {
        let v = [Value::Num(value(i, 0)), Value::Num(value(i, 1))];
        rrd.update(UpdateTime::from_secs(1_000_000_000 + i as i64), &v)
            .unwrap();
    }
    let last = 1_000_000_000 + n as i64;
    let req = FetchRequest {
        cf: ConsolidationFn::Average,
        start: last - rows as i64 - 50,
        end: last,
        resolution: 1,
    };
    let check = |r: &rrd_core::FetchResult| {
        assert_eq!(r.rows, rows as usize + 51);
        let mut known = 0;
        for (k, row) in r.values.chunks(2).enumerate() {
            // row k ends at start + (k + 1): update i = that - 1e9
            let i = (r.start + k as i64 + 1 - 1_000_000_000) as u64;
            if i + rows <= n || i > n {
                assert!(
                    row.iter().all(|v| v.is_nan()),
                    "row {k} (update {i}): {row:?}"
                );
            } else {
                assert_eq!(row, [value(i, 0), value(i, 1)], "row {k} (update {i})");
                known += 1;
            }
        }
        assert_eq!(known, rows);
    };
    // rows waiting in the handle (the last commit was at 64 KiB)
    check(&rrd.fetch(&req).unwrap());
    rrd.close().unwrap();
    let other = Rrd::open(&path, OpenMode::ReadOnly).unwrap();
    check(&other.fetch(&req).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}
