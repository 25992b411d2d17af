//! Ready for the review meeting (issue 23): the page at 1366x768, 1920x1080 (projector) and
//! 390x844 (phone), errors in plain sight, the small inconsistencies, and the printed report of
//! a page opened from a link. Screenshots `20-*` to `29-*`, the PDF pages `29-print-*.png`.

use std::time::{Duration, Instant};

use crate::harness::*;

/// A script's JSON result.
async fn eval(s: &Session, js: &str) -> serde_json::Value {
    s.client.execute(js, vec![]).await.expect("script")
}

/// Texts drawn smaller than 12 px (HTML text; SVG text is checked by its drawn size).
const SMALL_TEXT: &str = r#"
const out = [];
for (const el of document.querySelectorAll('body *')) {
  if (!el.offsetParent && el.tagName !== 'text') continue;
  const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own) continue;
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) continue;
  let px = parseFloat(getComputedStyle(el).fontSize);
  const svg = el.closest('svg');
  if (svg && svg.viewBox && svg.viewBox.baseVal && svg.viewBox.baseVal.width) {
    px = px * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  }
  if (px < 11.95) out.push(el.tagName + ' ' + px.toFixed(1) + ' ' + el.textContent.trim().slice(0, 40));
}
return out;
"#;

async fn wait_until(s: &Session, js: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if eval(s, js).await == serde_json::Value::Bool(true) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn screens_for_the_review_meeting() {
    for (w, h) in [(1366u32, 768u32), (1920, 1080), (390, 844)] {
        let s = Session::start(w, h).await;
        s.open("").await;
        s.click("[data-testid=stack-rhesis]").await;
        s.click("[data-testid=env-prod]").await;
        s.first_use().await;
        s.client
            .execute("window.scrollTo(0, 0)", vec![])
            .await
            .expect("scroll");
        s.settle().await;
        s.screenshot(&format!("20-{w}-top")).await;
        // The page never scrolls sideways; header buttons keep their label on one line.
        let fits = eval(
            &s,
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth && \
             [...document.querySelectorAll('.toolbar button')].every(b => b.getClientRects().length === 1 && b.offsetHeight < 48)",
        )
        .await;
        assert_eq!(
            fits,
            serde_json::Value::Bool(true),
            "{w}: sideways or a wrapped button"
        );
        if w == 390 {
            let small = eval(&s, SMALL_TEXT).await;
            assert_eq!(small, serde_json::json!([]), "text under 12 px at 390");
            // The plan comes before the stack list.
            let order = eval(
                &s,
                "return document.querySelector('[data-testid=plan]').getBoundingClientRect().top < \
                 document.querySelector('[data-testid=stack-list]').getBoundingClientRect().top",
            )
            .await;
            assert_eq!(
                order,
                serde_json::Value::Bool(true),
                "plan first on a phone"
            );
        }
        // "5Gb": refused, the fix suggested, and said by the totals (in view while editing) and
        // the header.
        let field = "[data-testid=field-rhesis-backend-requests-memory]";
        s.click(field).await;
        type_into(&s, field, "5Gb").await;
        s.wait_attr("[data-testid=invalid-banner]", "data-value", "1")
            .await;
        let err = s
            .text("[data-testid=field-rhesis-backend-requests-memory-error]")
            .await;
        assert!(err.contains("did you mean 5Gi?"), "{err}");
        let badge = s.text("[data-testid=change-count]").await;
        assert!(badge.contains("1 invalid field"), "{badge}");
        assert!(!badge.contains("preset as is"), "{badge}");
        wait_until(
            &s,
            "const r = document.querySelector('[data-testid=plan]').getBoundingClientRect(); \
             return r.bottom > 0 && r.top < window.innerHeight",
            "the totals stay in view while editing",
        )
        .await;
        s.settle().await;
        s.screenshot(&format!("21-{w}-invalid-while-editing")).await;
        assert!(s.count("[data-testid=finding-invalid-input]").await == 1);
        // The diagram, then the bars and the nodes and cost.
        scroll_to(&s, "section.diagram").await;
        s.settle().await;
        s.screenshot(&format!("22-{w}-diagram")).await;
        if w == 390 {
            let small = eval(&s, SMALL_TEXT).await;
            assert_eq!(
                small,
                serde_json::json!([]),
                "text under 12 px at 390 (diagram)"
            );
        }
        scroll_to(&s, "[data-testid=bars]").await;
        s.settle().await;
        s.screenshot(&format!("23-{w}-bars")).await;
        s.close().await;
    }
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn small_inconsistencies_fixed() {
    let s = Session::start(1366, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    // The tab title follows the stacks and the environment.
    wait_until(
        &s,
        "return document.title.startsWith('Rhesis AI · Production')",
        "tab title",
    )
    .await;
    // The only stack cannot be unchecked.
    wait_until(
        &s,
        "return document.querySelector('[data-testid=stack-add-rhesis]').disabled",
        "the only stack's checkbox is disabled",
    )
    .await;
    // The environment's meaning in plain sight; the arrow keys move the choice.
    let meaning = s.text("[data-testid=env-meaning]").await;
    assert!(meaning.contains("users"), "{meaning}");
    let chip = s.wait_for("[data-testid=env-prod]").await;
    chip.send_keys("\u{E014}").await.expect("ArrowRight");
    s.wait_attr("[data-testid=env-enterprise]", "aria-checked", "true")
        .await;
    wait_until(
        &s,
        "return document.activeElement.dataset.testid === 'env-enterprise'",
        "focus follows the choice",
    )
    .await;
    s.wait_for("[data-testid=env-enterprise]")
        .await
        .send_keys("\u{E012}")
        .await
        .expect("ArrowLeft");
    s.wait_attr("[data-testid=env-prod]", "aria-checked", "true")
        .await;
    // "Link copied" (or its failure in a headless browser) goes with the next edit.
    s.click("[data-testid=copy-link]").await;
    wait_until(
        &s,
        "return document.querySelector('[data-testid=copy-link]').textContent !== 'Copy link'",
        "copy acknowledged",
    )
    .await;
    s.first_use().await;
    let field = "[data-testid=field-rhesis-backend-replicas]";
    s.click(field).await;
    type_into(&s, field, "4").await;
    wait_text(&s, "[data-testid=copy-link]", "Copy link").await;
    // Compare names its sides, shows both totals and, with a cloud, the cost difference.
    s.click("[data-testid=cloud-eks]").await;
    s.click("[data-testid=compare] summary").await;
    let side_a = s.text("[data-testid=compare-side-a]").await;
    assert!(side_a.contains("without your changes"), "{side_a}");
    let side_b = s.text("[data-testid=compare-side-b]").await;
    assert!(side_b.contains("1 change"), "{side_b}");
    s.wait_for("[data-testid=compare-total-a-baseline]").await;
    s.wait_for("[data-testid=compare-total-b-baseline]").await;
    s.wait_for("[data-testid=compare-cost-delta-baseline]")
        .await;
    scroll_to(&s, "[data-testid=compare]").await;
    s.settle().await;
    s.screenshot("24-compare").await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn report_printed_right_after_opening_a_link_is_complete() {
    // A link with one change, made in one browser...
    let s = Session::start(1366, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    s.first_use().await;
    let field = "[data-testid=field-rhesis-backend-replicas]";
    s.click(field).await;
    type_into(&s, field, "4").await;
    let fragment = fragment_with(&s, 1).await;
    s.close().await;
    // ...opened in another and printed at once, before any click or scroll.
    let s = Session::start(1366, 900).await;
    s.open(&format!("#{fragment}")).await;
    s.wait_for("[data-testid=report-cover]").await;
    s.wait_for("[data-testid=component-totals]").await;
    s.settle().await;
    let text = print_to_pdf(&s, "29-print").await.to_lowercase();
    for needed in [
        "tonnage sizing review",
        "rhesis ai",
        "environment: production",
        "1 change from the preset",
        "backend.replicas",
        "link to this configuration",
        "warning",
        "totals per component and stack",
        "rhesis ai subtotal",
        "architecture",
    ] {
        assert!(text.contains(needed), "the report lacks {needed:?}");
    }
    assert!(!text.contains("still loading"), "an incomplete report");
    s.close().await;
}
