//! The one YAML writer: block-style text that means the same to a YAML 1.1 reader (Helm's and
//! Kubernetes' sigs.k8s.io/yaml, which reads `yes`, `on`, `0755`... as booleans and numbers) as to
//! a YAML 1.2 one. Strings that could be read as anything else are double-quoted; map order is
//! kept. The values files of the bundle, the kustomize overlays and the manifests are all written
//! by it.
//!
//! Architecture invariant: `serde_yaml::from_str` of what it writes gives the value back (tags
//! dropped); it imports nothing from the rest of the crate.

use std::fmt::Write as _;

use serde_yaml::{Mapping, Value};

pub(crate) mod node;
pub mod serialize;

/// A values tree as block-style YAML text. Strings that a YAML 1.1 or 1.2 reader could take for
/// a boolean, null, number or timestamp (anything starting with a digit, `yes`/`no`/`on`/`off`,
/// ...) or that hold characters with a YAML meaning are double-quoted; map order is kept.
/// `serde_yaml::from_str` of the result gives `v` back (tags are dropped). Multi-line strings
/// are double-quoted on one line: the values files.
pub fn to_yaml(v: &Value) -> String {
    write(v, false)
}

/// [`to_yaml`], but a multi-line string (a script, JSON in a ConfigMap) in a map or list is a
/// literal block (`|` / `|-`) where one reads back exactly, so it stays readable: the
/// manifests. [`serialize::Writer`] writes the same text straight from a serde object.
pub fn to_yaml_blocks(v: &Value) -> String {
    write(v, true)
}

fn write(v: &Value, blocks: bool) -> String {
    let mut out = String::new();
    match untag(v) {
        Value::Mapping(m) if !m.is_empty() => emit_map(m, 0, false, blocks, &mut out),
        Value::Sequence(s) if !s.is_empty() => emit_seq(s, 0, blocks, &mut out),
        other => {
            push_scalar(&mut out, other);
            out.push('\n');
        }
    }
    out
}

pub(crate) fn untag(v: &Value) -> &Value {
    match v {
        Value::Tagged(t) => untag(&t.value),
        other => other,
    }
}

pub(crate) fn indent(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = n;
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

/// Entries of a map at `ind` spaces; `inline_first`: the first entry continues a `- ` line.
fn emit_map(m: &Mapping, ind: usize, inline_first: bool, blocks: bool, out: &mut String) {
    for (i, (k, v)) in m.iter().enumerate() {
        if !(inline_first && i == 0) {
            indent(out, ind);
        }
        emit_entry(k, v, ind, blocks, out);
    }
}

/// One map entry after its indentation: the key, the colon and the value.
pub(crate) fn emit_entry(k: &Value, v: &Value, ind: usize, blocks: bool, out: &mut String) {
    push_key(out, k);
    out.push(':');
    emit_value(v, ind, blocks, out);
}

/// The value of a map entry at `ind` spaces, after its key and colon.
pub(crate) fn emit_value(v: &Value, ind: usize, blocks: bool, out: &mut String) {
    match untag(v) {
        Value::Mapping(c) if !c.is_empty() => {
            out.push('\n');
            emit_map(c, ind + 2, false, blocks, out);
        }
        Value::Sequence(s) if !s.is_empty() => {
            out.push('\n');
            emit_seq(s, ind + 2, blocks, out);
        }
        other => {
            out.push(' ');
            emit_scalar(other, ind, blocks, out);
        }
    }
}

fn emit_seq(s: &[Value], ind: usize, blocks: bool, out: &mut String) {
    for item in s {
        indent(out, ind);
        out.push('-');
        emit_item(item, ind, blocks, out);
    }
}

/// A list item at `ind` spaces, after its `-`.
pub(crate) fn emit_item(item: &Value, ind: usize, blocks: bool, out: &mut String) {
    match untag(item) {
        Value::Mapping(m) if !m.is_empty() => {
            out.push(' ');
            emit_map(m, ind + 2, true, blocks, out);
        }
        Value::Sequence(inner) if !inner.is_empty() => {
            out.push('\n');
            emit_seq(inner, ind + 2, blocks, out);
        }
        other => {
            out.push(' ');
            emit_scalar(other, ind, blocks, out);
        }
    }
}

/// A scalar after `key: ` or `- ` at `ind` spaces, and its line break: a literal block when
/// `blocks` and one reads back.
fn emit_scalar(v: &Value, ind: usize, blocks: bool, out: &mut String) {
    if let (true, Value::String(s)) = (blocks, v) {
        if push_literal_block(out, s, ind + 2) {
            return;
        }
    }
    push_scalar(out, v);
    out.push('\n');
}

/// Appends a literal block (`|` or `|-`, then the lines at `ind` spaces) for a multi-line
/// string, when one reads back exactly; `false` (and nothing appended) otherwise.
pub(crate) fn push_literal_block(out: &mut String, s: &str, ind: usize) -> bool {
    // (Bytes, not chars: this runs for every string of every object.)
    let bytes = s.as_bytes();
    if !bytes.contains(&b'\n') || s.ends_with("\n\n") || s.starts_with([' ', '\n']) {
        return false;
    }
    // No control character but line breaks and tabs, and none of the characters YAML 1.1
    // counts as line breaks or a BOM. Byte by byte while the text is ASCII (scripts and
    // configuration files, often long), character by character otherwise.
    let ok = if s.is_ascii() {
        !bytes
            .iter()
            .any(|&b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f)
    } else {
        s.chars().all(|c| c == '\n' || c == '\t' || !c.is_control())
            && !s.contains(['\u{85}', '\u{2028}', '\u{2029}', '\u{feff}', '\r'])
    };
    if !ok {
        return false;
    }
    let body = s.strip_suffix('\n');
    out.push_str(if body.is_some() { "|\n" } else { "|-\n" });
    for line in body.unwrap_or(s).split('\n') {
        if !line.is_empty() {
            indent(out, ind);
            out.push_str(line);
        }
        out.push('\n');
    }
    true
}

pub(crate) fn push_key(out: &mut String, k: &Value) {
    match untag(k) {
        Value::String(s) => push_string(out, s),
        // A map or list as a key: its YAML text on one line, as `display_value` shows it.
        Value::Mapping(_) | Value::Sequence(_) => push_string(out, to_yaml(k).trim()),
        other => push_scalar(out, other),
    }
}

/// Appends the text of a scalar (an empty map or list as `{}` / `[]`): the one-line form
/// [`to_yaml`] writes. Written in place: this runs for every scalar of every generated file.
pub(crate) fn push_scalar(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => push_string(out, s),
        Value::Mapping(_) => out.push_str("{}"),
        Value::Sequence(_) => out.push_str("[]"),
        Value::Tagged(t) => push_scalar(out, untag(&t.value)),
    }
}

pub(crate) fn push_string(out: &mut String, s: &str) {
    if plain_ok(s) {
        out.push_str(s);
    } else {
        push_double_quoted(out, s);
    }
}

/// Whether `s` can be written as a plain scalar and read back as this string by every YAML
/// reader Helm's tool chain uses (YAML 1.1 and 1.2). Conservative: when in doubt, quote.
/// Runs for every string of every generated file, so a byte table decides most bytes.
pub(crate) fn plain_ok(s: &str) -> bool {
    // Bytes that are always fine after the first: letters, digits and `_./-+@=`.
    const PLAIN: [bool; 256] = {
        let mut t = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            t[b] = c.is_ascii_alphanumeric()
                || matches!(c, b'_' | b'.' | b'/' | b'-' | b'+' | b'@' | b'=');
            b += 1;
        }
        t
    };
    let bytes = s.as_bytes();
    // Digits, signs and dots start numbers, timestamps, `.inf`; other punctuation is an
    // indicator (`-`, `?`, `:`, `&`, `*`, `!`, `|`, `>`, `'`, `"`, `%`, `@`, `` ` ``, `~`...).
    // (A non-ASCII first character is not plain either.)
    match bytes.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'/' || *c == b'_' => {}
        _ => return false,
    }
    // Most strings hold only such bytes: one table lookup per byte, without early exit,
    // settles them (long ones too) before the loop below looks at `:` and spaces.
    let unusual = bytes
        .iter()
        .fold(false, |acc, &c| acc | !PLAIN[usize::from(c)]);
    if !unusual {
        return s.len() > 5 || !is_yaml_1_1_word(s);
    }
    // Only ASCII passes the loop, so bytes are characters here.
    for (i, &c) in bytes.iter().enumerate() {
        if PLAIN[usize::from(c)] {
            continue;
        }
        let next = bytes.get(i + 1).copied();
        let ok = match c {
            // `a: b` and a trailing colon start a mapping; `http://x` is fine.
            b':' => matches!(next, Some(n) if n != b' '),
            // ` #` starts a comment; trailing spaces are dropped.
            b' ' => matches!(next, Some(n) if n != b' ' && n != b'#'),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    s.len() > 5 || !is_yaml_1_1_word(s)
}

/// YAML 1.1 booleans and null (sigs.k8s.io/yaml reads `yes`, `on`, `off`... as booleans).
fn is_yaml_1_1_word(s: &str) -> bool {
    ["y", "n", "yes", "no", "true", "false", "on", "off", "null"]
        .iter()
        .any(|w| s.eq_ignore_ascii_case(w))
}

fn push_double_quoted(out: &mut String, s: &str) {
    // Bytes that may start a character to escape: `"`, `\`, ASCII controls, and the first
    // bytes of U+0085, U+2028/U+2029 and U+FEFF (C2, E2, EF). Other bytes, continuation bytes
    // among them, never do.
    const LOOK: [bool; 256] = {
        let mut t = [false; 256];
        let mut b = 0;
        while b < 256 {
            t[b] = b < 0x20 || matches!(b, 0x22 | 0x5c | 0x7f | 0xc2 | 0xe2 | 0xef);
            b += 1;
        }
        t
    };
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    // Most quoted strings (the placeholders, URLs, commands) have nothing to escape: one table
    // lookup per byte, without early exit, settles them.
    if !bytes
        .iter()
        .fold(false, |acc, &b| acc | LOOK[usize::from(b)])
    {
        out.push_str(s);
        out.push('"');
        return;
    }
    // Runs of characters that need no escape are copied whole.
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !LOOK[usize::from(b)] {
            continue;
        }
        // `b` starts a character (no continuation byte is looked at).
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        let escape = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\t' => Some("\\t"),
            '\r' => Some("\\r"),
            // Control characters, and the characters YAML 1.1 counts as line breaks or a BOM.
            c if (c as u32) < 0x20
                || c == '\u{7f}'
                || c == '\u{85}'
                || c == '\u{2028}'
                || c == '\u{2029}'
                || c == '\u{feff}' =>
            {
                None
            }
            _ => continue,
        };
        out.push_str(&s[run..i]);
        match escape {
            Some(e) => out.push_str(e),
            None => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
        }
        run = i + c.len_utf8();
    }
    out.push_str(&s[run..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `push_double_quoted` as it was written before its byte table: character by character.
    fn double_quoted_by_char(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if (c as u32) < 0x20
                    || c == '\u{7f}'
                    || c == '\u{85}'
                    || c == '\u{2028}'
                    || c == '\u{2029}'
                    || c == '\u{feff}' =>
                {
                    let _ = write!(out, "\\u{:04X}", c as u32);
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    proptest::proptest! {
        /// Byte by byte, the escapes are those of the rule written character by character.
        #[test]
        fn double_quoted_as_by_char(
            s in "[ -~\n\t\r\u{0}\u{1b}\u{7f}\u{80}\u{85}\u{9f}\u{a0}\u{2027}\u{2028}\u{2029}\u{feff}\u{fffe}é£€ĀȀ]{0,16}"
        ) {
            let mut out = String::new();
            push_double_quoted(&mut out, &s);
            proptest::prop_assert_eq!(out, double_quoted_by_char(&s));
        }
    }
}
