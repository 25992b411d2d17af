//! Configure: components grouped by role, each with its on/off switch, replicas, requests and
//! limits, storage and autoscaling; chart-level settings. Every field shows the preset's value
//! and whether it was changed, validates inline through the core, and can be reset.

use leptos::prelude::*;
use serde_yaml::Value;
use tonnage_core::catalog::{Chart, Component};
use tonnage_core::config::{
    component_fields, field_kind, inactive_fields, parse_field_input, Field, FieldKind,
};
use tonnage_core::external;
use tonnage_core::values::{display_value, quantity_of};
use tonnage_core::ConfigError;

use crate::state::{catalog, use_state, InvalidInput};

/// Display groups of the catalog's roles.
const GROUPS: &[(&str, &[&str])] = &[
    (
        "Application",
        &["frontend", "gateway", "app", "adapter", "ml", "realtime"],
    ),
    (
        "Workers and schedulers",
        &["worker", "consumer", "scheduler"],
    ),
    ("Data", &["database", "timeseries-database", "vector-store"]),
    (
        "Messaging and cache",
        &["cache", "queue", "broker", "coordination"],
    ),
];

fn group_of(role: &str) -> &'static str {
    GROUPS
        .iter()
        .find(|(_, roles)| roles.contains(&role))
        .map_or("Other", |(g, _)| g)
}

/// Text of a value for an input: quantities canonical, others as YAML scalars.
fn text_of(kind: FieldKind, v: &Option<Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(v) if kind == FieldKind::Quantity => quantity_of(v)
            .map(|q| q.to_string())
            .unwrap_or_else(|_| display_value(v)),
        Some(v) => display_value(v),
    }
}

/// The message a field shows for a rejected value: the core's problem, without the path.
fn field_message(e: &ConfigError) -> String {
    match e {
        ConfigError::BadValue { problem, .. } => problem.clone(),
        other => other.to_string(),
    }
}

fn dom_id(stack: &str, path: &str) -> String {
    format!("f-{stack}-{}", path.replace(['.', '[', ']'], "-"))
}

/// One editable value. `testid` is `field-<stack>-<component>-<key>` (or `setting-...`).
#[component]
pub fn FieldInput(
    stack: &'static str,
    path: String,
    label: String,
    kind: FieldKind,
    testid: String,
    #[prop(optional)] problem: Option<Signal<Option<String>>>,
    /// Whose field, for the list of refused inputs (`Chart / Component`).
    #[prop(optional, into)]
    owner: String,
    /// Why the chart ignores this field for the values in effect (core `inactive_fields`):
    /// shown, and the input disabled.
    #[prop(optional)]
    inactive: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let state = use_state();
    let path = StoredValue::new(path);
    let current = Memo::new(move |_| path.with_value(|p| state.value_at(stack, p)));
    let preset = Memo::new(move |_| {
        state.preset.track();
        path.with_value(|p| state.preset_at(stack, p))
    });
    let changed = Memo::new(move |_| path.with_value(|p| state.is_overridden(stack, p)));
    let text = RwSignal::new(text_of(kind, &current.get_untracked()));
    let error = RwSignal::new(None::<String>);
    // Follow outside changes (undo, reset, preset switch) unless the text already means the
    // value in effect (so typing "2048Mi" is not rewritten to "2Gi" under the cursor).
    Effect::new(move |_| {
        let cur = text_of(kind, &current.get());
        let typed = text.get_untracked();
        let typed_means = text_of(kind, &Some(parse_field_input(kind, &typed)));
        if typed_means != cur {
            text.set(cur);
            error.set(None);
        }
    });
    let id = path.with_value(|p| dom_id(stack, p));
    let err_id = format!("{id}-err");
    // The refused text is listed page-wide (banner, review, header) while the field shows it.
    let what = StoredValue::new(format!("{owner}: {label}"));
    let input_id = StoredValue::new(id.clone());
    Effect::new(move |_| {
        let entry = error.get().map(|message| InvalidInput {
            id: input_id.get_value(),
            what: what.get_value(),
            text: text.get_untracked(),
            message,
        });
        input_id.with_value(|i| state.set_invalid(i, entry));
    });
    on_cleanup(move || {
        if let Some(i) = input_id.try_get_value() {
            state.set_invalid(&i, None);
        }
    });
    let commit = move |v: Value| {
        let r = path.with_value(|p| state.set_value(stack, p, v));
        error.set(r.err().map(|e| field_message(&e)));
    };
    let reset = move |_| {
        path.with_value(|p| state.reset_path(stack, p));
        error.set(None);
    };
    let preset_text = move || {
        let p = text_of(kind, &preset.get());
        if p.is_empty() {
            "not set".to_string()
        } else {
            p
        }
    };
    let shown_problem = move || error.get().or_else(|| problem.and_then(|p| p.get()));
    let unused = move || inactive.and_then(|s| s.get());
    let input = match kind {
        FieldKind::Bool => view! {
            <input
                type="checkbox"
                id=id.clone()
                data-testid=testid.clone()
                prop:checked=move || matches!(current.get(), Some(Value::Bool(true)))
                disabled=move || unused().is_some()
                on:change=move |ev| commit(Value::Bool(event_target_checked(&ev)))
            />
        }
        .into_any(),
        _ => view! {
            <input
                type="text"
                id=id.clone()
                inputmode=if matches!(kind, FieldKind::Count | FieldKind::Percent | FieldKind::Integer) { "numeric" } else { "text" }
                autocomplete="off"
                spellcheck="false"
                data-testid=testid.clone()
                aria-invalid=move || shown_problem().is_some().to_string()
                aria-describedby=err_id.clone()
                prop:value=move || text.get()
                disabled=move || unused().is_some()
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    text.set(v.clone());
                    commit(parse_field_input(kind, &v));
                }
            />
        }
        .into_any(),
    };
    view! {
        <div class="field" class:changed=move || changed.get() class:invalid=move || shown_problem().is_some() class:inactive=move || unused().is_some()>
            <label for=id.clone()>{label}</label>
            <div class="field-row">
                {input}
                <button
                    class="reset"
                    title="Reset to the preset"
                    aria-label="Reset to the preset"
                    data-testid=format!("{testid}-reset")
                    disabled=move || !changed.get()
                    on:click=reset
                >"↺"</button>
            </div>
            <div class="field-note" id=format!("{id}-err") aria-live="polite">
                {move || match (shown_problem(), unused()) {
                    (Some(m), _) => view! { <span class="error" data-testid=format!("{testid}-error")>{m}</span> }.into_any(),
                    (None, Some(why)) => view! { <span class="unused" data-testid=format!("{testid}-unused")>{format!("not used: {why}")}</span> }.into_any(),
                    (None, None) => view! {
                        <span class="preset">
                            {move || if changed.get() { format!("preset: {}", preset_text()) } else { "preset".to_string() }}
                        </span>
                    }.into_any(),
                }}
            </div>
        </div>
    }
}

/// Components of a chart that need `comp` and are switched on, across the selected charts.
/// Components of the configuration that depend on `comp`: (chart id, component id, name).
fn dependents_of(
    stack: &str,
    comp: &Component,
    stacks: &[String],
) -> Vec<(String, String, String)> {
    let qualified = format!("{stack}/{}", comp.id);
    let mut out = Vec::new();
    for s in stacks {
        let Some(ch) = catalog().chart(s) else {
            continue;
        };
        for c in &ch.components {
            let needs = c
                .depends_on
                .iter()
                .any(|d| *d == qualified || (ch.id == stack && *d == comp.id));
            if needs {
                out.push((ch.id.clone(), c.id.clone(), c.name.clone()));
            }
        }
    }
    out
}

#[component]
fn ComponentCard(chart: &'static Chart, comp: &'static Component) -> impl IntoView {
    let state = use_state();
    let stack: &'static str = chart.id.as_str();
    let fields: Vec<Field> = component_fields(comp);
    let paths: Vec<String> = fields.iter().map(|f| f.path.clone()).collect();
    let paths_for_count = paths.clone();
    let changes = Memo::new(move |_| {
        state.overrides_with(stack, |o| {
            o.map_or(0, |m| {
                paths_for_count
                    .iter()
                    .filter(|p| m.contains_key(*p))
                    .count()
            })
        })
    });
    let enabled = Memo::new(move |_| {
        state.plan.with(|p| {
            p.components
                .iter()
                .any(|c| c.stack == stack && c.id == comp.id && c.enabled)
        })
    });
    let enabled_field = fields.iter().find(|f| f.key == "enabled").cloned();
    let sizing: Vec<Field> = fields.into_iter().filter(|f| f.key != "enabled").collect();
    let problem_for = move |key: &'static str| {
        Signal::derive(move || {
            state.problems_with(stack, |ps| {
                ps.iter()
                    .find(|p| p.component == comp.id && p.field == key)
                    .map(|p| p.message.clone())
            })
        })
    };
    // Fields the chart ignores for the values in effect (storage while persistence is off...).
    let inactive = Memo::new(move |_| {
        state.values_with(stack, |v| {
            v.map(|v| inactive_fields(comp, v)).unwrap_or_default()
        })
    });
    let inactive_for = move |key: &'static str| {
        Signal::derive(move || {
            inactive.with(|l| {
                l.iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, why)| why.clone())
            })
        })
    };
    let ext_key = external::option_key(stack, &comp.id);
    let endpoint = {
        let key = ext_key.clone();
        Memo::new(move |_| {
            state
                .options
                .with(|o| o.get(&key).filter(|v| !v.trim().is_empty()).cloned())
        })
    };
    // Running components that need this one: shown when it is off, or bypassed by an endpoint.
    let dependents = move || {
        if enabled.get() && endpoint.with(Option::is_none) {
            return Vec::new();
        }
        let deps = state.stack_ids.with(|s| dependents_of(stack, comp, s));
        state.plan.with(|p| {
            deps.into_iter()
                .filter(|(s, id, _)| {
                    p.components
                        .iter()
                        .any(|c| c.stack == *s && c.id == *id && c.enabled)
                })
                .collect::<Vec<_>>()
        })
    };
    // Where an endpoint for this component goes, per dependant chart of the configuration.
    let destinations = move || {
        state.stack_ids.with(|stacks| {
            external::dependants(catalog(), stacks, stack, &comp.id)
                .into_iter()
                .map(|(ch, conn)| (conn.host.is_some(), external::describe(ch, conn)))
                .collect::<Vec<_>>()
        })
    };
    let ext_error: RwSignal<Option<String>> = RwSignal::new(None);
    let testid = |key: &str| format!("field-{stack}-{}-{}", comp.id, key.replace('.', "-"));
    let ext_key2 = ext_key.clone();
    let owner = format!("{} / {}", chart.name, comp.name);
    view! {
        <article class="component" class:off=move || !enabled.get() data-testid=format!("card-{stack}-{}", comp.id)>
            <header class="component-head">
                <div>
                    <h3>{comp.name.clone()}</h3>
                    <div class="muted">
                        <span class=format!("role role-{}", comp.role)>{comp.role.clone()}</span>
                        " " {comp.kind.as_str()} " · " {if comp.is_stateful() { "stateful" } else { "stateless" }}
                    </div>
                </div>
                <div class="component-actions">
                    {move || (changes.get() > 0).then(|| view! {
                        <span class="badge" data-testid=format!("changes-{stack}-{}", comp.id)>{changes.get()} " changed"</span>
                    })}
                    <button
                        class="link"
                        disabled=move || changes.get() == 0
                        data-testid=format!("reset-{stack}-{}", comp.id)
                        on:click={
                            let paths = paths.clone();
                            move |_| state.reset_paths(stack, &paths)
                        }
                    >"Reset component"</button>
                </div>
            </header>
            {enabled_field.map(|f| view! {
                <div class="toggle">
                    <FieldInput stack=stack path=f.path.clone() label="Deployed".to_string() kind=FieldKind::Bool testid=testid("enabled") owner=owner.clone()/>
                </div>
            })}
            {move || {
                let deps = dependents();
                (!deps.is_empty()).then(|| {
                    let list = deps.iter().map(|(s, _, n)| if s == stack { n.clone() } else { format!("{n} ({s})") }).collect::<Vec<_>>().join(", ");
                    let key = ext_key.clone();
                    let key2 = ext_key2.clone();
                    let on = enabled.get();
                    let headline = if on {
                        format!(
                            "{} is deployed, yet {} point at the external endpoint {}.",
                            comp.name,
                            list,
                            endpoint.get().unwrap_or_default()
                        )
                    } else {
                        format!(
                            "{} {} {}.",
                            list,
                            if deps.len() == 1 { "needs" } else { "need" },
                            comp.name
                        )
                    };
                    let hint = if on {
                        " Clear the endpoint to use this one, or switch it off. "
                    } else if endpoint.with(Option::is_some) {
                        " Switched off: they use the external endpoint below. "
                    } else {
                        " Switched off, they cannot start unless they reach an external one. "
                    };
                    view! {
                        <div class="warning" role="alert" data-testid=format!("depwarn-{stack}-{}", comp.id)>
                            <strong>{headline}</strong>
                            {hint}
                            <label>
                                "External endpoint (host:port): "
                                <input
                                    type="text"
                                    placeholder="db.example.com:5432"
                                    data-testid=format!("external-{stack}-{}", comp.id)
                                    prop:value=move || state.options.with(|o| o.get(&key).cloned().unwrap_or_default())
                                    on:change=move |ev| {
                                        let v = event_target_value(&ev);
                                        let k = key2.clone();
                                        let r = state.apply(|c| c.set_option(catalog(), &k, &v));
                                        ext_error.set(r.err().map(|e| e.to_string()));
                                    }
                                />
                            </label>
                            {move || ext_error.get().map(|m| view! {
                                <span class="error" data-testid=format!("external-{stack}-{}-error", comp.id)>{m}</span>
                            })}
                            <ul class="muted" data-testid=format!("external-{stack}-{}-where", comp.id)>
                                {destinations().into_iter().map(|(written, text)| {
                                    let line = match (written, endpoint.with(Option::is_some)) {
                                        (true, true) => format!("Written to {text}"),
                                        (true, false) => format!("An endpoint goes to {text}"),
                                        (false, _) => text,
                                    };
                                    view! { <li class:error=!written>{line}</li> }
                                }).collect_view()}
                            </ul>
                        </div>
                    }
                })
            }}
            <div class="fields">
                {sizing.into_iter().map(|f| {
                    let problem = problem_for(f.key);
                    let unused = inactive_for(f.key);
                    view! { <FieldInput stack=stack path=f.path.clone() label=f.label.to_string() kind=f.kind testid=testid(f.key) problem=problem owner=owner.clone() inactive=unused/> }
                }).collect_view()}
            </div>
        </article>
    }
}

#[component]
fn ChartSettings(chart: &'static Chart) -> impl IntoView {
    if chart.settings.is_empty() {
        return ().into_any();
    }
    let stack: &'static str = chart.id.as_str();
    let mut groups: Vec<(String, Vec<&'static tonnage_core::catalog::Setting>)> = Vec::new();
    for s in &chart.settings {
        let g = if s.group.is_empty() {
            "Settings".to_string()
        } else {
            s.group.clone()
        };
        match groups.iter_mut().find(|(name, _)| *name == g) {
            Some((_, v)) => v.push(s),
            None => groups.push((g, vec![s])),
        }
    }
    view! {
        <details class="card settings" data-testid=format!("settings-{stack}")>
            <summary>{format!("{} settings ({})", chart.name, chart.settings.len())}</summary>
            {groups.into_iter().map(|(g, items)| view! {
                <fieldset>
                    <legend>{g}</legend>
                    <div class="fields">
                        {items.into_iter().map(|s| {
                            let kind = field_kind(chart, &s.path);
                            let tid = format!("setting-{stack}-{}", s.path.replace(['.', '[', ']'], "-"));
                            view! {
                                <div title=s.help.clone()>
                                    <FieldInput stack=stack path=s.path.clone() label=s.label.clone() kind=kind testid=tid owner=format!("{} settings", chart.name)/>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            }).collect_view()}
        </details>
    }
    .into_any()
}

/// All selected charts: components grouped by role, then chart settings.
#[component]
pub fn Editor() -> impl IntoView {
    let state = use_state();
    view! {
        <section class="editor" data-testid="editor">
            {move || state.charts().into_iter().map(|chart| {
                let mut grouped: Vec<(&'static str, Vec<&'static Component>)> = Vec::new();
                for (g, _) in GROUPS.iter().copied().chain(std::iter::once(("Other", &[][..]))) {
                    let comps: Vec<&Component> = chart.components.iter().filter(|c| group_of(&c.role) == g).collect();
                    if !comps.is_empty() {
                        grouped.push((g, comps));
                    }
                }
                view! {
                    <div class="chart-block">
                        <h2 class="chart-title">{chart.name.clone()} <span class="muted">{format!(" {}", chart.id)}</span></h2>
                        {grouped.into_iter().map(|(g, comps)| view! {
                            <h3 class="group-title">{g}</h3>
                            <div class="component-grid">
                                {comps.into_iter().map(|c| view! { <ComponentCard chart=chart comp=c/> }).collect_view()}
                            </div>
                        }).collect_view()}
                        <ChartSettings chart=chart/>
                    </div>
                }
            }).collect_view()}
        </section>
    }
}
