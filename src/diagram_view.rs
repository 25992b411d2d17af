//! The architecture diagram, drawn as SVG from the core's layout (boxes, stack frames and the
//! routed edges are all the core's; this only writes them as SVG).

use leptos::prelude::*;
use tonnage_core::diagram::{layout, Diagram, Node};

use crate::state::{catalog, use_state};

/// An edge's route as an SVG path: straight through the layers it crosses, a cubic curve in
/// each gap between layers (its control points stay in the gap, so the curve does too).
fn route_path(points: &[(i64, i64)]) -> String {
    use std::fmt::Write;
    let mut d = String::new();
    let Some(&(x0, y0)) = points.first() else {
        return d;
    };
    let _ = write!(d, "M{x0},{y0}");
    for w in points.windows(2) {
        let ((x1, y1), (x2, y2)) = (w[0], w[1]);
        if y1 == y2 {
            let _ = write!(d, " L{x2},{y2}");
        } else {
            let mid = (x1 + x2) / 2;
            let _ = write!(d, " C{mid},{y1} {mid},{y2} {x2},{y2}");
        }
    }
    d
}

/// Each edge as (path, broken), keyed by what it shows.
fn edge_paths(d: &Diagram) -> Vec<(String, bool)> {
    d.edges
        .iter()
        .map(|e| (route_path(&e.points), e.broken))
        .collect()
}

#[component]
pub fn DiagramView() -> impl IntoView {
    let state = use_state();
    let diagram = Memo::new(move |_| {
        state
            .plan
            .with(|p| state.config.with(|c| layout(catalog(), c, p)))
    });
    let box_w = move || diagram.with(|d| d.box_w);
    view! {
        <section class="card diagram" aria-label="Architecture">
            <h2 class="section-title">"Architecture"</h2>
            {crate::plan_view::scroll_hint()}
            <div class="diagram-scroll">
            // At most its natural width (CSS max-width: 100% shrinks it on a narrow screen); on a
            // phone it keeps that width, its text at 13 px and more, and scrolls sideways.
            <svg class="arch" data-testid="diagram" viewBox=move || diagram.with(|d| format!("0 0 {} {}", d.width, d.height))
                width=move || diagram.with(|d| d.width)
                role="img" aria-label="Components and their dependencies">
                <defs>
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0,0 L10,5 L0,10 z" class="arrowhead"/>
                    </marker>
                </defs>
                <For each=move || diagram.with(|d| d.clusters.clone()) key=|c| c.clone() let:c>
                    <g class="cluster" data-testid=format!("cluster-{}", c.stack)>
                        <rect x=c.x y=c.y width=c.w height=c.h rx="12"/>
                        <text x=c.x + 12 y=c.y + 20 class="cluster-name">{c.name.clone()}</text>
                    </g>
                </For>
                // Keyed by what they show: an edit that changes one box's replicas redraws that
                // box only.
                <For each=move || diagram.with(edge_paths) key=|e| e.clone() let:e>
                    <path class="edge" class:broken=e.1 marker-end="url(#arrow)" d=e.0/>
                </For>
                <For each=move || diagram.with(|d| d.nodes.clone()) key=move |n| (n.clone(), box_w()) let:n>
                    <g class=format!("node tier-{}", tonnage_core::diagram::tier(&n.role)) class:off=!n.enabled
                        data-testid=format!("node-{}-{}", n.stack, n.id)>
                        <title>{n.name.clone()}</title>
                        <rect x=n.x y=n.y width=box_w height=n.h rx="8"/>
                        {n.texts().into_iter().map(|(y, meta, t)| view! {
                            <text x=n.x + Node::TEXT_X y=y class=if meta { "node-meta" } else { "node-name" }>{t.to_string()}</text>
                        }).collect_view()}
                    </g>
                </For>
            </svg>
            </div>
        </section>
    }
}
