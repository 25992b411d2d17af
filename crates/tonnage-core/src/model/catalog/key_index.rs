//! The chart's key index: what kind of value each values path holds ([`field_kind`]), worked
//! out once per chart from the paths its components and volumes declare ([`KindIndex`]) and
//! kept on the [`Chart`]. Configuration checks, share links and imports look every value up here.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_yaml::Value;

#[cfg(test)]
use super::path_covers;
use super::Chart;
use crate::base::values::{get_path, parse_path};

/// What kind of value a path holds, for checking user input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FieldKind {
    Quantity,
    Count,
    Percent,
    Bool,
    Integer,
    Text,
    Any,
}

/// What follows `prefix.` in `path`, if `path` starts with it.
#[cfg(test)]
fn below<'p>(path: &'p str, prefix: &str) -> Option<&'p str> {
    path.strip_prefix(prefix)?.strip_prefix('.')
}

/// What kind of value `path` holds in this chart: a quantity below a component's resources
/// or at a persistence or shared volume's `size`, a count at its replicas or autoscaling
/// bounds, a percentage at an autoscaling target; else the type of the chart's default value.
/// Looked up in the chart's [`KindIndex`] (by each prefix of `path`), so setting many values
/// costs no scan of the components per value: share links and imports set every value they
/// carry through here.
pub fn field_kind(chart: &Chart, path: &str) -> FieldKind {
    if let Some(kind) = chart.kinds().kind(path) {
        return kind;
    }
    default_kind(chart, path)
}

/// The kind of a path no component declares: the type of the chart's default value there.
fn default_kind(chart: &Chart, path: &str) -> FieldKind {
    let Ok(segs) = parse_path(path) else {
        return FieldKind::Any;
    };
    match get_path(&chart.values, &segs) {
        Some(Value::Bool(_)) => FieldKind::Bool,
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => FieldKind::Integer,
        Some(Value::String(_)) => FieldKind::Text,
        _ => FieldKind::Any,
    }
}

/// What a catalog path declares about the values at and below it ([`KindIndex`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A component's `resources`: every path strictly below is a quantity.
    Resources,
    /// A component's `replicas`: that very path is a count.
    Replicas,
    /// A component's `autoscaling`: `minReplicas`/`maxReplicas` below are counts,
    /// `target*Percentage` percentages.
    Autoscaling,
    /// A component's `persistence` or a shared volume's values: `size` below is a quantity.
    Size,
    /// A sidecar's `enabled`: that very path is a bool.
    Switch,
    /// A sidecar `list` of containers: `<list>[i].resources.<requests|limits>.<name>` is a
    /// quantity.
    Containers,
}

/// The value paths a chart's components and volumes declare, by path, each with its rank (the
/// order of the components, and within one: resources, replicas, autoscaling, persistence;
/// then the volumes), so that where two declarations apply, the first one in the catalog file
/// decides, as a scan of the components in order would.
#[derive(Debug, Default)]
pub struct KindIndex {
    paths: BTreeMap<String, Vec<(usize, Role)>>,
}

impl KindIndex {
    pub(crate) fn new(chart: &Chart) -> KindIndex {
        let mut paths: BTreeMap<String, Vec<(usize, Role)>> = BTreeMap::new();
        let mut add = |path: &str, rank: usize, role: Role| {
            paths
                .entry(path.to_string())
                .or_default()
                .push((rank, role));
        };
        for (i, c) in chart.components.iter().enumerate() {
            let v = &c.values;
            let declared = [
                (&v.resources, Role::Resources),
                (&v.replicas, Role::Replicas),
                (&v.autoscaling, Role::Autoscaling),
                (&v.persistence, Role::Size),
            ];
            for (rank, (path, role)) in declared.into_iter().enumerate() {
                if let Some(path) = path {
                    add(path, i * 4 + rank, role);
                }
            }
            // Sidecars' resources and further claim templates (`<map>.size`) rank with the
            // component's own resources and persistence.
            for sc in &v.sidecars {
                if let Some(r) = &sc.resources {
                    add(r, i * 4, Role::Resources);
                }
                if let Some(e) = &sc.enabled {
                    add(e, i * 4, Role::Switch);
                }
                if let Some(l) = &sc.list {
                    add(l, i * 4, Role::Containers);
                }
            }
            for t in &v.claim_templates {
                if let Some(map) = t.size.strip_suffix(".size") {
                    add(map, i * 4 + 3, Role::Size);
                }
            }
        }
        let after = chart.components.len() * 4;
        for (i, vol) in chart.volumes.iter().enumerate() {
            add(&vol.values, after + i, Role::Size);
        }
        KindIndex { paths }
    }

    /// The kind the declarations give `path`, if any: those at `path` itself and at each
    /// prefix of it that ends before a `.` or `[`.
    fn kind(&self, path: &str) -> Option<FieldKind> {
        let mut best: Option<(usize, FieldKind)> = None;
        let mut consider = |rank: usize, kind: Option<FieldKind>| {
            if let Some(kind) = kind {
                if best.is_none_or(|(r, _)| rank < r) {
                    best = Some((rank, kind));
                }
            }
        };
        if let Some(roles) = self.paths.get(path) {
            for &(rank, role) in roles {
                let kind = match role {
                    Role::Replicas => Some(FieldKind::Count),
                    Role::Switch => Some(FieldKind::Bool),
                    _ => None,
                };
                consider(rank, kind);
            }
        }
        for (i, sep) in path.bytes().enumerate() {
            if sep != b'.' && sep != b'[' {
                continue;
            }
            let Some(roles) = self.paths.get(&path[..i]) else {
                continue;
            };
            let rest = &path[i + 1..];
            for &(rank, role) in roles {
                let kind = match role {
                    Role::Resources => Some(FieldKind::Quantity),
                    Role::Replicas => None,
                    Role::Autoscaling if sep == b'.' => {
                        if rest == "minReplicas" || rest == "maxReplicas" {
                            Some(FieldKind::Count)
                        } else if rest.starts_with("target") && path.ends_with("Percentage") {
                            Some(FieldKind::Percent)
                        } else {
                            None
                        }
                    }
                    Role::Size if sep == b'.' && rest == "size" => Some(FieldKind::Quantity),
                    Role::Containers if sep == b'[' && is_container_quantity(rest) => {
                        Some(FieldKind::Quantity)
                    }
                    Role::Autoscaling | Role::Size | Role::Switch | Role::Containers => None,
                };
                consider(rank, kind);
            }
        }
        best.map(|(_, k)| k)
    }
}

/// Whether `rest` (what follows a container list's `[`) is one of an element's resource
/// figures: `<i>].resources.requests.cpu` and the like.
fn is_container_quantity(rest: &str) -> bool {
    let Some((index, field)) = rest.split_once(']') else {
        return false;
    };
    !index.is_empty()
        && index.bytes().all(|b| b.is_ascii_digit())
        && field
            .strip_prefix(".resources.")
            .and_then(|f| f.split_once('.'))
            .is_some_and(|(side, name)| {
                matches!(side, "requests" | "limits") && !name.is_empty() && !name.contains('.')
            })
}

/// The scan of the components that [`KindIndex`] replaces: the rule the index is tested
/// against.
#[cfg(test)]
pub(crate) fn field_kind_by_scan(chart: &Chart, path: &str) -> FieldKind {
    for c in &chart.components {
        let v = &c.values;
        if let Some(r) = &v.resources {
            if path_covers(r, path) && path != r {
                return FieldKind::Quantity;
            }
        }
        if v.replicas.as_deref() == Some(path) {
            return FieldKind::Count;
        }
        if let Some(rest) = v.autoscaling.as_deref().and_then(|a| below(path, a)) {
            if rest == "minReplicas" || rest == "maxReplicas" {
                return FieldKind::Count;
            }
            if rest.starts_with("target") && path.ends_with("Percentage") {
                return FieldKind::Percent;
            }
        }
        if v.persistence.as_deref().and_then(|p| below(path, p)) == Some("size") {
            return FieldKind::Quantity;
        }
        for sc in &v.sidecars {
            if let Some(r) = &sc.resources {
                if path_covers(r, path) && path != r {
                    return FieldKind::Quantity;
                }
            }
            if sc.enabled.as_deref() == Some(path) {
                return FieldKind::Bool;
            }
            if let Some(rest) = sc.list.as_deref().and_then(|l| path.strip_prefix(l)) {
                if rest.strip_prefix('[').is_some_and(is_container_quantity) {
                    return FieldKind::Quantity;
                }
            }
        }
        if v.claim_templates
            .iter()
            .any(|t| t.size == path && path.ends_with(".size"))
        {
            return FieldKind::Quantity;
        }
    }
    for vol in &chart.volumes {
        if below(path, &vol.values) == Some("size") {
            return FieldKind::Quantity;
        }
    }
    default_kind(chart, path)
}
