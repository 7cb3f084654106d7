//! `rrd`: an rrdtool-compatible command line on rrd-core.
//!
//! Same commands, arguments, output and exit status as rrdtool 1.7.2:
//! results on stdout, `ERROR: <message>` on stderr and exit status 1.
#![forbid(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;

/// Stdout that stops writing, silently, once the reader has gone (a closed
/// pipe, as with `rrd dump f.rrd | head`), where rrdtool would die quietly
/// of SIGPIPE.
struct PipeSafe<W: Write> {
    inner: W,
    closed: bool,
}

impl<W: Write> Write for PipeSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            r => r,
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            r => r,
        }
    }
}

fn main() -> ExitCode {
    // arguments are bytes, as rrdtool takes them; see rrd_core::argbytes
    let argv: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| rrd_core::argbytes::encode(&a))
        .collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(PipeSafe {
        inner: stdout.lock(),
        closed: false,
    });
    // `rrd -` and `rrd - DIR`: commands on standard input
    if argv.first().is_some_and(|a| a == "-") && argv.len() <= 2 {
        let mut input = std::io::stdin().lock();
        let code = rrd_cli::serve(argv.get(1).map(String::as_str), &mut input, &mut out);
        let _ = out.flush();
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let code = rrd_cli::run(&argv, &mut out);
    let flushed = out.flush();
    match code {
        Ok(()) => match flushed {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ERROR: writing output: {e}");
                ExitCode::from(1)
            }
        },
        Err(msg) => {
            let mut line = b"ERROR: ".to_vec();
            line.extend_from_slice(&rrd_core::argbytes::decode(&msg));
            line.push(b'\n');
            let _ = std::io::stderr().write_all(&line);
            ExitCode::from(1)
        }
    }
}
