//! Import: paste or upload an existing values file for a chart. Known keys become overrides,
//! unknown keys are listed, a YAML error shows its line and column. The file is merged onto the
//! current configuration, or (the user's choice) replaces the environment's values, in which
//! case the report lists what falls back to values.yaml and which of the user's overrides go.
//! Nothing changes until the user applies it; the notice then says what changed, and Undo
//! takes it back. The file is read by the worker (src/worker.rs),
//! which has the YAML parser: the page's own code, downloaded on every first load, has none.

use leptos::prelude::*;
use leptos::task::spawn_local;
use tonnage_core::files::{Reply, Request};
use tonnage_core::import::{ImportMode, ImportReport};
use tonnage_core::values::display_value;

use crate::state::{catalog, use_state, Notice, NoticeKind};
use crate::worker;

/// Its code is fetched when the panel first opens (src/lazy.rs).
#[component]
pub fn ImportView() -> impl IntoView {
    crate::lazy::panel("card import", "import", "Import a values file", import_body)
}

/// The panel's body: the chart, the text or file, and the worker's reading of it.
#[cfg_attr(feature = "split", leptos::lazy)]
async fn import_body(_open: RwSignal<bool>) -> AnyView {
    let state = use_state();
    let text = RwSignal::new(String::new());
    // The uploaded file's name while its text is the one shown (the audit names it).
    let file_name = RwSignal::new(None::<String>);
    let chart = RwSignal::new(String::new());
    let mode = RwSignal::new(ImportMode::Merge);
    let chart_id = move || {
        let c = chart.get();
        let ids = state.stack_ids.get();
        if ids.contains(&c) {
            c
        } else {
            ids.first().cloned().unwrap_or_default()
        }
    };
    // The worker's reading of the text for the chart and configuration: `None` while there is
    // no text. Each change sends the text again; only the reply to the newest request is shown.
    let result = RwSignal::new(None::<Result<ImportReport, String>>);
    let reading = RwSignal::new(false);
    let sent = StoredValue::new(0u64);
    Effect::new(move |_| {
        let t = text.get();
        let id = chart_id();
        let config = state.config.get();
        let mode = mode.get();
        let n = sent.get_value() + 1;
        sent.set_value(n);
        if t.trim().is_empty() {
            result.set(None);
            reading.set(false);
            return;
        }
        reading.set(true);
        let request = Request::Import {
            config,
            chart: id,
            text: t,
            mode,
        };
        worker::send(&request, move |reply, _| {
            if sent.try_get_value() != Some(n) {
                return; // a newer text is on its way
            }
            reading.set(false);
            result.set(Some(match reply {
                Reply::Import { report } => Ok(report),
                Reply::Error { message } => Err(message),
                _ => Err("the worker answered something else than an import".into()),
            }));
        });
    });
    let on_file = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement =
            wasm_bindgen::JsCast::unchecked_into(event_target::<web_sys::EventTarget>(&ev));
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(v) => {
                    file_name.set(Some(file.name()));
                    text.set(v.as_string().unwrap_or_default());
                }
                Err(_) => state.notice.set(Some(Notice {
                    kind: NoticeKind::Error,
                    text: format!("Could not read {}.", file.name()),
                })),
            }
        });
    };
    let apply = move |mut report: ImportReport| {
        report.file = file_name.get_untracked();
        let id = chart_id();
        let r = state.apply(|c| report.apply(catalog(), c, &id).map(|_| ()));
        let ok = r.is_ok();
        state.notice.set(Some(match r {
            Ok(()) => Notice {
                kind: NoticeKind::Info,
                text: applied_text(&report, &id),
            },
            Err(e) => Notice {
                kind: NoticeKind::Error,
                text: format!("Nothing was imported: {e}"),
            },
        }));
        if ok {
            text.set(String::new());
            file_name.set(None);
        }
    };
    let mode_choice = move |value: ImportMode, id: &'static str, label: &'static str| {
        view! {
            <label class="choice">
                <input type="radio" name="import-mode" data-testid=id
                    prop:checked=move || mode.get() == value
                    on:change=move |_| mode.set(value)/>
                {label}
            </label>
        }
    };
    view! {
            <div class="import-form">
                <label>
                    "Chart "
                    <select data-testid="import-chart" on:change=move |ev| chart.set(event_target_value(&ev))>
                        {move || state.stack_ids.get().into_iter().map(|id| view! { <option value=id.clone()>{id.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="upload">"Upload " <input type="file" accept=".yaml,.yml,text/yaml" data-testid="import-file" on:change=on_file/></label>
            </div>
            <fieldset class="import-mode">
                <legend>"The file"</legend>
                {mode_choice(ImportMode::Merge, "import-mode-merge", "merges onto the current configuration (helm upgrade --reuse-values -f)")}
                {mode_choice(ImportMode::Replace, "import-mode-replace", "replaces the environment's values (helm install -f values-<env> alone)")}
            </fieldset>
            <label class="sr-only" for="import-text">"Values file"</label>
            <textarea id="import-text" data-testid="import-text" rows="8" spellcheck="false"
                placeholder="Paste a values.yaml or values-<env>.yaml here"
                prop:value=move || text.get() on:input=move |ev| {
                    file_name.set(None);
                    text.set(event_target_value(&ev));
                }></textarea>
            {move || reading.get().then(|| view! { <p class="muted" data-testid="import-reading">"Reading the file…"</p> })}
            {move || result.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert" data-testid="import-error">{e}</p> }.into_any(),
                Ok(report) => {
                    let n = report.overrides.len();
                    let report2 = report.clone();
                    view! {
                        <div class="import-report" data-testid="import-report" data-value=n.to_string()>
                            <p>{format!("{} from {base} and would become overrides; {} {base}.", if n == 1 { "1 value differs".to_string() } else { format!("{n} values differ") }, if report.unchanged == 1 { "1 equals".to_string() } else { format!("{} equal", report.unchanged) }, base = if report.mode == ImportMode::Merge { "the current configuration" } else { "the preset" })}</p>
                            <ul>{report.overrides.iter().map(|(p, v)| view! { <li><code>{p.clone()}</code> " = " {display_value(v)}</li> }).collect_view()}</ul>
                            {(!report.restored.is_empty()).then(|| view! {
                                <p class="muted" data-testid="import-restored">{format!(
                                    "The file stands in for the environment's values file, so {} value{} the preset sets and the file leaves out fall back to the chart's values.yaml: {}",
                                    report.restored.len(), if report.restored.len() == 1 { "" } else { "s" }, report.restored.join(", "))}</p>
                            })}
                            {(!report.dropped.is_empty()).then(|| view! {
                                <p class="warning" data-testid="import-dropped">{format!(
                                    "Applying also drops {} of your overrides: {}",
                                    report.dropped.len(), report.dropped.join(", "))}</p>
                            })}
                            {(!report.unknown.is_empty()).then(|| view! {
                                <p class="warning" data-testid="import-unknown">{format!("Unknown to this chart, not imported: {}", report.unknown.join(", "))}</p>
                            })}
                            {(!report.invalid.is_empty()).then(|| view! {
                                <ul class="error" data-testid="import-invalid">{report.invalid.iter().map(|(p, m)| view! { <li><code>{p.clone()}</code> ": " {m.clone()}</li> }).collect_view()}</ul>
                            })}
                            <button class="primary" data-testid="import-apply" disabled=move || n == 0 || reading.get() on:click=move |_| apply(report2.clone())>{apply_label(&report)}</button>
                        </div>
                    }.into_any()
                }
            })}
    }
    .into_any()
}

/// The Apply button's words: what applying does, before the user does it.
fn apply_label(report: &ImportReport) -> String {
    let n = report.overrides.len();
    let values = format!("{n} value{}", if n == 1 { "" } else { "s" });
    match report.mode {
        ImportMode::Merge => format!("Merge {values}"),
        ImportMode::Replace if report.dropped.is_empty() => format!("Replace with {values}"),
        ImportMode::Replace => format!(
            "Replace with {values}, dropping {} override{}",
            report.dropped.len(),
            if report.dropped.len() == 1 { "" } else { "s" }
        ),
    }
}

/// The notice after an import: what changed, and how to take it back.
fn applied_text(report: &ImportReport, chart: &str) -> String {
    let n = report.overrides.len();
    let values = format!("{n} value{}", if n == 1 { "" } else { "s" });
    let mut t = match report.mode {
        ImportMode::Merge => format!("Merged {values} into {chart}; your other settings stay."),
        ImportMode::Replace => {
            format!("Imported {values} into {chart} in place of the environment's values.")
        }
    };
    if !report.restored.is_empty() {
        t.push_str(&format!(
            " {} fell back to values.yaml.",
            report.restored.len()
        ));
    }
    if !report.dropped.is_empty() {
        t.push_str(&format!(" Dropped your {}.", report.dropped.join(", ")));
    }
    t.push_str(" Undo (Ctrl+Z) takes the import back.");
    t
}
