//! The `tonnage` binary's contract: outputs, exit codes and error messages.

mod support;
use support::*;

#[test]
fn stacks_lists_charts_components_and_environments() {
    let o = tonnage(&["stacks"]);
    assert!(o.status.success());
    let s = stdout(&o);
    for id in [
        "cauldron-infra",
        "cauldron-frappe",
        "rhesis",
        "caracal",
        "rae-memory",
    ] {
        assert!(s.contains(id), "{id} missing");
    }
    assert!(
        s.contains("environments: local, dev, staging, prod, enterprise"),
        "{s}"
    );
    assert!(s.contains("zookeeper"));
}

#[test]
fn plan_json_is_the_contract() {
    let o = tonnage(&[
        "plan", "--stack", "rhesis", "--env", "prod", "--format", "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["stacks"], serde_json::json!(["rhesis"]));
    assert_eq!(v["env"], "prod");
    let b = &v["totals"]["baseline"];
    assert_eq!(b["requests"]["cpu_millicores"], 8000);
    assert_eq!(b["limits"]["cpu_millicores"], 16000);
    assert_eq!(b["requests"]["memory_bytes"], 16_i64 << 30);
    assert_eq!(b["limits"]["memory_bytes"], 32_i64 << 30);
    assert_eq!(b["storage_bytes"], 110_i64 << 30);
    let backend = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "backend")
        .unwrap();
    assert_eq!(backend["replicas"]["baseline"], 3);
    assert_eq!(backend["requests"]["cpu_millicores"], 1000);
}

#[test]
fn set_overrides_apply() {
    let o = tonnage(&[
        "plan",
        "--stack",
        "rhesis",
        "--env",
        "prod",
        "--set",
        "backend.replicas=4",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["totals"]["baseline"]["requests"]["cpu_millicores"], 9000);
}

#[test]
fn several_stacks_plan_together() {
    let o = tonnage(&[
        "plan",
        "--stack",
        "cauldron-infra",
        "--stack",
        "cauldron-frappe",
        "--env",
        "prod",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v["stacks"],
        serde_json::json!(["cauldron-infra", "cauldron-frappe"])
    );
    assert!(v["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == "sites"));
}

#[test]
fn table_csv_and_markdown() {
    let t = stdout(&tonnage(&["plan", "--stack", "rhesis", "--env", "local"]));
    assert!(t.contains("2.35 cores") && t.contains("TOTAL"), "{t}");
    let c = stdout(&tonnage(&[
        "plan", "--stack", "rhesis", "--env", "local", "--format", "csv",
    ]));
    assert!(c.starts_with("stack,component,role,enabled,"), "{c}");
    let m = stdout(&tonnage(&[
        "plan", "--stack", "rhesis", "--env", "local", "--format", "markdown",
    ]));
    assert!(m.contains("| stack | component |"), "{m}");
}

#[test]
fn bad_input_exits_2_and_names_it() {
    usage_error(
        &["plan", "--stack", "nope", "--env", "prod"],
        &["\"nope\"", "cauldron-infra", "rae-memory"],
    );
    usage_error(
        &["plan", "--stack", "rhesis", "--env", "qa"],
        &["\"qa\"", "local", "enterprise"],
    );
    usage_error(
        &[
            "plan",
            "--stack",
            "rhesis",
            "--env",
            "prod",
            "--set",
            "backend.replicaz=3",
        ],
        &["\"backend.replicaz\"", "backend.replicas"],
    );
    usage_error(
        &[
            "plan",
            "--stack",
            "rhesis",
            "--env",
            "prod",
            "--set",
            "backend.resources.requests.memory=2Gx",
        ],
        &["\"2Gx\""],
    );
    usage_error(
        &[
            "plan", "--stack", "rhesis", "--env", "prod", "--format", "xml",
        ],
        &["\"xml\"", "json"],
    );
    usage_error(&["plan", "--env", "prod"], &["--stack"]);
}

/// `--set-string` reaches the core as text (`helm --set-string`): a replica count given as a
/// string is refused, naming it, where `--set` types it as a number.
#[test]
fn set_string_keeps_values_as_text() {
    let base = [
        "plan", "--stack", "rhesis", "--env", "prod", "--format", "json",
    ];
    let o = tonnage(&[&base[..], &["--set", "backend.replicas=3"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    usage_error(
        &[&base[..], &["--set-string", "backend.replicas=3"]].concat(),
        &["backend.replicas", "\"3\""],
    );
    // Text where text is expected; applied after --set, as Helm does.
    let o = tonnage(
        &[
            &[
                "render", "--stack", "rhesis", "--env", "prod", "--what", "values", "--out", "-",
            ][..],
            &[
                "--set",
                "images.frontend.tag=2",
                "--set-string",
                "images.frontend.tag=1.10",
            ],
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("tag: \"1.10\""), "{}", stdout(&o));
}
