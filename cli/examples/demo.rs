//! A short demonstration of the `rrd` command line on a file it creates:
//! `cargo run --release -p rrd-cli --example demo`.

use std::io::Write;

fn rrd(args: &[&str]) -> Result<(), String> {
    println!("$ rrd {}", args.join(" "));
    let argv: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    let r = rrd_cli::run(&argv, &mut out);
    std::io::stdout()
        .write_all(&out)
        .map_err(|e| e.to_string())?;
    if let Err(e) = &r {
        println!("ERROR: {e}");
    }
    println!();
    r
}

fn main() -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("rrd-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let file = dir.join("demo.rrd");
    let xml = dir.join("demo.xml");
    let copy = dir.join("copy.rrd");
    let (file, xml, copy) = (
        file.to_str().ok_or("non-UTF-8 temp dir")?,
        xml.to_str().ok_or("non-UTF-8 temp dir")?,
        copy.to_str().ok_or("non-UTF-8 temp dir")?,
    );
    rrd(&[
        "create",
        file,
        "--start",
        "20240101",
        "--step",
        "5m",
        "DS:temp:GAUGE:10m:-40:60",
        "DS:requests:COUNTER:10m:0:U",
        "RRA:AVERAGE:0.5:1:6",
        "RRA:MAX:0.5:1h:2",
    ])?;
    rrd(&[
        "update",
        file,
        "1704067500:21.5:1000",
        "1704067800:22:1600",
        "1704068100:22.5:2500",
    ])?;
    rrd(&["updatev", file, "1704068400:23:2800"])?;
    rrd(&[
        "fetch",
        file,
        "AVERAGE",
        "--start",
        "1704067200",
        "--end",
        "1704068400",
    ])?;
    rrd(&[
        "xport",
        "--start",
        "1704067200",
        "--end",
        "1704068400",
        &format!("DEF:t={file}:temp:AVERAGE"),
        "CDEF:f=t,9,*,5,/,32,+",
        "XPORT:f:fahrenheit",
    ])?;
    let png = dir.join("demo.png");
    let png = png.to_str().ok_or("non-UTF-8 temp dir")?;
    rrd(&[
        "graphv",
        png,
        "--start",
        "1704066000",
        "--end",
        "1704069000",
        "--title",
        "Demo",
        &format!("DEF:t={file}:temp:AVERAGE"),
        "VDEF:m=t,MAXIMUM",
        "AREA:t#ffcc0080:temperature",
        "LINE2:t#cc3300",
        "GPRINT:m:max %4.1lf",
        "PRINT:m:%.2lf",
    ])?;
    rrd(&["info", file])?;
    rrd(&["first", file])?;
    rrd(&["first", "--rraindex", "1", file])?;
    rrd(&["last", file])?;
    rrd(&["lastupdate", file])?;
    rrd(&["dump", file, xml])?;
    rrd(&["restore", xml, copy])?;
    rrd(&["dump", copy])?;
    // errors look like rrdtool's
    let _ = rrd(&[
        "create",
        file,
        "--no-overwrite",
        "DS:x:GAUGE:600:U:U",
        "RRA:LAST:0.5:1:1",
    ]);
    std::fs::remove_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(())
}
