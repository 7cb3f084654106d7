//! Body of the `cli_args` cargo-fuzz target in `fuzz/`: any bytes as a
//! command line, for every command. Kept here so that the CLI's tests replay
//! the committed seeds on stable Rust.

use rrd_core::argbytes;

/// The commands the first byte picks from: every command of `rrd` and one
/// that does not exist.
pub fn commands() -> Vec<&'static str> {
    let mut v = crate::commands::KNOWN_COMMANDS.to_vec();
    v.push("grpah");
    v
}

/// The command line a fuzz input stands for: the first byte picks the
/// command, the rest is up to 32 arguments separated by NUL bytes, any
/// bytes. `None` where an argument could reach outside the working directory
/// (it holds a `/`) or make `restore` read standard input (`-`): the target
/// runs in a scratch directory and must touch nothing else.
pub fn command_line(data: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (&pick, rest) = data.split_first()?;
    let commands = commands();
    let cmd = commands[usize::from(pick) % commands.len()];
    let mut args = vec![cmd.as_bytes().to_vec()];
    if !rest.is_empty() {
        args.extend(rest.split(|&b| b == 0).take(32).map(<[u8]>::to_vec));
    }
    let escapes = args.iter().any(|a| a.contains(&b'/'));
    let stdin = cmd == "restore" && args.iter().any(|a| a == b"-");
    (!escapes && !stdin).then_some(args)
}

/// Runs the command line of `data` (see [`command_line`]) through
/// [`crate::run`], its output discarded as it is written (a fetch of ten
/// million rows prints half a gigabyte, as rrdtool would; kept in memory it
/// passed the fuzzer's memory limit). Must never panic or hang; files it
/// writes land in the working directory.
pub fn cli_args(data: &[u8]) {
    let Some(args) = command_line(data) else {
        return;
    };
    // no argument may reach a daemon or a name server
    rrd_core::rrdcached::forbid_connections();
    let argv: Vec<String> = args.iter().map(|a| argbytes::encode_bytes(a)).collect();
    let _ = crate::run(&argv, &mut std::io::sink());
}
