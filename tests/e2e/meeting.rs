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

/// The texts of the badges shown whose text runs over more than one line.
const WRAPPED_BADGES: &str = r#"
return [...document.querySelectorAll('.badge')].filter(b => b.offsetParent).filter(b => {
  const r = document.createRange();
  r.selectNodeContents(b);
  return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1;
}).map(b => b.textContent.trim());
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
        // Every badge (the header's, the component's "1 changed") keeps its text on one line.
        let wrapped = eval(&s, WRAPPED_BADGES).await;
        assert_eq!(wrapped, serde_json::json!([]), "{w}: a badge wraps");
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

/// Texts whose colour contrasts less than WCAG AA with what is behind them (4.5:1, 3:1 for
/// large text): the colour against the first opaque background of the element or an ancestor.
/// Disabled controls and what is faded on purpose (opacity below 1) are exempt, as WCAG says.
const LOW_CONTRAST: &str = r#"
const rgba = s => { const m = s.match(/[\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
const out = [];
for (const el of document.querySelectorAll('body *')) {
  const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own) continue;
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0 || r.bottom < 0 || r.top > window.innerHeight) continue;
  if (el.closest(':disabled, [aria-disabled=true], .sr-only, .skip')) continue;
  let faded = false, bg = null;
  for (let a = el; a; a = a.parentElement) {
    const cs = getComputedStyle(a);
    if (parseFloat(cs.opacity) < 1) faded = true;
    const b = rgba(cs.backgroundColor);
    if (!bg && b[3] > 0.5) bg = b;
  }
  if (faded || getComputedStyle(el).visibility === 'hidden') continue;
  bg = bg || [255, 255, 255, 1];
  const cs = getComputedStyle(el);
  const fg = rgba(el.closest('svg') ? cs.fill : cs.color);
  const l1 = lum(fg), l2 = lum(bg);
  const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  const px = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight) >= 700;
  const need = (px >= 24 || (bold && px >= 18.66)) ? 3 : 4.5;
  const cls = typeof el.className === 'string' ? el.className : el.className.baseVal;
  if (ratio < need) out.push(ratio.toFixed(2) + ' ' + el.tagName + '.' + cls + ' ' + el.textContent.trim().slice(0, 30));
}
return out;
"#;

/// Texts that spill out of their cell, tile, box, button or chip (the text's own extent, from
/// a Range over its text nodes, against the box that holds it).
const SPILLED_TEXT: &str = r#"
const out = [];
for (const el of document.querySelectorAll('body *')) {
  const texts = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim());
  if (!texts.length || el.closest('svg, .sr-only')) continue;
  // Visually hidden for screen readers only (a 1 px box that clips).
  let hidden = false;
  for (let a = el; a; a = a.parentElement) if (a.getBoundingClientRect().width <= 1) hidden = true;
  if (hidden) continue;
  const box = el.closest('td, th, .metric, .node-box, .bar-cell, button, .badge, .env-chip, .finding');
  if (!box) continue;
  const b = box.getBoundingClientRect();
  if (b.width === 0) continue;
  for (const t of texts) {
    const range = document.createRange();
    range.selectNodeContents(t);
    const r = range.getBoundingClientRect();
    if (r.width === 0) continue;
    if (r.left < b.left - 1 || r.right > b.right + 1)
      out.push(box.tagName + '.' + box.className + ' ' + t.textContent.trim().slice(0, 30) + ' ' +
        Math.round(r.left) + '-' + Math.round(r.right) + ' in ' + Math.round(b.left) + '-' + Math.round(b.right));
  }
}
return out;
"#;

/// The diagram's texts that do not fit inside their box (as drawn, in the SVG's units), with
/// a 4 px margin on the right: what the core's label widths (`diagram::label_fits`) promise.
const DIAGRAM_TEXT_OUT: &str = r#"
const out = [];
for (const g of document.querySelectorAll('[data-testid=diagram] g.node')) {
  const r = g.querySelector('rect').getBBox();
  for (const t of g.querySelectorAll('text')) {
    const b = t.getBBox();
    if (b.width === 0) continue;
    if (b.x < r.x || b.x + b.width > r.x + r.width - 4 || b.y < r.y || b.y + b.height > r.y + r.height)
      out.push(t.textContent + ' ' + Math.round(b.x) + '-' + Math.round(b.x + b.width) + ' in ' +
        Math.round(r.x) + '-' + Math.round(r.x + r.width));
  }
}
return out;
"#;

/// The checks every screen of the meeting passes, where it is scrolled to: the page does not
/// scroll sideways, no text spills out of its box (the diagram's boxes included), no text
/// contrasts less than WCAG AA, and on a phone no text under 12 px.
async fn check_screen(s: &Session, w: u32, name: &str) {
    s.settle().await;
    s.screenshot(name).await;
    let sideways = eval(
        s,
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
    )
    .await;
    assert_eq!(
        sideways,
        serde_json::json!(0),
        "{name}: the page scrolls sideways"
    );
    let spilled = eval(s, SPILLED_TEXT).await;
    assert_eq!(
        spilled,
        serde_json::json!([]),
        "{name}: text out of its box"
    );
    let out = eval(s, DIAGRAM_TEXT_OUT).await;
    assert_eq!(
        out,
        serde_json::json!([]),
        "{name}: diagram text out of its box"
    );
    let low = eval(s, LOW_CONTRAST).await;
    assert_eq!(low, serde_json::json!([]), "{name}: low contrast");
    if w == 390 {
        let small = eval(s, SMALL_TEXT).await;
        assert_eq!(small, serde_json::json!([]), "{name}: text under 12 px");
    }
}

/// Every panel at the three sizes in both colour schemes: the totals, the diagram, nodes and
/// cost, the findings, Compare, Files (with the manifests note) and Import. Screenshots
/// `30-<width>-<scheme>-<screen>.png`.
#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn every_panel_at_every_size_light_and_dark() {
    for (w, h) in [(1366u32, 768u32), (1920, 1080), (390, 844)] {
        for dark in [false, true] {
            let s = if dark {
                Session::start_dark(w, h).await
            } else {
                Session::start(w, h).await
            };
            let scheme = if dark { "dark" } else { "light" };
            s.open("").await;
            let dark_now = eval(
                &s,
                "return matchMedia('(prefers-color-scheme: dark)').matches",
            )
            .await;
            assert_eq!(dark_now, serde_json::Value::Bool(dark), "colour scheme");
            s.click("[data-testid=stack-rhesis]").await;
            s.click("[data-testid=stack-add-cauldron-infra]").await;
            s.click("[data-testid=env-prod]").await;
            s.click("[data-testid=cloud-eks]").await;
            s.wait_for("[data-testid=cost-baseline]").await;
            s.first_use().await;
            s.client
                .execute("window.scrollTo(0, 0)", vec![])
                .await
                .expect("scroll");
            let shot = |screen: &str| format!("30-{w}-{scheme}-{screen}");
            check_screen(&s, w, &shot("top")).await;
            scroll_to(&s, "[data-testid=bars]").await;
            check_screen(&s, w, &shot("bars")).await;
            scroll_to(&s, "section.diagram").await;
            check_screen(&s, w, &shot("diagram")).await;
            scroll_to(&s, "[data-testid=fit]").await;
            s.wait_for("[data-testid=node-map-baseline] .node-box")
                .await;
            check_screen(&s, w, &shot("nodes")).await;
            scroll_to(&s, "[data-testid=findings]").await;
            check_screen(&s, w, &shot("findings")).await;
            // Compare: both sides named, both totals, the cost difference.
            s.click("[data-testid=compare] summary").await;
            s.wait_for("[data-testid=compare-with]")
                .await
                .select_by_value("staging")
                .await
                .expect("choose staging");
            s.wait_for("[data-testid=compare-cost-delta-baseline]")
                .await;
            let a = s.text("[data-testid=compare-side-a]").await;
            assert!(a.starts_with("A:"), "{a}");
            scroll_to(&s, "[data-testid=compare]").await;
            check_screen(&s, w, &shot("compare")).await;
            // Files: the preview and the note on what the manifests are.
            s.click("[data-testid=files] summary").await;
            s.wait_for("[data-testid=preview]").await;
            let note = s.text("[data-testid=manifests-note]").await;
            assert!(note.to_lowercase().contains("manifests"), "{note}");
            scroll_to(&s, "[data-testid=files]").await;
            check_screen(&s, w, &shot("files")).await;
            // Import: a partial file read, its report shown before Apply.
            s.click("[data-testid=import] summary").await;
            s.wait_for("[data-testid=import-chart]")
                .await
                .select_by_value("rhesis")
                .await
                .expect("choose rhesis");
            type_into(&s, "[data-testid=import-text]", "backend:\n  replicas: 4\n").await;
            s.wait_attr("[data-testid=import-report]", "data-value", "1")
                .await;
            scroll_to(&s, "[data-testid=import]").await;
            check_screen(&s, w, &shot("import")).await;
            s.close().await;
        }
    }
}

/// The printed report of three stacks with many components on a cloud, with a change: a
/// complete cover, no text printed over text at any page break, and no section title left
/// alone at the foot of a page. Pages `31-print-many-<n>.png`.
#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn report_of_many_components_breaks_cleanly() {
    let s = Session::start(1366, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-cauldron-infra]").await;
    s.click("[data-testid=stack-add-cauldron-frappe]").await;
    s.click("[data-testid=stack-add-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    s.click("[data-testid=cloud-eks]").await;
    s.first_use().await;
    let field = "[data-testid=field-rhesis-backend-replicas]";
    s.click(field).await;
    type_into(&s, field, "4").await;
    fragment_with(&s, 1).await;
    s.wait_for("[data-testid=component-totals]").await;
    s.wait_for("[data-testid=cost-baseline]").await;
    s.settle().await;
    let text = print_to_pdf(&s, "31-print-many").await.to_lowercase();
    for needed in [
        "tonnage sizing review",
        "cauldron infrastructure",
        "cauldron frappe",
        "rhesis ai",
        "environment: production",
        "link to this configuration",
        "1 change from the preset",
        "backend.replicas",
        "review:",
        "error",
        "warning",
        "cauldron infrastructure subtotal",
        "rhesis ai subtotal",
        "nodes and monthly cost",
        "architecture",
        "assumptions behind these figures",
    ] {
        assert!(text.contains(needed), "the report lacks {needed:?}");
    }
    assert!(!text.contains("still loading"), "an incomplete report");
    let overlaps = pdf_overlapping_words("31-print-many");
    assert_eq!(overlaps, Vec::<String>::new(), "text printed over text");
    let pages = pdf_pages("31-print-many");
    assert!(pages.len() >= 4, "{} pages", pages.len());
    let titles = [
        "requests per component",
        "nodes and monthly cost",
        "review findings",
        "plan per component",
        "totals per component and stack",
        "architecture",
        "assumptions behind these figures",
    ];
    for (n, page) in pages.iter().enumerate() {
        let last = page
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .to_lowercase();
        assert!(
            !titles.iter().any(|t| last.starts_with(t)),
            "page {} ends with the title {last:?}",
            n + 1
        );
    }
    s.close().await;
}
