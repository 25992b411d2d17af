//! Share: the configuration lives in the URL fragment (versioned, compressed, only the
//! differences from the preset, never a secret) and a "Copy link" button copies it. Opening a
//! link restores it; a broken link keeps the user's saved work and says what is wrong.

use leptos::prelude::*;
use leptos::task::spawn_local;
use tonnage_core::{share, Configuration};

use crate::browser;
use crate::state::{catalog, saved_or_default, use_state, Notice, NoticeKind, SAVE_KEY};

/// localStorage key where the user's own configuration is kept when a shared link replaces it.
pub const PREVIOUS_KEY: &str = "tonnage.config.before-link.v1";

/// The configuration to start with, and what to tell the user about it: the link in the
/// address bar if there is one and it reads, else the autosaved configuration.
pub fn initial() -> (Configuration, Option<Notice>, Option<Configuration>) {
    let hash = browser::location_hash();
    if hash.is_empty() {
        return (saved_or_default(), None, None);
    }
    match share::decode(catalog(), &hash) {
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
                text: "Opened a shared configuration. Your own configuration was kept: Undo (Ctrl+Z) returns to it.".into(),
            });
            (c, notice, previous)
        }
        Err(e) => (
            saved_or_default(),
            Some(Notice {
                kind: NoticeKind::Error,
                text: format!("This link could not be opened: {e}. Your saved configuration is shown instead; nothing was lost."),
            }),
            None,
        ),
    }
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
