//! Capacity and findings: nodes and cost, fit, expected users, fixes, the printed report.

use crate::harness::*;

/// The core's node fit and cost for a configuration with planning options, as the CLI's
/// `tonnage plan --format json` computes them.
fn core_fit(
    stacks: &[&str],
    env: &str,
    options: &[(&str, &str)],
) -> (
    tonnage_core::capacity::Fit,
    tonnage_core::capacity::Cost,
    tonnage_core::Plan,
) {
    use tonnage_core::capacity::{self, Planning};
    let cat = tonnage_core::Catalog::builtin();
    let mut c = tonnage_core::Configuration::new(cat, stacks, env).expect("configuration");
    for (k, v) in options {
        c.options.insert(k.to_string(), v.to_string());
    }
    let planning = Planning::from_options(&c.options).expect("options");
    let p = tonnage_core::plan(cat, &c);
    let (fit, cost) = capacity::evaluate(&p, cat, &planning).expect("a node");
    (fit, cost, p)
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn nodes_and_cost_on_eks_are_the_core_figures() {
    let s = Session::start(1280, 720).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    s.wait_for("[data-testid=capacity-hint]").await;
    s.click("[data-testid=cloud-eks]").await;
    // Another type first, then m5.xlarge (EKS's default), so the picker really changes.
    s.wait_for("[data-testid=node-type]")
        .await
        .select_by_value("t3.large")
        .await
        .expect("select t3.large");
    let (t3, _, _) = core_fit(
        &["rhesis"],
        "prod",
        &[("cloud", "eks"), ("node_type", "t3.large")],
    );
    s.wait_attr(
        "[data-testid=nodes-baseline]",
        "data-value",
        &t3.baseline.node_count().to_string(),
    )
    .await;
    s.wait_for("[data-testid=node-type]")
        .await
        .select_by_value("m5.xlarge")
        .await
        .expect("select m5.xlarge");
    // `tonnage plan --stack rhesis --env prod --cloud eks --node-type m5.xlarge --format json`
    let (fit, cost, _) = core_fit(
        &["rhesis"],
        "prod",
        &[("cloud", "eks"), ("node_type", "m5.xlarge")],
    );
    let json = tonnage_core::capacity::cost_json(&cost);
    let nodes = tonnage_core::capacity::nodes_json(&fit);
    for (id, want) in [
        ("nodes-baseline", nodes["baseline"].to_string()),
        ("nodes-peak", nodes["peak"].to_string()),
        ("cost-baseline", cost.baseline.total_micro_usd.to_string()),
        ("cost-peak", cost.peak.total_micro_usd.to_string()),
        (
            "opencost-baseline",
            cost.baseline.opencost.total_micro_usd.to_string(),
        ),
    ] {
        s.wait_attr(&format!("[data-testid={id}]"), "data-value", &want)
            .await;
    }
    // The page's micro-USD, in the CLI's JSON units (USD with 2 decimals).
    let shown: i64 = s
        .attr("[data-testid=cost-baseline]", "data-value")
        .await
        .parse()
        .expect("micro-USD");
    assert_eq!(
        tonnage_core::capacity::usd_json(shown),
        json["monthly_usd_baseline"]
    );
    assert!(s
        .text("[data-testid=cost-baseline]")
        .await
        .contains(&tonnage_core::capacity::usd(cost.baseline.total_micro_usd)));
    // The map draws every node and every placed pod.
    let pods: usize = fit.baseline.nodes.iter().map(|n| n.pods.len()).sum();
    assert_eq!(
        s.count("[data-testid=node-map-baseline] .node-box").await,
        fit.baseline.nodes.len()
    );
    assert_eq!(
        s.count("[data-testid=node-map-baseline] svg > g").await,
        pods
    );
    let prices = s.text("[data-testid=prices-used]").await;
    assert!(
        prices.contains("$0.192") && prices.contains("730"),
        "{prices}"
    );
    scroll_to(&s, "[data-testid=capacity]").await;
    s.screenshot("20-capacity-eks-m5xlarge").await;
    // A price override is an option: validated at the field, the last valid value stays.
    s.click("[data-testid=overheads] summary").await;
    type_into(&s, "[data-testid=option-price-node-hour]", "0.1x").await;
    let err = s.text("[data-testid=option-price-node-hour-error]").await;
    assert!(err.contains("USD amount"), "{err}");
    let (_, cheap, _) = core_fit(
        &["rhesis"],
        "prod",
        &[
            ("cloud", "eks"),
            ("node_type", "m5.xlarge"),
            ("price.node_hour", "0.1"),
        ],
    );
    s.wait_attr(
        "[data-testid=cost-baseline]",
        "data-value",
        &cheap.baseline.total_micro_usd.to_string(),
    )
    .await;
    s.click("[data-testid=option-price-node-hour-reset]").await;
    s.wait_attr(
        "[data-testid=cost-baseline]",
        "data-value",
        &cost.baseline.total_micro_usd.to_string(),
    )
    .await;
    // The choice survives a reload (autosave).
    s.open("").await;
    s.wait_attr(
        "[data-testid=nodes-baseline]",
        "data-value",
        &fit.baseline.node_count().to_string(),
    )
    .await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn pod_that_fits_no_node_says_why_and_the_fix_picks_a_type() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    s.click("[data-testid=cloud-eks]").await;
    s.wait_for("[data-testid=node-type]")
        .await
        .select_by_value("custom")
        .await
        .expect("select custom");
    // The custom node starts from the m5.xlarge shape; make it a 1 vCPU node.
    wait_value(&s, "[data-testid=option-node-vcpu]", "4").await;
    type_into(&s, "[data-testid=option-node-vcpu]", "1").await;
    let opts = [
        ("cloud", "eks"),
        ("node_type", "custom"),
        ("node.vcpu", "1"),
        ("node.memory", "16Gi"),
        ("node.max_pods", "58"),
    ];
    let (fit, _, _) = core_fit(&["rhesis"], "prod", &opts);
    let backend = fit
        .baseline
        .unplaced
        .iter()
        .find(|u| u.component == "backend")
        .expect("the core leaves the backend unplaced");
    let li = s
        .text("[data-testid=unplaced-baseline-rhesis-backend]")
        .await;
    assert!(
        li.contains("fits on no node") && li.contains(&backend.reason),
        "{li}"
    );
    s.wait_attr(
        "[data-testid=nodes-baseline]",
        "data-value",
        &fit.baseline.node_count().to_string(),
    )
    .await;
    // A malformed vCPU is refused at the field; the 1 vCPU node stays.
    type_into(&s, "[data-testid=option-node-vcpu]", "one").await;
    s.wait_for("[data-testid=option-node-vcpu-error]").await;
    s.wait_for("[data-testid=unplaced-baseline-rhesis-backend]")
        .await;
    // The review says so too, and its fix picks a built-in type where it fits.
    s.wait_for("[data-testid=finding-pod-fits-no-node]").await;
    scroll_to(&s, "[data-testid=capacity]").await;
    s.screenshot("21-pod-fits-no-node").await;
    scroll_to(&s, "[data-testid=findings]").await;
    s.screenshot("22-findings-fits-no-node").await;
    s.click("[data-testid=finding-pod-fits-no-node] [data-testid=fix-pod-fits-no-node]")
        .await;
    wait_count(&s, "[data-testid=finding-pod-fits-no-node]", 0).await;
    wait_count(&s, "[data-testid^=unplaced-]", 0).await;
    let chosen = s
        .wait_for("[data-testid=node-type]")
        .await
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert!(
        tonnage_core::capacity::instance_type(&chosen).is_some(),
        "{chosen}"
    );
    let (fixed, _, _) = core_fit(
        &["rhesis"],
        "prod",
        &[("cloud", "eks"), ("node_type", &chosen)],
    );
    s.wait_attr(
        "[data-testid=nodes-baseline]",
        "data-value",
        &fixed.baseline.node_count().to_string(),
    )
    .await;
    s.wait_for("[data-testid=max-pods-free-baseline]").await;
    // A pod limit that binds: custom from that type, 5 pods per node (4 go to DaemonSets).
    s.wait_for("[data-testid=node-type]")
        .await
        .select_by_value("custom")
        .await
        .expect("select custom");
    type_into(&s, "[data-testid=option-node-max-pods]", "5").await;
    let t = tonnage_core::capacity::instance_type(&chosen).unwrap();
    let (vcpu, mem) = (t.vcpu.to_string(), format!("{}Gi", t.memory_gib));
    let (bound, _, _) = core_fit(
        &["rhesis"],
        "prod",
        &[
            ("cloud", "eks"),
            ("node_type", "custom"),
            ("node.vcpu", &vcpu),
            ("node.memory", &mem),
            ("node.max_pods", "5"),
        ],
    );
    assert!(bound.baseline.max_pods_bound);
    s.wait_for("[data-testid=max-pods-bound-baseline]").await;
    s.wait_attr(
        "[data-testid=nodes-baseline]",
        "data-value",
        &bound.baseline.node_count().to_string(),
    )
    .await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn expected_users_set_replicas_per_the_core() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    type_into(&s, "[data-testid=users-input]", "1000").await;
    let cat = tonnage_core::Catalog::builtin();
    let mut want = tonnage_core::Configuration::new(cat, &["rhesis"], "prod").unwrap();
    tonnage_core::capacity::apply_users(cat, &mut want, 1000).unwrap();
    let p = tonnage_core::plan(cat, &want);
    s.wait_attr(
        "[data-testid=total-baseline-replicas]",
        "data-value",
        &p.totals.baseline.replicas.to_string(),
    )
    .await;
    let r = tonnage_core::capacity::replicas_for_users(cat.chart("rhesis").unwrap(), 1000);
    for (path, n) in &r.sets {
        let comp = path.split('.').next().unwrap();
        wait_value(
            &s,
            &format!("[data-testid=field-rhesis-{comp}-replicas]"),
            &n.to_string(),
        )
        .await;
    }
    let text = s.text("[data-testid=users-explanation-rhesis]").await;
    assert!(text.contains(&r.explanation), "{text}");
    assert!(text.contains("extrapolated"), "{text}");
    scroll_to(&s, "[data-testid=users]").await;
    s.screenshot("23-users-1000").await;
    // Undo steps back through the typing (100 users: the Enterprise tier).
    s.click("[data-testid=undo]").await;
    let r100 = tonnage_core::capacity::replicas_for_users(cat.chart("rhesis").unwrap(), 100);
    let (path, n) = &r100.sets[0];
    let comp = path.split('.').next().unwrap();
    wait_value(
        &s,
        &format!("[data-testid=field-rhesis-{comp}-replicas]"),
        &n.to_string(),
    )
    .await;
    // Reset brings the preset's replicas back.
    s.click("[data-testid=users-reset]").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "0")
        .await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn finding_appears_and_its_fix_resolves_it() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    wait_count(&s, "[data-testid=finding-request-above-limit]", 0).await;
    type_into(&s, "[data-testid=field-rhesis-frontend-requests-cpu]", "3").await;
    s.wait_for("[data-testid=finding-request-above-limit]")
        .await;
    s.wait_attr("[data-testid=findings-errors]", "data-value", "1")
        .await;
    let f = s.text("[data-testid=finding-request-above-limit]").await;
    assert!(
        f.contains("Error") && f.contains("Frontend") && f.contains("Source:"),
        "{f}"
    );
    scroll_to(&s, "[data-testid=findings]").await;
    s.screenshot("24-finding-request-above-limit").await;
    s.click("[data-testid=fix-request-above-limit]").await;
    wait_count(&s, "[data-testid=finding-request-above-limit]", 0).await;
    s.wait_attr("[data-testid=findings-errors]", "data-value", "0")
        .await;
    wait_value(&s, "[data-testid=field-rhesis-frontend-limits-cpu]", "3").await;
    // One undo step brings the finding back.
    s.click("[data-testid=undo]").await;
    s.wait_for("[data-testid=finding-request-above-limit]")
        .await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn printed_report_has_nodes_cost_and_findings() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    s.click("[data-testid=cloud-eks]").await;
    let (_, cost, _) = core_fit(
        &["rhesis"],
        "prod",
        &[("cloud", "eks"), ("node_type", "m5.xlarge")],
    );
    s.wait_attr(
        "[data-testid=cost-baseline]",
        "data-value",
        &cost.baseline.total_micro_usd.to_string(),
    )
    .await;
    s.wait_for("[data-testid=finding-single-replica-stateful]")
        .await;
    // A finding with a fix: its label prints, its button does not.
    type_into(&s, "[data-testid=field-rhesis-frontend-requests-cpu]", "3").await;
    s.wait_for("[data-testid=fix-request-above-limit]").await;
    let total = s.text("[data-testid=cost-baseline] .metric-value").await;
    assert!(total.starts_with('$'), "{total}");
    let text = print_to_pdf(&s, "25-print-capacity").await;
    let lower = text.to_lowercase();
    for needed in [
        "nodes and monthly cost",
        "review findings",
        "m5.xlarge",
        "single replica",
        "suggested fix",
    ] {
        assert!(lower.contains(needed), "the report lacks {needed:?}");
    }
    assert!(text.contains(&total), "the report lacks {total}");
    for absent in ["Per-node overhead", "Expected users", "Fix:"] {
        assert!(
            !text.contains(absent),
            "the report shows the control {absent:?}"
        );
    }
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn capacity_and_findings_at_phone_width() {
    let s = Session::start(390, 844).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    s.click("[data-testid=cloud-gke]").await;
    s.wait_for("[data-testid=node-map-baseline] .node-box")
        .await;
    s.wait_for("[data-testid=findings]").await;
    // Neither the page nor the panels scroll sideways.
    let fits = s
        .client
        .execute(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth && \
             ['capacity', 'findings'].every(id => { \
               const e = document.querySelector(`[data-testid=${id}]`); \
               return e.scrollWidth <= e.clientWidth + 1; })",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(
        fits,
        serde_json::Value::Bool(true),
        "page scrolls sideways at 390px"
    );
    scroll_to(&s, "[data-testid=capacity]").await;
    s.screenshot("26-capacity-phone").await;
    scroll_to(&s, "[data-testid=fit]").await;
    s.screenshot("27-node-map-phone").await;
    scroll_to(&s, "[data-testid=findings]").await;
    s.screenshot("28-findings-phone").await;
    s.close().await;
}
