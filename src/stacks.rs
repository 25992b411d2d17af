//! Picking one or several stacks and an environment preset.

use leptos::prelude::*;

use crate::state::{catalog, use_state};

/// The five stacks, read from the core's catalog. Clicking a card selects that stack alone; the
/// checkbox adds it to (or removes it from) a multi-chart plan.
#[component]
pub fn StackList() -> impl IntoView {
    let state = use_state();
    let items = catalog()
        .charts
        .iter()
        .map(|chart| {
            let id: &'static str = chart.id.as_str();
            let selected = move || state.stack_ids.with(|s| s.iter().any(|x| x == id));
            let only = move || state.stack_ids.with(|s| s.len() == 1 && s[0] == id);
            let toggle = move |_| {
                let mut ids: Vec<String> = state.stack_ids.get_untracked();
                if ids.iter().any(|x| x == id) {
                    if ids.len() > 1 {
                        ids.retain(|x| x != id);
                    }
                } else {
                    ids.push(id.to_string());
                    // A chart that needs another (Frappe needs cauldron-infra) brings it along.
                    if let Some(ch) = catalog().chart(id) {
                        for r in &ch.requires {
                            if !ids.contains(r) {
                                ids.push(r.clone());
                            }
                        }
                    }
                }
                let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                state.select_stacks(&refs);
            };
            let requires = chart.requires.join(", ");
            view! {
                <li class="stack-item" class:selected=selected>
                    <button
                        class="stack-card"
                        aria-pressed=move || only().to_string()
                        data-testid=format!("stack-{id}")
                        on:click=move |_| state.select_stacks(&[id])
                    >
                        <span class="stack-name">{chart.name.clone()}</span>
                        <span class="stack-id">{id}</span>
                        <span class="stack-meta">
                            {format!("{} components · {} environments", chart.components.len(), chart.environments.len())}
                        </span>
                        {(!requires.is_empty()).then(|| view! { <span class="stack-meta">"needs " {requires.clone()}</span> })}
                    </button>
                    <label class="stack-add" title=move || if only() { "The plan needs at least one stack: pick another first" } else { "Plan together with the other selected stacks" }>
                        <input
                            type="checkbox"
                            data-testid=format!("stack-add-{id}")
                            // The only stack cannot be left out: unchecked, it would stay planned.
                            disabled=only
                            prop:checked=selected
                            on:change=toggle
                        />
                        <span class="sr-only">{format!("Include {} in the plan", chart.name)}</span>
                    </label>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="stack-list" data-testid="stack-list">{items}</ul> }
}

/// The environment presets every selected stack has: each chip says what it means (users,
/// summary) in plain sight, and the arrow keys move the choice as in any radio group.
#[component]
pub fn EnvPicker() -> impl IntoView {
    let state = use_state();
    let envs = move || {
        let charts = state.charts();
        let Some(first) = charts.first() else {
            return Vec::new();
        };
        first
            .environments
            .iter()
            .filter(|e| charts.iter().all(|c| c.environment(&e.id).is_some()))
            .map(|e| {
                (
                    e.id.clone(),
                    e.name.clone(),
                    e.summary.clone(),
                    e.users.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let current = move || state.config.with(|c| c.env.clone());
    // Arrow keys: the next or previous preset, chosen and focused (wrapping round).
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let step: isize = match ev.key().as_str() {
            "ArrowRight" | "ArrowDown" => 1,
            "ArrowLeft" | "ArrowUp" => -1,
            _ => return,
        };
        ev.prevent_default();
        let list = untrack(envs);
        if list.is_empty() {
            return;
        }
        let now = state.config.with_untracked(|c| c.env.clone());
        let at = list.iter().position(|(id, ..)| *id == now).unwrap_or(0) as isize;
        let n = list.len() as isize;
        let next = &list[((at + step).rem_euclid(n)) as usize].0;
        state.select_env(next);
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| {
                d.query_selector(&format!("[data-testid=env-{next}]"))
                    .ok()
                    .flatten()
            })
            .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
        {
            let _ = el.focus();
        }
    };
    let meaning = move || {
        let now = current();
        envs().into_iter().find(|(id, ..)| *id == now).map(
            |(_, name, summary, users)| match users {
                Some(u) => format!("{name}: {summary} ({u} users)"),
                None => format!("{name}: {summary}"),
            },
        )
    };
    view! {
        <div class="env-block">
            <div class="env-picker" role="radiogroup" aria-label="Environment preset" on:keydown=on_key>
                {move || envs().into_iter().map(|(id, name, summary, users)| {
                    let id_click = id.clone();
                    let id_sel = id.clone();
                    let selected = Memo::new(move |_| state.config.with(|c| c.env == id_sel));
                    let title = match &users { Some(u) => format!("{summary} ({u} users)"), None => summary };
                    view! {
                        <button
                            role="radio"
                            class="env-chip"
                            class:selected=selected
                            aria-checked=move || selected.get().to_string()
                            tabindex=move || if selected.get() { "0" } else { "-1" }
                            title=title
                            data-testid=format!("env-{id}")
                            on:click=move |_| state.select_env(&id_click)
                        >
                            <span class="env-name">{name}</span>
                            {users.map(|u| view! { <span class="env-users">{format!("{u} users")}</span> })}
                        </button>
                    }
                }).collect_view()}
            </div>
            <p class="env-meaning" data-testid="env-meaning">{meaning}</p>
        </div>
    }
}
