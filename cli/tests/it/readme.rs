//! The README's examples, run in order by bash with `rrd` on PATH, as a
//! reader would: every command succeeds and the graph holds data.

use std::path::Path;
use std::process::Command;

use crate::support::{TempDir, RRD};

#[test]
fn readme_examples_run_and_draw_a_graph_with_data() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README.md");
    let examples = readme
        .split("## Examples")
        .nth(1)
        .expect("an Examples section");
    let block = examples
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a sh block in Examples");
    let dir = TempDir::new("readme");
    let bin = Path::new(RRD).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("set -e\n{block}"))
        .current_dir(dir.path())
        .env("PATH", path)
        .env("TZ", "Pacific/Kiritimati")
        .output()
        .expect("bash");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the README's examples failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("481x168\n"), "no size line: {text}");
    assert!(text.contains("OK u:"), "no pipe session: {text}");
    assert!(
        text.contains("rrd resize filename rranum GROW|SHRINK rows"),
        "{text}"
    );
    let png = std::fs::read(dir.path().join("temps.png")).expect("temps.png");
    assert_eq!(&png[1..4], b"PNG");
    // the day the graph shows holds data: every 5-minute row of 1 January
    let fetched = Command::new(RRD)
        .args([
            "fetch",
            "temps.rrd",
            "AVERAGE",
            "-s",
            "1704067200",
            "-e",
            "1704153600",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let rows = String::from_utf8_lossy(&fetched.stdout);
    let known = rows
        .lines()
        .filter(|l| l.contains(": "))
        .filter(|l| {
            l.split_whitespace()
                .skip(1)
                .take(2)
                .all(|v| !v.contains("nan"))
        })
        .count();
    assert!(
        known >= 280,
        "{known} known rows of the graphed day:\n{rows}"
    );
    for f in ["copy.rrd", "temps-long.rrd", "temps2.rrd", "temps.xml"] {
        assert!(dir.path().join(f).exists(), "{f} missing");
    }
}
