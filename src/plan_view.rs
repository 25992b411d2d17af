//! See: the live plan. Totals for baseline and peak, per-component bars (SVG), the table, and
//! which figures are catalog assumptions.

use leptos::prelude::*;
use tonnage_core::capacity::usd;
use tonnage_core::plan::{limit_text, total_limit_text, ComponentPlan, Total, Totals};
use tonnage_core::quantity::{display_bytes, display_cores};

use crate::state::{catalog, use_state};

/// One figure of the totals. Its memo compares, so an edit that leaves the figure alone
/// touches neither its text nor its attributes.
fn metric(
    class: &'static str,
    testid: String,
    raw: Memo<i64>,
    text: fn(i64) -> String,
) -> impl IntoView {
    view! {
        <span class=class data-testid=testid data-value=move || raw.get().to_string()>
            {move || text(raw.get())}
        </span>
    }
}

/// A total of limits beneath its request: a lower bound, saying how many components have no
/// limit, when some have none (`plan::total_limit_text`). `data-unset` is that count.
fn limit_metric(
    testid: String,
    raw: Memo<i64>,
    unset: Memo<i64>,
    f: fn(i64) -> String,
) -> impl IntoView {
    view! {
        <span class="metric-sub" data-testid=testid data-value=move || raw.get().to_string()
            data-unset=move || unset.get().to_string()
            title=move || (unset.get() > 0).then_some("A component without a limit may use whatever its node has free: the sum of the limits that are set is a lower bound.")>
            {move || format!("limit {}", total_limit_text(raw.get(), unset.get(), f))}
        </span>
    }
}

/// One row of the totals (baseline or peak): pods, CPU and memory (requested, the limit
/// beneath), storage and the monthly cost. Each cell carries its column's name (`data-label`):
/// on a phone the row becomes tiles that show it (style/main.css).
fn total_row(
    prefix: &'static str,
    label: impl Fn() -> &'static str + Send + Sync + 'static,
    hidden: impl Fn() -> bool + Send + Sync + 'static,
    total: Memo<Total>,
    cost: impl Fn() -> Option<i64> + Send + Sync + 'static,
) -> impl IntoView {
    let figure = move |f: fn(&Total) -> i64| Memo::new(move |_| total.with(f));
    let id = move |what: &str| format!("total-{prefix}-{what}");
    view! {
        <tr hidden=hidden>
            <th scope="row">{label}</th>
            <td data-label="Pods">{metric("metric-value", id("replicas"), figure(|t| t.replicas), |n| n.to_string())}</td>
            <td data-label="CPU requested">
                {metric("metric-value", id("requests-cpu"), figure(|t| t.requests.cpu_millicores), display_cores)}
                {limit_metric(id("limits-cpu"), figure(|t| t.limits.cpu_millicores), figure(|t| t.limits_unset.cpu), display_cores)}
            </td>
            <td data-label="Memory requested">
                {metric("metric-value", id("requests-memory"), figure(|t| t.requests.memory_bytes), display_bytes)}
                {limit_metric(id("limits-memory"), figure(|t| t.limits.memory_bytes), figure(|t| t.limits_unset.memory), display_bytes)}
            </td>
            <td data-label="Storage">{metric("metric-value", id("storage"), figure(|t| t.storage_bytes), display_bytes)}</td>
            <td data-label="Cost / month" data-testid=id("cost")>{move || match cost() {
                Some(c) => view! { <span class="metric-value">{usd(c)}</span> }.into_any(),
                None => view! { <a class="metric-sub" href="#capacity-title">"choose a cloud"</a> }.into_any(),
            }}</td>
        </tr>
    }
}

/// Baseline and peak totals with the monthly cost: a compact table that stays in view (sticky)
/// while the user scrolls to the editor, so every edit shows its effect.
#[component]
pub fn Totals() -> impl IntoView {
    let plan = use_state().plan;
    let cap = crate::capacity_view::use_capacity();
    let baseline = Memo::new(move |_| plan.with(|p| p.totals.baseline));
    let peak = Memo::new(move |_| plan.with(|p| p.totals.peak));
    // Closures, not memos: the capacity memo already compares.
    let cost_baseline = move || cap.with(|c| c.monthly_micro_usd().map(|c| c.0));
    let cost_peak = move || cap.with(|c| c.monthly_micro_usd().map(|c| c.1));
    // The core decides whether peak and baseline differ; when they do not, one row says so
    // (the peak row stays in the DOM, hidden, so its figures remain readable by tests and links).
    let one = Memo::new(move |_| plan.with(|p| !p.totals.peak_differs()));
    view! {
        <section class="card totals" data-testid="plan" aria-label="Totals">
            <table class="totals-grid">
                <thead><tr>
                    <th scope="col"><span class="sr-only">"Scenario"</span></th>
                    <th scope="col">"Pods"</th>
                    <th scope="col">"CPU requested"</th>
                    <th scope="col">"Memory requested"</th>
                    <th scope="col">"Storage"</th>
                    <th scope="col">"Cost / month"</th>
                </tr></thead>
                <tbody>
                    {total_row("baseline", move || if one.get() { "Baseline = peak" } else { "Baseline" }, || false, baseline, cost_baseline)}
                    {total_row("peak", || "Peak", move || one.get(), peak, cost_peak)}
                </tbody>
            </table>
            <p class="muted totals-same" data-testid="totals-same" hidden=move || !one.get()>
                "Nothing autoscales: baseline and peak are the same, so one row."
            </p>
            <InvalidBanner/>
        </section>
    }
}

/// Most refused fields the banner names; the review lists them all.
const BANNER_NAMED: usize = 3;

/// Fields whose text was refused, by the totals (so in view while editing): how many, a link
/// to each, and that the figures use the last valid value.
#[component]
fn InvalidBanner() -> impl IntoView {
    let invalid = use_state().invalid;
    move || {
        let n = invalid.with(Vec::len);
        (n > 0).then(|| {
            let named = invalid.with(|l| l.iter().take(BANNER_NAMED).cloned().collect::<Vec<_>>());
            view! {
                <div class="invalid-banner" role="alert" data-testid="invalid-banner" data-value=n.to_string()>
                    <strong>{if n == 1 { "1 field holds text that was not applied".to_string() } else { format!("{n} fields hold text that was not applied") }}</strong>
                    " (the figures use the last valid value): "
                    {named.into_iter().enumerate().map(|(i, f)| view! {
                        {(i > 0).then_some("; ")}
                        <a href=format!("#{}", f.id) data-testid="invalid-link">{f.what}</a>
                        " " <code>{format!("{:?}", f.text)}</code>
                    }).collect_view()}
                    {(n > BANNER_NAMED).then(|| format!("; and {} more in the review.", n - BANNER_NAMED))}
                </div>
            }
        })
    }
}

/// One row of [`Bars`]: what it shows, and its key (a row whose figures did not change keeps
/// its DOM nodes on an edit). Widths are per mille of the largest peak, in whole numbers.
#[derive(Clone, PartialEq, Eq, Hash)]
struct BarRow {
    testid: String,
    name: String,
    stack: String,
    /// CPU at peak and baseline, memory at peak and baseline (per mille).
    widths: [i64; 4],
    cpu: String,
    mem: String,
}

/// The figure a bar carries: the baseline, and the peak when autoscaling raises it.
fn bar_value(baseline: i64, peak: i64, f: fn(i64) -> String) -> String {
    if peak > baseline {
        format!("{} (peak {})", f(baseline), f(peak))
    } else {
        f(baseline)
    }
}

/// Each running component's CPU and memory requests at baseline, with the peak extension in a
/// lighter shade and the figures written on the bars: where the money goes, at a glance. The
/// text is HTML (its size holds at any width); each bar a stretched SVG (no inline style: the
/// page's Content-Security-Policy allows none).
#[component]
pub fn Bars() -> impl IntoView {
    let plan = use_state().plan;
    let rows = Memo::new(move |_| {
        plan.with(|p| {
            // Each component's totals (replicas x per replica) come from the core.
            let rows: Vec<(&ComponentPlan, Totals)> = p
                .components
                .iter()
                .filter(|c| c.enabled)
                .map(|c| (c, c.totals()))
                .collect();
            let max_cpu = rows
                .iter()
                .map(|(_, t)| t.peak.requests.cpu_millicores)
                .max()
                .unwrap_or(1)
                .max(1);
            let max_mem = rows
                .iter()
                .map(|(_, t)| t.peak.requests.memory_bytes)
                .max()
                .unwrap_or(1)
                .max(1);
            // Per mille of the largest, integer arithmetic (i128 avoids overflow).
            let len = |v: i64, max: i64| ((v as i128 * 1000) / max as i128) as i64;
            rows.iter()
                .map(|(c, t)| {
                    let (b, pk) = (&t.baseline.requests, &t.peak.requests);
                    BarRow {
                        testid: format!("bar-{}-{}", c.stack, c.id),
                        name: c.name.clone(),
                        stack: c.stack.clone(),
                        widths: [
                            len(pk.cpu_millicores, max_cpu),
                            len(b.cpu_millicores, max_cpu),
                            len(pk.memory_bytes, max_mem),
                            len(b.memory_bytes, max_mem),
                        ],
                        cpu: bar_value(b.cpu_millicores, pk.cpu_millicores, display_cores),
                        mem: bar_value(b.memory_bytes, pk.memory_bytes, display_bytes),
                    }
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="card" aria-label="Requests per component">
            <h2 class="section-title">{move || if plan.with(|p| p.totals.peak_differs()) {
                "Requests per component, all replicas (baseline; peak lighter)"
            } else {
                "Requests per component, all replicas (nothing autoscales: baseline = peak)"
            }}</h2>
            <div class="bars" data-testid="bars" role="table" aria-label="CPU and memory requests per component">
                <div class="bar-row bar-head" role="row">
                    <span role="columnheader">"Component"</span>
                    <span role="columnheader">"CPU requested"</span>
                    <span role="columnheader">"Memory requested"</span>
                </div>
                <For each=move || rows.get() key=|r| r.clone() let:r>
                    <div class="bar-row" role="row" data-testid=r.testid>
                        <span class="bar-name" role="rowheader">{r.name}<span class="muted">{format!(" {}", r.stack)}</span></span>
                        <span class="bar-cell" role="cell">
                            <svg class="bar-track" viewBox="0 0 1000 10" preserveAspectRatio="none" aria-hidden="true">
                                <rect class="bar peak" width=r.widths[0] height="10"/>
                                <rect class="bar cpu" width=r.widths[1] height="10"/>
                            </svg>
                            <span class="bar-value">{r.cpu}</span>
                        </span>
                        <span class="bar-cell" role="cell">
                            <svg class="bar-track" viewBox="0 0 1000 10" preserveAspectRatio="none" aria-hidden="true">
                                <rect class="bar peak" width=r.widths[2] height="10"/>
                                <rect class="bar mem" width=r.widths[3] height="10"/>
                            </svg>
                            <span class="bar-value">{r.mem}</span>
                        </span>
                    </div>
                </For>
            </div>
        </section>
    }
}

/// Above a table or the diagram, which may be wider than a phone: says it scrolls sideways
/// (shown by CSS at narrow widths only).
pub fn scroll_hint() -> impl IntoView {
    view! { <p class="scroll-hint" aria-hidden="true">"Swipe sideways to see the rest →"</p> }
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
    let replicas = replicas_text(c);
    PlanRow {
        id: c.id.clone(),
        name: c.name.clone(),
        stack: c.stack.clone(),
        enabled: c.enabled,
        figs: [
            fig("replicas", replicas),
            fig("requests.cpu", display_cores(c.requests.cpu_millicores)),
            fig(
                "limits.cpu",
                limit_text(c.limits.cpu_millicores, display_cores),
            ),
            fig("requests.memory", display_bytes(c.requests.memory_bytes)),
            fig(
                "limits.memory",
                limit_text(c.limits.memory_bytes, display_bytes),
            ),
            fig("storage", storage_text(c.storage_bytes)),
        ],
    }
}

/// A component's storage in the tables: a dash when it keeps none (the plan table and Compare
/// say it alike).
pub(crate) fn storage_text(bytes: i64) -> String {
    if bytes > 0 {
        display_bytes(bytes)
    } else {
        "–".into()
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
            {crate::plan_view::scroll_hint()}
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
                            <td class:assumed=!v.assumed.is_empty()>{display_bytes(v.storage_bytes)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
            <p class="legend">"* a catalog assumption: the chart's guide states no figure (the reason: hover over it, or see the assumptions listed below)."</p>
        </section>
    }
}

/// Every assumption behind the figures shown, with its reason: for the review report.
#[component]
pub fn Assumptions() -> impl IntoView {
    let plan = use_state().plan;
    // The core's one list (components, then shared volumes): a memo, so an edit that changes
    // figures but no assumption (most of them) does not rebuild it.
    let items = Memo::new(move |_| {
        plan.with(|p| {
            p.assumptions()
                .into_iter()
                .map(|a| (a.name, a.path, a.reason))
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

/// Per component and per stack: what it takes in all (replicas x per replica) and its share of
/// the monthly cost by the per-resource method (the core's `cost_split`; node prices do not
/// split by component). For the review and the printed report.
#[component]
pub fn ComponentTotals() -> impl IntoView {
    let state = use_state();
    let rows = Memo::new(move |_| {
        let prices = state
            .options
            .with(|o| tonnage_core::capacity::Planning::from_options(o).map(|p| p.prices))
            .unwrap_or_default();
        state.plan.with(|p| {
            let split = tonnage_core::capacity::cost_split(p, &prices);
            let cost_of = |stack: &str, id: &str| {
                split
                    .components
                    .iter()
                    .find(|c| c.0 == stack && c.1 == id)
                    .map_or(0, |c| c.2)
            };
            let mut out = Vec::new();
            for (stack, t) in p.stack_totals() {
                let name = catalog()
                    .chart(&stack)
                    .map_or(stack.clone(), |c| c.name.clone());
                for c in p
                    .components
                    .iter()
                    .filter(|c| c.stack == stack && c.enabled)
                {
                    let t = c.totals().baseline;
                    out.push((
                        false,
                        c.name.clone(),
                        replicas_text(c),
                        display_cores(t.requests.cpu_millicores),
                        display_bytes(t.requests.memory_bytes),
                        if t.storage_bytes > 0 {
                            display_bytes(t.storage_bytes)
                        } else {
                            "–".into()
                        },
                        usd(cost_of(&stack, &c.id)),
                    ));
                }
                for v in p.volumes.iter().filter(|v| v.stack == stack && v.enabled) {
                    out.push((
                        false,
                        format!("{} (shared volume)", v.name),
                        "–".into(),
                        "–".into(),
                        "–".into(),
                        display_bytes(v.storage_bytes),
                        usd(cost_of(&stack, &v.id)),
                    ));
                }
                let sc = split
                    .stacks
                    .iter()
                    .find(|s| s.0 == stack)
                    .map_or(0, |s| s.1);
                out.push((
                    true,
                    format!("{name} subtotal"),
                    t.baseline.replicas.to_string(),
                    display_cores(t.baseline.requests.cpu_millicores),
                    display_bytes(t.baseline.requests.memory_bytes),
                    display_bytes(t.baseline.storage_bytes),
                    usd(sc),
                ));
            }
            out
        })
    });
    view! {
        <section class="card component-totals" data-testid="component-totals" aria-label="Totals per component and stack">
            <h2 class="section-title">"Totals per component and stack (baseline: replicas × per replica)"</h2>
            {scroll_hint()}
            <div class="table-scroll">
            <table class="grid numeric">
                <thead><tr>
                    <th>"Component"</th><th>"Replicas"</th><th>"CPU requested"</th><th>"Memory requested"</th>
                    <th>"Storage"</th><th>"Cost / month"</th>
                </tr></thead>
                <tbody>
                    {move || rows.get().into_iter().map(|(sub, name, reps, cpu, mem, sto, cost)| view! {
                        <tr class:total=sub>
                            <td>{name}</td><td>{reps}</td><td>{cpu}</td><td>{mem}</td><td>{sto}</td><td>{cost}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
            <p class="legend">"Cost per component: its requests at the per vCPU-hour and per GiB-hour prices plus its storage (OpenCost's per-resource method). The node total under Nodes and monthly cost is the one figure to budget; this splits the bill, it does not add to it."</p>
        </section>
    }
}

/// Replicas as the tables show them: `2`, `2–5` (baseline–peak) or `off`.
fn replicas_text(c: &ComponentPlan) -> String {
    if !c.enabled {
        "off".to_string()
    } else if c.replicas.baseline == c.replicas.peak {
        c.replicas.baseline.to_string()
    } else {
        format!("{}–{}", c.replicas.baseline, c.replicas.peak)
    }
}
