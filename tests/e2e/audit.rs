//! The chart audit on the page: findings with their evidence (computed by the Files worker once
//! the findings are on screen), a fix that says what changed, and Undo.

use crate::harness::*;

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn audit_shows_a_dead_setting_with_evidence_and_its_fix_can_be_undone() {
    // cauldron-infra prod: the chart's own values-prod.yaml sets postgresql.persistence.size,
    // which Bitnami postgresql 12.x does not read (it reads primary.persistence.size).
    let s = Session::start(1280, 1000).await;
    s.open("").await;
    s.click("[data-testid=stack-cauldron-infra]").await;
    s.click("[data-testid=env-prod]").await;
    s.first_use().await;
    scroll_to(&s, "[data-testid=findings]").await;
    let finding =
        "[data-testid=finding-dead-setting]:has([data-key=\"postgresql.persistence.size\"])";
    let fix = format!("{finding} [data-testid=fix-dead-setting]");
    s.wait_for(&fix).await;
    let t = s.text(finding).await;
    for want in [
        "postgresql.persistence.size = 50Gi",
        "(set by values-prod.yaml (the chart's own prod file))",
        "Guide:",
        "Key Features",
        "Chart:",
        "primary.persistence.size",
        "Fix: Set the key the chart reads: postgresql.primary.persistence.size=50Gi",
    ] {
        assert!(t.contains(want), "{want:?} not in {t}");
    }
    scroll_to(&s, finding).await;
    s.screenshot("50-audit-dead-setting-evidence").await;
    s.click(&fix).await;
    s.wait_for("[data-testid=fix-applied]").await;
    let applied = s.text("[data-testid=fix-applied]").await;
    assert!(
        applied.contains("cauldron-infra: postgresql.primary.persistence.size 10Gi -> 50Gi"),
        "{applied}"
    );
    s.wait_attr("[data-testid=change-count]", "data-value", "1")
        .await;
    // The key stays dead, but the chart now does what it meant: a note, no fix.
    wait_count(&s, &fix, 0).await;
    s.wait_for(finding).await;
    scroll_to(&s, "[data-testid=findings]").await;
    s.screenshot("51-audit-fix-applied-undo").await;
    s.click("[data-testid=fix-undo]").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "0")
        .await;
    wait_count(&s, "[data-testid=fix-applied]", 0).await;
    s.wait_for(&fix).await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn audit_says_whether_an_import_or_a_link_set_a_dead_key() {
    // cauldron-infra dev: global.imagePullPolicy is a key no template reads.
    let finding = "[data-testid=finding-dead-setting]:has([data-key=\"global.imagePullPolicy\"])";
    // An imported values file (pasted: no file name).
    let s = Session::start(1280, 1000).await;
    s.open("").await;
    s.click("[data-testid=stack-cauldron-infra]").await;
    s.click("[data-testid=env-dev]").await;
    s.first_use().await;
    s.click("[data-testid=import] summary").await;
    type_into(
        &s,
        "[data-testid=import-text]",
        "global:\n  imagePullPolicy: Always\n",
    )
    .await;
    s.wait_for("[data-testid=import-report]").await;
    s.click("[data-testid=import-apply]").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "1")
        .await;
    scroll_to(&s, "[data-testid=findings]").await;
    s.wait_for(finding).await;
    let t = s.text(finding).await;
    for want in [
        "global.imagePullPolicy=Always is set by the imported values file",
        "global.imagePullPolicy = Always (set by the imported values file)",
    ] {
        assert!(t.contains(want), "{want:?} not in {t}");
    }
    s.screenshot("52-audit-set-by-import").await;
    s.close().await;
    // A link someone sent: every override of a link is the link's.
    let cat = tonnage_core::Catalog::builtin();
    let mut c = tonnage_core::Configuration::new(cat, &["cauldron-infra"], "dev").expect("config");
    c.set_str(cat, "global.imagePullPolicy=Always")
        .expect("set");
    let fragment = tonnage_core::share::encode(cat, &c);
    let s = Session::start(1280, 1000).await;
    s.open(&format!("#{fragment}")).await;
    s.first_use().await;
    scroll_to(&s, "[data-testid=findings]").await;
    s.wait_for(finding).await;
    let t = s.text(finding).await;
    assert!(
        t.contains("global.imagePullPolicy = Always (set by the link you opened)"),
        "{t}"
    );
    s.close().await;
}

/// The text of every element `css` matches, joined, once it holds `want` (the audit arrives
/// from the worker after the review).
async fn wait_all_text(s: &Session, css: &str, want: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let got = s
            .client
            .execute(
                &format!(
                    "return [...document.querySelectorAll('{css}')].map(e => e.innerText).join('\\n---\\n')"
                ),
                vec![],
            )
            .await
            .expect("query")
            .as_str()
            .unwrap_or_default()
            .to_string();
        if got.contains(want) {
            return got;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{want:?} not in {css}: {got}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn audit_shows_probed_dead_keys_guide_totals_and_the_hardening_fix() {
    // Rhesis local: values-local.yaml sets secrets.enabled, which the probe of the real chart
    // found no template reads; prod: the guide's Total row beside the plan's totals.
    let s = Session::start(1280, 1000).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-local]").await;
    s.first_use().await;
    scroll_to(&s, "[data-testid=findings]").await;
    let finding = "[data-testid=finding-dead-setting]:has([data-key=\"secrets.enabled\"])";
    s.wait_for(finding).await;
    let t = s.text(finding).await;
    for want in [
        "secrets.enabled=true is set by values-local.yaml",
        "real-helm/rhesis/keys.yaml",
    ] {
        assert!(t.contains(want), "{want:?} not in {t}");
    }
    s.click("[data-testid=env-prod]").await;
    scroll_to(&s, "[data-testid=findings]").await;
    let t = wait_all_text(
        &s,
        "[data-testid=finding-guide-vs-chart]",
        "(prod-total-row)",
    )
    .await;
    for want in [
        "the guide's total is 12 pods, 6.5 cores CPU requested",
        "the plan's 12 pods, 8 cores CPU requested",
        "less the guide's: +1.5 cores CPU requested",
    ] {
        assert!(t.contains(want), "{want:?} not in {t}");
    }
    s.screenshot("53-audit-guide-totals").await;
    s.close().await;
    // Caracal prod: the guide's production recommendations the raw manifests do not deliver,
    // with the hardening overlay as the fix (advice: nothing to set), on the page and printed.
    let s = Session::start(1280, 1000).await;
    s.open("").await;
    s.click("[data-testid=stack-caracal]").await;
    s.click("[data-testid=env-prod]").await;
    s.first_use().await;
    scroll_to(&s, "[data-testid=findings]").await;
    let t = wait_all_text(
        &s,
        "[data-testid=finding-guide-vs-chart]",
        "(pod-disruption-budgets)",
    )
    .await;
    for want in [
        "Use pod disruption budgets",
        "k8s/pdb.yaml holds two budgets",
        "Suggested fix: Add a PodDisruptionBudget to every other workload",
        "(multi-zone)",
        "(kubernetes-version)",
    ] {
        assert!(t.contains(want), "{want:?} not in {t}");
    }
    s.screenshot("54-audit-guide-recommendations").await;
    let printed: String = print_to_pdf(&s, "55-print-audit")
        .await
        .split_whitespace()
        .collect();
    for want in [
        "(pod-disruption-budgets)",
        "Suggestedfix:AddaPodDisruptionBudgettoeveryotherworkload",
    ] {
        assert!(printed.contains(want), "{want:?} not in {printed}");
    }
    s.close().await;
}

/// `n error(s), n warning(s), n note(s)`, as the cover writes the review's counts.
fn counts_text((e, w, i): (usize, usize, usize)) -> String {
    let p = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{}, {}, {}",
        p(e, "error", "errors"),
        p(w, "warning", "warnings"),
        p(i, "note", "notes")
    )
}

/// A report printed at once after opening a link counts the chart audit's findings (computed
/// by the worker) as the CLI does: Ctrl+P is held until the audit is in; the browser's own
/// print, which cannot be held, says on its cover that the audit was still running (and the
/// counts are "at least"), and the next print is complete. Pages `56-print-at-once-*.png`.
#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn report_printed_at_once_from_a_link_counts_the_chart_audit() {
    use tonnage_core::review;
    let cat = tonnage_core::Catalog::builtin();
    let mut c = tonnage_core::Configuration::new(cat, &["cauldron-infra"], "dev").expect("config");
    c.set_str(cat, "global.imagePullPolicy=Always")
        .expect("set");
    // What the CLI's review counts (the review and the chart audit), and what the page would
    // count without the audit: they differ, or this test could not fail.
    let full = review::counts(&review::review_with_audit(cat, &c));
    let local = review::counts(&review::review(cat, &c));
    assert_ne!(full, local, "the audit adds nothing to this configuration");
    let want = format!("review: {}", counts_text(full)).to_lowercase();
    let fragment = tonnage_core::share::encode(cat, &c);

    // Ctrl+P at once: the page holds the print until the audit is in, then prints.
    let s = Session::start(1280, 1000).await;
    s.open(&format!("#{fragment}")).await;
    let held = s
        .client
        .execute(
            "window.__printed = null;\n\
             window.print = () => { const c = document.querySelector('[data-testid=report-cover]'); window.__printed = c ? c.innerText : ''; };\n\
             const ev = new KeyboardEvent('keydown', { key: 'p', ctrlKey: true, cancelable: true, bubbles: true });\n\
             window.dispatchEvent(ev);\n\
             return ev.defaultPrevented;",
            vec![],
        )
        .await
        .expect("Ctrl+P")
        .as_bool()
        .unwrap_or(false);
    assert!(
        held,
        "nothing was pending right after opening: the print was not held"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let printed = loop {
        let got = s
            .client
            .execute("return window.__printed", vec![])
            .await
            .expect("printed");
        if let Some(t) = got.as_str() {
            break words(t);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the held print never came"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(
        printed.contains(&want),
        "{want:?} not in the held print: {printed}"
    );
    assert!(!printed.contains("incomplete"), "{printed}");
    s.close().await;

    // The browser's own print at once: complete, or saying plainly that it is not.
    let s = Session::start(1280, 1000).await;
    s.open(&format!("#{fragment}")).await;
    s.wait_for("[data-testid=report-cover]").await;
    let text = words(&print_to_pdf(&s, "56-print-at-once").await);
    if !text.contains(&want) {
        assert!(
            text.contains("incomplete: the chart audit was still running")
                && text.contains(&format!("review: at least {}", counts_text(local))),
            "neither complete ({want:?}) nor marked incomplete: {text}"
        );
    }
    assert!(!text.contains("still loading"), "{text}");
    // Once the audit is in, the print is complete.
    wait_text_in(&s, "[data-testid=report-cover]", &want).await;
    let text = words(&print_to_pdf(&s, "56-print-later").await);
    assert!(text.contains(&want), "{want:?} not in {text}");
    assert!(!text.contains("incomplete"), "{text}");
    s.close().await;
}

/// `text` lower-cased with every run of white space one space (pdftotext breaks lines).
fn words(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Wait until the text (textContent: print-only elements too) of `css` holds `want`, any case.
async fn wait_text_in(s: &Session, css: &str, want: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let got = s
            .client
            .execute(
                &format!(
                    "const e = document.querySelector('{css}'); return e ? e.textContent : ''"
                ),
                vec![],
            )
            .await
            .expect("query")
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        if got.contains(want) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{want:?} not in {css}: {got}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
