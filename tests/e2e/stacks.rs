//! Choosing stacks and the plan: the stack list, components, totals, several charts, phone width.

use crate::harness::*;

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn page_lists_the_five_stacks() {
    let s = Session::start(1280, 720).await;
    s.open("").await;
    assert_eq!(s.count("[data-testid=stack-list] li").await, 5);
    for (id, name) in [
        ("cauldron-infra", "Cauldron"),
        ("cauldron-frappe", "Frappe"),
        ("rhesis", "Rhesis"),
        ("caracal", "Caracal"),
        ("rae-memory", "RAE"),
    ] {
        let t = s.text(&format!("[data-testid=stack-{id}]")).await;
        assert!(t.contains(name), "stack {id} shows {t:?}");
    }
    s.screenshot("01-stacks").await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn selecting_a_stack_shows_its_components() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-caracal]").await;
    assert!(s
        .text("[data-testid=stack-title]")
        .await
        .contains("Caracal"));
    for id in [
        "postgresql",
        "redis",
        "kafka",
        "zookeeper",
        "schema-registry",
        "gateway",
        "mcp-adapter",
        "ledger-writer",
        "metrics-aggregator",
        "audit-logger",
    ] {
        s.wait_for(&format!("[data-testid=card-caracal-{id}]"))
            .await;
    }
    let kafka = s.text("[data-testid=card-caracal-kafka]").await;
    assert!(
        kafka.contains("StatefulSet") && kafka.contains("stateful"),
        "{kafka}"
    );
    let gateway = s.text("[data-testid=card-caracal-gateway]").await;
    assert!(gateway.contains("stateless"), "{gateway}");
    s.screenshot("02-caracal-components").await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn plan_totals_are_the_core_figures() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-local]").await;
    // The chart's own values-local.yaml (real Helm's figures): 2.35 / 4.7 cores,
    // 4.625 / 9.25 GiB, and 1.5 GiB of claims (postgres-pvc 1Gi, redis-pvc 512Mi).
    s.wait_attr(
        "[data-testid=total-baseline-requests-cpu]",
        "data-value",
        "2350",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-baseline-limits-cpu]",
        "data-value",
        "4700",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-memory]",
        "data-value",
        "4966055936",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-baseline-limits-memory]",
        "data-value",
        "9932111872",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-baseline-storage]",
        "data-value",
        "1610612736",
    )
    .await;
    assert!(s
        .text("[data-testid=total-baseline-requests-cpu]")
        .await
        .contains("2.35"));
    s.screenshot("03-rhesis-local-plan").await;
    // Production rows summed honestly: 8 / 16 cores, 16 / 32 GiB, 110 GiB.
    s.click("[data-testid=env-prod]").await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-cpu]",
        "data-value",
        "8000",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-baseline-limits-cpu]",
        "data-value",
        "16000",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-memory]",
        "data-value",
        "17179869184",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-baseline-storage]",
        "data-value",
        "118111600640",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-peak-limits-memory]",
        "data-value",
        "34359738368",
    )
    .await;
    s.screenshot("04-rhesis-prod-plan").await;
    // Nothing autoscales in Rhesis prod (fixed replicas): one totals row, "Baseline = peak",
    // with a line saying so (the peak row is hidden, its figures still read above). With
    // autoscaling (rae-memory prod: memory-api 5-20) both rows are back.
    let peak_row_hidden = |s: &Session| {
        let c = s.client.clone();
        async move {
            c.execute(
                "return document.querySelector('[data-testid=total-peak-replicas]').closest('tr').hidden",
                vec![],
            )
            .await
            .expect("script")
        }
    };
    let same_shown = |s: &Session| {
        let c = s.client.clone();
        async move {
            c.find(fantoccini::Locator::Css("[data-testid=totals-same]"))
                .await
                .expect("totals-same")
                .is_displayed()
                .await
                .expect("displayed")
        }
    };
    assert_eq!(peak_row_hidden(&s).await, serde_json::Value::Bool(true));
    assert!(same_shown(&s).await);
    assert!(s
        .text(".totals-grid tbody tr")
        .await
        .contains("Baseline = peak"));
    s.click("[data-testid=stack-rae-memory]").await;
    s.click("[data-testid=env-prod]").await;
    s.wait_for("[data-testid=plan-row-memory-api]").await;
    assert_eq!(peak_row_hidden(&s).await, serde_json::Value::Bool(false));
    assert!(!same_shown(&s).await);
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn readable_at_phone_width() {
    let s = Session::start(390, 844).await;
    s.open("").await;
    s.click("[data-testid=stack-rae-memory]").await;
    s.wait_for("[data-testid=plan-row-memory-api]").await;
    // No horizontal scrolling of the page itself at phone width.
    let overflow = s
        .client
        .execute(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(
        overflow,
        serde_json::Value::Bool(true),
        "page scrolls sideways at 390px"
    );
    s.screenshot("05-phone-width").await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn several_charts_plan_together() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-cauldron-infra]").await;
    s.click("[data-testid=env-prod]").await;
    let infra = s
        .attr("[data-testid=total-baseline-requests-cpu]", "data-value")
        .await;
    s.click("[data-testid=stack-add-cauldron-frappe]").await;
    s.wait_for("[data-testid=card-cauldron-frappe-web]").await;
    s.wait_for("[data-testid=plan-volume-sites]").await;
    let both: i64 = s
        .attr("[data-testid=total-baseline-requests-cpu]", "data-value")
        .await
        .parse()
        .unwrap();
    assert!(
        both > infra.parse::<i64>().unwrap(),
        "adding Frappe adds its requests"
    );
    assert!(s.text("[data-testid=stack-title]").await.contains("Frappe"));
    s.screenshot("09-infra-plus-frappe").await;
    s.close().await;
}

/// A component without a limit: the plan table and Compare say `none` (not `0m` / `0 B`), and
/// the limit totals say they leave it out (a lower bound), as the CLI's report does.
#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn unset_limits_read_none_and_the_totals_say_so() {
    use tonnage_core::plan::total_limit_text;
    use tonnage_core::quantity::{display_bytes, display_cores};
    let cat = tonnage_core::Catalog::builtin();
    let c = tonnage_core::Configuration::new(cat, &["cauldron-infra"], "prod").expect("config");
    let t = tonnage_core::plan(cat, &c).totals.baseline;
    assert_eq!(t.limits_unset.cpu, 1, "postgresql-read has no limit");
    let s = Session::start(1366, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-cauldron-infra]").await;
    s.click("[data-testid=env-prod]").await;
    s.wait_attr("[data-testid=total-baseline-limits-cpu]", "data-unset", "1")
        .await;
    let cpu = s.text("[data-testid=total-baseline-limits-cpu]").await;
    assert_eq!(
        cpu,
        format!(
            "limit {}",
            total_limit_text(t.limits.cpu_millicores, 1, display_cores)
        )
    );
    assert!(
        cpu.contains('≥') && cpu.contains("1 without a limit"),
        "{cpu}"
    );
    let memory = s.text("[data-testid=total-baseline-limits-memory]").await;
    assert_eq!(
        memory,
        format!(
            "limit {}",
            total_limit_text(t.limits.memory_bytes, 1, display_bytes)
        )
    );
    s.first_use().await;
    scroll_to(&s, "[data-testid=plan-row-postgresql-read]").await;
    let row = s.text("[data-testid=plan-row-postgresql-read]").await;
    assert!(row.contains("none"), "{row}");
    assert!(!row.contains("0m") && !row.contains("0 B"), "{row}");
    s.settle().await;
    s.screenshot("16-plan-unset-limits").await;
    // Compare: its totals say the same.
    s.click("[data-testid=compare] summary").await;
    let compare = s.text("[data-testid=compare-total-a-baseline]").await;
    assert!(compare.contains("1 without a limit"), "{compare}");
    s.close().await;
}
