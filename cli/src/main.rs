//! `rrd`: an rrdtool-compatible command line on rrd-core.
//!
//! Same commands, arguments, output and exit status as rrdtool 1.7.2:
//! results on stdout, `ERROR: <message>` on stderr and exit status 1.
#![forbid(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let code = rrd_cli::run(&argv, &mut out);
    let flushed = out.flush();
    match code {
        Ok(()) => match flushed {
            Ok(()) => ExitCode::SUCCESS,
            // a closed pipe is not worth an error message
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ERROR: writing output: {e}");
                ExitCode::from(1)
            }
        },
        Err(msg) => {
            eprintln!("ERROR: {msg}");
            ExitCode::from(1)
        }
    }
}
