//! The page's side of the Files worker (`crates/tonnage-worker`, built by trunk from the
//! `data-type="worker"` link in index.html). The worker renders values, manifests, diffs and
//! archives off the main thread, and its code is only downloaded when the Files panel first
//! asks for something: the first load carries none of it.
//!
//! The worker answers every request, in order, with `{ json, bytes? }`; so a queue of callbacks
//! matches replies to requests. Requests sent before the worker has started wait in a queue
//! until it posts `"ready"`. If the worker dies (a crash in the wasm), every waiting request is
//! answered with an error and the next request starts a fresh worker.

use std::cell::RefCell;
use std::collections::VecDeque;

use tonnage_core::files::{Reply, Request};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

/// The worker's loader script, written by trunk next to index.html.
const LOADER: &str = "./tonnage-worker_loader.js";

type Callback = Box<dyn FnOnce(Reply, Option<Vec<u8>>)>;

struct Client {
    worker: Worker,
    ready: bool,
    /// Requests (JSON) waiting for the worker to start.
    unsent: Vec<String>,
    /// One callback per request sent or unsent, oldest first.
    waiting: VecDeque<Callback>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

thread_local! {
    static CLIENT: RefCell<Option<Client>> = const { RefCell::new(None) };
}

fn start() -> Result<Client, String> {
    let worker =
        Worker::new(LOADER).map_err(|e| format!("cannot start the files worker: {e:?}"))?;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|ev: MessageEvent| on_message(ev));
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(|ev: web_sys::Event| {
        ev.prevent_default();
        fail_all("the files worker stopped with an error; it restarts on the next request");
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Client {
        worker,
        ready: false,
        unsent: Vec::new(),
        waiting: VecDeque::new(),
        _on_message: on_message,
        _on_error: on_error,
    })
}

fn on_message(ev: MessageEvent) {
    let data = ev.data();
    if data.as_string().as_deref() == Some("ready") {
        CLIENT.with(|c| {
            if let Some(c) = c.borrow_mut().as_mut() {
                c.ready = true;
                for json in c.unsent.drain(..) {
                    let _ = c.worker.post_message(&json.into());
                }
            }
        });
        return;
    }
    let json = js_sys::Reflect::get(&data, &"json".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    let bytes = js_sys::Reflect::get(&data, &"bytes".into())
        .ok()
        .filter(|v| !v.is_undefined())
        .map(|v| js_sys::Uint8Array::new(&v).to_vec());
    let callback = CLIENT.with(|c| c.borrow_mut().as_mut().and_then(|c| c.waiting.pop_front()));
    let Some(cb) = callback else { return };
    // Replies are read in the order they came, one at a time: a preview reply is a delta on
    // the one before it.
    let start = INBOX.with(|i| {
        let mut i = i.borrow_mut();
        i.replies.push_back((json, bytes, cb));
        !std::mem::replace(&mut i.reading, true)
    });
    if start {
        wasm_bindgen_futures::spawn_local(async {
            loop {
                let Some((json, bytes, cb)) = INBOX.with(|i| {
                    let mut i = i.borrow_mut();
                    let next = i.replies.pop_front();
                    i.reading = next.is_some();
                    next
                }) else {
                    break;
                };
                let reply = read_reply(json).await;
                // Called outside any borrow: the callback may send the next request.
                cb(reply, bytes);
            }
        });
    }
}

/// Replies received and not yet read, and whether a task is reading them.
#[derive(Default)]
struct Inbox {
    replies: VecDeque<(String, Option<Vec<u8>>, Callback)>,
    reading: bool,
}

thread_local! {
    static INBOX: RefCell<Inbox> = RefCell::default();
}

/// A reply's JSON, read. Its deserializer (every reply the worker gives: previews, archives,
/// import reports, configurations) is a chunk of its own with the `split` feature, fetched with
/// the first reply: a page that never starts the worker never downloads it (src/lazy.rs).
#[cfg_attr(feature = "split", leptos::lazy)]
async fn read_reply(json: String) -> Reply {
    serde_json::from_str::<Reply>(&json).unwrap_or_else(|e| Reply::Error {
        message: format!("files worker reply: {e}"),
    })
}

/// The worker is gone: answer everything waiting with `message`, and forget the worker.
fn fail_all(message: &str) {
    let client = CLIENT.with(|c| c.borrow_mut().take());
    if let Some(client) = client {
        client.worker.terminate();
        for cb in client.waiting {
            cb(
                Reply::Error {
                    message: message.to_string(),
                },
                None,
            );
        }
    }
}

/// Send `request` to the worker (starting it if needed); `done` gets the reply and, for an
/// archive, its bytes.
pub fn send(request: &Request, done: impl FnOnce(Reply, Option<Vec<u8>>) + 'static) {
    let json = match serde_json::to_string(request) {
        Ok(j) => j,
        Err(e) => {
            return done(
                Reply::Error {
                    message: format!("files request: {e}"),
                },
                None,
            )
        }
    };
    let started = CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            *c = Some(start()?);
        }
        Ok::<(), String>(())
    });
    if let Err(message) = started {
        return done(Reply::Error { message }, None);
    }
    CLIENT.with(|c| {
        if let Some(client) = c.borrow_mut().as_mut() {
            client.waiting.push_back(Box::new(done));
            if client.ready {
                let _ = client.worker.post_message(&json.into());
            } else {
                client.unsent.push(json);
            }
        }
    });
}
