//! Parts of the page whose code is fetched only when needed: panels when they are first opened
//! ([`panel`]), the sections below the first screen on the first use of the page
//! ([`deferred`]).
//!
//! With the `split` feature (the release build, index.html), a body function carries Leptos's
//! `#[lazy]`: its code goes to a wasm chunk of its own, cut from the page's wasm by
//! `scripts/wasm-bindgen` (wasm-split between cargo and wasm-bindgen) and fetched the first
//! time it is called. Without the feature (tests, `cargo check`) the same body is a plain
//! `async fn` in the page's wasm, so every build behaves the same but for where the code is.

use std::cell::{Cell, RefCell};
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

/// Whether the page has woken its deferred sections (see [`deferred`]), and how many are still
/// on their way. Thread-local: the page has one thread.
struct Wake {
    woken: ArcRwSignal<bool>,
    pending: Cell<usize>,
    /// Run once no section is pending (a print the page held back).
    when_all: RefCell<Vec<Box<dyn FnOnce()>>>,
    /// Other work a held print waits for: each says whether it is still running (the chart
    /// audit, see [`wait_also`]).
    others: RefCell<Vec<Box<dyn Fn() -> bool>>>,
    /// What a print asks for first (see [`on_print`]).
    print_hooks: RefCell<Vec<fn()>>,
}

thread_local! {
    static WAKE: Wake = Wake {
        woken: ArcRwSignal::new(false),
        pending: Cell::new(0),
        when_all: RefCell::new(Vec::new()),
        others: RefCell::new(Vec::new()),
        print_hooks: RefCell::new(Vec::new()),
    };
}

/// Load every deferred section now (idempotent).
pub fn wake() {
    WAKE.with(|w| {
        if !w.woken.get_untracked() {
            w.woken.set(true);
        }
    });
}

/// Whether a deferred section has still to arrive, or other work a print waits for is running.
pub fn any_pending() -> bool {
    WAKE.with(|w| w.pending.get() > 0 || w.others.borrow().iter().any(|running| running()))
}

/// Hold a print also while `running()` says so: the work calls [`check_done`] when it ends.
pub fn wait_also(running: impl Fn() -> bool + 'static) {
    WAKE.with(|w| w.others.borrow_mut().push(Box::new(running)));
}

/// `f` runs when a print is asked for (Ctrl/Cmd+P, the browser's menu, a shared link opened):
/// work a print needs starts there, before the print checks [`any_pending`].
pub fn on_print(f: fn()) {
    WAKE.with(|w| w.print_hooks.borrow_mut().push(f));
}

/// Ask for everything a print needs: the print hooks ([`on_print`]) and every deferred section.
pub fn prepare_print() {
    let hooks = WAKE.with(|w| w.print_hooks.borrow().clone());
    for f in hooks {
        f();
    }
    wake();
}

/// Work a print waited for has ended: run the held print if nothing else is pending.
pub fn check_done() {
    if any_pending() {
        return;
    }
    let ready = WAKE.with(|w| std::mem::take(&mut *w.when_all.borrow_mut()));
    for f in ready {
        f();
    }
}

/// Run `f` once every deferred section has arrived (now if none is on its way).
pub fn when_all_loaded(f: Box<dyn FnOnce()>) {
    if any_pending() {
        WAKE.with(|w| w.when_all.borrow_mut().push(f));
    } else {
        f();
    }
}

fn arrived() {
    WAKE.with(|w| w.pending.set(w.pending.get().saturating_sub(1)));
    check_done();
}

/// Wake the deferred sections on the first sign of a user: a pointer press, a key, a wheel, a
/// touch, a scroll, a resize, focus moving into the page, or a print. Call once, from the page.
/// Ctrl/Cmd+P while a section is on its way (or the chart audit is running) is held until
/// everything has arrived, then printed, so the report is whole; a print from the browser's
/// menu, which cannot be held, prints the sections still loading as a line saying so (and the
/// cover says the audit was still running), and asks for them for the next print.
pub fn wake_on_first_use() {
    use leptos::ev;
    // The handles are kept for the page's life (dropping one does not remove its listener).
    let _ = window_event_listener(ev::pointerdown, |_| wake());
    let _ = window_event_listener(ev::wheel, |_| wake());
    let _ = window_event_listener(ev::touchstart, |_| wake());
    let _ = window_event_listener(ev::scroll, |_| wake());
    let _ = window_event_listener(ev::resize, |_| wake());
    let _ = window_event_listener(ev::focusin, |_| wake());
    let _ = window_event_listener(ev::beforeprint, |_| prepare_print());
    let _ = window_event_listener(ev::keydown, |ev| {
        let print = (ev.ctrl_key() || ev.meta_key()) && ev.key().eq_ignore_ascii_case("p");
        if print {
            prepare_print();
        }
        if print && any_pending() {
            ev.prevent_default();
            when_all_loaded(Box::new(|| {
                if let Some(w) = web_sys::window() {
                    // After the sections' views are mounted (the next frame).
                    request_animation_frame(move || {
                        let _ = w.print();
                    });
                }
            }));
        }
        wake();
    });
}

/// `load`'s view from the first use of the page ([`wake_on_first_use`]), nothing before:
/// controls that only matter once the user acts (the capacity panel's pickers), whose code
/// then need not be in the first load. Without the `split` feature, at once.
pub fn on_first_use<F, Fut>(load: F) -> impl IntoView
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = AnyView> + 'static,
{
    let go = RwSignal::new(!cfg!(feature = "split"));
    let woken = WAKE.with(|w| w.woken.clone());
    Effect::new(move |_| {
        if woken.get() {
            go.set(true);
        }
    });
    when_opened(go, load)
}

/// A section of the page below the first screen whose code is fetched later (with the `split`
/// feature; without it, at once): when the user first does anything ([`wake_on_first_use`]),
/// or at once if the section is in the viewport when the page is first laid out. Until then
/// it is a placeholder line (`.deferred-note`), which a print shows as a section still
/// loading.
pub fn deferred<F, Fut>(name: &'static str, load: F) -> impl IntoView
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = AnyView> + 'static,
{
    let go = RwSignal::new(!cfg!(feature = "split"));
    let arrived_here = RwSignal::new(false);
    WAKE.with(|w| w.pending.set(w.pending.get() + 1));
    let woken = WAKE.with(|w| w.woken.clone());
    Effect::new(move |_| {
        if woken.get() {
            go.set(true);
        }
    });
    let note: NodeRef<leptos::html::P> = NodeRef::new();
    // In the viewport once laid out (a tall window): load now, the user sees it at once.
    request_animation_frame(move || {
        let near = note
            .get_untracked()
            .zip(web_sys::window())
            .is_some_and(|(el, w)| {
                let height = w
                    .inner_height()
                    .ok()
                    .and_then(|h| h.as_f64())
                    .unwrap_or(0.0);
                el.get_bounding_client_rect().top() < height
            });
        if near {
            go.set(true);
        }
    });
    let body = when_opened(go, move || {
        let fut = load();
        async move {
            let view = fut.await;
            arrived_here.set(true);
            // After this view is mounted, for a held print.
            request_animation_frame(arrived);
            view
        }
    });
    view! {
        <div class="deferred" data-deferred=name>
            {body}
            {move || (!arrived_here.get()).then(|| view! {
                <p class="deferred-note muted" node_ref=note><span>"The rest of the page comes as soon as you scroll, click or press a key."</span></p>
            })}
        </div>
    }
}
