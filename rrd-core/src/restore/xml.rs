//! The XML reader of restore: the node stream libxml2's `xmlTextReader`
//! delivers, reduced to what `rrd_restore.c` looks at, read from any
//! `Read` through a bounded window (a node that does not fit is read again
//! once the window has been refilled), with libxml2's messages.

use std::borrow::Cow;
use std::collections::HashSet;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A start tag (or an empty-element tag, which has no matching end).
    Element,
    /// An end tag.
    End,
    /// Character data that is not only blanks.
    Text,
    /// End of the document (after the root element closed).
    Eof,
}

#[derive(Debug, Clone)]
pub(super) struct Node {
    pub(super) kind: Kind,
    /// Element name (start and end tags).
    pub(super) name: String,
    /// Character data with references decoded (text nodes).
    pub(super) text: String,
    /// Line of the node's first character.
    pub(super) line: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the root element.
    Prolog,
    /// Inside the root element.
    Content,
    /// After the root element.
    Epilog,
}

/// A libxml2 well-formedness error, as rrdtool reports it (libxml2's
/// message ends in a newline that rrdtool turns into a space).
pub(super) fn xml_err(msg: impl std::fmt::Display) -> Error {
    Error::Dump(format!("error reading/parsing XML: {msg} "))
}

/// libxml2's error for bytes that are not UTF-8 (it shows up to four of
/// them, from the first bad one).
fn not_utf8(bytes: &[u8]) -> Error {
    let shown: Vec<String> = bytes.iter().take(4).map(|b| format!("0x{b:02X}")).collect();
    xml_err(format_args!(
        "Input is not proper UTF-8, indicate encoding ! Bytes: {}",
        shown.join(" ")
    ))
}

/// XML 1.0 `Char` (surrogates cannot occur in a `str`).
fn is_xml_char(c: char) -> bool {
    !((c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{fffe}' | '\u{ffff}'))
}

fn is_blank(s: &str) -> bool {
    s.bytes().all(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
}

/// Length in bytes of the XML name at the start of `s` (0 if none).
fn name_len(s: &str) -> usize {
    let mut len = 0;
    for (i, c) in s.char_indices() {
        let ok = c.is_ascii_alphabetic()
            || c == '_'
            || c == ':'
            || !c.is_ascii()
            || (i > 0 && (c.is_ascii_digit() || c == '-' || c == '.'));
        if !ok {
            break;
        }
        len = i + c.len_utf8();
    }
    len
}

/// Character data with the predefined entities and character references
/// replaced, as libxml2 delivers it.
fn decode_text(raw: &str) -> Result<Cow<'_, str>> {
    if !raw.contains('&') {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let r = &rest[i + 1..];
        if let Some(num) = r.strip_prefix('#') {
            let (digits, radix, skip, what) = match num.strip_prefix('x') {
                Some(hex) => (hex, 16, 2, "hexadecimal"),
                None => (num, 10, 1, "decimal"),
            };
            let n = digits
                .bytes()
                .take_while(|c| c.is_ascii_alphanumeric())
                .count();
            let invalid = || xml_err(format_args!("xmlParseCharRef: invalid {what} value"));
            let out_of_bounds = || xml_err("xmlParseCharRef: character reference out of bounds");
            if n == 0 || digits.as_bytes().get(n) != Some(&b';') {
                return Err(invalid());
            }
            let digits = &digits[..n];
            if !digits.bytes().all(|c| char::from(c).is_digit(radix)) {
                return Err(invalid());
            }
            let value = u32::from_str_radix(digits, radix)
                .ok()
                .filter(|&v| v <= 0x10_ffff)
                .ok_or_else(out_of_bounds)?;
            match char::from_u32(value).filter(|&c| is_xml_char(c)) {
                Some(c) => out.push(c),
                None => {
                    return Err(xml_err(format_args!(
                        "xmlParseCharRef: invalid xmlChar value {value}"
                    )))
                }
            }
            rest = &r[skip + n + 1..];
        } else {
            let n = name_len(r);
            if n == 0 {
                return Err(xml_err("xmlParseEntityRef: no name"));
            }
            if r.as_bytes().get(n) != Some(&b';') {
                return Err(xml_err("EntityRef: expecting ';'"));
            }
            let c = match &r[..n] {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "apos" => '\'',
                "quot" => '"',
                other => return Err(xml_err(format_args!("Entity '{other}' not defined"))),
            };
            out.push(c);
            rest = &r[n + 1..];
        }
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// Bytes read from the input at a time.
const CHUNK: usize = 64 * 1024;

/// Longest node (text, comment, tag) held: libxml2's own limit on a text
/// node, which it reports as a huge text node.
const MAX_NODE: usize = 10_000_000;

/// A streaming XML reader: a window of the document (`buf[pos..]`) that is
/// refilled from `input` whenever a node does not fit in it, so that memory
/// is bounded by the longest node, not by the document.
pub(super) struct Reader<R> {
    input: R,
    buf: String,
    pos: usize,
    /// Bytes of the document before `buf` (already dropped).
    base: u64,
    /// Whether `input` is exhausted (or stopped at an error).
    eof: bool,
    /// An error met in the input after the end of `buf`, reported when the
    /// reader gets there: bytes that are not UTF-8, a read error.
    input_err: Option<Error>,
    /// What is read at a time; its first `carry` bytes are the start of a
    /// UTF-8 sequence cut by the end of the last read.
    chunk: Vec<u8>,
    carry: usize,
    /// The first character XML forbids anywhere in the input read so far.
    bad_char: Option<char>,
    line: u32,
    /// Open elements and the lines of their start tags.
    stack: Vec<(String, u32)>,
    phase: Phase,
    /// The node returned last.
    pub(super) cur: Node,
    /// Whether an error came from here (not well formed, unreadable).
    pub(super) failed: bool,
}

impl<R: std::io::Read> Reader<R> {
    pub(super) fn new(input: R) -> Self {
        Reader {
            input,
            buf: String::new(),
            pos: 0,
            base: 0,
            eof: false,
            input_err: None,
            chunk: Vec::new(),
            carry: 0,
            bad_char: None,
            line: 1,
            stack: Vec::new(),
            phase: Phase::Prolog,
            cur: Node {
                kind: Kind::Eof,
                name: String::new(),
                text: String::new(),
                line: 1,
            },
            failed: false,
        }
    }

    /// Reads more of the input into the window; false at its end.
    fn refill(&mut self) -> Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        if self.buf.len() > MAX_NODE {
            return Err(xml_err("xmlSAX2Characters: huge text node"));
        }
        if self.chunk.len() < CHUNK {
            self.chunk.resize(CHUNK, 0);
        }
        // the cut sequence of the last read goes first
        let have = self.carry;
        let n = loop {
            match self.input.read(&mut self.chunk[have..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.eof = true;
                    self.input_err = Some(xml_err(format_args!("read error: {e}")));
                    return Ok(false);
                }
            }
        };
        self.carry = 0;
        let chunk = &self.chunk[..have + n];
        if n == 0 {
            self.eof = true;
            if !chunk.is_empty() {
                self.input_err = Some(not_utf8(chunk));
            }
            return Ok(false);
        }
        let first = self.base == 0 && self.buf.is_empty();
        let mut cut = 0;
        let valid = match std::str::from_utf8(chunk) {
            Ok(_) => chunk.len(),
            Err(e) => match e.error_len() {
                // a sequence cut by the end of this read: kept for the next
                None => {
                    cut = chunk.len() - e.valid_up_to();
                    e.valid_up_to()
                }
                Some(_) => {
                    self.input_err = Some(not_utf8(&chunk[e.valid_up_to()..]));
                    self.eof = true;
                    e.valid_up_to()
                }
            },
        };
        let text = std::str::from_utf8(&chunk[..valid]).expect("checked above");
        let text = if first {
            text.strip_prefix('\u{feff}').unwrap_or(text)
        } else {
            text
        };
        if self.bad_char.is_none() {
            self.bad_char = text.chars().find(|&c| !is_xml_char(c));
        }
        self.buf.push_str(text);
        self.chunk.copy_within(valid..valid + cut, 0);
        self.carry = cut;
        Ok(true)
    }

    fn rest(&self) -> &str {
        &self.buf[self.pos..]
    }

    fn advance(&mut self, n: usize) {
        let skipped = &self.buf[self.pos..self.pos + n];
        let lines = skipped.bytes().filter(|&c| c == b'\n').count();
        self.line = self
            .line
            .saturating_add(u32::try_from(lines).unwrap_or(u32::MAX));
        self.pos += n;
    }

    fn skip_blanks(&mut self) {
        let n = self
            .rest()
            .bytes()
            .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
            .count();
        self.advance(n);
    }

    /// The next node that rrd_restore.c distinguishes; comments, processing
    /// instructions, CDATA sections, the DOCTYPE and blank text are skipped
    /// (rrdtool skips them too) after checking that they are well formed.
    pub(super) fn read(&mut self) -> Result<&Node> {
        match self.next_node() {
            Ok(n) => {
                self.cur = n;
                Ok(&self.cur)
            }
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }

    /// A node, refilling the window until the node fits in it: a node cut
    /// by the end of the window fails to parse (or looks like the end of the
    /// document), and is parsed again with more input.
    fn next_node(&mut self) -> Result<Node> {
        loop {
            let saved = (self.pos, self.line, self.phase, self.stack.len());
            let r = self.next_node_in_window();
            let complete = match &r {
                Ok(n) => n.kind != Kind::Eof || self.eof,
                Err(_) => self.eof,
            };
            if complete {
                return match (r, self.input_err.take()) {
                    // the window ended where the input went wrong
                    (Err(_), Some(e)) => Err(e),
                    (r, e) => {
                        self.input_err = e;
                        r
                    }
                };
            }
            (self.pos, self.line, self.phase) = (saved.0, saved.1, saved.2);
            self.stack.truncate(saved.3);
            self.refill()?;
        }
    }

    /// Reads to the end, checking that the document is well formed.
    pub(super) fn validate(&mut self) -> Result<()> {
        while self.read()?.kind != Kind::Eof {}
        // characters XML forbids outside text (text was checked on the way)
        match self.bad_char {
            Some(c) => {
                self.failed = true;
                Err(xml_err(format_args!(
                    "Char 0x{:X} out of allowed range",
                    u32::from(c)
                )))
            }
            None => Ok(()),
        }
    }

    fn node(&self, kind: Kind, name: &str, line: u32) -> Node {
        Node {
            kind,
            name: name.to_string(),
            text: String::new(),
            line,
        }
    }

    fn next_node_in_window(&mut self) -> Result<Node> {
        loop {
            match self.phase {
                Phase::Prolog | Phase::Epilog => {
                    self.skip_blanks();
                    let r = self.rest();
                    if r.is_empty() {
                        if self.phase == Phase::Epilog {
                            return Ok(self.node(Kind::Eof, "", self.line));
                        }
                        return Err(xml_err("Extra content at the end of the document"));
                    }
                    if r.starts_with("<?") {
                        self.skip_pi()?;
                    } else if r.starts_with("<!--") {
                        self.skip_comment()?;
                    } else if self.phase == Phase::Prolog && r.starts_with("<!DOCTYPE") {
                        self.skip_doctype()?;
                    } else if self.phase == Phase::Epilog {
                        return Err(xml_err("Extra content at the end of the document"));
                    } else if r.starts_with('<') {
                        self.phase = Phase::Content;
                        return self.start_tag();
                    } else {
                        return Err(xml_err("Document is empty"));
                    }
                }
                Phase::Content => {
                    let r = self.rest();
                    if r.starts_with("<!--") {
                        self.skip_comment()?;
                    } else if r.starts_with("<![CDATA[") {
                        match r.find("]]>") {
                            Some(end) => self.advance(end + 3),
                            None => return Err(xml_err("CData section not finished")),
                        }
                    } else if r.starts_with("<?") {
                        self.skip_pi()?;
                    } else if r.starts_with("</") {
                        return self.end_tag();
                    } else if r.starts_with('<') {
                        return self.start_tag();
                    } else {
                        let Some(len) = r.find('<') else {
                            // the root element is still open
                            return Err(xml_err("Extra content at the end of the document"));
                        };
                        let text = &r[..len];
                        let line = self.line;
                        if text.contains("]]>") {
                            return Err(xml_err("Sequence ']]>' not allowed in content"));
                        }
                        if let Some(c) = text.chars().find(|&c| !is_xml_char(c)) {
                            return Err(xml_err(format_args!(
                                "PCDATA invalid Char value {}",
                                u32::from(c)
                            )));
                        }
                        let text = decode_text(text)?.into_owned();
                        self.advance(len);
                        if !is_blank(&text) {
                            return Ok(Node {
                                kind: Kind::Text,
                                name: String::new(),
                                text,
                                line,
                            });
                        }
                    }
                }
            }
        }
    }

    fn skip_comment(&mut self) -> Result<()> {
        let body = &self.rest()[4..];
        let Some(end) = body.find("-->") else {
            return Err(xml_err("Comment not terminated"));
        };
        if body[..end].contains("--") {
            return Err(xml_err("Double hyphen within comment"));
        }
        self.advance(4 + end + 3);
        Ok(())
    }

    fn skip_pi(&mut self) -> Result<()> {
        let r = self.rest();
        let target = &r[2..2 + name_len(&r[2..])];
        if target.is_empty() {
            return Err(xml_err("xmlParsePI : no target name"));
        }
        if target.eq_ignore_ascii_case("xml") && self.base + self.pos as u64 != 0 {
            return Err(xml_err(
                "XML declaration allowed only at the start of the document",
            ));
        }
        match r.find("?>") {
            Some(end) => {
                self.advance(end + 2);
                Ok(())
            }
            None => Err(xml_err(format_args!("ParsePI: PI {target} never end ..."))),
        }
    }

    fn skip_doctype(&mut self) -> Result<()> {
        let r = self.rest();
        let b = r.as_bytes();
        let mut i = "<!DOCTYPE".len();
        let mut depth = 0usize;
        while let Some(&c) = b.get(i) {
            match c {
                b'"' | b'\'' => match r[i + 1..].find(c as char) {
                    Some(k) => i += k + 1,
                    None => break,
                },
                b'<' if r[i..].starts_with("<!--") => match r[i..].find("-->") {
                    Some(k) => i += k + 2,
                    None => break,
                },
                b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                b'>' if depth == 0 => {
                    self.advance(i + 1);
                    return Ok(());
                }
                _ => {}
            }
            i += 1;
        }
        Err(xml_err("DOCTYPE improperly terminated"))
    }

    fn start_tag(&mut self) -> Result<Node> {
        let r = self.rest();
        let b = r.as_bytes();
        let line = self.line;
        let name = &r[1..1 + name_len(&r[1..])];
        if name.is_empty() {
            return Err(xml_err("StartTag: invalid element name"));
        }
        let unfinished = || xml_err(format_args!("Couldn't find end of Start Tag {name}"));
        let node = Node {
            kind: Kind::Element,
            name: name.to_string(),
            text: String::new(),
            line,
        };
        let mut i = 1 + name.len();
        let mut attrs: HashSet<&str> = HashSet::new();
        let empty = loop {
            let ws = r[i..]
                .bytes()
                .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
                .count();
            i += ws;
            match b.get(i) {
                Some(b'>') => {
                    i += 1;
                    break false;
                }
                Some(b'/') if b.get(i + 1) == Some(&b'>') => {
                    i += 2;
                    break true;
                }
                Some(_) if ws > 0 => {
                    let attr = &r[i..i + name_len(&r[i..])];
                    if attr.is_empty() {
                        return Err(unfinished());
                    }
                    i += attr.len();
                    i += r[i..]
                        .bytes()
                        .take_while(|c| c.is_ascii_whitespace())
                        .count();
                    if b.get(i) != Some(&b'=') {
                        return Err(unfinished());
                    }
                    i += 1;
                    i += r[i..]
                        .bytes()
                        .take_while(|c| c.is_ascii_whitespace())
                        .count();
                    let quote = match b.get(i) {
                        Some(&q @ (b'"' | b'\'')) => q as char,
                        _ => return Err(unfinished()),
                    };
                    let Some(len) = r[i + 1..].find(quote) else {
                        return Err(unfinished());
                    };
                    if r[i + 1..i + 1 + len].contains('<') {
                        return Err(xml_err("Unescaped '<' not allowed in attributes values"));
                    }
                    i += len + 2;
                    if !attrs.insert(attr) {
                        return Err(xml_err(format_args!("Attribute {attr} redefined")));
                    }
                }
                _ => return Err(unfinished()),
            }
        };
        self.advance(i);
        if empty {
            if self.stack.is_empty() {
                self.phase = Phase::Epilog;
            }
        } else {
            self.stack.push((node.name.clone(), line));
        }
        Ok(node)
    }

    fn end_tag(&mut self) -> Result<Node> {
        let r = self.rest();
        let line = self.line;
        let name = r[2..2 + name_len(&r[2..])].to_string();
        if name.is_empty() {
            return Err(xml_err("xmlParseEndTag: '</' not found"));
        }
        let mut i = 2 + name.len();
        i += r[i..]
            .bytes()
            .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
            .count();
        if r.as_bytes().get(i) != Some(&b'>') {
            return Err(xml_err("expected '>'"));
        }
        // nothing changes before the node is known to be whole (see next_node)
        let Some((open, open_line)) = self.stack.last() else {
            return Err(xml_err("Extra content at the end of the document"));
        };
        if *open != name {
            return Err(xml_err(format_args!(
                "Opening and ending tag mismatch: {open} line {open_line} and {name}"
            )));
        }
        self.stack.pop();
        self.advance(i + 1);
        if self.stack.is_empty() {
            self.phase = Phase::Epilog;
        }
        Ok(Node {
            kind: Kind::End,
            name,
            text: String::new(),
            line,
        })
    }
}
