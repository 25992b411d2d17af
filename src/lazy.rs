//! Panels whose code is fetched only when they are first opened.
//!
//! With the `split` feature (the release build, index.html), a body function carries Leptos's
//! `#[lazy]`: its code goes to a wasm chunk of its own, cut from the page's wasm by
//! `scripts/wasm-bindgen` (wasm-split between cargo and wasm-bindgen) and fetched the first
//! time the panel opens. Without the feature (tests, `cargo check`) the same body is a plain
//! `async fn` in the page's wasm, so every build behaves the same but for where the code is.

use std::future::Future;

use leptos::prelude::*;

/// A collapsed `<details>` panel whose body is `load(open)`: fetched and built when the panel
/// first opens (see [`when_opened`]). `open` follows the panel, so the body can stop working
/// while it is closed.
pub fn panel<F, Fut>(
    class: &'static str,
    testid: &'static str,
    summary: &'static str,
    load: F,
) -> impl IntoView
where
    F: Fn(RwSignal<bool>) -> Fut + 'static,
    Fut: Future<Output = AnyView> + 'static,
{
    let open = RwSignal::new(false);
    view! {
        <details class=class data-testid=testid on:toggle=move |ev| open.set(crate::browser::details_open(&ev))>
            <summary>{summary}</summary>
            {when_opened(open, move || load(open))}
        </details>
    }
}

/// The view `load` gives, shown from the first time `open` is true and kept from then on
/// (closing the panel keeps its state). Until then, and while the chunk is on its way,
/// nothing. `load` runs under the caller's owner, so the body can use the page's context and
/// its signals live as long as the panel.
///
/// This is a task and a signal rather than a `Suspend`: Suspend's machinery would add about
/// 5 KB gzip to the page, and nothing else on the page is asynchronous.
pub fn when_opened<F, Fut>(open: RwSignal<bool>, load: F) -> impl IntoView
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = AnyView> + 'static,
{
    let owner = Owner::current();
    let body = RwSignal::new_local(None::<AnyView>);
    let asked = StoredValue::new(false);
    Effect::new(move |_| {
        if !open.get() || asked.get_value() {
            return;
        }
        asked.set_value(true);
        let Some(owner) = owner.clone() else {
            return;
        };
        // Untracked: what the body reads while it is built must not re-run this effect.
        owner.with(|| {
            untrack(|| {
                let fut = load();
                leptos::task::spawn_local_scoped(async move {
                    let view = fut.await;
                    body.try_set(Some(view));
                });
            })
        });
    });
    // Taken out once: the view is mounted by the first run that finds it.
    move || {
        body.track();
        body.try_update_untracked(Option::take).flatten()
    }
}
