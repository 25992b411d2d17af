//! A tree built to be written once ([`Node`]): its maps are lists of entries in order (no
//! hashing of keys as a `serde_yaml::Mapping` does, every key being written once), and what it
//! takes from a values tree is borrowed. [`to_yaml`] writes it as [`super::to_yaml`] writes the
//! `serde_yaml::Value` of the same entries, through the same functions.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_yaml::Value;

use super::{emit_item, emit_value, indent, push_key, push_scalar, push_string};

/// A map key: a name, or a key of a values tree.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Key<'v> {
    Name(&'static str),
    Value(&'v Value),
}

/// A value to write.
#[derive(Debug, Clone)]
pub(crate) enum Node<'v> {
    /// Entries in order; the caller writes each key once.
    Map(Vec<(Key<'v>, Node<'v>)>),
    Seq(Vec<Node<'v>>),
    Str(Cow<'v, str>),
    Int(i64),
    Null,
    /// A value of a values tree, as it is.
    Val(&'v Value),
}

/// A map of named entries.
pub(crate) fn map<'v>(entries: impl IntoIterator<Item = (&'static str, Node<'v>)>) -> Node<'v> {
    Node::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Key::Name(k), v))
            .collect(),
    )
}

/// A string that lives as long as the tree.
pub(crate) fn str<'v>(s: impl Into<Cow<'v, str>>) -> Node<'v> {
    Node::Str(s.into())
}

/// [`super::to_yaml`] of the `serde_yaml::Value` with the same entries.
pub(crate) fn to_yaml(n: &Node<'_>) -> String {
    let mut out = String::new();
    match n {
        Node::Map(m) if !m.is_empty() => emit_map(m, 0, false, &mut out),
        Node::Seq(s) if !s.is_empty() => emit_seq(s, 0, &mut out),
        Node::Val(v) => out.push_str(&super::to_yaml(v)),
        other => {
            push_node_scalar(other, &mut out);
            out.push('\n');
        }
    }
    out
}

fn emit_map(m: &[(Key<'_>, Node<'_>)], ind: usize, inline_first: bool, out: &mut String) {
    for (i, (k, v)) in m.iter().enumerate() {
        if !(inline_first && i == 0) {
            indent(out, ind);
        }
        match k {
            Key::Name(k) => push_string(out, k),
            Key::Value(k) => push_key(out, k),
        }
        out.push(':');
        match v {
            Node::Map(c) if !c.is_empty() => {
                out.push('\n');
                emit_map(c, ind + 2, false, out);
            }
            Node::Seq(s) if !s.is_empty() => {
                out.push('\n');
                emit_seq(s, ind + 2, out);
            }
            Node::Val(v) => emit_value(v, ind, false, out),
            other => {
                out.push(' ');
                push_node_scalar(other, out);
                out.push('\n');
            }
        }
    }
}

fn emit_seq(s: &[Node<'_>], ind: usize, out: &mut String) {
    for item in s {
        indent(out, ind);
        out.push('-');
        match item {
            Node::Map(m) if !m.is_empty() => {
                out.push(' ');
                emit_map(m, ind + 2, true, out);
            }
            Node::Seq(inner) if !inner.is_empty() => {
                out.push('\n');
                emit_seq(inner, ind + 2, out);
            }
            Node::Val(v) => emit_item(v, ind, false, out),
            other => {
                out.push(' ');
                push_node_scalar(other, out);
                out.push('\n');
            }
        }
    }
}

/// A scalar node, or an empty map or list (`{}`, `[]`), as [`push_scalar`] writes its value.
fn push_node_scalar(n: &Node<'_>, out: &mut String) {
    match n {
        Node::Str(s) => push_string(out, s),
        Node::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Node::Null => out.push_str("null"),
        Node::Map(_) => out.push_str("{}"),
        Node::Seq(_) => out.push_str("[]"),
        Node::Val(v) => push_scalar(out, v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `v` as nodes: maps and lists as nodes (keys borrowed), strings and integers as
    /// [`Node::Str`] and [`Node::Int`], everything else (and every node below `depth` 0)
    /// borrowed whole.
    fn nodes(v: &Value, depth: usize) -> Node<'_> {
        if depth == 0 {
            return Node::Val(v);
        }
        match v {
            Value::Mapping(m) => Node::Map(
                m.iter()
                    .map(|(k, v)| (Key::Value(k), nodes(v, depth - 1)))
                    .collect(),
            ),
            Value::Sequence(s) => Node::Seq(s.iter().map(|v| nodes(v, depth - 1)).collect()),
            Value::String(s) => str(s.as_str()),
            Value::Number(n) if n.is_i64() => Node::Int(n.as_i64().unwrap_or_default()),
            Value::Null => Node::Null,
            other => Node::Val(other),
        }
    }

    fn tree() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[a-z0-9 :#.-]{0,8}".prop_map(Value::from),
            "[a-z]{1,4}\n[a-z ]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Sequence),
                prop::collection::vec(("[a-z0-9.]{1,5}", inner), 0..4).prop_map(|kv| {
                    Value::Mapping(kv.into_iter().map(|(k, v)| (Value::from(k), v)).collect())
                }),
            ]
        })
    }

    proptest! {
        /// Written as nodes (down to any depth, the rest borrowed), a tree is the text of its
        /// value.
        #[test]
        fn nodes_are_written_as_their_value(v in tree(), depth in 0usize..6) {
            prop_assert_eq!(to_yaml(&nodes(&v, depth)), super::super::to_yaml(&v));
        }
    }

    #[test]
    fn named_entries_and_empty_collections() {
        let n = map([
            ("a", str("x")),
            ("b", Node::Map(Vec::new())),
            (
                "c",
                Node::Seq(vec![map([("d", Node::Int(-3)), ("e", Node::Null)])]),
            ),
            ("f", Node::Seq(Vec::new())),
            ("yes", str("on")),
        ]);
        let v: Value =
            serde_yaml::from_str("{a: x, b: {}, c: [{d: -3, e: null}], f: [], 'yes': 'on'}")
                .unwrap();
        assert_eq!(to_yaml(&n), super::super::to_yaml(&v));
        assert!(to_yaml(&n).ends_with("\"yes\": \"on\"\n"));
    }
}
