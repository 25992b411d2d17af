//! Preview every generated file (values bundle, rendered manifests) with the lines that differ
//! from the preset highlighted, copy one, and download the bundles as .zip or .tar.gz built
//! in the browser by the core. Nothing is generated while the panel is closed.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use tonnage_core::archive::{tar_gz, zip, OutFile};
use tonnage_core::bundle::{credential_paths, values_bundle, values_bundle_file, BundleOptions};
use tonnage_core::manifests::{multi_doc, multi_doc_files, per_object_files, render, render_stack};
use tonnage_core::textdiff::changed_lines;
use tonnage_core::Configuration;

use crate::browser;
use crate::state::{catalog, use_state};

type Passwords = BTreeMap<(String, String), String>;

/// Every file the preview offers: the values bundle, then one manifest stream per chart.
fn preview_files(config: &Configuration, passwords: &Passwords) -> Vec<OutFile> {
    let opts = BundleOptions {
        passwords: passwords.clone(),
    };
    let mut files = values_bundle(catalog(), config, &opts);
    for mut f in multi_doc_files(&render(catalog(), config)) {
        f.path = format!("manifests/{}", f.path);
        files.push(f);
    }
    files
}

/// One file of [`preview_files`], generating only that file (one chart's manifests, one values
/// file): what the preview needs on every keystroke.
fn preview_file(config: &Configuration, passwords: &Passwords, path: &str) -> Option<OutFile> {
    if let Some(chart) = path
        .strip_prefix("manifests/")
        .and_then(|p| p.strip_suffix(".yaml"))
    {
        let items = render_stack(catalog(), config, chart);
        return (!items.is_empty()).then(|| OutFile::new(path, multi_doc(&items)));
    }
    let opts = BundleOptions {
        passwords: passwords.clone(),
    };
    values_bundle_file(catalog(), config, &opts, path)
}

/// Consecutive lines with the same mark as one run of text: one element per run rather than
/// per line keeps the preview cheap to rebuild on every keystroke.
fn line_runs(contents: &str, marks: &[bool]) -> Vec<(String, bool)> {
    let mut runs: Vec<(String, bool)> = Vec::new();
    for (line, m) in contents.lines().zip(marks.iter().copied()) {
        match runs.last_mut() {
            Some((text, mark)) if *mark == m => {
                text.push_str(line);
                text.push('\n');
            }
            _ => runs.push((format!("{line}\n"), m)),
        }
    }
    runs
}

fn without_overrides(c: &Configuration) -> Configuration {
    let mut p = c.clone();
    p.overrides.clear();
    p
}

/// A strong password from the browser's cryptographic random source (rejection sampling, so
/// every character is equally likely). `None` when the browser offers no such source.
fn strong_password() -> Option<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let crypto = web_sys::window()?.crypto().ok()?;
    let mut out = String::new();
    while out.len() < 24 {
        let mut buf = [0u8; 32];
        crypto.get_random_values_with_u8_array(&mut buf).ok()?;
        for b in buf {
            // 248 = 4 x 62: bytes above it would bias the first characters.
            if b < 248 && out.len() < 24 {
                out.push(ALPHABET[(b % 62) as usize] as char);
            }
        }
    }
    Some(out)
}

fn archive_name(c: &Configuration, what: &str, ext: &str) -> String {
    format!("tonnage-{}-{}-{what}.{ext}", c.stacks.join("+"), c.env)
}

#[component]
pub fn FilesView() -> impl IntoView {
    let state = use_state();
    let open = RwSignal::new(false);
    let selected = RwSignal::new(String::new());
    // Generated passwords live only here, in memory: never in a link or localStorage.
    let passwords = RwSignal::new(Passwords::new());
    // The preset (the configuration less its overrides) and its files: the file list and what
    // the preview diffs against. Memos, so editing a value regenerates neither.
    let preset = Memo::new(move |_| state.config.with(without_overrides));
    let preset_files = Memo::new(move |_| {
        if !open.get() {
            return Vec::new();
        }
        let pw = passwords.get();
        preset.with(|c| preview_files(c, &pw))
    });
    let paths = Memo::new(move |_| {
        preset_files.with(|f| f.iter().map(|x| x.path.clone()).collect::<Vec<_>>())
    });
    // Only the shown file is generated for the current configuration, and diffed.
    let shown = Memo::new(move |_| {
        let path = selected.get();
        let path = paths.with(|ps| {
            ps.iter()
                .find(|p| **p == path)
                .or_else(|| ps.first())
                .cloned()
        })?;
        let pw = passwords.get();
        let file = state.config.with(|c| preview_file(c, &pw, &path))?;
        let marks = preset_files.with(|fs| {
            let old = fs
                .iter()
                .find(|f| f.path == path)
                .map(|f| f.contents.as_str())
                .unwrap_or("");
            changed_lines(old, &file.contents)
        });
        Some((file, marks))
    });
    let copied = RwSignal::new(false);
    let copy = move |_| {
        if let Some((f, _)) = shown.get_untracked() {
            spawn_local(async move {
                let ok = browser::copy_text(&f.contents).await;
                copied.set(ok);
            });
        }
    };
    let download = move |what: &'static str, ext: &'static str| {
        let (files, name) = state.config.with_untracked(|c| {
            let files = if what == "values" {
                values_bundle(
                    catalog(),
                    c,
                    &BundleOptions {
                        passwords: passwords.get_untracked(),
                    },
                )
            } else {
                per_object_files(&render(catalog(), c))
            };
            (files, archive_name(c, what, ext))
        });
        let (bytes, mime) = if ext == "zip" {
            (zip(&files), "application/zip")
        } else {
            (tar_gz(&files), "application/gzip")
        };
        browser::download(&name, mime, &bytes);
    };
    let generate = move |_| {
        let mut pw = Passwords::new();
        state.effective.with_untracked(|charts| {
            for (id, values) in charts {
                let Some(chart) = catalog().chart(id) else {
                    continue;
                };
                for path in credential_paths(chart, values) {
                    if let Some(p) = strong_password() {
                        pw.insert((id.clone(), path), p);
                    }
                }
            }
        });
        passwords.set(pw);
    };
    view! {
        <details class="card files" data-testid="files" on:toggle=move |ev| {
            let el: web_sys::HtmlDetailsElement = wasm_bindgen::JsCast::unchecked_into(event_target::<web_sys::EventTarget>(&ev));
            open.set(el.open());
        }>
            <summary>"Files: values bundle and rendered manifests"</summary>
            <div class="downloads">
                <span>"Download"</span>
                <button class="primary" data-testid="download-values-zip" on:click=move |_| download("values", "zip")>"Values bundle .zip"</button>
                <button class="primary" data-testid="download-values-tgz" on:click=move |_| download("values", "tar.gz")>"Values bundle .tar.gz"</button>
                <button class="primary" data-testid="download-manifests-zip" on:click=move |_| download("manifests", "zip")>"Manifests .zip"</button>
                <button class="primary" data-testid="download-manifests-tgz" on:click=move |_| download("manifests", "tar.gz")>"Manifests .tar.gz"</button>
                <button data-testid="generate-passwords" title="Fill every password of the values files with a strong random one (kept in this tab only)" on:click=generate>
                    {move || if passwords.with(|p| p.is_empty()) { "Generate passwords".to_string() } else { format!("{} passwords generated", passwords.with(|p| p.len())) }}
                </button>
            </div>
            <div class="preview">
                <nav class="file-list" aria-label="Generated files">
                    {move || paths.get().into_iter().map(|p| {
                        let p2 = p.clone();
                        let p3 = p.clone();
                        let current = move || shown.with(|s| s.as_ref().is_some_and(|(f, _)| f.path == p2));
                        view! {
                            <button class="file" class:selected=current.clone() aria-current=move || current().to_string()
                                data-testid=format!("file-{}", p3.replace(['/', '.'], "-"))
                                on:click=move |_| selected.set(p.clone())>{p3.clone()}</button>
                        }
                    }).collect_view()}
                </nav>
                <div class="file-view">
                    {move || shown.get().map(|(f, marks)| {
                        let changed = marks.iter().filter(|m| **m).count();
                        view! {
                            <div class="file-head">
                                <code data-testid="preview-path">{f.path.clone()}</code>
                                <span class="muted" data-testid="preview-changed" data-value=changed.to_string()>
                                    {format!("{changed} line{} differ from the preset", if changed == 1 { "" } else { "s" })}
                                </span>
                                <button data-testid="copy-file" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
                            </div>
                            <pre class="code" data-testid="preview"><code>{line_runs(&f.contents, &marks).into_iter().map(|(text, m)| view! {
                                <span class="line" class:diff=m>{text}</span>
                            }).collect_view()}</code></pre>
                        }
                    })}
                </div>
            </div>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The preview generates one file at a time: it must be the very file of the full set.
    #[test]
    fn one_file_equals_the_full_sets_file() {
        let ids: Vec<&str> = catalog().chart_ids();
        let mut all = Configuration::new(catalog(), &ids, "prod").unwrap();
        all.set_str(catalog(), "cauldron-infra:qdrant.replicaCount=4")
            .ok();
        let mut pw = Passwords::new();
        pw.insert(
            ("rhesis".into(), "database.postgresql.password".into()),
            "x1".into(),
        );
        for c in [
            all,
            Configuration::new(catalog(), &["rhesis"], "local").unwrap(),
        ] {
            let files = preview_files(&c, &pw);
            assert!(files.iter().any(|f| f.path.starts_with("manifests/")));
            for f in &files {
                assert_eq!(
                    preview_file(&c, &pw, &f.path).as_ref(),
                    Some(f),
                    "{}",
                    f.path
                );
            }
            assert_eq!(preview_file(&c, &pw, "manifests/nope.yaml"), None);
        }
    }

    #[test]
    fn line_runs_keep_every_line_and_mark() {
        let runs = line_runs("a\nb\nc\nd", &[false, true, true, false]);
        assert_eq!(
            runs,
            vec![
                ("a\n".to_string(), false),
                ("b\nc\n".to_string(), true),
                ("d\n".to_string(), false)
            ]
        );
    }
}
