//! The architecture diagram: components as boxes in columns by tier (entry, services, workers,
//! data and messaging), arrows for dependencies. Pure layout in integer pixels; the front ends
//! draw it (SVG in the page).

use serde::Serialize;

use crate::compute::plan::Plan;
use crate::configuration::config::Configuration;
use crate::model::catalog::Catalog;

pub const BOX_W: i64 = 170;
pub const BOX_H: i64 = 54;
const GAP_X: i64 = 70;
const GAP_Y: i64 = 18;
const MARGIN: i64 = 12;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Node {
    pub stack: String,
    pub id: String,
    pub name: String,
    pub role: String,
    pub enabled: bool,
    /// "2" or "3-10" (baseline-peak) or "off".
    pub replicas: String,
    pub stateful: bool,
    pub x: i64,
    pub y: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Edge {
    /// Index into `nodes` of the component that depends on...
    pub from: usize,
    /// ...this one.
    pub to: usize,
    /// The target is switched off: the dependency is broken (or external).
    pub broken: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagram {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub width: i64,
    pub height: i64,
}

/// Column of a role: 0 entry, 1 services, 2 workers, 3 data and messaging.
pub fn tier(role: &str) -> usize {
    match role {
        "frontend" | "gateway" => 0,
        "app" | "adapter" | "ml" | "realtime" => 1,
        "worker" | "consumer" | "scheduler" => 2,
        _ => 3,
    }
}

/// Lay out the configuration's components. Deterministic: catalog order within a column.
pub fn layout(catalog: &Catalog, config: &Configuration, plan: &Plan) -> Diagram {
    let mut columns: [Vec<Node>; 4] = Default::default();
    for stack in &config.stacks {
        let Some(chart) = catalog.chart(stack) else {
            continue;
        };
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
            columns[tier(&c.role)].push(Node {
                stack: chart.id.clone(),
                id: c.id.clone(),
                name: c.name.clone(),
                role: c.role.clone(),
                enabled,
                replicas,
                stateful: c.is_stateful(),
                x: 0,
                y: 0,
            });
        }
    }
    let used: Vec<usize> = (0..4).filter(|i| !columns[*i].is_empty()).collect();
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(0) as i64;
    let height = MARGIN * 2 + tallest * BOX_H + (tallest - 1).max(0) * GAP_Y;
    let mut nodes = Vec::new();
    for (col, &i) in used.iter().enumerate() {
        let n = columns[i].len() as i64;
        let column_h = n * BOX_H + (n - 1).max(0) * GAP_Y;
        let top = MARGIN + (height - 2 * MARGIN - column_h) / 2;
        for (row, mut node) in std::mem::take(&mut columns[i]).into_iter().enumerate() {
            node.x = MARGIN + col as i64 * (BOX_W + GAP_X);
            node.y = top + row as i64 * (BOX_H + GAP_Y);
            nodes.push(node);
        }
    }
    let width = MARGIN * 2 + used.len() as i64 * BOX_W + (used.len() as i64 - 1).max(0) * GAP_X;
    let mut edges = Vec::new();
    for (from, n) in nodes.iter().enumerate() {
        let Some(c) = catalog.chart(&n.stack).and_then(|ch| ch.component(&n.id)) else {
            continue;
        };
        for d in &c.depends_on {
            let (stack, id) = d.split_once('/').unwrap_or((n.stack.as_str(), d.as_str()));
            if let Some(to) = nodes.iter().position(|m| m.stack == stack && m.id == id) {
                edges.push(Edge {
                    from,
                    to,
                    broken: n.enabled && !nodes[to].enabled,
                });
            }
        }
    }
    Diagram {
        nodes,
        edges,
        width,
        height,
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
            assert!(a.x + BOX_W <= d.width && a.y + BOX_H <= d.height);
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
}
