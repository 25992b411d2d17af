//! See: the live plan. Totals for baseline and peak, per-component bars (SVG), the table, and
//! which figures are catalog assumptions.

use leptos::prelude::*;
use tonnage_core::plan::{ComponentPlan, Total};
use tonnage_core::quantity::{human_bytes, human_cpu};

use crate::state::use_state;

/// One figure of the totals. Its memo compares, so an edit that leaves the figure alone
/// touches neither its text nor its attributes (the totals are 12 of these).
fn metric(
    prefix: &'static str,
    what: &'static str,
    label: &'static str,
    raw: Memo<i64>,
    text: fn(i64) -> String,
) -> impl IntoView {
    view! {
        <div class="metric" data-testid=format!("total-{prefix}-{what}") data-value=move || raw.get().to_string()>
            <span class="metric-value">{move || text(raw.get())}</span>
            <span class="metric-label">{label}</span>
        </div>
    }
}

fn total_cells(prefix: &'static str, total: Memo<Total>) -> impl IntoView {
    let figure = move |f: fn(&Total) -> i64| Memo::new(move |_| total.with(f));
    view! {
        {metric(prefix, "replicas", "Pods", figure(|t| t.replicas), |n| n.to_string())}
        {metric(prefix, "requests-cpu", "CPU requested", figure(|t| t.requests.cpu_millicores), human_cpu)}
        {metric(prefix, "limits-cpu", "CPU limit", figure(|t| t.limits.cpu_millicores), human_cpu)}
        {metric(prefix, "requests-memory", "Memory requested", figure(|t| t.requests.memory_bytes), human_bytes)}
        {metric(prefix, "limits-memory", "Memory limit", figure(|t| t.limits.memory_bytes), human_bytes)}
        {metric(prefix, "storage", "Storage", figure(|t| t.storage_bytes), human_bytes)}
    }
}

/// Baseline and peak totals.
#[component]
pub fn Totals() -> impl IntoView {
    let plan = use_state().plan;
    let baseline = Memo::new(move |_| plan.with(|p| p.totals.baseline));
    let peak = Memo::new(move |_| plan.with(|p| p.totals.peak));
    view! {
        <section class="card totals" data-testid="plan" aria-label="Totals">
            <div class="totals-row">
                <h2 class="section-title">"Baseline"</h2>
                <div class="metrics">{total_cells("baseline", baseline)}</div>
            </div>
            <div class="totals-row">
                <h2 class="section-title">"Peak (autoscaling at max)"</h2>
                <div class="metrics">{total_cells("peak", peak)}</div>
            </div>
        </section>
    }
}

/// One bar of [`Bars`], in whole pixels: what a row shows, and its key (a row whose figures
/// did not change keeps its DOM nodes on an edit).
#[derive(Clone, PartialEq, Eq, Hash)]
struct BarRow {
    testid: String,
    title: String,
    name: String,
    y: i64,
    /// CPU at peak and baseline, memory at peak and baseline.
    widths: [i64; 4],
}

/// Each running component's share of CPU and memory requests at baseline, with the peak
/// extension in a lighter shade: where the money goes, at a glance.
#[component]
pub fn Bars() -> impl IntoView {
    let plan = use_state().plan;
    const ROW_H: i64 = 26;
    const LABEL_W: i64 = 190;
    const BAR_W: i64 = 300;
    const X2: i64 = LABEL_W + BAR_W + 40;
    let rows = Memo::new(move |_| {
        plan.with(|p| {
            let rows: Vec<&ComponentPlan> = p.components.iter().filter(|c| c.enabled).collect();
            let cpu = |c: &ComponentPlan, n: i64| c.requests.cpu_millicores.saturating_mul(n);
            let mem = |c: &ComponentPlan, n: i64| c.requests.memory_bytes.saturating_mul(n);
            let max_cpu = rows
                .iter()
                .map(|c| cpu(c, c.replicas.peak))
                .max()
                .unwrap_or(1)
                .max(1);
            let max_mem = rows
                .iter()
                .map(|c| mem(c, c.replicas.peak))
                .max()
                .unwrap_or(1)
                .max(1);
            // Bar lengths in whole pixels, integer arithmetic (i128 avoids overflow).
            let len = |v: i64, max: i64| ((v as i128 * BAR_W as i128) / max as i128) as i64;
            rows.iter()
                .enumerate()
                .map(|(i, c)| BarRow {
                    testid: format!("bar-{}-{}", c.stack, c.id),
                    title: format!(
                        "{}: {} CPU, {} memory at baseline ({} replicas)",
                        c.name,
                        human_cpu(cpu(c, c.replicas.baseline)),
                        human_bytes(mem(c, c.replicas.baseline)),
                        c.replicas.baseline
                    ),
                    name: c.name.clone(),
                    y: 24 + i as i64 * ROW_H,
                    widths: [
                        len(cpu(c, c.replicas.peak), max_cpu),
                        len(cpu(c, c.replicas.baseline), max_cpu),
                        len(mem(c, c.replicas.peak), max_mem),
                        len(mem(c, c.replicas.baseline), max_mem),
                    ],
                })
                .collect::<Vec<_>>()
        })
    });
    let height = move || rows.with(Vec::len) as i64 * ROW_H + 24;
    view! {
        <section class="card" aria-label="Requests per component">
            <h2 class="section-title">"Requests per component (baseline, peak lighter)"</h2>
            <svg class="bars" data-testid="bars" viewBox=move || format!("0 0 {} {}", LABEL_W + 2 * BAR_W + 60, height()) role="img"
                aria-label="CPU and memory requests per component">
                <text x=LABEL_W y="14" class="bar-head">"CPU"</text>
                <text x=X2 y="14" class="bar-head">"Memory"</text>
                <For each=move || rows.get() key=|r| r.clone() let:r>
                    <g data-testid=r.testid>
                        <title>{r.title}</title>
                        <text x="0" y=r.y + 15 class="bar-label">{r.name}</text>
                        <rect x=LABEL_W y=r.y + 3 width=r.widths[0] height="16" class="bar peak"/>
                        <rect x=LABEL_W y=r.y + 3 width=r.widths[1] height="16" class="bar cpu"/>
                        <rect x=X2 y=r.y + 3 width=r.widths[2] height="16" class="bar peak"/>
                        <rect x=X2 y=r.y + 3 width=r.widths[3] height="16" class="bar mem"/>
                    </g>
                </For>
            </svg>
        </section>
    }
}

/// One figure of a [`PlanTable`] row: its text and, when a catalog assumption, the reason.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Fig {
    text: String,
    assumed: Option<String>,
}

/// One component row of [`PlanTable`]: what it shows, and its key (a row whose figures did not
/// change keeps its DOM nodes on an edit).
#[derive(Clone, PartialEq, Eq, Hash)]
struct PlanRow {
    id: String,
    name: String,
    stack: String,
    enabled: bool,
    figs: [Fig; 6],
}

fn plan_row(c: &ComponentPlan) -> PlanRow {
    let fig = |field: &str, text: String| Fig {
        text,
        assumed: c
            .assumed
            .iter()
            .find(|a| a.field == field)
            .map(|a| a.reason.clone()),
    };
    let replicas = if !c.enabled {
        "off".to_string()
    } else if c.replicas.baseline == c.replicas.peak {
        c.replicas.baseline.to_string()
    } else {
        format!("{}–{}", c.replicas.baseline, c.replicas.peak)
    };
    PlanRow {
        id: c.id.clone(),
        name: c.name.clone(),
        stack: c.stack.clone(),
        enabled: c.enabled,
        figs: [
            fig("replicas", replicas),
            fig("requests.cpu", human_cpu(c.requests.cpu_millicores)),
            fig("limits.cpu", human_cpu(c.limits.cpu_millicores)),
            fig("requests.memory", human_bytes(c.requests.memory_bytes)),
            fig("limits.memory", human_bytes(c.limits.memory_bytes)),
            fig(
                "storage",
                if c.storage_bytes > 0 {
                    human_bytes(c.storage_bytes)
                } else {
                    "–".into()
                },
            ),
        ],
    }
}

/// The per-component plan table, with assumptions marked.
#[component]
pub fn PlanTable() -> impl IntoView {
    let plan = use_state().plan;
    let rows =
        Memo::new(move |_| plan.with(|p| p.components.iter().map(plan_row).collect::<Vec<_>>()));
    let volumes = Memo::new(move |_| plan.with(|p| p.volumes.clone()));
    view! {
        <section class="card" aria-label="Plan per component">
            <h2 class="section-title">"Plan per component (per replica)"</h2>
            <div class="table-scroll">
            <table class="grid numeric" data-testid="plan-table">
                <thead><tr>
                    <th>"Component"</th><th>"Replicas"</th><th>"CPU req"</th><th>"CPU limit"</th>
                    <th>"Memory req"</th><th>"Memory limit"</th><th>"Storage"</th>
                </tr></thead>
                <tbody>
                    <For each=move || rows.get() key=|r| r.clone() let:r>
                        <tr class:disabled=!r.enabled data-testid=format!("plan-row-{}", r.id)>
                            <td><strong>{r.name}</strong><div class="muted">{r.stack}</div></td>
                            {r.figs.into_iter().map(|f| {
                                let is = f.assumed.is_some();
                                view! { <td class:assumed=is title=f.assumed.unwrap_or_default()>{f.text}{if is { "*" } else { "" }}</td> }
                            }).collect_view()}
                        </tr>
                    </For>
                    {move || volumes.get().into_iter().map(|v| view! {
                        <tr data-testid=format!("plan-volume-{}", v.id)>
                            <td><strong>{v.name.clone()}</strong><div class="muted">"shared volume, counted once"</div></td>
                            <td>{if v.enabled { "1" } else { "off" }}</td><td>"–"</td><td>"–"</td><td>"–"</td><td>"–"</td>
                            <td class:assumed=!v.assumed.is_empty()>{human_bytes(v.storage_bytes)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
            <p class="legend">"* a catalog assumption: the chart's guide states no figure (hover for the reason)."</p>
        </section>
    }
}

/// Every assumption behind the figures shown, with its reason: for the review report.
#[component]
pub fn Assumptions() -> impl IntoView {
    let plan = use_state().plan;
    // (component, path, reason): a memo, so an edit that changes figures but no assumption (most
    // of them) does not rebuild the list.
    let items = Memo::new(move |_| {
        plan.with(|p| {
            p.components
                .iter()
                .flat_map(|c| {
                    c.assumed
                        .iter()
                        .map(|a| (c.name.clone(), a.path.clone(), a.reason.clone()))
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <details class="card assumptions" data-testid="assumptions" data-print="open">
            <summary>{move || {
                let n = items.with(Vec::len);
                format!("Assumptions behind these figures ({n})")
            }}</summary>
            <ul>
                {move || items.get().into_iter().map(|(name, path, reason)| view! {
                    <li><strong>{name}</strong> " " <code>{path}</code> ": " {reason}</li>
                }).collect_view()}
            </ul>
        </details>
    }
}
