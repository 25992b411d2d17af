//! Review findings: the core's `review::review` on the configuration, live. Each finding shows
//! its severity (icon and word), the component, the message, why it matters with its source,
//! and a one-click fix that applies the core's `Fix` (values and planning options) as one undo
//! step. The list is part of the printed report; the fix buttons are not (their labels are).

use leptos::prelude::*;
use tonnage_core::review::{self, Finding, Fix, Severity};

use crate::state::{catalog, use_state, AppState, Notice, NoticeKind};

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Error => "✖",
        Severity::Warning => "▲",
        Severity::Info => "ℹ",
    }
}

fn word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "Error",
        Severity::Warning => "Warning",
        Severity::Info => "Note",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Who a finding is about: `Chart / Component`.
fn subject(f: &Finding) -> String {
    let chart = catalog().chart(&f.stack);
    let chart_name = chart.map_or_else(|| f.stack.clone(), |c| c.name.clone());
    match &f.component {
        Some(id) => {
            let name = chart
                .and_then(|c| c.component(id))
                .map_or_else(|| id.clone(), |c| c.name.clone());
            format!("{chart_name} / {name}")
        }
        None => chart_name,
    }
}

/// Apply a fix in one step (the core's `Fix::apply`, as `tonnage review` prints it).
fn apply_fix(state: AppState, fix: &Fix) {
    let r = state.apply(|c| fix.apply(catalog(), c));
    if let Err(e) = r {
        state.notice.set(Some(Notice {
            kind: NoticeKind::Error,
            text: format!("The fix could not be applied: {e}"),
        }));
    }
}

#[component]
pub fn Findings() -> impl IntoView {
    let state = use_state();
    // The review follows the configuration once editing pauses: it is the most expensive
    // derivation on the page and not part of what an edit must update within a frame.
    let findings = Memo::new(move |_| state.settled.with(|c| review::review(catalog(), c)));
    let heading: NodeRef<leptos::html::H2> = NodeRef::new();
    let counts = move || findings.with(|f| review::counts(f));
    view! {
        <section class="card findings" data-testid="findings" aria-labelledby="findings-title">
            <h2 class="section-title" id="findings-title" tabindex="-1" node_ref=heading>
                "Review findings "
                {move || {
                    let (e, w, i) = counts();
                    view! {
                        <span class="count sev-error" data-testid="findings-errors" data-value=e.to_string()>{plural(e, "error", "errors")}</span>
                        <span class="count sev-warning" data-testid="findings-warnings" data-value=w.to_string()>{plural(w, "warning", "warnings")}</span>
                        <span class="count sev-info" data-testid="findings-infos" data-value=i.to_string()>{plural(i, "note", "notes")}</span>
                    }
                }}
            </h2>
            {move || {
                let list = findings.get();
                if list.is_empty() {
                    return view! { <p class="muted" data-testid="no-findings">"No findings: nothing in this configuration breaks a rule Tonnage checks."</p> }.into_any();
                }
                view! {
                    <ul class="finding-list">
                        {list.into_iter().map(|f| {
                            let sev = f.severity;
                            let fix = f.fix.clone();
                            let rule = f.rule;
                            view! {
                                <li class=format!("finding sev-{}", sev.as_str()) data-testid=format!("finding-{rule}")
                                    data-stack=f.stack.clone() data-component=f.component.clone().unwrap_or_default()>
                                    <div class="finding-head">
                                        <span class="sev"><span aria-hidden="true">{icon(sev)}</span>" "{word(sev)}</span>
                                        <span class="finding-subject">{subject(&f)}</span>
                                        <code class="rule">{rule}</code>
                                    </div>
                                    <p class="finding-message">{f.message.clone()}</p>
                                    <p class="finding-why">{f.explanation.clone()}</p>
                                    {fix.map(|x| {
                                        let label = x.label.clone();
                                        let fix_value = StoredValue::new(x);
                                        view! {
                                            <div class="finding-fix">
                                                <button class="primary" data-testid=format!("fix-{rule}")
                                                    on:click=move |_| {
                                                        fix_value.with_value(|x| apply_fix(state, x));
                                                        if let Some(h) = heading.get() {
                                                            let _ = h.focus();
                                                        }
                                                    }>{format!("Fix: {label}")}</button>
                                                <span class="print-only">{format!("Suggested fix: {label}.")}</span>
                                            </div>
                                        }
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
