//! No panic reaches the user as a dead page: the hook logs it, then shows a banner (plain DOM,
//! no Leptos: the app may be gone) that says the configuration is saved and offers the
//! diagnostic to copy. The configuration survives because it is autosaved on every edit.

use crate::state::SAVE_KEY;

pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_banner(&info.to_string());
    }));
}

fn show_banner(message: &str) -> Option<()> {
    let doc = web_sys::window()?.document()?;
    if doc.get_element_by_id("tonnage-crash").is_some() {
        return Some(());
    }
    let saved = crate::browser::storage_get(SAVE_KEY).unwrap_or_else(|| "(none)".into());
    let agent = web_sys::window()?
        .navigator()
        .user_agent()
        .unwrap_or_default();
    let diagnostic = format!(
        "Tonnage {}\n{message}\nbrowser: {agent}\nsaved configuration: {saved}\n",
        env!("CARGO_PKG_VERSION")
    );
    let banner = doc.create_element("div").ok()?;
    banner.set_id("tonnage-crash");
    banner.set_class_name("crash");
    let _ = banner.set_attribute("role", "alert");
    let _ = banner.set_attribute("data-testid", "crash-banner");
    let title = doc.create_element("strong").ok()?;
    title.set_text_content(Some("Tonnage hit an internal error."));
    let text = doc.create_element("p").ok()?;
    text.set_text_content(Some(
        " Your configuration is saved in this browser: reload the page to continue where you were. Please send us the diagnostic below.",
    ));
    let area = doc.create_element("textarea").ok()?;
    area.set_id("tonnage-diagnostic");
    let _ = area.set_attribute("readonly", "");
    let _ = area.set_attribute("rows", "4");
    let _ = area.set_attribute("aria-label", "Diagnostic");
    area.set_text_content(Some(&diagnostic));
    let button = doc.create_element("button").ok()?;
    let _ = button.set_attribute("data-copy-diagnostic", "");
    let _ = button.set_attribute("data-testid", "copy-diagnostic");
    button.set_text_content(Some("Copy diagnostic"));
    for child in [&title, &text, &area, &button] {
        let _ = banner.append_child(child);
    }
    let body = doc.body()?;
    let _ = body.insert_before(&banner, body.first_child().as_ref());
    Some(())
}

/// `?crash-test` in the address: panic on purpose, for the end-to-end test of the banner.
pub fn crash_test_requested() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|s| s.contains("crash-test"))
}
