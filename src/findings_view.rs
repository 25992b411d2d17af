//! Review findings: the core's `review::review` on the configuration, live, and the chart audit
//! (`review::audit_findings`), which the Files worker computes (its facts are not part of the
//! first load) once the section is on screen, merged in the review's order (`review::merged`).
//! Each finding shows its severity (icon and word), the component, the message, why it matters
//! with its source, its evidence (the key, where its value came from, the guide's words, what the
//! template does) and a one-click fix: the core's `review::apply_fix`, one undo step, after which
//! the section says what changed and offers Undo. A fix in words (nothing to set) is shown as
//! advice. The list is part of the printed report; the buttons are not (their labels are).

use leptos::prelude::*;
use tonnage_core::files::{Reply, Request};
use tonnage_core::review::{self, Change, Evidence, Finding, Fix, Severity};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::state::{catalog, use_state, AppState, Notice, NoticeKind};
use crate::worker;

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

/// What the last fix did, for the line that says so and offers Undo.
#[derive(Clone, PartialEq)]
struct Applied {
    label: String,
    changes: Vec<Change>,
}

/// Apply a fix in one undo step through the core (`review::apply_fix`); returns what changed.
fn apply_fix(state: AppState, fix: &Fix) -> Option<Vec<Change>> {
    let mut changes = Vec::new();
    let r = state.apply(|c| {
        changes = review::apply_fix(catalog(), c, fix)?;
        Ok::<(), tonnage_core::ConfigError>(())
    });
    match r {
        Ok(()) => Some(changes),
        Err(e) => {
            state.notice.set(Some(Notice {
                kind: NoticeKind::Error,
                text: format!("The fix could not be applied: {e}"),
            }));
            None
        }
    }
}

/// Calls `on_visible` once, the first time `el` is on screen (IntersectionObserver).
fn when_visible(el: &web_sys::Element, on_visible: impl Fn() + 'static) {
    let cb = Closure::<dyn FnMut(js_sys::Array, web_sys::IntersectionObserver)>::new(
        move |entries: js_sys::Array, obs: web_sys::IntersectionObserver| {
            let seen = entries.iter().any(|e| {
                e.dyn_into::<web_sys::IntersectionObserverEntry>()
                    .is_ok_and(|e| e.is_intersecting())
            });
            if seen {
                obs.disconnect();
                on_visible();
            }
        },
    );
    if let Ok(obs) = web_sys::IntersectionObserver::new(cb.as_ref().unchecked_ref()) {
        obs.observe(el);
    }
    cb.forget();
}

fn evidence_view(e: Evidence) -> impl IntoView {
    let value = e.value.map(|v| view! { " = " <code>{v}</code> });
    let guide = e.guide.map(|g| {
        let src = e.guide_source.map(|s| format!(" ({s})")).unwrap_or_default();
        view! { <div class="ev-guide"><span class="ev-label">"Guide: "</span>{format!("\u{201c}{g}\u{201d}{src}")}</div> }
    });
    let chart = e
        .chart
        .map(|c| view! { <div class="ev-chart"><span class="ev-label">"Chart: "</span>{c}</div> });
    view! {
        <li class="evidence" data-testid="evidence" data-key=e.key.clone()>
            <div class="ev-key"><code>{e.key.clone()}</code>{value}<span class="ev-origin">{format!(" ({})", e.origin)}</span></div>
            {guide}
            {chart}
        </li>
    }
}

/// The findings the report's sections share: the review's and the chart audit's, merged.
#[derive(Clone, Copy)]
struct FindingsCtx {
    merged: Memo<Vec<Finding>>,
    /// The findings list has been on screen: from then on the worker computes the audit.
    visible: RwSignal<bool>,
    /// The chart audit of the settled configuration is in `merged` (or failed: `Some(message)`
    /// in `audit_failed`). Until then the counts leave its findings out.
    audit_done: Memo<bool>,
    audit_failed: Memo<Option<String>>,
}

/// The chart audit's reply for one configuration: its findings, or why it failed.
type AuditReply = (tonnage_core::Configuration, Result<Vec<Finding>, String>);

thread_local! {
    /// A print (or a shared link, opened to be printed) asked for the chart audit: the
    /// worker computes it now, whether or not the findings list has been on screen.
    static AUDIT_WANTED: ArcRwSignal<bool> = ArcRwSignal::new(false);
}

/// Ask for the chart audit now (a print hook, see [`crate::lazy::on_print`]): a print held by
/// the page waits for it, and a print that cannot wait says on its cover that it is missing.
pub fn want_audit() {
    AUDIT_WANTED.with(|w| {
        if !w.get_untracked() {
            w.set(true);
        }
    });
}

/// The review's findings: one memo for the report's sections (the cover and the list), made
/// by the first to ask and kept in the caller's context ([`crate::report_body`] asks first).
/// It follows the configuration once editing pauses: the review is the most expensive
/// derivation on the page and not part of what an edit must update within a frame. The chart
/// audit joins it once the findings list has been on screen or a print asked for it (see
/// [`findings_ctx`]).
pub fn use_findings() -> Memo<Vec<Finding>> {
    findings_ctx().merged
}

/// The shared findings, made on first use: the local review (`review::review`) and the chart
/// audit from the worker (`review::audit_findings`: its facts are not part of the first load),
/// asked for once the list is on screen or a print wants it ([`want_audit`]), then on every
/// settled change; a reply for an older configuration is dropped. Both in the review's order
/// (`review::merged`). A print the page holds (Ctrl+P) waits for the audit.
fn findings_ctx() -> FindingsCtx {
    if let Some(c) = use_context::<FindingsCtx>() {
        return c;
    }
    let state = use_state();
    let local = Memo::new(move |_| state.settled.with(|c| review::review(catalog(), c)));
    let audit = RwSignal::new(None::<AuditReply>);
    let visible = RwSignal::new(false);
    let wanted = AUDIT_WANTED.with(Clone::clone);
    let asked = Memo::new(move |_| visible.get() || wanted.get());
    Effect::new(move |_| {
        if !asked.get() {
            return;
        }
        let config = state.settled.get();
        let request = Request::Audit {
            config: config.clone(),
        };
        worker::send(&request, move |reply, _| {
            let result = match reply {
                Reply::Audit { findings } => Ok(findings),
                Reply::Error { message } => Err(message),
                _ => Err("the files worker gave no audit".to_string()),
            };
            if state.settled.with_untracked(|c| *c == config) {
                audit.set(Some((config, result)));
            }
            crate::lazy::check_done();
        });
    });
    let audit_done = Memo::new(move |_| {
        let c = state.settled.get();
        audit.with(|a| matches!(a, Some((for_config, _)) if *for_config == c))
    });
    let audit_failed = Memo::new(move |_| {
        let c = state.settled.get();
        audit.with(|a| match a {
            Some((for_config, Err(m))) if *for_config == c => Some(m.clone()),
            _ => None,
        })
    });
    // A held print waits while the audit is asked for and not in.
    crate::lazy::wait_also(move || asked.get_untracked() && !audit_done.get_untracked());
    let merged = Memo::new(move |_| {
        let c = state.settled.get();
        local.with(|l| {
            audit.with(|a| match a {
                Some((for_config, Ok(list))) if *for_config == c => {
                    review::merged(catalog(), &c, l, list)
                }
                _ => l.clone(),
            })
        })
    });
    let ctx = FindingsCtx {
        merged,
        visible,
        audit_done,
        audit_failed,
    };
    provide_context(ctx);
    ctx
}

/// The cover's line when the chart audit's findings are not in the counts: none when they are.
fn audit_missing(ctx: FindingsCtx) -> Option<String> {
    if let Some(m) = ctx.audit_failed.get() {
        return Some(format!(
            "Incomplete: the chart audit failed ({m}); its findings are not counted."
        ));
    }
    (!ctx.audit_done.get()).then(|| {
        "Incomplete: the chart audit was still running when this was printed; its findings are not counted. Print again in a moment for the complete report.".to_string()
    })
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
    let ctx = findings_ctx();
    let findings = ctx.merged;
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
                if !ctx.audit_done.get() || ctx.audit_failed.get().is_some() {
                    t = format!("at least {t}");
                }
                t
            }}</p>
            {move || audit_missing(ctx).map(|m| view! { <p class="cover-incomplete" data-testid="cover-incomplete"><strong>{m}</strong></p> })}
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
    let ctx = findings_ctx();
    let findings = ctx.merged;
    let section: NodeRef<leptos::html::Section> = NodeRef::new();
    Effect::new(move |_| {
        if let Some(el) = section.get() {
            when_visible(&el, move || ctx.visible.set(true));
        }
    });
    let applied = RwSignal::new(None::<Applied>);
    let heading: NodeRef<leptos::html::H2> = NodeRef::new();
    let invalid = state.invalid;
    // Refused field text counts as an error: the plan does not say what the user typed.
    let counts = move || {
        let (e, w, i) = findings.with(|f| review::counts(f));
        (e + invalid.with(Vec::len), w, i)
    };
    view! {
        <section class="card findings" data-testid="findings" aria-labelledby="findings-title" node_ref=section>
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
                {move || (!ctx.audit_done.get() || ctx.audit_failed.get().is_some()).then(|| view! {
                    <span class="count muted" data-testid="findings-audit-pending">"without the chart audit (not in yet)"</span>
                })}
            </h2>
            {move || applied.get().map(|a| {
                let what = if a.changes.is_empty() {
                    "nothing changed".to_string()
                } else {
                    a.changes.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
                };
                view! {
                    <div class="fix-applied" role="status" data-testid="fix-applied">
                        <span>{format!("Applied \u{201c}{}\u{201d}: {what}.", a.label)}</span>
                        <button data-testid="fix-undo" on:click=move |_| { state.undo(); applied.set(None); }>"Undo"</button>
                    </div>
                }
            })}
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
                                    {(!f.evidence.is_empty()).then(|| view! {
                                        <ul class="evidence-list">{f.evidence.clone().into_iter().map(evidence_view).collect_view()}</ul>
                                    })}
                                    {fix.map(|x| {
                                        let label = x.label.clone();
                                        if x.sets.is_empty() && x.options.is_empty() {
                                            return view! {
                                                <div class="finding-fix advice">{format!("Suggested fix: {label}.")}</div>
                                            }.into_any();
                                        }
                                        let fix_value = StoredValue::new(x);
                                        view! {
                                            <div class="finding-fix">
                                                <button class="primary" data-testid=format!("fix-{rule}")
                                                    on:click=move |_| {
                                                        let done = fix_value.with_value(|x| apply_fix(state, x));
                                                        if let Some(changes) = done {
                                                            applied.set(Some(Applied { label: fix_value.with_value(|x| x.label.clone()), changes }));
                                                        }
                                                        if let Some(h) = heading.get() {
                                                            let _ = h.focus();
                                                        }
                                                    }>{format!("Fix: {label}")}</button>
                                                <span class="print-only">{format!("Suggested fix: {label}.")}</span>
                                            </div>
                                        }.into_any()
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
