//! The architecture diagram: components as boxes in a layered graph (a dependant left of what
//! it needs, `diagram_layout`), a frame per stack, arrows routed around the boxes. Pure layout
//! in integer pixels; the front ends draw it (SVG in the page).

use serde::Serialize;

use crate::compute::diagram_layout::{layered, Item, Metrics};
use crate::compute::plan::Plan;
use crate::configuration::config::Configuration;
use crate::model::catalog::Catalog;

/// The narrowest box; boxes widen to their longest label up to [`MAX_BOX_W`].
pub const BOX_W: i64 = 180;
pub const MAX_BOX_W: i64 = 280;
pub const BOX_H: i64 = 56;
/// The page draws the name at 15 px and the line below at 13 px: about this many pixels per
/// character (system sans-serif, the name semi-bold), so a label's width is known here.
const NAME_CHAR_W: i64 = 9;
const META_CHAR_W: i64 = 8;
const TEXT_PAD: i64 = 24;
const METRICS: Metrics = Metrics {
    box_w: BOX_W,
    gap_x: 80,
    gap_y: 18,
    lane_h: 10,
    margin: 12,
    cluster_head: 30,
    cluster_pad: 14,
};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Node {
    pub stack: String,
    pub id: String,
    /// The full name (the page's tooltip); `label` is what fits the box.
    pub name: String,
    pub label: String,
    pub role: String,
    pub enabled: bool,
    /// "2" or "3-10" (baseline-peak) or "off".
    pub replicas: String,
    pub stateful: bool,
    pub x: i64,
    pub y: i64,
}

impl Node {
    /// The line under the name: role, replicas, whether it keeps data.
    pub fn meta(&self) -> String {
        format!(
            "{} · ×{}{}",
            self.role,
            self.replicas,
            if self.stateful { " · data" } else { "" }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Edge {
    /// Index into `nodes` of the component that depends on...
    pub from: usize,
    /// ...this one.
    pub to: usize,
    /// The target is switched off: the dependency is broken (or external).
    pub broken: bool,
    /// The route from the dependant to the dependency: horizontal through the layers it
    /// crosses, straight across the free gaps between layers; never through a box.
    pub points: Vec<(i64, i64)>,
}

/// The frame around one stack's components.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Cluster {
    pub stack: String,
    pub name: String,
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagram {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub clusters: Vec<Cluster>,
    /// Every box's width (the longest label's, within [`BOX_W`]..[`MAX_BOX_W`]).
    pub box_w: i64,
    pub width: i64,
    pub height: i64,
}

/// Column of a role: 0 entry, 1 services, 2 workers, 3 data and messaging. The layout's layers
/// come from the dependencies; a component joined to none sits in its tier's layer.
pub fn tier(role: &str) -> usize {
    match role {
        "frontend" | "gateway" => 0,
        "app" | "adapter" | "ml" | "realtime" => 1,
        "worker" | "consumer" | "scheduler" => 2,
        _ => 3,
    }
}

/// `name` cut to `chars` characters with an ellipsis when longer.
fn fit_label(name: &str, chars: usize) -> String {
    if name.chars().count() <= chars {
        return name.to_string();
    }
    let mut s: String = name.chars().take(chars.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Lay out the configuration's components: a layered graph (dependants left of what they
/// need, see `diagram_layout`), one cluster per stack. Deterministic.
pub fn layout(catalog: &Catalog, config: &Configuration, plan: &Plan) -> Diagram {
    let mut nodes = Vec::new();
    let mut cluster_of = Vec::new();
    let mut clusters = Vec::new();
    for stack in &config.stacks {
        let Some(chart) = catalog.chart(stack) else {
            continue;
        };
        let ci = clusters.len();
        clusters.push(Cluster {
            stack: chart.id.clone(),
            name: chart.name.clone(),
            x: 0,
            y: 0,
            w: 0,
            h: 0,
        });
        for c in &chart.components {
            let p = plan
                .components
                .iter()
                .find(|p| p.stack == chart.id && p.id == c.id);
            let (enabled, replicas) = match p {
                Some(p) if p.enabled => (
                    true,
                    if p.replicas.baseline == p.replicas.peak {
                        p.replicas.baseline.to_string()
                    } else {
                        format!("{}-{}", p.replicas.baseline, p.replicas.peak)
                    },
                ),
                _ => (false, "off".to_string()),
            };
            cluster_of.push(ci);
            nodes.push(Node {
                stack: chart.id.clone(),
                id: c.id.clone(),
                name: c.name.clone(),
                label: c.name.clone(),
                role: c.role.clone(),
                enabled,
                replicas,
                stateful: c.is_stateful(),
                x: 0,
                y: 0,
            });
        }
    }
    // One width for every box: the longest label's, capped (longer names get an ellipsis).
    let need = nodes
        .iter()
        .map(|n| {
            let name = n.name.chars().count() as i64 * NAME_CHAR_W;
            let meta = n.meta().chars().count() as i64 * META_CHAR_W;
            name.max(meta) + TEXT_PAD
        })
        .max()
        .unwrap_or(BOX_W);
    let box_w = need.clamp(BOX_W, MAX_BOX_W);
    let name_chars = ((box_w - TEXT_PAD) / NAME_CHAR_W).max(1) as usize;
    for n in &mut nodes {
        n.label = fit_label(&n.name, name_chars);
    }
    let mut pairs = Vec::new();
    let mut broken = Vec::new();
    for (from, n) in nodes.iter().enumerate() {
        let Some(c) = catalog.chart(&n.stack).and_then(|ch| ch.component(&n.id)) else {
            continue;
        };
        for d in &c.depends_on {
            let (stack, id) = d.split_once('/').unwrap_or((n.stack.as_str(), d.as_str()));
            if let Some(to) = nodes.iter().position(|m| m.stack == stack && m.id == id) {
                pairs.push((from, to));
                broken.push(n.enabled && !nodes[to].enabled);
            }
        }
    }
    let items: Vec<Item> = cluster_of
        .iter()
        .map(|&cluster| Item { cluster, h: BOX_H })
        .collect();
    let hint: Vec<usize> = nodes.iter().map(|n| tier(&n.role)).collect();
    let placed = layered(&items, &pairs, &hint, Metrics { box_w, ..METRICS });
    for (n, &(x, y)) in nodes.iter_mut().zip(&placed.at) {
        n.x = x;
        n.y = y;
    }
    for (c, &(x, y, w, h)) in clusters.iter_mut().zip(&placed.clusters) {
        (c.x, c.y, c.w, c.h) = (x, y, w, h);
    }
    clusters.retain(|c| c.w > 0);
    let edges = pairs
        .iter()
        .zip(broken)
        .zip(placed.routes)
        .map(|((&(from, to), broken), points)| Edge {
            from,
            to,
            broken,
            points,
        })
        .collect();
    Diagram {
        nodes,
        edges,
        clusters,
        box_w,
        width: placed.width,
        height: placed.height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::plan::plan;

    #[test]
    fn rhesis_has_its_guide_architecture() {
        let cat = Catalog::builtin();
        let c = Configuration::new(cat, &["rhesis"], "local").unwrap();
        let d = layout(cat, &c, &plan(cat, &c));
        assert_eq!(d.nodes.len(), 5);
        let idx = |id: &str| d.nodes.iter().position(|n| n.id == id).unwrap();
        // Frontend -> Backend -> PostgreSQL; Worker -> Redis (the guide's diagram).
        assert!(d
            .edges
            .iter()
            .any(|e| e.from == idx("backend") && e.to == idx("postgresql")));
        assert!(d
            .edges
            .iter()
            .any(|e| e.from == idx("worker") && e.to == idx("redis")));
        assert!(d.nodes[idx("frontend")].x < d.nodes[idx("backend")].x);
        assert!(d.nodes[idx("backend")].x < d.nodes[idx("postgresql")].x);
        // No two boxes overlap.
        for (i, a) in d.nodes.iter().enumerate() {
            for b in &d.nodes[i + 1..] {
                assert!(
                    a.x != b.x || (a.y - b.y).abs() >= BOX_H,
                    "{} overlaps {}",
                    a.id,
                    b.id
                );
            }
            assert!(a.x + d.box_w <= d.width && a.y + BOX_H <= d.height);
        }
    }

    #[test]
    fn cross_chart_edges_and_broken_dependencies() {
        let cat = Catalog::builtin();
        let mut c = Configuration::new(cat, &["cauldron-infra", "cauldron-frappe"], "dev").unwrap();
        let d = layout(cat, &c, &plan(cat, &c));
        let web = d.nodes.iter().position(|n| n.id == "web").unwrap();
        assert!(d
            .edges
            .iter()
            .any(|e| e.from == web && d.nodes[e.to].stack == "cauldron-infra"));
        assert!(d.edges.iter().all(|e| !e.broken));
        c.set_str(cat, "cauldron-infra:postgresql.enabled=false")
            .unwrap();
        let d = layout(cat, &c, &plan(cat, &c));
        assert!(
            d.edges.iter().any(|e| e.broken),
            "web -> postgresql is broken when it is off"
        );
    }

    /// Whether segment p-q passes through the inside of the rectangle (its border excluded).
    fn crosses(p: (i64, i64), q: (i64, i64), r: (i64, i64, i64, i64)) -> bool {
        // Liang-Barsky clipping against the open rectangle, exact in rationals via f64 of
        // small integers.
        let (x0, y0, x1, y1) = (
            r.0 as f64,
            r.1 as f64,
            (r.0 + r.2) as f64,
            (r.1 + r.3) as f64,
        );
        let (dx, dy) = ((q.0 - p.0) as f64, (q.1 - p.1) as f64);
        let (mut t0, mut t1) = (0f64, 1f64);
        for (pp, qq) in [
            (-dx, p.0 as f64 - x0),
            (dx, x1 - p.0 as f64),
            (-dy, p.1 as f64 - y0),
            (dy, y1 - p.1 as f64),
        ] {
            if pp == 0.0 {
                if qq <= 0.0 {
                    return false;
                }
            } else {
                let t = qq / pp;
                if pp < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
        t1 - t0 > 1e-9
    }

    /// Every configuration the page can show (each stack alone, each pair, all), in every
    /// environment they share: no edge runs through a box it does not connect, no two boxes
    /// overlap, clusters do not overlap and hold their boxes, labels fit.
    #[test]
    fn no_edge_crosses_a_box_it_does_not_connect() {
        let cat = Catalog::builtin();
        let ids: Vec<&str> = cat.charts.iter().map(|c| c.id.as_str()).collect();
        let mut sets: Vec<Vec<&str>> = ids.iter().map(|i| vec![*i]).collect();
        for (k, a) in ids.iter().enumerate() {
            for b in &ids[k + 1..] {
                sets.push(vec![*a, *b]);
            }
        }
        sets.push(ids.clone());
        let mut checked = 0;
        for set in sets {
            let first = cat.chart(set[0]).unwrap();
            for env in &first.environments {
                let Ok(c) = Configuration::new(cat, &set, &env.id) else {
                    continue;
                };
                let d = layout(cat, &c, &plan(cat, &c));
                let rect = |n: &Node| (n.x, n.y, d.box_w, BOX_H);
                for e in &d.edges {
                    assert!(e.points.len() >= 2, "{set:?} {env:?}", env = env.id);
                    for w in e.points.windows(2) {
                        for (k, n) in d.nodes.iter().enumerate() {
                            if k == e.from || k == e.to {
                                continue;
                            }
                            assert!(
                                !crosses(w[0], w[1], rect(n)),
                                "{set:?}/{}: edge {} -> {} crosses {}",
                                env.id,
                                d.nodes[e.from].id,
                                d.nodes[e.to].id,
                                n.id
                            );
                        }
                    }
                    // It starts on its dependant's side and ends on its dependency's.
                    let (a, b) = (&d.nodes[e.from], &d.nodes[e.to]);
                    let on_side = |p: (i64, i64), n: &Node| {
                        (p.0 == n.x || p.0 == n.x + d.box_w) && p.1 >= n.y && p.1 <= n.y + BOX_H
                    };
                    assert!(on_side(e.points[0], a) && on_side(*e.points.last().unwrap(), b));
                    checked += 1;
                }
                for (i, a) in d.nodes.iter().enumerate() {
                    for b in &d.nodes[i + 1..] {
                        let apart = a.x + d.box_w <= b.x
                            || b.x + d.box_w <= a.x
                            || a.y + BOX_H <= b.y
                            || b.y + BOX_H <= a.y;
                        assert!(apart, "{set:?}: {} overlaps {}", a.id, b.id);
                    }
                    assert!(a.label.chars().count() as i64 * NAME_CHAR_W + TEXT_PAD <= d.box_w);
                    let home = d.clusters.iter().find(|c| c.stack == a.stack).unwrap();
                    assert!(
                        a.x >= home.x
                            && a.y >= home.y
                            && a.x + d.box_w <= home.x + home.w
                            && a.y + BOX_H <= home.y + home.h
                    );
                }
                for (i, a) in d.clusters.iter().enumerate() {
                    for b in &d.clusters[i + 1..] {
                        assert!(
                            a.y + a.h <= b.y || b.y + b.h <= a.y,
                            "{set:?}: clusters overlap"
                        );
                    }
                }
            }
        }
        assert!(checked > 100, "{checked} edges checked");
    }

    #[test]
    fn crossing_test_can_fail() {
        assert!(crosses((0, 5), (20, 5), (5, 0, 10, 10)));
        assert!(!crosses((0, 0), (20, 0), (5, 0, 10, 10)));
        assert!(!crosses((0, 20), (20, 20), (5, 0, 10, 10)));
        assert!(crosses((0, 0), (20, 20), (5, 0, 10, 10)));
    }

    #[test]
    fn rhesis_backend_edges_do_not_run_through_the_worker() {
        let cat = Catalog::builtin();
        let c = Configuration::new(cat, &["rhesis"], "prod").unwrap();
        let d = layout(cat, &c, &plan(cat, &c));
        let idx = |id: &str| d.nodes.iter().position(|n| n.id == id).unwrap();
        // Dependants left of their dependencies.
        for e in &d.edges {
            assert!(d.nodes[e.from].x < d.nodes[e.to].x, "{e:?}");
        }
        assert!(d.nodes[idx("frontend")].x < d.nodes[idx("backend")].x);
    }
}
