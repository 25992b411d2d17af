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

/// The review's findings: one memo for the report's sections (the cover and the list), made
/// by the first to ask and kept in the caller's context ([`crate::report_body`] asks first).
/// It follows the configuration once editing pauses: the review is the most expensive
/// derivation on the page and not part of what an edit must update within a frame.
pub fn use_findings() -> Memo<Vec<Finding>> {
    if let Some(m) = use_context::<Memo<Vec<Finding>>>() {
        return m;
    }
    let state = use_state();
    let m = Memo::new(move |_| state.settled.with(|c| review::review(catalog(), c)));
    provide_context(m);
    m
}

/// Today's date as the browser has it (`2026-12-07`, UTC): the core does no IO and has no
/// clock, so the page dates the report.
fn today() -> String {
    let iso = String::from(js_sys::Date::new_0().to_iso_string());
    iso.get(..10).unwrap_or_default().to_string()
}

/// The printed report's first page: what was planned (stacks, environment and what it means),
/// when, the link back to this exact configuration, every change from the preset, and the
/// review's counts (refused field text counted as errors). Print only.
#[component]
pub fn ReportCover() -> impl IntoView {
    let state = use_state();
    let findings = use_findings();
    let summary = move || {
        state.config.with(|c| {
            let charts: Vec<_> = c.stacks.iter().filter_map(|s| catalog().chart(s)).collect();
            let names = charts
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(" + ");
            let env =
                charts
                    .first()
                    .and_then(|ch| ch.environment(&c.env))
                    .map_or(c.env.clone(), |e| match &e.users {
                        Some(u) => format!("{} ({u} users): {}", e.name, e.summary),
                        None => format!("{}: {}", e.name, e.summary),
                    });
            (names, env)
        })
    };
    let link = move || {
        state.config.with(|c| {
            tonnage_core::share::link(
                &crate::browser::location_base(),
                &tonnage_core::share::encode(catalog(), c),
            )
        })
    };
    let changes = move || state.config.with(|c| c.changes_from_preset(catalog()));
    view! {
        <section class="print-only report-cover" data-testid="report-cover">
            <p class="muted">"Tonnage sizing review · " {today()}</p>
            <h2 class="cover-title">{move || summary().0}</h2>
            <p><strong>"Environment: "</strong>{move || summary().1}</p>
            <p><strong>"Review: "</strong>{move || {
                let (e, w, i) = findings.with(|f| review::counts(f));
                let bad = state.invalid.with(Vec::len);
                let mut t = format!("{}, {}, {}", plural(e + bad, "error", "errors"), plural(w, "warning", "warnings"), plural(i, "note", "notes"));
                if bad > 0 {
                    t.push_str(&format!(" ({} in field text not applied)", plural(bad, "error", "errors")));
                }
                t
            }}</p>
            <p class="cover-link"><strong>"Link to this configuration: "</strong>{link}</p>
            {move || {
                let list = changes();
                if list.is_empty() {
                    return view! { <p data-testid="cover-changes">"No changes: the preset as its guide gives it."</p> }.into_any();
                }
                view! {
                    <div data-testid="cover-changes">
                        <p><strong>{format!("{} from the preset:", plural(list.len(), "change", "changes"))}</strong></p>
                        <ul class="cover-changes">
                            {list.into_iter().map(|c| view! {
                                <li><code>{format!("{}: {}", c.stack, c.path)}</code> " " {c.preset.unwrap_or_else(|| "not set".into())} " → " <strong>{c.value}</strong></li>
                            }).collect_view()}
                        </ul>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn Findings() -> impl IntoView {
    let state = use_state();
    let findings = use_findings();
    let heading: NodeRef<leptos::html::H2> = NodeRef::new();
    let invalid = state.invalid;
    // Refused field text counts as an error: the plan does not say what the user typed.
    let counts = move || {
        let (e, w, i) = findings.with(|f| review::counts(f));
        (e + invalid.with(Vec::len), w, i)
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
                    {m.iter().map(|f| view! {
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
