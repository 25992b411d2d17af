//! Component tests in a real browser (wasm-bindgen-test in headless Chromium): mount the app
//! into the page and check what it shows and how it reacts.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn mount() -> web_sys::HtmlElement {
    let host: web_sys::HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&host).unwrap();
    let handle = leptos::mount::mount_to(host.clone(), || leptos::view! { <tonnage::App/> });
    std::mem::forget(handle);
    host
}

fn query(host: &web_sys::HtmlElement, css: &str) -> web_sys::Element {
    host.query_selector(css)
        .unwrap()
        .unwrap_or_else(|| panic!("{css} not found"))
}

/// Let Leptos run its effects (they are scheduled as microtasks).
async fn tick() {
    let p = js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL);
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
    gloo_timers::future::TimeoutFuture::new(0).await;
}

#[wasm_bindgen_test]
async fn lists_five_stacks_from_the_catalog() {
    let host = mount();
    tick().await;
    let items = host
        .query_selector_all("[data-testid=stack-list] li")
        .unwrap();
    assert_eq!(items.length(), 5);
    let text = query(&host, "[data-testid=stack-list]")
        .text_content()
        .unwrap();
    for name in ["Cauldron", "Frappe", "Rhesis", "Caracal", "RAE"] {
        assert!(text.contains(name), "{name} missing from {text}");
    }
    host.remove();
}

#[wasm_bindgen_test]
async fn clicking_a_stack_shows_its_components_and_plan() {
    let host = mount();
    tick().await;
    let btn: web_sys::HtmlElement = query(&host, "[data-testid=stack-caracal]").unchecked_into();
    btn.click();
    tick().await;
    let dev: web_sys::HtmlElement = query(&host, "[data-testid=env-dev]").unchecked_into();
    dev.click();
    tick().await;
    assert!(query(&host, "[data-testid=stack-title]")
        .text_content()
        .unwrap()
        .contains("Caracal"));
    assert!(host
        .query_selector("[data-testid=card-caracal-zookeeper]")
        .unwrap()
        .is_some());
    assert_eq!(btn.get_attribute("aria-pressed").as_deref(), Some("true"));
    // The plan in the page is the core's plan for the same configuration.
    let cat = tonnage_core::Catalog::builtin();
    let config = tonnage_core::Configuration::new(cat, &["caracal"], "dev").unwrap();
    let plan = tonnage_core::plan(cat, &config);
    let shown = query(&host, "[data-testid=total-baseline-requests-cpu]")
        .get_attribute("data-value")
        .unwrap();
    assert_eq!(
        shown,
        plan.totals.baseline.requests.cpu_millicores.to_string()
    );
    host.remove();
}

#[wasm_bindgen_test]
async fn environment_switch_updates_totals() {
    let host = mount();
    tick().await;
    let rhesis: web_sys::HtmlElement = query(&host, "[data-testid=stack-rhesis]").unchecked_into();
    rhesis.click();
    tick().await;
    let local: web_sys::HtmlElement = query(&host, "[data-testid=env-local]").unchecked_into();
    local.click();
    tick().await;
    let cpu = || {
        query(&host, "[data-testid=total-baseline-requests-cpu]")
            .get_attribute("data-value")
            .unwrap()
    };
    assert_eq!(cpu(), "2350");
    let prod: web_sys::HtmlElement = query(&host, "[data-testid=env-prod]").unchecked_into();
    prod.click();
    tick().await;
    assert_eq!(cpu(), "8000");
    host.remove();
}
