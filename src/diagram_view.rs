//! The architecture diagram, drawn as SVG from the core's layout.

use leptos::prelude::*;
use tonnage_core::diagram::{layout, BOX_H, BOX_W};

use crate::state::{catalog, use_state};

#[component]
pub fn DiagramView() -> impl IntoView {
    let state = use_state();
    let diagram = Memo::new(move |_| {
        let p = state.plan.get();
        state.config.with(|c| layout(catalog(), c, &p))
    });
    view! {
        <section class="card diagram" aria-label="Architecture">
            <h2 class="section-title">"Architecture"</h2>
            {move || {
                let d = diagram.get();
                let edges = d.edges.iter().map(|e| {
                    let (a, b) = (&d.nodes[e.from], &d.nodes[e.to]);
                    // From the right edge of the dependant to the left edge of the dependency
                    // (or the reverse when the dependency sits to the left).
                    let (x1, x2) = if a.x <= b.x { (a.x + BOX_W, b.x) } else { (a.x, b.x + BOX_W) };
                    let (y1, y2) = (a.y + BOX_H / 2, b.y + BOX_H / 2);
                    let mid = (x1 + x2) / 2;
                    view! {
                        <path class="edge" class:broken=e.broken marker-end="url(#arrow)"
                            d=format!("M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}")/>
                    }
                }).collect_view();
                let nodes = d.nodes.iter().map(|n| view! {
                    <g class=format!("node tier-{}", tonnage_core::diagram::tier(&n.role)) class:off=!n.enabled
                        data-testid=format!("node-{}-{}", n.stack, n.id)>
                        <rect x=n.x y=n.y width=BOX_W height=BOX_H rx="8"/>
                        <text x=n.x + 10 y=n.y + 22 class="node-name">{n.name.clone()}</text>
                        <text x=n.x + 10 y=n.y + 41 class="node-meta">{format!("{} · ×{}{}", n.role, n.replicas, if n.stateful { " · data" } else { "" })}</text>
                    </g>
                }).collect_view();
                view! {
                    <svg class="arch" data-testid="diagram" viewBox=format!("0 0 {} {}", d.width, d.height) role="img" aria-label="Components and their dependencies">
                        <defs>
                            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                                <path d="M0,0 L10,5 L0,10 z" class="arrowhead"/>
                            </marker>
                        </defs>
                        {edges}
                        {nodes}
                    </svg>
                }
            }}
        </section>
    }
}
