//! Tonnage's web worker: a thin shell around `tonnage_core::files::FilesService`. The page
//! (src/files_view.rs, src/worker.rs) posts a JSON request; this answers with an object
//! `{ json, bytes? }`: the JSON reply and, for an archive, its bytes (transferred, not copied).
//! When the module has started it posts `"ready"`, so the page knows it can send.
//!
//! All decisions live in the core and are tested natively; nothing here but message plumbing.

#[cfg(target_arch = "wasm32")]
fn main() {
    use std::cell::RefCell;

    use tonnage_core::files::FilesService;
    use tonnage_core::Catalog;
    use wasm_bindgen::prelude::*;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let service = RefCell::new(FilesService::new());
    let reply_to = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let request = ev.data().as_string().unwrap_or_default();
        let (json, bytes) = service
            .borrow_mut()
            .handle_json(Catalog::builtin(), &request);
        let out = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&out, &"json".into(), &json.into());
        let transfer = js_sys::Array::new();
        if let Some(bytes) = bytes {
            let array = js_sys::Uint8Array::from(bytes.as_slice());
            transfer.push(&array.buffer());
            let _ = js_sys::Reflect::set(&out, &"bytes".into(), &array);
        }
        let _ = reply_to.post_message_with_transfer(&out, &transfer);
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let _ = scope.post_message(&"ready".into());
}

/// Natively there is nothing to run: the worker exists for the browser. (The workspace's
/// native builds and clippy still compile this crate.)
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "tonnage-worker runs as a web worker in the browser (built by trunk from index.html)"
    );
}
