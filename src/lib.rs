//! Tonnage web app (Leptos, client-side rendered). A thin layer over `tonnage-core`: the whole
//! configuration lives in one signal in context ([`state::AppState`]); everything shown is
//! derived from it through memos that call the core. No domain math happens in `view!`.

pub mod browser;
pub mod capacity_view;
pub mod compare_view;
pub mod diagram_view;
pub mod editor;
pub mod files_view;
pub mod findings_view;
pub mod import_view;
pub mod lazy;
pub mod panic;
pub mod plan_view;
pub mod share_view;
pub mod stacks;
pub mod state;
pub mod worker;

use leptos::prelude::*;

use crate::compare_view::CompareView;
use crate::diagram_view::DiagramView;
use crate::editor::Editor;
use crate::files_view::FilesView;
use crate::import_view::ImportView;
use crate::plan_view::{Assumptions, Bars, PlanTable, Totals};
use crate::stacks::{EnvPicker, StackList};
use crate::state::{AppState, NoticeKind, SAVE_KEY};

/// Start the page: read the link in the address bar if there is one and it is not the one the
/// page itself last wrote there (its reader is fetched first, see
/// [`share_view::decode_link`]), then mount [`App`] with what it gave.
pub fn start() {
    let hash = browser::location_hash();
    // The page's own trailing link is not a shared one: the autosave is as new or newer.
    if hash.is_empty() || share_view::is_own_link(&hash) {
        leptos::mount::mount_to_body(|| view! { <App/> });
        return;
    }
    // Leptos's executor is set up by the mount, which comes after: wasm-bindgen's own here.
    wasm_bindgen_futures::spawn_local(async move {
        let decoded = share_view::decode_link(hash.clone()).await;
        let start = share_view::link_start(hash, decoded);
        leptos::mount::mount_to_body(move || view! { <App start/> });
        // A shared link is opened to be read, presented or printed: the whole report now, and
        // the chart audit, so a print right away is complete.
        lazy::prepare_print();
    });
}

/// The whole page, starting from `start` (see [`start`]); without it, from the autosaved
/// configuration (or the default).
#[component]
pub fn App(#[prop(optional)] start: Option<share_view::Start>) -> impl IntoView {
    let start = start.unwrap_or_else(|| share_view::saved_start(None));
    let state = AppState::new(start.config);
    provide_context(state);
    // The fit and cost, shared by the sticky totals and the capacity panel.
    capacity_view::use_capacity();
    state.notice.set(start.notice);
    // A shared link replaced the user's own configuration: one Undo brings it back.
    if let Some(prev) = start.previous {
        state.seed_undo(prev);
    }
    if let Some(fragment) = start.in_worker {
        share_view::open_in_worker(state, fragment);
    }
    state.settle_after_edits();
    share_view::sync_address_bar();

    // Autosave on every change; credentials never go to storage.
    Effect::new(move |_| {
        let json = state
            .config
            .with(|c| serde_json::to_string(&c.without_credentials()).unwrap_or_default());
        browser::storage_set(SAVE_KEY, &json);
    });
    if panic::crash_test_requested() {
        // After the first render, as a bug in an event handler would.
        request_animation_frame(move || panic!("crash test requested by ?crash-test"));
    }

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

    // The tab says what is planned: stacks and environment (several tabs can be told apart).
    Effect::new(move |_| {
        let env = state.config.with(|c| c.env.clone());
        let charts = state.charts();
        let names = charts
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(" + ");
        let env_name = charts
            .first()
            .and_then(|c| c.environment(&env))
            .map_or(env.clone(), |e| e.name.clone());
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            doc.set_title(&format!("{names} · {env_name} · Tonnage"));
        }
    });

    lazy::on_print(findings_view::want_audit);
    lazy::wake_on_first_use();
    // Printing opens the collapsed sections that belong in the report.
    let _print = window_event_listener(leptos::ev::beforeprint, move |_| {
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            if let Ok(list) = doc.query_selector_all("details[data-print]") {
                for i in 0..list.length() {
                    if let Some(el) = list
                        .item(i)
                        .and_then(|n| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(n).ok())
                    {
                        let _ = el.set_attribute("open", "");
                    }
                }
            }
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
    let invalid = move || state.invalid.with(Vec::len);
    // The header's one-line state: changes from the preset and refused fields.
    let status = move || {
        let (n, bad) = (changes(), invalid());
        let mut parts = Vec::new();
        match n {
            0 if bad == 0 => parts.push("preset as is".to_string()),
            0 => {}
            1 => parts.push("1 change".to_string()),
            n => parts.push(format!("{n} changes")),
        }
        match bad {
            0 => {}
            1 => parts.push("1 invalid field".to_string()),
            b => parts.push(format!("{b} invalid fields")),
        }
        parts.join(" · ")
    };
    view! {
        <a class="skip" href="#main">"Skip to the plan"</a>
        <header class="topbar">
            <div class="brand">
                <span class="logo" aria-hidden="true">"⚖"</span>
                <span class="name">"Tonnage"</span>
                <span class="tagline">"Size Kubernetes Helm stacks: cores, memory, storage, at a glance"</span>
            </div>
            <div class="toolbar" role="toolbar" aria-label="Edit">
                <span class="badge" class:bad=move || { invalid() > 0 } data-testid="change-count" data-value=move || changes().to_string()>
                    {status}
                </span>
                <button data-testid="undo" title="Undo (Ctrl+Z)" disabled=move || !state.can_undo.get() on:click=move |_| state.undo()>"Undo"</button>
                <button data-testid="redo" title="Redo (Ctrl+Shift+Z)" disabled=move || !state.can_redo.get() on:click=move |_| state.redo()>"Redo"</button>
                <share_view::CopyLink/>
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
                <capacity_view::CapacityPanel/>
                {lazy::deferred("below", below_first_screen)}
            </section>
        </main>
    }
}

/// Everything below the first screen: the report's sections, the Compare, Files and Import
/// panels, and the editor. One deferred region (src/lazy.rs), so nothing the user can click
/// sits below a section that is still to arrive and would push it down; its two chunks are
/// fetched together.
async fn below_first_screen() -> AnyView {
    let (report, editor) = futures::future::join(report_body(), editor_body()).await;
    view! {
        {report}
        <CompareView/>
        <FilesView/>
        <ImportView/>
        {editor}
    }
    .into_any()
}

/// The sections below the first screen that belong to the review report: findings, the plan
/// per component, the architecture diagram and the assumptions. A chunk fetched when the user
/// first does anything ([`below_first_screen`]).
#[cfg_attr(feature = "split", leptos::lazy)]
async fn report_body() -> AnyView {
    // One review for the cover and the findings list.
    findings_view::use_findings();
    view! {
        <findings_view::ReportCover/>
        <findings_view::Findings/>
        <PlanTable/>
        <plan_view::ComponentTotals/>
        <DiagramView/>
        <Assumptions/>
    }
    .into_any()
}

/// The editor of every component and chart setting, at the foot of the page: a chunk fetched
/// as [`report_body`] is.
#[cfg_attr(feature = "split", leptos::lazy)]
async fn editor_body() -> AnyView {
    view! { <Editor/> }.into_any()
}
