//! External endpoints end to end: a switched-off dependency replaced by an endpoint reaches the
//! values bundle (`<chart>/values-<env>.yaml`, which Helm merges over the chart's own values.yaml
//! and, where the preset is the chart's own environment file, over that file), the rendered
//! manifests (ConfigMap, init containers, probes), the share link and the review, for every
//! connection the catalog maps to values (cauldron-frappe's `frappe.db.*` and `frappe.redis.*`).

use serde_yaml::Value;
use tonnage_core::bundle::{values_bundle, values_bundle_file, BundleOptions};
use tonnage_core::catalog::Connection;
use tonnage_core::manifests::{self, Manifest};
use tonnage_core::values::{lookup, merge};
use tonnage_core::{external, plan, review, share, Catalog, Configuration};

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

/// Every connection with values paths, as (dependant chart, connection).
fn mapped() -> Vec<(&'static str, &'static Connection)> {
    cat()
        .charts
        .iter()
        .flat_map(|ch| {
            ch.connections
                .iter()
                .filter(|c| c.host.is_some())
                .map(move |c| (ch.id.as_str(), c))
        })
        .collect()
}

/// The configuration with the connection's target switched off (or its chart left out when it
/// cannot be switched off) and an endpoint given for it.
fn with_endpoint(
    dependant: &str,
    c: &Connection,
    env: &str,
    endpoint: &str,
) -> (Configuration, String) {
    let (stack, id) = c.target_of(dependant);
    let target = cat().chart(stack).unwrap().component(id).unwrap();
    let mut stacks = vec![stack];
    if stack != dependant {
        stacks.push(dependant);
    }
    let set = target
        .values
        .enabled
        .as_ref()
        .map(|p| format!("{stack}:{p}=false"));
    let key = external::option_key(stack, id);
    let cfg = config(
        &stacks,
        env,
        &set.iter().map(String::as_str).collect::<Vec<_>>(),
        &[(key.as_str(), endpoint)],
    );
    (cfg, key)
}

#[test]
fn the_catalog_maps_frappes_four_infra_services() {
    let targets: Vec<String> = mapped()
        .iter()
        .map(|(d, c)| format!("{d} -> {}", c.target))
        .collect();
    assert_eq!(
        targets,
        [
            "cauldron-frappe -> cauldron-infra/postgresql",
            "cauldron-frappe -> cauldron-infra/redis-cache",
            "cauldron-frappe -> cauldron-infra/redis-queue",
            "cauldron-frappe -> cauldron-infra/redis-socketio",
        ]
    );
    // Every other dependency that can be switched off says why it has no values.
    for ch in &cat().charts {
        for c in ch.connections.iter().filter(|c| c.host.is_none()) {
            assert!(
                c.unsupported.as_deref().is_some_and(|r| r.len() > 40),
                "{}: {}",
                ch.id,
                c.target
            );
        }
    }
}

#[test]
fn values_bundle_carries_every_mapped_endpoint() {
    for (dependant, c) in mapped() {
        for env in ["dev", "prod"] {
            let (cfg, key) = with_endpoint(dependant, c, env, "ext-1.example.com:7000");
            let files = values_bundle(cat(), &cfg, &BundleOptions::default());
            let file = |p: &str| {
                files
                    .iter()
                    .find(|f| f.path == p)
                    .unwrap_or_else(|| panic!("{p}"))
                    .contents
                    .clone()
            };
            let env_file = file(&format!("{dependant}/values-{env}.yaml"));
            // The bundle no longer writes the chart's values.yaml: Helm takes it from the chart.
            assert!(
                !files
                    .iter()
                    .any(|f| f.path == format!("{dependant}/values.yaml")),
                "{key} {env}"
            );
            let overlay: Value = serde_yaml::from_str(&env_file).unwrap();
            let host = c.host.as_deref().unwrap();
            let port = c.port.as_deref().unwrap();
            // The endpoint differs from the chart's values and its environment file, so the
            // bundle's file itself carries it...
            assert_eq!(
                lookup(&overlay, host),
                Some(&Value::from("ext-1.example.com")),
                "{key} {env}: {env_file}"
            );
            // ...and what Helm merges (the chart's values, then its environment file or the
            // guide's preset, then this file) holds it.
            let chart = cat().chart(dependant).unwrap();
            let mut merged = cfg.preset_values(chart);
            merge(&mut merged, &overlay);
            assert_eq!(
                lookup(&merged, host),
                Some(&Value::from("ext-1.example.com")),
                "{key} {env}: {env_file}"
            );
            assert_eq!(
                lookup(&merged, port),
                Some(&Value::from(7000)),
                "{key} {env}"
            );
            // The header and the README say where the endpoint went.
            let line = format!(
                "#   {} = ext-1.example.com:7000 -> {host}, {port}",
                c.target
            );
            assert!(env_file.contains(&line), "{env_file}");
            assert!(
                !env_file.contains("everything below is the preset"),
                "{env_file}"
            );
            let readme = file("README.md");
            assert!(
                readme.contains(&format!(
                    "  - `{dependant}`: `{} = ext-1.example.com:7000 -> {host}, {port}`",
                    c.target
                )),
                "{readme}"
            );
            // The preview's one-file path agrees with the bundle.
            let one = values_bundle_file(
                cat(),
                &cfg,
                &BundleOptions::default(),
                &format!("{dependant}/values-{env}.yaml"),
            )
            .unwrap();
            assert_eq!(one.contents, env_file);
            // And the effective values the plan reads.
            assert_eq!(
                lookup(&cfg.effective_values(chart), host),
                Some(&Value::from("ext-1.example.com"))
            );
        }
    }
}

fn find<'a>(ms: &'a [Manifest], kind: &str, name: &str) -> &'a Manifest {
    ms.iter()
        .find(|m| m.kind == kind && m.name == name)
        .unwrap_or_else(|| panic!("{kind} {name}"))
}

/// Every container env var of `chart`'s Deployments, as (deployment, container, name, value).
fn env_vars(ms: &[Manifest], chart: &str) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for m in ms
        .iter()
        .filter(|m| m.chart == chart && m.kind == "Deployment")
    {
        let d: Value = serde_yaml::from_str(&m.yaml).unwrap();
        let spec = &d["spec"]["template"]["spec"];
        for list in ["initContainers", "containers"] {
            for c in spec[list].as_sequence().into_iter().flatten() {
                for e in c["env"].as_sequence().into_iter().flatten() {
                    if let (Some(n), Some(v)) = (e["name"].as_str(), e["value"].as_str()) {
                        out.push((
                            m.name.clone(),
                            c["name"].as_str().unwrap_or_default().to_string(),
                            n.to_string(),
                            v.to_string(),
                        ));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn manifests_reach_every_mapped_endpoint() {
    let mut host_vars_before = 0;
    for (dependant, c) in mapped() {
        let (cfg, key) = with_endpoint(dependant, c, "prod", "ext-2.example.com:7001");
        let ms = manifests::render(cat(), &cfg);
        let config_map = find(&ms, "ConfigMap", "cauldron-frappe-config");
        // The chart's templates/configmap.yaml: db_host and db_port, and one redis:// URL per
        // instance with its database number.
        let (json_key, redis_db) = match c.host.as_deref().unwrap() {
            "frappe.db.host" => ("db_host", None),
            "frappe.redis.cacheHost" => ("redis_cache", Some(0)),
            "frappe.redis.queueHost" => ("redis_queue", Some(1)),
            "frappe.redis.socketioHost" => ("redis_socketio", Some(2)),
            other => panic!("a new mapped connection {other}: add its manifest check"),
        };
        let cm: Value = serde_yaml::from_str(&config_map.yaml).unwrap();
        let site: serde_json::Value =
            serde_json::from_str(cm["data"]["common_site_config.json"].as_str().unwrap()).unwrap();
        let expected = match redis_db {
            None => {
                assert_eq!(site["db_port"], 7001, "{key}");
                "ext-2.example.com".to_string()
            }
            Some(n) => format!("redis://ext-2.example.com:7001/{n}"),
        };
        assert_eq!(site[json_key], expected.as_str(), "{key}");
        // Every Frappe Deployment's init container waits for the external service (the chart's
        // wait-for-db / wait-for-redis).
        let (stack, _) = c.target_of(dependant);
        let preset = config(&[stack, dependant], "prod", &[], &[]);
        let preset_ms = manifests::render(cat(), &preset);
        let chart = cat().chart(dependant).unwrap();
        let old = lookup(&preset.effective_values(chart), c.host.as_deref().unwrap())
            .and_then(Value::as_str)
            .unwrap()
            .to_string();
        let init = if redis_db.is_none() {
            "wait-for-db"
        } else {
            "wait-for-redis"
        };
        for d in [
            "cauldron-frappe-web",
            "cauldron-frappe-worker",
            "cauldron-frappe-scheduler",
            "cauldron-frappe-socketio",
        ] {
            let w = init_container(&ms, d, init);
            assert!(
                w.contains("ext-2.example.com") && w.contains("7001"),
                "{key}: {d}: {w}"
            );
            if redis_db.is_some() {
                // The Redis hosts' default names (redis-cache...) appear nowhere else.
                assert!(
                    init_container(&preset_ms, d, init).contains(&old),
                    "{key}: {d}"
                );
                assert!(!w.contains(&old), "{key}: {d}: {w}");
            }
        }
        // No host env var (DB_HOST, REDIS_QUEUE_HOST...) of a Frappe Deployment still names the
        // in-cluster service (the chart's default host, without the endpoint).
        host_vars_before += env_vars(&preset_ms, dependant)
            .iter()
            .filter(|(_, _, n, v)| n.ends_with("_HOST") && *v == old)
            .count();
        let left: Vec<_> = env_vars(&ms, dependant)
            .into_iter()
            .filter(|(_, _, n, v)| n.ends_with("_HOST") && *v == old)
            .collect();
        assert!(left.is_empty(), "{key}: {left:?}");
    }
    assert!(host_vars_before > 0, "no host env var to check");
}

/// The init container `name` of Deployment `deployment`, as YAML text.
fn init_container(ms: &[Manifest], deployment: &str, name: &str) -> String {
    let d: Value = serde_yaml::from_str(&find(ms, "Deployment", deployment).yaml).unwrap();
    let c = d["spec"]["template"]["spec"]["initContainers"]
        .as_sequence()
        .into_iter()
        .flatten()
        .find(|c| c["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("{deployment} has no init container {name}"));
    serde_yaml::to_string(c).unwrap()
}

#[test]
fn worker_and_scheduler_wait_for_the_queue_endpoint() {
    let cfg = config(
        &["cauldron-infra", "cauldron-frappe"],
        "prod",
        &["cauldron-infra:redisInstances.queue.enabled=false"],
        &[(
            "external.cauldron-infra.redis-queue",
            "queue.example.com:6380",
        )],
    );
    let ms = manifests::render(cat(), &cfg);
    for name in ["cauldron-frappe-worker", "cauldron-frappe-scheduler"] {
        let w = init_container(&ms, name, "wait-for-redis");
        assert!(
            w.contains("queue.example.com") && w.contains("6380"),
            "{name}: {w}"
        );
        assert!(!w.contains("redis-queue"), "{name}: {w}");
    }
    // Without the endpoint they wait for infra's queue Service: the chart's default
    // frappe.redis.queueHost `redis-queue` (cauldron-infra's fixed Service name), port 6379.
    let ms = manifests::render(cat(), &config(&["cauldron-frappe"], "prod", &[], &[]));
    let w = init_container(&ms, "cauldron-frappe-worker", "wait-for-redis");
    assert!(w.contains("redis-queue") && w.contains("6379"), "{w}");
    assert!(!w.contains("example.com"), "{w}");
}

#[test]
fn plan_and_review_agree_with_the_endpoint() {
    let stacks = ["cauldron-infra", "cauldron-frappe"];
    let sets = ["cauldron-infra:postgresql.enabled=false"];
    let opts = [("external.cauldron-infra.postgresql", "db.example.com:5432")];
    let with = config(&stacks, "prod", &sets, &opts);
    let without = config(&stacks, "prod", &sets, &[]);
    // The plan counts no in-cluster PostgreSQL either way; the endpoint changes no figure.
    let p = plan(cat(), &with);
    assert!(p
        .components
        .iter()
        .filter(|c| c.stack == "cauldron-infra" && c.id.starts_with("postgresql"))
        .all(|c| !c.enabled));
    assert_eq!(p.totals, plan(cat(), &without).totals);
    let rule = |c: &Configuration| {
        review::review(cat(), c)
            .into_iter()
            .filter(|f| f.rule == "dependency-disabled")
            .count()
    };
    // Web, worker, scheduler and Socket.IO: every Frappe Deployment of the real chart has the
    // wait-for-db init container (the catalog's depends_on).
    assert_eq!(rule(&without), 4);
    assert_eq!(rule(&with), 0);
}

#[test]
fn share_links_carry_the_endpoint() {
    let cfg = config(
        &["cauldron-infra", "cauldron-frappe"],
        "prod",
        &["cauldron-infra:postgresql.enabled=false"],
        &[("external.cauldron-infra.postgresql", "db.example.com:3306")],
    );
    let link = share::encode(cat(), &cfg);
    let back = share::decode(cat(), &link).unwrap();
    assert_eq!(
        back.options
            .get("external.cauldron-infra.postgresql")
            .map(String::as_str),
        Some("db.example.com:3306")
    );
    let chart = cat().chart("cauldron-frappe").unwrap();
    assert_eq!(back.effective_values(chart), cfg.effective_values(chart));
}
