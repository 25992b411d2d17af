//! `tonnage share` and `tonnage plan --from-url`.

mod support;
use support::*;

const SETS: [&str; 6] = [
    "--set",
    "memoryApi.autoscaling.maxReplicas=30",
    "--set",
    "qdrant.persistence.size=500Gi",
    "--set",
    "rerankerService.enabled=false",
];

fn share_link(extra: &[&str]) -> String {
    let mut args = vec!["share", "--stack", "rae-memory", "--env", "prod"];
    args.extend_from_slice(&SETS);
    args.extend_from_slice(extra);
    let o = tonnage(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.ends_with('\n') && out.lines().count() == 1, "{out:?}");
    out.trim_end().to_string()
}

#[test]
fn share_then_plan_from_url_gives_the_same_plan() {
    let link = share_link(&[]);
    assert!(link.starts_with("http://127.0.0.1:8080/#v1."), "{link}");
    let from_link = tonnage(&["plan", "--from-url", &link, "--format", "json"]);
    assert!(from_link.status.success(), "{}", stderr(&from_link));
    let mut args = vec!["plan", "--stack", "rae-memory", "--env", "prod"];
    args.extend_from_slice(&SETS);
    args.extend_from_slice(&["--format", "json"]);
    let direct = tonnage(&args);
    assert!(direct.status.success(), "{}", stderr(&direct));
    assert_eq!(stdout(&from_link), stdout(&direct));
    let v: serde_json::Value = serde_json::from_str(&stdout(&from_link)).unwrap();
    assert_eq!(v["stacks"], serde_json::json!(["rae-memory"]));
    // The link carried the autoscaling maximum.
    let api = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "memory-api")
        .unwrap();
    assert_eq!(api["replicas"]["peak"], 30);
    // Only the fragment works as well.
    let fragment = link.split_once('#').unwrap().1;
    let o = tonnage(&["plan", "--from-url", fragment, "--format", "json"]);
    assert_eq!(stdout(&o), stdout(&direct));
}

/// A frozen link made before the catalog spoke the real charts' keys
/// (crates/tonnage-core/tests/data/links-v1.yaml, "cauldron-infra + cauldron-frappe staging"):
/// it carries cauldron-infra `redis-cache.architecture=replication` (dropped: the catalog's
/// `removed`) and cauldron-frappe `socketio.resources.limits.memory=1536Mi` and
/// `web.replicaCount=4` (the catalog's `moved`), besides the real key
/// `postgresql.primary.persistence.size=200Gi`.
const OLD_LINK: &str = "http://127.0.0.1:8080/#v1.-og70wEwAM__uSy6fr4KnpKEPTIwMEdpCq-WPXJlcGxpY2F0aW9uCjoxCqyDPTE1MzZNaQqpjD00";

#[test]
fn plan_from_an_old_link_notes_each_moved_or_dropped_override() {
    let o = tonnage(&["plan", "--from-url", OLD_LINK, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let notes: Vec<&str> = err.lines().filter(|l| l.starts_with("note: ")).collect();
    assert_eq!(notes.len(), 3, "{err}");
    assert!(
        notes[0].starts_with("note: cauldron-infra:redis-cache.architecture was dropped: "),
        "{notes:?}"
    );
    assert!(
        notes.contains(&"note: cauldron-frappe:web.replicaCount now sets frappe.replicas.web: replicas of cauldron-frappe-web"),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.starts_with(
            "note: cauldron-frappe:socketio.resources.limits.memory now sets frappe.resources.socketio.limits.memory: "
        )),
        "{notes:?}"
    );
    // The plan is the one of the same settings under the real keys, the dropped one left out.
    let direct = tonnage(&[
        "plan",
        "--stack",
        "cauldron-infra",
        "--stack",
        "cauldron-frappe",
        "--env",
        "staging",
        "--set",
        "cauldron-infra:postgresql.primary.persistence.size=200Gi",
        "--set",
        "cauldron-frappe:frappe.replicas.web=4",
        "--set",
        "cauldron-frappe:frappe.resources.socketio.limits.memory=1536Mi",
        "--format",
        "json",
    ]);
    assert!(direct.status.success(), "{}", stderr(&direct));
    assert_eq!(stdout(&o), stdout(&direct));
    // A link of today's catalog has nothing to note.
    let o = tonnage(&["plan", "--from-url", &share_link(&[])]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("note: "), "{}", stderr(&o));
}

#[test]
fn share_takes_a_base_url_and_keeps_credentials_out() {
    let link = share_link(&[
        "--base-url",
        "https://tonnage.example.com/app/",
        "--set",
        "postgresql.auth.password=hunter2",
    ]);
    assert!(
        link.starts_with("https://tonnage.example.com/app/#v1."),
        "{link}"
    );
    let mut args = vec!["share", "--stack", "rae-memory", "--env", "prod"];
    args.extend_from_slice(&["--set", "postgresql.auth.password=hunter2"]);
    let o = tonnage(&args);
    assert!(o.status.success());
    assert!(
        stderr(&o).contains("rae-memory:postgresql.auth.password"),
        "{}",
        stderr(&o)
    );
    // The password did not travel: the link is the one made without it.
    let without = share_link(&["--base-url", "https://tonnage.example.com/app/"]);
    assert_eq!(link, without);
}

#[test]
fn a_broken_link_exits_2_with_the_reason() {
    let link = share_link(&[]);
    let cases = [
        (&link[..link.len() - 6], "damaged or cut off"),
        (
            "v9.abcdef",
            "newer Tonnage (format v9); this version reads v1",
        ),
        ("https://example.com/", "not a Tonnage link"),
        ("", "the link is empty"),
    ];
    for (input, message) in cases {
        let o = tonnage(&["plan", "--from-url", input]);
        assert_eq!(o.status.code(), Some(2), "{input}");
        assert!(stdout(&o).is_empty(), "{input}");
        assert!(
            stderr(&o).starts_with("error: ") && stderr(&o).contains(message),
            "{input}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn from_url_conflicts_with_a_configuration_and_share_needs_one() {
    let link = share_link(&[]);
    let o = tonnage(&["plan", "--from-url", &link, "--stack", "rhesis"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
    let o = tonnage(&["plan"]);
    assert_eq!(o.status.code(), Some(2));
    let o = tonnage(&["share", "--env", "prod"]);
    assert_eq!(o.status.code(), Some(2));
    let o = tonnage(&["share", "--stack", "nope", "--env", "prod"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown stack \"nope\""),
        "{}",
        stderr(&o)
    );
}
