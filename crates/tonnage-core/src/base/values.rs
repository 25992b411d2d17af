//! Helm values trees: `--set` style paths, typed `--set` values, and Helm's merge rules
//! (maps merge key by key, lists are replaced whole, `null` deletes a default).

use std::fmt;

use serde_yaml::{Mapping, Value};

use crate::base::quantity::{Quantity, QuantityError};

/// One segment of a values path: a map key or a list index (`hosts[0].host`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A malformed path, naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    pub path: String,
    pub problem: String,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid values path {:?}: {}", self.path, self.problem)
    }
}

impl std::error::Error for PathError {}

/// Parse a `helm --set` path: dot-separated keys, `[N]` list indices, `\.` for a literal dot.
pub fn parse_path(path: &str) -> Result<Vec<Seg>, PathError> {
    let bad = |problem: &str| PathError {
        path: path.to_string(),
        problem: problem.to_string(),
    };
    if path.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut segs = Vec::new();
    let mut key = String::new();
    let mut chars = path.chars().peekable();
    let mut after_index = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => key.push(n),
                None => return Err(bad("it ends with a backslash")),
            },
            '.' => {
                if key.is_empty() && !after_index {
                    return Err(bad("it has an empty key"));
                }
                if !key.is_empty() {
                    segs.push(Seg::Key(std::mem::take(&mut key)));
                }
                after_index = false;
                if chars.peek().is_none() {
                    return Err(bad("it ends with a dot"));
                }
            }
            '[' => {
                if !key.is_empty() {
                    segs.push(Seg::Key(std::mem::take(&mut key)));
                } else if segs.is_empty() {
                    return Err(bad("a list index needs a key before it"));
                }
                let mut digits = String::new();
                loop {
                    match chars.next() {
                        Some(']') => break,
                        Some(d) if d.is_ascii_digit() => digits.push(d),
                        _ => return Err(bad("a list index must be digits in brackets, like [0]")),
                    }
                }
                let i: usize = digits
                    .parse()
                    .map_err(|_| bad("a list index must be digits in brackets, like [0]"))?;
                if i > 1000 {
                    return Err(bad("list indices above 1000 are not supported"));
                }
                segs.push(Seg::Index(i));
                after_index = true;
            }
            ']' => return Err(bad("unbalanced ]")),
            c if c.is_whitespace() => return Err(bad("it contains whitespace")),
            c => {
                if after_index {
                    return Err(bad("expected . or [ after a list index"));
                }
                key.push(c)
            }
        }
    }
    if !key.is_empty() {
        segs.push(Seg::Key(key));
    }
    Ok(segs)
}

/// Render a path back to its `--set` text.
pub fn format_path(segs: &[Seg]) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                push_key(&mut out, k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Append one key of a path as [`parse_path`] reads it back: a backslash before each `.`, `[`,
/// `]`, backslash and whitespace character (a key such as `cert-manager.io/issuer` or one
/// holding a bracket stays one key). Plain keys, nearly all, are copied as they are.
pub fn push_key(out: &mut String, key: &str) {
    let special = |c: char| matches!(c, '.' | '[' | ']' | '\\') || c.is_whitespace();
    if !key.contains(special) {
        out.push_str(key);
        return;
    }
    for c in key.chars() {
        if special(c) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// The value at `segs`, if any.
pub fn get_path<'a>(root: &'a Value, segs: &[Seg]) -> Option<&'a Value> {
    let mut cur = root;
    for s in segs {
        cur = match (s, cur) {
            (Seg::Key(k), Value::Mapping(m)) => get_key(m, k)?,
            (Seg::Index(i), Value::Sequence(v)) => v.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// `get_path(root, &parse_path(path)?)` without allocating: a path of plain dot-separated
/// keys (the catalog's, nearly always) is walked directly; any other goes through
/// [`parse_path`]. For the readers of figures (plan, manifests), which look up many paths.
pub fn lookup<'v>(root: &'v Value, path: &str) -> Option<&'v Value> {
    match walk_plain(root, path) {
        Ok(found) => found,
        Err(NotPlain) => {
            let segs = parse_path(path).ok()?;
            get_path(root, &segs)
        }
    }
}

/// `lookup(root, &format!("{prefix}.{rest}"))`, without building the path when both parts are
/// plain (then the joined path is plain and its keys are those of `prefix`, then of `rest`).
pub(crate) fn lookup_in<'v>(root: &'v Value, prefix: &str, rest: &str) -> Option<&'v Value> {
    match walk_plain(root, prefix) {
        Ok(Some(at)) => match walk_plain(at, rest) {
            Ok(found) => found,
            Err(NotPlain) => lookup(root, &format!("{prefix}.{rest}")),
        },
        // A plain prefix that is not there: nor is anything below it.
        Ok(None) => None,
        Err(NotPlain) => lookup(root, &format!("{prefix}.{rest}")),
    }
}

/// A path that [`parse_path`] would not split at its dots alone (a key empty or holding
/// anything but visible ASCII other than `\`, `[`, `]`).
struct NotPlain;

/// The value at a path of plain keys joined by single dots, key by key, each key's bytes
/// checked as it is read: `Err` as soon as one is not plain (then only [`parse_path`] knows the
/// keys), `Ok(None)` as soon as a key is not there (then no reading of the rest of the path
/// finds one: the keys so far are [`parse_path`]'s too).
fn walk_plain<'v>(root: &'v Value, path: &str) -> Result<Option<&'v Value>, NotPlain> {
    let bytes = path.as_bytes();
    let mut cur = root;
    let mut start = 0;
    loop {
        let mut end = start;
        while let Some(&b) = bytes.get(end) {
            if b == b'.' {
                break;
            }
            if !b.is_ascii_graphic() || matches!(b, b'\\' | b'[' | b']') {
                return Err(NotPlain);
            }
            end += 1;
        }
        // An empty key: the path is empty, starts or ends with a dot, or has two in a row.
        if end == start {
            return Err(NotPlain);
        }
        let Some(m) = cur.as_mapping() else {
            return Ok(None);
        };
        let Some(v) = get_key(m, &path[start..end]) else {
            return Ok(None);
        };
        cur = v;
        if end == bytes.len() {
            return Ok(Some(cur));
        }
        start = end + 1;
    }
}

/// `m.get(key)`: the value of the string key `key`. A small map (most of a values tree) is
/// scanned, which is faster than hashing the key (`Mapping` hashes with SipHash); a larger one
/// is looked up by hash.
pub(crate) fn get_key<'v>(m: &'v Mapping, key: &str) -> Option<&'v Value> {
    const SCAN: usize = 16;
    if m.len() <= SCAN {
        // Length and first byte before the whole key: most keys differ there.
        let first = key.as_bytes().first();
        m.iter()
            .find(|(k, _)| {
                matches!(k, Value::String(s)
                    if s.len() == key.len() && s.as_bytes().first() == first && s == key)
            })
            .map(|(_, v)| v)
    } else {
        m.get(key)
    }
}

/// A switch as charts read it: a bool, or the string `"true"` (a `--set` typed as text);
/// `default` when absent, null or anything else.
pub fn bool_at(values: &Value, path: &str, default: bool) -> bool {
    match lookup(values, path) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => default,
    }
}

/// Remove the map entry at `segs` (a list element or a missing path: nothing happens).
pub fn remove_path(root: &mut Value, segs: &[Seg]) {
    let Some((last, parent)) = segs.split_last() else {
        return;
    };
    let mut cur = root;
    for s in parent {
        cur = match (s, cur) {
            (Seg::Key(k), Value::Mapping(m)) => match m.get_mut(k.as_str()) {
                Some(c) => c,
                None => return,
            },
            (Seg::Index(i), Value::Sequence(v)) => match v.get_mut(*i) {
                Some(c) => c,
                None => return,
            },
            _ => return,
        };
    }
    if let (Seg::Key(k), Value::Mapping(m)) = (last, cur) {
        m.remove(k.as_str());
    }
}

/// Set `segs` to `value`, creating maps (and padding lists with nulls) as `helm --set` does.
pub fn set_path(root: &mut Value, segs: &[Seg], value: Value) {
    let Some((first, rest)) = segs.split_first() else {
        *root = value;
        return;
    };
    match first {
        Seg::Key(k) => {
            if !root.is_mapping() {
                *root = Value::Mapping(Mapping::new());
            }
            let Value::Mapping(m) = root else { return };
            let key = Value::String(k.clone());
            if !m.contains_key(&key) {
                m.insert(key.clone(), Value::Null);
            }
            if let Some(child) = m.get_mut(&key) {
                set_path(child, rest, value);
            }
        }
        Seg::Index(i) => {
            if !root.is_sequence() {
                *root = Value::Sequence(Vec::new());
            }
            let Value::Sequence(v) = root else { return };
            while v.len() <= *i {
                v.push(Value::Null);
            }
            set_path(&mut v[*i], rest, value);
        }
    }
}

/// Helm's merge of `overlay` onto `base`: maps key by key, anything else replaced whole,
/// a `null` in the overlay deletes the key.
pub fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            for (k, ov) in o {
                if ov.is_null() {
                    b.remove(k);
                    continue;
                }
                match b.get_mut(k) {
                    Some(bv) if bv.is_mapping() && ov.is_mapping() => merge(bv, ov),
                    _ => {
                        b.insert(k.clone(), ov.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// Every leaf path of a tree (lists are leaves: Helm replaces them whole), in tree order.
pub fn leaf_paths(root: &Value) -> Vec<String> {
    fn walk(v: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<String>) {
        match v {
            Value::Mapping(m) if !m.is_empty() => {
                for (k, child) in m {
                    let key = match k {
                        Value::String(s) => s.clone(),
                        other => display_value(other),
                    };
                    prefix.push(Seg::Key(key));
                    walk(child, prefix, out);
                    prefix.pop();
                }
            }
            _ => {
                if !prefix.is_empty() {
                    out.push(format_path(prefix));
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &mut Vec::new(), &mut out);
    out
}

/// Type a `--set` value as Helm does: `true`/`false` are booleans, `null` is null, an integer
/// without a leading zero is an integer, anything else is a string. `--set-string` semantics
/// are available through [`Value::String`] directly.
pub fn typed_value(text: &str) -> Value {
    match text {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "null" => return Value::Null,
        _ => {}
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    let leading_zero = digits.len() > 1 && digits.starts_with('0');
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && !leading_zero {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Number(i.into());
        }
    }
    Value::String(text.to_string())
}

/// Type a `--set` value exactly as Helm's `strvals` parser does (Helm v3/v4 `typedVal`):
/// `true`, `false` and `null` in any letter case, `0`, and a base-10 64-bit integer that does
/// not start with `0` (a sign is allowed: `-01` is -1, `+5` is 5); anything else is a string.
/// [`typed_value`] is the share-link format's own rule, frozen with it; this one is for what a
/// user types as `helm --set` would read it.
pub fn helm_typed_value(text: &str) -> Value {
    if text.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if text.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if text == "0" {
        return Value::Number(0.into());
    }
    // Go's strconv.ParseInt(s, 10, 64): an optional sign, then ASCII digits.
    let digits = text
        .strip_prefix('-')
        .or_else(|| text.strip_prefix('+'))
        .unwrap_or(text);
    if !text.starts_with('0') && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.trim_start_matches('+').parse::<i64>() {
            return Value::Number(i.into());
        }
    }
    Value::String(text.to_string())
}

/// One assignment of a `helm --set` argument: the left-hand side as written (backslash escapes
/// kept, for [`parse_path`] to read) and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub lhs: String,
    pub value: Value,
}

/// A `--set` argument Helm would refuse, naming the argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetError {
    pub given: String,
    pub problem: String,
}

impl fmt::Display for SetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid --set {:?}: {}", self.given, self.problem)
    }
}

impl std::error::Error for SetError {}

/// Split a `helm --set` argument into its assignments the way Helm's `strvals` parser reads it:
/// `a=1,b=2` is two; a value in braces is a list (`hosts={a,b}`); a backslash makes the next
/// character literal (`\,` in a value, `\.` in a key); an empty value is the empty string; a
/// trailing comma ends the argument. Each value and list item is typed by [`helm_typed_value`],
/// or kept as text when `strings` (`--set-string`).
pub fn parse_set(text: &str, strings: bool) -> Result<Vec<Assignment>, SetError> {
    let bad = |problem: String| SetError {
        given: text.to_string(),
        problem,
    };
    let typed = |t: String| {
        if strings {
            Value::String(t)
        } else {
            helm_typed_value(&t)
        }
    };
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        // The key, up to `=`; its escapes stay for `parse_path`.
        let mut lhs = String::new();
        let mut has_value = false;
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    let Some(n) = chars.next() else {
                        return Err(bad("it ends with a backslash".into()));
                    };
                    lhs.push('\\');
                    lhs.push(n);
                }
                '=' => {
                    has_value = true;
                    break;
                }
                ',' => return Err(bad(format!("key {lhs:?} has no value (cannot end with ,)"))),
                c => lhs.push(c),
            }
        }
        if !has_value {
            if lhs.is_empty() {
                return Ok(out);
            }
            return Err(bad(format!("key {lhs:?} has no value")));
        }
        if lhs.is_empty() {
            return Err(bad("a value has no key before its =".into()));
        }
        // The value: a `{...}` list or text up to the next unescaped comma.
        let value = if chars.peek() == Some(&'{') {
            chars.next();
            let mut items = Vec::new();
            let mut item = String::new();
            loop {
                match chars.next() {
                    None => return Err(bad(format!("the list of {lhs:?} must end with '}}'"))),
                    Some('\\') => match chars.next() {
                        Some(n) => item.push(n),
                        None => return Err(bad("it ends with a backslash".into())),
                    },
                    Some(',') => items.push(typed(std::mem::take(&mut item))),
                    Some('}') => {
                        items.push(typed(std::mem::take(&mut item)));
                        break;
                    }
                    Some(c) => item.push(c),
                }
            }
            if chars.peek() == Some(&',') {
                chars.next();
            }
            Value::Sequence(items)
        } else {
            let mut v = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some(n) => v.push(n),
                        None => return Err(bad("it ends with a backslash".into())),
                    },
                    ',' => break,
                    c => v.push(c),
                }
            }
            typed(v)
        };
        out.push(Assignment { lhs, value });
    }
}

/// A count as the plan and the manifests read one (replicas, autoscaler bounds): an integer
/// or a numeric string, at least 0; `default` when absent or unreadable. One reading for both,
/// so the sum of the manifests stays the plan.
pub fn count_of(v: Option<&Value>, default: i64) -> i64 {
    v.and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    })
    .unwrap_or(default)
    .max(0)
}

/// A quantity held in a values tree: a string (`"500m"`) or a number (`1`, `0.5`).
pub fn quantity_of(v: &Value) -> Result<Quantity, QuantityError> {
    match v {
        Value::String(s) => s.parse(),
        // An integer is its own number of units, written `n` (decimal-SI), as its text parses.
        Value::Number(n) => match n.as_i64().map(|i| i128::from(i) * 1_000_000_000) {
            Some(nanos) => Ok(Quantity::from_nanos(
                nanos,
                crate::base::quantity::Format::DecimalSI,
            )
            .unwrap_or(Quantity::ZERO)),
            None => n.to_string().parse(),
        },
        other => display_value(other).parse(),
    }
}

/// Render a scalar for display (`true`, `3`, `500m`, `[...]` for lists).
pub fn display_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        // `!tag value`, as YAML writes a tagged scalar.
        Value::Tagged(t) => format!("{} {}", t.tag, display_value(&t.value)),
        // Lists and maps as block YAML, through the bundle's writer: the page then needs no
        // YAML emitter of its own (serde_yaml's, with libyaml, is a fifth of its code).
        other => crate::base::yaml::to_yaml(other).trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    /// Scalars as their text; lists and maps as block YAML that reads back as the same value;
    /// a tag before its value.
    #[test]
    fn display_value_writes_scalars_lists_maps_and_tags() {
        for (yaml, shown) in [
            ("500m", "500m"),
            ("3", "3"),
            ("0.5", "0.5"),
            ("true", "true"),
            ("~", "null"),
            ("[a, 'yes', 1]", "- a\n- \"yes\"\n- 1"),
            ("{a: {b: [x]}}", "a:\n  b:\n    - x"),
            ("[]", "[]"),
            ("!t 500m", "!t 500m"),
        ] {
            let v = y(yaml);
            let text = display_value(&v);
            assert_eq!(text, shown, "{yaml}");
            if !matches!(v, Value::Tagged(_) | Value::String(_)) {
                assert_eq!(y(&text), v, "{yaml} reads back");
            }
        }
        // A quantity only from a string or a number; the text of anything else is refused.
        assert!(quantity_of(&y("!t 500m")).is_err());
        assert!(quantity_of(&y("[1]")).is_err());
        assert_eq!(quantity_of(&y("0.5")), "500m".parse());
        // A number is read as its text is, format included (which the canonical text shows).
        for n in [
            "0",
            "1",
            "-5",
            "1024",
            "1000",
            "9223372036854775807",
            "18446744073709551615",
            "1.5",
        ] {
            let read = |v: &Value| quantity_of(v).map(|q| (q.nanos(), q.format(), q.to_string()));
            assert_eq!(read(&y(n)), read(&Value::String(n.to_string())), "{n}");
        }
    }

    #[test]
    fn parses_set_paths() {
        assert_eq!(
            parse_path("ingress.hosts[0].host").unwrap(),
            vec![
                Seg::Key("ingress".into()),
                Seg::Key("hosts".into()),
                Seg::Index(0),
                Seg::Key("host".into())
            ]
        );
        assert_eq!(
            parse_path(r"annotations.cert-manager\.io/cluster-issuer").unwrap(),
            vec![
                Seg::Key("annotations".into()),
                Seg::Key("cert-manager.io/cluster-issuer".into())
            ]
        );
        for bad in ["", "a..b", "a.", "[0]", "a[x]", "a b", "a]", "a[0]b"] {
            let e = parse_path(bad).unwrap_err();
            assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn path_round_trips() {
        for p in ["a.b.c", "a[0].b", r"x.cert-manager\.io/issuer", "a[1][2]"] {
            assert_eq!(format_path(&parse_path(p).unwrap()), p);
        }
    }

    #[test]
    fn keys_with_escapes_brackets_and_spaces_round_trip() {
        // A fuzzed share link held the key `te-lim\\T\]` (backslashes and a bracket): its
        // path was written with the bracket bare, which `parse_path` rejects.
        for key in [
            r"te-lim\\T\]",
            "a]b",
            "a[0",
            r"back\slash",
            "a b",
            "a.b",
            "\\",
            "[]",
        ] {
            let segs = vec![Seg::Key("x".into()), Seg::Key(key.into()), Seg::Index(2)];
            let text = format_path(&segs);
            assert_eq!(
                parse_path(&text).unwrap(),
                segs,
                "{key:?} written as {text:?}"
            );
        }
    }

    #[test]
    fn merge_follows_helm() {
        let mut base = y("a: {b: 1, c: 2}\nl: [1, 2]\nd: 4");
        merge(&mut base, &y("a: {c: 3}\nl: [9]\nd: null"));
        assert_eq!(base, y("a: {b: 1, c: 3}\nl: [9]"));
    }

    #[test]
    fn set_creates_structure() {
        let mut v = y("a: {b: 1}");
        set_path(&mut v, &parse_path("a.c.d").unwrap(), Value::Bool(true));
        set_path(&mut v, &parse_path("l[1]").unwrap(), y("x"));
        assert_eq!(v, y("a: {b: 1, c: {d: true}}\nl: [null, x]"));
    }

    #[test]
    fn typed_values_like_helm() {
        assert_eq!(typed_value("true"), Value::Bool(true));
        assert_eq!(typed_value("3"), y("3"));
        assert_eq!(typed_value("-2"), y("-2"));
        assert_eq!(typed_value("007"), Value::String("007".into()));
        assert_eq!(typed_value("1.5"), Value::String("1.5".into()));
        assert_eq!(typed_value("500m"), Value::String("500m".into()));
        assert_eq!(typed_value("null"), Value::Null);
    }

    #[test]
    fn helm_types_set_values_like_strvals() {
        for (text, want) in [
            ("true", "true"),
            ("TRUE", "true"),
            ("False", "false"),
            ("Null", "null"),
            ("0", "0"),
            ("3", "3"),
            ("-2", "-2"),
            ("+5", "5"),
            ("-01", "-1"),
            ("9223372036854775807", "9223372036854775807"),
        ] {
            assert_eq!(helm_typed_value(text), y(want), "{text}");
        }
        for text in [
            "007",
            "00",
            "1.5",
            "500m",
            "1e3",
            "",
            "-",
            "+",
            " 3",
            "9223372036854775808",
        ] {
            assert_eq!(
                helm_typed_value(text),
                Value::String(text.into()),
                "{text:?}"
            );
        }
    }

    fn sets(text: &str) -> Vec<(String, Value)> {
        parse_set(text, false)
            .unwrap()
            .into_iter()
            .map(|a| (a.lhs, a.value))
            .collect()
    }

    #[test]
    fn set_arguments_split_like_helm() {
        assert_eq!(
            sets("a=1,b.c=x"),
            [("a".into(), y("1")), ("b.c".into(), y("x"))]
        );
        assert_eq!(sets("a=1,"), [("a".into(), y("1"))]);
        assert_eq!(sets(""), []);
        assert_eq!(sets("a="), [("a".into(), y("''"))]);
        assert_eq!(sets("a=x=y"), [("a".into(), y("x=y"))]);
        assert_eq!(sets("a=x\\,y"), [("a".into(), y("x,y"))]);
        assert_eq!(
            sets("l={1,b,true},n=2"),
            [("l".into(), y("[1, b, true]")), ("n".into(), y("2"))]
        );
        assert_eq!(sets("l={}"), [("l".into(), y("['']"))]);
        assert_eq!(sets("a\\.b.c=1"), [("a\\.b.c".into(), y("1"))]);
        assert_eq!(sets("h[0].x=1"), [("h[0].x".into(), y("1"))]);
        assert_eq!(
            parse_set("a=1,b=true", true).unwrap()[1].value,
            Value::String("true".into())
        );
        for (text, problem) in [
            ("a", "key \"a\" has no value"),
            ("a,b=1", "key \"a\" has no value (cannot end with ,)"),
            ("a=1,b", "key \"b\" has no value"),
            ("=1", "a value has no key before its ="),
            ("l={1,2", "the list of \"l\" must end with '}'"),
            ("a=x\\", "it ends with a backslash"),
        ] {
            let e = parse_set(text, false).unwrap_err();
            assert_eq!(e.problem, problem, "{text}");
            assert!(e.to_string().contains(&format!("{text:?}")), "{e}");
        }
    }

    #[test]
    fn leaf_paths_list_leaves() {
        let v = y("a: {b: 1, c: {d: x}}\nl: [1]\ne: {}");
        assert_eq!(leaf_paths(&v), ["a.b", "a.c.d", "l", "e"]);
    }
}

#[cfg(test)]
mod lookup_tests {
    use super::*;
    use serde_yaml::Value;

    #[test]
    fn lookup_is_get_path_of_parse_path() {
        let tree: Value = serde_yaml::from_str(
            "a:\n  b: 1\n  c.d: 2\n  l: [x, {y: 3}]\n  '': 4\n  k y: 5\n'1': one\n",
        )
        .unwrap();
        for p in [
            "a", "a.b", "a.c", "a.c\\.d", "a.l", "a.l[1].y", "a.l[0]", "a..b", ".a", "a.", "", "1",
            "a.k y", "a.b.c", "zz", "a.l.y", "a\\", "a[0]",
        ] {
            let want = parse_path(p).ok().and_then(|s| get_path(&tree, &s));
            assert_eq!(lookup(&tree, p), want, "{p:?}");
        }
        assert_eq!(lookup(&tree, "a.b"), Some(&Value::from(1)));
    }

    #[test]
    fn lookup_in_is_lookup_of_the_joined_path() {
        let tree: Value =
            serde_yaml::from_str("a:\n  b: {c: 1, d.e: 2}\n  l: [x, {y: 3}]\n'a.b': {c: 4}\n")
                .unwrap();
        for prefix in ["a", "a.b", "a\\.b", "a.l[1]", "a.", "", "zz", "a\\"] {
            for rest in ["c", "b.c", "d\\.e", "y", "", ".c", "l[1].y"] {
                let joined = format!("{prefix}.{rest}");
                assert_eq!(
                    lookup_in(&tree, prefix, rest),
                    lookup(&tree, &joined),
                    "{joined:?}"
                );
            }
        }
        assert_eq!(lookup_in(&tree, "a.b", "c"), Some(&Value::from(1)));
    }

    proptest::proptest! {
        /// Walked key by key or parsed, a path finds what its parsed segments find (in a tree
        /// without tags, where the two readings of a map agree), whatever its spelling.
        #[test]
        fn lookup_is_get_path_of_the_parsed_path(
            p in "[a-c.\\\\\\[\\] é0]{0,8}",
            q in "[a-c.\\\\\\[\\]0]{0,6}",
        ) {
            let tree: Value = serde_yaml::from_str(
                "a: {b: {c: 1, a: [x, {c: 2}]}, 'a.b': 3, c: {}}\nb: [0, {a: 4}]\n'a[0]': 5\n'é': {a: 6}\nc: 7\n",
            )
            .unwrap();
            for path in [p.clone(), format!("{p}{q}"), format!("a.{q}"), format!("b[1].{q}")] {
                let parsed = parse_path(&path).ok().and_then(|s| get_path(&tree, &s));
                proptest::prop_assert_eq!(lookup(&tree, &path), parsed, "{:?}", path);
            }
        }

        /// `catalog::path_covers` with its cheap refusals is the rule as written.
        #[test]
        fn path_covers_is_the_rule(a in "[ab.\\[]{0,4}", b in "[ab.\\[]{0,5}") {
            let rule = b == a
                || (b.starts_with(a.as_str())
                    && matches!(b.as_bytes().get(a.len()), Some(b'.') | Some(b'[')));
            proptest::prop_assert_eq!(crate::model::catalog::path_covers(&a, &b), rule);
        }
    }

    /// The scan of small maps finds what `Mapping::get` finds: string keys only (not the number
    /// `1` for `"1"`, nor a tagged string), in maps on both sides of the scan's size limit.
    #[test]
    fn get_key_is_mapping_get() {
        for n in [0, 1, 5, 16, 17, 40] {
            let mut m = Mapping::new();
            for i in 0..n {
                m.insert(Value::from(format!("k{i}")), Value::from(i));
            }
            m.insert(Value::from(1), Value::from("number key"));
            m.insert(
                serde_yaml::from_str::<Value>("!t tagged").unwrap(),
                Value::from("tagged key"),
            );
            for key in [
                "k0", "k4", "k15", "k16", "k39", "k40", "1", "tagged", "", "k",
            ] {
                assert_eq!(get_key(&m, key), m.get(key), "{n} {key:?}");
            }
        }
    }
}
