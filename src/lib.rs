//! Tonnage web app (Leptos, client-side rendered). A thin layer over `tonnage-core`: the whole
//! configuration lives in one signal in context ([`state::AppState`]); everything shown is
//! derived from it through memos that call the core. No domain math happens in `view!`.

pub mod plan_view;
pub mod stacks;
pub mod state;

use leptos::prelude::*;

use crate::plan_view::PlanView;
use crate::stacks::{ComponentList, EnvPicker, StackList};
use crate::state::AppState;

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    let chart = state.chart;
    view! {
        <header class="topbar">
            <div class="brand">
                <span class="logo" aria-hidden="true">"⚖"</span>
                <span class="name">"Tonnage"</span>
                <span class="tagline">"Size Kubernetes Helm stacks: cores, memory, storage, at a glance"</span>
            </div>
        </header>
        <main class="layout">
            <aside class="sidebar">
                <h2 class="section-title">"Stacks"</h2>
                <StackList/>
            </aside>
            <section class="content">
                <div class="stack-head">
                    <div>
                        <h1 data-testid="stack-title">{move || chart.get().map(|c| c.name.clone()).unwrap_or_default()}</h1>
                        <p class="summary">{move || chart.get().map(|c| c.summary.clone()).unwrap_or_default()}</p>
                    </div>
                    <EnvPicker/>
                </div>
                <PlanView/>
                <ComponentList/>
            </section>
        </main>
    }
}
