//! The report: comparing environments, the architecture diagram, the printed page.

use crate::harness::*;

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn compare_environments_and_architecture_diagram() {
    let s = Session::start(1280, 1000).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    s.click("[data-testid=compare] summary").await;
    let select = s.wait_for("[data-testid=compare-with]").await;
    select.select_by_value("local").await.expect("choose local");
    // prod - local = 8 - 2.35 cores, 110 - 1.5 GiB (local: the chart's values-local.yaml).
    let delta = s.text("[data-testid=compare-delta-baseline]").await;
    assert!(delta.contains("+5.65 cores"), "{delta}");
    assert!(delta.contains("+108.5 GiB"), "{delta}");
    assert!(s
        .text("[data-testid=compare-row-backend]")
        .await
        .contains("1 → 3"));
    // The diagram draws every component and the guide's arrows.
    assert_eq!(s.count("[data-testid=diagram] g.node").await, 5);
    assert!(s.count("[data-testid=diagram] path.edge").await >= 4);
    s.click("[data-testid=compare] summary").await;
    s.wait_for("[data-testid=diagram]").await.click().await.ok();
    s.client
        .execute(
            "document.querySelector('[data-testid=diagram]').scrollIntoView()",
            vec![],
        )
        .await
        .expect("scroll");
    s.screenshot("12-diagram").await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn printed_report_is_clean() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-staging]").await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-cpu]",
        "data-value",
        "7000",
    )
    .await;
    // Section titles are upper-cased by CSS, so compare case-insensitively.
    let text = print_to_pdf(&s, "13-print").await.to_lowercase();
    for needed in [
        "Tonnage sizing review",
        "Staging",
        "7 cores",
        "Assumptions behind these figures",
        "Architecture",
        "Plan per component",
    ] {
        assert!(
            text.contains(&needed.to_lowercase()),
            "the report lacks {needed:?}"
        );
    }
    for absent in ["Reset component", "Copy link", "Undo"] {
        assert!(
            !text.contains(&absent.to_lowercase()),
            "the report shows the control {absent:?}"
        );
    }
    s.close().await;
}
