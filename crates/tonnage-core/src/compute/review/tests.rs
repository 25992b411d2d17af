//! Each rule triggered by a configuration, and one that does not trigger it.

use super::*;

fn cat() -> &'static Catalog {
    Catalog::builtin()
}

fn config(stacks: &[&str], env: &str, sets: &[&str], options: &[(&str, &str)]) -> Configuration {
    let mut c = Configuration::new(cat(), stacks, env).unwrap();
    for s in sets {
        c.set_str(cat(), s).unwrap();
    }
    for (k, v) in options {
        c.options.insert(k.to_string(), v.to_string());
    }
    c
}

fn run(stacks: &[&str], env: &str, sets: &[&str], options: &[(&str, &str)]) -> Vec<Finding> {
    review(cat(), &config(stacks, env, sets, options))
}

fn with<'a>(f: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    f.iter().filter(|x| x.rule == rule).collect()
}

/// Apply a finding's fix (as the page and the CLI do) to the configuration it came from and
/// review again.
fn fixed(
    stacks: &[&str],
    env: &str,
    sets: &[&str],
    options: &[(&str, &str)],
    finding: &Finding,
) -> Vec<Finding> {
    let mut c = config(stacks, env, sets, options);
    let fix = finding.fix.as_ref().expect("a fix");
    fix.apply(cat(), &mut c).unwrap();
    review(cat(), &c)
}

#[test]
fn rules_are_unique_and_all_tested_ids() {
    for (i, (r, _)) in RULES.iter().enumerate() {
        assert!(!RULES[..i].iter().any(|(x, _)| x == r), "{r}");
    }
}

#[test]
fn request_above_limit() {
    let sets = ["backend.resources.requests.cpu=3"];
    let f = run(&["rhesis"], "prod", &sets, &[]);
    let hits = with(&f, "request-above-limit");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].severity, Severity::Error);
    assert_eq!(hits[0].component.as_deref(), Some("backend"));
    assert!(hits[0]
        .message
        .contains("3 cores CPU, above its limit of 2 cores"));
    let after = fixed(&["rhesis"], "prod", &sets, &[], hits[0]);
    assert!(with(&after, "request-above-limit").is_empty());
    assert!(with(&run(&["rhesis"], "prod", &[], &[]), "request-above-limit").is_empty());
}

#[test]
fn missing_limit() {
    let sets = ["worker.resources.limits.memory=null"];
    let f = run(&["rhesis"], "prod", &sets, &[]);
    let hits = with(&f, "missing-limit");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].message.contains("no memory limit"));
    let after = fixed(&["rhesis"], "prod", &sets, &[], hits[0]);
    assert!(with(&after, "missing-limit").is_empty());
    assert!(with(&run(&["rhesis"], "prod", &[], &[]), "missing-limit").is_empty());
}

#[test]
fn single_replica_stateful() {
    // Caracal prod: 3 brokers, 3 ZooKeeper nodes, but one PostgreSQL and one Redis.
    let f = run(
        &["caracal"],
        "prod",
        &[
            "kafka.replicaCount=1",
            "kafka.config.defaultReplicationFactor=1",
            "kafka.config.minInsyncReplicas=1",
            "kafka.config.offsetsTopicReplicationFactor=1",
            "kafka.config.transactionStateLogReplicationFactor=1",
            "kafka.config.transactionStateLogMinIsr=1",
        ],
        &[],
    );
    let hits = with(&f, "single-replica-stateful");
    let comps: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
    assert_eq!(comps, ["postgresql", "redis", "kafka"]);
    let kafka = hits
        .iter()
        .find(|h| h.component.as_deref() == Some("kafka"))
        .unwrap();
    assert_eq!(
        kafka.fix.as_ref().unwrap().sets,
        [set("caracal", "kafka.replicaCount", Value::from(3))]
    );
    // postgresql has no replica knob: no fix, and the explanation says so.
    let pg = hits[0];
    assert!(pg.fix.is_none() && pg.explanation.contains("no replica setting"));
    // Not in dev; and a Bitnami primary with read replicas is covered.
    assert!(with(
        &run(&["caracal"], "dev", &[], &[]),
        "single-replica-stateful"
    )
    .is_empty());
    // Frappe's scheduler mounts the shared sites volume: no data of its own.
    let frappe = run(&["cauldron-frappe"], "prod", &[], &[]);
    assert!(
        with(&frappe, "single-replica-stateful").is_empty(),
        "{frappe:?}"
    );
    // cauldron-infra prod: the chart's values-prod.yaml turns replication on, and the
    // Bitnami primary has its read replica (postgresql.readReplicas.replicaCount, Bitnami's
    // default 1: the file's replication.readReplicas is read by no template).
    let infra = run(&["cauldron-infra"], "prod", &[], &[]);
    let comps: Vec<_> = with(&infra, "single-replica-stateful")
        .iter()
        .filter_map(|h| h.component.clone())
        .collect();
    assert!(
        !comps.iter().any(|c| c == "postgresql"),
        "postgresql has read replicas in prod: {comps:?}"
    );
    // Standalone in prod: the fix turns replication on.
    let sets = ["postgresql.architecture=standalone"];
    let infra = run(&["cauldron-infra"], "prod", &sets, &[]);
    let pg = with(&infra, "single-replica-stateful")
        .into_iter()
        .find(|h| h.component.as_deref() == Some("postgresql"))
        .unwrap();
    assert_eq!(
        pg.fix.as_ref().unwrap().sets,
        [set(
            "cauldron-infra",
            "postgresql.architecture",
            Value::from("replication")
        )]
    );
    let after = fixed(&["cauldron-infra"], "prod", &sets, &[], pg);
    assert!(!with(&after, "single-replica-stateful")
        .iter()
        .any(|h| h.component.as_deref() == Some("postgresql")));
}

#[test]
fn rabbitmq_even_nodes() {
    let sets = ["rabbitmq.replicaCount=2"];
    let f = run(&["cauldron-infra"], "prod", &sets, &[]);
    let hits = with(&f, "rabbitmq-even-nodes");
    assert_eq!(hits.len(), 1);
    assert!(hits[0]
        .explanation
        .contains("tolerate 0 failure(s), as many as 1 nodes"));
    let after = fixed(&["cauldron-infra"], "prod", &sets, &[], hits[0]);
    assert!(with(&after, "rabbitmq-even-nodes").is_empty());
    assert!(with(
        &run(&["cauldron-infra"], "prod", &[], &[]),
        "rabbitmq-even-nodes"
    )
    .is_empty());
}

#[test]
fn kafka_replication_factor_above_brokers() {
    // Staging keeps RF 3 / min ISR 2; two brokers cannot hold 3 copies.
    let sets = ["kafka.replicaCount=2"];
    let f = run(&["caracal"], "staging", &sets, &[]);
    let hits = with(&f, "kafka-replication-factor");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].severity, Severity::Error);
    assert!(
        hits[0].message.starts_with(
            "2 broker(s) cannot hold the replication factor(s) \
             kafka.config.defaultReplicationFactor=3"
        ),
        "{}",
        hits[0].message
    );
    // Outside production the fix lowers the factors (and min ISR with them).
    let after = fixed(&["caracal"], "staging", &sets, &[], hits[0]);
    assert!(with(&after, "kafka-replication-factor").is_empty());
    assert!(with(&after, "kafka-min-insync").is_empty(), "{after:?}");
    // In production it adds brokers.
    let f = run(&["caracal"], "prod", &sets, &[]);
    let h = with(&f, "kafka-replication-factor");
    assert_eq!(
        h[0].fix.as_ref().unwrap().sets,
        [set("caracal", "kafka.replicaCount", Value::from(3))]
    );
    for env in ["dev", "staging", "prod"] {
        assert!(with(
            &run(&["caracal"], env, &[], &[]),
            "kafka-replication-factor"
        )
        .is_empty());
    }
}

#[test]
fn kafka_min_insync() {
    let sets = ["kafka.config.minInsyncReplicas=3"];
    let f = run(&["caracal"], "prod", &sets, &[]);
    let hits = with(&f, "kafka-min-insync");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].severity, Severity::Warning);
    let after = fixed(&["caracal"], "prod", &sets, &[], hits[0]);
    assert!(with(&after, "kafka-min-insync").is_empty());
    let f = run(
        &["caracal"],
        "prod",
        &["kafka.config.minInsyncReplicas=4"],
        &[],
    );
    assert_eq!(with(&f, "kafka-min-insync")[0].severity, Severity::Error);
    // One broker, RF 1, min ISR 1 (dev) is a single copy by design: no finding.
    for env in ["dev", "staging", "prod"] {
        assert!(with(&run(&["caracal"], env, &[], &[]), "kafka-min-insync").is_empty());
    }
}

#[test]
fn zookeeper_quorum() {
    let sets = ["zookeeper.replicaCount=1"];
    let f = run(&["caracal"], "prod", &sets, &[]);
    let hits = with(&f, "zookeeper-quorum");
    assert_eq!(hits.len(), 1);
    let after = fixed(&["caracal"], "prod", &sets, &[], hits[0]);
    assert!(with(&after, "zookeeper-quorum").is_empty());
    assert!(with(&run(&["caracal"], "prod", &[], &[]), "zookeeper-quorum").is_empty());
    assert!(with(&run(&["caracal"], "dev", &[], &[]), "zookeeper-quorum").is_empty());
}

#[test]
fn hpa_min_above_max() {
    let sets = ["gateway.autoscaling.minReplicas=12"];
    let f = run(&["caracal"], "prod", &sets, &[]);
    let hits = with(&f, "hpa-min-above-max");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].severity, Severity::Error);
    let after = fixed(&["caracal"], "prod", &sets, &[], hits[0]);
    assert!(with(&after, "hpa-min-above-max").is_empty());
    assert!(with(&run(&["caracal"], "prod", &[], &[]), "hpa-min-above-max").is_empty());
}

#[test]
fn hpa_replicas_mismatch() {
    let sets = ["gateway.replicaCount=5"];
    let f = run(&["caracal"], "prod", &sets, &[]);
    let hits = with(&f, "hpa-replicas-mismatch");
    assert_eq!(hits.len(), 1);
    assert!(hits[0].message.contains("min 3") && hits[0].message.contains("is 5"));
    let after = fixed(&["caracal"], "prod", &sets, &[], hits[0]);
    assert!(with(&after, "hpa-replicas-mismatch").is_empty());
    // Autoscaling off: replicaCount rules alone.
    let off = [
        "gateway.replicaCount=5",
        "gateway.autoscaling.enabled=false",
    ];
    assert!(with(
        &run(&["caracal"], "prod", &off, &[]),
        "hpa-replicas-mismatch"
    )
    .is_empty());
    for env in ["dev", "staging", "prod"] {
        assert!(with(&run(&["caracal"], env, &[], &[]), "hpa-replicas-mismatch").is_empty());
    }
    // rae-memory's values.yaml turns the ML service's HPA on (1-5) beside replicaCount 2,
    // which the Deployment then ignores; the prod guide's replicaCount 3 is ignored too
    // (the catalog's claims ml-replicas, ml-replicas-prod). Dev sets replicaCount 1 = min.
    assert!(with(
        &run(&["rae-memory"], "dev", &[], &[]),
        "hpa-replicas-mismatch"
    )
    .is_empty());
    for (env, n) in [("staging", 2), ("prod", 3)] {
        let f = run(&["rae-memory"], env, &[], &[]);
        let hits = with(&f, "hpa-replicas-mismatch");
        let comps: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
        assert_eq!(comps, ["ml-service"], "{env}");
        assert!(
            hits[0].message.contains("(min 1)")
                && hits[0]
                    .message
                    .contains(&format!("mlService.replicaCount is {n}")),
            "{}",
            hits[0].message
        );
    }
}

#[test]
fn pdb_anti_affinity_is_covered_info() {
    let f = run(&["rhesis"], "prod", &[], &[]);
    let hits = with(&f, "pdb-anti-affinity");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].severity, Severity::Info);
    assert!(hits[0].message.starts_with("frontend, backend, worker run"));
    // One replica each: nothing to cover.
    assert!(with(&run(&["rhesis"], "local", &[], &[]), "pdb-anti-affinity").is_empty());
}

/// A chart whose values turn its PodDisruptionBudget off gets a warning with a fix. No
/// embedded chart has such a switch, so the test loads a modified copy.
#[test]
fn pdb_switched_off_is_a_warning() {
    let text = crate::model::catalog::FILES[2].1.replacen(
        "  backend:\n    enabled: true\n",
        "  backend:\n    enabled: true\n    pdb:\n      create: false\n",
        1,
    );
    assert!(text.contains("create: false"));
    let files: Vec<(&str, &str)> = crate::model::catalog::FILES
        .iter()
        .map(|(n, t)| {
            if *n == "rhesis.yaml" {
                (*n, text.as_str())
            } else {
                (*n, *t)
            }
        })
        .collect();
    let catalog = Catalog::load(&files).unwrap();
    let c = Configuration::new(&catalog, &["rhesis"], "prod").unwrap();
    let f = review(&catalog, &c);
    let hits = with(&f, "pdb-anti-affinity");
    let warn = hits
        .iter()
        .find(|h| h.severity == Severity::Warning)
        .unwrap();
    assert_eq!(warn.component.as_deref(), Some("backend"));
    assert_eq!(
        warn.fix.as_ref().unwrap().sets,
        [set("rhesis", "backend.pdb.create", Value::Bool(true))]
    );
    let info = hits.iter().find(|h| h.severity == Severity::Info).unwrap();
    assert!(
        info.message.starts_with("frontend, worker run"),
        "{}",
        info.message
    );
}

#[test]
fn pod_fits_no_node() {
    let sets = [
        "backend.resources.requests.cpu=6",
        "backend.resources.limits.cpu=8",
    ];
    let opts = [("cloud", "gke"), ("node_type", "e2-standard-4")];
    let f = run(&["rhesis"], "prod", &sets, &opts);
    let hits = with(&f, "pod-fits-no-node");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].severity, Severity::Error);
    assert!(hits[0]
        .message
        .contains("requests 6 cores CPU, a e2-standard-4 node offers 3.72 cores"));
    // The cheapest GKE type that holds 6 cores (+ overhead) is e2-standard-8.
    assert_eq!(
        hits[0].fix.as_ref().unwrap().options,
        [("node_type".to_string(), "e2-standard-8".to_string())]
    );
    let after = fixed(&["rhesis"], "prod", &sets, &opts, hits[0]);
    assert!(with(&after, "pod-fits-no-node").is_empty());
    // Without a node choice the rule does not run; a default plan fits.
    assert!(with(&run(&["rhesis"], "prod", &sets, &[]), "pod-fits-no-node").is_empty());
    assert!(with(&run(&["rhesis"], "prod", &[], &opts), "pod-fits-no-node").is_empty());
}

#[test]
fn default_password_in_prod() {
    // rae-memory's values.yaml gives the Bitnami PostgreSQL and Redis the password
    // `changeme`, and its prod preset keeps it; each has an existingSecret beside it.
    let f = run(&["rae-memory"], "prod", &[], &[]);
    let hits = with(&f, "default-password");
    let comps: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
    assert_eq!(comps, ["postgresql", "redis"], "{hits:?}");
    assert!(hits.iter().all(|h| h.severity == Severity::Error));
    assert_eq!(
        hits[0].fix.as_ref().unwrap().sets,
        [
            set("rae-memory", "postgresql.auth.password", Value::from("")),
            set(
                "rae-memory",
                "postgresql.auth.existingSecret",
                Value::from("rae-memory-postgresql")
            ),
        ]
    );
    let after = fixed(&["rae-memory"], "prod", &[], &[], hits[0]);
    let left: Vec<_> = with(&after, "default-password")
        .iter()
        .filter_map(|h| h.component.clone())
        .collect();
    assert_eq!(left, ["redis"]);
    // The Secret set, the value is unused.
    let sets = ["postgresql.auth.existingSecret=rae-pg"];
    let f = run(&["rae-memory"], "prod", &sets, &[]);
    assert!(
        !with(&f, "default-password")
            .iter()
            .any(|h| h.component.as_deref() == Some("postgresql")),
        "the Secret is set, so the value is unused"
    );
    // A weak word counts too, and a number; a real password does not.
    let redis_hits = |sets: &[&str]| {
        with(&run(&["rae-memory"], "prod", sets, &[]), "default-password")
            .iter()
            .filter(|h| h.component.as_deref() == Some("redis"))
            .count()
    };
    assert_eq!(redis_hits(&["redis.auth.password=admin"]), 1);
    assert_eq!(
        redis_hits(&["redis.auth.password=123456"]),
        1,
        "a number is a password too"
    );
    assert_eq!(
        redis_hits(&["redis.auth.password=Zq8-v!r2"]),
        0,
        "a real password is not flagged"
    );
    // Caracal's values.yaml passwords end in CHANGE_ME; the chart has no existingSecret
    // key (the raw manifests' Secret caracal-secrets holds them), so no fix is offered.
    let f = run(&["caracal"], "prod", &[], &[]);
    let hits = with(&f, "default-password");
    let comps: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
    assert_eq!(comps, ["postgresql", "redis"]);
    assert!(hits.iter().all(|h| h.fix.is_none()));
    let strong = [
        "postgresql.auth.password=Zq8-v!r2-a",
        "redis.auth.password=Zq8-v!r2-b",
    ];
    assert!(with(&run(&["caracal"], "prod", &strong, &[]), "default-password").is_empty());
    // Dev keeps its defaults without a finding.
    for s in ["caracal", "rae-memory"] {
        assert!(with(&run(&[s], "dev", &[], &[]), "default-password").is_empty());
    }
    // The other charts' prod: Rhesis reads its passwords from Secret rhesis-secrets;
    // Frappe's values.yaml admin password is `admin`, cauldron-infra's RabbitMQ password
    // `guest`, its PostgreSQL and TimescaleDB passwords the published
    // `please_change_in_env` (the charts' prod files keep them all).
    assert!(with(&run(&["rhesis"], "prod", &[], &[]), "default-password").is_empty());
    let f = run(&["cauldron-frappe"], "prod", &[], &[]);
    let hits = with(&f, "default-password");
    assert_eq!(hits.len(), 1);
    assert!(hits[0]
        .message
        .starts_with("frappe.site.adminPassword keeps a default"));
    let f = run(&["cauldron-infra"], "prod", &[], &[]);
    let hits = with(&f, "default-password");
    let comps: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
    assert_eq!(comps, ["postgresql", "timescaledb", "rabbitmq"]);
    let hits: Vec<_> = hits
        .into_iter()
        .filter(|h| h.component.as_deref() == Some("rabbitmq"))
        .collect();
    assert_eq!(
        hits[0].fix.as_ref().unwrap().sets[1],
        set(
            "cauldron-infra",
            "rabbitmq.auth.existingPasswordSecret",
            Value::from("cauldron-infra-rabbitmq")
        )
    );
}

#[test]
fn qdrant_memory() {
    // 1M x 1024 dims x 6 B = 6144000000 B (5.72 GiB) > rae-memory prod's 8Gi limit? No:
    // 8 GiB holds it. 2M vectors need 12288000000 B (11.44 GiB) > 8 GiB.
    let opts = [("qdrant.vectors", "2000000"), ("qdrant.dimensions", "1024")];
    let f = run(&["rae-memory"], "prod", &[], &opts);
    let hits = with(&f, "qdrant-memory");
    assert_eq!(hits.len(), 1, "{f:?}");
    assert!(
        hits[0].message.contains("need 11.44 GiB"),
        "{}",
        hits[0].message
    );
    assert_eq!(
        hits[0].fix.as_ref().unwrap().sets[1],
        set(
            "rae-memory",
            "qdrant.resources.limits.memory",
            Value::from("12Gi")
        )
    );
    let after = fixed(&["rae-memory"], "prod", &[], &opts, hits[0]);
    assert!(with(&after, "qdrant-memory").is_empty());
    let opts = [("qdrant.vectors", "1000000"), ("qdrant.dimensions", "1024")];
    assert!(with(&run(&["rae-memory"], "prod", &[], &opts), "qdrant-memory").is_empty());
    assert!(with(&run(&["rae-memory"], "prod", &[], &[]), "qdrant-memory").is_empty());
}

#[test]
fn redis_save_headroom() {
    let sets = ["redis.resources.requests.memory=1536Mi"];
    let f = run(&["rhesis"], "prod", &sets, &[]);
    let hits = with(&f, "redis-save-headroom");
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].fix.as_ref().unwrap().sets,
        [set(
            "rhesis",
            "redis.resources.limits.memory",
            Value::from("3Gi")
        )]
    );
    let after = fixed(&["rhesis"], "prod", &sets, &[], hits[0]);
    assert!(with(&after, "redis-save-headroom").is_empty());
    // Without persistence a save never happens.
    let off = [
        "redis.resources.requests.memory=1536Mi",
        "redis.persistence.enabled=false",
    ];
    assert!(with(&run(&["rhesis"], "prod", &off, &[]), "redis-save-headroom").is_empty());
    assert!(with(&run(&["rhesis"], "prod", &[], &[]), "redis-save-headroom").is_empty());
}

#[test]
fn claim_not_rendered() {
    // Rhesis mounts redis-pvc whatever redis.persistence.enabled says (seed 002's local
    // table has no Redis volume; the chart cannot run without one).
    let sets = ["redis.persistence.enabled=false"];
    let f = run(&["rhesis"], "dev", &sets, &[]);
    let hits = with(&f, "claim-not-rendered");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].component.as_deref(), Some("redis"));
    assert_eq!(hits[0].severity, Severity::Error);
    let after = fixed(&["rhesis"], "dev", &sets, &[], hits[0]);
    assert!(with(&after, "claim-not-rendered").is_empty());
    // Every preset keeps its volumes; Redis switched off mounts nothing.
    for env in ["local", "dev", "staging", "prod", "enterprise"] {
        assert!(with(&run(&["rhesis"], env, &[], &[]), "claim-not-rendered").is_empty());
    }
    let off = ["redis.persistence.enabled=false", "redis.enabled=false"];
    assert!(with(&run(&["rhesis"], "dev", &off, &[]), "claim-not-rendered").is_empty());
    // cauldron-infra's TimescaleDB and Qdrant Deployments too; Frappe falls back to an
    // emptyDir (no finding).
    let f = run(
        &["cauldron-infra"],
        "prod",
        &["qdrant.persistence.enabled=false"],
        &[],
    );
    assert_eq!(with(&f, "claim-not-rendered").len(), 1);
    let f = run(
        &["cauldron-frappe"],
        "prod",
        &["frappe.persistence.enabled=false"],
        &[],
    );
    assert!(with(&f, "claim-not-rendered").is_empty());
}

#[test]
fn dependency_disabled() {
    let sets = ["redis.enabled=false"];
    let f = run(&["rhesis"], "prod", &sets, &[]);
    let hits = with(&f, "dependency-disabled");
    let comps: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
    assert_eq!(comps, ["backend", "worker"]);
    let after = fixed(&["rhesis"], "prod", &sets, &[], hits[0]);
    assert!(with(&after, "dependency-disabled").is_empty());
    assert!(with(&run(&["rhesis"], "prod", &[], &[]), "dependency-disabled").is_empty());
}

#[test]
fn dependency_across_charts() {
    // Both charts: infra's redis-queue switched off is an error for frappe's components.
    let stacks = ["cauldron-infra", "cauldron-frappe"];
    let sets = ["cauldron-infra:redisInstances.queue.enabled=false"];
    let f = run(&stacks, "prod", &sets, &[]);
    let hits = with(&f, "dependency-disabled");
    assert!(hits.iter().all(|h| h.severity == Severity::Error));
    assert!(
        hits[0]
            .explanation
            .contains("option external.cauldron-infra.redis-queue"),
        "{}",
        hits[0].explanation
    );
    assert!(
        hits[0]
            .explanation
            .contains("cauldron-frappe: frappe.redis.queueHost and frappe.redis.port"),
        "{}",
        hits[0].explanation
    );
    assert!(hits
        .iter()
        .any(|h| h.stack == "cauldron-frappe" && h.component.as_deref() == Some("web")));
    let after = fixed(&stacks, "prod", &sets, &[], hits[0]);
    assert!(with(&after, "dependency-disabled").is_empty());
    assert!(with(&run(&stacks, "prod", &[], &[]), "dependency-disabled").is_empty());
    // Frappe alone: one note that cauldron-infra's services must come from elsewhere.
    let f = run(&["cauldron-frappe"], "prod", &[], &[]);
    let hits = with(&f, "dependency-disabled");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].severity, Severity::Info);
    assert!(
        hits[0]
            .message
            .contains("cauldron-infra (postgresql, redis-cache, redis-queue, redis-socketio)"),
        "{}",
        hits[0].message
    );
}

#[test]
fn an_external_endpoint_satisfies_a_disabled_dependency() {
    let stacks = ["cauldron-infra", "cauldron-frappe"];
    let sets = ["cauldron-infra:postgresql.enabled=false"];
    let f = run(&stacks, "prod", &sets, &[]);
    let hits = with(&f, "dependency-disabled");
    let comps: Vec<_> = hits.iter().filter_map(|h| h.component.as_deref()).collect();
    // All four Frappe Deployments wait for PostgreSQL in their init containers (socketio
    // too); infra's read replicas go off with their primary.
    assert_eq!(
        comps,
        ["web", "worker", "scheduler", "socketio"],
        "{hits:?}"
    );
    assert!(hits.iter().all(|h| h.severity == Severity::Error));
    let ext = [("external.cauldron-infra.postgresql", "db.example.com:5432")];
    let f = run(&stacks, "prod", &sets, &ext);
    assert!(with(&f, "dependency-disabled").is_empty(), "{f:?}");
    assert!(with(&f, "external-endpoint-unused").is_empty());
    // A malformed endpoint does not count, and is an invalid option.
    let bad = [(
        "external.cauldron-infra.postgresql",
        "db.example.com:5432/frappe",
    )];
    let f = run(&stacks, "prod", &sets, &bad);
    assert_eq!(with(&f, "dependency-disabled").len(), 4);
    let inv = with(&f, "invalid-option");
    assert_eq!(inv.len(), 1);
    assert!(
        inv[0]
            .message
            .contains("external.cauldron-infra.postgresql=\"db.example.com:5432/frappe\""),
        "{}",
        inv[0].message
    );
    // Frappe alone: an endpoint per infra service replaces the note about cauldron-infra.
    let all = [
        ("external.cauldron-infra.postgresql", "db.example.com"),
        ("external.cauldron-infra.redis-cache", "cache.example.com"),
        ("external.cauldron-infra.redis-queue", "queue.example.com"),
    ];
    let f = run(&["cauldron-frappe"], "prod", &[], &all);
    let hits = with(&f, "dependency-disabled");
    assert_eq!(hits.len(), 1);
    assert!(
        hits[0].message.contains("cauldron-infra (redis-socketio)"),
        "{}",
        hits[0].message
    );
    assert!(hits[0]
        .explanation
        .contains("options external.cauldron-infra.redis-socketio"));
}

#[test]
fn an_endpoint_the_chart_cannot_take_keeps_the_error() {
    // Caracal's guide has no address parameter for Zookeeper: Kafka still cannot start.
    let sets = ["zookeeper.enabled=false"];
    let ext = [("external.caracal.zookeeper", "zk.example.com:2181")];
    let f = run(&["caracal"], "prod", &sets, &ext);
    let hits = with(&f, "dependency-disabled");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].component.as_deref(), Some("kafka"));
    assert_eq!(hits[0].severity, Severity::Error);
    let why = &hits[0].explanation;
    assert!(why.contains("cannot replace it in caracal"), "{why}");
    assert!(
        why.contains("zk.example.com:2181 given is recorded but not written"),
        "{why}"
    );
    assert!(why.contains("documents no Zookeeper parameters"), "{why}");
}

#[test]
fn external_endpoint_unused() {
    let stacks = ["cauldron-infra", "cauldron-frappe"];
    let ext = [("external.cauldron-infra.redis-cache", "cache.example.com")];
    let f = run(&stacks, "prod", &[], &ext);
    let hits = with(&f, "external-endpoint-unused");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].stack, "cauldron-infra");
    assert_eq!(hits[0].component.as_deref(), Some("redis-cache"));
    assert!(hits[0]
        .explanation
        .contains("cauldron-frappe: frappe.redis.cacheHost"));
    let after = fixed(&stacks, "prod", &[], &ext, hits[0]);
    assert!(with(&after, "external-endpoint-unused").is_empty());
    assert!(with(&after, "dependency-disabled").is_empty());
    // Switched off, the endpoint is what the dependants need.
    let off = ["cauldron-infra:redisInstances.cache.enabled=false"];
    let f = run(&stacks, "prod", &off, &ext);
    assert!(with(&f, "external-endpoint-unused").is_empty());
    assert!(with(&f, "dependency-disabled").is_empty());
    assert!(with(&run(&stacks, "prod", &[], &[]), "external-endpoint-unused").is_empty());
}

#[test]
fn invalid_option_is_a_finding() {
    let f = run(&["rhesis"], "prod", &[], &[("cloud", "gcp")]);
    let hits = with(&f, "invalid-option");
    assert_eq!(hits.len(), 1);
    assert!(hits[0].message.contains("cloud=\"gcp\""));
    assert!(with(
        &run(&["rhesis"], "prod", &[], &[("cloud", "gke")]),
        "invalid-option"
    )
    .is_empty());
}

#[test]
fn findings_are_sorted_and_deterministic() {
    let cat = cat();
    for chart in &cat.charts {
        for env in &chart.environments {
            let c = config(&[&chart.id], &env.id, &[], &[("cloud", "eks")]);
            let a = review(cat, &c);
            assert_eq!(a, review(cat, &c));
            assert!(a.windows(2).all(|w| w[0].severity <= w[1].severity));
            assert!(a.iter().all(|f| RULES.iter().any(|(r, _)| *r == f.rule)));
        }
    }
}

#[test]
fn output_formats() {
    let f = run(&["caracal"], "staging", &["kafka.replicaCount=2"], &[]);
    let t = table(&f);
    insta::assert_snapshot!("caracal_staging_two_brokers", t);
    assert!(
        t.contains("ERROR    caracal/kafka  [kafka-replication-factor]"),
        "{t}"
    );
    assert!(t.contains("fix: Lower the replication factors to 2: --set caracal:kafka.config.defaultReplicationFactor=2"), "{t}");
    let j: serde_json::Value = serde_json::from_str(&json(&f)).unwrap();
    assert_eq!(j["summary"]["errors"], 1);
    assert_eq!(j["findings"][0]["rule"], "kafka-replication-factor");
    assert_eq!(j["findings"][0]["fix"]["sets"][0]["value"], 2);
}
