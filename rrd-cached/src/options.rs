//! rrdcached 1.7.2's command line.

use rrd_clib::getopt::{self, opt, Arg, Opt};

use crate::daemon::Config;
use crate::protocol;
use crate::server::ListenSpec;

/// Everything the command line sets.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The daemon's settings.
    pub cfg: Config,
    /// `-l`/`-L` sockets, in order (the default socket if none).
    pub listen: Vec<ListenSpec>,
    /// `-j`, resolved.
    pub journal_dir: Option<std::path::PathBuf>,
    /// `-p`.
    pub pid_file: Option<std::path::PathBuf>,
    /// `-g`.
    pub foreground: bool,
    /// `-o`.
    pub log_file: Option<std::path::PathBuf>,
    /// `-V`, as a syslog level.
    pub log_level: u8,
}

/// What parsing asks for instead of running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Exit with this status (messages already printed).
    Exit(i32),
}

const SPEC: &[Opt] = &[
    opt("alloc", Some('a'), Arg::Required),
    opt("base-only", Some('B'), Arg::None),
    opt("base-dir", Some('b'), Arg::Required),
    opt("flush-at-shutdown", Some('F'), Arg::None),
    opt("flush-interval", Some('f'), Arg::Required),
    opt("foreground", Some('g'), Arg::None),
    opt("group", Some('G'), Arg::Required),
    opt("help", Some('h'), Arg::None),
    opt("journal", Some('j'), Arg::Required),
    opt("listen-all", Some('L'), Arg::None),
    opt("listen", Some('l'), Arg::Required),
    opt("mode", Some('m'), Arg::Required),
    opt("no-overwrite", Some('O'), Arg::None),
    opt("log-file", Some('o'), Arg::Required),
    opt("permissions", Some('P'), Arg::Required),
    opt("pid-file", Some('p'), Arg::Required),
    opt("recursive-mkdir", Some('R'), Arg::None),
    opt("socket-group", Some('s'), Arg::Required),
    opt("threads", Some('t'), Arg::Required),
    opt("user", Some('U'), Arg::Required),
    opt("log-level", Some('V'), Arg::Required),
    opt("write-interval", Some('w'), Arg::Required),
    opt("write-delay", Some('z'), Arg::Required),
    opt("max-pending", None, Arg::Required),
];

/// The usage text (`-h`).
pub fn usage() -> String {
    format!(
        "rrd-cached {} (rrdcached 1.7.2's protocol and options)\n\
         \n\
         Usage: rrd-cached [options]\n\
         \n\
         Valid options are:\n\
         \x20 -a <size>     Memory allocation chunk size (accepted, not needed).\n\
         \x20 -B            Restrict file access to paths within -b <dir>\n\
         \x20 -b <dir>      Base directory to change to.\n\
         \x20 -F            Always flush all updates at shutdown\n\
         \x20 -f <seconds>  Interval in which to flush dead data.\n\
         \x20 -g            Do not fork and run in the foreground.\n\
         \x20 -j <dir>      Directory in which to create the journal files.\n\
         \x20 -L            Open sockets on all INET interfaces using default port.\n\
         \x20 -l <address>  Socket address to listen to.\n\
         \x20               Default: unix:/tmp/rrdcached.sock\n\
         \x20 -m <mode>     File permissions (octal) of all following UNIX sockets\n\
         \x20 -O            Do not allow CREATE commands to overwrite existing\n\
         \x20               files, even if asked to.\n\
         \x20 -o <file>     Log to given file instead of standard error.\n\
         \x20 -P <perms>    Sets the permissions to assign to all following sockets\n\
         \x20 -p <file>     Location of the PID-file.\n\
         \x20 -R            Allow recursive directory creation within -b <dir>\n\
         \x20 -t <threads>  Number of write threads.\n\
         \x20 -V <LOGLEVEL> Max log level, LOG_DEBUG being the maximum and LOG_EMERG minimum\n\
         \x20 -w <seconds>  Interval in which to write data.\n\
         \x20 -z <delay>    Delay writes up to <delay> seconds to spread load\n\
         \x20 --max-pending <bytes>  Memory for pending updates before clients wait\n\
         \x20               (default 268435456)\n\
         \n\
         -s, -U and -G (socket group, user and group to run as) are not supported:\n\
         start rrd-cached as the user it should run as.\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// Parses rrdcached's options; messages go to standard error as
/// rrdcached prints them.
pub fn parse(argv: &[String]) -> Result<Options, Stop> {
    let p = match getopt::parse(argv, SPEC) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            print!("{}", usage());
            return Err(Stop::Exit(0));
        }
    };
    let mut o = Options {
        log_level: 3,
        ..Options::default()
    };
    let mut status = 0;
    let mut perms: u32 = 0;
    let mut mode: Option<u32> = None;
    let mut journal_given = false;
    for (name, value) in &p.opts {
        let v = value.clone().unwrap_or_default();
        match *name {
            "alloc" if rrd_clib::strtol::atoi(&v) <= 0 => {
                eprintln!("Invalid allocation size: {v}");
                return Err(Stop::Exit(10));
            }
            "base-only" => o.cfg.base_only = true,
            "base-dir" => {
                if let Err(e) = std::fs::create_dir_all(&v) {
                    eprintln!(
                        "Failed to create base directory '{v}': {}",
                        rrd_clib::strerror(&e)
                    );
                    return Err(Stop::Exit(3));
                }
                let real = match std::fs::canonicalize(&v) {
                    Ok(r) => r,
                    Err(e) => {
                        eprintln!(
                            "Failed to canonicalize the base directory '{v}': {}",
                            rrd_clib::strerror(&e)
                        );
                        return Err(Stop::Exit(5));
                    }
                };
                let trimmed = v.trim_end_matches('/');
                if trimmed.is_empty() {
                    eprintln!("Invalid base directory: {v}");
                    return Err(Stop::Exit(4));
                }
                let real = real.to_string_lossy().trim_end_matches('/').to_string();
                if trimmed != real {
                    eprintln!(
                        "Base directory (-b) resolved via file system links!\n\
                         Please consult rrdcached '-b' documentation!\n\
                         Consider specifying the real directory ({real})"
                    );
                    return Err(Stop::Exit(5));
                }
                o.cfg.base_dir = Some(trimmed.as_bytes().to_vec());
            }
            "flush-at-shutdown" => o.cfg.flush_at_shutdown = true,
            "flush-interval" | "write-interval" | "write-delay" => {
                match rrd_core::scaled_duration(&v, 1) {
                    Ok(t) => {
                        let t = t.min(i64::MAX as u64 / 4) as i64;
                        match *name {
                            "flush-interval" => o.cfg.flush_interval = t,
                            "write-interval" => o.cfg.write_interval = t,
                            _ => o.cfg.write_jitter = t,
                        }
                    }
                    Err(m) => {
                        let (what, code) = match *name {
                            "flush-interval" => ("flush interval", 3),
                            "write-interval" => ("write interval", 2),
                            _ => ("write jitter", 2),
                        };
                        eprintln!("Invalid {what} {v}: {m}");
                        status = code;
                    }
                }
            }
            "foreground" => o.foreground = true,
            "group" | "user" | "socket-group" => {
                let letter = match *name {
                    "group" => 'G',
                    "user" => 'U',
                    _ => 's',
                };
                eprintln!(
                    "read_options: -{letter} is not supported by rrd-cached; \
                     start it as the user and group it should run as"
                );
                return Err(Stop::Exit(5));
            }
            "help" => {
                print!("{}", usage());
                return Err(Stop::Exit(1));
            }
            "journal" => {
                let real = match std::fs::canonicalize(&v) {
                    Ok(r) => r,
                    Err(e) => {
                        eprintln!(
                            "Unable to resolve journal path ({v},{})",
                            rrd_clib::strerror(&e)
                        );
                        return Err(Stop::Exit(6));
                    }
                };
                let writable = nix::unistd::access(
                    &real,
                    nix::unistd::AccessFlags::R_OK
                        | nix::unistd::AccessFlags::W_OK
                        | nix::unistd::AccessFlags::X_OK,
                );
                if let Err(e) = writable {
                    eprintln!(
                        "Must specify a writable directory with -j! ({})",
                        rrd_clib::strerror(&std::io::Error::from_raw_os_error(e as i32))
                    );
                    return Err(Stop::Exit(6));
                }
                o.journal_dir = Some(real);
                journal_given = true;
            }
            "listen-all" | "listen" => {
                let addr = if *name == "listen" { v } else { String::new() };
                o.listen.push(ListenSpec {
                    addr,
                    perms: if perms != 0 { perms } else { protocol::ALL },
                    mode,
                });
            }
            "mode" => {
                let r = rrd_clib::strtol::strtol(v.as_bytes(), 8);
                if r.end == 0 || r.end != v.len() || !(0..=0o7777).contains(&r.value) {
                    eprintln!("read_options: Invalid file mode \"{v}\".");
                    return Err(Stop::Exit(5));
                }
                mode = Some(r.value as u32);
            }
            "no-overwrite" => o.cfg.no_overwrite = true,
            "log-file" => match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&v)
            {
                Ok(_) => o.log_file = Some(v.into()),
                Err(e) => {
                    eprintln!("Failed to open log file '{v}': {}", rrd_clib::strerror(&e));
                    return Err(Stop::Exit(6));
                }
            },
            "permissions" => {
                perms = 0;
                for word in v.split([',', ' ']).filter(|w| !w.is_empty()) {
                    match protocol::find(word.as_bytes()) {
                        Some(i) => perms |= 1 << i,
                        None => {
                            eprintln!(
                                "read_options: Adding permission \"{word}\" to socket failed. \
                                 Most likely, this permission doesn't exist. Check your \
                                 command line."
                            );
                            status = 4;
                        }
                    }
                }
            }
            "pid-file" => o.pid_file = Some(v.into()),
            "recursive-mkdir" => o.cfg.recursive_mkdir = true,
            "threads" => {
                let t = rrd_clib::strtol::atoi(&v);
                if t < 1 {
                    eprintln!("Invalid thread count: -t {v}");
                    return Err(Stop::Exit(1));
                }
                o.cfg.threads = t as usize;
            }
            "log-level" => {
                let levels = [
                    "LOG_EMERG",
                    "LOG_ALERT",
                    "LOG_CRIT",
                    "LOG_ERR",
                    "LOG_WARNING",
                    "LOG_NOTICE",
                    "LOG_INFO",
                    "LOG_DEBUG",
                ];
                match levels.iter().position(|l| *l == v) {
                    Some(i) => o.log_level = i as u8,
                    None => {
                        eprintln!("Unrecognized log level '{v}'; falling back to default LOG_ERR.")
                    }
                }
            }
            "max-pending" => match v.parse::<usize>() {
                Ok(n) if n >= 4096 => o.cfg.max_pending = n,
                _ => {
                    eprintln!("Invalid --max-pending {v}: give at least 4096 bytes");
                    return Err(Stop::Exit(2));
                }
            },
            _ => {}
        }
    }
    if !p.args.is_empty() {
        eprintln!("rrd-cached: unexpected argument '{}'", p.args[0]);
        return Err(Stop::Exit(1));
    }
    if o.cfg.flush_interval < 2 * o.cfg.write_interval {
        eprintln!("WARNING: flush interval (-f) should be at least 2x write interval (-w) !");
    }
    if o.cfg.write_jitter > o.cfg.write_interval {
        eprintln!("WARNING: write delay (-z) should NOT be larger than write interval (-w) !");
    }
    if o.cfg.base_only && o.cfg.base_dir.is_none() {
        eprintln!(
            "WARNING: -B does not make sense without -b!\n  Consult the rrdcached documentation"
        );
    }
    if o.cfg.recursive_mkdir && !o.cfg.base_only {
        eprintln!(
            "WARNING: -R does not make sense without -B!\n  Consult the rrdcached documentation"
        );
    }
    if !journal_given {
        o.cfg.flush_at_shutdown = true;
    }
    if o.listen.is_empty() {
        o.listen.push(ListenSpec {
            addr: "unix:/tmp/rrdcached.sock".into(),
            perms: if perms != 0 { perms } else { protocol::ALL },
            mode,
        });
    }
    if status != 0 {
        return Err(Stop::Exit(status));
    }
    Ok(o)
}
