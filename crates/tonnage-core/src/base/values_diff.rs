//! The difference of two values trees as what Helm's merge ([`crate::base::values::merge`])
//! must layer on the first to get the second, as a tree ([`values_diff`]) or written straight
//! to YAML ([`diff_yaml`]).

use serde_yaml::{Mapping, Value};

use crate::base::values::get_key;
use crate::base::yaml::node::{Key, Node};
use crate::base::yaml::{emit_entry, indent, push_key, to_yaml};

/// What to layer on `base` with Helm's merge ([`crate::base::values::merge`]) to get `target`: maps
/// recursively, anything else (a list, a scalar) whole where it differs, and `null` for a key of
/// `base` that `target` lacks. A `null` in `target` where `base` has nothing is left out (Helm
/// treats a null value as absent).
pub fn values_diff(base: &Value, target: &Value) -> Value {
    match (base, target) {
        (Value::Mapping(b), Value::Mapping(t)) => {
            let mut out = Mapping::new();
            for (k, tv) in t {
                match entry(b, k) {
                    // Equal maps give an empty diff: no need to compare them first.
                    Some(bv) if bv.is_mapping() && tv.is_mapping() => {
                        let d = values_diff(bv, tv);
                        if d.as_mapping().is_some_and(|m| !m.is_empty()) {
                            out.insert(k.clone(), d);
                        }
                    }
                    Some(bv) if bv == tv => {}
                    Some(_) => {
                        out.insert(k.clone(), tv.clone());
                    }
                    None if tv.is_null() => {}
                    None => {
                        out.insert(k.clone(), tv.clone());
                    }
                }
            }
            for (k, bv) in b {
                if entry(t, k).is_none() && !bv.is_null() {
                    out.insert(k.clone(), Value::Null);
                }
            }
            Value::Mapping(out)
        }
        _ => target.clone(),
    }
}

/// [`values_diff`] of two maps as the entries of a [`Node`] map, in the same order: a nested
/// diff as its own entries, what the diff would copy borrowed from `t`.
pub(crate) fn diff_entries<'v>(b: &'v Mapping, t: &'v Mapping) -> Vec<(Key<'v>, Node<'v>)> {
    let mut out = Vec::new();
    for (k, tv) in t {
        match entry(b, k) {
            Some(bv) if bv.is_mapping() && tv.is_mapping() => match (bv, tv) {
                (Value::Mapping(bm), Value::Mapping(tm)) => {
                    let d = diff_entries(bm, tm);
                    if !d.is_empty() {
                        out.push((Key::Value(k), Node::Map(d)));
                    }
                }
                // Tagged maps: `values_diff` gives the target whole.
                _ => {
                    if tv.as_mapping().is_some_and(|m| !m.is_empty()) {
                        out.push((Key::Value(k), Node::Val(tv)));
                    }
                }
            },
            Some(bv) if bv == tv => {}
            None if tv.is_null() => {}
            Some(_) | None => out.push((Key::Value(k), Node::Val(tv))),
        }
    }
    for (k, bv) in b {
        if entry(t, k).is_none() && !bv.is_null() {
            out.push((Key::Value(k), Node::Null));
        }
    }
    out
}

/// `to_yaml(&values_diff(base, target))`, written as the diff is worked out instead of
/// building it first: an entry is written where the diff would hold it, and a nested map's
/// entry is taken back when nothing of it differs.
pub fn diff_yaml(base: &Value, target: &Value) -> String {
    match (base, target) {
        (Value::Mapping(b), Value::Mapping(t)) => {
            let mut out = String::new();
            emit_diff_map(b, t, 0, &mut out);
            if out.is_empty() {
                out.push_str("{}\n");
            }
            out
        }
        _ => to_yaml(&values_diff(base, target)),
    }
}

/// The entries of `values_diff` of two maps at `ind` spaces, as [`to_yaml`] writes them.
fn emit_diff_map(b: &Mapping, t: &Mapping, ind: usize, out: &mut String) {
    for (k, tv) in t {
        match entry(b, k) {
            Some(bv) if bv.is_mapping() && tv.is_mapping() => match (bv, tv) {
                (Value::Mapping(bm), Value::Mapping(tm)) => {
                    let mark = out.len();
                    indent(out, ind);
                    push_key(out, k);
                    out.push_str(":\n");
                    let body = out.len();
                    emit_diff_map(bm, tm, ind + 2, out);
                    if out.len() == body {
                        out.truncate(mark);
                    }
                }
                // Tagged maps: as the diff itself has them.
                _ => {
                    let d = values_diff(bv, tv);
                    if d.as_mapping().is_some_and(|m| !m.is_empty()) {
                        indent(out, ind);
                        emit_entry(k, &d, ind, false, out);
                    }
                }
            },
            Some(bv) if bv == tv => {}
            None if tv.is_null() => {}
            Some(_) | None => {
                indent(out, ind);
                emit_entry(k, tv, ind, false, out);
            }
        }
    }
    for (k, bv) in b {
        if entry(t, k).is_none() && !bv.is_null() {
            indent(out, ind);
            emit_entry(k, &Value::Null, ind, false, out);
        }
    }
}

/// `m.get(k)`, string keys through [`crate::base::values::get_key`].
fn entry<'v>(m: &'v Mapping, k: &Value) -> Option<&'v Value> {
    match k {
        Value::String(s) => get_key(m, s),
        _ => m.get(k),
    }
}
