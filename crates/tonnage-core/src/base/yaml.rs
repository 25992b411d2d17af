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

/// Bytes that are always fine in a plain scalar after its first: letters, digits and
/// `_./-+@=`.
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

/// [`PLAIN`] by comparisons alone (no branch, no table), which the compiler turns into vector
/// instructions over a block of bytes.
/// (Not used on wasm32, where [`all_plain`] reads the table; its test still checks it.)
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
#[inline(always)]
fn plain_byte(c: u8) -> bool {
    // `c | 0x20` puts the upper-case letters on the lower-case ones (and nothing else on
    // them); `-./0123456789` are 13 bytes in a row.
    ((c | 0x20).wrapping_sub(b'a') < 26)
        | (c.wrapping_sub(b'-') < 13)
        | (c == b'_')
        | (c == b'+')
        | (c == b'@')
        | (c == b'=')
}

/// Whether every byte is one of [`PLAIN`]'s. A text of 16 bytes or more by blocks of 16
/// compared at once where the target has vector instructions for it (its last 16 bytes
/// covering what the blocks leave), a shorter one (or any, on wasm32 without simd128) by the
/// table; no early exit inside a block.
fn all_plain(bytes: &[u8]) -> bool {
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(from) = bytes.len().checked_sub(16) {
        let block = |b: &[u8; 16]| !b.iter().fold(false, |acc, &c| acc | !plain_byte(c));
        let (blocks, _) = bytes.as_chunks::<16>();
        let last = bytes[from..].as_chunks::<16>().0;
        return blocks.iter().chain(last).all(block);
    }
    !bytes
        .iter()
        .fold(false, |acc, &c| acc | !PLAIN[usize::from(c)])
}

/// Whether `s` can be written as a plain scalar and read back as this string by every YAML
/// reader Helm's tool chain uses (YAML 1.1 and 1.2). Conservative: when in doubt, quote.
/// Runs for every string of every generated file.
pub(crate) fn plain_ok(s: &str) -> bool {
    let bytes = s.as_bytes();
    // Digits, signs and dots start numbers, timestamps, `.inf`; other punctuation is an
    // indicator (`-`, `?`, `:`, `&`, `*`, `!`, `|`, `>`, `'`, `"`, `%`, `@`, `` ` ``, `~`...).
    // (A non-ASCII first character is not plain either.)
    match bytes.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'/' || *c == b'_' => {}
        _ => return false,
    }
    // Most strings hold only such bytes, which settles them before the loop below looks at
    // `:` and spaces.
    if all_plain(bytes) {
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
    // Each starts with one of `ynto f`, in either case (`| 0x20` puts `Y` on `y`, nothing else).
    matches!(
        s.as_bytes().first().map(|c| c | 0x20),
        Some(b'y' | b'n' | b't' | b'o' | b'f')
    ) && ["y", "n", "yes", "no", "true", "false", "on", "off", "null"]
        .iter()
        .any(|w| s.eq_ignore_ascii_case(w))
}

/// Bytes that may begin what a double-quoted string escapes: `"`, `\`, the control characters
/// and DEL, and the first bytes of U+0085 (`C2`), U+2028 and U+2029 (`E2`) and U+FEFF (`EF`),
/// which YAML 1.1 counts as line breaks or a BOM. (Those bytes never continue a character.)
const QUOTE_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b < 0x20 || matches!(b, 0x22 | 0x5c | 0x7f | 0xc2 | 0xe2 | 0xef);
        b += 1;
    }
    t
};

pub(crate) fn push_double_quoted(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Runs of bytes that need no escape are copied whole: most quoted strings (the
    // placeholders, URLs, commands) have none to escape at all.
    let bytes = s.as_bytes();
    let (mut run, mut i) = (0, 0);
    while i < bytes.len() {
        let b = bytes[i];
        if !QUOTE_SPECIAL[usize::from(b)] {
            i += 1;
            continue;
        }
        // The escape and the length of the character it replaces (`None`: `\uXXXX`).
        let (escape, len) = match (b, bytes.get(i + 1), bytes.get(i + 2)) {
            (b'"', ..) => (Some("\\\""), 1),
            (b'\\', ..) => (Some("\\\\"), 1),
            (b'\n', ..) => (Some("\\n"), 1),
            (b'\t', ..) => (Some("\\t"), 1),
            (b'\r', ..) => (Some("\\r"), 1),
            (0xc2, Some(0x85), _) => (None, 2),
            (0xe2, Some(0x80), Some(0xa8 | 0xa9)) | (0xef, Some(0xbb), Some(0xbf)) => (None, 3),
            // Another character that begins with one of those bytes: as it is.
            (0xc2 | 0xe2 | 0xef, ..) => {
                i += 1;
                continue;
            }
            // A control character or DEL.
            _ => (None, 1),
        };
        out.push_str(&s[run..i]);
        match escape {
            Some(e) => out.push_str(e),
            None => {
                let c = s[i..].chars().next().map_or(0, u32::from);
                let _ = write!(out, "\\u{c:04X}");
            }
        }
        i += len;
        run = i;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_bytes_by_comparison_are_the_tables() {
        for c in 0..=255u8 {
            assert_eq!(plain_byte(c), PLAIN[usize::from(c)], "{c:#x}");
        }
    }

    /// `plain_ok` as first written: the table alone, byte by byte.
    fn plain_ok_by_table(s: &str) -> bool {
        let bytes = s.as_bytes();
        match bytes.first() {
            Some(c) if c.is_ascii_alphabetic() || *c == b'/' || *c == b'_' => {}
            _ => return false,
        }
        for (i, &c) in bytes.iter().enumerate() {
            if PLAIN[usize::from(c)] {
                continue;
            }
            let next = bytes.get(i + 1).copied();
            let ok = match c {
                b':' => matches!(next, Some(n) if n != b' '),
                b' ' => matches!(next, Some(n) if n != b' ' && n != b'#'),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
        s.len() > 5
            || !["y", "n", "yes", "no", "true", "false", "on", "off", "null"]
                .iter()
                .any(|w| s.eq_ignore_ascii_case(w))
    }

    /// The double-quoted string as first written: character by character.
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

    /// Texts of every kind the writer meets: words, paths, long runs of plain bytes with an
    /// odd byte anywhere (across the 16-byte blocks), YAML 1.1 words in any case, and the
    /// characters a double-quoted string escapes, ASCII or not.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9_./@=+-]{0,40}",
            "[a-zA-Z/_][a-zA-Z0-9_./@=+: #-]{0,40}",
            "(y|Y|n|N|yes|YES|No|no|true|TRUE|False|on|ON|Off|null|NULL|nul|tru)",
            "[a-z\"\\\\\n\t\r\x00\x1f\x7f\u{80}\u{85}\u{a0}\u{2028}\u{2029}\u{2030}\u{feff}\u{fefe}é:# ]{0,24}",
            any::<String>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn plain_ok_is_the_table_by_bytes(s in text()) {
            prop_assert_eq!(plain_ok(&s), plain_ok_by_table(&s));
        }

        #[test]
        fn double_quoting_by_bytes_is_by_characters(s in text()) {
            let mut out = String::new();
            push_double_quoted(&mut out, &s);
            prop_assert_eq!(&out, &double_quoted_by_char(&s));
        }
    }
}
