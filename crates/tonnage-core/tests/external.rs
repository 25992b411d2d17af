//! External endpoints end to end: a switched-off dependency replaced by an endpoint reaches the
//! values bundle (values-<env>.yaml, which Helm merges over values.yaml), the rendered manifests
//! (ConfigMap, init containers, probes, NetworkPolicy), the share link and the review, for every
//! connection the catalog maps to values.

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
            let base: Value =
                serde_yaml::from_str(&file(&format!("{dependant}/values.yaml"))).unwrap();
            let overlay: Value = serde_yaml::from_str(&env_file).unwrap();
            let mut merged = base;
            merge(&mut merged, &overlay);
            let host = c.host.as_deref().unwrap();
            let port = c.port.as_deref().unwrap();
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
            let chart = cat().chart(dependant).unwrap();
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

#[test]
fn manifests_reach_every_mapped_endpoint() {
    for (dependant, c) in mapped() {
        let (cfg, key) = with_endpoint(dependant, c, "prod", "ext-2.example.com:7001");
        let ms = manifests::render(cat(), &cfg);
        let config_map = find(&ms, "ConfigMap", "cauldron-frappe-config");
        let json_key = match c.host.as_deref().unwrap() {
            "database.host" => "db_host",
            "redis.cache.host" => "redis_cache",
            "redis.queue.host" => "redis_queue",
            "redis.socketio.host" => "redis_socketio",
            other => panic!("a new mapped connection {other}: add its manifest check"),
        };
        let cm: Value = serde_yaml::from_str(&config_map.yaml).unwrap();
        let site: serde_json::Value =
            serde_json::from_str(cm["data"]["common_site_config.json"].as_str().unwrap()).unwrap();
        let expected = if json_key == "db_host" {
            assert_eq!(site["db_port"], 7001, "{key}");
            "ext-2.example.com".to_string()
        } else {
            "redis://ext-2.example.com:7001".to_string()
        };
        assert_eq!(site[json_key], expected.as_str(), "{key}");
        // The web server's init containers wait for the external service.
        let web = &find(&ms, "Deployment", "cauldron-frappe-web").yaml;
        assert!(web.contains("ext-2.example.com"), "{key}: {web}");
        // No Frappe object still names the switched-off in-cluster service.
        let (stack, id) = c.target_of(dependant);
        let in_cluster = format!("{stack}-{id}");
        for m in ms.iter().filter(|m| m.chart == dependant) {
            let hit = m
                .yaml
                .lines()
                .find(|l| l.contains(&in_cluster) && !l.contains("existingSecret"));
            assert!(
                hit.is_none(),
                "{key}: {} {} still says {hit:?}",
                m.kind,
                m.name
            );
        }
    }
}

#[test]
fn worker_probes_follow_the_queue_endpoint() {
    let cfg = config(
        &["cauldron-infra", "cauldron-frappe"],
        "prod",
        &["cauldron-infra:redis-queue.enabled=false"],
        &[(
            "external.cauldron-infra.redis-queue",
            "queue.example.com:6380",
        )],
    );
    let ms = manifests::render(cat(), &cfg);
    for name in ["cauldron-frappe-worker", "cauldron-frappe-scheduler"] {
        let y = &find(&ms, "Deployment", name).yaml;
        assert_eq!(
            y.matches("wait-for-it queue.example.com:6380 -t 1").count(),
            2,
            "{name}: {y}"
        );
    }
    // Without the endpoint the probes name infra's queue Service, as before.
    let ms = manifests::render(cat(), &config(&["cauldron-frappe"], "prod", &[], &[]));
    let y = &find(&ms, "Deployment", "cauldron-frappe-worker").yaml;
    assert!(
        y.contains("wait-for-it cauldron-infra-redis-queue-master:6379 -t 1"),
        "{y}"
    );
}

#[test]
fn network_policies_let_the_external_ports_out() {
    let sets = [
        "cauldron-frappe:networkPolicy.enabled=true",
        "cauldron-infra:postgresql.enabled=false",
    ];
    let stacks = ["cauldron-infra", "cauldron-frappe"];
    let opts = [("external.cauldron-infra.postgresql", "db.example.com:6432")];
    let allow = |cfg: &Configuration| -> Value {
        let ms = manifests::render(cat(), cfg);
        serde_yaml::from_str(&find(&ms, "NetworkPolicy", "cauldron-frappe-allow-release").yaml)
            .unwrap()
    };
    let np = allow(&config(&stacks, "prod", &sets, &opts));
    let egress = np["spec"]["egress"].as_sequence().unwrap();
    let open: Vec<&Value> = egress.iter().filter(|r| r.get("to").is_none()).collect();
    assert_eq!(open.len(), 1, "{egress:?}");
    assert_eq!(open[0]["ports"][0]["port"], Value::from(6432));
    let np = allow(&config(&stacks, "prod", &sets, &[]));
    assert!(np["spec"]["egress"]
        .as_sequence()
        .unwrap()
        .iter()
        .all(|r| r.get("to").is_some() || r["ports"][0]["port"] == 53));
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
    assert_eq!(rule(&without), 3);
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
