//! Review findings: the core's `review::review` on the configuration, live. Each finding shows
//! its severity (icon and word), the component, the message, why it matters with its source,
//! and a one-click fix that applies the core's `Fix` (values and planning options) as one undo
//! step. The list is part of the printed report; the fix buttons are not (their labels are).

use leptos::prelude::*;
use serde_yaml::Value;
use tonnage_core::review::{self, Finding, Fix, Severity};
use tonnage_core::ConfigError;

use crate::capacity_view::SHAPE_KEYS;
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

/// Apply a fix in one step: each value through `Configuration::set` (a value equal to the
/// preset removes the override, as the editor does), then the planning options. A built-in
/// node type replaces a custom shape.
fn apply_fix(state: AppState, fix: &Fix) {
    let presets: Vec<Option<Value>> = fix
        .sets
        .iter()
        .map(|(s, p, _)| state.preset_at(s, p))
        .collect();
    let r = state.apply(|c| {
        for ((stack, path, value), preset) in fix.sets.iter().zip(&presets) {
            c.set(catalog(), stack, path, value.clone())?;
            let now = c.overrides.get(stack).and_then(|m| m.get(path)).cloned();
            if now.is_some() && now == *preset {
                c.unset(stack, path);
            }
        }
        for (k, v) in &fix.options {
            if k == "node_type" {
                for s in SHAPE_KEYS {
                    c.options.remove(s);
                }
            }
            if v.is_empty() {
                c.options.remove(k);
            } else {
                c.options.insert(k.clone(), v.clone());
            }
        }
        Ok::<(), ConfigError>(())
    });
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
    let invalid = state.invalid;
    // Refused field text counts as an error: the plan does not say what the user typed.
    let counts = move || {
        let (e, w, i) = findings.with(|f| review::counts(f));
        (e + invalid.with(|m| m.len()), w, i)
    };
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
            {move || invalid.with(|m| (!m.is_empty()).then(|| view! {
                <ul class="finding-list invalid-list" data-testid="invalid-inputs">
                    {m.values().map(|f| view! {
                        <li class="finding sev-error" data-testid="finding-invalid-input">
                            <div class="finding-head">
                                <span class="sev"><span aria-hidden="true">{icon(Severity::Error)}</span>" "{word(Severity::Error)}</span>
                                <a class="finding-subject" href=format!("#{}", f.id)>{f.what.clone()}</a>
                                <code class="rule">"invalid-input"</code>
                            </div>
                            <p class="finding-message">{format!("{:?} was not applied: {}", f.text, f.message)}</p>
                            <p class="finding-why">"The plan keeps the last valid value of this field until it is corrected or reset."</p>
                        </li>
                    }).collect_view()}
                </ul>
            }))}
            {move || {
                let list = findings.get();
                if list.is_empty() && invalid.with(|m| m.is_empty()) {
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
