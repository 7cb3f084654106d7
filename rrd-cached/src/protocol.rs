//! The wire: request lines split into fields as rrdcached splits them, and
//! the table of commands with their help texts.

/// Longest request line read (rrdcached's read buffer is twice
/// `RRD_CMD_MAX`); a longer one ends the connection.
pub const LINE_MAX: usize = 8192;
/// Longest status line or reply line written (rrdcached formats them into
/// `RRD_CMD_MAX` bytes).
pub const REPLY_MAX: usize = 4095;

/// The fields of a request line, as `buffer_get_field` takes them: split
/// at spaces (and NUL bytes), a backslash escaping the next byte; the end
/// of the line ends the last field, so a trailing space leaves one empty
/// field. A backslash at the very end makes the line malformed.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    line: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Fields<'a> {
    /// The fields of `line` (without its newline).
    pub fn new(line: &'a [u8]) -> Self {
        Fields {
            line,
            pos: 0,
            done: false,
        }
    }

    /// Whether any field is left (rrdcached's `buffer_size > 0`).
    pub fn has_more(&self) -> bool {
        !self.done
    }

    /// What is left of the line, unsplit.
    pub fn rest(&self) -> &'a [u8] {
        &self.line[self.pos.min(self.line.len())..]
    }

    /// The next field; `None` when none is left or it is malformed.
    pub fn next_field(&mut self) -> Option<Vec<u8>> {
        self.next_cow().map(std::borrow::Cow::into_owned)
    }

    /// The next field, borrowed from the line when it has no escapes.
    pub fn next_cow(&mut self) -> Option<std::borrow::Cow<'a, [u8]>> {
        if self.done {
            return None;
        }
        let line: &'a [u8] = self.line;
        let start = self.pos;
        // the common case: no backslash before the field's end
        let mut i = start;
        while let Some(&c) = line.get(i) {
            match c {
                b' ' | 0 => {
                    self.pos = i + 1;
                    return Some(std::borrow::Cow::Borrowed(&line[start..i]));
                }
                b'\\' => break,
                _ => i += 1,
            }
        }
        if i >= line.len() {
            self.pos = i;
            self.done = true;
            return Some(std::borrow::Cow::Borrowed(&line[start..]));
        }
        let mut field = line[start..i].to_vec();
        self.pos = i;
        // an escaped NUL ends the field's text, as it ends rrdcached's C
        // string (the rest of the field is read and dropped)
        let cut = |mut f: Vec<u8>| {
            if let Some(z) = f.iter().position(|&b| b == 0) {
                f.truncate(z);
            }
            std::borrow::Cow::Owned(f)
        };
        loop {
            match line.get(self.pos) {
                None => {
                    self.done = true;
                    return Some(cut(field));
                }
                Some(b' ') | Some(0) => {
                    self.pos += 1;
                    return Some(cut(field));
                }
                Some(b'\\') => {
                    // the byte after it, which must not be the line's end
                    match line.get(self.pos + 1) {
                        Some(&c) => {
                            field.push(c);
                            self.pos += 2;
                        }
                        None => {
                            self.done = true;
                            return None;
                        }
                    }
                }
                Some(&c) => {
                    field.push(c);
                    self.pos += 1;
                }
            }
        }
    }
}

/// A field with rrdcached's client escaping (spaces and backslashes), for
/// the journal.
pub fn escape(field: &[u8], out: &mut Vec<u8>) {
    for &b in field {
        if b == b' ' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
}

/// Where a command may appear.
pub mod context {
    /// On a connection, outside `BATCH`.
    pub const CLIENT: u8 = 1;
    /// Inside `BATCH`.
    pub const BATCH: u8 = 2;
    /// In a journal being replayed.
    pub const JOURNAL: u8 = 4;
    /// Anywhere.
    pub const ANY: u8 = 0x7f;
}

/// One command of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    /// Its name, upper case (matched without regard to case).
    pub name: &'static str,
    /// Where it may appear (a [`context`] mask).
    pub context: u8,
    /// Its usage line(s), `None` for the internal ones.
    pub syntax: Option<&'static str>,
    /// Its help text.
    pub help: Option<&'static str>,
}

/// Every command, in rrdcached's order: a command's index is its bit in a
/// socket's permissions, and `HELP` lists them in this order.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "UPDATE",
        context: context::ANY,
        syntax: Some("UPDATE <filename> <values> [<values> ...]\n"),
        help: Some(
            "Adds the given file to the internal cache if it is not yet known and\n\
             appends the given value(s) to the entry. See the rrdcached(1) manpage\n\
             for details.\n\
             \n\
             Each <values> has the following form:\n\
             \x20 <values> = <time>:<value>[:<value>[...]]\n\
             See the rrdupdate(1) manpage for details.\n",
        ),
    },
    Command {
        name: "WROTE",
        context: context::JOURNAL,
        syntax: None,
        help: None,
    },
    Command {
        name: "FLUSH",
        context: context::CLIENT | context::BATCH,
        syntax: Some("FLUSH <filename>\n"),
        help: Some(
            "Adds the given filename to the head of the update queue and returns\n\
             after it has been dequeued.\n",
        ),
    },
    Command {
        name: "FLUSHALL",
        context: context::CLIENT,
        syntax: Some("FLUSHALL\n"),
        help: Some("Triggers writing of all pending updates.  Returns immediately.\n"),
    },
    Command {
        name: "PENDING",
        context: context::CLIENT,
        syntax: Some("PENDING <filename>\n"),
        help: Some(
            "Shows any 'pending' updates for a file, in order.\n\
             The updates shown have not yet been written to the underlying RRD file.\n",
        ),
    },
    Command {
        name: "FORGET",
        context: context::ANY,
        syntax: Some("FORGET <filename>\n"),
        help: Some(
            "Removes the file completely from the cache.\n\
             Any pending updates for the file will be lost.\n",
        ),
    },
    Command {
        name: "QUEUE",
        context: context::CLIENT,
        syntax: Some("QUEUE\n"),
        help: Some(
            "Shows all files in the output queue.\n\
             The output is zero or more lines in the following format:\n\
             (where <num_vals> is the number of values to be written)\n\
             \n\
             <num_vals> <filename>\n",
        ),
    },
    Command {
        name: "STATS",
        context: context::CLIENT,
        syntax: Some("STATS\n"),
        help: Some(
            "Returns some performance counters, see the rrdcached(1) manpage for\n\
             a description of the values.\n",
        ),
    },
    Command {
        name: "HELP",
        context: context::CLIENT,
        syntax: Some("HELP [<command>]\n"),
        help: None,
    },
    Command {
        name: "PING",
        context: context::CLIENT,
        syntax: Some("PING\n"),
        help: Some("PING given, PONG returned\n"),
    },
    Command {
        name: "BATCH",
        context: context::CLIENT,
        syntax: Some("BATCH\n"),
        help: Some(
            "The 'BATCH' command permits the client to initiate a bulk load\n\
             \x20  of commands to rrdcached.\n\
             \n\
             Usage:\n\
             \n\
             \x20   client: BATCH\n\
             \x20   server: 0 Go ahead.  End with dot '.' on its own line.\n\
             \x20   client: command #1\n\
             \x20   client: command #2\n\
             \x20   client: ... and so on\n\
             \x20   client: .\n\
             \x20   server: 2 errors\n\
             \x20   server: 7 message for command #7\n\
             \x20   server: 9 message for command #9\n\
             \n\
             For more information, consult the rrdcached(1) documentation.\n",
        ),
    },
    Command {
        name: ".",
        context: context::BATCH,
        syntax: None,
        help: None,
    },
    Command {
        name: "FETCH",
        context: context::CLIENT,
        syntax: Some("FETCH <file> <CF> [<start> [<end>] [<column>...]]\n"),
        help: Some("The 'FETCH' can be used by the client to retrieve values from an RRD file.\n"),
    },
    Command {
        name: "FETCHBIN",
        context: context::CLIENT,
        syntax: Some("FETCHBIN <file> <CF> [<start> [<end>] [<column>...]]\n"),
        help: Some(
            "The 'FETCHBIN' can be used by the client to retrieve values from an RRD file.\n",
        ),
    },
    Command {
        name: "INFO",
        context: context::CLIENT,
        syntax: Some("INFO <filename>\n"),
        help: Some(
            "The INFO command retrieves information about a specified RRD file.\n\
             This is returned in standard rrdinfo format, a sequence of lines\n\
             with the format <keyname> = <value>\n\
             Note that this is the data as of the last update of the RRD file itself,\n\
             not the last time data was received via rrdcached, so there may be pending\n\
             updates in the queue.  If this bothers you, then first run a FLUSH.\n",
        ),
    },
    Command {
        name: "FIRST",
        context: context::CLIENT,
        syntax: Some("FIRST <filename> <rra index>\n"),
        help: Some(
            "The FIRST command retrieves the first data time for a specified RRA in\n\
             an RRD file.\n",
        ),
    },
    Command {
        name: "LAST",
        context: context::CLIENT,
        syntax: Some("LAST <filename>\n"),
        help: Some(
            "The LAST command retrieves the last update time for a specified RRD file.\n\
             Note that this is the time of the last update of the RRD file itself, not\n\
             the last time data was received via rrdcached, so there may be pending\n\
             updates in the queue.  If this bothers you, then first run a FLUSH.\n",
        ),
    },
    Command {
        name: "CREATE",
        context: context::CLIENT | context::BATCH,
        syntax: Some(
            "CREATE <filename> [-b start] [-s step] [-O] <DS definitions> <RRA definitions>\n",
        ),
        help: Some(
            "The CREATE command will create an RRD file, overwriting any existing file\n\
             unless the -O option is given or rrdcached was started with the -O option.\n\
             The start parameter needs to be in seconds since 1/1/70 (AT-style syntax is\n\
             not acceptable) and the step is in seconds (default is 300).\n\
             The DS and RRA definitions are as for the 'rrdtool create' command.\n",
        ),
    },
    Command {
        name: "LIST",
        context: context::CLIENT,
        syntax: Some("LIST [RECURSIVE] /[<path>]\n"),
        help: Some(
            "This command lists the RRD files in the storage base directory (/).\n\
             Note that this is the list of RRD files on storage as of the last update.\n\
             There may be pending updates in the queue, so a FLUSH may have to be run\n\
             beforehand.\n\
             When invoked with 'LIST RECURSIVE /<path>' it will behave similarly to\n\
             'ls -R' but limited to rrd files (listing all the rrd bases in the subtree\n\
             \x20of <path>, skipping empty directories).\n",
        ),
    },
    Command {
        name: "SUSPEND",
        context: context::CLIENT | context::BATCH,
        syntax: Some("SUSPEND <filename>\n"),
        help: Some(
            "The SUSPEND command will suspend writing to an RRD file. While a file is\n\
             suspended, all metrics for it are cached in memory until RESUME is called\n\
             for that file or RESUMEALL is called.\n",
        ),
    },
    Command {
        name: "RESUME",
        context: context::CLIENT | context::BATCH,
        syntax: Some("RESUME <filename>\n"),
        help: Some(
            "The RESUME command will resume writing to an RRD file previously suspended\n\
             by SUSPEND or SUSPENDALL.\n",
        ),
    },
    Command {
        name: "SUSPENDALL",
        context: context::CLIENT | context::BATCH,
        syntax: Some("SUSPENDALL\n"),
        help: Some(
            "The SUSPENDALL command will suspend writing to all RRD files. While a file\n\
             is suspended, all metrics for it are cached in memory until RESUME is called\n\
             for that file or RESUMEALL is called.\n",
        ),
    },
    Command {
        name: "RESUMEALL",
        context: context::CLIENT | context::BATCH,
        syntax: Some("RESUMEALL\n"),
        help: Some(
            "The RESUMEALL command will resume writing to all RRD files previously suspended.\n",
        ),
    },
    Command {
        name: "QUIT",
        context: context::CLIENT | context::BATCH,
        syntax: Some("QUIT\n"),
        help: Some("Disconnect from rrdcached.\n"),
    },
];

/// The index of the command named `name` (any case).
pub fn find(name: &[u8]) -> Option<usize> {
    COMMANDS
        .iter()
        .position(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
}

/// Permissions allowing every command.
pub const ALL: u32 = (1 << COMMANDS.len()) - 1;

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str) -> Vec<Option<String>> {
        let mut f = Fields::new(line.as_bytes());
        let mut v = Vec::new();
        while f.has_more() {
            v.push(f.next_field().map(|b| String::from_utf8(b).unwrap()));
        }
        v
    }

    #[test]
    fn fields_split_as_rrdcached_splits_them() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(fields("UPDATE a 1:2"), vec![s("UPDATE"), s("a"), s("1:2")]);
        assert_eq!(fields("a\\ b c"), vec![s("a b"), s("c")]);
        assert_eq!(fields("a "), vec![s("a"), s("")]);
        assert_eq!(fields(""), vec![s("")]);
        assert_eq!(fields("a\\"), vec![None]);
        assert_eq!(fields("a\\\\"), vec![s("a\\")]);
        assert_eq!(fields("a\0b"), vec![s("a"), s("b")]);
        // an escaped NUL ends the text of its field
        assert_eq!(fields("1:1\\\u{0}2:2 c"), vec![s("1:1"), s("c")]);
    }

    #[test]
    fn commands_fit_a_permission_mask() {
        assert!(COMMANDS.len() <= 32);
        assert_eq!(find(b"update"), Some(0));
        assert_eq!(find(b"QuIt"), Some(COMMANDS.len() - 1));
        assert_eq!(find(b"nope"), None);
    }
}
