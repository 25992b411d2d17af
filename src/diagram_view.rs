//! The architecture diagram, drawn as SVG from the core's layout.

use leptos::prelude::*;
use tonnage_core::diagram::{layout, Diagram, BOX_H, BOX_W};

use crate::state::{catalog, use_state};

/// Each edge as its SVG path and whether it is broken: from the right edge of the dependant to
/// the left edge of the dependency (or the reverse when the dependency sits to the left).
fn edge_paths(d: &Diagram) -> Vec<(String, bool, usize, usize)> {
    d.edges
        .iter()
        .filter_map(|e| {
            let (a, b) = (d.nodes.get(e.from)?, d.nodes.get(e.to)?);
            let (x1, x2) = if a.x <= b.x {
                (a.x + BOX_W, b.x)
            } else {
                (a.x, b.x + BOX_W)
            };
            let (y1, y2) = (a.y + BOX_H / 2, b.y + BOX_H / 2);
            let mid = (x1 + x2) / 2;
            Some((
                format!("M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"),
                e.broken,
                e.from,
                e.to,
            ))
        })
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
    view! {
        <section class="card diagram" aria-label="Architecture">
            <h2 class="section-title">"Architecture"</h2>
            <svg class="arch" data-testid="diagram" viewBox=move || diagram.with(|d| format!("0 0 {} {}", d.width, d.height)) role="img" aria-label="Components and their dependencies">
                <defs>
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0,0 L10,5 L0,10 z" class="arrowhead"/>
                    </marker>
                </defs>
                // Keyed by what they show: an edit that changes one box's replicas redraws that
                // box only.
                <For each=move || diagram.with(edge_paths) key=|e| e.clone() let:e>
                    <path class="edge" class:broken=e.1 marker-end="url(#arrow)" d=e.0/>
                </For>
                <For each=move || diagram.with(|d| d.nodes.clone()) key=|n| n.clone() let:n>
                    <g class=format!("node tier-{}", tonnage_core::diagram::tier(&n.role)) class:off=!n.enabled
                        data-testid=format!("node-{}-{}", n.stack, n.id)>
                        <rect x=n.x y=n.y width=BOX_W height=BOX_H rx="8"/>
                        <text x=n.x + 10 y=n.y + 22 class="node-name">{n.name.clone()}</text>
                        <text x=n.x + 10 y=n.y + 41 class="node-meta">{format!("{} · ×{}{}", n.role, n.replicas, if n.stateful { " · data" } else { "" })}</text>
                    </g>
                </For>
            </svg>
        </section>
    }
}
