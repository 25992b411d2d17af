//! The plan of the current configuration: totals and the per-component table.

use leptos::prelude::*;
use tonnage_core::plan::Total;
use tonnage_core::quantity::{human_bytes, human_cpu};

use crate::state::use_state;

fn total_cells(prefix: &'static str, t: Total) -> impl IntoView {
    let cell = move |what: &'static str, label: &'static str, raw: i64, text: String| {
        view! {
            <div class="metric" data-testid=format!("total-{prefix}-{what}") data-value=raw.to_string()>
                <span class="metric-value">{text}</span>
                <span class="metric-label">{label}</span>
            </div>
        }
    };
    view! {
        {cell("requests-cpu", "CPU requested", t.requests.cpu_millicores, human_cpu(t.requests.cpu_millicores))}
        {cell("limits-cpu", "CPU limit", t.limits.cpu_millicores, human_cpu(t.limits.cpu_millicores))}
        {cell("requests-memory", "Memory requested", t.requests.memory_bytes, human_bytes(t.requests.memory_bytes))}
        {cell("limits-memory", "Memory limit", t.limits.memory_bytes, human_bytes(t.limits.memory_bytes))}
        {cell("storage", "Storage", t.storage_bytes, human_bytes(t.storage_bytes))}
        <div class="metric" data-testid=format!("total-{prefix}-replicas") data-value=t.replicas.to_string()>
            <span class="metric-value">{t.replicas}</span>
            <span class="metric-label">"Pods"</span>
        </div>
    }
}

#[component]
pub fn PlanView() -> impl IntoView {
    let state = use_state();
    let plan = state.plan;
    view! {
        <section class="card totals" data-testid="plan">
            <div class="totals-row">
                <h2 class="section-title">"Baseline"</h2>
                <div class="metrics">{move || total_cells("baseline", plan.get().totals.baseline)}</div>
            </div>
            <div class="totals-row">
                <h2 class="section-title">"Peak (autoscaling max)"</h2>
                <div class="metrics">{move || total_cells("peak", plan.get().totals.peak)}</div>
            </div>
        </section>
        <section class="card">
            <h2 class="section-title">"Plan per component"</h2>
            <table class="grid numeric" data-testid="plan-table">
                <thead><tr>
                    <th>"Component"</th><th>"Replicas"</th><th>"CPU req"</th><th>"CPU limit"</th>
                    <th>"Memory req"</th><th>"Memory limit"</th><th>"Storage / replica"</th>
                </tr></thead>
                <tbody>
                    {move || plan.get().components.into_iter().map(|c| {
                        let assumed = |field: &str| c.assumed.iter().find(|a| a.field == field).map(|a| a.reason.clone());
                        let fig = |field: &'static str, text: String| {
                            let reason = assumed(field);
                            let is = reason.is_some();
                            view! { <td class:assumed=is title=reason.unwrap_or_default()>{text}{if is { "*" } else { "" }}</td> }
                        };
                        let replicas = if !c.enabled { "off".to_string() }
                            else if c.replicas.baseline == c.replicas.peak { c.replicas.baseline.to_string() }
                            else { format!("{}–{}", c.replicas.baseline, c.replicas.peak) };
                        view! {
                            <tr class:disabled=!c.enabled data-testid=format!("plan-row-{}", c.id)>
                                <td><strong>{c.name.clone()}</strong></td>
                                {fig("replicas", replicas)}
                                {fig("requests.cpu", human_cpu(c.requests.cpu_millicores))}
                                {fig("limits.cpu", human_cpu(c.limits.cpu_millicores))}
                                {fig("requests.memory", human_bytes(c.requests.memory_bytes))}
                                {fig("limits.memory", human_bytes(c.limits.memory_bytes))}
                                {fig("storage", if c.storage_bytes > 0 { human_bytes(c.storage_bytes) } else { "–".into() })}
                            </tr>
                        }
                    }).collect_view()}
                    {move || plan.get().volumes.into_iter().map(|v| view! {
                        <tr data-testid=format!("plan-volume-{}", v.id)>
                            <td><strong>{v.name.clone()}</strong><div class="muted">"shared volume, counted once"</div></td>
                            <td>{if v.enabled { "1" } else { "off" }}</td><td>"–"</td><td>"–"</td><td>"–"</td><td>"–"</td>
                            <td>{human_bytes(v.storage_bytes)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="legend">"* a catalog assumption: the chart's guide states no figure (hover for the reason)."</p>
        </section>
    }
}
