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

/// localStorage key holding the fragment the page last wrote to its own address bar.
const SHOWN_KEY: &str = "tonnage.link-shown.v1";

/// Whether `hash` is the link the page itself last put in the address bar, so the autosave
/// holds the same configuration or a newer one: the bar follows the edits once they pause
/// ([`sync_address_bar`]), the autosave follows every edit, and a reload within that pause
/// must not open the older link over the newer work.
pub fn is_own_link(hash: &str) -> bool {
    browser::storage_get(SAVE_KEY).is_some()
        && browser::storage_get(SHOWN_KEY).is_some_and(|shown| shown == hash)
}

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

/// The autosaved configuration (or the default), as the page starts without a link.
pub fn saved_start(notice: Option<Notice>) -> Start {
    Start {
        config: saved_or_default(),
        notice,
        previous: None,
        in_worker: None,
    }
}

/// The link's reader. With the `split` feature it is a chunk of its own (src/lazy.rs),
/// fetched before the page mounts, and only when the address holds a link: a plain visit
/// never downloads it.
#[cfg_attr(feature = "split", leptos::lazy)]
pub async fn decode_link(fragment: String) -> Result<(Configuration, Vec<String>), ShareError> {
    share::decode_without_yaml_noting(catalog(), &fragment)
        .map(|(c, m)| (c, m.iter().map(ToString::to_string).collect()))
}

/// The notice for an opened link: [`OPENED`] (when it replaced other work) and what decoding did
/// to an older link's overrides (moved to the chart's real key, or dropped, and why).
fn opened_notice(replaced: bool, notes: &[String]) -> Option<Notice> {
    if notes.is_empty() {
        return replaced.then(|| Notice {
            kind: NoticeKind::Info,
            text: OPENED.into(),
        });
    }
    let mut text = if replaced {
        format!("{OPENED} ")
    } else {
        String::new()
    };
    text.push_str("This link was made before Tonnage spoke the real charts' keys: ");
    text.push_str(&notes.join("; "));
    Some(Notice {
        kind: NoticeKind::Info,
        text,
    })
}

/// The configuration to start with when the address holds the link `hash`, and what to tell
/// the user about it, given what [`decode_link`] made of it: the link's configuration if it
/// reads, else the autosaved one and the reason.
pub fn link_start(
    hash: String,
    decoded: Result<(Configuration, Vec<String>), ShareError>,
) -> Start {
    match decoded {
        Err(ShareError::NeedsYaml) => Start {
            in_worker: Some(hash),
            ..saved_start(Some(Notice {
                kind: NoticeKind::Info,
                text: "Opening the shared link…".into(),
            }))
        },
        Ok((c, notes)) => {
            let saved = browser::storage_get(SAVE_KEY);
            let previous = saved
                .as_deref()
                .and_then(crate::state::restore)
                .filter(|s| *s != c);
            if let (Some(_), Some(saved)) = (&previous, &saved) {
                // Kept in storage too: the autosave is about to hold the link's configuration.
                browser::storage_set(PREVIOUS_KEY, saved);
            }
            let notice = opened_notice(previous.is_some(), &notes);
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

/// Have the worker read a link [`link_start`] left to it, then open it as `link_start` opens the
/// others: the configuration shown until then (the saved one) is one Undo away.
pub fn open_in_worker(state: AppState, fragment: String) {
    worker::send(&Request::DecodeLink { fragment }, move |reply, _| {
        let notice = match reply {
            Reply::Config { config: c, notes } => {
                if state.config.with_untracked(|now| *now == c) {
                    opened_notice(false, &notes)
                } else {
                    if let Some(saved) = browser::storage_get(SAVE_KEY) {
                        // As `link_start` does: the autosave is about to hold the link's.
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
    Effect::new(move |_| {
        let fragment = fragment.get();
        browser::replace_hash(&fragment);
        browser::storage_set(SHOWN_KEY, &fragment);
    });
}

#[component]
pub fn CopyLink() -> impl IntoView {
    let state = use_state();
    let copied = RwSignal::new(None::<bool>);
    // "Link copied" speaks of the configuration as it was: an edit makes the link stale.
    Effect::new(move |prev: Option<()>| {
        state.config.track();
        if prev.is_some() {
            copied.set(None);
        }
    });
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
