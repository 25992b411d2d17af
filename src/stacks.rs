//! Picking a stack and an environment, and the selected stack's components.

use leptos::prelude::*;

use crate::state::{catalog, use_state};

/// The five stacks, read from the core's catalog.
#[component]
pub fn StackList() -> impl IntoView {
    let state = use_state();
    let items = catalog()
        .charts
        .iter()
        .map(|chart| {
            let id = chart.id.clone();
            let id_click = id.clone();
            let selected = {
                let id = id.clone();
                move || state.config.with(|c| c.stacks.first() == Some(&id))
            };
            view! {
                <li>
                    <button
                        class="stack-card"
                        class:selected=selected.clone()
                        aria-pressed=move || selected().to_string()
                        data-testid=format!("stack-{id}")
                        on:click=move |_| state.select_stack(&id_click)
                    >
                        <span class="stack-name">{chart.name.clone()}</span>
                        <span class="stack-id">{chart.id.clone()}</span>
                        <span class="stack-meta">
                            {format!("{} components · {} environments", chart.components.len(), chart.environments.len())}
                        </span>
                    </button>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="stack-list" data-testid="stack-list">{items}</ul> }
}

/// The environment presets of the selected stack.
#[component]
pub fn EnvPicker() -> impl IntoView {
    let state = use_state();
    let envs = move || {
        state
            .chart
            .get()
            .map(|c| {
                c.environments
                    .iter()
                    .map(|e| (e.id.clone(), e.name.clone(), e.summary.clone()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    view! {
        <div class="env-picker" role="radiogroup" aria-label="Environment">
            {move || envs().into_iter().map(|(id, name, summary)| {
                let id_click = id.clone();
                let id_sel = id.clone();
                let selected = move || state.config.with(|c| c.env == id_sel);
                view! {
                    <button
                        role="radio"
                        class="env-chip"
                        class:selected=selected.clone()
                        aria-checked=move || selected().to_string()
                        title=summary
                        data-testid=format!("env-{id}")
                        on:click=move |_| state.select_env(&id_click)
                    >{name}</button>
                }
            }).collect_view()}
        </div>
    }
}

/// The selected stack's components: name, role, workload kind, stateful or not.
#[component]
pub fn ComponentList() -> impl IntoView {
    let state = use_state();
    view! {
        <section class="card">
            <h2 class="section-title">"Components"</h2>
            <table class="grid" data-testid="component-table">
                <thead><tr><th>"Component"</th><th>"Role"</th><th>"Workload"</th><th>"Data"</th><th>"Depends on"</th></tr></thead>
                <tbody>
                    {move || state.chart.get().map(|chart| chart.components.iter().map(|c| view! {
                        <tr data-testid=format!("component-{}", c.id)>
                            <td><strong>{c.name.clone()}</strong><div class="muted">{c.summary.clone()}</div></td>
                            <td><span class=format!("role role-{}", c.role)>{c.role.clone()}</span></td>
                            <td>{c.kind.as_str()}</td>
                            <td>{if c.is_stateful() { "stateful" } else { "stateless" }}</td>
                            <td class="muted">{c.depends_on.join(", ")}</td>
                        </tr>
                    }).collect_view())}
                </tbody>
            </table>
        </section>
    }
}
