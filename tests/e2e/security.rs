//! Offline, the Content-Security-Policy, no secret in storage or in a link.

use crate::harness::*;

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn offline_csp_and_no_secret_in_storage_or_link() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-caracal]").await;
    s.click("[data-testid=env-dev]").await;
    // A password that arrives in an imported values file stays out of the link and out of
    // localStorage (it does reach the downloaded values files: that is what the user asked).
    s.click("[data-testid=import] summary").await;
    type_into(
        &s,
        "[data-testid=import-text]",
        "postgresql:\n  auth:\n    password: Sup3rS3cretValue\ngateway:\n  replicaCount: 4\n",
    )
    .await;
    s.click("[data-testid=import-apply]").await;
    s.wait_attr("[data-testid=field-caracal-gateway-replicas]", "value", "4")
        .await;
    s.click("[data-testid=files] summary").await;
    s.wait_for("[data-testid=preview]").await;
    let stored = s
        .client
        .execute(
            "return localStorage.getItem('tonnage.config.v1') || ''",
            vec![],
        )
        .await
        .expect("storage");
    let stored = stored.as_str().unwrap_or_default().to_string();
    assert!(
        stored.contains("gateway.replicaCount"),
        "autosave holds the edit: {stored}"
    );
    assert!(
        !stored.contains("Sup3rS3cretValue"),
        "a secret reached localStorage"
    );
    let url = s.client.current_url().await.unwrap().to_string();
    let fragment = url
        .split_once('#')
        .map(|(_, f)| f.to_string())
        .unwrap_or_default();
    let decoded =
        tonnage_core::share::decode(tonnage_core::Catalog::builtin(), &fragment).expect("link");
    let as_text = serde_json::to_string(&decoded).unwrap();
    assert!(
        !as_text.contains("Sup3rS3cretValue"),
        "a secret reached the link"
    );

    // The page carries a Content-Security-Policy and fetched nothing from another origin.
    let csp = s
        .attr("meta[http-equiv=Content-Security-Policy]", "content")
        .await;
    assert!(
        csp.contains("default-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let foreign = s
        .client
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name).filter(u => !u.startsWith(location.origin) && !u.startsWith('blob:') && !u.startsWith('data:'))",
            vec![],
        )
        .await
        .expect("resource entries");
    assert_eq!(
        foreign,
        serde_json::json!([]),
        "requests outside the page's origin"
    );
    let all = s
        .client
        .execute(
            "return performance.getEntriesByType('resource').length",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        all.as_u64().unwrap_or(0) >= 2,
        "the wasm and js were fetched from the origin"
    );
    s.close().await;
}
