//! Tonnage web app (Leptos, client-side rendered). A thin layer over `tonnage-core`: the whole
//! configuration lives in one signal in context ([`state::AppState`]); everything shown is
//! derived from it through memos that call the core. No domain math happens in `view!`.

pub mod browser;
pub mod editor;
pub mod plan_view;
pub mod stacks;
pub mod state;

use leptos::prelude::*;

use crate::editor::Editor;
use crate::plan_view::{Assumptions, Bars, PlanTable, Totals};
use crate::stacks::{EnvPicker, StackList};
use crate::state::{AppState, NoticeKind, SAVE_KEY};

/// The whole page, starting from the autosaved configuration (or the default).
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new(state::saved_or_default());
    provide_context(state);

    // Autosave on every change.
    Effect::new(move |_| {
        let json = state
            .config
            .with(|c| serde_json::to_string(c).unwrap_or_default());
        browser::storage_set(SAVE_KEY, &json);
    });

    // Undo / redo from the keyboard, except while typing in a field (the field's own undo).
    let _keys = window_event_listener(leptos::ev::keydown, move |ev| {
        let in_field = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if in_field || !(ev.ctrl_key() || ev.meta_key()) {
            return;
        }
        match ev.key().as_str() {
            "z" if !ev.shift_key() => {
                ev.prevent_default();
                state.undo();
            }
            "Z" | "y" | "z" => {
                ev.prevent_default();
                state.redo();
            }
            _ => {}
        }
    });

    let title = move || {
        state
            .charts()
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let summary = move || {
        state
            .charts()
            .first()
            .map(|c| c.summary.clone())
            .unwrap_or_default()
    };
    let changes = move || state.config.with(|c| c.override_count());
    view! {
        <a class="skip" href="#main">"Skip to the plan"</a>
        <header class="topbar">
            <div class="brand">
                <span class="logo" aria-hidden="true">"⚖"</span>
                <span class="name">"Tonnage"</span>
                <span class="tagline">"Size Kubernetes Helm stacks: cores, memory, storage, at a glance"</span>
            </div>
            <div class="toolbar" role="toolbar" aria-label="Edit">
                <span class="badge" data-testid="change-count" data-value=move || changes().to_string()>
                    {move || match changes() { 0 => "preset as is".to_string(), 1 => "1 change".to_string(), n => format!("{n} changes") }}
                </span>
                <button data-testid="undo" title="Undo (Ctrl+Z)" disabled=move || !state.can_undo.get() on:click=move |_| state.undo()>"Undo"</button>
                <button data-testid="redo" title="Redo (Ctrl+Shift+Z)" disabled=move || !state.can_redo.get() on:click=move |_| state.redo()>"Redo"</button>
                <button data-testid="reset-all" disabled=move || changes() == 0 on:click=move |_| state.reset_all()>"Reset all"</button>
            </div>
        </header>
        {move || state.notice.get().map(|n| view! {
            <div class=match n.kind { NoticeKind::Info => "notice info", NoticeKind::Error => "notice error" }
                role=if n.kind == NoticeKind::Error { "alert" } else { "status" } data-testid="notice">
                <span>{n.text}</span>
                <button class="link" aria-label="Dismiss" on:click=move |_| state.notice.set(None)>"Dismiss"</button>
            </div>
        })}
        <main class="layout" id="main">
            <aside class="sidebar">
                <h2 class="section-title">"Stacks"</h2>
                <StackList/>
            </aside>
            <section class="content">
                <div class="stack-head">
                    <div>
                        <h1 data-testid="stack-title">{title}</h1>
                        <p class="summary">{summary}</p>
                    </div>
                    <EnvPicker/>
                </div>
                <Totals/>
                <Bars/>
                <PlanTable/>
                <Assumptions/>
                <Editor/>
            </section>
        </main>
    }
}
