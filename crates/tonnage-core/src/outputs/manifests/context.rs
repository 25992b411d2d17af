//! Reading the values tree: the rendering context [`Ctx`] of one chart (its catalog entry,
//! effective values, release and namespace) and its readers, which read a figure as the plan
//! reads it ([`ValuesPath`]: a path, or a prefix and what follows it).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde_yaml::Value;

use super::labels::LabelMaps;
use crate::base::quantity::Quantity;
use crate::base::values::{count_of, display_value, lookup, quantity_of};
use crate::model::catalog::{Chart, Component};

/// A values path for the [`Ctx`] readers: its text, or a prefix and what follows its dot
/// (`(p, "size")` for `{p}.size`), which is looked up without building the text
/// ([`crate::base::values::lookup_in`]): the readers run for every figure of every object.
pub(super) trait ValuesPath {
    fn find<'v>(&self, root: &'v Value) -> Option<&'v Value>;
}

impl ValuesPath for &str {
    fn find<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        lookup(root, self)
    }
}

impl ValuesPath for &String {
    fn find<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        lookup(root, self)
    }
}

impl<P: AsRef<str>> ValuesPath for (P, &str) {
    fn find<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        crate::base::values::lookup_in(root, self.0.as_ref(), self.1)
    }
}

pub(super) struct Ctx<'a> {
    pub(super) chart: &'a Chart,
    pub(super) values: Cow<'a, Value>,
    pub(super) release: String,
    pub(super) namespace: String,
    /// Whether the chart's templates write `metadata.namespace` (catalog `render.no_namespace`).
    pub(super) prints_namespace: bool,
    /// The `helm.sh/chart` label: `<chart name>-<version>`.
    pub(super) chart_label: String,
    /// What a label's `{name}` stands for ([`super::labels::name_label`]).
    pub(super) name: String,
    /// Label maps to reuse, shared with the [`Sink`](super::output::Sink).
    pub(super) labels: Rc<LabelMaps>,
}

impl Ctx<'_> {
    /// The value at `path`, `None` when absent or null (as the plan reads it).
    pub(super) fn get(&self, path: impl ValuesPath) -> Option<&Value> {
        path.find(&self.values).filter(|v| !v.is_null())
    }

    /// A scalar as text; `None` when absent, null, a map or a list, or empty.
    pub(super) fn text(&self, path: impl ValuesPath) -> Option<String> {
        match self.get(path)? {
            Value::Mapping(_) | Value::Sequence(_) => None,
            v => Some(display_value(v)).filter(|s| !s.is_empty()),
        }
    }

    /// The plan's reading of a bool: a bool, or the string "true"; else `default`.
    pub(super) fn bool_at(&self, path: impl ValuesPath, default: bool) -> bool {
        match self.get(path) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => default,
        }
    }

    /// The plan's reading of a count: an integer or a numeric string, at least 0.
    pub(super) fn count_at(&self, path: impl ValuesPath, default: i64) -> i64 {
        count_of(self.get(path), default)
    }

    pub(super) fn int_at(&self, path: impl ValuesPath) -> Option<i64> {
        self.get(path).and_then(Value::as_i64)
    }

    /// A non-negative quantity, `None` when absent or malformed.
    pub(super) fn quantity_at(&self, path: impl ValuesPath) -> Option<Quantity> {
        self.get(path)
            .and_then(|v| quantity_of(v).ok())
            .filter(|q| !q.is_negative())
    }

    pub(super) fn list(&self, path: impl ValuesPath) -> Vec<&Value> {
        match self.get(path) {
            Some(Value::Sequence(s)) => s.iter().filter(|v| !v.is_null()).collect(),
            _ => Vec::new(),
        }
    }

    /// A map of scalars as text (annotations), in the tree's order.
    pub(super) fn string_map(&self, path: impl ValuesPath) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if let Some(Value::Mapping(m)) = self.get(path) {
            for (k, v) in m {
                if v.is_null() || v.is_mapping() || v.is_sequence() {
                    continue;
                }
                out.insert(display_value(k), display_value(v));
            }
        }
        out
    }

    pub(super) fn has(&self, path: impl ValuesPath) -> bool {
        self.get(path).is_some()
    }

    /// [`Self::text`], but `None` for a key no template of the real chart reads (`dead`).
    pub(super) fn live_text(&self, path: &str) -> Option<String> {
        if self.chart.is_dead(path) {
            None
        } else {
            self.text(path)
        }
    }

    pub(super) fn component(&self, id: &str) -> Option<&Component> {
        self.chart.component(id)
    }
}

/// Text of a value in a sequence or map entry.
pub(super) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Null | Value::Mapping(_) | Value::Sequence(_) => None,
        v => Some(display_value(v)).filter(|s| !s.is_empty()),
    }
}

pub(super) fn entry<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.as_mapping()
        .and_then(|m| m.get(key))
        .filter(|v| !v.is_null())
}
