//! Labels and metadata: the labels the chart's templates write (catalog `render`), or
//! Tonnage's own for a chart without them; selectors, object metadata, and the pool of label
//! maps ([`LabelMaps`]) one rendering reuses.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde_yaml::Value;

use super::context::Ctx;
use crate::model::catalog::render::ChartRender;

/// The component's own labels where the chart's templates write them (catalog `render`): a
/// component's (in a selector, its `selector` where given), or for a shared volume the first
/// component that mounts it.
pub(super) fn own_labels<'a>(
    ctx: &Ctx<'a>,
    id: &str,
    selector: bool,
) -> Option<&'a BTreeMap<String, String>> {
    match ctx.chart.component(id) {
        Some(c) => c.render().map(|r| match &r.selector {
            Some(s) if selector => s,
            _ => &r.labels,
        }),
        None => ctx.chart.volume(id).map(|v| &v.labels),
    }
}

/// `{release}`, `{chart}` and `{name}` (the chart's name, or `nameOverride`: the name helper)
/// of a catalog `render` label.
pub(super) fn fill_label<'s>(ctx: &'s Ctx, v: &'s str) -> &'s str {
    match v {
        "{release}" => &ctx.release,
        "{chart}" => &ctx.chart_label,
        "{name}" => &ctx.name,
        v => v,
    }
}

/// What `{name}` of a label stands for: the chart's name, or `nameOverride` (the name helper).
pub(super) fn name_label(chart: &crate::model::catalog::Chart, values: &Value) -> String {
    crate::base::values::lookup(values, "nameOverride")
        .filter(|v| !v.is_null())
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .unwrap_or(&chart.chart.name)
        .to_string()
}

/// Labels as the chart's templates write them (catalog `render`): the component's, then the
/// chart's (`labels`, or `selector` for a selector and pod template).
pub(super) fn chart_labels(
    ctx: &Ctx,
    render: &ChartRender,
    component: Option<&str>,
    selector: bool,
) -> BTreeMap<String, String> {
    let common = if selector {
        &render.selector
    } else {
        &render.labels
    };
    let own = component.and_then(|c| own_labels(ctx, c, selector));
    let mut pairs: Vec<(&str, &str)> = own
        .into_iter()
        .flatten()
        .chain(common)
        .map(|(k, v)| (k.as_str(), fill_label(ctx, v)))
        .collect();
    // A component the chart's templates do not write (a subchart's) keeps Tonnage's component
    // label, so that its selector stays its own.
    if let Some(c) = component.filter(|c| own.is_none() && ctx.chart.component(c).is_some()) {
        pairs.insert(0, ("app.kubernetes.io/component", c));
    }
    // The values' labels (`global.labels`) come last and win, as in the helper's YAML.
    let from: Vec<(String, String)> = match render.labels_from.as_deref().filter(|_| !selector) {
        Some(p) => ctx.string_map(p).into_iter().collect(),
        None => Vec::new(),
    };
    pairs.retain(|(k, _)| !from.iter().any(|(f, _)| f == k));
    pairs.extend(from.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    ctx.labels.map(&pairs)
}

/// The templates' facts for a component's objects: its release's where it is another chart's
/// release (`render.release`), else the chart's.
pub(super) fn chart_render<'a>(ctx: &Ctx<'a>, component: Option<&str>) -> Option<&'a ChartRender> {
    component
        .and_then(|id| ctx.chart.component(id))
        .and_then(|c| c.render()?.release.as_ref())
        .or(ctx.chart.render())
}

pub(super) fn labels(ctx: &Ctx, component: Option<&str>) -> BTreeMap<String, String> {
    if let Some(r) = chart_render(ctx, component) {
        return chart_labels(ctx, r, component, false);
    }
    // The application the release belongs to: the guides give each stack its own namespace
    // (both Cauldron charts share `cauldron`), so the namespace names it.
    let common = [
        ("app.kubernetes.io/name", ctx.chart.chart.name.as_str()),
        ("app.kubernetes.io/instance", ctx.release.as_str()),
        ("app.kubernetes.io/part-of", ctx.namespace.as_str()),
        ("app.kubernetes.io/managed-by", "Helm"),
        ("helm.sh/chart", ctx.chart_label.as_str()),
    ];
    match component {
        Some(c) => {
            let [a, b, d, e, f] = common;
            ctx.labels
                .map(&[a, b, ("app.kubernetes.io/component", c), d, e, f])
        }
        None => ctx.labels.map(&common),
    }
}

pub(super) fn selector_labels(ctx: &Ctx, component: &str) -> BTreeMap<String, String> {
    if let Some(r) = chart_render(ctx, Some(component)) {
        return chart_labels(ctx, r, Some(component), true);
    }
    ctx.labels.map(&[
        ("app.kubernetes.io/name", ctx.chart.chart.name.as_str()),
        ("app.kubernetes.io/instance", ctx.release.as_str()),
        ("app.kubernetes.io/component", component),
    ])
}

/// Label maps of the objects already written, for the next ones: label maps are the commonest
/// allocation of a rendering (a map and two strings per label, several maps per object), so once an
/// object is written its maps come back here ([`Sink::push`](super::output::Sink::push)) and
/// [`Self::map`] fills one with the labels the next object needs instead of allocating a new one.
/// Only memory is reused: every label is written again, and one rendering's maps are not kept after
/// it.
#[derive(Default)]
pub(super) struct LabelMaps(std::cell::RefCell<Vec<BTreeMap<String, String>>>);

impl LabelMaps {
    /// At most this many maps wait for reuse.
    const KEEP: usize = 32;

    /// A map of `labels` (the last of a repeated key winning, as collecting them does): a
    /// returned one with the same keys, its values rewritten, or a new one.
    pub(super) fn map(&self, labels: &[(&str, &str)]) -> BTreeMap<String, String> {
        // The labels in the map's order (stable: a repeated key's entries stay in order), then
        // each key's last: the map's entries, so a kept map is compared and rewritten in one
        // pass over its entries.
        let mut on_stack = [("", ""); 16];
        let mut on_heap;
        let sorted: &mut [(&str, &str)] = if labels.len() <= on_stack.len() {
            on_stack[..labels.len()].copy_from_slice(labels);
            &mut on_stack[..labels.len()]
        } else {
            on_heap = labels.to_vec();
            &mut on_heap
        };
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        let mut n = 0;
        for i in 0..sorted.len() {
            if sorted.get(i + 1).is_some_and(|next| next.0 == sorted[i].0) {
                continue;
            }
            sorted[n] = sorted[i];
            n += 1;
        }
        let entries = &sorted[..n];
        let mut kept = self.0.borrow_mut();
        let same_keys = kept.iter().position(|m| {
            m.len() == entries.len() && m.keys().zip(entries).all(|(k, (l, _))| k == l)
        });
        match same_keys {
            Some(i) => {
                let mut m = kept.swap_remove(i);
                for (old, (_, v)) in m.values_mut().zip(entries) {
                    if old != v {
                        old.clear();
                        old.push_str(v);
                    }
                }
                m
            }
            None => entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// Takes back a map an object no longer needs.
    pub(super) fn give(&self, m: Option<BTreeMap<String, String>>) {
        let mut kept = self.0.borrow_mut();
        if let Some(m) = m.filter(|_| kept.len() < Self::KEEP) {
            kept.push(m);
        }
    }

    pub(super) fn give_selector(&self, s: Option<&mut LabelSelector>) {
        if let Some(s) = s {
            self.give(s.match_labels.take());
        }
    }

    pub(super) fn give_meta(&self, m: Option<&mut ObjectMeta>) {
        if let Some(m) = m {
            self.give(m.labels.take());
        }
    }

    /// A pod template's labels and the selectors of its affinity and spread constraints.
    pub(super) fn give_pod(&self, t: &mut PodTemplateSpec) {
        self.give_meta(t.metadata.as_mut());
        let Some(spec) = t.spec.as_mut() else { return };
        if let Some(anti) = spec
            .affinity
            .as_mut()
            .and_then(|a| a.pod_anti_affinity.as_mut())
        {
            for term in anti
                .required_during_scheduling_ignored_during_execution
                .iter_mut()
                .flatten()
            {
                self.give_selector(term.label_selector.as_mut());
            }
            for w in anti
                .preferred_during_scheduling_ignored_during_execution
                .iter_mut()
                .flatten()
            {
                self.give_selector(w.pod_affinity_term.label_selector.as_mut());
            }
        }
        for c in spec.topology_spread_constraints.iter_mut().flatten() {
            self.give_selector(c.label_selector.as_mut());
        }
    }
}

pub(super) fn meta(ctx: &Ctx, name: &str, component: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: ctx.prints_namespace.then(|| ctx.namespace.clone()),
        labels: Some(labels(ctx, component)),
        ..Default::default()
    }
}

pub(super) fn match_labels(l: BTreeMap<String, String>) -> LabelSelector {
    LabelSelector {
        match_labels: Some(l),
        ..Default::default()
    }
}

pub(super) fn component_selector(ctx: &Ctx, component: &str) -> LabelSelector {
    match_labels(selector_labels(ctx, component))
}

/// A DNS-1123 label from arbitrary text (volume names).
pub(super) fn dns_label(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        let c = ch.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out: String = out.chars().take(63).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "x".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs() -> impl Strategy<Value = Vec<(&'static str, &'static str)>> {
        let keys = prop::sample::select(vec!["a", "b", "app/c", "d", "e.f", "b2"]);
        let values = prop::sample::select(vec!["x", "y", "", "release"]);
        prop::collection::vec((keys, values), 0..20)
    }

    proptest! {
        /// Fresh or reused, a map holds the labels as collecting them does (the last of a
        /// repeated key winning), whatever maps were given back before.
        #[test]
        fn a_map_holds_the_labels_collected(lists in prop::collection::vec(pairs(), 1..8)) {
            let maps = LabelMaps::default();
            for labels in &lists {
                let want: BTreeMap<String, String> = labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                let got = maps.map(labels);
                prop_assert_eq!(&got, &want);
                maps.give(Some(got));
            }
        }
    }
}
