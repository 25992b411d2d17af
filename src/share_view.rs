//! Share: the configuration lives in the URL fragment (versioned, compressed, only the
//! differences from the preset, never a secret) and a "Copy link" button copies it. Opening a
//! link restores it; a broken link keeps the user's saved work and says what is wrong.

use leptos::prelude::*;
use leptos::task::spawn_local;
use tonnage_core::files::{Reply, Request};
use tonnage_core::share::{self, ShareError};
use tonnage_core::Configuration;

use crate::browser;
use crate::state::{catalog, saved_or_default, use_state, AppState, Notice, NoticeKind, SAVE_KEY};
use crate::worker;

/// localStorage key where the user's own configuration is kept when a shared link replaces it.
pub const PREVIOUS_KEY: &str = "tonnage.config.before-link.v1";

/// How the page starts: the configuration, what to tell the user, the configuration a link
/// replaced (one Undo away), and a link left for the worker to read.
pub struct Start {
    pub config: Configuration,
    pub notice: Option<Notice>,
    pub previous: Option<Configuration>,
    /// A link holding values written as YAML: the page's code has no YAML parser (it would be
    /// a fifth of the first download), so [`open_in_worker`] has the worker read it.
    pub in_worker: Option<String>,
}

const OPENED: &str =
    "Opened a shared configuration. Your own configuration was kept: Undo (Ctrl+Z) returns to it.";

fn not_opened(problem: &str) -> String {
    format!("This link could not be opened: {problem}. Your saved configuration is shown instead; nothing was lost.")
}

/// The configuration to start with, and what to tell the user about it: the link in the
/// address bar if there is one and it reads, else the autosaved configuration.
pub fn initial() -> Start {
    let hash = browser::location_hash();
    let saved_start = |notice| Start {
        config: saved_or_default(),
        notice,
        previous: None,
        in_worker: None,
    };
    if hash.is_empty() {
        return saved_start(None);
    }
    match share::decode_without_yaml(catalog(), &hash) {
        Err(ShareError::NeedsYaml) => Start {
            in_worker: Some(hash),
            ..saved_start(Some(Notice {
                kind: NoticeKind::Info,
                text: "Opening the shared link…".into(),
            }))
        },
        Ok(c) => {
            let saved = browser::storage_get(SAVE_KEY);
            let previous = saved
                .as_deref()
                .and_then(crate::state::restore)
                .filter(|s| *s != c);
            if let (Some(_), Some(saved)) = (&previous, &saved) {
                // Kept in storage too: the autosave is about to hold the link's configuration.
                browser::storage_set(PREVIOUS_KEY, saved);
            }
            let notice = previous.is_some().then(|| Notice {
                kind: NoticeKind::Info,
                text: OPENED.into(),
            });
            Start {
                config: c,
                notice,
                previous,
                in_worker: None,
            }
        }
        Err(e) => saved_start(Some(Notice {
            kind: NoticeKind::Error,
            text: not_opened(&e.to_string()),
        })),
    }
}

/// Have the worker read a link [`initial`] left to it, then open it as `initial` opens the
/// others: the configuration shown until then (the saved one) is one Undo away.
pub fn open_in_worker(state: AppState, fragment: String) {
    worker::send(&Request::DecodeLink { fragment }, move |reply, _| {
        let notice = match reply {
            Reply::Config { config: c } => {
                if state.config.with_untracked(|now| *now == c) {
                    None
                } else {
                    if let Some(saved) = browser::storage_get(SAVE_KEY) {
                        // As `initial` does: the autosave is about to hold the link's.
                        browser::storage_set(PREVIOUS_KEY, &saved);
                    }
                    let _ = state.apply(|now| {
                        *now = c;
                        Ok::<(), ()>(())
                    });
                    Some(Notice {
                        kind: NoticeKind::Info,
                        text: OPENED.into(),
                    })
                }
            }
            Reply::Error { message } => Some(Notice {
                kind: NoticeKind::Error,
                text: not_opened(&message),
            }),
            _ => Some(Notice {
                kind: NoticeKind::Error,
                text: not_opened("the worker answered something else than a configuration"),
            }),
        };
        state.notice.set(notice);
    });
}

/// Keep the address bar in step with the configuration (replaceState: no history spam), once
/// editing pauses (`AppState::settled`). "Copy link" always encodes the current configuration.
pub fn sync_address_bar() {
    let state = use_state();
    let fragment = Memo::new(move |_| state.settled.with(|c| share::encode(catalog(), c)));
    Effect::new(move |_| browser::replace_hash(&fragment.get()));
}

#[component]
pub fn CopyLink() -> impl IntoView {
    let state = use_state();
    let copied = RwSignal::new(None::<bool>);
    let copy = move |_| {
        let link = state.config.with_untracked(|c| {
            share::link(&browser::location_base(), &share::encode(catalog(), c))
        });
        spawn_local(async move {
            let ok = browser::copy_text(&link).await;
            copied.set(Some(ok));
        });
    };
    view! {
        <button data-testid="copy-link" title="Copy a link to this exact configuration" on:click=copy>
            {move || match copied.get() {
                Some(true) => "Link copied",
                Some(false) => "Copy failed: use the address bar",
                None => "Copy link",
            }}
        </button>
    }
}
