//! `rrd_list_r`: the RRD files of a directory, as `rrdtool list` and
//! rrdcached's `LIST` print them, one name per line.
//!
//! - a name with `..` anywhere is refused (`EACCES`);
//! - a name with `*` or `?` is a glob pattern (`glob(3)` without flags:
//!   `*`, `?`, `[...]` within one path component, results sorted): the
//!   last component of every match, whatever it is; with `recursive`
//!   refused (`EINVAL`), no match is `ENOENT`;
//! - a name ending in `.rrd` is that file: its last component if it is a
//!   regular file (`ENXIO` if not, `EINVAL` if the name has no `/`);
//! - else a directory: in directory order, the subdirectories and the
//!   regular files ending in `.rrd` (names after the directory), with
//!   `recursive` the `.rrd` files of every subdirectory instead of the
//!   subdirectories. Links are followed, as `stat` follows them; a loop of
//!   links ends where a path reaches `PATH_MAX`, as in rrdtool.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// Longest path rrdtool builds (`PATH_MAX`, counting the NUL).
const PATH_MAX: usize = 4096;

/// The listing of `dirname` (bytes of a path), newline-terminated lines;
/// an empty listing is `Ok(empty)`. The error is the `errno` rrdtool
/// leaves.
pub fn list_r(recursive: bool, dirname: &[u8]) -> io::Result<Vec<u8>> {
    let err = |code| Err(io::Error::from_raw_os_error(code));
    if contains(dirname, b"..") {
        return err(13); // EACCES
    }
    if dirname.iter().any(|&b| b == b'*' || b == b'?') {
        if recursive {
            return err(22); // EINVAL
        }
        let mut out = Vec::new();
        for m in glob(dirname) {
            if let Some(i) = m.iter().rposition(|&b| b == b'/') {
                out.extend_from_slice(&m[i + 1..]);
                out.push(b'\n');
            }
        }
        if out.is_empty() {
            return err(2); // ENOENT
        }
        return Ok(out);
    }
    let path = Path::new(OsStr::from_bytes(dirname));
    if ends_with_rrd(dirname) {
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() {
            return err(6); // ENXIO
        }
        return match dirname.iter().rposition(|&b| b == b'/') {
            Some(i) => {
                let mut out = dirname[i + 1..].to_vec();
                out.push(b'\n');
                Ok(out)
            }
            None => err(22),
        };
    }
    let meta = std::fs::metadata(path)?;
    if !meta.is_dir() {
        return err(20); // ENOTDIR
    }
    let mut out = Vec::new();
    list_rec(recursive, dirname, dirname, &mut out)?;
    Ok(out)
}

/// Whether `name`'s first `.rrd` ends it (rrdtool's `strstr` test).
pub fn ends_with_rrd(name: &[u8]) -> bool {
    find(name, b".rrd").is_some_and(|i| i + 4 == name.len())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find(hay, needle).is_some()
}

fn list_rec(recursive: bool, root: &[u8], dir: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
    let entries = std::fs::read_dir(OsStr::from_bytes(dir))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.as_bytes();
        if dir.len() + name.len() + 1 >= PATH_MAX {
            continue;
        }
        let mut full = dir.to_vec();
        full.push(b'/');
        full.extend_from_slice(name);
        let Ok(meta) = std::fs::metadata(OsStr::from_bytes(&full)) else {
            continue;
        };
        if meta.is_dir() && recursive {
            // a directory that cannot be read is skipped
            let _ = list_rec(recursive, root, &full, out);
            continue;
        }
        if meta.is_file() && !ends_with_rrd(name) {
            continue;
        }
        // the path after the root, without a leading '/'
        let mut short = if full.starts_with(root) && root.len() <= full.len() {
            &full[root.len()..]
        } else {
            &full[..]
        };
        if short.first() == Some(&b'/') {
            short = &short[1..];
        }
        out.extend_from_slice(short);
        out.push(b'\n');
    }
    Ok(())
}

/// `glob(3)` of `pattern` with no flags: the matching paths, sorted.
fn glob(pattern: &[u8]) -> Vec<Vec<u8>> {
    let absolute = pattern.first() == Some(&b'/');
    let parts: Vec<&[u8]> = pattern
        .split(|&b| b == b'/')
        .filter(|p| !p.is_empty())
        .collect();
    let start: Vec<u8> = if absolute { b"/".to_vec() } else { Vec::new() };
    let mut found = vec![start];
    for (k, part) in parts.iter().enumerate() {
        let last = k + 1 == parts.len();
        let mut next = Vec::new();
        for base in &found {
            let join = |name: &[u8]| {
                let mut p = base.clone();
                if !p.is_empty() && p.last() != Some(&b'/') {
                    p.push(b'/');
                }
                p.extend_from_slice(name);
                p
            };
            if !part.iter().any(|&b| matches!(b, b'*' | b'?' | b'[')) {
                let p = join(part);
                let path = PathBuf::from(OsString::from_vec(p.clone()));
                let ok = if last {
                    std::fs::symlink_metadata(&path).is_ok()
                } else {
                    std::fs::metadata(&path).is_ok_and(|m| m.is_dir())
                };
                if ok {
                    next.push(p);
                }
                continue;
            }
            let dir = if base.is_empty() {
                b".".to_vec()
            } else {
                base.clone()
            };
            let Ok(rd) = std::fs::read_dir(OsStr::from_bytes(&dir)) else {
                continue;
            };
            for e in rd.flatten() {
                let name = e.file_name();
                let name = name.as_bytes();
                // a leading dot is matched only by a leading dot
                if name.first() == Some(&b'.') && part.first() != Some(&b'.') {
                    continue;
                }
                if !fnmatch(part, name) {
                    continue;
                }
                let p = join(name);
                if !last && !std::fs::metadata(OsStr::from_bytes(&p)).is_ok_and(|m| m.is_dir()) {
                    continue;
                }
                next.push(p);
            }
        }
        found = next;
    }
    if parts.is_empty() {
        return Vec::new();
    }
    found.sort();
    found
}

/// Whether `name` matches the shell pattern `pat` (`*`, `?`, `[...]`,
/// `[!...]`, backslash escapes).
fn fnmatch(pat: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    // the position after the last `*` and the name position it tried
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        let step = match pat.get(p) {
            Some(b'*') => {
                star = Some((p + 1, n));
                p += 1;
                continue;
            }
            Some(b'?') => Some(p + 1),
            Some(b'[') => match class(pat, p, name[n]) {
                Some((true, end)) => Some(end),
                Some((false, _)) => None,
                // an unclosed bracket is an ordinary character
                None => (name[n] == b'[').then_some(p + 1),
            },
            Some(b'\\') if p + 1 < pat.len() => (pat[p + 1] == name[n]).then_some(p + 2),
            Some(&c) => (c == name[n]).then_some(p + 1),
            None => None,
        };
        match step {
            Some(np) => {
                p = np;
                n += 1;
            }
            None => match star {
                Some((sp, sn)) => {
                    p = sp;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(|&b| b == b'*')
}

/// A bracket expression at `pat[at]`: whether `c` is in it and where it
/// ends; `None` if it does not close.
fn class(pat: &[u8], at: usize, c: u8) -> Option<(bool, usize)> {
    let mut i = at + 1;
    let negate = matches!(pat.get(i), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    loop {
        let &b = pat.get(i)?;
        if b == b']' && !first {
            return Some((hit != negate, i + 1));
        }
        first = false;
        if pat.get(i + 1) == Some(&b'-') && pat.get(i + 2).is_some_and(|&e| e != b']') {
            let e = pat[i + 2];
            hit |= b <= c && c <= e;
            i += 3;
        } else {
            hit |= b == c;
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fnmatch;

    #[test]
    fn shell_patterns() {
        let check = |p: &str, n: &str, want: bool| {
            assert_eq!(fnmatch(p.as_bytes(), n.as_bytes()), want, "{p} ~ {n}");
        };
        check("*", "a.rrd", true);
        check("*.rrd", "a.rrd", true);
        check("*.rrd", "a.rrdx", false);
        check("a?c", "abc", true);
        check("a?c", "ac", false);
        check("[ab]*", "b1", true);
        check("[!ab]*", "b1", false);
        check("[a-c]x", "bx", true);
        check("*a*b", "xxaxxb", true);
        check("*a*b", "xxaxxbc", false);
        check("[", "[", true);
    }
}
