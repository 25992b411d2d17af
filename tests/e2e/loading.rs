//! Code splitting (src/lazy.rs): what the first load fetches and what comes later.

use std::time::Duration;

use crate::harness::*;

/// Code splitting (src/lazy.rs): the first load fetches the page's wasm and the chunk loader but
/// no chunk; each panel's chunk comes when the panel first opens, and the panel works.
#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn panel_code_is_fetched_when_the_panel_opens() {
    let chunks: Vec<String> = std::fs::read_dir(dist())
        .expect("dist/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("split_") && n.ends_with(".wasm"))
        .collect();
    for body in ["compare_body", "files_body", "import_body"] {
        assert!(
            chunks
                .iter()
                .any(|c| c.starts_with(&format!("split_{body}_"))),
            "dist/ has no chunk for {body}: {chunks:?}"
        );
    }
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.wait_for("[data-testid=total-baseline-replicas]").await;
    let first = fetched(&s).await;
    assert!(
        first.iter().any(|f| f.starts_with("/__wasm_split-")),
        "{first:?}"
    );
    assert!(
        !first
            .iter()
            .any(|f| f.contains("/split_") || f.contains("/chunk_")),
        "the first load fetched a chunk: {first:?}"
    );
    let has = |files: &[String], body: &str| {
        files
            .iter()
            .any(|f| f.starts_with(&format!("/split_{body}_")))
    };
    s.first_use().await;
    s.wait_for("[data-testid=compare] summary").await;
    let now = fetched(&s).await;
    assert!(!has(&now, "compare_body"), "{now:?}");
    s.click("[data-testid=compare] summary").await;
    s.wait_for("[data-testid=compare-with]").await;
    let now = fetched(&s).await;
    assert!(has(&now, "compare_body"), "{now:?}");
    assert!(
        !has(&now, "files_body") && !has(&now, "import_body"),
        "{now:?}"
    );
    s.click("[data-testid=files] summary").await;
    s.wait_for("[data-testid=preview]").await;
    s.click("[data-testid=import] summary").await;
    s.wait_for("[data-testid=import-text]").await;
    let now = fetched(&s).await;
    assert!(
        has(&now, "files_body") && has(&now, "import_body"),
        "{now:?}"
    );
    // Closed and opened again, a panel keeps what it showed and is not fetched twice.
    s.click("[data-testid=compare] summary").await;
    s.click("[data-testid=compare] summary").await;
    s.wait_for("[data-testid=compare-with]").await;
    let again = fetched(&s).await;
    let n = again
        .iter()
        .filter(|f| f.starts_with("/split_compare_body_"))
        .count();
    assert_eq!(n, 1, "{again:?}");
}

/// Deferred sections (src/lazy.rs): a first load at a laptop's window fetches neither the
/// sections below the first screen (the report: findings, plan table, diagram, assumptions; the
/// editor) nor the link reader nor the worker-reply reader; the first use of the page (a key
/// here) brings the sections, which then work; a link brings its reader before the page mounts;
/// a window tall enough to show the sections loads them at once.
#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn sections_below_the_first_screen_come_on_first_use() {
    let has = |files: &[String], body: &str| {
        files
            .iter()
            .any(|f| f.starts_with(&format!("/split_{body}_")))
    };
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.wait_for("[data-testid=total-baseline-replicas]").await;
    // Past the first frames: nothing more comes without the user.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let first = fetched(&s).await;
    for body in ["report_body", "editor_body", "decode_link", "read_reply"] {
        assert!(
            !has(&first, body),
            "the first load fetched {body}: {first:?}"
        );
    }
    assert_eq!(s.count("[data-testid=findings]").await, 0);
    assert_eq!(s.count("[data-deferred] .deferred-note").await, 1);
    assert_eq!(s.count("[data-testid=compare]").await, 0);
    // A key press (Tab: focus moves into the page) is a first use.
    s.client
        .active_element()
        .await
        .expect("active element")
        .send_keys("\u{E004}")
        .await
        .expect("Tab");
    s.wait_for("[data-testid=findings]").await;
    s.wait_for("[data-testid=plan-table]").await;
    let field = "[data-testid=field-rhesis-frontend-replicas]";
    s.wait_for(field).await;
    wait_count(&s, "[data-deferred] .deferred-note", 0).await;
    let now = fetched(&s).await;
    assert!(
        has(&now, "report_body") && has(&now, "editor_body"),
        "{now:?}"
    );
    assert!(
        !has(&now, "decode_link") && !has(&now, "read_reply"),
        "{now:?}"
    );
    // The editor that came later edits the plan.
    scroll_to(&s, field).await;
    type_into(&s, field, "3").await;
    s.wait_attr("[data-testid=total-baseline-replicas]", "data-value", "7")
        .await;
    // The Files preview: the first worker reply brings the reply reader.
    s.click("[data-testid=files] summary").await;
    s.wait_for("[data-testid=preview]").await;
    let now = fetched(&s).await;
    assert!(has(&now, "read_reply"), "{now:?}");
    let link = fragment_with(&s, 1).await;
    s.close().await;

    // A link: its reader comes first, then the page shows the link's configuration and its
    // report.
    let s = Session::start(1280, 900).await;
    s.open(&format!("#{link}")).await;
    s.wait_attr("[data-testid=total-baseline-replicas]", "data-value", "7")
        .await;
    let now = fetched(&s).await;
    assert!(has(&now, "decode_link"), "{now:?}");
    // A page opened from a link brings its whole report at once (it is opened to be read or
    // printed: a print right away must be complete), without any use.
    s.wait_for("[data-testid=report-cover]").await;
    let now = fetched(&s).await;
    assert!(has(&now, "report_body"), "{now:?}");
    s.close().await;

    // A tall window shows the sections without any use.
    let s = Session::start(1280, 4000).await;
    s.open("").await;
    s.wait_for("[data-testid=findings]").await;
    s.wait_for("[data-testid=editor]").await;
    s.screenshot("27-tall-window").await;
    s.close().await;
}

/// A load writes nothing to the browser console: no warning about the wasm preload's
/// `integrity` (scripts/loaders.py removes it: Chromium ignores it for fetch preloads), none
/// about wasm-bindgen's deprecated init parameters (the worker's shim uses the object form), no
/// CSP violation; the chunks, the worker and a panel's first use add nothing either.
#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn the_console_stays_clean_on_load() {
    let index = std::fs::read_to_string(dist().join("index.html")).expect("dist/index.html");
    assert!(
        index.contains("rel=\"preload\"") && index.contains("as=\"fetch\""),
        "no wasm preload in dist/index.html"
    );
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.wait_for("[data-testid=total-baseline-replicas]").await;
    s.first_use().await;
    s.wait_for("[data-testid=findings]").await;
    // The worker (the Files preview) and a chunk loaded after the first screen.
    s.click("[data-testid=files] summary").await;
    s.wait_for("[data-testid=preview]").await;
    s.click("[data-testid=compare] summary").await;
    s.wait_for("[data-testid=compare-with]").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let messages = s.console_messages();
    assert!(
        messages.is_empty(),
        "the console after a load:\n{}",
        messages.join("\n")
    );
    s.close().await;
}
