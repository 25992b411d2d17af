//! External endpoints on the command line: `--option external.<chart>.<component>=HOST[:PORT]`
//! on render, share, plan and review.

use std::process::Output;

mod support;
use support::*;

const BASE: [&str; 9] = [
    "--stack",
    "cauldron-infra",
    "--stack",
    "cauldron-frappe",
    "--env",
    "prod",
    "--set",
    "cauldron-infra:postgresql.enabled=false",
    "--option",
];
const ENDPOINT: &str = "external.cauldron-infra.postgresql=db.example.com:3306";

fn with(cmd: &str, endpoint: &str, extra: &[&str]) -> Output {
    let mut args = vec![cmd];
    args.extend_from_slice(&BASE);
    args.push(endpoint);
    args.extend_from_slice(extra);
    tonnage(&args)
}

#[test]
fn render_writes_the_endpoint_into_values() {
    let o = with("render", ENDPOINT, &["--what", "values", "--out", "-"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let values = out
        .split("---\n# Source: ")
        .find(|d| d.starts_with("cauldron-frappe/values-prod.yaml"))
        .expect("values-prod.yaml");
    // frappe.db.host and frappe.db.port, the chart's keys.
    let doc: serde_yaml::Value =
        serde_yaml::from_str(values.split_once('\n').expect("a header line").1).unwrap();
    assert_eq!(
        doc["frappe"]["db"]["host"],
        serde_yaml::Value::from("db.example.com"),
        "{values}"
    );
    assert_eq!(
        doc["frappe"]["db"]["port"],
        serde_yaml::Value::from(3306),
        "{values}"
    );
    assert!(
        values.contains("#   cauldron-infra/postgresql = db.example.com:3306 -> frappe.db.host, frappe.db.port\n"),
        "{values}"
    );
}

#[test]
fn render_writes_the_endpoint_into_manifests() {
    let o = with("render", ENDPOINT, &["--what", "all", "--out", "-"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    // The ConfigMap's common_site_config.json and the init container.
    assert!(out.contains("\"db_host\": \"db.example.com\""), "{out}");
    assert!(out.contains("\"db_port\": 3306"), "{out}");
    assert!(
        out.contains("pg_isready -h 'db.example.com' -p '3306'"),
        "{out}"
    );
    assert!(!out.contains("cauldron-infra-postgresql-primary"), "{out}");
}

#[test]
fn share_carries_the_endpoint_to_plan_from_url() {
    let o = with("share", ENDPOINT, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let link = stdout(&o).trim_end().to_string();
    // The link opens to the same configuration: review finds the dependency satisfied.
    let o = tonnage(&["plan", "--from-url", &link, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = with("review", ENDPOINT, &[]);
    let t = stdout(&o);
    assert!(!t.contains("[dependency-disabled]"), "{t}");
    // Without the endpoint the switched-off PostgreSQL is an error: exit 1.
    let o = with("review", "cloud=gke", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("ERROR    cauldron-frappe/web  [dependency-disabled]"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn plan_accepts_the_endpoint() {
    let o = with("plan", ENDPOINT, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_bad_endpoint_is_a_usage_error_naming_it() {
    for (endpoint, fragment) in [
        (
            "external.cauldron-infra.postgresql=db.example.com:99999",
            "invalid option external.cauldron-infra.postgresql=\"db.example.com:99999\": port \"99999\" is not a number from 1 to 65535",
        ),
        (
            "external.cauldron-infra.postgres=db.example.com",
            "cauldron-infra has no component \"postgres\"; valid components: postgresql,",
        ),
        (
            "external.cauldron-infra.postgresql=postgresql://u:p@db:5432",
            "without a scheme",
        ),
    ] {
        for cmd in ["render", "share", "plan", "review"] {
            let extra: &[&str] = if cmd == "render" { &["--out", "-"] } else { &[] };
            let o = with(cmd, endpoint, extra);
            assert_eq!(o.status.code(), Some(2), "{cmd} {endpoint}");
            assert!(stdout(&o).is_empty(), "{cmd}");
            assert!(stderr(&o).contains(fragment), "{cmd}: {}", stderr(&o));
        }
    }
}
