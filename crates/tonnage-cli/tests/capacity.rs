//! `tonnage plan --cloud/--node-type/--users` and `tonnage review`: outputs and exit codes.

mod support;
use support::*;

/// Rhesis prod on e2-standard-4: 3 nodes; 3 x 0.134012 x 730 + 110 GiB x 0.04/GB = 298.21.
#[test]
fn plan_json_adds_nodes_and_cost() {
    let o = tonnage(&[
        "plan",
        "--stack",
        "rhesis",
        "--env",
        "prod",
        "--cloud",
        "gke",
        "--node-type",
        "e2-standard-4",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    let n = &v["nodes"];
    assert_eq!(n["type"], "e2-standard-4");
    assert_eq!(n["allocatable"]["cpu_millicores"], 3720);
    assert_eq!(
        n["allocatable"]["memory_bytes"],
        14_283_282_841_i64 - (300 << 20)
    );
    assert_eq!(n["kubelet_allocatable"]["cpu_millicores"], 3920);
    assert_eq!(n["baseline"], 3);
    assert_eq!(n["peak"], 3);
    let c = &v["cost"];
    assert_eq!(c["monthly_usd_baseline"].to_string(), "298.21");
    assert_eq!(c["monthly_usd_peak"].to_string(), "298.21");
    assert_eq!(c["opencost_monthly_usd_baseline"].to_string(), "238.82");
    // The plan itself is unchanged.
    assert_eq!(v["totals"]["baseline"]["requests"]["cpu_millicores"], 8000);
    // Without a node choice there is no nodes or cost key.
    let v = json(&tonnage(&[
        "plan", "--stack", "rhesis", "--env", "prod", "--format", "json",
    ]));
    assert!(v.get("nodes").is_none() && v.get("cost").is_none());
}

#[test]
fn plan_table_has_nodes_and_cost_sections() {
    let o = tonnage(&[
        "plan", "--stack", "caracal", "--env", "prod", "--cloud", "eks",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t = stdout(&o);
    assert!(
        t.contains("NODES  m5.xlarge (eks): 4 vCPU, 16 GiB, max 58 pods"),
        "{t}"
    );
    assert!(
        t.contains("COST  per month (730 h), node $0.192 per hour"),
        "{t}"
    );
    assert!(t.contains("OpenCost per-resource (requests)"), "{t}");
    let csv = stdout(&tonnage(&[
        "plan", "--stack", "caracal", "--env", "prod", "--cloud", "eks", "--format", "csv",
    ]));
    assert!(!csv.contains("NODES"), "CSV stays one table: {csv}");
}

#[test]
fn plan_options_and_users() {
    // A custom AKS node priced explicitly, and 1000 users for Rhesis (8 / 16 / 32 replicas).
    let o = tonnage(&[
        "plan",
        "--stack",
        "rhesis",
        "--env",
        "prod",
        "--users",
        "1000",
        "--set",
        "worker.replicas=7",
        "--cloud",
        "aks",
        "--node-type",
        "custom",
        "--option",
        "node.vcpu=8",
        "--option",
        "node.memory=32Gi",
        "--option",
        "node.price=0.5",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    let replicas = |id: &str| {
        v["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["replicas"]["baseline"]
            .clone()
    };
    assert_eq!(replicas("frontend"), 8);
    assert_eq!(replicas("backend"), 16);
    assert_eq!(replicas("worker"), 7, "an explicit --set wins over --users");
    assert_eq!(v["nodes"]["type"], "custom");
    // AKS 8 cores: 180m reserved; minus 200m DaemonSets.
    assert_eq!(v["nodes"]["allocatable"]["cpu_millicores"], 7620);
    assert_eq!(v["cost"]["prices"]["node_hour_usd"].to_string(), "0.5");
    assert!(v["users"]["notes"][0]
        .as_str()
        .unwrap()
        .contains("extrapolated linearly"));
}

#[test]
fn bad_capacity_flags_exit_2() {
    usage_error(
        &[
            "plan", "--stack", "rhesis", "--env", "prod", "--cloud", "gcp",
        ],
        &["--cloud", "\"gcp\"", "gke, eks, aks"],
    );
    usage_error(
        &[
            "plan",
            "--stack",
            "rhesis",
            "--env",
            "prod",
            "--cloud",
            "gke",
            "--node-type",
            "m5.large",
        ],
        &[
            "--node-type",
            "\"m5.large\"",
            "e2-standard-4",
            "n2-standard-8",
        ],
    );
    usage_error(
        &[
            "plan",
            "--stack",
            "rhesis",
            "--env",
            "prod",
            "--node-type",
            "x1",
        ],
        &["\"x1\"", "m5.xlarge", "Standard_D4s_v5"],
    );
    usage_error(
        &[
            "plan", "--stack", "rhesis", "--env", "prod", "--option", "clod=gke",
        ],
        &["clod", "valid options"],
    );
    usage_error(
        &[
            "plan",
            "--stack",
            "rhesis",
            "--env",
            "prod",
            "--cloud",
            "gke",
            "--option",
            "node.memory=16GB",
        ],
        &["node.memory", "\"16GB\""],
    );
    usage_error(
        &[
            "plan", "--stack", "rhesis", "--env", "prod", "--users", "lots",
        ],
        &["--users", "\"lots\""],
    );
}

#[test]
fn review_clean_configuration_exits_0() {
    // caracal's prod preset keeps the chart's default passwords (the chart has no existing-Secret
    // key: Secret caracal-secrets takes postgresql/redis.auth.password), an error in prod; with
    // both set the configuration is clean.
    let o = tonnage(&["review", "--stack", "caracal", "--env", "prod"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("ERROR    caracal/postgresql  [default-password]"),
        "{}",
        stdout(&o)
    );
    let o = tonnage(&[
        "review",
        "--stack",
        "caracal",
        "--env",
        "prod",
        "--set",
        "postgresql.auth.password=S3cure-pg-9",
        "--set",
        "redis.auth.password=S3cure-rd-9",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let t = stdout(&o);
    assert!(
        t.contains("WARNING  caracal/postgresql  [single-replica-stateful]"),
        "{t}"
    );
    // The chart audit adds the guide's figures the raw manifests do not deliver (warnings)
    // and its other claims (notes), the consumers without probes and Zookeeper, Kafka and the
    // Schema Registry without anti-affinity (warnings in prod); none is an error.
    assert!(t.contains("WARNING  caracal  [guide-vs-chart]"), "{t}");
    assert!(
        t.contains("WARNING  caracal/ledger-writer  [missing-probes]"),
        "{t}"
    );
    assert!(
        t.contains("WARNING  caracal/kafka  [no-anti-affinity]"),
        "{t}"
    );
    assert!(t.contains("0 error(s), 17 warning(s), 8 note(s)"), "{t}");
}

#[test]
fn review_shows_the_chart_audit_with_evidence_in_every_format() {
    // cauldron-infra prod: its own values-prod.yaml sets keys no template reads; the Frappe
    // Redis commands render as one string (errors: exit 1).
    let args = ["review", "--stack", "cauldron-infra", "--env", "prod"];
    let o = tonnage(&args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let t = stdout(&o);
    assert!(
        t.contains(
            "evidence: postgresql.persistence.size = 50Gi (set by values-prod.yaml (the chart's own prod file))"
        ),
        "{t}"
    );
    assert!(
        t.contains("--set cauldron-infra:postgresql.primary.persistence.size=50Gi"),
        "{t}"
    );
    insta::assert_snapshot!("review_cauldron_infra_prod_table", t);
    let o = tonnage(&[&args[..], &["--format", "markdown"]].concat());
    assert_eq!(o.status.code(), Some(1));
    let md = stdout(&o);
    assert!(md.starts_with("# Review\n"), "{md}");
    assert!(
        md.contains("| key | value | origin | guide | chart |"),
        "{md}"
    );
    insta::assert_snapshot!("review_cauldron_infra_prod_markdown", md);
    let o = tonnage(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let dead = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "dead-setting" && f["fix"].is_object())
        .expect("a dead setting with a fix");
    assert_eq!(dead["evidence"][0]["key"], "postgresql.persistence.size");
    assert_eq!(
        dead["evidence"][0]["origin"],
        "set by values-prod.yaml (the chart's own prod file)"
    );
    assert_eq!(dead["evidence"][0]["set_by"], "environment");
    insta::assert_snapshot!("review_cauldron_infra_prod_json", stdout(&o));
}

#[test]
fn review_says_a_dead_key_given_with_set_is_set_by_you() {
    let args = [
        "review",
        "--stack",
        "cauldron-infra",
        "--env",
        "dev",
        "--set",
        "global.imagePullPolicy=Always",
    ];
    let t = stdout(&tonnage(&args));
    assert!(
        t.contains("global.imagePullPolicy=Always is set by you but no template"),
        "{t}"
    );
    assert!(
        t.contains("evidence: global.imagePullPolicy = Always (set by you)"),
        "{t}"
    );
    let v = json(&tonnage(&[&args[..], &["--format", "json"]].concat()));
    let dead = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule"] == "dead-setting" && f["evidence"][0]["key"] == "global.imagePullPolicy"
        })
        .expect("the dead setting");
    assert_eq!(dead["evidence"][0]["origin"], "set by you");
    assert_eq!(dead["evidence"][0]["set_by"], "user");
}

#[test]
fn review_error_exits_1_with_findings_and_fixes() {
    let o = tonnage(&[
        "review",
        "--stack",
        "caracal",
        "--env",
        "staging",
        "--set",
        "kafka.replicaCount=2",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(o.stderr.is_empty());
    let v = json(&o);
    assert_eq!(v["summary"]["errors"], 1);
    let f = &v["findings"][0];
    assert_eq!(f["severity"], "error");
    assert_eq!(f["rule"], "kafka-replication-factor");
    assert_eq!(f["component"], "kafka");
    assert_eq!(
        f["fix"]["sets"][0]["arg"],
        "--set caracal:kafka.config.defaultReplicationFactor=2"
    );
    // A pod bigger than the chosen node is an error too, with a node type that fits.
    let o = tonnage(&[
        "review",
        "--stack",
        "rhesis",
        "--env",
        "prod",
        "--set",
        "backend.resources.requests.cpu=6",
        "--set",
        "backend.resources.limits.cpu=8",
        "--node-type",
        "e2-standard-4",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let t = stdout(&o);
    assert!(t.contains("[pod-fits-no-node]"), "{t}");
    assert!(t.contains("--node-type e2-standard-8"), "{t}");
}

#[test]
fn review_usage_errors_exit_2() {
    usage_error(
        &["review", "--stack", "rhesis", "--env", "qa"],
        &["\"qa\"", "enterprise"],
    );
    usage_error(
        &[
            "review", "--stack", "rhesis", "--env", "prod", "--format", "csv",
        ],
        &["\"csv\"", "table, json, markdown"],
    );
    usage_error(
        &[
            "review", "--stack", "rhesis", "--env", "prod", "--cloud", "gcp",
        ],
        &["\"gcp\""],
    );
    usage_error(&["review", "--env", "prod"], &["--stack"]);
}

#[test]
fn plan_review_is_the_printed_report_with_the_audit() {
    let args = [
        "plan",
        "--stack",
        "cauldron-infra",
        "--env",
        "prod",
        "--review",
    ];
    let o = tonnage(&[&args[..], &["--format", "markdown"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let md = stdout(&o);
    assert!(md.contains("### Review\n"), "{md}");
    assert!(
        md.contains("#### warning `dead-setting` cauldron-infra"),
        "{md}"
    );
    assert!(
        md.contains("| `postgresql.persistence.size` | 50Gi | set by values-prod.yaml (the chart's own prod file) |"),
        "{md}"
    );
    insta::assert_snapshot!("plan_review_cauldron_infra_prod_markdown", md);
    let o = tonnage(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    assert!(
        v["totals"].is_object() && v["review"]["findings"].is_array(),
        "{v}"
    );
    usage_error(&[&args[..], &["--format", "csv"]].concat(), &["--review"]);
}
