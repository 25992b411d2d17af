//! The Files panel: preview, downloads, an external endpoint, importing a values file.

use std::time::{Duration, Instant};

use crate::harness::*;

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn external_endpoint_replaces_a_switched_off_database() {
    let s = Session::start(1280, 1000).await;
    s.open("").await;
    s.click("[data-testid=stack-cauldron-infra]").await;
    s.click("[data-testid=env-prod]").await;
    s.click("[data-testid=reset-all]").await;
    s.click("[data-testid=stack-add-cauldron-frappe]").await;
    s.wait_for("[data-testid=card-cauldron-frappe-web]").await;
    // Adding the chart changes the review's findings above the editor once editing pauses:
    // click after that.
    s.settle().await;
    // Switch off cauldron-infra's PostgreSQL: Frappe's components need it.
    s.click("[data-testid=field-cauldron-infra-postgresql-enabled]")
        .await;
    let warn = s
        .text("[data-testid=depwarn-cauldron-infra-postgresql]")
        .await;
    assert!(
        warn.contains("Web server (cauldron-frappe)") && warn.contains("cannot start"),
        "{warn}"
    );
    // The read replicas go off with it and are not listed as broken.
    assert!(!warn.contains("read"), "{warn}");
    let input = "[data-testid=external-cauldron-infra-postgresql]";
    // A malformed endpoint is refused at the field, naming the input.
    type_into(&s, input, "db.example.com:99999\u{E004}").await;
    let err = s
        .text("[data-testid=external-cauldron-infra-postgresql-error]")
        .await;
    assert!(
        err.contains("\"db.example.com:99999\"") && err.contains("1 to 65535"),
        "{err}"
    );
    // A good one is applied: the field says where it goes and the error is gone.
    type_into(&s, input, "db.example.com:3306\u{E004}").await;
    wait_text(
        &s,
        "[data-testid=external-cauldron-infra-postgresql-where]",
        "Written to cauldron-frappe: frappe.db.host and frappe.db.port",
    )
    .await;
    assert_eq!(
        s.count("[data-testid=external-cauldron-infra-postgresql-error]")
            .await,
        0
    );
    s.client
        .execute(
            "document.querySelector('[data-testid=card-cauldron-infra-postgresql]').scrollIntoView()",
            vec![],
        )
        .await
        .expect("scroll");
    s.screenshot("07b-external-endpoint").await;
    // The Files preview of Frappe's values shows the endpoint, not the in-cluster Service.
    s.click("[data-testid=files] summary").await;
    s.click("[data-testid=file-cauldron-frappe-values-prod-yaml]")
        .await;
    wait_text(
        &s,
        "[data-testid=preview-path]",
        "cauldron-frappe/values-prod.yaml",
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let text = loop {
        let t = preview_text(&s).await;
        if t.contains("host: db.example.com") || Instant::now() > deadline {
            break t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        text.contains("host: db.example.com") && text.contains("port: 3306"),
        "{text}"
    );
    assert!(
        !text.contains("cauldron-infra-postgresql-primary"),
        "{text}"
    );
    let highlighted = highlighted_lines(&s).await;
    assert!(
        highlighted
            .iter()
            .any(|l| l.contains("host: db.example.com")),
        "{highlighted:?}"
    );
    s.client
        .execute(
            "document.querySelector('[data-testid=preview]').scrollIntoView()",
            vec![],
        )
        .await
        .expect("scroll");
    s.screenshot("14b-external-endpoint-preview").await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn preview_and_download_files() {
    use std::io::Read;
    let s = Session::start(1280, 1000).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    type_into(&s, "[data-testid=field-rhesis-backend-replicas]", "4").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "1")
        .await;
    s.click("[data-testid=files] summary").await;
    // The environment's values file shows the override, highlighted.
    s.click("[data-testid=file-rhesis-values-prod-yaml]").await;
    wait_text(&s, "[data-testid=preview-path]", "rhesis/values-prod.yaml").await;
    let text = preview_text(&s).await;
    assert!(text.contains("replicas: 4"), "{text}");
    let changed: usize = s
        .attr("[data-testid=preview-changed]", "data-value")
        .await
        .parse()
        .unwrap();
    assert!(changed >= 1);
    let highlighted = highlighted_lines(&s).await;
    assert!(
        highlighted.iter().any(|l| l.contains("replicas: 4")),
        "{highlighted:?}"
    );
    // The manifests show the Deployment with 4 replicas.
    s.click("[data-testid=file-manifests-rhesis-yaml]").await;
    wait_text(&s, "[data-testid=preview-path]", "manifests/rhesis.yaml").await;
    let m = preview_text(&s).await;
    assert!(
        m.contains("kind: Deployment") && m.contains("replicas: 4"),
        "manifest preview"
    );
    s.click("[data-testid=copy-file]").await;
    s.client
        .execute(
            "document.querySelector('[data-testid=files]').scrollIntoView()",
            vec![],
        )
        .await
        .expect("scroll");
    s.screenshot("14-file-preview").await;

    // Downloads, built in the browser: open them and look inside.
    s.click("[data-testid=download-values-zip]").await;
    let z = downloaded(&s, "tonnage-rhesis-prod-values.zip").await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(z)).expect("a zip");
    let mut v = String::new();
    zip.by_name("tonnage-rhesis-prod-values/rhesis/values-prod.yaml")
        .expect("values-prod.yaml")
        .read_to_string(&mut v)
        .unwrap();
    assert!(v.contains("replicas: 4"), "{v}");
    // Only what differs from the chart's values.yaml: the chart brings that file itself.
    assert!(zip
        .by_name("tonnage-rhesis-prod-values/rhesis/values.yaml")
        .is_err());
    assert!(zip
        .by_name("tonnage-rhesis-prod-values/helmfile.yaml")
        .is_ok());
    // Where the manifests are offered, the page says which values are placeholders and how
    // to get the complete files.
    let note = s.text("[data-testid=manifests-note]").await;
    assert!(
        note.contains("placeholders") && note.contains("render.sh"),
        "{note}"
    );
    s.click("[data-testid=download-manifests-tgz]").await;
    let t = downloaded(&s, "tonnage-rhesis-prod-manifests.tar.gz").await;
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(std::io::Cursor::new(t)));
    let mut names = Vec::new();
    for e in ar.entries().expect("a tar.gz") {
        names.push(e.unwrap().path().unwrap().to_string_lossy().to_string());
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("tonnage-rhesis-prod-manifests/rhesis/templates/deployment-")),
        "{names:?}"
    );
    // The real chart's PostgreSQL and Redis are Deployments with standalone claims.
    assert!(
        names.iter().any(|n| n
            .starts_with("tonnage-rhesis-prod-manifests/rhesis/templates/persistentvolumeclaim-")),
        "{names:?}"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("tonnage-rhesis-prod-manifests/rhesis/templates/statefulset-")),
        "{names:?}"
    );
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn import_a_values_file() {
    let s = Session::start(1280, 1000).await;
    s.open("").await;
    s.click("[data-testid=stack-caracal]").await;
    s.click("[data-testid=env-prod]").await;
    s.click("[data-testid=import] summary").await;
    // A YAML error names its line and column.
    type_into(
        &s,
        "[data-testid=import-text]",
        "gateway:\n  replicaCount: [1\n",
    )
    .await;
    let err = s.text("[data-testid=import-error]").await;
    assert!(err.contains("line") && err.contains("column"), "{err}");
    // Known keys become overrides, unknown ones are listed.
    type_into(
        &s,
        "[data-testid=import-text]",
        "gateway:\n  replicaCount: 6\nkafka:\n  persistence:\n    size: 50Gi\nbogus:\n  key: 1\n",
    )
    .await;
    let report = s.text("[data-testid=import-report]").await;
    assert!(report.contains("gateway.replicaCount"), "{report}");
    assert!(s
        .text("[data-testid=import-unknown]")
        .await
        .contains("bogus"));
    s.screenshot("15-import").await;
    // Merged onto the configuration (the default): the file's two values, nothing restored.
    assert_eq!(
        s.attr("[data-testid=import-report]", "data-value").await,
        "2"
    );
    assert_eq!(s.count("[data-testid=import-restored]").await, 0);
    s.click("[data-testid=import-apply]").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "2")
        .await;
    let notice = s.text("[data-testid=notice]").await;
    assert!(notice.contains("Merged 2 values"), "{notice}");
    s.wait_attr("[data-testid=field-caracal-gateway-replicas]", "value", "6")
        .await;
    // Replacing the environment's values with a file that sets the gateway only: what the
    // prod preset changes and the file leaves out falls back to values.yaml (Helm: -f
    // values.yaml -f this-file), and the Kafka size set by the first import would go: both
    // said before Apply.
    s.click("[data-testid=import-mode-replace]").await;
    type_into(
        &s,
        "[data-testid=import-text]",
        "gateway:\n  replicaCount: 7\n",
    )
    .await;
    assert!(s
        .text("[data-testid=import-restored]")
        .await
        .contains("fall back"));
    let dropped = s.text("[data-testid=import-dropped]").await;
    assert!(dropped.contains("kafka.persistence.size"), "{dropped}");
    let n = s.attr("[data-testid=import-report]", "data-value").await;
    assert!(n.parse::<usize>().unwrap() >= 2, "{n}");
    assert!(s
        .text("[data-testid=import-apply]")
        .await
        .contains("dropping"));
    s.click("[data-testid=import-apply]").await;
    s.wait_attr("[data-testid=change-count]", "data-value", &n)
        .await;
    let notice = s.text("[data-testid=notice]").await;
    assert!(notice.contains(&format!("Imported {n} values")), "{notice}");
    assert!(notice.contains("kafka.persistence.size"), "{notice}");
    s.wait_attr("[data-testid=field-caracal-gateway-replicas]", "value", "7")
        .await;
    s.close().await;
}
