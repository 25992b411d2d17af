//! Editing a configuration: validation, reset, undo, autosave, a panic banner, the keyboard.

use crate::harness::*;

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn configure_validate_reset_undo_and_autosave() {
    let s = Session::start(1280, 1000).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    s.click("[data-testid=reset-all]").await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-cpu]",
        "data-value",
        "8000",
    )
    .await;

    // Size: 4 backend replicas add one more 1-core replica.
    type_into(&s, "[data-testid=field-rhesis-backend-replicas]", "4").await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-cpu]",
        "data-value",
        "9000",
    )
    .await;
    s.wait_attr("[data-testid=change-count]", "data-value", "1")
        .await;
    assert!(s
        .text("[data-testid=card-rhesis-backend]")
        .await
        .contains("preset: 3"));

    // A malformed quantity: the field says what is wrong, the last valid value stays.
    type_into(
        &s,
        "[data-testid=field-rhesis-worker-requests-memory]",
        "2Gx",
    )
    .await;
    let err = s
        .text("[data-testid=field-rhesis-worker-requests-memory-error]")
        .await;
    assert!(err.contains("2Gx"), "{err}");
    // Typing applies each valid prefix live, so the last valid value in effect is "2G" (the
    // input before the stray "x"): 5 workers x 2 GB instead of 5 x 1 GiB.
    let last_valid = (18_i64 << 30) - 5 * (1 << 30) + 5 * 2_000_000_000;
    s.wait_attr(
        "[data-testid=total-baseline-requests-memory]",
        "data-value",
        &last_valid.to_string(),
    )
    .await;
    s.screenshot("06-invalid-quantity").await;
    // Fixing it applies it.
    type_into(
        &s,
        "[data-testid=field-rhesis-worker-requests-memory]",
        "1536Mi",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-memory]",
        "data-value",
        &((18_i64 << 30) + 5 * (512 << 20)).to_string(),
    )
    .await;

    // A request above its limit is flagged at the field.
    type_into(&s, "[data-testid=field-rhesis-frontend-requests-cpu]", "3").await;
    let err = s
        .text("[data-testid=field-rhesis-frontend-requests-cpu-error]")
        .await;
    assert!(err.contains("above its limit"), "{err}");
    // The edit is in effect (three changes) before the reset, so the reset is what moves it.
    s.wait_attr("[data-testid=change-count]", "data-value", "3")
        .await;

    // Reset one field, then undo and redo it from the keyboard.
    s.click("[data-testid=field-rhesis-frontend-requests-cpu-reset]")
        .await;
    s.wait_attr("[data-testid=change-count]", "data-value", "2")
        .await;
    s.click("[data-testid=undo]").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "3")
        .await;
    s.click("[data-testid=redo]").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "2")
        .await;
    // Ctrl+Z on the page (focus is on the Redo button, not in a field).
    let focused = s.client.active_element().await.expect("active element");
    focused.send_keys("\u{E009}z").await.expect("Ctrl+Z");
    s.wait_attr("[data-testid=change-count]", "data-value", "3")
        .await;

    // Turning off something others need says what breaks and offers an external endpoint.
    s.click("[data-testid=field-rhesis-postgresql-enabled]")
        .await;
    let warn = s.text("[data-testid=depwarn-rhesis-postgresql]").await;
    assert!(
        warn.contains("Backend") && warn.contains("Worker"),
        "{warn}"
    );
    s.wait_for("[data-testid=external-rhesis-postgresql]").await;
    s.screenshot("07-dependency-warning").await;

    // Switching preset keeps the edits, and says so.
    s.click("[data-testid=env-staging]").await;
    let notice = s.text("[data-testid=notice]").await;
    assert!(notice.contains("kept your 4 changes"), "{notice}");

    // Autosave: a reload restores everything.
    let before = s
        .attr("[data-testid=total-baseline-requests-cpu]", "data-value")
        .await;
    // At once after the last edit: the address bar may still hold the link of the edits
    // before it, and the page must not open that over the newer autosave.
    s.client.refresh().await.expect("reload");
    s.wait_for("[data-testid=stack-list] li").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "4")
        .await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-cpu]",
        "data-value",
        &before,
    )
    .await;
    assert!(s.text("[data-testid=stack-title]").await.contains("Rhesis"));
    s.click("[data-testid=reset-all]").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "0")
        .await;
    s.screenshot("08-after-reset").await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn a_panic_shows_a_banner_and_the_configuration_survives() {
    let s = Session::start(1280, 800).await;
    s.open("").await;
    s.click("[data-testid=stack-caracal]").await;
    s.click("[data-testid=env-prod]").await;
    type_into(
        &s,
        "[data-testid=field-caracal-ledger-writer-replicas]",
        "7",
    )
    .await;
    s.wait_attr("[data-testid=change-count]", "data-value", "1")
        .await;
    // Load the app with a deliberate panic.
    let crash = format!("{}?crash-test", s.server.url);
    s.client.goto(&crash).await.expect("navigate");
    let banner = s.text("[data-testid=crash-banner]").await;
    assert!(
        banner.contains("internal error") && banner.contains("saved"),
        "{banner}"
    );
    let diag = s.attr("#tonnage-diagnostic", "value").await;
    assert!(diag.contains("crash test requested"), "{diag}");
    s.click("[data-testid=copy-diagnostic]").await;
    s.screenshot("16-crash-banner").await;
    // A normal reload continues where the user was.
    s.open("").await;
    s.first_use().await;
    s.wait_attr("[data-testid=change-count]", "data-value", "1")
        .await;
    s.wait_attr(
        "[data-testid=field-caracal-ledger-writer-replicas]",
        "value",
        "7",
    )
    .await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn keyboard_and_labels() {
    let s = Session::start(1280, 720).await;
    s.open("").await;
    // Tab from the top of the page reaches the stack cards; Enter selects one.
    // Start where a keyboard user starts: the first focusable element, the skip link.
    s.client
        .execute("document.querySelector('.skip').focus()", vec![])
        .await
        .expect("focus the skip link");
    let mut reached = false;
    for _ in 0..40 {
        s.client
            .active_element()
            .await
            .expect("focus")
            .send_keys("\u{E004}")
            .await
            .expect("Tab");
        let id = s
            .client
            .active_element()
            .await
            .unwrap()
            .attr("data-testid")
            .await
            .unwrap()
            .unwrap_or_default();
        if id == "stack-caracal" {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab never reached the Caracal stack card");
    // The focused control shows a visible focus ring.
    let outline = s
        .client
        .execute(
            "return getComputedStyle(document.activeElement).outlineStyle",
            vec![],
        )
        .await
        .unwrap();
    assert_ne!(outline, serde_json::json!("none"), "no visible focus");
    s.screenshot("17-keyboard-focus").await;
    s.client
        .active_element()
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .expect("Enter");
    s.wait_for("[data-testid=card-caracal-kafka]").await;
    // Every control has an accessible name: a label, aria-label, title or text.
    let unnamed = s
        .client
        .execute(
            r#"return [...document.querySelectorAll('input, select, textarea, button')].filter(el => {
                const id = el.id && document.querySelector(`label[for="${el.id}"]`);
                const wrapped = el.closest('label');
                const named = el.getAttribute('aria-label') || el.getAttribute('title') || (el.textContent || '').trim();
                return !(id || wrapped || named);
            }).map(el => el.outerHTML.slice(0, 120))"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(unnamed, serde_json::json!([]), "controls without a label");
    // Dark mode follows the system.
    let dark = s
        .client
        .execute(
            "return [...document.styleSheets].some(s => [...s.cssRules].some(r => r.conditionText && r.conditionText.includes('prefers-color-scheme: dark')))",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(dark, serde_json::json!(true), "no dark-mode styles");
    s.close().await;
}
