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
        "from values-prod.yaml (the chart's own prod file)",
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
